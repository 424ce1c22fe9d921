// App metadata: form fields (app/form/fields.json), apps (apps.json / app.json) and the
// field types of contract §6.1 with what the FDW needs to know about each.
#pragma once

#include "kintone/session.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kintone {

enum class FieldType {
	kId,       // "$id" (__ID__)
	kRevision, // "$revision" (__REVISION__)
	kRecordNumber,
	kCreator,
	kModifier,
	kCreatedTime,
	kUpdatedTime,
	kSingleLineText,
	kMultiLineText,
	kRichText,
	kLink,
	kNumber,
	kCalc,
	kCheckBox,
	kRadioButton,
	kDropDown,
	kMultiSelect,
	kDate,
	kTime,
	kDateTime,
	kUserSelect,
	kOrganizationSelect,
	kGroupSelect,
	kFile,
	kSubtable,
	kCategory,
	kStatus,
	kStatusAssignee,
	kReferenceTable, // not in records
	kGroup,          // layout group, not in records
	kUnknown,
};

// "SINGLE_LINE_TEXT" -> kSingleLineText; "__ID__" -> kId; anything else -> kUnknown.
FieldType FieldTypeFromName(std::string_view name);
const char *FieldTypeName(FieldType type);

struct FieldInfo {
	std::string code;
	std::string label;
	FieldType type = FieldType::kUnknown;
	std::string calc_format; // CALC: NUMBER, NUMBER_DIGIT, DATETIME, DATE, TIME, HOUR_MINUTE, DAY_HOUR_MINUTE
	bool enabled = true;     // STATUS, STATUS_ASSIGNEE, CATEGORY: false when the feature is off
	bool unique = false;
	bool required = false;
	bool lookup = false;                    // a lookup field (copy-to fields are plain fields)
	std::vector<std::string> lookup_copies; // a lookup field: the fields its fieldMappings fill
	std::string copied_by;                  // a lookup copy-to field: the lookup field that fills it
	std::vector<std::string> options;       // option labels, in index order
	std::string subtable;                   // the enclosing SUBTABLE's code, "" at top level
	std::vector<FieldInfo> fields;          // SUBTABLE: its inner fields
};

struct FormInfo {
	std::vector<FieldInfo> fields; // top-level fields in response order; "$id"/"$revision" are not listed
	std::string revision;
	// The top-level field or subtable inner field with this code, or nullptr.
	const FieldInfo *Find(std::string_view code) const;
};

struct AppInfo {
	long long id = 0;
	std::string code;
	std::string name;
	std::string description;
	long long space_id = 0;  // 0 when not in a space
	long long thread_id = 0; // 0 when not in a space
};

// GET app/form/fields.json.
FormInfo FetchForm(Session &session, long long app, long long guest_space_id = -1);

// GET app.json.
AppInfo FetchApp(Session &session, long long app, long long guest_space_id = -1);

// GET apps.json, every page (100 apps each). Password/OAuth only: Kintone refuses API tokens.
std::vector<AppInfo> ListApps(Session &session);

} // namespace kintone
