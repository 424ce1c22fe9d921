-- Kintone errors carry the code, the message and the request id; guest spaces; API tokens.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu OPTIONS (username 'Administrator', password 'admin-pass');
SET timezone = 'Asia/Tokyo';
SET datestyle = 'ISO, YMD';

-- Kintone errors carry the code, the message and the request id (shown here without the id).
\set VERBOSITY terse
CREATE FOREIGN TABLE no_app (id bigint OPTIONS (field_code '$id')) SERVER emu OPTIONS (app '999');
SELECT * FROM no_app;
CREATE FOREIGN TABLE guest_wrong_path (id bigint OPTIONS (field_code '$id')) SERVER emu OPTIONS (app '3');
SELECT * FROM guest_wrong_path;
\set VERBOSITY default
CREATE FOREIGN TABLE guest_deals (id bigint OPTIONS (field_code '$id'), name text OPTIONS (field_code '案件名'))
  SERVER emu OPTIONS (app '3', guest_space_id '2');
SELECT * FROM guest_deals ORDER BY id LIMIT 2;

-- API tokens: a token of another app is refused with Kintone's code.
CREATE SERVER emu_token FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_token OPTIONS (api_token 'app2viewtoken');
CREATE FOREIGN TABLE orders_by_token (id bigint OPTIONS (field_code '$id'), n numeric OPTIONS (field_code '数量', field_type 'NUMBER'))
  SERVER emu_token OPTIONS (app '2');
SELECT count(*) FROM orders_by_token WHERE n > 5;
CREATE FOREIGN TABLE customers_by_token (id bigint OPTIONS (field_code '$id')) SERVER emu_token OPTIONS (app '1');
\set VERBOSITY terse
SELECT * FROM customers_by_token;
\set VERBOSITY default

DROP SERVER emu, emu_token CASCADE;
