// WHERE clauses -> Kintone query conditions, exact or not at all.
//
// Each pushed condition is classified: exact (Kintone returns exactly the rows PostgreSQL
// would keep) or superset (Kintone may return more, so the condition stays as a local filter
// too). Anything else stays local only. The rules per field type are in deparse.cpp and in
// README ("Pushdown"). Values that PostgreSQL knows only at execution time (parameters, now())
// become placeholders filled in when the scan starts.
//
// Written in PostgreSQL's style (StringInfo, List, palloc): it calls output functions that may
// ereport, so no C++ object with a destructor lives in these frames. Column facts come from a
// plain array whose strings are owned by the planner's C++ state.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/schema.hpp"

extern "C" {
#include "lib/stringinfo.h"
}

#include <string>
#include <vector>

namespace kintone_fdw {

// What the deparser knows of a column (index attnum - 1).
struct PlanColumn {
	const char *field_code;                  // nullptr for dropped columns
	kintone::FieldType field_type;           // kUnknown: never pushed
	const char *calc_format;                 // CALC only
	const std::vector<std::string> *options; // option labels, nullptr when unknown
	Oid pg_type;
};

struct PlanColumns {
	int count;
	PlanColumn *columns;
	Index relid; // range-table index of the foreign table
};

struct DeparseResult {
	bool pushed;
	bool exact;
};

// Appends the Kintone condition of expr to buf when it can be pushed. Runtime values become
// placeholders "\x01N\x01" with N indexing *param_exprs (appended) and *param_leaves (a List of
// Lists: field code, field type, operator — plan data for FillPlaceholders).
// outer_values: also accept values computed from other relations' columns (join clauses of a
// parameterized scan); they become placeholders like parameters.
DeparseResult DeparseQual(const PlanColumns *cols, Expr *expr, StringInfo buf, List **param_exprs, List **param_leaves,
                          bool outer_values = false);

// Builds the Kintone leaf "code op literal" for a value known now; false when the value cannot
// be written exactly for that field (the caller substitutes an always-true leaf, except for
// "like"/"not like" — kintone_like() — which has no local re-check: the caller raises an error).
bool FormatLeaf(const char *field_code, kintone::FieldType type, const char *op, Datum value, Oid value_type,
                bool is_null, StringInfo out);

// Batched joins: whether column col can be matched against a list of keys with Kintone's
// "in (…)" (the field types whose "=" the parameterized paths push and that take "in").
bool InListPushable(const PlanColumn &col);

// Builds "code in (k1, k2, …)" from an array of keys (elem_type: the keys' type). Keys that no
// record can equal (empty text: an empty Kintone value is NULL) are left out, and an empty list
// becomes kAlwaysFalse; false when a key cannot be written exactly (the caller substitutes an
// always-true leaf and relies on the local re-check).
bool FormatInLeaf(const char *field_code, kintone::FieldType type, Datum array, Oid elem_type, StringInfo out);

// Replaces each placeholder of templ with the matching leaf text (leaves: char * array).
char *FillPlaceholders(const char *templ, char **leaves, int nleaves);

// The condition that is always true in Kintone (every record has $id > 0).
constexpr const char *kAlwaysTrue = "$id > 0";
// The condition that is never true (no record has $id < 0).
constexpr const char *kAlwaysFalse = "$id < 0";

// Whether ORDER BY on a column of this field type can be done by Kintone exactly as
// PostgreSQL would (only fields that are never empty, with an unambiguous order).
bool SortPushable(kintone::FieldType type, Oid pg_type);

} // namespace kintone_fdw
