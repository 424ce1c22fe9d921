// The message catalogue (see messages.hpp).
#include "kintone/messages.hpp"

#include <algorithm>
#include <cctype>

namespace kintone {

namespace {

bool IsAlpha(char c) {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool IsAlnum(char c) {
	return IsAlpha(c) || (c >= '0' && c <= '9');
}

std::string Lower(std::string_view s) {
	std::string out(s);
	for (char &c : out) {
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	}
	return out;
}

} // namespace

bool IsLanguageOption(std::string_view value) {
	if (Lower(value) == "auto") {
		return true;
	}
	// language ("-" subtag)*: 1-8 letters, then 1-8 letters or digits per subtag (RFC 5646).
	size_t i = 0, n = 0;
	while (i < value.size() && IsAlpha(value[i])) {
		++i;
		++n;
	}
	if (n < 1 || n > 8) {
		return false;
	}
	while (i < value.size()) {
		if (value[i] != '-') {
			return false;
		}
		++i;
		n = 0;
		while (i < value.size() && IsAlnum(value[i])) {
			++i;
			++n;
		}
		if (n < 1 || n > 8) {
			return false;
		}
	}
	return true;
}

std::string AcceptLanguage(std::string_view option, std::string_view lc_messages) {
	if (!option.empty() && Lower(option) != "auto") {
		return std::string(option);
	}
	// language[_territory][.codeset][@modifier]
	std::string_view name = lc_messages.substr(0, lc_messages.find_first_of(".@"));
	if (name.empty() || name == "C" || name == "POSIX") {
		return "en";
	}
	size_t sep = name.find_first_of("_-");
	std::string_view language = name.substr(0, sep);
	std::string_view territory = sep == std::string_view::npos ? std::string_view() : name.substr(sep + 1);
	bool plain_language =
	    (language.size() == 2 || language.size() == 3) && std::all_of(language.begin(), language.end(), IsAlpha);
	bool plain_territory =
	    territory.empty() || ((territory.size() == 2 || territory.size() == 3 || territory.size() == 4) &&
	                          std::all_of(territory.begin(), territory.end(), IsAlnum));
	std::string lang = Lower(language);
	if (!plain_language || !plain_territory || lang == "en") {
		return "en";
	}
	if (lang == "ja") {
		return "ja";
	}
	if (territory.empty()) {
		return lang + ", en;q=0.8";
	}
	return lang + "-" + std::string(territory) + ", " + lang + ";q=0.9, en;q=0.8";
}

// ---------------------------------------------------------------- errors about a table

namespace {

std::string Quoted(const std::string &s) {
	return "\"" + s + "\"";
}

// "app 7" or "app 7 (guest space 2)".
std::string AppText(const TableRef &t) {
	std::string out = "app " + std::to_string(t.app);
	if (t.guest_space_id > 0) {
		out += " (guest space " + std::to_string(t.guest_space_id) + ")";
	}
	return out;
}

// "columns "a" (field code "x") and "b" (field code "y")", each column once.
std::string ColumnsText(const std::vector<ColumnRef> &columns) {
	std::vector<const ColumnRef *> unique;
	for (const auto &c : columns) {
		bool seen = std::any_of(unique.begin(), unique.end(), [&](const ColumnRef *u) { return u->name == c.name; });
		if (!seen) {
			unique.push_back(&c);
		}
	}
	std::string out = unique.size() == 1 ? "column " : "columns ";
	for (size_t i = 0; i < unique.size(); ++i) {
		if (i > 0) {
			out += i + 1 == unique.size() ? " and " : ", ";
		}
		out += Quoted(unique[i]->name);
		if (unique[i]->field_code != unique[i]->name) {
			out += " (field code " + Quoted(unique[i]->field_code) + ")";
		}
	}
	return out;
}

bool IsQueryCode(const Error &e) {
	const std::string &code = e.code();
	if (code.rfind("GAIA_IQ", 0) == 0 || code == "GAIA_QU01" || code == "GAIA_QU02" || code == "GAIA_IL08" ||
	    code == "GAIA_IR02" || code == "GAIA_IL42") {
		return true;
	}
	if (code == "CB_VA01") {
		for (const auto &[key, messages] : e.field_errors()) {
			if (key == "query") {
				return true;
			}
		}
	}
	return false;
}

// Kintone's message to DETAIL (before the status, code and request id), ours in its place.
void Reword(Error &e, const std::string &message, const std::string &hint) {
	std::string detail = e.message();
	if (!e.detail().empty()) {
		detail += "\n" + e.detail();
	}
	e.set_message(message + " (" + e.code() + ")");
	e.set_detail(detail);
	if (e.hint().empty()) {
		e.set_hint(hint);
	}
}

} // namespace

bool ExplainForTable(Error &e, const TableRef &t) {
	const std::string &code = e.code();
	if (code.empty()) {
		return false;
	}
	const std::string table = "foreign table " + Quoted(t.table);
	if (code == "GAIA_AP01") {
		Reword(e, "Kintone has no " + AppText(t) + ", the option app of " + table,
		       t.guest_space_id > 0
		           ? "Check the options app and guest_space_id of " + table +
		                 " (or of its server): ALTER FOREIGN TABLE ... OPTIONS (SET app '...'). IMPORT FOREIGN "
		                 "SCHEMA creates tables for the apps the user can see."
		           : "Check the option app of " + table +
		                 ": ALTER FOREIGN TABLE ... OPTIONS (SET app '...'). IMPORT FOREIGN SCHEMA creates tables "
		                 "for the apps the user can see.");
		return true;
	}
	if (code == "GAIA_IL23") {
		Reword(e,
		       "app " + std::to_string(t.app) + " of " + table +
		           " is in a guest space: the table needs the option guest_space_id",
		       "Set the option guest_space_id of the foreign table (or of its server) to the guest space's id: "
		       "ALTER FOREIGN TABLE ... OPTIONS (ADD guest_space_id '...').");
		return true;
	}
	if (code == "CB_NO02") {
		Reword(e, "Kintone refused access to " + AppText(t) + " of " + table,
		       t.guest_space_id > 0
		           ? "The user of the user mapping needs the app's permission for this request, and guest_space_id (" +
		                 std::to_string(t.guest_space_id) + ") must be the guest space the app is in."
		           : "The user of the user mapping needs the app's (and the records' and fields') permission for "
		             "this request.");
		return true;
	}
	if (IsQueryCode(e)) {
		std::string hint;
		if (code == "GAIA_IQ11") {
			hint = t.columns.empty()
			           ? "A column's field code names no field of the app: check the column option field_code."
			           : "The query uses the " + ColumnsText(t.columns) +
			                 ": one of them names no field of the app (check its option field_code).";
		} else if (code == "GAIA_IQ03" || code == "GAIA_IQ07") {
			hint = (t.columns.empty() ? std::string() : "The query uses the " + ColumnsText(t.columns) + "; a") +
			       std::string(t.columns.empty() ? "A" : "") +
			       " column whose option field_type differs from the field's type in the app gets conditions the "
			       "field does not take: correct or drop field_type (without it, the app's form tells the type).";
		} else if (!t.columns.empty()) {
			hint = "The query uses the " + ColumnsText(t.columns) + ".";
		}
		Reword(e, "Kintone refused the query of " + table + " on " + AppText(t), hint);
		return true;
	}
	return false;
}

// ---------------------------------------------------------------- unknown field codes

bool RecordsCarryField(const FormInfo &form, const std::string &code) {
	if (code == "$id" || code == "$revision") {
		return true;
	}
	const FieldInfo *field = form.Find(code);
	return field != nullptr && field->subtable.empty() && field->enabled && field->type != FieldType::kReferenceTable &&
	       field->type != FieldType::kGroup;
}

namespace {

// Code-point edit distance (field codes are mostly Japanese: a byte distance would rank
// every one-character difference as three).
size_t CodePointDistance(const std::string &a, const std::string &b) {
	auto points = [](const std::string &s) {
		std::vector<std::string> out;
		for (size_t i = 0; i < s.size();) {
			unsigned char c = static_cast<unsigned char>(s[i]);
			size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
			out.push_back(s.substr(i, len));
			i += len;
		}
		return out;
	};
	std::vector<std::string> x = points(a), y = points(b);
	std::vector<size_t> prev(y.size() + 1), cur(y.size() + 1);
	for (size_t j = 0; j <= y.size(); ++j) {
		prev[j] = j;
	}
	for (size_t i = 1; i <= x.size(); ++i) {
		cur[0] = i;
		for (size_t j = 1; j <= y.size(); ++j) {
			cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (x[i - 1] == y[j - 1] ? 0 : 1)});
		}
		std::swap(prev, cur);
	}
	return prev[y.size()];
}

} // namespace

Error UnknownFieldError(const std::string &table, const std::string &column, const std::string &code, long long app,
                        const FormInfo &form) {
	std::vector<std::pair<size_t, std::string>> ranked;
	for (const auto &field : form.fields) {
		if (RecordsCarryField(form, field.code)) {
			ranked.emplace_back(CodePointDistance(code, field.code), field.code);
		}
	}
	std::stable_sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
	std::string closest;
	for (size_t i = 0; i < ranked.size() && i < 3; ++i) {
		closest += (i > 0 ? ", \"" : "\"") + ranked[i].second + "\"";
	}
	std::string detail = "Kintone app " + std::to_string(app) + " has no field with the code \"" + code + "\"";
	const FieldInfo *inner = form.Find(code);
	if (inner != nullptr && !inner->subtable.empty()) {
		detail += " outside a table: it is a field of the table \"" + inner->subtable + "\"";
	} else if (inner != nullptr && !inner->enabled) {
		detail += " that records carry: the feature is turned off in the app";
	}
	detail += "; Kintone would ignore it (reads give NULL, writes are dropped).";
	std::string hint = closest.empty()
	                       ? std::string("Set the column option field_code to one of the app's field codes.")
	                       : "The closest field codes are " + closest +
	                             ". Set the column option field_code: ALTER FOREIGN TABLE ... ALTER "
	                             "COLUMN ... OPTIONS (SET field_code '...').";
	return Error(ErrorKind::kInvalidOptionValue,
	             "column \"" + column + "\" of foreign table \"" + table + "\" names no field of the app", detail,
	             hint);
}

} // namespace kintone
