-- Connecting and authentication against the emulator over plain http (loopback): API tokens
-- (several, for a lookup across apps), password, the domain's Basic layer on top of either,
-- guest spaces, a proxy with authentication, the user agent and keep-alive reuse, and errors
-- that name the credential Kintone refused. Wrong values are throwaway strings.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
\getenv proxy_url KINTONE_TEST_PROXY_URL
SET timezone = 'Asia/Tokyo';

-- API tokens. App 4 looks up app 1: its token and app 1's go together in one header.
CREATE SERVER m_tok FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', user_agent 'kfdw-auth-test/1');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (api_token 'app4fulltoken, app1viewtoken');
CREATE FOREIGN TABLE m_inquiries (id bigint OPTIONS (field_code '$id'), customer text OPTIONS (field_code '顧客ID'),
  company text OPTIONS (field_code '会社名')) SERVER m_tok OPTIONS (app '4');
\! test/emulator/emulator-ctl POST /_emulator/requests/reset > /dev/null
SELECT id, customer, company FROM m_inquiries ORDER BY id LIMIT 3;
SELECT count(*) FROM m_inquiries;
-- Both tokens in every request, our user agent, and one keep-alive connection for both queries.
\set reqs `test/emulator/emulator-ctl GET /_emulator/requests`
SELECT (r->'auth')::text AS auth, r->>'api_tokens' AS tokens, r->>'user_agent' AS agent, count(*) > 0 AS seen
  FROM json_array_elements((:'reqs'::json)->'requests') r GROUP BY 1, 2, 3;
SELECT (:'reqs'::json)->>'connections' AS connections;

-- A token Kintone does not know, and two tokens of one app: the error names the API tokens.
\set VERBOSITY terse
ALTER USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (SET api_token 'app4fulltoken,unknownthrowaway1');
SELECT count(*) FROM m_inquiries;
ALTER USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (SET api_token 'app1fulltoken,app1viewtoken');
SELECT count(*) FROM m_inquiries;
\set VERBOSITY default
-- SQLSTATE 28000; DETAIL carries Kintone's message, code and request id, never the token.
ALTER USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (SET api_token 'unknownthrowaway2');
DO $$
DECLARE
  detail text;
  hint text;
BEGIN
  PERFORM count(*) FROM m_inquiries;
EXCEPTION WHEN invalid_authorization_specification THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL, hint = PG_EXCEPTION_HINT;
  RAISE NOTICE 'SQLSTATE %, code in detail: %, token in detail: %', SQLSTATE, detail LIKE '%code GAIA_IA02%',
    detail LIKE '%unknownthrowaway2%';
  RAISE NOTICE 'hint: %', hint;
END $$;

-- Password (X-Cybozu-Authorization), and a wrong one.
CREATE SERVER m_pw FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (username 'sato', password 'sato-pass');
CREATE FOREIGN TABLE m_orders (id bigint OPTIONS (field_code '$id'), no text OPTIONS (field_code '受注番号'))
  SERVER m_pw OPTIONS (app '2');
SELECT id, no FROM m_orders ORDER BY id LIMIT 2;
ALTER USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (SET password 'wrong-throwaway-pw');
\set VERBOSITY terse
SELECT count(*) FROM m_orders;
\set VERBOSITY default
ALTER USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (SET password 'sato-pass');

-- The domain's Basic layer, switched on at run time, on top of a token and of a password.
\! test/emulator/emulator-ctl POST /_emulator/basic_auth '{"user": "domain-gate", "password": "basic-gate-pass-7781"}' > /dev/null
\set VERBOSITY terse
SELECT count(*) FROM m_orders;
\set VERBOSITY default
ALTER USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (ADD basic_auth_user 'domain-gate', ADD basic_auth_password 'basic-gate-pass-7781');
SELECT count(*) FROM m_orders;
ALTER USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (SET api_token 'app4fulltoken,app1viewtoken',
  ADD basic_auth_user 'domain-gate', ADD basic_auth_password 'basic-gate-pass-7781');
SELECT count(*) FROM m_inquiries;
ALTER USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (SET basic_auth_password 'wrong-basic-throwaway');
\set VERBOSITY terse
SELECT count(*) FROM m_inquiries;
\set VERBOSITY default
\! test/emulator/emulator-ctl POST /_emulator/basic_auth '{"user": null}' > /dev/null
ALTER USER MAPPING FOR CURRENT_USER SERVER m_tok OPTIONS (DROP basic_auth_user, DROP basic_auth_password);
ALTER USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (DROP basic_auth_user, DROP basic_auth_password);

-- Guest spaces: app 3 lives in guest space 2, named on the server or on the table.
CREATE SERVER m_guest FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', guest_space_id '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_guest OPTIONS (username 'Administrator', password 'admin-pass');
CREATE FOREIGN TABLE m_guest_app (id bigint OPTIONS (field_code '$id'), name text OPTIONS (field_code '案件名'))
  SERVER m_guest OPTIONS (app '3');
SELECT id, name FROM m_guest_app ORDER BY id LIMIT 2;
CREATE SERVER m_pw2 FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER m_pw2 OPTIONS (username 'Administrator', password 'admin-pass');
CREATE FOREIGN TABLE m_guest_tab (id bigint OPTIONS (field_code '$id'), name text OPTIONS (field_code '案件名'))
  SERVER m_pw2 OPTIONS (app '3', guest_space_id '2');
SELECT id, name FROM m_guest_tab ORDER BY id LIMIT 2;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM m_guest_tab;
-- Without the guest space, Kintone refuses the app (GAIA_IL23).
CREATE FOREIGN TABLE m_guest_none (id bigint OPTIONS (field_code '$id')) SERVER m_pw2 OPTIONS (app '3');
\set VERBOSITY terse
SELECT count(*) FROM m_guest_none;
\set VERBOSITY default

-- Through an authenticating proxy: the proxy counts what it forwarded.
ALTER SERVER m_pw OPTIONS (ADD proxy :'proxy_url');
\! test/emulator/emulator-ctl --url "$KINTONE_TEST_PROXY_URL" POST /_proxy/stats/reset > /dev/null
\set VERBOSITY terse
SELECT count(*) FROM m_orders;
\set VERBOSITY default
ALTER USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (ADD proxy_user 'proxyuser', ADD proxy_password 'proxy-pass-123');
SELECT count(*) FROM m_orders;
SELECT id, no FROM m_orders WHERE id = 7;
\set pstats `test/emulator/emulator-ctl --url "$KINTONE_TEST_PROXY_URL" GET /_proxy/stats`
SELECT ((:'pstats'::json)->>'forwarded')::int >= 2 AS forwarded, ((:'pstats'::json)->>'auth_refused')::int >= 1 AS refused_once;
ALTER USER MAPPING FOR CURRENT_USER SERVER m_pw OPTIONS (SET proxy_password 'wrong-proxy-throwaway');
\set VERBOSITY terse
SELECT count(*) FROM m_orders;
\set VERBOSITY default
-- proxy_user without any proxy is caught when connecting.
ALTER SERVER m_pw OPTIONS (DROP proxy);
\set VERBOSITY terse
SELECT count(*) FROM m_orders;
\set VERBOSITY default

DROP SERVER m_tok, m_pw, m_pw2, m_guest CASCADE;
