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
    add_cookie, clear_session_cookie, cookie, pre_csrf_token, session_cookie, set_cookie, Flash,
    Session, PRE_COOKIE, SESSION_COOKIE,
};
use super::{local_path, render, sentence, Chrome, ConsoleState, Routes};
use crate::domain::Realm;
use crate::http::extract::{AnyUser, Enrolling, Peer};
use crate::service::accounts::Scope;
use crate::service::keys::random_bytes;
use crate::service::ServiceError;

pub(super) fn routes(r: Routes) -> Routes {
    r.get_post("/login", login_page, login)
        .post("/logout", logout)
        .get("/account", account_page)
        .get_post("/account/password", password_page, change_password)
        .get_post("/account/mfa", mfa_page, mfa_start)
        .post("/account/mfa/confirm", mfa_confirm)
        .get_post("/account/step-up", step_up_page, step_up)
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
fn login_chrome(headers: &HeaderMap, s: &ConsoleState) -> (Chrome, Option<String>) {
    let (pre, new) = match cookie(headers, PRE_COOKIE) {
        Some(p) if p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit()) => {
            (p.to_string(), None)
        }
        _ => {
            let p = hex::encode(random_bytes::<16>());
            (p.clone(), Some(set_cookie(PRE_COOKIE, &p, None, s.tls)))
        }
    };
    // With a (possibly stale) session cookie the token is tied to it, as the guard checks.
    let csrf = match cookie(headers, SESSION_COOKIE) {
        Some(t) => super::session::csrf_token(&s.accounts, t),
        None => pre_csrf_token(&s.accounts, &pre),
    };
    let mut chrome = Chrome::new("Sign in", "", csrf);
    chrome.flash = Flash::read(headers);
    (chrome, new)
}

fn login_answer(
    status: StatusCode,
    headers: &HeaderMap,
    s: &ConsoleState,
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
            &set_cookie(super::session::FLASH_COOKIE, "", Some(0), s.tls),
        );
    }
    res
}

async fn login_page(
    State(s): State<ConsoleState>,
    headers: HeaderMap,
    Query(q): Query<Next>,
) -> Response {
    // Already signed in: straight on.
    if let Some(t) = cookie(&headers, SESSION_COOKIE) {
        if s.accounts.authenticate(t, Some(Realm::Hub)).await.is_ok() {
            return Redirect::to(&local_path(q.next.as_deref())).into_response();
        }
    }
    login_answer(StatusCode::OK, &headers, &s, |chrome| LoginPage {
        chrome,
        username: String::new(),
        next: local_path(q.next.as_deref()),
        error: None,
        need_code: false,
    })
}

async fn login(
    State(s): State<ConsoleState>,
    Peer(origin): Peer,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    let code = Some(f.code.trim()).filter(|c| !c.is_empty());
    let next = local_path(f.next.as_deref());
    match s
        .accounts
        .login(
            Some(Realm::Hub),
            f.username.trim(),
            &f.password,
            code,
            &origin,
        )
        .await
    {
        Ok(answer) => {
            let to = if answer.scope == Scope::Enrol {
                "/account/mfa".to_string()
            } else {
                next
            };
            let mut res = Redirect::to(&to).into_response();
            add_cookie(&mut res, &session_cookie(&answer.token, s.tls));
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

async fn logout(State(s): State<ConsoleState>, session: Session<Enrolling>) -> Response {
    let flash = match s.accounts.logout(&session.caller, &session.origin).await {
        Ok(()) => Flash::ok("You are signed out."),
        Err(e) => Flash::of(&e),
    };
    let mut res = super::redirect_with("/login", flash, s.tls);
    add_cookie(&mut res, &clear_session_cookie(s.tls));
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

async fn account_page(State(s): State<ConsoleState>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Account", "account");
    let page = AccountPage {
        user: session.caller.user.clone(),
        role: session.caller.role.as_str().into(),
        step_up_minutes: s.accounts.step_up_secs() / 60,
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

async fn change_password(
    State(s): State<ConsoleState>,
    mut session: Session<Enrolling>,
    Form(f): Form<PasswordForm>,
) -> Response {
    if f.new_password != f.confirm_password {
        return session.redirect(
            "/account/password",
            Flash::error("The new password and its confirmation differ; type them again."),
        );
    }
    match s
        .accounts
        .change_password(
            &session.caller,
            &f.current_password,
            &f.new_password,
            &session.origin,
        )
        .await
    {
        Ok(answer) => {
            let c = session.replace_token(&s.accounts, answer.token);
            let to = if answer.scope == Scope::Enrol {
                "/account/mfa"
            } else {
                "/account"
            };
            let mut res = session.redirect(
                to,
                Flash::ok("Your password is changed; your other sessions are signed out."),
            );
            add_cookie(&mut res, &c);
            res
        }
        Err(ServiceError::Unauthorized(_)) => session.redirect(
            "/account/password",
            Flash::error("The current password is wrong."),
        ),
        Err(e) => session.failed(&e, "/account/password"),
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

async fn mfa_start(State(s): State<ConsoleState>, session: Session<Enrolling>) -> Response {
    match s.accounts.enrol_start(&session.caller).await {
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
        Err(e) => session.failed(&e, "/account/mfa"),
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

async fn mfa_confirm(
    State(s): State<ConsoleState>,
    mut session: Session<Enrolling>,
    Form(f): Form<CodeForm>,
) -> Response {
    match s
        .accounts
        .enrol_confirm(&session.caller, f.code.trim(), &session.origin)
        .await
    {
        Ok(done) => {
            let c = session.replace_token(&s.accounts, done.login.token);
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
            "/account/mfa",
            Flash::error(
                "The code does not match the new secret: start again and type the code your app shows now.",
            ),
        ),
        Err(e) => session.failed(&e, "/account/mfa"),
    }
}

#[derive(Template)]
#[template(path = "console/step_up.html")]
struct StepUpPage {
    chrome: Chrome,
    next: String,
    minutes: i64,
}

async fn step_up_page(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    Query(q): Query<Next>,
) -> Response {
    let chrome = session.chrome("Confirm it is you", "");
    let page = StepUpPage {
        chrome: chrome.clone(),
        next: local_path(q.next.as_deref()),
        minutes: s.accounts.step_up_secs() / 60,
    };
    session.show(StatusCode::OK, &chrome, &page)
}

async fn step_up(
    State(s): State<ConsoleState>,
    mut session: Session<AnyUser>,
    Form(f): Form<CodeForm>,
) -> Response {
    let next = local_path(f.next.as_deref());
    match s
        .accounts
        .step_up(&session.caller, f.code.trim(), &session.origin)
        .await
    {
        Ok(answer) => {
            let c = session.replace_token(&s.accounts, answer.token);
            let mut res = session.redirect(
                &next,
                Flash::ok(format!(
                    "Confirmed: admin actions are allowed for {} minutes. Submit the form again.",
                    s.accounts.step_up_secs() / 60
                )),
            );
            add_cookie(&mut res, &c);
            res
        }
        Err(ServiceError::Unauthorized(_)) => {
            let to = format!(
                "/account/step-up?next={}",
                form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
            );
            session.redirect(
                &to,
                Flash::error("The code is wrong or was already used; wait for the next one."),
            )
        }
        Err(e) => session.redirect("/account/step-up", Flash::of(&e)),
    }
}

/// Steps the session up with `code` when one is given (a form that carries its own code
/// field): `Ok(Some(cookie))` with the new session cookie, `Ok(None)` without a code.
pub async fn step_up_with<R>(
    s: &ConsoleState,
    session: &mut Session<R>,
    code: Option<&str>,
) -> Result<Option<String>, ServiceError> {
    let Some(code) = code.map(str::trim).filter(|c| !c.is_empty()) else {
        return Ok(None);
    };
    let answer = s
        .accounts
        .step_up(&session.caller, code, &session.origin)
        .await?;
    Ok(Some(session.replace_token(&s.accounts, answer.token)))
}
