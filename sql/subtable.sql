-- Subtables as tables: IMPORT FOREIGN SCHEMA makes a table of each SUBTABLE field's rows (the
-- parent's $id, the row id, its position, the inner fields); a hand-written one works through
-- the table option subtable. Conditions on the parent $id go to Kintone exactly; positive
-- conditions on inner fields go as a superset (Kintone matches a record when one of its rows
-- matches) and are re-checked on every row; reading the rows costs the requests of reading
-- the records. Writing rows: sql/subtable_write.sql. App 95 (LINES: sample app 6's form and
-- records) of the regress seed is read here before sql/subtable_write.sql writes it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_st FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_st OPTIONS (username 'yamada', password 'yamada-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA st;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records\\" in k or \\"form\\" in k or \\"fields\\" in k))"'

IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_st INTO st OPTIONS (apps '95');
\det+ st.*
\d+ st.lines_明細

-- Every row of every record, with the parent's id and the row's position; no row for the
-- record without rows (6).
SELECT "$id", "$row_index", 品目, 数量, 単価, 小計, 仕様書 IS NOT NULL AS has_file
  FROM st.lines_明細 ORDER BY "$id", "$row_index";
-- Row ids are unique across the app.
SELECT count(*) AS rows, count(DISTINCT "$row_id") AS distinct_ids FROM st.lines_明細;

-- Reading the rows costs the requests of reading the records: one page here.
:stats_reset
SELECT count(*) FROM st.lines_明細;
:stats

-- Conditions: the parent's $id exactly; inner fields as a superset, re-checked (Filter).
EXPLAIN (VERBOSE, COSTS OFF) SELECT 品目 FROM st.lines_明細 WHERE "$id" = 2;
SELECT "$row_index", 品目 FROM st.lines_明細 WHERE "$id" = 2 ORDER BY 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "$id", 品目 FROM st.lines_明細 WHERE 品目 = 'マウス';
SELECT "$id", "$row_index", 品目 FROM st.lines_明細 WHERE 品目 = 'マウス' ORDER BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT "$id", 品目 FROM st.lines_明細 WHERE 数量 >= 5 AND 品目 IN ('モニター', 'マウス');
SELECT "$id", 品目, 数量 FROM st.lines_明細 WHERE 数量 >= 5 AND 品目 IN ('モニター', 'マウス') ORDER BY 1, 2;
-- Negative conditions are not sent (Kintone would keep only records all of whose rows match).
EXPLAIN (VERBOSE, COSTS OFF) SELECT "$id", 品目 FROM st.lines_明細 WHERE 品目 <> 'マウス';
SELECT count(*) FROM st.lines_明細 WHERE 品目 <> 'マウス';
SELECT count(*) FROM st.lines_明細 WHERE 品目 NOT IN ('マウス', 'モニター');
-- The row pseudo columns stay local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT 品目 FROM st.lines_明細 WHERE "$row_index" = 1;
SELECT "$id", 品目 FROM st.lines_明細 WHERE "$row_index" = 1 ORDER BY 1;
-- The same answers as over a local copy.
CREATE TEMP TABLE local_rows AS SELECT * FROM st.lines_明細;
SELECT (SELECT count(*) FROM st.lines_明細 WHERE 数量 > 2 OR 品目 LIKE 'USB%') AS remote,
       (SELECT count(*) FROM local_rows WHERE 数量 > 2 OR 品目 LIKE 'USB%') AS local;
SELECT (SELECT count(*) FROM st.lines_明細 WHERE 数量 < 3 AND "$id" IN (1, 2, 8)) AS remote,
       (SELECT count(*) FROM local_rows WHERE 数量 < 3 AND "$id" IN (1, 2, 8)) AS local;

-- LIMIT, ORDER BY and count(*) count rows, so they are not sent to Kintone (which counts records).
EXPLAIN (VERBOSE, COSTS OFF) SELECT 品目 FROM st.lines_明細 ORDER BY "$id" LIMIT 4;
SELECT "$id", 品目 FROM st.lines_明細 ORDER BY "$id", "$row_index" LIMIT 4;

-- A report joined with the parent records and a local table.
CREATE TEMP TABLE products (name text PRIMARY KEY, category text);
INSERT INTO products VALUES ('ノートPC', 'PC'), ('モニター', 'PC'), ('マウス', 'accessory'),
  ('キーボード', 'accessory'), ('USBケーブル', 'accessory'), ('ドッキングステーション', 'PC');
SELECT o.伝票番号, p.category, sum(l.小計) AS amount
  FROM st.lines o JOIN st.lines_明細 l ON l."$id" = o."$id" JOIN products p ON p.name = l.品目
  WHERE o."顧客ID" = 'C001'
  GROUP BY 1, 2 ORDER BY 1, 2;
-- The rows of some records: by the parent's $id, a parameterized or batched scan of the rows
-- (with the one-scan join switched off: sql/subtable_join.sql).
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET kintone_fdw.enable_join_pushdown = off;
EXPLAIN (COSTS OFF) SELECT o.伝票番号, l.品目 FROM st.lines o JOIN st.lines_明細 l ON l."$id" = o."$id"
  WHERE o.伝票番号 IN ('Q-1002', 'Q-1005');
SELECT o.伝票番号, l.品目 FROM st.lines o JOIN st.lines_明細 l ON l."$id" = o."$id"
  WHERE o.伝票番号 IN ('Q-1002', 'Q-1005') ORDER BY 1, 2;
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET kintone_fdw.enable_join_pushdown;

-- A hand-written table of rows: any subset of the columns, any names.
CREATE FOREIGN TABLE st.lines_by_hand (
  order_id bigint OPTIONS (field_code '$id'),
  line int OPTIONS (field_code '$row_index'),
  item text OPTIONS (field_code '品目'),
  qty numeric OPTIONS (field_code '数量')
) SERVER emu_st OPTIONS (app '95', subtable '明細');
SELECT * FROM st.lines_by_hand WHERE order_id = 5 OR item = 'ドッキングステーション' ORDER BY 1, 2;

-- Errors.
CREATE FOREIGN TABLE st.bad_table (id bigint OPTIONS (field_code '$id'), x text OPTIONS (field_code '備考'))
  SERVER emu_st OPTIONS (app '95', subtable '備考');
SELECT * FROM st.bad_table;
CREATE FOREIGN TABLE st.bad_inner (id bigint OPTIONS (field_code '$id'), x text OPTIONS (field_code '備考'))
  SERVER emu_st OPTIONS (app '95', subtable '明細');
SELECT * FROM st.bad_inner;
CREATE FOREIGN TABLE st.bad_rev (rev bigint OPTIONS (field_code '$revision'))
  SERVER emu_st OPTIONS (app '95', subtable '明細');
SELECT * FROM st.bad_rev;
CREATE FOREIGN TABLE st.bad_empty (id bigint) SERVER emu_st OPTIONS (app '95', subtable '');
DROP SCHEMA st CASCADE;
DROP SERVER emu_st CASCADE;
