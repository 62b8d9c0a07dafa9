// The peer benchmark in Node: node benches/peers/js/node.mjs [package folder, default wasm/pkg]
// (scripts/test-wasm.sh --bench runs it and the same in Chromium). jose comes from
// .tools/node (npm install --prefix .tools/node --save-exact jose@6.2.18) or JOSE=<module path>.
import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { run, report } from "./peer.js";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const PKG = path.resolve(REPO, process.argv[2] ?? "wasm/pkg");
const JOSE = process.env.JOSE ?? path.join(REPO, ".tools/node/node_modules/jose/dist/webapi/index.js");
const OUT = process.env.HWF_PEER_OUT ?? path.join(REPO, "target/peer-bench-node.json");

const pkg = await import(pathToFileURL(path.join(PKG, "node/index.js")).href);
const jose = await import(pathToFileURL(JOSE).href);
const vector = JSON.parse(readFileSync(path.join(REPO, "testdata/vectors/vectors.json"), "utf8")).vectors.find((v) => v.name === "valid/basic");
const roots = JSON.parse(readFileSync(path.join(REPO, "examples/web/roots.json"), "utf8"));
const joseVersion = JSON.parse(readFileSync(path.join(path.dirname(JOSE), "../../package.json"), "utf8")).version;

const r = await run(pkg, jose, { license: vector.license, now: vector.now, roots: roots.roots, environment: roots.environment });
console.log(report(`node ${process.version}, jose ${joseVersion}`, r));
mkdirSync(path.dirname(OUT), { recursive: true });
writeFileSync(OUT, `${JSON.stringify({ node: process.version, jose: joseVersion, ...r }, null, 2)}\n`);
