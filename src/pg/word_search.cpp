// kintone_like(field, words): Kintone's word search ("like"), used explicitly.
//
// SQL LIKE stays local, because Kintone's "like" is a word (full-text index) search, not a
// pattern match. A user who wants Kintone's search writes kintone_like(column, 'words') in
// WHERE; the deparser (deparse.cpp, LikeLeaf) sends it as `code like "words"` (under NOT:
// `not like`) for the field types whose "like" Kintone accepts. There is no local
// implementation that could return the same rows, so evaluating the function anywhere else —
// a local table, another field type, an expression PostgreSQL has to evaluate itself — is an
// error, never an approximate answer.
#include "pg/postgres.hpp"

extern "C" {
PG_FUNCTION_INFO_V1(kintone_fdw_like);
Datum kintone_fdw_like(PG_FUNCTION_ARGS);
}

// Plain PostgreSQL code (no C++ object, no exception): no Guard needed.
Datum kintone_fdw_like(PG_FUNCTION_ARGS) {
	ereport(ERROR,
	        (errcode(ERRCODE_FEATURE_NOT_SUPPORTED), errmsg("kintone_like() can only be evaluated by Kintone"),
	         errdetail("kintone_like() is Kintone's word search; it has no local implementation."),
	         errhint("Use it in WHERE on a column of a Kintone foreign table whose field is SINGLE_LINE_TEXT, LINK, "
	                 "MULTI_LINE_TEXT, RICH_TEXT or FILE, with words that are a constant or a parameter, combined "
	                 "with other conditions by AND (or by OR only with conditions Kintone evaluates exactly).")));
	PG_RETURN_NULL();
}
