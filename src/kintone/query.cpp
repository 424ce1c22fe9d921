// Kintone string literals (see query.hpp).
#include "kintone/query.hpp"

#include "kintone/error.hpp"

namespace kintone {

bool CanQuote(std::string_view value) {
	for (unsigned char c : value) {
		if ((c < 0x20 && c != '\n' && c != '\t' && c != '\r') || c == 0x7F) {
			return false;
		}
	}
	return true;
}

const char *EscapeSequence(char c) {
	switch (c) {
	case '"':
		return "\\\"";
	case '\\':
		return "\\\\";
	case '\n':
		return "\\n";
	case '\t':
		return "\\t";
	case '\r':
		return "\\r";
	default:
		return nullptr;
	}
}

std::string QuoteString(std::string_view value) {
	if (!CanQuote(value)) {
		throw Error(ErrorKind::kNotSupported, "a control character cannot be written in a Kintone query string");
	}
	std::string out;
	out.reserve(value.size() + 2);
	out += '"';
	for (char c : value) {
		const char *escape = EscapeSequence(c);
		if (escape != nullptr) {
			out += escape;
		} else {
			out += c;
		}
	}
	out += '"';
	return out;
}

} // namespace kintone
