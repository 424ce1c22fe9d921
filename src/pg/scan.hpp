// Executor callbacks of the foreign scan (see scan.cpp).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "commands/explain.h"
}

namespace kintone_fdw {

// Batched joins (batch_join.cpp): the keys, an array of the key type planned in the leaf
// (kPlanBatchKeys), that the next execution of this scan sends as "code in (…)". The array
// must stay valid until the scan is rescanned.
void SetScanBatchKeys(ForeignScanState *node, Datum keys);
struct RawTable;
struct RowFetch;

// Reading written records back for RETURNING, with the scan's conversions: the columns
// attnums (List of Integer) of a table whose tuple descriptor is desc.
RowFetch *BeginRowFetch(RawTable *raw, TupleDesc desc, List *attnums);
// One GET records.json for record id; replaces the fetched columns in values/isnull (natts
// entries). Errors when the record is gone.
void FetchRowValues(RowFetch *fetch, const char *id, Datum *values, bool *isnull);
// Requests made by this fetcher.
long RowFetchRequests(const RowFetch *fetch);

// Asynchronous execution (async.cpp). ScanReadyForRow starts the execution if needed (the
// first page's request is then on its way) and says whether IterateForeignScan can return
// without waiting for Kintone; an async scan's IterateForeignScan returns an empty slot when
// it cannot, and ScanFinished then says whether that was the end. ScanWaitFd: the armed wait
// handle of the page in flight, or -1.
bool ScanReadyForRow(ForeignScanState *node);
bool ScanFinished(ForeignScanState *node);
int ScanWaitFd(ForeignScanState *node);

extern "C" {
void kintoneBeginForeignScan(ForeignScanState *node, int eflags);
TupleTableSlot *kintoneIterateForeignScan(ForeignScanState *node);
void kintoneReScanForeignScan(ForeignScanState *node);
void kintoneEndForeignScan(ForeignScanState *node);
void kintoneExplainForeignScan(ForeignScanState *node, ExplainState *es);
bool kintoneAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages);
}

} // namespace kintone_fdw
