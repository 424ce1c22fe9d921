-- Cursor cleanup: a scan whose order needs Kintone's cursor API deletes its cursor however it
-- ends (read completely, closed early, aborted by an error, cancelled by statement_timeout),
-- and rescans and re-executed prepared statements leave none behind. Checked through the
-- emulator's stats (live_cursors) on app 100 (BIG, 12,345 records, see
-- test/emulator/make-regress-seed.py).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

CREATE FOREIGN TABLE big (
    id bigint OPTIONS (field_code '$id'),
    n numeric,
    label text,
    kind text,
    created timestamptz OPTIONS (field_code '作成日時'),
    updated timestamptz OPTIONS (field_code '更新日時')
) SERVER emu OPTIONS (app '100');
-- The same app with n declared integer: records whose n has a fraction do not convert.
CREATE FOREIGN TABLE big_int (
    id bigint OPTIONS (field_code '$id'),
    n integer,
    created timestamptz OPTIONS (field_code '作成日時')
) SERVER emu OPTIONS (app '100');

-- Stats helpers (as in large.sql): \! eval "$STATS_RESET" zeroes the counters;
-- \! sh -c "$STATS" - EXPR… prints each assertion with "ok" (or FAILED and the stats);
-- \! eval "$FAULT" '{…}' adds a fault rule, \! eval "$FAULTS_CLEAR" removes them all.
\setenv STATS_CHECK 'import json, sys\ns = json.load(sys.stdin)\nr = s["requests"]\nv = dict(requests=s["requests_total"], records=sum(n for k, n in r.items() if k.endswith("/records.json")), cursor_posts=sum(n for k, n in r.items() if k.startswith("POST ") and k.endswith("/records/cursor.json")), cursor_gets=sum(n for k, n in r.items() if k.startswith("GET ") and k.endswith("/records/cursor.json")), cursor_deletes=sum(n for k, n in r.items() if k.startswith("DELETE ") and k.endswith("/records/cursor.json")), records_out=s["records_out"], live_cursors=s["live_cursors"])\nfor e in sys.argv[1:]:\n    print(e + ": " + ("ok" if eval(e, {}, v) else "FAILED " + json.dumps(v, sort_keys=True)))'
\setenv STATS_RESET 'curl -s -X POST "$KINTONE_EMULATOR_URL/_emulator/stats/reset" > /dev/null'
\setenv STATS 'curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c "$(printf "$STATS_CHECK")" "$@"'
\setenv FAULT 'curl -s -X POST -H "Content-Type: application/json" --data-binary'
\setenv FAULT_URL '"$KINTONE_EMULATOR_URL/_emulator/faults" > /dev/null'
\setenv FAULTS_CLEAR 'curl -s -X DELETE "$KINTONE_EMULATOR_URL/_emulator/faults" > /dev/null'

-- An order on CREATED_TIME without LIMIT needs the cursor API. (Without row estimates the
-- planner may find a local sort of the default 1000 rows cheaper: keep sorts off here.)
SET enable_sort = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, created FROM big ORDER BY created, id;
-- So does a LIMIT whose pages would go past the offset window (kept local).
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, created FROM big ORDER BY created, id LIMIT 5 OFFSET 10200;
\! eval "$STATS_RESET"

-- 1. Read completely, in the right order: Kintone deletes the finished cursor.
CREATE TEMP TABLE seq AS
  SELECT row_number() OVER () AS rn, id, created FROM (SELECT id, created FROM big ORDER BY created, id) s;
SELECT count(*) AS records, count(DISTINCT id) AS distinct_ids, sum(id) AS sum_ids,
       min(created) AS first_created, max(created) AS last_created
  FROM seq;
SELECT count(*) AS out_of_order FROM seq a JOIN seq b ON b.rn = a.rn + 1
 WHERE (b.created, b.id) <= (a.created, a.id);
SELECT rn, id, created FROM seq WHERE rn <= 3 OR rn > 12342 ORDER BY rn;
\! sh -c "$STATS" - 'cursor_posts == 1' 'cursor_gets == 25' 'records_out == 12345' 'live_cursors == 0'
\! eval "$STATS_RESET"

-- 2. Read partly through a SQL cursor, then closed: the Kintone cursor is deleted.
BEGIN;
DECLARE c CURSOR FOR SELECT id, created FROM big ORDER BY created, id;
FETCH 5 FROM c;
\! sh -c "$STATS" - 'cursor_posts == 1' 'live_cursors == 1'
CLOSE c;
\! sh -c "$STATS" - 'live_cursors == 0'
COMMIT;
-- … and the same when the transaction ends with the SQL cursor still open.
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM big ORDER BY updated DESC, id;
FETCH 2 FROM c;
ROLLBACK;
\! sh -c "$STATS" - 'cursor_posts == 2' 'live_cursors == 0'
\! eval "$STATS_RESET"

-- 3. Ended early by a LIMIT kept local.
SELECT id, created FROM big ORDER BY created, id LIMIT 5 OFFSET 10200;
\! sh -c "$STATS" - 'cursor_posts == 1' 'live_cursors == 0'
\! eval "$STATS_RESET"
SELECT id FROM big WHERE label = 'item' ORDER BY created DESC, id LIMIT 3;
\! sh -c "$STATS" - 'cursor_posts == 1' 'live_cursors == 0'
\! eval "$STATS_RESET"

-- 4. Aborted by a value that does not convert.
SELECT id, n, created FROM big_int ORDER BY created, id;
\! sh -c "$STATS" - 'cursor_posts == 1' 'live_cursors == 0'
\! eval "$STATS_RESET"

-- 5. Aborted by a Kintone error on the second page (a fault rule on the 2nd cursor GET).
\! eval "$FAULT" "'{\"match\": \"records/cursor\\\\.json\$\", \"method\": \"GET\", \"skip\": 1, \"status\": 400, \"code\": \"GAIA_XX99\"}'" "$FAULT_URL"
\set VERBOSITY terse
SELECT count(*) FROM (SELECT id FROM big ORDER BY created, id) s;
\set VERBOSITY default
\! eval "$FAULTS_CLEAR"
\! sh -c "$STATS" - 'cursor_posts == 1' 'cursor_gets == 2' 'live_cursors == 0'
\! eval "$STATS_RESET"
-- The same inside a subtransaction that is rolled back, the session going on.
BEGIN;
SAVEPOINT s;
\! eval "$FAULT" "'{\"match\": \"records/cursor\\\\.json\$\", \"method\": \"GET\", \"skip\": 3, \"status\": 400, \"code\": \"GAIA_XX99\"}'" "$FAULT_URL"
\set VERBOSITY terse
SELECT count(*) FROM (SELECT id FROM big ORDER BY updated, id) s;
\set VERBOSITY default
ROLLBACK TO SAVEPOINT s;
\! eval "$FAULTS_CLEAR"
\! sh -c "$STATS" - 'live_cursors == 0'
SELECT count(*) FROM (SELECT id FROM big ORDER BY updated, id) s;
COMMIT;
\! sh -c "$STATS" - 'cursor_posts == 2' 'live_cursors == 0'
\! eval "$STATS_RESET"

-- 6. Cancelled by statement_timeout while the second cursor GET is delayed. Once the delayed
-- request has ended, the cursor must be gone. (The emulator is then reset, so that a cursor
-- leaked here cannot disturb the following cases.)
\! eval "$FAULT" "'{\"match\": \"records/cursor\\\\.json\$\", \"method\": \"GET\", \"skip\": 1, \"count\": 1, \"delay_ms\": 3000}'" "$FAULT_URL"
SET statement_timeout = '500ms';
SELECT count(*) FROM (SELECT id FROM big ORDER BY created, id) s;
RESET statement_timeout;
\! for i in $(seq 1 100); do curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | grep -q '"in_flight": 0' && break; sleep 0.1; done
\! eval "$FAULTS_CLEAR"
\! sh -c "$STATS" - 'cursor_posts == 1' 'live_cursors == 0'
\! curl -s -X POST "$KINTONE_EMULATOR_URL/_emulator/reset" > /dev/null
\! eval "$STATS_RESET"
-- The session goes on normally.
SELECT id, created FROM big ORDER BY created, id LIMIT 2 OFFSET 10300;
\! sh -c "$STATS" - 'cursor_posts == 1' 'live_cursors == 0'
\! eval "$STATS_RESET"

-- 7. Rescans: the inner side of a nested loop, ended early by its LIMIT on each rescan.
SET enable_hashjoin = off;
SET enable_mergejoin = off;
CREATE TEMP TABLE kinds (kind text);
INSERT INTO kinds VALUES ('alpha'), ('beta'), ('gamma'), ('δέλτα');
EXPLAIN (VERBOSE, COSTS OFF)
SELECT k.kind, x.id FROM kinds k CROSS JOIN LATERAL
  (SELECT id FROM big b WHERE b.kind = k.kind ORDER BY created, id LIMIT 2) x;
SELECT k.kind, x.id, x.created FROM kinds k CROSS JOIN LATERAL
  (SELECT id, created FROM big b WHERE b.kind = k.kind ORDER BY created, id LIMIT 2) x ORDER BY 1, 3, 2;
\! sh -c "$STATS" - 'cursor_posts <= 4' 'live_cursors == 0'
\! eval "$STATS_RESET"
-- Each rescan now needs several pages.
SELECT k.kind, x.id, x.created FROM kinds k CROSS JOIN LATERAL
  (SELECT id, created FROM big b WHERE b.kind = k.kind ORDER BY created, id LIMIT 2 OFFSET 700) x ORDER BY 1, 3, 2;
\! sh -c "$STATS" - 'cursor_posts <= 4' 'live_cursors == 0'
\! eval "$STATS_RESET"
RESET enable_hashjoin;
RESET enable_mergejoin;

-- 8. A prepared statement with the cursor strategy, executed three times (generic plan).
SET plan_cache_mode = force_generic_plan;
PREPARE by_created(numeric) AS SELECT id, n, created FROM big WHERE n > $1 ORDER BY created, id LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_created(0);
EXECUTE by_created(0);
EXECUTE by_created(100);
EXECUTE by_created(NULL);
\! sh -c "$STATS" - 'cursor_posts == 3' 'live_cursors == 0'
RESET plan_cache_mode;
DEALLOCATE by_created;
\! eval "$STATS_RESET"

RESET enable_sort;
DROP SERVER emu CASCADE;
