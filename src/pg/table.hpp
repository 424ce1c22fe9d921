// A foreign table's definition, resolved once: connection, app, guest space, options and
// columns with their Kintone field codes and (when planning needs them) field types and
// options. Read in two phases: ReadRawTable makes every PostgreSQL call (which may ereport) and
// returns palloc'd C data; MakeTableDef parses every option, once, in C++ inside the guard
// without calling anything that can ereport. The planner builds it once per planning and
// carries what execution needs in the plan (planner.hpp, PlanPrivate): execution reads only
// the connection (the executing user's mapping) again.
#pragma once

#include "pg/postgres.hpp"

#include "kintone/pushdown.hpp"
#include "kintone/schema.hpp"
#include "pg/connection.hpp"

#include <memory>
#include <string>
#include <vector>

namespace kintone_fdw {

struct RawColumn {
	int attnum;
	const char *name;
	Oid type;
	int32 typmod;
	bool dropped;
	List *options; // column FDW options (DefElem)
};

struct RawTable {
	Oid relid;
	const char *relname;
	RawConnection conn;
	Oid server_oid; // = conn.server_oid
	Oid user_oid;   // = conn.user_oid
	const char *server_name;
	List *table_options;
	int ncolumns;
	RawColumn *columns;
};

// PostgreSQL phase. Errors (no user mapping, dropped table) are PostgreSQL errors.
RawTable *ReadRawTable(Oid relid, Oid userid);

struct ColumnDef {
	int attnum = 0;
	std::string name;
	std::string field_code;
	std::string field_type;     // the column option field_type, "" when not given
	std::string lookup_copy_of; // the column option lookup_copy_of: a lookup copy-to field
	Oid type = InvalidOid;
	int32 typmod = -1;
	bool dropped = false;
};

struct TableDef {
	Oid relid = InvalidOid;
	std::string relname;
	ConnectionParams conn;
	long long app = 0;
	long long guest_space_id = 0;                                      // the table's, else the server's
	bool use_remote_estimate = false;                                  // the table's option, else the server's
	bool updatable = true;                                             // the table's option, else the server's
	int join_batch_size = kintone::kDefaultJoinBatchSize;              // the table's option, else the server's
	int max_concurrent_requests = kintone::kDefaultConcurrentRequests; // likewise
	std::string subtable;           // the option subtable: the table holds that SUBTABLE field's rows
	std::vector<ColumnDef> columns; // index attnum - 1

	const ColumnDef &column(int attnum) const { return columns[attnum - 1]; }
};

// C++ phase: throws kintone::Error for missing or bad options.
TableDef MakeTableDef(const RawTable &raw);

// Throws kInvalidOptionValue naming the column unless its field code is a valid Kintone field
// code (a column without field_code whose name is not one). Called for every column a query
// sends to Kintone.
void CheckColumnCode(const TableDef &def, const ColumnDef &col);

// The app's form for this table (cached; see connection.hpp).
const kintone::FormInfo &CachedForm(const TableDef &def);

// How a PostgreSQL type holds a field's values, for the pushdown rules.
kintone::ColumnClass ColumnClassOf(Oid type);

// The field type a column declares without the form: "$id", "$revision", or its field_type
// option; kUnknown otherwise.
kintone::FieldType DeclaredFieldType(const ColumnDef &col);

// Whether the form has a top-level field with this code that records carry ("$id" and
// "$revision" always; a disabled STATUS/CATEGORY or a subtable's inner field do not count).
bool FieldInForm(const kintone::FormInfo &form, const std::string &code);

// The error for a column whose field code names no field of the app: kintone::UnknownFieldError
// (src/kintone/messages.hpp).

// Whether code names a column the table can read: FieldInForm for a table of records; for a
// table of a subtable's rows "$id" (the parent record), the row pseudo fields (subtable.hpp)
// and the inner fields of that subtable.
bool FieldInTable(const TableDef &def, const kintone::FormInfo &form, const std::string &code);

// Issue 10: Kintone ignores unknown field codes in writes. The field code of every column in
// attnums must name a field of the app's form (cached; read again once when one is missing);
// else throws UnknownFieldError for the first column that does not. Called before a write
// statement's first request. A user mapping that may not read the form (an OAuth scope without
// k:app_settings:read, an API token without view permission) writes without this check.
// A table of a subtable's rows also needs the subtable to be a SUBTABLE field of the form.
void CheckFieldsExist(const TableDef &def, const std::vector<int> &attnums);

} // namespace kintone_fdw
