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

-- Kintone's word search, used explicitly (SQL LIKE stays local: Kintone's "like" is a word
-- search, not a pattern match). kintone_like(column, 'words') in WHERE on a Kintone foreign
-- table becomes `field like "words"` (NOT kintone_like(…): `not like`); it has no local
-- implementation, so anywhere Kintone cannot evaluate it, it raises an error.
CREATE FUNCTION kintone_like(field anyelement, words text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'kintone_fdw_like'
LANGUAGE C STRICT STABLE;

COMMENT ON FUNCTION kintone_like(anyelement, text) IS 'Kintone''s word search ("like") on a Kintone foreign table column; evaluated by Kintone only';
