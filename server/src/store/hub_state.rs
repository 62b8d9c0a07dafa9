//! `hub_state`: the single row that holds the ledger head and the revocation list counter, and
//! whose lock serialises the Hub's writers on PostgreSQL.

use sqlx::AnyConnection;

use super::{get, Backend, Db, StoreError};

/// The recorded ledger head.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LedgerHead {
    /// Entries.
    pub length: i64,
    /// The newest entry's id (64 zeros for none).
    pub head: String,
    /// The newest entry's time.
    pub last_at: i64,
}

/// Serialises Hub writers that count sites or append to the ledger: locks the `hub_state` row
/// (`SELECT … FOR UPDATE`) on PostgreSQL; a no-op on SQLite, where [`Db::begin_write`] already
/// holds the write lock. Call it inside a write transaction.
pub async fn lock(db: &Db, c: &mut AnyConnection) -> Result<(), StoreError> {
    if db.backend() == Backend::Postgres {
        sqlx::query("SELECT id FROM hub_state WHERE id = 1 FOR UPDATE")
            .fetch_one(c)
            .await?;
    }
    Ok(())
}

/// The recorded ledger head.
pub async fn ledger_head(c: &mut AnyConnection) -> Result<LedgerHead, StoreError> {
    let row = sqlx::query(
        "SELECT ledger_length, ledger_head, ledger_last_at FROM hub_state WHERE id = 1",
    )
    .fetch_one(c)
    .await?;
    Ok(LedgerHead {
        length: get(&row, 0)?,
        head: get(&row, 1)?,
        last_at: get(&row, 2)?,
    })
}

/// Records a new ledger head.
pub async fn set_ledger_head(c: &mut AnyConnection, h: &LedgerHead) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE hub_state SET ledger_length = $1, ledger_head = $2, ledger_last_at = $3 WHERE id = 1",
    )
    .bind(h.length)
    .bind(&h.head)
    .bind(h.last_at)
    .execute(c)
    .await?;
    Ok(())
}

/// Takes the next revocation list sequence number (a global counter; call it under [`lock`]).
pub async fn next_revocation_seq(c: &mut AnyConnection) -> Result<i64, StoreError> {
    let seq: i64 = get(
        &sqlx::query("SELECT revocation_seq FROM hub_state WHERE id = 1")
            .fetch_one(&mut *c)
            .await?,
        0,
    )?;
    let seq = seq + 1;
    sqlx::query("UPDATE hub_state SET revocation_seq = $1 WHERE id = 1")
        .bind(seq)
        .execute(c)
        .await?;
    Ok(seq)
}
