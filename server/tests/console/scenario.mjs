// The requirements' scenario through the web console only (issue 19's Proof), in Debian's
// Chromium with the CSP enforced: the first admin signs in and enrols TOTP (QR page, recovery
// codes), signs out and back in with a TOTP code by keyboard only, uploads the CML the Root
// issued, creates 10 sites (one with a fingerprint; one by keyboard only) and sees the 11th
// refused, revokes one, imports a CSV (dry run, then commit), generates the month's manifest,
// sends it to the Root and sees its receipt; then the database (sqlite3) is checked to say the
// same. Every page: screenshots at 1280 and 390 px, axe-core (no serious or critical
// violation), no CSP violation or console error, its load time.
//
//   node server/tests/console/scenario.mjs        (scripts/test-console.sh builds and runs it)

import {
  Browser, check, enrolRootAdmin, issueCml, log, sqlite, startServer, totp, waitNextStep, api,
} from "./harness.mjs";
import { sitesSteps } from "./sites-steps.mjs";

const started = Date.now();
const server = await startServer();
const b = await Browser.launch(server);
const page = b.page;
// Part 1's 27 pages have no axe violation at all: a moderate one fails the run too.
b.axeFailOn = ["moderate", "serious", "critical"];
let ok = false;
try {
  // The Root (same process) issues the Hub's CML for 10 sites; the operator carries it over.
  const rootToken = await enrolRootAdmin(server);
  const cml = await issueCml(server, rootToken, { maxSites: 10 });

  // 1. First sign-in: the password, then the enrolment the first admin must do.
  await b.goto("/");
  check(page.url().includes("/login?next=%2F"), `not sent to sign in: ${page.url()}`);
  await b.check("login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(server.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/account/mfa");
  await b.check("mfa-required", { afterPasswordCheck: true });
  await page.getByRole("button", { name: "Start setting up" }).click();
  await page.waitForSelector("#totp-secret");
  const secret = await b.text("#totp-secret");
  check(/^[A-Z2-7]{16,}$/.test(secret), `secret ${secret}`);
  check(await page.locator("img.qr").isVisible(), "the QR code is shown");
  await b.check("mfa-enrol");
  await page.getByLabel("Code from the app").fill(totp(secret));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.waitForSelector("#recovery-codes");
  const codes = await page.locator("#recovery-codes li").count();
  check(codes === 10, `${codes} recovery codes`);
  await b.check("recovery-codes");
  await page.getByRole("link", { name: /go to the dashboard/ }).click();
  await page.waitForURL(server.base + "/");
  check((await b.text("#cml-standing")).includes("No CML is installed yet"), "no CML yet");
  await b.check("dashboard-empty");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/login");
  await b.flash("You are signed out.");

  // 2. A wrong code reads as a sentence; then sign in with TOTP by keyboard only.
  await waitNextStep();
  await b.goto("/login");
  await b.autofocused("username");
  await page.keyboard.type("admin"); // the user name field has the focus
  await page.keyboard.press("Tab");
  await page.keyboard.type(server.password);
  await page.keyboard.press("Tab");
  await page.keyboard.type("000000");
  await page.keyboard.press("Enter");
  await page.waitForSelector("#login-error");
  check((await b.text("#login-error")).includes("The user name, password or code is wrong"), "wrong-code sentence");
  await b.check("login-error", { afterPasswordCheck: true });
  const kept = await page.locator("#username").inputValue();
  check(kept === "admin", `the error page kept the user name "${kept}", not "admin"`);
  await page.locator("#password").focus();
  await page.keyboard.type(server.password);
  await page.keyboard.press("Tab");
  await page.keyboard.press("Control+A");
  await page.keyboard.type(totp(secret));
  await page.keyboard.press("Enter");
  await page.waitForURL(server.base + "/");
  log("signed in with TOTP by keyboard");

  // 3. Upload the CML (the sign-in's second factor allows admin actions for 15 minutes).
  await page.getByLabel("CML (the compact JWS the Root sent)").fill(cml);
  await page.getByLabel("Upload (first CML)").check();
  await page.getByRole("button", { name: "Install CML" }).click();
  await page.waitForURL(server.base + "/");
  await b.flash("installed for org acme: up to 10 active sites");
  check((await b.text("#cml-standing")).includes("valid"), "CML valid");
  await b.check("dashboard-cml");

  // 4. The Sites pages: 10 sites (one with a fingerprint), the 11th refused, a revoke, the
  //    CSV import dry run and commit.
  const sites = await sitesSteps(b, server);

  // Node activity for the chart: a heartbeat and validations, as nodes would send them.
  const lic = sites.license;
  const hb = await api(server, "POST", `/api/sites/${sites.heartbeatSite}/heartbeat`, null, {
    license_id: sites.licenseId, nonce: "console-scenario-nonce-0001",
  });
  check(hb.status === 200, `heartbeat: ${JSON.stringify(hb.body)}`);
  const v = await api(server, "POST", "/api/validate", null, { license: lic, facts: sites.facts });
  check(v.status === 200, `validate: ${JSON.stringify(v.body)}`);
  await b.goto("/");
  const chartTitle = await page.locator("#activity-chart title").first().textContent();
  check(/1 heartbeats, 1 validations passed/.test(chartTitle), `chart: ${chartTitle}`);
  check((await b.text("#sites-gauge")).startsWith(`${sites.active} of 10 active`), `gauge: ${await b.text("#sites-gauge")}`);
  await b.check("dashboard");

  // The account pages.
  await b.goto("/account");
  await b.check("account");
  await b.goto("/account/password");
  await b.check("password");
  await b.goto("/account/step-up?next=%2Fmanifests");
  await b.check("step-up");

  // 5. The month's manifest: generate, preview, send, receipt.
  await b.goto("/manifests");
  check((await b.text("#manifest-history")).includes("No manifest yet"), "no manifest yet");
  await b.check("manifests-empty");
  const period = await page.getByLabel("Month").inputValue();
  await page.getByRole("button", { name: "Generate the manifest" }).click();
  await page.waitForURL("**/manifests/*");
  await b.flash(`The manifest of ${period} is generated`);
  check((await b.text("#manifest-status")) === "generated", "status generated");
  const listed = await page.locator("#manifest-sites tbody tr").count();
  log(`manifest ${period} lists ${listed} sites`);
  await page.getByText("Raw JSON (the signed payload)").click();
  check((await b.text("#manifest-json")).includes(`"period": "${period}"`), "raw JSON shown");
  await b.check("manifest-preview");
  await page.getByRole("button", { name: "Send to the Root" }).click();
  await page.waitForURL("**/manifests/*");
  await b.flash("is delivered: the Root's receipt verified");
  check((await b.text("#manifest-status")) === "sent", "status sent");
  const receipt = await b.text("#receipt-json");
  check(receipt.includes('"manifest"') || receipt.includes("manifest"), `receipt: ${receipt.slice(0, 200)}`);
  await b.check("manifest-sent");
  await b.goto("/manifests");
  check((await b.text("#manifest-history")).includes("sent"), "history says sent");
  await b.check("manifests");

  // An unknown page reads as a sentence too.
  const nf = await b.goto("/manifests/no-such-manifest");
  check(nf.status() === 404, `unknown manifest: ${nf.status()}`);
  await b.check("not-found");

  // 6. The database says the same.
  const [[active], [revoked]] = [
    sqlite(server.db, "SELECT count(*) FROM sites WHERE status = 'active'")[0],
    sqlite(server.db, "SELECT count(*) FROM sites WHERE status = 'revoked'")[0],
  ];
  check(Number(active) === sites.active, `database: ${active} active sites, the pages said ${sites.active}`);
  check(Number(revoked) === sites.revoked, `database: ${revoked} revoked sites, the pages said ${sites.revoked}`);
  const fp = sqlite(server.db, `SELECT fingerprint FROM sites WHERE site_id = '${sites.fingerprinted}'`)[0][0];
  check(fp.includes(sites.fingerprintTag), `database: the fingerprint of ${sites.fingerprinted} is ${fp}`);
  const m = sqlite(server.db, `SELECT status, attempts, receipt IS NOT NULL FROM manifests WHERE period = '${period}'`);
  check(m.length === 1 && m[0][0] === "sent" && m[0][2] === "1", `database manifest: ${JSON.stringify(m)}`);
  const atRoot = sqlite(server.db, "SELECT count(*) FROM root_manifests")[0][0];
  check(Number(atRoot) === 1, `database: the Root holds ${atRoot} manifests`);
  const acts = sqlite(server.db, "SELECT kind, count FROM node_activity ORDER BY kind");
  log(`database: ${active} active, ${revoked} revoked, manifest ${period} ${m[0][0]} after ${m[0][1]} attempt(s), Root holds ${atRoot}, activity ${JSON.stringify(acts)}`);

  const loads = b.timingsReport();
  check(loads.every((t) => t < 2000), "every page loads in under 2 s");
  log(`axe: ${b.axeTotals.pages} pages checked, ${b.axeTotals.violations} violations in all, ${b.axeTotals.seriousOrCritical} serious or critical`);
  ok = true;
} catch (e) {
  console.error(e);
  console.error("server log tail:\n" + server.stderr().slice(-3000));
  try {
    await page.screenshot({ path: "target/console-screenshots/FAILED.png", fullPage: true });
    console.error(`failed on ${page.url()}; screenshot target/console-screenshots/FAILED.png`);
    const said = await page.locator("[role=alert], .flash").allTextContents();
    if (said.length) console.error(`the page said: ${said.join(" | ")}`);
  } catch {}
} finally {
  await b.close();
  await server.stop();
}
log(`scenario ${ok ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
process.exit(ok ? 0 : 1);
