//! The [`Resolver`]: typed reads through the fallback chain, with a cache.

mod builder;
mod cache;
mod chain;
mod clock;
mod fetch;
#[cfg(all(test, unix))]
mod fork_tests;
mod open;
#[cfg(test)]
mod open_tests;
mod per_process;
mod refresh;
#[cfg(test)]
mod refresh_tests;
#[cfg(test)]
mod secrets_tests;
mod snapshot;
#[cfg(test)]
mod tests;
mod tier;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::de::DeserializeOwned;

pub use builder::ResolverBuilder;
#[cfg(feature = "shared")]
pub(crate) use cache::{Cached, Fetched, Outcome};
pub use chain::{Answer, Hit, HitStamp};
pub use clock::{Clock, ManualClock, SystemClock};
pub use open::{MEMO_SLOTS, OpenValue, ParameterOptions};

use crate::Value;
use crate::error::{Error, Result, Suggestion};
use crate::resolved::{Resolved, Stats};
use crate::schema::{Entry, FilledName, LeafKind, Schema, nearest};
use crate::store::ParameterStore;

/// Resolves typed values from a schema and a store.
///
/// `Clone + Send + Sync` and cheap to clone: clones share one cache and one
/// set of counters. Concurrent reads of one key that miss the cache wait
/// for one store request and share its outcome. A cache hit takes no lock
/// and allocates nothing but the value it returns.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use ssmconf::{MemoryStore, Resolver, Schema};
/// let schema = Schema::from_yaml_str(
///     "models:\n  basic:\n    ssm_param: /app/{stage}/models/basic\n    default: GPT_4O\n",
///     "inline.yml",
/// )?;
/// let store = MemoryStore::from_values([("/app/dev/models/basic", "CLAUDE_OPUS_4_5")]);
/// let resolver = Resolver::builder(schema).var("stage", "dev").store(store).build()?;
/// let model: String = resolver.require("models.basic").await?;
/// assert_eq!(model, "CLAUDE_OPUS_4_5");
/// # Ok::<(), ssmconf::Error>(()) }).unwrap();
/// ```
#[derive(Clone)]
pub struct Resolver {
    pub(crate) inner: Arc<Inner>,
}

impl std::fmt::Debug for Resolver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolver")
            .field("schema", &self.inner.schema.origin())
            .field("keys", &self.inner.schema.len())
            .field("store", &self.inner.store)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// An entry bound to the resolver's vars.
#[derive(Debug)]
pub(crate) struct Bound {
    pub(crate) name: FilledName,
    pub(crate) ttl: Duration,
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) hits: AtomicU64,
    pub(crate) misses: AtomicU64,
    pub(crate) ssm_calls: AtomicU64,
    pub(crate) ssm_errors: AtomicU64,
    pub(crate) stale_served: AtomicU64,
    pub(crate) defaults_served: AtomicU64,
    /// What [`Resolver::metrics_emf`] reported so far.
    pub(crate) emf_baseline: crate::metrics::Baseline,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) schema: Schema,
    pub(crate) store: Arc<dyn ParameterStore>,
    pub(crate) clock: Arc<dyn Clock>,
    /// Per schema leaf: `Some` for entries.
    pub(crate) bound: Vec<Option<Bound>>,
    pub(crate) cache: cache::Cache,
    pub(crate) stats: Counters,
    /// Plain SSM name to the leaves that read it (change events).
    pub(crate) by_name: HashMap<String, Vec<usize>>,
    /// This `Inner`, for background work that outlives a borrow.
    pub(crate) this: std::sync::Weak<Inner>,
    /// The last part of a TTL in which a hit refreshes in the background.
    pub(crate) refresh_ahead: f64,
    /// The most of a TTL taken off at random.
    pub(crate) ttl_jitter: f64,
    pub(crate) snapshot: Option<snapshot::Snapshot>,
    /// Where background work runs when no runtime is current.
    pub(crate) runtime: Option<refresh::Background>,
    /// Names and paths outside the schema.
    pub(crate) open: open::Open,
    /// The shared cache tier (`shared_cache`), if any.
    #[cfg(feature = "shared")]
    pub(crate) shared: Option<crate::shared::Shared>,
}

impl Inner {
    pub(crate) fn bound(&self, idx: usize) -> Option<&Bound> {
        self.bound.get(idx).and_then(Option::as_ref)
    }

    pub(crate) fn entry(&self, idx: usize) -> Option<&Entry> {
        match &self.schema.inner.leaves.get(idx)?.kind {
            LeafKind::Entry(e) => Some(e),
            LeafKind::Literal(_) => None,
        }
    }

    pub(crate) fn key(&self, idx: usize) -> &str {
        &self.schema.inner.leaves[idx].key
    }

    pub(crate) fn entries(&self) -> impl Iterator<Item = (usize, &Entry, &Bound)> {
        self.schema.inner.leaves.iter().enumerate().filter_map(|(i, leaf)| match (&leaf.kind, self.bound(i)) {
            (LeafKind::Entry(e), Some(b)) => Some((i, &**e, b)),
            _ => None,
        })
    }

    /// A cache hit of `idx` converted in place (no `Answer`, no reference
    /// count), or `None` when the rest of the chain must answer.
    #[inline]
    pub(crate) fn convert_hit<T: DeserializeOwned>(&self, idx: usize) -> Option<Result<T>> {
        self.with_hit(idx, |hit| self.convert(idx, hit.value()))
    }

    /// Deserializes a value into `T`; the error never shows a secure value.
    pub(crate) fn convert<T: DeserializeOwned>(&self, idx: usize, value: &Value) -> Result<T> {
        T::deserialize(value).map_err(|e| {
            let reason = if self.entry(idx).is_some_and(|e| e.secure) {
                format!("the value does not fit the requested type {}", std::any::type_name::<T>())
            } else {
                e.to_string()
            };
            Error::validation(self.key(idx), reason)
        })
    }
}

/// What [`Resolver::load_all`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoadReport {
    /// Entries whose value SSM gave.
    pub loaded: usize,
    /// Entries SSM does not have.
    pub missing: usize,
    /// Entries whose fetch failed (they fall back, see the warnings).
    pub failed: usize,
    /// Entries not fetched: fresh in the cache, or overridden by `env`.
    pub skipped: usize,
    /// Of the `loaded`, those the shared cache gave (another process
    /// fetched them).
    pub shared: usize,
}

impl Resolver {
    /// A builder for a resolver over `schema`.
    pub fn builder(schema: Schema) -> ResolverBuilder {
        ResolverBuilder::new(schema)
    }

    /// The schema.
    #[must_use]
    pub fn schema(&self) -> &Schema {
        &self.inner.schema
    }

    pub(crate) fn index(&self, key: &str) -> Result<usize> {
        self.inner.schema.inner.index.get(key).copied().ok_or_else(|| Error::UnknownKey {
            key: key.to_string(),
            suggestion: Suggestion(nearest(key, self.inner.schema.keys()).map(str::to_string)),
        })
    }

    /// The value of `key`, or `None` when every step of the chain is empty.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] for a key not in the schema;
    /// [`Error::Validation`] when the value does not fit `T`, or the entry's
    /// environment variable holds a bad value. A failing store is not an
    /// error: the chain falls back.
    pub async fn get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let idx = self.index(key)?;
        if let Some(converted) = self.inner.convert_hit(idx) {
            return converted.map(Some);
        }
        let answer = self.inner.answer(idx, false, None).await?;
        answer.value().map(|v| self.inner.convert(idx, v)).transpose()
    }

    /// The value of `key`, or `default` when every other step is empty.
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub async fn get_or<T: DeserializeOwned>(&self, key: &str, default: T) -> Result<T> {
        let idx = self.index(key)?;
        if let Some(converted) = self.inner.convert_hit(idx) {
            return converted;
        }
        let answer = self.inner.answer(idx, true, None).await?;
        match answer.value() {
            Some(v) => self.inner.convert(idx, v),
            None => Ok(default),
        }
    }

    /// The value of `key`, which must resolve.
    ///
    /// # Errors
    /// [`Error::NotFound`] naming the key, the SSM name and what each step
    /// found; otherwise as [`get`](Self::get).
    pub async fn require<T: DeserializeOwned>(&self, key: &str) -> Result<T> {
        let idx = self.index(key)?;
        if let Some(converted) = self.inner.convert_hit(idx) {
            return converted;
        }
        if let Some(v) = self.inner.answer(idx, false, None).await?.value() {
            return self.inner.convert(idx, v);
        }
        let mut steps = Vec::new();
        let again = self.inner.answer(idx, false, Some(&mut steps)).await?;
        match again.value() {
            Some(v) => self.inner.convert(idx, v),
            None => Err(Error::NotFound {
                key: key.to_string(),
                ssm_param: self.inner.bound(idx).map(|b| b.name.full.clone()),
                steps,
            }),
        }
    }

    /// The chain's answer for `key` as a shared value and its source, for
    /// bindings that convert values themselves. With `has_caller_default`,
    /// an empty chain answers [`Source::Caller`] with no value.
    ///
    /// # Errors
    /// As [`get`](Self::get), less the type conversion.
    pub async fn resolve(&self, key: &str, has_caller_default: bool) -> Result<Answer> {
        let idx = self.index(key)?;
        self.inner.answer(idx, has_caller_default, None).await
    }

    /// [`resolve`](Self::resolve) without I/O and without the async
    /// runtime: answers when the environment, a literal or a fresh cache
    /// entry settles the chain, and `Ok(None)` when the store must be asked.
    ///
    /// # Errors
    /// As [`resolve`](Self::resolve).
    pub fn resolve_now(&self, key: &str, has_caller_default: bool) -> Result<Option<Answer>> {
        let idx = self.index(key)?;
        self.inner.answer_now(idx, has_caller_default, &mut None)
    }

    /// The cache step alone, read in place: when `key` is an entry without
    /// an `env` variable and a fresh value from SSM is cached for it, counts
    /// a hit, calls `f` with that value while the cache lends it, and
    /// answers `Ok(Some(f(hit)))`. Otherwise `Ok(None)`, and
    /// [`resolve_now`](Self::resolve_now) or [`resolve`](Self::resolve) give
    /// the answer (they count it). The fast path of bindings: no reference
    /// count and no [`Answer`] (`cache_hit_with_hit` against
    /// `cache_hit_resolve_now` in BENCHMARKS.md).
    ///
    /// `f` runs while the cache lends the value: keep it short.
    ///
    /// # Errors
    /// [`Error::UnknownKey`] for a key not in the schema.
    #[inline]
    pub fn with_hit<R>(&self, key: &str, f: impl FnOnce(Hit<'_>) -> R) -> Result<Option<R>> {
        let idx = self.index(key)?;
        Ok(self.inner.with_hit(idx, f))
    }

    /// Whether the value of the hit that gave `stamp` ([`Hit::stamp`]) is
    /// still the fresh cached value of its key, proven with one atomic load
    /// and one read of the coarse clock: no key lookup, no lock, no
    /// reference count. Counts a hit when it answers `true`.
    ///
    /// `false` proves nothing: the value may have been replaced,
    /// invalidated or cleared, be less than a second from expiry or in its
    /// `refresh_ahead` window, or the resolver runs on an injected clock or
    /// off Linux (no coarse clock). Ask [`with_hit`](Self::with_hit) again.
    /// See [`HitStamp`] for an example.
    #[inline]
    #[must_use]
    pub fn still_fresh(&self, stamp: HitStamp) -> bool {
        let fresh = self.inner.cache.still_fresh(stamp.idx(), stamp.generation());
        if fresh {
            self.inner.stats.hits.fetch_add(1, Ordering::Relaxed);
        }
        fresh
    }

    /// [`get`](Self::get) without I/O: `Ok(None)` when the store must be
    /// asked, `Ok(Some(value))` otherwise (the value itself may be `None`).
    ///
    /// # Errors
    /// As [`get`](Self::get).
    pub fn get_now<T: DeserializeOwned>(&self, key: &str) -> Result<Option<Option<T>>> {
        let idx = self.index(key)?;
        if let Some(converted) = self.inner.convert_hit(idx) {
            return converted.map(|v| Some(Some(v)));
        }
        match self.inner.answer_now(idx, false, &mut None)? {
            None => Ok(None),
            Some(answer) => answer.value().map(|v| self.inner.convert(idx, v)).transpose().map(Some),
        }
    }

    /// The value of `key` with its provenance: source, SSM name, version,
    /// fetch and expiry times, the error behind a fallback, description,
    /// schema file and line, and every step of the chain. A secure value is
    /// masked as `***`.
    ///
    /// # Errors
    /// As [`get`](Self::get), less the type conversion.
    pub async fn explain(&self, key: &str) -> Result<Resolved> {
        let idx = self.index(key)?;
        let mut steps = Vec::new();
        let answer = self.inner.answer(idx, false, Some(&mut steps)).await?;
        let leaf = &self.inner.schema.inner.leaves[idx];
        let entry = self.inner.entry(idx);
        let secure = entry.is_some_and(|e| e.secure);
        let error = answer.cached.as_ref().and_then(|c| match &c.outcome {
            cache::Outcome::Failed(e) => Some(e.to_string()),
            _ => None,
        });
        Ok(Resolved {
            key: key.to_string(),
            value: answer.value().map(|v| if secure { Value::from("***") } else { v.clone() }),
            source: answer.source,
            ssm_param: self.inner.bound(idx).map(|b| b.name.full.clone()),
            version: answer.fetched().map(|f| f.version),
            fetched_at: answer.fetched().map(|f| f.fetched_wall),
            expires_at: answer
                .cached
                .as_ref()
                .filter(|c| !c.ttl.is_zero())
                .map(|c| c.fetched_wall + c.expires_at.saturating_duration_since(c.fetched_at)),
            error,
            description: entry.and_then(|e| e.description.clone()),
            json_key: entry.and_then(|e| e.json_key.clone()),
            file: Some(leaf.location.file.clone()),
            line: Some(leaf.location.line),
            secure,
            steps,
        })
    }

    /// The whole schema tree, resolved, into a serde type (groups become
    /// nested maps; keys with no value are left out, so `Option` and
    /// `#[serde(default)]` fields work). Fetches in batches first.
    ///
    /// # Errors
    /// [`Error::Validation`] when the tree does not fit `T`.
    pub async fn extract<T: DeserializeOwned>(&self) -> Result<T> {
        let tree = self.extract_value().await?;
        serde_json::from_value(tree).map_err(|e| {
            let mut reason = e.to_string();
            for (idx, entry, _) in self.inner.entries() {
                if entry.secure
                    && let Some(Some(v)) = self.inner.cache.stale(idx).map(|s| s.value.as_str().map(str::to_string))
                {
                    reason = reason.replace(&v, "***");
                }
            }
            Error::validation("(the whole tree)", reason)
        })
    }

    /// The whole schema tree, resolved, as nested JSON objects.
    ///
    /// # Errors
    /// As [`get`](Self::get), for any key.
    pub async fn extract_value(&self) -> Result<Value> {
        let (_, fetched) = self.load().await;
        let mut fetched: HashMap<usize, Arc<cache::Cached>> = fetched.into_iter().collect();
        let mut root = serde_json::Map::new();
        for idx in 0..self.inner.schema.len() {
            // Entries just loaded answer from that load, even with `ttl: 0`.
            let answer = match fetched.remove(&idx) {
                Some(cached) => {
                    self.inner.stats.misses.fetch_add(1, Ordering::Relaxed);
                    self.inner.after_fetch(idx, cached, false, &mut None)
                }
                None => self.inner.answer(idx, false, None).await?,
            };
            let Some(value) = answer.value() else { continue };
            let key = self.inner.key(idx);
            let mut node = &mut root;
            let mut parts = key.split('.').peekable();
            while let Some(part) = parts.next() {
                if parts.peek().is_none() {
                    node.insert(part.to_string(), value.clone());
                } else {
                    node = node
                        .entry(part.to_string())
                        .or_insert_with(|| Value::Object(serde_json::Map::new()))
                        .as_object_mut()
                        .expect("groups are objects");
                }
            }
        }
        Ok(Value::Object(root))
    }

    /// Fetches every entry that is not fresh in the cache and not overridden
    /// by its environment variable, in as few store requests as the store
    /// allows (10 names per `GetParameters`), a few requests at a time.
    ///
    /// A failing store is not an error here: each failed entry is logged and
    /// counted, and falls back on every read.
    ///
    /// # Errors
    /// None today; the `Result` leaves room for stores that can refuse.
    pub async fn load_all(&self) -> Result<LoadReport> {
        Ok(self.load().await.0)
    }

    async fn load(&self) -> (LoadReport, Vec<(usize, Arc<cache::Cached>)>) {
        let now = self.inner.clock.now();
        let mut report = LoadReport::default();
        let mut need = Vec::new();
        for (idx, entry, _) in self.inner.entries() {
            let overridden = entry.env.as_ref().is_some_and(|var| std::env::var_os(var).is_some());
            if overridden || self.inner.cache.fresh(idx, now).is_some() {
                report.skipped += 1;
            } else {
                need.push(idx);
            }
        }
        let fetched = self.inner.fetch_all(&need).await;
        report.skipped += need.len() - fetched.len();
        for (_, cached) in &fetched {
            match &cached.outcome {
                cache::Outcome::Found(f) => {
                    report.loaded += 1;
                    report.shared += usize::from(f.origin.is_some());
                }
                cache::Outcome::Missing => report.missing += 1,
                cache::Outcome::Failed(_) => report.failed += 1,
            }
        }
        (report, fetched)
    }

    /// Drops `key` from the cache: the next read asks the store. Its last
    /// good value is kept for the stale step. Answers false for a key that
    /// is not an entry of the schema (see [`try_invalidate`](Self::try_invalidate)).
    pub fn invalidate(&self, key: &str) -> bool {
        self.try_invalidate(key).unwrap_or(false)
    }

    /// [`invalidate`](Self::invalidate), telling an unknown key apart:
    /// `Ok(false)` for a literal (never cached).
    ///
    /// # Errors
    /// [`Error::UnknownKey`] with the nearest known key.
    pub fn try_invalidate(&self, key: &str) -> Result<bool> {
        let idx = self.index(key)?;
        if self.inner.bound(idx).is_none() {
            return Ok(false);
        }
        self.inner.invalidate_everywhere(&[idx]);
        Ok(true)
    }

    /// Writes the snapshot now, in this thread (see
    /// [`ResolverBuilder::snapshot`]). Writes after fetches happen in the
    /// background; call this before a process ends, or in tests. Does
    /// nothing without a snapshot; a failed write is logged.
    pub fn flush_snapshot(&self) {
        self.inner.write_snapshot();
    }

    /// Drops every key from the cache (last good values are kept), and
    /// their entries in the shared cache.
    pub fn clear_cache(&self) {
        self.inner.cache.clear();
        #[cfg(feature = "shared")]
        self.inner.drop_shared(self.inner.entries().map(|(idx, _, _)| idx).collect());
    }

    /// The counters, shared by every clone of this resolver.
    #[must_use]
    pub fn stats(&self) -> Stats {
        let c = &self.inner.stats;
        Stats {
            hits: c.hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            ssm_calls: c.ssm_calls.load(Ordering::Relaxed),
            ssm_errors: c.ssm_errors.load(Ordering::Relaxed),
            stale_served: c.stale_served.load(Ordering::Relaxed),
            defaults_served: c.defaults_served.load(Ordering::Relaxed),
            shared_hits: self.inner.shared_counts().0,
            shared_errors: self.inner.shared_counts().1,
        }
    }

    /// The SSM name (placeholders filled) of an entry.
    ///
    /// # Errors
    /// [`Error::UnknownKey`]; [`Error::Validation`] for a literal.
    pub fn ssm_name(&self, key: &str) -> Result<&str> {
        let idx = self.index(key)?;
        self.inner
            .bound(idx)
            .map(|b| b.name.full.as_str())
            .ok_or_else(|| Error::validation(key, "a literal in the schema has no SSM name"))
    }
}
