//! Services: the use cases of the Root and the Hub over the store and core — everything a
//! request or a command does, whichever way it arrives (the HTTP API and the CLI call the same
//! functions). Time comes from an injected [`clock::Clock`]; failures are [`ServiceError`]s,
//! which say what went wrong and leave how to answer it to the caller.
//!
//! Imports: `store`, `domain`, `config` (and core); never `http`, `cli` or `demo`.

pub mod accounts;
pub mod alerts;
pub mod audit;
pub mod clock;
pub mod cpu;
mod error;
pub mod hub;
pub mod keys;
pub mod root;
pub mod totp;

pub use error::ServiceError;

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Roles};
use crate::store::{sqlite_url, Db};

/// The database `config` names: its URL, else the SQLite file in its data directory.
pub fn database_url(config: &Config) -> String {
    config
        .store
        .database_url
        .clone()
        .unwrap_or_else(|| sqlite_url(&config.store.data_dir))
}

/// The opened services of a process, over one database.
pub struct Services {
    /// The database.
    pub db: Db,
    /// The key sealer.
    pub sealer: keys::Sealer,
    /// Users, sign-in, tokens, the audit log.
    pub accounts: Arc<accounts::Accounts>,
    /// The Hub, when run.
    pub hub: Option<Arc<hub::Hub>>,
    /// The Root, when run.
    pub root: Option<Arc<root::Root>>,
    /// The clock every service reads.
    pub clock: clock::SharedClock,
    /// The first admin's generated password, when this start created it (print it once).
    pub admin_password: Option<String>,
    /// Where CPU-bound verifications run (shared by the Hub and the Root).
    pub cpu: cpu::CpuPool,
}

impl std::fmt::Debug for Services {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Services")
            .field("hub", &self.hub.is_some())
            .field("root", &self.root.is_some())
            .finish_non_exhaustive()
    }
}

impl Services {
    /// Opens `roles` with `config` and `clock`: the database (migrating it), the Root (root
    /// keys on first start), the Hub (org key on first start), and the first admin when there
    /// is no user.
    pub async fn open(
        config: &Config,
        roles: Roles,
        clock: clock::SharedClock,
    ) -> Result<Self, ServiceError> {
        let master = config.secrets.master_secret.as_deref().ok_or_else(|| {
            ServiceError::Config(format!(
                "set {} (generate one with `hwf-license keys master-secret`)",
                crate::config::MASTER_SECRET_ENV
            ))
        })?;
        let sealer = keys::Sealer::new(master)?;
        let db = Db::connect(&database_url(config)).await?;
        let cpu = cpu::CpuPool::new(
            config.http.verify_workers(),
            config.http.verify_queue as usize,
        );
        let root = match roles.root() {
            true => Some(Arc::new(
                root::Root::open(db.clone(), sealer.clone(), clock.clone())
                    .await?
                    .with_cpu_pool(cpu.clone()),
            )),
            false => None,
        };
        let hub = match roles.hub() {
            true => Some(Arc::new(
                hub::Hub::open(db.clone(), &sealer, &config.hub, clock.clone())
                    .await?
                    .with_cpu_pool(cpu.clone()),
            )),
            false => None,
        };
        let realms: Vec<crate::domain::Realm> = [
            (roles.hub(), crate::domain::Realm::Hub),
            (roles.root(), crate::domain::Realm::Root),
        ]
        .into_iter()
        .filter_map(|(on, r)| on.then_some(r))
        .collect();
        let accounts = Arc::new(
            accounts::Accounts::open(
                db.clone(),
                sealer.clone(),
                config.hash_cost,
                clock.clone(),
                &realms,
                config.accounts.step_up_minutes,
            )
            .await?,
        );
        let admin_password = accounts
            .bootstrap_admin(config.secrets.admin_password.as_deref())
            .await?;
        Ok(Self {
            db,
            sealer,
            accounts,
            hub,
            root,
            clock,
            admin_password,
            cpu,
        })
    }

    /// The database's health, for readiness checks.
    pub fn health(&self) -> Health {
        Health {
            db: self.db.clone(),
        }
    }
}

/// Whether the database answers.
#[derive(Clone, Debug)]
pub struct Health {
    db: Db,
}

impl Health {
    /// One round trip to the database.
    pub async fn ping(&self) -> Result<(), ServiceError> {
        Ok(self.db.ping().await?)
    }

    /// Whether the database answers within `timeout`.
    pub async fn ready(&self, timeout: Duration) -> Result<(), ServiceError> {
        match tokio::time::timeout(timeout, self.db.ping()).await {
            Ok(r) => Ok(r?),
            Err(_) => Err(ServiceError::Internal(format!(
                "database did not answer within {} ms",
                timeout.as_millis()
            ))),
        }
    }
}
