// Module entry points: module magic, the FDW handler and the option validator.
//
// Every function PostgreSQL calls is extern "C" and runs through Guard (pg/guard.hpp).
// Nothing runs at load time but hook registration: _PG_init installs the batched join's
// join-path hook (pg/batch_join.hpp) and the executor hook that finishes a statement's writes
// inside the statement (pg/modify.hpp); there is no static object with a constructor, and
// libcurl and the client are initialised lazily on first use. The library is loaded by the
// FDW handler while a query is planned, before join paths are built, so the hook is in
// place for the first join.
#include "pg/postgres.hpp"

extern "C" {
#include "catalog/pg_authid.h"
#include "mb/pg_wchar.h"
#include "utils/acl.h"
}

#include "kintone/error.hpp"
#include "pg/async.hpp"
#include "pg/batch_join.hpp"
#include "pg/guard.hpp"
#include "pg/import.hpp"
#include "pg/modify.hpp"
#include "pg/object_table.hpp"
#include "pg/option.hpp"
#include "pg/planner.hpp"
#include "pg/row_mark.hpp"
#include "pg/scan.hpp"

extern "C" {
PG_MODULE_MAGIC;

void _PG_init(void);

PG_FUNCTION_INFO_V1(kintone_fdw_handler);
PG_FUNCTION_INFO_V1(kintone_fdw_validator);

Datum kintone_fdw_handler(PG_FUNCTION_ARGS);
Datum kintone_fdw_validator(PG_FUNCTION_ARGS);
}

namespace {

// kintone_fdw works in UTF8 databases only. Kintone's values, field codes, option values,
// query literals and messages are Unicode; converting them at every boundary would still
// leave characters a LATIN1 or EUC_JP database cannot hold (a record that cannot be read, a
// field code that cannot be named), and comparisons pushed to Kintone would disagree with
// the local re-check. Clients may use any client_encoding: PostgreSQL converts for them.
// Checked by the validator (CREATE EXTENSION runs it when it creates the wrapper) and by the
// handler (every query, IMPORT FOREIGN SCHEMA), so a wrapper made another way is refused at
// first use too.
void RequireUtf8Database() {
	if (GetDatabaseEncoding() != PG_UTF8) {
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("kintone_fdw requires a database with the UTF8 encoding"),
		                errdetail("The current database uses the encoding %s. Kintone's data, field codes and queries "
		                          "are Unicode, and not every character has an equivalent in %s.",
		                          GetDatabaseEncodingName(), GetDatabaseEncodingName()),
		                errhint("Use a database created with ENCODING 'UTF8' (CREATE DATABASE ... ENCODING 'UTF8' "
		                        "TEMPLATE template0); clients may keep any client_encoding, such as SJIS or "
		                        "EUC_JP.")));
	}
}

} // namespace

void _PG_init(void) {
	kintone_fdw::RegisterBatchJoin();
	kintone_fdw::RegisterWriteHooks();
}

Datum kintone_fdw_handler(PG_FUNCTION_ARGS) {
	using namespace kintone_fdw;
	RequireUtf8Database();
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
	routine->IsForeignPathAsyncCapable = kintoneIsForeignPathAsyncCapable;
	routine->ForeignAsyncRequest = kintoneForeignAsyncRequest;
	routine->ForeignAsyncConfigureWait = kintoneForeignAsyncConfigureWait;
	routine->ForeignAsyncNotify = kintoneForeignAsyncNotify;
	routine->AnalyzeForeignTable = kintoneAnalyzeForeignTable;
	routine->ImportForeignSchema = kintoneImportForeignSchema;
	routine->GetForeignRowMarkType = kintoneGetForeignRowMarkType;
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
	InstallObjectTables(routine); // issue 13: tables of apps, fields, comments, … (object_table.hpp)
	PG_RETURN_POINTER(routine);
}

// Validates the options of CREATE/ALTER FOREIGN DATA WRAPPER, SERVER, USER MAPPING,
// FOREIGN TABLE and of columns. Phase 1 reads the catalog list into plain strings; phase 2
// runs the pure C++ rules inside the guard.
Datum kintone_fdw_validator(PG_FUNCTION_ARGS) {
	using namespace kintone_fdw;
	RequireUtf8Database();
	List *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid catalog = PG_GETARG_OID(1);
	// Certificate and CA files are read by the server process: naming them is reserved, as
	// file_fdw's filename is, to superusers and members of pg_read_server_files (otherwise any
	// user could make the server read its own private key, or probe for files).
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if ((strcmp(def->defname, "ssl_cert") == 0 || strcmp(def->defname, "ssl_key") == 0 ||
		     strcmp(def->defname, "ssl_ca_file") == 0) &&
		    !superuser() && !has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES)) {
			ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			                errmsg("only superusers and members of pg_read_server_files may set the option \"%s\"",
			                       def->defname),
			                errdetail("The file is read by the PostgreSQL server process.")));
		}
	}
	Guard([&]() {
		kintone::OptionContext context = OptionContextForCatalog(catalog);
		kintone::ValidateOptions(context, OptionListFromDefElems(options));
	});
	PG_RETURN_VOID();
}
