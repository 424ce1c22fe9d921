// "Did you mean" for the option names users bring from postgres_fdw and CData's Kintone drivers
// (option_spec.cpp, kOptionAliases): the hint names kintone_fdw's option, says where it belongs
// when that is another object, and never carries an option's value.
#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"

#include "option_test_util.hpp"

#include <gtest/gtest.h>

#include <string>

using kintone::ErrorKind;
using kintone::OptionContext;
using kintone_test::Invalid;

namespace {

// The hint up to the list of valid options.
std::string Pointed(OptionContext context, const std::string &name, const std::string &value = "v4lue-Zq9") {
	kintone::Error e = Invalid(context, {{name, value}});
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidOption) << name;
	EXPECT_EQ(e.message(), "invalid option \"" + name + "\"");
	std::string hint = e.hint();
	size_t list = hint.find("Valid options in this context are: ");
	EXPECT_NE(list, std::string::npos) << hint;
	EXPECT_EQ(hint.find(value), std::string::npos) << "the value must not appear: " << hint;
	return list == std::string::npos || list == 0 ? hint : hint.substr(0, list - 1);
}

} // namespace

TEST(OptionHints, PostgresFdwNames) {
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "user"),
	          "Perhaps you meant the option \"username\" (in postgres_fdw and CData: \"user\").");
	EXPECT_EQ(Pointed(OptionContext::kServer, "host"),
	          "Perhaps you meant the option \"url\" (in postgres_fdw: \"host\"). Kintone is reached by its base URL, "
	          "e.g. url 'https://example.cybozu.com'.");
	EXPECT_EQ(Pointed(OptionContext::kServer, "port"),
	          "Perhaps you meant the option \"url\" (in postgres_fdw: \"port\"). A port goes into the URL, e.g. url "
	          "'https://example.cybozu.com:8443'.");
	EXPECT_EQ(Pointed(OptionContext::kServer, "dbname").rfind("Perhaps you meant the option \"url\"", 0), 0u);
	EXPECT_EQ(Pointed(OptionContext::kForeignTable, "table_name"),
	          "Perhaps you meant the option \"app\" (in postgres_fdw: \"table_name\"). A foreign table reads the "
	          "Kintone app with this id.");
	EXPECT_EQ(Pointed(OptionContext::kColumn, "column_name"),
	          "Perhaps you meant the option \"field_code\" (in postgres_fdw: \"column_name\").");
	EXPECT_EQ(Pointed(OptionContext::kServer, "sslrootcert"),
	          "Perhaps you meant the option \"ssl_ca_file\" (in postgres_fdw: \"sslrootcert\").");
	EXPECT_EQ(Pointed(OptionContext::kServer, "fetch_size"),
	          "postgres_fdw's \"fetch_size\" has no counterpart here. kintone_fdw reads 500 records per request, "
	          "Kintone's maximum; there is nothing to set.");
}

TEST(OptionHints, CDataNames) {
	EXPECT_EQ(Pointed(OptionContext::kForeignTable, "app_id"),
	          "Perhaps you meant the option \"app\" (in CData: \"app_id\").");
	EXPECT_EQ(Pointed(OptionContext::kForeignTable, "AppId"),
	          "Perhaps you meant the option \"app\" (in CData: \"AppId\").");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "APIToken"), "Perhaps you meant the option \"api_token\".");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "token"), "Perhaps you meant the option \"api_token\".");
	EXPECT_EQ(Pointed(OptionContext::kServer, "GuestSpaceId"), "Perhaps you meant the option \"guest_space_id\".");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "BasicAuthUser"),
	          "Perhaps you meant the option \"basic_auth_user\".");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "SSLClientCertPassword"),
	          "Perhaps you meant the option \"ssl_key_password\" (in CData: \"SSLClientCertPassword\").");
	EXPECT_EQ(Pointed(OptionContext::kServer, "ProxyServer").rfind("Perhaps you meant the option \"proxy\"", 0), 0u);
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "FirewallUser"),
	          "Perhaps you meant the option \"proxy_user\" (in CData: \"FirewallUser\").");
	EXPECT_EQ(Pointed(OptionContext::kServer, "Timeout"),
	          "Perhaps you meant the option \"request_timeout\" (in CData: \"Timeout\"). connect_timeout limits "
	          "connecting alone.");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "OAuthCallbackURL"),
	          "Perhaps you meant the option \"oauth_redirect_uri\" (in CData: \"OAuthCallbackURL\").");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "AuthScheme").rfind("CData's \"AuthScheme\" has no counterpart", 0),
	          0u);
	EXPECT_EQ(Pointed(OptionContext::kServer, "UseCursor").rfind("Perhaps you meant the option \"max_cursors\"", 0),
	          0u);
}

TEST(OptionHints, CaseAndSeparators) {
	EXPECT_EQ(Pointed(OptionContext::kServer, "URL"),
	          "Perhaps you meant the option \"url\" (option names are lower case).");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "Password", "hunter2"),
	          "Perhaps you meant the option \"password\" (option names are lower case).");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "User"),
	          "Perhaps you meant the option \"username\" (in postgres_fdw and CData: \"User\").");
	EXPECT_EQ(Pointed(OptionContext::kServer, "guest-space-id"), "Perhaps you meant the option \"guest_space_id\".");
}

TEST(OptionHints, SaysWhereTheOptionBelongs) {
	EXPECT_EQ(
	    Pointed(OptionContext::kServer, "user"),
	    "Perhaps you meant the option \"username\" (in postgres_fdw and CData: \"user\"), which belongs in a user "
	    "mapping.");
	EXPECT_EQ(Pointed(OptionContext::kServer, "APIToken", "secret-token-1"),
	          "Perhaps you meant the option \"api_token\", which belongs in a user mapping.");
	EXPECT_EQ(Pointed(OptionContext::kServer, "AppId"),
	          "Perhaps you meant the option \"app\" (in CData: \"AppId\"), which belongs in a foreign table.");
	EXPECT_EQ(Pointed(OptionContext::kUserMapping, "GuestSpaceId"),
	          "Perhaps you meant the option \"guest_space_id\", which belongs in a server or a foreign table.");
}

TEST(OptionHints, OwnNamesAndTyposUnchanged) {
	// A name of ours in the wrong context keeps the plain list; typos keep the closest match.
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"app", "1"}}).hint().rfind("Valid options in this context are: ", 0),
	          0u);
	EXPECT_EQ(Pointed(OptionContext::kServer, "ulr"), "Perhaps you meant the option \"url\".");
	EXPECT_EQ(Invalid(OptionContext::kServer, {{"nothing_like_it", "1"}}).hint().rfind("Valid options", 0), 0u);
}
