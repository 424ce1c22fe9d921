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

using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;
using kintone::WriteKind;
using kintone::Writer;

namespace {

constexpr long long kApp = 70; // an app this test adds to the sample data (1..7 are taken): title (required), n

kintone_test::Emulator *emulator = nullptr;
std::string seed_path;

class WriterTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() {
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
		seed_path = "/tmp/kintone_writer_test_seed_" + std::to_string(getpid()) + ".json";
		std::ofstream(seed_path) << seed.dump();
		emulator = new kintone_test::Emulator(seed_path);
	}
	static void TearDownTestSuite() {
		delete emulator;
		emulator = nullptr;
		std::remove(seed_path.c_str());
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

} // namespace
