// Upsert by key (src/kintone/record_json.hpp, writer.hpp): the body of PUT records.json with
// "upsert", the reading of its answer ("operation" per record), the identity of key values
// (which values are one Kintone value), and the writer against the emulator: counts of
// records added and updated, one request per 2,000 records, atomic chunks.
#include "emulator_fixture.hpp"

#include "kintone/error.hpp"
#include "kintone/record_json.hpp"
#include "kintone/session.hpp"
#include "kintone/writer.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

using kintone::ErrorKind;
using kintone::FieldType;
using kintone::Json;
using kintone::UpsertKeyIdentity;
using kintone::WriteKind;

namespace {

kintone::Error ErrorOf(const std::function<void()> &f) {
	try {
		f();
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "no kintone::Error thrown";
	return kintone::Error(ErrorKind::kInternal, "none");
}

} // namespace

TEST(UpsertKey, NumbersAreComparedAsNumbers) {
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, "3"), UpsertKeyIdentity(FieldType::kNumber, "3.0"));
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, "3"), UpsertKeyIdentity(FieldType::kNumber, "003.000"));
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, "30"), UpsertKeyIdentity(FieldType::kNumber, "3e1"));
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, "0.05"), UpsertKeyIdentity(FieldType::kNumber, "5e-2"));
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, " 42 "), UpsertKeyIdentity(FieldType::kNumber, "+42"));
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, "0"), UpsertKeyIdentity(FieldType::kNumber, "-0.00"));
	EXPECT_NE(UpsertKeyIdentity(FieldType::kNumber, "3"), UpsertKeyIdentity(FieldType::kNumber, "-3"));
	EXPECT_NE(UpsertKeyIdentity(FieldType::kNumber, "3"), UpsertKeyIdentity(FieldType::kNumber, "30"));
	EXPECT_NE(UpsertKeyIdentity(FieldType::kNumber, "1.5"), UpsertKeyIdentity(FieldType::kNumber, "15"));
	EXPECT_NE(UpsertKeyIdentity(FieldType::kNumber, "0.5"), UpsertKeyIdentity(FieldType::kNumber, "0.05"));
	// Not a number: compared as text (Kintone refuses it, naming the field).
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kNumber, "12abc"), "12abc");
}

TEST(UpsertKey, TextsAreComparedExactly) {
	// Whether Kintone's unique check ignores case or width is not known: only exact repeats
	// are certain duplicates.
	EXPECT_NE(UpsertKeyIdentity(FieldType::kSingleLineText, "A-1"),
	          UpsertKeyIdentity(FieldType::kSingleLineText, "a-1"));
	EXPECT_NE(UpsertKeyIdentity(FieldType::kSingleLineText, "1"), UpsertKeyIdentity(FieldType::kSingleLineText, "1.0"));
	EXPECT_EQ(UpsertKeyIdentity(FieldType::kSingleLineText, "伝票 1"), "伝票 1");
}

TEST(UpsertKey, SetNamesTheFirstRowOfARepeatedKey) {
	kintone::UpsertKeySet keys(FieldType::kNumber);
	EXPECT_EQ(keys.Add("1", 1), 0);
	EXPECT_EQ(keys.Add("2", 2), 0);
	EXPECT_EQ(keys.Add("1.00", 3), 1);
	EXPECT_EQ(keys.Add("2e0", 4), 2);
	kintone::UpsertKeySet texts(FieldType::kSingleLineText);
	EXPECT_EQ(texts.Add("Q-1", 1), 0);
	EXPECT_EQ(texts.Add("q-1", 2), 0);
	EXPECT_EQ(texts.Add("Q-1", 3), 1);
}

TEST(UpsertJson, BodyNamesEachRecordByItsKey) {
	std::vector<std::string> records = {R"({"t":{"value":"a"}})", R"({})"};
	std::vector<std::string> keys = {"Q-1", "say \"hi\""};
	std::vector<long long> revisions = {-1, -1};
	std::string key_field = "伝票番号";
	kintone::CallRows rows;
	rows.records = &records;
	rows.ids = &keys;
	rows.revisions = &revisions;
	rows.count = 2;
	rows.update_key = &key_field;
	EXPECT_EQ(
	    kintone::CallBody(WriteKind::kUpsert, 6, rows),
	    R"({"app":6,"upsert":true,"records":[{"updateKey":{"field":"伝票番号","value":"Q-1"},"record":{"t":{"value":"a"}}},)"
	    R"({"updateKey":{"field":"伝票番号","value":"say \"hi\""},"record":{}}]})");
}

TEST(UpsertJson, AnswersSayWhichRecordsWereAdded) {
	std::vector<std::string> records = {"{}", "{}"};
	std::vector<std::string> keys = {"K1", "K2"};
	std::vector<long long> revisions = {-1, -1};
	kintone::CallRows rows;
	rows.records = &records;
	rows.ids = &keys;
	rows.revisions = &revisions;
	rows.count = 2;
	std::vector<kintone::WriteResult> out;
	kintone::ReadCallAnswer(WriteKind::kUpsert,
	                        Json::parse(R"({"records":[{"id":"7","revision":"3","operation":"UPDATE"},)"
	                                    R"({"id":"12","revision":"1","operation":"INSERT"}]})"),
	                        rows, "PUT", &out);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].id, "7");
	EXPECT_FALSE(out[0].inserted);
	EXPECT_EQ(out[1].id, "12"); // the added record's id comes from the answer, not from the key
	EXPECT_EQ(out[1].revision, "1");
	EXPECT_TRUE(out[1].inserted);
	for (
	    const char *bad :
	    {R"({"records":[{"id":"7","revision":"3"},{"id":"8","revision":"1","operation":"INSERT"}]})",
	     R"({"records":[{"id":"7","revision":"3","operation":"MERGE"},{"id":"8","revision":"1","operation":"INSERT"}]})",
	     R"({"records":[{"id":"7","revision":"3","operation":1},{"id":"8","revision":"1","operation":"INSERT"}]})"}) {
		out.clear();
		kintone::Error e =
		    ErrorOf([&] { kintone::ReadCallAnswer(WriteKind::kUpsert, Json::parse(bad), rows, "PUT", &out); });
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << bad;
		EXPECT_EQ(e.message(), "Kintone's answer to a write has no \"operation\" (INSERT or UPDATE) at \"records\"[0]");
	}
}

TEST(UpsertJson, CreatorFieldsAreRefusedAsForUpdates) {
	EXPECT_NE(kintone::ReadOnlyReason(FieldType::kCreator, WriteKind::kUpsert), nullptr);
	EXPECT_NE(kintone::ReadOnlyReason(FieldType::kCreatedTime, WriteKind::kUpsert), nullptr);
	EXPECT_NE(kintone::ReadOnlyReason(FieldType::kCalc, WriteKind::kUpsert), nullptr);
	EXPECT_EQ(kintone::ReadOnlyReason(FieldType::kSingleLineText, WriteKind::kUpsert), nullptr);
}

// --- the writer against the emulator ---

namespace {

constexpr long long kApp = 71; // added to the sample data by this test: code (unique key), n

kintone_test::Emulator *emulator = nullptr;
std::string seed_path;

class UpsertWriterTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() {
		std::ifstream in(KINTONE_SOURCE_DIR "/test/emulator/sample-data.json");
		std::stringstream text;
		text << in.rdbuf();
		Json seed = Json::parse(text.str());
		Json app = {{"id", kApp},
		            {"name", "upserts"},
		            {"properties",
		             {{"code", {{"type", "SINGLE_LINE_TEXT"}, {"label", "code"}, {"unique", true}, {"required", true}}},
		              {"n", {{"type", "NUMBER"}, {"label", "n"}, {"maxValue", "1000"}}}}},
		            {"api_tokens",
		             {{{"token", "app71token"}, {"view", true}, {"add", true}, {"edit", true}, {"delete", true}}}},
		            {"records", Json::array()}};
		for (int i = 1; i <= 5; ++i) {
			app["records"].push_back(
			    {{"code", {{"value", "K" + std::to_string(i)}}}, {"n", {{"value", std::to_string(i)}}}});
		}
		seed["apps"].push_back(app);
		seed_path = "/tmp/kintone_upsert_test_seed_" + std::to_string(getpid()) + ".json";
		std::ofstream(seed_path) << seed.dump();
		emulator = new kintone_test::Emulator(seed_path);
	}
	static void TearDownTestSuite() {
		delete emulator;
		emulator = nullptr;
		std::remove(seed_path.c_str());
	}
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }

	kintone::Session MakeSession() {
		kintone::SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.credentials.api_tokens = {"app71token"};
		return kintone::Session(config);
	}
	static std::string Record(long long n) { return R"({"n":{"value":")" + std::to_string(n) + R"("}})"; }
	Json All(kintone::Session &session) {
		return session.Get("records.json", {{"app", kApp}, {"query", "order by $id asc limit 500"}})["records"];
	}
	// Kintone's totalCount of the records matching query (the app's, through session).
	static Json Count(kintone::Session &session, const std::string &query) {
		return session.Get("records.json", {{"app", kApp},
		                                    {"query", query.empty() ? "limit 1" : query + " limit 1"},
		                                    {"totalCount", true}})["totalCount"];
	}
	long Requests(const std::string &key) {
		Json stats = kintone_test::Control(*emulator, "GET", "/_emulator/stats", "");
		return stats["requests"].value(key, 0L);
	}
};

} // namespace

TEST_F(UpsertWriterTest, MixedBatchIsOneRequestPer2000Records) {
	kintone::Session session = MakeSession();
	kintone::Writer writer(session, kApp, 0, WriteKind::kUpsert);
	writer.SetUpsertKey("code");
	kintone_test::Control(*emulator, "POST", "/_emulator/stats/reset", "{}");
	for (int i = 1; i <= 2500; ++i) {
		writer.AddUpsert("K" + std::to_string(i), Record(i % 1000));
	}
	writer.Flush();
	EXPECT_EQ(writer.written(), 2500);
	EXPECT_EQ(writer.upsert_inserted(), 2495);
	EXPECT_EQ(writer.upsert_updated(), 5);
	EXPECT_EQ(writer.requests(), 2);
	EXPECT_EQ(Requests("POST /k/v1/bulkRequest.json"), 2);
	Json first = All(session);
	EXPECT_EQ(first[0]["code"]["value"], "K1");
	EXPECT_EQ(first[0]["n"]["value"], "1");
	EXPECT_EQ(first[0]["$revision"]["value"], "2");
}

TEST_F(UpsertWriterTest, OneBadRecordLeavesItsChunkUnwritten) {
	kintone::Session session = MakeSession();
	kintone::Writer writer(session, kApp, 0, WriteKind::kUpsert);
	writer.SetUpsertKey("code");
	for (int i = 1; i <= 2500; ++i) {
		writer.AddUpsert("N" + std::to_string(i), Record(i == 2100 ? 5000 : i % 1000));
	}
	kintone::Error e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
	EXPECT_NE(e.detail().find("row 2100, field \"n\""), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("Nothing of rows 2001 to 2500 was written."), std::string::npos) << e.detail();
	EXPECT_EQ(writer.written(), 2000);
	EXPECT_EQ(writer.upsert_inserted(), 2000);
	EXPECT_EQ(Count(session, "code like \"N\""), "2000");
}

// With chunks in flight (Writer::set_max_in_flight; docs/concurrency.md, "Writes"): an
// upsert's rows are all queued, then its chunks travel together. The emulator holds the first
// until a second is in flight (the overlap proven without timing); the counts are Kintone's.
TEST_F(UpsertWriterTest, ChunksOfAnUpsertTravelTogether) {
	kintone::Session session = MakeSession();
	kintone::Writer writer(session, kApp, 0, WriteKind::kUpsert);
	writer.SetUpsertKey("code");
	writer.set_max_in_flight(8);
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match":"bulkRequest\\.json","count":1,"await_in_flight":2})");
	kintone_test::Control(*emulator, "POST", "/_emulator/stats/reset", "{}");
	for (int i = 1; i <= 5000; ++i) {
		writer.AddUpsert("K" + std::to_string(i), Record(i % 1000));
	}
	writer.Flush();
	EXPECT_FALSE(writer.in_flight());
	EXPECT_EQ(writer.written(), 5000);
	EXPECT_EQ(writer.upsert_inserted(), 4995);
	EXPECT_EQ(writer.upsert_updated(), 5);
	EXPECT_EQ(writer.requests(), 3);
	EXPECT_EQ(writer.max_chunks_in_flight(), 3);
	EXPECT_EQ(Requests("POST /k/v1/bulkRequest.json"), 3);
	Json stats = kintone_test::Control(*emulator, "GET", "/_emulator/stats", "");
	EXPECT_GE(stats["max_concurrent"].get<int>(), 2);
	EXPECT_EQ(Count(session, ""), "5000"); // 4,995 added to the 5 seeded
}

// A bad record in the first chunk of three in flight: that chunk writes nothing, the two sent
// with it are written, and the error says so per chunk; written() and the counts say only
// what Kintone confirmed.
TEST_F(UpsertWriterTest, BadRecordAmongChunksInFlight) {
	kintone::Session session = MakeSession();
	kintone::Writer writer(session, kApp, 0, WriteKind::kUpsert);
	writer.SetUpsertKey("code");
	writer.set_max_in_flight(8);
	for (int i = 1; i <= 5000; ++i) {
		writer.AddUpsert("N" + std::to_string(i), Record(i == 100 ? 5000 : i % 1000));
	}
	kintone::Error e = ErrorOf([&] { writer.Flush(); });
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
	EXPECT_NE(e.detail().find("row 100, field \"n\""), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("Nothing of rows 1 to 2000 was written."), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("Rows 2001 to 4000 of the statement (in flight at the same time) were written."),
	          std::string::npos)
	    << e.detail();
	EXPECT_NE(e.detail().find("rows 2001 to 5000"), std::string::npos) << e.detail();
	EXPECT_EQ(writer.written(), 3000);
	EXPECT_EQ(writer.upsert_inserted(), 3000);
	EXPECT_EQ(Count(session, "code like \"N\""), "3000");
}
