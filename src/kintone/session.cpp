// Kintone session (see session.hpp).
#include "kintone/session.hpp"

#include "kintone/error.hpp"

#include <chrono>
#include <thread>

namespace kintone {

namespace {

constexpr long kCleanupTimeoutMs = 3000;

std::string ScalarText(const Json &value) {
	if (value.is_string()) {
		return value.get<std::string>();
	}
	if (value.is_boolean()) {
		return value.get<bool>() ? "true" : "false";
	}
	return value.dump();
}

// Sleeps in small slices so that a cancel request is noticed while waiting to retry.
bool SleepUnlessAborted(long ms, const HttpOptions &http) {
	auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
	while (std::chrono::steady_clock::now() < deadline) {
		if (http.should_abort != nullptr && http.should_abort(http.abort_arg)) {
			return false;
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(20));
	}
	return true;
}

} // namespace

std::string Base64Encode(std::string_view data) {
	static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	std::string out;
	out.reserve((data.size() + 2) / 3 * 4);
	size_t i = 0;
	for (; i + 2 < data.size(); i += 3) {
		unsigned n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
		             static_cast<unsigned char>(data[i + 2]);
		out += kAlphabet[(n >> 18) & 63];
		out += kAlphabet[(n >> 12) & 63];
		out += kAlphabet[(n >> 6) & 63];
		out += kAlphabet[n & 63];
	}
	if (i < data.size()) {
		unsigned n = static_cast<unsigned char>(data[i]) << 16;
		if (i + 1 < data.size()) {
			n |= static_cast<unsigned char>(data[i + 1]) << 8;
		}
		out += kAlphabet[(n >> 18) & 63];
		out += kAlphabet[(n >> 12) & 63];
		out += i + 1 < data.size() ? kAlphabet[(n >> 6) & 63] : '=';
		out += '=';
	}
	return out;
}

Session::Session(SessionConfig config) : config_(std::move(config)), http_(config_.http) {}

std::string Session::Path(std::string_view endpoint, long long guest_space_id) const {
	long long guest = guest_space_id < 0 ? config_.guest_space_id : guest_space_id;
	std::string path = guest > 0 ? "/k/guest/" + std::to_string(guest) + "/v1/" : std::string("/k/v1/");
	path += endpoint;
	return path;
}

std::string Session::EncodeQuery(const Json &params) {
	std::string out;
	auto append = [&out](const std::string &key, const std::string &value) {
		if (!out.empty()) {
			out += '&';
		}
		out += UrlEncode(key);
		out += '=';
		out += UrlEncode(value);
	};
	for (auto it = params.begin(); it != params.end(); ++it) {
		if (it->is_null()) {
			continue;
		}
		if (it->is_array()) {
			size_t i = 0;
			for (const auto &item : *it) {
				append(it.key() + "[" + std::to_string(i++) + "]", ScalarText(item));
			}
		} else {
			append(it.key(), ScalarText(*it));
		}
	}
	return out;
}

void Session::AddAuthHeaders(HeaderList &headers) const {
	const Credentials &c = config_.credentials;
	// Exactly one mode, as the official client does: password wins over API tokens.
	if (!c.username.empty()) {
		headers.emplace_back("X-Cybozu-Authorization", Base64Encode(c.username + ":" + c.password));
	} else if (!c.api_tokens.empty()) {
		std::string joined;
		for (const auto &token : c.api_tokens) {
			joined += (joined.empty() ? "" : ",") + token;
		}
		headers.emplace_back("X-Cybozu-API-Token", joined);
	}
}

HttpRequest Session::BuildRequest(const std::string &method, const std::string &path, const std::string &query,
                                  const std::string &body, bool method_override, bool cleanup) const {
	HttpRequest request;
	request.method = method_override ? "POST" : method;
	request.url = config_.base.ToString() + path;
	if (!query.empty()) {
		request.url += "?" + query;
	}
	AddAuthHeaders(request.headers);
	if (method_override) {
		request.headers.emplace_back("X-HTTP-Method-Override", method);
	}
	if (!body.empty()) {
		request.headers.emplace_back("Content-Type", "application/json");
	}
	request.body = body;
	if (cleanup) {
		request.abortable = false;
		request.timeout_ms = kCleanupTimeoutMs;
	}
	return request;
}

// Turns a finished response into the body or an Error; true when the request should be retried.
bool Session::ShouldRetry(const HttpResponse &response, const std::string &label, bool idempotent, bool cleanup,
                          int attempt) const {
	if (response.status >= 200 && response.status < 300) {
		return false;
	}
	Error error = ErrorFromResponse(response.status, response.body, response.content_type);
	// GAIA_TO04 is refused before any work is done, so even a write may be repeated.
	bool safe = idempotent || error.code() == "GAIA_TO04";
	if (!error.retryable() || !safe || cleanup || attempt >= config_.max_retries || error.code() == "GAIA_TM12") {
		error.set_context("Kintone request: " + label);
		throw error;
	}
	return true;
}

const HttpResponse &Session::Execute(const HttpRequest &request, const std::string &label, bool idempotent,
                                     bool cleanup, int first_attempt) {
	long delay = config_.retry_base_delay_ms << first_attempt;
	for (int attempt = first_attempt;; ++attempt) {
		if (attempt > first_attempt || first_attempt > 0) {
			if (!SleepUnlessAborted(delay, config_.http)) {
				throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
			}
			delay *= 2;
		}
		pending_owner_ = nullptr; // this request replaces (cancels) any pending one
		HttpResponse &response = http_.Perform(request);
		if (!ShouldRetry(response, label, idempotent, cleanup, attempt)) {
			return response;
		}
	}
}

const HttpResponse &Session::Perform(const std::string &method, const std::string &path, const std::string &query,
                                     const std::string &body, bool method_override, bool idempotent, bool cleanup) {
	HttpRequest request = BuildRequest(method, path, query, body, method_override, cleanup);
	return Execute(request, method + " " + path, idempotent, cleanup, 0);
}

HttpRequest Session::BuildGet(std::string_view endpoint, const Json &params, long long guest_space_id,
                              std::string *label) const {
	std::string path = Path(endpoint, guest_space_id);
	std::string query = EncodeQuery(params);
	*label = "GET " + path;
	if (config_.base.ToString().size() + path.size() + query.size() + 1 <= config_.max_query_string_len) {
		return BuildRequest("GET", path, query, "", false, false);
	}
	return BuildRequest("GET", path, "", params.dump(), true, false);
}

void Session::StartGetRaw(const void *owner, std::string_view endpoint, const Json &params, long long guest_space_id) {
	pending_ = BuildGet(endpoint, params, guest_space_id, &pending_label_);
	pending_owner_ = nullptr;
	http_.Start(pending_);
	pending_owner_ = owner;
}

const std::string *Session::FinishGetRaw(const void *owner) {
	if (owner == nullptr || pending_owner_ != owner || !http_.in_flight()) {
		return nullptr;
	}
	pending_owner_ = nullptr;
	HttpResponse &response = http_.Finish();
	if (!ShouldRetry(response, pending_label_, true, false, 0)) {
		return &response.body;
	}
	return &Execute(pending_, pending_label_, true, false, 1).body;
}

void Session::CancelPending(const void *owner) noexcept {
	if (owner != nullptr && pending_owner_ == owner) {
		pending_owner_ = nullptr;
		http_.Cancel();
	}
}

const std::string &Session::GetRaw(std::string_view endpoint, const Json &params, long long guest_space_id) {
	std::string label;
	HttpRequest request = BuildGet(endpoint, params, guest_space_id, &label);
	return Execute(request, label, true, false, 0).body;
}

Json Session::Get(std::string_view endpoint, const Json &params, long long guest_space_id) {
	const std::string &body = GetRaw(endpoint, params, guest_space_id);
	Json doc = Json::parse(body, nullptr, false);
	if (doc.is_discarded()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a response that is not JSON",
		            "GET " + Path(endpoint, guest_space_id));
	}
	return doc;
}

void Session::SendCleanup(const std::string &method, std::string_view endpoint, const Json &body,
                          long long guest_space_id) {
	Perform(method, Path(endpoint, guest_space_id), "", body.dump(), false, false, true);
}

Json Session::Send(const std::string &method, std::string_view endpoint, const Json &body, long long guest_space_id) {
	return SendText(method, endpoint, body.dump(), guest_space_id);
}

Json Session::SendText(const std::string &method, std::string_view endpoint, const std::string &body,
                       long long guest_space_id) {
	std::string path = Path(endpoint, guest_space_id);
	const HttpResponse &response = Perform(method, path, "", body, false, false);
	Json doc = Json::parse(response.body, nullptr, false);
	if (doc.is_discarded()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a response that is not JSON", method + " " + path);
	}
	return doc;
}

} // namespace kintone
