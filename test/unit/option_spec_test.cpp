// The validator's rules: option names per context, suggestions, value checks (option_spec).
#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/text.hpp"

#include "option_test_util.hpp"

#include <gtest/gtest.h>

using kintone::ErrorKind;
using kintone::OptionContext;
using kintone::ValidateOptions;
using kintone_test::Invalid;

TEST(EditDistance, Basics) {
	EXPECT_EQ(kintone::EditDistance("", ""), 0u);
	EXPECT_EQ(kintone::EditDistance("url", "url"), 0u);
	EXPECT_EQ(kintone::EditDistance("ulr", "url"), 2u);
	EXPECT_EQ(kintone::EditDistance("kitten", "sitting"), 3u);
	EXPECT_EQ(kintone::EditDistance("", "abc"), 3u);
}

TEST(ClosestMatch, PicksPlausibleTypoOnly) {
	std::vector<std::string> names = {"url", "guest_space_id"};
	EXPECT_EQ(kintone::ClosestMatch("urll", names), "url");
	EXPECT_EQ(kintone::ClosestMatch("guest_spaceid", names), "guest_space_id");
	EXPECT_EQ(kintone::ClosestMatch("xyz", names), ""); // shares nothing with "url"
	EXPECT_EQ(kintone::ClosestMatch("completely_unrelated", names), "");
}

TEST(ValidateOptions, AcceptsValidLists) {
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"url", "https://example.cybozu.com"}}));
	EXPECT_NO_THROW(
	    ValidateOptions(OptionContext::kServer, {{"url", "http://localhost:8080/"}, {"guest_space_id", "12"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping, {{"api_token", "abc123,DEF456"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping, {{"username", "sato"}, {"password", "p@ss w"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kForeignTable, {{"app", "7"}, {"guest_space_id", "3"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kColumn, {{"field_code", "会社名"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kColumn, {{"field_code", "$id"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kColumn, {{"field_code", "x"}, {"field_type", "DROP_DOWN"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"url", "https://a.cybozu.com"}, {"max_cursors", "10"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kWrapper, {}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"updatable", "false"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kForeignTable, {{"app", "1"}, {"updatable", "true"}}));
	EXPECT_EQ(Invalid(OptionContext::kForeignTable, {{"updatable", "maybe"}}).kind(), ErrorKind::kInvalidOptionValue);
}

TEST(ValidateOptions, UnknownNameListsValidOnesAndSuggests) {
	auto e = Invalid(OptionContext::kServer, {{"ulr", "https://x.cybozu.com"}});
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
	EXPECT_EQ(e.message(), "invalid option \"ulr\"");
	EXPECT_EQ(e.hint(), "Perhaps you meant the option \"url\". "
	                    "Valid options in this context are: url, guest_space_id, max_cursors, use_remote_estimate, "
	                    "async_capable, updatable, ssl_verify, ssl_ca_file, proxy, connect_timeout, request_timeout, user_agent, "
	                    "language, join_batch_size, max_concurrent_requests, max_file_size");
}

TEST(ValidateOptions, OptionInTheWrongContext) {
	auto e = Invalid(OptionContext::kServer, {{"app", "1"}});
	EXPECT_EQ(e.message(), "invalid option \"app\"");
	EXPECT_EQ(e.hint(), "Valid options in this context are: url, guest_space_id, max_cursors, use_remote_estimate, "
	                    "async_capable, updatable, ssl_verify, ssl_ca_file, proxy, connect_timeout, request_timeout, user_agent, "
	                    "language, join_batch_size, max_concurrent_requests, max_file_size");
	auto t = Invalid(OptionContext::kForeignTable, {{"apps", "1"}});
	EXPECT_EQ(t.hint(), "Perhaps you meant the option \"app\". Valid options in this context are: guest_space_id, "
	                    "use_remote_estimate, async_capable, updatable, app, object, join_batch_size, max_concurrent_requests, subtable, upsert_key");
}

TEST(ValidateOptions, DataOptions) {
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kForeignTable, {{"app", "6"}, {"subtable", "明細"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kForeignTable, {{"app", "6"}, {"upsert_key", "伝票番号"}}));
	EXPECT_EQ(Invalid(OptionContext::kForeignTable, {{"upsert_key", ""}}).kind(), ErrorKind::kInvalidOptionValue);
	EXPECT_EQ(Invalid(OptionContext::kForeignTable, {{"subtable", ""}}).kind(), ErrorKind::kInvalidOptionValue);
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"upsert_key", "x"}}).kind(), ErrorKind::kInvalidOption);
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"max_file_size", "1"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"max_file_size", "1073741824"}}));
	EXPECT_EQ(kintone::ParseMaxFileSize("1048576"), 1048576);
	for (const char *bad : {"0", "-1", "1073741825", "1e6", "1 MB", "", "99999999999"}) {
		auto e = Invalid(OptionContext::kServer, {{"max_file_size", bad}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue) << bad;
		EXPECT_EQ(e.message(), "invalid value for option \"max_file_size\": \"" + std::string(bad) + "\"");
	}
	EXPECT_EQ(Invalid(OptionContext::kForeignTable, {{"max_file_size", "5"}}).kind(), ErrorKind::kInvalidOption);
}

TEST(ValidateOptions, FieldTypeAndMaxCursors) {
	auto t = Invalid(OptionContext::kColumn, {{"field_type", "TEXT"}});
	EXPECT_EQ(t.kind(), ErrorKind::kInvalidOptionValue);
	EXPECT_EQ(t.message(), "invalid value for option \"field_type\": \"TEXT\"");
	auto c = Invalid(OptionContext::kServer, {{"max_cursors", "11"}});
	EXPECT_EQ(c.message(), "invalid value for option \"max_cursors\": \"11\"");
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"max_cursors", "0"}}).message(),
	          "invalid value for option \"max_cursors\": \"0\"");
}

TEST(ValidateOptions, UseRemoteEstimateIsBoolean) {
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kForeignTable, {{"app", "1"}, {"use_remote_estimate", "TRUE"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"use_remote_estimate", "off"}}));
	EXPECT_TRUE(kintone::ParseBooleanOption("x", "On"));
	EXPECT_FALSE(kintone::ParseBooleanOption("x", "FALSE"));
	auto e = Invalid(OptionContext::kServer, {{"use_remote_estimate", "maybe"}});
	EXPECT_EQ(e.message(), "invalid value for option \"use_remote_estimate\": \"maybe\"");
	EXPECT_EQ(e.hint(), "Use true or false.");
}

// Issue 10: a Boolean accepts what PostgreSQL's defGetBoolean accepts, so that no value passes
// the validator and then fails when a statement reads it ("updatable 'yes'"); and the message
// names the option checked ("updatable 'maybe'" was reported for use_remote_estimate).
TEST(ValidateOptions, BooleansAreWhatPostgresAcceptsAndNameTheirOption) {
	for (const char *bad : {"yes", "no", "1", "0", "t", "f", "maybe", ""}) {
		auto e = Invalid(OptionContext::kForeignTable, {{"app", "1"}, {"updatable", bad}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue) << bad;
		EXPECT_EQ(e.message(), "invalid value for option \"updatable\": \"" + std::string(bad) + "\"");
	}
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"ssl_verify", "yes"}}).message(),
	          "invalid value for option \"ssl_verify\": \"yes\"");
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"guest_space_id", "x"}}).message(),
	          "invalid value for option \"guest_space_id\": \"x\"");
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"request_timeout", "0"}}).message(),
	          "invalid value for option \"request_timeout\": \"0\"");
}

// Issue 11 item 4: a field code is refused unless Kintone could have made it.
TEST(ValidateOptions, FieldCodeMustBeAKintoneFieldCode) {
	for (const char *bad : {"$id > 0 or n", "x\x01", "a b", "n)", "", "a\"b"}) {
		auto e = Invalid(OptionContext::kColumn, {{"field_code", bad}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue) << bad;
		EXPECT_EQ(e.message().rfind("invalid value for option \"field_code\": ", 0), 0u) << e.message();
	}
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kColumn, {{"field_code", "顧客＿名・よみ"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kColumn, {{"field_code", "$revision"}}));
}

TEST(ValidateOptions, JoinBatchSize) {
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"join_batch_size", "0"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kForeignTable, {{"app", "1"}, {"join_batch_size", "1000"}}));
	for (const char *bad : {"", "-1", "1001", "12x", "99999", " 5"}) {
		auto e = Invalid(OptionContext::kServer, {{"join_batch_size", bad}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue) << bad;
		EXPECT_EQ(e.message(), "invalid value for option \"join_batch_size\": \"" + std::string(bad) + "\"");
		EXPECT_EQ(e.hint(), "Use a number of keys from 1 to 1000, or 0 to turn batched joins off.");
	}
	EXPECT_EQ(Invalid(OptionContext::kColumn, {{"join_batch_size", "5"}}).kind(), ErrorKind::kInvalidOption);
}

TEST(ValidateOptions, WrapperTakesNoOptions) {
	auto e = Invalid(OptionContext::kWrapper, {{"url", "https://x.cybozu.com"}});
	EXPECT_EQ(e.hint(), "There are no valid options in this context.");
}

TEST(ValidateOptions, SecretsNeverAppearInMessages) {
	for (const char *token : {"abc-def", "abc,,def", "tok en!"}) {
		auto e = Invalid(OptionContext::kUserMapping, {{"api_token", token}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue);
		EXPECT_EQ(e.message().find(token), std::string::npos) << e.message();
		EXPECT_EQ(e.hint().find(token), std::string::npos);
	}
	auto p = Invalid(OptionContext::kUserMapping, {{"password", "s3cret"}});
	EXPECT_EQ(p.message(), "option \"password\" requires option \"username\"");
}

TEST(ValidateOptions, TokenListRules) {
	EXPECT_EQ(kintone::ParseApiTokens(" a1 , b2,c3 "), (std::vector<std::string>{"a1", "b2", "c3"}));
	EXPECT_EQ(Invalid(OptionContext::kUserMapping, {{"api_token", "a,a"}}).message(),
	          "option \"api_token\" lists the same token twice");
	EXPECT_EQ(Invalid(OptionContext::kUserMapping, {{"api_token", "a,b,c,d,e,f,g,h,i,j"}}).message(),
	          "option \"api_token\" lists 10 tokens");
	EXPECT_NO_THROW(kintone::ParseApiTokens("a,b,c,d,e,f,g,h,i"));
	EXPECT_EQ(Invalid(OptionContext::kUserMapping, {{"api_token", ""}}).message(),
	          "option \"api_token\" contains an empty token");
}

TEST(ValidateOptions, UsernameAndPasswordGoTogether) {
	EXPECT_EQ(Invalid(OptionContext::kUserMapping, {{"username", "sato"}}).message(),
	          "option \"username\" requires option \"password\"");
	EXPECT_EQ(Invalid(OptionContext::kUserMapping, {{"username", ""}, {"password", "x"}}).message(),
	          "option \"username\" must not be empty");
}

TEST(ValidateOptions, Ids) {
	EXPECT_EQ(kintone::ParsePositiveId("app", "42"), 42);
	EXPECT_EQ(kintone::ParsePositiveId("app", "9223372036854775807"), 9223372036854775807LL);
	for (const char *bad : {"0", "-1", "", "1.5", "abc", " 1", "99999999999999999999"}) {
		auto e = Invalid(OptionContext::kForeignTable, {{"app", bad}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue) << bad;
		EXPECT_EQ(e.hint(), "The value must be a positive integer.");
	}
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"guest_space_id", "x"}}).message(),
	          "invalid value for option \"guest_space_id\": \"x\"");
}

TEST(ParseBaseUrl, AcceptsHttpsAndLoopbackHttp) {
	auto u = kintone::ParseBaseUrl("https://Example.cybozu.com");
	EXPECT_EQ(u.scheme, "https");
	EXPECT_EQ(u.host, "example.cybozu.com");
	EXPECT_EQ(u.port, 0);
	EXPECT_EQ(u.ToString(), "https://example.cybozu.com");
	EXPECT_EQ(kintone::ParseBaseUrl("HTTP://localhost:18080/").ToString(), "http://localhost:18080");
	EXPECT_EQ(kintone::ParseBaseUrl("http://127.0.0.1:80").port, 80);
	EXPECT_EQ(kintone::ParseBaseUrl("http://[::1]:9000").ToString(), "http://[::1]:9000");
	EXPECT_EQ(kintone::ParseBaseUrl("https://example.s.cybozu.com:443").port, 443);
}

TEST(ParseBaseUrl, RefusesEverythingElse) {
	struct Case {
		const char *url;
		const char *message;
	};
	const Case cases[] = {
	    {"example.cybozu.com", "invalid url \"example.cybozu.com\": missing scheme"},
	    {"ftp://example.cybozu.com", "invalid url \"ftp://example.cybozu.com\": scheme must be https"},
	    {"http://example.cybozu.com",
	     "invalid url \"http://example.cybozu.com\": plain http is allowed only for loopback hosts"},
	    {"http://127.0.0.256", "invalid url \"http://127.0.0.256\": plain http is allowed only for loopback hosts"},
	    {"http://localhost.evil.com", "invalid url \"http://localhost.evil.com\": plain http is allowed only for "
	                                  "loopback hosts"},
	    {"https://example.cybozu.com/k/v1", "invalid url \"https://example.cybozu.com…\": the url must not have a "
	                                        "path, query or fragment"},
	    {"https://example.cybozu.com?x=1", "invalid url \"https://example.cybozu.com…\": the url must not have a "
	                                       "path, query or fragment"},
	    {"https://", "invalid url \"https://\": missing host"},
	    {"https://example.cybozu.com:0", "invalid url \"https://example.cybozu.com:0\": bad port"},
	    {"https://example.cybozu.com:70000", "invalid url \"https://example.cybozu.com:70000\": bad port"},
	    {"https://example.cybozu.com:", "invalid url \"https://example.cybozu.com:\": bad port"},
	    {"https://exa mple.com", "invalid url \"https://exa…\": bad host name"},
	};
	for (const auto &c : cases) {
		auto e = Invalid(OptionContext::kServer, {{"url", c.url}});
		EXPECT_EQ(e.kind(), ErrorKind::kInvalidOptionValue) << c.url;
		EXPECT_EQ(e.message(), c.message);
	}
}

// Issue 11: a password or token pasted anywhere into a bad url never reaches the message.
TEST(ParseBaseUrl, SecretsInABadUrlAreNeverEchoed) {
	const char *urls[] = {
	    "https://example.cybozu.com/k/v1/records.json?api_token=SECRET1",
	    "https://example.cybozu.com/SECRET1",
	    "https://example.cybozu.com#SECRET1",
	    "example.cybozu.com/?token=SECRET1",
	    "sato:SECRET1@example.cybozu.com",
	    "ftp://sato:SECRET1@example.cybozu.com",
	    "https://sato:SECRET1@",
	    "http://user:SECRET1@example.cybozu.com/x",
	    "https://exa mple.com SECRET1",
	    "https://[::1/SECRET1",
	};
	for (const char *url : urls) {
		auto e = Invalid(OptionContext::kServer, {{"url", url}});
		EXPECT_EQ((e.message() + e.detail() + e.hint()).find("SECRET1"), std::string::npos)
		    << url << ": " << e.message();
	}
}

TEST(ParseBaseUrl, CredentialsInUrlAreRefusedWithoutEchoingThem) {
	auto e = Invalid(OptionContext::kServer, {{"url", "https://sato:hunter2@example.cybozu.com"}});
	EXPECT_EQ(e.message(), "invalid url: credentials must not be part of the url");
	EXPECT_EQ(e.message().find("hunter2"), std::string::npos);
	EXPECT_EQ(e.hint().find("hunter2"), std::string::npos);
}
