// Session and form caches and their invalidation (see connection.hpp). The caches are plain
// C++ state in heap memory for the backend's lifetime, created lazily on first use. The
// PostgreSQL callbacks only mark or move entries (noexcept, no allocation that can ereport).
#include "pg/connection.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/settings.hpp"
#include "pg/option.hpp"

extern "C" {
#include "access/xact.h"
#include "utils/inval.h"
// lc_messages (utils/pg_locale.h, not included: with ICU it needs ICU's headers).
extern PGDLLIMPORT char *locale_messages;
#include "utils/syscache.h"
}

#include <algorithm>
#include <chrono>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

namespace kintone_fdw {

namespace {

// Called from curl's progress callback: only reads PostgreSQL's interrupt flags (set by signal
// handlers), never calls PostgreSQL. The caller raises the real error with CHECK_FOR_INTERRUPTS.
bool InterruptRequested(void *) {
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

struct SessionEntry {
	ConnectionParams params;
	std::shared_ptr<kintone::Session> session;
	bool stale = false; // the server or the user mapping changed: rebuild on next use
};

// Forms keyed by server, user, app and guest space.
using FormKey = std::tuple<unsigned, unsigned, long long, long long>;

struct FormEntry {
	std::shared_ptr<const kintone::FormInfo> form;
	std::vector<Oid> tables; // foreign tables that used it
	uint32 server_hash = 0;
};

bool SameParams(const ConnectionParams &a, const ConnectionParams &b) {
	return std::tie(a.url, a.guest_space_id, a.api_token, a.username, a.password, a.server_name, a.server_options,
	                a.user_options) == std::tie(b.url, b.guest_space_id, b.api_token, b.username, b.password,
	                                            b.server_name, b.server_options, b.user_options);
}

struct CountEntry {
	long long count = -1;
	std::chrono::steady_clock::time_point taken;
	std::vector<Oid> tables; // foreign tables that used it
	uint32 server_hash = 0;
};

// Heap-allocated on first use: no static object with a constructor runs at load time.
struct Caches {
	std::map<std::pair<unsigned, unsigned>, SessionEntry> sessions;
	std::map<FormKey, FormEntry> forms;
	std::map<FormKey, CountEntry> counts; // same key as the forms
	// Dropped while a scan of this transaction may still hold them; freed at its end.
	std::vector<std::shared_ptr<kintone::Session>> retired_sessions;
	std::vector<std::shared_ptr<const kintone::FormInfo>> retired_forms;
};
Caches *caches = nullptr;
kintone::CursorBudget *budget = nullptr;
bool callbacks_registered = false;

Caches &GetCaches() {
	if (caches == nullptr) {
		caches = new Caches();
	}
	return *caches;
}

void RetireForm(std::map<FormKey, FormEntry>::iterator it) noexcept {
	try {
		caches->retired_forms.push_back(std::move(it->second.form));
	} catch (...) {
		// out of memory while invalidating: leak the form rather than free one in use
		new std::shared_ptr<const kintone::FormInfo>(std::move(it->second.form));
	}
	caches->forms.erase(it);
}

void RetireSession(std::map<std::pair<unsigned, unsigned>, SessionEntry>::iterator it) noexcept {
	try {
		caches->retired_sessions.push_back(std::move(it->second.session));
	} catch (...) {
		new std::shared_ptr<kintone::Session>(std::move(it->second.session));
	}
	caches->sessions.erase(it);
}

// A server or user mapping changed (hashvalue 0: possibly all of them). Sessions are marked
// stale (a running scan keeps its session) and forms dropped. The servers' hash values were
// taken when they were read (a callback must not look up catalogs); a user mapping change is
// rare enough to treat as a change of every mapping.
void InvalidateServerOrMapping(Datum, int cacheid, uint32 hashvalue) {
	if (caches == nullptr) {
		return;
	}
	auto match = [&](uint32 server_hash) {
		return hashvalue == 0 || cacheid == USERMAPPINGOID || server_hash == hashvalue;
	};
	for (auto &[key, entry] : caches->sessions) {
		if (match(entry.params.server_hash)) {
			entry.stale = true;
		}
	}
	for (auto it = caches->forms.begin(); it != caches->forms.end();) {
		auto next = std::next(it);
		if (match(it->second.server_hash)) {
			RetireForm(it);
		}
		it = next;
	}
	for (auto it = caches->counts.begin(); it != caches->counts.end();) {
		it = match(it->second.server_hash) ? caches->counts.erase(it) : std::next(it);
	}
}

// A foreign table changed (its options, or its columns' options: both invalidate its relcache
// entry): drop the forms it used (InvalidOid: every relation).
void RelcacheCallback(Datum, Oid relid) {
	if (caches == nullptr) {
		return;
	}
	for (auto it = caches->forms.begin(); it != caches->forms.end();) {
		auto next = std::next(it);
		const auto &tables = it->second.tables;
		if (!OidIsValid(relid) || std::find(tables.begin(), tables.end(), relid) != tables.end()) {
			RetireForm(it);
		}
		it = next;
	}
	for (auto it = caches->counts.begin(); it != caches->counts.end();) {
		const auto &tables = it->second.tables;
		bool used = !OidIsValid(relid) || std::find(tables.begin(), tables.end(), relid) != tables.end();
		it = used ? caches->counts.erase(it) : std::next(it);
	}
}

// At the end of a top-level transaction no scan holds a retired session or form any more.
void TransactionCallback(XactEvent event, void *) {
	if (caches == nullptr) {
		return;
	}
	if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_ABORT || event == XACT_EVENT_PARALLEL_COMMIT ||
	    event == XACT_EVENT_PARALLEL_ABORT || event == XACT_EVENT_PREPARE) {
		caches->retired_sessions.clear();
		caches->retired_forms.clear();
	}
}

void RegisterCallbacks() {
	if (callbacks_registered) {
		return;
	}
	CacheRegisterSyscacheCallback(FOREIGNSERVEROID, InvalidateServerOrMapping, (Datum)0);
	CacheRegisterSyscacheCallback(USERMAPPINGOID, InvalidateServerOrMapping, (Datum)0);
	CacheRegisterRelcacheCallback(RelcacheCallback, (Datum)0);
	RegisterXactCallback(TransactionCallback, nullptr);
	callbacks_registered = true;
}

std::shared_ptr<const kintone::FormInfo> StoreForm(const FormKey &key, uint32 server_hash, kintone::FormInfo form,
                                                   Oid relid) {
	auto shared = std::make_shared<const kintone::FormInfo>(std::move(form));
	Caches &c = GetCaches();
	auto it = c.forms.find(key);
	if (it != c.forms.end()) {
		c.retired_forms.push_back(std::move(it->second.form));
		it->second.form = shared;
	} else {
		it = c.forms.emplace(key, FormEntry{shared, {}, server_hash}).first;
	}
	if (OidIsValid(relid) &&
	    std::find(it->second.tables.begin(), it->second.tables.end(), relid) == it->second.tables.end()) {
		it->second.tables.push_back(relid);
	}
	return shared;
}

} // namespace

RawConnection ReadRawConnection(Oid server_oid, Oid user_oid) {
	RegisterCallbacks();
	ForeignServer *server = GetForeignServer(server_oid);
	UserMapping *mapping = GetUserMapping(user_oid, server_oid);
	RawConnection raw;
	raw.server_oid = server->serverid;
	raw.server_hash = GetSysCacheHashValue1(FOREIGNSERVEROID, ObjectIdGetDatum(server->serverid));
	raw.user_oid = user_oid;
	raw.server_name = pstrdup(server->servername);
	raw.server_options = server->options;
	raw.user_options = mapping->options;
	return raw;
}

void SetConnectionOptions(ConnectionParams &params, std::string server_name, kintone::OptionList server,
                          kintone::OptionList user) {
	params.server_name = std::move(server_name);
	params.api_token = kintone::OptionValueOr(user, "api_token", "");
	params.username = kintone::OptionValueOr(user, "username", "");
	params.password = kintone::OptionValueOr(user, "password", "");
	params.oauth = kintone::OptionValue(user, "oauth_client_id") != nullptr;
	params.url = kintone::OptionValueOr(server, "url", "");
	std::string guest = kintone::OptionValueOr(server, "guest_space_id", "");
	params.guest_space_id = guest.empty() ? 0 : kintone::ParsePositiveId("guest_space_id", guest);
	std::string max_cursors = kintone::OptionValueOr(server, "max_cursors", "");
	if (!max_cursors.empty()) {
		params.max_cursors = static_cast<int>(kintone::ParsePositiveId("max_cursors", max_cursors));
	}
	params.server_options = std::move(server);
	params.user_options = std::move(user);
}

ConnectionParams MakeConnectionParams(const RawConnection &raw) {
	ConnectionParams params;
	params.server_oid = raw.server_oid;
	params.server_hash = raw.server_hash;
	params.user_oid = raw.user_oid;
	SetConnectionOptions(params, raw.server_name, OptionListFromDefElems(raw.server_options),
	                     OptionListFromDefElems(raw.user_options));
	if (params.url.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "server \"" + params.server_name + "\" has no option \"url\"", "",
		                     "Set it with ALTER SERVER ... OPTIONS (ADD url 'https://SUBDOMAIN.cybozu.com').");
	}
	return params;
}

std::string CredentialOwner(const std::string &server_name) {
	return "the user mapping for server \"" + server_name + "\"";
}

std::string OAuthTokenPath(unsigned server_oid, unsigned user_oid) {
	// DataDir is the absolute data directory; backends run with it as working directory.
	return std::string(DataDir) + "/kintone_fdw/oauth/" + std::to_string(server_oid) + "_" + std::to_string(user_oid) +
	       ".json";
}

// PostgreSQL's message locale (a plain variable: read without a catalog or an ereport). A
// server built without NLS speaks English whatever lc_messages says.
const char *MessageLocale() {
#ifdef ENABLE_NLS
	return locale_messages != nullptr ? locale_messages : "";
#else
	return "C";
#endif
}

std::shared_ptr<kintone::Session> NewSession(const ConnectionParams &params) {
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
	auto session = std::make_shared<kintone::Session>(std::move(config));
	session->set_locale(MessageLocale());
	return session;
}

bool SameConnection(const ConnectionParams &a, const ConnectionParams &b) {
	return SameParams(a, b);
}

kintone::Session &GetSession(const ConnectionParams &params) {
	Caches &c = GetCaches();
	auto key = std::make_pair(params.server_oid, params.user_oid);
	auto it = c.sessions.find(key);
	if (it != c.sessions.end() && !it->second.stale && SameParams(it->second.params, params)) {
		it->second.session->set_locale(MessageLocale());
		return *it->second.session;
	}
	std::shared_ptr<kintone::Session> session = NewSession(params);
	if (it != c.sessions.end()) {
		c.retired_sessions.push_back(std::move(it->second.session)); // a scan may still use it
	}
	SessionEntry &entry = c.sessions[key];
	entry.params = params;
	entry.session = std::move(session);
	entry.stale = false;
	entry.session->set_locale(MessageLocale());
	return *entry.session;
}

void ForgetSession(unsigned server_oid, unsigned user_oid) noexcept {
	if (caches != nullptr) {
		auto it = caches->sessions.find(std::make_pair(server_oid, user_oid));
		if (it != caches->sessions.end()) {
			RetireSession(it);
		}
	}
}

kintone::CursorBudget &GetCursorBudget(int max_cursors) {
	if (budget == nullptr || (budget->max() != max_cursors && budget->in_use() == 0)) {
		delete budget;
		budget = new kintone::CursorBudget(max_cursors);
	}
	return *budget;
}

std::shared_ptr<const kintone::FormInfo> CachedForm(const ConnectionParams &conn, long long app,
                                                    long long guest_space_id, Oid relid, bool *fetched) {
	FormKey key{conn.server_oid, conn.user_oid, app, guest_space_id};
	Caches &c = GetCaches();
	auto it = c.forms.find(key);
	if (fetched != nullptr) {
		*fetched = it == c.forms.end();
	}
	if (it != c.forms.end()) {
		if (OidIsValid(relid) &&
		    std::find(it->second.tables.begin(), it->second.tables.end(), relid) == it->second.tables.end()) {
			it->second.tables.push_back(relid);
		}
		return it->second.form;
	}
	return RefreshForm(conn, app, guest_space_id, relid);
}

std::shared_ptr<const kintone::FormInfo> RefreshForm(const ConnectionParams &conn, long long app,
                                                     long long guest_space_id, Oid relid) {
	kintone::Session &session = GetSession(conn);
	kintone::FormInfo form = kintone::FetchForm(session, app, guest_space_id);
	return StoreForm(FormKey{conn.server_oid, conn.user_oid, app, guest_space_id}, conn.server_hash, std::move(form),
	                 relid);
}

long long CachedRecordCount(const ConnectionParams &conn, long long app, long long guest_space_id, Oid relid) {
	FormKey key{conn.server_oid, conn.user_oid, app, guest_space_id};
	Caches &c = GetCaches();
	auto now = std::chrono::steady_clock::now();
	auto it = c.counts.find(key);
	if (it == c.counts.end() || now - it->second.taken > std::chrono::seconds(kRecordCountTtlSeconds)) {
		long long count = -1;
		try {
			count = kintone::CountRecords(GetSession(conn), app, "", guest_space_id);
		} catch (const kintone::Error &e) {
			if (e.kind() == kintone::ErrorKind::kCancelled) {
				throw;
			}
		}
		CountEntry &entry = c.counts[key];
		entry.count = count;
		entry.taken = now;
		entry.server_hash = conn.server_hash;
		it = c.counts.find(key);
	}
	auto &tables = it->second.tables;
	if (OidIsValid(relid) && std::find(tables.begin(), tables.end(), relid) == tables.end()) {
		tables.push_back(relid);
	}
	return it->second.count;
}

} // namespace kintone_fdw
