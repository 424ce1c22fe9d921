// @kintone/rest-api-client addAllRecords of the insert benchmark (part of bench/insert.sh).
//
// Loads the records (Kintone JSON, exported from the same local table the FDW inserts from)
// before the clock starts, then times addAllRecords, which chunks 2,000 records per
// bulkRequest. The app is emptied (the emulator re-seeded) before each run.
//
// Usage: node insert_client.cjs BASE_URL APP API_TOKEN RECORDS_JSON SEED_JSON RUNS
// Prints one JSON line per run: {"run": i, "records": n, "ms": t, "requests": r}
"use strict";
const fs = require("node:fs");
const path = require("node:path");

const clientsDir = path.resolve(__dirname, "..", "test", "clients");
const { KintoneRestAPIClient } = require(require.resolve("@kintone/rest-api-client", { paths: [clientsDir] }));

async function control(baseUrl, method, p, body) {
  const res = await fetch(baseUrl + p, {
    method,
    body,
    headers: body ? { "Content-Type": "application/json" } : {},
  });
  if (!res.ok) throw new Error(`${method} ${p}: HTTP ${res.status}`);
  return res.json();
}

// CPU ms of the emulator process (EMULATOR_PID from the environment), or NaN.
function emulatorCpuMs() {
  const pid = process.env.EMULATOR_PID;
  if (!pid) return NaN;
  const f = fs.readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

async function main() {
  const [baseUrl, app, token, recordsFile, seedFile, runsText] = process.argv.slice(2);
  const records = JSON.parse(fs.readFileSync(recordsFile, "utf8"));
  const seed = fs.readFileSync(seedFile, "utf8");
  const runs = Number(runsText);
  for (let run = 0; run < runs; run++) {
    await control(baseUrl, "POST", "/_emulator/seed", seed);
    const client = new KintoneRestAPIClient({ baseUrl, auth: { apiToken: token } });
    await control(baseUrl, "POST", "/_emulator/stats/reset");
    const cpu0 = emulatorCpuMs();
    const t0 = process.hrtime.bigint();
    const result = await client.record.addAllRecords({ app, records });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    const stats = await control(baseUrl, "GET", "/_emulator/stats");
    const emulatorMs = emulatorCpuMs() - cpu0;
    console.log(JSON.stringify({ run, records: result.records.length, ms, requests: stats.requests_total, emulatorMs }));
  }
}

main().catch((e) => {
  console.error(e && e.stack ? e.stack : String(e));
  process.exit(1);
});
