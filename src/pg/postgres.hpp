// PostgreSQL headers for the C++ glue. They are C headers without extern "C" guards, so
// every glue file includes them through this one place. Never include from src/kintone/.
#pragma once

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "access/reloptions.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_user_mapping.h"
#include "catalog/pg_attribute.h"
#include "commands/defrem.h"
#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "utils/builtins.h"
}

// PostgreSQL defines these as macros; they collide with the C++ standard library.
#ifdef snprintf
#undef snprintf
#endif
#ifdef vsnprintf
#undef vsnprintf
#endif
