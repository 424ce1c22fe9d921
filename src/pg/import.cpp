// IMPORT FOREIGN SCHEMA: one CREATE FOREIGN TABLE per Kintone app, one column per form field.
//
// Three phases, as the boundary requires (pg/guard.hpp):
//   1. PostgreSQL: read the server, the user mapping, the statement's options and table list
//      into palloc'd C data (these calls may ereport).
//   2. C++ inside the guard: parse the IMPORT options, ask Kintone for the apps (apps.json or
//      app.json per listed id) and their forms, choose table names, column names and types.
//      The result is a C++ object owned by the current memory context (a reset callback
//      deletes it, on error too); NOTICEs are only collected here, as strings.
//   3. PostgreSQL: raise the collected NOTICEs and print the commands with quote_identifier
//      and quote_literal_cstr. Nothing with a destructor lives in this frame any more.
//
// The remote schema name of the statement is not used: a Kintone domain has no schemas.
// PostgreSQL itself keeps only the commands whose table name passes LIMIT TO / EXCEPT; this
// file also matches the list against app codes and ids so that it reads only the forms needed.
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
#include "lib/stringinfo.h"
#include "utils/memutils.h"
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

struct ImportColumn {
	std::string name;
	const char *type = "text"; // a static PostgreSQL type name
	std::string field_code;
	std::string field_type;
	std::string lookup_copy_of; // a lookup copy-to field: the lookup field that fills it
};

struct ImportTable {
	std::string name;
	std::string app;            // the app id, as text
	std::string guest_space_id; // "" for no table option (the server's applies)
	std::vector<ImportColumn> columns;
};

struct ImportNotice {
	std::string message;
	std::string hint;
};

// What phase 2 hands to phase 3.
struct ImportResult {
	std::vector<ImportTable> tables;
	std::vector<ImportNotice> notices;
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
};

const std::vector<std::string> &ImportOptionNames() {
	static const std::vector<std::string> names = {"apps", "guest_space_id", "table_name"};
	return names;
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
				throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
				                     "invalid value for option \"table_name\": \"" + value + "\"", "",
				                     "Valid values are: auto, code, name, id.");
			}
		} else {
			std::string hint;
			std::string closest = kintone::ClosestMatch(name, valid);
			if (!closest.empty()) {
				hint = "Perhaps you meant the option \"" + closest + "\". ";
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
const char *ColumnType(const kintone::FieldInfo &field) {
	using kintone::FieldType;
	switch (field.type) {
	case FieldType::kId:
	case FieldType::kRevision:
		return "bigint";
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
		return "text";
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
	case FieldType::kDateTime:
		return "timestamptz";
	case FieldType::kNumber:
		return "numeric";
	case FieldType::kCalc:
		if (field.calc_format == "NUMBER" || field.calc_format == "NUMBER_DIGIT") {
			return "numeric";
		}
		if (field.calc_format == "DATETIME") {
			return "timestamptz";
		}
		if (field.calc_format == "DATE") {
			return "date";
		}
		if (field.calc_format == "TIME") {
			return "time";
		}
		if (field.calc_format == "HOUR_MINUTE" || field.calc_format == "DAY_HOUR_MINUTE") {
			return "interval";
		}
		return "text"; // a format this version does not know: the value as Kintone sends it
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
	case FieldType::kCategory:
		return "text[]";
	case FieldType::kDate:
		return "date";
	case FieldType::kTime:
		return "time";
	case FieldType::kUserSelect:
	case FieldType::kOrganizationSelect:
	case FieldType::kGroupSelect:
	case FieldType::kStatusAssignee:
	case FieldType::kFile:
	case FieldType::kSubtable:
		return "jsonb";
	case FieldType::kReferenceTable:
	case FieldType::kGroup:
	case FieldType::kUnknown: // LABEL, SPACER, HR and types this version does not know
		return nullptr;
	}
	return nullptr;
}

// A column name for a field code: the code itself, cut to 63 bytes if longer (PostgreSQL
// would cut it and then refuse two codes that share their first 63 bytes), made unique.
std::string ColumnName(const std::string &code, std::set<std::string> &used) {
	std::string name = TruncateUtf8(code, kMaxIdentifierBytes);
	for (int n = 2; used.count(name) != 0; ++n) {
		std::string suffix = "_" + std::to_string(n);
		name = TruncateUtf8(code, kMaxIdentifierBytes - suffix.size()) + suffix;
	}
	used.insert(name);
	return name;
}

// Columns: $id, $revision, then the record number, creator, created time, modifier and
// updated time, then every other field in form order. Layout-only fields and process
// management / category fields that are not enabled are skipped.
std::vector<ImportColumn> MakeColumns(const kintone::FormInfo &form) {
	using kintone::FieldType;
	std::vector<ImportColumn> columns;
	std::set<std::string> used;
	auto add = [&](const std::string &code, const char *type, FieldType field_type,
	               const std::string &copied_by = std::string()) {
		kintone::CheckFormFieldCode(code); // a code that could change a query never reaches one
		ImportColumn col;
		col.name = ColumnName(code, used);
		col.type = type;
		col.field_code = code;
		col.field_type = kintone::FieldTypeName(field_type);
		col.lookup_copy_of = copied_by;
		columns.push_back(std::move(col));
	};
	add("$id", "bigint", FieldType::kId);
	add("$revision", "bigint", FieldType::kRevision);
	const FieldType system_order[] = {FieldType::kRecordNumber, FieldType::kCreator, FieldType::kCreatedTime,
	                                  FieldType::kModifier, FieldType::kUpdatedTime};
	for (FieldType type : system_order) {
		for (const auto &field : form.fields) {
			if (field.type == type) {
				add(field.code, ColumnType(field), field.type);
			}
		}
	}
	for (const auto &field : form.fields) {
		bool system = false;
		for (FieldType type : system_order) {
			system |= field.type == type;
		}
		const char *type = ColumnType(field);
		if (system || type == nullptr || !field.enabled || field.code.empty()) {
			continue;
		}
		add(field.code, type, field.type, field.copied_by);
	}
	return columns;
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
					// PostgreSQL would drop the command: say why instead of importing nothing silently.
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
		table.columns = MakeColumns(form);
		out.tables.push_back(std::move(table));
	}
}

} // namespace

// ---------------------------------------------------------------- entry point

List *kintoneImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid) {
	// Phase 1: PostgreSQL state into plain values.
	ForeignServer *server = GetForeignServer(serverOid);
	UserMapping *mapping = GetUserMapping(GetUserId(), serverOid);
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

	// Phase 3: NOTICEs and commands.
	for (size_t i = 0; i < result->notices.size(); ++i) {
		const ImportNotice &notice = result->notices[i];
		ereport(NOTICE,
		        (errmsg("%s", notice.message.c_str()), notice.hint.empty() ? 0 : errhint("%s", notice.hint.c_str())));
	}
	const char *server_name = quote_identifier(server->servername);
	List *commands = NIL;
	for (size_t t = 0; t < result->tables.size(); ++t) {
		const ImportTable &table = result->tables[t];
		StringInfoData buf;
		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n", quote_identifier(table.name.c_str()));
		for (size_t c = 0; c < table.columns.size(); ++c) {
			const ImportColumn &col = table.columns[c];
			appendStringInfo(&buf, "  %s %s OPTIONS (field_code %s, field_type %s", quote_identifier(col.name.c_str()),
			                 col.type, quote_literal_cstr(col.field_code.c_str()),
			                 quote_literal_cstr(col.field_type.c_str()));
			if (!col.lookup_copy_of.empty()) {
				appendStringInfo(&buf, ", lookup_copy_of %s", quote_literal_cstr(col.lookup_copy_of.c_str()));
			}
			appendStringInfo(&buf, ")%s\n", c + 1 < table.columns.size() ? "," : "");
		}
		appendStringInfo(&buf, ") SERVER %s OPTIONS (app %s", server_name, quote_literal_cstr(table.app.c_str()));
		if (!table.guest_space_id.empty()) {
			appendStringInfo(&buf, ", guest_space_id %s", quote_literal_cstr(table.guest_space_id.c_str()));
		}
		appendStringInfoString(&buf, ")");
		commands = lappend(commands, buf.data);
	}
	return commands;
}

} // namespace kintone_fdw
