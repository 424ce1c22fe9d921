// Process management and schema drift as SQL functions (kintone_fdw--0.1.sql, issue 13):
//
//   kintone_run_action(tbl regclass, ids bigint[], action text, assignee text DEFAULT NULL)
//     -> TABLE (id, status_before, action, status, assignees, revision, moved)
//   kintone_set_assignees(tbl regclass, ids bigint[], assignees text[])
//     -> TABLE (id, assignees, revision)
//   kintone_schema_drift(tbl regclass)
//     -> TABLE (column_name, field_code, change, column_type, field_type, detail)
//
// tbl is a foreign table of an app's records: its server, the caller's user mapping, its app
// and guest space say where the records are. The writes are Kintone's at once (no PostgreSQL
// transaction can take them back); the caller needs UPDATE on the table to run them and SELECT
// to compare it. The rules (pre-checks, batching, what a failure reports) are the client's:
// kintone/process.hpp.
#include "pg/object_table.hpp"

#include "kintone/error.hpp"
#include "kintone/metadata.hpp"
#include "kintone/process.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "funcapi.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
}

#include <string>
#include <vector>

extern "C" {
PG_FUNCTION_INFO_V1(kintone_run_action);
PG_FUNCTION_INFO_V1(kintone_set_assignees);
PG_FUNCTION_INFO_V1(kintone_schema_drift);
Datum kintone_run_action(PG_FUNCTION_ARGS);
Datum kintone_set_assignees(PG_FUNCTION_ARGS);
Datum kintone_schema_drift(PG_FUNCTION_ARGS);
}

namespace kintone_fdw {

namespace {

// The records table named by a regclass argument, after the privilege check (PostgreSQL phase).
RawObjectTable *RecordsTable(Oid relid, AclMode mode, const char *what) {
	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE) {
		ereport(ERROR,
		        (errcode(ERRCODE_WRONG_OBJECT_TYPE), errmsg("\"%s\" is not a foreign table", get_rel_name(relid))));
	}
	ForeignTable *table = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(table->serverid);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "kintone_fdw") != 0) {
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg("foreign table \"%s\" does not belong to kintone_fdw", get_rel_name(relid))));
	}
	if (IsObjectTable(relid)) {
		ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
		                errmsg("foreign table \"%s\" is not a table of Kintone records", get_rel_name(relid)),
		                errhint("%s works on a foreign table of an app's records.", what)));
	}
	AclResult acl = pg_class_aclcheck(relid, GetUserId(), mode);
	if (acl != ACLCHECK_OK) {
		aclcheck_error(acl, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	}
	return ReadObjectTable(relid, GetUserId(), true);
}

// Reads an array of record ids into *ids (a vector owned by a memory context).
void FillIds(ArrayType *array, std::vector<long long> *ids) {
	if (ARR_NDIM(array) > 1) {
		ereport(ERROR, (errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR), errmsg("ids must be a one-dimensional array")));
	}
	Datum *elems;
	bool *nulls;
	int n;
	deconstruct_array(array, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE, &elems, &nulls, &n);
	for (int i = 0; i < n; ++i) {
		if (nulls[i]) {
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("ids must not contain NULL")));
		}
	}
	Guard([&]() {
		for (int i = 0; i < n; ++i) {
			ids->push_back(DatumGetInt64(elems[i]));
		}
	});
}

Datum TextArray(const std::vector<std::string> &items) {
	Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * (items.size() + 1)));
	for (size_t i = 0; i < items.size(); ++i) {
		elems[i] = PointerGetDatum(cstring_to_text_with_len(items[i].data(), static_cast<int>(items[i].size())));
	}
	return PointerGetDatum(construct_array(elems, static_cast<int>(items.size()), TEXTOID, -1, false, TYPALIGN_INT));
}

Datum Text(const std::string &s) {
	return PointerGetDatum(cstring_to_text_with_len(s.data(), static_cast<int>(s.size())));
}

struct ActionCall {
	std::vector<long long> ids;
	kintone::ActionOptions options;
	std::vector<kintone::ActionResult> results;
};

struct AssigneeCall {
	std::vector<long long> ids;
	std::vector<std::string> assignees;
	std::vector<kintone::AssigneesResult> results;
};

struct DriftCall {
	std::vector<kintone::DriftRow> rows;
};

} // namespace

} // namespace kintone_fdw

using namespace kintone_fdw;

Datum kintone_run_action(PG_FUNCTION_ARGS) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) {
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("kintone_run_action needs a table, the record ids and an action")));
	}
	Oid relid = PG_GETARG_OID(0);
	RawObjectTable *raw = RecordsTable(relid, ACL_UPDATE, "kintone_run_action");
	ActionCall *call = NewOwnedObject<ActionCall>(CurrentMemoryContext);
	FillIds(PG_GETARG_ARRAYTYPE_P(1), &call->ids);
	char *action = text_to_cstring(PG_GETARG_TEXT_PP(2));
	char *assignee = PG_ARGISNULL(3) ? nullptr : text_to_cstring(PG_GETARG_TEXT_PP(3));
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	EnsureChangeCallbacks();

	Guard([&]() {
		ObjectTableDef def = MakeObjectTableDef(*raw, true);
		call->options.action = action;
		if (assignee != nullptr) {
			call->options.assignee = assignee;
			call->options.has_assignee = true;
		}
		kintone::Session &session = GetSession(def.conn);
		call->results = kintone::RunAction(session, def.app, def.guest_space_id, call->ids, call->options);
		NoteKintoneChange("records of app " + std::to_string(def.app) + " that took action \"" + call->options.action +
		                      "\" (kintone_run_action)",
		                  static_cast<long long>(call->results.size()));
	});
	AfterKintoneCall();
	for (const auto &r : call->results) {
		Datum values[7];
		bool nulls[7] = {false, false, false, false, false, false, false};
		values[0] = Int64GetDatum(r.id);
		values[1] = Text(r.status_before);
		values[2] = Text(r.action);
		values[3] = Text(r.status);
		values[4] = TextArray(r.assignees);
		values[5] = Int64GetDatum(r.revision);
		nulls[5] = r.revision < 0;
		values[6] = BoolGetDatum(r.status != r.status_before);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}

Datum kintone_set_assignees(PG_FUNCTION_ARGS) {
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2)) {
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
		                errmsg("kintone_set_assignees needs a table, the record ids and the assignees"),
		                errhint("An empty array ('{}') removes every assignee.")));
	}
	Oid relid = PG_GETARG_OID(0);
	RawObjectTable *raw = RecordsTable(relid, ACL_UPDATE, "kintone_set_assignees");
	AssigneeCall *call = NewOwnedObject<AssigneeCall>(CurrentMemoryContext);
	FillIds(PG_GETARG_ARRAYTYPE_P(1), &call->ids);
	ArrayType *array = PG_GETARG_ARRAYTYPE_P(2);
	Datum *elems;
	bool *nulls;
	int n;
	deconstruct_array(array, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	char **names = static_cast<char **>(palloc0(sizeof(char *) * (n + 1)));
	for (int i = 0; i < n; ++i) {
		if (nulls[i]) {
			ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("assignees must not contain NULL")));
		}
		names[i] = TextDatumGetCString(elems[i]);
	}
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	EnsureChangeCallbacks();

	Guard([&]() {
		ObjectTableDef def = MakeObjectTableDef(*raw, true);
		for (int i = 0; i < n; ++i) {
			call->assignees.emplace_back(names[i]);
		}
		kintone::Session &session = GetSession(def.conn);
		call->results = kintone::SetAssignees(session, def.app, def.guest_space_id, call->ids, call->assignees);
		NoteKintoneChange("records of app " + std::to_string(def.app) + " given new assignees (kintone_set_assignees)",
		                  static_cast<long long>(call->results.size()));
	});
	AfterKintoneCall();
	for (const auto &r : call->results) {
		Datum values[3];
		bool isnull[3] = {false, false, false};
		values[0] = Int64GetDatum(r.id);
		values[1] = TextArray(r.assignees);
		values[2] = Int64GetDatum(r.revision);
		isnull[2] = r.revision < 0;
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, isnull);
	}
	return (Datum)0;
}

Datum kintone_schema_drift(PG_FUNCTION_ARGS) {
	if (PG_ARGISNULL(0)) {
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("kintone_schema_drift needs a table")));
	}
	Oid relid = PG_GETARG_OID(0);
	RawObjectTable *raw = RecordsTable(relid, ACL_SELECT, "kintone_schema_drift");
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);

	DriftCall *call = NewOwnedObject<DriftCall>(CurrentMemoryContext);
	Guard([&]() {
		ObjectTableDef def = MakeObjectTableDef(*raw, true);
		std::vector<kintone::DriftColumn> columns;
		for (const auto &c : def.columns) {
			if (!c.dropped) {
				columns.push_back({c.name, c.attr, c.field_type, c.type_name});
			}
		}
		kintone::Session &session = GetSession(def.conn);
		// Read now, never from a cache: the point is what the app is like at this moment.
		const std::string &form = session.GetRaw("app/form/fields.json", {{"app", def.app}}, def.guest_space_id);
		call->rows = kintone::CompareWithForm(columns, form);
	});
	AfterKintoneCall();
	for (const auto &r : call->rows) {
		Datum values[6];
		bool nulls[6] = {r.column_name.empty(), false, false, r.column_type.empty(), r.field_type.empty(), false};
		values[0] = r.column_name.empty() ? (Datum)0 : CStringGetDatum(pstrdup(r.column_name.c_str()));
		if (!r.column_name.empty()) {
			Name name = static_cast<Name>(palloc0(NAMEDATALEN));
			namestrcpy(name, r.column_name.c_str());
			values[0] = NameGetDatum(name);
		}
		values[1] = Text(r.field_code);
		values[2] = Text(r.change);
		values[3] = Text(r.column_type);
		values[4] = Text(r.field_type);
		values[5] = Text(r.detail);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum)0;
}
