// Module entry points: module magic, the FDW handler and the option validator.
//
// Every function PostgreSQL calls is extern "C" and runs through Guard (pg/guard.hpp).
// Nothing runs at load time: there is no _PG_init work and no static object with a
// constructor; libcurl and the client are initialised lazily on first use.
#include "pg/postgres.hpp"

#include "kintone/error.hpp"
#include "pg/guard.hpp"
#include "pg/import.hpp"
#include "pg/modify.hpp"
#include "pg/option.hpp"
#include "pg/planner.hpp"
#include "pg/scan.hpp"

extern "C" {
PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(kintone_fdw_handler);
PG_FUNCTION_INFO_V1(kintone_fdw_validator);

Datum kintone_fdw_handler(PG_FUNCTION_ARGS);
Datum kintone_fdw_validator(PG_FUNCTION_ARGS);
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
	routine->AddForeignUpdateTargets = kintoneAddForeignUpdateTargets;
	routine->PlanForeignModify = kintonePlanForeignModify;
	routine->BeginForeignModify = kintoneBeginForeignModify;
	routine->ExecForeignInsert = kintoneExecForeignInsert;
	routine->ExecForeignUpdate = kintoneExecForeignUpdate;
	routine->ExecForeignDelete = kintoneExecForeignDelete;
	routine->EndForeignModify = kintoneEndForeignModify;
	routine->BeginForeignInsert = kintoneBeginForeignInsert;
	routine->EndForeignInsert = kintoneEndForeignInsert;
	routine->IsForeignRelUpdatable = kintoneIsForeignRelUpdatable;
	routine->ExplainForeignModify = kintoneExplainForeignModify;
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
