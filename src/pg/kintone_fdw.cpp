// Module entry points: module magic, the FDW handler and the option validator.
//
// Every function PostgreSQL calls is extern "C" and runs through Guard (pg/guard.hpp).
// Nothing runs at load time but hook registration: _PG_init installs the batched join's
// join-path hook (pg/batch_join.hpp); there is no static object with a constructor, and
// libcurl and the client are initialised lazily on first use. The library is loaded by the
// FDW handler while a query is planned, before join paths are built, so the hook is in
// place for the first join.
#include "pg/postgres.hpp"

#include "kintone/error.hpp"
#include "pg/batch_join.hpp"
#include "pg/guard.hpp"
#include "pg/import.hpp"
#include "pg/option.hpp"
#include "pg/planner.hpp"
#include "pg/scan.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

PG_FUNCTION_INFO_V1(kintone_fdw_handler);
PG_FUNCTION_INFO_V1(kintone_fdw_validator);

Datum kintone_fdw_handler(PG_FUNCTION_ARGS);
Datum kintone_fdw_validator(PG_FUNCTION_ARGS);
}

void _PG_init(void) {
	kintone_fdw::RegisterBatchJoin();
}

Datum kintone_fdw_handler(PG_FUNCTION_ARGS) {
	using namespace kintone_fdw;
	// makeNode pallocs and may ereport on out-of-memory, so it runs outside any C++ object.
	FdwRoutine *routine = makeNode(FdwRoutine);
	routine->GetForeignRelSize = kintoneGetForeignRelSize;
	routine->GetForeignPaths = kintoneGetForeignPaths;
	routine->GetForeignPlan = kintoneGetForeignPlan;
	routine->GetForeignUpperPaths = kintoneGetForeignUpperPaths;
	routine->BeginForeignScan = kintoneBeginForeignScan;
	routine->IterateForeignScan = kintoneIterateForeignScan;
	routine->ReScanForeignScan = kintoneReScanForeignScan;
	routine->EndForeignScan = kintoneEndForeignScan;
	routine->ExplainForeignScan = kintoneExplainForeignScan;
	routine->AnalyzeForeignTable = kintoneAnalyzeForeignTable;
	routine->ImportForeignSchema = kintoneImportForeignSchema;
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
