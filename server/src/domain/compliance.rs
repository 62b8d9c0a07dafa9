//! The Root's view of an org: over its site limit, and overdue with its monthly manifest.

use super::period::{previous_period, start_of_period};

/// Whether an org that reported `reported` active sites (from its newest manifest) is above
/// `max_sites`.
pub fn over_limit(reported: Option<i64>, max_sites: i64) -> bool {
    reported.is_some_and(|a| a > max_sites)
}

/// Whether the manifest for last month is overdue at `now`: due once the org held a CML before
/// this month (`first_issued` is its first CML's issue time), and missing while the newest
/// manifest received (`last_period`) is older than last month.
pub fn manifest_overdue(first_issued: i64, last_period: Option<&str>, now: i64) -> bool {
    let this_month_start = start_of_period(now);
    let previous = previous_period(now);
    first_issued < this_month_start && last_period.is_none_or(|p| p < previous.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn due_from_the_month_after_the_first_cml() {
        let feb_10 = 1_769_990_400 + 9 * 86_400; // 2026-02-10
        let jan_5 = 1_767_225_600 + 4 * 86_400;
        assert!(manifest_overdue(jan_5, None, feb_10));
        assert!(!manifest_overdue(jan_5, Some("2026-01"), feb_10));
        assert!(manifest_overdue(jan_5, Some("2025-12"), feb_10));
        assert!(!manifest_overdue(feb_10 - 86_400, None, feb_10));
        assert!(over_limit(Some(11), 10));
        assert!(!over_limit(Some(10), 10));
        assert!(!over_limit(None, 10));
    }
}
