-- Apps, spaces, fields, views and process settings as foreign tables (issue 13): IMPORT FOREIGN
-- SCHEMA kintone_meta; every table compared with what the emulator was seeded with
-- (test/emulator/sample-data.json); the keys Kintone filters on (apps by id, code, name, space;
-- app settings by app) sent to it and re-checked locally; joins answered per app; what an API
-- token may not list. The user yamada sees apps 1-4, 6, 7 of the sample data and 96, 97, 100 of
-- the regress seed (app 5 is restricted to others).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_m FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', language 'ja'); -- Kintone's names and messages in Japanese, as written below
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_m OPTIONS (username 'yamada', password 'yamada-pass');
SET timezone = 'UTC';
CREATE SCHEMA meta;
IMPORT FOREIGN SCHEMA kintone_meta FROM SERVER emu_m INTO meta;
\det+ meta.*
\d meta.fields
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted(r.items()))"'
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

-- The seed, as the emulator read it.
\set seed `cat test/emulator/sample-data.json`
CREATE TEMP TABLE seed AS SELECT :'seed'::jsonb AS doc;
CREATE TEMP VIEW seed_apps AS
  SELECT (a ->> 'id')::bigint AS id, coalesce(a ->> 'code', '') AS code, a ->> 'name' AS name,
         (a ->> 'space')::bigint AS space_id, a
    FROM seed, jsonb_array_elements(doc -> 'apps') a
   WHERE (a ->> 'id')::bigint <> 5;

-- Apps: the same as the seed (the regress seed adds 96, 97 and 100).
SELECT id, code, name, space_id, thread_id, created_at, creator_code, modifier_name FROM meta.apps ORDER BY id;
(SELECT id, code, name, space_id FROM meta.apps WHERE id < 96 EXCEPT SELECT id, code, name, space_id FROM seed_apps)
UNION ALL
(SELECT id, code, name, space_id FROM seed_apps EXCEPT SELECT id, code, name, space_id FROM meta.apps);

-- Kintone filters apps by ids, codes, name (a part, any case: a superset of "=", re-checked
-- locally) and spaces: one apps.json request, with the filters.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM meta.apps WHERE id IN (1, 7) AND space_id = 3;
:stats_reset
SELECT id, code FROM meta.apps WHERE id IN (1, 7) AND space_id = 3;
SELECT id, code FROM meta.apps WHERE code = 'EXPENSE';
SELECT id, name FROM meta.apps WHERE name = '管理';
SELECT id, name FROM meta.apps WHERE name = '顧客管理';
SELECT id FROM meta.apps WHERE code IN ('ORDERS', 'NOPE', 'orders');
:stats
-- Conditions Kintone cannot evaluate are only local.
SELECT id FROM meta.apps WHERE name LIKE '%管理%' ORDER BY id;
SELECT id FROM meta.apps WHERE id = 7 OR code = 'ORDERS' ORDER BY id;

-- Spaces: by id (space.json), or those of the apps the user reaches. A space Kintone will not
-- show is left out with a NOTICE.
SELECT id, name, is_guest, is_private, member_count, creator_code, attached_apps FROM meta.spaces ORDER BY id;
SELECT s.id, s.name FROM seed, jsonb_to_recordset(doc -> 'spaces') AS s(id bigint, name text)
EXCEPT SELECT id, name FROM meta.spaces;
SELECT id, name FROM meta.spaces WHERE id IN (3, 42);

-- Fields of app 7: code, label, type, required, unique and options as in the seed's form
-- (the system fields are Kintone's own).
SELECT code, label, type, subtable, required, "unique", options, enabled FROM meta.fields WHERE app = 7;
SELECT p.key AS code, p.value ->> 'label' AS label, p.value ->> 'type' AS type,
       coalesce((p.value ->> 'required')::boolean, false) AS required
  FROM seed_apps, jsonb_each(a -> 'properties') p WHERE id = 7
EXCEPT SELECT code, label, type, required FROM meta.fields WHERE app = 7;
-- Subtable members, lookups.
SELECT code, type, subtable FROM meta.fields WHERE app = 6 AND (subtable IS NOT NULL OR type = 'SUBTABLE');
SELECT code, lookup -> 'relatedApp' ->> 'app' AS related_app, lookup -> 'fieldMappings' AS mappings
  FROM meta.fields WHERE app = 4 AND lookup IS NOT NULL;
-- A table for one app (option app), with the columns it needs.
CREATE FOREIGN TABLE expense_fields (code text, type text, props jsonb OPTIONS (field_code 'properties'))
  SERVER emu_m OPTIONS (object 'fields', app '7');
SELECT code, type, props ->> 'minValue' AS min_value FROM expense_fields WHERE type = 'NUMBER';

-- Views, statuses and actions of app 7, compared with the seed.
SELECT app, id IS NOT NULL AS has_id, name, type, index, fields, filter_cond, sort FROM meta.views WHERE app = 7;
SELECT v.key, v.value ->> 'type', (v.value ->> 'index')::int, v.value ->> 'sort'
  FROM seed_apps, jsonb_each(a -> 'views') v WHERE id = 7
EXCEPT SELECT name, type, index, sort FROM meta.views WHERE app = 7;
SELECT name, localized_name, index, assignee_type, assignees, enabled FROM meta.statuses WHERE app = 7 ORDER BY index;
SELECT s.key, (s.value ->> 'index')::int, s.value -> 'assignee' ->> 'type'
  FROM seed_apps, jsonb_each(a -> 'process_management' -> 'states') s WHERE id = 7
EXCEPT SELECT name, index, assignee_type FROM meta.statuses WHERE app = 7;
SELECT index, name, from_status, to_status, filter_cond, type, executable_users FROM meta.actions WHERE app = 7 ORDER BY index;
SELECT x.name, x."from", x."to", coalesce(x."filterCond", ''), coalesce(x.type, 'PRIMARY')
  FROM seed_apps, jsonb_to_recordset(a -> 'process_management' -> 'actions')
       AS x(name text, "from" text, "to" text, "filterCond" text, type text) WHERE id = 7
EXCEPT SELECT name, from_status, to_status, filter_cond, type FROM meta.actions WHERE app = 7;
-- An app without process management has no statuses.
SELECT count(*) FROM meta.statuses WHERE app = 1;

-- Which records may take which action now: a join of records with the actions table.
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_m INTO meta OPTIONS (apps '7');
SELECT e."申請番号", e."ステータス", string_agg(a.name, ', ' ORDER BY a.index) AS actions
  FROM meta.expense e JOIN meta.actions a ON a.app = 7 AND a.from_status = e."ステータス"
 WHERE e."$id" <= 4 GROUP BY 1, 2 ORDER BY 1;

-- Without an app: every app the user reaches, one read each (app 3 is in a guest space: its
-- first read is refused with GAIA_IL23, then its guest path answers).
:stats_reset
SELECT app, count(*) FROM meta.views GROUP BY 1 ORDER BY 1;
:stats
-- A join over apps: the fields are read per app by a parameterized nested loop.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT a.code, f.code FROM meta.apps a JOIN meta.fields f ON f.app = a.id WHERE a.space_id = 3 AND f.required;
:stats_reset
SELECT a.code, f.code FROM meta.apps a JOIN meta.fields f ON f.app = a.id WHERE a.space_id = 3 AND f.required ORDER BY 1, 2;
:stats

-- A guest space: the tables read through its path.
CREATE SCHEMA guest;
IMPORT FOREIGN SCHEMA kintone_meta LIMIT TO (apps, fields) FROM SERVER emu_m INTO guest OPTIONS (guest_space_id '2');
SELECT id, name, space_id FROM guest.apps;
SELECT count(*) FROM guest.fields WHERE app = 3;
SELECT try($$IMPORT FOREIGN SCHEMA kintone_meta LIMIT TO (tables) FROM SERVER emu_m INTO guest$$);
SELECT try($$IMPORT FOREIGN SCHEMA kintone_meta FROM SERVER emu_m INTO guest OPTIONS (apps '1')$$);
IMPORT FOREIGN SCHEMA kintone_meta EXCEPT (apps, fields, comments) FROM SERVER emu_m INTO guest;
\det guest.*

-- Read only; not analyzable; apps.json does not take API tokens (Kintone's rule).
SELECT try($$INSERT INTO meta.apps (id) VALUES (1)$$);
SELECT try($$DELETE FROM meta.fields WHERE app = 7$$);
ANALYZE meta.apps;
CREATE SERVER emu_tok FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', language 'ja'); -- Kintone's names and messages in Japanese, as written below
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_tok OPTIONS (api_token 'expensefulltoken');
CREATE FOREIGN TABLE token_apps (id bigint, name text) SERVER emu_tok OPTIONS (object 'apps');
CREATE FOREIGN TABLE token_fields (app bigint, code text) SERVER emu_tok OPTIONS (object 'fields');
SELECT try($$SELECT * FROM token_apps$$);
SELECT count(*) FROM token_fields WHERE app = 7;
CREATE FOREIGN TABLE bad_app (id bigint) SERVER emu_tok OPTIONS (object 'apps', app '7');
SELECT try($$SELECT * FROM bad_app$$);

SET client_min_messages = warning;
DROP SCHEMA meta CASCADE;
DROP SCHEMA guest CASCADE;
DROP SERVER emu_m CASCADE;
DROP SERVER emu_tok CASCADE;
DROP FUNCTION try(text);
RESET client_min_messages;
