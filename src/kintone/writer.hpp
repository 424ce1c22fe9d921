// A statement's write buffer: records to add, update or delete, sent in as few requests as
// Kintone allows and mapped back to the statement's input rows when Kintone refuses them.
//
// Kintone takes at most 100 records per records.json call and 20 calls per bulkRequest, and
// a bulkRequest is all-or-nothing (contract §4.5–§4.7, §4.12). So a flush of up to 2,000
// records is one HTTP request that writes everything or nothing: ≤100 records go as one
// records.json call (atomic by itself), more as one bulkRequest of 100-record calls. Without
// bulkRequest (OAuth, SessionConfig::allow_bulk_request = false) the calls go one by one and
// a failure leaves the earlier calls written; the error then says how many.
//
// A full chunk may travel while the next rows are queued (StartFlush/FinishFlush): by default
// at most one write is in flight, its answer is checked before the next one is sent, and after
// a failure the rows queued meanwhile are dropped.
//
// Several chunks in flight (set_max_in_flight, issue 9 item 4; docs/concurrency.md, "Writes"):
// with bulkRequest, up to min(max_concurrent_requests, kMaxChunksInFlight) chunks travel at
// once, each on its own connection of the writer's HttpGroup (requests built and judged by
// Session::BuildWrite/AcceptWrite, sent at most once). Answers are judged in statement order:
// chunk n is sent only when chunks 1 … n - window are confirmed, so which chunks were sent
// never depends on the order answers arrive in. When a chunk fails, nothing more is sent, the
// other chunks in flight are awaited (bounded like Settle; a cancel does not wait) and the
// error says, per chunk, which rows are written, not written, or of unknown outcome.
//
// Writes are never repeated when their outcome is unknown (Session::Send retries only 429
// GAIA_TO04, which Kintone answers before doing anything), and what an error says about them
// is true: "nothing of rows … was written" only when Kintone refused the request with one of
// its own errors (or it was never sent); a lost, cut, gateway or unreadable answer makes the
// rows of that request "may or may not have been processed", and written() counts only what
// Kintone confirmed (docs/faults.md, "Outcomes").
#pragma once

#include "kintone/error.hpp"
#include "kintone/http_group.hpp"
#include "kintone/record_json.hpp"
#include "kintone/session.hpp"

#include <chrono>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

class Writer {
public:
	static constexpr size_t kRecordsPerCall = 100;
	static constexpr size_t kCallsPerBulk = 20;

	// The most chunks in flight at once. Each is up to 2,000 records (one bulkRequest, the
	// heaviest request Kintone takes) and a failure leaves every chunk in flight to be awaited
	// and possibly unknown; beyond 4 the writer gains nothing at the benchmarked latency
	// (docs/concurrency.md, "Writes").
	static constexpr int kMaxChunksInFlight = 4;

	Writer(Session &session, long long app, long long guest_space_id, WriteKind kind);

	// setting: max_concurrent_requests (also the bound of requests in flight in the backend,
	// HttpGroup::InFlightInProcess). With bulkRequest and setting > 1, up to
	// min(setting, kMaxChunksInFlight) chunks of StartFlush, or of a Flush of more than a chunk
	// (an upsert queues every row first), travel at once; otherwise one (the default). For
	// statements that queue and flush and do not read results() (not rows sent one by one).
	void set_max_in_flight(int setting);
	// The most chunks this writer had in flight at once.
	int max_chunks_in_flight() const { return max_chunks_in_flight_; }

	// Records per flush: 2,000 with bulkRequest, else 100 (one call, still atomic).
	size_t chunk_size() const;

	// Queue one input row. record: the JSON text of {"code": {"value": …}, …} (BuildRecord,
	// record_json.hpp: no DOM, a statement may queue 2,000 of them). revision < 0: no check.
	void AddInsert(std::string record);
	void AddUpdate(const std::string &id, long long revision, std::string record);
	void AddDelete(const std::string &id, long long revision);
	// kUpsert: the key field (a unique SINGLE_LINE_TEXT or NUMBER, contract §4.6) before the
	// first row; then one row per record: its key value and the record without the key field.
	// The caller refuses NULL and repeated keys first (UpsertKeySet, record_json.hpp).
	void SetUpsertKey(std::string field_code);
	void AddUpsert(std::string key, std::string record);
	void AddInsert(const Json &record) { AddInsert(record.dump()); }
	void AddUpdate(const std::string &id, long long revision, const Json &record) {
		AddUpdate(id, revision, record.dump());
	}

	size_t queued() const { return queued_batch_.count; }
	bool full() const { return queued_batch_.count >= chunk_size(); }

	// Sends every queued row. On success results() holds one entry per row of this flush, in
	// input order (not with several chunks in flight: set_max_in_flight). On failure throws kintone::Error whose detail
	// names the input rows (1-based within the statement) and fields, and how many records were already written. A
	// write in flight (StartFlush) is finished first.
	void Flush();

	// The overlapped flush, for a full buffer mid-statement: finishes the write in flight, if
	// any (throwing like Flush), then sends the queued rows (at most chunk_size(), so one
	// atomic request) without waiting for the answer. Rows queued meanwhile go into a second
	// buffer; Pump moves the upload on; FinishFlush (or Flush, or the next StartFlush) waits
	// for the answer and checks it. After a failed write the rows queued meanwhile are
	// dropped, never sent. At most one write is in flight.
	void StartFlush();
	void Pump() noexcept;
	void FinishFlush();
	bool in_flight() const { return in_flight_ || !flights_.empty(); }

	// Abort cleanup: finishes the write in flight, if any, and never throws. wait: kSettle
	// after an error that is not a cancel (waits for the answer, bounded by the request
	// timeout; a new cancel stops the wait), kAbandon after a cancel (an answer already
	// received is used, otherwise the write is dropped at once). Afterwards settled_written()
	// says how many records that write added to written() and unknown_outcome() is set when
	// its outcome could not be learnt. The destructor does the same (kSettle).
	void Settle(Session::WriteWait wait = Session::WriteWait::kSettle) noexcept;
	long long settled_written() const { return settled_written_; }
	// After Settle wrote records: which request that was, for the glue's warning.
	const std::string &settled_note() const { return settled_note_; }
	~Writer();
	Writer(const Writer &) = delete;
	Writer &operator=(const Writer &) = delete;

	const std::vector<WriteResult> &results() const { return results_; }
	// Rows of the statement so far (queued or sent).
	long long rows() const { return rows_; }
	// Records Kintone confirmed written (added, updated or deleted) by this writer.
	long long written() const { return written_; }
	// kUpsert: of written(), the records Kintone added and updated.
	long long upsert_inserted() const { return upsert_inserted_; }
	long long upsert_updated() const { return written_ - upsert_inserted_; }
	// HTTP requests this writer sent.
	long requests() const { return requests_; }
	WriteKind kind() const { return kind_; }
	// After a write aborted by a cancel or a lost connection: which rows may or may not be
	// written (the glue adds it to PostgreSQL's own cancel error). Empty otherwise.
	const std::string &unknown_outcome() const { return unknown_outcome_; }
	// True once an error of this writer has said how many records stay written.
	bool told() const { return told_; }

private:
	// Rows queued for one flush (or sent by the write in flight).
	struct Batch {
		std::vector<std::string> records; // records to add / update
		std::vector<std::string> ids;     // ids to update / delete
		std::vector<long long> revisions;
		size_t count = 0;
		long long first_row = 1; // statement row number of row 0
	};

	CallRows Rows(const Batch &b, size_t first, size_t count) const;
	// "rows 1 to 100 of the statement" for rows [first, first+count) of b.
	std::string StatementRows(const Batch &b, size_t first, size_t count) const;

	// The payload (JSON text) of one records.json call for rows [first, first+count) of b.
	std::string Payload(const Batch &b, size_t first, size_t count) const;
	std::string BulkBody(const Batch &b, size_t first, size_t count) const;
	const char *Method() const;
	// "PUT /k/v1/records.json with rows 1 to 100 of the statement" (for protocol errors).
	std::string CallName(const Batch &b, size_t first, size_t count) const;
	void ParseCall(const Batch &b, const Json &call_result, size_t first, size_t count, const std::string &request);
	void ParseBulk(const Batch &b, const Json &response, size_t first, size_t count);
	bool SentAsBulk(size_t count) const;
	void ParseWhole(const Batch &b, const Json &response);
	[[noreturn]] void Rethrow(const Batch &b, Error error, size_t call_index, size_t chunk_first, size_t chunk_count,
	                          bool chunk_atomic, const std::string &others = std::string());
	[[noreturn]] void AnswerError(Error error, const std::string &others = std::string());
	void SendChunk(size_t first, size_t count);
	// Records confirmed written: rows [first, first+count) of b.
	void Written(const Batch &b, size_t first, size_t count);
	// "\nN records of this statement had already been written …" (or, when the rows written
	// are not one range from row 1, which ranges they are).
	std::string WrittenLine(bool before_that_request) const;

	// Several chunks in flight (set_max_in_flight).
	using Clock = std::chrono::steady_clock;
	struct Flight {
		Batch batch;
		HttpRequest request; // kept for a 429 GAIA_TO04, sent again
		std::string label;
		int slot = -1; // on group_; -1: waiting to be sent again
		int attempt = 0;
		Clock::time_point not_before{};
	};
	bool Concurrent() const { return window_ > 1; }
	void StartChunk();
	// Flush of more than a chunk queued at once: each chunk_size() rows of the queue become a
	// chunk of StartChunk, in statement order.
	void StartQueuedChunks();
	// Waits for the oldest chunk's answer and judges it; throws (Fail) when it failed.
	void JudgeOldest();
	// Drives the group until f's answer is in (sending it again when a 429 asked for that and
	// its delay is over). False when the abort check fired or deadline passed.
	bool Await(Flight &f, Clock::time_point deadline);
	// failed failed: the other chunks in flight are settled (kAbandon after a cancel, else
	// kSettle), then the error is thrown naming what each chunk did.
	[[noreturn]] void Fail(Flight failed, Error error, size_t call_index, bool answer_error);
	// Finishes every chunk in flight without sending anything more; returns one line per chunk
	// saying what it did; unknown outcomes go to others_unknown_, written ranges to *written.
	// aside: words after the rows ("" or " (in flight at the same time)").
	std::string SettleFlights(Session::WriteWait wait, std::vector<std::pair<long long, long long>> *written,
	                          const char *aside);
	std::string Ranges(const std::vector<std::pair<long long, long long>> &ranges) const;
	// Counts the records of results_[from…] that an upsert added.
	void CountUpserts(size_t from);
	void Reset(Batch &b);

	Session &session_;
	long long app_;
	long long guest_space_id_;
	WriteKind kind_;
	std::string api_path_; // "/k/v1/records.json" (or the guest form)
	Batch queued_batch_;   // rows being queued
	Batch sent_batch_;     // rows of the write in flight (StartFlush)
	bool in_flight_ = false;
	long long rows_ = 0;
	long long written_ = 0;
	long long settled_written_ = 0;
	long requests_ = 0;
	std::vector<WriteResult> results_;
	std::string unknown_outcome_;
	std::string settled_note_;
	bool told_ = false;
	// Several chunks in flight
	int window_ = 1;  // chunks in flight at most (halved after a 429)
	int setting_ = 1; // max_concurrent_requests
	std::unique_ptr<HttpGroup> group_;
	std::deque<Flight> flights_; // in statement order
	int max_chunks_in_flight_ = 0;
	std::vector<std::pair<long long, long long>> written_ranges_; // statement rows confirmed
	std::string others_unknown_; // what chunks in flight beside a failed one may have done
	// kUpsert
	std::string update_key_;
	long long upsert_inserted_ = 0;
};

// The statement row (1-based) and field code named by a bulk validation key such as
// "records[3].title.value" (row index 3 of that call). False when the key has another form.
bool ParseRecordErrorKey(const std::string &key, size_t *index, std::string *field);

} // namespace kintone
