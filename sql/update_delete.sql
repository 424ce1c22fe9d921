-- UPDATE and DELETE on Kintone: rows identified by $id, only the set columns sent, batched
-- like INSERT, revision checks ($revision read by the scan) failing with 40001 when a record
-- changed between read and write, RETURNING, read-only columns, subtable row ids kept.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
-- The emulator back to its seed: this file starts from the seed whatever ran before.
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_ud FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_ud OPTIONS (username 'suzuki', password 'suzuki-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA ud;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_ud INTO ud OPTIONS (apps '98');
CREATE FUNCTION try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RAISE EXCEPTION USING ERRCODE = s, MESSAGE = '[' || s || '] ' || m,
    DETAIL = regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
END $$;
-- Another Kintone client changes a record (a PUT with the app's API token, no revision):
-- called from a WHERE clause, it runs after the scan read the row and before the write.
SELECT set_config('kintone_test.url', :'emulator_url', false) IS NOT NULL AS url_set;
CREATE FUNCTION touch(id bigint) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('COPY (SELECT 1) TO PROGRAM %L',
    format('curl -s -o /dev/null -X PUT -H "X-Cybozu-API-Token: app98token" -H "Content-Type: application/json" '
           '-d ''{"app": 98, "id": %s, "record": {"note": {"value": "changed elsewhere"}}}'' %s/k/v1/record.json',
           id, current_setting('kintone_test.url')));
  RETURN true;
END $$;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records.json\\" in k or \\"bulk\\" in k))"'

INSERT INTO ud.writes (title, code, n, tags, items)
SELECT 'row ' || i, 'U' || i, i, ARRAY['a'], '[{"item": "x", "qty": 1}, {"item": "y", "qty": 2}]'
FROM generate_series(1, 10) i;

-- UPDATE sends only the columns the statement sets, with the revision the scan read.
EXPLAIN (VERBOSE, COSTS OFF) UPDATE ud.writes SET n = n + 100 WHERE n <= 3;
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) UPDATE ud.writes SET n = n + 100 WHERE n <= 3;
:stats
SELECT "$id", "$revision", title, n, twice, tags FROM ud.writes ORDER BY "$id";

-- RETURNING gives the new revision and values Kintone computed.
UPDATE ud.writes SET n = 7, kind = 'z' WHERE code = 'U4' RETURNING "$id", "$revision", n, twice, kind, "更新者";
-- Several columns and types at once; NULL empties a field.
UPDATE ud.writes SET tags = '{b,c}', langs = '{zh}', day = '2026-05-05', tm = '07:07', at = '2026-05-05 05:05+00',
  users = '["sato"]', note = NULL
WHERE code = 'U5' RETURNING tags, langs, day, tm, at, users, note;
-- UPDATE ... FROM a local table.
CREATE TEMP TABLE fix (code text, title text);
INSERT INTO fix VALUES ('U6', 'fixed six'), ('U7', 'fixed seven'), ('nope', 'no match');
UPDATE ud.writes w SET title = f.title FROM fix f WHERE w.code = f.code;
SELECT code, title FROM ud.writes WHERE code IN ('U6', 'U7') ORDER BY code;

-- Subtable rows keep their ids when the jsonb read is written back with a change.
CREATE TEMP TABLE before_ids AS SELECT jsonb_path_query_array(items, '$[*].id') AS ids FROM ud.writes WHERE code = 'U8';
UPDATE ud.writes SET items = jsonb_set(items, '{0,value,qty,value}', '"5"') WHERE code = 'U8';
SELECT jsonb_path_query_array(items, '$[*].id') = (SELECT ids FROM before_ids) AS ids_kept,
       jsonb_path_query_array(items, '$[*].value.qty.value') AS qty
FROM ud.writes WHERE code = 'U8';

-- Prepared UPDATE, several executions.
PREPARE upd(numeric, text) AS UPDATE ud.writes SET n = $1 WHERE code = $2;
EXECUTE upd(91, 'U9');
EXECUTE upd(92, 'U9');
EXECUTE upd(93, 'U9');
EXECUTE upd(94, 'U9');
EXECUTE upd(95, 'U9');
EXECUTE upd(96, 'U9');
SELECT n, "$revision" FROM ud.writes WHERE code = 'U9';

-- Read-only columns.
UPDATE ud.writes SET twice = 1 WHERE code = 'U1';
UPDATE ud.writes SET "作成者" = 'sato' WHERE code = 'U1';
UPDATE ud.writes SET "作成日時" = now() WHERE code = 'U1';
UPDATE ud.writes SET "$id" = 99 WHERE code = 'U1';
UPDATE ud.writes SET "レコード番号" = '99' WHERE code = 'U1';

-- Validation errors name the row of the statement and the field.
SELECT try($$UPDATE ud.writes SET title = CASE WHEN code = 'U3' THEN NULL ELSE title END WHERE code IN ('U1', 'U2', 'U3')$$);
SELECT count(*) FROM ud.writes WHERE title IS NULL;

-- A record changed by someone else between read and write: 40001 and nothing written, not
-- even the other rows of the statement (one request).
SELECT code, n, "$revision" FROM ud.writes WHERE code IN ('U1', 'U2', 'U3') ORDER BY code;
SELECT try($$UPDATE ud.writes SET n = 0 WHERE code IN ('U1', 'U2', 'U3') AND (code <> 'U2' OR touch("$id"))$$);
SELECT code, n, "$revision", note FROM ud.writes WHERE code IN ('U1', 'U2', 'U3') ORDER BY code;
-- Without a $revision column there is no check: the last writer wins.
CREATE FOREIGN TABLE ud.norev (id bigint OPTIONS (field_code '$id'), code text, n numeric)
SERVER emu_ud OPTIONS (app '98');
UPDATE ud.norev SET n = 0 WHERE code IN ('U1', 'U2') AND (code <> 'U2' OR touch(id));
SELECT code, n FROM ud.norev WHERE code IN ('U1', 'U2') ORDER BY code;
-- Without an $id column there is no row identity.
CREATE FOREIGN TABLE ud.noid (code text, n numeric) SERVER emu_ud OPTIONS (app '98');
UPDATE ud.noid SET n = 1;
DELETE FROM ud.noid;

-- DELETE: batched, revision-checked, RETURNING the row as read.
SELECT try($$DELETE FROM ud.writes WHERE code IN ('U9', 'U10') AND (code <> 'U10' OR touch("$id"))$$);
SELECT count(*) FROM ud.writes WHERE code IN ('U9', 'U10');
DELETE FROM ud.writes WHERE code = 'U10' RETURNING "$id", title, n, tags;
EXPLAIN (VERBOSE, COSTS OFF) DELETE FROM ud.writes WHERE n > 100;
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM ud.writes WHERE n > 100;
:stats
SELECT code FROM ud.writes ORDER BY "$id";

-- 2,100 updates and deletes go in two chunks.
INSERT INTO ud.writes (title, n) SELECT 'many ' || i, i FROM generate_series(1, 2100) i;
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) UPDATE ud.writes SET n = -n WHERE title LIKE 'many %';
SELECT count(*), sum(n) FROM ud.writes WHERE title LIKE 'many %';
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM ud.writes WHERE title LIKE 'many %';
:stats
SELECT count(*) FROM ud.writes;

-- A join that matches the same target record several times (UPDATE ... FROM, DELETE ... USING)
-- writes it once and counts it once, as on a local table: no revision conflict with itself, no
-- second value written over the first.
INSERT INTO ud.writes (title, code, n) SELECT 'dup ' || i, 'DUP' || i, i FROM generate_series(1, 3) i;
CREATE TEMP TABLE dup_join (code text, v int);
INSERT INTO dup_join VALUES ('DUP1', 10), ('DUP1', 20), ('DUP2', 30);
CREATE TEMP TABLE dup_local AS SELECT code, n FROM ud.writes WHERE code LIKE 'DUP%';
UPDATE dup_local l SET n = l.n + j.v FROM dup_join j WHERE l.code = j.code;
UPDATE ud.writes w SET n = w.n + j.v FROM dup_join j WHERE w.code = j.code;
SELECT w.code, w.n, l.n AS local_n, w."$revision" FROM ud.writes w JOIN dup_local l USING (code) ORDER BY code;
UPDATE ud.writes w SET n = w.n + j.v FROM dup_join j WHERE w.code = j.code RETURNING w.code, w.n;
DELETE FROM ud.writes w USING dup_join j WHERE w.code = j.code RETURNING w.code;
SELECT code, n FROM ud.writes WHERE code LIKE 'DUP%' ORDER BY code;

-- A BEFORE ROW trigger's changes to columns the statement does not name are written, as
-- postgres_fdw sends them (INSERT: columns it set; UPDATE: columns it changed), also by COPY.
CREATE FUNCTION trg_note() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.note := 'set by trigger ' || TG_OP; NEW.title := coalesce(NEW.title, 'untitled'); RETURN NEW; END $$;
CREATE TRIGGER trg_note BEFORE INSERT OR UPDATE ON ud.writes FOR EACH ROW EXECUTE FUNCTION trg_note();
INSERT INTO ud.writes (code, n) VALUES ('TRG1', 1);
COPY ud.writes (code, n) FROM STDIN;
TRG2	2
\.
SELECT code, title, note, n FROM ud.writes WHERE code LIKE 'TRG%' ORDER BY code;
UPDATE ud.writes SET note = 'by hand', title = 'kept' WHERE code = 'TRG1';
SELECT code, title, note, n FROM ud.writes WHERE code LIKE 'TRG%' ORDER BY code;
DROP TRIGGER trg_note ON ud.writes;
UPDATE ud.writes SET note = 'by hand' WHERE code = 'TRG1';
CREATE TRIGGER trg_note BEFORE UPDATE ON ud.writes FOR EACH ROW EXECUTE FUNCTION trg_note();
UPDATE ud.writes SET n = 3 WHERE code LIKE 'TRG%';
SELECT code, title, note, n FROM ud.writes WHERE code LIKE 'TRG%' ORDER BY code;
DROP TRIGGER trg_note ON ud.writes;
DROP FUNCTION trg_note();

-- A statement that fails after rows were sent one by one (RETURNING) says what stays written.
-- (Through try(): the statement's WARNING then comes before the error it re-raises, in a fixed
-- order; psql may print a WARNING that follows an ERROR on the wire before or after it.)
SELECT try($$INSERT INTO ud.writes (title, code, n) SELECT 'ret ' || i, 'RETW' || i, 10 / (3 - i) FROM generate_series(1, 5) i
  RETURNING code$$);
SELECT code, n FROM ud.writes WHERE code LIKE 'RETW%' ORDER BY code;

-- Restore app 98 for the next test file.
\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/reset >/dev/null
DROP SCHEMA ud CASCADE;
DROP SERVER emu_ud CASCADE;
DROP FUNCTION try(text);
DROP FUNCTION touch(bigint);
