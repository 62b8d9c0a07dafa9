//! The records pages: the ledger (`/ledger`: a page of entries, each verified on its own, and
//! `/ledger/verify`: the whole chain checked by core, with the result) and the audit log
//! (`/audit`: filtered by actor, action and days; `/audit.csv`: the same filter as CSV through
//! the shared CSV module). Admins only, as `GET /api/audit` and the ledger are. Each handler
//! calls one service function.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::session::Session;
use super::{error_page, sentence, Chrome, ConsoleState, Routes};
use crate::domain::Realm;
use crate::http::extract::AdminOnly;
use crate::service::audit::{self, AuditEntry, AuditFilter};
use crate::service::hub::EntryView;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/ledger", ledger)
        .get("/ledger/verify", ledger_verify)
        .get("/audit", audit_page)
        .get("/audit.csv", audit_csv)
}

/// Entries per ledger page.
pub const LEDGER_PAGE: i64 = 100;
/// Entries per audit page.
pub const AUDIT_PAGE: i64 = 100;

/// The first `limit` query fields of `q` as (name, value), each value cut to 256 characters.
fn fields(q: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(q.unwrap_or("").as_bytes())
        .take(16)
        .map(|(k, v)| (k.into_owned(), v.chars().take(256).collect()))
        .collect()
}

fn field<'a>(f: &'a [(String, String)], name: &str) -> Option<&'a str> {
    f.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .filter(|v| !v.is_empty())
}

/// A non-negative offset from the query (0 when absent or not a number).
fn offset(f: &[(String, String)]) -> i64 {
    field(f, "offset")
        .and_then(|v| v.parse::<i64>().ok())
        .filter(|o| *o >= 0)
        .unwrap_or(0)
}

/// One ledger entry as the page lists it.
#[derive(Clone, Debug)]
pub struct LedgerRow {
    /// Position.
    pub seq: i64,
    /// When (UTC), if it verified.
    pub at: String,
    /// What happened (`site_created`, …), if it verified.
    pub event: String,
    /// The site, if any.
    pub site: String,
    /// The detail, if any.
    pub detail: String,
    /// The entry's id (hash), if it verified.
    pub id: String,
    /// Why it does not verify; none when it does.
    pub error: Option<String>,
}

impl From<&EntryView> for LedgerRow {
    fn from(e: &EntryView) -> Self {
        let c = e.entry.as_ref();
        Self {
            seq: e.seq,
            at: c.map(|c| super::date_time(c.at)).unwrap_or_default(),
            event: c
                .and_then(|c| serde_json::to_value(c.event).ok())
                .and_then(|v| v.as_str().map(String::from))
                .unwrap_or_default(),
            site: c.and_then(|c| c.site_id.clone()).unwrap_or_default(),
            detail: c.and_then(|c| c.detail.clone()).unwrap_or_default(),
            id: e.id.clone().unwrap_or_default(),
            error: e.error.clone(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/records/ledger.html")]
struct LedgerPage {
    chrome: Chrome,
    length: u64,
    head: String,
    rows: Vec<LedgerRow>,
    offset: i64,
    prev: Option<i64>,
    next: Option<i64>,
    error: Option<String>,
    /// The whole chain's check, when asked for: Ok(summary) or the sentence.
    verified: Option<Result<(u64, String), String>>,
}

async fn ledger_with(
    s: &ConsoleState,
    session: &Session<AdminOnly>,
    q: Option<&str>,
    verify: bool,
) -> Response {
    let chrome = session.chrome("Ledger", "ledger");
    let f = fields(q);
    let off = offset(&f);
    let verified = if verify {
        Some(
            s.hub
                .verify_ledger()
                .await
                .map(|v| (v.length, v.head))
                .map_err(|e| sentence(&e)),
        )
    } else {
        None
    };
    let (status, page) = match s.hub.ledger_page(LEDGER_PAGE, off).await {
        Ok(p) => (
            StatusCode::OK,
            LedgerPage {
                chrome: chrome.clone(),
                length: p.length,
                head: p.head,
                rows: p.entries.iter().map(LedgerRow::from).collect(),
                offset: off,
                prev: (off > 0).then(|| (off - LEDGER_PAGE).max(0)),
                next: (((off + LEDGER_PAGE) as u64) < p.length).then_some(off + LEDGER_PAGE),
                error: None,
                verified,
            },
        ),
        Err(e) => (
            StatusCode::OK,
            LedgerPage {
                chrome: chrome.clone(),
                length: 0,
                head: String::new(),
                rows: vec![],
                offset: off,
                prev: None,
                next: None,
                error: Some(sentence(&e)),
                verified,
            },
        ),
    };
    session.show(status, &chrome, &page)
}

async fn ledger(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    RawQuery(q): RawQuery,
) -> Response {
    ledger_with(&s, &session, q.as_deref(), false).await
}

async fn ledger_verify(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    RawQuery(q): RawQuery,
) -> Response {
    ledger_with(&s, &session, q.as_deref(), true).await
}

/// The audit filter of a query.
fn audit_filter(f: &[(String, String)]) -> AuditFilter {
    AuditFilter {
        actor: field(f, "actor").map(String::from),
        action: field(f, "action").map(String::from),
        from: field(f, "from").map(String::from),
        to: field(f, "to").map(String::from),
    }
}

/// The query string of a filter (for the CSV link and the pages), without the offset.
fn filter_query(a: &AuditFilter) -> String {
    let mut s = form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("actor", &a.actor),
        ("action", &a.action),
        ("from", &a.from),
        ("to", &a.to),
    ] {
        if let Some(v) = v {
            s.append_pair(k, v);
        }
    }
    s.finish()
}

#[derive(Template)]
#[template(path = "console/records/audit.html")]
struct AuditLogPage {
    chrome: Chrome,
    filter: AuditFilter,
    query: String,
    total: i64,
    entries: Vec<AuditEntry>,
    prev: Option<i64>,
    next: Option<i64>,
    error: Option<String>,
}

impl AuditLogPage {
    fn value<'a>(&self, v: &'a Option<String>) -> &'a str {
        v.as_deref().unwrap_or("")
    }
}

async fn audit_page(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    RawQuery(q): RawQuery,
) -> Response {
    let chrome = session.chrome("Audit log", "audit");
    let f = fields(q.as_deref());
    let filter = audit_filter(&f);
    let off = offset(&f);
    let result = s
        .accounts
        .audit_search(Realm::Hub, &filter, AUDIT_PAGE, off)
        .await;
    let (status, total, entries, error) = match result {
        Ok(p) => (StatusCode::OK, p.total, p.entries, None),
        Err(e) => (StatusCode::BAD_REQUEST, 0, vec![], Some(sentence(&e))),
    };
    let page = AuditLogPage {
        chrome: chrome.clone(),
        query: filter_query(&filter),
        filter,
        prev: (off > 0).then(|| (off - AUDIT_PAGE).max(0)),
        next: (off + AUDIT_PAGE < total).then_some(off + AUDIT_PAGE),
        total,
        entries,
        error,
    };
    session.show(status, &chrome, &page)
}

async fn audit_csv(
    State(s): State<ConsoleState>,
    _session: Session<AdminOnly>,
    RawQuery(q): RawQuery,
) -> Response {
    let filter = audit_filter(&fields(q.as_deref()));
    match s
        .accounts
        .audit_search(Realm::Hub, &filter, audit::MAX_AUDIT_EXPORT, 0)
        .await
    {
        Ok(p) => {
            let mut res = audit::to_csv(&p.entries).into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            );
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"audit.csv\""),
            );
            res
        }
        Err(e) => error_page(StatusCode::BAD_REQUEST, &sentence(&e)),
    }
}

// ---- Users, roles and service tokens (`/users`), alerts (`/alerts`) ----------------------

use axum::extract::Path;
use axum::Form;
use serde::Deserialize;

use super::account::step_up_with;
use super::session::{add_cookie, Flash};
use crate::domain::{alerts::Alert, Role};
use crate::http::extract::AnyUser;
use crate::service::accounts::{Accounts, NewServiceToken, ServiceTokenInfo, UserInfo};
use crate::service::audit::Actor;
use crate::service::ServiceError;
use std::sync::Arc;

pub(super) fn people_routes(r: Routes) -> Routes {
    r.get("/users", users)
        .post("/users/create", user_create)
        .post("/users/{username}/role", user_role)
        .post("/users/{username}/unlock", user_unlock)
        .post("/users/{username}/delete", user_delete)
        .post("/tokens/create", token_create)
        .post("/tokens/{id}/revoke", token_revoke)
        .get("/alerts", alerts)
}

#[derive(Template)]
#[template(path = "console/records/users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserInfo>,
    tokens: Vec<ServiceTokenInfo>,
    /// A service token just created: its secret, shown this once.
    created: Option<NewServiceToken>,
    error: Option<String>,
    now: i64,
}

async fn users_page(
    s: &ConsoleState,
    session: &Session<AdminOnly>,
    created: Option<NewServiceToken>,
) -> Response {
    let chrome = session.chrome("Users and tokens", "users");
    let users = s.accounts.list_users(Realm::Hub).await;
    let tokens = s.accounts.service_tokens(Realm::Hub).await;
    let error = users.as_ref().err().or(tokens.as_ref().err()).map(sentence);
    let page = UsersPage {
        chrome: chrome.clone(),
        users: users.unwrap_or_default(),
        tokens: tokens.unwrap_or_default(),
        created,
        error,
        now: s.hub.now(),
    };
    session.show(StatusCode::OK, &chrome, &page)
}

async fn users(State(s): State<ConsoleState>, session: Session<AdminOnly>) -> Response {
    users_page(&s, &session, None).await
}

/// Runs `act` (with the accounts service and the session's actor) after stepping the session
/// up with the form's `code` (when given) and checking the step-up the API requires; answers
/// with a redirect to `/users` carrying the outcome (or to the step-up page), and the new
/// session cookie when the code stepped it up. Every change of the Users page but the token
/// creation (which answers a page) goes through here.
async fn stepped<F, Fut>(
    s: &ConsoleState,
    mut session: Session<AdminOnly>,
    code: &str,
    act: F,
) -> Response
where
    F: FnOnce(Arc<Accounts>, Actor) -> Fut,
    Fut: std::future::Future<Output = Result<String, ServiceError>>,
{
    let cookie = match step_up_with(s, &mut session, Some(code)).await {
        Ok(c) => c,
        Err(e) => return session.redirect("/users", Flash::of(&e)),
    };
    let result = match s.accounts.require_step_up(&session.caller) {
        Ok(()) => act(s.accounts.clone(), session.actor()).await,
        Err(e) => Err(e),
    };
    let mut res = match result {
        Ok(done) => session.redirect("/users", Flash::ok(done)),
        Err(e) => session.failed(&e, "/users"),
    };
    if let Some(c) = cookie {
        add_cookie(&mut res, &c);
    }
    res
}

/// The user form.
#[derive(Debug, Deserialize)]
pub struct UserForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    code: String,
}

async fn user_create(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Form(f): Form<UserForm>,
) -> Response {
    stepped(&s, session, &f.code, |accounts, actor| async move {
        let role = Role::parse(&f.role)?;
        accounts
            .create_user(&actor, Realm::Hub, &f.username, &f.password, role)
            .await?;
        Ok(format!("User {} added as {}.", f.username, role.as_str()))
    })
    .await
}

async fn user_role(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Path(username): Path<String>,
    Form(f): Form<UserForm>,
) -> Response {
    stepped(&s, session, &f.code, |accounts, actor| async move {
        let role = Role::parse(&f.role)?;
        accounts
            .set_role(&actor, Realm::Hub, &username, role)
            .await?;
        Ok(format!(
            "{username} is now {}; their sessions and tokens stopped working.",
            role.as_str()
        ))
    })
    .await
}

/// A form with only the step-up code.
#[derive(Debug, Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

async fn user_unlock(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Path(username): Path<String>,
    Form(f): Form<CodeForm>,
) -> Response {
    stepped(&s, session, &f.code, |accounts, actor| async move {
        accounts.unlock(&actor, Realm::Hub, &username).await?;
        Ok(format!("{username} is unlocked."))
    })
    .await
}

async fn user_delete(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Path(username): Path<String>,
    Form(f): Form<CodeForm>,
) -> Response {
    stepped(&s, session, &f.code, |accounts, actor| async move {
        accounts.delete_user(&actor, Realm::Hub, &username).await?;
        Ok(format!(
            "{username} is deleted; their sessions stopped working."
        ))
    })
    .await
}

/// The service-token form.
#[derive(Debug, Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    code: String,
}

async fn token_create(
    State(s): State<ConsoleState>,
    mut session: Session<AdminOnly>,
    Form(f): Form<TokenForm>,
) -> Response {
    // Not through `stepped`: the answer shows the secret once (a page, not a redirect).
    let cookie = match step_up_with(&s, &mut session, Some(&f.code)).await {
        Ok(c) => c,
        Err(e) => return session.redirect("/users", Flash::of(&e)),
    };
    let result = async {
        s.accounts.require_step_up(&session.caller)?;
        let role = Role::parse(&f.role)?;
        let days: u32 = f
            .days
            .trim()
            .parse()
            .map_err(|_| ServiceError::Invalid("days must be a whole number 1..=365".into()))?;
        s.accounts
            .create_service_token(&session.caller, &f.name, role, days, &session.origin)
            .await
    }
    .await;
    let mut res = match result {
        Ok(t) => users_page(&s, &session, Some(t)).await,
        Err(e) => session.failed(&e, "/users"),
    };
    if let Some(c) = cookie {
        add_cookie(&mut res, &c);
    }
    res
}

async fn token_revoke(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Path(id): Path<String>,
    Form(f): Form<CodeForm>,
) -> Response {
    stepped(&s, session, &f.code, |accounts, actor| async move {
        accounts
            .revoke_service_token(&actor, Realm::Hub, &id)
            .await?;
        Ok(format!("Service token {id} is revoked."))
    })
    .await
}

#[derive(Template)]
#[template(path = "console/records/alerts.html")]
struct AlertsPage {
    chrome: Chrome,
    alerts: Vec<Alert>,
    error: Option<String>,
}

async fn alerts(State(s): State<ConsoleState>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Alerts", "alerts");
    let mut error = None;
    let mut list = crate::service::alerts::current(&s.hub)
        .await
        .unwrap_or_else(|e| {
            error = Some(sentence(&e));
            vec![]
        });
    // Locked accounts are shown to the admins of the realm, as the API does.
    if session.caller.role == Role::Admin {
        match s.accounts.lock_alerts(Realm::Hub).await {
            Ok(l) => list.extend(l),
            Err(e) => error = Some(sentence(&e)),
        }
    }
    let page = AlertsPage {
        chrome: chrome.clone(),
        alerts: list,
        error,
    };
    session.show(StatusCode::OK, &chrome, &page)
}
