-- Values Kintone cannot store are refused by kintone_fdw before anything is sent, with an
-- error naming the column and the row (not Kintone's generic CB_VA01): NaN, infinities,
-- numbers of 1e30 or more or non-zero below 1e-30 in a NUMBER field, 24:00 in a TIME field.
-- Values Kintone does store still go through. Lossy conversions (seconds, which Kintone does
-- not keep) are announced once per statement. Apps 98 and 99 are restored at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_v FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_v OPTIONS (username 'suzuki', password 'suzuki-pass');
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
CREATE SCHEMA v;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_v INTO v OPTIONS (apps '98, 99');
-- Runs a statement and re-raises its error without Kintone's random request id.
CREATE FUNCTION v.try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE m text; d text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RAISE EXCEPTION USING MESSAGE = m, DETAIL = regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
END $$;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records.json\\" in k or \\"bulk\\" in k))"'

-- NUMBER (app 99's v has no maximum): refused before any request, naming column and row.
:stats_reset
INSERT INTO v.wdiff (k, v) VALUES (1, 'NaN');
INSERT INTO v.wdiff (k, v) VALUES (1, 1), (2, 'Infinity');
INSERT INTO v.wdiff (k, v) VALUES (1, '-Infinity');
INSERT INTO v.wdiff (k, v) VALUES (1, 1e30);
INSERT INTO v.wdiff (k, v) VALUES (1, -1234567890123456789012345678901);
INSERT INTO v.wdiff (k, v) VALUES (1, 1e-31);
INSERT INTO v.wdiff (k, v) VALUES (1, 1e-1000);
:stats
SELECT count(*) FROM v.wdiff;

-- Numbers Kintone stores are sent as they are: 30 digits, 1e-30, a long fraction.
INSERT INTO v.wdiff (k, v) VALUES
  (1, 999999999999999999999999999999), (2, -999999999999999999999999999999), (3, 1e-30),
  (4, 0.1234567890123456789012345678901234567890), (5, 0), (6, -0.5);
SELECT k, v FROM v.wdiff ORDER BY k;

-- Other column types: float8 infinities and 1e300, a text column declared NUMBER.
CREATE FOREIGN TABLE v.floats (id bigint OPTIONS (field_code '$id'), k int, v double precision)
SERVER emu_v OPTIONS (app '99');
INSERT INTO v.floats (k, v) VALUES (7, 'Infinity');
INSERT INTO v.floats (k, v) VALUES (7, 'NaN');
INSERT INTO v.floats (k, v) VALUES (7, 1e300);
INSERT INTO v.floats (k, v) VALUES (7, 2.5e-3) RETURNING k, v;
CREATE FOREIGN TABLE v.texts (id bigint OPTIONS (field_code '$id'), k int, v text OPTIONS (field_type 'NUMBER'))
SERVER emu_v OPTIONS (app '99');
INSERT INTO v.texts (k, v) VALUES (8, ' nan ');
-- Anything else that is no number is Kintone's to refuse (it names the field).
SELECT v.try($$INSERT INTO v.texts (k, v) VALUES (8, 'abc')$$);
INSERT INTO v.texts (k, v) VALUES (8, ' 42 ') RETURNING k, v;

-- UPDATE is checked the same way; the record keeps its value.
UPDATE v.wdiff SET v = 'NaN' WHERE k = 5;
SELECT k, v FROM v.wdiff WHERE k = 5;

-- TIME: 24:00 (PostgreSQL's end of day) is not a Kintone time; a text field takes the text.
:stats_reset
INSERT INTO v.writes (title, tm) VALUES ('midnight', '24:00');
INSERT INTO v.writes (title, tm) VALUES ('ok', '10:00'), ('end of day', '24:00:00');
:stats
INSERT INTO v.writes (title, tm) VALUES ('last minute', '23:59') RETURNING title, tm;
CREATE FOREIGN TABLE v.times (id bigint OPTIONS (field_code '$id'), title text, tm time OPTIONS (field_code 'note'))
SERVER emu_v OPTIONS (app '98');
INSERT INTO v.times (title, tm) VALUES ('24:00 as text', '24:00') RETURNING title, tm;

-- In a statement of more than 2,000 rows, the refusal of row 2,100 comes after the first
-- chunk was sent (statements above 2,000 rows are not atomic): the error says so.
INSERT INTO v.wdiff (k, v) SELECT 100 + i, CASE WHEN i = 2100 THEN 'NaN'::numeric ELSE i END
FROM generate_series(1, 2200) i;
SELECT count(*) FROM v.wdiff WHERE k > 100;

-- Seconds: Kintone keeps times and date-times to the minute. They are dropped, as Kintone
-- does, and one NOTICE per statement says how many values lost them.
INSERT INTO v.writes (title, tm, at) VALUES
  ('seconds 1', '10:00:30', '2026-01-01 10:00:30+00'),
  ('seconds 2', '10:01:00', '2026-01-01 10:01:00.5+00'),
  ('seconds 3', '10:02', '2026-01-01 10:02+00');
SELECT title, tm, at FROM v.writes WHERE title LIKE 'seconds %' ORDER BY title;
UPDATE v.writes SET at = at + interval '1 minute' WHERE title LIKE 'seconds %';
UPDATE v.writes SET at = at + interval '90 seconds' WHERE title LIKE 'seconds %';
SELECT title, at FROM v.writes WHERE title LIKE 'seconds %' ORDER BY title;

-- Restore apps 98 and 99 for the next test file.
\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/reset >/dev/null
DROP SCHEMA v CASCADE;
DROP SERVER emu_v CASCADE;
