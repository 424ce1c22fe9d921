// Condition trees and sort keys as plan data (see plan_tree.hpp).
#include "pg/plan_tree.hpp"

#include "kintone/error.hpp"
#include "kintone/pushdown.hpp"

#include <memory>

namespace kintone_fdw {

using kintone::Condition;

namespace {

String *Str(const std::string &s) {
	return makeString(pnstrdup(s.data(), s.size()));
}

Integer *Int(int v) {
	return makeInteger(v);
}

List *ValueToNode(const kintone::Value &v) {
	List *args = NIL;
	for (size_t i = 0; i < v.args.size(); ++i) {
		args = lappend(args, Str(v.args[i]));
	}
	return list_make3(Int(static_cast<int>(v.kind)), Str(v.text), args);
}

int IntAt(const List *list, int n) {
	return intVal(list_nth(list, n));
}

std::string StrAt(const List *list, int n) {
	return strVal(list_nth(list, n));
}

kintone::Error Corrupt() {
	return kintone::Error(kintone::ErrorKind::kInternal, "kintone_fdw found a malformed plan");
}

} // namespace

Node *ConditionToNode(const Condition &c) {
	List *node = list_make1(Int(static_cast<int>(c.kind())));
	switch (c.kind()) {
	case Condition::Kind::kTrue:
	case Condition::Kind::kFalse:
		break;
	case Condition::Kind::kLeaf: {
		List *values = NIL;
		for (size_t i = 0; i < c.values().size(); ++i) {
			values = lappend(values, ValueToNode(c.values()[i]));
		}
		node = lappend(node, Str(c.field()));
		node = lappend(node, Int(static_cast<int>(c.op())));
		node = lappend(node, values);
		break;
	}
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr:
	case Condition::Kind::kNot: {
		List *children = NIL;
		for (size_t i = 0; i < c.children().size(); ++i) {
			children = lappend(children, ConditionToNode(c.children()[i]));
		}
		node = lappend(node, children);
		break;
	}
	case Condition::Kind::kSlot: {
		const kintone::SlotRule *rule = c.slot_rule().get();
		node = lappend(node, Int(c.slot()));
		node = lappend(node, Int(static_cast<int>(rule->kind)));
		node = lappend(node, Str(rule->field.code));
		node = lappend(node, Int(static_cast<int>(rule->field.type)));
		node = lappend(node, Str(rule->field.calc_format));
		node = lappend(node, Int(static_cast<int>(rule->field.column)));
		node = lappend(node, Int(static_cast<int>(rule->comparison)));
		node = lappend(node, Int(rule->negated ? 1 : 0));
		break;
	}
	}
	return reinterpret_cast<Node *>(node);
}

List *SortKeysToNode(const std::vector<kintone::SortKey> &keys) {
	List *out = NIL;
	for (size_t i = 0; i < keys.size(); ++i) {
		out = lappend(out, list_make2(Str(keys[i].field), Int(keys[i].descending ? 1 : 0)));
	}
	return out;
}

Condition NodeToCondition(const Node *node) {
	if (node == nullptr || !IsA(node, List) || list_length(reinterpret_cast<const List *>(node)) < 1) {
		throw Corrupt();
	}
	const List *list = reinterpret_cast<const List *>(node);
	switch (static_cast<Condition::Kind>(IntAt(list, 0))) {
	case Condition::Kind::kTrue:
		return Condition::True();
	case Condition::Kind::kFalse:
		return Condition::False();
	case Condition::Kind::kLeaf: {
		std::vector<kintone::Value> values;
		const ListCell *cell;
		foreach (cell, static_cast<const List *>(list_nth(list, 3))) {
			const List *v = static_cast<const List *>(lfirst(cell));
			kintone::Value value;
			value.kind = static_cast<kintone::Value::Kind>(IntAt(v, 0));
			value.text = StrAt(v, 1);
			const ListCell *arg;
			foreach (arg, static_cast<const List *>(list_nth(v, 2))) {
				value.args.emplace_back(strVal(lfirst(arg)));
			}
			values.push_back(std::move(value));
		}
		return Condition::Leaf(StrAt(list, 1), static_cast<kintone::Op>(IntAt(list, 2)), std::move(values));
	}
	case Condition::Kind::kAnd:
	case Condition::Kind::kOr:
	case Condition::Kind::kNot: {
		std::vector<Condition> children;
		const ListCell *cell;
		foreach (cell, static_cast<const List *>(list_nth(list, 1))) {
			children.push_back(NodeToCondition(static_cast<const Node *>(lfirst(cell))));
		}
		Condition::Kind kind = static_cast<Condition::Kind>(IntAt(list, 0));
		if (kind == Condition::Kind::kNot) {
			if (children.size() != 1) {
				throw Corrupt();
			}
			return Condition::Not(std::move(children.front()));
		}
		return kind == Condition::Kind::kAnd ? Condition::And(std::move(children)) : Condition::Or(std::move(children));
	}
	case Condition::Kind::kSlot: {
		auto rule = std::make_shared<kintone::SlotRule>();
		rule->kind = static_cast<kintone::SlotRule::Kind>(IntAt(list, 2));
		rule->field.code = StrAt(list, 3);
		rule->field.type = static_cast<kintone::FieldType>(IntAt(list, 4));
		rule->field.calc_format = StrAt(list, 5);
		rule->field.column = static_cast<kintone::ColumnClass>(IntAt(list, 6));
		rule->comparison = static_cast<kintone::Comparison>(IntAt(list, 7));
		rule->negated = IntAt(list, 8) != 0;
		return Condition::Slot(IntAt(list, 1), std::move(rule));
	}
	}
	throw Corrupt();
}

std::vector<kintone::SortKey> NodeToSortKeys(const List *keys) {
	std::vector<kintone::SortKey> out;
	const ListCell *cell;
	foreach (cell, keys) {
		const List *key = static_cast<const List *>(lfirst(cell));
		out.push_back({StrAt(key, 0), IntAt(key, 1) != 0});
	}
	return out;
}

} // namespace kintone_fdw
