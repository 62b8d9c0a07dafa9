//! Where a validator reads the time: a [`Clock`] given to the builder.
//!
//! A validation "at the clock" ([`crate::Validator::validate`]) is the real thing: it may raise
//! the validator's clock floor to the time it read. A validation at a caller-chosen time
//! ([`crate::Validator::validate_at`]) is a what-if question and never writes the trust state.
//! With `std` the default clock is the system clock ([`SystemClock`]); without `std` the host
//! must give one (the WASM package gives `Date.now()`).

/// A source of the current time, in unix seconds.
pub trait Clock: Send + Sync {
    /// The current time in unix seconds. A value outside `0..=MAX_TIME` makes the call that
    /// read it fail with `invalid_argument`.
    fn now(&self) -> i64;
}

impl<F: Fn() -> i64 + Send + Sync> Clock for F {
    fn now(&self) -> i64 {
        self()
    }
}

/// The operating system's clock (`std` only).
#[cfg(feature = "std")]
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[cfg(feature = "std")]
impl Clock for SystemClock {
    fn now(&self) -> i64 {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            // Before 1970: out of range, so the call fails with invalid_argument.
            Err(_) => -1,
        }
    }
}
