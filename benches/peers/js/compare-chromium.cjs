// Async cold of two builds of hwf-license-wasm against jose in headless Chromium, interleaved in
// one cross-origin-isolated page (5 µs timers), for A/B measurements of the WebCrypto path, as
// compare.mjs does in Node:
//   node benches/peers/js/compare-chromium.cjs <base pkg> wasm/pkg [batches, default 15]
// Each batch: 40 `validateAtAsync` calls of `valid/basic` on fresh validators per build and 40
// jose calls (joseValidator of peer.js, the root key imported once); printed: the median per call
// and the median of the per-batch ratios build / jose. Then the parts of a cold call of the
// second build (the path of js/async.js, timed step by step; medians of 400), and one WebCrypto
// importKey and verify on their own. Needs /usr/bin/chromium and .tools/node (playwright-core,
// jose), as the browser test does.
const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
const REPO = path.resolve(__dirname, "../../..");
const { chromium } = require(path.join(REPO, ".tools/node/node_modules/playwright-core"));
const [A, B] = [process.argv[2], process.argv[3]];
if (!A || !B) throw new Error("usage: compare-chromium.cjs <pkg> <pkg> [batches]");
const batches = Number(process.argv[4] ?? 15);
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".json": "application/json", ".html": "text/html" };
const server = http.createServer((req, res) => {
  let p = decodeURIComponent(new URL(req.url, "http://x").pathname);
  let file = p.startsWith("/jose/") ? path.join(REPO, ".tools/node/node_modules/jose/dist/webapi", p.slice(6)) : path.join(REPO, path.posix.normalize(p));
  if (p === "/") { res.writeHead(200, { "content-type": "text/html", "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp" }); return res.end("<!doctype html><title>ab</title>"); }
  fs.readFile(file, (e, data) => {
    if (e) { res.writeHead(404); return res.end(); }
    res.writeHead(200, { "content-type": types[path.extname(file)] ?? "text/plain", "cross-origin-opener-policy": "same-origin", "cross-origin-embedder-policy": "require-corp", "cross-origin-resource-policy": "same-origin" });
    res.end(data);
  });
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
  const out = await page.evaluate(async ({ A, B, license, now, roots, environment, batches }) => {
    const jose = await import("/jose/index.js");
    const peer = await import("/benches/peers/js/peer.js");
    const builds = {};
    for (const d of [A, B]) { const m = await import(`/${d}/web/index.js`); await m.default(); builds[d] = m; }
    const options = { environment, roots };
    const rootKey = await jose.importJWK(roots.find((r) => r.environment === environment).key, "ES256");
    const joseValidate = peer.joseValidator(jose, rootKey);
    const calls = 40;
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const kinds = { jose: async () => { const t = performance.now(); for (let i = 0; i < calls; i++) await joseValidate(license); return ((performance.now() - t) * 1000) / calls; } };
    for (const [d, m] of Object.entries(builds)) kinds[d] = async () => {
      const fresh = Array.from({ length: calls }, () => new m.Validator(options));
      const t = performance.now();
      for (const v of fresh) await v.validateAtAsync(license, null, now);
      const us = ((performance.now() - t) * 1000) / calls; fresh.forEach((v) => v.free()); return us;
    };
    const samples = Object.fromEntries(Object.keys(kinds).map((k) => [k, []]));
    for (const k of Object.keys(kinds)) await kinds[k]();
    for (let b = 0; b < batches; b++) for (const k of Object.keys(kinds)) samples[k].push(await kinds[k]());
    const lines = [`chromium ${navigator.userAgent.match(/Chrome\/([0-9.]+)/)?.[1]}, crossOriginIsolated ${crossOriginIsolated}: ${batches} interleaved batches of ${calls} calls, valid/basic`];
    for (const k of Object.keys(kinds)) lines.push(`${k.padEnd(24)} async cold median ${med(samples[k]).toFixed(0).padStart(5)} µs   / jose ${med(samples[k].map((x, b) => x / samples.jose[b])).toFixed(3)} (median of per-batch ratios)`);
    // Parts of a cold call (build B, the new flow), and jose's parts.
    const m = builds[B];
    if (typeof m.Validator.prototype.__prepare !== "function") return lines.join("\n");
    const subtle = crypto.subtle, IMPORT = { name: "ECDSA", namedCurve: "P-256" }, VERIFY = { name: "ECDSA", hash: "SHA-256" };
    const parts = { p1: [], start: [], prepare: [], wait: [], p2: [], total: [], oneImport: [], oneVerify: [], twoVerifies: [] };
    let rk;
    for (let i = 0; i < 400; i++) {
      const v = new m.Validator(options);
      const t0 = performance.now();
      const [p, c0, c1] = v.__begin(0, license, null, now);
      const t1 = performance.now();
      rk ??= await subtle.importKey("raw", c0.slice(1, 66), IMPORT, false, ["verify"]);
      const t1b = performance.now();
      const a = subtle.verify(VERIFY, rk, c0.subarray(98, 162), c0.subarray(162));
      const b = subtle.importKey("raw", c1.slice(1, 66), IMPORT, false, ["verify"]).then((k) => subtle.verify(VERIFY, k, c1.subarray(98, 162), c1.subarray(162)));
      const t2 = performance.now();
      v.__prepare(p);
      const t3 = performance.now();
      const res = await Promise.all([a, b]);
      const ans = new Uint8Array(324);
      [c0, c1].forEach((c, j) => { ans.set(c.subarray(1, 162), j * 162); ans[j * 162 + 161] = res[j] ? 1 : 0; });
      const t4 = performance.now();
      v.__finish(p, ans);
      const t5 = performance.now();
      const k = await subtle.importKey("raw", c1.slice(1, 66), IMPORT, false, ["verify"]);
      const t6 = performance.now();
      await subtle.verify(VERIFY, k, c1.subarray(98, 162), c1.subarray(162));
      const t7 = performance.now();
      await Promise.all([subtle.verify(VERIFY, k, c1.subarray(98, 162), c1.subarray(162)), subtle.verify(VERIFY, rk, c0.subarray(98, 162), c0.subarray(162))]);
      const t8 = performance.now();
      v.free();
      parts.p1.push(t1 - t0); parts.start.push(t2 - t1b); parts.prepare.push(t3 - t2); parts.wait.push(t4 - t3); parts.p2.push(t5 - t4); parts.total.push(t5 - t0 - (t1b - t1));
      parts.oneImport.push(t6 - t5); parts.oneVerify.push(t7 - t6); parts.twoVerifies.push(t8 - t7);
    }
    lines.push(`${B} parts (medians of 400): ` + Object.entries(parts).map(([k, xs]) => `${k} ${(med(xs) * 1000).toFixed(1)}`).join("  ") + " µs");
    return lines.join("\n");
  }, { A, B, license: valid.license, now: valid.now, roots: roots.roots, environment: roots.environment, batches });
  console.log(out);
  await browser.close();
  server.close();
});
