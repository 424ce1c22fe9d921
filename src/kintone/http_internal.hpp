// What HttpClient (one request at a time) and HttpGroup (several in flight) share: how a
// transfer is set up on an easy handle and how its end becomes a response or an Error.
// Internal to src/kintone/http_*.cpp.
#pragma once

#include "kintone/http_client.hpp"

#include <curl/curl.h>

#include <set>

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

// A waitable descriptor over the sockets of one curl multi handle, for asynchronous execution
// (HttpClient::WaitFd, HttpGroup::WaitFd): an epoll fd that becomes readable when a socket is
// ready for what libcurl wants next, when libcurl's own timeout expires, or at the latest
// tick_ms after Arm (so that a waiter checks for cancels at least that often). libcurl 7.88 has
// no curl_multi_waitfds, and its socket callback is driven by curl_multi_socket_action only,
// not by curl_multi_perform; so the epoll set is re-read from curl_multi_fdset on every Arm. A
// socket numbered FD_SETSIZE or more is not in an fd_set: the tick then stands in for it.
class MultiWaitFd {
public:
	MultiWaitFd() = default;
	~MultiWaitFd();
	MultiWaitFd(const MultiWaitFd &) = delete;
	MultiWaitFd &operator=(const MultiWaitFd &) = delete;

	// The epoll fd, created (and armed) on first use; -1 when the system refuses one.
	int Fd(CURLM *multi, bool active, long tick_ms) noexcept;
	// Re-reads the multi handle's sockets and timeout (active: transfers are in flight; else
	// the tick alone). Call after driving the transfers, before waiting. No-op before Fd.
	void Arm(CURLM *multi, bool active, long tick_ms) noexcept;

private:
	int epoll_ = -1;
	int timer_ = -1;
	bool ready_ = false;
	std::set<int> watched_; // sockets in the epoll set (besides the timer)
};

} // namespace kintone::detail
