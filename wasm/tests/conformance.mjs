// How a binding runs the conformance files (testdata/vectors/FORMAT.md), in plain JavaScript with
// no Node module, so the same code runs in Node (the tests) and in the browser (the page test
// imports it into examples/web). Every function takes the package module `pkg`
// ({ Validator, LicenseError }) and the parsed JSON file.

/** Node facts of a vector or a scenario step, in the package's camelCase. */
export function factsOf(item) {
  const f = item.facts ?? {};
  return { addresses: f.addresses ?? [], dnsName: f.dns_name ?? null, deploymentTag: f.deployment_tag ?? null };
}

/** The members of a verdict that FORMAT.md compares, in the vectors' snake_case. */
export function projectVerdict(v) {
  return {
    status: v.status,
    site_id: v.siteId,
    org_id: v.orgId,
    license_id: v.licenseId,
    product: v.product,
    tier: v.tier,
    environment: v.environment,
    features: v.features,
    expires_at: v.expiresAt,
    grace_end: v.graceEnd,
    grace_days_left: v.graceDaysLeft,
    warnings: v.warnings.map((w) => w.name),
  };
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
function outcome(pkg, fn) {
  try {
    return { ok: fn() };
  } catch (err) {
    if (!(err instanceof pkg.LicenseError) || !(err instanceof Error)) throw err;
    return { error: { code: err.code, name: err.codeName } };
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/**
 * Replays one trust-state scenario (FORMAT.md, "Trust-state scenarios"). Returns the problems
 * found (an empty array when every step behaved as the file says) and how many steps ran.
 */
export function runScenario(pkg, file, scenario) {
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
    scenario.steps.forEach((step, i) => {
      const where = `step ${i} (${step.op})`;
      const check = (what, got, want) => {
        if (!same(got, want)) problems.push(`${where}: ${what} ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`);
      };
      let got = null; // the outcome compared with step.expect
      switch (step.op) {
        case "set_clock":
          clock = step.time;
          break;
        case "validate":
          got = outcome(pkg, () => projectVerdict(v.validate(step.license, factsOf(step))));
          break;
        case "validate_at":
          got = outcome(pkg, () => projectVerdict(v.validateAt(step.license, factsOf(step), step.now)));
          break;
        case "apply_revocation_list":
          got = outcome(pkg, () => ({ seq: v.applyRevocationList(step.license, step.list) }));
          break;
        case "new_nonce":
          got = outcome(pkg, () => ({ nonce: v.newNonce() }));
          break;
        case "verify_heartbeat":
          got = outcome(pkg, () => {
            const h = v.verifyHeartbeat(step.license, step.answer, step.nonce);
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
              const r = outcome(pkg, () => v.importState(saved));
              if (r.error) problems.push(`${where}: importing the saved state failed: ${r.error.name}`);
            }
          }
          break;
        case "import_state":
          got = outcome(pkg, () => {
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
        } else {
          for (const [key, want] of Object.entries(step.expect.ok)) check(key, got.ok[key], want);
        }
      } else if (step.expect) {
        problems.push(`${where}: has an expectation this runner does not check`);
      }
    });
  } finally {
    v.free();
  }
  return { problems, steps: scenario.steps.length };
}

/** Replays every scenario of the file: { name: { problems, steps } }. */
export function runScenarios(pkg, file) {
  const out = {};
  for (const scenario of file.scenarios) out[scenario.name] = runScenario(pkg, file, scenario);
  return out;
}
