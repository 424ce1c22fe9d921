// What the backend keeps between queries, and when it forgets it:
// - sessions, one per user mapping (connections and TLS sessions are reused across queries);
// - app forms (app/form/fields.json), one per (server, user, app, guest space), read when a
//   plan needs field types or options, or when a field code must be confirmed;
// - the process-wide cursor budget.
// A cached fact never makes a result wrong: sessions and forms are dropped when the server or a
// user mapping changes (syscache callbacks, as postgres_fdw's pgfdw_inval_callback) and forms
// also when a foreign table that used them changes (relcache callback); a value not among a cached
// form's options makes the planner re-read the form (RefreshForm). Objects dropped while a scan
// may still use them are kept until the end of the transaction.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/pager.hpp"
#include "kintone/schema.hpp"
#include "kintone/session.hpp"

#include <memory>
#include <string>

namespace kintone_fdw {

// Everything needed to build a Session, read from the catalogs in the PostgreSQL phase.
struct ConnectionParams {
	unsigned server_oid = 0;
	unsigned user_oid = 0;
	uint32 server_hash = 0; // the server's syscache hash value, to match invalidations
	std::string url;
	long long guest_space_id = 0;
	std::string api_token; // secret
	std::string username;
	std::string password; // secret
	int max_cursors = 3;
	// Every option of the server and the user mapping (transport, TLS, proxy, Basic, OAuth):
	// the session is built from these (kintone::MakeConnectionSettings).
	std::string server_name;
	kintone::OptionList server_options;
	kintone::OptionList user_options;
	bool oauth = false; // the user mapping signs in with OAuth: no cursor API, no bulkRequest
};

// A server and the user mapping of a user for it, as read from the catalogs (PostgreSQL phase).
struct RawConnection {
	Oid server_oid;
	Oid user_oid;
	uint32 server_hash; // GetSysCacheHashValue1(FOREIGNSERVEROID, server_oid)
	const char *server_name;
	List *server_options;
	List *user_options;
};

// PostgreSQL phase: reads the server and the user's mapping (errors when there is none) and
// makes sure the cache invalidation callbacks are registered.
RawConnection ReadRawConnection(Oid server_oid, Oid user_oid);

// C++ phase: the connection parameters (url, guest space, cursor budget and credentials).
// Throws kInvalidOptionValue when the server has no url.
ConnectionParams MakeConnectionParams(const RawConnection &raw);

// Fills the option lists and the derived fields above from the catalog lists (C++ phase).
void SetConnectionOptions(ConnectionParams &params, std::string server_name, kintone::OptionList server,
                          kintone::OptionList user);

// "the user mapping for server \"s\"", used in error messages about credentials.
std::string CredentialOwner(const std::string &server_name);

// The token file of a user mapping: $PGDATA/kintone_fdw/oauth/<server oid>_<user oid>.json.
std::string OAuthTokenPath(unsigned server_oid, unsigned user_oid);

// The cached session for these parameters (rebuilt when any of them changed). The session
// polls PostgreSQL's interrupt flags so that a cancel or statement_timeout aborts a transfer.
// It stays valid at least until the end of the transaction.
kintone::Session &GetSession(const ConnectionParams &params);

// A session of its own (not the cached one), for a scan that keeps requests in flight beside
// other scans' (src/pg/async.cpp); and whether two connections' parameters are the same.
std::shared_ptr<kintone::Session> NewSession(const ConnectionParams &params);
// PostgreSQL's lc_messages now, for Session::set_locale (a session kept between statements is
// told again each time it is taken: the user may have changed it).
const char *MessageLocale();
bool SameConnection(const ConnectionParams &a, const ConnectionParams &b);

// Drops the cached session of a user mapping (after new OAuth tokens were stored).
void ForgetSession(unsigned server_oid, unsigned user_oid) noexcept;

// The per-backend cursor budget (Kintone allows 10 live cursors per domain, shared by every tool).
kintone::CursorBudget &GetCursorBudget(int max_cursors);

// The app's form: from the cache, else read (one request). *fetched (optional) tells whether
// this call read it. The form stays valid at least until the end of the transaction. relid, when
// valid, is the foreign table asking: a change to that table drops the form.
std::shared_ptr<const kintone::FormInfo> CachedForm(const ConnectionParams &conn, long long app,
                                                    long long guest_space_id, Oid relid = InvalidOid,
                                                    bool *fetched = nullptr);
// Reads the app's form again and caches it (a cached form lacked a value's option or a field).
std::shared_ptr<const kintone::FormInfo> RefreshForm(const ConnectionParams &conn, long long app,
                                                     long long guest_space_id, Oid relid = InvalidOid);

// The number of records in the app, for row estimates of a table without statistics: counted
// once (one records.json request with totalCount) and cached like the forms (dropped when the
// server, the user mapping or a table that used it changes) for at most kRecordCountTtlSeconds.
// A count only steers plans; it never makes a result wrong. -1 when Kintone could not count (the
// failure is cached too; the query's own requests report it). A cancel is thrown.
constexpr long kRecordCountTtlSeconds = 600;
long long CachedRecordCount(const ConnectionParams &conn, long long app, long long guest_space_id,
                            Oid relid = InvalidOid);

} // namespace kintone_fdw
