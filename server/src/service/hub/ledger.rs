//! The usage ledger: append-only, each entry signed by the org key
//! ([`hwf_license::issue::sign_ledger_entry`]) and chained to its predecessor by hash. An append
//! locks the head in the caller's transaction, so entries are written in the same transaction
//! as the change they record and never interleave.

use hwf_license::{
    issue, verify_ledger, verify_ledger_entry, LedgerEntryClaims, LedgerEvent, LedgerSummary,
    VerifiedCml,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::sync::atomic::Ordering;

use super::Hub;
use crate::domain::inputs;
use crate::service::ServiceError;
use crate::store::{hub_state, ledger as entries, write_tx, Connection};

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

/// A ledger that verified: under which CML, its summary, and the SHA-256 of its entries.
#[derive(Clone, Debug)]
pub(crate) struct Checked {
    cml_id: String,
    summary: LedgerSummary,
    digest: [u8; 32],
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
        entries::insert(tx, head.length, &jws, event.site_id).await?;
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
    /// names the first bad entry. The signatures are checked on the verification pool, and
    /// only when the ledger changed since the last check that passed: the same CML, head and
    /// entries (their SHA-256, so an entry altered behind an unchanged head is caught) answer
    /// from that check.
    pub async fn verify_ledger(&self) -> Result<LedgerSummary, ServiceError> {
        let cml = self.require_cml().await?;
        let all = self.ledger_entries().await?;
        let (length, head) = self.ledger_head().await?;
        let c = std::sync::Arc::clone(&cml);
        let last = self.ledger_last_checked();
        let recorded = head.clone();

        let (checked, full) = self
            .cpu
            .run(move || -> Result<(Checked, bool), hwf_license::Error> {
                let mut digest = Sha256::new();
                for e in &all {
                    digest.update((e.len() as u64).to_be_bytes());
                    digest.update(e.as_bytes());
                }
                let digest: [u8; 32] = digest.finalize().into();
                let hit = last.filter(|l| {
                    l.cml_id == c.id
                        && l.summary.length == length
                        && l.summary.head == recorded
                        && l.digest == digest
                });
                if let Some(hit) = hit {
                    return Ok((hit, false));
                }
                let summary = verify_ledger(&c, all.iter().map(String::as_str))?;
                let checked = Checked {
                    cml_id: c.id.clone(),
                    summary,
                    digest,
                };
                Ok((checked, true))
            })
            .await??;
        if full {
            self.ledger_checks.fetch_add(1, Ordering::Relaxed);
        }
        if checked.summary.length != length || checked.summary.head != head {
            return Err(hwf_license::Error::LedgerBroken {
                index: checked.summary.length as usize,
                reason: "the ledger ends before the recorded head",
            }
            .into());
        }
        let summary = checked.summary.clone();
        *self
            .ledger_verified
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(checked);
        Ok(summary)
    }

    /// How many verifications checked every signature of the ledger and passed (the others
    /// answered from the last of them, or failed).
    pub fn ledger_full_checks(&self) -> u64 {
        self.ledger_checks.load(Ordering::Relaxed)
    }

    fn ledger_last_checked(&self) -> Option<Checked> {
        self.ledger_verified
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The last `limit` (1..=500) entries, newest first, each verified on its own (the
    /// dashboard's recent activity; read by the key, not by an offset).
    pub async fn ledger_tail(&self, limit: i64) -> Result<Vec<EntryView>, ServiceError> {
        inputs::page(limit, 0, inputs::MAX_PAGE)?;
        let cml = self.active_cml().await?;
        let rows = entries::tail(&mut *self.db.conn().await?, limit).await?;
        Ok(rows
            .into_iter()
            .map(|(seq, jws)| entry_view(cml.as_deref(), seq, jws))
            .collect())
    }

    /// The last `limit` (1..=500) entries about site `site_id`, newest first, each verified
    /// on its own.
    pub async fn site_ledger(
        &self,
        site_id: &str,
        limit: i64,
    ) -> Result<Vec<EntryView>, ServiceError> {
        inputs::page(limit, 0, inputs::MAX_PAGE)?;
        let cml = self.active_cml().await?;
        let rows = entries::for_site(&mut *self.db.conn().await?, site_id, limit).await?;
        Ok(rows
            .into_iter()
            .map(|(seq, jws)| entry_view(cml.as_deref(), seq, jws))
            .collect())
    }

    /// Indexes the site of every entry written before the ledger had a site column (issue 19's
    /// migration), 500 at a time: the site id read from each entry's payload (the index serves the
    /// site pages; what they show is verified when read). Returns how many it indexed.
    pub async fn index_ledger_sites(&self) -> Result<usize, ServiceError> {
        let mut done = 0;
        loop {
            let batch = entries::unindexed(&mut *self.db.conn().await?, 500).await?;
            if batch.is_empty() {
                return Ok(done);
            }
            write_tx!(&self.db, ServiceError, |tx| {
                for (seq, jws) in &batch {
                    entries::set_site(&mut tx, *seq, &payload_site(jws)).await?;
                }
                Ok(())
            })?;
            done += batch.len();
        }
    }

    /// A page of entries (oldest first, `limit` 1..=500), each verified on its own.
    pub async fn ledger_page(&self, limit: i64, offset: i64) -> Result<LedgerPage, ServiceError> {
        inputs::page(limit, offset, inputs::MAX_PAGE)?;
        let cml = self.active_cml().await?;
        let (length, head) = self.ledger_head().await?;
        let rows = entries::page(&mut *self.db.conn().await?, limit, offset).await?;
        let entries = rows
            .into_iter()
            .map(|(seq, jws)| entry_view(cml.as_deref(), seq, jws))
            .collect();
        Ok(LedgerPage {
            length,
            head,
            entries,
        })
    }
}

/// Entry `seq` as listed: verified under `cml`, or why not.
fn entry_view(cml: Option<&VerifiedCml>, seq: i64, jws: String) -> EntryView {
    let checked = match cml {
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
}

/// The `site_id` of a ledger entry's payload, unverified (for the index only), or `""`.
fn payload_site(jws: &str) -> String {
    use base64::Engine;
    let payload = jws.split('.').nth(1).unwrap_or("");
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v.get("site_id")?.as_str().map(String::from))
        .unwrap_or_default()
}
