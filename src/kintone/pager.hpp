// Reads every record a scan asks for, page by page, as one state machine over the three ways
// Kintone can page (contract §9): seek on $id (default), cursor (an order Kintone must
// produce over more than the offset ceiling), and offset (small ordered windows).
#pragma once

#include "kintone/record_reader.hpp"
#include "kintone/session.hpp"

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

enum class PagingStrategy {
	kSeek,   // (cond) and $id > N order by $id asc limit P
	kOffset, // cond order by … limit P offset O, O advancing; offset + limit must stay <= 10,000 + 500
	kCursor, // records/cursor.json with cond order by …
};
const char *PagingStrategyName(PagingStrategy strategy);

struct ScanRequest {
	long long app = 0;
	long long guest_space_id = -1;   // -1: the session's
	std::string condition;           // Kintone condition without order/limit/offset; "" = all records
	std::string order_by;            // "" or e.g. "会社名 asc, $id asc" (without the words "order by")
	std::optional<long long> limit;  // pushed-down LIMIT (total rows wanted)
	long long offset = 0;            // pushed-down OFFSET
	std::vector<std::string> fields; // field codes to request; the pager adds "$id" for seek
	PagingStrategy strategy = PagingStrategy::kSeek;
	int page_size = 500; // 1..500
	// Pages in flight at once (the option max_concurrent_requests): a seek scan without LIMIT
	// and OFFSET reads slices of the $id range concurrently (src/kintone/concurrent_seek.hpp);
	// 1 = one page at a time, the next requested while the current one is used.
	int max_in_flight = 1;
	// What the planner knows of the $id range before the scan (docs/concurrency.md, "A hint"):
	// the largest $id it expects (ANALYZE's histogram of "$id"; 0: none) and the matching
	// records it expects (its row estimate). With both, a concurrent scan sends its first wave
	// of slices at once instead of reading a first page alone; every record is read whatever
	// their accuracy (the last slice is open-ended), a wrong hint costs balance or requests.
	long long id_hint = 0;
	double rows_hint = 0;
};

class ConcurrentSeek;
class HttpGroup;

// Limits on live cursors of this process, shared by every scan (Kintone allows 10 per domain).
class CursorBudget {
public:
	explicit CursorBudget(int max_cursors) : max_(max_cursors) {}
	bool TryAcquire();
	void Release();
	int in_use() const { return in_use_; }
	int max() const { return max_; }

private:
	int max_;
	int in_use_ = 0;
};

class Pager {
public:
	// budget may be null when the strategy is not kCursor.
	Pager(Session &session, ScanRequest request, CursorBudget *budget);
	~Pager(); // best-effort cursor delete; never throws

	// Fetches the next page into reader (whose columns must include "$id" for kSeek).
	// Returns false when there are no more records; reader then holds zero rows.
	bool Next(RecordReader &reader);

	// Deletes a live cursor (best effort, short timeout) and stops; Next returns false afterwards.
	void Close() noexcept;

	// Moves a prefetched page's download on without blocking; call it now and then while
	// consuming the current page (seek and offset scans request the next page in advance).
	void Pump() noexcept;

	// Asynchronous execution (src/pg/async.cpp). StartFirst sends the first page's request
	// without waiting for it (seek and offset; a cursor is created by Next). Ready says that
	// Next would not wait for the network now: the page it returns next has arrived (it may be
	// an error, which Next throws), the scan is done, or no request is in flight that waiting
	// could complete. WaitFd is readable when waiting on the page in flight may have ended
	// (HttpClient::WaitFd); call ArmWaitFd before every wait.
	void StartFirst();
	bool Ready() noexcept;
	// A concurrent scan: StartFirst puts its first request in flight (its answer plans the
	// slices; with a hint of the $id range, the first wave of slices), Ready is ConcurrentSeek::PageReady, and the wait
	// handle is its HttpGroup's.
	int WaitFd() noexcept;
	void ArmWaitFd() noexcept;

	// The query string of the first request, for EXPLAIN (no request is made).
	static std::string FirstQuery(const ScanRequest &request);

	// The requests in flight of a concurrent scan (one curl multi handle), else nullptr.
	HttpGroup *group() noexcept;
	// Whether the scan reads several pages at once, and the most it had in flight.
	bool concurrent() const { return concurrent_ != nullptr; }
	int max_in_flight_seen() const;

	long requests() const;
	long long records() const { return records_; }
	long long bytes() const; // bytes of the record pages received

private:
	bool NextCursorPage(RecordReader &reader, const std::string &query);
	void ReleaseCursorSlot() noexcept;

	Session &session_;
	ScanRequest request_;
	CursorBudget *budget_;
	std::string cursor_id_;
	bool cursor_acquired_ = false;
	long long cursor_total_ = 0; // the cursor's totalCount
	long long cursor_rows_ = 0;  // records its pages held so far
	int empty_pages_ = 0;        // empty pages in a row
	size_t last_page_hash_ = 0;  // of the last cursor page with records
	bool done_ = false;
	long long last_id_ = 0;
	long long fetched_ = 0; // records returned so far
	long requests_ = 0;
	long long records_ = 0;
	long long bytes_ = 0;
	bool started_ = false;    // the first page was requested
	bool prefetched_ = false; // the next page's request is in flight
	std::string prefetch_query_;
	std::unique_ptr<ConcurrentSeek> concurrent_;

	std::string PageQuery(long long page) const;
	Json PageParams(const std::string &query) const;
};

// SELECT count(*): one request with totalCount=true (limit 1, only $id requested).
long long CountRecords(Session &session, long long app, const std::string &condition, long long guest_space_id = -1);

} // namespace kintone
