// RecordReader on literal pages: every field type's real shape (contract §6.1), escapes and
// unicode, missing fields, nulls and empties, totalCount/next, malformed input, buffer reuse,
// and the parse time of a realistic 500-record page.
#include "kintone/error.hpp"
#include "kintone/record_reader.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using kintone::ColumnRequest;
using kintone::ErrorKind;
using kintone::RecordReader;
using Shape = kintone::ColumnRequest::Shape;

namespace {

std::string Text(const RecordReader &reader, size_t row, size_t column) {
	const auto &cell = reader.cell(row, column);
	return cell.is_null ? "<NULL>" : std::string(cell.text);
}

std::vector<std::string> Elements(const RecordReader &reader, size_t row, size_t column) {
	const auto &cell = reader.cell(row, column);
	std::vector<std::string> out;
	if (cell.is_null) {
		out.push_back("<NULL>");
		return out;
	}
	for (size_t i = 0; i < cell.element_count; ++i) {
		out.emplace_back(reader.element(cell.first_element + i));
	}
	return out;
}

kintone::Error ParseError(RecordReader &reader, const std::string &page) {
	try {
		reader.Parse(page);
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "expected a kintone::Error for " << page;
	return kintone::Error(ErrorKind::kInternal, "none");
}

// One record with every field type as Kintone sends it (contract §6.1).
const char *kAllTypesPage = R"({"records":[{
 "$id":{"type":"__ID__","value":"14"},
 "$revision":{"type":"__REVISION__","value":"3"},
 "レコード番号":{"type":"RECORD_NUMBER","value":"APP-14"},
 "作成者":{"type":"CREATOR","value":{"code":"sato","name":"Noboru Sato"}},
 "更新者":{"type":"MODIFIER","value":{"code":"suzuki","name":"鈴木 一郎"}},
 "作成日時":{"type":"CREATED_TIME","value":"2026-04-23T14:11:00Z"},
 "更新日時":{"type":"UPDATED_TIME","value":"2026-04-24T09:00:00Z"},
 "文字列":{"type":"SINGLE_LINE_TEXT","value":"abc"},
 "複数行":{"type":"MULTI_LINE_TEXT","value":"line1\nline2"},
 "リッチ":{"type":"RICH_TEXT","value":"<div>太字 <b>bold</b></div>"},
 "リンク":{"type":"LINK","value":"https://example.com/?a=1&b=2"},
 "数値":{"type":"NUMBER","value":"20"},
 "計算":{"type":"CALC","value":"-1.5"},
 "チェック":{"type":"CHECK_BOX","value":["A","B"]},
 "ラジオ":{"type":"RADIO_BUTTON","value":"A"},
 "ドロップ":{"type":"DROP_DOWN","value":null},
 "複数選択":{"type":"MULTI_SELECT","value":[]},
 "日付":{"type":"DATE","value":"2012-01-11"},
 "時刻":{"type":"TIME","value":"11:30"},
 "日時":{"type":"DATETIME","value":"2012-01-11T11:30:00Z"},
 "ユーザー":{"type":"USER_SELECT","value":[{"code":"sato","name":"佐藤"},{"code":"john","name":"John"}]},
 "組織":{"type":"ORGANIZATION_SELECT","value":[{"code":"sales","name":"営業部"}]},
 "グループ":{"type":"GROUP_SELECT","value":[]},
 "添付":{"type":"FILE","value":[{"contentType":"text/plain","fileKey":"k1","name":"a.txt","size":"23175"}]},
 "表":{"type":"SUBTABLE","value":[{"id":"368","value":{"氏名":{"type":"SINGLE_LINE_TEXT","value":"x"}}}]},
 "カテゴリー":{"type":"CATEGORY","value":["cat1"]},
 "ステータス":{"type":"STATUS","value":"未処理"},
 "作業者":{"type":"STATUS_ASSIGNEE","value":[{"code":"sato","name":"佐藤"}]}
}],"totalCount":"123"})";

} // namespace

TEST(RecordReader, EveryFieldTypeShape) {
	RecordReader reader({{"$id"},
	                     {"$revision"},
	                     {"レコード番号"},
	                     {"作成者"},
	                     {"更新者"},
	                     {"作成日時"},
	                     {"更新日時"},
	                     {"文字列"},
	                     {"複数行"},
	                     {"リッチ"},
	                     {"リンク"},
	                     {"数値"},
	                     {"計算"},
	                     {"チェック", Shape::kStringArray},
	                     {"ラジオ"},
	                     {"ドロップ"},
	                     {"複数選択", Shape::kStringArray},
	                     {"日付"},
	                     {"時刻"},
	                     {"日時"},
	                     {"ユーザー", Shape::kStringArray},
	                     {"組織", Shape::kStringArray},
	                     {"グループ", Shape::kStringArray},
	                     {"添付", Shape::kJson},
	                     {"表", Shape::kJson},
	                     {"カテゴリー", Shape::kStringArray},
	                     {"ステータス"},
	                     {"作業者", Shape::kStringArray}});
	reader.Parse(kAllTypesPage);
	ASSERT_EQ(reader.rows(), 1u);
	EXPECT_EQ(Text(reader, 0, 0), "14");
	EXPECT_EQ(Text(reader, 0, 1), "3");
	EXPECT_EQ(Text(reader, 0, 2), "APP-14");
	EXPECT_EQ(Text(reader, 0, 3), "sato");
	EXPECT_EQ(Text(reader, 0, 4), "suzuki");
	EXPECT_EQ(Text(reader, 0, 5), "2026-04-23T14:11:00Z");
	EXPECT_EQ(Text(reader, 0, 6), "2026-04-24T09:00:00Z");
	EXPECT_EQ(Text(reader, 0, 7), "abc");
	EXPECT_EQ(Text(reader, 0, 8), "line1\nline2");
	EXPECT_EQ(Text(reader, 0, 9), "<div>太字 <b>bold</b></div>");
	EXPECT_EQ(Text(reader, 0, 10), "https://example.com/?a=1&b=2");
	EXPECT_EQ(Text(reader, 0, 11), "20");
	EXPECT_EQ(Text(reader, 0, 12), "-1.5");
	EXPECT_EQ(Elements(reader, 0, 13), (std::vector<std::string>{"A", "B"}));
	EXPECT_EQ(Text(reader, 0, 14), "A");
	EXPECT_EQ(Text(reader, 0, 15), "<NULL>");
	EXPECT_TRUE(Elements(reader, 0, 16).empty()); // [] is an empty array, not NULL
	EXPECT_EQ(Text(reader, 0, 17), "2012-01-11");
	EXPECT_EQ(Text(reader, 0, 18), "11:30");
	EXPECT_EQ(Text(reader, 0, 19), "2012-01-11T11:30:00Z");
	EXPECT_EQ(Elements(reader, 0, 20), (std::vector<std::string>{"sato", "john"}));
	EXPECT_EQ(Elements(reader, 0, 21), (std::vector<std::string>{"sales"}));
	EXPECT_TRUE(Elements(reader, 0, 22).empty());
	EXPECT_EQ(Text(reader, 0, 23), R"([{"contentType":"text/plain","fileKey":"k1","name":"a.txt","size":"23175"}])");
	EXPECT_EQ(Text(reader, 0, 24), R"([{"id":"368","value":{"氏名":{"type":"SINGLE_LINE_TEXT","value":"x"}}}])");
	EXPECT_EQ(Elements(reader, 0, 25), (std::vector<std::string>{"cat1"}));
	EXPECT_EQ(Text(reader, 0, 26), "未処理");
	EXPECT_EQ(Elements(reader, 0, 27), (std::vector<std::string>{"sato"}));
	EXPECT_EQ(reader.last_id(), 14);
	EXPECT_EQ(reader.total_count(), 123);
	EXPECT_FALSE(reader.next().has_value());
}

TEST(RecordReader, EscapesAndUnicode) {
	RecordReader reader({{"text"}, {"顧客"}, {"tags", Shape::kStringArray}, {"j", Shape::kJson}});
	reader.Parse(R"({"records":[{
	  "text":{"type":"SINGLE_LINE_TEXT","value":"q\"uote\\ back\/slash\n\t\r \u00e9\u3042 \ud83d\ude00 日本語"},
	  "\u9867\u5ba2":{"type":"SINGLE_LINE_TEXT","value":"escaped key"},
	  "tags":{"type":"CHECK_BOX","value":["a\"b","\u65e5"]},
	  "j":{"type":"MULTI_LINE_TEXT","value":"x\ny"}
	}]})");
	ASSERT_EQ(reader.rows(), 1u);
	EXPECT_EQ(Text(reader, 0, 0), "q\"uote\\ back/slash\n\t\r \xC3\xA9\xE3\x81\x82 \xF0\x9F\x98\x80 日本語");
	EXPECT_EQ(Text(reader, 0, 1), "escaped key");
	EXPECT_EQ(Elements(reader, 0, 2), (std::vector<std::string>{"a\"b", "日"}));
	EXPECT_EQ(Text(reader, 0, 3), R"("x\ny")"); // jsonb gets the JSON text
}

TEST(RecordReader, MissingNullAndEmptyValues) {
	RecordReader reader({{"$id"},
	                     {"s"},
	                     {"arr", Shape::kStringArray},
	                     {"j", Shape::kJson},
	                     {"absent"},
	                     {"absent_arr", Shape::kStringArray}});
	reader.Parse(R"({"records":[
	  {"$id":{"type":"__ID__","value":"3"},"s":{"type":"SINGLE_LINE_TEXT","value":""},
	   "arr":{"type":"CHECK_BOX","value":[]},"j":{"type":"DATE","value":null}},
	  {"$id":{"type":"__ID__","value":"2"},"s":{"type":"DROP_DOWN","value":null},
	   "arr":{"type":"CHECK_BOX","value":null},"j":{"type":"SINGLE_LINE_TEXT","value":""}},
	  {"$id":{"type":"__ID__","value":"1"},"s":{"type":"CALC"},"unrequested":{"type":"NUMBER","value":"1"}}
	],"totalCount":null})");
	ASSERT_EQ(reader.rows(), 3u);
	EXPECT_EQ(Text(reader, 0, 1), "<NULL>"); // "" is NULL for a scalar
	EXPECT_FALSE(reader.cell(0, 2).is_null);
	EXPECT_EQ(reader.cell(0, 2).element_count, 0u);
	EXPECT_EQ(Text(reader, 0, 3), "<NULL>"); // JSON null
	EXPECT_EQ(Text(reader, 1, 1), "<NULL>");
	EXPECT_EQ(Elements(reader, 1, 2), (std::vector<std::string>{"<NULL>"}));
	EXPECT_EQ(Text(reader, 1, 3), R"("")");
	// A field object without "value", a field missing from the record.
	EXPECT_EQ(Text(reader, 2, 1), "<NULL>");
	EXPECT_EQ(Text(reader, 2, 2), "<NULL>");
	for (size_t row = 0; row < 3; ++row) {
		EXPECT_EQ(Text(reader, row, 4), "<NULL>");
		EXPECT_EQ(Text(reader, row, 5), "<NULL>");
	}
	EXPECT_EQ(reader.last_id(), 1);
	EXPECT_FALSE(reader.total_count().has_value());
	// A field carried by a record (null, empty or without "value") is present; one no record of
	// the page carries is not (Kintone leaves out codes it does not know).
	EXPECT_TRUE(reader.present(0));
	EXPECT_TRUE(reader.present(1));
	EXPECT_TRUE(reader.present(3));
	EXPECT_FALSE(reader.present(4));
	EXPECT_FALSE(reader.present(5));
	reader.Parse(R"({"records":[]})");
	EXPECT_FALSE(reader.present(0));
}

TEST(RecordReader, BareNumbersBooleansAndSingleValuesForArrays) {
	RecordReader reader({{"n"}, {"b"}, {"arr_of_string", Shape::kStringArray}, {"list_as_text"}, {"nj", Shape::kJson}});
	reader.Parse(R"({"records":[{"n":{"type":"NUMBER","value": -12.5e3 },"b":{"type":"X","value":true},
	  "arr_of_string":{"type":"RADIO_BUTTON","value":"A"},"list_as_text":{"type":"CHECK_BOX","value":["x", "y"]},
	  "nj":{"type":"NUMBER","value":42 }}]})");
	EXPECT_EQ(Text(reader, 0, 0), "-12.5e3");
	EXPECT_EQ(Text(reader, 0, 1), "true");
	EXPECT_EQ(Elements(reader, 0, 2), (std::vector<std::string>{"A"}));
	EXPECT_EQ(Text(reader, 0, 3), R"(["x", "y"])");
	EXPECT_EQ(Text(reader, 0, 4), "42");
}

TEST(RecordReader, TotalCountAndNext) {
	RecordReader reader({{"$id"}});
	reader.Parse(R"({"records":[],"totalCount":"1234"})");
	EXPECT_EQ(reader.rows(), 0u);
	EXPECT_EQ(reader.total_count(), 1234);
	EXPECT_EQ(reader.last_id(), -1);
	reader.Parse(R"({"totalCount":99,"records":[]})");
	EXPECT_EQ(reader.total_count(), 99);
	reader.Parse(R"({"records":[],"totalCount":null})");
	EXPECT_FALSE(reader.total_count().has_value());
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"7"}}],"next":true})");
	EXPECT_EQ(reader.next(), true);
	EXPECT_EQ(reader.last_id(), 7);
	reader.Parse(R"({"records":[],"next":false})");
	EXPECT_EQ(reader.next(), false);
	reader.Parse(R"({"records":[]})");
	EXPECT_FALSE(reader.next().has_value());
	EXPECT_FALSE(reader.total_count().has_value());
}

TEST(RecordReader, LastIdNeedsTheIdColumn) {
	RecordReader reader({{"name"}});
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"7"},"name":{"type":"X","value":"n"}}]})");
	EXPECT_EQ(reader.rows(), 1u);
	EXPECT_EQ(reader.last_id(), -1);
}

TEST(RecordReader, SameFieldInSeveralColumns) {
	RecordReader same({{"tags", Shape::kStringArray}, {"tags", Shape::kStringArray}});
	same.Parse(R"({"records":[{"tags":{"type":"CHECK_BOX","value":["a","b"]}}]})");
	EXPECT_EQ(Elements(same, 0, 0), (std::vector<std::string>{"a", "b"}));
	EXPECT_EQ(Elements(same, 0, 1), (std::vector<std::string>{"a", "b"}));

	RecordReader mixed({{"u", Shape::kStringArray}, {"u", Shape::kJson}, {"u"}, {"s"}, {"s", Shape::kJson}});
	mixed.Parse(R"({"records":[{"u":{"type":"USER_SELECT","value":[{"code":"sato","name":"佐藤"}]},
	  "s":{"type":"SINGLE_LINE_TEXT","value":"a\"b"}},{"u":{"type":"USER_SELECT","value":null}}]})");
	ASSERT_EQ(mixed.rows(), 2u);
	EXPECT_EQ(Elements(mixed, 0, 0), (std::vector<std::string>{"sato"}));
	EXPECT_EQ(Text(mixed, 0, 1), R"([{"code":"sato","name":"佐藤"}])");
	EXPECT_EQ(Text(mixed, 0, 2), R"([{"code":"sato","name":"佐藤"}])"); // a list read as text: its JSON
	EXPECT_EQ(Text(mixed, 0, 3), "a\"b");
	EXPECT_EQ(Text(mixed, 0, 4), R"("a\"b")");
	EXPECT_EQ(Text(mixed, 1, 0), "<NULL>");
	EXPECT_EQ(Text(mixed, 1, 1), "<NULL>");
	EXPECT_EQ(Text(mixed, 1, 3), "<NULL>");
}

TEST(RecordReader, FieldOrderMayChangeBetweenRecords) {
	RecordReader reader({{"a"}, {"b"}, {"$id"}});
	reader.Parse(R"({"records":[
	  {"a":{"type":"X","value":"a1"},"x":{"type":"X","value":"-"},"b":{"type":"X","value":"b1"},"$id":{"type":"__ID__","value":"2"}},
	  {"b":{"type":"X","value":"b2"},"a":{"type":"X","value":"a2"},"$id":{"type":"__ID__","value":"1"}},
	  {"x":{"type":"X","value":"-"},"$id":{"type":"__ID__","value":"0"},"ab":{"type":"X","value":"no"},"a":{"type":"X","value":"a3"}}
	]})");
	ASSERT_EQ(reader.rows(), 3u);
	EXPECT_EQ(Text(reader, 0, 0), "a1");
	EXPECT_EQ(Text(reader, 0, 1), "b1");
	EXPECT_EQ(Text(reader, 1, 0), "a2");
	EXPECT_EQ(Text(reader, 1, 1), "b2");
	EXPECT_EQ(Text(reader, 2, 0), "a3");
	EXPECT_EQ(Text(reader, 2, 1), "<NULL>");
	EXPECT_EQ(Text(reader, 2, 2), "0");
}

TEST(RecordReader, BuffersAreReusedAcrossPages) {
	RecordReader reader({{"$id"}, {"s"}, {"tags", Shape::kStringArray}});
	std::string big = R"({"records":[)";
	for (int i = 300; i >= 1; --i) {
		big += (i == 300 ? "" : ",") + std::string(R"({"$id":{"type":"__ID__","value":")") + std::to_string(i) +
		       R"("},"s":{"type":"X","value":"v)" + std::to_string(i) + R"("},"tags":{"type":"CHECK_BOX","value":["t)" +
		       std::to_string(i) + R"("]}})";
	}
	big += "]}";
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"1"},"s":{"type":"X","value":"small"}}]})");
	EXPECT_EQ(Text(reader, 0, 1), "small");
	reader.Parse(big);
	ASSERT_EQ(reader.rows(), 300u);
	EXPECT_EQ(Text(reader, 0, 1), "v300");
	EXPECT_EQ(Elements(reader, 299, 2), (std::vector<std::string>{"t1"}));
	EXPECT_EQ(reader.last_id(), 1);
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"5"},"s":{"type":"X","value":"again"}}]})");
	ASSERT_EQ(reader.rows(), 1u);
	EXPECT_EQ(Text(reader, 0, 1), "again");
	EXPECT_EQ(Text(reader, 0, 2), "<NULL>");
	reader.Truncate(0);
	EXPECT_EQ(reader.rows(), 0u);
	EXPECT_EQ(reader.last_id(), -1);
}

TEST(RecordReader, TruncateKeepsTheFirstRows) {
	RecordReader reader({{"$id"}});
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"9"}},{"$id":{"type":"__ID__","value":"8"}},
	  {"$id":{"type":"__ID__","value":"7"}}],"next":true})");
	reader.Truncate(2);
	EXPECT_EQ(reader.rows(), 2u);
	EXPECT_EQ(reader.last_id(), 8);
	reader.Truncate(5);
	EXPECT_EQ(reader.rows(), 2u);
}

TEST(RecordReader, MalformedPagesAreProtocolErrors) {
	RecordReader reader({{"$id"}, {"s"}});
	const char *pages[] = {
	    "",
	    "not json",
	    R"({"records":[{"$id":{"type":"__ID__","value":"1"}})",            // truncated
	    R"({"records":[1,2]})",                                            // a record that is not an object
	    R"({"records":["x"]})",                                            // idem
	    R"({"records":{"a":1}})",                                          // records not an array
	    R"([1,2,3])",                                                      // not an object
	    R"({"records":[{"s":"bare string"}]})",                            // field not {"type","value"}
	    R"({"records":[],"totalCount":"12x"})",                            // bad totalCount
	    R"({"records":[],"totalCount":true})",                             // bad totalCount
	    R"({"records":[],"next":"yes"})",                                  // bad next
	    R"({"records":[]} trailing)",                                      // trailing content
	    "{\"records\":[{\"s\":{\"type\":\"X\",\"value\":\"\xff\xfe\"}}]}", // invalid UTF-8
	    R"({"records":[{"s":{"type":"X","value":"unterminated}}]})",
	};
	for (const char *page : pages) {
		auto e = ParseError(reader, page);
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << page;
		EXPECT_EQ(e.message(), "Kintone returned a malformed records page") << page;
		EXPECT_FALSE(e.detail().empty()) << page;
		EXPECT_EQ(reader.rows(), 0u) << page;
	}
	// The reader is usable after an error.
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"4"}}]})");
	EXPECT_EQ(reader.rows(), 1u);
	EXPECT_EQ(reader.last_id(), 4);
}

// ---- speed -------------------------------------------------------------------------------

namespace {

// A records.json page of a 20-field app as Kintone sends it: Japanese text, escapes, numbers
// as strings, lists, users, a two-row subtable, system fields.
std::string RealisticPage(int records) {
	static const char *kCompanies[] = {"株式会社サイボウズ商事", "有限会社\\\"引用\\\"工業", "Acme Corporation",
	                                   "東京データ株式会社", "合同会社みらい"};
	std::string page = "{\"records\":[";
	for (int i = records; i >= 1; --i) {
		std::string id = std::to_string(i);
		if (i != records) {
			page += ',';
		}
		page += "{\"顧客ID\":{\"type\":\"SINGLE_LINE_TEXT\",\"value\":\"C" + id + "\"},";
		page += "\"会社名\":{\"type\":\"SINGLE_LINE_TEXT\",\"value\":\"" + std::string(kCompanies[i % 5]) + "\"},";
		page += "\"email\":{\"type\":\"LINK\",\"value\":\"info" + id + "@example.com\"},";
		page += "\"備考\":{\"type\":\"MULTI_LINE_TEXT\",\"value\":\"一行目\\n二行目 \\u00e9t\\u00e9\\ttab\"},";
		page += "\"従業員数\":{\"type\":\"NUMBER\",\"value\":\"" + std::to_string(i * 7 % 1000) + "\"},";
		page += "\"売上\":{\"type\":\"NUMBER\",\"value\":\"" + std::to_string(i * 13) + ".5\"},";
		page += "\"一人当たり売上\":{\"type\":\"CALC\",\"value\":\"55.5667\"},";
		page += "\"タグ\":{\"type\":\"CHECK_BOX\",\"value\":[\"新規\",\"要フォロー\"]},";
		page += "\"ランク\":{\"type\":\"RADIO_BUTTON\",\"value\":\"B\"},";
		page += std::string("\"業種\":{\"type\":\"DROP_DOWN\",\"value\":") + (i % 3 ? "\"小売\"" : "null") + "},";
		page += "\"契約日\":{\"type\":\"DATE\",\"value\":\"2025-06-04\"},";
		page += "\"最終訪問\":{\"type\":\"DATETIME\",\"value\":\"2026-02-02T05:13:00Z\"},";
		page += "\"担当者\":{\"type\":\"USER_SELECT\",\"value\":[{\"code\":\"tanaka\",\"name\":\"田中 花子\"},"
		        "{\"code\":\"sato\",\"name\":\"佐藤 昇\"}]},";
		page += "\"連絡先\":{\"type\":\"SUBTABLE\",\"value\":[{\"id\":\"" + id +
		        "1\",\"value\":{\"氏名\":{\"type\":\"SINGLE_LINE_TEXT\",\"value\":\"鈴木 花子\"},"
		        "\"年齢\":{\"type\":\"NUMBER\",\"value\":\"28\"}}},{\"id\":\"" +
		        id +
		        "2\",\"value\":{\"氏名\":{\"type\":\"SINGLE_LINE_TEXT\",\"value\":\"John Smith\"},"
		        "\"年齢\":{\"type\":\"NUMBER\",\"value\":\"\"}}}]},";
		page += "\"レコード番号\":{\"type\":\"RECORD_NUMBER\",\"value\":\"" + id + "\"},";
		page += "\"作成者\":{\"type\":\"CREATOR\",\"value\":{\"code\":\"tanaka\",\"name\":\"田中 花子\"}},";
		page += "\"更新者\":{\"type\":\"MODIFIER\",\"value\":{\"code\":\"john\",\"name\":\"John Smith\"}},";
		page += "\"作成日時\":{\"type\":\"CREATED_TIME\",\"value\":\"2025-02-02T01:07:00Z\"},";
		page += "\"更新日時\":{\"type\":\"UPDATED_TIME\",\"value\":\"2026-02-02T01:07:00Z\"},";
		page += "\"$id\":{\"type\":\"__ID__\",\"value\":\"" + id + "\"},";
		page += "\"$revision\":{\"type\":\"__REVISION__\",\"value\":\"2\"}}";
	}
	page += "],\"totalCount\":null}";
	return page;
}

std::vector<ColumnRequest> RealisticColumns() {
	return {{"$id"},
	        {"$revision"},
	        {"顧客ID"},
	        {"会社名"},
	        {"email"},
	        {"備考"},
	        {"従業員数"},
	        {"売上"},
	        {"一人当たり売上"},
	        {"タグ", Shape::kStringArray},
	        {"ランク"},
	        {"業種"},
	        {"契約日"},
	        {"最終訪問"},
	        {"担当者", Shape::kStringArray},
	        {"連絡先", Shape::kJson},
	        {"作成者"},
	        {"更新者"},
	        {"作成日時"},
	        {"更新日時"}};
}

} // namespace

TEST(RecordReaderSpeed, FiveHundredRecordPage) {
	std::string page = RealisticPage(500);
	RecordReader reader(RealisticColumns());
	reader.Parse(page);
	ASSERT_EQ(reader.rows(), 500u);
	EXPECT_EQ(Text(reader, 0, 0), "500");
	EXPECT_EQ(Text(reader, 0, 3), "株式会社サイボウズ商事");
	EXPECT_EQ(Text(reader, 4, 3), "有限会社\"引用\"工業"); // record 496
	EXPECT_EQ(Text(reader, 0, 5), "一行目\n二行目 été\ttab");
	EXPECT_EQ(Elements(reader, 0, 14), (std::vector<std::string>{"tanaka", "sato"}));
	EXPECT_EQ(Text(reader, 497, 11), "<NULL>"); // record 3: 業種 null
	EXPECT_EQ(Text(reader, 499, 11), "小売");
	EXPECT_EQ(Text(reader, 0, 16), "tanaka");
	EXPECT_EQ(reader.last_id(), 1);

	using Clock = std::chrono::steady_clock;
	double best = 1e18;
	double total = 0;
	const int kRounds = 200;
	for (int i = 0; i < kRounds; ++i) {
		auto start = Clock::now();
		reader.Parse(page);
		double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
		best = std::min(best, us);
		total += us;
	}
	std::printf("[ perf     ] 500-record page of a 20-field app, %zu bytes: best %.0f us, mean %.0f us per page "
	            "(%.0f MB/s at best)\n",
	            page.size(), best, total / kRounds, page.size() / best);
	// A generous bound that only catches an accidental per-cell allocation or quadratic walk.
	EXPECT_LT(best, 20000.0);
}

// The pager's quick look at a seek page (PeekSeekPage) agrees with the real parse.
#include "kintone/pager.hpp"

TEST(PeekSeekPage, CountsRecordsAndFindsTheLastId) {
	size_t count = 0;
	long long last = 0;
	std::string page =
	    R"({"records":[{"$id":{"type":"__ID__","value":"7"},"t":{"type":"SINGLE_LINE_TEXT","value":"\"$id\":{\"value\":\"99\"}"}},)"
	    R"({"t":{"type":"SINGLE_LINE_TEXT","value":"$id"},"$id":{"value":"12","type":"__ID__"}}],"totalCount":null})";
	ASSERT_TRUE(kintone::PeekSeekPage(page, &count, &last));
	EXPECT_EQ(count, 2u);
	EXPECT_EQ(last, 12);
	ASSERT_TRUE(kintone::PeekSeekPage(R"({"records":[],"totalCount":null})", &count, &last));
	EXPECT_EQ(count, 0u);
	EXPECT_EQ(last, -1);
	EXPECT_FALSE(kintone::PeekSeekPage(R"({"records":[{"$id":{"type":"__ID__","value":"x"}}]})", &count, &last));
	EXPECT_FALSE(kintone::PeekSeekPage(R"({"records":[{"$id":{"type":"__ID__"}}]})", &count, &last));
	// More digits than a record id has: no answer, and no overflow (found by fuzz/record_reader_fuzz.cpp).
	EXPECT_FALSE(kintone::PeekSeekPage(R"({"records":[{"$id":{"type":"__ID__","value":"66666666666666666666666"}}]})",
	                                   &count, &last));
}

// ---- answers checked before they become rows (issue 11) ------------------------------------

TEST(RecordReaderValidation, APageWithoutRecordsIsAnError) {
	// Before: read as an empty page, which ended a scan with rows missing.
	RecordReader reader({{"$id"}});
	for (const char *page : {R"({})", R"({"totalCount":"5"})", R"({"id":"1","revision":"1"})", R"({"next":false})",
	                         R"({"records":null})", R"({"records":{}})", R"([])", R"("records")"}) {
		auto e = ParseError(reader, page);
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << page;
	}
}

TEST(RecordReaderValidation, IdsMustBeRecordIds) {
	RecordReader reader({{"$id"}, {"s"}});
	for (const char *id : {R"("12345678901234567890123")", R"("-1")", R"("1e3")", R"("")", R"(null)", R"("1 ")"}) {
		std::string page = std::string(R"({"records":[{"$id":{"type":"__ID__","value":)") + id + "}}]}";
		auto e = ParseError(reader, page);
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << id;
	}
	// A record without "$id" when it was asked for.
	EXPECT_EQ(ParseError(reader, R"({"records":[{"s":{"type":"X","value":"a"}}]})").kind(), ErrorKind::kProtocol);
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"999999999999999999"}}]})");
	EXPECT_EQ(reader.last_id(), 999999999999999999LL);
}

TEST(RecordReaderValidation, SeekPagesMustIncreasePastTheFloor) {
	RecordReader reader({{"$id"}});
	reader.set_id_floor(500);
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"501"}},{"$id":{"type":"__ID__","value":"900"}}]})");
	EXPECT_EQ(reader.last_id(), 900);
	auto e = ParseError(reader, R"({"records":[{"$id":{"type":"__ID__","value":"500"}}]})");
	EXPECT_NE(e.detail().find("$id 500 after 500"), std::string::npos) << e.detail();
	e = ParseError(reader,
	               R"({"records":[{"$id":{"type":"__ID__","value":"601"}},{"$id":{"type":"__ID__","value":"601"}}]})");
	EXPECT_NE(e.detail().find("$id 601 after 601"), std::string::npos) << e.detail();
	reader.set_id_floor(-1); // other pages: any order
	reader.Parse(R"({"records":[{"$id":{"type":"__ID__","value":"7"}},{"$id":{"type":"__ID__","value":"3"}}]})");
	EXPECT_EQ(reader.rows(), 2u);
}

TEST(RecordReaderValidation, NoStringWithUPlus0000) {
	// Before: a text value with an embedded NUL (PostgreSQL text cannot hold one).
	RecordReader reader({{"s"}, {"tags", Shape::kStringArray}, {"j", Shape::kJson}, {"u"}});
	const char *pages[] = {
	    R"({"records":[{"s":{"type":"SINGLE_LINE_TEXT","value":"a\u0000b"}}]})",
	    R"({"records":[{"tags":{"type":"CHECK_BOX","value":["ok","\u0000"]}}]})",
	    R"({"records":[{"j":{"type":"SUBTABLE","value":[{"value":{"x":{"value":"\\\u0000"}}}]}}]})",
	    R"({"records":[{"u":{"type":"CREATOR","value":{"code":"s\u0000to","name":"x"}}}]})",
	};
	for (const char *page : pages) {
		auto e = ParseError(reader, page);
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << page;
		EXPECT_NE(e.detail().find("U+0000"), std::string::npos) << e.detail();
	}
	// The text "\u0000" (an escaped backslash before "u0000") is fine.
	reader.Parse(R"({"records":[{"s":{"type":"SINGLE_LINE_TEXT","value":"\\u0000"}},)"
	             R"({"j":{"type":"X","value":"\\u0000"}}]})");
	EXPECT_EQ(Text(reader, 0, 0), "\\u0000");
	EXPECT_EQ(Text(reader, 1, 2), R"("\\u0000")");
}

TEST(RecordReaderValidation, ValuesOfTheWrongJsonKind) {
	// Before: an object in a text field read as NULL.
	RecordReader reader({{"s"}, {"tags", Shape::kStringArray}, {"j", Shape::kJson}});
	const char *pages[] = {
	    R"({"records":[{"s":{"type":"SINGLE_LINE_TEXT","value":{"a":1}}}]})",
	    R"({"records":[{"s":{"type":"SINGLE_LINE_TEXT","value":{"code":"looks like a user"}}}]})",
	    R"({"records":[{"s":{"type":"NUMBER","value":["1"]}}]})",
	    R"({"records":[{"s":{"type":"CREATOR","value":{"name":"no code"}}}]})",
	    R"({"records":[{"s":{"type":"CREATOR","value":"sato"}}]})",
	    R"({"records":[{"tags":{"type":"CHECK_BOX","value":"a"}}]})",
	    R"({"records":[{"tags":{"type":"USER_SELECT","value":[{"name":"no code"}]}}]})",
	    R"({"records":[{"j":{"type":"SUBTABLE","value":{"not":"a list"}}}]})",
	    R"({"records":[{"j":{"value":{"a":1},"type":"DATE"}}]})",    // "type" after "value"
	    R"({"records":[{"s":{"type":"X","value":{"no":"code"}}}]})", // an unknown type, an object without code
	};
	for (const char *page : pages) {
		auto e = ParseError(reader, page);
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << page;
	}
	// Unknown types are read as they come; user objects with codes are fine.
	reader.Parse(R"({"records":[{"s":{"type":"NEW_TYPE","value":["x"]},"j":{"type":"NEW_TYPE","value":{"k":1}},)"
	             R"("tags":{"type":"USER_SELECT","value":[{"code":"sato","name":"佐藤"}]}}]})");
	EXPECT_EQ(Text(reader, 0, 0), R"(["x"])");
	EXPECT_EQ(Elements(reader, 0, 1), (std::vector<std::string>{"sato"}));
	EXPECT_EQ(Text(reader, 0, 2), R"({"k":1})");
}

TEST(RecordReaderValidation, CountsAndFlags) {
	// Before: a negative totalCount became count(*) = -5.
	RecordReader reader({{"$id"}});
	for (const char *page :
	     {R"({"records":[],"totalCount":-5})", R"({"records":[],"totalCount":"-5"})",
	      R"({"records":[],"totalCount":"5x"})", R"({"records":[],"totalCount":1.5})",
	      R"({"records":[],"totalCount":true})", R"({"records":[],"next":"true"})", R"({"records":[],"next":1})"}) {
		EXPECT_EQ(ParseError(reader, page).kind(), ErrorKind::kProtocol) << page;
	}
}

TEST(RecordReaderValidation, HostileDocuments) {
	RecordReader reader({{"$id"}, {"s"}, {"j", Shape::kJson}});
	std::string deep =
	    R"({"records":[{"j":{"type":"SUBTABLE","value":)" + std::string(5000, '[') + std::string(5000, ']') + "}}]}";
	std::string bad_utf8 = std::string(R"({"records":[{"s":{"type":"X","value":")") + "\xff\xfe" + R"("}}]})";
	std::string raw_control = std::string(R"({"records":[{"s":{"type":"X","value":"a)") + '\x01' + R"("}}]})";
	std::string nul_byte = std::string(R"({"records":[{"s":{"type":"X","value":"a)") + '\0' + R"("}}]})";
	for (const std::string &page : {deep, bad_utf8, raw_control, nul_byte, std::string(R"({"records":[)"),
	                                std::string(R"({"records":[]}{"records":[]})"), std::string()}) {
		EXPECT_EQ(ParseError(reader, page).kind(), ErrorKind::kProtocol) << page.substr(0, 60);
	}
}
