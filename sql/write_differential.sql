-- Differential test of writes: the same pseudo-random (fixed seed) sequence of INSERT,
-- UPDATE and DELETE statements runs against a Kintone foreign table (app 99) and a local
-- table; afterwards both hold exactly the same rows. Statements mix batched writes,
-- RETURNING (row by row), pushed-down and local conditions, NULLs and arrays.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
-- The emulator back to its seed: this file starts from the seed whatever ran before.
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_wd FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_wd OPTIONS (username 'suzuki', password 'suzuki-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA wd;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_wd INTO wd OPTIONS (apps '99');
CREATE TABLE wd.local_copy (k numeric, t text, v numeric, d date, tags text[]);

-- A random value of each column, as SQL literals.
CREATE FUNCTION wd.rnd_t() RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN random() < 0.1 THEN 'NULL'
              ELSE quote_literal((ARRAY['alpha', 'Beta', 'gamma ', 'δ', 'x"y', 'back\slash', 'a''b'])[1 + floor(random() * 7)::int]
                                 || floor(random() * 5)::int) END $$;
CREATE FUNCTION wd.rnd_v() RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN random() < 0.1 THEN 'NULL' ELSE round((random() * 2000 - 1000)::numeric, floor(random() * 4)::int)::text END $$;
CREATE FUNCTION wd.rnd_d() RETURNS text LANGUAGE sql AS $$
  SELECT CASE WHEN random() < 0.1 THEN 'NULL' ELSE quote_literal(date '2025-01-01' + floor(random() * 700)::int) END $$;
CREATE FUNCTION wd.rnd_tags() RETURNS text LANGUAGE sql AS $$
  SELECT quote_literal((ARRAY['{}', '{a}', '{b}', '{c}', '{a,b}', '{a,c}', '{b,c}', '{a,b,c}'])[1 + floor(random() * 8)::int]) $$;
CREATE FUNCTION wd.rnd_cond() RETURNS text LANGUAGE sql AS $$
  SELECT (ARRAY[
    format('k %% %s = %s', 2 + floor(random() * 5)::int, floor(random() * 2)::int),
    format('v > %s', round((random() * 2000 - 1000)::numeric)),
    format('v <= %s OR v IS NULL', round((random() * 2000 - 1000)::numeric)),
    format('d < %L', date '2025-01-01' + floor(random() * 700)::int),
    format('t LIKE %L', (ARRAY['alpha%', 'Beta%', 'gamma %', '%1', '%''%'])[1 + floor(random() * 5)::int]),
    format('%L = ANY (tags)', (ARRAY['a', 'b', 'c'])[1 + floor(random() * 3)::int]),
    'tags = ''{}''',
    format('k BETWEEN %s AND %s', floor(random() * 300)::int, floor(random() * 300)::int + 40)
  ])[1 + floor(random() * 8)::int] $$;

-- Runs each generated statement on both tables; returns how many statements of each kind
-- ran and how many rows they changed (in the local table).
CREATE FUNCTION wd.run(steps int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  next_k int := 0;
  stmt text;
  vals text;
  n int;
  r float8;
  tbl text;
  counts int[] := '{0,0,0,0,0,0}';
  kind int;
  changed int;
BEGIN
  PERFORM setseed(0.4242);
  FOR step IN 1 .. steps LOOP
    r := random();
    IF r < 0.45 OR next_k < 50 THEN
      n := CASE WHEN random() < 0.2 THEN 150 + floor(random() * 100)::int ELSE 1 + floor(random() * 30)::int END;
      vals := '';
      FOR i IN 1 .. n LOOP
        next_k := next_k + 1;
        vals := vals || CASE WHEN i > 1 THEN ', ' ELSE '' END
             || format('(%s, %s, %s, %s, %s)', next_k, wd.rnd_t(), wd.rnd_v(), wd.rnd_d(), wd.rnd_tags());
      END LOOP;
      kind := 1;
      stmt := 'INSERT INTO @T@ (k, t, v, d, tags) VALUES ' || vals
              || CASE WHEN random() < 0.2 THEN ' RETURNING k' ELSE '' END;
    ELSIF r < 0.8 THEN
      kind := 2;
      stmt := (ARRAY[
        format('UPDATE @T@ SET v = %s WHERE %s', wd.rnd_v(), wd.rnd_cond()),
        format('UPDATE @T@ SET t = %s, d = %s WHERE %s', wd.rnd_t(), wd.rnd_d(), wd.rnd_cond()),
        format('UPDATE @T@ SET v = v + 1.5, tags = %s WHERE %s', wd.rnd_tags(), wd.rnd_cond()),
        format('UPDATE @T@ SET t = upper(t) WHERE %s RETURNING k', wd.rnd_cond())
      ])[1 + floor(random() * 4)::int];
    ELSE
      kind := 3;
      stmt := format('DELETE FROM @T@ WHERE %s', wd.rnd_cond())
              || CASE WHEN random() < 0.2 THEN ' RETURNING k, t' ELSE '' END;
    END IF;
    FOREACH tbl IN ARRAY ARRAY['wd.wdiff', 'wd.local_copy'] LOOP
      EXECUTE replace(stmt, '@T@', tbl);
      GET DIAGNOSTICS changed = ROW_COUNT;
    END LOOP;
    counts[kind] := counts[kind] + 1;
    counts[kind + 3] := counts[kind + 3] + changed;
  END LOOP;
  RETURN format('%s INSERT (%s rows), %s UPDATE (%s rows), %s DELETE (%s rows)',
                counts[1], counts[4], counts[2], counts[5], counts[3], counts[6]);
END $$;

SELECT wd.run(80) AS statements;

-- Identical contents: no row on one side only, and the same count.
SELECT 'only in Kintone' AS side, * FROM (
  SELECT k, t, v, d, tags FROM wd.wdiff EXCEPT ALL SELECT k, t, v, d, tags FROM wd.local_copy) a
UNION ALL
SELECT 'only local', * FROM (
  SELECT k, t, v, d, tags FROM wd.local_copy EXCEPT ALL SELECT k, t, v, d, tags FROM wd.wdiff) b
ORDER BY 1, 2;
SELECT (SELECT count(*) FROM wd.wdiff) AS kintone_rows, (SELECT count(*) FROM wd.local_copy) AS local_rows,
       (SELECT count(*) FROM wd.wdiff) > 100 AS enough_rows;

\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/reset >/dev/null
DROP SCHEMA wd CASCADE;
DROP SERVER emu_wd CASCADE;
