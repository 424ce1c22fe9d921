// A foreign table's definition as plain C++ values: connection parameters, app, guest space
// and columns with their Kintone field codes. Read in two phases: ReadRawTable makes every
// PostgreSQL call (which may ereport) and returns palloc'd C data; MakeTableDef converts it
// to C++ inside the guard without calling anything that can ereport.
#pragma once

#include "pg/postgres.hpp"

#include "pg/connection.hpp"

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
	Oid server_oid;
	Oid user_oid;
	const char *server_name;
	List *server_options;
	List *user_options;
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
	long long guest_space_id = 0;                         // the table's, else the server's
	bool use_remote_estimate = false;                     // the table's option, else the server's
	std::vector<ColumnDef> columns;                       // index attnum - 1
	int join_batch_size = kintone::kDefaultJoinBatchSize; // the table's option, else the server's

	const ColumnDef &column(int attnum) const { return columns[attnum - 1]; }
};

// C++ phase: throws kintone::Error for missing or bad options.
TableDef MakeTableDef(const RawTable &raw);

} // namespace kintone_fdw
