// The web console's browser test harness (issue 19), shared by every console scenario:
//
//   startServer()   the server binary on a free loopback port, a temporary data directory on
//                   SQLite, `--role both` (the Hub and its Root in one process), plain HTTP
//   totp(secret)    an RFC 6238 code (SHA-1, 6 digits, 30 s) as an authenticator app computes it
//   waitNextStep()  waits for the next TOTP time step (a code is accepted once per step)
//   api()           a JSON call to the server's API (the Root's side of a scenario)
//   enrolRootAdmin(), issueCml()   the Root issues the Hub's CML over the API
//   Browser         Debian's Chromium through playwright-core: a page whose CSP is enforced
//                   (every `securitypolicyviolation`, console error and page error fails the
//                   run), and a separate bypassed-CSP page only for axe-core
//   b.check(name)   the current page: navigation timing, screenshots at 1280 and 390 px into
//                   target/console-screenshots/, axe (fails on serious or critical violations)
//   sqlite(db, sql) the database through the sqlite3 CLI
//
// Run by scripts/test-console.sh; needs `cargo build -p hwf-license-server` first
// (HWF_BIN overrides the binary).

import { spawn, execFileSync } from "node:child_process";
import { createHmac } from "node:crypto";
import { mkdtempSync, mkdirSync, rmSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, "../../..");
const require = createRequire(path.join(repo, ".tools/node/package.json"));
const { chromium } = require("playwright-core");
export const axePath = require.resolve("axe-core/axe.min.js");
export const shotsDir = path.join(repo, "target/console-screenshots");

/** Fails the run with `msg`. */
export function fail(msg) {
  throw new Error(msg);
}

/** `cond` or fail with `msg`. */
export function check(cond, msg) {
  if (!cond) fail(msg);
}

export function log(...args) {
  console.log("[console]", ...args);
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `hwf-license serve --role both` on a free port with a fresh data directory.
 * Returns { base, dataDir, db, password, orgPem, bin, logFile, stop() }.
 */
export async function startServer({ extraArgs = [] } = {}) {
  const bin = process.env.HWF_BIN || path.join(repo, "target/debug/hwf-license");
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "hwf-console-"));
  const env = {
    ...process.env,
    HWF_MASTER_SECRET: execFileSync(bin, ["keys", "master-secret"]).toString().trim(),
    HWF_ADMIN_PASSWORD: `console-test-${Math.random().toString(36).slice(2)}-admin`,
    HWF_LOG: "warn",
  };
  delete env.HWF_DATABASE_URL;
  const orgPem = JSON.parse(
    execFileSync(bin, ["--data-dir", dataDir, "--json", "keys", "org"], { env }).toString(),
  ).pem;
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const args = [
    "--data-dir", dataDir, "serve", "--role", "both", "--insecure-http",
    "--listen", `127.0.0.1:${port}`, "--root-url", base,
    ...extraArgs,
  ];
  const child = spawn(bin, args, { env, stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => {
    stderr = (stderr + d.toString()).slice(-20000);
  });
  let exited = false;
  child.on("exit", () => (exited = true));
  for (let i = 0; i < 200; i++) {
    if (exited) fail(`the server exited: ${stderr}`);
    try {
      const r = await fetch(`${base}/healthz`);
      if (r.ok) break;
    } catch {}
    await sleep(50);
  }
  return {
    base,
    dataDir,
    db: path.join(dataDir, "hwf-license.db"),
    password: env.HWF_ADMIN_PASSWORD,
    orgPem,
    bin,
    stderr: () => stderr,
    async stop() {
      if (!exited) {
        child.kill("SIGTERM");
        for (let i = 0; i < 100 && !exited; i++) await sleep(50);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Base32 (RFC 4648, no padding) to bytes. */
function base32(s) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  let bits = "";
  for (const c of s.replace(/=+$/, "").toUpperCase()) {
    const v = alphabet.indexOf(c);
    if (v < 0) fail(`not base32: ${c}`);
    bits += v.toString(2).padStart(5, "0");
  }
  const out = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** The TOTP code of `secret` (base32) at `ms` (RFC 6238: SHA-1, 6 digits, 30 s). */
export function totp(secret, ms = Date.now()) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(ms / 1000 / 30)));
  const h = createHmac("sha1", base32(secret)).update(counter).digest();
  const o = h[h.length - 1] & 15;
  const n = (h.readUInt32BE(o) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, "0");
}

/** Waits until the next TOTP time step begins (a code is accepted once per step). */
export async function waitNextStep() {
  const ms = 30000 - (Date.now() % 30000) + 300;
  log(`waiting ${(ms / 1000).toFixed(1)} s for the next TOTP step`);
  await sleep(ms);
}

/** A JSON call to the API: { status, body }. */
export async function api(server, method, p, token, body) {
  const headers = { "content-type": "application/json" };
  if (token) headers.authorization = `Bearer ${token}`;
  const r = await fetch(server.base + p, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  let json = null;
  try {
    json = JSON.parse(text);
  } catch {}
  return { status: r.status, body: json ?? text };
}

/** Signs the Root's admin in over the API and enrols TOTP: a token with a fresh factor. */
export async function enrolRootAdmin(server) {
  const first = await api(server, "POST", "/api/auth/login", null, {
    username: "admin", password: server.password, realm: "root",
  });
  check(first.status === 200, `root login: ${JSON.stringify(first.body)}`);
  const t = first.body.token;
  const e = await api(server, "POST", "/api/auth/totp/enrol", t, {});
  const c = await api(server, "POST", "/api/auth/totp/confirm", t, { code: totp(e.body.secret) });
  check(c.status === 200, `root confirm: ${JSON.stringify(c.body)}`);
  return c.body.login.token;
}

/** The Root issues a CML for the Hub's org key: its compact JWS. */
export async function issueCml(server, rootToken, { orgId = "acme", maxSites = 10, validDays = 365, featurePacks = ["analytics", "boost"] } = {}) {
  const r = await api(server, "POST", "/api/root/cml", rootToken, {
    org_id: orgId, org_key: server.orgPem, max_sites: maxSites, valid_days: validDays,
    feature_packs: featurePacks, environment: "prod",
  });
  check(r.status === 201 || r.status === 200, `issue CML: ${JSON.stringify(r.body)}`);
  return r.body.cml;
}

/** A query through the sqlite3 CLI: rows as arrays of strings. */
export function sqlite(db, sql) {
  const out = execFileSync("sqlite3", ["-readonly", "-separator", "\t", db, sql]).toString();
  return out.split("\n").filter((l) => l !== "").map((l) => l.split("\t"));
}

const FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
  "--disable-component-update", "--disable-sync", "--no-first-run",
];

/** Chromium with a CSP-enforced page and a bypassed-CSP page for axe only. */
export class Browser {
  static async launch(server) {
    const b = new Browser();
    b.server = server;
    b.browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: FLAGS });
    b.context = await b.browser.newContext({ viewport: { width: 1280, height: 900 } });
    b.page = await b.context.newPage();
    b.problems = [];
    b.timings = [];
    b.axeTotals = { pages: 0, violations: 0, seriousOrCritical: 0 };
    // The impacts that fail the run: serious and critical everywhere; a script may add
    // "moderate" (part2.mjs does: its pages have none).
    b.axeFailOn = ["serious", "critical"];
    // Reported from inside the page: blocked inline code or a foreign resource.
    await b.page.addInitScript(() => {
      document.addEventListener("securitypolicyviolation", (e) => {
        console.error(`CSP violation: ${e.violatedDirective} blocked ${e.blockedURI} at ${e.sourceFile}:${e.lineNumber}`);
      });
    });
    b.page.on("console", (m) => {
      if (m.type() === "error") {
        const text = m.text();
        // An answer's status (401 on a wrong code, 403, 409…) is logged by Chromium as a
        // failed resource: the pages that show an error on purpose are asserted by the scenario.
        if (/Failed to load resource: the server responded with a status of/.test(text)) return;
        b.problems.push(`${b.page.url()}: console error: ${text}`);
      }
    });
    b.page.on("pageerror", (e) => b.problems.push(`${b.page.url()}: page error: ${e.message}`));
    b.axeContext = await b.browser.newContext({ bypassCSP: true, viewport: { width: 1280, height: 900 } });
    b.axePage = await b.axeContext.newPage();
    mkdirSync(shotsDir, { recursive: true });
    return b;
  }

  /** Navigates the CSP-enforced page to `p` (a path) and waits for the load. */
  async goto(p) {
    const r = await this.page.goto(this.server.base + p, { waitUntil: "load" });
    return r;
  }

  /**
   * Checks the page on screen as `name`: no CSP violation or console error so far, the
   * navigation timing, screenshots at 1280 and 390 px, and axe on the same HTML in the
   * bypassed-CSP page (fails on serious or critical violations).
   */
  async check(name, { afterPasswordCheck = false } = {}) {
    const page = this.page;
    await page.waitForLoadState("load");
    const t = await page.evaluate(() => {
      const n = performance.getEntriesByType("navigation")[0];
      return n ? { load: n.loadEventEnd - n.startTime, ttfb: n.responseStart - n.startTime } : null;
    });
    if (t && t.load > 0) this.timings.push({ name, afterPasswordCheck, ...t });
    for (const width of [1280, 390]) {
      await page.setViewportSize({ width, height: 900 });
      await page.screenshot({ path: path.join(shotsDir, `${name}-${width}.png`), fullPage: true });
      // Nothing may stick out sideways at either width (a page that needs scrolling sideways
      // is not usable on a phone); wide tables scroll inside their own box.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      check(overflow <= 1, `${name} at ${width} px: the page is ${overflow} px wider than the screen`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    check(this.problems.length === 0, `browser problems:\n${this.problems.join("\n")}`);
    await this.axe(name, await page.content());
  }

  /** axe-core on `html` rendered at this server's origin (bypassed CSP: axe is injected). */
  async axe(name, html) {
    const ap = this.axePage;
    if (!ap.url().startsWith(this.server.base)) await ap.goto(this.server.base + "/healthz");
    await ap.setContent(html, { waitUntil: "load" });
    await ap.addScriptTag({ path: axePath });
    const res = await ap.evaluate(async () =>
      // eslint-disable-next-line no-undef
      await axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } }),
    );
    this.axeTotals.pages += 1;
    this.axeTotals.violations += res.violations.length;
    const bad = res.violations.filter((v) => this.axeFailOn.includes(v.impact));
    this.axeTotals.seriousOrCritical += res.violations.filter((v) => v.impact === "serious" || v.impact === "critical").length;
    const summary = res.violations.map((v) => `${v.impact}:${v.id}(${v.nodes.length})`).join(" ") || "none";
    log(`axe ${name}: ${res.passes.length} rules passed, violations: ${summary}`);
    for (const v of bad) {
      for (const n of v.nodes.slice(0, 5)) log(`  ${v.id}: ${n.target.join(" ")} — ${n.failureSummary}`);
    }
    check(bad.length === 0, `axe: ${bad.length} ${this.axeFailOn.join("/")} violation(s) on ${name}`);
  }

  /** Presses Tab until the element `#id` has the focus (at most `max` presses). */
  /** Waits until the page's autofocus field `#id` has the focus, as a person sees the caret
   * before typing: Chromium moves the focus at its next rendering update, which can come after
   * "load", and keys typed before it are lost (a CI run signed in as "dmin"). */
  async autofocused(id) {
    await this.page
      .waitForFunction((want) => document.activeElement?.id === want, id, { timeout: 5000 })
      .catch(() => fail(`#${id} (autofocus) never got the focus`));
  }

  async tabTo(id, max = 60) {
    for (let i = 0; i < max; i++) {
      await this.page.keyboard.press("Tab");
      const focused = await this.page.evaluate(() => document.activeElement && document.activeElement.id);
      if (focused === id) return i + 1;
    }
    fail(`#${id} never got the focus by Tab`);
  }

  /** The text of `selector`. */
  async text(selector) {
    return (await this.page.locator(selector).first().innerText()).trim();
  }

  /** Fails unless the flash message contains `want`. */
  async flash(want) {
    const text = await this.text(".flash");
    check(text.includes(want), `flash: want ${JSON.stringify(want)}, got ${JSON.stringify(text)}`);
    return text;
  }

  /** Prints every page's load time; returns the pages' loads (not those answering a password
   * check, whose Argon2 hash is a deliberate cost), sorted. */
  timingsReport() {
    const loads = this.timings.filter((t) => !t.afterPasswordCheck).map((t) => t.load).sort((a, b) => a - b);
    const q = (p) => loads[Math.min(loads.length - 1, Math.floor(p * loads.length))];
    for (const t of this.timings) log(`load ${t.name}: ${t.load.toFixed(0)} ms (first byte ${t.ttfb.toFixed(0)} ms)${t.afterPasswordCheck ? ", after a password check (Argon2)" : ""}`);
    if (loads.length) log(`page load in Chromium: ${loads.length} pages, p50 ${q(0.5).toFixed(0)} ms, p95 ${q(0.95).toFixed(0)} ms, max ${loads[loads.length - 1].toFixed(0)} ms`);
    return loads;
  }

  async close() {
    await this.browser.close();
  }
}

export function readJson(p) {
  return JSON.parse(readFileSync(p, "utf8"));
}
