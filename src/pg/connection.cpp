// Session cache (see connection.hpp). Pure C++ state with no PostgreSQL allocations: it lives
// in plain heap memory for the backend's lifetime and is created lazily on first use.
#include "pg/postgres.hpp"

#include "pg/connection.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/settings.hpp"

#include <map>
#include <memory>
#include <tuple>

namespace kintone_fdw {

namespace {

// Called from curl's progress callback: only reads PostgreSQL's interrupt flags (set by signal
// handlers), never calls PostgreSQL. The caller raises the real error with CHECK_FOR_INTERRUPTS.
bool InterruptRequested(void *) {
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

struct CacheEntry {
	ConnectionParams params;
	std::unique_ptr<kintone::Session> session;
};

bool SameParams(const ConnectionParams &a, const ConnectionParams &b) {
	return std::tie(a.url, a.guest_space_id, a.api_token, a.username, a.password, a.server_name, a.server_options,
	                a.user_options) == std::tie(b.url, b.guest_space_id, b.api_token, b.username, b.password,
	                                            b.server_name, b.server_options, b.user_options);
}

std::string Find(const kintone::OptionList &options, const char *name) {
	for (const auto &[key, value] : options) {
		if (key == name) {
			return value;
		}
	}
	return {};
}

// Heap-allocated on first use: no static object with a constructor runs at load time.
std::map<std::pair<unsigned, unsigned>, CacheEntry> *cache = nullptr;
kintone::CursorBudget *budget = nullptr;

} // namespace

void SetConnectionOptions(ConnectionParams &params, std::string server_name, kintone::OptionList server,
                          kintone::OptionList user) {
	params.server_name = std::move(server_name);
	params.api_token = Find(user, "api_token");
	params.username = Find(user, "username");
	params.password = Find(user, "password");
	params.oauth = !Find(user, "oauth_client_id").empty();
	params.server_options = std::move(server);
	params.user_options = std::move(user);
}

std::string CredentialOwner(const std::string &server_name) {
	return "the user mapping for server \"" + server_name + "\"";
}

std::string OAuthTokenPath(unsigned server_oid, unsigned user_oid) {
	// DataDir is the absolute data directory; backends run with it as working directory.
	return std::string(DataDir) + "/kintone_fdw/oauth/" + std::to_string(server_oid) + "_" + std::to_string(user_oid) +
	       ".json";
}

kintone::Session &GetSession(const ConnectionParams &params) {
	if (cache == nullptr) {
		cache = new std::map<std::pair<unsigned, unsigned>, CacheEntry>();
	}
	auto key = std::make_pair(params.server_oid, params.user_oid);
	auto it = cache->find(key);
	if (it != cache->end() && SameParams(it->second.params, params)) {
		return *it->second.session;
	}
	std::string owner = CredentialOwner(params.server_name);
	kintone::ConnectionSettings settings =
	    kintone::MakeConnectionSettings(params.server_options, params.user_options, owner);
	kintone::SessionConfig &config = settings.config;
	config.http.should_abort = InterruptRequested;
	if (settings.oauth) {
		config.credentials.oauth = std::make_shared<kintone::FileTokenSource>(
		    config.base, settings.oauth_client, kintone::TokenFile(OAuthTokenPath(params.server_oid, params.user_oid)),
		    config.http, owner, params.server_name);
	}
	auto session = std::make_unique<kintone::Session>(std::move(config));
	CacheEntry &entry = (*cache)[key];
	entry.params = params;
	entry.session = std::move(session);
	return *entry.session;
}

void ForgetSession(unsigned server_oid, unsigned user_oid) noexcept {
	if (cache != nullptr) {
		cache->erase(std::make_pair(server_oid, user_oid));
	}
}

kintone::CursorBudget &GetCursorBudget(int max_cursors) {
	if (budget == nullptr || (budget->max() != max_cursors && budget->in_use() == 0)) {
		delete budget;
		budget = new kintone::CursorBudget(max_cursors);
	}
	return *budget;
}

} // namespace kintone_fdw
