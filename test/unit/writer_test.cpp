// The statement write buffer against the emulator: batching into records.json and
// bulkRequest calls, results per input row, atomic chunks, error rows and fields, revision
// conflicts, the path without bulkRequest (OAuth), and the error-key parser.
#include "emulator_fixture.hpp"

#include "kintone/error.hpp"
#include "kintone/session.hpp"
#include "kintone/writer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

using kintone::ErrorKind;
using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;
using kintone::WriteKind;
using kintone::Writer;

namespace {

constexpr long long kApp = 70; // an app this test adds to the sample data (1..7 are taken): title (required), n

kintone_test::Emulator *emulator = nullptr;

class WriterTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = &kintone_test::SharedEmulator("writer", WriteSeed); }
	static std::string WriteSeed() {
		std::ifstream in(KINTONE_SOURCE_DIR "/test/emulator/sample-data.json");
		std::stringstream text;
		text << in.rdbuf();
		Json seed = Json::parse(text.str());
		Json app = {
		    {"id", kApp},
		    {"name", "writes"},
		    {"properties",
		     {{"title", {{"type", "SINGLE_LINE_TEXT"}, {"label", "title"}, {"required", true}}},
		      {"n", {{"type", "NUMBER"}, {"label", "n"}}}}},
		    {"api_tokens", {{{"token", "app7token"}, {"view", true}, {"add", true}, {"edit", true}, {"delete", true}}}},
		    {"records", Json::array()}};
		for (int i = 1; i <= 5; ++i) {
			app["records"].push_back(
			    {{"title", {{"value", "seed" + std::to_string(i)}}}, {"n", {{"value", std::to_string(i)}}}});
		}
		seed["apps"].push_back(app);
		std::string path = "/tmp/kintone_writer_test_seed_" + std::to_string(getpid()) + ".json";
		std::ofstream(path) << seed.dump();
		return path;
	}
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }
	static Json Stats() { return kintone_test::Control(*emulator, "GET", "/_emulator/stats", ""); }
	static long Requests(const Json &stats, const std::string &key) { return stats["requests"].value(key, 0L); }
	static SessionConfig Config(bool bulk = true) {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		config.credentials.api_tokens = {"app7token"};
		config.allow_bulk_request = bulk;
		return config;
	}
	static long long Count(Session &session, const std::string &condition = "") {
		Json r = session.Get("records.json", {{"app", kApp}, {"query", condition + " limit 1"}, {"totalCount", true}});
		return std::stoll(r["totalCount"].get<std::string>());
	}
	static Json Record(const std::string &title, long long n) {
		return {{"title", {{"value", title}}}, {"n", {{"value", std::to_string(n)}}}};
	}
};

kintone::Error ErrorOf(const std::function<void()> &fn) {
	try {
		fn();
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "no error";
	return kintone::Error(kintone::ErrorKind::kInternal, "no error");
}

TEST(WriterKeyTest, ParsesBulkValidationKeys) {
	size_t index = 99;
	std::string field;
	ASSERT_TRUE(kintone::ParseRecordErrorKey("records[3].title.value", &index, &field));
	EXPECT_EQ(index, 3u);
	EXPECT_EQ(field, "title");
	ASSERT_TRUE(kintone::ParseRecordErrorKey("records[12].タグ.values[1].value", &index, &field));
	EXPECT_EQ(index, 12u);
	EXPECT_EQ(field, "タグ");
	ASSERT_TRUE(kintone::ParseRecordErrorKey("records[0].連絡先.value[2].value.年齢.value", &index, &field));
	EXPECT_EQ(field, "連絡先");
	ASSERT_TRUE(kintone::ParseRecordErrorKey("records[4].record.n.value", &index, &field));
	EXPECT_EQ(index, 4u);
	EXPECT_EQ(field, "n");
	EXPECT_FALSE(kintone::ParseRecordErrorKey("records", &index, &field));
	EXPECT_FALSE(kintone::ParseRecordErrorKey("record.title.value", &index, &field));
	EXPECT_FALSE(kintone::ParseRecordErrorKey("records[x].title.value", &index, &field));
}

TEST(WriterKeyTest, JsonStringsRoundTrip) {
	const std::vector<std::string> samples = {"",
	                                          "plain",
	                                          "quote \" and \\ backslash",
	                                          "line\nbreak\ttab\r",
	                                          std::string("nul\0byte", 8),
	                                          "\x01\x1f\x7f",
	                                          "日本語😀",
	                                          "</script>"};
	for (const auto &s : samples) {
		std::string out;
		kintone::AppendJsonString(out, s);
		Json parsed = Json::parse(out);
		EXPECT_EQ(parsed.get<std::string>(), s) << out;
	}
}

// 2,500 rows: one bulkRequest of 20 × 100 when 2,000 are queued, one of 5 × 100 at the end.
TEST_F(WriterTest, InsertsInBulkRequestsOf2000) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	EXPECT_EQ(writer.chunk_size(), 2000u);
	std::vector<std::string> ids;
	for (int i = 1; i <= 2500; ++i) {
		writer.AddInsert(Record("t" + std::to_string(i), i));
		if (writer.full()) {
			writer.Flush();
			EXPECT_EQ(writer.results().size(), 2000u);
			for (const auto &r : writer.results()) {
				ids.push_back(r.id);
			}
		}
	}
	writer.Flush();
	for (const auto &r : writer.results()) {
		ids.push_back(r.id);
		EXPECT_EQ(r.revision, "1");
	}
	ASSERT_EQ(ids.size(), 2500u);
	EXPECT_EQ(ids.front(), "6");
	EXPECT_EQ(ids.back(), "2505");
	EXPECT_EQ(writer.written(), 2500);
	EXPECT_EQ(writer.requests(), 2);
	Json stats = Stats();
	EXPECT_EQ(Requests(stats, "POST /k/v1/bulkRequest.json"), 2);
	EXPECT_EQ(Requests(stats, "POST /k/v1/records.json"), 0);
	EXPECT_EQ(Count(session), 2505);
	Json r = session.Get("records.json", {{"app", kApp}, {"query", "$id = 2505"}});
	EXPECT_EQ(r["records"][0]["title"]["value"], "t2500");
	EXPECT_EQ(r["records"][0]["n"]["value"], "2500");
}

// ≤100 rows need no bulkRequest: one records.json call is atomic by itself.
TEST_F(WriterTest, SmallFlushIsOneRecordsCall) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 0; i < 100; ++i) {
		writer.AddInsert(Record("s", i));
	}
	writer.Flush();
	EXPECT_EQ(writer.results().size(), 100u);
	Json stats = Stats();
	EXPECT_EQ(Requests(stats, "POST /k/v1/records.json"), 1);
	EXPECT_EQ(Requests(stats, "POST /k/v1/bulkRequest.json"), 0);
}

// One bad row among 2,000: nothing written; the error names the row and the field.
TEST_F(WriterTest, BadRowRollsBackTheWholeChunk) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 2000; ++i) {
		writer.AddInsert(Record(i == 1234 ? "" : "ok", i));
	}
	kintone::Error e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(e.code(), "CB_VA01");
	EXPECT_NE(e.detail().find("row 1234, field \"title\": "), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("Nothing of rows 1 to 2000 was written."), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("0 records of this statement"), std::string::npos) << e.detail();
	EXPECT_EQ(Count(session), 5);
	EXPECT_EQ(writer.written(), 0);
}

// A failure in the second chunk: the first stays written and the error says so.
TEST_F(WriterTest, FailureInLaterChunkReportsWrittenRecords) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	kintone::Error e = ErrorOf([&] {
		for (int i = 1; i <= 2100; ++i) {
			writer.AddInsert(Record(i == 2050 ? "" : "ok", i));
			if (writer.full()) {
				writer.Flush();
			}
		}
		writer.Flush();
	});
	EXPECT_NE(e.detail().find("row 2050, field \"title\""), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("2000 records of this statement had already been written"), std::string::npos)
	    << e.detail();
	EXPECT_EQ(Count(session), 2005);
}

// Without bulkRequest (OAuth): 100-record calls, not atomic across calls.
TEST_F(WriterTest, WithoutBulkRequestSendsHundredRecordCalls) {
	Session session(Config(false));
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	EXPECT_EQ(writer.chunk_size(), 100u);
	kintone::Error e = ErrorOf([&] {
		for (int i = 1; i <= 250; ++i) {
			writer.AddInsert(Record(i == 150 ? "" : "ok", i));
			if (writer.full()) {
				writer.Flush();
			}
		}
		writer.Flush();
	});
	EXPECT_NE(e.detail().find("row 150, field \"title\""), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("100 records of this statement had already been written"), std::string::npos)
	    << e.detail();
	Json stats = Stats();
	EXPECT_EQ(Requests(stats, "POST /k/v1/records.json"), 2);
	EXPECT_EQ(Requests(stats, "POST /k/v1/bulkRequest.json"), 0);
	EXPECT_EQ(Count(session), 105);
}

TEST_F(WriterTest, UpdatesWithRevisionsAndDetectsConflicts) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kUpdate);
	writer.AddUpdate("1", 1, {{"n", {{"value", "10"}}}});
	writer.AddUpdate("2", -1, {{"title", {{"value", "changed"}}}});
	writer.Flush();
	ASSERT_EQ(writer.results().size(), 2u);
	EXPECT_EQ(writer.results()[0].id, "1");
	EXPECT_EQ(writer.results()[0].revision, "2");
	Json r = session.Get("records.json", {{"app", kApp}, {"query", "$id = 2"}});
	EXPECT_EQ(r["records"][0]["title"]["value"], "changed");
	EXPECT_EQ(r["records"][0]["n"]["value"], "2"); // only the sent field changed

	// Stale revision of record 1 (now 2) among 150 updates: a conflict, nothing written.
	Writer stale(session, kApp, -1, WriteKind::kUpdate);
	for (int i = 0; i < 150; ++i) {
		stale.AddUpdate(std::to_string(2 + i % 4), -1, {{"n", {{"value", "99"}}}});
	}
	stale.AddUpdate("1", 1, {{"n", {{"value", "11"}}}});
	kintone::Error e = ErrorOf([&] { stale.Flush(); });
	EXPECT_EQ(e.kind(), kintone::ErrorKind::kConflict);
	EXPECT_EQ(e.code(), "GAIA_CO02");
	EXPECT_NE(e.detail().find("The refused request held rows 101 to 151"), std::string::npos) << e.detail();
	EXPECT_EQ(Count(session, "n = 99"), 0);
}

TEST_F(WriterTest, DeletesInBatchesWithRevisions) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kDelete);
	writer.AddDelete("1", 1);
	writer.AddDelete("2", -1);
	writer.Flush();
	EXPECT_EQ(Count(session), 3);
	Writer stale(session, kApp, -1, WriteKind::kDelete);
	stale.AddDelete("3", 1);
	stale.AddDelete("4", 7);
	kintone::Error e = ErrorOf([&] { stale.Flush(); });
	EXPECT_EQ(e.kind(), kintone::ErrorKind::kConflict);
	EXPECT_EQ(Count(session), 3);
	Json stats = Stats();
	EXPECT_EQ(Requests(stats, "DELETE /k/v1/records.json"), 2);
}

// A write whose connection dropped is not repeated.
TEST_F(WriterTest, UnknownOutcomeIsNotRepeated) {
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match": "records.json", "method": "POST", "count": 1, "drop_connection": true})");
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.AddInsert(Record("x", 1));
	kintone::Error e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(e.kind(), kintone::ErrorKind::kConnection);
	EXPECT_NE(e.detail().find("may or may not have been processed"), std::string::npos) << e.detail();
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/records.json"), 1);
}

// 429 GAIA_TO04 is answered before any work: that one is retried.
TEST_F(WriterTest, ConcurrencyLimitIsRetried) {
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match": "bulkRequest.json", "count": 1, "code": "GAIA_TO04"})");
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 0; i < 150; ++i) {
		writer.AddInsert(Record("y", i));
	}
	writer.Flush();
	EXPECT_EQ(writer.results().size(), 150u);
	EXPECT_EQ(Count(session), 155);
}

// Overlapped flushes: each full chunk starts without waiting; rows keep being queued meanwhile.
TEST_F(WriterTest, OverlappedFlushesWriteEveryChunkInOrder) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 5000; ++i) {
		writer.AddInsert(Record("o" + std::to_string(i), i));
		if (writer.full()) {
			writer.StartFlush();
			EXPECT_TRUE(writer.in_flight());
		} else if (i % 16 == 0) {
			writer.Pump();
		}
	}
	writer.Flush();
	EXPECT_FALSE(writer.in_flight());
	EXPECT_EQ(writer.written(), 5000);
	EXPECT_EQ(writer.requests(), 3);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 3);
	EXPECT_EQ(Count(session), 5005);
	Json r = session.Get("records.json", {{"app", kApp}, {"query", "$id = 5005 or $id = 2006 order by $id asc"}});
	EXPECT_EQ(r["records"][0]["title"]["value"], "o2001");
	EXPECT_EQ(r["records"][1]["title"]["value"], "o5000");
}

// The first chunk fails while the second buffer fills: nothing of the second is sent, and
// the error counts what was written (nothing).
TEST_F(WriterTest, OverlappedFailureDropsTheNextBuffer) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	kintone::Error e = ErrorOf([&] {
		for (int i = 1; i <= 3500; ++i) {
			writer.AddInsert(Record(i == 1500 ? "" : "ok", i));
			if (writer.full()) {
				writer.StartFlush();
			} else if (i % 16 == 0) {
				writer.Pump();
			}
		}
		writer.Flush();
	});
	EXPECT_EQ(e.code(), "CB_VA01");
	EXPECT_NE(e.detail().find("row 1500, field \"title\""), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("Nothing of rows 1 to 2000 was written."), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("0 records of this statement had already been written"), std::string::npos) << e.detail();
	EXPECT_EQ(writer.written(), 0);
	EXPECT_EQ(writer.queued(), 0u);
	writer.Flush(); // the rows queued meanwhile were dropped: nothing more goes out
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 1);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/records.json"), 0);
	EXPECT_EQ(Count(session), 5);
}

// The second chunk fails while the third buffer fills: the first stays written and is counted.
TEST_F(WriterTest, OverlappedFailureOfLaterChunkCountsWrittenRecords) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	kintone::Error e = ErrorOf([&] {
		for (int i = 1; i <= 4500; ++i) {
			writer.AddInsert(Record(i == 3001 ? "" : "ok", i));
			if (writer.full()) {
				writer.StartFlush();
			}
		}
		writer.Flush();
	});
	EXPECT_NE(e.detail().find("row 3001, field \"title\""), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("Nothing of rows 2001 to 4000 was written."), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("2000 records of this statement had already been written"), std::string::npos)
	    << e.detail();
	EXPECT_EQ(writer.written(), 2000);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 2);
	EXPECT_EQ(Count(session), 2005);
}

// A read on the same session while a write is in flight waits for the write instead of
// dropping it; the write's answer is kept for the writer.
TEST_F(WriterTest, ReadOnTheSessionWaitsForTheWriteInFlight) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 2000; ++i) {
		writer.AddInsert(Record("r", i));
	}
	writer.StartFlush();
	ASSERT_TRUE(writer.in_flight());
	EXPECT_EQ(Count(session), 2005); // the read went out after the write had been answered
	writer.AddInsert(Record("r", 2001));
	writer.Flush();
	EXPECT_EQ(writer.written(), 2001);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 1);
	EXPECT_EQ(Count(session), 2006);
}

// Abort cleanup: the write in flight is finished, not dropped, and what it wrote is known;
// rows queued meanwhile are never sent. The destructor does the same.
TEST_F(WriterTest, SettleFinishesTheWriteInFlight) {
	Session session(Config());
	{
		Writer writer(session, kApp, -1, WriteKind::kInsert);
		for (int i = 1; i <= 2100; ++i) {
			writer.AddInsert(Record("s", i));
			if (writer.full()) {
				writer.StartFlush();
			}
		}
		writer.Settle();
		EXPECT_FALSE(writer.in_flight());
		EXPECT_EQ(writer.settled_written(), 2000);
		EXPECT_EQ(writer.written(), 2000);
		EXPECT_TRUE(writer.unknown_outcome().empty());
		EXPECT_NE(writer.settled_note().find("rows 1 to 2000"), std::string::npos) << writer.settled_note();
	}
	{
		Writer writer(session, kApp, -1, WriteKind::kInsert);
		for (int i = 1; i <= 2000; ++i) {
			writer.AddInsert(Record("d", i));
		}
		writer.StartFlush();
	} // destroyed with the write in flight
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 2);
	EXPECT_EQ(Count(session), 4005);
}

// A write in flight whose connection drops during the cleanup: unknown outcome, not repeated.
TEST_F(WriterTest, SettleReportsAnUnknownOutcome) {
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match": "bulkRequest.json", "count": 1, "drop_connection": true})");
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 2000; ++i) {
		writer.AddInsert(Record("u", i));
	}
	writer.StartFlush();
	writer.Settle();
	EXPECT_EQ(writer.settled_written(), 0);
	EXPECT_NE(writer.unknown_outcome().find("rows 1 to 2000 may or may not have been processed"), std::string::npos)
	    << writer.unknown_outcome();
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 1);
}

// A refused write in flight during the cleanup: nothing written, nothing unknown.
TEST_F(WriterTest, SettleOfARefusedWriteWritesNothing) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 2000; ++i) {
		writer.AddInsert(Record(i == 7 ? "" : "v", i));
	}
	writer.StartFlush();
	writer.Settle();
	EXPECT_EQ(writer.settled_written(), 0);
	EXPECT_EQ(writer.written(), 0);
	EXPECT_TRUE(writer.unknown_outcome().empty());
	EXPECT_EQ(Count(session), 5);
}

// ---- off the happy path (issue 11) ---------------------------------------------------------
// What the writer says about a write must be true, checked against the app's content. The
// emulator's faults act after processing where the point is that Kintone did the write and
// only its answer was lost.

namespace {

void AddFault(const Json &rule) {
	kintone_test::Control(*emulator, "POST", "/_emulator/faults", rule.dump());
}

// Waits until the emulator has nothing in flight (a delayed answer was finally sent).
void WaitIdle() {
	for (int i = 0; i < 400; ++i) {
		Json stats = kintone_test::Control(*emulator, "GET", "/_emulator/stats", "");
		if (stats["in_flight"] == 0) {
			return;
		}
		usleep(50 * 1000);
	}
	ADD_FAILURE() << "the emulator stayed busy";
}

} // namespace

// libcurl re-sends a request whose reused connection dies before the answer; a write must
// not be: before, this INSERT of 3 rows wrote 6 records and reported success.
TEST_F(WriterTest, WriteWhoseConnectionDiesIsNotSentTwice) {
	Session session(Config());
	ASSERT_EQ(Count(session), 5); // the connection the write will reuse
	AddFault(
	    {{"match", "records\\.json"}, {"method", "POST"}, {"count", 1}, {"after", true}, {"drop_connection", true}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 3; ++i) {
		writer.AddInsert(Record("twice", i));
	}
	auto e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(e.kind(), ErrorKind::kConnection);
	EXPECT_TRUE(e.may_have_acted());
	EXPECT_NE(e.detail().find("rows 1 to 3 may or may not have been processed"), std::string::npos) << e.detail();
	EXPECT_EQ(e.detail().find("Nothing"), std::string::npos) << e.detail();
	EXPECT_EQ(writer.written(), 0);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/records.json"), 1);
	EXPECT_EQ(Count(session, R"(title = "twice")"), 3); // processed once
}

// Every answer that does not come from Kintone refusing the request leaves the outcome
// unknown; before, a gateway page or an HTML 200 said "Nothing of rows 1 to 3 was written".
TEST_F(WriterTest, OnlyKintonesOwnRefusalMeansNothingWasWritten) {
	struct Case {
		Json fault;
		bool unknown;
		long long written_to_app; // records the app gained
	};
	const Case cases[] = {
	    {{{"after", true},
	      {"status", 503},
	      {"body", "<html>Service Unavailable</html>"},
	      {"content_type", "text/html"}},
	     true,
	     3},
	    {{{"after", true}, {"status", 504}, {"body", "Gateway Timeout"}}, true, 3},
	    {{{"after", true}, {"status", 200}, {"body", "<html>ok</html>"}, {"content_type", "text/html"}}, true, 3},
	    {{{"after", true}, {"truncate_body", true}}, true, 3},
	    {{{"status", 502}, {"body", "Bad Gateway"}}, true, 0},
	    {{{"status", 500}, {"code", "CB_UN01"}}, true, 0},
	    {{{"drop_connection", true}}, true, 0},
	    {{{"status", 400}, {"code", "CB_VA01"}}, false, 0},
	    {{{"status", 403}, {"code", "GAIA_NO01"}}, false, 0},
	    {{{"status", 520}, {"code", "GAIA_IA02"}}, false, 0},
	};
	int n = 0;
	for (const auto &c : cases) {
		++n;
		Session session(Config());
		long long before = Count(session);
		Json fault = c.fault;
		fault["match"] = "records\\.json";
		fault["method"] = "POST";
		fault["count"] = 1;
		AddFault(fault);
		Writer writer(session, kApp, -1, WriteKind::kInsert);
		for (int i = 1; i <= 3; ++i) {
			writer.AddInsert(Record("case" + std::to_string(n), i));
		}
		auto e = ErrorOf([&] { writer.Flush(); });
		EXPECT_EQ(e.may_have_acted(), c.unknown) << fault.dump();
		bool says_unknown = e.detail().find("may or may not have been processed") != std::string::npos;
		bool says_nothing = e.detail().find("Nothing of rows 1 to 3 was written") != std::string::npos;
		EXPECT_EQ(says_unknown, c.unknown) << fault.dump() << ": " << e.detail();
		EXPECT_EQ(says_nothing, !c.unknown) << fault.dump() << ": " << e.detail();
		EXPECT_NE(e.kind(), ErrorKind::kConflict);
		EXPECT_EQ(writer.written(), 0);
		EXPECT_EQ(Count(session), before + c.written_to_app) << fault.dump();
	}
	// A 2xx JSON answer that lacks what the API promises: Kintone reported success, so the
	// records were probably written; never "nothing was written".
	Session session(Config());
	long long before = Count(session);
	AddFault({{"match", "records\\.json"},
	          {"method", "POST"},
	          {"count", 1},
	          {"after", true},
	          {"status", 200},
	          {"body", {{"ids", Json::array()}}}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.AddInsert(Record("lacking", 1));
	auto e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(e.kind(), ErrorKind::kProtocol);
	EXPECT_NE(e.detail().find("probably written"), std::string::npos) << e.detail();
	EXPECT_EQ(e.detail().find("Nothing"), std::string::npos) << e.detail();
	EXPECT_EQ(writer.written(), 0);
	EXPECT_EQ(Count(session), before + 1);
}

// A revision check of an UPDATE whose answer was lost: before, libcurl's replay met a
// revision conflict (40001) for an update that had been applied.
TEST_F(WriterTest, UpdateWhoseAnswerIsLostIsNotAConflict) {
	Session session(Config());
	Json record = session.Get("records.json", {{"app", kApp}, {"query", "order by $id asc limit 1"}})["records"][0];
	std::string id = record["$id"]["value"];
	long long revision = std::stoll(record["$revision"]["value"].get<std::string>());
	AddFault(
	    {{"match", "records\\.json"}, {"method", "PUT"}, {"count", 1}, {"after", true}, {"drop_connection", true}});
	Writer writer(session, kApp, -1, WriteKind::kUpdate);
	writer.AddUpdate(id, revision, Record("updated", 99));
	auto e = ErrorOf([&] { writer.Flush(); });
	EXPECT_NE(e.kind(), ErrorKind::kConflict);
	EXPECT_TRUE(e.may_have_acted());
	Json after = session.Get("record.json", {{"app", kApp}, {"id", id}})["record"];
	EXPECT_EQ(after["title"]["value"], "updated");
	EXPECT_EQ(std::stoll(after["$revision"]["value"].get<std::string>()), revision + 1); // applied once
}

// Calls one by one (no bulkRequest): the calls answered count exactly, the lost one is unknown,
// the rest is never sent.
TEST_F(WriterTest, CallByCallCountsOnlyWhatKintoneConfirmed) {
	Session session(Config(false));
	ASSERT_EQ(Count(session), 5);
	AddFault({{"match", "records\\.json"},
	          {"method", "POST"},
	          {"skip", 1},
	          {"count", 1},
	          {"after", true},
	          {"drop_connection", true}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 300; ++i) {
		writer.AddInsert(Record("calls", i));
	}
	auto e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(writer.written(), 100);
	EXPECT_NE(e.detail().find("rows 101 to 200 may or may not have been processed"), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("100 records of this statement had already been written"), std::string::npos)
	    << e.detail();
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/records.json"), 2);
	EXPECT_EQ(Count(session, R"(title = "calls")"), 200);
}

// A 2,000-row chunk in flight whose statement is cancelled: abandoned at once, its outcome
// unknown (before, the abort cleanup waited for it up to 30 s).
TEST_F(WriterTest, CancelAbandonsTheWriteInFlight) {
	Session session(Config());
	ASSERT_EQ(Count(session), 5);
	AddFault({{"match", "bulkRequest\\.json"}, {"count", 1}, {"after", true}, {"delay_ms", 3000}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	for (int i = 1; i <= 2000; ++i) {
		writer.AddInsert(Record("abandoned", i));
	}
	writer.StartFlush();
	// Move the upload on until Kintone has the request (it then holds the answer for 3 s).
	for (int i = 0; i < 2000 && Stats()["in_flight"] == 0; ++i) {
		writer.Pump();
		usleep(5 * 1000);
	}
	ASSERT_EQ(Stats()["in_flight"], 1);
	writer.Settle(Session::WriteWait::kAbandon); // does not wait: the answer is 3 s away
	EXPECT_FALSE(writer.in_flight());
	EXPECT_EQ(writer.settled_written(), 0);
	EXPECT_NE(writer.unknown_outcome().find("rows 1 to 2000 may or may not have been processed"), std::string::npos)
	    << writer.unknown_outcome();
	WaitIdle();
	EXPECT_EQ(Count(session, R"(title = "abandoned")"), 2000); // Kintone did it: "may" was right
}

// --- Several chunks in flight (Writer::set_max_in_flight; docs/concurrency.md, "Writes") ---

// Queues n rows the way the glue does (StartFlush when full, Pump now and then), then Flush.
void WriteRows(Writer &writer, int n, const std::function<Json(int)> &record) {
	for (int i = 1; i <= n; ++i) {
		writer.AddInsert(record(i));
		if (writer.full()) {
			writer.StartFlush();
		} else if (i % 16 == 0) {
			writer.Pump();
		}
	}
	writer.Flush();
}

// 10,000 rows at max_concurrent_requests 8: 4 chunks in flight (kMaxChunksInFlight), each
// chunk sent once, every row written in order. The first chunk is held by the emulator until
// a second is in flight: the overlap is proven without timing.
TEST_F(WriterTest, ChunksTravelTogetherAndEachIsSentOnce) {
	Session session(Config());
	AddFault({{"match", "bulkRequest\\.json"}, {"count", 1}, {"await_in_flight", 2}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(8);
	WriteRows(writer, 10000, [](int i) { return Record("c" + std::to_string(i), i); });
	EXPECT_FALSE(writer.in_flight());
	EXPECT_EQ(writer.written(), 10000);
	EXPECT_EQ(writer.requests(), 5);
	EXPECT_EQ(writer.max_chunks_in_flight(), Writer::kMaxChunksInFlight);
	Json stats = Stats();
	EXPECT_EQ(Requests(stats, "POST /k/v1/bulkRequest.json"), 5);
	EXPECT_GE(stats["max_concurrent"].get<int>(), 2);
	EXPECT_EQ(Count(session), 10005);
	// Chunks in flight together are processed in the order they arrive: the records' ids follow
	// the statement's order within a chunk, not across chunks (chunk 1 was held here).
	EXPECT_EQ(Count(session, R"(title = "c1" or title = "c2000" or title = "c2001" or title = "c10000")"), 4);
}

// max_concurrent_requests 1, or no bulkRequest (OAuth: 100-record calls that are not atomic
// together): one chunk in flight, as before.
TEST_F(WriterTest, OneChunkInFlightAtSettingOneAndWithoutBulkRequest) {
	for (bool bulk : {true, false}) {
		kintone_test::ResetEmulator(*emulator);
		Session session(Config(bulk));
		Writer writer(session, kApp, -1, WriteKind::kInsert);
		writer.set_max_in_flight(bulk ? 1 : 8);
		WriteRows(writer, bulk ? 5000 : 300, [](int i) { return Record("one", i); });
		EXPECT_EQ(writer.max_chunks_in_flight(), 0) << bulk; // the overlapped path of one write
		EXPECT_EQ(Stats()["max_concurrent"], 1) << bulk;
		EXPECT_EQ(Count(session, R"(title = "one")"), bulk ? 5000 : 300);
	}
}

// The window is min(setting, kMaxChunksInFlight): at 2, never more than 2 chunks.
TEST_F(WriterTest, WindowFollowsTheSetting) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(2);
	WriteRows(writer, 10000, [](int i) { return Record("two", i); });
	EXPECT_EQ(writer.max_chunks_in_flight(), 2);
	EXPECT_LE(Stats()["max_concurrent"].get<int>(), 2);
	EXPECT_EQ(Count(session, R"(title = "two")"), 10000);
}

// Chunk 3 (rows 4001 to 6000) is refused by Kintone (row 5000 has no title) while chunk 4
// loses its answer after Kintone processed it and chunk 5 is written: the error waits for
// every chunk in flight and says exactly what each did; written() counts only confirmed rows;
// nothing is sent twice.
TEST_F(WriterTest, FailureAmongChunksInFlightSaysWhatEachDid) {
	Session session(Config());
	AddFault({{"match", "bulkRequest\\.json"},
	          {"body_match", "lost7000"},
	          {"count", 1},
	          {"after", true},
	          {"drop_connection", true}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(8);
	kintone::Error e = ErrorOf([&] {
		WriteRows(writer, 10000, [](int i) { return Record(i == 5000 ? "" : i == 7000 ? "lost7000" : "w", i); });
	});
	EXPECT_EQ(e.code(), "CB_VA01");
	const std::string &d = e.detail();
	EXPECT_NE(d.find("row 5000, field \"title\""), std::string::npos) << d;
	EXPECT_NE(d.find("Nothing of rows 4001 to 6000 was written."), std::string::npos) << d;
	EXPECT_NE(d.find("The request with rows 6001 to 8000 (in flight at the same time) may or may not have been "
	                 "processed by Kintone; it was not repeated."),
	          std::string::npos)
	    << d;
	EXPECT_NE(d.find("Rows 8001 to 10000 of the statement (in flight at the same time) were written."),
	          std::string::npos)
	    << d;
	EXPECT_NE(d.find("6000 records of this statement were written to Kintone (rows 1 to 4000 and rows 8001 to "
	                 "10000 of the statement) and stay written"),
	          std::string::npos)
	    << d;
	EXPECT_EQ(writer.written(), 6000);
	EXPECT_FALSE(writer.in_flight());
	EXPECT_NE(writer.unknown_outcome().find("rows 6001 to 8000"), std::string::npos) << writer.unknown_outcome();
	writer.Flush(); // nothing more goes out
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 5);
	EXPECT_EQ(Count(session), 5 + 6000 + 2000); // chunk 4 was processed once: "may" was right
}

// A failure of the first chunk: the chunks sent after it in the window are still awaited and
// reported; no chunk beyond the window is sent.
TEST_F(WriterTest, FirstChunkRefusedStopsAfterTheWindow) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(4);
	kintone::Error e = ErrorOf([&] { WriteRows(writer, 10000, [](int i) { return Record(i == 10 ? "" : "f", i); }); });
	const std::string &d = e.detail();
	EXPECT_NE(d.find("Nothing of rows 1 to 2000 was written."), std::string::npos) << d;
	EXPECT_NE(d.find("Rows 2001 to 4000 of the statement (in flight at the same time) were written."),
	          std::string::npos)
	    << d;
	EXPECT_NE(d.find("6000 records of this statement were written to Kintone (rows 2001 to 8000 of the statement)"),
	          std::string::npos)
	    << d;
	EXPECT_EQ(writer.written(), 6000);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 4); // chunk 5 never sent
	EXPECT_EQ(Count(session, R"(title = "f")"), 6000);
}

// 429 GAIA_TO04 (Kintone refused before doing anything) is the only answer sent again, after
// a back-off; every row is written once.
TEST_F(WriterTest, ConcurrencyLimitOfAChunkInFlightIsRetried) {
	Session session(Config());
	AddFault({{"match", "bulkRequest\\.json"}, {"count", 2}, {"code", "GAIA_TO04"}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(8);
	WriteRows(writer, 10000, [](int i) { return Record("again", i); });
	EXPECT_EQ(writer.written(), 10000);
	EXPECT_EQ(writer.requests(), 7);
	EXPECT_EQ(Requests(Stats(), "POST /k/v1/bulkRequest.json"), 7);
	EXPECT_EQ(Count(session, R"(title = "again")"), 10000);
}

// A statement aborted with chunks in flight: kSettle waits for each and counts what they
// wrote; kAbandon (a cancel) leaves them unknown and says so.
TEST_F(WriterTest, SettleFinishesEveryChunkInFlight) {
	Session session(Config());
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(4);
	for (int i = 1; i <= 4000; ++i) {
		writer.AddInsert(Record("settled", i));
		if (writer.full()) {
			writer.StartFlush();
		}
	}
	EXPECT_TRUE(writer.in_flight());
	writer.Settle();
	EXPECT_FALSE(writer.in_flight());
	EXPECT_EQ(writer.settled_written(), 4000);
	EXPECT_EQ(writer.written(), 4000);
	EXPECT_NE(writer.settled_note().find("The requests with rows 1 to 2000 and rows 2001 to 4000 were in flight"),
	          std::string::npos)
	    << writer.settled_note();
	EXPECT_EQ(Count(session, R"(title = "settled")"), 4000);
}

TEST_F(WriterTest, CancelAbandonsEveryChunkInFlight) {
	Session session(Config());
	ASSERT_EQ(Count(session), 5);
	AddFault({{"match", "bulkRequest\\.json"}, {"count", 2}, {"after", true}, {"delay_ms", 3000}});
	Writer writer(session, kApp, -1, WriteKind::kInsert);
	writer.set_max_in_flight(4);
	for (int i = 1; i <= 4000; ++i) {
		writer.AddInsert(Record("abandoned", i));
		if (writer.full()) {
			writer.StartFlush();
		}
	}
	for (int i = 0; i < 2000 && Stats()["in_flight"] != 2; ++i) {
		writer.Pump();
		usleep(5 * 1000);
	}
	ASSERT_EQ(Stats()["in_flight"], 2);
	writer.Settle(Session::WriteWait::kAbandon);
	EXPECT_FALSE(writer.in_flight());
	EXPECT_EQ(writer.settled_written(), 0);
	EXPECT_NE(writer.unknown_outcome().find("rows 1 to 2000"), std::string::npos) << writer.unknown_outcome();
	EXPECT_NE(writer.unknown_outcome().find("rows 2001 to 4000"), std::string::npos) << writer.unknown_outcome();
	WaitIdle();
	EXPECT_EQ(Count(session, R"(title = "abandoned")"), 4000);
}

} // namespace
