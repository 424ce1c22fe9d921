// What statements write across the executor's and the transaction's lifetime (see
// modify_state.hpp):
//
// - Writes finish inside the statement. PostgreSQL calls EndForeignModify from ExecutorEnd,
//   after AFTER triggers have fired and after EXPLAIN ANALYZE has stopped its clock. An
//   ExecutorFinish hook therefore sends what the statement still has queued (and waits for a
//   chunk in flight) before standard_ExecutorFinish: AFTER triggers see the records, EXPLAIN
//   ANALYZE times the whole statement and counts the last chunk, and an error of that last
//   chunk is the statement's error as before. Writable CTEs that the query did not read to
//   the end are run to the end first, exactly as standard_ExecutorFinish would do next.
//   (COPY FROM runs no ExecutorFinish: its last chunk is sent by EndForeignInsert.)
//
// - Kintone has no rollback. Every statement that writes has an entry in the transaction's
//   list of writes; when the transaction (or a subtransaction: ROLLBACK TO SAVEPOINT, an
//   exception caught by PL/pgSQL) is rolled back after records were written, one WARNING says
//   how many stay written and to which apps — unless the statements' own errors or warnings
//   have said so already (a failed autocommit statement says it in its error).
//
// The C++ containers live behind a pointer created on first use (nothing runs at load time
// but the hook's installation); transaction callbacks are registered on first use too.
#include "pg/modify_state.hpp"

#include "pg/guard.hpp"
#include "pg/table.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/executor.h"
#include "utils/memutils.h"
}

#include <cstdlib>
#include <cstring>
#include <map>
#include <tuple>

namespace kintone_fdw {

namespace {

// What a statement writes to: the key of the transaction's tally.
struct Target {
	std::string server;
	long long app = 0;
	std::string relname; // the first foreign table seen for this app (messages)
	kintone::WriteKind kind = kintone::WriteKind::kInsert;
	SubTransactionId subid = InvalidSubTransactionId;
};

// A statement writing now: from its begin to its end or abort.
struct LiveStatement {
	KintoneModifyState *st;
	ModifyCpp *cpp;
	EState *estate;
	Target target;
};

// Records written by the finished statements of the transaction, summed per target and per
// whether an error or warning has already said they stay written. Kept small (a loop of a
// million one-row INSERTs adds to one entry), so a transaction's bookkeeping does not grow.
struct Tally {
	Target target;
	bool reported = false;
	long long written = 0;
};

struct WriteTracking {
	std::vector<LiveStatement> live;
	std::vector<Tally> done;
};

WriteTracking *tracking = nullptr;
ExecutorFinish_hook_type prev_executor_finish = nullptr;

bool SameTarget(const Target &a, const Target &b) {
	return a.app == b.app && a.kind == b.kind && a.subid == b.subid && a.server == b.server;
}

// Calls f(target, records) per kind of what a writer wrote: an upsert counts as the records
// Kintone added and those it updated.
template <typename F>
void ForEachKind(const Target &target, const kintone::Writer &writer, F f) {
	if (writer.kind() != kintone::WriteKind::kUpsert) {
		f(target, writer.written());
		return;
	}
	Target added = target;
	added.kind = kintone::WriteKind::kInsert;
	f(added, writer.upsert_inserted());
	Target updated = target;
	updated.kind = kintone::WriteKind::kUpdate;
	f(updated, writer.upsert_updated());
}

void AddToTally(const Target &target, bool reported, long long written) {
	if (written <= 0) {
		return;
	}
	for (Tally &t : tracking->done) {
		if (t.reported == reported && SameTarget(t.target, target)) {
			t.written += written;
			return;
		}
	}
	tracking->done.push_back(Tally{target, reported, written});
}

// The DETAIL of a rollback's WARNING over the writes of subtransaction subid (every write of
// the transaction when sub is false), as malloc'd text; false when the user has been told
// about all of them already (or on out of memory). Live statements (still being freed) say
// what they wrote themselves. noexcept: runs in transaction callbacks.
bool RollbackReport(bool sub, SubTransactionId subid, long long *total, char **detail) noexcept {
	*total = 0;
	*detail = nullptr;
	try {
		bool untold = false;
		// (server, app) -> written per kind, and the foreign table named
		std::map<std::pair<std::string, long long>, std::tuple<long long, long long, long long, std::string>> apps;
		auto add = [&](const Target &target, long long n) {
			if (n <= 0 || (sub && target.subid != subid)) {
				return;
			}
			*total += n;
			auto &app = apps[{target.server, target.app}];
			(target.kind == kintone::WriteKind::kInsert   ? std::get<0>(app)
			 : target.kind == kintone::WriteKind::kUpdate ? std::get<1>(app)
			                                              : std::get<2>(app)) += n;
			if (std::get<3>(app).empty()) {
				std::get<3>(app) = target.relname;
			}
		};
		for (const Tally &t : tracking->done) {
			add(t.target, t.written);
			untold |= !t.reported && t.written > 0 && (!sub || t.target.subid == subid);
		}
		for (const LiveStatement &l : tracking->live) {
			if (!l.cpp->writer) {
				continue;
			}
			ForEachKind(l.target, *l.cpp->writer, [&](const Target &target, long long n) { add(target, n); });
		}
		if (!untold) {
			return false;
		}
		std::string text;
		for (const auto &[key, counts] : apps) {
			text += text.empty() ? "" : "; ";
			text += "app " + std::to_string(key.second) + " of server \"" + key.first + "\" (foreign table \"" +
			        std::get<3>(counts) + "\"):";
			const char *sep = " ";
			if (std::get<0>(counts) > 0) {
				text += sep + std::to_string(std::get<0>(counts)) + " added";
				sep = ", ";
			}
			if (std::get<1>(counts) > 0) {
				text += sep + std::to_string(std::get<1>(counts)) + " updated";
				sep = ", ";
			}
			if (std::get<2>(counts) > 0) {
				text += sep + std::to_string(std::get<2>(counts)) + " deleted";
			}
		}
		text += ". Kintone has no rollback.";
		*detail = static_cast<char *>(malloc(text.size() + 1));
		if (*detail == nullptr) {
			return false;
		}
		memcpy(*detail, text.c_str(), text.size() + 1);
		return true;
	} catch (...) {
		return false;
	}
}

void WarnRollback(bool sub, SubTransactionId subid) {
	long long total;
	char *detail;
	if (!RollbackReport(sub, subid, &total, &detail)) {
		return;
	}
	char text[2048];
	snprintf(text, sizeof(text), "%s", detail);
	free(detail);
	if (sub) {
		ereport(WARNING, (errcode(ERRCODE_WARNING),
		                  errmsg_plural("the subtransaction was rolled back, but the %lld record it wrote to Kintone "
		                                "stays written",
		                                "the subtransaction was rolled back, but the %lld records it wrote to Kintone "
		                                "stay written",
		                                static_cast<unsigned long>(total), total),
		                  errdetail("%s", text),
		                  errhint("ROLLBACK TO SAVEPOINT and exceptions caught by PL/pgSQL do not undo writes to "
		                          "Kintone.")));
	} else {
		ereport(WARNING, (errcode(ERRCODE_WARNING),
		                  errmsg_plural("the transaction was rolled back, but the %lld record it wrote to Kintone "
		                                "stays written",
		                                "the transaction was rolled back, but the %lld records it wrote to Kintone "
		                                "stay written",
		                                static_cast<unsigned long>(total), total),
		                  errdetail("%s", text)));
	}
}

void XactCallback(XactEvent event, void *arg) {
	(void)arg;
	if (tracking == nullptr) {
		return;
	}
	switch (event) {
	case XACT_EVENT_ABORT:
		WarnRollback(false, InvalidSubTransactionId);
		tracking->done.clear();
		tracking->live.clear();
		break;
	case XACT_EVENT_COMMIT:
	case XACT_EVENT_PREPARE:
		tracking->done.clear();
		tracking->live.clear();
		break;
	default:
		break;
	}
}

// The writes of a subtransaction that ends become its parent's; after a rollback they have
// been reported (by the warning, or by their statements as they are freed).
void SubXactCallback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg) {
	(void)arg;
	if (tracking == nullptr || (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)) {
		return;
	}
	bool aborted = event == SUBXACT_EVENT_ABORT_SUB;
	if (aborted) {
		WarnRollback(true, mySubid);
	}
	for (LiveStatement &l : tracking->live) {
		if (l.target.subid == mySubid) {
			l.target.subid = parentSubid;
		}
	}
	try {
		std::vector<Tally> moved;
		for (size_t i = 0; i < tracking->done.size();) {
			if (tracking->done[i].target.subid == mySubid) {
				moved.push_back(tracking->done[i]);
				tracking->done.erase(tracking->done.begin() + static_cast<long>(i));
			} else {
				++i;
			}
		}
		for (Tally &t : moved) {
			t.target.subid = parentSubid;
			AddToTally(t.target, t.reported || aborted, t.written);
		}
	} catch (...) {
		// Out of memory: the parent's warning may then miss these records.
	}
}

// Sends what the statements of estate still have queued (their plans have run).
void FinishStatementWrites(EState *estate) {
	bool any = false;
	for (const LiveStatement &l : tracking->live) {
		any |= l.estate == estate && !l.st->finished;
	}
	if (!any || estate->es_finished) {
		return;
	}
	MemoryContext old = MemoryContextSwitchTo(estate->es_query_cxt);
	// Writable CTEs the query did not read to the end: run them now, as standard_ExecutorFinish
	// would next (ExecPostprocessPlan), so that their rows are queued too. A ModifyTable node
	// that has finished returns nothing when run again.
	ListCell *cell;
	foreach (cell, estate->es_auxmodifytables) {
		PlanState *ps = static_cast<PlanState *>(lfirst(cell));
		estate->es_direction = ForwardScanDirection;
		for (;;) {
			ResetPerTupleExprContext(estate);
			TupleTableSlot *slot = ExecProcNode(ps);
			if (TupIsNull(slot)) {
				break;
			}
		}
	}
	// By index: FinishWrites may raise an ERROR (the last chunk refused), which ends the loop.
	for (size_t i = 0; i < tracking->live.size(); ++i) {
		KintoneModifyState *st = tracking->live[i].st;
		if (tracking->live[i].estate == estate && !st->finished) {
			FinishWrites(st);
			st->finished = true;
		}
	}
	MemoryContextSwitchTo(old);
}

void KintoneExecutorFinish(QueryDesc *query) {
	if (tracking != nullptr && !tracking->live.empty() && query->estate != nullptr) {
		FinishStatementWrites(query->estate);
	}
	if (prev_executor_finish != nullptr) {
		prev_executor_finish(query);
	} else {
		standard_ExecutorFinish(query);
	}
}

} // namespace

void RegisterWriteHooks() {
	prev_executor_finish = ExecutorFinish_hook;
	ExecutorFinish_hook = KintoneExecutorFinish;
}

void EnsureWriteCallbacks() {
	static bool registered = false;
	if (!registered) {
		RegisterXactCallback(XactCallback, nullptr);
		RegisterSubXactCallback(SubXactCallback, nullptr);
		registered = true;
	}
}

void StatementWritesBegin(KintoneModifyState *st, const TableDef &def) {
	if (tracking == nullptr) {
		tracking = new WriteTracking();
	}
	LiveStatement live{st, st->cpp, st->estate, Target()};
	live.target.server = def.conn.server_name;
	live.target.app = def.app;
	live.target.relname = def.relname;
	live.target.kind = st->cpp->writer->kind();
	live.target.subid = GetCurrentSubTransactionId();
	tracking->live.push_back(std::move(live));
}

void StatementWritesEnd(ModifyCpp *cpp, bool aborted) noexcept {
	if (tracking == nullptr || cpp == nullptr) {
		return;
	}
	for (size_t i = 0; i < tracking->live.size(); ++i) {
		if (tracking->live[i].cpp != cpp) {
			continue;
		}
		bool reported = aborted && (cpp->written_reported || (cpp->writer && cpp->writer->told()));
		try {
			if (cpp->writer) {
				ForEachKind(tracking->live[i].target, *cpp->writer,
				            [&](const Target &target, long long n) { AddToTally(target, reported, n); });
			}
		} catch (...) {
			// Out of memory: a rollback's warning may then miss these records.
		}
		tracking->live.erase(tracking->live.begin() + static_cast<long>(i));
		return;
	}
}

} // namespace kintone_fdw
