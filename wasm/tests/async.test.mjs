// The WebCrypto path's own properties (the vectors and scenarios replay through it in
// vectors.test.mjs and state.test.mjs): trust-state writes as the sync methods, an unanswered
// check never cached or reported as bad_signature, keys never trusted by kid.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as pkg from "hwf-license-wasm";
import { REPO, factsOf, loadJson } from "./support.mjs";

const { Validator, LicenseError } = pkg;
const vectors = loadJson("vectors.json");
const vector = (name) => vectors.vectors.find((v) => v.name === name);
const valid = vector("valid/basic");
const roots = JSON.parse(readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
const options = { environment: roots.environment, roots: roots.roots };

test("validateAsync writes the clock floor like validate; validateAtAsync writes nothing", async () => {
  const a = new Validator({ ...options, clock: () => valid.now });
  await a.validateAtAsync(valid.license, null, valid.now);
  assert.equal(a.stateChanged(), false);
  assert.equal(a.clockFloor, 0);
  const verdict = await a.validateAsync(valid.license);
  assert.equal(verdict.status, "valid");
  const b = new Validator({ ...options, clock: () => valid.now });
  b.validate(valid.license);
  assert.equal(a.clockFloor, b.clockFloor);
  assert.deepEqual(a.exportState(), b.exportState());
});

test("a refused signature is bad_signature, and a good chain after it still verifies", async () => {
  const tampered = vector("chain/site-payload-edited");
  const v = new Validator(options);
  await assert.rejects(v.validateAtAsync(tampered.license, null, tampered.now), (e) => e instanceof LicenseError && e.codeName === "bad_signature");
  assert.equal((await v.validateAtAsync(valid.license, null, valid.now)).status, "valid");
});

/** Wraps the validator's phase 1 to record the checks (their root flags) it asked for. */
function recordChecks(v) {
  const asked = [];
  const begin = v.__begin;
  v.__begin = function (...args) {
    const r = begin.apply(this, args);
    if (Array.isArray(r)) asked.push(r.slice(1).map((c) => c[0]));
    return r;
  };
  return asked;
}

/** Phase 1 of a validation that waits for checks: the pending validation and its checks. */
function pendingOf(v, license, facts, now) {
  const r = v.__begin(0, license, facts, now);
  assert.ok(Array.isArray(r), "expected a pending validation");
  return { p: r[0], c: r.slice(1) };
}

/** An answer to a check from `__begin`: key | digest | signature | 1 or 0. */
const answer = (c, ok) => {
  const a = new Uint8Array(162);
  a.set(c.subarray(1, 162));
  a[161] = ok ? 1 : 0;
  return a;
};
const join = (...parts) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

test("two phases: a cold chain asks once for both checks (CML by the root, site by the org key), a cached one not at all", async () => {
  const v = new Validator(options);
  const asked = recordChecks(v);
  await v.validateAtAsync(valid.license, null, valid.now);
  // One phase 1, two checks: the first by a trusted root (flag 1), the second by the org key.
  assert.deepEqual(asked, [[1, 0]]);
  // Cached: phase 1 returns the verdict itself.
  assert.equal(v.__begin(0, valid.license, null, valid.now).status, "valid");
  await v.validateAtAsync(valid.license, null, valid.now);
  assert.deepEqual(asked, [[1, 0]]);
  // A new site license under the cached CML: only its own check.
  const other = vector("valid/no-features");
  assert.equal(JSON.parse(other.license).cml, JSON.parse(valid.license).cml);
  await v.validateAtAsync(other.license, factsOf(other), other.now);
  assert.deepEqual(asked, [[1, 0], [0]]);
});

test("phase 2 refuses unless the root verified the CML; a withheld answer is refused, never taken as verified", async () => {
  const begin = (v) => pendingOf(v, valid.license, null, valid.now);
  // The site verified, the CML refused: the CML's bad_signature.
  let v = new Validator(options);
  let { p, c } = begin(v);
  assert.equal(c.length, 2);
  assert.throws(() => v.__finish(p, join(answer(c[0], false), answer(c[1], true))), (e) => e.codeName === "bad_signature" && /CML/i.test(e.message));
  assert.deepEqual(begin(v).c.map((x) => x[0]), [1, 0], "nothing was cached");
  // The CML verified, the site's answer withheld: invalid_argument, the site never valid.
  ({ p, c } = begin(v));
  v.__prepare(p); // the site license read between the phases: the same refusal
  assert.throws(() => v.__finish(p, answer(c[0], true)), (e) => e.codeName === "invalid_argument");
  // The site refused: bad_signature.
  ({ p, c } = begin(v));
  assert.equal(c.length, 1, "the verified CML was cached");
  assert.throws(() => v.__finish(p, answer(c[0], false)), (e) => e.codeName === "bad_signature");
  assert.equal(v.validateAt(valid.license, null, valid.now).status, "valid");
});

test("a pending validation is finished once, by the validator that began it", async () => {
  const a = new Validator(options);
  const b = new Validator(options);
  const { p, c } = pendingOf(a, valid.license, null, valid.now);
  const good = join(answer(c[0], true), answer(c[1], true));
  b.__prepare(p); // another validator's: nothing happens
  assert.throws(() => b.__finish(p, good), (e) => e.codeName === "invalid_argument");
  // Given to __finish, it is consumed: no second use.
  assert.throws(() => a.__finish(p, good));
  assert.throws(() => a.__prepare(p));
  const q = pendingOf(a, valid.license, null, valid.now).p;
  a.__prepare(q);
  a.__prepare(q); // idempotent
  assert.equal(a.__finish(q, good).status, "valid");
});

test("a CML the root did not sign is refused though its org key verifies the site (rogue root, edited payload)", async () => {
  for (const name of ["chain/rogue-root-known-kid", "chain/cml-payload-edited"]) {
    const bad = vector(name);
    const v = new Validator(options);
    assert.equal(pendingOf(v, bad.license, null, bad.now).c.length, 2, `${name}: both checks asked for`);
    await assert.rejects(v.validateAtAsync(bad.license, null, bad.now), (e) => e instanceof LicenseError && e.codeName === "bad_signature", name);
    // Nothing of it was kept: the valid chain still needs both checks.
    assert.equal(pendingOf(v, valid.license, null, valid.now).c.length, 2);
    assert.equal((await v.validateAtAsync(valid.license, null, valid.now)).status, "valid");
  }
});

test("an answer for another key, input or signature is not used", async () => {
  const v = new Validator(options);
  const { p, c } = pendingOf(v, valid.license, null, valid.now);
  // "Verified" for the same key and signature but another digest, and the site's real answer:
  // the CML has no answer, refused.
  const forged = answer(c[0], true);
  forged[65] ^= 1;
  assert.throws(() => v.__finish(p, join(forged, answer(c[1], true))), (e) => e.codeName === "invalid_argument");
  // The answers of another license's checks do not answer this one's site license.
  const other = vector("valid/no-features");
  const w = new Validator(options);
  const co = pendingOf(w, other.license, factsOf(other), other.now).c;
  const q = pendingOf(w, valid.license, null, valid.now).p;
  assert.throws(() => w.__finish(q, join(answer(co[0], true), answer(co[1], true))), (e) => e.codeName === "invalid_argument");
  // The sync path is untouched.
  assert.equal(v.validateAt(valid.license, null, valid.now).status, "valid");
});

test("verifyCmlAsync in two phases: one check, then cached", async () => {
  const cml = JSON.parse(valid.license).cml;
  const v = new Validator(options);
  const asked = recordChecks(v);
  const got = await v.verifyCmlAsync(cml);
  assert.deepEqual(got, new Validator(options).verifyCml(cml));
  await v.verifyCmlAsync(cml);
  assert.deepEqual(asked, [[1]]);
});

test("argument errors reject with the code the sync methods throw", async () => {
  const v = new Validator(options);
  const code = (fn) => {
    try {
      fn();
    } catch (e) {
      return e.codeName;
    }
    return null;
  };
  const cases = [
    ["validateAt", [valid.license, null]],
    ["validate", [42]],
    ["verifyCml", [null]],
    ["applyRevocationListAt", [valid.license, 7, valid.now]],
    ["verifyHeartbeatAt", [valid.license, "x", null, valid.now]],
  ];
  for (const [name, args] of cases) {
    const want = code(() => v[name](...args));
    assert.ok(want, `${name} throws`);
    await assert.rejects(v[`${name}Async`](...args), (e) => e instanceof LicenseError && e.codeName === want, name);
  }
});
