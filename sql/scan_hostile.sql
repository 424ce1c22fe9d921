-- Issue 11 item 4: nothing from a table definition can change a query's structure or crash the
-- backend. A field code is a Kintone field code (letters and digits, "_", "＿", "・", "･"; "$id"
-- and "$revision") or it is refused: by the validator at CREATE/ALTER FOREIGN TABLE, by IMPORT
-- FOREIGN SCHEMA, and again by the client's query printer for whatever reaches a query (a column
-- named like no field code, a catalog written around the validator). It used to be pasted into
-- the query: a code holding \x01 crashed EXPLAIN VERBOSE (the placeholder marker), and
-- field_code '$id > 0 or n' made "WHERE x = 5" return every record.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');

-- The validator.
CREATE FOREIGN TABLE h (x numeric OPTIONS (field_code E'n\x01')) SERVER emu OPTIONS (app '2');
CREATE FOREIGN TABLE h (x numeric OPTIONS (field_code '$id > 0 or n')) SERVER emu OPTIONS (app '2');
CREATE FOREIGN TABLE h (id bigint OPTIONS (field_code '$id'), x numeric OPTIONS (field_code '数量'))
  SERVER emu OPTIONS (app '2');
ALTER FOREIGN TABLE h ALTER COLUMN x OPTIONS (SET field_code 'n) or ($id > 0');
ALTER FOREIGN TABLE h ALTER COLUMN x OPTIONS (SET field_code '数量 limit 1');
ALTER FOREIGN TABLE h ALTER COLUMN x OPTIONS (SET field_code E'数量\u3000or');
ALTER FOREIGN TABLE h ALTER COLUMN x OPTIONS (SET field_code '単価');
SELECT count(*) FROM h WHERE x = 5;

-- A column without field_code is named like its field; a name that is no field code is refused
-- when a query uses the column (the table's other columns stay usable).
CREATE FOREIGN TABLE h_name (id bigint OPTIONS (field_code '$id'), "数量 or $id" numeric) SERVER emu OPTIONS (app '2');
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM h_name WHERE "数量 or $id" = 5;
SELECT * FROM h_name;
SELECT count(*) FROM h_name WHERE id < 4;

-- A catalog written around the validator (as before this check existed, or by hand): the
-- query is refused, never sent and never crashes.
UPDATE pg_attribute SET attfdwoptions = ARRAY[E'field_code=n\x01']
 WHERE attrelid = 'h'::regclass AND attname = 'x';
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM h WHERE x = 5;
SELECT id FROM h WHERE x = 5;
UPDATE pg_attribute SET attfdwoptions = ARRAY['field_code=$id > 0 or n']
 WHERE attrelid = 'h'::regclass AND attname = 'x';
SELECT count(*) FROM h WHERE x = 5;
SELECT x FROM h LIMIT 1;
DROP FOREIGN TABLE h, h_name;

-- IMPORT FOREIGN SCHEMA: a form whose field code could change a query is refused (the emulator
-- takes any code; Kintone would not make one like it).
\set app `test/emulator/emulator-ctl --auth Administrator:admin-pass POST /k/v1/preview/app.json '{"name": "hostile"}' --field app`
\setenv APP :app
\! test/emulator/emulator-ctl --auth Administrator:admin-pass POST /k/v1/preview/app/form/fields.json "{\"app\": $APP, \"properties\": {\"n or \$id > 0\": {\"type\": \"NUMBER\"}}}" > /dev/null
\! test/emulator/emulator-ctl --auth Administrator:admin-pass POST /k/v1/preview/app/deploy.json "{\"apps\": [{\"app\": $APP}]}" > /dev/null
CREATE SCHEMA hostile;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu INTO hostile OPTIONS (apps :'app');
SELECT count(*) FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid WHERE c.relnamespace = 'hostile'::regnamespace;
DROP SCHEMA hostile;

DROP SERVER emu CASCADE;
-- The app created here is not part of the seed the other files expect.
\! test/emulator/emulator-ctl POST /_emulator/reset > /dev/null
