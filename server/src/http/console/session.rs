//! Console sessions: the API's own token (the one `POST /api/auth/login` answers) kept in an
//! HttpOnly, `SameSite=Strict`, `Path=/` cookie (`Secure` under TLS), checked on every request
//! by the account service as a bearer token is; the CSRF token tied to it; and the one-shot
//! flash message carried across a redirect.

use std::marker::PhantomData;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;

use super::{sentence, Chrome};
use crate::domain::Realm;
use crate::http::extract::{AnyUser, MinRole, Peer};
use crate::service::accounts::{Accounts, Caller, Scope};
use crate::service::audit::{Actor, Origin};
use crate::service::ServiceError;

/// The session cookie of the Hub's console: the API token.
pub const SESSION_COOKIE: &str = "hwf_session";
/// The session cookie of the Root's console (`/root/`): a Root token, kept apart from the
/// Hub's so one browser may hold both and neither is ever read by the other's pages.
pub const ROOT_SESSION_COOKIE: &str = "hwf_root_session";
/// The pre-session cookie: a random value the sign-in form's CSRF token is tied to.
pub const PRE_COOKIE: &str = "hwf_pre";
/// The flash cookie: the message of the last action, read once.
pub const FLASH_COOKIE: &str = "hwf_flash";
/// Longest cookie value read.
const MAX_COOKIE: usize = 4096;
/// The MAC purpose of CSRF tokens.
const CSRF_PURPOSE: &str = "console-csrf";

/// The value of cookie `name` in `headers` (the first one; at most `MAX_COOKIE` bytes).
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty() && v.len() <= MAX_COOKIE)
}

/// A `Set-Cookie` value: HttpOnly, `SameSite=Strict`, `Path=/`, `Secure` under TLS, and
/// `Max-Age` when given (0 deletes).
pub fn set_cookie(name: &str, value: &str, max_age: Option<i64>, tls: bool) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict");
    if let Some(a) = max_age {
        c.push_str(&format!("; Max-Age={a}"));
    }
    if tls {
        c.push_str("; Secure");
    }
    c
}

/// Appends a `Set-Cookie` to `res`.
pub fn add_cookie(res: &mut Response, value: &str) {
    if let Ok(v) = HeaderValue::from_str(value) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The addresses of a console's account pages (sign-in, enrolment, step-up…).
#[derive(Clone, Copy, Debug)]
pub struct AccountPaths {
    /// The console's home page.
    pub home: &'static str,
    /// Sign-in.
    pub login: &'static str,
    /// Sign-out.
    pub logout: &'static str,
    /// The account page.
    pub account: &'static str,
    /// Password change.
    pub password: &'static str,
    /// Second-factor enrolment.
    pub mfa: &'static str,
    /// Its confirmation.
    pub mfa_confirm: &'static str,
    /// Step-up.
    pub step_up: &'static str,
}

/// The accounts a console serves: the Hub's console at `/` ([`super::ConsoleState`]) and the
/// Root's at `/root/` ([`super::root::RootConsoleState`]) share the session, CSRF, step-up and
/// account code, each with its own realm, cookie and addresses. A session of one realm is
/// never accepted by the other's pages (the account service checks the token's realm).
pub trait Pages: Clone + Send + Sync + 'static {
    /// The realm whose accounts sign in here.
    const REALM: Realm;
    /// The session cookie's name.
    const COOKIE: &'static str;
    /// The prefix of every address (`""` or `"/root"`).
    const BASE: &'static str;
    /// The account pages' addresses.
    const PATHS: AccountPaths;
    /// The account service.
    fn accounts(&self) -> &Arc<Accounts>;
    /// Served over TLS (cookies are then `Secure`).
    fn tls(&self) -> bool;
    /// `next` if it is a local path of this console (under [`Pages::BASE`]), else its home
    /// page.
    fn local(next: Option<&str>) -> String {
        let p = super::local_path(next);
        if Self::BASE.is_empty() {
            return p;
        }
        match p.strip_prefix(Self::BASE) {
            Some(rest) if rest.starts_with('/') => p,
            _ => Self::PATHS.home.to_string(),
        }
    }
}

/// What the CSRF token of a request is tied to: its session cookie (`session_cookie`: the one
/// of the console the request is for), else its pre-session cookie.
fn identity(headers: &HeaderMap, session_cookie: &str) -> Option<String> {
    cookie(headers, session_cookie)
        .map(|t| format!("session:{t}"))
        .or_else(|| cookie(headers, PRE_COOKIE).map(|p| format!("pre:{p}")))
}

/// The CSRF token of the session (or pre-session) `identity`: a MAC under the deployment's key.
fn token_for(accounts: &Accounts, identity: &str) -> String {
    B64URL.encode(accounts.mac(CSRF_PURPOSE, identity.as_bytes()))
}

/// The CSRF token for forms of the session whose cookie is `session_token`.
pub fn csrf_token(accounts: &Accounts, session_token: &str) -> String {
    token_for(accounts, &format!("session:{session_token}"))
}

/// The CSRF token for the sign-in form of pre-session `pre`.
pub fn pre_csrf_token(accounts: &Accounts, pre: &str) -> String {
    token_for(accounts, &format!("pre:{pre}"))
}

/// Whether `sent` is the CSRF token of the request's session (its cookie `session_cookie`) or
/// pre-session, compared in constant time.
pub fn csrf_matches(
    accounts: &Accounts,
    headers: &HeaderMap,
    session_cookie: &str,
    sent: &str,
) -> bool {
    let (Some(id), Ok(tag)) = (
        identity(headers, session_cookie),
        B64URL.decode(sent.trim()),
    ) else {
        return false;
    };
    accounts.mac_matches(CSRF_PURPOSE, id.as_bytes(), &tag)
}

/// Whether a flash message reports success or a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FlashKind {
    /// It worked.
    Ok,
    /// It did not.
    Error,
}

/// A message for the next page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Flash {
    /// Success or failure.
    pub kind: FlashKind,
    /// The sentence.
    pub text: String,
}

impl Flash {
    /// A success message.
    pub fn ok(text: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Ok,
            text: text.into(),
        }
    }

    /// A failure message.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            kind: FlashKind::Error,
            text: text.into(),
        }
    }

    /// A service error, as its sentence.
    pub fn of(e: &ServiceError) -> Self {
        Self::error(sentence(e))
    }

    /// The `Set-Cookie` carrying it (a minute long; at most 600 characters of text).
    pub fn cookie(&self, tls: bool) -> String {
        let tag = if self.kind == FlashKind::Error {
            "e"
        } else {
            "o"
        };
        let text: String = self.text.chars().take(600).collect();
        set_cookie(
            FLASH_COOKIE,
            &B64URL.encode(format!("{tag}{text}")),
            Some(60),
            tls,
        )
    }

    /// The flash of a request, if any.
    pub fn read(headers: &HeaderMap) -> Option<Self> {
        let raw = B64URL.decode(cookie(headers, FLASH_COOKIE)?).ok()?;
        let s = String::from_utf8(raw).ok()?;
        let (kind, text) = match s.split_at_checked(1)? {
            ("e", t) => (FlashKind::Error, t),
            ("o", t) => (FlashKind::Ok, t),
            _ => return None,
        };
        Some(Self {
            kind,
            text: text.chars().take(600).collect(),
        })
    }
}

/// A signed-in console user of the Hub, with at least the role `R` asks (the markers of
/// [`crate::http::extract`]). Extracting it redirects to the sign-in page without a valid
/// session, to the enrolment page while the account may only enrol a second factor, and to
/// the step-up page when `R` needs a recent second factor; another role gets a 403 page.
#[derive(Debug)]
pub struct Session<R = AnyUser> {
    /// The verified caller.
    pub caller: Caller,
    /// The session's token (the cookie's value).
    pub token: String,
    /// The CSRF token for this session's forms.
    pub csrf: String,
    /// Where the request came from.
    pub origin: Origin,
    /// The flash message of the last action.
    pub flash: Option<Flash>,
    /// Served over TLS.
    pub tls: bool,
    /// The request's path and query (where a step-up returns to).
    pub here: String,
    /// The console's account pages.
    pub paths: AccountPaths,
    /// The console's address prefix ([`Pages::BASE`]).
    pub base: &'static str,
    /// The session cookie's name ([`Pages::COOKIE`]).
    pub cookie_name: &'static str,
    _min: PhantomData<R>,
}

impl<R> Session<R> {
    /// The caller as the audit log names them.
    pub fn actor(&self) -> Actor {
        self.caller.actor(&self.origin)
    }

    /// The page frame for this session.
    pub fn chrome(&self, title: impl Into<String>, nav: &'static str) -> Chrome {
        let mut c = Chrome::new(title, nav, self.csrf.clone());
        c.base = self.base;
        c.user = Some(self.caller.user.clone());
        c.role = Some(self.caller.role);
        c.flash = self.flash.clone();
        c
    }

    /// Renders `t` (whose frame is `chrome`) with `status`, clearing the flash it showed.
    pub fn show(&self, status: StatusCode, chrome: &Chrome, t: &impl askama::Template) -> Response {
        let mut res = super::render(status, t);
        if chrome.flash.is_some() {
            add_cookie(&mut res, &set_cookie(FLASH_COOKIE, "", Some(0), self.tls));
        }
        res
    }

    /// A 303 redirect to `to` with `flash`.
    pub fn redirect(&self, to: &str, flash: Flash) -> Response {
        super::redirect_with(to, flash, self.tls)
    }

    /// Switches the session to a new token (after a step-up, a password change or an
    /// enrolment): the `Set-Cookie` to add to the answer.
    pub fn replace_token(&mut self, accounts: &Accounts, token: String) -> String {
        self.csrf = csrf_token(accounts, &token);
        self.token = token;
        session_cookie_named(self.cookie_name, &self.token, self.tls)
    }

    /// The answer to a failed action: the step-up page when it needs a second factor (coming
    /// back to `back`), else `back` with the error's sentence.
    pub fn failed(&self, e: &ServiceError, back: &str) -> Response {
        match e {
            ServiceError::StepUpRequired { .. } => {
                step_up_redirect_to(self.paths.step_up, back, self.tls)
            }
            ServiceError::EnrolmentRequired => Redirect::to(self.paths.mfa).into_response(),
            _ => self.redirect(back, Flash::of(e)),
        }
    }
}

/// The Hub console's session cookie for `token` (an hour, as the token lives).
pub fn session_cookie(token: &str, tls: bool) -> String {
    session_cookie_named(SESSION_COOKIE, token, tls)
}

/// The session cookie `name` for `token` (an hour, as the token lives).
pub fn session_cookie_named(name: &str, token: &str, tls: bool) -> String {
    set_cookie(name, token, Some(crate::service::accounts::TOKEN_TTL), tls)
}

/// The `Set-Cookie` that ends the Hub console's session cookie.
pub fn clear_session_cookie(tls: bool) -> String {
    set_cookie(SESSION_COOKIE, "", Some(0), tls)
}

/// A redirect to the Hub console's step-up page that returns to `back` after the code.
pub fn step_up_redirect(back: &str, tls: bool) -> Response {
    step_up_redirect_to("/account/step-up", back, tls)
}

/// A redirect to the step-up page `page` that returns to `back` after the code.
pub fn step_up_redirect_to(page: &str, back: &str, tls: bool) -> Response {
    let to = format!(
        "{page}?next={}",
        form_urlencoded::byte_serialize(super::local_path(Some(back)).as_bytes())
            .collect::<String>()
    );
    super::redirect_with(
        &to,
        Flash::of(&ServiceError::StepUpRequired { window_minutes: 15 }),
        tls,
    )
}

impl<R: MinRole, S: Pages> FromRequestParts<S> for Session<R> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let here = parts
            .uri
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string();
        // Where to come back to after signing in or stepping up: this page for a GET, the page
        // the form was on (its same-origin Referer's path) for a POST.
        let back = if parts.method == Method::GET {
            here.clone()
        } else {
            referer_path(&parts.headers).unwrap_or_else(|| S::PATHS.home.into())
        };
        let tls = state.tls();
        let accounts = state.accounts();
        let to_login = || {
            let to = format!(
                "{}?next={}",
                S::PATHS.login,
                form_urlencoded::byte_serialize(S::local(Some(&back)).as_bytes())
                    .collect::<String>()
            );
            let mut res = Redirect::to(&to).into_response();
            add_cookie(&mut res, &set_cookie(S::COOKIE, "", Some(0), tls));
            res
        };
        let Some(token) = cookie(&parts.headers, S::COOKIE).map(str::to_string) else {
            return Err(to_login());
        };
        let caller = match accounts.authenticate(&token, Some(S::REALM)).await {
            Ok(c) => c,
            Err(ServiceError::Unauthorized(_) | ServiceError::Forbidden(_)) => {
                return Err(to_login())
            }
            Err(e) => {
                return Err(super::error_page_in(
                    S::BASE,
                    StatusCode::SERVICE_UNAVAILABLE,
                    &sentence(&e),
                ))
            }
        };
        if caller.scope == Scope::Enrol && !R::ENROL_OK {
            return Err(Redirect::to(S::PATHS.mfa).into_response());
        }
        if !caller.role.includes(R::ROLE) {
            return Err(super::error_page_in(
                S::BASE,
                StatusCode::FORBIDDEN,
                &format!(
                    "Your role ({}) does not allow this; it needs {}. Ask an admin.",
                    caller.role.as_str(),
                    R::ROLE.as_str()
                ),
            ));
        }
        if R::STEP_UP && accounts.require_step_up(&caller).is_err() {
            return Err(step_up_redirect_to(S::PATHS.step_up, &back, tls));
        }
        let Ok(Peer(origin)) = Peer::from_request_parts(parts, state).await;
        Ok(Self {
            csrf: csrf_token(accounts, &token),
            caller,
            token,
            origin,
            flash: Flash::read(&parts.headers),
            tls,
            here,
            paths: S::PATHS,
            base: S::BASE,
            cookie_name: S::COOKIE,
            _min: PhantomData,
        })
    }
}

/// The path and query of a same-origin `Referer` (as `Referrer-Policy: same-origin` sends it).
pub fn referer_path(headers: &HeaderMap) -> Option<String> {
    let r = headers.get(header::REFERER)?.to_str().ok()?;
    let host = headers.get(header::HOST)?.to_str().ok()?;
    let rest = r
        .strip_prefix("http://")
        .or_else(|| r.strip_prefix("https://"))?;
    let path = rest.strip_prefix(host)?;
    path.starts_with('/').then(|| super::local_path(Some(path)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name_and_written_strict() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("xhwf_session=no; hwf_session=tok; hwf_pre=p"),
        );
        assert_eq!(cookie(&h, SESSION_COOKIE), Some("tok"));
        assert_eq!(cookie(&h, PRE_COOKIE), Some("p"));
        assert_eq!(cookie(&h, FLASH_COOKIE), None);
        assert_eq!(
            set_cookie("a", "b", Some(5), true),
            "a=b; Path=/; HttpOnly; SameSite=Strict; Max-Age=5; Secure"
        );
        assert!(!set_cookie("a", "b", None, false).contains("Secure"));
    }

    #[test]
    fn a_flash_round_trips_through_its_cookie() {
        let f = Flash::error("The CML allows 10 active sites; 10 are active.");
        let c = f.cookie(false);
        let value = c.split(';').next().unwrap().to_string();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&value).unwrap());
        assert_eq!(Flash::read(&h), Some(f));
    }
}
