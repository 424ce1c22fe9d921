-- Record comments as a foreign table (issue 13): reading a record's comments (Kintone pages them
-- 10 at a time; the requests are counted by the emulator), the refusal of a query without the
-- record, a join answered per record by a parameterized nested loop, INSERT with mentions
-- (RETURNING shows what Kintone stored), COPY, DELETE, and what Kintone or kintone_fdw refuses.
-- App 7 (EXPENSE) of the regress seed, used by yamada; its seeded comments are on records 2, 3, 6.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
\! curl -s -o /dev/null -X POST -d '{"now": "2026-05-01T09:00:00Z"}' $KINTONE_EMULATOR_URL/_emulator/clock
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_c FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', language 'ja'); -- Kintone's names and messages in Japanese, as written below
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_c OPTIONS (username 'yamada', password 'yamada-pass');
SET timezone = 'UTC';
CREATE SCHEMA c;
IMPORT FOREIGN SCHEMA kintone_meta LIMIT TO (comments) FROM SERVER emu_c INTO c;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_c INTO c OPTIONS (apps '7');
\d c.comments
CREATE FUNCTION try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  d := regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
  m := '[' || s || '] ' || m;
  IF d = '' AND h = '' THEN RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m;
  ELSIF h = '' THEN RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m, DETAIL = d;
  ELSIF d = '' THEN RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m, HINT = h;
  ELSE RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m, DETAIL = d, HINT = h;
  END IF;
END $$;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"comment\\" in k))"'

-- A record's comments, oldest first; mentioned names are in front of the text (Kintone's doing).
SELECT record_id, id, text, created_at, creator_code, creator_name, mentions
  FROM c.comments WHERE app = 7 AND record_id = 3 ORDER BY id;
SELECT record_id, id, creator_code, mentions FROM c.comments WHERE app = 7 AND record_id IN (2, 6, 9) ORDER BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM c.comments WHERE app = 7 AND record_id IN (2, 6, 9);

-- Kintone lists comments per record: a query without the record (or the app) is refused when
-- it is planned.
SELECT try($$SELECT * FROM c.comments WHERE app = 7$$);
SELECT try($$SELECT * FROM c.comments WHERE record_id = 3$$);
SELECT try($$SELECT * FROM c.comments WHERE app = 7 AND record_id + 0 = 3$$);
-- A table for one app: the option app fixes it.
CREATE FOREIGN TABLE c.expense_comments (record_id bigint, id bigint, who text OPTIONS (field_code 'creator_code'), text text)
  SERVER emu_c OPTIONS (object 'comments', app '7');
SELECT record_id, id, who FROM c.expense_comments WHERE record_id = 2 ORDER BY id;
SELECT try($$SELECT * FROM c.expense_comments$$);
-- A join over record ids: one request per record, by a parameterized nested loop.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT e."申請番号", x.id, x.who FROM c.expense e JOIN c.expense_comments x ON x.record_id = e."$id"
 WHERE e."$id" IN (2, 3, 4);
:stats_reset
SELECT e."申請番号", x.id, x.who FROM c.expense e JOIN c.expense_comments x ON x.record_id = e."$id"
 WHERE e."$id" IN (2, 3, 4) ORDER BY 1, 2;
:stats
SELECT e."申請番号", count(x.id) FROM c.expense e LEFT JOIN c.expense_comments x ON x.record_id = e."$id"
 GROUP BY 1 ORDER BY 1;

-- INSERT: one request per comment (Kintone has no bulk form for comments). 25 comments, then
-- read back in three pages of at most 10.
:stats_reset
INSERT INTO c.comments (app, record_id, text) SELECT 7, 5, 'comment ' || g FROM generate_series(1, 25) g;
:stats
:stats_reset
SELECT count(*), min(id), max(id), min(text), max(text), count(DISTINCT id) FROM c.comments WHERE app = 7 AND record_id = 5;
:stats
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) SELECT * FROM c.comments WHERE app = 7 AND record_id = 5;

-- Mentions: a JSON array of login names or of {"code", "type"}; RETURNING reads the comment
-- back and shows what Kintone stored.
INSERT INTO c.comments (app, record_id, text, mentions)
VALUES (7, 4, 'ご確認ください', '["sato", {"code": "managers", "type": "GROUP"}, {"code": "sales", "type": "ORGANIZATION"}]')
RETURNING *;
-- With a text[] column of login names.
CREATE FOREIGN TABLE c.notes (record_id bigint, id bigint, text text, mentions text[])
  SERVER emu_c OPTIONS (object 'comments', app '7');
INSERT INTO c.notes (record_id, text, mentions) VALUES (4, '二件目', ARRAY['tanaka']) RETURNING *;
COPY c.notes (record_id, text) FROM stdin;
4	copied
\.
SELECT id, text, mentions FROM c.notes WHERE record_id = 4 ORDER BY id;

-- Refused: a column Kintone fills, a missing record id or text, an unknown user (Kintone), a
-- record that does not exist (Kintone), a mention of a type Kintone does not know.
SELECT try($$INSERT INTO c.comments (app, record_id, id, text) VALUES (7, 4, 99, 'x')$$);
SELECT try($$INSERT INTO c.comments (app, text) VALUES (7, 'x')$$);
SELECT try($$INSERT INTO c.comments (app, record_id) VALUES (7, 4)$$);
SELECT try($$INSERT INTO c.comments (app, record_id, text, mentions) VALUES (7, 4, 'x', '["nobody"]')$$);
SELECT try($$INSERT INTO c.comments (app, record_id, text) VALUES (7, 9999, 'x')$$);
SELECT try($$INSERT INTO c.comments (app, record_id, text, mentions) VALUES (7, 4, 'x', '[{"code": "sato", "type": "ROLE"}]')$$);
SELECT try($$INSERT INTO c.expense_comments (record_id, text) VALUES (4, 'x') ON CONFLICT DO NOTHING$$);
-- A statement that fails on its third row has posted two comments: the error says so.
SELECT try($$INSERT INTO c.comments (app, record_id, text, mentions)
             VALUES (7, 8, 'a', NULL), (7, 8, 'b', NULL), (7, 8, 'c', '["nobody"]')$$);
SELECT id, text FROM c.comments WHERE app = 7 AND record_id = 8 ORDER BY id;

-- DELETE: one request per comment; yamada's own only (Kintone refuses someone else's).
:stats_reset
DELETE FROM c.comments WHERE app = 7 AND record_id = 5 AND id > 20 RETURNING record_id, id, text;
:stats
SELECT count(*), max(id) FROM c.comments WHERE app = 7 AND record_id = 5;
SELECT try($$DELETE FROM c.comments WHERE app = 7 AND record_id = 3 AND id = 1$$);
SELECT try($$DELETE FROM c.comments WHERE app = 7 AND record_id IN (4, 3)$$);
SELECT record_id, count(*) FROM c.comments WHERE app = 7 AND record_id IN (3, 4) GROUP BY 1 ORDER BY 1;
-- Kintone has no rollback: what a rolled-back (sub)transaction posted or deleted stays so.
BEGIN;
INSERT INTO c.comments (app, record_id, text) VALUES (7, 9, 'kept'), (7, 9, 'gone');
SAVEPOINT s;
DELETE FROM c.comments WHERE app = 7 AND record_id = 9 AND text = 'gone';
ROLLBACK TO s;
ROLLBACK;
SELECT id, text FROM c.comments WHERE app = 7 AND record_id = 9;

-- Comments cannot be edited in Kintone; a table without the comment id cannot delete.
SELECT try($$UPDATE c.comments SET text = 'x' WHERE app = 7 AND record_id = 4$$);
CREATE FOREIGN TABLE c.texts (record_id bigint, text text) SERVER emu_c OPTIONS (object 'comments', app '7');
SELECT try($$DELETE FROM c.texts WHERE record_id = 4$$);
-- A column that names no attribute of comments; an object Kintone tables do not have.
CREATE FOREIGN TABLE c.bad (record_id bigint, body text) SERVER emu_c OPTIONS (object 'comments', app '7');
SELECT try($$SELECT * FROM c.bad WHERE record_id = 4$$);
SELECT try($$CREATE FOREIGN TABLE c.worse (id bigint) SERVER emu_c OPTIONS (object 'comment')$$);

SET client_min_messages = warning;
DROP SCHEMA c CASCADE;
DROP SERVER emu_c CASCADE;
DROP FUNCTION try(text);
RESET client_min_messages;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
