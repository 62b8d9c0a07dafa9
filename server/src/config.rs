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
  HWF_NEW_PASSWORD    password of `user add` (else one is generated and printed once)";

/// The variable holding the master secret.
pub const MASTER_SECRET_ENV: &str = "HWF_MASTER_SECRET";
/// The variable that sets the first admin's password.
pub const ADMIN_PASSWORD_ENV: &str = "HWF_ADMIN_PASSWORD";
/// The variable that sets the password of `user add`.
pub const NEW_PASSWORD_ENV: &str = "HWF_NEW_PASSWORD";

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
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &Option<String>| if s.is_some() { "set" } else { "unset" };
        f.debug_struct("Secrets")
            .field("master_secret", &set(&self.master_secret))
            .field("admin_password", &set(&self.admin_password))
            .field("new_password", &set(&self.new_password))
            .finish()
    }
}

impl Secrets {
    /// Reads the secrets from the environment (an empty variable counts as unset).
    pub fn from_env() -> Self {
        let var = |name| std::env::var(name).ok().filter(|v| !v.is_empty());
        Self {
            master_secret: var(MASTER_SECRET_ENV),
            admin_password: var(ADMIN_PASSWORD_ENV),
            new_password: var(NEW_PASSWORD_ENV),
        }
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
    fn secrets_are_never_shown() {
        let s = Secrets::with_master("a master secret that must not leak");
        assert!(!format!("{s:?}").contains("leak"));
    }
}
