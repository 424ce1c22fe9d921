// Attachments (contract §4.11; design notes in docs/files.md): uploading a file
// (POST file.json, multipart/form-data with one part named "file") and downloading one by its
// key (GET file.json), without copying the file's bytes: the upload sends the caller's memory
// between a small multipart head and tail, the download receives into memory the caller
// allocates once Kintone has said the size (Session::StartDownload / FinishDownload).
#pragma once

#include "kintone/session.hpp"

#include <string>
#include <string_view>

namespace kintone {

// The multipart body around a file's bytes: head + bytes + tail, and its Content-Type header.
struct MultipartFrame {
	std::string content_type; // "multipart/form-data; boundary=…"
	std::string head;
	std::string tail;
};

// Why Kintone cannot take this upload, or "" when it can: an empty name, a name or content
// type with a character a multipart header cannot carry (control characters, '"' and '\' in
// the name), a size above max_size (Kintone's limit: 1 GB, contract §5; the server option
// max_file_size). Checked before anything is sent.
std::string UploadProblem(std::string_view name, std::string_view content_type, size_t size, long long max_size);

// The frame of a file named `name` (UTF-8, sent as it is, as Kintone asks) of this content
// type; the boundary is chosen so that it does not occur in data.
MultipartFrame MakeMultipartFrame(std::string_view name, std::string_view content_type, std::string_view data);

// Uploads data (kept alive by the caller; never copied) and returns Kintone's file key for it
// (to be written into a FILE field within 3 days). Throws kintone::Error: UploadProblem as
// kInvalidRequest before any request, Kintone's refusal, or kProtocol for an answer without a
// "fileKey". Sent at most once.
std::string UploadFile(Session &session, std::string_view name, std::string_view content_type, std::string_view data,
                       long long max_size, long long guest_space_id = -1);

// Starts downloading the file of this download key (GET file.json; the key found in a record's
// FILE value): Session::StartDownload, after refusing an empty key or one longer than any key
// Kintone makes (kInvalidRequest, nothing sent). Then Session::FinishDownload.
long long StartFileDownload(Session &session, std::string_view file_key, long long guest_space_id = -1);

} // namespace kintone
