// The FDW options kintone_fdw understands, where each may appear, and the checks of their
// values. Pure data and pure functions, so the validator's rules are unit-tested without
// PostgreSQL; src/pg/option.cpp maps catalogs to contexts and calls ValidateOptions.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kintone {

// The catalog object an option list belongs to (a bit each, so a spec can name several).
enum class OptionContext : unsigned {
	kWrapper = 1u << 0,
	kServer = 1u << 1,
	kUserMapping = 1u << 2,
	kForeignTable = 1u << 3,
	kColumn = 1u << 4,
};

const char *OptionContextName(OptionContext context);

struct OptionSpec {
	const char *name;
	unsigned contexts; // OptionContext bits
	bool secret;       // never echoed in messages (and, later, never shown by EXPLAIN)
	// Throws kInvalidOptionValue for a bad value; option is the name being checked (several
	// options share a check, and each message names its own option).
	void (*check)(std::string_view option, std::string_view value);
};

const std::vector<OptionSpec> &KnownOptions();

// join_batch_size: join keys sent to Kintone per request by the batched join (0: off).
constexpr int kDefaultJoinBatchSize = 100;
// Pages in flight per scan (option max_concurrent_requests) by default, and the most allowed
// (docs/concurrency.md).
constexpr int kDefaultConcurrentRequests = 8;
constexpr int kMaxConcurrentRequests = 10;
constexpr int kMaxJoinBatchSize = 1000;

// Names valid in the context, in declaration order.
std::vector<std::string> OptionNamesFor(OptionContext context);

using OptionList = std::vector<std::pair<std::string, std::string>>;

// The value of the option name in options (the last one), or nullptr: the one way options
// are looked up in the glue and the client.
const std::string *OptionValue(const OptionList &options, std::string_view name);
std::string OptionValueOr(const OptionList &options, std::string_view name, std::string fallback);

// The spec of an option by name in any context, or nullptr.
const OptionSpec *FindOption(std::string_view name);

// Rules between the options of one user mapping: incomplete sets (username without password,
// ssl_key without ssl_cert, proxy_user without proxy_password, oauth_client_id without its
// secret) and contradictory ones (OAuth with a password, API tokens or Basic). Throws
// kInvalidOptionValue.
void CheckCombinations(const OptionList &options);

// Validates the whole option list of one catalog object: unknown names (kInvalidOption, with
// the valid names and the closest one in the hint), bad values and inconsistent combinations
// (kInvalidOptionValue). Secret values never appear in the messages.
void ValidateOptions(OptionContext context, const OptionList &options);

// A Kintone base URL split into its parts; the only form accepted for the server's url.
struct BaseUrl {
	std::string scheme; // "https" or "http"
	std::string host;   // without brackets for IPv6
	int port = 0;       // 0 when not given
	std::string ToString() const;
};

// Parses and checks a base URL: https, or http for loopback hosts only (localhost, 127/8, ::1);
// no user info, query or fragment; path empty or "/". Throws kInvalidOptionValue.
BaseUrl ParseBaseUrl(std::string_view url);

// "A,B , C" -> {"A","B","C"}; checks 1..9 alphanumeric tokens without duplicates.
std::vector<std::string> ParseApiTokens(std::string_view value);

// true/on or false/off (any case), what PostgreSQL's defGetBoolean accepts for a string option.
// Throws kInvalidOptionValue with the option name.
bool ParseBooleanOption(std::string_view option, std::string_view value);

// A positive decimal integer that fits in int64 (app ids, space ids). Throws with the option name.
long long ParsePositiveId(std::string_view option, std::string_view value);

enum class CertType { kPem, kP12 };

// "PEM" (default when empty) or "P12"/"PKCS12"/"PFX", any case.
CertType ParseCertType(std::string_view value);

// A whole number of seconds, 1..86400. Throws with the option name.
long ParseSeconds(std::string_view option, std::string_view value);

// A proxy URL: http, https, socks5 or socks5h scheme, a host, no credentials, no path.
// Returns it normalised (scheme lower case, no trailing slash).
std::string ParseProxyUrl(std::string_view url);

// Subtables, upsert, files (docs/data.md). max_file_size: the largest file uploaded, in bytes
// (Kintone takes files of up to 1 GB, contract §4.11, §5).
constexpr long long kMaxFileSize = 1LL << 30;
long long ParseMaxFileSize(std::string_view value);

} // namespace kintone
