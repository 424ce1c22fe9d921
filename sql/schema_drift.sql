-- kintone_schema_drift (issue 13): a foreign table compared with its app's form as Kintone holds
-- it now, after fields are added, removed and retyped through the emulator's admin API (the
-- preview form, then a deploy). App 96 (DRIFT) of the regress seed: title, n (NUMBER), day
-- (DATE), tags (CHECK_BOX); yamada administers it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_d FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_d OPTIONS (username 'yamada', password 'yamada-pass');
CREATE SCHEMA d;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_d INTO d OPTIONS (apps '96');
-- A table written by hand: no field_type options, only its column types.
CREATE FOREIGN TABLE d.hand (id bigint OPTIONS (field_code '$id'), title text, n numeric, day date, tags text[])
  SERVER emu_d OPTIONS (app '96');
-- The admin API is called as yamada (X-Cybozu-Authorization: base64 of yamada:yamada-pass).

-- As imported: nothing differs.
SELECT * FROM kintone_schema_drift('d.drift');
SELECT * FROM kintone_schema_drift('d.hand');
SELECT title, n, day FROM d.drift;

-- day is removed, n becomes a text field (removed and added again), memo and score are added.
\! curl -s -o /dev/null -H "X-Cybozu-Authorization: eWFtYWRhOnlhbWFkYS1wYXNz" -H "Content-Type: application/json" -X DELETE -d '{"app": 96, "fields": ["day", "n"]}' $KINTONE_EMULATOR_URL/k/v1/preview/app/form/fields.json
\! curl -s -o /dev/null -H "X-Cybozu-Authorization: eWFtYWRhOnlhbWFkYS1wYXNz" -H "Content-Type: application/json" -X POST -d '{"app": 96, "properties": {"n": {"type": "SINGLE_LINE_TEXT", "code": "n", "label": "n"}, "memo": {"type": "MULTI_LINE_TEXT", "code": "memo", "label": "memo"}, "score": {"type": "NUMBER", "code": "score", "label": "score"}}}' $KINTONE_EMULATOR_URL/k/v1/preview/app/form/fields.json
-- Before the deploy the live form is unchanged.
SELECT count(*) FROM kintone_schema_drift('d.drift');
\! curl -s -o /dev/null -H "X-Cybozu-Authorization: eWFtYWRhOnlhbWFkYS1wYXNz" -H "Content-Type: application/json" -X POST -d '{"apps": [{"app": 96}]}' $KINTONE_EMULATOR_URL/k/v1/preview/app/deploy.json

-- Read at once, never from a cache.
SELECT * FROM kintone_schema_drift('d.drift') ORDER BY change, field_code;
SELECT * FROM kintone_schema_drift('d.hand') ORDER BY change, field_code;
-- The check a nightly job runs first: what would break it (new fields do not).
SELECT count(*) AS breaking FROM kintone_schema_drift('d.drift') WHERE change <> 'new field';

-- A column moved into a subtable; a CALC with a date format in a numeric column.
\! curl -s -o /dev/null -H "X-Cybozu-Authorization: eWFtYWRhOnlhbWFkYS1wYXNz" -H "Content-Type: application/json" -X POST -d '{"app": 96, "properties": {"lines": {"type": "SUBTABLE", "code": "lines", "label": "lines", "fields": {"day": {"type": "DATE", "code": "day", "label": "day"}}}, "due": {"type": "CALC", "code": "due", "label": "due", "expression": "title", "format": "DATE"}}}' $KINTONE_EMULATOR_URL/k/v1/preview/app/form/fields.json
\! curl -s -o /dev/null -H "X-Cybozu-Authorization: eWFtYWRhOnlhbWFkYS1wYXNz" -H "Content-Type: application/json" -X POST -d '{"apps": [{"app": 96}]}' $KINTONE_EMULATOR_URL/k/v1/preview/app/deploy.json
ALTER FOREIGN TABLE d.hand ADD COLUMN due numeric;
SELECT column_name, field_code, change, column_type, field_type FROM kintone_schema_drift('d.hand') ORDER BY change, field_code;

-- Privileges and the kinds of table it takes.
CREATE ROLE kfdw_drift_nobody;
GRANT USAGE ON SCHEMA d TO kfdw_drift_nobody;
SET ROLE kfdw_drift_nobody;
SELECT * FROM kintone_schema_drift('d.drift');
RESET ROLE;
CREATE FOREIGN TABLE d.apps (id bigint) SERVER emu_d OPTIONS (object 'apps');
SELECT * FROM kintone_schema_drift('d.apps');

SET client_min_messages = warning;
DROP OWNED BY kfdw_drift_nobody;
DROP ROLE kfdw_drift_nobody;
DROP SCHEMA d CASCADE;
DROP SERVER emu_d CASCADE;
RESET client_min_messages;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
