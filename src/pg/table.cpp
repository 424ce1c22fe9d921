// Foreign table definitions (see table.hpp).
#include "pg/table.hpp"

#include "kintone/error.hpp"
#include "kintone/option_spec.hpp"
#include "pg/option.hpp"

extern "C" {
#include "access/table.h"
#include "utils/rel.h"
#include "utils/lsyscache.h"
}

namespace kintone_fdw {

RawTable *ReadRawTable(Oid relid, Oid userid) {
	RawTable *raw = static_cast<RawTable *>(palloc0(sizeof(RawTable)));
	ForeignTable *table = GetForeignTable(relid);
	ForeignServer *server = GetForeignServer(table->serverid);
	UserMapping *mapping = GetUserMapping(userid, table->serverid);
	raw->relid = relid;
	raw->relname = get_rel_name(relid);
	raw->server_oid = server->serverid;
	raw->server_name = pstrdup(server->servername);
	raw->user_oid = userid;
	raw->server_options = server->options;
	raw->user_options = mapping->options;
	raw->table_options = table->options;

	Relation rel = table_open(relid, NoLock);
	TupleDesc desc = RelationGetDescr(rel);
	raw->ncolumns = desc->natts;
	raw->columns = static_cast<RawColumn *>(palloc0(sizeof(RawColumn) * (desc->natts > 0 ? desc->natts : 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		RawColumn &col = raw->columns[i];
		col.attnum = i + 1;
		col.name = pstrdup(NameStr(att->attname));
		col.type = att->atttypid;
		col.typmod = att->atttypmod;
		col.dropped = att->attisdropped;
		col.options = att->attisdropped ? NIL : GetForeignColumnOptions(relid, i + 1);
	}
	table_close(rel, NoLock);
	return raw;
}

namespace {

// Reads a List of DefElem without calling anything that can ereport.
std::string Option(List *options, const char *name, const std::string &fallback = {}) {
	ListCell *cell;
	foreach (cell, options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, name) == 0 && def->arg != nullptr) {
			return strVal(def->arg);
		}
	}
	return fallback;
}

} // namespace

TableDef MakeTableDef(const RawTable &raw) {
	TableDef def;
	def.relid = raw.relid;
	def.relname = raw.relname;
	def.conn.server_oid = raw.server_oid;
	def.conn.user_oid = raw.user_oid;
	def.conn.url = Option(raw.server_options, "url");
	if (def.conn.url.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "the server of foreign table \"" + def.relname + "\" has no option \"url\"", "",
		                     "Set it with ALTER SERVER ... OPTIONS (ADD url 'https://SUBDOMAIN.cybozu.com').");
	}
	std::string server_guest = Option(raw.server_options, "guest_space_id");
	def.conn.guest_space_id = server_guest.empty() ? 0 : kintone::ParsePositiveId("guest_space_id", server_guest);
	SetConnectionOptions(def.conn, raw.server_name, OptionListFromDefElems(raw.server_options),
	                     OptionListFromDefElems(raw.user_options));
	std::string max_cursors = Option(raw.server_options, "max_cursors");
	if (!max_cursors.empty()) {
		def.conn.max_cursors = static_cast<int>(kintone::ParsePositiveId("max_cursors", max_cursors));
	}

	std::string app = Option(raw.table_options, "app");
	if (app.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue,
		                     "foreign table \"" + def.relname + "\" has no option \"app\"", "",
		                     "Set it with ALTER FOREIGN TABLE ... OPTIONS (ADD app 'APP_ID').");
	}
	def.app = kintone::ParsePositiveId("app", app);
	std::string table_guest = Option(raw.table_options, "guest_space_id");
	def.guest_space_id =
	    table_guest.empty() ? def.conn.guest_space_id : kintone::ParsePositiveId("guest_space_id", table_guest);

	std::string estimate =
	    Option(raw.table_options, "use_remote_estimate", Option(raw.server_options, "use_remote_estimate", "false"));
	def.use_remote_estimate = kintone::ParseBooleanOption("use_remote_estimate", estimate);

	std::string batch = Option(raw.table_options, "join_batch_size", Option(raw.server_options, "join_batch_size"));
	if (!batch.empty()) {
		def.join_batch_size = std::stoi(batch); // validated by CheckJoinBatchSize
	}

	def.columns.resize(raw.ncolumns);
	for (int i = 0; i < raw.ncolumns; ++i) {
		const RawColumn &rc = raw.columns[i];
		ColumnDef &col = def.columns[i];
		col.attnum = rc.attnum;
		col.name = rc.name;
		col.type = rc.type;
		col.typmod = rc.typmod;
		col.dropped = rc.dropped;
		col.field_code = Option(rc.options, "field_code", col.name);
		col.field_type = Option(rc.options, "field_type");
		col.lookup_copy_of = Option(rc.options, "lookup_copy_of");
	}
	return def;
}

} // namespace kintone_fdw
