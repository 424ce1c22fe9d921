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
