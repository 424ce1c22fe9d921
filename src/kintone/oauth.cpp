// OAuth authorization URL, token requests and token files (see oauth.hpp).
#include "kintone/oauth.hpp"

#include "kintone/error.hpp"

#include <nlohmann/json.hpp>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace kintone {

namespace {

std::string Form(std::initializer_list<std::pair<const char *, std::string>> fields) {
	std::string out;
	for (const auto &[key, value] : fields) {
		if (value.empty()) {
			continue;
		}
		out += (out.empty() ? "" : "&") + std::string(key) + "=" + UrlEncode(value);
	}
	return out;
}

// Sends one token request; `what` names the credential that was presented, for errors.
OAuthTokens TokenRequest(HttpClient &http, const BaseUrl &base, const OAuthClient &client, const std::string &form,
                         const std::string &owner, bool refresh) {
	HttpRequest request;
	request.method = "POST";
	request.url = base.ToString() + "/oauth2/token";
	request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
	request.body = form;
	std::vector<std::string> secrets = {client.client_secret};
	HttpResponse *response = nullptr;
	try {
		response = &http.Perform(request);
	} catch (Error &e) {
		e.Redact(secrets);
		throw;
	}
	nlohmann::json doc = nlohmann::json::parse(response->body, nullptr, false);
	if (response->status < 200 || response->status >= 300) {
		std::string code = doc.is_object() && doc.contains("error") && doc["error"].is_string()
		                       ? doc["error"].get<std::string>()
		                       : std::string();
		std::string description =
		    doc.is_object() && doc.contains("error_description") && doc["error_description"].is_string()
		        ? doc["error_description"].get<std::string>()
		        : std::string();
		std::string detail = "HTTP " + std::to_string(response->status);
		if (!code.empty()) {
			detail += ", OAuth error " + code;
		}
		if (!description.empty()) {
			detail += ": " + description;
		}
		std::string message;
		std::string hint;
		if (code == "invalid_client" || response->status == 401) {
			message = "Kintone refused the OAuth client (oauth_client_id, oauth_client_secret) of " + owner;
			hint = "Check the client id and secret registered by the cybozu.com administrator.";
		} else if (code == "invalid_grant" && refresh) {
			message = "Kintone refused the OAuth refresh token of " + owner;
			hint = "The refresh token was revoked or has expired: authorise again with "
			       "kintone_oauth_authorization_url and kintone_oauth_exchange_code.";
		} else if (code == "invalid_grant") {
			message = "Kintone refused the OAuth authorization code for " + owner;
			hint = "A code is valid once and for a short time, for the same redirect URI: open the authorization "
			       "URL again and exchange the new code at once.";
		} else if (code == "invalid_scope") {
			message = "Kintone refused the OAuth scope (oauth_scope) of " + owner;
		} else {
			message = "the OAuth token request for " + owner + " failed";
		}
		Error error(ErrorKind::kAuthentication, message, detail, hint);
		error.Redact(secrets);
		throw error;
	}
	if (!doc.is_object() || !doc.contains("access_token") || !doc["access_token"].is_string()) {
		throw Error(ErrorKind::kProtocol, "Kintone's OAuth token response has no access_token");
	}
	OAuthTokens tokens;
	tokens.client_id = client.client_id;
	tokens.access_token = doc["access_token"].get<std::string>();
	if (doc.contains("refresh_token") && doc["refresh_token"].is_string()) {
		tokens.refresh_token = doc["refresh_token"].get<std::string>();
	}
	if (doc.contains("scope") && doc["scope"].is_string()) {
		tokens.scope = doc["scope"].get<std::string>();
	}
	if (doc.contains("expires_in") && doc["expires_in"].is_number()) {
		tokens.expires_at = NowSeconds() + doc["expires_in"].get<long long>();
	}
	return tokens;
}

void WriteAll(int fd, const std::string &data, const std::string &path) {
	size_t done = 0;
	while (done < data.size()) {
		ssize_t n = write(fd, data.data() + done, data.size() - done);
		if (n < 0 && errno == EINTR) {
			continue;
		}
		if (n <= 0) {
			throw Error(ErrorKind::kInternal,
			            "could not write the OAuth token file \"" + path + "\": " + std::strerror(errno));
		}
		done += static_cast<size_t>(n);
	}
}

void MakeDirs(const std::string &dir) {
	for (size_t i = 1; i <= dir.size(); ++i) {
		if (i == dir.size() || dir[i] == '/') {
			std::string part = dir.substr(0, i);
			if (mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
				throw Error(ErrorKind::kInternal,
				            "could not create the directory \"" + part + "\": " + std::strerror(errno));
			}
		}
	}
}

} // namespace

long long NowSeconds() {
	return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
	    .count();
}

std::string AuthorizationUrl(const BaseUrl &base, const OAuthClient &client, const std::string &state) {
	return base.ToString() + "/oauth2/authorization?" +
	       Form({{"client_id", client.client_id},
	             {"redirect_uri", client.redirect_uri},
	             {"state", state},
	             {"response_type", "code"},
	             {"scope", client.scope}});
}

OAuthTokens ExchangeCode(HttpClient &http, const BaseUrl &base, const OAuthClient &client, const std::string &code,
                         const std::string &owner) {
	std::string form = Form({{"grant_type", "authorization_code"},
	                         {"code", code},
	                         {"redirect_uri", client.redirect_uri},
	                         {"client_id", client.client_id},
	                         {"client_secret", client.client_secret}});
	return TokenRequest(http, base, client, form, owner, false);
}

OAuthTokens RefreshTokens(HttpClient &http, const BaseUrl &base, const OAuthClient &client,
                          const std::string &refresh_token, const std::string &owner) {
	std::string form = Form({{"grant_type", "refresh_token"},
	                         {"refresh_token", refresh_token},
	                         {"client_id", client.client_id},
	                         {"client_secret", client.client_secret}});
	OAuthTokens tokens = TokenRequest(http, base, client, form, owner, true);
	if (tokens.refresh_token.empty()) {
		tokens.refresh_token = refresh_token; // not rotated: keep using the old one
	}
	return tokens;
}

bool TokenFile::Load(OAuthTokens *out) const {
	int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		return false;
	}
	std::string text;
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR)) {
		if (n > 0) {
			text.append(buf, static_cast<size_t>(n));
		}
	}
	close(fd);
	nlohmann::json doc = nlohmann::json::parse(text, nullptr, false);
	if (!doc.is_object()) {
		return false;
	}
	auto str = [&doc](const char *key) {
		return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>() : std::string();
	};
	out->client_id = str("client_id");
	out->access_token = str("access_token");
	out->refresh_token = str("refresh_token");
	out->scope = str("scope");
	out->expires_at =
	    doc.contains("expires_at") && doc["expires_at"].is_number() ? doc["expires_at"].get<long long>() : 0;
	return !out->access_token.empty() || !out->refresh_token.empty();
}

void TokenFile::Save(const OAuthTokens &tokens) const {
	size_t slash = path_.rfind('/');
	if (slash != std::string::npos && slash > 0) {
		MakeDirs(path_.substr(0, slash));
	}
	nlohmann::json doc = {{"client_id", tokens.client_id},
	                      {"access_token", tokens.access_token},
	                      {"refresh_token", tokens.refresh_token},
	                      {"scope", tokens.scope},
	                      {"expires_at", tokens.expires_at}};
	std::string tmp = path_ + ".tmp." + std::to_string(getpid());
	int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0) {
		throw Error(ErrorKind::kInternal,
		            "could not create the OAuth token file \"" + tmp + "\": " + std::strerror(errno));
	}
	try {
		fchmod(fd, 0600);
		WriteAll(fd, doc.dump() + "\n", tmp);
		if (fsync(fd) != 0) {
			throw Error(ErrorKind::kInternal, "could not fsync \"" + tmp + "\": " + std::strerror(errno));
		}
	} catch (...) {
		close(fd);
		unlink(tmp.c_str());
		throw;
	}
	close(fd);
	if (rename(tmp.c_str(), path_.c_str()) != 0) {
		int err = errno;
		unlink(tmp.c_str());
		throw Error(ErrorKind::kInternal, "could not rename \"" + tmp + "\": " + std::strerror(err));
	}
	if (slash != std::string::npos) {
		int dir = open(path_.substr(0, slash > 0 ? slash : 1).c_str(), O_RDONLY | O_CLOEXEC);
		if (dir >= 0) {
			(void)fsync(dir);
			close(dir);
		}
	}
}

bool TokenFile::Remove() const {
	return unlink(path_.c_str()) == 0;
}

TokenFile::Lock::Lock(const TokenFile &file) {
	size_t slash = file.path_.rfind('/');
	if (slash != std::string::npos && slash > 0) {
		MakeDirs(file.path_.substr(0, slash));
	}
	std::string path = file.path_ + ".lock";
	fd_ = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd_ < 0) {
		throw Error(ErrorKind::kInternal,
		            "could not open the OAuth lock file \"" + path + "\": " + std::strerror(errno));
	}
	while (flock(fd_, LOCK_EX) != 0) {
		if (errno != EINTR) {
			int err = errno;
			close(fd_);
			throw Error(ErrorKind::kInternal, "could not lock \"" + path + "\": " + std::strerror(err));
		}
	}
}

TokenFile::Lock::~Lock() {
	if (fd_ >= 0) {
		close(fd_); // releases the flock
	}
}

FileTokenSource::FileTokenSource(BaseUrl base, OAuthClient client, TokenFile file, HttpOptions http, std::string owner,
                                 std::string server_name)
    : base_(std::move(base)), client_(std::move(client)), file_(std::move(file)), http_options_(std::move(http)),
      owner_(std::move(owner)), server_name_(std::move(server_name)) {}

HttpClient &FileTokenSource::Http() {
	if (!http_) {
		http_ = std::make_unique<HttpClient>(http_options_);
	}
	return *http_;
}

void FileTokenSource::LoadOrThrow() {
	OAuthTokens tokens;
	if (!file_.Load(&tokens) || tokens.client_id != client_.client_id) {
		// Tokens of another client id are not ours to use.
		throw Error(ErrorKind::kAuthentication, owner_ + " has no OAuth tokens yet", "",
		            "Authorise once: open the URL of SELECT kintone_oauth_authorization_url('" + server_name_ +
		                "') in a browser, then run SELECT kintone_oauth_exchange_code('" + server_name_ +
		                "', 'CODE') with the code it returns.");
	}
	tokens_ = std::move(tokens);
	loaded_ = true;
}

std::string FileTokenSource::AccessToken() {
	if (!loaded_) {
		LoadOrThrow();
	}
	if (tokens_.access_token.empty() || (tokens_.expires_at != 0 && NowSeconds() >= tokens_.expires_at - 60)) {
		return Refresh(tokens_.access_token);
	}
	return tokens_.access_token;
}

std::string FileTokenSource::Refresh(const std::string &rejected) {
	TokenFile::Lock lock(file_);
	LoadOrThrow(); // another backend may have refreshed (and rotated the refresh token)
	if (tokens_.access_token != rejected && !tokens_.access_token.empty() &&
	    (tokens_.expires_at == 0 || NowSeconds() < tokens_.expires_at - 60)) {
		return tokens_.access_token;
	}
	if (tokens_.refresh_token.empty()) {
		throw Error(ErrorKind::kAuthentication,
		            "the OAuth access token of " + owner_ + " expired and there is no refresh token", "",
		            "Authorise again with kintone_oauth_authorization_url('" + server_name_ + "').");
	}
	OAuthTokens fresh = RefreshTokens(Http(), base_, client_, tokens_.refresh_token, owner_);
	file_.Save(fresh);
	tokens_ = std::move(fresh);
	return tokens_.access_token;
}

} // namespace kintone
