// IMPORT FOREIGN SCHEMA: one CREATE FOREIGN TABLE per Kintone app, columns from the app's form.
#pragma once

#include "pg/postgres.hpp"

namespace kintone_fdw {

extern "C" {
List *kintoneImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);
}

} // namespace kintone_fdw
