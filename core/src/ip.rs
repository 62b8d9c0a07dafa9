//! Core's own reading of IP address text: exactly the grammar of `core::net`'s
//! `IpAddr::from_str` (the one core accepted before, so no address changes meaning), in a
//! fraction of its code (`core::net`'s parser was ≈ 3.4 KB of the WASM module; docs/WASM.md
//! "Size").
//!
//! The grammar, as `core::net` reads it (this is a port of its algorithm, not a new one):
//! - IPv4: four decimal numbers of 1–3 digits, each at most 255, separated by `.`; a number of
//!   more than one digit may not start with `0`.
//! - IPv6: up to eight groups of 1–4 hex digits (either case, leading zeros allowed) separated by
//!   `:`; one `::` stands for one or more zero groups (so with `::` at most seven groups are
//!   written); the last two groups may be written as an IPv4 address (not before the `::`).
//! - Nothing else: no brackets, zone ids, whitespace or prefix; the whole text must be used.
//!
//! Every path reads each byte a bounded number of times (at most a few times: an attempt at an
//! embedded IPv4 address is undone), so any input costs time linear in its length; nothing
//! panics (`ip::tests` compare it with `core::net` on generated and edge-case inputs).

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A cursor over the text; each `read_*` either consumes what it read or, on `None`, nothing.
struct Parser<'a> {
    s: &'a [u8],
    at: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.at).copied()
    }

    /// Runs `f`; on `None` the cursor goes back to where it was.
    fn atomically<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<T> {
        let start = self.at;
        let r = f(self);
        if r.is_none() {
            self.at = start;
        }
        r
    }

    fn given(&mut self, c: u8) -> Option<()> {
        self.atomically(|p| (p.peek()? == c).then(|| p.at += 1))
    }

    /// `sep` first unless this is element 0, then `inner`.
    fn separated<T>(
        &mut self,
        sep: u8,
        index: usize,
        inner: impl FnOnce(&mut Self) -> Option<T>,
    ) -> Option<T> {
        self.atomically(|p| {
            if index > 0 {
                p.given(sep)?;
            }
            inner(p)
        })
    }

    /// A number in `radix` (10 or 16) of at most `max_digits` digits and at most `max`; with
    /// `zero_prefix` false, more than one digit may not start with `0`.
    fn number(
        &mut self,
        radix: u32,
        max_digits: usize,
        max: u32,
        zero_prefix: bool,
    ) -> Option<u32> {
        self.atomically(|p| {
            let leading_zero = p.peek() == Some(b'0');
            let mut value = 0u32;
            let mut digits = 0;
            while let Some(d) = p.peek().and_then(|c| char::from(c).to_digit(radix)) {
                p.at += 1;
                value = value * radix + d;
                digits += 1;
                if digits > max_digits || value > max {
                    return None;
                }
            }
            if digits == 0 || (!zero_prefix && leading_zero && digits > 1) {
                None
            } else {
                Some(value)
            }
        })
    }

    fn ipv4(&mut self) -> Option<Ipv4Addr> {
        self.atomically(|p| {
            let mut octets = [0u8; 4];
            for (i, o) in octets.iter_mut().enumerate() {
                *o = p.separated(b'.', i, |p| p.number(10, 3, 255, false))? as u8;
            }
            Some(Ipv4Addr::from(octets))
        })
    }

    /// Reads groups into `groups`: how many, and whether the last two were an IPv4 address.
    fn groups(&mut self, groups: &mut [u16]) -> (usize, bool) {
        let limit = groups.len();
        for i in 0..limit {
            if i + 1 < limit {
                if let Some(v4) = self.separated(b':', i, |p| p.ipv4()) {
                    let [a, b, c, d] = v4.octets();
                    groups[i] = u16::from_be_bytes([a, b]);
                    groups[i + 1] = u16::from_be_bytes([c, d]);
                    return (i + 2, true);
                }
            }
            match self.separated(b':', i, |p| p.number(16, 4, 0xffff, true)) {
                Some(g) => groups[i] = g as u16,
                None => return (i, false),
            }
        }
        (limit, false)
    }

    fn ipv6(&mut self) -> Option<Ipv6Addr> {
        self.atomically(|p| {
            let mut head = [0u16; 8];
            let (head_size, head_ipv4) = p.groups(&mut head);
            if head_size == 8 {
                return Some(Ipv6Addr::from(head));
            }
            // An IPv4 part only at the end, and no `::` after it.
            if head_ipv4 {
                return None;
            }
            p.given(b':')?;
            p.given(b':')?;
            // `::` stands for at least one zero group: at most seven written in all.
            let mut tail = [0u16; 7];
            let limit = 8 - (head_size + 1);
            let (tail_size, _) = p.groups(&mut tail[..limit]);
            head[8 - tail_size..].copy_from_slice(&tail[..tail_size]);
            Some(Ipv6Addr::from(head))
        })
    }
}

/// Reads an IPv4 or IPv6 address as `core::net`'s `IpAddr::from_str` does.
pub(crate) fn parse_ip(s: &str) -> Option<IpAddr> {
    let mut p = Parser {
        s: s.as_bytes(),
        at: 0,
    };
    let ip = match p.ipv4() {
        Some(v4) => IpAddr::V4(v4),
        None => IpAddr::V6(p.ipv6()?),
    };
    (p.at == p.s.len()).then_some(ip)
}

#[cfg(test)]
mod tests {
    //! `parse_ip` against `core::net` (the oracle) on edge cases, on every short string of a
    //! small alphabet and on many generated near-addresses.
    use super::*;
    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    fn same(s: &str) {
        assert_eq!(parse_ip(s), s.parse::<IpAddr>().ok(), "{s:?}");
    }

    #[test]
    fn edge_cases_read_as_core_net_reads_them() {
        let cases = [
            "",
            ".",
            ":",
            "::",
            ":::",
            "0.0.0.0",
            "255.255.255.255",
            "256.0.0.0",
            "1.2.3",
            "1.2.3.4.",
            ".1.2.3.4",
            "01.2.3.4",
            "1.02.3.4",
            "0.0.0.00",
            "1.2.3.04",
            "001.2.3.4",
            "1.2.3.4 ",
            " 1.2.3.4",
            "1..2.3",
            "1.2.3.-4",
            "+1.2.3.4",
            "1.2.3.4/8",
            "1.2.3.1000",
            "999.1.1.1",
            "::1",
            "1::",
            "::ffff:1.2.3.4",
            "::ffff:1.2.3",
            "::1.2.3.4",
            "1.2.3.4::",
            "1:2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8:9",
            "1:2:3:4:5:6:7::",
            "::2:3:4:5:6:7:8",
            "1:2:3:4:5:6:7:8::",
            "1::2::3",
            "12345::",
            "ffff::",
            "FFFF::",
            "fFfF::aBcD",
            "00000::",
            "0000::",
            "g::",
            "1:2:3:4:5:6:1.2.3.4",
            "1:2:3:4:5:6:7:1.2.3.4",
            "1:2:3:4:5:1.2.3.4",
            "::1:2:3:4:5:6:1.2.3.4",
            "::1:2:3:4:5:1.2.3.4",
            "1::1.2.3.4",
            "1.2.3.4:1::",
            "[::1]",
            "::1%eth0",
            "fe80::1%1",
            "::01.2.3.4",
            "::1.2.3.04",
            "1:2:3:4:5:6:7:8:",
            ":1:2:3:4:5:6:7:8",
            "::1:",
            ":::1",
            "1:::2",
            "::ffff:255.255.255.255",
            "::ffff:256.1.1.1",
            "0:0:0:0:0:0:0:0",
            "0:0:0:0:0:0:0",
            "::0:0:0:0:0:0:0",
            "::0:0:0:0:0:0:0:0",
            "1:2:3:4:5:6::7",
            "1:2:3:4:5:6:7::8",
            "a:b:c:d:e:f:1.2.3.4",
            "a:b:c:d:e:f:1.2.3.4.5",
            "١.٢.٣.٤",
            "1.2.3.４",
            "１::",
            "é::",
        ];
        for s in cases {
            same(s);
        }
    }

    #[test]
    fn every_short_string_of_address_characters_reads_as_core_net_reads_it() {
        // Every string of up to 5 characters over a small alphabet, then of up to 7 over a
        // smaller one: every separator position, run and boundary of short addresses.
        let mut n = 0;
        for (alphabet, max) in [(&b"0129af:./"[..], 5), (&b"01f:."[..], 7)] {
            let mut idx = Vec::new();
            loop {
                let s: String = idx
                    .iter()
                    .map(|&i: &usize| char::from(alphabet[i]))
                    .collect();
                same(&s);
                n += 1;
                // Next string: a counter in base alphabet.len(), growing in length.
                let mut k = 0;
                loop {
                    if k == idx.len() {
                        idx.push(0);
                        break;
                    }
                    idx[k] += 1;
                    if idx[k] < alphabet.len() {
                        break;
                    }
                    idx[k] = 0;
                    k += 1;
                }
                if idx.len() > max {
                    break;
                }
            }
        }
        assert!(n > 100_000, "{n}");
    }

    #[test]
    fn generated_addresses_and_their_mutations_read_as_core_net_reads_them() {
        // A small deterministic generator (xorshift): printed addresses of every form, then the
        // same with one character replaced, inserted or removed.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let chars = b"0123456789abcdefABCDEF:.x/ %[]";
        let mut n = 0;
        for _ in 0..20_000 {
            let r = next();
            let text = match r % 4 {
                0 => format!("{}", Ipv4Addr::from(next() as u32)),
                1 => format!(
                    "{}",
                    Ipv6Addr::from((u128::from(next()) << 64) | u128::from(next()))
                ),
                // Few non-zero groups: `::` in every position.
                2 => {
                    let mut g = [0u16; 8];
                    for _ in 0..(next() % 4) {
                        g[(next() % 8) as usize] = next() as u16;
                    }
                    format!("{}", Ipv6Addr::from(g))
                }
                _ => format!("::ffff:{}", Ipv4Addr::from(next() as u32)),
            };
            same(&text);
            let mut b = text.into_bytes();
            let at = (next() as usize) % (b.len() + 1);
            let c = chars[(next() as usize) % chars.len()];
            match next() % 3 {
                0 if at < b.len() => b[at] = c,
                1 => b.insert(at, c),
                _ if at < b.len() => {
                    b.remove(at);
                }
                _ => b.push(c),
            }
            same(core::str::from_utf8(&b).unwrap());
            // Leading zeros and upper case, in every group.
            let s = core::str::from_utf8(&b).unwrap();
            same(&s.replace(':', ":0").replace('.', ".0"));
            same(&s.to_uppercase());
            n += 4;
        }
        assert_eq!(n, 80_000);
    }

    #[test]
    fn long_inputs_are_refused_in_linear_time() {
        // 100,000 bytes of each shape: refused, and quickly (no backtracking blow-up).
        for unit in ["1.", "1:", "::", "1.2.3.4:", "ffff:", "0"] {
            let s = unit.repeat(100_000 / unit.len());
            same(&s);
        }
    }
}
