// The license check page: load the WebAssembly module and the trusted roots, then validate what
// the user picks or pastes and show the verdict, or the reason it is refused. The validator's
// trust state (clock floor, revocation lists) is kept in localStorage: restored when the page
// loads, saved after a check that changed it, so setting the clock back after a reload is refused.
import init, { Validator, LicenseError, version, webCryptoAvailable } from "hwf-license-wasm";

/** Where this page keeps its trust state (the bytes of exportState(): ASCII text). */
export const STATE_KEY = "hwf-demo-trust-state";

const $ = (id) => document.getElementById(id);
const DAY = 86400;

/** Timings of this page load, in milliseconds (read by the browser test). */
const timings = {
  initMs: null, constructMs: null, firstValidateMs: null, lastValidateMs: null,
  // The last license checked again, cold (a fresh validator, both signatures verified), both ways.
  coldSyncMs: null, coldAsyncMs: null,
};
window.hwfDemo = { timings, ready: null };

const day = (t) => new Date(t * 1000).toISOString().slice(0, 10);
const instant = (t) => new Date(t * 1000).toISOString().replace(".000Z", "Z");

function daysFrom(now, t) {
  const d = Math.ceil((t - now) / DAY);
  return d >= 0 ? `in ${d} day${d === 1 ? "" : "s"}` : `${-d} day${d === -1 ? "" : "s"} ago`;
}

function facts() {
  const addresses = $("addresses").value.split(",").map((s) => s.trim()).filter(Boolean);
  return {
    addresses,
    dnsName: $("dns").value.trim() || null,
    deploymentTag: $("tag").value.trim() || null,
  };
}

function show(outcome, now) {
  $("result").hidden = false;
  $("checked-at").textContent = instant(now);
  const status = $("status");
  const details = $("details");
  if (outcome.error) {
    const err = outcome.error;
    status.className = "badge invalid";
    status.textContent = "INVALID";
    $("summary").textContent = ` ${err.codeName} (code ${err.code})`;
    $("reason").hidden = false;
    $("reason").textContent = err.message;
    details.hidden = true;
    return;
  }
  const v = outcome.verdict;
  status.className = `badge ${v.status}`;
  status.textContent = v.status.toUpperCase();
  $("summary").textContent = v.status === "grace"
    ? ` expired, running on grace: ${v.graceDaysLeft} day${v.graceDaysLeft === 1 ? "" : "s"} left`
    : ` usable until ${day(v.expiresAt)}`;
  $("reason").hidden = true;
  $("reason").textContent = "";
  details.hidden = false;
  $("site").textContent = v.siteId;
  $("org").textContent = v.orgId;
  $("license-id").textContent = v.licenseId;
  $("product").textContent = `${v.product} / ${v.tier}`;
  $("environment").textContent = v.environment;
  $("features").replaceChildren(
    ...(v.features.length ? v.features : ["(none)"]).map((f) => {
      const chip = document.createElement("span");
      chip.className = "chip";
      chip.textContent = f;
      return chip;
    }),
  );
  $("issued").textContent = day(v.issuedAt);
  $("expires").textContent = `${day(v.expiresAt)} (${daysFrom(now, v.expiresAt)})`;
  $("grace").textContent = `${day(v.graceEnd)} (${daysFrom(now, v.graceEnd)})`;
  $("site-expires").textContent = day(v.siteExpiresAt);
  $("cml").textContent = `${v.cmlLicenseId}, valid until ${day(v.cmlValidUntil)}`;
  $("cml-limits").textContent = [
    `up to ${v.maxSites} site${v.maxSites === 1 ? "" : "s"}`,
    `packs ${v.featurePacks.length ? v.featurePacks.join(", ") : "(none)"}`,
    v.maxOfflineDays === null ? "no offline limit" : `offline at most ${v.maxOfflineDays} days`,
  ].join("; ");
  const fp = v.fingerprint;
  const bindings = [
    fp.address !== null && `address in ${fp.address}`,
    fp.dnsSuffix !== null && `DNS name in ${fp.dnsSuffix}`,
    fp.deploymentTag !== null && `deployment tag ${fp.deploymentTag}`,
  ].filter(Boolean);
  $("binding").textContent = bindings.length ? bindings.join("; ") : "any node";
  $("warnings").replaceChildren(
    ...v.warnings.map((w) => {
      const li = document.createElement("li");
      li.textContent = w.message;
      return li;
    }),
  );
  $("no-warnings").hidden = v.warnings.length > 0;
}

/** Restores the saved trust state, if any; says what happened in #trust. */
function restoreState(validator) {
  const saved = localStorage.getItem(STATE_KEY);
  if (saved === null) {
    return "Trust state: none saved in this browser yet";
  }
  try {
    validator.importState(saved);
    return `Trust state restored: clock floor ${instant(validator.clockFloor)}`;
  } catch (err) {
    if (!(err instanceof LicenseError)) throw err;
    // The validator is unchanged; the next check overwrites the bad copy.
    return `Saved trust state refused (${err.codeName}): starting without it`;
  }
}

/** Saves the trust state when the last call changed it. */
function saveState(validator) {
  if (!validator.stateChanged()) return false;
  localStorage.setItem(STATE_KEY, new TextDecoder().decode(validator.exportState()));
  return true;
}

/**
 * Times the same check cold both ways, on fresh what-if validators (nothing written): `validateAt`
 * (pure Rust signatures) and `validateAtAsync` (WebCrypto; every rule still in the .wasm).
 */
async function coldTimings(config, license, now) {
  const options = { environment: config.environment, roots: config.roots };
  const sync = new Validator(options);
  const asyncValidator = new Validator(options);
  let start = performance.now();
  try { sync.validateAt(license, facts(), now); } catch (err) { if (!(err instanceof LicenseError)) throw err; }
  timings.coldSyncMs = performance.now() - start;
  start = performance.now();
  try { await asyncValidator.validateAtAsync(license, facts(), now); } catch (err) { if (!(err instanceof LicenseError)) throw err; }
  timings.coldAsyncMs = performance.now() - start;
  sync.free();
  asyncValidator.free();
  $("timings").textContent = `This check cold: ${timings.coldSyncMs.toFixed(2)} ms sync (validateAt, pure Rust), ` +
    `${timings.coldAsyncMs.toFixed(2)} ms async (validateAtAsync, WebCrypto${webCryptoAvailable ? "" : " unavailable: sync path"}); ` +
    `on the page's validator ${timings.lastValidateMs.toFixed(2)} ms.`;
}

async function main() {
  let t0 = performance.now();
  await init();
  timings.initMs = performance.now() - t0;

  const config = await (await fetch("roots.json")).json();
  t0 = performance.now();
  // The validator's clock is the browser's: Math.floor(Date.now() / 1000).
  const validator = new Validator({ environment: config.environment, roots: config.roots });
  timings.constructMs = performance.now() - t0;
  $("version").textContent = `hwf-license-wasm ${version()}`;
  $("trust").textContent = restoreState(validator);

  const check = (license) => {
    const now = Math.floor(Date.now() / 1000);
    const start = performance.now();
    let outcome;
    try {
      outcome = { verdict: validator.validate(license, facts()) };
    } catch (err) {
      if (!(err instanceof LicenseError)) throw err;
      outcome = { error: err };
    }
    timings.lastValidateMs = performance.now() - start;
    timings.firstValidateMs ??= timings.lastValidateMs;
    const saved = saveState(validator);
    show(outcome, now);
    $("trust").textContent = `Trust state: clock floor ${instant(validator.clockFloor)}` +
      (saved ? ", saved in this browser" : "");
    return coldTimings(config, license, now);
  };

  $("file").addEventListener("change", async () => {
    const file = $("file").files[0];
    if (!file) return;
    const bytes = new Uint8Array(await file.arrayBuffer());
    $("license").value = new TextDecoder().decode(bytes);
    check(bytes);
  });
  $("check").addEventListener("click", () => check($("license").value));
  $("check").disabled = false;
  $("check").textContent = "Check license";
}

window.hwfDemo.ready = main();
