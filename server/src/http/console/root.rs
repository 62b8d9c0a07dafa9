//! The Root's console at `/root/`, for the Root realm's accounts: orgs with their compliance
//! per environment, an org's CMLs and received manifests, issuing and refreshing a CML (a
//! preview of exactly the payload that will be signed, then a confirmation behind step-up),
//! the received manifests with their verification and receipt, and the root keys with their
//! fingerprints. Sign-in, sign-out, enrolment and step-up are the Hub console's own account
//! pages ([`super::account`]) mounted under `/root/` with the Root realm and the
//! [`ROOT_SESSION_COOKIE`]: a Hub session never opens these pages and a Root session never
//! opens the Hub's. Every figure comes from [`Root`]; a handler reads a form, calls one
//! service function and renders.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Form;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use serde::Deserialize;

use super::account::step_up_with;
use super::session::{add_cookie, AccountPaths, Flash, Pages, Session, ROOT_SESSION_COOKIE};
use super::{date_time, sentence, Chrome, Routes};
use crate::domain::{EnvironmentName, Realm};
use crate::http::extract::{AdminOnly, AnyUser};
use crate::service::accounts::Accounts;
use crate::service::root::{
    CmlSummary, Compliance, DraftId, IssueCml, RefreshCml, Root, RootKeyInfo,
};
use crate::service::ServiceError;

/// What the Root console's handlers share.
#[derive(Clone)]
pub struct RootConsoleState {
    /// Accounts (the Root realm's sessions, sign-in, second factors).
    pub accounts: Arc<Accounts>,
    /// The Root whose pages these are.
    pub root: Arc<Root>,
    /// Served over TLS (cookies are then `Secure`).
    pub tls: bool,
}

impl Pages for RootConsoleState {
    const REALM: Realm = Realm::Root;
    const COOKIE: &'static str = ROOT_SESSION_COOKIE;
    const BASE: &'static str = "/root";
    const PATHS: AccountPaths = AccountPaths {
        home: "/root/",
        login: "/root/login",
        logout: "/root/logout",
        account: "/root/account",
        password: "/root/account/password",
        mfa: "/root/account/mfa",
        mfa_confirm: "/root/account/mfa/confirm",
        step_up: "/root/account/step-up",
    };
    fn accounts(&self) -> &Arc<Accounts> {
        &self.accounts
    }
    fn tls(&self) -> bool {
        self.tls
    }
}

/// The Root console's routes; with `assets`, also the embedded assets (a Root-only server,
/// where the Hub's console that serves them is not mounted).
pub(super) fn build(assets: bool) -> Routes<RootConsoleState> {
    let r = Routes::new();
    let r = if assets { super::assets::routes(r) } else { r };
    let r = super::account::routes(r);
    r.get("/root/", orgs)
        .get("/root/orgs/{org}", org)
        .get("/root/orgs/{org}/cmls/{id}/download", cml_download)
        .post("/root/orgs/{org}/refresh", refresh_preview)
        .get("/root/cml", issue_form)
        .post("/root/cml/preview", issue_preview)
        .post("/root/cml/confirm", issue_confirm)
        .get("/root/manifests", manifests)
        .get("/root/manifests/{id}", manifest)
        .get("/root/manifests/{id}/receipt", receipt_download)
        .get("/root/keys", keys)
}

/// The Root console's router over `state` (CSRF on every POST, the security headers, the body
/// limit, as the Hub's); `assets` as in `build`.
pub fn router(state: RootConsoleState, assets: bool) -> axum::Router {
    super::finish(build(assets), state)
}

/// An error page of the Root's console.
fn error_page(status: StatusCode, message: &str) -> Response {
    super::error_page_in("/root", status, message)
}

/// Orgs per page of the orgs list.
const ORGS_PAGE: u32 = 50;
/// Manifests per page of the manifests list.
const MANIFESTS_PAGE: u32 = 50;
/// Largest claims JSON shown inside a manifest's page (10,000 sites are 2.5 MB: the page then
/// states the size and stays fast).
const INLINE_CLAIMS: usize = 256 * 1024;
/// The MAC purpose of a CML preview's tag.
const DRAFT_PURPOSE: &str = "root-cml-draft";

/// `?page=` of a list.
#[derive(Debug, Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<u32>,
}

/// One org's compliance in one environment, as the pages show it.
struct ComplianceRow {
    org_id: String,
    environment: &'static str,
    max_sites: i64,
    active: String,
    last_period: String,
    last_at: String,
    overdue: bool,
    over_limit: bool,
    cml_status: String,
    days_left: String,
    license_id: String,
    valid_until: String,
}

fn env_name(e: EnvironmentName) -> &'static str {
    match e {
        EnvironmentName::Dev => "dev",
        EnvironmentName::Prod => "prod",
    }
}

impl From<&Compliance> for ComplianceRow {
    fn from(c: &Compliance) -> Self {
        Self {
            org_id: c.org_id.clone(),
            environment: env_name(c.environment),
            max_sites: c.max_sites,
            active: c
                .last_active_sites
                .map_or_else(|| "none reported".into(), |n| n.to_string()),
            last_period: c
                .last_manifest_period
                .clone()
                .unwrap_or_else(|| "none".into()),
            last_at: c.last_manifest_at.map(date_time).unwrap_or_default(),
            overdue: c.manifest_overdue,
            over_limit: c.over_limit,
            cml_status: c.cml_status.clone(),
            days_left: c.cml_days_left.map(|d| d.to_string()).unwrap_or_default(),
            license_id: c.cml_license_id.clone(),
            valid_until: date_time(c.cml_valid_until),
        }
    }
}

#[derive(Template)]
#[template(path = "console/root/orgs.html")]
struct OrgsPage {
    chrome: Chrome,
    rows: Vec<ComplianceRow>,
    total: i64,
    page: u32,
    pages: u32,
    error: Option<String>,
}

fn page_count(total: i64, per: u32) -> u32 {
    (total.max(0) as u64).div_ceil(u64::from(per)).max(1) as u32
}

async fn orgs(
    State(s): State<RootConsoleState>,
    session: Session<AnyUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let chrome = session.chrome("Orgs", "orgs");
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let (rows, total, error) = match s
        .root
        .compliance_page((page - 1) * ORGS_PAGE, ORGS_PAGE)
        .await
    {
        Ok((c, total)) => (c.iter().map(ComplianceRow::from).collect(), total, None),
        Err(e) => (Vec::new(), 0, Some(sentence(&e))),
    };
    let p = OrgsPage {
        chrome: chrome.clone(),
        rows,
        pages: page_count(total, ORGS_PAGE),
        total,
        page,
        error,
    };
    session.show(StatusCode::OK, &chrome, &p)
}

/// One CML as the org page lists it.
struct CmlRow {
    id: String,
    license_id: String,
    environment: &'static str,
    kid: String,
    max_sites: u32,
    issued: String,
    valid_until: String,
    grace_days: u32,
    features: String,
    status: String,
    days_left: String,
    current: bool,
    org_key: String,
}

impl From<&CmlSummary> for CmlRow {
    fn from(c: &CmlSummary) -> Self {
        Self {
            id: c.id.clone(),
            license_id: c.license_id.clone(),
            environment: env_name(c.environment),
            kid: c.kid.clone(),
            max_sites: c.max_sites,
            issued: date_time(c.issued_at),
            valid_until: date_time(c.valid_until),
            grace_days: c.grace_days,
            features: if c.feature_packs.is_empty() {
                "none".into()
            } else {
                c.feature_packs.join(", ")
            },
            status: c.status.clone(),
            days_left: c.days_left.map(|d| d.to_string()).unwrap_or_default(),
            current: c.current,
            org_key: c.org_key_thumbprint.clone(),
        }
    }
}

/// A received manifest as the lists show it.
struct ManifestRow {
    id: String,
    org_id: String,
    period: String,
    received: String,
    active: i64,
    ledger_length: i64,
    receipt: bool,
}

impl From<&crate::service::root::ReceivedManifest> for ManifestRow {
    fn from(m: &crate::service::root::ReceivedManifest) -> Self {
        Self {
            id: m.id.clone(),
            org_id: m.org_id.clone(),
            period: m.period.clone(),
            received: date_time(m.received_at),
            active: m.total_active_sites,
            ledger_length: m.ledger_length,
            receipt: m.has_receipt,
        }
    }
}

#[derive(Template)]
#[template(path = "console/root/org.html")]
struct OrgPage {
    chrome: Chrome,
    org_id: String,
    compliance: Vec<ComplianceRow>,
    cmls: Vec<CmlRow>,
    manifests: Vec<ManifestRow>,
    manifest_count: i64,
}

async fn org(
    State(s): State<RootConsoleState>,
    session: Session<AnyUser>,
    Path(org_id): Path<String>,
) -> Response {
    match s.root.org(&org_id).await {
        Ok(v) => {
            let chrome = session.chrome(format!("Org {}", v.org_id), "orgs");
            let p = OrgPage {
                chrome: chrome.clone(),
                org_id: v.org_id,
                compliance: v.compliance.iter().map(ComplianceRow::from).collect(),
                cmls: v.cmls.iter().map(CmlRow::from).collect(),
                manifests: v.manifests.iter().map(ManifestRow::from).collect(),
                manifest_count: v.manifest_count,
            };
            session.show(StatusCode::OK, &chrome, &p)
        }
        Err(e @ ServiceError::UnknownOrg(_)) => error_page(StatusCode::NOT_FOUND, &sentence(&e)),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

/// A file download answer.
fn download(content_type: &'static str, file: &str, body: String) -> Response {
    let safe: String = file
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
        ],
        body,
    )
        .into_response()
}

async fn cml_download(
    State(s): State<RootConsoleState>,
    _session: Session<AnyUser>,
    Path((org_id, id)): Path<(String, String)>,
) -> Response {
    match s.root.org_cmls(&org_id).await {
        Ok(cmls) => match cmls.into_iter().find(|c| c.id == id) {
            Some(c) => download(
                "application/jose; charset=utf-8",
                &format!("{}-{}.cml", c.claims.org_id, c.claims.license_id),
                c.jws,
            ),
            None => error_page(
                StatusCode::NOT_FOUND,
                &sentence(&ServiceError::NotFound(format!("CML {id} of org {org_id}"))),
            ),
        },
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

/// The issue form's fields, as typed (the numbers are read when it becomes an issue request).
#[derive(Clone, Debug, Default, Deserialize)]
pub struct IssueFields {
    #[serde(default)]
    org_id: String,
    #[serde(default)]
    org_key: String,
    #[serde(default)]
    max_sites: String,
    #[serde(default)]
    valid_days: String,
    #[serde(default)]
    feature_packs: String,
    #[serde(default)]
    environment: String,
    #[serde(default)]
    grace_days: String,
}

fn number(name: &str, v: &str) -> Result<u32, ServiceError> {
    v.trim()
        .parse::<u32>()
        .map_err(|_| ServiceError::Invalid(format!("{name} must be a whole number")))
}

impl IssueFields {
    /// The API's issue request these fields say.
    fn request(&self) -> Result<IssueCml, ServiceError> {
        let environment = match self.environment.trim() {
            "dev" => EnvironmentName::Dev,
            "prod" => EnvironmentName::Prod,
            _ => return Err(ServiceError::Invalid("choose dev or prod".into())),
        };
        let key = self.org_key.trim();
        let org_key = if key.starts_with('{') {
            serde_json::from_str::<serde_json::Value>(key)
                .map_err(|_| ServiceError::Invalid("the org key is not valid JSON".into()))?
        } else {
            serde_json::Value::String(key.to_string())
        };
        Ok(IssueCml {
            org_id: self.org_id.trim().to_string(),
            org_key,
            max_sites: number("max sites", &self.max_sites)?,
            valid_days: number("valid days", &self.valid_days)?,
            feature_packs: self
                .feature_packs
                .split([',', ' ', '\n', '\r', '\t'])
                .map(str::trim)
                .filter(|f| !f.is_empty())
                .map(str::to_string)
                .collect(),
            environment,
            grace_days: Some(self.grace_days.trim())
                .filter(|g| !g.is_empty())
                .map(|g| number("grace days", g))
                .transpose()?,
        })
    }

    /// The fields of an issue request (a refresh's, to show and carry on).
    fn of(r: &IssueCml) -> Self {
        Self {
            org_id: r.org_id.clone(),
            org_key: match &r.org_key {
                serde_json::Value::String(s) => s.clone(),
                v => v.to_string(),
            },
            max_sites: r.max_sites.to_string(),
            valid_days: r.valid_days.to_string(),
            feature_packs: r.feature_packs.join(", "),
            environment: env_name(r.environment).into(),
            grace_days: r.grace_days.map(|g| g.to_string()).unwrap_or_default(),
        }
    }
}

#[derive(Template)]
#[template(path = "console/root/issue.html")]
struct IssuePage {
    chrome: Chrome,
    f: IssueFields,
    error: Option<String>,
}

/// `?org=` prefill of the issue form.
#[derive(Debug, Deserialize)]
pub struct IssueQuery {
    #[serde(default)]
    org: Option<String>,
}

async fn issue_form(session: Session<AdminOnly>, Query(q): Query<IssueQuery>) -> Response {
    let chrome = session.chrome("Issue a CML", "issue");
    let f = IssueFields {
        org_id: q.org.unwrap_or_default().chars().take(64).collect(),
        max_sites: "10".into(),
        valid_days: "365".into(),
        environment: "prod".into(),
        grace_days: "30".into(),
        ..Default::default()
    };
    let p = IssuePage {
        chrome: chrome.clone(),
        f,
        error: None,
    };
    session.show(StatusCode::OK, &chrome, &p)
}

/// One claim of a preview, as a row.
struct ClaimRow {
    name: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "console/root/preview.html")]
struct PreviewPage {
    chrome: Chrome,
    f: IssueFields,
    claims: Vec<ClaimRow>,
    raw: String,
    license_id: String,
    issued_at: i64,
    tag: String,
    refresh: bool,
    error: Option<String>,
}

/// The tag that ties a preview's payload to the admin who saw it (checked on confirmation).
fn draft_tag(accounts: &Accounts, user: &str, raw: &str) -> String {
    B64URL.encode(accounts.mac(DRAFT_PURPOSE, format!("{user}\n{raw}").as_bytes()))
}

/// The preview of `req`'s payload as signed ([`Root::draft_cml`]), or the issue form with the
/// error.
async fn show_preview(
    s: &RootConsoleState,
    session: &Session<AdminOnly>,
    f: IssueFields,
    draft: Result<hwf_license::CmlClaims, ServiceError>,
    refresh: bool,
    error: Option<String>,
) -> Response {
    let claims = match draft {
        Ok(c) => c,
        Err(e) => {
            let chrome = session.chrome("Issue a CML", "issue");
            let p = IssuePage {
                chrome: chrome.clone(),
                f,
                error: Some(sentence(&e)),
            };
            return session.show(StatusCode::UNPROCESSABLE_ENTITY, &chrome, &p);
        }
    };
    let raw = serde_json::to_string_pretty(&claims).unwrap_or_default();
    let rows = vec![
        ClaimRow {
            name: "org_id",
            value: claims.org_id.clone(),
        },
        ClaimRow {
            name: "license_id",
            value: claims.license_id.clone(),
        },
        ClaimRow {
            name: "max_sites",
            value: claims.max_sites.to_string(),
        },
        ClaimRow {
            name: "issued_at",
            value: format!("{} ({})", claims.issued_at, date_time(claims.issued_at)),
        },
        ClaimRow {
            name: "valid_until",
            value: format!("{} ({})", claims.valid_until, date_time(claims.valid_until)),
        },
        ClaimRow {
            name: "grace_days",
            value: claims.grace_days.to_string(),
        },
        ClaimRow {
            name: "feature_packs",
            value: if claims.feature_packs.is_empty() {
                "none".into()
            } else {
                claims.feature_packs.join(", ")
            },
        },
        ClaimRow {
            name: "key_type",
            value: claims.key_type.as_str().into(),
        },
        ClaimRow {
            name: "issued_by",
            value: claims.issued_by.clone(),
        },
        ClaimRow {
            name: "org_key",
            value: format!(
                "P-256 key, thumbprint {}",
                hwf_license::PublicKey::from_jwk(&claims.org_key)
                    .map(|k| k.thumbprint().to_string())
                    .unwrap_or_default()
            ),
        },
        ClaimRow {
            name: "v",
            value: claims.v.to_string(),
        },
    ];
    let chrome = session.chrome("Check the CML before signing", "issue");
    let p = PreviewPage {
        chrome: chrome.clone(),
        tag: draft_tag(&s.accounts, &session.caller.user, &raw),
        license_id: claims.license_id.clone(),
        issued_at: claims.issued_at,
        f,
        claims: rows,
        raw,
        refresh,
        error,
    };
    session.show(StatusCode::OK, &chrome, &p)
}

async fn issue_preview(
    State(s): State<RootConsoleState>,
    session: Session<AdminOnly>,
    Form(f): Form<IssueFields>,
) -> Response {
    let draft = match f.request() {
        Ok(req) => s.root.draft_cml(&req, None).await,
        Err(e) => Err(e),
    };
    show_preview(&s, &session, f, draft, false, None).await
}

async fn refresh_preview(
    State(s): State<RootConsoleState>,
    session: Session<AdminOnly>,
    Path(org_id): Path<String>,
) -> Response {
    let req = match s
        .root
        .refresh_request(&RefreshCml {
            org_id: org_id.clone(),
            ..Default::default()
        })
        .await
    {
        Ok(r) => r,
        Err(e) => {
            let back = format!(
                "/root/orgs/{}",
                form_urlencoded::byte_serialize(org_id.as_bytes()).collect::<String>()
            );
            return session.failed(&e, &back);
        }
    };
    let draft = s.root.draft_cml(&req, None).await;
    show_preview(&s, &session, IssueFields::of(&req), draft, true, None).await
}

/// The confirmation: the issue fields, what fixes the draft, its tag, and the second factor.
#[derive(Debug, Deserialize)]
pub struct ConfirmForm {
    #[serde(flatten)]
    f: IssueFields,
    license_id: String,
    issued_at: String,
    tag: String,
    #[serde(default)]
    refresh: String,
    #[serde(default)]
    code: String,
}

#[derive(Template)]
#[template(path = "console/root/issued.html")]
struct IssuedPage {
    chrome: Chrome,
    org_id: String,
    id: String,
    license_id: String,
    kid: String,
    valid_until: String,
    cml: String,
}

async fn issue_confirm(
    State(s): State<RootConsoleState>,
    mut session: Session<AdminOnly>,
    Form(c): Form<ConfirmForm>,
) -> Response {
    let refresh = c.refresh == "1";
    let req = match c.f.request() {
        Ok(r) => r,
        Err(e) => return show_preview(&s, &session, c.f, Err(e), refresh, None).await,
    };
    let Ok(issued_at) = c.issued_at.trim().parse::<i64>() else {
        let e = ServiceError::Invalid("the preview's issue time is not a number".into());
        return show_preview(&s, &session, c.f, Err(e), refresh, None).await;
    };
    let id = DraftId {
        license_id: c.license_id.clone(),
        issued_at,
    };
    let draft = match s.root.draft_cml(&req, Some(&id)).await {
        Ok(d) => d,
        Err(e) => return show_preview(&s, &session, c.f, Err(e), refresh, None).await,
    };
    let raw = serde_json::to_string_pretty(&draft).unwrap_or_default();
    let tag_ok = B64URL.decode(c.tag.trim()).is_ok_and(|t| {
        s.accounts.mac_matches(
            DRAFT_PURPOSE,
            format!("{}\n{raw}", session.caller.user).as_bytes(),
            &t,
        )
    });
    if !tag_ok {
        let e = ServiceError::Invalid(
            "the confirmation does not match the preview you were shown; check the new preview"
                .into(),
        );
        let fresh = s.root.draft_cml(&req, None).await;
        return show_preview(&s, &session, c.f, fresh, refresh, Some(sentence(&e))).await;
    }
    let cookie = match step_up_with(&s, &mut session, Some(&c.code)).await {
        Ok(k) => k,
        Err(e) => {
            return show_preview(&s, &session, c.f, Ok(draft), refresh, Some(sentence(&e))).await
        }
    };
    let result = match s.accounts.require_step_up(&session.caller) {
        Ok(()) => s.root.sign_draft(&draft, &session.actor()).await,
        Err(e) => Err(e),
    };
    let mut res = match result {
        Ok(issued) => {
            let mut chrome = session.chrome("CML issued", "issue");
            chrome.flash = Some(Flash::ok(format!(
                "CML {} is signed for org {}: copy it or download it and hand it to the org's Hub.",
                issued.license_id, issued.org_id
            )));
            let p = IssuedPage {
                chrome: chrome.clone(),
                org_id: issued.org_id,
                id: issued.id,
                license_id: issued.license_id,
                kid: issued.kid,
                valid_until: date_time(issued.valid_until),
                cml: issued.cml,
            };
            session.show(StatusCode::OK, &chrome, &p)
        }
        Err(e) => show_preview(&s, &session, c.f, Ok(draft), refresh, Some(sentence(&e))).await,
    };
    if let Some(k) = cookie {
        add_cookie(&mut res, &k);
    }
    res
}

#[derive(Template)]
#[template(path = "console/root/manifests.html")]
struct ManifestsPage {
    chrome: Chrome,
    rows: Vec<ManifestRow>,
    total: i64,
    page: u32,
    pages: u32,
    error: Option<String>,
}

async fn manifests(
    State(s): State<RootConsoleState>,
    session: Session<AnyUser>,
    Query(q): Query<PageQuery>,
) -> Response {
    let chrome = session.chrome("Received manifests", "manifests");
    let page = q.page.unwrap_or(1).clamp(1, 100_000);
    let (rows, total, error) = match s
        .root
        .received_manifests(None, (page - 1) * MANIFESTS_PAGE, MANIFESTS_PAGE)
        .await
    {
        Ok((m, total)) => (m.iter().map(ManifestRow::from).collect(), total, None),
        Err(e) => (Vec::new(), 0, Some(sentence(&e))),
    };
    let p = ManifestsPage {
        chrome: chrome.clone(),
        rows,
        pages: page_count(total, MANIFESTS_PAGE),
        total,
        page,
        error,
    };
    session.show(StatusCode::OK, &chrome, &p)
}

#[derive(Template)]
#[template(path = "console/root/manifest.html")]
struct ManifestPage {
    chrome: Chrome,
    m: ManifestRow,
    cml_id: String,
    verified: bool,
    why_not: String,
    claims: String,
    /// The claims' size in KiB (shown instead of them above [`INLINE_CLAIMS`]).
    claims_size: usize,
}

async fn manifest(
    State(s): State<RootConsoleState>,
    session: Session<AnyUser>,
    Path(id): Path<String>,
) -> Response {
    match s.root.manifest_check(&id).await {
        Ok(c) => {
            let chrome = session.chrome(
                format!("Manifest {} of {}", c.manifest.period, c.manifest.org_id),
                "manifests",
            );
            let p = ManifestPage {
                chrome: chrome.clone(),
                cml_id: c.manifest.cml_id.clone(),
                m: ManifestRow::from(&c.manifest),
                verified: c.verification.is_ok(),
                why_not: c.verification.err().unwrap_or_default(),
                claims_size: c.claims_json.as_ref().map_or(0, |j| j.len().div_ceil(1024)),
                claims: c
                    .claims_json
                    .filter(|j| j.len() <= INLINE_CLAIMS)
                    .unwrap_or_default(),
            };
            session.show(StatusCode::OK, &chrome, &p)
        }
        Err(e @ ServiceError::NotFound(_)) => error_page(StatusCode::NOT_FOUND, &sentence(&e)),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

async fn receipt_download(
    State(s): State<RootConsoleState>,
    _session: Session<AnyUser>,
    Path(id): Path<String>,
) -> Response {
    match s.root.receipt_of(&id).await {
        Ok(Some(r)) => download(
            "application/json",
            &format!("{}-{}-receipt.json", r.org_id, r.period),
            serde_json::to_string_pretty(&r).unwrap_or_default(),
        ),
        Ok(None) => error_page(
            StatusCode::NOT_FOUND,
            "This manifest was received before the Root kept its receipts; there is none to download.",
        ),
        Err(e @ ServiceError::NotFound(_)) => error_page(StatusCode::NOT_FOUND, &sentence(&e)),
        Err(e) => error_page(StatusCode::SERVICE_UNAVAILABLE, &sentence(&e)),
    }
}

/// A root key as the keys page shows it.
struct KeyRow {
    kid: String,
    environment: &'static str,
    active: bool,
    thumbprint: String,
    spki_sha256: String,
    pem: String,
}

impl From<RootKeyInfo> for KeyRow {
    fn from(k: RootKeyInfo) -> Self {
        Self {
            kid: k.kid,
            environment: env_name(k.environment),
            active: k.active,
            thumbprint: k.thumbprint,
            spki_sha256: k.spki_sha256,
            pem: k.public_key_pem,
        }
    }
}

#[derive(Template)]
#[template(path = "console/root/keys.html")]
struct KeysPage {
    chrome: Chrome,
    keys: Vec<KeyRow>,
    error: Option<String>,
}

async fn keys(State(s): State<RootConsoleState>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Root keys", "keys");
    let (keys, error) = match s.root.key_fingerprints().await {
        Ok(k) => (k.into_iter().map(KeyRow::from).collect(), None),
        Err(e) => (Vec::new(), Some(sentence(&e))),
    };
    let p = KeysPage {
        chrome: chrome.clone(),
        keys,
        error,
    };
    session.show(StatusCode::OK, &chrome, &p)
}
