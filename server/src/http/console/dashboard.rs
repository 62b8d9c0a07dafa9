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
use crate::domain::alerts::Alert;
use crate::domain::Role;
use crate::http::extract::{AdminOnly, AnyUser};
use crate::service::hub::{CmlStatus, DayActivity, Expiring};
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
    gauge: Option<Gauge>,
    expiring: Option<Expiring>,
    chart: Option<Chart>,
    ledger: Vec<LedgerRow>,
    alerts: Vec<Alert>,
    errors: Vec<String>,
}

/// The site gauge: a half circle filled to `active / max`.
struct Gauge {
    active: i64,
    max: u32,
    percent: u32,
    /// The arc's end point.
    x: String,
    y: String,
    /// `ok`, `warn` (at least 80 %) or `full`.
    level: &'static str,
}

fn gauge(active: i64, max: u32) -> Gauge {
    let p = if max == 0 {
        1.0
    } else {
        (active as f64 / f64::from(max)).clamp(0.0, 1.0)
    };
    let a = std::f64::consts::PI * p;
    Gauge {
        active,
        max,
        percent: (p * 100.0).round() as u32,
        x: format!("{:.2}", 60.0 - 50.0 * a.cos()),
        y: format!("{:.2}", 60.0 - 50.0 * a.sin()),
        level: if p >= 1.0 {
            "full"
        } else if p >= 0.8 {
            "warn"
        } else {
            "ok"
        },
    }
}

/// The 30-day chart: one group of bars per day (heartbeats, validations, refusals).
struct Chart {
    bars: Vec<Bar>,
    /// The largest count (the top of the scale).
    top: i64,
    heartbeats: i64,
    validations: i64,
    invalid: i64,
    days: Vec<DayActivity>,
    /// Labels under the axis: (x, date, CSS class).
    labels: Vec<(String, String, &'static str)>,
}

struct Bar {
    class: &'static str,
    x: String,
    y: String,
    height: String,
    title: String,
}

/// Chart geometry: 30 groups of 3 bars in 600 × 160 user units above a 20-unit axis.
const CHART_W: f64 = 600.0;
const CHART_H: f64 = 160.0;

fn chart(days: Vec<DayActivity>) -> Chart {
    let top = days
        .iter()
        .flat_map(|d| [d.heartbeats, d.valid + d.grace, d.invalid])
        .max()
        .unwrap_or(0)
        .max(1);
    let slot = CHART_W / days.len().max(1) as f64;
    let w = (slot / 3.5).max(1.0);
    let mut bars = Vec::new();
    let mut labels = Vec::new();
    for (i, d) in days.iter().enumerate() {
        let date = day_label(d.day);
        for (k, (class, n, what)) in [
            ("heartbeats", d.heartbeats, "heartbeats"),
            ("validations", d.valid + d.grace, "validations passed"),
            ("failures", d.invalid, "validations refused"),
        ]
        .into_iter()
        .enumerate()
        {
            if n == 0 {
                continue;
            }
            let h = (n as f64 / top as f64 * CHART_H).max(1.0);
            bars.push(Bar {
                class,
                x: format!("{:.1}", i as f64 * slot + k as f64 * w + w * 0.25),
                y: format!("{:.1}", CHART_H - h),
                height: format!("{h:.1}"),
                title: format!("{date}: {n} {what}"),
            });
        }
        if i % 7 == 0 && i + 4 <= days.len() || i + 1 == days.len() {
            let last = i + 1 == days.len();
            let x = if last { CHART_W } else { i as f64 * slot };
            labels.push((
                format!("{x:.1}"),
                date,
                if last { "tick end" } else { "tick" },
            ));
        }
    }
    Chart {
        top,
        heartbeats: days.iter().map(|d| d.heartbeats).sum(),
        validations: days.iter().map(|d| d.valid + d.grace).sum(),
        invalid: days.iter().map(|d| d.invalid).sum(),
        bars,
        labels,
        days,
    }
}

/// `12-01` for a day since the epoch (the chart's labels).
pub fn day_label(day: impl std::borrow::Borrow<i64>) -> String {
    let day = *day.borrow();
    let d = super::date_time(day * crate::domain::DAY);
    d.get(5..10).unwrap_or(&d).to_string()
}

/// One entry of the ledger's tail.
struct LedgerRow {
    seq: i64,
    at: String,
    event: String,
    site: String,
    detail: String,
}

/// How many ledger entries the dashboard shows.
const LEDGER_TAIL: i64 = 10;

async fn dashboard(State(s): State<ConsoleState>, session: Session<AnyUser>) -> Response {
    let chrome = session.chrome("Dashboard", "dashboard");
    let mut errors = Vec::new();
    let (cml, cml_error) = match s.hub.cml_status().await {
        Ok(c) => (Some(c), None),
        Err(ServiceError::NoCml) => (None, None),
        Err(e) => (None, Some(sentence(&e))),
    };
    let expiring = s
        .hub
        .expiring()
        .await
        .map_err(|e| errors.push(sentence(&e)))
        .ok();
    let chart = s
        .hub
        .activity(30)
        .await
        .map(chart)
        .map_err(|e| errors.push(sentence(&e)))
        .ok();
    let ledger = match ledger_tail(&s).await {
        Ok(rows) => rows,
        Err(e) => {
            errors.push(sentence(&e));
            Vec::new()
        }
    };
    let mut alerts = crate::service::alerts::current(&s.hub)
        .await
        .unwrap_or_else(|e| {
            errors.push(sentence(&e));
            Vec::new()
        });
    if session.caller.role == Role::Admin {
        match s.accounts.lock_alerts(session.caller.realm).await {
            Ok(more) => alerts.extend(more),
            Err(e) => errors.push(sentence(&e)),
        }
    }
    let page = DashboardPage {
        chrome: chrome.clone(),
        gauge: cml.as_ref().map(|c| gauge(c.active_sites, c.max_sites)),
        cml,
        cml_error,
        expiring,
        chart,
        ledger,
        alerts,
        errors,
    };
    session.show(StatusCode::OK, &chrome, &page)
}

/// The last [`LEDGER_TAIL`] entries, newest first.
async fn ledger_tail(s: &ConsoleState) -> Result<Vec<LedgerRow>, ServiceError> {
    Ok(s.hub
        .ledger_tail(LEDGER_TAIL)
        .await?
        .into_iter()
        .map(|e| match e.entry {
            Some(c) => LedgerRow {
                seq: e.seq,
                at: super::date_time(c.at),
                event: serde_json::to_value(c.event)
                    .ok()
                    .and_then(|v| v.as_str().map(|s| s.replace('_', " ")))
                    .unwrap_or_default(),
                site: c.site_id.unwrap_or_default(),
                detail: c.detail.unwrap_or_default(),
            },
            None => LedgerRow {
                seq: e.seq,
                at: String::new(),
                event: "does not verify".into(),
                site: String::new(),
                detail: e.error.unwrap_or_default(),
            },
        })
        .collect())
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gauge_fills_to_the_share_of_active_sites() {
        let g = gauge(5, 10);
        assert_eq!(
            (g.percent, g.x.as_str(), g.y.as_str(), g.level),
            (50, "60.00", "10.00", "ok")
        );
        assert_eq!(gauge(10, 10).level, "full");
        assert_eq!(gauge(8, 10).level, "warn");
        assert_eq!(gauge(0, 0).percent, 100);
        let empty = gauge(0, 10);
        assert_eq!((empty.x.as_str(), empty.y.as_str()), ("10.00", "60.00"));
    }

    #[test]
    fn the_chart_scales_bars_to_the_largest_count() {
        let days = (0..30)
            .map(|i| DayActivity {
                day: 20_000 + i,
                heartbeats: if i == 29 { 8 } else { 0 },
                valid: if i == 29 { 4 } else { 0 },
                invalid: if i == 0 { 2 } else { 0 },
                ..DayActivity::default()
            })
            .collect();
        let c = chart(days);
        assert_eq!(
            (c.top, c.heartbeats, c.validations, c.invalid),
            (8, 8, 4, 2)
        );
        assert_eq!(c.bars.len(), 3);
        let tallest = c.bars.iter().find(|b| b.class == "heartbeats").unwrap();
        assert_eq!(
            (tallest.height.as_str(), tallest.y.as_str()),
            ("160.0", "0.0")
        );
        let half = c.bars.iter().find(|b| b.class == "validations").unwrap();
        assert_eq!(half.height, "80.0");
        assert!(
            c.bars[0].title.ends_with("2 validations refused"),
            "{}",
            c.bars[0].title
        );
    }
}
