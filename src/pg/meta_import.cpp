// IMPORT FOREIGN SCHEMA kintone_meta: one foreign table per kind of object around the records
// (apps, spaces, fields, views, statuses, actions, comments; kintone/metadata.hpp), with every
// attribute as a column. LIMIT TO / EXCEPT name the tables; the option guest_space_id makes them
// read a guest space. The tables are the same for every domain, so nothing is asked of Kintone.
#include "pg/object_table.hpp"

#include "kintone/error.hpp"
#include "kintone/metadata.hpp"
#include "kintone/option_spec.hpp"

extern "C" {
#include "utils/builtins.h"
}

#include <cstring>

namespace kintone_fdw {

namespace {

const char *PgType(kintone::AttrType type) {
	switch (type) {
	case kintone::AttrType::kId:
		return "bigint";
	case kintone::AttrType::kInt:
		return "integer";
	case kintone::AttrType::kText:
		return "text";
	case kintone::AttrType::kBool:
		return "boolean";
	case kintone::AttrType::kTime:
		return "timestamptz";
	case kintone::AttrType::kJson:
		return "jsonb";
	case kintone::AttrType::kTextList:
		return "text[]";
	case kintone::AttrType::kIdList:
		return "bigint[]";
	}
	return "text";
}

bool Listed(ImportForeignSchemaStmt *stmt, const char *name) {
	ListCell *cell;
	foreach (cell, stmt->table_list) {
		if (strcmp(static_cast<RangeVar *>(lfirst(cell))->relname, name) == 0) {
			return true;
		}
	}
	return false;
}

} // namespace

List *ImportMetaSchema(ImportForeignSchemaStmt *stmt, Oid serverOid) {
	ForeignServer *server = GetForeignServer(serverOid);
	const char *guest = nullptr;
	ListCell *cell;
	foreach (cell, stmt->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "guest_space_id") == 0) {
			guest = defGetString(def);
		} else {
			ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
			                errmsg("invalid IMPORT FOREIGN SCHEMA %s option \"%s\"", kMetaSchema, def->defname),
			                errhint("The only option is guest_space_id.")));
		}
	}
	if (guest != nullptr) {
		Guard([&]() { kintone::ParsePositiveId("guest_space_id", guest); });
	}
	// Names in LIMIT TO / EXCEPT must be tables this import knows.
	foreach (cell, stmt->table_list) {
		const char *name = static_cast<RangeVar *>(lfirst(cell))->relname;
		bool known = false;
		for (kintone::ObjectKind kind : kintone::MetadataKinds()) {
			known |= strcmp(name, kintone::ObjectKindName(kind)) == 0;
		}
		if (!known) {
			ereport(ERROR,
			        (errcode(ERRCODE_FDW_TABLE_NOT_FOUND), errmsg("\"%s\" is not a table of %s", name, kMetaSchema),
			         errhint("The tables are apps, spaces, fields, views, statuses, actions and comments.")));
		}
	}
	List *commands = NIL;
	for (kintone::ObjectKind kind : kintone::MetadataKinds()) {
		const char *name = kintone::ObjectKindName(kind);
		if ((stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO && !Listed(stmt, name)) ||
		    (stmt->list_type == FDW_IMPORT_SCHEMA_EXCEPT && Listed(stmt, name))) {
			continue;
		}
		StringInfoData buf;
		initStringInfo(&buf);
		appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (\n", quote_identifier(name));
		bool first = true;
		for (const kintone::ObjectAttr &attr : kintone::ObjectAttrs(kind)) {
			appendStringInfo(&buf, "%s  %s %s", first ? "" : ",\n", quote_identifier(attr.name), PgType(attr.type));
			first = false;
		}
		appendStringInfo(&buf, "\n) SERVER %s OPTIONS (object %s", quote_identifier(server->servername),
		                 quote_literal_cstr(name));
		if (guest != nullptr) {
			appendStringInfo(&buf, ", guest_space_id %s", quote_literal_cstr(guest));
		}
		appendStringInfoString(&buf, ")");
		commands = lappend(commands, buf.data);
	}
	return commands;
}

} // namespace kintone_fdw
