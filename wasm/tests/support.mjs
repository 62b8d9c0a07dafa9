// Shared by the Node tests: the conformance vectors and how to run one (testdata/vectors/FORMAT.md).
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { expectedOf, factsOf, licenseOf, projectVerdict, rootsOf, runDocument, runVector } from "./conformance.mjs";

// The runners live in conformance.mjs (no Node modules: the page test runs them in Chromium).
export { factsOf, licenseOf, projectVerdict, rootsOf, runDocument, runVector };
export const expected = expectedOf;

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
export const VECTORS_DIR = path.join(REPO, "testdata/vectors");

export function loadJson(name) {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, name), "utf8"));
}
