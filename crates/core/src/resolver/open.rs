//! Names outside the schema: [`Resolver::parameter`],
//! [`Resolver::parameters_by_name`] and [`Resolver::parameters_by_path`].
//!
//! The schema's cache has one fixed slot per entry; these names form an open
//! key space, so they live in a `moka` cache bounded in size (least recently
//! used names are evicted) with a per-entry expiry: a name is kept for its
//! TTL plus a bounded stale window (`ResolverBuilder::open_stale_keep`), so
//! that a refresh that fails serves the last value for a while.
//!
//! Each cached name is a [`Slot`]: the last outcome and an async lock that
//! makes one request per name at a time (single flight). A reader that
//! waited on the lock while another fetched takes that fetch's outcome, even
//! with `force_fetch`. Every request goes through `Inner::call_store`, so
//! [`Resolver::stats`] counts them; hits and misses are counted too.

use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arc_swap::ArcSwapOption;
use futures_util::StreamExt;

use super::clock::Coarse;
use super::{Inner, Resolver};
use crate::error::{Error, Result, StoreError};
use crate::schema::{split_selector, validate_name};
use crate::store::Parameter;

/// Names kept by default (`ResolverBuilder::open_cache_capacity`).
pub(crate) const DEFAULT_CAPACITY: u64 = 10_000;
/// How long a value is kept after its TTL for stale-on-error by default.
pub(crate) const DEFAULT_STALE_KEEP: Duration = Duration::from_secs(3600);
/// Memo cells of an [`OpenValue`], for bindings.
pub const MEMO_SLOTS: usize = 4;
/// Batches of one `parameters_by_name` in flight at once.
const BATCHES_IN_FLIGHT: usize = 4;

/// Options of one read of a name outside the schema.
///
/// ```
/// use std::time::Duration;
/// use ssmconf::ParameterOptions;
/// let options = ParameterOptions::default().max_age(Duration::from_secs(60)).decrypt(false);
/// assert!(!options.force_fetch);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct ParameterOptions {
    /// How old a cached value may be (`None`: the resolver's TTL).
    /// `Duration::ZERO` always asks the store (single flight still applies).
    pub max_age: Option<Duration>,
    /// Ask the store even when the cached value is fresh. Readers that wait
    /// for a request already in flight share its answer.
    pub force_fetch: bool,
    /// Decrypt a `SecureString` (the default). Without, the store answers
    /// what SSM holds (the ciphertext); see
    /// [`ParameterStore::get_parameters_encrypted`](crate::ParameterStore::get_parameters_encrypted).
    pub decrypt: bool,
}

impl Default for ParameterOptions {
    fn default() -> Self {
        ParameterOptions { max_age: None, force_fetch: false, decrypt: true }
    }
}

impl ParameterOptions {
    /// Sets [`max_age`](Self::max_age).
    #[must_use]
    pub fn max_age(mut self, max_age: Duration) -> Self {
        self.max_age = Some(max_age);
        self
    }

    /// Sets [`force_fetch`](Self::force_fetch).
    #[must_use]
    pub fn force_fetch(mut self, force: bool) -> Self {
        self.force_fetch = force;
        self
    }

    /// Sets [`decrypt`](Self::decrypt).
    #[must_use]
    pub fn decrypt(mut self, decrypt: bool) -> Self {
        self.decrypt = decrypt;
        self
    }
}

/// What the store gave for a name or a path.
#[derive(Debug)]
enum Data {
    One(Option<Parameter>),
    Many(Vec<Parameter>),
}

/// A value read for a name or a path outside the schema, as cached: cheap
/// to clone (shared). `Debug` masks secure values.
#[derive(Clone)]
pub struct OpenValue(Arc<Good>);

struct Good {
    data: Data,
    fetched_at: Instant,
    fetched_wall: std::time::SystemTime,
    memo: [OnceLock<Arc<dyn Any + Send + Sync>>; MEMO_SLOTS],
}

impl std::fmt::Debug for OpenValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenValue").field("data", &self.0.data).field("fetched_at", &self.0.fetched_wall).finish()
    }
}

impl OpenValue {
    /// The parameter of a name (`None`: it does not exist). `None` for a
    /// path's value too.
    #[must_use]
    pub fn parameter(&self) -> Option<&Parameter> {
        match &self.0.data {
            Data::One(p) => p.as_ref(),
            Data::Many(_) => None,
        }
    }

    /// The parameters of a path, in the store's order (a name's value: the
    /// one parameter, or none).
    #[must_use]
    pub fn parameters(&self) -> &[Parameter] {
        match &self.0.data {
            Data::One(p) => p.as_slice(),
            Data::Many(ps) => ps,
        }
    }

    /// When the store gave this value.
    #[must_use]
    pub fn fetched_at(&self) -> std::time::SystemTime {
        self.0.fetched_wall
    }

    /// A cell that lives as long as this value (until the next fetch of its
    /// name), for a binding to keep a conversion of it: slot `i` of
    /// [`MEMO_SLOTS`]. Panics when `i` is out of range.
    #[must_use]
    pub fn memo(&self, i: usize) -> &OnceLock<Arc<dyn Any + Send + Sync>> {
        &self.0.memo[i]
    }
}

/// The last outcome of a name: when the store was last asked, the last good
/// value, and the error of that ask if it failed.
struct State {
    checked_at: Instant,
    /// The coarse clock when the store was asked (read before
    /// `checked_at`, so never after it); 0 without a coarse clock.
    checked_coarse: u64,
    good: Option<OpenValue>,
    error: Option<StoreError>,
}

/// One cached name or path.
pub(crate) struct Slot {
    state: ArcSwapOption<State>,
    /// Fetches completed, read before waiting for the lock.
    completed: AtomicU64,
    flight: Arc<tokio::sync::Mutex<()>>,
    /// How long moka keeps this slot after its last fetch, in nanoseconds.
    keep_nanos: AtomicU64,
}

impl Slot {
    fn new(keep: Duration) -> Self {
        Slot {
            state: ArcSwapOption::empty(),
            completed: AtomicU64::new(0),
            flight: Arc::new(tokio::sync::Mutex::new(())),
            keep_nanos: AtomicU64::new(u64::try_from(keep.as_nanos()).unwrap_or(u64::MAX)),
        }
    }

    fn keep(&self) -> Duration {
        Duration::from_nanos(self.keep_nanos.load(Ordering::Relaxed))
    }
}

struct KeepFor;

impl<K> moka::Expiry<K, Arc<Slot>> for KeepFor {
    fn expire_after_create(&self, _: &K, slot: &Arc<Slot>, _: Instant) -> Option<Duration> {
        Some(slot.keep())
    }

    fn expire_after_update(&self, _: &K, slot: &Arc<Slot>, _: Instant, _: Option<Duration>) -> Option<Duration> {
        Some(slot.keep())
    }
}

/// The key of a path: (path, recursive, decrypt).
type PathKey = (String, bool, bool);

/// Slots by key, for hits: `moka` owns the slots (its size bound and
/// expiry decide which stay), but a lookup in it costs about 200 ns (its
/// hash, epoch guard and read log), so reads find slots in this index
/// (an uncontended read lock and an Fx hash), which moka's eviction
/// listener keeps in step. moka sees a name on each fetch (an insert), so
/// its recency is by fetch, not by hit.
type Front<K> = Arc<std::sync::RwLock<rustc_hash::FxHashMap<K, Arc<Slot>>>>;

/// One cache: names with decryption, names without, or paths.
pub(crate) struct Tier<K> {
    owner: moka::sync::Cache<K, Arc<Slot>>,
    front: Front<K>,
}

impl<K> Tier<K>
where
    K: std::hash::Hash + Eq + Clone + Send + Sync + 'static,
{
    fn new(capacity: u64) -> Self {
        let front: Front<K> = Arc::default();
        let index = front.clone();
        let owner = moka::sync::Cache::builder()
            .max_capacity(capacity)
            .expire_after(KeepFor)
            .eviction_listener(move |key: Arc<K>, slot: Arc<Slot>, cause| {
                if cause == moka::notification::RemovalCause::Replaced {
                    return;
                }
                let mut front = index.write().unwrap_or_else(std::sync::PoisonError::into_inner);
                if front.get(&*key).is_some_and(|s| Arc::ptr_eq(s, &slot)) {
                    front.remove(&*key);
                }
            })
            .build();
        Tier { owner, front }
    }

    /// The slot of `key`, if it has one.
    #[inline]
    fn get<Q>(&self, key: &Q) -> Option<Arc<Slot>>
    where
        K: std::borrow::Borrow<Q>,
        Q: std::hash::Hash + Eq + ?Sized,
    {
        self.front.read().unwrap_or_else(std::sync::PoisonError::into_inner).get(key).cloned()
    }

    /// The slot of `key`, made when it has none (threads that race make one).
    fn get_or_make(&self, key: &K, keep: Duration) -> Arc<Slot> {
        if let Some(slot) = self.get(key) {
            return slot;
        }
        let slot = self.owner.get_with_by_ref(key, || Arc::new(Slot::new(keep)));
        let mut front = self.front.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        front.entry(key.clone()).or_insert(slot).clone()
    }

    /// After a fetch: moka computes the slot's expiry again (its keep).
    fn touch(&self, key: &K, slot: &Arc<Slot>) {
        self.owner.insert(key.clone(), slot.clone());
        let mut front = self.front.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        front.entry(key.clone()).or_insert_with(|| slot.clone());
    }

    fn invalidate(&self, key: &K) {
        self.front.write().unwrap_or_else(std::sync::PoisonError::into_inner).remove(key);
        self.owner.invalidate(key);
    }

    fn clear(&self) {
        self.front.write().unwrap_or_else(std::sync::PoisonError::into_inner).clear();
        self.owner.invalidate_all();
    }

    #[cfg(test)]
    fn len(&self) -> (u64, usize) {
        self.owner.run_pending_tasks();
        (self.owner.entry_count(), self.front.read().map_or(0, |f| f.len()))
    }
}

/// The caches of names and paths outside the schema.
pub(crate) struct Open {
    decrypted: Tier<String>,
    plain: Tier<String>,
    paths: Tier<PathKey>,
    default_ttl: Duration,
    stale_keep: Duration,
    /// The coarse clock, when the resolver runs on the system clock.
    coarse: Option<Coarse>,
}

impl std::fmt::Debug for Open {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Open")
            .field("names", &(self.decrypted.owner.entry_count() + self.plain.owner.entry_count()))
            .field("paths", &self.paths.owner.entry_count())
            .finish_non_exhaustive()
    }
}

impl Open {
    pub(crate) fn new(capacity: u64, default_ttl: Duration, stale_keep: Duration, system_clock: bool) -> Self {
        Open {
            decrypted: Tier::new(capacity),
            plain: Tier::new(capacity),
            paths: Tier::new(capacity.div_ceil(10).max(16)),
            default_ttl,
            stale_keep,
            coarse: if system_clock { Coarse::available() } else { None },
        }
    }

    fn names(&self, decrypt: bool) -> &Tier<String> {
        if decrypt { &self.decrypted } else { &self.plain }
    }

    pub(crate) fn clear(&self) {
        self.decrypted.clear();
        self.plain.clear();
        self.paths.clear();
    }
}

/// [`Coarse::LAG`] in nanoseconds.
const LAG_NANOS: u64 = Coarse::LAG.as_nanos() as u64;

/// How a read ended, before it becomes a `Result`.
enum Read {
    Fresh(OpenValue),
    Stale(OpenValue),
    Failed(StoreError),
}

impl Inner {
    fn max_age(&self, options: &ParameterOptions) -> Duration {
        options.max_age.unwrap_or(self.open.default_ttl)
    }

    /// The state of `slot` when it answers a read made now without the
    /// store. The coarse clock proves most hits fresh (a coarse reading is
    /// behind the precise clock by less than `Coarse::LAG`, and was never
    /// ahead of it at the fetch); near the end of `max_age`, the precise
    /// clock decides.
    #[inline]
    fn settled(&self, slot: &Slot, max_age: Duration) -> Option<Read> {
        let state = slot.state.load();
        let state = state.as_ref()?;
        self.fresh(state, max_age).then(|| read_of(state))
    }

    #[inline]
    fn fresh(&self, state: &State, max_age: Duration) -> bool {
        let certain = self.open.coarse.is_some_and(|c| {
            let age_at_most = c.now().saturating_add(LAG_NANOS).saturating_sub(state.checked_coarse);
            u128::from(age_at_most) < max_age.as_nanos()
        });
        certain || self.clock.now().saturating_duration_since(state.checked_at) < max_age
    }

    fn finish(&self, what: &str, read: Read, counted_hit: bool) -> Result<OpenValue> {
        if counted_hit {
            self.stats.hits.fetch_add(1, Ordering::Relaxed);
        }
        match read {
            Read::Fresh(v) => Ok(v),
            Read::Stale(v) => {
                self.stats.stale_served.fetch_add(1, Ordering::Relaxed);
                Ok(v)
            }
            Read::Failed(source) => Err(Error::Store { what: what.to_string(), source }),
        }
    }

    /// Records the outcome of one fetch of `slot` (under its flight lock).
    fn record(&self, what: &str, slot: &Slot, found: Result<Data, StoreError>, max_age: Duration) {
        let checked_coarse = self.open.coarse.map_or(0, Coarse::now);
        let now = self.clock.now();
        let previous = slot.state.load_full();
        // A value older than its TTL and the stale keep is not served (moka
        // evicts by its own clock; this holds on an injected one too).
        let keep = max_age.saturating_add(self.open.stale_keep);
        let last_good = previous
            .as_ref()
            .and_then(|s| s.good.clone())
            .filter(|g| now.saturating_duration_since(g.0.fetched_at) <= keep);
        let state = match found {
            Ok(data) => State {
                checked_at: now,
                checked_coarse,
                good: Some(OpenValue(Arc::new(Good {
                    data,
                    fetched_at: now,
                    fetched_wall: self.clock.wall(now),
                    memo: Default::default(),
                }))),
                error: None,
            },
            Err(error) => {
                match &last_good {
                    // The error's text holds no value (a store never puts one there).
                    Some(_) => {
                        tracing::warn!(target: "ssmconf", name = %what, "Using the last value of {what} (stale): {error}")
                    }
                    None => {
                        tracing::warn!(target: "ssmconf", name = %what, "No value for {what}: Parameter Store failed: {error}")
                    }
                }
                State { checked_at: now, checked_coarse, good: last_good, error: Some(error) }
            }
        };
        slot.state.store(Some(Arc::new(state)));
        slot.keep_nanos.store(u64::try_from(keep.as_nanos()).unwrap_or(u64::MAX), Ordering::Relaxed);
        slot.completed.fetch_add(1, Ordering::Release);
    }

    /// One name through the cache, single flight and the store.
    async fn read_name(&self, name: &str, options: &ParameterOptions) -> Result<OpenValue> {
        let max_age = self.max_age(options);
        let cache = self.open.names(options.decrypt);
        if !options.force_fetch
            && let Some(slot) = cache.get(name)
            && let Some(read) = self.settled(&slot, max_age)
        {
            return self.finish(name, read, true);
        }
        check_name(name)?;
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let key = name.to_string();
        let slot = cache.get_or_make(&key, max_age.saturating_add(self.open.stale_keep));
        let arrived = slot.completed.load(Ordering::Acquire);
        let _flight = slot.flight.lock().await;
        if slot.completed.load(Ordering::Acquire) > arrived
            && let Some(state) = slot.state.load_full()
        {
            return self.finish(name, read_of(&state), false);
        }
        if !options.force_fetch
            && let Some(read) = self.settled(&slot, max_age)
        {
            return self.finish(name, read, false);
        }
        let names = [name.to_string()];
        let found = self.read_open(&names, options.decrypt).await.map(|mut ps| Data::One(ps.pop().flatten()));
        self.record(name, &slot, found, max_age);
        // Insert again: moka computes the expiry from the new keep.
        cache.touch(&key, &slot);
        let state = slot.state.load_full().expect("just recorded");
        self.finish(name, read_of(&state), false)
    }

    /// One request for at most a batch of names (a Secrets Manager
    /// reference alone, by `GetParameter`).
    async fn read_open(&self, names: &[String], decrypt: bool) -> Result<Vec<Option<Parameter>>, StoreError> {
        if names.len() == 1 && crate::schema::is_secret_reference(&names[0]) {
            return Ok(vec![self.call_store(self.store.get_parameter(&names[0])).await?]);
        }
        if decrypt {
            self.call_store(self.store.get_parameters(names)).await
        } else {
            self.call_store(self.store.get_parameters_encrypted(names)).await
        }
    }

    /// One batch of `parameters_by_name`: the slots are locked in name
    /// order (every batch holds distinct names and locks in that order, so
    /// two batches never wait on each other in a cycle).
    async fn read_batch(
        &self,
        mut batch: Vec<(String, Arc<Slot>, u64)>,
        options: &ParameterOptions,
    ) -> Vec<(String, Read)> {
        batch.sort_by(|a, b| a.0.cmp(&b.0));
        let max_age = self.max_age(options);
        let mut guards = Vec::with_capacity(batch.len());
        for (_, slot, _) in &batch {
            guards.push(slot.flight.clone().lock_owned().await);
        }
        let mut out = Vec::with_capacity(batch.len());
        let mut need = Vec::new();
        for (name, slot, arrived) in batch {
            let settled = if slot.completed.load(Ordering::Acquire) > arrived {
                slot.state.load_full().map(|s| read_of(&s))
            } else if options.force_fetch {
                None
            } else {
                self.settled(&slot, max_age)
            };
            match settled {
                Some(read) => out.push((name, read)),
                None => need.push((name, slot)),
            }
        }
        if !need.is_empty() {
            let names: Vec<String> = need.iter().map(|(n, _)| n.clone()).collect();
            let found = self.read_open(&names, options.decrypt).await;
            let cache = self.open.names(options.decrypt);
            for (i, (name, slot)) in need.into_iter().enumerate() {
                let one = match &found {
                    Ok(ps) => Ok(Data::One(ps.get(i).cloned().flatten())),
                    Err(e) => Err(e.clone()),
                };
                self.record(&name, &slot, one, max_age);
                cache.touch(&name, &slot);
                let state = slot.state.load_full().expect("just recorded");
                out.push((name, read_of(&state)));
            }
        }
        drop(guards);
        out
    }

    async fn read_path(&self, path: &str, recursive: bool, options: &ParameterOptions) -> Result<OpenValue> {
        let max_age = self.max_age(options);
        let key: PathKey = (path.to_string(), recursive, options.decrypt);
        if !options.force_fetch
            && let Some(slot) = self.open.paths.get(&key)
            && let Some(read) = self.settled(&slot, max_age)
        {
            return self.finish(path, read, true);
        }
        check_path(path)?;
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let slot = self.open.paths.get_or_make(&key, max_age.saturating_add(self.open.stale_keep));
        let arrived = slot.completed.load(Ordering::Acquire);
        let _flight = slot.flight.lock().await;
        if slot.completed.load(Ordering::Acquire) > arrived
            && let Some(state) = slot.state.load_full()
        {
            return self.finish(path, read_of(&state), false);
        }
        if !options.force_fetch
            && let Some(read) = self.settled(&slot, max_age)
        {
            return self.finish(path, read, false);
        }
        let found = self.list_path(path, recursive, options.decrypt).await.map(Data::Many);
        self.record(path, &slot, found, max_age);
        self.open.paths.touch(&key, &slot);
        let state = slot.state.load_full().expect("just recorded");
        self.finish(path, read_of(&state), false)
    }

    /// Every page under `path`, each page one counted request.
    async fn list_path(&self, path: &str, recursive: bool, decrypt: bool) -> Result<Vec<Parameter>, StoreError> {
        let mut found = Vec::new();
        let mut next_token: Option<String> = None;
        loop {
            let token = next_token.as_deref();
            let page = if decrypt {
                self.call_store(self.store.parameters_by_path_page(path, recursive, token)).await?
            } else {
                self.call_store(self.store.parameters_by_path_page_encrypted(path, recursive, token)).await?
            };
            found.extend(page.parameters);
            match page.next_token {
                Some(next) => next_token = Some(next),
                None => return Ok(found),
            }
        }
    }
}

fn read_of(state: &State) -> Read {
    match (&state.good, &state.error) {
        (Some(v), None) => Read::Fresh(v.clone()),
        (Some(v), Some(_)) => Read::Stale(v.clone()),
        (None, Some(e)) => Read::Failed(e.clone()),
        (None, None) => unreachable!("a state holds a value or an error"),
    }
}

/// SSM's rules for a name (an optional `:version` or `:label` selector
/// allowed).
fn check_name(name: &str) -> Result<()> {
    let (plain, selector) = split_selector(name);
    let invalid = |reason: String| Error::InvalidName { name: name.to_string(), reason };
    if selector.is_some_and(str::is_empty) {
        return Err(invalid("the selector after `:` is empty; write `name:3` or `name:label`".into()));
    }
    validate_name(plain).map_err(invalid)
}

/// A path: `/` alone, or a hierarchical name with or without a trailing `/`.
fn check_path(path: &str) -> Result<()> {
    if path == "/" {
        return Ok(());
    }
    let trimmed = path.strip_suffix('/').unwrap_or(path);
    if !trimmed.starts_with('/') {
        return Err(Error::InvalidName {
            name: path.to_string(),
            reason: "a path starts with `/`, such as `/app/dev/flags`".into(),
        });
    }
    validate_name(trimmed).map_err(|reason| Error::InvalidName { name: path.to_string(), reason })
}

impl Resolver {
    /// The parameter `name` (no schema entry needed), read through the
    /// resolver's store and counters, cached for the resolver's TTL.
    /// `Ok(None)` when it does not exist (cached as such for the TTL).
    ///
    /// Concurrent readers of a name that is not fresh send one request. A
    /// failed refresh answers the last value (stale, with a warning) for up
    /// to `open_stale_keep` after it expired.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, Resolver, Schema};
    /// let store = MemoryStore::from_values([("/app/dev/flags/beta", "on")]);
    /// let resolver = Resolver::builder(Schema::empty()).store(store).build()?;
    /// let beta = resolver.parameter("/app/dev/flags/beta").await?;
    /// assert_eq!(beta.map(|p| p.value).as_deref(), Some("on"));
    /// assert!(resolver.parameter("/app/dev/flags/none").await?.is_none());
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a name SSM would refuse; [`Error::Store`]
    /// when the store failed and no earlier value is kept.
    pub async fn parameter(&self, name: &str) -> Result<Option<Parameter>> {
        let value = self.inner.read_name(name, &ParameterOptions::default()).await?;
        Ok(value.parameter().cloned())
    }

    /// [`parameter`](Self::parameter) with options, answering the shared
    /// cached value.
    ///
    /// # Errors
    /// As [`parameter`](Self::parameter).
    pub async fn parameter_with(&self, name: &str, options: &ParameterOptions) -> Result<OpenValue> {
        self.inner.read_name(name, options).await
    }

    /// The cache alone, without I/O: the value of `name` when it is fresh
    /// for `options` (counted as a hit, served stale when the last refresh
    /// failed), else `None` (nothing counted). Never answers for
    /// `force_fetch`. The fast path of bindings.
    #[must_use]
    pub fn parameter_now(&self, name: &str, options: &ParameterOptions) -> Option<Result<OpenValue>> {
        if options.force_fetch {
            return None;
        }
        let slot = self.inner.open.names(options.decrypt).get(name)?;
        let read = self.inner.settled(&slot, self.inner.max_age(options))?;
        Some(self.inner.finish(name, read, true))
    }

    /// [`parameter_now`](Self::parameter_now) with the value lent to `f`
    /// instead of shared: no reference count taken. `f` runs with no lock
    /// held. The fast path of bindings.
    ///
    /// # Errors
    /// [`Error::Store`] when the last fetch failed and no value is kept.
    #[inline]
    pub fn with_parameter_hit<R>(
        &self,
        name: &str,
        options: &ParameterOptions,
        f: impl FnOnce(&OpenValue) -> R,
    ) -> Option<Result<R>> {
        if options.force_fetch {
            return None;
        }
        let inner = &*self.inner;
        let slot = inner.open.names(options.decrypt).get(name)?;
        let max_age = inner.max_age(options);
        let state = slot.state.load();
        let state = state.as_ref()?;
        if !inner.fresh(state, max_age) {
            return None;
        }
        inner.stats.hits.fetch_add(1, Ordering::Relaxed);
        match (&state.good, &state.error) {
            (Some(v), error) => {
                if error.is_some() {
                    inner.stats.stale_served.fetch_add(1, Ordering::Relaxed);
                }
                Some(Ok(f(v)))
            }
            (None, Some(e)) => Some(Err(Error::Store { what: name.to_string(), source: e.clone() })),
            (None, None) => None,
        }
    }

    /// Many names at once, in `GetParameters` requests of at most the
    /// store's batch (10 for SSM), a few at a time: names fresh in the cache
    /// are not asked, and every batch's answers are returned. One result
    /// per distinct name, in the order given.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, ParameterOptions, Resolver, Schema};
    /// let store = MemoryStore::from_values((0..25).map(|i| (format!("/n/{i}"), i.to_string())));
    /// let resolver = Resolver::builder(Schema::empty()).store(store).build()?;
    /// let names: Vec<String> = (0..25).map(|i| format!("/n/{i}")).collect();
    /// let found = resolver.parameters_by_name(&names, &ParameterOptions::default()).await;
    /// assert_eq!(found.len(), 25);
    /// assert_eq!(resolver.stats().ssm_calls, 3);
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    pub async fn parameters_by_name(
        &self,
        names: &[String],
        options: &ParameterOptions,
    ) -> Vec<(String, Result<OpenValue>)> {
        let inner = &*self.inner;
        let mut distinct: Vec<&String> = Vec::with_capacity(names.len());
        let mut seen = std::collections::HashSet::with_capacity(names.len());
        for n in names {
            if seen.insert(n.as_str()) {
                distinct.push(n);
            }
        }
        let mut answers: std::collections::HashMap<String, Result<OpenValue>> =
            std::collections::HashMap::with_capacity(distinct.len());
        let mut plain = Vec::new();
        let mut secrets = Vec::new();
        for &name in &distinct {
            if let Some(hit) = self.parameter_now(name, options) {
                answers.insert(name.clone(), hit);
                continue;
            }
            if let Err(e) = check_name(name) {
                answers.insert(name.clone(), Err(e));
                continue;
            }
            inner.stats.misses.fetch_add(1, Ordering::Relaxed);
            let max_age = inner.max_age(options);
            let slot =
                inner.open.names(options.decrypt).get_or_make(name, max_age.saturating_add(inner.open.stale_keep));
            let arrived = slot.completed.load(Ordering::Acquire);
            let item = (name.clone(), slot, arrived);
            if crate::schema::is_secret_reference(name) { secrets.push(vec![item]) } else { plain.push(item) }
        }
        // Two selectors of one plain name never share a request (some
        // servers answer both under the plain name).
        let mut batches: Vec<Vec<(String, Arc<Slot>, u64)>> = Vec::new();
        let max = inner.store.max_batch().max(1);
        for item in plain {
            let base = split_selector(&item.0).0.to_string();
            let home = batches.iter().position(|b| b.len() < max && !b.iter().any(|o| split_selector(&o.0).0 == base));
            match home {
                Some(i) => batches[i].push(item),
                None => batches.push(vec![item]),
            }
        }
        batches.extend(secrets);
        let reads: Vec<Vec<(String, Read)>> = futures_util::stream::iter(batches)
            .map(|batch| inner.read_batch(batch, options))
            .buffer_unordered(BATCHES_IN_FLIGHT)
            .collect()
            .await;
        for (name, read) in reads.into_iter().flatten() {
            let result = inner.finish(&name, read, false);
            answers.insert(name, result);
        }
        distinct
            .into_iter()
            .map(|n| {
                let result = answers.remove(n.as_str()).expect("every name answered");
                (n.clone(), result)
            })
            .collect()
    }

    /// Every parameter under `path` (recursively), read with every page of
    /// `GetParametersByPath` (each page one request in
    /// [`stats`](Self::stats)) and cached as one unit for the resolver's TTL.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, Resolver, Schema};
    /// let store = MemoryStore::from_values([("/app/flags/a", "1"), ("/app/flags/deep/b", "2"), ("/other", "3")]);
    /// let resolver = Resolver::builder(Schema::empty()).store(store).build()?;
    /// let flags = resolver.parameters_by_path("/app/flags").await?;
    /// let names: Vec<&str> = flags.iter().map(|p| p.name.as_str()).collect();
    /// assert_eq!(names, ["/app/flags/a", "/app/flags/deep/b"]);
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::InvalidName`] for a path SSM would refuse; [`Error::Store`]
    /// when a page failed and no earlier listing is kept.
    pub async fn parameters_by_path(&self, path: &str) -> Result<Vec<Parameter>> {
        let value = self.inner.read_path(path, true, &ParameterOptions::default()).await?;
        Ok(value.parameters().to_vec())
    }

    /// [`parameters_by_path`](Self::parameters_by_path) with options and
    /// `recursive` (false: only the level just below `path`), answering the
    /// shared cached value.
    ///
    /// # Errors
    /// As [`parameters_by_path`](Self::parameters_by_path).
    pub async fn parameters_by_path_with(
        &self,
        path: &str,
        recursive: bool,
        options: &ParameterOptions,
    ) -> Result<OpenValue> {
        self.inner.read_path(path, recursive, options).await
    }

    /// [`parameters_by_path_with`](Self::parameters_by_path_with) from the
    /// cache alone, as [`parameter_now`](Self::parameter_now) is for a name.
    #[must_use]
    pub fn parameters_by_path_now(
        &self,
        path: &str,
        recursive: bool,
        options: &ParameterOptions,
    ) -> Option<Result<OpenValue>> {
        if options.force_fetch {
            return None;
        }
        let key: PathKey = (path.to_string(), recursive, options.decrypt);
        let slot = self.inner.open.paths.get(&key)?;
        let read = self.inner.settled(&slot, self.inner.max_age(options))?;
        Some(self.inner.finish(path, read, true))
    }

    /// Drops `name` (read with or without decryption) from the cache, with
    /// its last value: the next read asks the store. For a process that
    /// has just written it.
    pub fn forget_parameter(&self, name: &str) {
        let name = name.to_string();
        self.inner.open.decrypted.invalidate(&name);
        self.inner.open.plain.invalidate(&name);
    }

    /// Drops every name and path outside the schema from the cache (their
    /// last values too).
    pub fn clear_parameters(&self) {
        self.inner.open.clear();
    }
}

#[cfg(test)]
impl Open {
    /// (owned by moka, in the index) of the names' caches.
    pub(crate) fn names_len(&self) -> (u64, usize) {
        let (a, b) = self.decrypted.len();
        let (c, d) = self.plain.len();
        (a + c, b + d)
    }
}
