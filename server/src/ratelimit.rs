//! Per-client-IP token buckets for the login and site-node endpoints: a bucket holds up to
//! `burst` tokens and refills at `per_second`; a request takes one token or is answered
//! `429 rate-limited` with `Retry-After` (seconds until a token is back). The map of buckets is
//! bounded: when full, buckets that have refilled completely are dropped, then the idlest one.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Instant;

/// Most client buckets kept per limit.
pub const MAX_CLIENTS: usize = 10_000;

/// A rate: `per_second` sustained, `burst` at once. `per_second == 0` means no limit.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rate {
    /// Tokens added per second.
    pub per_second: f64,
    /// Bucket size.
    pub burst: u32,
}

impl Rate {
    /// No limit.
    pub const OFF: Rate = Rate {
        per_second: 0.0,
        burst: 0,
    };

    /// Whether this rate limits anything.
    pub fn is_off(&self) -> bool {
        self.per_second <= 0.0
    }

    /// Parses `0` (off), `N/s`, `N/min`, `N/h` or `N` (per second), optionally followed by
    /// `:BURST` (default: N, at least 1). Examples: `10/min`, `50/s:100`.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let bad = || format!("rate {s:?}: expected 0, N/s, N/min or N/h, optionally :BURST");
        let (rate, burst) = match s.split_once(':') {
            Some((r, b)) => (r, Some(b.trim().parse::<u32>().map_err(|_| bad())?)),
            None => (s, None),
        };
        let (n, unit) = match rate.split_once('/') {
            Some((n, u)) => (n, u.trim()),
            None => (rate, "s"),
        };
        let n: f64 = n.trim().parse().map_err(|_| bad())?;
        if !n.is_finite() || n < 0.0 {
            return Err(bad());
        }
        if n == 0.0 {
            return Ok(Rate::OFF);
        }
        let per_second = match unit {
            "s" | "sec" | "second" => n,
            "m" | "min" | "minute" => n / 60.0,
            "h" | "hour" => n / 3600.0,
            _ => return Err(bad()),
        };
        let burst = burst.unwrap_or(n.ceil() as u32).max(1);
        Ok(Rate { per_second, burst })
    }
}

impl std::fmt::Display for Rate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.is_off() {
            write!(f, "off")
        } else {
            let per_min = self.per_second * 60.0;
            if self.per_second < 1.0 && (per_min - per_min.round()).abs() < 1e-9 {
                write!(f, "{per_min}/min:{}", self.burst)
            } else {
                write!(f, "{}/s:{}", self.per_second, self.burst)
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// A token-bucket limiter keyed by client IP.
#[derive(Debug)]
pub struct Limiter {
    rate: Rate,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Limiter {
    /// A limiter at `rate`.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The limiter's rate.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes a token for `ip` at `now`: `Ok(())`, or `Err(seconds)` to wait before retrying.
    pub fn check(&self, ip: IpAddr, now: Instant) -> Result<(), u64> {
        if self.rate.is_off() {
            return Ok(());
        }
        let burst = f64::from(self.rate.burst);
        let mut map = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= MAX_CLIENTS && !map.contains_key(&ip) {
            let full_after = burst / self.rate.per_second;
            map.retain(|_, b| now.duration_since(b.last).as_secs_f64() < full_after);
            if map.len() >= MAX_CLIENTS {
                if let Some(idlest) = map.iter().min_by_key(|(_, b)| b.last).map(|(k, _)| *k) {
                    map.remove(&idlest);
                }
            }
        }
        let b = map.entry(ip).or_insert(Bucket {
            tokens: burst,
            last: now,
        });
        let elapsed = now.saturating_duration_since(b.last).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate.per_second).min(burst);
        b.last = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            let wait = (1.0 - b.tokens) / self.rate.per_second;
            Err((wait.ceil() as u64).max(1))
        }
    }

    /// Buckets currently held.
    pub fn clients(&self) -> usize {
        self.buckets.lock().map(|m| m.len()).unwrap_or(0)
    }
}

/// The limits a server applies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RateLimits {
    /// `POST /api/auth/login`, per client IP.
    pub login: Rate,
    /// The site-node endpoints (validate, heartbeat, license download), per client IP.
    pub node: Rate,
}

impl Default for RateLimits {
    /// 10 logins a minute (burst 10); 50 node requests a second (burst 100).
    fn default() -> Self {
        Self {
            login: Rate {
                per_second: 10.0 / 60.0,
                burst: 10,
            },
            node: Rate {
                per_second: 50.0,
                burst: 100,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn rates_parse() {
        assert_eq!(
            Rate::parse("10/min").unwrap(),
            Rate {
                per_second: 10.0 / 60.0,
                burst: 10
            }
        );
        assert_eq!(
            Rate::parse("50/s:100").unwrap(),
            Rate {
                per_second: 50.0,
                burst: 100
            }
        );
        assert!(Rate::parse("0").unwrap().is_off());
        for shown in ["10/min:10", "50/s:100", "off"] {
            let back = if shown == "off" { "0" } else { shown };
            assert_eq!(Rate::parse(back).unwrap().to_string(), shown);
        }
        assert!(Rate::parse("0/min").unwrap().is_off());
        for bad in ["", "x", "10/day", "-1/s", "10/s:x", "NaN"] {
            assert!(Rate::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn buckets_refill_and_say_how_long_to_wait() {
        let l = Limiter::new(Rate::parse("10/min").unwrap());
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let t = Instant::now();
        for i in 0..10 {
            assert_eq!(l.check(a, t), Ok(()), "request {i}");
        }
        assert_eq!(l.check(a, t), Err(6));
        assert_eq!(l.check(b, t), Ok(()), "another client has its own bucket");
        assert_eq!(l.check(a, t + Duration::from_secs(6)), Ok(()));
        assert!(l.check(a, t + Duration::from_secs(6)).is_err());
        let off = Limiter::new(Rate::OFF);
        for _ in 0..1000 {
            assert_eq!(off.check(a, t), Ok(()));
        }
        assert_eq!(off.clients(), 0);
    }

    #[test]
    fn the_map_stays_bounded() {
        let l = Limiter::new(Rate::parse("1/h").unwrap());
        let t = Instant::now();
        for i in 0..(MAX_CLIENTS as u32 + 50) {
            let _ = l.check(
                IpAddr::from(i.to_be_bytes()),
                t + Duration::from_millis(i.into()),
            );
        }
        assert_eq!(l.clients(), MAX_CLIENTS);
    }
}
