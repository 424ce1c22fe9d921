// Pushdown of WHERE clauses into Kintone conditions (see deparse.hpp).
//
// The value mapping decides what is exact: empty Kintone scalars ("" or null) are SQL NULL,
// so a Kintone comparison that never matches empty values agrees with SQL, while "!=" and
// "not in" (which do match empty values in Kintone) return a superset. Text equality is
// treated as a superset because Kintone's case and width sensitivity is not documented.
// Only built-in operators on the column's natural PostgreSQL type are considered.
#include "pg/deparse.hpp"

#include "kintone/query.hpp"

extern "C" {
#include "catalog/pg_operator.h"
#include "catalog/dependency.h"
#include "catalog/pg_proc.h"
#include "commands/extension.h"
#include "catalog/pg_type.h"
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

using kintone::FieldType;

namespace {

enum class Family { kNone, kId, kNumber, kText, kOption, kMulti, kUser, kDate, kDateTime, kLongText };

Family FamilyOf(const PlanColumn &col) {
	switch (col.field_type) {
	case FieldType::kId:
		return Family::kId;
	case FieldType::kNumber:
		return Family::kNumber;
	case FieldType::kCalc:
		return (col.calc_format == nullptr || col.calc_format[0] == '\0' || strcmp(col.calc_format, "NUMBER") == 0 ||
		        strcmp(col.calc_format, "NUMBER_DIGIT") == 0)
		           ? Family::kNumber
		           : Family::kNone;
	case FieldType::kSingleLineText:
	case FieldType::kLink:
		return Family::kText;
	case FieldType::kMultiLineText:
	case FieldType::kRichText:
		return Family::kLongText;
	case FieldType::kDropDown:
	case FieldType::kRadioButton:
		return Family::kOption;
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
		return Family::kMulti;
	case FieldType::kCreator:
	case FieldType::kModifier:
		return Family::kUser;
	case FieldType::kDate:
		return Family::kDate;
	case FieldType::kDateTime:
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
		return Family::kDateTime;
	default:
		return Family::kNone;
	}
}

// The column's PostgreSQL type must compare the way Kintone compares that field.
bool TypeFits(Family family, Oid pg_type) {
	switch (family) {
	case Family::kId:
		return pg_type == INT8OID || pg_type == INT4OID || pg_type == INT2OID || pg_type == NUMERICOID;
	case Family::kNumber:
		return pg_type == NUMERICOID || pg_type == INT8OID || pg_type == INT4OID || pg_type == INT2OID;
	case Family::kText:
	case Family::kLongText:
	case Family::kOption:
	case Family::kUser:
		return pg_type == TEXTOID || pg_type == VARCHAROID;
	case Family::kMulti:
		return pg_type == TEXTARRAYOID || pg_type == 1015; // text[] or varchar[]
	case Family::kDate:
		return pg_type == DATEOID;
	case Family::kDateTime:
		return pg_type == TIMESTAMPTZOID;
	case Family::kNone:
		return false;
	}
	return false;
}

const PlanColumn *ColumnOf(const PlanColumns *cols, Expr *expr, Family *family) {
	while (expr != nullptr && IsA(expr, RelabelType)) {
		expr = reinterpret_cast<RelabelType *>(expr)->arg;
	}
	if (expr == nullptr || !IsA(expr, Var)) {
		return nullptr;
	}
	Var *var = reinterpret_cast<Var *>(expr);
	if (var->varno != static_cast<int>(cols->relid) || var->varlevelsup != 0 || var->varattno <= 0 ||
	    var->varattno > cols->count) {
		return nullptr;
	}
	const PlanColumn *col = &cols->columns[var->varattno - 1];
	if (col->field_code == nullptr) {
		return nullptr;
	}
	*family = FamilyOf(*col);
	if (*family == Family::kNone || !TypeFits(*family, col->pg_type)) {
		return nullptr;
	}
	return col;
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

void AppendField(StringInfo buf, const char *code) {
	appendStringInfoString(buf, code);
}

// Kintone string literal; false for text with control characters Kintone cannot escape. The
// rules are the client's (kintone::CanQuote, kintone::EscapeSequence), written into a StringInfo.
bool AppendQuoted(StringInfo buf, const char *text) {
	if (!kintone::CanQuote(text)) {
		return false;
	}
	appendStringInfoChar(buf, '"');
	for (const char *p = text; *p != '\0'; ++p) {
		const char *escape = kintone::EscapeSequence(*p);
		if (escape != nullptr) {
			appendStringInfoString(buf, escape);
		} else {
			appendStringInfoChar(buf, *p);
		}
	}
	appendStringInfoChar(buf, '"');
	return true;
}

// Whether label is one of the column's option labels (options must be known).
bool IsOption(const PlanColumn *col, const char *label) {
	for (const auto &option : *col->options) {
		if (option == label) {
			return true;
		}
	}
	return false;
}

// The elements of a constant array.
void DeconstructConst(Const *c, Oid *elem_type, Datum **values, bool **nulls, int *count) {
	ArrayType *arr = DatumGetArrayTypeP(c->constvalue);
	*elem_type = ARR_ELEMTYPE(arr);
	int16 elmlen;
	bool elmbyval;
	char elmalign;
	get_typlenbyvalalign(*elem_type, &elmlen, &elmbyval, &elmalign);
	deconstruct_array(arr, *elem_type, elmlen, elmbyval, elmalign, values, nulls, count);
}

bool IsIntegerType(Oid type) {
	return type == INT2OID || type == INT4OID || type == INT8OID;
}

// Text of a number value (integers or finite numerics only).
bool NumberText(Datum value, Oid type, StringInfo out) {
	if (IsIntegerType(type)) {
		int64 v =
		    type == INT8OID ? DatumGetInt64(value) : (type == INT4OID ? DatumGetInt32(value) : DatumGetInt16(value));
		appendStringInfo(out, INT64_FORMAT, v);
		return true;
	}
	if (type == NUMERICOID) {
		Numeric num = DatumGetNumeric(value);
		if (numeric_is_nan(num) || numeric_is_inf(num)) {
			return false;
		}
		appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(numeric_out, value)));
		return true;
	}
	return false;
}

bool TextValue(Datum value, Oid type, const char **out) {
	if (type != TEXTOID && type != VARCHAROID) {
		return false;
	}
	*out = TextDatumGetCString(value);
	return true;
}

// A Kintone literal for value; op is used only for DATETIME rounding (see FormatLeaf).
bool AppendLiteral(FieldType field_type, const PlanColumn *col, Datum value, Oid type, StringInfo out) {
	PlanColumn fake = {"", field_type, col != nullptr ? col->calc_format : nullptr, nullptr, InvalidOid};
	switch (FamilyOf(col != nullptr ? *col : fake)) {
	case Family::kId: {
		if (!IsIntegerType(type)) {
			return false;
		}
		return NumberText(value, type, out);
	}
	case Family::kNumber: {
		StringInfoData num;
		initStringInfo(&num);
		if (!NumberText(value, type, &num)) {
			return false;
		}
		appendStringInfo(out, "\"%s\"", num.data);
		return true;
	}
	case Family::kText:
	case Family::kOption:
	case Family::kUser: {
		const char *text;
		if (!TextValue(value, type, &text) || text[0] == '\0') {
			return false; // "" is NULL in SQL terms: comparing with it never matches
		}
		if (col != nullptr && col->options != nullptr) {
			if (!IsOption(col, text)) {
				return false; // Kintone refuses unknown options (GAIA_IQ10)
			}
		} else if (FamilyOf(col != nullptr ? *col : fake) == Family::kOption) {
			return false; // options unknown: cannot be sure the value is one
		}
		return AppendQuoted(out, text);
	}
	case Family::kDate: {
		if (type != DATEOID) {
			return false;
		}
		DateADT date = DatumGetDateADT(value);
		if (DATE_NOT_FINITE(date)) {
			return false;
		}
		int y, m, d;
		j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &d);
		if (y < 1 || y > 9999) {
			return false;
		}
		appendStringInfo(out, "\"%04d-%02d-%02d\"", y, m, d);
		return true;
	}
	default:
		return false;
	}
}

// DATETIME: Kintone stores whole minutes, so a comparison with a value that has seconds is
// rewritten to the equivalent comparison with a whole minute (exact for whole-minute values,
// and a superset were a value ever to carry seconds).
bool AppendDateTimeLeaf(const char *code, const char *op, Datum value, Oid type, StringInfo out) {
	if (type != TIMESTAMPTZOID) {
		return false;
	}
	TimestampTz ts = DatumGetTimestampTz(value);
	if (TIMESTAMP_NOT_FINITE(ts)) {
		return false;
	}
	TimestampTz floor_ts = ts - ((ts % USECS_PER_MINUTE) + USECS_PER_MINUTE) % USECS_PER_MINUTE;
	bool whole = floor_ts == ts;
	TimestampTz use = floor_ts;
	const char *use_op = op;
	if (!whole) {
		if (strcmp(op, "=") == 0 || strcmp(op, "!=") == 0) {
			return false;
		}
		if (op[0] == '<') {
			use = floor_ts + USECS_PER_MINUTE;
			use_op = "<";
		} else {
			use_op = ">";
		}
	}
	struct pg_tm tm;
	fsec_t fsec;
	if (timestamp2tm(use, nullptr, &tm, &fsec, nullptr, nullptr) != 0 || tm.tm_year < 1 || tm.tm_year > 9999) {
		return false;
	}
	appendStringInfo(out, "%s %s \"%04d-%02d-%02dT%02d:%02d:00Z\"", code, use_op, tm.tm_year, tm.tm_mon, tm.tm_mday,
	                 tm.tm_hour, tm.tm_min);
	return true;
}

const char *KintoneOp(const char *sql_op, bool negate) {
	static const struct {
		const char *sql, *pos, *neg;
	} ops[] = {{"=", "=", "!="},  {"<>", "!=", "="}, {"<", "<", ">="},
	           {"<=", "<=", ">"}, {">", ">", "<="},  {">=", ">=", "<"}};
	for (const auto &o : ops) {
		if (strcmp(sql_op, o.sql) == 0) {
			return negate ? o.neg : o.pos;
		}
	}
	return nullptr;
}

// Commutes "const op var" to "var op' const".
const char *Commute(const char *op) {
	if (strcmp(op, "<") == 0) {
		return ">";
	}
	if (strcmp(op, ">") == 0) {
		return "<";
	}
	if (strcmp(op, "<=") == 0) {
		return ">=";
	}
	if (strcmp(op, ">=") == 0) {
		return "<=";
	}
	return op;
}

struct Walker {
	const PlanColumns *cols;
	StringInfo buf;
	List **param_exprs;
	List **param_leaves;
	bool outer_values; // values may come from other relations (parameterized scans)
};

DeparseResult Fail() {
	return {false, false};
}

void AddPlaceholder(Walker &w, Expr *value, const PlanColumn *col, const char *op, Oid value_type) {
	int index = list_length(*w.param_exprs);
	*w.param_exprs = lappend(*w.param_exprs, value);
	List *leaf = list_make4(makeString(pstrdup(col->field_code)), makeInteger(static_cast<int>(col->field_type)),
	                        makeString(pstrdup(op)), makeInteger(static_cast<int>(value_type)));
	*w.param_leaves = lappend(*w.param_leaves, leaf);
	appendStringInfo(w.buf, "\x01%d\x01", index);
}

DeparseResult WalkExpr(Walker &w, Expr *expr, bool negate);
DeparseResult MultiAnyLeaf(Walker &w, ScalarArrayOpExpr *expr, bool negate);
DeparseResult MultiOverlapLeaf(Walker &w, OpExpr *opexpr, bool negate);

// var op value (either order). Comparisons never match empty values in Kintone, except "!=",
// which does: that one is a superset.
DeparseResult CompareLeaf(Walker &w, OpExpr *opexpr, bool negate) {
	if (list_length(opexpr->args) != 2 || !IsBuiltin(opexpr->opno)) {
		return Fail();
	}
	Expr *left = static_cast<Expr *>(linitial(opexpr->args));
	Expr *right = static_cast<Expr *>(lsecond(opexpr->args));
	char *opname = get_opname(opexpr->opno);
	if (opname == nullptr) {
		return Fail();
	}
	if (strcmp(opname, "&&") == 0) {
		return MultiOverlapLeaf(w, opexpr, negate);
	}
	Family family;
	const PlanColumn *col = ColumnOf(w.cols, left, &family);
	Expr *value = right;
	const char *sql_op = opname;
	if (col == nullptr) {
		col = ColumnOf(w.cols, right, &family);
		value = left;
		sql_op = Commute(opname);
	}
	bool usable = IsScanConstant(value) || (w.outer_values && IsOuterValue(value, w.cols->relid));
	if (col == nullptr || !usable || !CollationFits(opexpr->inputcollid)) {
		return Fail();
	}
	const char *op = KintoneOp(sql_op, negate);
	if (op == nullptr) {
		return Fail();
	}
	bool ordering = op[0] == '<' || op[0] == '>';
	bool not_equal = strcmp(op, "!=") == 0;
	switch (family) {
	case Family::kId:
	case Family::kNumber:
	case Family::kDate:
	case Family::kDateTime:
		break;
	case Family::kText:
	case Family::kUser:
		// Kintone's text equality may be looser than SQL's (case, width): "=" then returns a
		// superset, but "!=" would return a subset, which no local filter can repair.
		if (ordering || not_equal) {
			return Fail();
		}
		break;
	case Family::kOption:
		if (ordering) {
			return Fail();
		}
		break;
	default:
		return Fail();
	}
	// Drop-down, radio button and creator/modifier take "in" rather than "=" in Kintone.
	bool as_in = family == Family::kOption || family == Family::kUser;
	Oid value_type = exprType(reinterpret_cast<Node *>(value));
	bool exact = !not_equal && family != Family::kText && family != Family::kUser;

	if (!IsA(value, Const)) {
		if (as_in) {
			return Fail(); // option membership must be checked at plan time
		}
		AddPlaceholder(w, value, col, op, value_type);
		return {true, false}; // runtime values are always re-checked locally
	}
	Const *c = reinterpret_cast<Const *>(value);
	if (c->constisnull) {
		return Fail();
	}
	if (as_in) {
		appendStringInfo(w.buf, "%s %s (", col->field_code, not_equal ? "not in" : "in");
		if (!AppendLiteral(col->field_type, col, c->constvalue, c->consttype, w.buf)) {
			return Fail();
		}
		appendStringInfoChar(w.buf, ')');
		return {true, exact};
	}
	if (!FormatLeaf(col->field_code, col->field_type, op, c->constvalue, c->consttype, false, w.buf)) {
		return Fail();
	}
	return {true, exact};
}

// Appends the options among values (text) as a Kintone list "(\"a\", \"b\")"; false when the
// options are unknown, a value is not text, or no value is an option (the caller then keeps
// the condition local).
bool AppendOptionList(const PlanColumn *col, Datum *values, bool *nulls, int count, Oid type, StringInfo buf) {
	if (col->options == nullptr || (type != TEXTOID && type != VARCHAROID)) {
		return false;
	}
	int written = 0;
	appendStringInfoChar(buf, '(');
	for (int i = 0; i < count; ++i) {
		if (nulls != nullptr && nulls[i]) {
			continue;
		}
		const char *label = TextDatumGetCString(values[i]);
		if (!IsOption(col, label)) {
			continue; // no record holds a value that is not an option
		}
		if (written++ > 0) {
			appendStringInfoString(buf, ", ");
		}
		if (!AppendQuoted(buf, label)) {
			return false;
		}
	}
	appendStringInfoChar(buf, ')');
	return written > 0;
}

// CHECK_BOX / MULTI_SELECT as text[]: 'x' = ANY(col) and col && ARRAY[…] both mean "one of the
// selected values is in the list", which is Kintone's "in" on these fields. Negations stay
// local (how Kintone treats empty selections under "not in" is not documented).
DeparseResult MultiAnyLeaf(Walker &w, ScalarArrayOpExpr *expr, bool negate) {
	Family family;
	const PlanColumn *col = ColumnOf(w.cols, static_cast<Expr *>(lsecond(expr->args)), &family);
	Expr *value = static_cast<Expr *>(linitial(expr->args));
	char *opname = get_opname(expr->opno);
	if (col == nullptr || family != Family::kMulti || negate || !expr->useOr || !IsBuiltin(expr->opno) ||
	    opname == nullptr || strcmp(opname, "=") != 0 || !IsA(value, Const) ||
	    reinterpret_cast<Const *>(value)->constisnull || !CollationFits(expr->inputcollid)) {
		return Fail();
	}
	Const *c = reinterpret_cast<Const *>(value);
	appendStringInfo(w.buf, "%s in ", col->field_code);
	if (!AppendOptionList(col, &c->constvalue, nullptr, 1, c->consttype, w.buf)) {
		return Fail();
	}
	return {true, true};
}

DeparseResult MultiOverlapLeaf(Walker &w, OpExpr *opexpr, bool negate) {
	Family family;
	Expr *left = static_cast<Expr *>(linitial(opexpr->args));
	Expr *right = static_cast<Expr *>(lsecond(opexpr->args));
	const PlanColumn *col = ColumnOf(w.cols, left, &family);
	Expr *value = right;
	if (col == nullptr) {
		col = ColumnOf(w.cols, right, &family);
		value = left;
	}
	if (col == nullptr || family != Family::kMulti || negate || !IsA(value, Const) ||
	    reinterpret_cast<Const *>(value)->constisnull || !CollationFits(opexpr->inputcollid)) {
		return Fail();
	}
	Oid elem_type;
	Datum *values;
	bool *nulls;
	int count;
	DeconstructConst(reinterpret_cast<Const *>(value), &elem_type, &values, &nulls, &count);
	appendStringInfo(w.buf, "%s in ", col->field_code);
	if (!AppendOptionList(col, values, nulls, count, elem_type, w.buf)) {
		return Fail();
	}
	return {true, true};
}

// A non-empty text value that is not one of the field's options.
bool IsNonOption(const PlanColumn *col, Datum value, Oid type) {
	const char *text;
	if (!TextValue(value, type, &text) || text[0] == '\0') {
		return false;
	}
	return !IsOption(col, text);
}

// col = ANY(array) -> in (…); col <> ALL(array) -> not in (…).
DeparseResult InLeaf(Walker &w, ScalarArrayOpExpr *expr, bool negate) {
	if (list_length(expr->args) != 2 || !IsBuiltin(expr->opno)) {
		return Fail();
	}
	Family array_family;
	if (ColumnOf(w.cols, static_cast<Expr *>(lsecond(expr->args)), &array_family) != nullptr) {
		return MultiAnyLeaf(w, expr, negate); // 'x' = ANY(array column)
	}
	Family family;
	const PlanColumn *col = ColumnOf(w.cols, static_cast<Expr *>(linitial(expr->args)), &family);
	Expr *array = static_cast<Expr *>(lsecond(expr->args));
	if (col == nullptr || !IsA(array, Const) || !CollationFits(expr->inputcollid)) {
		return Fail();
	}
	if (family != Family::kId && family != Family::kNumber && family != Family::kText && family != Family::kOption &&
	    family != Family::kUser) {
		return Fail();
	}
	char *opname = get_opname(expr->opno);
	bool is_in;
	if (opname != nullptr && strcmp(opname, "=") == 0 && expr->useOr) {
		is_in = true;
	} else if (opname != nullptr && strcmp(opname, "<>") == 0 && !expr->useOr) {
		is_in = false;
	} else {
		return Fail();
	}
	if (negate) {
		is_in = !is_in;
	}
	if (!is_in && (family == Family::kText || family == Family::kUser)) {
		return Fail(); // see CompareLeaf: "not in" on text could return a subset
	}
	Const *c = reinterpret_cast<Const *>(array);
	if (c->constisnull) {
		return Fail();
	}
	Oid elem_type;
	Datum *values;
	bool *nulls;
	int count;
	DeconstructConst(c, &elem_type, &values, &nulls, &count);
	if (count == 0) {
		return Fail();
	}
	appendStringInfo(w.buf, "%s %s (", col->field_code, is_in ? "in" : "not in");
	int written = 0;
	for (int i = 0; i < count; ++i) {
		if (nulls[i]) {
			if (!is_in) {
				return Fail(); // x NOT IN (…, NULL) is never true in SQL
			}
			continue; // a NULL never matches "="
		}
		StringInfoData lit;
		initStringInfo(&lit);
		if (!AppendLiteral(col->field_type, col, values[i], elem_type, &lit)) {
			if (family == Family::kOption && col->options != nullptr && IsNonOption(col, values[i], elem_type)) {
				continue; // no record holds a value that is not an option: dropping it changes nothing
			}
			return Fail();
		}
		if (written++ > 0) {
			appendStringInfoString(w.buf, ", ");
		}
		appendStringInfoString(w.buf, lit.data);
	}
	if (written == 0) {
		return Fail();
	}
	appendStringInfoChar(w.buf, ')');
	bool exact = is_in && family != Family::kText && family != Family::kUser;
	return {true, exact};
}

DeparseResult NullLeaf(Walker &w, NullTest *test, bool negate) {
	if (test->argisrow) {
		return Fail();
	}
	Family family;
	const PlanColumn *col = ColumnOf(w.cols, test->arg, &family);
	if (col == nullptr) {
		return Fail();
	}
	bool is_null = (test->nulltesttype == IS_NULL) != negate;
	switch (family) {
	case Family::kNumber:
		appendStringInfo(w.buf, "%s %s \"\"", col->field_code, is_null ? "=" : "!=");
		return {true, true};
	case Family::kOption:
		appendStringInfo(w.buf, "%s %s (\"\")", col->field_code, is_null ? "in" : "not in");
		return {true, true};
	case Family::kText:
	case Family::kDate:
	case Family::kDateTime:
		// "= \"\"" also matches whitespace-only text; "!= \"\"" would miss it: push IS NULL only.
		if (!is_null || col->field_type == FieldType::kCreatedTime || col->field_type == FieldType::kUpdatedTime) {
			return Fail();
		}
		appendStringInfo(w.buf, "%s = \"\"", col->field_code);
		return {true, false};
	case Family::kLongText:
		if (!is_null) {
			return Fail();
		}
		appendStringInfo(w.buf, "%s is empty", col->field_code);
		return {true, false};
	default:
		return Fail();
	}
}

// AND/OR/NOT. Kintone has no NOT: negation is pushed down to the leaves (De Morgan).
DeparseResult BoolLeaf(Walker &w, BoolExpr *expr, bool negate) {
	if (expr->boolop == NOT_EXPR) {
		return WalkExpr(w, static_cast<Expr *>(linitial(expr->args)), !negate);
	}
	bool is_and = (expr->boolop == AND_EXPR) != negate;
	bool exact = true;
	int n = 0;
	ListCell *cell;
	appendStringInfoChar(w.buf, '(');
	foreach (cell, expr->args) {
		if (n++ > 0) {
			appendStringInfoString(w.buf, is_and ? " and " : " or ");
		}
		DeparseResult r = WalkExpr(w, static_cast<Expr *>(lfirst(cell)), negate);
		if (!r.pushed) {
			return Fail();
		}
		exact = exact && r.exact;
	}
	appendStringInfoChar(w.buf, ')');
	return {true, exact};
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

// The field types Kintone's "like" accepts (contract §7.3).
bool LikeField(FieldType type) {
	return type == FieldType::kSingleLineText || type == FieldType::kLink || type == FieldType::kMultiLineText ||
	       type == FieldType::kRichText || type == FieldType::kFile;
}

// kintone_like(column, words) -> "code like \"words\"" (negated: "not like"). Kintone's word
// search is the function's meaning, so the leaf is exact; the function has no local
// implementation, so a condition that cannot be pushed raises its error when evaluated.
DeparseResult LikeLeaf(Walker &w, FuncExpr *expr, bool negate) {
	if (list_length(expr->args) != 2 || !IsKintoneLike(expr->funcid)) {
		return Fail();
	}
	Expr *arg = static_cast<Expr *>(linitial(expr->args));
	while (arg != nullptr && IsA(arg, RelabelType)) {
		arg = reinterpret_cast<RelabelType *>(arg)->arg;
	}
	if (arg == nullptr || !IsA(arg, Var)) {
		return Fail();
	}
	Var *var = reinterpret_cast<Var *>(arg);
	if (var->varno != static_cast<int>(w.cols->relid) || var->varlevelsup != 0 || var->varattno <= 0 ||
	    var->varattno > w.cols->count) {
		return Fail();
	}
	const PlanColumn *col = &w.cols->columns[var->varattno - 1];
	if (col->field_code == nullptr || !LikeField(col->field_type)) {
		return Fail();
	}
	const char *op = negate ? "not like" : "like";
	Expr *words = static_cast<Expr *>(lsecond(expr->args));
	if (IsA(words, Const)) {
		Const *c = reinterpret_cast<Const *>(words);
		if (c->constisnull) {
			// NULL words: NULL, so no row, negated or not (as a parameter's NULL at execution).
			appendStringInfoString(w.buf, kAlwaysFalse);
			return {true, true};
		}
		const char *text;
		if (!TextValue(c->constvalue, c->consttype, &text) || !kintone::CanQuote(text)) {
			return Fail();
		}
		appendStringInfo(w.buf, "%s %s ", col->field_code, op);
		AppendQuoted(w.buf, text);
		return {true, true};
	}
	if (!IsScanConstant(words)) {
		return Fail();
	}
	AddPlaceholder(w, words, col, op, exprType(reinterpret_cast<Node *>(words)));
	return {true, true}; // filled in when the scan starts; words that cannot be sent raise an error then
}

DeparseResult WalkExpr(Walker &w, Expr *expr, bool negate) {
	if (expr == nullptr) {
		return Fail();
	}
	switch (nodeTag(expr)) {
	case T_OpExpr:
		return CompareLeaf(w, reinterpret_cast<OpExpr *>(expr), negate);
	case T_ScalarArrayOpExpr:
		return InLeaf(w, reinterpret_cast<ScalarArrayOpExpr *>(expr), negate);
	case T_NullTest:
		return NullLeaf(w, reinterpret_cast<NullTest *>(expr), negate);
	case T_BoolExpr:
		return BoolLeaf(w, reinterpret_cast<BoolExpr *>(expr), negate);
	case T_FuncExpr:
		return LikeLeaf(w, reinterpret_cast<FuncExpr *>(expr), negate);
	default:
		return Fail();
	}
}

} // namespace

DeparseResult DeparseQual(const PlanColumns *cols, Expr *expr, StringInfo buf, List **param_exprs, List **param_leaves,
                          bool outer_values) {
	StringInfoData local;
	initStringInfo(&local);
	List *exprs = NIL;
	List *leaves = NIL;
	Walker w{cols, &local, &exprs, &leaves, outer_values};
	DeparseResult r = WalkExpr(w, expr, false);
	if (!r.pushed) {
		return r;
	}
	// Renumber this qual's placeholders after the ones already collected.
	int base = list_length(*param_exprs);
	for (const char *p = local.data; *p != '\0'; ++p) {
		if (*p == '\x01') {
			int index = atoi(p + 1);
			appendStringInfo(buf, "\x01%d\x01", base + index);
			p = strchr(p + 1, '\x01');
		} else {
			appendStringInfoChar(buf, *p);
		}
	}
	*param_exprs = list_concat(*param_exprs, exprs);
	*param_leaves = list_concat(*param_leaves, leaves);
	return r;
}

bool FormatLeaf(const char *field_code, FieldType type, const char *op, Datum value, Oid value_type, bool is_null,
                StringInfo out) {
	if (is_null) {
		return false;
	}
	if (strcmp(op, "like") == 0 || strcmp(op, "not like") == 0) {
		const char *text;
		if (!TextValue(value, value_type, &text) || !kintone::CanQuote(text)) {
			return false;
		}
		appendStringInfo(out, "%s %s ", field_code, op);
		return AppendQuoted(out, text);
	}
	PlanColumn col = {field_code, type, nullptr, nullptr, InvalidOid};
	if (FamilyOf(col) == Family::kDateTime) {
		return AppendDateTimeLeaf(field_code, op, value, value_type, out);
	}
	StringInfoData lit;
	initStringInfo(&lit);
	if (!AppendLiteral(type, &col, value, value_type, &lit)) {
		return false;
	}
	AppendField(out, field_code);
	appendStringInfo(out, " %s %s", op, lit.data);
	return true;
}

bool InListPushable(const PlanColumn &col) {
	if (col.field_code == nullptr) {
		return false;
	}
	Family family = FamilyOf(col);
	return (family == Family::kId || family == Family::kNumber || family == Family::kText) &&
	       TypeFits(family, col.pg_type);
}

bool FormatInLeaf(const char *field_code, FieldType type, Datum array, Oid elem_type, StringInfo out) {
	PlanColumn col = {field_code, type, nullptr, nullptr, InvalidOid};
	Family family = FamilyOf(col);
	ArrayType *arr = DatumGetArrayTypeP(array);
	int16 elmlen;
	bool elmbyval;
	char elmalign;
	get_typlenbyvalalign(elem_type, &elmlen, &elmbyval, &elmalign);
	Datum *values;
	bool *nulls;
	int count;
	deconstruct_array(arr, elem_type, elmlen, elmbyval, elmalign, &values, &nulls, &count);
	StringInfoData list;
	initStringInfo(&list);
	int written = 0;
	for (int i = 0; i < count; ++i) {
		if (nulls[i]) {
			continue; // NULL never equals anything
		}
		StringInfoData lit;
		initStringInfo(&lit);
		if (!AppendLiteral(type, &col, values[i], elem_type, &lit)) {
			const char *text;
			if (family == Family::kText && TextValue(values[i], elem_type, &text) && text[0] == '\0') {
				continue; // "" equals no value of the column (empty Kintone text is NULL)
			}
			return false;
		}
		appendStringInfo(&list, "%s%s", written++ > 0 ? ", " : "", lit.data);
	}
	if (written == 0) {
		appendStringInfoString(out, kAlwaysFalse);
		return true;
	}
	AppendField(out, field_code);
	appendStringInfo(out, " in (%s)", list.data);
	return true;
}

char *FillPlaceholders(const char *templ, char **leaves, int nleaves) {
	StringInfoData out;
	initStringInfo(&out);
	for (const char *p = templ; *p != '\0'; ++p) {
		if (*p == '\x01') {
			int index = atoi(p + 1);
			appendStringInfoString(&out, index >= 0 && index < nleaves ? leaves[index] : kAlwaysTrue);
			p = strchr(p + 1, '\x01');
		} else {
			appendStringInfoChar(&out, *p);
		}
	}
	return out.data;
}

bool SortPushable(FieldType type, Oid pg_type) {
	switch (type) {
	case FieldType::kId:
		return TypeFits(Family::kId, pg_type);
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
		return pg_type == TIMESTAMPTZOID;
	default:
		return false;
	}
}

} // namespace kintone_fdw
