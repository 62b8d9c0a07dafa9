// The trust state through the package: the clock option, validate (at the clock) against
// validateAt (what-if), exportState/importState across a "restart" (a new Validator), bad state
// bytes, the environment policy toggled on a cached chain, nonces, and every trust-state
// scenario of testdata/vectors/scenarios.json replayed with identical results.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pkg from "hwf-license-wasm";
import { factsOf, loadJson, rootsOf } from "./support.mjs";
import { runScenario, toHex } from "./conformance.mjs";

const { Validator, LicenseError, ErrorCode } = pkg;
const vectors = loadJson("vectors.json");
const scenarios = loadJson("scenarios.json");
const vector = (name) => vectors.vectors.find((v) => v.name === name) ?? assert.fail(`no vector ${name}`);
const scenario = (name) => scenarios.scenarios.find((s) => s.name === name) ?? assert.fail(`no scenario ${name}`);

const DAY = 86400;
/** Day `n` of 2026 (day 0 is 2026-01-01), as the scenarios count. */
const day = (n) => 1767225600 + n * DAY;

const basic = vector("valid/basic"); // issued 2026-01-02, expires 2026-06-30
const longLived = vector("valid/year-9999"); // issued 2026-01-02, expires 9999-12-31
const prodRoots = rootsOf(vectors, ["root-prod-1"], "pem");

/** A prod validator whose clock reads `clock.now` (change it to move the clock). */
function clocked(clock, extra = {}) {
  return new Validator({ environment: "prod", roots: prodRoots, clock: () => clock.now, ...extra });
}

function throwsCode(fn, name) {
  let caught;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught !== undefined, `expected a ${name} error, nothing was thrown`);
  assert.ok(caught instanceof LicenseError && caught instanceof Error, `not a LicenseError: ${caught}`);
  assert.equal(caught.codeName, name, caught.message);
  return caught;
}

/** The revocation lists of scenario state/revocation-survives-restart, by sequence number. */
function listsOfRevocationScenario() {
  const lists = {};
  for (const step of scenario("state/revocation-survives-restart").steps) {
    if (step.op !== "apply_revocation_list") continue;
    const seq = JSON.parse(Buffer.from(step.list.split(".")[1], "base64url")).seq;
    lists[seq] = step.list;
  }
  assert.ok(lists[5] && lists[1], "the scenario has lists #5 and #1");
  return lists;
}

test("the new error codes: bad_state 111 and offline_too_long 303", () => {
  assert.equal(ErrorCode.BadState, 111);
  assert.equal(ErrorCode.OfflineTooLong, 303);
  assert.equal(pkg.errorCodeName(111), "bad_state");
  assert.equal(pkg.errorCodeName(303), "offline_too_long");
});

test("(a) run 1 validates on day 299 and saves the state; run 2 with the clock on day 2 loads it: clock_rollback", () => {
  const clock = { now: day(299) };
  const run1 = clocked(clock);
  assert.equal(run1.validate(longLived.license, factsOf(longLived)).status, "valid");
  assert.equal(run1.clockFloor, day(299));
  assert.equal(run1.stateChanged(), true);
  const saved = run1.exportState();
  assert.ok(saved instanceof Uint8Array);
  assert.equal(new TextDecoder().decode(saved).split("\n")[0], "hwf-trust-state 1");
  assert.equal(run1.stateChanged(), false);
  run1.free();

  clock.now = day(2);
  // Without the saved state, day 2 looks fine: the license was issued on day 1.
  const forgetful = clocked(clock);
  assert.equal(forgetful.validate(longLived.license, factsOf(longLived)).status, "valid");
  forgetful.free();

  const run2 = clocked(clock);
  run2.importState(saved);
  assert.equal(run2.clockFloor, day(299));
  const err = throwsCode(() => run2.validate(longLived.license, factsOf(longLived)), "clock_rollback");
  assert.equal(err.code, 302);
  throwsCode(() => run2.validateAt(longLived.license, factsOf(longLived), day(2)), "clock_rollback");
  // Back on day 299 (less the 300 s skew) it is fine again.
  clock.now = day(299) - 300;
  assert.equal(run2.validate(longLived.license, factsOf(longLived)).status, "valid");
  run2.free();
});

test("(b) a revoking list #5 survives a restart: list #1 is then stale and the license stays revoked", () => {
  const lists = listsOfRevocationScenario();
  const clock = { now: basic.now };
  const run1 = clocked(clock);
  assert.equal(run1.validate(basic.license, factsOf(basic)).status, "valid");
  assert.equal(run1.applyRevocationList(basic.license, lists[5]), 5);
  throwsCode(() => run1.validate(basic.license, factsOf(basic)), "revoked");
  const saved = run1.exportState();
  run1.free();

  // A validator that forgot list #5 would take list #1 and accept the license again.
  const forgetful = clocked(clock);
  assert.equal(forgetful.applyRevocationList(basic.license, lists[1]), 1);
  assert.equal(forgetful.validate(basic.license, factsOf(basic)).status, "valid");
  forgetful.free();

  const run2 = clocked(clock);
  run2.importState(saved);
  const stale = throwsCode(() => run2.applyRevocationList(basic.license, lists[1]), "revocation_list_stale");
  assert.equal(stale.code, 404);
  const revoked = throwsCode(() => run2.validate(basic.license, factsOf(basic)), "revoked");
  assert.equal(revoked.code, 403);
  throwsCode(() => run2.validateAt(basic.license, factsOf(basic), basic.now), "revoked");
  run2.free();
});

test("(c) acceptOtherEnvironment(false) after a cached dev-chain validation: environment_mismatch", () => {
  const dev = vector("valid/dev-chain-prod-validator-opt-in");
  const v = new Validator({ environment: "prod", roots: rootsOf(vectors, dev.roots), clock: () => dev.now });
  assert.equal(v.acceptsOtherEnvironment, false);
  throwsCode(() => v.validate(dev.license, factsOf(dev)), "environment_mismatch");
  v.acceptOtherEnvironment(true);
  assert.equal(v.acceptsOtherEnvironment, true);
  assert.equal(v.validate(dev.license, factsOf(dev)).environment, "dev");
  assert.equal(v.validate(dev.license, factsOf(dev)).status, "valid"); // cached
  v.acceptOtherEnvironment(false);
  const err = throwsCode(() => v.validate(dev.license, factsOf(dev)), "environment_mismatch");
  assert.equal(err.code, 201);
  throwsCode(() => v.validateAt(dev.license, factsOf(dev), dev.now), "environment_mismatch");
  throwsCode(() => v.verifyCml(JSON.parse(dev.license).cml), "environment_mismatch");
  v.acceptOtherEnvironment(true);
  assert.equal(v.validate(dev.license, factsOf(dev)).status, "valid");
  throwsCode(() => v.acceptOtherEnvironment("yes"), "invalid_argument");
  throwsCode(() => v.acceptOtherEnvironment(), "null_parameter");
  assert.equal(v.acceptsOtherEnvironment, true);
});

test("corrupt, truncated, foreign and oversized state bytes throw bad_state (111) and change nothing", () => {
  const lists = listsOfRevocationScenario();
  const clock = { now: basic.now };
  // The same history twice: `v` also receives every bad import, `twin` none.
  const history = (x) => {
    x.validate(basic.license, factsOf(basic));
    x.applyRevocationList(basic.license, lists[1]);
    const saved = x.exportState();
    clock.now = basic.now + DAY;
    x.validate(basic.license, factsOf(basic));
    clock.now = basic.now;
    return saved;
  };
  const v = clocked(clock);
  const twin = clocked(clock);
  const good = history(v);
  assert.equal(toHex(history(twin)), toHex(good));
  const before = { floor: v.clockFloor, changed: v.stateChanged() };
  assert.deepEqual(before, { floor: basic.now + DAY, changed: true });

  const text = new TextDecoder().decode(good);
  const flip = (bytes, at) => {
    const copy = bytes.slice();
    copy[at] ^= 0x01;
    return copy;
  };
  const devState = (() => {
    const d = new Validator({ environment: "dev", roots: rootsOf(vectors, ["root-dev-1"]), clock: () => basic.now });
    d.setLastSeen(basic.now);
    const bytes = d.exportState();
    d.free();
    return bytes;
  })();
  const bad = {
    "truncated by one byte": good.slice(0, -1),
    "truncated to the header": good.slice(0, 18 + 65),
    "a byte of the body flipped": flip(good, good.length - 10),
    "a byte of the checksum flipped": flip(good, 20),
    "another version": new TextEncoder().encode(text.replace("hwf-trust-state 1", "hwf-trust-state 2")),
    empty: new Uint8Array(0),
    "not a state": new TextEncoder().encode("hello"),
    "a dev validator's state": devState,
  };
  for (const [what, bytes] of Object.entries(bad)) {
    const err = throwsCode(() => v.importState(bytes), "bad_state");
    assert.equal(err.code, 111, what);
    assert.deepEqual({ floor: v.clockFloor, changed: v.stateChanged() }, before, what);
  }
  throwsCode(() => v.importState(text.slice(0, -1)), "bad_state"); // as text too
  throwsCode(() => v.importState(new Uint8Array(4 * 1024 * 1024 + 1)), "too_large");
  throwsCode(() => v.importState(42), "invalid_argument");
  throwsCode(() => v.importState(null), "null_parameter");
  assert.deepEqual({ floor: v.clockFloor, changed: v.stateChanged() }, before);
  assert.equal(toHex(v.exportState()), toHex(twin.exportState()));
  // The revocation list is still in force: list #1 again is a no-op, an older one impossible.
  assert.equal(v.applyRevocationList(basic.license, lists[1]), 1);
  // Good bytes, as bytes or as their text, still import.
  v.importState(good);
  v.importState(text);
  assert.equal(v.clockFloor, basic.now + DAY);
});

test("validate reads options.clock; validateAt and the deprecated validate(…, now) write nothing", () => {
  const clock = { now: basic.now };
  let reads = 0;
  const v = new Validator({
    environment: "prod",
    roots: prodRoots,
    clock: () => {
      reads += 1;
      return clock.now;
    },
  });
  const at = v.validateAt(basic.license, factsOf(basic), basic.now + DAY);
  assert.deepEqual(v.validate(basic.license, factsOf(basic), basic.now + DAY), at);
  assert.equal(reads, 0);
  assert.equal(v.clockFloor, 0);
  assert.equal(v.stateChanged(), false);
  assert.equal(v.validate(basic.license, factsOf(basic)).status, "valid");
  assert.equal(reads, 1);
  assert.equal(v.clockFloor, basic.now);
  assert.equal(v.stateChanged(), true);
  // A what-if under the floor (less the skew) is a rollback, and still writes nothing.
  throwsCode(() => v.validateAt(basic.license, factsOf(basic), basic.now - 301), "clock_rollback");
  assert.equal(v.clockFloor, basic.now);
  throwsCode(() => v.validateAt(basic.license, factsOf(basic)), "null_parameter");
  throwsCode(() => v.validateAt(basic.license, null, "tomorrow"), "invalid_argument");
  throwsCode(() => v.validateAt(basic.license, null, basic.now + 0.5), "invalid_argument");
  throwsCode(() => v.applyRevocationListAt(basic.license, "x.y.z"), "null_parameter");
  throwsCode(() => v.verifyHeartbeatAt(basic.license, "x.y.z", "n"), "null_parameter");
});

test("a clock that throws or answers no number: invalid_argument naming options.clock", () => {
  const clock = { now: basic.now };
  const boom = new Error("boom");
  let mode = "ok";
  const v = new Validator({
    environment: "prod",
    roots: prodRoots,
    clock: () => {
      if (mode === "throw") throw boom;
      if (mode === "string") return "soon";
      if (mode === "fraction") return clock.now + 0.75;
      if (mode === "negative") return -5;
      return clock.now;
    },
  });
  mode = "throw";
  let err = throwsCode(() => v.validate(basic.license, factsOf(basic)), "invalid_argument");
  assert.match(err.message, /options\.clock threw: boom/);
  assert.equal(err.cause, boom);
  err = throwsCode(() => v.applyRevocationList(basic.license, listsOfRevocationScenario()[1]), "invalid_argument");
  assert.match(err.message, /options\.clock threw/);
  mode = "string";
  err = throwsCode(() => v.validate(basic.license, factsOf(basic)), "invalid_argument");
  assert.match(err.message, /options\.clock must return unix seconds/);
  mode = "negative";
  throwsCode(() => v.validate(basic.license, factsOf(basic)), "invalid_argument");
  assert.equal(v.clockFloor, 0);
  // Fractions are floored; after the failures the validator works as before.
  mode = "fraction";
  assert.equal(v.validate(basic.license, factsOf(basic)).status, "valid");
  assert.equal(v.clockFloor, basic.now);
  throwsCode(() => new Validator({ environment: "prod", roots: prodRoots, clock: 5 }), "invalid_argument");
  throwsCode(() => new Validator({ environment: "prod", roots: prodRoots, clock: "Date.now" }), "invalid_argument");
});

test("a clock may call into the package, even into its own validator", () => {
  let v;
  const other = new Validator({ environment: "prod", roots: prodRoots });
  v = new Validator({
    environment: "prod",
    roots: prodRoots,
    clock: () => {
      other.validateAt(basic.license, factsOf(basic), basic.now);
      return v.clockFloor > 0 ? v.clockFloor : basic.now;
    },
  });
  assert.equal(v.validate(basic.license, factsOf(basic)).status, "valid");
  assert.equal(v.validate(basic.license, factsOf(basic)).status, "valid");
  assert.equal(v.clockFloor, basic.now);
});

test("without options.clock the clock is Math.floor(Date.now() / 1000)", (t) => {
  const realNow = Date.now;
  t.after(() => {
    Date.now = realNow;
  });
  const v = new Validator({ environment: "prod", roots: prodRoots });
  Date.now = () => basic.now * 1000 + 999;
  v.validate(basic.license, factsOf(basic));
  assert.equal(v.clockFloor, basic.now);
  Date.now = () => (basic.now + 10) * 1000;
  v.validate(basic.license, factsOf(basic));
  assert.equal(v.clockFloor, basic.now + 10);
});

test("nonces: from options.nonceSeed as specified, else from crypto.getRandomValues", () => {
  const s = scenario("heartbeat/core-nonce-lowers-floor-once");
  const seed = Uint8Array.from(Buffer.from(s.nonce_seed, "hex"));
  const expected = s.steps.find((x) => x.op === "new_nonce").expect.ok.nonce;
  const a = new Validator({ environment: "prod", roots: prodRoots, nonceSeed: seed });
  const b = new Validator({ environment: "prod", roots: prodRoots, nonceSeed: seed });
  const first = a.newNonce();
  assert.equal(first, expected);
  assert.equal(b.newNonce(), first);
  assert.notEqual(a.newNonce(), first);
  const r1 = new Validator({ environment: "prod", roots: prodRoots }).newNonce();
  const r2 = new Validator({ environment: "prod", roots: prodRoots }).newNonce();
  assert.match(r1, /^[A-Za-z0-9_-]{22}$/);
  assert.notEqual(r1, r2);
  for (const wrong of [new Uint8Array(31), new Uint8Array(33), "0".repeat(32), Array(32).fill(0)]) {
    throwsCode(() => new Validator({ environment: "prod", roots: prodRoots, nonceSeed: wrong }), "invalid_argument");
  }
});

test("without crypto.getRandomValues, newNonce asks for options.nonceSeed", (t) => {
  const real = Object.getOwnPropertyDescriptor(globalThis, "crypto");
  t.after(() => Object.defineProperty(globalThis, "crypto", real));
  Object.defineProperty(globalThis, "crypto", { value: undefined, configurable: true, writable: true });
  assert.equal(globalThis.crypto, undefined);
  const v = new Validator({ environment: "prod", roots: prodRoots, clock: () => basic.now });
  assert.equal(v.validate(basic.license, factsOf(basic)).status, "valid");
  const err = throwsCode(() => v.newNonce(), "invalid_argument");
  assert.match(err.message, /nonceSeed/);
  const seeded = new Validator({ environment: "prod", roots: prodRoots, nonceSeed: new Uint8Array(32) });
  assert.match(seeded.newNonce(), /^[A-Za-z0-9_-]{22}$/);
});

test("scenarios.json is the format this runner reads, and uses every operation", () => {
  assert.equal(scenarios.format, "hwf-license-scenarios/1");
  assert.ok(scenarios.scenarios.length >= 16, `only ${scenarios.scenarios.length} scenarios`);
  const ops = new Set(scenarios.scenarios.flatMap((s) => s.steps.map((x) => x.op)));
  for (const op of [
    "set_clock", "validate", "validate_at", "apply_revocation_list", "new_nonce", "verify_heartbeat",
    "set_accept_other_environment", "expect_floor", "expect_state_changed", "export_state", "restart",
    "import_state",
  ]) {
    assert.ok(ops.has(op), `no scenario uses ${op}`);
  }
});

for (const s of scenarios.scenarios) {
  test(`scenario ${s.name}`, async () => {
    for (const mode of ["sync", "async"]) {
      const { problems, steps } = await runScenario(pkg, scenarios, s, { mode });
      assert.deepEqual(problems, [], `${mode}: ${s.description}`);
      assert.equal(steps, s.steps.length);
    }
  });
}
