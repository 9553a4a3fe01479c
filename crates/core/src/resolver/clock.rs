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
