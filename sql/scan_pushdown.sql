-- WHERE clauses sent to Kintone, per field type: exact (no local filter), superset (a local
-- filter re-checks) or local, with plans pinned. The rules and the Kintone facts they rest on
-- are in docs/pushdown.md.
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

-- Numbers: a comparison 0 cannot satisfy is exact (not re-checked); one an empty value could
-- satisfy were Kintone to compare it as 0 (contract 11.17), and !=, keep a local filter.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" > 5 AND "単価" <= 30000;
SELECT id FROM orders WHERE "数量" > 5 AND "単価" <= 30000 ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" <> 4;
SELECT count(*) FROM orders WHERE "数量" <> 4;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" IN (3, 4) OR "数量" IS NULL;
SELECT id FROM orders WHERE "数量" IN (3, 4) OR "数量" IS NULL ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE NOT ("数量" < 5 OR "数量" > 8);
SELECT id FROM orders WHERE NOT ("数量" < 5 OR "数量" > 8) ORDER BY id;

-- Dates and datetimes: lower bounds are exact, upper bounds re-checked (an empty value might
-- compare as the earliest); DATETIME comparisons are written on whole-minute boundaries with
-- >= and < only, right whether or not Kintone keeps seconds it does not show.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注日" BETWEEN '2026-03-01' AND '2026-03-31';
SELECT id, "受注日" FROM orders WHERE "受注日" BETWEEN '2026-03-01' AND '2026-03-31' ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "出荷日時" >= '2026-04-08 12:00:30+09';
SELECT id, "出荷日時" FROM orders WHERE "出荷日時" >= '2026-04-08 12:00:30+09' ORDER BY id LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "出荷日時" = '2026-02-04 10:00:00+09';
SELECT id FROM orders WHERE "出荷日時" = '2026-02-04 10:00:00+09';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "出荷日時" IS NULL;
SELECT count(*) FROM orders WHERE "出荷日時" IS NULL;

-- Options (drop-down, radio button) go as "in"; a value that is not an option (Kintone refuses
-- it) keeps the condition local: it is never dropped from the list (scan_cache.sql).
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "状態" = '出荷済';
SELECT count(*) FROM orders WHERE "状態" = '出荷済';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "状態" IN ('出荷済', '未知');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "状態" = '未知';
SELECT count(*) FROM orders WHERE "状態" = '未知';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "状態" <> 'キャンセル';
SELECT count(*) FROM orders WHERE "状態" <> 'キャンセル';

-- Text equality is pushed and re-checked; LIKE stays local; hostile strings stay literals.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注番号" = 'O-0003';
SELECT id FROM orders WHERE "受注番号" = 'O-0003';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注番号" = 'x" or $id > "0';
SELECT id FROM orders WHERE "受注番号" = 'x" or $id > "0';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注番号" IN (E'a\\"b', E'line\nbreak');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注番号" = E'bell\x07';

-- App 1: every field type of the contract, with the natural PostgreSQL types.
CREATE FOREIGN TABLE customers (
    id bigint OPTIONS (field_code '$id'),
    record_no text OPTIONS (field_code 'レコード番号'),
    creator text OPTIONS (field_code '作成者'),
    created timestamptz OPTIONS (field_code '作成日時'),
    code text OPTIONS (field_code '顧客ID'),
    company text OPTIONS (field_code '会社名'),
    email text,
    url text,
    note text OPTIONS (field_code '備考'),
    detail text OPTIONS (field_code '詳細'),
    employees numeric OPTIONS (field_code '従業員数'),
    sales numeric OPTIONS (field_code '売上'),
    per_head numeric OPTIONS (field_code '一人当たり売上'),
    tags text[] OPTIONS (field_code 'タグ'),
    rank text OPTIONS (field_code 'ランク'),
    industry text OPTIONS (field_code '業種'),
    languages text[] OPTIONS (field_code '対応言語'),
    contract date OPTIONS (field_code '契約日'),
    call_time time OPTIONS (field_code '連絡時刻'),
    last_visit timestamptz OPTIONS (field_code '最終訪問'),
    owners jsonb OPTIONS (field_code '担当者'),
    owner_codes text[] OPTIONS (field_code '担当者'),
    orgs jsonb OPTIONS (field_code '部署'),
    groups jsonb OPTIONS (field_code 'グループ'),
    files jsonb OPTIONS (field_code '添付'),
    contacts jsonb OPTIONS (field_code '連絡先'),
    company_json jsonb OPTIONS (field_code '会社名')
) SERVER emu OPTIONS (app '1');

EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE industry IS NULL;
SELECT count(*) FROM customers WHERE industry IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE note IS NULL;
SELECT count(*) FROM customers WHERE note IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE creator = 'Administrator' AND created > '2000-01-01';
-- Multi-selections as text[]: "= ANY" and "&&" are Kintone's "in" (a value that is not an option
-- keeps the condition local).
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE 'VIP' = ANY (tags);
SELECT id, tags FROM customers WHERE 'VIP' = ANY (tags) ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE languages && ARRAY['English', '中文', 'Klingon'];
SELECT id, languages FROM customers WHERE languages && ARRAY['English', '中文', 'Klingon'] ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE NOT ('VIP' = ANY (tags));
SELECT count(*) FROM customers WHERE NOT ('VIP' = ANY (tags));
-- Issue 10: no assumption treated as a fact (contract §11 items 15-17); the rules are unit
-- tests too (test/unit/pushdown_test.cpp).
-- NUMBER IS NULL: `= ""` alone would miss empty values on a server that compares them as 0;
-- `= "" or = "0"` holds either way (a superset, re-checked).
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" IS NULL;
SELECT count(*) FROM orders WHERE "数量" IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" IS NOT NULL;
SELECT count(*) FROM orders WHERE "数量" IS NOT NULL;
-- Comparisons 0 satisfies are re-checked; those it cannot satisfy stay exact.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" < 4;
SELECT count(*) FROM orders WHERE "数量" < 4;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" >= 9;
SELECT count(*) FROM orders WHERE "数量" >= 9;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE employees IN (0, 50);
-- RADIO_BUTTON emptiness stays local (`in ("")` may be refused on radio buttons); DROP_DOWN's
-- is observed and stays exact.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE rank IS NULL;
SELECT count(*) FROM customers WHERE rank IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE rank IS NOT NULL AND industry IS NOT NULL;
SELECT count(*) FROM customers WHERE rank IS NOT NULL AND industry IS NOT NULL;
-- CREATED_TIME / UPDATED_TIME: on whole-minute boundaries with >= and < only, right whether
-- or not the server keeps seconds it does not show.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE created = '2025-03-03 11:14+09';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE created <= '2025-03-03 11:14+09';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE created > '2025-03-03 11:14+09';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE created <> '2025-03-03 11:14+09';
SELECT count(*) FILTER (WHERE created = '2025-03-03 11:14+09') AS eq,
       count(*) FILTER (WHERE created <= '2025-03-03 11:14+09') AS le,
       count(*) FILTER (WHERE created > '2025-03-03 11:14+09') AS gt
  FROM customers;
SELECT (SELECT count(*) FROM customers WHERE created = '2025-03-03 11:14+09') AS eq,
       (SELECT count(*) FROM customers WHERE created <= '2025-03-03 11:14+09') AS le,
       (SELECT count(*) FROM customers WHERE created > '2025-03-03 11:14+09') AS gt;
-- Ordering by a time: ties within a shown minute may be ordered by hidden seconds, so no key
-- after it is claimed (an Incremental Sort adds it) and LIMIT stays local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers ORDER BY created, id LIMIT 3;
SELECT id FROM customers ORDER BY created, id LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, created FROM customers ORDER BY created DESC LIMIT 2;

-- A scan that needs no column asks for $id only (it asked for every field).
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM orders WHERE random() < 2;
SELECT count(*) FROM orders WHERE random() < 2;
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT count(*) FROM orders WHERE random() < 2;

DROP SERVER emu CASCADE;
