-- Issue 14: Kintone's messages in the session's language (Accept-Language from lc_messages, or
-- the option language), and kintone_fdw's own message and hint for Kintone's common codes,
-- naming the foreign table, its options and columns. Kintone's code, message and request id
-- stay in the error (DETAIL); show_error prints them with the random request id masked.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS kintone_fdw;
RESET client_min_messages;
\getenv emulator_url KINTONE_EMULATOR_URL
CREATE SERVER emu_msgs FOREIGN DATA WRAPPER kintone_fdw OPTIONS (url :'emulator_url');
CREATE USER MAPPING FOR CURRENT_USER SERVER emu_msgs OPTIONS (username 'Administrator', password 'admin-pass');
-- PostgreSQL speaks English here, so Kintone is asked to as well.
SET lc_messages = 'C';
CREATE FUNCTION show_error(statement text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    msg text; det text; hin text; st text;
BEGIN
    EXECUTE statement;
    RAISE NOTICE 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT, det = PG_EXCEPTION_DETAIL, hin = PG_EXCEPTION_HINT,
        st = RETURNED_SQLSTATE;
    RAISE NOTICE E'%: %\nDETAIL: %\nHINT: %', st, msg,
        regexp_replace(det, 'request id [A-Za-z0-9_-]+', 'request id X'), hin;
END $$;

-- The app does not exist: the table and its option app (GAIA_AP01), in a guest space too.
CREATE FOREIGN TABLE no_app (id bigint OPTIONS (field_code '$id')) SERVER emu_msgs OPTIONS (app '999');
SELECT show_error('SELECT * FROM no_app');
CREATE FOREIGN TABLE no_guest_app (id bigint OPTIONS (field_code '$id'))
  SERVER emu_msgs OPTIONS (app '999', guest_space_id '2');
SELECT show_error('SELECT * FROM no_guest_app');
-- Also when planning reads the form first (a condition on a drop-down needs its options).
CREATE FOREIGN TABLE no_app_dd (id bigint OPTIONS (field_code '$id'), dd text) SERVER emu_msgs OPTIONS (app '999');
SELECT show_error($$SELECT * FROM no_app_dd WHERE dd = 'x'$$);
-- And for a write.
SELECT show_error($$INSERT INTO no_app_dd (dd) VALUES ('x')$$);

-- A guest space's app without guest_space_id (GAIA_IL23); the wrong guest space (CB_NO02).
CREATE FOREIGN TABLE guest_no_space (id bigint OPTIONS (field_code '$id')) SERVER emu_msgs OPTIONS (app '3');
SELECT show_error('SELECT * FROM guest_no_space');
CREATE FOREIGN TABLE guest_wrong_space (id bigint OPTIONS (field_code '$id'))
  SERVER emu_msgs OPTIONS (app '3', guest_space_id '9');
SELECT show_error('SELECT * FROM guest_wrong_space');

-- Unknown field codes: the column and its field code, with the closest codes of the form.
CREATE FOREIGN TABLE customers_typo (
    id bigint OPTIONS (field_code '$id'),
    company text OPTIONS (field_code '会社', field_type 'SINGLE_LINE_TEXT')
) SERVER emu_msgs OPTIONS (app '1');
SELECT show_error($$SELECT id FROM customers_typo WHERE company = 'x'$$);
SELECT show_error($$SELECT company FROM customers_typo$$);

-- Query errors name the columns the query uses: a field_type that is not the field's type makes
-- conditions Kintone refuses (GAIA_IQ03 for an operator, CB_VA01 about the query for a value).
CREATE FOREIGN TABLE customers_mistyped (
    id bigint OPTIONS (field_code '$id'),
    company numeric OPTIONS (field_code '会社名', field_type 'NUMBER'),
    signed numeric OPTIONS (field_code '契約日', field_type 'NUMBER')
) SERVER emu_msgs OPTIONS (app '1');
SELECT show_error('SELECT id FROM customers_mistyped WHERE company > 5');
SELECT show_error('SELECT id FROM customers_mistyped WHERE signed > 5 ORDER BY company');
SELECT show_error('SELECT count(*) FROM customers_mistyped WHERE signed > 5');

-- Kintone's own message (in DETAIL) follows the session: lc_messages, or the option language
-- of the server or, overriding it, of the user mapping.
CREATE FUNCTION kintone_says(statement text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE det text;
BEGIN
    EXECUTE statement;
    RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS det = PG_EXCEPTION_DETAIL;
    RETURN split_part(det, E'\n', 1);
END $$;
SELECT kintone_says('SELECT * FROM no_app');
ALTER SERVER emu_msgs OPTIONS (ADD language 'ja');
SELECT kintone_says('SELECT * FROM no_app');
ALTER SERVER emu_msgs OPTIONS (SET language 'auto');
SELECT kintone_says('SELECT * FROM no_app');
ALTER USER MAPPING FOR CURRENT_USER SERVER emu_msgs OPTIONS (ADD language 'ja');
SELECT kintone_says('SELECT * FROM no_app');
ALTER USER MAPPING FOR CURRENT_USER SERVER emu_msgs OPTIONS (SET language 'en');
SELECT kintone_says('SELECT * FROM no_app');
ALTER USER MAPPING FOR CURRENT_USER SERVER emu_msgs OPTIONS (DROP language);
-- What the option takes.
ALTER SERVER emu_msgs OPTIONS (SET language 'ja_JP');
ALTER SERVER emu_msgs OPTIONS (SET language 'en-US');

DROP FUNCTION show_error(text);
DROP FUNCTION kintone_says(text);
DROP SERVER emu_msgs CASCADE;
