// Record pages -> text cells with simdjson's On-Demand API (see record_reader.hpp).
//
// One pass over the page: the body is copied into a padded buffer that is reused across
// pages (simdjson reads up to SIMDJSON_PADDING bytes past the end), every record object's
// fields are walked once in document order, and each key is mapped to the requested columns
// through a per-position hint (Kintone sends the fields of every record in the same order,
// so after the first record a key is recognised by one comparison) with a hash map as the
// fallback. Cells are views into the input buffer (numbers, raw JSON) or into the parser's
// string buffer (unescaped strings); both stay valid until the next Parse.
#include "kintone/record_reader.hpp"

#include "kintone/error.hpp"

#include <nlohmann/json.hpp>
#include <simdjson.h>

#include <cstring>
#include <deque>
#include <unordered_map>

namespace kintone {

namespace ondemand = simdjson::ondemand;
using Shape = ColumnRequest::Shape;

namespace {

constexpr const char *kMalformed = "Kintone returned a malformed records page";

std::string_view TrimTrailingSpace(std::string_view text) {
	while (!text.empty() && (text.back() == ' ' || text.back() == '\n' || text.back() == '\r' || text.back() == '\t')) {
		text.remove_suffix(1);
	}
	return text;
}

// The raw JSON text of any value, a view into the input buffer. Consumes the value.
std::string_view RawJson(ondemand::value &value) {
	switch (value.type()) {
	case ondemand::json_type::object: {
		ondemand::object obj = value.get_object();
		return obj.raw_json();
	}
	case ondemand::json_type::array: {
		ondemand::array arr = value.get_array();
		return arr.raw_json();
	}
	default:
		return TrimTrailingSpace(value.raw_json_token());
	}
}

// The "code" member of {"code": …, "name": …} (users, organizations, groups). false when the
// object has no string "code".
bool CodeOf(ondemand::value &value, std::string_view *out) {
	ondemand::object obj = value.get_object();
	for (ondemand::field field : obj) {
		if (field.key() == "code") {
			ondemand::value code = field.value();
			if (code.type() == ondemand::json_type::string) {
				*out = code.get_string();
				return true;
			}
			return false;
		}
	}
	return false;
}

// Whether raw JSON text holds the escape \u0000 (U+0000), not merely the text "\\u0000".
bool HasEscapedNul(std::string_view raw) {
	static constexpr std::string_view kEscape = "\\u0000";
	for (size_t at = raw.find(kEscape); at != std::string_view::npos; at = raw.find(kEscape, at + 1)) {
		size_t backslashes = 0;
		while (at > backslashes && raw[at - backslashes - 1] == '\\') {
			++backslashes;
		}
		if (backslashes % 2 == 0) {
			return true;
		}
	}
	return false;
}

// The JSON kind a field type's "value" has (contract §6.1): a scalar (Kintone sends strings;
// a bare number or boolean is read as its text), an array, or a {"code"} object; kAny for
// types kintone_fdw does not know (read as they come).
enum class Kind { kAny, kString, kArray, kUserObject };

Kind KindOfType(std::string_view type) {
	static constexpr std::string_view kArrays[] = {
	    "CHECK_BOX",    "MULTI_SELECT",    "CATEGORY", "USER_SELECT", "ORGANIZATION_SELECT",
	    "GROUP_SELECT", "STATUS_ASSIGNEE", "FILE",     "SUBTABLE"};
	static constexpr std::string_view kStrings[] = {"SINGLE_LINE_TEXT",
	                                                "MULTI_LINE_TEXT",
	                                                "RICH_TEXT",
	                                                "NUMBER",
	                                                "CALC",
	                                                "RADIO_BUTTON",
	                                                "DROP_DOWN",
	                                                "DATE",
	                                                "TIME",
	                                                "DATETIME",
	                                                "LINK",
	                                                "RECORD_NUMBER",
	                                                "CREATED_TIME",
	                                                "UPDATED_TIME",
	                                                "STATUS",
	                                                "__ID__",
	                                                "__REVISION__"};
	for (auto t : kArrays) {
		if (type == t) {
			return Kind::kArray;
		}
	}
	for (auto t : kStrings) {
		if (type == t) {
			return Kind::kString;
		}
	}
	if (type == "CREATOR" || type == "MODIFIER") {
		return Kind::kUserObject;
	}
	return Kind::kAny;
}

bool KindMatches(Kind kind, ondemand::json_type type) {
	switch (kind) {
	case Kind::kAny:
		return true;
	case Kind::kString: // a bare number or boolean reads as its JSON text
		return type != ondemand::json_type::object && type != ondemand::json_type::array;
	case Kind::kArray:
		return type == ondemand::json_type::array || type == ondemand::json_type::null;
	case Kind::kUserObject:
		return type == ondemand::json_type::object || type == ondemand::json_type::null;
	}
	return true;
}

const char *JsonTypeName(ondemand::json_type type) {
	switch (type) {
	case ondemand::json_type::array:
		return "an array";
	case ondemand::json_type::object:
		return "an object";
	case ondemand::json_type::number:
		return "a number";
	case ondemand::json_type::string:
		return "a string";
	case ondemand::json_type::boolean:
		return "a boolean";
	case ondemand::json_type::null:
		return "null";
	}
	return "a value";
}

int64_t ParseId(std::string_view text) {
	if (text.size() >= 2 && text.front() == '"' && text.back() == '"') {
		text = text.substr(1, text.size() - 2);
	}
	if (text.empty() || text.size() > 18) {
		return -1;
	}
	int64_t n = 0;
	for (char c : text) {
		if (c < '0' || c > '9') {
			return -1;
		}
		n = n * 10 + (c - '0');
	}
	return n;
}

} // namespace

struct RecordReader::Impl {
	// The columns that read one field code. Several columns may read the same field.
	struct Group {
		std::string code;
		std::vector<size_t> columns;
		bool mixed = false; // the columns want different shapes
		std::string type;   // the raw "type" last seen for this field, and the kind it implies
		Kind kind = Kind::kAny;
	};
	// What the key at a position of the previous record mapped to.
	struct Hint {
		int group = -1;  // -1: not requested
		std::string key; // the key, when group == -1 (an unrequested field)
		bool valid = false;
		bool fast = false; // the expected key has no quote or backslash
	};

	ondemand::parser parser;
	std::unique_ptr<char[]> buffer;
	size_t capacity = 0;
	std::vector<Group> groups;
	std::unordered_map<std::string_view, int> by_code; // views into groups[].code
	std::vector<Hint> hints;
	int id_column = -1;
	// Text for the rare cells that cannot be views (a field read with several shapes).
	std::deque<std::string> scratch;

	int Lookup(std::string_view key) const {
		auto it = by_code.find(key);
		return it == by_code.end() ? -1 : it->second;
	}

	// The group of the field whose raw (still escaped) key starts at raw, between its quotes.
	// The fast path compares the raw key with what this position held in the previous record,
	// which is exact when the expected key has no quote or backslash: then a byte-equal prefix
	// followed by a quote is an unescaped, identical key.
	int GroupFor(size_t position, const char *raw, const char *limit, ondemand::field &field) {
		if (position >= hints.size()) {
			hints.resize(position + 1);
		}
		Hint &hint = hints[position];
		if (hint.valid && hint.fast) {
			const std::string &expected = hint.group >= 0 ? groups[hint.group].code : hint.key;
			size_t n = expected.size();
			if (n < static_cast<size_t>(limit - raw) && raw[n] == '"' && std::memcmp(raw, expected.data(), n) == 0) {
				return hint.group;
			}
		}
		const char *p = raw;
		while (p < limit && *p != '"' && *p != '\\') {
			++p;
		}
		std::string_view key(raw, static_cast<size_t>(p - raw));
		if (p >= limit || *p == '\\') {
			key = field.unescaped_key(); // rare: an escape in a key
		}
		hint.group = Lookup(key);
		hint.valid = true;
		if (hint.group < 0) {
			hint.key.assign(key.data(), key.size());
		} else {
			hint.key.clear();
		}
		hint.fast = Plain(hint.group >= 0 ? std::string_view(groups[hint.group].code) : std::string_view(hint.key));
		return hint.group;
	}

	static bool Plain(std::string_view key) { return key.find_first_of("\\\"") == std::string_view::npos; }
};

RecordReader::RecordReader(std::vector<ColumnRequest> columns) : impl_(new Impl), columns_(std::move(columns)) {
	for (size_t i = 0; i < columns_.size(); ++i) {
		const auto &column = columns_[i];
		if (column.field_code == "$id" && impl_->id_column < 0) {
			impl_->id_column = static_cast<int>(i);
		}
		bool found = false;
		for (auto &group : impl_->groups) {
			if (group.code == column.field_code) {
				if (columns_[group.columns.front()].shape != column.shape) {
					group.mixed = true;
				}
				group.columns.push_back(i);
				found = true;
				break;
			}
		}
		if (!found) {
			impl_->groups.push_back({column.field_code, {i}, false, {}, Kind::kAny});
		}
	}
	for (size_t g = 0; g < impl_->groups.size(); ++g) {
		impl_->by_code.emplace(impl_->groups[g].code, static_cast<int>(g));
	}
}

RecordReader::~RecordReader() = default;

namespace {

// What Decode checks strings against.
struct Checks {
	bool may_have_nul = false; // the page holds the escape \u0000 somewhere
	const std::string *field = nullptr;
};

[[noreturn]] void Malformed(const Checks &checks, const std::string &what) {
	throw Error(ErrorKind::kProtocol, kMalformed, "field \"" + *checks.field + "\": " + what);
}

std::string_view Checked(std::string_view text, const Checks &checks) {
	if (checks.may_have_nul && std::memchr(text.data(), 0, text.size()) != nullptr) {
		Malformed(checks, "a string holds the character U+0000, which no PostgreSQL text can");
	}
	return text;
}

std::string_view CheckedRaw(std::string_view raw, const Checks &checks) {
	if (checks.may_have_nul && HasEscapedNul(raw)) {
		Malformed(checks, "a string holds the character U+0000, which no PostgreSQL text can");
	}
	return raw;
}

// The code of a {"code": …} object, or a protocol error.
std::string_view CodeOrFail(ondemand::value &value, const Checks &checks) {
	std::string_view code;
	if (!CodeOf(value, &code)) {
		Malformed(checks, "an object without a string \"code\" where a user, organization or group was expected");
	}
	return Checked(code, checks);
}

// A protocol error unless a value of JSON kind `type` fits a field of Kintone type `type_raw`;
// the kind of the field's type is cached in its group.
template <typename Group>
void CheckKind(Group &group, std::string_view type_raw, ondemand::json_type type, const Checks &checks) {
	if (type_raw != group.type) {
		group.type.assign(type_raw.data(), type_raw.size());
		group.kind = KindOfType(type_raw);
	}
	if (!KindMatches(group.kind, type)) {
		Malformed(checks, "a " + group.type + " value is " + JsonTypeName(type));
	}
}

// Fills one cell from a field's "value" (consumes it).
void Decode(ondemand::value &value, Shape shape, Cell &cell, std::vector<std::string_view> &elements,
            const Checks &checks) {
	ondemand::json_type type = value.type();
	if (type == ondemand::json_type::null) {
		return; // NULL for every shape
	}
	switch (shape) {
	case Shape::kScalar:
		switch (type) {
		case ondemand::json_type::string: {
			std::string_view text = Checked(value.get_string(), checks);
			if (!text.empty()) {
				cell.is_null = false;
				cell.text = text;
			}
			return;
		}
		case ondemand::json_type::object: {
			std::string_view code = CodeOrFail(value, checks);
			if (!code.empty()) {
				cell.is_null = false;
				cell.text = code;
			}
			return;
		}
		default: // number, boolean, and an array read as text: its JSON
			cell.is_null = false;
			cell.text = CheckedRaw(RawJson(value), checks);
			return;
		}
	case Shape::kStringArray: {
		cell.is_null = false;
		cell.first_element = elements.size();
		auto add = [&elements, &checks](ondemand::value &item) {
			switch (item.type()) {
			case ondemand::json_type::string:
				elements.push_back(Checked(item.get_string(), checks));
				break;
			case ondemand::json_type::object:
				elements.push_back(CodeOrFail(item, checks));
				break;
			case ondemand::json_type::null:
				elements.emplace_back();
				break;
			default:
				elements.push_back(CheckedRaw(RawJson(item), checks));
				break;
			}
		};
		if (type == ondemand::json_type::array) {
			for (ondemand::value item : value.get_array()) {
				add(item);
			}
		} else {
			add(value); // a single value where a list was expected: a one-element list
		}
		cell.element_count = elements.size() - cell.first_element;
		return;
	}
	case Shape::kJson:
		cell.is_null = false;
		cell.text = CheckedRaw(RawJson(value), checks);
		return;
	}
}

// The slow path for a field read by columns of different shapes: the raw JSON is decoded again
// with nlohmann::json and the texts are kept in scratch.
void DecodeFromJson(std::string_view raw, Shape shape, Cell &cell, std::vector<std::string_view> &elements,
                    std::deque<std::string> &scratch, const Checks &checks) {
	nlohmann::json value = nlohmann::json::parse(raw.begin(), raw.end(), nullptr, false);
	if (value.is_discarded() || value.is_null()) {
		return;
	}
	auto keep = [&scratch](std::string text) -> std::string_view {
		scratch.push_back(std::move(text));
		return scratch.back();
	};
	auto text_of = [&](const nlohmann::json &item) -> std::string_view {
		if (item.is_string()) {
			return keep(item.get<std::string>());
		}
		if (item.is_object()) {
			auto code = item.find("code");
			if (code == item.end() || !code->is_string()) {
				Malformed(checks, "an object without a string \"code\" where a user, organization or group was "
				                  "expected");
			}
			return keep(code->get<std::string>());
		}
		if (item.is_null()) {
			return {};
		}
		return keep(item.dump());
	};
	switch (shape) {
	case Shape::kScalar: {
		std::string_view text = text_of(value);
		if (!text.empty()) {
			cell.is_null = false;
			cell.text = text;
		}
		return;
	}
	case Shape::kStringArray:
		cell.is_null = false;
		cell.first_element = elements.size();
		if (value.is_array()) {
			for (const auto &item : value) {
				elements.push_back(text_of(item));
			}
		} else {
			elements.push_back(text_of(value));
		}
		cell.element_count = elements.size() - cell.first_element;
		return;
	case Shape::kJson:
		cell.is_null = false;
		cell.text = raw;
		return;
	}
}

} // namespace

void RecordReader::Parse(std::string_view body) {
	Load(body);
	ParseLoaded();
}

void RecordReader::Load(std::string_view body) {
	Impl &impl = *impl_;
	size_t needed = body.size() + simdjson::SIMDJSON_PADDING;
	if (needed > impl.capacity) {
		size_t capacity = std::max(needed, impl.capacity + impl.capacity / 2);
		impl.buffer.reset(new char[capacity]);
		impl.capacity = capacity;
	}
	std::memcpy(impl.buffer.get(), body.data(), body.size());
	std::memset(impl.buffer.get() + body.size(), 0, simdjson::SIMDJSON_PADDING);
	loaded_size_ = body.size();
}

std::string_view RecordReader::loaded() const {
	return std::string_view(impl_->buffer.get(), loaded_size_);
}

template <class Object, class ChecksT>
void RecordReader::ParseFields(Object &record, size_t base, const char *limit, ChecksT &checks) {
	Impl &impl = *impl_;
	size_t position = 0;
	for (ondemand::field field : record) {
		int g = impl.GroupFor(position++, field.key().raw(), limit, field);
		if (g < 0) {
			continue; // not requested: On-Demand skips the value
		}
		Impl::Group &group = impl.groups[g];
		checks.field = &group.code;
		for (size_t column : group.columns) {
			present_[column] = 1;
		}
		ondemand::value wrapper = field.value();
		if (wrapper.type() != ondemand::json_type::object) {
			throw Error(ErrorKind::kProtocol, kMalformed,
			            "field \"" + group.code + "\" is not a {\"type\", \"value\"} object");
		}
		ondemand::object wrapper_obj = wrapper.get_object();
		// Kintone sends "type" before "value"; either order is read.
		std::string_view type_raw;
		bool has_type = false;
		bool has_value = false;
		ondemand::json_type value_type = ondemand::json_type::null;
		for (ondemand::field member : wrapper_obj) {
			ondemand::raw_json_string key = member.key();
			if (key == "type") {
				ondemand::value type = member.value();
				if (type.type() == ondemand::json_type::string) {
					// Type names have no escapes: the raw text up to the quote is the
					// name (one with an escape reads as an unknown type).
					const char *t = type.get_raw_json_string().raw();
					const char *end = t;
					while (end < limit && *end != '"' && *end != '\\') {
						++end;
					}
					type_raw = std::string_view(t, static_cast<size_t>(end - t));
					has_type = true;
				}
				continue;
			}
			if (!(key == "value") || has_value) {
				continue;
			}
			has_value = true;
			ondemand::value value = member.value();
			value_type = value.type();
			if (has_type) { // Kintone sends "type" first: checked before the value is read
				CheckKind(group, type_raw, value_type, checks);
			}
			Cell *row = &cells_[base];
			if (!group.mixed) {
				Decode(value, columns_[group.columns.front()].shape, row[group.columns.front()], elements_, checks);
				for (size_t k = 1; k < group.columns.size(); ++k) {
					row[group.columns[k]] = row[group.columns.front()];
				}
			} else {
				std::string_view raw_value = CheckedRaw(RawJson(value), checks);
				for (size_t column : group.columns) {
					DecodeFromJson(raw_value, columns_[column].shape, row[column], elements_, impl.scratch, checks);
				}
			}
		}
		if (has_type && has_value) { // "type" came after "value"
			CheckKind(group, type_raw, value_type, checks);
		}
	}
}

void RecordReader::ParseLoaded() {
	Impl &impl = *impl_;
	const size_t ncols = columns_.size();
	Reset();
	std::string_view body(impl.buffer.get(), loaded_size_);
	Checks checks;
	// U+0000 can only come as the escape \u0000: one look at the page spares every string the
	// check when it is absent (always, in practice).
	checks.may_have_nul = memmem(body.data(), body.size(), "\\u0000", 6) != nullptr;
	long long previous_id = id_floor_;
	bool has_records = false;

	// Raw keys are scanned up to the end of the padding at most (a valid document ends them sooner).
	const char *limit = impl.buffer.get() + body.size() + simdjson::SIMDJSON_PADDING;
	try {
		ondemand::document doc =
		    impl.parser.iterate(simdjson::padded_string_view(impl.buffer.get(), body.size(), impl.capacity));
		ondemand::object page = doc.get_object();
		for (ondemand::field page_field : page) {
			if (page_field.key() == "records") {
				has_records = true;
				ondemand::array records = page_field.value().get_array();
				for (ondemand::value record_value : records) {
					if (record_value.type() != ondemand::json_type::object) {
						throw Error(ErrorKind::kProtocol, kMalformed, "a record is not a JSON object");
					}
					ondemand::object record = record_value.get_object();
					size_t base = cells_.size();
					cells_.resize(base + ncols);
					ParseFields(record, base, limit, checks);
					++rows_;
					if (impl.id_column >= 0) {
						const Cell &id = cells_[base + static_cast<size_t>(impl.id_column)];
						long long n = id.is_null ? -1 : ParseId(id.text);
						if (n < 0) {
							throw Error(ErrorKind::kProtocol, kMalformed,
							            id.is_null ? "a record without \"$id\""
							                       : "\"$id\" \"" + std::string(id.text.substr(0, 40)) +
							                             "\" is not a record id");
						}
						if (id_floor_ >= 0 && n <= previous_id) {
							throw Error(ErrorKind::kProtocol, kMalformed,
							            "records out of $id order: $id " + std::to_string(n) + " after " +
							                std::to_string(previous_id) +
							                " (a seek page must hold only larger ids, in increasing order)");
						}
						previous_id = n;
					}
				}
			} else if (page_field.key() == "totalCount") {
				ondemand::value total = page_field.value();
				switch (total.type()) {
				case ondemand::json_type::null:
					break;
				case ondemand::json_type::number: {
					int64_t n = total.get_int64();
					if (n < 0) {
						throw Error(ErrorKind::kProtocol, kMalformed, "\"totalCount\" is negative");
					}
					total_count_ = n;
					break;
				}
				case ondemand::json_type::string: {
					int64_t n = ParseId(total.get_string());
					if (n < 0) {
						throw Error(ErrorKind::kProtocol, kMalformed, "\"totalCount\" is not a count");
					}
					total_count_ = n;
					break;
				}
				default:
					throw Error(ErrorKind::kProtocol, kMalformed, "\"totalCount\" is not a count");
				}
			} else if (page_field.key() == "next") {
				next_ = page_field.value().get_bool();
			}
		}
		if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
			throw Error(ErrorKind::kProtocol, kMalformed, "trailing content after the JSON document");
		}
		if (!has_records) {
			throw Error(ErrorKind::kProtocol, kMalformed, "the answer has no \"records\"");
		}
	} catch (const simdjson::simdjson_error &e) {
		cells_.clear();
		elements_.clear();
		rows_ = 0;
		throw Error(ErrorKind::kProtocol, kMalformed, std::string("simdjson: ") + e.what());
	} catch (const Error &) {
		cells_.clear();
		elements_.clear();
		rows_ = 0;
		throw;
	}
	SetLastId();
}

// Counts the records of a records.json page and finds the last one's "$id" without parsing:
// "$id" is the only key of that name, and a string value cannot contain an unescaped quote, so
// every unescaped `"$id":` starts a record's $id member. Used only as a hint: the caller checks
// it against the real parse.
bool PeekSeekPage(std::string_view body, size_t *count, long long *last_id) {
	static constexpr std::string_view kKey = "\"$id\":";
	*count = 0;
	*last_id = -1;
	size_t last = std::string_view::npos;
	// memmem, not string_view::find: find scans for the first byte, '"', which JSON is full of.
	const char *begin = body.data();
	const char *stop = begin + body.size();
	for (const char *p = begin; p < stop;) {
		const void *hit = memmem(p, static_cast<size_t>(stop - p), kKey.data(), kKey.size());
		if (hit == nullptr) {
			break;
		}
		size_t pos = static_cast<size_t>(static_cast<const char *>(hit) - begin);
		p = static_cast<const char *>(hit) + kKey.size();
		if (pos > 0 && body[pos - 1] == '\\') {
			continue;
		}
		++*count;
		last = pos;
	}
	if (last == std::string_view::npos) {
		return *count == 0;
	}
	size_t end = body.find('}', last);
	size_t value = body.find("\"value\":\"", last);
	if (value == std::string_view::npos || end == std::string_view::npos || value > end) {
		return false;
	}
	long long id = 0;
	size_t i = value + 9;
	if (i >= body.size() || body[i] < '0' || body[i] > '9') {
		return false;
	}
	size_t digits = 0;
	for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) {
		if (++digits > 18) {
			return false; // not a record id (the real parse says so); no overflow (found by fuzzing)
		}
		id = id * 10 + (body[i] - '0');
	}
	if (i >= body.size() || body[i] != '"') {
		return false;
	}
	*last_id = id;
	return true;
}

void RecordReader::Reset() {
	cells_.clear();
	elements_.clear();
	impl_->scratch.clear();
	present_.assign(columns_.size(), 0);
	rows_ = 0;
	last_id_ = -1;
	total_count_.reset();
	next_.reset();
}

void RecordReader::ParseRows(std::string_view rows_json, std::string_view parent_id) {
	Impl &impl = *impl_;
	if (TrimTrailingSpace(rows_json).empty()) {
		Reset(); // no value (a NULL cell): no row
		return;
	}
	Load(rows_json);
	const size_t ncols = columns_.size();
	Reset();
	std::string_view body(impl.buffer.get(), loaded_size_);
	const char *limit = impl.buffer.get() + body.size() + simdjson::SIMDJSON_PADDING;
	Checks checks;
	checks.may_have_nul = memmem(body.data(), body.size(), "\\u0000", 6) != nullptr;
	impl.scratch.emplace_back(parent_id);
	std::string_view parent = impl.scratch.back();
	// The pseudo columns: filled per row, not from the row's fields.
	std::vector<size_t> parent_columns, id_columns, index_columns;
	for (size_t i = 0; i < ncols; ++i) {
		const std::string &code = columns_[i].field_code;
		if (code == "$id") {
			parent_columns.push_back(i);
		} else if (code == "$row_id") {
			id_columns.push_back(i);
		} else if (code == "$row_index") {
			index_columns.push_back(i);
		}
	}
	auto bad = [](const std::string &why) {
		return Error(ErrorKind::kProtocol, "Kintone returned a malformed subtable value", why);
	};
	try {
		ondemand::document doc =
		    impl.parser.iterate(simdjson::padded_string_view(impl.buffer.get(), body.size(), impl.capacity));
		ondemand::json_type type = doc.type();
		if (type == ondemand::json_type::array) {
			for (ondemand::value row_value : doc.get_array()) {
				if (row_value.type() != ondemand::json_type::object) {
					throw bad("a row is not a JSON object");
				}
				size_t base = cells_.size();
				cells_.resize(base + ncols);
				bool has_id = false;
				for (ondemand::field field : row_value.get_object()) {
					std::string_view key = field.unescaped_key();
					if (key == "id") {
						ondemand::value id = field.value();
						std::string_view text;
						if (id.type() == ondemand::json_type::string) {
							text = id.get_string();
						} else if (id.type() == ondemand::json_type::number) {
							text = TrimTrailingSpace(id.raw_json_token());
						} else {
							throw bad("a row's \"id\" is not a string or a number");
						}
						if (ParseId(text) < 0) {
							throw bad("a row's \"id\" is not a row id");
						}
						has_id = true;
						for (size_t c : id_columns) {
							cells_[base + c].is_null = false;
							cells_[base + c].text = text;
							present_[c] = 1;
						}
					} else if (key == "value") {
						ondemand::value value = field.value();
						if (value.type() != ondemand::json_type::object) {
							throw bad("a row's \"value\" is not a JSON object");
						}
						ondemand::object inner = value.get_object();
						ParseFields(inner, base, limit, checks);
					}
				}
				if (!has_id) {
					throw bad("a row has no \"id\"");
				}
				++rows_;
				impl.scratch.push_back(std::to_string(rows_));
				for (size_t c : index_columns) {
					cells_[base + c].is_null = false;
					cells_[base + c].text = impl.scratch.back();
					present_[c] = 1;
				}
				for (size_t c : parent_columns) {
					cells_[base + c].is_null = parent.empty();
					cells_[base + c].text = parent;
					present_[c] = 1;
				}
			}
		} else if (type == ondemand::json_type::string) {
			if (!doc.get_string().value().empty()) {
				throw bad("the value is a string");
			}
		} else if (type == ondemand::json_type::null) {
			(void)doc.is_null();
		} else {
			throw bad("the value is not a JSON array");
		}
		if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
			throw bad("trailing content after the JSON value");
		}
	} catch (const simdjson::simdjson_error &e) {
		Reset();
		throw bad(std::string("simdjson: ") + e.what());
	} catch (const Error &) {
		Reset();
		throw;
	}
}

void RecordReader::SetLastId() {
	last_id_ = -1;
	first_id_ = -1;
	int column = impl_->id_column;
	if (column >= 0 && rows_ > 0) {
		const Cell &c = cell(rows_ - 1, static_cast<size_t>(column));
		if (!c.is_null) {
			last_id_ = ParseId(c.text);
		}
		const Cell &first = cell(0, static_cast<size_t>(column));
		if (!first.is_null) {
			first_id_ = ParseId(first.text);
		}
	}
}

void RecordReader::Truncate(size_t rows) {
	if (rows < rows_) {
		rows_ = rows;
		cells_.resize(rows_ * columns_.size());
		SetLastId();
	}
}

} // namespace kintone
