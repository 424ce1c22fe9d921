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
-- table becomes `field like "words"` (NOT kintone_like(...): `not like`); it has no local
-- implementation, so anywhere Kintone cannot evaluate it, it raises an error. Not STRICT: an
-- empty field is Kintone's to judge (`not like` matches it), so the planner must not treat the
-- function as NULL on a NULL field (it would turn a LEFT JOIN into an inner join).
CREATE FUNCTION kintone_like(field anyelement, words text)
RETURNS boolean
AS 'MODULE_PATHNAME', 'kintone_fdw_like'
LANGUAGE C CALLED ON NULL INPUT STABLE;

COMMENT ON FUNCTION kintone_like(anyelement, text) IS 'Kintone''s word search ("like") on a Kintone foreign table column; evaluated by Kintone only';
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

-- ==========================================================================================
-- Issue 13: the app around the records (README, "Process management", "Comments, apps and
-- fields as tables", "Schema drift"). Foreign tables with the option object (apps, spaces,
-- fields, views, statuses, actions, comments) need no SQL object: IMPORT FOREIGN SCHEMA
-- kintone_meta creates them. The functions below write to Kintone at once: a ROLLBACK does not
-- take their changes back. tbl is a foreign table of an app's records.
-- ==========================================================================================

-- Runs a process-management action on records (ids; duplicates once). Every record must offer
-- the action in its current status (and meet its condition), or nothing is sent; 100 records
-- per call, up to 2,000 per atomic bulkRequest. One row per record: its status before and
-- after, its assignees and revision after, and whether it moved (a status of type ALL moves
-- only when its last assignee acts). Needs UPDATE on tbl.
CREATE FUNCTION kintone_run_action(tbl regclass, ids bigint[], action text, assignee text DEFAULT NULL)
RETURNS TABLE (id bigint, status_before text, action text, status text, assignees text[], revision bigint,
               moved boolean)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION kintone_run_action(regclass, bigint[], text, text) IS 'runs a Kintone process-management action on records; one row per record';

-- Sets the assignees of records (login names; '{}' removes them). Needs UPDATE on tbl.
CREATE FUNCTION kintone_set_assignees(tbl regclass, ids bigint[], assignees text[])
RETURNS TABLE (id bigint, assignees text[], revision bigint)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE PARALLEL UNSAFE;

COMMENT ON FUNCTION kintone_set_assignees(regclass, bigint[], text[]) IS 'sets the process-management assignees of Kintone records';

-- Compares tbl's columns with the app's form as Kintone holds it now: missing field, type
-- changed, field disabled, new field. No rows: no drift. Needs SELECT on tbl.
CREATE FUNCTION kintone_schema_drift(tbl regclass)
RETURNS TABLE (column_name name, field_code text, change text, column_type text, field_type text, detail text)
AS 'MODULE_PATHNAME'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;

COMMENT ON FUNCTION kintone_schema_drift(regclass) IS 'what differs between a Kintone foreign table and its app''s current form';
