// Planning: which conditions, which order, which LIMIT/OFFSET and whether count(*) go to
// Kintone, and the plan data the executor needs (see planner.hpp).
//
// The table's definition is resolved once per planning (table.hpp): options, columns, field
// codes, and — only for the columns a condition or an order may use — field types and option
// lists. These come from the column option field_type (IMPORT FOREIGN SCHEMA sets it) or else
// from the app's form, read once per backend and cached (connection.hpp); a value that is not
// among the cached options of a field makes the planner read the form again before it decides.
// Conditions become the client's condition tree (deparse.hpp); the rules that judge them are
// the client's (src/kintone/pushdown.hpp). Row estimates come from Kintone's totalCount with
// use_remote_estimate, else from ANALYZE (pg_class.reltuples), else from the app's record count
// taken once per session (CachedRecordCount, docs/estimates.md), else a default.
#include "pg/planner.hpp"

#include "kintone/error.hpp"
#include "kintone/messages.hpp"
#include "kintone/pager.hpp"
#include "kintone/pushdown.hpp"
#include "kintone/subtable.hpp"
#include "kintone/schema.hpp"
#include "pg/connection.hpp"
#include "pg/deparse.hpp"
#include "pg/guard.hpp"
#include "pg/object_table.hpp"
#include "pg/plan_tree.hpp"
#include "pg/table.hpp"

extern "C" {
#include "catalog/pg_aggregate.h"
#include "catalog/pg_statistic.h"
#include "catalog/pg_type.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "parser/parsetree.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/selfuncs.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
}

#include <cmath>
#include <memory>

namespace kintone_fdw {

namespace {

constexpr double kDefaultRows = 1000.0;
constexpr long long kMaxOffset = 10000;

// C++ planning state of one foreign table, owned by the planner's memory context: freed with
// it, on error too. Plan Nodes are built from it by reading it (plan_tree.hpp).
struct PlanCpp {
	TableDef def;
	std::vector<kintone::FieldFacts> facts;     // per column (index attnum - 1)
	bool form_read = false;                     // this planning read the form (it is fresh)
	std::vector<kintone::Condition> pushed;     // the pushed base conditions, in qual order
	std::vector<kintone::Condition> conditions; // conditions of plans, kept while Nodes are built
	std::vector<kintone::SortKey> sort_keys;    // scratch: the last order built
};

void DeletePlanCpp(void *arg) noexcept {
	delete static_cast<PlanCpp *>(arg);
}

enum class RelKind { kScan, kCount, kOrdered, kFinal, kJoin };

// Planner-side facts of a foreign relation (base or upper), in planner memory.
struct FdwRelInfo {
	RelKind kind;
	FdwRelInfo *base; // the scan this upper relation is built on
	Oid relid;
	PlanCpp *cpp;
	PlanColumns cols;
	List *exact_conds;    // RestrictInfos Kintone evaluates exactly
	List *superset_conds; // pushed, and kept as local filters
	List *local_conds;    // not pushed (includes superset_conds)
	List *param_exprs;    // values of the pushed conditions' slots
	List *order_by;       // ordered/final: the pushed order (sort keys)
	List *pathkeys;
	long long limit; // final: -1 = none
	long long offset;
	double rows;
	double remote_rows; // use_remote_estimate: records matching the pushed conditions, else -1
	long long app;
	long long guest;
	int join_batch_size;
	int in_flight;  // max_concurrent_requests: pages a seek scan reads at once
	bool no_cursor; // OAuth: Kintone refuses the cursor API, so only $id order is pushed
	// kJoin: a records table joined with its rows table on the parent $id, read by one scan
	FdwRelInfo *parent;    // the records table's scan
	FdwRelInfo *rows_side; // the rows table's scan
	List *parent_attrs;    // Integer: the records table's columns in the scan tuple, after the rows'
	List *rows_attrs;      // Integer: the rows table's columns in the scan tuple
	char *relations;       // EXPLAIN's "Relations"
};

char *Int64Text(long long v) {
	return psprintf("%lld", v);
}

Var *ColumnVar(Expr *e, Index relid, int ncolumns) {
	while (e != nullptr && IsA(e, RelabelType)) {
		e = reinterpret_cast<RelabelType *>(e)->arg;
	}
	if (e == nullptr || !IsA(e, Var)) {
		return nullptr;
	}
	Var *var = reinterpret_cast<Var *>(e);
	if (var->varno != static_cast<int>(relid) || var->varlevelsup != 0 || var->varattno <= 0 ||
	    var->varattno > ncolumns) {
		return nullptr;
	}
	return var;
}

// ---------------------------------------------------------------- the table and its columns

// The columns pushdown may involve (conditions, join clauses, order keys), index attnum - 1: only
// those need a field type, so "SELECT *" alone never reads the form.
bool *ColumnsPushdownMayUse(PlannerInfo *root, RelOptInfo *baserel, int ncolumns) {
	Bitmapset *used = nullptr;
	ListCell *cell;
	foreach (cell, baserel->baserestrictinfo) {
		pull_varattnos(reinterpret_cast<Node *>(static_cast<RestrictInfo *>(lfirst(cell))->clause), baserel->relid,
		               &used);
	}
	// Join clauses (parameterized scans, batched joins): the table's own and those of
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
	// Order keys may name columns the target list does not.
	foreach (cell, root->query_pathkeys) {
		PathKey *pk = static_cast<PathKey *>(lfirst(cell));
		ListCell *mc;
		foreach (mc, pk->pk_eclass->ec_members) {
			pull_varattnos(reinterpret_cast<Node *>(static_cast<EquivalenceMember *>(lfirst(mc))->em_expr),
			               baserel->relid, &used);
		}
	}
	bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, used);
	bool *wanted = static_cast<bool *>(palloc0(sizeof(bool) * (ncolumns + 1)));
	for (int i = 0; i < ncolumns; ++i) {
		wanted[i] = whole_row || bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, used);
	}
	return wanted;
}

// Field types whose pushdown depends on facts only the form has (CALC's format, options).
bool NeedsForm(kintone::FieldType type) {
	return type == kintone::FieldType::kUnknown || type == kintone::FieldType::kCalc ||
	       type == kintone::FieldType::kDropDown || type == kintone::FieldType::kRadioButton ||
	       type == kintone::FieldType::kCheckBox || type == kintone::FieldType::kMultiSelect;
}

// C++ phase: the facts of each column the rules may need; the form is read (or taken from the
// cache, or re-read when refresh) only for wanted columns that need it. A wanted column whose
// code names no field of the form is an error (after a fresh read), never a NULL column.
void ResolveColumns(PlanCpp &cpp, const bool *wanted, bool refresh) {
	const TableDef &def = cpp.def;
	cpp.facts.assign(def.columns.size(), kintone::FieldFacts());
	std::shared_ptr<const kintone::FormInfo> form;
	auto read_form = [&](bool again) {
		bool fetched = false;
		form = again ? RefreshForm(def.conn, def.app, def.guest_space_id, def.relid)
		             : CachedForm(def.conn, def.app, def.guest_space_id, def.relid, &fetched);
		cpp.form_read = cpp.form_read || again || fetched;
	};
	for (size_t i = 0; i < def.columns.size(); ++i) {
		const ColumnDef &col = def.columns[i];
		kintone::FieldFacts &f = cpp.facts[i];
		if (col.dropped) {
			continue;
		}
		f.code = col.field_code;
		f.column = ColumnClassOf(col.type);
		f.type = DeclaredFieldType(col);
		if (!wanted[i]) {
			continue;
		}
		CheckColumnCode(def, col);
		if (!NeedsForm(f.type) || (!def.subtable.empty() && kintone::IsRowPseudoField(col.field_code))) {
			continue;
		}
		if (!form) {
			read_form(refresh);
		}
		if (!FieldInTable(def, *form, col.field_code) && !cpp.form_read) {
			read_form(true); // the cached form may predate the field
		}
		const kintone::FormInfo &current = *form;
		if (!FieldInTable(def, current, col.field_code)) {
			CheckFieldsExist(def, {col.attnum}); // the error naming the table's subtable
			throw kintone::UnknownFieldError(def.relname, col.name, col.field_code, def.app, current);
		}
		const kintone::FieldInfo *field = current.Find(col.field_code);
		f.type = field->type;
		f.calc_format = field->calc_format;
		f.options_known = true;
		f.options = field->options;
	}
}

// The rules' answer for a condition on this table; for a table of a subtable's rows, narrowed by
// Kintone's per-row semantics (subtable.hpp). C++ phase.
kintone::Pushdown TranslateFor(const PlanCpp &cpp, const SqlCond *cond) {
	kintone::Pushdown p = Translate(cond, cpp.facts);
	if (cpp.def.subtable.empty()) {
		return p;
	}
	return kintone::PushForRows(p, [&cpp](const std::string &code) {
		for (const auto &f : cpp.facts) {
			if (f.code == code) {
				return f.type;
			}
		}
		return kintone::FieldType::kUnknown;
	});
}

// Sorts the base quals into exact / superset / local and keeps the pushed conditions. Returns
// whether a value was not among a field's cached options.
bool ClassifyQuals(RelOptInfo *baserel, FdwRelInfo *info) {
	PlanCpp *cpp = info->cpp;
	info->exact_conds = NIL;
	info->superset_conds = NIL;
	info->local_conds = NIL;
	info->param_exprs = NIL;
	cpp->pushed.clear();
	bool unknown_option = false;
	ListCell *cell;
	foreach (cell, baserel->baserestrictinfo) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		int nparams = list_length(info->param_exprs);
		SqlCond *cond = ReadCondition(&info->cols, rinfo->clause, &info->param_exprs);
		kintone::Verdict verdict = kintone::Verdict::kLocal;
		if (cond != nullptr) {
			verdict = Guard([&]() {
				kintone::Pushdown p = TranslateFor(*cpp, cond);
				unknown_option = unknown_option || p.unknown_option;
				if (p.verdict != kintone::Verdict::kLocal) {
					cpp->pushed.push_back(std::move(p.condition));
				}
				return p.verdict;
			});
		}
		if (verdict == kintone::Verdict::kLocal) {
			info->param_exprs = list_truncate(info->param_exprs, nparams); // its slots are gone
			info->local_conds = lappend(info->local_conds, rinfo);
		} else if (verdict == kintone::Verdict::kExact) {
			info->exact_conds = lappend(info->exact_conds, rinfo);
		} else {
			info->superset_conds = lappend(info->superset_conds, rinfo);
			info->local_conds = lappend(info->local_conds, rinfo);
		}
	}
	return unknown_option;
}

// Runs fn (C++ phase); Kintone's errors about the table's app or query are reworded by the
// message catalogue to name the table, its options and the columns of the pushed conditions.
template <typename Fn>
auto ForTable(const PlanCpp &cpp, Fn &&fn) -> decltype(fn()) {
	try {
		return fn();
	} catch (kintone::Error &e) {
		kintone::TableRef t;
		t.table = cpp.def.relname;
		t.app = cpp.def.app;
		t.guest_space_id = cpp.def.guest_space_id;
		for (const auto &code : kintone::FieldsOf(kintone::Condition::And(cpp.pushed))) {
			for (const auto &col : cpp.def.columns) {
				if (!col.dropped && col.field_code == code) {
					t.columns.push_back({col.name, code});
					break;
				}
			}
		}
		kintone::ExplainForTable(e, t);
		throw;
	}
}

// use_remote_estimate: one totalCount request with the pushed conditions (values known only
// at execution count as "always true").
double RemoteEstimate(PlanCpp *cpp) {
	return Guard([&]() {
		kintone::Condition all =
		    kintone::BindSlots(kintone::Condition::And(cpp->pushed),
		                       [](const kintone::Condition &) { return kintone::Condition::True(); });
		kintone::Session &session = GetSession(cpp->def.conn);
		return ForTable(*cpp, [&]() {
			return static_cast<double>(
			    kintone::CountRecords(session, cpp->def.app, kintone::PrintCondition(all), cpp->def.guest_space_id));
		});
	});
}

// Reads the table, decides each column's facts, and classifies the quals.
FdwRelInfo *MakeScanInfo(PlannerInfo *root, RelOptInfo *baserel, Oid relid) {
	RangeTblEntry *rte = planner_rt_fetch(baserel->relid, root);
	Oid userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	RawTable *raw = ReadRawTable(relid, userid);

	FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
	info->kind = RelKind::kScan;
	info->relid = relid;
	info->limit = -1;
	info->remote_rows = -1;
	bool *usable = static_cast<bool *>(palloc0(sizeof(bool) * (raw->ncolumns + 1)));
	for (int i = 0; i < raw->ncolumns; ++i) {
		usable[i] = !raw->columns[i].dropped;
	}
	info->cols = {raw->ncolumns, usable, baserel->relid};

	MemoryContextCallback *callback = static_cast<MemoryContextCallback *>(palloc0(sizeof(MemoryContextCallback)));
	callback->func = DeletePlanCpp;
	PlanCpp *cpp = Guard([&]() { return new PlanCpp(); });
	callback->arg = cpp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, callback);
	info->cpp = cpp;

	bool *wanted = ColumnsPushdownMayUse(root, baserel, raw->ncolumns);
	Guard([&]() {
		cpp->def = MakeTableDef(*raw);
		ForTable(*cpp, [&]() { ResolveColumns(*cpp, wanted, false); });
		info->app = cpp->def.app;
		info->guest = cpp->def.guest_space_id;
		info->join_batch_size = cpp->def.join_batch_size;
		info->in_flight = cpp->def.max_concurrent_requests;
		info->no_cursor = cpp->def.conn.oauth;
	});

	if (ClassifyQuals(baserel, info) && !cpp->form_read) {
		// A value is not among the cached options: the form may predate it. Read it again and
		// decide again; a value still not an option keeps its condition local (never dropped).
		Guard([&]() { ForTable(*cpp, [&]() { ResolveColumns(*cpp, wanted, true); }); });
		ClassifyQuals(baserel, info);
	}
	if (cpp->def.use_remote_estimate) {
		info->remote_rows = RemoteEstimate(cpp);
	} else if (baserel->tuples < 0) {
		// Never analyzed: the app's record count, counted once per session (connection.hpp).
		long long count =
		    Guard([&]() { return CachedRecordCount(cpp->def.conn, cpp->def.app, cpp->def.guest_space_id, relid); });
		if (count >= 0) {
			baserel->tuples = static_cast<double>(count);
		}
	}
	return info;
}

// ---------------------------------------------------------------- orders

// The sort keys Kintone can produce for pathkeys (a List for the path) and how many leading
// pathkeys that order honours (*usable; NIL and 0 when none).
List *DeparseOrderBy(RelOptInfo *rel, const FdwRelInfo *info, List *pathkeys, int *usable) {
	*usable = 0;
	if (!info->cpp->def.subtable.empty()) {
		return NIL; // Kintone orders records, not their rows
	}
	// PostgreSQL phase: the leading pathkeys that are plain columns of this table in their
	// type's default order.
	int nkeys = 0;
	int *attnums = static_cast<int *>(palloc0(sizeof(int) * (list_length(pathkeys) + 1)));
	bool *descending = static_cast<bool *>(palloc0(sizeof(bool) * (list_length(pathkeys) + 1)));
	ListCell *cell;
	foreach (cell, pathkeys) {
		PathKey *pk = static_cast<PathKey *>(lfirst(cell));
		if (pk->pk_eclass->ec_has_volatile) {
			break;
		}
		Var *var = nullptr;
		ListCell *mc;
		foreach (mc, pk->pk_eclass->ec_members) {
			var = ColumnVar(static_cast<EquivalenceMember *>(lfirst(mc))->em_expr, rel->relid, info->cols.count);
			if (var != nullptr && info->cols.usable[var->varattno - 1]) {
				break;
			}
			var = nullptr;
		}
		if (var == nullptr) {
			break;
		}
		// The sort operator must be the type's default btree order.
		TypeCacheEntry *tce = lookup_type_cache(var->vartype, TYPECACHE_BTREE_OPFAMILY);
		if (pk->pk_opfamily != tce->btree_opf) {
			break;
		}
		attnums[nkeys] = var->varattno;
		descending[nkeys] = pk->pk_strategy == BTGreaterStrategyNumber;
		++nkeys;
	}
	if (nkeys == 0) {
		return NIL;
	}
	PlanCpp *cpp = info->cpp;
	size_t honoured = Guard([&]() {
		std::vector<std::pair<kintone::FieldFacts, bool>> keys;
		for (int i = 0; i < nkeys; ++i) {
			keys.emplace_back(cpp->facts[attnums[i] - 1], descending[i]);
		}
		size_t n = 0;
		cpp->sort_keys = kintone::PushOrder(keys, &n);
		return n;
	});
	if (honoured == 0) {
		return NIL;
	}
	*usable = static_cast<int>(honoured);
	return SortKeysToNode(cpp->sort_keys);
}

// Whether keys are Kintone's seek order ($id ascending) or no order.
bool IsSeekOrder(List *keys) {
	if (keys == NIL) {
		return true;
	}
	if (list_length(keys) != 1) {
		return false;
	}
	List *key = static_cast<List *>(linitial(keys));
	return strcmp(strVal(linitial(key)), "$id") == 0 && intVal(lsecond(key)) == 0;
}

// Decides the paging strategy for an order and a pushed-down window.
kintone::PagingStrategy ChooseStrategy(List *order_by, long long limit, long long offset) {
	if (IsSeekOrder(order_by)) {
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

// ---------------------------------------------------------------- costs and paths

double Selectivity(PlannerInfo *root, RelOptInfo *baserel, List *conds) {
	return clauselist_selectivity(root, conds, baserel->relid, JOIN_INNER, nullptr);
}

// ordered: Kintone sorts (by other than $id); cursor: the order needs the cursor API, whose
// creation and deletion are two more requests (and a slot of Kintone's ten per domain).
// in_flight: a seek scan without LIMIT reads that many pages at once after its first
// (docs/concurrency.md); a scan in Kintone's order (cursor or offset) reads one page after
// another. Every path costs its requests (each counts against the app's daily request budget
// and the domain's share, so a plan that spends more requests is not made cheaper by reading
// them concurrently), and an order by Kintone also costs the time it loses against a
// concurrent scan: (pages - 1) × (1 - 1/in_flight) requests. Over many records a local sort of
// a concurrent scan is then cheaper; with a small LIMIT the pushed order and limit read a
// page or two and stay cheaper.
void EstimateCosts(double rows, double fetched, bool ordered, Cost *startup, Cost *total, bool cursor = false,
                   int in_flight = 1) {
	double pages = fetched / kPageRows;
	if (pages < 1) {
		pages = 1;
	}
	// Kintone's sort of the records it returns costs about a request for a page or more of them,
	// less for a small app (whose size the record count tells without ANALYZE, docs/estimates.md).
	double sort_cost = ordered ? kRequestCost * Min(1.0, fetched / kPageRows) : 0;
	*startup = kRequestCost + sort_cost + (cursor ? 2 * kRequestCost : 0);
	*total = *startup + pages * kRequestCost + fetched * cpu_tuple_cost + rows * cpu_operator_cost;
	if (ordered && in_flight > 1) {
		*total += (pages - 1) * (1 - 1.0 / in_flight) * kRequestCost;
	}
}

List *MakePathPrivate(List *order_by, int batch_attnum) {
	return list_make2(order_by, makeInteger(batch_attnum));
}

// Translates a join clause whose other side is known at each rescan; false when Kintone cannot
// take it. *param_exprs receives its values' expressions.
bool TranslateJoinClause(const FdwRelInfo *info, Expr *clause, List **param_exprs, int *nslots) {
	int before = list_length(*param_exprs);
	SqlCond *cond = ReadCondition(&info->cols, clause, param_exprs, true);
	bool pushed = cond != nullptr && Guard([&]() {
		              kintone::Pushdown p = TranslateFor(*info->cpp, cond);
		              if (p.verdict == kintone::Verdict::kLocal) {
			              return false;
		              }
		              info->cpp->conditions.push_back(std::move(p.condition));
		              return true;
	              });
	if (!pushed) {
		*param_exprs = list_truncate(*param_exprs, before);
	}
	*nslots = list_length(*param_exprs) - before;
	return pushed;
}

// Matches the equivalence-class member that is column *arg (an attnum) of the foreign table.
bool MemberIsColumn(PlannerInfo *, RelOptInfo *rel, EquivalenceClass *, EquivalenceMember *em, void *arg) {
	Var *var = ColumnVar(em->em_expr, rel->relid, INT_MAX);
	return var != nullptr && var->varattno == *static_cast<int *>(arg);
}

// Join clauses that could filter this table by the other side's value: the table's own join
// clauses and those of equivalence classes (a plain JOIN ... ON ft.x = t.y lives there).
List *CandidateJoinClauses(PlannerInfo *root, RelOptInfo *baserel, const FdwRelInfo *info) {
	List *out = list_copy(baserel->joininfo);
	if (baserel->has_eclass_joins) {
		for (int attnum = 1; attnum <= info->cols.count; ++attnum) {
			if (!info->cols.usable[attnum - 1]) {
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
		List *probe = NIL;
		int nslots;
		if (!TranslateJoinClause(info, rinfo->clause, &probe, &nslots)) {
			continue;
		}
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, required);
		Cost startup, total;
		EstimateCosts(ppi->ppi_rows, ppi->ppi_rows, false, &startup, &total);
		add_path(baserel,
		         reinterpret_cast<Path *>(create_foreignscan_path(root, baserel, nullptr, ppi->ppi_rows, startup, total,
		                                                          NIL, required, nullptr, MakePathPrivate(NIL, 0))));
	}
}

// ---------------------------------------------------------------- the plan

// What the chosen path asks of Kintone besides the condition.
struct PlanShape {
	List *order_by = NIL;
	long long limit = -1;
	long long offset = 0;
	bool count_only = false;
	int batch_attnum = 0; // a batched join's key column
};

PlanShape ShapeOf(const FdwRelInfo *info, const ForeignPath *path) {
	PlanShape shape;
	switch (info->kind) {
	case RelKind::kScan:
		shape.order_by = static_cast<List *>(list_nth(path->fdw_private, kPathOrderBy));
		shape.batch_attnum = intVal(list_nth(path->fdw_private, kPathBatchAttnum));
		break;
	case RelKind::kCount:
		shape.count_only = true;
		break;
	case RelKind::kOrdered:
		shape.order_by = info->order_by;
		break;
	case RelKind::kFinal:
		shape.order_by = info->order_by;
		shape.limit = info->limit;
		shape.offset = info->offset;
		break;
	case RelKind::kJoin:
		break; // planned by JoinPlan
	}
	return shape;
}

// The scan's whole condition as plan data: the base table's pushed conditions, a
// parameterized path's join clauses, and a batched join's keys. *param_exprs: the values of
// its slots (the plan's fdw_exprs).
Node *ScanCondition(const FdwRelInfo *info, const FdwRelInfo *base, const ForeignPath *path, const PlanShape &shape,
                    List **param_exprs) {
	PlanCpp *cpp = base->cpp;
	*param_exprs = list_copy(base->param_exprs);
	size_t first_extra = cpp->conditions.size();
	if (info->kind == RelKind::kScan && path->path.param_info != nullptr) {
		ListCell *cell;
		foreach (cell, path->path.param_info->ppi_clauses) {
			int nslots;
			TranslateJoinClause(base, static_cast<RestrictInfo *>(lfirst(cell))->clause, param_exprs, &nslots);
		}
	}
	Guard([&]() {
		std::vector<kintone::Condition> all = cpp->pushed;
		all.insert(all.end(), cpp->conditions.begin() + static_cast<long>(first_extra), cpp->conditions.end());
		if (shape.batch_attnum > 0) {
			// "code in (keys)": the join hands the scan its keys before each execution.
			all.push_back(kintone::PushKeysSlot(cpp->facts[shape.batch_attnum - 1]).condition);
		}
		cpp->conditions.push_back(kintone::Condition::And(std::move(all)));
	});
	return ConditionToNode(cpp->conditions.back());
}

List *RetrievedAttrs(RelOptInfo *baserel, const FdwRelInfo *info, List *local_conds) {
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
		if (info->cols.usable[attnum - 1] &&
		    (whole_row || bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))) {
			out = lappend_int(out, attnum);
		}
	}
	return out;
}

// The columns the exact conditions use that the scan does not retrieve: read only when the scan
// has to re-check those conditions (scan.cpp, a widened condition).
List *RecheckAttrs(RelOptInfo *baserel, const FdwRelInfo *info, List *recheck_exprs, List *attrs) {
	Bitmapset *used = nullptr;
	pull_varattnos(reinterpret_cast<Node *>(recheck_exprs), baserel->relid, &used);
	List *out = NIL;
	for (int attnum = 1; attnum <= info->cols.count; ++attnum) {
		if (info->cols.usable[attnum - 1] && bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, used) &&
		    !list_member_int(attrs, attnum)) {
			out = lappend_int(out, attnum);
		}
	}
	return out;
}

// The scan tuple of an upper relation is the base table's retrieved columns in attnum order.
List *UpperScanTlist(const FdwRelInfo *base, List *attrs) {
	List *tlist = NIL;
	int resno = 1;
	ListCell *cell;
	foreach (cell, attrs) {
		int attnum = lfirst_int(cell);
		Oid typid;
		int32 typmod;
		Oid collid;
		get_atttypetypmodcoll(base->relid, attnum, &typid, &typmod, &collid);
		Var *var = makeVar(base->cols.relid, attnum, typid, typmod, collid, 0);
		tlist = lappend(tlist, makeTargetEntry(reinterpret_cast<Expr *>(var), resno++, nullptr, false));
	}
	return tlist;
}

// Every column with a field code, for the executor's messages (plan data, kPlanColumns).
List *ColumnDirectory(const FdwRelInfo *base) {
	List *out = NIL;
	const TableDef &def = base->cpp->def;
	for (size_t i = 0; i < def.columns.size(); ++i) {
		const ColumnDef &col = def.columns[i];
		if (!col.dropped) {
			out = lappend(out, list_make3(makeInteger(col.attnum), makeString(pstrdup(col.name.c_str())),
			                              makeString(pstrdup(col.field_code.c_str()))));
		}
	}
	return out;
}

// The field codes of the retrieved columns; a scan that needs no column asks for $id only.
List *FieldList(const FdwRelInfo *base, List *attrs, bool count_only) {
	const TableDef &def = base->cpp->def;
	List *fields = NIL;
	ListCell *cell;
	foreach (cell, attrs) {
		const ColumnDef &col = def.column(lfirst_int(cell));
		Guard([&]() { CheckColumnCode(def, col); });
		fields = lappend(fields, makeString(pstrdup(col.field_code.c_str())));
	}
	if (!def.subtable.empty()) {
		// The scan reads the subtable, whose rows carry only the inner fields they hold: the form
		// confirms the columns' codes here, once per planning (cached).
		Guard([&]() {
			std::vector<int> attnums;
			ListCell *c;
			foreach (c, attrs) {
				attnums.push_back(lfirst_int(c));
			}
			CheckFieldsExist(def, attnums);
		});
	}
	if (fields == NIL && !count_only) {
		fields = list_make1(makeString(pstrdup("$id")));
	}
	return fields;
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
		if (baserel->tuples < 0) {
			baserel->tuples = info->remote_rows;
		}
	} else {
		double tuples = baserel->tuples >= 0 ? baserel->tuples : kDefaultRows;
		double selectivity = Selectivity(root, baserel, extract_actual_clauses(baserel->baserestrictinfo, false));
		baserel->rows = clamp_row_est(tuples * selectivity);
	}
	info->rows = baserel->rows;
}

Oid PlannedTableOid(RelOptInfo *rel) {
	const FdwRelInfo *info = static_cast<const FdwRelInfo *>(rel->fdw_private);
	while (info != nullptr && info->base != nullptr && info->base != info) {
		info = info->base;
	}
	return info != nullptr ? info->relid : InvalidOid;
}

ForeignPath *MakeBatchInnerPath(PlannerInfo *root, RelOptInfo *rel, Expr *clause, Expr *inner_key, Oid key_type,
                                int *batch_size, bool *unique_key) {
	(void)key_type; // the keys' type is read from the array at execution
	if (rel->reloptkind != RELOPT_BASEREL || rel->fdwroutine == nullptr || !IsRecordsRel(root, rel) ||
	    rel->fdw_private == nullptr) {
		return nullptr;
	}
	FdwRelInfo *info = static_cast<FdwRelInfo *>(rel->fdw_private);
	if (info->kind != RelKind::kScan || info->join_batch_size <= 0) {
		return nullptr;
	}
	Var *var = ColumnVar(inner_key, rel->relid, info->cols.count);
	if (var == nullptr || !info->cols.usable[var->varattno - 1]) {
		return nullptr;
	}
	const kintone::FieldFacts &facts = info->cpp->facts[var->varattno - 1];
	bool keys_pushable = Guard([&]() { return kintone::PushKeysSlot(facts).verdict != kintone::Verdict::kLocal; });
	// The same rules as a parameterized scan's "=" (exact or superset, never a subset).
	List *probe = NIL;
	int nslots;
	if (!keys_pushable || !TranslateJoinClause(info, clause, &probe, &nslots) || nslots != 1) {
		return nullptr;
	}
	*batch_size = info->join_batch_size;
	*unique_key = facts.type == kintone::FieldType::kId && info->cpp->def.subtable.empty();
	return create_foreignscan_path(root, rel, nullptr, rel->rows, kRequestCost, kRequestCost, NIL, nullptr, nullptr,
	                               MakePathPrivate(NIL, var->varattno));
}

extern "C" void kintoneGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid) {
	(void)foreigntableid;
	FdwRelInfo *info = static_cast<FdwRelInfo *>(baserel->fdw_private);
	double tuples = baserel->tuples >= 0 ? baserel->tuples : kDefaultRows;
	double fetched = clamp_row_est(
	    tuples * Selectivity(root, baserel,
	                         extract_actual_clauses(list_concat_copy(info->exact_conds, info->superset_conds), false)));
	Cost startup, total;
	EstimateCosts(baserel->rows, fetched, false, &startup, &total);
	add_path(baserel,
	         reinterpret_cast<Path *>(create_foreignscan_path(root, baserel, nullptr, baserel->rows, startup, total,
	                                                          NIL, nullptr, nullptr, MakePathPrivate(NIL, 0))));

	// A path ordered as the query wants (or as a leading part of that order), when Kintone can
	// produce it. Under OAuth another order than $id would need a cursor: sort locally.
	int usable;
	List *order_by = DeparseOrderBy(baserel, info, root->query_pathkeys, &usable);
	if (order_by != NIL && !(info->no_cursor && !IsSeekOrder(order_by))) {
		List *pathkeys = list_truncate(list_copy(root->query_pathkeys), usable);
		EstimateCosts(baserel->rows, fetched, !IsSeekOrder(order_by), &startup, &total, !IsSeekOrder(order_by),
		              info->in_flight);
		add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(root, baserel, nullptr, baserel->rows,
		                                                                   startup, total + 1, pathkeys, nullptr,
		                                                                   nullptr, MakePathPrivate(order_by, 0))));
	}
	AddParameterizedPaths(root, baserel, info);
}

namespace {

// count(*) alone over the table (with or without WHERE): one request with totalCount.
void AddCountPath(PlannerInfo *root, FdwRelInfo *base, RelOptInfo *output_rel) {
	Query *parse = root->parse;
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
	add_path(output_rel, reinterpret_cast<Path *>(create_foreign_upper_path(root, output_rel, target, 1, startup, total,
	                                                                        NIL, nullptr, MakePathPrivate(NIL, 0))));
}

// ORDER BY done by Kintone as a whole.
void AddOrderedPath(PlannerInfo *root, RelOptInfo *input_rel, FdwRelInfo *base, RelOptInfo *output_rel) {
	int usable;
	List *order_by = DeparseOrderBy(input_rel, base, root->sort_pathkeys, &usable);
	if (order_by == NIL || usable != list_length(root->sort_pathkeys) || (base->no_cursor && !IsSeekOrder(order_by))) {
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
	EstimateCosts(base->rows, base->rows, !IsSeekOrder(order_by), &startup, &total, !IsSeekOrder(order_by),
	              base->in_flight);
	add_path(output_rel, reinterpret_cast<Path *>(create_foreign_upper_path(
	                         root, output_rel, root->upper_targets[UPPERREL_ORDERED], base->rows, startup, total,
	                         root->sort_pathkeys, nullptr, MakePathPrivate(order_by, 0))));
}

// LIMIT/OFFSET done by Kintone, when every condition and the whole ORDER BY went too.
void AddFinalPath(PlannerInfo *root, FdwRelInfo *in, FdwRelInfo *base, RelOptInfo *output_rel, void *extra) {
	Query *parse = root->parse;
	FinalPathExtraData *fextra = static_cast<FinalPathExtraData *>(extra);
	if (!fextra->limit_needed || parse->limitCount == nullptr || !IsA(parse->limitCount, Const) ||
	    (parse->limitOffset != nullptr && !IsA(parse->limitOffset, Const)) ||
	    parse->limitOption == LIMIT_OPTION_WITH_TIES) {
		return;
	}
	if (root->sort_pathkeys != NIL && in->kind != RelKind::kOrdered) {
		return; // an ORDER BY must have gone to Kintone whole
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
	List *order_by = in->kind == RelKind::kOrdered ? in->order_by : NIL;
	if (ChooseStrategy(order_by, limit, offset) == kintone::PagingStrategy::kCursor) {
		return; // a cursor cannot skip rows: keep LIMIT/OFFSET local
	}
	FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
	*info = *in;
	info->kind = RelKind::kFinal;
	info->base = base;
	info->order_by = order_by;
	info->limit = limit;
	info->offset = offset;
	output_rel->fdw_private = info;
	double rows = Min(static_cast<double>(limit), base->rows);
	// Cheaper than a local Limit over the same scan, which PostgreSQL would cost as the
	// scan's startup plus the fraction of its run time for limit + offset rows.
	Cost startup, total;
	EstimateCosts(base->rows, base->rows, !IsSeekOrder(order_by), &startup, &total);
	// Kintone skips the offset rows itself: only the limit's rows are transferred.
	double fraction = base->rows > 0 ? Min(1.0, rows / base->rows) : 1.0;
	total = startup + fraction * (total - startup) - 1;
	startup -= 1;
	List *pathkeys = in->kind == RelKind::kOrdered ? in->pathkeys : NIL;
	add_path(output_rel, reinterpret_cast<Path *>(create_foreign_upper_path(
	                         root, output_rel, root->upper_targets[UPPERREL_FINAL], rows, startup, total, pathkeys,
	                         nullptr, MakePathPrivate(order_by, 0))));
}

} // namespace

// count(*) (GROUP_AGG), ORDER BY (ORDERED) and LIMIT/OFFSET (FINAL) on a single foreign table.
extern "C" void kintoneGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage, RelOptInfo *input_rel,
                                            RelOptInfo *output_rel, void *extra) {
	FdwRelInfo *in = static_cast<FdwRelInfo *>(input_rel->fdw_private);
	if (in == nullptr || output_rel->fdw_private != nullptr) {
		return;
	}
	Query *parse = root->parse;
	if (in->kind == RelKind::kJoin) {
		return; // ORDER BY, LIMIT and count(*) above a join count its rows, not records
	}
	FdwRelInfo *base = in->kind == RelKind::kScan ? in : in->base;
	if (base == nullptr || base->local_conds != NIL || parse->hasTargetSRFs || parse->rowMarks != NIL ||
	    parse->commandType != CMD_SELECT) {
		return;
	}
	if (!base->cpp->def.subtable.empty()) {
		return; // count, LIMIT and OFFSET count records, not their rows
	}
	if (stage == UPPERREL_GROUP_AGG && in->kind == RelKind::kScan) {
		AddCountPath(root, base, output_rel);
	} else if (stage == UPPERREL_ORDERED && in->kind == RelKind::kScan) {
		AddOrderedPath(root, input_rel, base, output_rel);
	} else if (stage == UPPERREL_FINAL && (in->kind == RelKind::kScan || in->kind == RelKind::kOrdered)) {
		AddFinalPath(root, in, base, output_rel, extra);
	}
}

namespace {

// What the scan node produces and filters: the retrieved columns, the local filter, the exact
// conditions for a re-check, and an upper relation's scan target list.
struct ScanTargets {
	Index scan_relid = 0;
	List *local_exprs = NIL;
	List *recheck_exprs = NIL;
	List *recheck_attrs = NIL;
	List *fdw_scan_tlist = NIL;
	List *attrs = NIL;
};

ScanTargets TargetsOf(PlannerInfo *root, RelOptInfo *foreignrel, const FdwRelInfo *info, const FdwRelInfo *base,
                      const PlanShape &shape, List *scan_clauses) {
	RelOptInfo *baserel = root->simple_rel_array[base->cols.relid];
	ScanTargets t;
	if (info->kind == RelKind::kScan) {
		t.scan_relid = foreignrel->relid;
		// Exactly pushed quals are dropped; the rest stay as the scan's filter. The exact ones
		// are kept as fdw_recheck_quals: were Kintone to refuse an option that the form had when
		// planning, the scan sends a wider condition and re-checks them (scan.cpp).
		List *local = NIL;
		List *exact = NIL;
		ListCell *cell;
		foreach (cell, scan_clauses) {
			RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
			if (list_member_ptr(base->exact_conds, rinfo)) {
				exact = lappend(exact, rinfo);
			} else {
				local = lappend(local, rinfo);
			}
		}
		t.local_exprs = extract_actual_clauses(local, false);
		t.recheck_exprs = extract_actual_clauses(exact, false);
		t.attrs = RetrievedAttrs(baserel, base, local);
		t.recheck_attrs = RecheckAttrs(baserel, base, t.recheck_exprs, t.attrs);
	} else if (shape.count_only) {
		// The scan produces the upper target directly.
		t.fdw_scan_tlist = add_to_flat_tlist(NIL, root->upper_targets[UPPERREL_GROUP_AGG]->exprs);
	} else {
		t.attrs = RetrievedAttrs(baserel, base, NIL);
		t.fdw_scan_tlist = UpperScanTlist(base, t.attrs);
	}
	return t;
}

// The largest $id in ANALYZE's histogram of the table's "$id" column (the upper bound of its
// last bucket: the sample's largest, exact when the sample was the whole app), 0 when there is
// none (no such column, never analyzed, too few distinct values for a histogram).
long long AnalyzedMaxId(const FdwRelInfo *base) {
	int attnum = 0;
	for (const ColumnDef &col : base->cpp->def.columns) {
		if (!col.dropped && col.field_code == "$id") {
			attnum = col.attnum;
			break;
		}
	}
	if (attnum <= 0) {
		return 0;
	}
	HeapTuple tuple =
	    SearchSysCache3(STATRELATTINH, ObjectIdGetDatum(base->relid), Int16GetDatum(attnum), BoolGetDatum(false));
	if (!HeapTupleIsValid(tuple)) {
		return 0;
	}
	long long max_id = 0;
	AttStatsSlot slot;
	if (get_attstatsslot(&slot, tuple, STATISTIC_KIND_HISTOGRAM, InvalidOid, ATTSTATSSLOT_VALUES)) {
		if (slot.nvalues > 0) {
			Datum last = slot.values[slot.nvalues - 1];
			if (slot.valuetype == INT8OID) {
				max_id = DatumGetInt64(last);
			} else if (slot.valuetype == INT4OID) {
				max_id = DatumGetInt32(last);
			}
		}
		free_attstatsslot(&slot);
	}
	ReleaseSysCache(tuple);
	return max_id > 0 ? max_id : 0;
}

// ForeignScan.fdw_private (PlanPrivate).
// rows: the scan's row estimate for the $id hint (the path's, per execution), 0 for none.
List *MakePlanPrivate(const FdwRelInfo *base, Node *condition, const PlanShape &shape, const ScanTargets &t,
                      double rows) {
	List *priv = NIL;
	priv = lappend(priv, makeString(Int64Text(base->app)));
	priv = lappend(priv, makeString(Int64Text(base->guest)));
	priv = lappend(priv, makeString(pstrdup(base->cpp->def.relname.c_str())));
	priv = lappend(priv, ColumnDirectory(base));
	priv = lappend(priv, condition);
	priv = lappend(priv, shape.order_by);
	priv = lappend(priv, FieldList(base, t.attrs, shape.count_only));
	priv = lappend(priv, t.attrs);
	priv = lappend(priv, makeInteger(static_cast<int>(ChooseStrategy(shape.order_by, shape.limit, shape.offset))));
	priv = lappend(priv, makeString(Int64Text(shape.limit)));
	priv = lappend(priv, makeString(Int64Text(shape.offset)));
	priv = lappend(priv, makeInteger(shape.count_only ? 1 : 0));
	priv = lappend(priv, makeInteger(shape.batch_attnum > 0 ? 1 : 0));
	priv = lappend(priv, t.recheck_attrs);
	priv = lappend(priv, makeString(pstrdup(base->cpp->def.subtable.c_str())));
	priv = lappend(priv, makeString(pstrdup("")));  // kPlanJoinRelations
	priv = lappend(priv, makeString(pstrdup("0"))); // kPlanJoinRelid
	priv = lappend(priv, NIL);                      // kPlanParentFields
	priv = lappend(priv, NIL);                      // kPlanParentColumns
	// The hint of a scan that may read concurrently: the records table's own scan, whole
	// pages of it (no LIMIT, OFFSET or count), with no value known only at execution (a
	// parameterized scan, a batched join's inner scan: their values, not an estimate, say what
	// they read).
	long long id_hint = 0;
	double rows_hint = 0;
	if (base->kind == RelKind::kScan && base->in_flight > 1 && base->cpp->def.subtable.empty() && shape.limit < 0 &&
	    shape.offset == 0 && !shape.count_only && shape.batch_attnum == 0 && base->param_exprs == NIL &&
	    rows > kPageRows) {
		id_hint = AnalyzedMaxId(base);
		rows_hint = id_hint > 0 ? rows : 0;
	}
	priv = lappend(priv, makeString(Int64Text(id_hint)));                                      // kPlanIdHint
	priv = lappend(priv, makeString(Int64Text(static_cast<long long>(std::ceil(rows_hint))))); // kPlanRowsHint
	Assert(list_length(priv) == kPlanPrivateLength);
	return priv;
}

// ---------------------------------------------------------------- join pushdown

// A join of a records table with the table of one of its subtables' rows, on the parent "$id",
// read by one scan (docs/subtables.md, "Joins"): Kintone is asked for the records matching both
// tables' pushed conditions, with the parent columns used and the subtable field, and each of
// their rows becomes a tuple with the parent's columns repeated. The records table's exact
// conditions stay exact (Kintone evaluates them on the record); the rows table's are a superset
// of the records whose rows they keep (PushForRows), and "and" of the two is a superset of the
// records the join needs. Every condition not exact is evaluated on the scan tuple.

// The attnum of the bigint column whose field code is "$id", or 0.
int IdColumn(const FdwRelInfo *info) {
	for (const ColumnDef &col : info->cpp->def.columns) {
		if (!col.dropped && col.field_code == "$id" && col.type == INT8OID) {
			return col.attnum;
		}
	}
	return 0;
}

// Whether clause is "a.$id = b.$id" (bigint equality) between the two tables, either way round.
bool IsIdEquality(Expr *clause, Index rel1, int id1, Index rel2, int id2) {
	if (!IsA(clause, OpExpr)) {
		return false;
	}
	OpExpr *op = reinterpret_cast<OpExpr *>(clause);
	if (list_length(op->args) != 2 || get_opcode(op->opno) != F_INT8EQ) {
		return false;
	}
	Expr *left = static_cast<Expr *>(linitial(op->args));
	Expr *right = static_cast<Expr *>(lsecond(op->args));
	auto is = [](Expr *e, Index relid, int attnum) {
		Var *var = ColumnVar(e, relid, INT_MAX);
		return var != nullptr && var->varattno == attnum;
	};
	return (is(left, rel1, id1) && is(right, rel2, id2)) || (is(left, rel2, id2) && is(right, rel1, id1));
}

// The columns of rel (attnums, ascending) among vars; false when a var is a whole-row or
// system column reference, or a column the table cannot read.
bool ColumnsOfRel(List *vars, const FdwRelInfo *info, Index relid, List **attnums) {
	Bitmapset *set = nullptr;
	ListCell *cell;
	foreach (cell, vars) {
		Var *var = static_cast<Var *>(lfirst(cell));
		if (var->varno != static_cast<int>(relid)) {
			continue;
		}
		if (var->varattno <= 0 || var->varattno > info->cols.count || !info->cols.usable[var->varattno - 1]) {
			return false;
		}
		set = bms_add_member(set, var->varattno);
	}
	*attnums = NIL;
	int attnum = -1;
	while ((attnum = bms_next_member(set, attnum)) >= 0) {
		*attnums = lappend_int(*attnums, attnum);
	}
	return true;
}

char *RelationText(PlannerInfo *root, Index relid) {
	RangeTblEntry *rte = planner_rt_fetch(relid, root);
	return psprintf(
	    "%s %s",
	    quote_qualified_identifier(get_namespace_name(get_rel_namespace(rte->relid)), get_rel_name(rte->relid)),
	    quote_identifier(rte->eref->aliasname));
}

// The facts of the join when one scan can read it, else nullptr.
FdwRelInfo *MakeJoinInfo(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel, RelOptInfo *innerrel,
                         JoinType jointype, JoinPathExtraData *extra) {
	// Inner joins of two plain reads only: no row marks (the scan has no row of either table
	// to lock), no UPDATE/DELETE (its target's rows come from their own scan), no LATERAL
	// reference (a parameterized join is not built).
	Query *parse = root->parse;
	if (jointype != JOIN_INNER || parse->commandType != CMD_SELECT || parse->rowMarks != NIL || root->rowMarks != NIL ||
	    parse->hasTargetSRFs) {
		return nullptr;
	}
	if (outerrel->reloptkind != RELOPT_BASEREL || innerrel->reloptkind != RELOPT_BASEREL ||
	    !IsRecordsRel(root, outerrel) || !IsRecordsRel(root, innerrel) || outerrel->fdw_private == nullptr ||
	    innerrel->fdw_private == nullptr || !bms_is_empty(joinrel->lateral_relids) ||
	    !bms_is_empty(outerrel->lateral_relids) || !bms_is_empty(innerrel->lateral_relids)) {
		return nullptr;
	}
	RelOptInfo *prel = outerrel, *rrel = innerrel;
	FdwRelInfo *p = static_cast<FdwRelInfo *>(prel->fdw_private);
	FdwRelInfo *r = static_cast<FdwRelInfo *>(rrel->fdw_private);
	if (p->kind != RelKind::kScan || r->kind != RelKind::kScan ||
	    p->cpp->def.subtable.empty() == r->cpp->def.subtable.empty()) {
		return nullptr;
	}
	if (!p->cpp->def.subtable.empty()) {
		std::swap(prel, rrel);
		std::swap(p, r);
	}
	// The same app, guest space, server and user mapping.
	const ConnectionParams &pc = p->cpp->def.conn, &rc = r->cpp->def.conn;
	if (p->app != r->app || p->guest != r->guest || pc.server_oid != rc.server_oid || pc.user_oid != rc.user_oid ||
	    pc.api_token != rc.api_token || pc.username != rc.username) {
		return nullptr;
	}
	// Values known only at execution: each table's are numbered from 0, so only one may have them.
	if (p->param_exprs != NIL && r->param_exprs != NIL) {
		return nullptr;
	}
	// Joined on the parent's "$id": a join clause, or an equivalence both belong to (WHERE
	// o."$id" = 5 AND l."$id" = 5 leaves no join clause).
	int pid = IdColumn(p), rid = IdColumn(r);
	if (pid == 0 || rid == 0) {
		return nullptr;
	}
	bool joined = false;
	ListCell *cell;
	foreach (cell, extra->restrictlist) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		joined = joined || IsIdEquality(rinfo->clause, prel->relid, pid, rrel->relid, rid);
	}
	if (!joined) {
		Var *a = makeVar(prel->relid, pid, INT8OID, -1, InvalidOid, 0);
		Var *b = makeVar(rrel->relid, rid, INT8OID, -1, InvalidOid, 0);
		joined = exprs_known_equal(root, reinterpret_cast<Node *>(a), reinterpret_cast<Node *>(b));
	}
	if (!joined) {
		return nullptr;
	}
	// Evaluated on the scan tuple: both tables' conditions that are not exact, and every join
	// clause (the $id equality holds by construction and costs little to check).
	List *local = list_concat(list_copy(p->local_conds), r->local_conds);
	local = list_concat(local, extra->restrictlist);
	// The scan tuple holds the columns the join's output and those conditions use: plain columns only.
	List *exprs = list_copy(joinrel->reltarget->exprs);
	foreach (cell, exprs) {
		if (!IsA(lfirst(cell), Var)) {
			return nullptr;
		}
	}
	foreach (cell, local) {
		exprs = lappend(exprs, static_cast<RestrictInfo *>(lfirst(cell))->clause);
	}
	List *vars = pull_var_clause(reinterpret_cast<Node *>(exprs), PVC_INCLUDE_PLACEHOLDERS);
	foreach (cell, vars) {
		if (!IsA(lfirst(cell), Var)) {
			return nullptr;
		}
		Var *var = static_cast<Var *>(lfirst(cell));
		if (var->varno != static_cast<int>(prel->relid) && var->varno != static_cast<int>(rrel->relid)) {
			return nullptr;
		}
	}
	FdwRelInfo *info = static_cast<FdwRelInfo *>(palloc0(sizeof(FdwRelInfo)));
	if (!ColumnsOfRel(vars, p, prel->relid, &info->parent_attrs) ||
	    !ColumnsOfRel(vars, r, rrel->relid, &info->rows_attrs)) {
		return nullptr;
	}
	info->kind = RelKind::kJoin;
	info->relid = r->relid;
	info->cpp = r->cpp;
	info->parent = p;
	info->rows_side = r;
	info->local_conds = local;
	info->app = r->app;
	info->guest = r->guest;
	info->limit = -1;
	info->remote_rows = -1;
	info->rows = joinrel->rows;
	info->relations =
	    psprintf("(%s) INNER JOIN (%s)", RelationText(root, prel->relid), RelationText(root, rrel->relid));
	// The records read: those matching the records table's pushed conditions, narrowed by the
	// rows table's (their selectivity over rows stands in for that over records).
	double tuples = prel->tuples >= 0 ? prel->tuples : kDefaultRows;
	double fetched = clamp_row_est(
	    tuples *
	    Selectivity(root, prel, extract_actual_clauses(list_concat_copy(p->exact_conds, p->superset_conds), false)) *
	    Selectivity(root, rrel, extract_actual_clauses(list_concat_copy(r->exact_conds, r->superset_conds), false)));
	info->remote_rows = fetched;
	return info;
}

// The plan of a join read by one scan: scanrelid 0, the scan tuple (fdw_scan_tlist) the rows
// table's columns then the records table's, the local conditions as the scan's qual.
ForeignScan *JoinPlan(PlannerInfo *root, const FdwRelInfo *info, List *tlist, Plan *outer_plan) {
	(void)root;
	const FdwRelInfo *p = info->parent;
	const FdwRelInfo *r = info->rows_side;
	List *param_exprs = list_copy(p->param_exprs != NIL ? p->param_exprs : r->param_exprs);
	PlanCpp *cpp = r->cpp;
	Guard([&]() { cpp->conditions.push_back(kintone::JoinedRecordsCondition(p->cpp->pushed, r->cpp->pushed)); });
	Node *condition = ConditionToNode(cpp->conditions.back());
	List *fdw_scan_tlist = NIL;
	int resno = 1;
	auto add = [&](const FdwRelInfo *side, List *attrs) {
		ListCell *cell;
		foreach (cell, attrs) {
			int attnum = lfirst_int(cell);
			Oid typid;
			int32 typmod;
			Oid collid;
			get_atttypetypmodcoll(side->relid, attnum, &typid, &typmod, &collid);
			Var *var = makeVar(side->cols.relid, attnum, typid, typmod, collid, 0);
			fdw_scan_tlist =
			    lappend(fdw_scan_tlist, makeTargetEntry(reinterpret_cast<Expr *>(var), resno++, nullptr, false));
		}
	};
	add(r, info->rows_attrs);
	add(p, info->parent_attrs);
	List *local_exprs = NIL;
	ListCell *cell;
	foreach (cell, info->local_conds) {
		local_exprs = lappend(local_exprs, static_cast<RestrictInfo *>(lfirst(cell))->clause);
	}
	PlanShape shape;
	ScanTargets t;
	t.attrs = info->rows_attrs;
	List *priv = MakePlanPrivate(r, condition, shape, t, 0);
	List *parent_fields = NIL;
	List *parent_columns = NIL;
	if (info->parent_attrs != NIL) {
		parent_fields = FieldList(p, info->parent_attrs, false);
		foreach (cell, info->parent_attrs) {
			parent_columns =
			    lappend(parent_columns, makeString(pstrdup(p->cpp->def.column(lfirst_int(cell)).name.c_str())));
		}
	}
	lfirst(list_nth_cell(priv, kPlanJoinRelations)) = makeString(pstrdup(info->relations));
	lfirst(list_nth_cell(priv, kPlanJoinRelid)) = makeString(psprintf("%u", r->relid));
	lfirst(list_nth_cell(priv, kPlanParentFields)) = parent_fields;
	lfirst(list_nth_cell(priv, kPlanParentColumns)) = parent_columns;
	return make_foreignscan(tlist, local_exprs, 0, param_exprs, priv, fdw_scan_tlist, NIL, outer_plan);
}

} // namespace

extern "C" ForeignScan *kintoneGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel, Oid foreigntableid,
                                              ForeignPath *best_path, List *tlist, List *scan_clauses,
                                              Plan *outer_plan) {
	(void)foreigntableid;
	FdwRelInfo *info = static_cast<FdwRelInfo *>(foreignrel->fdw_private);
	if (info->kind == RelKind::kJoin) {
		return JoinPlan(root, info, tlist, outer_plan);
	}
	FdwRelInfo *base = info->kind == RelKind::kScan ? info : info->base;
	PlanShape shape = ShapeOf(info, best_path);
	List *param_exprs;
	Node *condition = ScanCondition(info, base, best_path, shape, &param_exprs);
	ScanTargets t = TargetsOf(root, foreignrel, info, base, shape, scan_clauses);
	double rows = param_exprs == NIL ? best_path->path.rows : 0;
	return make_foreignscan(tlist, t.local_exprs, t.scan_relid, param_exprs,
	                        MakePlanPrivate(base, condition, shape, t, rows), t.fdw_scan_tlist, t.recheck_exprs,
	                        outer_plan);
}

bool enable_join_pushdown = true;

void RegisterJoinPushdownSetting() {
	DefineCustomBoolVariable("kintone_fdw.enable_join_pushdown",
	                         "Reads a join of a records table and its subtable rows table with one scan.", nullptr,
	                         &enable_join_pushdown, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
}

extern "C" void kintoneGetForeignJoinPaths(PlannerInfo *root, RelOptInfo *joinrel, RelOptInfo *outerrel,
                                           RelOptInfo *innerrel, JoinType jointype, JoinPathExtraData *extra) {
	if (joinrel->fdw_private != nullptr || !enable_join_pushdown) {
		return; // planned already (the other order of the two tables), or switched off
	}
	FdwRelInfo *info = MakeJoinInfo(root, joinrel, outerrel, innerrel, jointype, extra);
	if (info == nullptr) {
		return;
	}
	joinrel->fdw_private = info;
	// One read of the records (the two-scan plans read them twice, or once per outer row or
	// batch), then the local conditions on each tuple.
	Cost startup, total;
	EstimateCosts(joinrel->rows, info->remote_rows, false, &startup, &total);
	QualCost quals;
	cost_qual_eval(&quals, info->local_conds, root);
	startup += quals.startup;
	total += quals.startup + quals.per_tuple * info->rows_side->rows;
	add_path(joinrel, reinterpret_cast<Path *>(create_foreign_join_path(root, joinrel, nullptr, joinrel->rows, startup,
	                                                                    total, NIL, nullptr, nullptr, NIL)));
}

} // namespace kintone_fdw
