// The error every hwf-license-wasm operation throws. Imported by the Rust side (wasm-bindgen
// copies this file into the package's snippets/ folder) and re-exported by the package entry
// points, so `err instanceof LicenseError` holds for errors thrown by the binding.

/**
 * A license, key or argument error, with the stable numeric `code` and snake_case `codeName`
 * shared by every hwf-license binding. Compare codes, never messages.
 */
export class LicenseError extends Error {
  /**
   * @param {number} code stable numeric code (e.g. 301)
   * @param {string} codeName stable snake_case name (e.g. "expired")
   * @param {string} message one-line English message
   * @param {number} [index] for `ledger_broken`: zero-based index of the first bad entry
   */
  constructor(code, codeName, message, index) {
    super(message);
    this.name = "LicenseError";
    this.code = code;
    this.codeName = codeName;
    if (index !== undefined) {
      this.index = index;
    }
  }
}
