-- Pages in flight (issue 9): the same rows at 1 and 8 requests in flight, ordered plans stay
-- ordered, the planner's choice between Kintone's order and a local sort, the emulator's
-- max_concurrent never above the setting, and the option's bounds. App 100 (BIG, 12,345 records).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_c FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', max_concurrent_requests '8');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_c OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE FOREIGN TABLE big8 (id bigint OPTIONS (field_code '$id'), n numeric, label text, day date, kind text, at timestamptz,
  created timestamptz OPTIONS (field_code '作成日時'))
  SERVER emu_c OPTIONS (app '100');
CREATE FOREIGN TABLE big1 (id bigint OPTIONS (field_code '$id'), n numeric, label text, day date, kind text, at timestamptz,
  created timestamptz OPTIONS (field_code '作成日時'))
  SERVER emu_c OPTIONS (app '100', max_concurrent_requests '1');
\setenv STATS_RESET 'curl -s -X POST "$KINTONE_EMULATOR_URL/_emulator/stats/reset" > /dev/null'

-- The same rows, whole and filtered, at 1 and at 8 in flight.
SELECT count(*) AS rows_8 FROM big8;
SELECT count(*) AS differences FROM ((TABLE big1 EXCEPT ALL TABLE big8) UNION ALL (TABLE big8 EXCEPT ALL TABLE big1)) d;
SELECT count(*) AS differences FROM (
  (SELECT * FROM big1 WHERE kind = 'beta' EXCEPT ALL SELECT * FROM big8 WHERE kind = 'beta')
  UNION ALL (SELECT * FROM big8 WHERE kind = 'beta' EXCEPT ALL SELECT * FROM big1 WHERE kind = 'beta')) d;
SELECT count(*) AS differences FROM (
  (SELECT * FROM big1 WHERE id > 3000 AND n < 250 EXCEPT ALL SELECT * FROM big8 WHERE id > 3000 AND n < 250)
  UNION ALL (SELECT * FROM big8 WHERE id > 3000 AND n < 250 EXCEPT ALL SELECT * FROM big1 WHERE id > 3000 AND n < 250)) d;

-- Never more in flight than the setting.
\! eval "$STATS_RESET"
SELECT count(*), sum(id) FROM big8;
\! curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c 'import json,sys; m = json.load(sys.stdin)["max_concurrent"]; print("max_concurrent <= 8:", "ok" if 1 <= m <= 8 else "FAILED %d" % m)' 
\! eval "$STATS_RESET"
SELECT count(*), sum(id) FROM big1;
\! curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c 'import json,sys; m = json.load(sys.stdin)["max_concurrent"]; print("max_concurrent == 1:", "ok" if m == 1 else "FAILED %d" % m)' 

-- Ordered by $id: a concurrent scan in Kintone's $id order, no Sort; the rows come in order.
EXPLAIN (COSTS OFF) SELECT id FROM big8 ORDER BY id;
SELECT count(*) AS out_of_order FROM (SELECT id, lag(id) OVER () AS prev FROM (SELECT id FROM big8 ORDER BY id) s) t
 WHERE id <= prev;

-- ORDER BY a creation time over every record (an order Kintone can give, by cursor): at 8 in
-- flight it is read concurrently and sorted locally, at 1 Kintone's cursor gives it; with a
-- small LIMIT the order and the limit go to Kintone (one request) at 8 too. Same rows in the
-- same order either way.
ANALYZE big8;
ANALYZE big1;
EXPLAIN (COSTS OFF) SELECT id, created FROM big8 ORDER BY created;
EXPLAIN (COSTS OFF) SELECT id, created FROM big1 ORDER BY created;
EXPLAIN (COSTS OFF) SELECT id, created FROM big8 ORDER BY created LIMIT 5;
SELECT count(*) AS differences FROM (
  SELECT row_number() OVER () AS r, id FROM (SELECT id FROM big8 ORDER BY created, id) a
  EXCEPT ALL
  SELECT row_number() OVER () AS r, id FROM (SELECT id FROM big1 ORDER BY created, id) b) d;
SELECT id, created FROM big8 ORDER BY created, id LIMIT 3;

-- EXPLAIN ANALYZE says how many requests the scan had in flight at once (the client's count:
-- the slices after the first page are started together, whatever the timing).
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM big8;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM big1;

-- After ANALYZE the scan knows the $id range beforehand (the histogram of "id", a column of
-- "$id"): the first wave of slices goes out at once, no page is read alone, and the last slice
-- (open-ended, with totalCount) ends the scan without an empty page: 25 requests for 25 pages
-- (26 before ANALYZE). The same rows at 1 and 8 in flight, whole, filtered, and where the
-- estimate of the matching records says little about where they are (id > 3000); in $id
-- order; never more than 8 in flight.
SELECT count(*) AS differences FROM ((TABLE big1 EXCEPT ALL TABLE big8) UNION ALL (TABLE big8 EXCEPT ALL TABLE big1)) d;
SELECT count(*) AS differences FROM (
  (SELECT * FROM big1 WHERE kind = 'beta' EXCEPT ALL SELECT * FROM big8 WHERE kind = 'beta')
  UNION ALL (SELECT * FROM big8 WHERE kind = 'beta' EXCEPT ALL SELECT * FROM big1 WHERE kind = 'beta')) d;
SELECT count(*) AS differences FROM (
  (SELECT * FROM big1 WHERE id > 3000 AND n < 250 EXCEPT ALL SELECT * FROM big8 WHERE id > 3000 AND n < 250)
  UNION ALL (SELECT * FROM big8 WHERE id > 3000 AND n < 250 EXCEPT ALL SELECT * FROM big1 WHERE id > 3000 AND n < 250)) d;
SELECT count(*) AS out_of_order FROM (SELECT id, lag(id) OVER () AS prev FROM (SELECT id FROM big8 ORDER BY id) s) t
 WHERE id <= prev;
\! eval "$STATS_RESET"
SELECT count(*), sum(id) FROM big8;
\! curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c 'import json,sys; s = json.load(sys.stdin); m = s["max_concurrent"]; print("max_concurrent <= 8:", "ok" if 1 <= m <= 8 else "FAILED %d" % m, "requests:", s["requests"]["GET /k/v1/records.json"])'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM big8 WHERE kind = 'beta';

-- Faults in one slice mid-scan: a 429 (GAIA_TO04) and an answer lost after Kintone served it
-- are asked again (reads are idempotent): the same rows as at 1 in flight. Both rules were
-- spent (a rule leaves the list once it has applied count times).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "skip": 3, "count": 1, "code": "GAIA_TO04", "status": 429}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "skip": 6, "count": 1, "after": true, "drop_connection": true}' > /dev/null
SELECT count(*), sum(id), sum(n) FROM big8;
\! test/emulator/emulator-ctl GET /_emulator/faults | python3 -c 'import json, sys; print("fault rules not yet spent:", len(json.load(sys.stdin)["faults"]))'
\! test/emulator/emulator-ctl DELETE /_emulator/faults > /dev/null
SELECT count(*), sum(id), sum(n) FROM big1;
-- A lasting error in one slice ends the scan with that error: no rows, never a partial result.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "skip": 4, "count": 1, "status": 400, "body": {"code": "CB_VA01", "id": "x", "message": "injected"}}' > /dev/null
\set VERBOSITY terse
SELECT count(*), sum(id) FROM big8;
\set VERBOSITY default
\! test/emulator/emulator-ctl DELETE /_emulator/faults > /dev/null

-- Cancel (statement_timeout) while slices are in flight: every request after the first page is
-- held 3 s by the emulator. The statement ends with the cancel; afterwards nothing of it is in
-- flight (waited for, polling) and no cursor is left.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "skip": 1, "delay_ms": 3000}' > /dev/null
SET statement_timeout = '1s';
SELECT count(*), sum(id) FROM big8;
RESET statement_timeout;
\! test/emulator/emulator-ctl DELETE /_emulator/faults > /dev/null
\! for i in $(seq 100); do curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c 'import json,sys; s = json.load(sys.stdin); sys.exit(0 if s["in_flight"] == 0 else 1)' && break; sleep 0.2; done; curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c 'import json,sys; s = json.load(sys.stdin); print("in_flight:", s["in_flight"], "live_cursors:", s["live_cursors"])'
SELECT count(*) FROM big8;

-- Bounds.
ALTER SERVER emu_c OPTIONS (SET max_concurrent_requests '11');
ALTER FOREIGN TABLE big1 OPTIONS (SET max_concurrent_requests '0');
ALTER FOREIGN TABLE big1 OPTIONS (SET max_concurrent_requests 'many');

DROP SERVER emu_c CASCADE;
