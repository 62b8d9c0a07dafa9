//! Usage periods the server needs beyond core's rules: the month before a time, and the bounds
//! of a period that must be well-formed. Which periods a manifest may cover is core's rule
//! (`hwf_license::check_manifest_period`), and so is the month of a time
//! (`hwf_license::standing::period_of`).

use hwf_license::standing::period_of;

use super::RuleError;

/// The period before the one containing `t`.
pub fn previous_period(t: i64) -> String {
    let (y, m, _) = hwf_license::time::civil_from_days(t.div_euclid(super::DAY));
    if m == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
    }
}

/// The period the monthly schedule sends at `t`: the previous month, once `t` has reached
/// `day` (1–28) at `hour` (0–23) UTC of the month containing `t`; `None` before that, or when
/// `day` is 0 (schedule off).
pub fn scheduled_period(t: i64, day: u32, hour: u32) -> Option<String> {
    if day == 0 {
        return None;
    }
    let (y, m, _) = hwf_license::time::civil_from_days(t.div_euclid(super::DAY));
    let due = hwf_license::time::days_from_civil(y, m, day) * super::DAY + i64::from(hour) * 3600;
    (t >= due).then(|| previous_period(t))
}

/// The start of the period containing `t`.
pub fn start_of_period(t: i64) -> i64 {
    hwf_license::time::period_bounds(&period_of(t)).map_or(0, |b| b.0)
}

/// The bounds `[start, end)` of `period`, or [`RuleError::Invalid`] when it is not `YYYY-MM`.
pub fn bounds(period: &str) -> Result<(i64, i64), RuleError> {
    hwf_license::time::period_bounds(period)
        .ok_or_else(|| RuleError::invalid("period must be YYYY-MM"))
}

/// The most months a trend or report spans (two years).
pub const MAX_MONTHS: usize = 24;

/// The periods from `from` to `to` (both `YYYY-MM`, inclusive), oldest first: at most
/// [`MAX_MONTHS`], `from` not after `to`, else [`RuleError::Invalid`].
pub fn months(from: &str, to: &str) -> Result<Vec<String>, RuleError> {
    let (start, _) = bounds(from)?;
    let (end, _) = bounds(to)?;
    if start > end {
        return Err(RuleError::invalid(format!(
            "the range starts ({from}) after it ends ({to})"
        )));
    }
    let (mut y, mut m, _) = hwf_license::time::civil_from_days(start.div_euclid(super::DAY));
    let mut out = Vec::new();
    loop {
        let p = format!("{y:04}-{m:02}");
        let last = p == to;
        out.push(p);
        if last {
            return Ok(out);
        }
        if out.len() == MAX_MONTHS {
            return Err(RuleError::invalid(format!(
                "a range spans at most {MAX_MONTHS} months ({from} to {to} is longer)"
            )));
        }
        (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    }
}

/// The start (unix seconds) of the UTC day `date` (`YYYY-MM-DD`, a real calendar day), or
/// [`RuleError::Invalid`].
pub fn day_start(date: &str) -> Result<i64, RuleError> {
    let bad = || RuleError::invalid(format!("{date:?} is not a date YYYY-MM-DD"));
    let b = date.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, RuleError> {
        let s = &date[r];
        if !s.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        s.parse().map_err(|_| bad())
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    if !(1..=12).contains(&m) || d < 1 {
        return Err(bad());
    }
    let days = hwf_license::time::days_from_civil(y, m as u32, d as u32);
    // A day past the month's end (e.g. 02-30) lands in the next month: refused.
    if hwf_license::time::civil_from_days(days) != (y, m as u32, d as u32) {
        return Err(bad());
    }
    Ok(days * super::DAY)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_before_and_bounds() {
        assert_eq!(previous_period(1_767_225_600), "2025-12"); // 2026-01-01T00:00:00Z
        assert_eq!(previous_period(1_767_225_599), "2025-11");
        assert_eq!(start_of_period(1_767_225_600 + 86_400), 1_767_225_600);
        assert_eq!(bounds("2026-01").unwrap().0, 1_767_225_600);
        assert!(bounds("2026-1").is_err());
    }

    #[test]
    fn the_schedule_is_due_from_its_day_and_hour() {
        let feb1 = 1_769_904_000; // 2026-02-01T00:00:00Z
                                  // Jan 31 23:59:59: still January's run (December).
        assert_eq!(scheduled_period(feb1 - 1, 1, 0).as_deref(), Some("2025-12"));
        assert_eq!(scheduled_period(feb1, 1, 0).as_deref(), Some("2026-01"));
        assert_eq!(scheduled_period(feb1 + 3599, 1, 1), None);
        assert_eq!(
            scheduled_period(feb1 + 3600, 1, 1).as_deref(),
            Some("2026-01")
        );
        assert_eq!(scheduled_period(feb1 + 86_400, 3, 0), None);
        assert_eq!(
            scheduled_period(feb1 + 2 * 86_400, 3, 0).as_deref(),
            Some("2026-01")
        );
        assert_eq!(scheduled_period(feb1, 0, 0), None);
    }

    #[test]
    fn months_of_a_range() {
        assert_eq!(
            months("2025-11", "2026-02").unwrap(),
            ["2025-11", "2025-12", "2026-01", "2026-02"]
        );
        assert_eq!(months("2026-03", "2026-03").unwrap(), ["2026-03"]);
        assert_eq!(months("2024-01", "2025-12").unwrap().len(), MAX_MONTHS);
        assert!(months("2024-01", "2026-01")
            .unwrap_err()
            .to_string()
            .contains("at most 24"));
        assert!(months("2026-02", "2026-01")
            .unwrap_err()
            .to_string()
            .contains("after it ends"));
        assert!(months("2026-13", "2026-12").is_err());
        assert!(months("2026-01", "26-02").is_err());
    }

    #[test]
    fn days_are_real_calendar_days() {
        assert_eq!(day_start("2026-01-01").unwrap(), 1_767_225_600);
        assert_eq!(day_start("2024-02-29").unwrap(), 1_709_164_800);
        for bad in [
            "2025-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-01-00",
            "2026-1-01",
            "+026-01-01",
            "2026-01-0x",
            "",
        ] {
            assert!(day_start(bad).is_err(), "{bad}");
        }
    }
}
