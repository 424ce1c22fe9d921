// Kintone record JSON for writes (contract §4.5–§4.7, §6.1, §6.2, §6.4): which field types a
// statement may write, how each field type's value is sent, what Kintone cannot store, the
// bodies of records.json calls and the reading of their answers. Design notes: docs/writes.md.
//
// The caller (the glue) hands over plain text: one value per field and row, in the shape its
// column has (one text, a list of texts, or a JSON document), with the field's Kintone type.
// Everything Kintone-specific about the JSON is decided here, so each rule is a unit test
// (test/unit/record_json_test.cpp). Records are built as JSON text without a DOM: a statement
// converts up to 2,000 rows per request, and this is the write path's hot loop. Only JSON
// values (a jsonb column, a subtable) are parsed.
#pragma once

#include "kintone/error.hpp"
#include "kintone/schema.hpp"
#include "kintone/session.hpp"

#include <cstddef>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace kintone {

// kUpsert: PUT records.json with "upsert": true, each record named by its value of a unique
// key field ("updateKey"); Kintone updates the record holding that value or adds one (contract
// §4.6). See docs/data.md, "Upsert".
enum class WriteKind { kInsert, kUpdate, kDelete, kUpsert };

// What Kintone answered for one written record.
struct WriteResult {
	std::string id;        // record id ($id)
	std::string revision;  // new revision (empty for deletes)
	bool inserted = false; // kUpsert: Kintone added the record ("operation": "INSERT")
};

// The shape a value arrives in (the glue's column type decides it, not the field type).
enum class ValueShape {
	kText, // one text: the value, or the one code / file key / option of a list field
	kList, // a list of texts (a PostgreSQL array): options, user codes, file keys
	kJson, // a JSON document (json/jsonb column): the value itself, reshaped where Kintone wants
};

// One field a statement writes.
struct WriteField {
	std::string code;                     // Kintone field code
	FieldType type = FieldType::kUnknown; // kUnknown: sent by its shape alone
	ValueShape shape = ValueShape::kText;
	std::string column; // the column the value comes from (for messages)
};

// One value of one row, plain C data that the glue fills in memory it owns.
struct FieldValue {
	bool is_null = false;
	bool omit = false;                  // left out of the record (e.g. a column no trigger set)
	const char *text = nullptr;         // kText, kJson: NUL-terminated
	const char *const *elems = nullptr; // kList: nelems NUL-terminated texts
	int nelems = 0;
};

// Why Kintone does not let a field of this type be written by an insert or an update, or
// nullptr when it does (contract §6.4). Deletes write no field.
const char *ReadOnlyReason(FieldType type, WriteKind kind);

// Why Kintone cannot store text (as the glue formats it) in a field of this type, or nullptr.
// Only values Kintone can certainly not store are named (see docs/writes.md, "Values Kintone
// cannot store"): NUMBER: NaN, ±Infinity, magnitudes of 1e30 or more and non-zero ones below
// 1e-30; TIME: hours of 24 or more. Anything else is left to Kintone. Never throws.
const char *UnstorableReason(FieldType type, std::string_view text) noexcept;

// What a NULL becomes: true when it is left out (creator, modifier and their times: Kintone
// fills them), else *empty is "[]" for list fields and "\"\"" for the others.
bool NullLeftOut(FieldType type);
bool IsListField(FieldType type, ValueShape shape);

// Appends the record object {"code":{"value":…},…} of one row: values[i] belongs to
// fields[i]; row is the statement's row number (1-based, for messages). Throws
// Error(kInvalidRequest) naming the column and the row when a JSON value is not valid JSON or
// not of the shape the field needs (a subtable).
void AppendRecord(std::string &out, const std::vector<WriteField> &fields, const FieldValue *values, long long row = 1);
std::string BuildRecord(const std::vector<WriteField> &fields, const FieldValue *values, long long row = 1);

// Rows of one records.json call, as the writer queues them: records (inserts, updates,
// upserts), ids (updates, deletes; for upserts the key values) and revisions (< 0: no check),
// each indexed from first.
struct CallRows {
	const std::vector<std::string> *records = nullptr;
	const std::vector<std::string> *ids = nullptr;
	const std::vector<long long> *revisions = nullptr;
	size_t first = 0;
	size_t count = 0;
	const std::string *update_key = nullptr; // kUpsert: the key field's code
};

// The JSON body of one records.json call of this kind (≤ 100 rows).
std::string CallBody(WriteKind kind, long long app, const CallRows &rows);

// Reads Kintone's answer to one records.json call and appends one result per row to out.
// POST: {"ids":[…],"revisions":[…]}; PUT: {"records":[{"id","revision"},…]}; upsert: PUT's
// with "operation": "INSERT" or "UPDATE" in each entry; DELETE: {}.
// A member missing, of the wrong kind or of the wrong length is Error(kProtocol) whose detail
// names request (e.g. "POST /k/v1/records.json with rows 1 to 100 of the statement").
void ReadCallAnswer(WriteKind kind, const Json &answer, const CallRows &rows, const std::string &request,
                    std::vector<WriteResult> *out);

// The "results" of a bulkRequest answer with `calls` entries, or Error(kProtocol) naming request.
const Json &BulkResults(const Json &answer, size_t calls, const std::string &request);

// The identity of an upsert key value as Kintone compares it, for finding a value that a
// statement gives twice: a NUMBER's value as a number ("1.50", "01.5" and "1.5e0" are one
// value: Kintone normalises numbers, contract §6.1), any other key's text as it is (whether
// Kintone's unique check ignores case or width is not known, §11 item 7: the texts are
// compared exactly, so only certain duplicates are found). Never throws but bad_alloc.
std::string UpsertKeyIdentity(FieldType type, std::string_view text);

// The key values of one upsert statement so far, to refuse a value given twice before anything
// is sent: two rows with one key would be one record in Kintone, the second write updating
// what the first added or updated.
class UpsertKeySet {
public:
	explicit UpsertKeySet(FieldType type = FieldType::kUnknown) : type_(type) {}
	// Adds the key of statement row `row`; returns 0, or the earlier row that gave the same key.
	long long Add(std::string_view key, long long row);

private:
	FieldType type_;
	std::unordered_map<std::string, long long> rows_; // identity -> first row
};

// Appends s as a JSON string literal (quotes, backslashes and control characters escaped;
// UTF-8 passes through).
void AppendJsonString(std::string &out, std::string_view s);

} // namespace kintone
