-- Writes under OAuth: Kintone refuses bulkRequest to OAuth clients (contract §3.4), so a
-- statement's records go in separate calls of at most 100 records (records.json POST, PUT,
-- DELETE), and a statement is atomic only up to 100 records. App 99 is the write apps'
-- differential app; this file adds records with k >= 500000 and removes them again.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"records.json\\" in k or \\"bulk\\" in k))"'

CREATE SERVER wo_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER wo_srv OPTIONS (oauth_client_id 'kfdw-client',
  oauth_client_secret 'kfdw-client-secret', oauth_redirect_uri 'https://localhost/callback');
CREATE FOREIGN TABLE wo (id bigint OPTIONS (field_code '$id'), k numeric OPTIONS (field_type 'NUMBER'),
  t text OPTIONS (field_type 'SINGLE_LINE_TEXT'), v numeric OPTIONS (field_type 'NUMBER'),
  tags text[] OPTIONS (field_type 'CHECK_BOX'))
  SERVER wo_srv OPTIONS (app '99');
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "suzuki", "scope": "k:app_record:read k:app_record:write", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('wo_srv', :'code') AS scope;
SELECT count(*) AS before FROM wo \gset

-- 250 records: three records.json calls (100 + 100 + 50), no bulkRequest.
EXPLAIN (COSTS OFF) INSERT INTO wo (k, t, v) SELECT 500000 + g, 'oauth ' || g, g FROM generate_series(1, 250) g;
:stats_reset
INSERT INTO wo (k, t, v) SELECT 500000 + g, 'oauth ' || g, g FROM generate_series(1, 250) g;
:stats
SELECT count(*) - :before AS added, sum(v) FROM wo WHERE k >= 500000;

-- UPDATE of 150 records: two PUT calls; DELETE of 250: three DELETE calls.
:stats_reset
UPDATE wo SET t = 'updated' WHERE k > 500100;
:stats
SELECT t = 'updated' AS updated, count(*) FROM wo WHERE k >= 500000 GROUP BY 1 ORDER BY 1;
:stats_reset
DELETE FROM wo WHERE k >= 500000;
:stats
SELECT count(*) = :before AS back_to_before FROM wo;

-- One bad record in the second call of a statement: the first 100 records are written, the
-- error says so (without bulkRequest a statement is atomic only up to 100 records).
CREATE FUNCTION wo_try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL;
  RAISE EXCEPTION USING ERRCODE = s, MESSAGE = '[' || s || '] ' || m,
    DETAIL = regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
END $$;
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT wo_try($$INSERT INTO wo (k, t, tags) SELECT 500000 + g, 'bad',
  CASE WHEN g = 150 THEN ARRAY['no such option'] ELSE ARRAY['a'] END FROM generate_series(1, 200) g$$);
\set SHOW_CONTEXT errors
SELECT count(*) AS written FROM wo WHERE k >= 500000;
DELETE FROM wo WHERE k >= 500000;

SELECT kintone_oauth_forget('wo_srv');
DROP SERVER wo_srv CASCADE;
DROP FUNCTION wo_try(text);
