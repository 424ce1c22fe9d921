-- Differential test of the read path: every query below runs once over the foreign tables
-- and once over local copies of the same data (CREATE TEMP TABLE l_x AS SELECT * FROM x), and
-- the two results must be the same multiset of rows (and the same sequence where the query
-- fixes an order). Whatever is pushed down to Kintone, exactly or as a superset re-checked
-- locally, must not change a result.
--
-- Each line printed is: query number | rows in the (local) result | ok, or what differs | query.
-- A query's text names tables as {x}name: {x} is '' for the foreign table and 'l_' for its
-- local copy (prepared statements likewise: {x}p_name).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

-- App 1: every field type, unicode, quotes, backslashes, tabs, newlines, a record of empties.
CREATE FOREIGN TABLE cust (
    id bigint OPTIONS (field_code '$id'),
    rev bigint OPTIONS (field_code '$revision'),
    record_no text OPTIONS (field_code 'レコード番号'),
    creator text OPTIONS (field_code '作成者'),
    modifier text OPTIONS (field_code '更新者'),
    created timestamptz OPTIONS (field_code '作成日時'),
    updated timestamptz OPTIONS (field_code '更新日時'),
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

-- App 2 (ORDERS): numbers, a CALC, a date, a datetime, a drop-down, a radio button.
CREATE FOREIGN TABLE ord (
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

-- App 100 (BIG, from test/emulator/make-regress-seed.py): 12,345 records; label cycles through
-- case variants, surrounding spaces, hostile strings and unicode; every field is sometimes empty.
CREATE FOREIGN TABLE big (
    id bigint OPTIONS (field_code '$id'),
    n numeric,
    label text,
    day date,
    kind text,
    at timestamptz,
    created timestamptz OPTIONS (field_code '作成日時'),
    updated timestamptz OPTIONS (field_code '更新日時'),
    creator text OPTIONS (field_code '作成者')
) SERVER emu OPTIONS (app '100');

-- The same app with the text column under a case-insensitive (nondeterministic) collation: SQL
-- equality is then broader than Kintone's.
CREATE COLLATION case_insensitive (provider = icu, locale = 'und-u-ks-level2', deterministic = false);
CREATE FOREIGN TABLE big_ci (
    id bigint OPTIONS (field_code '$id'),
    label text COLLATE case_insensitive,
    kind text COLLATE case_insensitive
) SERVER emu OPTIONS (app '100');

CREATE TEMP TABLE l_cust AS SELECT * FROM cust;
CREATE TEMP TABLE l_ord AS SELECT * FROM ord;
CREATE TEMP TABLE l_big AS SELECT * FROM big;
CREATE TEMP TABLE l_big_ci AS SELECT * FROM big_ci;
SELECT (SELECT count(*) FROM l_cust) AS cust, (SELECT count(*) FROM l_ord) AS ord,
       (SELECT count(*) FROM l_big) AS big, (SELECT count(DISTINCT id) FROM l_big) AS big_ids;

-- Local tables joined with the foreign ones (shared by both sides).
CREATE TEMP TABLE keys (k numeric, code text, d date);
INSERT INTO keys VALUES (3, 'C001', '2026-03-05'), (10, 'C022', '2026-04-07'), (NULL, NULL, NULL),
    (4, 'C999', '2020-01-14'), (-200, 'c001', '2020-01-01');
CREATE TEMP TABLE big_keys AS SELECT g AS id FROM generate_series(1, 12400, 617) g;

-- Runs qf and ql (CREATE TEMP TABLE … AS), compares the results as multisets and, when
-- ordered, as sequences; returns the local row count and 'ok' or what differs. An error of
-- either side is reported instead of aborting the test.
CREATE FUNCTION pg_temp.diff(q text, ordered bool, OUT nrows bigint, OUT result text) LANGUAGE plpgsql AS $$
DECLARE
    qf text := replace(q, '{x}', '');
    ql text := replace(q, '{x}', 'l_');
    missing bigint;
    extra bigint;
    seq_f text[];
    seq_l text[];
BEGIN
    BEGIN
        EXECUTE 'CREATE TEMP TABLE _rf AS ' || qf;
    EXCEPTION WHEN OTHERS THEN
        result := 'ERROR (foreign): ' || SQLERRM;
        RETURN;
    END;
    EXECUTE 'CREATE TEMP TABLE _rl AS ' || ql;
    SELECT count(*) INTO nrows FROM _rl;
    SELECT count(*) INTO missing FROM (SELECT * FROM _rl EXCEPT ALL SELECT * FROM _rf) d;
    SELECT count(*) INTO extra FROM (SELECT * FROM _rf EXCEPT ALL SELECT * FROM _rl) d;
    IF missing > 0 OR extra > 0 THEN
        result := format('MISMATCH: %s missing, %s extra', missing, extra);
    ELSIF ordered THEN
        SELECT array_agg(r::text ORDER BY r.ctid) INTO seq_f FROM _rf r;
        SELECT array_agg(r::text ORDER BY r.ctid) INTO seq_l FROM _rl r;
        result := CASE WHEN seq_f IS NOT DISTINCT FROM seq_l THEN 'ok' ELSE 'ORDER DIFFERS' END;
    ELSE
        result := 'ok';
    END IF;
    DROP TABLE _rf, _rl;
END;
$$;

-- The rows that differ, for diagnosing a MISMATCH line: SELECT * FROM pg_temp.show_diff('…');
CREATE FUNCTION pg_temp.show_diff(q text) RETURNS TABLE (side text, row_text text) LANGUAGE plpgsql AS $$
BEGIN
    RETURN QUERY EXECUTE format('SELECT ''only foreign'', r::text FROM ((%s) EXCEPT ALL (%s)) r UNION ALL '
                                'SELECT ''only local'', r::text FROM ((%s) EXCEPT ALL (%s)) r',
                                replace(q, '{x}', ''), replace(q, '{x}', 'l_'),
                                replace(q, '{x}', 'l_'), replace(q, '{x}', ''));
END;
$$;

CREATE TEMP TABLE queries (id serial, ordered bool NOT NULL DEFAULT false, q text NOT NULL);
INSERT INTO queries (q) VALUES
-- App 2: numbers (=, <>, <, <=, >, >=, IN, NOT IN, IS [NOT] NULL, BETWEEN, AND/OR/NOT)
($q$SELECT * FROM {x}ord$q$),
($q$SELECT id FROM {x}ord WHERE "数量" = 4$q$),
($q$SELECT id FROM {x}ord WHERE "数量" = 4.00$q$),
($q$SELECT id FROM {x}ord WHERE "数量" <> 4$q$),
($q$SELECT id FROM {x}ord WHERE "数量" < 5$q$),
($q$SELECT id FROM {x}ord WHERE "数量" <= 5$q$),
($q$SELECT id FROM {x}ord WHERE "数量" > 8$q$),
($q$SELECT id FROM {x}ord WHERE "数量" >= 8$q$),
($q$SELECT id FROM {x}ord WHERE 4.5 < "数量"$q$),
($q$SELECT id FROM {x}ord WHERE "数量" IN (3, 4, 100)$q$),
($q$SELECT id FROM {x}ord WHERE "数量" NOT IN (3, 4)$q$),
($q$SELECT id FROM {x}ord WHERE "数量" IN (4, NULL)$q$),
($q$SELECT id FROM {x}ord WHERE "数量" NOT IN (4, NULL)$q$),
($q$SELECT id FROM {x}ord WHERE "数量" IS NULL$q$),
($q$SELECT id FROM {x}ord WHERE "数量" IS NOT NULL$q$),
($q$SELECT id FROM {x}ord WHERE "数量" BETWEEN 3 AND 6$q$),
($q$SELECT id FROM {x}ord WHERE "数量" NOT BETWEEN 3 AND 6$q$),
($q$SELECT id FROM {x}ord WHERE "単価" > 5000 AND "数量" < 5 OR "数量" IS NULL$q$),
($q$SELECT id FROM {x}ord WHERE NOT ("数量" = 4 OR "単価" < 5000)$q$),
($q$SELECT id FROM {x}ord WHERE NOT ("数量" IS NULL) AND NOT ("数量" <> 7)$q$),
($q$SELECT id, "金額" FROM {x}ord WHERE "金額" >= 100000$q$),
($q$SELECT id FROM {x}ord WHERE "金額" = "数量" * "単価"$q$),
($q$SELECT id FROM {x}ord WHERE "金額" IS NULL OR "金額" < 10000$q$),
-- App 2: $id and $revision
($q$SELECT id FROM {x}ord WHERE id = 7$q$),
($q$SELECT id FROM {x}ord WHERE id IN (1, 2, 50, 51)$q$),
($q$SELECT id FROM {x}ord WHERE id NOT IN (1, 2, 50)$q$),
($q$SELECT id FROM {x}ord WHERE id > 45 OR id < 3$q$),
($q$SELECT id FROM {x}ord WHERE id BETWEEN 10 AND 12 AND rev = 1$q$),
-- App 2: dates and datetimes (seconds, time zones)
($q$SELECT id FROM {x}ord WHERE "受注日" = '2026-03-05'$q$),
($q$SELECT id FROM {x}ord WHERE "受注日" <> '2026-03-05'$q$),
($q$SELECT id FROM {x}ord WHERE "受注日" < '2026-02-01' OR "受注日" >= '2026-06-20'$q$),
($q$SELECT id FROM {x}ord WHERE "受注日" BETWEEN '2026-03-01' AND '2026-03-31'$q$),
($q$SELECT id FROM {x}ord WHERE "受注日" IS NULL OR "受注日" > '2026-06-01'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" = '2026-02-04 10:00:00+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" = '2026-02-04 01:00:00+00'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" = '2026-02-03 17:00:00-08'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" = '2026-02-04 10:00:30+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" <> '2026-02-04 10:00:00+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" <> '2026-02-04 10:00:30+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" >= '2026-04-08 12:00:30+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" > '2026-04-08 12:00:00+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" > '2026-04-08 11:59:59.999999+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" <= '2026-04-08 12:00:00+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" < '2026-04-08 12:00:30+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" <= '2026-04-08 11:59:30+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" BETWEEN '2026-03-01 00:00+09' AND '2026-03-31 23:59:59+09'$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" IS NULL$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" IS NOT NULL$q$),
($q$SELECT id FROM {x}ord WHERE "出荷日時" < now() - (now() - '2026-04-01 00:00+09') OR "出荷日時" IS NULL$q$),
-- App 2: radio button and drop-down, with values that are not options
($q$SELECT id FROM {x}ord WHERE "状態" = '出荷済'$q$),
($q$SELECT id FROM {x}ord WHERE "状態" <> 'キャンセル'$q$),
($q$SELECT id FROM {x}ord WHERE "状態" IN ('受付', '未知')$q$),
($q$SELECT id FROM {x}ord WHERE "状態" NOT IN ('受付', '未知')$q$),
($q$SELECT id FROM {x}ord WHERE "状態" = '未知'$q$),
($q$SELECT id FROM {x}ord WHERE "状態" <> '未知'$q$),
($q$SELECT id FROM {x}ord WHERE "状態" = '出荷済 '$q$),
($q$SELECT id FROM {x}ord WHERE "状態" = ''$q$),
($q$SELECT id FROM {x}ord WHERE "状態" IS NULL OR "状態" IS NOT NULL$q$),
($q$SELECT id FROM {x}ord WHERE "商品" = 'モニター' AND "状態" <> '受付'$q$),
($q$SELECT id FROM {x}ord WHERE "商品" NOT IN ('モニター', 'マウス', 'ペン')$q$),
($q$SELECT id FROM {x}ord WHERE NOT ("商品" = 'モニター' OR "状態" = '受付')$q$),
-- App 2: text equality, case and trailing spaces, hostile strings
($q$SELECT id FROM {x}ord WHERE "受注番号" = 'O-0003'$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" = 'o-0003'$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" = 'O-0003 '$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" IN ('O-0001', 'o-0002', 'O-0003 ', 'x" or $id > "0')$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" <> 'O-0003'$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" NOT IN ('O-0001', 'O-0002')$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" < 'O-0010'$q$),
($q$SELECT id FROM {x}ord WHERE "受注番号" = 'x" or $id > "0'$q$),
($q$SELECT id FROM {x}ord WHERE customer = 'C999' OR customer IS NULL$q$),
-- App 2: ORDER BY, LIMIT/OFFSET, count(*)
($q$SELECT count(*) FROM {x}ord$q$),
($q$SELECT count(*) FROM {x}ord WHERE "数量" >= 5$q$),
($q$SELECT count(*) FROM {x}ord WHERE "状態" <> 'キャンセル'$q$),
($q$SELECT count(*) FROM {x}ord WHERE "受注番号" = 'o-0003'$q$),
($q$SELECT count(*) FROM {x}ord WHERE "出荷日時" IS NULL$q$),
($q$SELECT count(*), sum("数量"), min("受注日"), max("出荷日時") FROM {x}ord WHERE "単価" > 3000$q$),
-- App 1: text, with quotes, backslashes, newlines, tabs, emoji, surrogates, accents
($q$SELECT * FROM {x}cust$q$),
($q$SELECT id FROM {x}cust WHERE company = '有限会社"引用"工業'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'バックスラッシュ\商会'$q$),
($q$SELECT id FROM {x}cust WHERE company = E'改行\n入り株式会社'$q$),
($q$SELECT id FROM {x}cust WHERE company = E'Tab\there Ltd'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'テスト😀株式会社'$q$),
($q$SELECT id FROM {x}cust WHERE company = '株式会社𠮷野家具'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'Café Résumé SARL'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'café résumé sarl'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'CAFÉ RÉSUMÉ SARL'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'Acme Corp. '$q$),
($q$SELECT id FROM {x}cust WHERE company = ' Acme Corp.'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'ACME CORP.'$q$),
($q$SELECT id FROM {x}cust WHERE company = 'x" or $id > "0'$q$),
($q$SELECT id FROM {x}cust WHERE company IN ('有限会社"引用"工業', 'バックスラッシュ\商会', E'改行\n入り株式会社', 'x\" or \\')$q$),
($q$SELECT id FROM {x}cust WHERE company <> '空っぽ'$q$),
($q$SELECT id FROM {x}cust WHERE company NOT IN ('空っぽ', 'Acme Corp.', '有限会社"引用"工業')$q$),
($q$SELECT id FROM {x}cust WHERE company IS NULL OR company = ''$q$),
($q$SELECT id FROM {x}cust WHERE code = 'C001' OR code = 'c002'$q$),
($q$SELECT id FROM {x}cust WHERE email IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE email IS NOT NULL AND email <> 'info1@example.com'$q$),
($q$SELECT id FROM {x}cust WHERE url = 'https://example.com/c/3?q=a&b=%20'$q$),
($q$SELECT id FROM {x}cust WHERE url IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE record_no = '5'$q$),
-- App 1: multi-line and rich text
($q$SELECT id FROM {x}cust WHERE note IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE note IS NOT NULL$q$),
($q$SELECT id FROM {x}cust WHERE note = '短いメモ 2'$q$),
($q$SELECT id FROM {x}cust WHERE note LIKE E'%\\\\ バックスラッシュ%'$q$),
($q$SELECT id FROM {x}cust WHERE detail IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE detail IS NOT NULL AND note IS NULL$q$),
-- App 1: numbers and CALC (negatives, decimals, zero, empties)
($q$SELECT id FROM {x}cust WHERE employees = 0$q$),
($q$SELECT id FROM {x}cust WHERE employees <> 0$q$),
($q$SELECT id FROM {x}cust WHERE employees IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE employees > 100 AND employees <= 1500$q$),
($q$SELECT id FROM {x}cust WHERE employees IN (0, 45)$q$),
($q$SELECT id FROM {x}cust WHERE employees NOT IN (0, 45)$q$),
($q$SELECT id FROM {x}cust WHERE sales < 0$q$),
($q$SELECT id FROM {x}cust WHERE sales = 0.001$q$),
($q$SELECT id FROM {x}cust WHERE sales = 2500.50$q$),
($q$SELECT id FROM {x}cust WHERE sales >= 99999999999$q$),
($q$SELECT id FROM {x}cust WHERE sales BETWEEN -300 AND 0$q$),
($q$SELECT id FROM {x}cust WHERE per_head > 10$q$),
($q$SELECT id FROM {x}cust WHERE per_head IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE per_head < 0 OR per_head IS NULL$q$),
-- App 1: check box, multi-select (text[]) and user selections
($q$SELECT id FROM {x}cust WHERE tags = '{}'$q$),
($q$SELECT id FROM {x}cust WHERE 'VIP' = ANY (tags)$q$),
($q$SELECT id FROM {x}cust WHERE tags @> '{VIP}'$q$),
($q$SELECT id FROM {x}cust WHERE tags && '{休眠,新規}'$q$),
($q$SELECT id FROM {x}cust WHERE NOT ('VIP' = ANY (tags))$q$),
($q$SELECT id FROM {x}cust WHERE cardinality(languages) = 0 OR languages @> '{English}'$q$),
($q$SELECT id FROM {x}cust WHERE owner_codes @> '{john}'$q$),
($q$SELECT id FROM {x}cust WHERE owners = '[]'$q$),
($q$SELECT id FROM {x}cust WHERE owners @> '[{"code": "john"}]'$q$),
($q$SELECT id, jsonb_array_length(contacts) FROM {x}cust WHERE jsonb_array_length(contacts) > 1$q$),
($q$SELECT id FROM {x}cust WHERE company_json = '"Acme Corp."'$q$),
-- App 1: radio button and drop-down
($q$SELECT id FROM {x}cust WHERE rank = 'A'$q$),
($q$SELECT id FROM {x}cust WHERE rank <> 'A'$q$),
($q$SELECT id FROM {x}cust WHERE rank = 'a'$q$),
($q$SELECT id FROM {x}cust WHERE rank IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE rank IS NOT NULL$q$),
($q$SELECT id FROM {x}cust WHERE rank IN ('A', 'Z')$q$),
($q$SELECT id FROM {x}cust WHERE rank NOT IN ('A', 'Z')$q$),
($q$SELECT id FROM {x}cust WHERE rank <> 'Z'$q$),
($q$SELECT id FROM {x}cust WHERE industry = 'IT'$q$),
($q$SELECT id FROM {x}cust WHERE industry = 'it'$q$),
($q$SELECT id FROM {x}cust WHERE industry <> 'IT'$q$),
($q$SELECT id FROM {x}cust WHERE industry IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE industry IS NOT NULL$q$),
($q$SELECT id FROM {x}cust WHERE industry NOT IN ('IT', '小売')$q$),
($q$SELECT id FROM {x}cust WHERE industry IN ('IT', '未知', '')$q$),
($q$SELECT id FROM {x}cust WHERE NOT (industry IN ('IT', '小売') OR rank IS NULL)$q$),
($q$SELECT id FROM {x}cust WHERE (rank = 'A' OR industry = 'IT') AND employees > 0$q$),
-- App 1: date, time, datetime, created/updated time, creator/modifier
($q$SELECT id FROM {x}cust WHERE contract = '2025-06-04'$q$),
($q$SELECT id FROM {x}cust WHERE contract <> '2025-06-04'$q$),
($q$SELECT id FROM {x}cust WHERE contract < '2025-05-01'$q$),
($q$SELECT id FROM {x}cust WHERE contract >= '2025-10-01'$q$),
($q$SELECT id FROM {x}cust WHERE contract IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE contract IS NOT NULL$q$),
($q$SELECT id FROM {x}cust WHERE contract NOT BETWEEN '2025-03-01' AND '2025-09-30'$q$),
($q$SELECT id FROM {x}cust WHERE call_time = '09:15'$q$),
($q$SELECT id FROM {x}cust WHERE call_time IS NULL OR call_time > '15:00'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit = '2026-02-02 14:13:00+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit = '2026-02-02 05:13:00Z'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit = '2026-02-02 14:13:30+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit > '2026-02-02 14:13:30+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit >= '2026-02-02 14:13:00+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit < '2026-04-05 00:39:00+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit <= '2026-04-05 00:39:59+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit <> '2026-04-05 00:39:00+09'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE last_visit IS NOT NULL$q$),
($q$SELECT id FROM {x}cust WHERE last_visit BETWEEN '2026-03-01 00:00:00-10' AND '2026-06-30 23:59:59.5+14'$q$),
($q$SELECT id FROM {x}cust WHERE created > '2025-06-01'$q$),
($q$SELECT id FROM {x}cust WHERE created = '2025-02-02 10:07:00+09'$q$),
($q$SELECT id FROM {x}cust WHERE created IS NULL$q$),
($q$SELECT id FROM {x}cust WHERE updated < '2026-03-01 00:00:45+09' AND created >= '2025-01-01'$q$),
($q$SELECT id FROM {x}cust WHERE creator = 'sato'$q$),
($q$SELECT id FROM {x}cust WHERE creator = 'SATO'$q$),
($q$SELECT id FROM {x}cust WHERE creator <> 'sato'$q$),
($q$SELECT id FROM {x}cust WHERE creator IN ('sato', 'john', 'nobody')$q$),
($q$SELECT id FROM {x}cust WHERE modifier NOT IN ('sato', 'nobody')$q$),
-- App 1: ORDER BY with LIMIT/OFFSET (exact orders), count(*)
($q$SELECT count(*) FROM {x}cust$q$),
($q$SELECT count(*) FROM {x}cust WHERE rank IS NULL$q$),
($q$SELECT count(*) FROM {x}cust WHERE company = 'café résumé sarl'$q$),
($q$SELECT count(*) FROM {x}cust WHERE last_visit > '2026-02-02 14:13:30+09'$q$),
-- App 100: text variants (case, spaces, full width, hostile strings, unicode, empty)
($q$SELECT id FROM {x}big WHERE label = 'item'$q$),
($q$SELECT id FROM {x}big WHERE label = 'Item'$q$),
($q$SELECT id FROM {x}big WHERE label = 'ITEM'$q$),
($q$SELECT id FROM {x}big WHERE label = 'item '$q$),
($q$SELECT id FROM {x}big WHERE label = ' item'$q$),
($q$SELECT id FROM {x}big WHERE label = 'Ｉｔｅｍ'$q$),
($q$SELECT id FROM {x}big WHERE label = 'ｉｔｅｍ'$q$),
($q$SELECT id FROM {x}big WHERE label = 'x" or $id > "0'$q$),
($q$SELECT id FROM {x}big WHERE label = 'back\slash'$q$),
($q$SELECT id FROM {x}big WHERE label = E'line\nbreak'$q$),
($q$SELECT id FROM {x}big WHERE label = 'アイテム😀'$q$),
($q$SELECT id FROM {x}big WHERE label = 'it''em'$q$),
($q$SELECT id FROM {x}big WHERE label IN ('item', 'x" or $id > "0', 'back\slash', 'item-00099')$q$),
($q$SELECT id FROM {x}big WHERE label IS NULL$q$),
($q$SELECT count(*) FROM {x}big WHERE label IS NOT NULL$q$),
($q$SELECT count(*) FROM {x}big WHERE label <> 'item'$q$),
($q$SELECT count(*) FROM {x}big WHERE label NOT IN ('item', 'Item', ' item')$q$),
($q$SELECT count(*) FROM {x}big WHERE label = 'item'$q$),
-- App 100: numbers, dates, drop-down, datetime
($q$SELECT id FROM {x}big WHERE n = -200$q$),
($q$SELECT id FROM {x}big WHERE n = 0 OR n = 0.5$q$),
($q$SELECT id FROM {x}big WHERE n < -195$q$),
($q$SELECT id FROM {x}big WHERE n >= 795.5$q$),
($q$SELECT id FROM {x}big WHERE n IS NULL$q$),
($q$SELECT count(*) FROM {x}big WHERE n <> 5$q$),
($q$SELECT id FROM {x}big WHERE n IN (1, 2.5, 3) AND id < 5000$q$),
($q$SELECT id FROM {x}big WHERE n BETWEEN 0 AND 1 AND kind = 'beta'$q$),
($q$SELECT id FROM {x}big WHERE day = '2020-01-14'$q$),
($q$SELECT id FROM {x}big WHERE day < '2020-01-10' OR day IS NULL$q$),
($q$SELECT count(*) FROM {x}big WHERE day BETWEEN '2021-01-01' AND '2021-03-31'$q$),
($q$SELECT count(*) FROM {x}big WHERE kind = 'δέλτα'$q$),
($q$SELECT count(*) FROM {x}big WHERE kind <> 'alpha'$q$),
($q$SELECT id FROM {x}big WHERE kind IS NULL$q$),
($q$SELECT count(*) FROM {x}big WHERE kind IN ('beta', 'zeta')$q$),
($q$SELECT count(*) FROM {x}big WHERE kind NOT IN ('beta', 'zeta')$q$),
($q$SELECT id FROM {x}big WHERE kind = 'Alpha'$q$),
($q$SELECT id FROM {x}big WHERE at = '2025-01-01 09:07:00+09'$q$),
($q$SELECT id FROM {x}big WHERE at >= '2025-03-01 12:34:56+09' AND at < '2025-03-02 00:00:00+09'$q$),
($q$SELECT id FROM {x}big WHERE at <= '2025-01-01 00:30:00Z' OR at IS NULL$q$),
($q$SELECT count(*) FROM {x}big WHERE at BETWEEN '2025-02-01' AND '2025-02-01 23:59:59.999'$q$),
($q$SELECT count(*) FROM {x}big WHERE created >= '2024-01-03 00:00:00Z'$q$),
($q$SELECT count(*) AS c, sum(n) AS s, min(id) AS lo, max(id) AS hi, count(DISTINCT id) AS ids FROM {x}big$q$),
-- Joins with local tables and between foreign tables
($q$SELECT k.k, o.id FROM keys k JOIN {x}ord o ON o."数量" = k.k$q$),
($q$SELECT k.code, c.id FROM keys k JOIN {x}cust c ON c.code = k.code$q$),
($q$SELECT k.d, o.id FROM keys k LEFT JOIN {x}ord o ON o."受注日" = k.d$q$),
($q$SELECT k.k, b.id FROM keys k JOIN {x}big b ON b.n = k.k$q$),
($q$SELECT b.id, b.label FROM big_keys k JOIN {x}big b USING (id)$q$),
($q$SELECT id FROM {x}big WHERE id IN (SELECT id FROM big_keys)$q$),
($q$SELECT c.id AS c, o.id AS o FROM {x}cust c JOIN {x}ord o ON o.customer = c.code WHERE c.rank = 'A'$q$),
($q$SELECT k.k, (SELECT count(*) FROM {x}ord o WHERE o."数量" = k.k) FROM keys k$q$),
($q$SELECT id FROM {x}cust c WHERE NOT EXISTS (SELECT FROM {x}ord o WHERE o.customer = c.code)$q$),
-- Rescans of a scan that a LIMIT ended early (nested loop inner side, correlated subqueries)
($q$SELECT k.kind, x.id FROM (VALUES ('alpha'), ('beta'), ('gamma')) k(kind) CROSS JOIN LATERAL (SELECT id FROM {x}big b WHERE b.kind = k.kind ORDER BY id LIMIT 140) x$q$),
($q$SELECT k.kind, x.id FROM (VALUES ('alpha'), ('beta'), ('gamma'), ('δέλτα')) k(kind) CROSS JOIN LATERAL (SELECT id FROM {x}big b WHERE b.kind = k.kind ORDER BY id LIMIT 3 OFFSET 600) x$q$),
($q$SELECT k.k, (SELECT id FROM {x}big b WHERE b.n > k.k * 100 AND b.label LIKE 'item-%' ORDER BY id LIMIT 1 OFFSET 400) FROM generate_series(1, 7) k(k)$q$),
($q$SELECT k.k, (SELECT max(id) FROM (SELECT id FROM {x}big b WHERE b.n < k.k ORDER BY id LIMIT 600) s) FROM generate_series(-150, 0, 50) k(k)$q$),
($q$SELECT c.id AS c, (SELECT o.id FROM {x}ord o WHERE o."受注番号" LIKE 'O-00%' AND o.customer = c.code LIMIT 1) AS o FROM {x}cust c$q$),
-- Constants of other types, non-finite and extreme values, control characters
($q$SELECT id FROM {x}cust WHERE contract < '2025-05-01 12:00'::timestamp$q$),
($q$SELECT id FROM {x}cust WHERE contract = '2025-06-04 00:00'::timestamptz$q$),
($q$SELECT id FROM {x}cust WHERE last_visit >= '2026-03-01'::date$q$),
($q$SELECT id FROM {x}cust WHERE last_visit < '2026-04-05 00:39'::timestamp$q$),
($q$SELECT id FROM {x}cust WHERE last_visit > '1999-12-31 23:59:30Z' AND last_visit < 'infinity'$q$),
($q$SELECT id FROM {x}cust WHERE last_visit > '-infinity'$q$),
($q$SELECT id FROM {x}cust WHERE contract >= '0001-01-01' AND contract < '9999-12-31'$q$),
($q$SELECT id FROM {x}cust WHERE contract > '-infinity' AND contract <> 'infinity'$q$),
($q$SELECT id FROM {x}cust WHERE contract < '10000-01-01'$q$),
($q$SELECT id FROM {x}cust WHERE contract < current_date - (current_date - '2025-07-01'::date) AND last_visit < now() + interval '100 years'$q$),
($q$SELECT id FROM {x}cust WHERE contract > '2025-06-01'::timestamptz::date AND NOT (contract >= '2025-10-01'::date + 1)$q$),
($q$SELECT id FROM {x}ord WHERE "数量" < 'NaN'::numeric$q$),
($q$SELECT id FROM {x}ord WHERE "数量" <> 'NaN'::numeric$q$),
($q$SELECT id FROM {x}ord WHERE "数量" > '-Infinity'::numeric AND "数量" < 'Infinity'::numeric$q$),
($q$SELECT id FROM {x}ord WHERE "数量" IN (4, 'NaN')$q$),
($q$SELECT id FROM {x}cust WHERE sales < 1e-5 AND sales > -1e30$q$),
($q$SELECT id FROM {x}cust WHERE sales = 99999999999.000$q$),
($q$SELECT id FROM {x}cust WHERE employees::int = 45$q$),
($q$SELECT id FROM {x}ord WHERE "数量" = 4::int2 OR "数量" = 7::int8$q$),
($q$SELECT id FROM {x}ord WHERE id = 7.0$q$),
($q$SELECT id FROM {x}ord WHERE id = ANY ('{}'::bigint[])$q$),
($q$SELECT id FROM {x}ord WHERE id <> ALL ('{}'::bigint[])$q$),
($q$SELECT id FROM {x}ord WHERE NOT (id IN (1, NULL))$q$),
($q$SELECT id FROM {x}ord WHERE NOT (id NOT IN (1, 2, NULL))$q$),
($q$SELECT id FROM {x}ord WHERE id < 9223372036854775807 AND id > -9223372036854775807$q$),
($q$SELECT id FROM {x}big WHERE label = E'a\rb' OR label = E'tab\there' OR label = E'bell\x07'$q$),
($q$SELECT id FROM {x}big WHERE label IN (E'line\nbreak', E'cr\r', '\', '"', '\"', '""')$q$),
($q$SELECT id FROM {x}big WHERE label = 'item'::varchar$q$),
($q$SELECT id FROM {x}big WHERE label::varchar(4) = 'item'$q$),
($q$SELECT id FROM {x}big WHERE label = 'item'::char(5)$q$),
($q$SELECT id FROM {x}big WHERE lower(label) = 'item'$q$),
($q$SELECT id FROM {x}big WHERE label = 'item' COLLATE "C"$q$),
($q$SELECT id FROM {x}big WHERE label = 'item' COLLATE case_insensitive$q$),
($q$SELECT id FROM {x}big WHERE label <> 'item' COLLATE case_insensitive AND id < 200$q$),
($q$SELECT id FROM {x}big WHERE label COLLATE case_insensitive IN ('item', 'back\slash')$q$),
($q$SELECT id FROM {x}big_ci WHERE label = 'item'$q$),
($q$SELECT id FROM {x}big_ci WHERE label IN ('ITEM', 'x" or $id > "0')$q$),
($q$SELECT id FROM {x}big_ci WHERE kind = 'ALPHA'$q$),
($q$SELECT id FROM {x}big_ci WHERE kind IN ('Beta', 'gamma')$q$),
($q$SELECT count(*) FROM {x}big_ci WHERE label = 'item'$q$),
($q$SELECT count(*) FROM {x}big_ci WHERE label NOT IN ('item') AND kind <> 'ALPHA'$q$),
-- Aggregates and windows that are not a plain count(*)
($q$SELECT count(*) FROM {x}ord HAVING count(*) > 100$q$),
($q$SELECT count(*) FROM {x}ord GROUP BY ()$q$),
($q$SELECT count(*) FROM {x}ord OFFSET 1$q$),
($q$SELECT count(*) + 1 FROM {x}ord WHERE "数量" > 5$q$),
($q$SELECT count(*) AS a, count(*) AS b FROM {x}ord$q$),
($q$SELECT count(*) FILTER (WHERE "数量" > 5) AS c FROM {x}ord$q$),
($q$SELECT count(id) AS c, count("出荷日時") AS d FROM {x}ord$q$),
($q$SELECT count(DISTINCT "数量") FROM {x}ord WHERE id < 40$q$),
($q$SELECT "状態", count(*) FROM {x}ord GROUP BY "状態"$q$),
($q$SELECT count(*) FROM (SELECT 1 FROM {x}ord LIMIT 3) s$q$),
($q$SELECT count(*) FROM {x}ord WHERE id < 0$q$),
($q$SELECT count(*) FROM {x}big WHERE kind = 'beta' AND n IS NOT NULL AND day >= '2021-01-01'$q$),
($q$SELECT kind, count(*), min(id), max(id) FROM {x}big GROUP BY kind$q$),
($q$SELECT DISTINCT kind FROM {x}big$q$);

INSERT INTO queries (ordered, q) VALUES
(true, $q$SELECT id FROM {x}ord ORDER BY id LIMIT 5 OFFSET 3$q$),
(true, $q$SELECT id FROM {x}ord ORDER BY id DESC LIMIT 3$q$),
(true, $q$SELECT id, "数量" FROM {x}ord WHERE "数量" > 5 ORDER BY id LIMIT 4 OFFSET 2$q$),
(true, $q$SELECT id, "数量" FROM {x}ord ORDER BY "数量" NULLS FIRST, id LIMIT 5$q$),
(true, $q$SELECT id FROM {x}ord WHERE "受注番号" = 'o-0003' OR "受注番号" = 'O-0004' ORDER BY id LIMIT 1$q$),
(true, $q$SELECT id FROM {x}ord WHERE "状態" <> 'キャンセル' ORDER BY id LIMIT 3 OFFSET 1$q$),
(true, $q$SELECT id FROM {x}ord ORDER BY id LIMIT 0$q$),
(true, $q$SELECT id FROM {x}ord ORDER BY id OFFSET 48$q$),
(true, $q$SELECT id FROM {x}ord ORDER BY id LIMIT ALL OFFSET 47$q$),
(true, $q$SELECT id FROM {x}ord ORDER BY id LIMIT NULL$q$),
(true, $q$SELECT id, created FROM {x}cust ORDER BY created DESC, id LIMIT 7$q$),
(true, $q$SELECT id, updated FROM {x}cust ORDER BY updated, id LIMIT 5 OFFSET 20$q$),
(true, $q$SELECT id FROM {x}cust WHERE last_visit IS NOT NULL ORDER BY id DESC LIMIT 5 OFFSET 2$q$),
(true, $q$SELECT id FROM {x}cust ORDER BY last_visit NULLS LAST, id LIMIT 4$q$),
(true, $q$SELECT id FROM {x}big ORDER BY id LIMIT 10 OFFSET 11000$q$),
(true, $q$SELECT id FROM {x}big ORDER BY id DESC LIMIT 5$q$),
(true, $q$SELECT id FROM {x}big WHERE n > 790 ORDER BY id DESC LIMIT 5 OFFSET 40$q$),
(true, $q$SELECT id, created FROM {x}big ORDER BY created, id LIMIT 20$q$),
(true, $q$SELECT id, updated FROM {x}big ORDER BY updated DESC, id DESC LIMIT 10$q$),
(true, $q$SELECT id, created FROM {x}big WHERE kind = 'beta' ORDER BY created, id LIMIT 30 OFFSET 2990$q$),
(true, $q$SELECT id, created FROM {x}big WHERE n < -150 ORDER BY created DESC, id$q$),
(true, $q$SELECT id FROM {x}big WHERE label = 'ITEM' ORDER BY id LIMIT 3$q$),
(true, $q$SELECT id FROM {x}big ORDER BY id LIMIT 10 OFFSET 10000$q$),
(true, $q$SELECT id FROM {x}big ORDER BY id LIMIT 600 OFFSET 9900$q$),
(true, $q$SELECT id FROM {x}big ORDER BY id DESC LIMIT 20 OFFSET 10000$q$),
(true, $q$SELECT id FROM {x}big ORDER BY id DESC LIMIT 20 OFFSET 10001$q$),
(true, $q$SELECT id, created FROM {x}big ORDER BY created, id LIMIT 501 OFFSET 9500$q$),
(true, $q$SELECT id, created FROM {x}big ORDER BY created, id LIMIT 600 OFFSET 9600$q$),
(true, $q$SELECT id, created FROM {x}big ORDER BY created DESC, id DESC LIMIT 7 OFFSET 12340$q$),
(true, $q$SELECT id FROM {x}big WHERE n > 0 ORDER BY id LIMIT 5 OFFSET 6000$q$),
(true, $q$SELECT id FROM {x}ord ORDER BY id FETCH FIRST 3 ROWS WITH TIES$q$),
(true, $q$SELECT id, "出荷日時" FROM {x}ord ORDER BY "出荷日時" DESC NULLS FIRST, id LIMIT 12$q$),
(true, $q$SELECT DISTINCT created FROM {x}big ORDER BY created LIMIT 5$q$),
(true, $q$SELECT id, row_number() OVER (ORDER BY id DESC) FROM {x}ord ORDER BY id LIMIT 5$q$),
(true, $q$SELECT * FROM (SELECT id FROM {x}ord ORDER BY id DESC LIMIT 10) s ORDER BY id LIMIT 3$q$),
(true, $q$SELECT id FROM {x}cust ORDER BY created, id LIMIT 3 OFFSET 0$q$),
(true, $q$SELECT id, updated FROM {x}cust WHERE rank = 'A' ORDER BY updated DESC LIMIT 4$q$);

\pset format unaligned
SELECT q.id, d.nrows AS rows, d.result, q.q AS query
  FROM queries q CROSS JOIN LATERAL pg_temp.diff(q.q, q.ordered) d ORDER BY q.id;

-- Prepared statements with generic plans: parameters (NULL too) evaluated at execution time.
SET plan_cache_mode = force_generic_plan;
PREPARE p_qty(numeric) AS SELECT id FROM ord WHERE "数量" = $1;
PREPARE l_p_qty(numeric) AS SELECT id FROM l_ord WHERE "数量" = $1;
PREPARE p_qty_range(numeric, numeric) AS SELECT id FROM ord WHERE "数量" > $1 AND "数量" <= $2;
PREPARE l_p_qty_range(numeric, numeric) AS SELECT id FROM l_ord WHERE "数量" > $1 AND "数量" <= $2;
PREPARE p_label(text) AS SELECT id FROM big WHERE label = $1;
PREPARE l_p_label(text) AS SELECT id FROM l_big WHERE label = $1;
PREPARE p_label_ne(text) AS SELECT count(*) FROM big WHERE label <> $1;
PREPARE l_p_label_ne(text) AS SELECT count(*) FROM l_big WHERE label <> $1;
PREPARE p_rank(text) AS SELECT id FROM cust WHERE rank = $1;
PREPARE l_p_rank(text) AS SELECT id FROM l_cust WHERE rank = $1;
PREPARE p_visit(timestamptz) AS SELECT id FROM cust WHERE last_visit >= $1;
PREPARE l_p_visit(timestamptz) AS SELECT id FROM l_cust WHERE last_visit >= $1;
PREPARE p_visit_eq(timestamptz) AS SELECT id FROM cust WHERE last_visit = $1;
PREPARE l_p_visit_eq(timestamptz) AS SELECT id FROM l_cust WHERE last_visit = $1;
PREPARE p_day(date, date) AS SELECT count(*) FROM big WHERE day BETWEEN $1 AND $2;
PREPARE l_p_day(date, date) AS SELECT count(*) FROM l_big WHERE day BETWEEN $1 AND $2;
PREPARE p_ids(bigint[]) AS SELECT id FROM big WHERE id = ANY ($1);
PREPARE l_p_ids(bigint[]) AS SELECT id FROM l_big WHERE id = ANY ($1);
PREPARE p_id_lim(bigint, int) AS SELECT id FROM big WHERE id > $1 ORDER BY id LIMIT $2;
PREPARE l_p_id_lim(bigint, int) AS SELECT id FROM l_big WHERE id > $1 ORDER BY id LIMIT $2;
PREPARE p_now AS SELECT count(*) FROM cust WHERE created < now() - (now() - '2025-06-01 00:00+09') AND last_visit < now() + interval '10 years';
PREPARE l_p_now AS SELECT count(*) FROM l_cust WHERE created < now() - (now() - '2025-06-01 00:00+09') AND last_visit < now() + interval '10 years';
PREPARE p_company(text) AS SELECT id FROM cust WHERE company = $1 OR company = upper($1);
PREPARE l_p_company(text) AS SELECT id FROM l_cust WHERE company = $1 OR company = upper($1);

CREATE TEMP TABLE prepared (id serial, ordered bool NOT NULL DEFAULT false, q text NOT NULL);
INSERT INTO prepared (ordered, q) VALUES
(false, $q$EXECUTE {x}p_qty(7)$q$),
(false, $q$EXECUTE {x}p_qty(4.0)$q$),
(false, $q$EXECUTE {x}p_qty('NaN')$q$),
(false, $q$EXECUTE {x}p_qty('Infinity')$q$),
(false, $q$EXECUTE {x}p_qty(NULL)$q$),
(false, $q$EXECUTE {x}p_qty(7)$q$),
(false, $q$EXECUTE {x}p_qty_range(3, 7)$q$),
(false, $q$EXECUTE {x}p_qty_range(NULL, 7)$q$),
(false, $q$EXECUTE {x}p_label('item')$q$),
(false, $q$EXECUTE {x}p_label('ITEM')$q$),
(false, $q$EXECUTE {x}p_label('item ')$q$),
(false, $q$EXECUTE {x}p_label('x" or $id > "0')$q$),
(false, $q$EXECUTE {x}p_label(E'line\nbreak')$q$),
(false, $q$EXECUTE {x}p_label(E'bell\x07')$q$),
(false, $q$EXECUTE {x}p_label('')$q$),
(false, $q$EXECUTE {x}p_label(NULL)$q$),
(false, $q$EXECUTE {x}p_label_ne('item')$q$),
(false, $q$EXECUTE {x}p_label_ne(NULL)$q$),
(false, $q$EXECUTE {x}p_rank('A')$q$),
(false, $q$EXECUTE {x}p_rank('Z')$q$),
(false, $q$EXECUTE {x}p_rank(NULL)$q$),
(false, $q$EXECUTE {x}p_visit('2026-06-01 00:00:30+09')$q$),
(false, $q$EXECUTE {x}p_visit(NULL)$q$),
(false, $q$EXECUTE {x}p_visit_eq('2026-02-02 14:13:00+09')$q$),
(false, $q$EXECUTE {x}p_visit_eq('2026-02-02 14:13:01+09')$q$),
(false, $q$EXECUTE {x}p_visit_eq('infinity')$q$),
(false, $q$EXECUTE {x}p_day('2021-01-01', '2021-03-31')$q$),
(false, $q$EXECUTE {x}p_day('2021-01-01', NULL)$q$),
(false, $q$EXECUTE {x}p_day('-infinity', 'infinity')$q$),
(false, $q$EXECUTE {x}p_ids('{1, 617, 12345, 99999}')$q$),
(false, $q$EXECUTE {x}p_ids(NULL)$q$),
(true, $q$EXECUTE {x}p_id_lim(12000, 5)$q$),
(true, $q$EXECUTE {x}p_id_lim(NULL, 5)$q$),
(false, $q$EXECUTE {x}p_now$q$),
(false, $q$EXECUTE {x}p_company('Acme Corp.')$q$),
(false, $q$EXECUTE {x}p_company('acme corp.')$q$),
(false, $q$EXECUTE {x}p_company('有限会社"引用"工業')$q$);

SELECT p.id, d.nrows AS rows, d.result, p.q AS query
  FROM prepared p CROSS JOIN LATERAL pg_temp.diff(p.q, p.ordered) d ORDER BY p.id;
-- The generic plan holds Params, not values.
\pset format aligned
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE p_label('item');
RESET plan_cache_mode;

SELECT count(*) AS queries,
       count(*) FILTER (WHERE d.result <> 'ok') AS failing
  FROM (SELECT q, ordered FROM queries UNION ALL SELECT q, ordered FROM prepared) q
  CROSS JOIN LATERAL pg_temp.diff(q.q, q.ordered) d;

DROP SERVER emu CASCADE;
DROP TABLE l_big_ci;
DROP COLLATION case_insensitive;
