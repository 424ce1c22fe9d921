-- Batched joins ("Kintone Batched Join"): a join of a local table with a Kintone table on a
-- Kintone field sends the distinct join keys to Kintone in batches ("field in (…)", one
-- request per join_batch_size keys) instead of one request per key or reading the whole app.
-- Plans are pinned; request counts come from the emulator's stats (as in large.sql); every
-- result is compared with the same query over a local copy of the app (as in differential.sql).
-- App 100 (BIG, 12,345 records, see test/emulator/make-regress-seed.py).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

CREATE FOREIGN TABLE big (
    id bigint OPTIONS (field_code '$id'),
    n numeric,
    label text,
    kind text,
    day date
) SERVER emu OPTIONS (app '100');

-- Stats helpers (as in large.sql): \! eval "$STATS_RESET" zeroes the counters;
-- \! sh -c "$STATS" - EXPR… prints each assertion with "ok" (or FAILED and the stats).
-- records: requests to records.json (GET, or POST with X-HTTP-Method-Override).
\setenv STATS_CHECK 'import json, sys\ns = json.load(sys.stdin)\nr = s["requests"]\nv = dict(requests=s["requests_total"], records=sum(n for k, n in r.items() if k.endswith("/records.json")), records_out=s["records_out"])\nfor e in sys.argv[1:]:\n    print(e + ": " + ("ok" if eval(e, {}, v) else "FAILED " + json.dumps(v, sort_keys=True)))'
\setenv STATS_RESET 'curl -s -X POST "$KINTONE_EMULATOR_URL/_emulator/stats/reset" > /dev/null'
\setenv STATS 'curl -s "$KINTONE_EMULATOR_URL/_emulator/stats" | python3 -c "$(printf "$STATS_CHECK")" "$@"'

-- Row estimates for the app (one full read) and a local copy of it.
ANALYZE big;
CREATE TEMP TABLE l_big AS SELECT * FROM big;
ANALYZE l_big;

-- Join keys: 300 record ids, then 20 of them again, 3 NULLs and 4 ids no record has.
CREATE TEMP TABLE keys (k bigint, tag text);
INSERT INTO keys SELECT g * 41, 'id ' || g FROM generate_series(1, 300) g;
INSERT INTO keys SELECT g * 41 * 15, 'dup ' || g FROM generate_series(1, 20) g;
INSERT INTO keys VALUES (NULL, 'null 1'), (NULL, 'null 2'), (NULL, 'null 3'),
    (0, 'absent'), (-5, 'absent'), (20000, 'absent'), (99999, 'absent');
ANALYZE keys;
-- int4 keys (a cross-type join with the bigint $id column).
CREATE TEMP TABLE ikeys AS SELECT k::int AS k FROM keys;
ANALYZE ikeys;
-- Text keys: ordinary labels, case variants, hostile strings, unicode, '' and NULL.
CREATE TEMP TABLE tkeys (t text);
INSERT INTO tkeys VALUES ('item-00062'), ('item-12345'), ('item-00063'), ('Item'), ('ITEM'),
    ('back\slash'), ('x" or $id > "0'), ('アイテム😀'), ('it''em'), ('line' || chr(10) || 'break'),
    (''), (NULL), ('no such label'), ('item-00062');
ANALYZE tkeys;
-- Number keys.
CREATE TEMP TABLE nkeys (v numeric);
INSERT INTO nkeys VALUES (-200), (17), (17.5), (798), (1000), (NULL), (17);
ANALYZE nkeys;

-- Runs q over the foreign table and over the local copy ({x} is '' or 'l_'), compares the
-- results as multisets; returns the number of rows and ok or what differs.
CREATE FUNCTION pg_temp.diff(q text, OUT nrows bigint, OUT result text) LANGUAGE plpgsql AS $$
DECLARE
    missing bigint;
    extra bigint;
BEGIN
    EXECUTE 'CREATE TEMP TABLE _rf AS ' || replace(q, '{x}', '');
    EXECUTE 'CREATE TEMP TABLE _rl AS ' || replace(q, '{x}', 'l_');
    SELECT count(*) INTO nrows FROM _rl;
    SELECT count(*) INTO missing FROM (SELECT * FROM _rl EXCEPT ALL SELECT * FROM _rf) d;
    SELECT count(*) INTO extra FROM (SELECT * FROM _rf EXCEPT ALL SELECT * FROM _rl) d;
    result := CASE WHEN missing = 0 AND extra = 0 THEN 'ok'
                   ELSE format('MISMATCH: %s missing, %s extra', missing, extra) END;
    DROP TABLE _rf, _rl;
END;
$$;

-- The Kintone query of the last batch, as sent (EXPLAIN ANALYZE VERBOSE shows it filled in).
CREATE FUNCTION pg_temp.sent_query(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
        IF line ~ 'Kintone (query|requests|batches|keys sent)' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END;
$$;

-- EXPLAIN ANALYZE lines about Kintone requests, batches and keys (bytes vary with encoding).
CREATE FUNCTION pg_temp.counters(q text) RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    FOR line IN EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF) ' || q LOOP
        IF line ~ 'Custom Scan|Foreign Scan|Kintone (requests|records|batches|keys sent)' THEN
            RETURN NEXT line;
        END IF;
    END LOOP;
END;
$$;

-- 1. The typical case: a few hundred local rows joined to an app of 12,345 records.
\! eval "$STATS_RESET"
EXPLAIN (VERBOSE, COSTS OFF) SELECT k.tag, b.id, b.label FROM keys k JOIN big b ON b.id = k.k;
-- Plain EXPLAIN sends nothing.
\! sh -c "$STATS" - 'requests == 0'
SELECT count(*), count(DISTINCT b.id), sum(b.id), min(b.label), max(b.label)
  FROM keys k JOIN big b ON b.id = k.k;
-- Distinct keys per batch, 100 per request: 100, 100, 100, then 24 (the 20 repeated ids, sent
-- again since their first batch is gone, and the 4 absent ones): 4 requests.
\! sh -c "$STATS" - 'records == 4' 'records_out == 320'
SELECT * FROM pg_temp.counters('SELECT k.tag, b.id, b.label FROM keys k JOIN big b ON b.id = k.k');
SELECT * FROM pg_temp.diff('SELECT k.tag, b.id, b.n, b.label, b.kind, b.day FROM keys k JOIN {x}big b ON b.id = k.k');

-- An outer side much larger than the app (100,000 keys, 1000 requests) reads the app instead.
EXPLAIN (COSTS OFF) SELECT count(*) FROM generate_series(1, 100000) g JOIN big b ON b.id = g;

-- The batch size is an option of the server or the table; 0 turns batched joins off.
ALTER FOREIGN TABLE big OPTIONS (ADD join_batch_size '20');
\! eval "$STATS_RESET"
SELECT count(*), sum(b.id) FROM keys k JOIN big b ON b.id = k.k;
-- 300 / 20 = 15 requests, then 20 keys, then 4: 17 requests.
\! sh -c "$STATS" - 'records == 17' 'records_out == 320'
-- One key per request (the planner is told to avoid the other joins): one request per key.
ALTER FOREIGN TABLE big OPTIONS (SET join_batch_size '1');
SET enable_hashjoin = off;
SET enable_mergejoin = off;
SET enable_nestloop = off;
\! eval "$STATS_RESET"
SELECT * FROM pg_temp.diff('SELECT k.tag, b.label FROM keys k LEFT JOIN {x}big b ON b.id = k.k WHERE k.k < 2000 OR k.k IS NULL');
-- 48 ids below 2000 (3 of them again, in their own batches) and 0 and -5: 53 requests.
\! sh -c "$STATS" - 'records == 53'
RESET enable_hashjoin;
RESET enable_mergejoin;
RESET enable_nestloop;
-- With 7 keys per request (47 requests), reading the whole app (25 pages) is cheaper.
ALTER FOREIGN TABLE big OPTIONS (SET join_batch_size '7');
EXPLAIN (COSTS OFF) SELECT k.tag, b.id FROM keys k JOIN big b ON b.id = k.k;
ALTER FOREIGN TABLE big OPTIONS (SET join_batch_size '0');
EXPLAIN (COSTS OFF) SELECT k.tag, b.id FROM keys k JOIN big b ON b.id = k.k;
ALTER FOREIGN TABLE big OPTIONS (DROP join_batch_size);
ALTER SERVER emu OPTIONS (ADD join_batch_size '250');
\! eval "$STATS_RESET"
SELECT count(*), sum(b.id) FROM keys k JOIN big b ON b.id = k.k;
\! sh -c "$STATS" - 'records == 2'
ALTER SERVER emu OPTIONS (DROP join_batch_size);
ALTER SERVER emu OPTIONS (ADD join_batch_size '1001');
ALTER FOREIGN TABLE big OPTIONS (ADD join_batch_size 'ten');

-- 2. LEFT, SEMI and ANTI joins; NULL keys and keys no record has.
EXPLAIN (VERBOSE, COSTS OFF) SELECT k.tag, b.label FROM keys k LEFT JOIN big b ON b.id = k.k;
EXPLAIN (VERBOSE, COSTS OFF) SELECT k.tag FROM keys k WHERE EXISTS (SELECT 1 FROM big b WHERE b.id = k.k);
EXPLAIN (VERBOSE, COSTS OFF) SELECT k.tag FROM keys k WHERE NOT EXISTS (SELECT 1 FROM big b WHERE b.id = k.k);
SELECT * FROM pg_temp.diff('SELECT k.tag, b.label FROM keys k LEFT JOIN {x}big b ON b.id = k.k');
SELECT * FROM pg_temp.diff('SELECT k.tag FROM keys k WHERE EXISTS (SELECT 1 FROM {x}big b WHERE b.id = k.k)');
SELECT * FROM pg_temp.diff('SELECT k.tag FROM keys k WHERE NOT EXISTS (SELECT 1 FROM {x}big b WHERE b.id = k.k)');
SELECT * FROM pg_temp.diff('SELECT k.tag FROM keys k WHERE k.k IN (SELECT id FROM {x}big b)');
SELECT * FROM pg_temp.diff('SELECT k.tag, b.id FROM keys k LEFT JOIN {x}big b ON b.id = k.k WHERE b.id IS NULL');
-- LEFT join: a join clause on the inner side decides matching (null-extends), a WHERE
-- clause filters after the join.
SELECT * FROM pg_temp.diff('SELECT k.tag, b.n FROM keys k LEFT JOIN {x}big b ON b.id = k.k AND b.n > 100');
SELECT * FROM pg_temp.diff('SELECT k.tag, b.n FROM keys k LEFT JOIN {x}big b ON b.id = k.k WHERE b.n > 100 OR b.n IS NULL');
SELECT * FROM pg_temp.diff('SELECT k.tag, b.n FROM keys k LEFT JOIN {x}big b ON b.id = k.k AND k.tag LIKE ''dup%''');
-- Extra join conditions, and conditions of the Kintone table pushed down with the keys.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT k.tag, b.n FROM keys k JOIN big b ON b.id = k.k AND b.n < k.k % 500 WHERE b.kind = 'beta' AND b.label LIKE 'item%';
SELECT * FROM pg_temp.diff('SELECT k.tag, b.n FROM keys k JOIN {x}big b ON b.id = k.k AND b.n < k.k % 500 WHERE b.kind = ''beta'' AND b.label LIKE ''item%''');
SELECT * FROM pg_temp.diff('SELECT k.tag, b.n FROM keys k JOIN {x}big b ON b.id = k.k WHERE b.day > ''2022-01-01'' AND b.n IS NOT NULL');

-- 3. Key types: int4 keys against bigint $id, text keys, number keys.
EXPLAIN (VERBOSE, COSTS OFF) SELECT i.k, b.label FROM ikeys i JOIN big b ON b.id = i.k;
SELECT * FROM pg_temp.diff('SELECT i.k, b.label FROM ikeys i JOIN {x}big b ON b.id = i.k');
EXPLAIN (VERBOSE, COSTS OFF) SELECT t.t, b.id FROM tkeys t JOIN big b ON b.label = t.t;
\! eval "$STATS_RESET"
SELECT * FROM pg_temp.diff('SELECT t.t, b.id FROM tkeys t JOIN {x}big b ON b.label = t.t');
-- One batch; its pages hold the matching records only (the whole app is 25 pages).
\! sh -c "$STATS" - 'records < 10' 'records_out < 2500'
-- Every key escaped (quotes, backslashes, newlines, unicode); '' and NULL left out.
SELECT * FROM pg_temp.sent_query('SELECT t.t, b.id FROM tkeys t JOIN big b ON b.label = t.t');
-- A key Kintone cannot be sent (a control character) makes the batch read every record:
-- slower, still exact.
SELECT * FROM pg_temp.sent_query('SELECT t.t, b.id FROM (VALUES (''item-00062''), (''a'' || chr(1))) t(t) JOIN big b ON b.label = t.t');
SELECT * FROM pg_temp.diff('SELECT t.t, b.id FROM (VALUES (''item-00062''), (''a'' || chr(1))) t(t) JOIN {x}big b ON b.label = t.t');
SELECT * FROM pg_temp.diff('SELECT t.t, b.id FROM tkeys t LEFT JOIN {x}big b ON b.label = t.t');
SELECT * FROM pg_temp.diff('SELECT t.t FROM tkeys t WHERE NOT EXISTS (SELECT FROM {x}big b WHERE b.label = t.t)');
EXPLAIN (VERBOSE, COSTS OFF) SELECT v.v, b.id FROM nkeys v JOIN big b ON b.n = v.v;
SELECT * FROM pg_temp.diff('SELECT v.v, b.id FROM nkeys v JOIN {x}big b ON b.n = v.v');
SELECT * FROM pg_temp.sent_query('SELECT v.v, b.id FROM nkeys v JOIN big b ON b.n = v.v');
SELECT * FROM pg_temp.diff('SELECT v.v, count(b.id) FROM nkeys v LEFT JOIN {x}big b ON b.n = v.v GROUP BY v.v');

-- A long key list (1000 labels, some 14 KB of query) goes as POST with X-HTTP-Method-Override
-- (the emulator, like Kintone, answers a GET URL past 8 KB with 414).
ALTER FOREIGN TABLE big OPTIONS (ADD join_batch_size '1000');
CREATE TEMP TABLE many AS SELECT 'item-' || lpad(g::text, 5, '0') AS t FROM generate_series(1000, 1999) g;
ANALYZE many;
EXPLAIN (COSTS OFF) SELECT m.t, b.id FROM many m JOIN big b ON b.label = m.t;
\! eval "$STATS_RESET"
SELECT count(*), min(b.label), max(b.label) FROM many m JOIN big b ON b.label = m.t;
-- 760 of the labels exist: one batch of 2 pages, read concurrently (the first page, then the
-- rest of the $id range as one slice and the open slice after it: one request more).
\! sh -c "$STATS" - 'records == 3' 'records_out == 760'
SELECT * FROM pg_temp.diff('SELECT m.t, b.id FROM many m JOIN {x}big b ON b.label = m.t');
ALTER FOREIGN TABLE big OPTIONS (DROP join_batch_size);

-- Outer keys that are expressions of the outer columns: int keys against a numeric field
-- (cast to numeric), bigint keys cast to text.
EXPLAIN (VERBOSE, COSTS OFF) SELECT i.k, b.id FROM ikeys i JOIN big b ON b.n = i.k WHERE i.k < 800;
SELECT * FROM pg_temp.diff('SELECT i.k, b.id FROM ikeys i JOIN {x}big b ON b.n = i.k WHERE i.k < 800');
EXPLAIN (VERBOSE, COSTS OFF) SELECT k.k, b.id FROM keys k JOIN big b ON b.label = 'item-' || lpad(k.k::text, 5, '0');
SELECT * FROM pg_temp.diff('SELECT k.k, b.id FROM keys k JOIN {x}big b ON b.label = ''item-'' || lpad(k.k::text, 5, ''0'')');
-- Varchar keys (a binary-compatible cast to text), a three-way join, and a Kintone table on
-- the outer side too.
SELECT * FROM pg_temp.diff('SELECT v.t, b.id FROM (SELECT t::varchar(20) AS t FROM tkeys) v JOIN {x}big b ON b.label = v.t');
SELECT * FROM pg_temp.diff('SELECT k.tag, b.label, t.t FROM keys k JOIN {x}big b ON b.id = k.k LEFT JOIN tkeys t ON t.t = b.label');
EXPLAIN (COSTS OFF) SELECT a.id, b.id AS b_id FROM big a JOIN big b ON b.n = a.n WHERE a.id < 300 AND a.n > 780;
SELECT * FROM pg_temp.diff('SELECT a.id, b.id AS b_id FROM {x}big a JOIN {x}big b ON b.n = a.n WHERE a.id < 300 AND a.n > 780');

-- 4. Rescans: the join inside a subquery run once per outer row.
EXPLAIN (VERBOSE, COSTS OFF)
SELECT x, (SELECT count(*) FROM keys k JOIN big b ON b.id = k.k WHERE k.k % 3 = x) FROM generate_series(0, 2) x;
\! eval "$STATS_RESET"
SELECT x, (SELECT count(*) FROM keys k JOIN big b ON b.id = k.k WHERE k.k % 3 = x) FROM generate_series(0, 2) x;
-- x = 0: 100 ids, then the 20 repeated ids and 99999 (2 requests); x = 1: 100 ids (1);
-- x = 2: 100 ids, then 20000 (2).
\! sh -c "$STATS" - 'records == 5'
SELECT * FROM pg_temp.diff('SELECT x, (SELECT sum(b.id) FROM keys k JOIN {x}big b ON b.id = k.k WHERE k.k % 3 = x) FROM generate_series(0, 2) x');

-- 5. Prepared statements with generic plans.
SET plan_cache_mode = force_generic_plan;
PREPARE q(bigint) AS SELECT count(*), sum(b.id), max(b.label) FROM keys k JOIN big b ON b.id = k.k WHERE k.k < $1;
PREPARE l_q(bigint) AS SELECT count(*), sum(b.id), max(b.label) FROM keys k JOIN l_big b ON b.id = k.k WHERE k.k < $1;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE q(5000);
EXECUTE q(5000);
EXECUTE l_q(5000);
EXECUTE q(100000);
EXECUTE l_q(100000);
EXECUTE q(0);
RESET plan_cache_mode;

-- INSERT … SELECT uses it too; UPDATE … FROM and SELECT … FOR UPDATE (rows rechecked) do not.
CREATE TEMP TABLE copied (tag text, label text);
EXPLAIN (COSTS OFF) INSERT INTO copied SELECT k.tag, b.label FROM keys k JOIN big b ON b.id = k.k;
INSERT INTO copied SELECT k.tag, b.label FROM keys k JOIN big b ON b.id = k.k;
SELECT count(*), count(DISTINCT tag), count(label) FROM copied;
EXPLAIN (COSTS OFF) UPDATE copied c SET label = b.label FROM keys k JOIN big b ON b.id = k.k WHERE c.tag = k.tag;
EXPLAIN (COSTS OFF) SELECT k.tag, b.label FROM keys k JOIN big b ON b.id = k.k FOR UPDATE OF k;

-- 6. A cursor read partly, then closed; the rows come out in the outer side's order.
BEGIN;
DECLARE c CURSOR FOR SELECT k.k, b.label FROM (SELECT * FROM keys ORDER BY k DESC NULLS LAST LIMIT 250) k JOIN big b ON b.id = k.k;
FETCH 3 FROM c;
CLOSE c;
COMMIT;

SET client_min_messages = warning;
DROP SERVER emu CASCADE;
RESET client_min_messages;
