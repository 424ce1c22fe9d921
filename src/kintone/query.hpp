// The Kintone query language (contract §7) as data: a small condition tree, sort keys, and the
// one printer that turns them into query text. Every field code, operator and literal that goes
// into a Kintone query passes through here, so that nothing — a hostile string, a field code
// taken from a table definition, unicode — can change the structure of a query: literals are
// quoted and escaped by the printer, and a field code that is not a valid Kintone field code is
// refused (CheckFieldCode) both when a leaf is built and when it is printed.
//
// Which SQL conditions become which Kintone conditions, and whether Kintone's answer is then
// exact or a superset, is decided by the rules in pushdown.hpp; this file only knows the
// language. Kintone has no "not": Not() is printed by moving the negation to the leaves
// (De Morgan, then each operator's complement), which is Kintone's own complement of a leaf;
// the rules decide separately whether that is what SQL's NOT means for a field.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

// True when QuoteString can represent value exactly: Kintone has escapes for backslash,
// double quote, \n, \t and \r only, and rejects other raw control characters.
bool CanQuote(std::string_view value);

// value as a double-quoted Kintone string literal. Throws kNotSupported when !CanQuote(value).
std::string QuoteString(std::string_view value);

// Whether code may name a field in a Kintone query: "$id", "$revision", or a Kintone field code
// (contract §7.1) — letters and digits (ASCII, kana, kanji, full-width), "_", "＿", "・", "･" and
// other non-ASCII characters that are neither white space, control or format characters nor
// full-width forms of ASCII punctuation. Nothing in such a code can end a field name, start an
// operator, a literal or a group, or separate tokens.
bool IsValidFieldCode(std::string_view code);

// Throws kInvalidOptionValue naming the code (escaped for display) unless IsValidFieldCode.
void CheckFieldCode(std::string_view code);

// For codes read from an app's form (IMPORT FOREIGN SCHEMA): throws kInvalidOptionValue unless
// IsValidFieldCode, naming the code as a field of the form.
void CheckFormFieldCode(std::string_view code);

// The operators of contract §7.1.
enum class Op { kEq, kNe, kLt, kLe, kGt, kGe, kIn, kNotIn, kLike, kNotLike, kIsEmpty, kIsNotEmpty };

const char *OpText(Op op);
// The operator that matches exactly the records op does not, leaf by leaf (= and !=, < and >=,
// in and not in, like and not like, is empty and is not empty).
Op Complement(Op op);

// A value on the right of an operator.
struct Value {
	enum class Kind {
		kString,   // printed as a quoted, escaped string literal ("5" for numbers on NUMBER fields)
		kInteger,  // printed bare: an optional "-" and digits ($id)
		kFunction, // NAME(arg, …): upper-case name, arguments integers or upper-case symbols
	};
	Kind kind = Kind::kString;
	std::string text;              // the string, the digits, or the function name
	std::vector<std::string> args; // kFunction

	static Value String(std::string text);
	static Value Integer(std::string digits);
	static Value Function(std::string name, std::vector<std::string> args = {});
	bool operator==(const Value &other) const;
};

// What a slot stands for: a value (or a batch of join keys) that PostgreSQL knows only when the
// scan starts, with what pushdown.hpp needs to turn it into a condition then.
struct SlotRule;

// A node of the condition tree. Immutable once built; cheap to copy (children are shared).
class Condition {
public:
	enum class Kind { kTrue, kFalse, kLeaf, kAnd, kOr, kNot, kSlot };

	Condition(); // kTrue
	static Condition True();
	static Condition False();
	// field op values; the number of values must fit the operator (none for is [not] empty, one
	// or more for in / not in, one otherwise). Throws kInternal otherwise and
	// kInvalidOptionValue for a field code that is not valid.
	static Condition Leaf(std::string field, Op op, std::vector<Value> values = {});
	static Condition And(std::vector<Condition> children);
	static Condition Or(std::vector<Condition> children);
	static Condition Not(Condition child);
	// A value known at execution: index into the plan's parameter list (-1 for a batched
	// join's keys); rule says how it becomes a condition (see pushdown.hpp, BindSlot).
	static Condition Slot(int index, std::shared_ptr<const SlotRule> rule);

	Kind kind() const { return kind_; }
	const std::string &field() const { return field_; }
	Op op() const { return op_; }
	const std::vector<Value> &values() const { return values_; }
	const std::vector<Condition> &children() const { return *children_; }
	int slot() const { return slot_; }
	const std::shared_ptr<const SlotRule> &slot_rule() const { return slot_rule_; }
	// Whether a slot occurs anywhere in the tree.
	bool HasSlots() const;

private:
	Kind kind_ = Kind::kTrue;
	std::string field_;
	Op op_ = Op::kEq;
	std::vector<Value> values_;
	std::shared_ptr<const std::vector<Condition>> children_;
	int slot_ = 0;
	std::shared_ptr<const SlotRule> slot_rule_;
};

// A copy of condition with every slot replaced by fill(slot) (a slot-free condition).
Condition BindSlots(const Condition &condition, const std::function<Condition(const Condition &slot)> &fill);

// condition with Not moved to the leaves (each leaf's operator complemented) and always-true /
// always-false children folded away: what PrintCondition prints.
Condition Normalized(const Condition &condition);

// A copy of a normalized condition (no Not) where every leaf for which widen(leaf) holds is
// always true: it matches every record condition matches, and maybe more.
Condition WidenLeaves(const Condition &normalized, const std::function<bool(const Condition &leaf)> &widen);

// The condition as Kintone query text, without order/limit/offset. A condition that is always
// true prints as "" (no condition: every record); always false as "$id < 0" (no record has it);
// And/Or nested in another node are parenthesized, the root is not; Not is moved to the leaves.
// slot_text prints a slot that is still unbound (EXPLAIN: "$1", "($keys)"); without it an
// unbound slot is an internal error.
std::string PrintCondition(const Condition &condition,
                           const std::function<std::string(const Condition &slot)> &slot_text = nullptr);

// One key of "order by"; a valid field code (checked when printed).
struct SortKey {
	std::string field;
	bool descending = false;
	bool operator==(const SortKey &other) const { return field == other.field && descending == other.descending; }
};

// "code asc, $id desc" (without the words "order by"); "" for no keys.
std::string PrintOrderBy(const std::vector<SortKey> &keys);

} // namespace kintone
