"""Regression tests of the fidelity audit: each test pins one deviation from the contract
(../../shared/kintone-api.md) that the audit found and fixed, plus the byte-identity of the
record JSON cache that serves any `fields` subset by slicing.

Same pattern as test_api.py: one emulator subprocess (FidelityTests) on ../sample-data.json, state
reset before every test; nothing depends on timing.
"""

import json
import os
import random
import sys
import unittest
import urllib.parse

from tests.test_api import EmulatorTestCase

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from kintone_emulator import api  # noqa: E402
from kintone_emulator import fields as F  # noqa: E402
from kintone_emulator import query as Q  # noqa: E402
from kintone_emulator import seed  # noqa: E402
from kintone_emulator.auth import Principal  # noqa: E402


def quote(text):
    return urllib.parse.quote(text, safe="")


class FidelityTests(EmulatorTestCase):
    """Over HTTP, one emulator for all (starting one costs about a second)."""

    def test_q_zero_is_not_acceptable(self):
        # Accept-Language "en;q=0" refuses English (RFC 9110): the message stays Japanese.
        resp = self.call("GET", "records", {"app": 1}, auth=None, lang="en;q=0")
        self.assertError(resp, 401, "CB_AU01", "ログインしてください。")
        resp = self.call("GET", "records", {"app": 1}, auth=None, lang="ja;q=0, en")
        self.assertError(resp, 401, "CB_AU01", "Please login.")
        resp = self.call("GET", "records", {"app": 1}, auth=None, lang="en;q=0.1, ja;q=0.2")
        self.assertError(resp, 401, "CB_AU01", "ログインしてください。")

    def test_injected_concurrency_error_is_english_without_accept_language(self):
        # The real 429 GAIA_TO04 came back in English when no Accept-Language was sent (2.3).
        self.control("POST", "/_emulator/faults", {"match": "records\\.json", "code": "GAIA_TO04", "count": 2})
        resp = self.call("GET", "records", {"app": 1})
        body = self.assertError(resp, 429, "GAIA_TO04", "The number of concurrent API requests exceeds the limit.")
        self.assertEqual(resp.header("X-Cybozu-Error"), "GAIA_TO04")
        self.assertNotIn("errors", body)
        resp = self.call("GET", "records", {"app": 1}, lang="ja")
        self.assertError(resp, 429, "GAIA_TO04", "APIの同時リクエスト数が上限を超えています。")


    def test_error_bodies_are_compact_json_like_successes(self):
        for resp in (self.call("GET", "records", {"app": 1}, auth=None),
                     self.call("GET", "records", {"app": 1, "query": "limit 501"}),
                     self.call("DELETE", "records", {"app": 1})):
            self.assertTrue(resp.raw.startswith(b'{"code":"'), resp.raw[:40])
            self.assertNotIn(b'", "', resp.raw)
            self.assertEqual(list(resp.json)[:3], ["code", "id", "message"])
        bulk = self.call("POST", "bulkRequest", body={"requests": [
            {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": 1, "id": 1, "revision": 999}}]})
        self.assertEqual(bulk.status, 409)
        self.assertTrue(bulk.raw.startswith(b'{"results":[{"code":"GAIA_CO02","id":"'), bulk.raw[:60])



    def long_query(self):
        return "$id > 0 and " + " and ".join("$id != %d" % i for i in range(1000, 1500))

    def test_url_over_8kb_is_414_and_override_works(self):
        # Contract 2.2 / 5: URLs over 8 KB get 414; clients must use POST + X-HTTP-Method-Override.
        query = self.long_query()
        qs = "app=1&fields%5B0%5D=%24id&query=" + quote(query)
        self.assertGreater(len("/k/v1/records.json?" + qs), 8192)
        resp = self.call("GET", "records", query_string=qs)
        self.assertEqual(resp.status, 414)
        self.assertFalse(resp.header("Content-Type").startswith("application/json"))
        resp = self.call("POST", "records", body={"app": 1, "fields": ["$id"], "query": query},
                         headers={"X-HTTP-Method-Override": "GET"})
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.json["records"]), 30)

    def test_url_up_to_8kb_is_served(self):
        path = "/k/v1/records.json?app=1&fields%5B0%5D=%24id&query="
        query = "$id > 0 order by $id asc limit 1"
        pad = 8192 - len(path) - len(quote(query)) - len("&x=")
        qs = "app=1&fields%5B0%5D=%24id&query=" + quote(query) + "&x=" + "a" * pad
        self.assertEqual(len("/k/v1/records.json?" + qs), 8192)
        resp = self.call("GET", "records", query_string=qs)
        self.assertEqual(resp.status, 200)
        resp = self.call("GET", "records", query_string=qs + "a")
        self.assertEqual(resp.status, 414)


    def test_guest_path_of_a_normal_space_lists_nothing(self):
        # /k/guest/1/v1 names a normal space: no app there may be addressed on that path
        # (app.json answers CB_NO02), so apps.json lists none of them either.
        self.assertError(self.call("GET", "app", {"id": 2}, guest=1), 403, "CB_NO02")
        resp = self.call("GET", "apps", guest=1)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json, {"apps": []})
        resp = self.call("GET", "apps", guest=2)
        self.assertEqual([a["appId"] for a in resp.json["apps"]], ["3"])

    def test_list_parameter_limits(self):
        qs = "&".join("ids%%5B%d%%5D=%d" % (i, i + 1) for i in range(101))
        body = self.assertError(self.call("GET", "apps", query_string=qs), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["ids"])
        resp = self.call("GET", "apps", query_string="&".join("ids%%5B%d%%5D=%d" % (i, i + 1) for i in range(100)))
        self.assertEqual(resp.status, 200)
        body = self.assertError(self.call("GET", "apps", body={"codes": ["X%d" % i for i in range(101)]}),
                                400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["codes"])
        body = self.assertError(self.call("GET", "apps", {"name": "a" * 65}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["name"])
        self.assertEqual(self.call("GET", "apps", {"name": "a" * 64}).json, {"apps": []})
        body = self.assertError(self.call("GET", "apps", {"offset": 2147483648}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["offset"])
        self.assertEqual(self.call("GET", "apps", {"offset": 2147483647}).json, {"apps": []})


    def test_missing_primary_organization_leaves_the_other_branch_of_an_or(self):
        # Contract 7.4: without a primary organization the condition is ignored and the other
        # conditions still apply (also in an 'or'). API tokens and suzuki have none.
        query = '顧客ID = "C001" or 部署 in (PRIMARY_ORGANIZATION())'
        resp = self.call("GET", "records", {"app": 1, "fields[0]": "$id", "query": query}, auth=None,
                         headers={"X-Cybozu-API-Token": "app1viewtoken"})
        self.assertEqual(self.ids_of(resp), [1])
        resp = self.call("GET", "records", {"app": 1, "fields[0]": "$id", "query": query}, auth=("suzuki",))
        self.assertEqual(self.ids_of(resp), [1])
        resp = self.call("GET", "records", {"app": 1, "fields[0]": "$id", "query": "部署 in (PRIMARY_ORGANIZATION())"},
                         auth=("suzuki",))
        self.assertEqual(len(resp.json["records"]), 30)


    def test_lookup_with_api_tokens_needs_a_view_token_of_the_source_app(self):
        # Contract 3.1 / 6.2: a lookup reads its source app as the caller, so an API-token call
        # must also carry a token of the source app with view; otherwise GAIA_LO04 (whose text
        # says "... or you do not have permission to view the app").
        record = {"顧客ID": {"value": "C001"}, "内容": {"value": "x"}}
        for tokens in ("app4fulltoken", "app4fulltoken,app1addtoken"):
            resp = self.call("POST", "record", body={"app": 4, "record": record}, auth=None,
                             headers={"X-Cybozu-API-Token": tokens})
            body = self.assertError(resp, 400, "GAIA_LO04")
            self.assertNotIn("errors", body)
        resp = self.call("POST", "record", body={"app": 4, "record": record}, auth=None,
                         headers={"X-Cybozu-API-Token": "app4fulltoken,app1viewtoken"})
        self.assertEqual(resp.status, 200, resp.raw)
        got = self.call("GET", "record", {"app": 4, "id": resp.json["id"]}, auth=None,
                        headers={"X-Cybozu-API-Token": "app4fulltoken"}).json["record"]
        self.assertEqual(got["会社名"]["value"], "株式会社サイボウズ商事")
        # An empty key needs no source app.
        resp = self.call("POST", "record", body={"app": 4, "record": {"内容": {"value": "x"}}}, auth=None,
                         headers={"X-Cybozu-API-Token": "app4fulltoken"})
        self.assertEqual(resp.status, 200, resp.raw)

    def test_related_records_condition(self):
        # Contract 7.5 [DOC]: REF.code in (...) filters by the values of the related records.
        # Sample app 2 relates orders to customers (app 1) by 顧客ID.
        it = self.call("GET", "records", {"app": 1, "fields[0]": "顧客ID", "query": '業種 in ("IT")'}).json["records"]
        it_customers = {r["顧客ID"]["value"] for r in it}
        self.assertTrue(it_customers)
        orders = self.call("GET", "records", {"app": 2, "fields[0]": "顧客ID", "query": "limit 500"}).json["records"]
        want = sorted(i for i, r in enumerate(orders) if r["顧客ID"]["value"] in it_customers)
        resp = self.call("GET", "records", {"app": 2, "fields[0]": "顧客ID", "query": '顧客情報.業種 in ("IT") limit 500'})
        got = resp.json["records"]
        self.assertTrue(got)
        self.assertEqual(sorted(r["顧客ID"]["value"] for r in got), sorted(orders[i]["顧客ID"]["value"] for i in want))
        resp = self.call("GET", "records", {"app": 2, "fields[0]": "$id", "query": '顧客情報.業種 not in ("IT") limit 500'})
        self.assertEqual(len(resp.json["records"]), len(orders) - len(got))
        resp = self.call("GET", "records", {"app": 2, "fields[0]": "顧客ID", "query": '顧客情報.レコード番号 in ("1")'})
        self.assertEqual({r["顧客ID"]["value"] for r in resp.json["records"]}, {"C001"})
        self.assertError(self.call("GET", "records", {"app": 2, "query": '顧客情報.業種 = "IT"'}), 400, "GAIA_IQ03")
        self.assertError(self.call("GET", "records", {"app": 2, "query": '顧客ID.業種 in ("IT")'}), 400, "GAIA_IR02")

    def test_layout_only_types_and_layout_shapes(self):
        # The sample covers every type of contract 6.1: REFERENCE_TABLE and GROUP in app 2's
        # form, LABEL / SPACER / HR in its layout; none of them appears in records.
        props = self.call("GET", "app/form/fields", {"app": 2}).json["properties"]
        self.assertEqual(props["顧客情報"]["type"], "REFERENCE_TABLE")
        self.assertEqual(props["顧客情報"]["referenceTable"]["condition"], {"field": "顧客ID", "relatedField": "顧客ID"})
        self.assertEqual(props["出荷情報"]["type"], "GROUP")
        self.assertNotIn("required", props["出荷情報"])
        layout = self.call("GET", "app/form/layout", {"app": 2}).json["layout"]
        kinds = set()

        def walk(items):
            for item in items:
                kinds.add(item["type"])
                walk(item.get("fields", []))
                walk(item.get("layout", []))
        walk(layout)
        self.assertTrue({"ROW", "GROUP", "LABEL", "SPACER", "HR", "REFERENCE_TABLE"} <= kinds, kinds)
        self.assertIn({"type": "ROW", "fields": [{"type": "REFERENCE_TABLE", "code": "顧客情報"}]}, layout)
        record = self.call("GET", "record", {"app": 2, "id": 1}).json["record"]
        self.assertFalse({"顧客情報", "出荷情報"} & set(record))
        # Default layouts (app 1 has none in the seed): MULTI_LINE_TEXT / RICH_TEXT carry innerHeight.
        layout = self.call("GET", "app/form/layout", {"app": 1}).json["layout"]
        entries = [f for row in layout for f in row["fields"]]
        sizes = {f["code"]: f["size"] for f in entries}
        self.assertEqual(sizes["備考"], {"width": "193", "innerHeight": "125"})
        self.assertEqual(sizes["詳細"], {"width": "193", "innerHeight": "125"})
        self.assertEqual(sizes["メモ"], {"width": "193", "innerHeight": "125"})
        self.assertEqual(sizes["会社名"], {"width": "193"})

    def test_file_sizes_match_downloads(self):
        # A FILE value's "size" is the byte count of the file a download returns (4.11).
        records = self.call("GET", "records", {"app": 1, "fields[0]": "添付", "query": "limit 500"}).json["records"]
        files = [f for r in records for f in r["添付"]["value"]]
        self.assertGreaterEqual(len({f["fileKey"] for f in files}), 3)
        for f in files:
            resp = self.call("GET", "file", {"fileKey": f["fileKey"]})
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.header("Content-Type"), f["contentType"])
            self.assertEqual(str(len(resp.raw)), f["size"], f["name"])

    # -- record JSON: field subsets are slices of one cached record JSON; every subset must give
    # exactly the JSON of a fresh full read, filtered; writes and deploys refresh it.

    def full(self, app, rid, guest=None):
        resp = self.call("GET", "record", {"app": app, "id": rid}, auth=("Administrator",), guest=guest)
        self.assertEqual(resp.status, 200)
        return resp.json["record"]

    def subset(self, app, query, fields, guest=None):
        qs = "app=%d&query=%s&" % (app, quote(query)) + "&".join(
            "fields%%5B%d%%5D=%s" % (i, quote(f)) for i, f in enumerate(fields))
        resp = self.call("GET", "records", query_string=qs, auth=("Administrator",), guest=guest)
        self.assertEqual(resp.status, 200, resp.raw[:200])
        return resp.raw, resp.json["records"]

    def test_subsets_match_the_full_record(self):
        full = self.full(1, 1)
        codes = list(full)
        rnd = random.Random(7)
        for _ in range(25):
            chosen = rnd.sample(codes, rnd.randint(0, len(codes))) + ["nosuch", "氏名"]
            raw, records = self.subset(1, "$id = 1", chosen)
            expected = {c: v for c, v in full.items() if c in chosen}
            self.assertEqual(records, [expected])
            # Same order as the full record, compact, non-ASCII kept as is.
            text = json.dumps({"records": [expected], "totalCount": None}, ensure_ascii=False,
                              separators=(",", ":")).encode("utf-8")
            self.assertEqual(raw, text)

    def test_subset_after_update_and_after_deploy(self):
        self.subset(1, "$id = 2", ["会社名", "$revision"])  # cached before the write
        resp = self.call("PUT", "record", body={"app": 1, "id": 2, "record": {"会社名": {"value": "新社名"}}},
                         auth=("Administrator",))
        self.assertEqual(resp.status, 200)
        _, records = self.subset(1, "$id = 2", ["会社名", "$revision"])
        self.assertEqual(records[0]["会社名"]["value"], "新社名")
        self.assertEqual(records[0]["$revision"]["value"], resp.json["revision"])
        # A deploy that adds a field changes every record's shape.
        resp = self.call("POST", "preview/app/form/fields", auth=("Administrator",),
                         body={"app": 1, "properties": {"新項目": {"type": "SINGLE_LINE_TEXT", "defaultValue": "d"}}})
        self.assertEqual(resp.status, 200)
        self.assertEqual(self.call("POST", "preview/app/deploy", body={"apps": [{"app": 1}]},
                                   auth=("Administrator",)).status, 200)
        _, records = self.subset(1, "$id = 2", ["新項目", "会社名"])
        self.assertEqual(records, [{"会社名": {"type": "SINGLE_LINE_TEXT", "value": "新社名"},
                                    "新項目": {"type": "SINGLE_LINE_TEXT", "value": ""}}])

    def test_cursor_and_guest_subsets(self):
        full = self.full(3, 1, guest=2)
        _, records = self.subset(3, "$id = 1", ["$id", "担当"], guest=2)
        self.assertEqual(records, [{c: full[c] for c in full if c in ("$id", "担当")}])
        resp = self.call("POST", "records/cursor", body={"app": 1, "fields": ["顧客ID", "$id"], "query": "$id <= 2",
                                                         "size": 5}, auth=("Administrator",))
        cid = resp.json["id"]
        resp = self.call("GET", "records/cursor", {"id": cid}, auth=("Administrator",))
        self.assertEqual(resp.raw, b'{"records":[{"\xe9\xa1\xa7\xe5\xae\xa2ID":{"type":"SINGLE_LINE_TEXT","value":"C002"},'
                                   b'"$id":{"type":"__ID__","value":"2"}},{"\xe9\xa1\xa7\xe5\xae\xa2ID":{"type":'
                                   b'"SINGLE_LINE_TEXT","value":"C001"},"$id":{"type":"__ID__","value":"1"}}],"next":false}')


class RecordJsonCacheTests(unittest.TestCase):
    """In-process: records_json_bytes == json.dumps(format_record) for every record of the
    sample data and random field lists (including duplicates, unknown and subtable codes)."""

    def test_byte_identical_to_format_record(self):
        with open(os.path.join(os.path.dirname(HERE), "sample-data.json"), encoding="utf-8") as f:
            state = seed.load_state(json.load(f))
        rnd = random.Random(3)
        checked = 0
        for app in state.apps.values():
            codes = [p[1] for p in F._plan(F.schema_of(app), None)] + ["nosuch", "氏名"]
            for record in app.records.values():
                for trial in range(12):
                    if trial == 0:
                        fields = None
                    else:
                        fields = rnd.sample(codes, rnd.randint(0, len(codes)))
                        if trial % 3 == 0:
                            fields += fields[:2]
                    want = json.dumps(F.format_record(app, record, fields), ensure_ascii=False,
                                      separators=(",", ":")).encode("utf-8")
                    self.assertEqual(F.records_json_bytes(app, [record], fields)[0], want)
                    self.assertEqual(F.record_json(app, record, fields), want.decode("utf-8"))
                    checked += 1
        self.assertGreater(checked, 1000)

    def test_cache_follows_revision_and_form(self):
        with open(os.path.join(os.path.dirname(HERE), "sample-data.json"), encoding="utf-8") as f:
            state = seed.load_state(json.load(f))
        app = state.apps[1]
        record = app.records[1]
        self.assertIsNotNone(record.cache)  # built when the record was stored
        before = F.record_json(app, record, ["顧客ID"])
        record.values["顧客ID"] = "changed"
        self.assertEqual(F.record_json(app, record, ["顧客ID"]), before)  # same revision: cached
        record.revision += 1
        self.assertIn('"changed"', F.record_json(app, record, ["顧客ID"]))
        app.code = "CUST"
        app.settings_revision += 1
        self.assertEqual(json.loads(F.record_json(app, record, ["レコード番号"]))["レコード番号"]["value"], "CUST-1")


class LikeWarningTests(unittest.TestCase):
    """Contract 2.4: like / not like hitting more than 100,000 records -> 200 with
    X-Cybozu-Warning. In-process with the limit lowered (seeding 100,001 records takes ~20 s)."""

    def setUp(self):
        with open(os.path.join(os.path.dirname(HERE), "sample-data.json"), encoding="utf-8") as f:
            self.state = seed.load_state(json.load(f))
        self.saved = Q.LIKE_HIT_LIMIT
        Q.LIKE_HIT_LIMIT = 5  # app 1 has 30 records; 会社名 like "株式会社" hits only a few

    def tearDown(self):
        Q.LIKE_HIT_LIMIT = self.saved

    def run_api(self, handler, params):
        principal = Principal("user", user=self.state.users["Administrator"])
        call = api.Call(None, self.state, principal, None, params, "GET", "en")
        body = api.dispatch(call, handler)
        return call, body

    def test_warning_header(self):
        call, body = self.run_api(api.get_records, {"app": 1, "query": '顧客ID like "C0"', "fields": ["$id"]})
        self.assertEqual(call.headers, [("X-Cybozu-Warning", "Filter aborted because of too many search results")])
        self.assertEqual(len(json.loads(body)["records"]), 30)  # not truncated (choice)
        call, _ = self.run_api(api.get_records, {"app": 1, "query": '顧客ID not like "C0"'})
        self.assertEqual(len(call.headers), 1)
        call, _ = self.run_api(api.get_records, {"app": 1, "query": '会社名 like "株式会社"'})
        self.assertEqual(call.headers, [])
        call, _ = self.run_api(api.get_records, {"app": 1, "query": '顧客ID in ("C001")'})
        self.assertEqual(call.headers, [])
        call, _ = self.run_api(api.create_cursor, {"app": 1, "query": '顧客ID like "C0"'})
        self.assertEqual(len(call.headers), 1)
        Q.LIKE_HIT_LIMIT = 100000
        call, _ = self.run_api(api.get_records, {"app": 1, "query": '顧客ID like "C0"'})
        self.assertEqual(call.headers, [])


if __name__ == "__main__":
    unittest.main()
