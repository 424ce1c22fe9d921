"""Unit tests of kintone_emulator.query (contract section 7).

A small app with every field type is built directly in a model.App; results are asserted as
lists of record ids, errors by their exact code (and message args where they matter).
"""

import datetime
import random
import unittest
import zoneinfo

from kintone_emulator import model, query
from kintone_emulator.errors import KintoneError

UTC = datetime.timezone.utc
TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")
APIA = zoneinfo.ZoneInfo("Pacific/Apia")  # UTC+13
HONOLULU = zoneinfo.ZoneInfo("Pacific/Honolulu")  # UTC-10
NOW = datetime.datetime(2024, 3, 1, 12, 0, 30, tzinfo=UTC)  # Apia: Mar 2 01:00, Honolulu: Mar 1 02:00


def options(*labels):
    return {label: {"label": label, "index": str(i)} for i, label in enumerate(labels)}


def prop(ftype, code, **extra):
    p = {"type": ftype, "code": code, "label": code}
    p.update(extra)
    return p


def make_properties():
    props = [
        prop("RECORD_NUMBER", "レコード番号"),
        prop("CREATOR", "作成者"),
        prop("MODIFIER", "更新者"),
        prop("CREATED_TIME", "作成日時"),
        prop("UPDATED_TIME", "更新日時"),
        prop("SINGLE_LINE_TEXT", "text"),
        prop("LINK", "link"),
        prop("NUMBER", "num"),
        prop("CALC", "calc", format="NUMBER", expression="num*2"),
        prop("CALC", "calc_dt", format="DATETIME", expression="dt"),
        prop("MULTI_LINE_TEXT", "mtext"),
        prop("RICH_TEXT", "rich"),
        prop("CHECK_BOX", "cb", options=options("A", "B", "C")),
        prop("MULTI_SELECT", "ms", options=options("A", "B", "C")),
        prop("RADIO_BUTTON", "radio", options=options("A", "B")),
        prop("DROP_DOWN", "dd", options=options("A", "B", "C")),
        prop("FILE", "file"),
        prop("DATE", "date"),
        prop("TIME", "time"),
        prop("DATETIME", "dt"),
        prop("USER_SELECT", "user"),
        prop("ORGANIZATION_SELECT", "org"),
        prop("GROUP_SELECT", "grp"),
        prop("STATUS", "ステータス", enabled=True),
        prop("STATUS_ASSIGNEE", "作業者", enabled=True),
        prop("CATEGORY", "カテゴリー", enabled=True),
        prop("SUBTABLE", "table", fields={
            "t_text": prop("SINGLE_LINE_TEXT", "t_text"),
            "t_num": prop("NUMBER", "t_num"),
            "t_dd": prop("DROP_DOWN", "t_dd", options=options("A", "B")),
            "t_date": prop("DATE", "t_date"),
        }),
        prop("REFERENCE_TABLE", "ref", referenceTable={}),
        prop("GROUP", "group1"),
        prop("SINGLE_LINE_TEXT", "日本語フィールド"),
    ]
    return {p["code"]: p for p in props}


def users(*codes):
    return [{"code": c, "name": c.title()} for c in codes]


def rows(*cells):
    return [{"id": str(100 + i), "value": dict(c)} for i, c in enumerate(cells)]


RECORDS = {
    1: {
        "作成者": {"code": "sato", "name": "Sato"}, "更新者": {"code": "suzuki", "name": "Suzuki"},
        "作成日時": "2024-01-01T00:00:00Z", "更新日時": "2024-03-01T12:00:00Z",
        "text": "Apple", "link": "https://example.com/a", "num": "10", "calc": "20",
        "calc_dt": "2024-01-01T00:00:00Z", "mtext": "line1\nhello world",
        "rich": "<div>Bold <b>Text</b> &amp; more</div>", "cb": ["A", "B"], "ms": ["A"],
        "radio": "A", "dd": "A", "file": [{"contentType": "application/pdf", "fileKey": "k1",
                                          "name": "report.pdf", "size": "10"}],
        "date": "2024-03-01", "time": "09:30", "dt": "2024-03-01T00:30:00Z",
        "user": users("sato"), "org": users("dev"), "grp": users("admins"),
        "ステータス": "未処理", "作業者": users("sato"), "カテゴリー": ["cat1"],
        "table": rows({"t_text": "x", "t_num": "1", "t_dd": "A", "t_date": "2024-01-01"},
                      {"t_text": "y", "t_num": "5", "t_dd": "B", "t_date": "2024-02-01"}),
        "日本語フィールド": "こんにちは世界",
    },
    2: {
        "作成者": {"code": "suzuki", "name": "Suzuki"}, "更新者": {"code": "sato", "name": "Sato"},
        "作成日時": "2024-02-01T09:15:00Z", "更新日時": "2024-02-01T09:15:00Z",
        "text": "banana", "link": "", "num": "-5.5", "calc": "", "calc_dt": "",
        "mtext": "   \n\t", "rich": "<div><br></div>", "cb": [], "ms": ["B", "C"],
        "radio": "B", "dd": None, "file": [], "date": "2024-02-29", "time": "23:59",
        "dt": "2024-02-29T15:00:00Z", "user": [], "org": users("sales"), "grp": [],
        "ステータス": "完了", "作業者": [], "カテゴリー": [],
        "table": rows({"t_text": "x", "t_num": "5", "t_dd": "B", "t_date": None}),
        "日本語フィールド": "さようなら",
    },
    3: {
        "作成者": {"code": "tanaka", "name": "Tanaka"}, "更新者": {"code": "tanaka", "name": "Tanaka"},
        "作成日時": "2024-03-01T00:00:00Z", "更新日時": "2024-03-01T00:00:00Z",
        "text": "", "link": "", "num": "", "calc": "0", "mtext": "", "rich": "",
        "cb": ["C"], "ms": [], "radio": None, "dd": "", "date": None, "time": None, "dt": "",
        "file": [{"contentType": "image/png", "fileKey": "k2", "name": "Photo.PNG", "size": "5"}],
        "user": users("tanaka", "sato"), "org": [], "grp": users("admins", "staff"),
        "ステータス": "未処理", "作業者": users("tanaka"), "カテゴリー": ["cat1", "cat2"],
        "table": [], "日本語フィールド": "",
    },
    4: {
        "作成者": {"code": "sato", "name": "Sato"}, "更新者": {"code": "sato", "name": "Sato"},
        "作成日時": "2024-03-01T15:00:00Z", "更新日時": "2024-03-02T00:00:00Z",
        "text": "APPLE pie", "num": "100", "dd": "C", "date": "2024-12-31", "time": "00:00",
        "dt": "2024-03-01T15:00:00Z", "ステータス": "処理中",
        "table": rows({"t_text": "z", "t_num": "", "t_dd": None}),
    },
    5: {
        "作成者": {"code": "suzuki", "name": "Suzuki"}, "更新者": {"code": "suzuki", "name": "Suzuki"},
        "作成日時": "2024-03-05T00:00:00Z", "更新日時": "2024-03-05T00:00:00Z",
    },
}
ALL = [1, 2, 3, 4, 5]


def make_app(code="", records=RECORDS):
    app = model.App(1, "test", code=code)
    app.properties = make_properties()
    for rid, values in records.items():
        app.add_record(model.Record(rid, 1, values))
    return app


def ctx(tz=TOKYO, now=NOW, login_user="sato", primary_org="dev"):
    return query.QueryContext(now, tz, login_user=login_user, primary_org=primary_org)


class QueryTestCase(unittest.TestCase):
    def setUp(self):
        self.app = make_app()
        self.ctx = ctx()

    def ids(self, text, context=None, app=None, **kw):
        records, _ = query.execute(app or self.app, text, context or self.ctx, **kw)
        return [r.id for r in records]

    def match(self, cond, context=None, app=None):
        """Matching ids in ascending order (the whole set, via cursor mode)."""
        text = cond + " order by $id asc"
        records, _ = query.execute(app or self.app, text, context or self.ctx, cursor=True)
        return [r.id for r in records]

    def assertError(self, text, code, args=None, context=None, app=None, **kw):
        with self.assertRaises(KintoneError) as cm:
            query.execute(app or self.app, text, context or self.ctx, **kw)
        self.assertEqual(cm.exception.code, code, "%s -> %s" % (text, cm.exception))
        if args is not None:
            self.assertEqual(cm.exception.args_, args)
        if code == "CB_VA01":
            self.assertEqual(cm.exception.status, 400)
            self.assertEqual(cm.exception.body("en")["errors"],
                             {"query": {"messages": ["Query syntax is invalid."]}})
        return cm.exception


class GrammarTest(QueryTestCase):
    def test_empty_query_all_records_id_desc(self):
        self.assertEqual(self.ids(""), [5, 4, 3, 2, 1])
        self.assertEqual(self.ids(None), [5, 4, 3, 2, 1])
        self.assertEqual(self.ids("  \t\n"), [5, 4, 3, 2, 1])

    def test_and_binds_tighter_than_or(self):
        # text = "banana" or (num > 50 and dd in ("C")) -> 2, 4
        self.assertEqual(self.match('text = "banana" or num > 50 and dd in ("C")'), [2, 4])
        self.assertEqual(self.match('text = "Apple" or text = "banana" and num > 0'), [1])

    def test_parentheses_group(self):
        self.assertEqual(self.match('(text = "Apple" or text = "banana") and num > 0'), [1])
        self.assertEqual(self.match('((text = "Apple") or (num < 0)) and ((dd in ("A")))'), [1])

    def test_keywords_case_insensitive(self):
        self.assertEqual(self.ids('text = "Apple" OR num > 50 Order By $id ASC LIMIT 5 OFFSET 0'), [1, 4])
        self.assertEqual(self.match('text NOT IN ("Apple") And mtext Is Not Empty'), [])
        self.assertEqual(self.match('text Not Like "APPLE" and mtext IS EMPTY'), [2, 3, 5])
        self.assertEqual(self.match('dd NOT IN ("A") AnD num >= 0'), [4])

    def test_whitespace_variants(self):
        self.assertEqual(self.match('text\t=\t"Apple"\r\nor\u3000num\u3000>\u300050'), [1, 4])
        self.assertEqual(self.match('text="Apple"or(num>50)'), [1, 4])

    def test_options_only(self):
        self.assertEqual(self.ids("order by $id asc limit 500"), ALL)
        self.assertEqual(self.ids("limit 2"), [5, 4])
        self.assertEqual(self.ids("offset 3"), [2, 1])
        self.assertEqual(self.ids("limit 2 offset 1"), [4, 3])

    def test_in_list(self):
        self.assertEqual(self.match('text in ("Apple", "banana", "nothing")'), [1, 2])
        self.assertEqual(self.match('text not in ("Apple", "banana")'), [3, 4, 5])

    def test_japanese_field_codes_and_values(self):
        self.assertEqual(self.match('日本語フィールド = "こんにちは世界"'), [1])
        self.assertEqual(self.match('日本語フィールド like "さよう"'), [2])
        self.assertEqual(self.match('ステータス in ("未処理")'), [1, 3])
        self.assertEqual(self.ids('レコード番号 >= 4 order by レコード番号 asc'), [4, 5])

    def test_field_named_like_a_keyword(self):
        app = model.App(2, "kw")
        app.properties = {"limit": prop("NUMBER", "limit"), "order": prop("NUMBER", "order")}
        app.add_record(model.Record(1, 1, {"limit": "5", "order": "1"}))
        app.add_record(model.Record(2, 1, {"limit": "7", "order": "2"}))
        self.assertEqual(self.ids("limit = 5", app=app), [1])
        self.assertEqual(self.ids("order > 1 order by order desc limit 1", app=app), [2])

    def test_parse_returns_ast(self):
        q = query.parse('a = "x" and (b in (1, 2) or c like "z") order by a desc, $id limit 5 offset 2')
        self.assertIsInstance(q.cond, query.And)
        self.assertEqual(q.cond.items[0], query.Cond(query.FieldRef("a", None), "=",
                                                     (query.Value("str", "x", ()),)))
        self.assertIsInstance(q.cond.items[1], query.Or)
        self.assertEqual([(k.field.code, k.desc) for k in q.order], [("a", True), ("$id", False)])
        self.assertEqual((q.limit, q.offset), (5, 2))
        self.assertEqual(query.parse(""), query.Query(None, (), None, None))

    def test_syntax_errors(self):
        bad = [
            "text = 'Apple'",            # single quotes
            'text = "a\tb"',             # raw tab in a string
            'text = "a\nb"',             # raw LF
            'text = "a\rb"',             # raw CR
            'text = "abc',               # unterminated
            "`text` = \"a\"",            # backticks are not identifier quotes
            'text = ',                   # missing value
            'text "a"',                  # missing operator
            'text == "a"',
            'text in ()',
            'text in "a"',
            'text like 12',
            'mtext is null',
            '(text = "a"',
            'text = "a")',
            'text = "a" and',
            'and text = "a"',
            'text = "a" limit 5 order by $id',   # options out of order
            'text = "a" offset 5 limit 1',
            'limit 5 limit 6',
            'order by',
            'order by $id asc,',
            'limit -1',
            'offset -1',
            'limit 1.5',
            'limit abc',
            'text = "a" garbage',
            'date = NOSUCHFUNC()',
            'text = "a" ; drop',
        ]
        for text in bad:
            with self.subTest(text=text):
                self.assertError(text, "CB_VA01")

    def test_non_string_query_is_a_syntax_error(self):
        self.assertError(5, "CB_VA01")
        self.assertError(["a"], "CB_VA01")
        with self.assertRaises(KintoneError) as cm:
            query.parse(5)
        self.assertEqual(cm.exception.code, "CB_VA01")

    def test_escapes(self):
        app = model.App(3, "esc")
        app.properties = {"t": prop("SINGLE_LINE_TEXT", "t"), "m": prop("MULTI_LINE_TEXT", "m")}
        values = ['say "hi"', "back\\slash", "tab\there", "line\nbreak", "cr\rhere", "q", "",
                  "x' or '1'='1", "a%b_c"]
        for i, v in enumerate(values, 1):
            app.add_record(model.Record(i, 1, {"t": v, "m": v}))
        self.assertEqual(self.match(r't = "say \"hi\""', app=app), [1])
        self.assertEqual(self.match(r't = "back\\slash"', app=app), [2])
        self.assertEqual(self.match(r't = "tab\there"', app=app), [3])
        self.assertEqual(self.match(r't = "line\nbreak"', app=app), [4])
        self.assertEqual(self.match(r't = "cr\rhere"', app=app), [5])
        self.assertEqual(self.match(r't = "\q"', app=app), [6])  # unknown escape -> the char
        self.assertEqual(self.match('t = "x\' or \'1\'=\'1"', app=app), [8])
        self.assertEqual(self.match(r'm like "\n"', app=app), [4])
        # % and _ are literal characters in like
        self.assertEqual(self.match('t like "%b_"', app=app), [9])
        self.assertEqual(self.match('t like "%"', app=app), [9])


class HostileInputTest(QueryTestCase):
    def test_hostile_strings(self):
        app = model.App(6, "hostile")
        app.properties = {"t": prop("SINGLE_LINE_TEXT", "t")}
        values = ['"; DROP TABLE records; --', "\u0000nul", "emoji \U0001F600", "x" * 5000,
                  "trailing backslash \\", ") or (1 = 1"]
        for i, v in enumerate(values, 1):
            app.add_record(model.Record(i, 1, {"t": v}))
        self.assertEqual(self.match('t = "\\"; DROP TABLE records; --"', app=app), [1])
        self.assertEqual(self.match('t = "\u0000nul"', app=app), [2])
        self.assertEqual(self.match('t like "\U0001F600"', app=app), [3])
        self.assertEqual(self.match('t = "%s"' % ("x" * 5000), app=app), [4])
        self.assertEqual(self.match('t = "trailing backslash \\\\"', app=app), [5])
        self.assertEqual(self.match('t = ") or (1 = 1"', app=app), [6])
        self.assertEqual(self.match('t in (") or (1 = 1", "\\"; DROP TABLE records; --")', app=app), [1, 6])

    def test_hostile_syntax(self):
        for text in ['t = "abc\\"', 't = "abc\\', 't = "a" or', "t = \"a\" or 1=1 --",
                     '"t" = "a"', 't = "a" /* x */', 'text = "a" and (', 'text in ("a",)',
                     'text = "a" order by text asc desc', '\x00', 'text = "a" limit 1 offset 1 limit 2']:
            with self.subTest(q=text):
                self.assertError(text, "CB_VA01")


class CalcTimeFormatsTest(QueryTestCase):
    def test_hour_minute_and_time_seconds(self):
        app = model.App(7, "calc")
        app.properties = {"hm": prop("CALC", "hm", format="HOUR_MINUTE"),
                          "tm": prop("TIME", "tm"), "cd": prop("CALC", "cd", format="DATE")}
        for i, (hm, tm, cd) in enumerate([("25:01", "09:30", "2024-01-02"), ("1:30", "10:00", ""),
                                          ("-0:30", None, "2023-12-31"), ("", "23:00", "2024-01-01")], 1):
            app.add_record(model.Record(i, 1, {"hm": hm, "tm": tm, "cd": cd}))
        self.assertEqual(self.match('hm > "2:00"', app=app), [1])
        self.assertEqual(self.match('hm < "0:00"', app=app), [3])
        self.assertEqual(self.match('hm in ("1:30", "")', app=app), [2, 4])
        self.assertEqual(self.ids("order by hm desc", app=app), [1, 2, 3, 4])
        self.assertEqual(self.match('tm = "09:30:45"', app=app), [1])  # seconds dropped
        self.assertEqual(self.match('cd >= "2024-01-01"', app=app), [1, 4])
        self.assertEqual(self.ids("order by cd asc", app=app), [2, 3, 4, 1])
        self.assertError('hm = "abc"', "CB_VA01", app=app)


class LimitOffsetTest(QueryTestCase):
    def test_default_limit_100(self):
        app = model.App(4, "many")
        app.properties = {"n": prop("NUMBER", "n")}
        for i in range(1, 251):
            app.add_record(model.Record(i, 1, {"n": str(i)}))
        self.assertEqual(self.ids("", app=app), list(range(250, 150, -1)))
        self.assertEqual(len(self.ids("limit 500", app=app)), 250)
        self.assertEqual(self.ids("n > 10 order by n asc offset 5", app=app), list(range(16, 116)))

    def test_limit_zero_and_bounds(self):
        self.assertEqual(self.ids("limit 0"), [])
        self.assertEqual(query.execute(self.app, "limit 0", self.ctx, want_total=True), ([], 5))
        self.assertEqual(len(self.ids("limit 500")), 5)
        self.assertEqual(self.ids("offset 10000"), [])

    def test_limit_offset_errors(self):
        e = self.assertError("limit 501", "GAIA_QU01")
        self.assertEqual(e.status, 400)
        self.assertError("offset 10001", "GAIA_QU02")
        self.assertError("limit -5", "CB_VA01")
        self.assertError("offset -1", "CB_VA01")

    def test_total_count(self):
        recs, total = query.execute(self.app, 'num > 0 limit 1', self.ctx, want_total=True)
        self.assertEqual(([r.id for r in recs], total), ([4], 2))
        recs, total = query.execute(self.app, 'num > 0 limit 1', self.ctx)
        self.assertIsNone(total)
        recs, total = query.execute(self.app, 'order by num desc limit 1 offset 1', self.ctx, want_total=True)
        self.assertEqual(([r.id for r in recs], total), ([1], 5))

    def test_cursor_mode(self):
        self.assertError("limit 5", "CB_VA01", cursor=True)
        self.assertError("offset 0", "CB_VA01", cursor=True)
        self.assertError('text = "a" order by $id asc limit 1', "CB_VA01", cursor=True)
        app = model.App(5, "many")
        app.properties = {"n": prop("NUMBER", "n")}
        for i in range(1, 1201):
            app.add_record(model.Record(i, 1, {"n": str(i % 7)}))
        recs, total = query.execute(app, "n = 3 order by $id asc", self.ctx, cursor=True, want_total=True)
        expected = [i for i in range(1, 1201) if i % 7 == 3]
        self.assertEqual(([r.id for r in recs], total), (expected, len(expected)))
        recs, _ = query.execute(app, "", self.ctx, cursor=True)
        self.assertEqual(len(recs), 1200)


class MatrixTest(QueryTestCase):
    """Every operator x field type cell of contract 7.3."""

    OPS = ["=", "!=", ">", "<", ">=", "<=", "in", "not in", "like", "not like", "is", "is not"]
    SAMPLE = {  # a literal valid for the type
        "$id": "1", "レコード番号": "1", "作成者": '"sato"', "更新者": '"sato"',
        "作成日時": '"2024-01-01T00:00:00Z"', "更新日時": '"2024-01-01T00:00:00Z"',
        "text": '"a"', "link": '"a"', "num": "1", "calc": "1", "calc_dt": '"2024-01-01T00:00:00Z"',
        "mtext": '"a"', "rich": '"a"', "cb": '"A"', "ms": '"A"', "radio": '"A"', "dd": '"A"',
        "file": '"a"', "date": '"2024-01-01"', "time": '"10:00"', "dt": '"2024-01-01T00:00:00Z"',
        "user": '"sato"', "org": '"dev"', "grp": '"admins"', "ステータス": '"完了"',
        "作業者": '"sato"', "カテゴリー": '"cat1"',
    }
    EQ, CMP, IN, LIKE, EMPTY = ["=", "!="], [">", "<", ">=", "<="], ["in", "not in"], \
        ["like", "not like"], ["is", "is not"]
    ALLOWED = {
        "$id": EQ + CMP + IN, "レコード番号": EQ + CMP + IN, "作成者": IN, "更新者": IN,
        "作成日時": EQ + CMP, "更新日時": EQ + CMP, "text": EQ + IN + LIKE, "link": EQ + IN + LIKE,
        "num": EQ + CMP + IN, "calc": EQ + CMP + IN, "calc_dt": EQ + CMP + IN,
        "mtext": LIKE + EMPTY, "rich": LIKE + EMPTY, "cb": IN, "ms": IN, "radio": IN, "dd": IN,
        "file": LIKE + EMPTY, "date": EQ + CMP, "time": EQ + CMP, "dt": EQ + CMP,
        "user": IN, "org": IN, "grp": IN, "ステータス": EQ + IN, "作業者": IN, "カテゴリー": IN,
    }

    @staticmethod
    def build(code, op, literal):
        if op in ("in", "not in"):
            return "%s %s (%s)" % (code, op, literal)
        if op in ("is", "is not"):
            return "%s %s empty" % (code, op)
        if op in ("like", "not like"):
            return '%s %s "a"' % (code, op)
        return "%s %s %s" % (code, op, literal)

    def test_matrix(self):
        for code, allowed in self.ALLOWED.items():
            for op in self.OPS:
                text = self.build(code, op, self.SAMPLE[code])
                with self.subTest(q=text):
                    if op in allowed:
                        query.execute(self.app, text, self.ctx)  # must not raise
                    else:
                        self.assertError(text, "GAIA_IQ03", {"field": code, "op": op})

    def test_subtable_matrix(self):
        inner = {  # inner code: (literal, allowed ops besides is/is not)
            "t_text": ('"x"', self.IN + self.LIKE),
            "t_num": ("1", self.CMP + self.IN),
            "t_dd": ('"A"', self.IN),
            "t_date": ('"2024-01-01"', self.CMP),
        }
        for code, (literal, allowed) in inner.items():
            for op in self.OPS:
                text = self.build(code, op, literal)
                with self.subTest(q=text):
                    if op in ("=", "!="):
                        self.assertError(text, "GAIA_IQ07", {"field": code, "op": op})
                    elif op in allowed or op in ("is", "is not"):
                        query.execute(self.app, text, self.ctx)
                    else:
                        self.assertError(text, "GAIA_IQ03", {"field": code, "op": op})

    def test_layout_and_container_fields(self):
        self.assertError('table in ("x")', "GAIA_IQ03", {"field": "table", "op": "in"})
        self.assertError('ref in ("x")', "GAIA_IQ03", {"field": "ref", "op": "in"})
        self.assertError('group1 = "x"', "GAIA_IQ03", {"field": "group1", "op": "="})

    def test_unknown_field(self):
        self.assertError('nosuch = "x"', "GAIA_IQ11", {"field": "nosuch"})
        self.assertError('Text = "x"', "GAIA_IQ11", {"field": "Text"})  # codes are case-sensitive
        self.assertError('$revision = 1', "GAIA_IQ11", {"field": "$revision"})
        self.assertError("order by nosuch", "GAIA_IQ11", {"field": "nosuch"})

    def test_disabled_status_fields_are_unknown(self):
        app = make_app()
        app.properties["ステータス"]["enabled"] = False
        app.properties = dict(app.properties)
        self.assertError('ステータス in ("完了")', "GAIA_IQ11", {"field": "ステータス"}, app=app)

    def test_dotted_reference(self):
        self.assertError('table.t_text in ("x")', "GAIA_IR02", {"field": "table"})
        self.assertError('text.x in ("x")', "GAIA_IR02", {"field": "text"})
        self.assertError('nosuch.x in ("x")', "GAIA_IR02", {"field": "nosuch"})
        # No related app here: no record has a related record, so "in" matches none and its
        # negation "not in" all (the real matching is tested in test_fidelity over app 2).
        self.assertEqual(self.match('ref.name in ("x")'), [])
        self.assertEqual(self.match('ref.name not in ("x")'), [1, 2, 3, 4, 5])
        self.assertError('ref.name = "x"', "GAIA_IQ03", {"field": "ref.name", "op": "="})

    def test_option_values_checked(self):
        self.assertError('dd in ("Z")', "GAIA_IQ10", {"value": "Z", "field": "dd"})
        self.assertError('cb not in ("A", "Q")', "GAIA_IQ10", {"value": "Q", "field": "cb"})
        self.assertError('radio in ("a")', "GAIA_IQ10", {"value": "a", "field": "radio"})
        self.assertError('ms in ("D")', "GAIA_IQ10", {"value": "D", "field": "ms"})
        self.assertError('t_dd in ("C")', "GAIA_IQ10", {"value": "C", "field": "t_dd"})
        self.assertEqual(self.match('dd in ("", "A")'), [1, 2, 3, 5])

    def test_functions_only_where_allowed(self):
        for text in ['text in (LOGINUSER())', 'num = TODAY()', 'time = NOW()', 'date = NOW()',
                     'user in (PRIMARY_ORGANIZATION())', 'org in (LOGINUSER())',
                     'grp in (LOGINUSER())', 'calc_dt = TODAY()', 'ステータス = TODAY()',
                     'dt = LOGINUSER()', 'カテゴリー in (LOGINUSER())']:
            with self.subTest(q=text):
                self.assertError(text, "GAIA_IL08")

    def test_function_argument_errors(self):
        self.assertError("date = FROM_TODAY(1)", "GAIA_IL08")
        self.assertError("date = FROM_TODAY()", "GAIA_IL08")
        self.assertError("date = FROM_TODAY(1, DAYS, 2)", "GAIA_IL08")
        self.assertError("date = FROM_TODAY(X, DAYS)", "GAIA_IL08")
        self.assertError("date = FROM_TODAY(1, HOURS)", "GAIA_IQ25", {"value": "HOURS"})
        self.assertError("date = TODAY(1)", "GAIA_IL08")
        self.assertError("dt = NOW(1)", "GAIA_IL08")
        self.assertError("作成者 in (LOGINUSER(1))", "GAIA_IL08")
        self.assertError("date = THIS_MONTH(32)", "GAIA_IQ23", {"value": "32"})
        self.assertError("date = LAST_MONTH(0)", "GAIA_IQ23", {"value": "0"})
        self.assertError("date = NEXT_MONTH(FIRST)", "GAIA_IQ23", {"value": "FIRST"})
        self.assertError("date = THIS_MONTH(1, 2)", "GAIA_IL08")
        self.assertError("date = THIS_WEEK(FUNDAY)", "GAIA_IL08")
        self.assertError("date = THIS_WEEK(MONDAY, TUESDAY)", "GAIA_IL08")
        self.assertError('date = FROM_TODAY(1, "DAYS")', "GAIA_IL08")
        self.assertError("date = THIS_YEAR(2024)", "GAIA_IL08")

    def test_bad_literals(self):
        for text in ['num = "abc"', 'num > "1,000"', '$id = "x"', 'レコード番号 = "OTHER-1"',
                     'date = "2024-02-30"', 'date = "2024/01/01"', 'date = "2024-01-01T00:00:00Z"',
                     'time = "25:00"', 'dt = "2024-13-01T00:00:00Z"', 'dt = "yesterday"',
                     'calc_dt in ("2024-01-01")', '作成日時 > "2024-01-01T00:00:00+2500"']:
            with self.subTest(q=text):
                self.assertError(text, "CB_VA01")


class SemanticsTest(QueryTestCase):
    def test_id_and_record_number(self):
        self.assertEqual(self.match("$id = 3"), [3])
        self.assertEqual(self.match("$id != 3"), [1, 2, 4, 5])
        self.assertEqual(self.match("$id > 3"), [4, 5])
        self.assertEqual(self.match("$id >= 3"), [3, 4, 5])
        self.assertEqual(self.match('$id < "3"'), [1, 2])
        self.assertEqual(self.match("$id <= 3"), [1, 2, 3])
        self.assertEqual(self.match("$id in (1, 5, 99)"), [1, 5])
        self.assertEqual(self.match("$id not in (1, 5)"), [2, 3, 4])
        self.assertEqual(self.match("レコード番号 in (2, 4)"), [2, 4])
        self.assertEqual(self.match("$id > -1 and $id < 3"), [1, 2])
        self.assertEqual(self.match('$id = ""'), [])
        self.assertEqual(self.match('$id != ""'), ALL)

    def test_record_number_with_app_code(self):
        app = make_app(code="CODE")
        self.assertEqual(self.match('レコード番号 = "CODE-2"', app=app), [2])
        self.assertEqual(self.match('レコード番号 = "2"', app=app), [2])
        self.assertEqual(self.match('レコード番号 > "CODE-3"', app=app), [4, 5])
        self.assertEqual(self.match('レコード番号 in ("CODE-1", 4)', app=app), [1, 4])
        self.assertEqual(self.match('$id = "CODE-2"', app=app), [2])

    def test_creator_modifier(self):
        self.assertEqual(self.match('作成者 in ("sato")'), [1, 4])
        self.assertEqual(self.match('作成者 not in ("sato", "tanaka")'), [2, 5])
        self.assertEqual(self.match('更新者 in (LOGINUSER())'), [2, 4])
        self.assertEqual(self.match('作成者 in (LOGINUSER(), "tanaka")', context=ctx(login_user="suzuki")),
                         [2, 3, 5])
        self.assertEqual(self.match('作成者 in (LOGINUSER())', context=ctx(login_user=None)), [])
        self.assertEqual(self.match('作成者 not in (LOGINUSER())', context=ctx(login_user=None)), ALL)

    def test_created_updated_time(self):
        self.assertEqual(self.match('作成日時 = "2024-02-01T09:15:00Z"'), [2])
        self.assertEqual(self.match('作成日時 = "2024-02-01T18:15:00+09:00"'), [2])
        self.assertEqual(self.match('作成日時 = "2024-02-01T18:15:00+0900"'), [2])
        self.assertEqual(self.match('作成日時 != "2024-02-01T09:15:00Z"'), [1, 3, 4, 5])
        self.assertEqual(self.match('作成日時 > "2024-03-01T00:00:00Z"'), [4, 5])
        self.assertEqual(self.match('作成日時 >= "2024-03-01T00:00:00Z"'), [3, 4, 5])
        self.assertEqual(self.match('作成日時 < "2024-02-01T09:15:00Z"'), [1])
        self.assertEqual(self.match('作成日時 <= "2024-02-01T09:15:00Z"'), [1, 2])
        self.assertEqual(self.match('更新日時 > "2024-03-01T12:00:00Z"'), [4, 5])
        # a bare date means the whole day in the caller's time zone (Tokyo: UTC+9)
        self.assertEqual(self.match('作成日時 = "2024-03-01"'), [3])  # 00:00Z = 09:00 JST
        self.assertEqual(self.match('作成日時 = "2024-03-02"'), [4])  # 15:00Z = 00:00 JST next day
        self.assertEqual(self.match('作成日時 = "2024-03-01"', context=ctx(tz=UTC)), [3, 4])

    def test_text_and_link(self):
        self.assertEqual(self.match('text = "Apple"'), [1])
        self.assertEqual(self.match('text = "apple"'), [])  # exact, case-sensitive
        self.assertEqual(self.match('text != "Apple"'), [2, 3, 4, 5])
        self.assertEqual(self.match('text = ""'), [3, 5])
        self.assertEqual(self.match('text != ""'), [1, 2, 4])
        self.assertEqual(self.match('text in ("banana", "")'), [2, 3, 5])
        self.assertEqual(self.match('text not in ("banana", "")'), [1, 4])
        self.assertEqual(self.match('text like "apple"'), [1, 4])  # case-insensitive substring
        self.assertEqual(self.match('text like "PIE"'), [4])
        self.assertEqual(self.match('text not like "apple"'), [2, 3, 5])
        self.assertEqual(self.match('text like ""'), [1, 2, 4])
        self.assertEqual(self.match('link like "example.com"'), [1])
        self.assertEqual(self.match('link = ""'), [2, 3, 4, 5])
        self.assertEqual(self.match('link in ("https://example.com/a")'), [1])

    def test_number_and_calc(self):
        self.assertEqual(self.match("num = 10"), [1])
        self.assertEqual(self.match('num = "10.0"'), [1])
        self.assertEqual(self.match("num != 10"), [2, 3, 4, 5])
        self.assertEqual(self.match("num > 9.5"), [1, 4])
        self.assertEqual(self.match("num < 0"), [2])
        self.assertEqual(self.match("num <= -5.5"), [2])
        self.assertEqual(self.match("num >= -5.5"), [1, 2, 4])
        self.assertEqual(self.match("num > 9 and num < 11"), [1])
        self.assertEqual(self.match("num in (10, 100)"), [1, 4])
        self.assertEqual(self.match('num in (-5.5, "")'), [2, 3, 5])
        self.assertEqual(self.match("num not in (10)"), [2, 3, 4, 5])
        self.assertEqual(self.match('num = ""'), [3, 5])
        self.assertEqual(self.match('num != ""'), [1, 2, 4])
        self.assertEqual(self.match('num > ""'), [])
        self.assertEqual(self.match("num > 2 or num < 1"), [1, 2, 4])  # numeric, not textual
        self.assertEqual(self.match("calc = 20"), [1])
        self.assertEqual(self.match("calc >= 0"), [1, 3])
        self.assertEqual(self.match('calc = ""'), [2, 4, 5])
        self.assertEqual(self.match('calc_dt = "2024-01-01T09:00:00+09:00"'), [1])
        self.assertEqual(self.match('calc_dt > "2023-12-31T00:00:00Z"'), [1])
        self.assertEqual(self.match('calc_dt in ("2024-01-01T00:00:00Z")'), [1])

    def test_multi_line_and_rich_text(self):
        self.assertEqual(self.match('mtext like "HELLO"'), [1])
        self.assertEqual(self.match('mtext not like "hello"'), [2, 3, 4, 5])
        self.assertEqual(self.match("mtext is empty"), [2, 3, 4, 5])  # whitespace-only is empty
        self.assertEqual(self.match("mtext is not empty"), [1])
        self.assertEqual(self.match('rich like "bold text & more"'), [1])  # tags/entities dropped
        self.assertEqual(self.match('rich like "div"'), [])
        self.assertEqual(self.match("rich is empty"), [2, 3, 4, 5])  # "<div><br></div>" is empty
        self.assertEqual(self.match("rich is not empty"), [1])

    def test_check_box_and_multi_select(self):
        self.assertEqual(self.match('cb in ("A")'), [1])
        self.assertEqual(self.match('cb in ("B", "C")'), [1, 3])
        self.assertEqual(self.match('cb not in ("A")'), [2, 3, 4, 5])  # empty selection included
        self.assertEqual(self.match('cb in ("")'), [2, 4, 5])
        self.assertEqual(self.match('cb not in ("")'), [1, 3])
        self.assertEqual(self.match('cb not in ("", "C")'), [1])
        self.assertEqual(self.match('ms in ("C")'), [2])
        self.assertEqual(self.match('ms not in ("A", "")'), [2])

    def test_radio_and_drop_down(self):
        self.assertEqual(self.match('radio in ("A")'), [1])
        self.assertEqual(self.match('radio in ("")'), [3, 4, 5])
        self.assertEqual(self.match('radio not in ("A")'), [2, 3, 4, 5])
        self.assertEqual(self.match('dd in ("")'), [2, 3, 5])  # None, "" and never written
        self.assertEqual(self.match('dd not in ("", "A")'), [4])
        self.assertEqual(self.match('dd in ("A", "C")'), [1, 4])

    def test_file(self):
        self.assertEqual(self.match('file like "report"'), [1])
        self.assertEqual(self.match('file like "photo.png"'), [3])
        self.assertEqual(self.match('file not like "report"'), [2, 3, 4, 5])
        self.assertEqual(self.match("file is empty"), [2, 4, 5])
        self.assertEqual(self.match("file is not empty"), [1, 3])

    def test_date_and_time(self):
        self.assertEqual(self.match('date = "2024-02-29"'), [2])
        self.assertEqual(self.match('date = "2024-3-1"'), [1])  # zero-filled
        self.assertEqual(self.match('date != "2024-02-29"'), [1, 3, 4, 5])
        self.assertEqual(self.match('date > "2024-02-29"'), [1, 4])
        self.assertEqual(self.match('date >= "2024-02-29"'), [1, 2, 4])
        self.assertEqual(self.match('date < "2024-03-01"'), [2])
        self.assertEqual(self.match('date <= "2024-03-01"'), [1, 2])
        self.assertEqual(self.match('date = ""'), [3, 5])
        self.assertEqual(self.match('date != ""'), [1, 2, 4])
        self.assertEqual(self.match('time = "09:30"'), [1])
        self.assertEqual(self.match('time = "9:30"'), [1])
        self.assertEqual(self.match('time > "09:30"'), [2])
        self.assertEqual(self.match('time <= "09:30"'), [1, 4])
        self.assertEqual(self.match('time = ""'), [3, 5])

    def test_datetime(self):
        self.assertEqual(self.match('dt = "2024-03-01T00:30:00Z"'), [1])
        self.assertEqual(self.match('dt = "2024-03-01T09:30:00+09:00"'), [1])
        self.assertEqual(self.match('dt = "2024-03-01T09:30+09:00"'), [1])
        self.assertEqual(self.match('dt = "2024-03-01T09:30:00"'), [1])  # no offset: caller's TZ
        self.assertEqual(self.match('dt > "2024-03-01T00:30:00Z"'), [4])
        self.assertEqual(self.match('dt >= "2024-03-01T00:30:00Z"'), [1, 4])
        self.assertEqual(self.match('dt < "2024-03-01T00:30:00Z"'), [2])
        self.assertEqual(self.match('dt <= "2024-03-01T00:30:00Z"'), [1, 2])
        self.assertEqual(self.match('dt != "2024-03-01T00:30:00Z"'), [2, 3, 4, 5])
        self.assertEqual(self.match('dt = ""'), [3, 5])
        # bare dates are days in the caller's time zone: 2024-03-01 JST = [02-29T15:00Z, 03-01T15:00Z)
        self.assertEqual(self.match('dt = "2024-03-01"'), [1, 2])
        self.assertEqual(self.match('dt != "2024-03-01"'), [3, 4, 5])
        self.assertEqual(self.match('dt < "2024-03-01"'), [])
        self.assertEqual(self.match('dt <= "2024-03-01"'), [1, 2])
        self.assertEqual(self.match('dt > "2024-03-01"'), [4])
        self.assertEqual(self.match('dt >= "2024-03-01"'), [1, 2, 4])
        self.assertEqual(self.match('dt = "2024-03-01"', context=ctx(tz=UTC)), [1, 4])

    def test_user_org_group_select(self):
        self.assertEqual(self.match('user in ("sato")'), [1, 3])
        self.assertEqual(self.match('user not in ("sato")'), [2, 4, 5])
        self.assertEqual(self.match('user in ("")'), [2, 4, 5])
        self.assertEqual(self.match('user in (LOGINUSER())', context=ctx(login_user="tanaka")), [3])
        self.assertEqual(self.match('org in ("dev", "sales")'), [1, 2])
        self.assertEqual(self.match('org in (PRIMARY_ORGANIZATION())'), [1])
        self.assertEqual(self.match('org not in (PRIMARY_ORGANIZATION())'), [2, 3, 4, 5])
        self.assertEqual(self.match('grp in ("staff")'), [3])
        self.assertEqual(self.match('grp not in ("admins")'), [2, 4, 5])

    def test_primary_organization_missing_ignores_condition(self):
        no_org = ctx(primary_org=None)
        self.assertEqual(self.match('org in (PRIMARY_ORGANIZATION())', context=no_org), ALL)
        self.assertEqual(self.match('org in (PRIMARY_ORGANIZATION()) and num > 0', context=no_org), [1, 4])
        # Left out of an 'or' as well: the other branch still applies (contract 7.4).
        self.assertEqual(self.match('num > 0 or org in (PRIMARY_ORGANIZATION())', context=no_org), [1, 4])
        self.assertEqual(self.match('org in (PRIMARY_ORGANIZATION()) or org in (PRIMARY_ORGANIZATION())',
                                    context=no_org), ALL)
        # the same compiled query still honours a context that has one
        self.assertEqual(self.match('org in (PRIMARY_ORGANIZATION()) and num > 0'), [1])

    def test_status_assignee_category(self):
        self.assertEqual(self.match('ステータス = "未処理"'), [1, 3])
        self.assertEqual(self.match('ステータス != "未処理"'), [2, 4, 5])
        self.assertEqual(self.match('ステータス in ("完了", "処理中")'), [2, 4])
        self.assertEqual(self.match('ステータス not in ("完了")'), [1, 3, 4, 5])
        self.assertEqual(self.match('作業者 in (LOGINUSER())'), [1])
        self.assertEqual(self.match('作業者 in ("tanaka")'), [3])
        self.assertEqual(self.match('作業者 not in ("tanaka")'), [1, 2, 4, 5])
        self.assertEqual(self.match('カテゴリー in ("cat2")'), [3])
        self.assertEqual(self.match('カテゴリー in ("")'), [2, 4, 5])
        self.assertEqual(self.match('カテゴリー not in ("cat1")'), [2, 4, 5])


class SubtableTest(QueryTestCase):
    def test_positive_operators_any_row(self):
        self.assertEqual(self.match('t_text in ("y")'), [1])
        self.assertEqual(self.match('t_text in ("x")'), [1, 2])
        self.assertEqual(self.match('t_num > 4'), [1, 2])
        self.assertEqual(self.match('t_num < 2'), [1])
        self.assertEqual(self.match('t_num >= 5'), [1, 2])
        self.assertEqual(self.match('t_num <= 1'), [1])
        self.assertEqual(self.match('t_text like "Z"'), [4])
        self.assertEqual(self.match('t_dd in ("B")'), [1, 2])
        self.assertEqual(self.match('t_num is empty'), [4])
        self.assertEqual(self.match('t_date < "2024-01-15"'), [1])

    def test_negative_operators_every_row(self):
        self.assertEqual(self.match('t_text not in ("y")'), [2, 4])  # 3 and 5 have no rows
        self.assertEqual(self.match('t_text not in ("x")'), [4])
        self.assertEqual(self.match('t_text not like "x"'), [4])
        self.assertEqual(self.match('t_num is not empty'), [1, 2])
        self.assertEqual(self.match('t_dd not in ("")'), [1, 2])

    def test_empty_table_never_matches(self):
        self.assertEqual(self.match('t_text in ("")'), [])  # row 4 has "z", 3/5 have no rows
        self.assertEqual(self.match('t_dd in ("")'), [4])
        self.assertNotIn(3, self.match('t_num is empty'))
        self.assertNotIn(3, self.match('t_text not in ("q")'))

    def test_same_row_rule(self):
        # record 1 rows: (x, 1), (y, 5); record 2: (x, 5)
        self.assertEqual(self.match('t_text in ("x") and t_num > 4'), [2])
        self.assertEqual(self.match('t_text in ("y") and t_num > 4'), [1])
        self.assertEqual(self.match('t_text in ("x") and t_dd in ("A")'), [1])
        # across separate and-groups (or parentheses with or) rows are independent
        self.assertEqual(self.match('(t_text in ("x") or $id = 0) and t_num > 4'), [1, 2])
        # mixed with a non-table condition
        self.assertEqual(self.match('t_text in ("x") and num > 0 and t_num > 4'), [])
        self.assertEqual(self.match('t_text in ("x") and num < 0 and t_num > 4'), [2])
        # negative conditions keep their every-row meaning within the group
        self.assertEqual(self.match('t_text in ("x") and t_num not in ("1")'), [2])
        self.assertEqual(self.match('t_dd not in ("A") and t_text not in ("q")'), [2, 4])


class DateFunctionTest(QueryTestCase):
    """Fixed clock NOW = 2024-03-01T12:00:30Z: Apia (UTC+13) is on Saturday 2024-03-02,
    Honolulu (UTC-10) on Friday 2024-03-01."""

    @classmethod
    def setUpClass(cls):
        cls.days = {}
        app = model.App(9, "dates")
        app.properties = {"d": prop("DATE", "d"), "dt": prop("DATETIME", "dt"),
                          "c": prop("CREATED_TIME", "c")}
        start = datetime.date(2022, 12, 1)
        for i in range(900):  # 2022-12-01 .. 2025-05-18
            day = start + datetime.timedelta(days=i)
            cls.days[day] = i + 1
            app.add_record(model.Record(i + 1, 1, {"d": day.isoformat()}))
        cls.date_app = app

    def day_ids(self, first, last):
        out, day = [], first
        while day <= last:
            if day in self.days:  # ranges may run past the data
                out.append(self.days[day])
            day += datetime.timedelta(days=1)
        return out

    def dates(self, cond, tz):
        return self.match(cond, context=ctx(tz=tz), app=self.date_app)

    def check(self, func, apia, honolulu):
        """apia/honolulu: (first, last) inclusive dates of the function's range."""
        D = datetime.date
        for tz, (a, b) in ((APIA, apia), (HONOLULU, honolulu)):
            with self.subTest(func=func, tz=str(tz)):
                first, last = D(*a), D(*b)
                self.assertEqual(self.dates("d = %s" % func, tz), self.day_ids(first, last))

    def test_today_yesterday_tomorrow(self):
        self.check("TODAY()", ((2024, 3, 2), (2024, 3, 2)), ((2024, 3, 1), (2024, 3, 1)))
        self.check("YESTERDAY()", ((2024, 3, 1), (2024, 3, 1)), ((2024, 2, 29), (2024, 2, 29)))
        self.check("TOMORROW()", ((2024, 3, 3), (2024, 3, 3)), ((2024, 3, 2), (2024, 3, 2)))
        self.check("today()", ((2024, 3, 2), (2024, 3, 2)), ((2024, 3, 1), (2024, 3, 1)))

    def test_from_today(self):
        self.check("FROM_TODAY(5, DAYS)", ((2024, 3, 7),) * 2, ((2024, 3, 6),) * 2)
        self.check("FROM_TODAY(-30, DAYS)", ((2024, 2, 1),) * 2, ((2024, 1, 31),) * 2)
        self.check("FROM_TODAY(2, WEEKS)", ((2024, 3, 16),) * 2, ((2024, 3, 15),) * 2)
        self.check("FROM_TODAY(-1, MONTHS)", ((2024, 2, 2),) * 2, ((2024, 2, 1),) * 2)
        self.check("FROM_TODAY(1, YEARS)", ((2025, 3, 2),) * 2, ((2025, 3, 1),) * 2)
        self.check("FROM_TODAY(0, DAYS)", ((2024, 3, 2),) * 2, ((2024, 3, 1),) * 2)

    def test_from_today_month_end_clamp(self):
        c = ctx(tz=UTC, now=datetime.datetime(2024, 1, 31, 12, 0, tzinfo=UTC))
        feb29 = self.days[datetime.date(2024, 2, 29)]
        self.assertEqual(self.match("d = FROM_TODAY(1, MONTHS)", context=c, app=self.date_app), [feb29])

    def test_weeks(self):
        # Apia: Saturday 2024-03-02 -> week Sun 02-25 .. Sat 03-02; Honolulu: Fri 03-01 -> same week
        self.check("THIS_WEEK()", ((2024, 2, 25), (2024, 3, 2)), ((2024, 2, 25), (2024, 3, 2)))
        self.check("LAST_WEEK()", ((2024, 2, 18), (2024, 2, 24)), ((2024, 2, 18), (2024, 2, 24)))
        self.check("NEXT_WEEK()", ((2024, 3, 3), (2024, 3, 9)), ((2024, 3, 3), (2024, 3, 9)))
        self.check("THIS_WEEK(MONDAY)", ((2024, 2, 26),) * 2, ((2024, 2, 26),) * 2)
        self.check("NEXT_WEEK(SUNDAY)", ((2024, 3, 3),) * 2, ((2024, 3, 3),) * 2)
        self.check("LAST_WEEK(SATURDAY)", ((2024, 2, 24),) * 2, ((2024, 2, 24),) * 2)

    def test_week_boundary_differs_by_tz(self):
        # 2024-03-02T12:00Z: Apia is Sunday 03-03 (new week), Honolulu Saturday 03-02
        now = datetime.datetime(2024, 3, 2, 12, 0, tzinfo=UTC)
        a = self.match("d = THIS_WEEK(SUNDAY)", context=ctx(tz=APIA, now=now), app=self.date_app)
        h = self.match("d = THIS_WEEK(SUNDAY)", context=ctx(tz=HONOLULU, now=now), app=self.date_app)
        self.assertEqual(a, [self.days[datetime.date(2024, 3, 3)]])
        self.assertEqual(h, [self.days[datetime.date(2024, 2, 25)]])

    def test_months(self):
        self.check("THIS_MONTH()", ((2024, 3, 1), (2024, 3, 31)), ((2024, 3, 1), (2024, 3, 31)))
        self.check("LAST_MONTH()", ((2024, 2, 1), (2024, 2, 29)), ((2024, 2, 1), (2024, 2, 29)))
        self.check("NEXT_MONTH()", ((2024, 4, 1), (2024, 4, 30)), ((2024, 4, 1), (2024, 4, 30)))
        self.check("THIS_MONTH(15)", ((2024, 3, 15),) * 2, ((2024, 3, 15),) * 2)
        self.check("LAST_MONTH(LAST)", ((2024, 2, 29),) * 2, ((2024, 2, 29),) * 2)
        self.check("NEXT_MONTH(last)", ((2024, 4, 30),) * 2, ((2024, 4, 30),) * 2)
        self.check("NEXT_MONTH(31)", ((2024, 5, 1),) * 2, ((2024, 5, 1),) * 2)  # rolls over
        self.check("LAST_MONTH(1)", ((2024, 2, 1),) * 2, ((2024, 2, 1),) * 2)

    def test_month_differs_by_tz(self):
        now = datetime.datetime(2024, 3, 31, 12, 0, tzinfo=UTC)  # Apia: April 1st
        a = self.match("d = THIS_MONTH(1)", context=ctx(tz=APIA, now=now), app=self.date_app)
        h = self.match("d = THIS_MONTH(1)", context=ctx(tz=HONOLULU, now=now), app=self.date_app)
        self.assertEqual(a, [self.days[datetime.date(2024, 4, 1)]])
        self.assertEqual(h, [self.days[datetime.date(2024, 3, 1)]])

    def test_years(self):
        self.check("THIS_YEAR()", ((2024, 1, 1), (2024, 12, 31)), ((2024, 1, 1), (2024, 12, 31)))
        self.check("LAST_YEAR()", ((2023, 1, 1), (2023, 12, 31)), ((2023, 1, 1), (2023, 12, 31)))
        self.check("NEXT_YEAR()", ((2025, 1, 1), (2025, 12, 31)), ((2025, 1, 1), (2025, 12, 31)))

    def test_range_operators(self):
        D = datetime.date
        first, last = D(2022, 12, 1), D(2025, 5, 18)
        c = ctx(tz=HONOLULU)
        month = (D(2024, 3, 1), D(2024, 3, 31))
        cases = {
            "d != THIS_MONTH()": self.day_ids(first, D(2024, 2, 29)) + self.day_ids(D(2024, 4, 1), last),
            "d < THIS_MONTH()": self.day_ids(first, D(2024, 2, 29)),
            "d >= THIS_MONTH()": self.day_ids(month[0], last),
            "d > THIS_MONTH()": self.day_ids(D(2024, 4, 1), last),
            "d <= THIS_MONTH()": self.day_ids(first, month[1]),
            "d > TODAY()": self.day_ids(D(2024, 3, 2), last),
            "d <= TODAY()": self.day_ids(first, D(2024, 3, 1)),
            "d < TODAY() and d >= FROM_TODAY(-2, DAYS)": self.day_ids(D(2024, 2, 28), D(2024, 2, 29)),
        }
        for cond, expected in cases.items():
            with self.subTest(cond=cond):
                self.assertEqual(self.match(cond, context=c, app=self.date_app), expected)

    def test_datetime_functions(self):
        app = model.App(10, "dt")
        app.properties = {"dt": prop("DATETIME", "dt"), "c": prop("CREATED_TIME", "c")}
        instants = ["2024-03-01T10:59:00Z", "2024-03-01T11:00:00Z", "2024-03-01T12:00:00Z",
                    "2024-03-02T10:59:00Z", "2024-03-02T11:00:00Z", "2024-03-01T09:59:00Z",
                    "2024-03-01T10:00:00Z", ""]
        for i, v in enumerate(instants, 1):
            app.add_record(model.Record(i, 1, {"dt": v, "c": v or "2000-01-01T00:00:00Z"}))
        # Apia TODAY = 2024-03-02 local = [03-01T11:00Z, 03-02T11:00Z)
        self.assertEqual(self.match("dt = TODAY()", ctx(tz=APIA), app), [2, 3, 4])
        self.assertEqual(self.match("c = TODAY()", ctx(tz=APIA), app), [2, 3, 4])
        # Honolulu TODAY = 2024-03-01 local = [03-01T10:00Z, 03-02T10:00Z)
        self.assertEqual(self.match("dt = TODAY()", ctx(tz=HONOLULU), app), [1, 2, 3, 7])
        self.assertEqual(self.match("dt < TODAY()", ctx(tz=HONOLULU), app), [6])
        self.assertEqual(self.match("dt >= TODAY()", ctx(tz=HONOLULU), app), [1, 2, 3, 4, 5, 7])
        self.assertEqual(self.match("dt <= TODAY()", ctx(tz=HONOLULU), app), [1, 2, 3, 6, 7])
        self.assertEqual(self.match("dt > TODAY()", ctx(tz=HONOLULU), app), [4, 5])
        self.assertEqual(self.match("dt != TODAY()", ctx(tz=HONOLULU), app), [4, 5, 6, 8])
        # NOW() is minute precision (12:00:30 -> 12:00) and not TZ dependent
        for tz in (APIA, HONOLULU):
            self.assertEqual(self.match("dt = NOW()", ctx(tz=tz), app), [3])
            self.assertEqual(self.match("dt < NOW()", ctx(tz=tz), app), [1, 2, 6, 7])
            self.assertEqual(self.match("dt >= NOW()", ctx(tz=tz), app), [3, 4, 5])
            self.assertEqual(self.match("c > NOW()", ctx(tz=tz), app), [4, 5])

    def test_datetime_month_differs_by_tz(self):
        app = model.App(11, "dtm")
        app.properties = {"dt": prop("DATETIME", "dt")}
        for i, v in enumerate(["2024-02-29T10:30:00Z", "2024-02-29T11:30:00Z",
                               "2024-03-31T10:30:00Z", "2024-03-31T11:30:00Z"], 1):
            app.add_record(model.Record(i, 1, {"dt": v}))
        # Apia March = [02-29T11:00Z, 03-31T11:00Z); Honolulu March = [03-01T10:00Z, 04-01T10:00Z)
        self.assertEqual(self.match("dt = THIS_MONTH()", ctx(tz=APIA), app), [2, 3])
        self.assertEqual(self.match("dt = THIS_MONTH()", ctx(tz=HONOLULU), app), [3, 4])
        self.assertEqual(self.match("dt = LAST_MONTH(LAST)", ctx(tz=APIA), app), [1])
        self.assertEqual(self.match("dt = LAST_MONTH(LAST)", ctx(tz=HONOLULU), app), [1, 2])

    def test_cached_query_uses_current_clock(self):
        text = "d = TODAY()"
        first = self.match(text, context=ctx(tz=UTC), app=self.date_app)
        later = ctx(tz=UTC, now=NOW + datetime.timedelta(days=1))
        second = self.match(text, context=later, app=self.date_app)
        self.assertEqual(first, [self.days[datetime.date(2024, 3, 1)]])
        self.assertEqual(second, [self.days[datetime.date(2024, 3, 2)]])


class SortTest(QueryTestCase):
    def test_default_and_id_orders(self):
        self.assertEqual(self.ids(""), [5, 4, 3, 2, 1])
        self.assertEqual(self.ids("order by $id asc"), [1, 2, 3, 4, 5])
        self.assertEqual(self.ids("order by $id desc limit 2 offset 1"), [4, 3])
        self.assertEqual(self.ids("order by レコード番号 asc limit 2"), [1, 2])
        self.assertEqual(self.ids("order by $id"), [1, 2, 3, 4, 5])  # asc by default

    def test_number_sort_numeric_empty_first(self):
        self.assertEqual(self.ids("order by num asc"), [3, 5, 2, 1, 4])
        self.assertEqual(self.ids("order by num desc"), [4, 1, 2, 3, 5])

    def test_text_sort_code_points(self):
        # "" / missing first, then "APPLE pie" < "Apple" < "banana" (code points)
        self.assertEqual(self.ids("order by text asc"), [3, 5, 4, 1, 2])
        # code points: さ (U+3055) > こ (U+3053); empties last when descending, ties by $id asc
        self.assertEqual(self.ids("order by 日本語フィールド desc"), [2, 1, 3, 4, 5])

    def test_date_datetime_time_sort(self):
        self.assertEqual(self.ids("order by date asc"), [3, 5, 2, 1, 4])
        self.assertEqual(self.ids("order by dt desc"), [4, 1, 2, 3, 5])
        self.assertEqual(self.ids("order by time asc"), [3, 5, 4, 1, 2])
        self.assertEqual(self.ids("order by 作成日時 desc"), [5, 4, 3, 2, 1])

    def test_several_keys_and_tie_breaker(self):
        # creator codes: 1 sato, 2 suzuki, 3 tanaka, 4 sato, 5 suzuki
        self.assertEqual(self.ids("order by 作成者 asc, num desc"), [4, 1, 2, 5, 3])
        self.assertEqual(self.ids("order by 作成者 desc, $id desc"), [3, 5, 2, 4, 1])
        # ties keep $id ascending as the final implicit key
        self.assertEqual(self.ids("order by ステータス asc"), [5, 4, 2, 1, 3])
        self.assertEqual(self.ids('order by dd asc, radio desc limit 3 offset 1'), [3, 5, 1])

    def test_sort_with_condition_and_paging(self):
        recs, total = query.execute(self.app, "num != \"\" order by num asc limit 1 offset 1",
                                    self.ctx, want_total=True)
        self.assertEqual(([r.id for r in recs], total), ([1], 3))

    def test_unsortable_keys(self):
        for code in ["cb", "ms", "user", "org", "grp", "file", "mtext", "rich", "カテゴリー", "作業者",
                     "t_text", "table", "ref", "ref.name"]:
            with self.subTest(code=code):
                self.assertError("order by %s asc" % code, "CB_VA01")


class FastPathTest(unittest.TestCase):
    """The bisect/early-stop paths must give exactly what a brute-force evaluation gives."""

    @classmethod
    def setUpClass(cls):
        rnd = random.Random(7)
        app = model.App(20, "big")
        app.properties = {"n": prop("NUMBER", "n"), "dd": prop("DROP_DOWN", "dd", options=options("A", "B"))}
        rid = 0
        for _ in range(3000):
            rid += rnd.choice([1, 1, 2, 5])  # ids with gaps
            app.add_record(model.Record(rid, 1, {"n": str(rnd.randrange(100)), "dd": rnd.choice(["A", "B", None])}))
        cls.app = app
        cls.ctx = ctx()

    def brute(self, pred, desc, offset, limit):
        ids = [i for i in self.app.ids if pred(self.app.records[i])]
        if desc:
            ids.reverse()
        return ids[offset:offset + limit], len(ids)

    def test_equivalence(self):
        def n(r):
            return int(r.values["n"])
        cases = [
            ("$id > 1000 order by $id asc limit 500", lambda r: r.id > 1000, False, 0, 500),
            ("$id > 1000 and $id <= 2000 order by $id desc limit 100 offset 30",
             lambda r: 1000 < r.id <= 2000, True, 30, 100),
            ("(n < 50 and dd in (\"A\")) and $id > 700 order by $id asc limit 500",
             lambda r: n(r) < 50 and r.values["dd"] == "A" and r.id > 700, False, 0, 500),
            ("n >= 90 limit 50 offset 20", lambda r: n(r) >= 90, True, 20, 50),
            ("$id in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89) and n > 10 order by $id asc",
             lambda r: r.id in (1, 2, 3, 5, 8, 13, 21, 34, 55, 89) and n(r) > 10, False, 0, 100),
            ("$id >= 500 and $id < 400", lambda r: False, True, 0, 100),
            ("$id > 99999", lambda r: False, True, 0, 100),
            ("$id < 100 or n = 5 order by $id asc limit 500 offset 3",
             lambda r: r.id < 100 or n(r) == 5, False, 3, 500),
            ("$id = 1", lambda r: r.id == 1, True, 0, 100),
        ]
        for text, pred, desc, offset, limit in cases:
            for want_total in (False, True):
                with self.subTest(q=text, total=want_total):
                    recs, total = query.execute(self.app, text, self.ctx, want_total=want_total)
                    exp_ids, exp_total = self.brute(pred, desc, offset, limit)
                    self.assertEqual([r.id for r in recs], exp_ids)
                    self.assertEqual(total, exp_total if want_total else None)

    def test_seek_paging_covers_everything_once(self):
        seen, last = [], 0
        while True:
            recs, _ = query.execute(self.app, "$id > %d order by $id asc limit 500" % last, self.ctx)
            seen.extend(r.id for r in recs)
            if len(recs) < 500:
                break
            last = recs[-1].id
        self.assertEqual(seen, self.app.ids)

    def test_cache_follows_form_revision(self):
        app = make_app()
        c = ctx()
        self.assertEqual([r.id for r in query.execute(app, 'text = "Apple"', c)[0]], [1])
        props = dict(app.properties)
        del props["text"]
        app.properties = props
        app.settings_revision += 1
        with self.assertRaises(KintoneError) as cm:
            query.execute(app, 'text = "Apple"', c)
        self.assertEqual(cm.exception.code, "GAIA_IQ11")


if __name__ == "__main__":
    unittest.main()
