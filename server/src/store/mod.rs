//! Storage: the only layer with SQL. One connection pool over SQLite (default, one file in the
//! data directory) or PostgreSQL (`postgres://` URL), the schema migrations for both, one
//! repository module per table, and the write transaction that serialises every change that
//! counts sites or appends to the ledger (`write_tx!`).
//!
//! All SQL is portable: `$n` placeholders (SQLite reads them by number too), BIGINT/TEXT columns
//! only, `INSERT … ON CONFLICT`, `RETURNING`. Queries are built at run time (`sqlx::query`), so
//! nothing needs a database at build time. Every repository function takes a connection
//! (`&mut AnyConnection`: a pooled connection from [`Db::conn`], or a write transaction), and
//! answers plain values or row structs; every failure is a [`StoreError`], whose
//! [`StoreError::Busy`] variant is what `write_tx!` retries.
//!
//! Imports: `domain` only.

mod error;
mod migrate;
mod pool;

pub mod activity;
pub mod audit;
pub mod hub_cmls;
pub mod hub_state;
pub mod ledger;
pub mod manifest_schedule;
pub mod manifests;
pub mod receipt_keys;
pub mod revocation_lists;
pub mod root_cmls;
pub mod root_keys;
pub mod root_manifests;
pub mod secrets;
pub mod service_tokens;
pub mod sites;
pub mod trusted_roots;
pub mod users;

pub use error::{Retry, StoreError};
pub use pool::{sqlite_url, Backend, Conn, Db, Tx, BUSY_RETRIES, BUSY_TIMEOUT_MS};
pub use sqlx::AnyConnection as Connection;

/// Runs a write transaction body, retrying the whole transaction while the database is busy.
///
/// `write_tx!(db, E, |tx| body)`: `db` is a [`Db`], `E` the body's error type (it must be
/// `From<StoreError>` and [`Retry`]); the body sees `tx` (a [`Tx`]) and evaluates to
/// `Result<T, E>`. On SQLite the body waits for this process's write turn and runs under
/// `BEGIN IMMEDIATE`. The transaction commits on `Ok` and rolls back on `Err`; a body whose
/// error [`Retry::is_busy`] is run again, up to [`BUSY_RETRIES`] times with backoff, and then
/// answers that (busy) error, never another.
macro_rules! write_tx {
    ($db:expr, $err:ty, |$tx:ident| $body:expr) => {{
        let db: &$crate::store::Db = $db;
        let mut attempt = 0u32;
        loop {
            let result: ::std::result::Result<_, $err> = async {
                let _turn = db.write_turn().await;
                let mut $tx = db.begin_write().await?;
                let out: ::std::result::Result<_, $err> = async { $body }.await;
                match out {
                    Ok(v) => {
                        $tx.commit()
                            .await
                            .map_err($crate::store::StoreError::from)?;
                        Ok(v)
                    }
                    Err(e) => {
                        let _ = $tx.rollback().await;
                        Err(e)
                    }
                }
            }
            .await;
            match result {
                Err(e)
                    if $crate::store::Retry::is_busy(&e)
                        && attempt < $crate::store::BUSY_RETRIES =>
                {
                    attempt += 1;
                    tokio::time::sleep($crate::store::Db::backoff(attempt)).await;
                }
                other => break other,
            }
        }
    }};
}
pub(crate) use write_tx;

/// Decodes column `i` of `row`.
fn get<T>(row: &sqlx::any::AnyRow, i: usize) -> Result<T, StoreError>
where
    T: for<'r> sqlx::Decode<'r, sqlx::Any> + sqlx::Type<sqlx::Any>,
{
    use sqlx::Row;
    Ok(row.try_get(i)?)
}
