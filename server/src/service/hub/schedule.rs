//! The monthly send on its own: from a configured day and hour (UTC; default the 1st, just after
//! midnight) the Hub generates the previous month's manifest and sends it to the Root with the
//! retries of [`Hub::send_manifest`]. Any number of replicas may run the schedule on one
//! database: a period is claimed with a lease on its `manifest_schedule` row (one conditional
//! `UPDATE`), so exactly one replica generates and sends it; the others find it claimed or done.
//! A failed send keeps the claim for [`RETRY_SECS`] and is then taken again; every delivery
//! attempt is recorded on the manifest as for a manual send (`GET /api/manifests`), and the
//! overdue alert is raised as before while no receipt has verified.

use serde::Serialize;

use super::Hub;
use crate::domain::period;
use crate::service::audit::Actor;
use crate::service::ServiceError;
use crate::store::{manifest_schedule, write_tx};

/// How long a claim holds while its replica generates and sends (longer than a send with all
/// its retries takes).
pub const LEASE_SECS: i64 = 900;
/// How long after a failed send the schedule tries the period again.
pub const RETRY_SECS: i64 = 3600;

/// What one run of the schedule did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ScheduleRun {
    /// The schedule is off, or this month's day and hour have not come yet.
    NotDue,
    /// No CML is installed: nothing to report.
    NoCml,
    /// The period's manifest was delivered already (by the schedule or by hand).
    Done {
        /// `YYYY-MM`.
        period: String,
    },
    /// Another replica holds the period's claim (or a failed send waits for its retry).
    Claimed {
        /// `YYYY-MM`.
        period: String,
    },
    /// This run generated (if needed) and delivered the manifest; its receipt verified.
    Sent {
        /// `YYYY-MM`.
        period: String,
        /// The manifest's id.
        id: String,
    },
    /// This run could not deliver it (or the period is not one a manifest may cover); retried
    /// after [`RETRY_SECS`] unless `final_`.
    Failed {
        /// `YYYY-MM`.
        period: String,
        /// What went wrong.
        error: String,
        /// Not retried (the Root rejected it, or the period is outside the CML's life).
        #[serde(rename = "final")]
        final_: bool,
    },
}

impl Hub {
    /// One run of the monthly schedule as `replica` at the Hub's clock: the previous month's
    /// manifest is generated and sent once `day` at `hour` UTC has come this month (`day` 0:
    /// never). See the module documentation for how replicas share it.
    pub async fn run_schedule(
        &self,
        day: u32,
        hour: u32,
        replica: &str,
    ) -> Result<ScheduleRun, ServiceError> {
        let t = self.now();
        let Some(period) = period::scheduled_period(t, day, hour) else {
            return Ok(ScheduleRun::NotDue);
        };
        if self
            .manifest_of_period(&period)
            .await?
            .is_some_and(|m| m.status == "sent")
        {
            return Ok(ScheduleRun::Done { period });
        }
        let Some(cml) = self.active_cml().await? else {
            return Ok(ScheduleRun::NoCml);
        };
        let claimed = write_tx!(&self.db, ServiceError, |tx| {
            Ok(manifest_schedule::claim(&mut tx, &period, replica, t, t + LEASE_SECS).await?)
        })?;
        if !claimed {
            let row = manifest_schedule::get_period(&mut *self.db.conn().await?, &period).await?;
            return Ok(match row.and_then(|r| r.done_at) {
                Some(_) => ScheduleRun::Done { period },
                None => ScheduleRun::Claimed { period },
            });
        }
        // A system actor (no account, no second factor), audited as `system:manifest-schedule`.
        let actor = Actor::system("manifest-schedule");
        let run = match hwf_license::check_manifest_period(&cml.claims, &period, t) {
            Err(e) => ScheduleRun::Failed {
                period: period.clone(),
                error: e.to_string(),
                final_: true,
            },
            Ok(_) => match self.generate_manifest(&period, &actor).await {
                Err(e) => ScheduleRun::Failed {
                    period: period.clone(),
                    error: e.to_string(),
                    final_: false,
                },
                Ok((m, _)) => match self.send_manifest(&m.id, None, &actor).await {
                    Ok(_) => ScheduleRun::Sent {
                        period: period.clone(),
                        id: m.id,
                    },
                    Err(e) => ScheduleRun::Failed {
                        period: period.clone(),
                        final_: matches!(e, ServiceError::Delivery { rejected: true, .. }),
                        error: e.to_string(),
                    },
                },
            },
        };
        let end = self.now();
        let (done_at, error) = match &run {
            ScheduleRun::Sent { .. } => (Some(end), None),
            ScheduleRun::Failed { error, final_, .. } => {
                (final_.then_some(end), Some(error.as_str()))
            }
            _ => (None, None),
        };
        write_tx!(&self.db, ServiceError, |tx| {
            Ok(manifest_schedule::finish(
                &mut tx,
                &period,
                replica,
                done_at,
                end + RETRY_SECS,
                error,
            )
            .await?)
        })?;
        Ok(run)
    }
}
