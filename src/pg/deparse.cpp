// WHERE clauses -> the client's condition tree (see deparse.hpp). Only the shape of a clause
// is judged here (a column of this table, a built-in operator, a deterministic collation, a
// value PostgreSQL can compute once per scan); whether Kintone can evaluate it, and how well,
// is for the rules of src/kintone/pushdown.cpp.
#include "pg/deparse.hpp"

#include "kintone/error.hpp"

extern "C" {
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "datatype/timestamp.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
}

namespace kintone_fdw {

using kintone::Comparison;
using kintone::SqlValue;

namespace {

// ---------------------------------------------------------------- phase 1 (PostgreSQL)

Expr *StripRelabel(Expr *expr) {
	while (expr != nullptr && IsA(expr, RelabelType)) {
		expr = reinterpret_cast<RelabelType *>(expr)->arg;
	}
	return expr;
}

// The attnum of expr when it is a column of the foreign table, else 0.
int ColumnOf(const PlanColumns *cols, Expr *expr) {
	expr = StripRelabel(expr);
	if (expr == nullptr || !IsA(expr, Var)) {
		return 0;
	}
	Var *var = reinterpret_cast<Var *>(expr);
	if (var->varno != static_cast<int>(cols->relid) || var->varlevelsup != 0 || var->varattno <= 0 ||
	    var->varattno > cols->count || !cols->usable[var->varattno - 1]) {
		return 0;
	}
	return var->varattno;
}

// A value PostgreSQL can compute once per scan: no Vars of any level, nothing volatile, no
// subplans or aggregates. Constants are a special case of this.
bool IsScanConstant(Expr *expr) {
	Node *node = reinterpret_cast<Node *>(expr);
	return !contain_var_clause(node) && !contain_volatile_functions(node) && !contain_subplans(node) &&
	       !contain_agg_clause(node) && !contain_window_function(node);
}

// For a parameterized scan: a value computed from other relations' columns (the outer side of
// a nested loop), known at each rescan. PostgreSQL turns those Vars into parameters.
bool IsOuterValue(Expr *expr, Index relid) {
	Node *node = reinterpret_cast<Node *>(expr);
	if (contain_volatile_functions(node) || contain_subplans(node) || contain_agg_clause(node) ||
	    contain_window_function(node)) {
		return false;
	}
	List *vars = pull_var_clause(node, PVC_RECURSE_AGGREGATES | PVC_RECURSE_WINDOWFUNCS | PVC_RECURSE_PLACEHOLDERS);
	ListCell *cell;
	foreach (cell, vars) {
		Var *var = static_cast<Var *>(lfirst(cell));
		if (!IsA(var, Var) || var->varlevelsup != 0 || var->varno == static_cast<int>(relid)) {
			return false;
		}
	}
	return true;
}

bool IsBuiltin(Oid oid) {
	return oid < FirstNormalObjectId;
}

// Text comparisons are pushed only under a deterministic collation: under a
// nondeterministic one ("case-insensitive") SQL equality matches more than Kintone's.
bool CollationFits(Oid collation) {
	return !OidIsValid(collation) || get_collation_isdeterministic(collation);
}

// The kintone::SqlValue::Kind of values of this type, or -1.
int KindOfType(Oid type) {
	switch (type) {
	case INT2OID:
	case INT4OID:
	case INT8OID:
		return static_cast<int>(SqlValue::Kind::kInteger);
	case NUMERICOID:
		return static_cast<int>(SqlValue::Kind::kDecimal);
	case TEXTOID:
	case VARCHAROID:
		return static_cast<int>(SqlValue::Kind::kText);
	case DATEOID:
		return static_cast<int>(SqlValue::Kind::kDate);
	case TIMESTAMPTZOID:
		return static_cast<int>(SqlValue::Kind::kTimestamp);
	default:
		return -1;
	}
}

bool ComparisonOf(const char *opname, Comparison *out) {
	static const struct {
		const char *name;
		Comparison c;
	} ops[] = {{"=", Comparison::kEq},  {"<>", Comparison::kNe}, {"<", Comparison::kLt},
	           {"<=", Comparison::kLe}, {">", Comparison::kGt},  {">=", Comparison::kGe}};
	for (const auto &o : ops) {
		if (strcmp(opname, o.name) == 0) {
			*out = o.c;
			return true;
		}
	}
	return false;
}

SqlCond *NewCond(SqlCond::Kind kind, int attnum) {
	SqlCond *c = static_cast<SqlCond *>(palloc0(sizeof(SqlCond)));
	c->kind = kind;
	c->attnum = attnum;
	return c;
}

SqlCond *OneValue(SqlCond *c, PlainValue value) {
	c->nvalues = 1;
	c->values = static_cast<PlainValue *>(palloc(sizeof(PlainValue)));
	c->values[0] = value;
	return c;
}

struct Walker {
	const PlanColumns *cols;
	List **param_exprs;
	bool outer_values;
};

SqlCond *Walk(Walker &w, Expr *expr, bool negate);

// A value known only at execution: becomes fdw_exprs item number slot.
int AddParam(Walker &w, Expr *value) {
	*w.param_exprs = lappend(*w.param_exprs, value);
	return list_length(*w.param_exprs) - 1;
}

// column && ARRAY[…] (CHECK_BOX / MULTI_SELECT as text[]).
SqlCond *Overlap(Walker &w, OpExpr *op, bool negate) {
	Expr *left = static_cast<Expr *>(linitial(op->args));
	Expr *right = static_cast<Expr *>(lsecond(op->args));
	int attnum = ColumnOf(w.cols, left);
	Expr *value = right;
	if (attnum == 0) {
		attnum = ColumnOf(w.cols, right);
		value = left;
	}
	// Negations stay local (how Kintone treats an empty selection under "not in" is not known).
	if (attnum == 0 || negate || !IsA(value, Const) || reinterpret_cast<Const *>(value)->constisnull ||
	    !CollationFits(op->inputcollid)) {
		return nullptr;
	}
	SqlCond *c = NewCond(SqlCond::kAnySelected, attnum);
	c->nvalues = ReadArray(reinterpret_cast<Const *>(value)->constvalue, &c->values);
	return c;
}

// column op value (either order).
SqlCond *Compare(Walker &w, OpExpr *op, bool negate) {
	if (list_length(op->args) != 2 || !IsBuiltin(op->opno)) {
		return nullptr;
	}
	char *opname = get_opname(op->opno);
	if (opname == nullptr) {
		return nullptr;
	}
	if (strcmp(opname, "&&") == 0) {
		return Overlap(w, op, negate);
	}
	Comparison cmp;
	if (!ComparisonOf(opname, &cmp) || !CollationFits(op->inputcollid)) {
		return nullptr;
	}
	Expr *left = static_cast<Expr *>(linitial(op->args));
	Expr *right = static_cast<Expr *>(lsecond(op->args));
	int attnum = ColumnOf(w.cols, left);
	Expr *value = right;
	if (attnum == 0) {
		attnum = ColumnOf(w.cols, right);
		value = left;
		cmp = kintone::Commute(cmp);
	}
	if (attnum == 0) {
		return nullptr;
	}
	if (negate) {
		cmp = kintone::Negate(cmp);
	}
	if (IsA(value, Const)) {
		Const *k = reinterpret_cast<Const *>(value);
		if (k->constisnull) {
			return nullptr; // NULL: PostgreSQL folds these away anyway
		}
		SqlCond *c = NewCond(SqlCond::kCompare, attnum);
		c->comparison = static_cast<int>(cmp);
		return OneValue(c, ReadValue(k->constvalue, k->consttype, false));
	}
	if (!IsScanConstant(value) && !(w.outer_values && IsOuterValue(value, w.cols->relid))) {
		return nullptr;
	}
	int kind = KindOfType(exprType(reinterpret_cast<Node *>(value)));
	if (kind < 0) {
		return nullptr;
	}
	SqlCond *c = NewCond(SqlCond::kCompareSlot, attnum);
	c->comparison = static_cast<int>(cmp);
	c->value_kind = kind;
	c->slot = AddParam(w, value);
	return c;
}

// col = ANY(array) -> in (…); col <> ALL(array) -> not in (…); 'x' = ANY(array column).
SqlCond *ArrayOp(Walker &w, ScalarArrayOpExpr *expr, bool negate) {
	if (list_length(expr->args) != 2 || !IsBuiltin(expr->opno) || !CollationFits(expr->inputcollid)) {
		return nullptr;
	}
	char *opname = get_opname(expr->opno);
	if (opname == nullptr) {
		return nullptr;
	}
	Expr *scalar = static_cast<Expr *>(linitial(expr->args));
	Expr *array = static_cast<Expr *>(lsecond(expr->args));
	int array_column = ColumnOf(w.cols, array);
	if (array_column != 0) {
		// 'x' = ANY(column): one of the selected values is x.
		if (negate || !expr->useOr || strcmp(opname, "=") != 0 || !IsA(scalar, Const) ||
		    reinterpret_cast<Const *>(scalar)->constisnull) {
			return nullptr;
		}
		Const *k = reinterpret_cast<Const *>(scalar);
		return OneValue(NewCond(SqlCond::kAnySelected, array_column), ReadValue(k->constvalue, k->consttype, false));
	}
	int attnum = ColumnOf(w.cols, scalar);
	if (attnum == 0 || !IsA(array, Const) || reinterpret_cast<Const *>(array)->constisnull) {
		return nullptr;
	}
	bool is_in;
	if (strcmp(opname, "=") == 0 && expr->useOr) {
		is_in = true;
	} else if (strcmp(opname, "<>") == 0 && !expr->useOr) {
		is_in = false;
	} else {
		return nullptr;
	}
	SqlCond *c = NewCond(SqlCond::kIn, attnum);
	c->negated = is_in == negate;
	c->nvalues = ReadArray(reinterpret_cast<Const *>(array)->constvalue, &c->values);
	return c;
}

SqlCond *NullTestOf(Walker &w, NullTest *test, bool negate) {
	if (test->argisrow) {
		return nullptr;
	}
	int attnum = ColumnOf(w.cols, test->arg);
	if (attnum == 0) {
		return nullptr;
	}
	SqlCond *c = NewCond(SqlCond::kNullTest, attnum);
	c->negated = (test->nulltesttype == IS_NOT_NULL) != negate;
	return c;
}

// AND/OR/NOT. Kintone has no NOT: negation is moved to the leaves (De Morgan).
SqlCond *Bool(Walker &w, BoolExpr *expr, bool negate) {
	if (expr->boolop == NOT_EXPR) {
		return Walk(w, static_cast<Expr *>(linitial(expr->args)), !negate);
	}
	bool is_and = (expr->boolop == AND_EXPR) != negate;
	SqlCond *c = NewCond(is_and ? SqlCond::kAnd : SqlCond::kOr, 0);
	c->nchildren = list_length(expr->args);
	c->children = static_cast<SqlCond **>(palloc0(sizeof(SqlCond *) * (c->nchildren + 1)));
	int i = 0;
	ListCell *cell;
	foreach (cell, expr->args) {
		c->children[i] = Walk(w, static_cast<Expr *>(lfirst(cell)), negate);
		if (c->children[i] == nullptr) {
			return nullptr;
		}
		++i;
	}
	return c;
}

// Whether funcid is the extension's kintone_like(field, words) (see kintone_fdw--0.1.sql): a
// function of that name that belongs to this extension, wherever the extension was installed.
bool IsKintoneLike(Oid funcid) {
	char *name = get_func_name(funcid);
	if (name == nullptr || strcmp(name, "kintone_like") != 0) {
		return false;
	}
	Oid extension = get_extension_oid("kintone_fdw", true);
	return OidIsValid(extension) && getExtensionOfObject(ProcedureRelationId, funcid) == extension;
}

// kintone_like(column, words): Kintone's word search (see word_search.cpp).
SqlCond *WordSearch(Walker &w, FuncExpr *expr, bool negate) {
	if (list_length(expr->args) != 2 || !IsKintoneLike(expr->funcid)) {
		return nullptr;
	}
	int attnum = ColumnOf(w.cols, static_cast<Expr *>(linitial(expr->args)));
	Expr *words = static_cast<Expr *>(lsecond(expr->args));
	if (attnum == 0) {
		return nullptr;
	}
	if (IsA(words, Const)) {
		Const *k = reinterpret_cast<Const *>(words);
		SqlCond *c = NewCond(SqlCond::kWordSearch, attnum);
		c->negated = negate;
		return OneValue(c, ReadValue(k->constvalue, k->consttype, k->constisnull));
	}
	if (!IsScanConstant(words)) {
		return nullptr;
	}
	SqlCond *c = NewCond(SqlCond::kWordSearchSlot, attnum);
	c->negated = negate;
	c->slot = AddParam(w, words);
	return c;
}

SqlCond *Walk(Walker &w, Expr *expr, bool negate) {
	if (expr == nullptr) {
		return nullptr;
	}
	switch (nodeTag(expr)) {
	case T_OpExpr:
		return Compare(w, reinterpret_cast<OpExpr *>(expr), negate);
	case T_ScalarArrayOpExpr:
		return ArrayOp(w, reinterpret_cast<ScalarArrayOpExpr *>(expr), negate);
	case T_NullTest:
		return NullTestOf(w, reinterpret_cast<NullTest *>(expr), negate);
	case T_BoolExpr:
		return Bool(w, reinterpret_cast<BoolExpr *>(expr), negate);
	case T_FuncExpr:
		return WordSearch(w, reinterpret_cast<FuncExpr *>(expr), negate);
	default:
		return nullptr;
	}
}

// ---------------------------------------------------------------- phase 2 (C++)

kintone::Pushdown Local() {
	return kintone::Pushdown::Local();
}

// The values of cond, or false when one cannot be written.
bool Values(const SqlCond *cond, std::vector<std::optional<SqlValue>> *out) {
	for (int i = 0; i < cond->nvalues; ++i) {
		const PlainValue &v = cond->values[i];
		if (!v.is_null && !v.writable) {
			return false;
		}
		out->push_back(ToSqlValue(v));
	}
	return true;
}

} // namespace

PlainValue ReadValue(Datum value, Oid type, bool is_null) {
	PlainValue out = {KindOfType(type), is_null, false, nullptr, 0};
	if (is_null || out.kind < 0) {
		return out;
	}
	switch (type) {
	case INT2OID:
		out.text = psprintf("%d", static_cast<int>(DatumGetInt16(value)));
		break;
	case INT4OID:
		out.text = psprintf("%d", DatumGetInt32(value));
		break;
	case INT8OID:
		out.text = psprintf(INT64_FORMAT, DatumGetInt64(value));
		break;
	case NUMERICOID: {
		Numeric num = DatumGetNumeric(value);
		if (numeric_is_nan(num) || numeric_is_inf(num)) {
			return out;
		}
		out.text = DatumGetCString(DirectFunctionCall1(numeric_out, value));
		break;
	}
	case TEXTOID:
	case VARCHAROID:
		out.text = TextDatumGetCString(value);
		break;
	case DATEOID: {
		DateADT date = DatumGetDateADT(value);
		if (DATE_NOT_FINITE(date)) {
			return out;
		}
		int y, m, d;
		j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		if (y < 1 || y > 9999) {
			return out;
		}
		out.text = psprintf("%04d-%02d-%02d", y, m, d);
		break;
	}
	case TIMESTAMPTZOID: {
		TimestampTz ts = DatumGetTimestampTz(value);
		if (TIMESTAMP_NOT_FINITE(ts)) {
			return out;
		}
		// PostgreSQL counts from 2000-01-01, the client from 1970-01-01 (both UTC).
		out.micros = ts + static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;
		out.text = "";
		break;
	}
	default:
		return out;
	}
	out.writable = true;
	return out;
}

int ReadArray(Datum array, PlainValue **out) {
	ArrayType *arr = DatumGetArrayTypeP(array);
	Oid elem_type = ARR_ELEMTYPE(arr);
	int16 elmlen;
	bool elmbyval;
	char elmalign;
	get_typlenbyvalalign(elem_type, &elmlen, &elmbyval, &elmalign);
	Datum *values;
	bool *nulls;
	int count;
	deconstruct_array(arr, elem_type, elmlen, elmbyval, elmalign, &values, &nulls, &count);
	*out = static_cast<PlainValue *>(palloc(sizeof(PlainValue) * (count > 0 ? count : 1)));
	for (int i = 0; i < count; ++i) {
		(*out)[i] = ReadValue(values[i], elem_type, nulls[i]);
	}
	return count;
}

SqlCond *ReadCondition(const PlanColumns *cols, Expr *expr, List **param_exprs, bool outer_values) {
	Walker w{cols, param_exprs, outer_values};
	return Walk(w, expr, false);
}

std::optional<SqlValue> ToSqlValue(const PlainValue &v) {
	if (v.is_null || !v.writable) {
		return std::nullopt;
	}
	switch (static_cast<SqlValue::Kind>(v.kind)) {
	case SqlValue::Kind::kInteger:
		return SqlValue::Integer(std::stoll(v.text));
	case SqlValue::Kind::kDecimal:
		return SqlValue::Decimal(v.text);
	case SqlValue::Kind::kText:
		return SqlValue::Text(v.text);
	case SqlValue::Kind::kDate: {
		SqlValue out; // "YYYY-MM-DD", as ReadValue wrote it
		out.kind = SqlValue::Kind::kDate;
		out.text = v.text;
		return out;
	}
	case SqlValue::Kind::kTimestamp:
		return SqlValue::Timestamp(v.micros);
	}
	return std::nullopt;
}

kintone::Condition BindValues(const kintone::Condition &condition, const PlainValue *params, int nparams,
                              const PlainValue *keys, int nkeys, bool have_keys) {
	return kintone::BindSlots(condition, [&](const kintone::Condition &slot) {
		const kintone::SlotRule &rule = *slot.slot_rule();
		if (rule.kind == kintone::SlotRule::Kind::kKeys) {
			if (!have_keys) {
				return kintone::Condition::False();
			}
			std::vector<std::optional<SqlValue>> values;
			for (int i = 0; i < nkeys; ++i) {
				if (!keys[i].is_null && !keys[i].writable) {
					return kintone::Condition::True(); // the join re-checks every row
				}
				values.push_back(ToSqlValue(keys[i]));
			}
			return kintone::BindKeys(rule, values);
		}
		int index = slot.slot();
		if (index < 0 || index >= nparams) {
			throw kintone::Error(kintone::ErrorKind::kInternal, "kintone_fdw found a malformed plan",
			                     "slot " + std::to_string(index) + " of " + std::to_string(nparams));
		}
		const PlainValue &v = params[index];
		if (!v.is_null && !v.writable) {
			if (rule.kind == kintone::SlotRule::Kind::kWordSearch) {
				return kintone::BindSlot(rule, SqlValue::Text("\x01")); // raises the word search's error
			}
			return kintone::Condition::True();
		}
		return kintone::BindSlot(rule, ToSqlValue(v));
	});
}

std::string SlotDisplay(const kintone::Condition &slot) {
	const kintone::SlotRule &rule = *slot.slot_rule();
	std::string param = "$" + std::to_string(slot.slot() + 1);
	switch (rule.kind) {
	case kintone::SlotRule::Kind::kKeys:
		return rule.field.code + " in ($keys)";
	case kintone::SlotRule::Kind::kWordSearch:
		return rule.field.code + (rule.negated ? " not like " : " like ") + param;
	case kintone::SlotRule::Kind::kCompare:
		break;
	}
	static const char *const kOps[] = {"=", "!=", "<", "<=", ">", ">="};
	return rule.field.code + " " + kOps[static_cast<int>(rule.comparison)] + " " + param;
}

kintone::Pushdown Translate(const SqlCond *cond, const std::vector<kintone::FieldFacts> &columns) {
	if (cond->kind == SqlCond::kAnd || cond->kind == SqlCond::kOr) {
		std::vector<kintone::Condition> children;
		kintone::Verdict verdict = kintone::Verdict::kExact;
		bool unknown_option = false;
		bool local = false;
		for (int i = 0; i < cond->nchildren; ++i) {
			kintone::Pushdown p = Translate(cond->children[i], columns);
			unknown_option = unknown_option || p.unknown_option;
			if (p.verdict == kintone::Verdict::kLocal) {
				local = true;
				continue; // keep looking: another child may also ask for fresh options
			}
			verdict = kintone::Weaker(verdict, p.verdict);
			children.push_back(std::move(p.condition));
		}
		if (local) {
			return kintone::Pushdown::Local(unknown_option);
		}
		kintone::Pushdown out;
		out.verdict = verdict;
		out.condition = cond->kind == SqlCond::kAnd ? kintone::Condition::And(std::move(children))
		                                            : kintone::Condition::Or(std::move(children));
		return out;
	}
	const kintone::FieldFacts &field = columns.at(static_cast<size_t>(cond->attnum - 1));
	Comparison cmp = static_cast<Comparison>(cond->comparison);
	std::vector<std::optional<SqlValue>> values;
	switch (cond->kind) {
	case SqlCond::kCompare:
		if (!Values(cond, &values) || !values.front()) {
			return Local();
		}
		return kintone::PushCompare(field, cmp, *values.front());
	case SqlCond::kIn:
		if (!Values(cond, &values)) {
			return Local();
		}
		return kintone::PushIn(field, cond->negated, values);
	case SqlCond::kNullTest:
		return kintone::PushIsNull(field, !cond->negated);
	case SqlCond::kAnySelected:
		if (!Values(cond, &values)) {
			return Local();
		}
		return kintone::PushAnySelected(field, values);
	case SqlCond::kWordSearch:
		if (cond->values[0].is_null) {
			// NULL words: NULL, so no row, negated or not (as a parameter's NULL at execution).
			if (kintone::PushWordSearch(field, cond->negated, SqlValue::Text("")).verdict == kintone::Verdict::kLocal) {
				return Local();
			}
			return kintone::Pushdown::Exact(kintone::Condition::False());
		}
		if (!Values(cond, &values)) {
			return Local();
		}
		return kintone::PushWordSearch(field, cond->negated, *values.front());
	case SqlCond::kCompareSlot:
		return kintone::PushCompareSlot(field, cmp, static_cast<SqlValue::Kind>(cond->value_kind), cond->slot);
	case SqlCond::kWordSearchSlot:
		return kintone::PushWordSearchSlot(field, cond->negated, cond->slot);
	default:
		return Local();
	}
}

} // namespace kintone_fdw
