// Foreign table definitions (see table.hpp).
#include "pg/table.hpp"

#include "kintone/error.hpp"
#include "kintone/messages.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/subtable.hpp"
#include "pg/option.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/pg_type.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <algorithm>

namespace kintone_fdw {

RawTable *ReadRawTable(Oid relid, Oid userid) {
	RawTable *raw = static_cast<RawTable *>(palloc0(sizeof(RawTable)));
	ForeignTable *table = GetForeignTable(relid);
	raw->conn = ReadRawConnection(table->serverid, userid);
	raw->relid = relid;
	raw->relname = get_rel_name(relid);
	raw->server_oid = raw->conn.server_oid;
	raw->user_oid = raw->conn.user_oid;
	raw->server_name = raw->conn.server_name;
	raw->table_options = table->options;

	Relation rel = table_open(relid, NoLock);
	TupleDesc desc = RelationGetDescr(rel);
	raw->ncolumns = desc->natts;
	raw->columns = static_cast<RawColumn *>(palloc0(sizeof(RawColumn) * (desc->natts > 0 ? desc->natts : 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		RawColumn &col = raw->columns[i];
		col.attnum = i + 1;
		col.name = pstrdup(NameStr(att->attname));
		col.type = att->atttypid;
		col.typmod = att->atttypmod;
		col.dropped = att->attisdropped;
		col.options = att->attisdropped ? NIL : GetForeignColumnOptions(relid, i + 1);
	}
	table_close(rel, NoLock);
	return raw;
}

TableDef MakeTableDef(const RawTable &raw) {
	TableDef def;
	def.relid = raw.relid;
	def.relname = raw.relname;
	def.conn = MakeConnectionParams(raw.conn);
	const kintone::OptionList &server = def.conn.server_options;
	kintone::OptionList table = OptionListFromDefElems(raw.table_options);

	const std::string *app = kintone::OptionValue(table, "app");
	if (app == nullptr) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "foreign table \"" + def.relname + "\" has no option \"app\"", "",
		                     "Set it with ALTER FOREIGN TABLE ... OPTIONS (ADD app 'APP_ID').");
	}
	def.app = kintone::ParsePositiveId("app", *app);
	const std::string *guest = kintone::OptionValue(table, "guest_space_id");
	def.guest_space_id =
	    guest == nullptr ? def.conn.guest_space_id : kintone::ParsePositiveId("guest_space_id", *guest);

	// The table's option, else the server's.
	auto either = [&](const char *name) {
		const std::string *v = kintone::OptionValue(table, name);
		return v != nullptr ? v : kintone::OptionValue(server, name);
	};
	if (const std::string *v = either("use_remote_estimate")) {
		def.use_remote_estimate = kintone::ParseBooleanOption("use_remote_estimate", *v);
	}
	if (const std::string *v = either("updatable")) {
		def.updatable = kintone::ParseBooleanOption("updatable", *v);
	}
	if (const std::string *v = either("join_batch_size")) {
		def.join_batch_size = std::stoi(*v); // validated by the validator (option_spec.cpp)
	}
	if (const std::string *v = either("max_concurrent_requests")) {
		def.max_concurrent_requests = static_cast<int>(kintone::ParsePositiveId("max_concurrent_requests", *v));
	}

	if (const std::string *v = kintone::OptionValue(table, "subtable")) {
		kintone::CheckFieldCode(*v);
		def.subtable = *v;
	}

	def.columns.resize(raw.ncolumns);
	for (int i = 0; i < raw.ncolumns; ++i) {
		const RawColumn &rc = raw.columns[i];
		ColumnDef &col = def.columns[i];
		col.attnum = rc.attnum;
		col.name = rc.name;
		col.type = rc.type;
		col.typmod = rc.typmod;
		col.dropped = rc.dropped;
		kintone::OptionList options = OptionListFromDefElems(rc.options);
		col.field_code = kintone::OptionValueOr(options, "field_code", col.name);
		col.field_type = kintone::OptionValueOr(options, "field_type", "");
		col.lookup_copy_of = kintone::OptionValueOr(options, "lookup_copy_of", "");
	}
	return def;
}

void CheckColumnCode(const TableDef &def, const ColumnDef &col) {
	if (kintone::IsValidFieldCode(col.field_code)) {
		if (!def.subtable.empty() && col.field_code == "$revision") {
			throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
			                     "column \"" + col.name + "\" of foreign table \"" + def.relname +
			                         "\" reads \"$revision\", which subtable rows do not have",
			                     "", "Read the revision from the parent record's table.");
		}
		return;
	}
	if (!def.subtable.empty() && kintone::IsRowPseudoField(col.field_code)) {
		return;
	}
	std::string why;
	try {
		kintone::CheckFieldCode(col.field_code);
	} catch (const kintone::Error &e) {
		why = e.message();
	}
	// A column without field_code whose name is no field code, or a catalog written without
	// the validator: its code never reaches a query.
	throw kintone::Error(
	    kintone::ErrorKind::kInvalidOptionValue,
	    "column \"" + col.name + "\" of foreign table \"" + def.relname + "\" has no valid Kintone field code",
	    why + (col.field_code == col.name ? " (without the option field_code, the column's name is its "
	                                        "field code)."
	                                      : "."),
	    col.field_code == col.name
	        ? "Set it: ALTER FOREIGN TABLE ... ALTER COLUMN ... OPTIONS (ADD field_code '...')."
	        : "Set it: ALTER FOREIGN TABLE ... ALTER COLUMN ... OPTIONS (SET field_code '...').");
}

namespace {

// Kintone's error about the table's app in the catalogue's words (e.g. no such app: names the
// table and its options).
void ExplainForDef(kintone::Error &e, const TableDef &def) {
	kintone::TableRef t;
	t.table = def.relname;
	t.app = def.app;
	t.guest_space_id = def.guest_space_id;
	kintone::ExplainForTable(e, t);
}

} // namespace

const kintone::FormInfo &CachedForm(const TableDef &def) {
	// Kept alive until the end of the transaction by the cache (connection.cpp).
	try {
		return *kintone_fdw::CachedForm(def.conn, def.app, def.guest_space_id, def.relid);
	} catch (kintone::Error &e) {
		ExplainForDef(e, def);
		throw;
	}
}

kintone::ColumnClass ColumnClassOf(Oid type) {
	switch (type) {
	case INT2OID:
	case INT4OID:
	case INT8OID:
		return kintone::ColumnClass::kInteger;
	case NUMERICOID:
		return kintone::ColumnClass::kNumeric;
	case TEXTOID:
	case VARCHAROID:
		return kintone::ColumnClass::kText;
	case TEXTARRAYOID:
	case 1015: // varchar[]
		return kintone::ColumnClass::kTextArray;
	case DATEOID:
		return kintone::ColumnClass::kDate;
	case TIMESTAMPTZOID:
		return kintone::ColumnClass::kTimestampTz;
	default:
		return kintone::ColumnClass::kOther;
	}
}

kintone::FieldType DeclaredFieldType(const ColumnDef &col) {
	if (col.field_code == "$id") {
		return kintone::FieldType::kId;
	}
	if (col.field_code == "$revision") {
		return kintone::FieldType::kRevision;
	}
	if (!col.field_type.empty()) {
		return kintone::FieldTypeFromName(col.field_type);
	}
	return kintone::FieldType::kUnknown;
}

bool FieldInForm(const kintone::FormInfo &form, const std::string &code) {
	return kintone::RecordsCarryField(form, code);
}

bool FieldInTable(const TableDef &def, const kintone::FormInfo &form, const std::string &code) {
	if (def.subtable.empty()) {
		return FieldInForm(form, code);
	}
	if (code == "$id" || kintone::IsRowPseudoField(code)) {
		return true;
	}
	const kintone::FieldInfo *field = form.Find(code);
	return field != nullptr && field->subtable == def.subtable;
}

namespace {

bool IsSubtableOf(const kintone::FormInfo &form, const std::string &code) {
	const kintone::FieldInfo *field = form.Find(code);
	return field != nullptr && field->subtable.empty() && field->type == kintone::FieldType::kSubtable;
}

} // namespace

void CheckFieldsExist(const TableDef &def, const std::vector<int> &attnums) {
	std::shared_ptr<const kintone::FormInfo> form;
	bool fresh = false;
	if (!def.subtable.empty()) {
		try {
			form = kintone_fdw::CachedForm(def.conn, def.app, def.guest_space_id, def.relid, &fresh);
		} catch (const kintone::Error &e) {
			if (e.kind() == kintone::ErrorKind::kPermission) {
				return;
			}
			throw;
		}
		if (!IsSubtableOf(*form, def.subtable) && !fresh) {
			form = RefreshForm(def.conn, def.app, def.guest_space_id, def.relid);
			fresh = true;
		}
		if (!IsSubtableOf(*form, def.subtable)) {
			throw kintone::Error(
			    kintone::ErrorKind::kInvalidOptionValue,
			    "option \"subtable\" of foreign table \"" + def.relname + "\" names no SUBTABLE field of the app",
			    "Kintone app " + std::to_string(def.app) + " has no table with the code \"" + def.subtable + "\".",
			    "Set it to the field code of a table (SUBTABLE) field of the app.");
		}
	}
	for (int attnum : attnums) {
		const ColumnDef &col = def.column(attnum);
		if (col.field_code == "$id" || col.field_code == "$revision" ||
		    (!def.subtable.empty() && kintone::IsRowPseudoField(col.field_code))) {
			continue;
		}
		if (!form) {
			try {
				form = kintone_fdw::CachedForm(def.conn, def.app, def.guest_space_id, def.relid, &fresh);
			} catch (kintone::Error &e) {
				if (e.kind() == kintone::ErrorKind::kPermission) {
					return; // may not read the form (OAuth scope, API token): nothing to check against
				}
				ExplainForDef(e, def);
				throw;
			}
		}
		if (!FieldInTable(def, *form, col.field_code) && !fresh) {
			// The cached form may predate the field: read it again once.
			form = RefreshForm(def.conn, def.app, def.guest_space_id, def.relid);
			fresh = true;
		}
		if (!FieldInTable(def, *form, col.field_code)) {
			if (!def.subtable.empty()) {
				throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
				                     "column \"" + col.name + "\" of foreign table \"" + def.relname +
				                         "\" names no field of the table \"" + def.subtable + "\"",
				                     "Kintone app " + std::to_string(def.app) + " has no field \"" + col.field_code +
				                         "\" in the table \"" + def.subtable + "\".",
				                     "A column of a subtable's rows reads \"$id\" (the parent record), "
				                     "\"$row_id\", \"$row_index\" or an inner field of the table.");
			}
			throw kintone::UnknownFieldError(def.relname, col.name, col.field_code, def.app, *form);
		}
	}
}

} // namespace kintone_fdw
