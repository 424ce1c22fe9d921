#!/usr/bin/env python3
"""Speed check of the latency model: N requests in flight at once each take about one
delay, not N delays (the emulator sleeps outside its state lock, one thread per connection).

Seeds a 20-field app with 5,000 records (bench_page.make_seed), sets a fixed latency through
POST /_emulator/config, then sends N 500-record page requests ($id-seek windows) at once, each
on its own keep-alive connection, and prints the wall time next to N x delay; then the same
with the Kintone-like model (--latency-model kintone figures). Also prints the time of one
500-record page with the model off (the model must add nothing when off).
Not a unit test (the file name does not start with test_). Usage:
    python3 tests/bench_latency.py [--latency-ms 200] [--in-flight 1 5 10 20]
"""

import argparse
import base64
import http.client
import json
import os
import subprocess
import sys
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_page import EMULATOR, make_seed  # noqa: E402

AUTH = {"X-Cybozu-Authorization": base64.b64encode(b"u:p").decode()}


def request(host, port, path, body=None, method="GET"):
    conn = http.client.HTTPConnection(host, port, timeout=300)
    conn.request(method, path, body=json.dumps(body).encode() if body is not None else None,
                 headers=dict(AUTH, **({"Content-Type": "application/json"} if body is not None else {})))
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp.status, data


def page_path(i):
    q = "$id > %d order by $id asc limit 500" % (i * 500 % 4500)
    return "/k/v1/records.json?" + urllib.parse.urlencode({"app": 1, "query": q})


def burst(host, port, n):
    """Wall time of n page requests started together."""
    conns = [http.client.HTTPConnection(host, port, timeout=300) for _ in range(n)]
    for c in conns:
        c.connect()
    statuses = [None] * n
    barrier = threading.Barrier(n + 1)

    def run(i):
        barrier.wait()
        conns[i].request("GET", page_path(i), headers=AUTH)
        resp = conns[i].getresponse()
        resp.read()
        statuses[i] = resp.status
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    barrier.wait()
    t0 = time.perf_counter()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    for c in conns:
        c.close()
    assert statuses == [200] * n, statuses
    return elapsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--latency-ms", type=float, default=200)
    ap.add_argument("--in-flight", type=int, nargs="+", default=[1, 5, 10, 20])
    args = ap.parse_args()
    proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0"], stdout=subprocess.PIPE, text=True)
    try:
        url = urllib.parse.urlparse(proc.stdout.readline().strip())
        host, port = url.hostname, url.port
        status, _ = request(host, port, "/_emulator/seed", make_seed(5000), method="POST")
        assert status == 200
        for _ in range(3):
            burst(host, port, 1)  # warm the record cache
        off = min(burst(host, port, 1) for _ in range(5))
        print("model off: one 500-record page of 20 fields: %.1f ms" % (off * 1000))
        for label, cfg in (("fixed %g ms" % args.latency_ms, {"latency_ms": args.latency_ms}),
                           ("kintone model", {"latency_model": "kintone"})):
            request(host, port, "/_emulator/config", dict({"latency_model": "off"}, **cfg), method="POST")
            for n in args.in_flight:
                request(host, port, "/_emulator/stats/reset", {}, method="POST")
                elapsed = burst(host, port, n)
                _, stats = request(host, port, "/_emulator/stats")
                stats = json.loads(stats)
                one = stats["latency_ms"] / stats["requests_total"]
                print("%-14s %2d in flight: %7.0f ms wall (one delay %5.0f ms, %2d x = %6.0f ms), max_concurrent %d"
                      % (label, n, elapsed * 1000, one, n, n * one, stats["max_concurrent"]))
    finally:
        proc.terminate()
        proc.wait()


if __name__ == "__main__":
    main()
