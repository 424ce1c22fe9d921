// Process management (contract §4.10): an app's process settings, the status and assignees of
// records, running an action on many records in as few atomic requests as Kintone allows, and
// changing assignees.
//
// Why the client reads before it writes: Kintone refuses an action that is not available in a
// record's status with one generic error (GAIA_IL03) that does not say which record of a
// 100-record call it was. So RunAction first reads the records' status and revision and the
// app's settings, and refuses the whole statement before anything is sent when an action is not
// available for some record (naming it and the actions that are). The revisions read are sent
// with the action, so a record changed in between makes Kintone refuse (409) instead of acting
// on a state that was not checked. After the write it reads the records again: what it reports
// (status, assignees) is what Kintone holds, not what it was expected to hold (a status of type
// ALL moves only when its last assignee acts).
//
// Batching follows the writer's rule (writer.hpp): 100 records per records/status.json call, up
// to 20 calls (2,000 records) per bulkRequest, which is all-or-nothing; without bulkRequest
// (OAuth) the calls go one by one, each atomic by itself. record/assignees.json takes one record
// per call, so 20 records per bulkRequest. A failure says exactly which records moved (Kintone
// confirmed them), which did not, and which may or may not have (an answer that was lost).
#pragma once

#include "kintone/error.hpp"
#include "kintone/session.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace kintone {

struct ProcessEntity {
	std::string type; // USER, GROUP, ORGANIZATION, FIELD_ENTITY, CREATOR, CUSTOM_FIELD
	std::string code;
	bool include_subs = false;
};

struct ProcessState {
	std::string name;
	long long index = 0;
	std::string assignee_type; // ONE, ALL, ANY
	std::vector<ProcessEntity> assignees;
};

struct ProcessAction {
	std::string name;
	std::string from;
	std::string to;
	std::string filter_cond;
	std::string type; // PRIMARY, SECONDARY
	std::vector<ProcessEntity> executable_users;
};

struct ProcessSettings {
	bool enable = false;
	std::vector<ProcessState> states; // in index order
	std::vector<ProcessAction> actions;
	std::string revision;

	const ProcessState *State(std::string_view name) const;
};

// GET app/status.json's body. Throws kProtocol for a body of another shape.
ProcessSettings ParseProcessSettings(const Json &doc);

// GET app/status.json with lang ("default", "user", "ja", "en", "zh").
ProcessSettings FetchProcessSettings(Session &session, long long app, long long guest_space_id, std::string_view lang);

// The settings in the two languages that matter: records (and queries) hold the default names
// of statuses; the action API takes action names in the caller's language (contract §4.10).
struct Process {
	ProcessSettings defaults; // lang=default
	ProcessSettings user;     // lang=user
	// Both answers list the same statuses and actions in the same order (only names differ).
	bool aligned() const;

	// An action that leaves a status, with its names in both languages.
	struct Available {
		const ProcessAction *user;     // the name to send
		const ProcessAction *defaults; // the default name (nullptr when the answers differ)
	};
	// The actions leaving status (a default name, as records hold it).
	std::vector<Available> ActionsFrom(const std::string &status) const;
	// The status's name in the caller's language ("" when unknown).
	std::string UserStatusName(const std::string &status) const;
};

// Both answers (two requests).
Process FetchProcess(Session &session, long long app, long long guest_space_id, long *requests = nullptr);

// What a record holds of process management.
struct RecordStatus {
	long long id = 0;
	long long revision = 0;
	std::string status; // default name
	bool has_status = false;
	std::vector<std::string> assignees; // login names
};

// Reads id, revision, status and assignees of the records (100 ids per GET records.json; the
// STATUS and STATUS_ASSIGNEE fields are found by their type). The result is in ids order; ids
// Kintone does not return are left out (the caller names them).
std::vector<RecordStatus> ReadRecordStatuses(Session &session, long long app, long long guest_space_id,
                                             const std::vector<long long> &ids, long *requests = nullptr);

// "1, 3-5, 9": sorted ids as ranges, at most max_items items then "… (N in all)".
std::string IdRanges(std::vector<long long> ids, size_t max_items = 20);

struct ActionResult {
	long long id = 0;
	std::string status_before; // default name
	std::string action;        // the name sent (caller's language)
	std::string status;        // after (read back)
	std::vector<std::string> assignees;
	long long revision = 0; // Kintone's answer to the action
};

struct ActionOptions {
	std::string action;   // default name or the caller's
	std::string assignee; // "" = none sent
	bool has_assignee = false;
};

// Runs the action on each record of ids (duplicates once, in ascending id order). Throws before
// anything is sent when a record does not exist, the app has no process management, or the
// action is not available for a record; after a failed request, the error's detail says which
// records moved. requests (optional) counts the HTTP requests made.
std::vector<ActionResult> RunAction(Session &session, long long app, long long guest_space_id,
                                    const std::vector<long long> &ids, const ActionOptions &options,
                                    long *requests = nullptr);

struct AssigneesResult {
	long long id = 0;
	std::vector<std::string> assignees; // as sent (duplicates once)
	long long revision = 0;
};

// Sets the assignees of each record (record/assignees.json; [] clears them; at most 100).
std::vector<AssigneesResult> SetAssignees(Session &session, long long app, long long guest_space_id,
                                          const std::vector<long long> &ids, const std::vector<std::string> &assignees,
                                          long *requests = nullptr);

// Sends write calls of one API in order: groups of up to 20 as one bulkRequest (all-or-nothing)
// when the session allows bulkRequest and a group has more than one call, else one call per
// request. Used for records/status.json and record/assignees.json.
class CallSender {
public:
	static constexpr size_t kCallsPerBulk = 20;

	CallSender(Session &session, long long guest_space_id, std::string method, std::string endpoint);

	// Payloads (JSON text) of the calls, in order; returns each call's answer. On failure throws
	// the Error after recording confirmed_calls() (answered calls of earlier requests),
	// failed_first()/failed_end() (the calls of the failing request, none of which happened
	// unless outcome_unknown()) and failed_call() (the failing call's index, or -1 if unknown).
	std::vector<Json> Send(const std::vector<std::string> &payloads);

	size_t confirmed_calls() const { return confirmed_; }
	size_t failed_first() const { return failed_first_; }
	size_t failed_end() const { return failed_end_; }
	long failed_call() const { return failed_call_; }
	bool outcome_unknown() const { return unknown_; }
	long requests() const { return requests_; }

private:
	Session &session_;
	long long guest_space_id_;
	std::string method_;
	std::string endpoint_;
	std::string api_path_;
	size_t confirmed_ = 0;
	size_t failed_first_ = 0;
	size_t failed_end_ = 0;
	long failed_call_ = -1;
	bool unknown_ = false;
	long requests_ = 0;
};

// Whether Kintone may have acted on a request that failed with this error (its answer was
// lost or cut, or the transfer was aborted): then its outcome is unknown.
bool MayHaveActed(const Error &error);

} // namespace kintone
