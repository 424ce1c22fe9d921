// RETURNING of a write (see modify_state.hpp). PostgreSQL needs each row's result before it
// hands over the next row, so with RETURNING rows are sent one by one. $id and $revision come
// from Kintone's answer; other columns named by RETURNING are read back (one GET per row, with
// the scan's conversions: pg/scan.hpp RowFetch) so that values Kintone fills are returned: the
// record number, CALC results, defaults, creator and times. DELETE ... RETURNING returns the
// row as the statement read it.
#include "pg/modify_state.hpp"

#include "pg/scan.hpp"

extern "C" {
#include "access/htup_details.h"
#include "executor/executor.h"
#include "utils/rel.h"
}

namespace kintone_fdw {

namespace {

// Sets a column of values/isnull from Kintone's text (the $id or $revision just returned).
void SetFromText(Relation rel, int attnum, const char *text, Datum *values, bool *isnull) {
	if (attnum <= 0) {
		return;
	}
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	if (DatumFromKintoneText(att->atttypid, att->atttypmod, text, &values[attnum - 1])) {
		isnull[attnum - 1] = false;
	}
}

// DELETE ... RETURNING: the row as the scan read it (the "wholerow" junk column).
TupleTableSlot *StoreDeleted(KintoneModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot) {
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
	return slot;
}

} // namespace

RowFetch *BeginReturning(KintoneModifyState *st, RawTable *raw, List *fetch_attrs) {
	if (st->op == CMD_DELETE || st->explain_only || fetch_attrs == NIL) {
		return nullptr;
	}
	return BeginRowFetch(raw, RelationGetDescr(st->rel), fetch_attrs);
}

TupleTableSlot *StoreReturning(KintoneModifyState *st, TupleTableSlot *slot, TupleTableSlot *planSlot) {
	if (st->op == CMD_DELETE) {
		return StoreDeleted(st, slot, planSlot);
	}
	TupleDesc desc = slot->tts_tupleDescriptor;
	slot_getallattrs(slot);
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * (desc->natts + 1)));
	bool *isnull = static_cast<bool *>(palloc(sizeof(bool) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		values[i] = slot->tts_values[i];
		isnull[i] = slot->tts_isnull[i];
	}
	char *id = pstrdup(st->cpp->last_written.id.c_str());
	char *revision = pstrdup(st->cpp->last_written.revision.c_str());
	SetFromText(st->rel, st->id_attnum, id, values, isnull);
	SetFromText(st->rel, st->rev_attnum, revision, values, isnull);
	if (st->fetch != nullptr) {
		FetchRowValues(st->fetch, id, values, isnull);
	}
	HeapTuple tuple = heap_form_tuple(desc, values, isnull);
	ExecForceStoreHeapTuple(tuple, slot, false);
	return slot;
}

} // namespace kintone_fdw
