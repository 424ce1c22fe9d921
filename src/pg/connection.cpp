// Session cache (see connection.hpp). Pure C++ state with no PostgreSQL allocations: it lives
// in plain heap memory for the backend's lifetime and is created lazily on first use.
#include "pg/postgres.hpp"

#include "pg/connection.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"

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
	return std::tie(a.url, a.guest_space_id, a.api_token, a.username, a.password) ==
	       std::tie(b.url, b.guest_space_id, b.api_token, b.username, b.password);
}

// Heap-allocated on first use: no static object with a constructor runs at load time.
std::map<std::pair<unsigned, unsigned>, CacheEntry> *cache = nullptr;
kintone::CursorBudget *budget = nullptr;

} // namespace

kintone::Session &GetSession(const ConnectionParams &params) {
	if (cache == nullptr) {
		cache = new std::map<std::pair<unsigned, unsigned>, CacheEntry>();
	}
	auto key = std::make_pair(params.server_oid, params.user_oid);
	auto it = cache->find(key);
	if (it != cache->end() && SameParams(it->second.params, params)) {
		return *it->second.session;
	}
	kintone::SessionConfig config;
	config.base = kintone::ParseBaseUrl(params.url);
	config.guest_space_id = params.guest_space_id;
	if (!params.username.empty()) {
		config.credentials.username = params.username;
		config.credentials.password = params.password;
	} else if (!params.api_token.empty()) {
		config.credentials.api_tokens = kintone::ParseApiTokens(params.api_token);
	}
	config.http.should_abort = InterruptRequested;
	auto session = std::make_unique<kintone::Session>(std::move(config));
	CacheEntry &entry = (*cache)[key];
	entry.params = params;
	entry.session = std::move(session);
	return *entry.session;
}

kintone::CursorBudget &GetCursorBudget(int max_cursors) {
	if (budget == nullptr || (budget->max() != max_cursors && budget->in_use() == 0)) {
		delete budget;
		budget = new kintone::CursorBudget(max_cursors);
	}
	return *budget;
}

} // namespace kintone_fdw
