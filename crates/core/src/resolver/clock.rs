//! The clock seam: the resolver reads time only through [`Clock`], so tests
//! move time forward instead of sleeping.

use std::fmt::Debug;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

/// A source of time for TTLs and provenance.
pub trait Clock: Debug + Send + Sync {
    /// Monotonic now, for expiry.
    fn now(&self) -> Instant;
    /// The wall-clock time of a monotonic instant, for display.
    fn wall(&self, at: Instant) -> SystemTime;
}

/// The real clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn wall(&self, at: Instant) -> SystemTime {
        let now = Instant::now();
        if at <= now { SystemTime::now() - (now - at) } else { SystemTime::now() + (at - now) }
    }
}

/// A clock that moves only when told, for tests.
///
/// ```
/// use std::time::Duration;
/// use ssmconf::{Clock, ManualClock};
/// let clock = ManualClock::new();
/// let start = clock.now();
/// clock.advance(Duration::from_secs(301));
/// assert_eq!(clock.now() - start, Duration::from_secs(301));
/// ```
#[derive(Debug)]
pub struct ManualClock {
    start: Instant,
    start_wall: SystemTime,
    offset: Mutex<Duration>,
}

impl ManualClock {
    /// A clock standing at the current time.
    #[must_use]
    pub fn new() -> Self {
        ManualClock { start: Instant::now(), start_wall: SystemTime::now(), offset: Mutex::new(Duration::ZERO) }
    }

    /// Moves the clock forward.
    pub fn advance(&self, by: Duration) {
        *self.offset.lock().unwrap_or_else(|e| e.into_inner()) += by;
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.start + *self.offset.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn wall(&self, at: Instant) -> SystemTime {
        self.start_wall + at.saturating_duration_since(self.start)
    }
}

/// The system's coarse monotonic clock, which lets a cache hit on the
/// [`SystemClock`] skip the precise clock most of the time.
///
/// On Linux this is `CLOCK_MONOTONIC_COARSE`, read through the vDSO (6 to
/// 10 ns on the project's machine, against 26 to 37 ns for `Instant::now`):
/// the timeline of [`Instant`] (`CLOCK_MONOTONIC`) as it stood at the
/// kernel's last timekeeping update. So a coarse reading is never ahead of
/// the precise clock, and is behind it by at most the time since that
/// update: one timer tick (1 to 10 ms), a few when a tick is late.
/// [`Coarse::LAG`] bounds that with a wide margin. The cache uses a coarse
/// reading only to prove an entry fresh while it has more than `LAG` left;
/// nearer its expiry it reads the precise clock, so entries expire exactly
/// when they did before.
///
/// Elsewhere there is no coarse clock, and every hit reads the precise one.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Coarse(());

impl Coarse {
    /// How far a coarse reading may be behind the precise clock, with a
    /// wide margin (the kernel updates its timekeeping every tick, and
    /// catches up within a few ticks when one is late).
    pub(crate) const LAG: Duration = Duration::from_secs(1);

    /// The coarse clock, where the system has one.
    pub(crate) fn available() -> Option<Self> {
        cfg!(target_os = "linux").then_some(Coarse(()))
    }

    /// Nanoseconds on the coarse clock.
    #[cfg(target_os = "linux")]
    #[inline]
    pub(crate) fn now(self) -> u64 {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::MonotonicCoarse);
        // Both fields are non-negative on a monotonic clock.
        let secs = u64::try_from(t.tv_sec).unwrap_or(0);
        secs.saturating_mul(1_000_000_000).saturating_add(u64::try_from(t.tv_nsec).unwrap_or(0))
    }

    /// Never called: [`available`](Self::available) makes no `Coarse` here.
    /// The latest time there is, so that nothing would ever look fresh.
    #[cfg(not(target_os = "linux"))]
    #[inline]
    pub(crate) fn now(self) -> u64 {
        u64::MAX
    }

    /// A coarse reading before which the precise clock is certainly before
    /// `expires_at`, or `None` when `expires_at` is less than
    /// [`LAG`](Self::LAG) away.
    pub(crate) fn certain_until(self, expires_at: Instant) -> Option<u64> {
        // The coarse clock first, so `coarse <= precise`. Then for a later
        // coarse reading `c < coarse + left`: the precise time is at most
        // `c + LAG < precise + left + LAG = expires_at`.
        let coarse = self.now();
        let left = expires_at.checked_duration_since(Instant::now())?.checked_sub(Self::LAG)?;
        Some(coarse.saturating_add(u64::try_from(left.as_nanos()).unwrap_or(u64::MAX)))
    }
}
