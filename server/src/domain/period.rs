//! Usage periods: the UTC month `YYYY-MM` of a time, the month before, and which periods a
//! manifest may report (one rule for the Root that receives and the Hub that generates).

use hwf_license::CmlClaims;

use super::RuleError;

/// The `YYYY-MM` period (UTC) containing unix time `t`.
pub fn period_of(t: i64) -> String {
    let (y, m, _) = hwf_license::time::civil_from_days(t.div_euclid(super::DAY));
    format!("{y:04}-{m:02}")
}

/// The period before the one containing `t`.
pub fn previous_period(t: i64) -> String {
    let (y, m, _) = hwf_license::time::civil_from_days(t.div_euclid(super::DAY));
    if m == 1 {
        format!("{:04}-12", y - 1)
    } else {
        format!("{y:04}-{:02}", m - 1)
    }
}

/// The bounds `[start, end)` of `period`, or [`RuleError::Invalid`] when it is not `YYYY-MM`.
pub fn bounds(period: &str) -> Result<(i64, i64), RuleError> {
    hwf_license::time::period_bounds(period)
        .ok_or_else(|| RuleError::invalid("period must be YYYY-MM"))
}

/// The bounds `[start, end)` of a manifest `period` under `cml`, or
/// [`RuleError::ManifestPeriod`] ([`RuleError::Invalid`] when it is not `YYYY-MM`). A period
/// qualifies when it has started at `now` (allowing core's clock skew), ends after the CML was
/// issued and starts before its grace ends. The Root applies it to every manifest it receives
/// and the Hub before it signs one, so a Hub never generates a manifest its Root must refuse.
pub fn manifest_period(cml: &CmlClaims, period: &str, now: i64) -> Result<(i64, i64), RuleError> {
    let (start, end) = bounds(period)?;
    let out_of_range = |why| {
        Err(RuleError::ManifestPeriod {
            period: period.into(),
            why,
        })
    };
    if start > now.saturating_add(hwf_license::CLOCK_SKEW) {
        return out_of_range("has not started");
    }
    if end <= cml.issued_at {
        return out_of_range("ended before its CML was issued");
    }
    let grace_end =
        hwf_license::time::grace_end(cml.valid_until, cml.grace_days).unwrap_or(i64::MAX);
    if start > grace_end {
        return out_of_range("starts after its CML's grace ended");
    }
    Ok((start, end))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_utc_months() {
        assert_eq!(period_of(0), "1970-01");
        assert_eq!(period_of(1_767_225_599), "2025-12"); // 2025-12-31T23:59:59Z
        assert_eq!(period_of(1_767_225_600), "2026-01");
        assert_eq!(previous_period(1_767_225_600), "2025-12");
        assert_eq!(previous_period(1_767_225_599), "2025-11");
    }

    #[test]
    fn a_manifest_period_must_have_started_and_lie_within_the_cml() {
        let cml = CmlClaims {
            issued_at: 1_767_225_600, // 2026-01-01
            valid_until: 1_767_225_600 + 31 * 86_400,
            grace_days: 0,
            ..Default::default()
        };
        let now = 1_767_225_600 + 40 * 86_400; // 2026-02-10
        assert!(manifest_period(&cml, "2026-01", now).is_ok());
        assert!(manifest_period(&cml, "2026-02", now).is_ok());
        for (p, why) in [
            ("2026-03", "has not started"),
            ("2025-12", "ended before its CML was issued"),
        ] {
            assert_eq!(
                manifest_period(&cml, p, now),
                Err(RuleError::ManifestPeriod {
                    period: p.into(),
                    why
                })
            );
        }
        assert!(matches!(
            manifest_period(&cml, "2026-1", now),
            Err(RuleError::Invalid(_))
        ));
    }
}
