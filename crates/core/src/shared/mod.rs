//! The shared cache tier: a fleet's processes share what they fetch from
//! SSM through Redis (step `shared` of the chain, between the cache and
//! SSM), with a cross-process single flight and the fleet's last good
//! values.
//!
//! # Keys
//!
//! Every Redis key starts with `ssmconf:1:SCOPE|`, where `SCOPE` names
//! where the store's parameters live ([`ParameterStore::cache_scope`]: for
//! SSM the Region, the account when the credentials tell it, and an
//! explicit endpoint), or the resolver's `shared_cache_namespace`. Then the
//! SSM name, selector included:
//!
//! - `PREFIX/name`: the fresh outcome (found, does not exist, or a failed
//!   fetch), expiring with the entry's TTL (a failure: within 30 s);
//! - `PREFIX/name|last`: the last good value, kept for `shared_cache_keep`
//!   (24 h by default), which a process whose fetch fails uses as its stale
//!   value when it has none of its own;
//! - `PREFIX/name|lock`: the single flight's lock, a random owner token.
//!
//! The values' format, signing and sealing are in [`codec`]; the connection,
//! budget and circuit breaker in [`link`]; the lock in [`lock`].
//!
//! [`ParameterStore::cache_scope`]: crate::ParameterStore::cache_scope

mod codec;
mod link;
mod lock;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, UNIX_EPOCH};

use codec::{Keys, Kind, Record};
use link::Link;

use crate::error::{StoreError, StoreErrorKind};
use crate::resolver::{Cached, Fetched, Inner, Outcome};

/// How long a request may wait on Redis, by default.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(50);
/// How long a lock holds, by default: SSM's 3 attempts of 3 s with backoff.
pub const DEFAULT_LOCK: Duration = Duration::from_secs(12);
/// How long the fleet keeps a last good value, by default.
pub const DEFAULT_KEEP: Duration = Duration::from_secs(24 * 3600);
/// How long a failed fetch is shared: the others skip SSM that long.
const FAILED_FOR: Duration = Duration::from_secs(30);
/// The longest pause between two looks of a process waiting for another's
/// fetch.
const MAX_PAUSE: Duration = Duration::from_millis(50);

/// What the builder says about the tier.
#[derive(Debug, Clone, Default)]
pub(crate) struct Options {
    pub(crate) url: Option<String>,
    pub(crate) keys: Option<String>,
    pub(crate) namespace: Option<String>,
    pub(crate) budget: Option<Duration>,
    pub(crate) lock: Option<Duration>,
    pub(crate) keep: Option<Duration>,
}

/// Where the shared cache's keys come from.
enum KeySource {
    /// No key: values are checked against the schema only.
    None,
    /// Given to the builder or in `SSMCONF_SHARED_CACHE_KEY`.
    Given(Keys),
    /// `ssm:NAME`: in an SSM SecureString, read once on first use. Until
    /// it is read, the tier is not used (never without the key).
    Ssm { name: String, keys: tokio::sync::OnceCell<Keys>, failed_at: Mutex<Option<Instant>> },
}

/// How long after a failed read of an `ssm:` key the next one waits.
const KEY_RETRY: Duration = Duration::from_secs(30);

/// The tier of one resolver.
pub(crate) struct Shared {
    link: Link,
    keys: KeySource,
    namespace: Option<String>,
    /// `ssmconf:1:SCOPE|`, once known (`None`: the store names no scope).
    prefix: tokio::sync::OnceCell<Option<String>>,
    lock_for: Duration,
    keep: Duration,
    /// Reads answered by the tier.
    pub(crate) hits: AtomicU64,
    /// Values refused (garbled, unauthenticated, not valid for the entry).
    rejected: AtomicU64,
    /// Keys whose refusal was logged already.
    warned: Mutex<HashSet<usize>>,
    /// Per schema leaf: drops of its shared entry still under way.
    dropping: Box<[AtomicU32]>,
}

impl std::fmt::Debug for Shared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shared")
            .field("redis", &self.link.shown())
            .field("authenticated", &!matches!(self.keys, KeySource::None))
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// The tier from the builder's options, `SSMCONF_SHARED_CACHE` and
    /// `SSMCONF_SHARED_CACHE_KEY`; `Ok(None)` without a URL.
    pub(crate) fn from_options(options: Options, leaves: usize) -> Result<Option<Shared>, (&'static str, String)> {
        let Some(url) = options.url.or_else(|| std::env::var("SSMCONF_SHARED_CACHE").ok()).filter(|u| !u.is_empty())
        else {
            return Ok(None);
        };
        let budget = options.budget.unwrap_or(DEFAULT_BUDGET);
        let link = Link::new(&url, budget).map_err(|e| ("shared_cache", e))?;
        let keys = match options.keys.or_else(|| std::env::var("SSMCONF_SHARED_CACHE_KEY").ok()) {
            Some(text) if text.trim().starts_with("ssm:") => KeySource::Ssm {
                name: text.trim()["ssm:".len()..].to_string(),
                keys: tokio::sync::OnceCell::new(),
                failed_at: Mutex::new(None),
            },
            Some(text) if !text.trim().is_empty() => {
                KeySource::Given(Keys::parse(&text).map_err(|e| ("shared_cache_key", e))?)
            }
            _ => KeySource::None,
        };
        let lock_for = options.lock.unwrap_or(DEFAULT_LOCK);
        if lock_for < Duration::from_millis(1) {
            return Err(("shared_cache_lock", "the lock must hold for at least 1 ms".into()));
        }
        Ok(Some(Shared {
            link,
            keys,
            namespace: options.namespace,
            prefix: tokio::sync::OnceCell::new(),
            lock_for,
            keep: options.keep.unwrap_or(DEFAULT_KEEP),
            hits: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            warned: Mutex::new(HashSet::new()),
            dropping: (0..leaves).map(|_| AtomicU32::new(0)).collect(),
        }))
    }

    /// The keys, once known (`None` without keys, or before an `ssm:` key
    /// was read).
    fn keys(&self) -> Option<&Keys> {
        match &self.keys {
            KeySource::None => None,
            KeySource::Given(keys) => Some(keys),
            KeySource::Ssm { keys, .. } => keys.get(),
        }
    }

    /// Failed Redis requests and refused values.
    pub(crate) fn errors(&self) -> u64 {
        self.link.failures.load(Ordering::Relaxed) + self.rejected.load(Ordering::Relaxed)
    }

    async fn prefix(&self, store: &dyn crate::ParameterStore) -> Option<&str> {
        self.prefix
            .get_or_init(|| async {
                let scope = match &self.namespace {
                    Some(ns) => Some(ns.clone()),
                    None => store.cache_scope().await,
                };
                match scope {
                    Some(scope) => Some(format!("ssmconf:1:{}|", scope.replace('|', "%7C"))),
                    None => {
                        tracing::warn!(target: "ssmconf", store = ?store, "The shared cache is off for this resolver: its store names no scope (give the resolver a shared_cache_namespace)");
                        None
                    }
                }
            })
            .await
            .as_deref()
    }
}

/// `host/pid`, for provenance.
fn origin() -> String {
    static HOST: OnceLock<String> = OnceLock::new();
    let host = HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .or_else(|| std::env::var("HOSTNAME").ok())
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "?".into())
    });
    format!("{host}/{}", std::process::id())
}

fn millis(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX).max(1)
}

fn last_name(name: &str) -> String {
    format!("{name}|last")
}

fn kind_named(name: &str) -> StoreErrorKind {
    use StoreErrorKind::*;
    [Throttled, Timeout, Network, Service, AccessDenied, Rejected, InvalidValue, Config]
        .into_iter()
        .find(|k| k.as_str() == name)
        .unwrap_or(Other)
}

/// One key of a read through the tier: its schema index and Redis name.
type Named = (usize, String);

impl Inner {
    /// The tier and the Redis name of `idx`, when the tier may hold it: an
    /// entry that is cached at all, not secure unless there is a key, with
    /// no drop of its shared entry under way.
    async fn tier(&self, idx: usize) -> Option<(&Shared, String)> {
        let shared = self.shared.as_ref()?;
        let (entry, bound) = (self.entry(idx)?, self.bound(idx)?);
        // A path entry's value is many parameters: the tier's rule (decode
        // and check the one value of a key) does not fit it, so it stays out.
        if bound.ttl.is_zero() || entry.is_path() {
            return None;
        }
        if let KeySource::Ssm { .. } = shared.keys
            && shared.keys().is_none()
            && !self.read_key(shared).await
        {
            return None;
        }
        if entry.secure && shared.keys().is_none() {
            return None;
        }
        if shared.dropping[idx].load(Ordering::Acquire) > 0 {
            return None;
        }
        let prefix = shared.prefix(&*self.store).await?;
        Some((shared, format!("{prefix}{}", bound.name.full)))
    }

    /// Reads an `ssm:` key from its SecureString (at most every 30 s while
    /// that fails); answers whether the keys are known now.
    async fn read_key(&self, shared: &Shared) -> bool {
        let KeySource::Ssm { name, keys, failed_at } = &shared.keys else { return true };
        if failed_at.lock().unwrap_or_else(PoisonError::into_inner).is_some_and(|t| t.elapsed() < KEY_RETRY) {
            return false;
        }
        let read = keys
            .get_or_try_init(|| async {
                let found = self.call_store(self.store.get_parameters(std::slice::from_ref(name))).await;
                match found.map_err(|e| e.to_string())?.into_iter().next().flatten() {
                    Some(p) if p.param_type == crate::ParamType::SecureString => Keys::parse(&p.value),
                    Some(_) => Err("it is not a SecureString".to_string()),
                    None => Err("it does not exist".to_string()),
                }
            })
            .await;
        match read {
            Ok(_) => true,
            Err(why) => {
                *failed_at.lock().unwrap_or_else(PoisonError::into_inner) = Some(Instant::now());
                tracing::warn!(target: "ssmconf", name, "The shared cache is not used until its key can be read from {name}: {why}");
                false
            }
        }
    }

    /// A value read from Redis for `idx`, decoded and checked like a value
    /// from SSM; `None` (logged once per key, counted) when it fails.
    fn accept(&self, shared: &Shared, idx: usize, name: &str, stored: &[u8]) -> Option<Arc<Cached>> {
        let entry = self.entry(idx)?;
        let checked = codec::decode(shared.keys(), name, stored, entry.secure)
            .map_err(|refused| refused.to_string())
            .and_then(|(record, raw)| match raw {
                Some(raw) => entry.decode_stored(&raw).map(|v| (record, Some((v, raw)))),
                None => Ok((record, None)),
            });
        match checked {
            Ok((record, value)) => self.cached_from(idx, &record, value),
            Err(why) => {
                shared.rejected.fetch_add(1, Ordering::Relaxed);
                let first = shared.warned.lock().unwrap_or_else(PoisonError::into_inner).insert(idx);
                let key = self.key(idx);
                if first {
                    tracing::warn!(target: "ssmconf", key, "Ignoring the shared cache's value for {key}: {why}");
                } else {
                    tracing::debug!(target: "ssmconf", key, "Ignoring the shared cache's value for {key}: {why}");
                }
                None
            }
        }
    }

    /// The cached outcome a record stands for, fresh for what is left of
    /// its life; `None` once that is over.
    fn cached_from(&self, idx: usize, record: &Record, value: Option<(crate::Value, String)>) -> Option<Arc<Cached>> {
        let ttl = self.bound(idx)?.ttl;
        let now = self.clock.now();
        let wall = self.clock.wall(now);
        let fetched_wall = UNIX_EPOCH + Duration::from_millis(record.fetched_ms.min(1 << 50));
        let age = wall.duration_since(fetched_wall).unwrap_or_default();
        let life = if record.kind == Kind::Failed { ttl.min(FAILED_FOR) } else { ttl };
        if age >= life {
            return None;
        }
        let fetched_at = now.checked_sub(age).unwrap_or(now);
        let outcome = match record.kind {
            Kind::Found => {
                let (value, raw) = value?;
                Outcome::Found(Arc::new(Fetched {
                    value: Arc::new(value),
                    version: record.version,
                    fetched_at,
                    fetched_wall,
                    memo: OnceLock::new(),
                    origin: Some(Arc::from(record.by.as_str())),
                    raw: Some(raw.into()),
                }))
            }
            Kind::Missing => Outcome::Missing,
            Kind::Failed => {
                let message = record.message.as_deref().unwrap_or("failed");
                let (kind, message) = message.split_once(": ").unwrap_or(("error", message));
                Outcome::Failed(StoreError::new(
                    kind_named(kind),
                    format!("{message} (the fetch of {}, shared)", record.by),
                ))
            }
        };
        Some(Arc::new(Cached {
            outcome,
            fetched_at,
            fetched_wall,
            expires_at: fetched_at + life,
            ttl,
            epoch: self.cache.epoch(idx),
        }))
    }

    /// The record of a fetch, for the Redis key `name`; `None` for what is
    /// not shared.
    fn encoded(&self, shared: &Shared, idx: usize, name: &str, cached: &Cached) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
        let secure = self.entry(idx)?.secure;
        let fetched_ms = u64::try_from(cached.fetched_wall.duration_since(UNIX_EPOCH).ok()?.as_millis()).ok()?;
        let mut record = Record {
            kind: Kind::Missing,
            raw: None,
            sealed: None,
            version: 0,
            fetched_ms,
            by: origin(),
            message: None,
        };
        let keys = shared.keys();
        match &cached.outcome {
            Outcome::Found(f) => {
                // Shared only as SSM gave it (a value from another process is
                // not passed on again).
                let raw = f.raw.as_deref().filter(|_| f.origin.is_none())?;
                record.kind = Kind::Found;
                record.version = f.version;
                let secret = secure.then_some(raw);
                if !secure {
                    record.raw = Some(raw.to_string());
                }
                let fresh = codec::encode(keys, name, record.clone(), secret);
                let last = codec::encode(keys, &last_name(name), record, secret);
                Some((fresh, Some(last)))
            }
            Outcome::Missing => Some((codec::encode(keys, name, record, None), None)),
            Outcome::Failed(e) => {
                record.kind = Kind::Failed;
                record.message = Some(format!("{}: {}", e.kind().as_str(), e));
                Some((codec::encode(keys, name, record, None), None))
            }
        }
    }

    /// Writes fetches back, in one request: the fresh outcome for its TTL
    /// (a failure only where nothing is, for at most 30 s), the last good
    /// value for `keep`, and the releases of `locks`.
    async fn write_back(&self, shared: &Shared, done: &[(usize, &str, &Cached)], locks: &[(String, String)]) {
        let mut pipe = redis::pipe();
        let mut any = false;
        for &(idx, name, cached) in done {
            let Some((fresh, last)) = self.encoded(shared, idx, name, cached) else { continue };
            let ttl = self.bound(idx).map_or(Duration::ZERO, |b| b.ttl);
            any = true;
            match &cached.outcome {
                Outcome::Found(_) => {
                    pipe.cmd("SET").arg(name).arg(fresh).arg("PX").arg(millis(ttl));
                    if let Some(last) = last {
                        pipe.cmd("SET").arg(last_name(name)).arg(last).arg("PX").arg(millis(shared.keep));
                    }
                }
                Outcome::Missing => {
                    pipe.cmd("SET").arg(name).arg(fresh).arg("PX").arg(millis(ttl));
                    pipe.cmd("DEL").arg(last_name(name));
                }
                Outcome::Failed(_) => {
                    pipe.cmd("SET").arg(name).arg(fresh).arg("NX").arg("PX").arg(millis(ttl.min(FAILED_FOR)));
                }
            }
        }
        for (name, token) in locks {
            any = true;
            lock::release(&mut pipe, name, token);
        }
        if any {
            let _ = shared.link.run_pipeline("writing back", pipe).await;
        }
    }

    /// Fresh values for `names` from Redis, in one request: the accepted
    /// outcome of each (or `None`), and the last good values too when
    /// `with_last`, which seed the stale step of keys that have none.
    async fn read_many(&self, shared: &Shared, names: &[Named], with_last: bool) -> Vec<Option<Arc<Cached>>> {
        match self.try_read_many(shared, names, with_last).await {
            Some(found) => found,
            None => vec![None; names.len()],
        }
    }

    /// [`read_many`](Self::read_many), but `None` when Redis did not answer
    /// (or the circuit is open), so a waiter can stop waiting at once.
    async fn try_read_many(
        &self,
        shared: &Shared,
        names: &[Named],
        with_last: bool,
    ) -> Option<Vec<Option<Arc<Cached>>>> {
        let mut cmd = redis::cmd("MGET");
        for (_, name) in names {
            cmd.arg(name);
        }
        if with_last {
            for (_, name) in names {
                cmd.arg(last_name(name));
            }
        }
        let Ok(stored) = shared
            .link
            .run("reading", |mut c| async move { cmd.query_async::<Vec<Option<Vec<u8>>>>(&mut c).await })
            .await
        else {
            return None;
        };
        if with_last {
            for ((idx, name), last) in names.iter().zip(stored.iter().skip(names.len())) {
                self.seed_last(shared, *idx, name, last.as_deref());
            }
        }
        let found = names
            .iter()
            .zip(stored)
            .map(|((idx, name), fresh)| {
                let cached = self.accept(shared, *idx, name, &fresh?)?;
                if !matches!(cached.outcome, Outcome::Failed(_)) {
                    shared.hits.fetch_add(1, Ordering::Relaxed);
                }
                self.cache.record(*idx, &cached);
                Some(cached)
            })
            .collect();
        Some(found)
    }

    /// The fleet's last good value as the stale value of `idx`, when it has
    /// none of its own.
    fn seed_last(&self, shared: &Shared, idx: usize, name: &str, stored: Option<&[u8]>) {
        if self.cache.stale(idx).is_some() {
            return;
        }
        let Some(stored) = stored else { return };
        let last = last_name(name);
        if let Some(cached) = self.accept(shared, idx, &last, stored)
            && let Outcome::Found(f) = &cached.outcome
        {
            self.cache.seed_stale(idx, f.clone());
        }
    }

    /// Step 3 for one key, through the tier: a fresh value in Redis, else
    /// the lock and a fetch of our own, else (another process holds the
    /// lock) its value, waiting up to the lock's bound, then a fetch of
    /// our own.
    pub(crate) async fn fetch_shared_one(&self, idx: usize) -> Arc<Cached> {
        let Some((shared, name)) = self.tier(idx).await else {
            return self.request(&[idx]).await.pop().expect("one outcome per key");
        };
        let named = [(idx, name)];
        let name = &named[0].1;
        if let Some(cached) = self.read_many(shared, &named, false).await.pop().flatten() {
            return self.with_fleet_stale(shared, idx, name, cached).await;
        }
        let mut deadline = Instant::now() + shared.lock_for;
        let mut pause = Duration::from_millis(2);
        // The holder seen first, and whether the wait restarted once for a
        // new holder (one that took over from a dead one is alive).
        let (mut first_holder, mut restarted) = (None, false);
        let token = loop {
            match lock::acquire(&shared.link, name, shared.lock_for).await {
                Ok(lock::Lock::Taken(token)) => {
                    // The holder before us may have written just now.
                    if let Some(cached) = self.read_many(shared, &named, false).await.pop().flatten() {
                        self.write_back(shared, &[], &[(name.clone(), token)]).await;
                        return self.with_fleet_stale(shared, idx, name, cached).await;
                    }
                    break Some(token);
                }
                Ok(lock::Lock::Held(holder)) => match &first_holder {
                    None => first_holder = holder,
                    Some(first) if !restarted && holder.as_ref().is_some_and(|h| h != first) => {
                        restarted = true;
                        deadline = Instant::now() + shared.lock_for;
                    }
                    Some(_) => {}
                },
                Err(link::Skipped) => break None,
            }
            let now = Instant::now();
            if now >= deadline {
                break None;
            }
            tokio::time::sleep(pause.min(deadline - now)).await;
            pause = (pause * 2).min(MAX_PAUSE);
            if let Some(cached) = self.read_many(shared, &named, false).await.pop().flatten() {
                return self.with_fleet_stale(shared, idx, name, cached).await;
            }
        };
        let cached = self.request(&[idx]).await.pop().expect("one outcome per key");
        let locks: Vec<(String, String)> = token.map(|t| (name.clone(), t)).into_iter().collect();
        self.write_back(shared, &[(idx, name, &cached)], &locks).await;
        self.with_fleet_stale(shared, idx, name, cached).await
    }

    /// After a failed fetch: the fleet's last good value as the stale value,
    /// when this process has none.
    async fn with_fleet_stale(&self, shared: &Shared, idx: usize, name: &str, cached: Arc<Cached>) -> Arc<Cached> {
        if matches!(cached.outcome, Outcome::Failed(_)) && self.cache.stale(idx).is_none() {
            let last = last_name(name);
            let got = shared
                .link
                .run("reading", |mut c| async move {
                    redis::cmd("GET").arg(last).query_async::<Option<Vec<u8>>>(&mut c).await
                })
                .await;
            if let Ok(stored) = got {
                self.seed_last(shared, idx, name, stored.as_deref());
            }
        }
        cached
    }

    /// `load_all` through the tier: one request for every fresh and last
    /// good value in Redis; the locks of what is lacking in one more, and
    /// one more read of what we locked; SSM (batches of 10) for the keys we
    /// locked and still lack, written back with the releases in one
    /// request; then the values of the keys others hold, waited for up to
    /// the lock's bound (or until Redis stops answering), and a fetch of
    /// our own for what is still lacking after that.
    pub(crate) async fn fetch_shared_many(&self, idxs: &[usize]) -> Vec<(usize, Arc<Cached>)> {
        let Some(shared) = self.shared.as_ref() else { return self.fetch_many(idxs).await };
        let mut named = Vec::new();
        let mut direct = Vec::new();
        for &idx in idxs {
            match self.tier(idx).await {
                Some((_, name)) => named.push((idx, name)),
                None => direct.push(idx),
            }
        }
        let mut out = if direct.is_empty() { Vec::new() } else { self.fetch_many(&direct).await };
        if named.is_empty() {
            return out;
        }
        let mut lacking = Vec::new();
        for (found, key) in self.read_many(shared, &named, true).await.into_iter().zip(named) {
            match found {
                Some(cached) => out.push((key.0, cached)),
                None => lacking.push(key),
            }
        }
        if lacking.is_empty() {
            return out;
        }
        let deadline = Instant::now() + shared.lock_for;
        let (mine, theirs): (Vec<(Named, Option<String>)>, Vec<Named>) =
            match lock::acquire_many(&shared.link, lacking.iter().map(|(_, n)| n.as_str()), shared.lock_for).await {
                // Redis is not answering: no lock, no waiting.
                None => (lacking.into_iter().map(|key| (key, None)).collect(), Vec::new()),
                Some(tokens) => {
                    let mut mine = Vec::new();
                    let mut theirs = Vec::new();
                    for (key, token) in lacking.into_iter().zip(tokens) {
                        match token {
                            Some(token) => mine.push((key, Some(token))),
                            None => theirs.push(key),
                        }
                    }
                    (mine, theirs)
                }
            };
        // A holder before us may have written its values and released its
        // locks between our first read and our locks: read what we locked
        // once more (as `fetch_shared_one` does), and fetch only what is
        // still lacking; the locks of what we found go back at once.
        let mine = if mine.iter().any(|(_, token)| token.is_some()) {
            let locked: Vec<Named> = mine.iter().map(|(key, _)| key.clone()).collect();
            match self.try_read_many(shared, &locked, false).await {
                Some(found) if found.iter().any(Option::is_some) => {
                    let mut release = Vec::new();
                    let mut lacking = Vec::new();
                    for (found, (key, token)) in found.into_iter().zip(mine) {
                        match found {
                            Some(cached) => {
                                release.extend(token.map(|t| (key.1.clone(), t)));
                                out.push((key.0, cached));
                            }
                            None => lacking.push((key, token)),
                        }
                    }
                    self.write_back(shared, &[], &release).await;
                    lacking
                }
                _ => mine,
            }
        } else {
            mine
        };
        let fetched = self.fetch_back(shared, mine).await;
        out.extend(fetched);
        let mut theirs = theirs;
        let mut pause = Duration::from_millis(2);
        while !theirs.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(pause.min(deadline.saturating_duration_since(Instant::now()))).await;
            pause = (pause * 2).min(MAX_PAUSE);
            // Redis gone while we wait (the holder's value could not reach
            // us either): fetch the rest now rather than at the lock's bound.
            let Some(found) = self.try_read_many(shared, &theirs, false).await else { break };
            let mut still = Vec::new();
            for (found, key) in found.into_iter().zip(theirs) {
                match found {
                    Some(cached) => out.push((key.0, cached)),
                    None => still.push(key),
                }
            }
            theirs = still;
        }
        let rest = self.fetch_back(shared, theirs.into_iter().map(|k| (k, None)).collect()).await;
        out.extend(rest);
        out
    }

    /// SSM for `keys`, in batches, then one write-back with the releases of
    /// the locks among them.
    async fn fetch_back(&self, shared: &Shared, keys: Vec<(Named, Option<String>)>) -> Vec<(usize, Arc<Cached>)> {
        if keys.is_empty() {
            return Vec::new();
        }
        let idxs: Vec<usize> = keys.iter().map(|((idx, _), _)| *idx).collect();
        let fetched = self.fetch_many(&idxs).await;
        let done: Vec<(usize, &str, &Cached)> = fetched
            .iter()
            .filter_map(|(idx, cached)| {
                let ((_, name), _) = keys.iter().find(|((i, _), _)| i == idx)?;
                Some((*idx, name.as_str(), &**cached))
            })
            .collect();
        let locks: Vec<(String, String)> =
            keys.iter().filter_map(|((_, name), token)| Some((name.clone(), token.clone()?))).collect();
        self.write_back(shared, &done, &locks).await;
        for (idx, cached) in &fetched {
            if matches!(cached.outcome, Outcome::Failed(_))
                && let Some(((_, name), _)) = keys.iter().find(|((i, _), _)| i == idx)
            {
                let _ = self.with_fleet_stale(shared, *idx, name, cached.clone()).await;
            }
        }
        fetched
    }

    /// Drops the shared entries of `idxs` (put, invalidate, clear, change
    /// events), in the background; until that is done, reads of them skip
    /// the tier.
    pub(crate) fn drop_shared(&self, idxs: Vec<usize>) {
        let Some(shared) = self.shared.as_ref() else { return };
        if idxs.is_empty() {
            return;
        }
        for &idx in &idxs {
            shared.dropping[idx].fetch_add(1, Ordering::AcqRel);
        }
        let Some(inner) = self.this.upgrade() else { return };
        self.spawn(async move {
            let shared = inner.shared.as_ref().expect("a tier");
            if let Some(prefix) = shared.prefix(&*inner.store).await {
                let mut cmd = redis::cmd("DEL");
                for &idx in &idxs {
                    if let Some(bound) = inner.bound(idx) {
                        cmd.arg(format!("{prefix}{}", bound.name.full));
                    }
                }
                let _ = shared.link.run("dropping", |mut c| async move { cmd.query_async::<()>(&mut c).await }).await;
            }
            for &idx in &idxs {
                shared.dropping[idx].fetch_sub(1, Ordering::AcqRel);
            }
        });
    }
}
