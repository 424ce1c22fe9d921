-- kintone_like(column, 'words'): Kintone's word search ("like"), used explicitly. SQL LIKE
-- stays local (Kintone's like is a word search, not a pattern match); kintone_like goes to
-- Kintone as `field like "words"` (NOT: `not like`) and, having no local implementation, is an
-- error wherever Kintone cannot evaluate it. (The emulator's like is a case-insensitive
-- substring match, an approximation of Kintone's index search: see test/emulator/README.md.)
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');

-- App 1: SINGLE_LINE_TEXT, MULTI_LINE_TEXT, RICH_TEXT, FILE, NUMBER; field types from the form.
CREATE FOREIGN TABLE cust (
    id bigint OPTIONS (field_code '$id'),
    company text OPTIONS (field_code '会社名'),
    note text OPTIONS (field_code '備考'),
    detail text OPTIONS (field_code '詳細'),
    files jsonb OPTIONS (field_code '添付'),
    employees numeric OPTIONS (field_code '従業員数')
) SERVER emu OPTIONS (app '1');
-- App 100 (BIG): label is SINGLE_LINE_TEXT with hostile strings and unicode.
CREATE FOREIGN TABLE big (
    id bigint OPTIONS (field_code '$id'),
    label text OPTIONS (field_type 'SINGLE_LINE_TEXT')
) SERVER emu OPTIONS (app '100');

\df kintone_like

-- Pushed down, exactly: no local filter remains.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cust WHERE kintone_like(note, 'メモ');
SELECT id, company FROM cust WHERE kintone_like(note, 'メモ') ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cust WHERE NOT kintone_like(note, 'メモ') AND employees > 10;
SELECT id FROM cust WHERE NOT kintone_like(note, 'メモ') AND employees > 10 ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cust WHERE kintone_like(detail, '重要') OR kintone_like(company, 'acme');
SELECT id FROM cust WHERE kintone_like(detail, '重要') OR kintone_like(company, 'acme') ORDER BY id;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cust WHERE kintone_like(files, 'report');
-- SQL LIKE is not Kintone's like: it stays local.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cust WHERE note LIKE '%メモ%';

-- Words are escaped: quotes, backslashes, unicode cannot change the query.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM big WHERE kintone_like(label, 'x" or $id > "0');
SELECT count(*) FROM big WHERE kintone_like(label, 'x" or $id > "0');
SELECT count(*) FROM big WHERE kintone_like(label, 'back\slash');
SELECT count(*) FROM big WHERE kintone_like(label, 'アイテム😀');
-- count(*) with it goes to Kintone as one totalCount request.
EXPLAIN (VERBOSE, COSTS OFF) SELECT count(*) FROM big WHERE kintone_like(label, 'アイテム');

-- Words known at execution: parameters, generic plans.
PREPARE s(text) AS SELECT count(*) FROM big WHERE kintone_like(label, $1) AND id < 1000;
SET plan_cache_mode = force_generic_plan;
EXPLAIN (VERBOSE, COSTS OFF) EXECUTE s('it''em');
EXECUTE s('it''em');
EXECUTE s('item-0099');
EXECUTE s(NULL);
-- Words Kintone cannot be sent (a control character) are an error, not a wrong answer.
EXECUTE s('a' || chr(1));
RESET plan_cache_mode;
DEALLOCATE s;

-- Wherever Kintone cannot evaluate it: an error.
SELECT id FROM cust WHERE kintone_like(note, 'a' || chr(1));
SELECT id FROM cust WHERE kintone_like(employees, '1');
SELECT id FROM cust WHERE kintone_like(note, 'メモ') OR id + 0 = 1;
SELECT id, kintone_like(note, 'メモ') FROM cust;
CREATE TEMP TABLE l_cust AS SELECT * FROM cust;
SELECT id FROM l_cust WHERE kintone_like(note, 'メモ');
SELECT kintone_like('abc'::text, 'b');
-- NULL words are NULL: no rows, negated or not.
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM cust WHERE kintone_like(note, NULL);
SELECT id FROM cust WHERE kintone_like(note, NULL);
SELECT id FROM cust WHERE NOT kintone_like(note, NULL);
-- An empty field is Kintone's to judge ("not like" matches it), so the function is not strict:
-- a LEFT JOIN is not turned into an inner join by a WHERE kintone_like(…) on its nullable side
-- (null-extended rows and records with an empty label were treated differently). Such a
-- condition cannot reach Kintone: an error. In the join condition, it goes to Kintone.
CREATE TEMP TABLE ids AS SELECT g * 41 AS k FROM generate_series(1, 300) g UNION ALL SELECT -1;
SELECT count(*) FROM ids LEFT JOIN big b ON b.id = ids.k WHERE NOT kintone_like(b.label, 'zzz');
SELECT count(*) FROM ids LEFT JOIN big b ON b.id = ids.k WHERE kintone_like(b.label, 'item');
SELECT count(*), count(b.id), count(b.id) FILTER (WHERE b.label IS NULL)
  FROM ids LEFT JOIN big b ON b.id = ids.k AND NOT kintone_like(b.label, 'zzz');
SELECT count(*), count(b.id) FROM ids JOIN big b ON b.id = ids.k WHERE NOT kintone_like(b.label, 'zzz');

SET client_min_messages = warning;
DROP SERVER emu CASCADE;
RESET client_min_messages;
