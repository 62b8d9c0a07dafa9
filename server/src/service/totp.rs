//! Second factors: TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, on `totp-rs`) and
//! one-time recovery codes. A code is accepted for the step it matches within ±1 step of the
//! services' clock, and only when that step is later than the last one accepted for the user
//! (the caller stores it), so a code works once. Recovery codes are 16 random base32 characters,
//! stored as SHA-256 hashes (bound to the user id) and spent on first use.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, TOTP};

use super::keys::random_bytes;
use super::ServiceError;

/// Seconds per time step.
pub const STEP: i64 = 30;
/// Steps accepted either side of the current one.
pub const SKEW: i64 = 1;
/// Digits of a code.
pub const DIGITS: usize = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_LEN: usize = 20;
/// Recovery codes per enrolment.
pub const RECOVERY_CODES: usize = 10;

fn totp(secret: &[u8], issuer: &str, account: &str) -> Result<TOTP, ServiceError> {
    // Issuers and labels may not contain ':' in an otpauth URI.
    let clean = |s: &str| s.replace(':', "-");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        0,
        STEP as u64,
        secret.to_vec(),
        Some(clean(issuer)),
        clean(account),
    )
    .map_err(ServiceError::internal)
}

/// A fresh random TOTP secret.
pub fn new_secret() -> Vec<u8> {
    random_bytes::<SECRET_LEN>().to_vec()
}

/// The secret in base32 (what authenticator apps accept typed in).
pub fn secret_base32(secret: &[u8]) -> Result<String, ServiceError> {
    Ok(totp(secret, "x", "x")?.get_secret_base32())
}

/// The `otpauth://totp/…` URI of `secret` for `account` at `issuer`.
pub fn otpauth_uri(secret: &[u8], issuer: &str, account: &str) -> Result<String, ServiceError> {
    Ok(totp(secret, issuer, account)?.get_url())
}

/// The URI as a QR code in SVG.
pub fn qr_svg(uri: &str) -> Result<String, ServiceError> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(ServiceError::internal)?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .build())
}

/// The code of `secret` for unix time `t` (what an authenticator shows; the demo and tests
/// compute codes as a client would).
pub fn code_at(secret: &[u8], t: i64) -> Result<String, ServiceError> {
    Ok(totp(secret, "x", "x")?.generate(t.max(0) as u64))
}

/// The code of a base32 secret for unix time `t`.
pub fn code_from_base32(secret_b32: &str, t: i64) -> Result<String, ServiceError> {
    let secret = totp_rs::Secret::Encoded(secret_b32.to_string())
        .to_bytes()
        .map_err(|_| ServiceError::Invalid("not a base32 TOTP secret".into()))?;
    code_at(&secret, t)
}

/// Whether `code` looks like a TOTP code (six digits) rather than a recovery code.
pub fn is_totp_code(code: &str) -> bool {
    code.len() == DIGITS && code.bytes().all(|b| b.is_ascii_digit())
}

/// The time step within ±[`SKEW`] of `now` whose code is `code` and which is later than
/// `last_step`, if any (the latest such step when several match).
pub fn matching_step(
    secret: &[u8],
    code: &str,
    now: i64,
    last_step: i64,
) -> Result<Option<i64>, ServiceError> {
    if !is_totp_code(code) {
        return Ok(None);
    }
    let t = totp(secret, "x", "x")?;
    let current = now.div_euclid(STEP);
    let mut found = None;
    for step in (current - SKEW)..=(current + SKEW) {
        if step <= last_step || step < 0 {
            continue;
        }
        let expected = t.generate((step * STEP) as u64);
        if constant_time_eq(expected.as_bytes(), code.as_bytes()) {
            found = Some(step);
        }
    }
    Ok(found)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Fresh recovery codes: `xxxx-xxxx-xxxx-xxxx` of base32 characters (80 bits each).
pub fn new_recovery_codes() -> Vec<String> {
    (0..RECOVERY_CODES)
        .map(|_| {
            let raw = base32_lower(&random_bytes::<10>());
            raw.as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect()
}

fn base32_lower(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
    let mut out = String::new();
    let (mut buf, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buf = (buf << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(ALPHABET[((buf >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(ALPHABET[((buf << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// The stored form of a recovery code of `user_id`: hex SHA-256 over the user id and the code
/// without dashes, spaces or case.
pub fn recovery_hash(user_id: &str, code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let mut h = Sha256::new();
    h.update(b"hwf-license recovery code v1\0");
    h.update(user_id.as_bytes());
    h.update([0]);
    h.update(normal.as_bytes());
    hex::encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1 seed, the last six digits.
        let seed = b"12345678901234567890";
        for (t, code) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code_at(seed, t).unwrap(), code, "t = {t}");
        }
    }

    #[test]
    fn a_code_matches_within_one_step_and_only_after_the_last_one() {
        let s = new_secret();
        let t = 1_700_000_000;
        let step = t / STEP;
        let code = code_at(&s, t).unwrap();
        assert_eq!(matching_step(&s, &code, t, 0).unwrap(), Some(step));
        assert_eq!(matching_step(&s, &code, t + STEP, 0).unwrap(), Some(step));
        assert_eq!(matching_step(&s, &code, t - STEP, 0).unwrap(), Some(step));
        assert_eq!(matching_step(&s, &code, t + 2 * STEP, 0).unwrap(), None);
        assert_eq!(matching_step(&s, &code, t, step).unwrap(), None, "replay");
        assert_eq!(matching_step(&s, "12345", t, 0).unwrap(), None);
        let uri = otpauth_uri(&s, "hwf-license hub", "admin").unwrap();
        assert!(
            uri.starts_with("otpauth://totp/hwf-license%20hub:admin?secret="),
            "{uri}"
        );
        let b32 = secret_base32(&s).unwrap();
        assert_eq!(code_from_base32(&b32, t).unwrap(), code);
        assert!(qr_svg(&uri).unwrap().starts_with("<?xml"));
    }

    #[test]
    fn recovery_codes_are_random_and_hashed_per_user() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        assert_eq!(codes[0].len(), 19, "{}", codes[0]);
        assert_ne!(codes[0], codes[1]);
        assert_eq!(
            recovery_hash("u1", &codes[0]),
            recovery_hash("u1", &codes[0].to_uppercase().replace('-', " "))
        );
        assert_ne!(
            recovery_hash("u1", &codes[0]),
            recovery_hash("u2", &codes[0])
        );
    }
}
