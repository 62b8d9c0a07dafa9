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

test("rounds: a cold chain asks once for both checks (CML by the root, site by the org key), a cached one not at all", async () => {
  const v = new Validator(options);
  const round = v.__round;
  const asked = [];
  v.__round = function (...args) {
    const r = round.apply(this, args);
    if (Array.isArray(r)) asked.push(r.map((c) => c[0]));
    return r;
  };
  await v.validateAtAsync(valid.license, null, valid.now);
  // One round, two checks: the first by a trusted root (flag 1), the second by the org key.
  assert.deepEqual(asked, [[1, 0]]);
  await v.validateAtAsync(valid.license, null, valid.now);
  assert.deepEqual(asked, [[1, 0]]);
  // A new site license under the cached CML: only its own check, no speculation.
  const other = vector("valid/no-features");
  assert.equal(JSON.parse(other.license).cml, JSON.parse(valid.license).cml);
  await v.validateAtAsync(other.license, factsOf(other), other.now);
  assert.deepEqual(asked, [[1, 0], [0]]);
});

test("the discovered site check is only a question: withheld, it is asked for again; refused, bad_signature", async () => {
  const v = new Validator(options);
  const first = v.__round(0, valid.license, null, valid.now, undefined, new Uint8Array(0));
  assert.ok(Array.isArray(first) && first.length === 2);
  const answer = (c, ok) => {
    const a = new Uint8Array(162);
    a.set(c.subarray(1, 162));
    a[161] = ok ? 1 : 0;
    return a;
  };
  // The CML answered "verified" by WebCrypto, the site not answered: asked again, never valid.
  const cmlOnly = answer(first[0], true);
  const again = v.__round(0, valid.license, null, valid.now, undefined, cmlOnly);
  assert.ok(Array.isArray(again) && again.length === 1, "a withheld check was taken as verified");
  assert.deepEqual(again[0].subarray(1, 162), first[1].subarray(1, 162));
  // The site refused: bad_signature.
  const both = new Uint8Array(324);
  both.set(cmlOnly);
  both.set(answer(first[1], false), 162);
  assert.throws(() => v.__round(0, valid.license, null, valid.now, undefined, both), (e) => e.codeName === "bad_signature");
  assert.equal(v.validateAt(valid.license, null, valid.now).status, "valid");
});

test("a CML the throw-away validator took as verified is refused by the real one (rogue root, edited payload)", async () => {
  for (const name of ["chain/rogue-root-known-kid", "chain/cml-payload-edited"]) {
    const bad = vector(name);
    const v = new Validator(options);
    const first = v.__round(0, bad.license, null, bad.now, undefined, new Uint8Array(0));
    assert.ok(Array.isArray(first) && first.length === 2, `${name}: both checks discovered`);
    await assert.rejects(v.validateAtAsync(bad.license, null, bad.now), (e) => e instanceof LicenseError && e.codeName === "bad_signature", name);
    // Nothing of it was kept: the valid chain still goes through a full cold round.
    assert.equal((await v.validateAtAsync(valid.license, null, valid.now)).status, "valid");
  }
});

test("an answer for another key, input or signature is not used", async () => {
  const v = new Validator(options);
  const first = v.__round(0, valid.license, null, valid.now, undefined, new Uint8Array(0));
  assert.ok(Array.isArray(first) && first.length === 2);
  const check = first[0].subarray(1);
  // "Verified" for the same key and signature but another digest: still missing.
  const forged = new Uint8Array(162);
  forged.set(check.subarray(0, 161));
  forged[65] ^= 1;
  forged[161] = 1;
  const again = v.__round(0, valid.license, null, valid.now, undefined, forged);
  assert.ok(Array.isArray(again), "a forged answer was used");
  // A "not verified" answer for the real check: bad_signature, nothing cached.
  const no = new Uint8Array(162);
  no.set(check.subarray(0, 161));
  assert.throws(() => v.__round(0, valid.license, null, valid.now, undefined, no), (e) => e.codeName === "bad_signature");
  assert.deepEqual(v.__round(0, valid.license, null, valid.now, undefined, new Uint8Array(0)).length, 2);
  // The sync path is untouched by rounds.
  assert.equal(v.validateAt(valid.license, null, valid.now).status, "valid");
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
