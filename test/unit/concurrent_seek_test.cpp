// Pages in flight (issue 9) against the real emulator: a concurrent seek scan returns exactly
// the records of a sequential one, in $id order, for ids with and without gaps and with a
// condition; faults injected into one slice mid-scan (429, a 503 after processing, a dropped
// connection) still give the right records, a lasting error ends the scan with that error;
// cancel leaves no request in flight; the emulator's max_concurrent never exceeds the setting.
// No timing is asserted: waits for the emulator's in_flight to drop poll with a generous bound.
#include "emulator_fixture.hpp"
#include "kintone/error.hpp"
#include "kintone/http_group.hpp"
#include "kintone/pager.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <poll.h>

using kintone::ErrorKind;
using kintone::Json;
using kintone::Pager;
using kintone::RecordReader;
using kintone::ScanRequest;
using kintone::Session;
using kintone::SessionConfig;

namespace {

constexpr long long kApp = 61;
// $id 1..600 without gaps, then every third id up to 600 + 3 × 900: 1,500 records whose ids
// are unevenly spread (the first page's id span underestimates the rest).
constexpr long long kDense = 600;
constexpr long long kSparse = 900;

kintone_test::Emulator *emulator = nullptr;

long long IdOf(long long i) { // i = 1..kDense + kSparse
	return i <= kDense ? i : kDense + 3 * (i - kDense);
}

class ConcurrentSeekTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = &kintone_test::SharedEmulator("concurrent_seek", WriteSeed); }
	static std::string WriteSeed() {
		std::ifstream in(KINTONE_SOURCE_DIR "/test/emulator/sample-data.json");
		std::stringstream text;
		text << in.rdbuf();
		Json seed = Json::parse(text.str());
		Json app = {{"id", kApp},
		            {"name", "concurrent"},
		            {"properties",
		             {{"name", {{"type", "SINGLE_LINE_TEXT"}, {"label", "name"}}},
		              {"n", {{"type", "NUMBER"}, {"label", "n"}}}}},
		            {"api_tokens", {{{"token", "concurrenttoken"}, {"view", true}}}},
		            {"records", Json::array()}};
		for (long long i = 1; i <= kDense + kSparse; ++i) {
			long long id = IdOf(i);
			app["records"].push_back(
			    {{"$id", id}, {"name", {{"value", "r" + std::to_string(id)}}}, {"n", {{"value", id}}}});
		}
		seed["apps"].push_back(app);
		std::string path = "/tmp/kintone_concurrent_test_seed_" + std::to_string(getpid()) + ".json";
		std::ofstream(path) << seed.dump();
		return path;
	}
	void SetUp() override {
		kintone_test::ResetEmulator(*emulator);
		Control("POST", "/_emulator/config", R"({"latency_ms": 0, "concurrency_limit": 100})");
	}
	void TearDown() override { Control("POST", "/_emulator/config", R"({"latency_ms": 0, "concurrency_limit": 100})"); }
	static Json Control(const std::string &method, const std::string &path, const std::string &body) {
		return kintone_test::Control(*emulator, method, path, body);
	}
	static Json Stats() { return Control("GET", "/_emulator/stats", ""); }
	static SessionConfig Config() {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		config.credentials.api_tokens = {"concurrenttoken"};
		return config;
	}
	static ScanRequest Request(int in_flight, int page_size = 50) {
		ScanRequest request;
		request.app = kApp;
		request.fields = {"name", "n"};
		request.page_size = page_size;
		request.max_in_flight = in_flight;
		return request;
	}
	static RecordReader Reader() { return RecordReader({{"$id"}, {"name"}, {"n"}}); }
	// Waits (up to 20 s, polling) until the emulator has no request in flight.
	static long InFlightAfterSettling() {
		long in_flight = -1;
		for (int i = 0; i < 400; ++i) {
			in_flight = Stats().value("in_flight", -1L);
			if (in_flight == 0) {
				break;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(50));
		}
		return in_flight;
	}
};

std::vector<long long> ReadAll(Pager &pager, RecordReader &reader) {
	std::vector<long long> ids;
	while (pager.Next(reader)) {
		EXPECT_GT(reader.rows(), 0u);
		for (size_t row = 0; row < reader.rows(); ++row) {
			long long id = std::stoll(std::string(reader.cell(row, 0).text));
			ids.push_back(id);
			EXPECT_EQ(reader.cell(row, 1).text, "r" + std::to_string(id));
		}
	}
	return ids;
}

// The requests of a clean scan at 4 in flight (the slices are planned from the data alone).
long CleanRequests(const SessionConfig &config, const ScanRequest &request) {
	Session session(config);
	RecordReader reader({{"$id"}, {"name"}, {"n"}});
	Pager pager(session, request, nullptr);
	while (pager.Next(reader)) {
	}
	return pager.requests();
}

std::vector<long long> Expected(long long max_n = -1) {
	std::vector<long long> ids;
	for (long long i = 1; i <= kDense + kSparse; ++i) {
		if (max_n < 0 || IdOf(i) <= max_n) {
			ids.push_back(IdOf(i));
		}
	}
	return ids;
}

} // namespace

TEST_F(ConcurrentSeekTest, SameRecordsInTheSameOrderAsOneAtATime) {
	for (int in_flight : {1, 2, 4, 10}) {
		SCOPED_TRACE(in_flight);
		Control("POST", "/_emulator/stats/reset", "{}");
		Session session(Config());
		RecordReader reader = Reader();
		Pager pager(session, Request(in_flight), nullptr);
		EXPECT_EQ(pager.concurrent(), in_flight > 1);
		EXPECT_EQ(ReadAll(pager, reader), Expected());
		EXPECT_FALSE(pager.Next(reader));
		Json stats = Stats();
		EXPECT_LE(stats["max_concurrent"].get<long>(), in_flight) << stats.dump();
		EXPECT_LE(pager.max_in_flight_seen(), in_flight);
		long pages = (kDense + kSparse + 49) / 50;
		// One extra for the open slice after the planned range, one per slice that held more
		// than a page (the sparse ids); never more than twice the pages.
		EXPECT_GE(pager.requests(), pages);
		EXPECT_LE(pager.requests(), 2 * pages + 2) << stats.dump();
		EXPECT_EQ(stats["requests"].value("GET /k/v1/records.json", 0L), pager.requests());
		EXPECT_EQ(pager.records(), kDense + kSparse);
	}
}

TEST_F(ConcurrentSeekTest, WithAConditionAndFullPages) {
	for (int page : {50, 500}) {
		SCOPED_TRACE(page);
		Session session(Config());
		RecordReader reader = Reader();
		auto request = Request(5, page);
		request.condition = "n <= 2000";
		Pager pager(session, request, nullptr);
		EXPECT_EQ(ReadAll(pager, reader), Expected(2000));
	}
}

TEST_F(ConcurrentSeekTest, SmallResultIsOneRequest) {
	Session session(Config());
	RecordReader reader = Reader();
	auto request = Request(8, 500);
	request.condition = "n <= 30";
	Pager pager(session, request, nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected(30));
	EXPECT_EQ(pager.requests(), 1);
}

TEST_F(ConcurrentSeekTest, LimitAndOffsetStaySequential) {
	Session session(Config());
	RecordReader reader = Reader();
	auto request = Request(8);
	request.limit = 120;
	Pager pager(session, request, nullptr);
	EXPECT_FALSE(pager.concurrent());
	auto ids = ReadAll(pager, reader);
	EXPECT_EQ(ids.size(), 120u);
}

TEST_F(ConcurrentSeekTest, RateLimitedSliceIsRetried) {
	long clean = CleanRequests(Config(), Request(4));
	// The 4th and 5th page requests are refused with 429 GAIA_TO04 (before any work).
	Control(
	    "POST", "/_emulator/faults",
	    R"({"match":"records\\.json","method":"GET","skip":3,"count":2,"status":429,)"
	    R"("body":{"code":"GAIA_TO04","id":"x","message":"The number of concurrent API requests exceeds the limit."}})");
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Request(4), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected());
	EXPECT_EQ(pager.requests(), clean + 2); // the two refused requests, sent again
}

TEST_F(ConcurrentSeekTest, AnswerLostAfterProcessingIsReadAgain) {
	// A slice's answer is lost after Kintone served it: a 503 gateway page, then a dropped
	// connection. Reads are idempotent: asked again, the records come exactly once.
	for (
	    const char *rule :
	    {R"({"match":"records\\.json","method":"GET","skip":4,"count":1,"after":true,"status":503,"body":"<html>gw</html>","content_type":"text/html"})",
	     R"({"match":"records\\.json","method":"GET","skip":6,"count":1,"after":true,"drop_connection":true})"}) {
		SCOPED_TRACE(rule);
		Control("DELETE", "/_emulator/faults", "");
		long clean = CleanRequests(Config(), Request(4));
		Control("POST", "/_emulator/faults", rule);
		Control("POST", "/_emulator/stats/reset", "{}");
		Session session(Config());
		RecordReader reader = Reader();
		Pager pager(session, Request(4), nullptr);
		EXPECT_EQ(ReadAll(pager, reader), Expected());
		// The lost one was served twice (read again by the pager, or by libcurl itself on a fresh
		// connection when the dropped one was a reused keep-alive connection: a read may be).
		EXPECT_EQ(Stats()["requests"].value("GET /k/v1/records.json", 0L), clean + 1);
	}
}

TEST_F(ConcurrentSeekTest, LastingErrorInOneSliceEndsTheScan) {
	Control("POST", "/_emulator/faults",
	        R"({"match":"records\\.json","method":"GET","skip":5,"count":1,"status":400,)"
	        R"("body":{"code":"CB_VA01","id":"x","message":"bad"}})");
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Request(4), nullptr);
	size_t rows = 0;
	bool failed = false;
	try {
		while (pager.Next(reader)) {
			rows += reader.rows();
		}
	} catch (const kintone::Error &e) {
		failed = true;
		EXPECT_EQ(e.code(), "CB_VA01");
		EXPECT_NE(e.context().find("Kintone query: $id > "), std::string::npos) << e.context();
	}
	EXPECT_TRUE(failed) << "read " << rows << " rows without the error";
	EXPECT_LT(rows, static_cast<size_t>(kDense + kSparse));
	EXPECT_FALSE(pager.Next(reader)); // over: never a silent rest
	EXPECT_EQ(InFlightAfterSettling(), 0);
}

namespace {
bool flag_abort = false;
bool AbortWhenFlagged(void *) {
	return flag_abort;
}
} // namespace

TEST_F(ConcurrentSeekTest, CancelLeavesNoRequestInFlight) {
	Control("POST", "/_emulator/config", R"({"latency_ms": 400})");
	SessionConfig config = Config();
	config.http.should_abort = AbortWhenFlagged;
	flag_abort = false;
	Session session(config);
	RecordReader reader = Reader();
	Pager pager(session, Request(6), nullptr);
	ASSERT_TRUE(pager.Next(reader)); // the first page; the slices are now in flight
	EXPECT_GT(kintone::HttpGroup::InFlightInProcess(), 0);
	flag_abort = true;
	kintone::Error error(ErrorKind::kInternal, "none");
	try {
		while (pager.Next(reader)) {
		}
	} catch (const kintone::Error &e) {
		error = e;
	}
	flag_abort = false;
	EXPECT_EQ(error.kind(), ErrorKind::kCancelled);
	EXPECT_EQ(kintone::HttpGroup::InFlightInProcess(), 0);
	Control("POST", "/_emulator/config", R"({"latency_ms": 0})"); // wakes the sleeping requests
	EXPECT_EQ(InFlightAfterSettling(), 0);
	EXPECT_EQ(Stats()["live_cursors"], 0);
}

TEST_F(ConcurrentSeekTest, DomainLimitAnsweredWithBackOff) {
	// The domain allows 2 in flight; the scan asks for 6 with every answer delayed: the excess
	// is refused with 429, retried, and every record still comes exactly once.
	Control("POST", "/_emulator/config", R"({"latency_ms": 30, "concurrency_limit": 2})");
	SessionConfig config = Config();
	config.max_retries = 10;
	Session session(config);
	RecordReader reader = Reader();
	Pager pager(session, Request(6), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected());
}

TEST_F(ConcurrentSeekTest, TwoScansShareTheBackendsLimit) {
	// Two concurrent scans of one backend (a UNION ALL, a join) together stay within the
	// setting: the second waits for the first's requests to free a share.
	Control("POST", "/_emulator/config", R"({"latency_ms": 20})");
	Control("POST", "/_emulator/stats/reset", "{}");
	Session session(Config());
	RecordReader reader_a = Reader();
	RecordReader reader_b = Reader();
	Pager a(session, Request(3), nullptr);
	Pager b(session, Request(3), nullptr);
	std::vector<long long> ids_a, ids_b;
	bool more_a = true, more_b = true;
	while (more_a || more_b) {
		if (more_a && (more_a = a.Next(reader_a))) {
			for (size_t r = 0; r < reader_a.rows(); ++r) {
				ids_a.push_back(std::stoll(std::string(reader_a.cell(r, 0).text)));
			}
		}
		if (more_b && (more_b = b.Next(reader_b))) {
			for (size_t r = 0; r < reader_b.rows(); ++r) {
				ids_b.push_back(std::stoll(std::string(reader_b.cell(r, 0).text)));
			}
		}
	}
	EXPECT_EQ(ids_a, Expected());
	EXPECT_EQ(ids_b, Expected());
	Json stats = Stats();
	EXPECT_LE(stats["max_concurrent"].get<long>(), 3) << stats.dump();
}

// The scan really keeps the setting's number of pages in flight (issue 9, Tests): the slices
// after the first page are held by the emulator (a latency of an hour, released by setting it
// back to 0: no timing involved) until it counts them all in flight at once. The first page is
// read the asynchronous way (StartFirst, then the group's wait handle until Ready).
TEST_F(ConcurrentSeekTest, TheSettingIsReachedAndNeverPassed) {
	for (int in_flight : {8, 1}) {
		SCOPED_TRACE(in_flight);
		Control("POST", "/_emulator/config", R"({"latency_ms": 0})");
		Control("POST", "/_emulator/stats/reset", "{}");
		Session session(Config());
		RecordReader reader = Reader();
		Pager pager(session, Request(in_flight), nullptr);
		pager.StartFirst();
		for (int i = 0; i < 2000 && !pager.Ready(); ++i) {
			pager.ArmWaitFd();
			int fd = pager.WaitFd();
			ASSERT_GE(fd, 0);
			struct pollfd p = {fd, POLLIN, 0};
			poll(&p, 1, 1000);
		}
		ASSERT_TRUE(pager.Ready());
		Control("POST", "/_emulator/config", R"({"latency_ms": 3600000})");
		std::vector<long long> ids;
		ASSERT_TRUE(pager.Next(reader)); // the first page; the slices go out now and are held
		for (size_t row = 0; row < reader.rows(); ++row) {
			ids.push_back(std::stoll(std::string(reader.cell(row, 0).text)));
		}
		long held = 0;
		for (int i = 0; i < 400 && held < in_flight; ++i) {
			pager.Pump();
			held = Stats().value("in_flight", 0L);
			if (held < in_flight) {
				std::this_thread::sleep_for(std::chrono::milliseconds(50));
			}
		}
		EXPECT_EQ(held, in_flight);
		Control("POST", "/_emulator/config", R"({"latency_ms": 0})"); // releases them
		auto rest = ReadAll(pager, reader);
		ids.insert(ids.end(), rest.begin(), rest.end());
		EXPECT_EQ(ids, Expected());
		Json stats = Stats();
		EXPECT_EQ(stats["max_concurrent"].get<long>(), in_flight) << stats.dump();
		EXPECT_EQ(pager.max_in_flight_seen(), in_flight);
	}
}

// A hint of the $id range (ScanRequest::id_hint, rows_hint: ANALYZE's largest "$id" and the
// planner's row estimate) plans the slices before any page is read, so no page is read alone.
// Whatever the hint's accuracy every record comes exactly once, in $id order; a wrong hint
// costs requests only. The dense part of the app (ids 1..600, "n <= 600") gives exact counts.
namespace {
ScanRequest Hinted(int in_flight, long long id_hint, double rows_hint, const std::string &condition = "") {
	ScanRequest request;
	request.app = kApp;
	request.fields = {"name", "n"};
	request.page_size = 50;
	request.max_in_flight = in_flight;
	request.condition = condition;
	request.id_hint = id_hint;
	request.rows_hint = rows_hint;
	return request;
}
} // namespace

TEST_F(ConcurrentSeekTest, HintMatchingExactlySpendsOneRequestPerSlice) {
	// 600 records, 12 pages of 50. A filtered scan plans slices for 90% of a page (headroom,
	// kFilteredFill): ⌈600 / 45⌉ = 14 slices of 43 ids, (0,43] … (516,559] and the open
	// "$id > 559", whose totalCount says that its page held the last records: 14 requests, no
	// empty page. Without the hint: the first page alone (50 ids), 13 slices of 45 ids up to 600
	// and the open slice (15).
	for (long long hint : {600LL, 0LL}) {
		SCOPED_TRACE(hint);
		Control("POST", "/_emulator/stats/reset", "{}");
		Session session(Config());
		RecordReader reader = Reader();
		Pager pager(session, Hinted(4, hint, 600, "n <= 600"), nullptr);
		EXPECT_EQ(ReadAll(pager, reader), Expected(600));
		EXPECT_EQ(pager.requests(), hint > 0 ? 14 : 15);
		Json stats = Stats();
		EXPECT_EQ(stats["requests"].value("GET /k/v1/records.json", 0L), pager.requests());
		EXPECT_LE(stats["max_concurrent"].get<long>(), 4) << stats.dump();
	}
}

TEST_F(ConcurrentSeekTest, HintOfTheWholeAppReadsEveryRecordInOrder) {
	// Ids without gaps, then every third: the slices of equal width hold unequal numbers of
	// records; the ones that hold more than a page go on by seek within their bounds.
	Control("POST", "/_emulator/stats/reset", "{}");
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Hinted(4, IdOf(kDense + kSparse), kDense + kSparse), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected());
	long pages = (kDense + kSparse + 49) / 50;
	EXPECT_GE(pager.requests(), pages);
	EXPECT_LE(pager.requests(), 2 * pages + 2);
	EXPECT_LE(Stats()["max_concurrent"].get<long>(), 4);
}

TEST_F(ConcurrentSeekTest, HintFarTooLowStillReadsEverything) {
	// The app grew since ANALYZE: the hint says $id 100 where the records go on to 600. The open
	// slice after the hinted range asks for totalCount: its full page plans slices beyond it, as
	// a first page would. Requests: the pages, one per hinted slice (short pages), the open
	// slice after the new plan.
	for (long long hint : {100LL, 1LL}) {
		SCOPED_TRACE(hint);
		Session session(Config());
		RecordReader reader = Reader();
		Pager pager(session, Hinted(4, hint, 600, "n <= 600"), nullptr);
		EXPECT_EQ(ReadAll(pager, reader), Expected(600));
		EXPECT_LE(pager.requests(), 12 + 12 + 2);
	}
	// A hint far too low for the whole app, uneven ids included.
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Hinted(8, 500, kDense + kSparse), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected());
}

TEST_F(ConcurrentSeekTest, HintFarTooHighStillReadsEverything) {
	// Records deleted since ANALYZE, or a hint from another app's range: the hint says $id
	// 1,000,000. The first slice holds every record (read by seek within it); the others come
	// back empty: at most one request per planned slice beyond the pages.
	Control("POST", "/_emulator/stats/reset", "{}");
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Hinted(4, 1000000, kDense + kSparse), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected());
	long pages = (kDense + kSparse + 49) / 50;
	long slices = pages; // ⌈rows_hint / page⌉
	EXPECT_LE(pager.requests(), pages + slices + 1);
	EXPECT_LE(Stats()["max_concurrent"].get<long>(), 4);
	// And far too high a row estimate: no more slices than ids in the hint.
	Session session2(Config());
	RecordReader reader2 = Reader();
	Pager pager2(session2, Hinted(4, 700, 1.0e9, "n <= 600"), nullptr);
	EXPECT_EQ(ReadAll(pager2, reader2), Expected(600));
	EXPECT_LE(pager2.requests(), 700 + 1);
}

TEST_F(ConcurrentSeekTest, HintTooSmallToPlanWithIsTodaysScan) {
	// A row estimate of one page or less: the first page plans, as without a hint.
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Hinted(4, 3300, 40, "n <= 30"), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected(30));
	EXPECT_EQ(pager.requests(), 1);
}

TEST_F(ConcurrentSeekTest, ASlicesNextPageIsAskedForBeforeEarlierPagesAreConsumed) {
	// A row estimate too low (350 where 600 match): 8 slices of 75 ids, each holding more
	// than a page of 50. The emulator holds the first slice's first page until the second
	// slice's second page ("$id > 125 and $id <= 150") has been asked for. Pages are consumed in
	// $id order, so a scan that asked for a slice's next page only when it consumed the first
	// would never send it while the first slice waits: the hold would end in the emulator's
	// error EMULATOR_AWAIT_MISSED. The records and the cap on requests in flight are unchanged.
	Control("POST", "/_emulator/faults",
	        R"({"match":"records\\.json","method":"GET","query_match":"\\$id > 0 and \\$id <= 75 ",)"
	        R"("await_match":"\\$id > 125 and \\$id <= 150 ","await_strict":true,"count":1})");
	Control("POST", "/_emulator/stats/reset", "{}");
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Hinted(4, 600, 350, "n <= 600"), nullptr);
	EXPECT_EQ(ReadAll(pager, reader), Expected(600));
	EXPECT_EQ(Control("GET", "/_emulator/faults", "")["faults"].size(), 0u); // the rule applied
	EXPECT_LE(Stats()["max_concurrent"].get<long>(), 4);
	EXPECT_LE(pager.requests(), 2 * 8 + 2); // each slice two pages, the open slice's
}

TEST_F(ConcurrentSeekTest, HintedScanSurvivesFaultsInASlice) {
	// A 429, an answer lost after processing (dropped connection) and a 503 in the first wave of
	// hinted slices: the same records, each exactly once; a lasting error ends the scan.
	for (
	    const char *rule :
	    {R"({"match":"records\\.json","method":"GET","skip":2,"count":2,"status":429,"body":{"code":"GAIA_TO04","id":"x","message":"limit"}})",
	     R"({"match":"records\\.json","method":"GET","skip":1,"count":1,"after":true,"drop_connection":true})",
	     R"({"match":"records\\.json","method":"GET","skip":3,"count":1,"after":true,"status":503,"body":"<html>gw</html>","content_type":"text/html"})"}) {
		SCOPED_TRACE(rule);
		Control("DELETE", "/_emulator/faults", "");
		Control("POST", "/_emulator/faults", rule);
		Session session(Config());
		RecordReader reader = Reader();
		Pager pager(session, Hinted(4, 3300, kDense + kSparse), nullptr);
		EXPECT_EQ(ReadAll(pager, reader), Expected());
	}
	Control("DELETE", "/_emulator/faults", "");
	Control("POST", "/_emulator/faults",
	        R"({"match":"records\\.json","method":"GET","skip":2,"count":1,"status":400,)"
	        R"("body":{"code":"CB_VA01","id":"x","message":"bad"}})");
	Session session(Config());
	RecordReader reader = Reader();
	Pager pager(session, Hinted(4, 3300, kDense + kSparse), nullptr);
	bool failed = false;
	try {
		while (pager.Next(reader)) {
		}
	} catch (const kintone::Error &e) {
		failed = true;
		EXPECT_EQ(e.code(), "CB_VA01");
	}
	EXPECT_TRUE(failed);
	EXPECT_FALSE(pager.Next(reader));
	EXPECT_EQ(InFlightAfterSettling(), 0);
}
