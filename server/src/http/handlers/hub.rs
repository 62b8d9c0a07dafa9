//! The Hub's routes: CML, sites, node endpoints, statistics, ledger, manifests.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;

use super::{created, ApiResult, HubState};
use crate::http::extract::{AdminOnly, AdminStepUp, AnyUser, ApiJson, ApiQuery, Auth, OperatorUp};
use crate::http::problem::Problem;
use crate::http::wire::{
    CmlBody, CreatedSite, GenerateBody, LedgerCheck, Page, PeriodQuery, SendBody, SiteLicenseFile,
    SitesQuery, ValidateBody,
};
use crate::service::hub::ledger::LedgerPage;
use crate::service::hub::{
    CmlStatus, HeartbeatAnswer, HeartbeatRequest, ManifestRecord, NewSite, ReceiptFile, SitePage,
    SiteView, Stats, ValidateAnswer,
};
use crate::service::ServiceError;

#[utoipa::path(
    get, path = "/api/cml", tag = "hub", security(("bearer" = [])),
    description = "The installed CML and its status. Role: viewer.",
    responses((status = 200, description = "The CML", body = CmlStatus), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn cml_get(_: Auth<AnyUser>, State(s): State<HubState>) -> ApiResult {
    Ok(Json(s.hub.cml_status().await?).into_response())
}

#[utoipa::path(
    post, path = "/api/cml/upload", tag = "hub", security(("bearer" = [])),
    description = "Installs a CML issued by a trusted root for this Hub's org key. Role: admin, with step-up.",
    request_body = CmlBody,
    responses((status = 200, description = "Installed", body = CmlStatus),
        (status = 409, description = "`cml-org-changed`, `cml-older`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn cml_upload(
    a: Auth<AdminStepUp>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<CmlBody>,
) -> ApiResult {
    Ok(Json(s.hub.install_cml(&b.cml, false, &a.actor()).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/cml/refresh", tag = "hub", security(("bearer" = [])),
    description = "Replaces the installed CML with a newer one for the same org. Role: admin, with step-up.",
    request_body = CmlBody,
    responses((status = 200, description = "Installed", body = CmlStatus),
        (status = 409, description = "`no-cml`, `cml-org-changed`, `cml-older`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn cml_refresh(
    a: Auth<AdminStepUp>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<CmlBody>,
) -> ApiResult {
    Ok(Json(s.hub.install_cml(&b.cml, true, &a.actor()).await?).into_response())
}

#[utoipa::path(
    get, path = "/api/sites", tag = "hub", security(("bearer" = [])),
    description = "Sites, filtered and paged. Role: viewer (without `license_id`, which authenticates a node; operators and admins see it).",
    params(SitesQuery),
    responses((status = 200, description = "A page of sites", body = SitePage)),
)]
pub(crate) async fn sites_list(
    a: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<SitesQuery>,
) -> ApiResult {
    let mut page = s.hub.list_sites(&q.into()).await?;
    page.sites = page.sites.into_iter().map(|v| v.for_role(a.role)).collect();
    Ok(Json(page).into_response())
}

#[utoipa::path(
    get, path = "/api/sites/export", tag = "hub", security(("bearer" = [])),
    description = "Every site matching the filter, search and order (`limit` and `offset` are ignored) as CSV in exactly the columns the bulk import reads (`site_id,product,tier,features,address,dns_suffix,deployment_tag,valid_days`), so the file re-imports unchanged; a cell a spreadsheet would run is prefixed with `'`. At most 100,000 sites (more is `invalid-input`: narrow the filter). Role: viewer. Rate-limited per client IP (`--rate-limit-export`).",
    params(SitesQuery),
    responses((status = 200, description = "The CSV file", content_type = "text/csv", body = String),
        (status = 422, description = "`invalid-input`: a bad filter, or more than 100,000 sites match", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "`rate-limited`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn sites_export(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<SitesQuery>,
) -> ApiResult {
    let text = s.hub.export_sites(&q.into()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"sites.csv\"",
            ),
        ],
        text,
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/api/sites/create", tag = "hub", security(("bearer" = [])),
    description = "Mints a site license under the CML's `max_sites`. Role: operator.",
    request_body = NewSite,
    responses((status = 201, description = "Created", body = CreatedSite),
        (status = 409, description = "`max-sites-reached`, `site-exists`, `no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_create(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    ApiJson(n): ApiJson<NewSite>,
) -> ApiResult {
    let site = s.hub.create_site(&n, &a.actor()).await?;
    let license = s.hub.stored_license(&site.site_id).await?;
    Ok(created(CreatedSite { site, license }))
}

#[utoipa::path(
    get, path = "/api/sites/{site_id}", tag = "hub", security(("bearer" = [])),
    description = "One site. Role: viewer (without `license_id`; operators and admins see it).",
    params(("site_id" = String, Path, description = "Site id")),
    responses((status = 200, description = "The site", body = SiteView), (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_get(
    a: Auth<AnyUser>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(s.hub.site(&id).await?.for_role(a.role)).into_response())
}

#[utoipa::path(
    delete, path = "/api/sites/{site_id}", tag = "hub", security(("bearer" = [])),
    description = "Revokes a site (signs the next revocation list). Role: operator.",
    params(("site_id" = String, Path, description = "Site id")),
    responses((status = 200, description = "Revoked", body = SiteView), (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`site-revoked`, `no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_revoke(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    Ok(Json(s.hub.revoke_site(&id, &a.actor()).await?).into_response())
}

#[utoipa::path(
    get, path = "/api/sites/{site_id}/license", tag = "node", security(("bearer" = [])),
    description = "The site's `site.lic` file (recorded as a download). Role: operator. Rate-limited per client IP.",
    params(("site_id" = String, Path, description = "Site id")),
    responses((status = 200, description = "The site.lic file", body = SiteLicenseFile), (status = 404, description = "`unknown-site`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_license(
    a: Auth<OperatorUp>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    let lic = s.hub.site_license(&id, &a.actor()).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"site.lic\"".to_string(),
            ),
        ],
        lic,
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/api/sites/{site_id}/heartbeat", tag = "node",
    description = "A node's heartbeat: the org-signed, nonce-bound status with the current revocation list. No token. Rate-limited per client IP.",
    params(("site_id" = String, Path, description = "Site id")),
    request_body = HeartbeatRequest,
    responses((status = 200, description = "The signed answer", body = HeartbeatAnswer),
        (status = 403, description = "`license-mismatch`: the license id is not the site's, or there is no such site (one answer for both, so site ids cannot be enumerated)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json"),
        (status = 426, description = "`upgrade-required`: the node's `speaks` does not include the CML's format version (FORMAT.md §8)", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn site_heartbeat(
    State(s): State<HubState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<HeartbeatRequest>,
) -> ApiResult {
    Ok(Json(s.hub.heartbeat(&id, &req).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/validate", tag = "node",
    description = "Validates a `site.lic` for a node's facts after applying the current revocation list. No token. Rate-limited per client IP.",
    request_body = ValidateBody,
    responses((status = 200, description = "Core's verdict", body = ValidateAnswer)),
)]
pub(crate) async fn validate(
    State(s): State<HubState>,
    ApiJson(b): ApiJson<ValidateBody>,
) -> ApiResult {
    let verdict = s.hub.validate(&b.license, &b.facts).await;
    match &verdict {
        Ok(v) if v.status == "grace" => s.metrics.record_validation("grace", None),
        Ok(_) => s.metrics.record_validation("valid", None),
        Err(ServiceError::License(e)) => s
            .metrics
            .record_validation("invalid", Some(e.code().name())),
        Err(ServiceError::Invalid(_)) => s
            .metrics
            .record_validation("invalid", Some("invalid_input")),
        Err(_) => {}
    }
    Ok(Json(verdict?).into_response())
}

#[utoipa::path(
    get, path = "/api/stats", tag = "hub", security(("bearer" = [])),
    description = "Usage statistics of a period (default: this month). Role: viewer.",
    params(PeriodQuery),
    responses((status = 200, description = "The statistics", body = Stats)),
)]
pub(crate) async fn stats(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult {
    let period = q.period.unwrap_or_else(|| s.hub.current_period());
    Ok(Json(s.hub.stats(&period).await?).into_response())
}

#[utoipa::path(
    get, path = "/api/ledger", tag = "hub", security(("bearer" = [])),
    description = "A page of the signed usage ledger, each entry verified. Role: viewer.",
    params(Page),
    responses((status = 200, description = "Entries", body = LedgerPage)),
)]
pub(crate) async fn ledger_page(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(p): ApiQuery<Page>,
) -> ApiResult {
    let page = s
        .hub
        .ledger_page(p.limit.unwrap_or(100), p.offset.unwrap_or(0))
        .await?;
    Ok(Json(page).into_response())
}

#[utoipa::path(
    get, path = "/api/ledger/verify", tag = "hub", security(("bearer" = [])),
    description = "Verifies the whole ledger against the recorded head. Role: viewer.",
    responses((status = 200, description = "The ledger verifies", body = LedgerCheck), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn ledger_verify(_: Auth<AnyUser>, State(s): State<HubState>) -> ApiResult {
    let summary = s.hub.verify_ledger().await?;
    Ok(Json(LedgerCheck {
        ok: true,
        length: summary.length,
        head: summary.head,
    })
    .into_response())
}

#[utoipa::path(
    get, path = "/api/manifests", tag = "hub", security(("bearer" = [])),
    description = "Manifests with their delivery status. Role: viewer.",
    params(PeriodQuery),
    responses((status = 200, description = "Manifests", body = Vec<ManifestRecord>)),
)]
pub(crate) async fn manifests_list(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> ApiResult {
    Ok(Json(s.hub.manifests(q.period.as_deref()).await?).into_response())
}

#[utoipa::path(
    post, path = "/api/manifests/generate", tag = "hub", security(("bearer" = [])),
    description = "Generates the signed manifest of a period (idempotent per period). The period must have started and fall within the CML's life (422 `manifest-period`), as the Root requires. Role: admin.",
    request_body = GenerateBody,
    responses((status = 201, description = "Generated", body = ManifestRecord),
        (status = 200, description = "The stored one", body = ManifestRecord), (status = 409, description = "`no-cml`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_generate(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<GenerateBody>,
) -> ApiResult {
    let period = b.period.unwrap_or_else(|| s.hub.current_period());
    let (m, new) = s.hub.generate_manifest(&period, &a.actor()).await?;
    Ok(if new {
        created(m)
    } else {
        Json(m).into_response()
    })
}

#[utoipa::path(
    post, path = "/api/manifests/send", tag = "hub", security(("bearer" = [])),
    description = "Sends a manifest to the Root (retried on network errors, 5xx/429 and answers without a receipt that verifies). `sent` only with a verified receipt. Role: admin, with step-up.",
    request_body = SendBody,
    responses((status = 200, description = "Delivered", body = ManifestRecord), (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no-root-url`, `no-cml`", body = Problem, content_type = "application/problem+json"), (status = 502, description = "`delivery-failed`, `delivery-rejected`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_send(
    a: Auth<AdminStepUp>,
    State(s): State<HubState>,
    ApiJson(b): ApiJson<SendBody>,
) -> ApiResult {
    let id = match (b.id, b.period) {
        (Some(id), None) => id,
        (None, Some(p)) => {
            s.hub
                .manifest_of_period(&p)
                .await?
                .ok_or_else(|| Problem::not_found(format!("no manifest for {p}")))?
                .id
        }
        _ => return Err(Problem::invalid("give exactly one of id or period")),
    };
    let sent = s.hub.send_manifest(&id, None, &a.actor()).await;
    s.metrics.record_delivery(match &sent {
        Ok(_) => "sent",
        Err(ServiceError::Delivery { rejected: true, .. }) => "rejected",
        Err(ServiceError::Delivery { .. }) => "failed",
        Err(_) => "error",
    });
    Ok(Json(sent?).into_response())
}

#[utoipa::path(
    get, path = "/api/manifests/{id}/download", tag = "hub", security(("bearer" = [])),
    description = "The signed manifest. Role: viewer.",
    params(("id" = String, Path, description = "Manifest id")),
    responses((status = 200, description = "The manifest (compact JWS)", body = String, content_type = "application/jose"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_download(
    _: Auth<AnyUser>,
    State(s): State<HubState>,
    Path(id): Path<String>,
) -> ApiResult {
    let m = s.hub.manifest(&id).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/jose".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"manifest-{}.jws\"", m.period),
            ),
        ],
        m.jws,
    )
        .into_response())
}

#[utoipa::path(
    post, path = "/api/manifests/{id}/receipt", tag = "hub", security(("bearer" = [])),
    description = "Imports the Root's receipt for a manifest carried to the Root by hand (the receipt file `hwf-license manifest receive` wrote there). Verified like a sent manifest's receipt (chain to a trusted root, this org, this manifest id); the manifest is then `sent`. Role: admin.",
    params(("id" = String, Path, description = "Manifest id")),
    request_body = ReceiptFile,
    responses((status = 200, description = "Receipt verified; the manifest is sent", body = ManifestRecord),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`receipt-invalid`: the receipt does not verify (the manifest is unchanged)", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn manifest_receipt(
    a: Auth<AdminOnly>,
    State(s): State<HubState>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReceiptFile>,
) -> ApiResult {
    Ok(Json(s.hub.import_receipt(&id, &b, &a.actor()).await?).into_response())
}
