"""Micro-benchmark of the query engine (not a unittest): builds a 100,000-record, 20-field app
directly in a model.App and times a seek page ("$id > N order by $id asc limit 500"), a full
filter query, a sorted query and a totalCount query.

Run: cd test/emulator && python3 tests/bench_query.py
"""

import datetime
import os
import sys
import time
import zoneinfo

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kintone_emulator import model, query  # noqa: E402

N = 100_000


def build_app():
    app = model.App(1, "bench")
    props = {
        "レコード番号": {"type": "RECORD_NUMBER", "code": "レコード番号"},
        "作成日時": {"type": "CREATED_TIME", "code": "作成日時"},
        "作成者": {"type": "CREATOR", "code": "作成者"},
        "dd": {"type": "DROP_DOWN", "code": "dd", "options": {k: {"label": k, "index": str(i)}
                                                                for i, k in enumerate("ABCDE")}},
        "cb": {"type": "CHECK_BOX", "code": "cb", "options": {k: {"label": k, "index": str(i)}
                                                                for i, k in enumerate("XYZ")}},
        "date": {"type": "DATE", "code": "date"},
        "dt": {"type": "DATETIME", "code": "dt"},
    }
    for i in range(6):
        props["text%d" % i] = {"type": "SINGLE_LINE_TEXT", "code": "text%d" % i}
    for i in range(7):
        props["num%d" % i] = {"type": "NUMBER", "code": "num%d" % i}
    app.properties = props
    base = datetime.date(2020, 1, 1)
    for rid in range(1, N + 1):
        values = {
            "作成日時": "2024-01-01T00:00:00Z",
            "作成者": {"code": "user%d" % (rid % 10), "name": "User"},
            "dd": "ABCDE"[rid % 5],
            "cb": ["X", "Z"] if rid % 3 == 0 else ["Y"],
            "date": (base + datetime.timedelta(days=rid % 1000)).isoformat(),
            "dt": "2024-01-%02dT%02d:00:00Z" % (1 + rid % 28, rid % 24),
        }
        for i in range(6):
            values["text%d" % i] = "value %d-%d" % (i, rid)
        for i in range(7):
            values["num%d" % i] = str((rid * (i + 7)) % 1000)
        app.add_record(model.Record(rid, 1, values))
    return app


def timed(label, app, text, ctx, **kw):
    query.execute(app, text, ctx, **kw)  # warm the compile cache (as a benchmark would)
    runs = 5
    t0 = time.perf_counter()
    for _ in range(runs):
        recs, total = query.execute(app, text, ctx, **kw)
    ms = (time.perf_counter() - t0) * 1000 / runs
    print("%-70s %8.2f ms  (%d records, total=%s)" % (label, ms, len(recs), total))


def main():
    t0 = time.perf_counter()
    app = build_app()
    print("built %d records in %.1f s" % (N, time.perf_counter() - t0))
    ctx = query.QueryContext(datetime.datetime(2024, 1, 15, 3, 0, tzinfo=datetime.timezone.utc),
                             zoneinfo.ZoneInfo("Asia/Tokyo"), login_user="user1")
    timed("seek page: $id > 50000 order by $id asc limit 500", app,
          "$id > 50000 order by $id asc limit 500", ctx)
    timed("seek page with condition (SDK form)", app,
          '(num0 > 100 and dd in ("A", "B")) and $id > 50000 order by $id asc limit 500', ctx)
    timed("default order, no condition, limit 500", app, "limit 500", ctx)
    timed("full filter (selective, scans all): num0 = 7 and text1 like \"9\"", app,
          'num0 = 7 and text1 like "9" limit 500', ctx)
    timed("full filter + totalCount: dd in (\"A\") limit 500", app,
          'dd in ("A") limit 500', ctx, want_total=True)
    timed("sorted: num1 desc, date asc limit 500 offset 10000", app,
          "order by num1 desc, date asc limit 500 offset 10000", ctx)
    timed("date function: dt = THIS_MONTH() order by dt desc limit 500", app,
          "dt = THIS_MONTH() order by dt desc limit 500", ctx)


if __name__ == "__main__":
    main()
