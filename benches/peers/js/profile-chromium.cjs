// CPU profile of cold `validateAtAsync` calls (mode `full`) or of `__begin` alone (mode `begin`)
// in headless Chromium through the DevTools protocol: self time per function, grouped under the
// nearest JS entry point of the path (`__begin`, `__prepare`, `__finish`, `verifyOne`,
// `cryptoKey`, the `Validator` constructor, …), per call. The sampling profiler slows every call
// about 2 × (use the shares, not the µs); wasm functions have names only in a build that keeps
// its name section, e.g. from the last `scripts/build-wasm.sh` (its cargo output):
//   wasm-bindgen --keep-debug --target web --out-dir /tmp/named target/wasm32-unknown-unknown/wasm-release/hwf_license_wasm.wasm
//   wasm-opt -g -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
//     --enable-mutable-globals --enable-reference-types --enable-multivalue \
//     /tmp/named/hwf_license_wasm_bg.wasm -o /tmp/named/opt.wasm
//   cp -r wasm/pkg target/wasm-pkg-named && cp /tmp/named/opt.wasm target/wasm-pkg-named/web/hwf_license_wasm_bg.wasm
//   CALLS=10000 INTERVAL=37 TOP=25 node benches/peers/js/profile-chromium.cjs target/wasm-pkg-named [full|begin]
// (CALLS: profiled calls, default 3000; INTERVAL: sampling interval in µs, default 20; TOP: rows
// per group, default 12; FLAT=1 also prints the ungrouped top 45.)
const CALLS = Number(process.env.CALLS ?? 3000);
const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
const REPO = path.resolve(__dirname, "../../..");
const { chromium } = require(path.join(REPO, ".tools/node/node_modules/playwright-core"));
const PKG = process.argv[2];
if (!PKG) throw new Error("usage: profile-chromium.cjs <pkg with a named .wasm> [full|begin]");
const server = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = p.startsWith("/jose/") ? path.join(REPO, ".tools/node/node_modules/jose/dist/webapi", p.slice(6)) : path.join(REPO, path.posix.normalize(p));
  const h = { "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp", "cross-origin-resource-policy": "same-origin" };
  if (p === "/") { res.writeHead(200, { ...h, "content-type": "text/html" }); return res.end("<!doctype html><title>p</title>"); }
  fs.readFile(file, (e, data) => { if (e) { res.writeHead(404); return res.end(); }
    const t = { ".js": "text/javascript", ".wasm": "application/wasm" }[path.extname(file)] ?? "text/plain";
    res.writeHead(200, { ...h, "content-type": t }); res.end(data); });
});
server.listen(0, "127.0.0.1", async () => {
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  const page = await browser.newPage();
  page.on("pageerror", (e) => console.error("pageerror", e));
  await page.goto(origin + "/");
  const vectors = JSON.parse(fs.readFileSync(path.join(REPO, "testdata/vectors/vectors.json"), "utf8"));
  const valid = vectors.vectors.find((v) => v.name === "valid/basic");
  const roots = JSON.parse(fs.readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
  const arg = { PKG, license: valid.license, now: valid.now, roots: roots.roots, environment: roots.environment };
  await page.evaluate(async ({ PKG, license, now, roots, environment }) => {
    const m = await import(`/${PKG}/web/index.js`); await m.default();
    window.run = async (n) => { const o = { environment, roots };
      const mode = window.MODE;
      for (let i = 0; i < n; i += 50) { const vs = Array.from({length: 50}, () => new m.Validator(o));
        if (mode === "begin") { const rs = vs.map((v) => v.__begin(0, license, null, now)); rs.forEach((r) => r[0].free()); }
        else for (const v of vs) await v.validateAtAsync(license, null, now);
        vs.forEach((v) => v.free()); } };
    await window.run(500);
  }, arg);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: Number(process.env.INTERVAL ?? 20) });
  await cdp.send("Profiler.start");
  await page.evaluate(([mode, n]) => { window.MODE = mode; return window.run(n); }, [process.argv[3] ?? 'full', CALLS]);
  const { profile } = await cdp.send("Profiler.stop");
  const self = new Map(); const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const dt = profile.timeDeltas; let total = 0;
  profile.samples.forEach((id, i) => { const n = byId.get(id); const k = n.callFrame.functionName || `(${n.callFrame.url.split("/").pop()})`; self.set(k, (self.get(k) ?? 0) + dt[i]); total += dt[i]; });
  const parent = new Map(); for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const G = new Set(["__begin", "__prepare", "__finish", "Validator", "free", "verifyOne", "cryptoKey", "verifyChecks", "twoPhases", "validateAtAsync"]);
  const groups = new Map();
  profile.samples.forEach((id, i) => { let n = id, g = "(other)"; while (n !== undefined) { const f = byId.get(n).callFrame.functionName; if (G.has(f)) { g = f; break; } n = parent.get(n); }
    const leaf = byId.get(id).callFrame.functionName || "(anon)"; const gg = groups.get(g) ?? { t: 0, leaves: new Map() }; gg.t += dt[i]; gg.leaves.set(leaf, (gg.leaves.get(leaf) ?? 0) + dt[i]); groups.set(g, gg); });
  for (const [g, gg] of [...groups.entries()].sort((a, b) => b[1].t - a[1].t)) {
    console.log(`== ${g}: ${(gg.t / CALLS).toFixed(2)} µs/call`);
    for (const [k, v] of [...gg.leaves.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(process.env.TOP ?? 12))) console.log(`   ${(v / CALLS).toFixed(2).padStart(7)}  ${k.slice(0, 100)}`);
  }
  if (process.env.FLAT) { const rows = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45);
  console.log(`total ${(total / 1000).toFixed(0)} ms over ${CALLS} calls = ${(total / CALLS).toFixed(1)} µs/call`);
  for (const [k, v] of rows) console.log(`${(v / CALLS).toFixed(2).padStart(7)} µs  ${(100 * v / total).toFixed(1).padStart(5)} %  ${k.slice(0, 110)}`); }
  await browser.close(); server.close();
});
