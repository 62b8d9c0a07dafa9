//! Rules about a CML over time that the Hub and the Root apply (not a node): the CML's standing
//! with days left, which months a usage manifest may cover, and a manifest's statistics from its
//! site list. One definition here, so the Hub that signs a manifest and the Root that receives it
//! agree, and every binding shows the same standing.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use crate::claims::{CmlClaims, ManifestSite, ManifestStats, ProductTierCount};
use crate::error::{Error, Result};
use crate::time::{self, CLOCK_SKEW, DAY, MAX_TIME};

/// A CML within this many days of `valid_until` is [`CmlStanding::Expiring`].
pub const EXPIRING_DAYS: i64 = 30;

/// Where a CML stands at a time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CmlStanding {
    /// Before `valid_until`, more than [`EXPIRING_DAYS`] days left.
    Valid {
        /// Whole days until `valid_until`, rounded up.
        days_left: u32,
    },
    /// Before `valid_until`, at most [`EXPIRING_DAYS`] days left.
    Expiring {
        /// Whole days until `valid_until`, rounded up.
        days_left: u32,
    },
    /// Past `valid_until`, within the grace period: its site licenses still work.
    Grace {
        /// Whole days until the end of grace, rounded up.
        days_left: u32,
    },
    /// Past the end of grace.
    Expired {
        /// Whole days since the end of grace, rounded down.
        days_ago: u32,
    },
}

impl CmlStanding {
    /// `"valid"`, `"expiring"`, `"grace"` or `"expired"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid { .. } => "valid",
            Self::Expiring { .. } => "expiring",
            Self::Grace { .. } => "grace",
            Self::Expired { .. } => "expired",
        }
    }

    /// Days left until `valid_until` (valid, expiring) or the end of grace (grace); `None` when
    /// expired.
    pub const fn days_left(self) -> Option<u32> {
        match self {
            Self::Valid { days_left }
            | Self::Expiring { days_left }
            | Self::Grace { days_left } => Some(days_left),
            Self::Expired { .. } => None,
        }
    }

    /// Whether its site licenses are still usable (valid, expiring or grace).
    pub const fn usable(self) -> bool {
        !matches!(self, Self::Expired { .. })
    }
}

fn days(secs: i64) -> u32 {
    u32::try_from(time::ceil_days(secs)).unwrap_or(u32::MAX)
}

/// The end of a CML's grace period.
pub fn cml_grace_end(cml: &CmlClaims) -> i64 {
    time::grace_end(cml.valid_until, cml.grace_days).unwrap_or(MAX_TIME)
}

/// The standing of `cml` at `now`.
pub fn cml_standing(cml: &CmlClaims, now: i64) -> CmlStanding {
    let grace_end = cml_grace_end(cml);
    if now < cml.valid_until {
        let left = cml.valid_until - now;
        if left <= EXPIRING_DAYS * DAY {
            CmlStanding::Expiring {
                days_left: days(left),
            }
        } else {
            CmlStanding::Valid {
                days_left: days(left),
            }
        }
    } else if now < grace_end {
        CmlStanding::Grace {
            days_left: days(grace_end - now),
        }
    } else {
        CmlStanding::Expired {
            days_ago: u32::try_from((now - grace_end) / DAY).unwrap_or(u32::MAX),
        }
    }
}

/// Checks that a usage manifest may cover `period` (`YYYY-MM`) under `cml` at `now`: the month
/// has started (by `now` + the clock skew), did not end before the CML was issued, and does not
/// start after the CML's grace ended. Returns the month's bounds `[start, end)` in unix seconds;
/// `manifest_invalid` otherwise.
pub fn check_manifest_period(cml: &CmlClaims, period: &str, now: i64) -> Result<(i64, i64)> {
    let (start, end) =
        time::period_bounds(period).ok_or(Error::ManifestInvalid("period is not YYYY-MM"))?;
    if start > now.saturating_add(CLOCK_SKEW) {
        return Err(Error::ManifestInvalid("the period has not started"));
    }
    if end <= cml.issued_at {
        return Err(Error::ManifestInvalid(
            "the period ended before its CML was issued",
        ));
    }
    if start > cml_grace_end(cml) {
        return Err(Error::ManifestInvalid(
            "the period starts after its CML's grace ended",
        ));
    }
    Ok((start, end))
}

/// The month (`YYYY-MM`, UTC) that contains `t`.
pub fn period_of(t: i64) -> String {
    let (y, m, _) = time::civil_from_days(t.div_euclid(DAY));
    alloc::format!("{y:04}-{m:02}")
}

/// A manifest's statistics from its site list: the active sites counted by product and tier
/// (sorted by product, then tier), their total, and the user counts given.
pub fn manifest_stats(sites: &[ManifestSite], admin_users: u32, total_users: u32) -> ManifestStats {
    let mut by: BTreeMap<(&str, &str), u32> = BTreeMap::new();
    for s in sites.iter().filter(|s| s.status == "active") {
        *by.entry((s.product.as_str(), s.tier.as_str())).or_default() += 1;
    }
    let sites_by_product_tier: Vec<ProductTierCount> = by
        .into_iter()
        .map(|((product, tier), count)| ProductTierCount {
            product: product.into(),
            tier: tier.into(),
            count,
        })
        .collect();
    let total_active_sites = sites_by_product_tier.iter().map(|c| c.count).sum();
    ManifestStats {
        admin_users,
        total_users,
        sites_by_product_tier,
        total_active_sites,
    }
}
