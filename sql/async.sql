-- Asynchronous execution (issue 9 item 3, docs/async.md): Kintone scans under an Append
-- (UNION ALL, a partitioned table whose partitions are apps, inheritance) wait for Kintone side
-- by side. Results are compared with local copies; the overlap is the emulator's max_concurrent
-- (a count of requests in flight at once, never a time).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER asy FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER asy OPTIONS (username 'Administrator', password 'admin-pass');
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA asy;
-- Three apps of the regress seed with a customer id: customers (1), orders (2), inquiries (4).
CREATE FOREIGN TABLE asy.customers (id bigint OPTIONS (field_code '$id'), customer text OPTIONS (field_code '顧客ID'),
                                    created timestamptz OPTIONS (field_code '作成日時')) SERVER asy OPTIONS (app '1');
CREATE FOREIGN TABLE asy.orders (id bigint OPTIONS (field_code '$id'), customer text OPTIONS (field_code '顧客ID'),
                                 created timestamptz OPTIONS (field_code '作成日時')) SERVER asy OPTIONS (app '2');
CREATE FOREIGN TABLE asy.inquiries (id bigint OPTIONS (field_code '$id'), customer text OPTIONS (field_code '顧客ID'),
                                    created timestamptz OPTIONS (field_code '作成日時')) SERVER asy OPTIONS (app '4');
CREATE TEMP TABLE l_customers AS SELECT * FROM asy.customers;
CREATE TEMP TABLE l_orders AS SELECT * FROM asy.orders;
CREATE TEMP TABLE l_inquiries AS SELECT * FROM asy.inquiries;
SELECT (SELECT count(*) FROM l_customers) AS customers, (SELECT count(*) FROM l_orders) AS orders,
       (SELECT count(*) FROM l_inquiries) AS inquiries;

-- Stats helpers: \! eval "$STATS_RESET" zeroes the counters; \! sh -c "$STATS" - EXPR… prints
-- each assertion with "ok" (or FAILED and the stats); \! eval "$WAIT_IDLE" waits until no
-- request is in flight at the emulator.
\setenv STATS_CHECK 'import json, sys\ns = json.load(sys.stdin)\nr = s["requests"]\nv = dict(requests=s["requests_total"], records=sum(n for k, n in r.items() if k.endswith("/records.json")), max_concurrent=s["max_concurrent"], in_flight=s["in_flight"], live_cursors=s["live_cursors"])\nfor e in sys.argv[1:]:\n    print(e + ": " + ("ok" if eval(e, {}, v) else "FAILED " + json.dumps(v, sort_keys=True)))'
\setenv STATS_RESET 'curl -s -X POST "$KINTONE_EMULATOR_URL/_emulator/stats/reset" > /dev/null'
\setenv STATS 'curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c "$(printf "$STATS_CHECK")" "$@"'
\setenv WAIT_IDLE 'for i in $(seq 1 200); do curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | grep -q "\"in_flight\": 0" && break; sleep 0.1; done'
\setenv FAULT 'curl -s -X POST -H "Content-Type: application/json" --data-binary'
\setenv FAULT_URL '"$KINTONE_EMULATOR_URL/_emulator/faults" > /dev/null'
\setenv FAULTS_CLEAR 'curl -s -X DELETE "$KINTONE_EMULATOR_URL/_emulator/faults" > /dev/null'

-- 1. UNION ALL of three apps: each scan is an Async Foreign Scan (async_capable defaults to on).
CREATE VIEW asy.everything AS
  SELECT 'c' AS src, * FROM asy.customers UNION ALL SELECT 'o', * FROM asy.orders
  UNION ALL SELECT 'i', * FROM asy.inquiries;
CREATE TEMP VIEW l_everything AS
  SELECT 'c' AS src, * FROM l_customers UNION ALL SELECT 'o', * FROM l_orders
  UNION ALL SELECT 'i', * FROM l_inquiries;
EXPLAIN (COSTS OFF) SELECT * FROM asy.everything;
-- The same rows as the local copies (in both directions, duplicates counted).
SELECT count(*) AS rows, (SELECT count(*) FROM (SELECT * FROM asy.everything EXCEPT ALL SELECT * FROM l_everything) d) AS extra,
       (SELECT count(*) FROM (SELECT * FROM l_everything EXCEPT ALL SELECT * FROM asy.everything) d) AS missing
  FROM asy.everything;
SELECT src, count(*), min(customer), max(created) FROM asy.everything GROUP BY src ORDER BY src;
-- Local conditions and joins above the Append; a condition pushed into each app.
SELECT src, id, customer FROM asy.everything WHERE customer = 'C003' ORDER BY src, id;
SELECT e.src, count(*) FROM asy.everything e JOIN l_customers c USING (customer) WHERE c.id <= 5 GROUP BY e.src ORDER BY 1;
-- With a latency, the three apps' first pages are in flight at once; each app then reads its
-- slices concurrently (max_concurrent_requests, default 8), all three together never more than
-- the setting: the backend's requests in flight are shared by its scans.
\! test/emulator/emulator-ctl POST /_emulator/config '{"latency_ms": 300}' > /dev/null
\! eval "$STATS_RESET"
SELECT count(*) FROM asy.everything;
\! sh -c "$STATS" - 'records == 3' '3 <= max_concurrent <= 8' 'in_flight == 0'

-- 2. A partitioned table whose partitions are apps (by creation date: the apps' dates do not
-- overlap).
CREATE TABLE asy.by_year (id bigint, customer text, created timestamptz) PARTITION BY RANGE (created);
CREATE FOREIGN TABLE asy.y2025 PARTITION OF asy.by_year FOR VALUES FROM ('2025-01-01') TO ('2026-01-01')
  SERVER asy OPTIONS (app '1');
CREATE FOREIGN TABLE asy.y2026a PARTITION OF asy.by_year FOR VALUES FROM ('2026-01-01') TO ('2026-03-01')
  SERVER asy OPTIONS (app '2');
CREATE FOREIGN TABLE asy.y2026b PARTITION OF asy.by_year FOR VALUES FROM ('2026-03-01') TO ('2027-01-01')
  SERVER asy OPTIONS (app '4');
ALTER FOREIGN TABLE asy.y2025 ALTER COLUMN id OPTIONS (field_code '$id'), ALTER COLUMN customer OPTIONS (field_code '顧客ID'),
  ALTER COLUMN created OPTIONS (field_code '作成日時');
ALTER FOREIGN TABLE asy.y2026a ALTER COLUMN id OPTIONS (field_code '$id'), ALTER COLUMN customer OPTIONS (field_code '顧客ID'),
  ALTER COLUMN created OPTIONS (field_code '作成日時');
ALTER FOREIGN TABLE asy.y2026b ALTER COLUMN id OPTIONS (field_code '$id'), ALTER COLUMN customer OPTIONS (field_code '顧客ID'),
  ALTER COLUMN created OPTIONS (field_code '作成日時');
EXPLAIN (COSTS OFF) SELECT * FROM asy.by_year;
\! eval "$STATS_RESET"
SELECT count(*) AS rows,
       (SELECT count(*) FROM (SELECT * FROM asy.by_year EXCEPT ALL
                              SELECT id, customer, created FROM l_everything) d) AS extra,
       (SELECT count(*) FROM (SELECT id, customer, created FROM l_everything EXCEPT ALL
                              SELECT * FROM asy.by_year) d) AS missing
  FROM asy.by_year;
\! sh -c "$STATS" - '3 <= max_concurrent <= 8' 'in_flight == 0'
-- Pruned to two partitions: still an async Append; pruned to one: no Append.
EXPLAIN (COSTS OFF) SELECT * FROM asy.by_year WHERE created >= '2026-01-01';
SELECT count(*), min(created), max(created) FROM asy.by_year WHERE created >= '2026-01-01';
EXPLAIN (COSTS OFF) SELECT * FROM asy.by_year WHERE created < '2026-01-01';

-- 3. Inheritance: a local parent with a row of its own, and two apps as children.
CREATE TABLE asy.parent (id bigint, customer text, created timestamptz);
INSERT INTO asy.parent VALUES (0, 'LOCAL', '2020-01-01');
CREATE FOREIGN TABLE asy.child_orders () INHERITS (asy.parent) SERVER asy OPTIONS (app '2');
CREATE FOREIGN TABLE asy.child_inquiries () INHERITS (asy.parent) SERVER asy OPTIONS (app '4');
ALTER FOREIGN TABLE asy.child_orders ALTER COLUMN id OPTIONS (field_code '$id'),
  ALTER COLUMN customer OPTIONS (field_code '顧客ID'), ALTER COLUMN created OPTIONS (field_code '作成日時');
ALTER FOREIGN TABLE asy.child_inquiries ALTER COLUMN id OPTIONS (field_code '$id'),
  ALTER COLUMN customer OPTIONS (field_code '顧客ID'), ALTER COLUMN created OPTIONS (field_code '作成日時');
EXPLAIN (COSTS OFF) SELECT * FROM asy.parent;
\! eval "$STATS_RESET"
SELECT count(*) AS rows,
       (SELECT count(*) FROM (SELECT * FROM asy.parent EXCEPT ALL
                              (SELECT 0, 'LOCAL', '2020-01-01'::timestamptz UNION ALL SELECT * FROM l_orders
                               UNION ALL SELECT * FROM l_inquiries)) d) AS extra
  FROM asy.parent;
\! sh -c "$STATS" - 'max_concurrent == 2' 'in_flight == 0'
\! test/emulator/emulator-ctl POST /_emulator/config '{"latency_ms": 0}' > /dev/null

-- 4. Faults in one app's scan: a 429 and a dropped connection are retried to the same rows; an
-- error Kintone means ends the statement with Kintone's error, and no request stays behind.
\! eval "$FAULT" "'{\"match\": \"records\\\\.json\$\", \"method\": \"GET\", \"skip\": 1, \"count\": 1, \"code\": \"GAIA_TO04\"}'" "$FAULT_URL"
\! eval "$FAULT" "'{\"match\": \"records\\\\.json\$\", \"method\": \"GET\", \"skip\": 1, \"count\": 1, \"drop_connection\": true}'" "$FAULT_URL"
SELECT count(*) AS rows, (SELECT count(*) FROM (SELECT * FROM asy.everything EXCEPT ALL SELECT * FROM l_everything) d) AS extra,
       (SELECT count(*) FROM (SELECT * FROM l_everything EXCEPT ALL SELECT * FROM asy.everything) d) AS missing
  FROM asy.everything;
\! eval "$FAULTS_CLEAR"
\! eval "$FAULT" "'{\"match\": \"records\\\\.json\$\", \"method\": \"GET\", \"skip\": 1, \"count\": 1, \"code\": \"CB_NO02\"}'" "$FAULT_URL"
\set VERBOSITY terse
-- Which app's request is refused depends on which arrives second: the message names it, masked here.
DO $$ BEGIN PERFORM count(*) FROM asy.everything; EXCEPTION WHEN OTHERS THEN RAISE NOTICE '%', regexp_replace(SQLERRM, 'app [0-9]+ of foreign table "[^"]+"', 'app N of foreign table T'); END $$;
\set VERBOSITY default
\! eval "$FAULTS_CLEAR"
\! eval "$WAIT_IDLE"
\! sh -c "$STATS" - 'in_flight == 0' 'live_cursors == 0'
-- The next statement reads normally.
SELECT count(*) FROM asy.everything;

-- 5. A cancel (statement_timeout) while every app's first page is delayed: the statement ends
-- before Kintone answers (the three requests are still in flight at the emulator then), and
-- nothing is sent afterwards.
\! eval "$STATS_RESET"
\! eval "$FAULT" "'{\"match\": \"records\\\\.json\$\", \"method\": \"GET\", \"delay_ms\": 5000}'" "$FAULT_URL"
SET statement_timeout = '500ms';
SELECT count(*) FROM asy.everything;
RESET statement_timeout;
\! sh -c "$STATS" - 'in_flight == 3'
\! eval "$FAULTS_CLEAR"
\! eval "$WAIT_IDLE"
\! sh -c "$STATS" - 'records == 3' 'in_flight == 0' 'live_cursors == 0'
SELECT count(*) FROM asy.everything;

-- 6. async_capable false (server, or table) gives the synchronous plan; the table's option
-- overrides the server's.
ALTER SERVER asy OPTIONS (ADD async_capable 'false');
EXPLAIN (COSTS OFF) SELECT * FROM asy.everything;
ALTER FOREIGN TABLE asy.orders OPTIONS (ADD async_capable 'true');
EXPLAIN (COSTS OFF) SELECT * FROM asy.everything;
ALTER FOREIGN TABLE asy.orders OPTIONS (DROP async_capable);
-- (A warm-up first: the ALTER dropped the table's cached record count, which planning asks for
-- once, see docs/estimates.md; that request must not be counted below.)
SELECT count(*) > 0 AS warm FROM asy.everything;
\! test/emulator/emulator-ctl POST /_emulator/config '{"latency_ms": 300}' > /dev/null
\! eval "$STATS_RESET"
SELECT count(*) FROM asy.everything;
\! sh -c "$STATS" - 'records == 3' 'max_concurrent == 1'
\! test/emulator/emulator-ctl POST /_emulator/config '{"latency_ms": 0}' > /dev/null
ALTER SERVER asy OPTIONS (SET async_capable 'on');
ALTER SERVER asy OPTIONS (SET async_capable 'maybe');
ALTER SERVER asy OPTIONS (DROP async_capable);
-- PostgreSQL's own switch turns it off too.
SET enable_async_append = off;
EXPLAIN (COSTS OFF) SELECT * FROM asy.everything;
RESET enable_async_append;

DROP SCHEMA asy CASCADE;
DROP SERVER asy CASCADE;
