// The answer buffers of a concurrent scan (src/kintone/body_pool.hpp): a buffer given back keeps
// its capacity and is handed out again cleared, buffers are reserved for the largest answer
// seen, and the pool never keeps more than its limit, however many pages pass through it.
#include "kintone/body_pool.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using kintone::BodyPool;

TEST(BodyPoolTest, BufferGivenBackIsReusedWithItsCapacity) {
	BodyPool pool(4);
	std::string body = pool.Take();
	body.assign(600000, 'x');
	const char *data = body.data();
	size_t capacity = body.capacity();
	pool.Saw(body.size());
	pool.Give(std::move(body));
	EXPECT_EQ(pool.kept(), 1u);

	std::string again = pool.Take();
	EXPECT_TRUE(again.empty());
	EXPECT_EQ(again.data(), data); // the same memory, not a fresh allocation
	EXPECT_EQ(again.capacity(), capacity);
	EXPECT_EQ(pool.kept(), 0u);
}

TEST(BodyPoolTest, NewBuffersAreReservedForTheLargestAnswer) {
	BodyPool pool(4);
	EXPECT_EQ(pool.Take().capacity(), std::string().capacity()); // nothing seen yet
	pool.Saw(300000);
	pool.Saw(500000);
	pool.Saw(100000);
	EXPECT_EQ(pool.largest(), 500000u);
	std::string body = pool.Take();
	EXPECT_GE(body.capacity(), 500000u);
	const char *data = body.data();
	body.assign(500000, 'y'); // an answer of the largest size fits without growing
	EXPECT_EQ(body.data(), data);
}

TEST(BodyPoolTest, ManyPagesThroughAFixedSetOfBuffers) {
	// As a concurrent scan uses it: a transfer starts with a buffer from the pool, its answer
	// waits in the window, the buffer goes back once the page is parsed. 2 answers arriving and
	// 3 waiting, 400 pages of slightly varying sizes: the buffers are created in the first round
	// only, never more than the window holds at once, and none is grown or created afterwards.
	BodyPool pool(6);
	std::vector<std::string> waiting;
	const char *first_data = nullptr;
	for (int page = 0; page < 400; ++page) {
		std::string arriving = pool.Take();
		arriving.assign(400000 + static_cast<size_t>(page % 7) * 1000, 'r'); // the answer
		pool.Saw(arriving.size());
		if (page == 0) {
			first_data = arriving.data();
		}
		waiting.push_back(std::move(arriving));
		if (waiting.size() > 4) {
			pool.Give(std::move(waiting.front())); // parsed
			waiting.erase(waiting.begin());
		}
		EXPECT_LE(pool.kept(), 6u);
	}
	long after_warm_up = pool.allocations();
	EXPECT_LE(after_warm_up, 6); // one per buffer at most, reserving for the largest answer
	for (int page = 0; page < 100; ++page) {
		std::string arriving = pool.Take();
		const char *data = arriving.data();
		arriving.assign(406000, 'r');
		EXPECT_EQ(arriving.data(), data); // filled without growing
		waiting.push_back(std::move(arriving));
		pool.Give(std::move(waiting.front()));
		waiting.erase(waiting.begin());
	}
	EXPECT_EQ(pool.allocations(), after_warm_up);
	EXPECT_NE(first_data, nullptr);
}

TEST(BodyPoolTest, MovedFromBuffersAreNotKept) {
	BodyPool pool(4);
	std::string answer(100000, 'a');
	std::string task = std::move(answer);
	pool.Give(std::move(answer)); // what a slot holds after its answer moved to its task
	EXPECT_EQ(pool.kept(), 0u);
	pool.Give(std::move(task));
	EXPECT_EQ(pool.kept(), 1u);
}

TEST(BodyPoolTest, PoolKeepsNoMoreThanItsLimit) {
	BodyPool pool(2);
	for (int i = 0; i < 5; ++i) {
		std::string body(10000, 'z');
		pool.Give(std::move(body));
	}
	EXPECT_EQ(pool.kept(), 2u);
}
