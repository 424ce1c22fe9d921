// Writing the rows of a SUBTABLE field (see subtable_write.hpp).
#include "kintone/subtable_write.hpp"

#include "kintone/query.hpp"
#include "kintone/record_json.hpp"
#include "kintone/record_reader.hpp"

#include <algorithm>
#include <set>

namespace kintone {

RowChanges::Parent &RowChanges::Touch(long long parent, long long revision, long long stmt_row) {
	auto found = by_id_.find(parent);
	if (found == by_id_.end()) {
		found = by_id_.emplace(parent, Parent()).first;
		order_.push_back(parent);
	}
	Parent &p = found->second;
	if (revision >= 0) {
		if (p.revision >= 0 && p.revision != revision) {
			throw Error(ErrorKind::kConflict,
			            "Kintone record " + std::to_string(parent) + " changed while the statement read its rows",
			            "Its rows were read at revisions " + std::to_string(p.revision) + " and " +
			                std::to_string(revision) + " (statement row " + std::to_string(stmt_row) +
			                "). Nothing of the statement was sent.",
			            "Run the statement again.");
		}
		p.revision = revision;
	}
	p.stmt_rows.push_back(stmt_row);
	++rows_;
	return p;
}

void RowChanges::AddUpdate(long long parent, long long revision, long long row_id, std::string value,
                           long long stmt_row) {
	Parent &p = Touch(parent, revision, stmt_row);
	p.updates[row_id] = std::move(value);
}

void RowChanges::AddDelete(long long parent, long long revision, long long row_id, long long stmt_row) {
	Parent &p = Touch(parent, revision, stmt_row);
	p.deletes.push_back(row_id);
}

void RowChanges::AddInsert(long long parent, long long index, std::string value, long long stmt_row) {
	Parent &p = Touch(parent, -1, stmt_row);
	p.inserts.push_back({index, std::move(value)});
}

long long RowChanges::revision(size_t i) const {
	return by_id_.at(order_[i]).revision;
}

std::string RowChanges::StatementRows(size_t i) const {
	const std::vector<long long> &rows = by_id_.at(order_[i]).stmt_rows;
	if (rows.size() == 1) {
		return "row " + std::to_string(rows[0]);
	}
	bool contiguous = true;
	for (size_t k = 1; k < rows.size(); ++k) {
		contiguous &= rows[k] == rows[k - 1] + 1;
	}
	if (contiguous) {
		return "rows " + std::to_string(rows.front()) + " to " + std::to_string(rows.back());
	}
	if (rows.size() == 2) {
		return "rows " + std::to_string(rows[0]) + " and " + std::to_string(rows[1]);
	}
	return "rows " + std::to_string(rows[0]) + ", " + std::to_string(rows[1]) + " and " +
	       std::to_string(rows.size() - 2) + " more";
}

namespace {

// A row id of Kintone's answer: a string (or, tolerated, a number) of digits.
long long RowIdOf(const Json &row, long long parent) {
	const Json *id = row.is_object() && row.contains("id") ? &row["id"] : nullptr;
	if (id != nullptr && id->is_number_integer()) {
		return id->get<long long>();
	}
	if (id != nullptr && id->is_string()) {
		const std::string &s = id->get_ref<const std::string &>();
		if (!s.empty() && s.size() < 19 &&
		    std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; })) {
			return std::stoll(s);
		}
	}
	throw Error(ErrorKind::kProtocol, "Kintone returned a subtable row without a valid id",
	            "In record " + std::to_string(parent) + ": " + row.dump().substr(0, 200));
}

// A whole number of an answer's "$id" or "$revision", or -1.
long long WholeNumber(std::string_view text) {
	if (text.empty() || text.size() > 18 ||
	    !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
		return -1;
	}
	return std::stoll(std::string(text));
}

} // namespace

std::string RowChanges::Record(size_t i, std::string_view current_rows) const {
	long long parent_id = order_.at(i);
	const Parent &p = by_id_.at(parent_id);
	Json current = Json::array();
	if (!current_rows.empty()) {
		current = Json::parse(current_rows.begin(), current_rows.end(), nullptr, false);
		if (current.is_null()) {
			current = Json::array();
		}
		if (!current.is_array()) {
			throw Error(ErrorKind::kProtocol, "Kintone returned a subtable value that is not an array",
			            "Field \"" + subtable_ + "\" of record " + std::to_string(parent_id) + ".");
		}
	}
	std::set<long long> deletes(p.deletes.begin(), p.deletes.end());
	std::set<long long> seen;
	// Each element: the JSON text of one row to send.
	std::vector<std::string> rows;
	for (const Json &row : current) {
		long long id = RowIdOf(row, parent_id);
		seen.insert(id);
		if (deletes.count(id) != 0) {
			continue;
		}
		std::string text = "{\"id\":\"" + std::to_string(id) + "\",\"value\":";
		auto update = p.updates.find(id);
		text += update != p.updates.end() ? update->second : std::string("{}");
		text += "}";
		rows.push_back(std::move(text));
	}
	auto missing = [&](long long id) {
		if (seen.count(id) == 0) {
			throw Error(ErrorKind::kConflict,
			            "row " + std::to_string(id) + " of Kintone record " + std::to_string(parent_id) +
			                " is no longer in its table \"" + subtable_ + "\"",
			            "Another change of the record removed it after the statement read it (statement " +
			                StatementRows(i) + "). Nothing was sent for this record.",
			            "Run the statement again.");
		}
	};
	for (const auto &update : p.updates) {
		missing(update.first);
	}
	for (long long id : p.deletes) {
		missing(id);
	}
	for (const Insert &ins : p.inserts) {
		std::string text = "{\"value\":" + ins.value + "}";
		if (ins.index <= 0 || static_cast<size_t>(ins.index) > rows.size()) {
			rows.push_back(std::move(text));
		} else {
			rows.insert(rows.begin() + (ins.index - 1), std::move(text));
		}
	}
	std::string out = "{";
	AppendJsonString(out, subtable_);
	out += ":{\"value\":[";
	for (size_t k = 0; k < rows.size(); ++k) {
		if (k > 0) {
			out += ",";
		}
		out += rows[k];
	}
	out += "]}}";
	return out;
}

std::map<long long, ParentRecord> ReadParents(Session &session, long long app, long long guest_space_id,
                                              const std::string &subtable, const std::vector<long long> &ids,
                                              long *requests) {
	std::map<long long, ParentRecord> out;
	constexpr size_t kPerRequest = 500;
	for (size_t first = 0; first < ids.size(); first += kPerRequest) {
		size_t count = std::min(kPerRequest, ids.size() - first);
		std::vector<Value> values;
		for (size_t k = 0; k < count; ++k) {
			values.push_back(Value::Integer(std::to_string(ids[first + k])));
		}
		ScanRequest request;
		request.app = app;
		request.guest_space_id = guest_space_id;
		request.condition = PrintCondition(Condition::Leaf("$id", Op::kIn, std::move(values)));
		request.fields = {"$id", "$revision", subtable};
		request.strategy = PagingStrategy::kSeek;
		request.page_size = 500;
		ColumnRequest id, revision, table;
		id.field_code = "$id";
		revision.field_code = "$revision";
		table.field_code = subtable;
		table.shape = ColumnRequest::Shape::kJson;
		RecordReader reader({id, revision, table});
		Pager pager(session, request, nullptr);
		bool more = true;
		while (more) {
			more = pager.Next(reader);
			for (size_t r = 0; r < reader.rows(); ++r) {
				const Cell &id_cell = reader.cell(r, 0);
				const Cell &rev_cell = reader.cell(r, 1);
				const Cell &rows_cell = reader.cell(r, 2);
				long long id = id_cell.is_null ? -1 : WholeNumber(id_cell.text);
				long long revision = rev_cell.is_null ? -1 : WholeNumber(rev_cell.text);
				if (id <= 0 || revision <= 0) {
					throw Error(ErrorKind::kProtocol, "Kintone returned a record without a valid $id or $revision",
					            "GET /k/v1/records.json with the query " + request.condition.substr(0, 200));
				}
				ParentRecord parent;
				parent.revision = revision;
				parent.rows = rows_cell.is_null ? std::string() : std::string(rows_cell.text);
				out[id] = std::move(parent);
			}
		}
		*requests += pager.requests();
	}
	return out;
}

} // namespace kintone
