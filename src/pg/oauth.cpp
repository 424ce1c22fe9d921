// The OAuth steps as SQL functions (kintone_fdw--0.1.sql):
//   kintone_oauth_authorization_url(server name, state text) -> the URL to open in a browser
//   kintone_oauth_exchange_code(server name, code text)      -> stores tokens, returns the scope
//   kintone_oauth_refresh(server name)                        -> refreshes now, returns the scope
//   kintone_oauth_forget(server name)                         -> deletes the stored tokens
// Each works on the caller's user mapping (own or PUBLIC) and never returns a secret. Tokens
// are stored in a file per (server, user) under the data directory (see kintone/oauth.hpp for
// why a file and not the catalogs).
#include "pg/postgres.hpp"

#include "kintone/error.hpp"
#include "kintone/oauth.hpp"
#include "kintone/settings.hpp"
#include "pg/connection.hpp"
#include "pg/guard.hpp"
#include "pg/option.hpp"

extern "C" {
#include "port.h"
}

#include <new>
#include <string>

extern "C" {
PG_FUNCTION_INFO_V1(kintone_oauth_authorization_url);
PG_FUNCTION_INFO_V1(kintone_oauth_exchange_code);
PG_FUNCTION_INFO_V1(kintone_oauth_refresh);
PG_FUNCTION_INFO_V1(kintone_oauth_forget);
Datum kintone_oauth_authorization_url(PG_FUNCTION_ARGS);
Datum kintone_oauth_exchange_code(PG_FUNCTION_ARGS);
Datum kintone_oauth_refresh(PG_FUNCTION_ARGS);
Datum kintone_oauth_forget(PG_FUNCTION_ARGS);
}

namespace kintone_fdw {

namespace {

// Phase 1 data: the server and the caller's user mapping, as palloc'd C values.
struct RawMapping {
	Oid server_oid;
	Oid user_oid;
	const char *server_name;
	List *server_options;
	List *user_options;
};

RawMapping ReadMapping(Name server_name) {
	ForeignServer *server = GetForeignServerByName(NameStr(*server_name), false);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	if (strcmp(fdw->fdwname, "kintone_fdw") != 0) {
		ereport(ERROR, (errcode(ERRCODE_FDW_ERROR),
		                errmsg("server \"%s\" does not use the foreign-data wrapper kintone_fdw", server->servername)));
	}
	Oid user = GetUserId();
	UserMapping *mapping = GetUserMapping(user, server->serverid); // errors without a mapping
	RawMapping raw;
	raw.server_oid = server->serverid;
	raw.user_oid = user;
	raw.server_name = pstrdup(server->servername);
	raw.server_options = server->options;
	raw.user_options = mapping->options;
	return raw;
}

bool InterruptRequested(void *) {
	return InterruptPending && (QueryCancelPending || ProcDiePending);
}

// Phase 2: the settings of an OAuth user mapping, or an error naming what is missing.
kintone::ConnectionSettings OAuthSettings(const RawMapping &raw) {
	std::string owner = CredentialOwner(raw.server_name);
	kintone::ConnectionSettings settings = kintone::MakeConnectionSettings(
	    OptionListFromDefElems(raw.server_options), OptionListFromDefElems(raw.user_options), owner);
	if (!settings.oauth) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue, owner + " does not use OAuth", "",
		                     "Set the options oauth_client_id, oauth_client_secret and oauth_redirect_uri in the user "
		                     "mapping.");
	}
	if (settings.oauth_client.redirect_uri.empty()) {
		throw kintone::Error(kintone::ErrorKind::kInvalidOptionValue, owner + " has no option \"oauth_redirect_uri\"",
		                     "", "Set it to the redirect URL registered for the OAuth client.");
	}
	settings.config.http.should_abort = InterruptRequested;
	return settings;
}

} // namespace

} // namespace kintone_fdw

using namespace kintone_fdw;

// The URL the user opens in a browser (anywhere) to authorise the client; Kintone then
// redirects to oauth_redirect_uri with ?code=…&state=…. Without a state, a random one is made.
Datum kintone_oauth_authorization_url(PG_FUNCTION_ARGS) {
	if (PG_ARGISNULL(0)) {
		ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("server name must not be null")));
	}
	RawMapping raw = ReadMapping(PG_GETARG_NAME(0));
	char *state;
	if (PG_ARGISNULL(1)) {
		uint8 bytes[16];
		if (!pg_strong_random(bytes, sizeof(bytes))) {
			ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate a random state")));
		}
		state = static_cast<char *>(palloc(sizeof(bytes) * 2 + 1));
		for (size_t i = 0; i < sizeof(bytes); ++i) {
			snprintf(state + 2 * i, 3, "%02x", bytes[i]);
		}
	} else {
		state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	}
	char *url = Guard([&]() {
		kintone::ConnectionSettings settings = OAuthSettings(raw);
		std::string out = kintone::AuthorizationUrl(settings.config.base, settings.oauth_client, state);
		char *copy = static_cast<char *>(malloc(out.size() + 1));
		if (copy == nullptr) {
			throw std::bad_alloc();
		}
		memcpy(copy, out.c_str(), out.size() + 1);
		return copy;
	});
	text *result = cstring_to_text(url);
	free(url);
	PG_RETURN_TEXT_P(result);
}

namespace {

// Runs a token request and stores the tokens; returns the granted scope (malloc'd).
template <typename Fn>
char *StoreTokens(const RawMapping &raw, Fn &&request) {
	return Guard([&]() {
		kintone::ConnectionSettings settings = OAuthSettings(raw);
		kintone::HttpClient http(settings.config.http);
		kintone::TokenFile file(OAuthTokenPath(raw.server_oid, raw.user_oid));
		kintone::TokenFile::Lock lock(file);
		kintone::OAuthTokens tokens = request(settings, http, file);
		file.Save(tokens);
		ForgetSession(raw.server_oid, raw.user_oid); // the cached session has the old tokens
		std::string scope = tokens.scope;
		char *copy = static_cast<char *>(malloc(scope.size() + 1));
		if (copy == nullptr) {
			throw std::bad_alloc();
		}
		memcpy(copy, scope.c_str(), scope.size() + 1);
		return copy;
	});
}

Datum ScopeResult(char *scope) {
	text *result = cstring_to_text(scope);
	free(scope);
	PG_RETURN_TEXT_P(result);
}

} // namespace

// The headless flow's second step: the code from the redirect becomes tokens, stored for the
// caller's user mapping. Returns the scope Kintone granted.
Datum kintone_oauth_exchange_code(PG_FUNCTION_ARGS) {
	RawMapping raw = ReadMapping(PG_GETARG_NAME(0));
	char *code = text_to_cstring(PG_GETARG_TEXT_PP(1));
	return ScopeResult(
	    StoreTokens(raw, [&](kintone::ConnectionSettings &settings, kintone::HttpClient &http, kintone::TokenFile &) {
		    return kintone::ExchangeCode(http, settings.config.base, settings.oauth_client, code,
		                                 CredentialOwner(raw.server_name));
	    }));
}

// Refreshes the access token now (scans do it by themselves when it expires or Kintone
// answers 401). Returns the scope.
Datum kintone_oauth_refresh(PG_FUNCTION_ARGS) {
	RawMapping raw = ReadMapping(PG_GETARG_NAME(0));
	return ScopeResult(StoreTokens(raw, [&](kintone::ConnectionSettings &settings, kintone::HttpClient &http,
	                                        kintone::TokenFile &file) {
		kintone::OAuthTokens old;
		std::string owner = CredentialOwner(raw.server_name);
		if (!file.Load(&old) || old.client_id != settings.oauth_client.client_id || old.refresh_token.empty()) {
			throw kintone::Error(kintone::ErrorKind::kAuthentication, owner + " has no OAuth refresh token", "",
			                     "Authorise first: kintone_oauth_authorization_url, then kintone_oauth_exchange_code.");
		}
		return kintone::RefreshTokens(http, settings.config.base, settings.oauth_client, old.refresh_token, owner);
	}));
}

// Deletes the caller's stored tokens for the server; true when there were any.
Datum kintone_oauth_forget(PG_FUNCTION_ARGS) {
	RawMapping raw = ReadMapping(PG_GETARG_NAME(0));
	bool removed = Guard([&]() {
		kintone::TokenFile file(OAuthTokenPath(raw.server_oid, raw.user_oid));
		kintone::TokenFile::Lock lock(file);
		ForgetSession(raw.server_oid, raw.user_oid);
		return file.Remove();
	});
	PG_RETURN_BOOL(removed);
}
