// Asynchronous execution: foreign scans under an Append (UNION ALL, a partitioned table whose
// partitions are apps, inheritance) wait for Kintone side by side instead of one after another.
//
// PostgreSQL's Append asks each async-capable child for a row (ForeignAsyncRequest); a child
// that has none yet says so (ExecAsyncRequestPending), and the Append then waits on all their
// descriptors at once (ForeignAsyncConfigureWait) and calls back the one that became ready
// (ForeignAsyncNotify). A scan's descriptor is its session's wait handle (HttpClient::WaitFd):
// readable when its page in flight moved on, and at least every HttpClient::kWaitTickMs, so
// that a cancel is noticed here within a fraction of a second.
//
// Every async scan reads through a session of its own (SessionLease): the session of a user
// mapping carries one request at a time, and two scans sharing it would cancel each other's
// page in flight. The first page is requested when the Append first asks the scan for a row,
// so all children's first pages travel together. The design and its limits: docs/async.md.
#include "pg/async.hpp"

#include "pg/connection.hpp"
#include "pg/guard.hpp"
#include "pg/planner.hpp"
#include "pg/scan.hpp"

#include "kintone/pager.hpp"

extern "C" {
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "executor/execAsync.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "storage/latch.h"
}

#include <vector>

namespace kintone_fdw {

namespace {

struct PooledSession {
	ConnectionParams params;
	std::shared_ptr<kintone::Session> session;
	bool leased = false;
};

// Heap-allocated on first use, for the life of the backend: an idle session keeps its
// connection (keep-alive, TLS session) for the next statement.
std::vector<PooledSession> *pool = nullptr;

} // namespace

SessionLease SessionLease::Acquire(const ConnectionParams &params) {
	if (pool == nullptr) {
		pool = new std::vector<PooledSession>();
	}
	PooledSession *spare = nullptr;
	for (auto &entry : *pool) {
		if (entry.leased) {
			continue;
		}
		if (SameConnection(entry.params, params)) {
			spare = &entry;
			break;
		}
		if (spare == nullptr) {
			spare = &entry; // idle, for other parameters: replaced if nothing better is found
		}
	}
	if (spare == nullptr || !SameConnection(spare->params, params)) {
		if (spare == nullptr && pool->size() >= static_cast<size_t>(kMaxLeasedSessions)) {
			return SessionLease(); // every session is in use: the caller reads the shared way
		}
		std::shared_ptr<kintone::Session> session = NewSession(params);
		if (spare == nullptr) {
			pool->emplace_back();
			spare = &pool->back();
		}
		spare->params = params;
		spare->session = std::move(session);
	}
	spare->leased = true;
	spare->session->set_locale(MessageLocale()); // lc_messages may have changed since it was made
	SessionLease lease;
	lease.session_ = spare->session;
	return lease;
}

void SessionLease::Release() noexcept {
	if (!session_) {
		return;
	}
	if (pool != nullptr) {
		for (auto &entry : *pool) {
			if (entry.session == session_) {
				entry.leased = false;
			}
		}
	}
	session_.reset();
}

namespace {

// The option of the table, else of its server; default on (README, "Asynchronous execution").
bool AsyncCapableOption(Oid serverid, Oid relid) {
	bool capable = true;
	auto read = [&](List *options) {
		ListCell *cell;
		foreach (cell, options) {
			DefElem *def = static_cast<DefElem *>(lfirst(cell));
			if (strcmp(def->defname, "async_capable") == 0) {
				capable = defGetBoolean(def);
			}
		}
	};
	read(GetForeignServer(serverid)->options);
	if (OidIsValid(relid)) {
		read(GetForeignTable(relid)->options);
	}
	return capable;
}

// Gives the Append the scan's next row, its end, or the promise of a callback once the page
// it waits for has arrived (PostgreSQL phase).
void ProduceRow(AsyncRequest *areq) {
	ForeignScanState *node = reinterpret_cast<ForeignScanState *>(areq->requestee);
	for (;;) {
		if (!ScanReadyForRow(node)) {
			ExecAsyncRequestPending(areq);
			return;
		}
		// Through ExecScan: the local conditions and the projection apply as usual.
		TupleTableSlot *slot = node->ss.ps.ExecProcNodeReal(&node->ss.ps);
		if (!TupIsNull(slot)) {
			ExecAsyncRequestDone(areq, slot);
			return;
		}
		if (ScanFinished(node)) {
			ExecAsyncRequestDone(areq, nullptr);
			return;
		}
		// The page's rows were all filtered out locally: on to the next page.
	}
}

} // namespace

extern "C" bool kintoneIsForeignPathAsyncCapable(ForeignPath *path) {
	return AsyncCapableOption(path->path.parent->serverid, PlannedTableOid(path->path.parent));
}

bool StartsEarly(ForeignScanState *node, Oid relid) {
	ForeignScan *plan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
	EState *estate = node->ss.ps.state;
	List *priv = plan->fdw_private;
	if (plan->fdw_exprs != NIL || intVal(list_nth(priv, kPlanBatchKeys)) != 0 ||
	    intVal(list_nth(priv, kPlanCountOnly)) != 0 ||
	    static_cast<kintone::PagingStrategy>(intVal(list_nth(priv, kPlanStrategy))) ==
	        kintone::PagingStrategy::kCursor ||
	    estate->es_epq_active != nullptr) {
		return false; // values known only later; a count; a cursor (created by the first read)
	}
	if (node->ss.ps.async_capable) {
		return true;
	}
	// Another side of the statement may read Kintone too (a join of two apps): only plain reads.
	PlannedStmt *stmt = estate->es_plannedstmt;
	if (stmt == nullptr || stmt->commandType != CMD_SELECT || stmt->rowMarks != NIL) {
		return false;
	}
	int foreign = 0;
	ListCell *cell;
	foreach (cell, estate->es_range_table) {
		RangeTblEntry *rte = static_cast<RangeTblEntry *>(lfirst(cell));
		if (rte->rtekind == RTE_RELATION && rte->relkind == RELKIND_FOREIGN_TABLE) {
			++foreign;
		}
	}
	return foreign >= 2 && AsyncCapableOption(GetForeignTable(relid)->serverid, relid);
}

extern "C" void kintoneForeignAsyncRequest(AsyncRequest *areq) {
	ProduceRow(areq);
}

extern "C" void kintoneForeignAsyncConfigureWait(AsyncRequest *areq) {
	ForeignScanState *node = reinterpret_cast<ForeignScanState *>(areq->requestee);
	AppendState *append = reinterpret_cast<AppendState *>(areq->requestor);
	int fd = ScanWaitFd(node);
	if (fd >= 0) {
		AddWaitEventToSet(append->as_eventset, WL_SOCKET_READABLE, fd, nullptr, areq);
	}
	// fd < 0: ScanReadyForRow found no wait handle and made the scan wait the synchronous way;
	// it is never pending then.
}

extern "C" void kintoneForeignAsyncNotify(AsyncRequest *areq) {
	CHECK_FOR_INTERRUPTS(); // the wait handle's tick: a cancel stops the scan here
	ProduceRow(areq);
}

} // namespace kintone_fdw
