// A Kintone session: base URL + guest space + credentials + one HttpClient.
//
// Builds request URLs (contract §1.2), sends exactly one authentication mode (§3), moves GET
// parameters into the query string or, past 4 KB, into POST + X-HTTP-Method-Override (§2.2),
// turns non-2xx responses into kintone::Error, and retries only what is safe to retry.
//
// Two kinds of request (docs/faults.md):
// - idempotent reads (record pages by seek or offset, counts, forms, app metadata): retried
//   with back-off on 429, 5xx, lost connections and cut answers, all attempts together
//   within request_timeout (and a cancel, i.e. statement_timeout);
// - requests that change state in Kintone (writes, cursor creation, cursor pages, status
//   actions): sent at most once by anyone, libcurl included (HttpRequest::once), and sent
//   again only after 429 GAIA_TO04, which Kintone answers before doing anything. A failure
//   says in Error::may_have_acted whether Kintone may have acted on it.
#pragma once

#include "kintone/error.hpp"
#include "kintone/http_client.hpp"
#include "kintone/option_spec.hpp"

#include <nlohmann/json.hpp>

#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace kintone {

using Json = nlohmann::json;

// Supplies OAuth access tokens and refreshes them (src/kintone/oauth.hpp implements it with
// a token file). The session asks for the current token before each request and calls
// Refresh once when Kintone answers 401 to it.
class TokenSource {
public:
	virtual ~TokenSource() = default;
	// The access token to send now (refreshed first when it is known to have expired).
	virtual std::string AccessToken() = 0;
	// Kintone refused `rejected`: returns a new access token (or throws kAuthentication).
	virtual std::string Refresh(const std::string &rejected) = 0;
};

// How a session signs in. Exactly one mode per request (contract §3.1, §3.2):
//   kPassword (X-Cybozu-Authorization) > kApiToken (X-Cybozu-API-Token); kOAuth
//   (Authorization: Bearer) is exclusive: the validator refuses it with the others.
// The domain's Basic layer (Authorization: Basic) is added on top of password or tokens.
enum class AuthMode { kNone, kPassword, kApiToken, kOAuth };

// Secrets: never printed, never put into an Error.
struct Credentials {
	std::vector<std::string> api_tokens;
	std::string username;
	std::string password;
	std::string basic_auth_user;
	std::string basic_auth_password;
	std::shared_ptr<TokenSource> oauth; // set: OAuth

	AuthMode mode() const {
		return !username.empty()     ? AuthMode::kPassword
		       : oauth               ? AuthMode::kOAuth
		       : !api_tokens.empty() ? AuthMode::kApiToken
		                             : AuthMode::kNone;
	}
};

struct SessionConfig {
	BaseUrl base;
	long long guest_space_id = 0; // 0: not in a guest space
	Credentials credentials;
	HttpOptions http;
	int max_retries = 4;                // for retryable errors of requests that are safe to repeat
	long retry_base_delay_ms = 200;     // doubled per retry
	size_t max_query_string_len = 4096; // longer GETs go as POST + X-HTTP-Method-Override
	// Kintone refuses the cursor API to OAuth clients (contract §3.4): the pager then never
	// uses it (the planner keeps such orders local and pages by seek on $id).
	bool allow_cursor = true;
	// Names the credentials in errors, e.g. "the user mapping for server \"s\"".
	std::string credential_owner = "the user mapping";
	// Every secret value of the configuration, redacted from error text (SecretValues()).
	std::vector<std::string> secrets;
	bool allow_bulk_request = true; // false under OAuth: Kintone refuses bulkRequest.json there
	// The option "language": "" or "auto" (from the locale, Session::set_locale) or a language
	// tag; decides Accept-Language (AcceptLanguage in messages.hpp).
	std::string language;
};

// The secret strings of a configuration (tokens, passwords, key password), for redaction.
std::vector<std::string> SecretValues(const SessionConfig &config);

class Session {
public:
	explicit Session(SessionConfig config);

	// "/k/v1/records.json" or "/k/guest/7/v1/records.json" (guest_space_id < 0: the session's).
	std::string Path(std::string_view endpoint, long long guest_space_id = -1) const;

	// A read: params become the query string (or a JSON body with the method override).
	// Returns the parsed JSON body of a 2xx response; throws kintone::Error otherwise.
	Json Get(std::string_view endpoint, const Json &params, long long guest_space_id = -1);

	// The raw body of a 2xx GET, for callers that parse pages themselves (the record reader).
	// The returned reference is valid until the next request.
	const std::string &GetRaw(std::string_view endpoint, const Json &params, long long guest_space_id = -1);

	// A read that changes state in Kintone (a cursor page advances the cursor): sent at most
	// once, retried only after 429 GAIA_TO04. The body is valid until the next request.
	const std::string &GetRawOnce(std::string_view endpoint, const Json &params, long long guest_space_id = -1);

	// GetRaw in two steps, so that a page downloads while the previous one is converted:
	// StartGetRaw sends the request, Pump moves it on without blocking, FinishGetRaw waits for
	// it (retrying like GetRaw) and returns the body, valid until the next request. A session
	// is shared by every scan of a user mapping and carries one request at a time: any other
	// request cancels a pending one, and FinishGetRaw then returns nullptr so that its owner
	// (the pointer given to StartGetRaw) sends it again.
	void StartGetRaw(const void *owner, std::string_view endpoint, const Json &params, long long guest_space_id = -1);
	bool Pump(const void *owner) noexcept { return pending_owner_ == owner && http_.Pump(); }
	const std::string *FinishGetRaw(const void *owner);
	void CancelPending(const void *owner) noexcept;
	// owner's read (StartGetRaw) is still in flight on this session.
	bool Pending(const void *owner) const noexcept { return pending_owner_ == owner && http_.in_flight(); }
	// The wait handle of the request in flight (HttpClient::WaitFd), for asynchronous execution.
	int WaitFd() noexcept { return http_.WaitFd(); }
	void ArmWaitFd() noexcept { http_.ArmWaitFd(); }

	// POST / PUT / DELETE with a JSON body, sent at most once. Retried only when Kintone
	// refused the request before doing anything (429 GAIA_TO04): a write whose outcome is
	// unknown is never repeated. A 2xx answer that is not a JSON object throws kProtocol
	// (may_have_acted). abort_grace_ms: see HttpRequest (cursor creation).
	Json Send(const std::string &method, std::string_view endpoint, const Json &body, long long guest_space_id = -1,
	          long abort_grace_ms = 0);
	// Send with a body already serialised as JSON text (large writes are built without a DOM).
	Json SendText(const std::string &method, std::string_view endpoint, const std::string &body,
	              long long guest_space_id = -1, long abort_grace_ms = 0);
	// After Send: a cancel arrived while the request was in flight and the answer came within
	// its abort grace; the caller uses the answer, then honours the cancel.
	bool cancel_pending() const { return http_.cancel_pending(); }

	// How FinishSendText waits for a write in flight.
	enum class WriteWait {
		// Until it ends; a cancel aborts the wait (outcome unknown).
		kNormal,
		// Abort cleanup after an error that is not a cancel: until it ends, bounded by
		// request_timeout (kWriteSettleTimeoutMs without one), nothing retried; a new cancel
		// still aborts the wait.
		kSettle,
		// Abort cleanup after a cancel: not at all. An answer that has already arrived is used;
		// otherwise the request is dropped and its outcome is unknown.
		kAbandon,
	};

	// SendText in two steps, so that the next rows are converted while a write travels:
	// StartSendText sends the request (a pending read is cancelled first; its owner sends it
	// again), Pump(owner) moves it on, FinishSendText waits for it (see WriteWait) and returns
	// like SendText (429 GAIA_TO04 retried with kNormal, nothing else). A write in flight is
	// never dropped silently: any other request on this session first waits for it (abortable
	// like that request; a cleanup request abandons it) and keeps its outcome for
	// FinishSendText.
	static constexpr long kWriteSettleTimeoutMs = 30000;
	void StartSendText(const void *owner, const std::string &method, std::string_view endpoint, const std::string &body,
	                   long long guest_space_id = -1);
	Json FinishSendText(const void *owner, WriteWait wait = WriteWait::kNormal);
	// Drops what the session keeps for owner's write (FinishSendText was not called); a write
	// still in flight is abandoned first. For destructors.
	void ForgetWrite(const void *owner) noexcept;

	// A best-effort cleanup request (e.g. deleting a cursor): not aborted by a pending cancel,
	// bounded by a short timeout, never retried. Throws like Send.
	void SendCleanup(const std::string &method, std::string_view endpoint, const Json &body,
	                 long long guest_space_id = -1);

	// Reads carried by the caller (several in flight on an HttpGroup, src/kintone/pager.cpp),
	// answered with the same rules as GetRaw: BuildRead makes the request (label names it in
	// errors); AcceptRead judges a finished answer: true for 2xx (its warnings kept), false when
	// it should be sent again after RetryDelay(attempt) (429, 5xx within max_retries; a 401
	// under OAuth after a token refresh, request updated, *refreshed set: send at once);
	// otherwise it throws the Error, explained. RetryRead does the same for a transport
	// failure: true to send again, else it throws error.
	HttpRequest BuildRead(std::string_view endpoint, const Json &params, long long guest_space_id,
	                      std::string *label) const;
	bool AcceptRead(HttpRequest &request, const HttpResponse &response, const std::string &label, int attempt,
	                bool *refreshed);
	bool RetryRead(Error &error, const std::string &label, int attempt);
	long RetryDelay(int attempt) const;

	// Writes carried by the caller (several chunks of a statement in flight on an HttpGroup,
	// src/kintone/writer.cpp), with the rules of SendText: BuildWrite makes the request, marked
	// HttpRequest::once (libcurl never sends it twice); label names it in errors. AcceptWrite
	// judges its finished answer: true with the JSON object of a 2xx answer in *result (a body
	// that is not one throws kProtocol, may_have_acted); false when Kintone refused it before
	// doing anything (429 GAIA_TO04) and may_retry, within max_retries: send it again after
	// RetryDelay(attempt); otherwise it throws the Error, explained, may_have_acted unless
	// Kintone itself refused it. ExplainWrite completes the Error of a transport failure (which
	// is never retried: the write may have been processed).
	HttpRequest BuildWrite(const std::string &method, std::string_view endpoint, const std::string &body,
	                       long long guest_space_id, std::string *label) const;
	bool AcceptWrite(const HttpResponse &response, const std::string &label, int attempt, bool may_retry, Json *result);
	void ExplainWrite(Error &error, const std::string &label) const;

	// PostgreSQL's lc_messages, set by the glue before requests: with the option language
	// 'auto' (or none) it decides the Accept-Language header, so Kintone's messages come in the
	// session's language (English when PostgreSQL's are).
	void set_locale(std::string_view lc_messages);
	const std::string &accept_language() const { return accept_language_; }

	// File transfers (file.json; docs/files.md).
	// An upload: POST multipart/form-data with the body head + data + tail, where data is the
	// caller's memory (alive until this returns, never copied). Sent at most once (it changes
	// state: Kintone keeps the file), retried only like a write; returns the JSON answer.
	Json SendMultipart(std::string_view endpoint, const std::string &content_type, const std::string &head,
	                   std::string_view data, const std::string &tail, long long guest_space_id = -1);
	// A download in two steps, so that the caller allocates the memory the file goes into once
	// its size is known (no copy of the file): StartDownload sends the GET and waits for the
	// answer's headers (a refusal throws like Get; retried like a read before any body byte is
	// kept) and returns the file's size, -1 when Kintone did not announce it. FinishDownload
	// then receives the file into buffer (capacity bytes; nullptr: into the session's response
	// buffer, see downloaded(), at most capacity bytes) and returns the bytes received; a body
	// cut short is read again from the start (a download is idempotent), and a file whose size
	// then differs is an error. Any other request cancels a download in between.
	long long StartDownload(std::string_view endpoint, const Json &params, long long guest_space_id = -1);
	size_t FinishDownload(char *buffer, size_t capacity);
	// Ends a download between StartDownload and FinishDownload (closes its connection).
	void CancelDownload() noexcept {
		http_.Cancel();
		download_done_ = false;
	}
	const std::string &downloaded() const { return *downloaded_; }

	const HttpStats &stats() const { return http_.stats(); }
	const SessionConfig &config() const { return config_; }

	// Kintone's X-Cybozu-Warning headers of successful answers since the last call (e.g. a
	// word search stopped at 100,000 hits, contract §2.4), each with the request it came with;
	// the glue shows them as WARNINGs.
	std::vector<std::string> TakeWarnings();

	// Encodes params the way the official client does: scalars as k=v, arrays as k[0]=v.
	static std::string EncodeQuery(const Json &params);

private:
	const HttpResponse &Perform(const std::string &method, const std::string &path, const std::string &query,
	                            const std::string &body, bool method_override, bool idempotent, bool cleanup = false,
	                            long abort_grace_ms = 0);
	void AddAuthHeaders(HeaderList &headers) const;
	HttpRequest BuildRequest(const std::string &method, const std::string &path, const std::string &query,
	                         const std::string &body, bool method_override, bool cleanup, bool once) const;
	// A read: params in the query string, or past max_query_string_len a JSON body with the
	// method override. label names the request in errors.
	HttpRequest BuildGet(std::string_view endpoint, const Json &params, long long guest_space_id, std::string *label,
	                     bool once = false) const;
	// Turns a finished non-2xx response into an Error, or says it should be sent again.
	bool ShouldRetry(const HttpResponse &response, const std::string &label, bool idempotent, bool cleanup,
	                 int attempt) const;
	// Whether a transport failure of an idempotent read should be retried.
	bool ShouldRetry(const Error &error, bool idempotent, bool cleanup, int attempt) const;
	// A 2xx answer: keeps its X-Cybozu-Warning.
	void Accept(const HttpResponse &response, const std::string &label);
	// Under OAuth, a 401 refreshes the access token once and the request is sent again.
	bool RefreshAfter401(HttpRequest &request, const HttpResponse &response);
	// Rewords authentication errors to name the credential Kintone refused; redacts secrets.
	void Explain(Error &error) const;
	const HttpResponse &Execute(HttpRequest request, const std::string &label, bool idempotent, bool cleanup,
	                            int first_attempt, bool may_refresh = true);

	// The write in flight (StartSendText), finished now; its outcome is kept for its owner.
	void SettleWrite(WriteWait wait) noexcept;
	Json CompleteWrite(WriteWait wait);
	Json ParseWriteResponse(const HttpResponse &response, const std::string &label) const;

	struct SettledWrite {
		const void *owner;
		Json result;
		std::exception_ptr error;
	};

	SessionConfig config_;
	HttpClient http_;
	HttpRequest pending_; // the request StartGetRaw sent, kept for retries
	std::string pending_label_;
	std::string locale_ = "\x01";         // the lc_messages accept_language_ was made for (none yet)
	std::string accept_language_;         // sent with every request when not empty
	const void *pending_owner_ = nullptr; // who started the request in flight (StartGetRaw, StartSendText)
	const void *write_owner_ = nullptr;   // set while a write of StartSendText is in flight
	HttpRequest write_request_;           // that write, kept for a 429 retry or a token refresh
	std::string write_label_;
	std::vector<SettledWrite> settled_; // writes finished by another request, not yet collected
	// StartDownload: the request (kept for its label) and whether its answer has ended already.
	HttpRequest download_;
	std::string download_label_;
	bool download_done_ = false;
	const std::string *downloaded_ = nullptr;
	long long download_length_ = 0; // what StartDownload announced, compared on a retry
	int download_attempt_ = 0;
	long download_delay_ = 0;
	bool download_may_refresh_ = true;
	long long SendDownload();
	std::vector<std::string> warnings_;
};

std::string Base64Encode(std::string_view data);

} // namespace kintone
