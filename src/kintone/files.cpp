// Attachments (see files.hpp).
#include "kintone/files.hpp"

#include "kintone/error.hpp"

#include <random>

namespace kintone {

namespace {

bool HasControl(std::string_view s) {
	for (unsigned char c : s) {
		if (c < 0x20 || c == 0x7f) {
			return true;
		}
	}
	return false;
}

// Kintone's keys are 36 (upload) or 49 (download) characters; anything far longer is not one.
constexpr size_t kMaxFileKeyLength = 256;

std::string RandomBoundary() {
	static const char kChars[] = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
	std::random_device device;
	std::mt19937_64 gen((static_cast<unsigned long long>(device()) << 32) ^ device());
	std::string b = "kintone_fdw-";
	for (int i = 0; i < 32; ++i) {
		b += kChars[gen() % (sizeof(kChars) - 1)];
	}
	return b;
}

} // namespace

std::string UploadProblem(std::string_view name, std::string_view content_type, size_t size, long long max_size) {
	if (name.empty()) {
		return "a file needs a name";
	}
	if (HasControl(name) || name.find('"') != std::string_view::npos || name.find('\\') != std::string_view::npos) {
		return "the file name contains a control character, '\"' or '\\', which a multipart upload cannot carry";
	}
	if (content_type.empty() || HasControl(content_type) || content_type.find('/') == std::string_view::npos) {
		return "the content type \"" + std::string(content_type) + "\" is not a MIME type such as text/plain";
	}
	if (max_size >= 0 && size > static_cast<unsigned long long>(max_size)) {
		return "the file is " + std::to_string(size) + " bytes; Kintone takes files of at most " +
		       std::to_string(max_size) + " bytes";
	}
	return {};
}

MultipartFrame MakeMultipartFrame(std::string_view name, std::string_view content_type, std::string_view data) {
	std::string boundary = RandomBoundary();
	while (data.find(boundary) != std::string_view::npos) { // 32 random characters: practically never
		boundary = RandomBoundary();
	}
	MultipartFrame f;
	f.content_type = "multipart/form-data; boundary=" + boundary;
	f.head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"";
	f.head.append(name.data(), name.size());
	f.head += "\"\r\nContent-Type: ";
	f.head.append(content_type.data(), content_type.size());
	f.head += "\r\n\r\n";
	f.tail = "\r\n--" + boundary + "--\r\n";
	return f;
}

std::string UploadFile(Session &session, std::string_view name, std::string_view content_type, std::string_view data,
                       long long max_size, long long guest_space_id) {
	std::string problem = UploadProblem(name, content_type, data.size(), max_size);
	if (!problem.empty()) {
		throw Error(ErrorKind::kInvalidRequest, "cannot upload \"" + std::string(name) + "\" to Kintone: " + problem,
		            "Nothing was sent.");
	}
	MultipartFrame frame = MakeMultipartFrame(name, content_type, data);
	Json answer;
	try {
		answer = session.SendMultipart("file.json", frame.content_type, frame.head, data, frame.tail, guest_space_id);
	} catch (Error &e) {
		// Sent, and no answer that proves Kintone refused it (a dropped connection, a timeout, a
		// cancel, a gateway error, an answer that is not JSON): the upload is not sent again, and
		// the user is told that Kintone may hold the file (an unattached upload is deleted after
		// 3 days).
		if (e.may_have_acted()) {
			e.set_message("the outcome of uploading \"" + std::string(name) + "\" is unknown: " + e.message());
			e.set_hint("Kintone may have stored the file; it was not sent again. An upload that is not attached "
			           "to a record is deleted by Kintone after 3 days, so uploading it again is safe.");
		}
		throw;
	}
	auto key = answer.is_object() ? answer.find("fileKey") : answer.end();
	if (!answer.is_object() || key == answer.end() || !key->is_string() ||
	    key->get_ref<const std::string &>().empty()) {
		throw Error(ErrorKind::kProtocol, "Kintone's answer to a file upload has no \"fileKey\"",
		            "The answer to POST " + session.Path("file.json", guest_space_id) +
		                " is not what the API promises; the file may be stored in Kintone's temporary storage, "
		                "where it is deleted after 3 days unless attached.");
	}
	return key->get<std::string>();
}

long long StartFileDownload(Session &session, std::string_view file_key, long long guest_space_id) {
	if (file_key.empty() || file_key.size() > kMaxFileKeyLength || HasControl(file_key)) {
		throw Error(ErrorKind::kInvalidRequest,
		            file_key.empty() ? std::string("a file key must not be empty") : "invalid file key",
		            "Nothing was sent.", "Use the \"fileKey\" of a file in a record's FILE value (a download key).");
	}
	return session.StartDownload("file.json", Json{{"fileKey", std::string(file_key)}}, guest_space_id);
}

} // namespace kintone
