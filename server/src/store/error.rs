//! Storage failures, typed: the write retry and the layers above decide on the variant.

/// Why a storage call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The database is busy (SQLite BUSY/LOCKED, a PostgreSQL serialisation failure, deadlock or
    /// lock timeout, or no pool connection in time): the same call may succeed later.
    #[error("the database stayed busy; retry shortly")]
    Busy,
    /// The database URL names no supported engine.
    #[error("database URL must start with sqlite: or postgres://")]
    BadUrl,
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Open(#[source] sqlx::Error),
    /// A stored value does not decode (the row names what).
    #[error("a stored value does not decode: {0}")]
    Corrupt(String),
    /// Any other database error.
    #[error("database: {0}")]
    Database(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if is_busy(&e) {
            Self::Busy
        } else {
            Self::Database(e)
        }
    }
}

/// Errors that can say "busy, run the transaction again" (see `store::write_tx!`).
pub trait Retry {
    /// Whether the failure is [`StoreError::Busy`].
    fn is_busy(&self) -> bool;
}

impl Retry for StoreError {
    fn is_busy(&self) -> bool {
        matches!(self, Self::Busy)
    }
}

/// Whether an error means "busy, try again".
fn is_busy(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::PoolTimedOut => true,
        sqlx::Error::Database(d) => {
            let code = d.code().unwrap_or_default();
            let primary = code.parse::<u32>().map(|c| c & 0xff).ok();
            matches!(primary, Some(5 | 6))
                || matches!(code.as_ref(), "40001" | "40P01" | "55P03")
                || d.message().contains("database is locked")
        }
        _ => false,
    }
}
