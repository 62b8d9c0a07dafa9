// Shared by the Node tests: the conformance vectors and how to run one (testdata/vectors/FORMAT.md).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { factsOf, projectVerdict, rootsOf } from "./conformance.mjs";

export { factsOf, projectVerdict, rootsOf };

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const VECTORS_DIR = path.join(REPO, "testdata/vectors");

export function loadJson(name) {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, name), "utf8"));
}

/** The license of a vector: its text, or its bytes when they are not UTF-8. */
export function licenseOf(vector) {
  return vector.license !== undefined
    ? vector.license
    : new Uint8Array(Buffer.from(vector.license_hex, "hex"));
}

/**
 * Runs one validation vector with a package module `pkg` ({ Validator, LicenseError }) and
 * returns what happened: { ok: projected verdict } or { error: { code, name, step } }, for both
 * validations. A vector's `now` is a caller's time, so the `…At` methods run it. Throws when an
 * error is not a LicenseError.
 */
export function runVector(pkg, file, vector, { keyForm = "pem", license = licenseOf(vector) } = {}) {
  const options = {
    environment: vector.environment,
    roots: rootsOf(file, vector.roots, keyForm),
    acceptOtherEnvironment: vector.accept_other_environment,
  };
  if (vector.last_seen !== null && vector.last_seen !== undefined) options.lastSeen = vector.last_seen;
  const validator = new pkg.Validator(options);
  const caught = (step, fn) => {
    try {
      return { ok: fn() };
    } catch (err) {
      if (!(err instanceof pkg.LicenseError) || !(err instanceof Error)) throw err;
      return { error: { code: err.code, name: err.codeName, step } };
    }
  };
  try {
    for (const list of vector.revocation_lists) {
      const r = caught("revocation_list", () => validator.applyRevocationListAt(license, list, vector.now));
      if (r.error) return [r];
    }
    const facts = factsOf(vector);
    return [0, 1].map(() => {
      const r = caught("validate", () => validator.validateAt(license, facts, vector.now));
      return r.ok ? { ok: projectVerdict(r.ok) } : r;
    });
  } finally {
    validator.free();
  }
}

/** What a vector expects, in the shape runVector returns (for one validation). */
export function expected(vector) {
  if (vector.expect.ok) return { ok: vector.expect.ok };
  const e = vector.expect.error;
  return { error: { code: e.code, name: e.name, step: e.step } };
}
