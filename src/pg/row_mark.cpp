// Row marks: what PostgreSQL asks of a foreign table that a query locks, or that is read next
// to a locked table or an UPDATE/DELETE target.
//
// Kintone has no row locks, so a lock request on one of our tables (FOR UPDATE, FOR NO KEY
// UPDATE, FOR SHARE, FOR KEY SHARE, directly or through a view) is refused at planning time
// instead of being silently ignored, which is what PostgreSQL's default (ROW_MARK_COPY for an
// FDW without this callback) would do. A foreign table that is only read beside a locked table
// (`FOR UPDATE OF local_table`, `UPDATE local ... FROM foreign`) is asked with LCS_NONE: it gets
// ROW_MARK_COPY, the whole row kept for a re-check, as postgres_fdw's non-locked tables do.
//
// Why not give FOR UPDATE a meaning such as "a later UPDATE fails if the record changed"? An
// UPDATE or DELETE already sends the $revision its own scan read, so Kintone refuses (SQLSTATE
// 40001) a record changed between that read and the write; extending the check back to an
// earlier SELECT would need the revisions read by one statement to be carried into later ones
// and kept in step with the transaction's own writes — and it would still lock nothing: other
// Kintone users could change the record at any time. README ("Row locks") says this.
#include "pg/row_mark.hpp"

extern "C" {
#include "utils/lsyscache.h"
}

namespace kintone_fdw {

namespace {

const char *StrengthName(LockClauseStrength strength) {
	switch (strength) {
	case LCS_FORKEYSHARE:
		return "FOR KEY SHARE";
	case LCS_FORSHARE:
		return "FOR SHARE";
	case LCS_FORNOKEYUPDATE:
		return "FOR NO KEY UPDATE";
	case LCS_FORUPDATE:
		return "FOR UPDATE";
	case LCS_NONE:
		break;
	}
	return "a row lock";
}

} // namespace

// No C++ object lives here: the ERROR is raised directly, as PostgreSQL's own planner does.
RowMarkType kintoneGetForeignRowMarkType(RangeTblEntry *rte, LockClauseStrength strength) {
	if (strength == LCS_NONE) {
		return ROW_MARK_COPY;
	}
	const char *name = get_rel_name(rte->relid);
	ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
	                errmsg("%s cannot be used with foreign table \"%s\"", StrengthName(strength),
	                       name != nullptr ? name : "?"),
	                errdetail("Kintone has no row locks: nothing would stop another user or client from changing "
	                          "the records."),
	                errhint("UPDATE and DELETE check each record's $revision and fail with SQLSTATE 40001 when "
	                        "it changed after they read it. To lock only the local tables of the query, name them: "
	                        "%s OF table_name.",
	                        StrengthName(strength))));
	return ROW_MARK_COPY; // not reached
}

} // namespace kintone_fdw
