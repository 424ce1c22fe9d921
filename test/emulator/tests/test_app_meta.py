"""Views, general app settings, spaces and the apps.json filters (contract 4.13, 4.14).

Sample data: app 6 受注明細 (ORDERLINES) and 7 経費精算 (EXPENSE) in space 3 (購買・経費スペース,
not guest) with views and settings; app 2 has two views; app 3 is in guest space 2.
"""

import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.test_api import EmulatorTestCase  # noqa: E402

ADMIN = ("Administrator",)


class ViewTests(EmulatorTestCase):

    def test_get_views(self):
        body = self.call("GET", "app/views", params={"app": 6}).json
        self.assertEqual(body["revision"], "1")
        self.assertEqual(list(body["views"]), ["一覧", "大口", "受注カレンダー"])
        big = dict(body["views"]["大口"])
        self.assertRegex(big.pop("id"), r"^[0-9]+$")
        self.assertEqual(big, {"type": "LIST", "name": "大口", "index": "1", "fields": ["伝票番号", "顧客ID", "合計"],
                               "filterCond": "合計 >= 500000", "sort": "合計 desc"})
        cal = body["views"]["受注カレンダー"]
        self.assertEqual((cal["type"], cal["date"], cal["title"]), ("CALENDAR", "受注日", "伝票番号"))
        ids = [v["id"] for v in body["views"].values()] + [
            v["id"] for v in self.call("GET", "app/views", params={"app": 2}).json["views"].values()]
        self.assertEqual(len(set(ids)), len(ids))  # unique in the domain
        self.assertEqual(self.call("GET", "app/views", params={"app": 1}).json, {"views": {}, "revision": "1"})
        # a view token may read them (like the form); preview needs app administration
        resp = self.call("GET", "app/views", params={"app": 6}, auth=None, headers={"X-Cybozu-API-Token": "orderlinesviewtoken"})
        self.assertEqual(resp.status, 200)
        self.assertError(self.call("GET", "preview/app/views", params={"app": 6}), 403, "CB_NO02")
        self.assertError(self.call("GET", "app/views", params={"app": 3}), 400, "GAIA_IL23")
        self.assertEqual(self.call("GET", "app/views", params={"app": 3}, guest=2).status, 200)

    def test_update_and_deploy_views(self):
        live = self.call("GET", "app/views", params={"app": 6}).json["views"]
        put = {"app": 6, "revision": 1, "views": {
            "一覧": {"type": "LIST", "index": 1, "name": "すべて", "fields": ["伝票番号", "合計"]},
            "新しい一覧": {"type": "LIST", "index": 0, "fields": ["伝票番号"], "filterCond": '顧客ID = "C001"',
                       "sort": "受注日 desc"},
            "カスタム": {"type": "CUSTOM", "index": 2, "html": "<div id='x'></div>"},
        }}
        resp = self.call("PUT", "preview/app/views", body=put, auth=ADMIN)
        self.assertEqual(resp.json["revision"], "2")
        self.assertEqual(list(resp.json["views"]), ["新しい一覧", "すべて", "カスタム"])
        self.assertEqual(resp.json["views"]["すべて"], {"id": live["一覧"]["id"]})  # renamed, same view
        self.assertNotIn(resp.json["views"]["新しい一覧"]["id"], [v["id"] for v in live.values()])
        preview = self.call("GET", "preview/app/views", params={"app": 6}, auth=ADMIN).json
        self.assertEqual(preview["views"]["カスタム"], {"type": "CUSTOM", "name": "カスタム", "index": "2",
                                                      "id": resp.json["views"]["カスタム"]["id"], "filterCond": "",
                                                      "sort": "", "html": "<div id='x'></div>", "pager": True,
                                                      "device": "DESKTOP"})
        self.assertEqual(list(self.call("GET", "app/views", params={"app": 6}).json["views"]),
                         ["一覧", "大口", "受注カレンダー"])
        self.call("POST", "preview/app/deploy", body={"apps": [{"app": 6}]}, auth=ADMIN)
        body = self.call("GET", "app/views", params={"app": 6}).json
        self.assertEqual((list(body["views"]), body["revision"]), (["新しい一覧", "すべて", "カスタム"], "2"))

    def test_view_validation(self):
        def put(views, lang="en"):
            return self.call("PUT", "preview/app/views", body={"app": 6, "views": views}, auth=ADMIN, lang=lang)
        body = self.assertError(put({"v": {"type": "LIST", "index": 0, "fields": ["nosuch"]}}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["views.v.fields[0]"])
        body = self.assertError(put({"v": {"type": "LIST", "index": 0, "filterCond": "伝票番号 = "}}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["views.v.filterCond"])
        body = self.assertError(put({"v": {"type": "LIST", "index": 0, "sort": "明細 asc"}}), 400, "CB_VA01")
        self.assertEqual(list(body["errors"]), ["views.v.sort"])
        self.assertError(put({"v": {"type": "TABLE", "index": 0}}), 400, "CB_VA01")
        self.assertError(put({"v": {"type": "LIST"}}), 400, "CB_VA01")
        self.assertError(self.call("PUT", "preview/app/views", body={"app": 6}, auth=ADMIN), 400, "CB_VA01")
        self.assertError(self.call("PUT", "preview/app/views", body={"app": 6, "views": {}, "revision": 9},
                                   auth=ADMIN), 409, "GAIA_CO01")
        self.assertError(self.call("PUT", "preview/app/views", body={"app": 6, "views": {}}), 403, "CB_NO02")


class SettingsTests(EmulatorTestCase):

    def test_get_settings(self):
        body = self.call("GET", "app/settings", params={"app": 6}).json
        self.assertEqual(body, {
            "name": "受注明細",
            "description": "受注ごとの明細（サブテーブル）と添付ファイル。伝票番号は重複禁止（UPSERT のキー）。",
            "icon": {"type": "PRESET", "key": "APP60"}, "theme": "BLUE",
            "titleField": {"selectionMode": "MANUAL", "code": "伝票番号"},
            "enableThumbnails": True, "enableBulkDeletion": False, "enableComments": True,
            "enableDuplicateRecord": True,
            "numberPrecision": {"digits": "16", "decimalPlaces": "4", "roundingMode": "HALF_EVEN"},
            "firstMonthOfFiscalYear": "4", "enableInlineRecordEditing": True, "revision": "1"})
        self.assertEqual(self.call("GET", "app/settings", params={"app": 6, "lang": "en"}).json["name"], "Order lines")
        self.assertEqual(self.call("GET", "app/settings", params={"app": 6, "lang": "user"}, auth=("john",)).json["name"],
                         "Order lines")
        self.assertEqual(self.call("GET", "app/settings", params={"app": 6, "lang": "zh"}).json["name"], "受注明細")
        self.assertError(self.call("GET", "app/settings", params={"app": 6, "lang": "xx"}), 400, "CB_VA01")
        plain = self.call("GET", "app/settings", params={"app": 1}).json
        self.assertEqual((plain["name"], plain["theme"], plain["icon"]), ("顧客管理", "WHITE",
                                                                           {"type": "PRESET", "key": "APP72"}))
        self.assertError(self.call("GET", "app/settings", params={"app": 6}, auth=None,
                                   headers={"X-Cybozu-API-Token": "app1fulltoken"}), 403, "GAIA_NO01")

    def test_update_and_deploy_settings(self):
        resp = self.call("PUT", "preview/app/settings", auth=ADMIN, body={
            "app": 6, "revision": 1, "name": "受注明細（新）", "theme": "RED", "enableComments": False,
            "numberPrecision": {"digits": 20}, "firstMonthOfFiscalYear": 1})
        self.assertEqual(resp.json, {"revision": "2"})
        preview = self.call("GET", "preview/app/settings", params={"app": 6}, auth=ADMIN).json
        self.assertEqual((preview["name"], preview["theme"], preview["enableComments"], preview["numberPrecision"],
                          preview["firstMonthOfFiscalYear"], preview["revision"]),
                         ("受注明細（新）", "RED", False, {"digits": "20", "decimalPlaces": "4",
                                                         "roundingMode": "HALF_EVEN"}, "1", "2"))
        self.assertEqual(self.call("GET", "app", params={"id": 6}).json["name"], "受注明細")
        self.call("POST", "preview/app/deploy", body={"apps": [{"app": 6}]}, auth=ADMIN)
        self.assertEqual(self.call("GET", "app", params={"id": 6}).json["name"], "受注明細（新）")
        self.assertEqual(self.call("GET", "app/settings", params={"app": 6}).json["theme"], "RED")
        for bad in ({"theme": "PINK"}, {"name": "x" * 65}, {"titleField": {"selectionMode": "MANUAL", "code": "no"}},
                    {"numberPrecision": {"roundingMode": "CEIL"}}, {"firstMonthOfFiscalYear": 13}):
            self.assertError(self.call("PUT", "preview/app/settings", body=dict({"app": 6}, **bad), auth=ADMIN),
                             400, "CB_VA01")
        self.assertError(self.call("PUT", "preview/app/settings", auth=ADMIN, body={
            "app": 6, "icon": {"type": "FILE", "file": {"fileKey": "nope"}}}), 404, "GAIA_BL01")


class SpaceTests(EmulatorTestCase):

    def test_space(self):
        body = self.call("GET", "space", params={"id": 3}).json
        apps = body.pop("attachedApps")
        self.assertEqual(body, {
            "id": "3", "name": "購買・経費スペース", "defaultThread": "3", "isPrivate": False,
            "creator": {"code": "Administrator", "name": "管理者"}, "modifier": {"code": "Administrator", "name": "管理者"},
            "memberCount": "4", "coverType": "PRESET", "coverKey": "GREEN", "coverUrl": "",
            "body": "<div>受注明細と経費精算のアプリを置くスペース</div>", "useMultiThread": True, "isGuest": False,
            "fixedMember": False, "showAnnouncement": True, "showThreadList": True, "showAppList": True,
            "showMemberList": True, "showRelatedLinkList": True, "permissions": {"createApp": "EVERYONE"}})
        self.assertEqual([a["appId"] for a in apps], ["6", "7"])
        self.assertEqual(apps[0], {"threadId": "3", "appId": "6", "code": "ORDERLINES", "name": "受注明細",
                                   "description": apps[0]["description"], "createdAt": "2026-01-01T00:00:00.000Z",
                                   "creator": {"code": "Administrator", "name": "Administrator"},
                                   "modifiedAt": "2026-01-01T00:00:00.000Z",
                                   "modifier": {"code": "Administrator", "name": "Administrator"}})
        # space 1 holds app 5 (HR), which only Administrator and sato may use
        self.assertEqual([a["appId"] for a in self.call("GET", "space", params={"id": 1}).json["attachedApps"]],
                         ["2", "5"])
        self.assertEqual([a["appId"] for a in self.call("GET", "space", params={"id": 1},
                                                        auth=("suzuki",)).json["attachedApps"]], ["2"])

    def test_guest_space_and_errors(self):
        body = self.call("GET", "space", params={"id": 2}, guest=2).json
        self.assertEqual((body["isGuest"], [a["appId"] for a in body["attachedApps"]]), (True, ["3"]))
        self.assertError(self.call("GET", "space", params={"id": 2}), 403, "CB_NO02")
        self.assertError(self.call("GET", "space", params={"id": 1}, guest=2), 403, "CB_NO02")
        self.assertError(self.call("GET", "space", params={"id": 99}), 403, "CB_NO02")
        self.assertError(self.call("GET", "space"), 400, "CB_VA01")
        self.assertError(self.call("GET", "space", params={"id": 3}, auth=None,
                                   headers={"X-Cybozu-API-Token": "orderlinesfulltoken"}), 403, "GAIA_NO01")
        # a private space: members only (domain admins too)
        seed = {"users": [{"code": "a", "password": "a"}, {"code": "b", "password": "b"},
                          {"code": "root", "password": "r", "admin": True}],
                "spaces": [{"id": 5, "name": "secret", "isPrivate": True, "members": ["a"]}]}
        self.assertEqual(self.control("POST", "/_emulator/seed", seed).status, 200)
        self.assertEqual(self.call("GET", "space", params={"id": 5}, auth=("a", "a")).json["isPrivate"], True)
        self.assertError(self.call("GET", "space", params={"id": 5}, auth=("b", "b")), 403, "CB_NO02")
        self.assertEqual(self.call("GET", "space", params={"id": 5}, auth=("root", "r")).status, 200)

    def test_apps_filters(self):
        get = lambda **p: [a["appId"] for a in self.call("GET", "apps", params=p).json["apps"]]
        self.assertEqual(get(**{"spaceIds[0]": 3}), ["6", "7"])
        self.assertEqual(get(**{"spaceIds[0]": 1, "spaceIds[1]": 3}), ["2", "5", "6", "7"])
        self.assertEqual(get(**{"codes[0]": "EXPENSE", "codes[1]": "expense"}), ["7"])  # codes are case-sensitive
        self.assertEqual(get(name="明細"), ["6"])
        self.assertEqual(get(name="MAN"), [])
        self.assertEqual(get(**{"ids[0]": 7, "ids[1]": 1, "ids[2]": 99}), ["1", "7"])
        self.assertEqual(get(limit=2, offset=5), ["6", "7"])
        self.assertEqual(get(limit=2, offset=7), [])
        apps = self.call("GET", "apps", params={"ids[0]": 6}).json["apps"]
        self.assertEqual((apps[0]["spaceId"], apps[0]["threadId"]), ("3", "3"))


class DeployDropsValuesTests(EmulatorTestCase):
    """A deploy that deletes a field (or deletes it and adds it again with another type) drops
    its values: a field added later under the same code starts empty."""

    def test_deleted_and_retyped_fields_lose_their_values(self):
        admin = ADMIN
        app = 1
        before = self.call("GET", "record", params={"app": app, "id": 1}, auth=admin).json["record"]
        code = next(c for c, f in before.items() if f["type"] == "NUMBER")
        self.assertNotEqual(before[code]["value"], "")
        self.assertEqual(self.call("DELETE", "preview/app/form/fields", auth=admin,
                                   body={"app": app, "fields": [code]}).status, 200)
        self.assertEqual(self.call("POST", "preview/app/form/fields", auth=admin, body={
            "app": app, "properties": {code: {"type": "SINGLE_LINE_TEXT", "code": code, "label": code}}}).status, 200)
        self.assertEqual(self.call("POST", "preview/app/deploy", auth=admin, body={"apps": [{"app": app}]}).status, 200)
        after = self.call("GET", "record", params={"app": app, "id": 1}, auth=admin).json["record"]
        self.assertEqual(after[code], {"type": "SINGLE_LINE_TEXT", "value": ""})
        # Fields left alone keep theirs.
        kept = next(c for c, f in before.items() if f["type"] == "SINGLE_LINE_TEXT" and f["value"])
        self.assertEqual(after[kept], before[kept])


if __name__ == "__main__":
    unittest.main()
