//! The composition root: opens the services with a [`Config`] and a clock, builds the HTTP
//! router over them, and serves it (or runs the alert watch). The CLI and the demo start here.
//!
//! Imports: `http`, `service`, `config`, `tls` (the layers below them come with those).

use std::sync::Arc;

use crate::config::{Config, Roles};
use crate::http::metrics::Metrics;
use crate::http::serve::{serve, ServeOptions};
use crate::http::RouterOptions;
use crate::service::alerts::AlertWatch;
use crate::service::clock::{self, SharedClock};
use crate::service::{ServiceError, Services};
use crate::tls::ServerTls;

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

    /// The HTTP router of the opened services, as served over plain HTTP.
    pub fn router(&self) -> axum::Router {
        self.router_for(false)
    }

    fn router_for(&self, tls: bool) -> axum::Router {
        crate::http::router(
            &self.services,
            &self.config.http,
            self.metrics.clone(),
            self.alerts.clone(),
            &RouterOptions {
                tls,
                metrics_token: self.config.secrets.metrics_token.clone(),
            },
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

    /// Serves plain HTTP on an already bound listener in a background task (bind port 0 first
    /// to learn an ephemeral port, e.g. to give the Hub its Root URL), with the timeouts and
    /// connection limits of the configuration. For tests and the demo on a loopback address;
    /// `serve` speaks HTTPS.
    pub fn spawn(&self, listener: tokio::net::TcpListener) -> tokio::task::JoinHandle<()> {
        self.spawn_on(listener, None)
    }

    /// [`App::spawn`] over TLS with `tls`.
    pub fn spawn_tls(
        &self,
        listener: tokio::net::TcpListener,
        tls: &ServerTls,
    ) -> tokio::task::JoinHandle<()> {
        self.spawn_on(listener, Some(tls))
    }

    fn spawn_on(
        &self,
        listener: tokio::net::TcpListener,
        tls: Option<&ServerTls>,
    ) -> tokio::task::JoinHandle<()> {
        let app = self.router_for(tls.is_some());
        let opts = ServeOptions::new(&self.config.http, tls.map(|t| t.config.clone()));
        tokio::spawn(serve(listener, app, opts, std::future::pending()))
    }

    /// Serves on `config.http.listen` until Ctrl-C or SIGTERM: HTTPS (see [`server_tls`];
    /// the certificate's SHA-256 fingerprint is logged, for `--root-fingerprint` and clients
    /// that pin it), and `/metrics` on `config.http.metrics_listen` when set.
    pub async fn serve(&self) -> Result<(), ServiceError> {
        let tls = server_tls(&self.config)?;
        let addr = self.config.http.listen;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ServiceError::internal(format_args!("cannot bind {addr}: {e}")))?;
        let local = listener.local_addr().map_err(ServiceError::internal)?;
        match &tls {
            Some(t) => tracing::info!(
                fingerprint = t.fingerprint.as_str(),
                certificate = %t.cert_path.display(),
                generated = t.generated,
                "TLS certificate SHA-256 fingerprint {}",
                t.fingerprint
            ),
            None => tracing::warn!("serving plain HTTP (--insecure-http): no TLS on {local}"),
        }
        if let Some(m) = self.config.http.metrics_listen {
            let ml = tokio::net::TcpListener::bind(m)
                .await
                .map_err(|e| ServiceError::internal(format_args!("cannot bind {m}: {e}")))?;
            tracing::info!("metrics on http://{m}/metrics");
            let router = crate::http::metrics_router(
                &self.services,
                self.metrics.clone(),
                self.alerts.clone(),
            );
            let opts = ServeOptions::new(&self.config.http, None);
            tokio::spawn(serve(ml, router, opts, std::future::pending()));
        }
        let h = &self.config.http;
        tracing::info!(
            login_limit = %h.rate_limit_login,
            node_limit = %h.rate_limit_node,
            public_limit = %h.rate_limit_public,
            manifest_limit = %h.rate_limit_manifest,
            export_limit = %h.rate_limit_export,
            max_connections = h.max_connections,
            max_connections_per_ip = h.max_connections_per_ip,
            verify_workers = self.services.cpu.workers(),
            "listening on {}://{local}",
            if tls.is_some() { "https" } else { "http" },
        );
        let router = self.router_for(tls.is_some());
        let opts = ServeOptions::new(h, tls.map(|t| t.config));
        serve(listener, router, opts, shutdown_signal()).await;
        // The validation counts held in memory (service::hub::activity) are written before the
        // process ends, so stopping the service loses none of them.
        if let Some(hub) = &self.services.hub {
            if let Err(e) = hub.flush_activity().await {
                tracing::warn!("node activity not written at shutdown: {e}");
            }
        }
        Ok(())
    }
}

/// What `serve` presents for `config`: `--tls-cert`/`--tls-key`, else the self-signed certificate of the
/// data directory (generated on first start); `None` with `--insecure-http`, which is
/// refused on an address other than loopback unless a TLS-terminating proxy is trusted.
pub fn server_tls(config: &Config) -> Result<Option<ServerTls>, ServiceError> {
    let http = &config.http;
    if http.insecure_http {
        if !http.listen.ip().is_loopback() && http.trusted_proxies.is_empty() {
            return Err(ServiceError::Config(format!(
                "--insecure-http serves plain HTTP only on a loopback address, or behind a \
                 TLS-terminating proxy named in --trusted-proxies (not on {})",
                http.listen
            )));
        }
        return Ok(None);
    }
    let config_err = |e: crate::tls::TlsError| ServiceError::Config(e.to_string());
    let tls = match (&http.tls_cert, &http.tls_key) {
        (Some(cert), Some(key)) => {
            crate::tls::server(cert, key, http.tls_min_version).map_err(config_err)?
        }
        _ => {
            let ip = http.listen.ip();
            let names: Vec<String> = (!ip.is_unspecified())
                .then(|| ip.to_string())
                .into_iter()
                .collect();
            crate::tls::self_signed(&config.store.data_dir, &names, http.tls_min_version)
                .map_err(config_err)?
        }
    };
    Ok(Some(tls))
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
