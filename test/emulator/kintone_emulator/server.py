"""HTTP front of the Kintone emulator: sockets, parameters, auth, faults, stats, main().

One ThreadingHTTPServer (HTTP/1.1, keep-alive, a daemon thread per connection) serves
  /k/v1/...json and /k/guest/{id}/v1/...json   the Kintone REST API (api.py)
  /_emulator/...                               the control API (control.py)
  /oauth2/authorization, /oauth2/token         OAuth 2.0 (oauth.py)
HTTPS with --tls-cert/--tls-key (and required client certificates with --client-ca): the
handshake runs in each connection's thread (Handler.setup).
Each response is written with a single send (headers + body) and TCP_NODELAY, so keep-alive
clients never wait for delayed ACKs; every response carries Content-Length.

Request processing order for /k/ (a choice where the contract is silent; see README):
URL length (414 past 8 KB) -> fault rules -> concurrency limit (GAIA_TO04) -> domain Basic
layer -> route (CB_NF01) -> credentials (section 3.3) -> parameters (CB_IJ01) -> handler (app,
guest routing, permission, validation).
"""

import argparse
import copy
import email.parser
import email.policy
import gc
import json
import re
import signal
import socket
import ssl
import sys
import threading
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

from . import api, control, oauth
from .auth import authenticate, check_basic_layer
from .errors import KintoneError, pick_language
from .seed import SeedError, load_state
from .settings import KINTONE_MODEL, Settings

JSON_TYPE = "application/json;charset=utf-8"
OVERRIDABLE = ("GET", "POST", "PUT", "DELETE")
_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])+)$")
_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
HANDSHAKE_TIMEOUT = 30  # seconds a TLS client may take to complete its handshake
MAX_URL = 8192  # bytes of request target (path + query string) accepted; longer -> 414
URL_414_BODY = (b"<!DOCTYPE html><html><head><title>414 Request-URI Too Large</title></head>"
                b"<body><h1>414 Request-URI Too Large</h1></body></html>")
BASIC_401_BODY = (b"<!DOCTYPE html><html><head><title>401 Unauthorized</title></head>"
                  b"<body><h1>401 Unauthorized</h1></body></html>")


# ---------------------------------------------------------------- the emulator object

class Emulator:
    """Holds the current State plus what survives a state swap (stats, faults, options)."""

    def __init__(self, seed_doc, latency_ms=0, verbose=False, **settings):
        self.start_doc = copy.deepcopy(seed_doc)
        self.state = load_state(copy.deepcopy(seed_doc))
        _settle_gc()
        self.stats = control.Stats()
        self.faults = control.Faults()
        self.oauth = oauth.OAuthStore()  # issued OAuth codes/tokens: survive reset and seed
        self.secrets_seen = set()  # Basic-layer passwords set through the control API
        self.requests = control.RequestLog()
        # Latency model, concurrency limit, file limits (settings.py); GET/POST /_emulator/config.
        self.settings = Settings(latency_ms=max(0, latency_ms), **settings)
        self.verbose = verbose

    def reset(self):
        """Back to the start seed (--data). A seed posted later is not the reset point."""
        self.replace_state(load_state(copy.deepcopy(self.start_doc)))

    def replace_state(self, state):
        # Requests in flight finish on the old State object; new requests see the new one.
        self.state = state
        _settle_gc()


def _settle_gc():
    """Move the freshly loaded state out of the cyclic GC's sight.

    A 100,000-record state is millions of objects; without this every full collection walks
    them all, which made an uncached 500-record page ~10x slower. Objects are still freed by
    reference counting when a later reset drops them."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()


# ---------------------------------------------------------------- parameters

def parse_query_string(qs):
    """Query string -> params. `a[0]=x&a[1]=y` and repeated `a=x&a=y` become lists;
    `a[0][b]=x` nests. Percent-encoded brackets are decoded first by parse_qsl."""
    params = {}
    if not qs:
        return params
    for key, value in parse_qsl(qs, keep_blank_values=True):
        m = _KEY.match(key)
        if m is None:
            if key in params:
                old = params[key]
                params[key] = old + [value] if isinstance(old, list) else [old, value]
            else:
                params[key] = value
            continue
        node = params.setdefault(m.group(1), {})
        if not isinstance(node, dict):
            node = params[m.group(1)] = {"": node}
        segments = _SEGMENT.findall(m.group(2))
        for seg in segments[:-1]:
            child = node.get(seg)
            if not isinstance(child, dict):
                child = node[seg] = {}
            node = child
        last = segments[-1]
        if last == "":  # a[]=x: append
            last = str(sum(1 for k in node if k.isdigit() or k == ""))
        node[last] = value
    return {k: _listify(v) for k, v in params.items()}


def _listify(node):
    if not isinstance(node, dict):
        return node
    node = {k: _listify(v) for k, v in node.items()}
    if node and all(k.isdigit() for k in node):
        return [node[k] for k in sorted(node, key=int)]
    return node


def _reject_constant(name):
    raise ValueError("invalid JSON constant " + name)


def parse_params(qs, body):
    """Query-string params merged with a JSON object body (the body wins). CB_IJ01 on bad JSON."""
    params = parse_query_string(qs)
    if body and body.strip():
        try:
            doc = json.loads(body.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, UnicodeDecodeError):
            raise KintoneError("CB_IJ01")
        if not isinstance(doc, dict):
            raise KintoneError("CB_IJ01")
        params.update(doc)
    return params


def parse_multipart(content_type, body):
    """multipart/form-data upload -> {"__file__": {"name", "contentType", "size", "content"}}
    (only the part named "file" matters, contract 4.11); no such part -> no "__file__"."""
    if not content_type.lower().startswith("multipart/form-data"):
        return {}
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body)
    for part in message.iter_parts() if message.is_multipart() else ():
        if part.get_param("name", header="content-disposition") != "file":
            continue
        content = part.get_payload(decode=True) or b""
        return {"__file__": {"name": part.get_filename() or "file", "contentType": part.get_content_type(),
                             "size": str(len(content)), "content": content}}
    return {}


# ---------------------------------------------------------------- HTTP handler

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kintone-emulator"
    sys_version = ""

    def setup(self):
        if isinstance(self.request, ssl.SSLSocket):
            # TLS mode: the handshake runs here, in the connection's own thread, so a slow or
            # failing client never blocks the accept loop. A failed handshake (no or untrusted
            # client certificate under --client-ca, a client that distrusts our CA) raises and
            # the server closes the connection quietly.
            self.request.settimeout(HANDSHAKE_TIMEOUT)
            self.request.do_handshake()
            self.request.settimeout(None)
        self.conn_serial = self.server.emu.requests.new_connection()
        super().setup()
        try:
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            pass

    def log_message(self, fmt, *args):
        if self.server.emu.verbose:
            super().log_message(fmt, *args)

    # -- plumbing

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks = []
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _send(self, status, body, ctype, headers=(), truncate=False):
        """Writes one response. body: bytes, or a control.Body (a large generated body, written
        in pieces). truncate: the full headers (real Content-Length), half of the body, then
        the connection is closed."""
        reason = self.responses.get(status, ("Unknown",))[0]
        length = len(body)
        lines = ["HTTP/1.1 %d %s" % (status, reason), "Content-Type: " + ctype,
                 "Content-Length: %d" % length]
        lines.extend("%s: %s" % h for h in headers)
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if isinstance(body, bytes):
            if truncate:
                self.close_connection = True
                self.wfile.write(head + body[:length // 2])
                self._hard_close()
            else:
                self.wfile.write(head + body)
            return length
        # A generated body: written piece by piece (a client refusing it closes the socket).
        limit = length // 2 if truncate else length
        try:
            self.wfile.write(head)
            sent = 0
            for piece in control.pieces_of(body):
                if sent + len(piece) > limit:
                    piece = piece[:limit - sent]
                if piece:
                    self.wfile.write(piece)
                    sent += len(piece)
                if sent >= limit:
                    break
        except OSError:
            self.close_connection = True
            return length
        if truncate:
            self._hard_close()
        return length

    def _hard_close(self):
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _handle(self):
        emu = self.server.emu
        path, _, qs = self.path.partition("?")
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._send(400, b"bad request body", "text/plain;charset=utf-8")
            return
        if (self.headers.get("Connection") or "").lower() == "close":
            self.close_connection = True
        if path.startswith("/_emulator/"):
            status, obj = control.handle(emu, self.command, path, body)
            self._send(status, json.dumps(obj, ensure_ascii=False).encode("utf-8"), JSON_TYPE)
            return
        if path.startswith(("/oauth2/", "/k/")):
            self._log_request(emu, path)
        if path.startswith("/oauth2/"):
            self._oauth(emu, path, qs, body)
            return
        if not path.startswith("/k/"):
            self._send(404, b"Not Found", "text/plain;charset=utf-8")
            return
        if len(self.path) > MAX_URL:
            # Real Kintone's front answers 414 "Request URL Too Large" past 8 KB (contract 2.2, 5);
            # clients must switch to POST + X-HTTP-Method-Override. Non-JSON, like the front's.
            self._send(414, URL_414_BODY, "text/html;charset=utf-8")
            return
        self._kintone(emu, path, qs, body)

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _handle

    def _log_request(self, emu, path):
        cn = None
        tls = isinstance(self.connection, ssl.SSLSocket)
        if tls:
            cert = self.connection.getpeercert()
            for rdn in (cert or {}).get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        cn = value
        method = self.command
        override = self.headers.get("X-HTTP-Method-Override")
        if method == "POST" and override in OVERRIDABLE:
            method = override
        emu.requests.add(control.describe_request(method, path, self.headers, self.conn_serial, cn, tls))

    # -- OAuth endpoints (oauth.py)

    def _oauth(self, emu, path, qs, body):
        fault = emu.faults.match(self.command, path)
        truncate = bool(fault and fault.get("truncate_body"))
        if fault is not None:
            # Fault rules apply to the OAuth endpoints too (a token endpoint that fails or hangs).
            if fault.get("delay_ms"):
                time.sleep(float(fault["delay_ms"]) / 1000.0)
            if fault.get("drop_connection"):
                self._hard_close()
                return
            if any(fault.get(k) is not None for k in ("status", "code", "body")):
                payload, ctype = control.fault_error_body(fault, "en")
                self._send(control.fault_status(fault), payload, ctype, truncate=truncate)
                return
        try:
            if path == "/oauth2/authorization" and self.command == "GET":
                status, payload, ctype, extra = oauth.authorization(emu, qs, self.headers)
                self._send(status, payload, ctype, extra, truncate=truncate)
                return
            if path == "/oauth2/token" and self.command == "POST":
                try:
                    result = oauth.token(emu, body, self.headers)
                except oauth.OAuthError:
                    emu.oauth.count("token_errors")
                    raise
                self._send(200, json.dumps(result).encode("utf-8"), "application/json;charset=utf-8",
                           [("Cache-Control", "no-store"), ("Pragma", "no-cache")], truncate=truncate)
                return
            raise oauth.OAuthError("invalid_request", "unknown OAuth endpoint %s %s" % (self.command, path),
                                   status=404)
        except oauth.OAuthError as e:
            self._send(e.status, json.dumps(e.body()).encode("utf-8"), "application/json;charset=utf-8",
                       e.headers + [("Cache-Control", "no-store")], truncate=truncate)

    # -- Kintone API

    def _kintone(self, emu, path, qs, body):
        method = self.command
        override = self.headers.get("X-HTTP-Method-Override")
        if method == "POST" and override in OVERRIDABLE:
            method = override
        key = "%s %s" % (method, path)
        started = time.monotonic()
        running = emu.stats.enter()
        try:
            reply = self._kintone_reply(emu, method, path, qs, body, running, started)
            # Counted before writing, so a client that got its response sees it in the stats,
            # and before leaving, so that "nothing in flight" means "everything counted" (tests
            # wait for a delayed request to end before they reset the counters).
            if reply is None:  # drop_connection fault
                emu.stats.count(key, 0, 0)
            else:
                emu.stats.count(key, len(reply[1]) // 2 if reply[4] else len(reply[1]), reply[5])
        finally:
            # Leave before writing: once a client holds the response, the request is no
            # longer counted in flight (keeps stats exact for back-to-back requests).
            emu.stats.leave()
        if reply is None:
            self._hard_close()
            return
        status, payload, ctype, headers, truncate, nrecords = reply
        self._send(status, payload, ctype, headers, truncate=truncate)

    def _kintone_reply(self, emu, method, path, qs, body, running, started):
        """(status, body, content type, headers, truncate, records) or None to drop.

        A fault rule applies before processing (the default: the request never reaches the
        API) or, with "after": true, after it (the request is processed, its effects stay, and
        then its answer is lost, replaced or cut: see README, Faults)."""
        accept = self.headers.get("Accept-Language")
        header_lang = pick_language(accept)
        limit = emu.settings.concurrency_limit
        headers = [("X-ConcurrencyLimit-Limit", str(limit)),
                   ("X-ConcurrencyLimit-Running", str(min(running, limit)))]
        emu.faults.note_arrival(method, path, qs, body)
        rule = emu.faults.match_rule(method, path, body, qs)
        fault = rule.spec if rule is not None else None
        if fault is not None and (fault.get("await_in_flight") or rule.await_pattern is not None):
            # Held (before processing) until that many Kintone requests are in flight, this one
            # included, and/or until a request matching await_match arrived, at most
            # await_timeout_ms (60 s): proves a client's requests overlap, or that it sent one
            # request before it had the answer to another, without timing.
            timeout = float(fault.get("await_timeout_ms", 60000)) / 1000.0
            reached = True
            if fault.get("await_in_flight"):
                reached = emu.stats.await_in_flight(int(fault["await_in_flight"]), timeout)
            if reached and rule.await_pattern is not None:
                reached = rule.awaited.wait(timeout)
            if not reached:
                rule.await_missed += 1
                if fault.get("await_strict"):
                    # The awaited never came: the client did not do what the test expects.
                    payload = json.dumps({"code": "EMULATOR_AWAIT_MISSED", "id": "emulator-await",
                                          "message": "The request awaited by fault rule %s did not come." % rule.id})
                    return (400, payload.encode("utf-8"), "application/json;charset=utf-8",
                            headers + [("X-Cybozu-Error", "EMULATOR_AWAIT_MISSED")], False, 0)
        if fault is not None and not fault.get("after"):
            if fault.get("delay_ms"):
                time.sleep(float(fault["delay_ms"]) / 1000.0)
            if fault.get("drop_connection"):
                return None
            reply = None
            if any(fault.get(k) is not None for k in ("status", "code", "body", "body_repeat")):
                # An injected 429 GAIA_TO04 is English without Accept-Language, as the real one.
                lang = "en" if fault.get("code") == "GAIA_TO04" and not accept else header_lang
                payload, ctype = control.fault_canned_body(rule, lang)
                extra = [("X-Cybozu-Error", fault["code"])] if fault.get("code") else []
                reply = (control.fault_status(fault), payload, ctype, headers + extra, False, 0)
            if reply is not None:
                return self._shape_reply(rule, reply)
            if any(fault.get(k) for k in ("gzip", "headers", "truncate_body")):
                reply = self._processed_reply(emu, method, path, qs, body, header_lang, headers, running, accept,
                                              started)
                return self._shape_reply(rule, reply)
        reply = self._processed_reply(emu, method, path, qs, body, header_lang, headers, running, accept, started)
        previous = rule.previous if fault is not None and fault.get("repeat_previous") else None
        emu.faults.observe(method, path, reply, body)
        if fault is None or not fault.get("after"):
            return reply
        # After processing: the request did its work; now its answer is delayed, lost or changed.
        if fault.get("delay_ms"):
            time.sleep(float(fault["delay_ms"]) / 1000.0)
        if fault.get("drop_connection"):
            return None
        if fault.get("repeat_previous") and previous is not None:
            reply = previous[:3] + (headers + list(previous[3][2:]),) + previous[4:]
        elif any(fault.get(k) is not None for k in ("status", "code", "body", "body_repeat")):
            payload, ctype = control.fault_canned_body(rule, header_lang)
            extra = [("X-Cybozu-Error", fault["code"])] if fault.get("code") else []
            reply = (control.fault_status(fault), payload, ctype, headers + extra, False, 0)
        return self._shape_reply(rule, reply)

    def _processed_reply(self, emu, method, path, qs, body, header_lang, headers, running, accept, started):
        """The request processed: (status, body, content type, headers, truncate, records)."""
        settings = emu.settings
        if running > settings.concurrency_limit:
            # The 429 came back in English without Accept-Language on real Kintone [OBS].
            lang = header_lang if accept else "en"
            return 429, self._error_body(KintoneError("GAIA_TO04"), lang), JSON_TYPE, headers + [
                ("X-Cybozu-Error", "GAIA_TO04")], False, 0
        status, payload, ctype, nrecords, extra, nfields = self._api(emu, method, path, qs, body, header_lang)
        if settings.active:
            # The latency model sleeps here, outside the state lock: requests in flight overlap.
            emu.stats.add_latency(settings.wait(started, nrecords, nfields))
        return status, payload, ctype, headers + extra, False, nrecords

    @staticmethod
    def _shape_reply(rule, reply):
        """Applies a rule's "headers", "gzip" and "truncate_body" to an answer."""
        spec = rule.spec
        status, payload, ctype, headers, _, nrecords = reply
        headers = list(headers) + list((spec.get("headers") or {}).items())
        if spec.get("gzip"):
            # A rule's generated body is the same every time: compressed once.
            key = "body_repeat" if isinstance(payload, control.Body) else payload
            if key not in rule.cache:
                rule.cache.clear()
                rule.cache[key] = control.gzip_body(payload)
            payload = rule.cache[key]
            headers.append(("Content-Encoding", "gzip"))
        return status, payload, ctype, headers, bool(spec.get("truncate_body")), nrecords

    @staticmethod
    def _error_body(err, lang):
        return json.dumps(err.body(lang), ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def _api(self, emu, method, path, qs, body, lang):
        """(status, body bytes, content type, records returned, extra headers, fields per record)."""
        state = emu.state
        try:
            if not check_basic_layer(state, self.headers):
                # Domain Basic layer refused: a non-JSON 401 like the front proxy's (choice).
                return 401, BASIC_401_BODY, "text/html;charset=utf-8", 0, [
                    ("WWW-Authenticate", 'Basic realm="Please enter your user name and password"')], 0
            m = api.API_PATH.match(path)
            handler = m and api.find_route(m.group(2), method)
            if not handler:
                raise KintoneError("CB_NF01")
            principal = authenticate(state, self.headers, emu.oauth)
            lang = principal.language(lang)
            if method == "POST" and m.group(2) == "file":
                params = parse_multipart(self.headers.get("Content-Type") or "", body)
            else:
                params = parse_params(qs, body)
            call = api.Call(emu, state, principal, int(m.group(1)) if m.group(1) else None, params, method, lang,
                            accept=self.headers.get("Accept-Language"))
            result = api.dispatch(call, handler)
            if isinstance(result, api.Raw):
                return 200, result.body, result.content_type, 0, result.headers, 0
            if not isinstance(result, bytes):
                result = api.encode(result).encode("utf-8")
            return 200, result, JSON_TYPE, call.records_out, call.headers, call.fields_out
        except KintoneError as e:
            return e.status, self._error_body(e, lang), JSON_TYPE, 0, list(getattr(e, "headers", ())), 0
        except Exception as e:  # an emulator bug: say so loudly, answer 500
            traceback.print_exc(file=sys.stderr)
            err = KintoneError("CB_UN01", status=500, message="Emulator internal error: %s" % e)
            return 500, self._error_body(err, lang), JSON_TYPE, 0, [], 0


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024

    def __init__(self, address, emu, family=socket.AF_INET, tls=None):
        self.address_family = family
        self.emu = emu
        self.tls = tls  # ssl.SSLContext in HTTPS mode
        super().__init__(address, Handler)

    def get_request(self):
        sock, addr = self.socket.accept()
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True, do_handshake_on_connect=False)
        return sock, addr

    def handle_error(self, request, client_address):
        # Clients that disconnect mid-request are normal (fault tests); stay quiet.
        if self.emu.verbose:
            super().handle_error(request, client_address)


# ---------------------------------------------------------------- entry point

def tls_context(cert, key, client_ca=None):
    """Server-side TLS context (TLS 1.2+). With client_ca every client must present a
    certificate signed by that CA, as Kintone's secure-access (.s.cybozu.com) hosts require."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(cert, key)
    if client_ca:
        ctx.load_verify_locations(cafile=client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def start(emu, host="127.0.0.1", port=0, tls=None):
    """Bind and serve in daemon threads; returns the list of servers (first = primary).
    On the default loopback host an IPv6 ::1 listener on the same port is added when
    possible, since "localhost" may resolve to ::1 first. tls: an SSLContext (HTTPS)."""
    servers = [Server((host, port), emu, tls=tls)]
    port = servers[0].server_address[1]
    if host in ("127.0.0.1", "localhost") and socket.has_ipv6:
        try:
            servers.append(Server(("::1", port), emu, family=socket.AF_INET6, tls=tls))
        except OSError:
            pass
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    return servers


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kintone-emulator", description="Local Kintone REST API emulator.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--data", help="seed JSON file (see README)")
    parser.add_argument("--latency-ms", type=float, default=None,
                        help="base latency added to every Kintone API response (ms)")
    parser.add_argument("--latency-per-record-us", type=float, default=None,
                        help="latency added per record returned (microseconds)")
    parser.add_argument("--latency-per-field-us", type=float, default=None,
                        help="latency added per field of each record returned (microseconds)")
    parser.add_argument("--latency-model", choices=("kintone", "off"), default="off",
                        help="kintone: %(ms)g ms + %(rec)g us/record + %(fld)g us/record-field "
                             "(explicit --latency-* flags override)" % {
                                 "ms": KINTONE_MODEL["latency_ms"], "rec": KINTONE_MODEL["latency_per_record_us"],
                                 "fld": KINTONE_MODEL["latency_per_field_us"]})
    parser.add_argument("--concurrency-limit", type=int, default=100,
                        help="Kintone requests in flight before 429 GAIA_TO04 (Kintone: 100)")
    parser.add_argument("--max-file-size", type=int, default=None, help="largest upload in bytes (Kintone: 1 GB)")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM, may hold the chain)")
    parser.add_argument("--tls-key", help="private key (PEM) of --tls-cert")
    parser.add_argument("--client-ca", help="HTTPS only: require a client certificate signed by this CA (PEM)")
    args = parser.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key) or (args.client_ca and not args.tls_cert):
        parser.error("--tls-cert and --tls-key go together; --client-ca needs them")
    tls = None
    if args.tls_cert:
        try:
            tls = tls_context(args.tls_cert, args.tls_key, args.client_ca)
        except (OSError, ssl.SSLError) as e:
            print("kintone-emulator: cannot load TLS files: %s" % e, file=sys.stderr)
            return 2
    # Fewer, cheaper collections: responses allocate many short-lived dicts (see _settle_gc).
    gc.set_threshold(100000, 50, 1000)
    doc = {}
    if args.data:
        try:
            with open(args.data, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, ValueError) as e:
            print("kintone-emulator: cannot read %s: %s" % (args.data, e), file=sys.stderr)
            return 2
    settings = dict(KINTONE_MODEL) if args.latency_model == "kintone" else {}
    for name in ("latency_ms", "latency_per_record_us", "latency_per_field_us", "max_file_size"):
        if getattr(args, name) is not None:
            settings[name] = getattr(args, name)
    settings["concurrency_limit"] = args.concurrency_limit
    try:
        emu = Emulator(doc, verbose=args.verbose, **settings)
    except ValueError as e:
        parser.error(str(e))
    except SeedError as e:
        print("kintone-emulator: bad seed %s: %s" % (args.data, e), file=sys.stderr)
        return 2
    servers = start(emu, args.host, args.port, tls=tls)
    print("%s://localhost:%d" % ("https" if tls else "http", servers[0].server_address[1]), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    return 0
