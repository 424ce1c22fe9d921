// Option table and value checks (see option_spec.hpp).
#include "kintone/option_spec.hpp"

#include "kintone/error.hpp"
#include "kintone/schema.hpp"
#include "kintone/text.hpp"

#include <cctype>
#include <climits>

namespace kintone {

namespace {

constexpr unsigned Bit(OptionContext c) {
	return static_cast<unsigned>(c);
}

Error ValueError(std::string message, std::string hint = {}) {
	return Error(ErrorKind::kInvalidOptionValue, std::move(message), "", std::move(hint));
}

void CheckUrl(std::string_view value) {
	(void)ParseBaseUrl(value);
}
void CheckGuestSpace(std::string_view value) {
	(void)ParsePositiveId("guest_space_id", value);
}
void CheckApp(std::string_view value) {
	(void)ParsePositiveId("app", value);
}
void CheckTokens(std::string_view value) {
	(void)ParseApiTokens(value);
}

void CheckNonEmpty(const char *name, std::string_view value) {
	if (value.empty()) {
		throw ValueError(std::string("option \"") + name + "\" must not be empty");
	}
}
void CheckUsername(std::string_view value) {
	CheckNonEmpty("username", value);
}
void CheckPassword(std::string_view value) {
	CheckNonEmpty("password", value);
}
void CheckFieldCode(std::string_view value) {
	CheckNonEmpty("field_code", value);
}
void CheckLookupCopyOf(std::string_view value) {
	CheckNonEmpty("lookup_copy_of", value);
}

void CheckFieldType(std::string_view value) {
	if (FieldTypeFromName(value) == FieldType::kUnknown) {
		throw ValueError("invalid value for option \"field_type\": \"" + std::string(value) + "\"",
		                 "Use a Kintone field type such as SINGLE_LINE_TEXT, NUMBER, DATE or DROP_DOWN.");
	}
}
void CheckBoolean(std::string_view value) {
	(void)ParseBooleanOption("use_remote_estimate", value);
}
void CheckMaxCursors(std::string_view value) {
	if (ParsePositiveId("max_cursors", value) > 10) {
		throw ValueError("invalid value for option \"max_cursors\": \"" + std::string(value) + "\"",
		                 "Kintone allows at most 10 live cursors per domain; use a value from 1 to 10.");
	}
}

bool IsLoopbackHost(const std::string &host) {
	if (host == "localhost" || host == "::1") {
		return true;
	}
	// 127.0.0.0/8 in dotted-quad form.
	if (host.rfind("127.", 0) != 0) {
		return false;
	}
	int parts = 0;
	size_t i = 0;
	while (i <= host.size()) {
		size_t j = host.find('.', i);
		if (j == std::string::npos) {
			j = host.size();
		}
		std::string_view part(host.data() + i, j - i);
		if (part.empty() || part.size() > 3) {
			return false;
		}
		for (char c : part) {
			if (!std::isdigit(static_cast<unsigned char>(c))) {
				return false;
			}
		}
		if (std::stoi(std::string(part)) > 255) {
			return false;
		}
		++parts;
		i = j + 1;
	}
	return parts == 4;
}

std::string Lower(std::string_view s) {
	std::string out(s);
	for (auto &c : out) {
		c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
	}
	return out;
}

} // namespace

const char *OptionContextName(OptionContext context) {
	switch (context) {
	case OptionContext::kWrapper:
		return "foreign-data wrapper";
	case OptionContext::kServer:
		return "server";
	case OptionContext::kUserMapping:
		return "user mapping";
	case OptionContext::kForeignTable:
		return "foreign table";
	case OptionContext::kColumn:
		return "column";
	}
	return "unknown";
}

const std::vector<OptionSpec> &KnownOptions() {
	// Function-local static: nothing is constructed at library load time.
	static const std::vector<OptionSpec> options = {
	    {"url", Bit(OptionContext::kServer), false, CheckUrl},
	    {"guest_space_id", Bit(OptionContext::kServer) | Bit(OptionContext::kForeignTable), false, CheckGuestSpace},
	    {"max_cursors", Bit(OptionContext::kServer), false, CheckMaxCursors},
	    {"use_remote_estimate", Bit(OptionContext::kServer) | Bit(OptionContext::kForeignTable), false, CheckBoolean},
	    {"updatable", Bit(OptionContext::kServer) | Bit(OptionContext::kForeignTable), false, CheckBoolean},
	    {"api_token", Bit(OptionContext::kUserMapping), true, CheckTokens},
	    {"username", Bit(OptionContext::kUserMapping), false, CheckUsername},
	    {"password", Bit(OptionContext::kUserMapping), true, CheckPassword},
	    {"app", Bit(OptionContext::kForeignTable), false, CheckApp},
	    {"field_code", Bit(OptionContext::kColumn), false, CheckFieldCode},
	    {"field_type", Bit(OptionContext::kColumn), false, CheckFieldType},
	    {"lookup_copy_of", Bit(OptionContext::kColumn), false, CheckLookupCopyOf},
	};
	return options;
}

std::vector<std::string> OptionNamesFor(OptionContext context) {
	std::vector<std::string> names;
	for (const auto &spec : KnownOptions()) {
		if (spec.contexts & Bit(context)) {
			names.emplace_back(spec.name);
		}
	}
	return names;
}

void ValidateOptions(OptionContext context, const OptionList &options) {
	std::vector<std::string> valid = OptionNamesFor(context);
	bool has_username = false;
	bool has_password = false;
	for (const auto &[name, value] : options) {
		const OptionSpec *spec = nullptr;
		for (const auto &candidate : KnownOptions()) {
			if (name == candidate.name && (candidate.contexts & Bit(context))) {
				spec = &candidate;
				break;
			}
		}
		if (spec == nullptr) {
			std::string hint;
			if (valid.empty()) {
				hint = "There are no valid options in this context.";
			} else {
				std::string closest = ClosestMatch(name, valid);
				if (!closest.empty()) {
					hint = "Perhaps you meant the option \"" + closest + "\". ";
				}
				hint += "Valid options in this context are: ";
				for (size_t i = 0; i < valid.size(); ++i) {
					hint += (i ? ", " : "") + valid[i];
				}
			}
			throw Error(ErrorKind::kInvalidOption, "invalid option \"" + name + "\"", "", hint);
		}
		spec->check(value);
		has_username |= name == "username";
		has_password |= name == "password";
	}
	if (has_password && !has_username) {
		throw ValueError("option \"password\" requires option \"username\"");
	}
	if (has_username && !has_password) {
		throw ValueError("option \"username\" requires option \"password\"");
	}
}

std::string BaseUrl::ToString() const {
	std::string out = scheme + "://";
	out += host.find(':') != std::string::npos ? "[" + host + "]" : host;
	if (port != 0) {
		out += ":" + std::to_string(port);
	}
	return out;
}

BaseUrl ParseBaseUrl(std::string_view url) {
	const std::string hint = "Use the form https://SUBDOMAIN.cybozu.com (http is allowed only for localhost).";
	size_t sep = url.find("://");
	if (sep == std::string_view::npos) {
		throw ValueError("invalid url \"" + std::string(url) + "\": missing scheme", hint);
	}
	BaseUrl out;
	out.scheme = Lower(url.substr(0, sep));
	if (out.scheme != "https" && out.scheme != "http") {
		throw ValueError("invalid url \"" + std::string(url) + "\": scheme must be https", hint);
	}
	std::string_view rest = url.substr(sep + 3);
	size_t end = rest.find_first_of("/?#");
	std::string_view authority = rest.substr(0, end);
	std::string_view tail = end == std::string_view::npos ? std::string_view() : rest.substr(end);
	if (authority.find('@') != std::string_view::npos) {
		// Never echo the URL: it contains credentials.
		throw ValueError("invalid url: credentials must not be part of the url",
		                 "Put credentials in the user mapping (options username and password, or api_token).");
	}
	if (!tail.empty() && tail != "/") {
		throw ValueError("invalid url \"" + std::string(url) + "\": the url must not have a path, query or fragment",
		                 hint);
	}
	std::string_view port_text;
	if (!authority.empty() && authority.front() == '[') {
		size_t close = authority.find(']');
		if (close == std::string_view::npos) {
			throw ValueError("invalid url \"" + std::string(url) + "\": unterminated IPv6 address", hint);
		}
		out.host = Lower(authority.substr(1, close - 1));
		std::string_view after = authority.substr(close + 1);
		if (!after.empty()) {
			if (after.front() != ':') {
				throw ValueError("invalid url \"" + std::string(url) + "\"", hint);
			}
			port_text = after.substr(1);
		}
	} else {
		size_t colon = authority.find(':');
		out.host = Lower(authority.substr(0, colon));
		if (colon != std::string_view::npos) {
			port_text = authority.substr(colon + 1);
		}
	}
	if (out.host.empty()) {
		throw ValueError("invalid url \"" + std::string(url) + "\": missing host", hint);
	}
	for (char c : out.host) {
		if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':')) {
			throw ValueError("invalid url \"" + std::string(url) + "\": bad host name", hint);
		}
	}
	if (!port_text.empty() || (port_text.empty() && authority.back() == ':')) {
		long port = 0;
		for (char c : port_text) {
			if (!std::isdigit(static_cast<unsigned char>(c)) || port > 65535) {
				port = -1;
				break;
			}
			port = port * 10 + (c - '0');
		}
		if (port_text.empty() || port <= 0 || port > 65535) {
			throw ValueError("invalid url \"" + std::string(url) + "\": bad port", hint);
		}
		out.port = static_cast<int>(port);
	}
	if (out.scheme == "http" && !IsLoopbackHost(out.host)) {
		throw ValueError("invalid url \"" + std::string(url) + "\": plain http is allowed only for loopback hosts",
		                 hint);
	}
	return out;
}

std::vector<std::string> ParseApiTokens(std::string_view value) {
	std::vector<std::string> tokens;
	size_t i = 0;
	while (true) {
		size_t j = value.find(',', i);
		std::string_view part = value.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i);
		while (!part.empty() && std::isspace(static_cast<unsigned char>(part.front()))) {
			part.remove_prefix(1);
		}
		while (!part.empty() && std::isspace(static_cast<unsigned char>(part.back()))) {
			part.remove_suffix(1);
		}
		if (part.empty()) {
			throw ValueError("option \"api_token\" contains an empty token",
			                 "Give one API token, or several separated by commas.");
		}
		for (char c : part) {
			if (!std::isalnum(static_cast<unsigned char>(c))) {
				throw ValueError("option \"api_token\" contains a character that is not a letter or digit",
				                 "Kintone API tokens are alphanumeric.");
			}
		}
		for (const auto &t : tokens) {
			if (t == part) {
				throw ValueError("option \"api_token\" lists the same token twice");
			}
		}
		tokens.emplace_back(part);
		if (j == std::string_view::npos) {
			break;
		}
		i = j + 1;
	}
	if (tokens.size() > 9) {
		throw ValueError("option \"api_token\" lists " + std::to_string(tokens.size()) + " tokens",
		                 "Kintone accepts at most 9 API tokens in one request.");
	}
	return tokens;
}

bool ParseBooleanOption(std::string_view option, std::string_view value) {
	std::string v = Lower(value);
	if (v == "true" || v == "on" || v == "yes" || v == "1") {
		return true;
	}
	if (v == "false" || v == "off" || v == "no" || v == "0") {
		return false;
	}
	throw ValueError("invalid value for option \"" + std::string(option) + "\": \"" + std::string(value) + "\"",
	                 "Use true or false.");
}

long long ParsePositiveId(std::string_view option, std::string_view value) {
	long long out = 0;
	bool ok = !value.empty();
	for (char c : value) {
		int digit = c - '0';
		if (!std::isdigit(static_cast<unsigned char>(c)) || out > (LLONG_MAX - digit) / 10) {
			ok = false;
			break;
		}
		out = out * 10 + digit;
	}
	if (!ok || out <= 0) {
		throw ValueError("invalid value for option \"" + std::string(option) + "\": \"" + std::string(value) + "\"",
		                 "The value must be a positive integer.");
	}
	return out;
}

} // namespace kintone
