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
