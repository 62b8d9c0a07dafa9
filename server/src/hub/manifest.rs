//! Monthly usage manifests: generation (idempotent per period, recorded in the ledger), listing,
//! verification, and delivery to the Root with retries and a recorded status.

use hwf_license::{
    document_id, issue, verify_manifest, LedgerEvent, ManifestClaims, ManifestSite, ManifestStats,
    ProductTierCount,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::Hub;
use crate::audit::{self, Actor};
use crate::problem::Problem;
use crate::{ledger, now, write_tx};

/// A manifest as stored, with its delivery status.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ManifestRecord {
    /// Document id.
    pub id: String,
    /// `YYYY-MM`.
    pub period: String,
    /// Generated (unix seconds).
    pub generated_at: i64,
    /// `generated` (never sent), `pending` (the Root could not be reached or answered 5xx/429:
    /// the next send retries it), `sent`, or `rejected` (the Root refused it with a 4xx).
    pub status: String,
    /// Delivery attempts so far.
    pub attempts: i64,
    /// When the Root accepted it.
    pub sent_at: Option<i64>,
    /// The last delivery error.
    pub last_error: Option<String>,
    /// The Root's answer when accepted.
    pub receipt: Option<String>,
    /// The signed manifest.
    pub jws: String,
}

const MANIFEST_COLS: &str =
    "id, period, generated_at, status, attempts, sent_at, last_error, receipt, jws";

fn manifest_from_row(r: &AnyRow) -> Result<ManifestRecord, Problem> {
    Ok(ManifestRecord {
        id: r.try_get(0)?,
        period: r.try_get(1)?,
        generated_at: r.try_get(2)?,
        status: r.try_get(3)?,
        attempts: r.try_get(4)?,
        sent_at: r.try_get(5)?,
        last_error: r.try_get(6)?,
        receipt: r.try_get(7)?,
        jws: r.try_get(8)?,
    })
}

impl Hub {
    /// Generates the signed usage manifest of `period` (idempotent: the stored one is returned
    /// if it exists). Returns the record and whether it was generated now. The manifest reports
    /// the ledger head before its own `manifest_generated` entry.
    pub async fn generate_manifest(
        &self,
        period: &str,
        actor: &Actor,
    ) -> Result<(ManifestRecord, bool), Problem> {
        let cml = self.require_cml().await?;
        let t = now();
        let (start, end) = crate::manifest_period(&cml.claims, period, t)?;
        if let Some(m) = self.manifest_by_period(period).await? {
            return Ok((m, false));
        }
        let created = write_tx!(&self.db, |tx| {
            self.db.lock_hub(&mut tx).await?;
            if sqlx::query("SELECT id FROM manifests WHERE period = $1")
                .bind(period)
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                return Ok(false);
            }
            let rows = sqlx::query(
                "SELECT site_id, product, tier, issued_at, last_seen, revoked_at FROM sites \
                 WHERE created_at < $1 AND (revoked_at IS NULL OR revoked_at >= $2) \
                 ORDER BY site_id",
            )
            .bind(end)
            .bind(start)
            .fetch_all(&mut *tx)
            .await?;
            let mut sites = Vec::with_capacity(rows.len());
            for r in &rows {
                let revoked_at: Option<i64> = r.try_get(5)?;
                sites.push(ManifestSite {
                    site_id: r.try_get(0)?,
                    product: r.try_get(1)?,
                    tier: r.try_get(2)?,
                    issued_at: r.try_get(3)?,
                    last_seen: r.try_get(4)?,
                    status: if revoked_at.is_some_and(|at| at < end) {
                        "revoked".into()
                    } else {
                        "active".into()
                    },
                });
            }
            let mut by: Vec<ProductTierCount> = Vec::new();
            for s in sites.iter().filter(|s| s.status == "active") {
                match by
                    .iter_mut()
                    .find(|c| c.product == s.product && c.tier == s.tier)
                {
                    Some(c) => c.count += 1,
                    None => by.push(ProductTierCount {
                        product: s.product.clone(),
                        tier: s.tier.clone(),
                        count: 1,
                    }),
                }
            }
            by.sort_by(|a, b| (&a.product, &a.tier).cmp(&(&b.product, &b.tier)));
            let users = sqlx::query("SELECT role FROM users")
                .fetch_all(&mut *tx)
                .await?;
            let admins = users
                .iter()
                .filter(|r| r.try_get::<String, _>(0).is_ok_and(|s| s == "admin"))
                .count();
            let head = sqlx::query("SELECT ledger_length, ledger_head FROM hub_state WHERE id = 1")
                .fetch_one(&mut *tx)
                .await?;
            let total_active = by.iter().map(|c| c.count).sum();
            let jws = issue::sign_manifest(
                &self.org,
                &ManifestClaims {
                    org_id: cml.claims.org_id.clone(),
                    cml: cml.id.clone(),
                    period: period.into(),
                    generated_at: t,
                    stats: ManifestStats {
                        admin_users: admins as u32,
                        total_users: users.len() as u32,
                        sites_by_product_tier: by,
                        total_active_sites: total_active,
                    },
                    sites,
                    ledger_head: head.try_get(1)?,
                    ledger_length: head.try_get::<i64, _>(0)? as u64,
                    ..Default::default()
                },
            )?;
            let id = document_id(&jws)?;
            sqlx::query(
                "INSERT INTO manifests (id, period, jws, generated_at, status, attempts) \
                 VALUES ($1, $2, $3, $4, 'generated', 0)",
            )
            .bind(&id)
            .bind(period)
            .bind(&jws)
            .bind(t)
            .execute(&mut *tx)
            .await?;
            let detail = format!("period={period} manifest={id}");
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::ManifestGenerated,
                    site_id: None,
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(&mut tx, actor, "manifest.generate", Some(&id), Some(period)).await?;
            Ok(true)
        })?;
        let m = self
            .manifest_by_period(period)
            .await?
            .ok_or_else(|| Problem::internal("generated manifest vanished"))?;
        Ok((m, created))
    }

    async fn manifest_by_period(&self, period: &str) -> Result<Option<ManifestRecord>, Problem> {
        sqlx::query(&format!(
            "SELECT {MANIFEST_COLS} FROM manifests WHERE period = $1"
        ))
        .bind(period)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|r| manifest_from_row(&r))
        .transpose()
    }

    /// One manifest by id, or 404.
    pub async fn manifest(&self, id: &str) -> Result<ManifestRecord, Problem> {
        sqlx::query(&format!(
            "SELECT {MANIFEST_COLS} FROM manifests WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.db.pool)
        .await?
        .map(|r| manifest_from_row(&r))
        .transpose()?
        .ok_or_else(|| Problem::not_found(format!("no manifest {id:?}")))
    }

    /// Manifests, newest period first, optionally only `period`.
    pub async fn manifests(&self, period: Option<&str>) -> Result<Vec<ManifestRecord>, Problem> {
        let rows = match period {
            Some(p) => {
                sqlx::query(&format!(
                    "SELECT {MANIFEST_COLS} FROM manifests WHERE period = $1"
                ))
                .bind(p)
                .fetch_all(&self.db.pool)
                .await?
            }
            None => {
                sqlx::query(&format!(
                    "SELECT {MANIFEST_COLS} FROM manifests ORDER BY period DESC"
                ))
                .fetch_all(&self.db.pool)
                .await?
            }
        };
        rows.iter().map(manifest_from_row).collect()
    }

    /// Checks a stored manifest with core against the active CML (signature, binding, totals).
    pub async fn verify_stored_manifest(&self, id: &str) -> Result<ManifestClaims, Problem> {
        let cml = self.require_cml().await?;
        let m = self.manifest(id).await?;
        Ok(verify_manifest(&cml, &m.jws)?.claims)
    }

    /// Sends a manifest to the Root (`POST {root_url}/api/root/manifests`), retrying network
    /// failures and 5xx/429 answers up to [`Hub::send_attempts`] times, waiting
    /// [`Hub::send_backoff`] before the first retry and twice as long before each next one.
    /// Every attempt is recorded (attempts, last error); when none got through the manifest
    /// stays `pending` for the next send. On success: `sent`, `sent_at` and the Root's receipt
    /// (the Root records a manifest once per document id, so a resend is harmless). A Root that
    /// rejects the manifest (4xx) is not retried: `rejected`. Answers the record, or 502
    /// `delivery-failed` / `delivery-rejected` with the last error.
    pub async fn send_manifest(
        &self,
        id: &str,
        root_url: Option<&str>,
        actor: &Actor,
    ) -> Result<ManifestRecord, Problem> {
        let m = self.manifest(id).await?;
        let base = root_url
            .map(|u| u.trim_end_matches('/').to_string())
            .or_else(|| self.root_url.clone())
            .ok_or_else(|| {
                Problem::conflict(
                    "no-root-url",
                    "No Root endpoint",
                    "set --root-url (HWF_ROOT_URL) to send manifests",
                )
            })?;
        let cml = self.require_cml().await?;
        let url = format!("{base}/api/root/manifests");
        let body = serde_json::json!({ "org_id": cml.claims.org_id, "manifest": m.jws });
        let mut outcome: Result<String, (String, bool)> = Err(("not attempted".into(), false));
        for attempt in 1..=self.send_attempts.max(1) {
            outcome = match self.http.post(&url).json(&body).send().await {
                Ok(res) => {
                    let status = res.status();
                    let text = res.text().await.unwrap_or_default();
                    if status.is_success() {
                        Ok(text)
                    } else {
                        let retry = status.is_server_error() || status.as_u16() == 429;
                        Err((format!("Root answered {status}: {text}"), !retry))
                    }
                }
                Err(e) => Err((format!("cannot reach the Root: {e}"), false)),
            };
            let (status, err) = match &outcome {
                Ok(_) => ("sent", None),
                Err((e, true)) => ("rejected", Some(e.as_str())),
                Err((e, false)) => ("pending", Some(e.as_str())),
            };
            let receipt = outcome.as_ref().ok();
            write_tx!(&self.db, |tx| {
                sqlx::query(
                    "UPDATE manifests SET attempts = attempts + 1, status = $1, last_error = $2, \
                     sent_at = CASE WHEN $1 = 'sent' THEN $3 ELSE sent_at END, \
                     receipt = CASE WHEN $1 = 'sent' THEN $4 ELSE receipt END WHERE id = $5",
                )
                .bind(status)
                .bind(err)
                .bind(now())
                .bind(receipt.map(String::as_str))
                .bind(id)
                .execute(&mut *tx)
                .await?;
                if outcome.is_ok()
                    || matches!(outcome, Err((_, true)))
                    || attempt == self.send_attempts.max(1)
                {
                    audit::record(&mut tx, actor, "manifest.send", Some(id), Some(status)).await?;
                }
                Ok(())
            })?;
            match &outcome {
                Ok(_) | Err((_, true)) => break,
                Err(_) if attempt < self.send_attempts => {
                    tokio::time::sleep(self.send_backoff * (1 << (attempt - 1).min(16))).await;
                }
                Err(_) => {}
            }
        }
        let record = self.manifest(id).await?;
        match outcome {
            Ok(_) => Ok(record),
            Err((e, rejected)) => Err(Problem::new(
                axum::http::StatusCode::BAD_GATEWAY,
                if rejected {
                    "delivery-rejected"
                } else {
                    "delivery-failed"
                },
                if rejected {
                    "Root rejected the manifest"
                } else {
                    "Manifest delivery failed"
                },
                format!("after {} attempt(s): {e}", record.attempts),
            )),
        }
    }
}
