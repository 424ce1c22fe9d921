// Planner callbacks of writes (see modify_state.hpp): the row identity of UPDATE and DELETE
// ($id, and $revision when the table has it), which columns a statement sends, what RETURNING
// needs, whether an INSERT reads the app it writes, and the updatable option.
#include "pg/modify_state.hpp"

extern "C" {
#include "access/table.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/inherit.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "commands/defrem.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <cstring>

namespace kintone_fdw {

namespace {

const char *CodeOption(List *options, const char *fallback) {
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "field_code") == 0) {
			return defGetString(def);
		}
	}
	return fallback;
}

// The attnum of the column mapped to a Kintone system key ("$id", "$revision"), 0 if none.
int SystemColumn(Relation rel, const char *code) {
	TupleDesc desc = RelationGetDescr(rel);
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped) {
			continue;
		}
		List *options = GetForeignColumnOptions(RelationGetRelid(rel), i + 1);
		if (strcmp(CodeOption(options, NameStr(att->attname)), code) == 0) {
			return i + 1;
		}
	}
	return 0;
}

// The "app" option of a foreign table of kintone_fdw, or nullptr.
const char *AppOf(Oid relid, Oid *server) {
	ForeignTable *table = GetForeignTable(relid);
	*server = table->serverid;
	ListCell *cell;
	foreach (cell, table->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "app") == 0) {
			return defGetString(def);
		}
	}
	return nullptr;
}

// Does the query (its range table, subqueries, CTEs) read a foreign table of the same server
// and app as target? Such an INSERT must not send records while its scan still runs: seek
// paging on $id would read the new records and insert them again.
bool ReadsApp(Query *query, Oid target) {
	Oid target_server;
	const char *target_app = AppOf(target, &target_server);
	if (target_app == nullptr) {
		return false;
	}
	List *queue = list_make1(query);
	bool top = true;
	while (queue != NIL) {
		Query *q = static_cast<Query *>(linitial(queue));
		queue = list_delete_first(queue);
		ListCell *cell;
		int index = 0;
		foreach (cell, q->rtable) {
			RangeTblEntry *r = static_cast<RangeTblEntry *>(lfirst(cell));
			++index;
			if (r->rtekind == RTE_SUBQUERY && r->subquery != nullptr) {
				queue = lappend(queue, r->subquery);
			} else if (r->rtekind == RTE_RELATION && r->relkind == RELKIND_FOREIGN_TABLE &&
			           !(top && index == q->resultRelation)) {
				Oid server;
				const char *app = AppOf(r->relid, &server);
				if (r->relid == target || (app != nullptr && server == target_server && strcmp(app, target_app) == 0)) {
					return true;
				}
			}
		}
		foreach (cell, q->cteList) {
			CommonTableExpr *cte = static_cast<CommonTableExpr *>(lfirst(cell));
			if (IsA(cte->ctequery, Query)) {
				queue = lappend(queue, cte->ctequery);
			}
		}
		top = false;
	}
	return false;
}

} // namespace

// Columns in a bitmap of attnums offset by FirstLowInvalidHeapAttributeNumber (0 = whole row).
List *AttnumList(Relation rel, Bitmapset *cols, bool with_defaults) {
	TupleDesc desc = RelationGetDescr(rel);
	bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, cols);
	List *out = NIL;
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped || att->attgenerated) {
			continue;
		}
		if (whole_row || bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, cols) ||
		    (with_defaults && att->atthasdef)) {
			out = lappend_int(out, i + 1);
		}
	}
	return out;
}

// The columns not in send that a BEFORE ROW INSERT/UPDATE trigger of rel may set (postgres_fdw
// sends every column then); NIL without such a trigger.
List *TriggerAttrs(Relation rel, CmdType op, List *send) {
	TriggerDesc *trig = rel->trigdesc;
	if (trig == nullptr ||
	    !(op == CMD_INSERT ? trig->trig_insert_before_row : op == CMD_UPDATE && trig->trig_update_before_row)) {
		return NIL;
	}
	List *all = AttnumList(rel, bms_make_singleton(0 - FirstLowInvalidHeapAttributeNumber), false);
	List *out = NIL;
	ListCell *cell;
	foreach (cell, all) {
		if (!list_member_int(send, lfirst_int(cell))) {
			out = lappend_int(out, lfirst_int(cell));
		}
	}
	return out;
}

// Writing the rows of a subtable (docs/subtables.md) is not built yet: refused, never written as
// if the inner fields were fields of the record.
void RefuseSubtableWrites(Oid relid) {
	ForeignTable *table = GetForeignTable(relid);
	ListCell *cell;
	foreach (cell, table->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "subtable") == 0) {
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			                errmsg("foreign table \"%s\" holds the rows of the Kintone table \"%s\", which "
			                       "kintone_fdw cannot write yet",
			                       get_rel_name(relid), defGetString(def)),
			                errhint("Write the rows through the parent record's column of the table (jsonb), "
			                        "in the foreign table of the app's records.")));
		}
	}
}

extern "C" void kintoneAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
                                               Relation target_relation) {
	(void)target_rte;
	RefuseSubtableWrites(RelationGetRelid(target_relation));
	int id = SystemColumn(target_relation, "$id");
	if (id == 0) {
		ereport(ERROR,
		        (errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
		         errmsg("foreign table \"%s\" has no column for the Kintone record id",
		                RelationGetRelationName(target_relation)),
		         errdetail("UPDATE and DELETE identify records by the column whose field_code is \"$id\"."),
		         errhint("Add one: ALTER FOREIGN TABLE ... ADD COLUMN \"$id\" bigint OPTIONS (field_code '$id'); "
		                 "IMPORT FOREIGN SCHEMA creates it.")));
	}
	TupleDesc desc = RelationGetDescr(target_relation);
	Form_pg_attribute att = TupleDescAttr(desc, id - 1);
	add_row_identity_var(root, makeVar(rtindex, id, att->atttypid, att->atttypmod, att->attcollation, 0), rtindex,
	                     kIdJunk);
	int rev = SystemColumn(target_relation, "$revision");
	if (rev > 0) {
		att = TupleDescAttr(desc, rev - 1);
		add_row_identity_var(root, makeVar(rtindex, rev, att->atttypid, att->atttypmod, att->attcollation, 0), rtindex,
		                     kRevisionJunk);
	}
	if (root->parse->commandType == CMD_DELETE && root->parse->returningList != NIL) {
		// RETURNING of a DELETE shows the row as read.
		add_row_identity_var(root, makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1, InvalidOid, 0), rtindex,
		                     "wholerow");
	}
}

extern "C" List *kintonePlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
                                          int subplan_index) {
	CmdType op = plan->operation;
	if (plan->onConflictAction != ONCONFLICT_NONE) {
		// Kintone has no conflict handling that matches PostgreSQL's (upsert works on a unique
		// field key, not on the row's constraints): refuse rather than insert blindly.
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("INSERT ... ON CONFLICT is not supported on Kintone foreign tables"),
		                errhint("To upsert by a unique Kintone field, give the foreign table the option upsert_key: "
		                        "ALTER FOREIGN TABLE ... OPTIONS (ADD upsert_key 'field_code'); INSERT and COPY then "
		                        "update the record holding each key and add the others.")));
	}
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	RefuseSubtableWrites(rte->relid);
	Relation rel = table_open(rte->relid, NoLock);
	List *send = NIL;
	if (op == CMD_INSERT) {
		send = AttnumList(rel, rte->insertedCols, true);
	} else if (op == CMD_UPDATE) {
		RelOptInfo *baserel = find_base_rel(root, resultRelation);
		send = AttnumList(rel, get_rel_all_updated_cols(root, baserel), false);
	}
	List *ret = NIL;
	bool has_returning = plan->returningLists != NIL;
	if (has_returning) {
		Bitmapset *attrs = nullptr;
		pull_varattnos(static_cast<Node *>(list_nth(plan->returningLists, subplan_index)), resultRelation, &attrs);
		ret = AttnumList(rel, attrs, false);
	}
	bool reads_target = op == CMD_INSERT && ReadsApp(root->parse, rte->relid);
	List *by_trigger = TriggerAttrs(rel, op, send);
	table_close(rel, NoLock);
	return list_make5(send, ret, makeInteger(has_returning ? 1 : 0), makeInteger(reads_target ? 1 : 0), by_trigger);
}

// The updatable option of the table, else of the server, else true (as postgres_fdw).
extern "C" int kintoneIsForeignRelUpdatable(Relation rel) {
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	ForeignServer *server = GetForeignServer(table->serverid);
	bool updatable = true;
	ListCell *cell;
	foreach (cell, server->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "updatable") == 0) {
			updatable = defGetBoolean(def);
		}
	}
	foreach (cell, table->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "updatable") == 0) {
			updatable = defGetBoolean(def);
		}
	}
	return updatable ? (1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE) : 0;
}

} // namespace kintone_fdw
