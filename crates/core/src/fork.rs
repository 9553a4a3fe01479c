//! Fork awareness: which process this is, as a number that changes in a
//! child made by `fork()`.
//!
//! A child of `fork()` gets a copy of the parent's memory but only the
//! thread that forked: the parent's tokio worker threads, the tasks that
//! drive its pooled connections and any lock a parent thread held at that
//! moment are copied as they were, with nobody left to run or release
//! them. So a resolver made before a fork (gunicorn `--preload`, Celery
//! prefork, a `multiprocessing` pool) keeps its cache in the child, and
//! everything tied to the parent's threads is made again in the child, on
//! first use there: the single-flight locks of the cache, the
//! [`SsmStore`](crate::SsmStore)'s SDK client (connection pool, credentials
//! cache), the runtime a binding passed to the builder.
//!
//! [`generation`] tells them apart. It reads the process id (a system call:
//! it is asked where a read goes to the store, a value is published or
//! invalidated, or a binding enters its runtime; never on a cache hit) and
//! changes when the id does; [`after_fork`] changes it at
//! once, for an at-fork hook (the Python package registers one with
//! `os.register_at_fork`), so that even a child that got its parent's id
//! back (a recycled pid) is told apart.
//!
//! A store of your own that holds connections does the same: remember the
//! generation it made them in, and make new ones when it differs.
//!
//! ```
//! let here = ssmconf::fork::generation();
//! assert_eq!(ssmconf::fork::generation(), here, "the same process");
//! ```
//!
//! What the parent's threads left behind is never dropped in the child: a
//! pooled connection or a runtime dropped there could deregister the
//! parent's sockets from the epoll instance the two processes share.

use std::sync::atomic::{AtomicU64, Ordering};

/// The process id that [`STATE`] was last seen in (high half) and the
/// generation (low half). 0 before the first call.
static STATE: AtomicU64 = AtomicU64::new(0);

fn pack(pid: u32, generation: u32) -> u64 {
    (u64::from(pid) << 32) | u64::from(generation)
}

/// This process's fork generation: the same number in one process, another
/// in each child made by `fork()` since (whether or not [`after_fork`] was
/// called there).
///
/// Costs a `getpid` system call: ask it before work that touches per-process
/// state (a request, a lock), not per cache hit.
#[must_use]
pub fn generation() -> u64 {
    let pid = std::process::id();
    let mut state = STATE.load(Ordering::Acquire);
    loop {
        let (seen, generation) = ((state >> 32) as u32, state as u32);
        if seen == pid {
            return u64::from(generation);
        }
        // First call ever (0), or a child nobody told: a new generation.
        let next = if seen == 0 { generation } else { generation.wrapping_add(1) };
        match STATE.compare_exchange(state, pack(pid, next), Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return u64::from(next),
            Err(now) => state = now,
        }
    }
}

/// Tells ssmconf that this process is a child just made by `fork()`: the
/// next [`generation`] differs from the parent's. For an at-fork hook
/// (`pthread_atfork`'s child handler, Python's
/// `os.register_at_fork(after_in_child=...)`); calling it elsewhere only
/// makes per-process state be made again, once.
pub fn after_fork() {
    let pid = std::process::id();
    let _ = STATE
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |state| Some(pack(pid, (state as u32).wrapping_add(1))));
}
