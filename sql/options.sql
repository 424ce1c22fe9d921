-- The validator: options per object, unknown names with the valid ones and a suggestion,
-- bad values, and secrets that never appear in messages.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\set VERBOSITY default

-- The wrapper itself takes no options.
ALTER FOREIGN DATA WRAPPER kintone_fdw OPTIONS (ADD url 'https://example.cybozu.com');

-- Servers: url and guest_space_id.
CREATE SERVER ok1 FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com');
CREATE SERVER ok2 FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.s.cybozu.com:443/', guest_space_id '7');
CREATE SERVER ok3 FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'http://localhost:8080');
CREATE SERVER ok4 FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'http://127.0.0.1:8080');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (ulr 'https://example.cybozu.com');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (app '1');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'http://example.cybozu.com');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'example.cybozu.com');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com/k/v1/records.json');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://sato:hunter2@example.cybozu.com');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com', guest_space_id '0');
CREATE SERVER bad FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com', guest_space_id 'abc');
ALTER SERVER ok1 OPTIONS (ADD guest_space_id '3');
ALTER SERVER ok1 OPTIONS (SET url 'ftp://example.cybozu.com');
ALTER SERVER ok1 OPTIONS (ADD guest_spaceid '3');
SELECT srvname, srvoptions FROM pg_foreign_server WHERE srvname LIKE 'ok%' ORDER BY srvname;

-- User mappings: api_token (one or several), username + password.
CREATE USER MAPPING FOR CURRENT_USER SERVER ok1 OPTIONS (api_token 'tok1,tok2, tok3');
CREATE USER MAPPING FOR PUBLIC SERVER ok2 OPTIONS (username 'sato', password 'pass word');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (apitoken 'secret1');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (api_token 'not-a-token!');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (api_token 'dup1,dup1');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (api_token 'a,b,c,d,e,f,g,h,i,j');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (password 'hunter2');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (username 'sato');
CREATE USER MAPPING FOR CURRENT_USER SERVER ok3 OPTIONS (url 'https://example.cybozu.com');
ALTER USER MAPPING FOR PUBLIC SERVER ok2 OPTIONS (DROP password);

-- Foreign tables: app and guest_space_id; columns: field_code.
CREATE FOREIGN TABLE ft1 (id bigint OPTIONS (field_code '$id'), name text) SERVER ok1 OPTIONS (app '12');
CREATE FOREIGN TABLE ft2 (id bigint) SERVER ok1 OPTIONS (app '12', guest_space_id '4');
CREATE FOREIGN TABLE bad (id bigint) SERVER ok1 OPTIONS (apps '12');
CREATE FOREIGN TABLE bad (id bigint) SERVER ok1 OPTIONS (app '-1');
CREATE FOREIGN TABLE bad (id bigint) SERVER ok1 OPTIONS (app '1.5');
CREATE FOREIGN TABLE bad (id bigint OPTIONS (fieldcode '$id')) SERVER ok1 OPTIONS (app '12');
CREATE FOREIGN TABLE bad (id bigint OPTIONS (field_code '')) SERVER ok1 OPTIONS (app '12');
CREATE FOREIGN TABLE bad (id bigint OPTIONS (app '1')) SERVER ok1 OPTIONS (app '12');
ALTER FOREIGN TABLE ft1 ALTER COLUMN name OPTIONS (ADD field_code '会社名');
ALTER FOREIGN TABLE ft1 OPTIONS (SET app 'x');
-- Booleans accept what PostgreSQL accepts for them (true, false, on, off): 'yes' used to pass
-- here and then fail every statement; a bad value names its own option.
ALTER FOREIGN TABLE ft1 OPTIONS (ADD updatable 'yes');
ALTER FOREIGN TABLE ft1 OPTIONS (ADD updatable 'maybe');
ALTER FOREIGN TABLE ft1 OPTIONS (ADD updatable 'OFF', use_remote_estimate 'On');
ALTER SERVER ok1 OPTIONS (ADD updatable '1');
ALTER SERVER ok1 OPTIONS (ADD ssl_verify 'no');
ALTER SERVER ok1 OPTIONS (ADD request_timeout '0');
ALTER SERVER ok1 OPTIONS (ADD connect_timeout 'x');
SELECT relname, ftoptions FROM pg_foreign_table JOIN pg_class ON oid = ftrelid ORDER BY relname;
SELECT attname, attfdwoptions FROM pg_attribute WHERE attrelid = 'ft1'::regclass AND attnum > 0 ORDER BY attnum;

-- SQLSTATEs: unknown names are fdw_invalid_option_name, bad values fdw_invalid_attribute_value.
DO $$
BEGIN
  BEGIN
    CREATE SERVER s FOREIGN DATA WRAPPER kintone_fdw OPTIONS (nope '1');
  EXCEPTION WHEN fdw_invalid_option_name THEN
    RAISE NOTICE 'unknown option: %', SQLSTATE;
  END;
  BEGIN
    CREATE SERVER s FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'gopher://x');
  EXCEPTION WHEN fdw_invalid_attribute_value THEN
    RAISE NOTICE 'bad value: %', SQLSTATE;
  END;
END $$;

-- Credentials are visible only to their owner and superusers (pg_user_mappings hides them).
CREATE ROLE kintone_fdw_other;
SET ROLE kintone_fdw_other;
SELECT srvname, usename, umoptions FROM pg_user_mappings ORDER BY srvname, usename;
RESET ROLE;
DROP ROLE kintone_fdw_other;

DROP SERVER ok1, ok2, ok3, ok4 CASCADE;
