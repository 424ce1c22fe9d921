-- Upsert by key: the table option upsert_key makes INSERT and COPY update the record holding
-- each key and add the others (Kintone's PUT records.json with upsert). 2,000 records per
-- request, sent when every key of the statement is checked: a NULL or repeated key is an error
-- before anything is sent; the NOTICE and EXPLAIN ANALYZE say how many records were inserted
-- and updated. App 94 (UPSERTS) of the regress seed is used only by this file.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_up FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_up OPTIONS (username 'yamada', password 'yamada-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA up;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_up INTO up OPTIONS (apps '94');
-- The same app twice: upserting by the text key and by the number key.
CREATE FOREIGN TABLE up.by_code (id bigint OPTIONS (field_code '$id'), rev bigint OPTIONS (field_code '$revision'),
  code text, num numeric, title text, n numeric, day date, tags text[])
  SERVER emu_up OPTIONS (app '94', upsert_key 'code');
CREATE FOREIGN TABLE up.by_num (id bigint OPTIONS (field_code '$id'), code text, num numeric, title text, n numeric)
  SERVER emu_up OPTIONS (app '94', upsert_key 'num');
-- Runs a statement and re-raises its error with the SQLSTATE in front and without Kintone's
-- random request id, so that the expected output is stable.
CREATE FUNCTION try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RAISE EXCEPTION USING ERRCODE = s, MESSAGE = '[' || s || '] ' || m,
    DETAIL = regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
END $$;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records.json\\" in k or \\"bulk\\" in k))"'

SELECT id, rev, code, num, title, n FROM up.by_code ORDER BY id;

-- EXPLAIN names the key and the batching; nothing is sent.
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO up.by_code (code, title) VALUES ('U-001', 'x');

-- One existing key and one new: one request; the existing record keeps what the statement
-- does not name (num, n), the new one gets Kintone's defaults.
:stats_reset
INSERT INTO up.by_code (code, title, day) VALUES ('U-001', 'updated 1', '2026-05-01'), ('U-100', 'new 100', NULL);
:stats
SELECT id, rev, code, num, title, n, day FROM up.by_code WHERE code IN ('U-001', 'U-100') ORDER BY id;

-- RETURNING: rows go one by one; $id and $revision come from Kintone's answer (a record
-- Kintone added has revision 1), the other columns are read back.
INSERT INTO up.by_code (code, n) VALUES ('U-002', 22), ('U-101', 101) RETURNING id, rev, code, title, n;

-- By the NUMBER key: 3 and 3.0 are one Kintone value. A record Kintone adds needs the required
-- code; with RETURNING rows go one by one, so the first stays written when the second fails.
INSERT INTO up.by_num (num, title, code) VALUES (3, 'three', 'U-003'), (6.0, 'six', 'U-006') RETURNING id, code, num, title;
SELECT try($$INSERT INTO up.by_num (num, title) VALUES (4, 'four'), (7, 'seven') RETURNING id$$);
SELECT try($$INSERT INTO up.by_num (num, title, code) VALUES (3, 'a', 'K-1'), (3.0, 'b', 'K-2')$$);

-- Refused before anything is sent: a NULL key, an empty key, a key given twice (the whole
-- statement checked first, here 2,500 rows with the repeat at the end).
:stats_reset
SELECT try($$INSERT INTO up.by_code (code, title) VALUES ('U-200', 'a'), (NULL, 'b')$$);
SELECT try($$INSERT INTO up.by_code (code, title) VALUES ('', 'b')$$);
SELECT try($$INSERT INTO up.by_code (code, title) SELECT 'D-' || (i % 2499), 'x' FROM generate_series(1, 2500) i$$);
:stats
SELECT count(*) FROM up.by_code WHERE code LIKE 'D-%' OR code = 'U-200';

-- Refusals of the definition, before any request.
SELECT try($$INSERT INTO up.by_code (title) VALUES ('no key')$$);
CREATE FOREIGN TABLE up.no_key_col (code text, title text) SERVER emu_up OPTIONS (app '94', upsert_key 'num');
SELECT try($$INSERT INTO up.no_key_col (code, title) VALUES ('x', 'y')$$);
CREATE FOREIGN TABLE up.by_link (site text OPTIONS (field_type 'LINK'), title text)
  SERVER emu_up OPTIONS (app '94', upsert_key 'site');
SELECT try($$INSERT INTO up.by_link (site, title) VALUES ('https://example.com', 'y')$$);
CREATE FOREIGN TABLE up.by_json (code jsonb, title text) SERVER emu_up OPTIONS (app '94', upsert_key 'code');
SELECT try($$INSERT INTO up.by_json (code, title) VALUES ('"x"', 'y')$$);
ALTER FOREIGN TABLE up.by_code OPTIONS (ADD upsert_key 'num');
ALTER FOREIGN TABLE up.by_code OPTIONS (SET upsert_key '');
-- A key field Kintone does not hold unique values in: Kintone's refusal, nothing written.
CREATE FOREIGN TABLE up.by_title (code text, title text OPTIONS (field_type 'SINGLE_LINE_TEXT'))
  SERVER emu_up OPTIONS (app '94', upsert_key 'title');
SELECT try($$INSERT INTO up.by_title (code, title) VALUES ('T-1', 'seed 3')$$);
-- ON CONFLICT stays refused, and says what to use.
INSERT INTO up.by_code (code, title) VALUES ('U-001', 'x') ON CONFLICT DO NOTHING;

-- 2,500 rows, new and existing keys: one request per 2,000 records (two bulkRequests), the
-- counts of Kintone's answers in EXPLAIN ANALYZE and the NOTICE.
CREATE TABLE up_src AS
  SELECT CASE WHEN i <= 5 THEN 'U-' || lpad(i::text, 3, '0') ELSE 'B-' || lpad(i::text, 5, '0') END AS code,
         'bulk ' || i AS title, i AS n, DATE '2026-01-01' + (i % 300) AS day,
         CASE WHEN i % 3 = 0 THEN '{a,b}'::text[] ELSE '{}' END AS tags
  FROM generate_series(1, 2500) i;
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO up.by_code (code, title, n, day, tags) SELECT code, title, n, day, tags FROM up_src;
:stats
SELECT count(*), count(*) FILTER (WHERE rev = 1) AS added, count(*) FILTER (WHERE rev > 1) AS updated
  FROM up.by_code WHERE code LIKE 'B-%' OR code LIKE 'U-00%';
-- Every value as the local table has it.
SELECT count(*) AS differing FROM up_src s LEFT JOIN up.by_code k USING (code)
 WHERE (k.title, k.n, k.day, k.tags) IS DISTINCT FROM (s.title, s.n, s.day, s.tags);
-- Again: now every key exists.
INSERT INTO up.by_code (code, title) SELECT code, title || ' again' FROM up_src;

-- One bad row (n above the field's maximum) in the first 2,000: Kintone refuses that request,
-- which is all or nothing. One request at a time (max_concurrent_requests 1): the second is
-- never sent, nothing of the statement is written.
ALTER FOREIGN TABLE up.by_code OPTIONS (ADD max_concurrent_requests '1');
:stats_reset
SELECT try($$INSERT INTO up.by_code (code, title, n) SELECT code, 'bad ' || title, CASE WHEN n = 1500 THEN 9999999 ELSE n END FROM up_src$$);
:stats
SELECT count(*) FROM up.by_code WHERE title LIKE 'bad %';
-- In the second request: the first 2,000 records stay written, and the error says so.
SELECT try($$INSERT INTO up.by_code (code, title, n) SELECT code, 'bad ' || title, CASE WHEN n = 2300 THEN 9999999 ELSE n END FROM up_src$$);
SELECT count(*) FROM up.by_code WHERE title LIKE 'bad %';
ALTER FOREIGN TABLE up.by_code OPTIONS (DROP max_concurrent_requests);
-- At the default (8), the statement's two requests travel together (docs/concurrency.md,
-- "Writes"): the first is refused, the second, sent with it, is written, and the error says so.
:stats_reset
SELECT try($$INSERT INTO up.by_code (code, title, n) SELECT code, 'worse ' || title, CASE WHEN n = 1500 THEN 9999999 ELSE n END FROM up_src$$);
:stats
SELECT count(*) FILTER (WHERE n <= 2000) AS rows_1_2000, count(*) FILTER (WHERE n > 2000) AS rows_2001_2500
  FROM up.by_code WHERE title LIKE 'worse %';

-- COPY upserts too.
COPY up.by_code (code, title) FROM STDIN;
U-003	copied 3
C-001	copied new
\.
SELECT code, title FROM up.by_code WHERE code IN ('U-003', 'C-001') ORDER BY code;

-- A rollback cannot undo an upsert; the warning counts what Kintone added and updated.
BEGIN;
INSERT INTO up.by_code (code, title) VALUES ('U-004', 'in a transaction'), ('R-001', 'in a transaction');
ROLLBACK;

-- A plain INSERT through a table without the option still adds (and Kintone refuses the key).
SELECT try($$INSERT INTO up.upserts (code, title) VALUES ('U-001', 'dup')$$);

DROP TABLE up_src;
DROP SCHEMA up CASCADE;
DROP SERVER emu_up CASCADE;
DROP FUNCTION try(text);
