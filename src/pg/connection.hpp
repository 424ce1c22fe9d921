// Sessions cached per user mapping for the life of the backend, so that connections (and TLS
// sessions) are reused across queries, and the process-wide cursor budget.
#pragma once

#include "kintone/pager.hpp"
#include "kintone/session.hpp"

#include <string>

namespace kintone_fdw {

// Everything needed to build a Session, read from the catalogs in the PostgreSQL phase.
struct ConnectionParams {
	unsigned server_oid = 0;
	unsigned user_oid = 0;
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

// Fills the option lists and the derived fields above from the catalog lists (C++ phase).
void SetConnectionOptions(ConnectionParams &params, std::string server_name, kintone::OptionList server,
                          kintone::OptionList user);

// "the user mapping for server \"s\"", used in error messages about credentials.
std::string CredentialOwner(const std::string &server_name);

// The token file of a user mapping: $PGDATA/kintone_fdw/oauth/<server oid>_<user oid>.json.
std::string OAuthTokenPath(unsigned server_oid, unsigned user_oid);

// The cached session for these parameters (rebuilt when any of them changed). The session
// polls PostgreSQL's interrupt flags so that a cancel or statement_timeout aborts a transfer.
kintone::Session &GetSession(const ConnectionParams &params);

// Drops the cached session of a user mapping (after new OAuth tokens were stored).
void ForgetSession(unsigned server_oid, unsigned user_oid) noexcept;

// The per-backend cursor budget (Kintone allows 10 live cursors per domain, shared by every tool).
kintone::CursorBudget &GetCursorBudget(int max_cursors);

} // namespace kintone_fdw
