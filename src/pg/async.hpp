// Asynchronous execution of foreign scans under an Append (see async.cpp).
#pragma once

#include "pg/postgres.hpp"

#include <memory>

extern "C" {
#include "foreign/fdwapi.h"
#include "nodes/execnodes.h"
}

namespace kintone {
class Session;
}

namespace kintone_fdw {

struct ConnectionParams;

// A session of a scan's own, taken from a small per-backend pool and given back on Release or
// destruction (the pool keeps it, with its connection, for the next statement). At most
// kMaxLeasedSessions are out at once: Acquire then returns an empty lease, and the scan reads
// through the shared session of its user mapping, one request at a time. C++ phase.
class SessionLease {
public:
	static constexpr int kMaxLeasedSessions = 8;

	SessionLease() = default;
	~SessionLease() { Release(); }
	SessionLease(SessionLease &&other) noexcept : session_(std::move(other.session_)) {}
	SessionLease &operator=(SessionLease &&other) noexcept {
		if (this != &other) {
			Release();
			session_ = std::move(other.session_);
		}
		return *this;
	}
	SessionLease(const SessionLease &) = delete;
	SessionLease &operator=(const SessionLease &) = delete;

	static SessionLease Acquire(const ConnectionParams &params);
	void Release() noexcept;
	kintone::Session *get() const { return session_.get(); }
	explicit operator bool() const { return session_ != nullptr; }

private:
	std::shared_ptr<kintone::Session> session_;
};

// Whether a scan sends its first page's request at executor start (BeginForeignScan) rather
// than at its first row, so that it travels while other parts of the plan start: a scan under an
// asynchronous Append, or a plain SELECT reading more than one foreign table (the two sides of
// a join), when the condition needs no value known only later (a parameter, a batched join's
// keys), the scan is not a count or a cursor, and async_capable is on. PostgreSQL phase.
bool StartsEarly(ForeignScanState *node, Oid relid);

extern "C" {
bool kintoneIsForeignPathAsyncCapable(ForeignPath *path);
void kintoneForeignAsyncRequest(AsyncRequest *areq);
void kintoneForeignAsyncConfigureWait(AsyncRequest *areq);
void kintoneForeignAsyncNotify(AsyncRequest *areq);
}

} // namespace kintone_fdw
