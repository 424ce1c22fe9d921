// Streams one page of records (records.json or records/cursor.json GET) into a batch of
// text cells, one per requested column, with simdjson. This is the scan's hot path: the page
// body is copied once into a reused padded buffer, values are views into that buffer or into
// the parser's string buffer, and nothing is allocated per cell.
//
// Every page is checked before it becomes rows (docs/faults.md, "Validation"): a JSON object
// with a "records" array of objects; each requested field a {"type", "value"} object whose
// value has the JSON kind its type promises (an object only for CREATOR/MODIFIER, with a
// string "code"; an array only for the list types; a string otherwise); no string with U+0000;
// every "$id" a record id (1 to 18 digits), strictly increasing past a floor when the caller
// asks (seek pages); "totalCount" a count >= 0; "next" a boolean. Anything else throws
// kProtocol.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

struct ColumnRequest {
	std::string field_code; // "$id", "$revision", a top-level field code
	enum class Shape {
		// The value as text: a JSON string as-is (unescaped); a number or boolean as its JSON
		// text; an object with "code" (CREATOR, MODIFIER) as its code. JSON null and "" are NULL.
		kScalar,
		// An array of strings (CHECK_BOX, MULTI_SELECT, CATEGORY) element by element; an array of
		// objects with "code" (USER_SELECT, ORGANIZATION_SELECT, GROUP_SELECT, STATUS_ASSIGNEE)
		// as their codes. An empty array is an empty (non-NULL) array; JSON null is NULL.
		kStringArray,
		// The raw JSON text of "value" (for jsonb columns): any field, including SUBTABLE and FILE.
		kJson,
	} shape = Shape::kScalar;
};

struct Cell {
	bool is_null = true;
	std::string_view text;    // kScalar and kJson
	size_t first_element = 0; // kStringArray: index into RecordReader::element()
	size_t element_count = 0; // kStringArray
};

class RecordReader {
public:
	explicit RecordReader(std::vector<ColumnRequest> columns);
	~RecordReader();
	RecordReader(const RecordReader &) = delete;
	RecordReader &operator=(const RecordReader &) = delete;

	// Parses a page: {"records":[{code:{"type","value"},…},…], "totalCount": …, "next": …}.
	// Previous cells become invalid. A record without a requested field gives NULL for it
	// (Kintone omits some fields, contract §6.1). Throws kProtocol for malformed JSON or shapes
	// (see the top of this file).
	void Parse(std::string_view body);

	// The next pages' "$id"s must be strictly increasing and greater than floor (seek pages:
	// the last $id of the previous page); -1 = no order check (the default).
	void set_id_floor(long long floor) { id_floor_ = floor; }

	// Parses the value of a SUBTABLE field, [{"id": …, "value": {code: {"type", "value"}, …}}, …],
	// one row per subtable row (subtable.hpp): a column "$row_id" reads the row's "id", "$row_index"
	// its position from 1, "$id" gets parent_id, and other columns read the row's inner fields.
	// JSON null or "" is no row. Previous cells become invalid. Throws kProtocol for bad shapes.
	void ParseRows(std::string_view rows_json, std::string_view parent_id);

	// Parse in two steps: Load copies the page into the reader's own buffer (so the HTTP buffer
	// can take the next response), ParseLoaded parses it. loaded() is the copied page.
	void Load(std::string_view body);
	void ParseLoaded();
	std::string_view loaded() const;

	size_t rows() const { return rows_; }
	const Cell &cell(size_t row, size_t column) const { return cells_[row * columns_.size() + column]; }
	std::string_view element(size_t index) const { return elements_[index]; }
	const std::vector<ColumnRequest> &columns() const { return columns_; }

	// Whether at least one record of the page carried the field of this column at all (Kintone
	// leaves out field codes it does not know; a field it knows may still be null or empty).
	bool present(size_t column) const { return column < present_.size() && present_[column] != 0; }

	// Keeps only the first rows records of the page (the pager uses it when a cursor page goes
	// past a pushed-down LIMIT).
	void Truncate(size_t rows);

	// "$id" of the last record of the page when "$id" is one of the columns, else -1.
	long long last_id() const { return last_id_; }
	// "$id" of the first record of the page, likewise.
	long long first_id() const { return first_id_; }
	// "totalCount" when the page had a non-null one.
	std::optional<long long> total_count() const { return total_count_; }
	// "next" of a cursor page.
	std::optional<bool> next() const { return next_; }

private:
	void SetLastId();
	void Reset();
	// Fills the cells of row base from one record (or subtable row value) object.
	template <class Object, class ChecksT>
	void ParseFields(Object &object, size_t base, const char *limit, ChecksT &checks);

	struct Impl;
	std::unique_ptr<Impl> impl_;
	std::vector<ColumnRequest> columns_;
	std::vector<Cell> cells_;
	std::vector<std::string_view> elements_;
	std::vector<char> present_; // per column, for the current page
	size_t rows_ = 0;
	size_t loaded_size_ = 0;
	long long last_id_ = -1;
	long long first_id_ = -1;
	long long id_floor_ = -1;
	std::optional<long long> total_count_;
	std::optional<bool> next_;
};

// Counts the records of a records.json page and finds the last record's "$id" without parsing
// it (a hint the pager checks against the real parse). False when the page does not look as
// expected.
bool PeekSeekPage(std::string_view body, size_t *count, long long *last_id);

} // namespace kintone
