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
