// What HttpClient (one request at a time) and HttpGroup (several in flight) share: how a
// transfer is set up on an easy handle and how its end becomes a response or an Error.
// Internal to src/kintone/http_*.cpp.
#pragma once

#include "kintone/http_client.hpp"

#include <curl/curl.h>

namespace kintone::detail {

// Per-transfer state the curl callbacks write into.
struct Transfer {
	HttpResponse *response = nullptr;
	size_t max_bytes = 0;
	bool too_large = false;
	bool once = false;
	int sends = 0;
	bool replay_refused = false;
};

void EnsureCurl();

// Resets easy and sets it up for request (which must outlive the transfer); clears response.
// Returns the header list, owned by the caller until the transfer is removed. Throws
// kOutOfMemory.
struct curl_slist *SetUpTransfer(CURL *easy, const HttpRequest &request, const HttpOptions &options, Transfer *transfer,
                                 HttpResponse *response, char *error_buffer);

// After the transfer ended with code: throws kProtocol (answer too large) or kConnection
// (transport failure, a refused replay), each with may_have_acted; otherwise fills status
// and content type.
void CompleteTransfer(CURL *easy, CURLcode code, const Transfer &transfer, const HttpRequest &request,
                      const HttpOptions &options, const char *error_buffer, HttpResponse *response);

} // namespace kintone::detail
