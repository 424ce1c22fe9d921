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

// The "code" member of {"code": …, "name": …} (users, organizations, groups); null if absent.
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
			impl_->groups.push_back({column.field_code, {i}, false});
		}
	}
	for (size_t g = 0; g < impl_->groups.size(); ++g) {
		impl_->by_code.emplace(impl_->groups[g].code, static_cast<int>(g));
	}
}

RecordReader::~RecordReader() = default;

namespace {

// Fills one cell from a field's "value" (consumes it).
void Decode(ondemand::value &value, Shape shape, Cell &cell, std::vector<std::string_view> &elements) {
	ondemand::json_type type = value.type();
	if (type == ondemand::json_type::null) {
		return; // NULL for every shape
	}
	switch (shape) {
	case Shape::kScalar:
		switch (type) {
		case ondemand::json_type::string: {
			std::string_view text = value.get_string();
			if (!text.empty()) {
				cell.is_null = false;
				cell.text = text;
			}
			return;
		}
		case ondemand::json_type::object: {
			std::string_view code;
			if (CodeOf(value, &code) && !code.empty()) {
				cell.is_null = false;
				cell.text = code;
			}
			return;
		}
		default: // number, boolean, and an array read as text: its JSON
			cell.is_null = false;
			cell.text = RawJson(value);
			return;
		}
	case Shape::kStringArray: {
		cell.is_null = false;
		cell.first_element = elements.size();
		auto add = [&elements](ondemand::value &item) {
			switch (item.type()) {
			case ondemand::json_type::string:
				elements.push_back(item.get_string());
				break;
			case ondemand::json_type::object: {
				std::string_view code;
				elements.push_back(CodeOf(item, &code) ? code : std::string_view());
				break;
			}
			case ondemand::json_type::null:
				elements.emplace_back();
				break;
			default:
				elements.push_back(RawJson(item));
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
		cell.text = RawJson(value);
		return;
	}
}

// The slow path for a field read by columns of different shapes: the raw JSON is decoded again
// with nlohmann::json and the texts are kept in scratch.
void DecodeFromJson(std::string_view raw, Shape shape, Cell &cell, std::vector<std::string_view> &elements,
                    std::deque<std::string> &scratch) {
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
			return code != item.end() && code->is_string() ? keep(code->get<std::string>()) : std::string_view();
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

void RecordReader::ParseLoaded() {
	Impl &impl = *impl_;
	const size_t ncols = columns_.size();
	cells_.clear();
	elements_.clear();
	impl.scratch.clear();
	present_.assign(ncols, 0);
	rows_ = 0;
	last_id_ = -1;
	total_count_.reset();
	next_.reset();
	std::string_view body(impl.buffer.get(), loaded_size_);

	// Raw keys are scanned up to the end of the padding at most (a valid document ends them sooner).
	const char *limit = impl.buffer.get() + body.size() + simdjson::SIMDJSON_PADDING;
	try {
		ondemand::document doc =
		    impl.parser.iterate(simdjson::padded_string_view(impl.buffer.get(), body.size(), impl.capacity));
		ondemand::object page = doc.get_object();
		for (ondemand::field page_field : page) {
			if (page_field.key() == "records") {
				ondemand::array records = page_field.value().get_array();
				for (ondemand::value record_value : records) {
					if (record_value.type() != ondemand::json_type::object) {
						throw Error(ErrorKind::kProtocol, kMalformed, "a record is not a JSON object");
					}
					ondemand::object record = record_value.get_object();
					size_t base = cells_.size();
					cells_.resize(base + ncols);
					size_t position = 0;
					for (ondemand::field field : record) {
						int g = impl.GroupFor(position++, field.key().raw(), limit, field);
						if (g < 0) {
							continue; // not requested: On-Demand skips the value
						}
						const Impl::Group &group = impl.groups[g];
						for (size_t column : group.columns) {
							present_[column] = 1;
						}
						ondemand::value wrapper = field.value();
						if (wrapper.type() != ondemand::json_type::object) {
							throw Error(ErrorKind::kProtocol, kMalformed,
							            "field \"" + group.code + "\" is not a {\"type\", \"value\"} object");
						}
						ondemand::object wrapper_obj = wrapper.get_object();
						auto found = wrapper_obj.find_field_unordered("value");
						if (found.error() == simdjson::NO_SUCH_FIELD) {
							continue; // NULL
						}
						ondemand::value value = std::move(found).value();
						Cell *row = &cells_[base];
						if (!group.mixed) {
							Decode(value, columns_[group.columns.front()].shape, row[group.columns.front()], elements_);
							for (size_t k = 1; k < group.columns.size(); ++k) {
								row[group.columns[k]] = row[group.columns.front()];
							}
						} else {
							std::string_view raw_value = RawJson(value);
							for (size_t column : group.columns) {
								DecodeFromJson(raw_value, columns_[column].shape, row[column], elements_, impl.scratch);
							}
						}
					}
					++rows_;
				}
			} else if (page_field.key() == "totalCount") {
				ondemand::value total = page_field.value();
				switch (total.type()) {
				case ondemand::json_type::null:
					break;
				case ondemand::json_type::number:
					total_count_ = total.get_int64();
					break;
				case ondemand::json_type::string: {
					int64_t n = ParseId(total.get_string());
					if (n < 0) {
						throw Error(ErrorKind::kProtocol, kMalformed, "\"totalCount\" is not a number");
					}
					total_count_ = n;
					break;
				}
				default:
					throw Error(ErrorKind::kProtocol, kMalformed, "\"totalCount\" is not a number");
				}
			} else if (page_field.key() == "next") {
				next_ = page_field.value().get_bool();
			}
		}
		if (doc.current_location().error() != simdjson::OUT_OF_BOUNDS) {
			throw Error(ErrorKind::kProtocol, kMalformed, "trailing content after the JSON document");
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

void RecordReader::SetLastId() {
	last_id_ = -1;
	int column = impl_->id_column;
	if (column >= 0 && rows_ > 0) {
		const Cell &c = cell(rows_ - 1, static_cast<size_t>(column));
		if (!c.is_null) {
			last_id_ = ParseId(c.text);
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
