// Small text helpers shared by the client and the glue: edit distance and the
// "Perhaps you meant …" closest-match search used when an unknown option name is given.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kintone {

// Levenshtein distance between two byte strings (option names are ASCII).
size_t EditDistance(std::string_view a, std::string_view b);

// The candidate closest to name, or "" when none is close enough to be a plausible typo.
// Follows PostgreSQL 16's ClosestMatch rules: distance at most max_distance, and not a
// candidate that shares nothing with the name (distance equal to either length).
std::string ClosestMatch(std::string_view name, const std::vector<std::string> &candidates, size_t max_distance = 4);

} // namespace kintone
