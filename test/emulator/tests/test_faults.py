"""Fault rules that act after processing, random faults, canned and generated answers
(README, "Faults"). The before-processing rules are tested in test_api.py.

No test depends on timing: only the effect of a processed request and the bytes of each
answer are checked.
"""

import gzip
import http.client
import json
import zlib

from .test_api import EmulatorTestCase, password_header


class AfterProcessingFaultTests(EmulatorTestCase):
    def add_fault(self, **rule):
        resp = self.control("POST", "/_emulator/faults", rule)
        self.assertEqual(resp.status, 200, resp.raw)
        return resp.json["id"]

    def count_records(self, app=2):
        return int(self.call("GET", "records", params={"app": app, "totalCount": "true", "query": "limit 1"})
                   .json["totalCount"])

    def add_one(self, conn=None):
        body = json.dumps({"app": 2, "records": [{"受注番号": {"value": "F"}}]}).encode()
        headers = dict(password_header("sato"), **{"Content-Type": "application/json"})
        return self.raw_request("POST", "/k/v1/records.json", body, headers, conn=conn)

    def test_drop_after_processing_keeps_the_write(self):
        before = self.count_records()
        self.add_fault(match=r"/records\.json$", method="POST", after=True, drop_connection=True, count=1)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        body = json.dumps({"app": 2, "records": [{"受注番号": {"value": "F"}}]}).encode()
        conn.request("POST", "/k/v1/records.json", body=body,
                     headers=dict(password_header("sato"), **{"Content-Type": "application/json"}))
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            conn.getresponse()
        conn.close()
        self.assertEqual(self.count_records(), before + 1)  # processed, answer lost
        self.assertEqual(self.control("GET", "/_emulator/faults").json, {"faults": []})

    def test_drop_before_processing_does_not_write(self):
        before = self.count_records()
        self.add_fault(match=r"/records\.json$", method="POST", drop_connection=True, count=1)
        with self.assertRaises((http.client.RemoteDisconnected, ConnectionResetError)):
            self.add_one()
        self.assertEqual(self.count_records(), before)

    def test_gateway_page_after_processing(self):
        before = self.count_records()
        self.add_fault(match=r"/records\.json$", method="POST", after=True, status=504,
                       body="<html><body>Gateway Timeout</body></html>", content_type="text/html", count=1)
        resp = self.add_one()
        self.assertEqual((resp.status, resp.raw), (504, b"<html><body>Gateway Timeout</body></html>"))
        self.assertEqual(resp.header("Content-Type"), "text/html")
        self.assertEqual(self.count_records(), before + 1)

    def test_truncate_after_processing(self):
        before = self.count_records()
        self.add_fault(match=r"/records\.json$", method="POST", after=True, truncate_body=True, count=1)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        body = json.dumps({"app": 2, "records": [{"受注番号": {"value": "F"}}]}).encode()
        conn.request("POST", "/k/v1/records.json", body=body,
                     headers=dict(password_header("sato"), **{"Content-Type": "application/json"}))
        resp = conn.getresponse()
        self.assertEqual(resp.status, 200)
        with self.assertRaises(http.client.IncompleteRead):
            resp.read()
        conn.close()
        self.assertEqual(self.count_records(), before + 1)

    def test_cursor_page_lost_after_processing_advances_the_cursor(self):
        created = self.call("POST", "records/cursor", body={"app": 2, "size": 10, "query": "order by $id asc"}).json
        self.add_fault(match=r"/records/cursor\.json$", method="GET", after=True, status=503, body="busy", count=1)
        lost = self.call("GET", "records/cursor", params={"id": created["id"]})
        self.assertEqual(lost.status, 503)
        page = self.call("GET", "records/cursor", params={"id": created["id"]}).json
        self.assertEqual(self.ids_of_page(page)[0], 11)  # the first page was consumed

    def ids_of_page(self, page):
        return [int(r["$id"]["value"]) for r in page["records"]]

    def test_repeat_previous_serves_the_last_page_again(self):
        created = self.call("POST", "records/cursor", body={"app": 2, "size": 10, "query": "order by $id asc"}).json
        self.add_fault(match=r"/records/cursor\.json$", method="GET", after=True, repeat_previous=True, skip=1,
                       count=1)
        first = self.call("GET", "records/cursor", params={"id": created["id"]}).json
        again = self.call("GET", "records/cursor", params={"id": created["id"]}).json
        third = self.call("GET", "records/cursor", params={"id": created["id"]}).json
        self.assertEqual(self.ids_of_page(first), self.ids_of_page(again))
        self.assertEqual(self.ids_of_page(third)[0], 21)  # page 2 was consumed, page 1 repeated

    def test_body_match_picks_the_request_by_its_body(self):
        before = self.count_records()
        self.add_fault(match=r"/records\.json$", method="POST", body_match="PICK ME", code="CB_VA01", count=1)
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = dict(password_header("sato"), **{"Content-Type": "application/json"})
        for value, status in (("other", 200), ("PICK ME", 400), ("PICK ME", 200)):
            body = json.dumps({"app": 2, "records": [{"受注番号": {"value": value}}]}).encode()
            conn.request("POST", "/k/v1/records.json", body=body, headers=headers)
            resp = conn.getresponse()
            resp.read()
            self.assertEqual(resp.status, status, value)
        conn.close()
        self.assertEqual(self.count_records(), before + 2)

    def test_await_in_flight_holds_until_requests_overlap(self):
        import threading
        self.add_fault(match=r"/records\.json$", method="POST", await_in_flight=2, count=1)
        statuses = []

        def add(value="HELD"):
            conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            body = json.dumps({"app": 2, "records": [{"受注番号": {"value": value}}]}).encode()
            conn.request("POST", "/k/v1/records.json", body=body,
                         headers=dict(password_header("sato"), **{"Content-Type": "application/json"}))
            resp = conn.getresponse()
            resp.read()
            statuses.append(resp.status)
            conn.close()

        first = threading.Thread(target=add)
        first.start()
        add("RELEASER")  # the second one releases it (or finds it held, whichever comes first)
        first.join(30)
        self.assertEqual(statuses, [200, 200])
        # Alone, a request is held until the timeout: with await_strict it is answered 400
        # (no timing assumed: nothing else is sent).
        self.add_fault(match=r"/records\.json$", method="POST", await_in_flight=2, await_timeout_ms=50,
                       await_strict=True, count=1)
        before = self.count_records()
        resp = self.add_one()
        self.assertEqual(resp.status, 400)
        self.assertEqual(resp.json["code"], "EMULATOR_AWAIT_MISSED")
        self.assertEqual(self.count_records(), before)  # held before processing: nothing written

    def test_await_match_holds_until_the_awaited_request_arrives(self):
        import threading
        # The rule picks the GET whose query says "limit 3" and holds it until one saying
        # "limit 7" arrives; what the held one returns is the real answer.
        self.add_fault(match=r"/records\.json$", method="GET", query_match=r"limit 3$",
                       await_match=r"^GET /k/v1/records\.json\?.*limit 7", await_strict=True, count=1)
        answers = {}

        def read(limit):
            answers[limit] = self.call("GET", "records", params={"app": 2, "query": "limit %d" % limit})

        held = threading.Thread(target=read, args=(3,))
        held.start()
        read(2)  # not the awaited one: served, the hold goes on
        self.assertEqual(answers[2].status, 200)
        self.assertNotIn(3, answers)
        read(7)
        held.join(30)
        self.assertEqual(answers[3].status, 200, answers[3].raw)
        self.assertEqual(len(answers[3].json["records"]), 3)

    def test_await_strict_answers_an_error_when_the_awaited_never_comes(self):
        self.add_fault(match=r"/records\.json$", method="GET", await_match=r"never sent", await_timeout_ms=50,
                       await_strict=True, count=1)
        resp = self.call("GET", "records", params={"app": 2, "query": "limit 1"})
        self.assertEqual(resp.status, 400)
        self.assertEqual(resp.json["code"], "EMULATOR_AWAIT_MISSED")
        self.assertEqual(resp.header("X-Cybozu-Error"), "EMULATOR_AWAIT_MISSED")
        # Without await_strict the request goes on after the timeout, and the miss is counted.
        rid = self.add_fault(match=r"/records\.json$", method="GET", await_match=r"never sent", await_timeout_ms=50)
        self.assertEqual(self.call("GET", "records", params={"app": 2, "query": "limit 1"}).status, 200)
        rules = self.control("GET", "/_emulator/faults").json["faults"]
        self.assertEqual([r["await_missed"] for r in rules if r["id"] == rid], [1])

    def test_query_match_picks_a_request_by_its_parameters(self):
        self.add_fault(match=r"/records\.json$", method="GET", query_match=r"\$id > 5 ", status=503,
                       body="busy", count=1)
        self.assertEqual(self.call("GET", "records", params={"app": 2, "query": "$id > 1 limit 1"}).status, 200)
        self.assertEqual(self.call("GET", "records", params={"app": 2, "query": "$id > 5 limit 1"}).status, 503)
        self.assertEqual(self.call("GET", "records", params={"app": 2, "query": "$id > 5 limit 1"}).status, 200)

    def test_delay_after_processing(self):
        before = self.count_records()
        self.add_fault(match=r"/records\.json$", method="POST", after=True, delay_ms=5, count=1)
        self.assertEqual(self.add_one().status, 200)
        self.assertEqual(self.count_records(), before + 1)

    def test_headers_added_to_the_real_answer(self):
        self.add_fault(match=r"/records\.json$", method="GET", after=True,
                       headers={"X-Cybozu-Warning": "Filter aborted because of too many search results"}, count=1)
        resp = self.call("GET", "records", params={"app": 2, "query": "limit 2"})
        self.assertEqual(len(resp.json["records"]), 2)
        self.assertEqual(resp.header("X-Cybozu-Warning"), "Filter aborted because of too many search results")


class CannedAnswerTests(EmulatorTestCase):
    def add_fault(self, **rule):
        resp = self.control("POST", "/_emulator/faults", rule)
        self.assertEqual(resp.status, 200, resp.raw)
        return resp.json["id"]

    def test_canned_json_page(self):
        self.add_fault(match=r"/records\.json$", method="GET", status=200, body={"totalCount": "-5"}, count=1)
        resp = self.call("GET", "records", params={"app": 2})
        self.assertEqual((resp.status, resp.json), (200, {"totalCount": "-5"}))
        self.assertTrue(resp.header("Content-Type").startswith("application/json"))

    def test_string_body_with_content_type(self):
        raw = '{"records":[{"t":{"type":"SINGLE_LINE_TEXT","value":"a\\u0000b"}}]}'
        self.add_fault(match=r"/records\.json$", status=200, body=raw, content_type="application/json", count=1)
        resp = self.call("GET", "records", params={"app": 2})
        self.assertEqual(resp.raw.decode(), raw)
        self.assertEqual(resp.json["records"][0]["t"]["value"], "a\x00b")

    def test_body_repeat(self):
        self.add_fault(match=r"/records\.json$", status=200,
                       body_repeat={"prefix": '{"records":[', "unit": '{"$id":{"type":"__ID__","value":"1"}}',
                                    "separator": ",", "count": 3, "suffix": "]}"}, count=1)
        resp = self.call("GET", "records", params={"app": 2})
        self.assertEqual(len(resp.json["records"]), 3)
        self.assertEqual(int(resp.header("Content-Length")), len(resp.raw))

    def test_large_body_repeat_streams(self):
        unit = "x" * 1000
        self.add_fault(match=r"/records\.json$", status=200,
                       body_repeat={"prefix": "[", "unit": unit, "count": 5000, "suffix": "]"}, count=1)
        resp = self.call("GET", "records", params={"app": 2})
        self.assertEqual(len(resp.raw), 5000 * 1000 + 2)

    def test_gzip_bomb(self):
        self.add_fault(match=r"/records\.json$", status=200, gzip=True,
                       body_repeat={"prefix": '{"records":[', "unit": "0", "separator": ",", "count": 2000000,
                                    "suffix": "]}"}, count=2)
        for _ in range(2):  # compressed once, served twice
            resp = self.call("GET", "records", params={"app": 2}, headers={"Accept-Encoding": "gzip"})
            self.assertEqual(resp.header("Content-Encoding"), "gzip")
            self.assertLess(len(resp.raw), 100000)
            self.assertEqual(len(zlib.decompress(resp.raw, 31)), 4000000 + 13)

    def test_gzip_of_the_real_answer(self):
        self.add_fault(match=r"/records\.json$", gzip=True, count=1)
        resp = self.call("GET", "records", params={"app": 2, "query": "limit 3"})
        self.assertEqual(resp.header("Content-Encoding"), "gzip")
        self.assertEqual(len(json.loads(gzip.decompress(resp.raw))["records"]), 3)

    def test_invalid_rules_refused(self):
        for rule in ({"match": "x", "probability": 2}, {"match": "x", "after": "yes"},
                     {"match": "x", "headers": {"a": 1}}, {"match": "x", "body_repeat": {"unit": 1}},
                     {"match": "x", "repeat_previous": True}, {"match": "x", "seed": True}):
            self.assertEqual(self.control("POST", "/_emulator/faults", rule).status, 400, rule)


class RandomFaultTests(EmulatorTestCase):
    def statuses(self, n):
        return [self.call("GET", "records", params={"app": 2, "query": "limit 1"}).status for _ in range(n)]

    def test_probability_with_a_seed_is_reproducible(self):
        rule = {"match": r"/records\.json$", "probability": 0.3, "seed": 7, "status": 503, "body": "x"}
        self.control("POST", "/_emulator/faults", rule)
        first = self.statuses(40)
        self.control("DELETE", "/_emulator/faults")
        self.control("POST", "/_emulator/faults", rule)
        self.assertEqual(self.statuses(40), first)
        self.assertTrue(0 < first.count(503) < 40, first)

    def test_an_undrawn_rule_passes_to_the_next(self):
        self.control("POST", "/_emulator/faults", {"match": "records", "probability": 0, "status": 503})
        self.control("POST", "/_emulator/faults", {"match": "records", "status": 418})
        self.assertEqual(self.statuses(3), [418, 418, 418])
        listed = self.control("GET", "/_emulator/faults").json["faults"]
        self.assertEqual([f["applied"] for f in listed], [0, 3])
