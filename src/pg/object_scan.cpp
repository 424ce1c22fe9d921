// Planning and scanning object tables (apps, spaces, fields, views, statuses, actions,
// comments; see object_table.hpp and kintone/metadata.hpp).
//
// Kintone can select these objects by a few keys only (apps by id, code, name, space; app
// settings by app; comments by app and record). The planner finds conditions "key = value" and
// "key = ANY(array)" whose value is known before the scan (a constant, a parameter, or, on a
// parameterized path, a column of the outer side of a nested loop) and hands their expressions
// to the executor, which asks Kintone only for those objects. Every condition, those included,
// is also evaluated locally on what Kintone returns: the keys only narrow the request, so an
// answer that is a superset (apps.json's name filter is a part match) is still exact.
//
// Comments need both app and record: a query that gives neither by a condition, a table option
// (app) or a join is refused when it is planned, naming what is missing. A join on record_id
// is answered per outer row by a parameterized nested loop (one request per 10 comments of
// each record).
#include "pg/object_table.hpp"

#include "kintone/error.hpp"
#include "kintone/metadata.hpp"

extern "C" {
#include "catalog/pg_collation.h"
#include "catalog/pg_operator.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <map>
#include <string>
#include <vector>

namespace kintone_fdw {

namespace {

// ForeignScan.fdw_private of an object scan: Node lists indexed by this enum. fdw_exprs holds
// the key expressions, one per entry of kObjKeyAttrs.
enum ObjectPrivate {
	kObjMarker = 0, // String kObjectMarker: tells the dispatcher this is an object scan
	kObjKind,       // Integer: kintone::ObjectKind
	kObjKeyAttrs,   // List of String: the key attribute of each fdw_exprs entry
	kObjKeyArrays,  // List of Integer: 1 when the entry is an array ("= ANY")
	kObjPrivateLength,
};
constexpr const char *kObjectMarker = "kintone_fdw object scan";

// Rows a scan is guessed to return when nothing better is known.
double GuessRows(kintone::ObjectKind kind) {
	switch (kind) {
	case kintone::ObjectKind::kApps:
		return 50;
	case kintone::ObjectKind::kSpaces:
		return 5;
	case kintone::ObjectKind::kFields:
		return 30;
	case kintone::ObjectKind::kViews:
	case kintone::ObjectKind::kStatuses:
	case kintone::ObjectKind::kActions:
	case kintone::ObjectKind::kComments:
		return 5;
	case kintone::ObjectKind::kRecords:
		break;
	}
	return 10;
}

constexpr double kRequestCost = 100.0; // as the records planner: one HTTP round trip

// What planning knows of the table, kept in RelOptInfo.fdw_private.
struct ObjectRelInfo {
	kintone::ObjectKind kind;
	bool app_option; // the table has the option app
	int natts;
	const char **attr_of; // attnum - 1 -> attribute name (nullptr: dropped)
	bool *key;            // attnum - 1 -> a key attribute usable with its column's type
};

ObjectRelInfo *RelInfo(RelOptInfo *rel) {
	return static_cast<ObjectRelInfo *>(rel->fdw_private);
}

Expr *Strip(Expr *e) {
	while (e != nullptr && IsA(e, RelabelType)) {
		e = reinterpret_cast<RelabelType *>(e)->arg;
	}
	return e;
}

bool IsEquality(Oid opno) {
	return get_oprrest(opno) == F_EQSEL;
}

// The key a clause gives: "key = value" or "key = ANY(array)" with the key a column of rel and
// the value free of rel's columns and of volatile functions. *value is the expression as it
// appears in the clause (outer columns are replaced by parameters when the plan is made).
bool MatchKey(PlannerInfo *root, RelOptInfo *rel, Expr *clause, int *attnum, Expr **value, bool *is_array) {
	const ObjectRelInfo *info = RelInfo(rel);
	List *args;
	Oid opno;
	Oid collid;
	if (IsA(clause, OpExpr)) {
		OpExpr *op = reinterpret_cast<OpExpr *>(clause);
		args = op->args;
		opno = op->opno;
		collid = op->inputcollid;
		*is_array = false;
	} else if (IsA(clause, ScalarArrayOpExpr)) {
		ScalarArrayOpExpr *op = reinterpret_cast<ScalarArrayOpExpr *>(clause);
		if (!op->useOr) {
			return false;
		}
		args = op->args;
		opno = op->opno;
		collid = op->inputcollid;
		*is_array = true;
	} else {
		return false;
	}
	if (list_length(args) != 2 || !IsEquality(opno)) {
		return false;
	}
	// A text key compared under a nondeterministic collation could match values Kintone's
	// exact comparison does not return: not a key then.
	if (OidIsValid(collid) && !get_collation_isdeterministic(collid)) {
		return false;
	}
	for (int side = 0; side < 2; ++side) {
		if (*is_array && side == 1) {
			break; // the array is always on the right
		}
		Expr *col = Strip(static_cast<Expr *>(list_nth(args, side)));
		Expr *other = static_cast<Expr *>(list_nth(args, 1 - side));
		if (col == nullptr || !IsA(col, Var)) {
			continue;
		}
		Var *var = reinterpret_cast<Var *>(col);
		if (var->varno != static_cast<int>(rel->relid) || var->varlevelsup != 0 || var->varattno <= 0 ||
		    var->varattno > info->natts || !info->key[var->varattno - 1]) {
			continue;
		}
		if (bms_is_member(rel->relid, pull_varnos(root, reinterpret_cast<Node *>(other))) ||
		    contain_volatile_functions(reinterpret_cast<Node *>(other))) {
			continue;
		}
		*attnum = var->varattno;
		*value = other;
		return true;
	}
	return false;
}

// Keys the kind needs and the table does not fix by an option: comments need app and record_id.
std::vector<const char *> RequiredKeys(const ObjectRelInfo *info) {
	std::vector<const char *> out;
	if (info->kind == kintone::ObjectKind::kComments) {
		if (!info->app_option) {
			out.push_back("app");
		}
		out.push_back("record_id");
	}
	return out;
}

// The key attributes restriction and (param) join clauses give.
std::vector<std::string> KeysOf(PlannerInfo *root, RelOptInfo *rel, List *clauses) {
	std::vector<std::string> keys;
	ListCell *cell;
	foreach (cell, clauses) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		int attnum;
		Expr *value;
		bool is_array;
		if (MatchKey(root, rel, rinfo->clause, &attnum, &value, &is_array)) {
			keys.emplace_back(RelInfo(rel)->attr_of[attnum - 1]);
		}
	}
	return keys;
}

bool Missing(const ObjectRelInfo *info, const std::vector<std::string> &keys, std::string *missing) {
	missing->clear();
	for (const char *need : RequiredKeys(info)) {
		bool found = false;
		for (const auto &k : keys) {
			found |= k == need;
		}
		if (!found) {
			*missing += (missing->empty() ? "" : " and ") + std::string(need);
		}
	}
	return !missing->empty();
}

bool MemberIsKey(PlannerInfo *, RelOptInfo *rel, EquivalenceClass *, EquivalenceMember *em, void *arg) {
	Expr *e = Strip(em->em_expr);
	return e != nullptr && IsA(e, Var) && reinterpret_cast<Var *>(e)->varno == static_cast<int>(rel->relid) &&
	       reinterpret_cast<Var *>(e)->varattno == *static_cast<int *>(arg);
}

} // namespace

void ObjectGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid) {
	RawObjectTable *raw = ReadObjectTable(foreigntableid, InvalidOid, false);
	ObjectRelInfo *info = static_cast<ObjectRelInfo *>(palloc0(sizeof(ObjectRelInfo)));
	info->natts = raw->ncolumns;
	info->attr_of = static_cast<const char **>(palloc0(sizeof(char *) * (raw->ncolumns + 1)));
	info->key = static_cast<bool *>(palloc0(sizeof(bool) * (raw->ncolumns + 1)));
	// Phase 2: options and attributes checked (errors name the column).
	struct Plain {
		int kind;
		bool app_option;
		std::vector<std::string> attrs;
		std::vector<bool> keys;
	};
	Plain *plain = NewOwnedObject<Plain>(CurrentMemoryContext);
	Guard([&]() {
		ObjectTableDef def = MakeObjectTableDef(*raw, false);
		plain->kind = static_cast<int>(def.kind);
		plain->app_option = def.app != 0;
		for (const auto &c : def.columns) {
			plain->attrs.push_back(c.dropped ? std::string() : c.attr);
			const kintone::ObjectAttr *a = c.dropped ? nullptr : kintone::FindObjectAttr(def.kind, c.attr);
			// A key column must have a type whose equality is Kintone's: integers or text for ids,
			// text for codes and names.
			bool usable = false;
			if (a != nullptr && a->key) {
				bool text = c.type == TEXTOID || c.type == VARCHAROID;
				bool integer = c.type == INT8OID || c.type == INT4OID || c.type == INT2OID;
				usable = a->type == kintone::AttrType::kId ? integer || text : text;
			}
			plain->keys.push_back(usable);
		}
	});
	info->kind = static_cast<kintone::ObjectKind>(plain->kind);
	info->app_option = plain->app_option;
	for (int i = 0; i < raw->ncolumns; ++i) {
		info->attr_of[i] = plain->attrs[i].empty() ? nullptr : pstrdup(plain->attrs[i].c_str());
		info->key[i] = plain->keys[i];
	}
	baserel->fdw_private = info;
	double selectivity =
	    clauselist_selectivity(root, extract_actual_clauses(baserel->baserestrictinfo, false), 0, JOIN_INNER, nullptr);
	baserel->rows = clamp_row_est(GuessRows(info->kind) * selectivity);
}

void ObjectGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid) {
	(void)foreigntableid;
	ObjectRelInfo *info = RelInfo(baserel);
	std::vector<std::string> keys = KeysOf(root, baserel, baserel->baserestrictinfo);
	std::string missing;
	Cost startup = kRequestCost;
	Cost total = startup + baserel->rows * cpu_tuple_cost;
	if (Missing(info, keys, &missing)) {
		// Refused when planned unless a parameterized path below gives the key (a join).
		startup += disable_cost;
		total += disable_cost;
	}
	add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(root, baserel, nullptr, baserel->rows, startup,
	                                                                   total, NIL, nullptr, nullptr, NIL)));

	// Parameterized paths: a join clause "key = outer value" (also through equivalence classes).
	List *candidates = list_copy(baserel->joininfo);
	if (baserel->has_eclass_joins) {
		for (int attnum = 1; attnum <= info->natts; ++attnum) {
			if (info->key[attnum - 1]) {
				candidates =
				    list_concat(candidates, generate_implied_equalities_for_column(root, baserel, MemberIsKey, &attnum,
				                                                                   baserel->lateral_referencers));
			}
		}
	}
	ListCell *cell;
	foreach (cell, candidates) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		if (!join_clause_is_movable_to(rinfo, baserel)) {
			continue;
		}
		int attnum;
		Expr *value;
		bool is_array;
		if (!MatchKey(root, baserel, rinfo->clause, &attnum, &value, &is_array)) {
			continue;
		}
		Relids required = bms_difference(rinfo->clause_relids, baserel->relids);
		if (bms_is_empty(required) || bms_overlap(required, baserel->lateral_relids)) {
			continue;
		}
		ParamPathInfo *ppi = get_baserel_parampathinfo(root, baserel, required);
		std::vector<std::string> with = KeysOf(root, baserel, baserel->baserestrictinfo);
		with.emplace_back(info->attr_of[attnum - 1]);
		Cost pstartup = kRequestCost;
		Cost ptotal = pstartup + ppi->ppi_rows * cpu_tuple_cost;
		if (Missing(info, with, &missing)) {
			pstartup += disable_cost;
			ptotal += disable_cost;
		}
		add_path(baserel, reinterpret_cast<Path *>(create_foreignscan_path(
		                      root, baserel, nullptr, ppi->ppi_rows, pstartup, ptotal, NIL, required, nullptr, NIL)));
	}
}

ForeignScan *ObjectGetForeignPlan(PlannerInfo *root, RelOptInfo *foreignrel, Oid foreigntableid, ForeignPath *best_path,
                                  List *tlist, List *scan_clauses, Plan *outer_plan) {
	(void)best_path;
	ObjectRelInfo *info = RelInfo(foreignrel);
	List *exprs = NIL;
	List *attrs = NIL;
	List *arrays = NIL;
	std::vector<std::string> keys;
	ListCell *cell;
	foreach (cell, scan_clauses) {
		RestrictInfo *rinfo = static_cast<RestrictInfo *>(lfirst(cell));
		int attnum;
		Expr *value;
		bool is_array;
		if (!MatchKey(root, foreignrel, rinfo->clause, &attnum, &value, &is_array)) {
			continue;
		}
		const char *attr = info->attr_of[attnum - 1];
		bool seen = false;
		for (const auto &k : keys) {
			seen |= k == attr;
		}
		if (seen) {
			continue; // one condition per key narrows the request; the others are checked locally
		}
		keys.emplace_back(attr);
		exprs = lappend(exprs, copyObjectImpl(value));
		attrs = lappend(attrs, makeString(pstrdup(attr)));
		arrays = lappend(arrays, makeInteger(is_array ? 1 : 0));
	}
	std::string missing;
	if (Missing(info, keys, &missing)) {
		const char *relname = get_rel_name(foreigntableid);
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
		                errmsg("a query on the comments table \"%s\" must give %s", relname, missing.c_str()),
		                errdetail("Kintone lists the comments of one record of one app at a time."),
		                info->app_option || missing == "record_id"
		                    ? errhint("Add WHERE %s = … (or IN (…)), or join on it.", missing.c_str())
		                    : errhint("Add WHERE %s = … (or IN (…)), join on it, or set the table option app.",
		                              missing.c_str())));
	}
	List *priv =
	    list_make4(makeString(pstrdup(kObjectMarker)), makeInteger(static_cast<int>(info->kind)), attrs, arrays);
	// Every condition stays a local filter (see the top of this file).
	return make_foreignscan(tlist, extract_actual_clauses(scan_clauses, false), foreignrel->relid, exprs, priv, NIL,
	                        NIL, outer_plan);
}

bool IsObjectScanPlan(const Plan *plan) {
	if (plan == nullptr || !IsA(plan, ForeignScan)) {
		return false;
	}
	List *priv = reinterpret_cast<const ForeignScan *>(plan)->fdw_private;
	if (list_length(priv) != kObjPrivateLength) {
		return false;
	}
	Node *marker = static_cast<Node *>(linitial(priv));
	return marker != nullptr && IsA(marker, String) && strcmp(strVal(marker), kObjectMarker) == 0;
}

namespace {

// One column's conversion from an attribute's text.
struct ObjConv {
	int attnum;
	int attr_index; // into ScanCpp::attrs
	FmgrInfo input;
	Oid ioparam;
	int32 typmod;
	int shape; // 0 scalar, 1 array (PostgreSQL array literal), 2 JSON text
};

// C++ state of a scan, owned by the scan's memory context.
struct ObjectScanCpp {
	ObjectTableDef def;
	kintone::Session *session = nullptr;
	std::vector<std::string> attrs; // attribute of each converted column
	std::vector<int> shapes;
	kintone::ObjectKeys last_keys;
	bool have_rows = false;
	// The rows as text, one entry per converted column (absent: NULL).
	std::vector<std::vector<std::string>> texts;
	std::vector<std::vector<bool>> nulls;
	std::vector<std::string> notices;
	long requests = 0;
	size_t row = 0;
};

struct ObjectScanState {
	ObjectScanCpp *cpp;
	List *key_states; // ExprState per key expression
	List *key_attrs;
	List *key_arrays;
	Oid *key_types;
	int nconv;
	ObjConv *conv;
	bool started;
	bool explain_only;
};

// PostgreSQL array literal of JSON scalars: {"a","b"}.
std::string ArrayLiteral(const kintone::Json &array) {
	std::string out = "{";
	bool first = true;
	for (const auto &v : array) {
		if (!first) {
			out += ',';
		}
		first = false;
		if (v.is_null()) {
			out += "NULL";
			continue;
		}
		// Entities (mentions, assignees) in a text[] column: their codes.
		std::string text = v.is_string()                                                  ? v.get<std::string>()
		                   : v.is_object() && v.contains("code") && v["code"].is_string() ? v["code"].get<std::string>()
		                                                                                  : v.dump();
		out += '"';
		for (char c : text) {
			if (c == '"' || c == '\\') {
				out += '\\';
			}
			out += c;
		}
		out += '"';
	}
	return out + "}";
}

// The text a column of this shape receives for a JSON value; false for NULL.
bool ValueText(const kintone::Json &v, int shape, std::string *out) {
	if (v.is_null()) {
		return false;
	}
	if (shape == 2) {
		*out = v.dump();
	} else if (shape == 1) {
		if (!v.is_array()) {
			*out = ArrayLiteral(kintone::Json::array({v}));
		} else {
			*out = ArrayLiteral(v);
		}
	} else if (v.is_string()) {
		*out = v.get<std::string>();
	} else {
		*out = v.dump(); // numbers, booleans, and objects or arrays as JSON text
	}
	return true;
}

// Evaluates the key expressions into the keys of this execution (PostgreSQL phase).
void EvaluateKeys(ObjectScanState *st, ExprContext *econtext, std::vector<std::string> *attrs,
                  std::vector<std::vector<std::string>> *values) {
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	int i = 0;
	ListCell *sc, *ac, *rc;
	forthree(sc, st->key_states, ac, st->key_attrs, rc, st->key_arrays) {
		ExprState *es = static_cast<ExprState *>(lfirst(sc));
		bool isnull;
		Datum d = ExecEvalExpr(es, econtext, &isnull);
		Oid type = st->key_types[i++];
		std::vector<std::string> texts;
		if (!isnull) {
			if (intVal(lfirst(rc)) != 0) {
				ArrayType *array = DatumGetArrayTypeP(d);
				Oid elem = ARR_ELEMTYPE(array);
				int16 len;
				bool byval;
				char align;
				get_typlenbyvalalign(elem, &len, &byval, &align);
				Datum *elems;
				bool *nulls;
				int n;
				deconstruct_array(array, elem, len, byval, align, &elems, &nulls, &n);
				Oid out;
				bool varlena;
				getTypeOutputInfo(elem, &out, &varlena);
				for (int k = 0; k < n; ++k) {
					if (!nulls[k]) {
						texts.emplace_back(OidOutputFunctionCall(out, elems[k]));
					}
				}
			} else {
				Oid out;
				bool varlena;
				getTypeOutputInfo(type, &out, &varlena);
				texts.emplace_back(OidOutputFunctionCall(out, d));
			}
		}
		attrs->emplace_back(strVal(lfirst(ac)));
		values->push_back(std::move(texts));
	}
	MemoryContextSwitchTo(old);
}

} // namespace

void ObjectBeginForeignScan(ForeignScanState *node, int eflags) {
	ForeignScan *plan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
	EState *estate = node->ss.ps.state;
	ObjectScanState *st = static_cast<ObjectScanState *>(palloc0(sizeof(ObjectScanState)));
	node->fdw_state = st;
	st->key_attrs = static_cast<List *>(list_nth(plan->fdw_private, kObjKeyAttrs));
	st->key_arrays = static_cast<List *>(list_nth(plan->fdw_private, kObjKeyArrays));
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY) {
		st->explain_only = true;
		return;
	}
	RangeTblEntry *rte = exec_rt_fetch(plan->scan.scanrelid, estate);
	Oid userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	RawObjectTable *raw = ReadObjectTable(rte->relid, userid, true);
	st->key_states = ExecInitExprList(plan->fdw_exprs, reinterpret_cast<PlanState *>(node));
	st->key_types = static_cast<Oid *>(palloc0(sizeof(Oid) * (list_length(plan->fdw_exprs) + 1)));
	int k = 0;
	ListCell *cell;
	foreach (cell, plan->fdw_exprs) {
		st->key_types[k++] = exprType(static_cast<Node *>(lfirst(cell)));
	}

	TupleDesc desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	st->conv = static_cast<ObjConv *>(palloc0(sizeof(ObjConv) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped) {
			continue;
		}
		ObjConv &c = st->conv[st->nconv];
		c.attnum = i + 1;
		c.attr_index = st->nconv;
		c.typmod = att->atttypmod;
		c.shape = att->atttypid == JSONOID || att->atttypid == JSONBOID ? 2
		          : OidIsValid(get_element_type(att->atttypid))         ? 1
		                                                                : 0;
		Oid infunc;
		getTypeInputInfo(att->atttypid, &infunc, &c.ioparam);
		fmgr_info(infunc, &c.input);
		++st->nconv;
	}
	st->cpp = NewOwnedObject<ObjectScanCpp>(CurrentMemoryContext);
	Guard([&]() {
		ObjectScanCpp &cpp = *st->cpp;
		cpp.def = MakeObjectTableDef(*raw, true);
		cpp.session = &GetSession(cpp.def.conn);
		for (int i = 0; i < st->nconv; ++i) {
			cpp.attrs.push_back(cpp.def.columns[st->conv[i].attnum - 1].attr);
			cpp.shapes.push_back(st->conv[i].shape);
		}
	});
}

TupleTableSlot *ObjectIterateForeignScan(ForeignScanState *node) {
	ObjectScanState *st = static_cast<ObjectScanState *>(node->fdw_state);
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	ExecClearTuple(slot);
	if (!st->started) {
		std::vector<std::string> *attrs = nullptr;
		std::vector<std::vector<std::string>> *values = nullptr;
		struct Keys {
			std::vector<std::string> attrs;
			std::vector<std::vector<std::string>> values;
		};
		Keys *keys = NewOwnedObject<Keys>(node->ss.ps.ps_ExprContext->ecxt_per_tuple_memory);
		attrs = &keys->attrs;
		values = &keys->values;
		EvaluateKeys(st, node->ss.ps.ps_ExprContext, attrs, values);
		size_t notices_before = st->cpp->notices.size();
		Guard([&]() {
			ObjectScanCpp &cpp = *st->cpp;
			kintone::ObjectKeys request;
			for (size_t i = 0; i < attrs->size(); ++i) {
				request[(*attrs)[i]] = (*values)[i];
			}
			if (cpp.def.app != 0) {
				request["app"] = {std::to_string(cpp.def.app)};
			}
			cpp.row = 0;
			if (cpp.have_rows && request == cpp.last_keys) {
				return; // a rescan with the same keys (a nested loop's repeated outer value)
			}
			cpp.texts.clear();
			cpp.nulls.clear();
			kintone::ObjectFetch fetch =
			    kintone::FetchObjects(*cpp.session, cpp.def.kind, cpp.def.guest_space_id, request);
			cpp.requests += fetch.requests;
			for (auto &n : fetch.notices) {
				cpp.notices.push_back(std::move(n));
			}
			for (const auto &row : fetch.rows) {
				std::vector<std::string> texts(cpp.attrs.size());
				std::vector<bool> nulls(cpp.attrs.size(), true);
				for (size_t c = 0; c < cpp.attrs.size(); ++c) {
					auto it = row.find(cpp.attrs[c]);
					if (it != row.end()) {
						nulls[c] = !ValueText(*it, cpp.shapes[c], &texts[c]);
						if (texts[c].find('\0') != std::string::npos) {
							throw kintone::Error(kintone::ErrorKind::kProtocol,
							                     "Kintone returned a value with the character U+0000 in \"" +
							                         cpp.attrs[c] + "\", which PostgreSQL cannot store",
							                     "Table \"" + cpp.def.relname + "\".");
						}
					}
				}
				cpp.texts.push_back(std::move(texts));
				cpp.nulls.push_back(std::move(nulls));
			}
			cpp.last_keys = std::move(request);
			cpp.have_rows = true;
		});
		AfterKintoneCall();
		for (size_t i = notices_before; i < st->cpp->notices.size(); ++i) {
			ereport(NOTICE, (errmsg("%s", st->cpp->notices[i].c_str())));
		}
		st->started = true;
	}
	ObjectScanCpp *cpp = st->cpp;
	if (cpp->row >= cpp->texts.size()) {
		return slot;
	}
	const std::vector<std::string> &texts = cpp->texts[cpp->row];
	const std::vector<bool> &nulls = cpp->nulls[cpp->row];
	for (int i = 0; i < slot->tts_tupleDescriptor->natts; ++i) {
		slot->tts_values[i] = (Datum)0;
		slot->tts_isnull[i] = true;
	}
	for (int i = 0; i < st->nconv; ++i) {
		ObjConv &c = st->conv[i];
		if (nulls[i]) {
			continue;
		}
		char *text = pnstrdup(texts[i].data(), texts[i].size());
		slot->tts_values[c.attnum - 1] = InputFunctionCall(&c.input, text, c.ioparam, c.typmod);
		slot->tts_isnull[c.attnum - 1] = false;
	}
	ExecStoreVirtualTuple(slot);
	cpp->row++;
	return slot;
}

void ObjectReScanForeignScan(ForeignScanState *node) {
	ObjectScanState *st = static_cast<ObjectScanState *>(node->fdw_state);
	st->started = false;
}

void ObjectEndForeignScan(ForeignScanState *node) {
	(void)node; // the C++ state goes with the scan's memory context
}

void ObjectExplainForeignScan(ForeignScanState *node, ExplainState *es) {
	ObjectScanState *st = static_cast<ObjectScanState *>(node->fdw_state);
	ForeignScan *plan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
	kintone::ObjectKind kind = static_cast<kintone::ObjectKind>(intVal(list_nth(plan->fdw_private, kObjKind)));
	ExplainPropertyText("Kintone object", kintone::ObjectKindName(kind), es);
	if (es->verbose) {
		StringInfoData keys;
		initStringInfo(&keys);
		ListCell *ac, *rc;
		forboth(ac, st->key_attrs, rc, st->key_arrays) {
			appendStringInfo(&keys, "%s%s%s", keys.len > 0 ? ", " : "", strVal(lfirst(ac)),
			                 intVal(lfirst(rc)) != 0 ? " (list)" : "");
		}
		ExplainPropertyText("Kintone keys", keys.len > 0 ? keys.data : "(none)", es);
	}
	if (es->analyze && st->cpp != nullptr) {
		ExplainPropertyInteger("Kintone requests", nullptr, st->cpp->requests, es);
	}
}

} // namespace kintone_fdw
