//! Monthly usage manifests: generation (idempotent per period, recorded in the ledger), listing,
//! and delivery to the Root with retries and a recorded status.

use hwf_license::{document_id, issue, manifest_stats, LedgerEvent, ManifestClaims, ManifestSite};
use serde::{Deserialize, Serialize};

use super::ledger::Event;
use super::Hub;
use crate::domain::usage;
use crate::service::audit::{self, Actor};
use crate::service::ServiceError;
use crate::store::{hub_state, manifests, sites, users, write_tx};

/// A manifest as stored, with its delivery status.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManifestRecord {
    /// Document id.
    pub id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Generated (unix seconds).
    pub generated_at: i64,
    /// `generated` (never sent), `pending` (the Root could not be reached, answered 5xx/429,
    /// or answered without a receipt that verifies: the next send retries it), `sent` (a
    /// receipt verified), or `rejected` (the Root refused it with a 4xx).
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the Root's receipt was verified (the send, or the import of a receipt file).
    pub sent_at: Option<i64>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// The verified receipt, as a receipt file: JSON `{"receipt": <hwf-receipt+jws>,
    /// "receipt_key_certificate": <hwf-receipt-key+jws>}`.
    pub receipt: Option<String>,
    /// The signed manifest.
    pub jws: String,
}

impl From<manifests::ManifestRow> for ManifestRecord {
    fn from(r: manifests::ManifestRow) -> Self {
        Self {
            id: r.id,
            period: r.period,
            generated_at: r.generated_at,
            status: r.status,
            attempts: r.attempts,
            sent_at: r.sent_at,
            last_error: r.last_error,
            receipt: r.receipt,
            jws: r.jws,
        }
    }
}

/// A manifest as [`Hub::manifest_preview`] shows it.
#[derive(Clone, Debug)]
pub struct ManifestPreview {
    /// The stored record.
    pub record: ManifestRecord,
    /// Its claims, verified under the installed CML.
    pub claims: Option<ManifestClaims>,
    /// Why the claims do not verify under the installed CML.
    pub verify_error: Option<String>,
    /// The signed payload as indented JSON.
    pub payload_json: String,
    /// The receipt's payload as indented JSON, when a receipt verified.
    pub receipt_json: Option<String>,
}

/// The payload of a compact JWS as indented JSON (for display; nothing is verified here).
fn decoded_payload(jws: &str) -> Option<String> {
    use base64::Engine;
    let payload = jws.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    serde_json::to_string_pretty(&v).ok()
}

/// Largest Root answer the Hub reads (a receipt and its certificate are a few KiB).
const MAX_ROOT_ANSWER: usize = 256 * 1024;

/// A receipt file, and the receipt members of the Root's answer to a manifest.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReceiptFile {
    /// The signed receipt (compact JWS, `hwf-receipt+jws`).
    pub receipt: String,
    /// The receipt key certificate (compact JWS, `hwf-receipt-key+jws`).
    pub receipt_key_certificate: String,
}

/// How one delivery attempt ended.
enum Attempt {
    /// The Root accepted it with a receipt that verified: the receipt file to store.
    Sent(String),
    /// The Root refused it (4xx): not retried.
    Rejected(String),
    /// Not reached, 5xx/429, or an answer without a receipt that verifies: retried.
    Failed(String),
}

/// Reads at most [`MAX_ROOT_ANSWER`] bytes of an answer.
async fn bounded_text(mut res: reqwest::Response) -> Result<String, String> {
    let mut out = Vec::new();
    while let Some(chunk) = res.chunk().await.map_err(|e| e.to_string())? {
        if out.len() + chunk.len() > MAX_ROOT_ANSWER {
            return Err(format!("answer over {MAX_ROOT_ANSWER} bytes"));
        }
        out.extend_from_slice(&chunk);
    }
    Ok(String::from_utf8_lossy(&out).into_owned())
}

impl Hub {
    /// Generates the signed usage manifest of `period` (idempotent: the stored one is returned
    /// if it exists). Returns the record and whether it was generated now. The manifest reports
    /// the ledger head before its own `manifest_generated` entry. The period must qualify as the
    /// Root requires (core's `check_manifest_period`).
    pub async fn generate_manifest(
        &self,
        period: &str,
        actor: &Actor,
    ) -> Result<(ManifestRecord, bool), ServiceError> {
        let cml = self.require_cml().await?;
        let t = self.now();
        let (start, end) = crate::service::error::manifest_period(&cml.claims, period, t)?;
        if let Some(m) = manifests::by_period(&mut *self.db.conn().await?, period).await? {
            return Ok((m.into(), false));
        }
        let created = write_tx!(&self.db, ServiceError, |tx| {
            hub_state::lock(&self.db, &mut tx).await?;
            if manifests::by_period(&mut tx, period).await?.is_some() {
                return Ok(false);
            }
            let sites: Vec<ManifestSite> = sites::in_period(&mut tx, start, end)
                .await?
                .into_iter()
                .map(|s| ManifestSite {
                    status: usage::status_at_end(s.revoked_at, end).into(),
                    site_id: s.site_id,
                    product: s.product,
                    tier: s.tier,
                    issued_at: s.issued_at,
                    last_seen: s.last_seen,
                })
                .collect();
            let roles = users::roles(&mut tx).await?;
            let admins = roles.iter().filter(|r| *r == "admin").count();
            let head = hub_state::ledger_head(&mut tx).await?;
            let stats = manifest_stats(&sites, admins as u32, roles.len() as u32);
            let jws = issue::sign_manifest(
                &self.org,
                &ManifestClaims {
                    org_id: cml.claims.org_id.clone(),
                    cml: cml.id.clone(),
                    period: period.into(),
                    generated_at: t,
                    stats,
                    sites,
                    ledger_head: head.head,
                    ledger_length: head.length as u64,
                    ..Default::default()
                },
            )?;
            let id = document_id(&jws)?;
            manifests::insert(&mut tx, &id, period, &jws, t).await?;
            let detail = format!("period={period} manifest={id}");
            self.append(
                &mut tx,
                &cml,
                Event {
                    at: t,
                    kind: LedgerEvent::ManifestGenerated,
                    site_id: None,
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(
                &mut tx,
                t,
                actor,
                "manifest.generate",
                Some(&id),
                Some(period),
            )
            .await?;
            Ok(true)
        })?;
        let m = manifests::by_period(&mut *self.db.conn().await?, period)
            .await?
            .ok_or_else(|| ServiceError::internal("generated manifest vanished"))?;
        Ok((m.into(), created))
    }

    /// One manifest by id, or [`ServiceError::NotFound`].
    pub async fn manifest(&self, id: &str) -> Result<ManifestRecord, ServiceError> {
        manifests::by_id(&mut *self.db.conn().await?, id)
            .await?
            .map(ManifestRecord::from)
            .ok_or_else(|| ServiceError::NotFound(format!("no manifest {id:?}")))
    }

    /// A manifest for people to read: its record, its claims verified with core under the
    /// installed CML (or why they do not verify, e.g. after a CML refresh), its payload as
    /// indented JSON, and the receipt's payload when it has one.
    pub async fn manifest_preview(&self, id: &str) -> Result<ManifestPreview, ServiceError> {
        let record = self.manifest(id).await?;
        let (claims, verify_error) = match self.active_cml().await? {
            Some(cml) => match hwf_license::verify_manifest(&cml, &record.jws) {
                Ok(v) => (Some(v.claims), None),
                Err(e) => (None, Some(e.to_string())),
            },
            None => (None, Some(ServiceError::NoCml.to_string())),
        };
        let payload_json = decoded_payload(&record.jws).unwrap_or_default();
        let receipt_json = record
            .receipt
            .as_deref()
            .and_then(|r| serde_json::from_str::<ReceiptFile>(r).ok())
            .and_then(|f| decoded_payload(&f.receipt));
        Ok(ManifestPreview {
            record,
            claims,
            verify_error,
            payload_json,
            receipt_json,
        })
    }

    /// The manifest of `period`, if generated.
    pub async fn manifest_of_period(
        &self,
        period: &str,
    ) -> Result<Option<ManifestRecord>, ServiceError> {
        Ok(manifests::by_period(&mut *self.db.conn().await?, period)
            .await?
            .map(ManifestRecord::from))
    }

    /// Manifests, newest period first, optionally only `period`.
    pub async fn manifests(
        &self,
        period: Option<&str>,
    ) -> Result<Vec<ManifestRecord>, ServiceError> {
        Ok(match period {
            Some(p) => self.manifest_of_period(p).await?.into_iter().collect(),
            None => manifests::all(&mut *self.db.conn().await?)
                .await?
                .into_iter()
                .map(ManifestRecord::from)
                .collect(),
        })
    }

    /// Sends a manifest to the Root (`POST {root_url}/api/root/manifests`), retrying network
    /// failures and 5xx/429 answers up to [`Hub::send_attempts`] times, waiting
    /// [`Hub::send_backoff`] before the first retry and twice as long before each next one.
    /// Every attempt is recorded (attempts, last error); when none got through the manifest
    /// stays `pending` for the next send. A 2xx answer counts only with a receipt that verifies
    /// (core's `verify_receipt` under this Hub's trusted roots: chain to a root, this org, this
    /// manifest's id); otherwise the attempt failed. On success: `sent`, `sent_at` and the
    /// receipt file (the Root records a manifest once per document id, so a resend is harmless). A Root that
    /// rejects the manifest (4xx) is not retried: `rejected`. Answers the record, or
    /// [`ServiceError::Delivery`] with the last error.
    pub async fn send_manifest(
        &self,
        id: &str,
        root_url: Option<&str>,
        actor: &Actor,
    ) -> Result<ManifestRecord, ServiceError> {
        let m = self.manifest(id).await?;
        let base = root_url
            .map(|u| u.trim_end_matches('/').to_string())
            .or_else(|| self.root_url.clone())
            .ok_or(ServiceError::NoRootUrl)?;
        let cml = self.require_cml().await?;
        let url = format!("{base}/api/root/manifests");
        let body = serde_json::json!({ "org_id": cml.claims.org_id, "manifest": m.jws });
        let attempts = self.send_attempts.max(1);
        let mut outcome = Attempt::Failed("not attempted".into());
        for attempt in 1..=attempts {
            outcome = match self.http.post(&url).json(&body).send().await {
                Ok(res) => {
                    let status = res.status();
                    let text = bounded_text(res).await.unwrap_or_else(|e| e);
                    if status.is_success() {
                        // A 2xx proves nothing: only a receipt that verifies does.
                        match self.verify_receipt_text(&cml, &m.id, &text) {
                            Ok(file) => Attempt::Sent(file),
                            Err(e) => Attempt::Failed(format!("Root answered {status}: {e}")),
                        }
                    } else if status.is_server_error() || status.as_u16() == 429 {
                        Attempt::Failed(format!("Root answered {status}: {text}"))
                    } else {
                        Attempt::Rejected(format!("Root answered {status}: {text}"))
                    }
                }
                Err(e) => Attempt::Failed(format!("cannot reach the Root: {e}")),
            };
            let (status, error, receipt) = match &outcome {
                Attempt::Sent(r) => ("sent", None, Some(r.as_str())),
                Attempt::Rejected(e) => ("rejected", Some(e.as_str()), None),
                Attempt::Failed(e) => ("pending", Some(e.as_str()), None),
            };
            let last = !matches!(outcome, Attempt::Failed(_)) || attempt == attempts;
            let t = self.now();
            write_tx!(&self.db, ServiceError, |tx| {
                manifests::record_attempt(&mut tx, id, status, error, receipt, t).await?;
                if last {
                    audit::record(&mut tx, t, actor, "manifest.send", Some(id), Some(status))
                        .await?;
                }
                Ok(())
            })?;
            if last {
                break;
            }
            tokio::time::sleep(self.send_backoff * (1 << (attempt - 1).min(16))).await;
        }
        let record = self.manifest(id).await?;
        let (rejected, error) = match outcome {
            Attempt::Sent(_) => return Ok(record),
            Attempt::Rejected(e) => (true, e),
            Attempt::Failed(e) => (false, e),
        };
        Err(ServiceError::Delivery {
            rejected,
            attempts: record.attempts,
            error,
        })
    }

    /// Verifies a receipt file (or the Root's JSON answer carrying its members) for manifest
    /// `manifest_id` of `cml`'s org at the Hub's clock; answers the receipt file to store.
    fn verify_receipt_text(
        &self,
        cml: &hwf_license::VerifiedCml,
        manifest_id: &str,
        text: &str,
    ) -> Result<String, ServiceError> {
        let file: ReceiptFile = serde_json::from_str(text)
            .map_err(|e| ServiceError::ReceiptInvalid(format!("no receipt in the answer: {e}")))?;
        self.validator()
            .verify_receipt(
                &file.receipt_key_certificate,
                &file.receipt,
                &cml.claims.org_id,
                manifest_id,
                self.now(),
            )
            .map_err(|e| ServiceError::ReceiptInvalid(format!("{} ({})", e, e.code().name())))?;
        serde_json::to_string(&file).map_err(ServiceError::internal)
    }

    /// Imports a receipt file for manifest `id` (a manifest carried to the Root by hand, whose
    /// receipt came back the same way): verified as a sent manifest's receipt is, then the
    /// manifest is `sent` with it. A receipt that does not verify changes nothing
    /// ([`ServiceError::ReceiptInvalid`]).
    pub async fn import_receipt(
        &self,
        id: &str,
        file: &ReceiptFile,
        actor: &Actor,
    ) -> Result<ManifestRecord, ServiceError> {
        let m = self.manifest(id).await?;
        let cml = self.require_cml().await?;
        let text = serde_json::to_string(file).map_err(ServiceError::internal)?;
        let stored = self.verify_receipt_text(&cml, &m.id, &text)?;
        let t = self.now();
        write_tx!(&self.db, ServiceError, |tx| {
            manifests::mark_sent(&mut tx, id, &stored, t).await?;
            audit::record(&mut tx, t, actor, "manifest.receipt.import", Some(id), None).await?;
            Ok(())
        })?;
        self.manifest(id).await
    }
}
