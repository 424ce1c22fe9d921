-- Writes off the happy path (issue 11, docs/faults.md): under every fault kind, before and
-- after Kintone processed the request, nothing is written twice, nothing written is lost, and
-- what the FDW says is true — checked against the app's content each time. The emulator's
-- rules with "after": true let Kintone do the write, then lose, replace or cut its answer (as a
-- gateway or a dying keep-alive connection would). App 99 (WDIFF) is restored at the end.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER fw FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER fw OPTIONS (username 'suzuki', password 'suzuki-pass');
CREATE SCHEMA fw;
CREATE FOREIGN TABLE fw.t (id bigint OPTIONS (field_code '$id'), rev bigint OPTIONS (field_code '$revision'),
                           k numeric, t text) SERVER fw OPTIONS (app '99');
-- Runs a statement; says what came back: its row count, or the error's SQLSTATE and message and
-- what its DETAIL and CONTEXT say about the rows (request ids and the emulator's port removed).
CREATE FUNCTION fw.try(statement text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; c text; n bigint; line text;
BEGIN
  EXECUTE statement;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN NEXT 'ok: ' || n || ' rows';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, c = PG_EXCEPTION_CONTEXT;
  RETURN NEXT s || ': ' || regexp_replace(regexp_replace(m, 'localhost:[0-9]+', 'localhost:PORT', 'g'), 'with [0-9]+ bytes remaining', 'with N bytes remaining');
  FOR line IN SELECT x FROM regexp_split_to_table(coalesce(d, '') || E'\n' || coalesce(c, ''), E'\n') x
      WHERE x ~ '(may or may not|Nothing of|already been written|in flight at the same time|were written to Kintone)' LOOP
    RETURN NEXT '  ' || line;
  END LOOP;
END $$;
-- The app's content for one label: records, distinct k (a duplicate shows as records > distinct).
CREATE FUNCTION fw.content(label text) RETURNS TABLE (records bigint, distinct_k bigint) LANGUAGE sql AS $$
  SELECT count(*), count(DISTINCT k) FROM fw.t WHERE t = label $$;
\set fault 'test/emulator/emulator-ctl POST /_emulator/faults'
\set clear '\\! test/emulator/emulator-ctl DELETE /_emulator/faults > /dev/null'
-- A first read opens the keep-alive connection that the writes below reuse.
SELECT count(*) FROM fw.t;

-- 1. The answer to a processed INSERT is lost with its reused connection. libcurl would send
-- the POST again on a fresh connection by itself (3 rows became 6 records); the FDW never
-- repeats it and says the rows may or may not be written. Kintone wrote them once.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "after": true, "drop_connection": true}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'drop-after' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('drop-after');

-- 2. Gateway answers after Kintone did the write: a 503 HTML page, a 504, a 200 HTML page, a
-- cut body, a 2xx JSON that lists nothing. Never "nothing was written".
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "after": true, "status": 503, "body": "<html><body>503 Service Unavailable</body></html>", "content_type": "text/html"}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, '503-after' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('503-after');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "after": true, "status": 504, "body": "Gateway Timeout"}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, '504-after' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('504-after');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "after": true, "status": 200, "body": "<html>Welcome</html>", "content_type": "text/html"}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'html-200' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('html-200');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "after": true, "truncate_body": true}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'cut' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('cut');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "after": true, "status": 200, "body": {"ids": []}}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'no-ids' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('no-ids');

-- 3. Answers before processing. Kintone's own refusal: nothing written, and the error says so.
-- A 429 GAIA_TO04 is sent again and written once. A gateway page or a dropped connection
-- before processing cannot be told from one after it: "may or may not" is still the truth.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "status": 400, "code": "CB_VA01"}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'refused' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('refused');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 2, "code": "GAIA_TO04"}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'rate-limited' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('rate-limited');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "status": 502, "body": "Bad Gateway"}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, '502-before' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('502-before');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "POST", "count": 1, "drop_connection": true}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'drop-before' FROM generate_series(1, 3) i$$);
SELECT * FROM fw.content('drop-before');

-- 4. A statement of 3,000 rows: the first bulkRequest (rows 1 to 2,000) is answered, the
-- answer to the second one is lost after Kintone processed it. Before: INSERT 0 3000 and
-- 4,000 records. Now: 2,000 certainly written, rows 2,001 to 3,000 unknown, 3,000 records.
-- (The rule picks the second chunk by its content, row 2,500: both chunks may be in flight at
-- once, docs/concurrency.md, "Writes".)
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "bulkRequest\\.json$", "body_match": ":.2500.", "count": 1, "after": true, "drop_connection": true}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'bulk' FROM generate_series(1, 3000) i$$);
SELECT * FROM fw.content('bulk');
-- … and with RETURNING (rows sent one by one): the second row's answer is lost.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records?\\.json$", "method": "POST", "skip": 1, "count": 1, "after": true, "drop_connection": true}' > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'returning' FROM generate_series(1, 3) i RETURNING k$$);
SELECT * FROM fw.content('returning');

-- 5. UPDATE and DELETE whose answers are lost after processing. Before: libcurl's replay of
-- the UPDATE met its own revision (SQLSTATE 40001, "retry me") although it had been applied.
SELECT t, min(rev) AS rev FROM fw.t WHERE t = 'refused' OR t = 'rate-limited' GROUP BY t;
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "PUT", "count": 1, "after": true, "drop_connection": true}' > /dev/null
SELECT fw.try($$UPDATE fw.t SET k = k + 100 WHERE t = 'rate-limited'$$);
SELECT k, rev FROM fw.t WHERE t = 'rate-limited' ORDER BY k;
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "records\\.json$", "method": "DELETE", "count": 1, "after": true, "status": 504, "body": "Gateway Timeout"}' > /dev/null
SELECT fw.try($$DELETE FROM fw.t WHERE t = 'cut'$$);
SELECT * FROM fw.content('cut');
:clear

-- 6. A cancel (statement_timeout) while rows are being converted (slowly: 50 ms a row past
-- row 2,000) and the first 2,000-row chunk is in flight, its answer held for 20 s after Kintone
-- wrote it: the statement is cancelled at once and the WARNING says that chunk may or may not
-- be written. Before, the abort cleanup waited for the answer (up to 30 s) instead. Kintone
-- did write it; the rows converted meanwhile were never sent.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "bulkRequest\\.json$", "count": 1, "after": true, "delay_ms": 20000}' > /dev/null
-- (Inside a block that catches the cancel, so that the WARNING of the abort cleanup and the
-- error come in a fixed order.)
SET statement_timeout = '5s';
DO $$
BEGIN
  INSERT INTO fw.t (k, t) SELECT i, 'cancelled' FROM generate_series(1, 3000) i WHERE i <= 2000 OR pg_sleep(0.05) IS NOT NULL;
EXCEPTION WHEN query_canceled THEN
  RAISE NOTICE 'cancelled: %', SQLERRM;
END $$;
RESET statement_timeout;
:clear
\! for i in $(seq 1 300); do test/emulator/emulator-ctl GET /_emulator/stats --field in_flight | grep -qx 0 && break; sleep 0.1; done
SELECT * FROM fw.content('cancelled');

-- 7. Chunks in flight together (issue 9 item 4, docs/concurrency.md, "Writes"): 10,000 rows are
-- 5 chunks, up to 4 in flight at the default max_concurrent_requests (8). The emulator holds
-- chunk 1 until a second chunk is in flight (proving the overlap without timing), refuses
-- chunk 3 (rows 4,001 to 6,000) with a Kintone error and loses the answer to chunk 4 after
-- processing it. The error waits for every chunk in flight and says what each did: chunks 1,
-- 2 and 5 written, 3 not, 4 unknown (Kintone did write it); each chunk was sent once.
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "bulkRequest\\.json$", "body_match": ":.1000.", "count": 1, "await_in_flight": 2}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "bulkRequest\\.json$", "body_match": ":.5000.", "count": 1, "status": 400, "code": "CB_VA01"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "bulkRequest\\.json$", "body_match": ":.7000.", "count": 1, "after": true, "drop_connection": true}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/stats/reset > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'chunks' FROM generate_series(1, 10000) i$$);
:clear
\! test/emulator/emulator-ctl GET /_emulator/stats | python3 -c 'import json, sys; d = json.load(sys.stdin); print("bulkRequest.json requests:", d["requests"].get("POST /k/v1/bulkRequest.json"), "| more than one in flight:", d["max_concurrent"] > 1)'
SELECT * FROM fw.content('chunks');
-- The same faults at max_concurrent_requests 1: one chunk at a time, nothing after chunk 3.
ALTER FOREIGN TABLE fw.t OPTIONS (ADD max_concurrent_requests '1');
\! test/emulator/emulator-ctl POST /_emulator/faults '{"match": "bulkRequest\\.json$", "body_match": ":.5000.", "count": 1, "status": 400, "code": "CB_VA01"}' > /dev/null
\! test/emulator/emulator-ctl POST /_emulator/stats/reset > /dev/null
SELECT fw.try($$INSERT INTO fw.t (k, t) SELECT i, 'one chunk' FROM generate_series(1, 10000) i$$);
:clear
\! test/emulator/emulator-ctl GET /_emulator/stats | python3 -c 'import json, sys; d = json.load(sys.stdin); print("bulkRequest.json requests:", d["requests"].get("POST /k/v1/bulkRequest.json"), "| more than one in flight:", d["max_concurrent"] > 1)'
SELECT * FROM fw.content('one chunk');
ALTER FOREIGN TABLE fw.t OPTIONS (DROP max_concurrent_requests);

-- Nothing anywhere was written twice.
SELECT t, count(*) AS records, count(DISTINCT k) AS distinct_k FROM fw.t GROUP BY t HAVING count(*) <> count(DISTINCT k);

-- Restore app 99 for the next test file.
\! test/emulator/emulator-ctl POST /_emulator/reset > /dev/null
DROP SCHEMA fw CASCADE;
DROP SERVER fw CASCADE;
