// Which SQL conditions Kintone can evaluate, per field type and operator, and how well: each
// rule gives a Kintone condition (query.hpp) and a verdict —
//   exact:    Kintone returns exactly the records the SQL condition keeps;
//   superset: Kintone may return more (the condition is also re-checked locally);
//   local:    not sent (PostgreSQL evaluates it).
// Exactness rests only on behaviour observed on real Kintone ([OBS] in the contract); where
// Kintone's behaviour is not verified the rule picks a form that is right under every
// plausible behaviour (a superset with a local re-check), or keeps the condition local. The
// reasoning for each rule is in docs/pushdown.md; each rule is a case in
// test/unit/pushdown_test.cpp.
//
// Values reach the rules in a neutral form (SqlValue) that the glue builds from Datums; how a
// value is written in the query (quoted, bare, rounded to Kintone's minutes) is decided here.
#pragma once

#include "kintone/query.hpp"
#include "kintone/schema.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kintone {

// How the PostgreSQL column holds the field's values; a rule applies only when the column's
// type compares the way Kintone compares the field.
enum class ColumnClass { kOther, kInteger, kNumeric, kText, kTextArray, kDate, kTimestampTz };

// What the rules know of a field.
struct FieldFacts {
	std::string code;
	FieldType type = FieldType::kUnknown;
	std::string calc_format; // CALC
	ColumnClass column = ColumnClass::kOther;
	bool options_known = false;       // DROP_DOWN, RADIO_BUTTON, CHECK_BOX, MULTI_SELECT
	std::vector<std::string> options; // the option labels, when known
};

// A SQL value in neutral form.
struct SqlValue {
	enum class Kind { kInteger, kDecimal, kText, kDate, kTimestamp };
	Kind kind = Kind::kText;
	std::string text;     // kInteger/kDecimal: plain decimal text; kText: the string; kDate: YYYY-MM-DD
	long long micros = 0; // kTimestamp: microseconds since 1970-01-01T00:00:00Z

	static SqlValue Integer(long long v);
	static SqlValue Decimal(std::string text); // a finite number in plain notation ("-12.50")
	static SqlValue Text(std::string text);
	static SqlValue Date(int year, int month, int day);
	static SqlValue Timestamp(long long micros_since_unix_epoch);
};

enum class Verdict { kLocal, kSuperset, kExact };
const char *VerdictName(Verdict verdict);

struct Pushdown {
	Verdict verdict = Verdict::kLocal;
	Condition condition;
	// A value is not among the field's known options (Kintone refuses unknown options): the
	// options may be out of date; the caller re-reads the form and asks again.
	bool unknown_option = false;

	static Pushdown Local(bool unknown_option = false);
	static Pushdown Exact(Condition condition);
	static Pushdown Superset(Condition condition);
};

// The weaker of two verdicts (for a condition made of both).
Verdict Weaker(Verdict a, Verdict b);

// SQL comparison operators, the field on the left.
enum class Comparison { kEq, kNe, kLt, kLe, kGt, kGe };
// "a op b" as "b op' a".
Comparison Commute(Comparison c);
// NOT (a op b) for non-null a, b.
Comparison Negate(Comparison c);

// field <op> value.
Pushdown PushCompare(const FieldFacts &field, Comparison op, const SqlValue &value);
// field IN (values) / field NOT IN (values); nullopt elements are SQL NULLs.
Pushdown PushIn(const FieldFacts &field, bool negated, const std::vector<std::optional<SqlValue>> &values);
// field IS NULL / IS NOT NULL.
Pushdown PushIsNull(const FieldFacts &field, bool is_null);
// A multi-selection (CHECK_BOX, MULTI_SELECT as text[]) holds one of the values:
// 'x' = ANY(field) or field && ARRAY[...]; nullopt elements are SQL NULLs.
Pushdown PushAnySelected(const FieldFacts &field, const std::vector<std::optional<SqlValue>> &values);
// kintone_like(field, words): Kintone's word search is the function's meaning.
Pushdown PushWordSearch(const FieldFacts &field, bool negated, const SqlValue &words);

// Values known only at execution. The rule stays in the plan (in the slot) and is applied to
// the value when the scan starts.
struct SlotRule {
	enum class Kind { kCompare, kWordSearch, kKeys };
	Kind kind = Kind::kCompare;
	FieldFacts field; // without options (a slot never depends on them)
	Comparison comparison = Comparison::kEq;
	bool negated = false; // kWordSearch
};

// field <op> $n, value of kind value_kind: a superset (re-checked locally, as the value may
// turn out not to be writable) or local.
Pushdown PushCompareSlot(const FieldFacts &field, Comparison op, SqlValue::Kind value_kind, int index);
// kintone_like(field, $n): exact (or local for a field Kintone cannot search).
Pushdown PushWordSearchSlot(const FieldFacts &field, bool negated, int index);
// field IN ($keys) for a batched join: a superset (the join re-checks every row), or local.
Pushdown PushKeysSlot(const FieldFacts &field);

// The condition a slot stands for once its value is known (nullopt: SQL NULL, which matches
// nothing). A value the rule cannot write makes a comparison always true (the local re-check
// keeps the result right); a word search has no local re-check and throws kNotSupported.
Condition BindSlot(const SlotRule &rule, const std::optional<SqlValue> &value);
// The condition of a batched join's keys (no keys: nothing matches).
Condition BindKeys(const SlotRule &rule, const std::vector<std::optional<SqlValue>> &keys);

// A condition Kintone refused because a value is not among a field's options any more
// (GAIA_IQ10: the options changed after the query was planned), widened with the app's current
// form: each leaf on a DROP_DOWN, RADIO_BUTTON, CHECK_BOX or MULTI_SELECT field with a value
// that is not an option becomes always true. The result matches a superset of condition's
// records (a local re-check must keep the result exact); *widened tells whether any leaf was.
Condition WidenStaleOptions(const Condition &condition, const FormInfo &form, bool *widened);

// The field codes a condition names (leaves and slots), each once, in order of appearance.
std::vector<std::string> FieldsOf(const Condition &condition);

// ORDER BY: the Kintone sort for SQL sort keys (field, descending). *usable receives how many
// leading SQL keys Kintone's order honours (0: none). The Kintone keys end with "$id" so that
// paging is deterministic.
std::vector<SortKey> PushOrder(const std::vector<std::pair<FieldFacts, bool>> &keys, size_t *usable);

// Minute boundaries of DATETIME literals: "YYYY-MM-DDTHH:MM:00Z" of the minute holding micros
// (floor), or nullopt outside years 1..9999.
std::optional<std::string> MinuteLiteral(long long micros);

} // namespace kintone
