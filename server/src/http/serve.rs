//! Serving: the accept loop in front of the router. Each connection is admitted under the
//! global and per-address connection limits (beyond them it is closed at once), makes its TLS
//! handshake within the header timeout (when served over TLS), and is served by hyper's HTTP/1
//! with a header-read timeout (a half-sent header, or a kept-alive connection idle for longer,
//! is closed) and a body timeout (a body that stalls between two reads fails the request). The
//! request timeout is the router's ([`super::middleware::track`]).
//!
//! Running out of file descriptors (`EMFILE`) does not stop the loop: it waits and accepts
//! again, and the timeouts free the descriptors that slow clients hold.

use std::convert::Infallible;
use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use dashmap::DashMap;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower_http::timeout::TimeoutBody;
use tower_service::Service;

use super::ratelimit::ClientKey;
use crate::config::HttpConfig;

/// Most bytes of a request's head (request line and headers) hyper buffers.
pub const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most header fields of a request.
pub const MAX_HEADERS: usize = 100;
/// How long a graceful shutdown waits for open requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// How connections are served.
#[derive(Clone)]
pub struct ServeOptions {
    /// The TLS configuration (`None`: plain HTTP).
    pub tls: Option<Arc<rustls::ServerConfig>>,
    /// The handshake and header-read timeout (also the keep-alive idle timeout).
    pub header_timeout: Duration,
    /// Longest stall between two reads of a request body.
    pub body_timeout: Duration,
    /// The connection limits.
    pub limits: Arc<ConnLimits>,
}

impl std::fmt::Debug for ServeOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServeOptions")
            .field("tls", &self.tls.is_some())
            .field("header_timeout", &self.header_timeout)
            .field("body_timeout", &self.body_timeout)
            .finish_non_exhaustive()
    }
}

impl ServeOptions {
    /// The options of `config` over `tls`.
    pub fn new(config: &HttpConfig, tls: Option<Arc<rustls::ServerConfig>>) -> Self {
        Self {
            tls,
            header_timeout: Duration::from_secs(config.header_timeout),
            body_timeout: Duration::from_secs(config.body_timeout),
            limits: Arc::new(ConnLimits::new(config)),
        }
    }
}

/// The global and per-address limits on open connections. A trusted proxy counts only
/// against the global limit (it carries many clients).
pub struct ConnLimits {
    global: Arc<Semaphore>,
    max: usize,
    per_ip: DashMap<ClientKey, u32>,
    per_ip_max: u32,
    trusted: Vec<crate::config::Cidr>,
    refused: AtomicU64,
}

impl std::fmt::Debug for ConnLimits {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnLimits")
            .field("open", &self.open())
            .field("max", &self.max)
            .field("per_ip_max", &self.per_ip_max)
            .finish()
    }
}

/// An admitted connection's place; dropping it frees the place.
#[derive(Debug)]
pub struct ConnGuard {
    limits: Arc<ConnLimits>,
    key: Option<ClientKey>,
    _global: tokio::sync::OwnedSemaphorePermit,
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        if let Some(key) = self.key {
            self.limits.per_ip.remove_if_mut(&key, |_, n| {
                *n -= 1;
                *n == 0
            });
        }
    }
}

impl ConnLimits {
    /// The limits of `config`.
    pub fn new(config: &HttpConfig) -> Self {
        let max = config.max_connections.max(1) as usize;
        Self {
            global: Arc::new(Semaphore::new(max)),
            max,
            per_ip: DashMap::new(),
            per_ip_max: config.max_connections_per_ip.max(1),
            trusted: config.trusted_proxies.clone(),
            refused: AtomicU64::new(0),
        }
    }

    /// A place for a connection from `ip`, or `None` when a limit is reached.
    pub fn admit(self: &Arc<Self>, ip: IpAddr) -> Option<ConnGuard> {
        let Ok(permit) = Arc::clone(&self.global).try_acquire_owned() else {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return None;
        };
        let key = if self.trusted.iter().any(|c| c.contains(ip)) {
            None
        } else {
            let key = ClientKey::of(ip);
            let mut n = self.per_ip.entry(key).or_insert(0);
            if *n >= self.per_ip_max {
                drop(n);
                self.refused.fetch_add(1, Ordering::Relaxed);
                return None;
            }
            *n += 1;
            Some(key)
        };
        Some(ConnGuard {
            limits: Arc::clone(self),
            key,
            _global: permit,
        })
    }

    /// Connections open now.
    pub fn open(&self) -> usize {
        self.max - self.global.available_permits()
    }

    /// Connections closed at once because a limit was reached.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

/// Serves `router` on `listener` with `opts` until `shutdown` resolves, then lets open
/// requests finish (at most [`SHUTDOWN_GRACE`]).
pub async fn serve(
    listener: TcpListener,
    router: Router,
    opts: ServeOptions,
    shutdown: impl Future<Output = ()> + Send,
) {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let acceptor = opts.tls.clone().map(tokio_rustls::TlsAcceptor::from);
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(opts.header_timeout)
        .max_buf_size(MAX_HEAD_BYTES)
        .max_headers(MAX_HEADERS)
        .keep_alive(true);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    if !is_connection_error(&e) {
                        // EMFILE / ENFILE: wait for descriptors to be freed.
                        tracing::warn!("accept failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let Some(place) = opts.limits.admit(peer.ip()) else {
            tracing::debug!(peer = %peer, "connection limit reached: closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let svc = ConnService {
            router: router.clone(),
            peer,
            body_timeout: opts.body_timeout,
        };
        let http = http.clone();
        let watcher = graceful.watcher();
        let acceptor = acceptor.clone();
        let header_timeout = opts.header_timeout;
        tokio::spawn(async move {
            let _place = place;
            let svc = hyper::service::service_fn(move |req| svc.clone().call_hyper(req));
            match acceptor {
                Some(acceptor) => {
                    let tls =
                        match tokio::time::timeout(header_timeout, acceptor.accept(stream)).await {
                            Ok(Ok(s)) => s,
                            Ok(Err(e)) => {
                                tracing::debug!(peer = %peer, "TLS handshake failed: {e}");
                                return;
                            }
                            Err(_) => {
                                tracing::debug!(peer = %peer, "TLS handshake timed out");
                                return;
                            }
                        };
                    let conn = http.serve_connection(TokioIo::new(tls), svc);
                    let _ = watcher.watch(conn).await;
                }
                None => {
                    let conn = http.serve_connection(TokioIo::new(stream), svc);
                    let _ = watcher.watch(conn).await;
                }
            }
        });
    }
    drop(listener);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("requests still open after {SHUTDOWN_GRACE:?}: closed");
    }
}

/// Errors of one incoming connection, not of the listener.
fn is_connection_error(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    )
}

/// The router as one connection's service: the peer address in `ConnectInfo`, the body under
/// its timeout.
#[derive(Clone)]
struct ConnService {
    router: Router,
    peer: SocketAddr,
    body_timeout: Duration,
}

impl ConnService {
    async fn call_hyper(
        mut self,
        req: hyper::Request<Incoming>,
    ) -> Result<axum::response::Response, Infallible> {
        let timeout = self.body_timeout;
        let mut req = req.map(|b| Body::new(TimeoutBody::new(timeout, b)));
        req.extensions_mut().insert(ConnectInfo(self.peer));
        self.router.call(req).await
    }
}
