// App metadata (see schema.hpp). app/form/fields.json is parsed with nlohmann's ordered_json
// because Session::Get's Json sorts object keys, and IMPORT FOREIGN SCHEMA must list the
// columns in the order Kintone sends the fields.
#include "kintone/schema.hpp"

#include "kintone/error.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdlib>
#include <utility>

namespace kintone {

namespace {

using OrderedJson = nlohmann::ordered_json;

struct TypeEntry {
	const char *name;
	FieldType type;
};

constexpr TypeEntry kTypes[] = {
    {"__ID__", FieldType::kId},
    {"__REVISION__", FieldType::kRevision},
    {"RECORD_NUMBER", FieldType::kRecordNumber},
    {"CREATOR", FieldType::kCreator},
    {"MODIFIER", FieldType::kModifier},
    {"CREATED_TIME", FieldType::kCreatedTime},
    {"UPDATED_TIME", FieldType::kUpdatedTime},
    {"SINGLE_LINE_TEXT", FieldType::kSingleLineText},
    {"MULTI_LINE_TEXT", FieldType::kMultiLineText},
    {"RICH_TEXT", FieldType::kRichText},
    {"LINK", FieldType::kLink},
    {"NUMBER", FieldType::kNumber},
    {"CALC", FieldType::kCalc},
    {"CHECK_BOX", FieldType::kCheckBox},
    {"RADIO_BUTTON", FieldType::kRadioButton},
    {"DROP_DOWN", FieldType::kDropDown},
    {"MULTI_SELECT", FieldType::kMultiSelect},
    {"DATE", FieldType::kDate},
    {"TIME", FieldType::kTime},
    {"DATETIME", FieldType::kDateTime},
    {"USER_SELECT", FieldType::kUserSelect},
    {"ORGANIZATION_SELECT", FieldType::kOrganizationSelect},
    {"GROUP_SELECT", FieldType::kGroupSelect},
    {"FILE", FieldType::kFile},
    {"SUBTABLE", FieldType::kSubtable},
    {"CATEGORY", FieldType::kCategory},
    {"STATUS", FieldType::kStatus},
    {"STATUS_ASSIGNEE", FieldType::kStatusAssignee},
    {"REFERENCE_TABLE", FieldType::kReferenceTable},
    {"GROUP", FieldType::kGroup},
};

std::string StringMember(const OrderedJson &obj, const char *key) {
	auto it = obj.find(key);
	if (it == obj.end() || !it->is_string()) {
		return {};
	}
	return it->get<std::string>();
}

// Kintone sends booleans as JSON booleans, but its own documentation samples show "true"
// strings (contract §6.6): accept both.
bool BoolMember(const OrderedJson &obj, const char *key, bool fallback) {
	auto it = obj.find(key);
	if (it == obj.end()) {
		return fallback;
	}
	if (it->is_boolean()) {
		return it->get<bool>();
	}
	if (it->is_string()) {
		const auto &s = it->get_ref<const std::string &>();
		if (s == "true") {
			return true;
		}
		if (s == "false") {
			return false;
		}
	}
	return fallback;
}

// Numeric ids arrive as strings ("2") or null; numbers are accepted too. null/absent -> 0.
template <typename J>
long long IdValue(const J &value, const char *what) {
	if (value.is_null()) {
		return 0;
	}
	if (value.is_number_integer()) {
		return value.template get<long long>();
	}
	if (value.is_string()) {
		const auto &s = value.template get_ref<const std::string &>();
		if (s.empty()) {
			return 0;
		}
		char *end = nullptr;
		long long n = std::strtoll(s.c_str(), &end, 10);
		if (end != nullptr && *end == '\0') {
			return n;
		}
	}
	throw Error(ErrorKind::kProtocol, "Kintone returned an invalid " + std::string(what),
	            "value: " + value.dump().substr(0, 100));
}

template <typename J>
long long IdMember(const J &obj, const char *key) {
	auto it = obj.find(key);
	if (it == obj.end()) {
		return 0;
	}
	return IdValue(*it, key);
}

FieldInfo ParseField(const std::string &key, const OrderedJson &prop, const std::string &subtable) {
	if (!prop.is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a malformed form field", "field: " + key);
	}
	FieldInfo field;
	field.code = StringMember(prop, "code");
	if (field.code.empty()) {
		field.code = key;
	}
	field.label = StringMember(prop, "label");
	field.type = FieldTypeFromName(StringMember(prop, "type"));
	field.subtable = subtable;
	field.required = BoolMember(prop, "required", false);
	field.unique = BoolMember(prop, "unique", false);
	if (field.type == FieldType::kStatus || field.type == FieldType::kStatusAssignee ||
	    field.type == FieldType::kCategory) {
		field.enabled = BoolMember(prop, "enabled", true);
	}
	if (field.type == FieldType::kCalc) {
		field.calc_format = StringMember(prop, "format");
	}
	auto lookup = prop.find("lookup");
	field.lookup = lookup != prop.end() && lookup->is_object();
	if (field.lookup) {
		auto mappings = lookup->find("fieldMappings");
		if (mappings != lookup->end() && mappings->is_array()) {
			for (const auto &mapping : *mappings) {
				std::string target = mapping.is_object() ? StringMember(mapping, "field") : std::string();
				if (!target.empty()) {
					field.lookup_copies.push_back(std::move(target));
				}
			}
		}
	}

	auto options = prop.find("options");
	if (options != prop.end() && options->is_object()) {
		std::vector<std::pair<long long, std::string>> indexed;
		long long position = 0;
		for (auto it = options->begin(); it != options->end(); ++it, ++position) {
			std::string label = it->is_object() ? StringMember(*it, "label") : std::string();
			if (label.empty()) {
				label = it.key();
			}
			long long index = position;
			if (it->is_object()) {
				auto idx = it->find("index");
				if (idx != it->end() && (idx->is_string() || idx->is_number_integer())) {
					try {
						index = IdValue(*idx, "option index");
					} catch (const Error &) {
						index = position;
					}
				}
			}
			indexed.emplace_back(index, std::move(label));
		}
		std::stable_sort(indexed.begin(), indexed.end(),
		                 [](const auto &a, const auto &b) { return a.first < b.first; });
		for (auto &entry : indexed) {
			field.options.push_back(std::move(entry.second));
		}
	}

	if (field.type == FieldType::kSubtable) {
		auto inner = prop.find("fields");
		if (inner != prop.end() && inner->is_object()) {
			for (auto it = inner->begin(); it != inner->end(); ++it) {
				field.fields.push_back(ParseField(it.key(), *it, field.code));
			}
		}
	}
	return field;
}

AppInfo ParseApp(const Json &app) {
	if (!app.is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a malformed app");
	}
	AppInfo info;
	info.id = IdMember(app, "appId");
	auto str = [&app](const char *key) {
		auto it = app.find(key);
		return it != app.end() && it->is_string() ? it->get<std::string>() : std::string();
	};
	info.code = str("code");
	info.name = str("name");
	info.description = str("description");
	info.space_id = IdMember(app, "spaceId");
	info.thread_id = IdMember(app, "threadId");
	return info;
}

} // namespace

FieldType FieldTypeFromName(std::string_view name) {
	for (const auto &entry : kTypes) {
		if (name == entry.name) {
			return entry.type;
		}
	}
	return FieldType::kUnknown;
}

const char *FieldTypeName(FieldType type) {
	for (const auto &entry : kTypes) {
		if (type == entry.type) {
			return entry.name;
		}
	}
	return "UNKNOWN";
}

const FieldInfo *FormInfo::Find(std::string_view code) const {
	for (const auto &field : fields) {
		if (field.code == code) {
			return &field;
		}
	}
	for (const auto &field : fields) {
		for (const auto &inner : field.fields) {
			if (inner.code == code) {
				return &inner;
			}
		}
	}
	return nullptr;
}

FormInfo FetchForm(Session &session, long long app, long long guest_space_id) {
	const std::string &body = session.GetRaw("app/form/fields.json", {{"app", app}}, guest_space_id);
	OrderedJson doc = OrderedJson::parse(body, nullptr, false);
	if (doc.is_discarded() || !doc.is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a response that is not JSON",
		            "GET " + session.Path("app/form/fields.json", guest_space_id));
	}
	auto properties = doc.find("properties");
	if (properties == doc.end() || !properties->is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned form fields without \"properties\"",
		            "GET " + session.Path("app/form/fields.json", guest_space_id));
	}
	FormInfo form;
	form.revision = StringMember(doc, "revision");
	for (auto it = properties->begin(); it != properties->end(); ++it) {
		form.fields.push_back(ParseField(it.key(), *it, ""));
	}
	// Lookup copy-to fields are filled by Kintone (contract §6.2): mark them.
	for (const auto &lookup : form.fields) {
		for (const auto &target : lookup.lookup_copies) {
			for (auto &field : form.fields) {
				if (field.code == target) {
					field.copied_by = lookup.code;
				}
			}
		}
	}
	return form;
}

AppInfo FetchApp(Session &session, long long app, long long guest_space_id) {
	return ParseApp(session.Get("app.json", {{"id", app}}, guest_space_id));
}

std::vector<AppInfo> ListApps(Session &session) {
	constexpr long long kPage = 100;
	std::vector<AppInfo> apps;
	for (long long offset = 0;; offset += kPage) {
		Json page = session.Get("apps.json", {{"limit", kPage}, {"offset", offset}});
		auto list = page.find("apps");
		if (list == page.end() || !list->is_array()) {
			throw Error(ErrorKind::kProtocol, "Kintone returned an apps page without \"apps\"");
		}
		for (const auto &app : *list) {
			apps.push_back(ParseApp(app));
		}
		if (static_cast<long long>(list->size()) < kPage) {
			break;
		}
	}
	return apps;
}

} // namespace kintone
