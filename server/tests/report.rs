//! The PDF usage report, as a reader sees it: the Hub's `usage_report` over months of created
//! and revoked sites, rendered to PDF, then read back with poppler (`pdftotext` for its text,
//! `pdftoppm` for its pixels: PNG at 72 dpi for its size, PPM to measure the chart's bars).
//! poppler-utils comes from scripts/install-deps.sh.

mod common;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;

use hwf_license_server::config::{Config, HashCost, Roles};
use hwf_license_server::domain::{EnvironmentName, TierCount};
use hwf_license_server::service::audit::Actor;
use hwf_license_server::service::clock::ManualClock;
use hwf_license_server::service::hub::{NewSite, TrendMonth, UsageReport};
use hwf_license_server::service::keys::Sealer;
use hwf_license_server::service::root::IssueCml;
use hwf_license_server::service::{ServiceError, Services};

const NOV_5_2025: i64 = 1_762_300_800; // 2025-11-05T00:00:00Z
const DAY: i64 = 86_400;

struct Org {
    _dir: tempfile::TempDir,
    services: Services,
    clock: Arc<ManualClock>,
}

impl Org {
    /// A Root and a Hub on one fresh database at 2025-11-05, the Hub holding a CML of
    /// `max_sites` for `org_id`.
    async fn start(org_id: &str, max_sites: u32) -> Org {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::new(
            common::fresh_database_url(dir.path()).await,
            Sealer::generate_secret(),
        );
        config.hash_cost = HashCost { m_kib: 64, t: 1 };
        let clock = ManualClock::new(NOV_5_2025);
        let services = Services::open(&config, Roles::Both, clock.clone())
            .await
            .unwrap();
        let org = Org {
            _dir: dir,
            services,
            clock,
        };
        let hub = org.services.hub.as_ref().unwrap();
        let issued = org
            .services
            .root
            .as_ref()
            .unwrap()
            .issue_cml(
                &IssueCml {
                    org_id: org_id.into(),
                    org_key: serde_json::Value::String(hub.org_public_key().to_pem()),
                    max_sites,
                    valid_days: 365,
                    feature_packs: vec![],
                    environment: EnvironmentName::Prod,
                    grace_days: None,
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
        hub.install_cml(&issued.cml, false, &Actor::cli())
            .await
            .unwrap();
        org
    }

    async fn create(&self, site_id: &str, product: &str, tier: &str) {
        self.services
            .hub
            .as_ref()
            .unwrap()
            .create_site(
                &NewSite {
                    site_id: site_id.into(),
                    product: Some(product.into()),
                    tier: Some(tier.into()),
                    ..NewSite::default()
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
    }

    async fn revoke(&self, site_id: &str) {
        self.services
            .hub
            .as_ref()
            .unwrap()
            .revoke_site(site_id, &Actor::cli())
            .await
            .unwrap();
    }

    async fn report(&self, from: &str, to: &str) -> Result<UsageReport, ServiceError> {
        self.services
            .hub
            .as_ref()
            .unwrap()
            .usage_report(from, to)
            .await
    }
}

fn month(period: &str, active_at_end: i64, created: i64, revoked: i64) -> TrendMonth {
    TrendMonth {
        period: period.into(),
        active_at_end,
        created,
        revoked,
    }
}

fn tier(product: &str, tier: &str, count: u32) -> TierCount {
    TierCount {
        product: product.into(),
        tier: tier.into(),
        count,
    }
}

/// Runs poppler's `tool` with `args`; a missing tool fails with what to install.
fn poppler(tool: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!("{tool} not runnable ({e}): install poppler-utils (scripts/install-deps.sh)")
    });
    assert!(
        out.status.success(),
        "{tool} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The PDF's text laid out as on the page, each run of spaces as one.
fn pdf_text(pdf: &Path) -> String {
    let raw = poppler("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    String::from_utf8(raw)
        .unwrap()
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(png: &[u8]) -> (u32, u32) {
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n", "a PNG");
    assert_eq!(&png[12..16], b"IHDR");
    let be = |b: &[u8]| u32::from_be_bytes(b.try_into().unwrap());
    (be(&png[16..20]), be(&png[20..24]))
}

/// The heights in pixels of the bars (runs of columns holding the chart's blue) of page 1
/// rendered at 72 dpi, left to right.
fn bar_heights(pdf: &Path, dir: &Path) -> Vec<u32> {
    let prefix = dir.join("page");
    poppler(
        "pdftoppm",
        &[
            "-r",
            "72",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let ppm = std::fs::read(dir.join("page.ppm")).unwrap();
    // P6 header: magic, width, height, maxval, each followed by one whitespace byte.
    let mut fields = Vec::new();
    let mut at = 0;
    while fields.len() < 4 {
        let end = at
            + ppm[at..]
                .iter()
                .position(|b| b.is_ascii_whitespace())
                .unwrap();
        fields.push(std::str::from_utf8(&ppm[at..end]).unwrap().to_string());
        at = end + 1;
    }
    assert_eq!(fields[0], "P6");
    let (w, h): (usize, usize) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    let px = &ppm[at..];
    assert_eq!(px.len(), w * h * 3);
    // The bar colour is rgb(41, 97, 168): blue well above red; text is black, axes grey,
    // the limit line red.
    let blue = |x: usize, y: usize| {
        let p = &px[(y * w + x) * 3..][..3];
        p[2] >= 140 && i32::from(p[2]) - i32::from(p[0]) >= 90
    };
    let columns: Vec<u32> = (0..w)
        .map(|x| (0..h).filter(|&y| blue(x, y)).count() as u32)
        .collect();
    let mut bars = Vec::new();
    let mut run: Option<u32> = None;
    for c in columns.iter().copied().chain([0]) {
        match (c, run) {
            (0, Some(m)) => {
                bars.push(m);
                run = None;
            }
            (0, None) => {}
            (c, r) => run = Some(r.unwrap_or(0).max(c)),
        }
    }
    bars
}

/// Four months of an org: sites created in November, December and January, two revoked; the
/// report counts each month and the end, and its PDF shows the same figures and bars as tall
/// as the counts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_usage_report_counts_each_month_and_its_pdf_shows_it() {
    let org = Org::start("acme-report", 10).await;
    for (id, tier_) in [
        ("s1", "active"),
        ("s2", "active"),
        ("s3", "active"),
        ("s4", "edge"),
    ] {
        org.create(id, "hwf", tier_).await;
    }
    org.clock.set(NOV_5_2025 + 30 * DAY); // 2025-12-05
    org.create("s5", "scan", "pro").await;
    org.create("s6", "scan", "pro").await;
    org.revoke("s2").await;
    org.clock.advance(31 * DAY); // 2026-01-05
    org.create("s7", "hwf", "active").await;
    org.revoke("s5").await;
    org.clock.advance(36 * DAY); // 2026-02-10

    let r = org.report("2025-11", "2026-02").await.unwrap();
    assert_eq!(
        r.trend,
        [
            month("2025-11", 4, 4, 0),
            month("2025-12", 5, 2, 1),
            month("2026-01", 5, 1, 1),
            month("2026-02", 5, 0, 0),
        ]
    );
    assert_eq!(
        (r.active_at_end, r.created, r.revoked, r.peak_active),
        (5, 7, 2, 5)
    );
    assert_eq!(
        r.by_product_tier,
        [
            tier("hwf", "active", 3),
            tier("hwf", "edge", 1),
            tier("scan", "pro", 1)
        ]
    );
    assert_eq!((r.org_id.as_str(), r.max_sites), ("acme-report", 10));
    // The end of November: before December's changes.
    let nov = org.report("2025-11", "2025-11").await.unwrap();
    assert_eq!(
        nov.by_product_tier,
        [tier("hwf", "active", 3), tier("hwf", "edge", 1)]
    );

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("report.pdf");
    let bytes = r.to_pdf();
    std::fs::write(&pdf, &bytes).unwrap();
    let info = String::from_utf8(poppler("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
    assert!(info.contains("Pages:") && info.contains(" 2\n"), "{info}");
    assert!(info.contains("Usage report acme-report"), "{info}");

    let text = pdf_text(&pdf);
    for line in [
        "Org: acme-report",
        "Period: 2025-11 to 2026-02",
        "at most 10 sites",
        "Sites active at the end: 5 of 10 (50%)",
        "Sites created in the period: 7",
        "Sites revoked in the period: 2",
        "Most sites active at a month's end: 5",
        "hwf active 3",
        "hwf edge 1",
        "scan pro 1",
        "2025-11 4 4 0",
        "2025-12 5 2 1",
        "2026-01 5 1 1",
        "2026-02 5 0 0",
    ] {
        assert!(
            text.lines().any(|l| l.contains(line)),
            "{line:?} not in:\n{text}"
        );
    }

    // PNG at 72 dpi: A4 is 595 x 842 points, so as many pixels; a page with its text and chart
    // is tens of kilobytes (a blank one is a few hundred bytes).
    poppler(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "72",
            pdf.to_str().unwrap(),
            dir.path().join("png").to_str().unwrap(),
        ],
    );
    for page in ["png-1.png", "png-2.png"] {
        let png = std::fs::read(dir.path().join(page)).unwrap();
        assert_eq!(png_size(&png), (595, 842), "{page}");
        assert!(png.len() > 8_000, "{page}: only {} bytes", png.len());
    }
    let blank = UsageReport {
        trend: vec![],
        ..r.clone()
    };
    // The chart's plot area is 242 points tall for the limit of 10: 4 sites are 96.8 px, 5
    // sites 121 px (±3 px: anti-aliased edges count; one site is 24 px).
    let bars = bar_heights(&pdf, dir.path());
    for (got, want) in bars.iter().zip([96.8, 121.0, 121.0, 121.0]) {
        assert!(
            (f64::from(*got) - want).abs() <= 3.0,
            "bars {bars:?}, want 96.8, 121, 121, 121"
        );
    }
    std::fs::write(&pdf, blank.to_pdf()).unwrap();
    assert_eq!(
        bar_heights(&pdf, dir.path()),
        Vec::<u32>::new(),
        "no month, no bar"
    );
}

/// Many products and tiers: the PDF stays two pages, printing the first 20 and the rest as one
/// line with their sum; non-ASCII and PDF string delimiters in names print safely.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_products_and_tiers_fit_on_two_pages() {
    let org = Org::start("acme-many", 40).await;
    for i in 0..30 {
        org.create(&format!("s{i:02}"), &format!("p{i:02}"), "t")
            .await;
    }
    let mut r = org.report("2024-12", "2025-11").await.unwrap();
    assert_eq!(r.by_product_tier.len(), 30);
    assert_eq!(r.trend.len(), 12);
    assert_eq!(r.trend[11], month("2025-11", 30, 30, 0));
    r.by_product_tier[0].product = "caf\u{e9} (a\\b)".into();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("many.pdf");
    std::fs::write(&pdf, r.to_pdf()).unwrap();
    let info = String::from_utf8(poppler("pdfinfo", &[pdf.to_str().unwrap()])).unwrap();
    assert!(info.contains("Pages:") && info.contains(" 2\n"), "{info}");
    let text = pdf_text(&pdf);
    assert!(text.contains("caf? (a\\b) t 1"), "{text}");
    assert!(text.contains("p19 t 1"), "{text}");
    assert!(!text.contains("p20 t 1"), "{text}");
    assert!(
        text.contains("... and 10 more products and tiers 10"),
        "{text}"
    );
}

/// A range is 1 to 24 months, oldest first, and a report needs a CML.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_report_range_is_bounded() {
    let org = Org::start("acme-range", 5).await;
    assert_eq!(
        org.report("2024-01", "2025-12").await.unwrap().trend.len(),
        24
    );
    for (from, to) in [
        ("2024-01", "2026-01"),
        ("2026-02", "2026-01"),
        ("2026-13", "2026-12"),
    ] {
        let e = org.report(from, to).await.unwrap_err();
        assert!(matches!(e, ServiceError::Invalid(_)), "{from}..{to}: {e:?}");
    }
}

/// The statistics' CSV exports go through the shared CSV module: a product that a spreadsheet
/// would run as a formula is exported with the `'` prefix, and reading the export back gives
/// every cell as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_csv_exports_read_back_unchanged_and_protect_formulas() {
    use hwf_license_server::domain::csv;
    let org = Org::start("acme-csv", 5).await;
    org.create("s1", "hwf", "active").await;
    let mut r = org.report("2025-10", "2025-11").await.unwrap();
    r.by_product_tier
        .push(tier("=HYPERLINK(\"http://x\")", "@sum", 2));
    let products = r.products_csv();
    assert!(
        products.contains("\"'=HYPERLINK(\"\"http://x\"\")\",'@sum,2\r\n"),
        "{products}"
    );
    let table = csv::read(&products, &csv::Limits::SITE_IMPORT, false).unwrap();
    assert_eq!(table.header, ["product", "tier", "active_sites"]);
    let rows: Vec<Vec<String>> = table.rows.into_iter().map(|r| r.cells.unwrap()).collect();
    let want: Vec<Vec<String>> = r
        .by_product_tier
        .iter()
        .map(|t| vec![t.product.clone(), t.tier.clone(), t.count.to_string()])
        .collect();
    assert_eq!(rows, want);

    let trend = r.trend_csv();
    assert_eq!(
        trend,
        "period,active_at_end,created,revoked\r\n2025-10,0,0,0\r\n2025-11,1,1,0\r\n"
    );
}

/// The statistics' user figures: per realm, in all and per role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_counts_are_per_realm_and_role() {
    use hwf_license_server::domain::{Realm, Role};
    use hwf_license_server::service::accounts::UserCounts;
    let org = Org::start("acme-users", 5).await;
    let a = &org.services.accounts;
    for (name, role) in [
        ("op1", Role::Operator),
        ("op2", Role::Operator),
        ("view", Role::Viewer),
        ("boss", Role::Admin),
    ] {
        a.add_user(Realm::Hub, name, "a long enough password 1", role)
            .await
            .unwrap();
    }
    a.add_user(
        Realm::Root,
        "rootop",
        "a long enough password 1",
        Role::Operator,
    )
    .await
    .unwrap();
    // The first admin exists in each realm.
    assert_eq!(
        a.user_counts(Realm::Hub).await.unwrap(),
        UserCounts {
            total: 5,
            admins: 2,
            operators: 2,
            viewers: 1
        }
    );
    assert_eq!(
        a.user_counts(Realm::Root).await.unwrap(),
        UserCounts {
            total: 2,
            admins: 1,
            operators: 1,
            viewers: 0
        }
    );
}
