// Writing the rows of a SUBTABLE field (docs/subtables.md, "Writing"): a statement's INSERT,
// UPDATE or DELETE of rows is a read-modify-write of each parent record. The changes are
// gathered per parent (RowChanges); at the end of the statement the parents' current rows are
// read (ReadParents, `$id in (…)`), the changes applied to them (RowChanges::Record) and each
// parent sent as one record update, with the revision the statement's scan read (or, for an
// INSERT, the one just read), through kintone::Writer (up to 2,000 records per request, all or
// nothing).
//
// Kintone's update of a subtable (contract §6.3, [OBS]): the rows sent replace the table; a row
// with an existing "id" is kept (inner fields left out keep their values), a row without one is
// new, a row not sent is deleted. So the rows the statement does not change are sent as
// {"id": …, "value": {}}: kept with their ids and values, and no value of theirs (a CALC, a
// lookup copy) is written back.
#pragma once

#include "kintone/error.hpp"
#include "kintone/pager.hpp"
#include "kintone/session.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace kintone {

class RowChanges {
public:
	explicit RowChanges(std::string subtable) : subtable_(std::move(subtable)) {}

	// value: the inner fields the statement sets, {"code":{"value":…},…} (BuildRecord);
	// stmt_row: the statement's row (1-based, for messages); revision: the parent's revision as
	// the statement's scan read it (< 0 when not known). Throws Error(kConflict) when a row of
	// the same parent was read with another revision (the record changed during the scan).
	void AddUpdate(long long parent, long long revision, long long row_id, std::string value, long long stmt_row);
	void AddDelete(long long parent, long long revision, long long row_id, long long stmt_row);
	// index: the new row's position (from 1) among the record's rows once the statement's changes
	// are made; 0, or past the end: appended. Rows inserted by one statement into one record go
	// in statement order.
	void AddInsert(long long parent, long long index, std::string value, long long stmt_row);

	const std::string &subtable() const { return subtable_; }
	// Parent records, in the order the statement first changed them.
	size_t parents() const { return order_.size(); }
	long long parent(size_t i) const { return order_[i]; }
	// The revision the scan read for parent i, -1 when none (INSERT).
	long long revision(size_t i) const;
	// Statement rows changing parent i: "row 3", "rows 3 to 5", "rows 3, 7 and 2 more" (messages).
	std::string StatementRows(size_t i) const;
	long long rows() const { return rows_; }

	// The record {"<subtable>":{"value":[…]}} for parent i, given the subtable's current value as
	// Kintone returns it ([{"id": …, "value": {…}}, …]; empty text or null: no rows). Throws
	// Error(kConflict) when a row the statement updates or deletes is no longer in the record,
	// Error(kProtocol) for a value of another shape.
	std::string Record(size_t i, std::string_view current_rows) const;

private:
	struct Insert {
		long long index;
		std::string value;
	};
	struct Parent {
		long long revision = -1;
		std::map<long long, std::string> updates; // row id -> inner values
		std::vector<long long> deletes;
		std::vector<Insert> inserts;
		std::vector<long long> stmt_rows;
	};
	Parent &Touch(long long parent, long long revision, long long stmt_row);

	std::string subtable_;
	std::map<long long, Parent> by_id_;
	std::vector<long long> order_;
	long long rows_ = 0;
};

// A parent record as read before the write: its revision and its subtable's value (JSON text).
struct ParentRecord {
	long long revision = -1;
	std::string rows;
};

// Reads the records ids (at most 2,000; "$id in (…)", 500 per request) of the app: their
// "$revision" and the subtable's value. Records that do not exist (or the user may not see) are
// absent from the answer. *requests is increased by the requests made.
std::map<long long, ParentRecord> ReadParents(Session &session, long long app, long long guest_space_id,
                                              const std::string &subtable, const std::vector<long long> &ids,
                                              long *requests);

} // namespace kintone
