// A seek scan with several pages in flight (docs/concurrency.md).
//
// The first page is asked for as a sequential seek scan would (plus totalCount). When it is
// full, the rest of the $id range is cut into slices that each span as many ids as the first
// page did ("$id > a and $id <= b"), up to the id where totalCount says the records end, and
// one open slice after that ("$id > e"). A filtered scan's slices span 0.9 × that (headroom:
// its matches spread at random). Slices are read by seek, up to max_in_flight at once; a
// slice whose page comes back full goes on by seek within its bounds, asked for as soon as
// that page arrives. Pages are handed out in $id order (slice after slice), so the scan keeps
// the order it promises; at most 3 × max_in_flight answers wait in memory, whatever the app's
// size.
//
// With a hint of the $id range (ScanRequest::id_hint, rows_hint) no page is read alone: the
// slices cut [1, hint] into ⌈rows_hint / page⌉ parts (⌈rows_hint / (0.9 × page)⌉ filtered)
// from the start, the last of them open
// ("$id > e", asking for totalCount): when its page is full and totalCount says more follow, it
// plans slices beyond it as a first page would; when totalCount says none follow, no request
// is spent on an empty page.
//
// Requests: ⌈N/500⌉ + 1 for ids without gaps (the open slice's page, which normally comes
// back empty), plus one per slice that held more than a page (ids or matches unevenly
// spread). Answers are judged by the session (429, 5xx and lost connections retried with
// back-off; a 429 also halves the pages in flight); X-ConcurrencyLimit-Running near
// X-ConcurrencyLimit-Limit halves them too. Any error ends the scan: every request in flight
// is dropped and the error is thrown, so that no partial result is returned as complete.
#pragma once

#include "kintone/body_pool.hpp"
#include "kintone/http_group.hpp"
#include "kintone/record_reader.hpp"
#include "kintone/session.hpp"

#include <chrono>
#include <deque>
#include <exception>
#include <memory>
#include <string>
#include <vector>

namespace kintone {

struct ScanRequest;

class ConcurrentSeek {
public:
	// request: a seek scan without limit and offset; max_in_flight >= 2.
	ConcurrentSeek(Session &session, const ScanRequest &request, int max_in_flight);
	~ConcurrentSeek();

	// The next page with records, in $id order, into reader (whose columns include "$id").
	// False at the end (reader then holds zero rows). Throws kCancelled when the session's
	// abort check fires, or the error that ended a request.
	bool Next(RecordReader &reader);
	// Sends the first page's request without waiting for it (asynchronous execution); with a
	// hint of the $id range (ScanRequest::id_hint), the first wave of slices instead.
	void StartFirst();
	// Next would not wait (its page has arrived, or the scan is over).
	bool PageReady() noexcept;
	// Moves the requests on and starts new ones, without blocking.
	void Pump() noexcept;
	// Drops every request in flight; Next returns false afterwards.
	void Close() noexcept;

	HttpGroup &group() { return *group_; }
	long requests() const { return group_->requests(); }
	long long bytes() const { return bytes_; }
	int max_in_flight_seen() const { return group_->max_in_flight(); }

private:
	using Clock = std::chrono::steady_clock;
	struct Task {
		long long after = 0; // $id > after
		long long upto = -1; // $id <= upto; -1: open
		bool first = false;  // the first page (totalCount asked)
		int slot = -1;       // in flight on this slot
		bool done = false;   // body holds the answer
		// A full page of a slice: its continuation ($id > continued_from) was put behind it
		// in the window as soon as the answer came (CollectAnswers), so that the slice's next
		// page travels while earlier pages wait to be consumed.
		bool continued = false;
		long long continued_from = -1;
		int attempt = 0; // sends so far that failed
		Clock::time_point not_before{};
		HttpRequest request;
		std::string label;
		std::string body;
	};

	void Plan(const RecordReader &first_page);
	bool PlanFromHint();
	void Fill();
	void Collect();
	void CollectAnswers();
	void StartTask(Task &task);
	void Adapt(const HttpResponse &response);
	bool Aborted() const;
	std::string Query(const Task &task) const;
	// A quick look at a slice's answer (not the first page): full, and its last $id (*last)
	// below the slice's bound, so the slice goes on after it.
	bool GoesOn(const Task &task, std::string_view body, long long *last) const;
	// The slice's next page: $id > after, within the same bound.
	static Task Continuation(const Task &task, long long after);

	Session &session_;
	const ScanRequest &request_;
	int max_;       // the setting
	int effective_; // lowered after 429 or near the domain's limit
	std::unique_ptr<HttpGroup> group_;
	std::deque<Task> window_;
	// The answers' buffers, reused page after page (body_pool.hpp): each is in a slot (an
	// answer arriving), in a task of the window (an answer waiting) or here; no more than the
	// window's tasks need at once.
	BodyPool bodies_;
	bool started_ = false;
	bool closed_ = false;
	// Slices not yet in the window: (next_after_, next_after_ + width_], … up to plan_end_,
	// then the open slice.
	bool planned_ = false;
	long long next_after_ = 0;
	long long width_ = 0;
	long long plan_end_ = 0;
	bool open_slice_queued_ = false;
	bool hinted_ = false;        // planned from the request's id_hint, without a first page
	bool open_is_first_ = false; // the open slice asks for totalCount and plans what is beyond it
	long long bytes_ = 0;
	std::string query_;          // of the page being parsed, for errors
	std::exception_ptr failure_; // the error that ended the scan, thrown by Next
};

} // namespace kintone
