//! `revocation_lists`: the current signed revocation list of each CML.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// The stored list of the CML `cml_id`.
pub async fn get_list(c: &mut AnyConnection, cml_id: &str) -> Result<Option<String>, StoreError> {
    let row = sqlx::query("SELECT jws FROM revocation_lists WHERE cml_id = $1")
        .bind(cml_id)
        .fetch_optional(c)
        .await?;
    row.map(|r| get(&r, 0)).transpose()
}

/// Stores the list of `cml_id` with sequence `seq`, replacing the previous one.
pub async fn put(
    c: &mut AnyConnection,
    cml_id: &str,
    seq: i64,
    jws: &str,
) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO revocation_lists (cml_id, seq, jws) VALUES ($1, $2, $3) \
         ON CONFLICT (cml_id) DO UPDATE SET seq = excluded.seq, jws = excluded.jws",
    )
    .bind(cml_id)
    .bind(seq)
    .bind(jws)
    .execute(c)
    .await?;
    Ok(())
}

/// Stores `jws` as the first list (sequence 0) of `cml_id` unless it has one.
pub async fn put_first(c: &mut AnyConnection, cml_id: &str, jws: &str) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO revocation_lists (cml_id, seq, jws) VALUES ($1, 0, $2) \
         ON CONFLICT (cml_id) DO NOTHING",
    )
    .bind(cml_id)
    .bind(jws)
    .execute(c)
    .await?;
    Ok(())
}
