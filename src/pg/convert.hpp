// Every conversion between PostgreSQL Datums and Kintone's text, in one place: scans, writes,
// RETURNING read-back and ANALYZE use these (see convert.cpp). The JSON around the values is
// the client's (src/kintone/record_reader, src/kintone/record_json); this file only turns a
// Datum of a column's type into the text Kintone takes, and Kintone's text into a Datum.
//
// Everything here runs in the PostgreSQL phase: it may ereport (bad values) and allocates in
// the current memory context; it never throws.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/record_json.hpp"
#include "kintone/record_reader.hpp"

#include <string_view>

namespace kintone_fdw {

// --- Kintone text -> Datum (reading) ---

// How a retrieved column becomes a Datum.
struct ColumnConv {
	int attnum; // position in the tuple filled (1-based)
	const char *name;
	Oid type;
	int32 typmod;
	int shape; // kintone::ColumnRequest::Shape
	bool is_text;
	FmgrInfo input;
	Oid ioparam;
	// arrays
	Oid elem_type;
	int16 elem_len;
	bool elem_byval;
	char elem_align;
	bool elem_is_text;
	FmgrInfo elem_input;
	Oid elem_ioparam;
};

// The shape the record reader hands a column of this type over in.
kintone::ColumnRequest::Shape ShapeFor(Oid type);

// Looks up the input functions for one column.
void InitColumnConv(ColumnConv &c, int attnum, const char *name, Oid type, int32 typmod);

// Converts the cells of reader row `row` (cell i for conv[i]) into values/isnull at each
// conv's attnum - 1; other entries are left alone. *current names the column being converted
// while it is (for an error context), nullptr afterwards. The scan's hot loop.
void ConvertRow(const ColumnConv *conv, int nconv, const kintone::RecordReader &reader, size_t row, Datum *values,
                bool *isnull, const ColumnConv **current);

// A value Kintone answered outside a record (the $id or $revision of a write) as a Datum of
// the column's type (its input function). False, values untouched, when text is empty.
bool DatumFromKintoneText(Oid type, int32 typmod, const char *text, Datum *value);

// --- Datum -> Kintone text (writing) ---

// How a column's Datum becomes Kintone text.
enum class SendKind { kText, kDate, kTime, kTimestamp, kArray, kJson };

struct ValueConv {
	SendKind kind;
	FmgrInfo out;
	// arrays
	Oid elem_type;
	int16 elem_len;
	bool elem_byval;
	char elem_align;
	FmgrInfo elem_out;
};

// Looks up the output functions for a column of this type.
void InitValueConv(ValueConv &c, Oid type);

// The shape the record builder gets the column's values in.
kintone::ValueShape ValueShapeOf(const ValueConv &c);

// Converts a non-NULL Datum into out->text or out->elems (palloc'd in the current context),
// as Kintone takes it for a field of type `field`: dates "YYYY-MM-DD", times "HH:MM",
// timestamps UTC "YYYY-MM-DDTHH:MM:00Z" (Kintone keeps minutes; *seconds_dropped is set when
// a value had seconds), arrays element by element, anything else by its output function.
// Refuses, with an ERROR, what Kintone cannot store (infinite or out-of-range dates and
// timestamps, NULL array elements, and kintone::UnstorableReason: NaN, infinities, numbers
// out of range, 24:00).
void DatumToKintone(const ValueConv &c, kintone::FieldType field, Datum d, kintone::FieldValue *out,
                    bool *seconds_dropped);

// The record id or revision of a row (UPDATE/DELETE junk columns) as Kintone's text: the
// column type's output function ("$id" and "$revision" are bigint, or any type printing digits).
void InitIdentityConv(FmgrInfo *out, Oid type);
char *IdentityText(FmgrInfo *out, Datum d);

} // namespace kintone_fdw
