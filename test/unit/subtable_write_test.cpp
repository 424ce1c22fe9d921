// Writing a subtable's rows (src/kintone/subtable_write.hpp): the changes of a statement applied
// to a parent's current rows (other rows kept by id with no value, updated rows with only the
// fields set, deleted rows left out, new rows at their position or appended), the conflicts that
// stop a write before it is sent, and ReadParents + Writer against the emulator: the record
// update keeps the other rows' ids and values (contract §6.3) and carries the revision.
#include "emulator_fixture.hpp"

#include "kintone/error.hpp"
#include "kintone/session.hpp"
#include "kintone/subtable_write.hpp"
#include "kintone/writer.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

using kintone::ErrorKind;
using kintone::Json;
using kintone::RowChanges;

namespace {

const char *kRows = R"([{"id":"11","value":{"a":{"type":"NUMBER","value":"1"}}},)"
                    R"({"id":"12","value":{"a":{"type":"NUMBER","value":"2"}}},)"
                    R"({"id":"13","value":{"a":{"type":"NUMBER","value":"3"}}}])";

Json Rows(const std::string &record) {
	return Json::parse(record)["t"]["value"];
}

TEST(SubtableWrite, UntouchedRowsAreSentByIdOnly) {
	RowChanges changes("t");
	changes.AddUpdate(5, 7, 12, R"({"a":{"value":"20"}})", 1);
	ASSERT_EQ(changes.parents(), 1u);
	EXPECT_EQ(changes.parent(0), 5);
	EXPECT_EQ(changes.revision(0), 7);
	EXPECT_EQ(Rows(changes.Record(0, kRows)),
	          Json::parse(R"([{"id":"11","value":{}},{"id":"12","value":{"a":{"value":"20"}}},)"
	                      R"({"id":"13","value":{}}])"));
}

TEST(SubtableWrite, DeletesLeaveRowsOutInsertsGoAtTheirPosition) {
	RowChanges changes("t");
	changes.AddDelete(5, 7, 11, 1);
	changes.AddDelete(5, 7, 13, 2);
	EXPECT_EQ(Rows(changes.Record(0, kRows)), Json::parse(R"([{"id":"12","value":{}}])"));

	RowChanges inserts("t");
	inserts.AddInsert(5, 0, R"({"a":{"value":"9"}})", 1); // appended
	inserts.AddInsert(5, 1, R"({"a":{"value":"8"}})", 2); // first
	inserts.AddInsert(5, 99, "{}", 3);                    // past the end: appended
	inserts.AddInsert(5, 3, R"({"a":{"value":"7"}})", 4); // third, among the rows so far
	EXPECT_EQ(inserts.revision(0), -1);
	EXPECT_EQ(Rows(inserts.Record(0, kRows)),
	          Json::parse(R"([{"value":{"a":{"value":"8"}}},{"id":"11","value":{}},{"value":{"a":{"value":"7"}}},)"
	                      R"({"id":"12","value":{}},{"id":"13","value":{}},{"value":{"a":{"value":"9"}}},)"
	                      R"({"value":{}}])"));
	EXPECT_EQ(inserts.StatementRows(0), "rows 1 to 4");
}

TEST(SubtableWrite, NoRowsYetAndParentsInOrder) {
	RowChanges changes("表 1");
	changes.AddInsert(9, 0, "{}", 1);
	changes.AddInsert(3, 0, "{}", 2);
	changes.AddInsert(9, 0, "{}", 3);
	ASSERT_EQ(changes.parents(), 2u);
	EXPECT_EQ(changes.parent(0), 9);
	EXPECT_EQ(changes.parent(1), 3);
	EXPECT_EQ(changes.rows(), 3);
	EXPECT_EQ(changes.StatementRows(0), "rows 1 and 3");
	EXPECT_EQ(changes.StatementRows(1), "row 2");
	for (const char *none : {"", "null", "[]"}) {
		EXPECT_EQ(Json::parse(changes.Record(1, none)), Json::parse(R"({"表 1":{"value":[{"value":{}}]}})")) << none;
	}
}

TEST(SubtableWrite, ConflictsStopTheWriteBeforeSending) {
	RowChanges changes("t");
	changes.AddUpdate(5, 7, 12, "{}", 1);
	// A row of the same record read at another revision: the record changed during the scan.
	try {
		changes.AddDelete(5, 8, 13, 2);
		FAIL() << "no conflict";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConflict);
		EXPECT_NE(e.detail().find("revisions 7 and 8"), std::string::npos) << e.detail();
	}
	// A row the statement changes that is no longer in the record.
	try {
		changes.Record(0, R"([{"id":"11","value":{}}])");
		FAIL() << "no conflict";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConflict);
		EXPECT_NE(e.message().find("row 12 of Kintone record 5"), std::string::npos) << e.message();
	}
}

TEST(SubtableWrite, AnswersOfTheWrongShapeAreProtocolErrors) {
	RowChanges changes("t");
	changes.AddInsert(5, 0, "{}", 1);
	for (const char *bad : {R"({"id":"1"})", R"([{"value":{}}])", R"([{"id":"x1","value":{}}])", "[1]", "[{"}) {
		try {
			changes.Record(0, bad);
			ADD_FAILURE() << "accepted " << bad;
		} catch (const kintone::Error &e) {
			EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << bad << ": " << e.what();
		}
	}
}

// Against the emulator: sample app 6 (ORDERLINES), record 2 has four rows of 明細.
class SubtableWriteEmulator : public ::testing::Test {
protected:
	void SetUp() override {
		emulator_ = &kintone_test::SharedEmulator();
		kintone_test::ResetEmulator(*emulator_);
	}
	kintone::SessionConfig Config() const {
		kintone::SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator_->url());
		config.retry_base_delay_ms = 1;
		config.credentials.api_tokens = {"orderlinesfulltoken"};
		return config;
	}
	kintone_test::Emulator *emulator_ = nullptr;
};

TEST_F(SubtableWriteEmulator, ReadModifyWriteKeepsOtherRowsAndCarriesTheRevision) {
	kintone::Session session(Config());
	long requests = 0;
	auto parents = kintone::ReadParents(session, 6, -1, "明細", {2, 6, 999}, &requests);
	EXPECT_EQ(requests, 1);
	ASSERT_EQ(parents.count(2), 1u);
	ASSERT_EQ(parents.count(6), 1u);
	EXPECT_EQ(parents.count(999), 0u); // no such record: absent
	Json before = Json::parse(parents[2].rows);
	ASSERT_EQ(before.size(), 4u);
	long long second = std::stoll(before[1]["id"].get<std::string>());
	long long third = std::stoll(before[2]["id"].get<std::string>());

	RowChanges changes("明細");
	changes.AddUpdate(2, parents[2].revision, second, R"({"数量":{"value":"7"}})", 1);
	changes.AddDelete(2, parents[2].revision, third, 2);
	changes.AddInsert(6, 0, R"({"品目":{"value":"新"}})", 3);
	kintone::Writer writer(session, 6, -1, kintone::WriteKind::kUpdate);
	writer.AddUpdate("2", changes.revision(0), changes.Record(0, parents[2].rows));
	writer.AddUpdate("6", parents[6].revision, changes.Record(1, parents[6].rows));
	writer.Flush();
	EXPECT_EQ(writer.written(), 2);

	auto after = kintone::ReadParents(session, 6, -1, "明細", {2, 6}, &requests);
	EXPECT_EQ(after[2].revision, parents[2].revision + 1);
	Json rows = Json::parse(after[2].rows);
	ASSERT_EQ(rows.size(), 3u);
	EXPECT_EQ(rows[0], before[0]); // untouched: same id, same values
	EXPECT_EQ(rows[1]["id"], before[1]["id"]);
	EXPECT_EQ(rows[1]["value"]["数量"]["value"], "7");
	EXPECT_EQ(rows[1]["value"]["品目"], before[1]["value"]["品目"]); // fields not set keep their values
	EXPECT_EQ(rows[2], before[3]);
	Json added = Json::parse(after[6].rows);
	ASSERT_EQ(added.size(), 1u);
	EXPECT_EQ(added[0]["value"]["品目"]["value"], "新");

	// The same update again with the old revision: refused, nothing written.
	kintone::Writer stale(session, 6, -1, kintone::WriteKind::kUpdate);
	stale.AddUpdate("2", parents[2].revision, changes.Record(0, parents[2].rows));
	try {
		stale.Flush();
		FAIL() << "a stale revision was accepted";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConflict) << e.what();
	}
	EXPECT_EQ(kintone::ReadParents(session, 6, -1, "明細", {2}, &requests)[2].rows, after[2].rows);
}

} // namespace
