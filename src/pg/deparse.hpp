// WHERE clauses -> the client's condition tree (src/kintone/query.hpp), in two phases:
//
// 1. ReadCondition (PostgreSQL phase) reads a clause into plain values (SqlCond): which column,
//    which comparison (negations moved into the operators), which constants (as text), and
//    which values PostgreSQL knows only at execution (parameters, stable functions, the outer
//    side of a nested loop: their expressions go to the plan's fdw_exprs and the condition
//    keeps a slot). It calls output functions that may ereport, so no C++ object lives here.
// 2. Translate (C++, inside the guard) hands the SqlCond to the client's pushdown rules
//    (src/kintone/pushdown.hpp), which decide the Kintone condition and whether Kintone's
//    answer is exact, a superset (re-checked locally) or not to be sent. No rule lives here.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/pushdown.hpp"

#include <optional>
#include <vector>

namespace kintone_fdw {

// The columns a condition may use (index attnum - 1): false for dropped columns.
struct PlanColumns {
	int count;
	const bool *usable;
	Index relid; // range-table index of the foreign table
};

// A SQL value in plain C.
struct PlainValue {
	int kind;      // kintone::SqlValue::Kind
	bool is_null;  // SQL NULL
	bool writable; // false: no Kintone literal can hold it (NaN, infinity, another type)
	const char *text;
	int64 micros;
};

// A clause in plain values, before the rules judge it.
struct SqlCond {
	enum Kind {
		kCompare,        // column <comparison> values[0]
		kIn,             // column [NOT] IN (values)
		kNullTest,       // column IS [NOT] NULL
		kAnySelected,    // values[0] = ANY(column), column && ARRAY[values]
		kWordSearch,     // [NOT] kintone_like(column, values[0])
		kAnd,            // children
		kOr,             // children
		kCompareSlot,    // column <comparison> $slot
		kWordSearchSlot, // [NOT] kintone_like(column, $slot)
	};
	Kind kind;
	int attnum;
	int comparison; // kintone::Comparison
	bool negated;   // kIn: NOT IN; kNullTest: IS NOT NULL; word search: NOT
	int nvalues;
	PlainValue *values;
	int slot;       // index into the plan's fdw_exprs
	int value_kind; // kCompareSlot: kintone::SqlValue::Kind of the parameter
	int nchildren;
	SqlCond **children;
};

// Phase 1: expr as a SqlCond, or nullptr when its shape cannot go to Kintone. Values known only
// at execution are appended to *param_exprs; outer_values also accepts values computed from
// other relations' columns (join clauses of a parameterized scan).
SqlCond *ReadCondition(const PlanColumns *cols, Expr *expr, List **param_exprs, bool outer_values = false);

// Phase 1 helpers: a Datum (or an array's elements) as plain values.
PlainValue ReadValue(Datum value, Oid type, bool is_null);
int ReadArray(Datum array, PlainValue **out);

// Phase 2: the rules' verdict and Kintone condition for cond; columns[attnum - 1] describes
// each column (field code, type, options).
kintone::Pushdown Translate(const SqlCond *cond, const std::vector<kintone::FieldFacts> &columns);

// Execution (C++ phase): condition with its slots filled from the values PostgreSQL computed
// when the scan started (params: fdw_exprs items; keys: a batched join's keys, have_keys false
// when the join handed none). A NULL matches nothing; a value no Kintone literal can hold makes
// its comparison always true (re-checked locally).
kintone::Condition BindValues(const kintone::Condition &condition, const PlainValue *params, int nparams,
                              const PlainValue *keys, int nkeys, bool have_keys);

// EXPLAIN: how a slot whose value is not known yet is shown ("code = $1", "code in ($keys)").
std::string SlotDisplay(const kintone::Condition &slot);

// A plain value for the rules (nullopt for NULL; callers check writable first).
std::optional<kintone::SqlValue> ToSqlValue(const PlainValue &value);

} // namespace kintone_fdw
