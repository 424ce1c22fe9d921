// Session authentication against the real emulator: which headers each mode sends (the
// emulator's request log names the credential kinds, never values), the Basic layer on top of
// tokens and password, errors naming the refused credential without its value, OAuth with a
// token file (exchange, refresh on 401, rotation, revoked refresh token), and the token file.
#include "emulator_fixture.hpp"
#include "kintone/error.hpp"
#include "kintone/oauth.hpp"
#include "kintone/pager.hpp"
#include "kintone/record_reader.hpp"
#include "kintone/session.hpp"
#include "kintone/settings.hpp"

#include <fstream>
#include <sys/stat.h>

using kintone::ErrorKind;
using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;

namespace {

kintone_test::Emulator *emulator = nullptr;
std::string *work_dir = nullptr;

// sample-data.json plus the OAuth client of the auth tests.
std::string WriteSeed(const std::string &dir) {
	std::ifstream in(KINTONE_SOURCE_DIR "/test/emulator/sample-data.json");
	Json seed = Json::parse(in);
	seed["oauth_clients"] = Json::array({{{"client_id", "unit-client"},
	                                      {"client_secret", "unit-client-secret"},
	                                      {"redirect_uris", Json::array({"https://localhost/cb"})}}});
	std::string path = dir + "/seed.json";
	std::ofstream(path) << seed.dump();
	return path;
}

class AuthSessionTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() {
		char tmpl[] = "/tmp/kfdw-auth-unit.XXXXXX";
		work_dir = new std::string(mkdtemp(tmpl));
		emulator = &kintone_test::SharedEmulator("auth", [] { return WriteSeed(*work_dir); });
	}
	static void TearDownTestSuite() {
		std::string cmd = "rm -rf '" + *work_dir + "'";
		(void)system(cmd.c_str());
		delete work_dir;
	}
	void SetUp() override {
		kintone_test::ResetEmulator(*emulator);
		Control("POST", "/_emulator/requests/reset", "{}");
		Control("POST", "/_emulator/clock", R"({"now": null})");
		Control("POST", "/_emulator/oauth/config", R"({"rotate_refresh_tokens": false})");
	}
	static Json Control(const std::string &method, const std::string &path, const std::string &body) {
		return kintone_test::Control(*emulator, method, path, body);
	}
	static kintone::ConnectionSettings Settings(const kintone::OptionList &user) {
		auto settings = kintone::MakeConnectionSettings({{"url", emulator->url()}}, user, "the mapping");
		settings.config.retry_base_delay_ms = 1;
		return settings;
	}
	// The credential kinds of the last Kintone request the emulator saw.
	static Json LastAuth() {
		Json log = Control("GET", "/_emulator/requests", "");
		return log["requests"].back()["auth"];
	}
	static std::string Code() {
		Json code =
		    Control("POST", "/_emulator/oauth/code",
		            R"({"client_id": "unit-client", "user": "sato", "scope": "k:app_record:read k:app_settings:read",
		                        "redirect_uri": "https://localhost/cb"})");
		return code["code"].get<std::string>();
	}
	static std::string Moved(int hours) {
		std::time_t t = std::time(nullptr) + hours * 3600;
		char buf[32];
		std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
		return std::string(R"({"now": ")") + buf + "\"}";
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

const Json kRead = {{"app", 2}, {"query", "limit 1"}};

} // namespace

TEST_F(AuthSessionTest, EachModeSendsItsHeaders) {
	Session tokens(Settings({{"api_token", "app2viewtoken"}}).config);
	tokens.Get("records.json", kRead);
	EXPECT_EQ(LastAuth(), Json::array({"api_token"}));
	Session password(Settings({{"username", "sato"}, {"password", "sato-pass"}}).config);
	password.Get("records.json", kRead);
	EXPECT_EQ(LastAuth(), Json::array({"password"}));
}

TEST_F(AuthSessionTest, BasicLayerOnTopOfTokensAndPassword) {
	Control("POST", "/_emulator/basic_auth", R"({"user": "gate", "password": "gate-pass-1"})");
	kintone::OptionList basic = {{"basic_auth_user", "gate"}, {"basic_auth_password", "gate-pass-1"}};
	auto with = [&basic](kintone::OptionList user) {
		user.insert(user.end(), basic.begin(), basic.end());
		return user;
	};
	Session tokens(Settings(with({{"api_token", "app2viewtoken"}})).config);
	tokens.Get("records.json", kRead);
	Json auth = LastAuth();
	EXPECT_NE(std::find(auth.begin(), auth.end(), "basic"), auth.end()) << auth;
	EXPECT_NE(std::find(auth.begin(), auth.end(), "api_token"), auth.end()) << auth;
	Session password(Settings(with({{"username", "sato"}, {"password", "sato-pass"}})).config);
	EXPECT_NO_THROW(password.Get("records.json", kRead));

	Session missing(Settings({{"api_token", "app2viewtoken"}}).config);
	auto e = ErrorOf([&] { missing.Get("records.json", kRead); });
	EXPECT_EQ(e.message(), "Kintone asks for the domain's Basic authentication, which the mapping does not give");
	Session wrong(
	    Settings(
	        {{"api_token", "app2viewtoken"}, {"basic_auth_user", "gate"}, {"basic_auth_password", "not-the-gate-pass"}})
	        .config);
	auto w = ErrorOf([&] { wrong.Get("records.json", kRead); });
	EXPECT_EQ(w.message(), "Kintone's domain Basic authentication refused basic_auth_user and basic_auth_password of "
	                       "the mapping");
	Control("POST", "/_emulator/basic_auth", R"({"user": null})");
}

TEST_F(AuthSessionTest, RefusedCredentialsAreNamedNotShown) {
	Session password(Settings({{"username", "sato"}, {"password", "wrong-pass-77"}}).config);
	auto p = ErrorOf([&] { password.Get("records.json", kRead); });
	EXPECT_EQ(p.kind(), ErrorKind::kAuthentication);
	EXPECT_EQ(p.message(), "Kintone refused the username and password of the mapping (CB_WA01)");
	Session tokens(Settings({{"api_token", "unknowntoken77"}}).config);
	auto t = ErrorOf([&] { tokens.Get("records.json", kRead); });
	EXPECT_EQ(t.message(), "Kintone refused the API token(s) of the mapping (GAIA_IA02)");
	for (const auto *e : {&p, &t}) {
		std::string all = e->message() + e->detail() + e->hint() + e->context();
		EXPECT_EQ(all.find("wrong-pass-77"), std::string::npos);
		EXPECT_EQ(all.find("unknowntoken77"), std::string::npos);
		EXPECT_EQ(all.find(kintone::Base64Encode("sato:wrong-pass-77")), std::string::npos);
	}
}

TEST_F(AuthSessionTest, TokenFileIsPrivateAndAtomic) {
	kintone::TokenFile file(*work_dir + "/sub/dir/1_2.json");
	kintone::OAuthTokens tokens;
	EXPECT_FALSE(file.Load(&tokens));
	tokens.client_id = "c";
	tokens.access_token = "a1";
	tokens.refresh_token = "r1";
	tokens.expires_at = 42;
	{
		kintone::TokenFile::Lock lock(file);
		file.Save(tokens);
	}
	struct stat st;
	ASSERT_EQ(stat(file.path().c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0600u);
	ASSERT_EQ(stat((*work_dir + "/sub/dir").c_str(), &st), 0);
	EXPECT_EQ(st.st_mode & 0777, 0700u);
	kintone::OAuthTokens loaded;
	ASSERT_TRUE(file.Load(&loaded));
	EXPECT_EQ(loaded.access_token, "a1");
	EXPECT_EQ(loaded.refresh_token, "r1");
	EXPECT_EQ(loaded.expires_at, 42);
	EXPECT_TRUE(file.Remove());
	EXPECT_FALSE(file.Load(&loaded));
}

TEST_F(AuthSessionTest, OAuthExchangeRefreshOn401AndRotation) {
	auto settings = Settings({{"oauth_client_id", "unit-client"},
	                          {"oauth_client_secret", "unit-client-secret"},
	                          {"oauth_redirect_uri", "https://localhost/cb"}});
	EXPECT_FALSE(settings.config.allow_cursor);
	kintone::TokenFile file(*work_dir + "/oauth/9_9.json");
	file.Remove();
	kintone::HttpClient http;
	kintone::OAuthTokens first =
	    kintone::ExchangeCode(http, settings.config.base, settings.oauth_client, Code(), "the mapping");
	EXPECT_EQ(first.scope, "k:app_record:read k:app_settings:read");
	file.Save(first);

	auto source = std::make_shared<kintone::FileTokenSource>(settings.config.base, settings.oauth_client, file,
	                                                         settings.config.http, "the mapping", "srv");
	settings.config.credentials.oauth = source;
	Session session(settings.config);
	session.Get("records.json", kRead);
	EXPECT_EQ(LastAuth(), Json::array({"bearer"}));

	// Expired on the emulator clock: 401, refresh, the request again; the file has the new token.
	Control("POST", "/_emulator/oauth/config", R"({"rotate_refresh_tokens": true})");
	Control("POST", "/_emulator/clock", Moved(2));
	EXPECT_NO_THROW(session.Get("records.json", kRead));
	kintone::OAuthTokens stored;
	ASSERT_TRUE(file.Load(&stored));
	EXPECT_NE(stored.access_token, first.access_token);
	EXPECT_NE(stored.refresh_token, first.refresh_token); // rotated, and kept

	// Another session (another backend) adopts the stored tokens without refreshing again.
	Json before = Control("GET", "/_emulator/oauth", "");
	auto other_settings = settings;
	other_settings.config.credentials.oauth = std::make_shared<kintone::FileTokenSource>(
	    settings.config.base, settings.oauth_client, file, settings.config.http, "the mapping", "srv");
	Session other(other_settings.config);
	other.Get("records.json", kRead);
	EXPECT_EQ(Control("GET", "/_emulator/oauth", "")["refresh_token_grants"], before["refresh_token_grants"]);

	// The refresh token revoked and the access token expired: the refresh token is named.
	Control("POST", "/_emulator/oauth/revoke", Json({{"refresh_token", stored.refresh_token}}).dump());
	Control("POST", "/_emulator/clock", Moved(4));
	auto e = ErrorOf([&] { session.Get("records.json", kRead); });
	EXPECT_EQ(e.kind(), ErrorKind::kAuthentication);
	EXPECT_EQ(e.message(), "Kintone refused the OAuth refresh token of the mapping");
	EXPECT_EQ((e.message() + e.detail() + e.hint()).find(stored.refresh_token), std::string::npos);
	EXPECT_EQ((e.message() + e.detail() + e.hint()).find("unit-client-secret"), std::string::npos);
}

TEST_F(AuthSessionTest, NoCursorWithoutPermission) {
	// A session that may not use the cursor API (OAuth) refuses a cursor scan before any
	// request (a plan made before the mapping switched to OAuth could still ask for one).
	auto settings = Settings({{"api_token", "app2viewtoken"}});
	EXPECT_TRUE(settings.config.allow_cursor);
	settings.config.allow_cursor = false;
	Session session(settings.config);
	kintone::CursorBudget budget(3);
	kintone::ScanRequest request;
	request.app = 2;
	request.order_by = "受注番号 desc, $id asc";
	request.strategy = kintone::PagingStrategy::kCursor;
	kintone::Pager pager(session, request, &budget);
	kintone::RecordReader reader({{"$id"}});
	auto e = ErrorOf([&] { pager.Next(reader); });
	EXPECT_EQ(e.kind(), ErrorKind::kNotSupported);
	EXPECT_EQ(e.message(), "Kintone does not allow the cursor API with OAuth");
	EXPECT_EQ(budget.in_use(), 0);
	EXPECT_EQ(Control("GET", "/_emulator/stats", "")["requests_total"], 0);
}
