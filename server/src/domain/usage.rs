//! Usage counted for a manifest: how a site stands at the end of the month reported (core counts
//! the statistics from the list, `hwf_license::manifest_stats`).

/// How a site stands at the end `end` of a period: `revoked` when it was revoked before,
/// else `active`.
pub fn status_at_end(revoked_at: Option<i64>, end: i64) -> &'static str {
    if revoked_at.is_some_and(|at| at < end) {
        "revoked"
    } else {
        "active"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn revoked_before_the_end_only() {
        assert_eq!(super::status_at_end(Some(5), 10), "revoked");
        assert_eq!(super::status_at_end(Some(10), 10), "active");
        assert_eq!(super::status_at_end(None, 10), "active");
    }
}
