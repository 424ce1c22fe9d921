-- Reading every Kintone field type: values, empty values and conversions as the columns'
-- input functions would make them; a value that does not convert names its column and record.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

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
DROP SERVER emu CASCADE;
