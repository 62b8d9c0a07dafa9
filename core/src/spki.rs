//! SPKI PEM (`-----BEGIN PUBLIC KEY-----`) for P-256 public keys, without a DER library: a P-256
//! SubjectPublicKeyInfo is a fixed prefix (algorithm id-ecPublicKey, curve prime256v1) followed
//! by the SEC1 point, so reading one is a prefix comparison. Available without `std`, so the
//! WASM module and `no_std` nodes read the same PEM root keys OpenSSL writes.

use alloc::string::String;
use alloc::vec::Vec;

/// DER prefix of an SPKI holding an uncompressed P-256 point (65 bytes follow).
const UNCOMPRESSED: [u8; 26] = [
    0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
];
/// DER prefix of an SPKI holding a compressed P-256 point (33 bytes follow).
const COMPRESSED: [u8; 26] = [
    0x30, 0x39, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a,
    0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x22, 0x00,
];

const BEGIN: &str = "-----BEGIN PUBLIC KEY-----";
const END: &str = "-----END PUBLIC KEY-----";
const STD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// The SEC1 point inside a P-256 SPKI PEM, or `None`.
pub(crate) fn point_from_pem(pem: &str) -> Option<Vec<u8>> {
    let body = pem.trim().strip_prefix(BEGIN)?.strip_suffix(END)?;
    let der = decode_std(body)?;
    [(&UNCOMPRESSED, 65), (&COMPRESSED, 33)]
        .into_iter()
        .find_map(|(prefix, len)| {
            let point = der.strip_prefix(&prefix[..])?;
            (point.len() == len).then(|| point.to_vec())
        })
}

/// The SPKI PEM of an uncompressed SEC1 point (65 bytes), lines of 64 characters, LF endings.
pub(crate) fn pem_from_point(point: &[u8]) -> String {
    let mut der = UNCOMPRESSED.to_vec();
    der.extend_from_slice(point);
    let b64 = encode_std(&der);
    let mut out = String::from(BEGIN);
    out.push('\n');
    for line in b64.as_bytes().chunks(64) {
        out.push_str(core::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

fn encode_std(input: &[u8]) -> String {
    let mut out = String::new();
    for c in input.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(c.get(1).copied().unwrap_or(0)) << 8)
            | u32::from(c.get(2).copied().unwrap_or(0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(char::from(STD[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Standard base64 with padding; line breaks and spaces between characters are ignored.
fn decode_std(body: &str) -> Option<Vec<u8>> {
    let chars: Vec<u8> = body.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
    if chars.len() % 4 != 0 {
        return None;
    }
    let mut out = Vec::with_capacity(chars.len() / 4 * 3);
    for (i, chunk) in chars.chunks(4).enumerate() {
        let last = i == chars.len() / 4 - 1;
        let pad = chunk.iter().rev().take_while(|&&b| b == b'=').count();
        if pad > 2 || (pad > 0 && !last) {
            return None;
        }
        let mut n = 0u32;
        for (j, &c) in chunk[..4 - pad].iter().enumerate() {
            let v = STD.iter().position(|&s| s == c)? as u32;
            n |= v << (18 - 6 * j);
        }
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8][..3 - pad]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_rejects() {
        for raw in [&b""[..], b"f", b"fo", b"foo", b"foob", b"fooba", b"foobar"] {
            assert_eq!(decode_std(&encode_std(raw)).as_deref(), Some(raw));
        }
        for bad in ["Zg=", "Z===", "Zg==Zg==", "Zm9v!", "Zm-v"] {
            assert_eq!(decode_std(bad), None, "{bad}");
        }
        assert_eq!(decode_std("Zm9v\nYmFy").as_deref(), Some(&b"foobar"[..]));
    }
}
