// Type-checked (not run) by types.test.mjs against the package's Node declarations: the API
// reads as documented, and wrong uses are compile errors (each @ts-expect-error must fire).
import init, {
  ErrorCode,
  LicenseError,
  Validator,
  errorCodeName,
  hasFeature,
  keyThumbprint,
  version,
  type CmlInfo,
  type CmlStanding,
  type ManifestPeriod,
  type ErrorCodeName,
  type NodeFacts,
  type Status,
  type ValidatorOptions,
  type Fingerprint,
  type Verdict,
  type Warning,
} from "hwf-license-wasm";

export async function nodeUsage(pem: string, license: string | Uint8Array, cml: string, entries: string[]): Promise<string[]> {
  await init(); // a no-op in Node, there for code shared with browsers
  const options: ValidatorOptions = {
    environment: "prod",
    roots: [
      { kid: "root-prod-1", environment: "prod", key: pem },
      { kid: "root-prod-2", environment: "prod", key: { kty: "EC", crv: "P-256", x: "…", y: "…" } },
    ],
    acceptOtherEnvironment: false,
    lastSeen: 1_769_817_600,
    clock: () => Date.now() / 1000,
    nonceSeed: new Uint8Array(32),
  };
  using validator = new Validator(options);
  const facts: NodeFacts = { addresses: ["10.0.0.1"], dnsName: null };
  const out: string[] = [];
  try {
    const verdict: Verdict = validator.validate(license, facts);
    const again: Verdict = validator.validateAt(license, undefined, 1_769_817_600);
    const deprecated: Verdict = validator.validate(license, null, 1_769_817_600);
    out.push(deprecated.siteId);
    const status: Status = verdict.status;
    const left: number | null = again.graceDaysLeft;
    const expiry: number = verdict.expiresAt;
    for (const w of verdict.warnings) {
      const warning: Warning = w;
      if (warning.name === "in_grace") out.push(`${warning.graceEnd} ${warning.expiredAt}`);
      else out.push(`${warning.expiresAt}`);
      out.push(`${warning.daysLeft} ${warning.message}`);
    }
    out.push(status, String(left), String(expiry), String(hasFeature(verdict, "analytics")));
    // What a node operator needs beside the effective expiry.
    const ids: string[] = [verdict.cmlId, verdict.cmlLicenseId, verdict.siteDocumentId];
    const times: number[] = [verdict.issuedAt, verdict.siteExpiresAt, verdict.cmlValidUntil];
    const maxSites: number = verdict.maxSites;
    const packs: string[] = verdict.featurePacks;
    const offline: number | null = verdict.maxOfflineDays;
    const fp: Fingerprint = verdict.fingerprint;
    const bound: (string | null)[] = [fp.address, fp.dnsSuffix, fp.deploymentTag];
    out.push(...ids, ...times.map(String), String(maxSites), ...packs, String(offline ?? "none"));
    out.push(...bound.map((b) => b ?? "unbound"));
    // @ts-expect-error: maxOfflineDays may be null
    const days: number = verdict.maxOfflineDays;
    // @ts-expect-error: a fingerprint field may be null
    const suffix: string = verdict.fingerprint.dnsSuffix;
    out.push(String(days), suffix);
    // @ts-expect-error: a status is "valid" or "grace"
    const bad: Status = "expired";
    out.push(bad);
  } catch (err) {
    if (!(err instanceof LicenseError)) throw err;
    const code: ErrorCode = err.code;
    const name: ErrorCodeName = err.codeName;
    if (err.code === ErrorCode.Expired) out.push("expired");
    // @ts-expect-error: codeName is a known code name
    if (err.codeName === "exploded") out.push("never");
    out.push(`${code} ${name} ${err.message} ${err.index ?? ""} ${errorCodeName(code) ?? ""}`);
  }
  const cmlInfo: CmlInfo = validator.verifyCml(cml);
  const seq: number = validator.applyRevocationList(license, entries[0]);
  out.push(cmlInfo.orgKeyId, String(seq), keyThumbprint(cmlInfo.orgKey), version());
  out.push(String(validator.clockFloor), validator.environment);
  const nonce: string = validator.newNonce();
  const beat = validator.verifyHeartbeat(license, entries[0], nonce);
  const beatAt = validator.verifyHeartbeatAt(license, entries[0], nonce, 1_769_817_600);
  const seqAt: number = validator.applyRevocationListAt(license, entries[0], 1_769_817_600);
  out.push(beat.status, String(beatAt.serverTime), String(seqAt));
  const state: Uint8Array = validator.exportState();
  validator.importState(state);
  validator.importState(new TextDecoder().decode(state));
  const changed: boolean = validator.stateChanged();
  validator.acceptOtherEnvironment(true);
  const accepts: boolean = validator.acceptsOtherEnvironment;
  out.push(String(changed), String(accepts));
  const standing: CmlStanding = validator.cmlStanding(cml);
  const period: ManifestPeriod = validator.manifestPeriod(cml, "2026-01", 1_769_817_600);
  out.push(standing.standing, String(standing.daysLeft ?? standing.daysAgo), String(standing.usable));
  out.push(String(period.end - period.start), String(cmlInfo.maxOfflineDays ?? "none"));
  // @ts-expect-error: the state is bytes or their text
  validator.importState(42);
  // @ts-expect-error: the policy is a boolean
  validator.acceptOtherEnvironment("yes");
  // @ts-expect-error: validateAt needs the time
  validator.validateAt(license, facts);
  // @ts-expect-error: the clock returns unix seconds
  new Validator({ environment: "prod", roots: [], clock: () => "now" });
  // @ts-expect-error: the nonce seed is bytes
  new Validator({ environment: "prod", roots: [], nonceSeed: "seed" });
  // @ts-expect-error: a license is text or bytes
  validator.validate(42);
  // @ts-expect-error: facts.addresses is an array of strings
  validator.validate(license, { addresses: "10.0.0.1" });
  // @ts-expect-error: the environment is "prod" or "dev"
  new Validator({ environment: "staging", roots: [] });
  // @ts-expect-error: the Hub-side verifications are in hwf-license-wasm/hub (hub.ts)
  validator.verifyLedger(cml, entries);
  // @ts-expect-error: the Hub-side verifications are in hwf-license-wasm/hub (hub.ts)
  validator.verifyManifest(cml, entries[0]);
  return out;
}
