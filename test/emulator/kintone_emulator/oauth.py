"""OAuth 2.0 of the emulator (contract 3.4): clients, authorization codes, access and refresh tokens.

Clients come from the seed (`oauth_clients`, kept in the State). Codes and tokens issued at run
time live in an OAuthStore on the Emulator object, so they survive POST /_emulator/reset and
/_emulator/seed (resetting Kintone's data does not sign users out); seed `oauth_tokens` stay
in the State and never expire. Every expiry is measured on the emulator clock (State.now()).

Endpoints (outside /k/: no domain Basic layer, latency or stats; fault rules apply):
  GET  /oauth2/authorization  302 to redirect_uri?code=..&state=.. for an authenticated user
  POST /oauth2/token          grant_type=authorization_code | refresh_token
Errors are standard OAuth JSON ({"error", "error_description"}) with 400/401.
"""

import base64
import binascii
import datetime
import hmac
import secrets
import threading
from urllib.parse import parse_qsl, urlencode

from .auth import SCOPE_NAMES

CODE_LIFETIME = 600  # seconds an authorization code stays usable
ACCESS_LIFETIME = 3600  # expires_in of access tokens (contract 3.4)
LOGIN_PAGE = (b"<!DOCTYPE html><html><head><title>cybozu.com</title></head><body>"
              b"<h1>Log in to authorise the application</h1>"
              b"<p>kintone emulator: send X-Cybozu-Authorization (or HTTP Basic of a user) with this "
              b"request, or use POST /_emulator/oauth/code.</p></body></html>")


class OAuthError(Exception):
    """A standard OAuth error answer."""

    def __init__(self, error, description, status=400, headers=()):
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status
        self.headers = list(headers)

    def body(self):
        return {"error": self.error, "error_description": self.description}


class Client:
    __slots__ = ("client_id", "client_secret", "redirect_uris", "users")

    def __init__(self, doc):
        self.client_id = str(doc["client_id"])
        self.client_secret = str(doc["client_secret"])
        self.redirect_uris = [str(u) for u in doc.get("redirect_uris") or []]
        if not self.redirect_uris:
            raise ValueError("oauth client %s: redirect_uris must not be empty" % self.client_id)
        users = doc.get("users")
        self.users = None if users is None else set(str(u) for u in users)


def load_clients(docs):
    clients = {}
    for doc in docs or []:
        c = Client(doc)
        clients[c.client_id] = c
    return clients


def parse_scope(value):
    """'a b' or ['a', 'b'] -> sorted unique list; raises OAuthError invalid_scope."""
    if isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        items = str(value or "").split()
    if not items:
        raise OAuthError("invalid_scope", "scope is required")
    unknown = [s for s in items if s not in SCOPE_NAMES]
    if unknown:
        raise OAuthError("invalid_scope", "unknown scope: %s" % " ".join(unknown))
    return sorted(set(items))


class OAuthStore:
    """Issued codes and tokens. Thread-safe; times are aware datetimes of the emulator clock."""

    def __init__(self):
        self.lock = threading.Lock()
        self.codes = {}  # code -> {client_id, user, scope, redirect_uri, expires}
        self.access = {}  # access token -> {client_id, user, scope, expires, refresh}
        self.refresh = {}  # refresh token -> {client_id, user, scope}
        self.access_lifetime = ACCESS_LIFETIME
        self.rotate_refresh_tokens = False
        self.issued = []  # every access and refresh token ever issued (for secrecy checks)
        self.counters = {"codes_issued": 0, "authorization_code_grants": 0, "refresh_token_grants": 0,
                         "token_errors": 0, "bearer_rejected": 0}

    # -- configuration and introspection (control API)

    def configure(self, doc):
        with self.lock:
            if "access_token_lifetime" in doc:
                value = doc["access_token_lifetime"]
                if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                    raise ValueError("access_token_lifetime must be a positive integer (seconds)")
                self.access_lifetime = value
            if "rotate_refresh_tokens" in doc:
                if not isinstance(doc["rotate_refresh_tokens"], bool):
                    raise ValueError("rotate_refresh_tokens must be true or false")
                self.rotate_refresh_tokens = doc["rotate_refresh_tokens"]

    def snapshot(self, now):
        with self.lock:
            out = dict(self.counters)
            out.update({
                "access_token_lifetime": self.access_lifetime,
                "rotate_refresh_tokens": self.rotate_refresh_tokens,
                "live_access_tokens": sum(1 for e in self.access.values() if e["expires"] > now),
                "refresh_tokens": len(self.refresh),
            })
            return out

    def issued_secrets(self):
        with self.lock:
            return list(self.issued)

    def count(self, key):
        with self.lock:
            self.counters[key] += 1

    def revoke(self, doc):
        """{"refresh_token": t} and/or {"access_token": t}, or {"user": code} for all of a user's.
        Returns how many tokens were revoked."""
        n = 0
        with self.lock:
            if doc.get("refresh_token") is not None:
                n += 1 if self.refresh.pop(str(doc["refresh_token"]), None) else 0
            if doc.get("access_token") is not None:
                n += 1 if self.access.pop(str(doc["access_token"]), None) else 0
            if doc.get("user") is not None:
                user = str(doc["user"])
                for table in (self.refresh, self.access):
                    for token in [t for t, e in table.items() if e["user"] == user]:
                        del table[token]
                        n += 1
                for code in [c for c, e in self.codes.items() if e["user"] == user]:
                    del self.codes[code]
        return n

    # -- issuing

    def new_code(self, client, user, scope, redirect_uri, now):
        code = secrets.token_urlsafe(24)
        with self.lock:
            self._purge(now)
            self.codes[code] = {"client_id": client.client_id, "user": user, "scope": scope,
                                "redirect_uri": redirect_uri,
                                "expires": now + datetime.timedelta(seconds=CODE_LIFETIME)}
            self.counters["codes_issued"] += 1
        return code

    def _issue(self, client_id, user, scope, refresh, now):
        access = secrets.token_urlsafe(32)
        self.issued.append(access)
        self.access[access] = {"client_id": client_id, "user": user, "scope": scope, "refresh": refresh,
                               "expires": now + datetime.timedelta(seconds=self.access_lifetime)}
        return {"access_token": access, "refresh_token": refresh, "token_type": "Bearer",
                "expires_in": self.access_lifetime, "scope": " ".join(scope)}

    def exchange_code(self, client, code, redirect_uri, now):
        with self.lock:
            entry = self.codes.pop(code, None)  # single use, even when the exchange fails
            if entry is None or entry["client_id"] != client.client_id:
                raise OAuthError("invalid_grant", "the authorization code is invalid or was already used")
            if entry["expires"] <= now:
                raise OAuthError("invalid_grant", "the authorization code has expired")
            if redirect_uri != entry["redirect_uri"]:
                raise OAuthError("invalid_grant", "redirect_uri does not match the authorization request")
            refresh = secrets.token_urlsafe(32)
            self.issued.append(refresh)
            self.refresh[refresh] = {"client_id": client.client_id, "user": entry["user"], "scope": entry["scope"]}
            self.counters["authorization_code_grants"] += 1
            return self._issue(client.client_id, entry["user"], entry["scope"], refresh, now)

    def refresh_grant(self, client, refresh, scope, now):
        with self.lock:
            entry = self.refresh.get(refresh)
            if entry is None or entry["client_id"] != client.client_id:
                raise OAuthError("invalid_grant", "the refresh token is invalid or was revoked")
            granted = entry["scope"]
            if scope is not None:
                if not set(scope) <= set(granted):
                    raise OAuthError("invalid_scope", "the requested scope exceeds the granted scope")
                granted = scope
            if self.rotate_refresh_tokens:
                del self.refresh[refresh]
                refresh = secrets.token_urlsafe(32)
                self.issued.append(refresh)
                self.refresh[refresh] = dict(entry)
            self.counters["refresh_token_grants"] += 1
            return self._issue(client.client_id, entry["user"], granted, refresh, now)

    # -- checking Bearer tokens

    def lookup(self, token, now):
        """{"user", "scope"} of a live access token, or None (unknown, revoked or expired)."""
        with self.lock:
            entry = self.access.get(token)
            if entry is None or entry["expires"] <= now:
                self.counters["bearer_rejected"] += 1
                return None
            return entry

    def _purge(self, now):
        for code in [c for c, e in self.codes.items() if e["expires"] <= now]:
            del self.codes[code]


# ---------------------------------------------------------------- HTTP endpoints

def _basic_credentials(headers):
    """(user, password) from Authorization: Basic (RFC 6749 2.3.1 form-encoding undone), or None."""
    value = headers.get("Authorization") or ""
    if not value.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    user, sep, password = decoded.partition(":")
    if not sep:
        return None
    from urllib.parse import unquote_plus
    return unquote_plus(user), unquote_plus(password)


def _user_from_request(state, headers):
    """The Kintone user logging in on the authorization page: X-Cybozu-Authorization, else
    HTTP Basic of a user. None without credentials; raises OAuthError(401) on bad ones."""
    from .auth import authenticate_password
    from .errors import KintoneError
    value = headers.get("X-Cybozu-Authorization")
    try:
        if value is not None:
            return authenticate_password(state, value)
        basic = _basic_credentials(headers)
        if basic is not None:
            raw = base64.b64encode(("%s:%s" % basic).encode("utf-8")).decode("ascii")
            return authenticate_password(state, raw)
    except KintoneError:
        raise OAuthError("access_denied", "user authentication failed", status=401)
    return None


def _redirect(uri, params):
    return uri + ("&" if "?" in uri else "?") + urlencode(params)


def authorization(emu, qs, headers):
    """GET /oauth2/authorization -> (status, body bytes, content type, headers)."""
    state = emu.state
    params = dict(parse_qsl(qs, keep_blank_values=True))
    client = state.oauth_clients.get(params.get("client_id", ""))
    if client is None:
        raise OAuthError("invalid_client", "unknown client_id")
    redirect_uri = params.get("redirect_uri") or client.redirect_uris[0]
    if redirect_uri not in client.redirect_uris:
        # Never redirect to an unregistered URI (RFC 6749 4.1.2.1): answer the error here.
        raise OAuthError("invalid_request", "redirect_uri is not registered for this client")
    back = {"state": params["state"]} if "state" in params else {}
    if params.get("response_type") != "code":
        return 302, b"", "text/plain", [("Location", _redirect(redirect_uri, dict(
            error="unsupported_response_type", **back)))]
    try:
        scope = parse_scope(params.get("scope"))
    except OAuthError as e:
        return 302, b"", "text/plain", [("Location", _redirect(redirect_uri, dict(error=e.error, **back)))]
    user = _user_from_request(state, headers)
    if user is None:
        return 200, LOGIN_PAGE, "text/html;charset=utf-8", []
    if client.users is not None and user.code not in client.users:
        return 302, b"", "text/plain", [("Location", _redirect(redirect_uri, dict(error="access_denied", **back)))]
    code = emu.oauth.new_code(client, user.code, scope, redirect_uri, state.now())
    return 302, b"", "text/plain", [("Location", _redirect(redirect_uri, dict(code=code, **back)))]


def token(emu, body, headers):
    """POST /oauth2/token -> JSON-able dict; raises OAuthError."""
    state = emu.state
    try:
        form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False))
    except UnicodeDecodeError:
        raise OAuthError("invalid_request", "the body must be application/x-www-form-urlencoded")
    basic = None
    if form.get("client_id") is not None and form.get("client_secret") is not None:
        client_id, secret = form["client_id"], form["client_secret"]
    else:
        basic = _basic_credentials(headers)
        if basic is None:
            raise OAuthError("invalid_client", "client authentication is required", status=401)
        client_id, secret = basic
    client = state.oauth_clients.get(client_id)
    if client is None or not hmac.compare_digest(client.client_secret.encode("utf-8"), secret.encode("utf-8")):
        raise OAuthError("invalid_client", "client authentication failed", status=401,
                         headers=[("WWW-Authenticate", 'Basic realm="oauth2"')] if basic else [])
    grant = form.get("grant_type")
    now = state.now()
    if grant == "authorization_code":
        if not form.get("code"):
            raise OAuthError("invalid_request", "code is required")
        return emu.oauth.exchange_code(client, form["code"], form.get("redirect_uri"), now)
    if grant == "refresh_token":
        if not form.get("refresh_token"):
            raise OAuthError("invalid_request", "refresh_token is required")
        scope = parse_scope(form["scope"]) if form.get("scope") else None
        return emu.oauth.refresh_grant(client, form["refresh_token"], scope, now)
    if not grant:
        raise OAuthError("invalid_request", "grant_type is required")
    raise OAuthError("unsupported_grant_type", "grant_type must be authorization_code or refresh_token")
