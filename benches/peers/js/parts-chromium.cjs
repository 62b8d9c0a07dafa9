// The wasm parts of a cold `validateAtAsync` in headless Chromium, two or more builds interleaved
// in one cross-origin-isolated page, each part timed over a batch (40 fresh validators), so the
// 5 µs timer does not round it:
//   node benches/peers/js/parts-chromium.cjs <base pkg> wasm/pkg [batches, default 15]
// Per batch and build: p1 = 40 `__begin` (the file, both JWS, the checks with their SHA-256),
// prepare = 40 `__prepare`, p2 = 40 `__finish` with WebCrypto's answers (computed outside the
// timing), cachedAsync = 40 `validateAtAsync` on those validators (now cached: no WebCrypto),
// cold = 40 `validateAtAsync` on fresh validators (the whole path of js/async.js). Printed: per
// call, median/best of the batches, and the median of the per-batch ratios to the first build.
// Needs /usr/bin/chromium and .tools/node (playwright-core), as compare-chromium.cjs does.
const http = require("node:http"), fs = require("node:fs"), path = require("node:path");
const REPO = path.resolve(__dirname, "../../..");
const { chromium } = require(path.join(REPO, ".tools/node/node_modules/playwright-core"));
if (process.argv.length < 4) throw new Error("usage: parts-chromium.cjs <pkg> <pkg> [batches]");
const pkgs = process.argv.slice(2).filter((a) => !/^\d+$/.test(a));
const batches = Number(process.argv.slice(2).find((a) => /^\d+$/.test(a)) ?? 15);
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
  const out = await page.evaluate(async ({ pkgs, license, now, roots, environment, batches }) => {
    const builds = {};
    for (const d of pkgs) { const m = await import(`/${d}/web/index.js`); await m.default(); builds[d] = m; }
    const options = { environment, roots };
    const subtle = crypto.subtle, IMPORT = { name: "ECDSA", namedCurve: "P-256" }, VERIFY = { name: "ECDSA", hash: "SHA-256" };
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const N = 40;
    const one = async (m) => {
      const vs = Array.from({ length: N }, () => new m.Validator(options));
      let t = performance.now();
      const rs = vs.map((v) => v.__begin(0, license, null, now));
      const p1 = performance.now() - t;
      // answers (outside timing)
      const [p0, c0, c1] = rs[0];
      const k0 = await subtle.importKey("raw", c0.slice(1, 66), IMPORT, false, ["verify"]);
      const k1 = await subtle.importKey("raw", c1.slice(1, 66), IMPORT, false, ["verify"]);
      const ok = await Promise.all([subtle.verify(VERIFY, k0, c0.subarray(98, 162), c0.subarray(162)), subtle.verify(VERIFY, k1, c1.subarray(98, 162), c1.subarray(162))]);
      const ans = new Uint8Array(324);
      [c0, c1].forEach((c, j) => { ans.set(c.subarray(1, 162), j * 162); ans[j * 162 + 161] = ok[j] ? 1 : 0; });
      t = performance.now();
      rs.forEach((r, i) => vs[i].__prepare(r[0]));
      const pr = performance.now() - t;
      t = performance.now();
      const outs = rs.map((r, i) => vs[i].__finish(r[0], ans));
      const p2 = performance.now() - t;
      if (outs[0].status !== "valid") throw new Error("not valid: " + JSON.stringify(outs[0]));
      t = performance.now();
      for (const v of vs) await v.validateAtAsync(license, null, now); // cached: phase 2 kept the chain
      const cachedAsync = performance.now() - t;
      vs.forEach((v) => v.free());
      const fresh = Array.from({ length: N }, () => new m.Validator(options));
      t = performance.now();
      for (const v of fresh) await v.validateAtAsync(license, null, now);
      const cold = performance.now() - t;
      fresh.forEach((v) => v.free());
      const us = (x) => (x * 1000) / N;
      return { p1: us(p1), prepare: us(pr), p2: us(p2), cachedAsync: us(cachedAsync), cold: us(cold) };
    };
    const s = Object.fromEntries(pkgs.map((d) => [d, []]));
    for (const d of pkgs) await one(builds[d]);
    for (let b = 0; b < batches; b++) for (const d of pkgs) s[d].push(await one(builds[d]));
    const lines = [];
    for (const d of pkgs) {
      const keys = Object.keys(s[d][0]);
      lines.push(d.padEnd(24) + keys.map((k) => `${k} ${med(s[d].map((x) => x[k])).toFixed(1)}/${Math.min(...s[d].map((x) => x[k])).toFixed(1)}`).join("  ") +
        (d !== pkgs[0] ? "   ratio/first: " + keys.map((k) => `${k} ${med(s[d].map((x, b) => x[k] / s[pkgs[0]][b][k])).toFixed(3)}`).join(" ") : ""));
    }
    return lines.join("\n");
  }, { pkgs, license: valid.license, now: valid.now, roots: roots.roots, environment: roots.environment, batches });
  console.log(out);
  await browser.close(); server.close();
});
