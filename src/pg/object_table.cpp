// Object tables: their definition and the dispatch of the FDW callbacks (see object_table.hpp).
#include "pg/object_table.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "pg/option.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/pg_class.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <cstring>

namespace kintone_fdw {

namespace {

const char *OptionValue(List *options, const char *name) {
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, name) == 0 && def->arg != nullptr) {
			return strVal(def->arg);
		}
	}
	return nullptr;
}

std::string Opt(List *options, const char *name) {
	const char *v = OptionValue(options, name);
	return v != nullptr ? std::string(v) : std::string();
}

// The records callbacks the handler set, kept by InstallObjectTables.
FdwRoutine records;

// ------------------------------------------------------------ dispatchers

void DispatchGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
	if (IsObjectTable(relid)) {
		ObjectGetForeignRelSize(root, baserel, relid);
	} else {
		records.GetForeignRelSize(root, baserel, relid);
	}
}

void DispatchGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
	if (IsObjectTable(relid)) {
		ObjectGetForeignPaths(root, baserel, relid);
	} else {
		records.GetForeignPaths(root, baserel, relid);
	}
}

ForeignScan *DispatchGetForeignPlan(PlannerInfo *root, RelOptInfo *rel, Oid relid, ForeignPath *best_path, List *tlist,
                                    List *scan_clauses, Plan *outer_plan) {
	if (OidIsValid(relid) && IsObjectTable(relid)) {
		return ObjectGetForeignPlan(root, rel, relid, best_path, tlist, scan_clauses, outer_plan);
	}
	return records.GetForeignPlan(root, rel, relid, best_path, tlist, scan_clauses, outer_plan);
}

bool IsObjectRel(PlannerInfo *root, RelOptInfo *rel) {
	if (rel == nullptr || rel->relid == 0 || !IS_SIMPLE_REL(rel)) {
		return false;
	}
	RangeTblEntry *rte = planner_rt_fetch(rel->relid, root);
	return rte->rtekind == RTE_RELATION && IsObjectTable(rte->relid);
}

void DispatchGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                                  RelOptInfo *output_rel, void *extra) {
	if (IsObjectRel(root, input_rel)) {
		return; // object tables push nothing above the scan
	}
	if (records.GetForeignUpperPaths != nullptr) {
		records.GetForeignUpperPaths(root, stage, input_rel, output_rel, extra);
	}
}

void DispatchBeginForeignScan(ForeignScanState *node, int eflags) {
	if (IsObjectScanPlan(node->ss.ps.plan)) {
		ObjectBeginForeignScan(node, eflags);
	} else {
		records.BeginForeignScan(node, eflags);
	}
}

TupleTableSlot *DispatchIterateForeignScan(ForeignScanState *node) {
	return IsObjectScanPlan(node->ss.ps.plan) ? ObjectIterateForeignScan(node) : records.IterateForeignScan(node);
}

void DispatchReScanForeignScan(ForeignScanState *node) {
	if (IsObjectScanPlan(node->ss.ps.plan)) {
		ObjectReScanForeignScan(node);
	} else {
		records.ReScanForeignScan(node);
	}
}

void DispatchEndForeignScan(ForeignScanState *node) {
	if (IsObjectScanPlan(node->ss.ps.plan)) {
		ObjectEndForeignScan(node);
	} else {
		records.EndForeignScan(node);
	}
}

void DispatchExplainForeignScan(ForeignScanState *node, ExplainState *es) {
	if (IsObjectScanPlan(node->ss.ps.plan)) {
		ObjectExplainForeignScan(node, es);
	} else if (records.ExplainForeignScan != nullptr) {
		records.ExplainForeignScan(node, es);
	}
}

bool DispatchAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages) {
	if (IsObjectTable(RelationGetRelid(relation))) {
		return false; // nothing to sample: ANALYZE skips the table with a WARNING
	}
	return records.AnalyzeForeignTable != nullptr && records.AnalyzeForeignTable(relation, func, totalpages);
}

List *DispatchImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid) {
	if (strcmp(stmt->remote_schema, kMetaSchema) == 0) {
		return ImportMetaSchema(stmt, serverOid);
	}
	return records.ImportForeignSchema(stmt, serverOid);
}

void DispatchAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
                                     Relation target_relation) {
	if (IsObjectTable(RelationGetRelid(target_relation))) {
		ObjectAddForeignUpdateTargets(root, rtindex, target_rte, target_relation);
	} else {
		records.AddForeignUpdateTargets(root, rtindex, target_rte, target_relation);
	}
}

List *DispatchPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index) {
	if (IsObjectTable(planner_rt_fetch(resultRelation, root)->relid)) {
		return ObjectPlanForeignModify(root, plan, resultRelation, subplan_index);
	}
	return records.PlanForeignModify(root, plan, resultRelation, subplan_index);
}

void DispatchBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                                int eflags) {
	if (IsObjectTable(RelationGetRelid(rinfo->ri_RelationDesc))) {
		ObjectBeginForeignModify(mtstate, rinfo, fdw_private, subplan_index, eflags);
	} else {
		records.BeginForeignModify(mtstate, rinfo, fdw_private, subplan_index, eflags);
	}
}

TupleTableSlot *DispatchExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                          TupleTableSlot *planSlot) {
	if (IsObjectModifyState(rinfo->ri_FdwState)) {
		return ObjectExecForeignInsert(estate, rinfo, slot, planSlot);
	}
	return records.ExecForeignInsert(estate, rinfo, slot, planSlot);
}

TupleTableSlot *DispatchExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                          TupleTableSlot *planSlot) {
	// Object tables are never updatable (ObjectIsForeignRelUpdatable): PostgreSQL refuses first.
	return records.ExecForeignUpdate(estate, rinfo, slot, planSlot);
}

TupleTableSlot *DispatchExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                          TupleTableSlot *planSlot) {
	if (IsObjectModifyState(rinfo->ri_FdwState)) {
		return ObjectExecForeignDelete(estate, rinfo, slot, planSlot);
	}
	return records.ExecForeignDelete(estate, rinfo, slot, planSlot);
}

void DispatchEndForeignModify(EState *estate, ResultRelInfo *rinfo) {
	if (IsObjectModifyState(rinfo->ri_FdwState)) {
		ObjectEndForeignModify(estate, rinfo);
	} else {
		records.EndForeignModify(estate, rinfo);
	}
}

void DispatchBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo) {
	if (IsObjectTable(RelationGetRelid(rinfo->ri_RelationDesc))) {
		ObjectBeginForeignInsert(mtstate, rinfo);
	} else {
		records.BeginForeignInsert(mtstate, rinfo);
	}
}

void DispatchEndForeignInsert(EState *estate, ResultRelInfo *rinfo) {
	if (IsObjectModifyState(rinfo->ri_FdwState)) {
		ObjectEndForeignModify(estate, rinfo);
	} else {
		records.EndForeignInsert(estate, rinfo);
	}
}

int DispatchIsForeignRelUpdatable(Relation rel) {
	if (IsObjectTable(RelationGetRelid(rel))) {
		return ObjectIsForeignRelUpdatable(rel);
	}
	return records.IsForeignRelUpdatable(rel);
}

void DispatchExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                                  ExplainState *es) {
	if (IsObjectTable(RelationGetRelid(rinfo->ri_RelationDesc))) {
		ObjectExplainForeignModify(mtstate, rinfo, fdw_private, subplan_index, es);
	} else if (records.ExplainForeignModify != nullptr) {
		records.ExplainForeignModify(mtstate, rinfo, fdw_private, subplan_index, es);
	}
}

// Callbacks the records code may set in a later version: object tables take no part in them.
bool ContainsObjectRel(PlannerInfo *root, Relids relids) {
	int index = -1;
	while ((index = bms_next_member(relids, index)) >= 0) {
		RangeTblEntry *rte = planner_rt_fetch(index, root);
		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_FOREIGN_TABLE && IsObjectTable(rte->relid)) {
			return true;
		}
	}
	return false;
}

void DispatchGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel, RelOptInfo *innerrel,
                                 JoinType jointype, JoinPathExtraData *extra) {
	if (!ContainsObjectRel(root, joinrel->relids)) {
		records.GetForeignJoinPaths(root, joinrel, outerrel, innerrel, jointype, extra);
	}
}

bool DispatchPlanDirectModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index) {
	if (IsObjectTable(planner_rt_fetch(resultRelation, root)->relid)) {
		return false;
	}
	return records.PlanDirectModify(root, plan, resultRelation, subplan_index);
}

int DispatchGetForeignModifyBatchSize(ResultRelInfo *rinfo) {
	if (IsObjectTable(RelationGetRelid(rinfo->ri_RelationDesc))) {
		return 1;
	}
	return records.GetForeignModifyBatchSize(rinfo);
}

} // namespace

bool IsObjectTable(Oid relid) {
	ForeignTable *table = GetForeignTable(relid);
	const char *object = OptionValue(table->options, "object");
	return object != nullptr && strcmp(object, "records") != 0;
}

bool IsRecordsRel(PlannerInfo *root, RelOptInfo *rel) {
	return rel->fdwroutine != nullptr && rel->fdwroutine->GetForeignRelSize == DispatchGetForeignRelSize &&
	       !IsObjectRel(root, rel);
}

void InstallObjectTables(FdwRoutine *routine) {
	// Every callback the records code sets is dispatched (a callback added there without a
	// dispatcher here would see object tables).
	if (routine->GetForeignRelSize == DispatchGetForeignRelSize) {
		return; // already installed
	}
	records = *routine;
	routine->GetForeignRelSize = DispatchGetForeignRelSize;
	routine->GetForeignPaths = DispatchGetForeignPaths;
	routine->GetForeignPlan = DispatchGetForeignPlan;
	routine->GetForeignUpperPaths = DispatchGetForeignUpperPaths;
	routine->BeginForeignScan = DispatchBeginForeignScan;
	routine->IterateForeignScan = DispatchIterateForeignScan;
	routine->ReScanForeignScan = DispatchReScanForeignScan;
	routine->EndForeignScan = DispatchEndForeignScan;
	routine->ExplainForeignScan = DispatchExplainForeignScan;
	routine->AnalyzeForeignTable = DispatchAnalyzeForeignTable;
	routine->ImportForeignSchema = DispatchImportForeignSchema;
	routine->AddForeignUpdateTargets = DispatchAddForeignUpdateTargets;
	routine->PlanForeignModify = DispatchPlanForeignModify;
	routine->BeginForeignModify = DispatchBeginForeignModify;
	routine->ExecForeignInsert = DispatchExecForeignInsert;
	routine->ExecForeignUpdate = DispatchExecForeignUpdate;
	routine->ExecForeignDelete = DispatchExecForeignDelete;
	routine->EndForeignModify = DispatchEndForeignModify;
	routine->BeginForeignInsert = DispatchBeginForeignInsert;
	routine->EndForeignInsert = DispatchEndForeignInsert;
	routine->IsForeignRelUpdatable = DispatchIsForeignRelUpdatable;
	routine->ExplainForeignModify = DispatchExplainForeignModify;
	if (records.GetForeignJoinPaths != nullptr) {
		routine->GetForeignJoinPaths = DispatchGetForeignJoinPaths;
	}
	if (records.PlanDirectModify != nullptr) {
		routine->PlanDirectModify = DispatchPlanDirectModify;
	}
	if (records.GetForeignModifyBatchSize != nullptr) {
		routine->GetForeignModifyBatchSize = DispatchGetForeignModifyBatchSize;
	}
}

RawObjectTable *ReadObjectTable(Oid relid, Oid userid, bool with_mapping) {
	RawObjectTable *raw = static_cast<RawObjectTable *>(palloc0(sizeof(RawObjectTable)));
	ForeignTable *table = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(table->serverid);
	raw->relid = relid;
	raw->relname = get_rel_name(relid);
	raw->server_oid = server->serverid;
	raw->server_name = pstrdup(server->servername);
	raw->user_oid = userid;
	raw->server_options = server->options;
	raw->table_options = table->options;
	if (with_mapping) {
		raw->user_options = GetUserMapping(userid, table->serverid)->options;
	}
	Relation rel = table_open(relid, NoLock);
	TupleDesc desc = RelationGetDescr(rel);
	raw->ncolumns = desc->natts;
	raw->columns = static_cast<RawObjectColumn *>(palloc0(sizeof(RawObjectColumn) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		RawObjectColumn &col = raw->columns[i];
		col.attnum = i + 1;
		col.name = pstrdup(NameStr(att->attname));
		col.type = att->atttypid;
		col.typmod = att->atttypmod;
		col.collation = att->attcollation;
		col.dropped = att->attisdropped;
		if (!col.dropped) {
			List *options = GetForeignColumnOptions(relid, i + 1);
			col.field_code = OptionValue(options, "field_code");
			col.field_type = OptionValue(options, "field_type");
			col.type_name = format_type_with_typemod(att->atttypid, att->atttypmod);
		}
	}
	table_close(rel, NoLock);
	return raw;
}

const ObjectColumn *ObjectTableDef::Column(const std::string &attr) const {
	for (const auto &c : columns) {
		if (!c.dropped && c.attr == attr) {
			return &c;
		}
	}
	return nullptr;
}

ObjectTableDef MakeObjectTableDef(const RawObjectTable &raw, bool with_mapping) {
	ObjectTableDef def;
	def.relid = raw.relid;
	def.relname = raw.relname;
	def.conn.server_oid = raw.server_oid;
	def.conn.user_oid = raw.user_oid;
	def.conn.url = Opt(raw.server_options, "url");
	if (def.conn.url.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "the server of foreign table \"" + def.relname + "\" has no option \"url\"", "",
		                     "Set it with ALTER SERVER ... OPTIONS (ADD url 'https://SUBDOMAIN.cybozu.com').");
	}
	std::string server_guest = Opt(raw.server_options, "guest_space_id");
	def.conn.guest_space_id = server_guest.empty() ? 0 : kintone::ParsePositiveId("guest_space_id", server_guest);
	if (with_mapping) {
		SetConnectionOptions(def.conn, raw.server_name, OptionListFromDefElems(raw.server_options),
		                     OptionListFromDefElems(raw.user_options));
	}
	std::string max_cursors = Opt(raw.server_options, "max_cursors");
	if (!max_cursors.empty()) {
		def.conn.max_cursors = static_cast<int>(kintone::ParsePositiveId("max_cursors", max_cursors));
	}
	std::string object = Opt(raw.table_options, "object");
	def.kind = object.empty() ? kintone::ObjectKind::kRecords : kintone::ObjectKindFromName(object);
	std::string app = Opt(raw.table_options, "app");
	if (!app.empty()) {
		def.app = kintone::ParsePositiveId("app", app);
	}
	std::string guest = Opt(raw.table_options, "guest_space_id");
	def.guest_space_id = guest.empty() ? def.conn.guest_space_id : kintone::ParsePositiveId("guest_space_id", guest);

	bool records_table = def.kind == kintone::ObjectKind::kRecords;
	if (records_table && def.app == 0) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "foreign table \"" + def.relname + "\" has no option \"app\"", "",
		                     "Set it with ALTER FOREIGN TABLE ... OPTIONS (ADD app 'APP_ID').");
	}
	if (!records_table && def.app != 0 && !kintone::FindObjectAttr(def.kind, "app")) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "the option \"app\" does not apply to a table of Kintone " +
		                         std::string(kintone::ObjectKindName(def.kind)),
		                     "Foreign table \"" + def.relname + "\" lists objects that do not belong to one app.");
	}
	def.columns.resize(raw.ncolumns);
	for (int i = 0; i < raw.ncolumns; ++i) {
		const RawObjectColumn &rc = raw.columns[i];
		ObjectColumn &c = def.columns[i];
		c.attnum = rc.attnum;
		c.name = rc.name;
		c.type = rc.type;
		c.typmod = rc.typmod;
		c.collation = rc.collation;
		c.dropped = rc.dropped;
		if (c.dropped) {
			continue;
		}
		c.attr = rc.field_code != nullptr ? rc.field_code : rc.name;
		c.field_type = rc.field_type != nullptr ? rc.field_type : "";
		c.type_name = rc.type_name != nullptr ? rc.type_name : "";
		if (!records_table && kintone::FindObjectAttr(def.kind, c.attr) == nullptr) {
			std::string names;
			for (const auto &a : kintone::ObjectAttrs(def.kind)) {
				names += (names.empty() ? "" : ", ") + std::string(a.name);
			}
			throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
			                     "column \"" + c.name + "\" of foreign table \"" + def.relname +
			                         "\" names no attribute of Kintone " + kintone::ObjectKindName(def.kind),
			                     "",
			                     "The attributes are: " + names +
			                         ". Name the column after one, or set its option "
			                         "field_code to one.");
		}
	}
	return def;
}

} // namespace kintone_fdw
