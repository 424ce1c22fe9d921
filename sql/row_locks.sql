-- FOR UPDATE / FOR SHARE on a foreign table: Kintone has no row locks, so a lock request on a
-- Kintone table is an ERROR (not a silent no-op); a Kintone table only read beside a locked
-- local table, or beside an UPDATE/DELETE target, is not locked and not refused.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_locks FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_locks OPTIONS (api_token 'app2fulltoken');
CREATE SCHEMA locks;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_locks INTO locks OPTIONS (apps '2');
CREATE TABLE locks.scores (customer_id text PRIMARY KEY, score int);
INSERT INTO locks.scores VALUES ('C001', 90), ('C002', 75);
CREATE VIEW locks.big_orders AS SELECT "受注番号", "数量" FROM locks.orders WHERE "数量" > 5;

-- Every lock strength on the foreign table is refused, with the reason and what to do.
SELECT "受注番号" FROM locks.orders WHERE "$id" = 1 FOR UPDATE;
\set VERBOSITY terse
SELECT "受注番号" FROM locks.orders WHERE "$id" = 1 FOR NO KEY UPDATE;
SELECT "受注番号" FROM locks.orders WHERE "$id" = 1 FOR SHARE;
SELECT "受注番号" FROM locks.orders WHERE "$id" = 1 FOR KEY SHARE NOWAIT;
SELECT "受注番号" FROM locks.orders WHERE "$id" = 1 FOR UPDATE SKIP LOCKED;
-- Through a view, in a join that locks every table, by name in OF, in a subquery, in PL/pgSQL.
SELECT * FROM locks.big_orders ORDER BY 1 LIMIT 1 FOR UPDATE;
SELECT o."受注番号", s.score FROM locks.orders o JOIN locks.scores s ON s.customer_id = o."顧客ID" FOR UPDATE;
SELECT o."受注番号", s.score FROM locks.orders o JOIN locks.scores s ON s.customer_id = o."顧客ID" FOR SHARE OF o;
SELECT count(*) FROM (SELECT "$id" FROM locks.orders FOR UPDATE) t;
DO $$ BEGIN PERFORM "$id" FROM locks.orders WHERE "$id" = 1 FOR UPDATE; END $$;
\set VERBOSITY default
-- The SQLSTATE is feature_not_supported (0A000).
DO $$
BEGIN
  PERFORM 1 FROM locks.orders FOR UPDATE;
EXCEPTION WHEN feature_not_supported THEN
  RAISE NOTICE 'refused: %', SQLSTATE;
END $$;

-- Locking only the local table of a join is fine: the Kintone table is read, not locked.
BEGIN;
SELECT o."受注番号", s.score FROM locks.orders o JOIN locks.scores s ON s.customer_id = o."顧客ID"
  ORDER BY o."$id" LIMIT 3 FOR UPDATE OF s;
SELECT count(*) FROM pg_locks WHERE relation = 'locks.scores'::regclass AND mode = 'RowShareLock';
COMMIT;
-- An UPDATE of a local table joined with a Kintone table does not lock the Kintone table.
UPDATE locks.scores s SET score = score + 1 FROM locks.orders o
  WHERE o."顧客ID" = s.customer_id AND s.customer_id = 'C001';
SELECT * FROM locks.scores ORDER BY 1;
-- Plain reads are unaffected.
SELECT "受注番号" FROM locks.orders WHERE "$id" = 1;

SET client_min_messages = warning;
DROP SCHEMA locks CASCADE;
DROP SERVER emu_locks CASCADE;
RESET client_min_messages;
