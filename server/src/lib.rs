//! # hwf-license-server
//!
//! The reference Root and Hub service for hwf-license, and its operator CLI (`hwf-license`).
//! The **Root** (A-Stack) issues CMLs and receives monthly usage manifests; a **Hub** holds a
//! CML, mints site licenses, answers heartbeats, keeps the signed usage ledger and sends the
//! monthly manifest. All signing and verification goes through the `hwf-license` core crate.
//!
//! | module | holds |
//! |--------|-------|
//! | [`db`] | the SQLite/PostgreSQL pool, migrations, the serialised write transaction |
//! | [`keys_at_rest`] | AES-256-GCM sealing of private keys under the master secret |
//! | [`auth`] | users, Argon2id passwords, HS256 tokens, roles |
//! | [`audit`] | the audit log |
//! | [`ledger`] | the signed, hash-chained usage ledger |
//! | [`hub`] | the Hub service |
//! | [`root`] | the Root service |
//! | [`api`] | HTTP routes |
//! | [`problem`] | RFC 9457 problem responses |
//! | [`ops`] | request ids, access log, rate limits, health, metrics and alerts endpoints |
//! | [`metrics`] | Prometheus counters and histograms |
//! | [`ratelimit`] | per-IP token buckets |
//! | [`alerts`] | operational alerts (CML expiry, site limit, overdue manifest) |
//! | [`openapi`] | the OpenAPI 3 document, generated from the handlers' annotations |
//! | [`cli`] | the `hwf-license` command line |
//! | [`demo`] | the end-to-end scenario of `hwf-license demo` |
//!
//! See `docs/SERVER.md` for the API, the role table and operations.

#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod alerts;
pub mod api;
pub mod audit;
pub mod auth;
pub mod cli;
pub mod db;
pub mod demo;
pub mod hub;
pub mod keys_at_rest;
pub mod ledger;
pub mod metrics;
pub mod openapi;
pub mod ops;
pub mod problem;
pub mod ratelimit;
pub mod root;

use std::net::SocketAddr;
use std::sync::Arc;

use hwf_license::Environment;

use crate::alerts::AlertWatch;
use crate::auth::{AuthKey, HashCost};
use crate::db::Db;
use crate::hub::Hub;
use crate::keys_at_rest::Sealer;
use crate::metrics::Metrics;
use crate::problem::Problem;
use crate::ratelimit::RateLimits;
use crate::root::Root;

/// The current time in unix seconds.
pub fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The bounds `[start, end)` of a manifest `period` under `cml`, or 422 `manifest-period`
/// (422 `invalid-input` when it is not `YYYY-MM`). A period qualifies when it has started at `now`
/// (allowing core's clock skew), ends after the CML was issued and starts before its grace
/// ends. The Root applies it to every manifest it receives and the Hub before it signs one, so
/// a Hub never generates a manifest its Root must refuse.
pub fn manifest_period(
    cml: &hwf_license::CmlClaims,
    period: &str,
    now: i64,
) -> Result<(i64, i64), Problem> {
    let (start, end) = hwf_license::time::period_bounds(period)
        .ok_or_else(|| Problem::invalid("period must be YYYY-MM"))?;
    let out_of_range = |why: &str| {
        Err(Problem::new(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "manifest-period",
            "Manifest period out of range",
            format!("period {period} {why}"),
        ))
    };
    if start > now.saturating_add(hwf_license::CLOCK_SKEW) {
        return out_of_range("has not started");
    }
    if end <= cml.issued_at {
        return out_of_range("ended before its CML was issued");
    }
    let grace_end =
        hwf_license::time::grace_end(cml.valid_until, cml.grace_days).unwrap_or(i64::MAX);
    if start > grace_end {
        return out_of_range("starts after its CML's grace ended");
    }
    Ok((start, end))
}

/// The `YYYY-MM` period (UTC) containing unix time `t`.
pub fn period_of(t: i64) -> String {
    let (y, m, _) = hwf_license::time::civil_from_days(t.div_euclid(86_400));
    format!("{y:04}-{m:02}")
}

/// Which services a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Roles {
    /// The Root (A-Stack) only.
    Root,
    /// A Hub only.
    Hub,
    /// Both, in one process over one database (single-machine setup, the demo).
    Both,
}

/// How to open the services.
#[derive(Clone, Debug)]
pub struct Options {
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// The master secret that seals private keys and signs tokens.
    pub master_secret: String,
    /// Services to run.
    pub roles: Roles,
    /// The Hub validator's environment.
    pub environment: Environment,
    /// Where the Hub sends manifests (`http(s)://root-host:port`).
    pub root_url: Option<String>,
    /// Argon2id cost for new passwords.
    pub hash_cost: HashCost,
}

/// The opened services.
pub struct App {
    /// The database.
    pub db: Db,
    /// The key sealer.
    pub sealer: Sealer,
    /// The Hub, when served.
    pub hub: Option<Arc<Hub>>,
    /// The Root, when served.
    pub root: Option<Arc<Root>>,
    /// The first admin's generated password, when this start created it (print it once).
    pub admin_password: Option<String>,
    /// Rate limits of the routers built after this is set (default: [`RateLimits::default`]).
    pub limits: RateLimits,
    /// Request counters and histograms, validations and deliveries (`GET /metrics`).
    pub metrics: Arc<Metrics>,
    /// Alerts already logged.
    pub alerts: Arc<AlertWatch>,
    hash_cost: HashCost,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("hub", &self.hub.is_some())
            .field("root", &self.root.is_some())
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens the database (migrating it), the Root and/or Hub, and creates the first admin.
    pub async fn open(o: &Options) -> Result<Self, Problem> {
        let sealer = Sealer::new(&o.master_secret)?;
        let db = Db::connect(&o.database_url).await?;
        let root = match o.roles {
            Roles::Root | Roles::Both => {
                Some(Arc::new(Root::open(db.clone(), sealer.clone()).await?))
            }
            Roles::Hub => None,
        };
        let hub = match o.roles {
            Roles::Hub | Roles::Both => Some(Arc::new(
                Hub::open(db.clone(), &sealer, o.environment, o.root_url.clone()).await?,
            )),
            Roles::Root => None,
        };
        let admin_password = auth::bootstrap_admin(&db, o.hash_cost).await?;
        Ok(Self {
            db,
            sealer,
            hub,
            root,
            admin_password,
            limits: RateLimits::default(),
            metrics: Arc::default(),
            alerts: Arc::default(),
            hash_cost: o.hash_cost,
        })
    }

    /// The HTTP router of the opened services.
    pub fn router(&self) -> axum::Router {
        let key = AuthKey {
            key: *self.sealer.jwt_key(),
            db: self.db.clone(),
        };
        api::router(
            api::Common {
                db: self.db.clone(),
                key: key.clone(),
                cost: self.hash_cost,
            },
            self.hub.clone(),
            self.root.clone(),
            ops::Ops::new(
                self.metrics.clone(),
                self.alerts.clone(),
                self.limits,
                self.db.clone(),
                self.hub.clone(),
                key,
            ),
        )
    }

    /// Checks the alerts every `every` in a background task and logs each change (`None`
    /// without a Hub).
    pub fn watch_alerts(&self, every: std::time::Duration) -> Option<tokio::task::JoinHandle<()>> {
        self.hub
            .clone()
            .map(|hub| ops::watch_alerts(hub, self.alerts.clone(), every))
    }

    /// Serves on an already bound listener in a background task (bind port 0 first to learn
    /// an ephemeral port, e.g. to give the Hub its Root URL).
    pub fn spawn(&self, listener: tokio::net::TcpListener) -> tokio::task::JoinHandle<()> {
        let app = self.router();
        tokio::spawn(async move {
            let svc = app.into_make_service_with_connect_info::<SocketAddr>();
            if let Err(e) = axum::serve(listener, svc).await {
                tracing::error!("server stopped: {e}");
            }
        })
    }

    /// Serves on `addr` until Ctrl-C.
    pub async fn serve(&self, addr: SocketAddr) -> Result<(), Problem> {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Problem::internal(format_args!("cannot bind {addr}: {e}")))?;
        tracing::info!(
            login_limit = %self.limits.login,
            node_limit = %self.limits.node,
            "listening on http://{}",
            listener.local_addr().map_err(Problem::internal)?
        );
        let svc = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, svc)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(Problem::internal)
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    #[test]
    fn periods_are_utc_months() {
        assert_eq!(super::period_of(0), "1970-01");
        assert_eq!(super::period_of(1_767_225_599), "2025-12"); // 2025-12-31T23:59:59Z
        assert_eq!(super::period_of(1_767_225_600), "2026-01");
    }
}
