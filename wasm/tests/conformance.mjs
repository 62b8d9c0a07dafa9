// How a binding runs the conformance files (testdata/vectors/FORMAT.md), in plain JavaScript with
// no Node module, so the same code runs in Node (the tests) and in the browser (the page test
// imports it into examples/web). Every function takes the package module `pkg`
// ({ Validator, LicenseError }) and the parsed JSON file, and returns a promise: with
// `mode: "async"` every operation that has an `…Async` form (the WebCrypto path) runs through it.

/** Node facts of a vector or a scenario step, in the package's camelCase. */
export function factsOf(item) {
  const f = item.facts ?? {};
  return { addresses: f.addresses ?? [], dnsName: f.dns_name ?? null, deploymentTag: f.deployment_tag ?? null };
}

/**
 * A verdict in the vectors' snake_case: every member FORMAT.md lists (a binding compares every
 * one), and nothing else. `verdictMembers` are the JS verdict's own members, all of which this
 * maps: a member added on one side only makes the comparison fail.
 */
export function projectVerdict(v) {
  return {
    status: v.status,
    site_id: v.siteId,
    org_id: v.orgId,
    license_id: v.licenseId,
    cml_license_id: v.cmlLicenseId,
    cml_id: v.cmlId,
    site_document_id: v.siteDocumentId,
    product: v.product,
    tier: v.tier,
    environment: v.environment,
    features: v.features,
    issued_at: v.issuedAt,
    expires_at: v.expiresAt,
    site_expires_at: v.siteExpiresAt,
    cml_valid_until: v.cmlValidUntil,
    max_sites: v.maxSites,
    feature_packs: v.featurePacks,
    max_offline_days: v.maxOfflineDays,
    fingerprint: {
      address: v.fingerprint.address,
      dns_suffix: v.fingerprint.dnsSuffix,
      deployment_tag: v.fingerprint.deploymentTag,
    },
    grace_end: v.graceEnd,
    grace_days_left: v.graceDaysLeft,
    warnings: v.warnings.map((w) => w.name),
  };
}

/** The JS verdict's members (sorted), as projectVerdict reads them. */
export const verdictMembers = [
  "cmlId", "cmlLicenseId", "cmlValidUntil", "environment", "expiresAt", "featurePacks", "features",
  "fingerprint", "graceDaysLeft", "graceEnd", "issuedAt", "licenseId", "maxOfflineDays", "maxSites",
  "orgId", "product", "siteDocumentId", "siteExpiresAt", "siteId", "status", "tier", "warnings",
];

/** Members of a verdict object that projectVerdict does not read, or that it lacks (sorted). */
export function verdictShapeProblems(v) {
  const have = Object.keys(v).sort();
  const fp = v.fingerprint && typeof v.fingerprint === "object" ? Object.keys(v.fingerprint).sort() : null;
  const problems = [];
  if (JSON.stringify(have) !== JSON.stringify(verdictMembers)) problems.push(`verdict members ${have.join(",")}`);
  if (JSON.stringify(fp) !== JSON.stringify(["address", "deploymentTag", "dnsSuffix"])) {
    problems.push(`fingerprint members ${fp?.join(",")}`);
  }
  return problems;
}

/** Trusted roots of `kids` from the file's `roots`, with the key as PEM text or a JWK object. */
export function rootsOf(file, kids, keyForm = "pem") {
  return kids.map((kid) => {
    const root = file.roots[kid];
    if (!root) throw new Error(`unknown root ${kid}`);
    return { kid, environment: root.environment, key: keyForm === "pem" ? root.pem : root.jwk };
  });
}

export const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
export const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

/** { ok: fn() } or { error: { code, name } }; anything thrown that is not a LicenseError is rethrown. */
async function outcome(pkg, fn) {
  try {
    return { ok: await fn() };
  } catch (err) {
    if (!(err instanceof pkg.LicenseError) || !(err instanceof Error)) throw err;
    return { error: { code: err.code, name: err.codeName } };
  }
}

/** JSON text with object members in sorted order: equal for deeply equal JSON values. */
const canonical = (x) =>
  JSON.stringify(x, (_, v) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
const same = (a, b) => canonical(a) === canonical(b);

/**
 * `v[name](...args)`, or in mode "async" the WebCrypto path `v[name + "Async"](...args)` where the
 * package has one: the runners below replay every file through either (the verdicts must be the
 * same). Returns a promise either way.
 */
async function call(mode, v, name, ...args) {
  return mode === "async" && typeof v[`${name}Async`] === "function" ? v[`${name}Async`](...args) : v[name](...args);
}

/** The license of a vector: its text, or its bytes when they are not UTF-8. */
export function licenseOf(vector) {
  return vector.license !== undefined ? vector.license : fromHex(vector.license_hex);
}

/**
 * Runs one validation vector and returns what happened: { ok: projected verdict } or
 * { error: { code, name, step } }, for both validations (FORMAT.md: validate twice, the second
 * takes the cached path). A vector's `now` is a caller's time, so the `…At` methods run it.
 * A verdict whose members are not exactly the ones projectVerdict maps is reported as
 * { shape: [problems] }. Throws when an error is not a LicenseError.
 */
export async function runVector(pkg, file, vector, { keyForm = "pem", license = licenseOf(vector), mode = "sync" } = {}) {
  const options = {
    environment: vector.environment,
    roots: rootsOf(file, vector.roots, keyForm),
    acceptOtherEnvironment: vector.accept_other_environment,
  };
  if (vector.last_seen !== null && vector.last_seen !== undefined) options.lastSeen = vector.last_seen;
  const validator = new pkg.Validator(options);
  const caught = async (step, fn) => {
    try {
      return { ok: await fn() };
    } catch (err) {
      if (!(err instanceof pkg.LicenseError) || !(err instanceof Error)) throw err;
      return { error: { code: err.code, name: err.codeName, step } };
    }
  };
  try {
    for (const list of vector.revocation_lists) {
      const r = await caught("revocation_list", () => call(mode, validator, "applyRevocationListAt", license, list, vector.now));
      if (r.error) return [r];
    }
    const facts = factsOf(vector);
    const out = [];
    for (let i = 0; i < 2; i++) {
      const r = await caught("validate", () => call(mode, validator, "validateAt", license, facts, vector.now));
      const shape = r.ok ? verdictShapeProblems(r.ok) : [];
      out.push(!r.ok ? r : shape.length ? { shape } : { ok: projectVerdict(r.ok) });
    }
    return out;
  } finally {
    validator.free();
  }
}

/** What a vector expects, in the shape runVector returns (for one validation). */
export function expectedOf(vector) {
  if (vector.expect.ok) return { ok: vector.expect.ok };
  const e = vector.expect.error;
  return { error: { code: e.code, name: e.name, step: e.step } };
}

/** Whether runVector's result is what the vector expects (every verdict member compared). */
export function vectorPasses(vector, got) {
  const want = expectedOf(vector);
  return same(got, want.error?.step === "revocation_list" ? [want] : [want, want]);
}

/** The result of one documents.json operation, in the file's snake_case (every member of its
 * `expect.ok`). Throws what the package throws. */
async function documentResult(pkg, file, vector, mode, hub) {
  const roots = rootsOf(file, Object.keys(file.roots), "pem");
  // The Hub-side verifications are in the package's hub module (`hwf-license-wasm/hub`) only.
  const onHub = HUB_OPERATIONS.includes(vector.operation);
  if (onHub && !hub) throw new Error(`${vector.operation} needs the hub module (option hub)`);
  const Validator = onHub ? hub.Validator : pkg.Validator;
  const prod = () => new Validator({ environment: "prod", roots });
  const using = async (fn) => {
    const v = prod();
    try {
      return await fn(v);
    } finally {
      v.free();
    }
  };
  switch (vector.operation) {
    case "verify_manifest":
      return using(async (v) => {
        const m = await call(mode, v, "verifyManifest", vector.cml, vector.document);
        return {
          id: m.id,
          org_id: m.orgId,
          period: m.period,
          total_active_sites: m.stats.totalActiveSites,
          sites: m.sites.length,
        };
      });
    case "verify_ledger":
      return using((v) => {
        const s = v.verifyLedger(vector.cml, vector.entries);
        return { length: s.length, head: s.head };
      });
    case "verify_heartbeat":
      return using(async (v) => {
        const h = await call(mode, v, "verifyHeartbeatAt", vector.license, vector.answer, vector.nonce, vector.now);
        return { status: h.status, server_time: h.serverTime, revocation_seq: h.revocationSeq, revoked: h.revoked };
      });
    case "verify_cml":
      return using(async (v) => {
        const c = await call(mode, v, "verifyCml", vector.cml);
        return {
          id: c.id,
          license_id: c.licenseId,
          org_id: c.orgId,
          max_sites: c.maxSites,
          valid_until: c.validUntil,
          grace_days: c.graceDays,
          feature_packs: c.featurePacks,
          environment: c.environment,
          max_offline_days: c.maxOfflineDays,
          org_key_thumbprint: c.orgKeyId,
        };
      });
    case "cml_standing":
      return using((v) => {
        const s = v.cmlStanding(vector.cml, vector.now);
        return { standing: s.standing, days_left: s.daysLeft, usable: s.usable };
      });
    case "manifest_period":
      return using((v) => {
        const p = v.manifestPeriod(vector.cml, vector.period, vector.now);
        return { start: p.start, end: p.end };
      });
    case "verify_receipt":
      return using((v) => {
        const r = v.verifyReceipt(vector.certificate, vector.receipt, vector.org_id, vector.manifest_id, vector.now);
        return {
          id: r.id,
          org_id: r.orgId,
          manifest: r.manifestId,
          period: r.period,
          received_at: r.receivedAt,
          certificate_id: r.certificateId,
          receipt_key_thumbprint: r.receiptKeyId,
          certificate_valid_until: r.certificateValidUntil,
        };
      });
    case "load_root_key":
      return { thumbprint: pkg.keyThumbprint(vector.key) };
    default:
      throw new Error(`unknown operation ${vector.operation}`);
  }
}

/** The documents.json operations of the hub module (`hwf-license-wasm/hub`). */
export const HUB_OPERATIONS = ["verify_manifest", "verify_ledger", "verify_receipt"];

/** Runs one documents.json vector: { ok: result } or { error: { code, name, index? } }, to be
 * equal to its `expect`. `hub` is the package's hub module, for HUB_OPERATIONS (it throws the
 * same LicenseError class as `pkg`). */
export async function runDocument(pkg, file, vector, { mode = "sync", hub = null } = {}) {
  try {
    return { ok: await documentResult(pkg, file, vector, mode, hub) };
  } catch (err) {
    if (!(err instanceof pkg.LicenseError) || !(err instanceof Error)) throw err;
    const error = { code: err.code, name: err.codeName };
    if (err.index !== undefined) error.index = err.index;
    return { error };
  }
}

/** Whether runDocument's result is the vector's `expect` (every member compared). */
export const documentPasses = (vector, got) => same(got, vector.expect);

/**
 * Replays one trust-state scenario (FORMAT.md, "Trust-state scenarios"). Returns the problems
 * found (an empty array when every step behaved as the file says) and how many steps ran.
 */
export async function runScenario(pkg, file, scenario, { mode = "sync" } = {}) {
  const problems = [];
  let clock = scenario.clock;
  let accept = scenario.accept_other_environment;
  let saved = null;
  const roots = rootsOf(file, scenario.roots);
  const seed = fromHex(scenario.nonce_seed);
  const build = () =>
    new pkg.Validator({
      environment: scenario.environment,
      roots,
      acceptOtherEnvironment: accept,
      nonceSeed: seed,
      clock: () => clock,
    });
  let v = build();
  try {
    for (const [i, step] of scenario.steps.entries()) {
      const where = `step ${i} (${step.op})`;
      const check = (what, got, want) => {
        if (!same(got, want)) problems.push(`${where}: ${what} ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      };
      let got = null; // the outcome compared with step.expect
      let whole = false; // a verdict: every member compared, none missing on either side
      const verdictOf = (verdict) => {
        for (const p of verdictShapeProblems(verdict)) problems.push(`${where}: ${p}`);
        return projectVerdict(verdict);
      };
      switch (step.op) {
        case "set_clock":
          clock = step.time;
          break;
        case "validate":
          got = await outcome(pkg, async () => verdictOf(await call(mode, v, "validate", step.license, factsOf(step))));
          whole = true;
          break;
        case "validate_at":
          got = await outcome(pkg, async () => verdictOf(await call(mode, v, "validateAt", step.license, factsOf(step), step.now)));
          whole = true;
          break;
        case "apply_revocation_list":
          got = await outcome(pkg, async () => ({ seq: await call(mode, v, "applyRevocationList", step.license, step.list) }));
          break;
        case "new_nonce":
          got = await outcome(pkg, () => ({ nonce: v.newNonce() }));
          break;
        case "verify_heartbeat":
          got = await outcome(pkg, async () => {
            const h = await call(mode, v, "verifyHeartbeat", step.license, step.answer, step.nonce);
            return { status: h.status, server_time: h.serverTime, revocation_seq: h.revocationSeq, revoked: h.revoked };
          });
          break;
        case "set_accept_other_environment":
          v.acceptOtherEnvironment(step.accept);
          accept = step.accept;
          break;
        case "expect_floor":
          check("clockFloor", v.clockFloor, step.floor);
          break;
        case "expect_state_changed":
          check("stateChanged()", v.stateChanged(), step.changed);
          break;
        case "export_state": {
          const bytes = v.exportState();
          if (!(bytes instanceof Uint8Array)) problems.push(`${where}: exportState() is not a Uint8Array`);
          saved = bytes;
          if (step.state_hex !== undefined) check("state bytes", toHex(bytes), step.state_hex);
          break;
        }
        case "restart":
          v.free();
          v = build();
          if (step.import) {
            if (saved === null) problems.push(`${where}: no saved state to import`);
            else {
              const r = await outcome(pkg, () => v.importState(saved));
              if (r.error) problems.push(`${where}: importing the saved state failed: ${r.error.name}`);
            }
          }
          break;
        case "import_state":
          got = await outcome(pkg, () => {
            v.importState(fromHex(step.state_hex));
            return {};
          });
          break;
        default:
          problems.push(`${where}: unknown op`);
      }
      if (step.expect && got) {
        if (step.expect.error) {
          if (!got.error) problems.push(`${where}: succeeded, expected ${step.expect.error.name}`);
          else check("error code", got.error.code, step.expect.error.code);
        } else if (got.error) {
          problems.push(`${where}: ${got.error.name} (${got.error.code}), expected success`);
        } else if (whole) {
          check("verdict", got.ok, step.expect.ok);
        } else {
          for (const [key, want] of Object.entries(step.expect.ok)) check(key, got.ok[key], want);
        }
      } else if (step.expect) {
        problems.push(`${where}: has an expectation this runner does not check`);
      }
    }
  } finally {
    v.free();
  }
  return { problems, steps: scenario.steps.length };
}

/** Replays every scenario of the file: { name: { problems, steps } }. */
export async function runScenarios(pkg, file, { mode = "sync" } = {}) {
  const out = {};
  for (const scenario of file.scenarios) out[scenario.name] = await runScenario(pkg, file, scenario, { mode });
  return out;
}

/**
 * Runs the Project Wycheproof ECDSA P-256 / SHA-256 / P1363 vectors
 * (testdata/wycheproof/ecdsa_p256_sha256_p1363.json) through the WebCrypto path
 * (`pkg.verifyEs256Async`: the key read by core, a signature not of 64 bytes refused before any
 * backend, then `crypto.subtle.verify` answering the binding's verifier). Returns the counts and
 * the tests whose result differs: every "valid" must verify, every "invalid" be refused.
 */
export async function runWycheproof(pkg, file) {
  const counts = { valid: 0, invalid: 0, acceptable: 0 };
  const wrong = [];
  for (const group of file.groups) {
    const key = fromHex(group.key);
    for (const t of group.tests) {
      const ok = await pkg.verifyEs256Async(key, fromHex(t.msg), fromHex(t.sig));
      counts[t.result] += 1;
      if ((t.result === "valid" && ok !== true) || (t.result === "invalid" && ok !== false)) {
        wrong.push({ tcId: t.tcId, comment: t.comment, result: t.result, got: ok });
      }
    }
  }
  return { counts, wrong };
}
