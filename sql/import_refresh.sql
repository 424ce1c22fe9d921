-- IMPORT FOREIGN SCHEMA into a schema that already has the tables: if_exists 'error' (the
-- default), 'skip', 'update' (bring the tables in line with their apps after fields were added,
-- removed or changed through Kintone's app administration API) and 'replace'; comments that
-- \det+ and \d+ show; column names from field labels (collisions, empty and long labels).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_refresh FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_refresh OPTIONS (username 'Administrator', password 'admin-pass');
\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

-- App administration through Kintone's API, as an administrator would change an app:
--   python3 -c "$KADMIN" add APP CODE TYPE LABEL | label APP CODE LABEL | delete APP CODE | new NAME
-- each followed by a deploy (new prints the app id).
\setenv KADMIN 'import base64, json, os, sys, urllib.request as r\nh = {"Content-Type": "application/json", "X-Cybozu-Authorization": base64.b64encode(b"Administrator:admin-pass").decode()}\ndef call(m, p, b):\n    return json.load(r.urlopen(r.Request(os.environ["KINTONE_EMULATOR_URL"] + "/k/v1/" + p, data=json.dumps(b).encode(), headers=h, method=m)))\na = sys.argv[1:]\nif a[0] == "new":\n    app = int(call("POST", "preview/app.json", {"name": a[1]})["app"])\n    print(app)\nelse:\n    app = int(a[1])\nif a[0] == "add":\n    call("POST", "preview/app/form/fields.json", {"app": app, "properties": {a[2]: {"type": a[3], "code": a[2], "label": a[4]}}})\nif a[0] == "label":\n    call("PUT", "preview/app/form/fields.json", {"app": app, "properties": {a[2]: {"label": a[3]}}})\nif a[0] == "delete":\n    call("DELETE", "preview/app/form/fields.json", {"app": app, "fields": [a[2]]})\ncall("POST", "preview/app/deploy.json", {"apps": [{"app": app}]})'

CREATE FUNCTION table_comments(nsp text)
RETURNS TABLE (table_name name, comment text) LANGUAGE sql AS $$
  SELECT c.relname, obj_description(c.oid, 'pg_class')
  FROM pg_class c WHERE c.relnamespace = nsp::regnamespace AND c.relkind = 'f'
  ORDER BY c.relname COLLATE "C"
$$;
CREATE FUNCTION column_info(rel regclass)
RETURNS TABLE (column_name name, column_type text, column_options text[], comment text) LANGUAGE sql AS $$
  SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attfdwoptions, col_description(a.attrelid, a.attnum)
  FROM pg_attribute a WHERE a.attrelid = rel AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
$$;

-- Comments: the table's names the app (name, id, code, space), each column the field's label
-- and type; $id and $revision are Kintone's __ID__ and __REVISION__.
CREATE SCHEMA r;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r OPTIONS (apps '1, 2, 4');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r OPTIONS (apps '3', guest_space_id '2');
SELECT * FROM table_comments('r');
SELECT * FROM column_info('r.顧客管理');
\det+ r.orders
-- A lookup and the fields it fills say so.
SELECT column_name, comment FROM column_info('r.問い合わせ管理') WHERE column_options::text LIKE '%顧客ID%'
  OR column_options::text LIKE '%lookup%';

-- Importing again: the default is an error naming the option that updates.
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r OPTIONS (apps '2');
-- skip leaves an existing table alone and creates the missing ones.
DROP FOREIGN TABLE r."問い合わせ管理";
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r OPTIONS (apps '1, 2, 4', if_exists 'skip');
SELECT * FROM table_comments('r');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r OPTIONS (apps '1', if_exists 'sometimes');

-- What the user built on the imported table survives an update: a column type they chose, a
-- view, a grant.
ALTER FOREIGN TABLE r.orders ALTER COLUMN "数量" TYPE integer;
CREATE VIEW r.order_summary AS SELECT "受注番号", "数量", "単価" FROM r.orders;
CREATE ROLE kintone_refresh_reader;
GRANT SELECT ON r.orders TO kintone_refresh_reader;

-- The app changes: a field is added, one is removed, one gets a new label, one is re-created
-- with another type (Kintone cannot change a field's type: it is removed and added again).
\! python3 -c "$KADMIN" add 2 備考 MULTI_LINE_TEXT 'メモ'
\! python3 -c "$KADMIN" delete 2 出荷日時
\! python3 -c "$KADMIN" label 2 商品 '商品名'
\! python3 -c "$KADMIN" delete 2 受注日
\! python3 -c "$KADMIN" add 2 受注日 DATETIME '受注日時'

-- if_exists 'update' adds, drops and retypes columns; each change is a NOTICE.
IMPORT FOREIGN SCHEMA kintone LIMIT TO (orders) FROM SERVER emu_refresh INTO r OPTIONS (if_exists 'update');
SELECT * FROM column_info('r.orders');
SELECT obj_description('r.orders'::regclass, 'pg_class');
-- The integer the user chose for 数量 (field unchanged) stays; the view and the grant too.
SELECT * FROM r.order_summary ORDER BY "受注番号" LIMIT 2;
SELECT has_table_privilege('kintone_refresh_reader', 'r.orders', 'SELECT');
-- The re-created 受注日 starts empty (Kintone deletes a field's values with the field).
SELECT "$id", "備考", "受注日" FROM r.orders ORDER BY "$id" LIMIT 2;
-- Writing the new fields works at once.
UPDATE r.orders SET "備考" = 'refreshed', "受注日" = '2026-02-03 09:30+09' WHERE "$id" = 1;
SELECT "備考", "受注日" FROM r.orders WHERE "$id" = 1;
-- Nothing changed since: no NOTICE, nothing altered.
IMPORT FOREIGN SCHEMA kintone LIMIT TO (orders) FROM SERVER emu_refresh INTO r OPTIONS (if_exists 'update');

-- A column the view uses cannot be dropped: PostgreSQL's error, with the table being imported.
\! python3 -c "$KADMIN" delete 2 単価
IMPORT FOREIGN SCHEMA kintone LIMIT TO (orders) FROM SERVER emu_refresh INTO r OPTIONS (if_exists 'update');
-- replace drops and re-creates: the view must go first (a DROP without CASCADE), and the grant
-- and the user's type go with the table.
IMPORT FOREIGN SCHEMA kintone LIMIT TO (orders) FROM SERVER emu_refresh INTO r OPTIONS (if_exists 'replace');
DROP VIEW r.order_summary;
IMPORT FOREIGN SCHEMA kintone LIMIT TO (orders) FROM SERVER emu_refresh INTO r OPTIONS (if_exists 'replace');
SELECT column_name, column_type FROM column_info('r.orders');
SELECT has_table_privilege('kintone_refresh_reader', 'r.orders', 'SELECT');
DROP ROLE kintone_refresh_reader;

-- update and replace touch only a foreign table of the same server and app.
CREATE SCHEMA r2;
CREATE TABLE r2.orders (id int);
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r2 OPTIONS (apps '2', if_exists 'update');
DROP TABLE r2.orders;
CREATE FOREIGN TABLE r2.orders ("$id" bigint) SERVER emu_refresh OPTIONS (app '1');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r2 OPTIONS (apps '2', if_exists 'replace');
-- A hand-written table of the app: update adds what is missing and the field types.
DROP FOREIGN TABLE r2.orders;
CREATE FOREIGN TABLE r2.orders ("$id" bigint, "受注番号" text, qty numeric OPTIONS (field_code '数量'))
  SERVER emu_refresh OPTIONS (app '2');
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO r2 OPTIONS (apps '2', if_exists 'update');
SELECT * FROM column_info('r2.orders');

-- Column names from field labels. Labels may collide (the first keeps the label, the others
-- get _2, _3), be empty (the field code is used), hold a line break (a space) or exceed 63
-- bytes (cut on a character boundary); field_code keeps the code.
CREATE SCHEMA lbl;
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO lbl OPTIONS (apps '1', column_names 'label');
SELECT column_name, column_options FROM column_info('lbl.顧客管理')
  WHERE column_options::text ~ 'email|url|売上|連絡時刻|最終訪問|添付|会社名';
SELECT "メールアドレス", "Webサイト", "売上（千円）" FROM lbl."顧客管理" ORDER BY "$id" LIMIT 2;
\! python3 -c "$KADMIN" new 'ラベル' > /dev/null
\! python3 -c "$KADMIN" add 101 a1 SINGLE_LINE_TEXT '名前'
\! python3 -c "$KADMIN" add 101 a2 SINGLE_LINE_TEXT '名前'
\! python3 -c "$KADMIN" add 101 a3 NUMBER ''
\! python3 -c "$KADMIN" add 101 a4 DATE "$(printf '開始\n日')"
\! python3 -c "$KADMIN" add 101 a5 SINGLE_LINE_TEXT "$(python3 -c 'print("長" * 30)')"
\! python3 -c "$KADMIN" add 101 a6 SINGLE_LINE_TEXT '$id'
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO lbl OPTIONS (apps '101', column_names 'label');
SELECT column_name, octet_length(column_name), column_options, comment FROM column_info('lbl.ラベル');
-- An update names new columns the same way, next to the existing names.
\! python3 -c "$KADMIN" add 101 a7 SINGLE_LINE_TEXT '名前'
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO lbl OPTIONS (apps '101', column_names 'label', if_exists 'update');
SELECT column_name, column_options FROM column_info('lbl.ラベル') WHERE column_name LIKE '名前%';
\d+ lbl.ラベル
IMPORT FOREIGN SCHEMA kintone FROM SERVER emu_refresh INTO lbl OPTIONS (apps '1', column_names 'labels');

\! curl -s -o /dev/null -X POST $KINTONE_EMULATOR_URL/_emulator/reset
SET client_min_messages = warning;
DROP SCHEMA r, r2, lbl CASCADE;
DROP SERVER emu_refresh CASCADE;
RESET client_min_messages;
