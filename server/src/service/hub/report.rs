//! The usage report: what the Hub's sites did over a range of months ([`Hub::usage_report`]),
//! and the same as a one-to-two-page PDF ([`UsageReport::to_pdf`]) rendered in the binary with
//! `pdf-writer` (the standard Helvetica fonts, so no font is embedded; a drawn bar chart).
//!
//! The PDF is a view of the [`UsageReport`] and nothing else: every figure it prints is a field
//! of the report, so the statistics page, its CSV export and the PDF agree.

use hwf_license::time::Utc;
use pdf_writer::{Content, Finish, Name, Pdf, Rect, Ref, Str, TextStr};
use serde::Serialize;

use super::Hub;
use crate::domain::{csv, period, EnvironmentName, TierCount};
use crate::service::ServiceError;
use crate::store::sites as site_rows;

/// One month of the usage trend.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TrendMonth {
    /// `YYYY-MM`.
    pub period: String,
    /// Sites active at the end of the month (now, for a month not yet ended).
    pub active_at_end: i64,
    /// Sites created in the month.
    pub created: i64,
    /// Sites revoked in the month.
    pub revoked: i64,
}

/// The usage of an org's sites over a range of months.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct UsageReport {
    /// The org (from the installed CML).
    pub org_id: String,
    /// The CML's license id.
    pub license_id: String,
    /// `dev` or `prod`.
    pub environment: EnvironmentName,
    /// The CML's site limit.
    pub max_sites: u32,
    /// First month (`YYYY-MM`).
    pub from: String,
    /// Last month (`YYYY-MM`).
    pub to: String,
    /// When the report was made (unix seconds).
    pub generated_at: i64,
    /// Sites active at the end of the range, per product and tier (sorted).
    pub by_product_tier: Vec<TierCount>,
    /// The months of the range, oldest first.
    pub trend: Vec<TrendMonth>,
    /// Sites active at the end of the range (the last month's `active_at_end`).
    pub active_at_end: i64,
    /// Sites created in the range.
    pub created: i64,
    /// Sites revoked in the range.
    pub revoked: i64,
    /// The most sites active at the end of any month of the range.
    pub peak_active: i64,
}

impl Hub {
    /// The usage report of the months `from` to `to` (`YYYY-MM`, inclusive, at most
    /// [`period::MAX_MONTHS`]) for the installed CML's org ([`ServiceError::NoCml`] without
    /// one). One read of the sites that can count in the range and one grouped count for
    /// the products and tiers.
    pub async fn usage_report(&self, from: &str, to: &str) -> Result<UsageReport, ServiceError> {
        let months = period::months(from, to)?;
        let cml = self.require_cml().await?;
        let c = &cml.claims;
        let mut conn = self.db.conn().await?;
        // One pass over the sites that can count in the range, bucketed per month here (24
        // aggregate scans took 100 ms p50 with 10,000 sites; this is one indexed read).
        let bounds = months
            .iter()
            .map(|p| period::bounds(p))
            .collect::<Result<Vec<_>, _>>()?;
        let (first, last) = (bounds[0].0, bounds[bounds.len() - 1].1);
        let sites = site_rows::lifetimes(&mut conn, first, last).await?;
        let trend = months
            .into_iter()
            .zip(&bounds)
            .map(|(p, &(start, end))| {
                let mut m = TrendMonth {
                    period: p,
                    active_at_end: 0,
                    created: 0,
                    revoked: 0,
                };
                for &(created, revoked) in &sites {
                    let in_month = |t: i64| t >= start && t < end;
                    if created < end && revoked.is_none_or(|r| r >= end) {
                        m.active_at_end += 1;
                    }
                    if in_month(created) {
                        m.created += 1;
                    }
                    if revoked.is_some_and(in_month) {
                        m.revoked += 1;
                    }
                }
                m
            })
            .collect::<Vec<_>>();
        let (_, end) = period::bounds(to)?;
        let by_product_tier = site_rows::active_by_product_tier_at(&mut conn, end)
            .await?
            .into_iter()
            .map(|(product, tier, count)| TierCount {
                product,
                tier,
                count: u32::try_from(count).unwrap_or(u32::MAX),
            })
            .collect();
        Ok(UsageReport {
            org_id: c.org_id.clone(),
            license_id: c.license_id.clone(),
            environment: c.key_type.into(),
            max_sites: c.max_sites,
            from: from.into(),
            to: to.into(),
            generated_at: self.now(),
            by_product_tier,
            active_at_end: trend.last().map_or(0, |m| m.active_at_end),
            created: trend.iter().map(|m| m.created).sum(),
            revoked: trend.iter().map(|m| m.revoked).sum(),
            peak_active: trend.iter().map(|m| m.active_at_end).max().unwrap_or(0),
            trend,
        })
    }
}

/// Rows of the product-and-tier table the PDF prints; the rest are summed in one line.
pub const PDF_TIER_ROWS: usize = 20;

// A4 in points, and the page margin.
const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 56.0;
const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

impl UsageReport {
    /// Sites active at the end of the range as a share of `max_sites`, in whole percent.
    pub fn utilisation_percent(&self) -> Option<i64> {
        (self.max_sites > 0).then(|| self.active_at_end * 100 / i64::from(self.max_sites))
    }

    /// The trend as CSV (`period,active_at_end,created,revoked`, oldest first), written by the
    /// shared CSV module (formula-protected cells).
    pub fn trend_csv(&self) -> String {
        let mut w = csv::Writer::new();
        w.row(["period", "active_at_end", "created", "revoked"]);
        for m in &self.trend {
            w.row([
                m.period.clone(),
                m.active_at_end.to_string(),
                m.created.to_string(),
                m.revoked.to_string(),
            ]);
        }
        w.finish()
    }

    /// The sites active at the end of the range per product and tier as CSV
    /// (`product,tier,active_sites`), every row (the PDF caps them, the CSV does not).
    pub fn products_csv(&self) -> String {
        let mut w = csv::Writer::new();
        w.row(["product", "tier", "active_sites"]);
        for t in &self.by_product_tier {
            w.row([t.product.clone(), t.tier.clone(), t.count.to_string()]);
        }
        w.finish()
    }

    /// The report as a PDF document (A4): page 1 the org, the range, the totals and the trend
    /// chart; page 2 the sites by product and tier (the first [`PDF_TIER_ROWS`], the rest in
    /// one line) and the figures of each month.
    pub fn to_pdf(&self) -> Vec<u8> {
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let pages = [(Ref::new(6), Ref::new(7)), (Ref::new(8), Ref::new(9))];
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(pages.iter().map(|p| p.0))
            .count(pages.len() as i32);
        for (font, name) in [(regular, "Helvetica"), (bold, "Helvetica-Bold")] {
            pdf.type1_font(font)
                .base_font(Name(name.as_bytes()))
                .encoding_predefined(Name(b"WinAnsiEncoding"));
        }
        let title = format!(
            "Usage report {} ({} to {})",
            self.org_id, self.from, self.to
        );
        pdf.document_info(info)
            .title(TextStr(&title))
            .producer(TextStr(concat!("hwf-license ", env!("CARGO_PKG_VERSION"))));
        let contents = [self.first_page(), self.second_page()];
        for ((page, content), body) in pages.iter().zip(contents) {
            let mut p = pdf.page(*page);
            p.media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
                .parent(tree)
                .contents(*content);
            p.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            p.finish();
            pdf.stream(*content, &body);
        }
        pdf.finish()
    }

    fn header(&self, c: &mut Content, page: u32) -> f32 {
        let mut y = PAGE_H - MARGIN;
        text(c, BOLD, 20.0, MARGIN, y, "Usage report");
        let footer = format!("page {page} of 2 - generated {}", Utc(self.generated_at));
        text(c, REGULAR, 8.0, MARGIN, MARGIN / 2.0, &footer);
        y -= 26.0;
        for line in [
            format!("Org: {}", self.org_id),
            format!(
                "License: {} ({}), at most {} sites",
                self.license_id, self.environment, self.max_sites
            ),
            format!("Period: {} to {}", self.from, self.to),
        ] {
            text(c, REGULAR, 11.0, MARGIN, y, &line);
            y -= 15.0;
        }
        y - 10.0
    }

    fn first_page(&self) -> Vec<u8> {
        let mut c = Content::new();
        let mut y = self.header(&mut c, 1);
        text(&mut c, BOLD, 13.0, MARGIN, y, "Totals");
        y -= 18.0;
        let share = self
            .utilisation_percent()
            .map_or(String::new(), |p| format!(" ({p}%)"));
        for line in [
            format!(
                "Sites active at the end: {} of {}{share}",
                self.active_at_end, self.max_sites
            ),
            format!("Sites created in the period: {}", self.created),
            format!("Sites revoked in the period: {}", self.revoked),
            format!("Most sites active at a month's end: {}", self.peak_active),
        ] {
            text(&mut c, REGULAR, 11.0, MARGIN, y, &line);
            y -= 15.0;
        }
        y -= 15.0;
        text(
            &mut c,
            BOLD,
            13.0,
            MARGIN,
            y,
            "Sites active at the end of each month",
        );
        self.chart(&mut c, MARGIN, y - 300.0, PAGE_W - 2.0 * MARGIN, 270.0);
        c.finish().to_vec()
    }

    /// The bar chart of `trend` in the box at (`x`, `y`) of `w` × `h` points: one bar per month,
    /// its value above it, the month below, and the site limit as a dashed line.
    fn chart(&self, c: &mut Content, x: f32, y: f32, w: f32, h: f32) {
        let label_h = 14.0;
        let top = i64::from(self.max_sites).max(self.peak_active).max(1) as f32;
        let plot_h = h - label_h - 14.0;
        let base = y + label_h;
        // Axes.
        c.set_stroke_gray(0.2).set_line_width(0.8);
        c.move_to(x, base + plot_h)
            .line_to(x, base)
            .line_to(x + w, base);
        c.stroke();
        text_right(c, REGULAR, 7.0, x - 3.0, base + plot_h - 3.0, &fmt_f(top));
        text_right(c, REGULAR, 7.0, x - 3.0, base - 2.0, "0");
        if self.max_sites > 0 {
            let ly = base + plot_h * self.max_sites as f32 / top;
            c.save_state();
            c.set_stroke_rgb(0.75, 0.1, 0.1)
                .set_dash_pattern([4.0, 3.0], 0.0);
            c.move_to(x, ly).line_to(x + w, ly).stroke();
            c.restore_state();
            let label = format!("limit {}", self.max_sites);
            text_right(c, REGULAR, 7.0, x + w, ly + 3.0, &label);
        }
        let n = self.trend.len().max(1) as f32;
        let slot = w / n;
        let bar = (slot * 0.6).min(40.0);
        // Every month labelled up to 12, every second one beyond (they would overlap).
        let every = if self.trend.len() > 12 { 2 } else { 1 };
        for (i, m) in self.trend.iter().enumerate() {
            let cx = x + slot * (i as f32 + 0.5);
            let bh = plot_h * m.active_at_end.max(0) as f32 / top;
            c.set_fill_rgb(0.16, 0.38, 0.66);
            c.rect(cx - bar / 2.0, base, bar, bh).fill_nonzero();
            c.set_fill_gray(0.0);
            text_center(
                c,
                REGULAR,
                7.0,
                cx,
                base + bh + 3.0,
                &m.active_at_end.to_string(),
            );
            if i % every == 0 {
                text_center(c, REGULAR, 7.0, cx, y + 2.0, &m.period);
            }
        }
    }

    fn second_page(&self) -> Vec<u8> {
        let mut c = Content::new();
        let mut y = self.header(&mut c, 2);
        let col = [MARGIN, MARGIN + 200.0, MARGIN + 400.0];
        text(
            &mut c,
            BOLD,
            13.0,
            MARGIN,
            y,
            "Sites active at the end, by product and tier",
        );
        y -= 18.0;
        text(&mut c, BOLD, 10.0, col[0], y, "Product");
        text(&mut c, BOLD, 10.0, col[1], y, "Tier");
        text_right(&mut c, BOLD, 10.0, col[2] + 80.0, y, "Sites");
        y -= 14.0;
        if self.by_product_tier.is_empty() {
            text(&mut c, REGULAR, 10.0, col[0], y, "No active site.");
            y -= 14.0;
        }
        for t in self.by_product_tier.iter().take(PDF_TIER_ROWS) {
            text(&mut c, REGULAR, 10.0, col[0], y, &clip(&t.product, 36));
            text(&mut c, REGULAR, 10.0, col[1], y, &clip(&t.tier, 36));
            text_right(
                &mut c,
                REGULAR,
                10.0,
                col[2] + 80.0,
                y,
                &t.count.to_string(),
            );
            y -= 14.0;
        }
        let rest = &self
            .by_product_tier
            .get(PDF_TIER_ROWS..)
            .unwrap_or_default();
        if !rest.is_empty() {
            let sites: u64 = rest.iter().map(|t| u64::from(t.count)).sum();
            let line = format!("... and {} more products and tiers", rest.len());
            text(&mut c, REGULAR, 10.0, col[0], y, &line);
            text_right(&mut c, REGULAR, 10.0, col[2] + 80.0, y, &sites.to_string());
            y -= 14.0;
        }
        y -= 16.0;
        text(&mut c, BOLD, 13.0, MARGIN, y, "Each month");
        y -= 18.0;
        let col = [MARGIN, MARGIN + 220.0, MARGIN + 320.0, MARGIN + 420.0];
        text(&mut c, BOLD, 10.0, col[0], y, "Month");
        for (x, h) in col[1..].iter().zip(["Active at end", "Created", "Revoked"]) {
            text_right(&mut c, BOLD, 10.0, *x, y, h);
        }
        y -= 14.0;
        for m in &self.trend {
            text(&mut c, REGULAR, 10.0, col[0], y, &m.period);
            for (x, v) in col[1..].iter().zip([m.active_at_end, m.created, m.revoked]) {
                text_right(&mut c, REGULAR, 10.0, *x, y, &v.to_string());
            }
            y -= 14.0;
        }
        c.finish().to_vec()
    }
}

/// `s` as WinAnsi bytes the standard fonts can show: printable ASCII kept, anything else `?`.
fn win_ansi(s: &str) -> Vec<u8> {
    s.chars()
        .map(|ch| match ch {
            ' '..='~' => ch as u8,
            _ => b'?',
        })
        .collect()
}

/// At most `n` characters of `s`, with `...` when cut.
fn clip(s: &str, n: usize) -> String {
    match s.char_indices().nth(n) {
        Some((i, _)) => format!("{}...", &s[..i]),
        None => s.into(),
    }
}

fn fmt_f(v: f32) -> String {
    format!("{v:.0}")
}

fn text(c: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str) {
    c.begin_text()
        .set_font(font, size)
        .next_line(x, y)
        .show(Str(&win_ansi(s)))
        .end_text();
}

/// Text ending at `x`.
fn text_right(c: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str) {
    text(c, font, size, x - width(s, size), y, s);
}

/// Text centred on `x`.
fn text_center(c: &mut Content, font: Name, size: f32, x: f32, y: f32, s: &str) {
    text(c, font, size, x - width(s, size) / 2.0, y, s);
}

/// The width of `s` in Helvetica at `size` points (the font's advance widths for digits,
/// space, punctuation and letters, in 1/1000 em; others as a digit).
fn width(s: &str, size: f32) -> f32 {
    let units: u32 = s
        .chars()
        .map(|ch| match ch {
            '0'..='9' | 'a'..='e' | 'g' | 'h' | 'n'..='q' | 'u' => 556,
            ' ' | '.' | ',' | 'f' | 't' | '/' | 'i' | 'j' | 'l' => 278,
            '-' | 'r' => 333,
            '%' | 'm' => 889,
            'k' | 's' | 'v' | 'x' | 'y' | 'z' => 500,
            'w' => 722,
            'A'..='Z' => 667,
            _ => 556,
        })
        .sum();
    units as f32 * size / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_win_ansi_and_clipped() {
        assert_eq!(win_ansi("a(b)\\é"), b"a(b)\\?");
        assert_eq!(clip("abcdef", 3), "abc...");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(width("10", 10.0), 11.12);
    }
}
