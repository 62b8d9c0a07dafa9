//! Base64url without padding (RFC 4648 §5), strict: decoding rejects padding, whitespace, any
//! character outside the URL-safe alphabet, a length of 1 mod 4, and non-zero trailing bits, so each
//! byte string has exactly one accepted encoding.

use alloc::string::String;
use alloc::vec::Vec;

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Encodes bytes as unpadded base64url.
pub fn encode(input: &[u8]) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let idx = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[idx as usize]));
        }
    }
    out
}

/// Each byte's 6-bit value in the URL-safe alphabet, or [`INVALID`].
const VALUES: [u8; 256] = {
    let mut t = [INVALID; 256];
    let mut i = 0;
    while i < 64 {
        t[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    t
};
/// Marks a byte outside the alphabet (its high bit is set; no value has it).
const INVALID: u8 = 0x80;

/// Decodes canonical unpadded base64url; `None` on any deviation.
pub fn decode(input: &[u8]) -> Option<Vec<u8>> {
    if input.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(input.len() / 4 * 3 + 2);
    let mut chunks = input.chunks_exact(4);
    for c in chunks.by_ref() {
        let v = [
            VALUES[usize::from(c[0])],
            VALUES[usize::from(c[1])],
            VALUES[usize::from(c[2])],
            VALUES[usize::from(c[3])],
        ];
        if (v[0] | v[1] | v[2] | v[3]) & INVALID != 0 {
            return None;
        }
        let n = (u32::from(v[0]) << 18)
            | (u32::from(v[1]) << 12)
            | (u32::from(v[2]) << 6)
            | u32::from(v[3]);
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8, n as u8]);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut n = 0u32;
        for (i, &c) in rest.iter().enumerate() {
            let v = VALUES[usize::from(c)];
            if v & INVALID != 0 {
                return None;
            }
            n |= u32::from(v) << (18 - 6 * i);
        }
        let keep = rest.len() - 1;
        // Bits below the kept bytes must be zero (canonical encoding).
        let mask = if keep == 1 { 0xffff } else { 0xff };
        if n & mask != 0 {
            return None;
        }
        out.extend_from_slice(&[(n >> 16) as u8, (n >> 8) as u8][..keep]);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc4648_examples() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (b"foobar", "Zm9vYmFy"),
        ];
        for (raw, enc) in cases {
            assert_eq!(encode(raw), enc);
            assert_eq!(decode(enc.as_bytes()).as_deref(), Some(raw));
        }
        assert_eq!(encode(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn rejects_non_canonical() {
        for bad in ["Zg==", "Z", "Zh", "Zm9=", "Zm 9v", "Zm+v", "Zm/v", "Zm9w\n"] {
            assert_eq!(decode(bad.as_bytes()), None, "{bad:?}");
        }
    }
}
