//! The manifests pages: generate for a month, preview (rendered and raw JSON), send to the
//! Root, download, history with delivery status, attempts, last error and receipt, and import a
//! receipt file.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;

use super::account::step_up_with;
use super::session::{add_cookie, Flash, Session};
use super::{date_time, sentence, Chrome, ConsoleState, Routes};
use crate::http::extract::{AdminOnly, AnyUser};
use crate::service::hub::{ManifestPreview, ManifestRecord, ReceiptFile};
use crate::service::ServiceError;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/manifests", list)
        .post("/manifests/generate", generate)
        .get("/manifests/{id}", preview)
        .get("/manifests/{id}/download", download)
        .get("/manifests/{id}/json", raw_json)
        .post("/manifests/{id}/send", send)
        .post("/manifests/{id}/receipt", import_receipt)
}

/// Most sites listed on a preview page (the raw JSON and the download have them all).
const PREVIEW_SITES: usize = 200;
/// Largest raw JSON shown inside the preview page; a larger one (10,000 sites are 2.5 MB) is
/// linked (`/manifests/{id}/json`), so the page stays fast.
const INLINE_JSON: usize = 256 * 1024;

/// A manifest as the history lists it.
struct Row {
    id: String,
    period: String,
    generated: String,
    status: String,
    attempts: i64,
    sent: String,
    last_error: String,
    receipt: bool,
}

impl From<&ManifestRecord> for Row {
    fn from(m: &ManifestRecord) -> Self {
        Self {
            id: m.id.clone(),
            period: m.period.clone(),
            generated: date_time(m.generated_at),
            status: m.status.clone(),
            attempts: m.attempts,
            sent: m.sent_at.map(date_time).unwrap_or_default(),
            last_error: m.last_error.clone().unwrap_or_default(),
            receipt: m.receipt.is_some(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/manifests.html")]
struct ListPage {
    chrome: Chrome,
    rows: Vec<Row>,
    period: String,
    error: Option<String>,
}

async fn list(State(s): State<ConsoleState>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Manifests", "manifests");
    let (rows, error) = match s.hub.manifests(None).await {
        Ok(ms) => (ms.iter().map(Row::from).collect(), None),
        Err(e) => (Vec::new(), Some(sentence(&e))),
    };
    let page = ListPage {
        chrome: chrome.clone(),
        rows,
        period: s.hub.current_period(),
        error,
    };
    session.show(StatusCode::OK, &chrome, &page)
}

/// The generate form: a month, `YYYY-MM`.
#[derive(Debug, Deserialize)]
pub struct GenerateForm {
    period: String,
}

async fn generate(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Form(f): Form<GenerateForm>,
) -> Response {
    let period = f.period.trim();
    match s.hub.generate_manifest(period, &session.actor()).await {
        Ok((m, new)) => session.redirect(
            &format!("/manifests/{}", m.id),
            Flash::ok(if new {
                format!(
                    "The manifest of {} is generated; check it, then send it to the Root.",
                    m.period
                )
            } else {
                format!(
                    "The manifest of {} was already generated; here it is.",
                    m.period
                )
            }),
        ),
        Err(e) => session.failed(&e, "/manifests"),
    }
}

#[derive(Template)]
#[template(path = "console/manifest.html")]
struct PreviewPage {
    chrome: Chrome,
    row: Row,
    m: ManifestPreview,
    /// The first [`PREVIEW_SITES`] sites, ready to show.
    sites: Vec<SiteLine>,
    /// The raw JSON is shown inline (else linked), and its size in KiB.
    inline_json: bool,
    json_kib: usize,
}

/// One site of a manifest as the preview lists it.
struct SiteLine {
    site_id: String,
    product: String,
    tier: String,
    status: String,
    issued: String,
    last_seen: String,
}

async fn preview(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    Path(id): Path<String>,
) -> Response {
    match s.hub.manifest_preview(&id).await {
        Ok(m) => {
            let chrome = session.chrome(format!("Manifest {}", m.record.period), "manifests");
            let page = PreviewPage {
                chrome: chrome.clone(),
                row: Row::from(&m.record),
                sites: m
                    .claims
                    .iter()
                    .flat_map(|c| c.sites.iter().take(PREVIEW_SITES))
                    .map(|st| SiteLine {
                        site_id: st.site_id.clone(),
                        product: st.product.clone(),
                        tier: st.tier.clone(),
                        status: st.status.clone(),
                        issued: date_time(st.issued_at),
                        last_seen: st.last_seen.map_or_else(|| "never".into(), date_time),
                    })
                    .collect(),
                inline_json: m.payload_json.len() <= INLINE_JSON,
                json_kib: m.payload_json.len().div_ceil(1024),
                m,
            };
            session.show(StatusCode::OK, &chrome, &page)
        }
        Err(e @ ServiceError::NotFound(_)) => {
            super::error_page(StatusCode::NOT_FOUND, &sentence(&e))
        }
        Err(e) => session.failed(&e, "/manifests"),
    }
}

async fn download(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    Path(id): Path<String>,
) -> Response {
    match s.hub.manifest(&id).await {
        Ok(m) => (
            [
                (header::CONTENT_TYPE, "application/jose".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"manifest-{}.jws\"", m.period),
                ),
            ],
            m.jws,
        )
            .into_response(),
        Err(e @ ServiceError::NotFound(_)) => {
            super::error_page(StatusCode::NOT_FOUND, &sentence(&e))
        }
        Err(e) => session.failed(&e, "/manifests"),
    }
}

/// `GET /manifests/{id}/json`: the signed payload as indented JSON.
async fn raw_json(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    Path(id): Path<String>,
) -> Response {
    match s.hub.manifest_preview(&id).await {
        Ok(m) => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            m.payload_json,
        )
            .into_response(),
        Err(e @ ServiceError::NotFound(_)) => {
            super::error_page(StatusCode::NOT_FOUND, &sentence(&e))
        }
        Err(e) => session.failed(&e, "/manifests"),
    }
}

/// The send form: an optional code that steps the session up first.
#[derive(Debug, Deserialize)]
pub struct SendForm {
    #[serde(default)]
    code: String,
}

async fn send(
    State(s): State<ConsoleState>,
    mut session: Session<AdminOnly>,
    Path(id): Path<String>,
    Form(f): Form<SendForm>,
) -> Response {
    let back = format!("/manifests/{id}");
    let cookie = match step_up_with(&s, &mut session, Some(&f.code)).await {
        Ok(c) => c,
        Err(e) => return session.redirect(&back, Flash::of(&e)),
    };
    let result = match s.accounts.require_step_up(&session.caller) {
        Ok(()) => s.hub.send_manifest(&id, None, &session.actor()).await,
        Err(e) => Err(e),
    };
    let mut res = match result {
        Ok(m) => session.redirect(
            &back,
            Flash::ok(format!(
                "The manifest of {} is delivered: the Root's receipt verified ({} attempt(s)).",
                m.period, m.attempts
            )),
        ),
        Err(e) => session.failed(&e, &back),
    };
    if let Some(c) = cookie {
        add_cookie(&mut res, &c);
    }
    res
}

/// The receipt form: the receipt file's JSON as the Root wrote it.
#[derive(Debug, Deserialize)]
pub struct ReceiptForm {
    receipt_file: String,
}

async fn import_receipt(
    State(s): State<ConsoleState>,
    session: Session<AdminOnly>,
    Path(id): Path<String>,
    Form(f): Form<ReceiptForm>,
) -> Response {
    let back = format!("/manifests/{id}");
    let file: ReceiptFile = match serde_json::from_str(f.receipt_file.trim()) {
        Ok(file) => file,
        Err(_) => {
            return session.redirect(
                &back,
                Flash::error(
                    "This is not a receipt file: paste the whole JSON file the Root wrote (with \"receipt\" and \"receipt_key_certificate\").",
                ),
            )
        }
    };
    match s.hub.import_receipt(&id, &file, &session.actor()).await {
        Ok(m) => session.redirect(
            &back,
            Flash::ok(format!(
                "The receipt verified: the manifest of {} is recorded as delivered.",
                m.period
            )),
        ),
        Err(e) => session.failed(&e, &back),
    }
}
