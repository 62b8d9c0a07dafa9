//! HTTP: the only layer that knows HTTP — the router, handlers, extractors, problem+json
//! answers (the one table from service errors to statuses), the OpenAPI document, metrics and
//! rate limits. A handler reads the request, calls one service function and answers.
//!
//! Imports: `service`, `domain`, `config`; never `store` (SQL stays below the services), `cli`
//! or `demo`.

pub mod console;
pub mod extract;
pub mod handlers;
pub mod metrics;
pub mod middleware;
pub mod openapi;
pub mod problem;
pub mod ratelimit;
pub mod serve;
pub mod wire;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{delete, get, post};
use axum::Router;

use self::handlers::{accounts, hub, ops, root, AccountsState, HubState, OpsState, RootState};
use self::metrics::Metrics;
use self::middleware::Layer;
use self::ratelimit::Limiter;
use crate::config::HttpConfig;
use crate::service::alerts::AlertWatch;
use crate::service::Services;

/// Body limit of Hub and account routes.
pub const HUB_BODY_LIMIT: usize = 256 * 1024;
/// Body limit of Root routes (manifests list every site).
pub const ROOT_BODY_LIMIT: usize = 8 * 1024 * 1024;

/// How the router answers besides the services' settings: whether it is served over TLS
/// (HSTS), and the `/metrics` token.
#[derive(Clone, Debug, Default)]
pub struct RouterOptions {
    /// Served over TLS.
    pub tls: bool,
    /// The bearer token that reads `/metrics` (besides a signed-in user's token).
    pub metrics_token: Option<String>,
}

/// The router for the services opened: account and operations routes always, Hub and Root
/// routes when run; every request passes the middlewares of [`middleware`] with the rate
/// limits of `config`, counted in `metrics`.
pub fn router(
    services: &Services,
    config: &HttpConfig,
    metrics: Arc<Metrics>,
    alerts: Arc<AlertWatch>,
    options: &RouterOptions,
) -> Router {
    let accounts_state = AccountsState {
        accounts: services.accounts.clone(),
        health: services.health(),
    };
    let mut app = Router::new()
        .route("/api/health", get(accounts::health))
        .route("/api/auth/login", post(accounts::login))
        .route("/api/auth/logout", post(accounts::logout))
        .route("/api/auth/password", post(accounts::change_password))
        .route("/api/auth/step-up", post(accounts::step_up))
        .route("/api/auth/totp/enrol", post(accounts::totp_enrol))
        .route("/api/auth/totp/confirm", post(accounts::totp_confirm))
        .route(
            "/api/users",
            get(accounts::list_users).post(accounts::create_user),
        )
        .route("/api/users/{username}", delete(accounts::delete_user))
        .route("/api/users/{username}/role", post(accounts::set_role))
        .route("/api/users/{username}/unlock", post(accounts::unlock_user))
        .route(
            "/api/service-tokens",
            get(accounts::service_tokens).post(accounts::create_service_token),
        )
        .route(
            "/api/service-tokens/{id}",
            delete(accounts::revoke_service_token),
        )
        .route("/api/audit", get(accounts::audit_log))
        .with_state(accounts_state)
        .layer(DefaultBodyLimit::max(HUB_BODY_LIMIT));
    if let Some(h) = &services.hub {
        app = app.merge(
            Router::new()
                .route("/api/cml", get(hub::cml_get))
                .route("/api/cml/upload", post(hub::cml_upload))
                .route("/api/cml/refresh", post(hub::cml_refresh))
                .route("/api/sites", get(hub::sites_list))
                .route("/api/sites/export", get(hub::sites_export))
                .route("/api/sites/create", post(hub::site_create))
                .route(
                    "/api/sites/{site_id}",
                    get(hub::site_get).delete(hub::site_revoke),
                )
                .route("/api/sites/{site_id}/license", get(hub::site_license))
                .route("/api/sites/{site_id}/heartbeat", post(hub::site_heartbeat))
                .route("/api/validate", post(hub::validate))
                .route("/api/stats", get(hub::stats))
                .route("/api/ledger", get(hub::ledger_page))
                .route("/api/ledger/verify", get(hub::ledger_verify))
                .route("/api/manifests", get(hub::manifests_list))
                .route("/api/manifests/generate", post(hub::manifest_generate))
                .route("/api/manifests/send", post(hub::manifest_send))
                .route("/api/manifests/{id}/download", get(hub::manifest_download))
                .route("/api/manifests/{id}/receipt", post(hub::manifest_receipt))
                .with_state(HubState {
                    hub: h.clone(),
                    accounts: services.accounts.clone(),
                    metrics: metrics.clone(),
                })
                .layer(DefaultBodyLimit::max(HUB_BODY_LIMIT)),
        );
    }
    if let Some(r) = &services.root {
        app = app.merge(
            Router::new()
                .route("/api/root/cml", post(root::root_issue))
                .route("/api/root/cml/refresh", post(root::root_refresh))
                .route("/api/root/orgs", get(root::root_orgs))
                .route("/api/root/keys", get(root::root_keys))
                .route("/api/root/manifests", post(root::root_receive))
                .with_state(RootState {
                    root: r.clone(),
                    accounts: services.accounts.clone(),
                })
                .layer(DefaultBodyLimit::max(ROOT_BODY_LIMIT)),
        );
    }
    let ops_routes = Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics_text))
        .route("/api/alerts", get(ops::alerts_list))
        .route("/api/openapi.json", get(openapi::openapi_json))
        .with_state(OpsState {
            accounts: services.accounts.clone(),
            health: services.health(),
            hub: services.hub.clone(),
            metrics: metrics.clone(),
            alerts,
            metrics_token: options.metrics_token.clone().map(Arc::from),
            metrics_open: false,
        });
    let layer = Layer {
        metrics,
        login: Arc::new(Limiter::new(config.rate_limit_login)),
        node: Arc::new(Limiter::new(config.rate_limit_node)),
        public: Arc::new(Limiter::new(config.rate_limit_public)),
        manifest: Arc::new(Limiter::new(config.rate_limit_manifest)),
        export: Arc::new(Limiter::new(config.rate_limit_export)),
        trusted_proxies: config.trusted_proxies.clone().into(),
        tls: options.tls,
        request_timeout: std::time::Duration::from_secs(config.request_timeout),
    };
    if let Some(h) = &services.hub {
        // The Hub's web console at `/`.
        app = app.merge(console::router(console::ConsoleState {
            accounts: services.accounts.clone(),
            hub: h.clone(),
            tls: options.tls,
        }));
    }
    if let Some(r) = &services.root {
        // The Root's console at `/root/` (with the assets when no Hub console serves them).
        app = app.merge(console::root::router(
            console::root::RootConsoleState {
                accounts: services.accounts.clone(),
                root: r.clone(),
                tls: options.tls,
            },
            services.hub.is_none(),
        ));
    }
    let console_served = services.hub.is_some() || services.root.is_some();
    app.merge(ops_routes)
        .route_layer(axum::middleware::from_fn_with_state(
            layer.clone(),
            middleware::guard,
        ))
        .fallback(
            move |uri: axum::http::Uri, headers: axum::http::HeaderMap| {
                no_route(console_served, uri, headers)
            },
        )
        .method_not_allowed_fallback(problem::no_method)
        .layer(axum::middleware::from_fn_with_state(
            layer,
            middleware::track,
        ))
}

/// The router of `--metrics-listen`: `GET /metrics` without a token (the address is the
/// protection: keep it private), with the security headers.
pub fn metrics_router(
    services: &Services,
    metrics: Arc<Metrics>,
    alerts: Arc<AlertWatch>,
) -> Router {
    Router::new()
        .route("/metrics", get(ops::metrics_text))
        .with_state(OpsState {
            accounts: services.accounts.clone(),
            health: services.health(),
            hub: services.hub.clone(),
            metrics,
            alerts,
            metrics_token: None,
            metrics_open: true,
        })
        .fallback(problem::no_route)
        .layer(axum::middleware::map_response(
            |mut res: axum::response::Response| async move {
                middleware::security_headers(res.headers_mut(), false);
                res
            },
        ))
}

/// An unknown address: the console's "not found" page for a browser's request outside `/api/`
/// when the console is served (a person reads it), the API's `no-route` problem otherwise.
async fn no_route(
    console_served: bool,
    uri: axum::http::Uri,
    headers: axum::http::HeaderMap,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let wants_html = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let api = uri.path() == "/api" || uri.path().starts_with("/api/");
    if console_served && wants_html && !api {
        console::console_headers(console::error_page(
            axum::http::StatusCode::NOT_FOUND,
            "There is no page at this address. Check the link, or start again from the dashboard.",
        ))
        .await
    } else {
        problem::no_route().await.into_response()
    }
}
