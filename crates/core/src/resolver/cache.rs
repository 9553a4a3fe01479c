//! The cache: fresh fetch outcomes in moka, last good values kept apart, and
//! one in-flight fetch per key.
//!
//! Every schema entry has a [`Slot`], found by index (no hashing of names).
//! A cached outcome is fresh while the clock is before its `expires_at` and
//! its epoch matches the slot's: `invalidate` and `clear` bump epochs, so an
//! outcome fetched before an invalidation is never served after it, even if
//! its fetch completes later. Stale values live in the slot, out of moka's
//! reach, so expiry never loses them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant, SystemTime};

use moka::Expiry;

use crate::Value;
use crate::error::StoreError;

/// A value SSM gave, decoded.
#[derive(Debug)]
pub(crate) struct Fetched {
    pub(crate) value: Arc<Value>,
    pub(crate) version: i64,
    pub(crate) fetched_at: Instant,
    /// Wall-clock time of the fetch, read once (for display).
    pub(crate) fetched_wall: SystemTime,
}

/// What one fetch of one key came to.
#[derive(Debug)]
pub(crate) enum Outcome {
    /// SSM has the parameter and its value decodes.
    Found(Arc<Fetched>),
    /// SSM says the parameter does not exist.
    Missing,
    /// The request failed or the value did not decode.
    Failed(StoreError),
}

/// An outcome with its lifetime.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) outcome: Outcome,
    pub(crate) fetched_at: Instant,
    pub(crate) fetched_wall: SystemTime,
    pub(crate) expires_at: Instant,
    pub(crate) ttl: Duration,
    pub(crate) epoch: Epoch,
}

/// (global epoch, slot epoch) when a fetch started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Epoch(u64, u64);

/// The state a key's in-flight fetches share.
#[derive(Debug, Default)]
pub(crate) struct Flight {
    /// Fetches completed for this key.
    pub(crate) completed: u64,
    /// The latest of them.
    pub(crate) last: Option<Arc<Cached>>,
}

#[derive(Debug, Default)]
pub(crate) struct Slot {
    epoch: AtomicU64,
    /// Mirror of `flight.completed`, readable without the lock.
    completed: AtomicU64,
    pub(crate) flight: tokio::sync::Mutex<Flight>,
    last_good: RwLock<Option<Arc<Fetched>>>,
}

impl Slot {
    /// Fetches completed so far; read before waiting on the flight lock.
    pub(crate) fn completed(&self) -> u64 {
        self.completed.load(Ordering::Acquire)
    }
}

struct TtlExpiry;

impl Expiry<u32, Arc<Cached>> for TtlExpiry {
    fn expire_after_create(&self, _: &u32, value: &Arc<Cached>, _: std::time::Instant) -> Option<Duration> {
        Some(value.ttl)
    }
}

pub(crate) struct Cache {
    fresh: moka::sync::Cache<u32, Arc<Cached>>,
    global: AtomicU64,
    slots: Box<[Slot]>,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cache").field("entries", &self.fresh.entry_count()).finish()
    }
}

impl Cache {
    pub(crate) fn new(slots: usize) -> Self {
        Cache {
            fresh: moka::sync::Cache::builder().max_capacity(slots as u64 + 1).expire_after(TtlExpiry).build(),
            global: AtomicU64::new(0),
            slots: (0..slots).map(|_| Slot::default()).collect(),
        }
    }

    pub(crate) fn slot(&self, idx: usize) -> &Slot {
        &self.slots[idx]
    }

    pub(crate) fn epoch(&self, idx: usize) -> Epoch {
        Epoch(self.global.load(Ordering::Acquire), self.slots[idx].epoch.load(Ordering::Acquire))
    }

    /// The cached outcome of `idx`, if still fresh at `now`.
    pub(crate) fn fresh(&self, idx: usize, now: Instant) -> Option<Arc<Cached>> {
        let cached = self.fresh.get(&(idx as u32))?;
        (now < cached.expires_at && cached.epoch == self.epoch(idx)).then_some(cached)
    }

    /// Records a completed fetch: caches it (unless its TTL is zero or the
    /// key was invalidated meanwhile) and keeps or forgets the last good value.
    pub(crate) fn record(&self, idx: usize, cached: &Arc<Cached>) {
        let slot = &self.slots[idx];
        match &cached.outcome {
            Outcome::Found(f) => *slot.last_good.write().unwrap_or_else(|e| e.into_inner()) = Some(f.clone()),
            // Deleted in SSM: an older value must not come back as stale.
            Outcome::Missing => *slot.last_good.write().unwrap_or_else(|e| e.into_inner()) = None,
            Outcome::Failed(_) => {}
        }
        if !cached.ttl.is_zero() && cached.epoch == self.epoch(idx) {
            self.fresh.insert(idx as u32, cached.clone());
        }
    }

    /// Marks a fetch as completed for the readers waiting on it.
    pub(crate) fn complete(&self, idx: usize, flight: &mut Flight, cached: &Arc<Cached>) {
        flight.completed += 1;
        flight.last = Some(cached.clone());
        self.slots[idx].completed.store(flight.completed, Ordering::Release);
    }

    pub(crate) fn stale(&self, idx: usize) -> Option<Arc<Fetched>> {
        self.slots[idx].last_good.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    pub(crate) fn invalidate(&self, idx: usize) {
        self.slots[idx].epoch.fetch_add(1, Ordering::AcqRel);
        self.fresh.invalidate(&(idx as u32));
    }

    pub(crate) fn clear(&self) {
        self.global.fetch_add(1, Ordering::AcqRel);
        self.fresh.invalidate_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(cache: &Cache, idx: usize, now: Instant, ttl: Duration) -> Arc<Cached> {
        Arc::new(Cached {
            outcome: Outcome::Found(Arc::new(Fetched {
                value: Arc::new(Value::from("v")),
                version: 1,
                fetched_at: now,
                fetched_wall: SystemTime::now(),
            })),
            fetched_at: now,
            fetched_wall: SystemTime::now(),
            expires_at: now + ttl,
            ttl,
            epoch: cache.epoch(idx),
        })
    }

    #[test]
    fn fresh_until_expiry_and_invalidation() {
        let cache = Cache::new(2);
        let now = Instant::now();
        let c = found(&cache, 0, now, Duration::from_secs(60));
        cache.record(0, &c);
        assert!(cache.fresh(0, now).is_some());
        assert!(cache.fresh(0, now + Duration::from_secs(60)).is_none(), "expired at expires_at");
        assert!(cache.fresh(1, now).is_none());
        cache.invalidate(0);
        assert!(cache.fresh(0, now).is_none());
        assert!(cache.stale(0).is_some(), "invalidation keeps the last good value");
    }

    #[test]
    fn a_fetch_that_started_before_an_invalidation_is_not_cached() {
        let cache = Cache::new(1);
        let now = Instant::now();
        let started = found(&cache, 0, now, Duration::from_secs(60));
        cache.clear();
        cache.record(0, &started);
        assert!(cache.fresh(0, now).is_none());
    }

    #[test]
    fn zero_ttl_is_never_cached_and_missing_forgets_stale() {
        let cache = Cache::new(1);
        let now = Instant::now();
        cache.record(0, &found(&cache, 0, now, Duration::ZERO));
        assert!(cache.fresh(0, now).is_none());
        assert!(cache.stale(0).is_some());
        let missing = Arc::new(Cached {
            outcome: Outcome::Missing,
            fetched_at: now,
            fetched_wall: SystemTime::now(),
            expires_at: now + Duration::from_secs(5),
            ttl: Duration::from_secs(5),
            epoch: cache.epoch(0),
        });
        cache.record(0, &missing);
        assert!(cache.stale(0).is_none());
        assert!(matches!(cache.fresh(0, now).unwrap().outcome, Outcome::Missing));
    }
}
