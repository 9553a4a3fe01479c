//! The part of a cache slot that belongs to one process: its single-flight
//! lock, the lock that publishes a fresh outcome, and the flag of a
//! running background refresh.
//!
//! A fork child inherits the cached values (they stay good there) but not
//! the threads: a lock that a parent thread held when the process forked,
//! mid-fetch, would never be released in the child, and a refresh the
//! parent was running would never end. So these live in a [`Local`] tagged
//! with the [fork generation](crate::fork::generation) it was made in, and
//! the first use in a child makes a new one (the parent's is left alone).
//! Only fetches, publications and refreshes ask: never a cache hit.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

use arc_swap::ArcSwap;

use super::cache::Flight;

/// The per-process state of one slot.
#[derive(Debug)]
pub(crate) struct Local {
    generation: u64,
    /// Held while the key is fetched; waiters share the outcome.
    pub(crate) flight: Arc<tokio::sync::Mutex<Flight>>,
    /// Held while the slot's fresh outcome and stamp change together.
    pub(crate) publish: Mutex<()>,
    /// A background refresh (`refresh_ahead`) is running.
    pub(crate) refreshing: AtomicBool,
}

impl Local {
    fn new(generation: u64, completed: u64) -> Self {
        Local {
            generation,
            flight: Arc::new(tokio::sync::Mutex::new(Flight { completed, last: None })),
            publish: Mutex::new(()),
            refreshing: AtomicBool::new(false),
        }
    }
}

/// A slot's [`Local`], made again in each process that uses it.
#[derive(Debug)]
pub(crate) struct PerProcess(ArcSwap<Local>);

impl Default for PerProcess {
    fn default() -> Self {
        PerProcess(ArcSwap::from_pointee(Local::new(crate::fork::generation(), 0)))
    }
}

impl PerProcess {
    /// This process's state; in a fork child, a new one on first use, whose
    /// flight starts from `completed` (the fetches completed so far, which
    /// readers compare against).
    pub(crate) fn get(&self, completed: u64) -> Arc<Local> {
        let generation = crate::fork::generation();
        let current = self.0.load_full();
        if current.generation == generation {
            return current;
        }
        let fresh = Arc::new(Local::new(generation, completed));
        let previous = self.0.compare_and_swap(&current, fresh.clone());
        if Arc::ptr_eq(&previous, &current) {
            // The parent's locks may be held by tasks that do not exist
            // here; nothing waits on them any more. Dropping them is safe:
            // they own no thread, socket or file.
            fresh
        } else {
            // Another thread of this child made one first: share it.
            self.0.load_full()
        }
    }
}
