// The pushdown rules, one case per rule (see src/kintone/pushdown.hpp and docs/pushdown.md).
#include "kintone/error.hpp"
#include "kintone/pushdown.hpp"

#include <gtest/gtest.h>

using namespace kintone;

namespace {

FieldFacts Field(const char *code, FieldType type, ColumnClass column) {
	FieldFacts f;
	f.code = code;
	f.type = type;
	f.column = column;
	return f;
}

FieldFacts Options(const char *code, FieldType type, std::vector<std::string> options,
                   ColumnClass column = ColumnClass::kText) {
	FieldFacts f = Field(code, type, column);
	f.options_known = true;
	f.options = std::move(options);
	return f;
}

const FieldFacts kId = Field("$id", FieldType::kId, ColumnClass::kInteger);
const FieldFacts kNum = Field("n", FieldType::kNumber, ColumnClass::kNumeric);
const FieldFacts kText = Field("t", FieldType::kSingleLineText, ColumnClass::kText);
const FieldFacts kDate = Field("d", FieldType::kDate, ColumnClass::kDate);
const FieldFacts kDateTime = Field("dt", FieldType::kDateTime, ColumnClass::kTimestampTz);
const FieldFacts kUpdated = Field("更新日時", FieldType::kUpdatedTime, ColumnClass::kTimestampTz);
const FieldFacts kCreator = Field("作成者", FieldType::kCreator, ColumnClass::kText);
const FieldFacts kMemo = Field("memo", FieldType::kMultiLineText, ColumnClass::kText);
const FieldFacts kRich = Field("rich", FieldType::kRichText, ColumnClass::kText);
const FieldFacts kDrop = Options("dd", FieldType::kDropDown, {"a", "b", "c"});
const FieldFacts kRadio = Options("rb", FieldType::kRadioButton, {"x", "y"});
const FieldFacts kCheck = Options("cb", FieldType::kCheckBox, {"p", "q"}, ColumnClass::kTextArray);

// 2026-02-04T01:00:00Z and 2026-02-04T01:00:30Z in microseconds since the Unix epoch.
constexpr long long kT = 1770166800LL * 1000000;
constexpr long long kT30 = kT + 30LL * 1000000;

std::string Text(const Pushdown &p) {
	return PrintCondition(p.condition);
}

void ExpectPush(const Pushdown &p, Verdict verdict, const std::string &text) {
	EXPECT_EQ(VerdictName(p.verdict), std::string(VerdictName(verdict)));
	if (p.verdict != Verdict::kLocal) {
		EXPECT_EQ(Text(p), text);
	}
}

std::vector<std::optional<SqlValue>> Texts(std::initializer_list<const char *> values) {
	std::vector<std::optional<SqlValue>> out;
	for (const char *v : values) {
		out.push_back(v == nullptr ? std::nullopt : std::optional<SqlValue>(SqlValue::Text(v)));
	}
	return out;
}

} // namespace

// $id: never empty, an integer; every comparison and "in"/"not in" is exact.
TEST(PushdownId, ComparisonsAndListsAreExact) {
	ExpectPush(PushCompare(kId, Comparison::kGt, SqlValue::Integer(12)), Verdict::kExact, "$id > 12");
	ExpectPush(PushCompare(kId, Comparison::kNe, SqlValue::Integer(3)), Verdict::kExact, "$id != 3");
	ExpectPush(PushIn(kId, true, {SqlValue::Integer(1), SqlValue::Integer(2)}), Verdict::kExact, "$id not in (1, 2)");
	ExpectPush(PushIsNull(kId, true), Verdict::kExact, "$id < 0");
	EXPECT_EQ(PushCompare(kId, Comparison::kEq, SqlValue::Decimal("3.5")).verdict, Verdict::kLocal);
}

// NUMBER: exact only when 0 would not satisfy the comparison (an empty value may compare as
// 0, contract §11 item 17); "!=" and "not in" may match empty values: supersets.
TEST(PushdownNumber, ExactOnlyWhereZeroCannotMatch) {
	ExpectPush(PushCompare(kNum, Comparison::kGt, SqlValue::Integer(5)), Verdict::kExact, R"(n > "5")");
	ExpectPush(PushCompare(kNum, Comparison::kGe, SqlValue::Decimal("0.5")), Verdict::kExact, R"(n >= "0.5")");
	ExpectPush(PushCompare(kNum, Comparison::kEq, SqlValue::Integer(7)), Verdict::kExact, R"(n = "7")");
	ExpectPush(PushCompare(kNum, Comparison::kLt, SqlValue::Integer(-1)), Verdict::kExact, R"(n < "-1")");
	ExpectPush(PushCompare(kNum, Comparison::kEq, SqlValue::Integer(0)), Verdict::kSuperset, R"(n = "0")");
	ExpectPush(PushCompare(kNum, Comparison::kLt, SqlValue::Integer(1)), Verdict::kSuperset, R"(n < "1")");
	ExpectPush(PushCompare(kNum, Comparison::kLe, SqlValue::Decimal("0.00")), Verdict::kSuperset, R"(n <= "0.00")");
	ExpectPush(PushCompare(kNum, Comparison::kGe, SqlValue::Integer(-3)), Verdict::kSuperset, R"(n >= "-3")");
	ExpectPush(PushCompare(kNum, Comparison::kNe, SqlValue::Integer(4)), Verdict::kSuperset, R"(n != "4")");
	ExpectPush(PushCompare(kNum, Comparison::kNe, SqlValue::Integer(0)), Verdict::kSuperset, R"(n != "0")");
}

TEST(PushdownNumber, InListsAreExactWithoutZero) {
	ExpectPush(PushIn(kNum, false, {SqlValue::Integer(3), SqlValue::Integer(4), std::nullopt}), Verdict::kExact,
	           R"(n in ("3", "4"))");
	ExpectPush(PushIn(kNum, false, {SqlValue::Integer(3), SqlValue::Integer(0)}), Verdict::kSuperset,
	           R"(n in ("3", "0"))");
	ExpectPush(PushIn(kNum, true, {SqlValue::Integer(3)}), Verdict::kSuperset, R"(n not in ("3"))");
	EXPECT_EQ(PushIn(kNum, true, {SqlValue::Integer(3), std::nullopt}).verdict, Verdict::kLocal);
	ExpectPush(PushIn(kNum, false, {std::nullopt}), Verdict::kExact, "$id < 0");
}

// NUMBER IS NULL: `= ""` (if empty matches it) or `= "0"` (if empty compares as 0) — never
// `= ""` alone, which an empty-as-0 server never matches.
TEST(PushdownNumber, NullTestsAreSupersetsRightUnderEitherBehaviour) {
	ExpectPush(PushIsNull(kNum, true), Verdict::kSuperset, R"(n = "" or n = "0")");
	ExpectPush(PushIsNull(kNum, false), Verdict::kSuperset, R"(n != "")");
}

TEST(PushdownNumber, CalcNumberFollowsNumberOtherFormatsStayLocal) {
	FieldFacts calc = Field("amount", FieldType::kCalc, ColumnClass::kNumeric);
	ExpectPush(PushCompare(calc, Comparison::kGt, SqlValue::Integer(100)), Verdict::kExact, R"(amount > "100")");
	calc.calc_format = "DATETIME";
	EXPECT_EQ(PushCompare(calc, Comparison::kGt, SqlValue::Integer(100)).verdict, Verdict::kLocal);
}

TEST(PushdownNumber, ColumnTypeMustCompareAsANumber) {
	FieldFacts as_text = Field("n", FieldType::kNumber, ColumnClass::kText);
	EXPECT_EQ(PushCompare(as_text, Comparison::kEq, SqlValue::Text("5")).verdict, Verdict::kLocal);
}

// Text: "=" is a superset (case/width sensitivity unverified); "!=", ordering, "not in" local.
TEST(PushdownText, EqualityIsASupersetTheRestStaysLocal) {
	ExpectPush(PushCompare(kText, Comparison::kEq, SqlValue::Text("O-0003")), Verdict::kSuperset, R"(t = "O-0003")");
	ExpectPush(PushCompare(kText, Comparison::kEq, SqlValue::Text("")), Verdict::kExact, "$id < 0");
	EXPECT_EQ(PushCompare(kText, Comparison::kNe, SqlValue::Text("a")).verdict, Verdict::kLocal);
	EXPECT_EQ(PushCompare(kText, Comparison::kLt, SqlValue::Text("a")).verdict, Verdict::kLocal);
	EXPECT_EQ(PushCompare(kText, Comparison::kEq, SqlValue::Text("bell\x07")).verdict, Verdict::kLocal);
	ExpectPush(PushIn(kText, false, Texts({"a\\\"b", "", "line\nbreak"})), Verdict::kSuperset,
	           R"(t in ("a\\\"b", "line\nbreak"))");
	EXPECT_EQ(PushIn(kText, true, Texts({"a"})).verdict, Verdict::kLocal);
}

// `= ""` matching empty text is not verified on real Kintone: IS NULL stays local.
TEST(PushdownText, NullTestsStayLocal) {
	EXPECT_EQ(PushIsNull(kText, true).verdict, Verdict::kLocal);
	EXPECT_EQ(PushIsNull(kText, false).verdict, Verdict::kLocal);
	EXPECT_EQ(PushIsNull(kDate, true).verdict, Verdict::kLocal);
	EXPECT_EQ(PushIsNull(kDateTime, true).verdict, Verdict::kLocal);
}

TEST(PushdownText, CreatorTakesInAsASuperset) {
	ExpectPush(PushCompare(kCreator, Comparison::kEq, SqlValue::Text("sato")), Verdict::kSuperset,
	           R"(作成者 in ("sato"))");
	EXPECT_EQ(PushCompare(kCreator, Comparison::kNe, SqlValue::Text("sato")).verdict, Verdict::kLocal);
}

// MULTI_LINE_TEXT IS NULL: "is empty", which also matches white-space-only text (observed).
// RICH_TEXT's "is empty" is unverified: local.
TEST(PushdownLongText, IsEmptyIsASupersetOfIsNull) {
	ExpectPush(PushIsNull(kMemo, true), Verdict::kSuperset, "memo is empty");
	EXPECT_EQ(PushIsNull(kMemo, false).verdict, Verdict::kLocal);
	EXPECT_EQ(PushIsNull(kRich, true).verdict, Verdict::kLocal);
}

// DATE: "=", ">", ">=" exact; "<", "<=", "!=" would also match empty dates that compared as the
// earliest value: supersets.
TEST(PushdownDate, LowerBoundsAreExactUpperBoundsSupersets) {
	ExpectPush(PushCompare(kDate, Comparison::kGe, SqlValue::Date(2026, 3, 1)), Verdict::kExact,
	           R"(d >= "2026-03-01")");
	ExpectPush(PushCompare(kDate, Comparison::kEq, SqlValue::Date(2026, 3, 1)), Verdict::kExact, R"(d = "2026-03-01")");
	ExpectPush(PushCompare(kDate, Comparison::kLe, SqlValue::Date(2026, 3, 31)), Verdict::kSuperset,
	           R"(d <= "2026-03-31")");
	EXPECT_EQ(PushCompare(kDate, Comparison::kEq, SqlValue::Text("2026-03-01")).verdict, Verdict::kLocal);
}

// CREATED_TIME/UPDATED_TIME: written on minute boundaries with ">=" and "<" only, right whether
// or not the server keeps seconds it does not show (contract §11 item 16); never empty: exact.
TEST(PushdownTime, ComparisonsUseMinuteBoundaries) {
	ExpectPush(PushCompare(kUpdated, Comparison::kEq, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(更新日時 >= "2026-02-04T01:00:00Z" and 更新日時 < "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kLe, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(更新日時 < "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kGt, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(更新日時 >= "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kLt, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(更新日時 < "2026-02-04T01:00:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kGe, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(更新日時 >= "2026-02-04T01:00:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kNe, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(更新日時 < "2026-02-04T01:00:00Z" or 更新日時 >= "2026-02-04T01:01:00Z")");
	ExpectPush(PushIsNull(kUpdated, false), Verdict::kExact, "");
}

TEST(PushdownTime, ValuesWithSecondsRoundToTheShownMinutes) {
	// Shown values are whole minutes: shown < 01:00:30 <=> shown <= 01:00 <=> actual < 01:01.
	ExpectPush(PushCompare(kUpdated, Comparison::kLt, SqlValue::Timestamp(kT30)), Verdict::kExact,
	           R"(更新日時 < "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kGe, SqlValue::Timestamp(kT30)), Verdict::kExact,
	           R"(更新日時 >= "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kUpdated, Comparison::kGt, SqlValue::Timestamp(kT30)), Verdict::kExact,
	           R"(更新日時 >= "2026-02-04T01:01:00Z")");
	EXPECT_EQ(PushCompare(kUpdated, Comparison::kEq, SqlValue::Timestamp(kT30)).verdict, Verdict::kLocal);
}

TEST(PushdownTime, DateTimeFieldsMayBeEmpty) {
	ExpectPush(PushCompare(kDateTime, Comparison::kEq, SqlValue::Timestamp(kT)), Verdict::kExact,
	           R"(dt >= "2026-02-04T01:00:00Z" and dt < "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kDateTime, Comparison::kGe, SqlValue::Timestamp(kT30)), Verdict::kExact,
	           R"(dt >= "2026-02-04T01:01:00Z")");
	ExpectPush(PushCompare(kDateTime, Comparison::kLe, SqlValue::Timestamp(kT)), Verdict::kSuperset,
	           R"(dt < "2026-02-04T01:01:00Z")");
}

TEST(PushdownTime, MinuteLiteralsCoverTheCalendar) {
	EXPECT_EQ(MinuteLiteral(0), "1970-01-01T00:00:00Z");
	EXPECT_EQ(MinuteLiteral(-1), "1969-12-31T23:59:00Z");
	EXPECT_EQ(MinuteLiteral(951782400LL * 1000000), "2000-02-29T00:00:00Z");
	EXPECT_EQ(MinuteLiteral(-62135596800LL * 1000000), "0001-01-01T00:00:00Z");
	EXPECT_EQ(MinuteLiteral(-62135596800LL * 1000000 - 1), std::nullopt);
	EXPECT_EQ(MinuteLiteral(253402300799LL * 1000000), "9999-12-31T23:59:00Z");
	EXPECT_EQ(MinuteLiteral(253402300800LL * 1000000), std::nullopt);
}

// DROP_DOWN / RADIO_BUTTON: "=" becomes "in" (exact for a current option); a value that is
// not an option is never dropped: the caller re-reads the form, else keeps it local.
TEST(PushdownOption, EqualityOfAnOptionIsExact) {
	ExpectPush(PushCompare(kDrop, Comparison::kEq, SqlValue::Text("a")), Verdict::kExact, R"(dd in ("a"))");
	ExpectPush(PushCompare(kDrop, Comparison::kNe, SqlValue::Text("a")), Verdict::kSuperset, R"(dd not in ("a"))");
	ExpectPush(PushCompare(kDrop, Comparison::kEq, SqlValue::Text("")), Verdict::kExact, "$id < 0");
	EXPECT_EQ(PushCompare(kDrop, Comparison::kLt, SqlValue::Text("a")).verdict, Verdict::kLocal);
	FieldFacts unknown = Field("dd", FieldType::kDropDown, ColumnClass::kText);
	EXPECT_EQ(PushCompare(unknown, Comparison::kEq, SqlValue::Text("a")).verdict, Verdict::kLocal);
}

TEST(PushdownOption, AValueNotAmongTheOptionsIsNeverDropped) {
	Pushdown p = PushIn(kDrop, false, Texts({"a", "z"}));
	EXPECT_EQ(p.verdict, Verdict::kLocal);
	EXPECT_TRUE(p.unknown_option);
	Pushdown eq = PushCompare(kDrop, Comparison::kEq, SqlValue::Text("z"));
	EXPECT_EQ(eq.verdict, Verdict::kLocal);
	EXPECT_TRUE(eq.unknown_option);
	FieldFacts fresh = kDrop;
	fresh.options.push_back("z");
	ExpectPush(PushIn(fresh, false, Texts({"a", "z"})), Verdict::kExact, R"(dd in ("a", "z"))");
}

TEST(PushdownOption, ListsAndCaseTwins) {
	ExpectPush(PushIn(kDrop, false, Texts({"a", "c", nullptr, ""})), Verdict::kExact, R"(dd in ("a", "c"))");
	ExpectPush(PushIn(kDrop, true, Texts({"a"})), Verdict::kSuperset, R"(dd not in ("a"))");
	FieldFacts twins = Options("dd", FieldType::kDropDown, {"A", "a"});
	ExpectPush(PushIn(twins, false, Texts({"a"})), Verdict::kSuperset, R"(dd in ("a"))");
}

// IS NULL: `in ("")` on DROP_DOWN is observed to match unselected records (and `not in ("")`
// to exclude them); on RADIO_BUTTON it may be refused (contract §11 item 15): local.
TEST(PushdownOption, EmptinessOnlyForDropDown) {
	ExpectPush(PushIsNull(kDrop, true), Verdict::kExact, R"(dd in (""))");
	ExpectPush(PushIsNull(kDrop, false), Verdict::kExact, R"(dd not in (""))");
	EXPECT_EQ(PushIsNull(kRadio, true).verdict, Verdict::kLocal);
	EXPECT_EQ(PushIsNull(kRadio, false).verdict, Verdict::kLocal);
	ExpectPush(PushCompare(kRadio, Comparison::kEq, SqlValue::Text("x")), Verdict::kExact, R"(rb in ("x"))");
}

// CHECK_BOX / MULTI_SELECT: 'x' = ANY(col) and col && ARRAY[…] are Kintone's "in".
TEST(PushdownMulti, AnySelectedIsIn) {
	ExpectPush(PushAnySelected(kCheck, Texts({"p", nullptr, "q"})), Verdict::kExact, R"(cb in ("p", "q"))");
	Pushdown p = PushAnySelected(kCheck, Texts({"p", "zz"}));
	EXPECT_EQ(p.verdict, Verdict::kLocal);
	EXPECT_TRUE(p.unknown_option);
	ExpectPush(PushAnySelected(kCheck, Texts({""})), Verdict::kExact, "$id < 0");
}

TEST(PushdownWordSearch, LikeIsKintonesWordSearch) {
	ExpectPush(PushWordSearch(kText, false, SqlValue::Text("アイテム")), Verdict::kExact, R"(t like "アイテム")");
	ExpectPush(PushWordSearch(kMemo, true, SqlValue::Text("メモ")), Verdict::kExact, R"(memo not like "メモ")");
	EXPECT_EQ(PushWordSearch(kNum, false, SqlValue::Text("1")).verdict, Verdict::kLocal);
	EXPECT_EQ(PushWordSearch(kText, false, SqlValue::Text("\x01")).verdict, Verdict::kLocal);
}

// Values known at execution: supersets at planning; bound when the scan starts.
TEST(PushdownSlot, ComparisonsBindToTheRuleOfTheirValue) {
	Pushdown p = PushCompareSlot(kNum, Comparison::kEq, SqlValue::Kind::kDecimal, 0);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	ASSERT_EQ(p.condition.kind(), Condition::Kind::kSlot);
	const SlotRule &rule = *p.condition.slot_rule();
	EXPECT_EQ(PrintCondition(BindSlot(rule, SqlValue::Integer(7))), R"(n = "7")");
	EXPECT_EQ(PrintCondition(BindSlot(rule, std::nullopt)), "$id < 0");
	Pushdown t = PushCompareSlot(kUpdated, Comparison::kEq, SqlValue::Kind::kTimestamp, 1);
	EXPECT_EQ(PrintCondition(BindSlot(*t.condition.slot_rule(), SqlValue::Timestamp(kT30))), "")
	    << "a value that cannot be written exactly makes the leaf always true (re-checked locally)";
	EXPECT_EQ(PushCompareSlot(kDrop, Comparison::kEq, SqlValue::Kind::kText, 0).verdict, Verdict::kLocal);
	EXPECT_EQ(PushCompareSlot(kText, Comparison::kNe, SqlValue::Kind::kText, 0).verdict, Verdict::kLocal);
}

TEST(PushdownSlot, WordSearchWithUnwritableWordsIsAnError) {
	Pushdown p = PushWordSearchSlot(kText, false, 0);
	EXPECT_EQ(p.verdict, Verdict::kExact);
	EXPECT_EQ(PrintCondition(BindSlot(*p.condition.slot_rule(), SqlValue::Text("x"))), R"(t like "x")");
	EXPECT_THROW(BindSlot(*p.condition.slot_rule(), SqlValue::Text("\x02")), Error);
}

TEST(PushdownSlot, BatchedJoinKeys) {
	Pushdown p = PushKeysSlot(kNum);
	EXPECT_EQ(p.verdict, Verdict::kSuperset);
	const SlotRule &rule = *p.condition.slot_rule();
	EXPECT_EQ(PrintCondition(BindKeys(rule, {SqlValue::Integer(1), std::nullopt, SqlValue::Integer(2)})),
	          R"(n in ("1", "2"))");
	EXPECT_EQ(PrintCondition(BindKeys(rule, {})), "$id < 0");
	EXPECT_EQ(PrintCondition(BindKeys(rule, {std::nullopt})), "$id < 0");
	Pushdown text = PushKeysSlot(kText);
	EXPECT_EQ(PrintCondition(BindKeys(*text.condition.slot_rule(), Texts({"", "a"}))), R"(t in ("a"))");
	EXPECT_EQ(PrintCondition(BindKeys(*text.condition.slot_rule(), Texts({"bell\x07"}))), "");
	EXPECT_EQ(PushKeysSlot(kDrop).verdict, Verdict::kLocal);
}

// ORDER BY: $id honours every key; a creation/update time only itself (hidden seconds may
// order ties within a shown minute); anything else is not pushed.
TEST(PushdownOrder, IdAndTimesOnly) {
	size_t usable = 9;
	auto keys = PushOrder({{kId, true}}, &usable);
	EXPECT_EQ(usable, 1u);
	EXPECT_EQ(PrintOrderBy(keys), "$id desc");
	keys = PushOrder({{kUpdated, false}, {kId, false}}, &usable);
	EXPECT_EQ(usable, 1u);
	EXPECT_EQ(PrintOrderBy(keys), "更新日時 asc, $id asc");
	keys = PushOrder({{kId, false}, {kUpdated, false}}, &usable);
	EXPECT_EQ(usable, 2u);
	EXPECT_EQ(PrintOrderBy(keys), "$id asc");
	keys = PushOrder({{kNum, false}, {kId, false}}, &usable);
	EXPECT_EQ(usable, 0u);
	EXPECT_TRUE(keys.empty());
}

// An option removed after planning (GAIA_IQ10): its leaves become always true (a superset that
// the scan re-checks locally); other leaves stay.
TEST(PushdownOption, StaleOptionsWidenToASuperset) {
	FormInfo form;
	FieldInfo dd;
	dd.code = "dd";
	dd.type = FieldType::kDropDown;
	dd.options = {"a", "c"};
	FieldInfo n;
	n.code = "n";
	n.type = FieldType::kNumber;
	form.fields = {dd, n};
	Condition c = Condition::And({Condition::Leaf("dd", Op::kIn, {Value::String("a"), Value::String("b")}),
	                              Condition::Leaf("n", Op::kGt, {Value::String("1")})});
	bool widened = false;
	EXPECT_EQ(PrintCondition(WidenStaleOptions(c, form, &widened)), R"(n > "1")");
	EXPECT_TRUE(widened);
	Condition fine = Condition::Leaf("dd", Op::kIn, {Value::String("a"), Value::String("")});
	EXPECT_EQ(PrintCondition(WidenStaleOptions(fine, form, &widened)), R"(dd in ("a", ""))");
	EXPECT_FALSE(widened);
	// Under an or, the widened leaf makes the whole or always true; a not is moved first.
	Condition under_or = Condition::Or(
	    {Condition::Leaf("dd", Op::kIn, {Value::String("b")}), Condition::Leaf("n", Op::kGt, {Value::String("1")})});
	EXPECT_EQ(PrintCondition(WidenStaleOptions(under_or, form, &widened)), "");
	Condition negated = Condition::Not(Condition::Leaf("dd", Op::kIn, {Value::String("b")}));
	EXPECT_EQ(PrintCondition(WidenStaleOptions(negated, form, &widened)), "");
}

TEST(PushdownFields, FieldsOfLeavesAndSlots) {
	Pushdown slot = PushCompareSlot(kNum, Comparison::kEq, SqlValue::Kind::kInteger, 0);
	Condition c = Condition::And({Condition::Leaf("t", Op::kEq, {Value::String("x")}), slot.condition,
	                              Condition::Or({Condition::Leaf("t", Op::kIn, {Value::String("y")})})});
	EXPECT_EQ(FieldsOf(c), (std::vector<std::string>{"t", "n"}));
}
