// INSERT, UPDATE, DELETE and COPY FROM on Kintone foreign tables.
//
// PostgreSQL hands the FDW one row at a time. Without RETURNING each row is converted at once
// (slots are transient) into the statement's kintone::Writer, which sends 2,000 records per
// HTTP request (one bulkRequest: all or nothing) when 2,000 are queued and at the end of the
// statement; so a statement of up to 2,000 rows is atomic. A full chunk mid-statement is sent
// without waiting (Writer::StartFlush): the next rows are converted into a second buffer while
// Kintone works on it, and its answer is checked before the next chunk goes out and at the
// end. A statement aborted meanwhile finishes that write (never abandons it) and says what it
// wrote: in the error's context for a conversion error, else in a WARNING. With RETURNING
// PostgreSQL needs each row's result before it hands over the next one, so rows go one by one
// (not batched, not atomic) and are read back when RETURNING needs more than $id and
// $revision.
//
// Row identity for UPDATE/DELETE is the column whose field code is "$id" (a junk column
// "kintone_id"); when the table has a "$revision" column its value read by the scan goes
// with the write, so a record changed meanwhile fails the statement with 40001.
//
// Phases as everywhere in the glue: the row's values are turned into plain C strings in a
// per-row memory context (PostgreSQL calls that may ereport), then the guarded C++ phase
// builds the Kintone JSON and queues or sends it.
#include "pg/modify.hpp"

#include "kintone/error.hpp"
#include "kintone/schema.hpp"
#include "kintone/writer.hpp"
#include "pg/connection.hpp"
#include "pg/guard.hpp"
#include "pg/planner.hpp"
#include "pg/scan.hpp"
#include "pg/table.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "optimizer/inherit.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"
}

#include <cstring>
#include <memory>
#include <unordered_set>

namespace kintone_fdw {

namespace {

using kintone::FieldType;
using kintone::Json;

constexpr const char *kIdJunk = "kintone_id";
constexpr const char *kRevisionJunk = "kintone_revision";

// How a column's Datum becomes text for Kintone.
enum class PgKind { kText, kDate, kTime, kTimestamp, kArray, kJson };

struct SendCol {
	int attnum;
	const char *name;
	PgKind kind;
	FmgrInfo out;
	Oid elem_type;
	int16 elem_len;
	bool elem_byval;
	char elem_align;
	FmgrInfo elem_out;
	// Not named by the statement; a BEFORE ROW trigger may have set it (as postgres_fdw, the
	// value is sent then: INSERT when not NULL, UPDATE when it differs from the row read).
	bool by_trigger;
	bool never; // by_trigger, but Kintone does not take it (read-only, lookup copy): not sent
};

// One column of the current row as plain C data (per-row memory).
struct CellValue {
	bool isnull;
	char *text;
	int nelems;
	char **elems;
	bool omit; // left out of the record (a by_trigger column the trigger did not set)
};

// C++ part of a modification, owned by a memory-context callback.
struct ModifyCpp {
	kintone::Session *session = nullptr;
	std::unique_ptr<kintone::Writer> writer;
	long long app = 0;
	long long guest = 0;
	std::vector<std::string> codes; // per send column
	std::vector<FieldType> types;   // per send column
	std::string last_id;            // of the last row sent one by one
	std::string last_revision;
	std::string relname; // for the warning of DeleteModifyCpp
	bool told = false;   // an error of the statement said how many records stay written
	// Whether the error that aborts the statement is a cancel (guard.hpp); from InitModify to
	// EndModify or DeleteModifyCpp.
	CancelWatch *watch = nullptr;
	// UPDATE/DELETE: the records this statement already changed. A join (UPDATE ... FROM,
	// DELETE ... USING) can hand PostgreSQL the same target record several times; as for a
	// local table (and postgres_fdw, whose later ctid no longer matches) only the first one
	// is written and counted.
	std::unordered_set<std::string> done_ids;
};

// Runs when the statement is aborted (a normal end deletes the state in EndModify first). A
// write still in flight is finished, not abandoned (Writer::Settle, bounded by the request
// timeout), so that its outcome is known — unless the abort is a cancel, which is answered at
// once and leaves that write's outcome unknown; then a WARNING says what it wrote. The C++
// work ends before any PostgreSQL call; no ERROR is raised from here.
void DeleteModifyCpp(void *arg) noexcept {
	ModifyCpp *cpp = static_cast<ModifyCpp *>(arg);
	bool settled = false;
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
		// RETURNING, chunks already answered) are reported unless the error said so already.
		settled = (was_in_flight && (writer.settled_written() > 0 || unknown)) ||
		          (written > 0 && !cpp->told && !writer.told());
		snprintf(relname, sizeof(relname), "%s", cpp->relname.c_str());
		snprintf(note, sizeof(note), "%s",
		         unknown                        ? writer.unknown_outcome().c_str()
		         : writer.settled_written() > 0 ? writer.settled_note().c_str()
		                                        : "");
	}
	delete cpp; // noexcept: the writer has nothing in flight any more
	if (!settled) {
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

struct KintoneModifyState {
	ModifyCpp *cpp;
	MemoryContextCallback callback;
	CmdType op;
	Relation rel;
	bool explain_only;
	bool per_row;      // RETURNING: one request per row
	bool reads_target; // INSERT ... SELECT from the same app: send everything at the end
	int nsend;
	SendCol *send;
	CellValue *cells;
	int id_attnum;  // the table's "$id" column, 0 if none
	int rev_attnum; // the table's "$revision" column, 0 if none
	FmgrInfo id_out, rev_out;
	AttrNumber id_junk, rev_junk, wholerow_junk;
	RowFetch *fetch;         // RETURNING needs values read back
	TupleTableSlot *old_row; // UPDATE with trigger columns: the row as read, for this row
	MemoryContext row_cxt;
	long long row;          // statement row being converted (1-based)
	const SendCol *current; // for the error context
	char *app_text;         // EXPLAIN
	char *fields_text;      // EXPLAIN VERBOSE
	long chunk;             // records per request
};

const char *CodeOption(List *options, const char *fallback) {
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "field_code") == 0) {
			return defGetString(def);
		}
	}
	return fallback;
}

// The attnum of the column mapped to a Kintone system key ("$id", "$revision"), 0 if none.
int SystemColumn(Relation rel, const char *code) {
	TupleDesc desc = RelationGetDescr(rel);
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped) {
			continue;
		}
		List *options = GetForeignColumnOptions(RelationGetRelid(rel), i + 1);
		if (strcmp(CodeOption(options, NameStr(att->attname)), code) == 0) {
			return i + 1;
		}
	}
	return 0;
}

bool IsListType(FieldType t) {
	switch (t) {
	case FieldType::kCheckBox:
	case FieldType::kMultiSelect:
	case FieldType::kUserSelect:
	case FieldType::kOrganizationSelect:
	case FieldType::kGroupSelect:
	case FieldType::kFile:
	case FieldType::kSubtable:
	case FieldType::kCategory:
	case FieldType::kStatusAssignee:
		return true;
	default:
		return false;
	}
}

bool IsEntityList(FieldType t) {
	return t == FieldType::kUserSelect || t == FieldType::kOrganizationSelect || t == FieldType::kGroupSelect;
}

bool IsPerson(FieldType t) {
	return t == FieldType::kCreator || t == FieldType::kModifier;
}

bool IsCreationInfo(FieldType t) {
	return IsPerson(t) || t == FieldType::kCreatedTime || t == FieldType::kUpdatedTime;
}

// Why Kintone does not let this column be written by this statement, or nullptr.
const char *ReadOnlyReason(FieldType t, CmdType op) {
	switch (t) {
	case FieldType::kId:
		return "it is the record id ($id), which Kintone assigns";
	case FieldType::kRevision:
		return "it is the record revision ($revision), which Kintone assigns";
	case FieldType::kRecordNumber:
		return "Kintone assigns the record number";
	case FieldType::kCalc:
		return "Kintone computes CALC fields";
	case FieldType::kStatus:
	case FieldType::kStatusAssignee:
		return "the process management status and assignees change only through status actions";
	case FieldType::kCategory:
		return "categories cannot be set through the record API";
	case FieldType::kReferenceTable:
	case FieldType::kGroup:
		return "it is not a record field";
	case FieldType::kCreator:
	case FieldType::kModifier:
	case FieldType::kCreatedTime:
	case FieldType::kUpdatedTime:
		return op == CMD_UPDATE ? "Kintone allows creator, modifier and their times only when a record is added"
		                        : nullptr;
	default:
		return nullptr;
	}
}

FieldType SystemFieldType(const std::string &code) {
	if (code == "$id") {
		return FieldType::kId;
	}
	if (code == "$revision") {
		return FieldType::kRevision;
	}
	return FieldType::kUnknown;
}

kintone::Error RowError(const KintoneModifyState *st, const std::string &column, const std::string &message) {
	return kintone::Error(kintone::ErrorKind::kInvalidRequest, message,
	                      "Row " + std::to_string(st->row) + " of the statement, column \"" + column + "\".");
}

Json ParseJson(const KintoneModifyState *st, const SendCol &col, const char *text) {
	Json j = Json::parse(text, nullptr, false);
	if (j.is_discarded()) {
		throw RowError(st, col.name, std::string("invalid JSON in column \"") + col.name + "\"");
	}
	return j;
}

Json Code(const Json &item) {
	if (item.is_object() && item.contains("code")) {
		return Json{{"code", item["code"]}};
	}
	return Json{{"code", item}};
}

Json FileKey(const Json &item) {
	if (item.is_object() && item.contains("fileKey")) {
		return Json{{"fileKey", item["fileKey"]}};
	}
	return Json{{"fileKey", item}};
}

// A subtable value as Kintone takes it: rows keep their "id" (so Kintone updates those rows
// instead of replacing them), inner fields lose their "type".
Json SubtableValue(const KintoneModifyState *st, const SendCol &col, const Json &rows) {
	if (!rows.is_array()) {
		throw RowError(st, col.name,
		               std::string("column \"") + col.name + "\" must hold a JSON array of subtable rows");
	}
	Json out = Json::array();
	for (const auto &row : rows) {
		if (!row.is_object()) {
			throw RowError(st, col.name, std::string("a subtable row of column \"") + col.name + "\" is not an object");
		}
		Json r = Json::object();
		const Json *cells = &row;
		if (row.contains("value") && row["value"].is_object()) {
			cells = &row["value"];
			if (row.contains("id") && !row["id"].is_null()) {
				r["id"] = row["id"];
			}
		}
		Json value = Json::object();
		for (auto it = cells->begin(); it != cells->end(); ++it) {
			if (it->is_object() && it->contains("value")) {
				value[it.key()] = Json{{"value", (*it)["value"]}};
			} else {
				value[it.key()] = Json{{"value", *it}};
			}
		}
		r["value"] = std::move(value);
		out.push_back(std::move(r));
	}
	return out;
}

void AppendCode(std::string &out, std::string_view code) {
	out += "{\"code\":";
	kintone::AppendJsonString(out, code);
	out += '}';
}

void AppendFileKey(std::string &out, std::string_view key) {
	out += "{\"fileKey\":";
	kintone::AppendJsonString(out, key);
	out += '}';
}

// A jsonb (or json) cell as the field type wants it.
Json JsonValue(const KintoneModifyState *st, const SendCol &col, FieldType type, const char *text) {
	Json j = ParseJson(st, col, text);
	if (IsPerson(type)) {
		return Code(j);
	}
	if (IsEntityList(type) || type == FieldType::kFile) {
		if (!j.is_array()) {
			j = Json::array({j});
		}
		Json items = Json::array();
		for (const auto &item : j) {
			items.push_back(type == FieldType::kFile ? FileKey(item) : Code(item));
		}
		return items;
	}
	if (type == FieldType::kSubtable) {
		return SubtableValue(st, col, j);
	}
	return j;
}

// Appends the Kintone value of one cell as JSON text; false when the field is left out of the
// record. Written as text, not through a JSON DOM: a statement converts up to 2,000 rows per
// request, and this is the write path's hot loop.
bool AppendValue(std::string &out, const KintoneModifyState *st, const SendCol &col, FieldType type,
                 const CellValue &cell) {
	if (cell.isnull) {
		if (IsCreationInfo(type)) {
			return false; // Kintone fills them
		}
		bool list = IsListType(type) ||
		            (type == FieldType::kUnknown && (col.kind == PgKind::kArray || col.kind == PgKind::kJson));
		out += list ? "[]" : "\"\"";
		return true;
	}
	switch (col.kind) {
	case PgKind::kArray:
		out += '[';
		for (int i = 0; i < cell.nelems; ++i) {
			if (i > 0) {
				out += ',';
			}
			if (IsEntityList(type)) {
				AppendCode(out, cell.elems[i]);
			} else if (type == FieldType::kFile) {
				AppendFileKey(out, cell.elems[i]);
			} else {
				kintone::AppendJsonString(out, cell.elems[i]);
			}
		}
		out += ']';
		return true;
	case PgKind::kJson:
		out += JsonValue(st, col, type, cell.text).dump();
		return true;
	default:
		if (IsPerson(type)) {
			AppendCode(out, cell.text);
		} else if (IsEntityList(type)) {
			out += '[';
			AppendCode(out, cell.text);
			out += ']';
		} else if (type == FieldType::kFile) {
			out += '[';
			AppendFileKey(out, cell.text);
			out += ']';
		} else if (type == FieldType::kCheckBox || type == FieldType::kMultiSelect) {
			out += '[';
			kintone::AppendJsonString(out, cell.text);
			out += ']';
		} else if (type == FieldType::kSubtable) {
			out += JsonValue(st, col, type, cell.text).dump();
		} else {
			kintone::AppendJsonString(out, cell.text);
		}
		return true;
	}
}

std::string BuildRecord(const KintoneModifyState *st) {
	const ModifyCpp &cpp = *st->cpp;
	std::string record = "{";
	for (int i = 0; i < st->nsend; ++i) {
		if (st->cells[i].omit) {
			continue;
		}
		size_t mark = record.size();
		if (record.size() > 1) {
			record += ',';
		}
		kintone::AppendJsonString(record, cpp.codes[i]);
		record += ":{\"value\":";
		if (AppendValue(record, st, st->send[i], cpp.types[i], st->cells[i])) {
			record += '}';
		} else {
			record.resize(mark);
		}
	}
	record += '}';
	return record;
}

// The context line of a conversion error in row st->row, saying how many records of the
// statement stay written.
char *RowContextText(const KintoneModifyState *st, long long written) {
	if (written > 0) {
		// Earlier chunks of this statement stay written: say so, as Kintone's errors do.
		return psprintf("column \"%s\" of row %lld of the statement writing to \"%s\" (%lld records of this "
		                "statement had already been written to Kintone and stay written)",
		                st->current->name, st->row, RelationGetRelationName(st->rel), written);
	}
	return psprintf("column \"%s\" of row %lld of the statement writing to \"%s\"", st->current->name, st->row,
	                RelationGetRelationName(st->rel));
}

void RowErrorContext(void *arg) {
	KintoneModifyState *st = static_cast<KintoneModifyState *>(arg);
	if (st->current != nullptr) {
		long long written = st->cpp != nullptr && st->cpp->writer ? st->cpp->writer->written() : 0;
		errcontext("%s", RowContextText(st, written));
		if (written > 0) {
			st->cpp->told = true;
		}
	}
}

// UPDATE: is a column the statement does not set still as the scan read it (the old row is
// the "wholerow" junk column PostgreSQL adds for foreign tables)?
bool TriggerLeftAlone(KintoneModifyState *st, const SendCol &col, Datum d, bool isnull) {
	if (st->old_row == nullptr) {
		return true;
	}
	bool old_null;
	Datum old = slot_getattr(st->old_row, col.attnum, &old_null);
	if (old_null || isnull) {
		return old_null && isnull;
	}
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(st->rel), col.attnum - 1);
	return datumIsEqual(old, d, att->attbyval, att->attlen);
}

// PostgreSQL phase: the send columns of slot as plain C strings, in the per-row context.
void ReadCells(KintoneModifyState *st, TupleTableSlot *slot) {
	ErrorContextCallback errcallback;
	errcallback.callback = RowErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	for (int i = 0; i < st->nsend; ++i) {
		const SendCol &col = st->send[i];
		CellValue &cell = st->cells[i];
		st->current = &col;
		bool isnull;
		Datum d = slot_getattr(slot, col.attnum, &isnull);
		cell.isnull = isnull;
		cell.text = nullptr;
		cell.nelems = 0;
		cell.elems = nullptr;
		cell.omit = false;
		if (col.by_trigger) {
			cell.omit = col.never || (st->op == CMD_INSERT ? isnull : TriggerLeftAlone(st, col, d, isnull));
			if (cell.omit) {
				continue;
			}
		}
		if (isnull) {
			continue;
		}
		switch (col.kind) {
		case PgKind::kText:
		case PgKind::kJson:
			cell.text = OutputFunctionCall(const_cast<FmgrInfo *>(&col.out), d);
			break;
		case PgKind::kDate: {
			DateADT date = DatumGetDateADT(d);
			int y, m, dd;
			if (DATE_NOT_FINITE(date)) {
				ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				                errmsg("Kintone cannot store an infinite date")));
			}
			j2date(date + POSTGRES_EPOCH_JDATE, &y, &m, &dd);
			if (y < 1 || y > 9999) {
				ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				                errmsg("Kintone stores dates of the years 1 to 9999 only")));
			}
			cell.text = psprintf("%04d-%02d-%02d", y, m, dd);
			break;
		}
		case PgKind::kTime: {
			// Kintone TIME has minute precision ("HH:MM"); seconds are dropped as Kintone does.
			TimeADT t = DatumGetTimeADT(d);
			cell.text = psprintf("%02d:%02d", static_cast<int>(t / USECS_PER_HOUR),
			                     static_cast<int>((t / USECS_PER_MINUTE) % 60));
			break;
		}
		case PgKind::kTimestamp: {
			// UTC; Kintone stores DATETIME with seconds 00, so they are dropped here.
			Timestamp ts = DatumGetTimestamp(d);
			struct pg_tm tm;
			fsec_t fsec;
			if (TIMESTAMP_NOT_FINITE(ts) || timestamp2tm(ts, nullptr, &tm, &fsec, nullptr, nullptr) != 0 ||
			    tm.tm_year < 1 || tm.tm_year > 9999) {
				ereport(ERROR, (errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				                errmsg("Kintone stores timestamps of the years 1 to 9999 only")));
			}
			cell.text =
			    psprintf("%04d-%02d-%02dT%02d:%02d:00Z", tm.tm_year, tm.tm_mon, tm.tm_mday, tm.tm_hour, tm.tm_min);
			break;
		}
		case PgKind::kArray: {
			Datum *elems;
			bool *nulls;
			int n;
			deconstruct_array(DatumGetArrayTypeP(d), col.elem_type, col.elem_len, col.elem_byval, col.elem_align,
			                  &elems, &nulls, &n);
			cell.nelems = n;
			cell.elems = static_cast<char **>(palloc(sizeof(char *) * (n > 0 ? n : 1)));
			for (int e = 0; e < n; ++e) {
				if (nulls[e]) {
					ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					                errmsg("Kintone cannot store a NULL array element")));
				}
				cell.elems[e] = OutputFunctionCall(const_cast<FmgrInfo *>(&col.elem_out), elems[e]);
			}
			break;
		}
		}
	}
	st->current = nullptr;
	error_context_stack = errcallback.previous;
}

void InitSendCol(SendCol &col, Form_pg_attribute att) {
	col.attnum = att->attnum;
	col.name = pstrdup(NameStr(att->attname));
	Oid type = att->atttypid;
	Oid out;
	bool varlena;
	getTypeOutputInfo(type, &out, &varlena);
	fmgr_info(out, &col.out);
	if (type == DATEOID) {
		col.kind = PgKind::kDate;
	} else if (type == TIMEOID) {
		col.kind = PgKind::kTime;
	} else if (type == TIMESTAMPTZOID || type == TIMESTAMPOID) {
		col.kind = PgKind::kTimestamp;
	} else if (type == JSONBOID || type == JSONOID) {
		col.kind = PgKind::kJson;
	} else if (OidIsValid(get_element_type(type))) {
		col.kind = PgKind::kArray;
		col.elem_type = get_element_type(type);
		get_typlenbyvalalign(col.elem_type, &col.elem_len, &col.elem_byval, &col.elem_align);
		getTypeOutputInfo(col.elem_type, &out, &varlena);
		fmgr_info(out, &col.elem_out);
	} else {
		col.kind = PgKind::kText;
	}
}

// Columns in a bitmap of attnums offset by FirstLowInvalidHeapAttributeNumber (0 = whole row).
List *AttnumList(Relation rel, Bitmapset *cols, bool with_defaults) {
	TupleDesc desc = RelationGetDescr(rel);
	bool whole_row = bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, cols);
	List *out = NIL;
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (att->attisdropped || att->attgenerated) {
			continue;
		}
		if (whole_row || bms_is_member(i + 1 - FirstLowInvalidHeapAttributeNumber, cols) ||
		    (with_defaults && att->atthasdef)) {
			out = lappend_int(out, i + 1);
		}
	}
	return out;
}

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

KintoneModifyState *InitModify(EState *estate, ResultRelInfo *rinfo, CmdType op, List *send_attrs, List *trigger_attrs,
                               List *return_attrs, bool has_returning, bool reads_target, Plan *subplan, int eflags) {
	Relation rel = rinfo->ri_RelationDesc;
	TupleDesc desc = RelationGetDescr(rel);
	KintoneModifyState *st = static_cast<KintoneModifyState *>(palloc0(sizeof(KintoneModifyState)));
	st->op = op;
	st->rel = rel;
	st->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	st->per_row = has_returning;
	st->reads_target = reads_target;
	if (reads_target && has_returning) {
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("INSERT ... RETURNING into foreign table \"%s\" cannot read the Kintone app it writes",
		                       RelationGetRelationName(rel)),
		                errdetail("Rows inserted one by one would be read again by the statement's own scan."),
		                errhint("Leave out RETURNING, or copy the rows into a temporary table first.")));
	}
	RawTable *raw = ReadRawTable(RelationGetRelid(rel), CheckAsUser(estate, rinfo));

	st->nsend = list_length(send_attrs) + list_length(trigger_attrs);
	st->send = static_cast<SendCol *>(palloc0(sizeof(SendCol) * (st->nsend + 1)));
	st->cells = static_cast<CellValue *>(palloc0(sizeof(CellValue) * (st->nsend + 1)));
	ListCell *cell;
	int i = 0;
	foreach (cell, send_attrs) {
		InitSendCol(st->send[i++], TupleDescAttr(desc, lfirst_int(cell) - 1));
	}
	foreach (cell, trigger_attrs) {
		st->send[i].by_trigger = true;
		InitSendCol(st->send[i++], TupleDescAttr(desc, lfirst_int(cell) - 1));
	}
	int *send_attnums = static_cast<int *>(palloc0(sizeof(int) * (st->nsend + 1)));
	for (i = 0; i < st->nsend; ++i) {
		send_attnums[i] = st->send[i].attnum;
	}
	int nret = list_length(return_attrs);
	int *ret_attnums = static_cast<int *>(palloc0(sizeof(int) * (nret + 1)));
	bool *ret_fetch = static_cast<bool *>(palloc0(sizeof(bool) * (nret + 1)));
	i = 0;
	foreach (cell, return_attrs) {
		ret_attnums[i++] = lfirst_int(cell);
	}

	st->callback.func = DeleteModifyCpp;
	st->cpp = Guard([&]() { return new ModifyCpp(); });
	st->callback.arg = st->cpp;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->callback);
	st->cpp->watch = StartCancelWatch();

	char *app_text = nullptr;
	char *fields_text = nullptr;
	Guard([&]() {
		ModifyCpp &cpp = *st->cpp;
		TableDef def = MakeTableDef(*raw);
		cpp.app = def.app;
		cpp.guest = def.guest_space_id;
		cpp.session = &GetSession(def.conn); // builds the session; no request
		// The type and lookup source of each column; refuses read-only ones. Two passes: what
		// the column options tell first, so that no request is made for a statement that is
		// refused anyway; then, for a hand-written table without field_type, the form (read
		// once per backend), which also tells lookup copies. Imported tables carry both.
		const kintone::FormInfo *form = nullptr;
		auto check = [&](const ColumnDef &col, FieldType *type_out) {
			FieldType type = SystemFieldType(col.field_code);
			if (type == FieldType::kUnknown && !col.field_type.empty()) {
				type = kintone::FieldTypeFromName(col.field_type);
			}
			const kintone::FieldInfo *field = form != nullptr ? form->Find(col.field_code) : nullptr;
			if (type == FieldType::kUnknown && field != nullptr && field->subtable.empty()) {
				type = field->type;
			}
			std::string copied_by = col.lookup_copy_of;
			if (copied_by.empty() && field != nullptr) {
				copied_by = field->copied_by;
			}
			if (st->op != CMD_DELETE && !copied_by.empty()) {
				throw kintone::Error(kintone::ErrorKind::kNotSupported,
				                     "column \"" + col.name + "\" of foreign table \"" + def.relname + "\" cannot be " +
				                         (st->op == CMD_INSERT ? "inserted" : "updated"),
				                     "Its Kintone field \"" + col.field_code +
				                         "\" is a lookup copy: Kintone fills it from the lookup field \"" + copied_by +
				                         "\" and ignores values sent for it.",
				                     "Set the lookup field instead.");
			}
			const char *reason = st->op != CMD_DELETE ? ReadOnlyReason(type, st->op) : nullptr;
			if (reason != nullptr) {
				throw kintone::Error(kintone::ErrorKind::kNotSupported,
				                     "column \"" + col.name + "\" of foreign table \"" + def.relname + "\" cannot be " +
				                         (st->op == CMD_INSERT ? "inserted" : "updated"),
				                     std::string("Its Kintone field \"") + col.field_code + "\" is of type " +
				                         kintone::FieldTypeName(type) + ": " + reason + ".",
				                     st->op == CMD_INSERT ? "Leave the column out of the INSERT column list."
				                                          : "Leave the column out of the SET list.");
			}
			*type_out = type;
		};
		// A column the statement names must be writable; one only a trigger may set is simply
		// never sent when it is read-only.
		auto resolve = [&](int c) {
			const ColumnDef &col = def.column(send_attnums[c]);
			FieldType type = FieldType::kUnknown;
			if (st->send[c].by_trigger) {
				try {
					check(col, &type);
				} catch (const kintone::Error &) {
					st->send[c].never = true;
				}
			} else {
				check(col, &type);
			}
			return type;
		};
		bool need_form = false;
		for (int c = 0; c < st->nsend; ++c) {
			need_form |= resolve(c) == FieldType::kUnknown && def.column(send_attnums[c]).lookup_copy_of.empty();
		}
		if (need_form && !st->explain_only) {
			form = &CachedForm(def);
		}
		std::string fields;
		for (int c = 0; c < st->nsend; ++c) {
			const ColumnDef &col = def.column(send_attnums[c]);
			FieldType type = resolve(c);
			cpp.codes.push_back(col.field_code);
			cpp.types.push_back(type);
			if (!st->send[c].by_trigger) {
				fields += (fields.empty() ? "" : ", ") + col.field_code;
			}
		}
		for (size_t c = 0; c < def.columns.size(); ++c) {
			const ColumnDef &col = def.columns[c];
			if (col.dropped) {
				continue;
			}
			if (col.field_code == "$id" && st->id_attnum == 0) {
				st->id_attnum = col.attnum;
			} else if (col.field_code == "$revision" && st->rev_attnum == 0) {
				st->rev_attnum = col.attnum;
			}
		}
		for (int r = 0; r < nret; ++r) {
			const std::string &code = def.column(ret_attnums[r]).field_code;
			ret_fetch[r] = code != "$id" && code != "$revision";
		}
		kintone::WriteKind kind = st->op == CMD_INSERT   ? kintone::WriteKind::kInsert
		                          : st->op == CMD_UPDATE ? kintone::WriteKind::kUpdate
		                                                 : kintone::WriteKind::kDelete;
		cpp.writer = std::make_unique<kintone::Writer>(*cpp.session, def.app, def.guest_space_id, kind);
		cpp.relname = def.relname;
		st->chunk = static_cast<long>(cpp.writer->chunk_size());
		app_text = MallocCopy(std::to_string(def.app));
		fields_text = MallocCopy(fields);
	});
	st->app_text = TakeMalloced(app_text);
	st->fields_text = TakeMalloced(fields_text);

	if (st->id_attnum > 0) {
		Oid out;
		bool varlena;
		getTypeOutputInfo(TupleDescAttr(desc, st->id_attnum - 1)->atttypid, &out, &varlena);
		fmgr_info(out, &st->id_out);
	}
	if (st->rev_attnum > 0) {
		Oid out;
		bool varlena;
		getTypeOutputInfo(TupleDescAttr(desc, st->rev_attnum - 1)->atttypid, &out, &varlena);
		fmgr_info(out, &st->rev_out);
	}
	if (subplan != nullptr && op != CMD_INSERT) {
		st->id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kIdJunk);
		if (!AttributeNumberIsValid(st->id_junk)) {
			elog(ERROR, "kintone_fdw: the row identity column \"%s\" is missing", kIdJunk);
		}
		st->rev_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kRevisionJunk);
		st->wholerow_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, "wholerow");
		if (op == CMD_UPDATE && list_length(trigger_attrs) > 0 && AttributeNumberIsValid(st->wholerow_junk)) {
			st->old_row = ExecInitExtraTupleSlot(estate, desc, &TTSOpsHeapTuple);
		}
	}
	if (has_returning && op != CMD_DELETE && !st->explain_only) {
		List *fetch_attrs = NIL;
		for (int r = 0; r < nret; ++r) {
			if (ret_fetch[r]) {
				fetch_attrs = lappend_int(fetch_attrs, ret_attnums[r]);
			}
		}
		if (fetch_attrs != NIL) {
			st->fetch = BeginRowFetch(raw, desc, fetch_attrs);
		}
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
	return isnull ? nullptr : OutputFunctionCall(out, d);
}

// Sets a column of values/isnull from Kintone's text (the $id or $revision just returned).
void SetFromText(Relation rel, int attnum, const char *text, Datum *values, bool *isnull) {
	if (attnum <= 0 || text == nullptr || text[0] == '\0') {
		return;
	}
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	Oid in, ioparam;
	getTypeInputInfo(att->atttypid, &in, &ioparam);
	values[attnum - 1] = OidInputFunctionCall(in, const_cast<char *>(text), ioparam, att->atttypmod);
	isnull[attnum - 1] = false;
}

// RETURNING of a row sent alone: $id and $revision from Kintone's answer, other columns read
// back when RETURNING names them (server-filled values: defaults, CALC, record number, times).
TupleTableSlot *StoreReturning(KintoneModifyState *st, TupleTableSlot *slot) {
	TupleDesc desc = slot->tts_tupleDescriptor;
	slot_getallattrs(slot);
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * (desc->natts + 1)));
	bool *isnull = static_cast<bool *>(palloc(sizeof(bool) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		values[i] = slot->tts_values[i];
		isnull[i] = slot->tts_isnull[i];
	}
	char *id = pstrdup(st->cpp->last_id.c_str());
	char *revision = pstrdup(st->cpp->last_revision.c_str());
	SetFromText(st->rel, st->id_attnum, id, values, isnull);
	SetFromText(st->rel, st->rev_attnum, revision, values, isnull);
	if (st->fetch != nullptr) {
		FetchRowValues(st->fetch, id, values, isnull);
	}
	HeapTuple tuple = heap_form_tuple(desc, values, isnull);
	ExecForceStoreHeapTuple(tuple, slot, false);
	return slot;
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

// ReadCells while a chunk is in flight. A conversion error finishes that write first (not
// abortable, bounded by the request timeout) and then says what stays written, as it does
// when no write is in flight; the error itself is PostgreSQL's, raised again unchanged
// otherwise.
void ReadCellsSettling(KintoneModifyState *st, TupleTableSlot *slot) {
	kintone::Writer *writer = st->cpp != nullptr ? st->cpp->writer.get() : nullptr;
	if (writer == nullptr || !writer->in_flight()) {
		ReadCells(st, slot);
		return;
	}
	MemoryContext cxt = CurrentMemoryContext;
	long long before = writer->written();
	PG_TRY();
	{ ReadCells(st, slot); }
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
				st->cpp->told = after > 0;
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

// A conversion error of the C++ phase while a chunk is in flight: that write is finished
// first (as in ReadCellsSettling) and the error says what stays written.
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
		cpp.told = true;
	}
	// An unknown outcome is added by SendErrorContext.
}

// Queues (or, row by row, sends) the current row. C++ phase.
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
		if (st->op != CMD_DELETE) {
			try {
				record = BuildRecord(st);
			} catch (kintone::Error &e) {
				SettleAfterRowError(cpp, e);
				throw;
			}
		}
		switch (st->op) {
		case CMD_INSERT:
			cpp.writer->AddInsert(std::move(record));
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
				cpp.last_id = cpp.writer->results().back().id;
				cpp.last_revision = cpp.writer->results().back().revision;
			}
		} else if (cpp.writer->full() && !st->reads_target) {
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

void FlushPending(KintoneModifyState *st) {
	if (st == nullptr || st->cpp == nullptr || !st->cpp->writer || st->explain_only) {
		return;
	}
	ErrorContextCallback errcallback;
	errcallback.callback = SendErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	Guard([&]() { st->cpp->writer->Flush(); });
	error_context_stack = errcallback.previous;
}

void EndModify(ResultRelInfo *rinfo) {
	KintoneModifyState *st = static_cast<KintoneModifyState *>(rinfo->ri_FdwState);
	if (st == nullptr || st->cpp == nullptr) {
		return;
	}
	FlushPending(st);
	ModifyCpp *cpp = st->cpp;
	st->cpp = nullptr;
	st->callback.arg = nullptr;
	StopCancelWatch(cpp->watch);
	Guard([&]() { delete cpp; });
}

TupleTableSlot *ExecRow(KintoneModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot) {
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
		bool first_time = Guard([&]() { return st->cpp->done_ids.insert(id).second; });
		if (!first_time) {
			st->row--; // rows are numbered as the writer counts them
			MemoryContextSwitchTo(old);
			return nullptr; // already updated or deleted by this statement: not again
		}
	}
	if (st->old_row != nullptr) {
		bool isnull;
		Datum d = ExecGetJunkAttribute(planSlot, st->wholerow_junk, &isnull);
		ExecClearTuple(st->old_row);
		if (!isnull) {
			HeapTupleHeader td = DatumGetHeapTupleHeader(d);
			HeapTupleData *tuple = static_cast<HeapTupleData *>(palloc0(sizeof(HeapTupleData)));
			tuple->t_len = HeapTupleHeaderGetDatumLength(td);
			ItemPointerSetInvalid(&tuple->t_self);
			tuple->t_tableOid = RelationGetRelid(st->rel);
			tuple->t_data = td;
			ExecStoreHeapTuple(tuple, st->old_row, false);
		}
	}
	if (st->op != CMD_DELETE) {
		ReadCellsSettling(st, slot);
	}
	QueueRow(st, id, revision);
	if (st->per_row) {
		if (st->op == CMD_DELETE) {
			// RETURNING of a DELETE: the row as the scan read it.
			bool isnull;
			Datum d = ExecGetJunkAttribute(planSlot, st->wholerow_junk, &isnull);
			if (!isnull) {
				HeapTupleHeader td = DatumGetHeapTupleHeader(d);
				HeapTupleData tuple;
				tuple.t_len = HeapTupleHeaderGetDatumLength(td);
				ItemPointerSetInvalid(&tuple.t_self);
				tuple.t_tableOid = RelationGetRelid(st->rel);
				tuple.t_data = td;
				ExecForceStoreHeapTuple(heap_copytuple(&tuple), slot, false);
			}
		} else {
			slot = StoreReturning(st, slot);
		}
	}
	MemoryContextSwitchTo(old);
	return slot;
}

// The "app" option of a foreign table of kintone_fdw, or nullptr.
const char *AppOf(Oid relid, Oid *server) {
	ForeignTable *table = GetForeignTable(relid);
	*server = table->serverid;
	ListCell *cell;
	foreach (cell, table->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "app") == 0) {
			return defGetString(def);
		}
	}
	return nullptr;
}

// Does the query (its range table, subqueries, CTEs) read a foreign table of the same server
// and app as target? Such an INSERT must not send records while its scan still runs: seek
// paging on $id would read the new records and insert them again.
bool ReadsApp(Query *query, Oid target) {
	Oid target_server;
	const char *target_app = AppOf(target, &target_server);
	if (target_app == nullptr) {
		return false;
	}
	List *queue = list_make1(query);
	bool top = true;
	while (queue != NIL) {
		Query *q = static_cast<Query *>(linitial(queue));
		queue = list_delete_first(queue);
		ListCell *cell;
		int index = 0;
		foreach (cell, q->rtable) {
			RangeTblEntry *r = static_cast<RangeTblEntry *>(lfirst(cell));
			++index;
			if (r->rtekind == RTE_SUBQUERY && r->subquery != nullptr) {
				queue = lappend(queue, r->subquery);
			} else if (r->rtekind == RTE_RELATION && r->relkind == RELKIND_FOREIGN_TABLE &&
			           !(top && index == q->resultRelation)) {
				Oid server;
				const char *app = AppOf(r->relid, &server);
				if (r->relid == target || (app != nullptr && server == target_server && strcmp(app, target_app) == 0)) {
					return true;
				}
			}
		}
		foreach (cell, q->cteList) {
			CommonTableExpr *cte = static_cast<CommonTableExpr *>(lfirst(cell));
			if (IsA(cte->ctequery, Query)) {
				queue = lappend(queue, cte->ctequery);
			}
		}
		top = false;
	}
	return false;
}

// The columns not in send that a BEFORE ROW INSERT/UPDATE trigger of rel may set (postgres_fdw
// sends every column then); NIL without such a trigger.
List *TriggerAttrs(Relation rel, CmdType op, List *send) {
	TriggerDesc *trig = rel->trigdesc;
	if (trig == nullptr ||
	    !(op == CMD_INSERT ? trig->trig_insert_before_row : op == CMD_UPDATE && trig->trig_update_before_row)) {
		return NIL;
	}
	List *all = AttnumList(rel, bms_make_singleton(0 - FirstLowInvalidHeapAttributeNumber), false);
	List *out = NIL;
	ListCell *cell;
	foreach (cell, all) {
		if (!list_member_int(send, lfirst_int(cell))) {
			out = lappend_int(out, lfirst_int(cell));
		}
	}
	return out;
}

} // namespace

extern "C" void kintoneAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
                                               Relation target_relation) {
	(void)target_rte;
	int id = SystemColumn(target_relation, "$id");
	if (id == 0) {
		ereport(ERROR,
		        (errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
		         errmsg("foreign table \"%s\" has no column for the Kintone record id",
		                RelationGetRelationName(target_relation)),
		         errdetail("UPDATE and DELETE identify records by the column whose field_code is \"$id\"."),
		         errhint("Add one: ALTER FOREIGN TABLE ... ADD COLUMN \"$id\" bigint OPTIONS (field_code '$id'); "
		                 "IMPORT FOREIGN SCHEMA creates it.")));
	}
	TupleDesc desc = RelationGetDescr(target_relation);
	Form_pg_attribute att = TupleDescAttr(desc, id - 1);
	add_row_identity_var(root, makeVar(rtindex, id, att->atttypid, att->atttypmod, att->attcollation, 0), rtindex,
	                     kIdJunk);
	int rev = SystemColumn(target_relation, "$revision");
	if (rev > 0) {
		att = TupleDescAttr(desc, rev - 1);
		add_row_identity_var(root, makeVar(rtindex, rev, att->atttypid, att->atttypmod, att->attcollation, 0), rtindex,
		                     kRevisionJunk);
	}
	if (root->parse->commandType == CMD_DELETE && root->parse->returningList != NIL) {
		// RETURNING of a DELETE shows the row as read.
		add_row_identity_var(root, makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1, InvalidOid, 0), rtindex,
		                     "wholerow");
	}
}

extern "C" List *kintonePlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
                                          int subplan_index) {
	CmdType op = plan->operation;
	if (plan->onConflictAction != ONCONFLICT_NONE) {
		// Kintone has no conflict handling that matches PostgreSQL's (upsert works on a unique
		// field key, not on the row's constraints): refuse rather than insert blindly.
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("INSERT ... ON CONFLICT is not supported on Kintone foreign tables")));
	}
	RangeTblEntry *rte = planner_rt_fetch(resultRelation, root);
	Relation rel = table_open(rte->relid, NoLock);
	List *send = NIL;
	if (op == CMD_INSERT) {
		send = AttnumList(rel, rte->insertedCols, true);
	} else if (op == CMD_UPDATE) {
		RelOptInfo *baserel = find_base_rel(root, resultRelation);
		send = AttnumList(rel, get_rel_all_updated_cols(root, baserel), false);
	}
	List *ret = NIL;
	bool has_returning = plan->returningLists != NIL;
	if (has_returning) {
		Bitmapset *attrs = nullptr;
		pull_varattnos(static_cast<Node *>(list_nth(plan->returningLists, subplan_index)), resultRelation, &attrs);
		ret = AttnumList(rel, attrs, false);
	}
	bool reads_target = op == CMD_INSERT && ReadsApp(root->parse, rte->relid);
	List *by_trigger = TriggerAttrs(rel, op, send);
	table_close(rel, NoLock);
	return list_make5(send, ret, makeInteger(has_returning ? 1 : 0), makeInteger(reads_target ? 1 : 0), by_trigger);
}

extern "C" void kintoneBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
                                          int subplan_index, int eflags) {
	(void)subplan_index;
	Plan *subplan = outerPlanState(mtstate)->plan;
	rinfo->ri_FdwState = InitModify(mtstate->ps.state, rinfo, mtstate->operation,
	                                static_cast<List *>(list_nth(fdw_private, kModSendAttrs)),
	                                static_cast<List *>(list_nth(fdw_private, kModTriggerAttrs)),
	                                static_cast<List *>(list_nth(fdw_private, kModReturnAttrs)),
	                                intVal(list_nth(fdw_private, kModHasReturning)) != 0,
	                                intVal(list_nth(fdw_private, kModReadsTarget)) != 0, subplan, eflags);
}

extern "C" void kintoneBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo) {
	EState *estate = mtstate->ps.state;
	Relation rel = rinfo->ri_RelationDesc;
	List *send = AttnumList(rel, ExecGetInsertedCols(rinfo, estate), true);
	bool has_returning = rinfo->ri_returningList != NIL;
	List *ret =
	    has_returning ? AttnumList(rel, bms_make_singleton(0 - FirstLowInvalidHeapAttributeNumber), false) : NIL;
	rinfo->ri_FdwState = InitModify(estate, rinfo, CMD_INSERT, send, TriggerAttrs(rel, CMD_INSERT, send), ret,
	                                has_returning, false, nullptr, 0);
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
	EndModify(rinfo);
}

extern "C" void kintoneEndForeignInsert(EState *estate, ResultRelInfo *rinfo) {
	(void)estate;
	EndModify(rinfo);
}

// The updatable option of the table, else of the server, else true (as postgres_fdw).
extern "C" int kintoneIsForeignRelUpdatable(Relation rel) {
	ForeignTable *table = GetForeignTable(RelationGetRelid(rel));
	ForeignServer *server = GetForeignServer(table->serverid);
	bool updatable = true;
	ListCell *cell;
	foreach (cell, server->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "updatable") == 0) {
			updatable = defGetBoolean(def);
		}
	}
	foreach (cell, table->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "updatable") == 0) {
			updatable = defGetBoolean(def);
		}
	}
	return updatable ? (1 << CMD_INSERT) | (1 << CMD_UPDATE) | (1 << CMD_DELETE) : 0;
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
	    st->per_row        ? "one request per row (RETURNING): not batched, not atomic"
	    : st->reads_target ? "up to 2000 records per request, sent when the statement's scan of the same app has ended"
	    : st->chunk > 100  ? "up to 2000 records per request (bulkRequest of 100-record calls, all or nothing)"
	                       : "100 records per request (no bulkRequest: atomic per 100 records only)";
	ExplainPropertyText("Kintone batching", batching, es);
	if (es->verbose) {
		if (st->op != CMD_DELETE) {
			ExplainPropertyText("Kintone fields", st->fields_text, es);
		}
		if (st->op != CMD_INSERT) {
			ExplainPropertyText("Kintone row identity", st->rev_attnum > 0 ? "$id, $revision" : "$id", es);
		}
	}
	if (es->analyze && st->cpp != nullptr && st->cpp->writer) {
		// EXPLAIN ANALYZE prints before EndForeignModify: send what is queued now, so that the
		// figures are final (the statement's outcome is the same).
		FlushPending(st);
		long requests = st->cpp->writer->requests() + RowFetchRequests(st->fetch);
		long long written = st->cpp->writer->written();
		ExplainPropertyInteger("Kintone requests", nullptr, requests, es);
		ExplainPropertyInteger("Kintone records written", nullptr, written, es);
	}
}

} // namespace kintone_fdw
