// INSERT, UPDATE and DELETE on Kintone foreign tables, and COPY into them: the FDW callbacks
// (the write path's files are listed in modify_state.hpp).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "commands/explain.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
}

namespace kintone_fdw {

// ModifyTable.fdw_private: Node lists indexed by this enum.
enum ModifyPrivate {
	kModSendAttrs = 0, // List of Integer: attnums whose values are sent (INSERT: inserted columns; UPDATE: set ones)
	kModReturnAttrs,   // List of Integer: attnums RETURNING needs from Kintone
	kModHasReturning,  // Integer: 1 when the statement has RETURNING (rows are then sent one by one)
	kModReadsTarget,   // Integer: 1 when an INSERT also reads the app it writes (see modify.cpp)
	kModTriggerAttrs,  // List of Integer: other columns a BEFORE ROW trigger may set (sent when it did)
	kModPrivateLength,
};

// Installs the executor hook that finishes a statement's writes inside the statement
// (xact_writes.cpp); called from _PG_init.
void RegisterWriteHooks();

extern "C" {
void kintoneAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
                                    Relation target_relation);
List *kintonePlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index);
void kintoneBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                               int eflags);
TupleTableSlot *kintoneExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                         TupleTableSlot *planSlot);
TupleTableSlot *kintoneExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                         TupleTableSlot *planSlot);
TupleTableSlot *kintoneExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                         TupleTableSlot *planSlot);
void kintoneEndForeignModify(EState *estate, ResultRelInfo *rinfo);
void kintoneBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
void kintoneEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
int kintoneIsForeignRelUpdatable(Relation rel);
void kintoneExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                                 ExplainState *es);
}

} // namespace kintone_fdw
