// Rows tables of SUBTABLE fields (see subtable.hpp).
#include "kintone/subtable.hpp"

#include <algorithm>

namespace kintone {

bool IsRowPseudoField(std::string_view code) {
	return code == kRowIdField || code == kRowIndexField;
}

namespace {

// Operators that match a record when at least one row matches (contract §7.5).
bool PerRowPositive(Op op) {
	switch (op) {
	case Op::kIn:
	case Op::kLike:
	case Op::kLt:
	case Op::kLe:
	case Op::kGt:
	case Op::kGe:
	case Op::kIsEmpty:
		return true;
	default:
		return false;
	}
}

// "=" as "in" where the field takes "in" (contract §7.3: text, number and option fields).
bool TakesIn(FieldType type) {
	switch (type) {
	case FieldType::kSingleLineText:
	case FieldType::kLink:
	case FieldType::kNumber:
	case FieldType::kCalc:
	case FieldType::kDropDown:
	case FieldType::kRadioButton:
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
		return true;
	default:
		return false;
	}
}

Condition Rewrite(const Condition &c, const std::function<FieldType(const std::string &)> &type_of) {
	switch (c.kind()) {
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr: {
		std::vector<Condition> children;
		for (const Condition &child : c.children()) {
			children.push_back(Rewrite(child, type_of));
		}
		return c.kind() == Condition::Kind::kAnd ? Condition::And(std::move(children))
		                                         : Condition::Or(std::move(children));
	}
	case Condition::Kind::kLeaf:
		if (c.field() == "$id") {
			return c;
		}
		if (PerRowPositive(c.op())) {
			return c;
		}
		if (c.op() == Op::kEq && c.values().size() == 1 && c.values()[0].kind == Value::Kind::kString &&
		    TakesIn(type_of(c.field()))) {
			return Condition::Leaf(c.field(), Op::kIn, c.values());
		}
		return Condition::True(); // widened: the local re-check decides
	default:
		return c;
	}
}

} // namespace

Pushdown PushForRows(const Pushdown &p, const std::function<FieldType(const std::string &)> &type_of) {
	if (p.verdict == Verdict::kLocal) {
		return p;
	}
	std::vector<std::string> fields = FieldsOf(p.condition);
	if (std::any_of(fields.begin(), fields.end(), [](const std::string &f) { return IsRowPseudoField(f); })) {
		return Pushdown::Local(p.unknown_option);
	}
	if (std::all_of(fields.begin(), fields.end(), [](const std::string &f) { return f == "$id"; })) {
		return p;
	}
	if (p.condition.HasSlots()) {
		return Pushdown::Local(p.unknown_option);
	}
	Condition rewritten = Rewrite(Normalized(p.condition), type_of);
	Condition folded = Normalized(rewritten);
	if (folded.kind() == Condition::Kind::kTrue) {
		return Pushdown::Local(p.unknown_option);
	}
	Pushdown out = Pushdown::Superset(std::move(folded));
	out.unknown_option = p.unknown_option;
	return out;
}

Condition JoinedRecordsCondition(const std::vector<Condition> &records, const std::vector<Condition> &rows) {
	std::vector<Condition> all = records;
	all.insert(all.end(), rows.begin(), rows.end());
	return all.empty() ? Condition::True() : Condition::And(std::move(all));
}

} // namespace kintone
