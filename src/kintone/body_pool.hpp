// Answer buffers reused across the pages of a concurrent scan (src/kintone/concurrent_seek.cpp).
//
// Each page of a scan arrives in a std::string that libcurl's write callback appends to. A
// buffer that starts empty grows by doubling through a dozen reallocations to the size of a
// page (≈ 0.5 MB for 500 records of 20 fields), and freeing it once the page has been parsed
// lets glibc raise its mmap threshold: the next buffers then come from the heap, where the
// freed intermediate sizes of hundreds of pages fragment it, and the backend's peak memory
// grows with the number of pages read (issue 9: 35.7 MB for 10,000 records, 45.9 MB for
// 200,000). A pool keeps the buffers instead: Take hands out a cleared one (its capacity kept,
// at least the largest answer seen so far, so an answer normally fills it without a single
// reallocation), Give takes it back after use. The pool never holds more than `limit` buffers,
// so a scan's buffers are bounded by the pages it keeps in flight and waiting, whatever the
// app's size.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

namespace kintone {

class BodyPool {
public:
	explicit BodyPool(size_t limit) : limit_(limit) {}

	// A cleared buffer with capacity for the largest answer seen (a kept one when there is one).
	std::string Take();
	// Takes a buffer back (cleared, capacity kept); dropped when the pool already holds limit,
	// ignored when it holds no memory worth keeping (under 4 kB, e.g. moved from).
	void Give(std::string &&buffer);
	// Records an answer's size, so that later buffers are reserved for it.
	void Saw(size_t size) {
		if (size > largest_) {
			largest_ = size;
		}
	}

	size_t kept() const { return kept_.size(); }
	size_t largest() const { return largest_; }
	// Buffers Take had to create or grow (0 once every buffer has reached the largest answer).
	long allocations() const { return allocations_; }

private:
	size_t limit_;
	size_t largest_ = 0;
	long allocations_ = 0;
	std::vector<std::string> kept_;
};

} // namespace kintone
