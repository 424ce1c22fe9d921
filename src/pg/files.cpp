// Attachments from SQL (README, "Attachments"; docs/files.md):
//   kintone_file_content(server name, file_key text) -> bytea   the file of a download key
//   kintone_file_upload(server name, file_name text, content bytea,
//                       content_type text DEFAULT 'application/octet-stream') -> text
//                                                               an upload key for a FILE column
// Both sign in with the caller's user mapping for the server (own or PUBLIC; the caller needs
// USAGE on the server, as for a foreign table) and never show a credential. The download goes
// straight into the bytea's memory, allocated once Kintone has said the file's size; the
// upload sends the bytea's memory between a small multipart head and tail.
#include "pg/postgres.hpp"

#include "kintone/error.hpp"
#include "kintone/files.hpp"
#include "kintone/option_spec.hpp"
#include "pg/connection.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/acl.h"
#include "utils/memutils.h"
}

extern "C" {
PG_FUNCTION_INFO_V1(kintone_file_content);
PG_FUNCTION_INFO_V1(kintone_file_upload);
Datum kintone_file_content(PG_FUNCTION_ARGS);
Datum kintone_file_upload(PG_FUNCTION_ARGS);
}

namespace kintone_fdw {

namespace {

// The largest file a bytea holds (a varlena of at most MaxAllocSize bytes, header included).
constexpr long long kMaxByteaData = static_cast<long long>(MaxAllocSize) - VARHDRSZ;

// PostgreSQL phase: the server (a kintone_fdw one the caller may use) and the caller's mapping.
RawConnection ReadServer(Name server_name) {
	ForeignServer *server = GetForeignServerByName(NameStr(*server_name), false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "kintone_fdw") != 0) {
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
		                errmsg("server \"%s\" does not use the foreign-data wrapper kintone_fdw", server->servername)));
	}
	AclResult acl = pg_foreign_server_aclcheck(server->serverid, GetUserId(), ACL_USAGE);
	if (acl != ACLCHECK_OK) {
		aclcheck_error(acl, OBJECT_FOREIGN_SERVER, server->servername);
	}
	return ReadRawConnection(server->serverid, GetUserId()); // errors without a user mapping
}

// "max_file_size" of the server (default: Kintone's limit), read in the C++ phase.
long long MaxUpload(const ConnectionParams &conn) {
	const std::string *v = kintone::OptionValue(conn.server_options, "max_file_size");
	return v != nullptr ? kintone::ParseMaxFileSize(*v) : kintone::kMaxFileSize;
}

void RequireArg(FunctionCallInfo fcinfo, int n, const char *what) {
	if (PG_ARGISNULL(n)) {
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("%s must not be null", what)));
	}
}

} // namespace

} // namespace kintone_fdw

using namespace kintone_fdw;

// Downloads in three phases, so that the bytea is allocated by PostgreSQL (outside the guard)
// at the size Kintone announced and the file is received straight into it.
Datum kintone_file_content(PG_FUNCTION_ARGS) {
	RawConnection raw = ReadServer(PG_GETARG_NAME(0));
	char *key = text_to_cstring(PG_GETARG_TEXT_PP(1));
	kintone::Session *session = nullptr;
	long long length = Guard([&]() {
		ConnectionParams conn = MakeConnectionParams(raw);
		session = &GetSession(conn);
		long long n = kintone::StartFileDownload(*session, key);
		if (n > kMaxByteaData) {
			session->CancelDownload();
			throw kintone::Error(kintone::ErrorKind::kInvalidRequest,
			                     "the file is " + std::to_string(n) + " bytes, more than a bytea can hold (" +
			                         std::to_string(kMaxByteaData) + " bytes)",
			                     "file key " + std::string(key) + "; nothing was received",
			                     "Download it with another tool, for example Kintone's REST API client.");
		}
		return n;
	});
	if (length >= 0) {
		bytea *out = static_cast<bytea *>(palloc(VARHDRSZ + length));
		size_t got = Guard([&]() {
			size_t n = session->FinishDownload(VARDATA(out), static_cast<size_t>(length));
			if (n != static_cast<size_t>(length)) {
				throw kintone::Error(kintone::ErrorKind::kProtocol,
				                     "Kintone sent " + std::to_string(n) + " bytes of a file it announced as " +
				                         std::to_string(length) + " bytes",
				                     "file key " + std::string(key));
			}
			return n;
		});
		SET_VARSIZE(out, VARHDRSZ + got);
		PG_RETURN_BYTEA_P(out);
	}
	// No announced size: received into the session's buffer (bounded), then copied once.
	size_t got = Guard([&]() { return session->FinishDownload(nullptr, static_cast<size_t>(kMaxByteaData)); });
	bytea *out = static_cast<bytea *>(palloc(VARHDRSZ + got));
	memcpy(VARDATA(out), session->downloaded().data(), got);
	SET_VARSIZE(out, VARHDRSZ + got);
	PG_RETURN_BYTEA_P(out);
}

Datum kintone_file_upload(PG_FUNCTION_ARGS) {
	RequireArg(fcinfo, 0, "server name");
	RequireArg(fcinfo, 1, "file name");
	RequireArg(fcinfo, 2, "file content");
	RequireArg(fcinfo, 3, "content type");
	RawConnection raw = ReadServer(PG_GETARG_NAME(0));
	char *name = text_to_cstring(PG_GETARG_TEXT_PP(1));
	bytea *content = PG_GETARG_BYTEA_PP(2); // detoasted: the one copy PostgreSQL needs
	char *content_type = text_to_cstring(PG_GETARG_TEXT_PP(3));
	const char *data = VARDATA_ANY(content);
	size_t size = VARSIZE_ANY_EXHDR(content);
	char *key = Guard([&]() {
		ConnectionParams conn = MakeConnectionParams(raw);
		kintone::Session &session = GetSession(conn);
		return MallocCopy(
		    kintone::UploadFile(session, name, content_type, std::string_view(data, size), MaxUpload(conn)));
	});
	PG_RETURN_TEXT_P(cstring_to_text(TakeMalloced(key)));
}
