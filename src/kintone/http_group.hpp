// Several requests in flight at once: one curl multi handle (one connection pool, one set of
// sockets to wait on) carrying up to `capacity` transfers, each on its own easy handle ("slot").
// A concurrent scan owns one group (src/kintone/pager.cpp, docs/concurrency.md).
//
// Every group of the process counts its transfers in one process-wide number, so that a
// backend never has more than the configured number of page requests in flight, whatever
// the number of scans running (a UNION ALL, a join): a scan asks InFlightInProcess() before
// starting one, and while it waits for a slot it may drive every group (DriveAll), which lets
// the transfers of other scans finish (their answers stay with their groups).
//
// Transfers are plain HTTP: retries, errors of non-2xx answers and authentication stay with
// the caller (the pager asks the Session). The abort check of HttpOptions is not polled here:
// the caller's wait loop polls it between Wait calls.
#pragma once

#include "kintone/http_client.hpp"

#include <memory>
#include <string>
#include <vector>

namespace kintone {

class HttpGroup {
public:
	HttpGroup(HttpOptions options, int capacity);
	~HttpGroup();
	HttpGroup(const HttpGroup &) = delete;
	HttpGroup &operator=(const HttpGroup &) = delete;

	int capacity() const { return static_cast<int>(slots_.size()); }
	int in_flight() const { return in_flight_; }
	// A slot without a transfer (in flight or finished and not yet taken).
	int FreeSlot() const;

	// Sends request on a free slot (throws kInternal when there is none) and returns the slot.
	// request is copied: curl reads it while the transfer runs. buffer, when given, becomes the
	// buffer the answer arrives in (cleared, its capacity kept) and receives the slot's previous
	// one, so that a caller can reuse its buffers (body_pool.hpp).
	int Start(const HttpRequest &request, std::string *buffer = nullptr);
	// Moves every transfer on without blocking; finished ones become Done.
	void Drive() noexcept;
	bool Done(int slot) const;
	// The answer of a finished transfer (of any HTTP status), or throws like
	// HttpClient::Finish (kConnection, kProtocol for an answer too large, with may_have_acted).
	// The slot is free afterwards; the response stays valid until the slot is used again.
	HttpResponse &Take(int slot);
	// How many times curl sent the slot's request (0 = never).
	int sends(int slot) const;
	// Drops a transfer (closing its connection when it was in flight).
	void Cancel(int slot) noexcept;
	void CancelAll() noexcept;
	// Waits up to ms for activity on the group's sockets (curl_multi_poll).
	void Wait(long ms) noexcept;
	// The group's wait handle for asynchronous execution (src/pg/async.cpp): readable when a
	// transfer's socket is ready, libcurl's timeout expires, or at the latest
	// HttpClient::kWaitTickMs after ArmWaitFd (detail::MultiWaitFd in http_internal.hpp); -1
	// when the system refuses one. Call ArmWaitFd after Drive, before every wait.
	int WaitFd() noexcept;
	void ArmWaitFd() noexcept;

	// Requests this group sent, and the most it had in flight at once.
	long requests() const { return requests_; }
	int max_in_flight() const { return max_in_flight_; }

	// Transfers in flight in this process, over every group.
	static int InFlightInProcess();
	// Drive() on every group of the process.
	static void DriveAll() noexcept;

private:
	struct Slot;
	struct Impl;
	std::unique_ptr<Impl> impl_;
	std::vector<std::unique_ptr<Slot>> slots_;
	HttpOptions options_;
	int in_flight_ = 0;
	int max_in_flight_ = 0;
	long requests_ = 0;
	void Release(Slot &slot) noexcept;
};

} // namespace kintone
