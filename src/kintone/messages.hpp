// The message catalogue: what kintone_fdw says, in its own words, about Kintone's common errors,
// and which language Kintone's own messages come in.
//
// Kintone's code, message and request id always stay in the error (DETAIL, CONTEXT); the
// primary message and the hint say what it means for the foreign table at hand: which table,
// which option, which column. The glue only supplies the names (TableRef). Branches on Kintone's
// code and HTTP status only, never on its message text, which Kintone localises (contract §2.3).
#pragma once

#include "kintone/error.hpp"
#include "kintone/schema.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kintone {

// ---- Accept-Language (contract §2.3: Kintone honours it for users whose display language
// follows the browser; a user with an explicit language, and API tokens, ignore it).

// Whether `value` is usable as the option "language": 'auto' or a language tag such as 'en',
// 'ja', 'zh' or 'zh-TW'.
bool IsLanguageOption(std::string_view value);

// The Accept-Language header to send. `option` is the option "language" ("" or "auto": from
// lc_messages); `lc_messages` is PostgreSQL's setting. English when PostgreSQL's messages are
// English ("", C, POSIX, C.*, en*); "ja" for ja_JP; otherwise the locale's language with English
// as the fallback ("de-DE, de;q=0.9, en;q=0.8"), since Kintone offers few languages. A locale
// name that is not language_TERRITORY (e.g. Windows' "Japanese_Japan.932") gives English.
std::string AcceptLanguage(std::string_view option, std::string_view lc_messages);

// ---- Errors about a foreign table's requests

struct ColumnRef {
	std::string name;       // the column
	std::string field_code; // its field code
};

struct TableRef {
	std::string table;              // the foreign table's name
	long long app = 0;              // its option app
	long long guest_space_id = 0;   // its (or its server's) option guest_space_id, 0 if none
	std::vector<ColumnRef> columns; // the columns the request's query uses (conditions, order)
};

// Rewords Kintone's error about a request made for table `t` when its code is a common one:
//  - the app cannot be reached: GAIA_AP01 (no such app), GAIA_IL23 (a guest space's app asked
//    without guest_space_id), CB_NO02 (no permission, or the wrong guest space): names the table,
//    its option app and guest_space_id;
//  - the query was refused: GAIA_IQ* (unknown field code, operator not allowed for the field's
//    type, value not an option, …), GAIA_QU01/02, GAIA_IL08, GAIA_IR02, GAIA_IL42, and CB_VA01
//    about the query: names the table and the columns the query uses with their field codes.
// The message becomes "<our text> (<code>)"; Kintone's message moves to DETAIL, before the HTTP
// status, code and request id; an existing hint (e.g. the session's OAuth scope hint) is kept.
// Returns whether the error was reworded. An error without a Kintone code is left alone.
bool ExplainForTable(Error &error, const TableRef &t);

// Whether the form has a top-level field with this code that records carry ("$id" and
// "$revision" always; a disabled STATUS/CATEGORY, a subtable's inner field, a group or a
// related-records field do not count).
bool RecordsCarryField(const FormInfo &form, const std::string &code);

// The error for a column whose field code names no field of the app (Kintone ignores unknown
// field codes): names the column, the table and the app, with the closest field codes of the
// form as a hint.
Error UnknownFieldError(const std::string &table, const std::string &column, const std::string &code, long long app,
                        const FormInfo &form);

} // namespace kintone
