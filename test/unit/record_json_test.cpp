// Record JSON for writes (src/kintone/record_json.hpp): which field types a statement may
// write, what each field type is sent as (text, lists, JSON; users, files, subtables), what a
// NULL becomes, the values Kintone cannot store, the records.json bodies and the reading of
// their answers. Pure functions: no emulator.
#include "kintone/record_json.hpp"

#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

using kintone::BuildRecord;
using kintone::ErrorKind;
using kintone::FieldType;
using kintone::FieldValue;
using kintone::Json;
using kintone::ValueShape;
using kintone::WriteField;
using kintone::WriteKind;

namespace {

WriteField Field(const std::string &code, FieldType type, ValueShape shape = ValueShape::kText) {
	WriteField f;
	f.code = code;
	f.type = type;
	f.shape = shape;
	f.column = "col_" + code;
	return f;
}

FieldValue Text(const char *text) {
	FieldValue v;
	v.text = text;
	return v;
}

FieldValue Null() {
	FieldValue v;
	v.is_null = true;
	return v;
}

FieldValue List(const std::vector<const char *> &elems) {
	FieldValue v;
	v.elems = elems.data();
	v.nelems = static_cast<int>(elems.size());
	return v;
}

// The record of one field holding value.
std::string One(const WriteField &field, const FieldValue &value) {
	return BuildRecord({field}, &value);
}

// The JSON value sent for one field (the record parsed back).
Json ValueOf(const WriteField &field, const FieldValue &value) {
	Json record = Json::parse(One(field, value));
	return record.at(field.code).at("value");
}

kintone::Error ErrorOf(const std::function<void()> &fn) {
	try {
		fn();
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "no error";
	return kintone::Error(ErrorKind::kInternal, "no error");
}

} // namespace

// --- which fields a statement may write (contract §6.4) ---

TEST(RecordJsonReadOnly, SystemAndComputedFieldsAreNeverWritable) {
	for (FieldType t :
	     {FieldType::kId, FieldType::kRevision, FieldType::kRecordNumber, FieldType::kCalc, FieldType::kStatus,
	      FieldType::kStatusAssignee, FieldType::kCategory, FieldType::kReferenceTable, FieldType::kGroup}) {
		EXPECT_NE(kintone::ReadOnlyReason(t, WriteKind::kInsert), nullptr) << kintone::FieldTypeName(t);
		EXPECT_NE(kintone::ReadOnlyReason(t, WriteKind::kUpdate), nullptr) << kintone::FieldTypeName(t);
	}
	EXPECT_STREQ(kintone::ReadOnlyReason(FieldType::kCalc, WriteKind::kInsert), "Kintone computes CALC fields");
}

TEST(RecordJsonReadOnly, CreatorFieldsOnlyOnInsert) {
	for (FieldType t : {FieldType::kCreator, FieldType::kModifier, FieldType::kCreatedTime, FieldType::kUpdatedTime}) {
		EXPECT_EQ(kintone::ReadOnlyReason(t, WriteKind::kInsert), nullptr);
		EXPECT_NE(kintone::ReadOnlyReason(t, WriteKind::kUpdate), nullptr);
	}
}

TEST(RecordJsonReadOnly, EditableFieldsAndDeletes) {
	for (FieldType t : {FieldType::kSingleLineText, FieldType::kNumber, FieldType::kDate, FieldType::kTime,
	                    FieldType::kDateTime, FieldType::kCheckBox, FieldType::kUserSelect, FieldType::kFile,
	                    FieldType::kSubtable, FieldType::kDropDown, FieldType::kUnknown}) {
		EXPECT_EQ(kintone::ReadOnlyReason(t, WriteKind::kInsert), nullptr);
		EXPECT_EQ(kintone::ReadOnlyReason(t, WriteKind::kUpdate), nullptr);
	}
	EXPECT_EQ(kintone::ReadOnlyReason(FieldType::kId, WriteKind::kDelete), nullptr); // deletes write no field
}

// --- NULL ---

TEST(RecordJsonNull, ScalarsAreEmptyStringsListsEmptyArrays) {
	EXPECT_EQ(ValueOf(Field("t", FieldType::kSingleLineText), Null()), "");
	EXPECT_EQ(ValueOf(Field("n", FieldType::kNumber), Null()), "");
	EXPECT_EQ(ValueOf(Field("d", FieldType::kDate), Null()), "");
	EXPECT_EQ(ValueOf(Field("dd", FieldType::kDropDown), Null()), "");
	for (FieldType t :
	     {FieldType::kCheckBox, FieldType::kMultiSelect, FieldType::kUserSelect, FieldType::kOrganizationSelect,
	      FieldType::kGroupSelect, FieldType::kFile, FieldType::kSubtable}) {
		EXPECT_EQ(ValueOf(Field("l", t, ValueShape::kJson), Null()), Json::array()) << kintone::FieldTypeName(t);
		EXPECT_EQ(ValueOf(Field("l", t, ValueShape::kText), Null()), Json::array()) << kintone::FieldTypeName(t);
	}
}

TEST(RecordJsonNull, UnknownTypeFollowsTheColumnShape) {
	EXPECT_EQ(ValueOf(Field("u", FieldType::kUnknown, ValueShape::kText), Null()), "");
	EXPECT_EQ(ValueOf(Field("u", FieldType::kUnknown, ValueShape::kList), Null()), Json::array());
	EXPECT_EQ(ValueOf(Field("u", FieldType::kUnknown, ValueShape::kJson), Null()), Json::array());
}

TEST(RecordJsonNull, CreatorAndTimesAreLeftToKintone) {
	std::vector<WriteField> fields = {Field("creator", FieldType::kCreator), Field("t", FieldType::kSingleLineText),
	                                  Field("created", FieldType::kCreatedTime),
	                                  Field("modifier", FieldType::kModifier),
	                                  Field("updated", FieldType::kUpdatedTime)};
	std::vector<FieldValue> values = {Null(), Text("x"), Null(), Null(), Null()};
	EXPECT_EQ(BuildRecord(fields, values.data()), R"({"t":{"value":"x"}})");
	values = {Null(), Null(), Null(), Null(), Null()};
	EXPECT_EQ(BuildRecord(fields, values.data()), R"({"t":{"value":""}})");
}

TEST(RecordJsonNull, OmittedValuesAreLeftOut) {
	std::vector<WriteField> fields = {Field("a", FieldType::kSingleLineText), Field("b", FieldType::kNumber)};
	std::vector<FieldValue> values = {Text("x"), Text("1")};
	values[0].omit = true;
	EXPECT_EQ(BuildRecord(fields, values.data()), R"({"b":{"value":"1"}})");
	values[0].omit = false;
	values[1].omit = true;
	EXPECT_EQ(BuildRecord(fields, values.data()), R"({"a":{"value":"x"}})");
	values[0].omit = true;
	EXPECT_EQ(BuildRecord(fields, values.data()), "{}");
}

// --- text values ---

TEST(RecordJsonText, ScalarsAreJsonStrings) {
	EXPECT_EQ(One(Field("t", FieldType::kSingleLineText), Text("a \"q\" \\ \n日本")),
	          "{\"t\":{\"value\":\"a \\\"q\\\" \\\\ \\n日本\"}}");
	EXPECT_EQ(ValueOf(Field("n", FieldType::kNumber), Text("12.50")), "12.50"); // exact decimal text
	EXPECT_EQ(ValueOf(Field("d", FieldType::kDate), Text("2026-02-03")), "2026-02-03");
	EXPECT_EQ(ValueOf(Field("u", FieldType::kUnknown), Text("x")), "x");
}

TEST(RecordJsonText, FieldCodesAreEscaped) {
	EXPECT_EQ(One(Field("会社\"名", FieldType::kSingleLineText), Text("x")), "{\"会社\\\"名\":{\"value\":\"x\"}}");
}

TEST(RecordJsonText, ListFieldsTakeOneText) {
	EXPECT_EQ(ValueOf(Field("c", FieldType::kCheckBox), Text("A")), Json::array({"A"}));
	EXPECT_EQ(ValueOf(Field("m", FieldType::kMultiSelect), Text("A")), Json::array({"A"}));
	EXPECT_EQ(ValueOf(Field("u", FieldType::kUserSelect), Text("sato")), Json::parse(R"([{"code":"sato"}])"));
	EXPECT_EQ(ValueOf(Field("o", FieldType::kOrganizationSelect), Text("dev")), Json::parse(R"([{"code":"dev"}])"));
	EXPECT_EQ(ValueOf(Field("g", FieldType::kGroupSelect), Text("admins")), Json::parse(R"([{"code":"admins"}])"));
	EXPECT_EQ(ValueOf(Field("f", FieldType::kFile), Text("key1")), Json::parse(R"([{"fileKey":"key1"}])"));
}

TEST(RecordJsonText, CreatorIsAnObjectWithACode) {
	EXPECT_EQ(ValueOf(Field("c", FieldType::kCreator), Text("sato")), Json::parse(R"({"code":"sato"})"));
	EXPECT_EQ(ValueOf(Field("m", FieldType::kModifier), Text("kato")), Json::parse(R"({"code":"kato"})"));
}

TEST(RecordJsonText, SubtableTextIsParsedAsRows) {
	EXPECT_EQ(ValueOf(Field("s", FieldType::kSubtable), Text(R"([{"item":"a"}])")),
	          Json::parse(R"([{"value":{"item":{"value":"a"}}}])"));
}

// --- lists (arrays) ---

TEST(RecordJsonList, OptionsUsersAndFiles) {
	std::vector<const char *> two = {"A", "B \"q\""};
	EXPECT_EQ(ValueOf(Field("c", FieldType::kCheckBox, ValueShape::kList), List(two)), Json::array({"A", "B \"q\""}));
	std::vector<const char *> users = {"sato", "kato"};
	EXPECT_EQ(ValueOf(Field("u", FieldType::kUserSelect, ValueShape::kList), List(users)),
	          Json::parse(R"([{"code":"sato"},{"code":"kato"}])"));
	std::vector<const char *> keys = {"k1"};
	EXPECT_EQ(ValueOf(Field("f", FieldType::kFile, ValueShape::kList), List(keys)),
	          Json::parse(R"([{"fileKey":"k1"}])"));
	std::vector<const char *> none;
	EXPECT_EQ(ValueOf(Field("c", FieldType::kCheckBox, ValueShape::kList), List(none)), Json::array());
}

// --- JSON values ---

TEST(RecordJsonJson, UsersLoseTheirNames) {
	WriteField f = Field("u", FieldType::kUserSelect, ValueShape::kJson);
	EXPECT_EQ(ValueOf(f, Text(R"([{"code":"sato","name":"Sato"},"kato"])")),
	          Json::parse(R"([{"code":"sato"},{"code":"kato"}])"));
	EXPECT_EQ(ValueOf(f, Text(R"({"code":"sato","name":"Sato"})")), Json::parse(R"([{"code":"sato"}])"));
	EXPECT_EQ(ValueOf(Field("c", FieldType::kCreator, ValueShape::kJson), Text(R"({"code":"sato","name":"Sato"})")),
	          Json::parse(R"({"code":"sato"})"));
}

TEST(RecordJsonJson, FilesKeepOnlyTheirKeys) {
	EXPECT_EQ(ValueOf(Field("f", FieldType::kFile, ValueShape::kJson),
	                  Text(R"([{"contentType":"text/plain","fileKey":"k1","name":"a.txt","size":"3"},"k2"])")),
	          Json::parse(R"([{"fileKey":"k1"},{"fileKey":"k2"}])"));
}

TEST(RecordJsonJson, SubtableRowsKeepIdsAndLoseTypes) {
	WriteField f = Field("s", FieldType::kSubtable, ValueShape::kJson);
	EXPECT_EQ(ValueOf(f, Text(R"([{"id":"368","value":{"item":{"type":"SINGLE_LINE_TEXT","value":"a"}}},
	                              {"id":null,"value":{"item":{"value":"b"}}},
	                              {"item":"c","qty":2}])")),
	          Json::parse(R"([{"id":"368","value":{"item":{"value":"a"}}},
	                          {"value":{"item":{"value":"b"}}},
	                          {"value":{"item":{"value":"c"},"qty":{"value":2}}}])"));
	EXPECT_EQ(ValueOf(f, Text("[]")), Json::array());
}

TEST(RecordJsonJson, OtherFieldsTakeTheJsonAsIs) {
	EXPECT_EQ(ValueOf(Field("t", FieldType::kSingleLineText, ValueShape::kJson), Text(R"("abc")")), "abc");
	EXPECT_EQ(ValueOf(Field("c", FieldType::kCheckBox, ValueShape::kJson), Text(R"(["A","B"])")),
	          Json::array({"A", "B"}));
}

TEST(RecordJsonJson, BadValuesNameTheColumn) {
	kintone::Error e = ErrorOf([] { One(Field("s", FieldType::kSubtable), Text("not json")); });
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
	EXPECT_EQ(e.message(), "invalid JSON in column \"col_s\"");
	EXPECT_EQ(e.detail(), "Row 1 of the statement, column \"col_s\".");
	e = ErrorOf([] {
		FieldValue v = Text("x");
		BuildRecord({Field("s", FieldType::kSubtable)}, &v, 2010);
	});
	EXPECT_EQ(e.detail(), "Row 2010 of the statement, column \"col_s\".");
	e = ErrorOf([] { One(Field("s", FieldType::kSubtable, ValueShape::kJson), Text(R"({"a":1})")); });
	EXPECT_EQ(e.message(), "column \"col_s\" must hold a JSON array of subtable rows");
	e = ErrorOf([] { One(Field("s", FieldType::kSubtable, ValueShape::kJson), Text("[1]")); });
	EXPECT_EQ(e.message(), "a subtable row of column \"col_s\" is not an object");
}

// --- values Kintone cannot store ---

TEST(RecordJsonUnstorable, NumbersThatAreNotFinite) {
	for (const char *s : {"NaN", "nan", "-NaN", "Infinity", "-Infinity", "+inf", " infinity "}) {
		EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, s), nullptr) << s;
	}
	EXPECT_STREQ(kintone::UnstorableReason(FieldType::kNumber, "NaN"), "Kintone NUMBER fields cannot store NaN");
}

TEST(RecordJsonUnstorable, NumberMagnitudes) {
	const std::string thirty(30, '9'); // 30 digits: the most any Kintone app keeps
	const std::string thirty_one = "1" + std::string(30, '0');
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, thirty), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, thirty_one), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, "-" + thirty_one), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, "1e30"), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, "1e+300"), nullptr);
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, "9.99e29"), nullptr);
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, "1e-30"), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, "1e-31"), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, "0." + std::string(30, '0') + "1"), nullptr);
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, "0." + std::string(29, '0') + "1"), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kNumber, "1e-99999999999999999999"), nullptr);
	// Long fractions of ordinary size are Kintone's to round (to the app's decimal places).
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, "0." + std::string(1000, '3')), nullptr);
}

TEST(RecordJsonUnstorable, OrdinaryNumbersAndNonNumbersPass) {
	for (const char *s : {"0", "-0", "0.000", "0e-999", "42", " 42 ", "+7", "007", ".5", "1.", "-12.345", "1.5e1",
	                      "123456789012345678901234567890.123"}) {
		EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, s), nullptr) << s;
	}
	// Not numbers at all: Kintone refuses them itself, naming the field.
	for (const char *s : {"", "abc", "1e", "1,000", "--1", "0x10"}) {
		EXPECT_EQ(kintone::UnstorableReason(FieldType::kNumber, s), nullptr) << s;
	}
}

TEST(RecordJsonUnstorable, TimesOf24Hours) {
	EXPECT_STREQ(kintone::UnstorableReason(FieldType::kTime, "24:00"),
	             "Kintone TIME fields hold the times 00:00 to 23:59");
	EXPECT_NE(kintone::UnstorableReason(FieldType::kTime, "24:00:00"), nullptr);
	EXPECT_NE(kintone::UnstorableReason(FieldType::kTime, "10:60"), nullptr);
	for (const char *s : {"00:00", "23:59", "9:30", "09:30:15", "", "noon"}) {
		EXPECT_EQ(kintone::UnstorableReason(FieldType::kTime, s), nullptr) << s;
	}
}

TEST(RecordJsonUnstorable, OtherFieldTypesTakeAnyText) {
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kSingleLineText, "NaN"), nullptr);
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kSingleLineText, "24:00"), nullptr);
	EXPECT_EQ(kintone::UnstorableReason(FieldType::kUnknown, "Infinity"), nullptr);
}

// --- records.json bodies ---

TEST(RecordJsonCallBody, InsertUpdateDelete) {
	std::vector<std::string> records = {R"({"t":{"value":"a"}})", R"({"t":{"value":"b"}})", R"({})"};
	std::vector<std::string> ids = {"1", "2", "3"};
	std::vector<long long> revisions = {5, -1, 7};
	kintone::CallRows rows;
	rows.records = &records;
	rows.ids = &ids;
	rows.revisions = &revisions;
	rows.first = 0;
	rows.count = 2;
	EXPECT_EQ(kintone::CallBody(WriteKind::kInsert, 9, rows),
	          R"({"app":9,"records":[{"t":{"value":"a"}},{"t":{"value":"b"}}]})");
	EXPECT_EQ(
	    kintone::CallBody(WriteKind::kUpdate, 9, rows),
	    R"({"app":9,"records":[{"id":"1","revision":5,"record":{"t":{"value":"a"}}},{"id":"2","record":{"t":{"value":"b"}}}]})");
	EXPECT_EQ(kintone::CallBody(WriteKind::kDelete, 9, rows), R"({"app":9,"ids":["1","2"],"revisions":[5,-1]})");
	rows.first = 1;
	rows.count = 1;
	EXPECT_EQ(kintone::CallBody(WriteKind::kDelete, 9, rows), R"({"app":9,"ids":["2"]})"); // no revision to check
}

// --- answers ---

namespace {

struct Answer {
	std::vector<std::string> records = {"{}", "{}"};
	std::vector<std::string> ids = {"11", "12"};
	std::vector<long long> revisions = {-1, -1};
	kintone::CallRows Rows() const {
		kintone::CallRows rows;
		rows.records = &records;
		rows.ids = &ids;
		rows.revisions = &revisions;
		rows.count = 2;
		return rows;
	}
	std::vector<kintone::WriteResult> Read(WriteKind kind, const char *json) const {
		std::vector<kintone::WriteResult> out;
		kintone::ReadCallAnswer(kind, Json::parse(json), Rows(),
		                        "POST /k/v1/records.json with rows 1 to 2 of the statement", &out);
		return out;
	}
};

} // namespace

TEST(RecordJsonAnswer, InsertAnswersGiveIdsAndRevisions) {
	Answer a;
	auto out = a.Read(WriteKind::kInsert, R"({"ids":["92","93"],"revisions":["1",1]})");
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].id, "92");
	EXPECT_EQ(out[0].revision, "1");
	EXPECT_EQ(out[1].id, "93");
	EXPECT_EQ(out[1].revision, "1");
}

TEST(RecordJsonAnswer, UpdateAnswersGiveRevisionsOfTheSentIds) {
	Answer a;
	auto out = a.Read(WriteKind::kUpdate, R"({"records":[{"id":"11","revision":"4"},{"id":"12","revision":"9"}]})");
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[1].id, "12");
	EXPECT_EQ(out[1].revision, "9");
	out = a.Read(WriteKind::kDelete, "{}");
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(out[0].id, "11");
}

TEST(RecordJsonAnswer, MissingMembersAreProtocolErrorsNamingTheRequest) {
	Answer a;
	struct Case {
		WriteKind kind;
		const char *json;
		const char *message;
	};
	const Case cases[] = {
	    {WriteKind::kInsert, R"({"revisions":["1","1"]})", "Kintone's answer to a write lacks \"ids\""},
	    {WriteKind::kInsert, R"({"ids":["1","2"]})", "Kintone's answer to a write lacks \"revisions\""},
	    {WriteKind::kInsert, R"({"ids":["1"],"revisions":["1","1"]})",
	     "Kintone's answer to a write does not list one id per record in \"ids\""},
	    {WriteKind::kInsert, R"({"ids":["1",null],"revisions":["1","1"]})",
	     "Kintone's answer to a write has a malformed id at \"ids\"[1]"},
	    {WriteKind::kInsert, R"({"ids":["1","2"],"revisions":{}})",
	     "Kintone's answer to a write does not list one revision per record in \"revisions\""},
	    {WriteKind::kUpdate, "{}", "Kintone's answer to a write lacks \"records\""},
	    {WriteKind::kUpdate, R"({"records":[{"id":"11","revision":"2"},{"id":"12"}]})",
	     "Kintone's answer to a write has no revision at \"records\"[1]"},
	    {WriteKind::kUpdate, R"({"records":[{"revision":"2"},{"id":"12","revision":"2"}]})",
	     "Kintone's answer to a write has no id at \"records\"[0]"},
	    {WriteKind::kDelete, "[]", "Kintone's answer to a write is not a JSON object"},
	};
	for (const auto &c : cases) {
		kintone::Error e = ErrorOf([&] { a.Read(c.kind, c.json); });
		EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << c.json;
		EXPECT_EQ(e.message(), c.message) << c.json;
		EXPECT_NE(e.detail().find("POST /k/v1/records.json with rows 1 to 2 of the statement"), std::string::npos)
		    << e.detail();
	}
}

TEST(RecordJsonAnswer, BulkAnswersNeedOneResultPerCall) {
	Json ok = Json::parse(R"({"results":[{}, {}]})");
	EXPECT_EQ(kintone::BulkResults(ok, 2, "POST /k/v1/bulkRequest.json").size(), 2u);
	kintone::Error e = ErrorOf([] { kintone::BulkResults(Json::parse("{}"), 2, "POST /k/v1/bulkRequest.json"); });
	EXPECT_EQ(e.kind(), ErrorKind::kProtocol);
	EXPECT_EQ(e.message(), "Kintone's answer to a write lacks \"results\"");
	EXPECT_NE(e.detail().find("POST /k/v1/bulkRequest.json"), std::string::npos);
	e = ErrorOf([&] { kintone::BulkResults(ok, 3, "POST /k/v1/bulkRequest.json"); });
	EXPECT_EQ(e.message(), "Kintone's answer to a write does not list one result per call in \"results\"");
}
