// OAuth 2.0 for Kintone (contract §3.4): the authorization URL, the token endpoint
// (authorization_code and refresh_token grants), and a token file per user mapping.
//
// Tokens live in a file, not in the catalogs, because a refresh must survive the transaction
// that triggered it: when Kintone rotates the refresh token and the query later aborts, a
// token written to a user mapping would be rolled back and the user would have to authorise
// again. A file written atomically (temporary file + rename, mode 0600, under the data
// directory, readable only by the server's OS user) is outside transactions and works in
// read-only transactions and on hot standbys too. A lock file serialises refreshes between
// backends, and a backend re-reads the file before refreshing, so a token another backend
// refreshed is adopted instead of being refreshed twice.
#pragma once

#include "kintone/http_client.hpp"
#include "kintone/option_spec.hpp"
#include "kintone/session.hpp"

#include <memory>
#include <string>

namespace kintone {

struct OAuthClient {
	std::string client_id;
	std::string client_secret; // secret
	std::string redirect_uri;
	std::string scope = "k:app_record:read k:app_settings:read";
};

struct OAuthTokens {
	std::string client_id;     // the client the tokens were issued to
	std::string access_token;  // secret
	std::string refresh_token; // secret
	std::string scope;
	long long expires_at = 0; // Unix seconds; 0 = unknown
};

// GET /oauth2/authorization?client_id&redirect_uri&state&response_type=code&scope
std::string AuthorizationUrl(const BaseUrl &base, const OAuthClient &client, const std::string &state);

// POST /oauth2/token. `owner` names the user mapping in errors; no secret appears in them.
OAuthTokens ExchangeCode(HttpClient &http, const BaseUrl &base, const OAuthClient &client, const std::string &code,
                         const std::string &owner);
OAuthTokens RefreshTokens(HttpClient &http, const BaseUrl &base, const OAuthClient &client,
                          const std::string &refresh_token, const std::string &owner);

// One user mapping's token file.
class TokenFile {
public:
	explicit TokenFile(std::string path) : path_(std::move(path)) {}
	// false when there is no file (or it is unreadable as tokens).
	bool Load(OAuthTokens *out) const;
	// Atomic replace (temporary file, fsync, rename), mode 0600; creates the directory (0700).
	void Save(const OAuthTokens &tokens) const;
	bool Remove() const;
	const std::string &path() const { return path_; }

	// An exclusive lock (flock on PATH.lock) held while reading, refreshing and writing.
	class Lock {
	public:
		explicit Lock(const TokenFile &file);
		~Lock();
		Lock(const Lock &) = delete;
		Lock &operator=(const Lock &) = delete;

	private:
		int fd_ = -1;
	};

private:
	std::string path_;
};

// The TokenSource of an OAuth session: tokens from the file, refreshed when expired (by the
// local clock, with a minute of margin) or when Kintone answers 401, and written back.
class FileTokenSource : public TokenSource {
public:
	FileTokenSource(BaseUrl base, OAuthClient client, TokenFile file, HttpOptions http, std::string owner,
	                std::string server_name);
	std::string AccessToken() override;
	std::string Refresh(const std::string &rejected) override;

private:
	void LoadOrThrow();
	HttpClient &Http();

	BaseUrl base_;
	OAuthClient client_;
	TokenFile file_;
	HttpOptions http_options_;
	std::unique_ptr<HttpClient> http_;
	std::string owner_;
	std::string server_name_;
	OAuthTokens tokens_;
	bool loaded_ = false;
};

// Unix seconds now (system clock).
long long NowSeconds();

} // namespace kintone
