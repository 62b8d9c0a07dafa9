//! How an installed or issued CML stands for an operator: `active`, `expiring` (within
//! [`EXPIRING_DAYS`] days of its end) or `expired`.

use super::DAY;

/// A CML within this many days of its `valid_until` is `expiring`.
pub const EXPIRING_DAYS: i64 = 30;

/// The standing of a CML ending at `valid_until`, at `now`: `"active"`, `"expiring"` or
/// `"expired"`.
pub fn standing(valid_until: i64, now: i64) -> &'static str {
    if now >= valid_until {
        "expired"
    } else if valid_until - now <= EXPIRING_DAYS * DAY {
        "expiring"
    } else {
        "active"
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn standings() {
        let end = 100 * super::DAY;
        assert_eq!(super::standing(end, 0), "active");
        assert_eq!(super::standing(end, end - 30 * super::DAY), "expiring");
        assert_eq!(super::standing(end, end - 1), "expiring");
        assert_eq!(super::standing(end, end), "expired");
    }
}
