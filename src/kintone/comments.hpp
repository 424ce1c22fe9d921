// Record comments (contract §4.9): reading every comment of a record in pages of 10, posting a
// comment with mentions, deleting one.
//
// Kintone pages comments by offset (at most 10 per request). The reader asks for them oldest
// first: a comment posted while it pages lands after the last page instead of shifting every
// offset, so no comment is read twice; a comment deleted meanwhile may make the next page skip
// one (Kintone offers no stable cursor for comments). Ids are checked to be unique and every
// page is validated before it becomes rows.
#pragma once

#include "kintone/session.hpp"

#include <string>
#include <vector>

namespace kintone {

struct CommentMention {
	std::string code;
	std::string type; // USER, GROUP, ORGANIZATION
};

struct Comment {
	long long id = 0;
	std::string text;
	std::string created_at; // as Kintone sends it (ISO 8601 UTC, with seconds)
	std::string creator_code;
	std::string creator_name;
	std::vector<CommentMention> mentions;
};

// Kintone's page size for comments (contract §5).
constexpr int kCommentsPerPage = 10;

// Every comment of the record, oldest first. requests (optional) counts the HTTP requests.
std::vector<Comment> ListComments(Session &session, long long app, long long record, long long guest_space_id,
                                  long *requests = nullptr);

// One page as Kintone answers it (for tests): order "asc"/"desc", offset, limit 1..10.
struct CommentPage {
	std::vector<Comment> comments;
	bool older = false;
	bool newer = false;
};
CommentPage ParseCommentPage(const Json &doc);

// Posts a comment; returns its id. mentions: at most 10 (Kintone's limit, checked here first).
long long AddComment(Session &session, long long app, long long record, long long guest_space_id,
                     const std::string &text, const std::vector<CommentMention> &mentions);

// The comment with this id (a comment just posted is on the first page, newest first): true
// and *out filled when found. requests (optional) counts the HTTP requests.
bool FindComment(Session &session, long long app, long long record, long long guest_space_id, long long id,
                 Comment *out, long *requests = nullptr);

// Deletes comment id of the record.
void DeleteComment(Session &session, long long app, long long record, long long guest_space_id, long long id);

// Mentions given as JSON: an array of {"code", "type"} objects (type defaults to USER) or of
// plain login names. Throws kInvalidRequest for any other shape.
std::vector<CommentMention> ParseMentions(const Json &value);

} // namespace kintone
