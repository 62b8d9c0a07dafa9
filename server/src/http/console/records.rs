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
