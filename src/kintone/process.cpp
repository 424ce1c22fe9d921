// Process management (see process.hpp).
#include "kintone/process.hpp"

#include "kintone/writer.hpp"

#include <algorithm>
#include <iterator>
#include <set>
#include <utility>

namespace kintone {

namespace {

constexpr size_t kRecordsPerCall = 100; // records/status.json (contract §5)
constexpr size_t kIdsPerRead = 100;     // ids per "$id in (…)" read
constexpr size_t kMaxAssignees = 100;   // record/assignees.json (contract §5)

Error Malformed(const std::string &what, const std::string &request) {
	return Error(ErrorKind::kProtocol, "Kintone returned " + what, request);
}

std::string Str(const Json &obj, const char *key) {
	if (!obj.is_object()) {
		return {};
	}
	auto it = obj.find(key);
	if (it == obj.end() || it->is_null()) {
		return {};
	}
	if (it->is_string()) {
		return it->get<std::string>();
	}
	if (it->is_number_integer()) {
		return it->dump();
	}
	return {};
}

// A decimal id or revision as Kintone sends it (string or number); -1 when absent or invalid.
long long IdOf(const Json &value) {
	std::string text = value.is_string() ? value.get<std::string>() : value.is_number_integer() ? value.dump() : "";
	if (text.empty() || text.size() > 18) {
		return -1;
	}
	long long n = 0;
	for (char c : text) {
		if (c < '0' || c > '9') {
			return -1;
		}
		n = n * 10 + (c - '0');
	}
	return n;
}

std::vector<ProcessEntity> ParseEntities(const Json &holder, const std::string &request) {
	std::vector<ProcessEntity> out;
	if (!holder.is_object()) {
		return out;
	}
	auto entities = holder.find("entities");
	if (entities == holder.end() || entities->is_null()) {
		return out;
	}
	if (!entities->is_array()) {
		throw Malformed("process settings with malformed \"entities\"", request);
	}
	for (const auto &item : *entities) {
		if (!item.is_object()) {
			throw Malformed("process settings with malformed \"entities\"", request);
		}
		ProcessEntity e;
		auto entity = item.find("entity");
		const Json &inner = entity != item.end() ? *entity : item;
		e.type = Str(inner, "type");
		e.code = Str(inner, "code");
		auto subs = item.find("includeSubs");
		e.include_subs = subs != item.end() && subs->is_boolean() && subs->get<bool>();
		out.push_back(std::move(e));
	}
	return out;
}

std::string Quoted(const std::string &s) {
	return "\"" + s + "\"";
}

std::string Joined(const std::vector<std::string> &items) {
	std::string out;
	for (const auto &n : items) {
		out += (out.empty() ? "" : ", ") + n;
	}
	return out;
}

std::string Plural(size_t n, const char *word) {
	return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

} // namespace

bool MayHaveActed(const Error &error) {
	switch (error.kind()) {
	case ErrorKind::kConnection:
	case ErrorKind::kCancelled:
	case ErrorKind::kProtocol: // an answer that could not be read: Kintone may have acted
		return true;
	case ErrorKind::kServer:
		return error.code().empty(); // a gateway's 5xx, not one of Kintone's own errors
	default:
		return false;
	}
}

const ProcessState *ProcessSettings::State(std::string_view name) const {
	for (const auto &s : states) {
		if (s.name == name) {
			return &s;
		}
	}
	return nullptr;
}

ProcessSettings ParseProcessSettings(const Json &doc) {
	const std::string request = "GET app/status.json";
	if (!doc.is_object()) {
		throw Malformed("process settings that are not a JSON object", request);
	}
	ProcessSettings out;
	auto enable = doc.find("enable");
	if (enable == doc.end() || !enable->is_boolean()) {
		throw Malformed("process settings without \"enable\"", request);
	}
	out.enable = enable->get<bool>();
	out.revision = Str(doc, "revision");
	auto states = doc.find("states");
	if (states != doc.end() && !states->is_null()) {
		if (!states->is_object()) {
			throw Malformed("process settings with malformed \"states\"", request);
		}
		for (auto it = states->begin(); it != states->end(); ++it) {
			if (!it->is_object()) {
				throw Malformed("process settings with malformed \"states\"", request);
			}
			ProcessState s;
			s.name = Str(*it, "name");
			if (s.name.empty()) {
				s.name = it.key();
			}
			auto index = it->find("index");
			s.index = index != it->end() ? IdOf(*index) : -1;
			if (s.index < 0) {
				throw Malformed("a status without a valid \"index\"", request);
			}
			auto assignee = it->find("assignee");
			if (assignee != it->end() && assignee->is_object()) {
				s.assignee_type = Str(*assignee, "type");
				s.assignees = ParseEntities(*assignee, request);
			}
			out.states.push_back(std::move(s));
		}
		std::stable_sort(out.states.begin(), out.states.end(),
		                 [](const ProcessState &a, const ProcessState &b) { return a.index < b.index; });
	}
	auto actions = doc.find("actions");
	if (actions != doc.end() && !actions->is_null()) {
		if (!actions->is_array()) {
			throw Malformed("process settings with malformed \"actions\"", request);
		}
		for (const auto &item : *actions) {
			if (!item.is_object()) {
				throw Malformed("process settings with malformed \"actions\"", request);
			}
			ProcessAction a;
			a.name = Str(item, "name");
			a.from = Str(item, "from");
			a.to = Str(item, "to");
			a.filter_cond = Str(item, "filterCond");
			a.type = Str(item, "type");
			if (a.type.empty()) {
				a.type = "PRIMARY";
			}
			auto exec = item.find("executableUser");
			if (exec != item.end()) {
				a.executable_users = ParseEntities(*exec, request);
			}
			if (a.name.empty() || a.from.empty() || a.to.empty()) {
				throw Malformed("an action without \"name\", \"from\" or \"to\"", request);
			}
			out.actions.push_back(std::move(a));
		}
	}
	return out;
}

ProcessSettings FetchProcessSettings(Session &session, long long app, long long guest_space_id, std::string_view lang) {
	return ParseProcessSettings(
	    session.Get("app/status.json", {{"app", app}, {"lang", std::string(lang)}}, guest_space_id));
}

bool Process::aligned() const {
	if (defaults.states.size() != user.states.size() || defaults.actions.size() != user.actions.size()) {
		return false;
	}
	for (size_t i = 0; i < defaults.states.size(); ++i) {
		if (defaults.states[i].index != user.states[i].index) {
			return false;
		}
	}
	return true;
}

std::vector<Process::Available> Process::ActionsFrom(const std::string &status) const {
	std::vector<Available> out;
	if (aligned()) {
		for (size_t i = 0; i < defaults.actions.size(); ++i) {
			if (defaults.actions[i].from == status) {
				out.push_back({&user.actions[i], &defaults.actions[i]});
			}
		}
		return out;
	}
	// The answers differ (settings changed between the two reads, or an unknown translation
	// scheme): only the caller's names, matched by the status's caller-language name.
	std::string name = UserStatusName(status);
	for (const auto &a : user.actions) {
		if (a.from == name) {
			out.push_back({&a, nullptr});
		}
	}
	return out;
}

std::string Process::UserStatusName(const std::string &status) const {
	const ProcessState *d = defaults.State(status);
	if (d == nullptr) {
		return user.State(status) != nullptr ? status : std::string();
	}
	for (const auto &s : user.states) {
		if (s.index == d->index) {
			return s.name;
		}
	}
	return {};
}

Process FetchProcess(Session &session, long long app, long long guest_space_id, long *requests) {
	long ignored = 0;
	long *count = requests != nullptr ? requests : &ignored;
	Process p;
	++*count; // counted when sent, also when it fails
	p.defaults = FetchProcessSettings(session, app, guest_space_id, "default");
	++*count;
	p.user = FetchProcessSettings(session, app, guest_space_id, "user");
	return p;
}

std::vector<RecordStatus> ReadRecordStatuses(Session &session, long long app, long long guest_space_id,
                                             const std::vector<long long> &ids, long *requests) {
	std::vector<RecordStatus> found;
	for (size_t first = 0; first < ids.size(); first += kIdsPerRead) {
		size_t end = std::min(ids.size(), first + kIdsPerRead);
		std::string query = "$id in (";
		for (size_t i = first; i < end; ++i) {
			query += (i > first ? ",\"" : "\"") + std::to_string(ids[i]) + "\"";
		}
		query += ") order by $id asc limit " + std::to_string(kIdsPerRead);
		std::string request = "GET records.json of app " + std::to_string(app);
		if (requests != nullptr) {
			++*requests;
		}
		Json page = session.Get("records.json", {{"app", app}, {"query", query}}, guest_space_id);
		auto records = page.find("records");
		if (records == page.end() || !records->is_array() || records->size() > end - first) {
			throw Malformed("a records page without a valid \"records\" array", request);
		}
		for (const auto &rec : *records) {
			if (!rec.is_object()) {
				throw Malformed("a record that is not a JSON object", request);
			}
			RecordStatus r;
			r.id = r.revision = -1;
			for (auto it = rec.begin(); it != rec.end(); ++it) {
				if (!it->is_object()) {
					continue;
				}
				std::string type = Str(*it, "type");
				auto value = it->find("value");
				if (value == it->end()) {
					continue;
				}
				if (type == "__ID__" || it.key() == "$id") {
					r.id = IdOf(*value);
				} else if (type == "__REVISION__" || it.key() == "$revision") {
					r.revision = IdOf(*value);
				} else if (type == "STATUS") {
					if (!value->is_string()) {
						throw Malformed("a STATUS value that is not a string", request);
					}
					r.status = value->get<std::string>();
					r.has_status = true;
				} else if (type == "STATUS_ASSIGNEE") {
					if (!value->is_array()) {
						throw Malformed("a STATUS_ASSIGNEE value that is not an array", request);
					}
					for (const auto &entity : *value) {
						r.assignees.push_back(Str(entity, "code"));
					}
				}
			}
			if (r.id < 0 || r.revision < 0) {
				throw Malformed("a record without a valid $id or $revision", request);
			}
			bool asked = std::find(ids.begin() + static_cast<long>(first), ids.begin() + static_cast<long>(end),
			                       r.id) != ids.begin() + static_cast<long>(end);
			if (!asked) {
				throw Malformed("record " + std::to_string(r.id) + ", which was not asked for", request);
			}
			found.push_back(std::move(r));
		}
	}
	// In the order of ids.
	std::vector<RecordStatus> out;
	out.reserve(found.size());
	std::sort(found.begin(), found.end(), [](const RecordStatus &a, const RecordStatus &b) { return a.id < b.id; });
	for (long long id : ids) {
		auto it = std::lower_bound(found.begin(), found.end(), id,
		                           [](const RecordStatus &r, long long v) { return r.id < v; });
		if (it != found.end() && it->id == id) {
			out.push_back(*it);
		}
	}
	return out;
}

std::string IdRanges(std::vector<long long> ids, size_t max_items) {
	std::sort(ids.begin(), ids.end());
	ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
	std::string out;
	size_t items = 0;
	for (size_t i = 0; i < ids.size();) {
		size_t j = i;
		while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) {
			++j;
		}
		if (items == max_items) {
			out += ", … (" + std::to_string(ids.size()) + " in all)";
			break;
		}
		out += (out.empty() ? "" : ", ") + std::to_string(ids[i]);
		if (j > i) {
			out += "-" + std::to_string(ids[j]);
		}
		++items;
		i = j + 1;
	}
	return out;
}

CallSender::CallSender(Session &session, long long guest_space_id, std::string method, std::string endpoint)
    : session_(session), guest_space_id_(guest_space_id), method_(std::move(method)), endpoint_(std::move(endpoint)),
      api_path_(session.Path(endpoint_, guest_space_id)) {}

std::vector<Json> CallSender::Send(const std::vector<std::string> &payloads) {
	std::vector<Json> answers;
	answers.reserve(payloads.size());
	confirmed_ = 0;
	bool bulk_allowed = session_.config().allow_bulk_request;
	size_t group = bulk_allowed ? kCallsPerBulk : 1;
	for (size_t first = 0; first < payloads.size(); first += group) {
		size_t end = std::min(payloads.size(), first + group);
		failed_first_ = first;
		failed_end_ = end;
		try {
			++requests_;
			if (end - first == 1) {
				answers.push_back(session_.SendText(method_, endpoint_, payloads[first], guest_space_id_));
			} else {
				std::string body = "{\"requests\":[";
				for (size_t i = first; i < end; ++i) {
					body += i > first ? ",{\"method\":" : "{\"method\":";
					AppendJsonString(body, method_);
					body += ",\"api\":";
					AppendJsonString(body, api_path_);
					body += ",\"payload\":" + payloads[i] + "}";
				}
				body += "]}";
				Json response = session_.SendText("POST", "bulkRequest.json", body, guest_space_id_);
				auto results = response.find("results");
				if (results == response.end() || !results->is_array() || results->size() != end - first) {
					throw Error(ErrorKind::kProtocol, "Kintone answered a bulkRequest with an unexpected response",
					            "The answer does not hold one result per call.");
				}
				for (auto &r : *results) {
					answers.push_back(std::move(r));
				}
			}
		} catch (const Error &e) {
			unknown_ = MayHaveActed(e);
			failed_call_ = end - first == 1      ? static_cast<long>(first)
			               : e.bulk_index() >= 0 ? static_cast<long>(first) + e.bulk_index()
			                                     : -1;
			throw;
		}
		confirmed_ = end;
	}
	return answers;
}

namespace {

// The records of calls [first, end) when call i holds items [i * per_call, (i + 1) * per_call).
std::vector<long long> IdsOfCalls(const std::vector<long long> &ids, size_t per_call, size_t first, size_t end) {
	size_t a = std::min(ids.size(), first * per_call);
	size_t b = std::min(ids.size(), end * per_call);
	return std::vector<long long>(ids.begin() + static_cast<long>(a), ids.begin() + static_cast<long>(b));
}

// Rewrites a failed send's error: what Kintone said, then which records changed and which did
// not. what: "moved" / "got the new assignees".
[[noreturn]] void ThrowSendFailure(Error e, const CallSender &sender, const std::vector<long long> &ids,
                                   size_t per_call, const std::string &what, const std::string &verb) {
	std::vector<long long> done = IdsOfCalls(ids, per_call, 0, sender.confirmed_calls());
	std::vector<long long> failed = IdsOfCalls(ids, per_call, sender.failed_first(), sender.failed_end());
	std::vector<long long> unsent =
	    IdsOfCalls(ids, per_call, sender.failed_end(), (ids.size() + per_call - 1) / per_call);
	std::string detail = e.detail();
	if (!detail.empty()) {
		detail += "\n";
	}
	if (sender.failed_call() >= 0 && !sender.outcome_unknown()) {
		std::vector<long long> culprit = IdsOfCalls(ids, per_call, static_cast<size_t>(sender.failed_call()),
		                                            static_cast<size_t>(sender.failed_call()) + 1);
		if (culprit.size() == 1) {
			detail += "Kintone refused it for record " + std::to_string(culprit[0]) + ".\n";
		} else if (!culprit.empty()) {
			detail += "Kintone refused the call with records " + IdRanges(culprit) + ".\n";
		}
	}
	if (sender.outcome_unknown()) {
		detail += "The request with records " + IdRanges(failed) + " may or may not have been processed by Kintone; " +
		          "it was not repeated: read those records to see whether they " + verb + ".";
	} else {
		detail += "Nothing of the request with records " + IdRanges(failed) + " " + what +
		          " (Kintone applies it all or nothing).";
	}
	if (!done.empty()) {
		detail += "\n" + Plural(done.size(), "record") + " (" + IdRanges(done) + ") " + what +
		          " before and stay so (Kintone has no rollback).";
	} else {
		detail += "\nNo record of this statement " + what + " before.";
	}
	if (!unsent.empty()) {
		detail += "\n" + Plural(unsent.size(), "record") + " (" + IdRanges(unsent) + ") were not sent.";
	}
	e.set_detail(detail);
	throw e;
}

std::vector<long long> SortedUnique(std::vector<long long> ids) {
	std::sort(ids.begin(), ids.end());
	ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
	return ids;
}

void CheckIds(const std::vector<long long> &ids) {
	for (long long id : ids) {
		if (id <= 0) {
			throw Error(ErrorKind::kInvalidRequest, "record id " + std::to_string(id) + " is not valid",
			            "Kintone record ids are positive integers.");
		}
	}
}

void CheckFound(const std::vector<long long> &ids, const std::vector<RecordStatus> &found, long long app) {
	if (found.size() == ids.size()) {
		return;
	}
	std::vector<long long> missing;
	size_t j = 0;
	for (long long id : ids) {
		if (j < found.size() && found[j].id == id) {
			++j;
		} else {
			missing.push_back(id);
		}
	}
	throw Error(ErrorKind::kNotFound,
	            (missing.size() == 1 ? "record " + std::to_string(missing[0]) + " does not exist"
	                                 : "records " + IdRanges(missing) + " do not exist") +
	                " in app " + std::to_string(app),
	            "Or the user mapping may not see " + std::string(missing.size() == 1 ? "it" : "them") +
	                ". Nothing was sent to Kintone.");
}

// The ids among ids (sorted) that meet condition, as Kintone evaluates it.
std::vector<long long> RecordsMeeting(Session &session, long long app, long long guest_space_id,
                                      const std::vector<long long> &ids, const std::string &condition, long *count) {
	std::vector<long long> out;
	for (size_t first = 0; first < ids.size(); first += kIdsPerRead) {
		size_t end = std::min(ids.size(), first + kIdsPerRead);
		std::string query = "$id in (";
		for (size_t i = first; i < end; ++i) {
			query += (i > first ? ",\"" : "\"") + std::to_string(ids[i]) + "\"";
		}
		query += ") and (" + condition + ") order by $id asc limit " + std::to_string(kIdsPerRead);
		++*count;
		Json page = session.Get("records.json", {{"app", app}, {"query", query}, {"fields", {"$id"}}}, guest_space_id);
		auto records = page.find("records");
		if (records == page.end() || !records->is_array() || records->size() > end - first) {
			throw Malformed("a records page without a valid \"records\" array", "GET records.json");
		}
		for (const auto &rec : *records) {
			long long id =
			    rec.is_object() && rec.contains("$id") && rec["$id"].is_object() && rec["$id"].contains("value")
			        ? IdOf(rec["$id"]["value"])
			        : -1;
			if (id < 0 ||
			    !std::binary_search(ids.begin() + static_cast<long>(first), ids.begin() + static_cast<long>(end), id)) {
				throw Malformed("a record that was not asked for", "GET records.json");
			}
			out.push_back(id);
		}
	}
	std::sort(out.begin(), out.end());
	return out;
}

} // namespace

std::vector<ActionResult> RunAction(Session &session, long long app, long long guest_space_id,
                                    const std::vector<long long> &input_ids, const ActionOptions &options,
                                    long *requests) {
	long local_requests = 0;
	long *count = requests != nullptr ? requests : &local_requests;
	std::vector<long long> ids = SortedUnique(input_ids);
	CheckIds(ids);
	if (options.action.empty()) {
		throw Error(ErrorKind::kInvalidRequest, "the action name is empty");
	}
	if (ids.empty()) {
		return {};
	}
	Process process = FetchProcess(session, app, guest_space_id, count);
	if (!process.defaults.enable) {
		throw Error(ErrorKind::kInvalidRequest, "process management is not enabled in app " + std::to_string(app),
		            "Nothing was sent to Kintone.");
	}
	std::vector<RecordStatus> before = ReadRecordStatuses(session, app, guest_space_id, ids, count);
	CheckFound(ids, before, app);

	// Every record must offer the action: find the name to send for each, or refuse them all.
	std::vector<std::string> names(ids.size());
	std::vector<size_t> refused;
	for (size_t i = 0; i < before.size(); ++i) {
		if (!before[i].has_status) {
			throw Error(ErrorKind::kProtocol,
			            "Kintone returned record " + std::to_string(before[i].id) + " of app " + std::to_string(app) +
			                " without a status",
			            "Process management is enabled in the app's settings.");
		}
		for (const auto &available : process.ActionsFrom(before[i].status)) {
			if (available.user->name == options.action ||
			    (available.defaults != nullptr && available.defaults->name == options.action)) {
				if (!names[i].empty() && names[i] != available.user->name) {
					throw Error(ErrorKind::kInvalidRequest,
					            "action \"" + options.action + "\" names two actions of status \"" + before[i].status +
					                "\" in app " + std::to_string(app),
					            "Use the action's name in your language: " + Quoted(names[i]) + " or " +
					                Quoted(available.user->name) + ".");
				}
				names[i] = available.user->name;
			}
		}
		if (names[i].empty()) {
			refused.push_back(i);
		}
	}
	if (!refused.empty()) {
		const RecordStatus &r = before[refused[0]];
		std::vector<std::string> offered;
		for (const auto &available : process.ActionsFrom(r.status)) {
			offered.push_back(Quoted(available.user->name) +
			                  (available.user->filter_cond.empty() ? "" : " (if " + available.user->filter_cond + ")"));
		}
		std::string user_status = process.UserStatusName(r.status);
		std::string detail = "Record " + std::to_string(r.id) + " is in status " + Quoted(r.status) +
		                     (user_status.empty() || user_status == r.status ? "" : " (" + Quoted(user_status) + ")") +
		                     (offered.empty() ? ", which has no action."
		                                      : ", where the available actions are: " + Joined(offered) + ".");
		if (refused.size() > 1) {
			std::vector<long long> others;
			for (size_t k = 1; k < refused.size(); ++k) {
				others.push_back(before[refused[k]].id);
			}
			detail += "\nThe action is not available for " + Plural(others.size(), "other record") +
			          " either: " + IdRanges(others) + ".";
		}
		detail += "\nNothing was sent to Kintone.";
		throw Error(ErrorKind::kInvalidRequest,
		            "action \"" + options.action + "\" is not available for record " + std::to_string(r.id) +
		                " of app " + std::to_string(app),
		            detail);
	}

	// An action's condition (filterCond) is Kintone's to evaluate: ask it which of the records
	// meet it, so that a record that does not is named before anything is sent.
	std::vector<std::string> conditions;
	for (size_t i = 0; i < ids.size(); ++i) {
		for (const auto &available : process.ActionsFrom(before[i].status)) {
			if (available.user->name == names[i] && !available.user->filter_cond.empty() &&
			    std::find(conditions.begin(), conditions.end(), available.user->filter_cond) == conditions.end()) {
				conditions.push_back(available.user->filter_cond);
			}
		}
	}
	for (const auto &condition : conditions) {
		std::vector<long long> subject;
		for (size_t i = 0; i < ids.size(); ++i) {
			for (const auto &available : process.ActionsFrom(before[i].status)) {
				if (available.user->name == names[i] && available.user->filter_cond == condition) {
					subject.push_back(ids[i]);
				}
			}
		}
		std::vector<long long> meeting = RecordsMeeting(session, app, guest_space_id, subject, condition, count);
		std::vector<long long> failing;
		std::set_difference(subject.begin(), subject.end(), meeting.begin(), meeting.end(),
		                    std::back_inserter(failing));
		if (!failing.empty()) {
			std::string detail =
			    "Record " + std::to_string(failing[0]) + " does not meet the action's condition: " + condition + ".";
			if (failing.size() > 1) {
				detail += "\nNor do " + Plural(failing.size() - 1, "other record") + ": " +
				          IdRanges(std::vector<long long>(failing.begin() + 1, failing.end())) + ".";
			}
			detail += "\nNothing was sent to Kintone.";
			throw Error(ErrorKind::kInvalidRequest,
			            "action \"" + options.action + "\" is not available for record " + std::to_string(failing[0]) +
			                " of app " + std::to_string(app),
			            detail);
		}
	}

	// 100 records per call, with the revisions read: a record changed since makes Kintone refuse.
	std::vector<std::string> payloads;
	for (size_t first = 0; first < ids.size(); first += kRecordsPerCall) {
		size_t end = std::min(ids.size(), first + kRecordsPerCall);
		std::string p = "{\"app\":" + std::to_string(app) + ",\"records\":[";
		for (size_t i = first; i < end; ++i) {
			p += i > first ? ",{\"id\":" : "{\"id\":";
			p += std::to_string(ids[i]) + ",\"action\":";
			AppendJsonString(p, names[i]);
			if (options.has_assignee) {
				p += ",\"assignee\":";
				AppendJsonString(p, options.assignee);
			}
			p += ",\"revision\":" + std::to_string(before[i].revision) + "}";
		}
		p += "]}";
		payloads.push_back(std::move(p));
	}
	CallSender sender(session, guest_space_id, "PUT", "records/status.json");
	std::vector<Json> answers;
	try {
		answers = sender.Send(payloads);
	} catch (Error &e) {
		*count += sender.requests();
		if (e.code() == "GAIA_CO02") {
			e.set_hint("A record was changed after kintone_fdw read its status; run the statement again.");
		} else if (e.code() == "GAIA_SA01") {
			e.set_hint("The action's next status is assigned to one person: pass the assignee's login name.");
		} else if (e.code() == "GAIA_NT01") {
			e.set_hint("Only a record's assignees may run its actions (and, for a secondary action, the users it "
			           "names).");
		}
		ThrowSendFailure(std::move(e), sender, ids, kRecordsPerCall, "moved", "moved");
	}
	*count += sender.requests();

	std::vector<ActionResult> results(ids.size());
	for (size_t c = 0; c < answers.size(); ++c) {
		size_t first = c * kRecordsPerCall;
		size_t n = std::min(kRecordsPerCall, ids.size() - first);
		auto recs = answers[c].find("records");
		if (recs == answers[c].end() || !recs->is_array() || recs->size() != n) {
			Error e(ErrorKind::kProtocol, "Kintone answered a status change with an unexpected response",
			        "The answer does not list the records.");
			e.set_detail(e.detail() + "\nKintone accepted the actions on records " + IdRanges(ids) +
			             ": they moved, but the answer cannot be read.");
			throw e;
		}
		for (size_t i = 0; i < n; ++i) {
			const Json &item = (*recs)[i];
			ActionResult &r = results[first + i];
			r.id = ids[first + i];
			r.status_before = before[first + i].status;
			r.action = names[first + i];
			auto rev = item.find("revision");
			r.revision = rev != item.end() ? IdOf(*rev) : -1;
		}
	}

	// What Kintone holds now.
	std::vector<RecordStatus> after;
	try {
		after = ReadRecordStatuses(session, app, guest_space_id, ids, count);
	} catch (Error &e) {
		e.set_detail((e.detail().empty() ? "" : e.detail() + "\n") + "The action ran on " +
		             Plural(ids.size(), "record") + " (" + IdRanges(ids) +
		             ") and Kintone confirmed it; reading their new status failed.");
		throw;
	}
	size_t j = 0;
	for (auto &r : results) {
		while (j < after.size() && after[j].id < r.id) {
			++j;
		}
		if (j < after.size() && after[j].id == r.id) {
			r.status = after[j].status;
			r.assignees = after[j].assignees;
		}
	}
	return results;
}

std::vector<AssigneesResult> SetAssignees(Session &session, long long app, long long guest_space_id,
                                          const std::vector<long long> &input_ids,
                                          const std::vector<std::string> &input_assignees, long *requests) {
	std::vector<long long> ids = SortedUnique(input_ids);
	CheckIds(ids);
	std::vector<std::string> assignees;
	for (const auto &a : input_assignees) {
		if (a.empty()) {
			throw Error(ErrorKind::kInvalidRequest, "an assignee's login name is empty");
		}
		if (std::find(assignees.begin(), assignees.end(), a) == assignees.end()) {
			assignees.push_back(a);
		}
	}
	if (assignees.size() > kMaxAssignees) {
		throw Error(ErrorKind::kInvalidRequest,
		            "a record has at most " + std::to_string(kMaxAssignees) + " assignees, not " +
		                std::to_string(assignees.size()),
		            "Nothing was sent to Kintone.");
	}
	std::vector<std::string> payloads;
	for (long long id : ids) {
		std::string p = "{\"app\":" + std::to_string(app) + ",\"id\":" + std::to_string(id) + ",\"assignees\":[";
		for (size_t i = 0; i < assignees.size(); ++i) {
			if (i > 0) {
				p += ',';
			}
			AppendJsonString(p, assignees[i]);
		}
		p += "]}";
		payloads.push_back(std::move(p));
	}
	CallSender sender(session, guest_space_id, "PUT", "record/assignees.json");
	std::vector<Json> answers;
	try {
		answers = sender.Send(payloads);
	} catch (Error &e) {
		if (requests != nullptr) {
			*requests += sender.requests();
		}
		ThrowSendFailure(std::move(e), sender, ids, 1, "got the new assignees", "got the new assignees");
	}
	if (requests != nullptr) {
		*requests += sender.requests();
	}
	std::vector<AssigneesResult> results;
	for (size_t i = 0; i < ids.size(); ++i) {
		AssigneesResult r;
		r.id = ids[i];
		r.assignees = assignees;
		auto rev = answers[i].is_object() ? answers[i].find("revision") : answers[i].end();
		r.revision = answers[i].is_object() && rev != answers[i].end() ? IdOf(*rev) : -1;
		results.push_back(std::move(r));
	}
	return results;
}

} // namespace kintone
