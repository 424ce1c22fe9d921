// @kintone/rest-api-client getAllRecords over the benchmark app (part of bench/run.sh).
//
// Uses the official client installed by test/clients (test/clients/node_modules). Without
// `condition`/`orderBy`, getAllRecords pages with the seek query "$id > N order by $id asc
// limit 500" — the same requests as the FDW's full scan. `fields` is the same list the FDW asks
// for, so the emulator serves both from the same cached record JSON.
//
// Usage: node client.cjs BASE_URL APP API_TOKEN FIELDS_JSON RUNS
// Prints one JSON line per run: {"run": i, "records": n, "ms": t, "requests": r}
// (requests from the emulator's /_emulator/stats, reset before each run).
"use strict";
const path = require("node:path");

const clientsDir = path.resolve(__dirname, "..", "test", "clients");
const { KintoneRestAPIClient } = require(require.resolve("@kintone/rest-api-client", { paths: [clientsDir] }));

async function control(baseUrl, method, p) {
  const res = await fetch(baseUrl + p, { method });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}`);
  return res.json();
}

async function main() {
  const [baseUrl, app, token, fieldsJson, runsText] = process.argv.slice(2);
  const fields = JSON.parse(fieldsJson);
  const runs = Number(runsText);
  for (let run = 0; run < runs; run++) {
    const client = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: token } });
    await control(baseUrl, "POST", "/_emulator/stats/reset");
    const t0 = process.hrtime.bigint();
    let records = await client.record.getAllRecords({ app, fields });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const n = records.length;
    records = null;
    const stats = await control(baseUrl, "GET", "/_emulator/stats");
    console.log(JSON.stringify({ run, records: n, ms, requests: stats.requests_total, bytes: stats.bytes_out }));
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
