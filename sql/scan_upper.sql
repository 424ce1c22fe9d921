-- What goes to Kintone above the scan: count(*) (totalCount), ORDER BY, LIMIT and OFFSET.
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

SELECT * FROM orders ORDER BY id LIMIT 5;
SELECT count(*), sum("数量"), min("受注日"), max("出荷日時") FROM orders;

-- count(*) is answered by totalCount, with or without a WHERE.
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM orders;
SELECT count(*) FROM orders;
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM orders WHERE "数量" >= 5;
SELECT count(*) FROM orders WHERE "数量" >= 5;
-- A filter Kintone cannot evaluate keeps count(*) local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM orders WHERE "受注番号" LIKE 'O-001%';
SELECT count(*) FROM orders WHERE "受注番号" LIKE 'O-001%';
-- ORDER BY $id and LIMIT/OFFSET go to Kintone when everything else did.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders ORDER BY id DESC LIMIT 3 OFFSET 2;
SELECT id FROM orders ORDER BY id DESC LIMIT 3 OFFSET 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" > 5 ORDER BY id LIMIT 2;
SELECT id FROM orders WHERE "数量" > 5 ORDER BY id LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注番号" = 'O-0003' LIMIT 1;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders ORDER BY "数量", id LIMIT 3;
SELECT id, "数量" FROM orders ORDER BY "数量" NULLS FIRST, id LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders ORDER BY id DESC;
SELECT id FROM orders ORDER BY id DESC LIMIT 3;
DROP SERVER emu CASCADE;
