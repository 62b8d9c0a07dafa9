// Every conformance vector (testdata/vectors/vectors.json and documents.json) through the Node
// build of the package, as FORMAT.md says: validate twice, compare every verdict member or the
// error code. Each validation vector runs with the roots given as PEM and as JWK objects, and
// with the license as text and as bytes.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pkg from "hwf-license-wasm";
import { expected, licenseOf, loadJson, rootsOf, runVector } from "./support.mjs";

const { Validator, LicenseError, keyThumbprint } = pkg;
const vectors = loadJson("vectors.json");
const documents = loadJson("documents.json");

test("the vector files are the formats this runner reads", () => {
  assert.equal(vectors.format, "hwf-license-vectors/1");
  assert.equal(documents.format, "hwf-license-documents/1");
  assert.ok(vectors.vectors.length >= 100, `only ${vectors.vectors.length} vectors`);
});

for (const vector of vectors.vectors) {
  test(`vector ${vector.name}`, () => {
    const want = expected(vector);
    const license = licenseOf(vector);
    const forms = [
      { keyForm: "pem", license },
      { keyForm: "jwk", license },
      // The same bytes, given the other way (text <-> Uint8Array).
      {
        keyForm: "pem",
        license: typeof license === "string" ? new TextEncoder().encode(license) : license,
      },
    ];
    for (const form of forms) {
      const got = runVector(pkg, vectors, vector, form);
      const what = `${form.keyForm} roots, license as ${typeof form.license === "string" ? "text" : "bytes"}`;
      if (want.error?.step === "revocation_list") {
        assert.deepEqual(got, [want], what);
      } else {
        assert.deepEqual(got, [want, want], what);
      }
    }
  });
}

function documentCase(vector) {
  const roots = rootsOf(documents, Object.keys(documents.roots), "pem");
  switch (vector.operation) {
    case "verify_manifest": {
      const v = new Validator({ environment: "prod", roots });
      const m = v.verifyManifest(vector.cml, vector.document);
      return {
        id: m.id,
        org_id: m.orgId,
        period: m.period,
        total_active_sites: m.stats.totalActiveSites,
        sites: m.sites.length,
      };
    }
    case "verify_ledger": {
      const v = new Validator({ environment: "prod", roots });
      const s = v.verifyLedger(vector.cml, vector.entries);
      return { length: s.length, head: s.head };
    }
    case "verify_heartbeat": {
      const v = new Validator({ environment: "prod", roots });
      const h = v.verifyHeartbeatAt(vector.license, vector.answer, vector.nonce, vector.now);
      return {
        status: h.status,
        server_time: h.serverTime,
        revocation_seq: h.revocationSeq,
        revoked: h.revoked,
      };
    }
    case "verify_cml": {
      const v = new Validator({ environment: "prod", roots });
      const c = v.verifyCml(vector.cml);
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
    }
    case "cml_standing": {
      const v = new Validator({ environment: "prod", roots });
      const s = v.cmlStanding(vector.cml, vector.now);
      return { standing: s.standing, days_left: s.daysLeft, usable: s.usable };
    }
    case "manifest_period": {
      const v = new Validator({ environment: "prod", roots });
      const p = v.manifestPeriod(vector.cml, vector.period, vector.now);
      return { start: p.start, end: p.end };
    }
    case "load_root_key":
      return { thumbprint: keyThumbprint(vector.key) };
    default:
      throw new Error(`unknown operation ${vector.operation}`);
  }
}

for (const vector of documents.vectors) {
  test(`document ${vector.name}`, () => {
    let got;
    try {
      got = { ok: documentCase(vector) };
    } catch (err) {
      if (!(err instanceof LicenseError) || !(err instanceof Error)) throw err;
      got = { error: { code: err.code, name: err.codeName } };
      if (err.index !== undefined) got.error.index = err.index;
    }
    assert.deepEqual(got, vector.expect);
  });
}
