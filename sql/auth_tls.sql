-- TLS against HTTPS emulators with a test CA made at test time (test/tls/make-certs.sh):
-- verification on by default (system CAs do not know the test CA), ssl_ca_file, a wrong CA, a
-- certificate for another host, the unsafe ssl_verify 'false', client certificates (PEM, PEM
-- with an encrypted key, PKCS#12) combined with a password, a missing or untrusted client
-- certificate, and HTTPS through the authenticating proxy (CONNECT).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv tls_url KINTONE_EMULATOR_TLS_URL
\getenv mtls_url KINTONE_EMULATOR_MTLS_URL
\getenv wronghost_url KINTONE_EMULATOR_WRONGHOST_URL
\getenv proxy_url KINTONE_TEST_PROXY_URL
\getenv tls_dir KINTONE_TEST_TLS_DIR
\set ca :tls_dir '/ca.pem'
\set other_ca :tls_dir '/other-ca.pem'
\set client_cert :tls_dir '/client.pem'
\set client_key :tls_dir '/client.key'
\set client_enc_key :tls_dir '/client-enc.key'
\set client_p12 :tls_dir '/client.p12'
\set untrusted_cert :tls_dir '/untrusted-client.pem'
\set untrusted_key :tls_dir '/untrusted-client.key'
\set VERBOSITY terse

-- Runs a statement and reports its error with the SQLSTATE, message and hint, the ports and
-- the certificate directory of this run masked.
CREATE FUNCTION tls_try(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  hint text;
  n bigint;
BEGIN
  EXECUTE q INTO n;
  RETURN 'ok: ' || n;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RETURN regexp_replace(regexp_replace(SQLSTATE || ': ' || SQLERRM || E'\nHINT: ' || coalesce(hint, ''),
    'localhost:[0-9]+', 'localhost:PORT', 'g'), current_setting('kfdw.tls_dir'), '$TLS', 'g');
END $$;
-- The same with the SQLSTATE and hint only, and whether the message names the user mapping
-- (the text of handshake failures depends on timing and on the OpenSSL version).
CREATE FUNCTION tls_try_short(q text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  hint text;
  n bigint;
BEGIN
  EXECUTE q INTO n;
  RETURN 'ok: ' || n;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS hint = PG_EXCEPTION_HINT;
  RETURN SQLSTATE || E'\nnames the user mapping: ' || (SQLERRM LIKE '%user mapping for server%') || E'\nHINT: ' ||
    coalesce(hint, '');
END $$;
SELECT set_config('kfdw.tls_dir', :'tls_dir', false) IS NOT NULL AS set;

-- Verification is on by default: without ssl_ca_file the system CAs do not know the test CA.
CREATE SERVER t_tls FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'tls_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER t_tls OPTIONS (username 'sato', password 'sato-pass');
CREATE FOREIGN TABLE t_orders (id bigint OPTIONS (field_code '$id')) SERVER t_tls OPTIONS (app '2');
SELECT tls_try('SELECT count(*) FROM t_orders');
-- With the test CA it works; a wrong CA fails again.
ALTER SERVER t_tls OPTIONS (ADD ssl_ca_file :'ca');
SELECT count(*) FROM t_orders;
ALTER SERVER t_tls OPTIONS (SET ssl_ca_file :'other_ca');
SELECT tls_try('SELECT count(*) FROM t_orders');
-- A user mapping may name its own CA file (it overrides the server's).
ALTER USER MAPPING FOR CURRENT_USER SERVER t_tls OPTIONS (ADD ssl_ca_file :'ca');
SELECT count(*) FROM t_orders;
ALTER USER MAPPING FOR CURRENT_USER SERVER t_tls OPTIONS (DROP ssl_ca_file);

-- A certificate signed by the right CA but for another host name is refused ...
CREATE SERVER t_wrong FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'wronghost_url', ssl_ca_file :'ca');
CREATE USER MAPPING FOR CURRENT_USER SERVER t_wrong OPTIONS (username 'sato', password 'sato-pass');
CREATE FOREIGN TABLE t_wrong_orders (id bigint OPTIONS (field_code '$id')) SERVER t_wrong OPTIONS (app '2');
SELECT tls_try('SELECT count(*) FROM t_wrong_orders');
-- ... unless verification is turned off, which is unsafe (anyone can pose as Kintone).
ALTER SERVER t_wrong OPTIONS (DROP ssl_ca_file, ADD ssl_verify 'false');
SELECT count(*) FROM t_wrong_orders;

-- Client certificates (Kintone's secure access): password + certificate.
CREATE SERVER t_mtls FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'mtls_url', ssl_ca_file :'ca');
CREATE USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (username 'sato', password 'sato-pass');
CREATE FOREIGN TABLE t_mtls_orders (id bigint OPTIONS (field_code '$id')) SERVER t_mtls OPTIONS (app '2');
SELECT tls_try_short('SELECT count(*) FROM t_mtls_orders');
ALTER USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (ADD ssl_cert :'client_cert', ADD ssl_key :'client_key');
SELECT count(*) FROM t_mtls_orders;
-- The encrypted key needs its password; a wrong one is named.
ALTER USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (SET ssl_key :'client_enc_key', ADD ssl_key_password 'client-key-pass');
SELECT count(*) FROM t_mtls_orders;
ALTER USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (SET ssl_key_password 'wrong-key-throwaway');
SELECT tls_try_short('SELECT count(*) FROM t_mtls_orders');
-- PKCS#12: certificate and key in one file.
ALTER USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (DROP ssl_key, SET ssl_cert :'client_p12',
  ADD ssl_cert_type 'P12', SET ssl_key_password 'client-p12-pass');
SELECT count(*) FROM t_mtls_orders;
\set reqs `test/emulator/emulator-ctl --url "$KINTONE_EMULATOR_MTLS_URL" GET /_emulator/requests`
SELECT DISTINCT r->>'client_cert' IS NOT NULL AS client_cert_seen, r->>'tls' AS tls
  FROM json_array_elements((:'reqs'::json)->'requests') r WHERE r->>'path' LIKE '/k/%';
-- A certificate from a CA the server does not trust.
ALTER USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (DROP ssl_cert_type, DROP ssl_key_password,
  SET ssl_cert :'untrusted_cert', ADD ssl_key :'untrusted_key');
SELECT tls_try_short('SELECT count(*) FROM t_mtls_orders');
-- A missing certificate file.
ALTER USER MAPPING FOR CURRENT_USER SERVER t_mtls OPTIONS (SET ssl_cert '/nonexistent/client.pem', DROP ssl_key);
SELECT tls_try_short('SELECT count(*) FROM t_mtls_orders');

-- HTTPS through the authenticating proxy (a CONNECT tunnel).
ALTER SERVER t_tls OPTIONS (SET ssl_ca_file :'ca', ADD proxy :'proxy_url');
ALTER USER MAPPING FOR CURRENT_USER SERVER t_tls OPTIONS (ADD proxy_user 'proxyuser', ADD proxy_password 'proxy-pass-123');
\! test/emulator/emulator-ctl --url "$KINTONE_TEST_PROXY_URL" POST /_proxy/stats/reset > /dev/null
SELECT count(*) FROM t_orders;
\set pstats `test/emulator/emulator-ctl --url "$KINTONE_TEST_PROXY_URL" GET /_proxy/stats`
SELECT ((:'pstats'::json)->>'connect')::int >= 1 AS tunnelled;
ALTER USER MAPPING FOR CURRENT_USER SERVER t_tls OPTIONS (SET proxy_password 'wrong-proxy-throwaway');
SELECT tls_try('SELECT count(*) FROM t_orders');

DROP FUNCTION tls_try(text);
DROP FUNCTION tls_try_short(text);
DROP SERVER t_tls, t_wrong, t_mtls CASCADE;
