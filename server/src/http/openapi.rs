//! The OpenAPI 3 document of the HTTP API, generated from the code: each handler carries a
//! `#[utoipa::path]` annotation (method, path, security, request body, specific responses), the
//! request and response types derive `ToSchema`, and [`Conventions`] adds what every route of a
//! kind shares, from the same rules the server applies: `401`/`403` on routes with a token,
//! `400`/`413`/`415`/`422` on routes with a body or parameters, `429` with `Retry-After` on the
//! rate-limited routes ([`super::middleware::limit_of`]: every route without a token), `408`,
//! `500` and `503` everywhere.
//!
//! Served at `GET /api/openapi.json` and committed as `docs/openapi.json`; a test fails when they
//! differ. Regenerate with `cargo run -p hwf-license-server -- openapi > docs/openapi.json`.

use axum::http::Method;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, ResponseBuilder, Type,
};
use utoipa::{Modify, OpenApi};

use super::handlers::{accounts, hub, ops, root};

/// The document's skeleton: info, every annotated path, the shared conventions.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "hwf-license server",
        description = "Root and Hub license service. Errors are `application/problem+json` (RFC 9457) with a stable `type` `urn:hwf-license:problem:<slug>`; see docs/SERVER.md.",
        license(name = "see the repository")
    ),
    paths(
        accounts::health, accounts::login, accounts::logout, accounts::change_password,
        accounts::step_up, accounts::totp_enrol, accounts::totp_confirm, accounts::list_users,
        accounts::create_user, accounts::delete_user, accounts::set_role, accounts::unlock_user,
        accounts::service_tokens, accounts::create_service_token,
        accounts::revoke_service_token, accounts::audit_log, hub::cml_get, hub::cml_upload,
        hub::cml_refresh, hub::sites_list, hub::sites_export, hub::site_create, hub::site_get, hub::site_revoke,
        hub::site_license, hub::site_heartbeat, hub::validate, hub::stats, hub::ledger_page,
        hub::ledger_verify, hub::manifests_list, hub::manifest_generate, hub::manifest_send,
        hub::manifest_download, hub::manifest_receipt, root::root_issue, root::root_refresh, root::root_orgs,
        root::root_keys, root::root_receive, ops::healthz, ops::readyz, ops::metrics_text,
        ops::alerts_list, openapi_json,
    ),
    components(schemas(super::problem::Problem)),
    modifiers(&Conventions),
    tags(
        (name = "account", description = "Sign-in, second factors, step-up, users, service tokens, audit log"),
        (name = "hub", description = "The Hub: CML, sites, ledger, manifests"),
        (name = "node", description = "What site nodes call"),
        (name = "root", description = "The Root: CMLs, root keys, manifests received"),
        (name = "operations", description = "Health, readiness, metrics, alerts, this document"),
    )
)]
pub struct ApiDoc;

/// Adds the bearer scheme and the responses every route of a kind shares (see the module doc).
pub struct Conventions;

fn problem(description: &str) -> RefOr<utoipa::openapi::Response> {
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/problem+json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name("Problem")))
                .build(),
        )
        .build()
        .into()
}

impl Modify for Conventions {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        if let Some(c) = doc.components.as_mut() {
            c.add_security_scheme(
                "bearer",
                SecurityScheme::Http(
                    HttpBuilder::new()
                        .scheme(HttpAuthScheme::Bearer)
                        .bearer_format("JWT")
                        .description(Some(
                            "A token from POST /api/auth/login, valid for one hour, or a service token (`hwfst.…`)",
                        ))
                        .build(),
                ),
            );
        }
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, op) in [
                (Method::GET, item.get.as_mut()),
                (Method::POST, item.post.as_mut()),
                (Method::DELETE, item.delete.as_mut()),
            ] {
                let Some(op) = op else { continue };
                let mut add = |status: &str, r: RefOr<utoipa::openapi::Response>| {
                    op.responses
                        .responses
                        .entry(status.to_string())
                        .or_insert(r);
                };
                let secured = op.security.as_ref().is_some_and(|s| !s.is_empty());
                if secured {
                    add(
                        "401",
                        problem("`unauthorized`: no valid token (missing, expired, forged, or its user is gone)"),
                    );
                    add(
                        "403",
                        problem("`forbidden` (the token's role or realm may not do this), `step-up-required` (an admin action without a second factor in the step-up window) or `mfa-enrolment-required`"),
                    );
                }
                let has_params = op.parameters.as_ref().is_some_and(|p| !p.is_empty());
                if op.request_body.is_some() {
                    add("400", problem("`bad-request`: malformed JSON"));
                    add("413", problem("`body-too-large`"));
                    add(
                        "415",
                        problem("`unsupported-media-type`: send `Content-Type: application/json`"),
                    );
                    add(
                        "422",
                        problem("`invalid-input` (wrong types, unknown members, bad values) or `license/<error>` with core's code"),
                    );
                } else if has_params {
                    add("400", problem("`bad-request`: the query does not parse"));
                    add("422", problem("`invalid-input`: a value is out of range"));
                }
                if super::middleware::limit_of(&method, path).is_some() {
                    let r = ResponseBuilder::new()
                        .description("`rate-limited`: too many requests from this client address; on sign-in also `login-throttled`: too many failed sign-ins on this account")
                        .header(
                            "Retry-After",
                            HeaderBuilder::new()
                                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                                .description(Some("Seconds to wait"))
                                .build(),
                        )
                        .content(
                            "application/problem+json",
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("Problem")))
                                .build(),
                        )
                        .build();
                    add("429", r.into());
                }
                if !path.ends_with("healthz") && path != "/metrics" && path != "/api/openapi.json" {
                    add(
                        "503",
                        problem("`database-busy` or `overloaded` (every verification worker busy and the queue full), with `Retry-After`; or `not-ready`"),
                    );
                }
                add(
                    "408",
                    problem("`request-timeout`: the request took longer than the server's request timeout"),
                );
                add("500", problem("`internal`: details only in the server log"));
            }
        }
    }
}

/// `GET /api/openapi.json`: this document.
#[utoipa::path(get, path = "/api/openapi.json", tag = "operations",
    responses((status = 200, description = "The OpenAPI 3 document", content_type = "application/json")))]
pub(crate) async fn openapi_json() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        json(),
    )
        .into_response()
}

/// The document.
pub fn document() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    doc.info.version = env!("CARGO_PKG_VERSION").into();
    doc
}

/// The document as pretty JSON with a final newline (what `docs/openapi.json` holds).
pub fn json() -> String {
    let mut s = document()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
