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
};

// The cached session for these parameters (rebuilt when any of them changed). The session
// polls PostgreSQL's interrupt flags so that a cancel or statement_timeout aborts a transfer.
kintone::Session &GetSession(const ConnectionParams &params);

// The per-backend cursor budget (Kintone allows 10 live cursors per domain, shared by every tool).
kintone::CursorBudget &GetCursorBudget(int max_cursors);

} // namespace kintone_fdw
