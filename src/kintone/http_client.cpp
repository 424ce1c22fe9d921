// libcurl easy-handle wrapper (see http_client.hpp).
#include "kintone/http_client.hpp"

#include "kintone/error.hpp"
#include "kintone/http_internal.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstring>
#include <chrono>
#include <mutex>
#include <set>

#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/timerfd.h>
#include <unistd.h>

namespace kintone {

using detail::Transfer;

namespace {

// curl_global_init is not thread-safe and must run once; it runs lazily on the first client,
// never at library load time.
void EnsureCurlInitialised() {
	static std::once_flag once;
	static CURLcode result = CURLE_OK;
	std::call_once(once, [] { result = curl_global_init(CURL_GLOBAL_DEFAULT); });
	if (result != CURLE_OK) {
		throw Error(ErrorKind::kInternal, std::string("could not initialise libcurl: ") + curl_easy_strerror(result));
	}
}

// What the callbacks of one transfer share.
// Bodies arrive decompressed: the bound counts what would be kept, so a gzip bomb is refused
// after max_bytes of output, never inflated further (returning less than given aborts curl).
size_t WriteBody(char *data, size_t size, size_t count, void *user) {
	auto *transfer = static_cast<Transfer *>(user);
	size_t n = size * count;
	if (transfer->response->body.size() + n > transfer->max_bytes) {
		transfer->too_large = true;
		return 0;
	}
	transfer->response->body.append(data, n);
	return n;
}

// Called by libcurl each time it is about to send the request on a connection: once for a
// normal transfer, again when it replays the request on a fresh connection because a reused
// one died before any answer byte. The replay of a `once` request is refused.
int BeforeSend(void *user, char *, char *, int, int) {
	auto *transfer = static_cast<Transfer *>(user);
	++transfer->sends;
	if (transfer->once && transfer->sends > 1) {
		transfer->replay_refused = true;
		return CURL_PREREQFUNC_ABORT;
	}
	return CURL_PREREQFUNC_OK;
}

size_t WriteHeader(char *data, size_t size, size_t count, void *user) {
	auto *response = static_cast<Transfer *>(user)->response;
	std::string_view line(data, size * count);
	if (line.rfind("HTTP/", 0) == 0) {
		response->headers.clear(); // a new response (after a redirect or 100 Continue)
		return size * count;
	}
	size_t colon = line.find(':');
	if (colon == std::string_view::npos) {
		return size * count;
	}
	std::string name(line.substr(0, colon));
	for (auto &c : name) {
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	}
	std::string_view value = line.substr(colon + 1);
	while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) {
		value.remove_prefix(1);
	}
	while (!value.empty() && (value.back() == '\r' || value.back() == '\n' || value.back() == ' ')) {
		value.remove_suffix(1);
	}
	response->headers.emplace_back(std::move(name), std::string(value));
	return size * count;
}

// File transfers (docs/files.md): a download's body into the caller's memory, an
// upload's body read from three pieces, the middle one borrowed.
struct BodySink {
	Transfer *transfer = nullptr; // error answers (and a body without a buffer) go to its response
	CURL *easy = nullptr;
	bool given = false; // ReceiveInto was called
	char *buffer = nullptr;
	size_t capacity = 0;
	size_t used = 0;
	bool paused = false;
	bool overflow = false;
};

size_t WriteToBuffer(char *data, size_t size, size_t count, void *user) {
	auto *sink = static_cast<BodySink *>(user);
	size_t n = size * count;
	long status = 0;
	curl_easy_getinfo(sink->easy, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300) {
		return WriteBody(data, size, count, sink->transfer); // bounded like any answer
	}
	if (!sink->given) {
		sink->paused = true; // the caller allocates now; curl keeps this data until resumed
		return CURL_WRITEFUNC_PAUSE;
	}
	if (sink->buffer == nullptr) { // no announced size: into the response, bounded by capacity
		std::string &body = sink->transfer->response->body;
		if (n > sink->capacity - body.size()) {
			sink->overflow = true;
			return 0;
		}
		body.append(data, n);
		return n;
	}
	if (n > sink->capacity - sink->used) {
		sink->overflow = true;
		return 0;
	}
	memcpy(sink->buffer + sink->used, data, n);
	sink->used += n;
	return n;
}

struct BodyParts {
	std::string_view parts[3];
	size_t part = 0;
	size_t offset = 0;
};

size_t ReadParts(char *out, size_t size, size_t count, void *user) {
	auto *b = static_cast<BodyParts *>(user);
	size_t room = size * count;
	size_t n = 0;
	while (n < room && b->part < 3) {
		std::string_view p = b->parts[b->part];
		size_t take = std::min(room - n, p.size() - b->offset);
		memcpy(out + n, p.data() + b->offset, take);
		n += take;
		b->offset += take;
		if (b->offset == p.size()) {
			++b->part;
			b->offset = 0;
		}
	}
	return n;
}

int SeekParts(void *user, curl_off_t offset, int origin) {
	auto *b = static_cast<BodyParts *>(user);
	if (origin != SEEK_SET || offset != 0) {
		return CURL_SEEKFUNC_CANTSEEK;
	}
	b->part = 0;
	b->offset = 0;
	return CURL_SEEKFUNC_OK;
}

// A `once` request reuses a connection only if it was in use this recently: a connection that
// idled longer may have been closed by the server meanwhile, which libcurl would notice only
// after sending (and then replay, which is refused: an unknown outcome for nothing).
constexpr long kOnceMaxIdleSeconds = 5;

// TLS and proxy settings (curl_easy_reset clears them, so they are set for every request).
void ApplyTransportOptions(CURL *easy, const HttpOptions &o) {
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, o.ssl_verify ? 1L : 0L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, o.ssl_verify ? 2L : 0L);
	if (!o.ssl_ca_file.empty()) {
		curl_easy_setopt(easy, CURLOPT_CAINFO, o.ssl_ca_file.c_str());
		curl_easy_setopt(easy, CURLOPT_CAPATH, nullptr); // only this CA, not the system's too
	}
	if (!o.ssl_cert.empty()) {
		curl_easy_setopt(easy, CURLOPT_SSLCERT, o.ssl_cert.c_str());
		curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, o.ssl_cert_type.c_str());
		if (!o.ssl_key.empty()) {
			curl_easy_setopt(easy, CURLOPT_SSLKEY, o.ssl_key.c_str());
			curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
		}
		if (!o.ssl_key_password.empty()) {
			curl_easy_setopt(easy, CURLOPT_KEYPASSWD, o.ssl_key_password.c_str());
		}
	}
	if (!o.proxy.empty()) {
		curl_easy_setopt(easy, CURLOPT_PROXY, o.proxy.c_str());
		// An explicit proxy is used for every host, whatever no_proxy says in the environment.
		curl_easy_setopt(easy, CURLOPT_NOPROXY, "");
		if (!o.proxy_user.empty()) {
			curl_easy_setopt(easy, CURLOPT_PROXYUSERNAME, o.proxy_user.c_str());
			curl_easy_setopt(easy, CURLOPT_PROXYPASSWORD, o.proxy_password.c_str());
			curl_easy_setopt(easy, CURLOPT_PROXYAUTH, CURLAUTH_BASIC);
		}
		// Kintone requests go through an https tunnel (CONNECT); plain http to a loopback
		// emulator is forwarded as an absolute URI.
	}
}

} // namespace

namespace detail {

void EnsureCurl() {
	EnsureCurlInitialised();
}

struct curl_slist *SetUpTransfer(CURL *easy, const HttpRequest &request, const HttpOptions &options, Transfer *transfer,
                                 HttpResponse *response, char *error_buffer) {
	curl_easy_reset(easy); // keeps the connection cache and TLS sessions
	response->status = 0;
	response->content_type.clear();
	response->headers.clear();
	response->body.clear(); // keeps capacity: page buffers are reused

	curl_easy_setopt(easy, CURLOPT_URL, request.url.c_str());
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, options.user_agent.c_str());
	curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, options.connect_timeout_ms);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, request.timeout_ms > 0 ? request.timeout_ms : options.timeout_ms);
	if (!request.body_to_buffer) {
		curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, ""); // any encoding curl can decode
	}
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, error_buffer);
	*transfer = Transfer();
	transfer->response = response;
	transfer->max_bytes = options.max_response_bytes;
	transfer->once = request.once;
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, WriteBody);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, WriteHeader);
	curl_easy_setopt(easy, CURLOPT_HEADERDATA, transfer);
	curl_easy_setopt(easy, CURLOPT_PREREQFUNCTION, BeforeSend);
	curl_easy_setopt(easy, CURLOPT_PREREQDATA, transfer);
	if (request.once) {
		curl_easy_setopt(easy, CURLOPT_MAXAGE_CONN, kOnceMaxIdleSeconds);
	}
	error_buffer[0] = '\0';
	ApplyTransportOptions(easy, options);

	if (request.method == "GET") {
		curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
	} else if (request.method == "POST") {
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
	} else {
		curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, request.method.c_str());
	}
	bool pieces = !request.body_borrowed.empty() || !request.body_tail.empty(); // the caller reads them
	if (!pieces && (!request.body.empty() || request.method == "POST" || request.method == "PUT")) {
		curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request.body.c_str());
		curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
		if (request.method == "GET") {
			// POSTFIELDS switches curl to POST; a GET with a JSON body keeps its method.
			curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, "GET");
		}
	}

	struct curl_slist *headers = nullptr;
	bool failed = false;
	for (const auto &[name, value] : request.headers) {
		std::string line = name + ": " + value;
		struct curl_slist *next = curl_slist_append(headers, line.c_str());
		if (next == nullptr) {
			failed = true;
			break;
		}
		headers = next;
	}
	if (!failed) {
		// No "Expect: 100-continue" round trip for large bodies.
		struct curl_slist *next = curl_slist_append(headers, "Expect:");
		failed = next == nullptr;
		headers = failed ? headers : next;
	}
	if (failed) {
		curl_slist_free_all(headers);
		throw Error(ErrorKind::kOutOfMemory, "out of memory building an HTTP request");
	}
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	return headers;
}

void CompleteTransfer(CURL *easy, CURLcode code, const Transfer &transfer, const HttpRequest &request,
                      const HttpOptions &options, const char *error_buffer, HttpResponse *response) {
	bool sent = transfer.sends > 0;
	std::string label = request.method + " " + request.url; // no secrets: they travel in headers
	if (transfer.too_large) {
		Error error(ErrorKind::kProtocol,
		            "Kintone's answer is larger than " + std::to_string(options.max_response_bytes >> 20) +
		                " MB and was refused",
		            "Answer to " + request.method + " " + request.url.substr(0, request.url.find('?')) + ".",
		            "kintone_fdw refuses answers larger than a few times the largest page Kintone sends; a proxy or "
		            "server sending more is misbehaving.");
		error.set_may_have_acted(true);
		throw error;
	}
	if (transfer.replay_refused) {
		Error error(ErrorKind::kConnection,
		            "the connection to Kintone was lost before the answer came, after the request was sent", label,
		            "libcurl wanted to send the request again on a new connection; kintone_fdw does not repeat a "
		            "request that changes data in Kintone, since the first one may have been processed.");
		error.set_may_have_acted(true);
		throw error;
	}
	if (code == CURLE_GOT_NOTHING && sent) {
		// The server (or a proxy) closed the connection without a byte of answer: say so in
		// words, keeping libcurl's text (Session::Explain's hints look for it).
		Error error(ErrorKind::kConnection,
		            "the connection to Kintone was closed without an answer, after the request was sent (" +
		                std::string(error_buffer[0] ? error_buffer : curl_easy_strerror(code)) + ")",
		            label);
		error.set_may_have_acted(true);
		throw error;
	}
	if (code != CURLE_OK) {
		std::string message = "could not complete the request to Kintone: ";
		message += error_buffer[0] ? error_buffer : curl_easy_strerror(code);
		Error error(ErrorKind::kConnection, message, label);
		error.set_may_have_acted(sent);
		throw error;
	}
	curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &response->status);
	char *content_type = nullptr;
	curl_easy_getinfo(easy, CURLINFO_CONTENT_TYPE, &content_type);
	if (content_type != nullptr) {
		response->content_type = content_type;
	}
}

} // namespace detail

// One easy handle driven by a multi handle: the multi handle owns the connection cache, and
// driving it ourselves lets the abort check run every kPollMs even while nothing arrives
// (curl's progress callback may be called only once a second on an idle connection).
struct HttpClient::Impl {
	CURL *easy = nullptr;
	CURLM *multi = nullptr;
	struct curl_slist *headers = nullptr; // of the request in flight
	bool done = false;
	CURLcode result = CURLE_OK;
	char error_buffer[CURL_ERROR_SIZE] = {0};
	Transfer transfer;
	BodySink sink;  // body_to_buffer
	BodyParts body; // body_borrowed

	~Impl() {
		if (multi != nullptr && easy != nullptr) {
			curl_multi_remove_handle(multi, easy);
		}
		curl_slist_free_all(headers);
		if (easy != nullptr) {
			curl_easy_cleanup(easy);
		}
		if (multi != nullptr) {
			curl_multi_cleanup(multi);
		}
	}
};

namespace {
constexpr int kPollMs = 50;
} // namespace

std::string HttpResponse::Header(std::string_view name) const {
	for (const auto &[key, value] : headers) {
		if (key == name) {
			return value;
		}
	}
	return {};
}

HttpClient::HttpClient(HttpOptions options) : impl_(new Impl), options_(std::move(options)) {
	EnsureCurlInitialised();
	impl_->easy = curl_easy_init();
	impl_->multi = curl_multi_init();
	if (impl_->easy == nullptr || impl_->multi == nullptr) {
		throw Error(ErrorKind::kOutOfMemory, "could not create a libcurl handle");
	}
}

HttpClient::~HttpClient() {
	Cancel();
}

void HttpClient::Start(const HttpRequest &request) {
	if (in_flight_) {
		Cancel();
	}
	CURL *easy = impl_->easy;
	current_ = request; // curl reads URL and body from here while the transfer runs
	cancel_pending_ = false;
	struct curl_slist *headers =
	    detail::SetUpTransfer(easy, current_, options_, &impl_->transfer, &response_, impl_->error_buffer);
	if (current_.body_to_buffer) {
		impl_->sink = BodySink();
		impl_->sink.transfer = &impl_->transfer;
		impl_->sink.easy = easy;
		curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, WriteToBuffer);
		curl_easy_setopt(easy, CURLOPT_WRITEDATA, &impl_->sink);
	}
	if (!current_.body_borrowed.empty() || !current_.body_tail.empty()) {
		// A file upload: read from the pieces, the caller's bytes never copied.
		impl_->body = BodyParts();
		impl_->body.parts[0] = current_.body;
		impl_->body.parts[1] = current_.body_borrowed;
		impl_->body.parts[2] = current_.body_tail;
		curl_easy_setopt(easy, CURLOPT_POST, 1L);
		curl_easy_setopt(easy, CURLOPT_READFUNCTION, ReadParts);
		curl_easy_setopt(easy, CURLOPT_READDATA, &impl_->body);
		curl_easy_setopt(easy, CURLOPT_SEEKFUNCTION, SeekParts);
		curl_easy_setopt(easy, CURLOPT_SEEKDATA, &impl_->body);
		curl_easy_setopt(
		    easy, CURLOPT_POSTFIELDSIZE_LARGE,
		    static_cast<curl_off_t>(current_.body.size() + current_.body_borrowed.size() + current_.body_tail.size()));
	}
	if (curl_multi_add_handle(impl_->multi, easy) != CURLM_OK) {
		curl_easy_setopt(easy, CURLOPT_HTTPHEADER, nullptr);
		curl_slist_free_all(headers);
		throw Error(ErrorKind::kInternal, "could not start an HTTP transfer");
	}
	impl_->headers = headers;
	impl_->done = false;
	impl_->result = CURLE_OK;
	in_flight_ = true;
	++stats_.requests;
}

bool HttpClient::Pump() noexcept {
	if (!in_flight_) {
		return false;
	}
	if (impl_->done) {
		return true;
	}
	int running = 0;
	if (curl_multi_perform(impl_->multi, &running) != CURLM_OK) {
		impl_->done = true;
		impl_->result = CURLE_FAILED_INIT;
		return true;
	}
	if (running == 0) {
		int queued = 0;
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(impl_->multi, &queued)) != nullptr) {
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == impl_->easy) {
				impl_->result = msg->data.result;
			}
		}
		impl_->done = true;
	}
	return impl_->done;
}

void HttpClient::Detach() noexcept {
	curl_multi_remove_handle(impl_->multi, impl_->easy);
	curl_easy_setopt(impl_->easy, CURLOPT_HTTPHEADER, nullptr);
	curl_slist_free_all(impl_->headers);
	impl_->headers = nullptr;
	in_flight_ = false;
}

void HttpClient::Cancel() noexcept {
	if (in_flight_) {
		Detach(); // removing the handle mid-transfer closes that connection
	}
}

HttpResponse &HttpClient::Finish() {
	return FinishImpl(current_.abortable, 0);
}

HttpResponse &HttpClient::FinishWithin(long max_wait_ms, bool abortable) {
	return FinishImpl(abortable, max_wait_ms);
}

int HttpClient::sends() const {
	return impl_->transfer.sends;
}

HttpResponse &HttpClient::FinishImpl(bool abortable, long max_wait_ms) {
	if (!in_flight_) {
		throw Error(ErrorKind::kInternal, "HttpClient::Finish without a request in flight");
	}
	using Clock = std::chrono::steady_clock;
	bool aborted = false;
	bool timed_out = false;
	bool bounded = max_wait_ms > 0;
	auto deadline = Clock::now() + std::chrono::milliseconds(max_wait_ms);
	while (!Pump()) {
		if (abortable && options_.should_abort != nullptr && options_.should_abort(options_.abort_arg)) {
			if (current_.abort_grace_ms <= 0) {
				aborted = true;
				break;
			}
			// The answer is still wanted (see HttpRequest::abort_grace_ms): wait a little more.
			abortable = false;
			cancel_pending_ = true;
			auto grace = Clock::now() + std::chrono::milliseconds(current_.abort_grace_ms);
			deadline = bounded ? std::min(deadline, grace) : grace;
			bounded = true;
		}
		if (bounded && Clock::now() >= deadline) {
			timed_out = true;
			break;
		}
		curl_multi_poll(impl_->multi, nullptr, 0, kPollMs, nullptr);
	}
	CURLcode code = impl_->result;
	Detach();
	stats_.bytes_received += static_cast<long long>(response_.body.size());
	bool sent = impl_->transfer.sends > 0;
	std::string label = current_.method + " " + current_.url; // no secrets: they travel in headers
	if (current_.body_to_buffer) {
		stats_.bytes_received += static_cast<long long>(impl_->sink.used);
		if (impl_->sink.overflow) {
			throw Error(ErrorKind::kProtocol,
			            impl_->sink.buffer != nullptr
			                ? "Kintone sent a file longer than its announced size"
			                : "Kintone sent a file larger than " + std::to_string(impl_->sink.capacity) + " bytes",
			            current_.method + " " + current_.url);
		}
	}

	if (aborted || (timed_out && cancel_pending_)) {
		Error error(ErrorKind::kCancelled, "the request to Kintone was cancelled", label);
		error.set_may_have_acted(sent);
		throw error;
	}
	if (timed_out) {
		Error error(ErrorKind::kConnection,
		            "the request to Kintone did not complete within " + std::to_string(max_wait_ms) + " ms", label);
		error.set_may_have_acted(sent);
		throw error;
	}
	detail::CompleteTransfer(impl_->easy, code, impl_->transfer, current_, options_, impl_->error_buffer, &response_);
	return response_;
}

long long HttpClient::AwaitBody() {
	if (!in_flight_ || !current_.body_to_buffer) {
		throw Error(ErrorKind::kInternal, "HttpClient::AwaitBody without a download in flight");
	}
	while (!Pump()) {
		if (impl_->sink.paused) {
			curl_off_t length = -1;
			if (curl_easy_getinfo(impl_->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK) {
				length = -1;
			}
			return length < 0 ? -1 : static_cast<long long>(length);
		}
		if (current_.abortable && options_.should_abort != nullptr && options_.should_abort(options_.abort_arg)) {
			Detach();
			throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
		}
		curl_multi_poll(impl_->multi, nullptr, 0, kPollMs, nullptr);
	}
	return -2;
}

void HttpClient::ReceiveInto(char *buffer, size_t capacity) noexcept {
	BodySink &sink = impl_->sink;
	sink.given = true;
	sink.buffer = buffer;
	sink.capacity = capacity;
	if (sink.paused && in_flight_) {
		sink.paused = false;
		curl_easy_pause(impl_->easy, CURLPAUSE_CONT); // may deliver the kept data at once
	}
}

size_t HttpClient::received() const {
	return impl_->sink.used;
}

HttpResponse &HttpClient::Perform(const HttpRequest &request) {
	Start(request);
	return Finish();
}

namespace detail {

MultiWaitFd::~MultiWaitFd() {
	if (timer_ >= 0) {
		close(timer_);
	}
	if (epoll_ >= 0) {
		close(epoll_);
	}
}

int MultiWaitFd::Fd(CURLM *multi, bool active, long tick_ms) noexcept {
	if (!ready_) {
		if (epoll_ < 0) {
			epoll_ = epoll_create1(EPOLL_CLOEXEC);
		}
		if (timer_ < 0) {
			timer_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		}
		if (epoll_ < 0 || timer_ < 0) {
			return -1;
		}
		struct epoll_event ev = {};
		ev.events = EPOLLIN;
		ev.data.fd = timer_;
		if (epoll_ctl(epoll_, EPOLL_CTL_ADD, timer_, &ev) != 0) {
			return -1;
		}
		ready_ = true;
		Arm(multi, active, tick_ms);
	}
	return epoll_;
}

void MultiWaitFd::Arm(CURLM *multi, bool active, long tick_ms) noexcept {
	if (!ready_) {
		return;
	}
	uint64_t expirations;
	while (read(timer_, &expirations, sizeof expirations) > 0) {
	}
	fd_set reads, writes, errors;
	FD_ZERO(&reads);
	FD_ZERO(&writes);
	FD_ZERO(&errors);
	int max_fd = -1;
	long timeout_ms = -1;
	if (active && multi != nullptr) {
		curl_multi_fdset(multi, &reads, &writes, &errors, &max_fd);
		curl_multi_timeout(multi, &timeout_ms);
	}
	std::set<int> now;
	for (int fd = 0; fd <= max_fd; ++fd) {
		uint32_t events =
		    (FD_ISSET(fd, &reads) ? uint32_t{EPOLLIN} : 0u) | (FD_ISSET(fd, &writes) ? uint32_t{EPOLLOUT} : 0u);
		if (events == 0) {
			continue;
		}
		struct epoll_event ev = {};
		ev.events = events;
		ev.data.fd = fd;
		// A socket closed and reopened under the same number has left the epoll set by itself.
		if (epoll_ctl(epoll_, EPOLL_CTL_MOD, fd, &ev) != 0 && epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) != 0) {
			continue; // watched by the tick only
		}
		now.insert(fd);
	}
	for (int fd : watched_) {
		if (now.count(fd) == 0) {
			epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr); // ENOENT when already closed
		}
	}
	watched_.swap(now);
	// Due when libcurl's timeout expires (0: at once), at the latest after a tick; nothing in
	// flight: the tick alone (a waiter still checks for cancels).
	long due = timeout_ms < 0 || timeout_ms > tick_ms ? tick_ms : timeout_ms;
	struct itimerspec spec = {};
	spec.it_value.tv_sec = due / 1000;
	spec.it_value.tv_nsec = (due % 1000) * 1000000L + (due == 0 ? 1 : 0); // zero would disarm
	timerfd_settime(timer_, 0, &spec, nullptr);
}

} // namespace detail

// The wait handle (see HttpClient::WaitFd): detail::MultiWaitFd over the client's multi handle.
struct HttpClient::WaitSet {
	detail::MultiWaitFd fd;
};

int HttpClient::WaitFd() noexcept {
	if (!wait_) {
		wait_.reset(new (std::nothrow) WaitSet);
		if (!wait_) {
			return -1;
		}
	}
	return wait_->fd.Fd(impl_->multi, in_flight_, kWaitTickMs);
}

void HttpClient::ArmWaitFd() noexcept {
	if (wait_) {
		wait_->fd.Arm(impl_->multi, in_flight_, kWaitTickMs);
	}
}

std::string UrlEncode(std::string_view text) {
	static const char kHex[] = "0123456789ABCDEF";
	std::string out;
	out.reserve(text.size() * 3);
	for (unsigned char c : text) {
		if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
			out += static_cast<char>(c);
		} else {
			out += '%';
			out += kHex[c >> 4];
			out += kHex[c & 15];
		}
	}
	return out;
}

} // namespace kintone
