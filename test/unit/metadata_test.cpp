// Comments and app metadata against the emulator's sample data: comment pages of 10 (oldest
// first, no duplicates), posting with mentions, deleting; apps.json filters, spaces, fields of
// an app (form order, subtable members, options in display order), views, process statuses
// and actions as rows; the schema-drift comparison.
#include "emulator_fixture.hpp"

#include "kintone/comments.hpp"
#include "kintone/error.hpp"
#include "kintone/metadata.hpp"
#include "kintone/session.hpp"

#include <gtest/gtest.h>

#include <functional>

using kintone::Json;
using kintone::ObjectKind;
using kintone::Session;
using kintone::SessionConfig;

namespace {

kintone_test::Emulator *emulator = nullptr;

class MetadataTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = new kintone_test::Emulator(); }
	static void TearDownTestSuite() {
		delete emulator;
		emulator = nullptr;
	}
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }
	static SessionConfig Config(const std::string &user = "Administrator") {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		config.credentials.username = user;
		config.credentials.password = user == "Administrator" ? "admin-pass" : user + "-pass";
		return config;
	}
	static std::vector<std::string> Column(const std::vector<Json> &rows, const char *name) {
		std::vector<std::string> out;
		for (const auto &r : rows) {
			out.push_back(r[name].is_string() ? r[name].get<std::string>() : r[name].dump());
		}
		return out;
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

TEST(ObjectKindTest, NamesAndAttributes) {
	EXPECT_EQ(kintone::ObjectKindFromName("comments"), ObjectKind::kComments);
	EXPECT_STREQ(kintone::ObjectKindName(ObjectKind::kStatuses), "statuses");
	auto e = ErrorOf([] { kintone::ObjectKindFromName("app"); });
	EXPECT_EQ(e.kind(), kintone::ErrorKind::kInvalidOptionValue);
	EXPECT_NE(e.hint().find("apps, spaces, fields"), std::string::npos);
	ASSERT_NE(kintone::FindObjectAttr(ObjectKind::kApps, "space_id"), nullptr);
	EXPECT_TRUE(kintone::FindObjectAttr(ObjectKind::kApps, "space_id")->key);
	EXPECT_EQ(kintone::FindObjectAttr(ObjectKind::kApps, "app"), nullptr);
	EXPECT_TRUE(kintone::FindObjectAttr(ObjectKind::kComments, "text")->writable);
	EXPECT_EQ(kintone::MetadataKinds().size(), 7u);
}

TEST_F(MetadataTest, CommentsPagedOldestFirst) {
	Session session(Config("sato"));
	auto seeded = kintone::ListComments(session, 7, 3, -1);
	ASSERT_EQ(seeded.size(), 3u);
	EXPECT_EQ(seeded[0].creator_code, "sato");
	EXPECT_EQ(seeded[0].mentions.size(), 1u);
	EXPECT_EQ(seeded[0].mentions[0].type, "GROUP");
	EXPECT_EQ(seeded[2].text, "追記しました。\n参加者: 4名");

	std::vector<long long> ids;
	for (int i = 0; i < 22; ++i) {
		ids.push_back(kintone::AddComment(session, 7, 5, -1, "c" + std::to_string(i), {}));
	}
	long requests = 0;
	auto all = kintone::ListComments(session, 7, 5, -1, &requests);
	ASSERT_EQ(all.size(), 22u);
	EXPECT_EQ(requests, 3);
	for (size_t i = 0; i < all.size(); ++i) {
		EXPECT_EQ(all[i].id, ids[i]);
		EXPECT_EQ(all[i].text, "c" + std::to_string(i));
		EXPECT_EQ(all[i].creator_code, "sato");
	}
	// Exactly 10: one page says there is nothing newer.
	requests = 0;
	for (int i = 0; i < 10; ++i) {
		kintone::AddComment(session, 7, 8, -1, "x", {});
	}
	EXPECT_EQ(kintone::ListComments(session, 7, 8, -1, &requests).size(), 10u);
	EXPECT_EQ(requests, 1);
	EXPECT_TRUE(kintone::ListComments(session, 7, 9, -1).empty());
}

TEST_F(MetadataTest, PostWithMentionsAndDelete) {
	Session session(Config("sato"));
	auto mentions = kintone::ParseMentions(Json::parse(R"(["tanaka", {"code": "managers", "type": "GROUP"}])"));
	long long id = kintone::AddComment(session, 7, 4, -1, "ご確認ください", mentions);
	auto list = kintone::ListComments(session, 7, 4, -1);
	ASSERT_EQ(list.size(), 1u);
	EXPECT_EQ(list[0].id, id);
	EXPECT_NE(list[0].text.find("ご確認ください"), std::string::npos);
	ASSERT_EQ(list[0].mentions.size(), 2u);
	EXPECT_EQ(list[0].mentions[1].code, "managers");
	kintone::DeleteComment(session, 7, 4, -1, id);
	EXPECT_TRUE(kintone::ListComments(session, 7, 4, -1).empty());
	auto gone = ErrorOf([&] { kintone::DeleteComment(session, 7, 4, -1, id); });
	EXPECT_EQ(gone.code(), "GAIA_RE02");
	// Someone else's comment.
	auto other = ErrorOf([&] { kintone::DeleteComment(session, 7, 2, -1, 1); });
	EXPECT_EQ(other.kind(), kintone::ErrorKind::kPermission);
	// Checked before sending.
	EXPECT_EQ(ErrorOf([&] { kintone::AddComment(session, 7, 4, -1, "", {}); }).kind(),
	          kintone::ErrorKind::kInvalidRequest);
	std::vector<kintone::CommentMention> eleven(11, {"sato", "USER"});
	EXPECT_NE(ErrorOf([&] { kintone::AddComment(session, 7, 4, -1, "x", eleven); }).message().find("at most 10"),
	          std::string::npos);
}

TEST(CommentParseTest, MentionsAndPages) {
	EXPECT_TRUE(kintone::ParseMentions(Json(nullptr)).empty());
	EXPECT_THROW(kintone::ParseMentions(Json::parse(R"({"code": "x"})")), kintone::Error);
	EXPECT_THROW(kintone::ParseMentions(Json::parse(R"([{"code": "x", "type": "ROLE"}])")), kintone::Error);
	EXPECT_THROW(kintone::ParseMentions(Json::parse(R"([{"code": "x", "extra": 1}])")), kintone::Error);
	EXPECT_THROW(kintone::ParseMentions(Json::parse(R"([""])")), kintone::Error);
	auto m = kintone::ParseMentions(Json::parse(R"([{"code": "sales", "type": "ORGANIZATION"}, {"code": "sato"}])"));
	EXPECT_EQ(m[0].type, "ORGANIZATION");
	EXPECT_EQ(m[1].type, "USER");

	EXPECT_THROW(kintone::ParseCommentPage(Json::parse(R"({"comments": [{"id": "x", "text": "a"}]})")), kintone::Error);
	EXPECT_THROW(kintone::ParseCommentPage(Json::parse(R"({"comments": [{"id": "1"}]})")), kintone::Error);
	EXPECT_THROW(kintone::ParseCommentPage(Json::parse(R"({"older": false})")), kintone::Error);
	Json eleven = {{"comments", Json::array()}};
	for (int i = 1; i <= 11; ++i) {
		eleven["comments"].push_back({{"id", std::to_string(i)}, {"text", "t"}});
	}
	EXPECT_THROW(kintone::ParseCommentPage(eleven), kintone::Error);
	auto page = kintone::ParseCommentPage(Json::parse(R"({"comments": [], "older": true, "newer": false})"));
	EXPECT_TRUE(page.older);
	EXPECT_FALSE(page.newer);
}

TEST_F(MetadataTest, CommentsNeedAppAndRecord) {
	Session session(Config());
	auto e = ErrorOf([&] { kintone::FetchObjects(session, ObjectKind::kComments, -1, {{"app", {"7"}}}); });
	EXPECT_NE(e.message().find("only for a given app and record"), std::string::npos);
	auto f = kintone::FetchObjects(session, ObjectKind::kComments, -1, {{"app", {"7"}}, {"record_id", {"3", "2"}}});
	EXPECT_EQ(f.rows.size(), 5u);
	EXPECT_EQ(f.rows[0]["record_id"], 2); // record ids in ascending order
	EXPECT_EQ(f.requests, 2);
}

TEST_F(MetadataTest, AppsWithKintoneFilters) {
	Session session(Config());
	auto all = kintone::FetchObjects(session, ObjectKind::kApps, -1, {});
	EXPECT_EQ(Column(all.rows, "id"), (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7"}));
	EXPECT_EQ(all.requests, 1);
	const Json &expense = all.rows[6];
	EXPECT_EQ(expense["code"], "EXPENSE");
	EXPECT_EQ(expense["space_id"], 3);
	EXPECT_EQ(expense["creator_code"], "Administrator");
	EXPECT_EQ(expense["created_at"], "2026-01-01T00:00:00.000Z");
	EXPECT_TRUE(all.rows[0]["space_id"].is_null());

	auto by_space = kintone::FetchObjects(session, ObjectKind::kApps, -1, {{"space_id", {"3"}}});
	EXPECT_EQ(Column(by_space.rows, "id"), (std::vector<std::string>{"6", "7"}));
	auto by_code = kintone::FetchObjects(session, ObjectKind::kApps, -1, {{"code", {"ORDERS", "HR"}}});
	EXPECT_EQ(Column(by_code.rows, "id"), (std::vector<std::string>{"2", "5"}));
	auto by_ids = kintone::FetchObjects(session, ObjectKind::kApps, -1, {{"id", {"4", "1"}}, {"space_id", {"1"}}});
	EXPECT_TRUE(by_ids.rows.empty()); // Kintone ANDs the filters
	auto by_name = kintone::FetchObjects(session, ObjectKind::kApps, -1, {{"name", {"管理"}}});
	EXPECT_EQ(Column(by_name.rows, "id"), (std::vector<std::string>{"1", "2", "4"})); // a part match: a superset
	EXPECT_TRUE(kintone::FetchObjects(session, ObjectKind::kApps, -1, {{"id", {}}}).rows.empty());
	EXPECT_EQ(kintone::FetchObjects(session, ObjectKind::kApps, -1, {{"id", {}}}).requests, 0);
}

TEST_F(MetadataTest, SpacesByIdAndThroughApps) {
	Session session(Config());
	auto one = kintone::FetchObjects(session, ObjectKind::kSpaces, -1, {{"id", {"3"}}});
	ASSERT_EQ(one.rows.size(), 1u);
	EXPECT_EQ(one.rows[0]["name"], "購買・経費スペース");
	EXPECT_EQ(one.rows[0]["attached_apps"], Json::parse("[6, 7]"));
	EXPECT_EQ(one.rows[0]["member_count"], 4);
	EXPECT_EQ(one.rows[0]["is_guest"], false);
	auto all = kintone::FetchObjects(session, ObjectKind::kSpaces, -1, {});
	EXPECT_EQ(Column(all.rows, "id"), (std::vector<std::string>{"1", "2", "3"}));
	EXPECT_EQ(all.rows[1]["is_guest"], true); // read through its guest path
	auto hidden = kintone::FetchObjects(session, ObjectKind::kSpaces, -1, {{"id", {"42"}}});
	EXPECT_TRUE(hidden.rows.empty());
	ASSERT_EQ(hidden.notices.size(), 1u);
	EXPECT_NE(hidden.notices[0].find("space 42"), std::string::npos);
}

TEST_F(MetadataTest, FieldsViewsStatusesActions) {
	Session session(Config());
	auto fields = kintone::FetchObjects(session, ObjectKind::kFields, -1, {{"app", {"6"}}});
	std::vector<std::string> inner;
	for (const auto &r : fields.rows) {
		if (r["subtable"] == "明細") {
			inner.push_back(r["code"].get<std::string>());
		}
	}
	EXPECT_EQ(inner, (std::vector<std::string>{"品目", "数量", "単価", "小計", "仕様書"}));
	for (const auto &r : fields.rows) {
		if (r["code"] == "伝票番号") {
			EXPECT_EQ(r["required"], true);
			EXPECT_EQ(r["unique"], true);
			EXPECT_EQ(r["type"], "SINGLE_LINE_TEXT");
		}
	}
	auto expense = kintone::FetchObjects(session, ObjectKind::kFields, -1, {{"app", {"7"}}});
	for (const auto &r : expense.rows) {
		if (r["code"] == "区分") {
			EXPECT_EQ(r["options"], Json::parse(R"(["交通費", "接待費", "備品", "出張"])"));
		}
		if (r["code"] == "ステータス") {
			EXPECT_EQ(r["enabled"], true);
		}
	}

	auto views = kintone::FetchObjects(session, ObjectKind::kViews, -1, {{"app", {"7"}}});
	ASSERT_EQ(views.rows.size(), 2u);
	EXPECT_EQ(views.rows[0]["name"], "すべての申請");
	EXPECT_EQ(views.rows[1]["filter_cond"], "ステータス in (\"承認待ち\")");
	EXPECT_EQ(views.rows[1]["fields"], Json::parse(R"(["申請番号", "件名", "金額", "承認者"])"));

	auto statuses = kintone::FetchObjects(session, ObjectKind::kStatuses, -1, {{"app", {"7"}}});
	EXPECT_EQ(Column(statuses.rows, "name"), (std::vector<std::string>{"未処理", "処理中", "承認待ち", "完了"}));
	EXPECT_EQ(statuses.rows[2]["assignee_type"], "ALL");
	EXPECT_EQ(statuses.rows[2]["assignees"][0]["code"], "承認者");
	auto actions = kintone::FetchObjects(session, ObjectKind::kActions, -1, {{"app", {"7"}}});
	ASSERT_EQ(actions.rows.size(), 6u);
	EXPECT_EQ(actions.rows[4]["type"], "SECONDARY");
	EXPECT_EQ(actions.rows[4]["executable_users"][0]["code"], "managers");
	EXPECT_EQ(actions.rows[1]["filter_cond"], "金額 >= 10000");

	Session john(Config("john"));
	auto english = kintone::FetchObjects(john, ObjectKind::kActions, -1, {{"app", {"7"}}});
	EXPECT_EQ(english.rows[0]["name"], "Start");
	EXPECT_EQ(english.rows[0]["default_name"], "処理開始");
	EXPECT_EQ(english.rows[0]["from_status"], "未処理");

	// Without an app: every app the user can reach (apps.json, then one read per app).
	auto every = kintone::FetchObjects(session, ObjectKind::kStatuses, -1, {});
	// App 3 is in guest space 2: its first try answers GAIA_IL23, then its guest path.
	EXPECT_EQ(every.requests, 1 + 7 * 2 + 1);
	EXPECT_EQ(every.rows.size(), 4u);
	auto guest = kintone::FetchObjects(session, ObjectKind::kFields, -1, {{"app", {"3"}}});
	EXPECT_FALSE(guest.rows.empty());
	EXPECT_EQ(guest.requests, 3); // refused, apps.json for its space, then the guest path
}

TEST(DriftTest, ComparesColumnsWithTheForm) {
	std::string form = R"({"revision": "3", "properties": {
	  "title": {"type": "SINGLE_LINE_TEXT", "code": "title", "label": "Title"},
	  "n": {"type": "SINGLE_LINE_TEXT", "code": "n", "label": "n"},
	  "d": {"type": "DATE", "code": "d", "label": "d"},
	  "c": {"type": "CALC", "code": "c", "label": "c", "format": "NUMBER"},
	  "added": {"type": "NUMBER", "code": "added", "label": "added"},
	  "ステータス": {"type": "STATUS", "code": "ステータス", "label": "ステータス", "enabled": false},
	  "t": {"type": "SUBTABLE", "code": "t", "fields": {"moved": {"type": "NUMBER", "code": "moved"}}}}})";
	std::vector<kintone::DriftColumn> columns = {
	    {"$id", "$id", "__ID__", "bigint"},      {"title", "title", "SINGLE_LINE_TEXT", "text"},
	    {"n", "n", "NUMBER", "numeric"},         {"d", "d", "", "timestamp with time zone"},
	    {"c", "c", "", "numeric(10,2)"},         {"gone", "gone", "DATE", "date"},
	    {"moved", "moved", "NUMBER", "numeric"}, {"ステータス", "ステータス", "STATUS", "text"},
	    {"t", "t", "SUBTABLE", "jsonb"},
	};
	auto rows = kintone::CompareWithForm(columns, form);
	std::vector<std::string> got;
	for (const auto &r : rows) {
		got.push_back(r.change + ":" + r.field_code + ":" + r.field_type);
	}
	EXPECT_EQ(got, (std::vector<std::string>{"type changed:n:SINGLE_LINE_TEXT", "type changed:d:DATE",
	                                         "missing field:gone:", "missing field:moved:NUMBER",
	                                         "field disabled:ステータス:STATUS", "new field:added:NUMBER"}));
	EXPECT_NE(rows[3].detail.find("inside subtable \"t\""), std::string::npos);
}

TEST(DriftTest, ColumnTypesThatHoldAField) {
	EXPECT_TRUE(kintone::ColumnTypeHolds("text", "NUMBER", ""));
	EXPECT_TRUE(kintone::ColumnTypeHolds("jsonb", "SUBTABLE", ""));
	EXPECT_TRUE(kintone::ColumnTypeHolds("text[]", "CHECK_BOX", ""));
	EXPECT_FALSE(kintone::ColumnTypeHolds("text[]", "NUMBER", ""));
	EXPECT_FALSE(kintone::ColumnTypeHolds("numeric", "CHECK_BOX", ""));
	EXPECT_TRUE(kintone::ColumnTypeHolds("interval", "CALC", "HOUR_MINUTE"));
	EXPECT_FALSE(kintone::ColumnTypeHolds("numeric", "CALC", "DATE"));
	EXPECT_TRUE(kintone::ColumnTypeHolds("character varying(20)", "DATE", ""));
	EXPECT_TRUE(kintone::ColumnTypeHolds("timestamp with time zone", "UPDATED_TIME", ""));
	EXPECT_TRUE(kintone::ColumnTypeHolds("my_domain", "NUMBER", ""));
}

} // namespace
