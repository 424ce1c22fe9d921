// The client's condition tree and sort keys as plan data: plain Node lists (Integer, String,
// List), so that plans can be copied, cached and re-executed, and nothing is re-parsed from a
// string. A node is a List whose first element is an Integer kind (kintone::Condition::Kind):
//   True, False:    (kind)
//   Leaf:           (kind, String field, Integer op, List values);
//                   a value is (Integer kind, String text, List of String args)
//   And, Or, Not:   (kind, List children)
//   Slot:           (kind, Integer index, Integer rule kind, String field code, Integer field
//                   type, String calc format, Integer column class, Integer comparison,
//                   Integer negated) — the rule that turns the value into a condition at
//                   execution (kintone::SlotRule)
// Sort keys are a List of (String field, Integer descending).
#pragma once

#include "pg/postgres.hpp"

#include "kintone/query.hpp"

#include <vector>

namespace kintone_fdw {

// PostgreSQL phase: reads the C++ tree through const references only (no C++ temporaries),
// so the tree must be owned by something that outlives an error (a memory-context callback).
Node *ConditionToNode(const kintone::Condition &condition);
List *SortKeysToNode(const std::vector<kintone::SortKey> &keys);

// C++ phase (inside the guard): reads Node lists, calls nothing that can ereport.
kintone::Condition NodeToCondition(const Node *node);
std::vector<kintone::SortKey> NodeToSortKeys(const List *keys);

} // namespace kintone_fdw
