// The official clients of bench/latency.sh, against the same emulator (every response delayed).
//
// Usage: node latency_client.cjs BASE_URL TOKEN WHAT APP [ARG]
//   get    APP FIELDS_JSON      @kintone/rest-api-client getAllRecords (seek by $id, one page at a time)
//   getq   APP FIELDS_JSON COND getAllRecords with a condition
//   geto   APP FIELDS_JSON ORD  getAllRecords with an order (it then uses a cursor)
//   add    APP RECORDS_FILE     addAllRecords of the records in RECORDS_FILE (JSON array)
//   export APP                  @kintone/cli record export (CSV to /dev/null)
// Prints one JSON line: {"ms", "records", "requests", "max_concurrent"} (the emulator's stats,
// reset before the run).
"use strict";
const path = require("node:path");
const fs = require("node:fs");
const { spawnSync } = require("node:child_process");

const clientsDir = path.resolve(__dirname, "..", "test", "clients");
const { KintoneRestAPIClient } = require(require.resolve("@kintone/rest-api-client", { paths: [clientsDir] }));

async function control(baseUrl, method, p) {
  const res = await fetch(baseUrl + p, { method });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}`);
  return res.json();
}

async function main() {
  const [baseUrl, token, what, app, arg, arg2] = process.argv.slice(2);
  const client = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: token } });
  let records = 0;
  let input = null;
  if (what === "add") input = JSON.parse(fs.readFileSync(arg, "utf8"));
  await control(baseUrl, "POST", "/_emulator/stats/reset");
  const t0 = process.hrtime.bigint();
  if (what === "get" || what === "getq" || what === "geto") {
    const params = { app, fields: JSON.parse(arg) };
    if (what === "getq") params.condition = arg2;
    if (what === "geto") params.orderBy = arg2;
    records = (await client.record.getAllRecords(params)).length;
  } else if (what === "add") {
    records = (await client.record.addAllRecords({ app, records: input })).records.length;
  } else if (what === "export") {
    const cli = path.join(clientsDir, "node_modules", ".bin", "cli-kintone");
    const r = spawnSync(cli, ["record", "export", "--base-url", baseUrl, "--api-token", token, "--app", app], {
      maxBuffer: 1 << 30,
    });
    if (r.status !== 0) throw new Error(`cli-kintone: ${r.stderr}`);
    records = -1; // CSV rows may span lines: counted from the emulator's records_out below
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const stats = await control(baseUrl, "GET", "/_emulator/stats");
  if (records < 0) records = stats.records_out;
  console.log(JSON.stringify({ ms, records, requests: stats.requests_total, max_concurrent: stats.max_concurrent }));
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
