"""End-to-end tests of the emulator server over real HTTP (server, auth, api, control modules).

One emulator subprocess per test class is started on a free port with ../sample-data.json;
every test starts from that seed (POST /_emulator/reset in setUp, faults and clock cleared).
No test depends on timing: expiry is driven through the emulator clock, delays are only
checked for "served normally afterwards".
"""

import base64
import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import unittest
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EMULATOR = os.path.join(ROOT, "kintone-emulator")
SAMPLE = os.path.join(ROOT, "sample-data.json")

USERS = {"sato": "sato-pass", "Administrator": "admin-pass", "john": "john-pass", "suzuki": "suzuki-pass",
         "tanaka": "tanaka-pass"}


def password_header(user, password=None):
    raw = "%s:%s" % (user, USERS.get(user, "") if password is None else password)
    return {"X-Cybozu-Authorization": base64.b64encode(raw.encode()).decode()}


class Response:
    def __init__(self, status, headers, raw):
        self.status = status
        self.headers = headers
        self.raw = raw

    @property
    def json(self):
        return json.loads(self.raw.decode("utf-8"))

    def header(self, name):
        return self.headers.get(name)


class EmulatorTestCase(unittest.TestCase):
    """Starts the emulator once per class; resets its state before each test."""

    @classmethod
    def setUpClass(cls):
        cls.proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0", "--data", SAMPLE],
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        line = cls.proc.stdout.readline().strip()
        if not line.startswith("http://localhost:"):
            cls.proc.kill()
            raise RuntimeError("emulator did not start: %r %s" % (line, cls.proc.stderr.read()))
        cls.url = line
        parsed = urllib.parse.urlparse(line)
        cls.host, cls.port = parsed.hostname, parsed.port

    @classmethod
    def tearDownClass(cls):
        cls.proc.terminate()
        try:
            cls.proc.wait(10)
        except subprocess.TimeoutExpired:
            cls.proc.kill()
            cls.proc.wait()
        cls.proc.stdout.close()
        cls.proc.stderr.close()

    def setUp(self):
        self.control("DELETE", "/_emulator/faults")
        self.control("POST", "/_emulator/reset")
        self.control("POST", "/_emulator/stats/reset")

    # -- helpers

    def raw_request(self, method, path, body=None, headers=None, conn=None):
        own = conn is None
        conn = conn or http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            return Response(resp.status, resp.headers, data)
        finally:
            if own:
                conn.close()

    def call(self, method, api, params=None, body=None, auth=("sato",), headers=None, guest=None,
             query_string=None, lang=None):
        """A Kintone API call. params -> query string (GET/DELETE), body -> JSON body."""
        path = ("/k/guest/%d/v1/%s.json" % (guest, api)) if guest else "/k/v1/%s.json" % api
        if query_string is not None:
            path += "?" + query_string
        elif params:
            path += "?" + urllib.parse.urlencode(params)
        h = {}
        if auth:
            h.update(password_header(*auth))
        if lang:
            h["Accept-Language"] = lang
        h.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode() if not isinstance(body, bytes) else body
            h.setdefault("Content-Type", "application/json")
        return self.raw_request(method, path, data, h)

    def control(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        return self.raw_request(method, path, data, {"Content-Type": "application/json"} if data else {})

    def assertError(self, resp, status, code, message=None):
        self.assertEqual(resp.status, status, resp.raw[:300])
        self.assertEqual(resp.header("Content-Type"), "application/json;charset=utf-8")
        body = resp.json
        self.assertEqual(body["code"], code)
        self.assertEqual(len(body["id"]), 20)
        if message is not None:
            self.assertEqual(body["message"], message)
        return body

    def ids_of(self, resp):
        return [int(r["$id"]["value"]) for r in resp.json["records"]]


# ------------------------------------------------------------------------ parameters & routing

class ParameterTests(EmulatorTestCase):

    def test_query_string_bracket_arrays_percent_encoded(self):
        qs = "app=2&fields%5B0%5D=" + urllib.parse.quote("受注番号") + "&fields%5B1%5D=%24id&query=" + \
             urllib.parse.quote("$id <= 2")
        resp = self.call("GET", "records", query_string=qs)
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json, {"records": [
            {"受注番号": {"type": "SINGLE_LINE_TEXT", "value": "O-0002"}, "$id": {"type": "__ID__", "value": "2"}},
            {"受注番号": {"type": "SINGLE_LINE_TEXT", "value": "O-0001"}, "$id": {"type": "__ID__", "value": "1"}}],
            "totalCount": None})

    def test_query_string_plain_brackets_and_repeated_keys(self):
        qs = "app=2&fields[0]=%24id&query=" + urllib.parse.quote("$id = 7")
        resp = self.call("GET", "records", query_string=qs)
        self.assertEqual(resp.json["records"], [{"$id": {"type": "__ID__", "value": "7"}}])
        qs = "app=2&fields=%24id&fields=%24revision&query=" + urllib.parse.quote("$id = 7")
        resp = self.call("GET", "records", query_string=qs)
        self.assertEqual(resp.json["records"], [{"$id": {"type": "__ID__", "value": "7"},
                                                 "$revision": {"type": "__REVISION__", "value": "1"}}])

    def test_json_body_on_get(self):
        resp = self.call("GET", "records", body={"app": 2, "fields": ["$id"], "query": "$id in (3, 4)"})
        self.assertEqual(resp.status, 200)
        self.assertEqual(self.ids_of(resp), [4, 3])

    def test_post_with_method_override_get(self):
        resp = self.call("POST", "records", body={"app": "2", "fields": ["$id"], "query": "$id < 3"},
                         headers={"X-HTTP-Method-Override": "GET"})
        self.assertEqual(resp.status, 200)
        self.assertEqual(self.ids_of(resp), [2, 1])

    def test_method_override_only_on_post(self):
        # PUT + override GET stays a PUT (without records: CB_VA01 errors.records).
        resp = self.call("PUT", "records", body={"app": 2}, headers={"X-HTTP-Method-Override": "GET"}, lang="en")
        body = self.assertError(resp, 400, "CB_VA01")
        self.assertEqual(body["errors"], {"records": {"messages": ["Required field."]}})

    def test_delete_params_from_query_string_and_from_body(self):
        resp = self.call("DELETE", "records", query_string="app=2&ids%5B0%5D=1&ids%5B1%5D=2")
        self.assertEqual((resp.status, resp.json), (200, {}))
        resp = self.call("DELETE", "records", body={"app": 2, "ids": [3]})
        self.assertEqual((resp.status, resp.json), (200, {}))
        resp = self.call("POST", "records", body={"app": 2, "ids": ["4"]}, headers={"X-HTTP-Method-Override": "DELETE"})
        self.assertEqual((resp.status, resp.json), (200, {}))
        left = self.call("GET", "records", body={"app": 2, "query": "$id <= 5", "fields": ["$id"]})
        self.assertEqual(self.ids_of(left), [5])

    def test_app_missing_or_empty(self):
        for params in ({}, {"app": ""}):
            resp = self.call("GET", "records", params=params, lang="en")
            body = self.assertError(resp, 400, "CB_VA01", "Missing or invalid input.")
            self.assertEqual(body["errors"], {"app": {"messages": ["Required field."]}})

    def test_unknown_app(self):
        resp = self.call("GET", "records", params={"app": 999}, lang="en")
        self.assertError(resp, 404, "GAIA_AP01", "The app (ID: 999) not found. The app may have been deleted.")

    def test_invalid_json_body(self):
        resp = self.call("POST", "record", body=b'{"app": 1,}')
        self.assertError(resp, 400, "CB_IJ01")
        resp = self.call("POST", "record", body=b"[1]")
        self.assertError(resp, 400, "CB_IJ01")

    def test_unknown_and_upper_case_paths(self):
        self.assertError(self.call("GET", "nothing", params={"app": 1}), 404, "CB_NF01")
        self.assertError(self.call("GET", "Records", params={"app": 1}), 404, "CB_NF01")
        self.assertError(self.call("DELETE", "record", params={"app": 1, "id": 1}), 404, "CB_NF01")
        resp = self.raw_request("GET", "/elsewhere")
        self.assertEqual(resp.status, 404)

    def test_guest_routing(self):
        self.assertError(self.call("GET", "records", params={"app": 3}), 400, "GAIA_IL23")
        self.assertError(self.call("GET", "app", params={"id": 3}), 400, "GAIA_IL23")
        self.assertError(self.call("GET", "app/form/fields", params={"app": 3}), 400, "GAIA_IL23")
        self.assertError(self.call("GET", "records", params={"app": 1}, guest=2), 403, "CB_NO02")
        self.assertError(self.call("GET", "records", params={"app": 3}, guest=1), 403, "CB_NO02")
        resp = self.call("GET", "records", params={"app": 3, "fields[0]": "$id"}, guest=2)
        self.assertEqual(resp.status, 200)
        self.assertEqual(self.ids_of(resp), [5, 4, 3, 2, 1])
        resp = self.call("GET", "app", params={"id": 3}, guest=2)
        self.assertEqual((resp.json["appId"], resp.json["spaceId"], resp.json["threadId"]), ("3", "2", "2"))

    def test_concurrency_headers_on_success_and_error(self):
        for resp in (self.call("GET", "record", params={"app": 1, "id": 1}), self.call("GET", "record", auth=None)):
            self.assertEqual(resp.header("X-ConcurrencyLimit-Limit"), "100")
            self.assertEqual(resp.header("X-ConcurrencyLimit-Running"), "1")
            self.assertEqual(resp.header("Content-Type"), "application/json;charset=utf-8")
            self.assertEqual(int(resp.header("Content-Length")), len(resp.raw))

    def test_languages(self):
        resp = self.call("GET", "record", params={"app": 1, "id": 999})
        self.assertError(resp, 404, "GAIA_RE01", "指定したレコード（id: 999）が見つかりません。")
        resp = self.call("GET", "record", params={"app": 1, "id": 999}, lang="en-US,en;q=0.9")
        self.assertError(resp, 404, "GAIA_RE01", "The specified record (ID: 999) is not found.")
        resp = self.call("GET", "record", params={"app": 1, "id": 999}, lang="ja,en;q=0.5")
        self.assertError(resp, 404, "GAIA_RE01", "指定したレコード（id: 999）が見つかりません。")
        # john's language is fixed to English: the header is ignored.
        resp = self.call("GET", "record", params={"app": 1, "id": 999}, auth=("john",), lang="ja")
        self.assertError(resp, 404, "GAIA_RE01", "The specified record (ID: 999) is not found.")
        resp = self.call("GET", "record", auth=None, lang="en")
        self.assertError(resp, 401, "CB_AU01", "Please login.")

    def test_error_ids_are_fresh(self):
        a = self.call("GET", "record", auth=None).json["id"]
        b = self.call("GET", "record", auth=None).json["id"]
        self.assertNotEqual(a, b)


# ------------------------------------------------------------------------ authentication

class AuthTests(EmulatorTestCase):

    def token_call(self, tokens, app=1, method="GET", api="records", body=None, repeated=False):
        if repeated:
            path = "/k/v1/%s.json?app=%d" % (api, app)
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            try:
                conn.putrequest(method, path)
                for t in tokens:
                    conn.putheader("X-Cybozu-API-Token", t)
                conn.endheaders()
                resp = conn.getresponse()
                return Response(resp.status, resp.headers, resp.read())
            finally:
                conn.close()
        headers = {"X-Cybozu-API-Token": ",".join(tokens)}
        if method == "GET":
            return self.call(method, api, params={"app": app}, auth=None, headers=headers)
        return self.call(method, api, body=body, auth=None, headers=headers)

    def test_no_credentials(self):
        self.assertError(self.call("GET", "records", params={"app": 1}, auth=None), 401, "CB_AU01")

    def test_bad_password_unknown_user_and_garbage(self):
        self.assertError(self.call("GET", "records", params={"app": 1}, auth=("sato", "wrong")), 401, "CB_WA01")
        self.assertError(self.call("GET", "records", params={"app": 1}, auth=("nobody", "x")), 401, "CB_WA01")
        resp = self.call("GET", "records", params={"app": 1}, auth=None,
                         headers={"X-Cybozu-Authorization": "%%%not-base64"})
        self.assertError(resp, 401, "CB_WA01")
        resp = self.call("GET", "records", params={"app": 1}, auth=None,
                         headers={"X-Cybozu-Authorization": base64.b64encode(b"sato").decode()})
        self.assertError(resp, 401, "CB_WA01")

    def test_password_wins_over_tokens(self):
        resp = self.call("GET", "records", params={"app": 1}, headers={"X-Cybozu-API-Token": "bogus"})
        self.assertEqual(resp.status, 200)

    def test_tokens(self):
        self.assertEqual(self.token_call(["app1viewtoken"]).status, 200)
        self.assertError(self.token_call(["bogus"]), 400, "GAIA_IA02")
        self.assertError(self.token_call(["app1viewtoken", "bogus"]), 400, "GAIA_IA02")
        self.assertError(self.token_call(["app1addtoken"]), 403, "GAIA_NO01")
        self.assertError(self.token_call(["app2viewtoken"]), 403, "GAIA_NO01")  # only another app's token
        self.assertError(self.token_call(["app1viewtoken", "app1fulltoken"]), 400, "GAIA_DA03")
        self.assertError(self.token_call(["app1viewtoken", "app1fulltoken"], repeated=True), 400, "GAIA_DA03")
        resp = self.token_call(["app2viewtoken", "app1viewtoken"], repeated=True)
        self.assertEqual(resp.status, 200)
        resp = self.token_call(["app2viewtoken", "app1viewtoken"], app=2)
        self.assertEqual(resp.status, 200)
        self.assertEqual(len(resp.json["records"]), 50)

    def test_too_many_tokens(self):
        tokens = ["app1viewtoken", "app2viewtoken", "app3fulltoken", "app4fulltoken"] + ["x%d" % i for i in range(6)]
        self.assertError(self.token_call(tokens), 400, "GAIA_TA01")
        self.assertError(self.token_call(tokens[:9]), 400, "GAIA_IA02")  # 9 is allowed; x0.. are invalid

    def test_token_permissions_per_api(self):
        rec = {"app": 1, "record": {"顧客ID": {"value": "T1"}, "会社名": {"value": "token"}}}
        self.assertError(self.token_call(["app1viewtoken"], method="POST", api="record", body=rec), 403, "GAIA_NO01")
        resp = self.token_call(["app1addtoken"], method="POST", api="record", body=rec)
        self.assertEqual(resp.json, {"id": "31", "revision": "1"})
        upd = {"app": 1, "id": 31, "record": {"会社名": {"value": "edited"}}}
        self.assertError(self.token_call(["app1addtoken"], method="PUT", api="record", body=upd), 403, "GAIA_NO01")
        self.assertEqual(self.token_call(["app1edittoken"], method="PUT", api="record", body=upd).json,
                         {"revision": "2"})
        dele = {"app": 1, "ids": [31]}
        self.assertError(self.token_call(["app1edittoken"], method="DELETE", api="records", body=dele),
                         403, "GAIA_NO01")
        self.assertEqual(self.token_call(["app1deletetoken"], method="DELETE", api="records", body=dele).json, {})
        # Token writes are logged as Administrator.
        resp = self.call("GET", "record", params={"app": 1, "id": 1})
        self.assertEqual(resp.status, 200)

    def test_token_write_creator_is_administrator(self):
        rec = {"app": 1, "record": {"顧客ID": {"value": "T2"}, "会社名": {"value": "token"}}}
        rid = self.token_call(["app1addtoken"], method="POST", api="record", body=rec).json["id"]
        resp = self.call("GET", "record", params={"app": 1, "id": rid})
        self.assertEqual(resp.json["record"]["作成者"]["value"], {"code": "Administrator", "name": "Administrator"})

    def test_apps_json_refuses_tokens(self):
        self.assertError(self.token_call(["app1fulltoken"], api="apps"), 403, "GAIA_NO01")
        resp = self.call("GET", "apps")
        self.assertEqual([a["appId"] for a in resp.json["apps"]], ["1", "2", "3", "4", "5", "6", "7"])

    def test_app_permissions(self):
        self.assertError(self.call("GET", "records", params={"app": 5}, auth=("suzuki",)), 403, "CB_NO02")
        self.assertEqual(self.call("GET", "records", params={"app": 5}).status, 200)
        resp = self.call("GET", "apps", auth=("suzuki",))
        self.assertEqual([a["appId"] for a in resp.json["apps"]], ["1", "2", "3", "4", "6", "7"])

    def test_bearer(self):
        h = {"Authorization": "Bearer oauth-sato-read"}
        resp = self.call("GET", "records", params={"app": 2}, auth=None, headers=h)
        self.assertEqual(resp.status, 200)
        rec = {"app": 1, "record": {"顧客ID": {"value": "B1"}, "会社名": {"value": "x"}}}
        self.assertError(self.call("POST", "record", body=rec, auth=None, headers=h), 403, "CB_NO02")
        h_all = {"Authorization": "Bearer oauth-sato-all"}
        resp = self.call("POST", "record", body=rec, auth=None, headers=h_all)
        self.assertEqual(resp.json, {"id": "31", "revision": "1"})
        resp = self.call("GET", "record", params={"app": 1, "id": 31}, auth=None, headers=h_all)
        self.assertEqual(resp.json["record"]["作成者"]["value"], {"code": "sato", "name": "佐藤 昇"})
        self.assertError(self.call("POST", "records/cursor", body={"app": 1}, auth=None, headers=h_all),
                         400, "CB_OA01")
        self.assertError(self.call("POST", "bulkRequest", body={"requests": []}, auth=None, headers=h_all),
                         400, "CB_OA01")
        self.assertError(self.call("GET", "records", params={"app": 1}, auth=None,
                                   headers={"Authorization": "Bearer nope"}), 401, "CB_AU01")

    def test_basic_layer(self):
        with open(SAMPLE, encoding="utf-8") as f:
            doc = json.load(f)
        doc["basic_auth"] = {"user": "proxy", "password": "secret"}
        self.assertEqual(self.control("POST", "/_emulator/seed", doc).status, 200)
        resp = self.call("GET", "records", params={"app": 2})
        self.assertEqual(resp.status, 401)
        self.assertTrue(resp.header("Content-Type").startswith("text/html"))
        self.assertIn("Basic", resp.header("WWW-Authenticate"))
        bad = {"Authorization": "Basic " + base64.b64encode(b"proxy:wrong").decode()}
        self.assertEqual(self.call("GET", "records", params={"app": 2}, headers=bad).status, 401)
        good = {"Authorization": "Basic " + base64.b64encode(b"proxy:secret").decode()}
        self.assertEqual(self.call("GET", "records", params={"app": 2}, headers=good).status, 200)
        # The Basic layer passes but no Kintone credentials: CB_AU01.
        self.assertError(self.call("GET", "records", params={"app": 2}, auth=None, headers=good), 401, "CB_AU01")


# ------------------------------------------------------------------------ records

class RecordReadTests(EmulatorTestCase):

    def test_defaults_order_limit_total(self):
        resp = self.call("GET", "records", params={"app": 2})
        body = resp.json
        self.assertIsNone(body["totalCount"])
        self.assertEqual([int(r["$id"]["value"]) for r in body["records"]], list(range(50, 0, -1)))
        resp = self.call("GET", "records", params={"app": 2, "totalCount": "true", "query": "limit 5 offset 2"})
        self.assertEqual(resp.json["totalCount"], "50")
        self.assertEqual(self.ids_of(resp), [48, 47, 46, 45, 44])
        resp = self.call("GET", "records", body={"app": 2, "totalCount": True, "query": "$id > 100"})
        self.assertEqual(resp.json, {"records": [], "totalCount": "0"})

    def test_default_limit_is_100(self):
        rows = [{"受注番号": {"value": "N-%d" % i}} for i in range(100)]
        for chunk in (rows[:100],):
            self.assertEqual(self.call("POST", "records", body={"app": 2, "records": chunk}).status, 200)
        resp = self.call("GET", "records", params={"app": 2, "fields[0]": "$id"})
        self.assertEqual(len(resp.json["records"]), 100)
        self.assertEqual(self.ids_of(resp)[0], 150)

    def test_fields_filter_and_special_keys(self):
        resp = self.call("GET", "records", body={"app": 1, "fields": ["会社名"], "query": "$id = 2"})
        self.assertEqual(resp.json["records"], [{"会社名": {"type": "SINGLE_LINE_TEXT", "value": '有限会社"引用"工業'}}])
        resp = self.call("GET", "records", body={"app": 1, "fields": ["会社名", "$revision"], "query": "$id = 3"})
        self.assertEqual(resp.json["records"], [{"会社名": {"type": "SINGLE_LINE_TEXT", "value": "バックスラッシュ\\商会"},
                                                 "$revision": {"type": "__REVISION__", "value": "1"}}])

    def test_query_errors_pass_through(self):
        self.assertError(self.call("GET", "records", params={"app": 2, "query": "limit 501"}), 400, "GAIA_QU01")
        self.assertError(self.call("GET", "records", params={"app": 2, "query": "nope = 1"}), 400, "GAIA_IQ11")

    def test_record_get(self):
        resp = self.call("GET", "record", params={"app": 2, "id": 3})
        rec = resp.json["record"]
        self.assertEqual(rec["受注番号"], {"type": "SINGLE_LINE_TEXT", "value": "O-0003"})
        self.assertEqual(rec["レコード番号"], {"type": "RECORD_NUMBER", "value": "ORDERS-3"})
        self.assertEqual(rec["$id"], {"type": "__ID__", "value": "3"})
        body = self.assertError(self.call("GET", "record", params={"app": 2}, lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"id": {"messages": ["Required field."]}})
        self.assertError(self.call("GET", "record", params={"app": 2, "id": 99999}, lang="en"), 404, "GAIA_RE01",
                         "The specified record (ID: 99999) is not found.")


class RecordWriteTests(EmulatorTestCase):

    def count(self, app=1):
        return int(self.call("GET", "records", params={"app": app, "totalCount": "true", "query": "limit 0"})
                   .json["totalCount"])

    def test_add_one_and_many(self):
        resp = self.call("POST", "record", body={"app": 1, "record": {"顧客ID": {"value": "N1"}, "会社名": {"value": "n"}}})
        self.assertEqual(resp.json, {"id": "31", "revision": "1"})
        resp = self.call("POST", "records", body={"app": 1, "records": [
            {"顧客ID": {"value": "N2"}, "会社名": {"value": "a"}}, {"顧客ID": {"value": "N3"}, "会社名": {"value": "b"}}]})
        self.assertEqual(resp.json, {"ids": ["32", "33"], "revisions": ["1", "1"]})
        self.assertEqual(self.call("POST", "records", body={"app": 1, "records": []}).json,
                         {"ids": [], "revisions": []})
        self.assertEqual(self.count(), 33)

    def test_101_records(self):
        many = [{"受注番号": {"value": "M%d" % i}} for i in range(101)]
        body = self.assertError(self.call("POST", "records", body={"app": 2, "records": many}, lang="en"),
                                400, "CB_VA01")
        self.assertEqual(body["errors"], {"records": {"messages": ["A maximum of 100 records can be added at one time."]}})
        body = self.assertError(self.call("POST", "records", body={"app": 2, "records": many}), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"records": {"messages": ["一度に100件までのレコードを追加できます。"]}})
        upd = [{"id": 1, "record": {}} for _ in range(101)]
        body = self.assertError(self.call("PUT", "records", body={"app": 2, "records": upd}, lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"],
                         {"records": {"messages": ["A maximum of 100 records can be updated at one time."]}})
        self.assertEqual(self.count(2), 50)

    def test_add_all_or_nothing(self):
        resp = self.call("POST", "records", lang="en", body={"app": 1, "records": [
            {"顧客ID": {"value": "OK1"}, "会社名": {"value": "fine"}},
            {"顧客ID": {"value": "OK2"}}]})
        body = self.assertError(resp, 400, "CB_VA01")
        self.assertEqual(body["errors"], {"records[1].会社名.value": {"messages": ["Required."]}})
        self.assertEqual(self.count(), 30)
        # Duplicates inside one request are caught too.
        resp = self.call("POST", "records", body={"app": 1, "records": [
            {"顧客ID": {"value": "D1"}, "会社名": {"value": "x"}}, {"顧客ID": {"value": "D1"}, "会社名": {"value": "y"}}]})
        self.assertError(resp, 400, "CB_VA01")
        self.assertEqual(self.count(), 30)

    def test_revisions(self):
        put = lambda rev, name: self.call("PUT", "record", body={"app": 2, "id": 5, "revision": rev,
                                                                 "record": {"顧客ID": {"value": name}}})
        self.assertEqual(put(1, "A").json, {"revision": "2"})
        self.assertEqual(put("2", "B").json, {"revision": "3"})
        self.assertEqual(put(-1, "C").json, {"revision": "4"})
        self.assertEqual(put(None, "D").json, {"revision": "5"})
        self.assertError(put(3, "E"), 409, "GAIA_CO02")
        rec = self.call("GET", "record", params={"app": 2, "id": 5}).json["record"]
        self.assertEqual((rec["顧客ID"]["value"], rec["$revision"]["value"]), ("D", "5"))

    def test_bulk_update_conflict_writes_nothing(self):
        resp = self.call("PUT", "records", body={"app": 2, "records": [
            {"id": 1, "revision": 1, "record": {"顧客ID": {"value": "X"}}},
            {"id": 2, "revision": 7, "record": {"顧客ID": {"value": "Y"}}}]})
        self.assertError(resp, 409, "GAIA_CO02")
        rec = self.call("GET", "record", params={"app": 2, "id": 1}).json["record"]
        self.assertEqual(rec["$revision"]["value"], "1")
        self.assertNotEqual(rec["顧客ID"]["value"], "X")

    def test_update_errors(self):
        self.assertError(self.call("PUT", "record", body={"app": 2, "id": 999, "record": {}}), 404, "GAIA_RE01")
        self.assertError(self.call("PUT", "records", body={"app": 2, "records": [{"id": 999, "record": {}}]}),
                         404, "GAIA_RE01")
        resp = self.call("PUT", "record", lang="en", body={"app": 2, "id": 1, "updateKey": {"field": "受注番号",
                                                                                          "value": "O-0001"}})
        body = self.assertError(resp, 400, "CB_VA01")
        self.assertEqual(body["errors"], {"id": {"messages": ["Specify either id or updateKey."]}})

    def test_update_by_key_and_upsert(self):
        resp = self.call("PUT", "record", body={"app": 2, "updateKey": {"field": "受注番号", "value": "O-0010"},
                                                "record": {"数量": {"value": "99"}}})
        self.assertEqual(resp.json, {"revision": "2"})
        resp = self.call("PUT", "records", body={"app": 2, "upsert": True, "records": [
            {"updateKey": {"field": "受注番号", "value": "O-0011"}, "record": {"数量": {"value": "1"}}},
            {"updateKey": {"field": "受注番号", "value": "NEW-1"}, "record": {"数量": {"value": "2"}}}]})
        self.assertEqual(resp.json, {"records": [{"id": "11", "revision": "2", "operation": "UPDATE"},
                                                 {"id": "51", "revision": "1", "operation": "INSERT"}]})
        rec = self.call("GET", "record", params={"app": 2, "id": 51}).json["record"]
        self.assertEqual((rec["受注番号"]["value"], rec["数量"]["value"]), ("NEW-1", "2"))
        resp = self.call("PUT", "records", body={"app": 2, "records": [
            {"updateKey": {"field": "受注番号", "value": "O-0012"}, "record": {"数量": {"value": "3"}}}]})
        self.assertEqual(resp.json, {"records": [{"id": "12", "revision": "2"}]})
        resp = self.call("PUT", "record", body={"app": 2, "updateKey": {"field": "受注番号", "value": "NOPE"},
                                                "record": {}})
        self.assertError(resp, 404, "GAIA_RE01")

    def test_delete(self):
        resp = self.call("DELETE", "records", body={"app": 2, "ids": [1, 2, 999]}, lang="en")
        self.assertError(resp, 404, "GAIA_RE01", "The specified record (ID: 999) is not found.")
        self.assertEqual(self.count(2), 50)
        resp = self.call("DELETE", "records", body={"app": 2, "ids": [1, 2], "revisions": [1, 5]})
        self.assertError(resp, 409, "GAIA_CO02")
        self.assertEqual(self.count(2), 50)
        resp = self.call("DELETE", "records", body={"app": 2, "ids": [1, 2], "revisions": [1, -1]})
        self.assertEqual(resp.json, {})
        self.assertEqual(self.count(2), 48)
        self.assertError(self.call("GET", "record", params={"app": 2, "id": 1}), 404, "GAIA_RE01")

    def test_delete_ids_errors(self):
        body = self.assertError(self.call("DELETE", "records", body={"app": 2}, lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"ids": {"messages": [
            "Required field.", "Between 1 and 100 records can be deleted at one time."]}})
        body = self.assertError(self.call("DELETE", "records", body={"app": 2, "ids": []}), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"ids": {"messages": ["一度に削除できるレコードは1件から100件までです。", "必須です。"]}})
        body = self.assertError(self.call("DELETE", "records", body={"app": 2, "ids": list(range(1, 102))},
                                          lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"ids": {"messages": ["Between 1 and 100 records can be deleted at one time."]}})


# ------------------------------------------------------------------------ cursors

class CursorTests(EmulatorTestCase):

    def create(self, **body):
        body.setdefault("app", 2)
        return self.call("POST", "records/cursor", body=body)

    def fetch(self, cid):
        return self.call("GET", "records/cursor", params={"id": cid})

    def set_clock(self, iso):
        self.assertEqual(self.control("POST", "/_emulator/clock", {"now": iso}).status, 200)

    def test_paging_and_auto_delete(self):
        resp = self.create(fields=["$id"], query="$id <= 45 order by $id asc", size=20)
        cid = resp.json["id"]
        self.assertEqual(resp.json["totalCount"], "45")
        pages = []
        while True:
            body = self.fetch(cid).json
            pages.append([int(r["$id"]["value"]) for r in body["records"]])
            if not body["next"]:
                break
        self.assertEqual(pages, [list(range(1, 21)), list(range(21, 41)), list(range(41, 46))])
        self.assertError(self.fetch(cid), 404, "GAIA_CN01")
        self.assertError(self.call("DELETE", "records/cursor", body={"id": cid}), 404, "GAIA_CN01")

    def test_default_size_is_100(self):
        rows = [{"受注番号": {"value": "S-%d" % i}} for i in range(100)]
        self.call("POST", "records", body={"app": 2, "records": rows})
        cid = self.create(fields=["$id"]).json["id"]
        body = self.fetch(cid).json
        self.assertEqual((len(body["records"]), body["next"]), (100, True))
        body = self.fetch(cid).json
        self.assertEqual((len(body["records"]), body["next"]), (50, False))

    def test_size_validation(self):
        for size in (0, 501, "abc", -1):
            body = self.assertError(self.create(size=size), 400, "CB_VA01")
            self.assertEqual(list(body["errors"]), ["size"])
        self.assertEqual(self.create(size=500).status, 200)
        self.assertEqual(self.create(size="1").status, 200)

    def test_limit_offset_refused(self):
        self.assertError(self.create(query="limit 10"), 400, "CB_VA01")

    def test_ten_cursor_cap(self):
        ids = [self.create().json["id"] for _ in range(10)]
        self.assertError(self.create(), 429, "GAIA_TM12")
        self.assertEqual(self.control("GET", "/_emulator/stats").json["live_cursors"], 10)
        self.assertEqual(self.call("DELETE", "records/cursor", params={"id": ids[0]}).json, {})
        self.assertEqual(self.create().status, 200)

    def test_expiry_on_emulator_clock(self):
        self.set_clock("2026-06-01T00:00:00Z")
        a = self.create(size=10).json["id"]
        b = self.create(size=10).json["id"]
        self.set_clock("2026-06-01T00:09:00Z")
        self.assertEqual(self.fetch(a).json["next"], True)  # extends a to 00:19
        self.set_clock("2026-06-01T00:10:30Z")
        self.assertError(self.fetch(b), 404, "GAIA_CN01")
        self.set_clock("2026-06-01T00:18:00Z")
        self.assertEqual(self.fetch(a).json["next"], True)
        self.set_clock("2026-06-01T00:40:00Z")
        self.assertError(self.fetch(a), 404, "GAIA_CN01")
        self.assertEqual(self.control("GET", "/_emulator/stats").json["live_cursors"], 0)

    def test_unknown_cursor_and_missing_id(self):
        self.assertError(self.fetch("00000000-0000-0000-0000-000000000000"), 404, "GAIA_CN01")
        self.assertError(self.call("GET", "records/cursor"), 400, "CB_VA01")

    def test_fixed_set_values_read_at_get(self):
        cid = self.create(fields=["$id", "顧客ID"], query="$id <= 3 order by $id asc").json["id"]
        self.call("PUT", "record", body={"app": 2, "id": 2, "record": {"顧客ID": {"value": "CHANGED"}}})
        self.call("DELETE", "records", body={"app": 2, "ids": [3]})
        self.call("POST", "record", body={"app": 2, "record": {"受注番号": {"value": "late"}}})
        body = self.fetch(cid).json
        self.assertEqual([(r["$id"]["value"], r["顧客ID"]["value"]) for r in body["records"]],
                         [("1", "C008"), ("2", "CHANGED")])

    def test_token_needs_view(self):
        h = {"X-Cybozu-API-Token": "app1addtoken"}
        self.assertError(self.call("POST", "records/cursor", body={"app": 1}, auth=None, headers=h), 403, "GAIA_NO01")
        h = {"X-Cybozu-API-Token": "app1viewtoken"}
        self.assertEqual(self.call("POST", "records/cursor", body={"app": 1}, auth=None, headers=h).status, 200)


# ------------------------------------------------------------------------ bulkRequest

class BulkTests(EmulatorTestCase):

    def bulk(self, requests, guest=None, **kw):
        return self.call("POST", "bulkRequest", body={"requests": requests}, guest=guest, **kw)

    def test_success_shapes(self):
        resp = self.bulk([
            {"method": "POST", "api": "/k/v1/record.json",
             "payload": {"app": 2, "record": {"受注番号": {"value": "B-1"}}}},
            {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": 2, "id": 1, "record": {}}},
            {"method": "POST", "api": "/k/v1/records.json",
             "payload": {"app": 1, "records": [{"顧客ID": {"value": "B"}, "会社名": {"value": "b"}}]}},
            {"method": "PUT", "api": "/k/v1/records.json", "payload": {"app": 2, "records": [{"id": 2, "record": {}}]}},
            {"method": "DELETE", "api": "/k/v1/records.json", "payload": {"app": 2, "ids": [3]}},
        ])
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json, {"results": [
            {"id": "51", "revision": "1"}, {"revision": "2"}, {"ids": ["31"], "revisions": ["1"]},
            {"records": [{"id": "2", "revision": "2"}]}, {}]})

    def test_rollback_across_apps(self):
        resp = self.bulk([
            {"method": "POST", "api": "/k/v1/record.json",
             "payload": {"app": 1, "record": {"顧客ID": {"value": "R1"}, "会社名": {"value": "r"}}}},
            {"method": "DELETE", "api": "/k/v1/records.json", "payload": {"app": 2, "ids": [1, 2]}},
            {"method": "PUT", "api": "/k/v1/record.json",
             "payload": {"app": 2, "id": 4, "revision": 9, "record": {}}},
            {"method": "POST", "api": "/k/v1/record.json", "payload": {"app": 2, "record": {}}},
        ], lang="en")
        self.assertEqual(resp.status, 409)
        body = resp.json
        self.assertEqual(list(body), ["results"])
        self.assertEqual(body["results"][0], {})
        self.assertEqual(body["results"][1], {})
        self.assertEqual(body["results"][3], {})
        self.assertEqual(body["results"][2]["code"], "GAIA_CO02")
        self.assertEqual(body["results"][2]["message"], "The revision is not the latest. Someone may update a record.")
        self.assertEqual(self.call("GET", "record", params={"app": 2, "id": 1}).status, 200)
        resp = self.call("GET", "records", params={"app": 1, "totalCount": "true", "query": "limit 0"})
        self.assertEqual(resp.json["totalCount"], "30")
        # Ids consumed by the rolled-back request are given again.
        resp = self.call("POST", "record", body={"app": 1, "record": {"顧客ID": {"value": "R1"}, "会社名": {"value": "r"}}})
        self.assertEqual(resp.json["id"], "31")

    def test_validation_failure_status_400(self):
        resp = self.bulk([{"method": "POST", "api": "/k/v1/record.json", "payload": {"app": 1, "record": {}}}],
                         lang="en")
        self.assertEqual(resp.status, 400)
        err = resp.json["results"][0]
        self.assertEqual(err["code"], "CB_VA01")
        self.assertEqual(set(err["errors"]), {"record.顧客ID.value", "record.会社名.value"})

    def test_limits_and_bad_inner_requests(self):
        req = {"method": "DELETE", "api": "/k/v1/records.json", "payload": {"app": 2, "ids": [1]}}
        body = self.assertError(self.bulk([req] * 21, lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"requests": {"messages": ["A maximum of 20 requests can be sent at one time."]}})
        resp = self.bulk([{"method": "GET", "api": "/k/v1/records.json", "payload": {"app": 2}}])
        self.assertEqual(resp.status, 400)
        self.assertEqual(resp.json["results"][0]["code"], "GAIA_BR01")

    def test_guest_forms(self):
        inner = {"method": "POST", "api": "/k/guest/2/v1/record.json",
                 "payload": {"app": 3, "record": {"案件名": {"value": "g"}}}}
        resp = self.bulk([inner], guest=2)
        self.assertEqual(resp.json, {"results": [{"id": "6", "revision": "1"}]})
        resp = self.bulk([inner])
        self.assertEqual(resp.status, 403)
        self.assertEqual(resp.json["results"][0]["code"], "CB_NO02")
        resp = self.bulk([{"method": "POST", "api": "/k/v1/record.json",
                           "payload": {"app": 3, "record": {"案件名": {"value": "g"}}}}])
        self.assertEqual(resp.status, 400)
        self.assertEqual(resp.json["results"][0]["code"], "GAIA_IL23")

    def test_inner_requests_authorised_with_same_token(self):
        h = {"X-Cybozu-API-Token": "app2fulltoken"}
        ok = {"method": "POST", "api": "/k/v1/record.json",
              "payload": {"app": 2, "record": {"受注番号": {"value": "T-1"}}}}
        bad = {"method": "POST", "api": "/k/v1/record.json",
               "payload": {"app": 1, "record": {"顧客ID": {"value": "Z"}, "会社名": {"value": "z"}}}}
        resp = self.call("POST", "bulkRequest", body={"requests": [ok, bad]}, auth=None, headers=h)
        self.assertEqual(resp.status, 403)
        self.assertEqual(resp.json["results"][1]["code"], "GAIA_NO01")
        resp = self.call("GET", "records", params={"app": 2, "totalCount": "true", "query": "limit 0"})
        self.assertEqual(resp.json["totalCount"], "50")


# ------------------------------------------------------------------------ app metadata & admin

class AppTests(EmulatorTestCase):

    def test_app_json(self):
        resp = self.call("GET", "app", params={"id": 2})
        self.assertEqual(resp.json, {
            "appId": "2", "code": "ORDERS", "name": "受注管理", "description": "", "spaceId": "1", "threadId": "1",
            "createdAt": "2026-01-01T00:00:00.000Z", "creator": {"code": "Administrator", "name": "Administrator"},
            "modifiedAt": "2026-01-01T00:00:00.000Z", "modifier": {"code": "Administrator", "name": "Administrator"}})

    def test_apps_filters(self):
        get = lambda qs: [a["appId"] for a in self.call("GET", "apps", query_string=qs).json["apps"]]
        self.assertEqual(get("ids[0]=2&ids[1]=4"), ["2", "4"])
        self.assertEqual(get("codes[0]=ORDERS"), ["2"])
        self.assertEqual(get("codes[0]=orders"), [])
        self.assertEqual(get("name=" + urllib.parse.quote("管理")), ["1", "2", "4"])
        self.assertEqual(get("spaceIds[0]=1"), ["2", "5"])
        self.assertEqual(get("limit=2&offset=1"), ["2", "3"])
        self.assertError(self.call("GET", "apps", params={"limit": 101}), 400, "CB_VA01")
        self.assertError(self.call("GET", "apps", params={"limit": 0}), 400, "CB_VA01")

    def test_fields_and_layout(self):
        resp = self.call("GET", "app/form/fields", params={"app": 2, "lang": "en"})
        body = resp.json
        self.assertEqual(body["revision"], "1")
        # the shape observed on real Kintone (contract 4.10): no noLabel
        self.assertEqual(body["properties"]["ステータス"], {"type": "STATUS", "code": "ステータス", "label": "ステータス",
                                                        "enabled": False})
        self.assertEqual(body["properties"]["受注番号"]["unique"], True)
        resp = self.call("GET", "app/form/layout", params={"app": 2})
        self.assertEqual(resp.json["revision"], "1")
        self.assertEqual(resp.json["layout"][0], {"type": "ROW", "fields": [
            {"type": "SINGLE_LINE_TEXT", "code": "受注番号", "size": {"width": "193"}}]})

    def test_create_app_add_fields_deploy(self):
        admin = ("Administrator",)
        resp = self.call("POST", "preview/app", body={"name": "新アプリ"}, auth=admin)
        self.assertEqual(resp.json, {"app": "8", "revision": "1"})
        resp = self.call("POST", "preview/app/form/fields", auth=admin, body={
            "app": 8, "revision": 1, "properties": {"title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "T"},
                                                     "n": {"type": "NUMBER", "code": "n", "label": "N"}}})
        self.assertEqual(resp.json, {"revision": "2"})
        self.assertError(self.call("POST", "preview/app/form/fields", auth=admin, body={
            "app": 8, "revision": 1, "properties": {"x": {"type": "NUMBER"}}}), 409, "GAIA_CO01")
        self.assertError(self.call("POST", "preview/app/form/fields", auth=admin, body={
            "app": 8, "properties": {"title": {"type": "NUMBER"}}}), 400, "GAIA_AR01")
        preview = self.call("GET", "preview/app/form/fields", params={"app": 8}, auth=admin).json
        self.assertEqual(preview["revision"], "2")
        self.assertIn("title", preview["properties"])
        live = self.call("GET", "app/form/fields", params={"app": 8}, auth=admin).json
        self.assertNotIn("title", live["properties"])
        self.assertEqual(self.call("POST", "preview/app/deploy", auth=admin,
                                   body={"apps": [{"app": 8, "revision": 2}]}).json, {})
        resp = self.call("GET", "preview/app/deploy", query_string="apps[0]=8", auth=admin)
        self.assertEqual(resp.json, {"apps": [{"app": "8", "status": "SUCCESS"}]})
        live = self.call("GET", "app/form/fields", params={"app": 8}, auth=admin).json
        self.assertEqual((live["revision"], live["properties"]["n"]["type"]), ("2", "NUMBER"))
        resp = self.call("POST", "record", body={"app": 8, "record": {"title": {"value": "hello"}, "n": {"value": 42}}})
        self.assertEqual(resp.json, {"id": "1", "revision": "1"})
        rec = self.call("GET", "record", params={"app": 8, "id": 1}).json["record"]
        self.assertEqual((rec["title"]["value"], rec["n"]["value"]), ("hello", "42"))
        layout = self.call("GET", "app/form/layout", params={"app": 8}).json["layout"]
        self.assertEqual([row["fields"][0]["code"] for row in layout], ["title", "n"])
        apps = self.call("GET", "apps", params={"ids[0]": 8}).json["apps"]
        self.assertEqual(apps[0]["name"], "新アプリ")

    def test_add_field_to_app_with_records_then_update_and_delete(self):
        admin = ("Administrator",)
        resp = self.call("POST", "preview/app/form/fields", auth=admin, body={
            "app": 2, "properties": {"メモ": {"type": "MULTI_LINE_TEXT", "code": "メモ", "label": "メモ"}}})
        self.assertEqual(resp.json, {"revision": "2"})
        self.call("POST", "preview/app/deploy", auth=admin, body={"apps": [{"app": 2}]})
        rec = self.call("GET", "record", params={"app": 2, "id": 1}).json["record"]
        self.assertEqual(rec["メモ"], {"type": "MULTI_LINE_TEXT", "value": ""})
        resp = self.call("PUT", "preview/app/form/fields", auth=admin, body={
            "app": 2, "properties": {"メモ": {"label": "備考欄"}}})
        self.assertEqual(resp.json, {"revision": "3"})
        self.assertError(self.call("PUT", "preview/app/form/fields", auth=admin, body={
            "app": 2, "properties": {"nope": {"label": "x"}}}), 400, "GAIA_FC01")
        resp = self.call("DELETE", "preview/app/form/fields", auth=admin, body={"app": 2, "fields": ["メモ"]})
        self.assertEqual(resp.json, {"revision": "4"})
        self.call("POST", "preview/app/deploy", auth=admin, body={"apps": [{"app": 2, "revision": 4}]})
        rec = self.call("GET", "record", params={"app": 2, "id": 1}).json["record"]
        self.assertNotIn("メモ", rec)

    def test_revert(self):
        admin = ("Administrator",)
        self.call("POST", "preview/app/form/fields", auth=admin, body={
            "app": 2, "properties": {"x": {"type": "NUMBER", "code": "x", "label": "x"}}})
        self.call("POST", "preview/app/deploy", auth=admin, body={"apps": [{"app": 2}], "revert": True})
        preview = self.call("GET", "preview/app/form/fields", params={"app": 2}, auth=admin).json
        self.assertNotIn("x", preview["properties"])

    def test_admin_permissions(self):
        self.assertError(self.call("GET", "preview/app/form/fields", params={"app": 1}, auth=("suzuki",)),
                         403, "CB_NO02")
        self.assertEqual(self.call("GET", "preview/app/form/fields", params={"app": 5}).status, 200)  # sato admins 5
        h = {"X-Cybozu-API-Token": "app1viewtoken"}
        self.assertError(self.call("GET", "preview/app/form/fields", params={"app": 1}, auth=None, headers=h),
                         403, "GAIA_NO01")
        self.assertEqual(self.call("GET", "app/form/fields", params={"app": 1}, auth=None, headers=h).status, 200)
        h = {"X-Cybozu-API-Token": "app1fulltoken"}
        self.assertEqual(self.call("GET", "preview/app/form/fields", params={"app": 1}, auth=None, headers=h).status,
                         200)
        self.assertError(self.call("POST", "preview/app", body={"name": "x"}, auth=None, headers=h), 403, "GAIA_NO01")

    def test_create_app_in_guest_space(self):
        admin = ("Administrator",)
        self.assertError(self.call("POST", "preview/app", body={"name": "g", "space": 2}, auth=admin),
                         400, "GAIA_IL23")
        resp = self.call("POST", "preview/app", body={"name": "g", "space": 2, "thread": 2}, auth=admin, guest=2)
        self.assertEqual(resp.json, {"app": "8", "revision": "1"})
        self.assertError(self.call("GET", "app", params={"id": 8}), 400, "GAIA_IL23")


# ------------------------------------------------------------------------ control API

class ControlTests(EmulatorTestCase):

    def test_reset(self):
        self.call("DELETE", "records", body={"app": 2, "ids": [1]})
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:00:00Z"})
        self.assertEqual(self.control("POST", "/_emulator/reset").status, 200)
        self.assertEqual(self.call("GET", "record", params={"app": 2, "id": 1}).status, 200)
        self.assertEqual(self.control("GET", "/_emulator/clock").json["fixed"], False)

    def test_seed_replaces_state_and_reset_returns_to_start(self):
        doc = {"users": [{"code": "u", "password": "p", "name": "U"}],
               "apps": [{"id": 7, "name": "only", "properties": {"t": {"type": "SINGLE_LINE_TEXT"}},
                         "records": [{"t": {"value": "a"}}, {"t": {"value": "b"}}]}]}
        self.assertEqual(self.control("POST", "/_emulator/seed", doc).status, 200)
        self.assertError(self.call("GET", "records", params={"app": 1}), 401, "CB_WA01")
        resp = self.call("GET", "records", params={"app": 7, "fields[0]": "t"}, auth=("u", "p"))
        self.assertEqual(resp.json["records"], [{"t": {"type": "SINGLE_LINE_TEXT", "value": "b"}},
                                                {"t": {"type": "SINGLE_LINE_TEXT", "value": "a"}}])
        self.control("POST", "/_emulator/reset")
        self.assertEqual(self.call("GET", "records", params={"app": 1}).status, 200)

    def test_bad_seed(self):
        resp = self.control("POST", "/_emulator/seed", {"apps": [{"id": 1, "properties": {
            "t": {"type": "SINGLE_LINE_TEXT", "required": True}}, "records": [{}]}]})
        self.assertEqual(resp.status, 400)
        self.assertIn("error", resp.json)
        self.assertEqual(self.call("GET", "records", params={"app": 2}).status, 200)  # state unchanged

    def test_stats(self):
        self.call("GET", "records", params={"app": 2, "query": "limit 7"})
        self.call("GET", "records", params={"app": 3}, guest=2)
        self.call("GET", "record", params={"app": 2, "id": 1})
        self.call("POST", "records", body={"app": 2, "fields": ["$id"], "query": "limit 3"},
                  headers={"X-HTTP-Method-Override": "GET"})
        self.call("GET", "records", params={"app": 2}, auth=None)
        cid = self.call("POST", "records/cursor", body={"app": 2, "size": 4}).json["id"]
        self.call("GET", "records/cursor", params={"id": cid})
        stats = self.control("GET", "/_emulator/stats").json
        self.assertEqual(stats["requests"], {"GET /k/v1/records.json": 3, "GET /k/guest/2/v1/records.json": 1,
                                             "GET /k/v1/record.json": 1, "POST /k/v1/records/cursor.json": 1,
                                             "GET /k/v1/records/cursor.json": 1})
        self.assertEqual(stats["requests_total"], 7)
        self.assertEqual(stats["records_out"], 7 + 5 + 1 + 3 + 4)
        self.assertEqual(stats["live_cursors"], 1)
        self.assertEqual(stats["in_flight"], 0)
        self.assertEqual(stats["max_concurrent"], 1)
        self.assertGreater(stats["bytes_out"], 1000)
        self.control("POST", "/_emulator/stats/reset")
        stats = self.control("GET", "/_emulator/stats").json
        self.assertEqual((stats["requests"], stats["requests_total"], stats["bytes_out"], stats["records_out"]),
                         ({}, 0, 0, 0))

    def test_clock_drives_created_time(self):
        resp = self.control("POST", "/_emulator/clock", {"now": "2027-03-04T05:06:07+09:00"})
        self.assertEqual(resp.json, {"now": "2027-03-03T20:06:07.000Z", "fixed": True})
        rid = self.call("POST", "record", body={"app": 2, "record": {"受注番号": {"value": "T"}}}).json["id"]
        rec = self.call("GET", "record", params={"app": 2, "id": rid}).json["record"]
        self.assertEqual(rec["作成日時"]["value"], "2027-03-03T20:06:00Z")
        self.assertEqual(self.control("POST", "/_emulator/clock", {"now": None}).json["fixed"], False)
        self.assertEqual(self.control("POST", "/_emulator/clock", {"now": "garbage"}).status, 400)

    def add_fault(self, **rule):
        resp = self.control("POST", "/_emulator/faults", rule)
        self.assertEqual(resp.status, 200)
        return resp.json["id"]

    def test_fault_status_body_skip_count(self):
        self.add_fault(match=r"/records\.json$", method="GET", skip=1, count=2, status=503, body="maintenance")
        get = lambda: self.call("GET", "records", params={"app": 2, "query": "limit 1"})
        self.assertEqual(get().status, 200)  # skipped
        for _ in range(2):
            resp = get()
            self.assertEqual((resp.status, resp.raw), (503, b"maintenance"))
            self.assertTrue(resp.header("Content-Type").startswith("text/plain"))
        self.assertEqual(get().status, 200)  # count exhausted: rule removed
        self.assertEqual(self.control("GET", "/_emulator/faults").json, {"faults": []})
        # Method filter: a POST does not match a GET rule.
        self.add_fault(match="record", method="GET", status=500)
        self.assertEqual(self.call("POST", "record", body={"app": 2, "record": {"受注番号": {"value": "T"}}}).status,
                         200)
        self.assertEqual(self.call("GET", "record", params={"app": 2, "id": 1}).status, 500)

    def test_fault_kintone_code_and_json_body(self):
        self.add_fault(match="records", code="GAIA_TO04", count=1)
        resp = self.call("GET", "records", params={"app": 2}, lang="en")
        body = self.assertError(resp, 429, "GAIA_TO04", "The number of concurrent API requests exceeds the limit.")
        self.assertEqual(resp.header("X-Cybozu-Error"), "GAIA_TO04")
        self.add_fault(match="records", status=520, body={"code": "GAIA_XX99", "message": "m"}, count=1)
        resp = self.call("GET", "records", params={"app": 2})
        self.assertEqual((resp.status, resp.json), (520, {"code": "GAIA_XX99", "message": "m"}))

    def test_fault_first_matching_rule_applies_and_list_delete(self):
        first = self.add_fault(match="records", status=418)
        self.add_fault(match="records", status=500)
        self.assertEqual(self.call("GET", "records", params={"app": 2}).status, 418)
        listed = self.control("GET", "/_emulator/faults").json["faults"]
        self.assertEqual([(f["id"], f["status"], f["applied"]) for f in listed],
                         [(first, 418, 1), (str(int(first) + 1), 500, 0)])
        self.assertEqual(self.control("DELETE", "/_emulator/faults/" + first).status, 200)
        self.assertEqual(self.call("GET", "records", params={"app": 2}).status, 500)
        self.control("DELETE", "/_emulator/faults")
        self.assertEqual(self.call("GET", "records", params={"app": 2}).status, 200)
        self.assertEqual(self.control("POST", "/_emulator/faults", {"status": 500}).status, 400)

    def test_fault_drop_connection(self):
        self.add_fault(match="records", drop_connection=True, count=1)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request("GET", "/k/v1/records.json?app=2", headers=password_header("sato"))
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            conn.getresponse()
        conn.close()
        self.assertEqual(self.call("GET", "records", params={"app": 2}).status, 200)

    def test_fault_truncate_body(self):
        self.add_fault(match="records", truncate_body=True, count=1)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        conn.request("GET", "/k/v1/records.json?app=2", headers=password_header("sato"))
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        length = int(resp.getheader("Content-Length"))
        with self.assertRaises(http.client.IncompleteRead) as ctx:
            resp.read()
        self.assertEqual(len(ctx.exception.partial), length // 2)
        conn.close()

    def test_fault_delay_only_serves_normally(self):
        self.add_fault(match="records", delay_ms=5, count=1)
        resp = self.call("GET", "records", params={"app": 2, "query": "limit 2"})
        self.assertEqual((resp.status, len(resp.json["records"])), (200, 2))
        self.assertEqual(self.control("GET", "/_emulator/faults").json, {"faults": []})

    def test_control_requests_not_counted(self):
        self.control("GET", "/_emulator/faults")
        self.control("GET", "/_emulator/stats")
        self.assertEqual(self.control("GET", "/_emulator/stats").json["requests_total"], 0)
        self.assertEqual(self.control("GET", "/_emulator/nothing").status, 404)


# ------------------------------------------------------------------------ comments

class CommentTests(EmulatorTestCase):

    def test_comments(self):
        self.control("POST", "/_emulator/clock", {"now": "2026-05-09T18:27:54Z"})
        for i in range(12):
            resp = self.call("POST", "record/comment", body={"app": 1, "record": 2, "comment": {
                "text": "c%d" % i, "mentions": [{"code": "tanaka", "type": "USER"}] if i == 0 else []}})
            self.assertEqual(resp.json, {"id": str(i + 1)})
        resp = self.call("GET", "record/comments", params={"app": 1, "record": 2})
        body = resp.json
        self.assertEqual([c["id"] for c in body["comments"]], [str(i) for i in range(12, 2, -1)])
        self.assertEqual((body["older"], body["newer"]), (True, False))
        resp = self.call("GET", "record/comments", params={"app": 1, "record": 2, "order": "asc", "limit": 2})
        self.assertEqual(resp.json["comments"][0], {
            "id": "1", "text": "田中 花子 \nc0", "createdAt": "2026-05-09T18:27:54Z",
            "creator": {"code": "sato", "name": "佐藤 昇"}, "mentions": [{"code": "tanaka", "type": "USER"}]})
        self.assertEqual((resp.json["older"], resp.json["newer"]), (False, True))
        self.assertEqual(self.call("DELETE", "record/comment", body={"app": 1, "record": 2, "comment": 12}).json, {})
        self.assertError(self.call("DELETE", "record/comment", body={"app": 1, "record": 2, "comment": 12}),
                         400, "GAIA_RE02")
        resp = self.call("POST", "record/comment", body={"app": 1, "record": 2, "comment": {"text": "again"}})
        self.assertEqual(resp.json, {"id": "13"})
        body = self.assertError(self.call("GET", "record/comments", params={"app": 1, "record": 2, "order": "x"},
                                          lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"order": {"messages": ["must be one of the enum value"]}})
        self.assertError(self.call("GET", "record/comments", params={"app": 1, "record": 2, "limit": 11}),
                         400, "CB_VA01")
        self.assertError(self.call("GET", "record/comments", params={"app": 1, "record": 999}), 404, "GAIA_RE01")


# ------------------------------------------------------------------------ files

class FileTests(EmulatorTestCase):

    def upload(self, content, name="メモ.txt", ctype="text/plain", part="file"):
        boundary = "----emulatortest"
        body = ("--%s\r\nContent-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\n"
                "Content-Type: %s\r\n\r\n" % (boundary, part, name, ctype)).encode() + content + \
            ("\r\n--%s--\r\n" % boundary).encode()
        headers = dict(password_header("sato"), **{"Content-Type": "multipart/form-data; boundary=" + boundary})
        return self.raw_request("POST", "/k/v1/file.json", body, headers)

    def test_upload_attach_download(self):
        resp = self.upload(b"\x00binary\xff")
        key = resp.json["fileKey"]
        rid = self.call("POST", "record", body={"app": 1, "record": {
            "顧客ID": {"value": "F"}, "会社名": {"value": "f"}, "添付": {"value": [{"fileKey": key}]}}}).json["id"]
        rec = self.call("GET", "record", params={"app": 1, "id": rid}).json["record"]
        download_key = rec["添付"]["value"][0]["fileKey"]
        self.assertNotEqual(download_key, key)  # attached under a new download key (4.11)
        self.assertEqual(rec["添付"]["value"], [{"contentType": "text/plain", "fileKey": download_key,
                                                 "name": "メモ.txt", "size": "8"}])
        resp = self.call("GET", "file", params={"fileKey": download_key})
        self.assertEqual((resp.status, resp.raw, resp.header("Content-Type")), (200, b"\x00binary\xff", "text/plain"))
        resp = self.call("GET", "file", params={"fileKey": key})
        self.assertEqual((resp.status, resp.raw, resp.header("Content-Type")), (200, b"\x00binary\xff", "text/plain"))

    def test_seeded_file_and_errors(self):
        resp = self.call("GET", "file", params={"fileKey": "20260101000000ABCDEF0123456789ABCDEF03"})
        self.assertEqual(resp.raw, b"hello kintone")
        self.assertError(self.call("GET", "file", params={"fileKey": "nope"}), 404, "GAIA_BL01")
        self.assertError(self.call("GET", "file"), 400, "CB_VA01")
        self.assertError(self.upload(b"x", part="other"), 400, "CB_VA01")
        resp = self.call("POST", "record", body={"app": 1, "record": {
            "顧客ID": {"value": "F"}, "会社名": {"value": "f"}, "添付": {"value": [{"fileKey": "unknown"}]}}})
        self.assertError(resp, 404, "GAIA_BL01")


# ------------------------------------------------------------------------ process

class ProcessTests(unittest.TestCase):

    def start(self, *args):
        proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0"] + list(args),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.addCleanup(self.stop, proc)
        return proc

    @staticmethod
    def stop(proc):
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()

    def test_signals_exit_zero(self):
        for sig in ("terminate", "interrupt"):
            proc = self.start("--latency-ms", "1", "--data", SAMPLE)
            url = urllib.parse.urlparse(proc.stdout.readline().strip())
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.request("GET", "/k/v1/record.json?app=1&id=1", headers=password_header("sato"))
            self.assertEqual(conn.getresponse().status, 200)
            conn.close()
            if sig == "terminate":
                proc.terminate()
            else:
                proc.send_signal(__import__("signal").SIGINT)
            self.assertEqual(proc.wait(30), 0)

    def test_bad_seed_file_exits_2(self):
        proc = self.start("--data", "/nonexistent/seed.json")
        self.assertEqual(proc.wait(30), 2)
        self.assertIn("cannot read", proc.stderr.read())


# ------------------------------------------------------------------------ connections

class ConnectionTests(EmulatorTestCase):

    def test_keep_alive(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        socks = set()
        for i in range(1, 6):
            resp = self.raw_request("GET", "/k/v1/record.json?app=2&id=%d" % i, headers=password_header("sato"),
                                    conn=conn)
            self.assertEqual(resp.status, 200)
            self.assertEqual(resp.json["record"]["$id"]["value"], str(i))
            socks.add(id(conn.sock))
        # Errors and a body-carrying GET keep the connection too.
        self.assertEqual(self.raw_request("GET", "/k/v1/record.json", conn=conn).status, 401)
        resp = self.raw_request("GET", "/k/v1/records.json", body=json.dumps({"app": 2}).encode(),
                                headers=dict(password_header("sato"), **{"Content-Type": "application/json"}),
                                conn=conn)
        self.assertEqual(resp.status, 200)
        socks.add(id(conn.sock))
        self.assertEqual(len(socks), 1)
        conn.close()

    def test_connection_close_honoured(self):
        s = socket.create_connection((self.host, self.port), timeout=30)
        s.sendall(b"GET /k/v1/record.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
        s.close()
        head = data.split(b"\r\n\r\n", 1)[0].decode()
        self.assertTrue(head.startswith("HTTP/1.1 401"))
        self.assertIn("Connection: close", head)

    def test_concurrent_connections(self):
        results = []
        lock = threading.Lock()

        def worker(n):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
            for i in range(5):
                conn.request("GET", "/k/v1/records.json?app=2&query=" + urllib.parse.quote("$id = %d" % (1 + (n + i) % 50)),
                             headers=password_header("sato"))
                resp = conn.getresponse()
                body = json.loads(resp.read())
                with lock:
                    results.append((resp.status, body["records"][0]["$id"]["value"] == str(1 + (n + i) % 50)))
            conn.close()

        threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(results, [(200, True)] * 100)
        stats = self.control("GET", "/_emulator/stats").json
        self.assertEqual(stats["requests_total"], 100)
        self.assertEqual(stats["in_flight"], 0)


if __name__ == "__main__":
    unittest.main()
