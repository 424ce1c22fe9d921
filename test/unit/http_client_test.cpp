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
	static void SetUpTestSuite() { emulator = &kintone_test::SharedEmulator(); }
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }
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
		// Closed without a byte of answer after the request went out: said in words.
		EXPECT_NE(
		    e.message().find("the connection to Kintone was closed without an answer, after the request was sent"),
		    std::string::npos);
		EXPECT_TRUE(e.may_have_acted());
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

// ---- off the happy path (issue 11) ---------------------------------------------------------

namespace {

void AddFault(const HttpClientTest *, const std::string &url, const std::string &rule) {
	HttpClient control;
	ASSERT_EQ(control.Perform({"POST", url + "/_emulator/faults", {{"Content-Type", "application/json"}}, rule}).status,
	          200);
}

// App 4 has no required or unique field, so that a replayed write is not refused.
long long CountApp4(const std::string &base) {
	HttpClient client;
	auto &r = client.Perform({"GET",
	                          base + "/k/v1/records.json?app=4&totalCount=true&query=limit%201",
	                          {{"X-Cybozu-API-Token", "app4fulltoken"}},
	                          ""});
	return std::stoll(nlohmann::json::parse(r.body)["totalCount"].get<std::string>());
}

HttpRequest AddOrder(const std::string &base, bool once) {
	HttpRequest request{"POST",
	                    base + "/k/v1/records.json",
	                    {{"X-Cybozu-API-Token", "app4fulltoken"}, {"Content-Type", "application/json"}},
	                    R"({"app":4,"records":[{}]})"};
	request.once = once;
	return request;
}

} // namespace

// The mechanism behind issue 11's duplicated INSERTs: when a reused keep-alive connection dies
// after the server processed a POST, libcurl sends the POST again on a fresh connection by
// itself. This documents libcurl's behaviour; the next test is the guard.
TEST_F(HttpClientTest, LibcurlReplaysAPostWhoseReusedConnectionDied) {
	long long before = CountApp4(emulator->url());
	HttpClient client;
	ASSERT_EQ(client.Perform({"GET", Url("/k/v1/app.json?id=4"), {{"X-Cybozu-API-Token", "app4fulltoken"}}, ""}).status,
	          200); // the connection the POST reuses
	AddFault(this, emulator->url(),
	         R"({"match":"records\\.json","method":"POST","count":1,"after":true,"drop_connection":true})");
	auto &response = client.Perform(AddOrder(emulator->url(), false));
	EXPECT_EQ(response.status, 200);
	EXPECT_EQ(client.sends(), 2);
	EXPECT_EQ(CountApp4(emulator->url()), before + 2); // written twice
}

TEST_F(HttpClientTest, OnceRequestIsNeverSentTwice) {
	long long before = CountApp4(emulator->url());
	HttpClient client;
	ASSERT_EQ(client.Perform({"GET", Url("/k/v1/app.json?id=4"), {{"X-Cybozu-API-Token", "app4fulltoken"}}, ""}).status,
	          200);
	AddFault(this, emulator->url(),
	         R"({"match":"records\\.json","method":"POST","count":1,"after":true,"drop_connection":true})");
	try {
		client.Perform(AddOrder(emulator->url(), true));
		FAIL() << "expected a lost answer";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConnection);
		EXPECT_TRUE(e.may_have_acted());
		EXPECT_NE(e.hint().find("does not repeat"), std::string::npos) << e.hint();
	}
	EXPECT_EQ(CountApp4(emulator->url()), before + 1); // written once
	// The client goes on normally.
	EXPECT_EQ(client.Perform(AddOrder(emulator->url(), true)).status, 200);
	EXPECT_EQ(client.sends(), 1);
}

TEST_F(HttpClientTest, NeverSentIsKnown) {
	HttpRequest request = AddOrder("http://127.0.0.1:1", true);
	HttpClient client;
	try {
		client.Perform(request);
		FAIL() << "expected a connection error";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kConnection);
		EXPECT_FALSE(e.may_have_acted()); // no connection: the request never left
	}
}

// A 100 KB gzip body that inflates to 8 MB is refused after 1 MB, as is a plain 2 MB body.
TEST_F(HttpClientTest, AnswersLargerThanTheBoundAreRefusedWhileTheyArrive) {
	AddFault(this, emulator->url(),
	         R"({"match":"records\\.json","count":1,"status":200,"gzip":true,
	             "body_repeat":{"prefix":"{\"records\":[","unit":"0","separator":",","count":4000000,"suffix":"]}"}})");
	AddFault(this, emulator->url(),
	         R"({"match":"app\\.json","count":1,"status":200,
	             "body_repeat":{"prefix":"[","unit":"0","separator":",","count":1000000,"suffix":"]"}})");
	kintone::HttpOptions options;
	options.max_response_bytes = 1 << 20;
	HttpClient client(options);
	for (const char *path : {"/k/v1/records.json?app=1", "/k/v1/app.json?id=1"}) {
		try {
			client.Perform({"GET", Url(path), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""});
			FAIL() << "expected a refusal for " << path;
		} catch (const kintone::Error &e) {
			EXPECT_EQ(e.kind(), ErrorKind::kProtocol) << path;
			EXPECT_NE(e.message().find("larger than 1 MB"), std::string::npos) << e.message();
		}
		EXPECT_LE(client.stats().bytes_received, 2 << 20);
	}
	// Within the bound: fine.
	EXPECT_EQ(
	    client.Perform({"GET", Url("/k/v1/records.json?app=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""}).status,
	    200);
}

// A cancel while an answer that must be learnt is on its way: the answer is awaited within
// the grace, and the cancel is reported as pending.
TEST_F(HttpClientTest, AbortGraceWaitsForTheAnswer) {
	AddFault(this, emulator->url(), R"({"match":"app\\.json","count":2,"after":true,"delay_ms":200})");
	kintone::HttpOptions options;
	options.should_abort = AbortAlways;
	HttpClient client(options);
	HttpRequest request{"GET", Url("/k/v1/app.json?id=1"), {{"X-Cybozu-API-Token", "app1viewtoken"}}, ""};
	request.abort_grace_ms = 5000;
	EXPECT_EQ(client.Perform(request).status, 200);
	EXPECT_TRUE(client.cancel_pending());
	request.abort_grace_ms = 0;
	try {
		client.Perform(request);
		FAIL() << "expected cancellation";
	} catch (const kintone::Error &e) {
		EXPECT_EQ(e.kind(), ErrorKind::kCancelled);
		EXPECT_TRUE(e.may_have_acted());
	}
}

TEST(UrlEncode, EncodesReservedAndUtf8) {
	EXPECT_EQ(kintone::UrlEncode("a-b_c.d~e"), "a-b_c.d~e");
	EXPECT_EQ(kintone::UrlEncode("$id > 10 order by"), "%24id%20%3E%2010%20order%20by");
	EXPECT_EQ(kintone::UrlEncode("fields[0]"), "fields%5B0%5D");
	EXPECT_EQ(kintone::UrlEncode("会"), "%E4%BC%9A");
	EXPECT_EQ(kintone::UrlEncode("\"&=+"), "%22%26%3D%2B");
}
