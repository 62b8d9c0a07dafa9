//! The audit log: who did what, when, from where (CML changes, site actions, logins, users).
//! Entries are written in the same transaction as the change they describe when there is one.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use crate::auth::Client;
use crate::db::Db;
use crate::problem::Problem;

/// Who acted: a user name (or `cli:<os user>`, `node:<site>`), and from where.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// User or process.
    pub name: String,
    /// Where the request came from.
    pub client: Client,
}

impl Actor {
    /// An HTTP user.
    pub fn user(name: &str, client: &Client) -> Self {
        Self {
            name: name.into(),
            client: client.clone(),
        }
    }

    /// The operator at the shell (`cli:$USER`).
    pub fn cli() -> Self {
        let who = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
        Self {
            name: format!("cli:{who}"),
            client: Client {
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

/// Records an entry on `conn` (a transaction or a pool connection).
pub async fn record(
    conn: &mut AnyConnection,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
) -> Result<(), Problem> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, target, ip, user_agent, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(crate::now())
    .bind(&actor.name)
    .bind(action)
    .bind(target)
    .bind(actor.client.ip.as_deref())
    .bind(actor.client.user_agent.as_deref())
    .bind(detail)
    .execute(conn)
    .await?;
    Ok(())
}

/// Records an entry outside any transaction.
pub async fn record_now(
    db: &Db,
    actor: &Actor,
    action: &str,
    target: Option<&str>,
    detail: Option<&str>,
) -> Result<(), Problem> {
    let mut conn = db.pool.acquire().await?;
    record(&mut conn, actor, action, target, detail).await
}

/// A page of the log, newest first, and the total count.
pub async fn list(db: &Db, limit: i64, offset: i64) -> Result<(Vec<AuditEntry>, i64), Problem> {
    let total: i64 = sqlx::query("SELECT count(*) FROM audit")
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, ip, user_agent, detail FROM audit \
         ORDER BY id DESC LIMIT $1 OFFSET $2",
    )
    .bind(limit)
    .bind(offset)
    .fetch_all(&db.pool)
    .await?;
    let entries = rows
        .iter()
        .map(|r: &AnyRow| {
            Ok(AuditEntry {
                id: r.try_get(0)?,
                at: r.try_get(1)?,
                actor: r.try_get(2)?,
                action: r.try_get(3)?,
                target: r.try_get(4)?,
                ip: r.try_get(5)?,
                user_agent: r.try_get(6)?,
                detail: r.try_get(7)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()?;
    Ok((entries, total))
}
