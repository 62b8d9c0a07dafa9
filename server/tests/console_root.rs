//! The Root's console at `/root/` (issue 20) over real HTTP forms, as a browser without
//! JavaScript would use it: the Root admin's sign-in with TOTP at `/root/login`; realm
//! separation both ways (a Root session never opens a Hub page, a Hub session never a Root
//! page, whichever cookie carries the token); a CML issued through the preview and its
//! confirmation behind step-up, the signed payload equal to the one previewed, a tampered
//! confirmation refused and a replayed one signing nothing new; the org page's compliance
//! after the Hub's manifest arrives; the receipt download; the root keys' fingerprints; and the
//! console's headers on every Root page. The browser walk-through is
//! `server/tests/console/root.mjs`; the CSRF test over every console POST (these included) is
//! `console.rs`.

mod common;

use base64::Engine;
use common::forms::{Jar, Page, Srv};
use common::page::{between, unescape};
use hwf_license_server::app::App;
use hwf_license_server::domain::{Realm, Role};
use hwf_license_server::http::console::{self, CSP};
use hwf_license_server::service::audit::Actor;
use hwf_license_server::service::clock::Clock;
use reqwest::header::CONTENT_TYPE;
use reqwest::Method;
use sha2::Digest;

impl Srv {
    /// A server on both roles for these tests.
    async fn start() -> Srv {
        Srv::start_with(|_| {}).await
    }

    /// The first admin of the console at `base` ("" for the Hub's, "/root" for the Root's)
    /// signs in with the password, must enrol TOTP, confirms it: the jar and the secret.
    async fn enrol(&self, base: &str) -> (Jar, String) {
        let mut jar = Jar::default();
        let login = self.get(&format!("{base}/login"), &mut jar).await;
        assert_eq!(login.status, 200, "{}", login.body);
        let r = self
            .post(
                &format!("{base}/login"),
                &mut jar,
                &[
                    ("csrf", &login.csrf()),
                    ("username", "admin"),
                    ("password", &self.password),
                    ("code", ""),
                    ("next", &format!("{base}/")),
                ],
            )
            .await;
        assert_eq!(
            (r.status, r.location()),
            (303, format!("{base}/account/mfa").as_str()),
            "{}",
            r.body
        );
        // Enrolment only: the console's home sends the admin back to it.
        let home = self.get(&format!("{base}/"), &mut jar).await;
        assert_eq!(
            (home.status, home.location()),
            (303, format!("{base}/account/mfa").as_str())
        );
        let mfa = self.get(&format!("{base}/account/mfa"), &mut jar).await;
        let started = self
            .post(
                &format!("{base}/account/mfa"),
                &mut jar,
                &[("csrf", &mfa.csrf())],
            )
            .await;
        assert_eq!(started.status, 200, "{}", started.body);
        let secret = between(&started.body, "id=\"totp-secret\">", "<").unwrap();
        let done = self
            .post(
                &format!("{base}/account/mfa/confirm"),
                &mut jar,
                &[("csrf", &started.csrf()), ("code", &self.code(secret))],
            )
            .await;
        assert_eq!(done.status, 200, "{}", done.body);
        assert_eq!(done.body.matches("<li><code>").count(), 10);
        (jar, secret.to_string())
    }

    fn root(&self) -> &hwf_license_server::service::root::Root {
        self.app.services.root.as_deref().unwrap()
    }

    fn hub(&self) -> &hwf_license_server::service::hub::Hub {
        self.app.services.hub.as_deref().unwrap()
    }

    fn org_pem(&self) -> String {
        self.hub().org_public_key().to_pem()
    }
}

/// The issue form's fields for org `acme` with this Hub's org key.
fn issue_fields(pem: &str, max_sites: &str) -> Vec<(&'static str, String)> {
    vec![
        ("org_id", "acme".into()),
        ("org_key", pem.into()),
        ("max_sites", max_sites.into()),
        ("valid_days", "365".into()),
        ("grace_days", "30".into()),
        ("feature_packs", "analytics, boost".into()),
        ("environment", "prod".into()),
    ]
}

fn as_form<'a>(v: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    v.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

/// The confirmation form of a preview page (its hidden fields) with `code`.
fn confirm_fields(preview: &Page, code: &str) -> Vec<(&'static str, String)> {
    let mut f: Vec<(&'static str, String)> = [
        "csrf",
        "org_id",
        "org_key",
        "max_sites",
        "valid_days",
        "grace_days",
        "feature_packs",
        "environment",
        "license_id",
        "issued_at",
        "tag",
        "refresh",
    ]
    .iter()
    .map(|k| (*k, preview.hidden(k)))
    .collect();
    f.push(("code", code.into()));
    f
}

/// The payload of a compact JWS, as JSON.
fn payload(jws: &str) -> serde_json::Value {
    let p = jws.split('.').nth(1).unwrap();
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(p)
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// The preview's raw JSON block, parsed.
fn preview_json(p: &Page) -> serde_json::Value {
    let raw = between(&p.body, "<pre id=\"preview-json\"", "</pre>").unwrap();
    let raw = &raw[raw.find('>').unwrap() + 1..];
    serde_json::from_str(&unescape(raw)).unwrap()
}

#[tokio::test]
async fn a_root_session_never_opens_hub_pages_and_a_hub_session_never_root_pages() {
    let s = Srv::start().await;
    let (mut root, _) = s.enrol("/root").await;
    let (mut hub, _) = s.enrol("").await;
    let root_token = root.get("hwf_root_session").unwrap().to_string();
    let hub_token = hub.get("hwf_session").unwrap().to_string();
    assert!(
        root.get("hwf_session").is_none(),
        "the Root sign-in sets only its own cookie"
    );

    // Each session opens its own console.
    let r = s.get("/root/", &mut root).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(r.body.contains("hwf-license <span>Root</span>"));
    let h = s.get("/", &mut hub).await;
    assert_eq!(h.status, 200);

    // A Root session on a Hub page, a Hub session on a Root page: sent to the other sign-in.
    let r = s.get("/sites", &mut root.clone()).await;
    assert_eq!((r.status, r.location()), (303, "/login?next=%2Fsites"));
    let h = s.get("/root/keys", &mut hub.clone()).await;
    assert_eq!(
        (h.status, h.location()),
        (303, "/root/login?next=%2Froot%2Fkeys")
    );
    // Whichever cookie carries it, a token of the other realm is refused.
    for (path, jar, login) in [
        (
            "/root/",
            Jar::default().with("hwf_root_session", &hub_token),
            "/root/login",
        ),
        (
            "/root/manifests",
            Jar::default().with("hwf_root_session", &hub_token),
            "/root/login",
        ),
        (
            "/",
            Jar::default().with("hwf_session", &root_token),
            "/login",
        ),
        (
            "/manifests",
            Jar::default().with("hwf_session", &root_token),
            "/login",
        ),
    ] {
        let p = s.send(Method::GET, path, &jar, None).await;
        assert_eq!(p.status, 303, "{path}");
        assert!(p.location().starts_with(login), "{path}: {}", p.location());
    }
    // The API agrees: the Root token is refused on the Hub's routes, and the other way round.
    let api = |path: &str, token: &str| {
        let req = s
            .http
            .get(format!("{}{path}", s.base))
            .bearer_auth(token.to_string());
        async move { req.send().await.unwrap().status().as_u16() }
    };
    assert_eq!(api("/api/root/orgs", &hub_token).await, 403);
    assert_eq!(api("/api/sites", &root_token).await, 403);
    assert_eq!(api("/api/root/orgs", &root_token).await, 200);

    // A Root form does not take the Hub session's CSRF token, nor the Hub form the Root's.
    let hub_csrf = s.get("/account", &mut hub).await.csrf();
    let root_csrf = s.get("/root/account", &mut root).await.csrf();
    assert_ne!(hub_csrf, root_csrf);
    let both = root.with("hwf_session", &hub_token);
    let p = s
        .send(
            Method::POST,
            "/root/logout",
            &both,
            Some(&[("csrf", hub_csrf.as_str())]),
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);
    let p = s
        .send(
            Method::POST,
            "/logout",
            &both,
            Some(&[("csrf", root_csrf.as_str())]),
        )
        .await;
    assert_eq!(p.status, 403, "{}", p.body);

    // A sign-in page never sends a Root operator out of /root/.
    let mut j = Jar::default();
    let login = s.get("/root/login?next=/sites", &mut j).await;
    assert_eq!(login.hidden("next"), "/root/");

    // Signing out of the Root revokes the Root token and leaves the Hub session alone.
    let out = s
        .post("/root/logout", &mut root, &[("csrf", &root_csrf)])
        .await;
    assert_eq!((out.status, out.location()), (303, "/root/login"));
    assert_eq!(api("/api/root/orgs", &root_token).await, 401);
    assert_eq!(s.get("/", &mut hub).await.status, 200);
}

#[tokio::test]
async fn a_cml_is_signed_only_as_previewed_and_only_behind_a_fresh_second_factor() {
    let s = Srv::start().await;
    let (mut jar, secret) = s.enrol("/root").await;
    let pem = s.org_pem();

    // The form: nothing is signed by the preview.
    let form = s.get("/root/cml", &mut jar).await;
    assert_eq!(form.status, 200);
    let fields = issue_fields(&pem, "10");
    let mut f = as_form(&fields);
    let csrf = form.csrf();
    f.push(("csrf", &csrf));
    let preview = s.post("/root/cml/preview", &mut jar, &f).await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        s.root().compliance().await.unwrap().is_empty(),
        "a preview signs nothing"
    );
    let shown = preview_json(&preview);
    assert_eq!(shown["org_id"], "acme");
    assert_eq!(shown["max_sites"], 10);
    assert_eq!(
        shown["feature_packs"],
        serde_json::json!(["analytics", "boost"])
    );
    assert_eq!(shown["type"], "cml");
    let kid = s
        .root()
        .active_key(hwf_license::Environment::Prod)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(shown["issued_by"], kid.as_str());
    // The rendered fields say the same as the raw JSON.
    assert!(preview.body.contains(&format!(
        "id=\"claim-license_id\">{}<",
        shown["license_id"].as_str().unwrap()
    )));
    assert!(preview.body.contains("id=\"claim-max_sites\">10<"));

    // A tampered confirmation (another site limit than previewed) signs nothing.
    let mut tampered = confirm_fields(&preview, "");
    for (k, v) in tampered.iter_mut() {
        if *k == "max_sites" {
            *v = "1000".into();
        }
    }
    let r = s
        .post("/root/cml/confirm", &mut jar, &as_form(&tampered))
        .await;
    assert!(r.body.contains("does not match the preview"), "{}", r.body);
    assert!(s.root().compliance().await.unwrap().is_empty());

    // Sixteen minutes later the sign-in's factor is stale: without a code, nothing is signed.
    s.clock.advance(16 * 60);
    let again = s.post("/root/cml/preview", &mut jar, &f).await;
    let r = s
        .post(
            "/root/cml/confirm",
            &mut jar,
            &as_form(&confirm_fields(&again, "")),
        )
        .await;
    assert!(
        r.body.contains("needs your second factor again"),
        "{}",
        r.body
    );
    assert!(s.root().compliance().await.unwrap().is_empty());

    // With the code: signed, and the CML's payload is exactly the preview's.
    let shown = preview_json(&again);
    let code = s.code(&secret);
    let confirm = confirm_fields(&again, &code);
    let issued = s
        .post("/root/cml/confirm", &mut jar, &as_form(&confirm))
        .await;
    assert_eq!(issued.status, 200, "{}", issued.body);
    assert!(issued.body.contains("CML issued"), "{}", issued.body);
    let cml = unescape(
        between(
            &issued.body,
            "readonly spellcheck=\"false\">",
            "</textarea>",
        )
        .unwrap(),
    );
    assert_eq!(
        payload(&cml),
        shown,
        "the signed payload is the previewed one"
    );
    let c = s.root().compliance().await.unwrap();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].cml_license_id, shown["license_id"].as_str().unwrap());
    // The Hub accepts it.
    s.hub()
        .install_cml(&cml, false, &Actor::cli())
        .await
        .unwrap();

    // The same confirmation sent again (with the stepped-up session's CSRF token: the old one
    // went with the old token) signs nothing new: the same CML comes back.
    let mut confirm = confirm;
    for (k, v) in confirm.iter_mut() {
        if *k == "csrf" {
            *v = issued.csrf();
        }
        if *k == "code" {
            v.clear(); // the session is fresh now; a code is used once
        }
    }
    let twice = s
        .post("/root/cml/confirm", &mut jar, &as_form(&confirm))
        .await;
    assert_eq!(twice.status, 200, "{}", twice.body);
    let cml2 =
        unescape(between(&twice.body, "readonly spellcheck=\"false\">", "</textarea>").unwrap());
    assert_eq!(cml2, cml);
    let org = s.root().org("acme").await.unwrap();
    assert_eq!(org.cmls.len(), 1, "one CML signed");

    // The download is the same CML.
    let dl = s
        .get(
            &format!("/root/orgs/acme/cmls/{}/download", org.cmls[0].id),
            &mut jar,
        )
        .await;
    assert_eq!(dl.status, 200);
    assert_eq!(dl.body, cml);
    assert!(dl.headers["content-disposition"]
        .to_str()
        .unwrap()
        .starts_with("attachment"));

    // Refresh from the org page: the preview keeps the org key and terms; confirmed, a second
    // CML, now the current one.
    let org_page = s.get("/root/orgs/acme", &mut jar).await;
    let rp = s
        .post(
            "/root/orgs/acme/refresh",
            &mut jar,
            &[("csrf", &org_page.csrf())],
        )
        .await;
    assert_eq!(rp.status, 200, "{}", rp.body);
    let shown2 = preview_json(&rp);
    assert_eq!(shown2["org_key"], shown["org_key"]);
    assert_eq!(shown2["max_sites"], 10);
    assert_ne!(shown2["license_id"], shown["license_id"]);
    let done = s
        .post(
            "/root/cml/confirm",
            &mut jar,
            &as_form(&confirm_fields(&rp, "")),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let cml3 =
        unescape(between(&done.body, "readonly spellcheck=\"false\">", "</textarea>").unwrap());
    assert_eq!(payload(&cml3), shown2);
    let org = s.root().org("acme").await.unwrap();
    assert_eq!(org.cmls.len(), 2);
    assert!(org.cmls[0].current && !org.cmls[1].current);

    // A viewer of the Root sees the orgs but may not issue.
    s.app
        .services
        .accounts
        .add_user(
            Realm::Root,
            "rviewer",
            "a root viewer's long password",
            Role::Viewer,
        )
        .await
        .unwrap();
    let mut v = Jar::default();
    let login = s.get("/root/login", &mut v).await;
    let r = s
        .post(
            "/root/login",
            &mut v,
            &[
                ("csrf", &login.csrf()),
                ("username", "rviewer"),
                ("password", "a root viewer's long password"),
                ("next", "/root/"),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/root/"), "{}", r.body);
    assert_eq!(s.get("/root/", &mut v).await.status, 200);
    assert_eq!(s.get("/root/cml", &mut v).await.status, 403);
}

#[tokio::test]
async fn the_org_page_shows_the_hubs_manifest_with_its_compliance_and_receipt() {
    let s = Srv::start().await;
    let (mut jar, secret) = s.enrol("/root").await;
    let cli = Actor::cli();
    let issued = s
        .root()
        .issue_cml(
            &hwf_license_server::service::root::IssueCml {
                org_id: "acme".into(),
                org_key: serde_json::Value::String(s.org_pem()),
                max_sites: 10,
                valid_days: 365,
                feature_packs: vec!["analytics".into()],
                environment: hwf_license_server::domain::EnvironmentName::Prod,
                grace_days: None,
            },
            &cli,
        )
        .await
        .unwrap();
    let org = s.get("/root/orgs/acme", &mut jar).await;
    assert_eq!(org.status, 200, "{}", org.body);
    assert!(
        org.body.contains("id=\"active-prod\">none reported"),
        "{}",
        org.body
    );
    assert!(org.body.contains("No manifest received yet."));

    let hub = s.hub();
    hub.install_cml(&issued.cml, false, &cli).await.unwrap();
    for i in 0..3 {
        hub.create_site(
            &hwf_license_server::service::hub::NewSite {
                site_id: format!("plant-{i}"),
                ..Default::default()
            },
            &cli,
        )
        .await
        .unwrap();
    }
    let period = hub.current_period();
    let (m, _) = hub.generate_manifest(&period, &cli).await.unwrap();
    let sent = hub.send_manifest(&m.id, None, &cli).await.unwrap();
    assert_eq!(sent.status, "sent");

    let org = s.get("/root/orgs/acme", &mut jar).await;
    assert!(org.body.contains("id=\"active-prod\">3 "), "{}", org.body);
    assert!(org
        .body
        .contains(&format!("id=\"last-period-prod\">{period}")));
    assert!(org.body.contains("id=\"overdue-prod\">no<"));
    assert!(org.body.contains("id=\"max-sites-prod\">10<"));
    let list = s.get("/root/manifests", &mut jar).await;
    assert!(
        list.body.contains(&format!(">{period}</a>")),
        "{}",
        list.body
    );

    // The manifest checked again now; the receipt download is what the Hub holds.
    let one = s.get(&format!("/root/manifests/{}", m.id), &mut jar).await;
    assert_eq!(one.status, 200);
    assert!(
        one.body
            .contains("<span class=\"badge valid\">verified</span> under CML"),
        "{}",
        one.body
    );
    let dl = s
        .get(&format!("/root/manifests/{}/receipt", m.id), &mut jar)
        .await;
    assert_eq!(dl.status, 200, "{}", dl.body);
    let kept: serde_json::Value = serde_json::from_str(&dl.body).unwrap();
    let at_hub = sent.receipt.unwrap();
    assert!(
        at_hub.contains(kept["receipt"].as_str().unwrap()),
        "the Hub holds the receipt the Root kept"
    );
    // A resend gets the same receipt bytes back.
    let again = s
        .root()
        .receive_manifest(&hwf_license_server::service::root::ManifestDelivery {
            org_id: "acme".into(),
            manifest: m.jws.clone(),
        })
        .await
        .unwrap();
    assert!(again.duplicate);
    assert_eq!(again.receipt, kept["receipt"].as_str().unwrap());

    // Two months on, last month's manifest is missing: overdue (signed in again: the session
    // lasted an hour).
    s.clock.advance(62 * 86_400);
    let mut jar = Jar::default();
    let login = s.get("/root/login", &mut jar).await;
    let r = s
        .post(
            "/root/login",
            &mut jar,
            &[
                ("csrf", &login.csrf()),
                ("username", "admin"),
                ("password", &s.password),
                ("code", &s.code(&secret)),
                ("next", "/root/orgs/acme"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, r.location()),
        (303, "/root/orgs/acme"),
        "{}",
        r.body
    );
    let org = s.get("/root/orgs/acme", &mut jar).await;
    assert!(
        org.body
            .contains("id=\"overdue-prod\"><span class=\"badge expired\">overdue"),
        "{}",
        org.body
    );
    assert_eq!(s.get("/root/orgs/nobody", &mut jar).await.status, 404);
}

#[tokio::test]
async fn the_keys_page_shows_each_root_keys_kid_thumbprint_and_spki_fingerprint() {
    let s = Srv::start().await;
    let (mut jar, _) = s.enrol("/root").await;
    let page = s.get("/root/keys", &mut jar).await;
    assert_eq!(page.status, 200);
    let keys = s.root().public_keys().await.unwrap();
    assert_eq!(keys.len(), 2, "prod and dev");
    for k in keys {
        let pem = k.root.key.to_pem();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap();
        let spki = hex::encode(sha2::Sha256::digest(&der))
            .as_bytes()
            .chunks(2)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect::<Vec<_>>()
            .join(":");
        let thumb = k.root.key.thumbprint().to_string();
        assert!(k.root.kid.ends_with(&thumb[..12]));
        for want in [
            format!("<code class=\"kid\">{}</code>", k.root.kid),
            format!("<code class=\"thumbprint\">{thumb}</code>"),
            format!("<code class=\"spki\">{spki}</code>"),
        ] {
            assert!(page.body.contains(&want), "{want} not on the page");
        }
    }
}

#[tokio::test]
async fn every_root_page_carries_the_csp_and_security_headers_and_no_inline_code() {
    let s = Srv::start().await;
    let (jar, _) = s.enrol("/root").await;
    let cli = Actor::cli();
    let issued = s
        .root()
        .issue_cml(
            &hwf_license_server::service::root::IssueCml {
                org_id: "acme".into(),
                org_key: serde_json::Value::String(s.org_pem()),
                max_sites: 10,
                valid_days: 365,
                feature_packs: vec![],
                environment: hwf_license_server::domain::EnvironmentName::Prod,
                grace_days: None,
            },
            &cli,
        )
        .await
        .unwrap();
    let hub = s.hub();
    hub.install_cml(&issued.cml, false, &cli).await.unwrap();
    let (m, _) = hub
        .generate_manifest(&hub.current_period(), &cli)
        .await
        .unwrap();
    hub.send_manifest(&m.id, None, &cli).await.unwrap();

    let gets: Vec<&str> = console::route_list()
        .into_iter()
        .filter(|(m, p)| m == Method::GET && p.starts_with("/root/"))
        .map(|(_, p)| p)
        .collect();
    assert!(gets.len() >= 10, "{gets:?}");
    let mut html = 0;
    for template in &gets {
        let path = template
            .replace("{org}", "acme")
            .replace("/cmls/{id}", &format!("/cmls/{}", issued.id))
            .replace("{id}", &m.id);
        for signed_in in [true, false] {
            let mut j = if signed_in {
                jar.clone()
            } else {
                Jar::default()
            };
            let r = s.get(&path, &mut j).await;
            let h = &r.headers;
            assert_eq!(h["content-security-policy"], CSP, "{path}");
            assert_eq!(h["x-frame-options"], "DENY", "{path}");
            assert_eq!(h["referrer-policy"], "same-origin", "{path}");
            assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
            assert_eq!(h["cache-control"], "no-store", "{path}");
            if signed_in && path.ends_with("/login") {
                assert_eq!((r.status, r.location()), (303, "/root/"), "{path}");
            } else if signed_in {
                assert_eq!(r.status, 200, "{path}: {}", r.body);
            } else if !path.ends_with("/login") {
                assert_eq!(r.status, 303, "{path}");
                assert!(r.location().starts_with("/root/login"), "{path}");
            }
            if r.status == 200 && h[CONTENT_TYPE].to_str().unwrap().starts_with("text/html") {
                html += 1;
                assert_no_inline_code(&path, &r.body);
            }
        }
    }
    assert!(html >= 10, "{html} HTML pages checked");
}

fn assert_no_inline_code(path: &str, body: &str) {
    let lower = body.to_ascii_lowercase();
    for (i, _) in lower.match_indices("<script") {
        let tag = &lower[i..i + lower[i..].find('>').unwrap()];
        assert!(tag.contains(" src="), "{path}: inline script {tag}");
    }
    assert!(!lower.contains("<style"), "{path}: a <style> element");
    assert!(!lower.contains(" style="), "{path}: a style attribute");
    for handler in [" onclick=", " onsubmit=", " onload=", "javascript:"] {
        assert!(!lower.contains(handler), "{path}: {handler}");
    }
}

/// The step-up machinery the consoles share: a form's own code field steps a stale session up
/// for that very action (before the fix the action still saw the stale factor and refused).
#[tokio::test]
async fn a_code_typed_into_a_hub_form_steps_a_stale_session_up_for_that_action() {
    let s = Srv::start().await;
    let (mut jar, secret) = s.enrol("").await;
    let issued = s
        .root()
        .issue_cml(
            &hwf_license_server::service::root::IssueCml {
                org_id: "acme".into(),
                org_key: serde_json::Value::String(s.org_pem()),
                max_sites: 10,
                valid_days: 365,
                feature_packs: vec![],
                environment: hwf_license_server::domain::EnvironmentName::Prod,
                grace_days: None,
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    s.clock.advance(16 * 60);
    let dash = s.get("/", &mut jar).await;
    let r = s
        .post(
            "/cml",
            &mut jar,
            &[
                ("csrf", &dash.csrf()),
                ("cml", &issued.cml),
                ("mode", "upload"),
                ("code", &s.code(&secret)),
            ],
        )
        .await;
    assert_eq!((r.status, r.location()), (303, "/"), "{}", r.body);
    assert!(
        s.hub().cml_status().await.is_ok(),
        "the CML is installed with the code typed into its form"
    );
}

/// Server-side render times of the Root's pages (a measurement, not a test: run by
/// `scripts/bench-console.sh` in a release build): 301 orgs, the Hub's org `acme` with 10,000
/// active sites and its real manifest (2.5 MB), 300 more orgs with 12 manifests each (3,601
/// received manifests); 30 requests per page, p50/p95/max printed.
#[tokio::test]
#[ignore]
async fn bench_root_pages_with_many_orgs_and_10000_sites() {
    const SITES: u32 = 10_000;
    const ORGS: u32 = 300;
    let s = Srv::start().await;
    let cli = Actor::cli();
    let seeding = std::time::Instant::now();
    let issued = s
        .root()
        .issue_cml(
            &hwf_license_server::service::root::IssueCml {
                org_id: "acme".into(),
                org_key: serde_json::Value::String(s.org_pem()),
                max_sites: SITES,
                valid_days: 365,
                feature_packs: vec!["analytics".into()],
                environment: hwf_license_server::domain::EnvironmentName::Prod,
                grace_days: None,
            },
            &cli,
        )
        .await
        .unwrap();
    let hub = s.hub();
    hub.install_cml(&issued.cml, false, &cli).await.unwrap();
    for i in 0..SITES {
        hub.create_site(
            &hwf_license_server::service::hub::NewSite {
                site_id: format!("site-{i:05}"),
                ..Default::default()
            },
            &cli,
        )
        .await
        .unwrap();
    }
    let (m, _) = hub
        .generate_manifest(&hub.current_period(), &cli)
        .await
        .unwrap();
    hub.send_manifest(&m.id, None, &cli).await.unwrap();
    for o in 0..ORGS {
        let key = hwf_license::SigningKey::generate().unwrap();
        let c = s
            .root()
            .issue_cml(
                &hwf_license_server::service::root::IssueCml {
                    org_id: format!("org-{o:04}"),
                    org_key: serde_json::Value::String(key.public_key().to_pem()),
                    max_sites: 50,
                    valid_days: 365,
                    feature_packs: vec![],
                    environment: if o % 5 == 0 {
                        hwf_license_server::domain::EnvironmentName::Dev
                    } else {
                        hwf_license_server::domain::EnvironmentName::Prod
                    },
                    grace_days: None,
                },
                &cli,
            )
            .await
            .unwrap();
        let mut conn = s.app.services.db.conn().await.unwrap();
        for month in 1..=12 {
            let row = hwf_license_server::store::root_manifests::ReceivedRow {
                id: format!("m-{o:04}-{month:02}"),
                org_id: format!("org-{o:04}"),
                cml_id: c.id.clone(),
                period: format!("2026-{month:02}"),
                received_at: s.clock.now() - i64::from(13 - month) * 86_400 * 30,
                jws: "x".into(),
                total_active_sites: i64::from(o % 60),
                ledger_length: 10,
                receipt: Some("r".into()),
                receipt_key_certificate: Some("c".into()),
            };
            hwf_license_server::store::root_manifests::insert_new(&mut conn, &row)
                .await
                .unwrap();
        }
    }
    println!(
        "seeded {SITES} sites, {} orgs and {} received manifests in {:.1} s",
        ORGS + 1,
        ORGS * 12 + 1,
        seeding.elapsed().as_secs_f64()
    );
    let (mut jar, _) = s.enrol("/root").await;
    let pages = [
        "/root/".to_string(),
        "/root/?page=4".into(),
        "/root/orgs/acme".into(),
        "/root/orgs/org-0150".into(),
        "/root/manifests".into(),
        "/root/manifests?page=50".into(),
        format!("/root/manifests/{}", m.id),
        "/root/keys".into(),
        "/root/cml".into(),
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

/// A Root-only server (no Hub, so no Hub console) still serves the Root's console with its
/// assets; a Hub page there is the 404 page, not a sign-in.
#[tokio::test]
async fn a_root_only_server_serves_the_root_console_with_its_assets() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind(std::net::SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let mut config = hwf_license_server::config::Config::new(
        common::fresh_database_url(dir.path()).await,
        hwf_license_server::service::keys::Sealer::generate_secret(),
    );
    config.hash_cost = common::CHEAP;
    let app = App::open_with_clock(
        &config,
        hwf_license_server::config::Roles::Root,
        hwf_license_server::service::clock::system(),
    )
    .await
    .unwrap();
    let _task = app.spawn(listener);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let login = http.get(format!("{base}/root/login")).send().await.unwrap();
    assert_eq!(login.status(), 200);
    assert_eq!(login.headers()["content-security-policy"], CSP);
    let body = login.text().await.unwrap();
    let css = between(&body, "<link rel=\"stylesheet\" href=\"", "\"").unwrap();
    let r = http.get(format!("{base}{css}")).send().await.unwrap();
    assert_eq!(r.status(), 200, "{css}");
    assert_eq!(r.headers()[CONTENT_TYPE], "text/css; charset=utf-8");
    let hub_page = http
        .get(format!("{base}/sites"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(hub_page.status(), 404);
}
