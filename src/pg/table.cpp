// Foreign table definitions (see table.hpp).
#include "pg/table.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
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

const kintone::FormInfo &CachedForm(const TableDef &def) {
	// Kept alive until the end of the transaction by the cache (connection.cpp).
	return *kintone_fdw::CachedForm(def.conn, def.app, def.guest_space_id, def.relid);
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
	if (code == "$id" || code == "$revision") {
		return true;
	}
	const kintone::FieldInfo *field = form.Find(code);
	return field != nullptr && field->subtable.empty() && field->enabled &&
	       field->type != kintone::FieldType::kReferenceTable && field->type != kintone::FieldType::kGroup;
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

kintone::Error UnknownFieldError(const std::string &relname, const std::string &column, const std::string &code,
                                 long long app, const kintone::FormInfo &form) {
	std::vector<std::pair<size_t, std::string>> ranked;
	for (const auto &field : form.fields) {
		if (FieldInForm(form, field.code)) {
			ranked.emplace_back(CodePointDistance(code, field.code), field.code);
		}
	}
	std::stable_sort(ranked.begin(), ranked.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
	std::string closest;
	for (size_t i = 0; i < ranked.size() && i < 3; ++i) {
		closest += (i > 0 ? ", \"" : "\"") + ranked[i].second + "\"";
	}
	std::string detail = "Kintone app " + std::to_string(app) + " has no field with the code \"" + code + "\"";
	const kintone::FieldInfo *inner = form.Find(code);
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
	return kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
	                      "column \"" + column + "\" of foreign table \"" + relname + "\" names no field of the app",
	                      detail, hint);
}

void CheckFieldsExist(const TableDef &def, const std::vector<int> &attnums) {
	std::shared_ptr<const kintone::FormInfo> form;
	bool fresh = false;
	for (int attnum : attnums) {
		const ColumnDef &col = def.column(attnum);
		if (col.field_code == "$id" || col.field_code == "$revision") {
			continue;
		}
		if (!form) {
			try {
				form = kintone_fdw::CachedForm(def.conn, def.app, def.guest_space_id, def.relid, &fresh);
			} catch (const kintone::Error &e) {
				if (e.kind() == kintone::ErrorKind::kPermission) {
					return; // may not read the form (OAuth scope, API token): nothing to check against
				}
				throw;
			}
		}
		if (!FieldInForm(*form, col.field_code) && !fresh) {
			// The cached form may predate the field: read it again once.
			form = RefreshForm(def.conn, def.app, def.guest_space_id, def.relid);
			fresh = true;
		}
		if (!FieldInForm(*form, col.field_code)) {
			throw UnknownFieldError(def.relname, col.name, col.field_code, def.app, *form);
		}
	}
}

} // namespace kintone_fdw
