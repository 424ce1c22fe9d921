// IMPORT FOREIGN SCHEMA: one foreign table per Kintone app, one column per form field, with
// comments that name the app and each field's label and type.
//
// PostgreSQL runs only CREATE FOREIGN TABLE statements returned by an FDW's import callback,
// so neither COMMENT ON nor the refresh of an existing table (if_exists 'update' / 'replace')
// can be expressed that way. This callback therefore runs the DDL itself, through SPI, in the
// statement's transaction, and returns no commands: it applies LIMIT TO / EXCEPT and the target
// schema exactly as PostgreSQL would (tables whose generated name passes the list, created in
// the INTO schema, whose CREATE privilege PostgreSQL has already checked). Each statement is
// built with quote_identifier / quote_literal_cstr; nothing Kintone sends reaches SQL unquoted.
// docs/import.md explains the design.
//
// Five phases, as the boundary requires (pg/guard.hpp):
//   1. PostgreSQL: read the server, the user mapping, the statement's options and table list
//      into palloc'd C data (these calls may ereport).
//   2. C++ inside the guard: parse the IMPORT options, ask Kintone for the apps (apps.json or
//      app.json per listed id) and their forms, choose table names, column names, types and
//      comments. The result is a C++ object owned by the current memory context (a reset
//      callback deletes it, on error too); NOTICEs are only collected here, as strings.
//   3. PostgreSQL: look up the relations that already carry a chosen name (with their columns
//      and options when they are foreign tables of this server) into palloc'd C data.
//   4. C++ inside the guard: decide, per table, create / skip / replace / update, and for an
//      update the columns to add, drop, retype and the options to set.
//   5. PostgreSQL: raise the NOTICEs and run the DDL through SPI. Nothing with a destructor
//      lives in this frame any more.
//
// The remote schema name of the statement is not used: a Kintone domain has no schemas.
#include "pg/import.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/query.hpp"
#include "kintone/schema.hpp"
#include "kintone/text.hpp"
#include "pg/connection.hpp"
#include "pg/guard.hpp"
#include "pg/option.hpp"

extern "C" {
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type_d.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "storage/lmgr.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

#include <cctype>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kintone_fdw {

namespace {

constexpr size_t kMaxIdentifierBytes = NAMEDATALEN - 1; // 63: longer names PostgreSQL truncates

enum class TableNaming { kAuto, kCode, kName, kId };
enum class ColumnNaming { kCode, kLabel };
enum class IfExists { kError, kSkip, kUpdate, kReplace };

// A column type IMPORT chooses: how it is written in DDL (schema-qualified, so that no type of
// the search_path can stand in for it) and its OID (to compare with an existing column).
struct PgType {
	const char *sql;
	Oid oid;
};

constexpr PgType kBigint = {"bigint", INT8OID};
constexpr PgType kText = {"pg_catalog.text", TEXTOID};
constexpr PgType kTextArray = {"pg_catalog.text[]", TEXTARRAYOID};
constexpr PgType kNumeric = {"pg_catalog.numeric", NUMERICOID};
constexpr PgType kTimestamptz = {"pg_catalog.timestamptz", TIMESTAMPTZOID};
constexpr PgType kDate = {"pg_catalog.date", DATEOID};
constexpr PgType kTime = {"pg_catalog.time", TIMEOID};
constexpr PgType kInterval = {"pg_catalog.interval", INTERVALOID};
constexpr PgType kJsonb = {"pg_catalog.jsonb", JSONBOID};

struct ImportColumn {
	std::string name; // the column's name: chosen for a new column, the existing one's on update
	const PgType *type = &kText;
	std::string field_code;
	std::string label;
	std::string field_type;
	std::string lookup_copy_of; // a lookup copy-to field: the lookup field that fills it
	std::string comment;
};

struct ImportNotice {
	std::string message;
	std::string hint;
};

// Phase 3's copy of a relation that already has a chosen table name.
struct RawColumn {
	const char *name;
	Oid type;
	const char *field_code; // nullptr: no option (the column name is the field code)
	const char *field_type;
	const char *lookup_copy_of;
};

struct RawExisting {
	Oid relid; // InvalidOid: no relation of that name
	char relkind;
	bool ours;       // a foreign table of the IMPORT's server
	const char *app; // its option app ("" when none)
	int ncolumns;
	RawColumn *columns;
};

// One change of an existing table (if_exists 'update').
enum class StepKind { kAddColumn, kDropColumn, kSetType, kAddOption, kSetOption, kDropOption };

struct Step {
	StepKind kind;
	std::string column;
	size_t desired = 0; // kAddColumn, kSetType: index into ImportTable::columns
	std::string option;
	std::string value;
};

enum class TableAction { kCreate, kSkip, kReplace, kUpdate };

struct ImportTable {
	std::string name;
	std::string app;            // the app id, as text
	std::string guest_space_id; // "" for no table option (the server's applies)
	std::string comment;
	std::vector<ImportColumn> columns;
	std::set<std::string> form_codes; // every field code of the form (inner ones too), $id, $revision
	// Phase 4's decision.
	TableAction action = TableAction::kCreate;
	std::vector<Step> steps;
	std::vector<ImportNotice> notices;
};

// What phase 2 hands to phase 3.
struct ImportResult {
	std::vector<ImportTable> tables;
	std::vector<ImportNotice> notices;
	IfExists if_exists = IfExists::kError;
	ColumnNaming column_naming = ColumnNaming::kCode;
};

void DeleteImportResult(void *arg) noexcept {
	delete static_cast<ImportResult *>(arg);
}

// Phase 1's plain copy of the statement and catalogs.
struct RawImport {
	List *server_options;
	List *user_options;
	List *import_options;
	Oid server_oid;
	Oid user_oid;
	const char *server_name;
	ImportForeignSchemaType list_type;
	int nnames;
	const char **names; // LIMIT TO / EXCEPT entries
};

// ---------------------------------------------------------------- options

struct ImportOptions {
	bool has_apps = false;
	std::vector<long long> apps;
	long long guest_space_id = 0; // 0: not given
	TableNaming naming = TableNaming::kAuto;
	ColumnNaming column_naming = ColumnNaming::kCode;
	IfExists if_exists = IfExists::kError;
};

const std::vector<std::string> &ImportOptionNames() {
	static const std::vector<std::string> names = {"apps", "column_names", "guest_space_id", "if_exists", "table_name"};
	return names;
}

// Names other tools give these settings (CData's connection properties, a foreign table's
// option), compared without case, "_", "-" and spaces: the pointed "did you mean" of an unknown
// option. note: what the option alone does not say.
struct ImportAlias {
	const char *key;
	const char *option;
	const char *note;
};

const ImportAlias *FindImportAlias(std::string_view name) {
	std::string key;
	for (char c : name) {
		if (c != '_' && c != '-' && c != ' ') {
			key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		}
	}
	static const ImportAlias aliases[] = {
	    {"app", "apps", nullptr},
	    {"appid", "apps", "List app ids separated by commas, e.g. apps '1, 2, 5'."},
	    {"appids", "apps", "List app ids separated by commas, e.g. apps '1, 2, 5'."},
	    {"guestspace", "guest_space_id", nullptr},
	    {"guestspaceid", "guest_space_id", nullptr},
	    {"spaceid", "guest_space_id", nullptr},
	    {"usecodeforfieldname", "column_names",
	     "Columns are named by field code by default; column_names 'label' names them by field label."},
	    {"columnname", "column_names", nullptr},
	    {"columnnames", "column_names", nullptr},
	    {"ifexists", "if_exists", nullptr},
	    {"replace", "if_exists", "if_exists 'replace' drops and re-creates existing tables, 'update' alters them."},
	    {"update", "if_exists", "if_exists 'update' brings existing tables up to date with their apps."},
	    {"refresh", "if_exists", "if_exists 'update' brings existing tables up to date with their apps."},
	    {"tablename", "table_name", nullptr},
	    {"tablenames", "table_name", nullptr},
	};
	for (const auto &alias : aliases) {
		if (key == alias.key) {
			return &alias;
		}
	}
	return nullptr;
}

std::string Trim(std::string_view s) {
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) {
		s.remove_prefix(1);
	}
	while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) {
		s.remove_suffix(1);
	}
	return std::string(s);
}

// "1, 2,5" -> {1, 2, 5}; repeated ids are kept once.
std::vector<long long> ParseAppList(std::string_view value) {
	std::vector<long long> ids;
	size_t i = 0;
	while (true) {
		size_t j = value.find(',', i);
		std::string part = Trim(value.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
		if (part.empty()) {
			throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
			                     "invalid value for option \"apps\": \"" + std::string(value) + "\"", "",
			                     "List app ids separated by commas, e.g. apps '1, 2, 5'.");
		}
		long long id = kintone::ParsePositiveId("apps", part);
		bool seen = false;
		for (long long other : ids) {
			seen |= other == id;
		}
		if (!seen) {
			ids.push_back(id);
		}
		if (j == std::string_view::npos) {
			break;
		}
		i = j + 1;
	}
	return ids;
}

ImportOptions ParseImportOptions(const kintone::OptionList &options) {
	ImportOptions out;
	const std::vector<std::string> &valid = ImportOptionNames();
	for (const auto &[name, value] : options) {
		if (name == "apps") {
			out.has_apps = true;
			out.apps = ParseAppList(value);
		} else if (name == "guest_space_id") {
			out.guest_space_id = kintone::ParsePositiveId("guest_space_id", value);
		} else if (name == "table_name") {
			if (value == "auto") {
				out.naming = TableNaming::kAuto;
			} else if (value == "code") {
				out.naming = TableNaming::kCode;
			} else if (value == "name") {
				out.naming = TableNaming::kName;
			} else if (value == "id") {
				out.naming = TableNaming::kId;
			} else {
				std::string hint = "Valid values are: auto, code, name, id.";
				if (value == "label") {
					hint += " Column names from field labels are the option column_names 'label'.";
				}
				throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
				                     "invalid value for option \"table_name\": \"" + value + "\"", "", hint);
			}
		} else if (name == "column_names") {
			if (value == "code") {
				out.column_naming = ColumnNaming::kCode;
			} else if (value == "label") {
				out.column_naming = ColumnNaming::kLabel;
			} else {
				throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
				                     "invalid value for option \"column_names\": \"" + value + "\"", "",
				                     "Valid values are: code (the field codes, the default), label (the field "
				                     "labels).");
			}
		} else if (name == "if_exists") {
			if (value == "error") {
				out.if_exists = IfExists::kError;
			} else if (value == "skip") {
				out.if_exists = IfExists::kSkip;
			} else if (value == "update") {
				out.if_exists = IfExists::kUpdate;
			} else if (value == "replace") {
				out.if_exists = IfExists::kReplace;
			} else {
				throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
				                     "invalid value for option \"if_exists\": \"" + value + "\"", "",
				                     "Valid values are: error (the default), skip, update, replace.");
			}
		} else {
			std::string hint;
			const ImportAlias *alias = FindImportAlias(name);
			std::string closest = alias != nullptr ? alias->option : kintone::ClosestMatch(name, valid);
			if (!closest.empty()) {
				hint = "Perhaps you meant the option \"" + closest + "\". ";
			}
			if (alias != nullptr && alias->note != nullptr) {
				hint += std::string(alias->note) + " ";
			}
			hint += "Valid options of IMPORT FOREIGN SCHEMA are: ";
			for (size_t i = 0; i < valid.size(); ++i) {
				hint += (i ? ", " : "") + valid[i];
			}
			hint += ".";
			throw kintone::Error(kintone::ErrorKind::kInvalidOption, "invalid option \"" + name + "\"", "", hint);
		}
	}
	return out;
}

std::string Find(const kintone::OptionList &options, const char *name) {
	for (const auto &[key, value] : options) {
		if (key == name) {
			return value;
		}
	}
	return {};
}

// The same reading of server and user mapping options as a foreign table's (pg/table.cpp).
ConnectionParams MakeConnectionParams(const RawImport &raw, const kintone::OptionList &server,
                                      const kintone::OptionList &user) {
	ConnectionParams params;
	params.server_oid = raw.server_oid;
	params.user_oid = raw.user_oid;
	params.url = Find(server, "url");
	if (params.url.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue, "the server has no option \"url\"", "",
		                     "Set it with ALTER SERVER ... OPTIONS (ADD url 'https://SUBDOMAIN.cybozu.com').");
	}
	std::string guest = Find(server, "guest_space_id");
	params.guest_space_id = guest.empty() ? 0 : kintone::ParsePositiveId("guest_space_id", guest);
	std::string max_cursors = Find(server, "max_cursors");
	if (!max_cursors.empty()) {
		params.max_cursors = static_cast<int>(kintone::ParsePositiveId("max_cursors", max_cursors));
	}
	SetConnectionOptions(params, raw.server_name, server, user);
	return params;
}

// ---------------------------------------------------------------- table names

// Decodes the UTF-8 sequence at s[i]; returns its length (1 for a stray byte, cp = 0xFFFD).
size_t DecodeUtf8(std::string_view s, size_t i, char32_t &cp) {
	unsigned char c = static_cast<unsigned char>(s[i]);
	size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
	if (len == 0 || i + len > s.size()) {
		cp = 0xFFFD;
		return 1;
	}
	cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
	for (size_t k = 1; k < len; ++k) {
		unsigned char cc = static_cast<unsigned char>(s[i + k]);
		if ((cc & 0xC0) != 0x80) {
			cp = 0xFFFD;
			return 1;
		}
		cp = (cp << 6) | (cc & 0x3F);
	}
	return len;
}

void EncodeUtf8(char32_t cp, std::string &out) {
	if (cp < 0x80) {
		out += static_cast<char>(cp);
	} else if (cp < 0x800) {
		out += static_cast<char>(0xC0 | (cp >> 6));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		out += static_cast<char>(0xE0 | (cp >> 12));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	} else {
		out += static_cast<char>(0xF0 | (cp >> 18));
		out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
		out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
		out += static_cast<char>(0x80 | (cp & 0x3F));
	}
}

// Letters, digits, "_" and combining marks of the common scripts (Latin, Greek, Cyrillic,
// the scripts of South and Southeast Asia, CJK ideographs, kana, Hangul, fullwidth forms).
// Without ICU this is a table of ranges: punctuation, symbols, spaces and emoji are not word
// characters; everything else in the ranges of alphabetic scripts is.
bool IsWordChar(char32_t cp) {
	if (cp < 0x80) {
		return std::isalnum(static_cast<int>(cp)) || cp == '_';
	}
	if (cp < 0xC0) {
		return cp == 0xAA || cp == 0xB5 || cp == 0xBA;
	}
	if (cp == 0xD7 || cp == 0xF7 || cp == 0x37E || cp == 0x387 || cp == 0x589 || cp == 0x5BE || cp == 0x5C0 ||
	    cp == 0x5C3 || cp == 0x5C6 || cp == 0x6D4 || cp == 0x964 || cp == 0x965 || cp == 0xE3F || cp == 0xE4F ||
	    (cp >= 0x55A && cp <= 0x55F) || (cp >= 0x600 && cp <= 0x60F) || (cp >= 0x61B && cp <= 0x61F) ||
	    (cp >= 0x66A && cp <= 0x66D) || (cp >= 0x1360 && cp <= 0x1368) || (cp >= 0x17D4 && cp <= 0x17DA) ||
	    (cp >= 0x1800 && cp <= 0x180A) || cp == 0x1680) {
		return false;
	}
	if (cp < 0x2000) {
		return true;
	}
	if (cp < 0x2C00) { // punctuation, symbols, arrows, math, box drawing, dingbats
		return false;
	}
	if (cp < 0x2E00) {
		return true;
	}
	if (cp < 0x2E80) { // supplemental punctuation
		return false;
	}
	if (cp < 0x3000) {
		return cp < 0x2FF0;
	}
	if (cp < 0x3040) { // CJK symbols and punctuation, except iteration marks and ideographic numbers
		return cp == 0x3005 || cp == 0x3006 || cp == 0x3007 || (cp >= 0x3021 && cp <= 0x3029) ||
		       (cp >= 0x3031 && cp <= 0x3035) || (cp >= 0x3038 && cp <= 0x303C);
	}
	if (cp < 0x3200) { // kana (not ゠ and ・), bopomofo, Hangul jamo
		return cp != 0x30A0 && cp != 0x30FB;
	}
	if (cp < 0x3400) { // enclosed CJK letters, CJK compatibility (㈱, ㍿)
		return false;
	}
	if (cp >= 0x4DC0 && cp < 0x4E00) { // Yijing hexagrams
		return false;
	}
	if (cp < 0xD800) {
		return true;
	}
	if (cp < 0xF900) { // surrogates, private use
		return false;
	}
	if (cp < 0xFE00) {
		return cp != 0xFD3E && cp != 0xFD3F;
	}
	if (cp < 0xFE10) { // variation selectors belong to the character before them
		return true;
	}
	if (cp < 0xFE70) { // vertical and small forms of punctuation
		return cp >= 0xFE20 && cp < 0xFE30;
	}
	if (cp < 0xFF00) {
		return cp != 0xFEFF;
	}
	if (cp < 0xFFF0) { // fullwidth digits and letters, halfwidth katakana and Hangul
		return (cp >= 0xFF10 && cp <= 0xFF19) || (cp >= 0xFF21 && cp <= 0xFF3A) || (cp >= 0xFF41 && cp <= 0xFF5A) ||
		       (cp >= 0xFF66 && cp <= 0xFFDC);
	}
	if (cp < 0x10000) {
		return false;
	}
	if (cp >= 0x1D000 && cp < 0x1D400) { // musical symbols
		return false;
	}
	if (cp < 0x1F000) {
		return true;
	}
	if (cp < 0x20000) { // emoji and other symbols
		return false;
	}
	if (cp < 0x40000) { // CJK extensions
		return true;
	}
	return cp >= 0xE0100 && cp <= 0xE01EF; // ideographic variation selectors
}

// Lower case for ASCII, Latin-1, Latin Extended-A, Greek, Cyrillic and fullwidth Latin.
char32_t ToLower(char32_t cp) {
	if (cp >= 'A' && cp <= 'Z') {
		return cp + 0x20;
	}
	if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) {
		return cp + 0x20;
	}
	if ((cp >= 0x100 && cp <= 0x137 && cp % 2 == 0) || (cp >= 0x14A && cp <= 0x177 && cp % 2 == 0) ||
	    (cp >= 0x139 && cp <= 0x148 && cp % 2 == 1) || (cp >= 0x179 && cp <= 0x17E && cp % 2 == 1)) {
		return cp + 1;
	}
	if (cp == 0x178) {
		return 0xFF;
	}
	if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) {
		return cp + 0x20;
	}
	if (cp == 0x386) {
		return 0x3AC;
	}
	if (cp >= 0x388 && cp <= 0x38A) {
		return cp + 0x25;
	}
	if (cp == 0x38C) {
		return 0x3CC;
	}
	if (cp == 0x38E || cp == 0x38F) {
		return cp + 0x3F;
	}
	if (cp >= 0x400 && cp <= 0x40F) {
		return cp + 0x50;
	}
	if (cp >= 0x410 && cp <= 0x42F) {
		return cp + 0x20;
	}
	if (cp >= 0xFF21 && cp <= 0xFF3A) {
		return cp + 0x20;
	}
	return cp;
}

// The longest prefix of s of at most max_bytes that does not cut a UTF-8 sequence.
std::string TruncateUtf8(const std::string &s, size_t max_bytes) {
	if (s.size() <= max_bytes) {
		return s;
	}
	size_t n = max_bytes;
	while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) {
		--n;
	}
	return s.substr(0, n);
}

std::string TrimUnderscores(const std::string &s) {
	size_t begin = s.find_first_not_of('_');
	if (begin == std::string::npos) {
		return {};
	}
	size_t end = s.find_last_not_of('_');
	return s.substr(begin, end - begin + 1);
}

// Lower case; runs of characters other than letters, digits and "_" become one "_"; "_"
// trimmed from both ends; at most 63 bytes without cutting a character. "" when nothing is left.
std::string NormaliseName(std::string_view name) {
	std::string out;
	bool pending_separator = false;
	for (size_t i = 0; i < name.size();) {
		char32_t cp;
		i += DecodeUtf8(name, i, cp);
		if (IsWordChar(cp)) {
			if (pending_separator) {
				out += '_';
				pending_separator = false;
			}
			EncodeUtf8(ToLower(cp), out);
		} else {
			pending_separator = true;
		}
	}
	return TrimUnderscores(TruncateUtf8(TrimUnderscores(out), kMaxIdentifierBytes));
}

std::string IdName(long long app) {
	return "app_" + std::to_string(app);
}

std::string BaseTableName(const kintone::AppInfo &app, TableNaming naming) {
	std::string name;
	if (naming == TableNaming::kAuto || naming == TableNaming::kCode) {
		name = NormaliseName(app.code);
	}
	if (name.empty() && (naming == TableNaming::kAuto || naming == TableNaming::kName)) {
		name = NormaliseName(app.name);
	}
	return name.empty() ? IdName(app.id) : name;
}

std::string WithIdSuffix(const std::string &name, long long app) {
	std::string suffix = "_" + std::to_string(app);
	return TruncateUtf8(name, kMaxIdentifierBytes - suffix.size()) + suffix;
}

// One table name per app: every app whose name another app shares gets "_<id>" (repeated
// until the names are distinct, in case a suffixed name meets another app's name).
std::vector<std::string> TableNames(const std::vector<kintone::AppInfo> &apps, TableNaming naming) {
	std::vector<std::string> names;
	for (const auto &app : apps) {
		names.push_back(BaseTableName(app, naming));
	}
	for (int round = 0; round < 8; ++round) {
		std::vector<bool> clash(names.size(), false);
		bool any = false;
		for (size_t i = 0; i < names.size(); ++i) {
			for (size_t j = i + 1; j < names.size(); ++j) {
				if (names[i] == names[j]) {
					clash[i] = clash[j] = any = true;
				}
			}
		}
		if (!any) {
			break;
		}
		for (size_t i = 0; i < names.size(); ++i) {
			if (clash[i]) {
				names[i] = WithIdSuffix(names[i], apps[i].id);
			}
		}
	}
	return names;
}

// ---------------------------------------------------------------- LIMIT TO / EXCEPT

bool EqualsIgnoringAsciiCase(std::string_view a, std::string_view b) {
	if (a.size() != b.size()) {
		return false;
	}
	for (size_t i = 0; i < a.size(); ++i) {
		if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) {
			return false;
		}
	}
	return true;
}

// How a LIMIT TO / EXCEPT entry names an app: by its table name (what PostgreSQL compares),
// its app code (case-insensitive) or its id.
enum class Match { kNone, kTableName, kCodeOrId };

Match MatchEntry(const std::string &entry, const kintone::AppInfo &app, const std::string &table_name) {
	if (entry == table_name) {
		return Match::kTableName;
	}
	if ((!app.code.empty() && EqualsIgnoringAsciiCase(entry, app.code)) || entry == std::to_string(app.id)) {
		return Match::kCodeOrId;
	}
	return Match::kNone;
}

// ---------------------------------------------------------------- columns

// The PostgreSQL type a field gets, or nullptr for fields that are not in records.
const PgType *ColumnType(const kintone::FieldInfo &field) {
	using kintone::FieldType;
	switch (field.type) {
	case FieldType::kId:
	case FieldType::kRevision:
		return &kBigint;
	case FieldType::kRecordNumber:
	case FieldType::kCreator:
	case FieldType::kModifier:
	case FieldType::kSingleLineText:
	case FieldType::kMultiLineText:
	case FieldType::kRichText:
	case FieldType::kLink:
	case FieldType::kRadioButton:
	case FieldType::kDropDown:
	case FieldType::kStatus:
		return &kText;
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
	case FieldType::kDateTime:
		return &kTimestamptz;
	case FieldType::kNumber:
		return &kNumeric;
	case FieldType::kCalc:
		if (field.calc_format == "NUMBER" || field.calc_format == "NUMBER_DIGIT") {
			return &kNumeric;
		}
		if (field.calc_format == "DATETIME") {
			return &kTimestamptz;
		}
		if (field.calc_format == "DATE") {
			return &kDate;
		}
		if (field.calc_format == "TIME") {
			return &kTime;
		}
		if (field.calc_format == "HOUR_MINUTE" || field.calc_format == "DAY_HOUR_MINUTE") {
			return &kInterval;
		}
		return &kText; // a format this version does not know: the value as Kintone sends it
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
	case FieldType::kCategory:
		return &kTextArray;
	case FieldType::kDate:
		return &kDate;
	case FieldType::kTime:
		return &kTime;
	case FieldType::kUserSelect:
	case FieldType::kOrganizationSelect:
	case FieldType::kGroupSelect:
	case FieldType::kStatusAssignee:
	case FieldType::kFile:
	case FieldType::kSubtable:
		return &kJsonb;
	case FieldType::kReferenceTable:
	case FieldType::kGroup:
	case FieldType::kUnknown: // LABEL, SPACER, HR and types this version does not know
		return nullptr;
	}
	return nullptr;
}

// name, cut to 63 bytes if longer (PostgreSQL would cut it and then refuse two names that
// share their first 63 bytes), made unique among `used` with "_2", "_3", ...
std::string UniqueName(const std::string &name, const std::set<std::string> &used) {
	std::string out = TruncateUtf8(name, kMaxIdentifierBytes);
	for (int n = 2; used.count(out) != 0; ++n) {
		std::string suffix = "_" + std::to_string(n);
		out = TruncateUtf8(name, kMaxIdentifierBytes - suffix.size()) + suffix;
	}
	return out;
}

// A field label as a column name: control characters (a label may hold a line break) become
// spaces, surrounding white space goes; everything else stays as the user wrote it (the column
// is a quoted identifier). "" when nothing is left.
std::string LabelName(std::string_view label) {
	std::string out;
	for (char c : label) {
		unsigned char u = static_cast<unsigned char>(c);
		out += u < 0x20 || u == 0x7f ? ' ' : c;
	}
	return Trim(out);
}

// The name a new column for this field gets: its code, or its label (the code when the label
// is empty), unique among `used`.
std::string NewColumnName(const std::string &code, const std::string &label, ColumnNaming naming,
                          const std::set<std::string> &used) {
	std::string base = code;
	if (naming == ColumnNaming::kLabel && code != "$id" && code != "$revision") {
		std::string cleaned = LabelName(label);
		if (!cleaned.empty()) {
			base = cleaned;
		}
	}
	return UniqueName(base, used);
}

// "会社名 (SINGLE_LINE_TEXT)": what \d+ shows as the column's description.
std::string ColumnComment(const std::string &code, const std::string &label, const std::string &type_name,
                          const kintone::FieldInfo *field) {
	std::string text;
	if (code == "$id") {
		text = "record id";
	} else if (code == "$revision") {
		text = "record revision";
	} else {
		text = LabelName(label);
	}
	std::string about = type_name;
	if (field != nullptr && field->lookup) {
		about += ", lookup";
	}
	if (field != nullptr && !field->copied_by.empty()) {
		about += ", filled by the lookup " + field->copied_by;
	}
	return text.empty() ? "(" + about + ")" : text + " (" + about + ")";
}

// Columns: $id, $revision, then the record number, creator, created time, modifier and
// updated time, then every other field in form order. Layout-only fields and process
// management / category fields that are not enabled are skipped.
std::vector<ImportColumn> MakeColumns(const kintone::FormInfo &form, ColumnNaming naming) {
	using kintone::FieldType;
	std::vector<ImportColumn> columns;
	std::set<std::string> used;
	auto add = [&](const std::string &code, const std::string &label, const PgType *type, FieldType field_type,
	               const kintone::FieldInfo *field) {
		kintone::CheckFormFieldCode(code); // a code that could change a query never reaches one
		ImportColumn col;
		col.name = NewColumnName(code, label, naming, used);
		used.insert(col.name);
		col.type = type;
		col.field_code = code;
		col.label = label;
		col.field_type = kintone::FieldTypeName(field_type);
		col.lookup_copy_of = field != nullptr ? field->copied_by : std::string();
		col.comment = ColumnComment(code, label, col.field_type, field);
		columns.push_back(std::move(col));
	};
	add("$id", "", &kBigint, FieldType::kId, nullptr);
	add("$revision", "", &kBigint, FieldType::kRevision, nullptr);
	const FieldType system_order[] = {FieldType::kRecordNumber, FieldType::kCreator, FieldType::kCreatedTime,
	                                  FieldType::kModifier, FieldType::kUpdatedTime};
	for (FieldType type : system_order) {
		for (const auto &field : form.fields) {
			if (field.type == type) {
				add(field.code, field.label, ColumnType(field), field.type, &field);
			}
		}
	}
	for (const auto &field : form.fields) {
		bool system = false;
		for (FieldType type : system_order) {
			system |= field.type == type;
		}
		const PgType *type = ColumnType(field);
		if (system || type == nullptr || !field.enabled || field.code.empty()) {
			continue;
		}
		add(field.code, field.label, type, field.type, &field);
	}
	return columns;
}

// Every code a column may name: the form's fields (subtable inner fields too), $id, $revision.
std::set<std::string> FormCodes(const kintone::FormInfo &form) {
	std::set<std::string> codes = {"$id", "$revision"};
	for (const auto &field : form.fields) {
		codes.insert(field.code);
		for (const auto &inner : field.fields) {
			codes.insert(inner.code);
		}
	}
	return codes;
}

// "受注管理 (Kintone app 2, code ORDERS, space 1)": what \det+ shows as the table's description.
std::string TableComment(const kintone::AppInfo &app, long long guest) {
	std::string text = LabelName(app.name);
	text += (text.empty() ? "(" : " (") + std::string("Kintone app ") + std::to_string(app.id);
	if (!app.code.empty()) {
		text += ", code " + app.code;
	}
	if (guest > 0) {
		text += ", guest space " + std::to_string(guest);
	} else if (app.space_id > 0) {
		text += ", space " + std::to_string(app.space_id);
	}
	return text + ")";
}

// ---------------------------------------------------------------- phase 2

std::string AppLabel(const kintone::AppInfo &app) {
	std::string label = "app " + std::to_string(app.id);
	if (!app.code.empty()) {
		label += " (" + app.code + ")";
	}
	if (!app.name.empty()) {
		label += " \"" + app.name + "\"";
	}
	return label;
}

// app.json for an app listed in the option apps, with a clear message for guest-space errors.
kintone::AppInfo FetchListedApp(kintone::Session &session, long long app, long long guest) {
	try {
		return kintone::FetchApp(session, app, guest);
	} catch (const kintone::Error &e) {
		std::string detail = e.message() + (e.detail().empty() ? "" : " (" + e.detail() + ")");
		if (e.code() == "GAIA_IL23") {
			kintone::Error error(e.kind(), "app " + std::to_string(app) + " is in a guest space", detail,
			                     "Give the guest space's id with the IMPORT FOREIGN SCHEMA option guest_space_id.");
			error.set_context(e.context());
			throw error;
		}
		if (e.code() == "CB_NO02" && guest > 0) {
			kintone::Error error(
			    e.kind(), "app " + std::to_string(app) + " is not reachable in guest space " + std::to_string(guest),
			    detail,
			    "An app in guest space N needs guest_space_id 'N'; an app outside guest spaces "
			    "needs a server without guest_space_id.");
			error.set_context(e.context());
			throw error;
		}
		throw;
	}
}

void BuildImport(const RawImport &raw, ImportResult &out) {
	kintone::OptionList server_options = OptionListFromDefElems(raw.server_options);
	kintone::OptionList user_options = OptionListFromDefElems(raw.user_options);
	ImportOptions options = ParseImportOptions(OptionListFromDefElems(raw.import_options));
	out.if_exists = options.if_exists;
	out.column_naming = options.column_naming;
	ConnectionParams params = MakeConnectionParams(raw, server_options, user_options);
	const long long guest = options.guest_space_id > 0 ? options.guest_space_id : params.guest_space_id;

	if (!options.has_apps && params.username.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "IMPORT FOREIGN SCHEMA needs the option \"apps\" unless the user mapping uses a "
		                     "username and password",
		                     "Kintone lists apps (apps.json) only for password authentication; it refuses API "
		                     "tokens there.",
		                     "List the app ids: IMPORT FOREIGN SCHEMA ... OPTIONS (apps '1, 2, 5').");
	}

	kintone::Session &session = GetSession(params);
	std::vector<kintone::AppInfo> apps;
	if (options.has_apps) {
		for (long long id : options.apps) {
			apps.push_back(FetchListedApp(session, id, guest));
		}
	} else {
		for (auto &app : kintone::ListApps(session)) {
			// On a guest path only that guest space's apps are reachable (contract §1.3).
			if (guest == 0 || app.space_id == guest) {
				apps.push_back(std::move(app));
			}
		}
	}

	// Names are chosen over every candidate app, so that LIMIT TO / EXCEPT do not change them.
	std::vector<std::string> names = TableNames(apps, options.naming);

	for (size_t i = 0; i < apps.size(); ++i) {
		const kintone::AppInfo &app = apps[i];
		if (raw.list_type != FDW_IMPORT_SCHEMA_ALL) {
			bool by_name = false;
			bool by_code = false;
			for (int k = 0; k < raw.nnames; ++k) {
				Match m = MatchEntry(raw.names[k], app, names[i]);
				by_name |= m == Match::kTableName;
				by_code |= m == Match::kCodeOrId;
			}
			if (raw.list_type == FDW_IMPORT_SCHEMA_EXCEPT && (by_name || by_code)) {
				continue;
			}
			if (raw.list_type == FDW_IMPORT_SCHEMA_LIMIT_TO) {
				if (!by_name && !by_code) {
					continue;
				}
				if (!by_name) {
					// LIMIT TO names tables, as PostgreSQL's own filter does: say why instead of
					// importing nothing silently.
					out.notices.push_back({"not importing " + AppLabel(app) +
					                           ": LIMIT TO names its app code or id, "
					                           "but its table would be named \"" +
					                           names[i] + "\"",
					                       "LIMIT TO and EXCEPT name tables, as PostgreSQL requires. Name the table, "
					                       "or choose apps by id with the option apps."});
					continue;
				}
			}
		}

		kintone::FormInfo form;
		try {
			form = kintone::FetchForm(session, app.id, guest);
		} catch (const kintone::Error &e) {
			if (options.has_apps || guest != 0 || e.code() != "GAIA_IL23") {
				throw;
			}
			// apps.json lists apps of every space; those in a guest space need the guest path.
			out.notices.push_back(
			    {"skipping " + AppLabel(app) + ": it is in guest space " + std::to_string(app.space_id),
			     "Import it with IMPORT FOREIGN SCHEMA ... OPTIONS (guest_space_id '" + std::to_string(app.space_id) +
			         "')."});
			continue;
		}

		ImportTable table;
		table.name = names[i];
		table.app = std::to_string(app.id);
		if (guest != params.guest_space_id) {
			table.guest_space_id = std::to_string(guest);
		}
		table.comment = TableComment(app, guest);
		table.columns = MakeColumns(form, options.column_naming);
		table.form_codes = FormCodes(form);
		out.tables.push_back(std::move(table));
	}
}

// ---------------------------------------------------------------- phase 4

// The code a column reads: its option field_code, else its name.
std::string ColumnCode(const RawColumn &column) {
	return column.field_code != nullptr ? column.field_code : column.name;
}

std::string Quoted(const std::string &s) {
	return "\"" + s + "\"";
}

// if_exists 'update': the changes that bring an existing foreign table of the app in line with
// its form. A column is matched to a field by the code it reads. Columns of fields the app no
// longer has are dropped (every query naming them would fail); columns of new fields are added
// at the end; a column whose field changed type gets the new type (only when its field_type
// option says the type changed, so a type the user chose for an unchanged field is kept);
// the options field_type and lookup_copy_of follow the form. Existing columns keep their names.
void PlanUpdate(ImportTable &table, const RawExisting &existing, ColumnNaming naming) {
	std::set<std::string> used;
	for (int i = 0; i < existing.ncolumns; ++i) {
		used.insert(existing.columns[i].name);
	}
	std::vector<int> match(table.columns.size(), -1);
	std::vector<bool> matched(existing.ncolumns, false);
	for (size_t d = 0; d < table.columns.size(); ++d) {
		for (int i = 0; i < existing.ncolumns; ++i) {
			if (!matched[i] && ColumnCode(existing.columns[i]) == table.columns[d].field_code) {
				match[d] = i;
				matched[i] = true;
				break;
			}
		}
	}
	const std::string where = "foreign table " + Quoted(table.name) + ": ";
	for (int i = 0; i < existing.ncolumns; ++i) {
		const std::string code = ColumnCode(existing.columns[i]);
		if (matched[i] || table.form_codes.count(code) != 0) {
			continue;
		}
		Step step{StepKind::kDropColumn, existing.columns[i].name};
		table.steps.push_back(step);
		table.notices.push_back(
		    {where + "dropping column " + Quoted(step.column) + ": app " + table.app + " has no field " + Quoted(code),
		     ""});
	}
	for (size_t d = 0; d < table.columns.size(); ++d) {
		ImportColumn &want = table.columns[d];
		if (match[d] < 0) {
			want.name = NewColumnName(want.field_code, want.label, naming, used);
			used.insert(want.name);
			table.steps.push_back({StepKind::kAddColumn, want.name, d});
			table.notices.push_back({where + "adding column " + Quoted(want.name) + " for the field " +
			                             Quoted(want.field_code) + " (" + want.field_type + ")",
			                         ""});
			continue;
		}
		const RawColumn &have = existing.columns[match[d]];
		want.name = have.name;
		const std::string have_type = have.field_type != nullptr ? have.field_type : "";
		if (have_type != want.field_type) {
			if (!have_type.empty() && have.type != want.type->oid) {
				table.steps.push_back({StepKind::kSetType, want.name, d});
				table.notices.push_back({where + "column " + Quoted(want.name) + ": the field " +
				                             Quoted(want.field_code) + " changed from " + have_type + " to " +
				                             want.field_type + ", so the column's type changes",
				                         ""});
			}
			table.steps.push_back({have.field_type != nullptr ? StepKind::kSetOption : StepKind::kAddOption, want.name,
			                       d, "field_type", want.field_type});
		}
		const std::string have_lookup = have.lookup_copy_of != nullptr ? have.lookup_copy_of : "";
		if (have_lookup != want.lookup_copy_of) {
			StepKind kind = want.lookup_copy_of.empty()      ? StepKind::kDropOption
			                : have.lookup_copy_of == nullptr ? StepKind::kAddOption
			                                                 : StepKind::kSetOption;
			table.steps.push_back({kind, want.name, d, "lookup_copy_of", want.lookup_copy_of});
		}
	}
}

// Decides each table's action from what phase 3 found. Tables whose existing relation cannot
// be updated or replaced keep kCreate here; phase 5 refuses them before any DDL.
void PlanTables(ImportResult &result, const RawExisting *existing) {
	for (size_t t = 0; t < result.tables.size(); ++t) {
		ImportTable &table = result.tables[t];
		const RawExisting &ex = existing[t];
		if (ex.relid == InvalidOid) {
			continue;
		}
		bool same_app = ex.ours && std::string(ex.app) == table.app;
		if (result.if_exists == IfExists::kSkip) {
			table.action = TableAction::kSkip;
		} else if (result.if_exists == IfExists::kReplace && same_app) {
			table.action = TableAction::kReplace;
		} else if (result.if_exists == IfExists::kUpdate && same_app) {
			table.action = TableAction::kUpdate;
			PlanUpdate(table, ex, result.column_naming);
		}
	}
}

} // namespace

// ---------------------------------------------------------------- phase 3 and 5 (PostgreSQL)

namespace {

const char *OptionValue(List *options, const char *name) {
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, name) == 0) {
			return defGetString(def);
		}
	}
	return nullptr;
}

// The relation named `name` in the namespace, if any, with its columns when it is a foreign
// table of the server and `columns` is set. An update locks the table before reading it.
RawExisting LookUpExisting(const char *name, Oid namespace_oid, Oid server_oid, bool columns) {
	RawExisting out = {InvalidOid, 0, false, "", 0, nullptr};
	out.relid = get_relname_relid(name, namespace_oid);
	if (out.relid == InvalidOid) {
		return out;
	}
	out.relkind = get_rel_relkind(out.relid);
	if (out.relkind != RELKIND_FOREIGN_TABLE) {
		return out;
	}
	ForeignTable *table = GetForeignTable(out.relid);
	out.ours = table->serverid == server_oid;
	const char *app = OptionValue(table->options, "app");
	out.app = app != nullptr ? pstrdup(app) : "";
	if (!out.ours || !columns) {
		return out;
	}
	Relation rel = relation_open(out.relid, AccessExclusiveLock);
	TupleDesc desc = RelationGetDescr(rel);
	out.columns = static_cast<RawColumn *>(palloc0(sizeof(RawColumn) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute attr = TupleDescAttr(desc, i);
		if (attr->attisdropped) {
			continue;
		}
		List *options = GetForeignColumnOptions(out.relid, attr->attnum);
		RawColumn &col = out.columns[out.ncolumns++];
		col.name = pstrdup(NameStr(attr->attname));
		col.type = attr->atttypid;
		col.field_code = OptionValue(options, "field_code");
		col.field_type = OptionValue(options, "field_type");
		col.lookup_copy_of = OptionValue(options, "lookup_copy_of");
	}
	relation_close(rel, NoLock); // the lock is kept until the end of the transaction
	return out;
}

struct ImportContextArg {
	const char *app;
	const char *table;
};

void ImportErrorContext(void *arg) {
	const ImportContextArg *what = static_cast<const ImportContextArg *>(arg);
	errcontext("importing Kintone app %s into foreign table %s", what->app, what->table);
}

void RunDdl(const char *sql) {
	int rc = SPI_execute(sql, false, 0);
	if (rc < 0) {
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(rc));
	}
}

const char *ColumnOptions(const ImportColumn &col) {
	StringInfoData buf;
	initStringInfo(&buf);
	appendStringInfo(&buf, "OPTIONS (field_code %s, field_type %s", quote_literal_cstr(col.field_code.c_str()),
	                 quote_literal_cstr(col.field_type.c_str()));
	if (!col.lookup_copy_of.empty()) {
		appendStringInfo(&buf, ", lookup_copy_of %s", quote_literal_cstr(col.lookup_copy_of.c_str()));
	}
	appendStringInfoChar(&buf, ')');
	return buf.data;
}

void CreateTable(const ImportTable &table, const char *qualified, const char *server_name) {
	StringInfoData buf;
	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n", qualified);
	for (size_t c = 0; c < table.columns.size(); ++c) {
		const ImportColumn &col = table.columns[c];
		appendStringInfo(&buf, "  %s %s %s%s\n", quote_identifier(col.name.c_str()), col.type->sql, ColumnOptions(col),
		                 c + 1 < table.columns.size() ? "," : "");
	}
	appendStringInfo(&buf, ") SERVER %s OPTIONS (app %s", quote_identifier(server_name),
	                 quote_literal_cstr(table.app.c_str()));
	if (!table.guest_space_id.empty()) {
		appendStringInfo(&buf, ", guest_space_id %s", quote_literal_cstr(table.guest_space_id.c_str()));
	}
	appendStringInfoChar(&buf, ')');
	RunDdl(buf.data);
}

void UpdateTable(const ImportTable &table, const char *qualified) {
	for (size_t s = 0; s < table.steps.size(); ++s) {
		const Step &step = table.steps[s];
		const char *column = quote_identifier(step.column.c_str());
		const ImportColumn &col = table.columns[step.desired];
		const char *option = quote_identifier(step.option.c_str());
		const char *value = quote_literal_cstr(step.value.c_str());
		char *sql = nullptr;
		switch (step.kind) {
		case StepKind::kAddColumn:
			sql = psprintf("ALTER FOREIGN TABLE %s ADD COLUMN %s %s %s", qualified, column, col.type->sql,
			               ColumnOptions(col));
			break;
		case StepKind::kDropColumn:
			sql = psprintf("ALTER FOREIGN TABLE %s DROP COLUMN %s", qualified, column);
			break;
		case StepKind::kSetType:
			sql = psprintf("ALTER FOREIGN TABLE %s ALTER COLUMN %s TYPE %s", qualified, column, col.type->sql);
			break;
		case StepKind::kAddOption:
			sql = psprintf("ALTER FOREIGN TABLE %s ALTER COLUMN %s OPTIONS (ADD %s %s)", qualified, column, option,
			               value);
			break;
		case StepKind::kSetOption:
			sql = psprintf("ALTER FOREIGN TABLE %s ALTER COLUMN %s OPTIONS (SET %s %s)", qualified, column, option,
			               value);
			break;
		case StepKind::kDropOption:
			sql = psprintf("ALTER FOREIGN TABLE %s ALTER COLUMN %s OPTIONS (DROP %s)", qualified, column, option);
			break;
		}
		RunDdl(sql);
	}
}

void CommentTable(const ImportTable &table, const char *qualified) {
	RunDdl(psprintf("COMMENT ON FOREIGN TABLE %s IS %s", qualified, quote_literal_cstr(table.comment.c_str())));
	for (size_t c = 0; c < table.columns.size(); ++c) {
		const ImportColumn &col = table.columns[c];
		RunDdl(psprintf("COMMENT ON COLUMN %s.%s IS %s", qualified, quote_identifier(col.name.c_str()),
		                quote_literal_cstr(col.comment.c_str())));
	}
}

void RaiseNotices(const std::vector<ImportNotice> &notices) {
	for (size_t i = 0; i < notices.size(); ++i) {
		const ImportNotice &notice = notices[i];
		ereport(NOTICE,
		        (errmsg("%s", notice.message.c_str()), notice.hint.empty() ? 0 : errhint("%s", notice.hint.c_str())));
	}
}

// Refuses, before any DDL, a table name that is taken and may not be skipped, updated or
// replaced under the statement's if_exists.
void CheckExisting(const ImportResult &result, const RawExisting *existing, const char *schema,
                   const char *server_name) {
	for (size_t t = 0; t < result.tables.size(); ++t) {
		const ImportTable &table = result.tables[t];
		const RawExisting &ex = existing[t];
		if (ex.relid == InvalidOid || result.if_exists == IfExists::kSkip) {
			continue;
		}
		const char *plain = psprintf("%s.%s", schema, table.name.c_str());
		if (result.if_exists == IfExists::kError) {
			ereport(ERROR, (errcode(ERRCODE_DUPLICATE_TABLE), errmsg("relation \"%s\" already exists", plain),
			                errdetail("IMPORT FOREIGN SCHEMA would create it for Kintone app %s.", table.app.c_str()),
			                errhint("To bring tables imported before up to date with their apps, add OPTIONS "
			                        "(if_exists 'update'); 'skip' leaves existing tables as they are, 'replace' "
			                        "drops and re-creates them.")));
		}
		const char *verb = result.if_exists == IfExists::kUpdate ? "update" : "replace";
		if (!ex.ours) {
			ereport(ERROR,
			        (errcode(ERRCODE_WRONG_OBJECT_TYPE),
			         errmsg("cannot %s \"%s\": it is not a foreign table of server \"%s\"", verb, plain, server_name),
			         errdetail("IMPORT FOREIGN SCHEMA would create it for Kintone app %s.", table.app.c_str()),
			         errhint("Drop or rename it, or import into another schema.")));
		}
		if (table.action != TableAction::kUpdate && table.action != TableAction::kReplace) {
			ereport(ERROR,
			        (errcode(ERRCODE_WRONG_OBJECT_TYPE),
			         errmsg("cannot %s \"%s\": it reads Kintone app %s, not app %s", verb, plain,
			                ex.app[0] != '\0' ? ex.app : "(none)", table.app.c_str()),
			         errhint("The table names chosen depend on the options apps and table_name: use the options of "
			                 "the IMPORT that created the table, or import into another schema.")));
		}
	}
}

} // namespace

// ---------------------------------------------------------------- entry point

List *kintoneImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid) {
	// Phase 1: PostgreSQL state into plain values.
	ForeignServer *server = GetForeignServer(serverOid);
	UserMapping *mapping = GetUserMapping(GetUserId(), serverOid);
	Oid namespace_oid = get_namespace_oid(stmt->local_schema, false);
	RawImport *raw = static_cast<RawImport *>(palloc0(sizeof(RawImport)));
	raw->server_options = server->options;
	raw->user_options = mapping->options;
	raw->import_options = stmt->options;
	raw->server_oid = serverOid;
	raw->server_name = pstrdup(server->servername);
	raw->user_oid = mapping->userid;
	raw->list_type = stmt->list_type;
	raw->nnames = list_length(stmt->table_list);
	raw->names = static_cast<const char **>(palloc0(sizeof(char *) * (raw->nnames + 1)));
	ListCell *cell;
	int n = 0;
	foreach (cell, stmt->table_list) {
		raw->names[n++] = static_cast<RangeVar *>(lfirst(cell))->relname;
	}

	// Phase 2: Kintone. The result belongs to the current memory context.
	MemoryContextCallback *callback = static_cast<MemoryContextCallback *>(palloc0(sizeof(MemoryContextCallback)));
	callback->func = DeleteImportResult;
	ImportResult *result = Guard([&]() { return new ImportResult(); });
	callback->arg = result;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, callback);
	Guard([&]() { BuildImport(*raw, *result); });
	RaiseNotices(result->notices);

	// Phase 3: the relations that already carry the chosen names.
	size_t ntables = result->tables.size();
	RawExisting *existing = static_cast<RawExisting *>(palloc0(sizeof(RawExisting) * (ntables + 1)));
	for (size_t t = 0; t < ntables; ++t) {
		existing[t] = LookUpExisting(result->tables[t].name.c_str(), namespace_oid, serverOid,
		                             result->if_exists == IfExists::kUpdate);
	}

	// Phase 4: what to do with each table.
	Guard([&]() { PlanTables(*result, existing); });

	// Phase 5: refuse what cannot be done, then run the DDL.
	CheckExisting(*result, existing, stmt->local_schema, server->servername);
	if (SPI_connect() != SPI_OK_CONNECT) {
		elog(ERROR, "SPI_connect failed");
	}
	for (size_t t = 0; t < ntables; ++t) {
		const ImportTable &table = result->tables[t];
		const char *qualified = quote_qualified_identifier(stmt->local_schema, table.name.c_str());
		if (table.action == TableAction::kSkip) {
			ereport(NOTICE, (errcode(ERRCODE_DUPLICATE_TABLE), errmsg("relation \"%s.%s\" already exists, skipping",
			                                                          stmt->local_schema, table.name.c_str())));
			continue;
		}
		RaiseNotices(table.notices);
		ImportContextArg arg = {table.app.c_str(), qualified};
		ErrorContextCallback context;
		context.callback = ImportErrorContext;
		context.arg = &arg;
		context.previous = error_context_stack;
		error_context_stack = &context;
		if (table.action == TableAction::kUpdate) {
			UpdateTable(table, qualified);
		} else {
			if (table.action == TableAction::kReplace) {
				RunDdl(psprintf("DROP FOREIGN TABLE %s", qualified));
			}
			CreateTable(table, qualified, server->servername);
		}
		CommentTable(table, qualified);
		error_context_stack = context.previous;
	}
	if (SPI_finish() != SPI_OK_FINISH) {
		elog(ERROR, "SPI_finish failed");
	}
	// Everything is created already: PostgreSQL has no command left to run.
	return NIL;
}

} // namespace kintone_fdw
