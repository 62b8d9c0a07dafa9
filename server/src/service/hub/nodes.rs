//! What site nodes call: the heartbeat (a signed, nonce-bound answer with the site's status
//! and its CML's current revocation list) and the validation of a `site.lic`.

use std::sync::Arc;

use hwf_license::{
    document_id, issue, parse_license_file, HeartbeatClaims, LedgerEvent, NodeFacts, Validator,
};
use serde::{Deserialize, Serialize};

use super::ledger::Event;
use super::Hub;
use crate::domain::inputs;
use crate::service::ServiceError;
use crate::store::{activity, revocation_lists, sites, write_tx};

/// A heartbeat request from a site node.
#[derive(Clone, Debug, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HeartbeatRequest {
    /// The license id from the node's `site.lic` (proves the node holds it).
    pub license_id: String,
    /// A fresh random nonce (16..=256 characters); the signed answer echoes it.
    #[schema(min_length = 16, max_length = 256)]
    pub nonce: String,
    /// The payload versions the node's library reads, per document type (FORMAT.md §8), e.g.
    /// `{"cml": [1, 2], "site": [1]}`. Absent: version 1 of every kind.
    #[serde(default)]
    pub speaks: Option<std::collections::BTreeMap<String, Vec<u32>>>,
}

/// The heartbeat answer.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HeartbeatAnswer {
    /// The site's status (`active` or `revoked`), also inside the signed answer.
    pub status: String,
    /// The signed answer (compact JWS, `hwf-heartbeat+jws`) for `Validator::verify_heartbeat`.
    pub answer: String,
}

/// Core's verdict on a valid `site.lic`, as `POST /api/validate` answers it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValidateAnswer {
    /// `valid`, or `grace` (past expiry, within the grace period).
    pub status: String,
    /// The site.
    pub site_id: String,
    /// The organisation.
    pub org_id: String,
    /// The site license id.
    pub license_id: String,
    /// The CML's license id.
    pub cml_license_id: String,
    /// The CML's document id.
    pub cml_id: String,
    /// `dev` or `prod`.
    pub environment: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Enabled features.
    pub features: Vec<String>,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Effective expiry (unix seconds).
    pub expires_at: i64,
    /// End of the grace period (unix seconds).
    pub grace_end: i64,
    /// Whole days of grace left, when in grace.
    pub grace_days_left: Option<u32>,
    /// Warnings for the operator.
    pub warnings: Vec<VerdictWarning>,
}

/// A warning in a verdict.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct VerdictWarning {
    /// Core's stable warning name.
    pub name: String,
    /// For people.
    pub message: String,
}

/// Node facts posted to `POST /api/validate`.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// IP addresses.
    #[serde(default)]
    pub addresses: Vec<String>,
    /// DNS name.
    #[serde(default)]
    pub dns_name: Option<String>,
    /// Deployment tag.
    #[serde(default)]
    pub deployment_tag: Option<String>,
}

impl Hub {
    /// The shared validator, with `list` (the stored revocation list of the CML `cml_id` that
    /// `license` names) applied unless it is the list last applied. A list older than the one
    /// applied (read before another request applied a newer one) is ignored.
    fn validator_with_list(
        &self,
        license: &[u8],
        cml_id: &str,
        list: Option<&str>,
        now: i64,
    ) -> Result<Arc<Validator>, ServiceError> {
        let v = self.validator();
        if let Some(list) = list {
            let mut applied = self.applied_lists.lock().unwrap_or_else(|p| p.into_inner());
            if applied.get(cml_id).map(String::as_str) != Some(list) {
                match v.apply_revocation_list_at(license, list, now) {
                    Ok(_) => {
                        applied.insert(cml_id.to_string(), list.to_string());
                    }
                    Err(hwf_license::Error::RevocationListStale { .. }) => {}
                    Err(e) => return Err(e.into()),
                }
            }
        }
        Ok(v)
    }

    /// Records a node's heartbeat (last seen; a `site_seen` ledger entry at most once per site
    /// per UTC day) and answers with a signed heartbeat bound to the node's nonce, carrying the
    /// site's status and the current revocation list of its CML. A node whose `speaks` does
    /// not include the installed CML's format version gets [`ServiceError::UpgradeRequired`].
    pub async fn heartbeat(
        &self,
        site_id: &str,
        req: &HeartbeatRequest,
    ) -> Result<HeartbeatAnswer, ServiceError> {
        inputs::nonce(&req.nonce)?;
        inputs::speaks(req.speaks.as_ref())?;
        let cml = self.require_cml().await?;
        if !inputs::reads(req.speaks.as_ref(), "cml", cml.claims.v) {
            return Err(ServiceError::UpgradeRequired {
                cml_version: cml.claims.v,
            });
        }
        let t = self.now();
        let day = t.div_euclid(crate::domain::DAY);
        let (status, site_cml, list) = write_tx!(&self.db, ServiceError, |tx| {
            let (license_id, status, site_cml) = sites::node_view(&mut tx, site_id)
                .await?
                // An unknown site and a wrong license id answer alike: no site enumeration.
                .ok_or(ServiceError::LicenseMismatch)?;
            if license_id != req.license_id {
                return Err(ServiceError::LicenseMismatch);
            }
            activity::add(&mut tx, day, "heartbeat", 1).await?;
            if sites::seen(&mut tx, site_id, t, day).await? {
                let detail = format!("status={status}");
                self.append(
                    &mut tx,
                    &cml,
                    Event {
                        at: t,
                        kind: LedgerEvent::SiteSeen,
                        site_id: Some(site_id),
                        detail: Some(&detail),
                    },
                )
                .await?;
            }
            let list = self
                .revocation_list(&mut tx, &site_cml, &cml.claims.org_id, t)
                .await?;
            Ok((status, site_cml, list))
        })?;
        let claims = HeartbeatClaims {
            org_id: cml.claims.org_id.clone(),
            cml: site_cml,
            site_id: site_id.into(),
            status: status.clone(),
            nonce: req.nonce.clone(),
            server_time: t,
            revocation_list: list,
            ..Default::default()
        };
        // The answer's signature is CPU work on a request anyone can send: on the bounded pool.
        let org = self.org.clone();
        let answer = self
            .cpu
            .run(move || issue::sign_heartbeat(&org, &claims))
            .await??;
        Ok(HeartbeatAnswer { status, answer })
    }

    /// Validates a `site.lic` for a node with `facts` at the Hub's clock, with the shared
    /// validator after applying the current revocation list of the license's CML. A what-if
    /// check for core: the validator's trust state is never written. A license valid under
    /// another CML is refused unless it lies within this Hub's CML (core's `check_site_scope`:
    /// the same org, features among its feature packs).
    /// The result is counted for the day's node activity (`valid`, `grace`, or `invalid` for a
    /// license that core refuses).
    pub async fn validate(
        &self,
        license: &str,
        facts: &Facts,
    ) -> Result<ValidateAnswer, ServiceError> {
        let verdict = self.validate_uncounted(license, facts).await;
        match &verdict {
            Ok(v) if v.status == "grace" => self.count_validation("grace"),
            Ok(_) => self.count_validation("valid"),
            Err(ServiceError::License(_)) => self.count_validation("invalid"),
            Err(_) => {}
        }
        verdict
    }

    async fn validate_uncounted(
        &self,
        license: &str,
        facts: &Facts,
    ) -> Result<ValidateAnswer, ServiceError> {
        let hub_cml = self.require_cml().await?;
        let file = parse_license_file(license.as_bytes())?;
        let cml_id = document_id(&file.cml)?;
        let list = revocation_lists::get_list(&mut *self.db.conn().await?, &cml_id).await?;
        let facts = NodeFacts::from_strs(
            facts.addresses.iter().map(String::as_str),
            facts.dns_name.as_deref(),
            facts.deployment_tag.as_deref(),
        )?;
        let t = self.now();
        let validator =
            self.validator_with_list(license.as_bytes(), &cml_id, list.as_deref(), t)?;
        let bytes = license.as_bytes().to_vec();
        let v = self
            .cpu
            .run(move || validator.validate_at(&bytes, &facts, t))
            .await??;
        hwf_license::check_site_scope(&hub_cml, &v.org_id, &v.features)?;
        Ok(ValidateAnswer {
            status: v.status.as_str().into(),
            site_id: v.site_id,
            org_id: v.org_id,
            license_id: v.license_id,
            cml_license_id: v.cml_license_id,
            cml_id: v.cml_id,
            environment: v.environment.as_str().into(),
            product: v.product,
            tier: v.tier,
            features: v.features,
            issued_at: v.issued_at,
            expires_at: v.expires_at,
            grace_end: v.grace_end,
            grace_days_left: v.grace_days_left,
            warnings: v
                .warnings
                .iter()
                .map(|w| VerdictWarning {
                    name: w.name().into(),
                    message: w.to_string(),
                })
                .collect(),
        })
    }
}
