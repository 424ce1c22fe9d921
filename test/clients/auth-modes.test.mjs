// Runs the OFFICIAL @kintone/rest-api-client, unchanged, against the emulator's auth modes
// (issue 4): OAuth bearer tokens, the domain Basic layer, HTTPS with a private CA, client
// certificates (clientCertAuth with a PKCS#12 file, as the client documents for Kintone's
// secure-access hosts) and an authenticating HTTP proxy. If a test here fails, the emulator (or
// the harness in test/tls, test/proxy) is wrong: never weaken an assertion to make it pass.
//
// Starts its own servers on free loopback ports (a plain, an HTTPS and a client-certificate
// HTTPS emulator, and test/proxy/proxy.py), generates the test PKI with test/tls/make-certs.sh
// into a temporary directory, and stops everything by PID at the end.
//
// Run: ./run.sh   (or: node --test auth-modes.test.mjs after `npm ci`)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import https from "node:https";
import { KintoneRestAPIClient, KintoneRestAPIError } from "@kintone/rest-api-client";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..");
const EMULATOR = path.join(REPO, "test", "emulator", "kintone-emulator");
const PROXY = path.join(REPO, "test", "proxy", "proxy.py");
const MAKE_CERTS = path.join(REPO, "test", "tls", "make-certs.sh");
const SAMPLE = path.join(REPO, "test", "emulator", "sample-data.json");
const run = promisify(execFile);

const OAUTH_CLIENT = {
  client_id: "kfdw-client",
  client_secret: "kfdw-client-secret",
  redirect_uris: ["https://localhost/callback"],
};
const VIEW_TOKEN = "app1viewtoken"; // app 1, view only (sample seed)
const PROXY_USER = "proxyuser";
const PROXY_PASSWORD = "proxy-pass-123";

let dir; // temporary directory: seed, PKI
const children = [];
const urls = {};

function startServer(args) {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", args, { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    children.push(child);
    let stderr = "";
    child.stderr.on("data", (c) => (stderr += c));
    child.on("error", reject);
    child.on("exit", (code) => reject(new Error(`${args[0]} exited early (${code}):\n${stderr}`)));
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line.trim()));
    lines.on("line", () => {});
  });
}

function stopAll() {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) process.kill(c.pid, "SIGTERM");
  }
}
process.on("exit", stopAll);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    stopAll();
    process.kill(process.pid, signal);
  });
}

const tls = (name) => path.join(dir, "tls", name);
const agent = (opts = {}) => new https.Agent({ ca: fs.readFileSync(tls("ca.pem")), ...opts });

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "kfdw-client-auth-"));
  const seed = JSON.parse(fs.readFileSync(SAMPLE, "utf8"));
  seed.oauth_clients = [OAUTH_CLIENT];
  fs.writeFileSync(path.join(dir, "seed.json"), JSON.stringify(seed));
  await run("bash", [MAKE_CERTS, path.join(dir, "tls")]);
  const base = [EMULATOR, "--port", "0", "--data", path.join(dir, "seed.json")];
  const tlsArgs = ["--tls-cert", tls("server.pem"), "--tls-key", tls("server.key")];
  [urls.plain, urls.tls, urls.mtls, urls.proxy] = await Promise.all([
    startServer(base),
    startServer([...base, ...tlsArgs]),
    startServer([...base, ...tlsArgs, "--client-ca", tls("ca.pem")]),
    startServer([PROXY, "--port", "0", "--user", PROXY_USER, "--password", PROXY_PASSWORD]),
  ]);
});

after(() => {
  stopAll();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function control(method, pathname, body) {
  const res = await fetch(urls.plain + pathname, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${pathname} -> ${res.status} ${text}`);
  return JSON.parse(text);
}

async function oauthTokens(scope) {
  const { code } = await control("POST", "/_emulator/oauth/code", { client_id: "kfdw-client", user: "sato", scope });
  const res = await fetch(urls.plain + "/oauth2/token", {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code,
      redirect_uri: OAUTH_CLIENT.redirect_uris[0],
      client_id: OAUTH_CLIENT.client_id,
      client_secret: OAUTH_CLIENT.client_secret,
    }),
  });
  assert.equal(res.status, 200);
  return res.json();
}

async function rejectsWithCode(promise, status, code) {
  await assert.rejects(promise, (e) => {
    assert.ok(e instanceof KintoneRestAPIError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.code, code);
    return true;
  });
}

test("OAuth: bearer token reads, scopes, no cursor, expiry", async () => {
  await control("POST", "/_emulator/clock", { now: "2030-01-01T00:00:00Z" });
  const tok = await oauthTokens("k:app_record:read");
  const client = new KintoneRestAPIClient({ baseUrl: urls.plain, auth: { oAuthToken: tok.access_token } });
  const { records } = await client.record.getRecords({ app: 1, query: "$id <= 3 order by $id asc" });
  assert.deepEqual(records.map((r) => r.$id.value), ["1", "2", "3"]);
  // getAllRecords without a condition pages by $id seek: works under OAuth.
  assert.equal((await client.record.getAllRecords({ app: 1 })).length, 30);
  await rejectsWithCode(client.record.getAllRecordsWithCursor({ app: 1 }), 400, "CB_OA01");
  await rejectsWithCode(client.record.addRecord({ app: 1, record: {} }), 403, "CB_NO02");
  await control("POST", "/_emulator/clock", { now: "2030-01-01T01:00:00Z" });
  await rejectsWithCode(client.record.getRecord({ app: 1, id: 1 }), 401, "CB_AU01");
  await control("POST", "/_emulator/clock", { now: null });
});

test("domain Basic layer with an API token", async () => {
  await control("POST", "/_emulator/basic_auth", { user: "basic-user", password: "basic-pass-1" });
  try {
    const good = new KintoneRestAPIClient({
      baseUrl: urls.plain,
      auth: { apiToken: VIEW_TOKEN },
      basicAuth: { username: "basic-user", password: "basic-pass-1" },
    });
    assert.equal((await good.record.getRecord({ app: 1, id: 1 })).record.$id.value, "1");
    const without = new KintoneRestAPIClient({ baseUrl: urls.plain, auth: { apiToken: VIEW_TOKEN } });
    // The Basic layer answers with a non-JSON 401 page, which the client reports as "401: ...".
    await assert.rejects(without.record.getRecord({ app: 1, id: 1 }), /^Error: 401: Unauthorized$/);
  } finally {
    await control("POST", "/_emulator/basic_auth", { user: null });
  }
});

test("HTTPS with the test CA; an unknown CA is refused", async () => {
  const auth = { apiToken: VIEW_TOKEN };
  const client = new KintoneRestAPIClient({ baseUrl: urls.tls, auth, httpsAgent: agent() });
  assert.equal((await client.record.getRecord({ app: 1, id: 2 })).record.$id.value, "2");
  const untrusted = new KintoneRestAPIClient({
    baseUrl: urls.tls,
    auth,
    httpsAgent: new https.Agent({ ca: fs.readFileSync(tls("other-ca.pem")) }),
  });
  await assert.rejects(untrusted.record.getRecord({ app: 1, id: 2 }), (e) => {
    assert.match(String(e.code || e.message), /CERT|certificate|SELF_SIGNED|UNABLE/i);
    return true;
  });
});

test("client certificate: accepted with the CA's cert, refused without", async () => {
  const auth = { username: "sato", password: "sato-pass" };
  const withCert = new KintoneRestAPIClient({
    baseUrl: urls.mtls,
    auth,
    httpsAgent: agent({ pfx: fs.readFileSync(tls("client.p12")), passphrase: "client-p12-pass" }),
  });
  assert.equal((await withCert.record.getRecord({ app: 1, id: 3 })).record.$id.value, "3");
  const noCert = new KintoneRestAPIClient({ baseUrl: urls.mtls, auth, httpsAgent: agent() });
  await assert.rejects(noCert.record.getRecord({ app: 1, id: 3 }));
  const otherCert = new KintoneRestAPIClient({
    baseUrl: urls.mtls,
    auth,
    httpsAgent: agent({ cert: fs.readFileSync(tls("untrusted-client.pem")), key: fs.readFileSync(tls("untrusted-client.key")) }),
  });
  await assert.rejects(otherCert.record.getRecord({ app: 1, id: 3 }));
});

test("client certificate through the client's own clientCertAuth option", async () => {
  // clientCertAuth excludes httpsAgent, so the test CA is trusted through NODE_EXTRA_CA_CERTS,
  // which node reads at start-up: run the client in a child process.
  const script = `
    import { KintoneRestAPIClient } from "@kintone/rest-api-client";
    const client = new KintoneRestAPIClient({
      baseUrl: process.env.URL,
      auth: { apiToken: "${VIEW_TOKEN}" },
      clientCertAuth: { pfxFilePath: process.env.PFX, password: "client-p12-pass" },
    });
    const { record } = await client.record.getRecord({ app: 1, id: 4 });
    console.log(record.$id.value);`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
    cwd: HERE,
    env: { ...process.env, NODE_EXTRA_CA_CERTS: tls("ca.pem"), URL: urls.mtls, PFX: tls("client.p12") },
  });
  assert.equal(stdout.trim(), "4");
});

test("HTTP proxy with authentication", async () => {
  const p = new URL(urls.proxy);
  const proxy = (password) => ({
    protocol: "http",
    host: p.hostname,
    port: Number(p.port),
    auth: { username: PROXY_USER, password },
  });
  await fetch(urls.proxy + "/_proxy/stats/reset", { method: "POST" });
  const client = new KintoneRestAPIClient({ baseUrl: urls.plain, auth: { apiToken: VIEW_TOKEN }, proxy: proxy(PROXY_PASSWORD) });
  assert.equal((await client.record.getRecord({ app: 1, id: 5 })).record.$id.value, "5");
  const stats = await (await fetch(urls.proxy + "/_proxy/stats")).json();
  assert.equal(stats.forwarded, 1);
  assert.equal(stats.by_target[new URL(urls.plain).host], 1);
  const wrong = new KintoneRestAPIClient({ baseUrl: urls.plain, auth: { apiToken: VIEW_TOKEN }, proxy: proxy("nope") });
  await assert.rejects(wrong.record.getRecord({ app: 1, id: 5 }), /^Error: 407: Proxy Authentication Required$/);
});
