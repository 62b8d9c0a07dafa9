//! Names and limits of what callers send: site ids, user names, passwords, heartbeat nonces
//! and `speaks` maps, root key ids, pages, validity days.

use std::collections::BTreeMap;

use super::RuleError;

/// Shortest accepted password.
pub const MIN_PASSWORD_LEN: usize = 12;
/// Largest page of sites and of ledger entries.
pub const MAX_PAGE: i64 = 500;
/// Largest page of the audit log.
pub const MAX_AUDIT_PAGE: i64 = 1000;

/// A site id: 1..=128 characters of `A-Z a-z 0-9 . _ -`.
pub fn site_id(id: &str) -> Result<(), RuleError> {
    if id.is_empty()
        || id.len() > 128
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(RuleError::invalid(
            "site_id must be 1..=128 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    Ok(())
}

/// A user name: 1..=64 characters of `A-Z a-z 0-9 . _ - @`.
pub fn username(name: &str) -> Result<(), RuleError> {
    if name.is_empty()
        || name.len() > 64
        || !name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-@".contains(&b))
    {
        return Err(RuleError::invalid(
            "username must be 1..=64 characters of A-Z a-z 0-9 . _ - @",
        ));
    }
    Ok(())
}

/// A new password: at least [`MIN_PASSWORD_LEN`] bytes.
pub fn password(password: &str) -> Result<(), RuleError> {
    if password.len() < MIN_PASSWORD_LEN {
        return Err(RuleError::invalid(format!(
            "password must be at least {MIN_PASSWORD_LEN} characters"
        )));
    }
    Ok(())
}

/// A root key id: 1..=256 bytes.
pub fn kid(kid: &str) -> Result<(), RuleError> {
    if kid.is_empty() || kid.len() > 256 {
        return Err(RuleError::invalid("kid must be 1..=256 bytes"));
    }
    Ok(())
}

/// A heartbeat nonce: 16..=256 characters, no control characters.
pub fn nonce(nonce: &str) -> Result<(), RuleError> {
    let chars = nonce.chars().count();
    if !(16..=256).contains(&chars) || nonce.chars().any(char::is_control) {
        return Err(RuleError::invalid(
            "nonce must be 16..=256 characters without control characters",
        ));
    }
    Ok(())
}

/// The payload versions a node reads, per document type (FORMAT.md §8); absent means version 1
/// of every kind.
pub type Speaks = BTreeMap<String, Vec<u32>>;

/// A `speaks` map: at most 16 document types of at most 16 versions.
pub fn speaks(speaks: Option<&Speaks>) -> Result<(), RuleError> {
    if speaks.is_some_and(|m| m.len() > 16 || m.values().any(|v| v.len() > 16)) {
        return Err(RuleError::invalid(
            "speaks lists at most 16 document types of at most 16 versions",
        ));
    }
    Ok(())
}

/// Whether a node that announced `speaks` reads payload version `v` of `doc_type`.
pub fn reads(speaks: Option<&Speaks>, doc_type: &str, v: u32) -> bool {
    match speaks {
        None => v == 1,
        Some(m) => m.get(doc_type).is_some_and(|vs| vs.contains(&v)),
    }
}

/// A page: `limit` in `1..=max`, `offset` at least 0.
pub fn page(limit: i64, offset: i64, max: i64) -> Result<(), RuleError> {
    if !(1..=max).contains(&limit) || offset < 0 {
        return Err(RuleError::invalid(format!(
            "limit must be 1..={max} and offset at least 0"
        )));
    }
    Ok(())
}

/// A site status filter: `active` or `revoked`.
pub fn site_status(status: &str) -> Result<(), RuleError> {
    if status != "active" && status != "revoked" {
        return Err(RuleError::invalid(
            "status must be \"active\" or \"revoked\"",
        ));
    }
    Ok(())
}

/// Longest site search text (bytes).
pub const MAX_SEARCH_LEN: usize = 128;

/// What a site listing is sorted by. The store maps each to a fixed column, so a sort key from a
/// caller is one of these names or an error, and never reaches SQL as text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SiteSort {
    /// Site id (the default).
    #[default]
    SiteId,
    /// Creation time.
    Created,
    /// Expiry time.
    Expiry,
    /// Last heartbeat (never-seen sites last, in both directions).
    LastSeen,
}

impl SiteSort {
    /// Every sort key, as callers name them.
    pub const ALL: [Self; 4] = [Self::SiteId, Self::Created, Self::Expiry, Self::LastSeen];

    /// `site_id`, `created`, `expiry` or `last_seen`, else an error naming the four.
    pub fn parse(s: &str) -> Result<Self, RuleError> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                RuleError::invalid("sort must be one of site_id, created, expiry, last_seen")
            })
    }

    /// The name callers use.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SiteId => "site_id",
            Self::Created => "created",
            Self::Expiry => "expiry",
            Self::LastSeen => "last_seen",
        }
    }
}

/// `asc` or `desc`, else an error; `true` for descending.
pub fn sort_descending(order: &str) -> Result<bool, RuleError> {
    match order {
        "asc" => Ok(false),
        "desc" => Ok(true),
        _ => Err(RuleError::invalid("order must be \"asc\" or \"desc\"")),
    }
}

/// A product or tier filter, or a search text: at most [`MAX_SEARCH_LEN`] bytes, no control
/// characters.
pub fn search_text(what: &str, text: &str) -> Result<(), RuleError> {
    if text.len() > MAX_SEARCH_LEN || text.chars().any(char::is_control) {
        return Err(RuleError::invalid(format!(
            "{what} must be at most {MAX_SEARCH_LEN} bytes without control characters"
        )));
    }
    Ok(())
}

/// A site's product, tier or deployment tag: not beginning or ending with a space. The CSV
/// import trims spaces around cells (for files people type), so such a value would not come
/// back unchanged from an export and re-import; core checks the rest when it signs (1..=256
/// bytes; no control characters in a product or tier).
pub fn site_value(what: &str, v: &str) -> Result<(), RuleError> {
    if v.starts_with(' ') || v.ends_with(' ') {
        return Err(RuleError::invalid(format!(
            "{what} must not begin or end with a space"
        )));
    }
    Ok(())
}

/// Days of validity: at least 1.
pub fn valid_days(days: u32) -> Result<(), RuleError> {
    if days == 0 {
        return Err(RuleError::invalid("valid_days must be at least 1"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_bounds() {
        for ok in ["a", "plant-7", "A.b_c-9", &"x".repeat(128)] {
            assert!(site_id(ok).is_ok(), "{ok}");
        }
        for bad in ["", "a b", "ü", "a/b", &"x".repeat(129)] {
            assert!(site_id(bad).is_err(), "{bad}");
        }
        assert!(username("alice@example.org").is_ok());
        assert!(username("alice bob").is_err());
        assert!(password("short").is_err());
        assert!(password("twelve chars").is_ok());
        assert!(nonce("0123456789abcdef").is_ok());
        assert!(nonce("0123456789abcde").is_err());
        assert!(nonce("0123456789abcde\n").is_err());
        assert!(page(1, 0, 500).is_ok());
        assert!(page(0, 0, 500).is_err());
        assert!(page(501, 0, 500).is_err());
        assert!(page(1, -1, 500).is_err());
        for k in SiteSort::ALL {
            assert_eq!(SiteSort::parse(k.as_str()), Ok(k));
        }
        for bad in [
            "",
            "created_at",
            "site_id; DROP TABLE sites",
            "SITE_ID",
            "license",
        ] {
            assert!(SiteSort::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            (sort_descending("asc"), sort_descending("desc")),
            (Ok(false), Ok(true))
        );
        assert!(sort_descending("DESC, site_id").is_err());
        assert!(search_text("search", &"x".repeat(128)).is_ok());
        assert!(search_text("search", &"x".repeat(129)).is_err());
        assert!(search_text("search", "a\u{0}b").is_err());
    }

    #[test]
    fn speaks_defaults_to_version_one() {
        assert!(reads(None, "cml", 1));
        assert!(!reads(None, "cml", 2));
        let m: Speaks = [("cml".to_string(), vec![1, 2])].into();
        assert!(reads(Some(&m), "cml", 2));
        assert!(!reads(Some(&m), "site", 1));
        let big: Speaks = (0..17).map(|i| (format!("t{i}"), vec![1])).collect();
        assert!(speaks(Some(&big)).is_err());
    }
}
