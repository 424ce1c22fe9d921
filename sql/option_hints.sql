-- "Did you mean" for the option names users bring from postgres_fdw and from CData's Kintone
-- drivers: the hint names kintone_fdw's option, and where it belongs when that is another object.
-- Values never appear in the messages.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\set VERBOSITY default

-- Servers: postgres_fdw's host/port/dbname, CData's URL and GuestSpaceId.
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (host 'example.cybozu.com');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (port '443');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (dbname 'kintone');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS ("URL" 'https://example.cybozu.com');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com', "GuestSpaceId" '5');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com', "ProxyServer" 'gw.example.com');
-- Credentials given to a server: the hint says they belong in a user mapping.
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com', user 'sato');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com', "APIToken" 'Secr3tT0ken');
CREATE SERVER hint_srv FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com');

-- User mappings: postgres_fdw's user, CData's User, Password, APIToken, token, AuthScheme.
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS (user 'sato', password 'n0t-a-real-pass');
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS ("User" 'sato', "Password" 'n0t-a-real-pass');
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS (username 'sato', "Password" 'n0t-a-real-pass');
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS ("APIToken" 'Secr3tT0ken');
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS (token 'Secr3tT0ken');
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS ("AuthScheme" 'APIToken');
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS ("SSLClientCertPassword" 'k3y-pass');

-- Foreign tables and columns: app_id, AppId, postgres_fdw's table_name and column_name.
CREATE FOREIGN TABLE hint_t ("$id" bigint) SERVER hint_srv OPTIONS (app_id '1');
CREATE FOREIGN TABLE hint_t ("$id" bigint) SERVER hint_srv OPTIONS ("AppId" '1');
CREATE FOREIGN TABLE hint_t ("$id" bigint) SERVER hint_srv OPTIONS (schema_name 'public', table_name 'orders');
CREATE FOREIGN TABLE hint_t (id bigint OPTIONS (column_name '$id')) SERVER hint_srv OPTIONS (app '1');
ALTER SERVER hint_srv OPTIONS (ADD fetch_size '1000');

-- IMPORT FOREIGN SCHEMA's own options: CData's AppId and UseCodeForFieldName.
CREATE USER MAPPING FOR CURRENT_USER SERVER hint_srv OPTIONS (api_token 'T0ken1');
IMPORT FOREIGN SCHEMA kintone FROM SERVER hint_srv INTO public OPTIONS ("AppId" '1');
IMPORT FOREIGN SCHEMA kintone FROM SERVER hint_srv INTO public OPTIONS ("UseCodeForFieldName" 'false');
IMPORT FOREIGN SCHEMA kintone FROM SERVER hint_srv INTO public OPTIONS (replace 'true');

DROP SERVER hint_srv CASCADE;
