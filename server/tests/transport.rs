//! Hostile clients and the transport (issue 16): the bounded verification pool under a flood,
//! slowloris (a half-sent header is closed after the header timeout, with the server's file
//! descriptors lowered instead of opening 20,000 sockets), body and request timeouts, connection
//! limits, trusted proxies, rate limits on every route without a token, TLS 1.3 by default
//! (curl and openssl as the real clients), the Hub's client to the Root (pinning, CA, no
//! redirects, no plain HTTP off loopback), the security headers and the `/metrics` token.
//!
//! The flood and slowloris tests print `/healthz` p50/p99 measured by another client during the
//! attack (run with `--nocapture` to see them); they assert only what the server controls.

mod common;

use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hwf_license_server::app::App;
use hwf_license_server::config::{Cidr, Config, Rate, Roles};
use hwf_license_server::service::keys::Sealer;
use reqwest::Method;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BIN: &str = env!("CARGO_BIN_EXE_hwf-license");

/// An in-process server on plain HTTP (or TLS) over 127.0.0.1.
struct Srv {
    _dir: tempfile::TempDir,
    app: App,
    base: String,
    http: reqwest::Client,
    /// A Hub admin's token (TOTP enrolled, fresh second factor).
    admin: String,
    /// The Hub admin's TOTP secret.
    admin_totp: String,
    /// The Root admin's token, for `/api/root/` routes.
    root_admin: String,
    _task: tokio::task::JoinHandle<()>,
}

async fn start(set: impl FnOnce(&mut Config)) -> Srv {
    let common::Served {
        dir,
        app,
        base,
        task,
        ..
    } = common::serve_both(hwf_license_server::service::clock::system(), |config| {
        config.secrets.admin_password = Some("transport admin password".into());
        set(config);
    })
    .await;
    let http = reqwest::Client::new();
    let (admin, admin_totp) = enrolled_admin(&http, &base, "hub").await;
    let (root_admin, _) = enrolled_admin(&http, &base, "root").await;
    Srv {
        _dir: dir,
        app,
        base,
        http,
        admin,
        admin_totp,
        root_admin,
        _task: task,
    }
}

/// Signs in `realm`'s first admin, enrols TOTP (its first sign-in may only enrol) and returns
/// the token the confirmation gives: a fresh second factor, so admin actions pass step-up.
async fn enrolled_admin(http: &reqwest::Client, base: &str, realm: &str) -> (String, String) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    common::enrol_first_admin(http, base, realm, "transport admin password", now).await
}

/// The TOTP code of the time step after the current one (a code is accepted once per step,
/// within ±1 step).
fn next_code(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    hwf_license_server::service::totp::code_from_base32(secret, now + 30).unwrap()
}

impl Srv {
    async fn admin(&self, m: Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self
            .http
            .request(m, format!("{}{path}", self.base))
            .bearer_auth(if path.starts_with("/api/root/") {
                &self.root_admin
            } else {
                &self.admin
            });
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status();
        let v: Value = r.json().await.unwrap_or(Value::Null);
        assert!(status.is_success(), "{path}: {status} {v}");
        v
    }

    /// A CML and one site; the site's `site.lic`.
    async fn site_license(&self) -> String {
        let hub = self.app.services.hub.clone().unwrap();
        let cml = self
            .admin(
                Method::POST,
                "/api/root/cml",
                Some(
                    json!({"org_id": "acme", "org_key": hub.org_public_key().to_pem(),
                    "max_sites": 10, "valid_days": 365, "feature_packs": ["analytics"],
                    "environment": "prod"}),
                ),
            )
            .await;
        self.admin(
            Method::POST,
            "/api/cml/upload",
            Some(json!({"cml": cml["cml"]})),
        )
        .await;
        let site = self
            .admin(
                Method::POST,
                "/api/sites/create",
                Some(json!({"site_id": "plant-1", "features": ["analytics"]})),
            )
            .await;
        site["license"].as_str().unwrap().to_string()
    }
}

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, usize) {
    if ms.is_empty() {
        return (f64::NAN, f64::NAN, 0);
    }
    ms.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.50), at(0.99), ms.len())
}

/// Polls `GET url` from `client` every 20 ms until `stop`, returning each latency (ms) and
/// how many polls failed.
async fn poll_healthz(
    client: reqwest::Client,
    url: String,
    stop: Arc<AtomicBool>,
) -> (Vec<f64>, usize) {
    let (mut ms, mut failed) = (Vec::new(), 0);
    while !stop.load(Ordering::Relaxed) {
        let t = Instant::now();
        match client
            .get(&url)
            .timeout(Duration::from_secs(5))
            .send()
            .await
        {
            Ok(r) if r.status() == 200 => ms.push(t.elapsed().as_secs_f64() * 1000.0),
            _ => failed += 1,
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (ms, failed)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_validation_flood_is_bounded_by_the_pool_and_answered_503_when_saturated() {
    let s = start(|c| {
        c.http.rate_limit_node = Rate::OFF;
        c.http.rate_limit_public = Rate::OFF;
        c.http.max_connections_per_ip = 512;
        c.http.verify_workers = 1;
        c.http.verify_queue = 2;
    })
    .await;
    let license = s.site_license().await;
    assert_eq!(s.app.services.cpu.workers(), 1);
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(poll_healthz(
        reqwest::Client::new(),
        format!("{}/healthz", s.base),
        stop.clone(),
    ));
    let body = json!({"license": license, "facts": {"deployment_tag": "x"}});
    let until = Instant::now() + Duration::from_millis(2500);
    let mut flood = Vec::new();
    for _ in 0..48 {
        let (client, url, body) = (
            s.http.clone(),
            format!("{}/api/validate", s.base),
            body.clone(),
        );
        flood.push(tokio::spawn(async move {
            let mut seen: Vec<(u16, Option<String>, String)> = Vec::new();
            while Instant::now() < until {
                let r = client.post(&url).json(&body).send().await.unwrap();
                let status = r.status().as_u16();
                let retry = r
                    .headers()
                    .get("retry-after")
                    .map(|v| v.to_str().unwrap().to_string());
                let v: Value = r.json().await.unwrap();
                let kind = v["type"].as_str().unwrap_or("").to_string();
                seen.push((status, retry, kind));
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for f in flood {
        all.extend(f.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let (ms, failed) = watcher.await.unwrap();
    let ok = all.iter().filter(|(st, ..)| *st == 200).count();
    let busy: Vec<_> = all.iter().filter(|(st, ..)| *st == 503).collect();
    let (p50, p99, n) = percentiles(ms);
    eprintln!(
        "flood: {} validations in 2.5 s from 48 clients: {ok} answered 200, {} answered 503; \
         pool peak {} of {} worker(s), {} refused; /healthz from another client during the \
         flood: p50 {p50:.1} ms, p99 {p99:.1} ms over {n} polls ({failed} failed)",
        all.len(),
        busy.len(),
        s.app.services.cpu.peak(),
        s.app.services.cpu.workers(),
        s.app.services.cpu.refused(),
    );
    assert!(ok > 0, "some validations pass");
    assert!(!busy.is_empty(), "a saturated pool answers 503");
    for (status, retry, kind) in &all {
        assert!(*status == 200 || *status == 503, "{status} {kind}");
        if *status == 503 {
            assert_eq!(kind, "urn:hwf-license:problem:overloaded");
            assert_eq!(retry.as_deref(), Some("1"));
        }
    }
    assert_eq!(
        s.app.services.cpu.peak(),
        1,
        "never more verifications at once than the workers"
    );
    assert_eq!(s.app.services.cpu.refused(), busy.len());
}

/// Finding 1: crafted 64 KiB files (the hostile corpus core is tested with) posted to
/// `/api/validate` by 16 connections from one address, under the default rate limits: every
/// answer is a typed refusal (422 with a core code, 413, 429 or 503), never a 500, and never
/// more verifications at once than the pool's workers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crafted_64k_licenses_from_16_connections_stay_within_the_pool() {
    let s = start(|c| {
        c.http.verify_workers = 1;
        c.http.verify_queue = 4;
    })
    .await;
    s.site_license().await;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/hostile");
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).unwrap()).unwrap();
    let files: Vec<String> = index["files"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["bytes"].as_u64().unwrap() > 50_000)
        .map(|f| {
            let bytes = std::fs::read(dir.join(f["file"].as_str().unwrap())).unwrap();
            String::from_utf8_lossy(&bytes).into_owned()
        })
        .collect();
    assert!(files.len() >= 6, "the corpus has its large files");
    let files = Arc::new(files);
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(poll_healthz(
        reqwest::Client::new(),
        format!("{}/healthz", s.base),
        stop.clone(),
    ));
    let until = Instant::now() + Duration::from_millis(2000);
    let mut flood = Vec::new();
    for c in 0..16 {
        let (client, url, files) = (
            reqwest::Client::new(),
            format!("{}/api/validate", s.base),
            files.clone(),
        );
        flood.push(tokio::spawn(async move {
            let mut seen: Vec<(u16, Value, f64)> = Vec::new();
            let mut i = c;
            while Instant::now() < until {
                let body = json!({"license": files[i % files.len()], "facts": {}});
                i += 1;
                let t = Instant::now();
                // A request over the rate limit is answered (429) and its connection closed
                // before the body is read: the client may see the close while still writing.
                let Ok(r) = client.post(&url).json(&body).send().await else {
                    seen.push((0, Value::Null, t.elapsed().as_secs_f64() * 1000.0));
                    continue;
                };
                let status = r.status().as_u16();
                let v: Value = r.json().await.unwrap_or(Value::Null);
                seen.push((status, v, t.elapsed().as_secs_f64() * 1000.0));
            }
            seen
        }));
    }
    let mut all = Vec::new();
    for f in flood {
        all.extend(f.await.unwrap());
    }
    stop.store(true, Ordering::Relaxed);
    let (ms, failed) = watcher.await.unwrap();
    let count = |st: u16| all.iter().filter(|(s, ..)| *s == st).count();
    let refused: Vec<f64> = all
        .iter()
        .filter(|(st, ..)| *st == 422)
        .map(|(.., ms)| *ms)
        .collect();
    let (r50, r99, _) = percentiles(refused);
    let (p50, p99, n) = percentiles(ms);
    eprintln!(
        "crafted 64 KiB files from 16 connections for 2 s: {} requests: {} x 422, {} x 413, \
         {} x 429, {} x 503, {} closed while sending; a 422 took p50 {r50:.1} ms, p99 {r99:.1} ms (client side); pool \
         peak {}; /healthz from another client: p50 {p50:.1} ms, p99 {p99:.1} ms over {n} \
         polls ({failed} failed)",
        all.len(),
        count(422),
        count(413),
        count(429),
        count(503),
        count(0),
        s.app.services.cpu.peak(),
    );
    assert!(count(422) > 0, "crafted files reach core and are refused");
    for (status, v, _) in &all {
        match status {
            422 => assert!(
                v["code"].as_u64().is_some(),
                "a refusal names core's code: {v}"
            ),
            0 | 413 | 429 | 503 => {}
            other => panic!("{other}: {v}"),
        }
    }
    assert!(
        s.app.services.cpu.peak() <= 1,
        "never more than the workers at once"
    );
}

/// A heartbeat's answer is signed on the bounded pool too (it is CPU work on a route without a
/// token): the pool's peak goes from 0 to 1 with one heartbeat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_heartbeat_is_signed_on_the_pool() {
    let s = start(|c| {
        c.http.verify_workers = 1;
        c.http.verify_queue = 0;
    })
    .await;
    s.site_license().await;
    let site = s.admin(Method::GET, "/api/sites/plant-1", None).await;
    let license_id = site["license_id"].as_str().unwrap().to_string();
    assert_eq!(s.app.services.cpu.peak(), 0, "nothing ran on the pool yet");
    let r = s
        .http
        .post(format!("{}/api/sites/plant-1/heartbeat", s.base))
        .json(&json!({"license_id": license_id, "nonce": "n-transport-0001-heartbeat"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        s.app.services.cpu.peak(),
        1,
        "the answer was signed on the pool"
    );
}

/// Reads until the server closes (EOF or reset) or `limit` passes; how long it took, or
/// `None` if still open.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    let t = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout(limit.saturating_sub(t.elapsed()), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(t.elapsed()),
            Ok(Ok(_)) => continue, // an answer (e.g. 408) before the close
            Err(_) => return None,
        }
    }
}

async fn connect_from(source: IpAddr, to: SocketAddr) -> std::io::Result<tokio::net::TcpStream> {
    let sock = tokio::net::TcpSocket::new_v4()?;
    sock.bind(SocketAddr::new(source, 0))?;
    sock.connect(to).await
}

/// `hwf-license serve` as a child process; killed on drop.
struct Child {
    child: std::process::Child,
    log: std::path::PathBuf,
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `serve --role both` in `dir` on `port` with `args`, its open files limited to
/// `nofile` (through the shell's `ulimit -n`).
fn spawn_serve(dir: &Path, port: u16, nofile: u32, args: &[&str]) -> Child {
    let log = dir.join("server.log");
    // One master secret per data directory (a restart opens the same keys).
    let secret_file = dir.join("master-secret");
    let secret = std::fs::read_to_string(&secret_file).unwrap_or_else(|_| {
        let s = Sealer::generate_secret();
        std::fs::write(&secret_file, &s).unwrap();
        s
    });
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -n {nofile} && exec \"$0\" \"$@\""))
        .arg(BIN)
        .args(["--data-dir", &dir.join("data").display().to_string()])
        .args(["serve", "--role", "both", "--listen"])
        .arg(format!("127.0.0.1:{port}"))
        .args(args)
        .env("HWF_MASTER_SECRET", secret)
        .env("HWF_ADMIN_PASSWORD", "transport admin password")
        .env("HWF_LOG", "info")
        .env("HWF_LOG_FORMAT", "json")
        .env_remove("HWF_DATABASE_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    Child { child, log }
}

async fn wait_up(client: &reqwest::Client, url: &str, child: &Child) {
    for _ in 0..300 {
        if let Ok(r) = client.get(url).send().await {
            if r.status() == 200 {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!(
        "the server did not start: {}",
        std::fs::read_to_string(&child.log).unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slowloris_half_sent_headers_are_closed_after_the_header_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // 128 descriptors: fewer than the attack's sockets, as 20,000 would be for the default.
    let child = spawn_serve(
        dir.path(),
        port,
        128,
        &[
            "--insecure-http",
            "--header-timeout",
            "2",
            "--max-connections",
            "90",
            "--max-connections-per-ip",
            "60",
            "--rate-limit-public",
            "0",
        ],
    );
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let healthz = format!("http://{addr}/healthz");
    let other = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    wait_up(&other, &healthz, &child).await;

    // 150 connections from 127.0.0.1, each with a header that never ends; each waits for the
    // server to close it (at most 8 s), timed from its own connect.
    let attacker: IpAddr = [127, 0, 0, 1].into();
    let mut socks = Vec::new();
    for _ in 0..150 {
        let connected = Instant::now();
        let mut s = connect_from(attacker, addr).await.unwrap();
        let _ = s
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            .await;
        socks.push(tokio::spawn(async move {
            let closed = closed_within(&mut s, Duration::from_secs(8)).await;
            (closed.map(|_| connected.elapsed()), s)
        }));
    }
    // Another client meanwhile.
    let stop = Arc::new(AtomicBool::new(false));
    let watcher = tokio::spawn(poll_healthz(other.clone(), healthz.clone(), stop.clone()));
    let mut closes = Vec::new();
    let mut held_open = Vec::new();
    for s in socks {
        let (closed, sock) = s.await.unwrap();
        closes.push(closed);
        held_open.push(sock);
    }
    stop.store(true, Ordering::Relaxed);
    let (ms, failed) = watcher.await.unwrap();
    let (p50, p99, n) = percentiles(ms);
    let open: Vec<_> = closes.iter().filter(|c| c.is_none()).collect();
    let held = closes
        .iter()
        .flatten()
        .filter(|d| **d >= Duration::from_millis(1500))
        .count();
    eprintln!(
        "slowloris: 150 half-sent headers against 128 descriptors, header timeout 2 s: {} \
         closed by the server within 8 s ({held} after the timeout, the rest at once by the \
         connection limits), {} still open; /healthz from 127.0.0.2 during the attack: p50 \
         {p50:.1} ms, p99 {p99:.1} ms over {n} polls ({failed} failed)",
        closes.len() - open.len(),
        open.len()
    );
    assert!(open.is_empty(), "every half-open connection is closed");
    assert!(
        held >= 40,
        "admitted connections live until the header timeout, not less: {held}"
    );
    assert!(n > 0, "another client is served during the attack");
    // And after it, with every attacking socket still held open by the attacker.
    let r = other.get(&healthz).send().await.unwrap();
    assert_eq!(r.status(), 200);
    drop(held_open);
}

#[tokio::test]
async fn a_stalled_body_fails_after_the_body_timeout_and_a_slow_request_after_the_request_timeout()
{
    let s = start(|c| {
        c.http.body_timeout = 1;
        c.http.request_timeout = 3;
    })
    .await;
    let addr: SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    // A body that stops: 10 of 100 bytes.
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(
        b"POST /api/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"license\"",
    )
    .await
    .unwrap();
    let t = Instant::now();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(6), c.read_to_end(&mut answer)).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(900) && took < Duration::from_secs(3),
        "{took:?}"
    );
    // A body that trickles (one byte every 400 ms, never stalling 1 s): the request timeout.
    let mut c = tokio::net::TcpStream::connect(addr).await.unwrap();
    c.write_all(
        b"POST /api/validate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
    )
    .await
    .unwrap();
    let t = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while t.elapsed() < Duration::from_secs(6) {
        let _ = c.write_all(b" ").await;
        if let Ok(Ok(n)) = tokio::time::timeout(Duration::from_millis(400), c.read(&mut buf)).await
        {
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
    }
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(answer.contains("request-timeout"), "{answer}");
    let took = t.elapsed();
    assert!(
        took >= Duration::from_millis(2900) && took < Duration::from_secs(5),
        "{took:?}"
    );
}

#[tokio::test]
async fn connections_beyond_the_per_address_limit_are_closed_at_once() {
    let s = start(|c| {
        c.http.max_connections_per_ip = 3;
        c.http.max_connections = 5;
    })
    .await;
    let addr: SocketAddr = s.base.trim_start_matches("http://").parse().unwrap();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(connect_from([127, 0, 0, 1].into(), addr).await.unwrap());
    }
    let mut fourth = connect_from([127, 0, 0, 1].into(), addr).await.unwrap();
    let closed = closed_within(&mut fourth, Duration::from_secs(2)).await;
    assert!(
        closed.is_some(),
        "the 4th connection from one address is closed"
    );
    // Another address still gets in, up to the global limit.
    let other = reqwest::Client::builder()
        .local_address(IpAddr::from([127, 0, 0, 3]))
        .build()
        .unwrap();
    let r = other
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let r = s
        .http
        .get(format!("{}/healthz", s.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "places are freed when connections close");
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_trusted_proxies() {
    let limited = |c: &mut Config| c.http.rate_limit_public = Rate::parse("2/h:2").unwrap();
    let trusting = start(|c| {
        limited(c);
        c.http.trusted_proxies = vec![Cidr::parse("127.0.0.1").unwrap()];
    })
    .await;
    let from = |s: &Srv, xff: &'static str| {
        s.http
            .get(format!("{}/healthz", s.base))
            .header("x-forwarded-for", xff)
            .send()
    };
    for _ in 0..2 {
        assert_eq!(from(&trusting, "198.51.100.1").await.unwrap().status(), 200);
    }
    assert_eq!(from(&trusting, "198.51.100.1").await.unwrap().status(), 429);
    // Another client behind the same proxy has its own bucket; forged hops to the left of
    // the one the proxy appended are not read.
    assert_eq!(
        from(&trusting, "198.51.100.1, 198.51.100.2")
            .await
            .unwrap()
            .status(),
        200
    );
    // Without trusted proxies the header is ignored: every request is 127.0.0.1's.
    let plain = start(limited).await;
    assert_eq!(from(&plain, "198.51.100.1").await.unwrap().status(), 200);
    assert_eq!(from(&plain, "198.51.100.2").await.unwrap().status(), 200);
    let r = from(&plain, "198.51.100.3").await.unwrap();
    assert_eq!(r.status(), 429, "a forged X-Forwarded-For changes nothing");
}

#[tokio::test]
async fn every_route_without_a_token_is_rate_limited() {
    let s = start(|_| {}).await;
    // 11 requests: the first 10 pass the limit (burst 10), the 11th is 429.
    let burst_of_ten = |statuses: Vec<u16>| {
        assert!(statuses[..10].iter().all(|s| *s != 429), "{statuses:?}");
        assert_eq!(statuses[10], 429, "{statuses:?}");
    };
    // Manifest deliveries: 10 at once, then 429 (the default 30/h:10), body never read.
    let mut statuses = Vec::new();
    for _ in 0..11 {
        let r = s
            .http
            .post(format!("{}/api/root/manifests", s.base))
            .json(&json!({"org_id": "acme", "manifest": "x.y.z"}))
            .send()
            .await
            .unwrap();
        statuses.push(r.status().as_u16());
    }
    burst_of_ten(statuses);
    // The site exports (authenticated, but each reads every matching site): 10 at once
    // (the default 30/min:10), then 429 before the token is even read, on both routes alike.
    let mut statuses = Vec::new();
    for path in ["/api/sites/export", "/sites.csv"].iter().cycle().take(11) {
        let r = s.http.get(format!("{}{path}", s.base)).send().await;
        statuses.push(r.unwrap().status().as_u16());
    }
    burst_of_ten(statuses);
    // Every other route without a token has its limit (the table the OpenAPI document shows).
    for (m, route) in [
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/health"),
        ("GET", "/api/openapi.json"),
        ("GET", "/api/root/keys"),
        ("POST", "/api/root/manifests"),
        ("POST", "/api/auth/login"),
        ("POST", "/api/validate"),
        ("POST", "/api/sites/{site_id}/heartbeat"),
    ] {
        let m: axum::http::Method = m.parse().unwrap();
        assert!(
            hwf_license_server::http::middleware::limit_of(&m, route).is_some(),
            "{m} {route}"
        );
    }
}

#[tokio::test]
async fn answers_carry_the_security_headers_and_metrics_need_a_token() {
    let s = start(|c| c.secrets.metrics_token = Some("metrics token 0123456789".into())).await;
    for path in ["/healthz", "/api/openapi.json", "/nowhere"] {
        let r = s
            .http
            .get(format!("{}{path}", s.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.headers()["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert!(
            r.headers().get("strict-transport-security").is_none(),
            "no HSTS over HTTP"
        );
    }
    let r = s
        .http
        .post(format!("{}/api/auth/login", s.base))
        .json(
            &json!({"username": "admin", "password": "transport admin password",
            "code": next_code(&s.admin_totp)}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store", "login");
    let license_url = {
        s.site_license().await;
        format!("{}/api/sites/plant-1/license", s.base)
    };
    let r = s
        .http
        .get(&license_url)
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "no-store", "license download");

    let metrics = format!("{}/metrics", s.base);
    let r = s.http.get(&metrics).send().await.unwrap();
    assert_eq!(r.status(), 401, "no token");
    let r = s
        .http
        .get(&metrics)
        .bearer_auth("wrong")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401, "a wrong token");
    let r = s
        .http
        .get(&metrics)
        .bearer_auth("metrics token 0123456789")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "the metrics token");
    assert!(r.text().await.unwrap().contains("hwf_http_requests"));
    let r = s
        .http
        .get(&metrics)
        .bearer_auth(&s.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "a user's token");
}

/// The SHA-256 fingerprint `serve` logged, from its JSON log.
fn logged_fingerprint(log: &Path) -> Option<String> {
    std::fs::read_to_string(log)
        .ok()?
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|v| {
            v.get("fingerprint")
                .or_else(|| v["fields"].get("fingerprint"))
                .and_then(Value::as_str)
                .map(String::from)
        })
}

fn run(cmd: &mut Command) -> (bool, String) {
    let out = cmd.stdin(Stdio::null()).output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_speaks_tls_1_3_by_default_with_a_kept_self_signed_certificate_and_refuses_tls_1_2() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let child = spawn_serve(dir.path(), port, 1024, &[]);
    let cert = dir.path().join("data/tls/cert.pem");
    let base = format!("https://127.0.0.1:{port}");
    // The certificate is written at start.
    for _ in 0..300 {
        if dir.path().join("data/tls/key.pem").exists() && cert.exists() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let client = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    wait_up(&client, &format!("{base}/healthz"), &child).await;
    // The key is the owner's only; the fingerprint is logged and is the certificate's.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.path().join("data/tls/key.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let logged = logged_fingerprint(&child.log).expect("fingerprint logged");
    let (ok, x509) = run(Command::new("openssl")
        .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
        .arg(&cert));
    assert!(ok, "{x509}");
    assert!(x509.trim().ends_with(&logged), "{x509} vs {logged}");

    // curl negotiates TLS 1.3 and sees HSTS; TLS 1.2 is refused.
    let (ok, out) = run(Command::new("curl")
        .args(["-sS", "-i", "--tlsv1.3", "--cacert"])
        .arg(&cert)
        .arg(format!("{base}/healthz"))
        .args(["-w", "\n%{http_code}\n"]));
    assert!(ok, "{out}");
    assert!(out.trim_end().ends_with("200"), "{out}");
    assert!(
        out.to_ascii_lowercase()
            .contains("strict-transport-security: max-age=31536000"),
        "{out}"
    );
    let (ok, out) = run(Command::new("curl")
        .args(["-sS", "-v", "--cacert"])
        .arg(&cert)
        .arg(format!("{base}/healthz")));
    assert!(ok && out.contains("TLSv1.3"), "{out}");
    let (ok, out) = run(Command::new("curl")
        .args(["-sS", "--tlsv1.2", "--tls-max", "1.2", "--cacert"])
        .arg(&cert)
        .arg(format!("{base}/healthz")));
    assert!(!ok, "TLS 1.2 is refused: {out}");
    let connect = format!("127.0.0.1:{port}");
    let (ok, out) =
        run(Command::new("openssl").args(["s_client", "-tls1_2", "-connect", &connect, "-brief"]));
    assert!(!ok, "openssl s_client -tls1_2 is refused: {out}");
    let (ok, out) =
        run(Command::new("openssl").args(["s_client", "-tls1_3", "-connect", &connect, "-brief"]));
    assert!(ok && out.contains("TLSv1.3"), "{out}");
    // Plain HTTP on the TLS port gets nothing useful.
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/healthz")).await;
    assert!(plain.map(|r| r.status() != 200).unwrap_or(true));
    drop(child);

    // A restart reuses the certificate.
    let port = free_port();
    let child = spawn_serve(dir.path(), port, 1024, &[]);
    wait_up(
        &client,
        &format!("https://127.0.0.1:{port}/healthz"),
        &child,
    )
    .await;
    assert_eq!(
        logged_fingerprint(&child.log).as_deref(),
        Some(logged.as_str())
    );
}

#[tokio::test]
async fn plain_http_is_refused_off_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let (ok, out) = run(Command::new(BIN)
        .args(["--data-dir"])
        .arg(dir.path().join("data"))
        .args(["serve", "--insecure-http", "--listen", "0.0.0.0:0"])
        .env("HWF_MASTER_SECRET", Sealer::generate_secret())
        .env_remove("HWF_DATABASE_URL"));
    assert!(!ok);
    assert!(out.contains("loopback"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hubs_client_to_the_root_pins_or_trusts_a_ca_and_follows_no_redirect() {
    use hwf_license_server::config::HubConfig;
    use hwf_license_server::tls;
    let s = start(|_| {}).await;
    let dir = tempfile::tempdir().unwrap();
    let cert = tls::self_signed(
        dir.path(),
        &[],
        hwf_license_server::config::TlsVersion::Tls13,
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let _tls_task = s.app.spawn_tls(listener, &cert);
    let url = format!("https://127.0.0.1:{port}/healthz");
    let fp = hwf_license_server::config::parse_fingerprint(&cert.fingerprint).unwrap();

    let pinned = tls::root_client(&HubConfig {
        root_fingerprint: Some(fp),
        ..HubConfig::default()
    })
    .unwrap();
    assert_eq!(
        pinned.get(&url).send().await.unwrap().status(),
        200,
        "pinned"
    );
    let mut wrong = fp;
    wrong[0] ^= 1;
    let other_pin = tls::root_client(&HubConfig {
        root_fingerprint: Some(wrong),
        ..HubConfig::default()
    })
    .unwrap();
    assert!(other_pin.get(&url).send().await.is_err(), "another pin");
    let web_roots = tls::root_client(&HubConfig::default()).unwrap();
    assert!(
        web_roots.get(&url).send().await.is_err(),
        "self-signed, not pinned"
    );
    let with_ca = tls::root_client(&HubConfig {
        root_ca: Some(cert.cert_path.clone()),
        ..HubConfig::default()
    })
    .unwrap();
    assert_eq!(
        with_ca.get(&url).send().await.unwrap().status(),
        200,
        "--root-ca"
    );

    // A redirect is answered, not followed.
    let redirect = axum::Router::new().route(
        "/api/root/manifests",
        axum::routing::post(|| async {
            (
                axum::http::StatusCode::TEMPORARY_REDIRECT,
                [("location", "http://198.51.100.1/steal")],
            )
        }),
    );
    let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let to = format!("http://{}/api/root/manifests", l.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(l, redirect).await.unwrap() });
    let r = web_roots.post(&to).body("{}").send().await.unwrap();
    assert_eq!(r.status(), 307, "not followed");

    // Plain HTTP to a Root off loopback is refused when the Hub opens.
    let dir = tempfile::tempdir().unwrap();
    let mut c = Config::new(
        common::fresh_database_url(dir.path()).await,
        Sealer::generate_secret(),
    );
    c.hub.root_url = Some("http://root.example".into());
    let e = App::open(&c, Roles::Hub).await.unwrap_err();
    assert!(e.to_string().contains("https"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trust_root_needs_every_key_fingerprint_from_a_file_or_an_authenticated_root() {
    let dir = tempfile::tempdir().unwrap();
    let secret = Sealer::generate_secret();
    let cli = |data: &str, args: &[&str]| {
        run(Command::new(BIN)
            .arg("--data-dir")
            .arg(dir.path().join(data))
            .args(args)
            .env("HWF_MASTER_SECRET", &secret)
            .env("HWF_ADMIN_PASSWORD", "transport admin password")
            .env("HWF_LOG", "warn")
            .env_remove("HWF_DATABASE_URL"))
    };
    let (ok, roots) = cli("root", &["keys", "export-roots"]);
    assert!(ok, "{roots}");
    let file = dir.path().join("roots.json");
    std::fs::write(&file, &roots).unwrap();
    let keys: Vec<Value> = serde_json::from_str(&roots).unwrap();
    let thumbprints: Vec<String> = keys
        .iter()
        .map(|k| {
            hwf_license::PublicKey::from_pem(k["public_key_pem"].as_str().unwrap())
                .unwrap()
                .thumbprint()
                .to_string()
        })
        .collect();
    assert_eq!(thumbprints.len(), 2);
    let path = file.display().to_string();
    // Without fingerprints: each is printed, nothing is trusted.
    let (ok, out) = cli("hub", &["keys", "trust-root", &path]);
    assert!(!ok, "{out}");
    for t in &thumbprints {
        assert!(out.contains(t.as_str()), "{t} printed: {out}");
    }
    // One of two is not enough; a wrong one neither.
    let (ok, out) = cli(
        "hub",
        &[
            "keys",
            "trust-root",
            &path,
            "--fingerprint",
            &thumbprints[0],
        ],
    );
    assert!(!ok, "{out}");
    let (ok, _) = cli(
        "hub",
        &[
            "keys",
            "trust-root",
            &path,
            "--fingerprint",
            &thumbprints[0],
            "--fingerprint",
            "x",
        ],
    );
    assert!(!ok);
    let (ok, out) = cli(
        "hub",
        &[
            "keys",
            "trust-root",
            &path,
            "--fingerprint",
            &thumbprints[0],
            "--fingerprint",
            &thumbprints[1],
        ],
    );
    assert!(ok, "{out}");
    assert!(out.contains("trusted 2 root key(s)"), "{out}");

    // From a Root served over HTTPS with its certificate pinned: no --fingerprint needed.
    let port = free_port();
    let root_dir = dir.path().join("served");
    std::fs::create_dir_all(&root_dir).unwrap();
    let child = spawn_serve(&root_dir, port, 1024, &[]);
    let cert = root_dir.join("data/tls/cert.pem");
    for _ in 0..300 {
        if cert.exists() && logged_fingerprint(&child.log).is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let fp = logged_fingerprint(&child.log).expect("fingerprint logged");
    let url = format!("https://127.0.0.1:{port}");
    let pinned = reqwest::Client::builder()
        .add_root_certificate(
            reqwest::Certificate::from_pem(&std::fs::read(&cert).unwrap()).unwrap(),
        )
        .build()
        .unwrap();
    wait_up(&pinned, &format!("{url}/healthz"), &child).await;
    let (ok, out) = cli(
        "hub2",
        &["--root-fingerprint", &fp, "keys", "trust-root", &url],
    );
    assert!(ok, "{out}");
    let (ok, out) = cli("hub3", &["keys", "trust-root", &url]);
    assert!(
        !ok,
        "a self-signed Root without a pin or CA is not trusted: {out}"
    );
}

#[tokio::test]
async fn the_ledger_is_verified_once_per_change_and_an_edit_behind_the_head_is_still_caught() {
    let s = start(|_| {}).await;
    s.site_license().await;
    let hub = s.app.services.hub.clone().unwrap();
    let verify = || async {
        let r = s
            .http
            .get(format!("{}/api/ledger/verify", s.base))
            .bearer_auth(&s.admin)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json::<Value>().await.unwrap())
    };
    let (status, first) = verify().await;
    assert_eq!(status, 200, "{first}");
    for _ in 0..5 {
        assert_eq!(verify().await, (200, first.clone()));
    }
    assert_eq!(
        hub.ledger_full_checks(),
        1,
        "six requests, one signature check of the ledger"
    );
    // A new entry: checked again.
    s.admin(
        Method::POST,
        "/api/sites/create",
        Some(json!({"site_id": "plant-2", "features": ["analytics"]})),
    )
    .await;
    let (status, second) = verify().await;
    assert_eq!(status, 200);
    assert_eq!(second["length"], first["length"].as_u64().unwrap() + 1);
    assert_eq!(hub.ledger_full_checks(), 2);
    // An entry replaced in the database, head unchanged: not answered from the cache.
    let entries = hub.ledger_entries().await.unwrap();
    sqlx::query("UPDATE ledger SET jws = $1 WHERE seq = 0")
        .bind(&entries[1])
        .execute(s.app.services.db.pool())
        .await
        .unwrap();
    let (status, broken) = verify().await;
    assert_eq!(
        (status, broken["error"].as_str()),
        (422, Some("ledger_broken")),
        "{broken}"
    );
    assert_eq!(
        hub.ledger_full_checks(),
        2,
        "only passing checks are counted"
    );
}
