//! The console's Sites pages over real HTTP forms, as a browser without JavaScript uses them (an
//! operator signed in through `/login`): the list's filters, sort and pages, the create form
//! with a fingerprint and features, the 11th site refused with a sentence, the revoke
//! confirmation, the site.lic download, the CSV import (dry run writes nothing, the commit
//! creates exactly its rows), and the site page's chain preview data and WASM policy. Each
//! step is checked in the database too, not only on the page.

mod common;

use hwf_license_server::app::App;

use common::page::{between, multipart, unescape};
use hwf_license_server::domain::{EnvironmentName, Realm, Role};
use hwf_license_server::http::console::CSP_WASM;
use hwf_license_server::service::audit::Actor;
use hwf_license_server::service::root::IssueCml;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};

struct Srv {
    _dir: tempfile::TempDir,
    app: App,
    base: String,
    http: reqwest::Client,
    cookies: std::sync::Mutex<Vec<(String, String)>>,
    _task: tokio::task::JoinHandle<()>,
}

struct Page {
    status: u16,
    location: String,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn csrf(&self) -> String {
        common::page::csrf(&self.body)
    }
}

impl Srv {
    /// A Root and a Hub in one process with a CML of `max_sites`, and an operator signed in.
    async fn start(max_sites: u32) -> Srv {
        Self::start_with(max_sites, &["analytics", "boost"]).await
    }

    /// [`Srv::start`] with the CML's feature packs `packs`.
    async fn start_with(max_sites: u32, packs: &[&str]) -> Srv {
        let common::Served {
            dir,
            app,
            base,
            task,
            ..
        } = common::serve_both(hwf_license_server::service::clock::system(), |_| {}).await;
        let cli = Actor::cli();
        let hub = app.services.hub.clone().unwrap();
        let issued = app
            .services
            .root
            .as_ref()
            .unwrap()
            .issue_cml(
                &IssueCml {
                    org_id: "acme".into(),
                    org_key: serde_json::Value::String(hub.org_public_key().to_pem()),
                    max_sites,
                    valid_days: 365,
                    feature_packs: packs.iter().map(|p| p.to_string()).collect(),
                    environment: EnvironmentName::Prod,
                    grace_days: None,
                },
                &cli,
            )
            .await
            .unwrap();
        hub.install_cml(&issued.cml, false, &cli).await.unwrap();
        app.services
            .accounts
            .create_user(
                &cli,
                Realm::Hub,
                "olga",
                "olga-password-long-enough",
                Role::Operator,
            )
            .await
            .unwrap();
        let s = Srv {
            _dir: dir,
            app,
            base,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: Default::default(),
            _task: task,
        };
        let login = s.get("/login").await;
        let r = s
            .post(
                "/login",
                &[
                    ("csrf", &login.csrf()),
                    ("username", "olga"),
                    ("password", "olga-password-long-enough"),
                    ("code", ""),
                    ("next", "/sites"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location.as_str()),
            (303, "/sites"),
            "{}",
            r.body
        );
        s
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .lock()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn send(&self, req: reqwest::RequestBuilder, path: &str) -> Page {
        let r = req
            .header(COOKIE, self.cookie_header())
            .header("referer", format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        {
            let mut jar = self.cookies.lock().unwrap();
            for c in r.headers().get_all(SET_COOKIE).iter() {
                let c = c.to_str().unwrap();
                let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
                let (k, v) = kv.split_once('=').unwrap();
                jar.retain(|(n, _)| n != k);
                if !v.is_empty() && !attrs.contains("Max-Age=0") {
                    jar.push((k.to_string(), v.to_string()));
                }
            }
        }
        Page {
            status: r.status().as_u16(),
            location: r
                .headers()
                .get(LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    async fn get(&self, path: &str) -> Page {
        self.send(self.http.get(format!("{}{path}", self.base)), path)
            .await
    }

    async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        self.send(
            self.http.post(format!("{}{path}", self.base)).form(form),
            path,
        )
        .await
    }

    /// Follows a 303 and answers the page it leads to.
    async fn follow(&self, p: Page) -> Page {
        assert_eq!(p.status, 303, "{}", p.body);
        self.get(&p.location).await
    }

    async fn count(&self, sql: &str) -> i64 {
        use sqlx::Row;
        sqlx::query(sql)
            .fetch_one(self.app.services.db.pool())
            .await
            .unwrap()
            .try_get(0)
            .unwrap()
    }

    async fn create(&self, fields: &[(&str, &str)]) -> Page {
        let form = self.get("/sites/new").await;
        assert_eq!(form.status, 200, "{}", form.body);
        let csrf = form.csrf();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post("/sites", &all).await
    }
}

/// The list's site ids in page order.
fn listed(body: &str) -> Vec<String> {
    body.split("<td><a href=\"/sites/")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_creates_lists_revokes_and_imports_sites_through_the_forms() {
    let s = Srv::start(10).await;
    // Create with a fingerprint and a feature: the site's page says so, the database too.
    let created = s
        .create(&[
            ("site_id", "plant-1"),
            ("product", ""),
            ("tier", "gold"),
            ("features", "analytics"),
            ("features", "boost"),
            ("address", "10.20.0.0/16"),
            ("dns_suffix", "plant1.example.org"),
            ("deployment_tag", "line-1"),
            ("valid_days", "30"),
        ])
        .await;
    assert_eq!(created.location, "/sites/plant-1", "{}", created.body);
    let page = s.follow(created).await;
    assert!(page.body.contains("Site plant-1 created"), "{}", page.body);
    for shown in [
        "10.20.0.0/16",
        "plant1.example.org",
        "line-1",
        "analytics, boost",
        "gold",
    ] {
        assert!(page.body.contains(shown), "{shown} on the site page");
    }
    let hub = s.app.services.hub.clone().unwrap();
    let stored = hub.site("plant-1").await.unwrap();
    assert_eq!(
        (
            stored.tier.as_str(),
            stored.features.len(),
            stored.fingerprint.deployment_tag.as_deref()
        ),
        ("gold", 2, Some("line-1"))
    );
    // The page runs the WASM preview: its policy allows wasm, its data is the site's file.
    assert_eq!(page.headers["content-security-policy"], CSP_WASM);
    let data = unescape(between(&page.body, "data-license=\"", "\"").unwrap());
    assert_eq!(data, hub.stored_license("plant-1").await.unwrap());
    let script = between(&page.body, "<script type=\"module\" src=\"", "\"").unwrap();
    let js = s.get(script).await;
    assert_eq!(
        (js.status, js.headers[CONTENT_TYPE].to_str().unwrap()),
        (200, "text/javascript; charset=utf-8")
    );
    let dir = script.rsplit_once('/').unwrap().0;
    let wasm = s.get(&format!("{dir}/hwf_license_wasm_bg.wasm")).await;
    assert_eq!(
        (wasm.status, wasm.headers[CONTENT_TYPE].to_str().unwrap()),
        (200, "application/wasm")
    );
    assert_eq!(
        s.get("/assets/sites-0000000000000000/chain-preview.js")
            .await
            .status,
        404
    );
    // The ledger entry of the creation is on the site's page.
    assert!(page.body.contains("site created"), "ledger entry shown");

    // Nine more (10 = max_sites), then the 11th is refused with a sentence; nothing stored.
    for i in 2..=10 {
        let r = s.create(&[("site_id", &format!("plant-{i}"))]).await;
        assert_eq!(r.status, 303, "{}", r.body);
    }
    let refused = s.create(&[("site_id", "plant-11")]).await;
    assert_eq!(refused.status, 409);
    assert!(
        refused
            .body
            .contains("The CML allows 10 active sites and 10 are active"),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains("value=\"plant-11\""),
        "the form keeps what was typed"
    );
    assert_eq!(s.count("SELECT count(*) FROM sites").await, 10);

    // The list: filters, sort both ways, pages of 50 (here all on one), plain GET links.
    let list = s.get("/sites?sort=site_id&order=desc").await;
    assert_eq!(list.status, 200);
    let ids = listed(&list.body);
    assert_eq!(ids.len(), 10);
    assert_eq!((ids[0].as_str(), ids[9].as_str()), ("plant-9", "plant-1"));
    let found = s.get("/sites?q=LINE-1").await;
    assert_eq!(
        listed(&found.body),
        ["plant-1"],
        "search reaches the fingerprint, any case"
    );
    let gold = s.get("/sites?tier=gold").await;
    assert_eq!(listed(&gold.body), ["plant-1"]);
    let bad = s.get("/sites?sort=license_id").await;
    assert!(
        bad.body.contains("sort must be one of"),
        "a bad sort key is a sentence"
    );
    // htmx asks for the results only.
    let partial = s
        .send(
            s.http
                .get(format!("{}/sites?status=active", s.base))
                .header("hx-request", "true"),
            "/sites",
        )
        .await;
    assert!(
        partial.body.starts_with("<section id=\"site-results\""),
        "{}",
        partial.body
    );
    assert!(!partial.body.contains("<html"));

    // Revoke: the confirmation states the consequence; a wrong id revokes nothing.
    let confirm = s.get("/sites/plant-2/revoke").await;
    assert!(confirm.body.contains("It cannot be undone"));
    assert!(confirm
        .body
        .contains("next fetches the revocation list or sends a heartbeat"));
    let wrong = s
        .post(
            "/sites/plant-2/revoke",
            &[("csrf", &confirm.csrf()), ("confirm", "plant-3")],
        )
        .await;
    assert_eq!(wrong.location, "/sites/plant-2/revoke");
    assert_eq!(hub.site("plant-2").await.unwrap().status, "active");
    let done = s
        .post(
            "/sites/plant-2/revoke",
            &[("csrf", &confirm.csrf()), ("confirm", "plant-2")],
        )
        .await;
    let after = s.follow(done).await;
    assert!(
        after.body.contains("Site plant-2 revoked"),
        "{}",
        after.body
    );
    assert_eq!(hub.site("plant-2").await.unwrap().status, "revoked");
    assert_eq!(
        listed(&s.get("/sites?status=revoked").await.body),
        ["plant-2"]
    );

    // Download: the stored file, as an attachment, recorded in the audit log.
    let lic = s.get("/sites/plant-1/site.lic").await;
    assert_eq!(lic.body, hub.stored_license("plant-1").await.unwrap());
    assert!(lic.headers["content-disposition"]
        .to_str()
        .unwrap()
        .contains("plant-1.site.lic"));
    assert_eq!(
        s.count("SELECT count(*) FROM audit WHERE action = 'site.download'")
            .await,
        1
    );

    // Import: the dry run writes nothing and shows each row; the commit creates exactly those.
    let form = s.get("/sites/import").await;
    let csv = "site_id,tier,deployment_tag\nimp-1,basic,t1\nplant-1,,\nimp-2,,\n";
    let dry = s
        .post("/sites/import", &[("csrf", &form.csrf()), ("csv", csv)])
        .await;
    assert_eq!(dry.status, 200, "{}", dry.body);
    assert!(dry.body.contains("Dry run: nothing was written"));
    assert!(
        dry.body.contains("1 would be created, 1 skipped, 1 failed"),
        "{}",
        dry.body
    );
    assert!(dry.body.contains("already exists (active)"));
    assert!(
        dry.body.contains("over the limit"),
        "imp-2 is the 11th active site"
    );
    assert_eq!(s.count("SELECT count(*) FROM sites").await, 10);
    let kept = unescape(between(&dry.body, "name=\"csv\" value=\"", "\"").unwrap());
    assert_eq!(
        kept, csv,
        "the commit form carries the file the dry run checked"
    );
    let commit = s
        .post(
            "/sites/import/commit",
            &[("csrf", &dry.csrf()), ("csv", &kept)],
        )
        .await;
    assert_eq!(commit.status, 200, "{}", commit.body);
    assert!(
        commit.body.contains("1 created, 1 skipped, 1 failed"),
        "{}",
        commit.body
    );
    assert_eq!(hub.site("imp-1").await.unwrap().tier, "basic");
    assert!(hub.site("imp-2").await.is_err());
    assert_eq!(s.count("SELECT count(*) FROM sites").await, 11);
}

/// `count` sites stored directly (no signing: the pages read the columns), in one transaction.
async fn seed(s: &Srv, count: usize) {
    use hwf_license_server::domain::SiteFingerprint;
    use hwf_license_server::store::sites::{insert, NewSiteRow, SiteRow};
    let mut tx = s.app.services.db.begin_write().await.unwrap();
    for i in 0..count {
        let k = i as i64;
        let row = SiteRow {
            site_id: format!("seed-{i:05}"),
            license_id: format!("lic-seed-{i}"),
            status: "active".into(),
            product: ["hwf", "boost"][i % 2].into(),
            tier: ["basic", "active", "gold"][i % 3].into(),
            features: vec![],
            fingerprint: SiteFingerprint {
                dns_suffix: (i % 7 == 0).then(|| format!("plant{i}.example.org")),
                ..Default::default()
            },
            cml_id: "seeded".into(),
            issued_at: 1_760_000_000 + k,
            expires_at: 1_800_000_000 + (k * 7919) % 100_000,
            created_at: 1_760_000_000 + (k * 104_729) % 1_000_000,
            created_by: "seed".into(),
            revoked_at: None,
            last_seen: None,
        };
        insert(
            &mut tx,
            &NewSiteRow {
                site: &row,
                license: "not-a-license",
            },
        )
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// Pages of 50: page links keep the filters, the last page holds the rest, no page repeats a
/// site, and the heading counts them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_list_pages_by_fifty_keeping_its_filters() {
    let s = Srv::start(10).await;
    seed(&s, 130).await;
    let first = s.get("/sites?product=hwf&sort=created&order=desc").await;
    assert!(first.body.contains("Sites 1–50 of 65"), "{}", first.body);
    let mut seen = listed(&first.body);
    let pager = between(&first.body, "<nav class=\"pager", "</nav>").unwrap();
    let mut next = unescape(
        between(&first.body, "rel=\"next\" hx-get=\"", "\"").unwrap_or_else(|| panic!("{pager}")),
    );
    assert_eq!(next, "/sites?product=hwf&sort=created&order=desc&page=2");
    let mut pages = 1;
    loop {
        let p = s.get(&next).await;
        pages += 1;
        seen.extend(listed(&p.body));
        match between(&p.body, "rel=\"next\" hx-get=\"", "\"") {
            Some(n) => next = unescape(n),
            None => {
                assert!(
                    p.body.contains("Sites 51–65 of 65") || pages > 2,
                    "{}",
                    p.body
                );
                assert!(p.body.contains("rel=\"prev\""));
                break;
            }
        }
    }
    assert_eq!(pages, 2);
    let mut unique = seen.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((seen.len(), unique.len()), (65, 65), "every hwf site once");
    // The same order as the service answers (created, newest first).
    let hub = s.app.services.hub.clone().unwrap();
    let want: Vec<String> = hub
        .list_sites(&hwf_license_server::service::hub::SiteQuery {
            product: Some("hwf".into()),
            sort: Some("created".into()),
            order: Some("desc".into()),
            limit: Some(100),
            ..Default::default()
        })
        .await
        .unwrap()
        .sites
        .into_iter()
        .map(|v| v.site_id)
        .collect();
    assert_eq!(seen, want);
}

/// Server-side render time of the Sites pages with 10,000 sites: p50/p95 over loopback
/// (request to last byte). Run by hand, release build:
/// `cargo test --release -p hwf-license-server --test console_sites -- --ignored --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, not a check: prints timings"]
async fn measure_the_sites_pages_with_ten_thousand_sites() {
    let s = Srv::start(10).await;
    // The created site first: the 10,000 seeded ones are over the CML's max_sites.
    let created = s
        .create(&[("site_id", "plant-1"), ("deployment_tag", "t")])
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    seed(&s, 10_000).await;
    for (name, path) in [
        ("/sites", "/sites"),
        ("/sites last page", "/sites?page=200"),
        (
            "/sites tier+sort created desc",
            "/sites?tier=gold&sort=created&order=desc",
        ),
        (
            "/sites sort expiry, page 100",
            "/sites?sort=expiry&page=100",
        ),
        (
            "/sites sort last_seen desc",
            "/sites?sort=last_seen&order=desc",
        ),
        ("/sites search (fingerprint)", "/sites?q=plant77"),
        ("/sites htmx partial", "/sites?status=active&page=3"),
        ("/sites/plant-1 (detail)", "/sites/plant-1"),
        ("/sites/new", "/sites/new"),
    ] {
        let mut times = Vec::new();
        for _ in 0..40 {
            let t = std::time::Instant::now();
            let p = s.get(path).await;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(p.status, 200, "{path}");
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{:?} {name:<32} p50 {:6.2} ms  p95 {:6.2} ms  max {:6.2} ms",
            common::test_db(),
            times[times.len() / 2],
            times[times.len() * 95 / 100],
            times[times.len() - 1]
        );
    }
}

/// A file near the import's 512 KiB cap passes the dry run and comes back, carried by the
/// page's commit form, within the console's body limit (it did not when the form was
/// url-encoded: the encoding triples commas and line ends); over the cap it is a sentence.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_import_file_fits_the_dry_run_and_the_commit() {
    let s = Srv::start(10).await;
    let mut csv = String::from("site_id,product,tier\n");
    let mut i = 0;
    while csv.len() < 500_000 {
        let id = format!("big-{i:04}-{}", "x".repeat(119));
        csv.push_str(&format!("{id},{},{}\n", "p".repeat(200), "t".repeat(200)));
        i += 1;
    }
    assert!(i <= 1000, "{i} rows");
    let form = s.get("/sites/import").await;
    let (ctype, body) = multipart(&[("csrf", &form.csrf()), ("csv", &csv)]);
    let dry = s
        .send(
            s.http
                .post(format!("{}/sites/import", s.base))
                .header(CONTENT_TYPE, ctype)
                .body(body),
            "/sites/import",
        )
        .await;
    assert_eq!(dry.status, 200, "{}", &dry.body[..dry.body.len().min(2000)]);
    assert!(dry.body.contains("10 would be created"), "max_sites 10");
    assert!(
        dry.body
            .contains("action=\"/sites/import/commit\" enctype=\"multipart/form-data\""),
        "the page's commit form sends the file as multipart, not url-encoded"
    );
    let kept = unescape(between(&dry.body, "name=\"csv\" value=\"", "\"").unwrap());
    assert_eq!(kept, csv);
    let (ctype, body) = multipart(&[("csrf", &dry.csrf()), ("csv", &kept)]);
    let done = s
        .send(
            s.http
                .post(format!("{}/sites/import/commit", s.base))
                .header(CONTENT_TYPE, ctype)
                .body(body),
            "/sites/import",
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(done.body.contains("10 created"), "{}", &done.body[..2000]);
    assert_eq!(s.count("SELECT count(*) FROM sites").await, 10);
    // Over the cap: the whole file is refused with a sentence, nothing written.
    let mut huge = csv.clone();
    while huge.len() <= 512 * 1024 {
        huge.push_str("x,,\n");
    }
    let (ctype, body) = multipart(&[("csrf", &done.csrf()), ("csv", &huge)]);
    let refused = s
        .send(
            s.http
                .post(format!("{}/sites/import", s.base))
                .header(CONTENT_TYPE, ctype)
                .body(body),
            "/sites/import",
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("at most 524288 are read"),
        "{}",
        &refused.body[..2000]
    );
}

/// The CML feature packs of the export test: names a spreadsheet would run, and non-ASCII.
const HOSTILE_PACKS: [&str; 7] = ["analytics", "+1", "-2", "@x", "=SUM(A1)", "ünï", "'=q"];

/// Sites whose every importable field is something CSV or a spreadsheet mishandles: formula
/// starts (`=cmd|' /C calc'!A0`, `+1`, `-2`, `@x`), a leading TAB and CR, a trailing TAB,
/// commas, quotes, LF and CRLF inside, non-ASCII, a cell that already looks protected, plus
/// both kinds of validity (whole days, and until the CML ends).
fn hostile_sites() -> Vec<hwf_license_server::service::hub::NewSite> {
    use hwf_license_server::domain::SiteFingerprint;
    use hwf_license_server::service::hub::NewSite;
    let fp = |a: Option<&str>, d: Option<&str>, t: Option<&str>| {
        Some(SiteFingerprint {
            address: a.map(Into::into),
            dns_suffix: d.map(Into::into),
            deployment_tag: t.map(Into::into),
        })
    };
    let site = |id: &str, product: Option<&str>, tier: Option<&str>, features: &[&str]| NewSite {
        site_id: id.into(),
        product: product.map(Into::into),
        tier: tier.map(Into::into),
        features: features.iter().map(|f| f.to_string()).collect(),
        ..Default::default()
    };
    vec![
        NewSite {
            fingerprint: fp(None, None, Some("@x")),
            ..site("-2", Some("=cmd|' /C calc'!A0"), Some("+1"), &["+1", "-2"])
        },
        NewSite {
            fingerprint: fp(None, None, Some("\tx")),
            ..site("s-tab", None, Some("-2"), &["@x"])
        },
        NewSite {
            fingerprint: fp(None, None, Some("\ry")),
            ..site("s-cr", Some("@x"), None, &["=SUM(A1)"])
        },
        NewSite {
            fingerprint: fp(None, None, Some("line1\nline2, \"quoted\"")),
            ..site("s-comma", Some("a,b"), Some("q\"uote"), &[])
        },
        NewSite {
            fingerprint: fp(Some("10.0.0.0/8"), Some("plant.example.org"), Some("ünï ✓")),
            ..site("s-uni", Some("ünïcødé ✓"), Some("日本"), &["ünï"])
        },
        NewSite {
            fingerprint: fp(None, None, Some("x\t")),
            valid_days: Some(30),
            ..site("s-days", None, None, &[])
        },
        NewSite {
            fingerprint: fp(None, None, Some("a\r\nb")),
            ..site("s-quote", Some("'=1"), Some("''-x"), &["'=q"])
        },
        NewSite {
            fingerprint: fp(Some("2001:db8::/32"), None, Some("\nlead")),
            valid_days: Some(1000),
            ..site("s-long", Some("+"), Some("="), &["analytics", "@x"])
        },
        NewSite {
            fingerprint: fp(Some("192.0.2.7"), None, None),
            valid_days: Some(1),
            ..site("S.dots_9", None, Some("'"), &[])
        },
        site("plain-1", None, None, &[]),
    ]
}

/// The import's counts as the console's result page says them.
fn summary(body: &str, dry: bool) -> String {
    let key = if dry {
        " would be created, "
    } else {
        " created, "
    };
    let i = body
        .find(key)
        .unwrap_or_else(|| panic!("no summary: {body}"));
    let start = body[..i].rfind(|c: char| !c.is_ascii_digit()).unwrap() + 1;
    let end = i + body[i..].find(" failed").unwrap() + " failed".len();
    body[start..end].to_string()
}

impl Srv {
    /// Uploads `csv` as a file to the import's dry run, then commits what the page carries:
    /// both result pages.
    async fn import_file(&self, csv: &str) -> (Page, Page) {
        let form = self.get("/sites/import").await;
        let boundary = "XeXpOrTbOuNdArY";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"sites.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n",
            form.csrf()
        );
        let dry = self
            .send(
                self.http
                    .post(format!("{}/sites/import", self.base))
                    .header(
                        CONTENT_TYPE,
                        format!("multipart/form-data; boundary={boundary}"),
                    )
                    .body(body),
                "/sites/import",
            )
            .await;
        assert_eq!(dry.status, 200, "{}", dry.body);
        // The page's commit form carries the file (only when a row would be created; else
        // the commit is posted as a client could).
        let kept = match between(&dry.body, "name=\"csv\" value=\"", "\"") {
            Some(k) => unescape(k),
            None => csv.to_string(),
        };
        assert_eq!(
            kept, csv,
            "the commit form carries the uploaded file unchanged"
        );
        let (ctype, body) = multipart(&[("csrf", &dry.csrf()), ("csv", &kept)]);
        let done = self
            .send(
                self.http
                    .post(format!("{}/sites/import/commit", self.base))
                    .header(CONTENT_TYPE, ctype)
                    .body(body),
                "/sites/import",
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        (dry, done)
    }

    /// `GET path` as a CSV download: its text.
    async fn csv(&self, path: &str) -> String {
        let p = self.get(path).await;
        assert_eq!(p.status, 200, "{path}: {}", p.body);
        assert_eq!(p.headers[CONTENT_TYPE], "text/csv; charset=utf-8");
        assert_eq!(
            p.headers["content-disposition"],
            "attachment; filename=\"sites.csv\""
        );
        p.body
    }
}

/// What a create decides of a site (no ids or times; the validity as days, or "with the CML"),
/// for comparing two Hubs.
fn essence(v: &hwf_license_server::service::hub::SiteView) -> String {
    let secs = v.expires_at - v.issued_at;
    let days = if secs % 86_400 == 0 && secs < 365 * 86_400 {
        (secs / 86_400).to_string()
    } else {
        "with the CML".into()
    };
    format!(
        "{}|{}|{}|{:?}|{:?}|{days}",
        v.site_id, v.product, v.tier, v.features, v.fingerprint
    )
}

/// Issue 20's proof "the Hub's CSV export re-imports unchanged", over HTTP as an operator:
/// N = 10 hostile sites (and a revoked one the `status=active` filter leaves out) exported
/// from Hub A; the file uploaded to a fresh Hub B under a CML with the same feature packs
/// (dry run: N would be created; commit: N created); B's export is byte-identical to A's; the
/// sites B holds have the same products, tiers, features, fingerprints and validity; and the
/// same file imported into A again skips all N and changes nothing. The export's cells never
/// start a formula, the filters and search apply, and the API's export is the same file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sites_export_re_imports_unchanged() {
    use hwf_license_server::service::hub::{NewSite, SiteQuery};
    let a = Srv::start_with(20, &HOSTILE_PACKS).await;
    let hub_a = a.app.services.hub.clone().unwrap();
    let cli = Actor::cli();
    let sites = hostile_sites();
    let n = sites.len();
    for site in &sites {
        hub_a.create_site(site, &cli).await.unwrap();
    }
    let gone = NewSite {
        site_id: "gone".into(),
        ..Default::default()
    };
    hub_a.create_site(&gone, &cli).await.unwrap();
    hub_a.revoke_site("gone", &cli).await.unwrap();

    // The list offers the export of what it shows, filters kept.
    let list = a.get("/sites?status=active&sort=created").await;
    let link = format!(
        "<a id=\"export-csv\" href=\"/sites.csv?status=active&#38;sort=created\" download=\"sites.csv\">Download these {n} sites as CSV</a>"
    );
    assert!(list.body.contains(&link), "{}", list.body);
    let exported = a.csv("/sites.csv?status=active").await;
    let header = "site_id,product,tier,features,address,dns_suffix,deployment_tag,valid_days\r\n";
    assert!(exported.starts_with(header), "{exported}");
    // Hostile cells are protected, quoted where CSV needs it.
    for row in [
        "\r\n'-2,'=cmd|' /C calc'!A0,'+1,'+1;-2,,,'@x,\r\n",
        "\r\ns-days,hwf,active,,,,x\t,30\r\n",
        "\r\ns-long,'+,'=,analytics;@x,2001:db8::/32,,\"\nlead\",\r\n",
        "\r\ns-quote,''=1,'''-x,''=q,,,\"a\r\nb\",\r\n",
    ] {
        assert!(exported.contains(row), "{row:?} in {exported:?}");
    }
    // A spreadsheet reading the file finds no cell that starts a formula.
    let mut plain = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(exported.as_bytes());
    let mut rows = 0;
    for rec in plain.records() {
        let rec = rec.unwrap();
        rows += 1;
        for cell in rec.iter() {
            assert!(
                !cell.starts_with(['=', '+', '-', '@', '\t', '\r']),
                "{cell:?} starts a formula"
            );
        }
    }
    assert_eq!(rows, n, "the revoked site is filtered out");
    let everything = a.csv("/sites.csv").await;
    assert_eq!(
        everything.matches("\r\ngone,").count(),
        1,
        "no filter: the revoked site too"
    );
    let searched = a.csv("/sites.csv?q=S-D&sort=created&order=desc").await;
    assert_eq!(
        searched,
        format!("{header}s-days,hwf,active,,,,x\t,30\r\n"),
        "the search applies (any case)"
    );
    // The order applies: descending is ascending reversed (ties broken by site id both ways).
    let ids = |csv: String| -> Vec<String> {
        csv::Reader::from_reader(csv.as_bytes())
            .records()
            .map(|r| r.unwrap()[0].to_string())
            .collect()
    };
    let up = ids(a.csv("/sites.csv?status=active&sort=created").await);
    let mut down = ids(a
        .csv("/sites.csv?status=active&sort=created&order=desc")
        .await);
    down.reverse();
    assert_eq!((up.len(), &up), (n, &down));
    let bad = a.get("/sites.csv?sort=license_id").await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("sort must be one of"), "{}", bad.body);

    // The API's export is the same file.
    let login: serde_json::Value = a
        .http
        .post(format!("{}/api/auth/login", a.base))
        .json(&serde_json::json!({
            "username": "olga", "password": "olga-password-long-enough", "realm": "hub"
        }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let api = a
        .http
        .get(format!("{}/api/sites/export?status=active", a.base))
        .bearer_auth(login["token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 200);
    assert_eq!(api.headers()[CONTENT_TYPE], "text/csv; charset=utf-8");
    assert_eq!(api.text().await.unwrap(), exported);

    // A fresh Hub with a CML of the same feature packs: every row would be created, then is.
    let b = Srv::start_with(20, &HOSTILE_PACKS).await;
    let (dry, done) = b.import_file(&exported).await;
    assert_eq!(
        summary(&dry.body, true),
        format!("{n} would be created, 0 skipped, 0 failed"),
        "{}",
        dry.body
    );
    assert_eq!(
        summary(&done.body, false),
        format!("{n} created, 0 skipped, 0 failed")
    );
    let again = b.csv("/sites.csv?status=active").await;
    assert_eq!(again, exported, "the second export is byte-identical");
    let hub_b = b.app.services.hub.clone().unwrap();
    for site in &sites {
        let (x, y) = (
            hub_a.site(&site.site_id).await.unwrap(),
            hub_b.site(&site.site_id).await.unwrap(),
        );
        assert_eq!(essence(&x), essence(&y), "{}", site.site_id);
    }

    // The same file into the Hub it came from: all skipped, nothing changed.
    let all = SiteQuery {
        limit: Some(500),
        ..Default::default()
    };
    let before = hub_a.list_sites(&all).await.unwrap().sites;
    let ledger = a.count("SELECT count(*) FROM ledger").await;
    let (dry, done) = a.import_file(&exported).await;
    assert_eq!(
        summary(&dry.body, true),
        format!("0 would be created, {n} skipped, 0 failed")
    );
    assert_eq!(
        summary(&done.body, false),
        format!("0 created, {n} skipped, 0 failed")
    );
    assert_eq!(done.body.matches("already exists (active)").count(), n);
    assert_eq!(a.count("SELECT count(*) FROM ledger").await, ledger);
    assert_eq!(
        hub_a.list_sites(&all).await.unwrap().sites,
        before,
        "every site as it was"
    );
    assert_eq!(a.csv("/sites.csv?status=active").await, exported);

    // Over the cap, the export is refused whole, never cut short (the cap is 100,000; here 10).
    let active = SiteQuery {
        status: Some("active".into()),
        ..Default::default()
    };
    assert_eq!(
        hub_a.export_sites_at_most(&active, 10).await.unwrap(),
        exported
    );
    match hub_a.export_sites_at_most(&SiteQuery::default(), 10).await {
        Err(hwf_license_server::service::ServiceError::Invalid(m)) => assert_eq!(
            m,
            "11 sites match; an export holds at most 10: narrow it by status, product or tier"
        ),
        other => panic!("{other:?}"),
    }
}

/// A product, tier or deployment tag that begins or ends with a space is refused at create
/// (the import trims spaces, so it could not come back unchanged from an export).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_with_surrounding_spaces_is_refused_at_create() {
    use hwf_license_server::domain::SiteFingerprint;
    use hwf_license_server::service::hub::NewSite;
    use hwf_license_server::service::ServiceError;
    let s = Srv::start(10).await;
    let hub = s.app.services.hub.clone().unwrap();
    let tagged = |t: &str| {
        Some(SiteFingerprint {
            deployment_tag: Some(t.into()),
            ..Default::default()
        })
    };
    for (what, new) in [
        (
            "product",
            NewSite {
                site_id: "a".into(),
                product: Some(" hwf".into()),
                ..Default::default()
            },
        ),
        (
            "tier",
            NewSite {
                site_id: "b".into(),
                tier: Some("gold ".into()),
                ..Default::default()
            },
        ),
        (
            "deployment_tag",
            NewSite {
                site_id: "c".into(),
                fingerprint: tagged("line 1 "),
                ..Default::default()
            },
        ),
    ] {
        match hub.create_site(&new, &Actor::cli()).await {
            Err(ServiceError::Invalid(m)) => {
                assert_eq!(m, format!("{what} must not begin or end with a space"))
            }
            other => panic!("{what}: {other:?}"),
        }
    }
    assert_eq!(s.count("SELECT count(*) FROM sites").await, 0);
}
