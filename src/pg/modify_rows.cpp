// One row of a write as Kintone text (see modify_state.hpp): the PostgreSQL phase of each row.
// The values of the send columns are converted by pg/convert.cpp into plain C strings in the
// per-row memory context; an error names the column and the row of the statement (and what
// the statement has already written), as an error context.
#include "pg/modify_state.hpp"

extern "C" {
#include "access/htup_details.h"
#include "executor/executor.h"
#include "utils/datum.h"
#include "utils/rel.h"
}

namespace kintone_fdw {

namespace {

void RowErrorContext(void *arg) {
	KintoneModifyState *st = static_cast<KintoneModifyState *>(arg);
	if (st->current != nullptr) {
		long long written = st->cpp != nullptr && st->cpp->writer ? st->cpp->writer->written() : 0;
		errcontext("%s", RowContextText(st, written));
		if (written > 0) {
			st->cpp->written_reported = true;
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

} // namespace

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

void ReadRow(KintoneModifyState *st, TupleTableSlot *slot) {
	ErrorContextCallback errcallback;
	errcallback.callback = RowErrorContext;
	errcallback.arg = st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;
	const std::vector<kintone::WriteField> &fields = st->cpp->fields;
	for (int i = 0; i < st->nsend; ++i) {
		const SendCol &col = st->send[i];
		kintone::FieldValue &cell = st->cells[i];
		st->current = &col;
		bool isnull;
		Datum d = slot_getattr(slot, col.attnum, &isnull);
		cell.is_null = isnull;
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
		bool seconds_dropped = false;
		DatumToKintone(col.conv, fields[i].type, d, &cell, &seconds_dropped);
		if (seconds_dropped) {
			st->seconds_dropped[i]++;
		}
	}
	st->current = nullptr;
	error_context_stack = errcallback.previous;
}

void LoadOldRow(KintoneModifyState *st, TupleTableSlot *planSlot) {
	bool isnull;
	Datum d = ExecGetJunkAttribute(planSlot, st->wholerow_junk, &isnull);
	ExecClearTuple(st->old_row);
	if (isnull) {
		return;
	}
	HeapTupleHeader td = DatumGetHeapTupleHeader(d);
	HeapTupleData *tuple = static_cast<HeapTupleData *>(palloc0(sizeof(HeapTupleData)));
	tuple->t_len = HeapTupleHeaderGetDatumLength(td);
	ItemPointerSetInvalid(&tuple->t_self);
	tuple->t_tableOid = RelationGetRelid(st->rel);
	tuple->t_data = td;
	ExecStoreHeapTuple(tuple, st->old_row, false);
}

} // namespace kintone_fdw
