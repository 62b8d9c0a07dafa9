/* @ts-self-types="./hwf_license_wasm.d.ts" */
import { clockForget, clockFunction, clockRegister, clockSetFailure, clockTakeFailure } from './clock-registry.js';
import { LicenseError } from './license-error.js';


/**
 * Stable numeric error codes, shared by every hwf-license binding and the conformance vectors.
 * `LicenseError.code` is one of these numbers; `LicenseError.codeName` is its snake_case name.
 * @enum {100 | 101 | 102 | 103 | 104 | 105 | 106 | 107 | 108 | 109 | 110 | 111 | 200 | 201 | 202 | 203 | 204 | 205 | 300 | 301 | 302 | 303 | 400 | 401 | 402 | 403 | 404 | 405 | 406 | 500 | 501 | 900 | 901 | 902}
 */
export const ErrorCode = Object.freeze({
    /**
     * The input is not a well-formed site.lic file (not JSON, wrong shape, missing member).
     */
    Malformed: 100, "100": "Malformed",
    /**
     * The input is larger than allowed.
     */
    TooLarge: 101, "101": "TooLarge",
    /**
     * A base64url segment is not canonical unpadded base64url.
     */
    BadEncoding: 102, "102": "BadEncoding",
    /**
     * A JWS is not three segments, or its protected header is not the exact ES256 header.
     */
    BadJws: 103, "103": "BadJws",
    /**
     * The JWS `alg` is anything but `ES256`.
     */
    UnsupportedAlgorithm: 104, "104": "UnsupportedAlgorithm",
    /**
     * The document is not of the kind expected here.
     */
    WrongDocumentType: 105, "105": "WrongDocumentType",
    /**
     * No trusted key has the JWS `kid`.
     */
    UnknownKeyId: 106, "106": "UnknownKeyId",
    /**
     * A signed payload breaks the schema.
     */
    BadPayload: 107, "107": "BadPayload",
    /**
     * The signed payload's format version is not supported.
     */
    UnsupportedVersion: 108, "108": "UnsupportedVersion",
    /**
     * A key (JWK or PEM) cannot be parsed or is not a P-256 public key.
     */
    BadKey: 109, "109": "BadKey",
    /**
     * An argument is invalid (wrong type, or e.g. `now` outside 1970..=9999).
     */
    InvalidArgument: 110, "110": "InvalidArgument",
    /**
     * Trust state bytes given to `importState` are corrupt, truncated, of an unknown version,
     * forged or of another validator; the validator is left as it was.
     */
    BadState: 111, "111": "BadState",
    /**
     * A signature does not verify.
     */
    BadSignature: 200, "200": "BadSignature",
    /**
     * A dev document where prod is expected, or the reverse.
     */
    EnvironmentMismatch: 201, "201": "EnvironmentMismatch",
    /**
     * The site license is bound to another CML.
     */
    ParentMismatch: 202, "202": "ParentMismatch",
    /**
     * The org id of a document differs from the CML's.
     */
    OrgMismatch: 203, "203": "OrgMismatch",
    /**
     * The site license lists a feature that is not among the CML's feature packs.
     */
    FeatureNotInCml: 204, "204": "FeatureNotInCml",
    /**
     * The document was not signed by the CML's org key.
     */
    SignerMismatch: 205, "205": "SignerMismatch",
    /**
     * Issued in the future (beyond the tolerated skew).
     */
    NotYetValid: 300, "300": "NotYetValid",
    /**
     * Past the effective expiry plus the grace period.
     */
    Expired: 301, "301": "Expired",
    /**
     * The clock is earlier than a time the validator already trusts.
     */
    ClockRollback: 302, "302": "ClockRollback",
    /**
     * The CML limits how long a node may run without news from its Hub (`max_offline_days`),
     * and the newest signed time from the Hub is older than that.
     */
    OfflineTooLong: 303, "303": "OfflineTooLong",
    /**
     * The node's addresses are outside the licensed address or network.
     */
    AddressMismatch: 400, "400": "AddressMismatch",
    /**
     * The node's DNS name is not within the licensed DNS suffix.
     */
    DnsMismatch: 401, "401": "DnsMismatch",
    /**
     * The node's deployment tag differs from the licensed one.
     */
    DeploymentTagMismatch: 402, "402": "DeploymentTagMismatch",
    /**
     * The site license is on the org's revocation list.
     */
    Revoked: 403, "403": "Revoked",
    /**
     * A revocation list older than the one already applied.
     */
    RevocationListStale: 404, "404": "RevocationListStale",
    /**
     * A revocation list or heartbeat for another CML, org or site.
     */
    BindingMismatch: 405, "405": "BindingMismatch",
    /**
     * A heartbeat answer does not carry the nonce that was sent.
     */
    NonceMismatch: 406, "406": "NonceMismatch",
    /**
     * A ledger entry does not chain to its predecessor.
     */
    LedgerBroken: 500, "500": "LedgerBroken",
    /**
     * A usage manifest is inconsistent.
     */
    ManifestInvalid: 501, "501": "ManifestInvalid",
    /**
     * A required argument is `null` or `undefined`.
     */
    NullParameter: 900, "900": "NullParameter",
    /**
     * A string argument was not valid UTF-8 (not raised by this binding).
     */
    InvalidUtf8: 901, "901": "InvalidUtf8",
    /**
     * A bug was caught at the boundary (not raised by this binding: a panic aborts the module).
     */
    Panic: 902, "902": "Panic",
});

/**
 * Validates `site.lic` files offline against trusted root keys, and verifies the documents an
 * org signs: usage manifests, ledgers, revocation lists and heartbeat answers.
 *
 * Holds a cache of verified documents (by exact text) and the trust state: the clock floor,
 * the revocation lists applied and the newest heartbeat answers. Reuse one validator; persist
 * its state with `exportState()` and give it back with `importState()` after a restart.
 * Every method throws a `LicenseError` on failure.
 *
 * ```js
 * const v = new Validator({ environment: "prod", roots: [{ kid: "root-1", environment: "prod", key: pem }] });
 * const verdict = v.validate(siteLic); // at the clock: Math.floor(Date.now() / 1000)
 * ```
 */
export class Validator {
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        ValidatorFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg_validator_free(ptr, 0);
    }
    /**
     * Phase 1 of `validateAsync` (`op` 0: `a` license, `b` facts, `c` now, undefined for the
     * clock) or `verifyCmlAsync` (`op` 1: `a` the CML), `js/async.js`: the result when no
     * signature check is needed (a cached chain), else an array of a `__Pending` (for
     * `__prepare` and `__finish`) and its checks (core's two-phase validation,
     * `hwf_license::pending`; each check as `webcrypto::begun` writes it).
     * @param {number} op
     * @param {any} a
     * @param {any} b
     * @param {any} c
     * @returns {any}
     */
    __begin(op, a, b, c) {
        const ret = wasm.validator___begin(this.__wbg_ptr, op, a, b, c);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Phase 2: `pending` (consumed) completed with WebCrypto's `answers` (each key | digest |
     * signature | 1 or 0); a check without an answer is refused (`invalid_argument`).
     * @param {__Pending} pending
     * @param {Uint8Array | number[]} answers
     * @returns {any}
     */
    __finish(pending, answers) {
        let ptr0, ptr1, len1;
        try {
            _assertClass(pending, __Pending);
            ptr0 = pending.__destroy_into_raw();
            ptr1 = passArray8ToWasm0(answers, wasm.__wbindgen_malloc);
            len1 = WASM_VECTOR_LEN;
        } catch (e) {
            if (ptr1) { wasm.__wbindgen_free(ptr1, len1 * 1, 1); }
            if (ptr0) wasm.__wbg___pending_free(ptr0, 1);
            throw e;
        }
        const ret = wasm.validator___finish(this.__wbg_ptr, ptr0, ptr1, len1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Between the phases, while WebCrypto verifies (`js/async.js`): the part of phase 1 that
     * the checks do not need (core's `Validator::prepare`); optional, `__finish` does it
     * otherwise.
     * @param {__Pending} pending
     */
    __prepare(pending) {
        _assertClass(pending, __Pending);
        wasm.validator___prepare(this.__wbg_ptr, pending.__wbg_ptr);
    }
    /**
     * One round of an `…Async` method without two phases (`js/async.js`): the result, or an
     * array of the checks to verify with WebCrypto. `op`: 2 `applyRevocationList(a license,
     * b list, c now)`, 3 `verifyHeartbeat(a license, b answer, c nonce, d now)`, 4 one ES256
     * check `(a key, b message, c digest, d signature)`; `now` undefined is the validator's
     * clock. One export for all: each costs the module ~0.7 KB.
     * @param {number} op
     * @param {any} a
     * @param {any} b
     * @param {any} c
     * @param {any} d
     * @param {Uint8Array | number[]} answers
     * @returns {any}
     */
    __round(op, a, b, c, d, answers) {
        const val2 = +op;
        const ptr0 = passArray8ToWasm0(answers, wasm.__wbindgen_malloc);
        const len0 = WASM_VECTOR_LEN;
        const ret = wasm.validator___round(this.__wbg_ptr, val2, a, b, c, d, ptr0, len0);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Also accept (`true`) or stop accepting (`false`) CMLs of the other environment. Takes
     * effect on the next call, for cached chains too.
     * @param {boolean} accept
     */
    acceptOtherEnvironment(accept) {
        const ret = wasm.validator_acceptOtherEnvironment(this.__wbg_ptr, accept);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Whether CMLs of the other environment are accepted (see `acceptOtherEnvironment`).
     * @returns {boolean}
     */
    get acceptsOtherEnvironment() {
        const ret = wasm.validator_acceptsOtherEnvironment(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * `applyRevocationList` with `now` (unix seconds) for the "not issued in the future" check.
     * The list is applied all the same (a list only ever restricts).
     * @param {LicenseInput} license
     * @param {string} list
     * @param {number} now
     * @returns {number}
     */
    applyRevocationListAt(license, list, now) {
        const ret = wasm.validator_applyRevocationListAt(this.__wbg_ptr, license, list, now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0];
    }
    /**
     * Verifies a revocation list (compact JWS) against the license's CML and applies it to this
     * validator, checking it was not issued after the clock; later validations of a listed
     * license throw `revoked`. Returns the list's sequence number. The list is kept in the
     * trust state, so it survives `exportState()` / `importState()`.
     *
     * `now` is deprecated: given, the call is `applyRevocationListAt(license, list, now)`.
     *
     * @throws {LicenseError} e.g. `revocation_list_stale` for an older list than one applied.
     * @param {LicenseInput} license
     * @param {string} list
     * @param {number | null} [now]
     * @returns {number}
     */
    applyRevocationList(license, list, now) {
        const ret = wasm.validator_applyRevocationList(this.__wbg_ptr, license, list, !isLikeNone(now), isLikeNone(now) ? 0 : now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return ret[0];
    }
    /**
     * The time the clock may not go under (unix seconds, less a small skew): the highest
     * validation time by the clock, signed time accepted and last-seen time given so far.
     * @returns {number}
     */
    get clockFloor() {
        const ret = wasm.validator_clockFloor(this.__wbg_ptr);
        return ret;
    }
    /**
     * Where a CML (compact JWS, verified against the trusted roots) stands at `now` (default:
     * the validator's clock, read without changing anything): `valid` (more than 30 days
     * left), `expiring`, `grace` (its site licenses still work) or `expired`. Core's rule, for
     * consoles that show a CML's life.
     * @param {string} cml
     * @param {number | null} [now]
     * @returns {CmlStanding}
     */
    cmlStanding(cml, now) {
        const ret = wasm.validator_cmlStanding(this.__wbg_ptr, cml, !isLikeNone(now), isLikeNone(now) ? 0 : now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * The validator's environment.
     * @returns {Environment}
     */
    get environment() {
        let deferred1_0;
        let deferred1_1;
        try {
            const ret = wasm.validator_environment(this.__wbg_ptr);
            deferred1_0 = ret[0];
            deferred1_1 = ret[1];
            return getStringFromWasm0(ret[0], ret[1]);
        } finally {
            wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
        }
    }
    /**
     * The trust state as bytes (ASCII text, `docs/FORMAT.md` §7): the clock floor, and the
     * signed revocation lists and heartbeat answers with their CMLs. Store them and give them
     * to `importState()` after a restart. Clears `stateChanged()`.
     * @returns {Uint8Array}
     */
    exportState() {
        const ret = wasm.validator_exportState(this.__wbg_ptr);
        var v1 = getArrayU8FromWasm0(ret[0], ret[1]).slice();
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
        return v1;
    }
    /**
     * Merges saved trust state (a `Uint8Array` from `exportState()`, or its text) into this
     * validator: the floor only rises, a revocation list only replaces an older one, and every
     * signature in it is verified again under this validator's roots.
     *
     * @throws {LicenseError} `bad_state` for corrupt, truncated, foreign or forged bytes (or
     * `too_large`); the validator is then left exactly as it was.
     * @param {Uint8Array | string} bytes
     */
    importState(bytes) {
        const ret = wasm.validator_importState(this.__wbg_ptr, bytes);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Whether a usage manifest may cover `period` (`YYYY-MM`) under `cml` (compact JWS,
     * verified against the trusted roots) at `now` (default: the validator's clock): the month
     * has started, did not end before the CML was issued and does not start after its grace
     * ended. Returns the month's bounds `{ start, end }` (unix seconds, end excluded).
     *
     * @throws {LicenseError} `manifest_invalid` for a period the CML cannot cover.
     * @param {string} cml
     * @param {string} period
     * @param {number | null} [now]
     * @returns {ManifestPeriod}
     */
    manifestPeriod(cml, period, now) {
        const ret = wasm.validator_manifestPeriod(this.__wbg_ptr, cml, period, !isLikeNone(now), isLikeNone(now) ? 0 : now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * A fresh nonce to send with a heartbeat request. An answer carrying it may also lower the
     * clock floor (a clock that was wrong ahead can be corrected by the Hub); each nonce is
     * accepted once.
     *
     * @throws {LicenseError} `invalid_argument` when the validator has no nonce seed (no
     * `options.nonceSeed` and no `crypto.getRandomValues`).
     * @returns {string}
     */
    newNonce() {
        let deferred2_0;
        let deferred2_1;
        try {
            const ret = wasm.validator_newNonce(this.__wbg_ptr);
            var ptr1 = ret[0];
            var len1 = ret[1];
            if (ret[3]) {
                ptr1 = 0; len1 = 0;
                throw takeFromExternrefTable0(ret[2]);
            }
            deferred2_0 = ptr1;
            deferred2_1 = len1;
            return getStringFromWasm0(ptr1, len1);
        } finally {
            wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
        }
    }
    /**
     * A validator for `options.environment` trusting `options.roots`. Its clock is
     * `options.clock` (a function returning unix seconds; fractions are floored), by default
     * `Math.floor(Date.now() / 1000)`. Its heartbeat nonces come from `options.nonceSeed`
     * (32 bytes), by default from `crypto.getRandomValues`.
     *
     * @throws {LicenseError} `bad_key` for a key that is not a P-256 public key,
     * `invalid_argument` for a malformed option or two roots with the same kid.
     * @param {ValidatorOptions} options
     */
    constructor(options) {
        const ret = wasm.validator_new(options);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        this.__wbg_ptr = ret[0];
        ValidatorFinalization.register(this, this.__wbg_ptr, this);
        return this;
    }
    /**
     * Raises the clock floor to a persisted last-seen time (unix seconds); never lowers it.
     * `exportState()` / `importState()` keep more (the revocation lists too): prefer them.
     * @param {number} seconds
     */
    setLastSeen(seconds) {
        const ret = wasm.validator_setLastSeen(this.__wbg_ptr, seconds);
        if (ret[1]) {
            throw takeFromExternrefTable0(ret[0]);
        }
    }
    /**
     * Whether the trust state changed since the last `exportState()` (or since construction):
     * save only when it did.
     * @returns {boolean}
     */
    stateChanged() {
        const ret = wasm.validator_stateChanged(this.__wbg_ptr);
        return ret !== 0;
    }
    /**
     * What-if: validates a `site.lic` as if the time were `now` (unix seconds). Every rule is
     * checked, the trust state included (a `now` under the clock floor is `clock_rollback`),
     * but nothing is written: the clock floor does not move.
     * @param {LicenseInput} license
     * @param {NodeFacts | null | undefined} facts
     * @param {number} now
     * @returns {Verdict}
     */
    validateAt(license, facts, now) {
        const ret = wasm.validator_validateAt(this.__wbg_ptr, license, isLikeNone(facts) ? 0 : addToExternrefTable0(facts), now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Validates a `site.lic` (text or bytes) for a node with `facts` at the validator's clock;
     * on success the clock floor rises to that time (persist it with `exportState()`).
     *
     * `now` is deprecated: given, the call is `validateAt(license, facts, now)`, a what-if that
     * changes nothing.
     *
     * @throws {LicenseError} when the license is not usable: bad signature, expired past grace,
     * revoked, fingerprint mismatch, clock rollback, offline too long, ... (`code` says which).
     * @param {LicenseInput} license
     * @param {NodeFacts | null} [facts]
     * @param {number | null} [now]
     * @returns {Verdict}
     */
    validate(license, facts, now) {
        const val1 = +(isLikeNone(now) ? 0 : now);
        const ret = wasm.validator_validate(this.__wbg_ptr, license, isLikeNone(facts) ? 0 : addToExternrefTable0(facts), !isLikeNone(now), val1);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Verifies a CML (compact JWS) against the trusted roots and the environment policy.
     * @param {string} cml
     * @returns {CmlInfo}
     */
    verifyCml(cml) {
        const ret = wasm.validator_verifyCml(this.__wbg_ptr, cml);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * `verifyHeartbeat` with `now` (unix seconds) for the "not issued in the future" check of
     * the embedded revocation list. The answer is applied as by `verifyHeartbeat`.
     * @param {LicenseInput} license
     * @param {string} answer
     * @param {string} nonce
     * @param {number} now
     * @returns {HeartbeatInfo}
     */
    verifyHeartbeatAt(license, answer, nonce, now) {
        const ret = wasm.validator_verifyHeartbeatAt(this.__wbg_ptr, license, answer, nonce, now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
    /**
     * Verifies a heartbeat answer for this license (org key, CML, site, the `nonce` the node
     * sent), applies the revocation list it carries and records the Hub's time: the clock floor
     * rises to it; for a nonce from `newNonce()` (accepted once) it may also come down to it.
     *
     * `now` is deprecated: given, the call is `verifyHeartbeatAt(license, answer, nonce, now)`.
     *
     * @throws {LicenseError} e.g. `nonce_mismatch` for another nonce or one already answered.
     * @param {LicenseInput} license
     * @param {string} answer
     * @param {string} nonce
     * @param {number | null} [now]
     * @returns {HeartbeatInfo}
     */
    verifyHeartbeat(license, answer, nonce, now) {
        const ret = wasm.validator_verifyHeartbeat(this.__wbg_ptr, license, answer, nonce, !isLikeNone(now), isLikeNone(now) ? 0 : now);
        if (ret[2]) {
            throw takeFromExternrefTable0(ret[1]);
        }
        return takeFromExternrefTable0(ret[0]);
    }
}
if (Symbol.dispose) Validator.prototype[Symbol.dispose] = Validator.prototype.free;

/**
 * A validation waiting for WebCrypto (core's `Pending`); consumed by `__finish`.
 */
export class __Pending {
    static __wrap(ptr) {
        const obj = Object.create(__Pending.prototype);
        obj.__wbg_ptr = ptr;
        __PendingFinalization.register(obj, obj.__wbg_ptr, obj);
        return obj;
    }
    __destroy_into_raw() {
        const ptr = this.__wbg_ptr;
        this.__wbg_ptr = 0;
        __PendingFinalization.unregister(this);
        return ptr;
    }
    free() {
        const ptr = this.__destroy_into_raw();
        wasm.__wbg___pending_free(ptr, 0);
    }
}
if (Symbol.dispose) __Pending.prototype[Symbol.dispose] = __Pending.prototype.free;

/**
 * The stable snake_case name of a numeric error code (e.g. `301` → `"expired"`), or `undefined`
 * for a number that is not a code.
 * @param {number} code
 * @returns {string | undefined}
 */
export function errorCodeName(code) {
    const ret = wasm.errorCodeName(code);
    let v1;
    if (ret[0] !== 0) {
        v1 = getStringFromWasm0(ret[0], ret[1]);
        wasm.__wbindgen_free(ret[0], ret[1] * 1, 1);
    }
    return v1;
}

/**
 * Whether `verdict` enables `feature` (core's `has_feature` rule: exact, case-sensitive).
 * @param {Verdict} verdict
 * @param {string} feature
 * @returns {boolean}
 */
export function hasFeature(verdict, feature) {
    const ret = wasm.hasFeature(verdict, feature);
    if (ret[2]) {
        throw takeFromExternrefTable0(ret[1]);
    }
    return ret[0] !== 0;
}

/**
 * The RFC 7638 thumbprint (SHA-256, base64url) of a P-256 public key given as SPKI PEM, JWK JSON
 * text or a JWK object: the `kid` of documents an org key signs. Checks the key as
 * `new Validator` does.
 *
 * @throws {LicenseError} `bad_key` for anything but a P-256 public key.
 * @param {string | Jwk} key
 * @returns {string}
 */
export function keyThumbprint(key) {
    let deferred2_0;
    let deferred2_1;
    try {
        const ret = wasm.keyThumbprint(key);
        var ptr1 = ret[0];
        var len1 = ret[1];
        if (ret[3]) {
            ptr1 = 0; len1 = 0;
            throw takeFromExternrefTable0(ret[2]);
        }
        deferred2_0 = ptr1;
        deferred2_1 = len1;
        return getStringFromWasm0(ptr1, len1);
    } finally {
        wasm.__wbindgen_free(deferred2_0, deferred2_1, 1);
    }
}

/**
 * The version of the hwf-license core this package wraps.
 * @returns {string}
 */
export function version() {
    let deferred1_0;
    let deferred1_1;
    try {
        const ret = wasm.version();
        deferred1_0 = ret[0];
        deferred1_1 = ret[1];
        return getStringFromWasm0(ret[0], ret[1]);
    } finally {
        wasm.__wbindgen_free(deferred1_0, deferred1_1, 1);
    }
}
function __wbg_get_imports() {
    const import0 = {
        __proto__: null,
        __wbg___pending_new: function(arg0) {
            const ret = __Pending.__wrap(arg0);
            return ret;
        },
        __wbg___wbindgen_boolean_get_4f1baf9a00be3c74: function(arg0) {
            const v = arg0;
            const ret = typeof(v) === 'boolean' ? v : undefined;
            return isLikeNone(ret) ? 0xFFFFFF : ret ? 1 : 0;
        },
        __wbg___wbindgen_is_function_741ff2bb612836f5: function(arg0) {
            const ret = typeof(arg0) === 'function';
            return ret;
        },
        __wbg___wbindgen_is_null_c22311b1cc228e3a: function(arg0) {
            const ret = arg0 === null;
            return ret;
        },
        __wbg___wbindgen_is_object_8b968c3ab8e96595: function(arg0) {
            const val = arg0;
            const ret = typeof(val) === 'object' && val !== null;
            return ret;
        },
        __wbg___wbindgen_is_undefined_be5b34249ff1fc15: function(arg0) {
            const ret = arg0 === undefined;
            return ret;
        },
        __wbg___wbindgen_number_get_934b640d0889af78: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'number' ? obj : undefined;
            getDataViewMemory0().setFloat64((arg0 >>> 0) + 8 * 1, isLikeNone(ret) ? 0 : ret, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, !isLikeNone(ret), true);
        },
        __wbg___wbindgen_string_get_7ce8eee7fd327545: function(arg0, arg1) {
            const obj = arg1;
            const ret = typeof(obj) === 'string' ? obj : undefined;
            var ptr1 = isLikeNone(ret) ? 0 : passStringToWasm0(ret, wasm.__wbindgen_malloc, wasm.__wbindgen_realloc);
            var len1 = WASM_VECTOR_LEN;
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 1, len1, true);
            getDataViewMemory0().setInt32((arg0 >>> 0) + 4 * 0, ptr1, true);
        },
        __wbg___wbindgen_throw_4c88d8bf264fd984: function(arg0, arg1) {
            throw new Error(getStringFromWasm0(arg0, arg1));
        },
        __wbg_call_40b008ba32f73991: function() { return handleError(function (arg0, arg1) {
            const ret = arg0.call(arg1);
            return ret;
        }, arguments); },
        __wbg_call_a410eb4b59ed5965: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = arg0.call(arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_clockForget_edbbd98a4f0db6f9: function(arg0) {
            clockForget(arg0 >>> 0);
        },
        __wbg_clockFunction_e52185d61e344964: function(arg0) {
            const ret = clockFunction(arg0 >>> 0);
            return ret;
        },
        __wbg_clockRegister_d488321c2df6e746: function(arg0, arg1) {
            clockRegister(arg0 >>> 0, arg1);
        },
        __wbg_clockSetFailure_2e324b760f319734: function(arg0, arg1) {
            clockSetFailure(arg0 >>> 0, arg1);
        },
        __wbg_clockTakeFailure_6b59fbc121e8c473: function(arg0) {
            const ret = clockTakeFailure(arg0 >>> 0);
            return ret;
        },
        __wbg_from_eac91875c8a5ffa4: function(arg0) {
            const ret = Array.from(arg0);
            return ret;
        },
        __wbg_get_2080c49015e35254: function() { return handleError(function (arg0, arg1) {
            const ret = Reflect.get(arg0, arg1);
            return ret;
        }, arguments); },
        __wbg_get_unchecked_e6325ad374eff861: function(arg0, arg1) {
            const ret = arg0[arg1 >>> 0];
            return ret;
        },
        __wbg_instanceof_Error_74e3cca0c4a69161: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Error;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_instanceof_Uint8Array_d7aeb0dcb3108fea: function(arg0) {
            let result;
            try {
                result = arg0 instanceof Uint8Array;
            } catch (_) {
                result = false;
            }
            const ret = result;
            return ret;
        },
        __wbg_isArray_bcf1376d0d732d08: function(arg0) {
            const ret = Array.isArray(arg0);
            return ret;
        },
        __wbg_length_186163212ffe79c3: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_length_b03a0fabb109b1e9: function(arg0) {
            const ret = arg0.length;
            return ret;
        },
        __wbg_message_43d8c8f1d543a349: function(arg0) {
            const ret = arg0.message;
            return ret;
        },
        __wbg_new_28cc164d286a626f: function(arg0, arg1, arg2, arg3, arg4, arg5, arg6) {
            const ret = new LicenseError(arg0 >>> 0, getStringFromWasm0(arg1, arg2), getStringFromWasm0(arg3, arg4), arg5 === 0 ? undefined : arg6);
            return ret;
        },
        __wbg_new_37eb45aaf5eeb820: function() {
            const ret = new Array();
            return ret;
        },
        __wbg_new_cd4348290afae586: function() {
            const ret = new Object();
            return ret;
        },
        __wbg_new_from_slice_b8daf545a41c6aa0: function(arg0, arg1) {
            const ret = new Uint8Array(getArrayU8FromWasm0(arg0, arg1));
            return ret;
        },
        __wbg_new_with_length_01b143a7e5dd5a3e: function(arg0) {
            const ret = new Uint8Array(arg0 >>> 0);
            return ret;
        },
        __wbg_now_463ac581d2fc7ea3: function() {
            const ret = Date.now();
            return ret;
        },
        __wbg_parse_c3f72b5a24f83c01: function() { return handleError(function (arg0, arg1) {
            const ret = JSON.parse(getStringFromWasm0(arg0, arg1));
            return ret;
        }, arguments); },
        __wbg_prototypesetcall_13162965d1fe7aa3: function(arg0, arg1, arg2) {
            Uint8Array.prototype.set.call(getArrayU8FromWasm0(arg0, arg1), arg2);
        },
        __wbg_push_c9f4893fc209f768: function(arg0, arg1) {
            const ret = arg0.push(arg1);
            return ret;
        },
        __wbg_set_2793479888329cb6: function() { return handleError(function (arg0, arg1, arg2) {
            const ret = Reflect.set(arg0, arg1, arg2);
            return ret;
        }, arguments); },
        __wbg_static_accessor_GLOBAL_THIS_003ee833af9699fc: function() {
            const ret = typeof globalThis === 'undefined' ? undefined : globalThis;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_GLOBAL_e4293fb22cbe77da: function() {
            const ret = typeof global === 'undefined' ? undefined : global;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_SELF_53bb20457401453d: function() {
            const ret = typeof self === 'undefined' ? undefined : self;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_static_accessor_WINDOW_b5e0810bfecb7feb: function() {
            const ret = typeof window === 'undefined' ? undefined : window;
            return isLikeNone(ret) ? 0 : addToExternrefTable0(ret);
        },
        __wbg_stringify_0a0fbf2ef722380a: function() { return handleError(function (arg0) {
            const ret = JSON.stringify(arg0);
            return ret;
        }, arguments); },
        __wbg_subarray_58f388a9247ac0bb: function(arg0, arg1, arg2) {
            const ret = arg0.subarray(arg1 >>> 0, arg2 >>> 0);
            return ret;
        },
        __wbindgen_generic_0000000000000001: function(arg0) {
            // Cast intrinsic for `F64 -> Externref`.
            const ret = arg0;
            return ret;
        },
        __wbindgen_generic_0000000000000002: function(arg0, arg1) {
            // Cast intrinsic for `Ref(String) -> Externref`.
            const ret = getStringFromWasm0(arg0, arg1);
            return ret;
        },
        __wbindgen_init_externref_table: function() {
            const table = wasm.__wbindgen_externrefs;
            table.set(0, undefined);
            table.set(1024, undefined);
            table.set(1025, null);
            table.set(1026, true);
            table.set(1027, false);
        },
    };
    return {
        __proto__: null,
        "./hwf_license_wasm_bg.js": import0,
    };
}

const ValidatorFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg_validator_free(ptr, 1));
const __PendingFinalization = (typeof FinalizationRegistry === 'undefined')
    ? { register: () => {}, unregister: () => {} }
    : new FinalizationRegistry(ptr => wasm.__wbg___pending_free(ptr, 1));

function addToExternrefTable0(obj) {
    const idx = wasm.__externref_table_alloc();
    wasm.__wbindgen_externrefs.set(idx, obj);
    return idx;
}

function _assertClass(instance, klass) {
    if (!(instance instanceof klass)) {
        throw new Error(`expected instance of ${klass.name}`);
    }
}

function getArrayU8FromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return getUint8ArrayMemory0().subarray(ptr / 1, ptr / 1 + len);
}

let cachedDataViewMemory0 = null;
function getDataViewMemory0() {
    if (cachedDataViewMemory0 === null || cachedDataViewMemory0.buffer.detached === true || (cachedDataViewMemory0.buffer.detached === undefined && cachedDataViewMemory0.buffer !== wasm.memory.buffer)) {
        cachedDataViewMemory0 = new DataView(wasm.memory.buffer);
    }
    return cachedDataViewMemory0;
}

function getStringFromWasm0(ptr, len) {
    ptr = ptr >>> 0;
    return decodeText(getUint8ArrayMemory0().subarray(ptr, ptr + len));
}

let cachedUint8ArrayMemory0 = null;
function getUint8ArrayMemory0() {
    if (cachedUint8ArrayMemory0 === null || cachedUint8ArrayMemory0.byteLength === 0) {
        cachedUint8ArrayMemory0 = new Uint8Array(wasm.memory.buffer);
    }
    return cachedUint8ArrayMemory0;
}

function handleError(f, args) {
    try {
        return f.apply(this, args);
    } catch (e) {
        const idx = addToExternrefTable0(e);
        wasm.__wbindgen_exn_store(idx);
    }
}

function isLikeNone(x) {
    return x === undefined || x === null;
}

function passArray8ToWasm0(arg, malloc) {
    const ptr = malloc(arg.length * 1, 1) >>> 0;
    getUint8ArrayMemory0().set(arg, ptr / 1);
    WASM_VECTOR_LEN = arg.length;
    return ptr;
}

function passStringToWasm0(arg, malloc, realloc) {
    if (realloc === undefined) {
        const buf = cachedTextEncoder.encode(arg);
        const ptr = malloc(buf.length, 1) >>> 0;
        getUint8ArrayMemory0().subarray(ptr, ptr + buf.length).set(buf);
        WASM_VECTOR_LEN = buf.length;
        return ptr;
    }

    let len = arg.length;
    let ptr = malloc(len, 1) >>> 0;

    const mem = getUint8ArrayMemory0();

    let offset = 0;

    for (; offset < len; offset++) {
        const code = arg.charCodeAt(offset);
        if (code > 0x7F) break;
        mem[ptr + offset] = code;
    }
    if (offset !== len) {
        if (offset !== 0) {
            arg = arg.slice(offset);
        }
        ptr = realloc(ptr, len, len = offset + arg.length * 3, 1) >>> 0;
        const view = getUint8ArrayMemory0().subarray(ptr + offset, ptr + len);
        const ret = cachedTextEncoder.encodeInto(arg, view);

        offset += ret.written;
        ptr = realloc(ptr, len, offset, 1) >>> 0;
    }

    WASM_VECTOR_LEN = offset;
    return ptr;
}

function takeFromExternrefTable0(idx) {
    const value = wasm.__wbindgen_externrefs.get(idx);
    wasm.__externref_table_dealloc(idx);
    return value;
}

let cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
cachedTextDecoder.decode();
const MAX_SAFARI_DECODE_BYTES = 2146435072;
let numBytesDecoded = 0;
function decodeText(bytes) {
    numBytesDecoded += bytes.length;
    if (numBytesDecoded >= MAX_SAFARI_DECODE_BYTES) {
        cachedTextDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
        cachedTextDecoder.decode();
        numBytesDecoded = bytes.length;
    }
    return cachedTextDecoder.decode(bytes);
}

const cachedTextEncoder = new TextEncoder();

if (!('encodeInto' in cachedTextEncoder)) {
    cachedTextEncoder.encodeInto = function (arg, view) {
        const buf = cachedTextEncoder.encode(arg);
        view.set(buf);
        return {
            read: arg.length,
            written: buf.length
        };
    };
}

let WASM_VECTOR_LEN = 0;

let wasmModule, wasmInstance, wasm;
function __wbg_finalize_init(instance, module) {
    wasmInstance = instance;
    wasm = instance.exports;
    wasmModule = module;
    cachedDataViewMemory0 = null;
    cachedUint8ArrayMemory0 = null;
    wasm.__wbindgen_start();
    return wasm;
}

async function __wbg_load(module, imports) {
    if (typeof Response === 'function' && module instanceof Response) {
        if (!module.ok) {
            throw new Error(`failed to fetch Wasm: ${module.status} ${module.statusText} fetching '${module.url}'`);
        }

        if (typeof WebAssembly.instantiateStreaming === 'function') {
            try {
                return await WebAssembly.instantiateStreaming(module, imports);
            } catch (e) {
                const validResponse = expectedResponseType(module.type);

                if (validResponse && module.headers.get('Content-Type') !== 'application/wasm') {
                    console.warn("`WebAssembly.instantiateStreaming` failed because your server does not serve Wasm with `application/wasm` MIME type. Falling back to `WebAssembly.instantiate` which is slower. Original error:\n", e);

                } else { throw e; }
            }
        }

        const bytes = await module.arrayBuffer();
        return await WebAssembly.instantiate(bytes, imports);
    } else {
        const instance = await WebAssembly.instantiate(module, imports);

        if (instance instanceof WebAssembly.Instance) {
            return { instance, module };
        } else {
            return instance;
        }
    }

    function expectedResponseType(type) {
        switch (type) {
            case 'basic': case 'cors': case 'default': return true;
        }
        return false;
    }
}

function initSync(module) {
    if (wasm !== undefined) return wasm;


    if (module !== undefined) {
        if (Object.getPrototypeOf(module) === Object.prototype) {
            ({module} = module)
        } else {
            console.warn('using deprecated parameters for `initSync()`; pass a single object instead')
        }
    }

    const imports = __wbg_get_imports();
    if (!(module instanceof WebAssembly.Module)) {
        module = new WebAssembly.Module(module);
    }
    const instance = new WebAssembly.Instance(module, imports);
    return __wbg_finalize_init(instance, module);
}

let __wbg_init_promise;
async function __wbg_init(module_or_path) {
    if (wasm !== undefined) return wasm;
    if (__wbg_init_promise === undefined) {
        __wbg_init_promise = __wbg_init_once(module_or_path);
        __wbg_init_promise.catch(() => { __wbg_init_promise = undefined; });
    }
    return __wbg_init_promise;
}

async function __wbg_init_once(module_or_path) {

    if (module_or_path !== undefined) {
        if (Object.getPrototypeOf(module_or_path) === Object.prototype) {
            ({module_or_path} = module_or_path)
        } else {
            console.warn('using deprecated parameters for the initialization function; pass a single object instead')
        }
    }

    if (module_or_path === undefined) {
        module_or_path = new URL('hwf_license_wasm_bg.wasm', import.meta.url);
    }
    const imports = __wbg_get_imports();

    if (typeof module_or_path === 'string' || (typeof Request === 'function' && module_or_path instanceof Request) || (typeof URL === 'function' && module_or_path instanceof URL)) {
        module_or_path = fetch(module_or_path);
    }

    const { instance, module } = await __wbg_load(await module_or_path, imports);

    return __wbg_finalize_init(instance, module);
}

export { initSync, __wbg_init as default };
