//! The audit log: who did what, when, from where (CML changes, site actions, logins, users).
//! Entries are written in the same transaction as the change they describe when there is one.

use serde::Serialize;

use super::ServiceError;
use crate::domain::Realm;
use crate::store::{audit, Connection, Db};

/// Longest actor or target name written to the audit log; longer ones are cut.
pub const MAX_AUDIT_NAME: usize = 128;

/// `name` as the audit log may hold it: at most [`MAX_AUDIT_NAME`] characters, each control
/// character shown as `?` (a sign-in's user name is whatever the client sent).
pub fn sanitize(name: &str) -> String {
    let mut out: String = name
        .chars()
        .take(MAX_AUDIT_NAME)
        .map(|c| if c.is_control() { '?' } else { c })
        .collect();
    if name.chars().nth(MAX_AUDIT_NAME).is_some() {
        out.push('…');
    }
    out
}

/// Where a request came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Peer IP address, if known.
    pub ip: Option<String>,
    /// `User-Agent`, if sent.
    pub user_agent: Option<String>,
}

/// Who acted: a user name (or `cli:<os user>`, `org:<org>`, `system:<job>`,
/// `service:<token id>`), from where, and in which realm.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    /// User or process.
    pub name: String,
    /// Where the request came from.
    pub origin: Origin,
    /// The realm of the account that acted (none for the CLI, the system and orgs).
    pub realm: Option<Realm>,
}

impl Actor {
    /// A user (or another named actor) of no particular realm.
    pub fn user(name: &str, origin: &Origin) -> Self {
        Self {
            name: sanitize(name),
            origin: origin.clone(),
            realm: None,
        }
    }

    /// A signed-in user of `realm`.
    pub fn in_realm(name: &str, realm: Realm, origin: &Origin) -> Self {
        Self {
            realm: Some(realm),
            ..Self::user(name, origin)
        }
    }

    /// A scheduled job of the server itself (`system:<job>`): no account, no token, no
    /// second factor; it only does what its code does.
    pub fn system(job: &str) -> Self {
        Self {
            name: format!("system:{}", sanitize(job)),
            origin: Origin {
                ip: None,
                user_agent: Some(format!("hwf-license/{}", env!("CARGO_PKG_VERSION"))),
            },
            realm: None,
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
            realm: None,
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
    /// The actor's realm (`hub`, `root`); none for the CLI, the system and orgs.
    pub realm: Option<String>,
}

impl From<audit::AuditRow> for AuditEntry {
    fn from(r: audit::AuditRow) -> Self {
        AuditEntry {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            target: r.target,
            ip: r.ip,
            user_agent: r.user_agent,
            detail: r.detail,
            realm: r.realm,
        }
    }
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
            actor: sanitize(&actor.name),
            action: action.into(),
            target: target.map(sanitize),
            ip: actor.origin.ip.clone(),
            user_agent: actor.origin.user_agent.clone(),
            detail: detail.map(String::from),
            realm: actor.realm.map(|r| r.as_str().to_string()),
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

/// A page of the log as `realm` sees it (its own entries and those of no realm; `limit`
/// 1..=1000), newest first.
pub async fn page(
    db: &Db,
    realm: Realm,
    limit: i64,
    offset: i64,
) -> Result<AuditPage, ServiceError> {
    crate::domain::inputs::page(limit, offset, crate::domain::inputs::MAX_AUDIT_PAGE)?;
    let mut c = db.conn().await?;
    let total = audit::count(&mut c, realm.as_str()).await?;
    let entries = audit::page(&mut c, realm.as_str(), limit, offset)
        .await?
        .into_iter()
        .map(AuditEntry::from)
        .collect();
    Ok(AuditPage { total, entries })
}

/// What the audit log is searched for: an exact actor and action, and UTC days `from` to `to`
/// (`YYYY-MM-DD`, inclusive); empty parts do not filter.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor: Option<String>,
    /// Only this action (e.g. `site.create`).
    pub action: Option<String>,
    /// From this day.
    pub from: Option<String>,
    /// To this day (inclusive).
    pub to: Option<String>,
}

/// Most entries one audit CSV export holds (newest first; the filter narrows a larger log).
pub const MAX_AUDIT_EXPORT: i64 = 10_000;

/// A page of the entries `realm` sees that match `f` (`limit` 1..=1000), newest first.
pub async fn search(
    db: &Db,
    realm: Realm,
    f: &AuditFilter,
    limit: i64,
    offset: i64,
) -> Result<AuditPage, ServiceError> {
    crate::domain::inputs::page(limit, offset, MAX_AUDIT_EXPORT)?;
    let text = |s: &Option<String>, what: &str| -> Result<Option<String>, ServiceError> {
        match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(v) if v.len() > 256 => Err(ServiceError::Invalid(format!(
                "{what} must be at most 256 bytes"
            ))),
            v => Ok(v.map(String::from)),
        }
    };
    let actor = text(&f.actor, "actor")?;
    let action = text(&f.action, "action")?;
    let day = |s: &Option<String>| -> Result<Option<i64>, ServiceError> {
        Ok(
            match s.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
                Some(d) => Some(crate::domain::period::day_start(d)?),
                None => None,
            },
        )
    };
    let from = day(&f.from)?;
    let to = day(&f.to)?.map(|t| t + crate::domain::DAY);
    let filter = audit::Filter {
        actor: actor.as_deref(),
        action: action.as_deref(),
        from,
        to,
    };
    let (total, rows) = audit::search(
        &mut *db.conn().await?,
        realm.as_str(),
        &filter,
        limit,
        offset,
    )
    .await?;
    let entries = rows.into_iter().map(AuditEntry::from).collect();
    Ok(AuditPage { total, entries })
}

/// `entries` as CSV (`id,at,actor,action,target,ip,user_agent,detail,realm`; `at` in RFC 3339
/// UTC), written by the shared CSV module, so a cell a spreadsheet would run is protected.
pub fn to_csv(entries: &[AuditEntry]) -> String {
    let mut w = crate::domain::csv::Writer::new();
    w.row([
        "id",
        "at",
        "actor",
        "action",
        "target",
        "ip",
        "user_agent",
        "detail",
        "realm",
    ]);
    for e in entries {
        let opt = |o: &Option<String>| o.clone().unwrap_or_default();
        w.row([
            e.id.to_string(),
            hwf_license::time::Utc(e.at).to_string(),
            e.actor.clone(),
            e.action.clone(),
            opt(&e.target),
            opt(&e.ip),
            opt(&e.user_agent),
            opt(&e.detail),
            opt(&e.realm),
        ]);
    }
    w.finish()
}
