// What issue 13's writes leave behind when a transaction is rolled back: kintone_run_action,
// kintone_set_assignees and INSERT/DELETE on comments tables change Kintone at once, and Kintone
// has no rollback. When the transaction (or a subtransaction: ROLLBACK TO SAVEPOINT, an
// exception caught by PL/pgSQL) that ran them is rolled back, one WARNING says what stays done,
// as the records writer does for its own writes (xact_writes.cpp). A failed call's error has
// said it already; only calls that succeeded are noted.
//
// The list lives behind a pointer made on first use; the callbacks are registered then too.
#include "pg/object_table.hpp"

extern "C" {
#include "access/xact.h"
}

#include <string>
#include <vector>

namespace kintone_fdw {

namespace {

struct Change {
	SubTransactionId subid;
	std::string what; // e.g. "records of app 97 that took action \"承認\" (kintone_run_action)"
	long long count;
};

std::vector<Change> *changes = nullptr;
bool registered = false;

// The WARNING's detail for the changes of subid (all when sub is false), as malloc'd text; false
// when there are none (or out of memory). noexcept: runs in transaction callbacks.
bool Report(bool sub, SubTransactionId subid, char **detail) noexcept {
	*detail = nullptr;
	try {
		std::string text;
		for (const Change &c : *changes) {
			if (sub && c.subid != subid) {
				continue;
			}
			text += (text.empty() ? "" : "; ") + c.what + ": " + std::to_string(c.count);
		}
		if (text.empty()) {
			return false;
		}
		text += ". Kintone has no rollback.";
		*detail = static_cast<char *>(malloc(text.size() + 1));
		if (*detail == nullptr) {
			return false;
		}
		memcpy(*detail, text.c_str(), text.size() + 1);
		return true;
	} catch (...) {
		return false;
	}
}

void Warn(bool sub, SubTransactionId subid) {
	char *detail;
	if (!Report(sub, subid, &detail)) {
		return;
	}
	char text[2048];
	snprintf(text, sizeof(text), "%s", detail);
	free(detail);
	ereport(WARNING, (errcode(ERRCODE_WARNING),
	                  errmsg(sub ? "the subtransaction was rolled back, but what it changed in Kintone stays changed"
	                             : "the transaction was rolled back, but what it changed in Kintone stays changed"),
	                  errdetail("%s", text)));
}

void Forget(bool sub, SubTransactionId subid) noexcept {
	std::vector<Change> &list = *changes;
	size_t kept = 0;
	for (size_t i = 0; i < list.size(); ++i) {
		if (sub && list[i].subid != subid) {
			if (kept != i) {
				list[kept] = std::move(list[i]);
			}
			++kept;
		}
	}
	list.resize(kept);
}

void OnXact(XactEvent event, void *) {
	if (changes == nullptr) {
		return;
	}
	if (event == XACT_EVENT_ABORT) {
		Warn(false, InvalidSubTransactionId);
		Forget(false, InvalidSubTransactionId);
	} else if (event == XACT_EVENT_COMMIT || event == XACT_EVENT_PREPARE) {
		Forget(false, InvalidSubTransactionId);
	}
}

void OnSubXact(SubXactEvent event, SubTransactionId mySubid, SubTransactionId parentSubid, void *) {
	if (changes == nullptr) {
		return;
	}
	if (event == SUBXACT_EVENT_ABORT_SUB) {
		Warn(true, mySubid);
		Forget(true, mySubid);
	} else if (event == SUBXACT_EVENT_COMMIT_SUB) {
		for (Change &c : *changes) {
			if (c.subid == mySubid) {
				c.subid = parentSubid;
			}
		}
	}
}

} // namespace

void NoteKintoneChange(const std::string &what, long long count) {
	if (count <= 0) {
		return;
	}
	if (changes == nullptr) {
		changes = new std::vector<Change>();
	}
	SubTransactionId subid = GetCurrentSubTransactionId();
	for (Change &c : *changes) {
		if (c.subid == subid && c.what == what) {
			c.count += count;
			return;
		}
	}
	changes->push_back(Change{subid, what, count});
}

void EnsureChangeCallbacks() {
	if (!registered) {
		RegisterXactCallback(OnXact, nullptr);
		RegisterSubXactCallback(OnSubXact, nullptr);
		registered = true;
	}
}

} // namespace kintone_fdw
