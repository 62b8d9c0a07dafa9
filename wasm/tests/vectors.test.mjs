// Every conformance vector (testdata/vectors/vectors.json and documents.json) through the Node
// build of the package, as FORMAT.md says: validate twice, compare every verdict member (all 22,
// the fingerprint's three included; the JS verdict may have no other) or the error code. Each
// validation vector runs with the roots given as PEM and as JWK objects, and with the license as
// text and as bytes, and through the WebCrypto path (the …Async methods) with both root forms.
// The runners are conformance.mjs's, which the page test runs in Chromium.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pkg from "hwf-license-wasm";
import * as hub from "hwf-license-wasm/hub";
import { expected, licenseOf, loadJson, runDocument, runVector } from "./support.mjs";

const vectors = loadJson("vectors.json");
const documents = loadJson("documents.json");

test("the vector files are the formats this runner reads", () => {
  assert.equal(vectors.format, "hwf-license-vectors/1");
  assert.equal(documents.format, "hwf-license-documents/1");
  assert.ok(vectors.vectors.length >= 100, `only ${vectors.vectors.length} vectors`);
});

for (const vector of vectors.vectors) {
  test(`vector ${vector.name}`, async () => {
    const want = expected(vector);
    const license = licenseOf(vector);
    const forms = [
      { keyForm: "pem", license },
      { keyForm: "jwk", license },
      // The same bytes, given the other way (text <-> Uint8Array).
      {
        keyForm: "pem",
        license: typeof license === "string" ? new TextEncoder().encode(license) : license,
      },
      // The WebCrypto path (validateAtAsync, applyRevocationListAtAsync): the same verdicts.
      { keyForm: "pem", license, mode: "async" },
      { keyForm: "jwk", license, mode: "async" },
    ];
    for (const form of forms) {
      const got = await runVector(pkg, vectors, vector, form);
      const what = `${form.keyForm} roots, license as ${typeof form.license === "string" ? "text" : "bytes"}${form.mode === "async" ? ", async" : ""}`;
      if (want.error?.step === "revocation_list") {
        assert.deepEqual(got, [want], what);
      } else {
        assert.deepEqual(got, [want, want], what);
      }
    }
  });
}

for (const vector of documents.vectors) {
  test(`document ${vector.name}`, async () => {
    assert.deepEqual(await runDocument(pkg, documents, vector, { hub }), vector.expect);
    assert.deepEqual(await runDocument(pkg, documents, vector, { mode: "async", hub }), vector.expect, "async");
  });
}
