// Executor callbacks: stream Kintone pages into tuples, EXPLAIN, rescans.
//
// The C++ scan state (pager, record reader) is owned by a reset callback on the executor's
// memory context, so normal end, error and cancel all free it (and delete a live cursor)
// the same way; EndForeignScan frees it early. Rows are converted in the per-tuple context.
#include "pg/scan.hpp"

#include "kintone/error.hpp"
#include "kintone/pager.hpp"
#include "kintone/record_reader.hpp"
#include "pg/connection.hpp"
#include "pg/convert.hpp"
#include "pg/deparse.hpp"
#include "pg/guard.hpp"
#include "pg/planner.hpp"
#include "pg/table.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/sampling.h"
}

#include <memory>

namespace kintone_fdw {

namespace {

// C++ part of a scan.
struct ScanCpp {
	kintone::Session *session = nullptr;
	kintone::CursorBudget *budget = nullptr;
	kintone::ScanRequest request;
	std::unique_ptr<kintone::RecordReader> reader;
	std::unique_ptr<kintone::Pager> pager;
	long requests = 0; // of finished pagers (rescans)
	long long records = 0;
	long long bytes = 0; // of finished pagers (rescans)
	long long count = -1;
};

void DeleteScanCpp(void *arg) noexcept {
	delete static_cast<ScanCpp *>(arg);
}

// PostgreSQL-side scan state (palloc'd in the executor's context).
struct KintoneScanState {
	ScanCpp *cpp; // owned by the memory context callback
	MemoryContextCallback callback;
	List *priv;
	List *param_states; // ExprState per fdw_exprs item
	int nconv;
	ColumnConv *conv;
	int id_column; // reader column holding "$id" (for error messages), -1 if none
	bool count_only;
	bool started;
	bool done;
	bool returned_count;
	size_t row;
	char *condition;  // the filled condition of the current execution
	Datum batch_keys; // a batched join's keys for the next execution (SetScanBatchKeys)
	bool has_batch_keys;
	// error context
	const ColumnConv *current_column;
};

void ConversionErrorContext(void *arg) {
	KintoneScanState *st = static_cast<KintoneScanState *>(arg);
	if (st->current_column != nullptr) {
		// The record id is read only here, when an error needs it, not for every row.
		std::string_view id;
		if (st->id_column >= 0 && st->cpp != nullptr && st->cpp->reader) {
			const kintone::Cell &cell = st->cpp->reader->cell(st->row, st->id_column);
			if (!cell.is_null) {
				id = cell.text;
			}
		}
		if (id.empty()) {
			id = "(unknown)";
		}
		errcontext("column \"%s\" of Kintone record %.*s", st->current_column->name, static_cast<int>(id.size()),
		           id.data());
	}
}

// Fills the slot from reader row st->row. PostgreSQL phase: may ereport (bad values), so no
// C++ object with a destructor lives here; the reader is reached through a raw pointer.
// Converts the retrieved columns of reader row st->row into values/isnull (convert.cpp);
// other entries are left alone.
void FillColumns(KintoneScanState *st, Datum *values, bool *isnull) {
	ConvertRow(st->conv, st->nconv, *st->cpp->reader, st->row, values, isnull, &st->current_column);
}

void FillValues(KintoneScanState *st, int natts, Datum *values, bool *isnull) {
	for (int i = 0; i < natts; ++i) {
		values[i] = (Datum)0;
		isnull[i] = true;
	}
	FillColumns(st, values, isnull);
}

void StoreRow(KintoneScanState *st, TupleTableSlot *slot) {
	ExecClearTuple(slot);
	FillValues(st, slot->tts_tupleDescriptor->natts, slot->tts_values, slot->tts_isnull);
	ExecStoreVirtualTuple(slot);
}

// The scan's C++ state, owned by the current memory context: its reset callback deletes it on
// normal end, error and cancel alike (PostgreSQL phase).
void AttachScanCpp(KintoneScanState *st) {
	st->callback.func = DeleteScanCpp;
	st->cpp = Guard([&]() { return new ScanCpp(); });
	st->callback.arg = st->cpp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->callback);
}

// Points the request at the table's app and the session of its user mapping (C++ phase).
TableDef BindTable(ScanCpp &cpp, const RawTable &raw) {
	TableDef def = MakeTableDef(raw);
	cpp.session = &GetSession(def.conn);
	cpp.request.app = def.app;
	cpp.request.guest_space_id = def.guest_space_id;
	return def;
}

// Requests the fields of the converted columns (codes[i] feeds conversion i) and makes the
// reader, with a hidden "$id" column when no column reads it (seek paging and error messages
// need it). C++ phase.
void SetUpReader(KintoneScanState *st, ScanCpp &cpp, const std::vector<std::string> &codes, bool need_id) {
	std::vector<kintone::ColumnRequest> columns;
	st->id_column = -1;
	for (size_t i = 0; i < codes.size(); ++i) {
		kintone::ColumnRequest req;
		req.field_code = codes[i];
		req.shape = static_cast<kintone::ColumnRequest::Shape>(st->conv[i].shape);
		if (req.field_code == "$id" && req.shape == kintone::ColumnRequest::Shape::kScalar) {
			st->id_column = static_cast<int>(i);
		}
		cpp.request.fields.push_back(req.field_code);
		columns.push_back(std::move(req));
	}
	if (st->id_column < 0 && need_id) {
		kintone::ColumnRequest id;
		id.field_code = "$id";
		st->id_column = static_cast<int>(columns.size());
		columns.push_back(id);
	}
	cpp.reader = std::make_unique<kintone::RecordReader>(std::move(columns));
}

// Evaluates parameters and fills the condition's placeholders (PostgreSQL phase). The work
// happens in the per-tuple context (a rescan per outer row or per batch must not pile up
// memory); only the result is allocated in the caller's context.
char *BuildCondition(KintoneScanState *st, ExprContext *econtext) {
	const char *templ = strVal(list_nth(st->priv, kPlanCondition));
	List *leaves = static_cast<List *>(list_nth(st->priv, kPlanParamLeaves));
	int n = list_length(st->param_states);
	int nleaves = list_length(leaves);
	if (nleaves == 0) {
		return pstrdup(templ);
	}
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	char **texts = static_cast<char **>(palloc(sizeof(char *) * nleaves));
	for (int i = 0; i < n; ++i) {
		ExprState *es = static_cast<ExprState *>(list_nth(st->param_states, i));
		List *leaf = static_cast<List *>(list_nth(leaves, i));
		bool is_null;
		Datum value = ExecEvalExpr(es, econtext, &is_null);
		StringInfoData buf;
		initStringInfo(&buf);
		if (is_null) {
			// A comparison with NULL is never true; negations were moved into the leaves, so the
			// leaf can be false in Kintone too (and a nested-loop rescan then fetches nothing).
			appendStringInfoString(&buf, kAlwaysFalse);
		} else if (!FormatLeaf(strVal(linitial(leaf)), static_cast<kintone::FieldType>(intVal(lsecond(leaf))),
		                       strVal(lthird(leaf)), value, static_cast<Oid>(intVal(lfourth(leaf))), false, &buf)) {
			if (strstr(strVal(lthird(leaf)), "like") != nullptr) {
				// kintone_like(): Kintone's word search has no local re-check to fall back on.
				ereport(ERROR, (errcode(ERRCODE_FDW_INVALID_STRING_FORMAT),
				                errmsg("kintone_like(): the words cannot be sent to Kintone"),
				                errdetail("A Kintone query string cannot hold control characters other than tab, "
				                          "newline and carriage return.")));
			}
			// Not writable exactly in Kintone: a leaf that is always true (a superset, re-checked).
			resetStringInfo(&buf);
			appendStringInfoString(&buf, kAlwaysTrue);
		}
		texts[i] = buf.data;
	}
	if (nleaves > n) {
		// A batched join's keys: "code in (k1, …)"; a key that cannot be written exactly makes
		// the leaf always true (a superset: the join re-checks every row).
		List *leaf = static_cast<List *>(list_nth(leaves, n));
		StringInfoData buf;
		initStringInfo(&buf);
		if (!st->has_batch_keys) {
			appendStringInfoString(&buf, kAlwaysFalse);
		} else if (!FormatInLeaf(strVal(linitial(leaf)), static_cast<kintone::FieldType>(intVal(lsecond(leaf))),
		                         st->batch_keys, static_cast<Oid>(intVal(lfourth(leaf))), &buf)) {
			resetStringInfo(&buf);
			appendStringInfoString(&buf, kAlwaysTrue);
		}
		texts[n] = buf.data;
	}
	char *filled = FillPlaceholders(templ, texts, nleaves);
	MemoryContextSwitchTo(old);
	return pstrdup(filled);
}

long long PrivInt64(List *priv, int index) {
	return strtoll(strVal(list_nth(priv, index)), nullptr, 10);
}

} // namespace

void SetScanBatchKeys(ForeignScanState *node, Datum keys) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	st->batch_keys = keys;
	st->has_batch_keys = true;
}

extern "C" void kintoneBeginForeignScan(ForeignScanState *node, int eflags) {
	ForeignScan *fsplan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
	EState *estate = node->ss.ps.state;
	KintoneScanState *st = static_cast<KintoneScanState *>(palloc0(sizeof(KintoneScanState)));
	node->fdw_state = st;
	st->priv = fsplan->fdw_private;
	st->count_only = intVal(list_nth(st->priv, kPlanCountOnly)) != 0;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY) {
		return; // plain EXPLAIN: no connection, no request
	}

	int rtindex =
	    fsplan->scan.scanrelid > 0 ? static_cast<int>(fsplan->scan.scanrelid) : bms_next_member(fsplan->fs_relids, -1);
	RangeTblEntry *rte = exec_rt_fetch(rtindex, estate);
	Oid userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	RawTable *raw = ReadRawTable(rte->relid, userid);

	st->param_states = ExecInitExprList(fsplan->fdw_exprs, reinterpret_cast<PlanState *>(node));

	// Column conversions, in the order of the requested fields.
	List *attrs = static_cast<List *>(list_nth(st->priv, kPlanAttrs));
	st->nconv = list_length(attrs);
	st->conv = static_cast<ColumnConv *>(palloc0(sizeof(ColumnConv) * (st->nconv + 1)));
	TupleDesc desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	ListCell *cell;
	int i = 0;
	foreach (cell, attrs) {
		int attnum = lfirst_int(cell);
		ColumnConv &c = st->conv[i];
		// Base scans fill the table's row; upper scans (scanrelid 0) fill their own tlist in order.
		c.attnum = fsplan->scan.scanrelid > 0 ? attnum : i + 1;
		Form_pg_attribute att = TupleDescAttr(desc, c.attnum - 1);
		InitColumnConv(c, c.attnum, raw->columns[attnum - 1].name, att->atttypid, att->atttypmod);
		++i;
	}

	AttachScanCpp(st);

	List *fields = static_cast<List *>(list_nth(st->priv, kPlanFields));
	Guard([&]() {
		ScanCpp &cpp = *st->cpp;
		TableDef def = BindTable(cpp, *raw);
		cpp.budget = &GetCursorBudget(def.conn.max_cursors);
		cpp.request.order_by = strVal(list_nth(st->priv, kPlanOrderBy));
		cpp.request.strategy = static_cast<kintone::PagingStrategy>(intVal(list_nth(st->priv, kPlanStrategy)));
		long long limit = PrivInt64(st->priv, kPlanLimit);
		if (limit >= 0) {
			cpp.request.limit = limit;
		}
		cpp.request.offset = PrivInt64(st->priv, kPlanOffset);
		std::vector<std::string> codes;
		ListCell *fc;
		foreach (fc, fields) {
			codes.emplace_back(strVal(lfirst(fc)));
		}
		SetUpReader(st, cpp, codes, !st->count_only);
	});
}

extern "C" TupleTableSlot *kintoneIterateForeignScan(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	if (!st->started) {
		// The condition outlives this tuple: EXPLAIN ANALYZE shows it after the scan.
		MemoryContext old = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
		if (st->condition != nullptr) {
			pfree(st->condition); // the previous execution's (rescans)
		}
		st->condition = BuildCondition(st, node->ss.ps.ps_ExprContext);
		MemoryContextSwitchTo(old);
		const char *condition = st->condition;
		Guard([&]() {
			ScanCpp &cpp = *st->cpp;
			cpp.request.condition = condition;
			if (st->count_only) {
				cpp.count = kintone::CountRecords(*cpp.session, cpp.request.app, cpp.request.condition,
				                                  cpp.request.guest_space_id);
				cpp.requests += 1;
			} else {
				cpp.pager = std::make_unique<kintone::Pager>(*cpp.session, cpp.request, cpp.budget);
			}
		});
		st->started = true;
		st->row = 0;
	}
	if (st->count_only) {
		ExecClearTuple(slot);
		if (st->returned_count) {
			return slot;
		}
		st->returned_count = true;
		slot->tts_values[0] = Int64GetDatum(st->cpp->count);
		slot->tts_isnull[0] = false;
		ExecStoreVirtualTuple(slot);
		return slot;
	}
	while (st->done || st->row >= st->cpp->reader->rows()) {
		if (st->done) {
			return ExecClearTuple(slot);
		}
		bool more = Guard([&]() { return st->cpp->pager->Next(*st->cpp->reader); });
		CHECK_FOR_INTERRUPTS();
		st->row = 0;
		if (!more) {
			st->done = true;
		}
	}
	if ((st->row & 31) == 0 && st->cpp->pager) {
		st->cpp->pager->Pump(); // keep the next page downloading while rows are converted
	}
	ErrorContextCallback errcallback;
	errcallback.callback = ConversionErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	StoreRow(st, slot);
	error_context_stack = errcallback.previous;
	st->row++;
	return slot;
}

extern "C" void kintoneReScanForeignScan(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	if (st->cpp == nullptr) {
		return;
	}
	Guard([&]() {
		ScanCpp &cpp = *st->cpp;
		if (cpp.pager) {
			cpp.requests += cpp.pager->requests();
			cpp.records += cpp.pager->records();
			cpp.bytes += cpp.pager->bytes();
			cpp.pager.reset(); // deletes a live cursor
		}
		cpp.reader->Truncate(0); // the previous execution's page must not be served again
	});
	st->started = false;
	st->done = false;
	st->returned_count = false;
	st->row = 0;
}

extern "C" void kintoneEndForeignScan(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	if (st == nullptr || st->cpp == nullptr) {
		return;
	}
	// Free early (the memory-context callback then has nothing left to do).
	ScanCpp *cpp = st->cpp;
	st->cpp = nullptr;
	st->callback.arg = nullptr;
	Guard([&]() { delete cpp; });
}

extern "C" void kintoneExplainForeignScan(ForeignScanState *node, ExplainState *es) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	List *priv = st->priv;
	if (es->verbose) {
		ExplainPropertyText("Kintone app", strVal(list_nth(priv, kPlanApp)), es);
		long long guest = PrivInt64(priv, kPlanGuest);
		if (guest > 0) {
			ExplainPropertyInteger("Kintone guest space", nullptr, guest, es);
		}
		bool count_only = intVal(list_nth(priv, kPlanCountOnly)) != 0;
		const char *templ = st->condition != nullptr ? st->condition : strVal(list_nth(priv, kPlanCondition));
		// Conditions on values known only at execution are shown as "code op $1", …
		List *leaves = static_cast<List *>(list_nth(priv, kPlanParamLeaves));
		StringInfoData cond;
		initStringInfo(&cond);
		for (const char *p = templ; *p != '\0'; ++p) {
			if (*p == '\x01') {
				int index = atoi(p + 1);
				List *leaf = static_cast<List *>(list_nth(leaves, index));
				if (strcmp(strVal(lthird(leaf)), "in") == 0) {
					appendStringInfo(&cond, "%s in ($keys)", strVal(linitial(leaf))); // a batched join's keys
				} else {
					appendStringInfo(&cond, "%s %s $%d", strVal(linitial(leaf)), strVal(lthird(leaf)), index + 1);
				}
				p = strchr(p + 1, '\x01');
			} else {
				appendStringInfoChar(&cond, *p);
			}
		}
		char *query;
		if (count_only) {
			query = psprintf("%s%slimit 1", cond.data, cond.len > 0 ? " " : "");
			ExplainPropertyText("Kintone query", query, es);
			ExplainPropertyText("Kintone request", "count (totalCount)", es);
		} else {
			const char *fields_text = "";
			StringInfoData fields;
			initStringInfo(&fields);
			ListCell *cell;
			foreach (cell, static_cast<List *>(list_nth(priv, kPlanFields))) {
				appendStringInfo(&fields, "%s%s", fields.len > 0 ? ", " : "", strVal(lfirst(cell)));
			}
			fields_text = fields.data;
			kintone::PagingStrategy strategy =
			    static_cast<kintone::PagingStrategy>(intVal(list_nth(priv, kPlanStrategy)));
			const char *order_by = strVal(list_nth(priv, kPlanOrderBy));
			long long limit = PrivInt64(priv, kPlanLimit);
			long long offset = PrivInt64(priv, kPlanOffset);
			// Built in C++ into malloc'd memory (no destructor outlives the guard), then copied.
			char *first = Guard([&]() {
				kintone::ScanRequest request;
				request.condition = cond.data;
				request.order_by = order_by;
				if (limit >= 0) {
					request.limit = limit;
				}
				request.offset = offset;
				request.strategy = strategy;
				return MallocCopy(kintone::Pager::FirstQuery(request));
			});
			char *query_text = TakeMalloced(first);
			ExplainPropertyText("Kintone query", query_text, es);
			ExplainPropertyText("Kintone fields", fields_text, es);
			ExplainPropertyText("Kintone paging", kintone::PagingStrategyName(strategy), es);
		}
	}
	if (es->analyze && st->cpp != nullptr) {
		ScanCpp &cpp = *st->cpp;
		long requests = cpp.requests + (cpp.pager ? cpp.pager->requests() : 0);
		long long records = cpp.records + (cpp.pager ? cpp.pager->records() : 0);
		ExplainPropertyInteger("Kintone requests", nullptr, requests, es);
		ExplainPropertyInteger("Kintone records", nullptr, records, es);
		long long bytes = cpp.bytes + (cpp.pager ? cpp.pager->bytes() : 0);
		ExplainPropertyInteger("Kintone bytes", nullptr, bytes, es);
	}
}

struct RowFetch {
	KintoneScanState *st;
	long requests;
};

RowFetch *BeginRowFetch(RawTable *raw, TupleDesc desc, List *attnums) {
	RowFetch *fetch = static_cast<RowFetch *>(palloc0(sizeof(RowFetch)));
	KintoneScanState *st = static_cast<KintoneScanState *>(palloc0(sizeof(KintoneScanState)));
	fetch->st = st;
	st->nconv = list_length(attnums);
	st->conv = static_cast<ColumnConv *>(palloc0(sizeof(ColumnConv) * (st->nconv + 1)));
	ListCell *cell;
	int i = 0;
	foreach (cell, attnums) {
		int attnum = lfirst_int(cell);
		Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
		InitColumnConv(st->conv[i++], attnum, raw->columns[attnum - 1].name, att->atttypid, att->atttypmod);
	}
	AttachScanCpp(st);
	Guard([&]() {
		ScanCpp &cpp = *st->cpp;
		TableDef def = BindTable(cpp, *raw);
		std::vector<std::string> codes;
		for (int c = 0; c < st->nconv; ++c) {
			codes.push_back(def.column(st->conv[c].attnum).field_code);
		}
		SetUpReader(st, cpp, codes, true);
	});
	return fetch;
}

void FetchRowValues(RowFetch *fetch, const char *id, Datum *values, bool *isnull) {
	KintoneScanState *st = fetch->st;
	size_t rows = Guard([&]() {
		ScanCpp &cpp = *st->cpp;
		kintone::Json params = {{"app", cpp.request.app}, {"query", std::string("$id = \"") + id + "\""}};
		params["fields"] = cpp.request.fields;
		params["fields"].push_back("$id");
		const std::string &body = cpp.session->GetRaw("records.json", params, cpp.request.guest_space_id);
		cpp.reader->Parse(body);
		return cpp.reader->rows();
	});
	fetch->requests++;
	CHECK_FOR_INTERRUPTS();
	if (rows != 1) {
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR), errmsg("Kintone record %s was not found after it was written", id),
		                errhint("Another client may have deleted it meanwhile.")));
	}
	st->row = 0;
	ErrorContextCallback errcallback;
	errcallback.callback = ConversionErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	FillColumns(st, values, isnull);
	error_context_stack = errcallback.previous;
}

long RowFetchRequests(const RowFetch *fetch) {
	return fetch == nullptr ? 0 : fetch->requests;
}

// ANALYZE: reads every record once (seek paging, all columns) and keeps a reservoir sample
// of targrows rows, as postgres_fdw does, so that the planner gets real statistics.
extern "C" int kintoneAcquireSampleRows(Relation relation, int elevel, HeapTuple *rows, int targrows, double *totalrows,
                                        double *totaldeadrows) {
	Oid relid = RelationGetRelid(relation);
	RawTable *raw = ReadRawTable(relid, GetUserId());
	TupleDesc desc = RelationGetDescr(relation);

	KintoneScanState *st = static_cast<KintoneScanState *>(palloc0(sizeof(KintoneScanState)));
	st->conv = static_cast<ColumnConv *>(palloc0(sizeof(ColumnConv) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped) {
			continue;
		}
		InitColumnConv(st->conv[st->nconv++], i + 1, raw->columns[i].name, att->atttypid, att->atttypmod);
	}
	AttachScanCpp(st);

	Guard([&]() {
		ScanCpp &cpp = *st->cpp;
		TableDef def = BindTable(cpp, *raw);
		cpp.request.strategy = kintone::PagingStrategy::kSeek;
		std::vector<std::string> codes;
		for (int i = 0; i < st->nconv; ++i) {
			codes.push_back(def.column(st->conv[i].attnum).field_code);
		}
		SetUpReader(st, cpp, codes, true);
		cpp.pager = std::make_unique<kintone::Pager>(*cpp.session, cpp.request, nullptr);
	});

	MemoryContext row_context =
	    AllocSetContextCreate(CurrentMemoryContext, "kintone_fdw analyze row", ALLOCSET_SMALL_SIZES);
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * desc->natts));
	bool *isnull = static_cast<bool *>(palloc(sizeof(bool) * desc->natts));
	ReservoirStateData reservoir;
	reservoir_init_selection_state(&reservoir, targrows);
	double samplerows = 0;
	double rowstoskip = -1;
	int numrows = 0;

	ErrorContextCallback errcallback;
	errcallback.callback = ConversionErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	for (;;) {
		bool more = Guard([&]() { return st->cpp->pager->Next(*st->cpp->reader); });
		if (!more) {
			break;
		}
		size_t page_rows = st->cpp->reader->rows();
		for (st->row = 0; st->row < page_rows; ++st->row) {
			int pos = -1;
			if (numrows < targrows) {
				pos = numrows++;
			} else {
				if (rowstoskip < 0) {
					rowstoskip = reservoir_get_next_S(&reservoir, samplerows, targrows);
				}
				if (rowstoskip <= 0) {
					pos = static_cast<int>(targrows * sampler_random_fract(&reservoir.randstate));
					heap_freetuple(rows[pos]);
				}
				rowstoskip -= 1;
			}
			samplerows += 1;
			if (pos >= 0) {
				MemoryContext old = MemoryContextSwitchTo(row_context);
				FillValues(st, desc->natts, values, isnull);
				MemoryContextSwitchTo(old);
				rows[pos] = heap_form_tuple(desc, values, isnull);
				MemoryContextReset(row_context);
			}
		}
		CHECK_FOR_INTERRUPTS();
	}
	error_context_stack = errcallback.previous;

	*totalrows = samplerows;
	*totaldeadrows = 0;
	ereport(elevel, (errmsg("\"%s\": Kintone app has %.0f records; %d rows in sample",
	                        RelationGetRelationName(relation), samplerows, numrows)));
	return numrows;
}

extern "C" bool kintoneAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages) {
	(void)relation;
	*func = kintoneAcquireSampleRows;
	*totalpages = 1;
	return true;
}

} // namespace kintone_fdw
