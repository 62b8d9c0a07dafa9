//! `audit`: who did what, when, from where.

use sqlx::AnyConnection;

use super::{get, StoreError};

/// One audit row.
#[derive(Clone, Debug, Default)]
pub struct AuditRow {
    /// Sequence id (assigned on insert).
    pub id: i64,
    /// Unix seconds.
    pub at: i64,
    /// Who.
    pub actor: String,
    /// What.
    pub action: String,
    /// On what.
    pub target: Option<String>,
    /// Peer address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// More detail.
    pub detail: Option<String>,
    /// The realm of the actor (`hub`, `root`; none for the CLI, the system and orgs).
    pub realm: Option<String>,
}

/// Appends `row` (its `id` is ignored).
pub async fn insert(c: &mut AnyConnection, row: &AuditRow) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit (at, actor, action, target, ip, user_agent, detail, realm) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.at)
    .bind(&row.actor)
    .bind(&row.action)
    .bind(row.target.as_deref())
    .bind(row.ip.as_deref())
    .bind(row.user_agent.as_deref())
    .bind(row.detail.as_deref())
    .bind(row.realm.as_deref())
    .execute(c)
    .await?;
    Ok(())
}

/// How many entries a realm sees: its own and those of no realm.
pub async fn count(c: &mut AnyConnection, realm: &str) -> Result<i64, StoreError> {
    get(
        &sqlx::query("SELECT count(*) FROM audit WHERE realm IS NULL OR realm = $1")
            .bind(realm)
            .fetch_one(c)
            .await?,
        0,
    )
}

/// A page of the entries a realm sees (its own and those of no realm), newest first.
pub async fn page(
    c: &mut AnyConnection,
    realm: &str,
    limit: i64,
    offset: i64,
) -> Result<Vec<AuditRow>, StoreError> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, target, ip, user_agent, detail, realm FROM audit \
         WHERE realm IS NULL OR realm = $1 ORDER BY id DESC LIMIT $2 OFFSET $3",
    )
    .bind(realm)
    .bind(limit)
    .bind(offset)
    .fetch_all(c)
    .await?;
    rows.iter().map(audit_row).collect()
}

/// A filter of [`search`]: each part narrows (exact actor, exact action, `at` in `[from, to)`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Filter<'a> {
    /// Only this actor.
    pub actor: Option<&'a str>,
    /// Only this action.
    pub action: Option<&'a str>,
    /// Not before (unix seconds).
    pub from: Option<i64>,
    /// Before (unix seconds).
    pub to: Option<i64>,
}

/// The entries a realm sees that match `f`, newest first: how many in all, and a page.
pub async fn search(
    c: &mut AnyConnection,
    realm: &str,
    f: &Filter<'_>,
    limit: i64,
    offset: i64,
) -> Result<(i64, Vec<AuditRow>), StoreError> {
    // Every condition is bound, never spliced: the text is fixed, the values are parameters.
    let mut conds = vec!["(realm IS NULL OR realm = $1)".to_string()];
    let mut texts: Vec<&str> = vec![realm];
    let mut nums: Vec<i64> = Vec::new();
    if let Some(a) = f.actor {
        texts.push(a);
        conds.push(format!("actor = ${}", texts.len()));
    }
    if let Some(a) = f.action {
        texts.push(a);
        conds.push(format!("action = ${}", texts.len()));
    }
    let n = texts.len();
    if let Some(t) = f.from {
        nums.push(t);
        conds.push(format!("at >= ${}", n + nums.len()));
    }
    if let Some(t) = f.to {
        nums.push(t);
        conds.push(format!("at < ${}", n + nums.len()));
    }
    let filter = conds.join(" AND ");
    let count_sql = format!("SELECT count(*) FROM audit WHERE {filter}");
    let k = n + nums.len();
    let page_sql = format!(
        "SELECT id, at, actor, action, target, ip, user_agent, detail, realm FROM audit \
         WHERE {filter} ORDER BY id DESC LIMIT ${} OFFSET ${}",
        k + 1,
        k + 2
    );
    let mut q = sqlx::query(&count_sql);
    for t in &texts {
        q = q.bind(*t);
    }
    for v in &nums {
        q = q.bind(*v);
    }
    let total: i64 = get(&q.fetch_one(&mut *c).await?, 0)?;
    let mut q = sqlx::query(&page_sql);
    for t in &texts {
        q = q.bind(*t);
    }
    for v in &nums {
        q = q.bind(*v);
    }
    let rows = q.bind(limit).bind(offset).fetch_all(c).await?;
    let rows = rows
        .iter()
        .map(audit_row)
        .collect::<Result<_, StoreError>>()?;
    Ok((total, rows))
}

/// One row of `SELECT id, at, actor, action, target, ip, user_agent, detail, realm`.
fn audit_row(r: &sqlx::any::AnyRow) -> Result<AuditRow, StoreError> {
    Ok(AuditRow {
        id: get(r, 0)?,
        at: get(r, 1)?,
        actor: get(r, 2)?,
        action: get(r, 3)?,
        target: get(r, 4)?,
        ip: get(r, 5)?,
        user_agent: get(r, 6)?,
        detail: get(r, 7)?,
        realm: get(r, 8)?,
    })
}
