-- INSERT into Kintone: VALUES, multi-row, INSERT ... SELECT, COPY, PREPARE; every writable
-- field type; RETURNING; batching into bulkRequests (EXPLAIN ANALYZE shows the requests);
-- an atomic 2,000-row statement with one bad row; chunked statements above 2,000 rows;
-- read-only columns; Kintone's validation errors naming the row and the field.
-- Apps 98 (WRITES) and 99 of the regress seed are used only by the write tests.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_w FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_w OPTIONS (username 'suzuki', password 'suzuki-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA w;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_w INTO w OPTIONS (apps '98');
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
-- The emulator's request counters for writes.
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records.json\\" in k or \\"bulk\\" in k))"'

-- One row; RETURNING reads the record back: id, revision, record number, the CALC, the
-- default of the radio button, creator and creation time filled by Kintone.
INSERT INTO w.writes (title, code, n) VALUES ('first', 'C1', 21)
RETURNING "$id", "$revision", "レコード番号", title, n, twice, rank, "作成者";

-- A cancel (here statement_timeout) while a write is in flight aborts it; Kintone may or may
-- not have processed it, and the error says so (the emulator delays the write; app 99 is not
-- read by this file and is restored before the next one).
CREATE FOREIGN TABLE w.scratch (id bigint OPTIONS (field_code '$id'), t text) SERVER emu_w OPTIONS (app '99');
\! curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"match": "records\\.json", "method": "POST", "count": 1, "delay_ms": 2000}' $KINTONE_EMULATOR_URL/_emulator/faults
SET statement_timeout = '200ms';
INSERT INTO w.scratch (t) VALUES ('a'), ('b'), ('c');
RESET statement_timeout;
\! curl -s -o /dev/null -X DELETE $KINTONE_EMULATOR_URL/_emulator/faults
-- The delayed write is still being served: wait (at most 20 s) until the emulator has nothing
-- in flight, so that it is not counted in the request counts below.
\! for i in $(seq 1 200); do curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c 'import json, sys; sys.exit(json.load(sys.stdin)["in_flight"])' && break; sleep 0.1; done

-- Several rows without RETURNING: one request.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO w.writes (title, code, n) VALUES ('second', 'C2', 2), ('third', 'C3', 3), ('fourth', 'C4', 4);
SELECT "$id", "$revision", title, code, n, twice, rank FROM w.writes ORDER BY "$id";

-- EXPLAIN VERBOSE shows the fields sent and the batching.
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO w.writes (title, n) VALUES ('x', 1);
EXPLAIN (VERBOSE, COSTS OFF) INSERT INTO w.writes (title, n) VALUES ('x', 1) RETURNING "$id";

-- Every writable field type.
INSERT INTO w.writes (title, code, note, rich, link, n, tags, langs, rank, kind, day, tm, at, users, orgs, grps, files, items)
VALUES ('all types', 'C5', E'line 1\nline 2 "quoted" \\ back', '<b>bold</b>', 'https://example.com/?q=1&r=2',
        123456.123456789012345678, '{a,c}', '{en,ja}', 'C', 'y', '2026-02-28', '09:45', '2026-03-01 08:30:00+09',
        '[{"code": "sato"}, {"code": "tanaka", "name": "ignored"}]', '["sales"]', '[{"code": "everyone"}]',
        '[{"fileKey": "20260101000000ABCDEF0123456789ABCDEF03"}]',
        '[{"value": {"item": {"value": "pen"}, "qty": {"value": "3"}}}, {"item": "ink", "qty": 10}]')
RETURNING "$id", title, note, rich, link, n, twice, tags, langs, rank, kind, day, tm, at;
SELECT users, orgs, grps, files, items FROM w.writes WHERE code = 'C5';
-- Numbers stay exact; seconds are dropped as Kintone stores DATETIME and TIME by the minute.
INSERT INTO w.writes (title, code, n, tm, at) VALUES ('precision', 'C6', -0.000000000000000001, '23:59:59', '2026-12-31 23:59:59.999+00')
RETURNING n, tm, at;

-- NULL is Kintone's empty value: NULL / '{}' / '[]' when read back; defaults apply only to
-- columns left out of the statement (rank), not to NULLs given (kind).
INSERT INTO w.writes (title, code, note, n, tags, kind, day, users, items)
VALUES ('empty', NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)
RETURNING code, note, n, twice, tags, rank, kind, day, users, items;

-- Creator and creation time may be given on INSERT (suzuki is the app's admin).
INSERT INTO w.writes (title, "作成者", "作成日時") VALUES ('backdated', 'sato', '2020-01-02 03:04:05+00')
RETURNING "作成者", "作成日時", "更新者";

-- INSERT ... SELECT of 250 rows: one bulkRequest of three 100-record calls.
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO w.writes (title, code, n, day)
SELECT 'bulk ' || i, 'B' || i, i, date '2026-01-01' + i FROM generate_series(1, 250) i;
:stats
SELECT count(*), sum(n), min(day), max(day) FROM w.writes WHERE title LIKE 'bulk %';

-- COPY into the foreign table.
COPY w.writes (title, code, n, tags) FROM STDIN;
copy 1	K1	1	{a}
copy 2	K2	2	{b,c}
copy 3	K3	\N	{}
\.
SELECT title, code, n, tags FROM w.writes WHERE code LIKE 'K%' ORDER BY code;

-- Prepared statements executed several times (plans are cached).
PREPARE ins(text, numeric) AS INSERT INTO w.writes (title, n) VALUES ($1, $2) RETURNING title, n, twice;
EXECUTE ins('p1', 1);
EXECUTE ins('p2', 2);
EXECUTE ins('p3', 3);
EXECUTE ins('p4', 4);
EXECUTE ins('p5', 5);
EXECUTE ins('p6', 6);
DEALLOCATE ins;
PREPARE ins2(text) AS INSERT INTO w.writes (title) SELECT $1 || i FROM generate_series(1, 3) i;
EXECUTE ins2('q');
EXECUTE ins2('r');
SELECT title FROM w.writes WHERE title ~ '^[qr][0-9]$' ORDER BY title;

-- Columns Kintone does not let you write are refused before any request.
:stats_reset
INSERT INTO w.writes ("$id", title) VALUES (1, 'x');
INSERT INTO w.writes ("$revision", title) VALUES (1, 'x');
INSERT INTO w.writes ("レコード番号", title) VALUES ('1', 'x');
INSERT INTO w.writes (title, twice) VALUES ('x', 2);
INSERT INTO w.writes SELECT * FROM w.writes LIMIT 1;
:stats

-- Kintone's validation errors name the statement's row and the field.
SELECT try($$INSERT INTO w.writes (title, n) VALUES ('ok', 1), ('ok', 2), (NULL, 3), ('ok', 4)$$);
SELECT try($$INSERT INTO w.writes (title, n) VALUES ('ok', 1), ('too big', 2000000)$$);
SELECT try($$INSERT INTO w.writes (title, code) VALUES ('dup', 'C1')$$);
SELECT try($$INSERT INTO w.writes (title, kind) VALUES ('bad option', 'w')$$);
INSERT INTO w.writes (title, tags) VALUES ('null element', '{a,NULL}');
INSERT INTO w.writes (title, items) VALUES ('bad subtable', '{"not": "an array"}');
SELECT try($$INSERT INTO w.writes (title, files) VALUES ('bad file', '[{"fileKey": "nope"}]')$$);
SELECT count(*) FROM w.writes WHERE title IN ('ok', 'too big', 'dup', 'bad option', 'null element', 'bad subtable', 'bad file');
-- An answer that lacks what the API promises is a protocol error naming the request (the
-- emulator answers 200 without "revisions", then without "records").
\! curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"match": "records\\.json", "method": "POST", "count": 1, "status": 200, "body": {"ids": ["900"]}}' $KINTONE_EMULATOR_URL/_emulator/faults
SELECT try($$INSERT INTO w.writes (title) VALUES ('answer without revisions')$$);
\! curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"match": "records\\.json", "method": "PUT", "count": 1, "status": 200, "body": {}}' $KINTONE_EMULATOR_URL/_emulator/faults
SELECT try($$UPDATE w.writes SET n = 5 WHERE title = 'first'$$);
\! curl -s -o /dev/null -X DELETE $KINTONE_EMULATOR_URL/_emulator/faults

-- 2,000 rows with one bad row (1,500): one bulkRequest, refused as a whole; nothing written.
SELECT count(*) AS before FROM w.writes;
:stats_reset
SELECT try($$INSERT INTO w.writes (title, n)
SELECT CASE WHEN i = 1500 THEN NULL ELSE 'atomic ' || i END, i FROM generate_series(1, 2000) i$$);
:stats
SELECT count(*) AS after FROM w.writes;

-- Above 2,000 rows the statement goes in chunks of 2,000: 2,500 rows, two requests.
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO w.writes (title, n) SELECT 'chunk ' || i, i FROM generate_series(1, 2500) i;
:stats
SELECT count(*), min(n), max(n) FROM w.writes WHERE title LIKE 'chunk %';
-- INSERT ... SELECT from the app it writes: nothing is sent before the scan has ended, so
-- the scan never reads the new records (2,500 rows read, 2,500 written, in two requests).
EXPLAIN (COSTS OFF) INSERT INTO w.writes (title, n) SELECT 'again ' || title, n FROM w.writes WHERE title LIKE 'chunk %';
INSERT INTO w.writes (title, n) SELECT 'again ' || title, n FROM w.writes WHERE title LIKE 'chunk %';
SELECT count(*), min(n), max(n) FROM w.writes WHERE title LIKE 'again chunk %';
-- INSERT ... SELECT from another app of the same server: the scan's page reads share the
-- session with the chunk in flight and wait for it; every row arrives once.
INSERT INTO w.scratch (t) SELECT title FROM w.writes WHERE title LIKE 'chunk %';
SELECT count(*), count(DISTINCT t) FROM w.scratch WHERE t LIKE 'chunk %';
INSERT INTO w.writes (title) SELECT 'x' FROM w.writes LIMIT 1 RETURNING title;
-- A failure in the second chunk: the first 2,000 records stay written, and the error says so.
SELECT try($$INSERT INTO w.writes (title, n)
SELECT CASE WHEN i = 2050 THEN NULL ELSE 'half ' || i END, i FROM generate_series(1, 2100) i$$);
SELECT count(*) FROM w.writes WHERE title LIKE 'half %';

-- A PostgreSQL error after a chunk was sent says what stays written.
INSERT INTO w.writes (title, day) SELECT 'late ' || i, CASE WHEN i = 2010 THEN 'infinity'::date ELSE date '2026-01-01' END
FROM generate_series(1, 2020) i;
SELECT count(*) FROM w.writes WHERE title LIKE 'late %';
-- A PostgreSQL error outside the conversion (division by zero in row 2,300 of the SELECT)
-- while the first chunk is in flight: that write is finished, not abandoned, and a WARNING
-- says what it wrote; the rows converted meanwhile are never sent.
-- (Through try(), so that the WARNING comes before the re-raised error in a fixed order.)
SELECT try($$INSERT INTO w.writes (title, n) SELECT 'overlap ' || i, 1 / (2300 - i) FROM generate_series(1, 2500) i$$);
SELECT count(*), min(n), max(n) FROM w.writes WHERE title LIKE 'overlap %';
-- A conversion error of kintone_fdw's own (not a JSON array for the subtable) in row 2,010,
-- the first chunk in flight: that write is finished first and the error says it stays written.
INSERT INTO w.writes (title, items)
SELECT 'subtable ' || i, CASE WHEN i = 2010 THEN '{"not": "an array"}' ELSE '[]' END::jsonb FROM generate_series(1, 2020) i;
SELECT count(*) FROM w.writes WHERE title LIKE 'subtable %';
-- ON CONFLICT has no Kintone equivalent.
INSERT INTO w.writes (title) VALUES ('conflict') ON CONFLICT DO NOTHING;

-- A transaction rolled back after the statement does not undo Kintone's writes.
BEGIN;
INSERT INTO w.writes (title) VALUES ('not undone');
ROLLBACK;
SELECT count(*) FROM w.writes WHERE title = 'not undone';

-- updatable = false (server or table), as postgres_fdw.
ALTER FOREIGN TABLE w.writes OPTIONS (ADD updatable 'false');
INSERT INTO w.writes (title) VALUES ('refused');
ALTER FOREIGN TABLE w.writes OPTIONS (DROP updatable);
ALTER SERVER emu_w OPTIONS (ADD updatable 'false');
INSERT INTO w.writes (title) VALUES ('refused');
ALTER FOREIGN TABLE w.writes OPTIONS (ADD updatable 'true');
INSERT INTO w.writes (title) VALUES ('table overrides server') RETURNING title;
ALTER FOREIGN TABLE w.writes OPTIONS (DROP updatable);
ALTER SERVER emu_w OPTIONS (DROP updatable);

-- A hand-written table without field_type: types come from the form.
CREATE FOREIGN TABLE w.plain (id bigint OPTIONS (field_code '$id'), title text, n numeric, twice numeric, tags text[])
SERVER emu_w OPTIONS (app '98');
INSERT INTO w.plain (title, n, tags) VALUES ('plain', 5, '{b}') RETURNING title, n, twice, tags;
INSERT INTO w.plain (title, twice) VALUES ('plain', 5);

-- Lookup copy fields (app 4 copies 会社名 and 業種 from app 1 through the lookup 顧客ID):
-- IMPORT FOREIGN SCHEMA marks them, and writing them is refused before any request.
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_w INTO w OPTIONS (apps '4');
SELECT attname, attfdwoptions FROM pg_attribute
WHERE attrelid = 'w."問い合わせ管理"'::regclass AND attname IN ('顧客ID', '会社名', '業種') ORDER BY attnum;
INSERT INTO w."問い合わせ管理" ("顧客ID", "会社名") VALUES ('C001', 'ignored');
-- A hand-written table without field types learns them from the form.
CREATE FOREIGN TABLE w.inquiries (id bigint OPTIONS (field_code '$id'), "顧客ID" text, "業種" text, "内容" text)
SERVER emu_w OPTIONS (app '4');
UPDATE w.inquiries SET "業種" = 'x' WHERE id = 1;
-- Setting the lookup key fills the copies; an unknown key is Kintone's GAIA_LO04.
INSERT INTO w."問い合わせ管理" ("顧客ID", "内容") VALUES ('C002', 'lookup') RETURNING "顧客ID", "会社名", "業種";
SELECT try($$INSERT INTO w.inquiries ("顧客ID", "内容") VALUES ('C001', 'ok'), ('C999', 'no such customer')$$);
SELECT count(*) FROM w.inquiries WHERE "内容" IN ('ok', 'no such customer');

-- Restore apps 98 and 4 for the next test file.
\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/reset >/dev/null
DROP SCHEMA w CASCADE;
DROP SERVER emu_w CASCADE;
DROP FUNCTION try(text);
