#!/usr/bin/env python3
"""Speed check: time to serve one 500-record page of a 20-field app holding 100,000 records.

Starts the emulator, seeds it through POST /_emulator/seed, then pages through the app with
the SDK's seek query "$id > N order by $id asc limit 500" over one keep-alive connection and
prints ms/request for: the first read of each record with all fields, with a 5-field and a
15-field `fields` list (each list read for the first time), a repeated read, and a first read
after a deploy (which drops every record's cached JSON, so it is rebuilt on that read).
Not a unit test (the file name does not start with test_). Usage:
    python3 tests/bench_page.py [--records 100000] [--pages 50]
"""

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
EMULATOR = os.path.join(os.path.dirname(HERE), "kintone-emulator")


def make_seed(n):
    props = {}
    for i in range(6):
        props["text%d" % i] = {"type": "SINGLE_LINE_TEXT"}
    for i in range(6):
        props["num%d" % i] = {"type": "NUMBER"}
    props["date0"] = {"type": "DATE"}
    props["dt0"] = {"type": "DATETIME"}
    props["dd0"] = {"type": "DROP_DOWN", "options": ["a", "b", "c"]}
    props["cb0"] = {"type": "CHECK_BOX", "options": ["x", "y", "z"]}
    props["memo"] = {"type": "MULTI_LINE_TEXT"}
    records = []
    for r in range(1, n + 1):
        rec = {"text%d" % i: {"value": "value %d-%d" % (r, i)} for i in range(6)}
        rec.update({"num%d" % i: {"value": str(r * (i + 1))} for i in range(6)})
        rec.update({"date0": {"value": "2026-01-%02d" % (1 + r % 28)},
                    "dt0": {"value": "2026-01-01T%02d:00:00Z" % (r % 24)},
                    "dd0": {"value": "abc"[r % 3]}, "cb0": {"value": ["x", "z"]},
                    "memo": {"value": "line 1\nline 2 of record %d" % r},
                    "作成日時": {"value": "2026-01-01T00:00:00Z"}, "更新日時": {"value": "2026-01-01T00:00:00Z"},
                    "作成者": {"value": {"code": "u"}}, "更新者": {"value": {"code": "u"}}})
        records.append(rec)
    return {"users": [{"code": "u", "password": "p", "name": "U", "admin": True}],
            "apps": [{"id": 1, "name": "bench", "properties": props, "records": records}]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--records", type=int, default=100000)
    ap.add_argument("--pages", type=int, default=50)
    args = ap.parse_args()
    proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = urllib.parse.urlparse(proc.stdout.readline().strip())
        conn = http.client.HTTPConnection(url.hostname, url.port)
        t0 = time.perf_counter()
        body = json.dumps(make_seed(args.records)).encode()
        conn.request("POST", "/_emulator/seed", body=body, headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200, resp.status
        print("seeded %d records in %.1f s" % (args.records, time.perf_counter() - t0))
        auth = {"X-Cybozu-Authorization": base64.b64encode(b"u:p").decode()}
        five = ["$id", "text0", "num3", "dd0", "dt0"]
        fifteen = ["text%d" % i for i in range(6)] + ["num%d" % i for i in range(6)] + ["cb0", "memo", "$id"]
        passes = [("all fields, first read", None), ("5 fields, first read", five),
                  ("15 fields, first read", fifteen), ("all fields, repeated read", None),
                  ("5 fields, first read after a deploy (JSON rebuilt)", five)]
        for label, fields in passes:
            if "deploy" in label:
                body = json.dumps({"apps": [{"app": 1}]})
                conn.request("POST", "/k/v1/preview/app/deploy.json", body=body,
                             headers=dict(auth, **{"Content-Type": "application/json"}))
                resp = conn.getresponse()
                resp.read()
                assert resp.status == 200, resp.status
            fq = "".join("&fields[%d]=%s" % (i, urllib.parse.quote(f)) for i, f in enumerate(fields or []))
            last, times, count = 0, [], 0
            for _ in range(args.pages):
                q = urllib.parse.quote("$id > %d order by $id asc limit 500" % last)
                t = time.perf_counter()
                conn.request("GET", "/k/v1/records.json?app=1&query=" + q + fq, headers=auth)
                resp = conn.getresponse()
                data = resp.read()
                times.append(time.perf_counter() - t)
                records = json.loads(data)["records"]
                count += len(records)
                last = int(records[-1]["$id"]["value"])
            times.sort()
            print("%s: %d pages, %d records, median %.2f ms/request, mean %.2f ms, %d bytes/page"
                  % (label, len(times), count, times[len(times) // 2] * 1000, sum(times) / len(times) * 1000,
                     len(data)))
    finally:
        proc.terminate()
        proc.wait(10)


if __name__ == "__main__":
    main()
