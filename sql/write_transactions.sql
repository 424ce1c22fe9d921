-- Writes at the end of a statement and of a transaction:
-- 1. A statement's writes finish inside the statement (ExecutorFinish): AFTER triggers see
--    the written records, also the last chunk of a long statement and the rows of a writable
--    CTE the query does not read; EXPLAIN ANALYZE counts every request and record.
-- 2. Kintone has no rollback: when a transaction or subtransaction that wrote to Kintone is
--    rolled back, one WARNING says how many records stay written, and to which apps — from
--    psql and from a Python psycopg2 client (conn.rollback()).
-- Apps 98 and 99 are restored at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_t FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_t OPTIONS (username 'suzuki', password 'suzuki-pass');
CREATE SCHEMA t;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_t INTO t OPTIONS (apps '98, 99');
-- Runs a statement and re-raises its error without Kintone's random request id.
CREATE FUNCTION t.try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE m text; d text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RAISE EXCEPTION USING MESSAGE = m, DETAIL = regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
END $$;

-- 1. AFTER triggers see what the statement wrote.
CREATE FUNCTION t.seen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE NOTICE 'AFTER % (%): Kintone has % records titled ''after ...''', TG_OP, TG_LEVEL,
    (SELECT count(*) FROM t.writes WHERE title LIKE 'after %');
  RETURN NULL;
END $$;
CREATE TRIGGER seen_stmt AFTER INSERT OR UPDATE OR DELETE ON t.writes FOR EACH STATEMENT EXECUTE FUNCTION t.seen();
INSERT INTO t.writes (title) SELECT 'after ' || i FROM generate_series(1, 3) i;
UPDATE t.writes SET n = 1 WHERE title = 'after 1';
DELETE FROM t.writes WHERE title = 'after 3';
-- The last chunk of a statement of 2,500 rows (500 records) too.
INSERT INTO t.writes (title) SELECT 'after long ' || i FROM generate_series(1, 2500) i;
-- A writable CTE that the query does not read runs to its end, and is written, before the triggers.
WITH w AS (INSERT INTO t.writes (title) VALUES ('after cte 1'), ('after cte 2')) SELECT 'query';
-- EXPLAIN ANALYZE runs the triggers and counts the requests and records of the last chunk.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
INSERT INTO t.writes (title) SELECT 'after explain ' || i FROM generate_series(1, 2100) i;
-- An error of the last chunk is the statement's error, as before.
SELECT t.try($$INSERT INTO t.writes (title) VALUES ('after bad'), (NULL)$$);
DROP TRIGGER seen_stmt ON t.writes;
-- An AFTER ROW trigger sees its record.
CREATE TRIGGER seen_row AFTER INSERT ON t.writes FOR EACH ROW EXECUTE FUNCTION t.seen();
INSERT INTO t.writes (title) VALUES ('after row');
DROP TRIGGER seen_row ON t.writes;
DELETE FROM t.writes WHERE title LIKE 'after %';

-- 2. ROLLBACK after writes: one WARNING for the transaction, per app and kind of write.
BEGIN;
INSERT INTO t.writes (title) VALUES ('tx 1'), ('tx 2'), ('tx 3');
UPDATE t.writes SET n = 2 WHERE title = 'tx 1';
DELETE FROM t.writes WHERE title = 'tx 3';
INSERT INTO t.wdiff (k) VALUES (1);
ROLLBACK;
SELECT title, n FROM t.writes WHERE title LIKE 'tx %' ORDER BY title;
-- (An error that aborts the transaction brings the warning with it: see the Python client
-- below, where the order of the error and the warning is fixed.)
-- A transaction that only read, or wrote and committed, says nothing.
BEGIN;
SELECT count(*) FROM t.writes WHERE title LIKE 'tx %';
ROLLBACK;
BEGIN;
INSERT INTO t.writes (title) VALUES ('tx 5');
COMMIT;
-- ROLLBACK TO SAVEPOINT: the records written since the savepoint; the transaction's warning
-- then counts every record it wrote, as long as some were not reported yet.
BEGIN;
INSERT INTO t.writes (title) VALUES ('tx 6');
SAVEPOINT s;
INSERT INTO t.writes (title) VALUES ('tx 7'), ('tx 8');
ROLLBACK TO SAVEPOINT s;
INSERT INTO t.writes (title) VALUES ('tx 9');
RELEASE SAVEPOINT s;
ROLLBACK;
BEGIN;
SAVEPOINT s;
DELETE FROM t.writes WHERE title = 'tx 9';
ROLLBACK TO SAVEPOINT s;
COMMIT;
-- An exception caught by PL/pgSQL rolls back a subtransaction.
DO $$
BEGIN
  BEGIN
    INSERT INTO t.writes (title) VALUES ('tx 10');
    PERFORM 1 / 0;
  EXCEPTION WHEN division_by_zero THEN
    RAISE NOTICE 'caught';
  END;
END $$;
-- A statement whose own error already says what stays written gets no second message.
SELECT t.try($$INSERT INTO t.writes (title)
SELECT CASE WHEN i = 2050 THEN NULL ELSE 'tx long ' || i END FROM generate_series(1, 2100) i$$);
SELECT count(*) FROM t.writes WHERE title LIKE 'tx long %';
SELECT title FROM t.writes WHERE title LIKE 'tx _%' AND title NOT LIKE 'tx long %' ORDER BY title;

-- From Python: psycopg2 is not in autocommit mode by default, and conn.rollback() after a
-- write shows the warning in conn.notices; so does an error that aborts the transaction.
SELECT current_database() AS db \gset
\setenv PGDATABASE :db
\! /usr/bin/python3 test/python/rollback_warning.py

-- Restore apps 98 and 99 for the next test file.
\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/reset >/dev/null
DROP SCHEMA t CASCADE;
DROP SERVER emu_t CASCADE;
