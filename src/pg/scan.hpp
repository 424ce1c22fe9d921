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

extern "C" {
void kintoneBeginForeignScan(ForeignScanState *node, int eflags);
TupleTableSlot *kintoneIterateForeignScan(ForeignScanState *node);
void kintoneReScanForeignScan(ForeignScanState *node);
void kintoneEndForeignScan(ForeignScanState *node);
void kintoneExplainForeignScan(ForeignScanState *node, ExplainState *es);
bool kintoneAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages);
}

} // namespace kintone_fdw
