// The paging state machine (see pager.hpp and contract §9).
//
// Every strategy asks for at most what a pushed-down LIMIT still needs, and stops without an
// extra request when a page comes back short or the limit is reached. A cursor holds one slot
// of the process-wide CursorBudget from just before its creation until it is gone: Kintone
// deleted it (next == false), Close deleted it, or creating it failed.
#include "kintone/pager.hpp"

#include "kintone/concurrent_seek.hpp"
#include "kintone/error.hpp"

#include <algorithm>
#include <cstring>
#include <functional>
#include <utility>

namespace kintone {

namespace {

constexpr long long kMaxOffset = 10000;
constexpr std::string_view kEmptyPage = R"({"records":[]})";
// A cancel that arrives while a cursor is being created still waits this long for Kintone's
// answer, so that the cursor can be deleted (docs/faults.md, "Cursors").
constexpr long kCursorCreateGraceMs = 1000;
// Kintone may send an empty cursor page with next == true (contract §4.8); this many in a row
// is a server that never ends.
constexpr int kMaxEmptyCursorPages = 1000;

// Names the request in a protocol error of its answer.
void NameRequest(Error &e, const std::string &request) {
	if (e.kind() == ErrorKind::kProtocol && e.detail().find(request) == std::string::npos) {
		e.set_detail(e.detail().empty() ? "Answer to " + request + "." : e.detail() + " (answer to " + request + ")");
	}
}

void Append(std::string &query, const std::string &part) {
	if (part.empty()) {
		return;
	}
	if (!query.empty()) {
		query += ' ';
	}
	query += part;
}

// Records still wanted, capped by the page size.
long long PageSize(const ScanRequest &request, long long fetched) {
	long long size = request.page_size;
	if (request.limit) {
		size = std::min(size, std::max(0LL, *request.limit - fetched));
	}
	return size;
}

std::string SeekQuery(const ScanRequest &request, long long last_id, long long page, bool first) {
	std::string query;
	if (!request.condition.empty()) {
		query = "(" + request.condition + ") and ";
	}
	query += "$id > " + std::to_string(last_id) + " order by $id asc limit " + std::to_string(page);
	if (first && request.offset > 0) {
		query += " offset " + std::to_string(request.offset);
	}
	return query;
}

std::string OffsetQuery(const ScanRequest &request, long long page, long long offset) {
	std::string query = request.condition;
	if (!request.order_by.empty()) {
		Append(query, "order by " + request.order_by);
	}
	Append(query, "limit " + std::to_string(page) + " offset " + std::to_string(offset));
	return query;
}

std::string CursorQuery(const ScanRequest &request) {
	std::string query = request.condition;
	if (!request.order_by.empty()) {
		Append(query, "order by " + request.order_by);
	}
	return query;
}

} // namespace

const char *PagingStrategyName(PagingStrategy strategy) {
	switch (strategy) {
	case PagingStrategy::kSeek:
		return "seek";
	case PagingStrategy::kOffset:
		return "offset";
	case PagingStrategy::kCursor:
		return "cursor";
	}
	return "unknown";
}

bool CursorBudget::TryAcquire() {
	if (in_use_ >= max_) {
		return false;
	}
	++in_use_;
	return true;
}

void CursorBudget::Release() {
	if (in_use_ > 0) {
		--in_use_;
	}
}

Pager::Pager(Session &session, ScanRequest request, CursorBudget *budget)
    : session_(session), request_(std::move(request)), budget_(budget) {
	if (request_.page_size < 1 || request_.page_size > 500) {
		throw Error(ErrorKind::kInternal, "kintone_fdw page size must be between 1 and 500",
		            "page size " + std::to_string(request_.page_size));
	}
	// Seek pages need "$id" to go on; cursor pages carry it so that no two pages can be the same
	// (a page served twice is then recognised, NextCursorPage).
	if (request_.strategy != PagingStrategy::kOffset && !request_.fields.empty() &&
	    std::find(request_.fields.begin(), request_.fields.end(), "$id") == request_.fields.end()) {
		request_.fields.push_back("$id");
	}
	if (request_.strategy == PagingStrategy::kSeek && request_.max_in_flight > 1 && !request_.limit &&
	    request_.offset == 0) {
		concurrent_ = std::make_unique<ConcurrentSeek>(session_, request_, request_.max_in_flight);
	}
}

Pager::~Pager() {
	Close();
}

std::string Pager::FirstQuery(const ScanRequest &request) {
	switch (request.strategy) {
	case PagingStrategy::kSeek:
		return SeekQuery(request, 0, PageSize(request, 0), true);
	case PagingStrategy::kOffset:
		return OffsetQuery(request, PageSize(request, 0), request.offset);
	case PagingStrategy::kCursor:
		return CursorQuery(request);
	}
	return {};
}

bool Pager::Next(RecordReader &reader) {
	if (done_) {
		reader.Parse(kEmptyPage);
		return false;
	}
	if (concurrent_) {
		try {
			bool more = concurrent_->Next(reader);
			records_ += static_cast<long long>(reader.rows());
			done_ = !more;
			return more;
		} catch (...) {
			done_ = true;
			throw;
		}
	}
	std::string query;
	try {
		switch (request_.strategy) {
		case PagingStrategy::kSeek:
		case PagingStrategy::kOffset: {
			long long page = PageSize(request_, fetched_);
			if (page <= 0) {
				done_ = true;
				reader.Parse(kEmptyPage);
				return false;
			}
			query = PageQuery(page);
			if (request_.strategy == PagingStrategy::kOffset && request_.offset + fetched_ > kMaxOffset) {
				throw Error(ErrorKind::kInternal, "kintone_fdw planned an offset scan past Kintone's offset limit",
				            "offset " + std::to_string(request_.offset + fetched_) + " exceeds 10000");
			}
			// The page may already be on its way (prefetched while the previous one was used).
			const std::string *body = nullptr;
			if (prefetched_ && prefetch_query_ == query) {
				body = session_.FinishGetRaw(this);
			}
			if (body == nullptr) {
				// Not prefetched, or the shared session had to cancel it for another request.
				++requests_;
				body = &session_.GetRaw("records.json", PageParams(query), request_.guest_space_id);
			}
			prefetched_ = false;
			started_ = true;
			bytes_ += static_cast<long long>(body->size());
			// Seek pages hold only ids past the previous page's last, in increasing order.
			reader.set_id_floor(request_.strategy == PagingStrategy::kSeek ? last_id_ : -1);
			reader.Load(*body); // out of the HTTP buffer, which the next request reuses
			// Seek: the next page's query needs only this page's record count and last $id,
			// which a quick look finds without parsing; ask for it before parsing this one.
			size_t peek_rows = 0;
			long long peek_last = -1;
			bool early = false;
			if (request_.strategy == PagingStrategy::kSeek && PeekSeekPage(reader.loaded(), &peek_rows, &peek_last)) {
				long long fetched_after = fetched_ + std::min<long long>(static_cast<long long>(peek_rows), page);
				bool done_after =
				    static_cast<long long>(peek_rows) < page || (request_.limit && fetched_after >= *request_.limit);
				long long next_page = PageSize(request_, fetched_after);
				if (!done_after && next_page > 0 && peek_last > 0) {
					prefetch_query_ = SeekQuery(request_, peek_last, next_page, false);
					++requests_;
					session_.StartGetRaw(this, "records.json", PageParams(prefetch_query_), request_.guest_space_id);
					prefetched_ = true;
					early = true;
				}
			}
			try {
				reader.ParseLoaded();
			} catch (Error &e) {
				NameRequest(e, "GET " + session_.Path("records.json", request_.guest_space_id));
				throw;
			}
			size_t rows = reader.rows();
			if (early && (rows != peek_rows || reader.last_id() != peek_last)) {
				// The quick look was wrong (it never should be): drop that request.
				session_.CancelPending(this);
				prefetched_ = false;
			}
			if (static_cast<long long>(rows) > page) {
				throw Error(ErrorKind::kProtocol, "Kintone returned more records than the query's limit",
				            std::to_string(rows) + " records for \"limit " + std::to_string(page) +
				                "\" (answer to GET " + session_.Path("records.json", request_.guest_space_id) + ")");
			}
			fetched_ += static_cast<long long>(rows);
			records_ += static_cast<long long>(rows);
			if (request_.strategy == PagingStrategy::kSeek && rows > 0) {
				if (reader.last_id() < 0) {
					throw Error(ErrorKind::kInternal, "kintone_fdw read a seek page without \"$id\"");
				}
				last_id_ = reader.last_id();
			}
			if (static_cast<long long>(rows) < page || (request_.limit && fetched_ >= *request_.limit)) {
				done_ = true;
			}
			if (!done_ && !prefetched_) {
				// Ask for the next page now: it downloads while this one is converted.
				long long next_page = PageSize(request_, fetched_);
				bool within = request_.strategy == PagingStrategy::kSeek || request_.offset + fetched_ <= kMaxOffset;
				if (next_page > 0 && within) {
					prefetch_query_ = PageQuery(next_page);
					++requests_;
					session_.StartGetRaw(this, "records.json", PageParams(prefetch_query_), request_.guest_space_id);
					prefetched_ = true;
				}
			}
			return rows > 0;
		}
		case PagingStrategy::kCursor:
			query = CursorQuery(request_);
			return NextCursorPage(reader, query);
		}
	} catch (Error &e) {
		if (request_.strategy == PagingStrategy::kCursor) {
			Close();
		}
		done_ = true;
		e.set_context("Kintone query: " + query);
		throw;
	}
	return false;
}

bool Pager::NextCursorPage(RecordReader &reader, const std::string &query) {
	if (request_.offset != 0) {
		throw Error(ErrorKind::kInternal, "kintone_fdw planned a cursor scan with an offset");
	}
	if (cursor_id_.empty()) {
		long long size = PageSize(request_, 0);
		if (size <= 0) {
			done_ = true;
			reader.Parse(kEmptyPage);
			return false;
		}
		if (!session_.config().allow_cursor) {
			// The planner never chooses a cursor for such a session; a plan made before the
			// user mapping switched to OAuth could still ask for one.
			throw Error(ErrorKind::kNotSupported, "Kintone does not allow the cursor API with OAuth", "",
			            "Run the query again: it is planned anew without a cursor.");
		}
		if (budget_ == nullptr) {
			throw Error(ErrorKind::kInternal, "kintone_fdw started a cursor scan without a cursor budget");
		}
		if (!budget_->TryAcquire()) {
			throw Error(ErrorKind::kRateLimited,
			            "kintone_fdw already holds " + std::to_string(budget_->in_use()) +
			                " Kintone cursors in this session",
			            "",
			            "Finish or close other scans that need a cursor (ORDER BY pushed down to Kintone over "
			            "many rows), or raise the cursor limit; Kintone allows 10 live cursors per domain.");
		}
		cursor_acquired_ = true;
		Json body = {{"app", request_.app}, {"query", query}, {"size", size}};
		if (!request_.fields.empty()) {
			body["fields"] = request_.fields;
		}
		++requests_;
		std::string label = "POST " + session_.Path("records/cursor.json", request_.guest_space_id);
		Json created;
		try {
			created = session_.Send("POST", "records/cursor.json", body, request_.guest_space_id, kCursorCreateGraceMs);
		} catch (Error &e) {
			if (e.may_have_acted()) {
				e.set_detail((e.detail().empty() ? "" : e.detail() + "\n") +
				             "If Kintone created the cursor, kintone_fdw never learnt its id and cannot delete it: it "
				             "holds one of the domain's 10 cursors until it expires (10 minutes after creation).");
			}
			throw;
		}
		auto id = created.find("id");
		if (id == created.end() || !id->is_string() || id->get_ref<const std::string &>().empty()) {
			throw Error(ErrorKind::kProtocol, "Kintone created a cursor without an id",
			            "Answer to " + label +
			                ". A cursor it may have created cannot be deleted without its id: it holds one of the "
			                "domain's 10 cursors until it expires (10 minutes after creation).");
		}
		cursor_id_ = id->get<std::string>(); // from here on, Close deletes it
		auto total = created.find("totalCount");
		long long count = -1;
		if (total != created.end() && total->is_number_integer()) {
			count = total->get<long long>();
		} else if (total != created.end() && total->is_string()) {
			const std::string &text = total->get_ref<const std::string &>();
			if (!text.empty() && text.size() <= 18 && text.find_first_not_of("0123456789") == std::string::npos) {
				count = std::stoll(text);
			}
		}
		if (count < 0) {
			throw Error(ErrorKind::kProtocol, "Kintone created a cursor without a valid \"totalCount\"",
			            "Answer to " + label + ".");
		}
		cursor_total_ = count;
		if (session_.cancel_pending()) {
			// Cancelled while the creation was on its way: the cursor is deleted (by the caller's
			// Close), then the cancel goes on.
			throw Error(ErrorKind::kCancelled, "the request to Kintone was cancelled");
		}
	}
	std::string label = "GET " + session_.Path("records/cursor.json", request_.guest_space_id);
	for (;;) {
		++requests_;
		const std::string *page = nullptr;
		try {
			// Never sent twice: each GET moves the cursor on (Session::GetRawOnce).
			page = &session_.GetRawOnce("records/cursor.json", {{"id", cursor_id_}}, request_.guest_space_id);
		} catch (Error &e) {
			if (e.kind() != ErrorKind::kCancelled && e.hint().empty()) {
				e.set_hint("A cursor page whose answer is lost cannot be asked for again (Kintone's cursor has moved "
				           "past it), so the scan stopped and the cursor was deleted. Run the statement again.");
			}
			throw;
		}
		bytes_ += static_cast<long long>(page->size());
		try {
			reader.Parse(*page);
			if (!reader.next()) {
				throw Error(ErrorKind::kProtocol, "Kintone returned a cursor page without \"next\"");
			}
			cursor_rows_ += static_cast<long long>(reader.rows());
			if (cursor_rows_ > cursor_total_) {
				throw Error(ErrorKind::kProtocol, "Kintone's cursor returned more records than it holds",
				            std::to_string(cursor_rows_) + " records read from a cursor of " +
				                std::to_string(cursor_total_) + " (its totalCount): a page was served twice");
			}
			if (reader.rows() > 0) {
				// Every record carries its $id, so two pages with records are never the same bytes
				// unless one was served again (a proxy answering the same URL from its cache).
				size_t hash = std::hash<std::string_view>{}(*page);
				if (hash == last_page_hash_) {
					throw Error(ErrorKind::kProtocol, "Kintone's cursor served the same page twice",
					            "A page of " + std::to_string(reader.rows()) + " records came again.");
				}
				last_page_hash_ = hash;
			}
			empty_pages_ = reader.rows() == 0 ? empty_pages_ + 1 : 0;
			if (empty_pages_ > kMaxEmptyCursorPages) {
				throw Error(ErrorKind::kProtocol, "Kintone's cursor keeps returning empty pages",
				            std::to_string(empty_pages_) + " empty pages in a row with \"next\": true");
			}
		} catch (Error &e) {
			NameRequest(e, label);
			throw;
		}
		if (!*reader.next()) {
			// Kintone deleted the cursor with its last page.
			cursor_id_.clear();
			ReleaseCursorSlot();
			done_ = true;
		}
		size_t rows = reader.rows();
		if (request_.limit && fetched_ + static_cast<long long>(rows) >= *request_.limit) {
			reader.Truncate(static_cast<size_t>(*request_.limit - fetched_));
			rows = reader.rows();
			Close(); // the limit is reached: delete the cursor now
		}
		fetched_ += static_cast<long long>(rows);
		records_ += static_cast<long long>(rows);
		if (rows > 0) {
			return true;
		}
		if (done_) {
			return false;
		}
		// An empty page with next == true: keep reading.
	}
}

void Pager::ReleaseCursorSlot() noexcept {
	if (cursor_acquired_ && budget_ != nullptr) {
		budget_->Release();
	}
	cursor_acquired_ = false;
}

std::string Pager::PageQuery(long long page) const {
	if (request_.strategy == PagingStrategy::kSeek) {
		return SeekQuery(request_, last_id_, page, !started_);
	}
	return OffsetQuery(request_, page, request_.offset + fetched_);
}

Json Pager::PageParams(const std::string &query) const {
	Json params = {{"app", request_.app}, {"query", query}};
	if (!request_.fields.empty()) {
		params["fields"] = request_.fields;
	}
	return params;
}

long Pager::requests() const {
	return requests_ + (concurrent_ ? concurrent_->requests() : 0);
}

long long Pager::bytes() const {
	return bytes_ + (concurrent_ ? concurrent_->bytes() : 0);
}

int Pager::max_in_flight_seen() const {
	return concurrent_ ? concurrent_->max_in_flight_seen() : 1;
}

HttpGroup *Pager::group() noexcept {
	return concurrent_ ? &concurrent_->group() : nullptr;
}

void Pager::StartFirst() {
	if (concurrent_) {
		concurrent_->StartFirst(); // the first page (totalCount); the slices follow it
		return;
	}
	if (started_ || prefetched_ || done_ || request_.strategy == PagingStrategy::kCursor) {
		return;
	}
	long long page = PageSize(request_, fetched_);
	if (page <= 0) {
		return;
	}
	prefetch_query_ = PageQuery(page);
	++requests_;
	session_.StartGetRaw(this, "records.json", PageParams(prefetch_query_), request_.guest_space_id);
	prefetched_ = true;
}

bool Pager::Ready() noexcept {
	if (concurrent_) {
		return concurrent_->PageReady();
	}
	if (done_ || !prefetched_) {
		return true;
	}
	// Pump says false too when the shared session dropped this request for another one: Next
	// then sends it again, so there is nothing to wait for here.
	return session_.Pump(this) || !session_.Pending(this);
}

int Pager::WaitFd() noexcept {
	return concurrent_ ? concurrent_->group().WaitFd() : session_.WaitFd();
}

void Pager::ArmWaitFd() noexcept {
	if (concurrent_) {
		concurrent_->group().ArmWaitFd();
	} else {
		session_.ArmWaitFd();
	}
}

void Pager::Pump() noexcept {
	if (concurrent_) {
		concurrent_->Pump();
		return;
	}
	if (prefetched_) {
		session_.Pump(this);
	}
}

void Pager::Close() noexcept {
	done_ = true;
	if (concurrent_) {
		concurrent_->Close();
	}
	if (prefetched_) {
		session_.CancelPending(this);
		prefetched_ = false;
	}
	if (!cursor_id_.empty()) {
		std::string id = std::move(cursor_id_);
		cursor_id_.clear();
		try {
			++requests_;
			// Not abortable: this often runs because the query is being cancelled.
			session_.SendCleanup("DELETE", "records/cursor.json", {{"id", id}}, request_.guest_space_id);
		} catch (...) {
			// Best effort: 404 GAIA_CN01 means Kintone already deleted it, and anything else
			// leaves it to expire after 10 minutes; Close must not throw.
		}
	}
	ReleaseCursorSlot();
}

long long CountRecords(Session &session, long long app, const std::string &condition, long long guest_space_id) {
	std::string query = condition.empty() ? "limit 1" : condition + " limit 1";
	try {
		Json page =
		    session.Get("records.json", {{"app", app}, {"query", query}, {"fields", {"$id"}}, {"totalCount", true}},
		                guest_space_id);
		auto total = page.find("totalCount");
		if (total != page.end()) {
			if (total->is_number_integer() && total->get<long long>() >= 0) {
				return total->get<long long>();
			}
			if (total->is_string()) {
				const std::string &text = total->get_ref<const std::string &>();
				if (!text.empty() && text.find_first_not_of("0123456789") == std::string::npos && text.size() <= 18) {
					return std::stoll(text);
				}
			}
		}
		throw Error(ErrorKind::kProtocol,
		            total == page.end() ? "Kintone returned no totalCount for a count request"
		                                : "Kintone returned a totalCount that is not a count",
		            "Answer to GET " + session.Path("records.json", guest_space_id) +
		                (total == page.end() ? "." : ": \"totalCount\": " + total->dump().substr(0, 40)));
	} catch (Error &e) {
		e.set_context("Kintone query: " + query);
		throw;
	}
}

} // namespace kintone
