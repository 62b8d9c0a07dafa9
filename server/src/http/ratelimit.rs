//! Per-client rate limits for the login and site-node endpoints, on `governor` (GCRA: a client
//! may send `burst` requests at once and then one every `1 / per_second`; a refused request is
//! answered `429 rate-limited` with `Retry-After`, the seconds until the next one passes).
//!
//! Clients are keyed by IP address, an IPv6 client by its /64 (one host's share of a network:
//! a client cycling through the addresses of its /64 stays one client; IPv4-mapped IPv6 is the
//! IPv4 address). The key table is bounded ([`MAX_CLIENTS`]): when it is full, the clients whose
//! bucket has refilled completely (indistinguishable from a new client) are dropped — at most
//! once a second, so a flood of new addresses cannot make every request sweep the table — and
//! while it is still full, new clients share one overflow bucket. A client that used its bucket
//! is never dropped, so flooding the table with new addresses never frees an exhausted client.

use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::ShrinkableKeyedStateStore;
use governor::state::{InMemoryState, StateStore};
use governor::{Quota, RateLimiter};

use crate::config::Rate;

/// Most clients kept per limit (and one shared overflow bucket beyond).
pub const MAX_CLIENTS: usize = 10_000;

/// Whom a bucket belongs to.
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum ClientKey {
    /// An IPv4 address.
    V4(u32),
    /// The /64 network of an IPv6 address.
    V6(u64),
    /// Every new client while the table is full.
    Overflow,
}

impl ClientKey {
    /// The key of a client address.
    pub fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::V4(u32::from(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => Self::V4(u32::from(v4)),
                None => Self::V6((u128::from(v6) >> 64) as u64),
            },
        }
    }
}

/// The bounded key table (see the module doc).
#[derive(Clone, Default)]
struct Table(Arc<DashMap<ClientKey, InMemoryState>>);

impl StateStore for Table {
    type Key = ClientKey;

    fn measure_and_replace<T, F, E>(&self, key: &ClientKey, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        let key = if self.0.contains_key(key) || self.0.len() < MAX_CLIENTS {
            key
        } else {
            &ClientKey::Overflow
        };
        self.0.measure_and_replace(key, f)
    }
}

impl ShrinkableKeyedStateStore<ClientKey> for Table {
    fn retain_recent(&self, drop_below: Nanos) {
        self.0.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.0.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.0.len()
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A limiter: one rate, one bucket per client.
pub struct Limiter<C: Clock = DefaultClock> {
    inner: Option<RateLimiter<ClientKey, Table, C, NoOpMiddleware<C::Instant>>>,
    table: Table,
    clock: C,
    start: C::Instant,
    rate: Rate,
    /// The second (since `start`, plus one) of the last sweep.
    last_sweep: AtomicU64,
}

impl std::fmt::Debug for Limiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Limiter")
            .field("rate", &self.rate)
            .field("clients", &self.table.0.len())
            .finish()
    }
}

fn quota(rate: Rate) -> Option<Quota> {
    if rate.is_off() {
        return None;
    }
    let period = Duration::from_secs_f64(1.0 / rate.per_second).max(Duration::from_nanos(1));
    let burst = NonZeroU32::new(rate.burst.max(1))?;
    Some(Quota::with_period(period)?.allow_burst(burst))
}

impl Limiter {
    /// A limiter at `rate` on the monotonic clock (`Rate::OFF`: no limit).
    pub fn new(rate: Rate) -> Self {
        Self::with_clock(rate, DefaultClock::default())
    }
}

impl<C: Clock + Clone> Limiter<C> {
    /// A limiter at `rate` reading `clock`.
    pub fn with_clock(rate: Rate, clock: C) -> Self {
        let table = Table::default();
        let inner = quota(rate).map(|q| RateLimiter::new(q, table.clone(), clock.clone()));
        Self {
            inner,
            table,
            start: clock.now(),
            clock,
            rate,
            last_sweep: AtomicU64::new(0),
        }
    }

    /// Takes a request from `ip`: `Ok(())`, or `Err(seconds)` to wait before the next one.
    pub fn check(&self, ip: IpAddr) -> Result<(), u64> {
        let Some(limiter) = &self.inner else {
            return Ok(());
        };
        let key = ClientKey::of(ip);
        // A known client costs one lookup more; only a new one counts the table.
        if !self.table.0.contains_key(&key) && self.table.0.len() >= MAX_CLIENTS {
            self.sweep(limiter);
        }
        limiter.check_key(&key).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            wait.as_secs()
                .saturating_add(u64::from(wait.subsec_nanos() > 0))
                .max(1)
        })
    }

    /// Drops the refilled buckets, at most once a second.
    fn sweep(&self, limiter: &RateLimiter<ClientKey, Table, C, NoOpMiddleware<C::Instant>>) {
        let elapsed: Duration = self.clock.now().duration_since(self.start).into();
        let second = elapsed.as_secs() + 1;
        let last = self.last_sweep.load(Ordering::Relaxed);
        if second > last
            && self
                .last_sweep
                .compare_exchange(last, second, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            limiter.retain_recent();
        }
    }

    /// Clients held (the overflow bucket counts as one).
    pub fn clients(&self) -> usize {
        self.table.0.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;

    fn limiter(rate: &str) -> (Limiter<FakeRelativeClock>, FakeRelativeClock) {
        let clock = FakeRelativeClock::default();
        (
            Limiter::with_clock(Rate::parse(rate).unwrap(), clock.clone()),
            clock,
        )
    }

    #[test]
    fn buckets_refill_and_say_how_long_to_wait() {
        let (l, clock) = limiter("10/min");
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for i in 0..10 {
            assert_eq!(l.check(a), Ok(()), "request {i}");
        }
        assert_eq!(l.check(a), Err(6));
        assert_eq!(l.check(b), Ok(()), "another client has its own bucket");
        clock.advance(Duration::from_secs(6));
        assert_eq!(l.check(a), Ok(()));
        assert!(l.check(a).is_err());
        let off = Limiter::new(Rate::OFF);
        for _ in 0..1000 {
            assert_eq!(off.check(a), Ok(()));
        }
        assert_eq!(off.clients(), 0);
    }

    #[test]
    fn an_ipv6_client_is_its_64() {
        let (l, _) = limiter("2/s:2");
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(l.check(ip("2001:db8:1:2::1")), Ok(()));
        assert_eq!(l.check(ip("2001:db8:1:2:ffff::9")), Ok(()));
        assert!(l.check(ip("2001:db8:1:2:abcd::1")).is_err(), "same /64");
        assert_eq!(l.check(ip("2001:db8:1:3::1")), Ok(()), "another /64");
        assert_eq!(
            ClientKey::of(ip("::ffff:10.0.0.1")),
            ClientKey::of(ip("10.0.0.1"))
        );
    }

    #[test]
    fn the_table_stays_bounded_and_never_frees_an_exhausted_client() {
        let (l, clock) = limiter("1/h");
        let exhausted: IpAddr = [192, 0, 2, 1].into();
        assert_eq!(l.check(exhausted), Ok(()));
        assert!(l.check(exhausted).is_err());
        for i in 0..(MAX_CLIENTS as u32 + 50) {
            let _ = l.check(IpAddr::from((0x0a00_0000 + i).to_be_bytes()));
        }
        assert!(l.clients() <= MAX_CLIENTS + 1, "{}", l.clients());
        // Every client used its bucket: none is fresh, so a sweep frees none, and new clients
        // share the overflow bucket (spent by the first of them).
        clock.advance(Duration::from_secs(2));
        assert!(
            l.check([198, 51, 100, 7].into()).is_err(),
            "overflow bucket spent"
        );
        assert!(l.check(exhausted).is_err(), "still limited after the flood");
        // Hours later every bucket has refilled: the sweep frees the table for new clients.
        clock.advance(Duration::from_secs(3 * 3600));
        assert_eq!(l.check([198, 51, 100, 8].into()), Ok(()));
        assert!(l.clients() < 10, "{}", l.clients());
    }
}
