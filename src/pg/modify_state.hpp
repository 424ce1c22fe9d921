// The state of one INSERT, UPDATE, DELETE or COPY FROM on a Kintone foreign table, shared by
// the files of the write path (design notes: docs/writes.md):
//
//   modify_plan.cpp     planner callbacks: row identity, the columns sent, RETURNING, updatable
//   modify.cpp          executor callbacks: begin (in steps), each row, end, EXPLAIN
//   modify_columns.cpp  the columns sent: their Kintone field types and writability, decided
//                       before any request
//   modify_rows.cpp     one row's values as Kintone text (pg/convert.cpp), trigger-set columns,
//                       the row's error context
//   modify_send.cpp     the statement's kintone::Writer: queueing, sending, what errors and
//                       aborted statements say about what was written
//   returning.cpp       RETURNING of rows sent one by one
//   xact_writes.cpp     across statements: writes finished inside the executor (ExecutorFinish)
//                       and the warning when a transaction that wrote to Kintone rolls back
//
// One word for what a statement has already done in Kintone: "written" — records Kintone
// confirmed (kintone::Writer::written()), the ids a statement has written or queued
// (ModifyCpp::written_ids), whether an error or warning has told the user how many stay
// written (ModifyCpp::written_reported).
#pragma once

#include "pg/postgres.hpp"

#include "kintone/record_json.hpp"
#include "kintone/writer.hpp"
#include "pg/convert.hpp"
#include "pg/guard.hpp"
#include "pg/modify.hpp"

extern "C" {
#include "access/attnum.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "utils/relcache.h"
}

#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

namespace kintone_fdw {

struct RawTable;
struct RowFetch;
struct TableDef;

// Row identity junk columns (modify_plan.cpp adds them, modify.cpp reads them).
constexpr const char *kIdJunk = "kintone_id";
constexpr const char *kRevisionJunk = "kintone_revision";

inline kintone::WriteKind WriteKindOf(CmdType op) {
	return op == CMD_INSERT   ? kintone::WriteKind::kInsert
	       : op == CMD_UPDATE ? kintone::WriteKind::kUpdate
	                          : kintone::WriteKind::kDelete;
}

// A column whose value the statement sends.
struct SendCol {
	int attnum;
	const char *name;
	ValueConv conv;
	// Not named by the statement; a BEFORE ROW trigger may have set it (as postgres_fdw, the
	// value is sent then: INSERT when not NULL, UPDATE when it differs from the row read).
	bool by_trigger;
	bool never; // by_trigger, but Kintone does not take it (read-only, lookup copy): not sent
};

// C++ part of a modification, owned by a memory-context callback (modify_send.cpp).
struct ModifyCpp {
	kintone::Session *session = nullptr;
	std::unique_ptr<kintone::Writer> writer;
	std::vector<kintone::WriteField> fields; // per send column
	kintone::WriteResult last_written;       // of the last row sent alone (RETURNING)
	std::string relname;                     // for messages
	// An error or warning of the statement has said how many records stay written.
	bool written_reported = false;
	// INSERT/COPY upserting (the table option upsert_key): the key values given so far.
	std::unique_ptr<kintone::UpsertKeySet> upsert_keys;
	// UPDATE/DELETE: the records this statement has written or queued. A join (UPDATE ...
	// FROM, DELETE ... USING) can hand PostgreSQL the same target record several times; as for
	// a local table (and postgres_fdw, whose later ctid no longer matches) only the first one
	// is written and counted.
	std::unordered_set<std::string> written_ids;
	// Whether the error that aborts the statement is a cancel (guard.hpp); from AttachModifyCpp
	// to EndModify or DeleteModifyCpp.
	CancelWatch *watch = nullptr;
};

struct KintoneModifyState {
	ModifyCpp *cpp;
	MemoryContextCallback callback;
	CmdType op;
	Relation rel;
	EState *estate;
	bool explain_only;
	bool per_row;      // RETURNING: one request per row
	bool reads_target; // INSERT ... SELECT from the same app: send everything at the end
	int nsend;
	SendCol *send;
	kintone::FieldValue *cells; // the current row, per send column (per-row memory)
	int id_attnum;              // the table's "$id" column, 0 if none
	int rev_attnum;             // the table's "$revision" column, 0 if none
	FmgrInfo id_out, rev_out;
	AttrNumber id_junk, rev_junk, wholerow_junk;
	RowFetch *fetch;         // RETURNING needs values read back
	TupleTableSlot *old_row; // UPDATE with trigger columns: the row as read, for this row
	MemoryContext row_cxt;
	long long row;              // statement row being converted (1-based)
	const SendCol *current;     // for the error context
	long long *seconds_dropped; // per send column: values whose seconds Kintone cannot keep
	char *app_text;             // EXPLAIN
	char *fields_text;          // EXPLAIN VERBOSE
	long chunk;                 // records per request
	bool finished;              // the statement's writes were finished (ExecutorFinish)
	// INSERT/COPY into a table with the option upsert_key (upsert.cpp): the index in send[]
	// of the key column, -1 otherwise; the key field's code (EXPLAIN).
	int upsert_col;
	char *upsert_key;
};

// --- modify_plan.cpp ---
// The columns in a bitmap of attnums offset by FirstLowInvalidHeapAttributeNumber (0 = the
// whole row), with columns that have a DEFAULT when with_defaults: a List of Integer.
List *AttnumList(Relation rel, Bitmapset *cols, bool with_defaults);
// The columns not in send that a BEFORE ROW INSERT/UPDATE trigger of rel may set.
List *TriggerAttrs(Relation rel, CmdType op, List *send);

// --- modify_columns.cpp ---
// The Kintone field type of each send column, refusing read-only ones (kintone::ReadOnlyReason,
// lookup copies) before any request; reads the form only when a column's type is not known
// from its options. Fills cpp.fields and st->send[].never; returns the EXPLAIN list of the
// fields sent. C++ phase (throws kintone::Error).
std::string ResolveSendColumns(KintoneModifyState *st, ModifyCpp &cpp, const TableDef &def);

// --- modify_rows.cpp ---
// PostgreSQL phase: the send columns of slot as Kintone text in st->cells (per-row memory).
void ReadRow(KintoneModifyState *st, TupleTableSlot *slot);
// "column "x" of row N of the statement writing to "t"" (+ what stays written).
char *RowContextText(const KintoneModifyState *st, long long written);
// UPDATE with trigger columns: the row as the scan read it, from the "wholerow" junk column.
void LoadOldRow(KintoneModifyState *st, TupleTableSlot *planSlot);

// --- modify_send.cpp ---
// Registers the C++ state on the current memory context (freed on end, error and cancel alike).
void AttachModifyCpp(KintoneModifyState *st);
// ReadRow, finishing a write in flight first when the row cannot be converted.
void ReadRowSettling(KintoneModifyState *st, TupleTableSlot *slot);
// Queues (or, row by row, sends) the current row. C++ phase inside.
void QueueRow(KintoneModifyState *st, const char *id, const char *revision);
// Sends what is queued and waits for the write in flight.
void FinishWrites(KintoneModifyState *st);
// The statement ended normally: FinishWrites, then frees the C++ state.
void EndModify(KintoneModifyState *st);

// --- upsert.cpp ---
// The table option upsert_key of an INSERT: "" when the statement plainly inserts. C++ phase.
std::string UpsertKeyOption(const RawTable &raw);
// Makes the statement an upsert by the field `key`: finds and checks its column among the
// send columns (st->upsert_col), readies the writer and the key set. C++ phase (throws).
void StartUpsert(KintoneModifyState *st, ModifyCpp &cpp, const TableDef &def, const std::string &key);
// PostgreSQL phase, after the row was read: refuses a NULL or empty key, and a key the
// statement gave before (SQLSTATE 23502 / 23505), before anything of it is sent.
void CheckUpsertKey(KintoneModifyState *st);
// The NOTICE of a finished upsert: how many records Kintone added and updated.
void ReportUpsert(KintoneModifyState *st, long long inserted, long long updated);

// --- returning.cpp ---
// The read-back of the RETURNING columns fetch_attrs (values Kintone fills: not $id and
// $revision, which its answer gives), or nullptr when there is none to read.
RowFetch *BeginReturning(KintoneModifyState *st, RawTable *raw, List *fetch_attrs);
// The row just sent alone, as RETURNING shows it.
TupleTableSlot *StoreReturning(KintoneModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot);

// --- xact_writes.cpp ---
// Registers the transaction callbacks (once per backend; PostgreSQL phase).
void EnsureWriteCallbacks();
// A statement begins writing (its writer exists; C++ phase) / has finished or was aborted.
void StatementWritesBegin(KintoneModifyState *st, const TableDef &def);
void StatementWritesEnd(ModifyCpp *cpp, bool aborted) noexcept;

} // namespace kintone_fdw
