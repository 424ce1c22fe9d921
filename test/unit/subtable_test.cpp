// Subtable rows (src/kintone/subtable.hpp): RecordReader::ParseRows on literal subtable values
// and the pushdown narrowing of PushForRows (contract §7.5: per-row semantics).
#include "kintone/error.hpp"
#include "kintone/pushdown.hpp"
#include "kintone/query.hpp"
#include "kintone/record_reader.hpp"
#include "kintone/subtable.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using kintone::ColumnRequest;
using kintone::Condition;
using kintone::FieldType;
using kintone::Op;
using kintone::Pushdown;
using kintone::RecordReader;
using kintone::Value;
using kintone::Verdict;
using Shape = kintone::ColumnRequest::Shape;

namespace {

std::string Text(const RecordReader &reader, size_t row, size_t column) {
	const auto &cell = reader.cell(row, column);
	return cell.is_null ? "<NULL>" : std::string(cell.text);
}

RecordReader RowReader() {
	return RecordReader({{"$id"}, {"$row_id"}, {"$row_index"}, {"item"}, {"qty"}, {"tags", Shape::kStringArray}});
}

FieldType TypeOf(const std::string &code) {
	if (code == "item") {
		return FieldType::kSingleLineText;
	}
	if (code == "qty") {
		return FieldType::kNumber;
	}
	if (code == "day") {
		return FieldType::kDate;
	}
	return FieldType::kUnknown;
}

std::string Printed(const Pushdown &p) {
	return kintone::PrintCondition(p.condition);
}

} // namespace

TEST(SubtableRows, EachRowWithParentIdRowIdAndPosition) {
	RecordReader reader = RowReader();
	reader.ParseRows(R"([{"id":"11","value":{"item":{"type":"SINGLE_LINE_TEXT","value":"pen"},
	                     "qty":{"type":"NUMBER","value":"3"},"tags":{"type":"CHECK_BOX","value":["a","b"]}}},
	                    {"id":"12","value":{"qty":{"type":"NUMBER","value":""},"item":{"type":"SINGLE_LINE_TEXT","value":"ink"}}}])",
	                 "7");
	ASSERT_EQ(reader.rows(), 2u);
	EXPECT_EQ(Text(reader, 0, 0), "7");
	EXPECT_EQ(Text(reader, 0, 1), "11");
	EXPECT_EQ(Text(reader, 0, 2), "1");
	EXPECT_EQ(Text(reader, 0, 3), "pen");
	EXPECT_EQ(Text(reader, 0, 4), "3");
	EXPECT_EQ(reader.cell(0, 5).element_count, 2u);
	EXPECT_EQ(Text(reader, 1, 0), "7");
	EXPECT_EQ(Text(reader, 1, 1), "12");
	EXPECT_EQ(Text(reader, 1, 2), "2");
	EXPECT_EQ(Text(reader, 1, 3), "ink"); // fields in another order than the first row's
	EXPECT_EQ(Text(reader, 1, 4), "<NULL>");
	EXPECT_TRUE(reader.cell(1, 5).is_null); // a field the row does not carry
}

TEST(SubtableRows, EmptyNullAndMalformed) {
	RecordReader reader = RowReader();
	reader.ParseRows("[]", "1");
	EXPECT_EQ(reader.rows(), 0u);
	reader.ParseRows("null", "1");
	EXPECT_EQ(reader.rows(), 0u);
	reader.ParseRows("", "1");
	EXPECT_EQ(reader.rows(), 0u);
	for (const char *bad : {R"({"id":"1"})", R"([{"value":{}}])", R"([{"id":"x1","value":{}}])", R"([1])",
	                        R"([{"id":"1","value":[]}])", R"([{"id":"1","value":{}}] 2)", R"([{"id":"1")"}) {
		try {
			reader.ParseRows(bad, "1");
			FAIL() << bad;
		} catch (const kintone::Error &e) {
			EXPECT_EQ(e.kind(), kintone::ErrorKind::kProtocol) << bad;
			EXPECT_EQ(reader.rows(), 0u);
		}
	}
	// The reader is usable again after an error.
	reader.ParseRows(R"([{"id":5,"value":{}}])", "2");
	ASSERT_EQ(reader.rows(), 1u);
	EXPECT_EQ(Text(reader, 0, 1), "5");
}

TEST(SubtablePushdown, ParentIdKeepsItsVerdict) {
	Pushdown exact = Pushdown::Exact(Condition::Leaf("$id", Op::kEq, {Value::Integer("5")}));
	Pushdown p = kintone::PushForRows(exact, TypeOf);
	EXPECT_EQ(p.verdict, Verdict::kExact);
	EXPECT_EQ(Printed(p), "$id = 5");
}

TEST(SubtablePushdown, InnerFieldsAreASupersetWithPositiveOperatorsOnly) {
	// "=" is refused on inner fields (GAIA_IQ07): sent as "in" where the field takes it.
	Pushdown eq = Pushdown::Exact(Condition::Leaf("item", Op::kEq, {Value::String("pen")}));
	Pushdown p = kintone::PushForRows(eq, TypeOf);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	EXPECT_EQ(Printed(p), "item in (\"pen\")");
	// A date "=" has no "in": not sent.
	Pushdown day = Pushdown::Exact(Condition::Leaf("day", Op::kEq, {Value::String("2026-01-01")}));
	EXPECT_EQ(kintone::PushForRows(day, TypeOf).verdict, Verdict::kLocal);
	// Ranges are per row: a superset.
	Pushdown gt = Pushdown::Exact(Condition::Leaf("qty", Op::kGt, {Value::String("3")}));
	p = kintone::PushForRows(gt, TypeOf);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	EXPECT_EQ(Printed(p), "qty > \"3\"");
	// Negative operators match only records all of whose rows match (a subset): never sent.
	for (Op op : {Op::kNe, Op::kNotIn, Op::kNotLike, Op::kIsNotEmpty}) {
		std::vector<Value> values;
		if (op != Op::kIsNotEmpty) {
			values.push_back(Value::String("pen"));
		}
		Pushdown neg = Pushdown::Exact(Condition::Leaf("item", op, values));
		EXPECT_EQ(kintone::PushForRows(neg, TypeOf).verdict, Verdict::kLocal) << kintone::OpText(op);
	}
	// NOT (qty > 3) is "qty <= 3" after normalisation: positive, sent.
	Pushdown not_gt = Pushdown::Exact(Condition::Not(Condition::Leaf("qty", Op::kGt, {Value::String("3")})));
	p = kintone::PushForRows(not_gt, TypeOf);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	EXPECT_EQ(Printed(p), "qty <= \"3\"");
	// An "and" with a negative part keeps its positive part; an "or" with one is not sent.
	Condition in = Condition::Leaf("item", Op::kIn, {Value::String("pen")});
	Condition ne = Condition::Leaf("qty", Op::kNe, {Value::String("1")});
	p = kintone::PushForRows(Pushdown::Exact(Condition::And({in, ne})), TypeOf);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	EXPECT_EQ(Printed(p), "item in (\"pen\")");
	EXPECT_EQ(kintone::PushForRows(Pushdown::Exact(Condition::Or({in, ne})), TypeOf).verdict, Verdict::kLocal);
	// With the parent's $id: a superset.
	Condition id = Condition::Leaf("$id", Op::kEq, {Value::Integer("5")});
	p = kintone::PushForRows(Pushdown::Exact(Condition::Or({id, in})), TypeOf);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	EXPECT_EQ(Printed(p), "$id = 5 or item in (\"pen\")");
}

TEST(SubtablePushdown, JoinedRecordsConditionIsTheAndOfBothTables) {
	// The records table's conditions exact per record, the rows table's as PushForRows made them.
	Condition before = Condition::Leaf("$id", Op::kLt, {Value::Integer("5")});
	Condition customer = Condition::Leaf("customer", Op::kIn, {Value::String("C1")});
	Pushdown rows =
	    kintone::PushForRows(Pushdown::Exact(Condition::And({Condition::Leaf("item", Op::kEq, {Value::String("pen")}),
	                                                         Condition::Leaf("qty", Op::kGt, {Value::String("3")})})),
	                         TypeOf);
	ASSERT_EQ(rows.verdict, Verdict::kSuperset);
	Condition joined = kintone::JoinedRecordsCondition({before, customer}, {rows.condition});
	EXPECT_EQ(kintone::PrintCondition(joined),
	          "$id < 5 and customer in (\"C1\") and item in (\"pen\") and qty > \"3\"");
	// Either side alone; neither: every record.
	EXPECT_EQ(kintone::PrintCondition(kintone::JoinedRecordsCondition({}, {rows.condition})),
	          "item in (\"pen\") and qty > \"3\"");
	EXPECT_EQ(kintone::PrintCondition(kintone::JoinedRecordsCondition({customer}, {})), "customer in (\"C1\")");
	EXPECT_EQ(kintone::JoinedRecordsCondition({}, {}).kind(), Condition::Kind::kTrue);
}

TEST(SubtablePushdown, PseudoFieldsAndLocalStayLocal) {
	Pushdown row = Pushdown::Superset(Condition::Leaf("item", Op::kIn, {Value::String("pen")}));
	EXPECT_EQ(kintone::PushForRows(Pushdown::Local(), TypeOf).verdict, Verdict::kLocal);
	EXPECT_TRUE(kintone::IsRowPseudoField("$row_id"));
	EXPECT_TRUE(kintone::IsRowPseudoField("$row_index"));
	EXPECT_FALSE(kintone::IsRowPseudoField("$id"));
	EXPECT_EQ(kintone::PushForRows(row, TypeOf).verdict, Verdict::kSuperset);
}
