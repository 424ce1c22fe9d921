// Attachments (files.hpp): the checks before an upload, the multipart frame, and uploads and
// downloads against the real emulator: byte-for-byte round trips, size limits on both sides,
// retries of a download, an upload never sent twice, Kintone's refusals.
#include "emulator_fixture.hpp"
#include "kintone/error.hpp"
#include "kintone/files.hpp"
#include "kintone/session.hpp"

#include <string>
#include <vector>

using kintone::ErrorKind;
using kintone::Json;
using kintone::Session;
using kintone::SessionConfig;

namespace {

kintone_test::Emulator *emulator = nullptr;

// Sample app 1, record 2: memo.txt ("hello kintone"); sample app 6, record 7: all-bytes.bin.
const char kMemoKey[] = "20260101000000ABCDEF0123456789ABCDEF03";
const char kAllBytesKey[] = "20260301090000A1B2C3D4E5F60718293A4B5C6D05";
const char kEmptyKey[] = "20260301090000A1B2C3D4E5F60718293A4B5C6D07";

class FilesTest : public ::testing::Test {
protected:
	static void SetUpTestSuite() { emulator = new kintone_test::Emulator(); }
	static void TearDownTestSuite() {
		delete emulator;
		emulator = nullptr;
	}
	void SetUp() override { kintone_test::ResetEmulator(*emulator); }
	void TearDown() override { Control("POST", "/_emulator/config", R"({"max_file_size":1073741824})"); }
	static Json Control(const std::string &method, const std::string &path, const std::string &body) {
		return kintone_test::Control(*emulator, method, path, body);
	}
	static SessionConfig Config(const std::string &user = "Administrator", const std::string &password = "admin-pass") {
		SessionConfig config;
		config.base = kintone::ParseBaseUrl(emulator->url());
		config.retry_base_delay_ms = 1;
		config.credentials.username = user;
		config.credentials.password = password;
		return config;
	}
	static long long Requests(const std::string &key) {
		Json stats = Control("GET", "/_emulator/stats", "");
		return stats["requests"].value(key, 0LL);
	}
};

kintone::Error ErrorOf(const std::function<void()> &fn) {
	try {
		fn();
	} catch (const kintone::Error &e) {
		return e;
	}
	ADD_FAILURE() << "expected a kintone::Error";
	return kintone::Error(ErrorKind::kInternal, "none");
}

// Downloads into memory allocated at the announced size, as the glue does.
std::string Download(Session &session, const std::string &key) {
	long long n = kintone::StartFileDownload(session, key);
	if (n < 0) {
		size_t got = session.FinishDownload(nullptr, 1 << 20);
		return session.downloaded().substr(0, got);
	}
	std::string out(static_cast<size_t>(n), '\0');
	size_t got = session.FinishDownload(out.data(), out.size());
	EXPECT_EQ(got, static_cast<size_t>(n));
	return out;
}

std::string AllBytes(size_t n) {
	std::string s(n, '\0');
	for (size_t i = 0; i < n; ++i) {
		s[i] = static_cast<char>(i % 256);
	}
	return s;
}

} // namespace

TEST(UploadProblem, RefusesWhatAMultipartUploadCannotCarryOrKintoneCannotTake) {
	EXPECT_EQ(kintone::UploadProblem("a.txt", "text/plain", 10, 10), "");
	EXPECT_EQ(kintone::UploadProblem("見積書 v2.pdf", "application/pdf", 0, 10), "");
	EXPECT_EQ(kintone::UploadProblem("", "text/plain", 1, 10), "a file needs a name");
	EXPECT_NE(kintone::UploadProblem("a\"b", "text/plain", 1, 10), "");
	EXPECT_NE(kintone::UploadProblem("a\\b", "text/plain", 1, 10), "");
	EXPECT_NE(kintone::UploadProblem("a\r\nContent-Type: x/y", "text/plain", 1, 10), "");
	EXPECT_NE(kintone::UploadProblem("a", "text", 1, 10), "");
	EXPECT_NE(kintone::UploadProblem("a", "text/plain\r\nX: y", 1, 10), "");
	EXPECT_EQ(kintone::UploadProblem("a", "text/plain", 11, 10),
	          "the file is 11 bytes; Kintone takes files of at most 10 bytes");
}

TEST(MultipartFrame, OnePartNamedFileAroundTheBytes) {
	std::string data = "--kintone_fdw-";
	auto f = kintone::MakeMultipartFrame("a.txt", "text/plain", data);
	std::string boundary = f.content_type.substr(f.content_type.find("boundary=") + 9);
	EXPECT_EQ(f.content_type.rfind("multipart/form-data; boundary=kintone_fdw-", 0), 0u);
	EXPECT_EQ(f.head, "--" + boundary +
	                      "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\n"
	                      "Content-Type: text/plain\r\n\r\n");
	EXPECT_EQ(f.tail, "\r\n--" + boundary + "--\r\n");
	EXPECT_EQ(data.find(boundary), std::string::npos);
	EXPECT_NE(kintone::MakeMultipartFrame("a.txt", "text/plain", data).content_type, f.content_type);
}

TEST_F(FilesTest, UploadAttachDownloadByteForByte) {
	Session session(Config());
	for (std::string data : {AllBytes(70000), std::string(), std::string("\r\n--x--\r\n")}) {
		std::string key = kintone::UploadFile(session, "データ.bin", "application/octet-stream", data, 1 << 20);
		session.Send(
		    "PUT", "record.json",
		    {{"app", 1}, {"id", 1}, {"record", {{"添付", {{"value", Json::array({Json{{"fileKey", key}}})}}}}}});
		Json record = session.Get("record.json", {{"app", 1}, {"id", 1}})["record"];
		const Json &info = record["添付"]["value"][0];
		EXPECT_EQ(info["name"], "データ.bin");
		EXPECT_EQ(info["size"], std::to_string(data.size()));
		EXPECT_EQ(Download(session, info["fileKey"].get<std::string>()), data);
	}
}

TEST_F(FilesTest, SeededFilesOfRecordsAndSubtableRows) {
	Session session(Config());
	EXPECT_EQ(Download(session, kMemoKey), "hello kintone");
	EXPECT_EQ(Download(session, kAllBytesKey), AllBytes(256));
	EXPECT_EQ(Download(session, kEmptyKey), "");
	EXPECT_EQ(Requests("GET /k/v1/file.json"), 3);
}

TEST_F(FilesTest, TheSizeLimitIsCheckedBeforeSending) {
	Session session(Config());
	std::string data(1000, 'x');
	EXPECT_FALSE(kintone::UploadFile(session, "at-limit.txt", "text/plain", data, 1000).empty());
	auto e = ErrorOf([&] { kintone::UploadFile(session, "over.txt", "text/plain", data + "y", 1000); });
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
	EXPECT_EQ(
	    e.message(),
	    "cannot upload \"over.txt\" to Kintone: the file is 1001 bytes; Kintone takes files of at most 1000 bytes");
	EXPECT_EQ(e.detail(), "Nothing was sent.");
	EXPECT_EQ(Requests("POST /k/v1/file.json"), 1);
}

TEST_F(FilesTest, KintonesOwnLimitAndRefusals) {
	Control("POST", "/_emulator/config", R"({"max_file_size":8})");
	Session session(Config());
	auto e = ErrorOf([&] { kintone::UploadFile(session, "big.txt", "text/plain", "123456789", 1 << 20); });
	EXPECT_EQ(e.code(), "CB_VA01");
	EXPECT_EQ(e.http_status(), 400);
	e = ErrorOf([&] { Download(session, "no-such-key"); });
	EXPECT_EQ(e.code(), "GAIA_BL01");
	EXPECT_EQ(e.http_status(), 404);
	e = ErrorOf([&] { Download(session, ""); });
	EXPECT_EQ(e.kind(), ErrorKind::kInvalidRequest);
	EXPECT_EQ(Requests("GET /k/v1/file.json"), 1);
	// An API token may read the files of its app's records only with view permission.
	SessionConfig add_only = Config("", "");
	add_only.credentials.api_tokens = {"app1addtoken"};
	Session token_session(add_only);
	e = ErrorOf([&] { Download(token_session, kMemoKey); });
	EXPECT_EQ(e.http_status(), 403);
	SessionConfig view = Config("", "");
	view.credentials.api_tokens = {"app1viewtoken"};
	Session view_session(view);
	EXPECT_EQ(Download(view_session, kMemoKey), "hello kintone");
}

TEST_F(FilesTest, DownloadsAreRetriedUploadsAreNot) {
	Control("POST", "/_emulator/faults", R"({"match":"file\\.json","method":"GET","status":503,"count":2})");
	Session session(Config());
	EXPECT_EQ(Download(session, kAllBytesKey), AllBytes(256));
	EXPECT_EQ(Requests("GET /k/v1/file.json"), 3);

	Control("POST", "/_emulator/faults", R"({"match":"file\\.json","method":"POST","status":503,"count":1})");
	auto e = ErrorOf([&] { kintone::UploadFile(session, "a.txt", "text/plain", "abc", 1 << 20); });
	EXPECT_EQ(e.http_status(), 503);
	EXPECT_EQ(Requests("POST /k/v1/file.json"), 1);
	// Refused before any work (GAIA_TO04): safe to send again.
	Control("POST", "/_emulator/faults",
	        R"({"match":"file\\.json","method":"POST","code":"GAIA_TO04","status":429,"count":1})");
	EXPECT_FALSE(kintone::UploadFile(session, "a.txt", "text/plain", "abc", 1 << 20).empty());
	EXPECT_EQ(Requests("POST /k/v1/file.json"), 3);
}

TEST_F(FilesTest, AnotherRequestEndsADownloadInBetween) {
	Session session(Config());
	long long n = kintone::StartFileDownload(session, kAllBytesKey);
	EXPECT_EQ(n, 256);
	Json record = session.Get("record.json", {{"app", 1}, {"id", 2}});
	EXPECT_EQ(record["record"]["添付"]["value"][0]["name"], "memo.txt");
	EXPECT_EQ(Download(session, kAllBytesKey), AllBytes(256));
	session.CancelDownload();
	n = kintone::StartFileDownload(session, kMemoKey);
	session.CancelDownload();
	EXPECT_EQ(Download(session, kMemoKey), "hello kintone");
}

TEST_F(FilesTest, ACutDownloadIsReadAgainFromTheStart) {
	Control("POST", "/_emulator/faults", R"({"match":"file\\.json","method":"GET","count":1,"truncate_body":true})");
	Session session(Config());
	EXPECT_EQ(Download(session, kAllBytesKey), AllBytes(256));
	EXPECT_EQ(Requests("GET /k/v1/file.json"), 2);
}

TEST_F(FilesTest, AnUploadWhoseAnswerIsLostIsNotSentAgain) {
	Control("POST", "/_emulator/faults",
	        R"({"match":"file\\.json","method":"POST","count":1,"after":true,"drop_connection":true})");
	Session session(Config());
	auto e = ErrorOf([&] { kintone::UploadFile(session, "a.txt", "text/plain", "abc", 1 << 20); });
	EXPECT_TRUE(e.may_have_acted());
	EXPECT_EQ(e.message().rfind("the outcome of uploading \"a.txt\" is unknown: ", 0), 0u) << e.message();
	EXPECT_NE(e.hint().find("it was not sent again"), std::string::npos) << e.hint();
	EXPECT_EQ(Requests("POST /k/v1/file.json"), 1);
}
