//! The composition root: opens the services with a [`Config`] and a clock, builds the HTTP
//! router over them, and serves it (or runs the alert watch). The CLI and the demo start here.
//!
//! Imports: `http`, `service`, `config` (the layers below them come with those).

use std::net::SocketAddr;
use std::sync::Arc;

use crate::config::{Config, Roles};
use crate::http::metrics::Metrics;
use crate::service::alerts::AlertWatch;
use crate::service::clock::{self, SharedClock};
use crate::service::{ServiceError, Services};

/// A process's opened services and what serving them needs.
pub struct App {
    /// The services.
    pub services: Services,
    /// The configuration they were opened with (the HTTP settings apply to routers built
    /// after a change).
    pub config: Config,
    /// Request counters and histograms, validations and deliveries (`GET /metrics`).
    pub metrics: Arc<Metrics>,
    /// Alerts already logged.
    pub alerts: Arc<AlertWatch>,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("services", &self.services)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Opens `roles` with `config` at the system clock.
    pub async fn open(config: &Config, roles: Roles) -> Result<Self, ServiceError> {
        Self::open_with_clock(config, roles, clock::system()).await
    }

    /// Opens `roles` with `config`, every service reading `clock`.
    pub async fn open_with_clock(
        config: &Config,
        roles: Roles,
        clock: SharedClock,
    ) -> Result<Self, ServiceError> {
        let services = Services::open(config, roles, clock).await?;
        Ok(Self {
            services,
            config: config.clone(),
            metrics: Arc::default(),
            alerts: Arc::default(),
        })
    }

    /// The HTTP router of the opened services.
    pub fn router(&self) -> axum::Router {
        crate::http::router(
            &self.services,
            &self.config.http,
            self.metrics.clone(),
            self.alerts.clone(),
        )
    }

    /// Checks the alerts every `config.hub.alert_interval` seconds in a background task and logs
    /// each change (`None` without a Hub).
    pub fn watch_alerts(&self) -> Option<tokio::task::JoinHandle<()>> {
        let every = std::time::Duration::from_secs(self.config.hub.alert_interval.max(1));
        self.services
            .hub
            .clone()
            .map(|hub| crate::service::alerts::watch(hub, self.alerts.clone(), every))
    }

    /// Runs the Hub's monthly manifest schedule (`config.hub.manifest_day` and `manifest_hour`,
    /// checked every `manifest_check_interval` seconds) in a background task, as one replica
    /// among any others on the database (`None` without a Hub or with the schedule off).
    pub fn watch_manifests(&self) -> Option<tokio::task::JoinHandle<()>> {
        let hub = self.services.hub.clone()?;
        let c = &self.config.hub;
        if c.manifest_day == 0 {
            return None;
        }
        let (day, hour) = (c.manifest_day, c.manifest_hour);
        let every = std::time::Duration::from_secs(c.manifest_check_interval.max(1));
        let replica = crate::service::keys::random_id("replica-");
        Some(tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                match hub.run_schedule(day, hour, &replica).await {
                    Ok(run @ crate::service::hub::ScheduleRun::Sent { .. }) => {
                        tracing::info!(?run, "scheduled manifest sent")
                    }
                    Ok(run @ crate::service::hub::ScheduleRun::Failed { .. }) => {
                        tracing::warn!(?run, "scheduled manifest not delivered")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!("manifest schedule failed: {e}"),
                }
            }
        }))
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

    /// Serves on `config.http.listen` until Ctrl-C or SIGTERM.
    pub async fn serve(&self) -> Result<(), ServiceError> {
        let addr = self.config.http.listen;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ServiceError::internal(format_args!("cannot bind {addr}: {e}")))?;
        tracing::info!(
            login_limit = %self.config.http.rate_limit_login,
            node_limit = %self.config.http.rate_limit_node,
            "listening on http://{}",
            listener.local_addr().map_err(ServiceError::internal)?
        );
        let svc = self
            .router()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, svc)
            .with_graceful_shutdown(shutdown_signal())
            .await
            .map_err(ServiceError::internal)
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
