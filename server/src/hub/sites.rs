//! Site licenses: minting under the `max_sites` limit, listing, revocation (with the signed
//! revocation list of the site's CML), heartbeats and validation of a node's `site.lic`.

use hwf_license::{
    document_id, issue, parse_license_file, Fingerprint, HeartbeatClaims, LedgerEvent, NodeFacts,
    RevocationListClaims, SiteClaims,
};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::{Hub, MAX_PAGE};
use crate::audit::{self, Actor};
use crate::db::WriteTx;
use crate::keys_at_rest::random_id;
use crate::problem::Problem;
use crate::{ledger, now, write_tx};

/// A new site, as posted to `POST /api/sites/create` or read from an import file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    /// Site id: 1..=128 characters of `A-Z a-z 0-9 . _ -`.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,128}$")]
    pub site_id: String,
    /// Optional node binding.
    #[serde(default)]
    #[schema(value_type = Option<crate::openapi::Fingerprint>)]
    pub fingerprint: Option<Fingerprint>,
    /// Product (default `hwf`).
    #[serde(default)]
    pub product: Option<String>,
    /// Tier (default `active`).
    #[serde(default)]
    pub tier: Option<String>,
    /// Features, a subset of the CML's feature packs (default: none).
    #[serde(default)]
    pub features: Vec<String>,
    /// Days of validity (default and maximum: until the CML's `valid_until`).
    #[serde(default)]
    pub valid_days: Option<u32>,
}

/// A site as listed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct SiteView {
    /// Site id.
    pub site_id: String,
    /// Site license id (what revocation lists name).
    pub license_id: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Features.
    pub features: Vec<String>,
    /// Node binding.
    #[schema(value_type = crate::openapi::Fingerprint)]
    pub fingerprint: Fingerprint,
    /// Document id of the CML the license is bound to.
    pub cml_id: String,
    /// Issued (unix seconds).
    pub issued_at: i64,
    /// Expires (unix seconds).
    pub expires_at: i64,
    /// Created (unix seconds).
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// Revoked (unix seconds).
    pub revoked_at: Option<i64>,
    /// Last heartbeat (unix seconds).
    pub last_seen: Option<i64>,
}

const SITE_COLS: &str = "site_id, license_id, status, product, tier, features, fingerprint, \
                         cml_id, issued_at, expires_at, created_at, created_by, revoked_at, last_seen";

fn site_from_row(r: &AnyRow) -> Result<SiteView, Problem> {
    let json = |i: usize| -> Result<String, Problem> { Ok(r.try_get(i)?) };
    Ok(SiteView {
        site_id: r.try_get(0)?,
        license_id: r.try_get(1)?,
        status: r.try_get(2)?,
        product: r.try_get(3)?,
        tier: r.try_get(4)?,
        features: serde_json::from_str(&json(5)?).map_err(Problem::internal)?,
        fingerprint: serde_json::from_str(&json(6)?).map_err(Problem::internal)?,
        cml_id: r.try_get(7)?,
        issued_at: r.try_get(8)?,
        expires_at: r.try_get(9)?,
        created_at: r.try_get(10)?,
        created_by: r.try_get(11)?,
        revoked_at: r.try_get(12)?,
        last_seen: r.try_get(13)?,
    })
}

/// Filter and page of `GET /api/sites`.
#[derive(Clone, Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SiteQuery {
    /// `active` or `revoked`.
    #[param(pattern = "^(active|revoked)$")]
    pub status: Option<String>,
    /// Substring of site id, product or tier.
    pub search: Option<String>,
    /// Page size (default 50, at most 500).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    /// Offset.
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// A page of sites.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SitePage {
    /// Matching sites in all.
    pub total: i64,
    /// Page size used.
    pub limit: i64,
    /// Offset used.
    pub offset: i64,
    /// The page.
    pub sites: Vec<SiteView>,
}

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

impl HeartbeatRequest {
    /// Whether the node reads payload version `v` of `doc_type` (FORMAT.md §8).
    fn speaks(&self, doc_type: &str, v: u32) -> bool {
        match &self.speaks {
            None => v == 1,
            Some(m) => m.get(doc_type).is_some_and(|vs| vs.contains(&v)),
        }
    }
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

fn check_site_id(id: &str) -> Result<(), Problem> {
    if id.is_empty()
        || id.len() > 128
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(Problem::invalid(
            "site_id must be 1..=128 characters of A-Z a-z 0-9 . _ -",
        ));
    }
    Ok(())
}

fn no_site(site_id: &str) -> Problem {
    Problem::new(
        axum::http::StatusCode::NOT_FOUND,
        "unknown-site",
        "Unknown site",
        format!("no site {site_id:?}"),
    )
}

impl Hub {
    /// Mints a site license under the active CML. The site limit is checked and the site, its
    /// ledger entry and audit entry are written in one serialised transaction, so concurrent
    /// requests never exceed `max_sites` (409 `max-sites-reached`).
    pub async fn create_site(&self, new: &NewSite, actor: &Actor) -> Result<SiteView, Problem> {
        check_site_id(&new.site_id)?;
        let cml = self.require_cml().await?;
        let t = now();
        let mut expires_at = cml.claims.valid_until;
        if let Some(days) = new.valid_days {
            if days == 0 {
                return Err(Problem::invalid("valid_days must be at least 1"));
            }
            expires_at = expires_at.min(t + i64::from(days) * 86_400);
        }
        if expires_at <= t {
            return Err(Problem::conflict(
                "cml-expired",
                "CML expired",
                "the CML has expired; refresh it first",
            ));
        }
        let claims = SiteClaims {
            license_id: random_id("lic-"),
            site_id: new.site_id.clone(),
            fingerprint: new.fingerprint.clone().unwrap_or_default(),
            issued_at: t,
            expires_at,
            features: new.features.clone(),
            product: new.product.clone().unwrap_or_else(|| "hwf".into()),
            tier: new.tier.clone().unwrap_or_else(|| "active".into()),
            ..Default::default()
        };
        // Sign before taking the lock: a bad request fails here and writes nothing.
        let license = issue::mint_site_license(&self.org, &cml, &claims)?;
        let features = serde_json::to_string(&claims.features).map_err(Problem::internal)?;
        let fingerprint = serde_json::to_string(&claims.fingerprint).map_err(Problem::internal)?;
        write_tx!(&self.db, |tx| {
            self.db.lock_hub(&mut tx).await?;
            let exists = sqlx::query("SELECT status FROM sites WHERE site_id = $1")
                .bind(&new.site_id)
                .fetch_optional(&mut *tx)
                .await?;
            if let Some(r) = exists {
                let status: String = r.try_get(0)?;
                return Err(Problem::conflict(
                    "site-exists",
                    "Site exists",
                    format!("site {:?} already exists ({status})", new.site_id),
                ));
            }
            let active: i64 = sqlx::query("SELECT count(*) FROM sites WHERE status = 'active'")
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            if active >= i64::from(cml.claims.max_sites) {
                return Err(Problem::conflict(
                    "max-sites-reached",
                    "Site limit reached",
                    format!(
                        "the CML allows {} active sites and {active} are active",
                        cml.claims.max_sites
                    ),
                ));
            }
            sqlx::query(
                "INSERT INTO sites (site_id, license_id, cml_id, product, tier, features, \
                 fingerprint, status, license, issued_at, expires_at, created_at, created_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', $8, $9, $10, $11, $12)",
            )
            .bind(&claims.site_id)
            .bind(&claims.license_id)
            .bind(&cml.id)
            .bind(&claims.product)
            .bind(&claims.tier)
            .bind(&features)
            .bind(&fingerprint)
            .bind(&license)
            .bind(claims.issued_at)
            .bind(claims.expires_at)
            .bind(t)
            .bind(&actor.name)
            .execute(&mut *tx)
            .await?;
            let detail = format!("product={} tier={}", claims.product, claims.tier);
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::SiteCreated,
                    site_id: Some(&claims.site_id),
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(
                &mut tx,
                actor,
                "site.create",
                Some(&claims.site_id),
                Some(&detail),
            )
            .await?;
            Ok(())
        })?;
        self.site(&new.site_id).await
    }

    /// One site, or 404 `unknown-site`.
    pub async fn site(&self, site_id: &str) -> Result<SiteView, Problem> {
        let row = sqlx::query(&format!("SELECT {SITE_COLS} FROM sites WHERE site_id = $1"))
            .bind(site_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| no_site(site_id))?;
        site_from_row(&row)
    }

    /// A filtered page of sites with the total count.
    pub async fn list_sites(&self, q: &SiteQuery) -> Result<SitePage, Problem> {
        let limit = q.limit.unwrap_or(50);
        let offset = q.offset.unwrap_or(0);
        if !(1..=MAX_PAGE).contains(&limit) || offset < 0 {
            return Err(Problem::invalid(format!(
                "limit must be 1..={MAX_PAGE} and offset at least 0"
            )));
        }
        let mut conds = Vec::new();
        let mut args: Vec<String> = Vec::new();
        if let Some(s) = &q.status {
            if s != "active" && s != "revoked" {
                return Err(Problem::invalid("status must be \"active\" or \"revoked\""));
            }
            args.push(s.clone());
            conds.push(format!("status = ${}", args.len()));
        }
        if let Some(s) = q.search.as_deref().filter(|s| !s.is_empty()) {
            let escaped = s
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            args.push(format!("%{escaped}%"));
            let n = args.len();
            conds.push(format!(
                "(site_id LIKE ${n} ESCAPE '\\' OR product LIKE ${n} ESCAPE '\\' \
                 OR tier LIKE ${n} ESCAPE '\\')"
            ));
        }
        let filter = if conds.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", conds.join(" AND "))
        };
        let count_sql = format!("SELECT count(*) FROM sites{filter}");
        let mut count = sqlx::query(&count_sql);
        for a in &args {
            count = count.bind(a.as_str());
        }
        let total: i64 = count.fetch_one(&self.db.pool).await?.try_get(0)?;
        let page_sql = format!(
            "SELECT {SITE_COLS} FROM sites{filter} ORDER BY site_id LIMIT ${} OFFSET ${}",
            args.len() + 1,
            args.len() + 2
        );
        let mut page = sqlx::query(&page_sql);
        for a in &args {
            page = page.bind(a.as_str());
        }
        let rows = page
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.db.pool)
            .await?;
        Ok(SitePage {
            total,
            limit,
            offset,
            sites: rows.iter().map(site_from_row).collect::<Result<_, _>>()?,
        })
    }

    /// Revokes a site: marks it revoked, signs a new revocation list for its CML (next sequence
    /// number), and records it in the ledger and the audit log, all in one transaction.
    pub async fn revoke_site(&self, site_id: &str, actor: &Actor) -> Result<SiteView, Problem> {
        let cml = self.require_cml().await?;
        let t = now();
        write_tx!(&self.db, |tx| {
            let r = sqlx::query(
                "UPDATE sites SET status = 'revoked', revoked_at = $1 \
                 WHERE site_id = $2 AND status = 'active'",
            )
            .bind(t)
            .bind(site_id)
            .execute(&mut *tx)
            .await?;
            if r.rows_affected() == 0 {
                let exists = sqlx::query("SELECT status FROM sites WHERE site_id = $1")
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?;
                return match exists {
                    None => Err(no_site(site_id)),
                    Some(_) => Err(Problem::conflict(
                        "site-revoked",
                        "Site already revoked",
                        format!("site {site_id:?} is already revoked"),
                    )),
                };
            }
            let site_cml: String = sqlx::query("SELECT cml_id FROM sites WHERE site_id = $1")
                .bind(site_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            self.sign_revocations(&mut tx, &site_cml, &cml.claims.org_id, t)
                .await?;
            ledger::append(
                &self.db,
                &mut tx,
                &self.org,
                &cml,
                ledger::Event {
                    at: t,
                    kind: LedgerEvent::SiteRevoked,
                    site_id: Some(site_id),
                    detail: None,
                },
            )
            .await?;
            audit::record(&mut tx, actor, "site.revoke", Some(site_id), None).await?;
            Ok(())
        })?;
        self.site(site_id).await
    }

    /// Signs and stores the next revocation list for `cml_id` (under the hub lock).
    async fn sign_revocations(
        &self,
        tx: &mut WriteTx,
        cml_id: &str,
        org_id: &str,
        t: i64,
    ) -> Result<(), Problem> {
        self.db.lock_hub(tx).await?;
        let seq: i64 = sqlx::query("SELECT revocation_seq FROM hub_state WHERE id = 1")
            .fetch_one(&mut **tx)
            .await?
            .try_get::<i64, _>(0)?
            + 1;
        sqlx::query("UPDATE hub_state SET revocation_seq = $1 WHERE id = 1")
            .bind(seq)
            .execute(&mut **tx)
            .await?;
        let revoked = sqlx::query(
            "SELECT license_id FROM sites WHERE cml_id = $1 AND status = 'revoked' \
             ORDER BY license_id",
        )
        .bind(cml_id)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<Vec<String>, _>>()?;
        let jws = issue::sign_revocation_list(
            &self.org,
            &RevocationListClaims {
                org_id: org_id.into(),
                cml: cml_id.into(),
                seq: seq as u64,
                issued_at: t,
                revoked,
                ..Default::default()
            },
        )?;
        sqlx::query(
            "INSERT INTO revocation_lists (cml_id, seq, jws) VALUES ($1, $2, $3) \
             ON CONFLICT (cml_id) DO UPDATE SET seq = excluded.seq, jws = excluded.jws",
        )
        .bind(cml_id)
        .bind(seq)
        .bind(&jws)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }

    /// The current revocation list for `cml_id`, creating an empty one (sequence 0) if none.
    async fn revocation_list(
        &self,
        tx: &mut WriteTx,
        cml_id: &str,
        org_id: &str,
        t: i64,
    ) -> Result<String, Problem> {
        let get = "SELECT jws FROM revocation_lists WHERE cml_id = $1";
        if let Some(r) = sqlx::query(get)
            .bind(cml_id)
            .fetch_optional(&mut **tx)
            .await?
        {
            return Ok(r.try_get(0)?);
        }
        let jws = issue::sign_revocation_list(
            &self.org,
            &RevocationListClaims {
                org_id: org_id.into(),
                cml: cml_id.into(),
                seq: 0,
                issued_at: t,
                revoked: Vec::new(),
                ..Default::default()
            },
        )?;
        sqlx::query(
            "INSERT INTO revocation_lists (cml_id, seq, jws) VALUES ($1, 0, $2) \
             ON CONFLICT (cml_id) DO NOTHING",
        )
        .bind(cml_id)
        .bind(&jws)
        .execute(&mut **tx)
        .await?;
        Ok(sqlx::query(get)
            .bind(cml_id)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?)
    }

    /// Records a node's heartbeat (last seen; a `site_seen` ledger entry at most once per site
    /// per UTC day) and answers with a signed heartbeat bound to the node's nonce, carrying the
    /// site's status and the current revocation list of its CML.
    pub async fn heartbeat(
        &self,
        site_id: &str,
        req: &HeartbeatRequest,
    ) -> Result<HeartbeatAnswer, Problem> {
        let chars = req.nonce.chars().count();
        if !(16..=256).contains(&chars) || req.nonce.chars().any(char::is_control) {
            return Err(Problem::invalid(
                "nonce must be 16..=256 characters without control characters",
            ));
        }
        if req
            .speaks
            .as_ref()
            .is_some_and(|m| m.len() > 16 || m.values().any(|v| v.len() > 16))
        {
            return Err(Problem::invalid(
                "speaks lists at most 16 document types of at most 16 versions",
            ));
        }
        let cml = self.require_cml().await?;
        if !req.speaks("cml", cml.claims.v) {
            return Err(Problem::new(
                axum::http::StatusCode::UPGRADE_REQUIRED,
                "upgrade-required",
                "Upgrade required",
                format!(
                    "this Hub's CML is format version {}, which the node does not read",
                    cml.claims.v
                ),
            ));
        }
        let t = now();
        let day = t.div_euclid(86_400);
        let (status, site_cml, list) = write_tx!(&self.db, |tx| {
            let row =
                sqlx::query("SELECT license_id, status, cml_id FROM sites WHERE site_id = $1")
                    .bind(site_id)
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| no_site(site_id))?;
            let (license_id, status, site_cml): (String, String, String) =
                (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if license_id != req.license_id {
                return Err(Problem::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "license-mismatch",
                    "License mismatch",
                    "the license id is not this site's license",
                ));
            }
            let first_today = sqlx::query(
                "UPDATE sites SET last_seen = $1, seen_day = $2 \
                 WHERE site_id = $3 AND (seen_day IS NULL OR seen_day <> $2)",
            )
            .bind(t)
            .bind(day)
            .bind(site_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
                == 1;
            if first_today {
                let detail = format!("status={status}");
                ledger::append(
                    &self.db,
                    &mut tx,
                    &self.org,
                    &cml,
                    ledger::Event {
                        at: t,
                        kind: LedgerEvent::SiteSeen,
                        site_id: Some(site_id),
                        detail: Some(&detail),
                    },
                )
                .await?;
            } else {
                sqlx::query("UPDATE sites SET last_seen = $1 WHERE site_id = $2")
                    .bind(t)
                    .bind(site_id)
                    .execute(&mut *tx)
                    .await?;
            }
            let list = self
                .revocation_list(&mut tx, &site_cml, &cml.claims.org_id, t)
                .await?;
            Ok((status, site_cml, list))
        })?;
        let answer = issue::sign_heartbeat(
            &self.org,
            &HeartbeatClaims {
                org_id: cml.claims.org_id.clone(),
                cml: site_cml,
                site_id: site_id.into(),
                status: status.clone(),
                nonce: req.nonce.clone(),
                server_time: t,
                revocation_list: list,
                ..Default::default()
            },
        )?;
        Ok(HeartbeatAnswer { status, answer })
    }

    /// Validates a `site.lic` for a node with `facts`, with the Hub's shared validator after
    /// applying the current revocation list of the license's CML.
    pub async fn validate(&self, license: &str, facts: &Facts) -> Result<ValidateAnswer, Problem> {
        let file = parse_license_file(license.as_bytes())?;
        let cml_id = document_id(&file.cml)?;
        let list: Option<String> =
            sqlx::query("SELECT jws FROM revocation_lists WHERE cml_id = $1")
                .bind(&cml_id)
                .fetch_optional(&self.db.pool)
                .await?
                .map(|r| r.try_get(0))
                .transpose()?;
        let facts = NodeFacts::from_strs(
            facts.addresses.iter().map(String::as_str),
            facts.dns_name.as_deref(),
            facts.deployment_tag.as_deref(),
        )?;
        let t = now();
        let v = self
            .validator_with_list(license.as_bytes(), &cml_id, list.as_deref(), t)?
            .validate_at(license.as_bytes(), &facts, t)?;
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

    /// The stored `site.lic` of a site (recorded in the audit log as a download).
    pub async fn site_license(&self, site_id: &str, actor: &Actor) -> Result<String, Problem> {
        let license = self.stored_license(site_id).await?;
        audit::record_now(&self.db, actor, "site.download", Some(site_id), None).await?;
        Ok(license)
    }

    /// The stored `site.lic` of a site, without an audit entry (right after minting it).
    pub async fn stored_license(&self, site_id: &str) -> Result<String, Problem> {
        let row = sqlx::query("SELECT license FROM sites WHERE site_id = $1")
            .bind(site_id)
            .fetch_optional(&self.db.pool)
            .await?
            .ok_or_else(|| no_site(site_id))?;
        Ok(row.try_get(0)?)
    }
}
