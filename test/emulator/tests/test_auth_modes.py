"""Tests of the auth-related emulator features and test harness (issue 4), over real sockets:

* OAuth: /oauth2/authorization, /oauth2/token (authorization_code, refresh_token), expiry by the
  emulator clock, revocation, scopes, cursor/bulkRequest refused to Bearer tokens;
* the domain Basic layer switched at run time (POST /_emulator/basic_auth);
* HTTPS (--tls-cert/--tls-key) and required client certificates (--client-ca) with the PKI of
  ../tls/make-certs.sh (generated once into a temporary directory);
* the forward proxy ../proxy/proxy.py (absolute-URI forwarding, CONNECT, proxy auth, stats).
No test depends on timing: expiry is driven through the emulator clock.
"""

import base64
import http.client
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import unittest
import urllib.parse

from tests.test_api import SAMPLE, EmulatorTestCase, password_header

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
EMULATOR = os.path.join(ROOT, "kintone-emulator")
MAKE_CERTS = os.path.join(ROOT, "..", "tls", "make-certs.sh")
PROXY = os.path.join(ROOT, "..", "proxy", "proxy.py")

CLIENT = {"client_id": "kfdw-client", "client_secret": "kfdw-client-secret",
          "redirect_uris": ["https://localhost/callback", "http://127.0.0.1:9/cb?x=1"]}
RESTRICTED = {"client_id": "tanaka-only", "client_secret": "s3cret", "redirect_uris": ["https://localhost/cb"],
              "users": ["tanaka"]}
REDIRECT = CLIENT["redirect_uris"][0]
READ = "k:app_record:read"

_tmp = None


def setUpModule():
    global _tmp
    _tmp = tempfile.mkdtemp(prefix="emu-auth-tests.")
    with open(SAMPLE, encoding="utf-8") as f:
        seed = json.load(f)
    seed["oauth_clients"] = [CLIENT, RESTRICTED]
    with open(os.path.join(_tmp, "seed.json"), "w", encoding="utf-8") as f:
        json.dump(seed, f, ensure_ascii=False)
    subprocess.run(["bash", MAKE_CERTS, os.path.join(_tmp, "tls")], check=True)


def tearDownModule():
    shutil.rmtree(_tmp, ignore_errors=True)


def tls_file(name):
    return os.path.join(_tmp, "tls", name)


def start_process(args, scheme="http"):
    proc = subprocess.Popen([sys.executable] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    if not line.startswith(scheme + "://localhost:"):
        proc.kill()
        raise RuntimeError("did not start: %r %s" % (line, proc.stderr.read()))
    return proc, line


def stop_process(proc):
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    proc.stdout.close()
    proc.stderr.close()


class SeededTestCase(EmulatorTestCase):
    """EmulatorTestCase on sample-data.json plus the OAuth clients above."""

    emulator_args = ()
    scheme = "http"

    @classmethod
    def setUpClass(cls):
        cls.proc, cls.url = start_process([EMULATOR, "--port", "0", "--data", os.path.join(_tmp, "seed.json")]
                                          + list(cls.emulator_args), cls.scheme)
        parsed = urllib.parse.urlparse(cls.url)
        cls.host, cls.port = parsed.hostname, parsed.port

    @classmethod
    def tearDownClass(cls):
        stop_process(cls.proc)

    def setUp(self):
        super().setUp()
        self.control("POST", "/_emulator/clock", {"now": None})
        self.control("POST", "/_emulator/oauth/config", {"access_token_lifetime": 3600,
                                                         "rotate_refresh_tokens": False})
        for user in ("sato", "tanaka"):  # issued tokens survive reset: start each test without any
            self.control("POST", "/_emulator/oauth/revoke", {"user": user})


# ------------------------------------------------------------------------ OAuth

class OAuthTests(SeededTestCase):

    def get_code(self, user="sato", scope=READ, client="kfdw-client", redirect_uri=None):
        body = {"client_id": client, "user": user, "scope": scope}
        if redirect_uri:
            body["redirect_uri"] = redirect_uri
        resp = self.control("POST", "/_emulator/oauth/code", body)
        self.assertEqual(resp.status, 200, resp.raw)
        return resp.json["code"]

    def token_request(self, form, basic=None):
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        if basic:
            headers["Authorization"] = "Basic " + base64.b64encode(("%s:%s" % basic).encode()).decode()
        return self.raw_request("POST", "/oauth2/token", urllib.parse.urlencode(form).encode(), headers)

    def exchange(self, code, redirect_uri=REDIRECT, secret="kfdw-client-secret"):
        return self.token_request({"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                                   "client_id": "kfdw-client", "client_secret": secret})

    def tokens(self, user="sato", scope=READ):
        resp = self.exchange(self.get_code(user, scope))
        self.assertEqual(resp.status, 200, resp.raw)
        return resp.json

    def refresh(self, refresh_token, basic=("kfdw-client", "kfdw-client-secret"), scope=None):
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        if scope:
            form["scope"] = scope
        return self.token_request(form, basic=basic)

    def bearer(self, token, api="records", params=None, method="GET", body=None):
        return self.call(method, api, params=params if params is not None else {"app": 1}, body=body, auth=None,
                         headers={"Authorization": "Bearer " + token})

    def assertOAuthError(self, resp, status, error):
        self.assertEqual(resp.status, status, resp.raw)
        self.assertEqual(resp.json["error"], error)
        self.assertTrue(resp.json["error_description"])

    # -- authorization endpoint

    def auth_path(self, **params):
        base = {"client_id": "kfdw-client", "redirect_uri": REDIRECT, "state": "st-1", "response_type": "code",
                "scope": READ}
        base.update(params)
        return "/oauth2/authorization?" + urllib.parse.urlencode({k: v for k, v in base.items() if v is not None})

    def test_authorization_redirects_with_code_and_state(self):
        resp = self.raw_request("GET", self.auth_path(), headers=password_header("sato"))
        self.assertEqual(resp.status, 302)
        loc = urllib.parse.urlsplit(resp.header("Location"))
        self.assertEqual("%s://%s%s" % (loc.scheme, loc.netloc, loc.path), REDIRECT)
        q = dict(urllib.parse.parse_qsl(loc.query))
        self.assertEqual(q["state"], "st-1")
        resp = self.exchange(q["code"])
        self.assertEqual(resp.status, 200, resp.raw)
        body = resp.json
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["expires_in"], 3600)
        self.assertEqual(body["scope"], READ)
        self.assertEqual(resp.header("Cache-Control"), "no-store")
        self.assertEqual(self.bearer(body["access_token"]).status, 200)

    def test_authorization_with_basic_user_credentials(self):
        basic = "Basic " + base64.b64encode(b"tanaka:tanaka-pass").decode()
        resp = self.raw_request("GET", self.auth_path(), headers={"Authorization": basic})
        self.assertEqual(resp.status, 302)
        self.assertIn("code=", resp.header("Location"))

    def test_authorization_keeps_query_of_redirect_uri(self):
        uri = CLIENT["redirect_uris"][1]
        resp = self.raw_request("GET", self.auth_path(redirect_uri=uri, state=None), headers=password_header("sato"))
        self.assertEqual(resp.status, 302)
        self.assertTrue(resp.header("Location").startswith(uri + "&code="), resp.header("Location"))
        self.assertNotIn("state=", resp.header("Location"))

    def test_authorization_without_credentials_shows_a_page(self):
        resp = self.raw_request("GET", self.auth_path())
        self.assertEqual(resp.status, 200)
        self.assertTrue(resp.header("Content-Type").startswith("text/html"))

    def test_authorization_errors(self):
        resp = self.raw_request("GET", self.auth_path(client_id="nope"), headers=password_header("sato"))
        self.assertOAuthError(resp, 400, "invalid_client")
        resp = self.raw_request("GET", self.auth_path(redirect_uri="https://evil.example/cb"),
                                headers=password_header("sato"))
        self.assertOAuthError(resp, 400, "invalid_request")
        self.assertIsNone(resp.header("Location"))
        resp = self.raw_request("GET", self.auth_path(), headers=password_header("sato", "wrong"))
        self.assertOAuthError(resp, 401, "access_denied")
        for params, error in (({"response_type": "token"}, "unsupported_response_type"),
                              ({"scope": "k:app_record:read k:everything"}, "invalid_scope"),
                              ({"scope": ""}, "invalid_scope")):
            resp = self.raw_request("GET", self.auth_path(**params), headers=password_header("sato"))
            self.assertEqual(resp.status, 302, params)
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(resp.header("Location")).query))
            self.assertEqual(q, {"error": error, "state": "st-1"})

    def test_client_user_allow_list(self):
        path = self.auth_path(client_id="tanaka-only", redirect_uri="https://localhost/cb")
        resp = self.raw_request("GET", path, headers=password_header("sato"))
        self.assertEqual(resp.status, 302)
        self.assertIn("error=access_denied", resp.header("Location"))
        resp = self.raw_request("GET", path, headers=password_header("tanaka"))
        self.assertIn("code=", resp.header("Location"))
        resp = self.control("POST", "/_emulator/oauth/code", {"client_id": "tanaka-only", "user": "sato",
                                                              "scope": READ})
        self.assertEqual(resp.status, 400)

    # -- token endpoint

    def test_code_is_single_use_and_bound_to_redirect_uri_and_client(self):
        code = self.get_code()
        self.assertOAuthError(self.exchange(code, redirect_uri="https://localhost/other"), 400, "invalid_grant")
        self.assertOAuthError(self.exchange(code), 400, "invalid_grant")  # consumed by the failed try
        code = self.get_code()
        self.assertEqual(self.exchange(code).status, 200)
        self.assertOAuthError(self.exchange(code), 400, "invalid_grant")
        code = self.get_code(client="tanaka-only", user="tanaka", redirect_uri="https://localhost/cb")
        self.assertOAuthError(self.exchange(code, redirect_uri="https://localhost/cb"), 400, "invalid_grant")

    def test_code_expires_by_the_emulator_clock(self):
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:00:00Z"})
        code = self.get_code()
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:10:01Z"})
        self.assertOAuthError(self.exchange(code), 400, "invalid_grant")

    def test_client_authentication(self):
        self.assertOAuthError(self.exchange(self.get_code(), secret="wrong"), 401, "invalid_client")
        resp = self.token_request({"grant_type": "authorization_code", "code": self.get_code(),
                                   "redirect_uri": REDIRECT})
        self.assertOAuthError(resp, 401, "invalid_client")
        resp = self.token_request({"grant_type": "authorization_code", "code": self.get_code(),
                                   "redirect_uri": REDIRECT}, basic=("kfdw-client", "bad"))
        self.assertOAuthError(resp, 401, "invalid_client")
        self.assertTrue(resp.header("WWW-Authenticate").startswith("Basic"))
        resp = self.token_request({"grant_type": "authorization_code", "code": self.get_code(),
                                   "redirect_uri": REDIRECT}, basic=("kfdw-client", "kfdw-client-secret"))
        self.assertEqual(resp.status, 200, resp.raw)

    def test_grant_type_errors(self):
        basic = ("kfdw-client", "kfdw-client-secret")
        self.assertOAuthError(self.token_request({}, basic=basic), 400, "invalid_request")
        self.assertOAuthError(self.token_request({"grant_type": "password"}, basic=basic), 400,
                              "unsupported_grant_type")
        self.assertOAuthError(self.token_request({"grant_type": "refresh_token"}, basic=basic), 400,
                              "invalid_request")
        self.assertOAuthError(self.refresh("no-such-token"), 400, "invalid_grant")

    def test_access_token_expires_and_refresh_gives_a_new_one(self):
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:00:00Z"})
        tok = self.tokens()
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:59:59Z"})
        self.assertEqual(self.bearer(tok["access_token"]).status, 200)
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T01:00:00Z"})
        resp = self.bearer(tok["access_token"])
        self.assertError(resp, 401, "CB_AU01")
        self.assertEqual(resp.header("WWW-Authenticate"), 'Bearer error="invalid_token"')
        resp = self.refresh(tok["refresh_token"])
        self.assertEqual(resp.status, 200, resp.raw)
        new = resp.json
        self.assertNotEqual(new["access_token"], tok["access_token"])
        self.assertEqual(new["refresh_token"], tok["refresh_token"])  # no rotation by default
        self.assertEqual(new["scope"], READ)
        self.assertEqual(self.bearer(new["access_token"]).status, 200)
        stats = self.control("GET", "/_emulator/oauth").json
        self.assertGreaterEqual(stats["refresh_token_grants"], 1)
        self.assertGreaterEqual(stats["bearer_rejected"], 1)

    def test_refresh_token_rotation_flag(self):
        self.assertEqual(self.control("POST", "/_emulator/oauth/config", {"rotate_refresh_tokens": True}).status, 200)
        tok = self.tokens()
        new = self.refresh(tok["refresh_token"]).json
        self.assertNotEqual(new["refresh_token"], tok["refresh_token"])
        self.assertOAuthError(self.refresh(tok["refresh_token"]), 400, "invalid_grant")
        self.assertEqual(self.refresh(new["refresh_token"]).status, 200)

    def test_access_token_lifetime_is_configurable(self):
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:00:00Z"})
        self.control("POST", "/_emulator/oauth/config", {"access_token_lifetime": 60})
        tok = self.tokens()
        self.assertEqual(tok["expires_in"], 60)
        self.control("POST", "/_emulator/clock", {"now": "2030-01-01T00:01:00Z"})
        self.assertError(self.bearer(tok["access_token"]), 401, "CB_AU01")
        self.assertEqual(self.control("POST", "/_emulator/oauth/config", {"access_token_lifetime": 0}).status, 400)

    def test_refresh_scope_narrowing(self):
        tok = self.tokens(scope="k:app_record:read k:app_settings:read")
        resp = self.refresh(tok["refresh_token"], scope=READ)
        self.assertEqual(resp.json["scope"], READ)
        self.assertOAuthError(self.refresh(tok["refresh_token"], scope="k:app_record:write"), 400, "invalid_scope")

    def test_revocation(self):
        tok = self.tokens()
        self.assertEqual(self.control("POST", "/_emulator/oauth/revoke",
                                      {"refresh_token": tok["refresh_token"]}).json, {"revoked": 1})
        self.assertOAuthError(self.refresh(tok["refresh_token"]), 400, "invalid_grant")
        self.assertEqual(self.bearer(tok["access_token"]).status, 200)  # still valid until it expires
        self.control("POST", "/_emulator/oauth/revoke", {"access_token": tok["access_token"]})
        self.assertError(self.bearer(tok["access_token"]), 401, "CB_AU01")
        tok = self.tokens()
        self.assertEqual(self.control("POST", "/_emulator/oauth/revoke", {"user": "sato"}).json, {"revoked": 2})
        self.assertError(self.bearer(tok["access_token"]), 401, "CB_AU01")
        self.assertEqual(self.control("POST", "/_emulator/oauth/revoke", {}).status, 400)

    def test_secrets_lists_every_issued_token(self):
        first = self.tokens()
        self.control("POST", "/_emulator/oauth/config", {"rotate_refresh_tokens": True})
        second = self.refresh(first["refresh_token"]).json
        self.control("POST", "/_emulator/oauth/revoke", {"user": "sato"})
        self.control("POST", "/_emulator/basic_auth", {"user": "u", "password": "layer-secret"})
        listed = self.control("GET", "/_emulator/secrets").json
        for t in (first["access_token"], first["refresh_token"], second["access_token"], second["refresh_token"]):
            self.assertIn(t, listed["oauth_tokens"])
        self.assertIn("layer-secret", listed["basic_auth_passwords"])
        out = subprocess.run([sys.executable, os.path.join(ROOT, "list-secrets.py"), os.path.join(_tmp, "seed.json"),
                              self.url], capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        lines = out.stdout.splitlines()
        for s in (first["access_token"], second["refresh_token"], "layer-secret", "sato-pass", "app1viewtoken",
                  "kfdw-client-secret", "proxy-pass-123", "client-p12-pass"):
            self.assertIn(s, lines)

    def test_check_secret_leaks_in_lib_sh(self):
        tok = self.tokens()
        lib = os.path.join(ROOT, "..", "lib.sh")
        seed = os.path.join(_tmp, "seed.json")
        clean = os.path.join(_tmp, "clean.log")
        dirty = os.path.join(_tmp, "dirty.log")
        with open(clean, "w") as f:
            f.write("LOG:  statement: SELECT 1\nERROR:  Kintone refused the password of user mapping\n")
        with open(dirty, "w") as f:
            f.write("STATEMENT:  SELECT x FROM t -- %s\n" % tok["refresh_token"])
        script = '. "$0"; EMULATOR_URL=$1 check_secret_leaks "$2" "$3"'
        env = dict(os.environ)
        for k in ("KINTONE_EMULATOR_TLS_URL", "KINTONE_EMULATOR_MTLS_URL", "KINTONE_TEST_TLS_DIR"):
            env.pop(k, None)
        out = subprocess.run(["bash", "-c", script, lib, self.url, clean, seed], capture_output=True, text=True,
                             env=env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        out = subprocess.run(["bash", "-c", script, lib, self.url, dirty, seed], capture_output=True, text=True,
                             env=env, timeout=60)
        self.assertEqual(out.returncode, 1, out.stderr)
        self.assertIn(tok["refresh_token"], out.stderr)

    def test_faults_apply_to_the_token_endpoint(self):
        tok = self.tokens()
        self.assertEqual(self.control("POST", "/_emulator/faults", {"match": "^/oauth2/token$", "count": 1,
                                                                    "status": 503, "body": "down"}).status, 200)
        resp = self.refresh(tok["refresh_token"])
        self.assertEqual((resp.status, resp.raw), (503, b"down"))
        self.assertEqual(self.refresh(tok["refresh_token"]).status, 200)  # the rule was used up
        self.control("POST", "/_emulator/faults", {"match": "^/oauth2/token$", "count": 1, "drop_connection": True})
        with self.assertRaises((ConnectionError, http.client.HTTPException)):
            self.refresh(tok["refresh_token"])
        self.control("POST", "/_emulator/faults", {"match": "^/oauth2/token$", "count": 1, "truncate_body": True})
        with self.assertRaises(http.client.IncompleteRead):
            self.refresh(tok["refresh_token"])
        self.assertEqual(self.refresh(tok["refresh_token"]).status, 200)

    def test_tokens_survive_reset(self):
        tok = self.tokens()
        self.control("POST", "/_emulator/reset")
        self.assertEqual(self.bearer(tok["access_token"]).status, 200)

    def test_scopes_enforced_and_cursor_and_bulk_refused(self):
        tok = self.tokens(scope=READ)["access_token"]
        self.assertEqual(self.bearer(tok).status, 200)
        self.assertError(self.bearer(tok, "record", method="POST", params={},
                                     body={"app": 1, "record": {}}), 403, "CB_NO02")
        self.assertError(self.bearer(tok, "app/form/fields", params={"app": 1}), 403, "CB_NO02")
        self.assertError(self.bearer(tok, "records/cursor", method="POST", params={}, body={"app": 1}),
                         400, "CB_OA01")
        self.assertError(self.bearer(tok, "bulkRequest", method="POST", params={}, body={"requests": [
            {"method": "POST", "api": "/k/v1/record.json", "payload": {"app": 1, "record": {}}}]}), 400, "CB_OA01")
        # $id seek (the OAuth way past 10,000 records) works.
        resp = self.bearer(tok, params={"app": 1, "query": "$id > 3 order by $id asc limit 2"})
        self.assertEqual(self.ids_of(resp), [4, 5])

    def test_password_wins_over_bearer(self):
        headers = dict(password_header("sato"))
        headers["Authorization"] = "Bearer nonsense"
        self.assertEqual(self.call("GET", "records", params={"app": 1}, auth=None, headers=headers).status, 200)

    def test_control_code_validation(self):
        for body in ({"client_id": "nope", "user": "sato", "scope": READ},
                     {"client_id": "kfdw-client", "user": "nobody", "scope": READ},
                     {"client_id": "kfdw-client", "user": "sato", "scope": "bad"},
                     {"client_id": "kfdw-client", "user": "sato", "scope": READ, "redirect_uri": "https://x/"}):
            self.assertEqual(self.control("POST", "/_emulator/oauth/code", body).status, 400, body)
        resp = self.control("POST", "/_emulator/oauth/code", {"client_id": "kfdw-client", "user": "sato",
                                                              "scope": [READ, "k:file:read"]})
        self.assertEqual(resp.json["scope"], "k:app_record:read k:file:read")
        self.assertEqual(resp.json["redirect_uri"], REDIRECT)


# ------------------------------------------------------------------------ Basic layer switch

class BasicLayerTests(SeededTestCase):

    def basic(self, user, password):
        return {"Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}

    def test_request_log_shows_credential_kinds_without_values(self):
        self.control("POST", "/_emulator/requests/reset")
        headers = dict(self.basic("bu", "bp"), **{"X-Cybozu-API-Token": "app1viewtoken,app4fulltoken",
                                                  "User-Agent": "kfdw-test/1.0"})
        self.call("GET", "records", params={"app": 4}, auth=("sato",), headers=headers)
        self.call("POST", "records", body={"app": 1}, auth=None, headers={"X-HTTP-Method-Override": "GET",
                                                                          "Authorization": "Bearer x"})
        log = self.control("GET", "/_emulator/requests").json
        self.assertEqual(log["connections"], 2)
        first, second = log["requests"]
        self.assertEqual(first, {"method": "GET", "path": "/k/v1/records.json", "auth": ["password", "api_token", "basic"],
                                 "api_tokens": 2, "user_agent": "kfdw-test/1.0", "tls": False, "client_cert": None,
                                 "connection": first["connection"]})
        self.assertEqual((second["method"], second["auth"], second["api_tokens"]), ("GET", ["bearer"], 0))
        self.assertNotEqual(first["connection"], second["connection"])
        self.assertNotIn("app1viewtoken", json.dumps(log))
        self.assertEqual(self.control("POST", "/_emulator/requests/reset").status, 200)
        self.assertEqual(self.control("GET", "/_emulator/requests").json, {"connections": 0, "requests": []})

    def test_switch_on_and_off(self):
        token = {"X-Cybozu-API-Token": "app1viewtoken"}
        self.assertEqual(self.call("GET", "records", params={"app": 1}, auth=None, headers=token).status, 200)
        resp = self.control("POST", "/_emulator/basic_auth", {"user": "bu", "password": "bp"})
        self.assertEqual(resp.json, {"enabled": True, "user": "bu"})
        resp = self.call("GET", "records", params={"app": 1}, auth=None, headers=token)
        self.assertEqual(resp.status, 401)
        self.assertTrue(resp.header("WWW-Authenticate").startswith("Basic"))
        wrong = dict(token, **self.basic("bu", "nope"))
        self.assertEqual(self.call("GET", "records", params={"app": 1}, auth=None, headers=wrong).status, 401)
        good = dict(token, **self.basic("bu", "bp"))
        self.assertEqual(self.call("GET", "records", params={"app": 1}, auth=None, headers=good).status, 200)
        # Basic layer + password: both credentials checked.
        resp = self.call("GET", "records", params={"app": 1}, auth=("sato", "wrong"), headers=self.basic("bu", "bp"))
        self.assertError(resp, 401, "CB_WA01")
        self.assertEqual(self.control("GET", "/_emulator/basic_auth").json["enabled"], True)
        self.assertEqual(self.control("POST", "/_emulator/basic_auth", {"user": None}).json,
                         {"enabled": False, "user": None})
        self.assertEqual(self.call("GET", "records", params={"app": 1}, auth=None, headers=token).status, 200)

    def test_reset_restores_the_seed_setting(self):
        self.control("POST", "/_emulator/basic_auth", {"user": "bu", "password": "bp"})
        self.control("POST", "/_emulator/reset")
        self.assertEqual(self.control("GET", "/_emulator/basic_auth").json["enabled"], False)

    def test_bad_body(self):
        self.assertEqual(self.control("POST", "/_emulator/basic_auth", {"user": "bu"}).status, 400)
        self.assertEqual(self.control("POST", "/_emulator/basic_auth", [1]).status, 400)


# ------------------------------------------------------------------------ TLS

def client_context(ca="ca.pem", cert=None, key=None, password=None):
    ctx = ssl.create_default_context(cafile=tls_file(ca))
    if cert:
        ctx.load_cert_chain(tls_file(cert), tls_file(key), password=password)
    return ctx


class HTTPSTestCase(SeededTestCase):
    scheme = "https"
    context = None
    cert = "server"

    @classmethod
    def setUpClass(cls):
        cls.emulator_args = ("--tls-cert", tls_file(cls.cert + ".pem"), "--tls-key", tls_file(cls.cert + ".key")) + \
            tuple(cls.extra_args)
        super().setUpClass()

    def raw_request(self, method, path, body=None, headers=None, conn=None, context=None):
        if conn is None:
            conn = http.client.HTTPSConnection(self.host, self.port, timeout=30, context=context or self.context)
            try:
                return super().raw_request(method, path, body, headers, conn)
            finally:
                conn.close()
        return super().raw_request(method, path, body, headers, conn)


class TLSTests(HTTPSTestCase):
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.context = client_context()
        super().setUpClass()

    def test_https_url_and_api(self):
        self.assertTrue(self.url.startswith("https://localhost:"))
        resp = self.call("GET", "record", params={"app": 1, "id": 1})
        self.assertEqual(resp.status, 200)
        # keep-alive over TLS: one connection in the request log
        self.control("POST", "/_emulator/requests/reset")
        conn = http.client.HTTPSConnection(self.host, self.port, timeout=30, context=self.context)
        try:
            for _ in range(3):
                self.assertEqual(self.raw_request("GET", "/k/v1/record.json?app=1&id=1",
                                                  headers=password_header("sato"), conn=conn).status, 200)
        finally:
            conn.close()
        log = self.control("GET", "/_emulator/requests").json
        self.assertEqual(len({r["connection"] for r in log["requests"]}), 1)
        self.assertEqual([(r["tls"], r["client_cert"]) for r in log["requests"]], [(True, None)] * 3)

    def test_certificate_names(self):
        for host in ("localhost", "127.0.0.1"):
            conn = http.client.HTTPSConnection(host, self.port, timeout=30, context=self.context)
            try:
                conn.request("GET", "/k/v1/record.json?app=1&id=1", headers=password_header("sato"))
                self.assertEqual(conn.getresponse().status, 200)
            finally:
                conn.close()

    def test_untrusted_ca_fails_verification(self):
        with self.assertRaises(ssl.SSLCertVerificationError):
            self.raw_request("GET", "/k/v1/record.json?app=1&id=1", context=client_context("other-ca.pem"))

    def test_plain_http_to_tls_port_gets_no_answer(self):
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        try:
            with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
                conn.request("GET", "/k/v1/record.json?app=1&id=1")
                conn.getresponse().read()
        finally:
            conn.close()

    def test_oauth_endpoints_over_tls(self):
        code = self.control("POST", "/_emulator/oauth/code", {"client_id": "kfdw-client", "user": "sato",
                                                              "scope": READ}).json["code"]
        resp = self.raw_request("POST", "/oauth2/token", urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": "kfdw-client",
            "client_secret": "kfdw-client-secret"}).encode(), {"Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual(resp.status, 200, resp.raw)


class MutualTLSTests(HTTPSTestCase):
    extra_args = ()

    @classmethod
    def setUpClass(cls):
        cls.extra_args = ("--client-ca", tls_file("ca.pem"))
        cls.context = client_context(cert="client.pem", key="client.key")
        super().setUpClass()

    def test_client_certificate_accepted(self):
        self.control("POST", "/_emulator/requests/reset")
        self.assertEqual(self.call("GET", "record", params={"app": 1, "id": 1}).status, 200)
        self.assertEqual(self.control("GET", "/_emulator/requests").json["requests"][0]["client_cert"], "kfdw-client")
        ctx = client_context(cert="client.pem", key="client-enc.key", password="client-key-pass")
        self.assertEqual(self.raw_request("GET", "/k/v1/record.json?app=1&id=1", headers=password_header("sato"),
                                          context=ctx).status, 200)

    def assertRefused(self, context):
        with self.assertRaises((ssl.SSLError, ConnectionError, http.client.HTTPException, OSError)):
            self.raw_request("GET", "/k/v1/record.json?app=1&id=1", headers=password_header("sato"),
                             context=context)

    def test_missing_client_certificate_refused(self):
        self.assertRefused(client_context())

    def test_untrusted_client_certificate_refused(self):
        self.assertRefused(client_context(cert="untrusted-client.pem", key="untrusted-client.key"))

    def test_server_survives_refused_handshakes(self):
        for _ in range(3):
            self.assertRefused(client_context())
        self.assertEqual(self.call("GET", "record", params={"app": 1, "id": 1}).status, 200)


    def test_emulator_ctl_over_mtls(self):
        ctl = os.path.join(ROOT, "emulator-ctl")
        env = dict(os.environ, KINTONE_EMULATOR_URL=self.url, KINTONE_TEST_TLS_DIR=os.path.join(_tmp, "tls"))
        out = subprocess.run([sys.executable, ctl, "POST", "/_emulator/oauth/code", json.dumps(
            {"client_id": "kfdw-client", "user": "sato", "scope": READ}), "--field", "code"],
            capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        code = out.stdout.strip()
        self.assertGreater(len(code), 20)
        out = subprocess.run([sys.executable, ctl, "--url", self.url, "GET", "/_emulator/nope"],
                             capture_output=True, text=True, env=env, timeout=60)
        self.assertEqual(out.returncode, 1)
        self.assertIn("unknown control API", out.stdout)


class WrongHostTests(HTTPSTestCase):
    extra_args = ()
    cert = "wrong-host"

    @classmethod
    def setUpClass(cls):
        cls.context = client_context()
        super().setUpClass()

    def setUp(self):
        pass  # control calls would fail verification too

    def test_hostname_mismatch_refused_but_chain_valid(self):
        with self.assertRaises(ssl.SSLCertVerificationError) as cm:
            self.raw_request("GET", "/k/v1/record.json?app=1&id=1")
        self.assertIn("Hostname mismatch", str(cm.exception))
        ctx = client_context()
        ctx.check_hostname = False  # the chain itself verifies against the test CA
        resp = self.raw_request("GET", "/k/v1/record.json?app=1&id=1", headers=password_header("sato"), context=ctx)
        self.assertEqual(resp.status, 200)


class CertificateFileTests(unittest.TestCase):

    def test_files_and_permissions(self):
        for name in ("ca.pem", "ca.key", "server.pem", "server.key", "client.pem", "client.key", "client-enc.key",
                     "client.p12", "other-ca.pem", "untrusted-client.pem", "untrusted-client.key", "wrong-host.pem",
                     "wrong-host.key"):
            mode = os.stat(tls_file(name)).st_mode
            self.assertTrue(mode & 0o004, "%s must be world-readable (the postgres user reads it)" % name)
        out = subprocess.run(["openssl", "pkcs12", "-in", tls_file("client.p12"), "-passin", "pass:client-p12-pass",
                              "-nokeys", "-clcerts"], capture_output=True, text=True)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("kfdw-client", out.stdout)
        out = subprocess.run(["openssl", "pkey", "-in", tls_file("client-enc.key"), "-passin", "pass:wrong",
                              "-noout"], capture_output=True)
        self.assertNotEqual(out.returncode, 0)

    def test_idempotent(self):
        with open(tls_file("ca.pem")) as f:
            before = f.read()
        subprocess.run(["bash", MAKE_CERTS, os.path.join(_tmp, "tls")], check=True)
        with open(tls_file("ca.pem")) as f:
            self.assertEqual(f.read(), before)

    def test_bad_tls_files_exit_2(self):
        out = subprocess.run([sys.executable, EMULATOR, "--tls-cert", "/nonexistent.pem", "--tls-key", "/x.key"],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 2)
        out = subprocess.run([sys.executable, EMULATOR, "--client-ca", tls_file("ca.pem")],
                             capture_output=True, text=True, timeout=30)
        self.assertEqual(out.returncode, 2)


# ------------------------------------------------------------------------ proxy

class ProxyTests(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        seed = os.path.join(_tmp, "seed.json")
        cls.emu, cls.emu_url = start_process([EMULATOR, "--port", "0", "--data", seed])
        cls.tls, cls.tls_url = start_process([EMULATOR, "--port", "0", "--data", seed, "--tls-cert",
                                              tls_file("server.pem"), "--tls-key", tls_file("server.key")], "https")
        cls.proxy, cls.proxy_url = start_process([PROXY, "--port", "0", "--user", "proxyuser", "--password",
                                                  "proxy-pass-123"])
        cls.open_proxy, cls.open_proxy_url = start_process([PROXY, "--port", "0"])

    @classmethod
    def tearDownClass(cls):
        for p in (cls.emu, cls.tls, cls.proxy, cls.open_proxy):
            stop_process(p)

    def setUp(self):
        for url in (self.proxy_url, self.open_proxy_url):
            self.proxy_call(url, "POST", "/_proxy/stats/reset")

    @staticmethod
    def auth(user="proxyuser", password="proxy-pass-123"):
        return {"Proxy-Authorization": "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()}

    def proxy_call(self, proxy_url, method, target, headers=None, conn=None):
        p = urllib.parse.urlsplit(proxy_url)
        own = conn is None
        conn = conn or http.client.HTTPConnection(p.hostname, p.port, timeout=30)
        try:
            conn.request(method, target, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            if own:
                conn.close()

    def stats(self, url=None):
        return json.loads(self.proxy_call(url or self.proxy_url, "GET", "/_proxy/stats")[2])

    def test_forwards_absolute_uri_with_auth(self):
        headers = dict(self.auth(), **password_header("sato"))
        p = urllib.parse.urlsplit(self.proxy_url)
        conn = http.client.HTTPConnection(p.hostname, p.port, timeout=30)
        try:
            for i in (1, 2):  # keep-alive through the proxy
                status, _, body = self.proxy_call(self.proxy_url, "GET",
                                                  self.emu_url + "/k/v1/record.json?app=1&id=%d" % i, headers, conn)
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)["record"]["$id"]["value"], str(i))
        finally:
            conn.close()
        st = self.stats()
        self.assertEqual(st["forwarded"], 2)
        self.assertEqual(st["by_target"], {urllib.parse.urlsplit(self.emu_url).netloc: 2})

    def test_error_responses_pass_through(self):
        status, headers, body = self.proxy_call(self.proxy_url, "GET", self.emu_url + "/k/v1/records.json?app=1",
                                                self.auth())
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["code"], "CB_AU01")

    def test_proxy_auth_required(self):
        for headers in ({}, self.auth(password="wrong"), {"Proxy-Authorization": "Bearer x"}):
            status, h, _ = self.proxy_call(self.proxy_url, "GET", self.emu_url + "/k/v1/record.json?app=1&id=1",
                                           dict(headers, **password_header("sato")))
            self.assertEqual(status, 407)
            self.assertTrue(h["Proxy-Authenticate"].startswith("Basic"))
        self.assertEqual(self.stats()["auth_refused"], 3)
        self.assertEqual(self.stats()["forwarded"], 0)

    def test_open_proxy_needs_no_auth(self):
        status, _, _ = self.proxy_call(self.open_proxy_url, "GET", self.emu_url + "/k/v1/record.json?app=1&id=1",
                                       password_header("sato"))
        self.assertEqual(status, 200)
        self.assertEqual(self.stats(self.open_proxy_url)["forwarded"], 1)

    def test_connect_tunnel_to_https(self):
        p = urllib.parse.urlsplit(self.proxy_url)
        t = urllib.parse.urlsplit(self.tls_url)
        conn = http.client.HTTPSConnection(p.hostname, p.port, timeout=30, context=client_context())
        conn.set_tunnel(t.hostname, t.port, headers=self.auth())
        try:
            conn.request("GET", "/k/v1/record.json?app=1&id=1", headers=password_header("sato"))
            self.assertEqual(conn.getresponse().status, 200)
        finally:
            conn.close()
        self.assertEqual(self.stats()["connect"], 1)
        conn = http.client.HTTPSConnection(p.hostname, p.port, timeout=30, context=client_context())
        conn.set_tunnel(t.hostname, t.port, headers=self.auth(password="wrong"))
        try:
            with self.assertRaises(OSError) as cm:
                conn.request("GET", "/k/v1/record.json?app=1&id=1")
            self.assertIn("407", str(cm.exception))
        finally:
            conn.close()

    def test_only_loopback_targets(self):
        status, _, _ = self.proxy_call(self.proxy_url, "GET", "http://example.invalid/", self.auth())
        self.assertEqual(status, 403)
        s = socket.create_connection(("127.0.0.1", urllib.parse.urlsplit(self.proxy_url).port), timeout=30)
        try:
            req = "CONNECT example.invalid:443 HTTP/1.1\r\nHost: example.invalid:443\r\n%s\r\n" % "".join(
                "%s: %s\r\n" % kv for kv in self.auth().items())
            s.sendall(req.encode())
            self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 403"))
        finally:
            s.close()
        self.assertEqual(self.stats()["denied"], 2)

    def test_unreachable_target_is_502(self):
        port = socket.socket()
        port.bind(("127.0.0.1", 0))
        free = port.getsockname()[1]
        port.close()
        status, _, _ = self.proxy_call(self.proxy_url, "GET", "http://127.0.0.1:%d/" % free, self.auth())
        self.assertEqual(status, 502)


if __name__ == "__main__":
    unittest.main()
