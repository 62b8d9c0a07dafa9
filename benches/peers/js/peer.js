// Peer benchmark: hwf-license-wasm against panva/jose doing what a user would write instead, on
// the conformance vector `valid/basic` (testdata/vectors/vectors.json). The same module runs in
// Node (node.mjs) and in Chromium (wasm/tests/browser.test.mjs with --bench), in the same run:
//
//   jose      the root key imported once, outside the timed loop (`importJWK`); on every call:
//             `compactVerify` of the CML with the root key (algorithms ["ES256"]), its `typ`
//             ("hwf-cml+jws") and `alg` checked, the payload parsed, its `org_key` JWK imported
//             (`importJWK`, "ES256"), `compactVerify` of the site license with that key, `typ`
//             ("hwf-site+jws") and `alg` checked, and the site's `org_id` equal to the CML's.
//             That is two signatures and the binding only: none of core's other rules (expiry,
//             grace, parent id, features, fingerprint, trust state, schema) — jose's side does less.
//   sync cold    `validateAt` on a fresh validator per call (built outside the timed loop): both
//                signatures verified in pure Rust (p256), every rule.
//   async cold   `validateAtAsync` on a fresh validator per call: both signatures by WebCrypto
//                (the root and org keys imported in the call: a fresh validator has no key cache).
//   cached       `validateAt` again on one validator (signatures skipped, every rule re-checked).
//
// Each figure is the median of `batches` batches, the batches of the four interleaved so that a
// change in the machine's load hits all of them alike; each ratio is the median of the per-batch
// ratios (ours in a batch / jose in the same batch).

/** Median of numbers. */
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const decoder = new TextDecoder();

/** What a jose user writes to check a site.lic's two signatures and the org binding. */
export function joseValidator(jose, rootKey) {
  return async function joseValidate(license) {
    const file = JSON.parse(license);
    const cml = await jose.compactVerify(file.cml, rootKey, { algorithms: ["ES256"] });
    if (cml.protectedHeader.typ !== "hwf-cml+jws" || cml.protectedHeader.alg !== "ES256") throw new Error("not a CML");
    const cmlClaims = JSON.parse(decoder.decode(cml.payload));
    const orgKey = await jose.importJWK(cmlClaims.org_key, "ES256");
    const site = await jose.compactVerify(file.site, orgKey, { algorithms: ["ES256"] });
    if (site.protectedHeader.typ !== "hwf-site+jws" || site.protectedHeader.alg !== "ES256") throw new Error("not a site license");
    const siteClaims = JSON.parse(decoder.decode(site.payload));
    if (siteClaims.org_id !== cmlClaims.org_id) throw new Error("org_id mismatch");
    return siteClaims;
  };
}

/**
 * @param {{ Validator: Function }} pkg hwf-license-wasm (initialised)
 * @param {object} jose the jose module
 * @param {{ license: string, now: number, roots: object[], environment: string, facts?: object,
 *           calls?: number, cachedCalls?: number, batches?: number }} options
 */
export async function run(pkg, jose, { license, now, roots, environment, facts = null, calls = 40, cachedCalls = 2000, batches = 7 }) {
  const { Validator } = pkg;
  const options = { environment, roots };
  const rootJwk = roots.find((r) => r.environment === environment).key;
  const rootKey = await jose.importJWK(rootJwk, "ES256"); // once, outside the timed loops
  const joseValidate = joseValidator(jose, rootKey);

  // The same answers from each, before timing anything.
  const sync = new Validator(options).validateAt(license, facts, now);
  const asyncVerdict = await new Validator(options).validateAtAsync(license, facts, now);
  if (JSON.stringify(sync) !== JSON.stringify(asyncVerdict)) throw new Error("async verdict differs from sync");
  const joseClaims = await joseValidate(license);
  if (joseClaims.license_id !== sync.licenseId) throw new Error("jose read another license");

  const cachedValidator = new Validator(options);
  cachedValidator.validateAt(license, facts, now);

  const kinds = {
    syncCold: async () => {
      const fresh = Array.from({ length: calls }, () => new Validator(options));
      const t = performance.now();
      for (const v of fresh) v.validateAt(license, facts, now);
      const us = ((performance.now() - t) * 1000) / calls;
      fresh.forEach((v) => v.free());
      return us;
    },
    asyncCold: async () => {
      const fresh = Array.from({ length: calls }, () => new Validator(options));
      const t = performance.now();
      for (const v of fresh) await v.validateAtAsync(license, facts, now);
      const us = ((performance.now() - t) * 1000) / calls;
      fresh.forEach((v) => v.free());
      return us;
    },
    cached: async () => {
      const t = performance.now();
      for (let i = 0; i < cachedCalls; i++) cachedValidator.validateAt(license, facts, now);
      return ((performance.now() - t) * 1000) / cachedCalls;
    },
    jose: async () => {
      const t = performance.now();
      for (let i = 0; i < calls; i++) await joseValidate(license);
      return ((performance.now() - t) * 1000) / calls;
    },
  };
  const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
  for (const k of Object.keys(kinds)) await kinds[k](); // warm-up
  for (let b = 0; b < batches; b++) {
    for (const k of Object.keys(kinds)) samples[k].push(await kinds[k]());
  }
  cachedValidator.free();
  const us = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));
  // Median of the per-batch ratios: a batch of ours and the jose batch beside it saw the same load.
  const ratio = (k) => median(samples[k].map((x, b) => x / samples.jose[b]));
  return {
    us,
    ratios: { syncCold: ratio("syncCold"), asyncCold: ratio("asyncCold"), cached: ratio("cached") },
    samples,
    calls,
    batches,
  };
}

/** One line per figure, for the console and docs/WASM.md. */
export function report(where, r) {
  const f = (x) => (x >= 1000 ? `${(x / 1000).toFixed(3)} ms` : `${x.toFixed(1)} µs`);
  return [
    `${where}: jose ${f(r.us.jose)}`,
    `${where}: hwf-license sync cold ${f(r.us.syncCold)} (${r.ratios.syncCold.toFixed(2)}× jose)`,
    `${where}: hwf-license async cold ${f(r.us.asyncCold)} (${r.ratios.asyncCold.toFixed(2)}× jose)`,
    `${where}: hwf-license cached (sync) ${f(r.us.cached)} (${r.ratios.cached.toFixed(3)}× jose)`,
  ].join("\n");
}
