// "Kintone Batched Join": a join of any relation (the outer side) with a Kintone foreign table
// (the inner side) that sends the outer side's join keys to Kintone in batches, as
// "field in (k1, k2, …)", instead of one request per key (a parameterized scan under a nested
// loop) or reading the whole app (a hash join).
//
// PostgreSQL's FDW API never hands a scan several outer keys at once, so the batching lives in
// its own executor node, a CustomScan join path offered by set_join_pathlist_hook:
//
//   Custom Scan (Kintone Batched Join)
//     -> the outer plan (any path)
//     -> Foreign Scan on the Kintone table, query "<its pushed conditions> and code in ($keys)"
//
// The inner side is an ordinary foreign scan of this FDW (scan.cpp: paging, conversion,
// EXPLAIN ANALYZE counters and cursor rules all apply unchanged) whose last condition leaf is
// the key list, handed to it by the join before each execution (SetScanBatchKeys; planner.cpp,
// kPlanBatchKeys). Reusing the scan instead of running Kintone requests from the join node
// keeps one code path for reading Kintone. The keys are not a PARAM_EXEC parameter: no plan
// node above would be seen to set it, and PostgreSQL's plan checks reject such a parameter.
//
// Execution, per batch: read outer rows until join_batch_size distinct non-null keys (or
// work_mem) are held, hand the array of distinct keys to the inner scan and rescan it once
// (one paged Kintone scan), keep its rows hashed on the key with the join operator's hash
// functions (those of a hash join, so cross-type keys work), then emit joined rows in outer
// order: for each outer row, the inner rows of equal hash whose join clauses ALL hold,
// re-evaluated locally on the combined row (so a key list that Kintone matches loosely, such
// as text, stays exact). LEFT and ANTI joins null-extend / keep unmatched rows; SEMI and ANTI
// stop at the first match; NULL keys never match. The pushed-down "other" quals of outer
// joins are the plan's qual, applied after null-extension, as in a nested loop.
//
// Plan data is Node lists (custom_private indexed by CustomPrivate, custom_exprs =
// [outer key, inner key, join clauses…]); custom_scan_tlist is the outer plan's target list
// followed by the inner plan's, which is the layout of the combined row.
#include "pg/batch_join.hpp"

#include "pg/guard.hpp"
#include "pg/object_table.hpp"
#include "pg/planner.hpp"
#include "pg/scan.hpp"

extern "C" {
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/extensible.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/restrictinfo.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/ruleutils.h"
#include "utils/selfuncs.h"
}

#include <cmath>

namespace kintone_fdw {

namespace {

constexpr const char *kName = "Kintone Batched Join";

enum CustomPrivate {
	kCpBatchSize = 0, // Integer: distinct keys per Kintone request
	kCpJoinType,      // Integer: JoinType (INNER, LEFT, SEMI, ANTI)
	kCpSingleMatch,   // Integer: 1 when an outer row needs at most one match
	kCpKeyType,       // Integer: type of the outer key (the array's element type)
	kCpOuterHash,     // Integer: hash function of the outer key
	kCpInnerHash,     // Integer: hash function of the inner key
	kCpCollation,     // Integer: collation of the join operator
	kCpOuterWidth,    // Integer: columns of the outer plan's row (start of the combined row)
	kCpPrivateLength,
};

set_join_pathlist_hook_type previous_hook = nullptr;

Plan *PlanBatchJoin(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses,
                    List *custom_plans);
Node *CreateBatchJoinState(CustomScan *cscan);

const CustomPathMethods kPathMethods = {kName, PlanBatchJoin};
const CustomScanMethods kScanMethods = {kName, CreateBatchJoinState};

Expr *StripRelabel(Expr *e) {
	while (e != nullptr && IsA(e, RelabelType)) {
		e = reinterpret_cast<RelabelType *>(e)->arg;
	}
	return e;
}

// A plain column of a relation in relids (possibly under a binary-compatible cast).
bool IsColumnOf(Expr *e, Relids relids) {
	e = StripRelabel(e);
	if (e == nullptr || !IsA(e, Var)) {
		return false;
	}
	Var *var = reinterpret_cast<Var *>(e);
	return var->varlevelsup == 0 && var->varattno > 0 && bms_is_member(var->varno, relids);
}

// An outer key: an expression of the outer relation's columns only (a column, a cast of one,
// …), computed once per outer row. Nothing volatile, no subqueries, no placeholders.
bool IsOuterKey(Expr *e, Relids outer) {
	Node *node = reinterpret_cast<Node *>(e);
	if (contain_volatile_functions(node) || contain_subplans(node) || contain_agg_clause(node) ||
	    contain_window_function(node)) {
		return false;
	}
	List *vars = pull_var_clause(node, PVC_INCLUDE_PLACEHOLDERS);
	ListCell *cell;
	foreach (cell, vars) {
		Var *var = static_cast<Var *>(lfirst(cell));
		if (!IsA(var, Var) || var->varlevelsup != 0 || !bms_is_member(var->varno, outer)) {
			return false;
		}
	}
	return vars != NIL;
}

// Nothing at or above this query level locks rows or rechecks them (EvalPlanQual would have
// to re-run a join pushed into a custom node): no UPDATE, DELETE, MERGE or FOR UPDATE/SHARE.
// SELECT, CREATE TABLE AS and INSERT … SELECT qualify.
bool NoRecheck(PlannerInfo *root) {
	for (PlannerInfo *r = root; r != nullptr; r = r->parent_root) {
		CmdType cmd = r->parse->commandType;
		if ((cmd != CMD_SELECT && cmd != CMD_INSERT) || r->parse->rowMarks != NIL) {
			return false;
		}
	}
	return true;
}

void BatchJoinPaths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel, RelOptInfo *innerrel,
                    JoinType jointype, JoinPathExtraData *extra) {
	if (jointype != JOIN_INNER && jointype != JOIN_LEFT && jointype != JOIN_SEMI && jointype != JOIN_ANTI) {
		return;
	}
	if (innerrel->reloptkind != RELOPT_BASEREL || innerrel->fdwroutine == nullptr || !IsRecordsRel(root, innerrel) ||
	    !NoRecheck(root)) {
		return;
	}
	if (!bms_is_empty(innerrel->lateral_relids) || !bms_is_empty(outerrel->lateral_relids)) {
		return;
	}
	Path *outer_path = outerrel->cheapest_total_path;
	if (outer_path == nullptr || outer_path->param_info != nullptr) {
		return;
	}

	// The key: a hashable equality "inner column = outer expression" among the join clauses.
	RestrictInfo *key = nullptr;
	Expr *outer_key = nullptr;
	Expr *inner_key = nullptr;
	bool inner_is_left = false;
	ForeignPath *inner_path = nullptr;
	int batch_size = 0;
	bool unique_key = false;
	ListCell *cell;
	foreach (cell, extra->restrictlist) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		if (IS_OUTER_JOIN(jointype) && RINFO_IS_PUSHED_DOWN(rinfo, joinrel->relids)) {
			continue; // a filter above the join, not a join condition
		}
		if (!OidIsValid(rinfo->hashjoinoperator) || !IsA(rinfo->clause, OpExpr)) {
			continue;
		}
		OpExpr *op = reinterpret_cast<OpExpr *>(rinfo->clause);
		if (list_length(op->args) != 2 || op->opno != rinfo->hashjoinoperator) {
			continue;
		}
		Expr *left = static_cast<Expr *>(linitial(op->args));
		Expr *right = static_cast<Expr *>(lsecond(op->args));
		bool left_inner;
		if (IsColumnOf(left, innerrel->relids) && IsOuterKey(right, outerrel->relids)) {
			left_inner = true;
		} else if (IsColumnOf(right, innerrel->relids) && IsOuterKey(left, outerrel->relids)) {
			left_inner = false;
		} else {
			continue;
		}
		Expr *in = left_inner ? left : right;
		Expr *out = left_inner ? right : left;
		Oid key_type = exprType(reinterpret_cast<Node *>(out));
		if (!OidIsValid(get_array_type(key_type))) {
			continue;
		}
		ForeignPath *path = MakeBatchInnerPath(root, innerrel, rinfo->clause, in, key_type, &batch_size, &unique_key);
		if (path == nullptr) {
			continue;
		}
		key = rinfo;
		outer_key = out;
		inner_key = in;
		inner_is_left = left_inner;
		inner_path = path;
		break;
	}
	if (key == nullptr) {
		return;
	}
	RegProcedure left_hash, right_hash;
	if (!get_op_hash_functions(key->hashjoinoperator, &left_hash, &right_hash)) {
		return;
	}

	// Costs: the outer side, one request per batch of distinct keys plus the pages of the
	// matching records, and the local work per row.
	// Without statistics, PostgreSQL guesses 200 distinct values: here that would promise few
	// requests for any outer side, so count every outer row as a key instead. $id is unique.
	double outer_rows = outer_path->rows;
	EstimationInfo estimation;
	double keys = estimate_num_groups(root, list_make1(outer_key), outer_rows, nullptr, &estimation);
	if (estimation.flags & SELFLAG_USED_DEFAULT) {
		keys = outer_rows;
	}
	double batches = Max(1.0, std::ceil(keys / batch_size));
	double inner_rows = innerrel->rows;
	double inner_keys =
	    unique_key ? inner_rows : estimate_num_groups(root, list_make1(inner_key), inner_rows, nullptr, nullptr);
	double fetched = Min(inner_rows, keys * inner_rows / Max(inner_keys, 1.0));
	double pages = batches + std::floor(fetched / kPageRows);
	Cost startup = outer_path->startup_cost + kRequestCost;
	Cost total = outer_path->total_cost + pages * kRequestCost + fetched * cpu_tuple_cost +
	             outer_rows * 2 * cpu_operator_cost + joinrel->rows * cpu_tuple_cost;

	bool single_match = jointype == JOIN_SEMI || jointype == JOIN_ANTI || extra->inner_unique;
	CustomPath *cpath = makeNode(CustomPath);
	cpath->path.pathtype = T_CustomScan;
	cpath->path.parent = joinrel;
	cpath->path.pathtarget = joinrel->reltarget;
	cpath->path.param_info = nullptr;
	cpath->path.parallel_aware = false;
	cpath->path.parallel_safe = false;
	cpath->path.parallel_workers = 0;
	cpath->path.rows = joinrel->rows;
	cpath->path.startup_cost = startup;
	cpath->path.total_cost = total;
	// Rows come out in the outer side's order.
	cpath->path.pathkeys = build_join_pathkeys(root, joinrel, jointype, outer_path->pathkeys);
	cpath->flags = 0;
	cpath->custom_paths = list_make2(outer_path, inner_path);
	cpath->custom_private =
	    list_make5(extra->restrictlist, outer_key, inner_key,
	               list_make4_int(batch_size, static_cast<int>(jointype), single_match ? 1 : 0,
	                              static_cast<int>(exprType(reinterpret_cast<Node *>(outer_key)))),
	               list_make3_int(static_cast<int>(inner_is_left ? right_hash : left_hash),
	                              static_cast<int>(inner_is_left ? left_hash : right_hash),
	                              static_cast<int>(reinterpret_cast<OpExpr *>(key->clause)->inputcollid)));
	cpath->methods = &kPathMethods;
	add_path(joinrel, reinterpret_cast<Path *>(cpath));
}

void BatchJoinHook(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel, RelOptInfo *innerrel,
                   JoinType jointype, JoinPathExtraData *extra) {
	if (previous_hook != nullptr) {
		previous_hook(root, joinrel, outerrel, innerrel, jointype, extra);
	}
	BatchJoinPaths(root, joinrel, outerrel, innerrel, jointype, extra);
}

Plan *PlanBatchJoin(PlannerInfo *root, RelOptInfo *rel, CustomPath *best_path, List *tlist, List *clauses,
                    List *custom_plans) {
	(void)root;
	(void)clauses; // a join relation has no restriction clauses of its own
	Plan *outer_plan = static_cast<Plan *>(linitial(custom_plans));
	Plan *inner_plan = static_cast<Plan *>(lsecond(custom_plans));
	if (!IsA(inner_plan, ForeignScan)) {
		elog(ERROR, "kintone_fdw: the inner plan of a batched join is not a foreign scan");
	}
	if (intVal(list_nth(reinterpret_cast<ForeignScan *>(inner_plan)->fdw_private, kPlanBatchKeys)) != 1) {
		elog(ERROR, "kintone_fdw: the inner scan of a batched join takes no keys");
	}

	List *restrictlist = static_cast<List *>(linitial(best_path->custom_private));
	Expr *outer_key = static_cast<Expr *>(lsecond(best_path->custom_private));
	Expr *inner_key = static_cast<Expr *>(lthird(best_path->custom_private));
	List *ints = static_cast<List *>(lfourth(best_path->custom_private));
	List *hashes = static_cast<List *>(list_nth(best_path->custom_private, 4));
	JoinType jointype = static_cast<JoinType>(lsecond_int(ints));

	// As a nested loop: join clauses decide matching; an outer join's pushed-down clauses
	// filter the joined (or null-extended) rows.
	List *joinclauses;
	List *otherclauses;
	if (IS_OUTER_JOIN(jointype)) {
		extract_actual_join_clauses(restrictlist, rel->relids, &joinclauses, &otherclauses);
	} else {
		joinclauses = extract_actual_clauses(restrictlist, false);
		otherclauses = NIL;
	}

	// The combined row: the outer plan's columns, then the inner plan's.
	List *scan_tlist = NIL;
	int resno = 1;
	ListCell *cell;
	foreach (cell, outer_plan->targetlist) {
		TargetEntry *te = static_cast<TargetEntry *>(lfirst(cell));
		scan_tlist = lappend(scan_tlist,
		                     makeTargetEntry(static_cast<Expr *>(copyObjectImpl(te->expr)), resno++, nullptr, false));
	}
	int outer_width = resno - 1;
	foreach (cell, inner_plan->targetlist) {
		TargetEntry *te = static_cast<TargetEntry *>(lfirst(cell));
		scan_tlist = lappend(scan_tlist,
		                     makeTargetEntry(static_cast<Expr *>(copyObjectImpl(te->expr)), resno++, nullptr, false));
	}

	List *priv = NIL;
	priv = lappend(priv, makeInteger(linitial_int(ints)));   // kCpBatchSize
	priv = lappend(priv, makeInteger(lsecond_int(ints)));    // kCpJoinType
	priv = lappend(priv, makeInteger(lthird_int(ints)));     // kCpSingleMatch
	priv = lappend(priv, makeInteger(lfourth_int(ints)));    // kCpKeyType
	priv = lappend(priv, makeInteger(linitial_int(hashes))); // kCpOuterHash
	priv = lappend(priv, makeInteger(lsecond_int(hashes)));  // kCpInnerHash
	priv = lappend(priv, makeInteger(lthird_int(hashes)));   // kCpCollation
	priv = lappend(priv, makeInteger(outer_width));          // kCpOuterWidth

	CustomScan *cscan = makeNode(CustomScan);
	cscan->scan.plan.targetlist = tlist;
	cscan->scan.plan.qual = otherclauses;
	cscan->scan.scanrelid = 0;
	cscan->flags = best_path->flags;
	cscan->custom_plans = custom_plans;
	cscan->custom_exprs = list_concat(list_make2(copyObjectImpl(outer_key), copyObjectImpl(inner_key)),
	                                  static_cast<List *>(copyObjectImpl(joinclauses)));
	cscan->custom_private = priv;
	cscan->custom_scan_tlist = scan_tlist;
	cscan->methods = &kScanMethods;
	return reinterpret_cast<Plan *>(cscan);
}

// ---------------------------------------------------------------------------------------
// Execution

struct BatchJoinState {
	CustomScanState css; // first: PostgreSQL sees a CustomScanState
	PlanState *outer;
	PlanState *inner;
	int batch_size;
	JoinType jointype;
	bool single_match;
	Oid key_type;
	int16 key_len;
	bool key_byval;
	char key_align;
	Oid collation;
	FmgrInfo outer_hash;
	FmgrInfo inner_hash;
	int outer_width;
	int inner_width;
	ExprState *outer_key;
	ExprState *inner_key;
	ExprState *joinqual;
	TupleTableSlot *outer_slot; // a buffered outer row
	TupleTableSlot *inner_slot; // a buffered inner row
	MemoryContext batch_cxt;    // everything of the current batch

	// The current batch.
	int n_outer;
	MinimalTuple *outer_rows;
	bool *outer_null; // key is NULL
	uint32 *outer_hashes;
	int n_inner;
	MinimalTuple *inner_rows;
	uint32 *inner_hashes;
	int *inner_next; // hash chain
	int *buckets;
	uint32 bucket_mask;

	// Emission.
	bool have_batch;
	bool outer_done;
	int current;     // outer row being joined
	bool current_on; // its chain is set up
	int chain;       // next inner candidate, -1: none
	bool matched;

	// EXPLAIN ANALYZE.
	long batches;
	long long keys_sent;
};

// Fills the combined row from an outer and an inner row (nullptr: all NULL).
TupleTableSlot *Combine(BatchJoinState *st, TupleTableSlot *outer, TupleTableSlot *inner) {
	TupleTableSlot *slot = st->css.ss.ss_ScanTupleSlot;
	ExecClearTuple(slot);
	if (outer != nullptr) {
		slot_getallattrs(outer);
		memcpy(slot->tts_values, outer->tts_values, sizeof(Datum) * st->outer_width);
		memcpy(slot->tts_isnull, outer->tts_isnull, sizeof(bool) * st->outer_width);
	} else {
		memset(slot->tts_isnull, true, sizeof(bool) * st->outer_width);
	}
	if (inner != nullptr) {
		slot_getallattrs(inner);
		memcpy(slot->tts_values + st->outer_width, inner->tts_values, sizeof(Datum) * st->inner_width);
		memcpy(slot->tts_isnull + st->outer_width, inner->tts_isnull, sizeof(bool) * st->inner_width);
	} else {
		memset(slot->tts_isnull + st->outer_width, true, sizeof(bool) * st->inner_width);
	}
	return ExecStoreVirtualTuple(slot);
}

// Growable palloc'd arrays of the batch (in batch_cxt).
template <typename T>
T *Grow(T *array, int *capacity, int needed) {
	if (needed <= *capacity) {
		return array;
	}
	int cap = Max(64, *capacity * 2);
	while (cap < needed) {
		cap *= 2;
	}
	T *out = static_cast<T *>(palloc(sizeof(T) * cap));
	if (array != nullptr && *capacity > 0) {
		memcpy(out, array, sizeof(T) * *capacity);
		pfree(array);
	}
	*capacity = cap;
	return out;
}

// Reads the next batch of outer rows and the inner rows matching their keys.
void LoadBatch(BatchJoinState *st) {
	ExprContext *econtext = st->css.ss.ps.ps_ExprContext;
	MemoryContextReset(st->batch_cxt);
	st->n_outer = 0;
	st->n_inner = 0;
	st->outer_rows = nullptr;
	st->inner_rows = nullptr;
	st->buckets = nullptr;
	int outer_cap = 0, null_cap = 0, hash_cap = 0, key_cap = 0;
	int n_keys = 0;
	Datum *keys = nullptr;
	uint32 *key_image_hashes = nullptr;
	int image_cap = 0;
	// Distinct keys by binary image (an open-addressing set of key indexes).
	int set_size = 1;
	while (set_size < st->batch_size * 2) {
		set_size <<= 1;
	}
	int *key_set = static_cast<int *>(MemoryContextAlloc(st->batch_cxt, sizeof(int) * set_size));
	for (int i = 0; i < set_size; ++i) {
		key_set[i] = -1;
	}
	Size memory_limit = static_cast<Size>(work_mem) * 1024L;

	while (n_keys < st->batch_size &&
	       (st->n_outer == 0 || MemoryContextMemAllocated(st->batch_cxt, true) < memory_limit)) {
		TupleTableSlot *slot = ExecProcNode(st->outer);
		if (TupIsNull(slot)) {
			st->outer_done = true;
			break;
		}
		ResetExprContext(econtext);
		econtext->ecxt_scantuple = Combine(st, slot, nullptr);
		bool is_null;
		Datum key = ExecEvalExprSwitchContext(st->outer_key, econtext, &is_null);

		MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);
		int i = st->n_outer++;
		st->outer_rows = Grow(st->outer_rows, &outer_cap, st->n_outer);
		st->outer_null = Grow(st->outer_null, &null_cap, st->n_outer);
		st->outer_hashes = Grow(st->outer_hashes, &hash_cap, st->n_outer);
		st->outer_rows[i] = ExecCopySlotMinimalTuple(slot);
		st->outer_null[i] = is_null;
		st->outer_hashes[i] = 0;
		if (!is_null) {
			st->outer_hashes[i] = DatumGetUInt32(FunctionCall1Coll(&st->outer_hash, st->collation, key));
			uint32 image = datum_image_hash(key, st->key_byval, st->key_len);
			int pos = static_cast<int>(image & static_cast<uint32>(set_size - 1));
			bool seen = false;
			while (key_set[pos] >= 0) {
				int k = key_set[pos];
				if (key_image_hashes[k] == image && datum_image_eq(keys[k], key, st->key_byval, st->key_len)) {
					seen = true;
					break;
				}
				pos = (pos + 1) & (set_size - 1);
			}
			if (!seen) {
				keys = Grow(keys, &key_cap, n_keys + 1);
				key_image_hashes = Grow(key_image_hashes, &image_cap, n_keys + 1);
				keys[n_keys] = datumCopy(key, st->key_byval, st->key_len);
				key_image_hashes[n_keys] = image;
				key_set[pos] = n_keys++;
			}
		}
		MemoryContextSwitchTo(old);
	}
	st->have_batch = st->n_outer > 0;
	if (n_keys == 0) {
		return; // nothing can match: no request
	}

	// One Kintone scan for the batch's keys.
	MemoryContext old = MemoryContextSwitchTo(st->batch_cxt);
	ArrayType *array = construct_array(keys, n_keys, st->key_type, st->key_len, st->key_byval, st->key_align);
	MemoryContextSwitchTo(old);
	ExecReScan(st->inner);
	SetScanBatchKeys(reinterpret_cast<ForeignScanState *>(st->inner), PointerGetDatum(array));
	st->batches += 1;
	st->keys_sent += n_keys;

	int inner_cap = 0, ihash_cap = 0;
	for (;;) {
		TupleTableSlot *slot = ExecProcNode(st->inner);
		if (TupIsNull(slot)) {
			break;
		}
		ResetExprContext(econtext);
		econtext->ecxt_scantuple = Combine(st, nullptr, slot);
		bool is_null;
		Datum key = ExecEvalExprSwitchContext(st->inner_key, econtext, &is_null);
		if (is_null) {
			continue;
		}
		uint32 hash = DatumGetUInt32(FunctionCall1Coll(&st->inner_hash, st->collation, key));
		old = MemoryContextSwitchTo(st->batch_cxt);
		int i = st->n_inner++;
		st->inner_rows = Grow(st->inner_rows, &inner_cap, st->n_inner);
		st->inner_hashes = Grow(st->inner_hashes, &ihash_cap, st->n_inner);
		st->inner_rows[i] = ExecCopySlotMinimalTuple(slot);
		st->inner_hashes[i] = hash;
		MemoryContextSwitchTo(old);
	}
	ResetExprContext(econtext);

	// Hash chains, built backwards so that each chain keeps Kintone's order.
	int nbuckets = 1;
	while (nbuckets < st->n_inner * 2) {
		nbuckets <<= 1;
	}
	st->bucket_mask = static_cast<uint32>(nbuckets - 1);
	st->buckets = static_cast<int *>(MemoryContextAlloc(st->batch_cxt, sizeof(int) * nbuckets));
	st->inner_next = static_cast<int *>(MemoryContextAlloc(st->batch_cxt, sizeof(int) * Max(st->n_inner, 1)));
	for (int b = 0; b < nbuckets; ++b) {
		st->buckets[b] = -1;
	}
	for (int i = st->n_inner - 1; i >= 0; --i) {
		uint32 b = st->inner_hashes[i] & st->bucket_mask;
		st->inner_next[i] = st->buckets[b];
		st->buckets[b] = i;
	}
}

// ExecScan's access method: the next combined row (joined or null-extended), before the
// plan's qual and projection, which ExecScan applies.
TupleTableSlot *BatchJoinNext(ScanState *node) {
	BatchJoinState *st = reinterpret_cast<BatchJoinState *>(node);
	ExprContext *econtext = node->ps.ps_ExprContext;
	for (;;) {
		if (!st->have_batch || st->current >= st->n_outer) {
			if (st->outer_done) {
				return ExecClearTuple(node->ss_ScanTupleSlot);
			}
			LoadBatch(st);
			st->current = 0;
			st->current_on = false;
			if (!st->have_batch) {
				return ExecClearTuple(node->ss_ScanTupleSlot);
			}
		}
		int cur = st->current;
		if (!st->current_on) {
			ExecStoreMinimalTuple(st->outer_rows[cur], st->outer_slot, false);
			st->matched = false;
			st->chain =
			    (st->outer_null[cur] || st->n_inner == 0) ? -1 : st->buckets[st->outer_hashes[cur] & st->bucket_mask];
			st->current_on = true;
		}
		while (st->chain >= 0) {
			int c = st->chain;
			st->chain = st->inner_next[c];
			if (st->inner_hashes[c] != st->outer_hashes[cur]) {
				continue;
			}
			ExecStoreMinimalTuple(st->inner_rows[c], st->inner_slot, false);
			ResetExprContext(econtext);
			econtext->ecxt_scantuple = Combine(st, st->outer_slot, st->inner_slot);
			if (!ExecQual(st->joinqual, econtext)) {
				continue;
			}
			st->matched = true;
			if (st->jointype == JOIN_ANTI) {
				st->chain = -1;
				break;
			}
			if (st->single_match) {
				st->chain = -1;
			}
			return econtext->ecxt_scantuple;
		}
		// This outer row is done.
		st->current_on = false;
		st->current++;
		if (!st->matched && (st->jointype == JOIN_LEFT || st->jointype == JOIN_ANTI)) {
			return Combine(st, st->outer_slot, nullptr);
		}
	}
}

bool BatchJoinRecheck(ScanState *, TupleTableSlot *) {
	return true; // never under EvalPlanQual (see NoRecheck)
}

void BeginBatchJoin(CustomScanState *node, EState *estate, int eflags) {
	BatchJoinState *st = reinterpret_cast<BatchJoinState *>(node);
	CustomScan *cscan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
	List *priv = cscan->custom_private;
	st->batch_size = intVal(list_nth(priv, kCpBatchSize));
	st->jointype = static_cast<JoinType>(intVal(list_nth(priv, kCpJoinType)));
	st->single_match = intVal(list_nth(priv, kCpSingleMatch)) != 0;
	st->key_type = static_cast<Oid>(intVal(list_nth(priv, kCpKeyType)));
	get_typlenbyvalalign(st->key_type, &st->key_len, &st->key_byval, &st->key_align);
	st->collation = static_cast<Oid>(intVal(list_nth(priv, kCpCollation)));
	fmgr_info(static_cast<Oid>(intVal(list_nth(priv, kCpOuterHash))), &st->outer_hash);
	fmgr_info(static_cast<Oid>(intVal(list_nth(priv, kCpInnerHash))), &st->inner_hash);
	st->outer_width = intVal(list_nth(priv, kCpOuterWidth));
	st->inner_width = list_length(cscan->custom_scan_tlist) - st->outer_width;

	st->outer = ExecInitNode(static_cast<Plan *>(linitial(cscan->custom_plans)), estate, eflags);
	st->inner = ExecInitNode(static_cast<Plan *>(lsecond(cscan->custom_plans)), estate, eflags);
	if (!IsA(st->inner, ForeignScanState)) {
		elog(ERROR, "kintone_fdw: the inner plan of a batched join is not a foreign scan");
	}
	node->custom_ps = list_make2(st->outer, st->inner);

	PlanState *ps = &node->ss.ps;
	st->outer_key = ExecInitExpr(static_cast<Expr *>(linitial(cscan->custom_exprs)), ps);
	st->inner_key = ExecInitExpr(static_cast<Expr *>(lsecond(cscan->custom_exprs)), ps);
	st->joinqual = ExecInitQual(list_copy_tail(cscan->custom_exprs, 2), ps);
	st->outer_slot = ExecInitExtraTupleSlot(estate, ExecGetResultType(st->outer), &TTSOpsMinimalTuple);
	st->inner_slot = ExecInitExtraTupleSlot(estate, ExecGetResultType(st->inner), &TTSOpsMinimalTuple);
	st->batch_cxt = AllocSetContextCreate(estate->es_query_cxt, "kintone_fdw batched join", ALLOCSET_DEFAULT_SIZES);
	if (st->outer_slot->tts_tupleDescriptor->natts != st->outer_width ||
	    st->inner_slot->tts_tupleDescriptor->natts != st->inner_width) {
		elog(ERROR, "kintone_fdw: unexpected row shape in a batched join");
	}
}

TupleTableSlot *ExecBatchJoin(CustomScanState *node) {
	return ExecScan(&node->ss, BatchJoinNext, BatchJoinRecheck);
}

void EndBatchJoin(CustomScanState *node) {
	BatchJoinState *st = reinterpret_cast<BatchJoinState *>(node);
	ExecEndNode(st->outer);
	ExecEndNode(st->inner);
}

void ResetBatch(BatchJoinState *st) {
	MemoryContextReset(st->batch_cxt);
	st->have_batch = false;
	st->outer_done = false;
	st->n_outer = 0;
	st->n_inner = 0;
	st->current = 0;
	st->current_on = false;
	st->chain = -1;
}

void ReScanBatchJoin(CustomScanState *node) {
	BatchJoinState *st = reinterpret_cast<BatchJoinState *>(node);
	ResetBatch(st);
	if (node->ss.ps.chgParam != nullptr) {
		UpdateChangedParamSet(st->outer, node->ss.ps.chgParam);
		UpdateChangedParamSet(st->inner, node->ss.ps.chgParam);
	}
	ExecReScan(st->outer); // the inner side is rescanned for each batch
}

void ExplainBatchJoin(CustomScanState *node, List *ancestors, ExplainState *es) {
	BatchJoinState *st = reinterpret_cast<BatchJoinState *>(node);
	CustomScan *cscan = reinterpret_cast<CustomScan *>(node->ss.ps.plan);
	if (es->verbose) {
		List *context = set_deparse_context_plan(es->deparse_cxt, node->ss.ps.plan, ancestors);
		char *outer_key = deparse_expression(static_cast<Node *>(linitial(cscan->custom_exprs)), context, true, true);
		ExplainPropertyText("Kintone join key", outer_key, es);
		List *joinclauses = list_copy_tail(cscan->custom_exprs, 2);
		if (joinclauses != NIL) {
			Node *clause = reinterpret_cast<Node *>(make_ands_explicit(joinclauses));
			ExplainPropertyText("Join Filter", deparse_expression(clause, context, true, false), es);
		}
	}
	switch (st->jointype) {
	case JOIN_LEFT:
		ExplainPropertyText("Join Type", "Left", es);
		break;
	case JOIN_SEMI:
		ExplainPropertyText("Join Type", "Semi", es);
		break;
	case JOIN_ANTI:
		ExplainPropertyText("Join Type", "Anti", es);
		break;
	default:
		break;
	}
	ExplainPropertyInteger("Kintone batch size", nullptr, intVal(list_nth(cscan->custom_private, kCpBatchSize)), es);
	if (es->analyze) {
		ExplainPropertyInteger("Kintone batches", nullptr, st->batches, es);
		ExplainPropertyInteger("Kintone keys sent", nullptr, st->keys_sent, es);
	}
}

const CustomExecMethods kExecMethods = {
    kName,
    BeginBatchJoin,
    ExecBatchJoin,
    EndBatchJoin,
    ReScanBatchJoin,
    nullptr, // MarkPosCustomScan
    nullptr, // RestrPosCustomScan
    nullptr, // EstimateDSMCustomScan
    nullptr, // InitializeDSMCustomScan
    nullptr, // ReInitializeDSMCustomScan
    nullptr, // InitializeWorkerCustomScan
    nullptr, // ShutdownCustomScan
    ExplainBatchJoin,
};

Node *CreateBatchJoinState(CustomScan *cscan) {
	(void)cscan;
	BatchJoinState *st = static_cast<BatchJoinState *>(palloc0(sizeof(BatchJoinState)));
	NodeSetTag(st, T_CustomScanState);
	st->css.methods = &kExecMethods;
	st->chain = -1;
	return reinterpret_cast<Node *>(st);
}

} // namespace

void RegisterBatchJoin() {
	previous_hook = set_join_pathlist_hook;
	set_join_pathlist_hook = BatchJoinHook;
	RegisterCustomScanMethods(&kScanMethods);
}

} // namespace kintone_fdw
