// The chain preview of a site's page: Root -> CML -> site checked in the browser by the
// hwf-license WASM package (the same core rules a node runs), with each link's key id, validity
// and constraint checks. A preview only: the root keys come from this server, so it is not a
// security control. No license rule is here: every verdict is the module's.
import init, { Validator } from "./hwf_license_wasm.js";

const box = document.getElementById("chain-preview");
const out = document.getElementById("chain-links");
const status = document.getElementById("chain-status");

/** The protected header of a compact JWS (its `kid`), or {} when unreadable. */
function header(jws) {
  try {
    const b64 = jws.split(".")[0].replace(/-/g, "+").replace(/_/g, "/");
    return JSON.parse(atob(b64 + "=".repeat((4 - (b64.length % 4)) % 4)));
  } catch {
    return {};
  }
}

function utc(t) {
  return new Date(t * 1000).toISOString().slice(0, 16).replace("T", " ");
}

/** Facts of a node that meets the license's fingerprint: what a node at the site would report. */
function factsFor(fp) {
  const facts = {};
  if (fp?.address) facts.addresses = [fp.address.split("/")[0]];
  if (fp?.dns_suffix || fp?.dnsSuffix) {
    const suffix = (fp.dns_suffix || fp.dnsSuffix).replace(/^\./, "");
    facts.dnsName = "node." + suffix;
  }
  if (fp?.deployment_tag || fp?.deploymentTag) facts.deploymentTag = fp.deployment_tag || fp.deploymentTag;
  return facts;
}

function add(parent, tag, text, cls) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  if (cls) el.className = cls;
  parent.appendChild(el);
  return el;
}

/** One link of the chain: a titled card with facts and checks, valid or not. */
function link(title, ok, facts, checks, error) {
  const li = add(out, "li", undefined, "card chain-link");
  li.dataset.valid = ok ? "true" : "false";
  const h = add(li, "h3", title + " ");
  add(h, "span", ok ? "valid" : "invalid", "badge " + (ok ? "valid" : "revoked"));
  const dl = add(li, "dl", undefined, "facts");
  for (const [k, v] of facts) {
    add(dl, "dt", k);
    add(dl, "dd", v);
  }
  if (checks.length) {
    const ul = add(li, "ul", undefined, "checks");
    for (const [ok2, text] of checks) {
      add(ul, "li", (ok2 ? "✓ " : "✗ ") + text, ok2 ? "check ok" : "check bad");
    }
  }
  if (error) add(li, "p", error, "flash error");
}

async function run() {
  const roots = JSON.parse(box.dataset.roots);
  const environment = box.dataset.environment;
  const licenseText = box.dataset.license;
  const file = JSON.parse(licenseText);
  const now = Math.floor(Date.now() / 1000);
  await init();
  const v = new Validator({ environment, roots });
  const cmlKid = header(file.cml).kid || "?";
  const siteKid = header(file.site).kid || "?";
  let cml = null;
  try {
    cml = v.verifyCml(file.cml);
    const st = v.cmlStanding(file.cml, now);
    link(
      "Root → CML",
      st.usable,
      [
        ["Signed by root key", cml.issuedBy],
        ["Environment", cml.environment],
        ["Valid", `${utc(cml.issuedAt)} – ${utc(cml.validUntil)} (then ${cml.graceDays} days of grace)`],
        ["Standing", st.standing + (st.daysLeft !== null ? `, ${st.daysLeft} days left` : "")],
        ["Org key id", cml.orgKeyId],
      ],
      [
        [roots.some((r) => r.kid === cmlKid), `root key ${cmlKid} is one of this server's ${roots.length} trusted root keys`],
        [true, "the root key's ES256 signature over the CML verifies"],
        [cml.environment === environment || false, `the CML is for the ${environment} environment`],
        [st.usable, "the CML is within its validity or grace"],
      ],
    );
  } catch (e) {
    link("Root → CML", false, [["Signed by root key", cmlKid]], [], `${e.message}${e.codeName ? ` (${e.codeName})` : ""}`);
  }
  try {
    const claimed = JSON.parse(box.dataset.fingerprint || "{}");
    const facts = factsFor(claimed);
    const verdict = v.validateAt(licenseText, facts, now);
    const fp = verdict.fingerprint || {};
    const constraints = [];
    if (fp.address) constraints.push([true, `node address within ${fp.address} (checked with ${facts.addresses[0]})`]);
    if (fp.dnsSuffix) constraints.push([true, `node DNS name within ${fp.dnsSuffix} (checked with ${facts.dnsName})`]);
    if (fp.deploymentTag) constraints.push([true, `deployment tag ${fp.deploymentTag}`]);
    if (!constraints.length) constraints.push([true, "no node binding (any node may use it)"]);
    link(
      "CML → site",
      true,
      [
        ["Signed by org key", siteKid],
        ["Site", `${verdict.siteId} (${verdict.product} / ${verdict.tier})`],
        ["Valid", `${utc(verdict.issuedAt)} – ${utc(verdict.siteExpiresAt)}; effective until ${utc(verdict.expiresAt)}`],
        ["Status", verdict.status],
        ["Features", verdict.features.join(", ") || "none"],
      ],
      [
        [cml !== null && siteKid === cml.orgKeyId, "signed by the org key the CML names"],
        [true, "bound to this CML (its document id)"],
        [true, `features within the CML's packs (${verdict.featurePacks.join(", ") || "none"})`],
        ...constraints,
        [verdict.status === "valid" || verdict.status === "grace", `usable now (${verdict.status})`],
      ],
    );
  } catch (e) {
    link("CML → site", false, [["Signed by org key", siteKid]], [], `${e.message}${e.codeName ? ` (${e.codeName})` : ""}`);
  }
  const links = out.querySelectorAll(".chain-link");
  const all = [...links].every((l) => l.dataset.valid === "true");
  status.textContent = all
    ? "Both links are valid in this browser's check."
    : "A link does not verify: see above.";
  box.dataset.done = all ? "valid" : "invalid";
}

run().catch((e) => {
  status.textContent = "The preview could not run in this browser: " + e.message;
  box.dataset.done = "error";
});
