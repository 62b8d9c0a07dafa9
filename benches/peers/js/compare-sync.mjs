// Sync cold and cached of two or more builds of hwf-license-wasm, interleaved in one Node
// process (A/B measurements of the sync path on a shared machine):
//   node benches/peers/js/compare-sync.mjs <base pkg> wasm/pkg [other/pkg …]   (BATCHES=15)
// Each batch and build: 20 `validateAt` calls of `valid/basic` on fresh validators (cold), then
// 500 on one of them (cached). Printed: the median per call and the median of the per-batch
// ratios to the first build.
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const dirs = process.argv.slice(2);
if (dirs.length < 2) throw new Error("usage: compare-sync.mjs <pkg> <pkg> [<pkg> …]");
const builds = [];
for (const d of dirs) builds.push([d, await import(pathToFileURL(path.resolve(REPO, d, "node/index.js")).href)]);
const vector = JSON.parse(readFileSync(path.join(REPO, "testdata/vectors/vectors.json"), "utf8")).vectors.find((v) => v.name === "valid/basic");
const roots = JSON.parse(readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
const options = { environment: roots.environment, roots: roots.roots };
const calls = 20;
const cachedCalls = 500;
const batches = Number(process.env.BATCHES ?? 15);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cold = Object.fromEntries(dirs.map((d) => [d, []]));
const cached = Object.fromEntries(dirs.map((d) => [d, []]));
const verdicts = new Set();
for (let b = 0; b <= batches; b++) {
  for (const [name, pkg] of builds) {
    const fresh = Array.from({ length: calls }, () => new pkg.Validator(options));
    let t = performance.now();
    for (const v of fresh) verdicts.add(JSON.stringify(v.validateAt(vector.license, null, vector.now)));
    const c = ((performance.now() - t) * 1000) / calls;
    t = performance.now();
    for (let i = 0; i < cachedCalls; i++) fresh[0].validateAt(vector.license, null, vector.now);
    const k = ((performance.now() - t) * 1000) / cachedCalls;
    fresh.forEach((v) => v.free());
    if (b > 0) {
      cold[name].push(c);
      cached[name].push(k);
    }
  }
}
if (verdicts.size !== 1) throw new Error("the builds' verdicts differ");
const [first] = dirs;
console.log(`node ${process.version}: ${batches} interleaved batches, valid/basic (batch 0 is warm-up)`);
for (const d of dirs) {
  const rc = median(cold[d].map((x, i) => x / cold[first][i]));
  const rk = median(cached[d].map((x, i) => x / cached[first][i]));
  console.log(`${d.padEnd(24)} sync cold ${median(cold[d]).toFixed(0).padStart(5)} µs (/ first ${rc.toFixed(3)}), cached ${median(cached[d]).toFixed(1)} µs (/ first ${rk.toFixed(3)})`);
}
