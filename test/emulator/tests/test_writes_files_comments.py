"""Upsert (contract 4.6), subtable rows on update (6.3), files (4.11) and comments (4.9).

Sample app 6 受注明細 (ORDERLINES): unique 伝票番号 (the upsert key), subtable 明細 (品目, 数量,
単価, CALC 小計, FILE 仕様書), CALC 合計 = SUM(小計), FILE 添付; records 1..8 (Q-1001..Q-1008).
Sample app 7 経費精算 holds seeded comments.
"""

import base64
import datetime
import os
import sys
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.test_api import EmulatorTestCase, password_header  # noqa: E402

LINES = 6
ADMIN = ("Administrator",)


def token(t):
    return {"X-Cybozu-API-Token": t}


class UpsertTests(EmulatorTestCase):

    def get(self, rid, app=LINES):
        return self.call("GET", "record", params={"app": app, "id": rid}).json["record"]

    def test_mixed_upsert(self):
        body = {"app": LINES, "upsert": True, "records": [
            {"updateKey": {"field": "伝票番号", "value": "Q-1002"}, "record": {"備考": {"value": "更新"}}},
            {"updateKey": {"field": "伝票番号", "value": "Q-2001"}, "record": {"顧客ID": {"value": "C010"}}},
            {"id": 3, "revision": 1, "record": {"備考": {"value": "id で更新"}}},
            {"id": 500, "record": {"伝票番号": {"value": "Q-2002"}}},
        ]}
        resp = self.call("PUT", "records", body=body)
        out = resp.json["records"]
        self.assertEqual([(r["operation"], r["revision"]) for r in out],
                         [("UPDATE", "2"), ("INSERT", "1"), ("UPDATE", "2"), ("INSERT", "1")])
        self.assertEqual((out[0]["id"], out[2]["id"]), ("2", "3"))
        new_ids = [int(out[1]["id"]), int(out[3]["id"])]
        self.assertEqual(new_ids, [9, 10])  # new ids, not the id sent (500)
        self.assertEqual(self.get(9)["伝票番号"]["value"], "Q-2001")
        self.assertEqual(self.get(9)["顧客ID"]["value"], "C010")
        self.assertEqual(self.get(10)["伝票番号"]["value"], "Q-2002")
        self.assertEqual(self.get(2)["備考"]["value"], "更新")
        self.assertEqual(self.get(2)["明細"], self.get(2)["明細"])
        self.assertError(self.call("GET", "record", params={"app": LINES, "id": 500}), 404, "GAIA_RE01")
        # without upsert: no "operation", an unknown id is an error
        resp = self.call("PUT", "records", body={"app": LINES, "records": [{"id": 1, "record": {}}]})
        self.assertEqual(resp.json, {"records": [{"id": "1", "revision": "2"}]})
        self.assertError(self.call("PUT", "records", body={"app": LINES, "records": [{"id": 500, "record": {}}]}),
                         404, "GAIA_RE01")

    def test_all_or_nothing(self):
        body = {"app": LINES, "upsert": True, "records": [
            {"updateKey": {"field": "伝票番号", "value": "Q-3001"}, "record": {}},
            {"updateKey": {"field": "伝票番号", "value": "Q-1001"}, "record": {"伝票番号": {"value": "Q-1002"}}},
        ]}
        body_err = self.assertError(self.call("PUT", "records", body=body, lang="en"), 400, "CB_VA01")
        self.assertEqual(body_err["errors"], {"records[1].伝票番号.value": {
            "messages": ["This value already exists in another record."]}})
        self.assertEqual(self.call("GET", "records", params={"app": LINES, "totalCount": "true"}).json["totalCount"],
                         "8")
        # a key inserted earlier in the same request is found by a later item
        body = {"app": LINES, "upsert": True, "records": [
            {"updateKey": {"field": "伝票番号", "value": "Q-3001"}, "record": {"備考": {"value": "a"}}},
            {"updateKey": {"field": "伝票番号", "value": "Q-3001"}, "record": {"備考": {"value": "b"}}}]}
        self.assertError(self.call("PUT", "records", body=body), 400, "CB_VA01")

    def test_permissions_and_keys(self):
        body = {"app": 1, "upsert": True, "records": [{"updateKey": {"field": "顧客ID", "value": "C001"},
                                                       "record": {}}]}
        # app1edittoken: view + edit, no add
        self.assertError(self.call("PUT", "records", body=body, auth=None, headers=token("app1edittoken")),
                         403, "GAIA_NO01")
        body["upsert"] = False
        self.assertEqual(self.call("PUT", "records", body=body, auth=None, headers=token("app1edittoken")).status, 200)
        body = {"app": LINES, "upsert": True, "records": [{"updateKey": {"field": "顧客ID", "value": "C001"}}]}
        resp = self.call("PUT", "records", body=body, lang="en")
        self.assertEqual(self.assertError(resp, 400, "CB_VA01")["errors"], {"records[0].updateKey.field": {
            "messages": ["The field specified in updateKey must be set to prohibit duplicate values."]}})
        body = {"app": LINES, "upsert": True, "records": [{"updateKey": {"field": "伝票番号", "value": ""}}]}
        self.assertEqual(list(self.assertError(self.call("PUT", "records", body=body), 400, "CB_VA01")["errors"]),
                         ["records[0].updateKey.value"])

    def test_upsert_in_bulk_request(self):
        requests = [{"method": "PUT", "api": "/k/v1/records.json", "payload": {"app": LINES, "upsert": True, "records": [
            {"updateKey": {"field": "伝票番号", "value": "Q-1001"}, "record": {"備考": {"value": "x"}}},
            {"updateKey": {"field": "伝票番号", "value": "Q-4001"}, "record": {}}]}},
            {"method": "POST", "api": "/k/v1/record.json", "payload": {"app": LINES, "record": {
                "伝票番号": {"value": "Q-4002"}}}}]
        resp = self.call("POST", "bulkRequest", body={"requests": requests})
        self.assertEqual(resp.json["results"][0], {"records": [
            {"id": "1", "revision": "2", "operation": "UPDATE"}, {"id": "9", "revision": "1", "operation": "INSERT"}]})
        requests[1]["payload"]["record"]["伝票番号"]["value"] = "Q-4001"  # duplicate: rolls back the upsert
        self.control("POST", "/_emulator/reset")
        resp = self.call("POST", "bulkRequest", body={"requests": requests})
        self.assertEqual(resp.status, 400)
        self.assertEqual(self.get(1)["備考"]["value"], "至急対応")
        self.assertEqual(self.call("GET", "records", params={"app": LINES, "totalCount": "true"}).json["totalCount"],
                         "8")


class SubtableTests(EmulatorTestCase):

    def rows(self, rid):
        return self.call("GET", "record", params={"app": LINES, "id": rid}).json["record"]["明細"]["value"]

    def put(self, rid, rows, **extra):
        return self.call("PUT", "record", body=dict({"app": LINES, "id": rid, "record": {"明細": {"value": rows}}},
                                                    **extra))

    def all_row_ids(self):
        recs = self.call("GET", "records", params={"app": LINES, "fields[0]": "明細"}).json["records"]
        return [int(r["id"]) for rec in recs for r in rec["明細"]["value"]]

    def test_rows_without_id_are_new_omitted_rows_deleted_existing_rows_keep_inner_fields(self):
        before = self.rows(1)
        self.assertEqual(len(before), 3)
        highest = max(self.all_row_ids())
        keep, drop = before[0], before[1]
        resp = self.put(1, [
            {"id": keep["id"], "value": {"数量": {"value": "4"}}},  # only 数量 sent
            {"value": {"品目": {"value": "新しい品目"}, "数量": {"value": "1"}, "単価": {"value": "100"}}},
            {"id": "999999", "value": {"品目": {"value": "id 不明"}}},  # unknown id: a new row
            {"id": before[2]["id"], "value": {}},
        ])
        self.assertEqual(resp.json, {"revision": "2"})
        after = self.rows(1)
        self.assertEqual([r["id"] for r in after][0], keep["id"])
        self.assertEqual(after[0]["value"]["品目"], keep["value"]["品目"])  # omitted inner fields kept
        self.assertEqual(after[0]["value"]["仕様書"], keep["value"]["仕様書"])
        self.assertEqual(after[0]["value"]["数量"]["value"], "4")
        self.assertEqual(after[0]["value"]["小計"]["value"], "720000")  # CALC recomputed
        new1, new2 = int(after[1]["id"]), int(after[2]["id"])
        self.assertGreater(new1, highest)
        self.assertEqual(new2, new1 + 1)  # server ids, unique across the app; client ids not kept
        self.assertEqual(after[2]["value"]["品目"]["value"], "id 不明")
        self.assertEqual(after[2]["value"]["数量"]["value"], "")  # PUT: no defaults
        self.assertEqual(after[3], before[2])  # an existing row sent without values is unchanged
        self.assertNotIn(drop["id"], [r["id"] for r in after])  # omitted: deleted
        rec = self.call("GET", "record", params={"app": LINES, "id": 1}).json["record"]
        self.assertEqual(rec["合計"]["value"], str(720000 + 100 + 5400))
        # omitting the subtable keeps the rows; an empty array deletes them all
        self.call("PUT", "record", body={"app": LINES, "id": 1, "record": {"備考": {"value": "x"}}})
        self.assertEqual(self.rows(1), after)
        self.put(1, [])
        self.assertEqual(self.rows(1), [])
        # row ids are never reused, also after deletes
        self.put(1, [{"value": {}}])
        self.assertGreater(int(self.rows(1)[0]["id"]), new2)

    def test_put_records_keeps_rows_with_id_adds_rows_without_deletes_rows_omitted(self):
        # The bulk form kintone_fdw sends for a rows table (docs/subtables.md, "Writing"): kept
        # rows as {"id", "value": {}}, changed rows with the fields set, new rows without id.
        one, two = self.rows(1), self.rows(2)
        resp = self.call("PUT", "records", body={"app": LINES, "records": [
            {"id": 1, "revision": 1, "record": {"明細": {"value": [
                {"id": one[0]["id"], "value": {}},
                {"id": one[2]["id"], "value": {"数量": {"value": "9"}}},
                {"value": {"品目": {"value": "追加"}}}]}}},
            {"id": 2, "record": {"明細": {"value": [{"id": r["id"], "value": {}} for r in two[1:]]}}}]})
        self.assertEqual(resp.status, 200)
        self.assertEqual([r["revision"] for r in resp.json["records"]], ["2", "2"])
        after1, after2 = self.rows(1), self.rows(2)
        self.assertEqual(after1[0], one[0])
        self.assertEqual(after1[1]["id"], one[2]["id"])
        self.assertEqual(after1[1]["value"]["品目"], one[2]["value"]["品目"])
        self.assertEqual(after1[1]["value"]["数量"]["value"], "9")
        self.assertNotIn(after1[2]["id"], [r["id"] for r in one])
        self.assertEqual(after1[2]["value"]["品目"]["value"], "追加")
        self.assertEqual(after2, two[1:])
        # A stale revision in one record refuses the whole call: nothing written.
        resp = self.call("PUT", "records", body={"app": LINES, "records": [
            {"id": 2, "record": {"明細": {"value": []}}},
            {"id": 1, "revision": 1, "record": {"明細": {"value": []}}}]})
        self.assertError(resp, 409, "GAIA_CO02")
        self.assertEqual((self.rows(1), self.rows(2)), (after1, after2))

    def test_a_row_id_of_another_record_is_a_new_row(self):
        other = self.rows(2)[0]["id"]
        self.put(1, [{"id": other, "value": {"品目": {"value": "x"}}}])
        self.assertNotEqual(self.rows(1)[0]["id"], other)
        self.assertEqual(self.rows(2)[0]["id"], other)

    def test_same_id_twice_second_is_new(self):
        rid = self.rows(1)[0]["id"]
        self.put(1, [{"id": rid, "value": {}}, {"id": rid, "value": {}}])
        ids = [r["id"] for r in self.rows(1)]
        self.assertEqual(ids[0], rid)
        self.assertNotEqual(ids[1], rid)

    def test_bad_cell_and_revision(self):
        # A non-number inside a subtable is silently stored as "" (contract 6.1 [OBS]).
        self.assertEqual(self.put(1, [{"value": {"数量": {"value": "abc"}}}]).status, 200)
        self.assertEqual(self.rows(1)[0]["value"]["数量"]["value"], "")
        self.assertError(self.put(1, [], revision=1), 409, "GAIA_CO02")


class FileTests(EmulatorTestCase):

    def tearDown(self):
        self.control("POST", "/_emulator/config", {"max_file_size": 1 << 30, "upload_ttl_s": 259200})
        self.control("POST", "/_emulator/clock", {"now": None})

    def upload(self, content, name="メモ.txt", ctype="text/plain", disposition=None):
        boundary = "----emulatortest"
        disposition = disposition or 'form-data; name="file"; filename="%s"' % name
        body = ("--%s\r\nContent-Disposition: %s\r\nContent-Type: %s\r\n\r\n" % (boundary, disposition, ctype)
                ).encode() + content + ("\r\n--%s--\r\n" % boundary).encode()
        headers = dict(password_header("sato"), **{"Content-Type": "multipart/form-data; boundary=" + boundary})
        return self.raw_request("POST", "/k/v1/file.json", body, headers)

    def download(self, key):
        return self.call("GET", "file", params={"fileKey": key})

    def test_seeded_files_in_records_and_rows(self):
        rec = self.call("GET", "record", params={"app": LINES, "id": 1}).json["record"]
        files = rec["添付"]["value"]
        self.assertEqual([(f["name"], f["contentType"], f["size"]) for f in files],
                         [("見積書_Q-1001.txt", "text/plain", "77"), ("order-lines.csv", "text/csv", "59")])
        self.assertEqual(self.download(files[1]["fileKey"]).raw, "品目,数量,単価\nノートPC,3,180000\nマウス,3,2500\n".encode())
        spec = rec["明細"]["value"][0]["value"]["仕様書"]["value"][0]
        self.assertEqual(spec["name"], "spec-X1.json")
        resp = self.download(spec["fileKey"])
        self.assertEqual((resp.raw[:10], resp.header("Content-Type")), (b'{"model": ', "application/json"))
        binary = self.call("GET", "record", params={"app": LINES, "id": 3}).json["record"]["明細"]["value"][0]
        key = binary["value"]["仕様書"]["value"][0]["fileKey"]
        self.assertEqual(self.download(key).raw, bytes(range(256)))  # byte for byte
        empty = self.call("GET", "record", params={"app": LINES, "id": 4}).json["record"]["添付"]["value"][0]
        self.assertEqual((empty["size"], self.download(empty["fileKey"]).raw), ("0", b""))

    def test_attach_in_a_row_and_at_the_top(self):
        key = self.upload(b"\x89PNG\r\n\x1a\n\x00\xff", name="図.png", ctype="image/png").json["fileKey"]
        key2 = self.upload(b"second").json["fileKey"]
        kept = self.call("GET", "record", params={"app": LINES, "id": 1}).json["record"]["添付"]["value"][0]
        resp = self.call("PUT", "record", body={"app": LINES, "id": 1, "record": {
            "添付": {"value": [{"fileKey": kept["fileKey"]}, {"fileKey": key2}]},
            "明細": {"value": [{"value": {"品目": {"value": "図面"}, "仕様書": {"value": [{"fileKey": key}]}}}]}}})
        self.assertEqual(resp.status, 200)
        rec = self.call("GET", "record", params={"app": LINES, "id": 1}).json["record"]
        self.assertEqual(rec["添付"]["value"][0], kept)  # an attached file re-sent by its key stays
        self.assertEqual(rec["添付"]["value"][1]["name"], "メモ.txt")
        row_file = rec["明細"]["value"][0]["value"]["仕様書"]["value"][0]
        self.assertNotEqual(row_file["fileKey"], key)  # a new download key
        self.assertRegex(row_file["fileKey"], r"^[0-9]{14}[0-9A-F]{35}$")
        self.assertEqual((row_file["name"], row_file["contentType"], row_file["size"]), ("図.png", "image/png", "10"))
        self.assertEqual(self.download(row_file["fileKey"]).raw, b"\x89PNG\r\n\x1a\n\x00\xff")

    def test_utf8_file_names(self):
        key = self.upload(b"x", disposition="form-data; name=\"file\"; filename*=UTF-8''%s"
                          % urllib.parse.quote("請求書 ①.pdf")).json["fileKey"]
        rid = self.call("POST", "record", body={"app": LINES, "record": {
            "伝票番号": {"value": "F-1"}, "添付": {"value": [{"fileKey": key}]}}}).json["id"]
        rec = self.call("GET", "record", params={"app": LINES, "id": rid}).json["record"]
        self.assertEqual(rec["添付"]["value"][0]["name"], "請求書 ①.pdf")

    def test_size_limit(self):
        self.control("POST", "/_emulator/config", {"max_file_size": 10})
        self.assertEqual(self.upload(b"0123456789").status, 200)
        body = self.assertError(self.upload(b"0123456789A"), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["file"])
        self.assertEqual(self.call("POST", "file", lang="en", body=b"x", headers={
            "Content-Type": "multipart/form-data; boundary=zz"}).json["errors"], {"file": {"messages": ["Required field."]}})

    def test_unattached_uploads_expire(self):
        self.control("POST", "/_emulator/clock", {"now": "2026-04-01T00:00:00Z"})
        stale = self.upload(b"old").json["fileKey"]
        attached = self.upload(b"kept").json["fileKey"]
        rid = self.call("POST", "record", body={"app": LINES, "record": {
            "伝票番号": {"value": "F-2"}, "添付": {"value": [{"fileKey": attached}]}}}).json["id"]
        download_key = self.call("GET", "record", params={"app": LINES, "id": rid}).json["record"]["添付"]["value"][0][
            "fileKey"]
        self.control("POST", "/_emulator/clock", {"now": "2026-04-03T23:59:00Z"})
        self.assertEqual(self.download(stale).raw, b"old")  # not yet: 3 days
        self.control("POST", "/_emulator/clock", {"now": "2026-04-04T00:00:00Z"})
        self.assertError(self.download(stale), 404, "GAIA_BL01")
        self.assertError(self.call("POST", "record", body={"app": LINES, "record": {
            "伝票番号": {"value": "F-3"}, "添付": {"value": [{"fileKey": stale}]}}}), 404, "GAIA_BL01")
        self.assertEqual(self.download(download_key).raw, b"kept")  # attached: the record's key stays
        # the time-to-live is settable
        self.control("POST", "/_emulator/config", {"upload_ttl_s": 60})
        short = self.upload(b"short").json["fileKey"]
        self.control("POST", "/_emulator/clock", {"now": "2026-04-04T00:01:00Z"})
        self.assertError(self.download(short), 404, "GAIA_BL01")

    def test_unknown_keys(self):
        msg = "The specified file (id: nope) not found."
        self.assertError(self.call("GET", "file", params={"fileKey": "nope"}, lang="en"), 404, "GAIA_BL01", msg)
        self.assertError(self.call("PUT", "record", body={"app": LINES, "id": 1, "record": {"明細": {"value": [
            {"value": {"仕様書": {"value": [{"fileKey": "nope"}]}}}]}}}), 404, "GAIA_BL01")


class CommentTests(EmulatorTestCase):

    def comments(self, rid, app=7, **params):
        return self.call("GET", "record/comments", params=dict({"app": app, "record": rid}, **params)).json

    def test_seeded_comments(self):
        body = self.comments(3, order="asc")
        self.assertEqual((body["older"], body["newer"]), (False, False))
        self.assertEqual(body["comments"][0], {
            "id": "1", "text": "マネージャー \nご承認をお願いします。", "createdAt": "2026-03-07T09:30:00Z",
            "creator": {"code": "sato", "name": "佐藤 昇"}, "mentions": [{"code": "managers", "type": "GROUP"}]})
        self.assertEqual([c["id"] for c in self.comments(3)["comments"]], ["3", "2", "1"])
        six = self.comments(6)["comments"][0]
        self.assertEqual(six["text"], "John Smith 営業部 \n予算内か確認中です。")
        self.assertEqual(self.comments(1)["comments"], [])

    def test_mentions_limits_and_errors(self):
        post = lambda comment, **kw: self.call("POST", "record/comment", body={"app": 7, "record": 1,
                                                                             "comment": comment}, **kw)
        cid = post({"text": "hi", "mentions": [{"code": "tanaka"}, {"code": "dev", "type": "ORGANIZATION"}]}).json["id"]
        self.assertEqual(self.comments(1)["comments"][0]["text"], "田中 花子 開発部 \nhi")
        self.assertEqual(cid, "1")
        body = self.assertError(post({"text": "x", "mentions": [{"code": "ghost", "type": "USER"}]}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["comment.mentions[0].code"])
        self.assertError(post({"text": "x", "mentions": [{"code": "sato"}] * 11}), 400, "CB_VA01")
        self.assertError(post({"text": "x" * 65536}), 400, "CB_VA01")
        self.assertEqual(post({"text": "x" * 65535}).status, 200)
        self.assertError(post({"text": ""}), 400, "CB_VA01")
        for limit in (0, 11):
            self.assertError(self.call("GET", "record/comments", params={"app": 7, "record": 1, "limit": limit}),
                             400, "CB_VA01")
        # paging: offset, limit, older/newer
        for i in range(12):
            post({"text": "c%d" % i})
        page = self.comments(1, limit=5, offset=5)
        self.assertEqual(([c["id"] for c in page["comments"]], page["older"], page["newer"]),
                         (["9", "8", "7", "6", "5"], True, True))

    def test_delete_only_own_comments(self):
        self.assertError(self.call("DELETE", "record/comment", body={"app": 7, "record": 3, "comment": 2}),
                         403, "CB_NO02")  # suzuki's, sato asks
        self.assertEqual(self.call("DELETE", "record/comment", body={"app": 7, "record": 3, "comment": 2},
                                   auth=("suzuki",)).json, {})
        self.assertError(self.call("DELETE", "record/comment", body={"app": 7, "record": 3, "comment": 2},
                                   auth=("suzuki",)), 400, "GAIA_RE02")
        # API tokens post and delete as Administrator
        h = token("expensefulltoken")
        cid = self.call("POST", "record/comment", body={"app": 7, "record": 3, "comment": {"text": "t"}}, auth=None,
                        headers=h).json["id"]
        self.assertEqual(cid, "4")  # ids are never reused
        self.assertEqual(self.comments(3)["comments"][0]["creator"], {"code": "Administrator", "name": "Administrator"})
        self.assertError(self.call("DELETE", "record/comment", body={"app": 7, "record": 3, "comment": 1}, auth=None,
                                   headers=h), 403, "CB_NO02")
        self.assertEqual(self.call("DELETE", "record/comment", body={"app": 7, "record": 3, "comment": 4}, auth=None,
                                   headers=h).status, 200)


if __name__ == "__main__":
    unittest.main()
