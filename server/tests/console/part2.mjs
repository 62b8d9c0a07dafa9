// The web console's part-2 pages (issue 20) in Debian's Chromium with the CSP enforced:
// statistics (with its CSV and PDF downloads), ledger (each entry verified, then the whole
// chain), audit log (filtered by keyboard, CSV export), users and tokens, alerts, and the sites
// CSV export downloaded from the list and uploaded to the import's dry run (every row skipped:
// the sites are there). Every page: screenshots at 1280 and 390 px, axe-core (no moderate,
// serious or critical violation), no CSP
// violation or console error, its load time. The PDF report is rendered with pdftoppm (the PNG's
// size checked) and read with pdftotext (the org id and the figures). The session is the API
// token of the Hub's admin (sign-in itself is scenario.mjs's part).
//
//   node server/tests/console/part2.mjs        (scripts/test-console.sh builds and runs it)

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { Browser, api, check, enrolRootAdmin, issueCml, log, startServer, totp } from "./harness.mjs";

const started = Date.now();
const server = await startServer();
const b = await Browser.launch(server);
const page = b.page;
b.axeFailOn = ["moderate", "serious", "critical"];
const tmp = mkdtempSync(path.join(os.tmpdir(), "hwf-part2-"));
let ok = false;
try {
  const rootToken = await enrolRootAdmin(server);
  const cml = await issueCml(server, rootToken, { orgId: "acme-part2", maxSites: 10 });
  // The Hub's admin over the API (enrolled, so admin actions pass step-up for 15 minutes).
  const first = await api(server, "POST", "/api/auth/login", null, { username: "admin", password: server.password, realm: "hub" });
  const e = await api(server, "POST", "/api/auth/totp/enrol", first.body.token, {});
  const c = await api(server, "POST", "/api/auth/totp/confirm", first.body.token, { code: totp(e.body.secret) });
  check(c.status === 200, `hub confirm: ${JSON.stringify(c.body)}`);
  const token = c.body.login.token;
  check((await api(server, "POST", "/api/cml/upload", token, { cml })).status === 200, "CML installed");
  for (const [id, product, tier] of [["p1", "hwf", "active"], ["p2", "hwf", "active"], ["p3", "scan", "=pro"], ["p4", "hwf", "edge"]]) {
    const r = await api(server, "POST", "/api/sites/create", token, { site_id: id, product, tier });
    check(r.status === 201, `create ${id}: ${JSON.stringify(r.body)}`);
  }
  check((await api(server, "DELETE", "/api/sites/p2", token)).status === 200, "revoke p2");
  const url = new URL(server.base);
  for (const ctx of [b.context, b.axeContext]) {
    await ctx.addCookies([{ name: "hwf_session", value: token, domain: url.hostname, path: "/", httpOnly: true, sameSite: "Strict" }]);
  }

  // Statistics: this month, 3 active of 10.
  await b.goto("/stats");
  const totals = await b.text("#stats-totals");
  check(totals.includes("3 of 10 (30%)") && totals.includes("acme-part2"), `totals: ${totals}`);
  check((await page.locator("#trend-chart rect.bar").count()) === 6, "six bars by default");
  await b.check("stats");
  // The range by keyboard: the "to" month field, then Enter.
  const month = new Date().toISOString().slice(0, 7);
  await page.locator("#from").fill(month);
  await page.locator("#to").focus();
  await page.keyboard.press("Enter");
  await page.waitForURL(`**/stats?from=${month}&to=${month}`);
  check((await page.locator("#trend-table tbody tr").count()) === 1, "one month");
  const pdf = await page.request.get(`${server.base}/stats/report.pdf?from=${month}&to=${month}`);
  check(pdf.status() === 200 && pdf.headers()["content-type"] === "application/pdf", `pdf ${pdf.status()}`);
  const pdfPath = path.join(tmp, "report.pdf");
  writeFileSync(pdfPath, await pdf.body());
  execFileSync("pdftoppm", ["-png", "-r", "72", pdfPath, path.join(tmp, "page")]);
  const png = readFileSync(path.join(tmp, "page-1.png"));
  const [w, h] = [png.readUInt32BE(16), png.readUInt32BE(20)];
  check(w === 595 && h === 842 && statSync(path.join(tmp, "page-1.png")).size > 8000, `PNG ${w}x${h}`);
  const text = execFileSync("pdftotext", ["-layout", pdfPath, "-"]).toString().replace(/[ ]+/g, " ");
  for (const want of ["Org: acme-part2", "Sites active at the end: 3 of 10 (30%)", "Sites created in the period: 4", "Sites revoked in the period: 1", `${month} 3 4 1`, "scan =pro 1"]) {
    check(text.includes(want), `PDF text lacks ${JSON.stringify(want)}:\n${text}`);
  }
  log(`PDF report: ${pdf.body ? (await pdf.body()).length : 0} bytes, page 1 PNG ${w}x${h}, text checked`);
  const csv = await (await page.request.get(`${server.base}/stats/products.csv?from=${month}&to=${month}`)).text();
  check(csv.includes("scan,'=pro,1"), `products CSV protects the formula cell: ${csv}`);

  // Ledger: 6 entries (CML, 4 creates, 1 revoke), each verified; then the whole chain.
  await b.goto("/ledger");
  const results = await page.locator("#ledger-table tbody tr td:last-child").allInnerTexts();
  check(results.length === 6 && results.every((r) => r.trim() === "verified"), `ledger: ${results}`);
  await b.check("ledger");
  await page.getByRole("button", { name: "Verify the whole ledger" }).click();
  await page.waitForSelector("#ledger-verified");
  check((await b.text("#ledger-verified")).includes("The ledger verifies: 6 entries"), "chain verifies");
  await b.check("ledger-verified");

  // Audit log: filter by action by keyboard, then the CSV of the same filter.
  await b.goto("/audit");
  await b.check("audit");
  await page.locator("#action").focus();
  await page.keyboard.type("site.create");
  await page.keyboard.press("Enter");
  await page.waitForURL("**/audit?*action=site.create*");
  check((await b.text("#audit-total")) === "4", `audit total ${await b.text("#audit-total")}`);
  await b.check("audit-filtered");
  const auditCsv = await (await page.request.get(`${server.base}/audit.csv?action=site.create`)).text();
  check(auditCsv.trim().split("\r\n").length === 5, `audit CSV rows: ${auditCsv}`);

  // Users and tokens: add an operator (the session's factor is fresh), create a token.
  await b.goto("/users");
  await b.check("users");
  await page.locator("summary", { hasText: "Add a user" }).click();
  await page.getByLabel("User name").fill("operator1");
  await page.getByLabel(/^Password/).fill("a long enough password 1");
  await page.getByLabel("Role", { exact: true }).selectOption("operator");
  await page.getByRole("button", { name: "Add user" }).click();
  await page.waitForURL("**/users");
  await b.flash("User operator1 added as operator.");
  await page.locator("summary", { hasText: "Create a service token" }).click();
  await page.getByLabel("Name (what it is for)").fill("ci");
  await page.getByRole("button", { name: "Create token" }).click();
  await page.waitForSelector("#token-secret");
  check((await b.text("#token-secret")).startsWith("hwfst."), "token shown");
  await b.check("users-token-created");

  await b.goto("/alerts");
  await b.check("alerts");

  // The sites CSV export, downloaded from the list with its filter, re-imports unchanged:
  // uploaded to the import's dry run, each of its rows is skipped (already there).
  await b.goto("/sites?status=active");
  const [download] = await Promise.all([page.waitForEvent("download"), page.locator("#export-csv").click()]);
  check(download.suggestedFilename() === "sites.csv", `download name ${download.suggestedFilename()}`);
  const exportPath = path.join(tmp, "sites.csv");
  await download.saveAs(exportPath);
  const exported = readFileSync(exportPath, "utf8");
  check(
    exported === "site_id,product,tier,features,address,dns_suffix,deployment_tag,valid_days\r\np1,hwf,active,,,,,\r\np3,scan,'=pro,,,,,\r\np4,hwf,edge,,,,,\r\n",
    `the export: ${JSON.stringify(exported)}`,
  );
  await page.goto(`${server.base}/sites/import`);
  await page.locator("#file").setInputFiles(exportPath);
  await page.getByRole("button", { name: "Check (dry run)" }).click();
  await page.waitForSelector("#import-summary");
  check((await b.text("#import-summary")) === "0 would be created, 3 skipped, 0 failed.", `summary: ${await b.text("#import-summary")}`);
  const outcomes = await page.locator("#import-rows tbody tr").allInnerTexts();
  check(
    outcomes.length === 3 && ["p1", "p3", "p4"].every((id, i) => outcomes[i].includes(id) && outcomes[i].includes("skipped") && outcomes[i].includes("already exists (active)")),
    `rows: ${JSON.stringify(outcomes)}`,
  );
  await b.check("sites-export-reimported");
  log(`sites export: ${exported.length} bytes, 3 rows, re-imported as 3 skipped`);

  const loads = b.timingsReport();
  log(`axe: ${b.axeTotals.pages} pages checked, ${b.axeTotals.violations} violations in all, ${b.axeTotals.seriousOrCritical} serious or critical`);
  check(loads.every((l) => l < 2000), "every page loads in under 2 s");
  ok = true;
  log(`part 2 pages passed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
} finally {
  await b.close();
  await server.stop();
  rmSync(tmp, { recursive: true, force: true });
  if (!ok) process.exitCode = 1;
}
