// Option table and value checks (see option_spec.hpp).
#include "kintone/option_spec.hpp"

#include "kintone/error.hpp"
#include "kintone/messages.hpp"
#include "kintone/metadata.hpp"
#include "kintone/query.hpp"
#include "kintone/schema.hpp"
#include "kintone/subtable.hpp"
#include "kintone/text.hpp"

#include <cctype>
#include <climits>

namespace kintone {

namespace {

constexpr unsigned Bit(OptionContext c) {
	return static_cast<unsigned>(c);
}

Error ValueError(std::string message, std::string hint = {}) {
	return Error(ErrorKind::kInvalidOptionValue, std::move(message), "", std::move(hint));
}

// The value checks of KnownOptions. Each receives the name of the option it checks, so its
// messages name that option whatever option shares the check.
void CheckUrl(std::string_view, std::string_view value) {
	(void)ParseBaseUrl(value);
}
void CheckPositiveId(std::string_view name, std::string_view value) {
	(void)ParsePositiveId(name, value);
}
void CheckObject(std::string_view, std::string_view value) {
	(void)ObjectKindFromName(value); // issue 13: records (default), apps, spaces, fields, …
}
void CheckTokens(std::string_view, std::string_view value) {
	(void)ParseApiTokens(value);
}
void CheckNonEmpty(std::string_view name, std::string_view value) {
	if (value.empty()) {
		throw ValueError("option \"" + std::string(name) + "\" must not be empty");
	}
}
void CheckLanguage(std::string_view name, std::string_view value) {
	if (!IsLanguageOption(value)) {
		throw ValueError("invalid value for option \"" + std::string(name) + "\": \"" + std::string(value) + "\"",
		                 "Use 'auto' (Kintone's messages in the language of lc_messages) or a language tag such as "
		                 "'en', 'ja' or 'zh'.");
	}
}

void CheckBoolean(std::string_view name, std::string_view value) {
	(void)ParseBooleanOption(name, value);
}
void CheckFieldCodeOption(std::string_view, std::string_view value) {
	if (IsRowPseudoField(value)) {
		return; // a subtable row's id or position (subtable.hpp); refused at use outside such a table
	}
	try {
		CheckFieldCode(value);
	} catch (const Error &e) {
		throw Error(ErrorKind::kInvalidOptionValue, "invalid value for option \"field_code\": " + e.message(),
		            e.detail(), e.hint());
	}
}

void CheckFieldType(std::string_view, std::string_view value) {
	if (FieldTypeFromName(value) == FieldType::kUnknown) {
		throw ValueError("invalid value for option \"field_type\": \"" + std::string(value) + "\"",
		                 "Use a Kintone field type such as SINGLE_LINE_TEXT, NUMBER, DATE or DROP_DOWN.");
	}
}
// Files (docs/files.md): the largest upload accepted.
void CheckMaxFileSize(std::string_view, std::string_view value) {
	(void)ParseMaxFileSize(value);
}
void CheckMaxCursors(std::string_view name, std::string_view value) {
	if (ParsePositiveId(name, value) > 10) {
		throw ValueError("invalid value for option \"" + std::string(name) + "\": \"" + std::string(value) + "\"",
		                 "Kintone allows at most 10 live cursors per domain; use a value from 1 to 10.");
	}
}

// Pages in flight per scan: 1 to 10 (docs/concurrency.md: Kintone allows 100 requests in flight
// per domain, shared by every user and integration of the domain).
void CheckMaxConcurrentRequests(std::string_view name, std::string_view value) {
	if (ParsePositiveId(name, value) > kMaxConcurrentRequests) {
		throw ValueError("invalid value for option \"" + std::string(name) + "\": \"" + std::string(value) + "\"",
		                 "Use a value from 1 to " + std::to_string(kMaxConcurrentRequests) +
		                     ": Kintone allows 100 requests in flight per domain, for every user and integration "
		                     "together.");
	}
}

// Keys per batch of a batched join (0 turns the batched join off). Each key costs a few dozen
// bytes of query; long queries go by POST, so the bound is only there to keep requests sane.
void CheckJoinBatchSize(std::string_view name, std::string_view value) {
	bool digits = !value.empty() && value.size() <= 4;
	for (char c : value) {
		digits = digits && c >= '0' && c <= '9';
	}
	if (!digits || std::stoi(std::string(value)) > kMaxJoinBatchSize) {
		throw ValueError("invalid value for option \"" + std::string(name) + "\": \"" + std::string(value) + "\"",
		                 "Use a number of keys from 1 to " + std::to_string(kMaxJoinBatchSize) +
		                     ", or 0 to turn batched joins off.");
	}
}

void CheckFile(std::string_view name, std::string_view value) {
	CheckNonEmpty(name, value);
	if (value.front() != '/') {
		throw ValueError("option \"" + std::string(name) + "\" must be an absolute path",
		                 "The file is read by the PostgreSQL server process, whose working directory is the data "
		                 "directory; give the full path.");
	}
}
void CheckSslCertType(std::string_view, std::string_view value) {
	(void)ParseCertType(value);
}
void CheckProxy(std::string_view, std::string_view value) {
	(void)ParseProxyUrl(value);
}
void CheckSeconds(std::string_view name, std::string_view value) {
	(void)ParseSeconds(name, value);
}
void CheckUserAgent(std::string_view name, std::string_view value) {
	CheckNonEmpty(name, value);
	for (char c : value) {
		if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
			throw ValueError("option \"user_agent\" must not contain control characters");
		}
	}
}
void CheckBasicUser(std::string_view name, std::string_view value) {
	CheckNonEmpty(name, value);
	if (value.find(':') != std::string_view::npos) {
		throw ValueError("option \"basic_auth_user\" must not contain a colon",
		                 "HTTP Basic authentication separates the user from the password with a colon.");
	}
}
void CheckOAuthRedirectUri(std::string_view name, std::string_view value) {
	CheckNonEmpty(name, value);
	if (value.rfind("https://", 0) != 0 && value.rfind("http://", 0) != 0) {
		throw ValueError("invalid value for option \"oauth_redirect_uri\": \"" + std::string(value) + "\"",
		                 "Use the redirect URL registered for the OAuth client, e.g. https://localhost/callback.");
	}
}
void CheckOAuthScope(std::string_view name, std::string_view value) {
	CheckNonEmpty(name, value);
	for (char c : value) {
		if (static_cast<unsigned char>(c) < 0x20 || c == '"' || c == '\\') {
			throw ValueError("invalid value for option \"oauth_scope\"",
			                 "List Kintone scopes separated by spaces, e.g. 'k:app_record:read k:app_settings:read'.");
		}
	}
}

bool IsLoopbackHost(const std::string &host) {
	if (host == "localhost" || host == "::1") {
		return true;
	}
	// 127.0.0.0/8 in dotted-quad form.
	if (host.rfind("127.", 0) != 0) {
		return false;
	}
	int parts = 0;
	size_t i = 0;
	while (i <= host.size()) {
		size_t j = host.find('.', i);
		if (j == std::string::npos) {
			j = host.size();
		}
		std::string_view part(host.data() + i, j - i);
		if (part.empty() || part.size() > 3) {
			return false;
		}
		for (char c : part) {
			if (!std::isdigit(static_cast<unsigned char>(c))) {
				return false;
			}
		}
		if (std::stoi(std::string(part)) > 255) {
			return false;
		}
		++parts;
		i = j + 1;
	}
	return parts == 4;
}

std::string Lower(std::string_view s) {
	std::string out(s);
	for (auto &c : out) {
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	}
	return out;
}

} // namespace

const char *OptionContextName(OptionContext context) {
	switch (context) {
	case OptionContext::kWrapper:
		return "foreign-data wrapper";
	case OptionContext::kServer:
		return "server";
	case OptionContext::kUserMapping:
		return "user mapping";
	case OptionContext::kForeignTable:
		return "foreign table";
	case OptionContext::kColumn:
		return "column";
	}
	return "unknown";
}

const std::vector<OptionSpec> &KnownOptions() {
	constexpr unsigned kS = Bit(OptionContext::kServer);
	constexpr unsigned kU = Bit(OptionContext::kUserMapping);
	constexpr unsigned kT = Bit(OptionContext::kForeignTable);
	// Function-local static: nothing is constructed at library load time. Secrets are allowed
	// only in user mappings (pg_user_mappings shows their options to the mapped user and
	// superusers only); server and table options are readable by everyone.
	static const std::vector<OptionSpec> options = {
	    {"url", kS, false, CheckUrl},
	    {"guest_space_id", kS | kT, false, CheckPositiveId},
	    {"max_cursors", kS, false, CheckMaxCursors},
	    {"use_remote_estimate", kS | kT, false, CheckBoolean},
	    {"async_capable", kS | kT, false, CheckBoolean},
	    {"updatable", kS | kT, false, CheckBoolean},
	    // Transport (server, or a user mapping to override the server's).
	    {"ssl_verify", kS | kU, false, CheckBoolean},
	    {"ssl_ca_file", kS | kU, false, CheckFile},
	    {"proxy", kS | kU, false, CheckProxy},
	    {"connect_timeout", kS | kU, false, CheckSeconds},
	    {"request_timeout", kS | kU, false, CheckSeconds},
	    {"user_agent", kS | kU, false, CheckUserAgent},
	    {"language", kS | kU, false, CheckLanguage},
	    // Credentials: user mappings only.
	    {"api_token", kU, true, CheckTokens},
	    {"username", kU, false, CheckNonEmpty},
	    {"password", kU, true, CheckNonEmpty},
	    {"basic_auth_user", kU, false, CheckBasicUser},
	    {"basic_auth_password", kU, true, CheckNonEmpty},
	    {"ssl_cert", kU, false, CheckFile},
	    {"ssl_key", kU, false, CheckFile},
	    {"ssl_cert_type", kU, false, CheckSslCertType},
	    {"ssl_key_password", kU, true, CheckNonEmpty},
	    {"oauth_client_id", kU, false, CheckNonEmpty},
	    {"oauth_client_secret", kU, true, CheckNonEmpty},
	    {"oauth_redirect_uri", kU, false, CheckOAuthRedirectUri},
	    {"oauth_scope", kU, false, CheckOAuthScope},
	    {"proxy_user", kU, false, CheckNonEmpty},
	    {"proxy_password", kU, true, CheckNonEmpty},
	    {"app", kT, false, CheckPositiveId},
	    {"object", kT, false, CheckObject},
	    {"field_code", Bit(OptionContext::kColumn), false, CheckFieldCodeOption},
	    {"field_type", Bit(OptionContext::kColumn), false, CheckFieldType},
	    {"lookup_copy_of", Bit(OptionContext::kColumn), false, CheckNonEmpty},
	    {"join_batch_size", Bit(OptionContext::kServer) | Bit(OptionContext::kForeignTable), false, CheckJoinBatchSize},
	    {"max_concurrent_requests", kS | kT, false, CheckMaxConcurrentRequests},
	    // Subtables, upsert, files (docs/data.md).
	    {"subtable", kT, false, CheckNonEmpty},
	    {"upsert_key", kT, false, CheckNonEmpty},
	    {"max_file_size", kS, false, CheckMaxFileSize},
	};
	return options;
}

std::vector<std::string> OptionNamesFor(OptionContext context) {
	std::vector<std::string> names;
	for (const auto &spec : KnownOptions()) {
		if (spec.contexts & Bit(context)) {
			names.emplace_back(spec.name);
		}
	}
	return names;
}

const OptionSpec *FindOption(std::string_view name) {
	for (const auto &spec : KnownOptions()) {
		if (name == spec.name) {
			return &spec;
		}
	}
	return nullptr;
}

namespace {

bool Has(const OptionList &options, std::string_view name) {
	return OptionValue(options, name) != nullptr;
}

void Requires(const OptionList &options, const char *name, const char *needed, const char *hint = "") {
	if (Has(options, name) && !Has(options, needed)) {
		throw ValueError(std::string("option \"") + name + "\" requires option \"" + needed + "\"", hint);
	}
}

void Excludes(const OptionList &options, const char *a, const char *b, const char *why) {
	if (Has(options, a) && Has(options, b)) {
		throw ValueError(std::string("options \"") + a + "\" and \"" + b + "\" cannot be used together", why);
	}
}

bool HasOAuth(const OptionList &options) {
	for (const auto &[key, value] : options) {
		if (key.rfind("oauth_", 0) == 0) {
			return true;
		}
	}
	return false;
}

// ssl_ca_file with verification turned off is a contradiction (which one did the user mean?).
void CheckVerifyWithCa(const OptionList &options) {
	if (Has(options, "ssl_ca_file") && Has(options, "ssl_verify") &&
	    !ParseBooleanOption("ssl_verify", OptionValueOr(options, "ssl_verify", ""))) {
		throw ValueError("options \"ssl_ca_file\" and \"ssl_verify 'false'\" cannot be used together",
		                 "ssl_ca_file names the CA used to verify Kintone's certificate; ssl_verify 'false' turns "
		                 "verification off (unsafe).");
	}
}

// ---- "Did you mean": the names users bring from postgres_fdw (and libpq) and from CData's
// Kintone drivers (their connection properties), compared without case, "_", "-" and spaces.
// option: kintone_fdw's option for the same thing (nullptr: none); from: who uses the name;
// note: what to do instead, when the option alone does not say it.
struct OptionAlias {
	const char *key;
	const char *option;
	const char *from;
	const char *note;
};

constexpr const char *kUrlNote = "Kintone is reached by its base URL, e.g. url 'https://example.cybozu.com'.";
constexpr const char *kProxyNote = "The proxy is one URL with its port, e.g. proxy 'http://proxy.example.com:8080' "
                                   "or 'socks5://proxy.example.com:1080'.";
constexpr const char *kPageNote =
    "kintone_fdw reads 500 records per request, Kintone's maximum; there is nothing to set.";

const OptionAlias kOptionAliases[] = {
    {"user", "username", "postgres_fdw and CData", nullptr},
    {"login", "username", nullptr, nullptr},
    {"pwd", "password", nullptr, nullptr},
    {"passwd", "password", nullptr, nullptr},
    {"host", "url", "postgres_fdw", kUrlNote},
    {"hostaddr", "url", "postgres_fdw", kUrlNote},
    {"port", "url", "postgres_fdw", "A port goes into the URL, e.g. url 'https://example.cybozu.com:8443'."},
    {"dbname", "url", "postgres_fdw",
     "A Kintone domain has no databases: the server is its base URL, e.g. url 'https://example.cybozu.com'."},
    {"domain", "url", nullptr, kUrlNote},
    {"subdomain", "url", nullptr, kUrlNote},
    {"baseurl", "url", nullptr, kUrlNote},
    {"appid", "app", "CData", nullptr},
    {"appids", "app", "CData", "A foreign table reads one app; IMPORT FOREIGN SCHEMA takes several (option apps)."},
    {"tablename", "app", "postgres_fdw", "A foreign table reads the Kintone app with this id."},
    {"schemaname", nullptr, "postgres_fdw",
     "A Kintone domain has no schemas: the option app names the app, guest_space_id its guest space."},
    {"columnname", "field_code", "postgres_fdw", nullptr},
    {"token", "api_token", nullptr, nullptr},
    {"apikey", "api_token", nullptr, nullptr},
    {"apitokens", "api_token", nullptr, "Several tokens go into one option, separated by commas."},
    {"guestspace", "guest_space_id", nullptr, nullptr},
    {"spaceid", "guest_space_id", nullptr, nullptr},
    {"sslrootcert", "ssl_ca_file", "postgres_fdw", nullptr},
    {"sslservercert", "ssl_ca_file", "CData", nullptr},
    {"sslmode", "ssl_verify", "postgres_fdw",
     "An https URL always uses TLS; the certificate is verified unless ssl_verify is 'false'."},
    {"sslpassword", "ssl_key_password", "postgres_fdw", nullptr},
    {"sslclientcert", "ssl_cert", "CData", "ssl_cert names the certificate file, ssl_key its private key."},
    {"sslclientcerttype", "ssl_cert_type", "CData", nullptr},
    {"sslclientcertpassword", "ssl_key_password", "CData", nullptr},
    {"sslclientcertsubject", nullptr, "CData",
     "kintone_fdw reads the client certificate from files: ssl_cert and ssl_key, or one P12 file with ssl_cert_type "
     "'P12'."},
    {"proxyserver", "proxy", "CData", kProxyNote},
    {"proxyport", "proxy", "CData", kProxyNote},
    {"proxyautodetect", "proxy", "CData", kProxyNote},
    {"proxyauthscheme", "proxy_user", "CData", "proxy_user and proxy_password sign in to the proxy."},
    {"firewallserver", "proxy", "CData", kProxyNote},
    {"firewallport", "proxy", "CData", kProxyNote},
    {"firewalltype", "proxy", "CData", kProxyNote},
    {"firewalluser", "proxy_user", "CData", nullptr},
    {"firewallpassword", "proxy_password", "CData", nullptr},
    {"timeout", "request_timeout", "CData", "connect_timeout limits connecting alone."},
    {"applicationname", "user_agent", "postgres_fdw", nullptr},
    {"oauthcallbackurl", "oauth_redirect_uri", "CData", nullptr},
    {"callbackurl", "oauth_redirect_uri", nullptr, nullptr},
    {"redirecturi", "oauth_redirect_uri", nullptr, nullptr},
    {"redirecturl", "oauth_redirect_uri", nullptr, nullptr},
    {"clientid", "oauth_client_id", nullptr, nullptr},
    {"clientsecret", "oauth_client_secret", nullptr, nullptr},
    {"scope", "oauth_scope", nullptr, nullptr},
    {"authscheme", nullptr, "CData",
     "kintone_fdw takes the method from the user mapping's options: api_token; username and password; or "
     "oauth_client_id and oauth_client_secret."},
    {"pagesize", nullptr, "CData", kPageNote},
    {"fetchsize", nullptr, "postgres_fdw", kPageNote},
    {"batchsize", nullptr, "postgres_fdw",
     "kintone_fdw writes up to 2,000 records per request (Kintone's bulkRequest); there is nothing to set."},
    {"maxrows", nullptr, "CData", "Use LIMIT in the query: kintone_fdw sends it to Kintone when it can."},
    {"usecursor", "max_cursors", "CData",
     "kintone_fdw uses Kintone's cursor API by itself when a query needs it; max_cursors limits how many one session "
     "holds."},
    {"usecodeforfieldname", nullptr, "CData",
     "IMPORT FOREIGN SCHEMA names columns by field code; its option column_names 'label' names them by label."},
};

std::string AliasKey(std::string_view name) {
	std::string key;
	for (char c : name) {
		if (c != '_' && c != '-' && c != ' ') {
			key += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
		}
	}
	return key;
}

// "a server or a foreign table": the contexts an option belongs to.
std::string ContextList(unsigned contexts) {
	std::string out;
	for (unsigned bit = 1; bit <= Bit(OptionContext::kColumn); bit <<= 1) {
		if (contexts & bit) {
			out += (out.empty() ? "a " : " or a ") + std::string(OptionContextName(static_cast<OptionContext>(bit)));
		}
	}
	return out;
}

// The pointed hint for an unknown option name another tool uses, or one of ours written with
// other case or separators ("URL", "GuestSpaceId", "apitoken"); "" when there is none.
std::string PointedHint(std::string_view name, OptionContext context) {
	const std::string key = AliasKey(name);
	const char *option = nullptr;
	const char *from = nullptr;
	const char *note = nullptr;
	bool found = false;
	for (const auto &spec : KnownOptions()) {
		if (AliasKey(spec.name) == key) {
			option = spec.name;
			found = true;
			break;
		}
	}
	for (const auto &alias : kOptionAliases) {
		if (!found && key == alias.key) {
			option = alias.option;
			from = alias.from;
			note = alias.note;
			found = true;
		}
	}
	if (!found) {
		return {};
	}
	std::string hint;
	if (option != nullptr) {
		const OptionSpec *spec = FindOption(option);
		hint = "Perhaps you meant the option \"" + std::string(option) + "\"";
		if (from != nullptr) {
			hint += " (in " + std::string(from) + ": \"" + std::string(name) + "\")";
		} else if (AliasKey(option) == AliasKey(name) && Lower(name) == option) {
			hint += " (option names are lower case)";
		}
		if (spec != nullptr && !(spec->contexts & Bit(context))) {
			hint += ", which belongs in " + ContextList(spec->contexts);
		}
		hint += ".";
	} else {
		hint = std::string(from != nullptr ? from : "another tool") + "'s \"" + std::string(name) +
		       "\" has no counterpart here.";
	}
	if (note != nullptr) {
		hint += " " + std::string(note);
	}
	return hint;
}

} // namespace

void CheckCombinations(const OptionList &options) {
	Requires(options, "password", "username");
	Requires(options, "username", "password");
	Requires(options, "basic_auth_password", "basic_auth_user");
	Requires(options, "basic_auth_user", "basic_auth_password");
	Requires(options, "ssl_key", "ssl_cert", "A client key is used with its certificate: set ssl_cert too.");
	Requires(options, "ssl_cert_type", "ssl_cert");
	Requires(options, "ssl_key_password", "ssl_cert");
	if (Has(options, "ssl_cert") && ParseCertType(OptionValueOr(options, "ssl_cert_type", "")) == CertType::kP12) {
		Excludes(options, "ssl_cert_type", "ssl_key",
		         "A PKCS#12 file (ssl_cert_type 'P12') holds the certificate and its key; drop ssl_key.");
	}
	Requires(options, "proxy_password", "proxy_user");
	Requires(options, "proxy_user", "proxy_password");
	CheckVerifyWithCa(options);
	if (HasOAuth(options)) {
		Requires(options, "oauth_client_id", "oauth_client_secret");
		Requires(options, "oauth_client_secret", "oauth_client_id");
		if (!Has(options, "oauth_client_id")) {
			throw ValueError("OAuth options require options \"oauth_client_id\" and \"oauth_client_secret\"");
		}
		const char *why = "A user mapping uses one way to sign in: OAuth, a password, or API tokens.";
		Excludes(options, "oauth_client_id", "username", why);
		Excludes(options, "oauth_client_id", "api_token", why);
		Excludes(options, "oauth_client_id", "basic_auth_user",
		         "OAuth and the domain's Basic authentication both use the HTTP Authorization header, so "
		         "Kintone cannot receive both.");
	}
}

void ValidateOptions(OptionContext context, const OptionList &options) {
	std::vector<std::string> valid = OptionNamesFor(context);
	for (const auto &[name, value] : options) {
		const OptionSpec *spec = FindOption(name);
		if (spec != nullptr && !(spec->contexts & Bit(context)) && spec->secret) {
			// A secret where every user can read it: refuse without echoing the value.
			throw Error(ErrorKind::kInvalidOption,
			            "option \"" + name + "\" belongs in a user mapping, not in a " + OptionContextName(context),
			            "The options of servers and foreign tables are visible to every user; only user mappings "
			            "keep credentials private.",
			            "Drop it here and use CREATE USER MAPPING ... OPTIONS (" + name + " '...').");
		}
		if (spec != nullptr && !(spec->contexts & Bit(context))) {
			spec = nullptr;
		}
		if (spec == nullptr) {
			std::string hint;
			if (valid.empty()) {
				hint = "There are no valid options in this context.";
			} else {
				// A name of ours in the wrong context keeps the plain list; other names may be
				// another tool's.
				hint = FindOption(name) == nullptr ? PointedHint(name, context) : std::string();
				std::string closest = hint.empty() ? ClosestMatch(name, valid) : std::string();
				if (!closest.empty()) {
					hint = "Perhaps you meant the option \"" + closest + "\".";
				}
				hint += hint.empty() ? "" : " ";
				hint += "Valid options in this context are: ";
				for (size_t i = 0; i < valid.size(); ++i) {
					hint += (i ? ", " : "") + valid[i];
				}
			}
			throw Error(ErrorKind::kInvalidOption, "invalid option \"" + name + "\"", "", hint);
		}
		spec->check(spec->name, value);
	}
	if (context == OptionContext::kUserMapping) {
		CheckCombinations(options);
	} else {
		CheckVerifyWithCa(options);
	}
}

std::string BaseUrl::ToString() const {
	std::string out = scheme + "://";
	out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
	if (port != 0) {
		out += ":" + std::to_string(port);
	}
	return out;
}

namespace {

// The url as an error may show it: never its user info, path, query or fragment (a password or
// a token pasted into a url must not reach an error message or the server log), "…" where
// something was left out.
std::string ShownUrl(std::string_view url) {
	size_t sep = url.find("://");
	size_t start = sep == std::string_view::npos ? 0 : sep + 3;
	size_t end = url.find_first_of("/?#@ \t\r\n", start);
	if (end != std::string_view::npos && url[end] == '@') {
		return "\"" + std::string(url.substr(0, start)) + "…\"";
	}
	if (url.find('@') != std::string_view::npos && sep == std::string_view::npos) {
		return "";
	}
	std::string shown(url.substr(0, end));
	return "\"" + shown + (end == std::string_view::npos ? "" : "…") + "\"";
}

std::string InvalidUrl(std::string_view url, const std::string &what = {}) {
	std::string shown = ShownUrl(url);
	std::string out = shown.empty() ? "invalid url" : "invalid url " + shown;
	return what.empty() ? out : out + ": " + what;
}

} // namespace

BaseUrl ParseBaseUrl(std::string_view url) {
	const std::string hint = "Use the form https://SUBDOMAIN.cybozu.com (http is allowed only for localhost).";
	size_t sep = url.find("://");
	if (sep == std::string_view::npos) {
		throw ValueError(InvalidUrl(url, "missing scheme"), hint);
	}
	BaseUrl out;
	out.scheme = Lower(url.substr(0, sep));
	if (out.scheme != "https" && out.scheme != "http") {
		throw ValueError(InvalidUrl(url, "scheme must be https"), hint);
	}
	std::string_view rest = url.substr(sep + 3);
	size_t end = rest.find_first_of("/?#");
	std::string_view authority = rest.substr(0, end);
	std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
	if (authority.find('@') != std::string_view::npos) {
		// Never echo the URL: it contains credentials.
		throw ValueError("invalid url: credentials must not be part of the url",
		                 "Put credentials in the user mapping (options username and password, or api_token).");
	}
	if (!tail.empty() && tail != "/") {
		throw ValueError(InvalidUrl(url, "the url must not have a path, query or fragment"), hint);
	}
	std::string_view port_text;
	if (!authority.empty() && authority.front() == '[') {
		size_t close = authority.find(']');
		if (close == std::string_view::npos) {
			throw ValueError(InvalidUrl(url, "unterminated IPv6 address"), hint);
		}
		out.host = Lower(authority.substr(1, close - 1));
		std::string_view after = authority.substr(close + 1);
		if (!after.empty()) {
			if (after.front() != ':') {
				throw ValueError(InvalidUrl(url), hint);
			}
			port_text = after.substr(1);
		}
	} else {
		size_t colon = authority.find(':');
		out.host = Lower(authority.substr(0, colon));
		if (colon != std::string_view::npos) {
			port_text = authority.substr(colon + 1);
		}
	}
	if (out.host.empty()) {
		throw ValueError(InvalidUrl(url, "missing host"), hint);
	}
	for (char c : out.host) {
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':')) {
			throw ValueError(InvalidUrl(url, "bad host name"), hint);
		}
	}
	if (!port_text.empty() || (port_text.empty() && authority.back() == ':')) {
		long port = 0;
		for (char c : port_text) {
			if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
				port = -1;
				break;
			}
			port = port * 10 + (c - '0');
		}
		if (port_text.empty() || port <= 0 || port > 65535) {
			throw ValueError(InvalidUrl(url, "bad port"), hint);
		}
		out.port = static_cast<int>(port);
	}
	if (out.scheme == "http" && !IsLoopbackHost(out.host)) {
		throw ValueError(InvalidUrl(url, "plain http is allowed only for loopback hosts"), hint);
	}
	return out;
}

std::vector<std::string> ParseApiTokens(std::string_view value) {
	std::vector<std::string> tokens;
	size_t i = 0;
	while (true) {
		size_t j = value.find(',', i);
		std::string_view part = value.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
		while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) {
			part.remove_prefix(1);
		}
		while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) {
			part.remove_suffix(1);
		}
		if (part.empty()) {
			throw ValueError("option \"api_token\" contains an empty token",
			                 "Give one API token, or several separated by commas.");
		}
		for (char c : part) {
			if (!std::isalnum(static_cast<unsigned char>(c))) {
				throw ValueError("option \"api_token\" contains a character that is not a letter or digit",
				                 "Kintone API tokens are alphanumeric.");
			}
		}
		for (const auto &t : tokens) {
			if (t == part) {
				throw ValueError("option \"api_token\" lists the same token twice");
			}
		}
		tokens.emplace_back(part);
		if (j == std::string_view::npos) {
			break;
		}
		i = j + 1;
	}
	if (tokens.size() > 9) {
		throw ValueError("option \"api_token\" lists " + std::to_string(tokens.size()) + " tokens",
		                 "Kintone accepts at most 9 API tokens in one request.");
	}
	return tokens;
}

bool ParseBooleanOption(std::string_view option, std::string_view value) {
	// What PostgreSQL's defGetBoolean accepts for an option given as a string.
	std::string v = Lower(value);
	if (v == "true" || v == "on") {
		return true;
	}
	if (v == "false" || v == "off") {
		return false;
	}
	throw ValueError("invalid value for option \"" + std::string(option) + "\": \"" + std::string(value) + "\"",
	                 "Use true or false.");
}

long long ParseMaxFileSize(std::string_view value) {
	long long n = 0;
	bool ok = !value.empty() && value.size() <= 10;
	for (char c : value) {
		ok = ok && c >= '0' && c <= '9';
		if (ok) {
			n = n * 10 + (c - '0');
		}
	}
	if (!ok || n < 1 || n > kMaxFileSize) {
		throw Error(ErrorKind::kInvalidOptionValue,
		            "invalid value for option \"max_file_size\": \"" + std::string(value) + "\"", "",
		            "The largest file Kintone takes, in bytes: a whole number from 1 to " +
		                std::to_string(kMaxFileSize) + " (Kintone's limit, 1 GB, is the default).");
	}
	return n;
}

const std::string *OptionValue(const OptionList &options, std::string_view name) {
	const std::string *found = nullptr;
	for (const auto &[key, value] : options) {
		if (key == name) {
			found = &value; // the last one, as PostgreSQL keeps only one per name
		}
	}
	return found;
}

std::string OptionValueOr(const OptionList &options, std::string_view name, std::string fallback) {
	const std::string *v = OptionValue(options, name);
	return v != nullptr ? *v : std::move(fallback);
}

long long ParsePositiveId(std::string_view option, std::string_view value) {
	long long out = 0;
	bool ok = !value.empty();
	for (char c : value) {
		int digit = c - '0';
		if (!std::isdigit(static_cast<unsigned char>(c)) || out > (LLONG_MAX - digit) / 10) {
			ok = false;
			break;
		}
		out = out * 10 + digit;
	}
	if (!ok || out <= 0) {
		throw ValueError("invalid value for option \"" + std::string(option) + "\": \"" + std::string(value) + "\"",
		                 "The value must be a positive integer.");
	}
	return out;
}

} // namespace kintone

namespace kintone {

CertType ParseCertType(std::string_view value) {
	std::string v = Lower(value);
	if (v.empty() || v == "pem") {
		return CertType::kPem;
	}
	if (v == "p12" || v == "pkcs12" || v == "pfx") {
		return CertType::kP12;
	}
	throw ValueError("invalid value for option \"ssl_cert_type\": \"" + std::string(value) + "\"",
	                 "Use PEM (certificate and key in PEM files) or P12 (a PKCS#12/PFX file with both).");
}

long ParseSeconds(std::string_view option, std::string_view value) {
	long long seconds = ParsePositiveId(option, value);
	if (seconds > 86400) {
		throw ValueError("invalid value for option \"" + std::string(option) + "\": \"" + std::string(value) + "\"",
		                 "Give a number of seconds from 1 to 86400.");
	}
	return static_cast<long>(seconds);
}

std::string ParseProxyUrl(std::string_view url) {
	const std::string hint = "Use the form http://HOST:PORT; put credentials in proxy_user and proxy_password.";
	size_t sep = url.find("://");
	if (sep == std::string_view::npos) {
		throw ValueError("invalid value for option \"proxy\": missing scheme", hint);
	}
	std::string scheme = Lower(url.substr(0, sep));
	if (scheme != "http" && scheme != "https" && scheme != "socks5" && scheme != "socks5h") {
		throw ValueError("invalid value for option \"proxy\": scheme must be http, https, socks5 or socks5h", hint);
	}
	std::string_view rest = url.substr(sep + 3);
	std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
	if (authority.find('@') != std::string_view::npos) {
		// Never echo it: it contains credentials.
		throw ValueError("invalid value for option \"proxy\": credentials must not be part of the proxy url", hint);
	}
	if (authority.empty() || authority.front() == ':') {
		throw ValueError("invalid value for option \"proxy\": missing host", hint);
	}
	std::string_view tail = rest.substr(authority.size());
	if (!tail.empty() && tail != "/") {
		throw ValueError("invalid value for option \"proxy\": the proxy url must not have a path", hint);
	}
	return scheme + "://" + std::string(authority);
}

} // namespace kintone
