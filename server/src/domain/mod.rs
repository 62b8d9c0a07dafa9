//! Domain: the rules the server adds on top of core, as pure functions over plain values (no
//! I/O, no clock, no database, no HTTP). Core decides everything about signed documents; this
//! layer decides what only a Root or Hub needs: names and limits of inputs, when an alert holds,
//! when an org is overdue, how a site stands at the end of a month, and the server's own JSON
//! forms of values that core also has. (Rules over time that core owns — a CML's standing, which
//! months a manifest may cover, a manifest's statistics — are called from core, not repeated.)
//!
//! Imports: core, `std` and pure libraries (serde, the csv reader) only; every other layer may
//! import this one.

pub mod alerts;
pub mod compliance;
pub mod csv;
pub mod inputs;
pub mod period;
pub mod role;
pub mod usage;
pub mod values;

pub use role::{Realm, Role};
pub use values::{EnvironmentName, SiteFingerprint, TierCount};

/// A rule of this layer that an input breaks.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// A value is malformed or out of its bounds (the message says which and why).
    #[error("{0}")]
    Invalid(String),
}

impl RuleError {
    /// A [`RuleError::Invalid`] with `message`.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }
}

/// Seconds per day.
pub const DAY: i64 = 86_400;
