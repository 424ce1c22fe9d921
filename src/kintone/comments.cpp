// Record comments (see comments.hpp).
#include "kintone/comments.hpp"

#include "kintone/error.hpp"

#include <set>

namespace kintone {

namespace {

constexpr size_t kMaxMentions = 10;
constexpr size_t kMaxTextChars = 65535;
// A record with more comments than this is beyond anything Kintone is known to hold; the
// reader stops rather than page forever through an answer that keeps saying "newer".
constexpr long long kMaxPages = 1000000;

long long PositiveId(const Json &value) {
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
	return n > 0 ? n : -1;
}

Error Bad(const std::string &what) {
	return Error(ErrorKind::kProtocol, "Kintone returned " + what, "GET record/comments.json");
}

std::string StringOf(const Json &obj, const char *key) {
	auto it = obj.find(key);
	return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

size_t Utf8Chars(const std::string &s) {
	size_t n = 0;
	for (unsigned char c : s) {
		n += (c & 0xC0) != 0x80;
	}
	return n;
}

} // namespace

CommentPage ParseCommentPage(const Json &doc) {
	if (!doc.is_object()) {
		throw Bad("a comments page that is not a JSON object");
	}
	auto list = doc.find("comments");
	if (list == doc.end() || !list->is_array()) {
		throw Bad("a comments page without a \"comments\" array");
	}
	if (list->size() > static_cast<size_t>(kCommentsPerPage)) {
		throw Bad("more than " + std::to_string(kCommentsPerPage) + " comments in one page");
	}
	CommentPage page;
	for (const auto &item : *list) {
		if (!item.is_object()) {
			throw Bad("a comment that is not a JSON object");
		}
		Comment c;
		auto id = item.find("id");
		c.id = id != item.end() ? PositiveId(*id) : -1;
		if (c.id < 0) {
			throw Bad("a comment without a valid id");
		}
		auto text = item.find("text");
		if (text == item.end() || !text->is_string()) {
			throw Bad("comment " + std::to_string(c.id) + " without a text");
		}
		c.text = text->get<std::string>();
		c.created_at = StringOf(item, "createdAt");
		auto creator = item.find("creator");
		if (creator != item.end() && creator->is_object()) {
			c.creator_code = StringOf(*creator, "code");
			c.creator_name = StringOf(*creator, "name");
		}
		auto mentions = item.find("mentions");
		if (mentions != item.end() && mentions->is_array()) {
			for (const auto &m : *mentions) {
				if (m.is_object()) {
					c.mentions.push_back({StringOf(m, "code"), StringOf(m, "type")});
				}
			}
		}
		page.comments.push_back(std::move(c));
	}
	auto flag = [&doc](const char *key) {
		auto it = doc.find(key);
		return it != doc.end() && it->is_boolean() && it->get<bool>();
	};
	page.older = flag("older");
	page.newer = flag("newer");
	return page;
}

std::vector<Comment> ListComments(Session &session, long long app, long long record, long long guest_space_id,
                                  long *requests) {
	std::vector<Comment> out;
	std::set<long long> seen;
	long long offset = 0;
	for (long long pages = 0; pages < kMaxPages; ++pages) {
		if (requests != nullptr) {
			++*requests;
		}
		Json doc = session.Get(
		    "record/comments.json",
		    {{"app", app}, {"record", record}, {"order", "asc"}, {"offset", offset}, {"limit", kCommentsPerPage}},
		    guest_space_id);
		CommentPage page = ParseCommentPage(doc);
		for (auto &c : page.comments) {
			// Oldest first: ids grow. A comment seen before (an offset shifted by a deletion
			// racing the read the other way) is not listed twice.
			if (seen.insert(c.id).second) {
				out.push_back(std::move(c));
			}
		}
		if (!page.newer) {
			return out;
		}
		if (page.comments.empty()) {
			throw Bad("an empty comments page that says newer comments follow");
		}
		offset += static_cast<long long>(page.comments.size());
	}
	throw Bad("more comments than kintone_fdw reads for one record");
}

bool FindComment(Session &session, long long app, long long record, long long guest_space_id, long long id,
                 Comment *out, long *requests) {
	long long offset = 0;
	for (long long pages = 0; pages < kMaxPages; ++pages) {
		if (requests != nullptr) {
			++*requests;
		}
		Json doc = session.Get(
		    "record/comments.json",
		    {{"app", app}, {"record", record}, {"order", "desc"}, {"offset", offset}, {"limit", kCommentsPerPage}},
		    guest_space_id);
		CommentPage page = ParseCommentPage(doc);
		for (auto &c : page.comments) {
			if (c.id == id) {
				*out = std::move(c);
				return true;
			}
			if (c.id < id) {
				return false; // newest first: it is not further down
			}
		}
		if (!page.older || page.comments.empty()) {
			return false;
		}
		offset += static_cast<long long>(page.comments.size());
	}
	return false;
}

std::vector<CommentMention> ParseMentions(const Json &value) {
	std::vector<CommentMention> out;
	if (value.is_null()) {
		return out;
	}
	auto bad = []() {
		return Error(ErrorKind::kInvalidRequest,
		             "mentions must be a JSON array of login names or of {\"code\", \"type\"}", "",
		             R"(For example '["sato", {"code": "managers", "type": "GROUP"}]'.)");
	};
	if (!value.is_array()) {
		throw bad();
	}
	for (const auto &m : value) {
		CommentMention mention;
		if (m.is_string()) {
			mention.code = m.get<std::string>();
			mention.type = "USER";
		} else if (m.is_object()) {
			mention.code = StringOf(m, "code");
			mention.type = StringOf(m, "type");
			if (mention.type.empty()) {
				mention.type = "USER";
			}
			for (auto it = m.begin(); it != m.end(); ++it) {
				if (it.key() != "code" && it.key() != "type") {
					throw bad();
				}
			}
		} else {
			throw bad();
		}
		if (mention.code.empty()) {
			throw bad();
		}
		if (mention.type != "USER" && mention.type != "GROUP" && mention.type != "ORGANIZATION") {
			throw Error(ErrorKind::kInvalidRequest, "mention type \"" + mention.type + "\" is not valid", "",
			            "Use USER, GROUP or ORGANIZATION.");
		}
		out.push_back(std::move(mention));
	}
	return out;
}

long long AddComment(Session &session, long long app, long long record, long long guest_space_id,
                     const std::string &text, const std::vector<CommentMention> &mentions) {
	if (text.empty()) {
		throw Error(ErrorKind::kInvalidRequest, "a comment's text cannot be empty");
	}
	if (Utf8Chars(text) > kMaxTextChars) {
		throw Error(ErrorKind::kInvalidRequest, "a comment's text has at most " + std::to_string(kMaxTextChars) +
		                                            " characters, not " + std::to_string(Utf8Chars(text)));
	}
	if (mentions.size() > kMaxMentions) {
		throw Error(ErrorKind::kInvalidRequest, "a comment has at most " + std::to_string(kMaxMentions) +
		                                            " mentions, not " + std::to_string(mentions.size()));
	}
	Json comment = {{"text", text}};
	if (!mentions.empty()) {
		Json list = Json::array();
		for (const auto &m : mentions) {
			list.push_back({{"code", m.code}, {"type", m.type}});
		}
		comment["mentions"] = list;
	}
	Json answer = session.Send("POST", "record/comment.json", {{"app", app}, {"record", record}, {"comment", comment}},
	                           guest_space_id);
	auto id = answer.is_object() ? answer.find("id") : answer.end();
	long long value = answer.is_object() && id != answer.end() ? PositiveId(*id) : -1;
	if (value < 0) {
		throw Error(ErrorKind::kProtocol, "Kintone answered a new comment without its id",
		            "The comment on record " + std::to_string(record) + " was posted.");
	}
	return value;
}

void DeleteComment(Session &session, long long app, long long record, long long guest_space_id, long long id) {
	session.Send("DELETE", "record/comment.json", {{"app", app}, {"record", record}, {"comment", id}}, guest_space_id);
}

} // namespace kintone
