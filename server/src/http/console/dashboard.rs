//! The dashboard (`/`): the CML's standing, the site gauge, licenses expiring soon, the 30-day
//! heartbeat and validation chart, the ledger's tail, alerts, a quick create form and the CML
//! upload/refresh form.

use askama::Template;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;

use super::account::step_up_with;
use super::session::{add_cookie, Flash, Session};
use super::{sentence, Chrome, ConsoleState, Routes};
use crate::http::extract::{AdminOnly, AnyUser};
use crate::service::hub::CmlStatus;
use crate::service::ServiceError;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/", dashboard).post("/cml", cml_install)
}

#[derive(Template)]
#[template(path = "console/dashboard.html")]
struct DashboardPage {
    chrome: Chrome,
    cml: Option<CmlStatus>,
    cml_error: Option<String>,
}

async fn dashboard(State(s): State<ConsoleState>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Dashboard", "dashboard");
    let (cml, cml_error) = match s.hub.cml_status().await {
        Ok(c) => (Some(c), None),
        Err(ServiceError::NoCml) => (None, None),
        Err(e) => (None, Some(sentence(&e))),
    };
    let page = DashboardPage {
        chrome: chrome.clone(),
        cml,
        cml_error,
    };
    session.show(StatusCode::OK, &chrome, &page)
}

/// The CML form: the compact JWS, whether it refreshes the installed one, and an optional code
/// that steps the session up first.
#[derive(Debug, Deserialize)]
pub struct CmlForm {
    cml: String,
    #[serde(default)]
    mode: String,
    #[serde(default)]
    code: String,
}

async fn cml_install(
    State(s): State<ConsoleState>,
    mut session: Session<AdminOnly>,
    Form(f): Form<CmlForm>,
) -> Response {
    let cookie = match step_up_with(&s, &mut session, Some(&f.code)).await {
        Ok(c) => c,
        Err(e) => return session.redirect("/", Flash::of(&e)),
    };
    let refresh = f.mode == "refresh";
    let result = match s.accounts.require_step_up(&session.caller) {
        Ok(()) => {
            s.hub
                .install_cml(f.cml.trim(), refresh, &session.actor())
                .await
        }
        Err(e) => Err(e),
    };
    let mut res = match result {
        Ok(c) => session.redirect(
            "/",
            Flash::ok(format!(
                "CML {} installed for org {}: up to {} active sites until {}.",
                c.license_id,
                c.org_id,
                c.max_sites,
                super::date_time(c.valid_until)
            )),
        ),
        Err(e) => session.failed(&e, "/"),
    };
    if let Some(c) = cookie {
        add_cookie(&mut res, &c);
    }
    res
}
