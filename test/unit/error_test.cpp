// Parsing Kintone error responses into kintone::Error (contract §8).
#include "kintone/error.hpp"

#include <gtest/gtest.h>

using kintone::ErrorFromResponse;
using kintone::ErrorKind;

TEST(ErrorFromResponse, ParsesKintoneJsonError) {
	auto e = ErrorFromResponse(
	    404,
	    R"({"code":"GAIA_RE01","id":"aBc8xyRm9kiFutkr90f1","message":"The specified record (ID: 9) is not found."})");
	EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
	EXPECT_EQ(e.http_status(), 404);
	EXPECT_EQ(e.code(), "GAIA_RE01");
	EXPECT_EQ(e.request_id(), "aBc8xyRm9kiFutkr90f1");
	EXPECT_EQ(e.message(), "Kintone error GAIA_RE01: The specified record (ID: 9) is not found.");
	EXPECT_EQ(e.detail(), "HTTP 404, code GAIA_RE01, request id aBc8xyRm9kiFutkr90f1");
	EXPECT_FALSE(e.retryable());
}

TEST(ErrorFromResponse, KeepsValidationErrorsInOrder) {
	auto e = ErrorFromResponse(400, R"({"code":"CB_VA01","id":"x1","message":"Missing or invalid input.",
	  "errors":{"record.title.value":{"messages":["Required."]},"record[num].value":{"messages":["Only numbers are allowed.","x"]}}})");
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
	ASSERT_EQ(e.field_errors().size(), 2u);
	EXPECT_EQ(e.field_errors()[0].first, "record.title.value");
	EXPECT_EQ(e.field_errors()[0].second, std::vector<std::string>{"Required."});
	EXPECT_EQ(e.field_errors()[1].first, "record[num].value");
	EXPECT_EQ(e.field_errors()[1].second.size(), 2u);
	EXPECT_NE(e.detail().find("\nrecord.title.value: Required."), std::string::npos);
}

TEST(ErrorFromResponse, CodeDecidesKindOverStatus) {
	// Older Kintone answered an invalid API token with HTTP 520.
	EXPECT_EQ(ErrorFromResponse(520, R"({"code":"GAIA_IA02","id":"i","message":"m"})").kind(),
	          ErrorKind::kAuthentication);
	EXPECT_EQ(ErrorFromResponse(400, R"({"code":"GAIA_IA02","id":"i","message":"m"})").kind(),
	          ErrorKind::kAuthentication);
	EXPECT_EQ(ErrorFromResponse(403, R"({"code":"GAIA_NO01","id":"i","message":"m"})").kind(), ErrorKind::kPermission);
	EXPECT_EQ(ErrorFromResponse(409, R"({"code":"GAIA_CO02","id":"i","message":"m"})").kind(), ErrorKind::kConflict);
	EXPECT_EQ(ErrorFromResponse(401, R"({"code":"CB_AU01","id":"i","message":"m"})").kind(),
	          ErrorKind::kAuthentication);
}

TEST(ErrorFromResponse, RateLimitsAreRetryable) {
	auto busy = ErrorFromResponse(429, R"({"code":"GAIA_TO04","id":"i","message":"m"})");
	EXPECT_EQ(busy.kind(), ErrorKind::kRateLimited);
	EXPECT_TRUE(busy.retryable());
	auto cursors = ErrorFromResponse(429, R"({"code":"GAIA_TM12","id":"i","message":"m"})");
	EXPECT_TRUE(cursors.retryable());
	auto lock = ErrorFromResponse(500, R"({"code":"GAIA_LT01","id":"i","message":"m"})");
	EXPECT_TRUE(lock.retryable());
}

TEST(ErrorFromResponse, NonJsonBodyGivesStatusAndExcerpt) {
	auto e = ErrorFromResponse(503, "<html><body>Maintenance\nin progress</body></html>", "text/html");
	EXPECT_EQ(e.kind(), ErrorKind::kServer);
	EXPECT_EQ(e.code(), "");
	EXPECT_EQ(e.message(), "Kintone returned HTTP 503 Service Unavailable");
	EXPECT_EQ(e.detail(), "Response body: <html><body>Maintenance in progress</body></html>");
	EXPECT_TRUE(e.retryable());
}

TEST(ErrorFromResponse, EmptyBodyAndUnknownStatus) {
	auto e = ErrorFromResponse(404, "");
	EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
	EXPECT_EQ(e.message(), "Kintone returned HTTP 404 Not Found");
	EXPECT_EQ(e.detail(), "");
	auto odd = ErrorFromResponse(418, "{}");
	EXPECT_EQ(odd.kind(), ErrorKind::kInvalidRequest);
	EXPECT_EQ(odd.message(), "Kintone returned HTTP 418");
}

TEST(ErrorFromResponse, LongBodyIsCutOnACharacterBoundary) {
	std::string body(199, 'a');
	body += "\xE3\x81\x82\xE3\x81\x82"; // two hiragana, the cut falls inside the first
	auto e = ErrorFromResponse(502, body);
	EXPECT_EQ(e.detail(), "Response body: " + std::string(199, 'a') + "...");
}

TEST(ErrorFromResponse, BulkRequestNamesTheFailingIndex) {
	auto e = ErrorFromResponse(
	    400,
	    R"({"results":[{},{"code":"CB_VA01","id":"r2","message":"Missing or invalid input.","errors":{"records[0].n.value":{"messages":["Required."]}}},{}]})");
	EXPECT_EQ(e.code(), "CB_VA01");
	EXPECT_EQ(e.request_id(), "r2");
	EXPECT_NE(e.detail().find("bulk request index 1"), std::string::npos);
	ASSERT_EQ(e.field_errors().size(), 1u);
	EXPECT_EQ(e.field_errors()[0].first, "records[0].n.value");
}

TEST(ErrorFromResponse, JsonWithoutCodeIsTreatedAsNonKintone) {
	auto e = ErrorFromResponse(500, R"({"error":"proxy"})");
	EXPECT_EQ(e.code(), "");
	EXPECT_EQ(e.message(), "Kintone returned HTTP 500 Internal Server Error");
}
