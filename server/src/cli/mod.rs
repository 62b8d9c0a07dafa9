//! The `hwf-license` command line: `serve` runs the HTTP service; every other subcommand does one
//! operator task directly on the database (the same service code the HTTP API calls), or
//! offline on files (`site verify`, `manifest verify --cml`). Output is for people; `--json`
//! prints JSON for scripts. Errors go to stderr (a problem object with `--json`), exit status 1.
//! The configuration ([`Config`]) is parsed once here, from the command line and the
//! environment, and passed down.
//!
//! Imports: everything below it (`app`, `http` for problem objects and the OpenAPI document,
//! `service`, `config`, `domain`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use hwf_license::{Environment, NodeFacts, PublicKey, TrustedRoot, Validator};
use serde::Serialize;
use serde_json::json;

use crate::app::App;
use crate::config::{Config, LogFormat, Roles, Secrets, ENV_HELP};
use crate::domain::{Realm, Role};
use crate::http::problem::Problem;
use crate::service::accounts::generate_password;
use crate::service::audit::Actor;
use crate::service::hub::{Hub, ImportLine, NewSite, SiteQuery};
use crate::service::keys::Sealer;
use crate::service::root::Root;

/// hwf-license: Root and Hub license service and operator tools.
#[derive(Debug, Parser)]
#[command(name = "hwf-license", version, about, after_help = ENV_HELP)]
pub struct Cli {
    /// The configuration (every option also reads its `HWF_*` variable).
    #[command(flatten)]
    pub config: Config,
    /// Print JSON instead of text.
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

fn parse_env(s: &str) -> Result<Environment, String> {
    Environment::parse(s).map_err(|e| e.to_string())
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (on --listen, with the rate limits, the Root URL and the alert
    /// interval of the configuration).
    Serve {
        /// Services to run.
        #[arg(long, value_enum, default_value = "hub")]
        role: Roles,
    },
    /// Run the end-to-end scenario in a temporary directory (or on an empty --database-url).
    Demo {
        /// Keep the data in this directory instead of a temporary one.
        #[arg(long)]
        keep: Option<PathBuf>,
    },
    /// Keys: master secret, org key, root keys, trusted roots.
    #[command(subcommand)]
    Keys(KeysCmd),
    /// CMLs: issue and refresh (Root), upload and show (Hub).
    #[command(subcommand)]
    Cml(CmlCmd),
    /// Site licenses (Hub).
    #[command(subcommand)]
    Site(SiteCmd),
    /// The usage ledger (Hub).
    #[command(subcommand)]
    Ledger(LedgerCmd),
    /// Usage manifests (Hub).
    #[command(subcommand)]
    Manifest(ManifestCmd),
    /// Users.
    #[command(subcommand)]
    User(UserCmd),
    /// Compliance of every org (Root).
    Orgs,
    /// Print the OpenAPI 3 document of the HTTP API (what `docs/openapi.json` holds).
    Openapi,
}

/// Key subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCmd {
    /// Print a fresh random master secret for HWF_MASTER_SECRET.
    MasterSecret,
    /// Print the Hub's org public key (generated on first use); send it to the Root.
    Org {
        /// Write the PEM here too.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Generate a new active root key for an environment (older keys stay trusted).
    RotateRoot {
        /// dev or prod.
        #[arg(long, value_parser = parse_env)]
        env: Environment,
    },
    /// Print the Root's public keys as JSON (the file `trust-root` and `site verify` read).
    ExportRoots,
    /// Trust the Root's keys on this Hub. Prints each key's fingerprint (its RFC 7638 JWK
    /// thumbprint); from a file every key needs a matching --fingerprint (checked with the
    /// Root's operator out of band), from an `https://` Root (TLS 1.3, checked like
    /// manifest deliveries: --root-fingerprint, --root-ca or the web roots) it is optional.
    TrustRoot {
        /// The JSON written by `keys export-roots`, or the Root's base URL `https://…`
        /// (reads `GET /api/root/keys`; `http://` only to loopback, and then like a file).
        source: String,
        /// A key fingerprint that must match (repeat for each key). A thumbprint is base64url
        /// and may begin with `-`: such a value is taken as the value, not as an option.
        #[arg(long, allow_hyphen_values = true)]
        fingerprint: Vec<String>,
    },
}

/// CML subcommands.
#[derive(Debug, Subcommand)]
pub enum CmlCmd {
    /// Issue a CML for an org (Root).
    Issue {
        /// The org.
        #[arg(long)]
        org_id: String,
        /// The org's public key (PEM or JWK file).
        #[arg(long)]
        org_key: PathBuf,
        /// Site limit.
        #[arg(long)]
        max_sites: u32,
        /// Days of validity.
        #[arg(long, default_value_t = 365)]
        valid_days: u32,
        /// Feature packs, comma-separated.
        #[arg(long, value_delimiter = ',')]
        features: Vec<String>,
        /// dev or prod.
        #[arg(long, value_parser = parse_env, default_value = "prod")]
        env: Environment,
        /// Grace days.
        #[arg(long, default_value_t = 30)]
        grace_days: u32,
        /// Write the CML here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Issue a new CML for an org with the previous terms (Root).
    Refresh {
        /// The org.
        #[arg(long)]
        org_id: String,
        /// Days of validity (default: as before).
        #[arg(long)]
        valid_days: Option<u32>,
        /// New site limit.
        #[arg(long)]
        max_sites: Option<u32>,
        /// Write the CML here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Verify and install a CML on this Hub.
    Upload {
        /// The CML file (compact JWS).
        file: PathBuf,
        /// Replace the installed CML with a newer one for the same org.
        #[arg(long)]
        refresh: bool,
    },
    /// Show the installed CML.
    Show,
}

/// Node facts for offline verification.
#[derive(Debug, Args)]
pub struct FactArgs {
    /// The node's IP addresses.
    #[arg(long = "address")]
    pub addresses: Vec<String>,
    /// The node's DNS name.
    #[arg(long)]
    pub dns_name: Option<String>,
    /// The node's deployment tag.
    #[arg(long)]
    pub deployment_tag: Option<String>,
}

/// Site subcommands.
#[derive(Debug, Subcommand)]
pub enum SiteCmd {
    /// Mint a site license.
    Mint {
        /// Site id.
        #[arg(long)]
        site_id: String,
        /// Product.
        #[arg(long)]
        product: Option<String>,
        /// Tier.
        #[arg(long)]
        tier: Option<String>,
        /// Features, comma-separated.
        #[arg(long, value_delimiter = ',')]
        features: Vec<String>,
        /// Bind to an address or CIDR network.
        #[arg(long)]
        address: Option<String>,
        /// Bind to a DNS suffix.
        #[arg(long)]
        dns_suffix: Option<String>,
        /// Bind to a deployment tag.
        #[arg(long)]
        deployment_tag: Option<String>,
        /// Days of validity (default: the CML's).
        #[arg(long)]
        valid_days: Option<u32>,
        /// Write site.lic here.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// List sites.
    List {
        /// active or revoked.
        #[arg(long)]
        status: Option<String>,
        /// Substring of site id, product or tier.
        #[arg(long)]
        search: Option<String>,
        /// Page size.
        #[arg(long, default_value_t = 50)]
        limit: i64,
        /// Offset.
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
    /// Revoke a site.
    Revoke {
        /// Site id.
        site_id: String,
    },
    /// Write a site's site.lic.
    Download {
        /// Site id.
        site_id: String,
        /// Output file (default: stdout).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Mint many sites from CSV (header: site_id,product,tier,features,address,dns_suffix,
    /// deployment_tag,valid_days, any order; features separated by ';') or a JSON array of site
    /// objects; at most 1,000 rows. Each row is one create: a failed row leaves the others.
    Import {
        /// The file (.csv or .json).
        file: PathBuf,
        /// Report what each row would do and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Verify a site.lic offline with the root keys (no database).
    Verify {
        /// The site.lic.
        file: PathBuf,
        /// Root keys JSON (from `keys export-roots` or `GET /api/root/keys`).
        #[arg(long)]
        roots: PathBuf,
        /// Node facts.
        #[command(flatten)]
        facts: FactArgs,
    },
}

/// Ledger subcommands.
#[derive(Debug, Subcommand)]
pub enum LedgerCmd {
    /// Verify the whole ledger with core (names the first bad entry).
    Verify,
    /// List entries.
    List {
        /// Page size.
        #[arg(long, default_value_t = 100)]
        limit: i64,
        /// Offset.
        #[arg(long, default_value_t = 0)]
        offset: i64,
    },
}

/// Manifest subcommands.
#[derive(Debug, Subcommand)]
pub enum ManifestCmd {
    /// Generate the manifest of a period (idempotent).
    Generate {
        /// YYYY-MM (default: the current month).
        #[arg(long)]
        period: Option<String>,
    },
    /// List manifests and their delivery status.
    List,
    /// Verify a manifest file with core against a CML file, or the Hub's CML and ledger.
    Verify {
        /// The manifest (compact JWS).
        file: PathBuf,
        /// The CML file (offline); without it the Hub's installed CML and ledger are used.
        #[arg(long)]
        cml: Option<PathBuf>,
        /// Root keys JSON, needed with --cml.
        #[arg(long)]
        roots: Option<PathBuf>,
    },
    /// Send a period's manifest to the Root at --root-url.
    Send {
        /// YYYY-MM (default: the current month).
        #[arg(long)]
        period: Option<String>,
    },
    /// At the Root: receive a manifest that came by mail or by hand, exactly as one posted by
    /// a Hub, and write the receipt file to carry back (`manifest import-receipt` at the Hub).
    Receive {
        /// The manifest (compact JWS).
        file: PathBuf,
        /// The org it is from.
        #[arg(long)]
        org: String,
        /// Where to write the receipt file (default: standard output).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// At the Hub: import the receipt file the Root wrote for a period's manifest; the manifest
    /// is `sent` once the receipt verifies.
    ImportReceipt {
        /// The receipt file (JSON with `receipt` and `receipt_key_certificate`).
        file: PathBuf,
        /// YYYY-MM of the manifest.
        #[arg(long)]
        period: String,
    },
}

/// User subcommands. The CLI acts on the database directly, as the host's administrator: no
/// sign-in, no second factor (audited as `cli:<os user>`).
#[derive(Debug, Subcommand)]
pub enum UserCmd {
    /// Add a user; the password comes from HWF_NEW_PASSWORD or is generated and printed once.
    Add {
        /// Name.
        username: String,
        /// admin, operator or viewer.
        #[arg(long)]
        role: String,
        /// hub or root.
        #[arg(long, default_value = "hub", value_parser = parse_realm)]
        realm: Realm,
    },
    /// List users.
    List {
        /// hub or root.
        #[arg(long, default_value = "hub", value_parser = parse_realm)]
        realm: Realm,
    },
    /// Delete a user.
    Delete {
        /// Name.
        username: String,
        /// hub or root.
        #[arg(long, default_value = "hub", value_parser = parse_realm)]
        realm: Realm,
    },
    /// Unlock a user locked after failed sign-ins.
    Unlock {
        /// Name.
        username: String,
        /// hub or root.
        #[arg(long, default_value = "hub", value_parser = parse_realm)]
        realm: Realm,
    },
    /// Remove a user's second factor and recovery codes (a lost authenticator); an admin
    /// enrols again on the next sign-in.
    ResetMfa {
        /// Name.
        username: String,
        /// hub or root.
        #[arg(long, default_value = "hub", value_parser = parse_realm)]
        realm: Realm,
    },
}

fn parse_realm(s: &str) -> Result<Realm, String> {
    Realm::parse(s).map_err(|e| e.to_string())
}

/// Parses the command line (and the environment) once, runs it, and maps errors to exit
/// code 1.
pub fn main() -> ExitCode {
    let mut cli = Cli::parse();
    cli.config.secrets = Secrets::from_env();
    // The demo prints its own story; the service logs at INFO unless HWF_LOG says otherwise.
    let default_level = match cli.command {
        Command::Demo { .. } => tracing::Level::WARN,
        _ => tracing::Level::INFO,
    };
    let level = cli.config.log.level.unwrap_or(default_level);
    let format = cli.config.log.log_format.unwrap_or(match cli.command {
        Command::Serve { .. } => LogFormat::Json,
        _ => LogFormat::Text,
    });
    let logs = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_max_level(level);
    match format {
        LogFormat::Json => logs
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .init(),
        LogFormat::Text => logs.init(),
    }
    if matches!(cli.command, Command::Openapi) {
        print!("{}", crate::http::openapi::json());
        return ExitCode::SUCCESS;
    }
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let json = cli.json;
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(p) => {
            if json {
                eprintln!("{}", serde_json::to_string_pretty(&p).unwrap_or_default());
            } else {
                eprintln!("error: {p}");
            }
            ExitCode::FAILURE
        }
    }
}

fn read(path: &PathBuf) -> Result<String, Problem> {
    std::fs::read_to_string(path)
        .map_err(|e| Problem::bad_request(format!("cannot read {}: {e}", path.display())))
}

fn write(path: &PathBuf, text: &str) -> Result<(), Problem> {
    std::fs::write(path, text)
        .map_err(|e| Problem::bad_request(format!("cannot write {}: {e}", path.display())))
}

fn show<T: Serialize>(json: bool, value: &T, text: impl FnOnce() -> String) {
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(value).unwrap_or_default()
        );
    } else {
        println!("{}", text());
    }
}

fn when(t: Option<i64>) -> String {
    t.map(|t| hwf_license::time::Utc(t).to_string())
        .unwrap_or_else(|| "-".into())
}

/// Reads a root keys JSON file: `[{kid, environment, public_key_pem}]`.
pub fn read_roots(path: &PathBuf) -> Result<Vec<TrustedRoot>, Problem> {
    parse_roots(&read(path)?, &path.display().to_string())
}

/// Most bytes of `GET /api/root/keys` read by `keys trust-root https://…`.
const MAX_ROOT_KEYS_BYTES: usize = 1024 * 1024;

/// The root keys of the Root at `base` (`https://`), with the Hub's TLS client.
async fn fetch_roots(
    hub: &crate::config::HubConfig,
    base: &str,
) -> Result<Vec<TrustedRoot>, Problem> {
    let client = crate::tls::root_client(hub).map_err(|e| Problem::bad_request(e.to_string()))?;
    let url = format!("{}/api/root/keys", base.trim_end_matches('/'));
    let res = client
        .get(&url)
        .send()
        .await
        .map_err(|e| Problem::bad_request(format!("{url}: {e}")))?;
    if !res.status().is_success() {
        return Err(Problem::bad_request(format!("{url}: {}", res.status())));
    }
    let body = res
        .bytes()
        .await
        .map_err(|e| Problem::bad_request(format!("{url}: {e}")))?;
    if body.len() > MAX_ROOT_KEYS_BYTES {
        return Err(Problem::bad_request(format!("{url}: answer too large")));
    }
    parse_roots(&String::from_utf8_lossy(&body), &url)
}

fn parse_roots(text: &str, what: &str) -> Result<Vec<TrustedRoot>, Problem> {
    let v: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Problem::bad_request(format!("{what}: {e}")))?;
    let bad = || Problem::bad_request("root keys must be [{kid, environment, public_key_pem}]");
    v.as_array()
        .ok_or_else(bad)?
        .iter()
        .map(|k| {
            Ok(TrustedRoot::new(
                k["kid"].as_str().ok_or_else(bad)?,
                Environment::parse(k["environment"].as_str().ok_or_else(bad)?)?,
                PublicKey::from_pem(k["public_key_pem"].as_str().ok_or_else(bad)?)?,
            ))
        })
        .collect()
}

struct Ctx {
    config: Config,
}

impl Ctx {
    async fn open(&self, roles: Roles) -> Result<App, Problem> {
        let app = App::open(&self.config, roles).await?;
        if let Some(p) = &app.services.admin_password {
            show_first_password(&self.config.store.data_dir, p)?;
        }
        Ok(app)
    }

    async fn hub(&self) -> Result<std::sync::Arc<Hub>, Problem> {
        self.open(Roles::Hub)
            .await?
            .services
            .hub
            .ok_or_else(|| Problem::internal("no hub"))
    }

    async fn root(&self) -> Result<std::sync::Arc<Root>, Problem> {
        self.open(Roles::Root)
            .await?
            .services
            .root
            .ok_or_else(|| Problem::internal("no root"))
    }

    fn environment(&self) -> Environment {
        self.config.hub.environment
    }
}

/// The file the generated first admin password goes to when stderr is not a terminal (where
/// it would land in the logs).
pub const FIRST_PASSWORD_FILE: &str = "first-admin-password";

/// Shows the generated first admin password once: on stderr when it is a terminal, else in
/// `DIR/first-admin-password` (mode 0600), whose path is logged.
fn show_first_password(data_dir: &std::path::Path, password: &str) -> Result<(), Problem> {
    use std::io::IsTerminal;
    if std::io::stderr().is_terminal() {
        eprintln!("created user \"admin\"; its password (shown once): {password}");
        return Ok(());
    }
    private_dir(data_dir)?;
    let path = data_dir.join(FIRST_PASSWORD_FILE);
    write_private(&path, &format!("{password}\n"))?;
    tracing::warn!(
        path = %path.display(),
        "created user \"admin\"; its generated password is in this file (mode 0600): read it, \
         sign in, enrol a second factor and change the password, then delete the file"
    );
    Ok(())
}

/// Creates `dir` (and its parents) if needed and makes it private to this user (0700).
pub fn private_dir(dir: &std::path::Path) -> Result<(), Problem> {
    let cannot =
        |e: std::io::Error| Problem::bad_request(format!("cannot create {}: {e}", dir.display()));
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(cannot)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(cannot)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(cannot)?;
    Ok(())
}

/// Writes `text` to `path`, readable by this user only (0600), replacing any file there.
fn write_private(path: &std::path::Path, text: &str) -> Result<(), Problem> {
    use std::io::Write;
    let cannot =
        |e: std::io::Error| Problem::bad_request(format!("cannot write {}: {e}", path.display()));
    let _ = std::fs::remove_file(path);
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .map_err(cannot)
}

async fn run(cli: Cli) -> Result<(), Problem> {
    let json = cli.json;
    let store = &cli.config.store;
    if store.database_url.is_none() && !matches!(cli.command, Command::Demo { .. }) {
        private_dir(&store.data_dir)?;
    }
    let demo_url = store.database_url.clone();
    let ctx = Ctx { config: cli.config };
    let actor = Actor::cli();
    match cli.command {
        Command::Serve { role } => {
            // The certificate first: a Hub of this process may name it as --root-ca.
            if let Some(t) = crate::app::server_tls(&ctx.config)? {
                if t.generated {
                    tracing::info!(
                        certificate = %t.cert_path.display(),
                        "generated a self-signed TLS certificate"
                    );
                }
            }
            let app = ctx.open(role).await?;
            let _watch = app.watch_alerts();
            let _schedule = app.watch_manifests();
            Ok(app.serve().await?)
        }
        Command::Demo { keep } => {
            let summary = match (demo_url, keep) {
                (Some(url), _) => crate::demo::run_on(&url, "the given database", json).await?,
                (None, Some(dir)) => {
                    std::fs::create_dir_all(&dir).map_err(Problem::internal)?;
                    crate::demo::run(&dir, json).await?
                }
                (None, None) => {
                    let tmp = crate::demo::TempDir::new().map_err(Problem::internal)?;
                    crate::demo::run(tmp.path(), json).await?
                }
            };
            if json {
                show(true, &summary, String::new);
            }
            Ok(())
        }
        Command::Keys(k) => keys(&ctx, k, json).await,
        Command::Cml(c) => cml(&ctx, c, json, &actor).await,
        Command::Site(s) => site(&ctx, s, json, &actor).await,
        Command::Ledger(l) => ledger(&ctx, l, json).await,
        Command::Manifest(m) => manifest(&ctx, m, json, &actor).await,
        Command::User(u) => user(&ctx, u, json).await,
        Command::Openapi => {
            print!("{}", crate::http::openapi::json());
            Ok(())
        }
        Command::Orgs => {
            let orgs = ctx.root().await?.compliance().await?;
            show(json, &orgs, || {
                let mut s = String::from(
                    "org                 CML status  max  last manifest  active  over  overdue\n",
                );
                for o in &orgs {
                    s.push_str(&format!(
                        "{:<19} {:<10} {:>4}  {:<13} {:>6}  {:<5} {}\n",
                        o.org_id,
                        o.cml_status,
                        o.max_sites,
                        o.last_manifest_period.as_deref().unwrap_or("-"),
                        o.last_active_sites
                            .map(|a| a.to_string())
                            .unwrap_or("-".into()),
                        o.over_limit,
                        o.manifest_overdue
                    ));
                }
                s
            });
            Ok(())
        }
    }
}

async fn keys(ctx: &Ctx, k: KeysCmd, json: bool) -> Result<(), Problem> {
    match k {
        KeysCmd::MasterSecret => {
            let s = Sealer::generate_secret();
            show(json, &json!({ "master_secret": s }), || s.clone());
        }
        KeysCmd::Org { out } => {
            let hub = ctx.hub().await?;
            let key = hub.org_public_key();
            if let Some(out) = &out {
                write(out, &key.to_pem())?;
            }
            show(
                json,
                &json!({"kid": key.thumbprint(), "jwk": key.to_jwk(), "pem": key.to_pem()}),
                || format!("org key {}\n{}", key.thumbprint(), key.to_pem()),
            );
        }
        KeysCmd::RotateRoot { env } => {
            let root = ctx.root().await?;
            let (kid, key) = root.rotate_key(env).await?;
            show(json, &json!({"kid": kid, "pem": key.to_pem()}), || {
                format!("new {env} root key {kid}\n{}", key.to_pem())
            });
        }
        KeysCmd::ExportRoots => {
            let root = ctx.root().await?;
            let keys: Vec<_> = root
                .public_keys()
                .await?
                .into_iter()
                .map(|k| {
                    json!({"kid": k.root.kid, "environment": k.root.environment.as_str(),
                           "active": k.active, "public_key_pem": k.root.key.to_pem()})
                })
                .collect();
            println!(
                "{}",
                serde_json::to_string_pretty(&keys).unwrap_or_default()
            );
        }
        KeysCmd::TrustRoot {
            source,
            fingerprint,
        } => {
            let over_https = source.starts_with("https://");
            let roots = if over_https || source.starts_with("http://") {
                crate::tls::check_root_url(&source).map_err(Problem::bad_request)?;
                fetch_roots(&ctx.config.hub, &source).await?
            } else {
                read_roots(&PathBuf::from(&source))?
            };
            for r in &roots {
                eprintln!(
                    "root key {} ({}) fingerprint {}",
                    r.kid,
                    r.environment.as_str(),
                    r.key.thumbprint()
                );
            }
            let unmatched: Vec<&str> = roots
                .iter()
                .map(|r| r.key.thumbprint())
                .filter(|t| !fingerprint.iter().any(|f| f.trim() == *t))
                .collect();
            if !over_https && !unmatched.is_empty() {
                return Err(Problem::bad_request(format!(
                    "{source} is not authenticated: check each fingerprint with the Root's \
                     operator and pass it as --fingerprint (not matched: {})",
                    unmatched.join(", ")
                )));
            }
            if over_https && !fingerprint.is_empty() && !unmatched.is_empty() {
                return Err(Problem::bad_request(format!(
                    "the Root's keys do not match --fingerprint (not matched: {})",
                    unmatched.join(", ")
                )));
            }
            let hub = ctx.hub().await?;
            for r in &roots {
                hub.trust_root(&r.kid, r.environment, &r.key).await?;
            }
            let kids: Vec<_> = roots.iter().map(|r| r.kid.clone()).collect();
            show(json, &json!({ "trusted": kids }), || {
                format!("trusted {} root key(s): {}", kids.len(), kids.join(", "))
            });
        }
    }
    Ok(())
}

fn cml_text(s: &crate::service::hub::CmlStatus) -> String {
    format!(
        "CML {} for org {} ({})\n  status      {}\n  sites       {}/{}\n  features    {}\n  valid until {} (+{} days grace)\n  id          {}",
        s.license_id,
        s.org_id,
        s.environment,
        s.status,
        s.active_sites,
        s.max_sites,
        s.feature_packs.join(", "),
        when(Some(s.valid_until)),
        s.grace_days,
        s.id
    )
}

async fn cml(ctx: &Ctx, c: CmlCmd, json: bool, actor: &Actor) -> Result<(), Problem> {
    match c {
        CmlCmd::Issue {
            org_id,
            org_key,
            max_sites,
            valid_days,
            features,
            env,
            grace_days,
            out,
        } => {
            let root = ctx.root().await?;
            let issued = root
                .issue_cml(
                    &crate::service::root::IssueCml {
                        org_id,
                        org_key: serde_json::Value::String(read(&org_key)?),
                        max_sites,
                        valid_days,
                        feature_packs: features,
                        environment: env.into(),
                        grace_days: Some(grace_days),
                    },
                    actor,
                )
                .await?;
            issued_out(&issued, out.as_ref(), json)
        }
        CmlCmd::Refresh {
            org_id,
            valid_days,
            max_sites,
            out,
        } => {
            let root = ctx.root().await?;
            let issued = root
                .refresh_cml(
                    &crate::service::root::RefreshCml {
                        org_id,
                        valid_days,
                        max_sites,
                        ..Default::default()
                    },
                    actor,
                )
                .await?;
            issued_out(&issued, out.as_ref(), json)
        }
        CmlCmd::Upload { file, refresh } => {
            let hub = ctx.hub().await?;
            let s = hub.install_cml(&read(&file)?, refresh, actor).await?;
            show(json, &s, || format!("installed {}", cml_text(&s)));
            Ok(())
        }
        CmlCmd::Show => {
            let s = ctx.hub().await?.cml_status().await?;
            show(json, &s, || cml_text(&s));
            Ok(())
        }
    }
}

fn issued_out(
    issued: &crate::service::root::IssuedCml,
    out: Option<&PathBuf>,
    json: bool,
) -> Result<(), Problem> {
    if let Some(out) = out {
        write(out, &format!("{}\n", issued.cml))?;
    }
    show(json, issued, || {
        let mut s = format!(
            "issued CML {} for org {} (root key {}), valid until {}",
            issued.license_id,
            issued.org_id,
            issued.kid,
            when(Some(issued.valid_until))
        );
        match out {
            Some(p) => s.push_str(&format!("\nwritten to {}", p.display())),
            None => s.push_str(&format!("\n{}", issued.cml)),
        }
        s
    });
    Ok(())
}

fn site_line(s: &crate::service::hub::SiteView) -> String {
    format!(
        "{:<24} {:<8} {:<8} {:<8} {:<24} last seen {}",
        s.site_id,
        s.status,
        s.product,
        s.tier,
        s.features.join(","),
        when(s.last_seen)
    )
}

/// Reads an import file: a JSON array of site objects, or CSV with a header row (the rules of
/// `service::hub::import::parse_csv`, shared with the console's import).
pub fn read_import(path: &PathBuf) -> Result<Vec<ImportLine>, Problem> {
    let text = read(path)?;
    if text.trim_start().starts_with('[') {
        let sites: Vec<NewSite> = serde_json::from_str(&text)
            .map_err(|e| Problem::invalid(format!("{}: {e}", path.display())))?;
        return Ok(sites
            .into_iter()
            .zip(1..)
            .map(|(s, line)| ImportLine {
                line,
                site_id: s.site_id.clone(),
                site: Ok(s),
            })
            .collect());
    }
    crate::service::hub::import::parse_csv(&text)
        .map_err(|e| Problem::invalid(format!("{}: {e}", path.display())))
}

async fn site(ctx: &Ctx, s: SiteCmd, json: bool, actor: &Actor) -> Result<(), Problem> {
    match s {
        SiteCmd::Mint {
            site_id,
            product,
            tier,
            features,
            address,
            dns_suffix,
            deployment_tag,
            valid_days,
            out,
        } => {
            let hub = ctx.hub().await?;
            let fp = crate::domain::SiteFingerprint {
                address,
                dns_suffix,
                deployment_tag,
            };
            let site = hub
                .create_site(
                    &NewSite {
                        site_id,
                        fingerprint: Some(fp),
                        product,
                        tier,
                        features,
                        valid_days,
                    },
                    actor,
                )
                .await?;
            if let Some(out) = &out {
                write(out, &hub.stored_license(&site.site_id).await?)?;
            }
            show(json, &site, || {
                format!(
                    "minted {} (license {}){}",
                    site.site_id,
                    site.license_id.as_deref().unwrap_or("?"),
                    out.map(|p| format!(", site.lic written to {}", p.display()))
                        .unwrap_or_default()
                )
            });
        }
        SiteCmd::List {
            status,
            search,
            limit,
            offset,
        } => {
            let page = ctx
                .hub()
                .await?
                .list_sites(&SiteQuery {
                    status,
                    search,
                    limit: Some(limit),
                    offset: Some(offset),
                    ..Default::default()
                })
                .await?;
            show(json, &page, || {
                let mut s = format!(
                    "{} site(s), showing {}..{}\n",
                    page.total,
                    page.offset,
                    page.offset + page.sites.len() as i64
                );
                for site in &page.sites {
                    s.push_str(&site_line(site));
                    s.push('\n');
                }
                s
            });
        }
        SiteCmd::Revoke { site_id } => {
            let site = ctx.hub().await?.revoke_site(&site_id, actor).await?;
            show(json, &site, || format!("revoked {}", site.site_id));
        }
        SiteCmd::Download { site_id, out } => {
            let lic = ctx.hub().await?.site_license(&site_id, actor).await?;
            match out {
                Some(p) => {
                    write(&p, &lic)?;
                    if !json {
                        eprintln!("written to {}", p.display());
                    }
                }
                None => print!("{lic}"),
            }
        }
        SiteCmd::Import { file, dry_run } => {
            let rows = read_import(&file)?;
            let report = ctx
                .hub()
                .await?
                .import_sites(&rows, !dry_run, actor)
                .await?;
            show(json, &report, || {
                let mut s = format!(
                    "{}{} created, {} skipped, {} failed of {} row(s)\n",
                    if report.dry_run { "dry run: " } else { "" },
                    report.created,
                    report.skipped,
                    report.failed,
                    report.rows.len()
                );
                for r in report.rows.iter().filter(|r| r.reason.is_some()) {
                    s.push_str(&format!(
                        "  line {} {}: {}\n",
                        r.line,
                        r.site_id,
                        r.reason.as_deref().unwrap_or("?")
                    ));
                }
                s
            });
            if report.failed > 0 {
                return Err(Problem::invalid(format!("{} row(s) failed", report.failed)));
            }
        }
        SiteCmd::Verify { file, roots, facts } => {
            let roots = read_roots(&roots)?;
            let lic = std::fs::read(&file)
                .map_err(|e| Problem::bad_request(format!("{}: {e}", file.display())))?;
            let facts = NodeFacts::from_strs(
                facts.addresses.iter().map(String::as_str),
                facts.dns_name.as_deref(),
                facts.deployment_tag.as_deref(),
            )?;
            let v = Validator::new(ctx.environment(), roots);
            let verdict = v
                .validate(&lic, &facts)
                .map_err(crate::service::ServiceError::from)?;
            show(
                json,
                &json!({
                    "status": verdict.status.as_str(), "site_id": verdict.site_id,
                    "org_id": verdict.org_id, "license_id": verdict.license_id,
                    "features": verdict.features, "expires_at": verdict.expires_at,
                    "warnings": verdict.warnings.iter().map(|w| w.to_string()).collect::<Vec<_>>(),
                }),
                || {
                    let mut s = format!(
                        "{}: {} for site {} of org {}\n  features {}\n  expires  {}",
                        file.display(),
                        verdict.status.as_str(),
                        verdict.site_id,
                        verdict.org_id,
                        verdict.features.join(", "),
                        when(Some(verdict.expires_at))
                    );
                    for w in &verdict.warnings {
                        s.push_str(&format!("\n  warning: {w}"));
                    }
                    s
                },
            );
        }
    }
    Ok(())
}

async fn ledger(ctx: &Ctx, l: LedgerCmd, json: bool) -> Result<(), Problem> {
    let hub = ctx.hub().await?;
    match l {
        LedgerCmd::Verify => {
            let s = hub.verify_ledger().await?;
            show(
                json,
                &json!({"ok": true, "length": s.length, "head": s.head}),
                || format!("ledger verified: {} entries, head {}", s.length, s.head),
            );
        }
        LedgerCmd::List { limit, offset } => {
            let page = hub.ledger_page(limit, offset).await?;
            show(json, &page, || {
                let mut s = String::new();
                for e in &page.entries {
                    match &e.entry {
                        Some(c) => s.push_str(&format!(
                            "{:>6} {} {:<18} {:<16} {}\n",
                            e.seq,
                            when(Some(c.at)),
                            format!("{:?}", c.event),
                            c.site_id.as_deref().unwrap_or("-"),
                            c.detail.as_deref().unwrap_or("")
                        )),
                        None => s.push_str(&format!(
                            "{:>6} DOES NOT VERIFY: {}\n",
                            e.seq,
                            e.error.as_deref().unwrap_or("?")
                        )),
                    }
                }
                s
            });
        }
    }
    Ok(())
}

fn manifest_line(m: &crate::service::hub::ManifestRecord) -> String {
    format!(
        "{} {:<9} attempts {} sent {} {}{}",
        m.period,
        m.status,
        m.attempts,
        when(m.sent_at),
        m.id,
        m.last_error
            .as_deref()
            .map(|e| format!("\n  last error: {e}"))
            .unwrap_or_default()
    )
}

async fn manifest(ctx: &Ctx, m: ManifestCmd, json: bool, actor: &Actor) -> Result<(), Problem> {
    match m {
        ManifestCmd::Generate { period } => {
            let hub = ctx.hub().await?;
            let period = period.unwrap_or_else(|| hub.current_period());
            let (rec, new) = hub.generate_manifest(&period, actor).await?;
            show(json, &rec, || {
                format!(
                    "{} {}",
                    if new {
                        "generated"
                    } else {
                        "already generated:"
                    },
                    manifest_line(&rec)
                )
            });
        }
        ManifestCmd::List => {
            let list = ctx.hub().await?.manifests(None).await?;
            show(json, &list, || {
                list.iter()
                    .map(manifest_line)
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        ManifestCmd::Verify { file, cml, roots } => {
            let jws = read(&file)?;
            let jws = jws.trim();
            let (claims, ledger_note) = match cml {
                Some(cml) => {
                    let roots = roots.ok_or_else(|| {
                        Problem::bad_request("--cml needs --roots (root keys JSON)")
                    })?;
                    let policy = hwf_license::EnvironmentPolicy {
                        environment: ctx.environment(),
                        accept_other: true,
                    };
                    let cml =
                        hwf_license::verify_cml(&read_roots(&roots)?, policy, read(&cml)?.trim())?;
                    (
                        hwf_license::verify_manifest(&cml, jws)?.claims,
                        "ledger not checked (offline)".to_string(),
                    )
                }
                None => {
                    let hub = ctx.hub().await?;
                    let cml = hub.active_cml().await?.ok_or_else(|| {
                        Problem::conflict("no-cml", "No CML installed", "pass --cml")
                    })?;
                    let claims = hwf_license::verify_manifest(&cml, jws)?.claims;
                    let entries = hub.ledger_entries().await?;
                    let n = (claims.ledger_length as usize).min(entries.len());
                    let summary =
                        hwf_license::verify_ledger(&cml, entries[..n].iter().map(String::as_str))?;
                    hwf_license::check_manifest_ledger(&claims, &summary)?;
                    (claims, format!("matches the first {n} ledger entries"))
                }
            };
            show(json, &claims, || {
                format!(
                    "manifest {} of org {} verifies: {} active site(s), {} listed; {}",
                    claims.period,
                    claims.org_id,
                    claims.stats.total_active_sites,
                    claims.sites.len(),
                    ledger_note
                )
            });
        }
        ManifestCmd::Send { period } => {
            let hub = ctx.hub().await?;
            let period = period.unwrap_or_else(|| hub.current_period());
            let rec = hub.manifest_of_period(&period).await?.ok_or_else(|| {
                Problem::not_found(format!("no manifest for {period}; generate it first"))
            })?;
            let sent = hub.send_manifest(&rec.id, None, actor).await?;
            show(json, &sent, || format!("sent {}", manifest_line(&sent)));
        }
        ManifestCmd::Receive { file, org, out } => {
            let root = ctx.root().await?;
            let receipt = root
                .receive_manifest(&crate::service::root::ManifestDelivery {
                    org_id: org,
                    manifest: read(&file)?.trim().to_string(),
                })
                .await?;
            let receipt_file = crate::service::hub::ReceiptFile {
                receipt: receipt.receipt.clone(),
                receipt_key_certificate: receipt.receipt_key_certificate.clone(),
            };
            let text = serde_json::to_string_pretty(&receipt_file).map_err(Problem::internal)?;
            match &out {
                Some(path) => {
                    write(path, &(text + "\n"))?;
                    show(json, &receipt, || {
                        format!(
                            "received manifest {} of org {} for {}{}; receipt written to {}",
                            receipt.id,
                            receipt.org_id,
                            receipt.period,
                            if receipt.duplicate { " (again)" } else { "" },
                            path.display()
                        )
                    });
                }
                None => println!("{text}"),
            }
        }
        ManifestCmd::ImportReceipt { file, period } => {
            let hub = ctx.hub().await?;
            let rec = hub
                .manifest_of_period(&period)
                .await?
                .ok_or_else(|| Problem::not_found(format!("no manifest for {period}")))?;
            let receipt: crate::service::hub::ReceiptFile = serde_json::from_str(&read(&file)?)
                .map_err(|e| Problem::bad_request(format!("not a receipt file: {e}")))?;
            let sent = hub.import_receipt(&rec.id, &receipt, actor).await?;
            show(json, &sent, || {
                format!("receipt verified: {}", manifest_line(&sent))
            });
        }
    }
    Ok(())
}

async fn user(ctx: &Ctx, u: UserCmd, json: bool) -> Result<(), Problem> {
    let realm = match &u {
        UserCmd::Add { realm, .. }
        | UserCmd::List { realm }
        | UserCmd::Delete { realm, .. }
        | UserCmd::Unlock { realm, .. }
        | UserCmd::ResetMfa { realm, .. } => *realm,
    };
    let app = ctx
        .open(match realm {
            Realm::Hub => Roles::Hub,
            Realm::Root => Roles::Root,
        })
        .await?;
    let accounts = &app.services.accounts;
    match u {
        UserCmd::Add { username, role, .. } => {
            let role = Role::parse(&role).map_err(crate::service::ServiceError::from)?;
            let (password, generated) = match &ctx.config.secrets.new_password {
                Some(p) => (p.clone(), false),
                None => (generate_password(), true),
            };
            accounts
                .create_user(&Actor::cli(), realm, &username, &password, role)
                .await?;
            let shown = generated.then_some(password);
            show(
                json,
                &json!({"username": username, "role": role, "realm": realm, "password": shown}),
                || match &shown {
                    Some(p) => format!(
                        "added {username} ({}, {}); password (shown once): {p}",
                        role.as_str(),
                        realm.as_str()
                    ),
                    None => format!("added {username} ({}, {})", role.as_str(), realm.as_str()),
                },
            );
        }
        UserCmd::List { .. } => {
            let users = accounts.list_users(realm).await?;
            show(json, &users, || {
                users
                    .iter()
                    .map(|u| {
                        format!(
                            "{:<24} {:<8} mfa={} {}",
                            u.username,
                            u.role.as_str(),
                            u.mfa,
                            if u.locked_until.is_some() {
                                "locked"
                            } else {
                                ""
                            }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        UserCmd::Delete { username, .. } => {
            accounts
                .delete_user(&Actor::cli(), realm, &username)
                .await?;
            show(json, &json!({"deleted": username}), || {
                format!("deleted {username}")
            });
        }
        UserCmd::Unlock { username, .. } => {
            accounts.unlock(&Actor::cli(), realm, &username).await?;
            show(json, &json!({"unlocked": username}), || {
                format!("unlocked {username}")
            });
        }
        UserCmd::ResetMfa { username, .. } => {
            accounts.reset_mfa(&Actor::cli(), realm, &username).await?;
            show(json, &json!({"mfa_reset": username}), || {
                format!("removed the second factor of {username}; they enrol again on sign-in")
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::{Cli, Command, KeysCmd};

    /// A JWK thumbprint is base64url: about one in 32 begins with `-` (seen in a test run:
    /// `unexpected argument '-3…'`).
    #[test]
    fn a_fingerprint_beginning_with_a_hyphen_is_a_value() {
        let cli = Cli::try_parse_from([
            "hwf-license",
            "keys",
            "trust-root",
            "roots.json",
            "--fingerprint",
            "-3q2vX_thumbprint",
            "--fingerprint",
            "abc",
        ])
        .unwrap();
        match cli.command {
            Command::Keys(KeysCmd::TrustRoot { fingerprint, .. }) => {
                assert_eq!(fingerprint, ["-3q2vX_thumbprint", "abc"])
            }
            other => panic!("{other:?}"),
        }
    }
}
