//! Configuration: one struct, [`Config`], parsed once at start (command line, else environment
//! variable, else default) and passed down: the store gets its URL, the services their
//! [`HubConfig`] and secrets, the HTTP layer its [`HttpConfig`]. Nothing below reads the
//! environment. Every variable is in `hwf-license --help` (the secrets, which are never taken
//! from the command line, in its "Environment only" list) and in `docs/SERVER.md`.
//!
//! Imports: `domain` only (and core).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;
use hwf_license::Environment;

/// `hwf-license --help`'s list of the variables read only from the environment (secrets never
/// go on a command line, where other users of the host can read them).
pub const ENV_HELP: &str = "Environment only (never taken from the command line):
  HWF_MASTER_SECRET   required; at least 32 bytes: seals every private key and signs tokens
                      (generate one with `hwf-license keys master-secret`)
  HWF_ADMIN_PASSWORD  password of the first admin, created on first start
                      (else one is generated and printed once)
  HWF_NEW_PASSWORD    password of `user add` (else one is generated and printed once)
  HWF_METRICS_TOKEN   bearer token that reads /metrics (else only a signed-in user's token,
                      or --metrics-listen)
Under systemd, a secret whose variable is unset is read from $CREDENTIALS_DIRECTORY (LoadCredential=):
  master-secret, admin-password, metrics-token (one value per file; a final newline is dropped)";

/// The variable holding the master secret.
pub const MASTER_SECRET_ENV: &str = "HWF_MASTER_SECRET";
/// The variable that sets the first admin's password.
pub const ADMIN_PASSWORD_ENV: &str = "HWF_ADMIN_PASSWORD";
/// The variable that sets the password of `user add`.
pub const NEW_PASSWORD_ENV: &str = "HWF_NEW_PASSWORD";
/// The variable holding the bearer token of `/metrics`.
pub const METRICS_TOKEN_ENV: &str = "HWF_METRICS_TOKEN";
/// The variable systemd sets to the folder of a service's credentials (`LoadCredential=`).
pub const CREDENTIALS_DIRECTORY_ENV: &str = "CREDENTIALS_DIRECTORY";
/// The largest credential file read (a secret is tens of bytes; this bounds a wrong path).
pub const MAX_CREDENTIAL_BYTES: u64 = 4096;

/// Everything a command may need. [`Config::default`] is what an empty command line and
/// environment give (tests start from it and set what they need).
#[derive(Clone, Debug, Default, Args)]
pub struct Config {
    /// Where the data is.
    #[command(flatten)]
    pub store: StoreConfig,
    /// The Hub's settings.
    #[command(flatten)]
    pub hub: HubConfig,
    /// The HTTP service's settings.
    #[command(flatten)]
    pub http: HttpConfig,
    /// Logging.
    #[command(flatten)]
    pub log: LogConfig,
    /// Accounts: the step-up window.
    #[command(flatten)]
    pub accounts: AccountsConfig,
    /// The secrets (see [`ENV_HELP`]), read by [`Secrets::from_env`].
    #[arg(skip)]
    pub secrets: Secrets,
    /// Argon2id cost of new passwords (the OWASP baseline; not settable from the command line
    /// or the environment, tests lower it).
    #[arg(skip)]
    pub hash_cost: HashCost,
}

/// Where the data is.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Storage")]
pub struct StoreConfig {
    /// Data directory of the embedded SQLite database (`DIR/hwf-license.db`).
    #[arg(long, global = true, env = "HWF_DATA_DIR", default_value = "hwf-data")]
    pub data_dir: PathBuf,
    /// Database URL (`postgres://…` or `sqlite://…`); overrides --data-dir.
    #[arg(long, global = true, env = "HWF_DATABASE_URL")]
    pub database_url: Option<String>,
}

impl Default for StoreConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("hwf-data"),
            database_url: None,
        }
    }
}

/// The Hub's settings.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Hub")]
pub struct HubConfig {
    /// Environment the Hub's validator accepts (`prod` or `dev`).
    #[arg(long, global = true, env = "HWF_ENVIRONMENT", default_value = "prod", value_parser = parse_env)]
    pub environment: Environment,
    /// The Root's base URL, where the Hub sends manifests.
    #[arg(long, global = true, env = "HWF_ROOT_URL")]
    pub root_url: Option<String>,
    /// Delivery attempts per manifest send (1–20).
    #[arg(long, global = true, env = "HWF_MANIFEST_ATTEMPTS", default_value_t = 3,
          value_parser = clap::value_parser!(u32).range(1..=20))]
    pub manifest_attempts: u32,
    /// Milliseconds before the first retry of a delivery, doubled before each next one (0–60000).
    #[arg(long, global = true, env = "HWF_MANIFEST_BACKOFF_MS", default_value_t = 200,
          value_parser = clap::value_parser!(u64).range(0..=60_000))]
    pub manifest_backoff_ms: u64,
    /// Seconds between the alert checks of `serve` (each change is logged once).
    #[arg(long, global = true, env = "HWF_ALERT_INTERVAL", default_value_t = 300)]
    pub alert_interval: u64,
    /// PEM file of the CA (or self-signed certificate) the Root's TLS certificate must chain
    /// to, instead of the public web roots.
    #[arg(long, global = true, env = "HWF_ROOT_CA")]
    pub root_ca: Option<PathBuf>,
    /// SHA-256 fingerprint (hex, colons allowed) of the Root's TLS certificate: the Hub accepts
    /// exactly that certificate (for a Root with a self-signed one), whatever its names.
    #[arg(long, global = true, env = "HWF_ROOT_FINGERPRINT", value_parser = parse_fingerprint)]
    pub root_fingerprint: Option<[u8; 32]>,
    /// Day of the month (UTC, 1–28) from which `serve` generates and sends the previous month's
    /// manifest by itself; 0 turns the schedule off.
    #[arg(long, global = true, env = "HWF_MANIFEST_DAY", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(0..=28))]
    pub manifest_day: u32,
    /// Hour (UTC, 0–23) of that day from which the schedule runs.
    #[arg(long, global = true, env = "HWF_MANIFEST_HOUR", default_value_t = 0,
          value_parser = clap::value_parser!(u32).range(0..=23))]
    pub manifest_hour: u32,
    /// Seconds between the schedule's checks (a failed send is retried after an hour).
    #[arg(long, global = true, env = "HWF_MANIFEST_CHECK_INTERVAL", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub manifest_check_interval: u64,
}

impl Default for HubConfig {
    fn default() -> Self {
        Self {
            environment: Environment::Prod,
            root_url: None,
            manifest_attempts: 3,
            manifest_backoff_ms: 200,
            alert_interval: 300,
            root_ca: None,
            root_fingerprint: None,
            manifest_day: 1,
            manifest_hour: 0,
            manifest_check_interval: 300,
        }
    }
}

/// The HTTP service's settings.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "HTTP")]
pub struct HttpConfig {
    /// Address `serve` listens on.
    #[arg(
        long,
        global = true,
        env = "HWF_LISTEN",
        default_value = "127.0.0.1:8080"
    )]
    pub listen: SocketAddr,
    /// Login attempts per client IP: `N/min[:BURST]`, `N/s[:BURST]`, `N/h[:BURST]`, or `0` for
    /// no limit.
    #[arg(long, global = true, env = "HWF_RATE_LIMIT_LOGIN", default_value = "10/min", value_parser = Rate::parse)]
    pub rate_limit_login: Rate,
    /// Site-node requests (validate, heartbeat, license download) per client IP (an IPv6
    /// client is its /64), same syntax, or `0`.
    #[arg(long, global = true, env = "HWF_RATE_LIMIT_NODE", default_value = "50/s:100", value_parser = Rate::parse)]
    pub rate_limit_node: Rate,
    /// Every other endpoint that needs no token (`/healthz`, `/readyz`, `/api/health`,
    /// `/api/openapi.json`, `/api/root/keys`, `/metrics`) per client IP, same syntax, or `0`.
    #[arg(long, global = true, env = "HWF_RATE_LIMIT_PUBLIC", default_value = "20/s:40", value_parser = Rate::parse)]
    pub rate_limit_public: Rate,
    /// Manifest deliveries (`POST /api/root/manifests`, no token, up to 8 MiB) per client IP.
    #[arg(long, global = true, env = "HWF_RATE_LIMIT_MANIFEST", default_value = "30/h:10", value_parser = Rate::parse)]
    pub rate_limit_manifest: Rate,
    /// Site exports (`GET /sites.csv`, `GET /api/sites/export`: up to 100,000 rows each) per
    /// client IP, same syntax, or `0`.
    #[arg(long, global = true, env = "HWF_RATE_LIMIT_EXPORT", default_value = "30/min:10", value_parser = Rate::parse)]
    pub rate_limit_export: Rate,
    /// PEM certificate chain `serve` presents (with --tls-key). Without both, a self-signed
    /// certificate is generated on first start in `DATA_DIR/tls/` and reused.
    #[arg(long, global = true, env = "HWF_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert (PKCS#8, SEC1 or PKCS#1).
    #[arg(long, global = true, env = "HWF_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Lowest TLS version `serve` accepts: `1.3` (default) or `1.2`.
    #[arg(long, global = true, env = "HWF_TLS_MIN_VERSION", default_value = "1.3", value_parser = parse_tls_version)]
    pub tls_min_version: TlsVersion,
    /// Serve plain HTTP instead of HTTPS: only on a loopback --listen address, or behind a
    /// TLS-terminating proxy named in --trusted-proxies.
    #[arg(long, global = true, env = "HWF_INSECURE_HTTP")]
    pub insecure_http: bool,
    /// Seconds a client has for the TLS handshake and for each request's header (also the
    /// idle time of a kept-alive connection).
    #[arg(long, global = true, env = "HWF_HEADER_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub header_timeout: u64,
    /// Seconds the request body may stall between two reads.
    #[arg(long, global = true, env = "HWF_BODY_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout: u64,
    /// Seconds a whole request may take, body and handler (then 408 `request-timeout`).
    #[arg(long, global = true, env = "HWF_REQUEST_TIMEOUT", default_value_t = 120,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Most open connections (further ones are closed at once); keep it below `ulimit -n`.
    #[arg(long, global = true, env = "HWF_MAX_CONNECTIONS", default_value_t = 768,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Most open connections per client IP (an IPv6 client is its /64); a trusted proxy is
    /// counted only against --max-connections.
    #[arg(long, global = true, env = "HWF_MAX_CONNECTIONS_PER_IP", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections_per_ip: u32,
    /// Reverse proxies whose `X-Forwarded-For` is believed (comma-separated addresses or
    /// CIDRs); from any other peer the header is ignored.
    #[arg(long, global = true, env = "HWF_TRUSTED_PROXIES", value_delimiter = ',', value_parser = Cidr::parse)]
    pub trusted_proxies: Vec<Cidr>,
    /// Verifications (license, ledger, manifest) run at once on the blocking pool; `0`: one
    /// less than the cores (at least 1).
    #[arg(long, global = true, env = "HWF_VERIFY_WORKERS", default_value_t = 0)]
    pub verify_workers: u32,
    /// Verifications waiting for a worker before further ones are answered 503 `overloaded`.
    #[arg(long, global = true, env = "HWF_VERIFY_QUEUE", default_value_t = 32)]
    pub verify_queue: u32,
    /// Also serve `/metrics` without a token on this address (plain HTTP: keep it on a
    /// private or loopback interface). On the main listener `/metrics` needs a token.
    #[arg(long, global = true, env = "HWF_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

impl HttpConfig {
    /// The verification workers: `verify_workers`, or one less than the cores (at least 1).
    pub fn verify_workers(&self) -> usize {
        match self.verify_workers {
            0 => std::thread::available_parallelism()
                .map_or(1, |n| n.get().saturating_sub(1))
                .max(1),
            n => n as usize,
        }
    }

    /// Whether `ip` is a trusted proxy.
    pub fn is_trusted_proxy(&self, ip: std::net::IpAddr) -> bool {
        self.trusted_proxies.iter().any(|c| c.contains(ip))
    }
}

/// A TLS protocol version `serve` may accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlsVersion {
    /// TLS 1.2 (and 1.3).
    Tls12,
    /// TLS 1.3 only.
    Tls13,
}

fn parse_tls_version(s: &str) -> Result<TlsVersion, String> {
    match s {
        "1.3" => Ok(TlsVersion::Tls13),
        "1.2" => Ok(TlsVersion::Tls12),
        _ => Err(format!("TLS version {s:?}: expected 1.3 or 1.2")),
    }
}

/// A 32-byte SHA-256 fingerprint from hex (colons and spaces ignored, any case).
pub fn parse_fingerprint(s: &str) -> Result<[u8; 32], String> {
    let hex_digits: String = s.chars().filter(|c| !matches!(c, ':' | ' ')).collect();
    let bytes = hex::decode(&hex_digits)
        .map_err(|_| format!("fingerprint {s:?}: expected 64 hex digits (colons allowed)"))?;
    bytes
        .try_into()
        .map_err(|_| format!("fingerprint {s:?}: expected 32 bytes (64 hex digits)"))
}

/// An address block: `ADDR` or `ADDR/PREFIX` (IPv4-mapped IPv6 addresses count as IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The network address.
    pub addr: std::net::IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `192.0.2.7`, `2001:db8::/32`, `::1`.
    pub fn parse(s: &str) -> Result<Cidr, String> {
        let s = s.trim();
        let bad = || format!("address block {s:?}: expected ADDR or ADDR/PREFIX");
        let (a, p) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let addr = canonical(a.parse().map_err(|_| bad())?);
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = p.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the block.
    pub fn contains(&self, ip: std::net::IpAddr) -> bool {
        use std::net::IpAddr::{V4, V6};
        match (self.addr, canonical(ip)) {
            (V4(n), V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (V6(n), V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// An IPv4-mapped IPv6 address as IPv4, any other address as is.
pub fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            rate_limit_login: Rate {
                per_second: 10.0 / 60.0,
                burst: 10,
            },
            rate_limit_node: Rate {
                per_second: 50.0,
                burst: 100,
            },
            rate_limit_public: Rate {
                per_second: 20.0,
                burst: 40,
            },
            rate_limit_manifest: Rate {
                per_second: 30.0 / 3600.0,
                burst: 10,
            },
            rate_limit_export: Rate {
                per_second: 30.0 / 60.0,
                burst: 10,
            },
            tls_cert: None,
            tls_key: None,
            tls_min_version: TlsVersion::Tls13,
            insecure_http: false,
            header_timeout: 10,
            body_timeout: 10,
            request_timeout: 120,
            max_connections: 768,
            max_connections_per_ip: 64,
            trusted_proxies: Vec::new(),
            verify_workers: 0,
            verify_queue: 32,
            metrics_listen: None,
        }
    }
}

/// Accounts.
#[derive(Clone, Debug, Args)]
#[command(next_help_heading = "Accounts")]
pub struct AccountsConfig {
    /// Minutes an admin action is allowed after a second factor (TOTP or recovery code) was
    /// checked at sign-in or step-up (1–1440).
    #[arg(long, global = true, env = "HWF_STEP_UP_MINUTES", default_value_t = 15,
          value_parser = clap::value_parser!(u32).range(1..=1440))]
    pub step_up_minutes: u32,
}

impl Default for AccountsConfig {
    fn default() -> Self {
        Self {
            step_up_minutes: 15,
        }
    }
}

/// Logging.
#[derive(Clone, Debug, Default, Args)]
#[command(next_help_heading = "Logs")]
pub struct LogConfig {
    /// Log level: `error`, `warn`, `info`, `debug` or `trace` (default `info`, `warn` for the
    /// demo).
    #[arg(long = "log", global = true, env = "HWF_LOG", value_parser = parse_level)]
    pub level: Option<tracing::Level>,
    /// Log line format: `json` (default for `serve`) or `text` (default otherwise).
    #[arg(long, global = true, env = "HWF_LOG_FORMAT", value_enum)]
    pub log_format: Option<LogFormat>,
}

/// How log lines are written to stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line (`timestamp`, `level`, `target`, `fields`, `span`).
    Json,
    /// Human-readable text.
    Text,
}

/// The secrets, from the environment only.
#[derive(Clone, Default)]
pub struct Secrets {
    /// `HWF_MASTER_SECRET`.
    pub master_secret: Option<String>,
    /// `HWF_ADMIN_PASSWORD`.
    pub admin_password: Option<String>,
    /// `HWF_NEW_PASSWORD`.
    pub new_password: Option<String>,
    /// `HWF_METRICS_TOKEN`.
    pub metrics_token: Option<String>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("Secrets")
            .field("master_secret", &set(&self.master_secret))
            .field("admin_password", &set(&self.admin_password))
            .field("new_password", &set(&self.new_password))
            .field("metrics_token", &set(&self.metrics_token))
            .finish()
    }
}

impl Secrets {
    /// Reads the secrets from the environment (an empty variable counts as unset); a secret
    /// whose variable is unset is then read from the systemd credentials folder, if
    /// `CREDENTIALS_DIRECTORY` is set (see [`Secrets::from_vars`]).
    pub fn from_env() -> Result<Self, String> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`Secrets::from_env`] with the variables looked up by `var`: `HWF_MASTER_SECRET`,
    /// `HWF_ADMIN_PASSWORD`, `HWF_NEW_PASSWORD`, `HWF_METRICS_TOKEN`, then, for the unset ones
    /// among the master secret, the admin password and the metrics token, the files
    /// `master-secret`, `admin-password` and `metrics-token` in `$CREDENTIALS_DIRECTORY`. A
    /// missing file counts as unset; an unreadable one, one over [`MAX_CREDENTIAL_BYTES`], or
    /// one not UTF-8 is an error naming the file (never its content). One final newline is
    /// dropped (`echo secret > file`); an empty file counts as unset.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| var(name).filter(|v| !v.is_empty());
        let mut secrets = Self {
            master_secret: get(MASTER_SECRET_ENV),
            admin_password: get(ADMIN_PASSWORD_ENV),
            new_password: get(NEW_PASSWORD_ENV),
            metrics_token: get(METRICS_TOKEN_ENV),
        };
        if let Some(dir) = get(CREDENTIALS_DIRECTORY_ENV) {
            let dir = PathBuf::from(dir);
            for (slot, name) in [
                (&mut secrets.master_secret, "master-secret"),
                (&mut secrets.admin_password, "admin-password"),
                (&mut secrets.metrics_token, "metrics-token"),
            ] {
                if slot.is_none() {
                    *slot = read_credential(&dir.join(name))?;
                }
            }
        }
        Ok(secrets)
    }
    /// Only a master secret.
    pub fn with_master(master_secret: impl Into<String>) -> Self {
        Self {
            master_secret: Some(master_secret.into()),
            ..Self::default()
        }
    }
}

impl Config {
    /// The defaults with `database_url` and `master_secret` (what a test or the demo sets).
    pub fn new(database_url: impl Into<String>, master_secret: impl Into<String>) -> Self {
        Self {
            store: StoreConfig {
                database_url: Some(database_url.into()),
                ..StoreConfig::default()
            },
            secrets: Secrets::with_master(master_secret),
            ..Self::default()
        }
    }
}

/// One credential file: `None` if it is missing or empty.
fn read_credential(path: &std::path::Path) -> Result<Option<String>, String> {
    use std::io::Read;
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("credential {}: {e}", path.display())),
    };
    let mut bytes = Vec::new();
    file.take(MAX_CREDENTIAL_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("credential {}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_CREDENTIAL_BYTES {
        return Err(format!(
            "credential {}: over {MAX_CREDENTIAL_BYTES} bytes",
            path.display()
        ));
    }
    let mut text = String::from_utf8(bytes)
        .map_err(|_| format!("credential {}: not UTF-8", path.display()))?;
    if text.ends_with('\n') {
        text.pop();
        if text.ends_with('\r') {
            text.pop();
        }
    }
    Ok(Some(text).filter(|t| !t.is_empty()))
}

/// Argon2id cost parameters (memory KiB, iterations). Production uses the OWASP baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Iterations.
    pub t: u32,
}

impl Default for HashCost {
    fn default() -> Self {
        Self {
            m_kib: 19_456,
            t: 2,
        }
    }
}

/// Which services a process runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Roles {
    /// The Root (A-Stack) only.
    Root,
    /// A Hub only.
    Hub,
    /// Both, in one process over one database (single-machine setup, the demo).
    Both,
}

impl Roles {
    /// Whether the Root runs.
    pub fn root(self) -> bool {
        matches!(self, Self::Root | Self::Both)
    }

    /// Whether a Hub runs.
    pub fn hub(self) -> bool {
        matches!(self, Self::Hub | Self::Both)
    }
}

/// A request rate: `per_second` sustained, `burst` at once. `per_second == 0` means no limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Requests allowed per second, sustained.
    pub per_second: f64,
    /// Requests allowed at once.
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const OFF: Rate = Rate {
        per_second: 0.0,
        burst: 0,
    };

    /// Whether this rate limits anything.
    pub fn is_off(&self) -> bool {
        self.per_second <= 0.0
    }

    /// Parses `0` (off), `N/s`, `N/min`, `N/h` or `N` (per second), optionally followed by
    /// `:BURST` (default: N, at least 1). Examples: `10/min`, `50/s:100`.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let bad = || format!("rate {s:?}: expected 0, N/s, N/min or N/h, optionally :BURST");
        let (rate, burst) = match s.split_once(':') {
            Some((r, b)) => (r, Some(b.trim().parse::<u32>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let (n, unit) = match rate.split_once('/') {
            Some((n, u)) => (n, u.trim()),
            None => (rate, "s"),
        };
        let n: f64 = n.trim().parse().map_err(|_| bad())?;
        if !n.is_finite() || n < 0.0 {
            return Err(bad());
        }
        if n == 0.0 {
            return Ok(Rate::OFF);
        }
        let per_second = match unit {
            "s" | "sec" | "second" => n,
            "m" | "min" | "minute" => n / 60.0,
            "h" | "hour" => n / 3600.0,
            _ => return Err(bad()),
        };
        let burst = burst.unwrap_or(n.ceil() as u32).max(1);
        Ok(Rate { per_second, burst })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_off() {
            write!(f, "off")
        } else {
            let per_min = self.per_second * 60.0;
            if self.per_second < 1.0 && (per_min - per_min.round()).abs() < 1e-9 {
                write!(f, "{per_min}/min:{}", self.burst)
            } else {
                write!(f, "{}/s:{}", self.per_second, self.burst)
            }
        }
    }
}

fn parse_env(s: &str) -> Result<Environment, String> {
    Environment::parse(s).map_err(|e| e.to_string())
}

fn parse_level(s: &str) -> Result<tracing::Level, String> {
    s.parse()
        .map_err(|_| format!("log level {s:?}: expected error, warn, info, debug or trace"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Probe {
        #[command(flatten)]
        config: Config,
    }

    #[test]
    fn the_default_is_what_an_empty_command_line_gives() {
        if std::env::vars().any(|(k, _)| k.starts_with("HWF_") && !k.starts_with("HWF_TEST")) {
            return; // the environment would be read too
        }
        let parsed = Probe::parse_from(["hwf-license"]).config;
        let d = Config::default();
        assert_eq!(parsed.store.data_dir, d.store.data_dir);
        assert_eq!(parsed.store.database_url, d.store.database_url);
        assert_eq!(parsed.hub.environment, d.hub.environment);
        assert_eq!(parsed.hub.manifest_attempts, d.hub.manifest_attempts);
        assert_eq!(parsed.hub.manifest_backoff_ms, d.hub.manifest_backoff_ms);
        assert_eq!(parsed.hub.alert_interval, d.hub.alert_interval);
        assert_eq!(parsed.hub.manifest_day, d.hub.manifest_day);
        assert_eq!(parsed.hub.manifest_hour, d.hub.manifest_hour);
        assert_eq!(parsed.http.listen, d.http.listen);
        assert_eq!(parsed.http.rate_limit_login, d.http.rate_limit_login);
        assert_eq!(parsed.http.rate_limit_node, d.http.rate_limit_node);
        assert_eq!(parsed.http.rate_limit_public, d.http.rate_limit_public);
        assert_eq!(parsed.http.rate_limit_manifest, d.http.rate_limit_manifest);
        assert_eq!(parsed.http.rate_limit_export, d.http.rate_limit_export);
        assert_eq!(parsed.http.tls_min_version, d.http.tls_min_version);
        assert_eq!(parsed.http.insecure_http, d.http.insecure_http);
        assert_eq!(
            (parsed.http.header_timeout, parsed.http.body_timeout),
            (d.http.header_timeout, d.http.body_timeout)
        );
        assert_eq!(parsed.http.request_timeout, d.http.request_timeout);
        assert_eq!(parsed.http.max_connections, d.http.max_connections);
        assert_eq!(
            parsed.http.max_connections_per_ip,
            d.http.max_connections_per_ip
        );
        assert_eq!(parsed.http.verify_workers, d.http.verify_workers);
        assert_eq!(parsed.http.verify_queue, d.http.verify_queue);
        assert_eq!(parsed.accounts.step_up_minutes, d.accounts.step_up_minutes);
    }

    #[test]
    fn address_blocks_and_fingerprints_parse() {
        let c = Cidr::parse("10.1.0.0/16").unwrap();
        assert!(c.contains("10.1.255.3".parse().unwrap()));
        assert!(c.contains("::ffff:10.1.0.9".parse().unwrap()));
        assert!(!c.contains("10.2.0.1".parse().unwrap()));
        assert!(!c.contains("::1".parse().unwrap()));
        let one = Cidr::parse("192.0.2.7").unwrap();
        assert!(one.contains("192.0.2.7".parse().unwrap()));
        assert!(!one.contains("192.0.2.8".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0")
            .unwrap()
            .contains("8.8.8.8".parse().unwrap()));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains("2001:db8:1::1".parse().unwrap()));
        for bad in ["", "10.0.0.0/33", "::/129", "host", "10.0.0.0/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
        let fp = "AB:".repeat(31) + "AB";
        assert_eq!(parse_fingerprint(&fp).unwrap(), [0xab; 32]);
        assert!(parse_fingerprint("abcd").is_err());
        assert!(parse_fingerprint(&"zz".repeat(32)).is_err());
    }

    #[test]
    fn bounds_are_checked_when_parsing() {
        assert!(Probe::try_parse_from(["x", "--manifest-attempts", "0"]).is_err());
        assert!(Probe::try_parse_from(["x", "--manifest-attempts", "21"]).is_err());
        assert!(Probe::try_parse_from(["x", "--manifest-backoff-ms", "60001"]).is_err());
        assert!(Probe::try_parse_from(["x", "--rate-limit-node", "5/day"]).is_err());
        let p = Probe::try_parse_from(["x", "--rate-limit-node", "2/s:3"]).unwrap();
        assert_eq!(
            p.config.http.rate_limit_node,
            Rate {
                per_second: 2.0,
                burst: 3
            }
        );
    }

    #[test]
    fn rates_parse() {
        assert_eq!(
            Rate::parse("10/min").unwrap(),
            Rate {
                per_second: 10.0 / 60.0,
                burst: 10
            }
        );
        assert_eq!(
            Rate::parse("50/s:100").unwrap(),
            Rate {
                per_second: 50.0,
                burst: 100
            }
        );
        assert!(Rate::parse("0").unwrap().is_off());
        for shown in ["10/min:10", "50/s:100", "off"] {
            let back = if shown == "off" { "0" } else { shown };
            assert_eq!(Rate::parse(back).unwrap().to_string(), shown);
        }
        assert!(Rate::parse("0/min").unwrap().is_off());
        for bad in ["", "x", "10/day", "-1/s", "10/s:x", "NaN"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn secrets_come_from_the_credentials_directory_when_their_variable_is_unset() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("master-secret"), "m".repeat(40) + "\n").unwrap();
        std::fs::write(dir.path().join("metrics-token"), "tok").unwrap();
        let dir_s = dir.path().to_str().unwrap().to_string();
        let vars = |extra: &'static [(&'static str, &'static str)]| {
            let dir_s = dir_s.clone();
            move |name: &str| {
                if name == CREDENTIALS_DIRECTORY_ENV {
                    return Some(dir_s.clone());
                }
                extra
                    .iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| v.to_string())
            }
        };
        let s = Secrets::from_vars(vars(&[])).unwrap();
        assert_eq!(s.master_secret.as_deref(), Some("m".repeat(40).as_str()));
        assert_eq!(s.metrics_token.as_deref(), Some("tok"));
        assert_eq!(s.admin_password, None, "a missing file is unset");
        // The variable wins over the file.
        let s = Secrets::from_vars(vars(&[(MASTER_SECRET_ENV, "from-env")])).unwrap();
        assert_eq!(s.master_secret.as_deref(), Some("from-env"));
        // Without CREDENTIALS_DIRECTORY no file is read.
        let s = Secrets::from_vars(|_| None).unwrap();
        assert_eq!(s.master_secret, None);
        // Too large, not UTF-8: an error naming the file, not its content.
        std::fs::write(dir.path().join("admin-password"), vec![b'x'; 5000]).unwrap();
        let e = Secrets::from_vars(vars(&[])).unwrap_err();
        assert!(e.contains("admin-password") && e.contains("4096"), "{e}");
        std::fs::write(dir.path().join("admin-password"), [0xff, 0xfe]).unwrap();
        let e = Secrets::from_vars(vars(&[])).unwrap_err();
        assert!(e.contains("not UTF-8"), "{e}");
        // An empty file is unset.
        std::fs::write(dir.path().join("admin-password"), "").unwrap();
        assert_eq!(Secrets::from_vars(vars(&[])).unwrap().admin_password, None);
    }

    #[test]
    fn secrets_are_never_shown() {
        let s = Secrets::with_master("a master secret that must not leak");
        assert!(!format!("{s:?}").contains("leak"));
    }
}
