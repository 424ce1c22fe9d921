// Statement write buffer (see writer.hpp).
#include "kintone/writer.hpp"

#include "kintone/error.hpp"

#include <algorithm>

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
                     bool chunk_atomic) {
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
		unknown_outcome_ = "The request with " +
		                   RowRange(b.first_row + static_cast<long long>(chunk_first),
		                            b.first_row + static_cast<long long>(chunk_first + chunk_count) - 1) +
		                   " may or may not have been processed by Kintone; it was not repeated.";
		lines += "\n" + unknown_outcome_;
	} else if (chunk_atomic) {
		lines += "\nNothing of " +
		         RowRange(b.first_row + static_cast<long long>(chunk_first),
		                  b.first_row + static_cast<long long>(chunk_first + chunk_count) - 1) +
		         " was written.";
	}
	lines += "\n" + Plural(written_, "record") + " of this statement had already been written to Kintone" +
	         (written_ > 0 ? " and stay written (Kintone has no rollback)." : ".");
	error.set_detail(head + lines);
	queued_batch_.count = 0;
	told_ = true;
	throw error;
}

// An answer that is not what the API promises (ReadCallAnswer): the error says what the
// statement wrote before that request; nothing more is sent.
void Writer::AnswerError(Error error) {
	error.set_detail(error.detail() + "\n" + Plural(written_, "record") +
	                 " of this statement had already been written to Kintone before that request" +
	                 (written_ > 0 ? " and stay written (Kintone has no rollback)." : "."));
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
		written_ += static_cast<long long>(count);
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
		written_ += static_cast<long long>(n);
		CountUpserts(before);
	}
}

void Writer::Flush() {
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
}

void Writer::FinishFlush() {
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
	written_ += static_cast<long long>(count);
	CountUpserts(0);
}

void Writer::Settle(Session::WriteWait wait) noexcept {
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
		written_ += static_cast<long long>(count);
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

} // namespace kintone
