//! `manifest_schedule`: one row per period the Hub's schedule sends, the claim (a lease) that
//! makes exactly one replica generate and send it, and how its runs went.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// A period's schedule row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScheduleRow {
    /// `YYYY-MM`.
    pub period: String,
    /// The replica that holds (or last held) the claim.
    pub claimed_by: Option<String>,
    /// Until when that claim holds (unix seconds).
    pub lease_until: i64,
    /// Runs so far.
    pub runs: i64,
    /// When the manifest was delivered (with a verified receipt).
    pub done_at: Option<i64>,
    /// The last run's error.
    pub last_error: Option<String>,
}

/// Claims `period` for `replica` until `lease_until` when nobody holds it and it is not done:
/// the row is created if absent (`ON CONFLICT DO NOTHING`), then taken with one conditional
/// `UPDATE`, atomic on SQLite and PostgreSQL alike. Answers whether this replica holds it.
pub async fn claim(
    c: &mut AnyConnection,
    period: &str,
    replica: &str,
    now: i64,
    lease_until: i64,
) -> Result<bool, StoreError> {
    sqlx::query(
        "INSERT INTO manifest_schedule (period, lease_until, runs) VALUES ($1, 0, 0) \
         ON CONFLICT (period) DO NOTHING",
    )
    .bind(period)
    .execute(&mut *c)
    .await?;
    let done = sqlx::query(
        "UPDATE manifest_schedule SET claimed_by = $1, lease_until = $2, runs = runs + 1 \
         WHERE period = $3 AND done_at IS NULL AND lease_until <= $4",
    )
    .bind(replica)
    .bind(lease_until)
    .bind(period)
    .bind(now)
    .execute(c)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a run of `period` by `replica`: done at `done_at`, or not (the claim then holds until
/// `retry_at`, when the next run may take it), with the run's error.
pub async fn finish(
    c: &mut AnyConnection,
    period: &str,
    replica: &str,
    done_at: Option<i64>,
    retry_at: i64,
    error: Option<&str>,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE manifest_schedule SET done_at = $1, lease_until = $2, last_error = $3 \
         WHERE period = $4 AND claimed_by = $5",
    )
    .bind(done_at)
    .bind(retry_at)
    .bind(error)
    .bind(period)
    .bind(replica)
    .execute(c)
    .await?;
    Ok(())
}

/// The schedule row of `period`.
pub async fn get_period(
    c: &mut AnyConnection,
    period: &str,
) -> Result<Option<ScheduleRow>, StoreError> {
    let row = sqlx::query(
        "SELECT period, claimed_by, lease_until, runs, done_at, last_error \
         FROM manifest_schedule WHERE period = $1",
    )
    .bind(period)
    .fetch_optional(c)
    .await?;
    row.map(|r| {
        Ok(ScheduleRow {
            period: get(&r, 0)?,
            claimed_by: get(&r, 1)?,
            lease_until: get(&r, 2)?,
            runs: get(&r, 3)?,
            done_at: get(&r, 4)?,
            last_error: get(&r, 5)?,
        })
    })
    .transpose()
}
