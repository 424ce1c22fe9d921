// Edit distance and closest match (see text.hpp).
#include "kintone/text.hpp"

#include <algorithm>

namespace kintone {

size_t EditDistance(std::string_view a, std::string_view b) {
	std::vector<size_t> row(b.size() + 1);
	for (size_t j = 0; j <= b.size(); ++j) {
		row[j] = j;
	}
	for (size_t i = 1; i <= a.size(); ++i) {
		size_t diagonal = row[0];
		row[0] = i;
		for (size_t j = 1; j <= b.size(); ++j) {
			size_t above = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + cost});
			diagonal = above;
		}
	}
	return row[b.size()];
}

std::string ClosestMatch(std::string_view name, const std::vector<std::string> &candidates, size_t max_distance) {
	std::string best;
	size_t best_distance = max_distance + 1;
	for (const auto &candidate : candidates) {
		size_t d = EditDistance(name, candidate);
		if (d == name.size() || d == candidate.size()) {
			continue;
		}
		if (d < best_distance) {
			best_distance = d;
			best = candidate;
		}
	}
	return best;
}

} // namespace kintone
