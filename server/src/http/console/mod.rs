//! The web console: server-rendered HTML pages for the Hub's operators at `/` (sign-in, the
//! dashboard, sites, manifests, the account), over the same services as the API — a handler
//! reads a form, calls one service function and renders a template or redirects. No rule of
//! its own lives here.
//!
//! - Templates are askama files under `server/templates/console/`, compiled into the binary;
//!   assets ([`assets`]) are embedded and served with a content hash in their URL.
//! - A [`session::Session`] is the API's own token in an HttpOnly, `SameSite=Strict` cookie
//!   (`Secure` under TLS); signing out revokes it as `POST /api/auth/logout` does.
//! - Every POST carries a CSRF token tied to the session ([`session::csrf_token`]): the
//!   [`csrf_guard`] middleware checks it on every POST route of this router, before any handler,
//!   and answers 403 without it, so no form can forget it.
//! - Every answer carries the security headers of [`console_headers`]: a strict
//!   Content-Security-Policy (no inline script or style; a handler may ask for
//!   `'wasm-unsafe-eval'` with [`WasmPage`]), no framing, `Referrer-Policy: same-origin`,
//!   `Cache-Control: no-store` on pages.
//! - Service errors become sentences a person understands ([`sentence`]), never raw JSON.
//!
//! The Root's console ([`root`]) lives under `/root/`, over the same session, CSRF and account
//! code ([`session::Pages`]) with the Root realm's accounts and its own cookie.

pub mod account;
pub mod assets;
pub mod dashboard;
pub mod manifests;
pub mod records;
pub mod root;
pub mod session;
pub mod sites;
pub mod stats;

use std::sync::Arc;

use askama::Template;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, FromRequest, Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::MethodRouter;
use axum::Router;

use self::session::{Flash, FlashKind};
use crate::domain::{Realm, Role};
use crate::service::accounts::Accounts;
use crate::service::hub::Hub;
use crate::service::ServiceError;

/// Largest console request body (a CSV import of a few thousand rows fits).
pub const CONSOLE_BODY_LIMIT: usize = 1024 * 1024;

/// The Content-Security-Policy of every console answer.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
/// The policy of a page that runs the WASM package ([`WasmPage`]): `'wasm-unsafe-eval'` added
/// to `script-src`, nothing else.
pub const CSP_WASM: &str = "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// What the console's handlers share.
#[derive(Clone)]
pub struct ConsoleState {
    /// Accounts (sessions, sign-in, second factors).
    pub accounts: Arc<Accounts>,
    /// The Hub whose pages these are.
    pub hub: Arc<Hub>,
    /// Served over TLS (cookies are then `Secure`).
    pub tls: bool,
}

impl axum::extract::FromRef<ConsoleState> for Arc<Accounts> {
    fn from_ref(s: &ConsoleState) -> Arc<Accounts> {
        s.accounts.clone()
    }
}

impl session::Pages for ConsoleState {
    const REALM: Realm = Realm::Hub;
    const COOKIE: &'static str = session::SESSION_COOKIE;
    const BASE: &'static str = "";
    const PATHS: session::AccountPaths = session::AccountPaths {
        home: "/",
        login: "/login",
        logout: "/logout",
        account: "/account",
        password: "/account/password",
        mfa: "/account/mfa",
        mfa_confirm: "/account/mfa/confirm",
        step_up: "/account/step-up",
    };
    fn accounts(&self) -> &Arc<Accounts> {
        &self.accounts
    }
    fn tls(&self) -> bool {
        self.tls
    }
}

/// The console's routes as they are added, with the list of (method, path) the router is built
/// from: the tests replay every POST of it (CSRF) and every GET (headers), so a new form cannot
/// be missed.
pub struct Routes<S = ConsoleState> {
    router: Router<S>,
    list: Vec<(Method, &'static str)>,
}

impl<S: Clone + Send + Sync + 'static> Routes<S> {
    fn new() -> Self {
        Self {
            router: Router::new(),
            list: Vec::new(),
        }
    }

    /// Adds `path` answered by `handler` for `methods`.
    pub fn route(
        mut self,
        path: &'static str,
        methods: &[Method],
        handler: MethodRouter<S>,
    ) -> Self {
        for m in methods {
            self.list.push((m.clone(), path));
        }
        self.router = self.router.route(path, handler);
        self
    }

    /// Adds a GET page.
    pub fn get<H, T>(self, path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, S>,
        T: 'static,
    {
        self.route(path, &[Method::GET], axum::routing::get(h))
    }

    /// Adds a POST form target.
    pub fn post<H, T>(self, path: &'static str, h: H) -> Self
    where
        H: axum::handler::Handler<T, S>,
        T: 'static,
    {
        self.route(path, &[Method::POST], axum::routing::post(h))
    }

    /// Adds a GET page and a POST form target at one path.
    pub fn get_post<G, TG, P, TP>(self, path: &'static str, g: G, p: P) -> Self
    where
        G: axum::handler::Handler<TG, S>,
        TG: 'static,
        P: axum::handler::Handler<TP, S>,
        TP: 'static,
    {
        self.route(
            path,
            &[Method::GET, Method::POST],
            axum::routing::get(g).post(p),
        )
    }
}

fn build() -> Routes {
    let r = Routes::new();
    let r = assets::routes(r);
    let r = account::routes(r);
    let r = dashboard::routes(r);
    let r = manifests::routes(r);
    let r = stats::routes(r);
    let r = records::routes(r);
    let r = records::people_routes(r);
    sites::routes(r)
}

/// Every (method, path template) of the consoles (the Hub's and the Root's), as their routers
/// are built from it.
pub fn route_list() -> Vec<(Method, &'static str)> {
    let mut list = build().list;
    list.extend(root::build(false).list);
    list
}

/// The console router over `state`, with the CSRF check on every POST, the security headers
/// and the body limit.
pub fn router(state: ConsoleState) -> Router {
    finish(build(), state)
}

/// `routes` over `state` with what every console router has: the CSRF check on every POST,
/// the security headers and the body limit.
fn finish<S: session::Pages>(routes: Routes<S>, state: S) -> Router {
    routes
        .router
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            csrf_guard::<S>,
        ))
        .layer(axum::middleware::map_response(console_headers))
        .layer(DefaultBodyLimit::max(CONSOLE_BODY_LIMIT))
        .with_state(state)
}

/// Marker a handler puts in its response's extensions to run the WASM package: the page's
/// policy is then [`CSP_WASM`].
#[derive(Clone, Copy, Debug)]
pub struct WasmPage;

/// Marker of an answer that may be cached (an asset whose URL carries its content hash).
#[derive(Clone, Copy, Debug)]
pub struct Cacheable;

/// The security headers of every console answer (see the module doc).
pub async fn console_headers(mut res: Response) -> Response {
    let wasm = res.extensions().get::<WasmPage>().is_some();
    let cacheable = res.extensions().get::<Cacheable>().is_some();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if wasm { CSP_WASM } else { CSP }),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    if !cacheable {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The form field carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

/// Checks the CSRF token of every POST before its handler: the `csrf` field of the
/// url-encoded or multipart body must be [`session::csrf_token`] of the request's session
/// cookie (or, before sign-in, of its pre-session cookie), compared in constant time; 403
/// otherwise. The body is read once (bounded by [`CONSOLE_BODY_LIMIT`]) and handed on.
pub async fn csrf_guard<S: session::Pages>(
    State(s): State<S>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, CONSOLE_BODY_LIMIT).await {
        Ok(b) => b,
        Err(_) => {
            return error_page(
                StatusCode::PAYLOAD_TOO_LARGE,
                "The form is too large to send (over 1 MiB).",
            )
        }
    };
    let ctype = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let sent = if ctype.starts_with("application/x-www-form-urlencoded") {
        form_urlencoded::parse(&bytes)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned())
    } else if ctype.starts_with("multipart/form-data") {
        let probe = Request::from_parts(parts.clone(), Body::from(bytes.clone()));
        multipart_field(probe, CSRF_FIELD).await
    } else {
        None
    };
    let ok =
        sent.is_some_and(|t| session::csrf_matches(s.accounts(), &parts.headers, S::COOKIE, &t));
    if !ok {
        return error_page(
            StatusCode::FORBIDDEN,
            "This form has expired or did not come from this console. Reload the page and try again.",
        );
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// The text of the first field `name` of a multipart body (at most 256 bytes).
async fn multipart_field(req: Request, name: &str) -> Option<String> {
    let mut m = axum::extract::Multipart::from_request(req, &())
        .await
        .ok()?;
    while let Ok(Some(f)) = m.next_field().await {
        if f.name() == Some(name) {
            let t = f.text().await.ok()?;
            return (t.len() <= 256).then_some(t);
        }
    }
    None
}

/// The frame of every page: who is signed in, the CSRF token for its forms, the flash
/// message, and which navigation entry is current.
#[derive(Clone, Debug, Default)]
pub struct Chrome {
    /// The signed-in user (none on the sign-in pages).
    pub user: Option<String>,
    /// Their role.
    pub role: Option<Role>,
    /// The CSRF token for the page's forms.
    pub csrf: String,
    /// The message of the last action.
    pub flash: Option<Flash>,
    /// The current navigation entry (`dashboard`, `sites`, `manifests`, `account`).
    pub nav: &'static str,
    /// The page's title.
    pub title: String,
    /// The htmx script's URL.
    pub htmx: &'static str,
    /// The style sheet's URL.
    pub css: &'static str,
    /// The console's address prefix: `""` for the Hub's, `"/root"` for the Root's.
    pub base: &'static str,
}

impl Chrome {
    /// A frame for page `title` under navigation entry `nav`.
    pub fn new(title: impl Into<String>, nav: &'static str, csrf: String) -> Self {
        Self {
            title: title.into(),
            nav,
            csrf,
            htmx: assets::url("htmx.min.js"),
            css: assets::url("console.css"),
            ..Self::default()
        }
    }

    /// Whether this is a page of the Root's console.
    pub fn is_root(&self) -> bool {
        self.base == "/root"
    }

    /// The role's name (empty when signed out).
    pub fn role_name(&self) -> &'static str {
        self.role.map_or("", |r| r.as_str())
    }

    /// Whether the user may do what `role` may.
    pub fn can(&self, role: Role) -> bool {
        self.role.is_some_and(|r| r.includes(role))
    }

    /// The flash message's CSS class (`ok` or `error`).
    pub fn flash_class(&self) -> &'static str {
        match self.flash.as_ref().map(|f| f.kind) {
            Some(FlashKind::Error) => "flash error",
            _ => "flash ok",
        }
    }
}

/// Renders `t` as an HTML answer with `status`; a template error is a 500 page (logged).
pub fn render(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            html,
        )
            .into_response(),
        Err(e) => {
            tracing::error!("template error: {e}");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
        }
    }
}

/// The bare error page (no session needed).
#[derive(Template)]
#[template(path = "console/error.html")]
struct ErrorPage {
    chrome: Chrome,
}

/// A page saying `message` with `status`.
pub fn error_page(status: StatusCode, message: &str) -> Response {
    error_page_in("", status, message)
}

/// [`error_page`] in the console at `base` (`""` for the Hub's, `"/root"` for the Root's).
pub fn error_page_in(base: &'static str, status: StatusCode, message: &str) -> Response {
    let mut chrome = Chrome::new(
        status.canonical_reason().unwrap_or("Error"),
        "",
        String::new(),
    );
    chrome.base = base;
    chrome.flash = Some(Flash::error(message));
    render(status, &ErrorPage { chrome })
}

/// A 303 redirect to `to` carrying `flash` for the next page.
pub fn redirect_with(to: &str, flash: Flash, tls: bool) -> Response {
    let mut res = Redirect::to(to).into_response();
    if let Ok(v) = HeaderValue::from_str(&flash.cookie(tls)) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// `next` if it is a path of this console (`/…`, not `//…`, no scheme, no backslash), else `/`.
pub fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p)
            if p.starts_with('/')
                && !p.starts_with("//")
                && !p.contains('\\')
                && p.len() <= 512
                && p.bytes().all(|b| b.is_ascii_graphic()) =>
        {
            p.to_string()
        }
        _ => "/".to_string(),
    }
}

/// What a person reads for a service error: one sentence saying what happened and what to do,
/// never JSON. The single place that words errors for the console.
pub fn sentence(e: &ServiceError) -> String {
    use ServiceError as E;
    match e {
        E::Invalid(why) => format!("Please check the form: {why}."),
        E::Config(_) => "The server is not configured for this; ask its operator.".into(),
        E::License(l) => format!(
            "The license check failed: {l} (code {}, {}).",
            l.code().code(),
            l.code().name()
        ),
        E::ManifestPeriod { period, why } => {
            format!("A manifest cannot be generated for {period}: {why}.")
        }
        E::NoCml => "No CML is installed yet: upload the CML your Root issued first.".into(),
        E::CmlExpired { valid_until } => format!(
            "This CML already expired on {}; ask your Root for a fresh one.",
            hwf_license::time::Utc(*valid_until)
        ),
        E::CmlEnded => {
            "The installed CML has expired, so no site can be created: refresh the CML first."
                .into()
        }
        E::CmlOrgChanged { installed, offered } => format!(
            "This CML is for org {offered}, but this Hub serves org {installed}; it was not installed."
        ),
        E::CmlOlder => "This CML is older than the installed one; it was not installed.".into(),
        E::SiteExists { site_id, status } => {
            format!("A site named {site_id} already exists ({status}); choose another id.")
        }
        E::MaxSitesReached { max_sites, active } => format!(
            "The CML allows {max_sites} active sites and {active} are active: revoke a site or ask your Root for a larger CML."
        ),
        E::UnknownSite(id) => format!("There is no site {id}."),
        E::SiteRevoked(id) => format!("Site {id} is already revoked."),
        E::ManifestUnverified => {
            "The Root could not verify this manifest under a CML issued to this org.".into()
        }
        E::ReceiptInvalid(why) => format!(
            "The receipt does not verify ({why}); the manifest stays pending."
        ),
        E::LicenseMismatch => "The license id is not this site's license.".into(),
        E::UpgradeRequired { cml_version } => format!(
            "The node cannot read this Hub's CML (format version {cml_version}); upgrade the node."
        ),
        E::UnknownOrg(org) => format!("The Root issued no CML to org {org}."),
        E::NotFound(what) => format!("Not found: {what}."),
        E::NoRootUrl => {
            "This Hub has no Root address to send manifests to: start it with --root-url.".into()
        }
        E::NoRootKey(env) => format!("The Root has no key for the {env:?} environment."),
        E::Delivery {
            rejected: true,
            attempts,
            error,
        } => format!(
            "The Root refused the manifest after {attempts} attempt(s): {error}."
        ),
        E::Delivery {
            attempts, error, ..
        } => format!(
            "The manifest could not be delivered after {attempts} attempt(s): {error}. It stays pending; try again later."
        ),
        E::UserExists(u) => format!("A user named {u} already exists."),
        E::CannotDeleteSelf => {
            "You cannot delete your own account; sign in as another admin to do it.".into()
        }
        E::Unauthorized(_) => {
            "The user name, password or code is wrong. Check them and try again.".into()
        }
        E::LoginThrottled { retry_after } => format!(
            "Too many failed sign-ins on this account: wait {} before trying again.",
            seconds(*retry_after)
        ),
        E::AccountLocked { retry_after } => format!(
            "This account is locked after repeated failed sign-ins: ask an admin to unlock it, or wait {}.",
            seconds(*retry_after)
        ),
        E::MfaRequired => {
            "This account has a second factor: enter the code from your authenticator app (or a recovery code).".into()
        }
        E::StepUpRequired { window_minutes } => format!(
            "This action needs your second factor again (it is asked every {window_minutes} minutes for admin actions)."
        ),
        E::EnrolmentRequired => {
            "Set up a second factor (an authenticator app) before doing anything else.".into()
        }
        E::Forbidden(_) => "Your role does not allow this; ask an admin.".into(),
        E::SealedKey(_) => {
            "A stored key does not open with this server's master secret; ask its operator.".into()
        }
        E::Busy | E::Overloaded => "The server is busy; try again in a moment.".into(),
        E::Store(_) | E::Internal(_) => {
            tracing::error!("console: {e}");
            "Something went wrong on the server; it has been logged. Try again, or ask its operator.".into()
        }
    }
}

/// `n` seconds as "N seconds" or "N minutes".
fn seconds(n: i64) -> String {
    match n.max(1) {
        1 => "1 second".into(),
        n if n < 120 => format!("{n} seconds"),
        n => format!("{} minutes", (n + 59) / 60),
    }
}

/// A date (UTC) for pages: `2026-12-01 13:05`.
pub fn date_time(t: impl std::borrow::Borrow<i64>) -> String {
    let t = *t.borrow();
    let s = hwf_license::time::Utc(t).to_string();
    // `2026-12-01T13:05:09Z` → `2026-12-01 13:05`
    s.get(..16).map_or(s.clone(), |d| d.replace('T', " "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/manifests?x=1")), "/manifests?x=1");
        for bad in [
            "//evil.example/",
            "https://evil.example/",
            "/\\evil.example",
            "evil",
            "/a b",
        ] {
            assert_eq!(local_path(Some(bad)), "/", "{bad}");
        }
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn errors_read_as_sentences_without_json_or_api_paths() {
        let cases = [
            ServiceError::MaxSitesReached {
                max_sites: 10,
                active: 10,
            },
            ServiceError::LoginThrottled { retry_after: 4 },
            ServiceError::AccountLocked { retry_after: 3600 },
            ServiceError::StepUpRequired { window_minutes: 15 },
            ServiceError::Internal("secret cause".into()),
            ServiceError::NoCml,
        ];
        for e in cases {
            let s = sentence(&e);
            assert!(s.ends_with('.'), "{s}");
            assert!(!s.contains('{') && !s.contains("/api/"), "{s}");
            assert!(!s.contains("secret cause"), "{s}");
        }
        assert_eq!(
            sentence(&ServiceError::AccountLocked { retry_after: 3600 }),
            "This account is locked after repeated failed sign-ins: ask an admin to unlock it, or wait 60 minutes."
        );
    }
}
