//! Time rules: the accepted range of timestamps, clock skew, the grace period and months.
//!
//! All times are unix seconds (`i64`) in `0 ..= MAX_TIME` (9999-12-31T23:59:59Z). Every sum is
//! checked, so extreme inputs give an error, never a wrap or a panic.

use crate::error::{DocKind, Error, Result};

/// Latest accepted time: 9999-12-31T23:59:59Z.
pub const MAX_TIME: i64 = 253_402_300_799;
/// Tolerated clock skew in seconds, for "issued in the future" and clock rollback.
pub const CLOCK_SKEW: i64 = 300;
/// Seconds per day.
pub const DAY: i64 = 86_400;

pub(crate) fn check_time(kind: DocKind, what: &str, t: i64) -> Result<()> {
    if (0..=MAX_TIME).contains(&t) {
        Ok(())
    } else {
        Err(Error::payload(
            kind,
            format_args!("{what} is outside 0..={MAX_TIME}"),
        ))
    }
}

/// Checks a caller-supplied time (`now`, last seen).
pub fn check_now(now: i64) -> Result<()> {
    if (0..=MAX_TIME).contains(&now) {
        Ok(())
    } else {
        Err(Error::InvalidArgument(
            "time must be unix seconds between 1970 and 9999",
        ))
    }
}

/// Where `now` stands relative to an effective expiry and its grace period.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Standing {
    /// Before expiry.
    Valid,
    /// In `[expiry, grace_end)`.
    Grace {
        /// Whole days left until `grace_end`, rounded up.
        days_left: u32,
    },
    /// At or after `grace_end`.
    Expired,
}

/// End of grace: `expiry + grace_days` days, or `None` on overflow past [`MAX_TIME`].
pub fn grace_end(expiry: i64, grace_days: u32) -> Option<i64> {
    let end = i64::from(grace_days)
        .checked_mul(DAY)
        .and_then(|g| expiry.checked_add(g))?;
    (end <= MAX_TIME).then_some(end).or(Some(MAX_TIME))
}

/// Whole days in `secs` (>= 0), rounded up.
pub fn ceil_days(secs: i64) -> i64 {
    secs / DAY + i64::from(secs % DAY != 0)
}

/// Classifies `now` against `expiry` and `grace_end`.
pub fn standing(now: i64, expiry: i64, grace_end: i64) -> Standing {
    if now < expiry {
        Standing::Valid
    } else if now < grace_end {
        let left = grace_end - now; // > 0, both in range: cannot overflow
        let days = ceil_days(left);
        Standing::Grace {
            days_left: u32::try_from(days).unwrap_or(u32::MAX),
        }
    } else {
        Standing::Expired
    }
}

/// Parses `YYYY-MM` (year 1970..=9999, month 01..=12) into (year, month).
pub fn parse_period(s: &str) -> Option<(u16, u8)> {
    let b = s.as_bytes();
    if b.len() != 7 || b[4] != b'-' || !b[..4].iter().chain(&b[5..]).all(u8::is_ascii_digit) {
        return None;
    }
    let number = |d: &[u8]| d.iter().fold(0u16, |n, c| n * 10 + u16::from(c - b'0'));
    let (year, month) = (number(&b[..4]), number(&b[5..]));
    let month = u8::try_from(month).ok()?;
    ((1970..=9999).contains(&year) && (1..=12).contains(&month)).then_some((year, month))
}

/// Unix seconds of midnight UTC on a civil date (proleptic Gregorian; H. Hinnant's algorithm).
pub fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date (year, month, day) of a day number since 1970-01-01 (H. Hinnant's algorithm).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(month <= 2), month, day)
}

/// Displays unix seconds as RFC 3339 UTC, e.g. `2026-07-01T00:00:00Z`; times outside
/// `0..=MAX_TIME` display as the plain number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc(pub i64);

impl core::fmt::Display for Utc {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if !(0..=MAX_TIME).contains(&self.0) {
            return write!(f, "{}", self.0);
        }
        let (y, mo, d) = civil_from_days(self.0.div_euclid(DAY));
        let secs = self.0.rem_euclid(DAY);
        write!(
            f,
            "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}Z",
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    }
}

/// The `[start, end)` unix-second bounds of a `YYYY-MM` period.
pub fn period_bounds(period: &str) -> Option<(i64, i64)> {
    let (y, m) = parse_period(period)?;
    let start = days_from_civil(i64::from(y), u32::from(m), 1) * DAY;
    let (ny, nm) = if m == 12 {
        (i64::from(y) + 1, 1)
    } else {
        (i64::from(y), u32::from(m) + 1)
    };
    Some((start, days_from_civil(ny, nm, 1) * DAY))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grace_end_is_checked() {
        assert_eq!(grace_end(0, 30), Some(30 * DAY));
        assert_eq!(grace_end(MAX_TIME, 30), Some(MAX_TIME));
        assert_eq!(grace_end(i64::MAX, 30), None);
        assert_eq!(grace_end(i64::MAX, 0), Some(MAX_TIME));
    }

    #[test]
    fn standing_boundaries() {
        let (exp, end) = (1000 * DAY, 1030 * DAY);
        assert_eq!(standing(exp - 1, exp, end), Standing::Valid);
        assert_eq!(standing(exp, exp, end), Standing::Grace { days_left: 30 });
        assert_eq!(
            standing(exp + 1, exp, end),
            Standing::Grace { days_left: 30 }
        );
        assert_eq!(
            standing(end - 1, exp, end),
            Standing::Grace { days_left: 1 }
        );
        assert_eq!(standing(end, exp, end), Standing::Expired);
        assert_eq!(standing(end + 1, exp, end), Standing::Expired);
    }

    #[test]
    fn periods() {
        assert_eq!(parse_period("2026-11"), Some((2026, 11)));
        for bad in [
            "2026-13", "2026-00", "26-11", "2026/11", "2026-1", "+026-11", "1969-12", "",
        ] {
            assert_eq!(parse_period(bad), None, "{bad}");
        }
        assert_eq!(period_bounds("1970-01"), Some((0, 31 * DAY)));
        // 2024 is a leap year.
        let (s, e) = period_bounds("2024-02").unwrap();
        assert_eq!((e - s) / DAY, 29);
        assert_eq!(period_bounds("9999-12").unwrap().1, MAX_TIME + 1);
    }

    #[test]
    fn utc_display() {
        use alloc::string::ToString;
        assert_eq!(Utc(0).to_string(), "1970-01-01T00:00:00Z");
        assert_eq!(Utc(1_767_225_600).to_string(), "2026-01-01T00:00:00Z");
        assert_eq!(Utc(951_782_400).to_string(), "2000-02-29T00:00:00Z");
        assert_eq!(Utc(MAX_TIME).to_string(), "9999-12-31T23:59:59Z");
        assert_eq!(Utc(-1).to_string(), "-1");
        assert_eq!(Utc(i64::MAX).to_string(), i64::MAX.to_string());
        for d in [-1000i64, 0, 59, 60, 365, 10_957, 2_932_896] {
            let (y, m, dd) = civil_from_days(d);
            assert_eq!(days_from_civil(y, m, dd), d);
        }
    }

    #[test]
    fn check_now_range() {
        assert!(check_now(0).is_ok());
        assert!(check_now(MAX_TIME).is_ok());
        assert!(check_now(-1).is_err());
        assert!(check_now(MAX_TIME + 1).is_err());
        assert!(check_now(i64::MIN).is_err());
        assert!(check_now(i64::MAX).is_err());
    }
}
