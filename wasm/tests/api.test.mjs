// The JavaScript surface of the package: errors are real Error subclasses with stable codes,
// argument checking, the default clock, hasFeature, the clock floor, the plain-object results,
// the TypeScript error-name union, require() and the web build. The trust state (clock option,
// export/import, scenarios) is in state.test.mjs. Most calls here pass `now` (the deprecated
// form of validateAt): it keeps working.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import * as pkg from "hwf-license-wasm";
import * as hub from "hwf-license-wasm/hub";
import { REPO, factsOf, licenseOf, loadJson, rootsOf } from "./support.mjs";

const { Validator, LicenseError, ErrorCode, errorCodeName, hasFeature, keyThumbprint, version } = pkg;
const vectors = loadJson("vectors.json");
const documents = loadJson("documents.json");
const byName = (name) => {
  const v = vectors.vectors.find((x) => x.name === name) ?? documents.vectors.find((x) => x.name === name);
  assert.ok(v, `no vector ${name}`);
  return v;
};
const basic = byName("valid/basic");
const prodRoots = rootsOf(vectors, ["root-prod-1"], "pem");
const prodValidator = (extra = {}) => new Validator({ environment: "prod", roots: prodRoots, ...extra });
/** A validator of the hub module (`hwf-license-wasm/hub`): the Hub-side verifications too. */
const hubValidator = () => new hub.Validator({ environment: "prod", roots: prodRoots });

/** Runs fn, which must throw a LicenseError with `name`; returns the error. */
function throwsCode(fn, name) {
  let caught;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a ${name} error, nothing was thrown`);
  assert.ok(caught instanceof LicenseError, `not a LicenseError: ${caught}`);
  assert.ok(caught instanceof Error);
  assert.equal(caught.codeName, name, caught.message);
  assert.equal(caught.code, ErrorCode[toPascal(name)]);
  assert.equal(errorCodeName(caught.code), name);
  return caught;
}
const toPascal = (snake) => snake.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());

test("a rejected license throws a real Error subclass with code, codeName and message", () => {
  const tampered = byName("chain/site-payload-edited");
  const v = prodValidator();
  const err = throwsCode(() => v.validate(tampered.license, factsOf(tampered), tampered.now), "bad_signature");
  assert.equal(err.code, 200);
  assert.equal(err.code, ErrorCode.BadSignature);
  assert.equal(err.name, "LicenseError");
  assert.equal(err.constructor, LicenseError);
  assert.equal(Object.getPrototypeOf(LicenseError.prototype), Error.prototype);
  assert.match(err.message, /signature does not verify/);
  assert.match(String(err), /^LicenseError: /);
  assert.equal(typeof err.stack, "string");
  assert.equal(err.index, undefined);
});

test("each error kind keeps its own stable code", () => {
  const v = prodValidator();
  throwsCode(() => v.validate("not json", null, basic.now), "malformed");
  throwsCode(() => v.validate(basic.license, factsOf(basic), 1785369600 + 86400), "expired");
  const fp = byName("valid/all-fingerprint-fields");
  throwsCode(() => prodValidator().validate(fp.license, { addresses: ["192.0.2.1"], dnsName: fp.facts.dns_name, deploymentTag: fp.facts.deployment_tag }, fp.now), "address_mismatch");
  const ledger = byName("ledger/swapped-entries");
  const err = throwsCode(() => hubValidator().verifyLedger(ledger.cml, ledger.entries), "ledger_broken");
  assert.equal(err.index, 1);
});

test("ErrorCode mirrors every code, and the .d.ts ErrorCodeName union lists exactly their names", () => {
  const numbers = Object.values(ErrorCode).filter((x) => typeof x === "number");
  assert.equal(numbers.length, 34);
  const names = numbers.map((n) => {
    const name = errorCodeName(n);
    assert.equal(typeof name, "string", `no name for ${n}`);
    assert.equal(ErrorCode[toPascal(name)], n, name);
    return name;
  });
  assert.equal(errorCodeName(0), undefined);
  assert.equal(errorCodeName(299), undefined);
  for (const target of ["node", "web"]) {
    const dts = readFileSync(path.join(REPO, `wasm/pkg/${target}/hwf_license_wasm.d.ts`), "utf8");
    const union = dts.match(/export type ErrorCodeName =([^;]*);/);
    assert.ok(union, "ErrorCodeName missing from the .d.ts");
    const declared = [...union[1].matchAll(/"([a-z_0-9]+)"/g)].map((m) => m[1]);
    assert.deepEqual([...declared].sort(), [...names].sort());
  }
});

test("wrong argument types throw invalid_argument, missing ones null_parameter", () => {
  const v = prodValidator();
  throwsCode(() => v.validate(42), "invalid_argument");
  throwsCode(() => v.validate({ cml: "x" }), "invalid_argument");
  throwsCode(() => v.validate(null), "null_parameter");
  throwsCode(() => v.validate(undefined), "null_parameter");
  throwsCode(() => v.validate(basic.license, "10.0.0.1", basic.now), "invalid_argument");
  throwsCode(() => v.validate(basic.license, { addresses: "10.0.0.1" }, basic.now), "invalid_argument");
  throwsCode(() => v.validate(basic.license, { addresses: [10] }, basic.now), "invalid_argument");
  throwsCode(() => v.validate(basic.license, { addresses: ["not an ip"] }, basic.now), "invalid_argument");
  throwsCode(() => v.validate(basic.license, { dnsName: 7 }, basic.now), "invalid_argument");
  throwsCode(() => v.validate(basic.license, null, basic.now + 0.5), "invalid_argument");
  throwsCode(() => v.validate(basic.license, null, NaN), "invalid_argument");
  throwsCode(() => v.validate(basic.license, null, Infinity), "invalid_argument");
  throwsCode(() => v.validate(basic.license, null, -1), "invalid_argument");
  const h = hubValidator();
  throwsCode(() => h.verifyLedger(basic.license, "not an array"), "invalid_argument");
  throwsCode(() => h.verifyLedger(basic.license, [1, 2]), "invalid_argument");
  throwsCode(() => h.verifyManifest(null, "x"), "null_parameter");
  throwsCode(() => v.applyRevocationList(basic.license, 5, basic.now), "invalid_argument");
  throwsCode(() => hasFeature(null, "x"), "invalid_argument");
  throwsCode(() => hasFeature({ features: "analytics" }, "analytics"), "invalid_argument");
});

test("the constructor checks its options and keys", () => {
  throwsCode(() => new Validator(), "invalid_argument");
  throwsCode(() => new Validator("prod"), "invalid_argument");
  throwsCode(() => new Validator({ roots: prodRoots }), "null_parameter");
  throwsCode(() => new Validator({ environment: "staging", roots: prodRoots }), "invalid_argument");
  throwsCode(() => new Validator({ environment: "prod" }), "null_parameter");
  throwsCode(() => new Validator({ environment: "prod", roots: "x" }), "invalid_argument");
  throwsCode(() => new Validator({ environment: "prod", roots: [{ kid: "k", environment: "prod", key: "junk" }] }), "bad_key");
  throwsCode(() => new Validator({ environment: "prod", roots: [{ kid: "k", environment: "prod", key: 12 }] }), "invalid_argument");
  throwsCode(() => new Validator({ environment: "prod", roots: [{ kid: "k", environment: "prod", key: { kty: "EC" } }] }), "bad_key");
  const jwk = vectors.roots["root-prod-1"].jwk;
  const err = throwsCode(() => new Validator({ environment: "prod", roots: [{ kid: "k", environment: "prod", key: { ...jwk, d: "c2VjcmV0" } }] }), "bad_key");
  assert.match(err.message, /private/);
  throwsCode(() => prodValidator({ acceptOtherEnvironment: "yes" }), "invalid_argument");
  throwsCode(() => prodValidator({ lastSeen: "yesterday" }), "invalid_argument");
  throwsCode(() => prodValidator({ lastSeen: -5 }), "invalid_argument");
  // A WebCrypto-exported JWK carries ext and key_ops: accepted, only kty/crv/x/y are read.
  const webcrypto = { ...jwk, ext: true, key_ops: ["verify"] };
  const v = new Validator({ environment: "prod", roots: [{ kid: "root-prod-1", environment: "prod", key: webcrypto }] });
  assert.equal(v.validate(basic.license, factsOf(basic), basic.now).status, "valid");
  assert.equal(v.environment, "prod");
  // JWK JSON text works too, and its thumbprint equals the PEM's.
  assert.equal(keyThumbprint(JSON.stringify(jwk)), keyThumbprint(vectors.roots["root-prod-1"].pem));
});

test("a JWK object follows core's JWK rule, as its JSON text does", () => {
  const jwk = vectors.roots["root-prod-1"].jwk;
  const thumb = keyThumbprint(jwk);
  for (const extra of [{ alg: "ES256" }, { use: "sig" }, { kid: "root-prod-1" }, { ext: true, key_ops: ["verify"] }]) {
    assert.equal(keyThumbprint({ ...jwk, ...extra }), thumb, JSON.stringify(extra));
  }
  for (const extra of [{ alg: "RS256" }, { use: "enc" }, { d: "c2VjcmV0" }, { foo: 1 }]) {
    throwsCode(() => keyThumbprint({ ...jwk, ...extra }), "bad_key");
  }
  throwsCode(() => keyThumbprint([jwk]), "invalid_argument");
  throwsCode(() => keyThumbprint({ ...jwk, x: 10n }), "bad_key"); // JSON.stringify throws on a BigInt
  // Every root-key document vector given as a JWK object, when its text is a JSON object.
  for (const vector of documents.vectors.filter((x) => x.operation === "load_root_key")) {
    let object;
    try {
      object = JSON.parse(vector.key);
    } catch {
      continue;
    }
    if (object === null || typeof object !== "object" || Array.isArray(object)) continue;
    let got;
    try {
      got = { ok: { thumbprint: keyThumbprint(object) } };
    } catch (err) {
      if (!(err instanceof LicenseError)) throw err;
      got = { error: { code: err.code, name: err.codeName } };
    }
    assert.deepEqual(got, vector.expect, vector.name);
  }
});

test("now defaults to the JS clock, floored to whole seconds", (t) => {
  const realNow = Date.now;
  t.after(() => {
    Date.now = realNow;
  });
  const v = prodValidator();
  Date.now = () => basic.now * 1000 + 999;
  assert.deepEqual(v.validate(basic.license, factsOf(basic)), v.validate(basic.license, factsOf(basic), basic.now));
  // Just past the end of grace by the clock: expired, with the clock's time in the message.
  const graceEnd = basic.expect.ok.grace_end;
  Date.now = () => graceEnd * 1000;
  const err = throwsCode(() => prodValidator().validate(basic.license, factsOf(basic)), "expired");
  Date.now = () => (graceEnd - 1) * 1000 + 999;
  const inGrace = prodValidator().validate(basic.license, factsOf(basic));
  assert.equal(inGrace.status, "grace");
  assert.equal(inGrace.graceDaysLeft, 1);
  assert.ok(err.message.length > 0);
});

test("a verdict is a plain object with every member typed, warnings with details", () => {
  const v = prodValidator();
  const verdict = v.validate(basic.license, factsOf(basic), basic.now);
  assert.equal(Object.getPrototypeOf(verdict), Object.prototype);
  assert.deepEqual(JSON.parse(JSON.stringify(verdict)), verdict);
  assert.deepEqual(Object.keys(verdict).sort(), [
    "cmlId", "cmlLicenseId", "cmlValidUntil", "environment", "expiresAt", "featurePacks", "features",
    "fingerprint", "graceDaysLeft", "graceEnd", "issuedAt", "licenseId", "maxOfflineDays", "maxSites",
    "orgId", "product", "siteDocumentId", "siteExpiresAt", "siteId", "status", "tier", "warnings",
  ]);
  assert.match(verdict.cmlId, /^[0-9a-f]{64}$/);
  assert.match(verdict.siteDocumentId, /^[0-9a-f]{64}$/);
  assert.notEqual(verdict.siteDocumentId, verdict.cmlId);
  const cml = v.verifyCml(JSON.parse(basic.license).cml);
  assert.equal(verdict.cmlId, cml.id);
  assert.equal(verdict.cmlLicenseId, cml.licenseId);
  assert.equal(verdict.cmlValidUntil, cml.validUntil);
  assert.equal(verdict.maxSites, cml.maxSites);
  assert.deepEqual(verdict.featurePacks, cml.featurePacks);
  assert.equal(verdict.maxOfflineDays, cml.maxOfflineDays);
  assert.equal(verdict.expiresAt, Math.min(verdict.siteExpiresAt, verdict.cmlValidUntil));
  for (const k of ["issuedAt", "siteExpiresAt", "cmlValidUntil", "maxSites"]) assert.equal(typeof verdict[k], "number", k);
  assert.equal(verdict.graceDaysLeft, null);
  // An unbound license: a fingerprint object of nulls (not missing members).
  assert.equal(Object.getPrototypeOf(verdict.fingerprint), Object.prototype);
  assert.deepEqual(verdict.fingerprint, { address: null, dnsSuffix: null, deploymentTag: null });
  const bound = byName("valid/all-fingerprint-fields");
  const b = prodValidator().validate(bound.license, factsOf(bound), bound.now);
  assert.deepEqual(b.fingerprint, {
    address: bound.expect.ok.fingerprint.address,
    dnsSuffix: bound.expect.ok.fingerprint.dns_suffix,
    deploymentTag: bound.expect.ok.fingerprint.deployment_tag,
  });
  for (const k of ["address", "dnsSuffix", "deploymentTag"]) assert.equal(typeof b.fingerprint[k], "string", k);
  // maxOfflineDays is null here; the freshness scenarios (scenarios.json) check it as a number.

  const grace = byName("time/grace-middle");
  const g = prodValidator().validate(grace.license, factsOf(grace), grace.now);
  assert.equal(g.warnings.length, 1);
  const [w] = g.warnings;
  assert.equal(w.name, "in_grace");
  assert.equal(w.daysLeft, g.graceDaysLeft);
  assert.equal(w.graceEnd, g.graceEnd);
  assert.equal(w.expiredAt, g.expiresAt);
  assert.match(w.message, /grace/);

  const soon = byName("valid/expires-soon");
  const s = prodValidator().validate(soon.license, factsOf(soon), soon.now);
  assert.equal(s.warnings[0].name, "expires_soon");
  assert.equal(s.warnings[0].expiresAt, s.expiresAt);
  assert.equal(s.warnings[0].daysLeft, 7);
});

test("hasFeature is an exact, case-sensitive match on the verdict's features", () => {
  const verdict = prodValidator().validate(basic.license, factsOf(basic), basic.now);
  assert.deepEqual(verdict.features, ["analytics", "reports"]);
  assert.equal(hasFeature(verdict, "analytics"), true);
  assert.equal(hasFeature(verdict, "reports"), true);
  assert.equal(hasFeature(verdict, "Analytics"), false);
  assert.equal(hasFeature(verdict, "analytic"), false);
  assert.equal(hasFeature(verdict, ""), false);
});

test("the clock floor: lastSeen, setLastSeen and clockFloor", () => {
  const v = prodValidator({ lastSeen: basic.now + 3600 });
  assert.equal(v.clockFloor, basic.now + 3600);
  throwsCode(() => v.validateAt(basic.license, factsOf(basic), basic.now), "clock_rollback");
  const w = prodValidator({ clock: () => basic.now });
  const cml = w.verifyCml(JSON.parse(basic.license).cml);
  w.validate(basic.license, factsOf(basic));
  // A validation at the clock raises the floor to the clock (and to the signed issued_at).
  assert.equal(w.clockFloor, basic.now);
  assert.ok(w.clockFloor >= cml.issuedAt);
  w.setLastSeen(basic.now + 86400);
  assert.equal(w.clockFloor, basic.now + 86400);
  throwsCode(() => w.validate(basic.license, factsOf(basic)), "clock_rollback");
  throwsCode(() => w.validateAt(basic.license, factsOf(basic), basic.now), "clock_rollback");
  // setLastSeen never lowers it.
  w.setLastSeen(basic.now);
  assert.equal(w.clockFloor, basic.now + 86400);
  throwsCode(() => w.setLastSeen(1.5), "invalid_argument");
});

test("verifyCml describes the CML; its org key id is the org key's thumbprint", () => {
  const cml = prodValidator().verifyCml(JSON.parse(basic.license).cml);
  assert.equal(cml.orgId, "acme");
  assert.equal(cml.environment, "prod");
  assert.equal(cml.issuedBy, "root-prod-1");
  assert.ok(cml.featurePacks.includes("analytics"));
  assert.equal(cml.orgKeyId, keyThumbprint(cml.orgKey));
  assert.ok(cml.validUntil > cml.issuedAt);
});

test("cmlStanding and manifestPeriod: core's rules over a CML's life, at a time or at the clock", () => {
  const cml = JSON.parse(basic.license).cml;
  const info = prodValidator().verifyCml(cml);
  assert.equal(info.maxOfflineDays, null);
  const v = prodValidator({ clock: () => info.validUntil - 86400 });
  assert.deepEqual(v.cmlStanding(cml), { standing: "expiring", daysLeft: 1, daysAgo: null, usable: true });
  assert.equal(v.clockFloor, 0); // read, not written
  const end = info.validUntil + info.graceDays * 86400;
  assert.deepEqual(v.cmlStanding(cml, end + 3 * 86400), { standing: "expired", daysLeft: null, daysAgo: 3, usable: false });
  assert.deepEqual(v.manifestPeriod(cml, "2026-01", basic.now), { start: 1767225600, end: 1769904000 });
  throwsCode(() => v.manifestPeriod(cml, "2026-13", basic.now), "manifest_invalid");
  throwsCode(() => v.manifestPeriod(cml, 202601, basic.now), "invalid_argument");
  throwsCode(() => v.cmlStanding("x.y.z", basic.now), "bad_encoding");
  throwsCode(() => v.cmlStanding(cml, -1), "invalid_argument");
  const failing = prodValidator({ clock: () => { throw new Error("no clock"); } });
  assert.match(throwsCode(() => failing.cmlStanding(cml), "invalid_argument").message, /options\.clock threw/);
});

test("a revocation list applied to the validator revokes the license", () => {
  const vector = vectors.vectors.find((x) => x.revocation_lists.length > 0 && x.expect.error?.name === "revoked");
  assert.ok(vector, "no revoked vector");
  const v = new Validator({ environment: vector.environment, roots: rootsOf(vectors, vector.roots, "pem") });
  const facts = factsOf(vector);
  assert.equal(v.validate(licenseOf(vector), facts, vector.now).status, "valid");
  const seq = v.applyRevocationList(licenseOf(vector), vector.revocation_lists.at(-1), vector.now);
  assert.equal(typeof seq, "number");
  throwsCode(() => v.validate(licenseOf(vector), facts, vector.now), "revoked");
});

test("manifests: a plain typed object", () => {
  const m = byName("manifest/valid");
  const manifest = hubValidator().verifyManifest(m.cml, m.document);
  assert.equal(manifest.period, "2026-01");
  assert.equal(manifest.stats.totalActiveSites, 3);
  assert.deepEqual(manifest.stats.sitesByProductTier, [
    { product: "hwf", tier: "active", count: 2 },
    { product: "boost", tier: "basic", count: 1 },
  ]);
  assert.deepEqual(manifest.sites[1], { siteId: "site-1", product: "hwf", tier: "active", issuedAt: 1767312000, lastSeen: null, status: "active" });
  assert.equal(manifest.ledgerLength, 42);
  assert.match(manifest.cmlId, /^[0-9a-f]{64}$/);
});

test("two modules: the node module has no Hub-side verifications, the hub module has all of both", async () => {
  const hubOnly = ["verifyManifest", "verifyLedger", "verifyReceipt"];
  for (const name of hubOnly) {
    assert.equal(name in Validator.prototype, false, `the node module has ${name}`);
    assert.equal(typeof hub.Validator.prototype[name], "function", `the hub module lacks ${name}`);
  }
  for (const name of Object.getOwnPropertyNames(Validator.prototype)) {
    assert.ok(name in hub.Validator.prototype, `the hub module lacks ${name}`);
  }
  // One LicenseError class for both entries; each module its own Validator.
  assert.equal(hub.LicenseError, LicenseError);
  assert.notEqual(hub.Validator, Validator);
  assert.equal(hub.version(), version());
  const v = hubValidator();
  assert.equal(v.validate(basic.license, factsOf(basic), basic.now).siteId, "site-berlin-01");
  assert.equal((await v.validateAtAsync(basic.license, factsOf(basic), basic.now)).siteId, "site-berlin-01");
  const ledger = byName("ledger/swapped-entries");
  assert.ok(throwsCode(() => v.verifyLedger(ledger.cml, ledger.entries), "ledger_broken") instanceof LicenseError);
  // Its own .wasm, larger than the node module's.
  const size = (f) => readFileSync(path.join(REPO, "wasm/pkg", f)).length;
  assert.ok(size("hub/web/hwf_license_wasm_bg.wasm") > size("web/hwf_license_wasm_bg.wasm"));
});

test("require() gives the same module and the same LicenseError class as import", () => {
  const require = createRequire(import.meta.url);
  const cjs = require("hwf-license-wasm");
  assert.equal(cjs.LicenseError, LicenseError);
  assert.equal(cjs.Validator, Validator);
  const cjsHub = require("hwf-license-wasm/hub");
  assert.equal(cjsHub.Validator, hub.Validator);
  assert.equal(cjsHub.LicenseError, LicenseError);
  assert.equal(version(), readFileSync(path.join(REPO, "Cargo.toml"), "utf8").match(/^version = "([^"]+)"/m)[1]);
});

test("the web build runs in Node too, after initSync", async () => {
  const web = await import("hwf-license-wasm/web");
  const wasm = readFileSync(path.join(REPO, "wasm/pkg/web/hwf_license_wasm_bg.wasm"));
  web.initSync({ module: wasm });
  const v = new web.Validator({ environment: "prod", roots: prodRoots });
  assert.equal(v.validate(basic.license, factsOf(basic), basic.now).siteId, "site-berlin-01");
  const tampered = byName("chain/site-payload-edited");
  assert.throws(() => v.validate(tampered.license, factsOf(tampered), tampered.now), (err) => err instanceof web.LicenseError && err.code === 200);
  // Two builds, two classes: each build's errors are instances of its own LicenseError.
  assert.notEqual(web.LicenseError, LicenseError);
});

test("a validator can be freed explicitly and disposed with `using`", () => {
  const v = prodValidator();
  assert.equal(typeof v[Symbol.dispose], "function");
  v.free();
  assert.throws(() => v.validate(basic.license, null, basic.now));
});
