// The boundary's two halves: capturing an exception into plain storage (inside catch, no
// PostgreSQL calls) and raising it as a PostgreSQL error (after the catch has ended).
#include "pg/postgres.hpp"

#include "pg/guard.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace kintone_fdw {

namespace {

void Copy(char *dst, size_t size, const char *src) noexcept {
	if (src == nullptr) {
		dst[0] = '\0';
		return;
	}
	size_t n = std::strlen(src);
	if (n >= size) {
		n = size - 1;
		// Do not leave half of a UTF-8 sequence at the end.
		while (n > 0 && (static_cast<unsigned char>(src[n]) & 0xC0) == 0x80) {
			--n;
		}
	}
	std::memcpy(dst, src, n);
	dst[n] = '\0';
}

void Clear(CaughtError *out) noexcept {
	out->sqlstate = ERRCODE_INTERNAL_ERROR;
	out->message[0] = out->detail[0] = out->hint[0] = out->context[0] = '\0';
}

// Error kinds -> SQLSTATEs. Kintone's own code and request id travel in DETAIL.
int SqlStateFor(kintone::ErrorKind kind) noexcept {
	using kintone::ErrorKind;
	switch (kind) {
	case ErrorKind::kConnection:
		return ERRCODE_CONNECTION_FAILURE;
	case ErrorKind::kAuthentication:
		return ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION;
	case ErrorKind::kPermission:
		return ERRCODE_INSUFFICIENT_PRIVILEGE;
	case ErrorKind::kNotFound:
		return ERRCODE_FDW_TABLE_NOT_FOUND;
	case ErrorKind::kInvalidRequest:
	case ErrorKind::kServer:
		return ERRCODE_FDW_ERROR;
	case ErrorKind::kConflict:
		return ERRCODE_T_R_SERIALIZATION_FAILURE;
	case ErrorKind::kRateLimited:
		return ERRCODE_TOO_MANY_CONNECTIONS;
	case ErrorKind::kProtocol:
		return ERRCODE_PROTOCOL_VIOLATION;
	case ErrorKind::kInvalidOption:
		return ERRCODE_FDW_INVALID_OPTION_NAME;
	case ErrorKind::kInvalidOptionValue:
		return ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE;
	case ErrorKind::kNotSupported:
		return ERRCODE_FEATURE_NOT_SUPPORTED;
	case ErrorKind::kCancelled:
		return ERRCODE_QUERY_CANCELED;
	case ErrorKind::kOutOfMemory:
		return ERRCODE_FDW_OUT_OF_MEMORY;
	case ErrorKind::kInternal:
		return ERRCODE_INTERNAL_ERROR;
	}
	return ERRCODE_INTERNAL_ERROR;
}

} // namespace

void CaptureKintoneError(CaughtError *out, const kintone::Error &e) noexcept {
	Clear(out);
	out->sqlstate = SqlStateFor(e.kind());
	Copy(out->message, sizeof(out->message), e.message().c_str());
	Copy(out->detail, sizeof(out->detail), e.detail().c_str());
	Copy(out->hint, sizeof(out->hint), e.hint().c_str());
	Copy(out->context, sizeof(out->context), e.context().c_str());
}

void CaptureStdException(CaughtError *out, const std::exception &e) noexcept {
	Clear(out);
	Copy(out->message, sizeof(out->message), "kintone_fdw: internal error: ");
	size_t used = std::strlen(out->message);
	Copy(out->message + used, sizeof(out->message) - used, e.what());
}

void CaptureOutOfMemory(CaughtError *out) noexcept {
	Clear(out);
	out->sqlstate = ERRCODE_FDW_OUT_OF_MEMORY;
	Copy(out->message, sizeof(out->message), "out of memory in kintone_fdw");
}

void CaptureUnknown(CaughtError *out) noexcept {
	Clear(out);
	Copy(out->message, sizeof(out->message), "kintone_fdw: unknown internal error");
}

void RaiseCaughtError(const CaughtError *err) {
	if (err->sqlstate == ERRCODE_QUERY_CANCELED) {
		// A transfer aborted because PostgreSQL wants to cancel or terminate: let it raise its
		// own error (statement timeout, user request, shutdown) with the right message.
		CHECK_FOR_INTERRUPTS();
	}
	ereport(ERROR,
	        (errcode(err->sqlstate), errmsg("%s", err->message), err->detail[0] ? errdetail("%s", err->detail) : 0,
	         err->hint[0] ? errhint("%s", err->hint) : 0, err->context[0] ? errcontext("%s", err->context) : 0));
	pg_unreachable();
}

bool IsCancelCode(int sqlstate) noexcept {
	return sqlstate == ERRCODE_QUERY_CANCELED || sqlstate == ERRCODE_ADMIN_SHUTDOWN ||
	       sqlstate == ERRCODE_CRASH_SHUTDOWN || sqlstate == ERRCODE_IDLE_IN_TRANSACTION_SESSION_TIMEOUT ||
	       sqlstate == ERRCODE_IDLE_SESSION_TIMEOUT || sqlstate == ERRCODE_LOCK_NOT_AVAILABLE;
}

struct CancelWatch {
	ErrorContextCallback callback;
	bool linked;
	bool cancelled;
};

namespace {

// An error context callback: runs inside errfinish for every report while the watch is on the
// stack, where geterrcode() is valid. Adds no context text.
void NoteCancel(void *arg) {
	CancelWatch *watch = static_cast<CancelWatch *>(arg);
	if (IsCancelCode(geterrcode())) {
		watch->cancelled = true;
	}
}

} // namespace

CancelWatch *StartCancelWatch() {
	CancelWatch *watch = static_cast<CancelWatch *>(palloc0(sizeof(CancelWatch)));
	watch->callback.callback = NoteCancel;
	watch->callback.arg = watch;
	watch->callback.previous = error_context_stack;
	error_context_stack = &watch->callback;
	watch->linked = true;
	return watch;
}

void StopCancelWatch(CancelWatch *watch) noexcept {
	if (watch == nullptr || !watch->linked) {
		return;
	}
	watch->linked = false;
	// Error recovery may have reset the stack already (then the watch is not in it); code that
	// ran since may have pushed entries above it. Every entry in the stack is live.
	for (ErrorContextCallback **link = &error_context_stack; *link != nullptr; link = &(*link)->previous) {
		if (*link == &watch->callback) {
			*link = watch->callback.previous;
			return;
		}
	}
}

bool CancelWatchSawCancel(const CancelWatch *watch) noexcept {
	return watch != nullptr && watch->cancelled;
}

void RaiseWarnings(const char *lines) {
	const char *line = lines;
	while (line != nullptr && *line != '\0') {
		const char *end = strchr(line, '\n');
		int len = end != nullptr ? static_cast<int>(end - line) : static_cast<int>(strlen(line));
		ereport(WARNING, (errcode(ERRCODE_WARNING), errmsg("%.*s", len, line),
		                  errdetail("Kintone answered, but what it returned may be incomplete.")));
		line = end != nullptr ? end + 1 : nullptr;
	}
}

char *MallocCopy(const std::string &text) {
	char *out = static_cast<char *>(malloc(text.size() + 1));
	if (out == nullptr) {
		throw std::bad_alloc();
	}
	memcpy(out, text.c_str(), text.size() + 1);
	return out;
}

char *TakeMalloced(char *text) {
	char *out = pstrdup(text);
	free(text);
	return out;
}

} // namespace kintone_fdw
