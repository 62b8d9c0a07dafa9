//! The `site.lic` file: one JSON object holding the signed CML and the signed site license.
//!
//! ```json
//! {
//!   "format": "hwf-site-license",
//!   "cml": "<compact JWS of the CML>",
//!   "site": "<compact JWS of the site license>"
//! }
//! ```
//!
//! Only the two signed segments count. Tolerated, because they cannot change the verdict: a UTF-8
//! byte order mark, CRLF or CR line endings, any indentation, whitespace around the object, a
//! trailing newline, members in any order, unknown extra members, and ASCII whitespace inside the two
//! JWS strings, including raw line breaks (mail clients wrap long lines; raw CR, LF and TAB are
//! dropped from the whole input before a second reading). Rejected: input over
//! [`MAX_LICENSE_BYTES`], anything that is not one JSON object, a missing or duplicated `cml` or
//! `site` member, or a non-string value for either.

use alloc::string::String;

use crate::error::{Error, Result};
use crate::json;

/// Largest accepted `site.lic`, in bytes (64 KiB; a typical file is about 2 KiB).
pub const MAX_LICENSE_BYTES: usize = 64 * 1024;

/// The value of the informative `format` member written by [`license_file`].
pub const FILE_FORMAT: &str = "hwf-site-license";

/// The two compact JWS strings of a `site.lic` file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LicenseFile {
    /// The CML, as a compact JWS.
    pub cml: String,
    /// The site license, as a compact JWS.
    pub site: String,
}

/// Whether `bytes` holds a byte `is_hit` accepts; every such byte must be below 0x21 (ASCII
/// whitespace and control bytes): words without one are skipped eight bytes at a time.
fn holds(bytes: &[u8], is_hit: impl Fn(u8) -> bool) -> bool {
    let mut i = 0;
    loop {
        i = json::skip_words(bytes, i, |w| json::has_less(w, 0x21));
        match bytes.get(i..(i + 8).min(bytes.len())) {
            Some(rest) if !rest.is_empty() => {
                if rest.iter().any(|&b| is_hit(b)) {
                    return true;
                }
                i += rest.len();
            }
            _ => return false,
        }
    }
}

fn compact(s: &str) -> String {
    if holds(s.as_bytes(), |b| b.is_ascii_whitespace()) {
        s.chars().filter(|c| !c.is_ascii_whitespace()).collect()
    } else {
        String::from(s)
    }
}

/// CR, LF and TAB: dropped from the whole input before it is read (FORMAT.md §3).
fn is_line_break_or_tab(b: u8) -> bool {
    matches!(b, b'\r' | b'\n' | b'\t')
}

/// Reads a `site.lic` file (see the module documentation for what is tolerated), in one pass:
/// when the input holds CR, LF or TAB bytes they are removed everywhere first (FORMAT.md §3: a
/// reader that removes them gives the same result whether or not the text was valid before), then
/// the wrapper is read once.
pub fn parse_license_file(bytes: &[u8]) -> Result<LicenseFile> {
    if bytes.len() > MAX_LICENSE_BYTES {
        return Err(Error::TooLarge {
            size: bytes.len(),
            limit: MAX_LICENSE_BYTES,
        });
    }
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let cleaned;
    let bytes = if holds(bytes, is_line_break_or_tab) {
        // Copied in runs between the dropped bytes (a pretty-printed file has a handful).
        let mut out = alloc::vec::Vec::with_capacity(bytes.len());
        for run in bytes.split(|&b| is_line_break_or_tab(b)) {
            out.extend_from_slice(run);
        }
        cleaned = out;
        &cleaned[..]
    } else {
        bytes
    };
    let (cml, site) = json::license_wrapper(bytes)
        .map_err(|json::WrapperError::Malformed(why)| Error::Malformed(why))?;
    Ok(LicenseFile {
        cml: compact(&cml),
        site: compact(&site),
    })
}

/// Writes a `site.lic` file (pretty JSON with a trailing newline).
pub fn license_file(cml_jws: &str, site_jws: &str) -> String {
    alloc::format!(
        "{{\n  \"format\": \"{FILE_FORMAT}\",\n  \"cml\": \"{cml_jws}\",\n  \"site\": \"{site_jws}\"\n}}\n"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drops_line_breaks_tabs_and_spaces_at_every_offset() {
        // The scans skip whole words: a byte to drop at any offset is still dropped.
        let (cml, site) = (
            "abcdefghijklmnopq.rstuvwxyz0123.456789-_AB",
            "CDEFGHIJ.KLMNOP.QRSTUVWXYZ",
        );
        let clean = license_file(cml, site);
        let want = parse_license_file(clean.as_bytes()).unwrap();
        for at in 0..=clean.len() {
            for ch in ["\r", "\n", "\t", "\r\n"] {
                let mut v = clean.clone();
                v.insert_str(at, ch);
                assert_eq!(
                    parse_license_file(v.as_bytes()).as_ref(),
                    Ok(&want),
                    "{v:?}"
                );
            }
        }
        for (at, _) in clean.match_indices(|c: char| c.is_ascii_alphanumeric() || c == '.') {
            let mut v = clean.clone();
            v.insert(at, ' ');
            if v.contains(cml) && v.contains(site) {
                continue; // a space outside the two strings (in "format"'s value)
            }
            assert_eq!(
                parse_license_file(v.as_bytes()).as_ref(),
                Ok(&want),
                "{v:?}"
            );
        }
    }

    #[test]
    fn tolerates_transport_damage() {
        let clean = license_file("a.b.c", "d.e.f");
        let want = parse_license_file(clean.as_bytes()).unwrap();
        let variants = [
            clean.replace('\n', "\r\n"),
            clean.replace('\n', "\r"),
            alloc::format!("\u{feff}{clean}"),
            alloc::format!("  \n\t{clean}\n\n  "),
            clean.replace("  ", "\t\t    "),
            r#"{"site":"d.e.f","cml":"a.b.c","note":"fwd by mail"}"#.into(),
            r#"{"cml":"a.b\r\n.c","site":"d.\n e.f"}"#.into(),
            "{\"cml\":\"a.b\r\n.c\",\r\n\"site\":\"d.\n e.f\"}".into(),
        ];
        for v in variants {
            assert_eq!(
                parse_license_file(v.as_bytes()).as_ref(),
                Ok(&want),
                "{v:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_shapes() {
        for bad in [
            "",
            "[]",
            r#"["a.b.c","d.e.f"]"#,
            "null",
            r#"{"cml":"a.b.c"}"#,
            r#"{"cml":"a.b.c","site":1}"#,
            r#"{"cml":"a.b.c","site":"d.e.f","cml":"x.y.z"}"#,
            r#"{"cml":"a.b.c","site":"d.e.f"} {}"#,
            "\u{0}",
        ] {
            assert_eq!(
                parse_license_file(bad.as_bytes()).map_err(|e| e.code()),
                Err(crate::ErrorCode::Malformed),
                "{bad:?}"
            );
        }
        let big = alloc::vec![b' '; MAX_LICENSE_BYTES + 1];
        assert_eq!(
            parse_license_file(&big).unwrap_err().code(),
            crate::ErrorCode::TooLarge
        );
    }
}
