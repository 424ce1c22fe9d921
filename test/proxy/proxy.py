#!/usr/bin/env python3
"""A tiny HTTP forward proxy for the tests: `proxy.py [--host H] [--port N] [--user U --password P]
[--verbose]`. Prints its URL (http://localhost:PORT) as the first stdout line; runs until
SIGTERM/SIGINT. Standard library only.

* Absolute-URI requests (`GET http://localhost:1234/k/v1/... HTTP/1.1`) are forwarded to the
  origin over a fresh connection; the whole response is buffered and sent back with a
  Content-Length (keep-alive to the client is kept).
* `CONNECT host:port` opens a tunnel (for https:// targets) and relays bytes both ways until
  either side closes.
* Only loopback targets (localhost, 127.0.0.1, ::1) are allowed: anything else is 403. The
  proxy binds 127.0.0.1 (plus ::1 when possible).
* With --user/--password every proxied request must carry `Proxy-Authorization: Basic ...`
  with those credentials; otherwise 407 with `Proxy-Authenticate: Basic realm="kintone-test-proxy"`.
  Proxy-Authorization is never forwarded.
* `GET /_proxy/stats` (origin form, sent to the proxy itself; no auth needed) answers JSON
  {"forwarded": n, "connect": n, "auth_refused": n, "denied": n, "errors": n,
   "by_target": {"localhost:1234": n, ...}, "auth_seen": n} and `POST /_proxy/stats/reset`
  zeroes it, so tests can prove requests went through the proxy (and authenticated).
"""

import argparse
import base64
import binascii
import hmac
import http.client
import json
import select
import signal
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")
HOP_BY_HOP = {"connection", "keep-alive", "proxy-authorization", "proxy-authenticate",
              "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade",
              "expect"}  # the proxy answered any 100-continue itself and has the whole body
TIMEOUT = 60  # seconds of silence before a tunnel or an origin request gives up
MAX_BODY = 64 * 1024 * 1024


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.counts = {"forwarded": 0, "connect": 0, "auth_refused": 0, "auth_seen": 0,
                       "denied": 0, "errors": 0}
        self.by_target = {}

    def add(self, key, target=None):
        with self.lock:
            self.counts[key] += 1
            if target:
                self.by_target[target] = self.by_target.get(target, 0) + 1

    def snapshot(self):
        with self.lock:
            out = dict(self.counts)
            out["by_target"] = dict(self.by_target)
            return out

    def clear(self):
        with self.lock:
            self.reset()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "kintone-test-proxy"
    sys_version = ""

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def _reply(self, status, body=b"", ctype="text/plain;charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _read_body(self):
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            chunks, total = [], 0
            while True:
                size = int(self.rfile.readline(65537).split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    return b"".join(chunks)
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(65537)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(length) if length > 0 else b""

    def _authorised(self):
        """True when no proxy auth is configured or the request carries the right one."""
        want = self.server.credentials
        if want is None:
            return True
        value = self.headers.get("Proxy-Authorization") or ""
        if not value.startswith("Basic "):
            return False
        try:
            user, sep, password = base64.b64decode(value[6:].strip(), validate=True).decode("utf-8").partition(":")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            return False
        return bool(sep) and hmac.compare_digest(user, want[0]) and hmac.compare_digest(password, want[1])

    def _refuse_auth(self):
        self.server.stats.add("auth_refused")
        self._reply(407, b"Proxy authentication required\n",
                    headers=[("Proxy-Authenticate", 'Basic realm="kintone-test-proxy"')])

    # -- own endpoints and forwarding

    def _handle(self):
        if (self.headers.get("Connection") or "").lower() == "close" or \
                (self.headers.get("Proxy-Connection") or "").lower() == "close":
            self.close_connection = True
        try:
            body = self._read_body()
        except (ValueError, OSError):
            self.close_connection = True
            self._reply(400, b"bad request body\n")
            return
        if self.path.startswith("/"):
            self._own(body)
            return
        parts = urlsplit(self.path)
        if parts.scheme != "http" or not parts.hostname:
            self._reply(400, b"absolute http:// URI required (use CONNECT for https)\n")
            return
        if not self._authorised():
            self._refuse_auth()
            return
        if self.server.credentials is not None:
            self.server.stats.add("auth_seen")
        host, port = parts.hostname, parts.port or 80
        if host not in LOOPBACK:
            self.server.stats.add("denied")
            self._reply(403, b"only loopback targets are allowed\n")
            return
        target = "%s:%d" % (host, port)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        try:
            conn = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
            try:
                conn.request(self.command, path, body=body if body or self.command in ("POST", "PUT") else None,
                             headers=headers)
                resp = conn.getresponse()
                data = resp.read()
                status, rheaders = resp.status, resp.getheaders()
            finally:
                conn.close()
        except (OSError, http.client.HTTPException) as e:
            self.server.stats.add("errors")
            self._reply(502, ("proxy: cannot reach %s: %s\n" % (target, e)).encode("utf-8"))
            return
        self.server.stats.add("forwarded", target)
        self.send_response(status)
        ctype_seen = False
        for k, v in rheaders:
            if k.lower() in HOP_BY_HOP or k.lower() == "content-length":
                continue
            ctype_seen = ctype_seen or k.lower() == "content-type"
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def _own(self, body):
        stats = self.server.stats
        if self.path == "/_proxy/stats" and self.command == "GET":
            self._reply(200, json.dumps(stats.snapshot()).encode("utf-8"), "application/json")
        elif self.path == "/_proxy/stats/reset" and self.command == "POST":
            stats.clear()
            self._reply(200, b"{}", "application/json")
        else:
            self._reply(404, b"not a proxy request\n")

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

    def do_CONNECT(self):
        host, sep, port = self.path.rpartition(":")
        host = host.strip("[]")
        if not sep or not port.isdigit():
            self._reply(400, b"CONNECT host:port required\n")
            return
        if not self._authorised():
            self._refuse_auth()
            return
        if self.server.credentials is not None:
            self.server.stats.add("auth_seen")
        if host not in LOOPBACK:
            self.server.stats.add("denied")
            self._reply(403, b"only loopback targets are allowed\n")
            return
        try:
            upstream = socket.create_connection((host, int(port)), timeout=TIMEOUT)
        except OSError as e:
            self.server.stats.add("errors")
            self._reply(502, ("proxy: cannot reach %s: %s\n" % (self.path, e)).encode("utf-8"))
            return
        self.server.stats.add("connect", "%s:%s" % (host, port))
        self.wfile.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
        self.wfile.flush()
        self.close_connection = True
        self._relay(self.connection, upstream)

    @staticmethod
    def _relay(a, b):
        try:
            socks = [a, b]
            while True:
                ready, _, _ = select.select(socks, [], [], TIMEOUT)
                if not ready:
                    return
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    (b if s is a else a).sendall(data)
        except OSError:
            return
        finally:
            b.close()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address, family, credentials, stats, verbose):
        self.address_family = family
        self.credentials = credentials
        self.stats = stats
        self.verbose = verbose
        super().__init__(address, Handler)

    def handle_error(self, request, client_address):
        if self.verbose:
            super().handle_error(request, client_address)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="proxy.py", description="Test HTTP forward proxy (loopback only).")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    parser.add_argument("--user", help="require Proxy-Authorization Basic with this user")
    parser.add_argument("--password", help="... and this password")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    if bool(args.user) != (args.password is not None):
        parser.error("--user and --password go together")
    credentials = (args.user, args.password) if args.user else None
    stats = Stats()
    servers = [Server((args.host, args.port), socket.AF_INET, credentials, stats, args.verbose)]
    port = servers[0].server_address[1]
    if args.host in ("127.0.0.1", "localhost") and socket.has_ipv6:
        try:
            servers.append(Server(("::1", port), socket.AF_INET6, credentials, stats, args.verbose))
        except OSError:
            pass
    for srv in servers:
        threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.5}, daemon=True).start()
    print("http://localhost:%d" % port, flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    while not stop.wait(3600):
        pass
    for srv in servers:
        srv.shutdown()
        srv.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
