// Session against the real emulator: URLs, auth modes, parameter transport, errors, retries.
#include "emulator_fixture.hpp"
#include "kintone/error.hpp"
#include "kintone/session.hpp"

using kintone::ErrorKind;
using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;

namespace {

kintone_test::Emulator *emulator = nullptr;

class SessionTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = &kintone_test::SharedEmulator(); }
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }
	static Json Control(const std::string &method, const std::string &path, const std::string &body) {
		return kintone_test::Control(*emulator, method, path, body);
	}
	static SessionConfig Config() {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		return config;
	}
	static SessionConfig TokenConfig(std::vector<std::string> tokens) {
		auto config = Config();
		config.credentials.api_tokens = std::move(tokens);
		return config;
	}
	static SessionConfig PasswordConfig(const std::string &user, const std::string &password) {
		auto config = Config();
		config.credentials.username = user;
		config.credentials.password = password;
		return config;
	}
};

kintone::Error ErrorOf(const std::function<void()> &fn) {
	try {
		fn();
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "expected a kintone::Error";
	return kintone::Error(ErrorKind::kInternal, "none");
}

} // namespace

TEST(Base64Encode, Rfc4648Vectors) {
	EXPECT_EQ(kintone::Base64Encode(""), "");
	EXPECT_EQ(kintone::Base64Encode("f"), "Zg==");
	EXPECT_EQ(kintone::Base64Encode("fo"), "Zm8=");
	EXPECT_EQ(kintone::Base64Encode("foo"), "Zm9v");
	EXPECT_EQ(kintone::Base64Encode("foob"), "Zm9vYg==");
	EXPECT_EQ(kintone::Base64Encode("fooba"), "Zm9vYmE=");
	EXPECT_EQ(kintone::Base64Encode("foobar"), "Zm9vYmFy");
	EXPECT_EQ(kintone::Base64Encode("sato:pass\xE3\x81\x82"), "c2F0bzpwYXNz44GC");
}

TEST(EncodeQuery, ScalarsAndBracketIndexArrays) {
	Json params = {
	    {"app", 1}, {"query", "$id > 0 order by $id asc"}, {"fields", {"$id", "会社名"}}, {"totalCount", true}};
	EXPECT_EQ(Session::EncodeQuery(params), "app=1&fields%5B0%5D=%24id&fields%5B1%5D=%E4%BC%9A%E7%A4%BE%E5%90%8D&"
	                                        "query=%24id%20%3E%200%20order%20by%20%24id%20asc&totalCount=true");
}

TEST_F(SessionTest, PathsForNormalAndGuestSpaces) {
	Session plain(Config());
	EXPECT_EQ(plain.Path("records.json"), "/k/v1/records.json");
	EXPECT_EQ(plain.Path("records.json", 2), "/k/guest/2/v1/records.json");
	auto config = Config();
	config.guest_space_id = 2;
	Session guest(config);
	EXPECT_EQ(guest.Path("app/form/fields.json"), "/k/guest/2/v1/app/form/fields.json");
	EXPECT_EQ(guest.Path("records.json", 0), "/k/v1/records.json");
}

TEST_F(SessionTest, TokenAndPasswordAuthentication) {
	Session token(TokenConfig({"app1viewtoken"}));
	Json record = token.Get("record.json", {{"app", 1}, {"id", 1}});
	EXPECT_EQ(record["record"]["$id"]["value"], "1");
	Session password(PasswordConfig("Administrator", "admin-pass"));
	Json apps = password.Get("apps.json", Json::object());
	EXPECT_GE(apps["apps"].size(), 4u);
}

TEST_F(SessionTest, SeveralTokensTravelAsOneCommaList) {
	Session session(TokenConfig({"app1viewtoken", "app2viewtoken"}));
	EXPECT_EQ(session.Get("record.json", {{"app", 2}, {"id", 1}})["record"]["$id"]["value"], "1");
	EXPECT_EQ(session.Get("record.json", {{"app", 1}, {"id", 1}})["record"]["$id"]["value"], "1");
}

TEST_F(SessionTest, GuestSpaceAppsNeedTheGuestPath) {
	Session session(PasswordConfig("Administrator", "admin-pass"));
	auto e = ErrorOf([&] { session.Get("app.json", {{"id", 3}}); });
	EXPECT_EQ(e.code(), "GAIA_IL23");
	EXPECT_EQ(e.http_status(), 400);
	EXPECT_EQ(session.Get("app.json", {{"id", 3}}, 2)["appId"], "3");
}

TEST_F(SessionTest, ErrorsCarryCodeRequestIdAndContext) {
	Session session(TokenConfig({"app1viewtoken"}));
	auto e = ErrorOf([&] { session.Get("record.json", {{"app", 1}, {"id", 999999}}); });
	EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
	EXPECT_EQ(e.code(), "GAIA_RE01");
	EXPECT_EQ(e.request_id().size(), 20u);
	EXPECT_EQ(e.context(), "Kintone request: GET /k/v1/record.json");
	auto bad = ErrorOf([&] { Session(TokenConfig({"nosuchtoken"})).Get("record.json", {{"app", 1}, {"id", 1}}); });
	EXPECT_EQ(bad.code(), "GAIA_IA02");
	EXPECT_EQ(bad.kind(), ErrorKind::kAuthentication);
	// The token never appears in what is reported.
	EXPECT_EQ(std::string(bad.message() + bad.detail() + bad.context()).find("nosuchtoken"), std::string::npos);
}

TEST_F(SessionTest, LongReadsSwitchToMethodOverride) {
	auto config = TokenConfig({"app1viewtoken"});
	Session session(config);
	std::string long_query = "$id in (";
	for (int i = 1; i <= 800; ++i) {
		long_query += (i > 1 ? "," : "") + std::to_string(i);
	}
	long_query += ") order by $id asc limit 3";
	Json page = session.Get("records.json", {{"app", 1}, {"query", long_query}, {"fields", {"$id"}}});
	ASSERT_EQ(page["records"].size(), 3u);
	EXPECT_EQ(page["records"][0]["$id"]["value"], "1");
	// The emulator counts a request under its effective method: one read, no write.
	Json stats = Control("GET", "/_emulator/stats", "");
	EXPECT_EQ(stats["requests_total"], 1) << stats.dump();
	EXPECT_EQ(stats["requests"]["GET /k/v1/records.json"], 1) << stats.dump();
}

TEST_F(SessionTest, BusyResponsesAreRetriedForReads) {
	Control("POST", "/_emulator/faults", R"({"match":"record\\.json","code":"GAIA_TO04","status":429,"count":2})");
	Session session(TokenConfig({"app1viewtoken"}));
	EXPECT_EQ(session.Get("record.json", {{"app", 1}, {"id", 1}})["record"]["$id"]["value"], "1");
	Json stats = Control("GET", "/_emulator/stats", "");
	EXPECT_EQ(stats["requests"]["GET /k/v1/record.json"], 3) << stats.dump();
}

TEST_F(SessionTest, RetriesAreBounded) {
	Control("POST", "/_emulator/faults", R"({"match":"record\\.json","status":503,"body":"maintenance"})");
	auto config = TokenConfig({"app1viewtoken"});
	config.max_retries = 2;
	Session session(config);
	auto e = ErrorOf([&] { session.Get("record.json", {{"app", 1}, {"id", 1}}); });
	EXPECT_EQ(e.http_status(), 503);
	EXPECT_EQ(e.message(), "Kintone returned HTTP 503 Service Unavailable");
	Json stats = Control("GET", "/_emulator/stats", "");
	EXPECT_EQ(stats["requests"]["GET /k/v1/record.json"], 3) << stats.dump();
}

TEST_F(SessionTest, WritesAreNotRepeatedWhenTheOutcomeIsUnknown) {
	Control("POST", "/_emulator/faults", R"({"match":"record\\.json","method":"POST","status":503,"count":1})");
	Session session(TokenConfig({"app1fulltoken"}));
	auto e = ErrorOf([&] { session.Send("POST", "record.json", {{"app", 1}, {"record", Json::object()}}); });
	EXPECT_EQ(e.http_status(), 503);
	EXPECT_EQ(Control("GET", "/_emulator/stats", "")["requests"]["POST /k/v1/record.json"], 1);
}

TEST_F(SessionTest, RefusedBeforeWorkIsSafeToRepeatForWrites) {
	Control("POST", "/_emulator/faults",
	        R"({"match":"record\\.json","method":"POST","code":"GAIA_TO04","status":429,"count":1})");
	Session session(TokenConfig({"app4fulltoken"}));
	Json added = session.Send("POST", "record.json", {{"app", 4}, {"record", Json::object()}});
	EXPECT_TRUE(added.contains("id"));
	EXPECT_EQ(Control("GET", "/_emulator/stats", "")["requests"]["POST /k/v1/record.json"], 2);
}
