// Kintone string literal printing: every escaping rule (contract §7.2).
#include "kintone/error.hpp"
#include "kintone/query.hpp"

#include <gtest/gtest.h>

using kintone::CanQuote;
using kintone::QuoteString;

TEST(QuoteString, PlainAndEmpty) {
	EXPECT_EQ(QuoteString("abc"), "\"abc\"");
	EXPECT_EQ(QuoteString(""), "\"\"");
}

TEST(QuoteString, EscapesQuoteAndBackslash) {
	EXPECT_EQ(QuoteString("say \"hi\""), R"("say \"hi\"")");
	EXPECT_EQ(QuoteString("C:\\dir\\"), R"("C:\\dir\\")");
	// A trailing backslash must not escape the closing quote.
	EXPECT_EQ(QuoteString("\\"), R"("\\")");
	EXPECT_EQ(QuoteString("\\\""), R"("\\\"")");
}

TEST(QuoteString, EscapesNewlineTabAndCarriageReturn) {
	EXPECT_EQ(QuoteString("a\nb\tc\rd"), R"("a\nb\tc\rd")");
}

TEST(QuoteString, HostileStringsStayOneLiteral) {
	EXPECT_EQ(QuoteString("\") or $id > \"0"), R"("\") or $id > \"0")");
	EXPECT_EQ(QuoteString("x\" order by $id limit 1 offset \""), R"("x\" order by $id limit 1 offset \"")");
}

TEST(QuoteString, UnicodePassesThrough) {
	EXPECT_EQ(QuoteString("株式会社 サイボウズ　😀"), "\"株式会社 サイボウズ　😀\"");
}

TEST(QuoteString, OtherControlCharactersCannotBeWritten) {
	EXPECT_TRUE(CanQuote("tab\tnewline\n"));
	EXPECT_FALSE(CanQuote(std::string("nul\0", 4)));
	EXPECT_FALSE(CanQuote("bell\x07"));
	EXPECT_FALSE(CanQuote("del\x7F"));
	try {
		QuoteString("esc\x1B");
		FAIL() << "expected an error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), kintone::ErrorKind::kNotSupported);
	}
}

// ---------------------------------------------------------------------------------------------
// The condition tree and its printer.

using kintone::CheckFieldCode;
using kintone::Condition;
using kintone::IsValidFieldCode;
using kintone::Op;
using kintone::PrintCondition;
using kintone::PrintOrderBy;
using kintone::SortKey;
using kintone::Value;

namespace {

Condition Eq(const char *field, const char *text) {
	return Condition::Leaf(field, Op::kEq, {Value::String(text)});
}

} // namespace

TEST(FieldCode, KintoneCodesAreValid) {
	EXPECT_TRUE(IsValidFieldCode("$id"));
	EXPECT_TRUE(IsValidFieldCode("$revision"));
	EXPECT_TRUE(IsValidFieldCode("qty"));
	EXPECT_TRUE(IsValidFieldCode("Order_no_2"));
	EXPECT_TRUE(IsValidFieldCode("受注番号"));
	EXPECT_TRUE(IsValidFieldCode("レコード番号"));
	EXPECT_TRUE(IsValidFieldCode("ふりがな"));
	EXPECT_TRUE(IsValidFieldCode("ｶﾅ"));               // half-width katakana
	EXPECT_TRUE(IsValidFieldCode("ＡＢＣ１２３"));     // full-width letters and digits
	EXPECT_TRUE(IsValidFieldCode("顧客＿名・よみ･x")); // full-width underscore, middle dots
	EXPECT_TRUE(IsValidFieldCode("1st"));
}

TEST(FieldCode, NothingThatCanChangeAQueryIsValid) {
	for (const char *bad : {"",
	                        "a b",
	                        "$id > 0 or n",
	                        "n)",
	                        "(n",
	                        "a\"b",
	                        "a\\b",
	                        "a,b",
	                        "a.b",
	                        "a=b",
	                        "a!b",
	                        "a<b",
	                        "a>b",
	                        "a'b",
	                        "$idx",
	                        "$",
	                        "a\tb",
	                        "a\nb",
	                        "x\x01",
	                        "\x01"
	                        "1\x01",
	                        "a\x7f"}) {
		EXPECT_FALSE(IsValidFieldCode(bad)) << bad;
	}
	EXPECT_FALSE(IsValidFieldCode(std::string("a\0b", 3)));
	EXPECT_FALSE(IsValidFieldCode("a\u3000b")); // ideographic space (a token separator)
	EXPECT_FALSE(IsValidFieldCode("a\u00a0b")); // no-break space
	EXPECT_FALSE(IsValidFieldCode("a\u200bb")); // zero-width space
	EXPECT_FALSE(IsValidFieldCode("a\ufeffb")); // byte order mark
	EXPECT_FALSE(IsValidFieldCode("a\u0085b")); // next line (C1 control)
	EXPECT_FALSE(IsValidFieldCode("a\uff08b")); // full-width "("
	EXPECT_FALSE(IsValidFieldCode("a\uff02b")); // full-width quote
	EXPECT_FALSE(IsValidFieldCode("a\uff1db")); // full-width "="
	EXPECT_FALSE(IsValidFieldCode("\xff\xfe")); // not UTF-8
	EXPECT_FALSE(IsValidFieldCode("\xc0\xa0")); // overlong space
	EXPECT_FALSE(IsValidFieldCode("\xe3\x80")); // truncated sequence
}

TEST(FieldCode, RefusalNamesTheCodePrintably) {
	try {
		CheckFieldCode("x\x01y");
		FAIL() << "expected an error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), kintone::ErrorKind::kInvalidOptionValue);
		EXPECT_EQ(e.message(), "\"x\\x01y\" is not a valid Kintone field code");
	}
}

TEST(FieldCode, FormCodesAreCheckedToo) {
	EXPECT_NO_THROW(kintone::CheckFormFieldCode("会社名"));
	try {
		kintone::CheckFormFieldCode("n or $id > 0");
		FAIL() << "expected an error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.message(),
		          "the app's form has a field whose code \"n or $id > 0\" is not a valid Kintone field code");
	}
}

TEST(Condition, LeavesRefuseInvalidFieldCodesAndBadArity) {
	EXPECT_THROW(Eq("$id > 0 or n", "x"), kintone::Error);
	EXPECT_THROW(Condition::Leaf("n", Op::kIn, {}), kintone::Error);
	EXPECT_THROW(Condition::Leaf("n", Op::kIsEmpty, {Value::String("")}), kintone::Error);
	EXPECT_THROW(Condition::Leaf("n", Op::kEq, {}), kintone::Error);
	EXPECT_THROW(Value::Integer("1 or 1"), kintone::Error);
	EXPECT_THROW(Value::Function("TODAY() or x", {}), kintone::Error);
	EXPECT_THROW(Value::Function("FROM_TODAY", {"1)"}), kintone::Error);
}

TEST(Condition, PrintsLeavesWithQuotedValues) {
	EXPECT_EQ(PrintCondition(Eq("会社名", "x\" or $id > \"0")), R"(会社名 = "x\" or $id > \"0")");
	EXPECT_EQ(PrintCondition(Condition::Leaf("$id", Op::kGt, {Value::Integer("12")})), "$id > 12");
	EXPECT_EQ(PrintCondition(Condition::Leaf("n", Op::kIn, {Value::String("1"), Value::String("2")})),
	          R"(n in ("1", "2"))");
	EXPECT_EQ(PrintCondition(Condition::Leaf("memo", Op::kIsEmpty)), "memo is empty");
	EXPECT_EQ(PrintCondition(Condition::Leaf("d", Op::kGe, {Value::Function("FROM_TODAY", {"-30", "DAYS"})})),
	          "d >= FROM_TODAY(-30, DAYS)");
	EXPECT_EQ(PrintCondition(Condition::Leaf("u", Op::kIn, {Value::Function("LOGINUSER")})), "u in (LOGINUSER())");
}

TEST(Condition, ControlCharactersInValuesAreRefused) {
	EXPECT_THROW(PrintCondition(Eq("t", "bell\x07")), kintone::Error);
}

TEST(Condition, NestedGroupsAreParenthesizedTheRootIsNot) {
	Condition c =
	    Condition::And({Eq("a", "1"), Condition::Or({Eq("b", "2"), Condition::And({Eq("c", "3"), Eq("d", "4")})})});
	EXPECT_EQ(PrintCondition(c), R"(a = "1" and (b = "2" or (c = "3" and d = "4")))");
	EXPECT_EQ(PrintCondition(Condition::Or({Eq("a", "1"), Eq("b", "2")})), R"(a = "1" or b = "2")");
}

TEST(Condition, SameKindGroupsFlatten) {
	Condition c = Condition::And({Eq("a", "1"), Condition::And({Eq("b", "2"), Eq("c", "3")})});
	EXPECT_EQ(PrintCondition(c), R"(a = "1" and b = "2" and c = "3")");
}

TEST(Condition, AlwaysTrueAndAlwaysFalseFold) {
	EXPECT_EQ(PrintCondition(Condition::True()), "");
	EXPECT_EQ(PrintCondition(Condition::False()), "$id < 0");
	EXPECT_EQ(PrintCondition(Condition::And({Eq("a", "1"), Condition::True()})), R"(a = "1")");
	EXPECT_EQ(PrintCondition(Condition::And({Eq("a", "1"), Condition::False()})), "$id < 0");
	EXPECT_EQ(PrintCondition(Condition::Or({Eq("a", "1"), Condition::True()})), "");
	EXPECT_EQ(PrintCondition(Condition::Or({Eq("a", "1"), Condition::False()})), R"(a = "1")");
	EXPECT_EQ(PrintCondition(Condition::And({})), "");
	EXPECT_EQ(PrintCondition(Condition::Or({})), "$id < 0");
}

TEST(Condition, NotMovesToTheLeaves) {
	EXPECT_EQ(PrintCondition(Condition::Not(Eq("a", "1"))), R"(a != "1")");
	Condition c = Condition::Not(Condition::Or(
	    {Condition::Leaf("n", Op::kLt, {Value::String("5")}), Condition::Leaf("n", Op::kIn, {Value::String("9")})}));
	EXPECT_EQ(PrintCondition(c), R"(n >= "5" and n not in ("9"))");
	EXPECT_EQ(PrintCondition(Condition::Not(Condition::Not(Eq("a", "1")))), R"(a = "1")");
	EXPECT_EQ(PrintCondition(Condition::Not(Condition::Leaf("m", Op::kIsEmpty))), "m is not empty");
	EXPECT_EQ(PrintCondition(Condition::Not(Condition::Leaf("m", Op::kLike, {Value::String("w")}))),
	          R"(m not like "w")");
	EXPECT_EQ(PrintCondition(Condition::Not(Condition::True())), "$id < 0");
}

TEST(Condition, SlotsPrintThroughTheCallerOrAreBound) {
	Condition c = Condition::And({Eq("a", "1"), Condition::Slot(0, nullptr)});
	EXPECT_TRUE(c.HasSlots());
	EXPECT_THROW(PrintCondition(c), kintone::Error);
	EXPECT_EQ(PrintCondition(c, [](const Condition &s) { return "n = $" + std::to_string(s.slot() + 1); }),
	          R"(a = "1" and n = $1)");
	Condition bound = kintone::BindSlots(c, [](const Condition &) {
		return Condition::And({Eq("b", "2"), Eq("c", "3")});
	});
	EXPECT_FALSE(bound.HasSlots());
	EXPECT_EQ(PrintCondition(bound), R"(a = "1" and b = "2" and c = "3")");
	Condition inside_or =
	    kintone::BindSlots(Condition::Or({Eq("a", "1"), Condition::Slot(0, nullptr)}), [](const Condition &) {
		    return Condition::And({Eq("b", "2"), Eq("c", "3")});
	    });
	EXPECT_EQ(PrintCondition(inside_or), R"(a = "1" or (b = "2" and c = "3"))");
	EXPECT_EQ(PrintCondition(kintone::BindSlots(c, [](const Condition &) { return Condition::False(); })), "$id < 0");
}

TEST(OrderBy, PrintsKeysAndRefusesBadCodes) {
	EXPECT_EQ(PrintOrderBy({}), "");
	EXPECT_EQ(PrintOrderBy({{"更新日時", true}, {"$id", false}}), "更新日時 desc, $id asc");
	EXPECT_THROW(PrintOrderBy({{"x limit 1", false}}), kintone::Error);
}
