"""The emulator's own control API under /_emulator/ (not part of Kintone).

Other programs (test harnesses, benchmarks, the official-client tests) depend on these exact
paths and shapes; see ../README.md "Control API":

  POST   /_emulator/reset         state back to the start seed (--data), clock back to real time
  POST   /_emulator/seed          replace the whole state with the posted seed document
  GET    /_emulator/stats         request counters;  POST /_emulator/stats/reset zeroes them
  POST   /_emulator/faults        add a fault rule -> {"id"};  GET lists;  DELETE clears all
  DELETE /_emulator/faults/{id}   remove one rule
  POST   /_emulator/clock         {"now": ISO timestamp | null};  GET shows the clock
  GET    /_emulator/config        latency model, concurrency limit, file limits (settings.py);
                                  POST /_emulator/config {name: value, ...} changes them
  GET    /_emulator/requests      recent requests (credential kinds, User-Agent, connection);
                                  POST /_emulator/requests/reset
  POST   /_emulator/basic_auth, /_emulator/oauth/{code,revoke,config}, GET /_emulator/oauth,
         GET /_emulator/secrets   see README "OAuth" and "Control API"
"""

import collections
import json
import random
import re
import threading
import zlib
from urllib.parse import unquote_plus

from .errors import KintoneError
from .seed import SeedError, load_state, parse_now


class Stats:
    """Counters of Kintone API traffic (control requests are not counted)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.in_flight = 0
        self.watchers = []  # (n, threading.Event): set once n requests are in flight at once
        self.reset()

    def reset(self):
        with self.lock:
            self.requests = {}
            self.requests_total = 0
            self.bytes_out = 0
            self.records_out = 0
            self.latency_ms = 0.0  # sum of the latency model's delays
            self.max_concurrent = self.in_flight

    def enter(self):
        """Count a request in flight; returns the number now in flight (this one included)."""
        with self.lock:
            self.in_flight += 1
            if self.in_flight > self.max_concurrent:
                self.max_concurrent = self.in_flight
            for n, event in self.watchers:
                if self.in_flight >= n:
                    event.set()
            return self.in_flight

    def await_in_flight(self, n, timeout):
        """Waits until n requests are (or were, since the call) in flight at once; False when
        the timeout came first."""
        event = threading.Event()
        with self.lock:
            if self.in_flight >= n:
                return True
            self.watchers.append((n, event))
        reached = event.wait(timeout)
        with self.lock:
            self.watchers = [w for w in self.watchers if w[1] is not event]
        return reached

    def leave(self):
        with self.lock:
            self.in_flight -= 1

    def count(self, key, nbytes, nrecords):
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
            self.requests_total += 1
            self.bytes_out += nbytes
            self.records_out += nrecords

    def add_latency(self, seconds):
        with self.lock:
            self.latency_ms += seconds * 1000.0

    def snapshot(self, live_cursors):
        with self.lock:
            return {"requests": dict(self.requests), "requests_total": self.requests_total,
                    "bytes_out": self.bytes_out, "records_out": self.records_out,
                    "latency_ms": round(self.latency_ms, 3),
                    "live_cursors": live_cursors, "max_concurrent": self.max_concurrent,
                    "in_flight": self.in_flight}


class RequestLog:
    """What each recent Kintone/OAuth request presented, never a secret value: credential kinds,
    token count, User-Agent, TLS client certificate CN, and the serial number of its connection
    (so tests can prove keep-alive reuse). Bounded; GET/POST /_emulator/requests[/reset]."""

    LIMIT = 1000

    def __init__(self):
        self.lock = threading.Lock()
        self.serial = 0  # connection serial numbers are never reused
        self.reset()

    def reset(self):
        with self.lock:
            self.entries = collections.deque(maxlen=self.LIMIT)
            self.connections = set()  # serials of the connections that carried logged requests

    def new_connection(self):
        with self.lock:
            self.serial += 1
            return self.serial

    def add(self, entry):
        with self.lock:
            self.entries.append(entry)
            self.connections.add(entry["connection"])

    def snapshot(self):
        with self.lock:
            return {"connections": len(self.connections), "requests": list(self.entries)}


def describe_request(method, path, headers, connection, client_cert_cn, tls):
    """The RequestLog entry of one request (header names and counts only, no secret values)."""
    auth = []
    if headers.get("X-Cybozu-Authorization") is not None:
        auth.append("password")
    tokens = [t for h in headers.get_all("X-Cybozu-API-Token") or [] for t in h.split(",") if t.strip()]
    if tokens:
        auth.append("api_token")
    value = headers.get("Authorization") or ""
    if value.startswith("Basic "):
        auth.append("basic")
    elif value.startswith("Bearer "):
        auth.append("bearer")
    return {"method": method, "path": path, "auth": auth, "api_tokens": len(tokens),
            "user_agent": headers.get("User-Agent"), "tls": tls, "client_cert": client_cert_cn,
            "connection": connection}


class FaultRule:
    def __init__(self, rid, spec):
        self.id = rid
        self.spec = spec
        self.pattern = re.compile(spec["match"])
        self.method = spec.get("method")
        # body_match: searched on the request body (UTF-8 text), so that a rule picks one request
        # among several in flight whatever their arrival order (e.g. the chunk holding a value).
        self.body_pattern = re.compile(spec["body_match"]) if spec.get("body_match") is not None else None
        # query_match: searched on the URL-decoded query string (a GET's parameters, e.g. the
        # Kintone query of one slice of a scan).
        self.query_pattern = re.compile(spec["query_match"]) if spec.get("query_match") is not None else None
        # await_match: the request is held until a request whose text (request_text) matches
        # arrives; set by Faults.note_arrival, also for requests that arrived before the hold.
        self.await_pattern = re.compile(spec["await_match"]) if spec.get("await_match") is not None else None
        self.awaited = threading.Event()
        self.await_missed = 0
        self.skip = int(spec.get("skip", 0))
        self.count = spec.get("count")
        self.count = int(self.count) if self.count is not None else None
        self.probability = spec.get("probability")
        # A rule's own generator: the same seed and the same request sequence draw the same
        # requests, whatever other rules do.
        self.random = random.Random(spec.get("seed", 0))
        self.seen = 0
        self.applied = 0
        self.previous = None  # repeat_previous: the last real answer to a matching request
        self.cache = {}  # compressed or generated bodies, built once per rule

    def matches(self, method, path, body=None, query=""):
        if self.method and self.method.upper() != method:
            return False
        if self.query_pattern is not None and not self.query_pattern.search(unquote_plus(query or "")):
            return False
        if self.body_pattern is not None:
            text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
            if not self.body_pattern.search(text):
                return False
        return bool(self.pattern.search(path))

    def describe(self):
        out = dict(self.spec)
        out.update({"id": self.id, "seen": self.seen, "applied": self.applied})
        if self.await_pattern is not None or self.spec.get("await_in_flight"):
            out["await_missed"] = self.await_missed
        return out


_NUMBER_KEYS = ("skip", "count", "status", "delay_ms", "probability", "seed", "await_in_flight", "await_timeout_ms")
_BOOL_KEYS = ("drop_connection", "truncate_body", "after", "gzip", "repeat_previous", "await_strict")


def _check_spec(spec):
    if not isinstance(spec, dict) or not isinstance(spec.get("match"), str):
        raise ValueError('a fault rule needs "match": a regular expression')
    re.compile(spec["match"])
    for key in ("body_match", "query_match", "await_match"):
        if spec.get(key) is not None:
            if not isinstance(spec[key], str):
                raise ValueError('"%s" must be a regular expression' % key)
            re.compile(spec[key])
    for key in _NUMBER_KEYS:
        if spec.get(key) is not None and (isinstance(spec[key], bool) or not isinstance(spec[key], (int, float))):
            raise ValueError('"%s" must be a number' % key)
    for key in _BOOL_KEYS:
        if spec.get(key) is not None and not isinstance(spec[key], bool):
            raise ValueError('"%s" must be true or false' % key)
    if spec.get("probability") is not None and not 0 <= spec["probability"] <= 1:
        raise ValueError('"probability" must be between 0 and 1')
    headers = spec.get("headers")
    if headers is not None and (not isinstance(headers, dict) or
                                not all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())):
        raise ValueError('"headers" must be an object of strings')
    if spec.get("content_type") is not None and not isinstance(spec["content_type"], str):
        raise ValueError('"content_type" must be a string')
    repeat = spec.get("body_repeat")
    if repeat is not None:
        if not isinstance(repeat, dict) or not isinstance(repeat.get("unit"), str) or \
                not isinstance(repeat.get("count"), int) or repeat["count"] < 0 or \
                not all(isinstance(repeat.get(k, ""), str) for k in ("prefix", "separator", "suffix")):
            raise ValueError('"body_repeat" must be {"prefix"?, "unit", "separator"?, "count", "suffix"?}')
        if spec.get("body") is not None or spec.get("code") is not None:
            raise ValueError('"body_repeat" replaces "body" and "code"')
    if spec.get("repeat_previous") and not spec.get("after"):
        raise ValueError('"repeat_previous" needs "after": true')


def request_text(method, path, query, body):
    """A request as await_match reads it: "METHOD /path?decoded-query" and, after a newline, the
    body as UTF-8 text."""
    text = body.decode("utf-8", "replace") if isinstance(body, (bytes, bytearray)) else (body or "")
    return "%s %s?%s\n%s" % (method, path, unquote_plus(query or ""), text)


class Faults:
    """Injected faults: the first rule matching a request applies (see README)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rules = []
        self.awaiting = []  # rules with await_match, kept after they are used up (a hold in progress)
        self.next_id = 1

    def add(self, spec):
        _check_spec(spec)
        with self.lock:
            rule = FaultRule(str(self.next_id), spec)
            self.next_id += 1
            self.rules.append(rule)
            if rule.await_pattern is not None:
                self.awaiting.append(rule)
            return rule.id

    def clear(self):
        with self.lock:
            for rule in self.awaiting:
                rule.awaited.set()  # a hold in progress ends now
            self.rules = []
            self.awaiting = []

    def note_arrival(self, method, path, query, body):
        """Releases the holds of the await_match rules that this request's text matches."""
        if not self.awaiting:
            return
        text = request_text(method, path, query, body)
        with self.lock:
            for rule in self.awaiting:
                if rule.await_pattern.search(text):
                    rule.awaited.set()

    def remove(self, rid):
        with self.lock:
            before = len(self.rules)
            self.rules = [r for r in self.rules if r.id != rid]
            return len(self.rules) != before

    def list(self):
        with self.lock:
            return [r.describe() for r in self.rules]

    def match_rule(self, method, path, body=None, query=""):
        """The rule to apply to this request, or None. Skipped requests are served normally; a
        rule with "probability" that does not draw this request is passed over (a later rule
        may apply)."""
        if not self.rules:
            return None
        with self.lock:
            for rule in self.rules:
                if not rule.matches(method, path, body, query):
                    continue
                if rule.probability is not None and rule.random.random() >= rule.probability:
                    continue
                rule.seen += 1
                if rule.seen <= rule.skip:
                    return None
                rule.applied += 1
                if rule.count is not None and rule.applied >= rule.count:
                    self.rules.remove(rule)
                return rule
        return None

    def match(self, method, path):
        """The spec of match_rule, or None."""
        rule = self.match_rule(method, path)
        return rule.spec if rule is not None else None

    def observe(self, method, path, answer, body=None):
        """Keeps a real answer for the "repeat_previous" rules matching this request."""
        if not self.rules:
            return
        with self.lock:
            for rule in self.rules:
                if rule.spec.get("repeat_previous") and rule.matches(method, path):
                    rule.previous = answer


class Body:
    """A large generated body (body_repeat): prefix + unit (separator unit)* + suffix, sent in
    pieces so that a body of gigabytes never sits in memory."""

    PIECE = 1 << 20

    def __init__(self, repeat):
        self.prefix = repeat.get("prefix", "").encode("utf-8")
        self.unit = repeat["unit"].encode("utf-8")
        self.separator = repeat.get("separator", "").encode("utf-8")
        self.count = repeat["count"]
        self.suffix = repeat.get("suffix", "").encode("utf-8")

    def __len__(self):
        return (len(self.prefix) + self.count * len(self.unit) + max(0, self.count - 1) * len(self.separator) +
                len(self.suffix))

    def pieces(self):
        yield self.prefix
        per_piece = max(1, self.PIECE // max(1, len(self.unit) + len(self.separator)))
        item = self.separator + self.unit
        full = None  # every piece but the first and the last is the same bytes
        done = 0
        while done < self.count:
            n = min(per_piece, self.count - done)
            if done == 0:
                piece = self.unit + item * (n - 1)
            elif n == per_piece:
                full = full if full is not None else item * per_piece
                piece = full
            else:
                piece = item * n
            yield piece
            done += n
        yield self.suffix


def pieces_of(body):
    """The bytes of a body (bytes or Body) in pieces."""
    if isinstance(body, Body):
        return body.pieces()
    return (body,)


def gzip_body(body):
    """gzip of a body (bytes or Body), compressed piece by piece."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    out = [compressor.compress(piece) for piece in pieces_of(body)]
    out.append(compressor.flush())
    return b"".join(out)


def fault_canned_body(rule, lang):
    """(body, content type) of a rule's canned answer ("code", "body" or "body_repeat")."""
    spec = rule.spec
    if spec.get("body_repeat") is not None:
        body = Body(spec["body_repeat"])
        ctype = "application/json;charset=utf-8"
    else:
        body, ctype = fault_error_body(spec, lang)
    return body, spec.get("content_type") or ctype


def fault_error_body(spec, lang):
    """Body bytes and content type of a fault response with a "code" or "body"."""
    if spec.get("code"):
        err = KintoneError(spec["code"], message=None if spec["code"] in _catalog() else
                           "Injected error %s." % spec["code"])
        return (json.dumps(err.body(lang), ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                "application/json;charset=utf-8")
    body = spec.get("body")
    if body is None:
        return b"", "text/plain;charset=utf-8"
    if isinstance(body, str):
        return body.encode("utf-8"), "text/plain;charset=utf-8"
    return json.dumps(body, ensure_ascii=False).encode("utf-8"), "application/json;charset=utf-8"


def fault_status(spec):
    if spec.get("status") is not None:
        return int(spec["status"])
    if spec.get("code"):
        return KintoneError(spec["code"]).status if spec["code"] in _catalog() else 500
    return 500


def _catalog():
    from .errors import CATALOG
    return CATALOG


def handle(emu, method, path, body):
    """(status, JSON-able object) for a control request."""
    try:
        doc = json.loads(body) if body.strip() else {}
    except ValueError:
        return 400, {"error": "invalid JSON body"}
    if path == "/_emulator/reset" and method == "POST":
        emu.reset()
        return 200, {}
    if path == "/_emulator/seed" and method == "POST":
        try:
            emu.replace_state(load_state(doc))
        except SeedError as e:
            return 400, {"error": str(e)}
        return 200, {}
    if path == "/_emulator/stats" and method == "GET":
        state = emu.state
        with state.lock:
            from .api import live_cursors
            cursors = live_cursors(state)
        return 200, emu.stats.snapshot(cursors)
    if path == "/_emulator/stats/reset" and method == "POST":
        emu.stats.reset()
        return 200, {}
    if path == "/_emulator/faults":
        if method == "POST":
            try:
                return 200, {"id": emu.faults.add(doc)}
            except (ValueError, re.error) as e:
                return 400, {"error": str(e)}
        if method == "GET":
            return 200, {"faults": emu.faults.list()}
        if method == "DELETE":
            emu.faults.clear()
            return 200, {}
    m = re.fullmatch(r"/_emulator/faults/([^/]+)", path)
    if m and method == "DELETE":
        return (200, {}) if emu.faults.remove(m.group(1)) else (404, {"error": "no such fault rule"})
    if path == "/_emulator/clock":
        state = emu.state
        if method == "POST":
            if not isinstance(doc, dict) or "now" not in doc:
                return 400, {"error": 'body must be {"now": ISO timestamp or null}'}
            try:
                now = parse_now(doc["now"]) if doc["now"] is not None else None
            except (TypeError, ValueError):
                return 400, {"error": "invalid timestamp"}
            with state.lock:
                state.fixed_now = now
        if method in ("POST", "GET"):
            return 200, {"now": _iso(state.now()), "fixed": state.fixed_now is not None}
    if path == "/_emulator/config":
        return _config_control(emu, method, doc)
    if path == "/_emulator/requests" and method == "GET":
        return 200, emu.requests.snapshot()
    if path == "/_emulator/requests/reset" and method == "POST":
        emu.requests.reset()
        return 200, {}
    if path.startswith(("/_emulator/basic_auth", "/_emulator/oauth", "/_emulator/secrets")):
        return _auth_control(emu, method, path, doc)
    return 404, {"error": "unknown control API %s %s" % (method, path)}


def _config_control(emu, method, doc):
    """GET/POST /_emulator/config: the settings of settings.py (latency model, concurrency
    limit, max_file_size, upload_ttl_s). POST changes only the names given; all or nothing."""
    if method == "POST":
        try:
            emu.settings.update(doc)
        except ValueError as e:
            return 400, {"error": str(e)}
    if method in ("POST", "GET"):
        return 200, emu.settings.snapshot()
    return 404, {"error": "unknown control API %s /_emulator/config" % method}


def _auth_control(emu, method, path, doc):
    """Domain Basic layer switch and OAuth helpers (see README, Control API)."""
    from . import oauth
    state = emu.state
    if not isinstance(doc, dict):
        return 400, {"error": "body must be a JSON object"}
    if path == "/_emulator/basic_auth":
        if method == "POST":
            user = doc.get("user")
            if user is None:
                state.basic_auth = None
            elif not isinstance(user, str) or not isinstance(doc.get("password"), str):
                return 400, {"error": 'body must be {"user": string, "password": string} or {"user": null}'}
            else:
                state.basic_auth = (user, doc["password"])
                with emu.oauth.lock:
                    emu.secrets_seen.add(doc["password"])
        if method in ("POST", "GET"):
            return 200, {"enabled": state.basic_auth is not None,
                         "user": state.basic_auth[0] if state.basic_auth else None}
    if path == "/_emulator/secrets" and method == "GET":
        with emu.oauth.lock:
            basic = sorted(emu.secrets_seen)
        return 200, {"oauth_tokens": emu.oauth.issued_secrets(), "basic_auth_passwords": basic}
    if path == "/_emulator/oauth" and method == "GET":
        return 200, emu.oauth.snapshot(state.now())
    if path == "/_emulator/oauth/config" and method == "POST":
        try:
            emu.oauth.configure(doc)
        except ValueError as e:
            return 400, {"error": str(e)}
        return 200, emu.oauth.snapshot(state.now())
    if path == "/_emulator/oauth/code" and method == "POST":
        client = state.oauth_clients.get(str(doc.get("client_id")))
        if client is None:
            return 400, {"error": "unknown client_id"}
        user = state.users.get(str(doc.get("user")))
        if user is None:
            return 400, {"error": "unknown user"}
        if client.users is not None and user.code not in client.users:
            return 400, {"error": "the client is not allowed for this user"}
        redirect_uri = doc.get("redirect_uri") or client.redirect_uris[0]
        if redirect_uri not in client.redirect_uris:
            return 400, {"error": "redirect_uri is not registered for this client"}
        try:
            scope = oauth.parse_scope(doc.get("scope"))
        except oauth.OAuthError as e:
            return 400, {"error": e.description}
        code = emu.oauth.new_code(client, user.code, scope, redirect_uri, state.now())
        return 200, {"code": code, "redirect_uri": redirect_uri, "scope": " ".join(scope)}
    if path == "/_emulator/oauth/revoke" and method == "POST":
        if not any(doc.get(k) is not None for k in ("refresh_token", "access_token", "user")):
            return 400, {"error": 'body must name "refresh_token", "access_token" or "user"'}
        return 200, {"revoked": emu.oauth.revoke(doc)}
    return 404, {"error": "unknown control API %s %s" % (method, path)}


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + "%03dZ" % (dt.microsecond // 1000)
