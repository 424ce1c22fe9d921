// Connection settings (see settings.hpp).
#include "kintone/settings.hpp"

#include "kintone/error.hpp"

namespace kintone {

namespace {

const std::string *Find(const OptionList &options, const char *name) {
	for (const auto &[key, value] : options) {
		if (key == name) {
			return &value;
		}
	}
	return nullptr;
}

std::string Get(const OptionList &options, const char *name) {
	const std::string *v = Find(options, name);
	return v != nullptr ? *v : std::string();
}

// The user mapping's value, else the server's.
std::string Merged(const OptionList &server, const OptionList &user, const char *name) {
	const std::string *v = Find(user, name);
	return v != nullptr ? *v : Get(server, name);
}

} // namespace

ConnectionSettings MakeConnectionSettings(const OptionList &server, const OptionList &user, const std::string &owner) {
	ConnectionSettings out;
	SessionConfig &config = out.config;
	std::string url = Get(server, "url");
	if (url.empty()) {
		throw Error(ErrorKind::kInvalidOptionValue, "the server has no option \"url\"", "",
		            "Set it with ALTER SERVER ... OPTIONS (ADD url 'https://SUBDOMAIN.cybozu.com').");
	}
	config.base = ParseBaseUrl(url);
	std::string guest = Get(server, "guest_space_id");
	config.guest_space_id = guest.empty() ? 0 : ParsePositiveId("guest_space_id", guest);
	config.credential_owner = owner;

	// Transport.
	HttpOptions &http = config.http;
	OptionList transport;
	for (const char *name :
	     {"ssl_verify", "ssl_ca_file", "proxy", "connect_timeout", "request_timeout", "user_agent", "language"}) {
		if (Find(user, name) != nullptr || Find(server, name) != nullptr) {
			transport.emplace_back(name, Merged(server, user, name));
		}
	}
	std::string verify = Get(transport, "ssl_verify");
	http.ssl_verify = verify.empty() || ParseBooleanOption("ssl_verify", verify);
	http.ssl_ca_file = Get(transport, "ssl_ca_file");
	if (!http.ssl_ca_file.empty() && !http.ssl_verify) {
		throw Error(ErrorKind::kInvalidOptionValue,
		            "options \"ssl_ca_file\" and \"ssl_verify 'false'\" of the server and " + owner +
		                " cannot be used together",
		            "",
		            "ssl_ca_file names the CA used to verify Kintone's certificate; ssl_verify 'false' turns "
		            "verification off (unsafe).");
	}
	std::string proxy = Get(transport, "proxy");
	if (!proxy.empty()) {
		http.proxy = ParseProxyUrl(proxy);
	}
	std::string connect_timeout = Get(transport, "connect_timeout");
	if (!connect_timeout.empty()) {
		http.connect_timeout_ms = ParseSeconds("connect_timeout", connect_timeout) * 1000;
	}
	std::string request_timeout = Get(transport, "request_timeout");
	if (!request_timeout.empty()) {
		http.timeout_ms = ParseSeconds("request_timeout", request_timeout) * 1000;
	}
	config.language = Get(transport, "language");
	std::string agent = Get(transport, "user_agent");
	if (!agent.empty()) {
		http.user_agent = agent;
	}

	// Credentials (user mapping only; the validator has checked the combinations).
	CheckCombinations(user);
	http.proxy_user = Get(user, "proxy_user");
	http.proxy_password = Get(user, "proxy_password");
	if (!http.proxy_user.empty() && http.proxy.empty()) {
		throw Error(ErrorKind::kInvalidOptionValue, "option \"proxy_user\" of " + owner +
		                                                " requires option \"proxy\" on the server or the user mapping");
	}
	http.ssl_cert = Get(user, "ssl_cert");
	http.ssl_key = Get(user, "ssl_key");
	http.ssl_cert_type = ParseCertType(Get(user, "ssl_cert_type")) == CertType::kP12 ? "P12" : "PEM";
	http.ssl_key_password = Get(user, "ssl_key_password");

	Credentials &c = config.credentials;
	c.username = Get(user, "username");
	c.password = Get(user, "password");
	std::string tokens = Get(user, "api_token");
	if (!tokens.empty()) {
		c.api_tokens = ParseApiTokens(tokens);
	}
	c.basic_auth_user = Get(user, "basic_auth_user");
	c.basic_auth_password = Get(user, "basic_auth_password");
	if (Find(user, "oauth_client_id") != nullptr) {
		out.oauth = true;
		out.oauth_client.client_id = Get(user, "oauth_client_id");
		out.oauth_client.client_secret = Get(user, "oauth_client_secret");
		out.oauth_client.redirect_uri = Get(user, "oauth_redirect_uri");
		std::string scope = Get(user, "oauth_scope");
		if (!scope.empty()) {
			out.oauth_client.scope = scope;
		}
		// Kintone refuses the cursor API (and bulkRequest) to OAuth clients (contract §3.4).
		config.allow_cursor = false;
		config.allow_bulk_request = false;
	}
	config.secrets = SecretValues(config);
	if (out.oauth) {
		config.secrets.push_back(out.oauth_client.client_secret);
	}
	return out;
}

} // namespace kintone
