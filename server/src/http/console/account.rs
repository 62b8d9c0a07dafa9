//! The account pages: sign-in (password, then the second factor), sign-out, the account page,
//! password change, TOTP enrolment (QR code, secret, confirmation, recovery codes shown once)
//! and step-up. Each calls the account service as the matching API route does.

use askama::Template;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use serde::Deserialize;

use super::session::{
    add_cookie, cookie, pre_csrf_token, session_cookie_named, set_cookie, Flash, Pages, Session,
    PRE_COOKIE,
};
use super::{render, sentence, Chrome, Routes};
use crate::http::extract::{AnyUser, Enrolling, Peer};
use crate::service::accounts::Scope;
use crate::service::keys::random_bytes;
use crate::service::ServiceError;

/// The account pages of console `S` (the Hub's or the Root's), at its [`Pages::PATHS`].
pub(super) fn routes<S: Pages>(r: Routes<S>) -> Routes<S> {
    let p = S::PATHS;
    r.get_post(p.login, login_page::<S>, login::<S>)
        .post(p.logout, logout::<S>)
        .get(p.account, account_page::<S>)
        .get_post(p.password, password_page, change_password::<S>)
        .get_post(p.mfa, mfa_page, mfa_start::<S>)
        .post(p.mfa_confirm, mfa_confirm::<S>)
        .get_post(p.step_up, step_up_page::<S>, step_up::<S>)
}

/// `?next=` of the sign-in and step-up pages.
#[derive(Debug, Deserialize)]
pub struct Next {
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage {
    chrome: Chrome,
    username: String,
    next: String,
    error: Option<String>,
    /// The account needs its code: the code field is marked.
    need_code: bool,
}

/// The sign-in form's fields.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    #[serde(default)]
    code: String,
    next: Option<String>,
}

/// The sign-in page's frame: its CSRF token is tied to the pre-session cookie (set here when
/// missing), so a sign-in cannot be forged from another site.
fn login_chrome<S: Pages>(headers: &HeaderMap, s: &S) -> (Chrome, Option<String>) {
    let (pre, new) = match cookie(headers, PRE_COOKIE) {
        Some(p) if p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (p.to_string(), None)
        }
        _ => {
            let p = hex::encode(random_bytes::<16>());
            (p.clone(), Some(set_cookie(PRE_COOKIE, &p, None, s.tls())))
        }
    };
    // With a (possibly stale) session cookie the token is tied to it, as the guard checks.
    let csrf = match cookie(headers, S::COOKIE) {
        Some(t) => super::session::csrf_token(s.accounts(), t),
        None => pre_csrf_token(s.accounts(), &pre),
    };
    let mut chrome = Chrome::new("Sign in", "", csrf);
    chrome.base = S::BASE;
    chrome.flash = Flash::read(headers);
    (chrome, new)
}

fn login_answer<S: Pages>(
    status: StatusCode,
    headers: &HeaderMap,
    s: &S,
    page: impl FnOnce(Chrome) -> LoginPage,
) -> Response {
    let (chrome, new_pre) = login_chrome(headers, s);
    let had_flash = chrome.flash.is_some();
    let mut res = render(status, &page(chrome));
    if let Some(c) = new_pre {
        add_cookie(&mut res, &c);
    }
    if had_flash {
        add_cookie(
            &mut res,
            &set_cookie(super::session::FLASH_COOKIE, "", Some(0), s.tls()),
        );
    }
    res
}

async fn login_page<S: Pages>(
    State(s): State<S>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    // Already signed in: straight on.
    if let Some(t) = cookie(&headers, S::COOKIE) {
        if s.accounts().authenticate(t, Some(S::REALM)).await.is_ok() {
            return Redirect::to(&S::local(q.next.as_deref())).into_response();
        }
    }
    login_answer(StatusCode::OK, &headers, &s, |chrome| LoginPage {
        chrome,
        username: String::new(),
        next: S::local(q.next.as_deref()),
        error: None,
        need_code: false,
    })
}

async fn login<S: Pages>(
    State(s): State<S>,
    Peer(origin): Peer,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    let next = S::local(f.next.as_deref());
    match s
        .accounts()
        .login(
            Some(S::REALM),
            f.username.trim(),
            &f.password,
            code,
            &origin,
        )
        .await
    {
        Ok(answer) => {
            let to = if answer.scope == Scope::Enrol {
                S::PATHS.mfa.to_string()
            } else {
                next
            };
            let mut res = Redirect::to(&to).into_response();
            add_cookie(
                &mut res,
                &session_cookie_named(S::COOKIE, &answer.token, s.tls()),
            );
            res
        }
        Err(e) => {
            let status = match &e {
                ServiceError::LoginThrottled { .. } => StatusCode::TOO_MANY_REQUESTS,
                ServiceError::AccountLocked { .. } => StatusCode::LOCKED,
                ServiceError::Busy | ServiceError::Overloaded => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::UNAUTHORIZED,
            };
            let need_code = matches!(e, ServiceError::MfaRequired);
            login_answer(status, &headers, &s, |chrome| LoginPage {
                chrome,
                username: f.username.chars().take(64).collect(),
                next,
                error: Some(sentence(&e)),
                need_code,
            })
        }
    }
}

async fn logout<S: Pages>(State(s): State<S>, session: Session<Enrolling>) -> Response {
    let flash = match s.accounts().logout(&session.caller, &session.origin).await {
        Ok(()) => Flash::ok("You are signed out."),
        Err(e) => Flash::of(&e),
    };
    let mut res = super::redirect_with(S::PATHS.login, flash, s.tls());
    add_cookie(&mut res, &set_cookie(S::COOKIE, "", Some(0), s.tls()));
    res
}

#[derive(Template)]
#[template(path = "console/account.html")]
struct AccountPage {
    chrome: Chrome,
    user: String,
    role: String,
    step_up_minutes: i64,
}

async fn account_page<S: Pages>(State(s): State<S>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Account", "account");
    let page = AccountPage {
        user: session.caller.user.clone(),
        role: session.caller.role.as_str().into(),
        step_up_minutes: s.accounts().step_up_secs() / 60,
        chrome: chrome.clone(),
    };
    session.show(StatusCode::OK, &chrome, &page)
}

#[derive(Template)]
#[template(path = "console/password.html")]
struct PasswordPage {
    chrome: Chrome,
}

/// The password form's fields.
#[derive(Debug, Deserialize)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
    confirm_password: String,
}

async fn password_page(session: Session<Enrolling>) -> Response {
    let chrome = session.chrome("Change password", "account");
    session.show(
        StatusCode::OK,
        &chrome,
        &PasswordPage {
            chrome: chrome.clone(),
        },
    )
}

async fn change_password<S: Pages>(
    State(s): State<S>,
    mut session: Session<Enrolling>,
    Form(f): Form<PasswordForm>,
) -> Response {
    if f.new_password != f.confirm_password {
        return session.redirect(
            S::PATHS.password,
            Flash::error("The new password and its confirmation differ; type them again."),
        );
    }
    match s
        .accounts()
        .change_password(
            &session.caller,
            &f.current_password,
            &f.new_password,
            &session.origin,
        )
        .await
    {
        Ok(answer) => {
            let c = session.replace_token(s.accounts(), answer.token);
            let to = if answer.scope == Scope::Enrol {
                S::PATHS.mfa
            } else {
                S::PATHS.account
            };
            let mut res = session.redirect(
                to,
                Flash::ok("Your password is changed; your other sessions are signed out."),
            );
            add_cookie(&mut res, &c);
            res
        }
        Err(ServiceError::Unauthorized(_)) => session.redirect(
            S::PATHS.password,
            Flash::error("The current password is wrong."),
        ),
        Err(e) => session.failed(&e, S::PATHS.password),
    }
}

#[derive(Template)]
#[template(path = "console/mfa.html")]
struct MfaPage {
    chrome: Chrome,
    /// The account may only enrol (its first sign-in).
    must_enrol: bool,
    /// The new secret, when enrolment started.
    enrolment: Option<EnrolView>,
}

struct EnrolView {
    secret: String,
    uri: String,
    /// The QR code as a `data:` URL (an `<img>`, so no inline SVG style reaches the page).
    qr: String,
}

async fn mfa_page(session: Session<Enrolling>) -> Response {
    let chrome = session.chrome("Second factor", "account");
    let page = MfaPage {
        chrome: chrome.clone(),
        must_enrol: session.caller.scope == Scope::Enrol,
        enrolment: None,
    };
    session.show(StatusCode::OK, &chrome, &page)
}

async fn mfa_start<S: Pages>(State(s): State<S>, session: Session<Enrolling>) -> Response {
    match s.accounts().enrol_start(&session.caller).await {
        Ok(e) => {
            let chrome = session.chrome("Second factor", "account");
            let page = MfaPage {
                chrome: chrome.clone(),
                must_enrol: session.caller.scope == Scope::Enrol,
                enrolment: Some(EnrolView {
                    qr: format!("data:image/svg+xml;base64,{}", B64.encode(e.qr_svg)),
                    secret: e.secret,
                    uri: e.otpauth_uri,
                }),
            };
            session.show(StatusCode::OK, &chrome, &page)
        }
        Err(e) => session.failed(&e, S::PATHS.mfa),
    }
}

/// A form with one second-factor code (and where to return).
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    code: String,
    next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/recovery.html")]
struct RecoveryPage {
    chrome: Chrome,
    codes: Vec<String>,
}

async fn mfa_confirm<S: Pages>(
    State(s): State<S>,
    mut session: Session<Enrolling>,
    Form(f): Form<CodeForm>,
) -> Response {
    match s
        .accounts()
        .enrol_confirm(&session.caller, f.code.trim(), &session.origin)
        .await
    {
        Ok(done) => {
            let c = session.replace_token(s.accounts(), done.login.token);
            let mut chrome = session.chrome("Recovery codes", "account");
            chrome.flash = Some(Flash::ok("Your second factor is set up."));
            let page = RecoveryPage {
                chrome: chrome.clone(),
                codes: done.recovery_codes,
            };
            let mut res = session.show(StatusCode::OK, &chrome, &page);
            add_cookie(&mut res, &c);
            res
        }
        Err(ServiceError::Unauthorized(_)) => session.redirect(
            S::PATHS.mfa,
            Flash::error(
                "The code does not match the new secret: start again and type the code your app shows now.",
            ),
        ),
        Err(e) => session.failed(&e, S::PATHS.mfa),
    }
}

#[derive(Template)]
#[template(path = "console/step_up.html")]
struct StepUpPage {
    chrome: Chrome,
    next: String,
    minutes: i64,
}

async fn step_up_page<S: Pages>(
    State(s): State<S>,
    session: Session<AnyUser>,
    Query(q): Query<Next>,
) -> Response {
    let chrome = session.chrome("Confirm it is you", "");
    let page = StepUpPage {
        chrome: chrome.clone(),
        next: S::local(q.next.as_deref()),
        minutes: s.accounts().step_up_secs() / 60,
    };
    session.show(StatusCode::OK, &chrome, &page)
}

async fn step_up<S: Pages>(
    State(s): State<S>,
    mut session: Session<AnyUser>,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = S::local(f.next.as_deref());
    match s
        .accounts()
        .step_up(&session.caller, f.code.trim(), &session.origin)
        .await
    {
        Ok(answer) => {
            let c = session.replace_token(s.accounts(), answer.token);
            let mut res = session.redirect(
                &next,
                Flash::ok(format!(
                    "Confirmed: admin actions are allowed for {} minutes. Submit the form again.",
                    s.accounts().step_up_secs() / 60
                )),
            );
            add_cookie(&mut res, &c);
            res
        }
        Err(ServiceError::Unauthorized(_)) => {
            let to = format!(
                "{}?next={}",
                S::PATHS.step_up,
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            session.redirect(
                &to,
                Flash::error("The code is wrong or was already used; wait for the next one."),
            )
        }
        Err(e) => session.redirect(S::PATHS.step_up, Flash::of(&e)),
    }
}

/// Steps the session up with `code` when one is given (a form that carries its own code
/// field): `Ok(Some(cookie))` with the new session cookie, `Ok(None)` without a code. The
/// session's caller is then the new token's, so `require_step_up` on it passes.
pub async fn step_up_with<R, S: Pages>(
    s: &S,
    session: &mut Session<R>,
    code: Option<&str>,
) -> Result<Option<String>, ServiceError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let answer = s
        .accounts()
        .step_up(&session.caller, code, &session.origin)
        .await?;
    // The caller as the new token says (its second factor just checked), so that the action's
    // own step-up check passes; the old caller still carries the stale factor time.
    session.caller = s
        .accounts()
        .authenticate(&answer.token, Some(S::REALM))
        .await?;
    Ok(Some(session.replace_token(s.accounts(), answer.token)))
}
