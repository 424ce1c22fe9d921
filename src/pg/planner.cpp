// Planning: which conditions, which order, which LIMIT/OFFSET and whether count(*) go to
// Kintone, and the plan data the executor needs (see planner.hpp).
//
// No request is made at planning time when every column involved carries the column option
// field_type (IMPORT FOREIGN SCHEMA sets it); otherwise the app's form is read once per
// backend and cached. Row estimates come from ANALYZE (pg_class.reltuples) or a default.
#include "pg/planner.hpp"

#include "kintone/error.hpp"
#include "kintone/pager.hpp"
#include "kintone/schema.hpp"
#include "pg/connection.hpp"
#include "pg/deparse.hpp"
#include "pg/guard.hpp"
#include "pg/object_table.hpp"
#include "pg/table.hpp"

extern "C" {
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/lsyscache.h"
#include "utils/fmgroids.h"
#include "utils/selfuncs.h"
#include "utils/typcache.h"
}

#include <map>
#include <memory>
#include <tuple>

namespace kintone_fdw {

namespace {

constexpr double kDefaultRows = 1000.0;
constexpr long long kMaxOffset = 10000;

// C++ planning state of one foreign table, owned by the planner's memory context.
struct PlanCpp {
	TableDef def;
	std::vector<std::vector<std::string>> options; // per column
	std::vector<std::string> calc_formats;         // per column
};

void DeletePlanCpp(void *arg) noexcept {
	delete static_cast<PlanCpp *>(arg);
}

// Forms read at planning time, per backend, keyed by server, user, app and guest space.
using FormKey = std::tuple<unsigned, unsigned, long long, long long>;
std::map<FormKey, kintone::FormInfo> *form_cache = nullptr;

} // namespace

const kintone::FormInfo &CachedForm(const TableDef &def) {
	if (form_cache == nullptr) {
		form_cache = new std::map<FormKey, kintone::FormInfo>();
	}
	FormKey key{def.conn.server_oid, def.conn.user_oid, def.app, def.guest_space_id};
	auto it = form_cache->find(key);
	if (it == form_cache->end()) {
		kintone::Session &session = GetSession(def.conn);
		it = form_cache->emplace(key, kintone::FetchForm(session, def.app, def.guest_space_id)).first;
	}
	return it->second;
}

namespace {

kintone::FieldType SystemFieldType(const std::string &code) {
	if (code == "$id") {
		return kintone::FieldType::kId;
	}
	if (code == "$revision") {
		return kintone::FieldType::kRevision;
	}
	return kintone::FieldType::kUnknown;
}

enum class RelKind { kScan, kCount, kOrdered, kFinal };

// Planner-side facts of a foreign relation (base or upper), in planner memory.
struct FdwRelInfo {
	RelKind kind;
	FdwRelInfo *base; // the scan this upper relation is built on
	Oid relid;
	PlanColumns cols;
	List *exact_conds;    // RestrictInfos Kintone evaluates exactly
	List *superset_conds; // pushed, and kept as local filters
	List *local_conds;    // not pushed (includes superset_conds)
	char *condition;      // Kintone condition template of all pushed conds
	List *param_exprs;
	List *param_leaves;
	char *order_by; // ordered/final: pushed order
	List *pathkeys;
	long long limit; // final: -1 = none
	long long offset;
	double rows;
	double remote_rows; // use_remote_estimate: records matching the pushed conditions, else -1
	long long app;
	long long guest;
	int join_batch_size;
	bool no_cursor; // OAuth: Kintone refuses the cursor API, so only $id order is pushed
};

// Reads the table, decides each column's Kintone field type, and classifies the quals.
FdwRelInfo *MakeScanInfo(PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Oid userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	RawTable *raw = ReadRawTable(relid, userid);

	FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
	info->kind = RelKind::kScan;
	info->relid = relid;
	info->cols.count = raw->ncolumns;
	info->cols.columns = static_cast<PlanColumn *>(palloc0(sizeof(PlanColumn) * (raw->ncolumns + 1)));
	info->cols.relid = baserel->relid;
	info->limit = -1;

	// The C++ state is owned by the planner's memory context: freed with it, on error too.
	MemoryContextCallback *callback = static_cast<MemoryContextCallback *>(palloc0(sizeof(MemoryContextCallback)));
	callback->func = DeletePlanCpp;
	PlanCpp *cpp = Guard([&]() { return new PlanCpp(); });
	callback->arg = cpp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, callback);

	// Which columns can pushdown involve (conditions, order keys)? Only those need a field
	// type; the target list needs none, so "SELECT *" alone never reads the form.
	Bitmapset *used = nullptr;
	ListCell *cell;
	foreach (cell, baserel->baserestrictinfo) {
		pull_varattnos(reinterpret_cast<Node *>(static_cast<RestrictInfo *>(lfirst(cell))->clause), baserel->relid,
		               &used);
	}
	// So may join clauses (parameterized scans, batched joins): their own and those of
	// equivalence classes that join this table to another.
	foreach (cell, baserel->joininfo) {
		pull_varattnos(reinterpret_cast<Node *>(static_cast<RestrictInfo *>(lfirst(cell))->clause), baserel->relid,
		               &used);
	}
	if (baserel->has_eclass_joins) {
		foreach (cell, root->eq_classes) {
			EquivalenceClass *ec = static_cast<EquivalenceClass *>(lfirst(cell));
			if (ec->ec_has_const || !bms_is_member(baserel->relid, ec->ec_relids) ||
			    bms_num_members(ec->ec_relids) < 2) {
				continue;
			}
			ListCell *mc;
			foreach (mc, ec->ec_members) {
				pull_varattnos(reinterpret_cast<Node *>(static_cast<EquivalenceMember *>(lfirst(mc))->em_expr),
				               baserel->relid, &used);
			}
		}
	}
	if (root->query_pathkeys != NIL) {
		// Order keys may name columns the target list does not.
		foreach (cell, root->query_pathkeys) {
			PathKey *pk = static_cast<PathKey *>(lfirst(cell));
			ListCell *mc;
			foreach (mc, pk->pk_eclass->ec_members) {
				pull_varattnos(reinterpret_cast<Node *>(static_cast<EquivalenceMember *>(lfirst(mc))->em_expr),
				               baserel->relid, &used);
			}
		}
	}
	bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, used);
	bool *wanted = static_cast<bool *>(palloc0(sizeof(bool) * (raw->ncolumns + 1)));
	for (int i = 0; i < raw->ncolumns; ++i) {
		wanted[i] = whole_row || bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, used);
	}

	Guard([&]() {
		cpp->def = MakeTableDef(*raw);
		info->app = cpp->def.app;
		info->guest = cpp->def.guest_space_id;
		info->join_batch_size = cpp->def.join_batch_size;
		info->no_cursor = cpp->def.conn.oauth;
		size_t n = cpp->def.columns.size();
		cpp->options.resize(n);
		cpp->calc_formats.resize(n);
		const kintone::FormInfo *form = nullptr;
		for (size_t i = 0; i < n; ++i) {
			const ColumnDef &col = cpp->def.columns[i];
			PlanColumn &pc = info->cols.columns[i];
			if (col.dropped) {
				continue;
			}
			pc.field_code = col.field_code.c_str();
			pc.pg_type = col.type;
			pc.calc_format = cpp->calc_formats[i].c_str();
			kintone::FieldType type = SystemFieldType(col.field_code);
			if (type == kintone::FieldType::kUnknown && !col.field_type.empty()) {
				type = kintone::FieldTypeFromName(col.field_type);
			}
			bool need_form =
			    wanted[i] && (type == kintone::FieldType::kUnknown || type == kintone::FieldType::kCalc ||
			                  type == kintone::FieldType::kDropDown || type == kintone::FieldType::kRadioButton ||
			                  type == kintone::FieldType::kCheckBox || type == kintone::FieldType::kMultiSelect);
			if (need_form) {
				if (form == nullptr) {
					form = &CachedForm(cpp->def);
				}
				const kintone::FieldInfo *field = form->Find(col.field_code);
				if (field != nullptr && field->subtable.empty()) {
					type = field->type;
					cpp->calc_formats[i] = field->calc_format;
					pc.calc_format = cpp->calc_formats[i].c_str();
					if (!field->options.empty()) {
						cpp->options[i] = field->options;
						pc.options = &cpp->options[i];
					}
				}
			}
			pc.field_type = type;
		}
	});

	// Classify the quals. Each is pushed whole or not at all.
	StringInfoData cond;
	initStringInfo(&cond);
	foreach (cell, baserel->baserestrictinfo) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		StringInfoData one;
		initStringInfo(&one);
		DeparseResult r = DeparseQual(&info->cols, rinfo->clause, &one, &info->param_exprs, &info->param_leaves);
		if (r.pushed) {
			if (cond.len > 0) {
				appendStringInfoString(&cond, " and ");
			}
			appendStringInfoString(&cond, one.data);
		}
		if (r.pushed && r.exact) {
			info->exact_conds = lappend(info->exact_conds, rinfo);
		} else {
			if (r.pushed) {
				info->superset_conds = lappend(info->superset_conds, rinfo);
			}
			info->local_conds = lappend(info->local_conds, rinfo);
		}
	}
	info->condition = cond.data;

	// use_remote_estimate: one totalCount request with the pushed conditions (values known only
	// at execution count as "always true").
	info->remote_rows = -1;
	if (cpp->def.use_remote_estimate) {
		char *condition = FillPlaceholders(info->condition, nullptr, 0);
		info->remote_rows = Guard([&]() {
			kintone::Session &session = GetSession(cpp->def.conn);
			return static_cast<double>(
			    kintone::CountRecords(session, cpp->def.app, condition, cpp->def.guest_space_id));
		});
	}
	return info;
}

// "code asc|desc" for each query pathkey Kintone can sort by, ending with "$id" as a
// tie-breaker; nullptr when any key cannot be pushed.
char *DeparseOrderBy(PlannerInfo *root, RelOptInfo *rel, const FdwRelInfo *info, List *pathkeys) {
	if (pathkeys == NIL) {
		return nullptr;
	}
	StringInfoData buf;
	initStringInfo(&buf);
	bool ends_with_id = false;
	ListCell *cell;
	foreach (cell, pathkeys) {
		PathKey *pk = static_cast<PathKey *>(lfirst(cell));
		if (pk->pk_eclass->ec_has_volatile) {
			return nullptr;
		}
		const PlanColumn *col = nullptr;
		ListCell *mc;
		foreach (mc, pk->pk_eclass->ec_members) {
			EquivalenceMember *em = static_cast<EquivalenceMember *>(lfirst(mc));
			Expr *e = em->em_expr;
			while (e != nullptr && IsA(e, RelabelType)) {
				e = reinterpret_cast<RelabelType *>(e)->arg;
			}
			if (e != nullptr && IsA(e, Var)) {
				Var *var = reinterpret_cast<Var *>(e);
				if (var->varno == static_cast<int>(rel->relid) && var->varlevelsup == 0 && var->varattno > 0 &&
				    var->varattno <= info->cols.count) {
					col = &info->cols.columns[var->varattno - 1];
					break;
				}
			}
		}
		if (col == nullptr || col->field_code == nullptr || !SortPushable(col->field_type, col->pg_type)) {
			return nullptr;
		}
		// The sort operator must be the type's default btree order.
		TypeCacheEntry *tce = lookup_type_cache(col->pg_type, TYPECACHE_BTREE_OPFAMILY);
		if (pk->pk_opfamily != tce->btree_opf) {
			return nullptr;
		}
		if (ends_with_id) {
			continue; // $id is unique: later keys cannot change the order
		}
		if (buf.len > 0) {
			appendStringInfoString(&buf, ", ");
		}
		bool desc = pk->pk_strategy == BTGreaterStrategyNumber;
		appendStringInfo(&buf, "%s %s", col->field_code, desc ? "desc" : "asc");
		ends_with_id = col->field_type == kintone::FieldType::kId;
	}
	if (!ends_with_id) {
		appendStringInfoString(&buf, ", $id asc");
	}
	(void)root;
	return buf.data;
}

double Selectivity(PlannerInfo *root, RelOptInfo *baserel, List *conds) {
	return clauselist_selectivity(root, conds, baserel->relid, JOIN_INNER, nullptr);
}

void EstimateCosts(double rows, double fetched, bool ordered, Cost *startup, Cost *total) {
	double pages = fetched / kPageRows;
	if (pages < 1) {
		pages = 1;
	}
	*startup = kRequestCost + (ordered ? kRequestCost : 0);
	*total = *startup + pages * kRequestCost + fetched * cpu_tuple_cost + rows * cpu_operator_cost;
}

// Decides the paging strategy for an order and a pushed-down window.
kintone::PagingStrategy ChooseStrategy(const char *order_by, long long limit, long long offset) {
	if (order_by == nullptr || order_by[0] == '\0' || strcmp(order_by, "$id asc") == 0) {
		return kintone::PagingStrategy::kSeek;
	}
	if (limit >= 0) {
		long long last_page_offset = offset + ((limit + 499) / 500 - 1) * 500;
		if (limit == 0 || last_page_offset <= kMaxOffset) {
			return kintone::PagingStrategy::kOffset;
		}
	}
	return kintone::PagingStrategy::kCursor;
}

List *RetrievedAttrs(PlannerInfo *root, RelOptInfo *baserel, const FdwRelInfo *info, List *local_conds) {
	(void)root;
	Bitmapset *attrs = nullptr;
	pull_varattnos(reinterpret_cast<Node *>(baserel->reltarget->exprs), baserel->relid, &attrs);
	ListCell *cell;
	foreach (cell, local_conds) {
		pull_varattnos(reinterpret_cast<Node *>(static_cast<RestrictInfo *>(lfirst(cell))->clause), baserel->relid,
		               &attrs);
	}
	bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, attrs);
	List *out = NIL;
	for (int attnum = 1; attnum <= info->cols.count; ++attnum) {
		if (info->cols.columns[attnum - 1].field_code == nullptr) {
			continue;
		}
		if (whole_row || bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs)) {
			out = lappend_int(out, attnum);
		}
	}
	return out;
}

char *Int64Text(long long v) {
	return psprintf("%lld", v);
}

} // namespace

extern "C" void kintoneGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid) {
	FdwRelInfo *info = MakeScanInfo(root, baserel, foreigntableid);
	baserel->fdw_private = info;
	if (info->remote_rows >= 0) {
		// Kintone counted the pushed conditions; the rest are estimated locally.
		List *local_only = NIL;
		ListCell *cell;
		foreach (cell, info->local_conds) {
			if (!list_member_ptr(info->superset_conds, lfirst(cell))) {
				local_only = lappend(local_only, lfirst(cell));
			}
		}
		double selectivity = Selectivity(root, baserel, extract_actual_clauses(local_only, false));
		baserel->rows = clamp_row_est(info->remote_rows * selectivity);
		if (baserel->tuples <= 0) {
			baserel->tuples = info->remote_rows;
		}
	} else {
		double tuples = baserel->tuples > 0 ? baserel->tuples : kDefaultRows;
		double selectivity = Selectivity(root, baserel, extract_actual_clauses(baserel->baserestrictinfo, false));
		baserel->rows = clamp_row_est(tuples * selectivity);
	}
	info->rows = baserel->rows;
}

namespace {

// Matches the equivalence-class member that is column *arg (an attnum) of the foreign table.
bool MemberIsColumn(PlannerInfo *, RelOptInfo *rel, EquivalenceClass *, EquivalenceMember *em, void *arg) {
	Expr *e = em->em_expr;
	while (e != nullptr && IsA(e, RelabelType)) {
		e = reinterpret_cast<RelabelType *>(e)->arg;
	}
	return e != nullptr && IsA(e, Var) && reinterpret_cast<Var *>(e)->varno == static_cast<int>(rel->relid) &&
	       reinterpret_cast<Var *>(e)->varattno == *static_cast<int *>(arg);
}

// Join clauses that could filter this table by the other side's value: the table's own join
// clauses and those of equivalence classes (a plain JOIN ... ON ft.x = t.y lives there).
List *CandidateJoinClauses(PlannerInfo *root, RelOptInfo *baserel, const FdwRelInfo *info) {
	List *out = list_copy(baserel->joininfo);
	if (baserel->has_eclass_joins) {
		for (int attnum = 1; attnum <= info->cols.count; ++attnum) {
			if (info->cols.columns[attnum - 1].field_code == nullptr) {
				continue;
			}
			out = list_concat(out, generate_implied_equalities_for_column(root, baserel, MemberIsColumn, &attnum,
			                                                              baserel->lateral_referencers));
		}
	}
	return out;
}

// Parameterized paths: for a join clause "column = value of another relation" that Kintone can
// evaluate, each rescan of this table (the inner side of a nested loop) asks Kintone only for
// the records matching the outer row instead of reading the whole app.
void AddParameterizedPaths(PlannerInfo *root, RelOptInfo *baserel, FdwRelInfo *info) {
	ListCell *cell;
	foreach (cell, CandidateJoinClauses(root, baserel, info)) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		if (!join_clause_is_movable_to(rinfo, baserel)) {
			continue;
		}
		Relids required = bms_difference(rinfo->clause_relids, baserel->relids);
		if (bms_is_empty(required) || bms_overlap(required, baserel->lateral_relids)) {
			continue;
		}
		StringInfoData probe;
		initStringInfo(&probe);
		List *exprs = NIL;
		List *leaves = NIL;
		if (!DeparseQual(&info->cols, rinfo->clause, &probe, &exprs, &leaves, true).pushed) {
			continue;
		}
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, required);
		Cost startup, total;
		EstimateCosts(ppi->ppi_rows, ppi->ppi_rows, false, &startup, &total);
		add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(
		                      root, baserel, nullptr, ppi->ppi_rows, startup, total, NIL, required, nullptr, NIL)));
	}
}

} // namespace

ForeignPath *MakeBatchInnerPath(PlannerInfo *root, RelOptInfo *rel, Expr *clause, Expr *inner_key, Oid key_type,
                                int *batch_size, bool *unique_key) {
	if (rel->reloptkind != RELOPT_BASEREL || rel->fdwroutine == nullptr || !IsRecordsRel(root, rel) ||
	    rel->fdw_private == nullptr) {
		return nullptr;
	}
	FdwRelInfo *info = static_cast<FdwRelInfo *>(rel->fdw_private);
	if (info->kind != RelKind::kScan || info->join_batch_size <= 0) {
		return nullptr;
	}
	while (inner_key != nullptr && IsA(inner_key, RelabelType)) {
		inner_key = reinterpret_cast<RelabelType *>(inner_key)->arg;
	}
	if (inner_key == nullptr || !IsA(inner_key, Var)) {
		return nullptr;
	}
	Var *var = reinterpret_cast<Var *>(inner_key);
	if (var->varno != static_cast<int>(rel->relid) || var->varlevelsup != 0 || var->varattno <= 0 ||
	    var->varattno > info->cols.count || !InListPushable(info->cols.columns[var->varattno - 1])) {
		return nullptr;
	}
	// The same rules as a parameterized scan's "=" (exact or superset, never a subset).
	StringInfoData probe;
	initStringInfo(&probe);
	List *exprs = NIL;
	List *leaves = NIL;
	if (!DeparseQual(&info->cols, clause, &probe, &exprs, &leaves, true).pushed || list_length(exprs) != 1) {
		return nullptr;
	}
	*batch_size = info->join_batch_size;
	*unique_key = info->cols.columns[var->varattno - 1].field_type == kintone::FieldType::kId;
	List *priv =
	    list_make3(makeString(pstrdup("")), makeInteger(var->varattno), makeInteger(static_cast<int>(key_type)));
	return create_foreignscan_path(root, rel, nullptr, rel->rows, kRequestCost, kRequestCost, NIL, nullptr, nullptr,
	                               priv);
}

extern "C" void kintoneGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid) {
	(void)foreigntableid;
	FdwRelInfo *info = static_cast<FdwRelInfo *>(baserel->fdw_private);
	double tuples = baserel->tuples > 0 ? baserel->tuples : kDefaultRows;
	double fetched = clamp_row_est(
	    tuples * Selectivity(root, baserel,
	                         extract_actual_clauses(list_concat_copy(info->exact_conds, info->superset_conds), false)));
	Cost startup, total;
	EstimateCosts(baserel->rows, fetched, false, &startup, &total);
	add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(root, baserel, nullptr, baserel->rows, startup,
	                                                                   total, NIL, nullptr, nullptr, NIL)));

	// A path ordered as the query wants, when Kintone can produce that order.
	char *order_by = DeparseOrderBy(root, baserel, info, root->query_pathkeys);
	if (order_by != nullptr && info->no_cursor && strcmp(order_by, "$id asc") != 0) {
		order_by = nullptr; // under OAuth another order would need a cursor: sort locally
	}
	if (order_by != nullptr) {
		EstimateCosts(baserel->rows, fetched, strcmp(order_by, "$id asc") != 0, &startup, &total);
		List *priv = list_make1(makeString(order_by));
		add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(root, baserel, nullptr, baserel->rows,
		                                                                   startup, total + 1, root->query_pathkeys,
		                                                                   nullptr, nullptr, priv)));
	}
	AddParameterizedPaths(root, baserel, info);
}

// count(*) (GROUP_AGG), ORDER BY (ORDERED) and LIMIT/OFFSET (FINAL) on a single foreign table.
extern "C" void kintoneGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                                            RelOptInfo *output_rel, void *extra) {
	FdwRelInfo *in = static_cast<FdwRelInfo *>(input_rel->fdw_private);
	if (in == nullptr || output_rel->fdw_private != nullptr) {
		return;
	}
	Query *parse = root->parse;
	FdwRelInfo *base = in->kind == RelKind::kScan ? in : in->base;
	if (base == nullptr || base->local_conds != NIL || parse->hasTargetSRFs || parse->rowMarks != NIL ||
	    parse->commandType != CMD_SELECT) {
		return;
	}

	if (stage == UPPERREL_GROUP_AGG && in->kind == RelKind::kScan) {
		// SELECT count(*) FROM t [WHERE …]: one request with totalCount.
		if (parse->groupClause != NIL || parse->groupingSets != NIL || parse->havingQual != nullptr ||
		    parse->hasWindowFuncs || parse->distinctClause != NIL) {
			return;
		}
		PathTarget *target = root->upper_targets[UPPERREL_GROUP_AGG];
		if (list_length(target->exprs) != 1 || !IsA(linitial(target->exprs), Aggref)) {
			return;
		}
		Aggref *agg = static_cast<Aggref *>(linitial(target->exprs));
		// count(*): no arguments, no filter, no DISTINCT/ORDER BY, plain aggregation.
		if (agg->aggfnoid != F_COUNT_ || agg->aggstar != true || agg->aggfilter != nullptr || agg->aggdistinct != NIL ||
		    agg->aggorder != NIL || agg->aggsplit != AGGSPLIT_SIMPLE) {
			return;
		}
		FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
		*info = *base;
		info->kind = RelKind::kCount;
		info->base = base;
		output_rel->fdw_private = info;
		Cost startup = kRequestCost, total = kRequestCost + cpu_tuple_cost;
		add_path(output_rel,
		         reinterpret_cast<Path *>(create_foreign_upper_path(root, output_rel, target, 1, startup, total, NIL,
		                                                            nullptr, list_make1(makeInteger(1)))));
		return;
	}

	if (stage == UPPERREL_ORDERED && in->kind == RelKind::kScan) {
		char *order_by = DeparseOrderBy(root, input_rel, base, root->sort_pathkeys);
		if (order_by == nullptr || (base->no_cursor && strcmp(order_by, "$id asc") != 0)) {
			return; // under OAuth another order would need a cursor: sort locally
		}
		FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
		*info = *base;
		info->kind = RelKind::kOrdered;
		info->base = base;
		info->order_by = order_by;
		info->pathkeys = root->sort_pathkeys;
		output_rel->fdw_private = info;
		Cost startup, total;
		EstimateCosts(base->rows, base->rows, strcmp(order_by, "$id asc") != 0, &startup, &total);
		add_path(output_rel, reinterpret_cast<Path *>(create_foreign_upper_path(
		                         root, output_rel, root->upper_targets[UPPERREL_ORDERED], base->rows, startup, total,
		                         root->sort_pathkeys, nullptr, list_make1(makeString(order_by)))));
		return;
	}

	if (stage == UPPERREL_FINAL && (in->kind == RelKind::kScan || in->kind == RelKind::kOrdered)) {
		FinalPathExtraData *fextra = static_cast<FinalPathExtraData *>(extra);
		if (!fextra->limit_needed || parse->limitCount == nullptr || !IsA(parse->limitCount, Const) ||
		    (parse->limitOffset != nullptr && !IsA(parse->limitOffset, Const)) ||
		    parse->limitOption == LIMIT_OPTION_WITH_TIES) {
			return;
		}
		// An ORDER BY must have gone to Kintone whole.
		if (root->sort_pathkeys != NIL && in->kind != RelKind::kOrdered) {
			return;
		}
		if (parse->distinctClause != NIL || parse->groupClause != NIL || parse->hasAggs || parse->hasWindowFuncs) {
			return;
		}
		Const *count = reinterpret_cast<Const *>(parse->limitCount);
		if (count->constisnull) {
			return; // LIMIT NULL: no limit
		}
		long long limit = DatumGetInt64(count->constvalue);
		long long offset = 0;
		if (parse->limitOffset != nullptr) {
			Const *off = reinterpret_cast<Const *>(parse->limitOffset);
			offset = off->constisnull ? 0 : DatumGetInt64(off->constvalue);
		}
		if (limit < 0 || offset < 0 || offset > kMaxOffset) {
			return;
		}
		const char *order_by = in->kind == RelKind::kOrdered ? in->order_by : "";
		if (ChooseStrategy(order_by, limit, offset) == kintone::PagingStrategy::kCursor) {
			return; // a cursor cannot skip rows: keep LIMIT/OFFSET local
		}
		FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
		*info = *in;
		info->kind = RelKind::kFinal;
		info->base = base;
		info->limit = limit;
		info->offset = offset;
		output_rel->fdw_private = info;
		double rows = Min(static_cast<double>(limit), base->rows);
		// Cheaper than a local Limit over the same scan, which PostgreSQL would cost as the
		// scan's startup plus the fraction of its run time for limit + offset rows.
		Cost startup, total;
		EstimateCosts(base->rows, base->rows, order_by[0] != '\0' && strcmp(order_by, "$id asc") != 0, &startup,
		              &total);
		// Kintone skips the offset rows itself: only the limit's rows are transferred.
		double fraction = base->rows > 0 ? Min(1.0, rows / base->rows) : 1.0;
		total = startup + fraction * (total - startup) - 1;
		startup -= 1;
		List *pathkeys = in->kind == RelKind::kOrdered ? in->pathkeys : NIL;
		add_path(output_rel, reinterpret_cast<Path *>(create_foreign_upper_path(
		                         root, output_rel, root->upper_targets[UPPERREL_FINAL], rows, startup, total, pathkeys,
		                         nullptr, list_make2(makeString(Int64Text(limit)), makeString(Int64Text(offset))))));
	}
}

extern "C" ForeignScan *kintoneGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel, Oid foreigntableid,
                                              ForeignPath *best_path, List *tlist, List *scan_clauses,
                                              Plan *outer_plan) {
	(void)foreigntableid;
	FdwRelInfo *info = static_cast<FdwRelInfo *>(foreignrel->fdw_private);
	FdwRelInfo *base = info->kind == RelKind::kScan ? info : info->base;
	RelOptInfo *baserel = root->simple_rel_array[base->cols.relid];

	const char *order_by = "";
	long long limit = -1, offset = 0;
	bool count_only = info->kind == RelKind::kCount;
	// A batched join's inner scan: fdw_private is (order_by, key attnum, key type).
	bool batch = info->kind == RelKind::kScan && list_length(best_path->fdw_private) == 3;
	if (info->kind == RelKind::kScan && best_path->fdw_private != NIL) {
		order_by = strVal(linitial(best_path->fdw_private));
	} else if (info->kind == RelKind::kOrdered) {
		order_by = info->order_by;
	} else if (info->kind == RelKind::kFinal) {
		order_by = info->order_by != nullptr ? info->order_by : "";
		limit = info->limit;
		offset = info->offset;
	}

	// A parameterized scan adds its join clauses (values from the outer side) to the condition.
	char *condition = base->condition;
	List *param_exprs = base->param_exprs;
	List *param_leaves = base->param_leaves;
	if (info->kind == RelKind::kScan && best_path->path.param_info != nullptr) {
		StringInfoData cond;
		initStringInfo(&cond);
		appendStringInfoString(&cond, base->condition);
		param_exprs = list_copy(base->param_exprs);
		param_leaves = list_copy(base->param_leaves);
		ListCell *pc;
		foreach (pc, best_path->path.param_info->ppi_clauses) {
			RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(pc));
			StringInfoData one;
			initStringInfo(&one);
			if (DeparseQual(&base->cols, rinfo->clause, &one, &param_exprs, &param_leaves, true).pushed) {
				appendStringInfo(&cond, "%s%s", cond.len > 0 ? " and " : "", one.data);
			}
		}
		condition = cond.data;
	}
	if (batch) {
		// "code in (keys)": the last leaf, with no expression; the batched join hands the scan
		// its keys before each execution (SetScanBatchKeys).
		int attnum = intVal(lsecond(best_path->fdw_private));
		Oid key_type = static_cast<Oid>(intVal(lthird(best_path->fdw_private)));
		const PlanColumn &col = base->cols.columns[attnum - 1];
		param_leaves =
		    lappend(list_copy(param_leaves),
		            list_make4(makeString(pstrdup(col.field_code)), makeInteger(static_cast<int>(col.field_type)),
		                       makeString(pstrdup("in")), makeInteger(static_cast<int>(key_type))));
		condition =
		    psprintf("%s%s\x01%d\x01", condition, condition[0] != '\0' ? " and " : "", list_length(param_leaves) - 1);
	}

	Index scan_relid;
	List *local_exprs;
	List *fdw_scan_tlist = NIL;
	List *attrs;
	if (info->kind == RelKind::kScan) {
		scan_relid = foreignrel->relid;
		// Exactly pushed quals are dropped; the rest stay as the scan's filter.
		List *local = NIL;
		ListCell *cell;
		foreach (cell, scan_clauses) {
			RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
			if (!list_member_ptr(base->exact_conds, rinfo)) {
				local = lappend(local, rinfo);
			}
		}
		local_exprs = extract_actual_clauses(local, false);
		attrs = RetrievedAttrs(root, baserel, base, local);
	} else {
		// An upper relation: the scan produces the upper target directly.
		scan_relid = 0;
		local_exprs = NIL;
		fdw_scan_tlist = count_only ? add_to_flat_tlist(NIL, root->upper_targets[UPPERREL_GROUP_AGG]->exprs)
		                            : add_to_flat_tlist(NIL, best_path->path.pathtarget->exprs);
		attrs = count_only ? NIL : RetrievedAttrs(root, baserel, base, NIL);
		if (!count_only) {
			// The scan tuple is the base table's row: use the table's columns in attnum order.
			fdw_scan_tlist = NIL;
			ListCell *cell;
			int resno = 1;
			foreach (cell, attrs) {
				int attnum = lfirst_int(cell);
				const PlanColumn &pc = base->cols.columns[attnum - 1];
				Oid typid;
				int32 typmod;
				Oid collid;
				get_atttypetypmodcoll(base->relid, attnum, &typid, &typmod, &collid);
				Var *var = makeVar(base->cols.relid, attnum, typid, typmod, collid, 0);
				fdw_scan_tlist =
				    lappend(fdw_scan_tlist, makeTargetEntry(reinterpret_cast<Expr *>(var), resno++, nullptr, false));
				(void)pc;
			}
		}
	}

	List *fields = NIL;
	ListCell *cell;
	foreach (cell, attrs) {
		fields = lappend(fields, makeString(pstrdup(base->cols.columns[lfirst_int(cell) - 1].field_code)));
	}
	kintone::PagingStrategy strategy = ChooseStrategy(order_by, limit, offset);

	List *priv = NIL;
	priv = lappend(priv, makeString(Int64Text(base->app)));
	priv = lappend(priv, makeString(Int64Text(base->guest)));
	priv = lappend(priv, makeString(condition));
	priv = lappend(priv, makeString(pstrdup(order_by)));
	priv = lappend(priv, fields);
	priv = lappend(priv, attrs);
	priv = lappend(priv, makeInteger(static_cast<int>(strategy)));
	priv = lappend(priv, makeString(Int64Text(limit)));
	priv = lappend(priv, makeString(Int64Text(offset)));
	priv = lappend(priv, param_leaves);
	priv = lappend(priv, makeInteger(count_only ? 1 : 0));
	priv = lappend(priv, makeInteger(batch ? 1 : 0));

	return make_foreignscan(tlist, local_exprs, scan_relid, param_exprs, priv, fdw_scan_tlist, NIL, outer_plan);
}

} // namespace kintone_fdw
