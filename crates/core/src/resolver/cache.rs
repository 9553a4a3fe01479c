//! The cache: the fresh fetch outcome of each key, its last good value, and
//! one in-flight fetch per key.
//!
//! Every schema entry has a [`Slot`], found by index: the key space is the
//! schema, fixed when the resolver is built. A cached outcome is fresh while
//! the clock is before its `expires_at` and its epoch matches the slot's:
//! `invalidate` and `clear` bump epochs, so an outcome fetched before an
//! invalidation is never served after it, even if its fetch completes later.
//! The last good value sits beside the fresh one, so expiry never loses it.
//!
//! Both live in `ArcSwapOption`s: a hit is one atomic load, with no lock, no
//! allocation, and no reference count when the caller reads the value in
//! place ([`Cache::with_fresh`]). (moka was the first choice; its per-read
//! bookkeeping measured ~280 ns a hit against ~16 ns for an `arc-swap` load,
//! and its eviction, capacity bound and timer wheel have nothing to do here:
//! TTLs run on the resolver's injectable clock, and the number of keys is the
//! size of the schema.)
//!
//! On the [`SystemClock`](super::SystemClock), a hit proves freshness with
//! the coarse clock ([`Coarse`], ~6 ns) while the entry has more than
//! [`Coarse::LAG`] left, and reads the precise clock (~37 ns) only after that.
//!
//! Each slot also has a *stamp*: one word holding the generation of its fresh
//! outcome (bumped whenever that outcome is replaced or dropped) and the
//! coarse-clock tick before which it needs no other check. A binding that
//! keeps its own converted copy of a hit (the Python one) proves that copy
//! current with one load of the stamp and one coarse-clock read
//! ([`Cache::still_fresh`], [`Resolver::still_fresh`](super::Resolver::still_fresh)).

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwapOption;

use super::clock::{Clock, Coarse};
use super::per_process::{Local, PerProcess};
use crate::Value;
use crate::error::StoreError;

/// A value SSM gave, decoded.
pub(crate) struct Fetched {
    pub(crate) value: Arc<Value>,
    pub(crate) version: i64,
    pub(crate) fetched_at: Instant,
    /// Wall-clock time of the fetch, read once (for display).
    pub(crate) fetched_wall: SystemTime,
    /// Something derived from `value` once, kept with it (see [`Answer::memo`](super::Answer::memo)).
    pub(crate) memo: OnceLock<Box<dyn Any + Send + Sync>>,
    /// Who fetched it (`host/pid`), when it came from the shared cache.
    pub(crate) origin: Option<Arc<str>>,
    /// The text SSM gave, kept only for the shared cache to pass on.
    #[cfg_attr(not(feature = "shared"), allow(dead_code))]
    pub(crate) raw: Option<Box<str>>,
}

impl Fetched {
    /// The memo, made by `init` if there is none yet. Readers of this fetch
    /// wait while `init` runs.
    pub(crate) fn memo_or_init<T: Any + Send + Sync>(&self, init: impl FnOnce(&Value) -> T) -> Option<&T> {
        self.memo.get_or_init(|| Box::new(init(&self.value))).downcast_ref::<T>()
    }

    /// The memo, if there is one and it is a `T`; never waits.
    pub(crate) fn memo_get<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.memo.get()?.downcast_ref::<T>()
    }

    /// Keeps `memo` unless there is one already; answers the one kept.
    pub(crate) fn memo_keep<T: Any + Send + Sync>(&self, memo: T) -> Option<&T> {
        // Err only when a memo is kept already: that one stays.
        let _ = self.memo.set(Box::new(memo));
        self.memo_get()
    }
}

impl std::fmt::Debug for Fetched {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // No value: it may be secure.
        f.debug_struct("Fetched").field("version", &self.version).field("fetched_at", &self.fetched_at).finish()
    }
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

/// A cached outcome as the hit path reads it.
#[derive(Debug)]
struct Fresh {
    cached: Arc<Cached>,
    /// A coarse-clock reading before which `cached` is certainly fresh
    /// (see [`Coarse::certain_until`]); 0 without a coarse clock.
    certain_until: u64,
    /// The slot's generation when this outcome was published.
    generation: u32,
}

/// Coarse-clock ticks in a stamp are 2^24 ns (about 17 ms) since the cache
/// was made: 32 bits of them last 2.3 years, after which stamps stop
/// proving anything and every hit takes the usual path.
const TICK_SHIFT: u32 = 24;

/// A slot's stamp: generation in the high half, certain-until tick in the
/// low half (0: never certain).
fn stamp(generation: u32, tick: u32) -> u64 {
    (u64::from(generation) << 32) | u64::from(tick)
}

fn stamp_generation(stamp: u64) -> u32 {
    (stamp >> 32) as u32
}

#[derive(Debug, Default)]
pub(crate) struct Slot {
    epoch: AtomicU64,
    /// Mirror of `flight.completed`, readable without the lock.
    completed: AtomicU64,
    fresh: ArcSwapOption<Fresh>,
    last_good: ArcSwapOption<Fetched>,
    /// See the module's documentation: generation and certain-until tick.
    stamp: AtomicU64,
    /// The flight lock, the publish lock (held while `fresh` and `stamp`
    /// change, so that they change together) and the refresh flag, of this
    /// process: a fork child makes its own.
    local: PerProcess,
}

impl Slot {
    /// Fetches completed so far; read before waiting on the flight lock.
    pub(crate) fn completed(&self) -> u64 {
        self.completed.load(Ordering::Acquire)
    }

    /// This process's state of the slot.
    fn local(&self) -> Arc<Local> {
        self.local.get(self.completed())
    }

    /// The single-flight lock of this key, in this process.
    pub(crate) fn flight(&self) -> Arc<tokio::sync::Mutex<Flight>> {
        self.local().flight.clone()
    }
}

pub(crate) struct Cache {
    global: AtomicU64,
    slots: Box<[Slot]>,
    /// The coarse clock, when the resolver runs on the system clock (an
    /// injected clock is the only time there is).
    coarse: Option<Coarse>,
    /// The coarse-clock reading at tick 0 of the stamps.
    origin: u64,
    /// `refresh_ahead`: the part of a TTL in which a hit must go the usual
    /// way, which starts the refresh. Stamps end where it begins.
    refresh_ahead: f64,
}

impl std::fmt::Debug for Cache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let cached = self.slots.iter().filter(|s| s.fresh.load().is_some()).count();
        f.debug_struct("Cache")
            .field("slots", &self.slots.len())
            .field("cached", &cached)
            .field("coarse", &self.coarse.is_some())
            .finish()
    }
}

impl Cache {
    /// A cache of `slots` entries. `coarse`: whether the resolver's clock is
    /// the system clock, so that hits may use the coarse clock.
    pub(crate) fn new(slots: usize, coarse: bool, refresh_ahead: f64) -> Self {
        let coarse = if coarse { Coarse::available() } else { None };
        Cache {
            global: AtomicU64::new(0),
            slots: (0..slots).map(|_| Slot::default()).collect(),
            coarse,
            origin: coarse.map_or(0, Coarse::now),
            refresh_ahead,
        }
    }

    /// The stamp tick of a coarse-clock reading, if it has one.
    fn tick(&self, coarse: u64) -> Option<u32> {
        u32::try_from(coarse.checked_sub(self.origin)? >> TICK_SHIFT).ok()
    }

    /// Whether the fresh outcome of `idx` is still the one of `generation`,
    /// and certainly fresh by the coarse clock: one atomic load and one
    /// clock read. `false` says nothing: ask [`with_fresh`](Self::with_fresh).
    #[inline]
    pub(crate) fn still_fresh(&self, idx: usize, generation: u32) -> bool {
        let (Some(slot), Some(coarse)) = (self.slots.get(idx), self.coarse) else { return false };
        let stamp = slot.stamp.load(Ordering::Acquire);
        // Tick 0 never proves anything: no tick is below it.
        stamp_generation(stamp) == generation && self.tick(coarse.now()).is_some_and(|now| now < stamp as u32)
    }

    /// Replaces the fresh outcome of `idx` (or drops it) and its stamp,
    /// together.
    fn publish(&self, idx: usize, cached: Option<&Arc<Cached>>) {
        let slot = &self.slots[idx];
        let local = slot.local();
        let _publishing = local.publish.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = stamp_generation(slot.stamp.load(Ordering::Relaxed)).wrapping_add(1);
        let Some(cached) = cached else {
            slot.fresh.store(None);
            slot.stamp.store(stamp(generation, 0), Ordering::Release);
            return;
        };
        let certain_until = self.coarse.and_then(|c| c.certain_until(cached.expires_at)).unwrap_or(0);
        // The stamp ends where a hit must start the refresh ahead, `window`
        // earlier (0 stays 0), rounded down to a tick: it proves no more
        // than the clock would.
        let window = u64::try_from(cached.ttl.mul_f64(self.refresh_ahead).as_nanos()).unwrap_or(u64::MAX);
        let tick = self.tick(certain_until.saturating_sub(window)).unwrap_or(0);
        slot.fresh.store(Some(Arc::new(Fresh { cached: cached.clone(), certain_until, generation })));
        slot.stamp.store(stamp(generation, tick), Ordering::Release);
    }

    pub(crate) fn slot(&self, idx: usize) -> &Slot {
        &self.slots[idx]
    }

    pub(crate) fn epoch(&self, idx: usize) -> Epoch {
        Epoch(self.global.load(Ordering::Acquire), self.slots[idx].epoch.load(Ordering::Acquire))
    }

    /// The cached outcome of `idx`, if still fresh at `now`.
    pub(crate) fn fresh(&self, idx: usize, now: Instant) -> Option<Arc<Cached>> {
        let guard = self.slots[idx].fresh.load();
        let fresh = guard.as_ref()?;
        (now < fresh.cached.expires_at && fresh.cached.epoch == self.epoch(idx)).then(|| fresh.cached.clone())
    }

    /// `f` with the cached outcome of `idx`, if it is fresh now, lent for
    /// the call (no reference count): the hit path. Proves freshness with
    /// the coarse clock when there is one and the entry is far from expiry;
    /// else reads `clock`.
    /// `f` also gets the outcome's generation (see [`still_fresh`](Self::still_fresh)).
    pub(crate) fn with_fresh<R>(
        &self,
        idx: usize,
        clock: &dyn Clock,
        f: impl FnOnce(&Arc<Cached>, u32) -> R,
    ) -> Option<R> {
        let guard = self.slots[idx].fresh.load();
        let fresh = guard.as_ref()?;
        if fresh.cached.epoch != self.epoch(idx) {
            return None;
        }
        let certain = self.coarse.is_some_and(|coarse| coarse.now() < fresh.certain_until);
        (certain || clock.now() < fresh.cached.expires_at).then(|| f(&fresh.cached, fresh.generation))
    }

    /// Records a completed fetch: caches it (unless its TTL is zero or the
    /// key was invalidated meanwhile) and keeps or forgets the last good value.
    pub(crate) fn record(&self, idx: usize, cached: &Arc<Cached>) {
        let slot = &self.slots[idx];
        match &cached.outcome {
            Outcome::Found(f) => slot.last_good.store(Some(f.clone())),
            // Deleted in SSM: an older value must not come back as stale.
            Outcome::Missing => slot.last_good.store(None),
            Outcome::Failed(_) => {}
        }
        // An invalidation racing this store is still safe: `fresh` checks
        // the epoch on every read.
        if !cached.ttl.is_zero() && cached.epoch == self.epoch(idx) {
            self.publish(idx, Some(cached));
        }
    }

    /// Marks a fetch as completed for the readers waiting on it.
    pub(crate) fn complete(&self, idx: usize, flight: &mut Flight, cached: &Arc<Cached>) {
        flight.completed += 1;
        flight.last = Some(cached.clone());
        self.slots[idx].completed.store(flight.completed, Ordering::Release);
    }

    /// Sets the last good value of `idx` when it has none (from a
    /// snapshot, before any fetch).
    pub(crate) fn seed_stale(&self, idx: usize, fetched: Arc<Fetched>) {
        let slot = &self.slots[idx];
        if slot.last_good.load().is_none() {
            slot.last_good.store(Some(fetched));
        }
    }

    /// Claims the background refresh of `idx`: true for the one caller that
    /// must run it, until [`end_refresh`](Self::end_refresh).
    pub(crate) fn begin_refresh(&self, idx: usize) -> bool {
        !self.slots[idx].local().refreshing.swap(true, Ordering::AcqRel)
    }

    pub(crate) fn end_refresh(&self, idx: usize) {
        self.slots[idx].local().refreshing.store(false, Ordering::Release);
    }

    pub(crate) fn stale(&self, idx: usize) -> Option<Arc<Fetched>> {
        self.slots[idx].last_good.load_full()
    }

    pub(crate) fn invalidate(&self, idx: usize) {
        self.slots[idx].epoch.fetch_add(1, Ordering::AcqRel);
        self.publish(idx, None);
    }

    pub(crate) fn clear(&self) {
        self.global.fetch_add(1, Ordering::AcqRel);
        for idx in 0..self.slots.len() {
            self.publish(idx, None);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::SystemClock;
    use super::*;

    fn found(cache: &Cache, idx: usize, now: Instant, ttl: Duration) -> Arc<Cached> {
        Arc::new(Cached {
            outcome: Outcome::Found(Arc::new(Fetched {
                value: Arc::new(Value::from("v")),
                version: 1,
                fetched_at: now,
                fetched_wall: SystemTime::now(),
                memo: OnceLock::new(),
                origin: None,
                raw: None,
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
        let cache = Cache::new(2, false, 0.0);
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
        let cache = Cache::new(1, false, 0.0);
        let now = Instant::now();
        let started = found(&cache, 0, now, Duration::from_secs(60));
        cache.clear();
        cache.record(0, &started);
        assert!(cache.fresh(0, now).is_none());
    }

    #[test]
    fn the_coarse_clock_proves_freshness_only_far_from_expiry() {
        let Some(coarse) = Coarse::available() else { return };
        let start = coarse.now();
        let now = Instant::now();
        let far = coarse.certain_until(now + Duration::from_secs(60)).expect("a minute left");
        assert!(far > start);
        assert!(far <= coarse.now() + 59_000_000_000, "LAG is taken off");
        assert_eq!(coarse.certain_until(now + Coarse::LAG / 2), None, "less than LAG left");
        assert_eq!(coarse.certain_until(now - Duration::from_millis(1)), None, "expired");

        // A cache on the system clock answers from the coarse clock; one on
        // an injected clock never does.
        for uses_coarse in [true, false] {
            let cache = Cache::new(1, uses_coarse, 0.0);
            cache.record(0, &found(&cache, 0, now, Duration::from_secs(60)));
            assert!(cache.with_fresh(0, &SystemClock, |_, _| ()).is_some());
            let certain = cache.slots[0].fresh.load().as_ref().unwrap().certain_until;
            assert_eq!(certain != 0, uses_coarse);
        }
        let cache = Cache::new(1, true, 0.0);
        cache.record(0, &found(&cache, 0, now, Duration::from_millis(100)));
        assert_eq!(cache.slots[0].fresh.load().as_ref().unwrap().certain_until, 0, "too short for the coarse clock");
        std::thread::sleep(Duration::from_millis(150));
        assert!(cache.with_fresh(0, &SystemClock, |_, _| ()).is_none(), "expired on the precise clock");
    }

    /// The generation a hit on `idx` lends now, if there is a hit.
    fn generation(cache: &Cache, idx: usize) -> Option<u32> {
        cache.with_fresh(idx, &SystemClock, |_, generation| generation)
    }

    #[test]
    fn a_stamp_proves_its_generation_until_replaced_or_dropped() {
        if Coarse::available().is_none() {
            return;
        }
        let cache = Cache::new(2, true, 0.0);
        let now = Instant::now();
        assert!(!cache.still_fresh(0, 0), "nothing published: tick 0 proves nothing");
        cache.record(0, &found(&cache, 0, now, Duration::from_secs(60)));
        let first = generation(&cache, 0).unwrap();
        assert!(cache.still_fresh(0, first));
        assert!(!cache.still_fresh(0, first.wrapping_add(1)), "another generation");
        assert!(!cache.still_fresh(1, first), "another slot");
        assert!(!cache.still_fresh(7, first), "no such slot: false, no panic");

        cache.record(0, &found(&cache, 0, now, Duration::from_secs(60)));
        let second = generation(&cache, 0).unwrap();
        assert_ne!(second, first, "a new outcome, a new generation");
        assert!(!cache.still_fresh(0, first), "the replaced outcome is no longer proven");
        assert!(cache.still_fresh(0, second));

        cache.invalidate(0);
        assert!(!cache.still_fresh(0, second), "invalidated");
        cache.record(0, &found(&cache, 0, now, Duration::from_secs(60)));
        let third = generation(&cache, 0).unwrap();
        assert!(cache.still_fresh(0, third));
        cache.clear();
        assert!(!cache.still_fresh(0, third), "cleared");
    }

    /// Whether a cache (on the coarse clock or not, with `refresh_ahead`)
    /// proves the stamp of an outcome cached just now for `ttl`.
    fn proves(coarse: bool, refresh_ahead: f64, ttl: Duration) -> bool {
        let cache = Cache::new(1, coarse, refresh_ahead);
        cache.record(0, &found(&cache, 0, Instant::now(), ttl));
        cache.still_fresh(0, generation(&cache, 0).expect("fresh on the precise clock"))
    }

    #[test]
    fn a_stamp_proves_nothing_near_expiry_in_the_refresh_window_or_on_an_injected_clock() {
        if Coarse::available().is_none() {
            return;
        }
        let minute = Duration::from_secs(60);
        assert!(proves(true, 0.0, minute));
        assert!(
            !proves(true, 0.0, Duration::from_millis(500)),
            "less than Coarse::LAG left: the precise clock decides"
        );
        assert!(!proves(false, 0.0, minute), "an injected clock");
        // The last 0.99 of a minute for refreshing: the window starts 0.6 s
        // in, less than LAG away, so no stamp; the usual hit (and its
        // refresh) still answers.
        assert!(!proves(true, 0.99, minute), "the refresh window is near: every hit goes the usual way");
        assert!(proves(true, 0.1, minute), "54 s before the window");
    }

    #[test]
    fn zero_ttl_is_never_cached_and_missing_forgets_stale() {
        let cache = Cache::new(1, false, 0.0);
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
