//! The time the services read: a [`Clock`] passed in when they open (core's trait, so the Hub's
//! validator reads the same one), the system clock by default. Tests pass a [`ManualClock`]
//! and move it: expiry, overdue manifests and token lifetimes follow.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

pub use hwf_license::Clock;

/// A clock shared by every service of a process.
pub type SharedClock = Arc<dyn Clock>;

/// The operating system's clock.
pub fn system() -> SharedClock {
    Arc::new(hwf_license::SystemClock)
}

/// A clock that stands still until moved (for tests and what-if runs).
#[derive(Debug)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock at unix time `t`.
    pub fn new(t: i64) -> Arc<Self> {
        Arc::new(Self(AtomicI64::new(t)))
    }

    /// A clock at the system's time now.
    pub fn at_system_time() -> Arc<Self> {
        Self::new(hwf_license::SystemClock.now())
    }

    /// Moves the clock to `t`.
    pub fn set(&self, t: i64) {
        self.0.store(t, Ordering::SeqCst);
    }

    /// Moves the clock forward by `secs`.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A [`SharedClock`] as a clock of its own (what a core validator builder takes).
#[derive(Clone)]
pub(crate) struct ClockHandle(pub(crate) SharedClock);

impl Clock for ClockHandle {
    fn now(&self) -> i64 {
        self.0.now()
    }
}
