-- Attachments: kintone_file_content(server, file key) reads a file of a record or of a subtable
-- row as bytea; kintone_file_upload(server, name, bytea, content type) uploads one and returns
-- the key to write into a FILE column in INSERT or UPDATE. Size limits are checked before
-- anything is sent; Kintone's refusals are errors. App 93 (ATTACH) of the regress seed is used
-- only by this file; only yamada may use it.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_fl FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_fl OPTIONS (username 'yamada', password 'yamada-pass');
-- The same Kintone with a smaller upload limit (max_file_size, bytes), and as sato.
CREATE SERVER emu_fl_small FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', max_file_size '1024');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_fl_small OPTIONS (username 'yamada', password 'yamada-pass');
CREATE SERVER emu_fl_sato FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_fl_sato OPTIONS (username 'sato', password 'sato-pass');
CREATE SERVER emu_fl_nomap FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE SCHEMA fl;
CREATE FOREIGN TABLE fl.attach (id bigint OPTIONS (field_code '$id'), title text, files jsonb, docs jsonb)
  SERVER emu_fl OPTIONS (app '93');
-- Runs a statement and re-raises its error with the SQLSTATE in front and without Kintone's
-- random request id, so that the expected output is stable.
CREATE FUNCTION try(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE s text; m text; d text; h text;
BEGIN
  EXECUTE statement;
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS s = RETURNED_SQLSTATE, m = MESSAGE_TEXT, d = PG_EXCEPTION_DETAIL, h = PG_EXCEPTION_HINT;
  m := '[' || s || '] ' || m;
  d := regexp_replace(d, 'request id [A-Za-z0-9_-]+', 'request id (random)');
  IF d <> '' AND h <> '' THEN RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m, DETAIL = d, HINT = h;
  ELSIF d <> '' THEN RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m, DETAIL = d;
  ELSIF h <> '' THEN RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m, HINT = h;
  ELSE RAISE EXCEPTION USING ERRCODE = s, MESSAGE = m;
  END IF;
END $$;
-- Bytes 0, 1, …, 255, 0, 1, … (n of them).
CREATE FUNCTION bytes(n int) RETURNS bytea LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(string_agg(set_byte('\x00'::bytea, 0, i % 256), ''::bytea ORDER BY i), ''::bytea)
  FROM generate_series(0, n - 1) i $$;
\set stats_reset '\\! curl -s -X POST $KINTONE_EMULATOR_URL/_emulator/stats/reset >/dev/null'
\set stats '\\! curl -s $KINTONE_EMULATOR_URL/_emulator/stats | python3 -c "import json,sys; r=json.load(sys.stdin)[\\"requests\\"]; print(sorted((k, v) for k, v in r.items() if \\"file.json\\" in k))"'

-- The files of each record, as users write it: one row per file of the FILE value.
SELECT a.id, f->>'name' AS name, f->>'contentType' AS content_type, (f->>'size')::int AS size,
       length(kintone_file_content('emu_fl', f->>'fileKey')) AS bytes
FROM fl.attach a, jsonb_array_elements(a.files) f
ORDER BY a.id, name;
-- Byte for byte (every byte value; empty).
SELECT f->>'name' AS name, kintone_file_content('emu_fl', f->>'fileKey') = bytes((f->>'size')::int) AS same
FROM fl.attach a, jsonb_array_elements(a.files) f
WHERE a.id = 1 ORDER BY name;
-- Files in subtable rows.
SELECT r->'value'->'doc_title'->>'value' AS doc_title, d->>'name' AS name,
       convert_from(kintone_file_content('emu_fl', d->>'fileKey'), 'UTF8') AS content
FROM fl.attach a, jsonb_array_elements(a.docs) r, jsonb_array_elements(r->'value'->'doc'->'value') d
ORDER BY a.id;
-- A NULL key gives NULL (the function is strict); nothing is sent.
:stats_reset
SELECT kintone_file_content('emu_fl', NULL) IS NULL AS is_null;
:stats

-- Upload and attach: the returned key goes into the FILE column (a JSON array of keys, or of
-- {"fileKey": …} objects; text and text[] columns take keys too).
:stats_reset
INSERT INTO fl.attach (title, files)
VALUES ('uploaded', jsonb_build_array(kintone_file_upload('emu_fl', 'データ.bin', bytes(70000)))),
  ('empty upload', jsonb_build_array(kintone_file_upload('emu_fl', 'empty.txt', ''::bytea, 'text/plain')));
:stats
SELECT a.title, f->>'name' AS name, f->>'contentType' AS content_type, f->>'size' AS size,
       kintone_file_content('emu_fl', f->>'fileKey') = bytes((f->>'size')::int) AS same
FROM fl.attach a, jsonb_array_elements(a.files) f
WHERE a.id > 2 ORDER BY a.id;
-- UPDATE: add a file to those a record has (the existing ones are sent again with their keys).
UPDATE fl.attach SET files = files || jsonb_build_array(kintone_file_upload('emu_fl', 'note.txt',
  convert_to('second file', 'UTF8'), 'text/plain'))
WHERE title = 'uploaded';
SELECT f->>'name' AS name, f->>'size' AS size, length(kintone_file_content('emu_fl', f->>'fileKey')) AS bytes
FROM fl.attach a, jsonb_array_elements(a.files) f
WHERE a.title = 'uploaded' ORDER BY name;
-- UPDATE of a subtable: a new row with a file ({"fileKey": …} objects inside the row).
UPDATE fl.attach SET docs = docs || jsonb_build_array(jsonb_build_object('doc_title', 'drawing',
  'doc', jsonb_build_array(jsonb_build_object('fileKey',
    kintone_file_upload('emu_fl', '図面.png', '\x89504e470d0a1a0a'::bytea, 'image/png')))))
WHERE id = 1;
SELECT r->'value'->'doc_title'->>'value' AS doc_title, d->>'name' AS name, d->>'contentType' AS content_type,
       kintone_file_content('emu_fl', d->>'fileKey') AS content
FROM fl.attach a, jsonb_array_elements(a.docs) r, jsonb_array_elements(r->'value'->'doc'->'value') d
WHERE a.id = 1 ORDER BY doc_title;

-- At the size limit (max_file_size 1024 on emu_fl_small): taken, and read back byte for byte.
INSERT INTO fl.attach (title, files)
VALUES ('at the limit', jsonb_build_array(kintone_file_upload('emu_fl_small', 'limit.bin', bytes(1024))));
SELECT (f->>'size')::int AS size, kintone_file_content('emu_fl_small', f->>'fileKey') = bytes(1024) AS same
FROM fl.attach a, jsonb_array_elements(a.files) f WHERE a.title = 'at the limit';

-- Refusals. Over the limit: an error before anything is sent (no request), the INSERT writes nothing.
:stats_reset
SELECT try($$INSERT INTO fl.attach (title, files)
  VALUES ('too big', jsonb_build_array(kintone_file_upload('emu_fl_small', 'big.bin', bytes(1025))))$$);
:stats
SELECT count(*) FROM fl.attach WHERE title = 'too big';
-- Names and content types a multipart upload cannot carry: refused before sending.
SELECT try($$SELECT kintone_file_upload('emu_fl', 'a"b.txt', 'x'::bytea)$$);
SELECT try($$SELECT kintone_file_upload('emu_fl', '', 'x'::bytea)$$);
SELECT try($$SELECT kintone_file_upload('emu_fl', 'a.txt', 'x'::bytea, 'text')$$);
SELECT try($$SELECT kintone_file_upload('emu_fl', 'a.txt', NULL)$$);
:stats
-- Kintone's own limit (the emulator's is set lower here): Kintone's error.
\! curl -s -X POST -d '{"max_file_size": 10}' $KINTONE_EMULATOR_URL/_emulator/config >/dev/null
SELECT try($$SELECT kintone_file_upload('emu_fl', 'eleven.txt', convert_to('12345678901', 'UTF8'))$$);
\! curl -s -X POST -d '{"max_file_size": 1073741824}' $KINTONE_EMULATOR_URL/_emulator/config >/dev/null
-- An unknown key, an empty key.
SELECT try($$SELECT kintone_file_content('emu_fl', 'no-such-key')$$);
SELECT try($$SELECT kintone_file_content('emu_fl', '')$$);
-- No permission: sato may not view app 93, so not its files either.
SELECT try($$SELECT kintone_file_content('emu_fl_sato', '2026120100000000000000000000000000000000000000001')$$);
-- A server that does not exist, one without a user mapping, one of another wrapper, no USAGE.
SELECT try($$SELECT kintone_file_content('no_such_server', 'k')$$);
SELECT try($$SELECT kintone_file_upload('no_such_server', 'a.txt', 'x'::bytea)$$);
SELECT try($$SELECT kintone_file_content('emu_fl_nomap', 'k')$$);
CREATE FOREIGN DATA WRAPPER fl_other_fdw;
CREATE SERVER fl_other FOREIGN DATA WRAPPER fl_other_fdw;
SELECT try($$SELECT kintone_file_content('fl_other', 'k')$$);
CREATE ROLE fl_nousage;
CREATE USER MAPPING FOR fl_nousage SERVER emu_fl OPTIONS (username 'yamada', password 'yamada-pass');
GRANT EXECUTE ON FUNCTION try(text) TO fl_nousage;
SET ROLE fl_nousage;
SELECT try($$SELECT kintone_file_content('emu_fl', 'k')$$);
RESET ROLE;

-- Clean up (app 93 is used only by this file).
DELETE FROM fl.attach WHERE id > 2;
SET client_min_messages = warning;
DROP USER MAPPING FOR fl_nousage SERVER emu_fl;
REVOKE EXECUTE ON FUNCTION try(text) FROM fl_nousage;
DROP ROLE fl_nousage;
DROP SERVER fl_other;
DROP FOREIGN DATA WRAPPER fl_other_fdw;
DROP SCHEMA fl CASCADE;
DROP SERVER emu_fl, emu_fl_small, emu_fl_sato, emu_fl_nomap CASCADE;
DROP FUNCTION try(text);
DROP FUNCTION bytes(int);
