// The statement's kintone::Writer (see modify_state.hpp): rows are queued and sent in chunks of
// up to 2,000 records (one bulkRequest: all or nothing), a full chunk mid-statement without
// waiting (Writer::StartFlush) so that the next rows are converted while Kintone works on it —
// several chunks at once up to the table's max_concurrent_requests (at most 4;
// Writer::set_max_in_flight, docs/concurrency.md "Writes above 2,000 rows").
//
// What the user is told about a write is true. A statement aborted while a chunk is in
// flight finishes that write (never abandons it) and then says what it wrote: in the error's
// context for a conversion error, else in a WARNING from the memory-context callback that
// frees the C++ state. A cancel that aborts a write in flight is raised as PostgreSQL's own
// cancel error, with the unknown outcome added as context.
#include "pg/modify_state.hpp"

#include "kintone/error.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "lib/stringinfo.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

#include <cstring>

namespace kintone_fdw {

namespace {

// Runs when the statement is aborted (a normal end deletes the state in EndModify first). A
// write still in flight is finished, not abandoned (Writer::Settle, bounded by the request
// timeout), so that its outcome is known — unless the abort is a cancel, which is answered at
// once and leaves that write's outcome unknown (docs/faults.md, "Cancels"); then a WARNING says
// what it wrote. The C++ work ends before any PostgreSQL call; no ERROR is raised from here.
void DeleteModifyCpp(void *arg) noexcept {
	ModifyCpp *cpp = static_cast<ModifyCpp *>(arg);
	bool warn = false;
	long long written = 0;
	bool unknown = false;
	char relname[2 * NAMEDATALEN] = {0};
	char note[512] = {0};
	bool cancelled = cpp != nullptr && CancelWatchSawCancel(cpp->watch);
	if (cpp != nullptr) {
		StopCancelWatch(cpp->watch);
		cpp->watch = nullptr;
	}
	if (cpp != nullptr && cpp->writer) {
		kintone::Writer &writer = *cpp->writer;
		bool was_in_flight = writer.in_flight();
		writer.Settle(cancelled ? kintone::Session::WriteWait::kAbandon : kintone::Session::WriteWait::kSettle);
		written = writer.written();
		unknown = was_in_flight && !writer.unknown_outcome().empty();
		// Also when nothing was in flight: records written earlier (rows sent one by one for
		// RETURNING, chunks already answered) are reported unless an error said so already.
		warn = (was_in_flight && (writer.settled_written() > 0 || unknown)) ||
		       (written > 0 && !cpp->written_reported && !writer.told());
		snprintf(relname, sizeof(relname), "%s", cpp->relname.c_str());
		// Several chunks in flight (writer.hpp): some may be written, others unknown.
		const char *settled = writer.settled_written() > 0 ? writer.settled_note().c_str() : "";
		snprintf(note, sizeof(note), "%s%s%s", settled, settled[0] != '\0' && unknown ? " " : "",
		         unknown ? writer.unknown_outcome().c_str() : "");
		cpp->written_reported |= warn;
	}
	StatementWritesEnd(cpp, true);
	delete cpp; // noexcept: the writer has nothing in flight any more
	if (!warn) {
		return;
	}
	if (unknown) {
		ereport(WARNING,
		        (errcode(ERRCODE_FDW_ERROR),
		         errmsg("the aborted statement on foreign table \"%s\" may have written records to Kintone", relname),
		         errdetail("%s %lld records of this statement had already been written to Kintone and stay "
		                   "written (Kintone has no rollback).",
		                   note, written)));
	} else {
		ereport(WARNING, (errcode(ERRCODE_FDW_ERROR),
		                  errmsg("the aborted statement on foreign table \"%s\" wrote %lld records to Kintone", relname,
		                         written),
		                  errdetail("%s%sThe written records stay written (Kintone has no rollback).", note,
		                            note[0] != '\0' ? " " : "")));
	}
}

// Error context while rows are sent: a cancel (statement_timeout, pg_cancel_backend) that
// aborted a write in flight is raised as PostgreSQL's own cancel error, so the fact that the
// write may or may not have happened is added here; so is what earlier chunks wrote.
void SendErrorContext(void *arg) {
	KintoneModifyState *st = static_cast<KintoneModifyState *>(arg);
	if (st->cpp == nullptr || !st->cpp->writer) {
		return;
	}
	const kintone::Writer &writer = *st->cpp->writer;
	if (!writer.unknown_outcome().empty()) {
		errcontext("%s %lld records of this statement had already been written to Kintone.",
		           writer.unknown_outcome().c_str(), writer.written());
	}
}

// A conversion error of the C++ phase while a chunk is in flight: that write is finished
// first (as in ReadRowSettling) and the error says what stays written.
void SettleAfterRowError(ModifyCpp &cpp, kintone::Error &e) {
	if (!cpp.writer || !cpp.writer->in_flight()) {
		return;
	}
	cpp.writer->Settle();
	long long written = cpp.writer->written();
	if (written > 0) {
		e.set_detail(e.detail() + "\n" + std::to_string(written) +
		             " records of this statement had already been written to Kintone and stay written (Kintone "
		             "has no rollback).");
		cpp.written_reported = true;
	}
	// An unknown outcome is added by SendErrorContext.
}

} // namespace

void AttachModifyCpp(KintoneModifyState *st) {
	st->callback.func = DeleteModifyCpp;
	st->cpp = Guard([&]() { return new ModifyCpp(); });
	st->callback.arg = st->cpp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->callback);
	st->cpp->watch = StartCancelWatch();
}

// ReadRow while a chunk is in flight. A conversion error finishes that write first (not
// abortable, bounded by the request timeout) and then says what stays written, as it does
// when no write is in flight; the error itself is PostgreSQL's, raised again unchanged
// otherwise.
void ReadRowSettling(KintoneModifyState *st, TupleTableSlot *slot) {
	kintone::Writer *writer = st->cpp != nullptr ? st->cpp->writer.get() : nullptr;
	if (writer == nullptr || !writer->in_flight()) {
		ReadRow(st, slot);
		return;
	}
	MemoryContext cxt = CurrentMemoryContext;
	long long before = writer->written();
	PG_TRY();
	{ ReadRow(st, slot); }
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		// noexcept, no PostgreSQL call; a cancel raised here is answered at once
		writer->Settle(IsCancelCode(edata->sqlerrcode) ? kintone::Session::WriteWait::kAbandon
		                                               : kintone::Session::WriteWait::kSettle);
		long long after = writer->written();
		if (after != before && st->current != nullptr && edata->context != nullptr) {
			char *old_text = RowContextText(st, before);
			char *found = strstr(edata->context, old_text);
			if (found != nullptr) {
				int at = static_cast<int>(found - edata->context);
				edata->context =
				    psprintf("%.*s%s%s", at, edata->context, RowContextText(st, after), found + strlen(old_text));
				st->cpp->written_reported = after > 0;
			}
		}
		if (!writer->unknown_outcome().empty()) {
			const char *note = writer->unknown_outcome().c_str();
			edata->detail = edata->detail != nullptr ? psprintf("%s\n%s", edata->detail, note) : pstrdup(note);
		}
		ReThrowError(edata);
	}
	PG_END_TRY();
}

void QueueRow(KintoneModifyState *st, const char *id, const char *revision) {
	ErrorContextCallback errcallback;
	errcallback.callback = SendErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	Guard([&]() {
		ModifyCpp &cpp = *st->cpp;
		long long rev = revision != nullptr ? std::stoll(revision) : -1;
		std::string record;
		std::string key;
		if (st->upsert_col >= 0) {
			// The key goes as updateKey, not in the record (CheckUpsertKey refused NULL).
			key = st->cells[st->upsert_col].text;
			st->cells[st->upsert_col].omit = true;
		}
		if (st->op != CMD_DELETE) {
			try {
				record = kintone::BuildRecord(cpp.fields, st->cells, st->row);
			} catch (kintone::Error &e) {
				SettleAfterRowError(cpp, e);
				throw;
			}
		}
		switch (st->op) {
		case CMD_INSERT:
			if (st->upsert_col >= 0) {
				cpp.writer->AddUpsert(std::move(key), std::move(record));
			} else {
				cpp.writer->AddInsert(std::move(record));
			}
			break;
		case CMD_UPDATE:
			cpp.writer->AddUpdate(id, rev, std::move(record));
			break;
		default:
			cpp.writer->AddDelete(id, rev);
			break;
		}
		if (st->per_row) {
			cpp.writer->Flush();
			if (!cpp.writer->results().empty()) {
				cpp.last_written = cpp.writer->results().back();
			}
		} else if (cpp.writer->full() && !st->reads_target && st->upsert_col < 0) {
			// (An upsert sends nothing before every key of the statement is checked.)
			// Overlapped: the chunk travels (and Kintone works on it) while the next rows are
			// converted; the previous chunk's answer is checked first.
			cpp.writer->StartFlush();
		} else if ((st->row & 15) == 0) {
			cpp.writer->Pump(); // keep the upload of the chunk in flight moving
		}
	});
	error_context_stack = errcallback.previous;
	CHECK_FOR_INTERRUPTS();
}

void FinishWrites(KintoneModifyState *st) {
	if (st == nullptr || st->cpp == nullptr || !st->cpp->writer || st->explain_only) {
		return;
	}
	ErrorContextCallback errcallback;
	errcallback.callback = SendErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	Guard([&]() {
		if (st->cpp->row_changes && !st->cpp->rows_sent) {
			st->cpp->rows_sent = true; // once: an error leaves nothing to send again
			SendRowChanges(st);
		}
		st->cpp->writer->Flush();
	});
	error_context_stack = errcallback.previous;
}

void EndModify(KintoneModifyState *st) {
	if (st == nullptr || st->cpp == nullptr) {
		return;
	}
	FinishWrites(st);
	ModifyCpp *cpp = st->cpp;
	if (st->upsert_col >= 0 && cpp->writer && !st->explain_only) {
		ReportUpsert(st, cpp->writer->upsert_inserted(), cpp->writer->upsert_updated());
	}
	st->cpp = nullptr;
	st->callback.arg = nullptr;
	StopCancelWatch(cpp->watch);
	StatementWritesEnd(cpp, false);
	Guard([&]() { delete cpp; });
	// Kintone keeps times to the minute (contract §6.1): say once when values lost their seconds.
	StringInfoData dropped;
	initStringInfo(&dropped);
	for (int i = 0; i < st->nsend; ++i) {
		long long n = st->seconds_dropped[i];
		if (n > 0) {
			appendStringInfo(&dropped, "%s%lld value%s of column \"%s\"", dropped.len > 0 ? ", " : "", n,
			                 n == 1 ? "" : "s", st->send[i].name);
		}
	}
	if (dropped.len > 0) {
		ereport(NOTICE, (errmsg("Kintone keeps times to the minute: the seconds of %s were dropped", dropped.data)));
	}
}

} // namespace kintone_fdw
