// Timing of license validation in this browser, next to WebCrypto's own ECDSA P-256 verify of the
// same two signatures (the CML's by the root key, the site license's by the org key). Not loaded
// by the page; the browser test imports it into the loaded page, and the Node test runs it too:
//   const bench = await import("./bench.js");
//   await bench.run(await import("hwf-license-wasm"), { license, now, roots, environment });
// Times are averaged over batches, as browsers coarsen performance.now().

const b64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

/** The signing input and the raw r||s signature of a compact JWS. */
function jwsParts(jws) {
  const [header, payload, signature] = jws.split(".");
  return { data: new TextEncoder().encode(`${header}.${payload}`), signature: b64url(signature) };
}

/** Mean time per call of `fn` over `n` calls, in microseconds. */
function perCall(n, fn) {
  const start = performance.now();
  for (let i = 0; i < n; i++) fn(i);
  return ((performance.now() - start) * 1000) / n;
}

async function perCallAsync(n, fn) {
  const start = performance.now();
  for (let i = 0; i < n; i++) await fn(i);
  return ((performance.now() - start) * 1000) / n;
}

/**
 * @param {{ Validator: Function }} pkg the hwf-license-wasm module (already initialised)
 * @param {{ license: string, facts?: object, now: number, roots: object[], environment: string,
 *           cold?: number, cached?: number, webcrypto?: number }} options
 */
export async function run({ Validator }, { license, facts = null, now, roots, environment, cold = 200, cached = 20000, webcrypto = 200 }) {
  const options = { environment, roots };

  // Cold: a fresh validator per call (built outside the timed loop), so both signatures are
  // verified and nothing is cached.
  const fresh = Array.from({ length: cold }, () => new Validator(options));
  const coldUs = perCall(cold, (i) => fresh[i].validateAt(license, facts, now));
  fresh.forEach((v) => v.free());

  // Cold through the WebCrypto path (validateAtAsync): the same rules, signatures by crypto.subtle.
  const freshAsync = Array.from({ length: cold }, () => new Validator(options));
  await freshAsync[0].validateAtAsync(license, facts, now);
  const asyncColdUs = await perCallAsync(cold - 1, (i) => freshAsync[i + 1].validateAtAsync(license, facts, now));
  freshAsync.forEach((v) => v.free());

  // Cached: one validator, the same license again; every rule is re-checked, the signature
  // checks are skipped.
  const validator = new Validator(options);
  const verdict = validator.validateAt(license, facts, now);
  perCall(1000, () => validator.validateAt(license, facts, now));
  const cachedUs = perCall(cached, () => validator.validateAt(license, facts, now));

  // Cached at the validator's clock (a JS clock function): the same, plus reading the clock and
  // raising the clock floor in the trust state.
  const clocked = new Validator({ ...options, clock: () => now });
  clocked.validate(license, facts);
  perCall(1000, () => clocked.validate(license, facts));
  const cachedClockUs = perCall(cached, () => clocked.validate(license, facts));
  clocked.free();

  // WebCrypto: the same two verifications.
  const file = JSON.parse(license);
  const orgJwk = validator.verifyCml(file.cml).orgKey;
  const algorithm = { name: "ECDSA", namedCurve: "P-256" };
  const importJwk = (jwk) =>
    crypto.subtle.importKey("jwk", { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, algorithm, false, ["verify"]);
  const rootKey = await importJwk(roots.find((r) => r.environment === environment).key);
  const orgKey = await importJwk(orgJwk);
  const cml = jwsParts(file.cml);
  const site = jwsParts(file.site);
  const verify = (key, { data, signature }) =>
    crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, signature, data);
  const ok = [await verify(rootKey, cml), await verify(orgKey, site)];
  await perCallAsync(20, () => Promise.all([verify(rootKey, cml), verify(orgKey, site)]));
  const webcryptoUs = await perCallAsync(webcrypto, async () => {
    await verify(rootKey, cml);
    await verify(orgKey, site);
  });
  validator.free();

  return {
    status: verdict.status,
    webcryptoVerified: ok,
    coldUs,
    asyncColdUs,
    cachedUs,
    cachedClockUs,
    webcryptoUs,
    coldOverWebcrypto: coldUs / webcryptoUs,
    crossOriginIsolated: globalThis.crossOriginIsolated === true,
  };
}
