// Runs the OFFICIAL Kintone clients, unchanged, against the bundled Kintone emulator.
//
// Why: the emulator claims to behave like real Kintone's REST API. The strongest proof is that
// @kintone/rest-api-client and @kintone/cli (cli-kintone), which are written and tested against
// real Kintone, work against it without any adaptation. If a test here fails, the emulator is
// wrong (never weaken an assertion to make it pass).
//
// The test starts its own emulator (test/emulator/kintone-emulator --port 0 --data
// test/emulator/sample-data.json), reads the base URL from its first stdout line, and kills it
// by PID at the end. The tests in this file run in order and share state (a fresh app created
// through the app admin API is filled, read, updated, imported into and emptied).
//
// Run: ./run.sh   (or: node --test official-clients.test.mjs after `npm ci`)

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { KintoneRestAPIClient, KintoneRestAPIError, KintoneAllRecordsError } from "@kintone/rest-api-client";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const REPO = path.resolve(HERE, "..", "..");
const EMULATOR = path.join(REPO, "test", "emulator", "kintone-emulator");
const SEED = path.join(REPO, "test", "emulator", "sample-data.json");
const CLI = path.join(HERE, "node_modules", ".bin", "cli-kintone");

// ---- facts of the sample seed (test/emulator/sample-data.json) ---------------------------------
const ADMIN = { username: "Administrator", password: "admin-pass" };
const SAMPLE_APP = "1"; // the app with every field type
const SAMPLE_APP_VIEW_TOKEN = "app1viewtoken"; // view only
const SAMPLE_APP_ADD_TOKEN = "app1addtoken"; // add only

// ---- the fresh app this test creates ------------------------------------------------------------
const N_RECORDS = 2500;
const NEW_APP_NAME = "Official clients test app";
const CHOICES = ["A", "B", "C"];
const TAGS = ["x", "y", "z"];
const FIELDS = {
  title: { type: "SINGLE_LINE_TEXT", code: "title", label: "Title", required: true },
  code: { type: "SINGLE_LINE_TEXT", code: "code", label: "Code", unique: true },
  num: { type: "NUMBER", code: "num", label: "Number" },
  choice: {
    type: "DROP_DOWN",
    code: "choice",
    label: "Choice",
    options: {
      A: { label: "A", index: "0" },
      B: { label: "B", index: "1" },
      C: { label: "C", index: "2" },
    },
  },
  day: { type: "DATE", code: "day", label: "Day" },
  when: { type: "DATETIME", code: "when", label: "When" },
  tags: {
    type: "CHECK_BOX",
    code: "tags",
    label: "Tags",
    options: {
      x: { label: "x", index: "0" },
      y: { label: "y", index: "1" },
      z: { label: "z", index: "2" },
    },
  },
  備考: { type: "MULTI_LINE_TEXT", code: "備考", label: "備考" },
};
const MY_CODES = Object.keys(FIELDS);

// ---- emulator process ---------------------------------------------------------------------------
let emulator; // ChildProcess
let baseUrl; // "http://localhost:PORT"
let emulatorStderr = "";

function startEmulator() {
  return new Promise((resolve, reject) => {
    const child = spawn(EMULATOR, ["--port", "0", "--data", SEED], {
      cwd: REPO,
      stdio: ["ignore", "pipe", "pipe"],
    });
    emulator = child;
    child.stderr.on("data", (chunk) => {
      emulatorStderr += chunk;
      if (emulatorStderr.length > 200000) emulatorStderr = emulatorStderr.slice(-100000);
    });
    child.on("error", reject);
    child.on("exit", (code, signal) =>
      reject(new Error(`emulator exited early (code ${code}, signal ${signal}):\n${emulatorStderr}`)),
    );
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line.trim()));
    // keep draining stdout so that the emulator never blocks on a full pipe
    lines.on("line", () => {});
  });
}

function stopEmulator() {
  if (emulator && emulator.exitCode === null && emulator.signalCode === null) {
    process.kill(emulator.pid, "SIGTERM");
  }
}
process.on("exit", stopEmulator); // also on an abnormal end of the test process
// A signal would end node without "exit" handlers: stop the emulator first, then end as the
// signal would have.
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    stopEmulator();
    process.kill(process.pid, signal);
  });
}

// Plain HTTP helper for the emulator's control API (not part of Kintone).
async function control(method, pathname, body) {
  const res = await fetch(baseUrl + pathname, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${pathname} -> ${res.status} ${text}`);
  return text ? JSON.parse(text) : {};
}
// Counters of the emulator's Kintone traffic. The client may already hold the last response while
// the emulator's handler is still finishing that request, so wait until no Kintone request is in
// flight (a state, not a delay) and use that snapshot: it then covers every request made so far.
async function stats() {
  for (let attempt = 0; attempt < 2000; attempt++) {
    const s = await control("GET", "/_emulator/stats");
    if (s.in_flight === 0) return s;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error("the emulator never became idle");
}

// ---- clients ------------------------------------------------------------------------------------
let client; // password auth, admin
let tokenClient; // API token of the sample app
const state = {}; // shared between the ordered tests: app id, written records, ids, revisions

function cleanEnv() {
  const env = { ...process.env };
  for (const k of Object.keys(env)) {
    if (/^KINTONE_/.test(k) || /proxy/i.test(k)) delete env[k];
  }
  env.NO_PROXY = "localhost,127.0.0.1,::1";
  return env;
}

function cli(args) {
  return new Promise((resolve) => {
    execFile(
      CLI,
      args,
      { cwd: HERE, env: cleanEnv(), maxBuffer: 64 * 1024 * 1024, timeout: 120000 },
      (error, stdout, stderr) => resolve({ code: error ? (error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}
// Scratch folders for CSV files; all under one root removed at the end.
let scratchRoot;
function tempDir() {
  scratchRoot ??= fs.mkdtempSync(path.join(os.tmpdir(), "kintone-clients-"));
  return fs.mkdtempSync(path.join(scratchRoot, "t-"));
}

const passwordArgs = () => ["--base-url", baseUrl, "--username", ADMIN.username, "--password", ADMIN.password];

before(async () => {
  process.env.NO_PROXY = "localhost,127.0.0.1,::1";
  process.env.no_proxy = process.env.NO_PROXY;
  const line = await startEmulator();
  assert.match(line, /^http:\/\/localhost:\d+$/, `first stdout line of the emulator: ${line}`);
  baseUrl = line;
  client = new KintoneRestAPIClient({ baseUrl, auth: ADMIN });
  tokenClient = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: SAMPLE_APP_VIEW_TOKEN } });
});

after(async () => {
  if (scratchRoot) fs.rmSync(scratchRoot, { recursive: true, force: true });
  if (!emulator || emulator.exitCode !== null || emulator.signalCode !== null) return;
  const exited = new Promise((resolve) => emulator.once("exit", resolve));
  stopEmulator();
  const timer = setTimeout(() => process.kill(emulator.pid, "SIGKILL"), 10000);
  await exited;
  clearTimeout(timer);
});

// ---- data of the fresh app ----------------------------------------------------------------------
const pad = (n, w) => String(n).padStart(w, "0");

// The value written for record i (1-based) — also the value expected back (after the
// normalisations noted inline).
function recordFor(i) {
  let title = `Item ${i}`;
  if (i % 100 === 0) title = `Quote "${i}", back\\slash, 日本語`;
  const num = i % 50 === 0 ? `-${i % 7}.25` : String((i * 37) % 1000);
  return {
    title: { value: title },
    code: { value: `C${pad(i, 5)}` },
    num: { value: num },
    choice: { value: i % 7 === 0 ? "" : CHOICES[i % 3] }, // "" is stored as null (DROP_DOWN)
    day: { value: `2026-${pad((i % 12) + 1, 2)}-${pad((i % 28) + 1, 2)}` },
    when: { value: `2026-03-01T${pad(i % 24, 2)}:${pad(i % 60, 2)}:00Z` },
    tags: { value: TAGS.filter((_, k) => (i >> k) & 1) },
    備考: { value: `line 1\nline ${i}` },
  };
}

// What GET returns for a field of recordFor(i), given the app's settings.
function expectedValue(code, written) {
  if (code === "choice" && written === "") return null;
  return written;
}

function assertMyFields(actual, written, label) {
  for (const code of MY_CODES) {
    assert.ok(actual[code], `${label}: field ${code} missing`);
    assert.equal(actual[code].type, FIELDS[code].type, `${label}: type of ${code}`);
    assert.deepEqual(actual[code].value, expectedValue(code, written[code].value), `${label}: value of ${code}`);
  }
}

function numCmp(a, b) {
  return Number(a) - Number(b);
}

// ================================================================================================
// app admin API
// ================================================================================================

test("app admin API: addApp, addFormFields, deployApp, getDeployStatus", async () => {
  const created = await client.app.addApp({ name: NEW_APP_NAME });
  assert.match(created.app, /^\d+$/, "addApp returns the app id as a string");
  assert.match(created.revision, /^\d+$/, "addApp returns the revision as a string");
  state.app = created.app;

  const added = await client.app.addFormFields({ app: state.app, properties: FIELDS, revision: created.revision });
  assert.match(added.revision, /^\d+$/);
  assert.ok(Number(added.revision) > Number(created.revision), "addFormFields increments the revision");

  // Before deployment the live form does not have the fields yet, the preview form has them.
  const preview = await client.app.getFormFields({ app: state.app, preview: true });
  for (const code of MY_CODES) assert.equal(preview.properties[code]?.type, FIELDS[code].type, `preview ${code}`);
  const live = await client.app.getFormFields({ app: state.app });
  for (const code of MY_CODES) assert.equal(live.properties[code], undefined, `live before deploy: ${code}`);

  assert.deepEqual(await client.app.deployApp({ apps: [{ app: state.app, revision: added.revision }] }), {});
  let status;
  for (let poll = 0; poll < 200; poll++) {
    const res = await client.app.getDeployStatus({ apps: [state.app] });
    assert.equal(res.apps.length, 1);
    assert.equal(res.apps[0].app, state.app);
    status = res.apps[0].status;
    assert.ok(["PROCESSING", "SUCCESS"].includes(status), `deploy status ${status}`);
    if (status === "SUCCESS") break;
    await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(status, "SUCCESS");
});

test("getFormFields returns the deployed form", async () => {
  const { properties, revision } = await client.app.getFormFields({ app: state.app });
  assert.match(revision, /^\d+$/);
  for (const code of MY_CODES) {
    const p = properties[code];
    assert.ok(p, `field ${code} present`);
    assert.equal(p.type, FIELDS[code].type);
    assert.equal(p.code, code);
    assert.equal(p.label, FIELDS[code].label);
  }
  assert.equal(properties.title.required, true);
  assert.equal(properties.code.unique, true);
  assert.equal(properties.num.required, false);
  assert.deepEqual(properties.choice.options, FIELDS.choice.options);
  assert.deepEqual(properties.tags.options, FIELDS.tags.options);
  // Every new app has the system fields.
  const types = Object.values(properties).map((p) => p.type);
  for (const t of ["RECORD_NUMBER", "CREATOR", "CREATED_TIME", "MODIFIER", "UPDATED_TIME"]) {
    assert.ok(types.includes(t), `system field ${t}`);
  }
});

test("getApps / getApp find the new app", async () => {
  const byId = await client.app.getApps({ ids: [state.app] });
  assert.equal(byId.apps.length, 1);
  assert.equal(byId.apps[0].appId, state.app);
  assert.equal(byId.apps[0].name, NEW_APP_NAME);
  assert.equal(byId.apps[0].spaceId, null);

  const byName = await client.app.getApps({ name: "official CLIENTS test" }); // partial, case-insensitive
  assert.deepEqual(
    byName.apps.map((a) => a.appId),
    [state.app],
  );

  const all = await client.app.getApps({});
  assert.ok(all.apps.some((a) => a.appId === SAMPLE_APP), "sample app listed");
  assert.ok(all.apps.some((a) => a.appId === state.app), "new app listed");
  const ids = all.apps.map((a) => Number(a.appId));
  assert.deepEqual(ids, [...ids].sort((a, b) => a - b), "apps are listed by ascending id");

  const one = await client.app.getApp({ id: state.app });
  assert.equal(one.appId, state.app);
  assert.equal(one.name, NEW_APP_NAME);
});

// ================================================================================================
// records: bulk add, read all (seek and cursor), query, bulk update
// ================================================================================================

test(`addAllRecords adds ${N_RECORDS} records through bulkRequest`, async () => {
  state.written = [];
  for (let i = 1; i <= N_RECORDS; i++) state.written.push(recordFor(i));
  const before = await stats();
  const res = await client.record.addAllRecords({ app: state.app, records: state.written });
  const afterStats = await stats();
  assert.equal(res.records.length, N_RECORDS);
  const ids = res.records.map((r) => Number(r.id));
  for (let k = 0; k < ids.length; k++) {
    assert.equal(res.records[k].revision, "1", `revision of record ${k}`);
    if (k > 0) assert.ok(ids[k] > ids[k - 1], "ids ascending in input order");
  }
  assert.equal(new Set(ids).size, N_RECORDS);
  state.ids = res.records.map((r) => r.id);
  // 2,500 records = one bulkRequest of 20 x 100 and one of 5 x 100.
  assert.equal(delta(before, afterStats, "POST", "bulkRequest"), 2, "two bulkRequest calls");
});

test("getAllRecords without orderBy reads with $id seek pages (records.json, no cursor)", async () => {
  const before = await stats();
  const records = await client.record.getAllRecords({ app: state.app });
  const afterStats = await stats();
  assert.equal(records.length, N_RECORDS);
  records.forEach((r, k) => {
    assert.equal(r.$id.type, "__ID__");
    assert.equal(r.$id.value, state.ids[k], "order is $id ascending");
    assert.equal(r.$revision.type, "__REVISION__");
    assert.equal(r.$revision.value, "1");
    assertMyFields(r, state.written[k], `record ${k + 1}`);
  });
  // 2,500 / 500 = 5 full pages, then one empty page ends the loop.
  assert.equal(delta(before, afterStats, "GET", "records"), 6, "records.json GETs");
  assert.equal(delta(before, afterStats, "POST", "records/cursor"), 0, "no cursor created");
  assert.equal(delta(before, afterStats, "GET", "records/cursor"), 0, "no cursor read");
});

test("getAllRecords with fields and condition (seek) returns only those fields", async () => {
  const records = await client.record.getAllRecords({
    app: state.app,
    fields: ["code", "num"],
    condition: 'choice in ("B")',
  });
  const expected = [];
  state.written.forEach((w, k) => {
    if (w.choice.value === "B") expected.push({ id: state.ids[k], code: w.code.value, num: w.num.value });
  });
  assert.equal(records.length, expected.length);
  records.forEach((r, k) => {
    assert.deepEqual(Object.keys(r).sort(), ["$id", "code", "num"], "only the listed fields plus $id");
    assert.equal(r.$id.value, expected[k].id);
    assert.deepEqual(r.code, { type: "SINGLE_LINE_TEXT", value: expected[k].code });
    assert.deepEqual(r.num, { type: "NUMBER", value: expected[k].num });
  });
});

test("getAllRecords with orderBy reads through records/cursor.json and frees the cursor", async () => {
  const before = await stats();
  const records = await client.record.getAllRecords({ app: state.app, orderBy: "num desc, $id asc" });
  const afterStats = await stats();
  const expected = state.written
    .map((w, k) => ({ w, id: state.ids[k] }))
    .sort((a, b) => numCmp(b.w.num.value, a.w.num.value) || Number(a.id) - Number(b.id));
  assert.equal(records.length, N_RECORDS);
  records.forEach((r, k) => {
    assert.equal(r.$id.value, expected[k].id, `position ${k}`);
    assertMyFields(r, expected[k].w, `cursor position ${k}`);
  });
  assert.equal(delta(before, afterStats, "POST", "records/cursor"), 1, "one cursor created");
  assert.equal(delta(before, afterStats, "GET", "records/cursor"), 5, "5 pages of 500");
  assert.equal(delta(before, afterStats, "GET", "records"), 0, "no records.json GET");
  assert.equal(liveCursors(afterStats), 0, "the exhausted cursor is gone");
});

test("getAllRecords with condition + orderBy through the cursor", async () => {
  const records = await client.record.getAllRecords({
    app: state.app,
    condition: 'choice in ("A", "C") and num >= 500',
    orderBy: "day asc, $id desc",
  });
  const expected = state.written
    .map((w, k) => ({ w, id: state.ids[k] }))
    .filter(({ w }) => (w.choice.value === "A" || w.choice.value === "C") && Number(w.num.value) >= 500)
    .sort((a, b) => a.w.day.value.localeCompare(b.w.day.value) || Number(b.id) - Number(a.id));
  assert.ok(expected.length > 500, "spans more than one cursor page");
  assert.deepEqual(
    records.map((r) => r.$id.value),
    expected.map((e) => e.id),
  );
  assert.equal(liveCursors(await stats()), 0);
});

test("getAllRecords with orderBy and withCursor: false pages with limit/offset", async () => {
  const before = await stats();
  const records = await client.record.getAllRecords({
    app: state.app,
    orderBy: "code desc",
    withCursor: false,
    fields: ["code"],
  });
  const afterStats = await stats();
  assert.deepEqual(
    records.map((r) => r.code.value),
    state.written.map((w) => w.code.value).reverse(),
  );
  assert.deepEqual(Object.keys(records[0]), ["code"], "fields are not extended with $id for offset paging");
  // offsets 0, 500, ..., 2000 are full pages, offset 2500 returns the empty page that ends the loop
  assert.equal(delta(before, afterStats, "GET", "records"), 6);
  assert.equal(delta(before, afterStats, "POST", "records/cursor"), 0);
});

test("createCursor / getRecordsByCursor / deleteCursor", async () => {
  const created = await client.record.createCursor({
    app: state.app,
    fields: ["code"],
    query: 'choice in ("C") order by $id asc',
    size: 2,
  });
  assert.match(created.id, /\S/);
  const expected = state.written.filter((w) => w.choice.value === "C").map((w) => w.code.value);
  assert.equal(created.totalCount, String(expected.length), "totalCount of the cursor, as a string");
  assert.equal(liveCursors(await stats()), 1);
  const page1 = await client.record.getRecordsByCursor({ id: created.id });
  assert.deepEqual(page1, { records: expected.slice(0, 2).map((c) => ({ code: { type: "SINGLE_LINE_TEXT", value: c } })), next: true });
  const page2 = await client.record.getRecordsByCursor({ id: created.id });
  assert.deepEqual(page2.records.map((r) => r.code.value), expected.slice(2, 4));
  assert.equal(page2.next, true);
  assert.deepEqual(await client.record.deleteCursor({ id: created.id }), {});
  assert.equal(liveCursors(await stats()), 0);
  for (const call of [
    () => client.record.getRecordsByCursor({ id: created.id }),
    () => client.record.deleteCursor({ id: created.id }),
  ]) {
    await assert.rejects(call(), (e) => {
      assert.ok(e instanceof KintoneRestAPIError, String(e));
      assert.equal(e.status, 404);
      assert.equal(e.code, "GAIA_CN01");
      return true;
    });
  }
});

test("getRecords with filter, order by, limit, offset and totalCount", async () => {
  const query = 'num >= 100 and choice in ("B") order by num desc, $id asc limit 10 offset 5';
  const res = await client.record.getRecords({ app: state.app, query, totalCount: true });
  const matching = state.written
    .map((w, k) => ({ w, id: state.ids[k] }))
    .filter(({ w }) => Number(w.num.value) >= 100 && w.choice.value === "B")
    .sort((a, b) => numCmp(b.w.num.value, a.w.num.value) || Number(a.id) - Number(b.id));
  assert.equal(res.totalCount, String(matching.length), "totalCount is the full match count, as a string");
  assert.deepEqual(
    res.records.map((r) => r.$id.value),
    matching.slice(5, 15).map((e) => e.id),
  );
  res.records.forEach((r, k) => assertMyFields(r, matching[5 + k].w, `query row ${k}`));

  const noCount = await client.record.getRecords({ app: state.app, query: "limit 3" });
  assert.equal(noCount.totalCount, null, "totalCount is null unless requested");
  assert.deepEqual(
    noCount.records.map((r) => r.$id.value),
    state.ids.slice(-3).reverse(),
    "default order is $id desc",
  );

  // A query longer than 4 KB makes the SDK send POST + X-HTTP-Method-Override: GET.
  const wanted = Array.from({ length: 500 }, (_, k) => `C${pad(2 * k + 1, 5)}`);
  const longQuery = `code in (${wanted.map((c) => `"${c}"`).join(", ")}) order by $id asc limit 500`;
  assert.ok(longQuery.length > 4096);
  const before = await stats();
  const long = await client.record.getRecords({ app: state.app, query: longQuery, fields: ["code"] });
  const afterStats = await stats();
  assert.deepEqual(
    long.records.map((r) => r.code.value),
    wanted,
  );
  assert.equal(afterStats.requests_total - before.requests_total, 1, "one request");

  const like = await client.record.getRecords({
    app: state.app,
    query: 'title like "Quote" and day = "2026-05-01" order by $id asc',
    totalCount: true,
  });
  const likeExpected = state.written
    .map((w, k) => ({ w, id: state.ids[k] }))
    .filter(({ w }) => w.title.value.startsWith("Quote") && w.day.value === "2026-05-01");
  assert.equal(like.totalCount, String(likeExpected.length));
  assert.deepEqual(
    like.records.map((r) => r.$id.value),
    likeExpected.map((e) => e.id),
  );
});

test("getRecord returns one record; errors come back as KintoneRestAPIError", async () => {
  const { record } = await client.record.getRecord({ app: state.app, id: state.ids[99] });
  assert.equal(record.$id.value, state.ids[99]);
  assertMyFields(record, state.written[99], "record 100");

  await assert.rejects(client.record.getRecords({ app: state.app, query: 'nosuchfield = "1"' }), (e) => {
    assert.ok(e instanceof KintoneRestAPIError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.code, "GAIA_IQ11");
    return true;
  });
  await assert.rejects(client.record.getRecord({ app: state.app, id: 999999 }), (e) => {
    assert.ok(e instanceof KintoneRestAPIError, String(e));
    assert.equal(e.status, 404);
    assert.equal(e.code, "GAIA_RE01");
    return true;
  });
  await assert.rejects(client.record.getRecords({ app: state.app, query: "limit 501" }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.code, "GAIA_QU01");
    return true;
  });
});

test(`updateAllRecords updates ${N_RECORDS} records (with revisions), then they read back`, async () => {
  const updates = state.ids.map((id, k) => ({
    id,
    revision: "1",
    record: {
      num: { value: String(k + 1) },
      title: { value: `Updated ${k + 1}` },
    },
  }));
  const res = await client.record.updateAllRecords({ app: state.app, records: updates });
  assert.equal(res.records.length, N_RECORDS);
  res.records.forEach((r, k) => {
    assert.equal(r.id, state.ids[k]);
    assert.equal(r.revision, "2");
  });
  state.written.forEach((w, k) => {
    w.num.value = String(k + 1);
    w.title.value = `Updated ${k + 1}`;
  });

  const records = await client.record.getAllRecords({ app: state.app, orderBy: "num asc" });
  assert.equal(records.length, N_RECORDS);
  records.forEach((r, k) => {
    assert.equal(r.$id.value, state.ids[k], "num asc == $id asc after the update");
    assert.equal(r.$revision.value, "2");
    assertMyFields(r, state.written[k], `updated record ${k + 1}`);
  });

  // A stale revision is rejected (409 GAIA_CO02) and nothing changes.
  await assert.rejects(
    client.record.updateAllRecords({
      app: state.app,
      records: [{ id: state.ids[0], revision: "1", record: { num: { value: "-1" } } }],
    }),
    (e) => {
      assert.ok(e instanceof KintoneAllRecordsError, String(e));
      assert.equal(e.error.status, 409);
      assert.equal(e.error.code, "GAIA_CO02");
      assert.equal(e.numOfProcessedRecords, 0);
      return true;
    },
  );
  const { record } = await client.record.getRecord({ app: state.app, id: state.ids[0] });
  assert.equal(record.num.value, "1");
  assert.equal(record.$revision.value, "2");
});

// ================================================================================================
// cli-kintone
// ================================================================================================

test("cli-kintone record import adds new records from a CSV file", async () => {
  const dir = tempDir();
  const file = path.join(dir, "new.csv");
  fs.writeFileSync(
    file,
    [
      '"title","code","num","choice","day","tags","備考"',
      '"New one","N001","10","A","2026-07-01","x\ny","first\nsecond"',
      '"New ""two""","N002","-2.5","","2026-07-02","",""',
      '"New three","N003","","C","","z","三"',
      "",
    ].join("\n"),
  );
  const run = await cli(["record", "import", ...passwordArgs(), "--app", state.app, "--file-path", file]);
  assert.equal(run.code, 0, `cli-kintone import failed:\n${run.stdout}\n${run.stderr}`);

  const res = await client.record.getRecords({
    app: state.app,
    query: 'code in ("N001", "N002", "N003") order by code asc',
    totalCount: true,
  });
  assert.equal(res.totalCount, "3");
  const got = res.records.map((r) => ({
    title: r.title.value,
    code: r.code.value,
    num: r.num.value,
    choice: r.choice.value,
    day: r.day.value,
    tags: r.tags.value,
    備考: r.備考.value,
    revision: r.$revision.value,
  }));
  assert.deepEqual(got, [
    { title: "New one", code: "N001", num: "10", choice: "A", day: "2026-07-01", tags: ["x", "y"], 備考: "first\nsecond", revision: "1" },
    { title: 'New "two"', code: "N002", num: "-2.5", choice: null, day: "2026-07-02", tags: [], 備考: "", revision: "1" },
    { title: "New three", code: "N003", num: "", choice: "C", day: null, tags: ["z"], 備考: "三", revision: "1" },
  ]);
  const ids = res.records.map((r) => Number(r.$id.value));
  assert.ok(ids.every((id) => id > Number(state.ids.at(-1))), "new ids are larger than all earlier ids");
  state.importedIds = res.records.map((r) => r.$id.value);
});

test("cli-kintone record import --update-key updates by a unique field and inserts the rest", async () => {
  const dir = tempDir();
  const file = path.join(dir, "upsert.csv");
  fs.writeFileSync(
    file,
    [
      '"code","title","num"',
      '"C00001","Upserted 1","1001"',
      '"C02500","Upserted 2500","3500"',
      '"N001","Upserted N001","11"',
      '"N004","Inserted N004","44"',
      "",
    ].join("\n"),
  );
  const run = await cli([
    "record",
    "import",
    ...passwordArgs(),
    "--app",
    state.app,
    "--file-path",
    file,
    "--update-key",
    "code",
  ]);
  assert.equal(run.code, 0, `cli-kintone upsert import failed:\n${run.stdout}\n${run.stderr}`);

  const res = await client.record.getRecords({
    app: state.app,
    query: 'code in ("C00001", "C02500", "N001", "N004") order by $id asc',
    fields: ["$id", "$revision", "code", "title", "num", "choice"],
  });
  assert.deepEqual(
    res.records.map((r) => [r.$id.value, r.$revision.value, r.code.value, r.title.value, r.num.value, r.choice.value]),
    [
      [state.ids[0], "3", "C00001", "Upserted 1", "1001", state.written[0].choice.value || null],
      [state.ids[N_RECORDS - 1], "3", "C02500", "Upserted 2500", "3500", state.written[N_RECORDS - 1].choice.value || null],
      [state.importedIds[0], "2", "N001", "Upserted N001", "11", "A"],
      [res.records[3].$id.value, "1", "N004", "Inserted N004", "44", null],
    ],
  );
  assert.ok(Number(res.records[3].$id.value) > Number(state.importedIds[2]), "N004 is a new record");
  state.written[0].title.value = "Upserted 1";
  state.written[0].num.value = "1001";
  state.written[N_RECORDS - 1].title.value = "Upserted 2500";
  state.written[N_RECORDS - 1].num.value = "3500";
  state.importedIds.push(res.records[3].$id.value);
});

test("cli-kintone record export of the new app (password auth, seek and cursor)", async () => {
  const run = await cli([
    "record",
    "export",
    ...passwordArgs(),
    "--app",
    state.app,
    "--fields",
    "code,title,num,choice,tags",
    "--condition",
    'code in ("C00001", "C00007", "N001", "N002")',
  ]);
  assert.equal(run.code, 0, `cli-kintone export failed:\n${run.stderr}`);
  assert.equal(
    run.stdout,
    [
      '"code","title","num","choice","tags"',
      `"C00001","Upserted 1","1001","${state.written[0].choice.value}","${state.written[0].tags.value.join("\n")}"`,
      '"C00007","Updated 7","7",,"x\ny\nz"',
      '"N001","Upserted N001","11","A","x\ny"',
      '"N002","New ""two""","-2.5",,',
      "",
    ].join("\n"),
  );

  const ordered = await cli([
    "record",
    "export",
    ...passwordArgs(),
    "--app",
    state.app,
    "--fields",
    "code,num",
    "--condition",
    'code in ("C00001", "C00002", "C00003", "N004")',
    "--order-by",
    "num desc",
  ]);
  assert.equal(ordered.code, 0, `cli-kintone export --order-by failed:\n${ordered.stderr}`);
  assert.equal(ordered.stdout, ['"code","num"', '"C00001","1001"', '"N004","44"', '"C00003","3"', '"C00002","2"', ""].join("\n"));
  assert.equal(liveCursors(await stats()), 0);
});

test("addRecord, updateRecord by updateKey, upsertRecord", async () => {
  const added = await client.record.addRecord({
    app: state.app,
    record: { title: { value: "Single" }, code: { value: "S001" }, num: { value: " 1.50e1 " } },
  });
  assert.match(added.id, /^\d+$/);
  assert.equal(added.revision, "1");
  const { record } = await client.record.getRecord({ app: state.app, id: added.id });
  assert.equal(record.num.value, "15", "NUMBER input is normalised");
  assert.deepEqual(record.choice.value, null, "no default: unselected drop-down");
  assert.deepEqual(record.tags.value, []);

  const updated = await client.record.updateRecord({
    app: state.app,
    updateKey: { field: "code", value: "S001" },
    revision: "1",
    record: { num: { value: "16" } },
  });
  assert.deepEqual(updated, { revision: "2" });

  const up1 = await client.record.upsertRecord({
    app: state.app,
    updateKey: { field: "code", value: "S001" },
    record: { title: { value: "Single upserted" } },
  });
  assert.deepEqual(up1, { id: added.id, revision: "3" });
  const up2 = await client.record.upsertRecord({
    app: state.app,
    updateKey: { field: "code", value: "S002" },
    record: { title: { value: "Single inserted" } },
  });
  assert.equal(up2.revision, "1");
  assert.ok(Number(up2.id) > Number(added.id));
  const res = await client.record.getRecords({
    app: state.app,
    query: 'code like "S00" order by $id asc',
    fields: ["code", "title", "num"],
  });
  assert.deepEqual(
    res.records.map((r) => [r.code.value, r.title.value, r.num.value]),
    [
      ["S001", "Single upserted", "16"],
      ["S002", "Single inserted", ""],
    ],
  );

  // unique violation on the updateKey field
  await assert.rejects(
    client.record.addRecord({ app: state.app, record: { title: { value: "dup" }, code: { value: "S001" } } }),
    (e) => {
      assert.equal(e.status, 400);
      assert.equal(e.code, "CB_VA01");
      assert.deepEqual(Object.keys(e.errors), ["record.code.value"]);
      return true;
    },
  );

  // deleteRecords sends its parameters in the query string (ids[0]=..&revisions[0]=..)
  await assert.rejects(
    client.record.deleteRecords({ app: state.app, ids: [added.id, 999999] }),
    (e) => {
      assert.equal(e.status, 404);
      assert.equal(e.code, "GAIA_RE01");
      return true;
    },
  );
  await assert.rejects(
    client.record.deleteRecords({ app: state.app, ids: [added.id, up2.id], revisions: [3, 2] }),
    (e) => {
      assert.equal(e.status, 409);
      assert.equal(e.code, "GAIA_CO02");
      return true;
    },
  );
  assert.equal(
    (await client.record.getRecords({ app: state.app, query: 'code like "S00"', totalCount: true })).totalCount,
    "2",
    "failed deletes delete nothing",
  );
  assert.deepEqual(await client.record.deleteRecords({ app: state.app, ids: [added.id, up2.id], revisions: [3, -1] }), {});
  assert.equal(
    (await client.record.getRecords({ app: state.app, query: 'code like "S00"', totalCount: true })).totalCount,
    "0",
  );
});

// ================================================================================================
// delete everything
// ================================================================================================

test("deleteAllRecords deletes every record (with revisions); none are left", async () => {
  const all = await client.record.getAllRecords({ app: state.app, fields: ["$id", "$revision"] });
  assert.equal(all.length, N_RECORDS + 4);
  const records = all.map((r) => ({ id: r.$id.value, revision: r.$revision.value }));
  // A stale revision makes the whole chunk fail and nothing is deleted.
  await assert.rejects(
    client.record.deleteAllRecords({ app: state.app, records: [{ id: records[0].id, revision: "1" }] }),
    (e) => {
      assert.ok(e instanceof KintoneAllRecordsError, String(e));
      assert.equal(e.error.status, 409);
      assert.equal(e.error.code, "GAIA_CO02");
      return true;
    },
  );
  assert.deepEqual(await client.record.deleteAllRecords({ app: state.app, records }), {});
  const left = await client.record.getRecords({ app: state.app, totalCount: true });
  assert.equal(left.totalCount, "0");
  assert.deepEqual(left.records, []);
  assert.deepEqual(await client.record.getAllRecords({ app: state.app }), []);
});

test("addAllRecords: each bulkRequest is all-or-nothing and the error names the failing record", async () => {
  const records = [];
  for (let i = 1; i <= 2200; i++) {
    records.push({ title: { value: i === 2151 ? "" : `Bulk ${i}` }, code: { value: `B${pad(i, 5)}` } });
  }
  await assert.rejects(client.record.addAllRecords({ app: state.app, records }), (e) => {
    assert.ok(e instanceof KintoneAllRecordsError, String(e));
    assert.equal(e.numOfProcessedRecords, 2000, "the first bulkRequest (20 x 100) was committed");
    assert.equal(e.errorIndex, 2150);
    assert.equal(e.message, "An error occurred at records[2150]. 2000/2200 records are processed successfully");
    assert.ok(e.error instanceof KintoneRestAPIError);
    assert.equal(e.error.status, 400);
    assert.equal(e.error.code, "CB_VA01");
    assert.equal(e.error.bulkRequestIndex, 1);
    assert.deepEqual(Object.keys(e.error.errors), ["records[50].title.value"]);
    return true;
  });
  const res = await client.record.getRecords({
    app: state.app,
    query: "order by $id desc limit 1",
    fields: ["code"],
    totalCount: true,
  });
  assert.equal(res.totalCount, "2000", "the second bulkRequest was rolled back as a whole");
  assert.equal(res.records[0].code.value, "B02000");
});

// cli-kintone's delete accepts API-token auth only, and this emulator (like Kintone) has no REST
// API to make a token for a new app, so this runs on the seed's inquiry app (4) and its token;
// the sample section below starts with a reset that brings app 4 back.
test("cli-kintone record delete (API token): by record numbers from a CSV file, then all records", async () => {
  const app = "4";
  const tokenArgs = ["--base-url", baseUrl, "--api-token", "app4fulltoken", "--app", app, "--yes"];
  const before = await client.record.getRecords({ app, query: "order by $id asc", fields: ["$id"], totalCount: true });
  assert.equal(before.totalCount, "5");
  const ids = before.records.map((r) => r.$id.value);
  const { properties } = await client.app.getFormFields({ app });
  const recordNumberCode = Object.values(properties).find((p) => p.type === "RECORD_NUMBER").code;
  const dir = tempDir();
  const file = path.join(dir, "delete.csv");
  fs.writeFileSync(file, [`"${recordNumberCode}"`, `"${ids[1]}"`, `"${ids[3]}"`, ""].join("\n"));
  const byFile = await cli(["record", "delete", ...tokenArgs, "--file-path", file]);
  assert.equal(byFile.code, 0, `cli-kintone delete --file-path failed:\n${byFile.stderr}`);
  const left = await client.record.getRecords({ app, query: "order by $id asc", fields: ["$id"], totalCount: true });
  assert.deepEqual(
    left.records.map((r) => r.$id.value),
    [ids[0], ids[2], ids[4]],
  );

  const unknown = path.join(dir, "unknown.csv");
  fs.writeFileSync(unknown, [`"${recordNumberCode}"`, '"999999"', ""].join("\n"));
  const bad = await cli(["record", "delete", ...tokenArgs, "--file-path", unknown]);
  assert.equal(bad.code, 1, "an unknown record number is refused");
  assert.equal(
    (await client.record.getRecords({ app, totalCount: true })).totalCount,
    "3",
    "nothing deleted",
  );

  const all = await cli(["record", "delete", ...tokenArgs]);
  assert.equal(all.code, 0, `cli-kintone delete --yes failed:\n${all.stderr}`);
  const none = await client.record.getRecords({ app, totalCount: true });
  assert.equal(none.totalCount, "0");
  assert.deepEqual(none.records, []);
});

// ================================================================================================
// sample seed app (every field type)
// ================================================================================================

const user = (code, name) => ({ code, name });

test("getAllRecords on the sample app (every field type) returns typed values", async () => {
  assert.deepEqual(await control("POST", "/_emulator/reset"), {}); // back to the pristine seed
  const records = await client.record.getAllRecords({ app: SAMPLE_APP });
  assert.equal(records.length, 30);
  assert.deepEqual(
    records.map((r) => r.$id.value),
    Array.from({ length: 30 }, (_, k) => String(k + 1)),
  );
  const [r1, r2, r3] = records;
  const r30 = records[29];

  // record 1: one value of every type
  assert.deepEqual(r1.$id, { type: "__ID__", value: "1" });
  assert.deepEqual(r1.$revision, { type: "__REVISION__", value: "2" });
  assert.deepEqual(r1.レコード番号, { type: "RECORD_NUMBER", value: "1" });
  assert.deepEqual(r1.顧客ID, { type: "SINGLE_LINE_TEXT", value: "C001" });
  assert.deepEqual(r1.会社名, { type: "SINGLE_LINE_TEXT", value: "株式会社サイボウズ商事" });
  assert.deepEqual(r1.email, { type: "LINK", value: "info1@example.com" });
  assert.deepEqual(r1.url, { type: "LINK", value: "https://example.com/c/1?q=a&b=%20" });
  assert.deepEqual(r1.備考, { type: "MULTI_LINE_TEXT", value: "" });
  assert.deepEqual(r1.詳細, { type: "RICH_TEXT", value: "" });
  assert.deepEqual(r1.従業員数, { type: "NUMBER", value: "45" });
  assert.deepEqual(r1.売上, { type: "NUMBER", value: "2500.5" });
  // CALC 売上 / 従業員数: division rounded to 4 decimals, displayScale ignored (contract 6.5)
  assert.deepEqual(r1.一人当たり売上, { type: "CALC", value: "55.5667" });
  assert.deepEqual(r1.タグ, { type: "CHECK_BOX", value: ["新規", "要フォロー"] });
  assert.deepEqual(r1.ランク, { type: "RADIO_BUTTON", value: "B" });
  assert.deepEqual(r1.業種, { type: "DROP_DOWN", value: "小売" });
  assert.deepEqual(r1.対応言語, { type: "MULTI_SELECT", value: ["日本語", "English"] });
  assert.deepEqual(r1.契約日, { type: "DATE", value: "2025-06-04" });
  assert.deepEqual(r1.連絡時刻, { type: "TIME", value: "09:15" });
  assert.deepEqual(r1.最終訪問, { type: "DATETIME", value: "2026-02-02T05:13:00Z" });
  assert.deepEqual(r1.担当者, { type: "USER_SELECT", value: [user("tanaka", "田中 花子")] });
  assert.deepEqual(r1.部署, { type: "ORGANIZATION_SELECT", value: [user("sales", "営業部")] });
  assert.deepEqual(r1.グループ, {
    type: "GROUP_SELECT",
    value: [user("everyone", "Everyone"), user("support", "サポート")],
  });
  assert.deepEqual(r1.添付, { type: "FILE", value: [] });
  assert.deepEqual(r1.作成者, { type: "CREATOR", value: user("tanaka", "田中 花子") });
  assert.deepEqual(r1.更新者, { type: "MODIFIER", value: user("john", "John Smith") });
  assert.deepEqual(r1.作成日時, { type: "CREATED_TIME", value: "2025-02-02T01:07:00Z" });
  assert.deepEqual(r1.更新日時, { type: "UPDATED_TIME", value: "2026-02-02T01:07:00Z" });
  assert.equal(r1.連絡先.type, "SUBTABLE");
  assert.equal(r1.連絡先.value.length, 1);
  assert.match(r1.連絡先.value[0].id, /^\d+$/, "subtable row ids are numeric strings");
  assert.deepEqual(r1.連絡先.value[0].value, {
    氏名: { type: "SINGLE_LINE_TEXT", value: "鈴木 花子" },
    役職: { type: "DROP_DOWN", value: "課長" },
    年齢: { type: "NUMBER", value: "28" },
    誕生日: { type: "DATE", value: "1961-02-01" },
    連絡手段: { type: "CHECK_BOX", value: ["メール"] },
    最終連絡: { type: "DATETIME", value: "2026-03-02T00:30:00Z" },
    メモ: { type: "MULTI_LINE_TEXT", value: "" },
  });
  // process management / categories are off: no STATUS, STATUS_ASSIGNEE, CATEGORY keys
  assert.equal(r1.ステータス, undefined);
  assert.equal(r1.作業者, undefined);
  assert.equal(r1.カテゴリー, undefined);

  // record 2: quotes, negative numbers, a file, a two-row table with an unselected drop-down
  assert.equal(r2.会社名.value, '有限会社"引用"工業');
  assert.equal(r2.売上.value, "-300");
  assert.equal(r2.一人当たり売上.value, "-0.2");
  assert.deepEqual(r2.タグ.value, []);
  assert.equal(r2.添付.value.length, 1);
  assert.equal(r2.添付.value[0].name, "memo.txt");
  assert.equal(r2.添付.value[0].contentType, "text/plain");
  assert.equal(r2.連絡先.value.length, 2);
  assert.notEqual(r2.連絡先.value[0].id, r2.連絡先.value[1].id);
  assert.equal(r2.連絡先.value[0].value.氏名.value, `O'Brien "Bob"`);
  assert.deepEqual(r2.連絡先.value[0].value.連絡手段.value, ["電話", "メール"]);
  assert.deepEqual(r2.連絡先.value[1].value.役職, { type: "DROP_DOWN", value: null });
  assert.equal(r2.連絡先.value[1].value.メモ.value, "行1\n続き");

  // record 3: backslash and HTML survive unchanged, zero values
  assert.equal(r3.会社名.value, "バックスラッシュ\\商会");
  assert.equal(
    r3.詳細.value,
    '<div><b>重要</b> 顧客 &amp; パートナー <a href="https://example.com">link</a></div>',
  );
  assert.equal(r3.従業員数.value, "0");
  assert.equal(r3.一人当たり売上.value, "", "division by zero gives an empty CALC");
  assert.equal(r3.連絡先.value.length, 3);
  assert.equal(r3.連絡先.value[2].value.年齢.value, "");

  // record 30: empty values of every type
  assert.deepEqual(r30.従業員数, { type: "NUMBER", value: "" });
  assert.deepEqual(r30.email, { type: "LINK", value: "" });
  assert.deepEqual(r30.タグ, { type: "CHECK_BOX", value: [] });
  assert.deepEqual(r30.業種, { type: "DROP_DOWN", value: null });
  assert.deepEqual(r30.対応言語, { type: "MULTI_SELECT", value: [] });
  assert.deepEqual(r30.契約日, { type: "DATE", value: null });
  assert.deepEqual(r30.連絡時刻, { type: "TIME", value: null });
  assert.deepEqual(r30.最終訪問, { type: "DATETIME", value: "" });
  assert.deepEqual(r30.担当者, { type: "USER_SELECT", value: [] });
  assert.deepEqual(r30.連絡先, { type: "SUBTABLE", value: [] });
  state.sample = records;
});

test("downloadFile returns the attachment of a sample record (download key from the record)", async () => {
  const { record } = await client.record.getRecord({ app: SAMPLE_APP, id: 2 });
  const [info] = record.添付.value;
  assert.equal(info.name, "memo.txt");
  const file = await client.file.downloadFile({ fileKey: info.fileKey });
  assert.equal(Buffer.from(file).toString("utf8"), "hello kintone");
  assert.equal(info.size, String(Buffer.from(file).length), "the record's size is the file's size in bytes");
});

test("API token auth: a view token reads the sample app; an add-only token may not", async () => {
  const viaToken = await tokenClient.record.getAllRecords({ app: SAMPLE_APP });
  assert.deepEqual(viaToken, state.sample, "token and password reads are identical");

  const page = await tokenClient.record.getRecords({
    app: SAMPLE_APP,
    query: '業種 in ("IT", "金融") and 従業員数 >= 100 order by 従業員数 desc, $id asc limit 5',
    fields: ["$id", "顧客ID", "業種", "従業員数"],
    totalCount: true,
  });
  const expected = state.sample
    .filter((r) => ["IT", "金融"].includes(r.業種.value) && r.従業員数.value !== "" && Number(r.従業員数.value) >= 100)
    .sort((a, b) => Number(b.従業員数.value) - Number(a.従業員数.value) || Number(a.$id.value) - Number(b.$id.value));
  assert.ok(expected.length > 0);
  assert.equal(page.totalCount, String(expected.length));
  assert.deepEqual(
    page.records,
    expected.slice(0, 5).map((r) => ({ $id: r.$id, 顧客ID: r.顧客ID, 業種: r.業種, 従業員数: r.従業員数 })),
  );

  const cursorRead = await tokenClient.record.getAllRecords({ app: SAMPLE_APP, orderBy: "顧客ID desc" });
  assert.deepEqual(
    cursorRead.map((r) => r.顧客ID.value),
    state.sample.map((r) => r.顧客ID.value).sort().reverse(),
  );
  assert.equal(liveCursors(await stats()), 0);

  const addOnly = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: SAMPLE_APP_ADD_TOKEN } });
  await assert.rejects(addOnly.record.getRecords({ app: SAMPLE_APP }), (e) => {
    assert.ok(e instanceof KintoneRestAPIError, String(e));
    assert.equal(e.status, 403);
    assert.equal(e.code, "GAIA_NO01");
    return true;
  });
  const bad = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: "nosuchtoken" } });
  await assert.rejects(bad.record.getRecords({ app: SAMPLE_APP }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.code, "GAIA_IA02");
    return true;
  });
  const wrongPassword = new KintoneRestAPIClient({ baseUrl, auth: { username: ADMIN.username, password: "wrong" } });
  await assert.rejects(wrongPassword.record.getRecords({ app: SAMPLE_APP }), (e) => {
    assert.equal(e.status, 401);
    assert.equal(e.code, "CB_WA01");
    return true;
  });
});

test("cli-kintone record export of the sample app: header from the form layout, typed values, subtable rows", async () => {
  const full = await cli(["record", "export", ...passwordArgs(), "--app", SAMPLE_APP]);
  assert.equal(full.code, 0, `cli-kintone export failed:\n${full.stderr}`);
  const header = full.stdout.split("\n", 1)[0];
  assert.equal(
    header,
    "*," +
      [
        "レコード番号", "顧客ID", "会社名", "email", "url", "備考", "詳細", "従業員数", "売上", "一人当たり売上",
        "タグ", "ランク", "業種", "対応言語", "契約日", "連絡時刻", "最終訪問", "担当者", "部署", "グループ",
        "添付", "連絡先", "氏名", "役職", "年齢", "誕生日", "連絡手段", "最終連絡", "メモ",
        "作成者", "作成日時", "更新者", "更新日時",
      ]
        .map((c) => `"${c}"`)
        .join(","),
    "record number first, then the layout order, then the system fields",
  );
  // one CSV record per subtable row (at least one per record)
  const primaryRows = full.stdout.split("\n").slice(1).filter((l) => l.startsWith('*,"'));
  assert.equal(primaryRows.length, 30);

  const fields = "顧客ID,会社名,従業員数,一人当たり売上,タグ,業種,契約日,連絡時刻,最終訪問,担当者,添付,連絡先,作成者,更新日時";
  const some = await cli([
    "record", "export", ...passwordArgs(), "--app", SAMPLE_APP, "--fields", fields,
    "--condition", '顧客ID in ("C001", "C002")',
  ]);
  assert.equal(some.code, 0, `cli-kintone export failed:\n${some.stderr}`);
  const [s1, s2] = state.sample;
  const rowId = (r, k) => r.連絡先.value[k].id;
  assert.equal(
    some.stdout,
    [
      '*,"顧客ID","会社名","従業員数","一人当たり売上","タグ","業種","契約日","連絡時刻","最終訪問","担当者","添付","連絡先","氏名","役職","年齢","誕生日","連絡手段","最終連絡","メモ","作成者","更新日時"',
      `*,"C001","株式会社サイボウズ商事","45","55.5667","新規\n要フォロー","小売","2025-06-04","09:15","2026-02-02T05:13:00Z","tanaka",,"${rowId(s1, 0)}","鈴木 花子","課長","28","1961-02-01","メール","2026-03-02T00:30:00Z",,"tanaka","2026-02-02T01:07:00Z"`,
      `*,"C002","有限会社""引用""工業","1500","-0.2",,"IT","2025-11-07","10:30","2026-03-03T10:26:00Z","john","memo.txt","${rowId(s2, 0)}","O'Brien ""Bob""","担当","31","1962-03-01","電話\nメール","2026-03-03T00:30:00Z",,"john","2026-03-03T02:14:00Z"`,
      `,"C002","有限会社""引用""工業","1500","-0.2",,"IT","2025-11-07","10:30","2026-03-03T10:26:00Z","john","memo.txt","${rowId(s2, 1)}","李 小龍",,"42","1963-04-03",,"2026-03-04T01:30:00Z","行1\n続き","john","2026-03-03T02:14:00Z"`,
      "",
    ].join("\n"),
  );
});

test("cli-kintone record export with an API token (cursor when --order-by is given)", async () => {
  const run = await cli([
    "record", "export", "--base-url", baseUrl, "--api-token", SAMPLE_APP_VIEW_TOKEN, "--app", SAMPLE_APP,
    "--fields", "顧客ID,会社名", "--condition", '顧客ID in ("C001", "C002", "C003")', "--order-by", "顧客ID desc",
  ]);
  assert.equal(run.code, 0, `cli-kintone export failed:\n${run.stderr}`);
  assert.equal(
    run.stdout,
    ['"顧客ID","会社名"', '"C003","バックスラッシュ\\商会"', '"C002","有限会社""引用""工業"', '"C001","株式会社サイボウズ商事"', ""].join("\n"),
  );
  assert.equal(liveCursors(await stats()), 0);

  const denied = await cli([
    "record", "export", "--base-url", baseUrl, "--api-token", SAMPLE_APP_ADD_TOKEN, "--app", SAMPLE_APP,
  ]);
  assert.equal(denied.code, 1, "an add-only token cannot export");
  assert.match(denied.stderr, /GAIA_NO01/);
});

test("getRecords on the sample orders app: record number with the app code, CALC product", async () => {
  const res = await client.record.getRecords({ app: "2", query: "$id <= 2 order by $id asc" });
  assert.deepEqual(
    res.records.map((r) => [r.レコード番号.value, r.受注番号.value, r.金額.value]),
    [
      ["ORDERS-1", "O-0001", "128000"],
      ["ORDERS-2", "O-0002", "56000"],
    ],
  );
  assert.equal(res.records[0].レコード番号.type, "RECORD_NUMBER");
});

test("guest space app: guestSpaceId routes to /k/guest/2/v1/, the plain path is refused", async () => {
  const guest = new KintoneRestAPIClient({ baseUrl, auth: ADMIN, guestSpaceId: 2 });
  const res = await guest.record.getRecords({ app: "3", query: "order by $id asc", fields: ["レコード番号", "案件名", "金額", "担当"], totalCount: true });
  assert.equal(res.totalCount, "5");
  assert.deepEqual(res.records[0], {
    レコード番号: { type: "RECORD_NUMBER", value: "GUEST-1" },
    案件名: { type: "SINGLE_LINE_TEXT", value: "ゲスト案件1" },
    金額: { type: "NUMBER", value: "10000" },
    担当: { type: "USER_SELECT", value: [{ code: "tanaka", name: "田中 花子" }] },
  });
  const all = await guest.record.getAllRecords({ app: "3", orderBy: "金額 desc" });
  assert.deepEqual(
    all.map((r) => r.金額.value),
    ["50000", "40000", "30000", "20000", "10000"],
  );
  await assert.rejects(client.record.getRecords({ app: "3" }), (e) => {
    assert.ok(e instanceof KintoneRestAPIError, String(e));
    assert.equal(e.status, 400);
    assert.equal(e.code, "GAIA_IL23");
    return true;
  });
  await assert.rejects(guest.record.getRecords({ app: SAMPLE_APP }), (e) => {
    assert.equal(e.status, 403);
    assert.equal(e.code, "CB_NO02");
    return true;
  });

  const run = await cli([
    "record", "export", ...passwordArgs(), "--guest-space-id", "2", "--app", "3",
    "--fields", "レコード番号,案件名,期限", "--condition", "金額 >= 40000",
  ]);
  assert.equal(run.code, 0, `cli-kintone export --guest-space-id failed:\n${run.stderr}`);
  assert.equal(
    run.stdout,
    ['"レコード番号","案件名","期限"', '"GUEST-4","ゲスト案件4","2026-04-15"', '"GUEST-5","ゲスト案件5","2026-05-15"', ""].join("\n"),
  );
});

test("uploadFile, attach it to a new record, downloadFile through the record's key", async () => {
  const { fileKey } = await client.file.uploadFile({ file: { name: "hello.txt", data: "hello, 世界\n" } });
  assert.match(fileKey, /\S/);
  const { id } = await client.record.addRecord({
    app: SAMPLE_APP,
    record: { 顧客ID: { value: "C900" }, 会社名: { value: "添付テスト" }, 添付: { value: [{ fileKey }] } },
  });
  const { record } = await client.record.getRecord({ app: SAMPLE_APP, id });
  assert.equal(record.添付.value.length, 1);
  const info = record.添付.value[0];
  assert.equal(info.name, "hello.txt");
  assert.equal(info.size, String(Buffer.byteLength("hello, 世界\n")));
  assert.match(info.contentType, /^text\/plain/);
  const data = await client.file.downloadFile({ fileKey: info.fileKey });
  assert.equal(Buffer.from(data).toString("utf8"), "hello, 世界\n");
});

test("cli-kintone import --update-key with a subtable: rows by id are updated, new rows added, missing rows deleted", async () => {
  const before = Object.fromEntries(
    (await client.record.getRecords({ app: SAMPLE_APP, query: '顧客ID in ("C001", "C002") order by $id asc' })).records.map(
      (r) => [r.顧客ID.value, r],
    ),
  );
  const c1 = before.C001;
  const c2 = before.C002;
  assert.equal(c1.連絡先.value.length, 1);
  assert.equal(c2.連絡先.value.length, 2);
  const dir = tempDir();
  const file = path.join(dir, "subtable.csv");
  fs.writeFileSync(
    file,
    [
      '*,"顧客ID","会社名","連絡先","氏名","役職","年齢"',
      `*,"C001","株式会社サイボウズ商事 改","${c1.連絡先.value[0].id}","鈴木 花子","部長","29"`,
      ',"C001","株式会社サイボウズ商事 改",,"新人 太郎","担当","22"',
      `*,"C002","有限会社""引用""工業","${c2.連絡先.value[1].id}","李 小龍","課長","43"`,
      "",
    ].join("\n"),
  );
  const run = await cli([
    "record", "import", ...passwordArgs(), "--app", SAMPLE_APP, "--file-path", file, "--update-key", "顧客ID",
  ]);
  assert.equal(run.code, 0, `cli-kintone import failed:\n${run.stderr}`);

  const after = Object.fromEntries(
    (await client.record.getRecords({ app: SAMPLE_APP, query: '顧客ID in ("C001", "C002") order by $id asc' })).records.map(
      (r) => [r.顧客ID.value, r],
    ),
  );
  const a1 = after.C001;
  const a2 = after.C002;
  assert.equal(a1.$id.value, c1.$id.value);
  assert.equal(a1.$revision.value, String(Number(c1.$revision.value) + 1));
  assert.equal(a1.会社名.value, "株式会社サイボウズ商事 改");
  assert.deepEqual(a1.従業員数, c1.従業員数, "fields not in the CSV keep their values");
  assert.deepEqual(a1.担当者, c1.担当者);
  assert.deepEqual(a1.作成者, c1.作成者);
  assert.deepEqual(a1.更新者, { type: "MODIFIER", value: { code: "Administrator", name: "管理者" } });
  assert.equal(a1.連絡先.value.length, 2);
  assert.deepEqual(a1.連絡先.value[0], {
    id: c1.連絡先.value[0].id,
    value: {
      ...c1.連絡先.value[0].value, // inner fields not sent keep their values
      役職: { type: "DROP_DOWN", value: "部長" },
      年齢: { type: "NUMBER", value: "29" },
    },
  });
  const newRow = a1.連絡先.value[1];
  assert.match(newRow.id, /^\d+$/);
  const oldRowIds = [c1, c2].flatMap((r) => r.連絡先.value.map((row) => row.id));
  assert.ok(!oldRowIds.includes(newRow.id), "a new row gets a new id");
  assert.deepEqual(newRow.value, {
    氏名: { type: "SINGLE_LINE_TEXT", value: "新人 太郎" },
    役職: { type: "DROP_DOWN", value: "担当" },
    年齢: { type: "NUMBER", value: "22" },
    誕生日: { type: "DATE", value: null },
    連絡手段: { type: "CHECK_BOX", value: [] },
    最終連絡: { type: "DATETIME", value: "" },
    メモ: { type: "MULTI_LINE_TEXT", value: "" },
  });

  assert.equal(a2.$revision.value, String(Number(c2.$revision.value) + 1));
  assert.equal(a2.会社名.value, '有限会社"引用"工業');
  assert.deepEqual(a2.連絡先.value, [
    {
      id: c2.連絡先.value[1].id,
      value: {
        ...c2.連絡先.value[1].value,
        役職: { type: "DROP_DOWN", value: "課長" },
        年齢: { type: "NUMBER", value: "43" },
      },
    },
  ]);
});

test("injected faults reach the client as real Kintone's do: 429 GAIA_TO04 JSON, 503 plain text", async () => {
  try {
    await control("POST", "/_emulator/faults", { match: "/records\\.json$", method: "GET", count: 1, code: "GAIA_TO04" });
    await assert.rejects(client.record.getRecords({ app: SAMPLE_APP }), (e) => {
      assert.ok(e instanceof KintoneRestAPIError, String(e));
      assert.equal(e.status, 429);
      assert.equal(e.code, "GAIA_TO04");
      assert.equal(e.headers["x-cybozu-error"], "GAIA_TO04");
      return true;
    });
    await control("POST", "/_emulator/faults", {
      match: "/records\\.json$", method: "GET", count: 1, status: 503, body: "<html>maintenance</html>",
    });
    await assert.rejects(client.record.getRecords({ app: SAMPLE_APP }), (e) => {
      assert.ok(!(e instanceof KintoneRestAPIError), "a non-JSON body is not a Kintone error");
      assert.equal(e.message, "503: Service Unavailable");
      return true;
    });
    // each rule applied once and is gone: the next call is served normally
    const ok = await client.record.getRecords({ app: SAMPLE_APP, query: "limit 1" });
    assert.equal(ok.records.length, 1);
  } finally {
    await control("DELETE", "/_emulator/faults");
  }
});

// ================================================================================================
// the sample apps of the later features: 6 受注明細 (ORDERLINES: subtable 明細, unique 伝票番号,
// files), 7 経費精算 (EXPENSE: process management, comments), both in space 3
// ================================================================================================
const LINES_APP = "6";
const EXPENSE_APP = "7";

test("updateRecords / updateAllRecords with upsert: insert or update per record, operation in the answer", async () => {
  const res = await client.record.updateRecords({
    app: LINES_APP,
    upsert: true,
    records: [
      { updateKey: { field: "伝票番号", value: "Q-1005" }, record: { 備考: { value: "upsert 更新" } } },
      { updateKey: { field: "伝票番号", value: "Q-5001" }, record: { 顧客ID: { value: "C005" } } },
      { id: 999999, record: { 伝票番号: { value: "Q-5002" } } }, // unknown id: inserted with a new id
    ],
  });
  assert.equal(res.records.length, 3);
  assert.deepEqual(res.records[0], { id: "5", revision: "2", operation: "UPDATE" });
  assert.deepEqual(
    res.records.slice(1).map((r) => [r.revision, r.operation]),
    [["1", "INSERT"], ["1", "INSERT"]],
  );
  assert.notEqual(res.records[2].id, "999999");
  const { record } = await client.record.getRecord({ app: LINES_APP, id: res.records[1].id });
  assert.equal(record.伝票番号.value, "Q-5001");
  assert.equal(record.顧客ID.value, "C005");

  // 2,100 records: two bulkRequests of 20 x 100 at most, mixed updates and inserts
  const records = [];
  for (let i = 1; i <= 8; i++) {
    records.push({ updateKey: { field: "伝票番号", value: `Q-100${i}` }, record: { 備考: { value: `bulk ${i}` } } });
  }
  for (let i = 1; i <= 2092; i++) {
    records.push({ updateKey: { field: "伝票番号", value: `Q-6${pad(i, 4)}` }, record: { 顧客ID: { value: "C001" } } });
  }
  const before = await stats();
  const all = await client.record.updateAllRecords({ app: LINES_APP, upsert: true, records });
  const after = await stats();
  assert.equal(all.records.length, 2100);
  assert.deepEqual(
    all.records.slice(0, 9).map((r) => r.operation),
    ["UPDATE", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "UPDATE", "INSERT"],
  );
  assert.equal(all.records.filter((r) => r.operation === "INSERT").length, 2092);
  assert.equal(delta(before, after, "POST", "bulkRequest"), 2);
  const inserted = await client.record.getRecords({ app: LINES_APP, query: '伝票番号 like "Q-6"', totalCount: true });
  assert.equal(inserted.totalCount, "2092");

  // upsert needs the add permission as well as edit
  const editOnly = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: "app1edittoken" } });
  await assert.rejects(
    editOnly.record.updateRecords({
      app: SAMPLE_APP,
      upsert: true,
      records: [{ updateKey: { field: "顧客ID", value: "C001" }, record: {} }],
    }),
    (e) => {
      assert.ok(e instanceof KintoneRestAPIError, String(e));
      assert.equal(e.status, 403);
      assert.equal(e.code, "GAIA_NO01");
      return true;
    },
  );
});

test("cli-kintone record import --update-key レコード番号: a row with a number updates, one without inserts", async () => {
  const dir = tempDir();
  const file = path.join(dir, "lines.csv");
  fs.writeFileSync(
    file,
    ['"レコード番号","伝票番号","備考"', '"6","Q-1006","cli で更新"', '"","Q-7001","cli で追加"', ""].join("\n"),
  );
  const before = await stats();
  const run = await cli([
    "record", "import", ...passwordArgs(), "--app", LINES_APP, "--file-path", file, "--update-key", "レコード番号",
  ]);
  assert.equal(run.code, 0, `cli-kintone import failed:\n${run.stdout}\n${run.stderr}`);
  const after = await stats();
  assert.equal(delta(before, after, "POST", "bulkRequest"), 1, "one server-side upsert");
  const res = await client.record.getRecords({
    app: LINES_APP,
    query: '伝票番号 in ("Q-1006", "Q-7001") order by $id asc',
    fields: ["$id", "伝票番号", "備考", "明細"],
  });
  assert.deepEqual(
    res.records.map((r) => [r.伝票番号.value, r.備考.value]),
    [["Q-1006", "cli で更新"], ["Q-7001", "cli で追加"]],
  );
  assert.equal(res.records[0].$id.value, "6");
  assert.ok(Number(res.records[1].$id.value) > 6);
});

test("subtable rows on update: rows by id kept (omitted inner fields too), rows without id added, others deleted", async () => {
  const { record } = await client.record.getRecord({ app: LINES_APP, id: 2 });
  const rows = record.明細.value;
  assert.equal(rows.length, 4);
  const res = await client.record.updateRecord({
    app: LINES_APP,
    id: 2,
    revision: record.$revision.value,
    record: {
      明細: {
        value: [
          { id: rows[1].id, value: { 数量: { value: "7" } } },
          { value: { 品目: { value: "新品目" }, 数量: { value: "1" }, 単価: { value: "50" } } },
        ],
      },
    },
  });
  assert.equal(res.revision, String(Number(record.$revision.value) + 1));
  const after = (await client.record.getRecord({ app: LINES_APP, id: 2 })).record.明細.value;
  assert.equal(after.length, 2);
  assert.equal(after[0].id, rows[1].id);
  assert.deepEqual(after[0].value.品目, rows[1].value.品目);
  assert.equal(after[0].value.数量.value, "7");
  assert.equal(after[0].value.小計.value, String(7 * Number(rows[1].value.単価.value)));
  assert.ok(!rows.map((r) => r.id).includes(after[1].id), "a new row gets a new id");
  assert.equal(after[1].value.小計.value, "50");
});

test("uploadFile into a subtable row, downloadFile by the record's key; binary round trip; the size limit", async () => {
  const { fileKey } = await client.file.uploadFile({ file: { name: "仕様書 v2.txt", data: "仕様: 8 cores\n" } });
  await client.record.updateRecord({
    app: LINES_APP,
    id: 3,
    record: { 明細: { value: [{ value: { 品目: { value: "図面つき" }, 仕様書: { value: [{ fileKey }] } } }] } },
  });
  const { record } = await client.record.getRecord({ app: LINES_APP, id: 3 });
  const [info] = record.明細.value[0].value.仕様書.value;
  assert.equal(info.name, "仕様書 v2.txt");
  assert.equal(info.size, String(Buffer.byteLength("仕様: 8 cores\n")));
  assert.notEqual(info.fileKey, fileKey, "the record shows a download key");
  assert.equal(Buffer.from(await client.file.downloadFile({ fileKey: info.fileKey })).toString("utf8"), "仕様: 8 cores\n");

  const binary = (await client.record.getRecord({ app: LINES_APP, id: 4 })).record.添付.value;
  assert.equal(binary.length, 1);
  const { record: r7 } = await client.record.getRecord({ app: LINES_APP, id: 7 });
  const bin = r7.添付.value.find((f) => f.name === "all-bytes.bin");
  const data = Buffer.from(await client.file.downloadFile({ fileKey: bin.fileKey }));
  assert.deepEqual([...data], [...Array(256).keys()], "byte for byte");

  try {
    await control("POST", "/_emulator/config", { max_file_size: 8 });
    await assert.rejects(client.file.uploadFile({ file: { name: "big.txt", data: "123456789" } }), (e) => {
      assert.ok(e instanceof KintoneRestAPIError, String(e));
      assert.equal(e.status, 400);
      assert.equal(e.code, "CB_VA01");
      assert.deepEqual(Object.keys(e.errors), ["file"]);
      return true;
    });
    assert.match((await client.file.uploadFile({ file: { name: "ok.txt", data: "12345678" } })).fileKey, /\S/);
  } finally {
    await control("POST", "/_emulator/config", { max_file_size: 1073741824 });
  }
  // 404 GAIA_BL01; the SDK reads a download as an ArrayBuffer and does not decode the JSON error
  // body then (the same against real Kintone), so only the status reaches the caller.
  await assert.rejects(client.file.downloadFile({ fileKey: "no-such-key" }), (e) => {
    assert.ok(e instanceof KintoneRestAPIError, String(e));
    assert.equal(e.status, 404);
    return true;
  });
});

test("record comments: getRecordComments (order, paging), addRecordComment with mentions, deleteRecordComment", async () => {
  const seeded = await client.record.getRecordComments({ app: EXPENSE_APP, record: 3, order: "asc" });
  assert.equal(seeded.comments.length, 3);
  assert.deepEqual(seeded.comments[0], {
    id: "1",
    text: "マネージャー \nご承認をお願いします。",
    createdAt: "2026-03-07T09:30:00Z",
    creator: { code: "sato", name: "佐藤 昇" },
    mentions: [{ code: "managers", type: "GROUP" }],
  });
  const page = await client.record.getRecordComments({ app: EXPENSE_APP, record: 3, limit: 2, offset: 1 });
  assert.deepEqual(page.comments.map((c) => c.id), ["2", "1"]);
  assert.equal(page.older, false);
  assert.equal(page.newer, true);

  const added = await client.record.addRecordComment({
    app: EXPENSE_APP,
    record: 1,
    comment: { text: "SDK から", mentions: [{ code: "tanaka", type: "USER" }] },
  });
  assert.deepEqual(added, { id: "1" });
  const { comments } = await client.record.getRecordComments({ app: EXPENSE_APP, record: 1 });
  assert.equal(comments[0].text, "田中 花子 \nSDK から");
  assert.deepEqual(comments[0].creator, { code: "Administrator", name: "管理者" });
  await assert.rejects(client.record.deleteRecordComment({ app: EXPENSE_APP, record: 3, comment: 2 }), (e) => {
    assert.equal(e.status, 403); // only the poster (suzuki) may delete it
    assert.equal(e.code, "CB_NO02");
    return true;
  });
  assert.deepEqual(await client.record.deleteRecordComment({ app: EXPENSE_APP, record: 1, comment: 1 }), {});
  await assert.rejects(client.record.deleteRecordComment({ app: EXPENSE_APP, record: 1, comment: 1 }), (e) => {
    assert.equal(e.status, 400);
    assert.equal(e.code, "GAIA_RE02");
    return true;
  });
});

test("process management: getProcessManagement, updateRecordStatus, updateRecordsStatus, updateRecordAssignees", async () => {
  const pm = await client.app.getProcessManagement({ app: EXPENSE_APP });
  assert.equal(pm.enable, true);
  assert.deepEqual(Object.keys(pm.states), ["未処理", "処理中", "承認待ち", "完了"]);
  assert.equal(pm.actions.length, 6);
  assert.equal(pm.states.承認待ち.assignee.type, "ALL");
  const en = await client.app.getProcessManagement({ app: EXPENSE_APP, lang: "en" });
  assert.deepEqual(en.actions[0], { name: "Start", from: "Not started", to: "In progress", filterCond: "", type: "PRIMARY" });

  // E-0009 waits for Administrator's approval
  assert.deepEqual(await client.record.updateRecordStatus({ app: EXPENSE_APP, id: 9, action: "承認", revision: 1 }), {
    revision: "3",
  });
  let { record } = await client.record.getRecord({ app: EXPENSE_APP, id: 9 });
  assert.deepEqual(record.ステータス, { type: "STATUS", value: "完了" });
  assert.deepEqual(record.作業者, { type: "STATUS_ASSIGNEE", value: [] });

  // E-0001 is sato's: Administrator takes it over, then starts it
  assert.deepEqual(await client.record.updateRecordAssignees({ app: EXPENSE_APP, id: 1, assignees: ["Administrator"] }), {
    revision: "2",
  });
  const many = await client.record.updateRecordsStatus({
    app: EXPENSE_APP,
    records: [{ id: 1, action: "処理開始", assignee: "tanaka", revision: 2 }],
  });
  assert.deepEqual(many, { records: [{ id: "1", revision: "4" }] });
  ({ record } = await client.record.getRecord({ app: EXPENSE_APP, id: 1 }));
  assert.equal(record.ステータス.value, "処理中");
  assert.deepEqual(record.作業者.value, [{ code: "tanaka", name: "田中 花子" }]);

  const expectError = (promise, status, code) =>
    assert.rejects(promise, (e) => {
      assert.ok(e instanceof KintoneRestAPIError, String(e));
      assert.equal(e.status, status);
      assert.equal(e.code, code);
      return true;
    });
  await expectError(client.record.updateRecordStatus({ app: EXPENSE_APP, id: 2, action: "承認依頼" }), 403, "GAIA_NT01");
  await expectError(client.record.updateRecordStatus({ app: EXPENSE_APP, id: 1, action: "承認" }), 400, "GAIA_IL03");
  await expectError(client.record.updateRecordStatus({ app: SAMPLE_APP, id: 1, action: "x" }), 400, "GAIA_ST02");

  // settings: add an action in the pre-live settings, deploy, use it
  const actions = pm.actions.map(({ name, from, to, filterCond, type, executableUser }) =>
    type === "SECONDARY" ? { name, from, to, filterCond, type, executableUser } : { name, from, to, filterCond });
  actions.push({ name: "取り下げ", from: "処理中", to: "完了" });
  const { revision } = await client.app.updateProcessManagement({ app: EXPENSE_APP, actions });
  assert.equal((await client.app.getProcessManagement({ app: EXPENSE_APP, preview: true })).actions.length, 7);
  assert.equal((await client.app.getProcessManagement({ app: EXPENSE_APP })).actions.length, 6);
  await client.app.deployApp({ apps: [{ app: EXPENSE_APP, revision }] });
  assert.equal((await client.app.getDeployStatus({ apps: [EXPENSE_APP] })).apps[0].status, "SUCCESS");
  const tanaka = new KintoneRestAPIClient({ baseUrl, auth: { username: "tanaka", password: "tanaka-pass" } });
  assert.deepEqual(await tanaka.record.updateRecordStatus({ app: EXPENSE_APP, id: 1, action: "取り下げ" }), {
    revision: "6",
  });
});

test("bulkRequest carries record/assignees and records/status (endpointName), all or nothing", async () => {
  // E-0007 waits in 未処理 for its creator: Administrator takes it over and starts it, in one request.
  const done = await client.bulkRequest({
    requests: [
      { method: "PUT", endpointName: "record/assignees", payload: { app: EXPENSE_APP, id: 7, assignees: ["Administrator"] } },
      {
        method: "PUT",
        endpointName: "records/status",
        payload: { app: EXPENSE_APP, records: [{ id: 7, action: "処理開始", assignee: "sato" }] },
      },
    ],
  });
  assert.equal(done.results.length, 2);
  assert.match(done.results[0].revision, /^\d+$/);
  assert.equal(done.results[1].records[0].id, "7");
  assert.equal(Number(done.results[1].records[0].revision), Number(done.results[0].revision) + 2);
  let { record } = await client.record.getRecord({ app: EXPENSE_APP, id: 7 });
  assert.equal(record.ステータス.value, "処理中");
  assert.deepEqual(record.作業者.value, [{ code: "sato", name: "佐藤 昇" }]);

  // The second call fails (承認 is not an action of 未処理): the first is not applied either, and
  // the error says which call failed.
  const before = (await client.record.getRecord({ app: EXPENSE_APP, id: 10 })).record;
  await assert.rejects(
    client.bulkRequest({
      requests: [
        { method: "PUT", endpointName: "record/assignees", payload: { app: EXPENSE_APP, id: 10, assignees: ["Administrator"] } },
        { method: "PUT", endpointName: "record/status", payload: { app: EXPENSE_APP, id: 10, action: "承認" } },
      ],
    }),
    (e) => {
      assert.ok(e instanceof KintoneRestAPIError, String(e));
      assert.equal(e.status, 400);
      assert.equal(e.code, "GAIA_IL03");
      assert.equal(e.bulkRequestIndex, 1);
      return true;
    },
  );
  ({ record } = await client.record.getRecord({ app: EXPENSE_APP, id: 10 }));
  assert.deepEqual(record.作業者, before.作業者);
  assert.deepEqual(record.ステータス, before.ステータス);
  assert.equal(record.$revision.value, before.$revision.value);
});

test("views and app settings: getViews, updateViews + deployApp, getAppSettings, updateAppSettings", async () => {
  const { views, revision } = await client.app.getViews({ app: LINES_APP });
  assert.deepEqual(Object.keys(views), ["一覧", "大口", "受注カレンダー"]);
  assert.equal(views.大口.filterCond, "合計 >= 500000");
  const put = await client.app.updateViews({
    app: LINES_APP,
    revision,
    views: {
      一覧: { type: "LIST", index: 0, fields: ["伝票番号", "合計"] },
      担当者別: { type: "LIST", index: 1, fields: ["伝票番号", "担当者"], filterCond: '担当者 in ("sato")', sort: "伝票番号 asc" },
    },
  });
  assert.equal(put.views.一覧.id, views.一覧.id);
  assert.match(put.views.担当者別.id, /^\d+$/);
  assert.deepEqual(Object.keys((await client.app.getViews({ app: LINES_APP, preview: true })).views), ["一覧", "担当者別"]);
  await client.app.deployApp({ apps: [{ app: LINES_APP }] });
  const live = await client.app.getViews({ app: LINES_APP });
  assert.deepEqual(Object.keys(live.views), ["一覧", "担当者別"]);
  assert.equal(live.revision, put.revision);

  const settings = await client.app.getAppSettings({ app: LINES_APP });
  assert.equal(settings.name, "受注明細");
  assert.equal(settings.theme, "BLUE");
  assert.deepEqual(settings.titleField, { selectionMode: "MANUAL", code: "伝票番号" });
  assert.equal((await client.app.getAppSettings({ app: LINES_APP, lang: "en" })).name, "Order lines");
  await client.app.updateAppSettings({ app: LINES_APP, theme: "RED", description: "説明を更新" });
  assert.equal((await client.app.getAppSettings({ app: LINES_APP, preview: true })).theme, "RED");
  assert.equal((await client.app.getAppSettings({ app: LINES_APP })).theme, "BLUE");
  await client.app.deployApp({ apps: [{ app: LINES_APP }] });
  const after = await client.app.getAppSettings({ app: LINES_APP });
  assert.equal(after.theme, "RED");
  assert.equal((await client.app.getApp({ id: LINES_APP })).description, "説明を更新");
});

test("spaces: getSpace lists the attached apps; addApp into a space reads its default thread", async () => {
  const space = await client.space.getSpace({ id: 3 });
  assert.equal(space.name, "購買・経費スペース");
  assert.equal(space.isGuest, false);
  assert.deepEqual(space.attachedApps.map((a) => a.appId), ["6", "7"]);
  const guest = new KintoneRestAPIClient({ baseUrl, auth: ADMIN, guestSpaceId: 2 });
  const g = await guest.space.getSpace({ id: 2 });
  assert.equal(g.isGuest, true);
  assert.deepEqual(g.attachedApps.map((a) => a.appId), ["3"]);

  const { app } = await client.app.addApp({ name: "スペースのアプリ", space: 3 });
  await client.app.deployApp({ apps: [{ app }] });
  const info = await client.app.getApp({ id: app });
  assert.equal(info.spaceId, "3");
  assert.equal(info.threadId, "3");
  const { apps } = await client.app.getApps({ spaceIds: [3] });
  assert.deepEqual(apps.map((a) => a.appId), ["6", "7", app]);
  await assert.rejects(tokenClient.space.getSpace({ id: 3 }), (e) => {
    assert.equal(e.status, 403);
    assert.equal(e.code, "GAIA_NO01");
    return true;
  });
});

// ---- stats helpers (emulator control API) -------------------------------------------------------
function delta(before, afterStats, method, endpoint) {
  return requestCount(afterStats, method, endpoint) - requestCount(before, method, endpoint);
}
function requestCount(s, method, endpoint) {
  return s.requests[`${method} /k/v1/${endpoint}.json`] ?? 0;
}
function liveCursors(s) {
  assert.equal(typeof s.live_cursors, "number", "stats.live_cursors");
  return s.live_cursors;
}
