// Kintone record JSON for writes (see record_json.hpp and docs/writes.md).
#include "kintone/record_json.hpp"

#include <cstdint>

namespace kintone {

namespace {

bool IsEntityList(FieldType t) {
	return t == FieldType::kUserSelect || t == FieldType::kOrganizationSelect || t == FieldType::kGroupSelect;
}

bool IsPerson(FieldType t) {
	return t == FieldType::kCreator || t == FieldType::kModifier;
}

// Fields whose value is a list (contract §6.1).
bool IsListType(FieldType t) {
	switch (t) {
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
	case FieldType::kUserSelect:
	case FieldType::kOrganizationSelect:
	case FieldType::kGroupSelect:
	case FieldType::kFile:
	case FieldType::kSubtable:
	case FieldType::kCategory:
	case FieldType::kStatusAssignee:
		return true;
	default:
		return false;
	}
}

Error ValueError(const WriteField &field, const std::string &message) {
	return Error(ErrorKind::kInvalidRequest, message + " in column \"" + field.column + "\"");
}

Json ParseValue(const WriteField &field, const char *text) {
	Json j = Json::parse(text, nullptr, false);
	if (j.is_discarded()) {
		throw ValueError(field, "invalid JSON");
	}
	return j;
}

// {"code": …} from "sato", {"code": "sato", "name": …} or {"code": …}.
Json Code(const Json &item) {
	if (item.is_object() && item.contains("code")) {
		return Json{{"code", item["code"]}};
	}
	return Json{{"code", item}};
}

// {"fileKey": …} from a key or a file descriptor as read.
Json FileKey(const Json &item) {
	if (item.is_object() && item.contains("fileKey")) {
		return Json{{"fileKey", item["fileKey"]}};
	}
	return Json{{"fileKey", item}};
}

// A subtable value as Kintone takes it (contract §6.3): rows keep their "id" (so Kintone
// updates those rows instead of replacing them), inner fields lose their "type"; a row may
// also be written as {inner: value, …}.
Json SubtableValue(const WriteField &field, const Json &rows) {
	if (!rows.is_array()) {
		throw Error(ErrorKind::kInvalidRequest,
		            "column \"" + field.column + "\" must hold a JSON array of subtable rows");
	}
	Json out = Json::array();
	for (const auto &row : rows) {
		if (!row.is_object()) {
			throw Error(ErrorKind::kInvalidRequest,
			            "a subtable row of column \"" + field.column + "\" is not an object");
		}
		Json r = Json::object();
		const Json *cells = &row;
		if (row.contains("value") && row["value"].is_object()) {
			cells = &row["value"];
			if (row.contains("id") && !row["id"].is_null()) {
				r["id"] = row["id"];
			}
		}
		Json value = Json::object();
		for (auto it = cells->begin(); it != cells->end(); ++it) {
			if (it->is_object() && it->contains("value")) {
				value[it.key()] = Json{{"value", (*it)["value"]}};
			} else {
				value[it.key()] = Json{{"value", *it}};
			}
		}
		r["value"] = std::move(value);
		out.push_back(std::move(r));
	}
	return out;
}

// A JSON value as the field type wants it.
Json JsonValue(const WriteField &field, const char *text) {
	Json j = ParseValue(field, text);
	if (IsPerson(field.type)) {
		return Code(j);
	}
	if (IsEntityList(field.type) || field.type == FieldType::kFile) {
		if (!j.is_array()) {
			j = Json::array({j});
		}
		Json items = Json::array();
		for (const auto &item : j) {
			items.push_back(field.type == FieldType::kFile ? FileKey(item) : Code(item));
		}
		return items;
	}
	if (field.type == FieldType::kSubtable) {
		return SubtableValue(field, j);
	}
	return j;
}

void AppendCode(std::string &out, std::string_view code) {
	out += "{\"code\":";
	AppendJsonString(out, code);
	out += '}';
}

void AppendFileKey(std::string &out, std::string_view key) {
	out += "{\"fileKey\":";
	AppendJsonString(out, key);
	out += '}';
}

// Appends the Kintone value of one field; false when the field is left out of the record.
bool AppendValue(std::string &out, const WriteField &field, const FieldValue &value) {
	FieldType type = field.type;
	if (value.is_null) {
		if (NullLeftOut(type)) {
			return false;
		}
		out += IsListField(type, field.shape) ? "[]" : "\"\"";
		return true;
	}
	switch (field.shape) {
	case ValueShape::kList:
		out += '[';
		for (int i = 0; i < value.nelems; ++i) {
			if (i > 0) {
				out += ',';
			}
			if (IsEntityList(type)) {
				AppendCode(out, value.elems[i]);
			} else if (type == FieldType::kFile) {
				AppendFileKey(out, value.elems[i]);
			} else {
				AppendJsonString(out, value.elems[i]);
			}
		}
		out += ']';
		return true;
	case ValueShape::kJson:
		out += JsonValue(field, value.text).dump();
		return true;
	case ValueShape::kText:
		break;
	}
	if (IsPerson(type)) {
		AppendCode(out, value.text);
	} else if (IsEntityList(type)) {
		out += '[';
		AppendCode(out, value.text);
		out += ']';
	} else if (type == FieldType::kFile) {
		out += '[';
		AppendFileKey(out, value.text);
		out += ']';
	} else if (type == FieldType::kCheckBox || type == FieldType::kMultiSelect) {
		out += '[';
		AppendJsonString(out, value.text);
		out += ']';
	} else if (type == FieldType::kSubtable) {
		out += JsonValue(field, value.text).dump(); // a subtable's rows written as JSON text
	} else {
		AppendJsonString(out, value.text);
	}
	return true;
}

std::string_view Trim(std::string_view s) {
	while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n' || s.front() == '\r')) {
		s.remove_prefix(1);
	}
	while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
		s.remove_suffix(1);
	}
	return s;
}

bool EqualsNoCase(std::string_view a, std::string_view b) {
	if (a.size() != b.size()) {
		return false;
	}
	for (size_t i = 0; i < a.size(); ++i) {
		char c = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] - 'A' + 'a') : a[i];
		if (c != b[i]) {
			return false;
		}
	}
	return true;
}

bool IsDigit(char c) {
	return c >= '0' && c <= '9';
}

// NUMBER: the reason a decimal text (as PostgreSQL's numeric and float types print it, or as
// a user typed it) is not storable, nullptr when it is or when the text is no number at all
// (Kintone answers that itself, naming the field).
const char *NumberReason(std::string_view text) {
	std::string_view s = Trim(text);
	if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
		s.remove_prefix(1);
	}
	if (EqualsNoCase(s, "nan")) {
		return "Kintone NUMBER fields cannot store NaN";
	}
	if (EqualsNoCase(s, "infinity") || EqualsNoCase(s, "inf")) {
		return "Kintone NUMBER fields cannot store infinity";
	}
	// digits [. digits] [e [sign] digits]; the decimal exponent of the first non-zero digit.
	size_t i = 0;
	long long int_digits = 0;    // significant digits before the point
	long long leading_zeros = 0; // zeros after the point before the first non-zero digit
	bool nonzero = false;
	bool any_digit = false;
	for (; i < s.size() && IsDigit(s[i]); ++i) {
		any_digit = true;
		if (nonzero || s[i] != '0') {
			nonzero = true;
			++int_digits;
		}
	}
	if (i < s.size() && s[i] == '.') {
		++i;
		for (; i < s.size() && IsDigit(s[i]); ++i) {
			any_digit = true;
			if (!nonzero) {
				if (s[i] == '0') {
					++leading_zeros;
				} else {
					nonzero = true;
				}
			}
		}
	}
	if (!any_digit) {
		return nullptr;
	}
	long long exponent = 0;
	if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
		++i;
		bool negative = false;
		if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
			negative = s[i] == '-';
			++i;
		}
		if (i == s.size()) {
			return nullptr;
		}
		for (; i < s.size() && IsDigit(s[i]); ++i) {
			if (exponent < 1000000000LL) { // saturates: far beyond either bound anyway
				exponent = exponent * 10 + (s[i] - '0');
			}
		}
		if (negative) {
			exponent = -exponent;
		}
	}
	if (i != s.size() || !nonzero) {
		return nullptr; // not a number (Kintone's to refuse) or zero
	}
	long long adjusted = (int_digits > 0 ? int_digits - 1 : -(leading_zeros + 1)) + exponent;
	if (adjusted >= 30) {
		return "Kintone NUMBER fields cannot store numbers of 1e30 or more in magnitude (at most 30 digits)";
	}
	if (adjusted < -30) {
		return "Kintone NUMBER fields cannot store non-zero numbers below 1e-30 in magnitude";
	}
	return nullptr;
}

// TIME: "H:M" or "HH:MM[:SS…]" with an hour of 24 or more, or minutes of 60 or more.
const char *TimeReason(std::string_view text) {
	std::string_view s = Trim(text);
	size_t i = 0;
	int hour = 0;
	int minute = 0;
	for (; i < s.size() && i < 3 && IsDigit(s[i]); ++i) {
		hour = hour * 10 + (s[i] - '0');
	}
	if (i == 0 || i > 2 || i >= s.size() || s[i] != ':') {
		return nullptr;
	}
	size_t start = ++i;
	for (; i < s.size() && i - start < 3 && IsDigit(s[i]); ++i) {
		minute = minute * 10 + (s[i] - '0');
	}
	if (i == start || i - start > 2 || (i < s.size() && s[i] != ':')) {
		return nullptr;
	}
	if (hour >= 24 || minute >= 60) {
		return "Kintone TIME fields hold the times 00:00 to 23:59";
	}
	return nullptr;
}

// A record id or revision in an answer: a string or a whole number.
bool IdText(const Json &value, std::string *out) {
	if (value.is_string()) {
		*out = value.get<std::string>();
		return !out->empty();
	}
	if (value.is_number_unsigned() || value.is_number_integer()) {
		*out = value.dump();
		return true;
	}
	return false;
}

[[noreturn]] void BadAnswer(const std::string &what, const std::string &request) {
	throw Error(ErrorKind::kProtocol, "Kintone's answer to a write " + what,
	            "The answer to " + request +
	                " is not what the API promises. Kintone reported success, so the records were probably "
	                "written, but kintone_fdw cannot confirm them.");
}

} // namespace

const char *ReadOnlyReason(FieldType type, WriteKind kind) {
	if (kind == WriteKind::kDelete) {
		return nullptr;
	}
	switch (type) {
	case FieldType::kId:
		return "it is the record id ($id), which Kintone assigns";
	case FieldType::kRevision:
		return "it is the record revision ($revision), which Kintone assigns";
	case FieldType::kRecordNumber:
		return "Kintone assigns the record number";
	case FieldType::kCalc:
		return "Kintone computes CALC fields";
	case FieldType::kStatus:
	case FieldType::kStatusAssignee:
		return "the process management status and assignees change only through status actions";
	case FieldType::kCategory:
		return "categories cannot be set through the record API";
	case FieldType::kReferenceTable:
	case FieldType::kGroup:
		return "it is not a record field";
	case FieldType::kCreator:
	case FieldType::kModifier:
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
		// An upsert may update: the rule of updates applies to each of its records.
		return kind == WriteKind::kUpdate || kind == WriteKind::kUpsert
		           ? "Kintone allows creator, modifier and their times only when a record is added"
		           : nullptr;
	default:
		return nullptr;
	}
}

const char *UnstorableReason(FieldType type, std::string_view text) noexcept {
	switch (type) {
	case FieldType::kNumber:
		return NumberReason(text);
	case FieldType::kTime:
		return TimeReason(text);
	default:
		return nullptr;
	}
}

bool NullLeftOut(FieldType type) {
	return IsPerson(type) || type == FieldType::kCreatedTime || type == FieldType::kUpdatedTime;
}

bool IsListField(FieldType type, ValueShape shape) {
	return IsListType(type) || (type == FieldType::kUnknown && shape != ValueShape::kText);
}

void AppendRecord(std::string &out, const std::vector<WriteField> &fields, const FieldValue *values, long long row) {
	out += '{';
	bool first = true;
	for (size_t i = 0; i < fields.size(); ++i) {
		if (values[i].omit) {
			continue;
		}
		size_t mark = out.size();
		if (!first) {
			out += ',';
		}
		AppendJsonString(out, fields[i].code);
		out += ":{\"value\":";
		bool appended;
		try {
			appended = AppendValue(out, fields[i], values[i]);
		} catch (Error &e) {
			e.set_detail("Row " + std::to_string(row) + " of the statement, column \"" + fields[i].column + "\".");
			throw;
		}
		if (appended) {
			out += '}';
			first = false;
		} else {
			out.resize(mark);
		}
	}
	out += '}';
}

std::string BuildRecord(const std::vector<WriteField> &fields, const FieldValue *values, long long row) {
	std::string out;
	AppendRecord(out, fields, values, row);
	return out;
}

std::string CallBody(WriteKind kind, long long app, const CallRows &rows) {
	std::string out = "{\"app\":" + std::to_string(app);
	size_t first = rows.first;
	size_t end = rows.first + rows.count;
	switch (kind) {
	case WriteKind::kInsert:
		out += ",\"records\":[";
		for (size_t i = first; i < end; ++i) {
			if (i > first) {
				out += ',';
			}
			out += (*rows.records)[i];
		}
		out += ']';
		break;
	case WriteKind::kUpdate:
		out += ",\"records\":[";
		for (size_t i = first; i < end; ++i) {
			out += i > first ? ",{\"id\":" : "{\"id\":";
			AppendJsonString(out, (*rows.ids)[i]);
			if ((*rows.revisions)[i] >= 0) {
				out += ",\"revision\":" + std::to_string((*rows.revisions)[i]);
			}
			out += ",\"record\":";
			out += (*rows.records)[i];
			out += '}';
		}
		out += ']';
		break;
	case WriteKind::kUpsert:
		// {"updateKey": {"field", "value"}, "record"}; the key field itself is not in the record
		// (Kintone takes the key's value from updateKey, as @kintone/cli sends it).
		out += ",\"upsert\":true,\"records\":[";
		for (size_t i = first; i < end; ++i) {
			out += i > first ? ",{\"updateKey\":{\"field\":" : "{\"updateKey\":{\"field\":";
			AppendJsonString(out, rows.update_key != nullptr ? *rows.update_key : std::string());
			out += ",\"value\":";
			AppendJsonString(out, (*rows.ids)[i]);
			out += "},\"record\":";
			out += (*rows.records)[i];
			out += '}';
		}
		out += ']';
		break;
	case WriteKind::kDelete: {
		bool any_revision = false;
		out += ",\"ids\":[";
		for (size_t i = first; i < end; ++i) {
			if (i > first) {
				out += ',';
			}
			AppendJsonString(out, (*rows.ids)[i]);
			any_revision |= (*rows.revisions)[i] >= 0;
		}
		out += ']';
		if (any_revision) { // a parallel array; -1 = no check for that record (contract §4.7)
			out += ",\"revisions\":[";
			for (size_t i = first; i < end; ++i) {
				long long rev = (*rows.revisions)[i];
				out += (i > first ? "," : "") + std::to_string(rev >= 0 ? rev : -1);
			}
			out += ']';
		}
		break;
	}
	}
	out += '}';
	return out;
}

void ReadCallAnswer(WriteKind kind, const Json &answer, const CallRows &rows, const std::string &request,
                    std::vector<WriteResult> *out) {
	if (!answer.is_object()) {
		BadAnswer("is not a JSON object", request);
	}
	size_t count = rows.count;
	switch (kind) {
	case WriteKind::kInsert: {
		auto ids = answer.find("ids");
		auto revisions = answer.find("revisions");
		if (ids == answer.end()) {
			BadAnswer("lacks \"ids\"", request);
		}
		if (revisions == answer.end()) {
			BadAnswer("lacks \"revisions\"", request);
		}
		if (!ids->is_array() || ids->size() != count) {
			BadAnswer("does not list one id per record in \"ids\"", request);
		}
		if (!revisions->is_array() || revisions->size() != count) {
			BadAnswer("does not list one revision per record in \"revisions\"", request);
		}
		for (size_t i = 0; i < count; ++i) {
			WriteResult r;
			if (!IdText((*ids)[i], &r.id)) {
				BadAnswer("has a malformed id at \"ids\"[" + std::to_string(i) + "]", request);
			}
			if (!IdText((*revisions)[i], &r.revision)) {
				BadAnswer("has a malformed revision at \"revisions\"[" + std::to_string(i) + "]", request);
			}
			out->push_back(std::move(r));
		}
		break;
	}
	case WriteKind::kUpdate:
	case WriteKind::kUpsert: {
		auto records = answer.find("records");
		if (records == answer.end()) {
			BadAnswer("lacks \"records\"", request);
		}
		if (!records->is_array() || records->size() != count) {
			BadAnswer("does not list one entry per record in \"records\"", request);
		}
		for (size_t i = 0; i < count; ++i) {
			const Json &item = (*records)[i];
			WriteResult r;
			std::string id;
			if (!item.is_object() || !item.contains("id") || !IdText(item["id"], &id)) {
				BadAnswer("has no id at \"records\"[" + std::to_string(i) + "]", request);
			}
			if (!item.contains("revision") || !IdText(item["revision"], &r.revision)) {
				BadAnswer("has no revision at \"records\"[" + std::to_string(i) + "]", request);
			}
			if (kind == WriteKind::kUpsert) {
				// The record Kintone updated or added: its id is in the answer only.
				auto op = item.find("operation");
				if (op == item.end() || !op->is_string() ||
				    (op->get_ref<const std::string &>() != "INSERT" &&
				     op->get_ref<const std::string &>() != "UPDATE")) {
					BadAnswer("has no \"operation\" (INSERT or UPDATE) at \"records\"[" + std::to_string(i) + "]",
					          request);
				}
				r.inserted = op->get_ref<const std::string &>() == "INSERT";
				r.id = std::move(id);
			} else {
				r.id = (*rows.ids)[rows.first + i];
			}
			out->push_back(std::move(r));
		}
		break;
	}
	case WriteKind::kDelete: // {} (contract §4.7)
		for (size_t i = 0; i < count; ++i) {
			out->push_back(WriteResult{(*rows.ids)[rows.first + i], ""});
		}
		break;
	}
}

const Json &BulkResults(const Json &answer, size_t calls, const std::string &request) {
	if (!answer.is_object()) {
		BadAnswer("is not a JSON object", request);
	}
	auto results = answer.find("results");
	if (results == answer.end()) {
		BadAnswer("lacks \"results\"", request);
	}
	if (!results->is_array() || results->size() != calls) {
		BadAnswer("does not list one result per call in \"results\"", request);
	}
	return *results;
}

std::string UpsertKeyIdentity(FieldType type, std::string_view text) {
	if (type != FieldType::kNumber) {
		return std::string(text);
	}
	// sign, significant digits without leading or trailing zeros, decimal exponent of the first.
	std::string_view s = Trim(text);
	bool negative = false;
	if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
		negative = s[0] == '-';
		s.remove_prefix(1);
	}
	std::string digits;
	long long point = 0; // digits before the point (of the significant ones, after leading zeros)
	bool seen_point = false;
	size_t i = 0;
	for (; i < s.size(); ++i) {
		char c = s[i];
		if (c == '.' && !seen_point) {
			seen_point = true;
		} else if (IsDigit(c)) {
			if (digits.empty() && c == '0') {
				if (seen_point) {
					--point;
				}
			} else {
				digits += c;
				if (!seen_point) {
					++point;
				}
			}
		} else {
			break;
		}
	}
	long long exponent = 0;
	if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
		size_t j = i + 1;
		bool exp_negative = false;
		if (j < s.size() && (s[j] == '+' || s[j] == '-')) {
			exp_negative = s[j] == '-';
			++j;
		}
		size_t start = j;
		for (; j < s.size() && IsDigit(s[j]); ++j) {
			if (exponent < 1000000000LL) {
				exponent = exponent * 10 + (s[j] - '0');
			}
		}
		if (j > start) {
			i = j;
			exponent = exp_negative ? -exponent : exponent;
		}
	}
	if (i != s.size()) {
		return std::string(text); // not a number: Kintone refuses it; compared as text
	}
	while (!digits.empty() && digits.back() == '0') {
		digits.pop_back();
	}
	if (digits.empty()) {
		return "0";
	}
	return (negative ? "-0." : "0.") + digits + "e" + std::to_string(point + exponent);
}

long long UpsertKeySet::Add(std::string_view key, long long row) {
	auto [it, inserted] = rows_.emplace(UpsertKeyIdentity(type_, key), row);
	return inserted ? 0 : it->second;
}

void AppendJsonString(std::string &out, std::string_view s) {
	static const char kHex[] = "0123456789abcdef";
	out += '"';
	size_t start = 0;
	for (size_t i = 0; i < s.size(); ++i) {
		unsigned char c = static_cast<unsigned char>(s[i]);
		if (c >= 0x20 && c != '"' && c != '\\') {
			continue;
		}
		out.append(s.data() + start, i - start);
		start = i + 1;
		switch (c) {
		case '"':
			out += "\\\"";
			break;
		case '\\':
			out += "\\\\";
			break;
		case '\n':
			out += "\\n";
			break;
		case '\r':
			out += "\\r";
			break;
		case '\t':
			out += "\\t";
			break;
		default:
			out += "\\u00";
			out += kHex[c >> 4];
			out += kHex[c & 15];
		}
	}
	out.append(s.data() + start, s.size() - start);
	out += '"';
}

} // namespace kintone
