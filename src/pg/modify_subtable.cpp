// INSERT, UPDATE, DELETE and COPY FROM on a table of a subtable's rows (docs/subtables.md,
// "Writing"; the write path's other files are listed in modify_state.hpp).
//
// A row of such a table is a row of a SUBTABLE field inside a parent record; Kintone writes the
// subtable only as a whole, inside an update of the record. So each row of the statement is
// converted as for a record (ReadRow, BuildRecord: the inner fields it sets) and added to the
// statement's kintone::RowChanges (src/kintone/subtable_write.hpp), by parent; nothing is sent
// while the statement reads rows. When the plan has run (FinishWrites: ExecutorFinish or the
// end of the modify), the parents are read again (`$id in (…)`), the changes applied (other
// rows kept with their ids) and each parent queued as one record update in the statement's
// kintone::Writer: 2,000 parents per request, all or nothing, with the same at-most-once sends
// and truthful outcomes as record writes.
//
// Concurrency: UPDATE and DELETE carry the parent's revision as the scan read it (the row's
// ctid, scan.hpp RevisionToTid); a parent read again at another revision fails the statement
// with 40001 before that chunk is sent, and the update is sent with the revision the scan read,
// so a change in between is refused by Kintone (GAIA_CO02, 40001) and nothing of the chunk is
// written. An INSERT has read no revision: it sends the one just read.
#include "pg/modify_state.hpp"

#include "kintone/error.hpp"
#include "kintone/subtable.hpp"
#include "pg/guard.hpp"
#include "pg/scan.hpp"
#include "pg/table.hpp"

extern "C" {
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "utils/memutils.h"
#include "utils/rel.h"
}

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace kintone_fdw {

namespace {

// A whole number of the text of an id or position, or -1 when it is not one.
long long Digits(const char *text) {
	if (text == nullptr || text[0] == '\0' || strlen(text) > 18) {
		return -1;
	}
	for (const char *p = text; *p != '\0'; ++p) {
		if (*p < '0' || *p > '9') {
			return -1;
		}
	}
	return strtoll(text, nullptr, 10);
}

char *JunkValueText(TupleTableSlot *planSlot, AttrNumber attno, FmgrInfo *out) {
	bool isnull;
	Datum d = ExecGetJunkAttribute(planSlot, attno, &isnull);
	return isnull ? nullptr : IdentityText(out, d);
}

} // namespace

void StartRowsWrite(KintoneModifyState *st, ModifyCpp &cpp, const TableDef &def) {
	st->rows_table = true;
	for (int c = 0; c < st->nsend; ++c) {
		const std::string &code = def.column(st->send[c].attnum).field_code;
		if (code == "$id") {
			st->parent_col = c;
		} else if (code == kintone::kRowIdField) {
			st->row_id_col = c;
		} else if (code == kintone::kRowIndexField) {
			st->row_index_col = c;
		}
	}
	if (st->op == CMD_INSERT && (st->parent_col < 0 || st->send[st->parent_col].by_trigger)) {
		throw kintone::Error(kintone::ErrorKind::kNotSupported,
		                     "an INSERT into foreign table \"" + def.relname +
		                         "\" must give the parent record's \"$id\"",
		                     "Each row of a subtable belongs to a record: the column whose field_code is \"$id\" "
		                     "names it.",
		                     "Add the column of \"$id\" to the INSERT's column list.");
	}
	cpp.row_changes = std::make_unique<kintone::RowChanges>(def.subtable);
	cpp.app = def.app;
	cpp.guest_space_id = def.guest_space_id;
}

void InitRowsIdentity(KintoneModifyState *st, EState *estate, Plan *subplan, bool trigger_columns) {
	if (subplan == nullptr) {
		return;
	}
	// UPDATE with a BEFORE ROW trigger: the row as read, to see which columns the trigger set
	// (modify_rows.cpp), as for record tables.
	st->wholerow_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, "wholerow");
	if (st->op == CMD_UPDATE && trigger_columns && AttributeNumberIsValid(st->wholerow_junk)) {
		st->old_row = ExecInitExtraTupleSlot(estate, RelationGetDescr(st->rel), &TTSOpsHeapTuple);
	}
	st->id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kIdJunk);
	st->row_id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kRowIdJunk);
	st->parent_rev_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kParentRevisionJunk);
	if (!AttributeNumberIsValid(st->id_junk) || !AttributeNumberIsValid(st->row_id_junk) ||
	    !AttributeNumberIsValid(st->parent_rev_junk)) {
		elog(ERROR, "kintone_fdw: a row identity column of a subtable's rows is missing");
	}
	Oid id_type = InvalidOid, row_id_type = InvalidOid;
	List *tlist = subplan->targetlist;
	id_type = exprType(reinterpret_cast<Node *>(static_cast<TargetEntry *>(list_nth(tlist, st->id_junk - 1))->expr));
	row_id_type =
	    exprType(reinterpret_cast<Node *>(static_cast<TargetEntry *>(list_nth(tlist, st->row_id_junk - 1))->expr));
	InitIdentityConv(&st->id_out, id_type);
	InitIdentityConv(&st->row_id_out, row_id_type);
}

bool QueueRowChange(KintoneModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot) {
	MemoryContextReset(st->row_cxt);
	MemoryContext old = MemoryContextSwitchTo(st->row_cxt);
	st->row++;
	const char *relname = RelationGetRelationName(st->rel);
	long long parent = -1;
	long long row_id = -1;
	long long revision = -1;
	long long index = 0;
	if (st->op != CMD_INSERT) {
		char *parent_text = JunkValueText(planSlot, st->id_junk, &st->id_out);
		char *row_id_text = JunkValueText(planSlot, st->row_id_junk, &st->row_id_out);
		bool isnull;
		Datum tid = ExecGetJunkAttribute(planSlot, st->parent_rev_junk, &isnull);
		revision = isnull ? 0 : TidToRevision(reinterpret_cast<ItemPointerData *>(DatumGetPointer(tid)));
		parent = Digits(parent_text);
		row_id = Digits(row_id_text);
		if (parent <= 0 || row_id <= 0 || revision <= 0) {
			ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
			                errmsg("row %lld of the statement on foreign table \"%s\" has no Kintone record id, row "
			                       "id or revision",
			                       st->row, relname),
			                errdetail("Only rows read from Kintone by the statement can be updated or deleted.")));
		}
		bool first_time = Guard([&]() { return st->cpp->written_ids.insert(std::to_string(row_id)).second; });
		if (!first_time) {
			st->row--;
			MemoryContextSwitchTo(old);
			return false; // changed by this statement already (a join gave it twice): not again
		}
	}
	if (st->old_row != nullptr) {
		LoadOldRow(st, planSlot);
	}
	if (st->op != CMD_DELETE) {
		ReadRow(st, slot);
	}
	if (st->op == CMD_INSERT) {
		const kintone::FieldValue &p = st->cells[st->parent_col];
		parent = p.is_null ? -1 : Digits(p.text);
		if (p.is_null) {
			ereport(ERROR, (errcode(ERRCODE_NOT_NULL_VIOLATION),
			                errmsg("the parent record id (\"$id\") of row %lld of the INSERT into foreign table \"%s\" "
			                       "is NULL",
			                       st->row, relname),
			                errdetail("Nothing of the statement was sent to Kintone.")));
		}
		if (parent <= 0) {
			ereport(ERROR, (errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			                errmsg("the parent record id (\"$id\") of row %lld of the INSERT into foreign table \"%s\" "
			                       "is not a Kintone record id: \"%s\"",
			                       st->row, relname, p.text),
			                errdetail("Nothing of the statement was sent to Kintone.")));
		}
		if (st->row_id_col >= 0 && !st->cells[st->row_id_col].is_null) {
			ereport(ERROR, (errcode(ERRCODE_GENERATED_ALWAYS),
			                errmsg("row %lld of the INSERT into foreign table \"%s\" gives a row id (\"$row_id\")",
			                       st->row, relname),
			                errdetail("Kintone assigns the ids of new rows. Nothing of the statement was sent."),
			                errhint("Leave \"$row_id\" out of the INSERT, or NULL.")));
		}
		if (st->row_index_col >= 0 && !st->cells[st->row_index_col].is_null) {
			index = Digits(st->cells[st->row_index_col].text);
			if (index < 1) {
				ereport(ERROR,
				        (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				         errmsg("the position (\"$row_index\") of row %lld of the INSERT into foreign table \"%s\" "
				                "must be 1 or more: %s",
				                st->row, relname, st->cells[st->row_index_col].text),
				         errdetail("Nothing of the statement was sent to Kintone.")));
			}
		}
	}
	for (int c : {st->parent_col, st->row_id_col, st->row_index_col}) {
		if (c >= 0) {
			st->cells[c].omit = true; // they say where the row goes; not fields of the row
		}
	}
	Guard([&]() {
		ModifyCpp &cpp = *st->cpp;
		kintone::RowChanges &changes = *cpp.row_changes;
		switch (st->op) {
		case CMD_INSERT:
			changes.AddInsert(parent, index, kintone::BuildRecord(cpp.fields, st->cells, st->row), st->row);
			break;
		case CMD_UPDATE:
			changes.AddUpdate(parent, revision, row_id, kintone::BuildRecord(cpp.fields, st->cells, st->row), st->row);
			break;
		default:
			changes.AddDelete(parent, revision, row_id, st->row);
			break;
		}
	});
	MemoryContextSwitchTo(old);
	CHECK_FOR_INTERRUPTS();
	return true;
}

void SendRowChanges(KintoneModifyState *st) {
	ModifyCpp &cpp = *st->cpp;
	kintone::RowChanges &changes = *cpp.row_changes;
	kintone::Writer &writer = *cpp.writer;
	size_t chunk = writer.chunk_size();
	auto written_note = [&]() {
		if (writer.written() == 0) {
			return std::string("Nothing of the statement was sent to Kintone.");
		}
		cpp.written_reported = true;
		return "Nothing of these records was sent; " + std::to_string(writer.written()) +
		       " records of this statement had already been written to Kintone and stay written (Kintone has no "
		       "rollback).";
	};
	for (size_t first = 0; first < changes.parents(); first += chunk) {
		size_t count = std::min(chunk, changes.parents() - first);
		std::vector<long long> ids;
		for (size_t i = first; i < first + count; ++i) {
			ids.push_back(changes.parent(i));
		}
		std::map<long long, kintone::ParentRecord> current =
		    kintone::ReadParents(*cpp.session, cpp.app, cpp.guest_space_id, changes.subtable(), ids, &cpp.parent_reads);
		for (size_t i = first; i < first + count; ++i) {
			long long id = changes.parent(i);
			long long seen = changes.revision(i);
			auto found = current.find(id);
			if (found == current.end()) {
				if (seen >= 0) {
					throw kintone::Error(
					    kintone::ErrorKind::kConflict,
					    "Kintone record " + std::to_string(id) + " was deleted after the statement read its rows",
					    "Statement " + changes.StatementRows(i) + ". " + written_note(), "Run the statement again.");
				}
				throw kintone::Error(
				    kintone::ErrorKind::kNotFound, "Kintone record " + std::to_string(id) + " does not exist",
				    "Statement " + changes.StatementRows(i) + " adds a row to its table \"" + changes.subtable() +
				        "\" (the column of \"$id\" names the parent record). " + written_note());
			}
			if (seen >= 0 && found->second.revision != seen) {
				throw kintone::Error(kintone::ErrorKind::kConflict,
				                     "Kintone record " + std::to_string(id) +
				                         " was changed after the statement read its rows",
				                     "The statement read it at revision " + std::to_string(seen) + "; it is now at " +
				                         std::to_string(found->second.revision) + " (statement " +
				                         changes.StatementRows(i) + "). " + written_note(),
				                     "Run the statement again.");
			}
			writer.AddUpdate(std::to_string(id), seen >= 0 ? seen : found->second.revision,
			                 changes.Record(i, found->second.rows));
		}
		try {
			writer.Flush();
		} catch (kintone::Error &e) {
			e.set_detail(e.detail() +
			             "\nWriting a subtable's rows sends one record update per parent record: the "
			             "rows named above are parent records, in the order the statement first "
			             "changed them (the first of this request: record " +
			             std::to_string(ids.front()) + ").");
			throw;
		}
	}
}

} // namespace kintone_fdw
