//! Handlers: thin functions that check the caller ([`crate::http::extract::Auth`]), read the
//! request, call one service function, and answer JSON or a problem. The role each route needs
//! is the table in `docs/SERVER.md`, which the integration tests replay.

pub mod accounts;
pub mod hub;
pub mod ops;
pub mod root;

use std::sync::Arc;

use axum::extract::FromRef;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use super::metrics::Metrics;
use super::problem::Problem;
use crate::service::accounts::Accounts;
use crate::service::alerts::AlertWatch;
use crate::service::hub::Hub;
use crate::service::root::Root;
use crate::service::Health;

type ApiResult<T = Response> = Result<T, Problem>;

fn created<T: serde::Serialize>(v: T) -> Response {
    (StatusCode::CREATED, Json(v)).into_response()
}

/// State of the account routes.
#[derive(Clone)]
pub struct AccountsState {
    /// Accounts.
    pub accounts: Arc<Accounts>,
    /// The database's health.
    pub health: Health,
}

/// State of the Hub routes.
#[derive(Clone)]
pub struct HubState {
    /// The Hub.
    pub hub: Arc<Hub>,
    /// Accounts (for [`crate::http::extract::Auth`]).
    pub accounts: Arc<Accounts>,
    /// Validations and deliveries are counted.
    pub metrics: Arc<Metrics>,
}

/// State of the Root routes.
#[derive(Clone)]
pub struct RootState {
    /// The Root.
    pub root: Arc<Root>,
    /// Accounts (for [`crate::http::extract::Auth`]).
    pub accounts: Arc<Accounts>,
}

/// State of the operations routes.
#[derive(Clone)]
pub struct OpsState {
    /// Accounts (for [`crate::http::extract::Auth`]).
    pub accounts: Arc<Accounts>,
    /// The database's health.
    pub health: Health,
    /// The Hub, when served (gauges, alerts).
    pub hub: Option<Arc<Hub>>,
    /// Counters and histograms.
    pub metrics: Arc<Metrics>,
    /// Alerts already logged.
    pub alerts: Arc<AlertWatch>,
    /// The bearer token that reads `/metrics` (a signed-in user's token does too).
    pub metrics_token: Option<Arc<str>>,
    /// `/metrics` needs no token (its own listen address).
    pub metrics_open: bool,
}

macro_rules! accounts_from {
    ($($s:ty),*) => {$(
        impl FromRef<$s> for Arc<Accounts> {
            fn from_ref(s: &$s) -> Arc<Accounts> {
                Arc::clone(&s.accounts)
            }
        }
    )*};
}
accounts_from!(AccountsState, HubState, RootState, OpsState);

macro_rules! realm_of {
    ($($s:ty => $r:expr),*) => {$(
        impl crate::http::extract::RouteRealm for $s {
            fn route_realm(&self) -> Option<crate::domain::Realm> {
                $r
            }
        }
    )*};
}
// Root routes take Root tokens, Hub routes Hub tokens, the others the token's own realm.
realm_of!(
    AccountsState => None,
    HubState => Some(crate::domain::Realm::Hub),
    RootState => Some(crate::domain::Realm::Root),
    OpsState => None
);
