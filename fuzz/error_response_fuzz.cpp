// libFuzzer target: the parser of Kintone's error answers (src/kintone/error.cpp) on any
// bytes, with the HTTP status taken from the first two bytes, then the redaction of secrets
// from what it produced. It must never crash or throw. See fuzz/README.md.
#include "kintone/error.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
	if (size < 2) {
		return 0;
	}
	long status = 100 + (data[0] << 8 | data[1]) % 500;
	std::string_view body(reinterpret_cast<const char *>(data + 2), size - 2);
	kintone::Error error = kintone::ErrorFromResponse(status, body, "application/json");
	(void)error.retryable();
	(void)kintone::KindForResponse(status, error.code());
	size_t n = 0;
	for (const auto &[key, messages] : error.field_errors()) {
		n += key.size() + messages.size();
	}
	// Redaction of a secret that occurs in the answer, and of one that is a prefix of another.
	std::vector<std::string> secrets;
	if (body.size() > 4) {
		secrets.emplace_back(body.substr(body.size() / 2, 3));
		secrets.emplace_back(body.substr(body.size() / 2, 2));
	}
	error.set_context(std::string(body.substr(0, 64)));
	error.Redact(secrets);
	volatile size_t sink = n + error.message().size() + error.detail().size() + error.context().size();
	(void)sink;
	return 0;
}
