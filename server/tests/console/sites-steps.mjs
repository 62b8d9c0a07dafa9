// The scenario's Sites steps, through the Sites pages only (docs/CONSOLE.md "Sites"): the empty
// list; a site created with a fingerprint and features, whose page runs the chain preview in the
// browser (the WASM package, under the page's 'wasm-unsafe-eval' policy) and shows both links
// valid; eight more sites, one by keyboard only; the 11th refused with a sentence; the list
// filtered, searched and sorted (htmx swaps and plain links); a revoke through its confirmation
// page; a CSV import as a dry run (nothing written: checked in the database) and its commit.
// Every page: screenshots at both widths and axe (b.check). Returns what the scenario checks
// in the database afterwards.
import { check, log, sqlite } from "./harness.mjs";

/** The site ids the list shows, in order. */
async function listed(page) {
  return page.locator("#site-table tbody tr td:first-child a").allInnerTexts();
}

/** Creates `siteId` through the form with only an id. */
async function createPlain(b, siteId) {
  const page = b.page;
  await b.goto("/sites/new");
  await page.getByLabel(/^Site id/).fill(siteId);
  await page.getByRole("button", { name: "Create site" }).click();
  await page.waitForURL(`**/sites/${siteId}`);
}

export async function sitesSteps(b, server) {
  const page = b.page;

  // The empty list.
  await b.goto("/sites");
  check((await b.text("#results-h")) === "No sites match", `empty list: ${await b.text("#results-h")}`);
  await b.check("sites-empty");

  // 1. A site with a fingerprint (address, DNS suffix, tag) and both feature packs.
  await page.getByRole("link", { name: "New site" }).click();
  await page.waitForURL("**/sites/new");
  await b.check("site-new");
  await page.getByLabel(/^Site id/).fill("plant-1");
  await page.getByLabel(/^Tier/).fill("gold");
  await page.getByLabel("analytics").check();
  await page.getByLabel("boost").check();
  await page.getByLabel(/^Address or network/).fill("10.20.0.0/16");
  await page.getByLabel(/^DNS suffix/).fill("plant1.example.org");
  await page.getByLabel(/^Deployment tag/).fill("plant-1-tag");
  await page.getByRole("button", { name: "Create site" }).click();
  await page.waitForURL("**/sites/plant-1");
  await b.flash("Site plant-1 created");
  // The chain preview: the WASM module checks Root -> CML -> site in this browser.
  await page.waitForSelector("#chain-preview[data-done]", { timeout: 15000 });
  const done = await page.getAttribute("#chain-preview", "data-done");
  const links = await page.locator(".chain-link").evaluateAll((els) =>
    els.map((e) => [e.querySelector("h3").innerText, e.dataset.valid, e.innerText]));
  check(done === "valid" && links.length === 2 && links.every((l) => l[1] === "true"),
    `chain preview: ${done} ${JSON.stringify(links)}`);
  check(links[0][2].includes("Signed by root key") && links[1][2].includes("Signed by org key"), "key ids shown");
  check(links[1][2].includes("node address within 10.20.0.0/16"), `constraint checks: ${links[1][2]}`);
  check((await b.text("#chain-status")).includes("Both links are valid"), "preview status");
  log(`chain preview: ${links.map((l) => l[0].replace(/\s+/g, " ")).join("; ")}`);
  check((await b.text("#site-ledger")).includes("site created"), "the site's ledger entry");
  const license = await page.getAttribute("#chain-preview", "data-license");
  const licenseId = (await page.locator("dt:has-text('License id') + dd").innerText()).trim();
  await b.check("site-detail");

  // 2. Eight more; plant-2 by keyboard only (Tab to the field, type, Enter submits).
  await b.goto("/sites/new");
  await b.tabTo("site_id");
  await page.keyboard.type("plant-2");
  await page.keyboard.press("Enter");
  await page.waitForURL("**/sites/plant-2");
  await b.flash("Site plant-2 created");
  log("created plant-2 by keyboard");
  for (let i = 3; i <= 10; i++) await createPlain(b, `plant-${i}`);

  // 3. The 11th is refused with a sentence, and the form keeps what was typed.
  await b.goto("/sites/new");
  await page.getByLabel(/^Site id/).fill("plant-11");
  await page.getByRole("button", { name: "Create site" }).click();
  await page.waitForSelector("#create-error");
  const refused = await b.text("#create-error");
  check(refused.includes("The CML allows 10 active sites and 10 are active"), `11th: ${refused}`);
  check((await page.getByLabel(/^Site id/).inputValue()) === "plant-11", "the form keeps the id");
  await b.check("site-refused");
  check(Number(sqlite(server.db, "SELECT count(*) FROM sites")[0][0]) === 10, "the 11th is not stored");

  // 4. The list: 10 rows; sort by site id descending (a header link), filter by tier (htmx on
  //    change), search the fingerprint text (the GET form).
  await b.goto("/sites");
  check((await listed(page)).length === 10, "ten rows");
  check((await b.text("#results-h")) === "Sites 1–10 of 10", await b.text("#results-h"));
  await b.check("sites-list");
  await page.getByRole("link", { name: "Site id" }).click(); // sorted by id already: flips
  await page.waitForURL("**/sites?sort=site_id&order=desc");
  const desc = await listed(page);
  check(desc[0] === "plant-9" && desc[9] === "plant-1", `descending: ${desc}`);
  await page.getByLabel("Tier").fill("gold");
  await page.getByRole("button", { name: "Apply" }).click();
  await page.waitForFunction(() => document.querySelectorAll("#site-table tbody tr").length === 1);
  check((await listed(page)).join() === "plant-1", "tier filter");
  check(page.url().includes("tier=gold"), `htmx pushed the URL: ${page.url()}`);
  await b.goto("/sites?q=PLANT1.EXAMPLE");
  check((await listed(page)).join() === "plant-1", "search reaches the DNS suffix, any case");
  await b.check("sites-filtered");

  // 5. Revoke plant-3 through its confirmation page.
  await b.goto("/sites/plant-3");
  await page.getByRole("link", { name: "Revoke…" }).click();
  await page.waitForURL("**/sites/plant-3/revoke");
  check((await b.text("main")).includes("It cannot be undone"), "the consequence is stated");
  await b.check("site-revoke");
  await page.getByLabel(/^Type the site id/).fill("plant-3");
  await page.getByRole("button", { name: "Revoke plant-3" }).click();
  await page.waitForURL("**/sites/plant-3");
  await b.flash("Site plant-3 revoked");
  check((await b.text("#site-status")) === "revoked", "revoked badge");
  await b.check("site-revoked");

  // 6. Import: the dry run writes nothing; the commit creates exactly the row it promised.
  await b.goto("/sites/import");
  await b.check("sites-import");
  await page.getByLabel("Or paste the CSV").fill("site_id,tier,deployment_tag\nimp-1,basic,imp-tag\nplant-1,,\nimp-2,,\n");
  await page.getByRole("button", { name: "Check (dry run)" }).click();
  await page.waitForSelector("#import-report");
  const dry = await b.text("#import-summary");
  check(dry === "1 would be created, 1 skipped, 1 failed.", `dry run: ${dry}`);
  check((await b.text("#import-rows")).includes("already exists (active)"), "skip reason");
  check((await b.text("#import-rows")).includes("over the limit"), "failure reason");
  check(Number(sqlite(server.db, "SELECT count(*) FROM sites")[0][0]) === 10, "the dry run wrote nothing");
  await b.check("sites-import-dry");
  await page.getByRole("button", { name: "Create the 1 site(s)" }).click();
  await page.waitForSelector("#import-report[data-dry-run='false']");
  const done2 = await b.text("#import-summary");
  check(done2 === "1 created, 1 skipped, 1 failed.", `commit: ${done2}`);
  const imp = sqlite(server.db, "SELECT tier, status FROM sites WHERE site_id IN ('imp-1', 'imp-2')");
  check(imp.length === 1 && imp[0][0] === "basic" && imp[0][1] === "active", `database after import: ${JSON.stringify(imp)}`);
  await b.check("sites-import-done");

  return {
    active: 10, revoked: 1, fingerprinted: "plant-1", fingerprintTag: "plant-1-tag",
    heartbeatSite: "plant-1", license, licenseId,
    facts: { addresses: ["10.20.0.5"], dns_name: "node.plant1.example.org", deployment_tag: "plant-1-tag" },
  };
}
