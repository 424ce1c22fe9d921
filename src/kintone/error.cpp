// Kintone error responses -> kintone::Error. Branches on the code and the HTTP status only,
// never on the message text, which Kintone localises (contract §2.3, §8).
#include "kintone/error.hpp"

#include <nlohmann/json.hpp>

namespace kintone {

namespace {

using Json = nlohmann::json;

// Codes whose meaning overrides the HTTP status (GAIA_IA02 came with 520 in older Kintone).
struct CodeKind {
	const char *code;
	ErrorKind kind;
};
constexpr CodeKind kCodeKinds[] = {
    {"CB_AU01", ErrorKind::kAuthentication},   {"CB_WA01", ErrorKind::kAuthentication},
    {"CB_TW02", ErrorKind::kAuthentication},   {"GAIA_IA02", ErrorKind::kAuthentication},
    {"GAIA_DA03", ErrorKind::kAuthentication}, {"CB_NO02", ErrorKind::kPermission},
    {"GAIA_NO01", ErrorKind::kPermission},     {"GAIA_IL23", ErrorKind::kInvalidRequest},
    {"GAIA_AP01", ErrorKind::kNotFound},       {"GAIA_RE01", ErrorKind::kNotFound},
    {"GAIA_CN01", ErrorKind::kNotFound},       {"GAIA_CO02", ErrorKind::kConflict},
    {"GAIA_TM12", ErrorKind::kRateLimited},    {"GAIA_TO04", ErrorKind::kRateLimited},
};

constexpr const char *kRetryableCodes[] = {"GAIA_TO04", "GAIA_TM12", "GAIA_LT01", "GAIA_DA02", "GAIA_RE18"};

std::string Abbreviate(std::string_view text, size_t max_len) {
	std::string out;
	for (char c : text.substr(0, max_len)) {
		out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
	}
	if (text.size() > max_len) {
		// Do not cut a UTF-8 sequence in half.
		while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80) {
			out.pop_back();
		}
		if (!out.empty() && (static_cast<unsigned char>(out.back()) & 0x80)) {
			out.pop_back();
		}
		out += "...";
	}
	return out;
}

std::string StatusText(long status) {
	switch (status) {
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 414:
		return "URI Too Long";
	case 429:
		return "Too Many Requests";
	case 500:
		return "Internal Server Error";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	default:
		return "";
	}
}

// Picks the error object out of a body: the object itself or the failing element of a
// bulkRequest "results" array.
const Json *FindErrorObject(const Json &doc, int *bulk_index) {
	if (!doc.is_object()) {
		return nullptr;
	}
	if (doc.contains("code") && doc["code"].is_string()) {
		return &doc;
	}
	auto results = doc.find("results");
	if (results != doc.end() && results->is_array()) {
		for (size_t i = 0; i < results->size(); ++i) {
			const Json &item = (*results)[i];
			if (item.is_object() && item.contains("code") && item["code"].is_string()) {
				*bulk_index = static_cast<int>(i);
				return &item;
			}
		}
	}
	return nullptr;
}

} // namespace

const char *ErrorKindName(ErrorKind kind) {
	switch (kind) {
	case ErrorKind::kConnection:
		return "connection";
	case ErrorKind::kAuthentication:
		return "authentication";
	case ErrorKind::kPermission:
		return "permission";
	case ErrorKind::kNotFound:
		return "not found";
	case ErrorKind::kInvalidRequest:
		return "invalid request";
	case ErrorKind::kConflict:
		return "conflict";
	case ErrorKind::kRateLimited:
		return "rate limited";
	case ErrorKind::kServer:
		return "server";
	case ErrorKind::kProtocol:
		return "protocol";
	case ErrorKind::kInvalidOption:
		return "invalid option";
	case ErrorKind::kInvalidOptionValue:
		return "invalid option value";
	case ErrorKind::kNotSupported:
		return "not supported";
	case ErrorKind::kCancelled:
		return "cancelled";
	case ErrorKind::kOutOfMemory:
		return "out of memory";
	case ErrorKind::kInternal:
		return "internal";
	}
	return "unknown";
}

Error::Error(ErrorKind kind, std::string message, std::string detail, std::string hint)
    : std::runtime_error(message), kind_(kind), message_(std::move(message)), detail_(std::move(detail)),
      hint_(std::move(hint)) {}

namespace {
void RedactIn(std::string &text, const std::vector<std::string> &secrets) {
	for (const auto &secret : secrets) {
		if (secret.empty()) {
			continue;
		}
		size_t at = 0;
		while ((at = text.find(secret, at)) != std::string::npos) {
			text.replace(at, secret.size(), "[REDACTED]");
			at += 10;
		}
	}
}
} // namespace

void Error::Redact(const std::vector<std::string> &secrets) {
	RedactIn(message_, secrets);
	RedactIn(detail_, secrets);
	RedactIn(hint_, secrets);
	RedactIn(context_, secrets);
}

bool Error::retryable() const {
	for (const char *code : kRetryableCodes) {
		if (code_ == code) {
			return true;
		}
	}
	return http_status_ == 429 || http_status_ == 503;
}

ErrorKind KindForResponse(long http_status, std::string_view code) {
	for (const auto &entry : kCodeKinds) {
		if (code == entry.code) {
			return entry.kind;
		}
	}
	switch (http_status) {
	case 401:
		return ErrorKind::kAuthentication;
	case 403:
		return ErrorKind::kPermission;
	case 404:
		return ErrorKind::kNotFound;
	case 409:
		return ErrorKind::kConflict;
	case 429:
		return ErrorKind::kRateLimited;
	default:
		break;
	}
	if (http_status >= 400 && http_status < 500) {
		return ErrorKind::kInvalidRequest;
	}
	return ErrorKind::kServer;
}

Error ErrorFromResponse(long http_status, std::string_view body, std::string_view content_type) {
	(void)content_type; // the body decides: Kintone's JSON errors are recognised by shape
	Json doc = Json::parse(body.begin(), body.end(), nullptr, /*allow_exceptions=*/false);
	int bulk_index = -1;
	const Json *obj = doc.is_discarded() ? nullptr : FindErrorObject(doc, &bulk_index);

	if (obj == nullptr) {
		std::string message = "Kintone returned HTTP " + std::to_string(http_status);
		std::string text = StatusText(http_status);
		if (!text.empty()) {
			message += " " + text;
		}
		std::string detail;
		if (!body.empty()) {
			detail = "Response body: " + Abbreviate(body, 200);
		}
		Error err(KindForResponse(http_status, {}), message, detail);
		err.http_status_ = http_status;
		return err;
	}

	std::string code = (*obj)["code"].get<std::string>();
	std::string text = obj->contains("message") && (*obj)["message"].is_string() ? (*obj)["message"].get<std::string>()
	                                                                             : std::string();
	std::string request_id =
	    obj->contains("id") && (*obj)["id"].is_string() ? (*obj)["id"].get<std::string>() : std::string();

	std::string message = "Kintone error " + code;
	if (!text.empty()) {
		message += ": " + text;
	}
	std::string detail = "HTTP " + std::to_string(http_status) + ", code " + code;
	if (!request_id.empty()) {
		detail += ", request id " + request_id;
	}
	if (bulk_index >= 0) {
		detail += ", bulk request index " + std::to_string(bulk_index);
	}

	Error err(KindForResponse(http_status, code), message, "");
	err.http_status_ = http_status;
	err.code_ = code;
	err.request_id_ = request_id;
	err.bulk_index_ = bulk_index;

	auto errors = obj->find("errors");
	if (errors != obj->end() && errors->is_object()) {
		for (auto it = errors->begin(); it != errors->end(); ++it) {
			std::vector<std::string> messages;
			if (it->is_object() && it->contains("messages") && (*it)["messages"].is_array()) {
				for (const auto &m : (*it)["messages"]) {
					if (m.is_string()) {
						messages.push_back(m.get<std::string>());
					}
				}
			}
			detail += "\n" + it.key() + ":";
			for (const auto &m : messages) {
				detail += " " + m;
			}
			err.field_errors_.emplace_back(it.key(), std::move(messages));
		}
	}
	err.detail_ = detail;
	return err;
}

} // namespace kintone
