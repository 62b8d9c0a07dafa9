// Type-checked (not run) by docs.test.mjs: the hub entry (`hwf-license-wasm/hub`, its Node and web
// declarations) has the node module's API plus the Hub-side verifications, with their types.
import initHub, {
  LicenseError,
  Validator,
  type LedgerSummary,
  type Manifest,
  type Receipt,
  type Verdict,
} from "hwf-license-wasm/hub";
import initWeb, { Validator as WebValidator } from "hwf-license-wasm/hub/web";
import { LicenseError as NodeLicenseError } from "hwf-license-wasm";

export async function hubUsage(pem: string, cml: string, entries: string[], certificate: string): Promise<string[]> {
  await initHub();
  await initWeb();
  const validator = new Validator({ environment: "prod", roots: [{ kid: "root-prod-1", environment: "prod", key: pem }] });
  const out: string[] = [];
  const ledger: LedgerSummary = validator.verifyLedger(cml, entries);
  const manifest: Manifest = validator.verifyManifest(cml, entries[0]);
  const receipt: Receipt = validator.verifyReceipt(certificate, entries[1], manifest.orgId, manifest.id);
  const verdict: Verdict = await validator.validateAsync(entries[2]);
  out.push(ledger.head, manifest.period, String(manifest.stats.totalActiveSites), receipt.receiptKeyId, verdict.status);
  const web = new WebValidator({ environment: "prod", roots: [] });
  out.push(web.verifyLedger(cml, entries).head);
  try {
    validator.verifyReceipt(certificate, entries[1], "org", "id", 1_769_817_600);
  } catch (err) {
    // One class for both entries.
    const same: typeof NodeLicenseError = LicenseError;
    if (err instanceof same) out.push(err.codeName);
  }
  // @ts-expect-error: ledger entries are strings
  validator.verifyLedger(cml, [1, 2]);
  // @ts-expect-error: the receipt's orgId is a string
  validator.verifyReceipt(certificate, entries[1], 7, manifest.id);
  return out;
}
