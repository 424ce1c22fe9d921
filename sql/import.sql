-- IMPORT FOREIGN SCHEMA: one foreign table per app, one column per form field with its
-- field_code and field_type; LIMIT TO / EXCEPT, the options apps, guest_space_id and
-- table_name, name normalisation and collisions, API tokens, guest spaces, errors.
SET client_min_messages = warning; -- quiet whether or not an earlier test created the extension
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_import FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_import OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

-- The foreign tables of a schema, and their columns (stable: no \d+).
CREATE FUNCTION imported_tables(nsp text)
RETURNS TABLE (table_name name, table_options text[]) LANGUAGE sql AS $$
  SELECT c.relname, ft.ftoptions
  FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
  WHERE c.relnamespace = nsp::regnamespace
  ORDER BY c.relname COLLATE "C"
$$;
CREATE FUNCTION imported_columns(nsp text)
RETURNS TABLE (table_name name, column_name name, column_type text, column_options text[]) LANGUAGE sql AS $$
  SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attfdwoptions
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
  WHERE c.relnamespace = nsp::regnamespace AND c.relkind = 'f' AND a.attnum > 0 AND NOT a.attisdropped
  ORDER BY c.relname COLLATE "C", a.attnum
$$;

-- Every app the user sees (apps.json, password authentication). App 3 lives in a guest space:
-- on the normal path its form cannot be read, so it is skipped with a NOTICE.
CREATE SCHEMA kin;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin;
SELECT * FROM imported_tables('kin');
-- System columns first ($id, $revision, record number, creator, created, modifier, updated),
-- then the form's fields in form order; disabled STATUS / STATUS_ASSIGNEE / CATEGORY are left out.
SELECT * FROM imported_columns('kin');

-- The imported tables can be read at once. Record 30 has empty fields: NULL for scalars,
-- '{}' for multi-selections, '[]' for jsonb lists.
SELECT "$id", "レコード番号", "作成者", "会社名", "従業員数", "一人当たり売上", "タグ", "業種", "契約日", "連絡時刻", "担当者", "添付"
FROM kin."顧客管理" WHERE "$id" IN (1, 3, 30) ORDER BY "$id";
SELECT "$id", "受注番号", "商品", "数量", "金額", "受注日", "出荷日時" FROM kin.orders ORDER BY "$id" LIMIT 3;
SELECT count(*) FROM kin."問い合わせ管理";

-- LIMIT TO and EXCEPT name tables (PostgreSQL keeps only the commands whose table name
-- passes the list); unknown names are ignored.
CREATE SCHEMA lim;
IMPORT FOREIGN SCHEMA kintone LIMIT TO (orders, "顧客管理", nosuch) FROM SERVER emu_import INTO lim;
SELECT * FROM imported_tables('lim');
-- EXCEPT also drops apps named by app code (any case) or id.
CREATE SCHEMA exc;
IMPORT FOREIGN SCHEMA kintone EXCEPT (orders, "4", "Hr") FROM SERVER emu_import INTO exc;
SELECT * FROM imported_tables('exc');
-- An app code or id in LIMIT TO selects the app, but PostgreSQL still wants the table name:
-- a NOTICE says so instead of importing nothing silently.
CREATE SCHEMA lim2;
IMPORT FOREIGN SCHEMA kintone LIMIT TO (hr, "4", "受注管理") FROM SERVER emu_import INTO lim2
  OPTIONS (table_name 'name');
SELECT * FROM imported_tables('lim2');

-- Table names: auto (app code lower-cased, else the normalised app name), code, name, id.
CREATE SCHEMA n_auto;
CREATE SCHEMA n_code;
CREATE SCHEMA n_name;
CREATE SCHEMA n_id;
IMPORT FOREIGN SCHEMA kintone EXCEPT (guest) FROM SERVER emu_import INTO n_auto OPTIONS (table_name 'auto');
IMPORT FOREIGN SCHEMA kintone EXCEPT (guest) FROM SERVER emu_import INTO n_code OPTIONS (table_name 'code');
IMPORT FOREIGN SCHEMA kintone EXCEPT (guest) FROM SERVER emu_import INTO n_name OPTIONS (table_name 'name');
IMPORT FOREIGN SCHEMA kintone EXCEPT (guest) FROM SERVER emu_import INTO n_id OPTIONS (table_name 'id');
SELECT 'auto' AS naming, * FROM imported_tables('n_auto')
UNION ALL SELECT 'code', * FROM imported_tables('n_code')
UNION ALL SELECT 'name', * FROM imported_tables('n_name')
UNION ALL SELECT 'id', * FROM imported_tables('n_id');

-- Unknown IMPORT options and bad values.
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (app '1');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (tablename 'id');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (nothing 'x');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (apps '1, x');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (apps '1,,2');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (table_name 'label');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO kin OPTIONS (guest_space_id '0');

-- API tokens: Kintone refuses them for apps.json, so the apps must be listed.
CREATE SERVER emu_token FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_token OPTIONS (api_token 'app1viewtoken');
CREATE SCHEMA tok;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_token INTO tok;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_token INTO tok OPTIONS (apps '1, 1');
SELECT * FROM imported_tables('tok');
SELECT "$id", "顧客ID", "会社名", "業種", "対応言語" FROM tok."顧客管理" ORDER BY "$id" LIMIT 3;
-- A token of app 1 does not open app 2: Kintone's error, through the guard.
\set VERBOSITY terse
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_token INTO tok OPTIONS (apps '2');
\set VERBOSITY default

-- Guest spaces. App 3 is in guest space 2: on the normal path Kintone answers GAIA_IL23.
CREATE SERVER emu_app3 FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_app3 OPTIONS (api_token 'app3fulltoken');
CREATE SCHEMA gst;
CREATE FUNCTION import_error(command text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text;
  message text;
  hint text;
BEGIN
  EXECUTE command;
  RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
  RETURN state || ': ' || message || E'\nHINT: ' || hint;
END
$$;
SELECT import_error($$IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_app3 INTO gst OPTIONS (apps '3')$$);
-- The IMPORT option guest_space_id goes into the table options (the server has none).
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_app3 INTO gst OPTIONS (apps '3', guest_space_id '2');
SELECT * FROM imported_tables('gst');
SELECT * FROM imported_columns('gst');
SELECT "$id", "案件名", "金額", "期限", "担当" FROM gst.guest ORDER BY "$id" LIMIT 2;
-- An app outside the guest space is not reachable on its path.
SELECT import_error($$IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO gst OPTIONS (apps '1', guest_space_id '2')$$);
-- With password authentication and guest_space_id, every app of that guest space.
CREATE SCHEMA gst_all;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO gst_all OPTIONS (guest_space_id '2');
SELECT * FROM imported_tables('gst_all');
-- A server in the guest space: its guest_space_id applies, the tables do not repeat it.
CREATE SERVER emu_guest FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url', guest_space_id '2');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_guest OPTIONS (api_token 'app3fulltoken');
CREATE SCHEMA gst_srv;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_guest INTO gst_srv OPTIONS (apps '3');
SELECT * FROM imported_tables('gst_srv');
SELECT count(*) FROM gst_srv.guest;

-- Name normalisation and collisions, with three more apps created through the API (ids 101,
-- 102, 103: the emulator is first reset to its seed, whose last app is 100):
-- "Orders" (no code) meets app 2's code ORDERS, so both get "_<id>"; punctuation and spaces
-- become "_", letters (Japanese too) stay; names are cut at 63 bytes on a character boundary.
\! python3 -c 'import os, urllib.request as r; r.urlopen(r.Request(os.environ["KINTONE_EMULATOR_URL"] + "/_emulator/reset", data=b"{}", method="POST")).read()'
\! python3 -c 'import base64, json, os, urllib.request as r; [r.urlopen(r.Request(os.environ["KINTONE_EMULATOR_URL"] + "/k/v1/preview/app.json", data=json.dumps({"name": n}).encode(), headers={"Content-Type": "application/json", "X-Cybozu-Authorization": base64.b64encode(b"Administrator:admin-pass").decode()})).read() for n in ["Orders", " Sales Report (2026) — 東京/大阪! ", "長" * 30]]'
CREATE SCHEMA col;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO col;
SELECT table_name, octet_length(table_name), table_options FROM imported_tables('col');
-- Created apps only have the system fields.
SELECT * FROM imported_columns('col') WHERE table_name = 'orders_101';
-- With the option apps, names are chosen among the listed apps only.
CREATE SCHEMA col2;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_import INTO col2 OPTIONS (apps '101, 102');
SELECT * FROM imported_tables('col2');
-- Back to the seed data for the tests that follow.
\! python3 -c 'import os, urllib.request as r; r.urlopen(r.Request(os.environ["KINTONE_EMULATOR_URL"] + "/_emulator/reset", data=b"{}", method="POST")).read()'

SET client_min_messages = warning;
DROP SCHEMA kin, lim, exc, lim2, n_auto, n_code, n_name, n_id, tok, gst, gst_all, gst_srv, col, col2 CASCADE;
DROP FUNCTION imported_tables(text), imported_columns(text), import_error(text);
DROP SERVER emu_import, emu_token, emu_app3, emu_guest CASCADE;
