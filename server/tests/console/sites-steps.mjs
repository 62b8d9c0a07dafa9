// The scenario's Sites steps (placeholder until the Sites pages land: it drives the API with
// the session's token so the rest of the scenario runs; replaced by the pages' own steps).
import { api, check } from "./harness.mjs";

export async function sitesSteps(b, server) {
  const token = (await b.context.cookies()).find((c) => c.name === "hwf_session").value;
  let license, licenseId;
  for (let i = 1; i <= 3; i++) {
    const r = await api(server, "POST", "/api/sites/create", token, {
      site_id: `plant-${i}`, features: ["analytics"],
      fingerprint: i === 1 ? { deployment_tag: "plant-1-tag" } : undefined,
    });
    check(r.status === 201, `create: ${JSON.stringify(r.body)}`);
    if (i === 1) {
      license = r.body.license;
      licenseId = r.body.site.license_id;
    }
  }
  const rv = await api(server, "DELETE", "/api/sites/plant-3", token);
  check(rv.status === 200, `revoke: ${JSON.stringify(rv.body)}`);
  return {
    active: 2, revoked: 1, fingerprinted: "plant-1", fingerprintTag: "plant-1-tag",
    heartbeatSite: "plant-1", license, licenseId, facts: { deployment_tag: "plant-1-tag" },
  };
}
