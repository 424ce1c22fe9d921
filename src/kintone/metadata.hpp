// The app around the records as rows: apps, spaces, the fields of an app, views, process
// statuses and actions, and record comments (contract §4.9, §4.10, §4.13, §4.14, §6.6).
//
// Each kind of object has a fixed list of attributes (the columns a foreign table of that kind
// may have) and a few key attributes that Kintone can filter on: apps by id, code, name and
// space (apps.json), spaces by id (space.json), app settings by app, comments by app and record.
// A scan gives the key values it knows (ObjectKeys); FetchObjects asks Kintone only for those
// and returns every object Kintone answered as a JSON object keyed by attribute name. What
// Kintone returns is a superset of what the keys select (apps.json's name filter is a
// case-insensitive part match), so the caller re-checks every condition locally.
#pragma once

#include "kintone/session.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

enum class ObjectKind { kRecords, kApps, kSpaces, kFields, kViews, kStatuses, kActions, kComments };

// The value of the foreign table option `object`: "records" (the default), "apps", "spaces",
// "fields", "views", "statuses", "actions", "comments". Throws kInvalidOptionValue otherwise.
ObjectKind ObjectKindFromName(std::string_view name);
const char *ObjectKindName(ObjectKind kind);
// Every kind but kRecords, in the order IMPORT FOREIGN SCHEMA kintone_meta creates tables.
const std::vector<ObjectKind> &MetadataKinds();

// How an attribute's values look (the glue picks a PostgreSQL type for each).
enum class AttrType { kId, kInt, kText, kBool, kTime, kJson, kTextList, kIdList };

struct ObjectAttr {
	const char *name;
	AttrType type;
	bool key;      // Kintone can select by it (see above)
	bool writable; // comments: given by an INSERT
	const char *description;
};

const std::vector<ObjectAttr> &ObjectAttrs(ObjectKind kind);
const ObjectAttr *FindObjectAttr(ObjectKind kind, std::string_view name);

// The key values a scan knows: attribute name -> values (the object must have one of them).
// An attribute not in the map is not restricted; an empty list selects nothing.
using ObjectKeys = std::map<std::string, std::vector<std::string>>;

struct ObjectFetch {
	std::vector<Json> rows;           // one JSON object per object, keyed by attribute name
	std::vector<std::string> notices; // objects that could not be read (e.g. a private space)
	long requests = 0;                // HTTP requests made
	std::vector<std::string> calls;   // what was asked, for EXPLAIN ANALYZE-like reports
};

// Fetches the objects the keys select (all reachable ones for keys not given; comments need
// both app and record_id: throws kInvalidRequest without them). app_option: the table's app
// option (0: none), which fixes the app key.
ObjectFetch FetchObjects(Session &session, ObjectKind kind, long long guest_space_id, const ObjectKeys &keys);

// Row builders, exposed for unit tests.
Json AppRow(const Json &app);
Json SpaceRow(const Json &space);
std::vector<Json> FieldRows(long long app, const std::string &fields_json);
std::vector<Json> ViewRows(long long app, const Json &views);
struct Process;
std::vector<Json> StatusRows(long long app, const Process &process);
std::vector<Json> ActionRows(long long app, const Process &process);

// Schema drift: a foreign table's columns against the app's current form.
struct DriftColumn {
	std::string name;        // column name
	std::string field_code;  // the Kintone field code it maps to
	std::string field_type;  // its field_type option ("" when not declared)
	std::string column_type; // the PostgreSQL type, as format_type prints it
};

struct DriftRow {
	std::string column_name; // "" for a field without a column
	std::string field_code;
	std::string change; // "missing field", "type changed", "new field", "field disabled"
	std::string column_type;
	std::string field_type; // the form's type ("" for a missing field)
	std::string detail;
};

// Compares the columns with the form (app/form/fields.json's body, read fresh by the caller).
std::vector<DriftRow> CompareWithForm(const std::vector<DriftColumn> &columns, const std::string &fields_json);

// Whether a column of PostgreSQL type column_type (format_type) can hold the values of a field
// of this type as kintone_fdw converts them.
bool ColumnTypeHolds(const std::string &column_type, const std::string &field_type, const std::string &calc_format);

} // namespace kintone
