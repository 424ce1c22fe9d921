// Statement write buffer (see writer.hpp).
#include "kintone/writer.hpp"

#include "kintone/error.hpp"

#include <algorithm>
#include <iterator>
#include <thread>

namespace kintone {

namespace {

std::string RowRange(long long first, long long last) {
	return first == last ? "row " + std::to_string(first)
	                     : "rows " + std::to_string(first) + " to " + std::to_string(last);
}

std::string Plural(long long n, const char *word) {
	return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

} // namespace

bool ParseRecordErrorKey(const std::string &key, size_t *index, std::string *field) {
	const std::string prefix = "records[";
	if (key.compare(0, prefix.size(), prefix) != 0) {
		return false;
	}
	size_t close = key.find(']', prefix.size());
	if (close == std::string::npos || close == prefix.size() || close + 1 >= key.size() || key[close + 1] != '.') {
		return false;
	}
	size_t n = 0;
	for (size_t i = prefix.size(); i < close; ++i) {
		if (key[i] < '0' || key[i] > '9') {
			return false;
		}
		n = n * 10 + static_cast<size_t>(key[i] - '0');
	}
	// Kintone field codes contain no '.', so the code runs to the next '.' (".value",
	// ".values", ".value[2].value.inner.value" for subtable cells).
	size_t start = close + 2;
	size_t end = key.find('.', start);
	*index = n;
	*field = key.substr(start, end == std::string::npos ? std::string::npos : end - start);
	if (*field == "record") { // PUT keys may nest under "record" ("records[0].record.code.value")
		size_t next = end == std::string::npos ? std::string::npos : key.find('.', end + 1);
		if (end != std::string::npos) {
			*field = key.substr(end + 1, next == std::string::npos ? std::string::npos : next - end - 1);
		}
	}
	return !field->empty();
}

Writer::Writer(Session &session, long long app, long long guest_space_id, WriteKind kind)
    : session_(session), app_(app), guest_space_id_(guest_space_id), kind_(kind),
      api_path_(session.Path("records.json", guest_space_id)) {}

Writer::~Writer() {
	Settle();
	session_.ForgetWrite(this);
}

size_t Writer::chunk_size() const {
	return session_.config().allow_bulk_request ? kRecordsPerCall * kCallsPerBulk : kRecordsPerCall;
}

void Writer::Reset(Batch &b) {
	b.records.clear();
	b.ids.clear();
	b.revisions.clear();
	b.count = 0;
	b.first_row = rows_ + 1;
}

void Writer::Written(const Batch &b, size_t first, size_t count) {
	if (count == 0) {
		return;
	}
	written_ += static_cast<long long>(count);
	long long lo = b.first_row + static_cast<long long>(first);
	long long hi = lo + static_cast<long long>(count) - 1;
	if (!written_ranges_.empty() && written_ranges_.back().second + 1 == lo) {
		written_ranges_.back().second = hi;
	} else {
		written_ranges_.emplace_back(lo, hi);
	}
}

std::string Writer::Ranges(const std::vector<std::pair<long long, long long>> &ranges) const {
	std::string out;
	for (size_t i = 0; i < ranges.size(); ++i) {
		out += (i == 0 ? "" : i + 1 == ranges.size() ? " and " : ", ") + RowRange(ranges[i].first, ranges[i].second);
	}
	return out;
}

std::string Writer::WrittenLine(bool before_that_request) const {
	if (written_ranges_.empty() || (written_ranges_.size() == 1 && written_ranges_[0].first == 1)) {
		return "\n" + Plural(written_, "record") + " of this statement had already been written to Kintone" +
		       (before_that_request ? " before that request" : "") +
		       (written_ > 0 ? " and stay written (Kintone has no rollback)." : ".");
	}
	// Chunks in flight together: the rows written are not all before the failed request.
	return "\n" + Plural(written_, "record") + " of this statement were written to Kintone (" +
	       Ranges(written_ranges_) + " of the statement) and stay written (Kintone has no rollback).";
}

void Writer::AddInsert(std::string record) {
	Batch &b = queued_batch_;
	if (b.count == 0) {
		Reset(b);
	}
	b.records.push_back(std::move(record));
	++b.count;
	++rows_;
}

void Writer::AddUpdate(const std::string &id, long long revision, std::string record) {
	Batch &b = queued_batch_;
	if (b.count == 0) {
		Reset(b);
	}
	b.records.push_back(std::move(record));
	b.ids.push_back(id);
	b.revisions.push_back(revision);
	++b.count;
	++rows_;
}

void Writer::AddDelete(const std::string &id, long long revision) {
	Batch &b = queued_batch_;
	if (b.count == 0) {
		Reset(b);
	}
	b.ids.push_back(id);
	b.revisions.push_back(revision);
	++b.count;
	++rows_;
}

void Writer::SetUpsertKey(std::string field_code) {
	update_key_ = std::move(field_code);
}

void Writer::AddUpsert(std::string key, std::string record) {
	Batch &b = queued_batch_;
	if (b.count == 0) {
		Reset(b);
	}
	b.records.push_back(std::move(record));
	b.ids.push_back(std::move(key));
	b.revisions.push_back(-1);
	++b.count;
	++rows_;
}

void Writer::CountUpserts(size_t from) {
	if (kind_ != WriteKind::kUpsert) {
		return;
	}
	for (size_t i = from; i < results_.size(); ++i) {
		upsert_inserted_ += results_[i].inserted ? 1 : 0;
	}
}

const char *Writer::Method() const {
	switch (kind_) {
	case WriteKind::kInsert:
		return "POST";
	case WriteKind::kUpdate:
	case WriteKind::kUpsert:
		return "PUT";
	case WriteKind::kDelete:
		return "DELETE";
	}
	return "POST";
}

CallRows Writer::Rows(const Batch &b, size_t first, size_t count) const {
	CallRows rows;
	rows.records = &b.records;
	rows.ids = &b.ids;
	rows.revisions = &b.revisions;
	rows.first = first;
	rows.count = count;
	rows.update_key = &update_key_;
	return rows;
}

std::string Writer::Payload(const Batch &b, size_t first, size_t count) const {
	return CallBody(kind_, app_, Rows(b, first, count));
}

std::string Writer::StatementRows(const Batch &b, size_t first, size_t count) const {
	return RowRange(b.first_row + static_cast<long long>(first),
	                b.first_row + static_cast<long long>(first + count) - 1) +
	       " of the statement";
}

std::string Writer::CallName(const Batch &b, size_t first, size_t count) const {
	return std::string(Method()) + " " + api_path_ + " with " + StatementRows(b, first, count);
}

void Writer::ParseCall(const Batch &b, const Json &result, size_t first, size_t count, const std::string &request) {
	ReadCallAnswer(kind_, result, Rows(b, first, count), request, &results_);
}

// Rewrites Kintone's error so that it names the statement's rows and fields, then throws it.
// call_index: the failing 100-record call within the chunk; chunk_atomic: nothing of the
// chunk was written. The rows still queued are dropped: nothing more is sent.
void Writer::Rethrow(const Batch &b, Error error, size_t call_index, size_t chunk_first, size_t chunk_count,
                     bool chunk_atomic, const std::string &others) {
	long long call_first_row = b.first_row + static_cast<long long>(chunk_first + call_index * kRecordsPerCall);
	size_t call_count = std::min(kRecordsPerCall, chunk_count - call_index * kRecordsPerCall);
	long long call_last_row = call_first_row + static_cast<long long>(call_count) - 1;

	std::string detail = error.detail();
	size_t newline = detail.find('\n');
	std::string head = newline == std::string::npos ? detail : detail.substr(0, newline);
	std::string lines;
	for (const auto &[key, messages] : error.field_errors()) {
		size_t index;
		std::string field;
		std::string line;
		if (ParseRecordErrorKey(key, &index, &field) && index < call_count) {
			line =
			    "row " + std::to_string(call_first_row + static_cast<long long>(index)) + ", field \"" + field + "\":";
		} else {
			line = key + ":";
		}
		for (const auto &m : messages) {
			line += " " + m;
		}
		lines += "\n" + line;
	}
	// What the error says about this request's rows must be true (docs/faults.md, "Outcomes"):
	// "nothing written" only when Kintone itself refused it or it was never sent.
	bool unknown = error.may_have_acted();
	if (error.field_errors().empty() && !unknown) {
		lines += "\nThe refused request held " + RowRange(call_first_row, call_last_row) + " of the statement.";
	}
	if (unknown) {
		std::string own = "The request with " +
		                  RowRange(b.first_row + static_cast<long long>(chunk_first),
		                           b.first_row + static_cast<long long>(chunk_first + chunk_count) - 1) +
		                  " may or may not have been processed by Kintone; it was not repeated.";
		lines += "\n" + own;
		unknown_outcome_ = others_unknown_.empty() ? own : own + " " + others_unknown_;
	} else if (chunk_atomic) {
		lines += "\nNothing of " +
		         RowRange(b.first_row + static_cast<long long>(chunk_first),
		                  b.first_row + static_cast<long long>(chunk_first + chunk_count) - 1) +
		         " was written.";
	}
	if (!unknown && !others_unknown_.empty()) {
		unknown_outcome_ = others_unknown_;
	}
	lines += others; // what the other chunks in flight did
	lines += WrittenLine(false);
	error.set_detail(head + lines);
	queued_batch_.count = 0;
	told_ = true;
	throw error;
}

// An answer that is not what the API promises (ReadCallAnswer): the error says what the
// statement wrote before that request; nothing more is sent.
void Writer::AnswerError(Error error, const std::string &others) {
	error.set_detail(error.detail() + others + WrittenLine(true));
	if (!others_unknown_.empty()) {
		unknown_outcome_ = others_unknown_;
	}
	queued_batch_.count = 0;
	told_ = true;
	throw error;
}

std::string Writer::BulkBody(const Batch &b, size_t first, size_t count) const {
	size_t calls = (count + kRecordsPerCall - 1) / kRecordsPerCall;
	std::string body = "{\"requests\":[";
	for (size_t c = 0; c < calls; ++c) {
		size_t n = std::min(kRecordsPerCall, count - c * kRecordsPerCall);
		body += c > 0 ? ",{\"method\":\"" : "{\"method\":\"";
		body += Method();
		body += "\",\"api\":";
		AppendJsonString(body, api_path_);
		body += ",\"payload\":";
		body += Payload(b, first + c * kRecordsPerCall, n);
		body += '}';
	}
	body += "]}";
	return body;
}

void Writer::ParseBulk(const Batch &b, const Json &response, size_t first, size_t count) {
	size_t calls = (count + kRecordsPerCall - 1) / kRecordsPerCall;
	std::string bulk = "POST " + session_.Path("bulkRequest.json", guest_space_id_);
	const Json &results = BulkResults(response, calls, bulk + " with " + StatementRows(b, first, count));
	for (size_t c = 0; c < calls; ++c) {
		size_t n = std::min(kRecordsPerCall, count - c * kRecordsPerCall);
		ParseCall(b, results[c], first + c * kRecordsPerCall, n,
		          "call " + std::to_string(c + 1) + " of " + bulk + " (" + CallName(b, first + c * kRecordsPerCall, n) +
		              ")");
	}
}

void Writer::SendChunk(size_t first, size_t count) {
	const Batch &b = queued_batch_;
	size_t calls = (count + kRecordsPerCall - 1) / kRecordsPerCall;
	bool bulk = session_.config().allow_bulk_request && calls > 1;
	if (bulk) {
		Json response;
		try {
			++requests_;
			response = session_.SendText("POST", "bulkRequest.json", BulkBody(b, first, count), guest_space_id_);
		} catch (Error &e) {
			size_t failed = e.bulk_index() >= 0 ? static_cast<size_t>(e.bulk_index()) : 0;
			Rethrow(b, std::move(e), failed, first, count, true);
		}
		size_t before = results_.size();
		try {
			ParseBulk(b, response, first, count);
		} catch (Error &e) {
			AnswerError(std::move(e));
		}
		Written(b, first, count);
		CountUpserts(before);
		return;
	}
	for (size_t c = 0; c < calls; ++c) {
		size_t n = std::min(kRecordsPerCall, count - c * kRecordsPerCall);
		Json response;
		try {
			++requests_;
			response = session_.SendText(Method(), "records.json", Payload(b, first + c * kRecordsPerCall, n),
			                             guest_space_id_);
		} catch (Error &e) {
			// Only this call failed; it was all-or-nothing by itself.
			Rethrow(b, std::move(e), 0, first + c * kRecordsPerCall, n, true);
		}
		size_t before = results_.size();
		try {
			ParseCall(b, response, first + c * kRecordsPerCall, n, CallName(b, first + c * kRecordsPerCall, n));
		} catch (Error &e) {
			AnswerError(std::move(e));
		}
		Written(b, first + c * kRecordsPerCall, n);
		CountUpserts(before);
	}
}

void Writer::Flush() {
	// With chunks in flight the last rows join them; a statement of one chunk goes the
	// sequential way (on the session's warm connection).
	if (Concurrent() && !flights_.empty() && queued_batch_.count <= chunk_size()) {
		StartChunk();
		FinishFlush(); // every answer, in statement order
		results_.clear();
		return;
	}
	if (Concurrent() && queued_batch_.count > chunk_size()) {
		// Rows queued all at once (an upsert sends nothing before every key is checked): its
		// chunks go out together, in the window, like those of StartFlush.
		StartQueuedChunks();
		FinishFlush(); // every answer, in statement order
		results_.clear();
		return;
	}
	FinishFlush();
	results_.clear();
	if (queued_batch_.count == 0) {
		return;
	}
	size_t total = queued_batch_.count;
	size_t chunk = chunk_size();
	for (size_t first = 0; first < total; first += chunk) {
		SendChunk(first, std::min(chunk, total - first));
	}
	queued_batch_.count = 0;
}

void Writer::StartFlush() {
	if (Concurrent()) {
		StartChunk();
		return;
	}
	FinishFlush();
	results_.clear();
	size_t count = queued_batch_.count;
	if (count == 0) {
		return;
	}
	if (count > chunk_size()) {
		// One request per flush keeps each write atomic; more rows go the synchronous way.
		Flush();
		return;
	}
	std::swap(sent_batch_, queued_batch_);
	queued_batch_.count = 0;
	const Batch &b = sent_batch_;
	bool bulk = SentAsBulk(count);
	++requests_;
	try {
		if (bulk) {
			session_.StartSendText(this, "POST", "bulkRequest.json", BulkBody(b, 0, count), guest_space_id_);
		} else {
			session_.StartSendText(this, Method(), "records.json", Payload(b, 0, count), guest_space_id_);
		}
	} catch (Error &e) {
		// Not sent (the request could not be built or started): nothing of it was written.
		Rethrow(b, std::move(e), 0, 0, count, true);
	}
	in_flight_ = true;
	session_.Pump(this); // the upload starts now, not when the next rows are converted
}

bool Writer::SentAsBulk(size_t count) const {
	return session_.config().allow_bulk_request && count > kRecordsPerCall;
}

// The answer to a whole batch sent in one request (an overlapped flush): a bulkRequest's
// results or one records.json call's.
void Writer::ParseWhole(const Batch &b, const Json &response) {
	if (SentAsBulk(b.count)) {
		ParseBulk(b, response, 0, b.count);
	} else {
		ParseCall(b, response, 0, b.count, CallName(b, 0, b.count));
	}
}

void Writer::Pump() noexcept {
	if (in_flight_) {
		session_.Pump(this);
	}
	if (!flights_.empty()) {
		group_->Drive();
	}
}

void Writer::FinishFlush() {
	while (!flights_.empty()) {
		JudgeOldest();
	}
	if (!in_flight_) {
		return;
	}
	in_flight_ = false;
	results_.clear();
	const Batch &b = sent_batch_;
	size_t count = b.count;
	bool bulk = SentAsBulk(count);
	Json response;
	try {
		response = session_.FinishSendText(this);
	} catch (Error &e) {
		size_t failed = bulk && e.bulk_index() >= 0 ? static_cast<size_t>(e.bulk_index()) : 0;
		Rethrow(b, std::move(e), failed, 0, count, true);
	}
	try {
		ParseWhole(b, response);
	} catch (Error &e) {
		AnswerError(std::move(e));
	} catch (...) {
		queued_batch_.count = 0; // nothing more is sent after a failed write
		throw;
	}
	Written(b, 0, count);
	CountUpserts(0);
}

void Writer::Settle(Session::WriteWait wait) noexcept {
	if (!flights_.empty()) {
		queued_batch_.count = 0; // the statement is over: rows queued meanwhile are never sent
		try {
			std::vector<std::pair<long long, long long>> written;
			long long before = written_;
			SettleFlights(wait, &written, "");
			settled_written_ = written_ - before;
			unknown_outcome_ = others_unknown_;
			if (!written.empty()) {
				settled_note_ = (written.size() == 1 ? "The request with " : "The requests with ") + Ranges(written) +
				                (written.size() == 1 ? " was" : " were") + " in flight when the statement ended; " +
				                (written.size() == 1 ? "it was" : "they were") + " finished, not cancelled.";
			}
		} catch (...) {
			// Out of memory: what is left in flight is dropped, its outcome unknown.
			if (group_) {
				group_->CancelAll();
			}
			flights_.clear();
			unknown_outcome_ = "Requests to Kintone in flight when the statement ended may or may not have been "
			                   "processed; they were not repeated.";
		}
		return;
	}
	if (!in_flight_) {
		return;
	}
	in_flight_ = false;
	queued_batch_.count = 0; // the statement is over: rows queued meanwhile are never sent
	const Batch &b = sent_batch_;
	size_t count = b.count;
	auto unknown = [&]() {
		try {
			unknown_outcome_ = "The request with " +
			                   RowRange(b.first_row, b.first_row + static_cast<long long>(count) - 1) +
			                   " may or may not have been processed by Kintone; it was not repeated.";
		} catch (...) {
		}
	};
	try {
		Json response = session_.FinishSendText(this, wait);
		results_.clear();
		try {
			ParseWhole(b, response);
			CountUpserts(0);
		} catch (...) {
			unknown(); // a 2xx answer that does not list the records
			return;
		}
		Written(b, 0, count);
		settled_written_ = static_cast<long long>(count);
		try {
			settled_note_ = "The request with " +
			                RowRange(b.first_row, b.first_row + static_cast<long long>(count) - 1) +
			                " was in flight when the statement ended; it was finished, not cancelled.";
		} catch (...) {
		}
	} catch (const Error &e) {
		if (e.may_have_acted()) {
			unknown();
		}
		// Otherwise Kintone refused it, or it was never sent: nothing of it was written.
	} catch (...) {
		unknown();
	}
}

// --- Several chunks in flight (writer.hpp; docs/concurrency.md, "Writes") ---

void Writer::set_max_in_flight(int setting) {
	setting_ = std::max(1, setting);
	// Without bulkRequest a chunk is 100 records and chunks are not atomic: kept one by one.
	window_ = session_.config().allow_bulk_request ? std::min(setting_, kMaxChunksInFlight) : 1;
}

void Writer::StartQueuedChunks() {
	Batch all;
	std::swap(all, queued_batch_);
	queued_batch_.count = 0;
	size_t chunk = chunk_size();
	for (size_t first = 0; first < all.count; first += chunk) {
		size_t n = std::min(chunk, all.count - first);
		Batch &b = queued_batch_;
		auto take = [&](auto &from, auto &to) {
			to.clear();
			if (from.size() >= first + n) { // records are empty for deletes
				to.assign(std::make_move_iterator(from.begin() + static_cast<std::ptrdiff_t>(first)),
				          std::make_move_iterator(from.begin() + static_cast<std::ptrdiff_t>(first + n)));
			}
		};
		take(all.records, b.records);
		take(all.ids, b.ids);
		take(all.revisions, b.revisions);
		b.count = n;
		b.first_row = all.first_row + static_cast<long long>(first);
		StartChunk(); // after a failure it throws: the rows of all not yet taken are never sent
	}
}

// Sends the queued rows (at most chunk_size(): one atomic request) as one more chunk in flight,
// once a place in the window and in the backend's bound is free.
void Writer::StartChunk() {
	results_.clear();
	size_t count = queued_batch_.count;
	if (count == 0) {
		return;
	}
	if (count > chunk_size()) { // not done by the glue: sent the synchronous way
		FinishFlush();
		for (size_t first = 0; first < count; first += chunk_size()) {
			SendChunk(first, std::min(chunk_size(), count - first));
		}
		queued_batch_.count = 0;
		return;
	}
	if (!group_) {
		group_ = std::make_unique<HttpGroup>(session_.config().http, window_);
	}
	// Answers in statement order: chunk n goes once chunks up to n - window are confirmed.
	while (static_cast<int>(flights_.size()) >= window_) {
		JudgeOldest();
	}
	// Never more than max_concurrent_requests in flight in the backend (scans included).
	const HttpOptions &http = session_.config().http;
	while (HttpGroup::InFlightInProcess() >= setting_) {
		if (!flights_.empty()) {
			JudgeOldest();
			continue;
		}
		HttpGroup::DriveAll();
		if (HttpGroup::InFlightInProcess() < setting_) {
			break;
		}
		if (http.should_abort != nullptr && http.should_abort(http.abort_arg)) {
			Error error(ErrorKind::kCancelled, "the write to Kintone was cancelled before it was sent");
			error.set_may_have_acted(false);
			Rethrow(queued_batch_, std::move(error), 0, 0, count, true);
		}
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	}
	Flight f;
	std::swap(f.batch, queued_batch_);
	queued_batch_.count = 0;
	try {
		if (SentAsBulk(count)) {
			f.request =
			    session_.BuildWrite("POST", "bulkRequest.json", BulkBody(f.batch, 0, count), guest_space_id_, &f.label);
		} else {
			f.request =
			    session_.BuildWrite(Method(), "records.json", Payload(f.batch, 0, count), guest_space_id_, &f.label);
		}
		f.slot = group_->Start(f.request);
	} catch (Error &e) {
		// Not sent: nothing of it was written; the chunks in flight are settled and said.
		f.slot = -1;
		Fail(std::move(f), std::move(e), 0, false);
	}
	++requests_;
	flights_.push_back(std::move(f));
	max_chunks_in_flight_ = std::max(max_chunks_in_flight_, static_cast<int>(flights_.size()));
	group_->Drive(); // the upload starts now, not when the next rows are converted
}

bool Writer::Await(Flight &f, Clock::time_point deadline) {
	const HttpOptions &http = session_.config().http;
	for (;;) {
		HttpGroup::DriveAll();
		if (f.slot >= 0 && group_->Done(f.slot)) {
			return true;
		}
		if (http.should_abort != nullptr && http.should_abort(http.abort_arg)) {
			return false;
		}
		Clock::time_point now = Clock::now();
		if (now >= deadline) {
			return false;
		}
		if (f.slot < 0) {
			// Refused with 429 GAIA_TO04 (before Kintone did anything): sent again after its delay.
			if (now >= f.not_before && HttpGroup::InFlightInProcess() < setting_) {
				f.slot = group_->Start(f.request);
				++requests_;
				continue;
			}
			std::this_thread::sleep_for(std::chrono::milliseconds(5));
			continue;
		}
		group_->Wait(20); // wakes on the sockets' activity; the abort check runs at least this often
	}
}

void Writer::JudgeOldest() {
	Flight &f = flights_.front();
	bool bulk = SentAsBulk(f.batch.count);
	Json response;
	for (;;) {
		if (!Await(f, Clock::time_point::max())) {
			// A cancel: the chunks in flight are not awaited (docs/faults.md, "Cancels").
			bool sent = f.slot >= 0 && group_->sends(f.slot) > 0;
			if (f.slot >= 0) {
				group_->Cancel(f.slot);
				f.slot = -1;
			}
			Error error(ErrorKind::kCancelled,
			            sent ? "the write to Kintone in flight was abandoned by the cancel"
			                 : "the write to Kintone was cancelled before it was sent",
			            f.label);
			error.set_may_have_acted(sent);
			session_.ExplainWrite(error, f.label);
			Flight failed = std::move(f);
			flights_.pop_front();
			Fail(std::move(failed), std::move(error), 0, false);
		}
		try {
			const HttpResponse *answer = nullptr;
			try {
				answer = &group_->Take(f.slot);
			} catch (Error &e) {
				f.slot = -1;
				session_.ExplainWrite(e, f.label); // a lost or cut answer: never sent again
				throw;
			}
			f.slot = -1;
			if (session_.AcceptWrite(*answer, f.label, f.attempt, true, &response)) {
				break;
			}
			// 429 GAIA_TO04: sent again after the back-off, with fewer chunks in flight.
			f.not_before = Clock::now() + std::chrono::milliseconds(session_.RetryDelay(f.attempt));
			++f.attempt;
			window_ = std::max(1, window_ / 2);
		} catch (Error &e) {
			size_t failed_call = bulk && e.bulk_index() >= 0 ? static_cast<size_t>(e.bulk_index()) : 0;
			Flight failed = std::move(f);
			flights_.pop_front();
			Fail(std::move(failed), std::move(e), failed_call, false);
		}
	}
	results_.clear();
	try {
		ParseWhole(f.batch, response);
	} catch (Error &e) {
		Flight failed = std::move(f);
		flights_.pop_front();
		Fail(std::move(failed), std::move(e), 0, true);
	}
	Written(f.batch, 0, f.batch.count);
	CountUpserts(0);
	flights_.pop_front();
}

void Writer::Fail(Flight failed, Error error, size_t call_index, bool answer_error) {
	queued_batch_.count = 0; // nothing more is sent
	std::string others;
	std::vector<std::pair<long long, long long>> written;
	others = SettleFlights(error.kind() == ErrorKind::kCancelled ? Session::WriteWait::kAbandon
	                                                             : Session::WriteWait::kSettle,
	                       &written, " (in flight at the same time)");
	if (answer_error) {
		AnswerError(std::move(error), others);
	}
	Rethrow(failed.batch, std::move(error), call_index, 0, failed.batch.count, true, others);
}

std::string Writer::SettleFlights(Session::WriteWait wait, std::vector<std::pair<long long, long long>> *written,
                                  const char *aside) {
	std::string lines;
	long timeout =
	    session_.config().http.timeout_ms > 0 ? session_.config().http.timeout_ms : Session::kWriteSettleTimeoutMs;
	Clock::time_point deadline =
	    wait == Session::WriteWait::kAbandon ? Clock::now() : Clock::now() + std::chrono::milliseconds(timeout);
	while (!flights_.empty()) {
		Flight f = std::move(flights_.front());
		flights_.pop_front();
		const Batch &b = f.batch;
		std::string rows = RowRange(b.first_row, b.first_row + static_cast<long long>(b.count) - 1);
		auto unknown = [&]() {
			std::string sentence = "The request with " + rows + std::string(aside) +
			                       " may or may not have been processed by Kintone; "
			                       "it was not repeated.";
			lines += "\n" + sentence;
			others_unknown_ += (others_unknown_.empty() ? "" : " ") + sentence;
		};
		if (f.slot < 0) { // refused with 429 GAIA_TO04 and waiting to be sent again: not sent again
			lines += "\nNothing of " + rows + std::string(aside) + " was written: Kintone refused it (GAIA_TO04).";
			continue;
		}
		bool answered =
		    wait == Session::WriteWait::kAbandon ? (group_->Drive(), group_->Done(f.slot)) : Await(f, deadline);
		if (!answered) {
			bool sent = group_->sends(f.slot) > 0;
			group_->Cancel(f.slot);
			if (sent) {
				unknown();
			} else {
				lines += "\nNothing of " + rows + " (not yet sent) was written.";
			}
			continue;
		}
		try {
			Json response;
			const HttpResponse &answer = group_->Take(f.slot);
			session_.AcceptWrite(answer, f.label, f.attempt, false, &response); // true or throws
			results_.clear();
			ParseWhole(b, response);
			CountUpserts(0);
			Written(b, 0, b.count);
			written->emplace_back(b.first_row, b.first_row + static_cast<long long>(b.count) - 1);
			lines += "\n" + (rows.rfind("rows", 0) == 0 ? "Rows" + rows.substr(4) : "Row" + rows.substr(3)) +
			         " of the statement" + aside + (b.count == 1 ? " was" : " were") + " written.";
		} catch (const Error &e) {
			if (e.may_have_acted()) {
				unknown();
			} else {
				lines += "\nNothing of " + rows + aside + " was written: Kintone refused it" +
				         (e.code().empty() ? std::string(".") : " (" + e.code() + ").");
			}
		}
	}
	return lines;
}

} // namespace kintone
