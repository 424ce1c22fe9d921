-- Process management from SQL (issue 13): kintone_run_action on one record and on 250 in one
-- statement (one bulkRequest; the requests counted by the emulator), actions refused before
-- anything is sent (not available in the status, a condition not met, a missing record), what
-- Kintone refuses (no assignee given), a status of type ALL that moves only with its last
-- assignee, assignee changes, an atomic bulkRequest that fails, and calls one by one under OAuth
-- where a failure leaves the earlier calls done and says so. App 97 (APPROVALS) of the regress
-- seed: 300 records in 申請中 created by yamada; records 291..300 have 金額 >= 100000.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_p FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', language 'ja'); -- Kintone's names and messages in Japanese, as written below
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_p OPTIONS (username 'yamada', password 'yamada-pass');
CREATE SCHEMA p;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_p INTO p OPTIONS (apps '7, 97');
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
-- The emulator's request counters for the calls of this feature.
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"status\\" in k or \\"records\\" in k or \\"bulk\\" in k or \\"assignees\\" in k))"'

SELECT "ステータス", count(*), min("$id"), max("$id") FROM p.approvals GROUP BY 1;

-- One record. Requests: the settings in both languages (records hold default names, the API
-- takes the caller's), the record's status and revision, its condition (金額 < 100000) asked
-- of Kintone, the action, the record read back.
:stats_reset
SELECT * FROM kintone_run_action('p.approvals', ARRAY[1], '承認する');
:stats

-- 250 records in one statement: one bulkRequest of 3 calls (100 + 100 + 50), all or nothing;
-- the reads go 100 ids at a time.
:stats_reset
SELECT count(*), bool_and(moved), min(id), max(id), min(status), max(status_before)
  FROM kintone_run_action('p.approvals', ARRAY(SELECT "$id" FROM p.approvals
                                               WHERE "ステータス" = '申請中' ORDER BY "$id" LIMIT 250), '承認する');
:stats
SELECT "ステータス", count(*) FROM p.approvals GROUP BY 1 ORDER BY 1;

-- Not available in the record's status: refused before anything is sent, naming the record
-- and the actions it has; the other records of the statement are not touched either.
:stats_reset
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[252, 1, 2, 253], '承認する')$$);
:stats
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[253], '完了する')$$);
-- A condition Kintone evaluates (金額 < 100000) that records 295..300 do not meet.
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[289, 290, 295, 296, 297, 298, 299, 300], '承認する')$$);
SELECT "$id", "ステータス" FROM p.approvals WHERE "$id" IN (289, 290, 295) ORDER BY 1;
-- Records that do not exist; NULL and bad ids; no records at all.
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[253, 9998, 9999], '却下する')$$);
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[253, NULL], '却下する')$$);
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[-4], '却下する')$$);
SELECT * FROM kintone_run_action('p.approvals', '{}', '却下する');
-- Duplicates run once.
SELECT id, status_before, status FROM kintone_run_action('p.approvals', ARRAY[253, 253, 254], '却下する');
-- Names in the caller's language: yamada's is Japanese; the English name is not his.
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[255], 'Reject')$$);

-- The next status takes one assignee among its candidates (yamada, sato): Kintone refuses the
-- action without one, and one who is not a candidate; nothing moved.
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[255], '確認に回す')$$);
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[255], '確認に回す', 'tanaka')$$);
SELECT * FROM kintone_run_action('p.approvals', ARRAY[255], '確認に回す', 'sato');
SELECT "$id", "ステータス", "作業者" FROM p.approvals WHERE "$id" = 255;

-- Assignees: record/assignees.json, one record per call, 20 calls per bulkRequest.
:stats_reset
SELECT * FROM kintone_set_assignees('p.approvals', ARRAY[255, 256, 257], ARRAY['yamada', 'sato', 'yamada']);
:stats
SELECT "$id", "作業者" FROM p.approvals WHERE "$id" BETWEEN 255 AND 257 ORDER BY 1;
SELECT * FROM kintone_set_assignees('p.approvals', ARRAY[257], '{}');
SELECT try($$SELECT * FROM kintone_set_assignees('p.approvals', ARRAY[256, 257], ARRAY['nobody'])$$);
SELECT try($$SELECT * FROM kintone_set_assignees('p.approvals', ARRAY[256], NULL)$$);

-- A status of type ALL (経費精算 承認待ち: every user of 承認者 must approve): an assignee's
-- action takes only him off the list; the record moves with the last one.
SELECT * FROM kintone_set_assignees('p.expense', ARRAY[3], ARRAY['yamada', 'suzuki']);
SELECT id, status_before, status, assignees, moved FROM kintone_run_action('p.expense', ARRAY[3], '承認');

-- A bulkRequest Kintone refuses is all or nothing: 250 records back to 申請中 (its assignee,
-- the creator, is given: Kintone wants one when a record returns to the first status), refused.
\! curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"match": "bulkRequest", "count": 1, "code": "GAIA_LT01", "status": 503}' $KINTONE_EMULATOR_URL/_emulator/faults
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY(SELECT g FROM generate_series(2, 251) g), '差し戻す', 'yamada')$$);
SELECT "ステータス", count(*) FROM p.approvals WHERE "$id" BETWEEN 2 AND 251 GROUP BY 1;

-- Under OAuth there is no bulkRequest: 100 records per call, each atomic by itself. The second
-- call fails: the first 100 records moved and stay moved, and the error says which.
CREATE SERVER emu_po FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', language 'ja'); -- Kintone's names and messages in Japanese, as written below
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_po OPTIONS (oauth_client_id 'kfdw-client',
  oauth_client_secret 'kfdw-client-secret', oauth_redirect_uri 'https://localhost/callback');
CREATE FOREIGN TABLE approvals_oauth ("$id" bigint, "ステータス" text) SERVER emu_po OPTIONS (app '97');
\set code `test/emulator/emulator-ctl POST /_emulator/oauth/code '{"client_id": "kfdw-client", "user": "yamada", "scope": "k:app_record:read k:app_record:write k:app_settings:read", "redirect_uri": "https://localhost/callback"}' --field code`
SELECT kintone_oauth_exchange_code('emu_po', :'code') AS scope;
\! curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d '{"match": "records/status", "skip": 1, "count": 1, "code": "GAIA_LT01", "status": 503}' $KINTONE_EMULATOR_URL/_emulator/faults
:stats_reset
SELECT try($$SELECT * FROM kintone_run_action('approvals_oauth', ARRAY(SELECT g FROM generate_series(2, 251) g), '差し戻す', 'yamada')$$);
:stats
SELECT "ステータス", count(*), min("$id"), max("$id") FROM approvals_oauth WHERE "$id" BETWEEN 2 AND 251 GROUP BY 1 ORDER BY 1;
\! curl -s -o /dev/null -X DELETE $KINTONE_EMULATOR_URL/_emulator/faults

-- The rest goes through, call by call.
:stats_reset
SELECT count(*), bool_and(moved) FROM kintone_run_action('approvals_oauth', ARRAY(SELECT g FROM generate_series(102, 251) g), '差し戻す', 'yamada');
:stats

-- Kintone has no rollback: a transaction rolled back after an action says what stays done.
BEGIN;
SELECT id, status FROM kintone_run_action('p.approvals', ARRAY[258, 259], '却下する');
SELECT id, assignees FROM kintone_set_assignees('p.approvals', ARRAY[260], ARRAY['sato']);
ROLLBACK;
SELECT "$id", "ステータス", "作業者" FROM p.approvals WHERE "$id" BETWEEN 258 AND 260 ORDER BY 1;

-- Privileges: running an action needs UPDATE on the table; a table of another kind is refused.
CREATE ROLE kfdw_process_reader;
GRANT USAGE ON SCHEMA p TO kfdw_process_reader;
GRANT SELECT ON p.approvals TO kfdw_process_reader;
SET ROLE kfdw_process_reader;
SELECT try($$SELECT * FROM kintone_run_action('p.approvals', ARRAY[258], '却下する')$$);
RESET ROLE;
CREATE FOREIGN TABLE approvals_apps (id bigint) SERVER emu_p OPTIONS (object 'apps');
SELECT try($$SELECT * FROM kintone_run_action('approvals_apps', ARRAY[1], '却下する')$$);
SELECT try($$SELECT * FROM kintone_run_action('pg_class', ARRAY[1], '却下する')$$);

SELECT kintone_oauth_forget('emu_po') AS forgotten;
SET client_min_messages = warning;
DROP OWNED BY kfdw_process_reader;
DROP ROLE kfdw_process_reader;
DROP SCHEMA p CASCADE;
DROP SERVER emu_p CASCADE;
DROP SERVER emu_po CASCADE;
DROP FUNCTION try(text);
RESET client_min_messages;
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
