//! The Root's routes: CML issue and refresh, compliance, root keys, manifests received.

use axum::extract::State;
use axum::response::IntoResponse;
use axum::Json;

use super::{created, ApiResult, RootState};
use crate::http::extract::{AdminStepUp, AnyUser, ApiJson, Auth};
use crate::http::problem::Problem;
use crate::http::wire::RootKey;
use crate::service::root::{
    Compliance, IssueCml, IssuedCml, ManifestDelivery, Receipt, RefreshCml,
};

#[utoipa::path(
    post, path = "/api/root/cml", tag = "root", security(("bearer" = [])),
    description = "Issues a CML for an org key, signed by the environment's active root key. Role: admin, with step-up.",
    request_body = IssueCml,
    responses((status = 201, description = "Issued", body = IssuedCml), (status = 409, description = "`no-root-key`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn root_issue(
    a: Auth<AdminStepUp>,
    State(s): State<RootState>,
    ApiJson(req): ApiJson<IssueCml>,
) -> ApiResult {
    Ok(created(s.root.issue_cml(&req, &a.actor()).await?))
}

#[utoipa::path(
    post, path = "/api/root/cml/refresh", tag = "root", security(("bearer" = [])),
    description = "Issues a new CML for the same org and key. Role: admin, with step-up.",
    request_body = RefreshCml,
    responses((status = 201, description = "Issued", body = IssuedCml), (status = 404, description = "`unknown-org`", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "`no-root-key`", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn root_refresh(
    a: Auth<AdminStepUp>,
    State(s): State<RootState>,
    ApiJson(req): ApiJson<RefreshCml>,
) -> ApiResult {
    Ok(created(s.root.refresh_cml(&req, &a.actor()).await?))
}

#[utoipa::path(
    get, path = "/api/root/orgs", tag = "root", security(("bearer" = [])),
    description = "Compliance of every org. Role: viewer (of the Root).",
    responses((status = 200, description = "Per org", body = Vec<Compliance>)),
)]
pub(crate) async fn root_orgs(_: Auth<AnyUser>, State(s): State<RootState>) -> ApiResult {
    Ok(Json(s.root.compliance().await?).into_response())
}

#[utoipa::path(
    get, path = "/api/root/keys", tag = "root",
    description = "The root public keys (what `keys trust-root` reads). No token.",
    responses((status = 200, description = "The keys", body = Vec<RootKey>)),
)]
pub(crate) async fn root_keys(State(s): State<RootState>) -> ApiResult {
    let keys: Vec<_> = s
        .root
        .public_keys()
        .await?
        .into_iter()
        .map(|k| RootKey {
            kid: k.root.kid.to_string(),
            environment: k.root.environment.as_str().into(),
            active: k.active,
            public_key_pem: k.root.key.to_pem(),
        })
        .collect();
    Ok(Json(keys).into_response())
}

#[utoipa::path(
    post, path = "/api/root/manifests", tag = "root",
    description = "Receives a Hub's manifest, authenticated by its org signature, and answers a receipt signed by the Root's receipt key with that key's certificate (signed by the root key). No token.",
    request_body = ManifestDelivery,
    responses((status = 201, description = "Recorded", body = Receipt),
        (status = 200, description = "A duplicate of a recorded manifest", body = Receipt),
        (status = 422, description = "`manifest-unverified`: the manifest does not verify up to its signature under a CML of the org it names, or the org is unknown (one answer for both); later failures carry core's code (`license-error`)", body = Problem, content_type = "application/problem+json")),
)]
pub(crate) async fn root_receive(
    State(s): State<RootState>,
    ApiJson(d): ApiJson<ManifestDelivery>,
) -> ApiResult {
    let receipt = s.root.receive_manifest(&d).await?;
    Ok(if receipt.duplicate {
        Json(receipt).into_response()
    } else {
        created(receipt)
    })
}
