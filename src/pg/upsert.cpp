// Upsert by key (see modify_state.hpp; design notes in docs/data.md, "Upsert").
//
// PostgreSQL refuses INSERT ... ON CONFLICT on a foreign table (it needs a unique index to
// infer the conflict target), so the interface is a table option: upsert_key names a unique
// SINGLE_LINE_TEXT or NUMBER field, and every INSERT and COPY into that foreign table becomes
// Kintone's upsert (PUT records.json with "upsert": true and the row's key as "updateKey",
// contract §4.6). The statement's rows are checked first and sent at the end, 2,000 records
// per request: a NULL key, and a key given twice, is an error before anything is sent.
#include "pg/modify_state.hpp"

#include "kintone/error.hpp"
#include "pg/guard.hpp"
#include "pg/table.hpp"

extern "C" {
#include "utils/rel.h"
}

#include <cstring>

namespace kintone_fdw {

namespace {

bool UpsertKeyType(kintone::FieldType type) {
	return type == kintone::FieldType::kSingleLineText || type == kintone::FieldType::kNumber ||
	       type == kintone::FieldType::kUnknown; // not known here: Kintone checks it
}

} // namespace

std::string UpsertKeyOption(const RawTable &raw) {
	ListCell *cell;
	foreach (cell, raw.table_options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "upsert_key") == 0 && def->arg != nullptr) {
			return strVal(def->arg);
		}
	}
	return {};
}

void StartUpsert(KintoneModifyState *st, ModifyCpp &cpp, const TableDef &def, const std::string &key) {
	int found = -1;
	for (int c = 0; c < st->nsend; ++c) {
		if (def.column(st->send[c].attnum).field_code == key) {
			found = c;
			break;
		}
	}
	if (found < 0) {
		for (const ColumnDef &col : def.columns) {
			if (!col.dropped && col.field_code == key) {
				throw kintone::Error(kintone::ErrorKind::kNotSupported,
				                     "INSERT into foreign table \"" + def.relname +
				                         "\" must give its upsert key column \"" + col.name + "\"",
				                     "The table's option upsert_key makes INSERT and COPY upsert Kintone records by "
				                     "the field \"" +
				                         key + "\": each row names its record by that value.",
				                     "Add the column to the INSERT column list, or insert through a foreign table "
				                     "without the option upsert_key.");
			}
		}
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "foreign table \"" + def.relname + "\" has no column for its upsert key field \"" + key +
		                         "\"",
		                     "The option upsert_key names a Kintone field code; a column of the table must map to it "
		                     "(its name, or its option field_code).",
		                     "Add the column, or correct the option with ALTER FOREIGN TABLE ... OPTIONS (SET "
		                     "upsert_key '...').");
	}
	const kintone::WriteField &field = cpp.fields[found];
	if (st->send[found].never || !UpsertKeyType(field.type)) {
		throw kintone::Error(kintone::ErrorKind::kNotSupported,
		                     "the upsert key field \"" + key + "\" of foreign table \"" + def.relname +
		                         "\" cannot name records",
		                     std::string("Its type is ") + kintone::FieldTypeName(field.type) +
		                         "; Kintone upserts by a SINGLE_LINE_TEXT or NUMBER field whose values are unique "
		                         "(\"Prohibit duplicate values\").",
		                     "Choose such a field for the option upsert_key.");
	}
	if (field.shape != kintone::ValueShape::kText) {
		throw kintone::Error(kintone::ErrorKind::kNotSupported,
		                     "the upsert key column \"" + field.column + "\" of foreign table \"" + def.relname +
		                         "\" must hold one value",
		                     "Its type is an array or JSON; a key is one text or number.",
		                     "Declare the column as text or numeric.");
	}
	cpp.writer->SetUpsertKey(key);
	cpp.upsert_keys = std::make_unique<kintone::UpsertKeySet>(field.type);
	st->upsert_col = found;
	st->upsert_key = MallocCopy(key);
}

void CheckUpsertKey(KintoneModifyState *st) {
	const kintone::FieldValue &cell = st->cells[st->upsert_col];
	const char *column = st->send[st->upsert_col].name;
	long long written = st->cpp->writer->written();
	const char *sent =
	    written > 0 ? psprintf("%lld records of this statement had already been written to Kintone and stay written "
	                           "(rows are sent one by one with RETURNING).",
	                           written)
	                : "Nothing of the statement was sent to Kintone.";
	if (cell.is_null || cell.omit || cell.text == nullptr || cell.text[0] == '\0') {
		ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
		                errmsg("the upsert key column \"%s\" is %s in row %lld of the statement writing to \"%s\"",
		                       column, cell.is_null || cell.omit || cell.text == nullptr ? "NULL" : "empty", st->row,
		                       RelationGetRelationName(st->rel)),
		                errdetail_internal("%s", sent),
		                errhint("Each row of an upsert names its Kintone record by the key (the table's option "
		                        "upsert_key); Kintone has no empty key to match or add.")));
	}
	long long previous = Guard([&]() { return st->cpp->upsert_keys->Add(cell.text, st->row); });
	if (previous > 0) {
		ereport(ERROR, (errcode(ERRCODE_UNIQUE_VIOLATION),
		                errmsg("the upsert key column \"%s\" has the same value in rows %lld and %lld of the statement "
		                       "writing to \"%s\"",
		                       column, previous, st->row, RelationGetRelationName(st->rel)),
		                errdetail_internal("Key (%s)=(%s). %s", column, cell.text, sent),
		                errhint("Each row of an upsert names one Kintone record; give each key once (for example "
		                        "SELECT DISTINCT ON (key) ... ORDER BY key, ...).")));
	}
}

void ReportUpsert(KintoneModifyState *st, long long inserted, long long updated) {
	if (st->row == 0) {
		return;
	}
	ereport(NOTICE, (errmsg("upsert into foreign table \"%s\": %lld record%s inserted, %lld updated",
	                        RelationGetRelationName(st->rel), inserted, inserted == 1 ? "" : "s", updated)));
}

} // namespace kintone_fdw
