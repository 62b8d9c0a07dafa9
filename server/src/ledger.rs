//! The usage ledger: append-only, each entry signed by the org key
//! ([`hwf_license::issue::sign_ledger_entry`]) and chained to its predecessor by hash. An append
//! locks the head row (`hub_state`) in the caller's transaction, so entries are written in the
//! same transaction as the change they record and never interleave.

use hwf_license::{
    issue, verify_ledger, verify_ledger_entry, LedgerEntryClaims, LedgerEvent, LedgerSummary,
    SigningKey, VerifiedCml,
};
use serde::Serialize;
use sqlx::Row;

use crate::db::{Db, WriteTx};
use crate::problem::Problem;

/// What a ledger entry records.
#[derive(Clone, Copy, Debug)]
pub struct Event<'a> {
    /// Unix seconds (raised to the previous entry's time if the clock went back).
    pub at: i64,
    /// What happened.
    pub kind: LedgerEvent,
    /// The site concerned.
    pub site_id: Option<&'a str>,
    /// Free-form detail.
    pub detail: Option<&'a str>,
}

/// Appends `event` signed by `org` under `cml` (the CML in force); returns its document id.
pub async fn append(
    db: &Db,
    tx: &mut WriteTx,
    org: &SigningKey,
    cml: &VerifiedCml,
    event: Event<'_>,
) -> Result<String, Problem> {
    let Event {
        at,
        kind: event,
        site_id,
        detail,
    } = event;
    db.lock_hub(tx).await?;
    let row = sqlx::query(
        "SELECT ledger_length, ledger_head, ledger_last_at FROM hub_state WHERE id = 1",
    )
    .fetch_one(&mut **tx)
    .await?;
    let (length, head, last_at): (i64, String, i64) =
        (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
    let at = at.max(last_at);
    let jws = issue::sign_ledger_entry(
        org,
        &LedgerEntryClaims {
            org_id: cml.claims.org_id.clone(),
            cml: cml.id.clone(),
            seq: length as u64,
            prev: head,
            at,
            event,
            site_id: site_id.map(String::from),
            detail: detail.map(String::from),
            ..Default::default()
        },
    )?;
    let id = hwf_license::document_id(&jws)?;
    sqlx::query("INSERT INTO ledger (seq, jws) VALUES ($1, $2)")
        .bind(length)
        .bind(&jws)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "UPDATE hub_state SET ledger_length = $1, ledger_head = $2, ledger_last_at = $3 WHERE id = 1",
    )
    .bind(length + 1)
    .bind(&id)
    .bind(at)
    .execute(&mut **tx)
    .await?;
    Ok(id)
}

/// The stored head: (length, head id).
pub async fn head(db: &Db) -> Result<(u64, String), Problem> {
    let row = sqlx::query("SELECT ledger_length, ledger_head FROM hub_state WHERE id = 1")
        .fetch_one(&db.pool)
        .await?;
    Ok((row.try_get::<i64, _>(0)? as u64, row.try_get(1)?))
}

/// Every stored entry, in order.
pub async fn all_entries(db: &Db) -> Result<Vec<String>, Problem> {
    let rows = sqlx::query("SELECT jws FROM ledger ORDER BY seq")
        .fetch_all(&db.pool)
        .await?;
    Ok(rows
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?)
}

/// Verifies the whole stored ledger with core ([`verify_ledger`]) and checks it ends at the
/// stored head (so dropped entries are caught too). The error names the first bad entry.
pub async fn verify(db: &Db, cml: &VerifiedCml) -> Result<LedgerSummary, Problem> {
    let entries = all_entries(db).await?;
    let summary = verify_ledger(cml, entries.iter().map(String::as_str))?;
    let (length, head_id) = head(db).await?;
    if summary.length != length || summary.head != head_id {
        return Err(Problem::license(&hwf_license::Error::LedgerBroken {
            index: summary.length as usize,
            reason: "the ledger ends before the recorded head",
        }));
    }
    Ok(summary)
}

/// One entry as listed: its verified claims, or why it does not verify.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    /// Position.
    pub seq: i64,
    /// Document id (hash), when it verifies.
    pub id: Option<String>,
    /// The verified claims.
    #[schema(value_type = Option<Object>)]
    pub entry: Option<LedgerEntryClaims>,
    /// Why the entry does not verify, if it does not.
    pub error: Option<String>,
    /// The signed entry.
    pub jws: String,
}

/// A page of entries (oldest first), each verified on its own.
pub async fn page(
    db: &Db,
    cml: Option<&VerifiedCml>,
    limit: i64,
    offset: i64,
) -> Result<Vec<EntryView>, Problem> {
    let rows = sqlx::query("SELECT seq, jws FROM ledger ORDER BY seq LIMIT $1 OFFSET $2")
        .bind(limit)
        .bind(offset)
        .fetch_all(&db.pool)
        .await?;
    rows.iter()
        .map(|r| {
            let seq: i64 = r.try_get(0)?;
            let jws: String = r.try_get(1)?;
            let checked = match cml {
                Some(cml) => verify_ledger_entry(cml, &jws).map_err(|e| e.to_string()),
                None => Err("no CML installed".into()),
            };
            Ok(match checked {
                Ok(v) => EntryView {
                    seq,
                    id: Some(v.id),
                    entry: Some(v.claims),
                    error: None,
                    jws,
                },
                Err(e) => EntryView {
                    seq,
                    id: None,
                    entry: None,
                    error: Some(e),
                    jws,
                },
            })
        })
        .collect()
}
