//! The web console (issue 19) over real HTTP forms, as a browser without JavaScript would use
//! it: sign-in with the second factor, the session cookie's attributes (and `Secure` under TLS),
//! sign-out revoking the token as the API does, the CSRF token on every POST route of the
//! console's own route list (403 without it or with another session's), and the security
//! headers on every page. The browser walk-through is `server/tests/console/scenario.mjs`.

mod common;

use common::forms::{Jar, Page, Srv};
use common::page::{between, multipart};
use hwf_license_server::domain::{Realm, Role};
use hwf_license_server::http::console::{self, CSP};
use hwf_license_server::service::clock::Clock;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use reqwest::Method;

impl Srv {
    /// A server on both roles for these tests.
    async fn start() -> Srv {
        // The test also downloads the sites export more often (the measurement: 30 in a row).
        Srv::start_with(|config| {
            config.http.rate_limit_export.burst = 1000;
            config.http.rate_limit_export.per_second = 100.0;
        })
        .await
    }

    /// The first admin's first sign-in through the forms: password, the enrolment page (QR
    /// code and secret), the confirmation, the recovery codes shown once. Returns the jar with
    /// the session and the TOTP secret.
    async fn enrol_admin(&self) -> (Jar, String) {
        let mut jar = Jar::default();
        let login = self.get("/login", &mut jar).await;
        assert_eq!(login.status, 200);
        assert!(
            jar.get("hwf_pre").is_some(),
            "the sign-in page sets a pre-session cookie"
        );
        let csrf = login.csrf();
        let r = self
            .post(
                "/login",
                &mut jar,
                &[
                    ("csrf", &csrf),
                    ("username", "admin"),
                    ("password", &self.password),
                    ("code", ""),
                    ("next", "/"),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (303, "/account/mfa"),
            "{}",
            r.body
        );
        // An admin without a second factor may only enrol: the dashboard sends them back.
        let dash = self.get("/", &mut jar).await;
        assert_eq!((dash.status, dash.location()), (303, "/account/mfa"));
        let mfa = self.get("/account/mfa", &mut jar).await;
        assert!(
            mfa.body.contains("must set up a second factor"),
            "{}",
            mfa.body
        );
        let started = self
            .post("/account/mfa", &mut jar, &[("csrf", &mfa.csrf())])
            .await;
        assert_eq!(started.status, 200, "{}", started.body);
        assert!(started.body.contains("data:image/svg+xml;base64,"));
        let secret = between(&started.body, "id=\"totp-secret\">", "<").unwrap();
        let code = self.code(secret);
        let done = self
            .post(
                "/account/mfa/confirm",
                &mut jar,
                &[("csrf", &started.csrf()), ("code", &code)],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(
            done.body.matches("<li><code>").count(),
            10,
            "ten recovery codes"
        );
        // The codes are shown once: the page is not cached and is not shown again.
        assert_eq!(done.headers["cache-control"], "no-store");
        let again = self.get("/account/mfa", &mut jar).await;
        assert!(!again.body.contains("Recovery codes"));
        (jar, secret.to_string())
    }

    /// Signs `user` in through the form with a TOTP code of `secret`.
    async fn sign_in(&self, user: &str, password: &str, code: &str) -> (Jar, Page) {
        let mut jar = Jar::default();
        let login = self.get("/login", &mut jar).await;
        let r = self
            .post(
                "/login",
                &mut jar,
                &[
                    ("csrf", &login.csrf()),
                    ("username", user),
                    ("password", password),
                    ("code", code),
                    ("next", "/manifests"),
                ],
            )
            .await;
        (jar, r)
    }
}

/// Route templates with their parameters filled in.
fn concrete(path: &str) -> String {
    let mut out = String::new();
    let mut in_param = false;
    for ch in path.chars() {
        match ch {
            '{' => in_param = true,
            '}' => {
                in_param = false;
                out.push_str("x1");
            }
            _ if !in_param => out.push(ch),
            _ => {}
        }
    }
    out
}

#[tokio::test]
async fn sign_in_with_totp_over_forms_sets_a_strict_cookie_and_sign_out_revokes_the_token() {
    let s = Srv::start().await;
    let (_, secret) = s.enrol_admin().await;
    s.clock.advance(31);

    // Without the code: a sentence asking for it, no session.
    let (jar, r) = s.sign_in("admin", &s.password, "").await;
    assert_eq!(r.status, 401);
    assert!(
        r.body
            .contains("enter the code from your authenticator app"),
        "{}",
        r.body
    );
    assert!(jar.get("hwf_session").is_none());
    assert!(
        !r.body.contains("urn:hwf-license"),
        "no problem JSON on a page"
    );
    // A wrong code: a sentence, no session.
    let (_, r) = s.sign_in("admin", &s.password, "000000").await;
    assert_eq!(r.status, 401);
    assert!(r.body.contains("The user name, password or code is wrong"));

    let code = s.code(&secret);
    let (mut jar, r) = s.sign_in("admin", &s.password, &code).await;
    assert_eq!((r.status, r.location()), (303, "/manifests"), "{}", r.body);
    let cookie = r.set_cookie("hwf_session").unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=3600"] {
        assert!(cookie.contains(attr), "{attr} missing: {cookie}");
    }
    assert!(
        !cookie.contains("Secure"),
        "plain HTTP: no Secure ({cookie})"
    );

    // The cookie holds the API's own token: it works as a bearer token.
    let token = jar.get("hwf_session").unwrap().to_string();
    let api = s
        .http
        .get(format!("{}/api/cml", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 409, "signed in (no CML yet)");
    let dash = s.get("/", &mut jar).await;
    assert_eq!(dash.status, 200);
    assert!(dash.body.contains("No CML is installed yet"));

    // Sign-out revokes the token everywhere, as POST /api/auth/logout does.
    let out = s.post("/logout", &mut jar, &[("csrf", &dash.csrf())]).await;
    assert_eq!((out.status, out.location()), (303, "/login"));
    assert!(out.set_cookie("hwf_session").unwrap().contains("Max-Age=0"));
    let api = s
        .http
        .get(format!("{}/api/cml", s.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 401, "the signed-out token is dead");
    let mut stale = Jar(vec![("hwf_session".into(), token)]);
    let back = s.get("/", &mut stale).await;
    assert_eq!((back.status, back.location()), (303, "/login?next=%2F"));
}

#[tokio::test]
async fn under_tls_the_session_cookie_is_secure() {
    let s = Srv::start().await;
    let cert =
        hwf_license_server::tls::ephemeral(hwf_license_server::config::TlsVersion::Tls13).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _t = s.app.spawn_tls(listener, &cert);
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.cert_pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let base = format!("https://localhost:{port}");
    let r = client.get(format!("{base}/login")).send().await.unwrap();
    let pre = r.headers()[SET_COOKIE].to_str().unwrap().to_string();
    assert!(
        pre.starts_with("hwf_pre=") && pre.ends_with("; Secure"),
        "{pre}"
    );
    let body = r.text().await.unwrap();
    let csrf = between(&body, "name=\"csrf\" value=\"", "\"").unwrap();
    let pre_value = pre.split(';').next().unwrap().to_string();
    let r = client
        .post(format!("{base}/login"))
        .header(COOKIE, &pre_value)
        .form(&[
            ("csrf", csrf),
            ("username", "admin"),
            ("password", &s.password),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let session = r
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("hwf_session="))
        .unwrap();
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/", "Secure"] {
        assert!(session.contains(attr), "{attr} missing: {session}");
    }
    assert!(r.headers().contains_key("strict-transport-security"));
}

#[tokio::test]
async fn every_console_post_without_its_sessions_csrf_token_is_refused_with_403() {
    let s = Srv::start().await;
    let (mut jar, _) = s.enrol_admin().await;
    // Another session (another user) whose token must not pass for the admin's.
    s.app
        .services
        .accounts
        .add_user(
            Realm::Hub,
            "viewer1",
            "a viewer's long password",
            Role::Viewer,
        )
        .await
        .unwrap();
    let (other, r) = s.sign_in("viewer1", "a viewer's long password", "").await;
    assert_eq!(r.status, 303, "{}", r.body);
    let mut other = other;
    let other_csrf = s.get("/account", &mut other).await.csrf();
    let own_csrf = s.get("/account", &mut jar).await.csrf();
    assert_ne!(other_csrf, own_csrf);

    let posts: Vec<String> = console::route_list()
        .into_iter()
        .filter(|(m, _)| m == Method::POST)
        .map(|(_, p)| concrete(p))
        .collect();
    for must in [
        "/login",
        "/logout",
        "/cml",
        "/account/step-up",
        "/account/mfa/confirm",
        "/root/login",
        "/root/cml/confirm",
        "/root/orgs/x1/refresh",
    ] {
        assert!(
            posts.iter().any(|p| p == must),
            "{must} is not in the route list"
        );
    }
    let mut refused = 0;
    for path in &posts {
        for (what, form) in [
            ("no token", vec![("x", "1")]),
            ("empty token", vec![("csrf", "")]),
            (
                "another session's token",
                vec![("csrf", other_csrf.as_str())],
            ),
            (
                "a forged token",
                vec![("csrf", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")],
            ),
        ] {
            let r = s.send(Method::POST, path, &jar, Some(&form)).await;
            assert_eq!(r.status, 403, "POST {path} with {what}: {}", r.body);
            assert!(r.body.contains("Reload the page"), "{}", r.body);
            refused += 1;
        }
        // A multipart body without the token, and a JSON body (no form at all).
        let r = s
            .http
            .post(format!("{}{path}", s.base))
            .header(COOKIE, jar.header())
            .header(CONTENT_TYPE, multipart(&[("x", "1")]).0)
            .body(multipart(&[("x", "1")]).1)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "multipart POST {path}");
        let r = s
            .http
            .post(format!("{}{path}", s.base))
            .header(COOKIE, jar.header())
            .header(CONTENT_TYPE, "application/json")
            .body(format!("{{\"csrf\":\"{own_csrf}\"}}"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "JSON POST {path}");
        refused += 2;
    }
    assert!(refused >= 6 * posts.len());
    // The control: the session's own token passes the check (the handler answers).
    let r = s
        .send(
            Method::POST,
            "/account/step-up",
            &jar,
            Some(&[
                ("csrf", own_csrf.as_str()),
                ("code", "000000"),
                ("next", "/"),
            ]),
        )
        .await;
    assert_eq!(
        r.status, 303,
        "the right token reaches the handler: {}",
        r.body
    );
    let r = s
        .http
        .post(format!("{}/account/step-up", s.base))
        .header(COOKIE, jar.header())
        .header(CONTENT_TYPE, multipart(&[]).0)
        .body(multipart(&[("csrf", &own_csrf), ("code", "000000")]).1)
        .send()
        .await
        .unwrap();
    assert_ne!(
        r.status(),
        403,
        "a multipart form with the token passes the check"
    );
}

#[tokio::test]
async fn every_console_page_carries_the_csp_and_security_headers_and_no_inline_script_or_style() {
    let s = Srv::start().await;
    let (mut jar, _) = s.enrol_admin().await;
    let gets: Vec<(String, &str)> = console::route_list()
        .into_iter()
        .filter(|(m, _)| m == Method::GET)
        .map(|(_, p)| (concrete(p), p))
        .collect();
    assert!(gets.len() >= 6, "{gets:?}");
    let mut html_pages = 0;
    for (path, template) in &gets {
        for signed_in in [true, false] {
            let mut j = if signed_in {
                jar.clone()
            } else {
                Jar::default()
            };
            let r = s.get(path, &mut j).await;
            let h = &r.headers;
            assert_eq!(h["content-security-policy"], CSP, "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "same-origin", "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            if *template != "/assets/{file}" {
                assert_eq!(h["cache-control"], "no-store", "{path}");
            }
            if r.status == 200 && h[CONTENT_TYPE].to_str().unwrap().starts_with("text/html") {
                html_pages += 1;
                assert_no_inline_code(path, &r.body);
            }
        }
    }
    assert!(html_pages >= 6, "{html_pages} HTML pages checked");
    // The assets: long-cached under a hashed URL, with an ETag; 304 when it matches.
    let dash = s.get("/", &mut jar).await;
    let css = between(&dash.body, "<link rel=\"stylesheet\" href=\"", "\"").unwrap();
    let r = s.get(css, &mut jar).await;
    assert_eq!(r.status, 200);
    assert_eq!(
        r.headers["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(r.headers[CONTENT_TYPE], "text/css; charset=utf-8");
    let etag = r.headers["etag"].to_str().unwrap().to_string();
    let again = s
        .http
        .get(format!("{}{css}", s.base))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 304);
    let htmx = between(&dash.body, "<script src=\"", "\"").unwrap();
    assert!(htmx.starts_with("/assets/htmx.min."), "{htmx}");
    assert_eq!(s.get(htmx, &mut jar).await.status, 200);
    assert_eq!(
        s.get("/assets/console.0000000000000000.css", &mut jar)
            .await
            .status,
        404
    );
    assert!(
        dash.body.contains(r#""allowEval":false"#)
            && dash.body.contains(r#""includeIndicatorStyles":false"#)
            && dash.body.contains(r#""allowScriptTags":false"#)
    );
}

/// No inline script, no inline style, no event-handler attribute (the CSP would block them).
/// A mistyped console address shows a page a person reads (with the console's headers), while
/// the API and clients that do not ask for HTML keep the problem document.
#[tokio::test]
async fn an_unknown_console_address_is_a_page_and_an_unknown_api_route_a_problem() {
    let s = Srv::start().await;
    let get = |path: &'static str, accept: &'static str| {
        let req = s
            .http
            .get(format!("{}{path}", s.base))
            .header("accept", accept);
        async move { req.send().await.unwrap() }
    };
    let html = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8";
    let r = get("/sites-typo/x", html).await;
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["content-security-policy"], CSP);
    assert!(r.headers()[CONTENT_TYPE]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let body = r.text().await.unwrap();
    assert!(body.contains("There is no page at this address"), "{body}");
    assert_no_inline_code("/sites-typo/x", &body);
    for (path, accept) in [("/api/nope", html), ("/sites-typo/x", "application/json")] {
        let r = get(path, accept).await;
        assert_eq!(r.status(), 404, "{path}");
        assert_eq!(
            r.headers()[CONTENT_TYPE],
            "application/problem+json",
            "{path}"
        );
        let v: serde_json::Value = r.json().await.unwrap();
        assert!(
            v["type"].as_str().unwrap().ends_with("no-route"),
            "{path}: {v}"
        );
    }
}

fn assert_no_inline_code(path: &str, body: &str) {
    let lower = body.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').unwrap()];
        assert!(tag.contains(" src="), "{path}: inline script {tag}");
    }
    assert!(!lower.contains("<style"), "{path}: a <style> element");
    assert!(!lower.contains(" style="), "{path}: a style attribute");
    for handler in [
        " onclick=",
        " onsubmit=",
        " onload=",
        " onchange=",
        " oninput=",
        "javascript:",
    ] {
        assert!(!lower.contains(handler), "{path}: {handler}");
    }
}

/// The dashboard's figures come from service functions (tested here, not in the console):
/// licenses expiring within 30/60/90 days, and heartbeats and validation results per UTC day
/// (validations counted in memory and written when read), as the page shows them.
#[tokio::test]
async fn the_dashboard_shows_expiring_licenses_and_node_activity_per_day() {
    let s = Srv::start().await;
    let hub = s.app.services.hub.clone().unwrap();
    let now = s.clock.now();
    let (root, _) = common::enrol_first_admin(&s.http, &s.base, "root", &s.password, now).await;
    let (admin, secret) =
        common::enrol_first_admin(&s.http, &s.base, "hub", &s.password, now).await;
    let call = |token: String, m: Method, path: &str, body: serde_json::Value| {
        let req = s
            .http
            .request(m, format!("{}{path}", s.base))
            .bearer_auth(token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            let status = r.status().as_u16();
            let v: serde_json::Value = r.json().await.unwrap_or_default();
            assert!((200..300).contains(&status), "{status} {v}");
            v
        }
    };
    let cml = call(
        root,
        Method::POST,
        "/api/root/cml",
        serde_json::json!({"org_id": "acme", "org_key": hub.org_public_key().to_jwk(),
            "max_sites": 10, "valid_days": 365, "feature_packs": ["analytics"], "environment": "prod"}),
    )
    .await["cml"]
    .as_str()
    .unwrap()
    .to_string();
    call(
        admin.clone(),
        Method::POST,
        "/api/cml/upload",
        serde_json::json!({ "cml": cml }),
    )
    .await;
    let mut first = serde_json::Value::Null;
    for (id, days) in [
        ("d20", 20),
        ("d45", 45),
        ("d80", 80),
        ("d200", 200),
        ("d25", 25),
    ] {
        let created = call(
            admin.clone(),
            Method::POST,
            "/api/sites/create",
            serde_json::json!({"site_id": id, "features": ["analytics"], "valid_days": days,
                "fingerprint": {"deployment_tag": id}}),
        )
        .await;
        if id == "d20" {
            first = created;
        }
    }
    // A revoked site's license no longer counts as expiring.
    call(
        admin.clone(),
        Method::DELETE,
        "/api/sites/d25",
        serde_json::json!({}),
    )
    .await;
    let e = hub.expiring().await.unwrap();
    assert_eq!((e.within_30, e.within_60, e.within_90), (1, 2, 3));

    // Day 1: two heartbeats, a valid validation and a refused one; day 2: one heartbeat.
    let license_id = first["site"]["license_id"].as_str().unwrap().to_string();
    let license = first["license"].as_str().unwrap().to_string();
    let facts = hwf_license_server::service::hub::Facts {
        deployment_tag: Some("d20".into()),
        ..Default::default()
    };
    for n in ["nonce-console-0001", "nonce-console-0002"] {
        let hb = hwf_license_server::service::hub::HeartbeatRequest {
            license_id: license_id.clone(),
            nonce: n.into(),
            speaks: None,
        };
        hub.heartbeat("d20", &hb).await.unwrap();
    }
    hub.validate(&license, &facts).await.unwrap();
    let other = hwf_license_server::service::hub::Facts {
        deployment_tag: Some("elsewhere".into()),
        ..Default::default()
    };
    assert!(
        hub.validate(&license, &other).await.is_err(),
        "a node of another fingerprint"
    );
    s.clock.advance(86_400);
    let hb = hwf_license_server::service::hub::HeartbeatRequest {
        license_id,
        nonce: "nonce-console-0003".into(),
        speaks: None,
    };
    hub.heartbeat("d20", &hb).await.unwrap();
    let days = hub.activity(30).await.unwrap();
    assert_eq!(days.len(), 30);
    let today = s.clock.now().div_euclid(86_400);
    assert_eq!(days.last().unwrap().day, today);
    let y = &days[28];
    assert_eq!(
        (y.day, y.heartbeats, y.valid, y.grace, y.invalid),
        (today - 1, 2, 1, 0, 1)
    );
    assert_eq!(days[29].heartbeats, 1);
    assert_eq!(
        days[..28]
            .iter()
            .map(|d| d.heartbeats + d.valid + d.invalid)
            .sum::<i64>(),
        0
    );
    // Read twice: the in-memory counts were written once, not added again.
    assert_eq!(hub.activity(30).await.unwrap(), days);

    // The page shows the same figures.
    // A day later: a new sign-in (through the form).
    let (mut jar, r) = s.sign_in("admin", &s.password, &s.code(&secret)).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let dash = s.get("/", &mut jar).await;
    assert_eq!(dash.status, 200, "{}", dash.body);
    let expiring = between(&dash.body, "<table id=\"expiring\">", "</table>").unwrap();
    let cells: Vec<String> = expiring
        .split("<td class=\"num\">")
        .skip(1)
        .map(|c| c.split('<').next().unwrap().to_string())
        .collect();
    assert_eq!(cells, ["1", "2", "3"]);
    assert!(
        dash.body
            .contains("3 heartbeats, 1 validations passed, 1 refused"),
        "{}",
        dash.body
    );
    assert!(dash.body.contains("4 of 10 active"));
    // The ledger's tail, newest first: the second day's heartbeat (site seen) heads it.
    let tail = between(&dash.body, "<table id=\"ledger-tail\">", "</table>").unwrap();
    let first_row = between(tail, "<tbody><tr>", "</tr>").unwrap();
    assert!(
        first_row.contains("site seen") && first_row.contains("d20"),
        "{first_row}"
    );
    // CML installed, 5 sites created, 1 revoked, seen on day 1 and on day 2: all 9 (at most 10).
    assert_eq!(
        tail.matches("<tr>").count(),
        1 + 9,
        "a header and the 9 entries"
    );

    // The quick create makes what its sentence says (it once promised every feature of the CML).
    assert!(
        dash.body
            .contains("With no features, product <code>hwf</code> and tier <code>active</code>"),
        "{}",
        dash.body
    );
    let csrf = dash.csrf();
    let r = s
        .post(
            "/sites",
            &mut jar,
            &[("csrf", &csrf), ("site_id", "quick1")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let quick = hub.site("quick1").await.unwrap();
    assert_eq!(
        (
            quick.features.len(),
            quick.product.as_str(),
            quick.tier.as_str()
        ),
        (0, "hwf", "active")
    );
}

/// Server-side render times with 10,000 sites (a measurement, not a timed assertion): run by
/// `scripts/bench-console.sh` (release build). Seeds a CML for 10,000 sites and 10,000 sites,
/// generates the month's manifest, then requests each page 30 times over loopback and prints
/// p50/p95/max per page.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: scripts/bench-console.sh"]
async fn bench_console_pages_with_10000_sites() {
    const SITES: u32 = 10_000;
    let s = Srv::start().await;
    let hub = s.app.services.hub.clone().unwrap();
    let now = s.clock.now();
    let (root, _) = common::enrol_first_admin(&s.http, &s.base, "root", &s.password, now).await;
    let (admin, _) = common::enrol_first_admin(&s.http, &s.base, "hub", &s.password, now).await;
    let post = |token: &str, path: &'static str, body: serde_json::Value| {
        let req = s
            .http
            .post(format!("{}{path}", s.base))
            .bearer_auth(token)
            .json(&body);
        async move {
            let r = req.send().await.unwrap();
            assert!(r.status().is_success(), "{path}: {}", r.status());
            r.json::<serde_json::Value>().await.unwrap()
        }
    };
    let cml = post(
        &root,
        "/api/root/cml",
        serde_json::json!({"org_id": "acme", "org_key": hub.org_public_key().to_jwk(),
            "max_sites": SITES, "valid_days": 365, "feature_packs": ["analytics"], "environment": "prod"}),
    )
    .await["cml"]
    .as_str()
    .unwrap()
    .to_string();
    post(&admin, "/api/cml/upload", serde_json::json!({ "cml": cml })).await;
    let seeding = std::time::Instant::now();
    let actor = hwf_license_server::service::audit::Actor::system("bench");
    for i in 0..SITES {
        let n: hwf_license_server::service::hub::NewSite = serde_json::from_value(
            serde_json::json!({"site_id": format!("site-{i:05}"), "features": ["analytics"],
                "valid_days": 30 + i % 300}),
        )
        .unwrap();
        hub.create_site(&n, &actor).await.unwrap();
    }
    println!(
        "seeded {SITES} sites in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    let m = post(&admin, "/api/manifests/generate", serde_json::json!({})).await;
    let manifest = m["id"].as_str().unwrap().to_string();
    let mut jar = Jar(vec![("hwf_session".into(), admin.clone())]);
    let pages = [
        "/".to_string(),
        "/manifests".into(),
        format!("/manifests/{manifest}"),
        "/account".into(),
        "/sites".into(),
        "/sites?page=200".into(),
        "/sites?q=site-0999".into(),
        "/sites?status=active&sort=expiry&order=desc".into(),
        "/sites/site-04242".into(),
        // Part 2 (issue 20).
        "/stats".into(),
        "/stats/trend.csv".into(),
        "/stats/products.csv".into(),
        "/stats/report.pdf".into(),
        "/ledger".into(),
        "/ledger?offset=9900".into(),
        "/ledger/verify".into(),
        "/audit".into(),
        "/audit?action=site.create&offset=9900".into(),
        "/audit.csv".into(),
        "/users".into(),
        "/alerts".into(),
        // The sites export: every site (10,000 rows), and a filtered one.
        "/sites.csv".into(),
        "/sites.csv?status=active&sort=expiry&order=desc".into(),
        "/sites.csv?q=site-09".into(),
    ];
    println!("page                                   status   p50 ms   p95 ms   max ms   bytes");
    for p in &pages {
        let mut ms = Vec::new();
        let mut status = 0;
        let mut bytes = 0;
        for _ in 0..30 {
            let t = std::time::Instant::now();
            let r = s.get(p, &mut jar).await;
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            status = r.status;
            bytes = r.body.len();
        }
        ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let label: String = p.chars().take(38).collect();
        println!(
            "{label:<38} {status:>6} {:>8.1} {:>8.1} {:>8.1} {bytes:>7}",
            ms[14], ms[28], ms[29]
        );
    }
}
