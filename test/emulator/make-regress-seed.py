#!/usr/bin/env python3
"""Writes the seed the pg_regress suite runs against: sample-data.json plus app 100 (code BIG),
the empty apps 98 (WRITES) and 99 (WDIFF) that the write tests fill, and apps 97 (APPROVALS,
process management) and 96 (DRIFT) of the issue-13 tests; the sample apps 6 and 7 and apps 96
and 97 are usable only by the user yamada (see restrict_feature_apps).

    python3 test/emulator/make-regress-seed.py OUT.json

App 100 has N_RECORDS records (well past Kintone's 10,000 offset ceiling) with deterministic
values: a NUMBER (n), a SINGLE_LINE_TEXT (label), a DATE (day), a DROP_DOWN (kind) and a
DATETIME (at), plus fixed CREATED_TIME/UPDATED_TIME values (with many ties, so an order on
them needs $id as a tie-breaker). Every field is empty on some records, and `label` cycles
through case variants, surrounding spaces, hostile strings and unicode, so that the
differential test (sql/differential.sql) compares pushdown against local evaluation on them.
sql/large.sql and sql/cursor.sql rely on the exact values: change them only together.
It also registers the OAuth client kfdw-client (secret kfdw-client-secret, redirect URI
https://localhost/callback) used by the auth tests.
Standard library only.
"""

import datetime
import json
import os
import sys

N_RECORDS = 12345
KINDS = ["alpha", "beta", "gamma", "δέλτα"]
# label values of records whose id % 50 < len(LABEL_VARIANTS); the others are "item-NNNNN".
LABEL_VARIANTS = [
    "Item",
    "item",
    "ITEM",
    "item ",
    " item",
    "",
    'x" or $id > "0',
    "back\\slash",
    "アイテム😀",
    "line\nbreak",
    "it'em",
    "Ｉｔｅｍ",
]

_DAY0 = datetime.date(2020, 1, 1)
_AT0 = datetime.datetime(2025, 1, 1, tzinfo=datetime.timezone.utc)
_CREATED0 = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)


def _utc(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def big_record(i):
    """The record with $id i (1-based)."""
    if i % 97 == 0:
        n = ""
    elif i % 5 == 0:
        n = "%d.5" % ((i * 37) % 1000 - 200)
    else:
        n = str((i * 37) % 1000 - 200)
    k = i % 50
    label = LABEL_VARIANTS[k] if k < len(LABEL_VARIANTS) else "item-%05d" % i
    day = "" if i % 89 == 0 else (_DAY0 + datetime.timedelta(days=(i * 13) % 2000)).isoformat()
    kind = "" if i % 83 == 0 else KINDS[i % 4]
    at = "" if i % 79 == 0 else _utc(_AT0 + datetime.timedelta(minutes=(i * 7) % 100000))
    # 5,000 distinct creation minutes for 12,345 records: ties everywhere.
    created = _utc(_CREATED0 + datetime.timedelta(minutes=(i * 7919) % 5000))
    updated = _utc(_CREATED0 + datetime.timedelta(days=400, minutes=(i * 104729) % 20000))
    return {
        "$id": i,
        "n": {"value": n},
        "label": {"value": label},
        "day": {"value": day},
        "kind": {"value": kind},
        "at": {"value": at},
        "作成日時": {"value": created},
        "更新日時": {"value": updated},
    }


def big_app():
    return {
        "id": 100,
        "code": "BIG",
        "name": "大量データ",
        "description": "pg_regress: more than 10,000 records",
        "properties": {
            "n": {"type": "NUMBER", "code": "n", "label": "n"},
            "label": {"type": "SINGLE_LINE_TEXT", "code": "label", "label": "label"},
            "day": {"type": "DATE", "code": "day", "label": "day"},
            "kind": {
                "type": "DROP_DOWN", "code": "kind", "label": "kind",
                "options": {v: {"label": v, "index": str(i)} for i, v in enumerate(KINDS)},
            },
            "at": {"type": "DATETIME", "code": "at", "label": "at"},
        },
        "records": [big_record(i) for i in range(1, N_RECORDS + 1)],
        "api_tokens": [{"token": "bigviewtoken", "view": True, "add": False, "edit": False,
                        "delete": False, "manage": False}],
    }


# The OAuth client of the auth tests (contract 3.4; see README "OAuth").
OAUTH_CLIENT = {
    "client_id": "kfdw-client",
    "client_secret": "kfdw-client-secret",
    "redirect_uris": ["https://localhost/callback"],
}

def _options(values):
    return {v: {"label": v, "index": str(i)} for i, v in enumerate(values)}


# Apps written by sql/insert.sql, sql/update_delete.sql and sql/write_differential.sql. Only
# the user suzuki may use them (he is their admin), so the apps every other test lists
# (IMPORT FOREIGN SCHEMA as Administrator) stay as they were.
WRITE_PERMISSIONS = {"users": ["suzuki"], "admins": ["suzuki"]}


def writes_app():
    """App 98: empty, every writable field type, a CALC and a required, unique text."""
    return {
        "id": 98,
        "code": "WRITES",
        "name": "書き込み",
        "description": "pg_regress: INSERT / UPDATE / DELETE",
        "properties": {
            "title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "title", "required": True},
            "code": {"type": "SINGLE_LINE_TEXT", "code": "code", "label": "code", "unique": True},
            "note": {"type": "MULTI_LINE_TEXT", "code": "note", "label": "note"},
            "rich": {"type": "RICH_TEXT", "code": "rich", "label": "rich"},
            "link": {"type": "LINK", "code": "link", "label": "link", "protocol": "WEB"},
            "n": {"type": "NUMBER", "code": "n", "label": "n", "maxValue": "1000000"},
            "twice": {"type": "CALC", "code": "twice", "label": "twice", "expression": "n * 2", "format": "NUMBER"},
            "tags": {"type": "CHECK_BOX", "code": "tags", "label": "tags", "options": _options(["a", "b", "c"])},
            "langs": {"type": "MULTI_SELECT", "code": "langs", "label": "langs",
                      "options": _options(["ja", "en", "zh"])},
            "rank": {"type": "RADIO_BUTTON", "code": "rank", "label": "rank", "options": _options(["A", "B", "C"]),
                     "defaultValue": "B"},
            "kind": {"type": "DROP_DOWN", "code": "kind", "label": "kind", "options": _options(["x", "y", "z"])},
            "day": {"type": "DATE", "code": "day", "label": "day"},
            "tm": {"type": "TIME", "code": "tm", "label": "tm"},
            "at": {"type": "DATETIME", "code": "at", "label": "at"},
            "users": {"type": "USER_SELECT", "code": "users", "label": "users"},
            "orgs": {"type": "ORGANIZATION_SELECT", "code": "orgs", "label": "orgs"},
            "grps": {"type": "GROUP_SELECT", "code": "grps", "label": "grps"},
            "files": {"type": "FILE", "code": "files", "label": "files"},
            "items": {"type": "SUBTABLE", "code": "items", "label": "items", "fields": {
                "item": {"type": "SINGLE_LINE_TEXT", "code": "item", "label": "item"},
                "qty": {"type": "NUMBER", "code": "qty", "label": "qty"},
            }},
        },
        "records": [],
        "api_tokens": [{"token": "app98token", "view": True, "add": True, "edit": True, "delete": True,
                        "manage": False}],
        "permissions": WRITE_PERMISSIONS,
    }


def diff_app():
    """App 99: empty; the differential write test mirrors it in a local table."""
    return {
        "id": 99,
        "code": "WDIFF",
        "name": "書き込み差分",
        "description": "pg_regress: differential INSERT / UPDATE / DELETE",
        "properties": {
            "k": {"type": "NUMBER", "code": "k", "label": "k"},
            "t": {"type": "SINGLE_LINE_TEXT", "code": "t", "label": "t"},
            "v": {"type": "NUMBER", "code": "v", "label": "v"},
            "d": {"type": "DATE", "code": "d", "label": "d"},
            "tags": {"type": "CHECK_BOX", "code": "tags", "label": "tags", "options": _options(["a", "b", "c"])},
        },
        "records": [],
        "permissions": WRITE_PERMISSIONS,
    }


# Apps of the issue-13 tests (sql/process.sql, sql/schema_drift.sql), usable only by yamada.
N_APPROVALS = 300


def approvals_app():
    """App 97: process management with N_APPROVALS records in the first status, created by yamada
    (so he is their assignee). 申請中 (creator) -> 承認する (金額 < 100000) -> 完了; 確認に回す ->
    確認中 (one of yamada, sato: an assignee is needed); 却下する -> 却下; 差し戻す: 完了 -> 申請中.
    Records 291..300 have 金額 >= 100000 (承認する's condition fails)."""
    states = {
        "申請中": {"name": "申請中", "index": "0", "names": {"en": "Submitted"},
                  "assignee": {"type": "ONE", "entities": [{"entity": {"type": "FIELD_ENTITY", "code": "作成者"}}]}},
        "確認中": {"name": "確認中", "index": "1", "names": {"en": "Checking"},
                  "assignee": {"type": "ONE", "entities": [{"entity": {"type": "USER", "code": "yamada"}},
                                                           {"entity": {"type": "USER", "code": "sato"}}]}},
        "完了": {"name": "完了", "index": "2", "names": {"en": "Done"},
                "assignee": {"type": "ONE", "entities": []}},
        "却下": {"name": "却下", "index": "3", "names": {"en": "Rejected"},
                "assignee": {"type": "ONE", "entities": []}},
    }
    actions = [
        {"name": "承認する", "from": "申請中", "to": "完了", "filterCond": "金額 < 100000", "names": {"en": "Approve"}},
        {"name": "確認に回す", "from": "申請中", "to": "確認中", "names": {"en": "Send for check"}},
        {"name": "却下する", "from": "申請中", "to": "却下", "names": {"en": "Reject"}},
        {"name": "承認する", "from": "確認中", "to": "完了", "names": {"en": "Approve"}},
        {"name": "差し戻す", "from": "完了", "to": "申請中", "names": {"en": "Send back"}},
    ]
    records = []
    for i in range(1, N_APPROVALS + 1):
        records.append({
            "$id": i,
            "件名": {"value": "申請 %03d" % i},
            "金額": {"value": str(100000 + i if i > N_APPROVALS - 10 else (i % 50) * 1000)},
            "作成者": {"value": {"code": "yamada"}},
            "更新者": {"value": {"code": "yamada"}},
            "作成日時": {"value": "2026-04-01T00:00:00Z"},
            "更新日時": {"value": "2026-04-01T00:00:00Z"},
        })
    return {
        "id": 97, "code": "APPROVALS", "name": "承認フロー", "description": "pg_regress: process management",
        "properties": {
            "件名": {"type": "SINGLE_LINE_TEXT", "code": "件名", "label": "件名"},
            "金額": {"type": "NUMBER", "code": "金額", "label": "金額"},
        },
        "process_management": {"enable": True, "states": states, "actions": actions},
        "records": records,
    }


def drift_app():
    """App 96: a small form that sql/schema_drift.sql changes through the admin API."""
    return {
        "id": 96, "code": "DRIFT", "name": "項目変更", "description": "pg_regress: schema drift",
        "properties": {
            "title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "title"},
            "n": {"type": "NUMBER", "code": "n", "label": "n"},
            "day": {"type": "DATE", "code": "day", "label": "day"},
            "tags": {"type": "CHECK_BOX", "code": "tags", "label": "tags", "options": _options(["a", "b"])},
        },
        "records": [{"title": {"value": "one"}, "n": {"value": "1"}, "day": {"value": "2026-01-02"}}],
    }


# The sample apps added for the features after the first release (6 ORDERLINES: subtable,
# upsert key, files; 7 EXPENSE: process management, comments) are in the regress seed too, but
# only the user yamada (regress seed only) may use them and administer them, so that the apps
# every other test lists (IMPORT FOREIGN SCHEMA as Administrator, sato, suzuki) stay as they were.
FEATURE_APPS = (6, 7, 96, 97)
FEATURE_USER = {"code": "yamada", "password": "yamada-pass", "name": "山田 太郎", "timezone": "Asia/Tokyo",
                "admin": False, "primary_organization": "sales"}


def restrict_feature_apps(seed):
    seed["users"] = [u for u in seed["users"] if u["code"] != FEATURE_USER["code"]] + [FEATURE_USER]
    for group in seed.get("groups", []):
        if group["code"] == "managers":  # may run EXPENSE's SECONDARY action (差し戻し)
            group["members"] = sorted(set(group.get("members", [])) | {FEATURE_USER["code"]})
    for app in seed["apps"]:
        if app.get("id") in FEATURE_APPS:
            app["permissions"] = {"users": [FEATURE_USER["code"]], "admins": [FEATURE_USER["code"]]}


def main(argv):
    if len(argv) != 2:
        print("usage: make-regress-seed.py OUT.json", file=sys.stderr)
        return 2
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "sample-data.json"), encoding="utf-8") as f:
        seed = json.load(f)
    seed["apps"] = [a for a in seed["apps"] if a.get("id") not in (96, 97, 98, 99, 100)] + [
        big_app(), writes_app(), diff_app(), approvals_app(), drift_app()]
    restrict_feature_apps(seed)
    seed["oauth_clients"] = [c for c in seed.get("oauth_clients", [])
                             if c["client_id"] != OAUTH_CLIENT["client_id"]] + [OAUTH_CLIENT]
    with open(argv[1], "w", encoding="utf-8") as f:
        json.dump(seed, f, ensure_ascii=False)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
