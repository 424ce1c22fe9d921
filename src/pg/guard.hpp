// The C++ <-> PostgreSQL boundary, written once (architecture guide, "The boundary").
//
// Every function PostgreSQL calls runs its body through Guard(). Guard catches every C++
// exception, copies kind, SQLSTATE, message, detail, hint and context into a plain buffer,
// and raises the PostgreSQL error only after the catch block has ended, so no C++ exception
// object or destructor is skipped by ereport's longjmp. No other code converts between
// exceptions and ereport.
//
// Inside the guarded body, work in phases: read PostgreSQL state into plain values; call the
// client (C++ objects, exceptions); build Datums. Do not call anything that can ereport while
// a C++ object with a destructor is alive between that call and the guard.
#pragma once

#include "kintone/error.hpp"

#include <exception>
#include <new>
#include <string>
#include <utility>

namespace kintone_fdw {

// A caught error, held in plain storage until it is raised.
struct CaughtError {
	int sqlstate;
	char message[1024];
	char detail[2048];
	char hint[1024];
	char context[2048];
};

void CaptureKintoneError(CaughtError *out, const kintone::Error &e) noexcept;
void CaptureStdException(CaughtError *out, const std::exception &e) noexcept;
void CaptureOutOfMemory(CaughtError *out) noexcept;
void CaptureUnknown(CaughtError *out) noexcept;
[[noreturn]] void RaiseCaughtError(const CaughtError *err);

// Text made in the C++ phase for the PostgreSQL phase: MallocCopy inside the guarded body
// (throws std::bad_alloc), TakeMalloced after it (copies into the current memory context and
// frees the malloc'd text).
char *MallocCopy(const std::string &text);
char *TakeMalloced(char *text);

// Whether a SQLSTATE is that of an interrupt: a cancel, statement_timeout, lock_timeout,
// termination or an idle timeout.
bool IsCancelCode(int sqlstate) noexcept;

// PostgreSQL clears its interrupt flags before the abort cleanup runs, so that cleanup cannot
// tell a cancel from any other error by itself. A CancelWatch sits on the error context stack
// from StartCancelWatch to StopCancelWatch and remembers whether an error raised meanwhile was
// an interrupt (IsCancelCode): a write in flight is then abandoned, not waited for
// (Writer::Settle). Allocated in CurrentMemoryContext; StopCancelWatch (noexcept, idempotent)
// unlinks it wherever it sits in the stack and must run before that memory goes.
struct CancelWatch;
CancelWatch *StartCancelWatch();
void StopCancelWatch(CancelWatch *watch) noexcept;
bool CancelWatchSawCancel(const CancelWatch *watch) noexcept;

// Raises one WARNING per line of text (Kintone's X-Cybozu-Warning headers, Session::TakeWarnings).
void RaiseWarnings(const char *lines);

template <typename Fn>
auto Guard(Fn &&fn) -> decltype(fn()) {
	CaughtError caught;
	try {
		return std::forward<Fn>(fn)();
	} catch (const kintone::Error &e) {
		CaptureKintoneError(&caught, e);
	} catch (const std::bad_alloc &) {
		CaptureOutOfMemory(&caught);
	} catch (const std::exception &e) {
		CaptureStdException(&caught, e);
	} catch (...) {
		CaptureUnknown(&caught);
	}
	RaiseCaughtError(&caught);
}

} // namespace kintone_fdw
