-- ANALYZE samples the app; use_remote_estimate asks Kintone for a count when planning; with
-- statistics a join of a few local keys with a large app becomes a parameterized nested loop.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

-- App 2 (ORDERS): declared by hand, field types from the form (read once per session).
CREATE FOREIGN TABLE orders (
    id bigint OPTIONS (field_code '$id'),
    rev bigint OPTIONS (field_code '$revision'),
    "受注番号" text,
    customer text OPTIONS (field_code '顧客ID'),
    "商品" text,
    "数量" numeric,
    "単価" numeric,
    "金額" numeric,
    "受注日" date,
    "出荷日時" timestamptz,
    "状態" text
) SERVER emu OPTIONS (app '2');

-- ANALYZE samples the app; use_remote_estimate asks Kintone for a count when planning.
ANALYZE orders;
SELECT reltuples FROM pg_class WHERE relname = 'orders';
SELECT attname, null_frac, n_distinct FROM pg_stats
 WHERE tablename = 'orders' AND attname IN ('状態', '数量', '出荷日時') ORDER BY attname COLLATE "C";
EXPLAIN SELECT id FROM orders WHERE "状態" = '出荷済';
-- With statistics, a join of a few local keys with a large app becomes a nested loop whose
-- inner side asks Kintone only for each outer key's records (a parameterized scan); a NULL key
-- matches nothing and is not sent as a condition that matches everything.
-- (join_batch_size 0: the batched join, which would send the keys in one request, is tested
-- in join.sql.)
CREATE FOREIGN TABLE big_numbers (id bigint OPTIONS (field_code '$id'), n numeric OPTIONS (field_type 'NUMBER'))
  SERVER emu OPTIONS (app '100', join_batch_size '0');
ANALYZE big_numbers;
CREATE TEMP TABLE few (n numeric, label text);
INSERT INTO few VALUES (3, 'three'), (10, 'ten'), (NULL, 'none');
ANALYZE few;
EXPLAIN (VERBOSE, COSTS OFF) SELECT f.label, b.id FROM few f JOIN big_numbers b ON b.n = f.n;
SELECT f.label, count(*), min(b.id), max(b.id) FROM few f JOIN big_numbers b ON b.n = f.n GROUP BY 1 ORDER BY 1;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT f.label, b.id FROM few f JOIN big_numbers b ON b.n = f.n;
ALTER FOREIGN TABLE orders OPTIONS (ADD use_remote_estimate 'true');
EXPLAIN SELECT id FROM orders WHERE "数量" > 5;
EXPLAIN SELECT id FROM orders WHERE "数量" > 5 AND "受注番号" LIKE 'O-00%';
DROP SERVER emu CASCADE;
