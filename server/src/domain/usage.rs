//! Usage counted for a manifest: which sites a period reports and how they stand at its end,
//! and the active sites per product and tier.

use hwf_license::{ManifestSite, ProductTierCount};

/// How a site stands at the end `end` of a period: `revoked` when it was revoked before,
/// else `active`.
pub fn status_at_end(revoked_at: Option<i64>, end: i64) -> &'static str {
    if revoked_at.is_some_and(|at| at < end) {
        "revoked"
    } else {
        "active"
    }
}

/// The active sites of `sites` counted per product and tier, sorted by product then tier.
pub fn active_by_product_tier(sites: &[ManifestSite]) -> Vec<ProductTierCount> {
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
    by
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_only_active_sites() {
        let site = |p: &str, t: &str, s: &str| ManifestSite {
            product: p.into(),
            tier: t.into(),
            status: s.into(),
            ..Default::default()
        };
        let by = active_by_product_tier(&[
            site("hwf", "basic", "active"),
            site("abc", "x", "active"),
            site("hwf", "basic", "active"),
            site("hwf", "basic", "revoked"),
        ]);
        assert_eq!(
            by.iter()
                .map(|c| (c.product.as_str(), c.count))
                .collect::<Vec<_>>(),
            [("abc", 1), ("hwf", 2)]
        );
        assert_eq!(status_at_end(Some(5), 10), "revoked");
        assert_eq!(status_at_end(Some(10), 10), "active");
        assert_eq!(status_at_end(None, 10), "active");
    }
}
