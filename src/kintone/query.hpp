// Printing Kintone query-language literals (contract §7.2). Every value that goes into a
// Kintone query passes through here, so that no string — quotes, backslashes, newlines,
// unicode — can change the structure of the query.
#pragma once

#include <string>
#include <string_view>

namespace kintone {

// True when QuoteString can represent value exactly: Kintone has escapes for backslash,
// double quote, \n, \t and \r only, and rejects other raw control characters.
bool CanQuote(std::string_view value);

// The escape sequence Kintone needs for c inside a string literal (backslash + quote for a quote), or
// nullptr when c is written as it is. The one table of Kintone's escapes: QuoteString and the
// glue's deparser both use it.
const char *EscapeSequence(char c);

// value as a double-quoted Kintone string literal. Throws kNotSupported when !CanQuote(value).
std::string QuoteString(std::string_view value);

} // namespace kintone
