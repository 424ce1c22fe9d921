-- CREATE EXTENSION creates the foreign-data wrapper with its handler and validator.
CREATE EXTENSION kintone_fdw;

SELECT extname, extversion, extrelocatable FROM pg_extension WHERE extname = 'kintone_fdw';

SELECT fdwname, fdwhandler::regproc AS handler, fdwvalidator::regproc AS validator, fdwoptions
  FROM pg_foreign_data_wrapper WHERE fdwname = 'kintone_fdw';

SELECT pg_describe_object(classid, objid, objsubid) AS member
  FROM pg_depend
 WHERE refclassid = 'pg_extension'::regclass
   AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'kintone_fdw')
   AND deptype = 'e'
 ORDER BY 1;

SELECT obj_description(oid, 'pg_foreign_data_wrapper') FROM pg_foreign_data_wrapper WHERE fdwname = 'kintone_fdw';

-- Dropping and re-creating works, and a second CREATE is refused as usual.
DROP EXTENSION kintone_fdw;
CREATE EXTENSION kintone_fdw;
CREATE EXTENSION kintone_fdw;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;

-- A server, a user mapping and a foreign table make the extension a dependency chain.
CREATE SERVER kintone FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url 'https://example.cybozu.com');
CREATE USER MAPPING FOR CURRENT_USER SERVER kintone OPTIONS (api_token 'abc123');
CREATE FOREIGN TABLE customers (
    id bigint OPTIONS (field_code '$id'),
    company text OPTIONS (field_code '会社名')
) SERVER kintone OPTIONS (app '1');
-- Kintone assigns record ids: writing one is refused before any request (this server is not reachable).
INSERT INTO customers VALUES (1, 'x');
TRUNCATE customers;

DROP EXTENSION kintone_fdw;
DROP EXTENSION kintone_fdw CASCADE;
SELECT count(*) AS leftover_servers FROM pg_foreign_server WHERE srvname = 'kintone';

-- The database encoding: kintone_fdw works in UTF8 databases only (README, "Encodings").
-- The install script is pure ASCII, so that it loads in any encoding (it failed on a byte in EUC_JP).
\! LC_ALL=C grep -c -P '[^\x00-\x7F]' kintone_fdw--0.1.sql
SELECT current_database() AS regress_db \gset
CREATE DATABASE kintone_latin1 ENCODING 'LATIN1' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE kintone_eucjp ENCODING 'EUC_JP' TEMPLATE template0 LC_COLLATE 'C' LC_CTYPE 'C';
-- CREATE EXTENSION refuses, with a clear message, in LATIN1 and in EUC_JP.
\c kintone_latin1
CREATE EXTENSION kintone_fdw;
-- And at first use: a wrapper made without the validator (as by an older version) refuses
-- every foreign table and IMPORT FOREIGN SCHEMA.
CREATE FUNCTION kintone_handler() RETURNS fdw_handler AS '$libdir/kintone_fdw', 'kintone_fdw_handler' LANGUAGE C STRICT;
CREATE FOREIGN DATA WRAPPER kin HANDLER kintone_handler;
CREATE SERVER kin_server FOREIGN DATA WRAPPER kin;
CREATE FOREIGN TABLE customers (company text) SERVER kin_server;
SELECT * FROM customers;
IMPORT FOREIGN SCHEMA kintone FROM SERVER kin_server INTO public;
\c kintone_eucjp
CREATE EXTENSION kintone_fdw;
SELECT count(*) AS kintone_extensions FROM pg_extension WHERE extname = 'kintone_fdw';
\c :regress_db
DROP DATABASE kintone_latin1;
DROP DATABASE kintone_eucjp;
