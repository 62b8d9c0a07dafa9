//! The usage ledger: append-only, each entry signed by the org key
//! ([`hwf_license::issue::sign_ledger_entry`]) and chained to its predecessor by hash. An append
//! locks the head in the caller's transaction, so entries are written in the same transaction
//! as the change they record and never interleave.

use hwf_license::{
    issue, verify_ledger, verify_ledger_entry, LedgerEntryClaims, LedgerEvent, LedgerSummary,
    VerifiedCml,
};
use serde::Serialize;

use super::Hub;
use crate::domain::inputs;
use crate::service::ServiceError;
use crate::store::{hub_state, ledger as entries, Connection};

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

/// A page of the ledger.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LedgerPage {
    /// Entries in all.
    pub length: u64,
    /// The head entry's id.
    pub head: String,
    /// The page, oldest first.
    pub entries: Vec<EntryView>,
}

impl Hub {
    /// Appends `event` signed by the org key under `cml` (the CML in force) on `tx` (a write
    /// transaction); returns its document id.
    pub(crate) async fn append(
        &self,
        tx: &mut Connection,
        cml: &VerifiedCml,
        event: Event<'_>,
    ) -> Result<String, ServiceError> {
        hub_state::lock(&self.db, tx).await?;
        let head = hub_state::ledger_head(tx).await?;
        let at = event.at.max(head.last_at);
        let jws = issue::sign_ledger_entry(
            &self.org,
            &LedgerEntryClaims {
                org_id: cml.claims.org_id.clone(),
                cml: cml.id.clone(),
                seq: head.length as u64,
                prev: head.head,
                at,
                event: event.kind,
                site_id: event.site_id.map(String::from),
                detail: event.detail.map(String::from),
                ..Default::default()
            },
        )?;
        let id = hwf_license::document_id(&jws)?;
        entries::insert(tx, head.length, &jws).await?;
        hub_state::set_ledger_head(
            tx,
            &hub_state::LedgerHead {
                length: head.length + 1,
                head: id.clone(),
                last_at: at,
            },
        )
        .await?;
        Ok(id)
    }

    /// The recorded head: (length, head id).
    pub async fn ledger_head(&self) -> Result<(u64, String), ServiceError> {
        let h = hub_state::ledger_head(&mut *self.db.conn().await?).await?;
        Ok((h.length as u64, h.head))
    }

    /// Every stored entry, in order.
    pub async fn ledger_entries(&self) -> Result<Vec<String>, ServiceError> {
        Ok(entries::all(&mut *self.db.conn().await?).await?)
    }

    /// Verifies the whole stored ledger with core ([`verify_ledger`]) against the active CML
    /// and checks it ends at the recorded head (so dropped entries are caught too). The error
    /// names the first bad entry.
    pub async fn verify_ledger(&self) -> Result<LedgerSummary, ServiceError> {
        let cml = self.require_cml().await?;
        let all = self.ledger_entries().await?;
        let summary = verify_ledger(&cml, all.iter().map(String::as_str))?;
        let (length, head) = self.ledger_head().await?;
        if summary.length != length || summary.head != head {
            return Err(hwf_license::Error::LedgerBroken {
                index: summary.length as usize,
                reason: "the ledger ends before the recorded head",
            }
            .into());
        }
        Ok(summary)
    }

    /// A page of entries (oldest first, `limit` 1..=500), each verified on its own.
    pub async fn ledger_page(&self, limit: i64, offset: i64) -> Result<LedgerPage, ServiceError> {
        inputs::page(limit, offset, inputs::MAX_PAGE)?;
        let cml = self.active_cml().await?;
        let (length, head) = self.ledger_head().await?;
        let rows = entries::page(&mut *self.db.conn().await?, limit, offset).await?;
        let entries = rows
            .into_iter()
            .map(|(seq, jws)| {
                let checked = match cml.as_deref() {
                    Some(cml) => verify_ledger_entry(cml, &jws).map_err(|e| e.to_string()),
                    None => Err("no CML installed".into()),
                };
                match checked {
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
                }
            })
            .collect();
        Ok(LedgerPage {
            length,
            head,
            entries,
        })
    }
}
