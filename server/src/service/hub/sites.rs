//! Site licenses: minting under the `max_sites` limit, listing, revocation (with the signed
//! revocation list of the site's CML) and downloads.

use hwf_license::{issue, LedgerEvent, RevocationListClaims, SiteClaims};
use serde::{Deserialize, Serialize};

use super::ledger::Event;
use super::Hub;
use crate::domain::{inputs, SiteFingerprint};
use crate::service::audit::{self, Actor};
use crate::service::keys::random_id;
use crate::service::ServiceError;
use crate::store::{hub_state, revocation_lists, sites, write_tx, Connection};

/// A new site, as posted to `POST /api/sites/create` or read from an import file.
#[derive(Clone, Debug, Default, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSite {
    /// Site id: 1..=128 characters of `A-Z a-z 0-9 . _ -`.
    #[schema(pattern = "^[A-Za-z0-9._-]{1,128}$")]
    pub site_id: String,
    /// Optional node binding.
    #[serde(default)]
    pub fingerprint: Option<SiteFingerprint>,
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
    /// Site license id (what revocation lists name, and what authenticates the node's
    /// heartbeats): shown to operators and admins, absent for viewers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<String>,
    /// `active` or `revoked`.
    pub status: String,
    /// Product.
    pub product: String,
    /// Tier.
    pub tier: String,
    /// Features.
    pub features: Vec<String>,
    /// Node binding.
    pub fingerprint: SiteFingerprint,
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

impl SiteView {
    /// The view for a caller of `role`: a viewer does not see the license id, which
    /// authenticates the node's heartbeats (a viewer could otherwise heartbeat as any node).
    pub fn for_role(mut self, role: crate::domain::Role) -> Self {
        if !role.includes(crate::domain::Role::Operator) {
            self.license_id = None;
        }
        self
    }
}

impl From<sites::SiteRow> for SiteView {
    fn from(r: sites::SiteRow) -> Self {
        Self {
            site_id: r.site_id,
            license_id: Some(r.license_id),
            status: r.status,
            product: r.product,
            tier: r.tier,
            features: r.features,
            fingerprint: r.fingerprint,
            cml_id: r.cml_id,
            issued_at: r.issued_at,
            expires_at: r.expires_at,
            created_at: r.created_at,
            created_by: r.created_by,
            revoked_at: r.revoked_at,
            last_seen: r.last_seen,
        }
    }
}

/// Filter, order and page of a site listing (the API's `GET /api/sites`, the CLI's
/// `site list` and the console's site list all go through [`Hub::list_sites`]).
#[derive(Clone, Debug, Default)]
pub struct SiteQuery {
    /// `active` or `revoked`.
    pub status: Option<String>,
    /// Only this product.
    pub product: Option<String>,
    /// Only this tier.
    pub tier: Option<String>,
    /// Substring of site id, product, tier or fingerprint, ignoring ASCII case (at most 128
    /// bytes).
    pub search: Option<String>,
    /// Sort key: `site_id` (default), `created`, `expiry` or `last_seen`.
    pub sort: Option<String>,
    /// `asc` (default) or `desc`.
    pub order: Option<String>,
    /// Page size (default 50, at most 500).
    pub limit: Option<i64>,
    /// Offset (default 0).
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

/// `Some` of a non-empty text.
fn nonempty(v: &Option<String>) -> Option<&str> {
    v.as_deref().filter(|v| !v.is_empty())
}

/// The store filter of `q` with `limit` and `offset`, every input checked first (status, sort
/// key and order from fixed lists, texts bounded), so a bad one is a
/// [`ServiceError::Invalid`] before any SQL runs.
fn checked_filter(
    q: &SiteQuery,
    limit: i64,
    offset: i64,
) -> Result<sites::Filter<'_>, ServiceError> {
    if let Some(s) = &q.status {
        inputs::site_status(s)?;
    }
    for (what, v) in [
        ("product", &q.product),
        ("tier", &q.tier),
        ("search", &q.search),
    ] {
        if let Some(v) = v {
            inputs::search_text(what, v)?;
        }
    }
    let sort = q
        .sort
        .as_deref()
        .map(inputs::SiteSort::parse)
        .transpose()?
        .unwrap_or_default();
    let descending = q
        .order
        .as_deref()
        .map(inputs::sort_descending)
        .transpose()?
        .unwrap_or(false);
    Ok(sites::Filter {
        status: nonempty(&q.status),
        product: nonempty(&q.product),
        tier: nonempty(&q.tier),
        search: nonempty(&q.search),
        sort,
        descending,
        limit,
        offset,
    })
}

impl Hub {
    /// Mints a site license under the active CML. The site limit is checked and the site, its
    /// ledger entry and audit entry are written in one serialised transaction, so concurrent
    /// requests never exceed `max_sites` ([`ServiceError::MaxSitesReached`]).
    pub async fn create_site(
        &self,
        new: &NewSite,
        actor: &Actor,
    ) -> Result<SiteView, ServiceError> {
        let cml = self.require_cml().await?;
        let (row, license) = self.mint(new, &cml, self.now(), actor)?;
        self.store_site(&cml, row, &license, actor).await
    }

    /// Checks `new` against every rule of a site (core's binding to `cml` included) and signs
    /// its license at `t`: the row to store and the `site.lic`. Writes nothing, so a bulk
    /// import's dry run applies exactly a create's rules.
    pub(super) fn mint(
        &self,
        new: &NewSite,
        cml: &hwf_license::VerifiedCml,
        t: i64,
        actor: &Actor,
    ) -> Result<(sites::SiteRow, String), ServiceError> {
        inputs::site_id(&new.site_id)?;
        for (what, v) in [
            ("product", new.product.as_deref()),
            ("tier", new.tier.as_deref()),
            (
                "deployment_tag",
                new.fingerprint
                    .as_ref()
                    .and_then(|f| f.deployment_tag.as_deref()),
            ),
        ] {
            if let Some(v) = v {
                inputs::site_value(what, v)?;
            }
        }
        let mut expires_at = cml.claims.valid_until;
        if let Some(days) = new.valid_days {
            inputs::valid_days(days)?;
            expires_at = expires_at.min(t + i64::from(days) * 86_400);
        }
        if expires_at <= t {
            return Err(ServiceError::CmlEnded);
        }
        let fingerprint = new.fingerprint.clone().unwrap_or_default();
        let claims = SiteClaims {
            license_id: random_id("lic-"),
            site_id: new.site_id.clone(),
            fingerprint: fingerprint.clone().into(),
            issued_at: t,
            expires_at,
            features: new.features.clone(),
            product: new.product.clone().unwrap_or_else(|| "hwf".into()),
            tier: new.tier.clone().unwrap_or_else(|| "active".into()),
            ..Default::default()
        };
        let license = issue::mint_site_license(&self.org, cml, &claims)?;
        let row = sites::SiteRow {
            site_id: claims.site_id,
            license_id: claims.license_id,
            status: "active".into(),
            product: claims.product,
            tier: claims.tier,
            features: claims.features,
            fingerprint,
            cml_id: cml.id.clone(),
            issued_at: claims.issued_at,
            expires_at: claims.expires_at,
            created_at: t,
            created_by: actor.name.clone(),
            revoked_at: None,
            last_seen: None,
        };
        Ok((row, license))
    }

    /// Stores a minted site under the `max_sites` limit: the limit is checked and the site,
    /// its ledger entry and audit entry are written in one serialised transaction.
    async fn store_site(
        &self,
        cml: &hwf_license::VerifiedCml,
        row: sites::SiteRow,
        license: &str,
        actor: &Actor,
    ) -> Result<SiteView, ServiceError> {
        let t = row.created_at;
        let new = &row;
        let claims = &row;
        write_tx!(&self.db, ServiceError, |tx| {
            hub_state::lock(&self.db, &mut tx).await?;
            if let Some(status) = sites::status(&mut tx, &new.site_id).await? {
                return Err(ServiceError::SiteExists {
                    site_id: new.site_id.clone(),
                    status,
                });
            }
            let active = sites::count_active(&mut tx).await?;
            if active >= i64::from(cml.claims.max_sites) {
                return Err(ServiceError::MaxSitesReached {
                    max_sites: cml.claims.max_sites,
                    active,
                });
            }
            sites::insert(
                &mut tx,
                &sites::NewSiteRow {
                    site: &row,
                    license,
                },
            )
            .await?;
            let detail = format!("product={} tier={}", claims.product, claims.tier);
            self.append(
                &mut tx,
                cml,
                Event {
                    at: t,
                    kind: LedgerEvent::SiteCreated,
                    site_id: Some(&claims.site_id),
                    detail: Some(&detail),
                },
            )
            .await?;
            audit::record(
                &mut tx,
                t,
                actor,
                "site.create",
                Some(&claims.site_id),
                Some(&detail),
            )
            .await?;
            Ok(())
        })?;
        Ok(row.into())
    }

    /// One site, or [`ServiceError::UnknownSite`].
    pub async fn site(&self, site_id: &str) -> Result<SiteView, ServiceError> {
        sites::get_site(&mut *self.db.conn().await?, site_id)
            .await?
            .map(SiteView::from)
            .ok_or_else(|| ServiceError::UnknownSite(site_id.into()))
    }

    /// A filtered, sorted page of sites with the total count. Every input is checked first
    /// (status, sort key and order from fixed lists, texts bounded), so a bad one is a
    /// [`ServiceError::Invalid`] before any SQL runs.
    pub async fn list_sites(&self, q: &SiteQuery) -> Result<SitePage, ServiceError> {
        let limit = q.limit.unwrap_or(50);
        let offset = q.offset.unwrap_or(0);
        inputs::page(limit, offset, inputs::MAX_PAGE)?;
        let filter = checked_filter(q, limit, offset)?;
        let (total, rows) = sites::page(&mut *self.db.conn().await?, &filter).await?;
        Ok(SitePage {
            total,
            limit,
            offset,
            sites: rows.into_iter().map(SiteView::from).collect(),
        })
    }

    /// Every site matching `q`'s filter, search and order (its page fields are ignored), at
    /// most `max`: the count of the matching sites and the rows, or, when more than `max`
    /// match, that count and no rows (an export refuses rather than cut a file short). The
    /// count comes first (cheap), and the rows are read with one more than `max` allowed, so a
    /// site added in between cannot cut the file short either.
    pub(super) async fn matching_sites(
        &self,
        q: &SiteQuery,
        max: i64,
    ) -> Result<(i64, Vec<sites::SiteRow>), ServiceError> {
        let filter = checked_filter(q, 0, 0)?;
        let mut conn = self.db.conn().await?;
        let (total, _) = sites::page(&mut conn, &filter).await?;
        if total > max {
            return Ok((total, vec![]));
        }
        let all = sites::Filter {
            limit: max + 1,
            ..filter
        };
        let (total, rows) = sites::page(&mut conn, &all).await?;
        if rows.len() as i64 > max {
            return Ok((total.max(max + 1), vec![]));
        }
        Ok((total, rows))
    }

    /// Revokes a site: marks it revoked, signs a new revocation list for its CML (next sequence
    /// number), and records it in the ledger and the audit log, all in one transaction.
    pub async fn revoke_site(
        &self,
        site_id: &str,
        actor: &Actor,
    ) -> Result<SiteView, ServiceError> {
        let cml = self.require_cml().await?;
        let t = self.now();
        write_tx!(&self.db, ServiceError, |tx| {
            if !sites::revoke(&mut tx, site_id, t).await? {
                return match sites::status(&mut tx, site_id).await? {
                    None => Err(ServiceError::UnknownSite(site_id.into())),
                    Some(_) => Err(ServiceError::SiteRevoked(site_id.into())),
                };
            }
            let site_cml = sites::node_view(&mut tx, site_id)
                .await?
                .map(|(_, _, cml_id)| cml_id)
                .ok_or_else(|| ServiceError::UnknownSite(site_id.into()))?;
            self.sign_revocations(&mut tx, &site_cml, &cml.claims.org_id, t)
                .await?;
            self.append(
                &mut tx,
                &cml,
                Event {
                    at: t,
                    kind: LedgerEvent::SiteRevoked,
                    site_id: Some(site_id),
                    detail: None,
                },
            )
            .await?;
            audit::record(&mut tx, t, actor, "site.revoke", Some(site_id), None).await?;
            Ok(())
        })?;
        self.site(site_id).await
    }

    /// Signs and stores the next revocation list for `cml_id` (under the hub lock).
    async fn sign_revocations(
        &self,
        tx: &mut Connection,
        cml_id: &str,
        org_id: &str,
        t: i64,
    ) -> Result<(), ServiceError> {
        hub_state::lock(&self.db, tx).await?;
        let seq = hub_state::next_revocation_seq(tx).await?;
        let revoked = sites::revoked_license_ids(tx, cml_id).await?;
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
        revocation_lists::put(tx, cml_id, seq, &jws).await?;
        Ok(())
    }

    /// The current revocation list for `cml_id`, creating an empty one (sequence 0) if none.
    pub(crate) async fn revocation_list(
        &self,
        tx: &mut Connection,
        cml_id: &str,
        org_id: &str,
        t: i64,
    ) -> Result<String, ServiceError> {
        if let Some(jws) = revocation_lists::get_list(tx, cml_id).await? {
            return Ok(jws);
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
        revocation_lists::put_first(tx, cml_id, &jws).await?;
        revocation_lists::get_list(tx, cml_id)
            .await?
            .ok_or_else(|| ServiceError::internal("stored revocation list vanished"))
    }

    /// The stored `site.lic` of a site (recorded in the audit log as a download).
    pub async fn site_license(&self, site_id: &str, actor: &Actor) -> Result<String, ServiceError> {
        let license = self.stored_license(site_id).await?;
        audit::record_now(
            &self.db,
            self.now(),
            actor,
            "site.download",
            Some(site_id),
            None,
        )
        .await?;
        Ok(license)
    }

    /// The stored `site.lic` of a site, without an audit entry (right after minting it).
    pub async fn stored_license(&self, site_id: &str) -> Result<String, ServiceError> {
        sites::license(&mut *self.db.conn().await?, site_id)
            .await?
            .ok_or_else(|| ServiceError::UnknownSite(site_id.into()))
    }
}
