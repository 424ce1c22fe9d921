"""The Kintone query language (contract section 7): parser, compiler and executor.

Why this shape: queries arrive on every records.json / cursor call and benchmarks page through
100,000+ records with "$id > N order by $id asc limit 500", so the text is parsed once (LRU),
compiled once per app form revision into Python closures (no string parsing per record), and
executed with a fast path that bisects App.ids for top-level $id constraints and stops walking as
soon as offset+limit matches are found when the order is $id.

Public interface (used by the server):
    QueryContext(now, tz, login_user=None, primary_org=None, state=None)
    execute(app, query_text, ctx, *, cursor=False, want_total=False) -> (records, total)
    parse(query_text) -> Query (an immutable AST, see the namedtuples below)

Behaviours chosen where the contract is silent ([UNV]) are marked "CHOICE:" in comments:
- keywords, function names and function symbols are case-insensitive; field codes are not;
- limit/offset: negative, fractional or non-numeric -> CB_VA01 errors.query; options must be
  in the order order by -> limit -> offset, each at most once; in cursor mode any limit/offset
  -> CB_VA01 errors.query;
- a literal that cannot be read for the field type -> CB_VA01 errors.query;
- a function not allowed for the field type -> GAIA_IL08 (NOW() is refused on DATE; CALC
  accepts no function); a bad weekday argument -> GAIA_IL08;
- SUBTABLE / REFERENCE_TABLE (without dot) / GROUP codes -> GAIA_IQ03; codes absent from the
  form (LABEL, SPACER, HR, typos, a disabled STATUS/STATUS_ASSIGNEE/CATEGORY) -> GAIA_IQ11;
- IQ03 names the operator "is" / "is not" for is empty / is not empty (as SG does);
- RICH_TEXT allows is empty (visible text after dropping tags; "<div><br></div>" is empty);
  like on RICH_TEXT searches the visible text; like on FILE searches file names only;
- like = case-insensitive substring, % and _ literal, an empty value never matches like,
  like "" matches every non-empty value; not like is the exact negation;
- text '=' is exact (case-sensitive); '= ""' matches empty/whitespace-only values, '!= ""' the
  others; '!=' with a non-empty literal also matches empty values; '<' '>' ... never match an
  empty value and with a "" literal match nothing;
- in/not in treat an empty selection as the single value "": not in ("A") matches it;
- DATETIME literals: Z / +0900 / +09:00 are instants (seconds kept), no offset = caller's
  TZ, a bare date = that whole day [00:00, 24:00) in the caller's TZ; TIME literal seconds are
  dropped; in (...) on CALC DATETIME needs full instants;
- ranges (date functions, bare dates on DATETIME) are half-open [start, end): '=' within,
  '!=' outside, '<' before start, '>=' from start, '<=' before end, '>' from end (so '<= TODAY()'
  includes the whole of today, unlike a literal reading of contract 7.4);
- THIS_MONTH(31) in a short month rolls into the next month (as SG); FROM_TODAY(n, MONTHS/
  YEARS) clamps the day to the month's end; NOW() is minute precision;
- PRIMARY_ORGANIZATION() without a primary organization: the condition is left out of the
  query (in an 'and' or an 'or' alike: the other conditions still apply); LOGINUSER() without
  a login user (API token) matches nobody;
- subtables: positive operators need one matching row, negative ones >=1 row and all rows; in
  one and-group the positive conditions on one table must hold in the same row, the negative
  ones keep their every-row meaning; an empty table never matches;
- REF.code (a real REFERENCE_TABLE): in/not in accepted (others IQ03); a record matches when
  one of its related records has the value (see _RefNode);
- sorting: numbers numerically, dates/times chronologically, text/options/status/creator by
  code points; empty values first ascending, last descending; final tie-breaker $id ascending;
  non-sortable keys (multi-valued, long text, FILE, subtable fields, REF.code) -> CB_VA01.
"""

import bisect
import datetime
import decimal
import functools
import html
import itertools
import re
import threading
from collections import OrderedDict, namedtuple

from .errors import KintoneError, query_syntax_error

__all__ = ["QueryContext", "execute", "parse", "Query", "Cond", "And", "Or", "FieldRef", "Value"]

DEFAULT_LIMIT = 100
MAX_LIMIT = 500
MAX_OFFSET = 10000
_UTC = datetime.timezone.utc


class QueryContext:
    """Everything a query needs from the request: clock, caller's time zone and identity."""

    __slots__ = ("now", "tz", "login_user", "primary_org", "state")

    def __init__(self, now, tz, login_user=None, primary_org=None, state=None):
        self.now = now
        self.tz = tz if tz is not None else _UTC
        self.login_user = login_user
        self.primary_org = primary_org
        self.state = state


# ---------------------------------------------------------------------------------------------
# AST

FieldRef = namedtuple("FieldRef", "code ref")  # ref: REFERENCE_TABLE code for "REF.code", else None
Value = namedtuple("Value", "kind text args")  # kind: "str" | "num" | "func"; func: text=NAME, args
Cond = namedtuple("Cond", "field op values")  # op: = != > < >= <= in "not in" like "not like" is "is not"
And = namedtuple("And", "items")
Or = namedtuple("Or", "items")
SortKey = namedtuple("SortKey", "field desc")
Query = namedtuple("Query", "cond order limit offset")  # limit/offset None when absent


def _syntax():
    return query_syntax_error()


# ---------------------------------------------------------------------------------------------
# Tokenizer

_IDENT_CHARS = r"\w\u30fb\uff65"  # word chars (incl. kana/kanji/full-width, _ and ＿) plus ・ ･
_TOKEN_RE = re.compile(
    r"(?P<ws>[ \t\r\n\u3000]+)"
    r'|(?P<str>"(?:[^"\\\t\r\n]|\\[^\t\r\n])*")'
    r"|(?P<num>-?\d+(?:\.\d+)?)(?![" + _IDENT_CHARS + r"])"
    r"|(?P<word>\$?[" + _IDENT_CHARS + r"]+)"
    r"|(?P<op>!=|>=|<=|=|>|<)"
    r"|(?P<punct>[(),.])"
)
_ESCAPE_RE = re.compile(r"\\(.)", re.S)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r"}  # any other \x -> x (covers \" and \\)


def _unescape(body):
    return _ESCAPE_RE.sub(lambda m: _ESCAPES.get(m.group(1), m.group(1)), body)


def _tokenize(text):
    """-> list of (kind, value). A raw TAB/CR/LF inside a string, single quotes, backticks or
    any other stray character is a syntax error (CB_VA01)."""
    tokens = []
    pos, n = 0, len(text)
    match = _TOKEN_RE.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            raise _syntax()
        kind = m.lastgroup
        if kind == "str":
            tokens.append(("str", _unescape(m.group()[1:-1])))
        elif kind != "ws":
            tokens.append((kind, m.group()))
        pos = m.end()
    tokens.append(("end", None))
    return tokens


# ---------------------------------------------------------------------------------------------
# Parser

DATE_FUNCTIONS = frozenset([
    "NOW", "TODAY", "YESTERDAY", "TOMORROW", "FROM_TODAY",
    "THIS_WEEK", "LAST_WEEK", "NEXT_WEEK", "THIS_MONTH", "LAST_MONTH", "NEXT_MONTH",
    "THIS_YEAR", "LAST_YEAR", "NEXT_YEAR",
])
FUNCTIONS = DATE_FUNCTIONS | {"LOGINUSER", "PRIMARY_ORGANIZATION"}


class _Parser:
    def __init__(self, text):
        self.toks = _tokenize(text)
        self.i = 0

    def peek(self, k=0):
        return self.toks[self.i + k]

    def take(self):
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def is_kw(self, word, k=0):
        # Keywords are case-insensitive (CHOICE, contract 7.1 [UNV]).
        kind, val = self.toks[self.i + k]
        return kind == "word" and val.lower() == word

    def expect_kw(self, word):
        if not self.is_kw(word):
            raise _syntax()
        self.i += 1

    def expect_punct(self, ch):
        if self.peek() != ("punct", ch):
            raise _syntax()
        self.i += 1

    def at_options(self):
        # "order"/"limit"/"offset" start the options only when followed by what an option needs,
        # so a field that happens to be called "limit" still works as a condition.
        if self.is_kw("order") and self.is_kw("by", 1):
            return True
        return (self.is_kw("limit") or self.is_kw("offset")) and self.peek(1)[0] == "num"

    def query(self):
        cond = None
        if self.peek()[0] != "end" and not self.at_options():
            cond = self.expr()
        order, limit, offset = (), None, None
        if self.is_kw("order"):
            self.i += 1
            self.expect_kw("by")
            keys = [self.sort_key()]
            while self.peek() == ("punct", ","):
                self.i += 1
                keys.append(self.sort_key())
            order = tuple(keys)
        if self.is_kw("limit"):
            self.i += 1
            limit = self.int_option()
        if self.is_kw("offset"):
            self.i += 1
            offset = self.int_option()
        # Options strictly in the order order by -> limit -> offset; anything left is an error.
        if self.peek()[0] != "end":
            raise _syntax()
        return Query(cond, order, limit, offset)

    def int_option(self):
        kind, val = self.take()
        # CHOICE: negative, fractional or non-numeric limit/offset -> CB_VA01 errors.query.
        if kind != "num" or not re.fullmatch(r"\d+", val):
            raise _syntax()
        return int(val)

    def sort_key(self):
        field = self.field()
        desc = False
        if self.is_kw("asc"):
            self.i += 1
        elif self.is_kw("desc"):
            self.i += 1
            desc = True
        return SortKey(field, desc)

    def expr(self):
        items = [self.term()]
        while self.is_kw("or"):
            self.i += 1
            items.append(self.term())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def term(self):
        items = [self.factor()]
        while self.is_kw("and"):
            self.i += 1
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self):
        if self.peek() == ("punct", "("):
            self.i += 1
            e = self.expr()
            self.expect_punct(")")
            return e
        return self.condition()

    def field(self):
        kind, val = self.take()
        # A field code made only of digits tokenizes as a number; accept it as a code.
        if not (kind == "word" or (kind == "num" and val.isdigit())):
            raise _syntax()
        if self.peek() == ("punct", "."):
            self.i += 1
            kind2, val2 = self.take()
            if not (kind2 == "word" or (kind2 == "num" and val2.isdigit())) or val.startswith("$"):
                raise _syntax()
            return FieldRef(val2, val)
        return FieldRef(val, None)

    def condition(self):
        field = self.field()
        kind, val = self.peek()
        if kind == "op":
            self.i += 1
            return Cond(field, val, (self.value(),))
        negate = False
        if self.is_kw("not"):
            self.i += 1
            negate = True
            if not (self.is_kw("in") or self.is_kw("like")):
                raise _syntax()
        if self.is_kw("in"):
            self.i += 1
            self.expect_punct("(")
            values = [self.value()]
            while self.peek() == ("punct", ","):
                self.i += 1
                values.append(self.value())
            self.expect_punct(")")
            return Cond(field, "not in" if negate else "in", tuple(values))
        if self.is_kw("like"):
            self.i += 1
            kind, val = self.take()
            if kind != "str":
                raise _syntax()
            return Cond(field, "not like" if negate else "like", (Value("str", val, ()),))
        if self.is_kw("is"):
            self.i += 1
            op = "is"
            if self.is_kw("not"):
                self.i += 1
                op = "is not"
            self.expect_kw("empty")
            return Cond(field, op, ())
        raise _syntax()

    def value(self):
        kind, val = self.take()
        if kind == "str":
            return Value("str", val, ())
        if kind == "num":
            return Value("num", val, ())
        if kind == "word" and self.peek() == ("punct", "("):
            name = val.upper()  # CHOICE: function names and symbols are case-insensitive
            if name not in FUNCTIONS:
                raise _syntax()  # unknown function -> CB_VA01
            self.i += 1
            args = []
            if self.peek() != ("punct", ")"):
                args.append(self.func_arg())
                while self.peek() == ("punct", ","):
                    self.i += 1
                    args.append(self.func_arg())
            self.expect_punct(")")
            return Value("func", name, tuple(args))
        raise _syntax()

    def func_arg(self):
        kind, val = self.take()
        if kind == "num":
            return val
        if kind == "word":
            return val.upper()
        if kind == "str":
            return ("str", val)  # rejected later with GAIA_IL08 (arguments are bare)
        raise _syntax()


@functools.lru_cache(maxsize=1024)
def _parse_cached(text):
    return _Parser(text).query()


def parse(query_text):
    """Parse a query into an immutable Query AST; raises KintoneError CB_VA01 on syntax errors
    (also when query_text is not a string, e.g. a number in a JSON body)."""
    if query_text is None:
        query_text = ""
    elif not isinstance(query_text, str):
        raise _syntax()
    return _parse_cached(query_text)


# ---------------------------------------------------------------------------------------------
# Field kinds and value conversion

EQ = frozenset(["=", "!="])
CMP = frozenset([">", "<", ">=", "<="])
IN = frozenset(["in", "not in"])
LIKE = frozenset(["like", "not like"])
EMPTY = frozenset(["is", "is not"])
NEGATIVE_OPS = frozenset(["not in", "not like", "is not"])

# Operator matrix of contract 7.3 (CHOICE: RICH_TEXT allows is empty; STATUS_ASSIGNEE and
# CATEGORY allow in/not in).
ALLOWED_OPS = {
    "__ID__": EQ | CMP | IN,
    "RECORD_NUMBER": EQ | CMP | IN,
    "CREATOR": IN,
    "MODIFIER": IN,
    "CREATED_TIME": EQ | CMP,
    "UPDATED_TIME": EQ | CMP,
    "SINGLE_LINE_TEXT": EQ | IN | LIKE,
    "LINK": EQ | IN | LIKE,
    "NUMBER": EQ | CMP | IN,
    "CALC": EQ | CMP | IN,
    "MULTI_LINE_TEXT": LIKE | EMPTY,
    "RICH_TEXT": LIKE | EMPTY,
    "CHECK_BOX": IN,
    "MULTI_SELECT": IN,
    "RADIO_BUTTON": IN,
    "DROP_DOWN": IN,
    "FILE": LIKE | EMPTY,
    "DATE": EQ | CMP,
    "TIME": EQ | CMP,
    "DATETIME": EQ | CMP,
    "USER_SELECT": IN,
    "ORGANIZATION_SELECT": IN,
    "GROUP_SELECT": IN,
    "STATUS": EQ | IN,
    "STATUS_ASSIGNEE": IN,
    "CATEGORY": IN,
}

# Functions allowed per field type (anything else -> GAIA_IL08, CHOICE). NOW() is refused on
# DATE (CHOICE). CALC fields accept no functions (matrix).
_DAY_FUNCTIONS = DATE_FUNCTIONS - {"NOW"}
ALLOWED_FUNCTIONS = {
    "CREATOR": {"LOGINUSER"},
    "MODIFIER": {"LOGINUSER"},
    "USER_SELECT": {"LOGINUSER"},
    "STATUS_ASSIGNEE": {"LOGINUSER"},
    "ORGANIZATION_SELECT": {"PRIMARY_ORGANIZATION"},
    "DATE": _DAY_FUNCTIONS,
    "DATETIME": DATE_FUNCTIONS,
    "CREATED_TIME": DATE_FUNCTIONS,
    "UPDATED_TIME": DATE_FUNCTIONS,
}

# Sortable types -> kind used for the key. CHOICE: everything else (multi-valued, long text,
# FILE, subtable inner fields, related records) is refused with CB_VA01 errors.query.
SORTABLE = frozenset([
    "__ID__", "RECORD_NUMBER", "CREATOR", "MODIFIER", "CREATED_TIME", "UPDATED_TIME",
    "SINGLE_LINE_TEXT", "LINK", "NUMBER", "CALC", "RADIO_BUTTON", "DROP_DOWN", "DATE", "TIME",
    "DATETIME", "STATUS",
])

_CALC_KINDS = {
    "NUMBER": "number", "NUMBER_DIGIT": "number", "DATE": "date", "TIME": "time",
    "DATETIME": "datetime", "HOUR_MINUTE": "hm", "DAY_HOUR_MINUTE": "hm",
}
_TYPE_KINDS = {
    "__ID__": "id", "RECORD_NUMBER": "id",
    "CREATOR": "entity", "MODIFIER": "entity",
    "CREATED_TIME": "datetime", "UPDATED_TIME": "datetime", "DATETIME": "datetime",
    "SINGLE_LINE_TEXT": "text", "LINK": "text", "STATUS": "text",
    "RADIO_BUTTON": "option", "DROP_DOWN": "option",
    "NUMBER": "number", "MULTI_LINE_TEXT": "text", "RICH_TEXT": "rich",
    "CHECK_BOX": "list", "MULTI_SELECT": "list", "CATEGORY": "list",
    "FILE": "file", "DATE": "date", "TIME": "time",
    "USER_SELECT": "entities", "ORGANIZATION_SELECT": "entities", "GROUP_SELECT": "entities",
    "STATUS_ASSIGNEE": "entities",
}


def _kind_of(prop):
    ftype = prop["type"]
    if ftype == "CALC":
        return _CALC_KINDS.get(prop.get("format") or "NUMBER", "number")
    return _TYPE_KINDS.get(ftype, "text")


_Decimal = decimal.Decimal
_DecimalError = (decimal.InvalidOperation, ValueError, TypeError)


_number_memo = {}
_NUMBER_MEMO_MAX = 500000


def _to_number(v):
    """Stored NUMBER/CALC string -> Decimal, None when empty or not a number.

    Memoised: Decimal() costs far more than a dict hit, and full scans convert the same stored
    strings again and again (the memo is simply dropped when it grows too big)."""
    try:
        return _number_memo[v]
    except KeyError:
        pass
    except TypeError:  # unhashable garbage stored by a buggy writer
        return None
    d = None
    if v:
        try:
            d = _Decimal(v)
        except _DecimalError:
            d = None
        if d is not None:
            if not d.is_finite():
                d = None
            elif d == d.to_integral_value():
                d = int(d)  # ints compare exactly with Decimals and much faster
    if len(_number_memo) >= _NUMBER_MEMO_MAX:
        _number_memo.clear()
    _number_memo[v] = d
    return d


def _to_hm(v):
    """CALC HOUR_MINUTE / DAY_HOUR_MINUTE value "25:01" (or "-1:30") -> minutes."""
    if not v:
        return None
    m = _HM_RE.match(v)
    if not m:
        return None
    minutes = int(m.group(2)) * 60 + int(m.group(3))
    return -minutes if m.group(1) else minutes


_HM_RE = re.compile(r"^\s*(-?)(\d+):(\d{1,2})\s*$")
_TAG_RE = re.compile(r"<[^>]*>")


def _rich_text(v):
    """RICH_TEXT is HTML; conditions look at the visible text (tags dropped, entities decoded)."""
    if not v:
        return ""
    return html.unescape(_TAG_RE.sub("", v))


# Converters from the stored API value to an ordered comparison key (None = empty).
# CHOICE: DATETIME-like values are compared as their first 19 characters, which relies on the
# model's canonical UTC form "YYYY-MM-DDTHH:MM:SSZ" (fields.py normalises every write).
_ORDERED_CONV = {
    "id": None,  # record id, handled directly
    "number": _to_number,
    "date": lambda v: v[:10] if v else None,
    "time": lambda v: v[:5] if v else None,
    "datetime": lambda v: v[:19] if v else None,
    "hm": _to_hm,
}


def _members(kind):
    """-> function(value) -> tuple of strings used by in/not in; an empty value is ("",)."""
    if kind in ("text", "option"):
        return lambda v: (v,) if v else ("",)
    if kind == "list":
        return lambda v: tuple(v) if v else ("",)
    if kind == "entities":
        return lambda v: tuple(e.get("code") for e in v) if v else ("",)
    if kind == "entity":
        return lambda v: (v.get("code") or "",) if v else ("",)
    raise AssertionError(kind)


def _is_empty_fn(kind):
    if kind in ("text", "option"):
        return lambda v: not v or v.isspace()
    if kind == "rich":
        return lambda v: not v or not _rich_text(v).strip()
    if kind in ("list", "entities", "file"):
        return lambda v: not v
    if kind == "entity":
        return lambda v: not v or not v.get("code")
    conv = _ORDERED_CONV[kind]
    return lambda v: conv(v) is None


def _like_text_fn(kind):
    """-> function(value) -> lower-cased searchable text ("" when empty)."""
    if kind == "text":
        return lambda v: v.lower() if v else ""
    if kind == "rich":
        return lambda v: _rich_text(v).lower()
    if kind == "file":
        # CHOICE: file contents are not indexed by the emulator; like searches file names.
        return lambda v: "\n".join((f.get("name") or "") for f in v).lower() if v else ""
    raise AssertionError(kind)


# ---------------------------------------------------------------------------------------------
# Literal interpretation (CHOICE: an uninterpretable value -> CB_VA01 errors.query)

_INT_RE = re.compile(r"^\s*(-?\d+)\s*$")
_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DATETIME_RE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?"
    r"(Z|[+-]\d{2}:?\d{2})?$"
)


def _lit_number(text):
    try:
        d = _Decimal(text.strip())
    except _DecimalError:
        raise _syntax()
    if not d.is_finite():
        raise _syntax()
    return int(d) if d == d.to_integral_value() else d


def _lit_id(text, app_code):
    # RECORD_NUMBER literals may carry the app code prefix: "CODE-12" == "12" == 12.
    if app_code and text.startswith(app_code + "-"):
        text = text[len(app_code) + 1:]
    m = _INT_RE.match(text)
    if not m:
        raise _syntax()
    return int(m.group(1))


def _lit_date(text):
    m = _DATE_RE.match(text)
    if not m:
        raise _syntax()
    try:
        return datetime.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _syntax()


def _lit_time(text):
    m = _TIME_RE.match(text)
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59 or int(m.group(3) or 0) > 59:
        raise _syntax()
    # CHOICE: seconds in a TIME literal are dropped (TIME values have minute precision).
    return "%02d:%s" % (int(m.group(1)), m.group(2))


def _lit_hm(text):
    v = _to_hm(text)
    if v is None:
        raise _syntax()
    return v


def _parse_datetime_literal(text):
    """-> ("date", date) for a bare date, ("naive", datetime) without offset,
    ("instant", aware UTC datetime) with Z/offset."""
    if _DATE_RE.match(text):
        return ("date", _lit_date(text))
    m = _DATETIME_RE.match(text)
    if not m:
        raise _syntax()
    y, mo, d, h, mi, s, off = m.groups()
    try:
        dt = datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(s or 0))
    except ValueError:
        raise _syntax()
    if off is None:
        return ("naive", dt)
    if off == "Z":
        return ("instant", dt.replace(tzinfo=_UTC))
    sign = -1 if off[0] == "-" else 1
    digits = off[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise _syntax()
    offset = datetime.timedelta(hours=hours, minutes=minutes) * sign
    return ("instant", (dt - offset).replace(tzinfo=_UTC))


def _utc_key(dt):
    """Aware datetime -> the comparison key of DATETIME values ("YYYY-MM-DDTHH:MM:SS", UTC)."""
    return dt.astimezone(_UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _local_midnight_key(day, tz):
    return _utc_key(datetime.datetime.combine(day, datetime.time(), tzinfo=tz))


# ---------------------------------------------------------------------------------------------
# Date functions (contract 7.4): evaluated against ctx.now in ctx.tz at execution time.

_WEEKDAYS = {"SUNDAY": 0, "MONDAY": 1, "TUESDAY": 2, "WEDNESDAY": 3, "THURSDAY": 4,
             "FRIDAY": 5, "SATURDAY": 6}
_UNITS = ("DAYS", "WEEKS", "MONTHS", "YEARS")
_ONE_DAY = datetime.timedelta(days=1)


def _add_months(day, months):
    """Calendar month arithmetic; a day beyond the target month's end is clamped (Jan 31 + 1
    month = Feb 28/29; CHOICE)."""
    index = day.year * 12 + (day.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, _month_length(year, month)))


def _month_length(year, month):
    if month == 12:
        return 31
    return (datetime.date(year, month + 1, 1) - datetime.date(year, month, 1)).days


def _check_function(name, args):
    """Validate arity and arguments (GAIA_IL08 / GAIA_IQ23 / GAIA_IQ25) at compile time."""
    for a in args:
        if isinstance(a, tuple):  # quoted argument
            raise KintoneError("GAIA_IL08")
    n = len(args)
    if name in ("FROM_TODAY",):
        if n != 2 or not re.fullmatch(r"-?\d+", args[0]):
            raise KintoneError("GAIA_IL08")
        if args[1] not in _UNITS:
            raise KintoneError("GAIA_IQ25", args={"value": args[1]})
    elif name in ("THIS_WEEK", "LAST_WEEK", "NEXT_WEEK"):
        if n > 1 or (n == 1 and args[0] not in _WEEKDAYS):
            raise KintoneError("GAIA_IL08")  # CHOICE: bad weekday -> GAIA_IL08
    elif name in ("THIS_MONTH", "LAST_MONTH", "NEXT_MONTH"):
        if n > 1:
            raise KintoneError("GAIA_IL08")
        if n == 1 and args[0] != "LAST":
            if not re.fullmatch(r"\d+", args[0]) or not 1 <= int(args[0]) <= 31:
                raise KintoneError("GAIA_IQ23", args={"value": args[0]})
    elif n:
        raise KintoneError("GAIA_IL08")


def _eval_date_function(name, args, ctx):
    """-> ("days", first_day, day_after_last) or ("instant", aware datetime) for NOW()."""
    if name == "NOW":
        return ("instant", ctx.now.astimezone(_UTC).replace(second=0, microsecond=0))
    today = ctx.now.astimezone(ctx.tz).date()
    if name == "TODAY":
        return ("days", today, today + _ONE_DAY)
    if name == "YESTERDAY":
        return ("days", today - _ONE_DAY, today)
    if name == "TOMORROW":
        return ("days", today + _ONE_DAY, today + 2 * _ONE_DAY)
    if name == "FROM_TODAY":
        count, unit = int(args[0]), args[1]
        if unit == "DAYS":
            day = today + datetime.timedelta(days=count)
        elif unit == "WEEKS":
            day = today + datetime.timedelta(weeks=count)
        elif unit == "MONTHS":
            day = _add_months(today, count)
        else:
            day = _add_months(today, 12 * count)
        return ("days", day, day + _ONE_DAY)
    if name.endswith("_WEEK"):
        start = today - datetime.timedelta(days=(today.weekday() + 1) % 7)  # Sunday
        start += datetime.timedelta(weeks={"THIS": 0, "LAST": -1, "NEXT": 1}[name[:4]])
        if args:
            day = start + datetime.timedelta(days=_WEEKDAYS[args[0]])
            return ("days", day, day + _ONE_DAY)
        return ("days", start, start + datetime.timedelta(days=7))
    if name.endswith("_MONTH"):
        first = _add_months(today.replace(day=1), {"THIS": 0, "LAST": -1, "NEXT": 1}[name[:4]])
        length = _month_length(first.year, first.month)
        if not args:
            return ("days", first, first + datetime.timedelta(days=length))
        if args[0] == "LAST":
            day = first + datetime.timedelta(days=length - 1)
        else:
            # CHOICE (as SG): a day beyond the month's end rolls over (THIS_MONTH(31) in April
            # is May 1st).
            day = first + datetime.timedelta(days=int(args[0]) - 1)
        return ("days", day, day + _ONE_DAY)
    if name.endswith("_YEAR"):
        year = today.year + {"THIS": 0, "LAST": -1, "NEXT": 1}[name[:4]]
        return ("days", datetime.date(year, 1, 1), datetime.date(year + 1, 1, 1))
    raise AssertionError(name)


# ---------------------------------------------------------------------------------------------
# Comparison tests: function(stored value) -> bool

def _ordered_test(op, conv, point=None, lo=None, hi=None):
    """Comparison on an ordered kind. Either a point literal, or a half-open range [lo, hi)
    (a day, a week, a month ... of a date function or of a bare date on DATETIME).

    Range semantics (CHOICE, refines contract 7.4): '=' within, '!=' outside, '<' before the
    start, '>=' from the start, '>' from the end on, '<=' before the end. So '<=' TODAY() on
    DATETIME includes all of today and '>=' THIS_MONTH() includes the whole month.
    Empty values never satisfy '=', '<', '<=', '>', '>='; they do satisfy '!=' (CHOICE).
    """
    # The comparisons are spelled out (not delegated to helpers) because these closures run
    # once per record.
    if point is not None:
        x = point
        if conv is None:  # record ids: never empty
            return {"=": lambda v: v == x, "!=": lambda v: v != x, "<": lambda v: v < x,
                    "<=": lambda v: v <= x, ">": lambda v: v > x, ">=": lambda v: v >= x}[op]
        if op == "=":
            return lambda v: conv(v) == x
        if op == "!=":
            return lambda v: conv(v) != x
        if op == "<":
            def test(v):
                k = conv(v)
                return k is not None and k < x
        elif op == "<=":
            def test(v):
                k = conv(v)
                return k is not None and k <= x
        elif op == ">":
            def test(v):
                k = conv(v)
                return k is not None and k > x
        else:
            def test(v):
                k = conv(v)
                return k is not None and k >= x
        return test
    if op == "=":
        def test(v):
            k = conv(v)
            return k is not None and lo <= k < hi
    elif op == "!=":
        def test(v):
            k = conv(v)
            return k is None or not lo <= k < hi
    elif op == "<":
        def test(v):
            k = conv(v)
            return k is not None and k < lo
    elif op == "<=":
        def test(v):
            k = conv(v)
            return k is not None and k < hi
    elif op == ">":
        def test(v):
            k = conv(v)
            return k is not None and k >= hi
    else:
        def test(v):
            k = conv(v)
            return k is not None and k >= lo
    return test


def _empty_literal_test(op, is_empty):
    """'= ""' matches empty values, '!= ""' non-empty ones; CHOICE: '<' '>' ... with "" match
    nothing."""
    if op == "=":
        return is_empty
    if op == "!=":
        return lambda v: not is_empty(v)
    return _never


def _never(_v):
    return False


def _always_false_record(_r):
    return False


# ---------------------------------------------------------------------------------------------
# Compiled condition nodes. bind(ctx) -> predicate(record) -> bool, or None meaning "true"
# (no condition, or a condition ignored because PRIMARY_ORGANIZATION() has no value).

class _Leaf:
    """A condition on a top-level field (or $id)."""

    __slots__ = ("getter", "test", "factory")

    def __init__(self, getter, test=None, factory=None):
        # getter: the field code whose stored value the test receives; None = the record id
        self.getter, self.test, self.factory = getter, test, factory

    def row_test(self, ctx):
        return self.test if self.factory is None else self.factory(ctx)

    def bind(self, ctx):
        test = self.row_test(ctx)
        if test is None:
            return None
        code = self.getter
        if code is None:  # $id / RECORD_NUMBER: the test takes the record id
            return lambda r: test(r.id)
        return lambda r: test(r.values.get(code))


class _InnerLeaf:
    """A condition on a field inside a subtable: positive operators need one matching row,
    negative ones need >= 1 row and every row matching (contract 7.5)."""

    __slots__ = ("table", "code", "positive", "test", "factory")

    def __init__(self, table, code, positive, test=None, factory=None):
        self.table, self.code, self.positive = table, code, positive
        self.test, self.factory = test, factory

    def row_test(self, ctx):
        return self.test if self.factory is None else self.factory(ctx)

    def bind(self, ctx):
        test = self.row_test(ctx)
        if test is None:
            return None
        table, code = self.table, self.code
        if self.positive:
            def pred(r):
                for row in r.values.get(table) or ():
                    if test(row["value"].get(code)):
                        return True
                return False
        else:
            def pred(r):
                rows = r.values.get(table)
                if not rows:
                    return False
                for row in rows:
                    if not test(row["value"].get(code)):
                        return False
                return True
        return pred


class _SameRow:
    """Several conditions on fields of one subtable joined by 'and': the positive ones must hold
    in the same row; the negative ones keep their every-row meaning (CHOICE). An empty table
    never matches."""

    __slots__ = ("table", "leaves")

    def __init__(self, table, leaves):
        self.table, self.leaves = table, leaves

    def bind(self, ctx):
        pos, neg = [], []
        for leaf in self.leaves:
            test = leaf.row_test(ctx)
            if test is not None:
                (pos if leaf.positive else neg).append((leaf.code, test))
        if not pos and not neg:
            return None
        table = self.table

        def pred(r):
            rows = r.values.get(table)
            if not rows:
                return False
            for code, test in neg:
                for row in rows:
                    if not test(row["value"].get(code)):
                        return False
            if not pos:
                return True
            for row in rows:
                values = row["value"]
                for code, test in pos:
                    if not test(values.get(code)):
                        break
                else:
                    return True
            return False
        return pred


class _RefNode:
    """REF.code in (...) (contract 7.5, [DOC]): a record matches when one of its related
    records (records of referenceTable.relatedApp whose condition.relatedField equals this
    record's condition.field) has `code` among the values; not in is the negation. CHOICE:
    filterCond is ignored (like size/sort it only shapes the display); the related app is read
    at query time; related field values compare as text (lists: any element, users/orgs/
    groups by code); an empty key relates to nothing."""

    __slots__ = ("ref", "code", "positive", "values", "mine_is_id")

    def __init__(self, ref, code, positive, values, props):
        self.ref, self.code, self.positive, self.values = ref, code, positive, frozenset(values)
        mine = (ref.get("condition") or {}).get("field")
        self.mine_is_id = mine == "$id" or (props.get(mine) or {}).get("type") == "RECORD_NUMBER"

    @staticmethod
    def _texts(value):
        if value is None:
            return ("",)
        if isinstance(value, list):
            return tuple(v.get("code", "") if isinstance(v, dict) else str(v) for v in value) or ("",)
        if isinstance(value, dict):
            return (str(value.get("code", "")),)
        return (str(value),)

    def bind(self, ctx):
        ref, state = self.ref, ctx.state
        condition = ref.get("condition") or {}
        mine, theirs = condition.get("field"), condition.get("relatedField")
        related = _related_app(state, ref.get("relatedApp")) if state is not None else None
        keys = set()
        if related is not None and mine and theirs:
            code, values, texts = self.code, self.values, self._texts

            def by_id(c):  # $id and the record number read the record id
                return c == "$id" or (related.properties.get(c) or {}).get("type") == "RECORD_NUMBER"
            code_is_id, key_is_id = by_id(code), by_id(theirs)
            for rec in related.records.values():
                if code_is_id:
                    hit = str(rec.id) in values
                else:
                    hit = any(t in values for t in texts(rec.values.get(code)))
                if hit:
                    key = str(rec.id) if key_is_id else rec.values.get(theirs)
                    if key not in (None, "", []):
                        keys.add(str(key))
        positive = self.positive
        if self.mine_is_id:
            return lambda r: (str(r.id) in keys) is positive
        return lambda r: (str(r.values.get(mine)) in keys if r.values.get(mine) not in (None, "")
                          else False) is positive


def _related_app(state, related):
    if not isinstance(related, dict):
        return None
    app_id = related.get("app")
    if app_id not in (None, ""):
        try:
            return state.apps.get(int(app_id))
        except (TypeError, ValueError):
            return None
    code = related.get("code")
    for app in state.apps.values():
        if code and app.code == code:
            return app
    return None


class _Const:
    __slots__ = ("pred",)

    def __init__(self, pred):
        self.pred = pred

    def bind(self, ctx):
        return self.pred


class _AndNode:
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def bind(self, ctx):
        preds = [p for p in (item.bind(ctx) for item in self.items) if p is not None]
        if not preds:
            return None
        if len(preds) == 1:
            return preds[0]
        if len(preds) == 2:
            a, b = preds
            return lambda r: a(r) and b(r)
        return lambda r: all(p(r) for p in preds)


class _OrNode:
    __slots__ = ("items",)

    def __init__(self, items):
        self.items = items

    def bind(self, ctx):
        # A branch that binds to None is an ignored condition (PRIMARY_ORGANIZATION() without a
        # primary organization): it is left out and the other branches still apply (contract
        # 7.4). Only when every branch is ignored is the whole 'or' ignored.
        preds = [p for p in (item.bind(ctx) for item in self.items) if p is not None]
        if not preds:
            return None
        if len(preds) == 1:
            return preds[0]
        if len(preds) == 2:
            a, b = preds
            return lambda r: a(r) or b(r)
        return lambda r: any(p(r) for p in preds)


# ---------------------------------------------------------------------------------------------
# Compiler

class _FieldInfo:
    __slots__ = ("code", "ftype", "kind", "prop", "table", "display")

    def __init__(self, code, ftype, kind, prop, table, display):
        self.code, self.ftype, self.kind = code, ftype, kind
        self.prop, self.table, self.display = prop, table, display


_NOT_QUERYABLE = {"SUBTABLE", "REFERENCE_TABLE", "GROUP", "LABEL", "SPACER", "HR"}


def _enabled(prop):
    return prop.get("enabled", True) in (True, "true")


class _Compiler:
    def __init__(self, app):
        self.app = app
        self.like_leaves = []  # (bindable node, "like" | "not like") for like_overflow
        self.props = app.properties
        self.inner = {}
        for code, prop in self.props.items():
            if prop.get("type") == "SUBTABLE":
                for inner_code, inner_prop in (prop.get("fields") or {}).items():
                    self.inner[inner_code] = (code, inner_prop)

    # -- fields --
    def resolve(self, field):
        """-> _FieldInfo, raising GAIA_IR02 / GAIA_IQ11. A REF.code field returns type REF."""
        if field.ref is not None:
            prop = self.props.get(field.ref)
            if prop is None or prop.get("type") != "REFERENCE_TABLE":
                raise KintoneError("GAIA_IR02", args={"field": field.ref})
            display = field.ref + "." + field.code
            return _FieldInfo(field.code, "REF", "ref", None, None, display)
        code = field.code
        if code == "$id":
            return _FieldInfo(code, "__ID__", "id", None, None, code)
        prop = self.props.get(code)
        table = None
        if prop is None and code in self.inner:
            table, prop = self.inner[code]
        if prop is None:
            raise KintoneError("GAIA_IQ11", args={"field": code})
        ftype = prop.get("type")
        # CHOICE: STATUS / STATUS_ASSIGNEE / CATEGORY of a disabled feature are unknown fields.
        if ftype in ("STATUS", "STATUS_ASSIGNEE", "CATEGORY") and not _enabled(prop):
            raise KintoneError("GAIA_IQ11", args={"field": code})
        kind = None if ftype in _NOT_QUERYABLE else _kind_of(prop)
        return _FieldInfo(code, ftype, kind, prop, table, code)

    # -- expressions --
    def expr(self, node):
        if isinstance(node, Cond):
            return self.cond(node)
        items = [self.expr(item) for item in node.items]
        if isinstance(node, Or):
            return _OrNode(items)
        return _AndNode(self._group_same_row(items))

    @staticmethod
    def _group_same_row(items):
        """Merge direct inner-field conditions on the same subtable into one _SameRow."""
        by_table = OrderedDict()
        for item in items:
            if isinstance(item, _InnerLeaf):
                by_table.setdefault(item.table, []).append(item)
        if all(len(v) < 2 for v in by_table.values()):
            return items
        out, done = [], set()
        for item in items:
            if isinstance(item, _InnerLeaf) and len(by_table[item.table]) > 1:
                if item.table not in done:
                    done.add(item.table)
                    out.append(_SameRow(item.table, by_table[item.table]))
            else:
                out.append(item)
        return out

    def cond(self, c):
        info = self.resolve(c.field)
        op = c.op
        self.check_operator(info, op)
        if info.kind == "ref":
            ref_prop = self.props[c.field.ref]
            return _RefNode(ref_prop.get("referenceTable") or {}, info.code, op == "in",
                            [v.text for v in c.values if v.kind != "func"], self.props)
        test, factory = self.make_test(info, op, c.values)
        if info.table is not None:
            leaf = _InnerLeaf(info.table, info.code, op not in NEGATIVE_OPS, test, factory)
        elif info.kind == "id":
            leaf = _Leaf(None, test, factory)
        else:
            leaf = _Leaf(info.code, test, factory)
        if op in LIKE:
            self.like_leaves.append((leaf, op))
        return leaf

    def check_operator(self, info, op):
        if info.kind == "ref":
            # CHOICE: REF.code accepts in / not in only (contract: '=' refused, rest [UNV]).
            if op not in IN:
                raise KintoneError("GAIA_IQ03", args={"field": info.display, "op": op})
            return
        allowed = ALLOWED_OPS.get(info.ftype, frozenset())  # layout-only/SUBTABLE: nothing
        if info.table is not None:
            if op in EQ:
                raise KintoneError("GAIA_IQ07", args={"field": info.display, "op": op})
            # CHOICE: inside a table, 'is empty' works for every inner type (no '= ""' there).
            allowed = (allowed - EQ) | EMPTY if allowed else allowed
        if op not in allowed:
            raise KintoneError("GAIA_IQ03", args={"field": info.display, "op": op})

    def check_function(self, info, value):
        _check_function(value.text, value.args)
        if value.text not in ALLOWED_FUNCTIONS.get(info.ftype, ()):
            raise KintoneError("GAIA_IL08")

    # -- tests --
    def make_test(self, info, op, values):
        """-> (static test, None) or (None, factory(ctx) -> test or None)."""
        kind = info.kind
        for v in values:
            if v.kind == "func":
                self.check_function(info, v)
        if op in EMPTY:
            is_empty = _is_empty_fn(kind)
            return (is_empty if op == "is" else (lambda v: not is_empty(v))), None
        if op in LIKE:
            text_of = _like_text_fn(kind)
            needle = values[0].text.lower()
            # CHOICE: like = case-insensitive substring (contract allows the approximation);
            # '%' and '_' are literal; an empty value never matches 'like'.
            if op == "like":
                return (lambda v: bool(text_of(v)) and needle in text_of(v)), None
            return (lambda v: not (bool(text_of(v)) and needle in text_of(v))), None
        if op in IN:
            return self.in_test(info, op, values)
        return self.compare_test(info, op, values[0])

    def in_test(self, info, op, values):
        kind = info.kind
        negate = op == "not in"
        if kind == "option" or info.ftype in ("CHECK_BOX", "MULTI_SELECT"):
            labels = _option_labels(info.prop)
            for v in values:
                if v.text != "" and v.text not in labels:
                    raise KintoneError("GAIA_IQ10", args={"value": v.text, "field": info.display})
        if kind in ("id", "number", "date", "time", "datetime", "hm"):
            return self.ordered_in_test(info, negate, values), None
        members = _members(kind)
        static = frozenset(v.text for v in values if v.kind != "func")
        funcs = [v.text for v in values if v.kind == "func"]

        single = kind in ("text", "option")

        def build(wanted):
            if single:  # fast path for one-valued fields
                if negate:
                    return lambda v: (v or "") not in wanted
                return lambda v: (v or "") in wanted
            if negate:
                return lambda v: wanted.isdisjoint(members(v))
            return lambda v: not wanted.isdisjoint(members(v))

        if not funcs:
            return build(static), None

        def factory(ctx):
            wanted = set(static)
            for name in funcs:
                if name == "LOGINUSER":
                    # CHOICE: with an API token (no login user) LOGINUSER() matches nobody.
                    if ctx.login_user:
                        wanted.add(ctx.login_user)
                elif not ctx.primary_org:
                    return None  # no primary organization: the whole condition is ignored
                else:
                    wanted.add(ctx.primary_org)
            return build(frozenset(wanted))
        return None, factory

    def ordered_in_test(self, info, negate, values):
        kind = info.kind
        conv = _ORDERED_CONV[kind]
        wanted, want_empty = set(), False
        for v in values:
            if v.text == "":
                want_empty = True
            elif kind == "datetime":
                parsed = _parse_datetime_literal(v.text)
                if parsed[0] != "instant":
                    raise _syntax()  # CHOICE: in () on datetime kinds needs full instants
                wanted.add(_utc_key(parsed[1]))
            else:
                wanted.add(self.point_literal(kind, v.text))
        wanted = frozenset(wanted)
        if kind == "id":
            def hit(v):
                return v in wanted
        else:
            def hit(v):
                key = conv(v)
                return want_empty if key is None else key in wanted
        if negate:
            return lambda v: not hit(v)
        return hit

    def point_literal(self, kind, text):
        if kind == "id":
            return _lit_id(text, self.app.code)
        if kind == "number":
            return _lit_number(text)
        if kind == "date":
            return _lit_date(text).isoformat()
        if kind == "time":
            return _lit_time(text)
        if kind == "hm":
            return _lit_hm(text)
        raise AssertionError(kind)

    def compare_test(self, info, op, value):
        kind = info.kind
        if kind in ("text", "option", "entity"):
            # Text equality is exact (case-sensitive, CHOICE); '= ""' tests emptiness.
            if value.text == "":
                return _empty_literal_test(op, _is_empty_fn(kind)), None
            target = value.text
            if op == "=":
                return (lambda v: v == target), None
            return (lambda v: v != target), None
        conv = _ORDERED_CONV[kind]
        if value.kind != "func" and value.text == "":
            if kind == "id":
                return _empty_literal_test(op, _never), None
            return _empty_literal_test(op, lambda v: conv(v) is None), None
        if value.kind == "func":
            name, args = value.text, value.args

            def factory(ctx):
                result = _eval_date_function(name, args, ctx)
                if result[0] == "instant":
                    return _ordered_test(op, conv, point=_utc_key(result[1]))
                if kind == "date":
                    return _ordered_test(op, conv, lo=result[1].isoformat(), hi=result[2].isoformat())
                return _ordered_test(op, conv, lo=_local_midnight_key(result[1], ctx.tz),
                                     hi=_local_midnight_key(result[2], ctx.tz))
            return None, factory
        if kind == "datetime":
            parsed = _parse_datetime_literal(value.text)
            if parsed[0] == "instant":
                return _ordered_test(op, conv, point=_utc_key(parsed[1])), None
            if parsed[0] == "naive":
                # CHOICE: a datetime without offset is read in the caller's time zone.
                naive = parsed[1]
                return None, lambda ctx: _ordered_test(
                    op, conv, point=_utc_key(naive.replace(tzinfo=ctx.tz)))
            # CHOICE: a bare date on DATETIME is the whole day [00:00, 24:00) in the caller's TZ.
            day = parsed[1]
            return None, lambda ctx: _ordered_test(
                op, conv, lo=_local_midnight_key(day, ctx.tz),
                hi=_local_midnight_key(day + _ONE_DAY, ctx.tz))
        if kind == "id":
            return _ordered_test(op, None, point=self.point_literal(kind, value.text)), None
        return _ordered_test(op, conv, point=self.point_literal(kind, value.text)), None

    # -- order by --
    def sort_keys(self, order):
        keys = []
        for sk in order:
            info = self.resolve(sk.field)
            if info.kind == "ref" or info.table is not None or info.ftype not in SORTABLE:
                raise _syntax()  # CHOICE: non-sortable key -> CB_VA01 errors.query
            keys.append((_sort_key_fn(info), sk.desc, info.kind == "id"))
        return keys


def _option_labels(prop):
    options = prop.get("options") or {}
    labels = set(options)
    for opt in options.values():
        if isinstance(opt, dict) and "label" in opt:
            labels.add(opt["label"])
    return labels


_NEG_INF = float("-inf")  # compares exactly with ints and Decimals


def _sort_key_fn(info):
    """Key function record -> sortable value. Empty values sort first ascending (and therefore
    last descending) (CHOICE): "" for text-like kinds, -inf for numbers. No tuples, so that
    sorting 100,000 records stays cheap."""
    kind, code = info.kind, info.code
    if kind == "id":
        return lambda r: r.id
    if kind == "entity":
        def key(r):
            v = r.values.get(code)
            return (v.get("code") or "") if v else ""
        return key
    if kind in ("text", "option"):
        return lambda r: r.values.get(code) or ""
    if kind == "date":
        return lambda r: (r.values.get(code) or "")[:10]
    if kind == "time":
        return lambda r: (r.values.get(code) or "")[:5]
    if kind == "datetime":
        return lambda r: (r.values.get(code) or "")[:19]
    conv = _ORDERED_CONV[kind]  # number, hm

    def key(r):
        k = conv(r.values.get(code))
        return _NEG_INF if k is None else k
    return key


# ---------------------------------------------------------------------------------------------
# Compiled queries and their cache

class _Compiled:
    __slots__ = ("root", "id_lo", "id_hi", "id_set", "sort", "id_order_desc", "limit", "offset", "like_leaves")


def _extract_id_bounds(compiler, cond):
    """Split the top-level 'and' into static $id constraints (bounds for bisect) and the rest."""
    items = cond.items if isinstance(cond, And) else ((cond,) if cond is not None else ())
    lo, hi, idset, rest = None, None, None, []
    for item in items:
        if (isinstance(item, Cond) and item.field.ref is None and item.op in (">", ">=", "<", "<=", "=", "in")
                and all(v.kind != "func" and v.text != "" for v in item.values)
                and (item.field.code == "$id"
                     or (compiler.props.get(item.field.code) or {}).get("type") == "RECORD_NUMBER")):
            ids = [_lit_id(v.text, compiler.app.code) for v in item.values]
            op = item.op
            if op in (">", ">="):
                b = ids[0] + (1 if op == ">" else 0)
                lo = b if lo is None else max(lo, b)
            elif op in ("<", "<="):
                b = ids[0] - (1 if op == "<" else 0)
                hi = b if hi is None else min(hi, b)
            else:
                s = frozenset(ids)
                idset = s if idset is None else idset & s
            continue
        rest.append(item)
    return lo, hi, idset, rest


def _sort_passes(keys):
    """Merge consecutive keys of the same direction into one tuple key, so a multi-key sort
    takes one stable sort pass per direction change instead of one per key."""
    groups = []
    for key, desc in keys:
        if groups and groups[-1][1] == desc:
            groups[-1][0].append(key)
        else:
            groups.append(([key], desc))
    passes = []
    for funcs, desc in groups:
        if len(funcs) == 1:
            passes.append((funcs[0], desc))
        else:
            funcs = tuple(funcs)
            passes.append(((lambda r: tuple(f(r) for f in funcs)), desc))
    return passes


def _compile(app, query_ast):
    compiler = _Compiler(app)
    cq = _Compiled()
    lo, hi, idset, rest = _extract_id_bounds(compiler, query_ast.cond)
    # Compile the whole condition for its validation errors even when $id parts are folded.
    if query_ast.cond is not None:
        compiler.expr(query_ast.cond)
    cq.like_leaves = tuple(compiler.like_leaves)
    if rest:
        cq.root = compiler.expr(rest[0] if len(rest) == 1 else And(tuple(rest)))
    else:
        cq.root = None
    cq.id_lo, cq.id_hi, cq.id_set = lo, hi, idset
    keys = compiler.sort_keys(query_ast.order)
    cq.id_order_desc = None
    cq.sort = None
    if not keys:
        cq.id_order_desc = True  # default order: $id desc
    elif keys[0][2]:
        cq.id_order_desc = keys[0][1]  # ids are unique: later keys never matter
    else:
        cq.sort = _sort_passes([(k, desc) for k, desc, _ in keys])
    cq.limit, cq.offset = query_ast.limit, query_ast.offset
    return cq


_CACHE_SIZE = 256
_cache_lock = threading.Lock()


def _compiled(app, query_text):
    """Per-app LRU of compiled queries. The key includes the form revision, the identity of the
    properties dict and the app code, so a redeploy or a state reload never reuses stale plans
    (callers must bump settings_revision or replace properties when the form changes)."""
    cache = app.__dict__.get("_query_cache")
    if cache is None:
        cache = app.__dict__.setdefault("_query_cache", OrderedDict())
    key = (app.settings_revision, id(app.properties), app.code, query_text)
    with _cache_lock:
        cq = cache.get(key)
        if cq is not None:
            cache.move_to_end(key)
            return cq
    cq = _compile(app, parse(query_text))
    with _cache_lock:
        cache[key] = cq
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return cq


# ---------------------------------------------------------------------------------------------
# Execution

def _window(cq, cursor):
    if cursor:
        # CHOICE: the cursor API refuses limit/offset in its query with CB_VA01 errors.query.
        if cq.limit is not None or cq.offset is not None:
            raise _syntax()
        return 0, None
    limit = DEFAULT_LIMIT if cq.limit is None else cq.limit
    offset = cq.offset or 0
    if limit > MAX_LIMIT:
        raise KintoneError("GAIA_QU01")
    if offset > MAX_OFFSET:
        raise KintoneError("GAIA_QU02")
    return offset, limit


def _candidate_range(app, cq):
    """-> (ids list, start index, stop index) of the candidates in ascending id order."""
    ids = app.ids
    start = 0 if cq.id_lo is None else bisect.bisect_left(ids, cq.id_lo)
    stop = len(ids) if cq.id_hi is None else bisect.bisect_right(ids, cq.id_hi)
    if cq.id_set is not None:
        lo = ids[start] if start < stop else None
        hi = ids[stop - 1] if start < stop else None
        chosen = sorted(i for i in cq.id_set if lo is not None and lo <= i <= hi and i in app.records)
        return chosen, 0, len(chosen)
    return ids, start, max(start, stop)


def execute(app, query_text, ctx, *, cursor=False, want_total=False):
    """Run a query over app (model.App). Returns (records, total): records in result order after
    order by / offset / limit; total = number of matches ignoring limit/offset when want_total,
    else None. cursor=True: limit/offset are refused and all matches are returned.
    Raises errors.KintoneError for every query error."""
    if query_text is None:
        query_text = ""
    elif not isinstance(query_text, str):
        raise _syntax()
    cq = _compiled(app, query_text)
    offset, limit = _window(cq, cursor)
    end = None if limit is None else offset + limit
    pred = cq.root.bind(ctx) if cq.root is not None else None
    ids, start, stop = _candidate_range(app, cq)
    records = app.records
    if cq.sort is None:
        desc = cq.id_order_desc
        if pred is None:
            # No per-record work at all: slice the id range directly.
            count = stop - start
            hi = count if end is None else min(count, end)
            if desc:
                chosen = [records[ids[stop - 1 - k]] for k in range(offset, hi)]
            else:
                chosen = [records[ids[start + k]] for k in range(offset, hi)]
            return chosen, (count if want_total else None)
        # Walk in $id order; without a wanted total stop as soon as offset+limit matched.
        matches = filter(pred, _iter_records(records, ids, start, stop, desc))
        if want_total:
            matched = list(matches)
            return matched[offset:end], len(matched)
        return list(itertools.islice(matches, offset, end)), None
    it = _iter_records(records, ids, start, stop, False)
    matched = list(it if pred is None else filter(pred, it))
    for key, desc in reversed(cq.sort):  # stable sorts: final tie-breaker is $id ascending
        matched.sort(key=key, reverse=desc)
    return matched[offset:end], (len(matched) if want_total else None)


LIKE_HIT_LIMIT = 100000


def like_overflow(app, query_text, ctx):
    """True when a like / not like condition of the query hits more than 100,000 records of
    the app: real Kintone then answers 200 with "X-Cybozu-Warning: Filter aborted because of
    too many search results" (contract 2.4). CHOICE: the emulator sends the warning but does
    not truncate the result (how the real search truncates is not recorded)."""
    if not query_text or len(app.records) <= LIKE_HIT_LIMIT:
        return False
    cq = _compiled(app, query_text)
    if not cq.like_leaves:
        return False
    # A full count per request would make paging a >100,000-record app with like slow; the
    # answer is kept until the app gains or loses records (CHOICE: updates do not refresh it).
    cache = app.__dict__.setdefault("_like_overflow", {})
    key = (query_text, app.settings_revision, len(app.records), app.next_id)
    found = cache.get(key)
    if found is not None:
        return found
    found = False
    for leaf, op in cq.like_leaves:
        pred = leaf.bind(ctx)
        if pred is None:
            continue
        records = app.records.values()
        hits = sum(1 for r in records if pred(r)) if op == "like" else sum(1 for r in records if not pred(r))
        if hits > LIKE_HIT_LIMIT:
            found = True
            break
    if len(cache) > 64:
        cache.clear()
    cache[key] = found
    return found


def _iter_records(records, ids, start, stop, desc):
    """Records of ids[start:stop] in ascending (or descending) order, iterated at C speed."""
    if desc:
        n = len(ids)
        it = itertools.islice(reversed(ids), n - stop, n - start)
    else:
        it = itertools.islice(ids, start, stop)
    return map(records.__getitem__, it)
