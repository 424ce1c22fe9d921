-- Reading Kintone apps: every field type, streaming scans, pushdown with plans pinned,
-- count(*), ORDER BY / LIMIT / OFFSET, parameters, joins, errors.
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

-- Numbers: exact comparisons are pushed and not re-checked; != keeps a local filter.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" > 5 AND "単価" <= 30000;
SELECT id FROM orders WHERE "数量" > 5 AND "単価" <= 30000 ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" <> 4;
SELECT count(*) FROM orders WHERE "数量" <> 4;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "数量" IN (3, 4) OR "数量" IS NULL;
SELECT id FROM orders WHERE "数量" IN (3, 4) OR "数量" IS NULL ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE NOT ("数量" < 5 OR "数量" > 8);
SELECT id FROM orders WHERE NOT ("数量" < 5 OR "数量" > 8) ORDER BY id;

-- Dates and datetimes (DATETIME comparisons are rounded to Kintone's whole minutes).
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "受注日" BETWEEN '2026-03-01' AND '2026-03-31';
SELECT id, "受注日" FROM orders WHERE "受注日" BETWEEN '2026-03-01' AND '2026-03-31' ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "出荷日時" >= '2026-04-08 12:00:30+09';
SELECT id, "出荷日時" FROM orders WHERE "出荷日時" >= '2026-04-08 12:00:30+09' ORDER BY id LIMIT 3;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "出荷日時" = '2026-02-04 10:00:00+09';
SELECT id FROM orders WHERE "出荷日時" = '2026-02-04 10:00:00+09';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM orders WHERE "出荷日時" IS NULL;
SELECT count(*) FROM orders WHERE "出荷日時" IS NULL;

-- Options (drop-down, radio button) go as "in"; values that are not options are dropped or
-- keep the condition local, since Kintone refuses unknown options.
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

SELECT id, record_no, code, company, employees, sales, per_head, tags, rank, industry, languages,
       contract, call_time, last_visit, owner_codes
  FROM customers ORDER BY id LIMIT 4;
SELECT id, email, url, note, detail FROM customers ORDER BY id LIMIT 3;
SELECT id, owners, orgs, groups, company_json FROM customers ORDER BY id LIMIT 2;
SELECT id, jsonb_array_length(contacts) AS contact_rows, contacts -> 0 -> 'value' -> '氏名' ->> 'value' AS first_contact
  FROM customers WHERE jsonb_array_length(contacts) > 0 ORDER BY id LIMIT 3;
SELECT id, files FROM customers WHERE jsonb_array_length(files) > 0 ORDER BY id LIMIT 1;
-- Empty values: NULL for scalars, '{}' for multi-selections, '[]' for jsonb.
SELECT count(*) FILTER (WHERE company IS NULL) AS null_company,
       count(*) FILTER (WHERE tags = '{}') AS empty_tags,
       count(*) FILTER (WHERE owners = '[]') AS empty_owners,
       count(*) FILTER (WHERE contract IS NULL) AS null_contract,
       count(*) FILTER (WHERE industry IS NULL) AS null_industry
  FROM customers;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE industry IS NULL;
SELECT count(*) FROM customers WHERE industry IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE note IS NULL;
SELECT count(*) FROM customers WHERE note IS NULL;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE creator = 'Administrator' AND created > '2000-01-01';
-- Multi-selections as text[]: "= ANY" and "&&" are Kintone's "in" (values that are not options dropped).
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE 'VIP' = ANY (tags);
SELECT id, tags FROM customers WHERE 'VIP' = ANY (tags) ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE languages && ARRAY['English', '中文', 'Klingon'];
SELECT id, languages FROM customers WHERE languages && ARRAY['English', '中文', 'Klingon'] ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM customers WHERE NOT ('VIP' = ANY (tags));
SELECT count(*) FROM customers WHERE NOT ('VIP' = ANY (tags));

-- Dates, times and timestamps convert exactly as their input functions would.
CREATE FOREIGN TABLE conv_orders (
    d date OPTIONS (field_code '受注日'), d_text text OPTIONS (field_code '受注日'),
    t timestamptz OPTIONS (field_code '出荷日時'), t_text text OPTIONS (field_code '出荷日時'),
    c timestamptz OPTIONS (field_code '作成日時'), c_text text OPTIONS (field_code '作成日時'),
    q numeric OPTIONS (field_code '数量'), q_text text OPTIONS (field_code '数量'),
    a numeric OPTIONS (field_code '金額'), a_text text OPTIONS (field_code '金額')
) SERVER emu OPTIONS (app '2');
SELECT count(*) AS rows, count(*) FILTER (WHERE d IS DISTINCT FROM d_text::date
                                   OR t IS DISTINCT FROM t_text::timestamptz
                                   OR c IS DISTINCT FROM c_text::timestamptz
                                   OR q::text IS DISTINCT FROM q_text::numeric::text
                                   OR a::text IS DISTINCT FROM a_text::numeric::text) AS mismatches
  FROM conv_orders;
CREATE FOREIGN TABLE conv_customers (
    tm time OPTIONS (field_code '連絡時刻'), tm_text text OPTIONS (field_code '連絡時刻'),
    v timestamptz OPTIONS (field_code '最終訪問'), v_text text OPTIONS (field_code '最終訪問'),
    d date OPTIONS (field_code '契約日'), d_text text OPTIONS (field_code '契約日'),
    s numeric OPTIONS (field_code '売上'), s_text text OPTIONS (field_code '売上'),
    e numeric OPTIONS (field_code '従業員数'), e_text text OPTIONS (field_code '従業員数')
) SERVER emu OPTIONS (app '1');
SELECT count(*) AS rows, count(*) FILTER (WHERE tm IS DISTINCT FROM tm_text::time
                                   OR v IS DISTINCT FROM v_text::timestamptz
                                   OR d IS DISTINCT FROM d_text::date
                                   OR s::text IS DISTINCT FROM s_text::numeric::text
                                   OR e::text IS DISTINCT FROM e_text::numeric::text) AS mismatches
  FROM conv_customers;

-- A value that does not convert names the column and the record.
CREATE FOREIGN TABLE bad_types (id bigint OPTIONS (field_code '$id'), company integer OPTIONS (field_code '会社名'))
  SERVER emu OPTIONS (app '1');
SELECT * FROM bad_types ORDER BY id LIMIT 1;

-- Kintone errors carry the code, the message and the request id (shown here without the id).
\set VERBOSITY terse
CREATE FOREIGN TABLE no_app (id bigint OPTIONS (field_code '$id')) SERVER emu OPTIONS (app '999');
SELECT * FROM no_app;
CREATE FOREIGN TABLE guest_wrong_path (id bigint OPTIONS (field_code '$id')) SERVER emu OPTIONS (app '3');
SELECT * FROM guest_wrong_path;
\set VERBOSITY default
CREATE FOREIGN TABLE guest_deals (id bigint OPTIONS (field_code '$id'), name text OPTIONS (field_code '案件名'))
  SERVER emu OPTIONS (app '3', guest_space_id '2');
SELECT * FROM guest_deals ORDER BY id LIMIT 2;

-- API tokens: a token of another app is refused with Kintone's code.
CREATE SERVER emu_token FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_token OPTIONS (api_token 'app2viewtoken');
CREATE FOREIGN TABLE orders_by_token (id bigint OPTIONS (field_code '$id'), n numeric OPTIONS (field_code '数量', field_type 'NUMBER'))
  SERVER emu_token OPTIONS (app '2');
SELECT count(*) FROM orders_by_token WHERE n > 5;
CREATE FOREIGN TABLE customers_by_token (id bigint OPTIONS (field_code '$id')) SERVER emu_token OPTIONS (app '1');
\set VERBOSITY terse
SELECT * FROM customers_by_token;
\set VERBOSITY default

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

DROP SERVER emu, emu_token CASCADE;
