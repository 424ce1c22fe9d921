-- A join of a records table with its subtable's rows table on the parent $id reads the app once
-- (docs/subtables.md, "Joins"): one scan asks Kintone for the records matching both tables'
-- pushed conditions, with the parent columns and the subtable, and emits a tuple per row with
-- the parent's columns repeated. Every answer here equals the two-scan plan's
-- (kintone_fdw.enable_join_pushdown = off). App 95 (LINES: sample app 6's form and records;
-- record 6 has no rows) of the regress seed, read only.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_sj FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_sj OPTIONS (username 'yamada', password 'yamada-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA sj;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records\\" in k))"'
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_sj INTO sj OPTIONS (apps '95');
SHOW kintone_fdw.enable_join_pushdown;

-- Runs a query with the join pushed down and again with two scans; the two results as
-- multisets: rows of each and how many differ.
CREATE FUNCTION sj_same(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  pushed bigint;
  two bigint;
  differ bigint;
BEGIN
  PERFORM set_config('kintone_fdw.enable_join_pushdown', 'on', true);
  EXECUTE format('CREATE TEMP TABLE sj_pushed AS %s', q);
  PERFORM set_config('kintone_fdw.enable_join_pushdown', 'off', true);
  EXECUTE format('CREATE TEMP TABLE sj_two AS %s', q);
  PERFORM set_config('kintone_fdw.enable_join_pushdown', 'on', true);
  SELECT count(*) INTO pushed FROM sj_pushed;
  SELECT count(*) INTO two FROM sj_two;
  SELECT count(*) INTO differ FROM ((TABLE sj_pushed EXCEPT ALL TABLE sj_two)
                                    UNION ALL (TABLE sj_two EXCEPT ALL TABLE sj_pushed)) d;
  DROP TABLE sj_pushed, sj_two;
  RETURN format('pushed %s rows, two scans %s rows, %s differ', pushed, two, differ);
END $$;

-- One scan: the Relations line names both tables; the fields are the parent's and the subtable.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o."$id", o.伝票番号, l."$row_index", l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id";
SELECT o."$id", o.伝票番号, o.受注日, l."$row_index", l.品目, l.数量
  FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" ORDER BY 1, 4;
-- Record 6 has no rows: it is not in an inner join.
SELECT sj_same($q$SELECT l.*, o.伝票番号, o."顧客ID", o.受注日, o.担当者, o.明細, o.合計, o.備考 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"$q$);
SELECT sj_same($q$SELECT o."$id", l."$row_id" FROM sj.lines_明細 l JOIN sj.lines o USING ("$id")$q$);
SELECT sj_same($q$SELECT count(*) AS n FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"$q$);

-- One read of the app instead of two.
:stats_reset
SELECT count(*) FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id";
:stats
SET kintone_fdw.enable_join_pushdown = off;
:stats_reset
SELECT count(*) FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id";
:stats
RESET kintone_fdw.enable_join_pushdown;

-- Conditions: the records table's go to Kintone as for a records scan (exact), the rows table's
-- as a superset (re-checked: Filter), joined with "and".
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE o."顧客ID" IN ('C001', 'C002') AND l.品目 = 'マウス';
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE o."顧客ID" IN ('C001', 'C002') AND l.品目 = 'マウス' ORDER BY 1, 2;
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE o."顧客ID" IN ('C001', 'C002') AND l.品目 = 'マウス'$q$);
SELECT sj_same($q$SELECT o."$id", l.品目, l.数量 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE l.数量 >= 5 AND l.品目 IN ('モニター', 'マウス')$q$);
-- Negative conditions on rows stay local; conditions on $id on either side go exactly.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE l.品目 <> 'マウス' AND o."$id" < 5;
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE l.品目 <> 'マウス' AND o."$id" < 5$q$);
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE l."$id" IN (2, 6, 7) AND l."$row_index" > 1$q$);
-- $id fixed on both sides by a constant: no join clause is left, the equivalence still joins.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" WHERE o."$id" = 2;
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE o."$id" = 2$q$);
-- A condition over both tables and other join clauses stay local (the ForeignScan's Filter).
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" AND l.数量 > o."$id"
  WHERE o.備考 IS NOT NULL OR l.品目 = 'ノートPC';
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l
  ON o."$id" = l."$id" AND l.数量 > o."$id" WHERE o.備考 IS NOT NULL OR l.品目 = 'ノートPC'$q$);
-- Conditions that match nothing on one side.
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE o.伝票番号 = 'Q-1006'$q$);
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE l.品目 = 'なし'$q$);

-- ORDER BY and LIMIT stay above the join (they count rows; Kintone counts records).
EXPLAIN (VERBOSE, COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  ORDER BY l.数量 DESC, l."$row_id" LIMIT 3;
SELECT o.伝票番号, l.品目, l.数量 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  ORDER BY l.数量 DESC, l."$row_id" LIMIT 3;
SET kintone_fdw.enable_join_pushdown = off;
SELECT o.伝票番号, l.品目, l.数量 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  ORDER BY l.数量 DESC, l."$row_id" LIMIT 3;
RESET kintone_fdw.enable_join_pushdown;
-- Aggregates over the join.
SELECT sj_same($q$SELECT o."顧客ID", sum(l.小計) AS amount, count(*) AS n FROM sj.lines o
  JOIN sj.lines_明細 l ON o."$id" = l."$id" GROUP BY 1$q$);

-- Under an Append (asynchronous execution), as the inner side of a nested loop (rescans), and
-- beside a local table.
EXPLAIN (COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" WHERE l.数量 > 5
UNION ALL
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" WHERE o."$id" = 1;
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" WHERE l.数量 > 5
UNION ALL
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" WHERE o."$id" = 1$q$);
CREATE TEMP TABLE wanted (item text, cust text);
INSERT INTO wanted VALUES ('マウス', 'C002'), ('モニター', 'C003'), ('ノートPC', NULL);
SELECT sj_same($q$SELECT w.item, o.伝票番号 FROM wanted w
  JOIN (sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id") ON l.品目 = w.item$q$);
-- Rescanned once per outer row with the outer values as parameters (on the parent, sent to
-- Kintone; on the rows, checked locally).
EXPLAIN (VERBOSE, COSTS OFF)
SELECT w.item, (SELECT string_agg(o.伝票番号, ',' ORDER BY o.伝票番号)
                  FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
                  WHERE l.品目 = w.item AND o."顧客ID" = w.cust) FROM wanted w;
SELECT w.item, (SELECT string_agg(o.伝票番号, ',' ORDER BY o.伝票番号)
                  FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
                  WHERE l.品目 = w.item AND o."顧客ID" = w.cust) FROM wanted w ORDER BY 1;
SELECT sj_same($q$SELECT w.item, (SELECT string_agg(o.伝票番号, ',' ORDER BY o.伝票番号)
                  FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
                  WHERE l.品目 = w.item AND o."顧客ID" = w.cust) AS nos FROM wanted w$q$);
-- A whole-row reference is not read by the one scan (the two-scan plan serves it).
EXPLAIN (COSTS OFF)
SELECT o FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id" WHERE l."$row_index" = 1;

-- Values known only at execution (a generic plan's parameter) on one side.
SET plan_cache_mode = force_generic_plan;
PREPARE lines_of(text) AS SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$id"
  WHERE o."顧客ID" = $1 ORDER BY 1, 2;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE lines_of('C002');
EXECUTE lines_of('C002');
EXECUTE lines_of('C004');
DEALLOCATE lines_of;
RESET plan_cache_mode;

-- Not pushed: an outer join, UPDATE, two apps, and a join not on the parent $id.
EXPLAIN (COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o LEFT JOIN sj.lines_明細 l ON o."$id" = l."$id";
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o LEFT JOIN sj.lines_明細 l ON o."$id" = l."$id"$q$);
EXPLAIN (COSTS OFF)
UPDATE sj.lines o SET 備考 = 'x' FROM sj.lines_明細 l WHERE o."$id" = l."$id" AND l.品目 = 'なし';
EXPLAIN (COSTS OFF)
SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$row_index";
SELECT sj_same($q$SELECT o.伝票番号, l.品目 FROM sj.lines o JOIN sj.lines_明細 l ON o."$id" = l."$row_index"$q$);
CREATE FOREIGN TABLE sj.other_app_rows ("$id" bigint, 品目 text) SERVER emu_sj OPTIONS (app '96', subtable 'rows');
EXPLAIN (COSTS OFF)
SELECT o.伝票番号 FROM sj.lines o JOIN sj.other_app_rows l ON o."$id" = l."$id";

DROP SCHEMA sj CASCADE;
DROP SERVER emu_sj CASCADE;
