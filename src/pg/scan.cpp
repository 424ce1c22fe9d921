// Executor callbacks: stream Kintone pages into tuples, EXPLAIN, rescans.
//
// The C++ scan state (pager, record reader) is owned by a reset callback on the executor's
// memory context, so normal end, error and cancel all free it (and delete a live cursor)
// the same way; EndForeignScan frees it early. Rows are converted in the per-tuple context.
#include "pg/scan.hpp"

#include "kintone/error.hpp"
#include "kintone/messages.hpp"
#include "kintone/pager.hpp"
#include "kintone/pushdown.hpp"
#include "kintone/record_reader.hpp"
#include "pg/async.hpp"
#include "kintone/subtable.hpp"
#include "pg/connection.hpp"
#include "pg/convert.hpp"
#include "pg/deparse.hpp"
#include "pg/guard.hpp"
#include "pg/plan_tree.hpp"
#include "pg/planner.hpp"
#include "pg/table.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "commands/defrem.h"
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

// A column of the table as the plan names it (kPlanColumns), for messages.
struct NamedColumn {
	int attnum;
	std::string name;
	std::string code;
};

// C++ part of a scan.
struct ScanCpp {
	kintone::Session *session = nullptr;
	kintone::CursorBudget *budget = nullptr;
	ConnectionParams conn;
	Oid relid = InvalidOid;
	std::string relname;
	std::vector<NamedColumn> columns;       // every column with a field code
	kintone::Condition condition;           // the plan's condition, slots unbound
	kintone::Condition bound;               // the condition of this execution
	bool first_page = true;                 // no page of this execution read yet
	bool can_widen = false;                 // a base scan, whose exact conditions can be re-checked
	bool widened = false;                   // this execution re-checks them (Kintone refused an option)
	bool condition_changed = false;         // request.condition changed since the glue copied it
	std::vector<std::string> recheck_codes; // fields a widened condition's re-check needs
	std::vector<kintone::SortKey> order_by;
	// Per converted column: its field was seen in a page, or the form confirmed it (Kintone
	// leaves out unknown field codes, which would otherwise read as NULL).
	std::vector<char> confirmed;
	size_t unconfirmed = 0;
	kintone::ScanRequest request;
	std::unique_ptr<kintone::RecordReader> reader;
	// A session of the scan's own under asynchronous execution (async.cpp); it outlives the pager.
	SessionLease lease;
	std::unique_ptr<kintone::Pager> pager;
	// A table of a subtable's rows (subtable.hpp): reader reads the records' "$id" and the
	// subtable, rows reads the rows of reader's record `record` (valid when rows_ready); the
	// conversions read rows.
	std::string subtable;
	std::unique_ptr<kintone::RecordReader> rows;
	// A join of the parent records with their rows (planner.hpp, kPlanJoinRelations): reader's
	// first columns are the parent's fields, then "$id" and the subtable from table_column on.
	size_t table_column = 0;
	std::vector<std::string> parent_codes;
	size_t record = 0;
	bool rows_ready = false;
	long requests = 0; // of finished pagers (rescans)
	int in_flight = 1; // the most requests a pager of this scan had in flight at once
	long long records = 0;
	long long bytes = 0; // of finished pagers (rescans)
	long long count = -1;

	// Where the pages are read: the leased session, else the user mapping's.
	kintone::Session &PageSession() { return lease ? *lease.get() : *session; }
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
	ExprState *recheck; // the pushed exact conditions (fdw_recheck_quals), base scans
	Oid *param_types;   // their types
	int nconv;          // conversions in use: the retrieved columns
	int nconv_recheck;  // and after them, the columns a widened condition's re-check needs
	ColumnConv *conv;
	int nparent;             // a join's parent columns (filled from reader's record cpp->record)
	ColumnConv *parent_conv; // their conversions, reader columns 0 .. nparent - 1
	int id_column;           // reader column holding "$id" (for error messages), -1 if none
	bool count_only;
	bool async; // run under an asynchronous Append (async.cpp): never waits for a page
	bool early; // the first page is requested at executor start, through a leased session
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
		if (st->cpp != nullptr && !st->cpp->subtable.empty() && st->cpp->reader &&
		    st->cpp->record < st->cpp->reader->rows()) {
			const kintone::Cell &cell = st->cpp->reader->cell(st->cpp->record, st->cpp->table_column);
			if (!cell.is_null) {
				id = cell.text;
			}
		} else if (st->id_column >= 0 && st->cpp != nullptr && st->cpp->reader) {
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
	const kintone::RecordReader &reader = st->cpp->subtable.empty() ? *st->cpp->reader : *st->cpp->rows;
	ConvertRow(st->conv, st->nconv, reader, st->row, values, isnull, &st->current_column);
	if (st->nparent > 0) {
		ConvertRow(st->parent_conv, st->nparent, *st->cpp->reader, st->cpp->record, values, isnull,
		           &st->current_column);
	}
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
	if (!st->cpp->subtable.empty()) {
		const kintone::Cell &rev = st->cpp->reader->cell(st->cpp->record, st->cpp->table_column + 2);
		long long revision = 0;
		if (!rev.is_null) {
			for (char c : rev.text) {
				if (c < '0' || c > '9' || revision > (1LL << 40)) {
					revision = 0;
					break;
				}
				revision = revision * 10 + (c - '0');
			}
		}
		RevisionToTid(revision, &slot->tts_tid); // 0: not known (an UPDATE or DELETE refuses it)
	}
}

// The scan's C++ state, owned by the current memory context: its reset callback deletes it on
// normal end, error and cancel alike (PostgreSQL phase).
void AttachScanCpp(KintoneScanState *st) {
	st->callback.func = DeleteScanCpp;
	st->cpp = Guard([&]() { return new ScanCpp(); });
	st->callback.arg = st->cpp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->callback);
}

// Points the request at the table's app and the session of its user mapping, for the scans
// that read the table's definition themselves (RETURNING read-back, ANALYZE). C++ phase.
TableDef BindTable(ScanCpp &cpp, const RawTable &raw) {
	TableDef def = MakeTableDef(raw);
	cpp.conn = def.conn;
	cpp.session = &GetSession(def.conn);
	cpp.relid = def.relid;
	cpp.relname = def.relname;
	for (const ColumnDef &col : def.columns) {
		if (!col.dropped) {
			cpp.columns.push_back({col.attnum, col.name, col.field_code});
		}
	}
	cpp.request.app = def.app;
	cpp.request.guest_space_id = def.guest_space_id;
	cpp.subtable = def.subtable;
	cpp.request.max_in_flight = def.max_concurrent_requests;
	return def;
}

// Requests the fields of the converted columns (codes[i] feeds conversion i) and makes the
// reader, with a hidden "$id" column when no column reads it (seek paging and error messages
// need it). A scan that converts no column asks for "$id" only, not for every field. C++ phase.
void SetUpReader(KintoneScanState *st, ScanCpp &cpp, const std::vector<std::string> &codes, bool need_id) {
	std::vector<kintone::ColumnRequest> columns;
	st->id_column = -1;
	if (!cpp.subtable.empty()) {
		// Rows of a subtable: the records' "$id" and the subtable; the conversions read the rows
		// (their codes were confirmed against the form at planning, FieldList).
		for (size_t i = 0; i < codes.size(); ++i) {
			kintone::ColumnRequest req;
			req.field_code = codes[i];
			req.shape = static_cast<kintone::ColumnRequest::Shape>(st->conv[i].shape);
			columns.push_back(std::move(req));
		}
		cpp.rows = std::make_unique<kintone::RecordReader>(std::move(columns));
		// A join's parent fields first (their codes unconfirmed as a records scan's are), then the
		// records' "$id", the subtable and "$revision". The parent's "$revision" goes into each
		// row's ctid (RevisionToTid, scan.hpp), for UPDATE and DELETE of the rows.
		std::vector<kintone::ColumnRequest> record_columns;
		cpp.request.fields.clear();
		cpp.confirmed.clear();
		cpp.unconfirmed = 0;
		auto add_field = [&](const std::string &code) {
			for (const auto &f : cpp.request.fields) {
				if (f == code) {
					return;
				}
			}
			cpp.request.fields.push_back(code);
		};
		for (size_t i = 0; i < cpp.parent_codes.size(); ++i) {
			kintone::ColumnRequest req;
			req.field_code = cpp.parent_codes[i];
			req.shape = static_cast<kintone::ColumnRequest::Shape>(st->parent_conv[i].shape);
			record_columns.push_back(std::move(req));
			bool known = cpp.parent_codes[i] == "$id" || cpp.parent_codes[i] == "$revision";
			cpp.confirmed.push_back(known ? 1 : 0);
			cpp.unconfirmed += known ? 0 : 1;
		}
		kintone::ColumnRequest id, table, revision;
		id.field_code = "$id";
		table.field_code = cpp.subtable;
		table.shape = kintone::ColumnRequest::Shape::kJson;
		revision.field_code = "$revision";
		cpp.table_column = record_columns.size();
		record_columns.push_back(id);
		record_columns.push_back(table);
		record_columns.push_back(revision);
		add_field("$id");
		add_field(cpp.subtable);
		add_field("$revision");
		for (const auto &code : cpp.parent_codes) {
			add_field(code);
		}
		cpp.reader = std::make_unique<kintone::RecordReader>(std::move(record_columns));
		st->id_column = static_cast<int>(cpp.table_column);
		cpp.confirmed.push_back(1);
		cpp.confirmed.push_back(1);
		cpp.confirmed.push_back(1);
		cpp.record = 0;
		cpp.rows_ready = false;
		return;
	}
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
	if (cpp.request.fields.empty()) {
		cpp.request.fields.push_back("$id");
	}
	if (st->id_column < 0 && need_id) {
		kintone::ColumnRequest id;
		id.field_code = "$id";
		st->id_column = static_cast<int>(columns.size());
		columns.push_back(id);
	}
	cpp.reader = std::make_unique<kintone::RecordReader>(std::move(columns));
	cpp.confirmed.assign(codes.size(), 0);
	cpp.unconfirmed = 0;
	for (size_t i = 0; i < codes.size(); ++i) {
		if (codes[i] == "$id" || codes[i] == "$revision") {
			cpp.confirmed[i] = 1;
		} else {
			++cpp.unconfirmed;
		}
	}
}

// The column name of a field code, for messages.
std::string ColumnNamed(const ScanCpp &cpp, const std::string &code) {
	for (const auto &col : cpp.columns) {
		if (col.code == code) {
			return col.name;
		}
	}
	return code;
}

// The field code of column attnum.
std::string ColumnCode(const ScanCpp &cpp, int attnum) {
	for (const auto &col : cpp.columns) {
		if (col.attnum == attnum) {
			return col.code;
		}
	}
	throw kintone::Error(kintone::ErrorKind::kInternal, "kintone_fdw found a malformed plan",
	                     "no column " + std::to_string(attnum));
}

// Issue 10: Kintone leaves out of every record a field code it does not know, which would read
// as NULL in every row. When a page with records lacks a requested field in all of them, the
// app's form (cached, then read again) must confirm the field, or the scan fails naming the
// column. A field seen once is confirmed: on the happy path this costs no request. C++ phase.
void ConfirmFields(ScanCpp &cpp) {
	if (cpp.unconfirmed == 0 || cpp.reader->rows() == 0) {
		return;
	}
	std::shared_ptr<const kintone::FormInfo> form;
	bool fresh = false;
	for (size_t i = 0; i < cpp.confirmed.size(); ++i) {
		if (cpp.confirmed[i]) {
			continue;
		}
		const std::string &code = cpp.reader->columns()[i].field_code;
		if (!cpp.reader->present(i)) {
			if (!form) {
				try {
					form = CachedForm(cpp.conn, cpp.request.app, cpp.request.guest_space_id, cpp.relid, &fresh);
				} catch (const kintone::Error &e) {
					if (e.kind() != kintone::ErrorKind::kPermission) {
						throw;
					}
					// May not read the form (OAuth scope, API token): nothing to confirm against.
					cpp.confirmed.assign(cpp.confirmed.size(), 1);
					cpp.unconfirmed = 0;
					return;
				}
			}
			if (!FieldInForm(*form, code) && !fresh) {
				form = RefreshForm(cpp.conn, cpp.request.app, cpp.request.guest_space_id, cpp.relid);
				fresh = true;
			}
			if (!FieldInForm(*form, code)) {
				throw kintone::UnknownFieldError(cpp.relname, ColumnNamed(cpp, code), code, cpp.request.app, *form);
			}
		}
		cpp.confirmed[i] = 1;
		--cpp.unconfirmed;
	}
}

constexpr const char *kOptionsChanged = "The options of a field changed in Kintone after the statement was planned; "
                                        "run it again (the app's form has been read again).";

// A query Kintone refused because a field code is unknown (GAIA_IQ11) becomes the error that
// names the column; one refused for a value that is not an option any more (GAIA_IQ10) reads
// the form again for the next planning and says so; any other error passes unchanged. C++ phase.
// The names the message catalogue needs (kintone::ExplainForTable): the table, its app and the
// columns its query uses.
kintone::TableRef TableRefOf(const ScanCpp &cpp) {
	kintone::TableRef t;
	t.table = cpp.relname;
	t.app = cpp.request.app;
	t.guest_space_id = cpp.request.guest_space_id;
	std::vector<std::string> codes = kintone::FieldsOf(cpp.condition);
	for (const auto &key : cpp.order_by) {
		codes.push_back(key.field);
	}
	for (const auto &code : codes) {
		for (const auto &col : cpp.columns) {
			if (col.code == code) {
				t.columns.push_back({col.name, code});
				break;
			}
		}
	}
	return t;
}

// Kintone's error in the words of the catalogue, naming the table, its options and columns.
[[noreturn]] void ThrowForTable(const ScanCpp &cpp, const kintone::Error &e) {
	kintone::Error error = e;
	kintone::ExplainForTable(error, TableRefOf(cpp));
	throw error;
}

[[noreturn]] void RethrowQueryError(const ScanCpp &cpp, const kintone::Error &e) {
	if (e.code() == "GAIA_IQ10" && e.hint() != kOptionsChanged) {
		kintone::Error error = e;
		try {
			RefreshForm(cpp.conn, cpp.request.app, cpp.request.guest_space_id, cpp.relid);
			error.set_hint(kOptionsChanged);
		} catch (const kintone::Error &) {
		}
		throw error;
	}
	if (e.code() != "GAIA_IQ11") {
		ThrowForTable(cpp, e);
	}
	std::shared_ptr<const kintone::FormInfo> form;
	try {
		form = RefreshForm(cpp.conn, cpp.request.app, cpp.request.guest_space_id, cpp.relid);
	} catch (const kintone::Error &) {
		ThrowForTable(cpp, e); // the form cannot tell which field: the columns the query uses
	}
	std::vector<std::string> codes = kintone::FieldsOf(cpp.condition);
	for (const auto &key : cpp.order_by) {
		codes.push_back(key.field);
	}
	for (const auto &code : codes) {
		if (!FieldInForm(*form, code)) {
			kintone::Error error =
			    kintone::UnknownFieldError(cpp.relname, ColumnNamed(cpp, code), code, cpp.request.app, *form);
			error.set_context(e.context());
			throw error;
		}
	}
	ThrowForTable(cpp, e);
}

// Kintone refused a value that the form had as an option when the query was planned
// (GAIA_IQ10): the options changed since. The form is read again (so the next planning uses
// it) and a base scan that has not returned rows yet sends its condition with those leaves
// widened to "always true", re-checking the exact conditions locally (ScanCpp::widened). Scans
// whose result Kintone computes (count, LIMIT) cannot re-check: they fail with a clear error.
bool RetryWidened(KintoneScanState *st, const kintone::Error &e) {
	ScanCpp &cpp = *st->cpp;
	auto form = RefreshForm(cpp.conn, cpp.request.app, cpp.request.guest_space_id, cpp.relid);
	bool widened = false;
	kintone::Condition wide = kintone::WidenStaleOptions(cpp.bound, *form, &widened);
	if (!widened || !cpp.can_widen || cpp.widened) {
		kintone::Error error = e;
		error.set_hint(kOptionsChanged);
		throw error;
	}
	cpp.widened = true;
	cpp.condition_changed = true;
	cpp.request.condition = kintone::PrintCondition(wide);
	cpp.requests += cpp.pager->requests();
	cpp.in_flight = std::max(cpp.in_flight, cpp.pager->max_in_flight_seen());
	// The re-check reads the columns of the exact conditions too (the glue then converts
	// nconv_recheck columns, see NoteConditionChange).
	std::vector<std::string> codes(cpp.request.fields.begin(), cpp.request.fields.end());
	if (st->nconv == 0) {
		codes.clear(); // only "$id" was requested
	}
	codes.insert(codes.end(), cpp.recheck_codes.begin(), cpp.recheck_codes.end());
	cpp.request.fields.clear();
	SetUpReader(st, cpp, codes, true);
	cpp.pager = std::make_unique<kintone::Pager>(cpp.PageSession(), cpp.request, cpp.budget);
	return cpp.pager->Next(*cpp.reader);
}

// Ends the pager of an execution, keeping its counts for EXPLAIN ANALYZE, and gives a leased
// session back (C++ phase).
void FinishPager(ScanCpp &cpp) {
	if (cpp.pager) {
		cpp.requests += cpp.pager->requests();
		cpp.in_flight = std::max(cpp.in_flight, cpp.pager->max_in_flight_seen());
		cpp.records += cpp.pager->records();
		cpp.bytes += cpp.pager->bytes();
		cpp.pager.reset(); // deletes a live cursor, drops a request in flight
	}
	cpp.lease.Release();
}

// Fetches the next page (C++ phase).
bool NextPage(KintoneScanState *st) {
	ScanCpp &cpp = *st->cpp;
	bool more;
	try {
		try {
			more = cpp.pager->Next(*cpp.reader);
		} catch (const kintone::Error &e) {
			if (e.code() != "GAIA_IQ10" || !cpp.first_page) {
				throw;
			}
			more = RetryWidened(st, e);
		}
	} catch (const kintone::Error &e) {
		RethrowQueryError(cpp, e);
	}
	cpp.first_page = false;
	ConfirmFields(cpp);
	return more;
}

// Evaluates the values of the condition's slots and prints the condition (PostgreSQL phase,
// then the client inside the guard). The work happens in the per-tuple context (a rescan per
// outer row or per batch must not pile up memory); only the result is allocated in the
// caller's context.
char *BuildCondition(KintoneScanState *st, ExprContext *econtext) {
	MemoryContext old = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
	int nparams = list_length(st->param_states);
	PlainValue *params = static_cast<PlainValue *>(palloc0(sizeof(PlainValue) * (nparams + 1)));
	for (int i = 0; i < nparams; ++i) {
		bool is_null;
		Datum value = ExecEvalExpr(static_cast<ExprState *>(list_nth(st->param_states, i)), econtext, &is_null);
		params[i] = ReadValue(value, st->param_types[i], is_null);
	}
	PlainValue *keys = nullptr;
	int nkeys = st->has_batch_keys ? ReadArray(st->batch_keys, &keys) : 0;
	MemoryContextSwitchTo(old);
	ScanCpp *cpp = st->cpp;
	bool have_keys = st->has_batch_keys;
	char *text = Guard([&]() {
		cpp->bound = BindValues(cpp->condition, params, nparams, keys, nkeys, have_keys);
		cpp->first_page = true;
		cpp->widened = false;
		return MallocCopy(kintone::PrintCondition(cpp->bound));
	});
	return TakeMalloced(text);
}

long long PrivInt64(List *priv, int index) {
	return strtoll(strVal(list_nth(priv, index)), nullptr, 10);
}

// The column directory of the plan (kPlanColumns).
std::vector<NamedColumn> PlanColumnsOf(List *priv) {
	std::vector<NamedColumn> out;
	ListCell *cell;
	foreach (cell, static_cast<List *>(list_nth(priv, kPlanColumns))) {
		List *col = static_cast<List *>(lfirst(cell));
		out.push_back({intVal(linitial(col)), strVal(lsecond(col)), strVal(lthird(col))});
	}
	return out;
}

// The name of column attnum in the plan's directory (PostgreSQL phase: no C++ object).
const char *PlanColumnName(List *priv, int attnum) {
	ListCell *cell;
	foreach (cell, static_cast<List *>(list_nth(priv, kPlanColumns))) {
		List *col = static_cast<List *>(lfirst(cell));
		if (intVal(linitial(col)) == attnum) {
			return strVal(lsecond(col));
		}
	}
	return "?";
}

// The condition sent changed (RetryWidened): EXPLAIN ANALYZE shows the one sent.
void NoteConditionChange(KintoneScanState *st, ForeignScanState *node) {
	ScanCpp *cpp = st->cpp;
	char *text = Guard([&]() {
		cpp->condition_changed = false;
		return MallocCopy(cpp->request.condition);
	});
	MemoryContext old = MemoryContextSwitchTo(node->ss.ps.state->es_query_cxt);
	if (st->condition != nullptr) {
		pfree(st->condition);
	}
	st->condition = TakeMalloced(text);
	MemoryContextSwitchTo(old);
	if (cpp->widened) {
		st->nconv = st->nconv_recheck; // the re-check's columns are read now
	}
}

} // namespace

void SetScanBatchKeys(ForeignScanState *node, Datum keys) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	st->batch_keys = keys;
	st->has_batch_keys = true;
}

namespace {

// The conversions of the retrieved columns, in the order of the requested fields; then those of
// the columns only a widened condition's re-check reads (RetryWidened). PostgreSQL phase.
void InitConversions(KintoneScanState *st, ForeignScanState *node, ForeignScan *fsplan) {
	List *retrieved = static_cast<List *>(list_nth(st->priv, kPlanAttrs));
	List *attrs = list_concat_copy(retrieved, static_cast<List *>(list_nth(st->priv, kPlanRecheckAttrs)));
	st->nconv = list_length(retrieved);
	st->nconv_recheck = list_length(attrs);
	st->conv = static_cast<ColumnConv *>(palloc0(sizeof(ColumnConv) * (st->nconv_recheck + 1)));
	TupleDesc desc = node->ss.ss_ScanTupleSlot->tts_tupleDescriptor;
	int i = 0;
	ListCell *cell;
	foreach (cell, attrs) {
		int attnum = lfirst_int(cell);
		ColumnConv &c = st->conv[i];
		// Base scans fill the table's row; upper scans (scanrelid 0) fill their own tlist in order.
		c.attnum = fsplan->scan.scanrelid > 0 ? attnum : i + 1;
		Form_pg_attribute att = TupleDescAttr(desc, c.attnum - 1);
		InitColumnConv(c, c.attnum, PlanColumnName(st->priv, attnum), att->atttypid, att->atttypmod);
		++i;
	}
	// A join's parent columns follow the rows' in the scan tuple.
	List *parent = static_cast<List *>(list_nth(st->priv, kPlanParentColumns));
	st->nparent = list_length(parent);
	st->parent_conv = static_cast<ColumnConv *>(palloc0(sizeof(ColumnConv) * (st->nparent + 1)));
	int j = 0;
	foreach (cell, parent) {
		ColumnConv &c = st->parent_conv[j];
		c.attnum = st->nconv_recheck + j + 1;
		Form_pg_attribute att = TupleDescAttr(desc, c.attnum - 1);
		InitColumnConv(c, c.attnum, strVal(lfirst(cell)), att->atttypid, att->atttypmod);
		++j;
	}
}

// The values of the condition's slots (fdw_exprs) and the exact conditions for a re-check.
// PostgreSQL phase.
void InitExpressions(KintoneScanState *st, ForeignScanState *node, ForeignScan *fsplan) {
	PlanState *ps = reinterpret_cast<PlanState *>(node);
	st->param_states = ExecInitExprList(fsplan->fdw_exprs, ps);
	st->param_types = static_cast<Oid *>(palloc0(sizeof(Oid) * (list_length(fsplan->fdw_exprs) + 1)));
	int p = 0;
	ListCell *cell;
	foreach (cell, fsplan->fdw_exprs) {
		st->param_types[p++] = exprType(static_cast<Node *>(lfirst(cell)));
	}
	if (fsplan->scan.scanrelid > 0) {
		st->recheck = ExecInitQual(fsplan->fdw_recheck_quals, ps);
	}
}

// The scan's C++ state from the plan and the connection (C++ phase).
// max_concurrent_requests of the table, else of the server, else the default (PostgreSQL
// phase; the validator has checked the value, option_spec.cpp).
int ConcurrentRequestsOf(List *table_options, List *server_options) {
	for (List *options : {table_options, server_options}) {
		ListCell *cell;
		foreach (cell, options) {
			DefElem *def = static_cast<DefElem *>(lfirst(cell));
			if (strcmp(def->defname, "max_concurrent_requests") == 0) {
				int value = atoi(defGetString(def));
				return value >= 1 && value <= kintone::kMaxConcurrentRequests ? value : 1;
			}
		}
	}
	return kintone::kDefaultConcurrentRequests;
}

void BindPlan(KintoneScanState *st, ScanCpp &cpp, const RawConnection &raw, Oid relid, bool base_scan) {
	List *priv = st->priv;
	cpp.conn = MakeConnectionParams(raw);
	cpp.session = &GetSession(cpp.conn);
	cpp.budget = &GetCursorBudget(cpp.conn.max_cursors);
	cpp.relid = relid;
	cpp.can_widen = base_scan;
	cpp.relname = strVal(list_nth(priv, kPlanRelName));
	cpp.columns = PlanColumnsOf(priv);
	cpp.condition = NodeToCondition(static_cast<Node *>(list_nth(priv, kPlanCondition)));
	cpp.order_by = NodeToSortKeys(static_cast<List *>(list_nth(priv, kPlanOrderBy)));
	cpp.request.app = PrivInt64(priv, kPlanApp);
	cpp.request.guest_space_id = PrivInt64(priv, kPlanGuest);
	cpp.request.order_by = kintone::PrintOrderBy(cpp.order_by);
	cpp.request.strategy = static_cast<kintone::PagingStrategy>(intVal(list_nth(priv, kPlanStrategy)));
	long long limit = PrivInt64(priv, kPlanLimit);
	if (limit >= 0) {
		cpp.request.limit = limit;
	}
	cpp.request.offset = PrivInt64(priv, kPlanOffset);
	cpp.request.id_hint = PrivInt64(priv, kPlanIdHint);
	cpp.request.rows_hint = static_cast<double>(PrivInt64(priv, kPlanRowsHint));
	std::vector<std::string> codes;
	ListCell *cell;
	foreach (cell, static_cast<List *>(list_nth(priv, kPlanFields))) {
		if (codes.size() < static_cast<size_t>(st->nconv)) {
			codes.emplace_back(strVal(lfirst(cell)));
		}
	}
	foreach (cell, static_cast<List *>(list_nth(priv, kPlanRecheckAttrs))) {
		cpp.recheck_codes.push_back(ColumnCode(cpp, lfirst_int(cell)));
	}
	cpp.subtable = strVal(list_nth(priv, kPlanSubtable));
	foreach (cell, static_cast<List *>(list_nth(priv, kPlanParentFields))) {
		cpp.parent_codes.emplace_back(strVal(lfirst(cell)));
	}
	SetUpReader(st, cpp, codes, !st->count_only);
}

// Kintone's X-Cybozu-Warning headers (a word search stopped at 100,000 hits: rows are missing)
// become WARNINGs.
void RaiseSessionWarnings(KintoneScanState *st) {
	char *text = Guard([&]() -> char * {
		std::vector<std::string> warnings = st->cpp->PageSession().TakeWarnings();
		std::string joined;
		for (const auto &w : warnings) {
			joined += w + "\n";
		}
		return joined.empty() ? nullptr : MallocCopy(joined);
	});
	if (text != nullptr) {
		RaiseWarnings(TakeMalloced(text));
	}
}

// The first request of an execution: count(*), or the pager (PostgreSQL phase, then C++).
void StartExecution(KintoneScanState *st, ForeignScanState *node) {
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
			try {
				cpp.count = kintone::CountRecords(*cpp.session, cpp.request.app, cpp.request.condition,
				                                  cpp.request.guest_space_id);
			} catch (const kintone::Error &e) {
				RethrowQueryError(cpp, e);
			}
			cpp.requests += 1;
		} else {
			if ((st->async || st->early) && !cpp.lease) {
				cpp.lease = SessionLease::Acquire(cpp.conn);
			}
			cpp.pager = std::make_unique<kintone::Pager>(cpp.PageSession(), cpp.request, cpp.budget);
			if (cpp.lease) {
				cpp.pager->StartFirst(); // awaited in IterateForeignScan, beside other scans
			}
		}
	});
	st->started = true;
	st->row = 0;
	RaiseSessionWarnings(st);
}

// The next row of the pages into slot, or false at the end (PostgreSQL phase).
// Subtable rows: moves to the next row (of this record, or of the next record with rows, or of
// the next page); false at the end (PostgreSQL phase).
bool NextSubtableRow(KintoneScanState *st, ForeignScanState *node) {
	ScanCpp &cpp = *st->cpp;
	for (;;) {
		if (cpp.rows_ready && st->row < cpp.rows->rows()) {
			return true;
		}
		if (cpp.rows_ready) {
			cpp.record++;
			cpp.rows_ready = false;
		}
		if (cpp.record < cpp.reader->rows()) {
			Guard([&]() {
				const kintone::Cell &id = cpp.reader->cell(cpp.record, cpp.table_column);
				const kintone::Cell &table = cpp.reader->cell(cpp.record, cpp.table_column + 1);
				cpp.rows->ParseRows(table.is_null ? std::string_view() : table.text,
				                    id.is_null ? std::string_view() : id.text);
			});
			cpp.rows_ready = true;
			st->row = 0;
			continue;
		}
		if (st->done) {
			return false;
		}
		bool more = Guard([&]() { return NextPage(st); });
		CHECK_FOR_INTERRUPTS();
		if (cpp.condition_changed) {
			NoteConditionChange(st, node);
		}
		cpp.record = 0;
		cpp.rows_ready = false;
		if (!more) {
			st->done = true;
		}
	}
}

bool NextRow(KintoneScanState *st, ForeignScanState *node, TupleTableSlot *slot) {
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	for (;;) {
		if (!st->cpp->subtable.empty()) {
			if (!NextSubtableRow(st, node)) {
				return false;
			}
		}
		while (st->cpp->subtable.empty() && (st->done || st->row >= st->cpp->reader->rows())) {
			if (st->done) {
				return false;
			}
			if (st->async && !st->cpp->pager->Ready()) {
				return false; // no row now; async.cpp waits for the page (ScanFinished says which)
			}
			bool more = Guard([&]() { return NextPage(st); });
			CHECK_FOR_INTERRUPTS();
			RaiseSessionWarnings(st);
			if (st->cpp->condition_changed) {
				NoteConditionChange(st, node);
			}
			st->row = 0;
			if (!more) {
				st->done = true;
				if (st->cpp->lease) {
					// Another scan of the Append may want the session now.
					Guard([&]() { FinishPager(*st->cpp); });
				}
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
		if (!st->cpp->widened || st->recheck == nullptr) {
			return true;
		}
		// A widened condition (RetryWidened): the exact conditions are re-checked here.
		econtext->ecxt_scantuple = slot;
		if (ExecQual(st->recheck, econtext)) {
			return true;
		}
		ResetExprContext(econtext);
	}
}

} // namespace

extern "C" void kintoneBeginForeignScan(ForeignScanState *node, int eflags) {
	ForeignScan *fsplan = reinterpret_cast<ForeignScan *>(node->ss.ps.plan);
	KintoneScanState *st = static_cast<KintoneScanState *>(palloc0(sizeof(KintoneScanState)));
	node->fdw_state = st;
	st->priv = fsplan->fdw_private;
	st->count_only = intVal(list_nth(st->priv, kPlanCountOnly)) != 0;
	st->async = node->ss.ps.async_capable;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY) {
		return; // plain EXPLAIN: no connection, no request
	}
	// The table's definition comes with the plan; only the connection (the executing user's
	// mapping) is read again.
	int rtindex =
	    fsplan->scan.scanrelid > 0 ? static_cast<int>(fsplan->scan.scanrelid) : bms_next_member(fsplan->fs_relids, -1);
	RangeTblEntry *rte = exec_rt_fetch(rtindex, node->ss.ps.state);
	Oid userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	Oid relid = rte->relid;
	Oid join_relid = static_cast<Oid>(strtoul(strVal(list_nth(st->priv, kPlanJoinRelid)), nullptr, 10));
	if (OidIsValid(join_relid)) {
		relid = join_relid; // a join of records and their rows: the rows table's (same server, same user)
	}
	ForeignTable *table = GetForeignTable(relid);
	RawConnection raw = ReadRawConnection(table->serverid, userid);
	int in_flight = ConcurrentRequestsOf(table->options, raw.server_options);
	InitExpressions(st, node, fsplan);
	InitConversions(st, node, fsplan);
	AttachScanCpp(st);
	bool base_scan = fsplan->scan.scanrelid > 0;
	Guard([&]() {
		BindPlan(st, *st->cpp, raw, relid, base_scan);
		st->cpp->request.max_in_flight = in_flight;
	});
	st->early = StartsEarly(node, relid);
	if (st->early) {
		StartExecution(st, node); // the first page travels while the rest of the plan starts
	}
}

bool ScanReadyForRow(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	if (!st->started) {
		StartExecution(st, node);
	}
	ScanCpp *cpp = st->cpp;
	if (st->count_only || st->done || st->row < cpp->reader->rows() || !cpp->pager) {
		return true;
	}
	if (cpp->pager->Ready()) {
		return true;
	}
	if (cpp->pager->WaitFd() < 0) {
		st->async = false; // no wait handle (the system refused one): wait in IterateForeignScan
		return true;
	}
	return false;
}

bool ScanFinished(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	return st->started && (st->count_only ? st->returned_count : st->done);
}

int ScanWaitFd(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	kintone::Pager *pager = st->cpp != nullptr ? st->cpp->pager.get() : nullptr;
	if (pager == nullptr) {
		return -1;
	}
	pager->ArmWaitFd();
	return pager->WaitFd();
}

extern "C" TupleTableSlot *kintoneIterateForeignScan(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	if (!st->started) {
		StartExecution(st, node);
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
	return NextRow(st, node, slot) ? slot : ExecClearTuple(slot);
}

extern "C" void kintoneReScanForeignScan(ForeignScanState *node) {
	KintoneScanState *st = static_cast<KintoneScanState *>(node->fdw_state);
	if (st->cpp == nullptr) {
		return;
	}
	Guard([&]() {
		ScanCpp &cpp = *st->cpp;
		FinishPager(cpp);
		cpp.reader->Truncate(0); // the previous execution's page must not be served again
		cpp.record = 0;
		cpp.rows_ready = false;
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
	const char *relations = strVal(list_nth(priv, kPlanJoinRelations));
	if (relations[0] != '\0') {
		ExplainPropertyText("Relations", relations, es); // a join read by this one scan
	}
	if (es->verbose) {
		ExplainPropertyText("Kintone app", strVal(list_nth(priv, kPlanApp)), es);
		long long guest = PrivInt64(priv, kPlanGuest);
		if (guest > 0) {
			ExplainPropertyInteger("Kintone guest space", nullptr, guest, es);
		}
		bool count_only = intVal(list_nth(priv, kPlanCountOnly)) != 0;
		// The condition of the last execution, or the plan's, with values known only at
		// execution shown as "code op $1", "code in ($keys)" — printed by the client's printer.
		const char *executed = st->condition;
		kintone::PagingStrategy strategy = static_cast<kintone::PagingStrategy>(intVal(list_nth(priv, kPlanStrategy)));
		long long limit = PrivInt64(priv, kPlanLimit);
		long long offset = PrivInt64(priv, kPlanOffset);
		Node *plan_condition = static_cast<Node *>(list_nth(priv, kPlanCondition));
		List *plan_order = static_cast<List *>(list_nth(priv, kPlanOrderBy));
		char *query = TakeMalloced(Guard([&]() {
			std::string condition = executed != nullptr
			                            ? std::string(executed)
			                            : kintone::PrintCondition(NodeToCondition(plan_condition), SlotDisplay);
			if (count_only) {
				return MallocCopy(condition + (condition.empty() ? "" : " ") + "limit 1");
			}
			kintone::ScanRequest request;
			request.condition = condition;
			request.order_by = kintone::PrintOrderBy(NodeToSortKeys(plan_order));
			if (limit >= 0) {
				request.limit = limit;
			}
			request.offset = offset;
			request.strategy = strategy;
			return MallocCopy(kintone::Pager::FirstQuery(request));
		}));
		ExplainPropertyText("Kintone query", query, es);
		if (count_only) {
			ExplainPropertyText("Kintone request", "count (totalCount)", es);
		} else {
			StringInfoData fields;
			initStringInfo(&fields);
			ListCell *cell;
			foreach (cell, static_cast<List *>(list_nth(priv, kPlanFields))) {
				appendStringInfo(&fields, "%s%s", fields.len > 0 ? ", " : "", strVal(lfirst(cell)));
			}
			const char *subtable = strVal(list_nth(priv, kPlanSubtable));
			if (subtable[0] != '\0') {
				// The request reads the records' $id and the subtable (and a join's parent fields);
				// the rows give the columns.
				StringInfoData record_fields;
				initStringInfo(&record_fields);
				appendStringInfo(&record_fields, "$id, %s, $revision", subtable);
				foreach (cell, static_cast<List *>(list_nth(priv, kPlanParentFields))) {
					const char *code = strVal(lfirst(cell));
					if (strcmp(code, "$id") != 0 && strcmp(code, subtable) != 0 && strcmp(code, "$revision") != 0) {
						appendStringInfo(&record_fields, ", %s", code);
					}
				}
				ExplainPropertyText("Kintone subtable rows", subtable, es);
				ExplainPropertyText("Kintone fields", record_fields.data, es);
				ExplainPropertyText("Kintone row fields", fields.data, es);
			} else {
				ExplainPropertyText("Kintone fields", fields.data, es);
			}
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
		int in_flight = std::max(cpp.in_flight, cpp.pager ? cpp.pager->max_in_flight_seen() : 1);
		if (in_flight > 1) {
			ExplainPropertyInteger("Kintone requests in flight", nullptr, in_flight, es);
		}
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
		bool more = Guard([&]() { return NextPage(st); });
		if (!more) {
			break;
		}
		size_t page_records = st->cpp->reader->rows();
		bool subtable = !st->cpp->subtable.empty();
		for (size_t r = 0; r < page_records; ++r) {
			size_t page_rows = 1;
			st->row = r;
			if (subtable) {
				ScanCpp &cpp = *st->cpp;
				cpp.record = r;
				Guard([&]() {
					const kintone::Cell &id = cpp.reader->cell(r, cpp.table_column);
					const kintone::Cell &table = cpp.reader->cell(r, cpp.table_column + 1);
					cpp.rows->ParseRows(table.is_null ? std::string_view() : table.text,
					                    id.is_null ? std::string_view() : id.text);
				});
				page_rows = cpp.rows->rows();
				st->row = 0;
			}
			for (size_t k = 0; k < page_rows; ++k, ++st->row) {
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
