// Schema against the real emulator: field type names, form fields in response order with
// options, subtables, lookups, CALC formats and feature flags; app.json; apps.json paging.
#include "emulator_fixture.hpp"
#include "kintone/error.hpp"
#include "kintone/schema.hpp"

#include <fstream>
#include <sstream>

using kintone::ErrorKind;
using kintone::FieldType;
using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;

namespace {

kintone_test::Emulator *emulator = nullptr;

class SchemaTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = &kintone_test::SharedEmulator(); }
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }
	static Json Control(const std::string &method, const std::string &path, const std::string &body) {
		return kintone_test::Control(*emulator, method, path, body);
	}
	static long Requests(const std::string &key) {
		Json stats = Control("GET", "/_emulator/stats", "");
		return stats["requests"].value(key, 0L);
	}
	static SessionConfig Config() {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		return config;
	}
	static Session Admin() {
		auto config = Config();
		config.credentials.username = "Administrator";
		config.credentials.password = "admin-pass";
		return Session(config);
	}
	static Session Token(const std::string &token) {
		auto config = Config();
		config.credentials.api_tokens = {token};
		return Session(config);
	}
};

std::vector<std::string> Codes(const std::vector<kintone::FieldInfo> &fields) {
	std::vector<std::string> out;
	for (const auto &field : fields) {
		out.push_back(field.code);
	}
	return out;
}

} // namespace

TEST(FieldTypeName, EveryContractTypeRoundTrips) {
	const char *names[] = {"__ID__",
	                       "__REVISION__",
	                       "RECORD_NUMBER",
	                       "CREATOR",
	                       "MODIFIER",
	                       "CREATED_TIME",
	                       "UPDATED_TIME",
	                       "SINGLE_LINE_TEXT",
	                       "MULTI_LINE_TEXT",
	                       "RICH_TEXT",
	                       "LINK",
	                       "NUMBER",
	                       "CALC",
	                       "CHECK_BOX",
	                       "RADIO_BUTTON",
	                       "DROP_DOWN",
	                       "MULTI_SELECT",
	                       "DATE",
	                       "TIME",
	                       "DATETIME",
	                       "USER_SELECT",
	                       "ORGANIZATION_SELECT",
	                       "GROUP_SELECT",
	                       "FILE",
	                       "SUBTABLE",
	                       "CATEGORY",
	                       "STATUS",
	                       "STATUS_ASSIGNEE",
	                       "REFERENCE_TABLE",
	                       "GROUP"};
	for (const char *name : names) {
		FieldType type = kintone::FieldTypeFromName(name);
		EXPECT_NE(type, FieldType::kUnknown) << name;
		EXPECT_STREQ(kintone::FieldTypeName(type), name);
	}
	EXPECT_EQ(kintone::FieldTypeFromName("__ID__"), FieldType::kId);
	EXPECT_EQ(kintone::FieldTypeFromName("SINGLE_LINE_TEXT"), FieldType::kSingleLineText);
	EXPECT_EQ(kintone::FieldTypeFromName("LABEL"), FieldType::kUnknown);
	EXPECT_EQ(kintone::FieldTypeFromName("single_line_text"), FieldType::kUnknown);
	EXPECT_EQ(kintone::FieldTypeFromName(""), FieldType::kUnknown);
}

TEST_F(SchemaTest, FormFieldsInResponseOrder) {
	Session session = Token("app1viewtoken");
	kintone::FormInfo form = kintone::FetchForm(session, 1);
	EXPECT_EQ(Codes(form.fields),
	          (std::vector<std::string>{"顧客ID",   "会社名",   "email",          "url",          "備考",      "詳細",
	                                    "従業員数", "売上",     "一人当たり売上", "タグ",         "ランク",    "業種",
	                                    "対応言語", "契約日",   "連絡時刻",       "最終訪問",     "担当者",    "部署",
	                                    "グループ", "添付",     "連絡先",         "レコード番号", "作成者",    "更新者",
	                                    "作成日時", "更新日時", "ステータス",     "作業者",       "カテゴリー"}));
	EXPECT_EQ(form.revision, "1");
	EXPECT_EQ(Requests("GET /k/v1/app/form/fields.json"), 1);

	const auto *id = form.Find("顧客ID");
	ASSERT_NE(id, nullptr);
	EXPECT_EQ(id->type, FieldType::kSingleLineText);
	EXPECT_TRUE(id->required);
	EXPECT_TRUE(id->unique);
	EXPECT_FALSE(id->lookup);
	EXPECT_EQ(id->subtable, "");

	const auto *email = form.Find("email");
	ASSERT_NE(email, nullptr);
	EXPECT_EQ(email->type, FieldType::kLink);
	EXPECT_EQ(email->label, "メールアドレス");
	EXPECT_FALSE(email->required);

	const auto *calc = form.Find("一人当たり売上");
	ASSERT_NE(calc, nullptr);
	EXPECT_EQ(calc->type, FieldType::kCalc);
	EXPECT_EQ(calc->calc_format, "NUMBER");

	const auto *tags = form.Find("タグ");
	ASSERT_NE(tags, nullptr);
	EXPECT_EQ(tags->type, FieldType::kCheckBox);
	EXPECT_EQ(tags->options, (std::vector<std::string>{"VIP", "新規", "休眠", "要フォロー"}));
	EXPECT_EQ(form.Find("業種")->options, (std::vector<std::string>{"製造", "小売", "IT", "金融", "その他"}));

	const auto *table = form.Find("連絡先");
	ASSERT_NE(table, nullptr);
	EXPECT_EQ(table->type, FieldType::kSubtable);
	EXPECT_EQ(Codes(table->fields),
	          (std::vector<std::string>{"氏名", "役職", "年齢", "誕生日", "連絡手段", "最終連絡", "メモ"}));
	for (const auto &inner : table->fields) {
		EXPECT_EQ(inner.subtable, "連絡先") << inner.code;
	}
	const auto *role = form.Find("役職"); // an inner field
	ASSERT_NE(role, nullptr);
	EXPECT_EQ(role->type, FieldType::kDropDown);
	EXPECT_EQ(role->subtable, "連絡先");
	EXPECT_EQ(role->options, (std::vector<std::string>{"部長", "課長", "担当"}));

	EXPECT_EQ(form.Find("レコード番号")->type, FieldType::kRecordNumber);
	EXPECT_EQ(form.Find("作成者")->type, FieldType::kCreator);
	EXPECT_EQ(form.Find("更新日時")->type, FieldType::kUpdatedTime);
	const auto *status = form.Find("ステータス");
	ASSERT_NE(status, nullptr);
	EXPECT_EQ(status->type, FieldType::kStatus);
	EXPECT_FALSE(status->enabled);
	EXPECT_FALSE(form.Find("作業者")->enabled);
	EXPECT_FALSE(form.Find("カテゴリー")->enabled);
	EXPECT_TRUE(form.Find("会社名")->enabled); // not a feature field
	EXPECT_EQ(form.Find("$id"), nullptr);
	EXPECT_EQ(form.Find("nosuchfield"), nullptr);
}

TEST_F(SchemaTest, LookupFields) {
	Session session = Admin();
	kintone::FormInfo form = kintone::FetchForm(session, 4);
	const auto *key = form.Find("顧客ID");
	ASSERT_NE(key, nullptr);
	EXPECT_TRUE(key->lookup);
	EXPECT_EQ(key->type, FieldType::kSingleLineText);
	// Copy-to fields are plain fields, marked with the lookup that fills them.
	ASSERT_NE(form.Find("会社名"), nullptr);
	EXPECT_FALSE(form.Find("会社名")->lookup);
	EXPECT_EQ(key->lookup_copies, (std::vector<std::string>{"会社名", "業種"}));
	EXPECT_EQ(form.Find("会社名")->copied_by, "顧客ID");
	EXPECT_EQ(form.Find("業種")->copied_by, "顧客ID");
	EXPECT_EQ(form.Find("内容")->copied_by, "");
	EXPECT_EQ(key->copied_by, "");
}

TEST_F(SchemaTest, GuestSpaceForm) {
	Session session = Admin();
	auto e = [&] {
		try {
			kintone::FetchForm(session, 3);
		} catch (const kintone::Error &error) {
			return error;
		}
		return kintone::Error(ErrorKind::kInternal, "no error");
	}();
	EXPECT_EQ(e.code(), "GAIA_IL23");
	kintone::FormInfo form = kintone::FetchForm(session, 3, 2);
	EXPECT_FALSE(form.fields.empty());
	EXPECT_EQ(Requests("GET /k/guest/2/v1/app/form/fields.json"), 1);
}

// Shapes the emulator does not produce itself, served through a canned response: keys that are
// not in alphabetical order, options whose index order differs from their key order, and the
// "true"/"false" strings of Kintone's documentation samples.
TEST_F(SchemaTest, DocumentationSampleShapes) {
	// Built as text: nlohmann::json would sort the keys.
	std::string body = R"({"properties":{
	   "zeta":{"type":"RADIO_BUTTON","code":"zeta","label":"Z","noLabel":false,"required":"true",
	           "options":{"x":{"label":"x","index":"2"},"y":{"label":"y","index":"10"},"z":{"label":"z","index":"0"}}},
	   "alpha":{"type":"NUMBER","code":"alpha","label":"A","lookup":{"relatedApp":{"app":"1","code":""},
	            "relatedKeyField":"顧客ID","fieldMappings":[]}},
	   "ステータス":{"type":"STATUS","code":"ステータス","label":"ステータス","enabled":"true"},
	   "カテゴリー":{"type":"CATEGORY","code":"カテゴリー","label":"カテゴリー","enabled":"false"},
	   "作業者":{"type":"STATUS_ASSIGNEE","code":"作業者","label":"作業者","enabled":true},
	   "mid":{"type":"CALC","code":"mid","label":"M","format":"DATETIME"},
	   "ref":{"type":"REFERENCE_TABLE","code":"ref","label":"R"},
	   "grp":{"type":"GROUP","code":"grp","label":"G"},
	   "odd":{"type":"SOMETHING_NEW","code":"odd","label":"O"}
	 },"revision":"7"})";
	Control("POST", "/_emulator/faults",
	        R"({"match":"form/fields\\.json","status":200,"count":1,"body":)" + body + "}");
	Session session = Admin();
	kintone::FormInfo form = kintone::FetchForm(session, 1);
	EXPECT_EQ(Codes(form.fields), (std::vector<std::string>{"zeta", "alpha", "ステータス", "カテゴリー", "作業者",
	                                                        "mid", "ref", "grp", "odd"}));
	EXPECT_EQ(form.revision, "7");
	EXPECT_EQ(form.fields[0].options, (std::vector<std::string>{"z", "x", "y"})); // index 0, 2, 10 (numeric)
	EXPECT_TRUE(form.fields[0].required);
	EXPECT_TRUE(form.fields[1].lookup);
	EXPECT_EQ(form.fields[1].type, FieldType::kNumber);
	EXPECT_TRUE(form.fields[2].enabled);
	EXPECT_FALSE(form.fields[3].enabled);
	EXPECT_TRUE(form.fields[4].enabled);
	EXPECT_EQ(form.fields[5].calc_format, "DATETIME");
	EXPECT_EQ(form.fields[6].type, FieldType::kReferenceTable);
	EXPECT_EQ(form.fields[7].type, FieldType::kGroup);
	EXPECT_EQ(form.fields[8].type, FieldType::kUnknown);
}

TEST_F(SchemaTest, MalformedFormIsAProtocolError) {
	Control("POST", "/_emulator/faults", R"({"match":"form/fields\\.json","status":200,"body":{"revision":"1"}})");
	Session session = Admin();
	try {
		kintone::FetchForm(session, 1);
		ADD_FAILURE() << "expected an error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol);
	}
}

TEST_F(SchemaTest, FetchApp) {
	Session session = Admin();
	kintone::AppInfo app1 = kintone::FetchApp(session, 1);
	EXPECT_EQ(app1.id, 1);
	EXPECT_EQ(app1.name, "顧客管理");
	EXPECT_EQ(app1.code, "");
	EXPECT_EQ(app1.description, "全フィールドタイプを含む顧客アプリ");
	EXPECT_EQ(app1.space_id, 0); // "spaceId": null
	EXPECT_EQ(app1.thread_id, 0);
	kintone::AppInfo app2 = kintone::FetchApp(session, 2);
	EXPECT_EQ(app2.code, "ORDERS");
	EXPECT_EQ(app2.space_id, 1);
	EXPECT_EQ(app2.thread_id, 1);
	kintone::AppInfo guest = kintone::FetchApp(session, 3, 2);
	EXPECT_EQ(guest.id, 3);
	EXPECT_EQ(guest.space_id, 2);
	try {
		kintone::FetchApp(session, 99999);
		ADD_FAILURE() << "expected an error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
		EXPECT_EQ(e.code(), "GAIA_AP01");
	}
}

TEST_F(SchemaTest, ListAppsOnePage) {
	Session session = Admin();
	auto apps = kintone::ListApps(session);
	ASSERT_EQ(apps.size(), 7u);
	EXPECT_EQ(apps[0].id, 1);
	EXPECT_EQ(apps[1].code, "ORDERS");
	EXPECT_EQ(apps[2].space_id, 2);
	EXPECT_EQ(Requests("GET /k/v1/apps.json"), 1);
}

TEST_F(SchemaTest, ListAppsPagesByHundred) {
	std::ifstream in(KINTONE_SOURCE_DIR "/test/emulator/sample-data.json");
	std::stringstream text;
	text << in.rdbuf();
	Json seed = Json::parse(text.str());
	for (int id = 8; id <= 205; ++id) { // the sample seed has apps 1..7
		seed["apps"].push_back({{"id", id}, {"name", "App " + std::to_string(id)}});
	}
	Control("POST", "/_emulator/seed", seed.dump());
	Control("POST", "/_emulator/stats/reset", "{}");
	Session session = Admin();
	auto apps = kintone::ListApps(session);
	ASSERT_EQ(apps.size(), 205u);
	for (size_t i = 0; i < apps.size(); ++i) {
		EXPECT_EQ(apps[i].id, static_cast<long long>(i + 1));
	}
	EXPECT_EQ(apps[204].name, "App 205");
	EXPECT_EQ(Requests("GET /k/v1/apps.json"), 3);
}

TEST_F(SchemaTest, ListAppsRefusesApiTokens) {
	Session session = Token("app1viewtoken");
	try {
		kintone::ListApps(session);
		ADD_FAILURE() << "expected an error";
	} catch (const kintone::Error &e) {
		EXPECT_NE(e.kind(), ErrorKind::kProtocol);
		EXPECT_FALSE(e.code().empty());
	}
}
