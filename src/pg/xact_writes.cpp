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

// A statement writing now: from its begin to its end or abort.
struct LiveStatement {
	KintoneModifyState *st;
	ModifyCpp *cpp;
	EState *estate;
};

// One statement's writes in the current transaction.
struct StatementEntry {
	std::string server;
	long long app = 0;
	std::string relname;
	kintone::WriteKind kind = kintone::WriteKind::kInsert;
	long long written = 0;
	bool reported = false; // an error or warning has said how many stay written
	SubTransactionId subid = InvalidSubTransactionId;
	ModifyCpp *live = nullptr; // while the statement runs
};

struct WriteTracking {
	std::vector<LiveStatement> live;
	std::vector<StatementEntry> entries;
	bool callbacks_registered = false;
};

WriteTracking *tracking = nullptr;
ExecutorFinish_hook_type prev_executor_finish = nullptr;

long long WrittenNow(const StatementEntry &e) {
	return e.live != nullptr && e.live->writer ? e.live->writer->written() : e.written;
}

// The WARNING of a rollback over entries [with subid, or all when sub is false], as malloc'd
// text (message, detail), or false when there is nothing the user has not been told. noexcept.
bool RollbackReport(bool sub, SubTransactionId subid, long long *total, char **detail) noexcept {
	*total = 0;
	*detail = nullptr;
	try {
		bool untold = false;
		// (server, app) -> written per kind, and the first foreign table named
		std::map<std::pair<std::string, long long>, std::tuple<long long, long long, long long, std::string>> apps;
		for (const StatementEntry &e : tracking->entries) {
			if (sub && e.subid != subid) {
				continue;
			}
			long long n = WrittenNow(e);
			if (n <= 0) {
				continue;
			}
			untold |= e.live == nullptr && !e.reported; // a live statement reports itself when freed
			*total += n;
			auto &app = apps[{e.server, e.app}];
			(e.kind == kintone::WriteKind::kInsert   ? std::get<0>(app)
			 : e.kind == kintone::WriteKind::kUpdate ? std::get<1>(app)
			                                         : std::get<2>(app)) += n;
			if (std::get<3>(app).empty()) {
				std::get<3>(app) = e.relname;
			}
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
		tracking->entries.clear();
		tracking->live.clear();
		break;
	case XACT_EVENT_COMMIT:
	case XACT_EVENT_PREPARE:
		tracking->entries.clear();
		tracking->live.clear();
		break;
	default:
		break;
	}
}

void SubXactCallback(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *arg) {
	(void)arg;
	if (tracking == nullptr) {
		return;
	}
	if (event == SUBXACT_EVENT_ABORT_SUB) {
		WarnRollback(true, mySubid);
		for (StatementEntry &e : tracking->entries) {
			if (e.subid == mySubid) {
				e.reported = e.reported || e.live == nullptr; // said now (live ones say it when freed)
				e.subid = parentSubid;
			}
		}
	} else if (event == SUBXACT_EVENT_COMMIT_SUB) {
		for (StatementEntry &e : tracking->entries) {
			if (e.subid == mySubid) {
				e.subid = parentSubid;
			}
		}
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

void StatementWritesBegin(KintoneModifyState *st, const TableDef &def) {
	if (tracking == nullptr) {
		tracking = new WriteTracking();
	}
	if (!tracking->callbacks_registered) {
		RegisterXactCallback(XactCallback, nullptr);
		RegisterSubXactCallback(SubXactCallback, nullptr);
		tracking->callbacks_registered = true;
	}
	StatementEntry entry;
	entry.server = def.conn.server_name;
	entry.app = def.app;
	entry.relname = def.relname;
	entry.kind = st->cpp->writer->kind();
	entry.subid = GetCurrentSubTransactionId();
	entry.live = st->cpp;
	tracking->entries.push_back(std::move(entry));
	st->cpp->xact_entry = static_cast<int>(tracking->entries.size()) - 1;
	tracking->live.push_back(LiveStatement{st, st->cpp, st->estate});
}

void StatementWritesEnd(ModifyCpp *cpp, bool aborted) noexcept {
	if (tracking == nullptr || cpp == nullptr) {
		return;
	}
	for (size_t i = 0; i < tracking->live.size(); ++i) {
		if (tracking->live[i].cpp == cpp) {
			tracking->live.erase(tracking->live.begin() + static_cast<long>(i));
			break;
		}
	}
	if (cpp->xact_entry < 0 || static_cast<size_t>(cpp->xact_entry) >= tracking->entries.size()) {
		return;
	}
	StatementEntry &e = tracking->entries[static_cast<size_t>(cpp->xact_entry)];
	if (e.live != cpp) {
		return;
	}
	e.written = cpp->writer ? cpp->writer->written() : 0;
	e.reported = aborted && (cpp->written_reported || (cpp->writer && cpp->writer->told()));
	e.live = nullptr;
}

} // namespace kintone_fdw
