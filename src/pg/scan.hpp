// Executor callbacks of the foreign scan (see scan.cpp).
#pragma once

#include "pg/postgres.hpp"

extern "C" {
#include "commands/explain.h"
}

namespace kintone_fdw {

extern "C" {
void kintoneBeginForeignScan(ForeignScanState *node, int eflags);
TupleTableSlot *kintoneIterateForeignScan(ForeignScanState *node);
void kintoneReScanForeignScan(ForeignScanState *node);
void kintoneEndForeignScan(ForeignScanState *node);
void kintoneExplainForeignScan(ForeignScanState *node, ExplainState *es);
bool kintoneAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages);
}

} // namespace kintone_fdw
