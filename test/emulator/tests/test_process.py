"""Process management (contract 4.10): settings, actions, assignees, in bulkRequest too.

Sample app 7 (経費精算, code EXPENSE): statuses 未処理 (ONE: the record's creator) -> 処理中 (ONE:
sato, tanaka, group managers = Administrator + suzuki) -> 承認待ち (ALL: the users of 承認者) ->
完了 (ONE, nobody); actions 処理開始, 承認依頼 (filterCond 金額 >= 10000), 完了にする (金額 <
10000), 承認, 差し戻し (SECONDARY, executable by managers), 再開; English names for all.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.test_api import EmulatorTestCase  # noqa: E402

APP = 7
ADMIN = ("Administrator",)


class ProcessTests(EmulatorTestCase):

    def record(self, rid, app=APP):
        return self.call("GET", "record", params={"app": app, "id": rid}, auth=ADMIN).json["record"]

    def status_of(self, rid):
        rec = self.record(rid)
        return rec["ステータス"]["value"], [a["code"] for a in rec["作業者"]["value"]], rec["$revision"]["value"]

    def act(self, rid, action, user="sato", assignee=None, lang=None, headers=None, auth=True, **extra):
        body = dict({"app": APP, "id": rid, "action": action}, **extra)
        if assignee is not None:
            body["assignee"] = assignee
        return self.call("PUT", "record/status", body=body, auth=(user,) if auth else None, lang=lang,
                         headers=headers)

    def token(self, token="expensefulltoken"):
        return {"X-Cybozu-API-Token": token}

    # -- settings

    def test_get_settings(self):
        body = self.call("GET", "app/status", params={"app": APP}).json
        self.assertEqual(body["enable"], True)
        self.assertEqual(list(body["states"]), ["未処理", "処理中", "承認待ち", "完了"])
        self.assertEqual(body["states"]["未処理"], {"name": "未処理", "index": "0", "assignee": {
            "type": "ONE", "entities": [{"entity": {"type": "FIELD_ENTITY", "code": "作成者"}, "includeSubs": False}]}})
        self.assertEqual(body["states"]["承認待ち"]["assignee"]["type"], "ALL")
        self.assertEqual(body["actions"][1], {"name": "承認依頼", "from": "処理中", "to": "承認待ち",
                                              "filterCond": "金額 >= 10000", "type": "PRIMARY"})
        self.assertEqual(body["actions"][4]["executableUser"], {"entities": [
            {"entity": {"type": "GROUP", "code": "managers"}, "includeSubs": False}]})
        self.assertNotIn("executableUser", body["actions"][0])
        self.assertEqual(body["revision"], "1")
        en = self.call("GET", "app/status", params={"app": APP, "lang": "en"}).json
        self.assertEqual(list(en["states"]), ["Not started", "In progress", "Awaiting approval", "Completed"])
        self.assertEqual(en["actions"][0], {"name": "Start", "from": "Not started", "to": "In progress",
                                            "filterCond": "", "type": "PRIMARY"})
        # lang=user: john's language is fixed to English; sato follows Accept-Language
        self.assertEqual(self.call("GET", "app/status", params={"app": APP, "lang": "user"},
                                   auth=("john",)).json["actions"][0]["name"], "Start")
        self.assertEqual(self.call("GET", "app/status", params={"app": APP, "lang": "user"}).json["actions"][0]["name"],
                         "処理開始")
        self.assertEqual(self.call("GET", "app/status", params={"app": APP, "lang": "user"},
                                   lang="en-US").json["actions"][0]["name"], "Start")
        self.assertError(self.call("GET", "app/status", params={"app": APP, "lang": "fr"}), 400, "CB_VA01")
        self.assertEqual(self.call("GET", "app/status", params={"app": 1}).json,
                         {"enable": False, "states": None, "actions": None, "revision": "1"})
        # API tokens with view read it; preview needs app administration
        self.assertEqual(self.call("GET", "app/status", params={"app": APP}, auth=None,
                                   headers=self.token("expenseviewtoken")).status, 200)
        self.assertError(self.call("GET", "preview/app/status", params={"app": APP}), 403, "CB_NO02")
        self.assertEqual(self.call("GET", "preview/app/status", params={"app": APP}, auth=ADMIN).json, body)

    def test_records_carry_status_fields_only_with_process_management(self):
        rec = self.record(3)
        self.assertEqual(rec["ステータス"], {"type": "STATUS", "value": "承認待ち"})
        self.assertEqual(rec["作業者"], {"type": "STATUS_ASSIGNEE", "value": [
            {"code": "Administrator", "name": "管理者"}, {"code": "suzuki", "name": "鈴木 一郎"}]})
        self.assertNotIn("ステータス", self.record(1, app=1))
        self.assertNotIn("作業者", self.record(1, app=1))
        fields = self.call("GET", "app/form/fields", params={"app": APP}).json["properties"]
        self.assertEqual(fields["ステータス"]["enabled"], True)
        self.assertEqual(self.call("GET", "app/form/fields", params={"app": 1}).json["properties"]["ステータス"],
                         {"type": "STATUS", "code": "ステータス", "label": "ステータス", "enabled": False})
        q = self.call("GET", "records", params={"app": APP, "query": 'ステータス in ("承認待ち") order by $id asc'})
        self.assertEqual(self.ids_of(q), [3, 6, 9])
        q = self.call("GET", "records", params={"app": APP, "query": '作業者 in ("suzuki") order by $id asc'})
        self.assertEqual(self.ids_of(q), [3, 6])

    # -- actions

    def test_action_needs_assignee_from_the_candidates(self):
        self.assertEqual(self.status_of(1), ("未処理", ["sato"], "1"))
        self.assertError(self.act(1, "処理開始"), 400, "GAIA_SA01", "作業者を指定してください。")
        body = self.assertError(self.act(1, "処理開始", assignee="john"), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["assignee"])
        resp = self.act(1, "処理開始", assignee="suzuki")  # a member of the group managers
        self.assertEqual(resp.json, {"revision": "3"})  # +2 per action
        self.assertEqual(self.status_of(1), ("処理中", ["suzuki"], "3"))
        rec = self.record(1)
        self.assertEqual(rec["更新者"]["value"]["code"], "sato")
        # now only suzuki may proceed
        self.assertError(self.act(1, "承認依頼", user="sato"), 403, "GAIA_NT01")

    def test_filter_condition_and_unknown_actions(self):
        # E-0002 (29,220 yen, 処理中, sato): 完了にする needs 金額 < 10000
        msg = "ステータスの変更に失敗しました。ほかのユーザーがステータス、またはステータスの設定を変更した可能性があります。"
        self.assertError(self.act(2, "完了にする"), 400, "GAIA_IL03", msg)
        self.assertError(self.act(2, "承認"), 400, "GAIA_IL03")  # not from 処理中
        self.assertError(self.act(2, "nosuch"), 400, "GAIA_IL03")
        self.assertError(self.act(2, "承認依頼", user="tanaka"), 403, "GAIA_NT01")  # sato is the assignee
        self.assertEqual(self.act(2, "承認依頼").json, {"revision": "3"})
        # ALL: every user of 承認者 (suzuki) becomes an assignee; `assignee` is not needed
        self.assertEqual(self.status_of(2), ("承認待ち", ["suzuki"], "3"))
        # E-0005 (8,800 yen, 処理中, tanaka): the small amount may complete directly
        self.assertError(self.act(5, "承認依頼", user="tanaka"), 400, "GAIA_IL03")
        self.assertEqual(self.act(5, "完了にする", user="tanaka").json, {"revision": "3"})
        self.assertEqual(self.status_of(5), ("完了", [], "3"))

    def test_all_type_needs_every_assignee(self):
        self.assertEqual(self.status_of(3), ("承認待ち", ["Administrator", "suzuki"], "1"))
        self.assertEqual(self.act(3, "承認", user="suzuki").json, {"revision": "2"})  # recorded, not moved
        self.assertEqual(self.status_of(3), ("承認待ち", ["Administrator"], "2"))
        self.assertError(self.act(3, "承認", user="suzuki"), 403, "GAIA_NT01")
        self.assertEqual(self.act(3, "承認", user="Administrator").json, {"revision": "4"})
        self.assertEqual(self.status_of(3), ("完了", [], "4"))

    def test_secondary_action_by_executable_user(self):
        # E-0006: 承認待ち, assignee suzuki; Administrator is not an assignee but a manager
        self.assertError(self.act(6, "承認", user="Administrator"), 403, "GAIA_NT01")
        self.assertError(self.act(6, "差し戻し", user="tanaka", assignee="sato"), 403, "GAIA_NT01")
        self.assertEqual(self.act(6, "差し戻し", user="Administrator", assignee="sato").json, {"revision": "3"})
        self.assertEqual(self.status_of(6), ("処理中", ["sato"], "3"))

    def test_api_token_acts_as_administrator(self):
        token = self.token()
        self.assertEqual(self.act(9, "承認", auth=False, headers=token).json, {"revision": "3"})  # Administrator's
        self.assertError(self.act(1, "処理開始", assignee="sato", auth=False, headers=token), 403, "GAIA_NT01")
        # no assignee: anyone who may view the record
        self.assertEqual(self.act(4, "再開", auth=False, headers=token, assignee="john").json, {"revision": "3"})
        self.assertEqual(self.status_of(4), ("未処理", ["john"], "3"))  # back to the first status: its creator
        self.assertError(self.act(9, "再開", auth=False, headers=self.token("app1fulltoken"), assignee="x"),
                         403, "GAIA_NO01")
        # the view permission is enough for actions
        self.assertEqual(self.act(8, "再開", auth=False, headers=self.token("expenseviewtoken"),
                                  assignee="suzuki").status, 200)

    def test_action_names_in_the_callers_language(self):
        # john's language is English: the English names only
        self.assertError(self.act(4, "再開", user="john", assignee="john"), 400, "GAIA_IL03")
        self.assertEqual(self.act(4, "Reopen", user="john", assignee="john").status, 200)
        # sato follows Accept-Language
        self.assertError(self.act(1, "処理開始", assignee="sato", lang="en"), 400, "GAIA_IL03")
        self.assertEqual(self.act(1, "Start", assignee="sato", lang="en").status, 200)
        # API tokens: the domain's language (ja), whatever Accept-Language says
        self.assertEqual(self.act(7, "Start", auth=False, headers=self.token(), lang="en", assignee="sato").status,
                         400)

    def test_revision_and_errors(self):
        self.assertError(self.act(2, "承認依頼", revision=5), 409, "GAIA_CO02")
        self.assertError(self.act(999, "承認依頼"), 404, "GAIA_RE01")
        self.assertError(self.call("PUT", "record/status", body={"app": APP, "id": 2}), 400, "CB_VA01")
        msg = "操作に失敗しました。プロセス管理機能が無効化されています。"
        self.assertError(self.call("PUT", "record/status", body={"app": 1, "id": 1, "action": "x"}), 400,
                         "GAIA_ST02", msg)
        self.assertError(self.call("PUT", "record/assignees", body={"app": 1, "id": 1, "assignees": []}, auth=ADMIN),
                         400, "GAIA_ST02")
        self.assertEqual(self.act(2, "承認依頼", revision=1).status, 200)

    def test_bulk_status_all_or_nothing(self):
        body = {"app": APP, "records": [{"id": 2, "action": "承認依頼"},
                                        {"id": 7, "action": "処理開始", "assignee": "sato"},
                                        {"id": 1, "action": "承認"}]}
        self.assertError(self.call("PUT", "records/status", body=body), 400, "GAIA_IL03")
        self.assertEqual(self.status_of(2)[0], "処理中")
        self.assertEqual(self.status_of(7)[0], "未処理")
        body["records"].pop()
        self.assertEqual(self.call("PUT", "records/status", body=body).json,
                         {"records": [{"id": "2", "revision": "3"}, {"id": "7", "revision": "3"}]})
        self.assertEqual(self.status_of(7), ("処理中", ["sato"], "3"))
        self.assertError(self.call("PUT", "records/status", body={"app": APP, "records": []}), 400, "CB_VA01")
        too_many = {"app": APP, "records": [{"id": 1, "action": "x"}] * 101}
        body = self.assertError(self.call("PUT", "records/status", body=too_many, lang="en"), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"records": {"messages": ["A maximum of 100 records can be updated at one time."]}})
        body = self.assertError(self.call("PUT", "records/status", body={"app": APP, "records": [{"id": 1}]}),
                                400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["records[0].action"])

    def test_bulk_request_with_status_and_assignees(self):
        requests = [
            {"method": "PUT", "api": "/k/v1/record.json", "payload": {"app": APP, "id": 2, "record": {
                "金額": {"value": "9000"}}}},
            {"method": "PUT", "api": "/k/v1/record/assignees.json", "payload": {"app": APP, "id": 2,
                                                                                "assignees": ["Administrator"]}},
            {"method": "PUT", "api": "/k/v1/record/status.json", "payload": {"app": APP, "id": 2, "action": "完了にする"}},
            {"method": "PUT", "api": "/k/v1/records/status.json", "payload": {"app": APP, "records": [
                {"id": 9, "action": "承認", "revision": 1}]}},
        ]
        resp = self.call("POST", "bulkRequest", body={"requests": requests}, auth=ADMIN)
        self.assertEqual(resp.json, {"results": [{"revision": "2"}, {"revision": "3"}, {"revision": "5"},
                                                 {"records": [{"id": "9", "revision": "3"}]}]})
        self.assertEqual(self.status_of(2), ("完了", [], "5"))
        self.assertEqual(self.status_of(9), ("完了", [], "3"))
        # a failing status call rolls back the record and assignee updates before it
        self.control("POST", "/_emulator/reset")
        requests[2]["payload"]["action"] = "承認"
        resp = self.call("POST", "bulkRequest", body={"requests": requests}, auth=ADMIN)
        self.assertEqual(resp.status, 400)
        self.assertEqual([r.get("code") for r in resp.json["results"]], [None, None, "GAIA_IL03", None])
        self.assertEqual(self.record(2)["金額"]["value"], "29220")
        self.assertEqual(self.status_of(2), ("処理中", ["sato"], "1"))

    # -- assignees

    def test_update_assignees(self):
        self.assertError(self.call("PUT", "record/assignees", body={"app": APP, "id": 1, "assignees": ["tanaka"]}),
                         403, "CB_NO02")  # app administration is needed
        resp = self.call("PUT", "record/assignees", auth=ADMIN,
                         body={"app": APP, "id": 1, "assignees": ["tanaka", "sato", "tanaka"], "revision": 1})
        self.assertEqual(resp.json, {"revision": "2"})  # +1
        self.assertEqual(self.status_of(1), ("未処理", ["tanaka", "sato"], "2"))
        self.assertEqual(self.call("PUT", "record/assignees", auth=ADMIN,
                                   body={"app": APP, "id": 1, "assignees": []}).json, {"revision": "3"})
        self.assertEqual(self.status_of(1)[1], [])
        body = self.assertError(self.call("PUT", "record/assignees", auth=ADMIN,
                                          body={"app": APP, "id": 1, "assignees": ["nobody"]}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["assignees[0]"])
        self.assertError(self.call("PUT", "record/assignees", auth=ADMIN,
                                   body={"app": APP, "id": 1, "assignees": ["sato"] * 101}), 400, "CB_VA01")
        self.assertError(self.call("PUT", "record/assignees", auth=ADMIN,
                                   body={"app": APP, "id": 1, "assignees": ["sato"], "revision": 1}), 409, "GAIA_CO02")
        self.assertError(self.call("PUT", "record/assignees", auth=ADMIN, body={"app": APP, "id": 1}), 400, "CB_VA01")
        self.assertError(self.call("PUT", "record/assignees", auth=None, headers=self.token("expenseviewtoken"),
                                   body={"app": APP, "id": 1, "assignees": ["sato"]}), 403, "GAIA_NO01")
        self.assertEqual(self.call("PUT", "record/assignees", auth=None, headers=self.token(),
                                   body={"app": APP, "id": 1, "assignees": ["sato"]}).status, 200)

    # -- new records

    def test_new_records_start_in_the_first_status(self):
        rid = self.call("POST", "record", body={"app": APP, "record": {
            "申請番号": {"value": "E-9001"}, "件名": {"value": "new"}}}).json["id"]
        self.assertEqual(self.status_of(int(rid)), ("未処理", ["sato"], "1"))  # the creator
        resp = self.call("PUT", "records", body={"app": APP, "upsert": True, "records": [
            {"updateKey": {"field": "申請番号", "value": "E-9002"}, "record": {"件名": {"value": "upserted"}}}]},
                         auth=None, headers=self.token())
        rid = resp.json["records"][0]["id"]
        self.assertEqual(self.status_of(int(rid)), ("未処理", ["Administrator"], "1"))
        # STATUS / STATUS_ASSIGNEE are not writable through the record API
        self.call("PUT", "record", body={"app": APP, "id": rid, "record": {
            "ステータス": {"value": "完了"}, "作業者": {"value": [{"code": "john"}]}}})
        self.assertEqual(self.status_of(int(rid))[:2], ("未処理", ["Administrator"]))

    # -- settings changes

    def test_preview_update_and_deploy(self):
        put = {"app": APP, "states": {
            "未処理": {"name": "未処理", "index": 0},
            "処理中": {"name": "対応中", "index": 1},
            "承認待ち": {"name": "承認待ち", "index": 2},
            "完了": {"name": "精算済", "index": 4},
            "保留": {"name": "保留", "index": 3, "assignee": {"type": "ANY", "entities": [
                {"entity": {"type": "USER", "code": "tanaka"}}, {"entity": {"type": "ORGANIZATION", "code": "sales"}}]}},
        }}
        self.assertError(self.call("PUT", "preview/app/status", body=put), 403, "CB_NO02")
        resp = self.call("PUT", "preview/app/status", body=dict(put, revision=1), auth=ADMIN)
        self.assertEqual(resp.json, {"revision": "2"})
        preview = self.call("GET", "preview/app/status", params={"app": APP}, auth=ADMIN).json
        self.assertEqual(list(preview["states"]), ["未処理", "対応中", "承認待ち", "保留", "精算済"])
        self.assertEqual(preview["actions"][0]["to"], "対応中")  # actions follow the rename
        self.assertEqual(list(self.call("GET", "app/status", params={"app": APP}).json["states"]),
                         ["未処理", "処理中", "承認待ち", "完了"])  # live unchanged until deploy
        actions = preview["actions"] + [{"name": "保留にする", "from": "対応中", "to": "保留"}]
        resp = self.call("PUT", "preview/app/status", body={"app": APP, "actions": actions}, auth=ADMIN)
        self.assertEqual(resp.json, {"revision": "3"})
        self.call("POST", "preview/app/deploy", body={"apps": [{"app": APP}]}, auth=ADMIN)
        self.assertEqual(self.status_of(4)[0], "精算済")
        self.assertEqual(self.status_of(2)[0], "対応中")
        self.assertEqual(self.call("GET", "app/status", params={"app": APP}).json["revision"], "3")
        resp = self.act(2, "保留にする")
        self.assertEqual(resp.status, 200)
        # ANY: every candidate (tanaka and the organization sales: sato) is an assignee
        self.assertEqual(self.status_of(2)[:2], ("保留", ["tanaka", "sato"]))
        # switch it off: records lose the fields, the status API refuses
        self.call("PUT", "preview/app/status", body={"app": APP, "enable": False}, auth=ADMIN)
        self.call("POST", "preview/app/deploy", body={"apps": [{"app": APP}]}, auth=ADMIN)
        self.assertNotIn("ステータス", self.record(2))
        self.assertError(self.act(1, "処理開始", assignee="sato"), 400, "GAIA_ST02")
        self.assertError(self.call("GET", "records", params={"app": APP, "query": 'ステータス in ("保留")'}),
                         400, "GAIA_IQ11")

    def test_enable_on_an_app_without_process_management(self):
        put = {"app": 4, "enable": True, "states": {
            "受付": {"name": "受付", "index": 0, "assignee": {"type": "ONE", "entities": []}},
            "対応済": {"name": "対応済", "index": 1, "assignee": {"type": "ONE", "entities": []}}},
            "actions": [{"name": "対応する", "from": "受付", "to": "対応済"}]}
        self.assertEqual(self.call("PUT", "preview/app/status", body=put, auth=ADMIN).status, 200)
        self.assertNotIn("ステータス", self.record(1, app=4))
        self.call("POST", "preview/app/deploy", body={"apps": [{"app": 4}]}, auth=ADMIN)
        rec = self.record(1, app=4)
        self.assertEqual((rec["ステータス"]["value"], rec["作業者"]["value"]), ("受付", []))
        resp = self.call("PUT", "record/status", body={"app": 4, "id": 1, "action": "対応する"})
        self.assertEqual(resp.json, {"revision": str(int(rec["$revision"]["value"]) + 2)})
        # revert drops an undeployed change
        self.call("PUT", "preview/app/status", body={"app": 4, "enable": False}, auth=ADMIN)
        self.call("POST", "preview/app/deploy", body={"apps": [{"app": 4}], "revert": True}, auth=ADMIN)
        self.assertEqual(self.call("GET", "preview/app/status", params={"app": 4}, auth=ADMIN).json["enable"], True)

    def test_settings_validation(self):
        def put(body):
            return self.call("PUT", "preview/app/status", body=dict({"app": APP}, **body), auth=ADMIN, lang="en")
        body = self.assertError(put({"states": {"未処理": {"name": "未処理", "index": 0, "assignee": {
            "type": "ALL", "entities": []}}}}), 400, "CB_VA01")
        self.assertIn("states.未処理.assignee", body["errors"])
        body = self.assertError(put({"actions": [{"name": "x", "from": "未処理", "to": "nowhere"}]}), 400, "CB_VA01")
        self.assertEqual(body["errors"], {"actions[0].to": {"messages": ["The status (nowhere) not found."]}})
        body = self.assertError(put({"actions": [{"name": "x", "from": "未処理", "to": "完了",
                                                  "filterCond": "nosuch = 1"}]}), 400, "CB_VA01")
        self.assertIn("actions[0].filterCond", body["errors"])
        body = self.assertError(put({"states": {"新規": {"name": "新規", "index": 5, "assignee": {
            "type": "ONE", "entities": [{"entity": {"type": "USER", "code": "ghost"}}]}}}}), 400, "CB_VA01")
        self.assertIn("states.新規.assignee.entities[0].entity.code", body["errors"])
        self.assertError(put({"revision": 7, "enable": True}), 409, "GAIA_CO01")
        self.assertError(put({"enable": True, "states": {}}), 400, "CB_VA01")


if __name__ == "__main__":
    unittest.main()
