// Module entry points: module magic, the FDW handler and the option validator.
//
// Every function PostgreSQL calls is extern "C" and runs through Guard (pg/guard.hpp).
// Nothing runs at load time: there is no _PG_init work and no static object with a
// constructor; libcurl and the client are initialised lazily on first use.
#include "pg/postgres.hpp"

#include "kintone/error.hpp"
#include "pg/guard.hpp"
#include "pg/option.hpp"

extern "C" {
PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(kintone_fdw_handler);
PG_FUNCTION_INFO_V1(kintone_fdw_validator);

Datum kintone_fdw_handler(PG_FUNCTION_ARGS);
Datum kintone_fdw_validator(PG_FUNCTION_ARGS);
}

namespace kintone_fdw {
namespace {

[[noreturn]] void ReadingNotImplemented() {
	throw kintone::Error(kintone::ErrorKind::kNotSupported, "kintone_fdw cannot read foreign tables yet",
	                     "This build of kintone_fdw provides the foreign-data wrapper, its options and validation; "
	                     "scans are not implemented.");
}

// The planner calls GetForeignRelSize first for every foreign table it plans, so this is
// where a scan is refused with a clear error instead of a missing callback.
extern "C" void kintoneGetForeignRelSize(PlannerInfo *, RelOptInfo *, Oid) {
	Guard([]() { ReadingNotImplemented(); });
}

extern "C" void kintoneGetForeignPaths(PlannerInfo *, RelOptInfo *, Oid) {
	Guard([]() { ReadingNotImplemented(); });
}

extern "C" ForeignScan *kintoneGetForeignPlan(PlannerInfo *, RelOptInfo *, Oid, ForeignPath *, List *, List *, Plan *) {
	return Guard([]() -> ForeignScan * { ReadingNotImplemented(); });
}

extern "C" void kintoneBeginForeignScan(ForeignScanState *, int) {
	Guard([]() { ReadingNotImplemented(); });
}

extern "C" TupleTableSlot *kintoneIterateForeignScan(ForeignScanState *) {
	return Guard([]() -> TupleTableSlot * { ReadingNotImplemented(); });
}

extern "C" void kintoneReScanForeignScan(ForeignScanState *) {
	Guard([]() { ReadingNotImplemented(); });
}

extern "C" void kintoneEndForeignScan(ForeignScanState *) {
	// Nothing was begun, so there is nothing to end.
}

} // namespace
} // namespace kintone_fdw

Datum kintone_fdw_handler(PG_FUNCTION_ARGS) {
	using namespace kintone_fdw;
	// makeNode pallocs and may ereport on out-of-memory, so it runs outside any C++ object.
	FdwRoutine *routine = makeNode(FdwRoutine);
	routine->GetForeignRelSize = kintoneGetForeignRelSize;
	routine->GetForeignPaths = kintoneGetForeignPaths;
	routine->GetForeignPlan = kintoneGetForeignPlan;
	routine->BeginForeignScan = kintoneBeginForeignScan;
	routine->IterateForeignScan = kintoneIterateForeignScan;
	routine->ReScanForeignScan = kintoneReScanForeignScan;
	routine->EndForeignScan = kintoneEndForeignScan;
	PG_RETURN_POINTER(routine);
}

// Validates the options of CREATE/ALTER FOREIGN DATA WRAPPER, SERVER, USER MAPPING,
// FOREIGN TABLE and of columns. Phase 1 reads the catalog list into plain strings; phase 2
// runs the pure C++ rules inside the guard.
Datum kintone_fdw_validator(PG_FUNCTION_ARGS) {
	using namespace kintone_fdw;
	List *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid catalog = PG_GETARG_OID(1);
	Guard([&]() {
		kintone::OptionContext context = OptionContextForCatalog(catalog);
		kintone::ValidateOptions(context, OptionListFromDefElems(options));
	});
	PG_RETURN_VOID();
}
