// One reused libcurl easy handle: connection reuse (keep-alive, TLS session), timeouts, and
// cancellation through a caller-supplied abort check polled while a transfer runs.
//
// Two guards for answers and requests off the happy path (docs/faults.md):
// - libcurl sends a request again by itself when a reused keep-alive connection dies before
//   any answer byte ("Connection died, retrying a fresh connect"), whatever the method. A
//   request marked `once` (it changes state in Kintone) is never sent twice: a second send
//   within one transfer is refused and the transfer fails as a lost answer (kConnection,
//   may_have_acted). Such requests also reuse only a connection that was busy moments ago, so
//   that a connection the server closed while idle is not the one they race on.
// - An answer larger than HttpOptions::max_response_bytes, counted after decompression, is
//   refused while it arrives (kProtocol): a small gzip body cannot inflate into gigabytes.
//
// The abort check must not call PostgreSQL (it runs inside curl); the glue passes a function
// that only reads the interrupt flags, and calls CHECK_FOR_INTERRUPTS() after Perform throws
// kCancelled, so that PostgreSQL raises its own cancel error.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kintone {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
	std::string method = "GET"; // GET, POST, PUT, DELETE
	std::string url;
	HeaderList headers;
	std::string body; // sent when non-empty (also on GET and DELETE)
	// Cleanup requests (deleting a cursor while a query is being cancelled) must not be
	// aborted by the cancel they clean up after; they get a short timeout instead.
	bool abortable = true;
	long timeout_ms = 0; // overrides HttpOptions::timeout_ms when > 0
	// Sent at most once: libcurl's own re-send on a fresh connection is refused.
	bool once = false;
	// When the abort check fires, the answer is still awaited this long (not abortable) before
	// the transfer is dropped: a cursor whose creation was sent must be learnt to be deleted.
	long abort_grace_ms = 0;
};

struct HttpResponse {
	long status = 0;
	std::string content_type;
	HeaderList headers; // names lower-cased
	std::string body;

	// The first header with this (lower-case) name, or "".
	std::string Header(std::string_view name) const;
};

// The largest answer accepted (after decompression): a few times the largest page Kintone can
// send (500 records; see docs/faults.md, "Bounds").
constexpr size_t kDefaultMaxResponseBytes = size_t{256} << 20;

struct HttpOptions {
	long connect_timeout_ms = 10000;
	long timeout_ms = 0; // whole transfer; 0 = no limit (statement_timeout applies through abort)
	// Polled about every 50 ms while a transfer runs; returning true aborts it (kCancelled).
	bool (*should_abort)(void *arg) = nullptr;
	void *abort_arg = nullptr;
	std::string user_agent = "kintone_fdw/0.1";
	size_t max_response_bytes = kDefaultMaxResponseBytes;

	// TLS: verification is on unless ssl_verify is false (unsafe). ca_file replaces the
	// system CA bundle. A client certificate is a PEM certificate (+ PEM key) or a PKCS#12
	// file (cert_type "P12"); key_password decrypts the key or the PKCS#12 file.
	bool ssl_verify = true;
	std::string ssl_ca_file;
	std::string ssl_cert;
	std::string ssl_key;
	std::string ssl_cert_type = "PEM";
	std::string ssl_key_password; // secret
	// Proxy: "" = curl's default (the environment of the server process).
	std::string proxy;
	std::string proxy_user;
	std::string proxy_password; // secret
};

// Counters for EXPLAIN ANALYZE and benchmarks.
struct HttpStats {
	long requests = 0;
	long long bytes_received = 0;
};

class HttpClient {
public:
	explicit HttpClient(HttpOptions options = {});
	~HttpClient();
	HttpClient(const HttpClient &) = delete;
	HttpClient &operator=(const HttpClient &) = delete;

	// Performs the request and returns the response of any HTTP status. Throws kConnection
	// for transport failures (a cut body included), kCancelled when should_abort asked to stop
	// and kProtocol for an answer over max_response_bytes; each with may_have_acted set when
	// the request had been sent. The response's body buffer is reused between calls: callers
	// that keep it must move it out.
	HttpResponse &Perform(const HttpRequest &request);

	// The same in steps, so that a response can arrive while the caller does other work:
	// Start sends the request (a request still in flight is cancelled first), Pump moves the
	// transfer on without blocking and says whether it is complete, Finish waits for the end
	// (polling the abort check) and returns the response or throws like Perform. Cancel drops
	// a request in flight.
	void Start(const HttpRequest &request);
	bool Pump() noexcept;
	HttpResponse &Finish();
	// Finish bounded by max_wait_ms (> 0; then kConnection, the request dropped), for
	// cleanups: abortable = false ignores should_abort (the cancel it cleans up after).
	HttpResponse &FinishWithin(long max_wait_ms, bool abortable = false);
	void Cancel() noexcept;
	bool in_flight() const { return in_flight_; }
	// The last transfer was aborted by should_abort but answered within abort_grace_ms: the
	// caller must honour the cancel once it has used the answer.
	bool cancel_pending() const { return cancel_pending_; }
	// How many times libcurl sent the current (or last) request: 0 = never sent.
	int sends() const;

	const HttpStats &stats() const { return stats_; }

	// A waitable descriptor for asynchronous execution (src/pg/async.cpp): an epoll fd that
	// becomes readable when a socket of a transfer in flight is ready for what libcurl wants
	// next, when libcurl's own timeout expires, or at the latest kWaitTickMs after ArmWaitFd
	// (so that a waiter checks for cancels at least that often). Created on first use, closed
	// with the client; -1 when the system refuses one. ArmWaitFd re-reads the transfer's sockets
	// and timeout and must be called after Pump, before waiting on the fd. Neither performs I/O
	// on a transfer: a readable fd only says that Pump is worth calling.
	static constexpr long kWaitTickMs = 100;
	int WaitFd() noexcept;
	void ArmWaitFd() noexcept;

private:
	struct WaitSet;
	std::unique_ptr<WaitSet> wait_;
	struct Impl;
	std::unique_ptr<Impl> impl_;
	HttpOptions options_;
	void Detach() noexcept;
	HttpResponse &FinishImpl(bool abortable, long max_wait_ms);

	HttpStats stats_;
	HttpResponse response_;
	HttpRequest current_; // the request in flight (curl reads its URL and body)
	bool in_flight_ = false;
	bool cancel_pending_ = false;
};

// Percent-encodes a query-string component (RFC 3986 unreserved characters stay as they are).
std::string UrlEncode(std::string_view text);

} // namespace kintone
