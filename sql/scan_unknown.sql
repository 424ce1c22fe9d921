-- Issue 10: Kintone ignores field codes it does not know — a query's "fields" leaves them out
-- of every record and a write drops them — so a typo in field_code (or a column named after no
-- field) used to read NULL in every row, filter to nothing and "update" records without
-- changing them. It is an error naming the column and the table, with the app's closest field
-- codes as a hint: when planning needs the form, when a page lacks the field in every record
-- (confirmed by the form, so a correct table costs no extra request), when Kintone refuses a
-- condition on it (GAIA_IQ11), and before a write sends anything.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
-- Re-raises a statement's error without Kintone's random request id (stable output).
CREATE FUNCTION try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RAISE EXCEPTION USING ERRCODE = s, MESSAGE = '[' || s || '] ' || m,
    DETAIL = regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)'), HINT = h;
END $$;
-- The emulator's request counters (reset first).
\set stats_reset '\\! test/emulator/emulator-ctl POST /_emulator/stats/reset > /dev/null'

-- App 2 (ORDERS) declared by hand: a typo in the code of 数量, and a column named after no field.
CREATE FOREIGN TABLE typo (
    id bigint OPTIONS (field_code '$id'),
    rev bigint OPTIONS (field_code '$revision'),
    qty numeric OPTIONS (field_code '数理'),
    nosuch text,
    "単価" numeric
) SERVER emu OPTIONS (app '2');

-- Reading it: the first page lacks the field in every record, and the form confirms that the
-- app has no such field (it used to read NULL in every row).
SELECT try($$SELECT id, qty FROM typo ORDER BY id LIMIT 3$$);
SELECT try($$SELECT nosuch FROM typo$$);
-- A condition on it: the form read for the field's type has no such field.
SELECT try($$SELECT id FROM typo WHERE qty > 5$$);
SELECT try($$SELECT count(*) FROM typo WHERE qty IS NULL$$);
-- Declared with field_type (as IMPORT FOREIGN SCHEMA writes), the condition goes to Kintone,
-- which refuses the code (GAIA_IQ11): the same error instead of Kintone's.
CREATE FOREIGN TABLE typo_typed (id bigint OPTIONS (field_code '$id'),
    qty numeric OPTIONS (field_code '数理', field_type 'NUMBER')) SERVER emu OPTIONS (app '2');
SELECT try($$SELECT id FROM typo_typed WHERE qty > 5$$);
SELECT try($$SELECT count(*) FROM typo_typed WHERE qty > 5$$);
-- The table's other columns read as before; reading them costs no form request.
:stats_reset
SELECT id, rev, "単価" FROM typo ORDER BY id LIMIT 2;
SELECT count(*) FROM typo;
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT key, value FROM jsonb_each(:'stats'::jsonb -> 'requests') ORDER BY key;

-- A field that exists but is empty reads as NULL without an error (record 30 has every field
-- empty; the form confirms the fields).
CREATE FOREIGN TABLE c (id bigint OPTIONS (field_code '$id'), note text OPTIONS (field_code '備考'),
    contract date OPTIONS (field_code '契約日')) SERVER emu OPTIONS (app '1');
SELECT id, note, contract FROM c WHERE id = 30;
-- A subtable's inner field is not a field of the record: an error says which table holds it.
CREATE FOREIGN TABLE inner_field (id bigint OPTIONS (field_code '$id'), name text OPTIONS (field_code '氏名'))
  SERVER emu OPTIONS (app '1');
SELECT try($$SELECT id, name FROM inner_field ORDER BY id LIMIT 2$$);

-- Writes: the statement's columns are checked against the form before the first request, so
-- nothing is written (it used to answer UPDATE 1, raise $revision and change nothing).
:stats_reset
SELECT try($$UPDATE typo SET qty = 7 WHERE id = 1$$);
SELECT try($$INSERT INTO typo (qty, "単価") VALUES (7, 100)$$);
SELECT try($$INSERT INTO typo (nosuch) VALUES ('x')$$);
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT key, value FROM jsonb_each(:'stats'::jsonb -> 'requests') ORDER BY key;
SELECT id, rev FROM typo WHERE id = 1;
-- An UPDATE of the table's other columns reads whole rows (for triggers and RETURNING): the
-- unknown field stops it too, before anything is written. Fixed, the table writes.
SELECT try($$UPDATE typo SET "単価" = "単価" WHERE id = 1$$);
ALTER FOREIGN TABLE typo ALTER COLUMN qty OPTIONS (SET field_code '数量');
ALTER FOREIGN TABLE typo DROP COLUMN nosuch;
UPDATE typo SET qty = 7 WHERE id = 1;
SELECT id, rev, qty FROM typo WHERE id = 1;

DROP FUNCTION try(text);
DROP SERVER emu CASCADE;
-- Written records are not part of the seed the other files expect.
\! test/emulator/emulator-ctl POST /_emulator/reset > /dev/null
