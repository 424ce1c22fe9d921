// Executor callbacks of INSERT, UPDATE, DELETE and COPY FROM on Kintone foreign tables (the
// write path's files are listed in modify_state.hpp; design notes in docs/writes.md).
//
// PostgreSQL hands the FDW one row at a time. Without RETURNING each row is converted at once
// (slots are transient) and queued in the statement's kintone::Writer, which sends 2,000
// records per request (one bulkRequest: all or nothing) when 2,000 are queued and when the
// statement's plan has run (ExecutorFinish, xact_writes.cpp); so a statement of up to 2,000
// rows is atomic. With RETURNING rows go one by one (returning.cpp).
//
// Row identity for UPDATE/DELETE is the column whose field code is "$id" (a junk column
// "kintone_id"); when the table has a "$revision" column its value read by the scan goes
// with the write, so a record changed meanwhile fails the statement with 40001.
//
// Phases as everywhere in the glue: the row's values are turned into plain C strings in a
// per-row memory context (PostgreSQL calls that may ereport, modify_rows.cpp), then the
// guarded C++ phase builds the Kintone JSON and queues or sends it (modify_send.cpp).
#include "pg/modify_state.hpp"

#include "pg/connection.hpp"
#include "pg/guard.hpp"
#include "pg/scan.hpp"
#include "pg/table.hpp"

extern "C" {
#include "executor/executor.h"
#include "parser/parsetree.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

namespace kintone_fdw {

namespace {

// Whose user mapping a write uses: the table's checkAsUser (a view's owner), else the caller.
Oid CheckAsUser(EState *estate, ResultRelInfo *rinfo) {
	Index rti = rinfo->ri_RangeTableIndex;
	if (rti == 0 && rinfo->ri_RootResultRelInfo != nullptr) {
		rti = rinfo->ri_RootResultRelInfo->ri_RangeTableIndex; // partition routing
	}
	if (rti == 0) {
		return GetUserId();
	}
	RangeTblEntry *rte = exec_rt_fetch(rti, estate);
	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

// What a statement asks for, from its plan (or from COPY / partition routing).
struct ModifyRequest {
	CmdType op;
	List *send_attrs;    // columns named by the statement (and INSERT's DEFAULT columns)
	List *trigger_attrs; // other columns a BEFORE ROW trigger may set
	List *return_attrs;  // columns RETURNING needs
	bool has_returning;
	bool reads_target;
	Plan *subplan; // UPDATE/DELETE: the scan that feeds the rows (junk columns)
	int eflags;
};

// Step 1 (PostgreSQL phase): the state, its send columns and their output functions.
KintoneModifyState *NewModifyState(EState *estate, Relation rel, const ModifyRequest &req) {
	TupleDesc desc = RelationGetDescr(rel);
	KintoneModifyState *st = static_cast<KintoneModifyState *>(palloc0(sizeof(KintoneModifyState)));
	st->op = req.op;
	st->rel = rel;
	st->upsert_col = -1;
	st->parent_col = st->row_id_col = st->row_index_col = -1;
	st->estate = estate;
	st->explain_only = (req.eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	st->per_row = req.has_returning;
	st->reads_target = req.reads_target;
	if (req.reads_target && req.has_returning) {
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("INSERT ... RETURNING into foreign table \"%s\" cannot read the Kintone app it writes",
		                       RelationGetRelationName(rel)),
		                errdetail("Rows inserted one by one would be read again by the statement's own scan."),
		                errhint("Leave out RETURNING, or copy the rows into a temporary table first.")));
	}
	st->nsend = list_length(req.send_attrs) + list_length(req.trigger_attrs);
	st->send = static_cast<SendCol *>(palloc0(sizeof(SendCol) * (st->nsend + 1)));
	st->cells = static_cast<kintone::FieldValue *>(palloc0(sizeof(kintone::FieldValue) * (st->nsend + 1)));
	st->seconds_dropped = static_cast<long long *>(palloc0(sizeof(long long) * (st->nsend + 1)));
	int i = 0;
	for (int by_trigger = 0; by_trigger <= 1; ++by_trigger) {
		ListCell *cell;
		foreach (cell, by_trigger ? req.trigger_attrs : req.send_attrs) {
			Form_pg_attribute att = TupleDescAttr(desc, lfirst_int(cell) - 1);
			SendCol &col = st->send[i++];
			col.attnum = att->attnum;
			col.name = pstrdup(NameStr(att->attname));
			col.by_trigger = by_trigger != 0;
			InitValueConv(col.conv, att->atttypid);
		}
	}
	return st;
}

// Step 2 (C++ phase): the table's definition, the session, the Kintone field type of every
// send column (refusing read-only ones before any request), the writer.
// fetch[r]: whether RETURNING column return_attnums[r] must be read back (not $id, $revision).
void StartStatement(KintoneModifyState *st, const RawTable &raw, const int *return_attnums, int nreturn, bool *fetch,
                    char **app_text, char **fields_text) {
	ModifyCpp &cpp = *st->cpp;
	TableDef def = MakeTableDef(raw);
	cpp.session = &GetSession(def.conn); // builds the session; no request
	std::string fields = ResolveSendColumns(st, cpp, def);
	for (const ColumnDef &col : def.columns) {
		if (col.dropped) {
			continue;
		}
		if (col.field_code == "$id" && st->id_attnum == 0) {
			st->id_attnum = col.attnum;
		} else if (col.field_code == "$revision" && st->rev_attnum == 0) {
			st->rev_attnum = col.attnum;
		}
	}
	for (int r = 0; r < nreturn; ++r) {
		const std::string &code = def.column(return_attnums[r]).field_code;
		fetch[r] = code != "$id" && code != "$revision";
	}
	std::string upsert_key = st->op == CMD_INSERT && def.subtable.empty() ? UpsertKeyOption(raw) : std::string();
	cpp.writer = std::make_unique<kintone::Writer>(*cpp.session, def.app, def.guest_space_id,
	                                               !def.subtable.empty() ? kintone::WriteKind::kUpdate
	                                               : upsert_key.empty()  ? WriteKindOf(st->op)
	                                                                     : kintone::WriteKind::kUpsert);
	if (!st->per_row && !st->reads_target && def.subtable.empty()) {
		// Chunks of 2,000 rows in flight together (writer.hpp; docs/concurrency.md, "Writes"),
		// an upsert's too once every key is checked (it sends all at its end). Not for rows sent
		// one by one (RETURNING), a statement that reads its own app (sends at its end after
		// its own scan), rows tables (read-modify-write of the parent records).
		cpp.writer->set_max_in_flight(def.max_concurrent_requests);
	}
	if (!upsert_key.empty()) {
		StartUpsert(st, cpp, def, upsert_key);
	}
	if (!def.subtable.empty()) {
		StartRowsWrite(st, cpp, def);
	}
	cpp.relname = def.relname;
	st->chunk = static_cast<long>(cpp.writer->chunk_size());
	if (!st->explain_only) {
		StatementWritesBegin(st, def);
	}
	*app_text = MallocCopy(std::to_string(def.app));
	*fields_text = MallocCopy(fields);
}

// Step 3 (PostgreSQL phase): UPDATE/DELETE read the record id (and revision, and for
// triggers or RETURNING the whole old row) from junk columns of the subplan.
void InitRowIdentity(KintoneModifyState *st, EState *estate, const ModifyRequest &req) {
	if (st->id_attnum > 0) {
		InitIdentityConv(&st->id_out, TupleDescAttr(RelationGetDescr(st->rel), st->id_attnum - 1)->atttypid);
	}
	if (st->rev_attnum > 0) {
		InitIdentityConv(&st->rev_out, TupleDescAttr(RelationGetDescr(st->rel), st->rev_attnum - 1)->atttypid);
	}
	if (req.subplan == nullptr || req.op == CMD_INSERT) {
		return;
	}
	st->id_junk = ExecFindJunkAttributeInTlist(req.subplan->targetlist, kIdJunk);
	if (!AttributeNumberIsValid(st->id_junk)) {
		elog(ERROR, "kintone_fdw: the row identity column \"%s\" is missing", kIdJunk);
	}
	st->rev_junk = ExecFindJunkAttributeInTlist(req.subplan->targetlist, kRevisionJunk);
	st->wholerow_junk = ExecFindJunkAttributeInTlist(req.subplan->targetlist, "wholerow");
	if (req.op == CMD_UPDATE && list_length(req.trigger_attrs) > 0 && AttributeNumberIsValid(st->wholerow_junk)) {
		st->old_row = ExecInitExtraTupleSlot(estate, RelationGetDescr(st->rel), &TTSOpsHeapTuple);
	}
}

KintoneModifyState *BeginModify(EState *estate, ResultRelInfo *rinfo, const ModifyRequest &req) {
	Relation rel = rinfo->ri_RelationDesc;
	KintoneModifyState *st = NewModifyState(estate, rel, req);
	RawTable *raw = ReadRawTable(RelationGetRelid(rel), CheckAsUser(estate, rinfo));
	int nreturn = list_length(req.return_attrs);
	int *return_attnums = static_cast<int *>(palloc0(sizeof(int) * (nreturn + 1)));
	bool *fetch = static_cast<bool *>(palloc0(sizeof(bool) * (nreturn + 1)));
	int r = 0;
	ListCell *cell;
	foreach (cell, req.return_attrs) {
		return_attnums[r++] = lfirst_int(cell);
	}
	EnsureWriteCallbacks();
	AttachModifyCpp(st);
	char *app_text = nullptr;
	char *fields_text = nullptr;
	Guard([&]() { StartStatement(st, *raw, return_attnums, nreturn, fetch, &app_text, &fields_text); });
	if (st->upsert_key != nullptr) {
		st->upsert_key = TakeMalloced(st->upsert_key);
	}
	st->app_text = TakeMalloced(app_text);
	st->fields_text = TakeMalloced(fields_text);
	if (st->rows_table) {
		if (req.has_returning) { // COPY and partition routing (the plan refuses RETURNING itself)
			ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
			                errmsg("RETURNING is not supported on foreign table \"%s\" of a subtable's rows",
			                       RelationGetRelationName(rel))));
		}
		InitRowsIdentity(st, estate, req.op == CMD_INSERT ? nullptr : req.subplan, list_length(req.trigger_attrs) > 0);
	} else {
		InitRowIdentity(st, estate, req);
	}
	if (req.has_returning) {
		List *fetch_attrs = NIL;
		for (r = 0; r < nreturn; ++r) {
			if (fetch[r]) {
				fetch_attrs = lappend_int(fetch_attrs, return_attnums[r]);
			}
		}
		st->fetch = BeginReturning(st, raw, fetch_attrs);
	}
	st->row_cxt = AllocSetContextCreate(CurrentMemoryContext, "kintone_fdw modify row", ALLOCSET_DEFAULT_SIZES);
	return st;
}

// The text of a junk column of planSlot (NULL when absent or NULL).
char *JunkText(TupleTableSlot *planSlot, AttrNumber attno, FmgrInfo *out) {
	if (!AttributeNumberIsValid(attno)) {
		return nullptr;
	}
	bool isnull;
	Datum d = ExecGetJunkAttribute(planSlot, attno, &isnull);
	return isnull ? nullptr : IdentityText(out, d);
}

TupleTableSlot *ExecRow(KintoneModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot) {
	if (st->rows_table) {
		return QueueRowChange(st, slot, planSlot) ? slot : nullptr;
	}
	MemoryContextReset(st->row_cxt);
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);
	st->row++;
	char *id = nullptr;
	char *revision = nullptr;
	if (st->op != CMD_INSERT) {
		id = JunkText(planSlot, st->id_junk, &st->id_out);
		if (id == nullptr) {
			ereport(ERROR, (errcode(ERRCODE_FDW_ERROR), errmsg("the Kintone record id of the row is NULL")));
		}
		revision = JunkText(planSlot, st->rev_junk, &st->rev_out);
		bool first_time = Guard([&]() { return st->cpp->written_ids.insert(id).second; });
		if (!first_time) {
			st->row--; // rows are numbered as the writer counts them
			MemoryContextSwitchTo(old);
			return nullptr; // already updated or deleted by this statement: not again
		}
	}
	if (st->old_row != nullptr) {
		LoadOldRow(st, planSlot);
	}
	if (st->op != CMD_DELETE) {
		ReadRowSettling(st, slot);
	}
	if (st->upsert_col >= 0) {
		CheckUpsertKey(st);
	}
	QueueRow(st, id, revision);
	if (st->per_row) {
		slot = StoreReturning(st, slot, planSlot);
	}
	MemoryContextSwitchTo(old);
	return slot;
}

} // namespace

extern "C" void kintoneBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
                                          int subplan_index, int eflags) {
	(void)subplan_index;
	ModifyRequest req;
	req.op = mtstate->operation;
	req.send_attrs = static_cast<List *>(list_nth(fdw_private, kModSendAttrs));
	req.trigger_attrs = static_cast<List *>(list_nth(fdw_private, kModTriggerAttrs));
	req.return_attrs = static_cast<List *>(list_nth(fdw_private, kModReturnAttrs));
	req.has_returning = intVal(list_nth(fdw_private, kModHasReturning)) != 0;
	req.reads_target = intVal(list_nth(fdw_private, kModReadsTarget)) != 0;
	req.subplan = outerPlanState(mtstate)->plan;
	req.eflags = eflags;
	rinfo->ri_FdwState = BeginModify(mtstate->ps.state, rinfo, req);
}

extern "C" void kintoneBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo) {
	EState *estate = mtstate->ps.state;
	Relation rel = rinfo->ri_RelationDesc;
	ModifyRequest req;
	req.op = CMD_INSERT;
	req.send_attrs = AttnumList(rel, ExecGetInsertedCols(rinfo, estate), true);
	req.trigger_attrs = TriggerAttrs(rel, CMD_INSERT, req.send_attrs);
	req.has_returning = rinfo->ri_returningList != NIL;
	req.return_attrs =
	    req.has_returning ? AttnumList(rel, bms_make_singleton(0 - FirstLowInvalidHeapAttributeNumber), false) : NIL;
	req.reads_target = false;
	req.subplan = nullptr;
	req.eflags = 0;
	rinfo->ri_FdwState = BeginModify(estate, rinfo, req);
}

extern "C" TupleTableSlot *kintoneExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                                    TupleTableSlot *planSlot) {
	(void)estate;
	return ExecRow(static_cast<KintoneModifyState *>(rinfo->ri_FdwState), slot, planSlot);
}

extern "C" TupleTableSlot *kintoneExecForeignUpdate(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                                    TupleTableSlot *planSlot) {
	(void)estate;
	return ExecRow(static_cast<KintoneModifyState *>(rinfo->ri_FdwState), slot, planSlot);
}

extern "C" TupleTableSlot *kintoneExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                                    TupleTableSlot *planSlot) {
	(void)estate;
	return ExecRow(static_cast<KintoneModifyState *>(rinfo->ri_FdwState), slot, planSlot);
}

extern "C" void kintoneEndForeignModify(EState *estate, ResultRelInfo *rinfo) {
	(void)estate;
	EndModify(static_cast<KintoneModifyState *>(rinfo->ri_FdwState));
}

extern "C" void kintoneEndForeignInsert(EState *estate, ResultRelInfo *rinfo) {
	(void)estate;
	EndModify(static_cast<KintoneModifyState *>(rinfo->ri_FdwState));
}

extern "C" void kintoneExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
                                            int subplan_index, ExplainState *es) {
	(void)mtstate;
	(void)fdw_private;
	(void)subplan_index;
	KintoneModifyState *st = static_cast<KintoneModifyState *>(rinfo->ri_FdwState);
	if (st == nullptr) {
		return;
	}
	ExplainPropertyText("Kintone app", st->app_text, es);
	const char *batching =
	    st->rows_table
	        ? (st->chunk > 100 ? "one record update per parent record, up to 2000 records per request (bulkRequest of "
	                             "100-record calls, all or nothing), sent when the statement has read every row"
	                           : "one record update per parent record, 100 records per request (no bulkRequest: "
	                             "atomic per 100 records only), sent when the statement has read every row")
	    : st->per_row         ? "one request per row (RETURNING): not batched, not atomic"
	    : st->upsert_col >= 0 ? (st->chunk > 100 ? "up to 2000 records per request (bulkRequest of 100-record calls, "
	                                               "all or nothing), sent when every key of the statement is checked"
	                                             : "100 records per request (no bulkRequest: atomic per 100 records "
	                                               "only), sent when every key of the statement is checked")
	    : st->reads_target ? "up to 2000 records per request, sent when the statement's scan of the same app has ended"
	    : st->chunk > 100  ? "up to 2000 records per request (bulkRequest of 100-record calls, all or nothing)"
	                       : "100 records per request (no bulkRequest: atomic per 100 records only)";
	ExplainPropertyText("Kintone batching", batching, es);
	if (st->upsert_col >= 0) {
		ExplainPropertyText("Kintone upsert key", st->upsert_key, es);
	}
	if (es->verbose) {
		if (st->op != CMD_DELETE) {
			ExplainPropertyText("Kintone fields", st->fields_text, es);
		}
		if (st->op != CMD_INSERT) {
			ExplainPropertyText("Kintone row identity",
			                    st->rows_table       ? "$id, $row_id, the parent's $revision as read"
			                    : st->rev_attnum > 0 ? "$id, $revision"
			                                         : "$id",
			                    es);
		}
	}
	if (es->analyze && st->cpp != nullptr && st->cpp->writer) {
		// The statement's writes were finished in ExecutorFinish, inside the timed window
		// (xact_writes.cpp), so these figures are final: they count the last chunk. (Should
		// another module's executor hook not call ours, what is left is sent now.)
		FinishWrites(st);
		long requests = st->cpp->writer->requests() + RowFetchRequests(st->fetch) + st->cpp->parent_reads;
		long long written = st->cpp->writer->written();
		ExplainPropertyInteger("Kintone requests", nullptr, requests, es);
		ExplainPropertyInteger("Kintone records written", nullptr, written, es);
		if (st->upsert_col >= 0) {
			ExplainPropertyInteger("Kintone records inserted", nullptr, st->cpp->writer->upsert_inserted(), es);
			ExplainPropertyInteger("Kintone records updated", nullptr, st->cpp->writer->upsert_updated(), es);
		}
	}
}

} // namespace kintone_fdw
