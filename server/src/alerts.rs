//! Operational alerts of a Hub, computed from its stored state at a given time: the CML expiring
//! within [`CML_EXPIRY_WARN_DAYS`] days (or expired), active sites above
//! [`SITES_WARN_PERCENT`]% of `max_sites`, and no manifest accepted by the Root for
//! [`MANIFEST_OVERDUE_DAYS`] days (counted from the first CML upload when none was ever sent).
//! Served at `GET /api/alerts`; an [`AlertWatch`] logs each alert once when it appears (warn)
//! and once when it clears (info), from the periodic check of `serve` and from every read.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::hub::Hub;
use crate::problem::Problem;

/// A CML this close to its `valid_until` raises `cml_expiring`.
pub const CML_EXPIRY_WARN_DAYS: i64 = 7;
/// Active sites above this share of `max_sites` raise `sites_near_limit`.
pub const SITES_WARN_PERCENT: i64 = 90;
/// No manifest accepted for this long raises `manifest_overdue`.
pub const MANIFEST_OVERDUE_DAYS: i64 = 45;

const DAY: i64 = 86_400;

/// One alert.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Alert {
    /// `cml_expiring`, `cml_expired`, `sites_near_limit` or `manifest_overdue`.
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

/// The alerts of `hub` at unix time `now` (none without an installed CML).
pub async fn current(hub: &Hub, now: i64) -> Result<Vec<Alert>, Problem> {
    let Some(cml) = hub.active_cml().await? else {
        return Ok(Vec::new());
    };
    let c = &cml.claims;
    let mut out = Vec::new();
    if now >= c.valid_until {
        out.push(Alert {
            kind: "cml_expired".into(),
            severity: "critical".into(),
            message: format!(
                "the CML {} expired {} day(s) ago; upload a refreshed CML",
                c.license_id,
                (now - c.valid_until) / DAY
            ),
            since: Some(c.valid_until),
            details: serde_json::json!({"license_id": c.license_id, "valid_until": c.valid_until,
                "grace_days": c.grace_days}),
        });
    } else if c.valid_until - now <= CML_EXPIRY_WARN_DAYS * DAY {
        let left = c.valid_until - now;
        out.push(Alert {
            kind: "cml_expiring".into(),
            severity: "warning".into(),
            message: format!(
                "the CML {} expires in {} day(s) {} hour(s); ask the Root for a refresh",
                c.license_id,
                left / DAY,
                (left % DAY) / 3600
            ),
            since: Some(c.valid_until - CML_EXPIRY_WARN_DAYS * DAY),
            details: serde_json::json!({"license_id": c.license_id, "valid_until": c.valid_until,
                "seconds_left": left}),
        });
    }
    let active: i64 = sqlx::query("SELECT count(*) FROM sites WHERE status = 'active'")
        .fetch_one(&hub.db.pool)
        .await?
        .try_get(0)?;
    let max = i64::from(c.max_sites);
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
    let row = sqlx::query(
        "SELECT (SELECT max(sent_at) FROM manifests WHERE status = 'sent'), \
                (SELECT min(installed_at) FROM hub_cmls)",
    )
    .fetch_one(&hub.db.pool)
    .await?;
    let last_sent: Option<i64> = row.try_get(0)?;
    let first_upload: Option<i64> = row.try_get(1)?;
    if let Some(from) = last_sent.or(first_upload) {
        if now - from >= MANIFEST_OVERDUE_DAYS * DAY {
            let what = match last_sent {
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
                details: serde_json::json!({"last_sent_at": last_sent, "cml_uploaded_at": first_upload}),
            });
        }
    }
    Ok(out)
}

/// A change [`AlertWatch::observe`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// An alert of this kind appeared.
    Raised(String),
    /// The alert of this kind no longer holds.
    Cleared(String),
}

/// Remembers which alerts hold, to log each one when it appears and when it clears.
#[derive(Debug, Default)]
pub struct AlertWatch {
    active: Mutex<BTreeMap<String, String>>,
}

impl AlertWatch {
    /// Records the alerts that hold now; logs (and returns) what changed since the last call.
    pub fn observe(&self, alerts: &[Alert]) -> Vec<Change> {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        let mut changes = Vec::new();
        for a in alerts {
            if active.get(&a.kind) != Some(&a.severity) {
                tracing::warn!(
                    alert = a.kind.as_str(),
                    severity = a.severity.as_str(),
                    "alert: {}",
                    a.message
                );
                active.insert(a.kind.clone(), a.severity.clone());
                changes.push(Change::Raised(a.kind.clone()));
            }
        }
        let gone: Vec<String> = active
            .keys()
            .filter(|k| !alerts.iter().any(|a| &a.kind == *k))
            .cloned()
            .collect();
        for k in gone {
            tracing::info!(alert = k.as_str(), "alert cleared");
            active.remove(&k);
            changes.push(Change::Cleared(k));
        }
        changes
    }

    /// The kinds that held at the last observation.
    pub fn active(&self) -> Vec<String> {
        self.active
            .lock()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default()
    }
}
