// Timing in Node with the same code as the browser test (examples/web/bench.js): cold and cached
// validation next to WebCrypto's verify of the same two signatures. Writes the figures to
// HWF_WASM_BENCH_NODE_OUT (default target/wasm-bench-node.json).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import * as pkg from "hwf-license-wasm";
import { REPO, loadJson } from "./support.mjs";
import { run } from "../../examples/web/bench.js";

const OUT = process.env.HWF_WASM_BENCH_NODE_OUT ?? path.join(REPO, "target/wasm-bench-node.json");

test("timing in Node: cold and cached validation against WebCrypto verify", async () => {
  const valid = loadJson("vectors.json").vectors.find((v) => v.name === "valid/basic");
  const roots = JSON.parse(readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
  const result = await run(pkg, { license: valid.license, now: valid.now, roots: roots.roots, environment: roots.environment });
  mkdirSync(path.dirname(OUT), { recursive: true });
  writeFileSync(OUT, `${JSON.stringify({ node: { ...result, version: process.version } }, null, 2)}\n`);
  console.log(
    `node ${process.version}: cold ${(result.coldUs / 1000).toFixed(3)} ms, cached ${result.cachedUs.toFixed(2)} µs ` +
      `(at a JS clock ${result.cachedClockUs.toFixed(2)} µs), ` +
      `WebCrypto 2×verify ${(result.webcryptoUs / 1000).toFixed(3)} ms, cold/WebCrypto ${result.coldOverWebcrypto.toFixed(2)}×`,
  );
  assert.equal(result.status, "valid");
  assert.deepEqual(result.webcryptoVerified, [true, true]);
  // Regression guards at 4× the browser targets (cold 5 ms, cached 50 µs).
  assert.ok(result.coldUs < 20000, `cold ${result.coldUs} µs`);
  assert.ok(result.cachedUs < 200, `cached ${result.cachedUs} µs`);
  assert.ok(result.cachedClockUs < 200, `cached at the clock ${result.cachedClockUs} µs`);
});
