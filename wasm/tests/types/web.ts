// Type-checked against the browser build's declarations: init before use.
import init, { initSync, LicenseError, Validator, type Verdict } from "hwf-license-wasm/web";

export async function webUsage(pem: string, file: File): Promise<Verdict | string> {
  await init();
  initSync({ module: new Uint8Array(0) });
  const validator = new Validator({ environment: "dev", roots: [{ kid: "k", environment: "dev", key: pem }] });
  try {
    return validator.validate(new Uint8Array(await file.arrayBuffer()));
  } catch (err) {
    if (err instanceof LicenseError) return `${err.codeName}: ${err.message}`;
    throw err;
  } finally {
    validator.free();
  }
}
