// HttpClient against the real emulator over loopback: statuses, bodies, headers, methods,
// transport errors and cancellation.
#include "emulator_fixture.hpp"
#include "kintone/error.hpp"
#include "kintone/http_client.hpp"

#include <nlohmann/json.hpp>

using kintone::ErrorKind;
using kintone::HttpClient;
using kintone::HttpRequest;

namespace {

kintone_test::Emulator *emulator = nullptr;

class HttpClientTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = new kintone_test::Emulator(); }
	static void TearDownTestSuite() {
		delete emulator;
		emulator = nullptr;
	}
	void SetUp() override {
		ASSERT_FALSE(emulator->url().empty()) << "the emulator did not start";
		HttpClient control;
		HttpRequest reset{"POST", emulator->url() + "/_emulator/reset", {}, "{}"};
		ASSERT_EQ(control.Perform(reset).status, 200);
		HttpRequest faults{"DELETE", emulator->url() + "/_emulator/faults", {}, ""};
		ASSERT_EQ(control.Perform(faults).status, 200);
	}
	std::string Url(const std::string &path) const { return emulator->url() + path; }
};

bool AbortAlways(void *) {
	return true;
}

} // namespace

TEST_F(HttpClientTest, GetWithQueryStringAndTokenHeader) {
	HttpClient client;
	HttpRequest request{"GET", Url("/k/v1/record.json?app=1&id=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""};
	auto &response = client.Perform(request);
	ASSERT_EQ(response.status, 200) << response.body;
	EXPECT_NE(response.content_type.find("application/json"), std::string::npos);
	EXPECT_EQ(response.Header("x-concurrencylimit-limit"), "100");
	auto doc = nlohmann::json::parse(response.body);
	EXPECT_EQ(doc["record"]["$id"]["value"], "1");
	EXPECT_EQ(client.stats().requests, 1);
	EXPECT_EQ(client.stats().bytes_received, static_cast<long long>(response.body.size()));
}

TEST_F(HttpClientTest, GetWithJsonBodyKeepsItsMethod) {
	HttpClient client;
	HttpRequest request{"GET",
	                    Url("/k/v1/records.json"),
	                    {{"X-Cybozu-API-Token", "app1viewtoken"}, {"Content-Type", "application/json"}},
	                    R"({"app":1,"query":"$id <= 3 order by $id asc","fields":["$id"]})"};
	auto &response = client.Perform(request);
	ASSERT_EQ(response.status, 200) << response.body;
	auto doc = nlohmann::json::parse(response.body);
	ASSERT_EQ(doc["records"].size(), 3u);
	EXPECT_EQ(doc["records"][0]["$id"]["value"], "1");
	HttpClient control;
	auto stats = nlohmann::json::parse(control.Perform({"GET", Url("/_emulator/stats"), {}, ""}).body);
	EXPECT_EQ(stats["requests"]["GET /k/v1/records.json"], 1);
}

TEST_F(HttpClientTest, ErrorStatusIsReturnedNotThrown) {
	HttpClient client;
	auto &response = client.Perform({"GET", Url("/k/v1/records.json?app=1"), {}, ""});
	EXPECT_EQ(response.status, 401);
	auto error = kintone::ErrorFromResponse(response.status, response.body, response.content_type);
	EXPECT_EQ(error.code(), "CB_AU01");
	EXPECT_EQ(error.kind(), ErrorKind::kAuthentication);
	EXPECT_EQ(error.request_id().size(), 20u);
}

TEST_F(HttpClientTest, ReusesBodyBufferAcrossRequests) {
	HttpClient client;
	HttpRequest big{
	    "GET", Url("/k/v1/records.json?app=2&query=limit%20500"), {{"X-Cybozu-API-Token", "app2viewtoken"}}, ""};
	size_t first = client.Perform(big).body.size();
	HttpRequest small{"GET", Url("/k/v1/record.json?app=2&id=1"), {{"X-Cybozu-API-Token", "app2viewtoken"}}, ""};
	auto &response = client.Perform(small);
	EXPECT_LT(response.body.size(), first);
	EXPECT_EQ(nlohmann::json::parse(response.body)["record"]["$id"]["value"], "1");
}

TEST_F(HttpClientTest, DroppedConnectionIsAConnectionError) {
	HttpClient control;
	ASSERT_EQ(control
	              .Perform({"POST",
	                        Url("/_emulator/faults"),
	                        {{"Content-Type", "application/json"}},
	                        R"({"match":"records\\.json","drop_connection":true,"count":1})"})
	              .status,
	          200);
	HttpClient client;
	try {
		client.Perform({"GET", Url("/k/v1/records.json?app=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""});
		FAIL() << "expected a connection error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConnection);
		EXPECT_NE(e.message().find("could not complete the request to Kintone"), std::string::npos);
	}
	// The same client recovers on the next request.
	EXPECT_EQ(
	    client.Perform({"GET", Url("/k/v1/records.json?app=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""}).status,
	    200);
}

TEST_F(HttpClientTest, TruncatedBodyIsAConnectionError) {
	HttpClient control;
	control.Perform({"POST",
	                 Url("/_emulator/faults"),
	                 {{"Content-Type", "application/json"}},
	                 R"({"match":"records\\.json","truncate_body":true,"count":1})"});
	HttpClient client;
	try {
		client.Perform({"GET", Url("/k/v1/records.json?app=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""});
		FAIL() << "expected a connection error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConnection);
	}
}

TEST_F(HttpClientTest, AbortCheckCancelsAStalledRequest) {
	HttpClient control;
	control.Perform({"POST",
	                 Url("/_emulator/faults"),
	                 {{"Content-Type", "application/json"}},
	                 R"({"match":"records\\.json","delay_ms":30000,"count":1})"});
	kintone::HttpOptions options;
	options.should_abort = AbortAlways;
	HttpClient client(options);
	try {
		client.Perform({"GET", Url("/k/v1/records.json?app=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""});
		FAIL() << "expected cancellation";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kCancelled);
	}
}

TEST_F(HttpClientTest, RefusedConnection) {
	HttpClient client;
	try {
		// Port 1 on loopback: nothing listens there.
		client.Perform({"GET", "http://127.0.0.1:1/k/v1/app.json?id=1", {}, ""});
		FAIL() << "expected a connection error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConnection);
		EXPECT_EQ(e.detail(), "GET http://127.0.0.1:1/k/v1/app.json?id=1");
	}
}

TEST(UrlEncode, EncodesReservedAndUtf8) {
	EXPECT_EQ(kintone::UrlEncode("a-b_c.d~e"), "a-b_c.d~e");
	EXPECT_EQ(kintone::UrlEncode("$id > 10 order by"), "%24id%20%3E%2010%20order%20by");
	EXPECT_EQ(kintone::UrlEncode("fields[0]"), "fields%5B0%5D");
	EXPECT_EQ(kintone::UrlEncode("会"), "%E4%BC%9A");
	EXPECT_EQ(kintone::UrlEncode("\"&=+"), "%22%26%3D%2B");
}
