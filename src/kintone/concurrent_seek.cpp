// See concurrent_seek.hpp and docs/concurrency.md.
#include "kintone/concurrent_seek.hpp"

#include "kintone/error.hpp"
#include "kintone/pager.hpp"

#include <algorithm>
#include <climits>
#include <cmath>
#include <cstdlib>
#include <thread>

namespace kintone {

namespace {

constexpr long kWaitSliceMs = 20; // the abort check runs at least this often while waiting
constexpr std::string_view kEmptyPage = R"({"records":[]})";
// A filtered scan's slices are planned to hold this share of a page: its matches spread over the
// ids at random, so slices planned for a full page each would overflow about half the time (and
// all of them when the estimate is a little low), each costing a second request. See
// docs/concurrency.md, "Headroom".
constexpr double kFilteredFill = 0.9;

long long HeaderNumber(const HttpResponse &response, std::string_view name) {
	std::string text = response.Header(name);
	if (text.empty() || text.size() > 9 || text.find_first_not_of("0123456789") != std::string::npos) {
		return -1;
	}
	return std::atoll(text.c_str());
}

} // namespace

ConcurrentSeek::ConcurrentSeek(Session &session, const ScanRequest &request, int max_in_flight)
    : session_(session), request_(request), max_(std::max(1, max_in_flight)), effective_(max_),
      group_(std::make_unique<HttpGroup>(session.config().http, max_)), bodies_(static_cast<size_t>(3 * max_)) {}

ConcurrentSeek::~ConcurrentSeek() {
	Close();
}

void ConcurrentSeek::Close() noexcept {
	closed_ = true;
	group_->CancelAll();
	window_.clear();
	planned_ = false;
	open_slice_queued_ = true;
}

bool ConcurrentSeek::Aborted() const {
	const HttpOptions &http = session_.config().http;
	return http.should_abort != nullptr && http.should_abort(http.abort_arg);
}

std::string ConcurrentSeek::Query(const Task &task) const {
	std::string query;
	if (!request_.condition.empty()) {
		query = "(" + request_.condition + ") and ";
	}
	query += "$id > " + std::to_string(task.after);
	if (task.upto >= 0) {
		query += " and $id <= " + std::to_string(task.upto);
	}
	query += " order by $id asc limit " + std::to_string(request_.page_size);
	return query;
}

void ConcurrentSeek::StartTask(Task &task) {
	if (task.label.empty()) {
		Json params = {{"app", request_.app}, {"query", Query(task)}};
		if (!request_.fields.empty()) {
			params["fields"] = request_.fields;
		}
		if (task.first) {
			params["totalCount"] = true;
		}
		task.request = session_.BuildRead("records.json", params, request_.guest_space_id, &task.label);
	}
	// The answer arrives in a kept buffer (no growth from empty, no buffer freed per page); the
	// slot's previous one (empty once its answer moved to its task) goes back to the pool.
	std::string buffer = bodies_.Take();
	task.slot = group_->Start(task.request, &buffer);
	bodies_.Give(std::move(buffer));
}

// The domain's load as Kintone reports it: near its limit, fewer pages in flight; far from it,
// back up one at a time to the setting.
void ConcurrentSeek::Adapt(const HttpResponse &response) {
	long long limit = HeaderNumber(response, "x-concurrencylimit-limit");
	long long running = HeaderNumber(response, "x-concurrencylimit-running");
	if (limit <= 0 || running < 0) {
		return;
	}
	if (running + max_ > limit) {
		effective_ = std::max(1, effective_ / 2);
	} else if (running + 2 * max_ <= limit && effective_ < max_) {
		++effective_;
	}
}

void ConcurrentSeek::Collect() {
	if (failure_) {
		std::rethrow_exception(failure_);
	}
	try {
		CollectAnswers();
	} catch (...) {
		failure_ = std::current_exception(); // the scan is over: Next throws it
		throw;
	}
}

void ConcurrentSeek::CollectAnswers() {
	group_->Drive();
	for (size_t i = 0; i < window_.size(); ++i) {
		Task &task = window_[i];
		if (task.slot < 0 || !group_->Done(task.slot)) {
			continue;
		}
		int slot = task.slot;
		task.slot = -1;
		bool again = false;
		bool at_once = false;
		try {
			HttpResponse &response = group_->Take(slot);
			bool refreshed = false;
			if (session_.AcceptRead(task.request, response, task.label, task.attempt, &refreshed)) {
				Adapt(response);
				bodies_.Saw(response.body.size());
				task.body = std::move(response.body);
				task.done = true;
				bytes_ += static_cast<long long>(task.body.size());
				// A full page of a slice: its next page is asked for now, not when this one is
				// consumed (pages are consumed in $id order; a slice's second page asked for only
				// then would travel alone). Next checks the quick look against the parse. At most
				// 3 × the setting of pages in the window, so that what is buffered stays bounded
				// (beyond, the continuation is asked for when the page is consumed).
				long long last = -1;
				if (window_.size() < static_cast<size_t>(3 * max_) && GoesOn(task, task.body, &last)) {
					task.continued = true;
					task.continued_from = last;
					window_.insert(window_.begin() + static_cast<std::ptrdiff_t>(i) + 1,
					               Continuation(task, last)); // task is invalid now
				}
				continue;
			}
			again = true;
			at_once = refreshed;
			if (response.status == 429) {
				effective_ = std::max(1, effective_ / 2); // the domain is full: fewer at once
			}
		} catch (Error &e) {
			e.set_context("Kintone query: " + Query(task));
			if (e.kind() != ErrorKind::kConnection) {
				throw;
			}
			again = session_.RetryRead(e, task.label, task.attempt); // throws unless retried
		}
		if (again) {
			task.not_before =
			    at_once ? Clock::now() : Clock::now() + std::chrono::milliseconds(session_.RetryDelay(task.attempt));
			if (!at_once) {
				++task.attempt;
			}
		}
	}
}

void ConcurrentSeek::Fill() {
	if (closed_) {
		return;
	}
	size_t cap = static_cast<size_t>(2 * max_);
	while (planned_ && window_.size() < cap) {
		Task task;
		if (next_after_ < plan_end_) {
			task.after = next_after_;
			task.upto = plan_end_ - next_after_ <= width_ ? plan_end_ : next_after_ + width_;
			next_after_ = task.upto;
		} else if (!open_slice_queued_) {
			task.after = plan_end_;
			task.first = open_is_first_; // a hinted scan's open slice: totalCount, plans beyond
			open_is_first_ = false;
			open_slice_queued_ = true;
		} else {
			break;
		}
		window_.push_back(std::move(task));
	}
	auto now = Clock::now();
	for (Task &task : window_) {
		if (group_->in_flight() >= effective_ || HttpGroup::InFlightInProcess() >= max_ || group_->FreeSlot() < 0) {
			break;
		}
		if (task.done || task.slot >= 0 || task.not_before > now) {
			continue;
		}
		StartTask(task);
	}
}

void ConcurrentSeek::Plan(const RecordReader &page) {
	planned_ = true;
	open_slice_queued_ = false;
	long long rows = static_cast<long long>(page.rows());
	next_after_ = page.last_id();
	plan_end_ = next_after_;
	std::optional<long long> total = page.total_count();
	if (!total || page.first_id() < 0 || page.last_id() < page.first_id()) {
		width_ = 1; // nothing to plan with: the open slice alone, page after page
		return;
	}
	long long span = page.last_id() - page.first_id() + 1; // ids the first page spans
	width_ = span;
	if (!request_.condition.empty() && rows >= 10) { // (a page of a few rows: its span as it is)
		width_ = std::max(1LL, static_cast<long long>(static_cast<double>(span) * kFilteredFill));
	}
	long long rest = *total - rows;
	if (rest <= 0) {
		// totalCount says this page held the last matching record. Without a hint the open
		// slice is still read (as before); a hinted scan's open slice ends here, sparing the
		// empty page.
		open_slice_queued_ = hinted_;
		return;
	}
	double end = static_cast<double>(next_after_) +
	             std::ceil(static_cast<double>(rest) * static_cast<double>(span) / static_cast<double>(rows));
	plan_end_ = end >= 9.0e17 ? 900000000000000000LL : static_cast<long long>(end);
}

// Slices from the hint, without a first page: ⌈rows_hint / page⌉ slices (⌈rows_hint / (0.9 ×
// page)⌉ for a filtered scan: kFilteredFill) of equal width over
// [1, id_hint], the last of them open and asking for totalCount (Plan, when its page is full).
// False when the hint is missing or too small to plan with (the first page then plans).
bool ConcurrentSeek::PlanFromHint() {
	long long page = request_.page_size;
	long long hint = request_.id_hint;
	double rows = request_.rows_hint;
	if (hint <= 0 || hint >= 900000000000000000LL || !(rows > static_cast<double>(page))) {
		return false;
	}
	double fill = request_.condition.empty() ? 1.0 : kFilteredFill;
	double wanted = std::ceil(std::min(rows, 1.0e12) / (fill * static_cast<double>(page)));
	long long slices = std::min(static_cast<long long>(wanted), hint);
	if (slices < 2) {
		return false;
	}
	hinted_ = true;
	planned_ = true;
	open_slice_queued_ = false;
	open_is_first_ = true;
	width_ = (hint + slices - 1) / slices;
	next_after_ = 0;
	plan_end_ = std::max(0LL, hint - width_); // closed slices up to here, then the open one
	return true;
}

bool ConcurrentSeek::GoesOn(const Task &task, std::string_view body, long long *last) const {
	size_t rows = 0;
	return !task.first && PeekSeekPage(body, &rows, last) && static_cast<long long>(rows) == request_.page_size &&
	       *last > task.after && (task.upto < 0 || *last < task.upto);
}

ConcurrentSeek::Task ConcurrentSeek::Continuation(const Task &task, long long after) {
	Task next;
	next.after = after;
	next.upto = task.upto;
	return next;
}

bool ConcurrentSeek::PageReady() noexcept {
	if (closed_ || failure_) {
		return true;
	}
	try {
		Collect();
		Fill();
	} catch (...) {
		return true; // Next throws it again (the task is failed for good)
	}
	return !started_ || window_.empty() || window_.front().done;
}

void ConcurrentSeek::Pump() noexcept {
	if (closed_) {
		return;
	}
	try {
		Collect();
		Fill();
	} catch (...) {
		// Next meets the failure itself.
	}
}

void ConcurrentSeek::StartFirst() {
	if (started_ || closed_) {
		return;
	}
	started_ = true;
	if (PlanFromHint()) {
		Fill();
		return;
	}
	Task first;
	first.first = true;
	window_.push_back(std::move(first));
	Fill();
}

bool ConcurrentSeek::Next(RecordReader &reader) {
	try {
		StartFirst();
		for (;;) {
			if (closed_ || window_.empty()) {
				reader.Parse(kEmptyPage);
				return false;
			}
			Collect();
			Fill();
			while (!window_.front().done) {
				if (Aborted()) {
					throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
				}
				if (group_->in_flight() > 0) {
					group_->Wait(kWaitSliceMs);
				} else {
					// Waiting for a retry's back-off, or for other scans of this backend to
					// free their share of the requests in flight.
					HttpGroup::DriveAll();
					std::this_thread::sleep_for(std::chrono::milliseconds(5));
				}
				Collect();
				Fill();
			}
			Task task = std::move(window_.front());
			window_.pop_front();
			reader.set_id_floor(task.after);
			reader.Load(task.body);
			bodies_.Give(std::move(task.body));
			long long page = request_.page_size;
			// A full page of a slice: the slice goes on from its last $id. Asked for before this
			// page is parsed (the quick look is checked against the parse below).
			long long peek_last = task.continued_from;
			bool continued = task.continued; // already put behind it when its answer came
			if (!continued && GoesOn(task, reader.loaded(), &peek_last)) {
				window_.push_front(Continuation(task, peek_last));
				continued = true;
				Fill();
			}
			query_ = Query(task);
			try {
				reader.ParseLoaded();
			} catch (Error &e) {
				if (e.kind() == ErrorKind::kProtocol && e.detail().find(task.label) == std::string::npos) {
					e.set_detail(e.detail().empty() ? "Answer to " + task.label + "."
					                                : e.detail() + " (answer to " + task.label + ")");
				}
				throw;
			}
			long long rows = static_cast<long long>(reader.rows());
			if (rows > page) {
				throw Error(ErrorKind::kProtocol, "Kintone returned more records than the query's limit",
				            std::to_string(rows) + " records for \"limit " + std::to_string(page) + "\" (answer to " +
				                task.label + ")");
			}
			if (rows > 0 && reader.last_id() < 0) {
				throw Error(ErrorKind::kInternal, "kintone_fdw read a seek page without \"$id\"");
			}
			if (rows > 0 && task.upto >= 0 && reader.last_id() > task.upto) {
				throw Error(ErrorKind::kProtocol, "Kintone returned a record outside the query's $id range",
				            "$id " + std::to_string(reader.last_id()) + " for \"$id <= " + std::to_string(task.upto) +
				                "\" (answer to " + task.label + ")");
			}
			bool full = rows == page && (task.upto < 0 || reader.last_id() < task.upto);
			if (continued && (!full || reader.last_id() != peek_last)) {
				throw Error(ErrorKind::kProtocol, "Kintone returned a page that reads differently on a second look",
				            "Answer to " + task.label + ".");
			}
			if (task.first) {
				if (full) {
					Plan(reader);
				}
			} else if (full && !continued) {
				window_.push_front(Continuation(task, reader.last_id()));
			}
			Fill();
			if (rows > 0) {
				return true;
			}
		}
	} catch (Error &e) {
		Close();
		if (e.context().empty() && !query_.empty()) {
			e.set_context("Kintone query: " + query_);
		}
		throw;
	} catch (...) {
		Close();
		throw;
	}
}

} // namespace kintone
