//! Work around a fetch that no reader waits for: refresh ahead of expiry,
//! TTL jitter, and the last-known-good snapshot.

use std::collections::BTreeMap;
use std::hash::BuildHasher;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, UNIX_EPOCH};

use super::Inner;
use super::cache::{Cached, Fetched, Outcome};
use super::snapshot::Remembered;
use crate::value::encode;

impl Inner {
    /// The lifetime of one fetch: the TTL less a random part of up to
    /// `ttl_jitter` of it.
    pub(crate) fn jittered(&self, ttl: Duration) -> Duration {
        if self.ttl_jitter <= 0.0 || ttl.is_zero() {
            return ttl;
        }
        // A fresh `RandomState` is randomly keyed: enough to spread a fleet.
        let unit = std::collections::hash_map::RandomState::new().hash_one(ttl) as f64 / u64::MAX as f64;
        ttl.mul_f64(1.0 - self.ttl_jitter * unit)
    }

    /// Called on a hit: when `cached` is in the last `refresh_ahead` part of
    /// its TTL, starts one background refresh of `idx` (unless one runs).
    pub(crate) fn maybe_refresh(&self, idx: usize, cached: &Cached) {
        if self.refresh_ahead <= 0.0 {
            return;
        }
        let window = cached.ttl.mul_f64(self.refresh_ahead);
        if self.clock.now() + window < cached.expires_at || !self.cache.begin_refresh(idx) {
            return;
        }
        let Some(inner) = self.this.upgrade() else {
            self.cache.end_refresh(idx);
            return;
        };
        let task = async move {
            let _done = RefreshDone(inner.clone(), idx);
            inner.refresh(idx).await;
        };
        self.spawn(task);
    }

    /// The runtime for background work: the current one, else the
    /// builder's (`None` outside both, or in a fork child of the process
    /// whose handle the builder got).
    fn background(&self) -> Option<tokio::runtime::Handle> {
        tokio::runtime::Handle::try_current().ok().or_else(|| self.runtime.as_ref()?.get())
    }

    /// Runs `task` in the background: on the current runtime, the
    /// builder's, or a short-lived thread.
    pub(crate) fn spawn(&self, task: impl Future<Output = ()> + Send + 'static) {
        if let Some(handle) = self.background() {
            handle.spawn(task);
            return;
        }
        let spawned = std::thread::Builder::new().name("ssmconf-refresh".into()).spawn(move || {
            match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt.block_on(task),
                Err(e) => tracing::warn!(target: "ssmconf", "Cannot refresh in the background: {e}"),
            }
        });
        if let Err(e) = spawned {
            tracing::warn!(target: "ssmconf", "Cannot refresh in the background: {e}");
        }
    }

    /// Fetches `idx` again while its cached value still answers readers.
    /// A failure is dropped: the cached value serves until it expires, and
    /// the read after that fetches (and falls back) as usual.
    async fn refresh(&self, idx: usize) {
        let slot = self.cache.slot(idx);
        let mut flight = slot.flight().lock_owned().await;
        let cached = self.request(&[idx]).await.pop().expect("one outcome per key");
        if let Outcome::Failed(e) = &cached.outcome {
            let key = self.key(idx);
            tracing::debug!(target: "ssmconf", key, error = %e, "Refresh ahead failed; the cached value serves until it expires");
            return;
        }
        self.cache.record(idx, &cached);
        self.cache.complete(idx, &mut flight, &cached);
        self.remember(std::iter::once(&*cached));
    }

    /// After fetches: writes the snapshot in the background when one of
    /// them changed a last good value (found, or found missing).
    pub(crate) fn remember<'a>(&self, fetched: impl IntoIterator<Item = &'a Cached>) {
        if self.snapshot.is_none() || fetched.into_iter().all(|c| matches!(c.outcome, Outcome::Failed(_))) {
            return;
        }
        let Some(inner) = self.this.upgrade() else { return };
        let write = move || inner.write_snapshot();
        match self.background() {
            Some(handle) => drop(handle.spawn_blocking(write)),
            None => write(),
        }
    }

    /// Writes every non-secure last good value to the snapshot, now.
    pub(crate) fn write_snapshot(&self) {
        let Some(snapshot) = &self.snapshot else { return };
        let result = snapshot.write(|| {
            let mut remembered = BTreeMap::new();
            for (idx, entry, bound) in self.entries() {
                if entry.secure {
                    continue;
                }
                let Some(last) = self.cache.stale(idx) else { continue };
                // A path entry: the flat text form of its leaves (none with
                // `type: json`, whose object leaves read like levels).
                let raw = match entry.is_path() {
                    true => crate::schema::leaves_of(&last.value, entry.value_type)
                        .and_then(|leaves| crate::schema::encode_text(&leaves, entry.value_type)),
                    false => encode(&last.value, entry.value_type, false).ok(),
                };
                let Some(raw) = raw else { continue };
                let fetched_at = last.fetched_wall.duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
                remembered.insert(snapshot_key(entry, bound), Remembered { raw, version: last.version, fetched_at });
            }
            remembered
        });
        if let Err(e) = result {
            tracing::warn!(target: "ssmconf", "Cannot write the snapshot {}: {e}", snapshot.path().display());
        }
    }

    /// Seeds last good values from the snapshot, at build. Never trusts it:
    /// an unusable file is ignored with a warning, each value is decoded and
    /// checked against its entry, and secure entries are never read.
    pub(crate) fn seed_from_snapshot(&self) {
        let Some(snapshot) = &self.snapshot else { return };
        let path = snapshot.path().display();
        let remembered = match snapshot.read() {
            Ok(remembered) => remembered,
            Err(why) => {
                tracing::warn!(target: "ssmconf", "Ignoring the snapshot {path}: {why}");
                return;
            }
        };
        let now = self.clock.now();
        let wall = self.clock.wall(now);
        let mut seeded = 0;
        for (idx, entry, bound) in self.entries() {
            let Some(last) = remembered.get(&snapshot_key(entry, bound)) else { continue };
            let key = self.key(idx);
            if entry.secure {
                tracing::warn!(target: "ssmconf", key, "Ignoring the snapshot's value for {key}: the entry is secure, and a snapshot never holds secure values");
                continue;
            }
            match entry.decode(&last.raw) {
                Ok(value) => {
                    let fetched_wall = last.fetched_wall();
                    let age = wall.duration_since(fetched_wall).unwrap_or_default();
                    self.cache.seed_stale(
                        idx,
                        Arc::new(Fetched {
                            value: Arc::new(value),
                            version: last.version,
                            fetched_at: now.checked_sub(age).unwrap_or(now),
                            fetched_wall,
                            memo: OnceLock::new(),
                            origin: None,
                            raw: None,
                        }),
                    );
                    seeded += 1;
                }
                Err(reason) => {
                    tracing::warn!(target: "ssmconf", key, "Ignoring the snapshot's value for {key}: {reason}");
                }
            }
        }
        tracing::info!(target: "ssmconf", count = seeded, "Loaded {seeded} last good values from the snapshot {path}");
    }
}

/// The name an entry's value is remembered under: its full SSM name, and
/// the member after `#` for a `json_key` entry (two entries may read two
/// members of one parameter; `#` is never part of an SSM name).
fn snapshot_key(entry: &crate::schema::Entry, bound: &super::Bound) -> String {
    match &entry.json_key {
        Some(member) => format!("{}#{member}", bound.name.full),
        None => bound.name.full.clone(),
    }
}

/// Ends a key's background refresh when the task ends, however it ends.
struct RefreshDone(Arc<Inner>, usize);

impl Drop for RefreshDone {
    fn drop(&mut self) {
        self.0.cache.end_refresh(self.1);
    }
}

/// Where background work runs when the read that starts it is not inside a
/// runtime (see [`ResolverBuilder::runtime`](super::ResolverBuilder::runtime)).
#[derive(Clone)]
pub(crate) enum Background {
    /// A handle, good in the process that gave it.
    Handle { handle: tokio::runtime::Handle, generation: u64 },
    /// Asked each time.
    Provider(Arc<dyn Fn() -> tokio::runtime::Handle + Send + Sync>),
}

impl Background {
    pub(crate) fn handle(handle: tokio::runtime::Handle) -> Self {
        Background::Handle { handle, generation: crate::fork::generation() }
    }

    /// The runtime to use now, in this process.
    fn get(&self) -> Option<tokio::runtime::Handle> {
        match self {
            // In a fork child the parent's workers are gone: a task spawned
            // there would never run (and its refresh flag never clear).
            Background::Handle { handle, generation } => {
                (*generation == crate::fork::generation()).then(|| handle.clone())
            }
            Background::Provider(runtime) => Some(runtime()),
        }
    }
}

impl std::fmt::Debug for Background {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Background::Handle { generation, .. } => f.debug_struct("Handle").field("generation", generation).finish(),
            Background::Provider(_) => f.write_str("Provider"),
        }
    }
}
