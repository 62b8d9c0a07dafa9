//! Node activity per UTC day: how many heartbeats and validation results (`valid`, `grace`,
//! `invalid`) the Hub answered, for the dashboard's 30-day chart.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// Adds `n` to the count of `kind` on `day` (days since the epoch, UTC).
pub async fn add(c: &mut AnyConnection, day: i64, kind: &str, n: i64) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO node_activity (day, kind, count) VALUES ($1, $2, $3) \
         ON CONFLICT (day, kind) DO UPDATE SET count = node_activity.count + excluded.count",
    )
    .bind(day)
    .bind(kind)
    .bind(n)
    .execute(c)
    .await?;
    Ok(())
}

/// The counts of days `from..=to`: (day, kind, count), by day then kind.
pub async fn days(
    c: &mut AnyConnection,
    from: i64,
    to: i64,
) -> Result<Vec<(i64, String, i64)>, StoreError> {
    let rows = sqlx::query(
        "SELECT day, kind, count FROM node_activity WHERE day >= $1 AND day <= $2 \
         ORDER BY day, kind",
    )
    .bind(from)
    .bind(to)
    .fetch_all(c)
    .await?;
    rows.iter()
        .map(|r| Ok((get(r, 0)?, get(r, 1)?, get(r, 2)?)))
        .collect()
}
