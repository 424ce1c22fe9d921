-- Connecting and authentication, the validator's side: every option in its place, secrets
-- refused where every user can read them, incomplete and contradictory sets, and what other
-- roles and EXPLAIN can see. Values used here are throwaway strings, never a real secret.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\set VERBOSITY default

-- Transport options on a server (and, overriding them, on a user mapping).
CREATE SERVER a_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.s.cybozu.com',
  ssl_ca_file '/etc/ssl/certs/ca-certificates.crt', proxy 'http://127.0.0.1:3128', connect_timeout '5',
  request_timeout '120', user_agent 'reporting/1.0', guest_space_id '2');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', ssl_ca_file 'ca.pem');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', ssl_verify 'sometimes');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', ssl_verify 'off', ssl_ca_file '/ca.pem');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', proxy 'http://someone:throwaway-pw@proxy:3128');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', proxy 'ftp://proxy');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', connect_timeout '0');

-- Secrets never go on servers or foreign tables (their options are readable by everyone);
-- the message names the option, never the value.
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', password 'throwaway-1');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', api_token 'throwaway2');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', basic_auth_password 'throwaway-3');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', oauth_client_secret 'throwaway-4');
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', proxy_password 'throwaway-5');
ALTER SERVER a_srv OPTIONS (ADD ssl_key_password 'throwaway-6');
CREATE FOREIGN TABLE a_bad (id bigint) SERVER a_srv OPTIONS (app '1', api_token 'throwaway7');
-- Credentials that are not secret are simply not server options.
CREATE SERVER a_bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com', username 'sato');

-- User mappings: every mode and its companions.
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (api_token 'tok1', basic_auth_user 'b', basic_auth_password 'throwaway-8');
DROP USER MAPPING FOR CURRENT_USER SERVER a_srv;
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (username 'sato', password 'throwaway-9',
  ssl_cert '/certs/client.pem', ssl_key '/certs/client.key', ssl_key_password 'throwaway-10');
DROP USER MAPPING FOR CURRENT_USER SERVER a_srv;
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (username 'sato', password 'throwaway-11',
  ssl_cert '/certs/client.p12', ssl_cert_type 'P12', ssl_key_password 'throwaway-12');
DROP USER MAPPING FOR CURRENT_USER SERVER a_srv;
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (oauth_client_id 'cid', oauth_client_secret 'throwaway-13',
  oauth_redirect_uri 'https://localhost/callback', oauth_scope 'k:app_record:read', proxy_user 'p', proxy_password 'throwaway-14');
DROP USER MAPPING FOR CURRENT_USER SERVER a_srv;

-- Incomplete sets.
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (api_token 'tok1', basic_auth_user 'b');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (api_token 'tok1', basic_auth_password 'throwaway-15');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (api_token 'tok1', ssl_key '/certs/client.key');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (api_token 'tok1', ssl_key_password 'throwaway-16');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (api_token 'tok1', proxy_user 'p');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (oauth_client_id 'cid');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (oauth_redirect_uri 'https://localhost/callback');
-- Contradictory sets: one way to sign in; OAuth and Basic share the Authorization header.
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (oauth_client_id 'cid', oauth_client_secret 'throwaway-17',
  username 'sato', password 'throwaway-18');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (oauth_client_id 'cid', oauth_client_secret 'throwaway-19',
  api_token 'tok1');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (oauth_client_id 'cid', oauth_client_secret 'throwaway-20',
  basic_auth_user 'b', basic_auth_password 'throwaway-21');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (username 'sato', password 'throwaway-22',
  ssl_cert '/certs/client.p12', ssl_cert_type 'P12', ssl_key '/certs/client.key');
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (username 'sato', password 'throwaway-23', ssl_cert_type 'DER', ssl_cert '/c');

-- Secrets are visible to their owner and superusers only: another role sees no options.
CREATE USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (username 'sato', password 'throwaway-24',
  basic_auth_user 'b', basic_auth_password 'throwaway-25');
CREATE ROLE kintone_auth_other;
CREATE USER MAPPING FOR kintone_auth_other SERVER a_srv OPTIONS (api_token 'othertoken');
GRANT USAGE ON FOREIGN SERVER a_srv TO kintone_auth_other;
SET ROLE kintone_auth_other;
SELECT srvname, usename, umoptions FROM pg_user_mappings WHERE srvname = 'a_srv' ORDER BY usename;
-- Certificate and CA files are read by the server: only superusers (and members of
-- pg_read_server_files) may name them.
ALTER USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (ADD ssl_ca_file '/etc/ssl/certs/ca-certificates.crt');
ALTER USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (ADD ssl_cert '/var/lib/postgresql/server.crt', ADD ssl_key '/var/lib/postgresql/server.key');
ALTER USER MAPPING FOR CURRENT_USER SERVER a_srv OPTIONS (ADD user_agent 'other/1');
-- ... and the OAuth functions work only on one's own (or PUBLIC) mapping.
RESET ROLE;
CREATE SERVER a_none FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://x.cybozu.com');
SET ROLE kintone_auth_other;
SELECT kintone_oauth_authorization_url('a_none', 'st');
SELECT kintone_oauth_authorization_url('a_srv', 'st');
RESET ROLE;

-- EXPLAIN VERBOSE names the app and the query, never a credential.
CREATE FOREIGN TABLE a_tab (id bigint OPTIONS (field_code '$id')) SERVER a_srv OPTIONS (app '1');
EXPLAIN (VERBOSE, COSTS OFF) SELECT * FROM a_tab WHERE id = 3;

DROP FOREIGN TABLE a_tab;
DROP USER MAPPING FOR kintone_auth_other SERVER a_srv;
REVOKE USAGE ON FOREIGN SERVER a_srv FROM kintone_auth_other;
DROP ROLE kintone_auth_other;
DROP SERVER a_srv, a_none CASCADE;
