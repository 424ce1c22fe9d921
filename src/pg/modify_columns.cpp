// The columns a write sends (see modify_state.hpp): the Kintone field type of each, and the
// refusal of those Kintone does not let the statement write — before any request.
//
// Types come from what the column options tell first (field_type, lookup_copy_of, "$id",
// "$revision"), so that no request is made for a statement that is refused anyway; a
// hand-written table without field_type reads the app's form (once per backend), which also
// tells lookup copy-to fields. Imported tables carry both options.
#include "pg/modify_state.hpp"

#include "kintone/error.hpp"
#include "kintone/schema.hpp"
#include "pg/planner.hpp"
#include "pg/table.hpp"

namespace kintone_fdw {

namespace {

using kintone::FieldType;

FieldType SystemFieldType(const std::string &code) {
	if (code == "$id") {
		return FieldType::kId;
	}
	if (code == "$revision") {
		return FieldType::kRevision;
	}
	return FieldType::kUnknown;
}

// The column's Kintone field type (kUnknown when neither its options nor the form tell);
// throws kNotSupported when the statement may not write it.
FieldType CheckedType(const KintoneModifyState *st, const TableDef &def, const ColumnDef &col,
                      const kintone::FormInfo *form) {
	FieldType type = SystemFieldType(col.field_code);
	if (type == FieldType::kUnknown && !col.field_type.empty()) {
		type = kintone::FieldTypeFromName(col.field_type);
	}
	const kintone::FieldInfo *field = form != nullptr ? form->Find(col.field_code) : nullptr;
	if (type == FieldType::kUnknown && field != nullptr && field->subtable.empty()) {
		type = field->type;
	}
	if (st->op == CMD_DELETE) {
		return type;
	}
	const char *verb = st->op == CMD_INSERT ? "inserted" : "updated";
	std::string copied_by = col.lookup_copy_of;
	if (copied_by.empty() && field != nullptr) {
		copied_by = field->copied_by;
	}
	if (!copied_by.empty()) {
		throw kintone::Error(kintone::ErrorKind::kNotSupported,
		                     "column \"" + col.name + "\" of foreign table \"" + def.relname + "\" cannot be " + verb,
		                     "Its Kintone field \"" + col.field_code +
		                         "\" is a lookup copy: Kintone fills it from the lookup field \"" + copied_by +
		                         "\" and ignores values sent for it.",
		                     "Set the lookup field instead.");
	}
	const char *reason = kintone::ReadOnlyReason(type, WriteKindOf(st->op));
	if (reason != nullptr) {
		throw kintone::Error(kintone::ErrorKind::kNotSupported,
		                     "column \"" + col.name + "\" of foreign table \"" + def.relname + "\" cannot be " + verb,
		                     std::string("Its Kintone field \"") + col.field_code + "\" is of type " +
		                         kintone::FieldTypeName(type) + ": " + reason + ".",
		                     st->op == CMD_INSERT ? "Leave the column out of the INSERT column list."
		                                          : "Leave the column out of the SET list.");
	}
	return type;
}

// A column the statement names must be writable; one only a trigger may set is simply never
// sent when it is read-only.
FieldType ResolveOne(KintoneModifyState *st, const TableDef &def, int c, const kintone::FormInfo *form) {
	const ColumnDef &col = def.column(st->send[c].attnum);
	if (!st->send[c].by_trigger) {
		return CheckedType(st, def, col, form);
	}
	try {
		return CheckedType(st, def, col, form);
	} catch (const kintone::Error &) {
		st->send[c].never = true;
		return FieldType::kUnknown;
	}
}

} // namespace

std::string ResolveSendColumns(KintoneModifyState *st, ModifyCpp &cpp, const TableDef &def) {
	// First pass: the column options alone (no request).
	bool need_form = false;
	for (int c = 0; c < st->nsend; ++c) {
		need_form |= ResolveOne(st, def, c, nullptr) == FieldType::kUnknown &&
		             def.column(st->send[c].attnum).lookup_copy_of.empty();
	}
	const kintone::FormInfo *form = nullptr;
	if (need_form && !st->explain_only) {
		form = &CachedForm(def);
	}
	// The statement's target columns against the app's form (issue 10: Kintone ignores a field
	// code the app does not have): after the option checks, before anything is sent.
	if (!st->explain_only && st->op != CMD_DELETE) {
		std::vector<int> attnums;
		for (int c = 0; c < st->nsend; ++c) {
			attnums.push_back(st->send[c].attnum);
		}
		CheckFieldsExist(def, attnums);
	}

	// Second pass: with the form when it was needed.
	std::string fields;
	cpp.fields.clear();
	for (int c = 0; c < st->nsend; ++c) {
		const ColumnDef &col = def.column(st->send[c].attnum);
		kintone::WriteField field;
		field.type = ResolveOne(st, def, c, form);
		field.code = col.field_code;
		field.shape = ValueShapeOf(st->send[c].conv);
		field.column = col.name;
		cpp.fields.push_back(std::move(field));
		if (!st->send[c].by_trigger) {
			fields += (fields.empty() ? "" : ", ") + col.field_code;
		}
	}
	return fields;
}

} // namespace kintone_fdw
