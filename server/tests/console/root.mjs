// The Root's console at /root/ in Debian's Chromium with the CSP enforced (issue 20's
// Playwright proof): the Root's operator signs in at /root/ and enrols TOTP, issues a CML
// through the preview (the claims as fields and the raw JSON) and its confirmation, and
// downloads it; the Hub's operator, in a browser of their own, signs in to the Hub console and
// uploads that CML, creates 3 sites, generates the month's manifest and sends it to the Root;
// the Root's operator signs in again with a TOTP code by keyboard only and sees the manifest on
// the org's page with its compliance (active sites, last manifest month, not overdue), the
// received manifest verified, its receipt, and the root keys. Neither session opens the other
// console. Then the database (sqlite3) is checked to say the same. Every page: screenshots at
// 1280 and 390 px, axe-core (no serious or critical violation), no CSP violation or console
// error, no sideways overflow, its load time.
//
//   node server/tests/console/root.mjs        (scripts/test-console.sh builds and runs it)

import { Browser, check, log, sqlite, startServer, totp, waitNextStep } from "./harness.mjs";

const started = Date.now();
const server = await startServer();
const rootB = await Browser.launch(server);
const hubB = await Browser.launch(server);
const page = rootB.page;
let ok = false;
let lastStep = -1;
/** A TOTP code of `secret`, waiting for the next time step when this one's code was used. */
async function freshCode(secret) {
  if (Math.floor(Date.now() / 30000) === lastStep) await waitNextStep();
  lastStep = Math.floor(Date.now() / 30000);
  return totp(secret);
}
const b64json = (s) => JSON.parse(Buffer.from(s, "base64url").toString("utf8"));

try {
  // 1. The Root's operator: /root/ asks for the Root's sign-in; the first sign-in must enrol.
  await rootB.goto("/root/");
  check(page.url().includes("/root/login?next=%2Froot%2F"), `not sent to the Root's sign-in: ${page.url()}`);
  check((await rootB.text(".brand")).includes("Root"), "the Root's console");
  await rootB.check("root-login");
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password", { exact: true }).fill(server.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL("**/root/account/mfa");
  await rootB.check("root-mfa-required", { afterPasswordCheck: true });
  await page.getByRole("button", { name: "Start setting up" }).click();
  await page.waitForSelector("#totp-secret");
  const secret = await rootB.text("#totp-secret");
  await rootB.check("root-mfa-enrol");
  await page.getByLabel("Code from the app").fill(await freshCode(secret));
  await page.getByRole("button", { name: "Confirm" }).click();
  await page.waitForSelector("#recovery-codes");
  check((await page.locator("#recovery-codes li").count()) === 10, "ten recovery codes");
  await rootB.check("root-recovery-codes");
  await page.getByRole("link", { name: /go to the orgs/ }).click();
  await page.waitForURL(server.base + "/root/");
  check((await rootB.text("#orgs")).includes("No org yet"), "no org yet");
  await rootB.check("root-orgs-empty");

  // 2. Issue a CML: the form, the preview of exactly what will be signed, the confirmation.
  await page.getByRole("link", { name: "Issue a CML" }).first().click();
  await page.waitForURL("**/root/cml");
  await rootB.check("root-issue-form");
  await page.getByLabel("Org id").fill("acme");
  await page.getByLabel(/Org public key/).fill(server.orgPem);
  await page.getByLabel("Max sites").fill("10");
  await page.getByLabel(/Valid for/).fill("365");
  await page.getByLabel(/Feature packs/).fill("analytics, boost");
  await page.getByLabel("prod").check();
  await page.getByRole("button", { name: "Preview the CML" }).click();
  await page.waitForSelector("#preview-json");
  const preview = JSON.parse(await page.locator("#preview-json").textContent());
  check(preview.org_id === "acme" && preview.max_sites === 10 && preview.key_type === "prod", `preview: ${JSON.stringify(preview)}`);
  check(JSON.stringify(preview.feature_packs) === '["analytics","boost"]', `features ${preview.feature_packs}`);
  check((await rootB.text("#claim-license_id")) === preview.license_id, "the rendered fields say the raw JSON's license id");
  check((await rootB.text("#claim-max_sites")) === "10", "rendered max_sites");
  check(Number(sqlite(server.db, "SELECT count(*) FROM root_cmls")[0][0]) === 0, "the preview signed nothing");
  await rootB.check("root-preview");
  await page.getByRole("button", { name: "Sign this CML" }).click();
  await page.waitForSelector("#issued-cml");
  await rootB.flash(`CML ${preview.license_id} is signed for org acme`);
  const cml = (await page.locator("#issued-cml").inputValue()).trim();
  const signed = b64json(cml.split(".")[1]);
  check(JSON.stringify(signed) === JSON.stringify(preview), `the signed payload differs from the preview:\n${JSON.stringify(signed)}\n${JSON.stringify(preview)}`);
  await rootB.check("root-issued");
  const dlHref = await page.getByRole("link", { name: "Download the CML" }).getAttribute("href");
  const dl = await rootB.context.request.get(server.base + dlHref);
  check(dl.status() === 200 && (await dl.text()) === cml, "the download is the CML shown");
  log(`the Root issued CML ${preview.license_id}: signed payload = preview (${Object.keys(preview).length} claims)`);

  // The Root's session does not open the Hub's console.
  await rootB.goto("/");
  check(page.url().includes("/login?next=%2F") && !page.url().includes("/root/"), `a Root session opened the Hub: ${page.url()}`);

  // 3. The Hub's operator (another browser): enrol, upload the CML, 3 sites, the manifest.
  const hp = hubB.page;
  await hubB.goto("/");
  await hp.getByLabel("User name").fill("admin");
  await hp.getByLabel("Password", { exact: true }).fill(server.password);
  await hp.getByRole("button", { name: "Sign in" }).click();
  await hp.waitForURL("**/account/mfa");
  await hp.getByRole("button", { name: "Start setting up" }).click();
  await hp.waitForSelector("#totp-secret");
  const hubSecret = await hubB.text("#totp-secret");
  await hp.getByLabel("Code from the app").fill(totp(hubSecret));
  await hp.getByRole("button", { name: "Confirm" }).click();
  await hp.waitForSelector("#recovery-codes");
  await hp.getByRole("link", { name: /go to the dashboard/ }).click();
  await hp.waitForURL(server.base + "/");
  await hp.getByLabel("CML (the compact JWS the Root sent)").fill(cml);
  await hp.getByLabel("Upload (first CML)").check();
  await hp.getByRole("button", { name: "Install CML" }).click();
  await hp.waitForURL(server.base + "/");
  await hubB.flash(`CML ${preview.license_id} installed for org acme: up to 10 active sites`);
  for (const id of ["plant-1", "plant-2", "plant-3"]) {
    await hp.getByLabel("Site id").fill(id);
    await hp.getByRole("button", { name: "Create site" }).click();
    await hp.waitForLoadState("load");
    await hubB.goto("/");
  }
  await hubB.goto("/manifests");
  const period = await hp.getByLabel("Month").inputValue();
  await hp.getByRole("button", { name: "Generate the manifest" }).click();
  await hp.waitForURL("**/manifests/*");
  await hp.getByRole("button", { name: "Send to the Root" }).click();
  await hp.waitForURL("**/manifests/*");
  await hubB.flash("is delivered: the Root's receipt verified");
  check((await hubB.text("#manifest-status")) === "sent", "status sent");
  // The Hub's session does not open the Root's console.
  await hubB.goto("/root/");
  check(hp.url().includes("/root/login"), `a Hub session opened the Root: ${hp.url()}`);
  log(`the Hub installed the CML, created 3 sites, sent the manifest of ${period}`);

  // 4. The Root's operator signs out, then in again with a TOTP code by keyboard only.
  await rootB.goto("/root/");
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.waitForURL("**/root/login");
  await rootB.flash("You are signed out.");
  const code = await freshCode(secret);
  await rootB.goto("/root/login");
  await rootB.autofocused("username");
  await page.keyboard.type("admin"); // the user name field has the focus
  await page.keyboard.press("Tab");
  await page.keyboard.type(server.password);
  await page.keyboard.press("Tab");
  await page.keyboard.type(code);
  await page.keyboard.press("Enter");
  await page.waitForURL(server.base + "/root/");
  log("the Root's operator signed in with TOTP by keyboard");

  // 5. The orgs list and the org page: the manifest arrived, with its compliance.
  const row = await page.locator("#orgs tbody tr").first().innerText();
  check(row.includes("acme") && row.includes("prod") && row.includes(period), `orgs row: ${row}`);
  await rootB.check("root-orgs", { afterPasswordCheck: true });
  await page.getByRole("link", { name: "acme" }).click();
  await page.waitForURL("**/root/orgs/acme");
  const active = await rootB.text("#active-prod");
  check(active.startsWith("3 "), `active sites: ${active}`);
  check((await rootB.text("#max-sites-prod")) === "10", "max sites 10");
  check((await rootB.text("#last-period-prod")).startsWith(period), `last manifest: ${await rootB.text("#last-period-prod")}`);
  check((await rootB.text("#overdue-prod")) === "no", `overdue: ${await rootB.text("#overdue-prod")}`);
  check((await rootB.text("#over-limit-prod")) === "no", "not over limit");
  check((await page.locator("#org-cmls tbody tr").count()) === 1, "one CML");
  check((await page.locator("#org-manifests tbody tr").count()) === 1, "one manifest");
  await rootB.check("root-org");
  log(`org acme: ${active}, last manifest ${period}, not overdue`);

  // 6. Received manifests: verified, and the receipt the Root signed.
  await page.getByRole("link", { name: "Manifests", exact: true }).click();
  await page.waitForURL("**/root/manifests");
  await rootB.check("root-manifests");
  await page.getByRole("link", { name: period, exact: true }).click();
  await page.waitForURL("**/root/manifests/*");
  check((await rootB.text("#manifest-verification")).startsWith("verified"), `verification: ${await rootB.text("#manifest-verification")}`);
  await rootB.check("root-manifest");
  const rHref = await page.getByRole("link", { name: /Download the receipt/ }).getAttribute("href");
  const rdl = await rootB.context.request.get(server.base + rHref);
  check(rdl.status() === 200, `receipt download ${rdl.status()}`);
  const kept = JSON.parse(await rdl.text());
  const rc = b64json(kept.receipt.split(".")[1]);
  check(rc.period === period && rc.org_id === "acme", `receipt claims ${JSON.stringify(rc)}`);

  // 7. Root keys: kid, thumbprint, SPKI fingerprint.
  await page.getByRole("link", { name: "Root keys" }).click();
  await page.waitForURL("**/root/keys");
  const kids = await page.locator("code.kid").allInnerTexts();
  check(kids.length === 2, `${kids.length} keys`);
  check(kids.includes(preview.issued_by), `the signing key ${preview.issued_by} is listed`);
  for (const t of await page.locator("code.spki").allInnerTexts()) check(/^([0-9a-f]{2}:){31}[0-9a-f]{2}$/.test(t), `SPKI fingerprint ${t}`);
  await rootB.check("root-keys");
  await rootB.goto("/root/account");
  await rootB.check("root-account");

  // 8. The database says the same.
  const cmls = sqlite(server.db, "SELECT license_id, org_id, max_sites, environment FROM root_cmls");
  check(cmls.length === 1 && cmls[0][0] === preview.license_id && cmls[0][2] === "10" && cmls[0][3] === "prod", `database CMLs: ${JSON.stringify(cmls)}`);
  const hubCml = sqlite(server.db, "SELECT count(*) FROM hub_cmls")[0][0];
  const rm = sqlite(server.db, "SELECT period, total_active_sites, receipt FROM root_manifests WHERE org_id = 'acme'");
  check(rm.length === 1 && rm[0][0] === period && rm[0][1] === "3", `database manifests at the Root: ${JSON.stringify(rm)}`);
  check(rm[0][2] === kept.receipt, "the downloaded receipt is the one the Root keeps");
  const hm = sqlite(server.db, `SELECT status, receipt FROM manifests WHERE period = '${period}'`);
  check(hm.length === 1 && hm[0][0] === "sent" && hm[0][1].includes(kept.receipt), `database manifest at the Hub: ${hm[0] && hm[0][0]}`);
  const rootKids = sqlite(server.db, "SELECT kid FROM root_keys ORDER BY kid").map((r) => r[0]);
  check(JSON.stringify([...kids].sort()) === JSON.stringify(rootKids), `keys page ${kids} vs database ${rootKids}`);
  log(`database: 1 CML ${cmls[0][0]} (10 sites, prod), Hub CMLs ${hubCml}, the Root holds manifest ${period} with 3 active sites and its receipt, the Hub's is sent with the same receipt`);

  const loads = [...rootB.timingsReport(), ...hubB.timingsReport()];
  check(loads.every((t) => t < 2000), "every page loads in under 2 s");
  log(`axe: ${rootB.axeTotals.pages} Root pages checked, ${rootB.axeTotals.violations} violations in all, ${rootB.axeTotals.seriousOrCritical} serious or critical`);
  ok = true;
} catch (e) {
  console.error(e);
  console.error("server log tail:\n" + server.stderr().slice(-3000));
  try {
    await page.screenshot({ path: "target/console-screenshots/ROOT-FAILED.png", fullPage: true });
    await hubB.page.screenshot({ path: "target/console-screenshots/ROOT-HUB-FAILED.png", fullPage: true });
    console.error(`failed on ${page.url()} / ${hubB.page.url()}; screenshots target/console-screenshots/ROOT-*FAILED.png`);
    const said = await page.locator("[role=alert], .flash").allTextContents();
    if (said.length) console.error(`the Root page said: ${said.join(" | ")}`);
  } catch {}
} finally {
  await rootB.close();
  await hubB.close();
  await server.stop();
}
log(`root console ${ok ? "passed" : "FAILED"} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(ok ? "1 passed, 0 failed" : "0 passed, 1 failed");
process.exit(ok ? 0 : 1);
