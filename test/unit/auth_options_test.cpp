// Authentication and transport options: where each may appear, secrets refused outside user
// mappings, incomplete and contradictory sets, and the settings built from server + mapping.
#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/settings.hpp"

#include "option_test_util.hpp"

#include <gtest/gtest.h>

#include <algorithm>

using kintone::ErrorKind;
using kintone::OptionContext;
using kintone::OptionList;
using kintone::ValidateOptions;
using kintone_test::Invalid;

namespace {

kintone::Error SettingsError(const OptionList &server, const OptionList &user) {
	try {
		kintone::MakeConnectionSettings(server, user, "the user mapping for server \"s\"");
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "expected an error";
	return kintone::Error(ErrorKind::kInternal, "none");
}

const OptionList kServer = {{"url", "https://example.cybozu.com"}};

} // namespace

TEST(AuthOptions, AcceptsEveryMode) {
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping,
	                                {{"api_token", "a1"}, {"basic_auth_user", "b"}, {"basic_auth_password", "bp"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping, {{"username", "u"},
	                                                              {"password", "p"},
	                                                              {"ssl_cert", "/c.pem"},
	                                                              {"ssl_key", "/c.key"},
	                                                              {"ssl_key_password", "kp"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping, {{"username", "u"},
	                                                              {"password", "p"},
	                                                              {"ssl_cert", "/c.p12"},
	                                                              {"ssl_cert_type", "p12"},
	                                                              {"ssl_key_password", "kp"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping, {{"oauth_client_id", "c"},
	                                                              {"oauth_client_secret", "s"},
	                                                              {"oauth_redirect_uri", "https://localhost/cb"},
	                                                              {"oauth_scope", "k:app_record:read"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"url", "https://a.cybozu.com"},
	                                                         {"ssl_ca_file", "/ca.pem"},
	                                                         {"proxy", "http://127.0.0.1:3128"},
	                                                         {"connect_timeout", "5"},
	                                                         {"request_timeout", "60"},
	                                                         {"user_agent", "me/1"}}));
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kUserMapping,
	                                {{"api_token", "a1"}, {"proxy_user", "p"}, {"proxy_password", "pp"}}));
}

TEST(AuthOptions, SecretsBelongInUserMappings) {
	for (const char *name : {"password", "api_token", "basic_auth_password", "ssl_key_password", "oauth_client_secret",
	                         "proxy_password"}) {
		for (OptionContext context : {OptionContext::kServer, OptionContext::kForeignTable}) {
			auto e = Invalid(context, {{name, "TopSecret99"}});
			EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption);
			EXPECT_EQ(e.message(), std::string("option \"") + name + "\" belongs in a user mapping, not in a " +
			                           kintone::OptionContextName(context));
			EXPECT_EQ(e.message().find("TopSecret99"), std::string::npos);
			EXPECT_EQ(e.detail().find("TopSecret99"), std::string::npos);
			EXPECT_EQ(e.hint().find("TopSecret99"), std::string::npos);
		}
	}
	// Non-secret credentials options are simply not valid there.
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"username", "u"}}).message(), "invalid option \"username\"");
}

TEST(AuthOptions, IncompleteSets) {
	auto msg = [](const OptionList &o) { return Invalid(OptionContext::kUserMapping, o).message(); };
	EXPECT_EQ(msg({{"basic_auth_user", "b"}}), "option \"basic_auth_user\" requires option \"basic_auth_password\"");
	EXPECT_EQ(msg({{"basic_auth_password", "b"}}),
	          "option \"basic_auth_password\" requires option \"basic_auth_user\"");
	EXPECT_EQ(msg({{"ssl_key", "/k"}}), "option \"ssl_key\" requires option \"ssl_cert\"");
	EXPECT_EQ(msg({{"ssl_key_password", "x"}}), "option \"ssl_key_password\" requires option \"ssl_cert\"");
	EXPECT_EQ(msg({{"ssl_cert_type", "PEM"}}), "option \"ssl_cert_type\" requires option \"ssl_cert\"");
	EXPECT_EQ(msg({{"proxy_user", "p"}}), "option \"proxy_user\" requires option \"proxy_password\"");
	EXPECT_EQ(msg({{"proxy_password", "p"}}), "option \"proxy_password\" requires option \"proxy_user\"");
	EXPECT_EQ(msg({{"oauth_client_id", "c"}}), "option \"oauth_client_id\" requires option \"oauth_client_secret\"");
	EXPECT_EQ(msg({{"oauth_client_secret", "c"}}),
	          "option \"oauth_client_secret\" requires option \"oauth_client_id\"");
	EXPECT_EQ(msg({{"oauth_scope", "k:app_record:read"}}),
	          "OAuth options require options \"oauth_client_id\" and \"oauth_client_secret\"");
}

TEST(AuthOptions, ContradictorySets) {
	OptionList oauth = {{"oauth_client_id", "c"}, {"oauth_client_secret", "s"}};
	auto with = [&oauth](std::pair<std::string, std::string> a, std::pair<std::string, std::string> b) {
		OptionList o = oauth;
		o.push_back(a);
		o.push_back(b);
		return Invalid(OptionContext::kUserMapping, o);
	};
	EXPECT_EQ(with({"username", "u"}, {"password", "p"}).message(),
	          "options \"oauth_client_id\" and \"username\" cannot be used together");
	EXPECT_EQ(with({"api_token", "t1"}, {"oauth_scope", "x"}).message(),
	          "options \"oauth_client_id\" and \"api_token\" cannot be used together");
	auto basic = with({"basic_auth_user", "b"}, {"basic_auth_password", "bp"});
	EXPECT_EQ(basic.message(), "options \"oauth_client_id\" and \"basic_auth_user\" cannot be used together");
	EXPECT_NE(basic.hint().find("Authorization header"), std::string::npos);
	EXPECT_EQ(
	    Invalid(OptionContext::kUserMapping, {{"ssl_cert", "/c.p12"}, {"ssl_cert_type", "P12"}, {"ssl_key", "/c.key"}})
	        .message(),
	    "options \"ssl_cert_type\" and \"ssl_key\" cannot be used together");
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"ssl_ca_file", "/ca.pem"}, {"ssl_verify", "off"}}).message(),
	          "options \"ssl_ca_file\" and \"ssl_verify 'false'\" cannot be used together");
	EXPECT_NO_THROW(ValidateOptions(OptionContext::kServer, {{"ssl_ca_file", "/ca.pem"}, {"ssl_verify", "on"}}));
}

TEST(AuthOptions, BadValues) {
	auto msg = [](OptionContext c, const OptionList &o) { return Invalid(c, o).message(); };
	EXPECT_EQ(msg(OptionContext::kServer, {{"ssl_ca_file", "ca.pem"}}),
	          "option \"ssl_ca_file\" must be an absolute path");
	EXPECT_EQ(msg(OptionContext::kServer, {{"ssl_verify", "maybe"}}),
	          "invalid value for option \"ssl_verify\": \"maybe\"");
	EXPECT_EQ(msg(OptionContext::kServer, {{"proxy", "proxy:3128"}}),
	          "invalid value for option \"proxy\": missing scheme");
	auto p = Invalid(OptionContext::kServer, {{"proxy", "http://u:Secret1@proxy:3128"}});
	EXPECT_EQ(p.message(), "invalid value for option \"proxy\": credentials must not be part of the proxy url");
	EXPECT_EQ(p.message().find("Secret1"), std::string::npos);
	EXPECT_EQ(msg(OptionContext::kServer, {{"proxy", "ftp://proxy"}}),
	          "invalid value for option \"proxy\": scheme must be http, https, socks5 or socks5h");
	EXPECT_EQ(msg(OptionContext::kServer, {{"connect_timeout", "0"}}),
	          "invalid value for option \"connect_timeout\": \"0\"");
	EXPECT_EQ(msg(OptionContext::kServer, {{"request_timeout", "90000"}}),
	          "invalid value for option \"request_timeout\": \"90000\"");
	EXPECT_EQ(msg(OptionContext::kUserMapping, {{"ssl_cert", "/c"}, {"ssl_cert_type", "DER"}}),
	          "invalid value for option \"ssl_cert_type\": \"DER\"");
	EXPECT_EQ(msg(OptionContext::kUserMapping, {{"basic_auth_user", "a:b"}, {"basic_auth_password", "x"}}),
	          "option \"basic_auth_user\" must not contain a colon");
	EXPECT_EQ(kintone::ParseProxyUrl("HTTP://127.0.0.1:3128/"), "http://127.0.0.1:3128");
}

TEST(ConnectionSettings, UserMappingOverridesServerTransport) {
	OptionList server = {{"url", "https://example.cybozu.com"},
	                     {"proxy", "http://p1:1"},
	                     {"connect_timeout", "3"},
	                     {"user_agent", "srv"},
	                     {"guest_space_id", "7"}};
	OptionList user = {{"api_token", "a1,b2"}, {"proxy", "http://p2:2"}, {"request_timeout", "9"}};
	auto s = kintone::MakeConnectionSettings(server, user, "m");
	EXPECT_EQ(s.config.http.proxy, "http://p2:2");
	EXPECT_EQ(s.config.http.connect_timeout_ms, 3000);
	EXPECT_EQ(s.config.http.timeout_ms, 9000);
	EXPECT_EQ(s.config.http.user_agent, "srv");
	EXPECT_EQ(s.config.guest_space_id, 7);
	EXPECT_TRUE(s.config.http.ssl_verify);
	EXPECT_EQ(s.config.credentials.mode(), kintone::AuthMode::kApiToken);
	EXPECT_EQ(s.config.credentials.api_tokens, (std::vector<std::string>{"a1", "b2"}));
	EXPECT_TRUE(s.config.allow_cursor);
	EXPECT_FALSE(s.oauth);
}

TEST(ConnectionSettings, CrossObjectRules) {
	auto e = SettingsError(kServer, {{"api_token", "a1"}, {"proxy_user", "u"}, {"proxy_password", "Pw9"}});
	EXPECT_EQ(
	    e.message(),
	    "option \"proxy_user\" of the user mapping for server \"s\" requires option \"proxy\" on the server or the "
	    "user mapping");
	OptionList server = kServer;
	server.emplace_back("ssl_verify", "false");
	auto v = SettingsError(server, {{"ssl_ca_file", "/ca.pem"}});
	EXPECT_EQ(v.kind(), ErrorKind::kInvalidOptionValue);
	// The mapping may turn verification back on.
	EXPECT_NO_THROW(kintone::MakeConnectionSettings(server, {{"ssl_ca_file", "/ca.pem"}, {"ssl_verify", "on"}}, "m"));
}

TEST(ConnectionSettings, OAuthHasNoCursorAndCollectsSecrets) {
	auto s = kintone::MakeConnectionSettings(
	    kServer,
	    {{"oauth_client_id", "cid"}, {"oauth_client_secret", "csecret"}, {"oauth_redirect_uri", "https://l/cb"}}, "m");
	EXPECT_TRUE(s.oauth);
	EXPECT_FALSE(s.config.allow_cursor);
	EXPECT_EQ(s.oauth_client.scope, "k:app_record:read k:app_settings:read");
	EXPECT_EQ(s.oauth_client.redirect_uri, "https://l/cb");
	EXPECT_NE(std::find(s.config.secrets.begin(), s.config.secrets.end(), "csecret"), s.config.secrets.end());

	auto p = kintone::MakeConnectionSettings(kServer,
	                                         {{"username", "u"},
	                                          {"password", "pw"},
	                                          {"basic_auth_user", "b"},
	                                          {"basic_auth_password", "bpw"},
	                                          {"ssl_cert", "/c.p12"},
	                                          {"ssl_cert_type", "pfx"},
	                                          {"ssl_key_password", "kpw"}},
	                                         "m");
	EXPECT_EQ(p.config.http.ssl_cert_type, "P12");
	for (const char *secret : {"pw", "bpw", "kpw"}) {
		EXPECT_NE(std::find(p.config.secrets.begin(), p.config.secrets.end(), secret), p.config.secrets.end())
		    << secret;
	}
	// The encoded header values are redacted too.
	EXPECT_NE(std::find(p.config.secrets.begin(), p.config.secrets.end(), kintone::Base64Encode("u:pw")),
	          p.config.secrets.end());
}

TEST(ErrorRedaction, ReplacesEverySecret) {
	kintone::Error e(ErrorKind::kConnection, "failed with pw123 and pw123", "detail pw123x", "hint");
	e.set_context("ctx abcd");
	e.Redact({"pw123", "abcd"});
	EXPECT_EQ(e.message(), "failed with [REDACTED] and [REDACTED]");
	EXPECT_EQ(e.detail(), "detail [REDACTED]x");
	EXPECT_EQ(e.context(), "ctx [REDACTED]");
}
