// The message catalogue (src/kintone/messages.hpp): Accept-Language from lc_messages or the option
// language, and our own messages and hints for Kintone's common error codes.
#include "kintone/messages.hpp"

#include <gtest/gtest.h>

using kintone::AcceptLanguage;
using kintone::Error;
using kintone::ErrorFromResponse;
using kintone::ExplainForTable;
using kintone::TableRef;

namespace {

bool Has(const std::string &text, const std::string &part) {
	return text.find(part) != std::string::npos;
}

TableRef Orders(long long guest = 0) {
	TableRef t;
	t.table = "orders";
	t.app = 99;
	t.guest_space_id = guest;
	return t;
}

} // namespace

TEST(AcceptLanguage, EnglishWhenPostgresSpeaksEnglish) {
	for (const char *locale : {"", "C", "POSIX", "C.UTF-8", "C.utf8", "en_US.UTF-8", "en_GB", "en", "en_US@euro"}) {
		EXPECT_EQ(AcceptLanguage("", locale), "en") << locale;
		EXPECT_EQ(AcceptLanguage("auto", locale), "en") << locale;
		EXPECT_EQ(AcceptLanguage("AUTO", locale), "en") << locale;
	}
}

TEST(AcceptLanguage, JapaneseAndOtherLocales) {
	EXPECT_EQ(AcceptLanguage("", "ja_JP.UTF-8"), "ja");
	EXPECT_EQ(AcceptLanguage("auto", "ja_JP.eucJP"), "ja");
	EXPECT_EQ(AcceptLanguage("", "zh_CN.UTF-8"), "zh-CN, zh;q=0.9, en;q=0.8");
	EXPECT_EQ(AcceptLanguage("", "de_DE.UTF-8@euro"), "de-DE, de;q=0.9, en;q=0.8");
	EXPECT_EQ(AcceptLanguage("", "fr"), "fr, en;q=0.8");
	// Not language_TERRITORY (Windows names, odd values): English, never a malformed header.
	EXPECT_EQ(AcceptLanguage("", "Japanese_Japan.932"), "en");
	EXPECT_EQ(AcceptLanguage("", "x\r\nEvil: 1"), "en");
}

TEST(AcceptLanguage, OptionOverridesLocale) {
	EXPECT_EQ(AcceptLanguage("ja", "C"), "ja");
	EXPECT_EQ(AcceptLanguage("en", "ja_JP.UTF-8"), "en");
	EXPECT_EQ(AcceptLanguage("zh-TW", "C"), "zh-TW");
}

TEST(LanguageOption, AcceptsAutoAndTags) {
	for (const char *ok : {"auto", "Auto", "en", "ja", "zh", "zh-TW", "en-US", "es-419"}) {
		EXPECT_TRUE(kintone::IsLanguageOption(ok)) << ok;
	}
	for (const char *bad : {"", "-", "en-", "en_US", "ja, en", "toolonglanguage", "en-toolongsubtag", "e n"}) {
		EXPECT_FALSE(kintone::IsLanguageOption(bad)) << bad;
	}
}

TEST(ExplainForTable, AppNotFoundNamesTableAndOption) {
	Error e = ErrorFromResponse(404, R"({"code":"GAIA_AP01","id":"RID1","message":"The app (ID: 99) not found."})");
	ASSERT_TRUE(ExplainForTable(e, Orders()));
	EXPECT_EQ(e.message(), "Kintone has no app 99, the option app of foreign table \"orders\" (GAIA_AP01)");
	// Kintone's message, status, code and request id stay, in DETAIL.
	EXPECT_EQ(e.detail(),
	          "Kintone error GAIA_AP01: The app (ID: 99) not found.\nHTTP 404, code GAIA_AP01, request id RID1");
	EXPECT_TRUE(Has(e.hint(), "option app of foreign table \"orders\"")) << e.hint();
	EXPECT_FALSE(Has(e.hint(), "guest_space_id"));
	EXPECT_EQ(e.kind(), kintone::ErrorKind::kNotFound);
	EXPECT_EQ(e.code(), "GAIA_AP01");
}

TEST(ExplainForTable, AppNotFoundInGuestSpaceNamesGuestSpaceId) {
	Error e = ErrorFromResponse(404, R"({"code":"GAIA_AP01","id":"RID1","message":"m"})");
	ASSERT_TRUE(ExplainForTable(e, Orders(2)));
	EXPECT_EQ(e.message(),
	          "Kintone has no app 99 (guest space 2), the option app of foreign table \"orders\" (GAIA_AP01)");
	EXPECT_TRUE(Has(e.hint(), "options app and guest_space_id")) << e.hint();
}

TEST(ExplainForTable, GuestAppWithoutGuestPath) {
	Error e = ErrorFromResponse(400, R"({"code":"GAIA_IL23","id":"R","message":"m"})");
	ASSERT_TRUE(ExplainForTable(e, Orders()));
	EXPECT_EQ(e.message(),
	          "app 99 of foreign table \"orders\" is in a guest space: the table needs the option guest_space_id "
	          "(GAIA_IL23)");
	EXPECT_TRUE(Has(e.hint(), "guest_space_id")) << e.hint();
}

TEST(ExplainForTable, NoPermissionKeepsAnExistingHint) {
	Error e = ErrorFromResponse(403, R"({"code":"CB_NO02","id":"R","message":"m"})");
	ASSERT_TRUE(ExplainForTable(e, Orders(5)));
	EXPECT_EQ(e.message(), "Kintone refused access to app 99 (guest space 5) of foreign table \"orders\" (CB_NO02)");
	EXPECT_TRUE(Has(e.hint(), "guest_space_id (5)")) << e.hint();
	Error oauth = ErrorFromResponse(403, R"({"code":"CB_NO02","id":"R","message":"m"})");
	oauth.set_hint("The OAuth scope ...");
	ExplainForTable(oauth, Orders());
	EXPECT_EQ(oauth.hint(), "The OAuth scope ...");
}

TEST(ExplainForTable, QueryErrorsNameTheColumns) {
	TableRef t = Orders();
	t.columns = {{"qty", "数量"}, {"status", "状態"}, {"qty", "数量"}, {"id", "$id"}};
	Error e = ErrorFromResponse(400, R"({"code":"GAIA_IQ03","id":"R","message":"m"})");
	ASSERT_TRUE(ExplainForTable(e, t));
	EXPECT_EQ(e.message(), "Kintone refused the query of foreign table \"orders\" on app 99 (GAIA_IQ03)");
	EXPECT_TRUE(Has(e.hint(), "columns \"qty\" (field code \"数量\"), \"status\" (field code \"状態\") and \"id\" "
	                          "(field code \"$id\")"))
	    << e.hint();
	EXPECT_TRUE(Has(e.hint(), "field_type")) << e.hint();

	Error unknown = ErrorFromResponse(400, R"({"code":"GAIA_IQ11","id":"R","message":"m"})");
	t.columns = {{"customer", "顧客"}};
	ASSERT_TRUE(ExplainForTable(unknown, t));
	EXPECT_TRUE(Has(unknown.hint(), "column \"customer\" (field code \"顧客\")")) << unknown.hint();
	EXPECT_TRUE(Has(unknown.hint(), "field_code")) << unknown.hint();

	// CB_VA01 is a query error only when its errors name the query.
	Error query =
	    ErrorFromResponse(400, R"({"code":"CB_VA01","id":"R","message":"m","errors":{"query":{"messages":["x"]}}})");
	EXPECT_TRUE(ExplainForTable(query, t));
	EXPECT_TRUE(Has(query.detail(), "query: x")) << query.detail();
	Error input = ErrorFromResponse(
	    400, R"({"code":"CB_VA01","id":"R","message":"m","errors":{"record.a.value":{"messages":["x"]}}})");
	EXPECT_FALSE(ExplainForTable(input, t));
	EXPECT_EQ(input.message(), "Kintone error CB_VA01: m");
}

TEST(ExplainForTable, LeavesOtherErrorsAlone) {
	Error e = ErrorFromResponse(404, R"({"code":"GAIA_RE01","id":"R","message":"m"})");
	EXPECT_FALSE(ExplainForTable(e, Orders()));
	EXPECT_EQ(e.message(), "Kintone error GAIA_RE01: m");
	Error gateway = ErrorFromResponse(502, "Bad Gateway");
	EXPECT_FALSE(ExplainForTable(gateway, Orders()));
}

TEST(UnknownFieldError, NamesColumnTableAppAndClosestCodes) {
	kintone::FormInfo form;
	form.fields.push_back({"顧客名", "顧客名", kintone::FieldType::kSingleLineText});
	form.fields.push_back({"顧客ID", "顧客ID", kintone::FieldType::kSingleLineText});
	kintone::FieldInfo inner{"品目", "品目", kintone::FieldType::kSingleLineText};
	inner.subtable = "明細";
	form.fields.push_back(inner);
	Error e = kintone::UnknownFieldError("customers", "name", "顧客名前", 1, form);
	EXPECT_EQ(e.message(), "column \"name\" of foreign table \"customers\" names no field of the app");
	EXPECT_TRUE(Has(e.hint(), "\"顧客名\", \"顧客ID\"")) << e.hint();
	EXPECT_FALSE(Has(e.hint(), "品目"));
	Error sub = kintone::UnknownFieldError("customers", "item", "品目", 1, form);
	EXPECT_TRUE(Has(sub.detail(), "field of the table \"明細\"")) << sub.detail();
	EXPECT_TRUE(kintone::RecordsCarryField(form, "$id"));
	EXPECT_FALSE(kintone::RecordsCarryField(form, "品目"));
}
