// INSERT and DELETE on a comments table (record/comment.json, contract §4.9). Other object
// tables are read-only, and comments cannot be edited in Kintone: UPDATE is refused by
// PostgreSQL (IsForeignRelUpdatable).
//
// Kintone takes one comment per request and has no bulk form for comments, so each row is one
// request, sent at once: a statement that fails on its 5th row has posted (or deleted) four
// comments, and its error says so. A comment whose request's answer was lost may or may not
// exist; it is not sent again.
//
// INSERT takes app (or the table option app), record_id, text and mentions (a JSON array of
// login names or of {"code", "type"} objects, or a text[] of login names); other columns are
// Kintone's to fill. RETURNING reads the new comment back (one more request) so that it shows
// what Kintone stored: the id, the time, the poster, and the text with the mentioned names in
// front. DELETE identifies a comment by app, record_id and id.
#include "pg/object_table.hpp"

#include "kintone/comments.hpp"
#include "kintone/error.hpp"
#include "kintone/process.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "optimizer/appendinfo.h"
#include "parser/parsetree.h"
#include "utils/array.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
}

#include <set>
#include <tuple>

namespace kintone_fdw {

namespace {

constexpr const char *kAppJunk = "kintone_comment_app";
constexpr const char *kRecordJunk = "kintone_comment_record";
constexpr const char *kIdJunk = "kintone_comment_id";

// C++ state of a statement, owned by its memory context.
struct CommentsCpp {
	ObjectTableDef def;
	kintone::Session *session = nullptr;
	long long rows = 0;    // rows sent so far
	long long written = 0; // comments Kintone confirmed posted or deleted
	long requests = 0;
	std::set<std::tuple<long long, long long, long long>> deleted;
	kintone::Comment returned; // the comment read back for RETURNING
	bool have_returned = false;
	std::string mentions_json;  // its mentions as [{"code", "type"}]
	std::string mentions_array; // its mentions as a text[] literal of codes
};

struct CommentsModifyState {
	CommentsModifyState *next; // the list of live states (IsObjectModifyState)
	MemoryContextCallback unlink;
	CmdType op;
	Relation rel;
	bool explain_only;
	bool returning;
	CommentsCpp *cpp;
	// attnums (0: no such column)
	int app_col, record_col, id_col, text_col, mentions_col, created_col, creator_code_col, creator_name_col;
	AttrNumber app_junk, record_junk, id_junk, wholerow_junk;
	FmgrInfo *out; // output function per column (attnum - 1)
};

CommentsModifyState *live_states = nullptr;

void Unlink(void *arg) {
	CommentsModifyState *st = static_cast<CommentsModifyState *>(arg);
	for (CommentsModifyState **p = &live_states; *p != nullptr; p = &(*p)->next) {
		if (*p == st) {
			*p = st->next;
			return;
		}
	}
}

int AttnumOf(const ObjectTableDef &def, const char *attr) {
	const ObjectColumn *c = def.Column(attr);
	return c != nullptr ? c->attnum : 0;
}

CommentsModifyState *InitCommentsModify(EState *estate, ResultRelInfo *rinfo, CmdType op, Plan *subplan, int eflags,
                                        bool returning) {
	Relation rel = rinfo->ri_RelationDesc;
	CommentsModifyState *st = static_cast<CommentsModifyState *>(palloc0(sizeof(CommentsModifyState)));
	st->op = op;
	st->rel = rel;
	st->explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	st->returning = returning;
	st->next = live_states;
	live_states = st;
	st->unlink.func = Unlink;
	st->unlink.arg = st;
	MemoryContextRegisterResetCallback(CurrentMemoryContext, &st->unlink);

	Index rti = rinfo->ri_RangeTableIndex;
	if (rti == 0 && rinfo->ri_RootResultRelInfo != nullptr) {
		rti = rinfo->ri_RootResultRelInfo->ri_RangeTableIndex;
	}
	Oid userid = GetUserId();
	if (rti != 0) {
		RangeTblEntry *rte = exec_rt_fetch(rti, estate);
		userid = OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
	}
	TupleDesc desc = RelationGetDescr(rel);
	st->out = static_cast<FmgrInfo *>(palloc0(sizeof(FmgrInfo) * (desc->natts + 1)));
	for (int i = 0; i < desc->natts; ++i) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (!att->attisdropped) {
			Oid out;
			bool varlena;
			getTypeOutputInfo(att->atttypid, &out, &varlena);
			fmgr_info(out, &st->out[i]);
		}
	}
	if (op == CMD_DELETE && subplan != nullptr) {
		st->app_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kAppJunk);
		st->record_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kRecordJunk);
		st->id_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, kIdJunk);
		st->wholerow_junk = ExecFindJunkAttributeInTlist(subplan->targetlist, "wholerow");
	}
	if (st->explain_only) {
		return st;
	}
	RawObjectTable *raw = ReadObjectTable(RelationGetRelid(rel), userid, true);
	st->cpp = NewOwnedObject<CommentsCpp>(CurrentMemoryContext);
	Guard([&]() {
		CommentsCpp &cpp = *st->cpp;
		cpp.def = MakeObjectTableDef(*raw, true);
		if (cpp.def.kind != kintone::ObjectKind::kComments) {
			throw kintone::Error(kintone::ErrorKind::kNotSupported,
			                     "a table of Kintone " + std::string(kintone::ObjectKindName(cpp.def.kind)) +
			                         " cannot be written");
		}
		cpp.session = &GetSession(cpp.def.conn);
		st->app_col = AttnumOf(cpp.def, "app");
		st->record_col = AttnumOf(cpp.def, "record_id");
		st->id_col = AttnumOf(cpp.def, "id");
		st->text_col = AttnumOf(cpp.def, "text");
		st->mentions_col = AttnumOf(cpp.def, "mentions");
		st->created_col = AttnumOf(cpp.def, "created_at");
		st->creator_code_col = AttnumOf(cpp.def, "creator_code");
		st->creator_name_col = AttnumOf(cpp.def, "creator_name");
	});
	return st;
}

char *ColumnText(CommentsModifyState *st, TupleTableSlot *slot, int attnum) {
	if (attnum <= 0) {
		return nullptr;
	}
	bool isnull;
	Datum d = slot_getattr(slot, attnum, &isnull);
	return isnull ? nullptr : OutputFunctionCall(&st->out[attnum - 1], d);
}

char *JunkText(CommentsModifyState *st, TupleTableSlot *planSlot, AttrNumber junk, int attnum) {
	if (!AttributeNumberIsValid(junk) || attnum <= 0) {
		return nullptr;
	}
	bool isnull;
	Datum d = ExecGetJunkAttribute(planSlot, junk, &isnull);
	return isnull ? nullptr : OutputFunctionCall(&st->out[attnum - 1], d);
}

// The mentions column's value as JSON text: jsonb/json as is, an array of login names as a
// JSON array of strings.
char *MentionsJson(CommentsModifyState *st, TupleTableSlot *slot) {
	if (st->mentions_col <= 0) {
		return nullptr;
	}
	bool isnull;
	Datum d = slot_getattr(slot, st->mentions_col, &isnull);
	if (isnull) {
		return nullptr;
	}
	Oid type = TupleDescAttr(RelationGetDescr(st->rel), st->mentions_col - 1)->atttypid;
	Oid elem = get_element_type(type);
	if (!OidIsValid(elem)) {
		return OutputFunctionCall(&st->out[st->mentions_col - 1], d);
	}
	ArrayType *array = DatumGetArrayTypeP(d);
	int16 len;
	bool byval;
	char align;
	get_typlenbyvalalign(elem, &len, &byval, &align);
	Datum *elems;
	bool *nulls;
	int n;
	deconstruct_array(array, elem, len, byval, align, &elems, &nulls, &n);
	Oid out;
	bool varlena;
	getTypeOutputInfo(elem, &out, &varlena);
	StringInfoData json;
	initStringInfo(&json);
	appendStringInfoChar(&json, '[');
	for (int i = 0; i < n; ++i) {
		if (i > 0) {
			appendStringInfoChar(&json, ',');
		}
		if (nulls[i]) {
			appendStringInfoString(&json, "null");
		} else {
			escape_json(&json, OidOutputFunctionCall(out, elems[i]));
		}
	}
	appendStringInfoChar(&json, ']');
	return json.data;
}

long long IdOf(const char *text, const char *what) {
	std::string s = text;
	if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos || std::stoll(s) <= 0) {
		throw kintone::Error(kintone::ErrorKind::kInvalidRequest,
		                     std::string(what) + " \"" + s + "\" is not a Kintone id");
	}
	return std::stoll(s);
}

// Adds to an error what this statement did before it (comments cannot be taken back).
void Tell(kintone::Error &e, const CommentsCpp &cpp, const char *done) {
	std::string detail = e.detail();
	if (kintone::MayHaveActed(e)) {
		detail += std::string(detail.empty() ? "" : "\n") + "The request for row " + std::to_string(cpp.rows) +
		          " may or may not have been processed by Kintone; it was not repeated.";
	}
	if (cpp.written > 0) {
		detail += std::string(detail.empty() ? "" : "\n") + std::to_string(cpp.written) + " comment" +
		          (cpp.written == 1 ? "" : "s") + " of this statement had already been " + done +
		          " and stay so (Kintone has no rollback).";
	}
	e.set_detail(detail);
}

void SetText(TupleTableSlot *slot, int attnum, const std::string &text) {
	if (attnum <= 0) {
		return;
	}
	Form_pg_attribute att = TupleDescAttr(slot->tts_tupleDescriptor, attnum - 1);
	Oid in, ioparam;
	getTypeInputInfo(att->atttypid, &in, &ioparam);
	slot->tts_values[attnum - 1] = OidInputFunctionCall(in, pstrdup(text.c_str()), ioparam, att->atttypmod);
	slot->tts_isnull[attnum - 1] = false;
}

} // namespace

bool IsObjectModifyState(const void *state) {
	for (const CommentsModifyState *st = live_states; st != nullptr; st = st->next) {
		if (st == state) {
			return true;
		}
	}
	return false;
}

void ObjectAddForeignUpdateTargets(PlannerInfo *root, Index rtindex, RangeTblEntry *target_rte,
                                   Relation target_relation) {
	(void)target_rte;
	TupleDesc desc = RelationGetDescr(target_relation);
	RawObjectTable *raw = ReadObjectTable(RelationGetRelid(target_relation), InvalidOid, false);
	int app = 0, record = 0, id = 0;
	bool app_option = false;
	bool comments = Guard([&]() {
		ObjectTableDef def = MakeObjectTableDef(*raw, false);
		app = AttnumOf(def, "app");
		record = AttnumOf(def, "record_id");
		id = AttnumOf(def, "id");
		app_option = def.app != 0;
		return def.kind == kintone::ObjectKind::kComments;
	});
	if (!comments) {
		return; // read-only: the executor refuses the statement (IsForeignRelUpdatable)
	}
	if (record == 0 || id == 0 || (app == 0 && !app_option)) {
		ereport(ERROR, (errcode(ERRCODE_FDW_COLUMN_NAME_NOT_FOUND),
		                errmsg("foreign table \"%s\" cannot identify the comments to delete",
		                       RelationGetRelationName(target_relation)),
		                errdetail("Kintone deletes a comment by app, record id and comment id."),
		                errhint("Give the table the columns record_id and id, and app (or the table option app).")));
	}
	auto add = [&](int attnum, const char *name) {
		Form_pg_attribute att = TupleDescAttr(desc, attnum - 1);
		add_row_identity_var(root, makeVar(rtindex, attnum, att->atttypid, att->atttypmod, att->attcollation, 0),
		                     rtindex, name);
	};
	if (app > 0) {
		add(app, kAppJunk);
	}
	add(record, kRecordJunk);
	add(id, kIdJunk);
	if (root->parse->returningList != NIL) {
		add_row_identity_var(root, makeVar(rtindex, InvalidAttrNumber, RECORDOID, -1, InvalidOid, 0), rtindex,
		                     "wholerow");
	}
}

List *ObjectPlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index) {
	(void)root;
	(void)resultRelation;
	(void)subplan_index;
	if (plan->onConflictAction != ONCONFLICT_NONE) {
		ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
		                errmsg("INSERT ... ON CONFLICT is not supported on Kintone foreign tables")));
	}
	// RETURNING is set up after BeginForeignModify: the plan tells it.
	return list_make1(makeInteger(plan->returningLists != NIL ? 1 : 0));
}

void ObjectBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                              int eflags) {
	(void)subplan_index;
	bool returning = fdw_private != NIL && intVal(linitial(fdw_private)) != 0;
	rinfo->ri_FdwState = InitCommentsModify(mtstate->ps.state, rinfo, mtstate->operation, outerPlanState(mtstate)->plan,
	                                        eflags, returning);
}

void ObjectBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo) {
	rinfo->ri_FdwState =
	    InitCommentsModify(mtstate->ps.state, rinfo, CMD_INSERT, nullptr, 0, rinfo->ri_returningList != NIL);
}

TupleTableSlot *ObjectExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                        TupleTableSlot *planSlot) {
	(void)estate;
	(void)planSlot;
	CommentsModifyState *st = static_cast<CommentsModifyState *>(rinfo->ri_FdwState);
	slot_getallattrs(slot);
	// Columns Kintone fills may not be given (no value would be silently dropped).
	TupleDesc desc = slot->tts_tupleDescriptor;
	for (int i = 0; i < desc->natts; ++i) {
		int attnum = i + 1;
		if (TupleDescAttr(desc, i)->attisdropped || slot->tts_isnull[i] || attnum == st->app_col ||
		    attnum == st->record_col || attnum == st->text_col || attnum == st->mentions_col) {
			continue;
		}
		ereport(ERROR,
		        (errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
		         errmsg("column \"%s\" of a comment is set by Kintone", NameStr(TupleDescAttr(desc, i)->attname)),
		         errhint("INSERT gives app, record_id, text and mentions only.")));
	}
	char *app = ColumnText(st, slot, st->app_col);
	char *record = ColumnText(st, slot, st->record_col);
	char *text = ColumnText(st, slot, st->text_col);
	char *mentions = MentionsJson(st, slot);
	CommentsCpp *cpp = st->cpp;
	bool want_back = st->returning;
	Guard([&]() {
		++cpp->rows;
		long long app_id = app != nullptr ? IdOf(app, "app") : cpp->def.app;
		if (app_id == 0) {
			throw kintone::Error(kintone::ErrorKind::kInvalidRequest, "a new comment needs its app",
			                     "Give the column app a value, or set the table option app.");
		}
		if (app != nullptr && cpp->def.app != 0 && app_id != cpp->def.app) {
			throw kintone::Error(kintone::ErrorKind::kInvalidRequest, "app " + std::to_string(app_id) +
			                                                              " is not the table's app " +
			                                                              std::to_string(cpp->def.app));
		}
		if (record == nullptr) {
			throw kintone::Error(kintone::ErrorKind::kInvalidRequest, "a new comment needs its record_id");
		}
		long long record_id = IdOf(record, "record_id");
		if (text == nullptr) {
			throw kintone::Error(kintone::ErrorKind::kInvalidRequest, "a new comment needs a text");
		}
		std::vector<kintone::CommentMention> list;
		if (mentions != nullptr) {
			kintone::Json parsed = kintone::Json::parse(mentions, nullptr, false);
			if (parsed.is_discarded()) {
				throw kintone::Error(kintone::ErrorKind::kInvalidRequest, "mentions is not valid JSON");
			}
			list = kintone::ParseMentions(parsed);
		}
		long long id;
		try {
			++cpp->requests;
			id = kintone::AddComment(*cpp->session, app_id, record_id, cpp->def.guest_space_id, text, list);
		} catch (kintone::Error &e) {
			Tell(e, *cpp, "posted");
			throw;
		}
		++cpp->written;
		cpp->returned = kintone::Comment();
		cpp->returned.id = id;
		cpp->have_returned = false;
		if (want_back) {
			cpp->have_returned = kintone::FindComment(*cpp->session, app_id, record_id, cpp->def.guest_space_id, id,
			                                          &cpp->returned, &cpp->requests);
			kintone::Json list = kintone::Json::array();
			cpp->mentions_array = "{";
			for (const auto &m : cpp->returned.mentions) {
				list.push_back({{"code", m.code}, {"type", m.type}});
				cpp->mentions_array += (cpp->mentions_array.size() > 1 ? "," : "") + kintone::Json(m.code).dump();
			}
			cpp->mentions_array += "}";
			cpp->mentions_json = list.dump();
		}
	});
	AfterKintoneCall();
	SetText(slot, st->id_col, std::to_string(cpp->returned.id));
	if (cpp->have_returned) {
		SetText(slot, st->text_col, cpp->returned.text);
		if (!cpp->returned.created_at.empty()) {
			SetText(slot, st->created_col, cpp->returned.created_at);
		}
		SetText(slot, st->creator_code_col, cpp->returned.creator_code);
		SetText(slot, st->creator_name_col, cpp->returned.creator_name);
		if (st->mentions_col > 0) {
			Oid type = TupleDescAttr(slot->tts_tupleDescriptor, st->mentions_col - 1)->atttypid;
			SetText(slot, st->mentions_col,
			        OidIsValid(get_element_type(type)) ? cpp->mentions_array : cpp->mentions_json);
		}
	}
	return slot;
}

TupleTableSlot *ObjectExecForeignDelete(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
                                        TupleTableSlot *planSlot) {
	(void)estate;
	CommentsModifyState *st = static_cast<CommentsModifyState *>(rinfo->ri_FdwState);
	char *app = JunkText(st, planSlot, st->app_junk, st->app_col);
	char *record = JunkText(st, planSlot, st->record_junk, st->record_col);
	char *id = JunkText(st, planSlot, st->id_junk, st->id_col);
	CommentsCpp *cpp = st->cpp;
	bool skip = Guard([&]() {
		long long app_id = app != nullptr ? IdOf(app, "app") : cpp->def.app;
		if (record == nullptr || id == nullptr || app_id == 0) {
			throw kintone::Error(kintone::ErrorKind::kProtocol, "a comment to delete was read without its keys");
		}
		long long record_id = IdOf(record, "record_id");
		long long comment_id = IdOf(id, "id");
		if (!cpp->deleted.insert({app_id, record_id, comment_id}).second) {
			return true; // matched twice by a join: deleted once
		}
		++cpp->rows;
		try {
			++cpp->requests;
			kintone::DeleteComment(*cpp->session, app_id, record_id, cpp->def.guest_space_id, comment_id);
		} catch (kintone::Error &e) {
			Tell(e, *cpp, "deleted");
			throw;
		}
		++cpp->written;
		return false;
	});
	AfterKintoneCall();
	if (skip) {
		return nullptr;
	}
	if (AttributeNumberIsValid(st->wholerow_junk)) {
		bool isnull;
		Datum d = ExecGetJunkAttribute(planSlot, st->wholerow_junk, &isnull);
		if (!isnull) {
			HeapTupleHeader td = DatumGetHeapTupleHeader(d);
			HeapTupleData tuple;
			tuple.t_len = HeapTupleHeaderGetDatumLength(td);
			ItemPointerSetInvalid(&tuple.t_self);
			tuple.t_tableOid = RelationGetRelid(st->rel);
			tuple.t_data = td;
			ExecForceStoreHeapTuple(heap_copytuple(&tuple), slot, false);
		}
	}
	return slot;
}

void ObjectEndForeignModify(EState *estate, ResultRelInfo *rinfo) {
	(void)estate;
	CommentsModifyState *st = static_cast<CommentsModifyState *>(rinfo->ri_FdwState);
	if (st == nullptr || st->cpp == nullptr || st->cpp->written == 0) {
		return; // the rest goes with the statement's memory context
	}
	EnsureChangeCallbacks();
	CommentsCpp *cpp = st->cpp;
	const char *done = st->op == CMD_DELETE ? "deleted" : "posted";
	Guard([&]() {
		NoteKintoneChange("comments " + std::string(done) + " through foreign table \"" + cpp->def.relname + "\"",
		                  cpp->written);
		cpp->written = 0;
	});
}

int ObjectIsForeignRelUpdatable(Relation rel) {
	const char *object = nullptr;
	ListCell *cell;
	foreach (cell, GetForeignTable(RelationGetRelid(rel))->options) {
		DefElem *def = static_cast<DefElem *>(lfirst(cell));
		if (strcmp(def->defname, "object") == 0) {
			object = defGetString(def);
		}
	}
	return object != nullptr && strcmp(object, "comments") == 0 ? (1 << CMD_INSERT) | (1 << CMD_DELETE) : 0;
}

void ObjectExplainForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private, int subplan_index,
                                ExplainState *es) {
	(void)mtstate;
	(void)fdw_private;
	(void)subplan_index;
	ExplainPropertyText("Kintone object", "comments", es);
	CommentsModifyState *st = static_cast<CommentsModifyState *>(rinfo->ri_FdwState);
	if (es->verbose) {
		ExplainPropertyText("Kintone requests", "one per row (Kintone has no bulk form for comments)", es);
	}
	if (es->analyze && st != nullptr && st->cpp != nullptr) {
		ExplainPropertyInteger("Kintone comment requests", nullptr, st->cpp->requests, es);
	}
}

} // namespace kintone_fdw
