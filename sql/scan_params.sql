-- Values known only at execution: parameters and stable expressions are evaluated when the
-- scan starts and plans are reusable; joins with local tables and rescans of the inner side.
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

-- Parameters and stable expressions are evaluated when the scan starts; plans are reusable.
SET plan_cache_mode = force_generic_plan;
PREPARE by_quantity(numeric) AS SELECT id FROM orders WHERE "数量" = $1 ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE by_quantity(7);
EXECUTE by_quantity(7);
EXECUTE by_quantity(4);
EXECUTE by_quantity(NULL);
PREPARE since(date) AS SELECT count(*) FROM orders WHERE "受注日" >= $1;
EXECUTE since('2026-06-01');
EXECUTE since('2026-01-01');
RESET plan_cache_mode;

-- A join with a local table, and a rescan on the inner side.
CREATE TEMP TABLE wanted (quantity numeric);
INSERT INTO wanted VALUES (3), (10);
SELECT w.quantity, o.id FROM wanted w JOIN orders o ON o."数量" = w.quantity ORDER BY 1, 2;
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SELECT w.quantity, count(o.id) FROM wanted w LEFT JOIN LATERAL
  (SELECT id FROM orders WHERE "数量" = w.quantity) o ON true GROUP BY 1 ORDER BY 1;
RESET enable_hashjoin;
RESET enable_mergejoin;
DROP SERVER emu CASCADE;
