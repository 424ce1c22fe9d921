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
CREATE FOREIGN TABLE big8 (id bigint OPTIONS (field_code '$id'), n numeric, label text, day date, kind text, at timestamptz)
  SERVER emu_c OPTIONS (app '100');
CREATE FOREIGN TABLE big1 (id bigint OPTIONS (field_code '$id'), n numeric, label text, day date, kind text, at timestamptz)
  SERVER emu_c OPTIONS (app '100', max_concurrent_requests '1');
\setenv MAXC 'curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c "import json,sys; s=json.load(sys.stdin); print(\"max_concurrent <= $1:\", \"ok\" if 1 <= s[\"max_concurrent\"] <= int(sys.argv[1]) else \"FAILED %d\" % s[\"max_concurrent\"])"'
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
\! sh -c "$MAXC" - 8
\! eval "$STATS_RESET"
SELECT count(*), sum(id) FROM big1;
\! sh -c "$MAXC" - 1

-- Ordered by $id: a concurrent scan in Kintone's $id order, no Sort; the rows come in order.
EXPLAIN (COSTS OFF) SELECT id FROM big8 ORDER BY id;
SELECT count(*) AS out_of_order FROM (SELECT id, lag(id) OVER () AS prev FROM (SELECT id FROM big8 ORDER BY id) s) t
 WHERE id <= prev;

-- ORDER BY another field over every record: read concurrently and sorted locally at 8; with
-- a small LIMIT the order and limit go to Kintone (one request).
EXPLAIN (COSTS OFF) SELECT id, n FROM big8 ORDER BY n, id;
EXPLAIN (COSTS OFF) SELECT id, n FROM big8 ORDER BY n, id LIMIT 5;
SELECT count(*) AS differences FROM (
  SELECT row_number() OVER () AS r, id FROM (SELECT id FROM big8 ORDER BY n, id) a
  EXCEPT ALL
  SELECT row_number() OVER () AS r, id FROM (SELECT id FROM big1 ORDER BY n, id) b) d;
SELECT id, n FROM big8 ORDER BY n, id LIMIT 5;

-- Bounds.
ALTER SERVER emu_c OPTIONS (SET max_concurrent_requests '11');
ALTER FOREIGN TABLE big1 OPTIONS (SET max_concurrent_requests '0');
ALTER FOREIGN TABLE big1 OPTIONS (SET max_concurrent_requests 'many');

DROP SERVER emu_c CASCADE;
