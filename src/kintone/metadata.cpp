// App metadata as rows (see metadata.hpp).
#include "kintone/metadata.hpp"

#include "kintone/error.hpp"
#include "kintone/process.hpp"
#include "kintone/comments.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>
#include <utility>

namespace kintone {

namespace {

using OrderedJson = nlohmann::ordered_json;

constexpr size_t kAppsPerPage = 100;  // apps.json limit (contract §5)
constexpr size_t kFilterValues = 100; // ids / codes / spaceIds per apps.json call
constexpr size_t kMaxNameFilter = 64; // apps.json name (characters)

const ObjectAttr kAppAttrs[] = {
    {"id", AttrType::kId, true, false, "app id"},
    {"code", AttrType::kText, true, false, "app code (\"\" when none)"},
    {"name", AttrType::kText, true, false, "app name"},
    {"description", AttrType::kText, false, false, "description (HTML)"},
    {"space_id", AttrType::kId, true, false, "space of the app (NULL when none)"},
    {"thread_id", AttrType::kId, false, false, "space thread of the app"},
    {"created_at", AttrType::kTime, false, false, "creation time"},
    {"creator_code", AttrType::kText, false, false, "login name of the creator"},
    {"creator_name", AttrType::kText, false, false, "display name of the creator"},
    {"modified_at", AttrType::kTime, false, false, "last change of the settings"},
    {"modifier_code", AttrType::kText, false, false, "login name of the last modifier"},
    {"modifier_name", AttrType::kText, false, false, "display name of the last modifier"},
};

const ObjectAttr kSpaceAttrs[] = {
    {"id", AttrType::kId, true, false, "space id"},
    {"name", AttrType::kText, false, false, "space name"},
    {"is_guest", AttrType::kBool, false, false, "a guest space"},
    {"is_private", AttrType::kBool, false, false, "a private space"},
    {"member_count", AttrType::kInt, false, false, "members"},
    {"default_thread", AttrType::kId, false, false, "default thread id"},
    {"use_multi_thread", AttrType::kBool, false, false, "several threads"},
    {"fixed_member", AttrType::kBool, false, false, "members may not leave"},
    {"creator_code", AttrType::kText, false, false, "login name of the creator"},
    {"creator_name", AttrType::kText, false, false, "display name of the creator"},
    {"modifier_code", AttrType::kText, false, false, "login name of the last modifier"},
    {"modifier_name", AttrType::kText, false, false, "display name of the last modifier"},
    {"body", AttrType::kText, false, false, "space body (HTML)"},
    {"attached_apps", AttrType::kIdList, false, false, "ids of the space's apps the user can reach"},
};

const ObjectAttr kFieldAttrs[] = {
    {"app", AttrType::kId, true, false, "app id"},
    {"code", AttrType::kText, false, false, "field code"},
    {"label", AttrType::kText, false, false, "field name"},
    {"type", AttrType::kText, false, false, "field type (SINGLE_LINE_TEXT, NUMBER, …)"},
    {"subtable", AttrType::kText, false, false, "code of the enclosing subtable (NULL at top level)"},
    {"required", AttrType::kBool, false, false, "a value is required"},
    {"unique", AttrType::kBool, false, false, "values must be unique"},
    {"no_label", AttrType::kBool, false, false, "the label is hidden"},
    {"enabled", AttrType::kBool, false, false, "STATUS, STATUS_ASSIGNEE, CATEGORY: the feature is on"},
    {"options", AttrType::kTextList, false, false, "option labels in display order"},
    {"default_value", AttrType::kJson, false, false, "default value"},
    {"expression", AttrType::kText, false, false, "CALC and auto-calculated text: the formula"},
    {"lookup", AttrType::kJson, false, false, "lookup settings (related app, key, field mappings)"},
    {"reference_table", AttrType::kJson, false, false, "related-records settings"},
    {"properties", AttrType::kJson, false, false, "every setting as app/form/fields.json sends it"},
};

const ObjectAttr kViewAttrs[] = {
    {"app", AttrType::kId, true, false, "app id"},
    {"id", AttrType::kId, false, false, "view id"},
    {"name", AttrType::kText, false, false, "view name"},
    {"type", AttrType::kText, false, false, "LIST, CALENDAR or CUSTOM"},
    {"index", AttrType::kInt, false, false, "display order"},
    {"built_in_type", AttrType::kText, false, false, "ASSIGNEE for the built-in \"assigned to me\" view"},
    {"fields", AttrType::kTextList, false, false, "LIST: field codes shown"},
    {"filter_cond", AttrType::kText, false, false, "the view's condition (query language)"},
    {"sort", AttrType::kText, false, false, "the view's order"},
    {"date", AttrType::kText, false, false, "CALENDAR: date field"},
    {"title", AttrType::kText, false, false, "CALENDAR: title field"},
    {"html", AttrType::kText, false, false, "CUSTOM: HTML"},
    {"pager", AttrType::kBool, false, false, "CUSTOM: shows the pager"},
    {"device", AttrType::kText, false, false, "CUSTOM: DESKTOP or ANY"},
};

const ObjectAttr kStatusAttrs[] = {
    {"app", AttrType::kId, true, false, "app id"},
    {"name", AttrType::kText, false, false, "status name as records hold it (default language)"},
    {"localized_name", AttrType::kText, false, false, "status name in the user's language"},
    {"index", AttrType::kInt, false, false, "order (0: the first status)"},
    {"assignee_type", AttrType::kText, false, false, "ONE, ALL or ANY"},
    {"assignees", AttrType::kJson, false, false, "assignee candidates (entities)"},
    {"enabled", AttrType::kBool, false, false, "process management is on in the app"},
};

const ObjectAttr kActionAttrs[] = {
    {"app", AttrType::kId, true, false, "app id"},
    {"name", AttrType::kText, false, false, "action name in the user's language (what kintone_run_action takes)"},
    {"default_name", AttrType::kText, false, false, "action name in the default language"},
    {"from_status", AttrType::kText, false, false, "status it leaves (as records hold it)"},
    {"to_status", AttrType::kText, false, false, "status it leads to (as records hold it)"},
    {"filter_cond", AttrType::kText, false, false, "condition a record must meet (query language)"},
    {"type", AttrType::kText, false, false, "PRIMARY or SECONDARY"},
    {"executable_users", AttrType::kJson, false, false, "SECONDARY: who may run it besides the assignees"},
    {"index", AttrType::kInt, false, false, "position in the settings"},
    {"enabled", AttrType::kBool, false, false, "process management is on in the app"},
};

const ObjectAttr kCommentAttrs[] = {
    {"app", AttrType::kId, true, true, "app id"},
    {"record_id", AttrType::kId, true, true, "record id"},
    {"id", AttrType::kId, false, false, "comment id (per record)"},
    {"text", AttrType::kText, false, true, "text (Kintone puts mentioned names in front)"},
    {"created_at", AttrType::kTime, false, false, "posting time"},
    {"creator_code", AttrType::kText, false, false, "login name of the poster"},
    {"creator_name", AttrType::kText, false, false, "display name of the poster"},
    {"mentions", AttrType::kJson, false, true, "[{\"code\", \"type\"}] (USER, GROUP, ORGANIZATION)"},
};

template <size_t N>
std::vector<ObjectAttr> Attrs(const ObjectAttr (&a)[N]) {
	return std::vector<ObjectAttr>(a, a + N);
}

struct KindName {
	ObjectKind kind;
	const char *name;
};
constexpr KindName kKindNames[] = {
    {ObjectKind::kRecords, "records"}, {ObjectKind::kApps, "apps"},         {ObjectKind::kSpaces, "spaces"},
    {ObjectKind::kFields, "fields"},   {ObjectKind::kViews, "views"},       {ObjectKind::kStatuses, "statuses"},
    {ObjectKind::kActions, "actions"}, {ObjectKind::kComments, "comments"},
};

Json Str(const Json &obj, const char *key) {
	if (!obj.is_object()) {
		return nullptr;
	}
	auto it = obj.find(key);
	if (it == obj.end() || it->is_null()) {
		return nullptr;
	}
	if (it->is_string()) {
		return *it;
	}
	if (it->is_number() || it->is_boolean()) {
		return it->dump();
	}
	return nullptr;
}

// An id as Kintone sends it ("3", 3, "" or null); JSON null when absent or empty.
Json Id(const Json &obj, const char *key) {
	Json s = Str(obj, key);
	if (s.is_null() || s.get<std::string>().empty()) {
		return nullptr;
	}
	const std::string &t = s.get_ref<const std::string &>();
	if (t.size() > 18 || t.find_first_not_of("0123456789") != std::string::npos) {
		throw Error(ErrorKind::kProtocol, "Kintone returned an invalid id \"" + t + "\" in \"" + key + "\"");
	}
	return std::stoll(t);
}

Json Bool(const Json &obj, const char *key) {
	if (!obj.is_object()) {
		return nullptr;
	}
	auto it = obj.find(key);
	if (it == obj.end() || it->is_null()) {
		return nullptr;
	}
	if (it->is_boolean()) {
		return *it;
	}
	if (it->is_string()) { // documentation samples show "true" strings (contract §6.6)
		if (*it == "true") {
			return true;
		}
		if (*it == "false") {
			return false;
		}
	}
	return nullptr;
}

Json Member(const Json &obj, const char *key) {
	if (!obj.is_object()) {
		return nullptr;
	}
	auto it = obj.find(key);
	return it == obj.end() ? Json(nullptr) : *it;
}

Json Entity(const Json &obj, const char *key, const char *part) {
	if (!obj.is_object()) {
		return nullptr;
	}
	auto it = obj.find(key);
	return it == obj.end() ? Json(nullptr) : Str(*it, part);
}

Json ToJson(const OrderedJson &value) {
	return Json::parse(value.dump());
}

// The ids among values (duplicates once, ascending). A value that is not a Kintone id (digits
// only) names no object: it is left out, so that the answer is what PostgreSQL's equality
// would keep after its local re-check.
std::vector<long long> Ids(const std::vector<std::string> &values) {
	std::vector<long long> out;
	for (const auto &v : values) {
		if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos) {
			continue;
		}
		long long id = std::stoll(v);
		if (id > 0 && std::find(out.begin(), out.end(), id) == out.end()) {
			out.push_back(id);
		}
	}
	std::sort(out.begin(), out.end());
	return out;
}

const std::vector<std::string> *KeyValues(const ObjectKeys &keys, const char *name) {
	auto it = keys.find(name);
	return it == keys.end() ? nullptr : &it->second;
}

// GET apps.json with the filters that Kintone can apply; every page. The answer rows are
// what Kintone sent (apps.json objects).
std::vector<Json> ListAppsFiltered(Session &session, long long guest, const ObjectKeys &keys, ObjectFetch &fetch) {
	Json base = Json::object();
	const std::vector<std::string> *ids = KeyValues(keys, "id");
	const std::vector<std::string> *codes = KeyValues(keys, "code");
	const std::vector<std::string> *names = KeyValues(keys, "name");
	const std::vector<std::string> *spaces = KeyValues(keys, "space_id");
	// A list Kintone cannot take in one call (more than 100 values) is not sent: the answer is
	// then a superset, which the local re-check narrows.
	if (ids != nullptr && ids->size() <= kFilterValues) {
		std::vector<long long> list = Ids(*ids);
		if (list.empty()) {
			return {};
		}
		base["ids"] = list;
	}
	if (codes != nullptr && codes->size() <= kFilterValues) {
		if (codes->empty()) {
			return {};
		}
		std::vector<std::string> unique(codes->begin(), codes->end());
		std::sort(unique.begin(), unique.end());
		unique.erase(std::unique(unique.begin(), unique.end()), unique.end());
		base["codes"] = unique;
	}
	if (names != nullptr) {
		if (names->empty()) {
			return {};
		}
		// One name only (Kintone takes one), of at most 64 characters.
		size_t chars = 0;
		for (unsigned char c : (*names)[0]) {
			chars += (c & 0xC0) != 0x80;
		}
		if (names->size() == 1 && chars <= kMaxNameFilter && !(*names)[0].empty()) {
			base["name"] = (*names)[0];
		}
	}
	if (spaces != nullptr && spaces->size() <= kFilterValues) {
		std::vector<long long> list = Ids(*spaces);
		if (list.empty()) {
			return {};
		}
		base["spaceIds"] = list;
	}
	std::vector<Json> out;
	for (size_t offset = 0;; offset += kAppsPerPage) {
		Json params = base;
		params["limit"] = kAppsPerPage;
		params["offset"] = offset;
		++fetch.requests;
		Json page;
		try {
			page = session.Get("apps.json", params, guest);
		} catch (Error &e) {
			if (e.code() == "GAIA_NO01" && session.config().credentials.mode() == AuthMode::kApiToken) {
				e.set_hint("Kintone lists apps (apps.json) only to users, never to API tokens: use a user mapping "
				           "with a password or OAuth, or name the apps (WHERE app = …) in tables of one app's "
				           "settings.");
			}
			throw;
		}
		auto list = page.find("apps");
		if (list == page.end() || !list->is_array() || list->size() > kAppsPerPage) {
			throw Error(ErrorKind::kProtocol, "Kintone returned an apps page without a valid \"apps\" array",
			            "GET apps.json");
		}
		for (const auto &app : *list) {
			if (!app.is_object() || Id(app, "appId").is_null()) {
				throw Error(ErrorKind::kProtocol, "Kintone returned an app without an id", "GET apps.json");
			}
			out.push_back(app);
		}
		if (list->size() < kAppsPerPage) {
			break;
		}
	}
	fetch.calls.push_back("apps.json " + base.dump());
	return out;
}

// An app a per-app kind reads, and the space that holds it (0: unknown or none).
struct AppRef {
	long long id;
	long long space;
};

// The apps a per-app kind reads: the key's, else every app the user can reach.
std::vector<AppRef> AppIds(Session &session, long long guest, const ObjectKeys &keys, ObjectFetch &fetch) {
	std::vector<AppRef> out;
	const std::vector<std::string> *apps = KeyValues(keys, "app");
	if (apps != nullptr) {
		for (long long id : Ids(*apps)) {
			out.push_back({id, 0});
		}
		return out;
	}
	for (const auto &app : ListAppsFiltered(session, guest, {}, fetch)) {
		Json space = Id(app, "spaceId");
		out.push_back({Id(app, "appId").get<long long>(), space.is_null() ? 0 : space.get<long long>()});
	}
	return out;
}

// Runs read(guest path) for one app. An app in a guest space answers only on its guest path
// (contract §1.3, GAIA_IL23): then the app's space is learnt (apps.json) and read is run again
// on that path.
template <typename Fn>
void ReadApp(Session &session, long long guest, AppRef app, ObjectFetch &fetch, Fn &&read) {
	try {
		read(guest);
	} catch (const Error &e) {
		if (e.code() != "GAIA_IL23" || guest > 0) {
			throw;
		}
		long long space = app.space;
		if (space == 0) {
			auto found = ListAppsFiltered(session, guest, {{"id", {std::to_string(app.id)}}}, fetch);
			Json id = found.empty() ? Json(nullptr) : Id(found[0], "spaceId");
			if (id.is_null()) {
				throw;
			}
			space = id.get<long long>();
		}
		read(space);
	}
}

// The option labels of a choice field in display order; false when the field has no options.
bool OptionLabels(const OrderedJson &prop, std::vector<std::string> *labels) {
	auto options = prop.find("options");
	if (options == prop.end() || !options->is_object()) {
		return false;
	}
	std::vector<std::pair<long long, std::string>> indexed;
	long long position = 0;
	for (auto it = options->begin(); it != options->end(); ++it, ++position) {
		std::string label = it.key();
		long long index = position;
		if (it->is_object()) {
			auto l = it->find("label");
			if (l != it->end() && l->is_string()) {
				label = l->get<std::string>();
			}
			auto idx = it->find("index");
			if (idx != it->end()) {
				std::string t = idx->is_string()           ? idx->get<std::string>()
				                : idx->is_number_integer() ? idx->dump()
				                                           : "";
				if (!t.empty() && t.size() < 10 && t.find_first_not_of("0123456789") == std::string::npos) {
					index = std::stoll(t);
				}
			}
		}
		indexed.emplace_back(index, std::move(label));
	}
	std::stable_sort(indexed.begin(), indexed.end(), [](const auto &a, const auto &b) { return a.first < b.first; });
	for (auto &e : indexed) {
		labels->push_back(std::move(e.second));
	}
	return true;
}

Json FieldRow(long long app, const std::string &code, const OrderedJson &prop, const std::string &subtable) {
	Json p = ToJson(prop);
	Json row = Json::object();
	row["app"] = app;
	Json c = Str(p, "code");
	row["code"] = c.is_null() ? Json(code) : c;
	row["label"] = Str(p, "label");
	row["type"] = Str(p, "type");
	row["subtable"] = subtable.empty() ? Json(nullptr) : Json(subtable);
	row["required"] = Bool(p, "required");
	row["unique"] = Bool(p, "unique");
	row["no_label"] = Bool(p, "noLabel");
	row["enabled"] = Bool(p, "enabled");
	std::vector<std::string> labels;
	if (OptionLabels(prop, &labels)) {
		row["options"] = labels;
	} else {
		row["options"] = nullptr;
	}
	row["default_value"] = p.contains("defaultValue") ? p["defaultValue"] : Json(nullptr);
	row["expression"] = Str(p, "expression");
	row["lookup"] = Member(p, "lookup");
	row["reference_table"] = Member(p, "referenceTable");
	row["properties"] = p;
	return row;
}

} // namespace

ObjectKind ObjectKindFromName(std::string_view name) {
	for (const auto &k : kKindNames) {
		if (name == k.name) {
			return k.kind;
		}
	}
	std::string valid;
	for (const auto &k : kKindNames) {
		valid += (valid.empty() ? "" : ", ") + std::string(k.name);
	}
	throw Error(ErrorKind::kInvalidOptionValue, "invalid value for option \"object\": \"" + std::string(name) + "\"",
	            "", "Valid values are: " + valid + ".");
}

const char *ObjectKindName(ObjectKind kind) {
	for (const auto &k : kKindNames) {
		if (k.kind == kind) {
			return k.name;
		}
	}
	return "records";
}

const std::vector<ObjectKind> &MetadataKinds() {
	static const std::vector<ObjectKind> kinds = {ObjectKind::kApps,    ObjectKind::kSpaces,   ObjectKind::kFields,
	                                              ObjectKind::kViews,   ObjectKind::kStatuses, ObjectKind::kActions,
	                                              ObjectKind::kComments};
	return kinds;
}

const std::vector<ObjectAttr> &ObjectAttrs(ObjectKind kind) {
	static const std::vector<ObjectAttr> none;
	static const std::vector<ObjectAttr> apps = Attrs(kAppAttrs);
	static const std::vector<ObjectAttr> spaces = Attrs(kSpaceAttrs);
	static const std::vector<ObjectAttr> fields = Attrs(kFieldAttrs);
	static const std::vector<ObjectAttr> views = Attrs(kViewAttrs);
	static const std::vector<ObjectAttr> statuses = Attrs(kStatusAttrs);
	static const std::vector<ObjectAttr> actions = Attrs(kActionAttrs);
	static const std::vector<ObjectAttr> comments = Attrs(kCommentAttrs);
	switch (kind) {
	case ObjectKind::kApps:
		return apps;
	case ObjectKind::kSpaces:
		return spaces;
	case ObjectKind::kFields:
		return fields;
	case ObjectKind::kViews:
		return views;
	case ObjectKind::kStatuses:
		return statuses;
	case ObjectKind::kActions:
		return actions;
	case ObjectKind::kComments:
		return comments;
	case ObjectKind::kRecords:
		break;
	}
	return none;
}

const ObjectAttr *FindObjectAttr(ObjectKind kind, std::string_view name) {
	for (const auto &a : ObjectAttrs(kind)) {
		if (name == a.name) {
			return &a;
		}
	}
	return nullptr;
}

Json AppRow(const Json &app) {
	Json row = Json::object();
	row["id"] = Id(app, "appId");
	row["code"] = Str(app, "code");
	row["name"] = Str(app, "name");
	row["description"] = Str(app, "description");
	row["space_id"] = Id(app, "spaceId");
	row["thread_id"] = Id(app, "threadId");
	row["created_at"] = Str(app, "createdAt");
	row["creator_code"] = Entity(app, "creator", "code");
	row["creator_name"] = Entity(app, "creator", "name");
	row["modified_at"] = Str(app, "modifiedAt");
	row["modifier_code"] = Entity(app, "modifier", "code");
	row["modifier_name"] = Entity(app, "modifier", "name");
	return row;
}

Json SpaceRow(const Json &space) {
	if (!space.is_object() || Id(space, "id").is_null()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a space without an id", "GET space.json");
	}
	Json row = Json::object();
	row["id"] = Id(space, "id");
	row["name"] = Str(space, "name");
	row["is_guest"] = Bool(space, "isGuest");
	row["is_private"] = Bool(space, "isPrivate");
	row["member_count"] = Id(space, "memberCount");
	row["default_thread"] = Id(space, "defaultThread");
	row["use_multi_thread"] = Bool(space, "useMultiThread");
	row["fixed_member"] = Bool(space, "fixedMember");
	row["creator_code"] = Entity(space, "creator", "code");
	row["creator_name"] = Entity(space, "creator", "name");
	row["modifier_code"] = Entity(space, "modifier", "code");
	row["modifier_name"] = Entity(space, "modifier", "name");
	row["body"] = Str(space, "body");
	Json apps = Json::array();
	auto attached = space.find("attachedApps");
	if (attached != space.end() && attached->is_array()) {
		for (const auto &a : *attached) {
			Json id = Id(a, "appId");
			if (!id.is_null()) {
				apps.push_back(id);
			}
		}
	}
	row["attached_apps"] = apps;
	return row;
}

std::vector<Json> FieldRows(long long app, const std::string &fields_json) {
	OrderedJson doc = OrderedJson::parse(fields_json, nullptr, false);
	if (doc.is_discarded() || !doc.is_object() || !doc.contains("properties") || !doc["properties"].is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned form fields without \"properties\"",
		            "GET app/form/fields.json");
	}
	std::vector<Json> rows;
	for (auto it = doc["properties"].begin(); it != doc["properties"].end(); ++it) {
		if (!it->is_object()) {
			throw Error(ErrorKind::kProtocol, "Kintone returned a field property that is not an object",
			            "GET app/form/fields.json");
		}
		rows.push_back(FieldRow(app, it.key(), *it, ""));
		auto inner = it->find("fields");
		if (inner != it->end() && inner->is_object()) {
			std::string sub =
			    it->contains("code") && (*it)["code"].is_string() ? (*it)["code"].get<std::string>() : it.key();
			for (auto f = inner->begin(); f != inner->end(); ++f) {
				if (f->is_object()) {
					rows.push_back(FieldRow(app, f.key(), *f, sub));
				}
			}
		}
	}
	return rows;
}

std::vector<Json> ViewRows(long long app, const Json &doc) {
	auto views = doc.find("views");
	if (views == doc.end() || !views->is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned views without \"views\"", "GET app/views.json");
	}
	std::vector<Json> rows;
	for (auto it = views->begin(); it != views->end(); ++it) {
		const Json &v = *it;
		Json row = Json::object();
		row["app"] = app;
		row["id"] = Id(v, "id");
		Json name = Str(v, "name");
		row["name"] = name.is_null() ? Json(it.key()) : name;
		row["type"] = Str(v, "type");
		row["index"] = Id(v, "index");
		row["built_in_type"] = Str(v, "builtinType");
		Json fields = Member(v, "fields");
		row["fields"] = fields.is_array() ? fields : Json(nullptr);
		row["filter_cond"] = Str(v, "filterCond");
		row["sort"] = Str(v, "sort");
		row["date"] = Str(v, "date");
		row["title"] = Str(v, "title");
		row["html"] = Str(v, "html");
		row["pager"] = Bool(v, "pager");
		row["device"] = Str(v, "device");
		rows.push_back(std::move(row));
	}
	std::stable_sort(rows.begin(), rows.end(), [](const Json &a, const Json &b) {
		long long ia = a["index"].is_number() ? a["index"].get<long long>() : 0;
		long long ib = b["index"].is_number() ? b["index"].get<long long>() : 0;
		return ia < ib;
	});
	return rows;
}

namespace {

Json EntitiesJson(const std::vector<ProcessEntity> &entities) {
	Json out = Json::array();
	for (const auto &e : entities) {
		out.push_back({{"type", e.type},
		               {"code", e.code.empty() ? Json(nullptr) : Json(e.code)},
		               {"includeSubs", e.include_subs}});
	}
	return out;
}

} // namespace

std::vector<Json> StatusRows(long long app, const Process &process) {
	std::vector<Json> rows;
	for (const auto &s : process.defaults.states) {
		Json row = Json::object();
		row["app"] = app;
		row["name"] = s.name;
		std::string localized = process.UserStatusName(s.name);
		row["localized_name"] = localized.empty() ? Json(nullptr) : Json(localized);
		row["index"] = s.index;
		row["assignee_type"] = s.assignee_type.empty() ? Json(nullptr) : Json(s.assignee_type);
		row["assignees"] = EntitiesJson(s.assignees);
		row["enabled"] = process.defaults.enable;
		rows.push_back(std::move(row));
	}
	return rows;
}

std::vector<Json> ActionRows(long long app, const Process &process) {
	std::vector<Json> rows;
	bool aligned = process.aligned();
	const auto &actions = process.defaults.actions;
	for (size_t i = 0; i < actions.size(); ++i) {
		const ProcessAction &d = actions[i];
		Json row = Json::object();
		row["app"] = app;
		row["name"] = aligned ? Json(process.user.actions[i].name) : Json(nullptr);
		row["default_name"] = d.name;
		row["from_status"] = d.from;
		row["to_status"] = d.to;
		row["filter_cond"] = d.filter_cond;
		row["type"] = d.type;
		row["executable_users"] = d.type == "SECONDARY" ? EntitiesJson(d.executable_users) : Json(nullptr);
		row["index"] = static_cast<long long>(i);
		row["enabled"] = process.defaults.enable;
		rows.push_back(std::move(row));
	}
	return rows;
}

ObjectFetch FetchObjects(Session &session, ObjectKind kind, long long guest, const ObjectKeys &keys) {
	ObjectFetch fetch;
	switch (kind) {
	case ObjectKind::kApps:
		for (const auto &app : ListAppsFiltered(session, guest, keys, fetch)) {
			fetch.rows.push_back(AppRow(app));
		}
		break;
	case ObjectKind::kSpaces: {
		std::vector<long long> ids;
		const std::vector<std::string> *given = KeyValues(keys, "id");
		if (given != nullptr) {
			ids = Ids(*given);
		} else {
			std::set<long long> seen;
			for (const auto &app : ListAppsFiltered(session, guest, {}, fetch)) {
				Json space = Id(app, "spaceId");
				if (!space.is_null()) {
					seen.insert(space.get<long long>());
				}
			}
			ids.assign(seen.begin(), seen.end());
		}
		std::vector<long long> hidden;
		for (long long id : ids) {
			Json body;
			try {
				++fetch.requests;
				body = session.Get("space.json", {{"id", id}}, guest);
			} catch (const Error &e) {
				if (e.kind() != ErrorKind::kPermission || guest > 0) {
					throw;
				}
				// A guest space answers only on its own path (contract §1.3).
				try {
					++fetch.requests;
					body = session.Get("space.json", {{"id", id}}, id);
				} catch (const Error &e2) {
					if (e2.kind() != ErrorKind::kPermission) {
						throw;
					}
					hidden.push_back(id);
					continue;
				}
			}
			fetch.rows.push_back(SpaceRow(body));
		}
		if (!hidden.empty()) {
			fetch.notices.push_back("Kintone refused to show space" + std::string(hidden.size() == 1 ? " " : "s ") +
			                        IdRanges(hidden) + " (missing, private, or another guest space)");
		}
		break;
	}
	case ObjectKind::kFields:
		for (AppRef app : AppIds(session, guest, keys, fetch)) {
			ReadApp(session, guest, app, fetch, [&](long long path) {
				++fetch.requests;
				const std::string &body = session.GetRaw("app/form/fields.json", {{"app", app.id}}, path);
				for (auto &row : FieldRows(app.id, body)) {
					fetch.rows.push_back(std::move(row));
				}
			});
		}
		break;
	case ObjectKind::kViews:
		for (AppRef app : AppIds(session, guest, keys, fetch)) {
			ReadApp(session, guest, app, fetch, [&](long long path) {
				++fetch.requests;
				Json doc = session.Get("app/views.json", {{"app", app.id}, {"lang", "default"}}, path);
				for (auto &row : ViewRows(app.id, doc)) {
					fetch.rows.push_back(std::move(row));
				}
			});
		}
		break;
	case ObjectKind::kStatuses:
	case ObjectKind::kActions:
		for (AppRef app : AppIds(session, guest, keys, fetch)) {
			ReadApp(session, guest, app, fetch, [&](long long path) {
				Process process = FetchProcess(session, app.id, path, &fetch.requests);
				for (auto &row :
				     kind == ObjectKind::kStatuses ? StatusRows(app.id, process) : ActionRows(app.id, process)) {
					fetch.rows.push_back(std::move(row));
				}
			});
		}
		break;
	case ObjectKind::kComments: {
		const std::vector<std::string> *apps = KeyValues(keys, "app");
		const std::vector<std::string> *records = KeyValues(keys, "record_id");
		if (apps == nullptr || records == nullptr) {
			throw Error(ErrorKind::kInvalidRequest, "Kintone lists comments only for a given app and record", "",
			            "Give both in the query (WHERE app = … AND record_id = …, or record_id IN (…)), "
			            "set the table option app, or join on record_id.");
		}
		for (long long app : Ids(*apps)) {
			for (long long record : Ids(*records)) {
				std::vector<Comment> comments;
				ReadApp(session, guest, {app, 0}, fetch,
				        [&](long long path) { comments = ListComments(session, app, record, path, &fetch.requests); });
				for (const auto &c : comments) {
					Json row = Json::object();
					row["app"] = app;
					row["record_id"] = record;
					row["id"] = c.id;
					row["text"] = c.text;
					row["created_at"] = c.created_at.empty() ? Json(nullptr) : Json(c.created_at);
					row["creator_code"] = c.creator_code;
					row["creator_name"] = c.creator_name;
					Json mentions = Json::array();
					for (const auto &m : c.mentions) {
						mentions.push_back({{"code", m.code}, {"type", m.type}});
					}
					row["mentions"] = mentions;
					fetch.rows.push_back(std::move(row));
				}
			}
		}
		break;
	}
	case ObjectKind::kRecords:
		throw Error(ErrorKind::kInternal, "FetchObjects called for records");
	}
	return fetch;
}

// ---------------------------------------------------------------- drift

bool ColumnTypeHolds(const std::string &column_type, const std::string &field_type, const std::string &calc_format) {
	const std::string &t = column_type;
	auto is = [&t](std::initializer_list<const char *> names) {
		for (const char *n : names) {
			if (t == n || t.rfind(std::string(n) + "(", 0) == 0) {
				return true;
			}
		}
		return false;
	};
	if (is({"json", "jsonb", "text", "character varying", "character", "\"char\"", "name"})) {
		return true; // any value, as text or JSON
	}
	bool array = t.size() > 2 && t.compare(t.size() - 2, 2, "[]") == 0;
	std::string f = field_type;
	if (f == "CALC") {
		f = calc_format == "DATETIME"                                          ? "DATETIME"
		    : calc_format == "DATE"                                            ? "DATE"
		    : calc_format == "TIME"                                            ? "TIME"
		    : calc_format == "HOUR_MINUTE" || calc_format == "DAY_HOUR_MINUTE" ? "INTERVAL"
		                                                                       : "NUMBER";
	}
	static const std::set<std::string> lists = {"CHECK_BOX",           "MULTI_SELECT", "CATEGORY",        "USER_SELECT",
	                                            "ORGANIZATION_SELECT", "GROUP_SELECT", "STATUS_ASSIGNEE", "FILE"};
	if (array) {
		return lists.count(f) != 0;
	}
	if (lists.count(f) != 0 || f == "SUBTABLE") {
		return false; // a list in a scalar column that is not text or JSON
	}
	if (is({"numeric", "integer", "bigint", "smallint", "real", "double precision"})) {
		return f == "NUMBER" || f == "__ID__" || f == "__REVISION__";
	}
	if (is({"timestamp with time zone", "timestamp without time zone"})) {
		return f == "DATETIME" || f == "CREATED_TIME" || f == "UPDATED_TIME";
	}
	if (is({"date"})) {
		return f == "DATE";
	}
	if (is({"time without time zone", "time with time zone"})) {
		return f == "TIME";
	}
	if (is({"interval"})) {
		return f == "INTERVAL";
	}
	if (is({"boolean"})) {
		return false;
	}
	return true; // a type kintone_fdw does not judge (a domain, an enum): not reported
}

std::vector<DriftRow> CompareWithForm(const std::vector<DriftColumn> &columns, const std::string &fields_json) {
	std::vector<Json> fields = FieldRows(0, fields_json);
	auto find = [&fields](const std::string &code) -> const Json * {
		for (const auto &f : fields) {
			if (f["code"] == code && f["subtable"].is_null()) {
				return &f;
			}
		}
		return nullptr;
	};
	auto inner = [&fields](const std::string &code) -> const Json * {
		for (const auto &f : fields) {
			if (f["code"] == code && !f["subtable"].is_null()) {
				return &f;
			}
		}
		return nullptr;
	};
	std::vector<DriftRow> out;
	std::set<std::string> mapped;
	for (const auto &col : columns) {
		if (col.field_code == "$id" || col.field_code == "$revision") {
			continue;
		}
		mapped.insert(col.field_code);
		const Json *f = find(col.field_code);
		if (f == nullptr) {
			DriftRow r{col.name, col.field_code, "missing field", col.column_type, "", ""};
			const Json *sub = inner(col.field_code);
			r.detail = sub != nullptr ? "the field is now inside subtable \"" + (*sub)["subtable"].get<std::string>() +
			                                "\": records no longer carry it at top level"
			                          : "the app has no field with this code: reading the column fails";
			if (sub != nullptr) {
				r.field_type = (*sub)["type"].get<std::string>();
			}
			out.push_back(std::move(r));
			continue;
		}
		std::string type = (*f)["type"].is_string() ? (*f)["type"].get<std::string>() : "";
		std::string format;
		const Json &props = (*f)["properties"];
		if (props.contains("format") && props["format"].is_string()) {
			format = props["format"].get<std::string>();
		}
		if ((*f)["enabled"] == false) {
			out.push_back({col.name, col.field_code, "field disabled", col.column_type, type,
			               "the feature is turned off in the app: records do not carry the field"});
			continue;
		}
		if (!col.field_type.empty() && col.field_type != type) {
			out.push_back({col.name, col.field_code, "type changed", col.column_type, type,
			               "the column was declared for " + col.field_type + " (option field_type)"});
			continue;
		}
		if (!ColumnTypeHolds(col.column_type, type, format)) {
			out.push_back({col.name, col.field_code, "type changed", col.column_type, type,
			               "a " + col.column_type + " column cannot hold " + type +
			                   (format.empty() ? std::string() : " (" + format + ")") + " values"});
		}
	}
	for (const auto &f : fields) {
		if (!f["subtable"].is_null()) {
			continue;
		}
		std::string code = f["code"].is_string() ? f["code"].get<std::string>() : "";
		std::string type = f["type"].is_string() ? f["type"].get<std::string>() : "";
		if (code.empty() || mapped.count(code) != 0 || type == "REFERENCE_TABLE" || type == "GROUP" ||
		    type == "LABEL" || type == "SPACER" || type == "HR" || f["enabled"] == false) {
			continue;
		}
		out.push_back({"", code, "new field", "", type, "no column of the table maps to it"});
	}
	return out;
}

} // namespace kintone
