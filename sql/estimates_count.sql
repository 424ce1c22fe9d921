-- Issue 14: row estimates without ANALYZE. A foreign table that was never analyzed is planned
-- with the app's record count, asked once per table and session (one records.json request with
-- totalCount) and cached like the app's form: dropped when the table, its server or the user
-- mapping changes. A count only steers plans: it never makes a result wrong.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_cnt FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_cnt OPTIONS (username 'Administrator', password 'admin-pass');
\set stats_reset '\\! test/emulator/emulator-ctl POST /_emulator/stats/reset > /dev/null'
-- The planner's row estimate of a query.
CREATE FUNCTION plan_rows(query text) RETURNS numeric LANGUAGE plpgsql AS $$
DECLARE plan json;
BEGIN
    EXECUTE 'EXPLAIN (FORMAT JSON) ' || query INTO plan;
    RETURN (plan -> 0 -> 'Plan' ->> 'Plan Rows')::numeric;
END $$;

-- App 100 has 12,345 records (25 pages), counted without ANALYZE. The local table has 5 rows,
-- but PostgreSQL assumes 10 pages of rows (some 1,270) for a local table never analyzed, and
-- autovacuum never analyzes 5 rows: 1,270 keys would cost more requests than reading the app, so
-- a hash join. Once the local table is analyzed, its 5 keys go to Kintone in one batched join —
-- the foreign table still unanalyzed, planned with the cached count.
CREATE FOREIGN TABLE big (id bigint OPTIONS (field_code '$id'), n numeric OPTIONS (field_type 'NUMBER'))
  SERVER emu_cnt OPTIONS (app '100');
CREATE TABLE few (n numeric PRIMARY KEY, label text);
INSERT INTO few VALUES (3, 'three'), (10, 'ten'), (11, 'eleven'), (12, 'twelve'), (13, 'thirteen');
SELECT relname, reltuples FROM pg_class WHERE relname IN ('big', 'few') ORDER BY 1;
:stats_reset
SELECT plan_rows('SELECT * FROM big');
EXPLAIN (COSTS OFF) SELECT f.label, b.id FROM few f JOIN big b ON b.n = f.n;
ANALYZE few;
EXPLAIN (COSTS OFF) SELECT f.label, b.id FROM few f JOIN big b ON b.n = f.n;
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT coalesce((:'stats'::jsonb -> 'requests' ->> 'GET /k/v1/records.json')::int, 0) AS count_requests;
SELECT f.label, count(*), min(b.id), max(b.id) FROM few f JOIN big b ON b.n = f.n GROUP BY 1 ORDER BY 1;

-- App 1 (customers) has 30 records: one request reads it whole, so with the local table
-- unanalyzed (assumed large) a hash join is as cheap; with the local table analyzed, its 5 keys
-- go to Kintone in one batched join (the demo analyzes its local table for this reason).
CREATE FOREIGN TABLE customers (
    id bigint OPTIONS (field_code '$id'),
    customer_id text OPTIONS (field_code '顧客ID'),
    company text OPTIONS (field_code '会社名')
) SERVER emu_cnt OPTIONS (app '1');
CREATE TABLE scores (customer_id text PRIMARY KEY, score int);
INSERT INTO scores VALUES ('C001', 90), ('C002', 75), ('C003', 60), ('C008', 88), ('C015', 70);
:stats_reset
SELECT plan_rows('SELECT * FROM customers');
EXPLAIN (COSTS OFF)
SELECT s.customer_id, s.score, c.company FROM scores s JOIN customers c ON c.customer_id = s.customer_id;
ANALYZE scores;
EXPLAIN (COSTS OFF)
SELECT s.customer_id, s.score, c.company FROM scores s JOIN customers c ON c.customer_id = s.customer_id;
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT coalesce((:'stats'::jsonb -> 'requests' ->> 'GET /k/v1/records.json')::int, 0) AS count_requests;
SELECT s.customer_id, s.score, c.company FROM scores s JOIN customers c ON c.customer_id = s.customer_id
 ORDER BY 1;

-- Cached: planning again asks nothing.
:stats_reset
SELECT plan_rows('SELECT * FROM customers');
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT coalesce((:'stats'::jsonb -> 'requests' ->> 'GET /k/v1/records.json')::int, 0) AS count_requests;
-- A change to the table drops the count: the next planning asks again.
ALTER FOREIGN TABLE customers OPTIONS (ADD join_batch_size '50');
:stats_reset
SELECT plan_rows('SELECT * FROM customers');
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT coalesce((:'stats'::jsonb -> 'requests' ->> 'GET /k/v1/records.json')::int, 0) AS count_requests;

-- ANALYZE's statistics take over: no count request.
ANALYZE customers;
:stats_reset
SELECT plan_rows('SELECT * FROM customers');
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT coalesce((:'stats'::jsonb -> 'requests' ->> 'GET /k/v1/records.json')::int, 0) AS count_requests;

-- An app that cannot be counted is planned with the default estimate; the query's own
-- request reports the error.
CREATE FOREIGN TABLE no_app (id bigint OPTIONS (field_code '$id')) SERVER emu_cnt OPTIONS (app '999');
SELECT plan_rows('SELECT * FROM no_app');
\set VERBOSITY terse
SELECT * FROM no_app;
\set VERBOSITY default

DROP FUNCTION plan_rows(text);
DROP TABLE scores, few;
DROP SERVER emu_cnt CASCADE;
