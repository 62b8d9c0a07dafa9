//! Domain: the rules the server adds on top of core, as pure functions over plain values (no
//! I/O, no clock, no database, no HTTP). Core decides everything about signed documents; this
//! layer decides what only a Root or Hub needs: names and limits of inputs, which manifest
//! periods qualify, how a CML stands for an operator, when an alert holds, when an org is
//! overdue, and the server's own JSON forms of values that core also has.
//!
//! Imports: core and `std` only; every other layer may import this one.

pub mod alerts;
pub mod cml;
pub mod compliance;
pub mod inputs;
pub mod period;
pub mod role;
pub mod usage;
pub mod values;

pub use role::Role;
pub use values::{EnvironmentName, SiteFingerprint, TierCount};

/// A rule of this layer that an input breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A value is malformed or out of its bounds (the message says which and why).
    #[error("{0}")]
    Invalid(String),
    /// A manifest period that has not started or lies outside its CML's life.
    #[error("period {period} {why}")]
    ManifestPeriod {
        /// The period, `YYYY-MM`.
        period: String,
        /// Why it does not qualify.
        why: &'static str,
    },
}

impl RuleError {
    /// A [`RuleError::Invalid`] with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

/// Seconds per day.
pub const DAY: i64 = 86_400;
