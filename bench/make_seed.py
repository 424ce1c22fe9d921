#!/usr/bin/env python3
"""Writes the benchmark's seed document (emulator seed format, see test/emulator/README.md).

One app (id 1, "bench") whose foreign table has 20 columns of mixed types: `$id`, two system
fields (CREATOR, CREATED_TIME) and 17 form fields (text, link, numbers, CALC, dates, datetime,
time, drop-down, radio button, check box, multi-select, multi-line text, user selection).
Values are deterministic; some records have empty values (NULL / empty arrays in SQL).

Usage: make_seed.py N_RECORDS OUT.json   (also prints the field codes, one per line, on stdout)
"""

import json
import sys

TOKEN = "benchtoken"

# (field code, Kintone properties, PostgreSQL column type)
FORM_FIELDS = [
    ("title", {"type": "SINGLE_LINE_TEXT", "label": "Title"}, "text"),
    ("code", {"type": "SINGLE_LINE_TEXT", "label": "Code"}, "text"),
    ("email", {"type": "LINK", "label": "Mail", "protocol": "MAIL"}, "text"),
    ("qty", {"type": "NUMBER", "label": "Quantity"}, "numeric"),
    ("price", {"type": "NUMBER", "label": "Unit price"}, "numeric"),
    ("amount", {"type": "CALC", "label": "Amount", "expression": "qty * price", "format": "NUMBER"}, "numeric"),
    ("ratio", {"type": "NUMBER", "label": "Ratio"}, "numeric"),
    ("day", {"type": "DATE", "label": "Order date"}, "date"),
    ("due", {"type": "DATE", "label": "Due date"}, "date"),
    ("at", {"type": "DATETIME", "label": "Shipped at"}, "timestamptz"),
    ("call", {"type": "TIME", "label": "Call time"}, "time"),
    ("status", {"type": "DROP_DOWN", "label": "Status", "options": ["受付", "出荷済", "キャンセル"]}, "text"),
    ("rank", {"type": "RADIO_BUTTON", "label": "Rank", "options": ["A", "B", "C"]}, "text"),
    ("tags", {"type": "CHECK_BOX", "label": "Tags", "options": ["VIP", "新規", "休眠", "要フォロー"]}, "text[]"),
    ("langs", {"type": "MULTI_SELECT", "label": "Languages", "options": ["日本語", "English", "中文"]}, "text[]"),
    ("memo", {"type": "MULTI_LINE_TEXT", "label": "Memo"}, "text"),
    ("owner", {"type": "USER_SELECT", "label": "Owner"}, "jsonb"),
]
SYSTEM_COLUMNS = [("$id", "bigint"), ("作成者", "text"), ("作成日時", "timestamptz")]
USERS = ["sato", "tanaka", "suzuki", "john"]


def options(names):
    return {n: {"label": n, "index": str(i)} for i, n in enumerate(names)}


def record(r):
    empty = r % 50 == 0  # 2% of the records leave the optional fields empty
    u = USERS[r % len(USERS)]
    rec = {
        "$id": r,
        "title": {"value": "" if empty else "注文 %d — widget, size %d" % (r, r % 13)},
        "code": {"value": "C-%07d" % r},
        "email": {"value": "" if empty else "user%d@example.com" % r},
        "qty": {"value": "" if empty else str(r % 97)},
        "price": {"value": str(100 + (r * 37) % 9900)},
        "ratio": {"value": "" if empty else "%d.%03d" % (r % 10, r % 1000)},
        "day": {"value": "" if empty else "2026-%02d-%02d" % (1 + r % 12, 1 + r % 28)},
        "due": {"value": "2026-%02d-%02d" % (1 + (r + 1) % 12, 1 + (r + 3) % 28)},
        "at": {"value": "" if empty else "2026-%02d-%02dT%02d:%02d:00Z" % (1 + r % 12, 1 + r % 28, r % 24, r % 60)},
        "call": {"value": "" if empty else "%02d:%02d" % (r % 24, (r * 7) % 60)},
        "status": {"value": "" if empty else ["受付", "出荷済", "キャンセル"][r % 3]},
        "rank": {"value": ["A", "B", "C"][r % 3]},
        "tags": {"value": [] if empty else [["VIP"], ["新規", "要フォロー"], [], ["休眠"]][r % 4]},
        "langs": {"value": [["日本語"], ["日本語", "English"], ["中文"]][r % 3]},
        "memo": {"value": "" if empty else "line 1 of record %d\nline 2: \"quoted\", tab\there" % r},
        "owner": {"value": [] if empty else [{"code": u}]},
        "作成者": {"value": {"code": u}},
        "更新者": {"value": {"code": u}},
        "作成日時": {"value": "2025-%02d-%02dT%02d:00:00Z" % (1 + r % 12, 1 + r % 28, r % 24)},
        "更新日時": {"value": "2026-01-01T00:00:00Z"},
    }
    return rec


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    props = {}
    for code, p, _ in FORM_FIELDS:
        p = dict(p)
        if isinstance(p.get("options"), list):
            p["options"] = options(p["options"])
        props[code] = p
    doc = {
        "users": [{"code": "Administrator", "password": "admin-pass", "name": "Administrator", "admin": True}]
        + [{"code": u, "password": u + "-pass", "name": u} for u in USERS],
        "apps": [{
            "id": 1, "code": "BENCH", "name": "bench", "properties": props,
            "records": [record(r) for r in range(1, n + 1)],
            "api_tokens": [{"token": TOKEN, "view": True, "add": False, "edit": False, "delete": False,
                            "manage": False}],
        }],
    }
    with open(out, "w", encoding="utf-8") as f:
        f.write(json.dumps(doc, ensure_ascii=False, separators=(",", ":")))


def columns_sql():
    """The foreign table's column list (20 columns), with field types as IMPORT FOREIGN SCHEMA
    declares them (so planning reads no form)."""
    cols = []
    system_types = {"$id": "__ID__", "作成者": "CREATOR", "作成日時": "CREATED_TIME"}
    for code, typ in SYSTEM_COLUMNS:
        name = {"$id": "id", "作成者": "creator", "作成日時": "created"}[code]
        cols.append("%s %s OPTIONS (field_code '%s', field_type '%s')" % (name, typ, code, system_types[code]))
    for code, prop, typ in FORM_FIELDS:
        cols.append("\"%s\" %s OPTIONS (field_type '%s')" % (code, typ, prop["type"]))
    return ",\n  ".join(cols)


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "--columns":
        print(columns_sql())
    else:
        main()
