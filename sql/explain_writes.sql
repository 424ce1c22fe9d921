-- Issue 14: EXPLAIN ANALYZE of a write times the whole statement. A statement's last chunk is
-- sent in ExecutorFinish (src/pg/xact_writes.cpp), which EXPLAIN ANALYZE runs inside its timed
-- window, before the statement's AFTER triggers fire. Shown without timing: an AFTER STATEMENT
-- trigger already finds every record in Kintone, and the requests EXPLAIN ANALYZE reports are
-- the requests the emulator received.
-- App 98 (WRITES) of the regress seed is used only by the write tests; it is reset at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_xw FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_xw OPTIONS (username 'suzuki', password 'suzuki-pass');
CREATE SCHEMA xw;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_xw INTO xw OPTIONS (apps '98');
-- The emulator's write requests since the last reset (records.json and bulkRequest.json).
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set sent '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(\\"write requests received:\\", sum(v for k, v in r.items() if k.split()[0] in (\\"POST\\", \\"PUT\\", \\"DELETE\\")))"'
CREATE FUNCTION xw.seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE NOTICE 'AFTER % trigger: % records titled ''ea %%'' in Kintone', TG_OP,
        (SELECT count(*) FROM xw.writes WHERE title LIKE 'ea %');
    RETURN NULL;
END $$;
CREATE TRIGGER seen_insert AFTER INSERT ON xw.writes FOR EACH STATEMENT EXECUTE FUNCTION xw.seen();
CREATE TRIGGER seen_delete AFTER DELETE ON xw.writes FOR EACH STATEMENT EXECUTE FUNCTION xw.seen();
SELECT count(*) FROM xw.writes WHERE title LIKE 'ea %';

-- 2,500 rows: a 2,000-record bulkRequest while the plan runs, the last 500 in ExecutorFinish.
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO xw.writes (title, n) SELECT 'ea ' || i, i FROM generate_series(1, 2500) i;
:sent
SELECT count(*) FROM xw.writes WHERE title LIKE 'ea %';

-- DELETE reads the ids first, then deletes them in the same way.
:stats_reset
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
DELETE FROM xw.writes WHERE title LIKE 'ea %';
:sent
SELECT count(*) FROM xw.writes WHERE title LIKE 'ea %';

\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/reset >/dev/null
DROP SCHEMA xw CASCADE;
DROP SERVER emu_xw CASCADE;
