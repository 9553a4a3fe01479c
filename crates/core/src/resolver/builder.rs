//! [`ResolverBuilder`]: vars, store, TTL and clock; `build` binds the schema.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use super::cache::Cache;
use super::clock::{Clock, SystemClock};
use super::refresh::Background;
use super::snapshot::Snapshot;
use super::{Bound, Counters, Inner, Resolver};
use crate::error::{Error, Result, StoreError, StoreErrorKind};
use crate::schema::{LeafKind, Schema, parse_ttl, validate_var_value};
use crate::store::ParameterStore;

/// The TTL when neither the builder, `SSMCONF_TTL` nor the entry sets one.
pub const DEFAULT_TTL: Duration = Duration::from_secs(300);

/// Builds a [`Resolver`].
///
/// ```
/// use std::time::Duration;
/// use ssmconf::{MemoryStore, Resolver, Schema};
/// let schema = Schema::from_yaml_str("a:\n  ssm_param: /x/{stage}/a\n", "inline.yml")?;
/// let resolver = Resolver::builder(schema)
///     .var("stage", "prod")
///     .store(MemoryStore::new())
///     .ttl(Duration::from_secs(60))
///     .build()?;
/// assert_eq!(resolver.ssm_name("a")?, "/x/prod/a");
/// # Ok::<(), ssmconf::Error>(())
/// ```
#[must_use]
#[derive(Debug)]
pub struct ResolverBuilder {
    schema: Schema,
    vars: HashMap<String, String>,
    store: Option<Arc<dyn ParameterStore>>,
    ttl: Option<Duration>,
    /// `None`: the [`SystemClock`], which lets cache hits use the coarse clock.
    clock: Option<Arc<dyn Clock>>,
    snapshot: Option<PathBuf>,
    refresh_ahead: f64,
    ttl_jitter: f64,
    runtime: Option<Background>,
    shared: SharedOptions,
    open: OpenOptions,
}

/// The builder's shared cache settings (see [`ResolverBuilder::shared_cache`]).
#[derive(Debug, Clone, Default)]
struct SharedOptions {
    url: Option<String>,
    keys: Option<String>,
    namespace: Option<String>,
    budget: Option<Duration>,
    lock: Option<Duration>,
    keep: Option<Duration>,
}

/// Options of the cache of names outside the schema.
#[derive(Debug, Clone, Copy)]
struct OpenOptions {
    capacity: u64,
    stale_keep: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions { capacity: super::open::DEFAULT_CAPACITY, stale_keep: super::open::DEFAULT_STALE_KEEP }
    }
}

impl ResolverBuilder {
    pub(crate) fn new(schema: Schema) -> Self {
        ResolverBuilder {
            schema,
            vars: HashMap::new(),
            store: None,
            ttl: None,
            clock: None,
            snapshot: None,
            refresh_ahead: 0.0,
            ttl_jitter: 0.0,
            runtime: None,
            shared: SharedOptions::default(),
            open: OpenOptions::default(),
        }
    }

    /// Sets a placeholder value: `{stage}` in `ssm_param` becomes `value`.
    pub fn var(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.vars.insert(name.into(), value.into());
        self
    }

    /// Sets several placeholder values.
    pub fn vars<K: Into<String>, V: Into<String>>(mut self, vars: impl IntoIterator<Item = (K, V)>) -> Self {
        self.vars.extend(vars.into_iter().map(|(k, v)| (k.into(), v.into())));
        self
    }

    /// The store to read and write ([`SsmStore`](crate::SsmStore),
    /// [`MemoryStore`](crate::MemoryStore) or your own).
    pub fn store(mut self, store: impl ParameterStore + 'static) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// The store, already shared.
    pub fn shared_store(mut self, store: Arc<dyn ParameterStore>) -> Self {
        self.store = Some(store);
        self
    }

    /// The cache lifetime of entries without their own `ttl` (default 300 s,
    /// or `SSMCONF_TTL`). Zero means never cached.
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// The clock (tests use a [`ManualClock`](crate::ManualClock)). The
    /// default, [`SystemClock`], lets cache hits skip most precise clock
    /// reads; an injected clock is read on every hit.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Keeps the last good value of every non-secure entry in a file at
    /// `path` (JSON, mode 0600, replaced atomically after each fetch), and
    /// starts from it: a resolver built while SSM is down serves those
    /// values as `stale` (step 4) instead of falling to the defaults. Off by
    /// default. Secure entries are never written to it. A file that cannot
    /// be read, is corrupt, truncated or not a snapshot is ignored with a
    /// warning, and every value in it is checked against its entry again.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, Resolver, Schema, Source, StoreError, StoreErrorKind};
    /// let dir = tempfile::tempdir().unwrap();
    /// let path = dir.path().join("last-good.json");
    /// let schema = Schema::from_yaml_str("model:\n  ssm_param: /app/model\n  default: GPT_4O\n", "inline.yml")?;
    ///
    /// let store = MemoryStore::from_values([("/app/model", "CLAUDE_OPUS_4_5")]);
    /// let first = Resolver::builder(schema.clone()).store(store).snapshot(&path).build()?;
    /// first.load_all().await?;
    /// first.flush_snapshot();
    ///
    /// // A cold start while the store is down: the snapshot answers.
    /// let down = MemoryStore::new();
    /// down.fail_with(Some(StoreError::new(StoreErrorKind::Network, "unreachable")));
    /// let second = Resolver::builder(schema).store(down).snapshot(&path).build()?;
    /// let why = second.explain("model").await?;
    /// assert_eq!((why.value, why.source), (Some("CLAUDE_OPUS_4_5".into()), Source::Stale));
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    pub fn snapshot(mut self, path: impl Into<PathBuf>) -> Self {
        self.snapshot = Some(path.into());
        self
    }

    /// Refresh ahead: a read in the last `fraction` of an entry's TTL (say
    /// `0.2`: the last minute of five) answers the cached value at once and
    /// refreshes it in the background, one refresh per key at a time, so
    /// readers of a busy key never wait on the store. A failed refresh
    /// keeps the cached value until it expires. `0` (the default) turns it
    /// off; the fraction must be below 1.
    pub fn refresh_ahead(mut self, fraction: f64) -> Self {
        self.refresh_ahead = fraction;
        self
    }

    /// TTL jitter: each fetch is cached for its TTL less a random part of
    /// up to `fraction` of it (`0.1`: between 270 and 300 s for 300 s), so
    /// a fleet of processes started together does not expire together.
    /// `0` (the default) turns it off; the fraction must be below 1.
    pub fn ttl_jitter(mut self, fraction: f64) -> Self {
        self.ttl_jitter = fraction;
        self
    }

    /// The runtime that runs background refreshes (`refresh_ahead`) and
    /// snapshot writes when the read that starts them is not inside one
    /// (a binding's synchronous call). Default: the runtime current at that
    /// read, else a short-lived thread of its own.
    ///
    /// The handle belongs to the process that gave it: in a child made by
    /// `fork()` it is not used (its worker threads stayed in the parent);
    /// see [`runtime_fn`](Self::runtime_fn).
    pub fn runtime(mut self, handle: tokio::runtime::Handle) -> Self {
        self.runtime = Some(Background::handle(handle));
        self
    }

    /// [`runtime`](Self::runtime), asked for each time background work
    /// starts outside a runtime: for a binding that makes a runtime per
    /// process, so that a fork child gets its own (see [`crate::fork`]).
    ///
    /// ```
    /// use std::sync::OnceLock;
    /// use ssmconf::{MemoryStore, Resolver, Schema};
    /// static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    /// let schema = Schema::from_yaml_str("a:\n  ssm_param: /x/a\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema)
    ///     .store(MemoryStore::new())
    ///     .refresh_ahead(0.2)
    ///     .runtime_fn(|| RUNTIME.get_or_init(|| tokio::runtime::Runtime::new().unwrap()).handle().clone())
    ///     .build()?;
    /// # Ok::<(), ssmconf::Error>(())
    /// ```
    pub fn runtime_fn(mut self, runtime: impl Fn() -> tokio::runtime::Handle + Send + Sync + 'static) -> Self {
        self.runtime = Some(Background::Provider(Arc::new(runtime)));
        self
    }

    /// Shares fetched values with the other processes of a fleet through
    /// the Redis at `url` (`redis://` or `rediss://` for TLS, with
    /// `user:password@` or `:token@` for AUTH and `/N` for the database):
    /// the chain asks it between the cache and SSM (source `shared`), one
    /// process fetches a missing key while the others wait for its value,
    /// and the fleet's last good values answer a cold start while SSM is
    /// down. Redis failing never fails a read: no request waits on it more
    /// than [`shared_cache_budget`](Self::shared_cache_budget). Without
    /// this, `SSMCONF_SHARED_CACHE` gives the URL; neither: no tier.
    ///
    /// Every value read from Redis is checked against its entry like a
    /// value from SSM; without [`shared_cache_key`](Self::shared_cache_key)
    /// secure entries skip the tier. README.md, "The shared cache", has the
    /// design and the trust model.
    pub fn shared_cache(mut self, url: impl Into<String>) -> Self {
        self.shared.url = Some(url.into());
        self
    }

    /// The key (or keys) that authenticate the shared cache's values:
    /// 32 bytes as 64 hex digits or base64, several separated by commas
    /// (the first signs, any verifies: rotate by putting the new key first
    /// everywhere, then dropping the old). With a key, every value carries
    /// an HMAC-SHA256 tag over its Redis key name and its bytes, a value
    /// whose tag does not verify is ignored, and secure entries are shared
    /// encrypted (AES-256-GCM). Without this, `SSMCONF_SHARED_CACHE_KEY`.
    ///
    /// `ssm:NAME` reads the key (or keys) from the SSM SecureString `NAME`
    /// through the resolver's store, once, on first use; until it can be
    /// read (retried every 30 s), the resolver does not use the tier.
    pub fn shared_cache_key(mut self, keys: impl Into<String>) -> Self {
        self.shared.keys = Some(keys.into());
        self
    }

    /// The name that scopes this resolver's shared entries, instead of the
    /// store's own scope (for SSM: Region, account when the credentials
    /// tell it, and an explicit endpoint). Give one when several accounts
    /// in one Region share a Redis and their credentials do not name the
    /// account.
    pub fn shared_cache_namespace(mut self, namespace: impl Into<String>) -> Self {
        self.shared.namespace = Some(namespace.into());
        self
    }

    /// The longest a read waits on one Redis request (default 50 ms).
    pub fn shared_cache_budget(mut self, budget: Duration) -> Self {
        self.shared.budget = Some(budget);
        self
    }

    /// How long a fetching process holds a key's lock, and so the longest
    /// the others wait for its value (default 12 s: SSM's 3 attempts of
    /// 3 s with backoff). Shorten it with the store's deadline.
    pub fn shared_cache_lock(mut self, hold: Duration) -> Self {
        self.shared.lock = Some(hold);
        self
    }

    /// How long the fleet keeps each key's last good value (default 24 h).
    pub fn shared_cache_keep(mut self, keep: Duration) -> Self {
        self.shared.keep = Some(keep);
        self
    }

    /// The most names outside the schema ([`Resolver::parameter`]) kept in
    /// the cache (default 10,000); the least recently used go first. Paths
    /// have a cache of a tenth of that (at least 16).
    pub fn open_cache_capacity(mut self, names: u64) -> Self {
        self.open.capacity = names;
        self
    }

    /// How long a name outside the schema is kept after its TTL, so that a
    /// refresh that fails answers the last value (default 1 hour). Past
    /// that, a failed refresh is an error.
    pub fn open_stale_keep(mut self, keep: Duration) -> Self {
        self.open.stale_keep = keep;
        self
    }

    /// Fills every `ssm_param` with the vars, checks the names against
    /// SSM's rules, and builds the resolver.
    ///
    /// # Errors
    /// [`Error::Schema`] for a placeholder with no var or a name SSM would
    /// refuse (at the `ssm_param` of the entry); [`Error::Validation`] for a
    /// var value that could change the name's hierarchy (`/`, `..`) or a bad
    /// `SSMCONF_TTL`; [`Error::Store`] when no store was given.
    pub fn build(self) -> Result<Resolver> {
        for (var, value) in &self.vars {
            validate_var_value(var, value).map_err(|reason| Error::validation(format!("{{{var}}}"), reason))?;
        }
        let store = self.store.ok_or_else(|| Error::Store {
            what: "the resolver".into(),
            source: StoreError::new(
                StoreErrorKind::Config,
                "no store given: call .store(SsmStore::from_env().await) or .store(MemoryStore::new())",
            ),
        })?;
        for (name, fraction) in [("refresh_ahead", self.refresh_ahead), ("ttl_jitter", self.ttl_jitter)] {
            if !(0.0..1.0).contains(&fraction) {
                return Err(Error::validation(name, format!("{fraction} is not a fraction in [0, 1)")));
            }
        }
        let default_ttl = match self.ttl {
            Some(ttl) => ttl,
            None => match std::env::var("SSMCONF_TTL") {
                Ok(raw) => parse_ttl(raw.trim()).map_err(|reason| Error::validation("SSMCONF_TTL", reason))?,
                Err(_) => DEFAULT_TTL,
            },
        };
        let leaves = &self.schema.inner.leaves;
        let mut bound = Vec::with_capacity(leaves.len());
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for (idx, leaf) in leaves.iter().enumerate() {
            let LeafKind::Entry(entry) = &leaf.kind else {
                bound.push(None);
                continue;
            };
            let name = entry
                .name
                .fill(&self.vars)
                .map_err(|message| Error::schema(entry.name_location.clone(), &leaf.key, message))?;
            by_name.entry(name.plain.clone()).or_default().push(idx);
            bound.push(Some(Bound { name, ttl: entry.ttl.unwrap_or(default_ttl) }));
        }
        let entries = bound.iter().flatten().count();
        tracing::info!(
            target: "ssmconf",
            store = ?store,
            entries,
            literals = leaves.len() - entries,
            ttl_secs = default_ttl.as_secs(),
            "Parameter Store service initialized"
        );
        let slots = leaves.len();
        #[cfg(feature = "shared")]
        let shared = {
            let o = self.shared;
            let options = crate::shared::Options {
                url: o.url,
                keys: o.keys,
                namespace: o.namespace,
                budget: o.budget,
                lock: o.lock,
                keep: o.keep,
            };
            crate::shared::Shared::from_options(options, slots).map_err(|(what, e)| Error::validation(what, e))?
        };
        #[cfg(not(feature = "shared"))]
        if self.shared.url.is_some() || std::env::var_os("SSMCONF_SHARED_CACHE").is_some_and(|u| !u.is_empty()) {
            return Err(Error::validation(
                "shared_cache",
                "this build of ssmconf has no shared cache: build it with the `shared` feature",
            ));
        }
        let system_clock = self.clock.is_none();
        let inner = Arc::new_cyclic(|this| Inner {
            cache: Cache::new(slots, self.clock.is_none(), self.refresh_ahead),
            schema: self.schema,
            store,
            clock: self.clock.unwrap_or_else(|| Arc::new(SystemClock)),
            bound,
            stats: Counters::default(),
            by_name,
            this: this.clone(),
            refresh_ahead: self.refresh_ahead,
            ttl_jitter: self.ttl_jitter,
            snapshot: self.snapshot.map(Snapshot::new),
            runtime: self.runtime,
            open: super::open::Open::new(self.open.capacity, default_ttl, self.open.stale_keep, system_clock),
            #[cfg(feature = "shared")]
            shared,
        });
        inner.seed_from_snapshot();
        Ok(Resolver { inner })
    }
}
