//! Node binding: decides whether a node's observed facts (IP addresses, DNS name, deployment
//! tag) match a site license's fingerprint.
//!
//! - A field absent from the license is not checked.
//! - `address`: an IPv4/IPv6 address or CIDR network; matches when any node address is inside it.
//!   IPv4-mapped IPv6 addresses (`::ffff:a.b.c.d`), on either side, are compared as IPv4.
//!   Host bits below the prefix are ignored (`10.1.2.3/8` means `10.0.0.0/8`).
//! - `dns_suffix`: matches a node name equal to it or ending in `"." + suffix`, ASCII
//!   case-insensitive, one trailing dot ignored on either side. Label boundaries count:
//!   `evilhwf.local` is not within `hwf.local`. Names with empty labels never match.
//! - `deployment_tag`: exact, case-sensitive byte equality.

use alloc::string::String;
use alloc::vec::Vec;
use core::net::IpAddr;
#[cfg(feature = "deserialize")]
use serde::Deserialize;
use serde::Serialize;

use crate::error::{Error, Result};

/// The optional fingerprint fields of a site license.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "deserialize", derive(Deserialize))]
#[serde(deny_unknown_fields)]
pub struct Fingerprint {
    /// IP address or CIDR network (v4 or v6) the node must have an address in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// DNS suffix the node's name must be within.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_suffix: Option<String>,
    /// Deployment tag the node must carry exactly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployment_tag: Option<String>,
}

/// What the node observes about itself, supplied by the caller at validation time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeFacts {
    /// The node's IP addresses.
    pub addresses: Vec<IpAddr>,
    /// The node's DNS name, if known.
    pub dns_name: Option<String>,
    /// The node's deployment tag, if any.
    pub deployment_tag: Option<String>,
}

impl NodeFacts {
    /// Builds facts from textual addresses; an unparsable address is an `InvalidArgument` error.
    pub fn from_strs<'a>(
        addresses: impl IntoIterator<Item = &'a str>,
        dns_name: Option<&str>,
        deployment_tag: Option<&str>,
    ) -> Result<Self> {
        let addresses = addresses
            .into_iter()
            .map(|a| {
                crate::ip::parse_ip(a.trim())
                    .ok_or(Error::InvalidArgument("node address is not an IP address"))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            addresses,
            dns_name: dns_name.map(String::from),
            deployment_tag: deployment_tag.map(String::from),
        })
    }
}

/// An IP network in canonical form (IPv4-mapped IPv6 networks become IPv4).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Network {
    V4(u32, u8),
    V6(u128, u8),
}

fn mask32(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix))
    }
}

fn mask128(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - u32::from(prefix))
    }
}

impl Network {
    /// Parses `addr` or `addr/prefix`; `None` if malformed.
    pub(crate) fn parse(s: &str) -> Option<Network> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => {
                // Digits only: no sign, no whitespace, no leading zeros beyond "0".
                if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                if p.len() > 1 && p.starts_with('0') {
                    return None;
                }
                // At most three digits (checked): at most 999, then at most 255 as `u8` reads.
                let n = p.bytes().fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
                (a, Some(u8::try_from(n).ok()?))
            }
            None => (s, None),
        };
        match crate::ip::parse_ip(addr)? {
            IpAddr::V4(v4) => {
                let p = prefix.unwrap_or(32);
                (p <= 32).then(|| Network::V4(u32::from(v4) & mask32(p), p))
            }
            IpAddr::V6(v6) => {
                let p = prefix.unwrap_or(128);
                if p > 128 {
                    return None;
                }
                match v6.to_ipv4_mapped() {
                    Some(v4) if p >= 96 => {
                        let p4 = p - 96;
                        Some(Network::V4(u32::from(v4) & mask32(p4), p4))
                    }
                    _ => Some(Network::V6(u128::from(v6) & mask128(p), p)),
                }
            }
        }
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (canonical(ip), *self) {
            (IpAddr::V4(a), Network::V4(net, p)) => u32::from(a) & mask32(p) == net,
            (IpAddr::V6(a), Network::V6(net, p)) => u128::from(a) & mask128(p) == net,
            _ => false,
        }
    }
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        },
        v4 => v4,
    }
}

/// Whether `s` (one trailing dot allowed) is a DNS name of non-empty labels of at most 63 bytes,
/// 253 bytes in all, in printable ASCII without spaces.
pub(crate) fn valid_dns_name(s: &str) -> bool {
    let s = s.strip_suffix('.').unwrap_or(s);
    !s.is_empty()
        && s.len() <= 253
        && s.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.bytes().all(|b| b.is_ascii_graphic() && b != b'.')
        })
}

/// Whether `name` is `suffix` or ends in `"." + suffix` (ASCII case-insensitive, one trailing dot
/// ignored on either side, names with empty labels never match).
pub fn dns_within(name: &str, suffix: &str) -> bool {
    if !valid_dns_name(name) || !valid_dns_name(suffix) {
        return false;
    }
    let name = name.strip_suffix('.').unwrap_or(name).as_bytes();
    let suffix = suffix.strip_suffix('.').unwrap_or(suffix).as_bytes();
    if name.len() == suffix.len() {
        return name.eq_ignore_ascii_case(suffix);
    }
    if name.len() < suffix.len() + 1 {
        return false;
    }
    let cut = name.len() - suffix.len();
    name[cut - 1] == b'.' && name[cut..].eq_ignore_ascii_case(suffix)
}

/// Whether any of `addresses` lies in the network `licensed`; `false` if `licensed` is malformed.
pub fn address_within(addresses: &[IpAddr], licensed: &str) -> bool {
    Network::parse(licensed).is_some_and(|net| addresses.iter().any(|a| net.contains(*a)))
}

impl Fingerprint {
    /// Checks the fields' syntax (used when a license is issued and when it is read).
    pub(crate) fn check_syntax(&self) -> core::result::Result<(), &'static str> {
        if let Some(a) = &self.address {
            Network::parse(a).ok_or("fingerprint.address is not an IP address or CIDR")?;
        }
        if let Some(d) = &self.dns_suffix {
            if !valid_dns_name(d) {
                return Err("fingerprint.dns_suffix is not a DNS name");
            }
        }
        if let Some(t) = &self.deployment_tag {
            if t.is_empty() {
                return Err("fingerprint.deployment_tag is empty");
            }
        }
        Ok(())
    }

    /// Checks the node's facts against every present field; the error names the first mismatch
    /// in the order address, DNS suffix, deployment tag.
    pub fn check(&self, facts: &NodeFacts) -> Result<()> {
        if let Some(licensed) = &self.address {
            if !address_within(&facts.addresses, licensed) {
                return Err(Error::AddressMismatch {
                    licensed: licensed.clone(),
                });
            }
        }
        if let Some(licensed) = &self.dns_suffix {
            let ok = facts
                .dns_name
                .as_deref()
                .is_some_and(|n| dns_within(n, licensed));
            if !ok {
                return Err(Error::DnsMismatch {
                    licensed: licensed.clone(),
                    found: facts.dns_name.clone(),
                });
            }
        }
        if let Some(licensed) = &self.deployment_tag {
            if facts.deployment_tag.as_deref() != Some(licensed.as_str()) {
                return Err(Error::DeploymentTagMismatch {
                    licensed: licensed.clone(),
                    found: facts.deployment_tag.clone(),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    #[test]
    fn dns_suffix_table() {
        let cases: &[(&str, &str, bool)] = &[
            ("hwf.local", "hwf.local", true),
            ("node1.hwf.local", "hwf.local", true),
            ("a.b.node1.hwf.local", "hwf.local", true),
            ("evilhwf.local", "hwf.local", false),
            ("hwf.local.evil.com", "hwf.local", false),
            ("NODE1.HWF.LOCAL", "hwf.local", true),
            ("node1.hwf.local", "HWF.Local", true),
            ("node1.hwf.local.", "hwf.local", true),
            ("node1.hwf.local", "hwf.local.", true),
            ("node1.hwf.local.", "hwf.local.", true),
            ("hwf.local.", "hwf.local", true),
            ("node1.hwf.local..", "hwf.local", false),
            ("node1..hwf.local", "hwf.local", false),
            (".hwf.local", "hwf.local", false),
            ("..hwf.local", "hwf.local", false),
            ("", "hwf.local", false),
            (".", "hwf.local", false),
            ("local", "hwf.local", false),
            ("wf.local", "hwf.local", false),
            ("xhwf.local", "hwf.local", false),
            ("x.hwf.localx", "hwf.local", false),
            ("node1.hwf.local", "local", true),
            ("node1.hwf.local", ".hwf.local", false),
            ("node1.hwf.local", "", false),
            ("node 1.hwf.local", "hwf.local", false),
            ("nöde.hwf.local", "hwf.local", false),
            ("node1-hwf.local", "hwf.local", false),
            ("node1_hwf.local", "hwf.local", false),
        ];
        for (name, suffix, want) in cases {
            assert_eq!(
                dns_within(name, suffix),
                *want,
                "{name:?} within {suffix:?}"
            );
        }
    }

    #[test]
    fn address_table() {
        let cases: &[(&[&str], &str, bool)] = &[
            (&["10.1.2.3"], "10.1.2.3", true),
            (&["10.1.2.4"], "10.1.2.3", false),
            (&["10.1.2.3"], "10.1.2.3/32", true),
            (&["10.0.0.0"], "10.0.0.0/8", true),
            (&["10.255.255.255"], "10.0.0.0/8", true),
            (&["11.0.0.0"], "10.0.0.0/8", false),
            (&["9.255.255.255"], "10.0.0.0/8", false),
            (&["192.168.1.127"], "192.168.1.0/25", true),
            (&["192.168.1.128"], "192.168.1.0/25", false),
            (&["1.2.3.4"], "0.0.0.0/0", true),
            (&["10.9.9.9"], "10.1.2.3/8", true),
            (&["::ffff:10.1.2.3"], "10.0.0.0/8", true),
            (&["10.1.2.3"], "::ffff:10.0.0.0/104", true),
            (&["11.1.2.3"], "::ffff:10.0.0.0/104", false),
            (&["::ffff:10.1.2.3"], "::ffff:10.1.2.3", true),
            (&["2001:db8::1"], "2001:db8::/32", true),
            (&["2001:db9::1"], "2001:db8::/32", false),
            (
                &["2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"],
                "2001:db8::/32",
                true,
            ),
            (&["2001:DB8::1"], "2001:db8::1", true),
            (&["::1"], "::1/128", true),
            (&["::2"], "::1/128", false),
            (&["10.1.2.3"], "2001:db8::/32", false),
            (&["2001:db8::1"], "10.0.0.0/8", false),
            (&["1.1.1.1", "10.1.2.3"], "10.0.0.0/8", true),
            (&[], "10.0.0.0/8", false),
            (&["10.1.2.3"], "10.0.0.0/33", false),
            (&["10.1.2.3"], "10.0.0.0/", false),
            (&["10.1.2.3"], "10.0.0.0/08", false),
            (&["10.1.2.3"], "10.0.0.0/+8", false),
            (&["10.1.2.3"], "10.0.0/8", false),
            (&["10.1.2.3"], "10.1.2.3 ", false),
            (&["::1"], "::/129", false),
        ];
        for (node, licensed, want) in cases {
            assert_eq!(
                address_within(&ips(node), licensed),
                *want,
                "{node:?} within {licensed:?}"
            );
        }
    }

    #[test]
    fn check_names_the_field() {
        let fp = Fingerprint {
            address: Some("10.0.0.0/8".into()),
            dns_suffix: Some("hwf.local".into()),
            deployment_tag: Some("blue".into()),
        };
        let good = NodeFacts::from_strs(["10.1.1.1"], Some("n.hwf.local"), Some("blue")).unwrap();
        assert_eq!(fp.check(&good), Ok(()));
        let mut f = good.clone();
        f.addresses = ips(&["11.1.1.1"]);
        assert_eq!(
            fp.check(&f).unwrap_err().code(),
            crate::ErrorCode::AddressMismatch
        );
        let mut f = good.clone();
        f.dns_name = None;
        assert_eq!(
            fp.check(&f).unwrap_err().code(),
            crate::ErrorCode::DnsMismatch
        );
        let mut f = good.clone();
        f.deployment_tag = Some("Blue".into());
        assert_eq!(
            fp.check(&f).unwrap_err().code(),
            crate::ErrorCode::DeploymentTagMismatch
        );
        assert_eq!(Fingerprint::default().check(&NodeFacts::default()), Ok(()));
    }
}
