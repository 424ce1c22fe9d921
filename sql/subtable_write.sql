-- Writing a subtable's rows (docs/subtables.md, "Writing"): INSERT, UPDATE, DELETE and COPY on
-- a rows table are a read-modify-write of each parent record — the parents' current rows read
-- again, the statement's changes applied, the other rows kept with their ids, one record update
-- per parent (2,000 per request, all or nothing) carrying the revision the statement's scan
-- read, so that a change in between fails with 40001 and nothing written. Then the differential
-- test of issue 12: one random INSERT/UPDATE/DELETE sequence on a rows table and on a local
-- copy ends with the same rows, and the rows not changed keep their ids. Apps 95 (LINES, after
-- sql/subtable.sql has read it) and 96 (LINEDIFF, empty) of the regress seed.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_sw FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_sw OPTIONS (username 'yamada', password 'yamada-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA sw;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records\\" in k or \\"bulk\\" in k))"'
\set fault '\\! curl -s -X POST -H "Content-Type: application/json" $KINTONE_EMULATOR_URL/_emulator/faults -d'
\set faults_clear '\\! curl -s -X DELETE $KINTONE_EMULATOR_URL/_emulator/faults >/dev/null'

IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_sw INTO sw OPTIONS (apps '95, 96');
-- A statement's error: SQLSTATE, message and DETAIL (the emulator's port and request ids removed).
CREATE FUNCTION sw.try(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; n bigint; line text;
BEGIN
  EXECUTE statement;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN NEXT 'ok: ' || n || ' rows';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RETURN NEXT s || ': ' || m;
  FOR line IN SELECT x FROM regexp_split_to_table(coalesce(d, ''), E'\n') x LOOP
    RETURN NEXT '  ' || regexp_replace(regexp_replace(line, 'localhost:[0-9]+', 'localhost:PORT', 'g'),
                                       'request id [A-Za-z0-9_-]+', 'request id (random)', 'g');
  END LOOP;
END $$;
-- The rows and revisions before, to show which rows keep their ids.
CREATE TEMP TABLE before AS SELECT "$id", "$row_id", "$row_index", 品目, 数量 FROM sw.lines_明細;
CREATE TEMP TABLE rev_before AS SELECT "$id", "$revision" FROM sw.lines;
CREATE VIEW changes AS
  SELECT coalesce(b."$id", a."$id") AS id, b."$row_index" AS old_index, a."$row_index" AS new_index,
         a.品目, a.数量, a.小計,
         CASE WHEN b."$row_id" IS NULL THEN 'new' WHEN a."$row_id" IS NULL THEN 'deleted'
              WHEN (a.品目, a.数量) IS DISTINCT FROM (b.品目, b.数量) THEN 'changed' ELSE 'kept' END AS what
    FROM before b FULL JOIN sw.lines_明細 a ON a."$row_id" = b."$row_id";

-- INSERT: new rows at the end of their record, or at "$row_index"; several rows of one record
-- in one statement are one record update; the record without rows (6) gets its first.
EXPLAIN (VERBOSE, COSTS OFF)
INSERT INTO sw.lines_明細 ("$id", 品目, 数量, 単価) VALUES (6, 'マウス', 1, 2500);
:stats_reset
INSERT INTO sw.lines_明細 ("$id", "$row_index", 品目, 数量, 単価) VALUES
  (6, NULL, 'マウス', 1, 2500),
  (3, 1, 'ケーブル', 1, 900),
  (3, NULL, 'モニター', 1, 32000),
  (6, 1, 'ノートPC', 1, 180000);
:stats
SELECT * FROM changes WHERE id IN (3, 6) ORDER BY id, new_index;
-- The parents' other fields are untouched; each record was updated once.
SELECT l."$id", l."$revision" - r."$revision" AS updates, l.合計
  FROM sw.lines l JOIN rev_before r USING ("$id") ORDER BY 1;
-- "$row_index" past the end appends.
INSERT INTO sw.lines_明細 ("$id", "$row_index", 品目) VALUES (5, 99, 'キーボード');
SELECT "$row_index", 品目 FROM sw.lines_明細 WHERE "$id" = 5 ORDER BY 1;
-- COPY is an INSERT.
COPY sw.lines_明細 ("$id", 品目, 数量, 単価) FROM stdin;
5	USBケーブル	2	900
8	USBケーブル	1	900
\.
SELECT "$id", "$row_index", 品目 FROM sw.lines_明細 WHERE "$id" IN (5, 8) ORDER BY 1, 2;

-- UPDATE: inner fields only; the CALC 小計 is recomputed by Kintone; other rows keep their ids.
TRUNCATE before;
INSERT INTO before SELECT "$id", "$row_id", "$row_index", 品目, 数量 FROM sw.lines_明細;
EXPLAIN (VERBOSE, COSTS OFF) UPDATE sw.lines_明細 SET 数量 = 数量 + 1 WHERE "$id" = 2 AND 数量 < 3;
:stats_reset
UPDATE sw.lines_明細 SET 数量 = 数量 + 1 WHERE "$id" = 2 AND 数量 < 3;
:stats
SELECT * FROM changes WHERE id = 2 ORDER BY new_index;
-- Rows of several records in one statement: one request (one records.json call).
:stats_reset
UPDATE sw.lines_明細 SET 品目 = 'マウス（黒）' WHERE 品目 = 'マウス';
:stats
SELECT what, count(*) FROM changes GROUP BY 1 ORDER BY 1;
-- UPDATE ... FROM a local table; a row the join gives twice is updated once.
CREATE TEMP TABLE prices (name text, price numeric);
INSERT INTO prices VALUES ('モニター', 30000), ('モニター', 30000), ('キーボード', 6500);
UPDATE sw.lines_明細 l SET 単価 = p.price FROM prices p WHERE p.name = l.品目 AND l."$id" IN (2, 3);
SELECT "$id", "$row_index", 品目, 単価, 小計 FROM sw.lines_明細 WHERE "$id" IN (2, 3) ORDER BY 1, 2;

-- A BEFORE ROW trigger's changes are sent too.
CREATE FUNCTION sw.price_one() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.単価 := 1; RETURN NEW; END $$;
CREATE TRIGGER price_one BEFORE UPDATE ON sw.lines_明細 FOR EACH ROW EXECUTE FUNCTION sw.price_one();
UPDATE sw.lines_明細 SET 数量 = 4 WHERE "$id" = 8 AND "$row_index" = 1;
DROP TRIGGER price_one ON sw.lines_明細;
SELECT "$row_index", 品目, 数量, 単価, 小計 FROM sw.lines_明細 WHERE "$id" = 8 ORDER BY 1;

-- DELETE: the other rows stay, with their ids and positions closing up.
TRUNCATE before;
INSERT INTO before SELECT "$id", "$row_id", "$row_index", 品目, 数量 FROM sw.lines_明細;
:stats_reset
DELETE FROM sw.lines_明細 WHERE 品目 LIKE 'USB%';
:stats
SELECT id, old_index, new_index, 品目, what FROM changes WHERE id IN (1, 4) ORDER BY id, old_index;
SELECT what, count(*) FROM changes GROUP BY 1 ORDER BY 1;
-- Every row of a record: its table is empty, the record stays. EXPLAIN ANALYZE counts the read
-- of the parents with the requests.
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) DELETE FROM sw.lines_明細 WHERE "$id" = 6;
SELECT count(*) AS rows_of_6, (SELECT count(*) FROM sw.lines WHERE "$id" = 6) AS record_6
  FROM sw.lines_明細 WHERE "$id" = 6;
-- A statement that changes nothing sends nothing.
:stats_reset
DELETE FROM sw.lines_明細 WHERE 品目 = 'none';
:stats

-- Concurrency: the revision the scan read goes with the update. A change of the record between
-- the scan and the write (here by the statement itself, through the records table) fails the
-- statement with 40001 before anything of it is sent.
CREATE FUNCTION sw.touch(id bigint) RETURNS int LANGUAGE plpgsql AS $$
BEGIN
  UPDATE sw.lines SET 備考 = 'touched' WHERE "$id" = id;
  RETURN 1;
END $$;
TRUNCATE before;
INSERT INTO before SELECT "$id", "$row_id", "$row_index", 品目, 数量 FROM sw.lines_明細;
SET client_min_messages = error; -- (the WARNING that touch()'s write stays written)
SELECT sw.try($$UPDATE sw.lines_明細 SET 数量 = 数量 + sw.touch("$id") WHERE "$id" = 7 AND "$row_index" = 1$$);
RESET client_min_messages;
SELECT "$id", 備考 FROM sw.lines WHERE "$id" = 7;
SELECT what, count(*) FROM changes GROUP BY 1 ORDER BY 1;
SELECT 数量 FROM sw.lines_明細 WHERE "$id" = 7 ORDER BY "$row_index";
-- Kintone refuses the revision (GAIA_CO02, here a canned answer): 40001, nothing written.
:fault '{"match": "records.json", "method": "PUT", "code": "GAIA_CO02", "count": 1}' >/dev/null
SELECT sw.try($$DELETE FROM sw.lines_明細 WHERE "$id" = 7$$);
:faults_clear
SELECT count(*) FROM sw.lines_明細 WHERE "$id" = 7;
-- The answer to the write is lost after Kintone wrote it: the statement says it may have written.
:fault '{"match": "records.json", "method": "PUT", "after": true, "drop_connection": true, "count": 1}' >/dev/null
SELECT sw.try($$UPDATE sw.lines_明細 SET 数量 = 9 WHERE "$id" = 7 AND "$row_index" = 1$$);
:faults_clear
SELECT 数量 FROM sw.lines_明細 WHERE "$id" = 7 AND "$row_index" = 1;

-- Refusals, before anything is sent.
:stats_reset
INSERT INTO sw.lines_明細 ("$id", 品目) VALUES (1, 'x') RETURNING "$row_id";
UPDATE sw.lines_明細 SET 数量 = 1 WHERE "$id" = 1 RETURNING *;
DELETE FROM sw.lines_明細 WHERE "$id" = 1 RETURNING *;
UPDATE sw.lines_明細 SET "$id" = 2 WHERE "$id" = 1;
UPDATE sw.lines_明細 SET "$row_index" = 1 WHERE "$id" = 1;
UPDATE sw.lines_明細 SET "$row_id" = 1 WHERE "$id" = 1;
UPDATE sw.lines_明細 SET 小計 = 1 WHERE "$id" = 1;
INSERT INTO sw.lines_明細 (品目) VALUES ('x');
INSERT INTO sw.lines_明細 ("$id", 品目) VALUES (1, 'x'), (NULL, 'y');
INSERT INTO sw.lines_明細 ("$id", "$row_id", 品目) VALUES (1, 5, 'x');
INSERT INTO sw.lines_明細 ("$id", "$row_index", 品目) VALUES (1, 0, 'x');
CREATE FOREIGN TABLE sw.rows_no_id (parent bigint OPTIONS (field_code '$id'), item text OPTIONS (field_code '品目'))
  SERVER emu_sw OPTIONS (app '95', subtable '明細');
UPDATE sw.rows_no_id SET item = 'x';
DELETE FROM sw.rows_no_id;
INSERT INTO sw.rows_no_id VALUES (1, 'x') ON CONFLICT DO NOTHING;
:stats
-- A parent that does not exist: found when the parents are read, before the write.
INSERT INTO sw.lines_明細 ("$id", 品目) VALUES (1, 'x'), (999, 'y');
SELECT count(*) FROM sw.lines_明細 WHERE 品目 IN ('x', 'y');
-- Kintone refuses the write (a canned validation error): nothing written.
:fault '{"match": "records.json", "method": "PUT", "code": "CB_VA01", "count": 1}' >/dev/null
SELECT sw.try($$INSERT INTO sw.lines_明細 ("$id", 品目) VALUES (1, 'x'), (2, 'y')$$);
:faults_clear
SELECT count(*) FROM sw.lines_明細 WHERE 品目 IN ('x', 'y');

-- More than 100 parents: one bulkRequest of 100-record calls (all or nothing), after one read of
-- the parents (500 per request).
INSERT INTO sw.linediff (k) SELECT 100 + g FROM generate_series(1, 150) g;
:stats_reset
INSERT INTO sw.linediff_rows ("$id", t) SELECT "$id", 'bulk' FROM sw.linediff WHERE k > 100;
:stats
SELECT count(*), count(DISTINCT "$id") FROM sw.linediff_rows WHERE t = 'bulk';
-- A bulkRequest refused (canned): nothing of it written.
:fault '{"match": "bulkRequest", "code": "GAIA_CO02", "count": 1}' >/dev/null
SELECT sw.try($$UPDATE sw.linediff_rows SET v = 1 WHERE t = 'bulk'$$);
:faults_clear
SELECT count(*) FROM sw.linediff_rows WHERE t = 'bulk' AND v IS NOT NULL;
:stats_reset
DELETE FROM sw.linediff_rows WHERE t = 'bulk';
:stats
DELETE FROM sw.linediff WHERE k > 100;

-- Differential (issue 12, Tests): the same seeded random sequence of INSERT, UPDATE and DELETE
-- statements on the rows of app 96 and on a local copy ends with the same rows, in the same
-- order, and every row the sequence did not delete keeps its id.
INSERT INTO sw.linediff (k) SELECT g FROM generate_series(1, 6) g;
CREATE TEMP TABLE parents AS SELECT "$id" AS id, k FROM sw.linediff;
CREATE TEMP TABLE loc (id bigint, row_id bigint, ord int, t text, v numeric, d date);
CREATE TEMP TABLE tally (op text, statements int DEFAULT 0, rows int DEFAULT 0);
INSERT INTO tally (op) VALUES ('insert'), ('update'), ('delete');
CREATE TEMP TABLE idcheck (step int, rows bigint, changed_ids bigint);
DO $$
DECLARE
  step int;
  r float8;
  p bigint;
  n int;
  idx int;
  val int;
  cnt int;
BEGIN
  PERFORM setseed(0.1212);
  FOR step IN 1..60 LOOP
    r := random();
    idx := 1 + floor(random() * 6)::int;
    p := (SELECT id FROM parents WHERE k = idx);
    n := (SELECT count(*) FROM loc WHERE id = p);
    val := floor(random() * 100)::int;
    IF r < 0.45 OR n = 0 THEN
      -- one or two rows into one record, appended or at a position
      idx := CASE WHEN random() < 0.5 THEN NULL ELSE 1 + floor(random() * (n + 1))::int END;
      INSERT INTO sw.linediff_rows ("$id", "$row_index", t, v, d)
        VALUES (p, idx, 's' || step, val, DATE '2026-01-01' + val);
      UPDATE loc SET ord = ord + 1 WHERE id = p AND idx IS NOT NULL AND ord >= idx;
      INSERT INTO loc VALUES (p, NULL, coalesce(idx, n + 1), 's' || step, val, DATE '2026-01-01' + val);
      UPDATE tally SET statements = statements + 1, rows = rows + 1 WHERE op = 'insert';
    ELSIF r < 0.60 THEN
      -- one row by position
      idx := 1 + floor(random() * n)::int;
      UPDATE sw.linediff_rows SET v = val, t = t || '+' WHERE "$id" = p AND "$row_index" = idx;
      UPDATE loc SET v = val, t = t || '+' WHERE id = p AND ord = idx;
      UPDATE tally SET statements = statements + 1, rows = rows + 1 WHERE op = 'update';
    ELSIF r < 0.75 THEN
      -- rows of several records by an inner field
      UPDATE sw.linediff_rows SET v = v + 1, d = NULL WHERE v < val;
      GET DIAGNOSTICS cnt = ROW_COUNT;
      UPDATE loc SET v = v + 1, d = NULL WHERE v < val;
      UPDATE tally SET statements = statements + 1, rows = rows + cnt WHERE op = 'update';
    ELSIF r < 0.90 THEN
      -- one row by position
      idx := 1 + floor(random() * n)::int;
      DELETE FROM sw.linediff_rows WHERE "$id" = p AND "$row_index" = idx;
      DELETE FROM loc WHERE id = p AND ord = idx;
      UPDATE tally SET statements = statements + 1, rows = rows + 1 WHERE op = 'delete';
    ELSE
      -- rows of several records
      DELETE FROM sw.linediff_rows WHERE v > 90 - val / 10;
      GET DIAGNOSTICS cnt = ROW_COUNT;
      DELETE FROM loc WHERE v > 90 - val / 10;
      UPDATE tally SET statements = statements + 1, rows = rows + cnt WHERE op = 'delete';
    END IF;
    UPDATE loc l SET ord = s.o
      FROM (SELECT id, ord, row_number() OVER (PARTITION BY id ORDER BY ord) AS o FROM loc) s
      WHERE l.id = s.id AND l.ord = s.ord AND l.ord <> s.o;
    -- Every row that existed before this statement and is still there has the same id.
    INSERT INTO idcheck
      SELECT step, count(*), count(*) FILTER (WHERE x."$row_id" IS DISTINCT FROM l.row_id)
        FROM loc l LEFT JOIN sw.linediff_rows x ON x."$id" = l.id AND x."$row_index" = l.ord
        WHERE l.row_id IS NOT NULL;
    -- The new rows' ids, for the next steps.
    UPDATE loc l SET row_id = x."$row_id" FROM sw.linediff_rows x
      WHERE l.row_id IS NULL AND x."$id" = l.id AND x."$row_index" = l.ord;
  END LOOP;
END $$;
SELECT op, statements, rows FROM tally ORDER BY op;
SELECT count(*) AS rows, count(DISTINCT "$id") AS records FROM sw.linediff_rows;
-- Identical content, in order.
SELECT count(*) AS differences FROM (
  (SELECT "$id", "$row_index", t, v, d FROM sw.linediff_rows EXCEPT ALL SELECT id, ord, t, v, d FROM loc)
  UNION ALL
  (SELECT id, ord, t, v, d FROM loc EXCEPT ALL SELECT "$id", "$row_index", t, v, d FROM sw.linediff_rows)) x;
-- After each statement, the rows that were there before and not deleted had kept their ids.
SELECT count(*) AS statements, sum(rows) AS rows_checked, sum(changed_ids) AS changed_ids FROM idcheck;

DROP SCHEMA sw CASCADE;
DROP SERVER emu_sw CASCADE;
