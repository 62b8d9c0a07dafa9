//! TypeScript declarations of the domain types, appended to the generated `.d.ts`: what the
//! binding accepts (options, keys, facts) and the plain objects it returns (built in `output.rs`).

use wasm_bindgen::prelude::*;

/// The `…Async` methods, installed on `Validator.prototype` by `js/async.js` (the package's entry
/// points import it); this interface merges with the generated class.
#[wasm_bindgen(typescript_custom_section)]
const TS_ASYNC: &'static str = r#"
/** The WebCrypto path (`js/async.js`): the same operations, every rule in core, ES256 verified
 * with `crypto.subtle` where it exists (browsers in a secure context, Node >= 20), the sync path
 * otherwise. Rejects with a `LicenseError` where the sync method throws one. */
export interface Validator {
  /** `validate` at the validator's clock (on success the clock floor rises). */
  validateAsync(license: LicenseInput, facts?: NodeFacts | null): Promise<Verdict>;
  /** `validateAt`: a what-if at `now` that writes nothing. */
  validateAtAsync(license: LicenseInput, facts: NodeFacts | null | undefined, now: number): Promise<Verdict>;
  /** `verifyCml`. */
  verifyCmlAsync(cml: string): Promise<CmlInfo>;
  /** `applyRevocationList` at the validator's clock. */
  applyRevocationListAsync(license: LicenseInput, list: string): Promise<number>;
  /** `applyRevocationListAt`. */
  applyRevocationListAtAsync(license: LicenseInput, list: string, now: number): Promise<number>;
  /** `verifyHeartbeat` at the validator's clock. */
  verifyHeartbeatAsync(license: LicenseInput, answer: string, nonce: string): Promise<HeartbeatInfo>;
  /** `verifyHeartbeatAt`. */
  verifyHeartbeatAtAsync(license: LicenseInput, answer: string, nonce: string, now: number): Promise<HeartbeatInfo>;
}
"#;

/** The result types of the Hub-side verifications (`verifyManifest`, `verifyLedger`,
 * `verifyReceipt`): only in the module built with the `hub` feature (`hwf-license-wasm/hub`). */
#[cfg(feature = "hub")]
#[wasm_bindgen(typescript_custom_section)]
const TS_HUB_TYPES: &'static str = r#"
/** A verified usage ledger. */
export interface LedgerSummary {
  /** Number of entries. */
  length: number;
  /** Document id of the last entry (64 zeros when empty). */
  head: string;
}

/** Active sites counted per product and tier. */
export interface ProductTierCount {
  product: string;
  tier: string;
  count: number;
}

/** One site as reported in a manifest. */
export interface ManifestSite {
  siteId: string;
  product: string;
  tier: string;
  issuedAt: number;
  lastSeen: number | null;
  /** "active" or "revoked". */
  status: string;
}

/** A Root's manifest receipt verified with its receipt key certificate (`verifyReceipt`). */
export interface Receipt {
  /** The receipt's document id (hex SHA-256). */
  id: string;
  orgId: string;
  /** The receipted manifest's document id. */
  manifestId: string;
  /** The manifest's month, YYYY-MM. */
  period: string;
  /** When the Root first recorded the manifest, unix seconds. */
  receivedAt: number;
  /** The receipt key certificate's document id. */
  certificateId: string;
  /** RFC 7638 thumbprint of the receipt key (the receipt's kid). */
  receiptKeyId: string;
  /** When the receipt key certificate ends, unix seconds. */
  certificateValidUntil: number;
}

/** A verified monthly usage manifest. */
export interface Manifest {
  /** Document id (hex SHA-256). */
  id: string;
  orgId: string;
  /** The CML it is bound to. */
  cmlId: string;
  /** The month reported, YYYY-MM. */
  period: string;
  generatedAt: number;
  stats: {
    adminUsers: number;
    totalUsers: number;
    sitesByProductTier: ProductTierCount[];
    totalActiveSites: number;
  };
  sites: ManifestSite[];
  /** Document id of the newest ledger entry: compare with `verifyLedger(...).head`. */
  ledgerHead: string;
  ledgerLength: number;
}
"#;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = r#"
/** The environment of a key, a document or a validator. */
export type Environment = "prod" | "dev";

/** A P-256 public key as a JSON Web Key. As a root key, the extras WebCrypto and JOSE tools
 * export are accepted (`alg` "ES256", `use` "sig", `key_ops`, `ext`, `kid`); any other member, a
 * private `d` above all, is `bad_key`. */
export interface Jwk {
  /** "EC". */
  kty: string;
  /** "P-256". */
  crv: string;
  /** x coordinate, 32 bytes, base64url. */
  x: string;
  /** y coordinate, 32 bytes, base64url. */
  y: string;
  alg?: "ES256";
  use?: "sig";
  key_ops?: string[];
  ext?: boolean;
  kid?: string;
}

/** A root public key the validator trusts. */
export interface TrustedRootInit {
  /** The key id that CMLs signed by this key announce. */
  kid: string;
  /** The environment this key signs for. */
  environment: Environment;
  /** SPKI PEM text (`-----BEGIN PUBLIC KEY-----`), JWK JSON text, or a JWK object. */
  key: string | Jwk;
}

/** Options of `new Validator(options)`. */
export interface ValidatorOptions {
  /** The validator's environment. */
  environment: Environment;
  /** The trusted root keys. */
  roots: TrustedRootInit[];
  /** Also accept CMLs of the other environment (explicit opt-in). Default false. */
  acceptOtherEnvironment?: boolean;
  /** Persisted last-seen time (unix seconds): the clock may not go back under it. Prefer
   * `importState`, which restores the revocation lists too. */
  lastSeen?: number | null;
  /** The validator's clock: returns unix seconds (fractions are floored). Read by `validate`,
   * `applyRevocationList` and `verifyHeartbeat`. Default: `Math.floor(Date.now() / 1000)`. */
  clock?: (() => number) | null;
  /** 32 secret random bytes that heartbeat nonces (`newNonce`) are derived from. Default:
   * `crypto.getRandomValues`. A fixed seed makes nonces predictable: for tests only. */
  nonceSeed?: Uint8Array | null;
}

/** What the node observes about itself, checked against the license's fingerprint. */
export interface NodeFacts {
  /** The node's IP addresses (v4 or v6, textual). */
  addresses?: string[];
  /** The node's DNS name. */
  dnsName?: string | null;
  /** The node's deployment tag. */
  deploymentTag?: string | null;
}

/** A `site.lic`: its text, or its bytes (e.g. a picked file's contents or a Node Buffer). */
export type LicenseInput = string | Uint8Array;

/** Whether a usable license is within its validity or on its grace period. */
export type Status = "valid" | "grace";

/** A warning attached to a usable license. */
export type Warning =
  | {
      name: "in_grace";
      /** One-line English message. */
      message: string;
      /** Effective expiry (unix seconds). */
      expiredAt: number;
      /** End of grace (unix seconds). */
      graceEnd: number;
      /** Whole days of grace left, rounded up. */
      daysLeft: number;
    }
  | {
      name: "expires_soon";
      /** One-line English message. */
      message: string;
      /** Effective expiry (unix seconds). */
      expiresAt: number;
      /** Whole days left, rounded up. */
      daysLeft: number;
    };

/** What a site license binds the node to; `null` for a field it does not bind. */
export interface Fingerprint {
  /** IP address or CIDR network (v4 or v6) the node must have an address in. */
  address: string | null;
  /** DNS suffix the node's name must be within. */
  dnsSuffix: string | null;
  /** Deployment tag the node must carry exactly. */
  deploymentTag: string | null;
}

/** What a usable license allows, and what a node operator needs to know about it. Times are
 * unix seconds. */
export interface Verdict {
  status: Status;
  siteId: string;
  orgId: string;
  /** The site license id. */
  licenseId: string;
  /** The CML's license id. */
  cmlLicenseId: string;
  /** The CML's document id (hex SHA-256). */
  cmlId: string;
  /** The site license's document id (hex SHA-256 of its signing input). */
  siteDocumentId: string;
  environment: Environment;
  product: string;
  tier: string;
  /** Enabled features, in license order. */
  features: string[];
  /** When the site license was issued. */
  issuedAt: number;
  /** Effective expiry: the earlier of the site license's and the CML's. */
  expiresAt: number;
  /** The site license's own expiry. */
  siteExpiresAt: number;
  /** The CML's valid_until. */
  cmlValidUntil: number;
  /** The CML's max_sites (enforced by the Hub; shown to the operator). */
  maxSites: number;
  /** The CML's feature packs (what the org may grant), in CML order. */
  featurePacks: string[];
  /** The CML's max_offline_days (CML format 2), else null. */
  maxOfflineDays: number | null;
  /** What the site license binds the node to. */
  fingerprint: Fingerprint;
  /** End of the grace period. */
  graceEnd: number;
  /** Whole days of grace left (rounded up) when in grace, else null. */
  graceDaysLeft: number | null;
  warnings: Warning[];
}

/** A verified Customer Master License. */
export interface CmlInfo {
  /** Document id (hex SHA-256): what site licenses, manifests and ledger entries bind to. */
  id: string;
  licenseId: string;
  orgId: string;
  environment: Environment;
  /** The kid of the root key that signed it. */
  issuedBy: string;
  maxSites: number;
  issuedAt: number;
  validUntil: number;
  graceDays: number;
  featurePacks: string[];
  /** Most days a node may run without a signed time from its Hub (CML format 2), else null. */
  maxOfflineDays: number | null;
  /** The org public key. */
  orgKey: Jwk;
  /** Its RFC 7638 thumbprint: the kid of every org-signed document. */
  orgKeyId: string;
}

/** Where a CML stands at a time (`Validator.cmlStanding`). */
export interface CmlStanding {
  /** "valid" (more than 30 days left), "expiring", "grace" or "expired". */
  standing: "valid" | "expiring" | "grace" | "expired";
  /** Whole days left (rounded up) until valid_until, or until the end of grace in grace; null
   * when expired. */
  daysLeft: number | null;
  /** Whole days since the end of grace when expired, else null. */
  daysAgo: number | null;
  /** Whether its site licenses still work (not expired). */
  usable: boolean;
}

/** The bounds of a month a usage manifest covers, unix seconds, `end` excluded. */
export interface ManifestPeriod {
  start: number;
  end: number;
}

/** A verified heartbeat answer (its revocation list is applied). */
export interface HeartbeatInfo {
  /** The site's status at the Hub. */
  status: string;
  /** The Hub's clock (unix seconds). */
  serverTime: number;
  /** Sequence number of the revocation list now applied. */
  revocationSeq: number;
  /** Whether this site license is revoked by that list. */
  revoked: boolean;
}

/** The stable snake_case name of an error code (`LicenseError.codeName`). */
export type ErrorCodeName =
  | "malformed" | "too_large" | "bad_encoding" | "bad_jws" | "unsupported_algorithm"
  | "wrong_document_type" | "unknown_key_id" | "bad_payload" | "unsupported_version" | "bad_key"
  | "invalid_argument" | "bad_state" | "bad_signature" | "environment_mismatch" | "parent_mismatch"
  | "org_mismatch" | "feature_not_in_cml" | "signer_mismatch" | "not_yet_valid" | "expired"
  | "clock_rollback" | "offline_too_long" | "address_mismatch" | "dns_mismatch" | "deployment_tag_mismatch"
  | "revoked" | "revocation_list_stale" | "binding_mismatch" | "nonce_mismatch"
  | "ledger_broken" | "manifest_invalid" | "null_parameter" | "invalid_utf8" | "panic";
"#;
