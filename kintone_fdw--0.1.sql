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

-- OAuth (README, "Connecting and authentication"). Each function works on the caller's user
-- mapping for the server (own or PUBLIC) and never returns a secret; tokens are stored in
-- $PGDATA/kintone_fdw/oauth/<server oid>_<user oid>.json (mode 0600).
CREATE FUNCTION kintone_oauth_authorization_url(server name, state text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE;

CREATE FUNCTION kintone_oauth_exchange_code(server name, code text)
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION kintone_oauth_refresh(server name)
RETURNS text
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;

CREATE FUNCTION kintone_oauth_forget(server name)
RETURNS boolean
AS 'MODULE_PATHNAME'
LANGUAGE C STRICT VOLATILE;
