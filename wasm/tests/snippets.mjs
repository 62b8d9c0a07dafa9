// The code blocks of wasm/README.md and docs/WASM.md that the tests run, with what each must
// print. A block is run when its info string is "js node" (a Node ES module) or "html browser" (a
// page). Both get, in their folder: root.pem and root.jwk.json (the vectors' prod root), site.lic
// (a valid, then a tampered license), cml.jws, manifest.jws and ledger.txt (one entry a line), and
// a clock (Date.now) set to the vectors' time. Adding or removing a block means updating EXPECT.
// A block with `rollback` keeps the trust state: run again after the valid run, in the same folder
// (Node) or on the same page reloaded (browser), with the clock ten days back, it prints that.
import { readFileSync } from "node:fs";
import path from "node:path";
import { REPO } from "./support.mjs";

const LEDGER_HEAD = "371a11fb660efc3cb1b7b49016d5770c11ee7fad202243ab3fe0eca5a0ddede4";

/** Per file and kind, in order: the trimmed output (stdout, or the page's text) per license. */
export const EXPECT = {
  "wasm/README.md": {
    node: [
      {
        valid: "valid site-berlin-01 analytics,reports\nanalytics: true",
        tampered: "rejected: bad_signature (200): site: signature does not verify",
      },
      {
        valid: `2026-01 3 4\n5 ${LEDGER_HEAD}\nledger_broken at entry 0`,
        tampered: `2026-01 3 4\n5 ${LEDGER_HEAD}\nledger_broken at entry 0`,
      },
    ],
    browser: [
      {
        valid: "valid until 2026-06-30T00:00:00.000Z",
        tampered: "invalid: bad_signature: site: signature does not verify",
      },
    ],
  },
  "docs/WASM.md": {
    node: [
      {
        valid: "valid 2026-06-30",
        tampered: "bad_signature",
        // Run again (same folder, same page) after the valid run with the clock 10 days back.
        rollback: "clock_rollback",
      },
    ],
    browser: [
      {
        valid: "valid: analytics, reports",
        tampered: "refused: bad_signature",
        rollback: "refused: clock_rollback",
      },
    ],
  },
};

/** The blocks of `kind` ("node" or "browser") of every documented file, with expectations. */
export function docSnippets(kind) {
  const out = [];
  for (const [file, kinds] of Object.entries(EXPECT)) {
    const markdown = readFileSync(path.join(REPO, file), "utf8");
    const info = kind === "node" ? "js node" : "html browser";
    const blocks = [...markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)]
      .filter((m) => m[1].trim() === info)
      .map((m) => m[2]);
    const expects = kinds[kind] ?? [];
    if (blocks.length !== expects.length) {
      throw new Error(`${file} has ${blocks.length} "${info}" blocks, the tests expect ${expects.length}`);
    }
    blocks.forEach((code, i) => out.push({ where: `${file} ${kind} block ${i + 1}`, code, expect: expects[i] }));
  }
  return out;
}
