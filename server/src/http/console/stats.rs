//! The statistics page (`/stats`): the Hub realm's users (in all and admins), the sites by
//! product and tier, the usage trend over a month range as a server-rendered SVG chart with its
//! table, and the downloads — the trend and the products as CSV (the shared CSV module) and the
//! usage report as PDF (rendered in the binary). Every figure comes from one
//! `Hub::usage_report` and `Accounts::user_counts`; nothing is counted here.

use askama::Template;
use axum::extract::{RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::session::Session;
use super::{error_page, sentence, Chrome, ConsoleState, Routes};
use crate::domain::Realm;
use crate::http::extract::AnyUser;
use crate::service::accounts::UserCounts;
use crate::service::hub::UsageReport;
use crate::service::ServiceError;

pub(super) fn routes(r: Routes) -> Routes {
    r.get("/stats", page)
        .get("/stats/trend.csv", trend_csv)
        .get("/stats/products.csv", products_csv)
        .get("/stats/report.pdf", report_pdf)
}

/// Months the page shows by default: this one and the five before.
pub const DEFAULT_MONTHS: usize = 6;
/// Product-and-tier rows the page lists (the CSV has them all).
pub const PAGE_TIER_ROWS: usize = 100;

/// The month range of a request: `from` and `to` from the query (`YYYY-MM`; absent or empty
/// ones default to the last [`DEFAULT_MONTHS`] months up to the current one).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Range {
    /// First month.
    pub from: String,
    /// Last month.
    pub to: String,
}

impl Range {
    /// Reads `from` and `to` of `query` (other fields ignored; at most the first 64 bytes of a
    /// value are looked at, as a month is 7), defaulting around `current` (`YYYY-MM`).
    pub fn of(query: Option<&str>, current: &str) -> Self {
        let mut from = None;
        let mut to = None;
        for (k, v) in form_urlencoded::parse(query.unwrap_or("").as_bytes()).take(16) {
            let v: String = v.chars().take(64).collect();
            match &*k {
                "from" if !v.is_empty() => from = Some(v),
                "to" if !v.is_empty() => to = Some(v),
                _ => {}
            }
        }
        let to = to.unwrap_or_else(|| current.to_string());
        let from = from.unwrap_or_else(|| months_before(&to, DEFAULT_MONTHS - 1));
        Self { from, to }
    }

    /// The query string of this range (for the download links).
    pub fn query(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("from", &self.from)
            .append_pair("to", &self.to)
            .finish()
    }
}

/// The period `n` months before `p` (`p` itself when it is not `YYYY-MM`, so the service
/// reports the error).
fn months_before(p: &str, n: usize) -> String {
    let Some((y, m)) = p.split_once('-') else {
        return p.into();
    };
    let (Ok(y), Ok(m)) = (y.parse::<i64>(), m.parse::<i64>()) else {
        return p.into();
    };
    let idx = y * 12 + (m - 1) - n as i64;
    format!("{:04}-{:02}", idx.div_euclid(12), idx.rem_euclid(12) + 1)
}

/// One bar of the trend chart, in the SVG's user units.
#[derive(Clone, Debug)]
pub struct Bar {
    /// Left edge.
    pub x: f32,
    /// Top edge.
    pub y: f32,
    /// Width.
    pub w: f32,
    /// Height.
    pub h: f32,
    /// Centre (for the labels).
    pub cx: f32,
    /// The month.
    pub period: String,
    /// Sites active at its end.
    pub value: i64,
    /// Whether the month is labelled (every one up to 12 months, every second beyond).
    pub labelled: bool,
}

/// The trend chart: bars of the sites active at each month's end, and the site limit.
#[derive(Clone, Debug)]
pub struct Chart {
    /// The bars, oldest first.
    pub bars: Vec<Bar>,
    /// The y of the limit line, when there is a limit.
    pub limit_y: Option<f32>,
    /// The limit.
    pub limit: u32,
    /// The y axis' top value.
    pub top: i64,
}

/// The SVG's size (user units) and the plot's box inside it.
pub const CHART_W: f32 = 640.0;
/// The SVG's height.
pub const CHART_H: f32 = 240.0;
const PLOT_X: f32 = 40.0;
const PLOT_TOP: f32 = 16.0;
const PLOT_BOTTOM: f32 = 210.0;

impl Chart {
    /// The chart of `r`'s trend.
    pub fn of(r: &UsageReport) -> Self {
        let top = i64::from(r.max_sites).max(r.peak_active).max(1);
        let plot_h = PLOT_BOTTOM - PLOT_TOP;
        let slot = (CHART_W - PLOT_X - 8.0) / r.trend.len().max(1) as f32;
        let w = (slot * 0.6).min(48.0);
        let every = if r.trend.len() > 12 { 2 } else { 1 };
        let bars = r
            .trend
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let h = plot_h * m.active_at_end.max(0) as f32 / top as f32;
                let cx = PLOT_X + slot * (i as f32 + 0.5);
                Bar {
                    x: cx - w / 2.0,
                    y: PLOT_BOTTOM - h,
                    w,
                    h,
                    cx,
                    period: m.period.clone(),
                    value: m.active_at_end,
                    labelled: i % every == 0,
                }
            })
            .collect();
        Self {
            bars,
            limit_y: (r.max_sites > 0)
                .then(|| PLOT_BOTTOM - plot_h * r.max_sites as f32 / top as f32),
            limit: r.max_sites,
            top,
        }
    }
}

#[derive(Template)]
#[template(path = "console/stats/index.html")]
struct StatsPage {
    chrome: Chrome,
    range: Range,
    query: String,
    users: Option<UserCounts>,
    report: Option<UsageReport>,
    chart: Option<Chart>,
    error: Option<String>,
    tier_rows: usize,
}

async fn page(
    State(s): State<ConsoleState>,
    session: Session<AnyUser>,
    RawQuery(q): RawQuery,
) -> Response {
    let chrome = session.chrome("Statistics", "stats");
    let range = Range::of(q.as_deref(), &s.hub.current_period());
    let users = s.accounts.user_counts(Realm::Hub).await;
    let report = s.hub.usage_report(&range.from, &range.to).await;
    let (status, error) = match (&users, &report) {
        (_, Err(e @ ServiceError::Invalid(_))) => (StatusCode::BAD_REQUEST, Some(sentence(e))),
        (Err(e), _) | (_, Err(e)) => (StatusCode::OK, Some(sentence(e))),
        _ => (StatusCode::OK, None),
    };
    let report = report.ok();
    let page = StatsPage {
        chrome: chrome.clone(),
        query: range.query(),
        range,
        users: users.ok(),
        chart: report.as_ref().map(Chart::of),
        report,
        error,
        tier_rows: PAGE_TIER_ROWS,
    };
    session.show(status, &chrome, &page)
}

/// The report of the request's range, or the page that says why not.
async fn report_of(s: &ConsoleState, q: Option<&str>) -> Result<(Range, UsageReport), Response> {
    let range = Range::of(q, &s.hub.current_period());
    match s.hub.usage_report(&range.from, &range.to).await {
        Ok(r) => Ok((range, r)),
        Err(e @ ServiceError::Invalid(_)) => {
            Err(error_page(StatusCode::BAD_REQUEST, &sentence(&e)))
        }
        Err(e @ ServiceError::NoCml) => Err(error_page(StatusCode::CONFLICT, &sentence(&e))),
        Err(e) => Err(error_page(StatusCode::INTERNAL_SERVER_ERROR, &sentence(&e))),
    }
}

/// A download: `body` as `content_type`, saved as `name`.
fn download(content_type: &'static str, name: &str, body: impl IntoResponse) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// `name-from-to.ext` with only the characters a file name may safely hold.
fn file_name(stem: &str, r: &Range, ext: &str) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
            .take(16)
            .collect()
    };
    format!("{stem}-{}-{}.{ext}", clean(&r.from), clean(&r.to))
}

/// One of the report's downloads: `render` of the report for the query's range, as `stem` (the
/// file name gets the range and `ext`).
async fn report_download<B: IntoResponse>(
    s: &ConsoleState,
    q: Option<&str>,
    (content_type, stem, ext): (&'static str, &str, &str),
    render: impl FnOnce(&UsageReport) -> B,
) -> Response {
    match report_of(s, q).await {
        Ok((range, r)) => download(content_type, &file_name(stem, &range, ext), render(&r)),
        Err(res) => res,
    }
}

const CSV: &str = "text/csv; charset=utf-8";

async fn trend_csv(
    State(s): State<ConsoleState>,
    _session: Session<AnyUser>,
    RawQuery(q): RawQuery,
) -> Response {
    report_download(&s, q.as_deref(), (CSV, "usage-trend", "csv"), |r| {
        r.trend_csv()
    })
    .await
}

async fn products_csv(
    State(s): State<ConsoleState>,
    _session: Session<AnyUser>,
    RawQuery(q): RawQuery,
) -> Response {
    report_download(&s, q.as_deref(), (CSV, "sites-by-product", "csv"), |r| {
        r.products_csv()
    })
    .await
}

async fn report_pdf(
    State(s): State<ConsoleState>,
    _session: Session<AnyUser>,
    RawQuery(q): RawQuery,
) -> Response {
    report_download(
        &s,
        q.as_deref(),
        ("application/pdf", "usage-report", "pdf"),
        UsageReport::to_pdf,
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_defaults_to_six_months_and_reads_only_its_fields() {
        assert_eq!(
            Range::of(None, "2026-02"),
            Range {
                from: "2025-09".into(),
                to: "2026-02".into()
            }
        );
        assert_eq!(
            Range::of(Some("to=2026-12&x=1&from="), "2030-01"),
            Range {
                from: "2026-07".into(),
                to: "2026-12".into()
            }
        );
        let r = Range::of(Some("from=2025-01&to=2025-03"), "2030-01");
        assert_eq!((r.from.as_str(), r.to.as_str()), ("2025-01", "2025-03"));
        assert_eq!(r.query(), "from=2025-01&to=2025-03");
        // Junk is passed on for the service to refuse, cut to 64 characters.
        let long = "x".repeat(1000);
        assert_eq!(
            Range::of(Some(&format!("to={long}")), "2030-01").to.len(),
            64
        );
        assert_eq!(months_before("2026-01", 1), "2025-12");
        assert_eq!(months_before("2026-01", 13), "2024-12");
        assert_eq!(
            file_name("r", &Range::of(Some("from=\"a/b&to=2025-01"), ""), "csv"),
            "r-ab-2025-01.csv"
        );
    }
}
