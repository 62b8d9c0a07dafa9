//! Operational alerts of a Hub, from its stored state at a given time: the CML expiring within
//! [`CML_EXPIRY_WARN_DAYS`] days, past its end but in its grace period (its site licenses still
//! work), or past its grace end (core's [`hwf_license::cml_standing`] decides which), active sites above [`SITES_WARN_PERCENT`]% of
//! `max_sites`, and no manifest accepted by the Root for [`MANIFEST_OVERDUE_DAYS`] days (counted
//! from the first CML upload when none was ever sent).

use serde::{Deserialize, Serialize};

use hwf_license::standing::cml_grace_end;
use hwf_license::{cml_standing, CmlClaims, CmlStanding};

use super::DAY;

/// A CML this close to its `valid_until` raises `cml_expiring`.
pub const CML_EXPIRY_WARN_DAYS: i64 = 7;
/// Active sites above this share of `max_sites` raise `sites_near_limit`.
pub const SITES_WARN_PERCENT: i64 = 90;
/// No manifest accepted for this long raises `manifest_overdue`.
pub const MANIFEST_OVERDUE_DAYS: i64 = 45;
/// Every alert kind, in the order they are reported.
pub const KINDS: [&str; 5] = [
    "cml_expiring",
    "cml_grace",
    "cml_expired",
    "sites_near_limit",
    "manifest_overdue",
];

/// One alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// `cml_expiring`, `cml_grace`, `cml_expired`, `sites_near_limit` or `manifest_overdue`.
    pub kind: String,
    /// `warning` or `critical`.
    pub severity: String,
    /// What holds, for people.
    pub message: String,
    /// Since when the condition holds (unix seconds), when known.
    pub since: Option<i64>,
    /// The numbers behind it.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// What the alerts are computed from.
#[derive(Clone, Debug, Default)]
pub struct Facts {
    /// The installed CML's license id.
    pub license_id: String,
    /// Its end of validity (unix seconds).
    pub valid_until: i64,
    /// Its grace days.
    pub grace_days: u32,
    /// Its site limit.
    pub max_sites: u32,
    /// Active sites now.
    pub active_sites: i64,
    /// When the Root last accepted a manifest.
    pub last_sent_at: Option<i64>,
    /// When a CML was first uploaded.
    pub first_upload_at: Option<i64>,
}

/// The alerts that hold at `now`.
pub fn evaluate(f: &Facts, now: i64) -> Vec<Alert> {
    let mut out = Vec::new();
    let claims = CmlClaims {
        valid_until: f.valid_until,
        grace_days: f.grace_days,
        ..Default::default()
    };
    let grace_end = cml_grace_end(&claims);
    match cml_standing(&claims, now) {
        CmlStanding::Grace { days_left } => out.push(Alert {
            kind: "cml_grace".into(),
            severity: "critical".into(),
            message: format!(
                "the CML {} ended {} day(s) ago; its site licenses stop working in {days_left} \
                 day(s), when its grace period ends; upload a refreshed CML",
                f.license_id,
                (now - f.valid_until) / DAY
            ),
            since: Some(f.valid_until),
            details: serde_json::json!({"license_id": f.license_id, "valid_until": f.valid_until,
                "grace_days": f.grace_days, "grace_end": grace_end, "days_left": days_left}),
        }),
        CmlStanding::Expired { days_ago } => out.push(Alert {
            kind: "cml_expired".into(),
            severity: "critical".into(),
            message: format!(
                "the grace period of the CML {} ended {days_ago} day(s) ago: its site licenses \
                 no longer validate; upload a refreshed CML",
                f.license_id
            ),
            since: Some(grace_end),
            details: serde_json::json!({"license_id": f.license_id, "valid_until": f.valid_until,
                "grace_days": f.grace_days, "grace_end": grace_end}),
        }),
        CmlStanding::Valid { .. } | CmlStanding::Expiring { .. } => {}
    }
    if now < f.valid_until && f.valid_until - now <= CML_EXPIRY_WARN_DAYS * DAY {
        let left = f.valid_until - now;
        out.push(Alert {
            kind: "cml_expiring".into(),
            severity: "warning".into(),
            message: format!(
                "the CML {} expires in {} day(s) {} hour(s); ask the Root for a refresh",
                f.license_id,
                left / DAY,
                (left % DAY) / 3600
            ),
            since: Some(f.valid_until - CML_EXPIRY_WARN_DAYS * DAY),
            details: serde_json::json!({"license_id": f.license_id, "valid_until": f.valid_until,
                "seconds_left": left}),
        });
    }
    let (active, max) = (f.active_sites, i64::from(f.max_sites));
    if max > 0 && active * 100 > max * SITES_WARN_PERCENT {
        out.push(Alert {
            kind: "sites_near_limit".into(),
            severity: if active >= max { "critical" } else { "warning" }.into(),
            message: format!(
                "{active} of {max} site licenses are active (more than {SITES_WARN_PERCENT}%)"
            ),
            since: None,
            details: serde_json::json!({"active_sites": active, "max_sites": max}),
        });
    }
    if let Some(from) = f.last_sent_at.or(f.first_upload_at) {
        if now - from >= MANIFEST_OVERDUE_DAYS * DAY {
            let what = match f.last_sent_at {
                Some(_) => "the last manifest was accepted by the Root",
                None => "no manifest was ever sent; the CML was uploaded",
            };
            out.push(Alert {
                kind: "manifest_overdue".into(),
                severity: "warning".into(),
                message: format!(
                    "{what} {} days ago (limit {MANIFEST_OVERDUE_DAYS}); generate and send the manifest",
                    (now - from) / DAY
                ),
                since: Some(from + MANIFEST_OVERDUE_DAYS * DAY),
                details: serde_json::json!({"last_sent_at": f.last_sent_at,
                    "cml_uploaded_at": f.first_upload_at}),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(v: &[Alert]) -> Vec<&str> {
        v.iter().map(|a| a.kind.as_str()).collect()
    }

    #[test]
    fn each_rule_at_its_boundary() {
        let f = Facts {
            license_id: "cml-1".into(),
            valid_until: 100 * DAY,
            max_sites: 10,
            active_sites: 9,
            first_upload_at: Some(90 * DAY),
            ..Default::default()
        };
        assert!(evaluate(&f, 100 * DAY - 7 * DAY - 1).is_empty());
        assert_eq!(kinds(&evaluate(&f, 93 * DAY)), ["cml_expiring"]);
        let full = Facts {
            active_sites: 10,
            ..f.clone()
        };
        let a = evaluate(&full, 0);
        assert_eq!(
            (kinds(&a), a[0].severity.as_str()),
            (vec!["sites_near_limit"], "critical")
        );
        assert_eq!(kinds(&evaluate(&f, 100 * DAY)), ["cml_expired"]);
        // With a grace period: `cml_grace` from the end of validity, `cml_expired` from the
        // end of grace.
        let graced = Facts {
            grace_days: 30,
            ..f.clone()
        };
        assert_eq!(kinds(&evaluate(&graced, 100 * DAY - 1)), ["cml_expiring"]);
        assert_eq!(kinds(&evaluate(&graced, 100 * DAY)), ["cml_grace"]);
        assert_eq!(kinds(&evaluate(&graced, 130 * DAY - 1)), ["cml_grace"]);
        assert_eq!(kinds(&evaluate(&graced, 130 * DAY)), ["cml_expired"]);
        assert_eq!(evaluate(&graced, 130 * DAY)[0].since, Some(130 * DAY));
        assert_eq!(
            kinds(&evaluate(&f, 135 * DAY)),
            ["cml_expired", "manifest_overdue"]
        );
        let sent = Facts {
            last_sent_at: Some(120 * DAY),
            ..f
        };
        assert_eq!(kinds(&evaluate(&sent, 135 * DAY)), ["cml_expired"]);
    }
}
