-- OAuth end to end against the emulator: the authorization URL, the code exchange (the
-- emulator's control shortcut stands in for the browser), reads incl. more than 10,000
-- records by seek on $id (Kintone refuses the cursor API to OAuth clients), expiry on the
-- emulator clock with automatic refresh across sessions, a refresh that survives the abort of
-- its transaction and works in a read-only one, manual refresh, a revoked refresh token, and
-- forgetting the tokens. Tokens live in $PGDATA/kintone_fdw/oauth/<server oid>_<user oid>.json.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
SET timezone = 'Asia/Tokyo';
-- Helpers: the change of the emulator's OAuth counters between two snapshots, and the
-- emulator clock moved by an interval.
CREATE FUNCTION oauth_delta(before json, after json) RETURNS text LANGUAGE sql AS $$
  SELECT format('refreshes %s, bearer tokens refused %s, code exchanges %s',
    (after->>'refresh_token_grants')::int - (before->>'refresh_token_grants')::int,
    (after->>'bearer_rejected')::int - (before->>'bearer_rejected')::int,
    (after->>'authorization_code_grants')::int - (before->>'authorization_code_grants')::int) $$;
CREATE FUNCTION oauth_clock(shift interval) RETURNS text LANGUAGE sql AS $$
  SELECT to_char((now() AT TIME ZONE 'UTC') + shift, 'YYYY-MM-DD"T"HH24:MI:SS"Z"') $$;
\set o0 `test/emulator/emulator-ctl GET /_emulator/oauth`

CREATE SERVER o_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER o_srv OPTIONS (oauth_client_id 'kfdw-client',
  oauth_client_secret 'kfdw-client-secret', oauth_redirect_uri 'https://localhost/callback');
CREATE FOREIGN TABLE o_orders (id bigint OPTIONS (field_code '$id'), no text OPTIONS (field_code '受注番号'),
  qty numeric OPTIONS (field_code '数量')) SERVER o_srv OPTIONS (app '2');
CREATE FOREIGN TABLE o_big (id bigint OPTIONS (field_code '$id'), n numeric, label text) SERVER o_srv OPTIONS (app '100');

-- Step 1: the URL to open in a browser (client id, redirect URI, state, scope; no secret).
SELECT replace(kintone_oauth_authorization_url('o_srv', 'state-123'), :'emulator_url', 'EMU') AS url;
SELECT length(kintone_oauth_authorization_url('o_srv')) > length(:'emulator_url') AS random_state;
-- Before authorising, a scan says what to do.
SELECT count(*) FROM o_orders;

-- Step 2: the code Kintone appended to the redirect URI, exchanged for tokens.
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "sato", "scope": "k:app_record:read k:app_settings:read", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('o_srv', :'code') AS scope;
-- A code is good once.
\set VERBOSITY terse
SELECT kintone_oauth_exchange_code('o_srv', :'code');
\set VERBOSITY default
-- Where the tokens live: a file under the data directory, readable by the server only.
SELECT format('%s/kintone_fdw/oauth/%s_%s.json', current_setting('data_directory'),
  (SELECT oid FROM pg_foreign_server WHERE srvname = 'o_srv'), (SELECT oid FROM pg_roles WHERE rolname = current_user))
  AS token_file \gset
SELECT array_agg(k ORDER BY k) AS stored FROM json_object_keys(pg_read_file(:'token_file')::json) k;

-- Reads under OAuth: Bearer token, no cursor. More than 10,000 records by seek on $id; an
-- order other than $id is sorted locally instead of by a Kintone cursor.
SELECT id, no, qty FROM o_orders ORDER BY id LIMIT 3;
\! test/emulator/emulator-ctl POST /_emulator/stats/reset > /dev/null
SELECT count(*) AS records, count(DISTINCT id) AS ids, sum(id) AS sum_ids FROM (SELECT id FROM o_big) s;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, label FROM o_big ORDER BY label DESC, id LIMIT 3;
SELECT id, label FROM o_big ORDER BY label DESC, id LIMIT 3;
\set stats `test/emulator/emulator-ctl GET /_emulator/stats`
SELECT coalesce(sum(value::int), 0) AS cursor_requests FROM json_each_text((:'stats'::json)->'requests') WHERE key LIKE '%cursor%';
SELECT coalesce(sum(value::int), 0) AS record_requests FROM json_each_text((:'stats'::json)->'requests') WHERE key LIKE '%/records.json';

-- The access token expires (the emulator clock moves 2 hours on): Kintone answers 401, the
-- scan refreshes the token, stores it and sends the request again.
\set o1 `test/emulator/emulator-ctl GET /_emulator/oauth`
SELECT oauth_delta(:'o0', :'o1');
\set o0 :o1
SELECT oauth_clock('2 hours') AS t \gset
\setenv CLOCK :t
\! test/emulator/emulator-ctl POST /_emulator/clock "{\"now\": \"$CLOCK\"}" > /dev/null
SELECT count(*) FROM o_orders;
\set o1 `test/emulator/emulator-ctl GET /_emulator/oauth`
SELECT oauth_delta(:'o0', :'o1');
\set o0 :o1

-- Another session finds the stored tokens; when they expire again it refreshes them too.
\c
SET timezone = 'Asia/Tokyo';
SELECT count(*) FROM o_orders;
SELECT oauth_clock('4 hours') AS t \gset
\setenv CLOCK :t
\! test/emulator/emulator-ctl POST /_emulator/clock "{\"now\": \"$CLOCK\"}" > /dev/null
SELECT count(*) FROM o_orders;
\set o1 `test/emulator/emulator-ctl GET /_emulator/oauth`
SELECT oauth_delta(:'o0', :'o1');
\set o0 :o1

-- Refresh tokens rotate (the old one stops working): a refresh inside a transaction that then
-- aborts is not lost, and a read-only transaction can refresh too.
\! test/emulator/emulator-ctl POST /_emulator/oauth/config '{"rotate_refresh_tokens": true}' > /dev/null
SELECT oauth_clock('6 hours') AS t \gset
\setenv CLOCK :t
\! test/emulator/emulator-ctl POST /_emulator/clock "{\"now\": \"$CLOCK\"}" > /dev/null
BEGIN;
SELECT count(*) FROM o_orders;
ROLLBACK;
\c
SET timezone = 'Asia/Tokyo';
SELECT oauth_clock('8 hours') AS t \gset
\setenv CLOCK :t
\! test/emulator/emulator-ctl POST /_emulator/clock "{\"now\": \"$CLOCK\"}" > /dev/null
BEGIN READ ONLY;
SELECT count(*) FROM o_orders;
COMMIT;
\set o1 `test/emulator/emulator-ctl GET /_emulator/oauth`
SELECT oauth_delta(:'o0', :'o1');
\set o0 :o1
\! test/emulator/emulator-ctl POST /_emulator/oauth/config '{"rotate_refresh_tokens": false}' > /dev/null

-- A manual refresh.
SELECT kintone_oauth_refresh('o_srv') AS scope;
\set o1 `test/emulator/emulator-ctl GET /_emulator/oauth`
SELECT oauth_delta(:'o0', :'o1');
\set o0 :o1
SELECT count(*) FROM o_orders;

-- The refresh token revoked (and the access token expired): a clear error, no secret.
SELECT format('%s/kintone_fdw/oauth/%s_%s.json', current_setting('data_directory'),
  (SELECT oid FROM pg_foreign_server WHERE srvname = 'o_srv'), (SELECT oid FROM pg_roles WHERE rolname = current_user))
  AS token_file \gset
SELECT pg_read_file(:'token_file')::json->>'refresh_token' AS rt \gset
\setenv RT :rt
\! test/emulator/emulator-ctl POST /_emulator/oauth/revoke "{\"refresh_token\": \"$RT\"}" > /dev/null
\setenv RT
SELECT oauth_clock('10 hours') AS t \gset
\setenv CLOCK :t
\! test/emulator/emulator-ctl POST /_emulator/clock "{\"now\": \"$CLOCK\"}" > /dev/null
SELECT count(*) FROM o_orders;
SELECT kintone_oauth_refresh('o_srv');

-- Authorising again recovers; forgetting the tokens deletes the file.
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "sato", "scope": "k:app_record:read k:app_settings:read", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('o_srv', :'code') AS scope;
SELECT count(*) FROM o_orders;
SELECT kintone_oauth_forget('o_srv') AS forgotten, kintone_oauth_forget('o_srv') AS again;
SELECT count(*) FROM o_orders;

-- A narrower scope: reading the form needs k:app_settings:read; the hint says so.
ALTER USER MAPPING FOR CURRENT_USER SERVER o_srv OPTIONS (ADD oauth_scope 'k:app_record:read');
SELECT replace(kintone_oauth_authorization_url('o_srv', 's'), :'emulator_url', 'EMU') AS url;
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "sato", "scope": "k:app_record:read", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('o_srv', :'code') AS scope;
\c
DO $$
DECLARE
  hint text;
BEGIN
  PERFORM id FROM o_orders WHERE no = 'O-0001';
EXCEPTION WHEN insufficient_privilege THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RAISE NOTICE '%', SQLERRM;
  RAISE NOTICE 'hint: %', hint;
END $$;
ALTER USER MAPPING FOR CURRENT_USER SERVER o_srv OPTIONS (DROP oauth_scope);

-- A wrong client secret is named (never shown).
ALTER USER MAPPING FOR CURRENT_USER SERVER o_srv OPTIONS (SET oauth_client_secret 'wrong-client-throwaway');
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "sato", "scope": "k:app_record:read k:app_settings:read", "redirect_uri": "https://localhost/callback"}' --field code`
\set VERBOSITY terse
SELECT kintone_oauth_exchange_code('o_srv', :'code');
\set VERBOSITY default

\! test/emulator/emulator-ctl POST /_emulator/clock '{"now": null}' > /dev/null

-- A PUBLIC user mapping: each PostgreSQL user authorises for themselves and has their own
-- tokens; a role that is not a superuser cannot read the token files.
CREATE SERVER o_pub FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR PUBLIC SERVER o_pub OPTIONS (oauth_client_id 'kfdw-client',
  oauth_client_secret 'kfdw-client-secret', oauth_redirect_uri 'https://localhost/callback');
CREATE FOREIGN TABLE o_pub_orders (id bigint OPTIONS (field_code '$id'), no text OPTIONS (field_code '受注番号',
  field_type 'SINGLE_LINE_TEXT')) SERVER o_pub OPTIONS (app '2');
CREATE ROLE kintone_oauth_r2;
GRANT USAGE ON FOREIGN SERVER o_pub TO kintone_oauth_r2;
GRANT SELECT ON o_pub_orders TO kintone_oauth_r2;
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "sato", "scope": "k:app_record:read k:app_settings:read", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('o_pub', :'code') AS scope;
SELECT count(*) FROM o_pub_orders;
-- Tables of several apps imported under OAuth (app.json and the form need k:app_settings:read).
CREATE SCHEMA o_imp;
IMPORT FOREIGN SCHEMA kintone FROM SERVER o_pub INTO o_imp OPTIONS (apps '1, 2');
SELECT foreign_table_name FROM information_schema.foreign_tables WHERE foreign_table_schema = 'o_imp' ORDER BY 1;
SELECT count(*) FROM o_imp.orders;
SET ROLE kintone_oauth_r2;
SELECT count(*) FROM o_pub_orders;
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "tanaka", "scope": "k:app_record:read k:app_settings:read", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('o_pub', :'code') AS scope;
SELECT count(*) FROM o_pub_orders;
SELECT format('%s/kintone_fdw/oauth/%s_%s.json', '.', (SELECT oid FROM pg_foreign_server WHERE srvname = 'o_pub'),
  (SELECT oid FROM pg_roles WHERE rolname = current_user)) AS own_file \gset
\set VERBOSITY terse
SELECT pg_read_file(:'own_file');
\set VERBOSITY default
SELECT kintone_oauth_forget('o_pub') AS forgotten;
RESET ROLE;
SELECT count(*) FROM o_pub_orders;
SELECT kintone_oauth_forget('o_pub') AS forgotten;
DROP SCHEMA o_imp CASCADE;
DROP SERVER o_pub CASCADE;
DROP ROLE kintone_oauth_r2;

DROP FUNCTION oauth_clock(interval);
DROP FUNCTION oauth_delta(json, json);
DROP SERVER o_srv CASCADE;
