//! Alerts of a running Hub: computed by [`crate::domain::alerts`] from the Hub's stored state
//! at its clock, and an [`AlertWatch`] that logs each alert once when it appears (warn) and once
//! when it clears (info), from the periodic check of `serve` and from every read.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub use crate::domain::alerts::Alert;

use super::hub::Hub;
use super::ServiceError;
use crate::domain::alerts;

/// The alerts of `hub` now, at its clock (none without an installed CML).
pub async fn current(hub: &Hub) -> Result<Vec<Alert>, ServiceError> {
    Ok(match hub.alert_facts().await? {
        Some(facts) => alerts::evaluate(&facts, hub.now()),
        None => Vec::new(),
    })
}

/// A change [`AlertWatch::observe`] found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Change {
    /// An alert of this kind appeared.
    Raised(String),
    /// The alert of this kind no longer holds.
    Cleared(String),
}

/// Remembers which alerts hold, to log each one when it appears and when it clears.
#[derive(Debug, Default)]
pub struct AlertWatch {
    active: Mutex<BTreeMap<String, String>>,
}

impl AlertWatch {
    /// Records the alerts that hold now; logs (and returns) what changed since the last call.
    pub fn observe(&self, alerts: &[Alert]) -> Vec<Change> {
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        let mut changes = Vec::new();
        for a in alerts {
            if active.get(&a.kind) != Some(&a.severity) {
                tracing::warn!(
                    alert = a.kind.as_str(),
                    severity = a.severity.as_str(),
                    "alert: {}",
                    a.message
                );
                active.insert(a.kind.clone(), a.severity.clone());
                changes.push(Change::Raised(a.kind.clone()));
            }
        }
        let gone: Vec<String> = active
            .keys()
            .filter(|k| !alerts.iter().any(|a| &a.kind == *k))
            .cloned()
            .collect();
        for k in gone {
            tracing::info!(alert = k.as_str(), "alert cleared");
            active.remove(&k);
            changes.push(Change::Cleared(k));
        }
        changes
    }

    /// The kinds that held at the last observation.
    pub fn active(&self) -> Vec<String> {
        self.active
            .lock()
            .map(|a| a.keys().cloned().collect())
            .unwrap_or_default()
    }
}

/// Checks the alerts of `hub` every `every` and logs changes to `watch`, until aborted.
pub fn watch(
    hub: Arc<Hub>,
    watch: Arc<AlertWatch>,
    every: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            match current(&hub).await {
                Ok(list) => {
                    watch.observe(&list);
                }
                Err(e) => tracing::warn!("alert check failed: {e}"),
            }
        }
    })
}
