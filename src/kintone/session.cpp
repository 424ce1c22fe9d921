// Kintone session (see session.hpp).
#include "kintone/session.hpp"

#include "kintone/error.hpp"
#include "kintone/messages.hpp"

#include <algorithm>
#include <chrono>
#include <optional>
#include <random>
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

Session::Session(SessionConfig config) : config_(std::move(config)), http_(config_.http) {
	set_locale("");
}

void Session::set_locale(std::string_view lc_messages) {
	if (lc_messages != locale_) {
		locale_ = std::string(lc_messages);
		accept_language_ = AcceptLanguage(config_.language, lc_messages);
	}
}

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

std::vector<std::string> SecretValues(const SessionConfig &config) {
	const Credentials &c = config.credentials;
	std::vector<std::string> out;
	auto add = [&out](const std::string &s) {
		if (!s.empty()) {
			out.push_back(s);
		}
	};
	std::string joined;
	for (const auto &token : c.api_tokens) {
		add(token);
		joined += (joined.empty() ? "" : ",") + token;
	}
	if (c.api_tokens.size() > 1) {
		add(joined);
	}
	add(c.password);
	if (!c.username.empty()) {
		add(Base64Encode(c.username + ":" + c.password));
	}
	add(c.basic_auth_password);
	if (!c.basic_auth_user.empty()) {
		add(Base64Encode(c.basic_auth_user + ":" + c.basic_auth_password));
	}
	add(config.http.ssl_key_password);
	add(config.http.proxy_password);
	// Longest first, so that a secret containing another is redacted whole.
	std::sort(out.begin(), out.end(), [](const std::string &a, const std::string &b) { return a.size() > b.size(); });
	return out;
}

void Session::AddAuthHeaders(HeaderList &headers) const {
	const Credentials &c = config_.credentials;
	// Exactly one mode, as the official client does: password, else OAuth, else API tokens
	// (the validator refuses OAuth together with the others).
	switch (c.mode()) {
	case AuthMode::kPassword:
		headers.emplace_back("X-Cybozu-Authorization", Base64Encode(c.username + ":" + c.password));
		break;
	case AuthMode::kOAuth:
		headers.emplace_back("Authorization", "Bearer " + c.oauth->AccessToken());
		break;
	case AuthMode::kApiToken: {
		std::string joined;
		for (const auto &token : c.api_tokens) {
			joined += (joined.empty() ? "" : ",") + token;
		}
		headers.emplace_back("X-Cybozu-API-Token", joined);
		break;
	}
	case AuthMode::kNone:
		break;
	}
	// The domain's extra Basic layer travels with password or tokens (never with OAuth: both
	// use the Authorization header).
	if (!c.basic_auth_user.empty() && c.mode() != AuthMode::kOAuth) {
		headers.emplace_back("Authorization", "Basic " + Base64Encode(c.basic_auth_user + ":" + c.basic_auth_password));
	}
}

bool Session::RefreshAfter401(HttpRequest &request, const HttpResponse &response) {
	const Credentials &c = config_.credentials;
	if (response.status != 401 || c.mode() != AuthMode::kOAuth) {
		return false;
	}
	std::string rejected;
	for (auto &[name, value] : request.headers) {
		if (name == "Authorization" && value.rfind("Bearer ", 0) == 0) {
			rejected = value.substr(7);
		}
	}
	std::string fresh = c.oauth->Refresh(rejected);
	for (auto &[name, value] : request.headers) {
		if (name == "Authorization") {
			value = "Bearer " + fresh;
		}
	}
	return true;
}

namespace {

bool Contains(const std::string &text, const char *part) {
	return text.find(part) != std::string::npos;
}

} // namespace

void Session::Explain(Error &error) const {
	const Credentials &c = config_.credentials;
	const std::string &owner = config_.credential_owner;
	const std::string &code = error.code();
	auto reword = [&error](const std::string &message, const std::string &hint) {
		// Kintone's own message goes to DETAIL, before the code and request id.
		std::string detail = error.message();
		if (!error.detail().empty()) {
			detail += "\n" + error.detail();
		}
		error.set_message(error.code().empty() ? message : message + " (" + error.code() + ")");
		error.set_detail(detail);
		error.set_hint(hint);
	};
	if (code == "CB_WA01") {
		reword("Kintone refused the username and password of " + owner,
		       "Check the options username and password of the user mapping.");
	} else if (code == "GAIA_IA02") {
		reword("Kintone refused the API token(s) of " + owner,
		       "Each token in api_token must be a token generated (and saved with \"Update App\") in an app.");
	} else if (code == "GAIA_DA03") {
		reword("Kintone refused the API tokens of " + owner + ": two of them belong to the same app",
		       "Give at most one token per app in api_token.");
	} else if (code == "GAIA_NO01") {
		reword("Kintone refused the request: the API token(s) of " + owner + " do not allow it",
		       "Enable the needed permission (view, add, edit, delete) on the token in the app's settings.");
	} else if (code == "CB_NO02" && c.mode() == AuthMode::kOAuth) {
		error.set_hint("The OAuth scope granted to " + owner +
		               " may not cover this request: reading records needs k:app_record:read, reading the form "
		               "k:app_settings:read (option oauth_scope; authorise again after changing it).");
	} else if (error.http_status() == 401 && code.empty()) {
		if (!c.basic_auth_user.empty()) {
			reword("Kintone's domain Basic authentication refused basic_auth_user and basic_auth_password of " + owner,
			       "Check the options basic_auth_user and basic_auth_password of the user mapping.");
		} else {
			reword("Kintone asks for the domain's Basic authentication, which " + owner + " does not give",
			       "Set the options basic_auth_user and basic_auth_password of the user mapping.");
		}
	} else if (error.http_status() == 401 && c.mode() == AuthMode::kOAuth) {
		reword("Kintone refused the OAuth access token of " + owner,
		       "Authorise again: SELECT kintone_oauth_authorization_url('SERVER'), then kintone_oauth_exchange_code.");
	} else if (error.http_status() == 401 && c.mode() == AuthMode::kNone) {
		reword(owner + " has no credentials and Kintone asks for them",
		       "Set api_token, username and password, or the oauth_* options in the user mapping.");
	} else if (error.http_status() == 407) {
		if (!config_.http.proxy_user.empty()) {
			reword("the proxy refused proxy_user and proxy_password of " + owner,
			       "Check the options proxy_user and proxy_password.");
		} else {
			reword("the proxy asks for authentication, which " + owner + " does not give",
			       "Set the options proxy_user and proxy_password.");
		}
	} else if (error.kind() == ErrorKind::kConnection) {
		const std::string &m = error.message();
		if (Contains(m, "407") || Contains(m, "Proxy-Authorization") || Contains(m, "proxy authentication")) {
			error.set_message(m + " (the proxy refused the credentials proxy_user/proxy_password of " + owner + ")");
			error.set_hint("Check the options proxy_user and proxy_password.");
		} else if (Contains(m, "no alternative certificate subject name") ||
		           Contains(m, "does not match target host")) {
			error.set_hint("Kintone's certificate is for another host name: check the server's url (ssl_verify 'false' "
			               "turns verification off and is unsafe).");
		} else if (Contains(m, "SSL certificate problem") || Contains(m, "certificate verify failed")) {
			error.set_hint("Kintone's certificate could not be verified. Set ssl_ca_file to the CA certificate that "
			               "signed it (ssl_verify 'false' turns verification off and is unsafe).");
		} else if (Contains(m, "client certificate") || Contains(m, "private key") || Contains(m, "PKCS12") ||
		           Contains(m, "P12") || Contains(m, "SSL_CTX_use")) {
			error.set_message(m + " (the client certificate ssl_cert/ssl_key of " + owner + " could not be used)");
			error.set_hint("Check ssl_cert, ssl_key, ssl_cert_type and ssl_key_password.");
		} else if (config_.base.scheme == "https" &&
		           (Contains(m, "alert") || Contains(m, "SSL") || Contains(m, "TLS") || Contains(m, "reset by peer") ||
		            Contains(m, "getpeername") || Contains(m, "not connected") || Contains(m, "Recv failure") ||
		            Contains(m, "Send failure") || Contains(m, "Empty reply") || Contains(m, "receiving data") ||
		            Contains(m, "sending data"))) {
			// The handshake or the first read failed after connecting: with Kintone's secure
			// access hosts that means a missing or refused client certificate.
			error.set_hint(config_.http.ssl_cert.empty()
			                   ? "The server may require a TLS client certificate (Kintone's secure access hosts "
			                     "do): set ssl_cert (and ssl_key) in the user mapping."
			                   : "The server may have refused the TLS client certificate ssl_cert of " + owner + ".");
		}
	}
	error.Redact(config_.secrets);
}

HttpRequest Session::BuildRequest(const std::string &method, const std::string &path, const std::string &query,
                                  const std::string &body, bool method_override, bool cleanup, bool once) const {
	HttpRequest request;
	request.method = method_override ? "POST" : method;
	request.url = config_.base.ToString() + path;
	if (!query.empty()) {
		request.url += "?" + query;
	}
	AddAuthHeaders(request.headers);
	if (!accept_language_.empty()) {
		request.headers.emplace_back("Accept-Language", accept_language_);
	}
	if (method_override) {
		request.headers.emplace_back("X-HTTP-Method-Override", method);
	}
	if (!body.empty()) {
		request.headers.emplace_back("Content-Type", "application/json");
	}
	request.body = body;
	request.once = once;
	if (cleanup) {
		request.abortable = false;
		request.timeout_ms = kCleanupTimeoutMs;
	}
	return request;
}

namespace {

// The Error of a non-2xx answer. may_have_acted: only one of Kintone's own errors answered
// with 4xx (or 520, which Kintone uses for some refusals, contract §8.1) proves that Kintone
// did not act; a gateway page, a 5xx or a non-JSON body proves nothing.
Error ResponseError(const HttpResponse &response, const std::string &label) {
	Error error = ErrorFromResponse(response.status, response.body, response.content_type);
	bool refused =
	    !error.code().empty() && ((response.status >= 400 && response.status < 500) || response.status == 520);
	error.set_may_have_acted(!refused);
	error.set_context("Kintone request: " + label);
	return error;
}

// Whether an idempotent read answered with this error is worth sending again: rate limits,
// Kintone's lock errors, gateway and server errors (5xx, but not 501 and not 520, which
// Kintone uses for refusals).
bool RetryableRead(const HttpResponse &response, const Error &error) {
	if (error.code() == "GAIA_TM12") {
		return false;
	}
	if (error.retryable() || response.status == 429) {
		return true;
	}
	return response.status >= 500 && response.status != 501 && response.status != 520;
}

// The retry delay with +-25% jitter, so that backends refused together do not come back
// together.
long Jittered(long delay) {
	static std::minstd_rand random(static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count()));
	long quarter = delay / 4;
	if (quarter <= 0) {
		return delay;
	}
	return delay - quarter + static_cast<long>(random() % static_cast<unsigned long>(2 * quarter + 1));
}

} // namespace

bool Session::ShouldRetry(const HttpResponse &response, const std::string &label, bool idempotent, bool cleanup,
                          int attempt) const {
	if (response.status >= 200 && response.status < 300) {
		return false;
	}
	Error error = ResponseError(response, label);
	// GAIA_TO04 is refused before any work is done, so even a write may be repeated.
	bool retry = idempotent ? RetryableRead(response, error) : error.code() == "GAIA_TO04";
	if (!retry || cleanup || attempt >= config_.max_retries) {
		throw error;
	}
	return true;
}

bool Session::ShouldRetry(const Error &error, bool idempotent, bool cleanup, int attempt) const {
	// A lost connection or a cut answer: only a read may be sent again.
	return idempotent && !cleanup && error.kind() == ErrorKind::kConnection && attempt < config_.max_retries;
}

void Session::Accept(const HttpResponse &response, const std::string &label) {
	std::string warning = response.Header("x-cybozu-warning");
	if (warning.empty()) {
		return;
	}
	std::string text = "Kintone warned: " + warning + " (" + label + ")";
	if (std::find(warnings_.begin(), warnings_.end(), text) == warnings_.end()) {
		warnings_.push_back(std::move(text));
	}
}

std::vector<std::string> Session::TakeWarnings() {
	std::vector<std::string> out;
	out.swap(warnings_);
	return out;
}

const HttpResponse &Session::Execute(HttpRequest request, const std::string &label, bool idempotent, bool cleanup,
                                     int first_attempt, bool may_refresh) {
	// A write in flight is finished (and its outcome kept) first; a cleanup does not wait for it.
	SettleWrite(cleanup ? WriteWait::kAbandon : WriteWait::kNormal);
	using Clock = std::chrono::steady_clock;
	// request_timeout bounds all attempts of a request together.
	long budget = cleanup ? 0 : config_.http.timeout_ms;
	auto deadline = Clock::now() + std::chrono::milliseconds(budget);
	long delay = config_.retry_base_delay_ms << first_attempt;
	std::optional<Error> last;
	try {
		bool refreshed = false;
		for (int attempt = first_attempt;; ++attempt) {
			if ((attempt > first_attempt || first_attempt > 0) && !refreshed) {
				long wait = Jittered(delay);
				if (budget > 0 && Clock::now() + std::chrono::milliseconds(wait) >= deadline && last) {
					throw *last; // no time left for another attempt within request_timeout
				}
				if (!SleepUnlessAborted(wait, config_.http)) {
					throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
				}
				delay *= 2;
			}
			if (budget > 0) {
				auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
				request.timeout_ms = std::max<long>(1, static_cast<long>(left));
			}
			pending_owner_ = nullptr; // this request replaces (cancels) any pending one
			HttpResponse *response = nullptr;
			try {
				response = &http_.Perform(request);
			} catch (Error &e) {
				if (!ShouldRetry(e, idempotent, cleanup, attempt)) {
					throw;
				}
				e.set_context("Kintone request: " + label);
				last = e;
				refreshed = false;
				continue;
			}
			refreshed = false;
			if (may_refresh && RefreshAfter401(request, *response)) {
				may_refresh = false; // one refresh per request, sent again at once
				refreshed = true;
				--attempt;
				continue;
			}
			if (response->status >= 200 && response->status < 300) {
				Accept(*response, label);
				return *response;
			}
			ShouldRetry(*response, label, idempotent, cleanup, attempt); // throws unless retried
			last = ResponseError(*response, label);
		}
	} catch (Error &e) {
		if (e.context().empty()) {
			e.set_context("Kintone request: " + label);
		}
		Explain(e);
		throw;
	}
}

const HttpResponse &Session::Perform(const std::string &method, const std::string &path, const std::string &query,
                                     const std::string &body, bool method_override, bool idempotent, bool cleanup,
                                     long abort_grace_ms) {
	HttpRequest request = BuildRequest(method, path, query, body, method_override, cleanup, !idempotent && !cleanup);
	request.abort_grace_ms = abort_grace_ms;
	return Execute(request, method + " " + path, idempotent, cleanup, 0);
}

HttpRequest Session::BuildGet(std::string_view endpoint, const Json &params, long long guest_space_id,
                              std::string *label, bool once) const {
	std::string path = Path(endpoint, guest_space_id);
	std::string query = EncodeQuery(params);
	*label = "GET " + path;
	if (config_.base.ToString().size() + path.size() + query.size() + 1 <= config_.max_query_string_len) {
		return BuildRequest("GET", path, query, "", false, false, once);
	}
	return BuildRequest("GET", path, "", params.dump(), true, false, once);
}

HttpRequest Session::BuildRead(std::string_view endpoint, const Json &params, long long guest_space_id,
                               std::string *label) const {
	return BuildGet(endpoint, params, guest_space_id, label);
}

bool Session::AcceptRead(HttpRequest &request, const HttpResponse &response, const std::string &label, int attempt,
                         bool *refreshed) {
	*refreshed = false;
	try {
		if (response.status >= 200 && response.status < 300) {
			Accept(response, label);
			return true;
		}
		if (attempt == 0 && RefreshAfter401(request, response)) {
			*refreshed = true;
			return false;
		}
		ShouldRetry(response, label, true, false, attempt); // throws unless retried
		return false;
	} catch (Error &e) {
		if (e.context().empty()) {
			e.set_context("Kintone request: " + label);
		}
		Explain(e);
		throw;
	}
}

bool Session::RetryRead(Error &error, const std::string &label, int attempt) {
	if (ShouldRetry(error, true, false, attempt)) {
		return true;
	}
	if (error.context().empty()) {
		error.set_context("Kintone request: " + label);
	}
	Explain(error);
	throw error;
}

long Session::RetryDelay(int attempt) const {
	return Jittered(config_.retry_base_delay_ms << std::min(attempt, 10));
}

HttpRequest Session::BuildWrite(const std::string &method, std::string_view endpoint, const std::string &body,
                                long long guest_space_id, std::string *label) const {
	std::string path = Path(endpoint, guest_space_id);
	*label = method + " " + path;
	return BuildRequest(method, path, "", body, false, false, true); // once
}

bool Session::AcceptWrite(const HttpResponse &response, const std::string &label, int attempt, bool may_retry,
                          Json *result) {
	try {
		if (response.status >= 200 && response.status < 300) {
			Accept(response, label);
			*result = ParseWriteResponse(response, label);
			return true;
		}
		// Only 429 GAIA_TO04 (refused before any work) is sent again; not while cleaning up.
		ShouldRetry(response, label, false, !may_retry, attempt); // throws unless retried
		return false;
	} catch (Error &e) {
		ExplainWrite(e, label);
		throw;
	}
}

void Session::ExplainWrite(Error &error, const std::string &label) const {
	if (error.context().empty()) {
		error.set_context("Kintone request: " + label);
	}
	Explain(error);
}

void Session::StartGetRaw(const void *owner, std::string_view endpoint, const Json &params, long long guest_space_id) {
	SettleWrite(WriteWait::kNormal); // the session carries one request at a time; a write is not dropped
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
	try {
		HttpResponse *response = nullptr;
		try {
			response = &http_.Finish();
		} catch (Error &e) {
			if (!ShouldRetry(e, true, false, 0)) {
				throw;
			}
			return &Execute(pending_, pending_label_, true, false, 1).body;
		}
		if (RefreshAfter401(pending_, *response)) {
			return &Execute(pending_, pending_label_, true, false, 0, false).body;
		}
		if (response->status >= 200 && response->status < 300) {
			Accept(*response, pending_label_);
			return &response->body;
		}
		ShouldRetry(*response, pending_label_, true, false, 0); // throws unless retried
	} catch (Error &e) {
		if (e.context().empty()) {
			e.set_context("Kintone request: " + pending_label_);
		}
		Explain(e);
		throw;
	}
	return &Execute(pending_, pending_label_, true, false, 1).body;
}

void Session::CancelPending(const void *owner) noexcept {
	if (owner != nullptr && pending_owner_ == owner && write_owner_ == nullptr) { // writes are never dropped
		pending_owner_ = nullptr;
		http_.Cancel();
	}
}

const std::string &Session::GetRaw(std::string_view endpoint, const Json &params, long long guest_space_id) {
	std::string label;
	HttpRequest request = BuildGet(endpoint, params, guest_space_id, &label);
	return Execute(request, label, true, false, 0).body;
}

const std::string &Session::GetRawOnce(std::string_view endpoint, const Json &params, long long guest_space_id) {
	std::string label;
	HttpRequest request = BuildGet(endpoint, params, guest_space_id, &label, true);
	return Execute(request, label, false, false, 0).body;
}

Json Session::Get(std::string_view endpoint, const Json &params, long long guest_space_id) {
	const std::string &body = GetRaw(endpoint, params, guest_space_id);
	Json doc = Json::parse(body, nullptr, false);
	if (!doc.is_object()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a response that is not a JSON object",
		            "GET " + Path(endpoint, guest_space_id));
	}
	return doc;
}

void Session::SendCleanup(const std::string &method, std::string_view endpoint, const Json &body,
                          long long guest_space_id) {
	Perform(method, Path(endpoint, guest_space_id), "", body.dump(), false, false, true);
}

Json Session::Send(const std::string &method, std::string_view endpoint, const Json &body, long long guest_space_id,
                   long abort_grace_ms) {
	return SendText(method, endpoint, body.dump(), guest_space_id, abort_grace_ms);
}

Json Session::ParseWriteResponse(const HttpResponse &response, const std::string &label) const {
	Json doc = Json::parse(response.body, nullptr, false);
	if (!doc.is_object()) {
		Error error(
		    ErrorKind::kProtocol,
		    "Kintone answered with HTTP " + std::to_string(response.status) + " and a body that is not a JSON object",
		    response.body.empty() ? "The body is empty." : "The body starts with: " + response.body.substr(0, 200),
		    "A proxy or gateway between kintone_fdw and Kintone may have answered instead of Kintone.");
		error.set_context("Kintone request: " + label);
		error.set_may_have_acted(true);
		throw error;
	}
	return doc;
}

void Session::StartSendText(const void *owner, const std::string &method, std::string_view endpoint,
                            const std::string &body, long long guest_space_id) {
	SettleWrite(WriteWait::kNormal); // another statement's write in flight: finished first, never dropped
	if (http_.in_flight()) {
		// A prefetched read: its owner finds it gone (FinishGetRaw returns nullptr) and asks again.
		pending_owner_ = nullptr;
		http_.Cancel();
	}
	std::string path = Path(endpoint, guest_space_id);
	write_request_ = BuildRequest(method, path, "", body, false, false, true);
	write_label_ = method + " " + path;
	pending_owner_ = nullptr;
	http_.Start(write_request_);
	pending_owner_ = owner;
	write_owner_ = owner;
}

Json Session::CompleteWrite(WriteWait wait) {
	write_owner_ = nullptr;
	pending_owner_ = nullptr;
	try {
		HttpResponse *response = nullptr;
		switch (wait) {
		case WriteWait::kNormal:
			response = &http_.Finish();
			break;
		case WriteWait::kSettle:
			response = &http_.FinishWithin(
			    config_.http.timeout_ms > 0 ? config_.http.timeout_ms : kWriteSettleTimeoutMs, true);
			break;
		case WriteWait::kAbandon:
			if (!http_.Pump()) {
				bool sent = http_.sends() > 0;
				http_.Cancel();
				Error error(ErrorKind::kCancelled,
				            sent ? "the write to Kintone in flight was abandoned by the cancel"
				                 : "the write to Kintone was cancelled before it was sent",
				            write_label_);
				error.set_may_have_acted(sent);
				throw error;
			}
			response = &http_.FinishWithin(0, false); // already complete
			break;
		}
		// Kintone answers 401 and 429 GAIA_TO04 before doing anything: those may be sent again
		// (not while cleaning up, where an error is as good as an answer).
		if (wait == WriteWait::kNormal && RefreshAfter401(write_request_, *response)) {
			return ParseWriteResponse(Execute(write_request_, write_label_, false, false, 0, false), write_label_);
		}
		if (response->status >= 200 && response->status < 300) {
			Accept(*response, write_label_);
			return ParseWriteResponse(*response, write_label_);
		}
		ShouldRetry(*response, write_label_, false, wait != WriteWait::kNormal, 0); // throws unless retried
	} catch (Error &e) {
		if (e.context().empty()) {
			e.set_context("Kintone request: " + write_label_);
		}
		Explain(e);
		throw;
	}
	return ParseWriteResponse(Execute(write_request_, write_label_, false, false, 1), write_label_);
}

void Session::SettleWrite(WriteWait wait) noexcept {
	if (write_owner_ == nullptr) {
		return;
	}
	const void *owner = write_owner_;
	try {
		SettledWrite settled{owner, Json(), nullptr};
		try {
			settled.result = CompleteWrite(wait);
		} catch (...) {
			settled.error = std::current_exception();
		}
		settled_.push_back(std::move(settled));
	} catch (...) {
		// Out of memory keeping the outcome: FinishSendText reports an unknown outcome.
		write_owner_ = nullptr;
		http_.Cancel();
	}
}

Json Session::FinishSendText(const void *owner, WriteWait wait) {
	if (owner != nullptr && write_owner_ == owner) {
		return CompleteWrite(wait);
	}
	for (auto it = settled_.begin(); it != settled_.end(); ++it) {
		if (it->owner == owner) {
			SettledWrite settled = std::move(*it);
			settled_.erase(it);
			if (settled.error) {
				std::rethrow_exception(settled.error);
			}
			return std::move(settled.result);
		}
	}
	Error error(ErrorKind::kConnection, "the outcome of a write to Kintone was lost",
	            "kintone_fdw could not keep the answer to " + write_label_ + ".");
	error.set_may_have_acted(true);
	throw error;
}

void Session::ForgetWrite(const void *owner) noexcept {
	if (owner == nullptr) {
		return;
	}
	if (write_owner_ == owner) {
		SettleWrite(WriteWait::kAbandon);
	}
	settled_.erase(
	    std::remove_if(settled_.begin(), settled_.end(), [owner](const SettledWrite &s) { return s.owner == owner; }),
	    settled_.end());
}

Json Session::SendMultipart(std::string_view endpoint, const std::string &content_type, const std::string &head,
                            std::string_view data, const std::string &tail, long long guest_space_id) {
	std::string path = Path(endpoint, guest_space_id);
	HttpRequest request = BuildRequest("POST", path, "", "", false, false, true); // once: never replayed
	request.headers.emplace_back("Content-Type", content_type);
	request.body = head;
	request.body_borrowed = data;
	request.body_tail = tail;
	const HttpResponse &response = Execute(std::move(request), "POST " + path, false, false, 0);
	Json doc = Json::parse(response.body, nullptr, false);
	if (doc.is_discarded()) {
		throw Error(ErrorKind::kProtocol, "Kintone returned a response that is not JSON", "POST " + path);
	}
	return doc;
}

long long Session::StartDownload(std::string_view endpoint, const Json &params, long long guest_space_id) {
	SettleWrite(WriteWait::kNormal); // one request at a time; a write in flight is not dropped
	download_ = BuildGet(endpoint, params, guest_space_id, &download_label_);
	download_.body_to_buffer = true;
	download_attempt_ = 0;
	download_delay_ = config_.retry_base_delay_ms;
	download_may_refresh_ = true;
	try {
		download_length_ = SendDownload();
		return download_length_;
	} catch (Error &e) {
		Explain(e);
		throw;
	}
}

// Sends download_ until a 2xx answer's headers are in: its Content-Length (-1 without one), or
// 0 with download_done_ when the answer has ended already (an empty file). Retried like a read:
// a 401 after a token refresh, Kintone's retryable errors and a dropped connection, up to
// max_retries; any other refusal throws.
long long Session::SendDownload() {
	download_done_ = false;
	downloaded_ = nullptr;
	for (;; ++download_attempt_) {
		pending_owner_ = nullptr; // this request replaces (cancels) any pending one
		http_.Start(download_);
		long long length = http_.AwaitBody();
		if (length != -2) {
			return length; // a 2xx answer whose body waits for the caller's memory
		}
		const HttpResponse *response = nullptr;
		try {
			response = &http_.Finish();
		} catch (Error &e) {
			if (e.kind() != ErrorKind::kConnection || download_attempt_ >= config_.max_retries) {
				throw;
			}
		}
		if (response != nullptr) {
			if (download_may_refresh_ && RefreshAfter401(download_, *response)) {
				download_may_refresh_ = false; // one refresh, sent again at once
				--download_attempt_;
				continue;
			}
			if (!ShouldRetry(*response, download_label_, true, false, download_attempt_)) {
				download_done_ = true; // a 2xx answer without a body: an empty file
				downloaded_ = &response->body;
				return 0;
			}
		}
		if (!SleepUnlessAborted(download_delay_, config_.http)) {
			throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
		}
		download_delay_ *= 2;
	}
}

size_t Session::FinishDownload(char *buffer, size_t capacity) {
	if (download_done_) {
		download_done_ = false;
		return 0;
	}
	try {
		for (;;) {
			try {
				http_.ReceiveInto(buffer, capacity);
				HttpResponse &response = http_.Finish();
				downloaded_ = &response.body;
				return buffer != nullptr ? http_.received() : response.body.size();
			} catch (Error &e) {
				// A body cut short (or a dropped connection) is read again from the start into
				// the same memory: a download changes nothing in Kintone.
				if (e.kind() != ErrorKind::kConnection || download_attempt_ >= config_.max_retries) {
					throw;
				}
			}
			if (!SleepUnlessAborted(download_delay_, config_.http)) {
				throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
			}
			download_delay_ *= 2;
			++download_attempt_;
			long long length = SendDownload();
			if (download_done_ || length != download_length_) {
				download_done_ = false;
				throw Error(ErrorKind::kProtocol,
				            "the file's size changed while it was read again after a broken transfer",
				            "announced " + std::to_string(download_length_) + " bytes, then " + std::to_string(length));
			}
		}
	} catch (Error &e) {
		if (e.context().empty()) {
			e.set_context("Kintone request: " + download_label_);
		}
		Explain(e);
		throw;
	}
}

Json Session::SendText(const std::string &method, std::string_view endpoint, const std::string &body,
                       long long guest_space_id, long abort_grace_ms) {
	std::string path = Path(endpoint, guest_space_id);
	const HttpResponse &response = Perform(method, path, "", body, false, false, false, abort_grace_ms);
	return ParseWriteResponse(response, method + " " + path);
}

} // namespace kintone
