// The one exception type of the Kintone client, and the parser of Kintone error responses.
//
// Everything in src/kintone/ reports failure by throwing kintone::Error. The glue's guard
// (src/pg/guard.cpp) is the only place that turns it into a PostgreSQL error: it maps the
// kind to a SQLSTATE and copies message, detail and hint. The client never decides SQLSTATEs.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>
#include <stdexcept>

namespace kintone {

// What went wrong, coarse enough to choose a SQLSTATE and a retry policy.
enum class ErrorKind {
	kConnection,         // network, DNS, TLS, timeout: the request may not have reached Kintone
	kAuthentication,     // 401, invalid API token
	kPermission,         // 403: the credentials are valid but not allowed to do this
	kNotFound,           // 404: app, record or cursor does not exist
	kInvalidRequest,     // 400: query or input refused by Kintone
	kConflict,           // 409: revision mismatch
	kRateLimited,        // 429: concurrency or cursor limits
	kServer,             // 5xx or an unexpected status
	kProtocol,           // a response that is not what the API promises
	kInvalidOption,      // an unknown FDW option name
	kInvalidOptionValue, // a known FDW option with a value that cannot be used
	kNotSupported,       // a feature kintone_fdw does not offer
	kCancelled,          // the transfer was aborted because the query was cancelled
	kOutOfMemory,
	kInternal,
};

const char *ErrorKindName(ErrorKind kind);

class Error : public std::runtime_error {
public:
	Error(ErrorKind kind, std::string message, std::string detail = {}, std::string hint = {});

	ErrorKind kind() const { return kind_; }
	const std::string &message() const { return message_; }
	const std::string &detail() const { return detail_; }
	const std::string &hint() const { return hint_; }

	// Set when the error came from a Kintone response.
	long http_status() const { return http_status_; }
	const std::string &code() const { return code_; }
	const std::string &request_id() const { return request_id_; }
	// "errors" of a validation error: key -> messages, in response order.
	const std::vector<std::pair<std::string, std::vector<std::string>>> &field_errors() const { return field_errors_; }
	// Index of the failing call inside a bulkRequest, -1 otherwise.
	int bulk_index() const { return bulk_index_; }
	// Worth retrying after a delay (429, 503, database lock codes).
	bool retryable() const;
	// For a request that changes state (a write, a cursor creation or page): false when
	// Kintone certainly did not act on it (it answered with one of its own errors, or the
	// request was never sent), true when it may have (the answer was lost, cut, or came from a
	// gateway). Set by the session; the writer's "nothing written" rests on it (docs/faults.md).
	bool may_have_acted() const { return may_have_acted_; }
	void set_may_have_acted(bool value) { may_have_acted_ = value; }

	// The Kintone query (or request) the error belongs to; shown as CONTEXT by the glue.
	const std::string &context() const { return context_; }
	void set_context(std::string context) { context_ = std::move(context); }
	// Rewords an error (e.g. to name the credential Kintone refused, or the input rows of a
	// failed write); code and status stay.
	void set_message(std::string message) { message_ = std::move(message); }
	void set_hint(std::string hint) { hint_ = std::move(hint); }
	void set_detail(std::string detail) { detail_ = std::move(detail); }
	// Replaces every occurrence of each secret in message, detail, hint and context with
	// "[REDACTED]" (curl errors and Kintone messages may echo what was sent).
	void Redact(const std::vector<std::string> &secrets);

private:
	friend Error ErrorFromResponse(long http_status, std::string_view body, std::string_view content_type);

	ErrorKind kind_;
	std::string message_;
	std::string detail_;
	std::string hint_;
	long http_status_ = 0;
	std::string code_;
	std::string request_id_;
	int bulk_index_ = -1;
	bool may_have_acted_ = false;
	std::vector<std::pair<std::string, std::vector<std::string>>> field_errors_;
	std::string context_;
};

// Builds the Error for a non-2xx Kintone response. Accepts Kintone's JSON error shape
// ({"code","id","message","errors"}), bulkRequest's {"results":[{}, {error}, …]} and
// non-JSON bodies (maintenance pages, proxies), which become a clear message quoting the
// start of the body.
Error ErrorFromResponse(long http_status, std::string_view body, std::string_view content_type = {});

// The kind a Kintone error code implies, falling back to the HTTP status.
ErrorKind KindForResponse(long http_status, std::string_view code);

} // namespace kintone
