// The rows of a SUBTABLE field as a table of their own (docs/subtables.md): each row of the
// field in each record is a row of the table, with the parent record's "$id", the row's id
// ("$row_id"), its position in the record from 1 ("$row_index") and its inner fields.
//
// Kintone filters records, not rows: a condition on an inner field matches a record when at
// least one of its rows matches (contract §7.5, [OBS]), so a pushed-down condition returns a
// superset of the records whose rows the SQL condition keeps, and every row is re-checked
// locally. Negative operators (not in, not like, is not empty) match only records all of
// whose rows match, which is a subset: they are never sent. "=" and "!=" on inner fields are
// refused by Kintone (GAIA_IQ07): "=" is sent as "in", "!=" is not sent.
#pragma once

#include "kintone/pushdown.hpp"
#include "kintone/schema.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

// The pseudo field codes of a rows table's row id and position (never sent to Kintone).
constexpr const char *kRowIdField = "$row_id";
constexpr const char *kRowIndexField = "$row_index";
bool IsRowPseudoField(std::string_view code);

// The pushdown of a SQL condition on a rows table, given the rule's answer p for the same
// condition on the inner fields as if they were top-level (type_of gives an inner field's type,
// kUnknown when not known): conditions naming only "$id" keep p's verdict (a record's rows all
// have its $id); conditions on inner fields are a superset at best (see above), with each leaf
// Kintone would evaluate differently widened to always true; conditions naming a pseudo field,
// or holding a value known only at execution on an inner field, stay local.
Pushdown PushForRows(const Pushdown &p, const std::function<FieldType(const std::string &)> &type_of);

// The condition of the one request that reads a records table joined with its rows table on the
// parent "$id" (docs/subtables.md, "Joins"): the records table's pushed conditions (each exact
// or a superset per record) and the rows table's (PushForRows: a superset of the records whose
// rows they keep), all joined with "and". A record the join needs passes both, so the result is
// a superset of those records; the caller re-checks every condition that is not exact. Kintone
// applies "and" of inner-field conditions to one row (contract §7.5): the rows table's
// conditions go in as PushForRows made them, the records table's name no inner field.
Condition JoinedRecordsCondition(const std::vector<Condition> &records, const std::vector<Condition> &rows);

} // namespace kintone
