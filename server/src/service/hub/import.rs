//! Bulk site import: a CSV file (or the CLI's JSON array) of new sites, checked as a **dry run**
//! (what each row would do; nothing is written) or **committed**; and its inverse, the sites
//! **export** ([`Hub::export_sites`]), written in exactly the import's [`COLUMNS`] so that an
//! export re-imports unchanged (see [`Hub::export_sites`] for what that means).
//!
//! A committed import is **per row**: each row is one [`Hub::create_site`] — the same rules,
//! the same transaction (site, ledger entry, audit entry), the same `max_sites` check under
//! the Hub lock — so a row that fails leaves the rows before it created, and the report says
//! which row did what. Re-running the same file skips the rows already created. A dry run
//! applies the same checks in the same order without writing: every rule of a create (core's
//! binding to the CML included: the license is signed and thrown away), then "exists", then
//! the limit counted over the rows before it. A dry run and the commit right after it agree
//! unless other writers change the sites in between.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::sites::{NewSite, SiteQuery};
use super::Hub;
use crate::domain::csv::{self, Limits};
use crate::domain::SiteFingerprint;
use crate::service::audit::Actor;
use crate::service::ServiceError;
use crate::store::{hub_cmls, sites};

/// The columns of a site import file (any order; `site_id` is required, the others may be
/// left out or empty). `features` is separated by `;` or spaces.
pub const COLUMNS: [&str; 8] = [
    "site_id",
    "product",
    "tier",
    "features",
    "address",
    "dns_suffix",
    "deployment_tag",
    "valid_days",
];

/// The most rows one import takes ([`Limits::SITE_IMPORT`]).
pub const MAX_ROWS: usize = Limits::SITE_IMPORT.max_rows;

/// The most sites one export holds: core's largest `max_sites` (an export of more matching
/// sites is refused, never cut short; filter by status, product or tier).
pub const EXPORT_MAX_ROWS: i64 = hwf_license::claims::MAX_SITES as i64;

/// A site as an export row, in [`COLUMNS`] order: what a create needs to make the same site
/// again. `features` joined with `;`; the fingerprint's parts, empty when absent; `valid_days`
/// the license's validity at issue in days (`expires_at − issued_at`, rounded up), or empty
/// when the license ends with its CML (`valid_until` of the CML it is bound to: a create
/// without `valid_days` — or with more days than the CML has left — gives exactly that).
pub fn export_row(site: &sites::SiteRow, cml_valid_until: Option<i64>) -> [String; 8] {
    let valid_days = if cml_valid_until.is_some_and(|v| site.expires_at >= v) {
        String::new()
    } else {
        let secs = site.expires_at - site.issued_at;
        if secs > 0 {
            ((secs + 86_399) / 86_400).to_string()
        } else {
            String::new()
        }
    };
    let f = &site.fingerprint;
    [
        site.site_id.clone(),
        site.product.clone(),
        site.tier.clone(),
        site.features.join(";"),
        f.address.clone().unwrap_or_default(),
        f.dns_suffix.clone().unwrap_or_default(),
        f.deployment_tag.clone().unwrap_or_default(),
        valid_days,
    ]
}

/// One row of an import: its line in the file and the site it asks for, or why it could not
/// be read.
#[derive(Clone, Debug)]
pub struct ImportLine {
    /// Line in the file where the row starts (for JSON, the element's position from 1).
    pub line: u64,
    /// The row's site id as written (empty when the row could not be read at all).
    pub site_id: String,
    /// The site, or a sentence saying why the row is not one.
    pub site: Result<NewSite, String>,
}

/// What a row did (or, in a dry run, would do).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Created (dry run: would be created).
    Created,
    /// Not created: a site with this id exists (or an earlier row of the file has it).
    Skipped,
    /// Not created, for the reason given.
    Failed,
}

/// One row's result.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportResult {
    /// Line in the file.
    pub line: u64,
    /// The row's site id (as written; empty when the row has none).
    pub site_id: String,
    /// What it did.
    pub outcome: Outcome,
    /// A stable code for a skipped or failed row: `site-exists`, `duplicate-row`,
    /// `invalid-row`, `max-sites-reached`, `refused` (core or the CML refused it),
    /// `server-error`, `not-attempted` (after a server error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// A sentence for a skipped or failed row.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// The new site's license id (a committed, created row).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_id: Option<String>,
}

/// An import's report.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Whether nothing was written.
    pub dry_run: bool,
    /// Rows created (dry run: that would be).
    pub created: usize,
    /// Rows skipped.
    pub skipped: usize,
    /// Rows failed.
    pub failed: usize,
    /// Every row, in file order.
    pub rows: Vec<ImportResult>,
}

/// Reads a site import file's CSV ([`COLUMNS`]; cells trimmed; formula prefixes removed) into
/// rows. A file over the caps, without a `site_id` column or with an unknown column is refused
/// whole ([`ServiceError::Invalid`]); a bad row is that row's error.
pub fn parse_csv(text: &str) -> Result<Vec<ImportLine>, ServiceError> {
    let table = csv::read(text, &Limits::SITE_IMPORT, true)
        .map_err(|e| ServiceError::Invalid(e.to_string()))?;
    if let Some(bad) = table.header.iter().find(|h| !COLUMNS.contains(&h.as_str())) {
        return Err(ServiceError::Invalid(format!(
            "the header names an unknown column {bad:?}; the columns are {}",
            COLUMNS.join(", ")
        )));
    }
    let Some(id_col) = table.column("site_id") else {
        return Err(ServiceError::Invalid(
            "the header (line 1) has no site_id column".into(),
        ));
    };
    let col: HashMap<&str, usize> = table
        .header
        .iter()
        .enumerate()
        .map(|(i, h)| (h.as_str(), i))
        .collect();
    Ok(table
        .rows
        .into_iter()
        .map(|row| {
            let site_id = row
                .cells
                .as_ref()
                .map(|c| c[id_col].clone())
                .unwrap_or_default();
            let site = row.cells.map_err(|e| e.to_string()).and_then(|cells| {
                let cell = |name: &str| {
                    col.get(name)
                        .map(|&i| cells[i].clone())
                        .filter(|c| !c.is_empty())
                };
                let valid_days = cell("valid_days")
                    .map(|d| {
                        d.parse::<u32>()
                            .map_err(|_| format!("valid_days {d:?} is not a whole number of days"))
                    })
                    .transpose()?;
                let fingerprint = SiteFingerprint {
                    address: cell("address"),
                    dns_suffix: cell("dns_suffix"),
                    deployment_tag: cell("deployment_tag"),
                };
                Ok(NewSite {
                    site_id: cells[id_col].clone(),
                    fingerprint: (!fingerprint.is_empty()).then_some(fingerprint),
                    product: cell("product"),
                    tier: cell("tier"),
                    features: cell("features")
                        .unwrap_or_default()
                        .split([';', ' '])
                        .filter(|f| !f.is_empty())
                        .map(String::from)
                        .collect(),
                    valid_days,
                })
            });
            ImportLine {
                line: row.line,
                site_id,
                site,
            }
        })
        .collect())
}

/// A skipped or failed row.
/// The result of a row that does not read as a site (`invalid-row`, with the reading's reason).
fn invalid_row(r: &ImportLine, why: &str) -> ImportResult {
    not_created(
        r.line,
        &r.site_id,
        Outcome::Failed,
        "invalid-row",
        why.to_string(),
    )
}

fn not_created(
    line: u64,
    site_id: &str,
    outcome: Outcome,
    code: &str,
    reason: String,
) -> ImportResult {
    ImportResult {
        line,
        site_id: site_id.into(),
        outcome,
        code: Some(code.into()),
        reason: Some(reason),
        license_id: None,
    }
}

/// The code and outcome of a create's error.
fn classify(e: &ServiceError) -> (Outcome, &'static str) {
    match e {
        ServiceError::SiteExists { .. } => (Outcome::Skipped, "site-exists"),
        ServiceError::MaxSitesReached { .. } => (Outcome::Failed, "max-sites-reached"),
        ServiceError::Invalid(_) => (Outcome::Failed, "invalid-row"),
        ServiceError::Busy
        | ServiceError::Overloaded
        | ServiceError::Store(_)
        | ServiceError::Internal(_) => (Outcome::Failed, "server-error"),
        _ => (Outcome::Failed, "refused"),
    }
}

impl ImportReport {
    fn new(dry_run: bool, rows: Vec<ImportResult>) -> Self {
        let n = |o: Outcome| rows.iter().filter(|r| r.outcome == o).count();
        Self {
            dry_run,
            created: n(Outcome::Created),
            skipped: n(Outcome::Skipped),
            failed: n(Outcome::Failed),
            rows,
        }
    }
}

impl Hub {
    /// The sites matching `q`'s filter, search and order (its page fields are ignored) as CSV:
    /// the header [`COLUMNS`], then one [`export_row`] per site, written by [`csv::Writer`]
    /// (a cell a spreadsheet would run is prefixed with `'`, which the import removes).
    ///
    /// **Unchanged** means: importing the file (dry run: every row *created*; then the commit)
    /// into a Hub that has none of the sites, under a CML with the same feature packs and at
    /// least the validity left, creates sites whose export is byte-identical to this one; and
    /// importing it into the Hub it came from skips every row (`site-exists`) and changes
    /// nothing. The file has no license ids, timestamps, status or creator: those are each
    /// Hub's own (a re-imported site is a new, active license issued now). A revoked site that
    /// matches the filter is exported like any other, so filter by `status=active` to move
    /// only the live sites. Two things cannot round-trip and fail loudly rather than change
    /// (the row is refused on import): a feature name containing `;` or a space (the import
    /// splits features on both) and a row larger than the import's caps
    /// ([`Limits::SITE_IMPORT`]). An import takes [`MAX_ROWS`] rows a file: split a larger
    /// export (the header first in each part).
    ///
    /// More than [`EXPORT_MAX_ROWS`] matching sites is [`ServiceError::Invalid`].
    pub async fn export_sites(&self, q: &SiteQuery) -> Result<String, ServiceError> {
        self.export_sites_at_most(q, EXPORT_MAX_ROWS).await
    }

    /// [`Hub::export_sites`] with the cap `max` instead of [`EXPORT_MAX_ROWS`] (for tests
    /// of the cap without 100,000 sites).
    pub async fn export_sites_at_most(
        &self,
        q: &SiteQuery,
        max: i64,
    ) -> Result<String, ServiceError> {
        let (total, rows) = self.matching_sites(q, max).await?;
        if total > max {
            return Err(ServiceError::Invalid(format!(
                "{total} sites match; an export holds at most {max}: narrow it by status, product or tier"
            )));
        }
        let cmls: HashMap<String, i64> = hub_cmls::valid_until_by_id(&mut *self.db.conn().await?)
            .await?
            .into_iter()
            .collect();
        let mut w = csv::Writer::new();
        w.row(COLUMNS);
        for r in &rows {
            w.row(export_row(r, cmls.get(&r.cml_id).copied()));
        }
        Ok(w.finish())
    }

    /// Imports `rows`: a dry run (`commit` false) reports what each row would do and writes
    /// nothing; a commit creates each row that can be, one [`Hub::create_site`] per row (see
    /// the module doc). At most [`MAX_ROWS`] rows ([`ServiceError::Invalid`] otherwise), and a
    /// CML must be installed ([`ServiceError::NoCml`]).
    pub async fn import_sites(
        &self,
        rows: &[ImportLine],
        commit: bool,
        actor: &Actor,
    ) -> Result<ImportReport, ServiceError> {
        if rows.len() > MAX_ROWS {
            return Err(ServiceError::Invalid(format!(
                "an import takes at most {MAX_ROWS} rows; this one has {}",
                rows.len()
            )));
        }
        let cml = self.require_cml().await?;
        if commit {
            return Ok(self.import_commit(rows, actor).await);
        }
        let t = self.now();
        let max = i64::from(cml.claims.max_sites);
        let mut conn = self.db.conn().await?;
        let mut active = sites::count_active(&mut conn).await?;
        let mut seen: HashMap<String, u64> = HashMap::new();
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let site = match &r.site {
                Err(why) => {
                    out.push(invalid_row(r, why));
                    continue;
                }
                Ok(s) => s,
            };
            let id = site.site_id.as_str();
            if let Err(e) = self.mint(site, &cml, t, actor) {
                let (outcome, code) = classify(&e);
                out.push(not_created(r.line, id, outcome, code, e.to_string()));
                continue;
            }
            if let Some(first) = seen.get(id) {
                out.push(not_created(
                    r.line,
                    id,
                    Outcome::Skipped,
                    "duplicate-row",
                    format!("site {id:?} is also on line {first}, which creates it"),
                ));
                continue;
            }
            if let Some(status) = sites::status(&mut conn, id).await? {
                let e = ServiceError::SiteExists {
                    site_id: id.into(),
                    status,
                };
                out.push(not_created(
                    r.line,
                    id,
                    Outcome::Skipped,
                    "site-exists",
                    e.to_string(),
                ));
                continue;
            }
            if active >= max {
                let e = ServiceError::MaxSitesReached {
                    max_sites: cml.claims.max_sites,
                    active,
                };
                out.push(not_created(
                    r.line,
                    id,
                    Outcome::Failed,
                    "max-sites-reached",
                    format!("{e} with the rows above: this row is over the limit"),
                ));
                continue;
            }
            active += 1;
            seen.insert(id.into(), r.line);
            out.push(ImportResult {
                line: r.line,
                site_id: id.into(),
                outcome: Outcome::Created,
                code: None,
                reason: None,
                license_id: None,
            });
        }
        Ok(ImportReport::new(true, out))
    }

    /// The commit: one create per row; after a server error (database, internal) the rest is
    /// not attempted.
    async fn import_commit(&self, rows: &[ImportLine], actor: &Actor) -> ImportReport {
        let mut out = Vec::with_capacity(rows.len());
        let mut halted = false;
        let mut created: HashMap<String, u64> = HashMap::new();
        for r in rows {
            let site = match &r.site {
                Err(why) => {
                    out.push(invalid_row(r, why));
                    continue;
                }
                Ok(s) => s,
            };
            let id = site.site_id.as_str();
            if halted {
                out.push(not_created(
                    r.line,
                    id,
                    Outcome::Failed,
                    "not-attempted",
                    "not attempted after the server error above; import the file again".into(),
                ));
                continue;
            }
            match self.create_site(site, actor).await {
                Err(ServiceError::SiteExists { .. }) if created.contains_key(id) => {
                    out.push(not_created(
                        r.line,
                        id,
                        Outcome::Skipped,
                        "duplicate-row",
                        format!(
                            "site {id:?} is also on line {}, which creates it",
                            created[id]
                        ),
                    ));
                }
                Ok(v) => {
                    created.insert(v.site_id.clone(), r.line);
                    out.push(ImportResult {
                        line: r.line,
                        site_id: v.site_id,
                        outcome: Outcome::Created,
                        code: None,
                        reason: None,
                        license_id: v.license_id,
                    })
                }
                Err(e) => {
                    let (outcome, code) = classify(&e);
                    if code == "server-error" {
                        tracing::warn!(line = r.line, error = %e, "site import stopped");
                        halted = true;
                    }
                    let reason = match &e {
                        ServiceError::MaxSitesReached { .. } => {
                            format!("{e}: this row is over the limit")
                        }
                        ServiceError::Store(_) | ServiceError::Internal(_) => {
                            "the server could not store this row (see its log)".into()
                        }
                        _ => e.to_string(),
                    };
                    out.push(not_created(r.line, id, outcome, code, reason));
                }
            }
        }
        ImportReport::new(false, out)
    }
}
