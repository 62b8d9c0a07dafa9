//! The audit log: who did what, when, from where (CML changes, site actions, logins, users).
//! Entries are written in the same transaction as the change they describe when there is one.

use serde::Serialize;

use super::ServiceError;
use crate::store::{audit, Connection, Db};

/// Where a request came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Peer IP address, if known.
    pub ip: Option<String>,
    /// `User-Agent`, if sent.
    pub user_agent: Option<String>,
}

/// Who acted: a user name (or `cli:<os user>`, `org:<org>`), and from where.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// User or process.
    pub name: String,
    /// Where the request came from.
    pub origin: Origin,
}

impl Actor {
    /// A signed-in user.
    pub fn user(name: &str, origin: &Origin) -> Self {
        Self {
            name: name.into(),
            origin: origin.clone(),
        }
    }

    /// The operator at the shell (`cli:$USER`).
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Self {
            name: format!("cli:{who}"),
            origin: Origin {
                ip: None,
                user_agent: Some(format!("hwf-license/{}", env!("CARGO_PKG_VERSION"))),
            },
        }
    }
}

/// One audit entry.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Sequence id.
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What (e.g. `site.create`, `cml.upload`, `auth.login`).
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// Peer address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// More detail.
    pub detail: Option<String>,
}

/// A page of the audit log.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditPage {
    /// Entries in all.
    pub total: i64,
    /// The page, newest first.
    pub entries: Vec<AuditEntry>,
}

/// Records an entry at `at` on `c` (a transaction or a pool connection).
pub async fn record(
    c: &mut Connection,
    at: i64,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
) -> Result<(), ServiceError> {
    audit::insert(
        c,
        &audit::AuditRow {
            id: 0,
            at,
            actor: actor.name.clone(),
            action: action.into(),
            target: target.map(String::from),
            ip: actor.origin.ip.clone(),
            user_agent: actor.origin.user_agent.clone(),
            detail: detail.map(String::from),
        },
    )
    .await?;
    Ok(())
}

/// Records an entry at `at` outside any transaction.
pub async fn record_now(
    db: &Db,
    at: i64,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
) -> Result<(), ServiceError> {
    record(&mut *db.conn().await?, at, actor, action, target, detail).await
}

/// A page of the log (`limit` 1..=1000), newest first.
pub async fn page(db: &Db, limit: i64, offset: i64) -> Result<AuditPage, ServiceError> {
    crate::domain::inputs::page(limit, offset, crate::domain::inputs::MAX_AUDIT_PAGE)?;
    let mut c = db.conn().await?;
    let total = audit::count(&mut c).await?;
    let entries = audit::page(&mut c, limit, offset)
        .await?
        .into_iter()
        .map(|r| AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            ip: r.ip,
            user_agent: r.user_agent,
            detail: r.detail,
        })
        .collect();
    Ok(AuditPage { total, entries })
}
