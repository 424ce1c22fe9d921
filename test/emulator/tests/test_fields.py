"""Unit tests of kintone_emulator.fields (record value normalisation, validation, CALC, output).

Apps and states are built directly from model objects; every assertion is on exact values,
error keys and messages (English rendering).
"""

import datetime
import json
import time
import unittest

from kintone_emulator import fields as F
from kintone_emulator import model
from kintone_emulator.errors import FieldErrors, KintoneError

NOW = datetime.datetime(2026, 4, 23, 6, 31, 45, tzinfo=datetime.timezone.utc)


def opts(*labels):
    return {label: {"label": label, "index": str(i)} for i, label in enumerate(labels)}


def main_properties():
    """An app covering every record field type of contract 6.1."""
    return {
        "Record_number": {"type": "RECORD_NUMBER", "code": "Record_number", "label": "Record number"},
        "Created_by": {"type": "CREATOR", "code": "Created_by", "label": "Created by"},
        "Updated_by": {"type": "MODIFIER", "code": "Updated_by", "label": "Updated by"},
        "Created_datetime": {"type": "CREATED_TIME", "code": "Created_datetime", "label": "Created"},
        "Updated_datetime": {"type": "UPDATED_TIME", "code": "Updated_datetime", "label": "Updated"},
        "Status": {"type": "STATUS", "code": "Status", "label": "Status", "enabled": False},
        "Assignee": {"type": "STATUS_ASSIGNEE", "code": "Assignee", "label": "Assignee", "enabled": False},
        "Categories": {"type": "CATEGORY", "code": "Categories", "label": "Categories", "enabled": False},
        "title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "Title", "required": True,
                  "minLength": "2", "maxLength": "5", "unique": True},
        "memo": {"type": "MULTI_LINE_TEXT", "code": "memo", "label": "Memo", "defaultValue": "note"},
        "rich": {"type": "RICH_TEXT", "code": "rich", "label": "Rich"},
        "url": {"type": "LINK", "code": "url", "label": "URL", "protocol": "WEB"},
        "num": {"type": "NUMBER", "code": "num", "label": "Num", "minValue": "0", "maxValue": "100",
                "unique": True},
        "amount": {"type": "NUMBER", "code": "amount", "label": "Amount", "defaultValue": "10"},
        "単価": {"type": "NUMBER", "code": "単価", "label": "単価"},
        "calc": {"type": "CALC", "code": "calc", "label": "Calc", "expression": "num * 2 + 単価"},
        "div": {"type": "CALC", "code": "div", "label": "Div", "expression": "amount / 3"},
        "chk": {"type": "CHECK_BOX", "code": "chk", "label": "Chk", "options": opts("A", "B", "C"),
                "defaultValue": ["A"]},
        "multi": {"type": "MULTI_SELECT", "code": "multi", "label": "Multi", "options": opts("X", "Y")},
        "radio": {"type": "RADIO_BUTTON", "code": "radio", "label": "Radio", "options": opts("R1", "R2")},
        "drop": {"type": "DROP_DOWN", "code": "drop", "label": "Drop", "options": opts("D1", "D2")},
        "date": {"type": "DATE", "code": "date", "label": "Date", "unique": True},
        "date_now": {"type": "DATE", "code": "date_now", "label": "Date now", "defaultNowValue": True},
        "time": {"type": "TIME", "code": "time", "label": "Time"},
        "time_now": {"type": "TIME", "code": "time_now", "label": "Time now", "defaultNowValue": True},
        "dt": {"type": "DATETIME", "code": "dt", "label": "DT"},
        "dt_now": {"type": "DATETIME", "code": "dt_now", "label": "DT now", "defaultNowValue": True},
        "user": {"type": "USER_SELECT", "code": "user", "label": "User",
                 "defaultValue": [{"code": "LOGINUSER()", "type": "FUNCTION"}]},
        "org": {"type": "ORGANIZATION_SELECT", "code": "org", "label": "Org"},
        "grp": {"type": "GROUP_SELECT", "code": "grp", "label": "Group"},
        "file": {"type": "FILE", "code": "file", "label": "File"},
        "label_text": {"type": "SINGLE_LINE_TEXT", "code": "label_text", "label": "Label",
                       "expression": 'title & "-" & num'},
        "items": {"type": "SUBTABLE", "code": "items", "label": "Items", "fields": {
            "qty": {"type": "NUMBER", "code": "qty", "label": "Qty"},
            "price": {"type": "NUMBER", "code": "price", "label": "Price", "maxValue": "1000"},
            "line": {"type": "CALC", "code": "line", "label": "Line", "expression": "qty * price"},
            "name": {"type": "SINGLE_LINE_TEXT", "code": "name", "label": "Name", "defaultValue": "n/a"},
            "kind": {"type": "DROP_DOWN", "code": "kind", "label": "Kind", "options": opts("K1", "K2")},
        }},
        "total": {"type": "CALC", "code": "total", "label": "Total", "expression": "SUM(line)"},
        "prod_code": {"type": "SINGLE_LINE_TEXT", "code": "prod_code", "label": "Product", "lookup": {
            "relatedApp": {"app": "2", "code": ""}, "relatedKeyField": "code",
            "fieldMappings": [{"field": "prod_name", "relatedField": "name"},
                              {"field": "prod_price", "relatedField": "price"}]}},
        "prod_name": {"type": "SINGLE_LINE_TEXT", "code": "prod_name", "label": "Product name"},
        "prod_price": {"type": "NUMBER", "code": "prod_price", "label": "Product price"},
        "related": {"type": "REFERENCE_TABLE", "code": "related", "label": "Related"},
        "box": {"type": "GROUP", "code": "box", "label": "Box"},
    }


def make_state():
    state = model.State()
    state.users["sato"] = model.User("sato", "pw", "Noboru Sato", admin=True, primary_organization="dev")
    state.users["kato"] = model.User("kato", "pw", "Kato")
    state.organizations["dev"] = "Development"
    state.groups["g1"] = "Group 1"
    main = model.App(1, "Main")
    main.properties = F.normalize_properties(main_properties())
    state.apps[1] = main
    src = model.App(2, "Products")
    src.properties = F.normalize_properties({
        "Record_number": {"type": "RECORD_NUMBER", "code": "Record_number"},
        "code": {"type": "SINGLE_LINE_TEXT", "code": "code", "unique": True},
        "name": {"type": "SINGLE_LINE_TEXT", "code": "name"},
        "price": {"type": "NUMBER", "code": "price"},
    })
    state.apps[2] = src
    src.add_record(model.Record(1, 1, {"code": "P001", "name": "Pen", "price": "120"}))
    src.add_record(model.Record(2, 1, {"code": "P002", "name": "Ink", "price": "80"}))
    return state, main


def ctx_for(state, user="sato", admin=False, now=NOW, tz="Asia/Tokyo"):
    return F.WriteContext(state, state.users.get(user) if user else None, admin, now, tz)


class Base(unittest.TestCase):
    def setUp(self):
        self.state, self.app = make_state()
        self.ctx = ctx_for(self.state)

    def add(self, record, prefix="record", ctx=None):
        errs = FieldErrors()
        values = F.prepare_add(self.app, record, ctx or self.ctx, errs, prefix)
        return values, errs.render("en")

    def add_ok(self, record, ctx=None):
        values, errs = self.add(record, ctx=ctx)
        self.assertEqual(errs, {})
        return values

    def store(self, values, rid=None, revision=1):
        rid = rid or self.app.allocate_id()
        rec = model.Record(rid, revision, values)
        self.app.add_record(rec)
        return rec

    def update(self, rec, record, prefix="record", ctx=None):
        errs = FieldErrors()
        values = F.prepare_update(self.app, rec, record, ctx or self.ctx, errs, prefix)
        return values, errs.render("en")


def msgs(*texts):
    return {"messages": list(texts)}


class AddDefaultsTest(Base):
    def test_defaults_and_system_fields(self):
        v = self.add_ok({"title": {"value": "abc"}})
        expected = {
            "title": "abc", "memo": "note", "rich": "", "url": "", "num": "", "amount": "10", "単価": "",
            "chk": ["A"], "multi": [], "radio": "R1", "drop": None,
            "date": None, "date_now": "2026-04-23", "time": None, "time_now": "15:31",
            "dt": "", "dt_now": "2026-04-23T06:31:00Z",
            "user": [{"code": "sato", "name": "Noboru Sato"}], "org": [], "grp": [], "file": [],
            "items": [],
            "Created_by": {"code": "sato", "name": "Noboru Sato"},
            "Updated_by": {"code": "sato", "name": "Noboru Sato"},
            "Created_datetime": "2026-04-23T06:31:00Z", "Updated_datetime": "2026-04-23T06:31:00Z",
            "prod_code": "", "prod_name": "", "prod_price": "",
            "calc": "0", "div": "3.3333", "total": "0", "label_text": "abc-0",
        }
        self.assertEqual(v, expected)

    def test_defaults_only_when_key_absent(self):
        v = self.add_ok({"title": {"value": "abc"}, "memo": {"value": ""}, "chk": {"value": []},
                         "amount": {"value": ""}, "date_now": {"value": ""}, "radio": {"value": ""}})
        self.assertEqual((v["memo"], v["chk"], v["amount"], v["date_now"], v["radio"]), ("", [], "", None, None))

    def test_now_defaults_follow_caller_timezone(self):
        ctx = ctx_for(self.state, tz="America/Los_Angeles")
        v = self.add_ok({"title": {"value": "abc"}}, ctx=ctx)
        self.assertEqual((v["date_now"], v["time_now"], v["dt_now"]), ("2026-04-22", "23:31", "2026-04-23T06:31:00Z"))

    def test_api_token_writes_as_administrator_and_loginuser_default_is_empty(self):
        v = self.add_ok({"title": {"value": "abc"}}, ctx=ctx_for(self.state, user=None))
        self.assertEqual(v["Created_by"], {"code": "Administrator", "name": "Administrator"})
        self.assertEqual(v["Updated_by"], {"code": "Administrator", "name": "Administrator"})
        self.assertEqual(v["user"], [])

    def test_none_record_gives_required_errors_only(self):
        values, errs = self.add(None)
        self.assertEqual(errs, {"record.title.value": msgs("Required.")})
        self.assertEqual(values["amount"], "10")

    def test_admin_may_set_creator_and_times_on_post(self):
        rec = {"title": {"value": "abc"}, "Created_by": {"value": {"code": "kato"}},
               "Updated_by": {"value": {"code": "kato"}},
               "Created_datetime": {"value": "2012-01-11T11:30:45Z"},
               "Updated_datetime": {"value": "2012-01-11T20:30:00+09:00"}}
        v = self.add_ok(rec, ctx=ctx_for(self.state, admin=True))
        self.assertEqual(v["Created_by"], {"code": "kato", "name": "Kato"})
        self.assertEqual(v["Updated_by"], {"code": "kato", "name": "Kato"})
        self.assertEqual(v["Created_datetime"], "2012-01-11T11:30:00Z")
        self.assertEqual(v["Updated_datetime"], "2012-01-11T11:30:00Z")
        # Without app-admin rights the values are ignored.
        v = self.add_ok(rec)
        self.assertEqual(v["Created_by"], {"code": "sato", "name": "Noboru Sato"})
        self.assertEqual(v["Created_datetime"], "2026-04-23T06:31:00Z")

    def test_admin_creator_unknown_user(self):
        _, errs = self.add({"title": {"value": "abc"}, "Created_by": {"value": {"code": "nobody"}}},
                           ctx=ctx_for(self.state, admin=True))
        self.assertEqual(errs, {"record.Created_by.value": msgs("The user (nobody) not found.")})

    def test_non_writable_and_unknown_codes_ignored(self):
        v = self.add_ok({"title": {"value": "abc"}, "calc": {"value": "999"}, "Record_number": {"value": "5"},
                         "$id": {"value": "7"}, "Status": {"value": "Done"}, "label_text": {"value": "x"},
                         "prod_name": {"value": "forced"}, "nosuch": {"value": "x"}})
        self.assertEqual(v["calc"], "0")
        self.assertEqual(v["label_text"], "abc-0")
        self.assertEqual(v["prod_name"], "")
        for key in ("Record_number", "$id", "Status", "nosuch"):
            self.assertNotIn(key, v)


class NumberTest(Base):
    def test_normalisation(self):
        cases = {"1.5e1": "15", " 42 ": "42", "1.50": "1.50", "+7": "7", "007": "7", ".5": "0.5",
                 "-3": "-3", "1E2": "100", "-0": "0", 12: "12", 2.5: "2.5", "": "", None: "",
                 "1234567890123456789012345678901e-1": "123456789012345678901234567890.1"}
        for raw, want in cases.items():
            v = self.add_ok({"title": {"value": "abc"}, "amount": {"value": raw}})
            self.assertEqual(v["amount"], want, raw)

    def test_non_numeric_top_level(self):
        for raw in ("abc", "12abc", "1,000", True, "NaN"):
            _, errs = self.add({"title": {"value": "abc"}, "amount": {"value": raw}})
            self.assertEqual(errs, {"record.amount.value": msgs("Required."),
                                    "record[amount].value": msgs("Only numbers are allowed.")}, raw)

    def test_non_numeric_bulk_prefix(self):
        _, errs = self.add({"title": {"value": "abc"}, "単価": {"value": "x"}}, prefix="records[3]")
        self.assertEqual(errs, {"records[3].単価.value": msgs("Required."),
                                "records[3][単価].value": msgs("Only numbers are allowed.")})

    def test_non_numeric_in_subtable_stored_empty(self):
        v = self.add_ok({"title": {"value": "abc"},
                         "items": {"value": [{"value": {"qty": {"value": "abc"}, "price": {"value": "2"}}}]}})
        self.assertEqual(v["items"][0]["value"]["qty"], "")

    def test_min_max_value(self):
        _, errs = self.add({"title": {"value": "abc"}, "num": {"value": "150"}})
        self.assertEqual(errs, {"record.num.value": msgs("The value must be 100 or less.")})
        _, errs = self.add({"title": {"value": "abc"}, "num": {"value": "-1"}})
        self.assertEqual(errs, {"record.num.value": msgs("The value must be 0 or more.")})
        self.add_ok({"title": {"value": "abc"}, "num": {"value": "100"}})


class DateTimeTest(Base):
    def test_date_forms(self):
        cases = {"2015": "2015-01-01", "2015-07": "2015-07-01", "2015-7": "2015-07-01", "2015-7-5": "2015-07-05",
                 "2015-07-05": "2015-07-05", "": None, None: None}
        for raw, want in cases.items():
            v = self.add_ok({"title": {"value": "abc"}, "date": {"value": raw}})
            self.assertEqual(v["date"], want, raw)

    def test_bad_date(self):
        for raw in ("2015-02-30", "15-07-05", "2015/07/05", "today", 20150705):
            _, errs = self.add({"title": {"value": "abc"}, "date": {"value": raw}})
            self.assertEqual(errs, {"record.date.value": msgs("Enter the date in the format YYYY-MM-DD.")}, raw)

    def test_time_forms(self):
        for raw, want in {"11:30": "11:30", "9:05": "09:05", "11:30:59": "11:30", "": None}.items():
            v = self.add_ok({"title": {"value": "abc"}, "time": {"value": raw}})
            self.assertEqual(v["time"], want, raw)
        for raw in ("24:00", "11:60", "1130", "xx"):
            _, errs = self.add({"title": {"value": "abc"}, "time": {"value": raw}})
            self.assertEqual(errs, {"record.time.value": msgs("Enter the time in the format HH:MM.")}, raw)

    def test_datetime_forms(self):
        cases = {"2012-01-11T11:30:45Z": "2012-01-11T11:30:00Z",
                 "2012-01-11T11:30Z": "2012-01-11T11:30:00Z",
                 "2012-01-11T20:30:00+09:00": "2012-01-11T11:30:00Z",
                 "2012-01-11T02:30:00-0900": "2012-01-11T11:30:00Z",
                 "2012-01-11T11:30:00.123Z": "2012-01-11T11:30:00Z",
                 "2012-01-11": "2012-01-11T00:00:00Z",
                 "2012-01-11T11:30:00": "2012-01-11T11:30:00Z",
                 "": "", None: ""}
        for raw, want in cases.items():
            v = self.add_ok({"title": {"value": "abc"}, "dt": {"value": raw}})
            self.assertEqual(v["dt"], want, raw)
        _, errs = self.add({"title": {"value": "abc"}, "dt": {"value": "2012-13-01T00:00:00Z"}})
        self.assertEqual(errs, {"record.dt.value": msgs("Enter the date and time correctly.")})


class OptionsTest(Base):
    def test_scalar_options(self):
        v = self.add_ok({"title": {"value": "abc"}, "drop": {"value": "D2"}, "radio": {"value": "R2"}})
        self.assertEqual((v["drop"], v["radio"]), ("D2", "R2"))
        v = self.add_ok({"title": {"value": "abc"}, "drop": {"value": ""}})
        self.assertIsNone(v["drop"])
        _, errs = self.add({"title": {"value": "abc"}, "drop": {"value": "Q"}, "radio": {"value": "Z"}})
        self.assertEqual(errs, {"record.drop.value": msgs('The value, "Q", is not in options.'),
                                "record.radio.value": msgs('The value, "Z", is not in options.')})

    def test_array_options(self):
        v = self.add_ok({"title": {"value": "abc"}, "chk": {"value": ["C", "A"]}, "multi": {"value": ["Y"]}})
        self.assertEqual((v["chk"], v["multi"]), (["C", "A"], ["Y"]))
        _, errs = self.add({"title": {"value": "abc"}, "chk": {"value": ["A", "Z"]}})
        self.assertEqual(errs, {"record.chk.values[1].value": msgs('The value, "Z", is not in options.')})
        _, errs = self.add({"title": {"value": "abc"}, "multi": {"value": "X"}})
        self.assertEqual(errs, {"record.multi.values": msgs("Invalid value.")})

    def test_invalid_array_option_on_required_field_also_reports_required(self):
        self.app.properties["chk"]["required"] = True
        self.app.settings_revision += 1
        _, errs = self.add({"title": {"value": "abc"}, "chk": {"value": ["X"]}})
        self.assertEqual(errs, {"record.chk.values[0].value": msgs('The value, "X", is not in options.'),
                                "record.chk.values": msgs("Required.")})


class EntityAndFileTest(Base):
    def test_entities_get_names(self):
        v = self.add_ok({"title": {"value": "abc"}, "user": {"value": [{"code": "kato"}, {"code": "sato"}]},
                         "org": {"value": [{"code": "dev"}]}, "grp": {"value": [{"code": "g1"}]}})
        self.assertEqual(v["user"], [{"code": "kato", "name": "Kato"}, {"code": "sato", "name": "Noboru Sato"}])
        self.assertEqual(v["org"], [{"code": "dev", "name": "Development"}])
        self.assertEqual(v["grp"], [{"code": "g1", "name": "Group 1"}])

    def test_unknown_entities(self):
        _, errs = self.add({"title": {"value": "abc"}, "user": {"value": [{"code": "ghost"}]},
                            "org": {"value": [{"code": "nope"}]}, "grp": {"value": [{"code": "g9"}]}})
        self.assertEqual(errs, {"record.user.values.value": msgs("The user (ghost) not found."),
                                "record.org.values.value": msgs("The organization (nope) not found."),
                                "record.grp.values.value": msgs("The group (g9) not found.")})

    def test_file_placeholder_without_store(self):
        v = self.add_ok({"title": {"value": "abc"}, "file": {"value": [{"fileKey": "k1"}]}})
        self.assertEqual(v["file"], [{"contentType": "application/octet-stream", "fileKey": "k1", "name": "k1",
                                      "size": "0"}])

    def test_file_with_store(self):
        self.state.files = {"up1": {"contentType": "text/plain", "name": "a.txt", "size": 23}}
        v = self.add_ok({"title": {"value": "abc"}, "file": {"value": [{"fileKey": "up1"}]}})
        self.assertEqual(v["file"], [{"contentType": "text/plain", "fileKey": "up1", "name": "a.txt", "size": "23"}])
        with self.assertRaises(KintoneError) as cm:
            self.add({"title": {"value": "abc"}, "file": {"value": [{"fileKey": "missing"}]}})
        self.assertEqual((cm.exception.code, cm.exception.status), ("GAIA_BL01", 404))
        # Re-sending a key the record already has keeps the attachment.
        rec = self.store(v)
        self.state.files = {}
        v2, errs = self.update(rec, {"file": {"value": [{"fileKey": "up1"}]}})
        self.assertEqual(errs, {})
        self.assertEqual(v2["file"], v["file"])


class RequiredAndLengthTest(Base):
    def test_required_variants(self):
        for cell in (None, {"value": None}, {"value": ""}, {"value": []}):
            rec = {} if cell is None else {"title": cell}
            _, errs = self.add(rec)
            self.assertEqual(errs, {"record.title.value": msgs("Required.")}, cell)

    def test_required_keys_by_type(self):
        for code in ("chk", "user", "file", "radio", "calc", "num"):
            self.app.properties[code]["required"] = True
        self.app.settings_revision += 1
        _, errs = self.add({"title": {"value": "abc"}, "chk": {"value": []}, "user": {"value": []},
                            "radio": {"value": ""}})
        self.assertEqual(errs, {"record.num.value": msgs("Required."), "record.chk.values": msgs("Required."),
                                "record.user.values.value": msgs("Required."),
                                "record.file.values": msgs("Required.")})

    def test_required_with_default(self):
        self.app.properties["memo"]["required"] = True
        self.app.settings_revision += 1
        self.add_ok({"title": {"value": "abc"}})
        _, errs = self.add({"title": {"value": "abc"}, "memo": {"value": ""}})
        self.assertEqual(errs, {"record.memo.value": msgs("Required.")})

    def test_lengths(self):
        _, errs = self.add({"title": {"value": "123456"}})
        self.assertEqual(errs, {"record.title.value": msgs("Enter less than 6 characters.")})
        _, errs = self.add({"title": {"value": "1"}})
        self.assertEqual(errs, {"record.title.value": msgs("Enter more than 1 characters.")})
        self.add_ok({"title": {"value": "日本語です"}})

    def test_bulk_prefix(self):
        _, errs = self.add({}, prefix="records[4]")
        self.assertEqual(errs, {"records[4].title.value": msgs("Required.")})


class UniqueTest(Base):
    def test_collisions(self):
        self.store(self.add_ok({"title": {"value": "abc"}, "num": {"value": "5"}, "date": {"value": "2020-1-2"}}),
                   rid=10)
        values = self.add_ok({"title": {"value": "abc"}, "num": {"value": "5.0"}, "date": {"value": "2020-01-02"}})
        errs = FieldErrors()
        F.check_unique(self.app, values, errs, "records[1]")
        self.assertEqual(errs.render("en"), {
            "records[1].title.value": msgs("This value already exists in another record."),
            "records[1].num.value": msgs("This value already exists in another record."),
            "records[1].date.value": msgs("This value already exists in another record.")})
        errs = FieldErrors()
        F.check_unique(self.app, values, errs, "record", exclude_id=10)
        self.assertFalse(errs)

    def test_empty_never_collides_and_pending(self):
        self.store(self.add_ok({"title": {"value": "abc"}}))
        values = self.add_ok({"title": {"value": "xyz"}})
        errs = FieldErrors()
        F.check_unique(self.app, values, errs, "record")
        self.assertFalse(errs)
        F.check_unique(self.app, values, errs, "records[2]", pending=({"title": "xyz"},))
        self.assertEqual(errs.render("en"), {"records[2].title.value": msgs("This value already exists in another record.")})

    def check(self, values, exclude_id=None):
        errs = FieldErrors()
        F.check_unique(self.app, values, errs, "record", exclude_id=exclude_id)
        return errs.render("en")

    def test_stored_and_deleted_records_leave_no_dirty_owner(self):
        # An owner left behind by a deleted record made every later check of its value scan the
        # whole app (a 10,000-row INSERT after a DELETE took 15 s instead of 1).
        clash = {"record.title.value": msgs("This value already exists in another record.")}
        values = self.add_ok({"title": {"value": "dd"}})
        idx = self.app._fields_unique
        self.assertIn("dd", idx.dirty["title"])  # prepared, not stored yet
        a = self.store(values)
        self.assertNotIn("dd", idx.dirty["title"])  # stored: in the index instead
        self.assertEqual(self.check(self.add_ok({"title": {"value": "dd"}})), clash)
        v, _ = self.update(a, {"title": {"value": "ee"}})
        self.app.records[a.id] = model.Record(a.id, 2, v)  # an update stored in place
        self.assertIn("ee", idx.dirty["title"])
        self.app.remove_record(a.id)
        self.assertNotIn("ee", idx.dirty["title"])
        self.assertEqual(self.check(self.add_ok({"title": {"value": "ee"}})), {})
        # A deletion rolled back puts the record back: its value collides again.
        self.app.add_record(model.Record(a.id, 2, v))
        self.assertEqual(self.check(self.add_ok({"title": {"value": "ee"}})), clash)

    def test_index_follows_writes(self):
        clash = {"record.title.value": msgs("This value already exists in another record.")}
        a = self.store(self.add_ok({"title": {"value": "aa"}}))
        self.assertEqual(self.check(self.add_ok({"title": {"value": "aa"}})), clash)
        # A prepared but never stored record (rolled back) does not count.
        self.add_ok({"title": {"value": "bb"}})
        self.assertEqual(self.check(self.add_ok({"title": {"value": "bb"}})), {})
        # Updating a away from "aa" frees "aa"; its new value "cc" collides.
        v, _ = self.update(a, {"title": {"value": "cc"}})
        self.app.records[a.id] = model.Record(a.id, 2, v)
        self.assertEqual(self.check(self.add_ok({"title": {"value": "aa"}})), {})
        self.assertEqual(self.check(self.add_ok({"title": {"value": "cc"}})), clash)
        # An unchanged value on update does not collide with itself.
        v2, _ = self.update(self.app.records[a.id], {"memo": {"value": "x"}})
        self.assertEqual(self.check(v2, exclude_id=a.id), {})
        # A caller that copies the values dict is still seen (full scan).
        b = self.store(dict(self.add_ok({"title": {"value": "dd"}})))
        self.assertEqual(self.check(self.add_ok({"title": {"value": "dd"}})), clash)
        # Deleted records no longer collide.
        self.app.remove_record(b.id)
        self.assertEqual(self.check(self.add_ok({"title": {"value": "dd"}})), {})

    def test_find_by_update_key(self):
        rec = self.store(self.add_ok({"title": {"value": "abc"}, "num": {"value": "7"}}))
        errs = FieldErrors()
        self.assertIs(F.find_by_update_key(self.app, {"field": "title", "value": "abc"}, errs, "record"), rec)
        self.assertIs(F.find_by_update_key(self.app, {"field": "num", "value": " 7.0 "}, errs, "record"), rec)
        self.assertIs(F.find_by_update_key(self.app, {"field": "num", "value": 7}, errs, "record"), rec)
        self.assertIsNone(F.find_by_update_key(self.app, {"field": "title", "value": "zzz"}, errs, "record"))
        self.assertIsNone(F.find_by_update_key(self.app, {"field": "title", "value": ""}, errs, "record"))
        self.assertFalse(errs)
        F.find_by_update_key(self.app, {"field": "memo", "value": "x"}, errs, "record")
        F.find_by_update_key(self.app, {"field": "nosuch", "value": "x"}, errs, "records[2]")
        self.assertEqual(errs.render("en"), {
            "updateKey.field": msgs("The field specified in updateKey must be set to prohibit duplicate values."),
            "records[2].updateKey.field": msgs(
                "The field specified in updateKey must be set to prohibit duplicate values.")})


class SubtableTest(Base):
    def rows(self, values):
        return [(r["id"], r["value"]) for r in values["items"]]

    def test_add_rows_ids_defaults_and_calc(self):
        self.app.next_row_id = 368
        v = self.add_ok({"title": {"value": "abc"}, "items": {"value": [
            {"id": "5", "value": {"qty": {"value": "3"}, "price": {"value": "100"}, "kind": {"value": "K1"}}},
            {"value": {"qty": {"value": "2"}, "price": {"value": "50"}, "name": {"value": "x"}}}]}})
        self.assertEqual(self.rows(v), [
            ("368", {"qty": "3", "price": "100", "line": "300", "name": "n/a", "kind": "K1"}),
            ("369", {"qty": "2", "price": "50", "line": "100", "name": "x", "kind": None})])
        self.assertEqual(v["total"], "400")

    def test_cell_error_keys(self):
        _, errs = self.add({"title": {"value": "abc"}, "items": {"value": [
            {"value": {"price": {"value": "5"}}},
            {"value": {"price": {"value": "5000"}, "kind": {"value": "Z"}}}]}}, prefix="records[0]")
        self.assertEqual(errs, {
            "records[0].items.value[1].value.kind.value": msgs('The value, "Z", is not in options.'),
            "records[0].items.value[1].value.price.value": msgs("The value must be 1000 or less.")})

    def test_update_replace_semantics(self):
        self.app.next_row_id = 381
        v = self.add_ok({"title": {"value": "abc"}, "items": {"value": [
            {"value": {"name": {"value": "row1"}, "qty": {"value": "1"}, "price": {"value": "1"}}},
            {"value": {"name": {"value": "row2"}, "qty": {"value": "2"}, "price": {"value": "1"}}},
            {"value": {"name": {"value": "row3"}, "qty": {"value": "3"}, "price": {"value": "1"}}}]}})
        rec = self.store(v)
        # Omitted subtable: kept.
        v2, errs = self.update(rec, {"memo": {"value": "m"}})
        self.assertEqual(errs, {})
        self.assertEqual(v2["items"], v["items"])
        # Existing id merged, unknown id and no id become new rows, others deleted.
        v3, errs = self.update(rec, {"items": {"value": [
            {"id": "381", "value": {"qty": {"value": "99"}}},
            {"value": {"name": {"value": "new1"}}},
            {"id": 9999999, "value": {"name": {"value": "new2"}, "qty": {"value": "1"}}}]}})
        self.assertEqual(errs, {})
        self.assertEqual(self.rows(v3), [
            ("381", {"name": "row1", "qty": "99", "price": "1", "line": "99", "kind": None}),
            ("384", {"qty": "", "price": "", "line": "0", "name": "new1", "kind": None}),
            ("385", {"qty": "1", "price": "", "line": "0", "name": "new2", "kind": None})])
        self.assertEqual(v3["total"], "99")
        # The stored record was not modified.
        self.assertEqual([r["id"] for r in rec.values["items"]], ["381", "382", "383"])
        self.assertEqual(rec.values["items"][0]["value"]["qty"], "1")
        # [] deletes every row.
        v4, _ = self.update(rec, {"items": {"value": []}})
        self.assertEqual((v4["items"], v4["total"]), ([], "0"))


class LookupTest(Base):
    def test_copy_and_clear(self):
        v = self.add_ok({"title": {"value": "abc"}, "prod_code": {"value": "P002"},
                         "prod_name": {"value": "ignored"}})
        self.assertEqual((v["prod_code"], v["prod_name"], v["prod_price"]), ("P002", "Ink", "80"))
        rec = self.store(v)
        v2, _ = self.update(rec, {"memo": {"value": "m"}})
        self.assertEqual((v2["prod_name"], v2["prod_price"]), ("Ink", "80"))
        v3, _ = self.update(rec, {"prod_code": {"value": "P001"}})
        self.assertEqual((v3["prod_name"], v3["prod_price"]), ("Pen", "120"))
        v4, _ = self.update(rec, {"prod_code": {"value": ""}})
        self.assertEqual((v4["prod_code"], v4["prod_name"], v4["prod_price"]), ("", "", ""))

    def test_key_not_found(self):
        with self.assertRaises(KintoneError) as cm:
            self.add({"title": {"value": "abc"}, "prod_code": {"value": "P999"}})
        e = cm.exception
        self.assertEqual((e.code, e.status, e.errors), ("GAIA_LO04", 400, None))
        self.assertEqual(e.body("en")["message"],
                         "A value P999 in the field prod_code does not exist in the datasource app for lookup, "
                         "or you do not have permission to view the app or the field.")

    def test_record_number_key(self):
        self.app.properties["prod_code"]["lookup"]["relatedKeyField"] = "Record_number"
        self.app.properties["prod_code"]["lookup"]["fieldMappings"].append(
            {"field": "memo", "relatedField": "Record_number"})
        self.app.settings_revision += 1
        v = self.add_ok({"title": {"value": "abc"}, "prod_code": {"value": "2"}})
        self.assertEqual((v["prod_name"], v["memo"]), ("Ink", "2"))


class UpdateTest(Base):
    def test_partial_update_and_modifier(self):
        rec = self.store(self.add_ok({"title": {"value": "abc"}, "num": {"value": "5"}}))
        later = NOW + datetime.timedelta(minutes=5, seconds=12)
        ctx = ctx_for(self.state, user="kato", now=later)
        v, errs = self.update(rec, {"num": {"value": "6"}, "Created_by": {"value": {"code": "kato"}},
                                    "amount": {"value": "1.5e1"}}, ctx=ctx)
        self.assertEqual(errs, {})
        self.assertEqual((v["title"], v["num"], v["calc"], v["amount"], v["div"]), ("abc", "6", "12", "15", "5"))
        self.assertEqual(v["Created_by"], {"code": "sato", "name": "Noboru Sato"})
        self.assertEqual(v["Updated_by"], {"code": "kato", "name": "Kato"})
        self.assertEqual(v["Updated_datetime"], "2026-04-23T06:36:00Z")
        self.assertEqual(v["Created_datetime"], "2026-04-23T06:31:00Z")
        self.assertEqual(rec.values["num"], "5")
        # No defaults on PUT.
        self.assertEqual(v["date_now"], "2026-04-23")

    def test_update_validates_merged_record(self):
        rec = self.store(self.add_ok({"title": {"value": "abc"}}))
        self.app.properties["rich"]["required"] = True
        self.app.settings_revision += 1
        _, errs = self.update(rec, {"memo": {"value": "x"}}, prefix="records[1]")
        self.assertEqual(errs, {"records[1].rich.value": msgs("Required.")})
        _, errs = self.update(rec, {"rich": {"value": "<b>x</b>"}})
        self.assertEqual(errs, {})


def calc_app(expressions, extra=None):
    props = {
        "a": {"type": "NUMBER", "code": "a"}, "b": {"type": "NUMBER", "code": "b"},
        "d": {"type": "DATE", "code": "d"}, "dt": {"type": "DATETIME", "code": "dt"},
        "t": {"type": "TIME", "code": "t"}, "s": {"type": "SINGLE_LINE_TEXT", "code": "s"},
        "cb": {"type": "CHECK_BOX", "code": "cb", "options": opts("A", "B")},
        "tbl": {"type": "SUBTABLE", "code": "tbl", "fields": {"q": {"type": "NUMBER", "code": "q"}}},
    }
    for i, (expr, fmt) in enumerate(expressions):
        props["c%d" % i] = {"type": "CALC", "code": "c%d" % i, "expression": expr, "format": fmt}
    props.update(extra or {})
    app = model.App(5, "Calc")
    app.properties = F.normalize_properties(props)
    return app


class CalcTest(unittest.TestCase):
    def run_calc(self, cases, record):
        app = calc_app(cases)
        state = model.State()
        errs = FieldErrors()
        values = F.prepare_add(app, record, F.WriteContext(state, None, False, NOW, "UTC"), errs, "record")
        self.assertFalse(errs)
        return [values["c%d" % i] for i in range(len(cases))]

    def test_numbers(self):
        cases = [("1 / 3", "NUMBER"), ("10 / 3", "NUMBER"), ("1 / 7", "NUMBER"), ("a / 0", "NUMBER"),
                 ("0 / 0", "NUMBER"), ("7 * 0.1", "NUMBER"), ("100 * 0.1", "NUMBER"), ("a + b", "NUMBER"),
                 ("a - b * 2", "NUMBER"), ("(a - b) * 2", "NUMBER"), ("4 ^ 1.5", "NUMBER"), ("4 ^ -2", "NUMBER"),
                 ("-2 ^ 2", "NUMBER"), ("2 ^ 101", "NUMBER"), ("6 / 2", "NUMBER"), ("a * 3", "NUMBER_DIGIT"),
                 ("a > 10", "NUMBER"), ("a = 15", "NUMBER"), ("a <> 15", "NUMBER"), ("a <= 14", "NUMBER"),
                 ("IF(a > 10, a * 2, a / 2)", "NUMBER"), ("IF(a < 10, 1, \"x\")", "NUMBER"),
                 ("AND(a > 1, b = 0)", "NUMBER"), ("OR(a < 1, b > 0)", "NUMBER"), ("NOT(a > 1)", "NUMBER"),
                 ("ROUND(3.14159, 2)", "NUMBER"), ("ROUNDUP(3.14159, 2)", "NUMBER"),
                 ("ROUNDDOWN(3.14159, 2)", "NUMBER"), ("ROUND(2.5)", "NUMBER"), ("ROUND(1234, -2)", "NUMBER"),
                 ("ROUND(-2.5)", "NUMBER"), ("SUM(q)", "NUMBER"), ("SUM(a, b, 1)", "NUMBER"), ("q * 2", "NUMBER"),
                 ("\"x\" & a", "NUMBER"), ("UNKNOWN(a)", "NUMBER"), ("a +", "NUMBER"), ("nosuch + 1", "NUMBER"),
                 ("CONTAINS(cb, \"A\")", "NUMBER"), ("c0 * 3", "NUMBER"), ("c41 + 1", "NUMBER"), ("c40", "NUMBER")]
        got = self.run_calc(cases, {"a": {"value": "15"}, "tbl": {"value": [
            {"value": {"q": {"value": "10"}}}, {"value": {"q": {"value": "20"}}}, {"value": {"q": {"value": ""}}}]},
            "cb": {"value": ["A"]}})
        want = ["0.3333", "3.3333", "0.1429", "", "", "0.7", "10", "15", "15", "30", "4", "0.0625", "-4", "", "3",
                "45", "1", "1", "0", "0", "30", "", "1", "0", "0", "3.14", "3.15", "3.14", "3", "1200", "-3", "30",
                "16", "", "", "", "", "", "1", "0.9999", "", ""]
        self.assertEqual(dict(zip([c[0] for c in cases], got)), dict(zip([c[0] for c in cases], want)))

    def test_date_formats(self):
        cases = [("n * 3600", "DATETIME"), ("n * 3600", "DATE"), ("n", "TIME"), ("n", "HOUR_MINUTE"),
                 ("n", "DAY_HOUR_MINUTE"), ("d + 86400", "DATE"), ("dt + 3600", "DATETIME"), ("dt - d", "NUMBER"),
                 ("t + 60", "TIME"), ("d", "NUMBER"), ("e + 1", "DATE"), ("0 - 3660", "HOUR_MINUTE")]
        app = calc_app(cases, {"n": {"type": "NUMBER", "code": "n"}, "e": {"type": "DATE", "code": "e"}})
        errs = FieldErrors()
        values = F.prepare_add(app, {"n": {"value": "90061"}, "d": {"value": "2026-04-25"},
                                     "dt": {"value": "2026-04-25T10:00:00Z"}, "t": {"value": "23:59"}},
                               F.WriteContext(model.State(), None, False, NOW, "UTC"), errs, "record")
        self.assertFalse(errs)
        got = [values["c%d" % i] for i in range(len(cases))]
        self.assertEqual(got, ["1980-04-10T13:00:00Z", "1980-04-10", "01:01", "25:01", "25:01", "2026-04-26",
                               "2026-04-25T11:00:00Z", "36000", "00:00", "1777075200", "", "-01:01"])

    def test_text_expression(self):
        app = calc_app([], {"label": {"type": "SINGLE_LINE_TEXT", "code": "label",
                                      "expression": 's & " / " & a & "-" & IF(a > 1, "big", "small")'}})
        errs = FieldErrors()
        values = F.prepare_add(app, {"s": {"value": "x"}, "a": {"value": "7"}},
                               F.WriteContext(model.State(), None, False, NOW, "UTC"), errs, "record")
        self.assertEqual(values["label"], "x / 7-big")

    def test_text_functions(self):
        extra = {
            "t1": {"type": "SINGLE_LINE_TEXT", "code": "t1",
                   "expression": 'DATE_FORMAT(1745574000, "YYYY-MM-dd", "Asia/Tokyo") & " " & a'},
            "t2": {"type": "SINGLE_LINE_TEXT", "code": "t2", "expression": 'DATE_FORMAT(dt, "YYYY年M月d日 HH:mm", "system")'},
            "t3": {"type": "SINGLE_LINE_TEXT", "code": "t3", "expression": "YEN(a * 176.3)"},
            "t4": {"type": "SINGLE_LINE_TEXT", "code": "t4", "expression": 'DATE_FORMAT(dt, "YYYY", "Mars/Base")'},
            "t5": {"type": "CALC", "code": "t5", "expression": 'DATE_FORMAT(dt, "YYYY", "UTC")'},
        }
        app = calc_app([], extra)
        errs = FieldErrors()
        values = F.prepare_add(app, {"a": {"value": "7"}, "dt": {"value": "2026-04-25T16:05:00Z"}},
                               F.WriteContext(model.State(), None, False, NOW, "Asia/Tokyo"), errs, "record")
        self.assertEqual([values[c] for c in ("t1", "t2", "t3", "t4", "t5")],
                         ["2025-04-25 7", "2026年4月26日 01:05", "¥1,234", "", ""])

    def test_cycle_gives_empty(self):
        app = calc_app([("c1 + 1", "NUMBER"), ("c0 + 1", "NUMBER"), ("a + 1", "NUMBER")])
        errs = FieldErrors()
        values = F.prepare_add(app, {"a": {"value": "1"}}, F.WriteContext(model.State(), None, False, NOW, "UTC"),
                               errs, "record")
        self.assertEqual((values["c0"], values["c1"], values["c2"]), ("", "", "2"))


class FormatTest(Base):
    def full_record(self):
        self.app.next_row_id = 10
        self.state.files = None
        v = self.add_ok({
            "title": {"value": "abc"}, "url": {"value": "https://x"}, "num": {"value": "5"},
            "chk": {"value": ["B"]}, "drop": {"value": "D1"}, "date": {"value": "2020-1-2"},
            "time": {"value": "10:00"}, "dt": {"value": "2020-01-02T03:04:05Z"},
            "org": {"value": [{"code": "dev"}]}, "file": {"value": [{"fileKey": "fk"}]},
            "items": {"value": [{"value": {"qty": {"value": "2"}, "price": {"value": "3"}}}]},
            "prod_code": {"value": "P001"}})
        return self.store(v, rid=14, revision=3)

    def test_all_types(self):
        rec = self.full_record()
        out = F.format_record(self.app, rec)
        expected = {
            "Record_number": {"type": "RECORD_NUMBER", "value": "14"},
            "Created_by": {"type": "CREATOR", "value": {"code": "sato", "name": "Noboru Sato"}},
            "Updated_by": {"type": "MODIFIER", "value": {"code": "sato", "name": "Noboru Sato"}},
            "Created_datetime": {"type": "CREATED_TIME", "value": "2026-04-23T06:31:00Z"},
            "Updated_datetime": {"type": "UPDATED_TIME", "value": "2026-04-23T06:31:00Z"},
            "title": {"type": "SINGLE_LINE_TEXT", "value": "abc"},
            "memo": {"type": "MULTI_LINE_TEXT", "value": "note"},
            "rich": {"type": "RICH_TEXT", "value": ""},
            "url": {"type": "LINK", "value": "https://x"},
            "num": {"type": "NUMBER", "value": "5"},
            "amount": {"type": "NUMBER", "value": "10"},
            "単価": {"type": "NUMBER", "value": ""},
            "calc": {"type": "CALC", "value": "10"},
            "div": {"type": "CALC", "value": "3.3333"},
            "chk": {"type": "CHECK_BOX", "value": ["B"]},
            "multi": {"type": "MULTI_SELECT", "value": []},
            "radio": {"type": "RADIO_BUTTON", "value": "R1"},
            "drop": {"type": "DROP_DOWN", "value": "D1"},
            "date": {"type": "DATE", "value": "2020-01-02"},
            "date_now": {"type": "DATE", "value": "2026-04-23"},
            "time": {"type": "TIME", "value": "10:00"},
            "time_now": {"type": "TIME", "value": "15:31"},
            "dt": {"type": "DATETIME", "value": "2020-01-02T03:04:00Z"},
            "dt_now": {"type": "DATETIME", "value": "2026-04-23T06:31:00Z"},
            "user": {"type": "USER_SELECT", "value": [{"code": "sato", "name": "Noboru Sato"}]},
            "org": {"type": "ORGANIZATION_SELECT", "value": [{"code": "dev", "name": "Development"}]},
            "grp": {"type": "GROUP_SELECT", "value": []},
            "file": {"type": "FILE", "value": [{"contentType": "application/octet-stream", "fileKey": "fk",
                                                 "name": "fk", "size": "0"}]},
            "label_text": {"type": "SINGLE_LINE_TEXT", "value": "abc-5"},
            "items": {"type": "SUBTABLE", "value": [{"id": "10", "value": {
                "qty": {"type": "NUMBER", "value": "2"}, "price": {"type": "NUMBER", "value": "3"},
                "line": {"type": "CALC", "value": "6"}, "name": {"type": "SINGLE_LINE_TEXT", "value": "n/a"},
                "kind": {"type": "DROP_DOWN", "value": None}}}]},
            "total": {"type": "CALC", "value": "6"},
            "prod_code": {"type": "SINGLE_LINE_TEXT", "value": "P001"},
            "prod_name": {"type": "SINGLE_LINE_TEXT", "value": "Pen"},
            "prod_price": {"type": "NUMBER", "value": "120"},
            "$id": {"type": "__ID__", "value": "14"},
            "$revision": {"type": "__REVISION__", "value": "3"},
        }
        self.assertEqual(out, expected)
        self.assertEqual(json.loads(F.record_json(self.app, rec)), expected)
        # The directly written JSON is byte-identical to json.dumps of format_record.
        self.assertEqual(F.record_json(self.app, rec),
                         json.dumps(out, ensure_ascii=False, separators=(",", ":")))

    def test_missing_values_read_empty(self):
        rec = self.store({}, rid=3)
        out = F.format_record(self.app, rec, ["num", "chk", "drop", "date", "time", "dt", "user", "items", "calc",
                                              "radio", "file"])
        self.assertEqual({k: v["value"] for k, v in out.items()}, {
            "num": "", "chk": [], "drop": None, "date": None, "time": None, "dt": "", "user": [], "items": [],
            "calc": "", "radio": None, "file": []})

    def test_fields_filter_app_code_and_process_fields(self):
        rec = self.full_record()
        self.app.code = "SALES"
        out = F.format_record(self.app, rec, ["Record_number", "$id", "title", "nosuch", "qty"])
        self.assertEqual(out, {"Record_number": {"type": "RECORD_NUMBER", "value": "SALES-14"},
                               "$id": {"type": "__ID__", "value": "14"},
                               "title": {"type": "SINGLE_LINE_TEXT", "value": "abc"}})
        self.assertEqual(F.format_record(self.app, rec, []), {})
        self.assertNotIn("Status", F.format_record(self.app, rec))
        self.app.properties["Status"]["enabled"] = True
        self.app.settings_revision += 1
        rec.values["Status"] = "Open"
        out = F.format_record(self.app, rec, ["Status", "Assignee"])
        self.assertEqual(out, {"Status": {"type": "STATUS", "value": "Open"}})

    def test_record_json_cache(self):
        rec = self.full_record()
        first = F.record_json(self.app, rec, ["title"])
        self.assertEqual(first, '{"title":{"type":"SINGLE_LINE_TEXT","value":"abc"}}')
        rec.values["title"] = "changed"  # same revision: served from the cache
        self.assertEqual(F.record_json(self.app, rec, ["title"]), first)
        rec.revision += 1
        self.assertEqual(F.record_json(self.app, rec, ["title"]),
                         '{"title":{"type":"SINGLE_LINE_TEXT","value":"changed"}}')
        self.app.settings_revision += 1
        rec.values["title"] = "again"
        self.assertIn('"again"', F.record_json(self.app, rec, ["title"]))

    def test_record_json_speed(self):
        """500 records of a 20-field app; prints cold/warm times (asserted loosely, never timing-exact)."""
        app = model.App(9, "Bench")
        props = {"Record_number": {"type": "RECORD_NUMBER", "code": "Record_number"}}
        for i in range(18):
            t = ["SINGLE_LINE_TEXT", "NUMBER", "DATE", "DROP_DOWN", "CHECK_BOX", "DATETIME"][i % 6]
            p = {"type": t, "code": "f%d" % i}
            if t in ("DROP_DOWN", "CHECK_BOX"):
                p["options"] = opts("a", "b")
            props["f%d" % i] = p
        props["sub"] = {"type": "SUBTABLE", "code": "sub", "fields": {"x": {"type": "NUMBER", "code": "x"}}}
        app.properties = F.normalize_properties(props)
        ctx = F.WriteContext(model.State(), None, False, NOW, "UTC")
        sample = {"f%d" % i: {"value": v} for i, v in enumerate(
            ["text value", "12345", "2024-01-02", "a", ["a", "b"], "2024-01-02T03:04:05Z"] * 3)}
        sample["sub"] = {"value": [{"value": {"x": {"value": "1"}}}, {"value": {"x": {"value": "2"}}}]}
        recs = []
        for rid in range(1, 501):
            errs = FieldErrors()
            recs.append(model.Record(rid, 1, F.prepare_add(app, sample, ctx, errs, "record")))
        t0 = time.perf_counter()
        cold = [F.record_json(app, r, None) for r in recs]
        t1 = time.perf_counter()
        warm = [F.record_json(app, r, None) for r in recs]
        t2 = time.perf_counter()
        print("\n500 records x 20 fields: cold %.1f ms, warm %.2f ms" % ((t1 - t0) * 1000, (t2 - t1) * 1000))
        self.assertEqual(cold, warm)
        self.assertEqual(len(json.loads(cold[0])), 22)


class NormalizePropertiesTest(unittest.TestCase):
    def test_defaults(self):
        out = F.normalize_properties({
            "t": {"type": "SINGLE_LINE_TEXT"},
            "r": {"type": "RADIO_BUTTON", "options": {"B": {"label": "B", "index": 1}, "A": {"label": "A", "index": 0}}},
            "n": {"type": "NUMBER", "code": "n", "maxValue": 10},
            "c": {"type": "CALC", "expression": "n"},
            "lk": {"type": "SINGLE_LINE_TEXT", "lookup": {"relatedApp": {"app": 2}, "relatedKeyField": "code"}},
            "tbl": {"type": "SUBTABLE", "fields": {"x": {"type": "DATE"}}},
            "rn": {"type": "RECORD_NUMBER"},
        })
        self.assertEqual(out["t"], {"type": "SINGLE_LINE_TEXT", "code": "t", "label": "t", "noLabel": False,
                                    "required": False, "defaultValue": "", "unique": False, "minLength": "",
                                    "maxLength": "", "expression": "", "hideExpression": False})
        self.assertEqual(out["r"], {"type": "RADIO_BUTTON", "code": "r", "label": "r", "noLabel": False,
                                    "required": True, "options": {"B": {"label": "B", "index": "1"},
                                                                  "A": {"label": "A", "index": "0"}},
                                    "defaultValue": "A", "align": "HORIZONTAL"})
        self.assertEqual(out["n"]["maxValue"], "10")
        self.assertEqual((out["c"]["format"], out["c"]["required"]), ("NUMBER", False))
        self.assertEqual(out["lk"], {"type": "SINGLE_LINE_TEXT", "code": "lk", "label": "lk", "noLabel": False,
                                     "required": False, "lookup": {
                                         "relatedApp": {"app": "2", "code": ""}, "relatedKeyField": "code",
                                         "lookupPickerFields": [], "filterCond": "", "sort": "レコード番号 desc",
                                         "fieldMappings": []}})
        self.assertEqual(out["tbl"], {"type": "SUBTABLE", "code": "tbl", "label": "tbl", "noLabel": False,
                                      "fields": {"x": {"type": "DATE", "code": "x", "label": "x", "noLabel": False,
                                                       "required": False, "defaultValue": "", "unique": False,
                                                       "defaultNowValue": False}}})
        self.assertEqual(out["rn"], {"type": "RECORD_NUMBER", "code": "rn", "label": "rn", "noLabel": False})

    def test_input_not_modified(self):
        props = {"t": {"type": "CHECK_BOX", "options": ["A"]}}
        out = F.normalize_properties(props)
        self.assertEqual(props, {"t": {"type": "CHECK_BOX", "options": ["A"]}})
        self.assertEqual(out["t"]["options"], {"A": {"label": "A", "index": "0"}})

    def test_errors(self):
        for props, key, message in (
                ({"x": {"type": "WHATEVER"}}, "properties[x].type", "must be one of the enum value"),
                ({"x": {"label": "no type"}}, "properties[x].type", "must be one of the enum value"),
                ({"c": {"type": "CALC", "format": "YEN"}}, "properties[c].format", "must be one of the enum value"),
                ({"d": {"type": "DROP_DOWN", "options": "A,B"}}, "properties[d].options", "Invalid value."),
                ({"t": {"type": "SUBTABLE", "fields": {"y": {"type": "BAD"}}}}, "properties[t].fields[y].type",
                 "must be one of the enum value")):
            with self.assertRaises(KintoneError) as cm:
                F.normalize_properties(props)
            self.assertEqual(cm.exception.code, "CB_VA01")
            self.assertEqual(cm.exception.body("en")["errors"], {key: msgs(message)})


if __name__ == "__main__":
    unittest.main()
