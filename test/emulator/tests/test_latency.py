"""The latency model, the concurrency limit and the run-time settings (/_emulator/config).

No test depends on timing: requests are held in flight with a long modelled delay, the test
waits for a *state* (the stats show them all in flight, which also proves that the state lock
is free while they sleep: the stats call takes it), then releases them by setting the delay to
0 (sleepers wake on every settings change). Counts, not durations, are checked.
"""

import json
import os
import sys
import threading
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from kintone_emulator.settings import KINTONE_MODEL, Settings  # noqa: E402
from tests.test_api import EmulatorTestCase, password_header  # noqa: E402

HOLD_MS = 120000  # long enough never to elapse during a test; released through /_emulator/config


class SettingsUnitTests(unittest.TestCase):

    def test_delay_formula_and_kintone_model(self):
        s = Settings(**KINTONE_MODEL)
        self.assertTrue(s.active)
        # 100 ms + 500 * (400 us + 20 * 80 us) = 1.1 s: the published ~1.1 s per 500-record page
        self.assertAlmostEqual(s.delay(500, 20), 1.1)
        self.assertAlmostEqual(s.delay(0, 0), 0.1)
        self.assertLess(s.delay(500, 5), s.delay(500, 20))
        self.assertLess(s.delay(100, 20), s.delay(500, 20))

    def test_off_by_default_and_validation(self):
        s = Settings()
        self.assertFalse(s.active)
        self.assertEqual(s.delay(500, 20), 0)
        self.assertEqual(s.snapshot()["concurrency_limit"], 100)
        self.assertEqual(s.snapshot()["max_file_size"], 1 << 30)
        for bad in ({"latency_ms": -1}, {"concurrency_limit": 0}, {"concurrency_limit": 2.5},
                    {"nope": 1}, {"latency_ms": "5"}, {"latency_model": "fast"}, {"max_file_size": True}):
            with self.assertRaises(ValueError):
                s.update(bad)
        s.update({"latency_model": "kintone", "latency_ms": 5})
        self.assertEqual(s.latency_ms, 5)  # explicit figures win over the preset
        self.assertEqual(s.latency_per_record_us, KINTONE_MODEL["latency_per_record_us"])
        s.update({"latency_model": "off"})
        self.assertFalse(s.active)


class LatencyTests(EmulatorTestCase):

    def tearDown(self):
        self.control("POST", "/_emulator/config", {"latency_model": "off", "concurrency_limit": 100})

    def stats(self):
        return self.control("GET", "/_emulator/stats").json

    def wait_in_flight(self, n):
        """Wait (a state, not a delay) until n Kintone requests are in flight."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.stats()["in_flight"] == n:
                return
            time.sleep(0.01)
        self.fail("never %d requests in flight: %r" % (n, self.stats()))

    def start_requests(self, n, path="/k/v1/record.json?app=2&id=1"):
        results = [None] * n

        def run(i):
            results[i] = self.raw_request("GET", path, headers=password_header("sato"))
        threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
        for t in threads:
            t.start()
        return threads, results

    def test_config_control_api(self):
        body = self.control("GET", "/_emulator/config").json
        self.assertEqual(body, {"latency_ms": 0.0, "latency_per_record_us": 0.0, "latency_per_field_us": 0.0,
                                "concurrency_limit": 100, "max_file_size": 1 << 30, "upload_ttl_s": 259200.0})
        resp = self.control("POST", "/_emulator/config", {"latency_model": "kintone"})
        self.assertEqual(resp.status, 200)
        self.assertEqual(resp.json["latency_ms"], KINTONE_MODEL["latency_ms"])
        resp = self.control("POST", "/_emulator/config", {"latency_model": "off", "concurrency_limit": 0})
        self.assertEqual(resp.status, 400)
        self.assertIn("concurrency_limit", resp.json["error"])
        # all or nothing: the bad request changed nothing
        self.assertEqual(self.control("GET", "/_emulator/config").json["latency_ms"], KINTONE_MODEL["latency_ms"])
        # settings survive a data reset (like faults and stats)
        self.control("POST", "/_emulator/reset")
        self.assertEqual(self.control("GET", "/_emulator/config").json["latency_ms"], KINTONE_MODEL["latency_ms"])

    def test_requests_sleep_concurrently_outside_the_state_lock(self):
        self.control("POST", "/_emulator/config", {"latency_ms": HOLD_MS})
        self.control("POST", "/_emulator/stats/reset")
        n = 8
        threads, results = self.start_requests(n)
        # All n are in flight at once, and the stats call (which takes the state lock) is
        # answered meanwhile: they sleep outside the lock.
        self.wait_in_flight(n)
        self.control("POST", "/_emulator/config", {"latency_ms": 0})  # release them
        for t in threads:
            t.join(60)
        self.assertEqual([r.status for r in results], [200] * n)
        stats = self.stats()
        self.assertEqual(stats["max_concurrent"], n)
        self.assertEqual(stats["requests"], {"GET /k/v1/record.json": n})
        self.assertAlmostEqual(stats["latency_ms"], n * HOLD_MS)
        # max_concurrent is resettable (to what is in flight now)
        self.control("POST", "/_emulator/stats/reset")
        self.assertEqual(self.stats()["max_concurrent"], 0)

    def test_concurrency_limit_settable(self):
        self.control("POST", "/_emulator/config", {"latency_ms": HOLD_MS, "concurrency_limit": 5})
        threads, results = self.start_requests(5)
        self.wait_in_flight(5)
        extra = self.call("GET", "record", params={"app": 2, "id": 1})
        body = self.assertError(extra, 429, "GAIA_TO04")
        self.assertEqual(body["message"], "The number of concurrent API requests exceeds the limit.")
        self.assertEqual(extra.header("X-Cybozu-Error"), "GAIA_TO04")
        self.assertEqual(extra.header("X-ConcurrencyLimit-Limit"), "5")
        self.assertEqual(extra.header("X-ConcurrencyLimit-Running"), "5")
        self.control("POST", "/_emulator/config", {"latency_ms": 0})
        for t in threads:
            t.join(60)
        self.assertEqual([r.status for r in results], [200] * 5)
        self.assertEqual([r.header("X-ConcurrencyLimit-Limit") for r in results], ["5"] * 5)
        ok = self.call("GET", "record", params={"app": 2, "id": 1})
        self.assertEqual((ok.status, ok.header("X-ConcurrencyLimit-Running")), (200, "1"))
        self.assertEqual(self.stats()["max_concurrent"], 6)  # the refused one was in flight too

    def test_modelled_time_grows_with_records_and_fields(self):
        # Tiny figures (never noticeable): the stats sum what the model computed.
        self.control("POST", "/_emulator/config", {"latency_per_record_us": 1, "latency_per_field_us": 0.5})
        self.control("POST", "/_emulator/stats/reset")
        q = urllib.parse.urlencode({"app": 2, "query": "order by $id asc limit 10", "fields[0]": "受注番号",
                                    "fields[1]": "$id", "fields[2]": "nosuch"})
        self.assertEqual(self.raw_request("GET", "/k/v1/records.json?" + q, headers=password_header("sato")).status,
                         200)
        # 10 records * (1 us + 2 fields * 0.5 us) = 20 us
        self.assertAlmostEqual(self.stats()["latency_ms"], 0.02)
        self.control("POST", "/_emulator/stats/reset")
        self.assertEqual(self.call("GET", "record", params={"app": 2, "id": 1}).status, 200)
        nfields = len(self.call("GET", "record", params={"app": 2, "id": 1}).json["record"])
        # two calls of one record with every field
        self.assertAlmostEqual(self.stats()["latency_ms"], 2 * (1 + nfields * 0.5) / 1000)
        self.control("POST", "/_emulator/stats/reset")
        self.assertEqual(self.call("GET", "app", params={"id": 2}).status, 200)
        self.assertEqual(self.stats()["latency_ms"], 0)  # no record returned, no base latency

    def test_off_adds_nothing(self):
        self.control("POST", "/_emulator/stats/reset")
        self.assertEqual(self.call("GET", "records", params={"app": 2}).status, 200)
        self.assertEqual(self.stats()["latency_ms"], 0)


class FlagTests(unittest.TestCase):

    def test_command_line_flags(self):
        import subprocess
        from tests.test_api import EMULATOR
        proc = subprocess.Popen([sys.executable, EMULATOR, "--port", "0", "--latency-model", "kintone",
                                 "--latency-per-field-us", "10", "--concurrency-limit", "7", "--max-file-size", "64"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            url = urllib.parse.urlparse(proc.stdout.readline().strip())
            import http.client
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            conn.request("GET", "/_emulator/config")
            body = json.loads(conn.getresponse().read())
            conn.close()
            self.assertEqual(body, {"latency_ms": 100.0, "latency_per_record_us": 400.0, "latency_per_field_us": 10.0,
                                    "concurrency_limit": 7, "max_file_size": 64, "upload_ttl_s": 259200.0})
        finally:
            proc.terminate()
            proc.wait(30)
            proc.stdout.close()
            proc.stderr.close()


if __name__ == "__main__":
    unittest.main()
