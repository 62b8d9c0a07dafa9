//! The console over real HTTP forms, as a browser without JavaScript uses it: a server on both
//! roles with a manual clock, a cookie jar kept by hand (so a test sees every attribute), and
//! the answers as status, headers and body. Shared by `console.rs` and `console_root.rs`.

use std::sync::Arc;

use hwf_license_server::app::App;
use hwf_license_server::config::Config;
use hwf_license_server::service::clock::{Clock, ManualClock};
use hwf_license_server::service::totp;
use reqwest::header::{HeaderMap, COOKIE, LOCATION, SET_COOKIE};
use reqwest::Method;

use super::page::{between, unescape};

/// One server (Hub and Root in one process) and a client that does not follow redirects.
pub struct Srv {
    _dir: tempfile::TempDir,
    /// The application (its services for direct calls).
    pub app: App,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The client (redirects not followed).
    pub http: reqwest::Client,
    /// The services' clock.
    pub clock: Arc<ManualClock>,
    /// The first admin's generated password.
    pub password: String,
    _task: tokio::task::JoinHandle<()>,
}

/// One answer: status, headers, body text.
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// The `Location` header, or "".
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The `Set-Cookie` for `name`, whole.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|c| c.starts_with(&format!("{name}=")))
            .map(str::to_string)
    }

    /// The value of the first hidden `csrf` field.
    pub fn csrf(&self) -> String {
        super::page::csrf(&self.body)
    }

    /// The value of hidden field `name` (HTML entities undone).
    pub fn hidden(&self, name: &str) -> String {
        let v = between(
            &self.body,
            &format!("type=\"hidden\" name=\"{name}\" value=\""),
            "\"",
        )
        .unwrap_or_else(|| panic!("no hidden {name} in {}", self.body));
        unescape(v)
    }
}

/// A browser's cookie jar, by hand.
#[derive(Clone, Default)]
pub struct Jar(pub Vec<(String, String)>);

impl Jar {
    /// Keeps the cookies `p` set; drops those it expired.
    pub fn take(&mut self, p: &Page) {
        for c in p.headers.get_all(SET_COOKIE).iter() {
            let c = c.to_str().unwrap();
            let (kv, attrs) = c.split_once(';').unwrap_or((c, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.0.retain(|(n, _)| n != k);
            if !v.is_empty() && !attrs.contains("Max-Age=0") {
                self.0.push((k.to_string(), v.to_string()));
            }
        }
    }

    /// The `Cookie` header.
    pub fn header(&self) -> String {
        self.0
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The cookie `name`'s value.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A copy with cookie `name` set to `value`.
    pub fn with(&self, name: &str, value: &str) -> Jar {
        let mut j = self.clone();
        j.0.retain(|(n, _)| n != name);
        j.0.push((name.into(), value.into()));
        j
    }
}

impl Srv {
    /// A server on both roles (`super::serve_both`) with the login limit raised (tests sign in
    /// more often than a person would), then `tune`.
    pub async fn start_with(tune: impl FnOnce(&mut Config)) -> Srv {
        let clock = ManualClock::at_system_time();
        let super::Served {
            dir,
            app,
            base,
            password,
            task,
        } = super::serve_both(clock.clone(), |config| {
            config.http.rate_limit_login.burst = 1000;
            config.http.rate_limit_login.per_second = 100.0;
            tune(config);
        })
        .await;
        Srv {
            _dir: dir,
            app,
            base,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            clock,
            password,
            _task: task,
        }
    }

    /// `m path` with the jar's cookies (and a same-origin `Referer`), `form` as the body.
    pub async fn send(
        &self,
        m: Method,
        path: &str,
        jar: &Jar,
        form: Option<&[(&str, &str)]>,
    ) -> Page {
        let mut req = self
            .http
            .request(m, format!("{}{path}", self.base))
            .header(COOKIE, jar.header())
            .header("referer", format!("{}{path}", self.base));
        if let Some(f) = form {
            req = req.form(f);
        }
        let r = req.send().await.unwrap();
        Page {
            status: r.status().as_u16(),
            headers: r.headers().clone(),
            body: r.text().await.unwrap(),
        }
    }

    /// GET `path`, keeping the cookies it sets.
    pub async fn get(&self, path: &str, jar: &mut Jar) -> Page {
        let p = self.send(Method::GET, path, jar, None).await;
        jar.take(&p);
        p
    }

    /// POST `form` to `path`, keeping the cookies it sets.
    pub async fn post(&self, path: &str, jar: &mut Jar, form: &[(&str, &str)]) -> Page {
        let p = self.send(Method::POST, path, jar, Some(form)).await;
        jar.take(&p);
        p
    }

    /// The TOTP code of `secret` now on the server's clock.
    pub fn code(&self, secret: &str) -> String {
        totp::code_from_base32(secret, self.clock.now()).unwrap()
    }
}
