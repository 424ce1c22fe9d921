-- Reads off the happy path (issue 11, docs/faults.md): idempotent reads retried through
-- random faults to the exact result; every answer checked before it becomes rows (a malformed
-- page is a protocol error naming the request, never rows); answers bounded in size; Kintone's
-- X-Cybozu-Warning shown; hostile values never crash the backend. App 100 (BIG) of the regress
-- seed is only read.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER fr FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER fr OPTIONS (username 'Administrator', password 'admin-pass');
SET datestyle = 'ISO, YMD';
SET timezone = 'UTC';
CREATE SCHEMA fr;
CREATE FOREIGN TABLE fr.big (id bigint OPTIONS (field_code '$id'), n numeric, label text, kind text, day date,
                             at timestamptz) SERVER fr OPTIONS (app '100');
-- Runs a query; says what came back: its first row as text, or the error (SQLSTATE, message,
-- detail, hint; the emulator's port and request ids removed).
CREATE FUNCTION fr.try(query text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text; r text;
BEGIN
  EXECUTE 'SELECT (q)::text FROM (' || query || ') q LIMIT 1' INTO r;
  RETURN NEXT 'ok: ' || coalesce(r, '(no row)');
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  RETURN NEXT s || ': ' || m;
  IF d <> '' THEN
    RETURN NEXT '  DETAIL: ' || regexp_replace(regexp_replace(d, 'localhost:[0-9]+', 'localhost:PORT', 'g'),
                                             'request id [A-Za-z0-9_-]+', 'request id (random)', 'g');
  END IF;
  IF h <> '' THEN
    RETURN NEXT '  HINT: ' || h;
  END IF;
END $$;
\set clear '\\! test/emulator/emulator-ctl DELETE /_emulator/faults > /dev/null'

-- 1. Random faults, 10% of record reads (a fixed seed per rule): gateway pages, Kintone's 500,
-- 429, connections dropped before or after the answer was made, cut bodies. Seek scans,
-- offset scans and counts are retried to the exact result; any that fails does so with a
-- clean error; none is wrong. Before, half the drops and cuts ended the statement.
CREATE TEMP TABLE expected AS
  SELECT (SELECT sum(id) || '/' || count(label) FROM fr.big WHERE id <= 1600) AS seek,
         (SELECT string_agg(id::text, ',') FROM (SELECT id FROM fr.big WHERE id <= 3000 ORDER BY n, id LIMIT 600) s) AS offs,
         (SELECT count(*) FROM fr.big WHERE kind = 'alpha')::text AS cnt;
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 1, "status": 503, "body": "<html>Service Unavailable</html>", "content_type": "text/html"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 2, "status": 500, "code": "CB_UN01"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 3, "status": 502, "body": "Bad Gateway"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 4, "status": 504, "body": "Gateway Timeout"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 5, "code": "GAIA_TO04"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 6, "drop_connection": true}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 7, "after": true, "drop_connection": true}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "probability": 0.0125, "seed": 8, "after": true, "truncate_body": true}' > /dev/null
CREATE TEMP TABLE outcomes (kind text, outcome text);
DO $$
DECLARE e expected; v text; st text;
BEGIN
  SELECT * INTO e FROM expected;
  FOR i IN 1..40 LOOP
    BEGIN
      SELECT sum(id) || '/' || count(label) INTO v FROM fr.big WHERE id <= 1600;
      INSERT INTO outcomes VALUES ('seek', CASE WHEN v = e.seek THEN 'exact' ELSE 'WRONG' END);
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
      INSERT INTO outcomes VALUES ('seek', 'error ' || st);
    END;
    BEGIN
      SELECT string_agg(id::text, ',') INTO v FROM (SELECT id FROM fr.big WHERE id <= 3000 ORDER BY n, id LIMIT 600) s;
      INSERT INTO outcomes VALUES ('offset', CASE WHEN v = e.offs THEN 'exact' ELSE 'WRONG' END);
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
      INSERT INTO outcomes VALUES ('offset', 'error ' || st);
    END;
    BEGIN
      SELECT count(*)::text INTO v FROM fr.big WHERE kind = 'alpha';
      INSERT INTO outcomes VALUES ('count', CASE WHEN v = e.cnt THEN 'exact' ELSE 'WRONG' END);
    EXCEPTION WHEN OTHERS THEN
      GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE;
      INSERT INTO outcomes VALUES ('count', 'error ' || st);
    END;
  END LOOP;
END $$;
SELECT kind, count(*) AS statements,
       count(*) FILTER (WHERE outcome = 'exact') >= 0.95 * count(*) AS at_least_95_percent_exact,
       count(*) FILTER (WHERE outcome = 'WRONG') AS wrong,
       bool_and(outcome = 'exact' OR outcome ~ '^error (08|HV|57|53)') AS errors_are_clean
  FROM outcomes GROUP BY kind ORDER BY kind;
-- The faults did happen.
\! test/emulator/emulator-ctl GET /_emulator/faults | python3 -c 'import json, sys; print("faults applied:", "many" if sum(f["applied"] for f in json.load(sys.stdin)["faults"]) >= 10 else "too few")'
:clear

-- 2. Malformed pages: each a protocol error (08P01) naming the request, never rows.
-- A page without "records" (before: the scan ended there, 1,100 rows missing, no error).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "skip": 1, "count": 1, "status": 200, "body": {"totalCount": null}}' > /dev/null
SELECT fr.try($$SELECT count(label) FROM fr.big WHERE id <= 1600$$);
-- What a server mishandling X-HTTP-Method-Override answers (a long IN list goes that way; before: 0 rows).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"id": "1", "revision": "1"}}' > /dev/null
SELECT fr.try(format($$SELECT count(*) FROM fr.big WHERE label IN (%s)$$,
                     (SELECT string_agg(quote_literal('item-' || lpad(i::text, 5, '0')), ',') FROM generate_series(1, 700) i)));
-- A second page whose $ids do not pass the first page's (before: duplicated rows). The scan
-- reads slices of the $id range concurrently: which slice's answer is the second to arrive
-- varies, so the slice's lower bound is masked.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "skip": 1, "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "17"}, "label": {"type": "SINGLE_LINE_TEXT", "value": "again"}}]}}' > /dev/null
SELECT regexp_replace(t, 'after [0-9]+', 'after N') AS try FROM fr.try($$SELECT count(label) FROM fr.big WHERE id <= 1600$$) t;
-- U+0000 in a string (before: a text value with an embedded NUL).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "label": {"type": "SINGLE_LINE_TEXT", "value": "a\u0000b"}}]}}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
-- An object in a text field (before: NULL).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "label": {"type": "SINGLE_LINE_TEXT", "value": {"text": "x"}}}]}}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
-- A 23-digit $id (before: XX000 "seek page without $id").
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "12345678901234567890123"}}]}}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
-- A negative totalCount (before: count(*) = -5).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [], "totalCount": -5}}' > /dev/null
SELECT fr.try($$SELECT count(*) FROM fr.big$$);
-- A 200 with an HTML page, and a JSON page cut short that still has its full length.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": "<html><body>Maintenance</body></html>", "content_type": "text/html"}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": "{\"records\":[{\"$id\":{\"type\":\"__ID__\",\"value\":\"1\"}", "content_type": "application/json"}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
:clear

-- 3. Size: an answer larger than 256 MB is refused while it arrives: a 300 MB body, and a
-- gzip body of well under a megabyte that inflates to 300 MB (before: a 1 GB bomb took one
-- backend to 2.1 GB of memory).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body_repeat": {"prefix": "{\"records\":[", "unit": "0", "separator": ",", "count": 150000000, "suffix": "]}"}}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "gzip": true, "body_repeat": {"prefix": "{\"records\":[", "unit": "0", "separator": ",", "count": 150000000, "suffix": "]}"}}' > /dev/null
SELECT fr.try($$SELECT label FROM fr.big WHERE id <= 1600$$);
:clear
-- The session goes on normally.
SELECT count(label) FROM fr.big WHERE id <= 1600;

-- 4. Kintone's X-Cybozu-Warning (a word search stopped at 100,000 hits) becomes a WARNING.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "after": true, "headers": {"X-Cybozu-Warning": "Filter aborted because of too many search results"}}' > /dev/null
SELECT count(label) FROM fr.big WHERE id <= 100;
:clear

-- 5. Hostile values in a well-formed page: each is refused with an error or read as a value
-- of its column; none crashes the backend (run-all checks the server log for signals).
CREATE FOREIGN TABLE fr.hv (id bigint OPTIONS (field_code '$id'), n numeric, i integer OPTIONS (field_code 'n'),
                            day date, at timestamptz, j jsonb OPTIONS (field_code 'kind'),
                            tags text[] OPTIONS (field_code 'label')) SERVER fr OPTIONS (app '100');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "n": {"type": "NUMBER", "value": "NaN"}}]}}' > /dev/null
SELECT fr.try($$SELECT n, i FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "n": {"type": "NUMBER", "value": "Infinity"}}]}}' > /dev/null
SELECT fr.try($$SELECT n, i FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "n": {"type": "NUMBER", "value": "1e999999"}}]}}' > /dev/null
SELECT fr.try($$SELECT n, i FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "n": {"type": "NUMBER", "value": "99999999999999999999999999999999999999"}}]}}' > /dev/null
SELECT fr.try($$SELECT n, i FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "n": {"type": "NUMBER", "value": "１２"}}]}}' > /dev/null
SELECT fr.try($$SELECT n, i FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "n": {"type": "NUMBER", "value": "0x10"}}]}}' > /dev/null
SELECT fr.try($$SELECT n, i FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "day": {"type": "DATE", "value": "2020-13-45"}}]}}' > /dev/null
SELECT fr.try($$SELECT day FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "day": {"type": "DATE", "value": "99999-01-01"}}]}}' > /dev/null
SELECT fr.try($$SELECT day FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "day": {"type": "DATE", "value": "2020-02-30"}}]}}' > /dev/null
SELECT fr.try($$SELECT day FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "at": {"type": "DATETIME", "value": "garbage"}}]}}' > /dev/null
SELECT fr.try($$SELECT at FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "at": {"type": "DATETIME", "value": "2020-01-01T25:00:00Z"}}]}}' > /dev/null
SELECT fr.try($$SELECT at FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "at": {"type": "DATETIME", "value": "294277-01-01T00:00:00Z"}}]}}' > /dev/null
SELECT fr.try($$SELECT at FROM fr.hv WHERE id = 1$$);
-- 2,000 nested arrays in a jsonb column: read as they are (PostgreSQL checks its own stack).
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body_repeat": {"prefix": "{\"records\":[{\"$id\":{\"type\":\"__ID__\",\"value\":\"1\"},\"kind\":{\"type\":\"SUBTABLE\",\"value\":", "unit": "[", "count": 2000, "suffix": "]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]}}]}"}}' > /dev/null
SELECT fr.try($$SELECT jsonb_typeof(j), length(j::text) FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body": {"records": [{"$id": {"type": "__ID__", "value": "1"}, "kind": {"type": "SUBTABLE", "value": [{"id": "1", "value": {"x": {"type": "NUMBER", "value": "1e999999999"}}}]}, "label": {"type": "CHECK_BOX", "value": ["a", "{", "\"", "\\", "NULL", ""]}}]}}' > /dev/null
SELECT fr.try($$SELECT j, tags FROM fr.hv WHERE id = 1$$);
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "GET", "count": 1, "status": 200, "body_repeat": {"prefix": "{\"records\":[{\"$id\":{\"type\":\"__ID__\",\"value\":\"1\"},\"label\":{\"type\":\"SINGLE_LINE_TEXT\",\"value\":\"", "unit": "\\u3042", "count": 2000000, "suffix": "\"}}]}"}}' > /dev/null
SELECT fr.try($$SELECT length(label) FROM fr.big WHERE id = 1$$);
:clear

DROP SCHEMA fr CASCADE;
DROP SERVER fr CASCADE;
