// The WebCrypto path of hwf-license-wasm: the `…Async` methods of `Validator`. No license rule is
// here. `validateAsync` and `verifyCmlAsync` run core's two-phase validation: phase 1
// (`__begin`) checks what the signature checks need and returns the checks it waits for (a cold
// chain: the CML's by the root and the site license's by the org key, both at once), this file
// starts them concurrently with `crypto.subtle.verify` (ECDSA P-256, SHA-256), `__prepare` reads
// the rest of the site license meanwhile, and phase 2 (`__finish`) completes every rule with the
// answers (docs/WASM.md). The other methods
// run in rounds: core runs the whole operation; when it needs a signature check it has no answer
// for, the round returns the checks instead of a result (its outcome discarded), this file
// verifies them and runs the round again with the answers (a round that needs a root key's check
// also reports the checks further down the chain, found by a throw-away validator).
// Without `crypto.subtle` (an insecure http: page, an old runtime) the methods run the sync path.
import { Validator, __Pending as Pending } from "./hwf_license_wasm.js";

const subtle = globalThis.crypto?.subtle;
const IMPORT = { name: "ECDSA", namedCurve: "P-256" };
const VERIFY = { name: "ECDSA", hash: "SHA-256" };
const ID = 65 + 32 + 64; // key (SEC1) | SHA-256 of the signing input | signature
const MAX_ROUNDS = 8; // one per signature of a cold call (a heartbeat: 4); more means a fault
const MAX_KEYS = 64;

/** Imported keys per validator, by the key's SEC1 bytes (never by kid). */
const keyCaches = new WeakMap();
/**
 * Imported trusted-root keys, shared by every validator, by the key's SEC1 bytes: a root is
 * configuration (the peers import theirs once), an org key is read from a CML and stays per
 * validator. A key is only ever used for the bytes it was imported from.
 */
const rootKeys = new Map();

/**
 * The `CryptoKey` of `sec1` once imported (so that a verify can start at once, before any
 * `await`), else the promise of its import.
 */
function cryptoKey(owner, sec1, isRoot) {
  let cache = rootKeys;
  if (!isRoot) {
    cache = keyCaches.get(owner);
    if (cache === undefined) keyCaches.set(owner, (cache = new Map()));
  }
  const id = String.fromCharCode.apply(null, sec1);
  let key = cache.get(id);
  if (key === undefined) {
    if (cache.size >= MAX_KEYS) cache.clear();
    const imported = subtle.importKey("raw", sec1.slice(), IMPORT, false, ["verify"]);
    imported.then(
      (k) => cache.get(id) === imported && cache.set(id, k),
      () => cache.get(id) === imported && cache.delete(id),
    );
    cache.set(id, (key = imported));
  }
  return key;
}

/**
 * `crypto.subtle.verify` of one check: started now if its key is imported, else as soon as the
 * import is done; false if WebCrypto refuses the key or the signature. `started()` is called
 * once the verify has been started (or cannot be).
 */
function verifyOne(owner, flagged, started) {
  const c = flagged.subarray(1);
  const signature = c.subarray(97, ID);
  const message = c.subarray(ID);
  let verified;
  try {
    const key = cryptoKey(owner, c.subarray(0, 65), flagged[0] === 1);
    if (typeof key.then === "function") {
      verified = key.then(
        (k) => {
          try {
            return subtle.verify(VERIFY, k, signature, message);
          } finally {
            started();
          }
        },
        (e) => {
          started();
          throw e;
        },
      );
    } else {
      verified = subtle.verify(VERIFY, key, signature, message);
      started();
    }
  } catch {
    started();
    return Promise.resolve(false);
  }
  return verified.catch(() => false);
}

/**
 * Verifies checks (each 1 if by a trusted root else 0 | key | digest | signature | signing
 * input) with WebCrypto, all at once: each verify starts as soon as its key is imported, and
 * `whenStarted` (optional) runs once every verify has started. Resolves to the answers for the
 * binding (each key | digest | signature | 1 or 0).
 */
function verifyChecks(owner, flagged, whenStarted = () => {}) {
  let waiting = flagged.length;
  const run = () => {
    try {
      whenStarted();
    } catch {
      // Only work that can be done later (`__prepare`: `__finish` does it otherwise).
    }
  };
  const started = () => {
    if (--waiting === 0) run();
  };
  if (waiting === 0) run();
  const results = flagged.map((c) => verifyOne(owner, c, started));
  return Promise.all(results).then((ok) => {
    const out = new Uint8Array(flagged.length * (ID + 1));
    flagged.forEach((c, i) => {
      out.set(c.subarray(1, ID + 1), i * (ID + 1));
      out[i * (ID + 1) + ID] = ok[i] ? 1 : 0;
    });
    return out;
  });
}

function concat(a, b) {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/**
 * Two phases (`Validator.__begin`, op 0 validate, 1 verifyCml): the result, or a pending
 * validation and its checks. The checks are started with WebCrypto at once (the org key's
 * verify as soon as its import is done); once every verify has started, `__prepare` does the
 * part of phase 1 the checks do not need (the site license's payload and rules) while WebCrypto
 * works on another thread; then `__finish` (which consumes the pending validation) with the
 * answers.
 */
async function twoPhases(validator, op, a, b, c) {
  const r = validator.__begin(op, a, b, c);
  if (!Array.isArray(r)) return r;
  const pending = r[0];
  if (!(pending instanceof Pending)) throw new Error("hwf-license-wasm: not a pending validation");
  const answers = await verifyChecks(validator, r.slice(1), () => validator.__prepare(pending));
  return validator.__finish(pending, answers);
}

/**
 * Runs round `op` of the validator (`Validator.__round`: 2 applyRevocationList, 3
 * verifyHeartbeat, 4 one ES256 check) until it returns a result rather than
 * checks to verify. The answers of earlier rounds are given again: the core side keeps nothing.
 */
async function rounds(validator, op, a, b, c, d) {
  let answers = new Uint8Array(0);
  for (let i = 0; i < MAX_ROUNDS; i++) {
    const r = validator.__round(op, a, b, c, d, answers);
    if (!Array.isArray(r)) return r;
    answers = concat(answers, await verifyChecks(validator, r));
  }
  throw new Error("hwf-license-wasm: the WebCrypto path did not converge");
}

const methods = {
  validateAsync(license, facts = null) {
    return subtle
      ? twoPhases(this, 0, license, facts, undefined)
      : Promise.resolve().then(() => this.validate(license, facts));
  },
  validateAtAsync(license, facts, now) {
    if (now === undefined) now = null; // required: validateAt's error, not the clock
    return subtle
      ? twoPhases(this, 0, license, facts, now)
      : Promise.resolve().then(() => this.validateAt(license, facts, now));
  },
  verifyCmlAsync(cml) {
    return subtle
      ? twoPhases(this, 1, cml)
      : Promise.resolve().then(() => this.verifyCml(cml));
  },
  applyRevocationListAsync(license, list) {
    return subtle
      ? rounds(this, 2, license, list, undefined)
      : Promise.resolve().then(() => this.applyRevocationList(license, list));
  },
  applyRevocationListAtAsync(license, list, now) {
    if (now === undefined) now = null;
    return subtle
      ? rounds(this, 2, license, list, now)
      : Promise.resolve().then(() => this.applyRevocationListAt(license, list, now));
  },
  verifyHeartbeatAsync(license, answer, nonce) {
    return subtle
      ? rounds(this, 3, license, answer, nonce, undefined)
      : Promise.resolve().then(() => this.verifyHeartbeat(license, answer, nonce));
  },
  verifyHeartbeatAtAsync(license, answer, nonce, now) {
    if (now === undefined) now = null;
    return subtle
      ? rounds(this, 3, license, answer, nonce, now)
      : Promise.resolve().then(() => this.verifyHeartbeatAt(license, answer, nonce, now));
  },
};
for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Validator.prototype, name, { value: fn, writable: true, configurable: true });
}

/** Whether the `…Async` methods verify with WebCrypto here (else they run the sync path). */
export const webCryptoAvailable = subtle !== undefined;

let es256Validator;

/**
 * One ES256 check through the same path as a validation (for test vectors such as Project
 * Wycheproof's): the key read by core, a signature not of 64 bytes refused before any backend,
 * then `crypto.subtle.verify`, the answer given back to the binding's verifier. Not a way to
 * verify documents: use a `Validator`.
 * @param {Uint8Array} key SEC1 public key
 * @param {Uint8Array} message
 * @param {Uint8Array} signature r || s
 * @returns {Promise<boolean>}
 */
export async function verifyEs256Async(key, message, signature) {
  if (!subtle) throw new Error("crypto.subtle is not available here");
  const digest = new Uint8Array(await subtle.digest("SHA-256", message));
  es256Validator ??= new Validator({ environment: "prod", roots: [], nonceSeed: new Uint8Array(32) });
  return rounds(es256Validator, 4, key, message, digest, signature);
}
