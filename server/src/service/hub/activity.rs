//! What the dashboard shows besides the CML: node activity over the last days (heartbeats and
//! validation results per UTC day) and how many active site licenses expire within 30, 60 and
//! 90 days.
//!
//! Heartbeats are counted in their own write transaction. Validations are a read-only hot path
//! (`POST /api/validate`), so their results are counted in memory and added to the table when
//! the activity is read, when the alert watch runs (every `--alert-interval`, 300 s by default)
//! and when `serve` shuts down ([`Hub::flush_activity`]); a process that is killed loses at most
//! the counts since the last of these.

use serde::Serialize;

use super::Hub;
use crate::domain::DAY;
use crate::service::ServiceError;
use crate::store::{activity, sites as site_rows};

/// Most days of activity one read returns.
pub const MAX_ACTIVITY_DAYS: u32 = 366;
/// Most distinct (day, kind) counts held in memory before a flush is forced on the next read.
const MAX_PENDING: usize = 64;

/// One UTC day's node activity.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct DayActivity {
    /// Days since the epoch.
    pub day: i64,
    /// Heartbeats answered.
    pub heartbeats: i64,
    /// Validations answered `valid`.
    pub valid: i64,
    /// Validations answered `grace`.
    pub grace: i64,
    /// Validations core refused.
    pub invalid: i64,
}

/// Active site licenses expiring soon (each count includes the shorter ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Expiring {
    /// Within 30 days.
    pub within_30: i64,
    /// Within 60 days.
    pub within_60: i64,
    /// Within 90 days.
    pub within_90: i64,
}

impl Hub {
    /// Counts one validation result (`valid`, `grace`, `invalid`) for today, in memory.
    pub(super) fn count_validation(&self, kind: &'static str) {
        let day = self.now().div_euclid(DAY);
        let mut p = self
            .activity_pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if p.len() < MAX_PENDING || p.contains_key(&(day, kind)) {
            *p.entry((day, kind)).or_insert(0) += 1;
        } else {
            // Cannot happen within a flush interval (3 kinds a day); drop rather than grow.
            tracing::warn!("node activity counts not flushed; dropping one");
        }
    }

    /// Adds the validation results counted in memory to the table.
    pub async fn flush_activity(&self) -> Result<(), ServiceError> {
        let pending: Vec<((i64, &'static str), i64)> = {
            let mut p = self
                .activity_pending
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            std::mem::take(&mut *p).into_iter().collect()
        };
        if pending.is_empty() {
            return Ok(());
        }
        let mut c = self.db.conn().await?;
        for (i, ((day, kind), n)) in pending.iter().enumerate() {
            if let Err(e) = activity::add(&mut c, *day, kind, *n).await {
                // Put back what was not written, for the next flush.
                let mut p = self
                    .activity_pending
                    .lock()
                    .unwrap_or_else(|e| e.into_inner());
                for ((day, kind), n) in &pending[i..] {
                    *p.entry((*day, *kind)).or_insert(0) += n;
                }
                return Err(e.into());
            }
        }
        Ok(())
    }

    /// The node activity of the last `days` UTC days (today included, oldest first; at most
    /// [`MAX_ACTIVITY_DAYS`]), one entry per day, zero where nothing happened.
    pub async fn activity(&self, days: u32) -> Result<Vec<DayActivity>, ServiceError> {
        self.flush_activity().await?;
        let days = i64::from(days.clamp(1, MAX_ACTIVITY_DAYS));
        let today = self.now().div_euclid(DAY);
        let from = today - days + 1;
        let rows = activity::days(&mut *self.db.conn().await?, from, today).await?;
        let mut out: Vec<DayActivity> = (from..=today)
            .map(|day| DayActivity {
                day,
                ..DayActivity::default()
            })
            .collect();
        for (day, kind, n) in rows {
            let Some(d) = out.get_mut((day - from) as usize) else {
                continue;
            };
            match kind.as_str() {
                "heartbeat" => d.heartbeats += n,
                "valid" => d.valid += n,
                "grace" => d.grace += n,
                "invalid" => d.invalid += n,
                _ => {}
            }
        }
        Ok(out)
    }

    /// Active site licenses expiring within 30, 60 and 90 days of now.
    pub async fn expiring(&self) -> Result<Expiring, ServiceError> {
        let now = self.now();
        let mut c = self.db.conn().await?;
        let mut n = [0i64; 3];
        for (slot, days) in n.iter_mut().zip([30, 60, 90]) {
            *slot = site_rows::count_expiring(&mut c, now, now + days * DAY).await?;
        }
        Ok(Expiring {
            within_30: n[0],
            within_60: n[1],
            within_90: n[2],
        })
    }
}
