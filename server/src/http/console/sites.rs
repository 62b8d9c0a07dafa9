//! The Sites pages: the list (filters, search, sort, pagination; htmx swaps the results, plain
//! links and the GET form work without JavaScript), the create form, a site's page (license
//! data, timestamps, its ledger entries, the chain preview run in the browser by the WASM
//! package), revoke behind a confirmation page, the `site.lic` download, and the CSV import
//! (dry run, then commit). Every handler reads a form, calls one Hub service function
//! (`list_sites`, `create_site`, `site`, `site_ledger`, `revoke_site`, `site_license`,
//! `import_sites`) and renders; no rule lives here.
//!
//! The pages' own files (`sites.css`, `chain-preview.js` and the WASM package's web build,
//! committed under `server/assets/wasm/`) are served at `/assets/sites-<hash>/<file>`, where
//! `<hash>` covers every file of the set, so they are cached for a year and a new build has new
//! URLs; the package's own relative imports resolve inside that folder.

use std::sync::LazyLock;

use askama::Template;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use super::session::{Flash, Session};
use super::{date_time, error_page, sentence, Cacheable, Chrome, ConsoleState, Routes, WasmPage};
use crate::domain::{Role, SiteFingerprint};
use crate::http::extract::{AnyUser, OperatorUp};
use crate::service::hub::import::{self, ImportReport, Outcome};
use crate::service::hub::{EntryView, NewSite, SitePage, SiteQuery, SiteView};
use crate::service::ServiceError;

pub(super) fn routes(r: Routes) -> Routes {
    r.get_post("/sites", list, create)
        .get("/sites.csv", export)
        .get("/sites/new", new_page)
        .get_post("/sites/import", import_page, import_dry_run)
        .post("/sites/import/commit", import_commit)
        .get("/sites/{site_id}", detail)
        .get_post("/sites/{site_id}/revoke", revoke_page, revoke)
        .get("/sites/{site_id}/site.lic", download)
        .get("/assets/{dir}/{file}", wasm_asset)
}

/// Rows of a list page.
const PAGE_SIZE: i64 = 50;
/// Ledger entries shown on a site's page (the newest).
const SITE_LEDGER: i64 = 50;

// ---------------------------------------------------------------- list

/// The list's query string (every field optional; bad values are the service's errors).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    tier: String,
    /// The search (`?q=`; `?search=` as the API names it works too).
    #[serde(default, alias = "search")]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    order: String,
    #[serde(default)]
    page: Option<i64>,
}

impl ListQuery {
    fn page(&self) -> i64 {
        self.page.unwrap_or(1).clamp(1, 1_000_000)
    }

    /// This query's URL at page `page` (empty fields left out).
    fn url(&self, page: i64) -> String {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &self.status),
            ("product", &self.product),
            ("tier", &self.tier),
            ("q", &self.q),
            ("sort", &self.sort),
            ("order", &self.order),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        if page > 1 {
            q.append_pair("page", &page.to_string());
        }
        let s = q.finish();
        if s.is_empty() {
            "/sites".into()
        } else {
            format!("/sites?{s}")
        }
    }

    /// The service query of this list's filter, search and order, at `limit` and `offset`.
    fn site_query(&self, limit: i64, offset: i64) -> SiteQuery {
        SiteQuery {
            status: optional(&self.status),
            product: optional(&self.product),
            tier: optional(&self.tier),
            search: optional(&self.q),
            sort: optional(&self.sort),
            order: optional(&self.order),
            limit: Some(limit),
            offset: Some(offset),
        }
    }

    /// The CSV export of this list (every page): `/sites.csv?…`.
    fn csv_url(&self) -> String {
        self.url(1).replacen("/sites", "/sites.csv", 1)
    }

    /// The URL sorting by `key`: the other direction when already sorted by it.
    fn sort_url(&self, key: &str) -> String {
        let current = if self.sort.is_empty() {
            "site_id"
        } else {
            &self.sort
        };
        let order = if current == key && self.order != "desc" {
            "desc"
        } else {
            "asc"
        };
        ListQuery {
            sort: key.into(),
            order: order.into(),
            page: None,
            ..self.clone()
        }
        .url(1)
    }

    /// `aria-sort` of column `key`.
    fn aria_sort(&self, key: &str) -> &'static str {
        let current = if self.sort.is_empty() {
            "site_id"
        } else {
            &self.sort
        };
        match (current == key, self.order == "desc") {
            (false, _) => "none",
            (true, false) => "ascending",
            (true, true) => "descending",
        }
    }
}

/// One row of the list, formatted.
struct Row {
    site_id: String,
    status: String,
    product: String,
    tier: String,
    created: String,
    expires: String,
    last_seen: String,
}

impl From<&SiteView> for Row {
    fn from(s: &SiteView) -> Self {
        Self {
            site_id: s.site_id.clone(),
            status: s.status.clone(),
            product: s.product.clone(),
            tier: s.tier.clone(),
            created: date_time(s.created_at),
            expires: date_time(s.expires_at),
            last_seen: s.last_seen.map_or_else(|| "never".into(), date_time),
        }
    }
}

/// The results part of the list: what htmx swaps (`results.html`) and what the page shows.
struct Results {
    q: ListQuery,
    rows: Vec<Row>,
    total: i64,
    first: i64,
    last: i64,
    prev: Option<String>,
    next: Option<String>,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "console/sites/list.html")]
struct ListPage {
    chrome: Chrome,
    res: Results,
}

/// The results alone (an htmx request).
#[derive(Template)]
#[template(path = "console/sites/results.html")]
struct ListResults {
    res: Results,
}

fn optional(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `GET /sites`: the list; with `HX-Request` only the results (htmx swaps them in).
async fn list(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    headers: HeaderMap,
    Query(q): Query<ListQuery>,
) -> Response {
    let chrome = session.chrome("Sites", "sites");
    let page = q.page();
    let query = q.site_query(PAGE_SIZE, (page - 1) * PAGE_SIZE);
    let (result, error) = match s.hub.list_sites(&query).await {
        Ok(p) => (p, None),
        Err(e) => (
            SitePage {
                total: 0,
                limit: PAGE_SIZE,
                offset: 0,
                sites: vec![],
            },
            Some(sentence(&e)),
        ),
    };
    let offset = (page - 1) * PAGE_SIZE;
    let shown = result.sites.len() as i64;
    let res = Results {
        rows: result.sites.iter().map(Row::from).collect(),
        total: result.total,
        first: if shown == 0 { 0 } else { offset + 1 },
        last: offset + shown,
        prev: (page > 1).then(|| q.url(page - 1)),
        next: (offset + shown < result.total).then(|| q.url(page + 1)),
        error,
        q,
    };
    if headers.contains_key("hx-request") {
        return super::render(StatusCode::OK, &ListResults { res });
    }
    let view = ListPage {
        chrome: chrome.clone(),
        res,
    };
    session.show(StatusCode::OK, &chrome, &view)
}

/// `GET /sites.csv`: every site the list's filter, search and order match (all pages), in
/// the import's columns (`Hub::export_sites`), as an attachment; a bad filter is a 400 page.
async fn export(
    State(s): State<ConsoleState>,
    _session: Session<AnyUser>,
    Query(q): Query<ListQuery>,
) -> Response {
    match s.hub.export_sites(&q.site_query(0, 0)).await {
        Ok(text) => csv_attachment("sites.csv", text),
        Err(e @ ServiceError::Invalid(_)) => error_page(StatusCode::BAD_REQUEST, &sentence(&e)),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

/// A CSV file as a download named `name`.
pub fn csv_attachment(name: &str, text: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        text,
    )
        .into_response()
}

// ---------------------------------------------------------------- create

/// The create form's fields.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CreateForm {
    #[serde(default)]
    site_id: String,
    #[serde(default)]
    product: String,
    #[serde(default)]
    tier: String,
    /// Checked feature packs (repeated `features=` fields).
    #[serde(default)]
    features: Vec<String>,
    #[serde(default)]
    address: String,
    #[serde(default)]
    dns_suffix: String,
    #[serde(default)]
    deployment_tag: String,
    #[serde(default)]
    valid_days: String,
}

#[derive(Template)]
#[template(path = "console/sites/new.html")]
struct NewPage {
    chrome: Chrome,
    form: CreateForm,
    packs: Vec<String>,
    error: Option<String>,
    /// The CML's state when no site can be created (none installed, expired).
    blocked: Option<String>,
}

impl NewPage {
    fn checked(&self, pack: &str) -> bool {
        self.form.features.iter().any(|f| f == pack)
    }
}

async fn new_page_with(
    s: &ConsoleState,
    session: &Session<OperatorUp>,
    form: CreateForm,
    error: Option<String>,
    status: StatusCode,
) -> Response {
    let chrome = session.chrome("New site", "sites");
    let (packs, blocked) = match s.hub.cml_status().await {
        Ok(c) => (c.feature_packs, None),
        Err(e) => (vec![], Some(sentence(&e))),
    };
    let page = NewPage {
        chrome: chrome.clone(),
        form,
        packs,
        error,
        blocked,
    };
    session.show(status, &chrome, &page)
}

/// `GET /sites/new`.
async fn new_page(State(s): State<ConsoleState>, session: Session<OperatorUp>) -> Response {
    new_page_with(&s, &session, CreateForm::default(), None, StatusCode::OK).await
}

/// `POST /sites`: creates the site (`create_site`: the same call as the API's), then its page.
async fn create(
    State(s): State<ConsoleState>,
    session: Session<OperatorUp>,
    axum_extra_form: RepeatedForm<CreateForm>,
) -> Response {
    let f = axum_extra_form.0;
    let valid_days = match optional(&f.valid_days).map(|d| d.parse::<u32>()) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(_)) => {
            let msg = format!(
                "Please check the form: days of validity must be a whole number, not {:?}.",
                f.valid_days
            );
            return new_page_with(&s, &session, f, Some(msg), StatusCode::UNPROCESSABLE_ENTITY)
                .await;
        }
    };
    let fingerprint = SiteFingerprint {
        address: optional(&f.address),
        dns_suffix: optional(&f.dns_suffix),
        deployment_tag: optional(&f.deployment_tag),
    };
    let new = NewSite {
        site_id: f.site_id.trim().to_string(),
        fingerprint: (!fingerprint.is_empty()).then_some(fingerprint),
        product: optional(&f.product),
        tier: optional(&f.tier),
        features: f.features.clone(),
        valid_days,
    };
    match s.hub.create_site(&new, &session.actor()).await {
        Ok(site) => session.redirect(
            &site_url(&site.site_id),
            Flash::ok(format!(
                "Site {} created; its license is valid until {}.",
                site.site_id,
                date_time(site.expires_at)
            )),
        ),
        Err(e @ (ServiceError::StepUpRequired { .. } | ServiceError::EnrolmentRequired)) => {
            session.failed(&e, "/sites/new")
        }
        Err(e) => {
            let status = match e {
                ServiceError::MaxSitesReached { .. } | ServiceError::SiteExists { .. } => {
                    StatusCode::CONFLICT
                }
                _ => StatusCode::UNPROCESSABLE_ENTITY,
            };
            new_page_with(&s, &session, f, Some(sentence(&e)), status).await
        }
    }
}

/// A url-encoded form whose repeated fields (`features=a&features=b`) fill a `Vec`.
pub struct RepeatedForm<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for RepeatedForm<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Response;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(IntoResponse::into_response)?;
        // Group the pairs: a key seen more than once (or `features`) becomes an array.
        let mut map = serde_json::Map::new();
        for (k, v) in form_urlencoded::parse(&bytes) {
            let v = serde_json::Value::String(v.into_owned());
            match map.get_mut(k.as_ref()) {
                Some(serde_json::Value::Array(a)) => a.push(v),
                Some(other) => {
                    let first = other.take();
                    *other = serde_json::Value::Array(vec![first, v]);
                }
                None if k == "features" => {
                    map.insert(k.into_owned(), serde_json::Value::Array(vec![v]));
                }
                None => {
                    map.insert(k.into_owned(), v);
                }
            }
        }
        map.remove(super::CSRF_FIELD);
        serde_json::from_value(serde_json::Value::Object(map))
            .map(RepeatedForm)
            .map_err(|e| {
                error_page(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    &format!("The form could not be read: {e}."),
                )
            })
    }
}

fn site_url(site_id: &str) -> String {
    format!("/sites/{site_id}")
}

// ---------------------------------------------------------------- detail

/// A ledger entry as the site's page shows it.
struct LedgerRow {
    seq: i64,
    event: String,
    at: String,
    detail: String,
    id: String,
    error: Option<String>,
}

impl From<EntryView> for LedgerRow {
    fn from(e: EntryView) -> Self {
        match e.entry {
            Some(c) => Self {
                seq: e.seq,
                event: serde_json::to_value(c.event)
                    .ok()
                    .and_then(|v| v.as_str().map(|e| e.replace('_', " ")))
                    .unwrap_or_default(),
                at: date_time(c.at),
                detail: c.detail.unwrap_or_default(),
                id: e.id.unwrap_or_default(),
                error: None,
            },
            None => Self {
                seq: e.seq,
                event: String::new(),
                at: String::new(),
                detail: String::new(),
                id: String::new(),
                error: e.error,
            },
        }
    }
}

/// What the chain preview script reads from the page (`data-*` attributes, JSON-encoded).
struct Preview {
    /// The trusted root keys: `[{kid, environment, key}]` (PEM).
    roots: String,
    /// The validator's environment.
    environment: String,
    /// The site's `site.lic`.
    license: String,
    /// The script's URL.
    script: String,
}

#[derive(Template)]
#[template(path = "console/sites/detail.html")]
struct DetailPage {
    chrome: Chrome,
    site: SiteView,
    issued: String,
    expires: String,
    created: String,
    revoked: Option<String>,
    last_seen: String,
    ledger: Vec<LedgerRow>,
    ledger_error: Option<String>,
    preview: Option<Preview>,
    preview_error: Option<String>,
}

impl DetailPage {
    /// The site's fingerprint as JSON, for the preview's sample node facts.
    fn fingerprint_json(&self) -> String {
        serde_json::to_string(&self.site.fingerprint).unwrap_or_else(|_| "{}".into())
    }
}

/// `GET /sites/{site_id}`.
async fn detail(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    Path(site_id): Path<String>,
) -> Response {
    let site = match s.hub.site(&site_id).await {
        Ok(v) => v.for_role(session.caller.role),
        Err(e @ ServiceError::UnknownSite(_)) => {
            return error_page(StatusCode::NOT_FOUND, &sentence(&e))
        }
        Err(e) => return error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    };
    let chrome = session.chrome(format!("Site {}", site.site_id), "sites");
    let (ledger, ledger_error) = match s.hub.site_ledger(&site.site_id, SITE_LEDGER).await {
        Ok(v) => (v.into_iter().map(LedgerRow::from).collect(), None),
        Err(e) => (vec![], Some(sentence(&e))),
    };
    // The preview needs the site.lic, which holds the license id: operators and admins only.
    let (preview, preview_error) = if session.caller.role.includes(Role::Operator) {
        match preview_for(&s, &site.site_id).await {
            Ok(p) => (Some(p), None),
            Err(e) => (None, Some(sentence(&e))),
        }
    } else {
        (None, None)
    };
    let page = DetailPage {
        chrome: chrome.clone(),
        issued: date_time(site.issued_at),
        expires: date_time(site.expires_at),
        created: date_time(site.created_at),
        revoked: site.revoked_at.map(date_time),
        last_seen: site
            .last_seen
            .map_or_else(|| "never (no heartbeat yet)".into(), date_time),
        site,
        ledger,
        ledger_error,
        preview,
        preview_error,
    };
    let mut res = session.show(StatusCode::OK, &chrome, &page);
    if page.preview.is_some() {
        res.extensions_mut().insert(WasmPage);
    }
    res
}

async fn preview_for(s: &ConsoleState, site_id: &str) -> Result<Preview, ServiceError> {
    let roots = s.hub.trusted_roots().await?;
    let roots: Vec<serde_json::Value> = roots
        .iter()
        .map(|r| {
            serde_json::json!({
                "kid": r.kid,
                "environment": r.environment.as_str(),
                "key": r.key.to_pem(),
            })
        })
        .collect();
    Ok(Preview {
        roots: serde_json::Value::Array(roots).to_string(),
        environment: s.hub.environment().as_str().to_string(),
        license: s.hub.stored_license(site_id).await?,
        script: format!("{}/chain-preview.js", WASM.base),
    })
}

// ---------------------------------------------------------------- revoke

#[derive(Template)]
#[template(path = "console/sites/revoke.html")]
struct RevokePage {
    chrome: Chrome,
    site: SiteView,
}

/// `GET /sites/{site_id}/revoke`: the confirmation, saying what revoking does.
async fn revoke_page(
    State(s): State<ConsoleState>,
    session: Session<OperatorUp>,
    Path(site_id): Path<String>,
) -> Response {
    match s.hub.site(&site_id).await {
        Ok(site) if site.status == "revoked" => session.redirect(
            &site_url(&site.site_id),
            Flash::error(format!("Site {} is already revoked.", site.site_id)),
        ),
        Ok(site) => {
            let chrome = session.chrome(format!("Revoke {}", site.site_id), "sites");
            let page = RevokePage {
                chrome: chrome.clone(),
                site,
            };
            session.show(StatusCode::OK, &chrome, &page)
        }
        Err(e @ ServiceError::UnknownSite(_)) => error_page(StatusCode::NOT_FOUND, &sentence(&e)),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

/// The confirmation form: the site id typed again.
#[derive(Debug, Deserialize)]
pub struct RevokeForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /sites/{site_id}/revoke`: revokes (`revoke_site`) when the form repeats the site id.
async fn revoke(
    State(s): State<ConsoleState>,
    session: Session<OperatorUp>,
    Path(site_id): Path<String>,
    Form(f): Form<RevokeForm>,
) -> Response {
    let back = format!("{}/revoke", site_url(&site_id));
    if f.confirm.trim() != site_id {
        return session.redirect(
            &back,
            Flash::error(format!(
                "Type the site id {site_id} in the box to confirm; nothing was revoked."
            )),
        );
    }
    match s.hub.revoke_site(&site_id, &session.actor()).await {
        Ok(site) => session.redirect(
            &site_url(&site.site_id),
            Flash::ok(format!(
                "Site {} revoked. Its node stops validating when it next fetches the revocation list or heartbeats.",
                site.site_id
            )),
        ),
        Err(e) => session.failed(&e, &back),
    }
}

// ---------------------------------------------------------------- download

/// `GET /sites/{site_id}/site.lic`: the stored file (`site_license`: recorded as a download).
async fn download(
    State(s): State<ConsoleState>,
    session: Session<OperatorUp>,
    Path(site_id): Path<String>,
) -> Response {
    match s.hub.site_license(&site_id, &session.actor()).await {
        Ok(lic) => (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{site_id}.site.lic\""),
                ),
            ],
            lic,
        )
            .into_response(),
        Err(e @ ServiceError::UnknownSite(_)) => error_page(StatusCode::NOT_FOUND, &sentence(&e)),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

// ---------------------------------------------------------------- import

/// A row of the import table.
struct ImportRow {
    line: u64,
    site_id: String,
    outcome: &'static str,
    reason: String,
}

#[derive(Template)]
#[template(path = "console/sites/import.html")]
struct ImportPage {
    chrome: Chrome,
    /// The CSV as sent (kept for the commit form after a dry run).
    csv: String,
    report: Option<(bool, usize, usize, usize)>,
    rows: Vec<ImportRow>,
    error: Option<String>,
    columns: String,
    max_rows: usize,
}

impl ImportPage {
    fn new(chrome: Chrome) -> Self {
        Self {
            chrome,
            csv: String::new(),
            report: None,
            rows: vec![],
            error: None,
            columns: import::COLUMNS.join(","),
            max_rows: import::MAX_ROWS,
        }
    }
}

/// `GET /sites/import`.
async fn import_page(session: Session<OperatorUp>) -> Response {
    let chrome = session.chrome("Import sites", "sites");
    session.show(StatusCode::OK, &chrome, &ImportPage::new(chrome.clone()))
}

/// The CSV of an import form: the uploaded file, else the pasted text (multipart or
/// url-encoded).
async fn csv_of(req: axum::extract::Request) -> Result<String, String> {
    use axum::extract::FromRequest;
    let ctype = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if ctype.starts_with("multipart/form-data") {
        let mut m = Multipart::from_request(req, &())
            .await
            .map_err(|e| format!("The form could not be read: {e}."))?;
        let (mut file, mut text) = (String::new(), String::new());
        while let Ok(Some(f)) = m.next_field().await {
            let name = f.name().unwrap_or("").to_string();
            let bytes = f
                .bytes()
                .await
                .map_err(|e| format!("The form could not be read: {e}."))?;
            let s = String::from_utf8(bytes.to_vec())
                .map_err(|_| "The file is not UTF-8 text; save it as CSV (UTF-8).".to_string())?;
            match name.as_str() {
                "file" => file = s,
                "csv" => text = s,
                _ => {}
            }
        }
        Ok(if file.trim().is_empty() { text } else { file })
    } else {
        let Form(f) = Form::<CsvForm>::from_request(req, &())
            .await
            .map_err(|e| format!("The form could not be read: {e}."))?;
        Ok(f.csv)
    }
}

/// The url-encoded import form.
#[derive(Debug, Deserialize)]
struct CsvForm {
    #[serde(default)]
    csv: String,
}

async fn run_import(
    s: &ConsoleState,
    session: &Session<OperatorUp>,
    req: axum::extract::Request,
    commit: bool,
) -> Response {
    let title = if commit {
        "Import sites: done"
    } else {
        "Import sites: dry run"
    };
    let chrome = session.chrome(title, "sites");
    let mut page = ImportPage::new(chrome.clone());
    let csv = match csv_of(req).await {
        Ok(c) => c,
        Err(e) => {
            page.error = Some(e);
            return session.show(StatusCode::UNPROCESSABLE_ENTITY, &chrome, &page);
        }
    };
    if csv.trim().is_empty() {
        page.error = Some("Choose a CSV file or paste its text first.".into());
        return session.show(StatusCode::UNPROCESSABLE_ENTITY, &chrome, &page);
    }
    let result = match import::parse_csv(&csv) {
        Ok(rows) => s.hub.import_sites(&rows, commit, &session.actor()).await,
        Err(e) => Err(e),
    };
    page.csv = csv;
    match result {
        Ok(r) => {
            fill(&mut page, &r);
            session.show(StatusCode::OK, &chrome, &page)
        }
        Err(e) => {
            page.error = Some(sentence(&e));
            session.show(StatusCode::UNPROCESSABLE_ENTITY, &chrome, &page)
        }
    }
}

fn fill(page: &mut ImportPage, r: &ImportReport) {
    page.report = Some((r.dry_run, r.created, r.skipped, r.failed));
    page.rows = r
        .rows
        .iter()
        .map(|x| ImportRow {
            line: x.line,
            site_id: x.site_id.clone(),
            outcome: match (x.outcome.clone(), r.dry_run) {
                (Outcome::Created, true) => "would be created",
                (Outcome::Created, false) => "created",
                (Outcome::Skipped, _) => "skipped",
                (Outcome::Failed, _) => "failed",
            },
            reason: x.reason.clone().unwrap_or_default(),
        })
        .collect();
}

/// `POST /sites/import`: the dry run.
async fn import_dry_run(
    State(s): State<ConsoleState>,
    session: Session<OperatorUp>,
    req: axum::extract::Request,
) -> Response {
    run_import(&s, &session, req, false).await
}

/// `POST /sites/import/commit`: the commit of the CSV the dry run showed.
async fn import_commit(
    State(s): State<ConsoleState>,
    session: Session<OperatorUp>,
    req: axum::extract::Request,
) -> Response {
    run_import(&s, &session, req, true).await
}

// ---------------------------------------------------------------- the WASM files

/// The Sites pages' own files (their style sheet, the chain preview's script and the WASM
/// package), embedded.
struct WasmFiles {
    /// `/assets/sites-<hash>`.
    base: String,
    dir: String,
    files: Vec<(&'static str, &'static str, &'static [u8])>,
}

static WASM: LazyLock<WasmFiles> = LazyLock::new(|| {
    let files: Vec<(&'static str, &'static str, &'static [u8])> = vec![
        (
            "sites.css",
            "text/css; charset=utf-8",
            include_bytes!("../../../assets/sites.css"),
        ),
        (
            "chain-preview.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/chain-preview.js"),
        ),
        (
            "hwf_license_wasm.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/wasm/hwf_license_wasm.js"),
        ),
        (
            "hwf_license_wasm_bg.wasm",
            "application/wasm",
            include_bytes!("../../../assets/wasm/hwf_license_wasm_bg.wasm"),
        ),
        (
            "clock-registry.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/wasm/clock-registry.js"),
        ),
        (
            "license-error.js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../assets/wasm/license-error.js"),
        ),
    ];
    let mut h = Sha256::new();
    for (name, _, bytes) in &files {
        h.update(name.as_bytes());
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(bytes);
    }
    let dir = format!("sites-{}", hex::encode(&h.finalize()[..8]));
    WasmFiles {
        base: format!("/assets/{dir}"),
        dir,
        files,
    }
});

/// The URL of the Sites pages' style sheet.
pub fn css_url() -> String {
    format!("{}/sites.css", WASM.base)
}

/// `GET /assets/sites-<hash>/{file}`: a file of the Sites pages, long-cached, or 404.
async fn wasm_asset(Path((dir, file)): Path<(String, String)>) -> Response {
    let w = &*WASM;
    let found = (dir == w.dir)
        .then(|| w.files.iter().find(|(n, _, _)| *n == file))
        .flatten();
    let Some((_, ctype, bytes)) = found else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let mut res = (
        [
            (header::CONTENT_TYPE, *ctype),
            (header::CACHE_CONTROL, "public, max-age=31536000, immutable"),
        ],
        *bytes,
    )
        .into_response();
    res.extensions_mut().insert(Cacheable);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_urls_keep_the_filters_and_flip_the_sort() {
        let q = ListQuery {
            status: "active".into(),
            q: "a b&c".into(),
            sort: "created".into(),
            ..Default::default()
        };
        assert_eq!(q.url(1), "/sites?status=active&q=a+b%26c&sort=created");
        assert_eq!(
            q.url(3),
            "/sites?status=active&q=a+b%26c&sort=created&page=3"
        );
        assert_eq!(
            q.sort_url("created"),
            "/sites?status=active&q=a+b%26c&sort=created&order=desc"
        );
        assert_eq!(
            q.sort_url("expiry"),
            "/sites?status=active&q=a+b%26c&sort=expiry&order=asc"
        );
        assert_eq!(q.aria_sort("created"), "ascending");
        assert_eq!(q.aria_sort("site_id"), "none");
        assert_eq!(ListQuery::default().aria_sort("site_id"), "ascending");
    }

    #[test]
    fn the_wasm_files_are_served_under_their_set_hash() {
        assert!(WASM.base.starts_with("/assets/sites-") && WASM.base.len() == 14 + 16);
        assert!(WASM
            .files
            .iter()
            .any(|(n, c, b)| *n == "hwf_license_wasm_bg.wasm"
                && *c == "application/wasm"
                && b.starts_with(b"\0asm")));
    }
}
