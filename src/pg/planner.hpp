// Planning callbacks and the layout of the plan data they leave for the executor.
//
// Plans are data: ForeignScan.fdw_private is a List indexed by PlanPrivate, holding only
// Node values (String, Integer, List), so plans can be copied, cached and re-executed. The
// Kintone condition is the client's condition tree as Node lists (plan_tree.hpp); values known
// only at execution are slots in it, numbered as the plan's fdw_exprs. Paths carry their own
// data the same way (PathPrivate).
#pragma once

#include "pg/postgres.hpp"

#include "kintone/schema.hpp"
#include "pg/table.hpp"

namespace kintone_fdw {

enum PlanPrivate {
	kPlanApp = 0,      // String: app id
	kPlanGuest,        // String: guest space id ("0": none)
	kPlanRelName,      // String: the foreign table's name (messages)
	kPlanColumns,      // List of (Integer attnum, String column name, String field code), every column
	kPlanCondition,    // the condition tree (plan_tree.hpp); slots: fdw_exprs items, -1 a batched join's keys
	kPlanOrderBy,      // List of sort keys (plan_tree.hpp); NIL: no order
	kPlanFields,       // List of String: field codes requested
	kPlanAttrs,        // List of Integer: attnums of the retrieved columns, in fields order
	kPlanStrategy,     // Integer: kintone::PagingStrategy
	kPlanLimit,        // String: "-1" or the pushed-down LIMIT
	kPlanOffset,       // String: pushed-down OFFSET
	kPlanCountOnly,    // Integer: 1 for a pushed-down count(*)
	kPlanBatchKeys,    // Integer: 1 when a batched join hands this scan its keys (slot -1)
	kPlanRecheckAttrs, // List of Integer: columns of the exact conditions not retrieved (fdw_recheck_quals)
	kPlanSubtable,     // String: the subtable whose rows the table holds ("": records)
	// A join of a records table with its rows table read by one scan (docs/subtables.md, "Joins"):
	kPlanJoinRelations, // String: EXPLAIN's "Relations" ("": not a join)
	kPlanJoinRelid,     // String: the rows table's oid (the scan's table), "0" when not a join
	kPlanParentFields,  // List of String: the parent record's fields, after the rows' columns in the scan tuple
	kPlanParentColumns, // List of String: their column names (messages)
	// A concurrent scan's hint of the $id range (docs/concurrency.md, "A hint"):
	kPlanIdHint,        // String: the largest $id ANALYZE saw (its histogram of "$id"); "0": none
	kPlanRowsHint,      // String: the records the planner expects the scan to read; "0": none
	kPlanPrivateLength, // number of entries
};

// ForeignPath.fdw_private of this FDW's paths.
enum PathPrivate {
	kPathOrderBy = 0,   // List of sort keys Kintone returns the rows in; NIL: none
	kPathBatchAttnum,   // Integer: the key column of a batched join's inner scan; 0: none
	kPathPrivateLength, // number of entries
};

// The planner's cost of one Kintone request (an HTTP round trip), and records per page.
constexpr double kRequestCost = 100.0;
constexpr double kPageRows = 500.0;

// For the batched join (batch_join.cpp): when rel is a Kintone foreign table (planned by this
// FDW) and inner_key, a column of it, can be matched against a list of keys with Kintone's
// "in (…)" (clause being the join clause "inner_key = outer value"), returns an unparameterized
// path that scans rel with the condition "<rel's pushed conditions> and code in (keys)", the
// keys being an array that the join hands to each execution of the scan (SetScanBatchKeys,
// kPlanBatchKeys); *batch_size receives the table's join_batch_size and *unique_key whether
// the field's values are unique ($id). nullptr otherwise.
ForeignPath *MakeBatchInnerPath(PlannerInfo *root, RelOptInfo *rel, Expr *clause, Expr *inner_key, Oid key_type,
                                int *batch_size, bool *unique_key);

// kintone_fdw.enable_join_pushdown: a join of a records table and its rows table may be read
// by one scan (on by default; off gives the two-scan plan, for comparison).
extern bool enable_join_pushdown;
void RegisterJoinPushdownSetting();

// The foreign table a relation planned by this FDW reads (an upper relation: that of its scan),
// or InvalidOid (async.cpp reads the table's async_capable option).
Oid PlannedTableOid(RelOptInfo *rel);

extern "C" {
void kintoneGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
void kintoneGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
ForeignScan *kintoneGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel, Oid foreigntableid,
                                   ForeignPath *best_path, List *tlist, List *scan_clauses, Plan *outer_plan);
void kintoneGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel, RelOptInfo *innerrel,
                                JoinType jointype, JoinPathExtraData *extra);
void kintoneGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                                 RelOptInfo *output_rel, void *extra);
}

} // namespace kintone_fdw
