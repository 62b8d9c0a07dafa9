// Declarations of license-error.js. Copied next to it inside the package by
// scripts/build-wasm.sh (snippets/<crate>/js/), hence the relative import.
import type { ErrorCode, ErrorCodeName } from "../../../hwf_license_wasm.js";

/**
 * The error every hwf-license-wasm operation throws: a real `Error` subclass with the stable
 * numeric `code` and snake_case `codeName` shared by every hwf-license binding.
 * Compare codes (`err.code === ErrorCode.Expired`), never messages.
 */
export declare class LicenseError extends Error {
  constructor(code: number, codeName: string, message: string, index?: number);
  /** Always "LicenseError". */
  readonly name: "LicenseError";
  /** Stable numeric code, e.g. 301 (`ErrorCode.Expired`). */
  readonly code: ErrorCode;
  /** Stable snake_case name, e.g. "expired". */
  readonly codeName: ErrorCodeName;
  /** For `ledger_broken` only: the zero-based index of the first bad ledger entry. */
  readonly index?: number;
}
