// Foreign tables of the app around the records (issue 13): a foreign table's option `object`
// makes it a table of apps, spaces, fields, views, process statuses or actions, or of a
// record's comments (kintone/metadata.hpp), instead of an app's records.
//
// The FDW callbacks of these tables live in object_scan.cpp and object_modify.cpp. They are
// reached through InstallObjectTables, which the handler calls last: it keeps the records
// callbacks the handler set and puts a dispatcher in front of each, which sends a callback
// for an object table to its own implementation and every other one to the records code
// unchanged. So the records planner, scan and writer never see an object table, and neither
// needs to know about them.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/metadata.hpp"
#include "pg/connection.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/memutils.h"
}

#include <string>
#include <vector>

namespace kintone_fdw {

// The foreign table has an `object` option other than "records" (PostgreSQL phase; a catalog
// lookup; never throws).
bool IsObjectTable(Oid relid);

// A Kintone records table planned by the records planner (for the batched join: object tables
// are never its inner side).
bool IsRecordsRel(PlannerInfo *root, RelOptInfo *rel);

// Puts the dispatchers in front of the records callbacks of routine (see above).
void InstallObjectTables(FdwRoutine *routine);

// The catalog data of a foreign table (PostgreSQL phase, palloc'd).
struct RawObjectColumn {
	int attnum;
	const char *name;
	Oid type;
	int32 typmod;
	Oid collation;
	bool dropped;
	const char *field_code; // the column option, or nullptr
	const char *field_type; // the column option, or nullptr
	const char *type_name;  // format_type_with_typemod
};

struct RawObjectTable {
	Oid relid;
	const char *relname;
	Oid server_oid;
	Oid user_oid;
	const char *server_name;
	List *server_options;
	List *user_options; // NIL without a mapping
	List *table_options;
	int ncolumns;
	RawObjectColumn *columns;
};

// with_mapping: also the user's mapping (errors when there is none); planning reads only the
// table and its server.
RawObjectTable *ReadObjectTable(Oid relid, Oid userid, bool with_mapping);

struct ObjectColumn {
	int attnum = 0;
	std::string name;
	std::string attr;       // the attribute (object tables) or field code (records tables)
	std::string field_type; // records tables: the field_type option
	std::string type_name;
	Oid type = InvalidOid;
	int32 typmod = -1;
	Oid collation = InvalidOid;
	bool dropped = false;
};

struct ObjectTableDef {
	Oid relid = InvalidOid;
	std::string relname;
	ConnectionParams conn;
	kintone::ObjectKind kind = kintone::ObjectKind::kRecords;
	long long app = 0; // the option app (0: none; required for records tables)
	long long guest_space_id = 0;
	std::vector<ObjectColumn> columns; // index attnum - 1

	const ObjectColumn *Column(const std::string &attr) const;
};

// C++ phase: options parsed and checked; for object tables every column must name one of the
// kind's attributes (throws kInvalidOptionValue naming the column and listing them).
ObjectTableDef MakeObjectTableDef(const RawObjectTable &raw, bool with_mapping);

// A C++ object owned by a memory context: deleted by the context's reset callback on normal
// end, error and cancel alike (architecture guide, "Ownership and memory").
template <typename T>
T *NewOwnedObject(MemoryContext cxt) {
	MemoryContextCallback *callback =
	    static_cast<MemoryContextCallback *>(MemoryContextAllocZero(cxt, sizeof(MemoryContextCallback)));
	T *object = Guard([]() { return new T(); });
	callback->func = [](void *arg) { delete static_cast<T *>(arg); };
	callback->arg = object;
	MemoryContextRegisterResetCallback(cxt, callback);
	return object;
}

// The object-table callbacks (object_scan.cpp, object_modify.cpp, meta_import.cpp).
void ObjectGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
void ObjectGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
ForeignScan *ObjectGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel, Oid foreigntableid, ForeignPath *best_path,
                                  List *tlist, List *scan_clauses, Plan *outer_plan);
bool IsObjectScanPlan(const Plan *plan);
void ObjectBeginForeignScan(ForeignScanState *node, int eflags);
TupleTableSlot *ObjectIterateForeignScan(ForeignScanState *node);
void ObjectReScanForeignScan(ForeignScanState *node);
void ObjectEndForeignScan(ForeignScanState *node);
void ObjectExplainForeignScan(ForeignScanState *node, ExplainState *es);

bool IsObjectModifyState(const void *state);
void ObjectAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
                                   Relation target_relation);
List *ObjectPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index);
void ObjectBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                              int eflags);
TupleTableSlot *ObjectExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                        TupleTableSlot *planSlot);
TupleTableSlot *ObjectExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                        TupleTableSlot *planSlot);
void ObjectEndForeignModify(EState *estate, ResultRelInfo *rinfo);
void ObjectBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
int ObjectIsForeignRelUpdatable(Relation rel);
void ObjectExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                                ExplainState *es);

// IMPORT FOREIGN SCHEMA kintone_meta: the metadata tables.
constexpr const char *kMetaSchema = "kintone_meta";
List *ImportMetaSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

// A change issue 13's functions or comments tables made in Kintone, which a rollback of the
// current (sub)transaction cannot undo: a WARNING says so if it is rolled back (object_xact.cpp).
// EnsureChangeCallbacks: PostgreSQL phase, before the call; NoteKintoneChange: C++ phase.
void EnsureChangeCallbacks();
void NoteKintoneChange(const std::string &what, long long count);

// Interrupt check after a client call (the session's transfer only noticed the request).
inline void AfterKintoneCall() {
	CHECK_FOR_INTERRUPTS();
}

} // namespace kintone_fdw
