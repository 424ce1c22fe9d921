/* kintone_fdw install script */

-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION kintone_fdw" to load this file. \quit

CREATE FUNCTION kintone_fdw_handler()
RETURNS fdw_handler
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FUNCTION kintone_fdw_validator(text[], oid)
RETURNS void
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT;

CREATE FOREIGN DATA WRAPPER kintone_fdw
  HANDLER kintone_fdw_handler
  VALIDATOR kintone_fdw_validator;

COMMENT ON FOREIGN DATA WRAPPER kintone_fdw IS 'Kintone apps as PostgreSQL tables';
