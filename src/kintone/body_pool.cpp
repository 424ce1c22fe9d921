// See body_pool.hpp.
#include "kintone/body_pool.hpp"

#include <utility>

namespace kintone {

namespace {
constexpr size_t kSmallest = 4096;
} // namespace

std::string BodyPool::Take() {
	std::string buffer;
	if (!kept_.empty()) {
		buffer = std::move(kept_.back());
		kept_.pop_back();
	}
	buffer.clear();
	if (buffer.capacity() < largest_) {
		buffer.reserve(largest_ + largest_ / 8); // room for a somewhat larger answer
		++allocations_;
	}
	return buffer;
}

void BodyPool::Give(std::string &&buffer) {
	if (buffer.capacity() < kSmallest) {
		return; // nothing worth keeping (a slot's buffer after its answer moved out)
	}
	if (kept_.size() >= limit_) {
		std::string().swap(buffer);
		return;
	}
	buffer.clear();
	kept_.push_back(std::move(buffer));
}

} // namespace kintone
