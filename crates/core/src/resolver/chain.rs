//! The fallback chain of SPEC.md, one step after another:
//! env, cache, ssm, stale, default, caller, none.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::Inner;
use super::cache::{Cached, Fetched, Outcome};
use crate::Value;
use crate::error::{Error, Result};
use crate::resolved::{Source, Step};
use crate::schema::LeafKind;

/// Where the steps of a resolution are written down, when anyone asks
/// (`explain`, `NotFound`); the hot path passes `None` and formats nothing.
pub(crate) type Trail<'a> = Option<&'a mut Vec<Step>>;

fn note(trail: &mut Trail<'_>, source: Source, found: impl FnOnce() -> String) {
    if let Some(steps) = trail {
        steps.push(Step { source, found: found() });
    }
}

/// A resolved value and what it came from.
///
/// `value` is `None` when nothing answered, or when the answer is the
/// caller's own default (`source` is then [`Source::Caller`]). A cache hit
/// holds one reference to the cached outcome and copies nothing.
#[derive(Debug, Clone)]
pub struct Answer {
    pub(crate) source: Source,
    held: Held,
    pub(crate) cached: Option<Arc<Cached>>,
}

#[derive(Debug, Clone)]
enum Held {
    Nothing,
    /// A literal, an environment value or a schema default.
    Shared(Arc<Value>),
    /// The last good value, served stale.
    Stale(Arc<Fetched>),
    /// The value found in `cached`.
    Cached,
}

impl Answer {
    /// The value, shared with the cache (no copy).
    #[must_use]
    pub fn value(&self) -> Option<&Value> {
        match &self.held {
            Held::Nothing => None,
            Held::Shared(v) => Some(v),
            Held::Stale(f) => Some(&f.value),
            Held::Cached => self.fetched().map(|f| &*f.value),
        }
    }

    /// The step that answered.
    #[must_use]
    pub fn source(&self) -> Source {
        self.source
    }

    /// A value derived from this answer's value once and kept beside it in
    /// the cache, for as long as that fetch is cached: bindings keep their
    /// converted object here, so a hit converts nothing. `None` when the
    /// value does not come from SSM (literal, env, defaults), or when the
    /// memo already holds another type.
    ///
    /// Only memoize what the caller cannot mutate: every reader of the key
    /// shares it.
    ///
    /// `init` runs while other readers of this fetch's memo wait for it: it
    /// must not wait on them. Where it might (making a Python object can
    /// wait for every other thread), use [`memoized`](Self::memoized) and
    /// [`keep_memo`](Self::keep_memo).
    pub fn memo<T: Any + Send + Sync>(&self, init: impl FnOnce(&Value) -> T) -> Option<&T> {
        self.fetched()?.memo_or_init(init)
    }

    /// The memo kept for this answer's value, if it is a `T` (see
    /// [`memo`](Self::memo)); never waits.
    #[must_use]
    pub fn memoized<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.fetched()?.memo_get()
    }

    /// Keeps `memo` beside this answer's value unless a memo is kept
    /// already, and answers the one kept, if it is a `T`. The caller makes
    /// `memo` first, so no reader ever waits while it is made; when two
    /// readers race, the first to finish wins and the other's is dropped.
    pub fn keep_memo<T: Any + Send + Sync>(&self, memo: T) -> Option<&T> {
        self.fetched()?.memo_keep(memo)
    }

    /// What SSM gave, when SSM (now or before) answered.
    pub(crate) fn fetched(&self) -> Option<&Fetched> {
        match (&self.held, self.cached.as_deref()) {
            (Held::Stale(f), _) => Some(f),
            (Held::Cached, Some(Cached { outcome: Outcome::Found(f), .. })) => Some(f),
            _ => None,
        }
    }

    fn of(value: Option<Arc<Value>>, source: Source) -> Self {
        Answer { source, held: value.map_or(Held::Nothing, Held::Shared), cached: None }
    }
}

/// A fresh value from SSM, lent by the cache for the time of one call of
/// [`Resolver::with_hit`]: a cache hit that takes no reference and builds no
/// [`Answer`]. As an answer, its source would be [`Source::Ssm`].
#[derive(Debug, Clone, Copy)]
pub struct Hit<'a> {
    fetched: &'a Fetched,
    stamp: HitStamp,
}

/// Where a [`Hit`] came from in the cache, and which fetch it lent: with it,
/// [`Resolver::still_fresh`](crate::Resolver::still_fresh) proves later that
/// the same value is still the fresh one, with no key lookup.
///
/// For a binding that keeps its own converted copy of a hit (the Python
/// one keeps the Python object) and wants to serve it again without asking
/// the cache. [`to_bits`](Self::to_bits) and [`from_bits`](Self::from_bits)
/// let it live in an `AtomicU64`. Only bits that `to_bits` gave mean
/// anything; bits naming no slot prove nothing, and never panic.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use ssmconf::{MemoryStore, Resolver, Schema};
/// let schema = Schema::from_yaml_str("model: {ssm_param: /app/model}", "<doc>")?;
/// let r = Resolver::builder(schema).store(MemoryStore::from_values([("/app/model", "m1")])).build()?;
/// r.load_all().await?;
/// let stamp = r.with_hit("model", |hit| hit.stamp())?.expect("a hit");
/// # #[cfg(target_os = "linux")]
/// assert!(r.still_fresh(stamp), "nothing changed: the copy is current");
/// r.invalidate("model");
/// assert!(!r.still_fresh(stamp), "invalidated: ask again");
/// # Ok::<(), ssmconf::Error>(()) }).unwrap();
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct HitStamp(u64);

impl HitStamp {
    fn new(idx: usize, generation: u32) -> Self {
        // More than 2^32 keys is out of reach (schema files are read into
        // memory); such an index would only make stamps that prove nothing.
        let idx = u32::try_from(idx).unwrap_or(u32::MAX);
        HitStamp((u64::from(idx) << 32) | u64::from(generation))
    }

    pub(crate) fn idx(self) -> usize {
        (self.0 >> 32) as usize
    }

    pub(crate) fn generation(self) -> u32 {
        self.0 as u32
    }

    /// The stamp as one word.
    #[must_use]
    pub const fn to_bits(self) -> u64 {
        self.0
    }

    /// A stamp from [`to_bits`](Self::to_bits).
    #[must_use]
    pub const fn from_bits(bits: u64) -> Self {
        HitStamp(bits)
    }
}

impl<'a> Hit<'a> {
    /// This hit's stamp (see [`HitStamp`]).
    #[must_use]
    pub fn stamp(&self) -> HitStamp {
        self.stamp
    }

    /// The value.
    #[must_use]
    pub fn value(&self) -> &'a Value {
        &self.fetched.value
    }

    /// As [`Answer::memoized`].
    #[must_use]
    pub fn memoized<T: Any + Send + Sync>(&self) -> Option<&'a T> {
        self.fetched.memo_get()
    }

    /// As [`Answer::keep_memo`].
    pub fn keep_memo<T: Any + Send + Sync>(&self, memo: T) -> Option<&'a T> {
        self.fetched.memo_keep(memo)
    }
}

impl Inner {
    /// See [`Resolver::with_hit`].
    #[inline]
    pub(crate) fn with_hit<R>(&self, idx: usize, f: impl FnOnce(Hit<'_>) -> R) -> Option<R> {
        match &self.schema.inner.leaves[idx].kind {
            LeafKind::Entry(entry) if entry.env.is_none() => {}
            // A literal, or an entry whose variable may be set: the whole chain.
            _ => return None,
        }
        self.cache
            .with_fresh(idx, &*self.clock, |cached, generation| match &cached.outcome {
                Outcome::Found(fetched) => {
                    self.stats.hits.fetch_add(1, Ordering::Relaxed);
                    self.maybe_refresh(idx, cached);
                    Some(f(Hit { fetched, stamp: HitStamp::new(idx, generation) }))
                }
                // Steps 3 to 7 follow: `answer_now` counts this hit.
                Outcome::Missing | Outcome::Failed(_) => None,
            })
            .flatten()
    }

    /// Steps 1 and 2 and what follows a cached outcome: everything that
    /// needs no I/O. `Ok(None)` means the store must be asked.
    pub(crate) fn answer_now(&self, idx: usize, has_caller: bool, trail: &mut Trail<'_>) -> Result<Option<Answer>> {
        let leaf = &self.schema.inner.leaves[idx];
        let entry = match &leaf.kind {
            LeafKind::Literal(value) => {
                note(trail, Source::Literal, || "a literal in the schema".into());
                return Ok(Some(Answer::of(Some(value.clone()), Source::Literal)));
            }
            LeafKind::Entry(entry) => entry,
        };
        if let Some(var) = &entry.env {
            match std::env::var(var) {
                Ok(raw) => {
                    let value = entry.decode(&raw).map_err(|reason| {
                        Error::validation(&leaf.key, format!("environment variable {var}: {reason}"))
                    })?;
                    note(trail, Source::Env, || format!("{var} is set"));
                    return Ok(Some(Answer::of(Some(Arc::new(value)), Source::Env)));
                }
                Err(std::env::VarError::NotPresent) => note(trail, Source::Env, || format!("{var} is not set")),
                Err(std::env::VarError::NotUnicode(_)) => {
                    return Err(Error::validation(&leaf.key, format!("environment variable {var} is not valid UTF-8")));
                }
            }
        } else {
            note(trail, Source::Env, || "no `env` variable in the schema".into());
        }
        match self.cache.with_fresh(idx, &*self.clock, |cached, _| cached.clone()) {
            Some(cached) => {
                self.stats.hits.fetch_add(1, Ordering::Relaxed);
                self.maybe_refresh(idx, &cached);
                note(trail, Source::Cache, || describe_cached(&cached, self.clock.now(), self.is_path(idx)));
                Ok(Some(self.after_fetch(idx, cached, has_caller, trail)))
            }
            None => {
                note(trail, Source::Cache, || "nothing fresh".into());
                Ok(None)
            }
        }
    }

    /// The whole chain for one key.
    pub(crate) async fn answer(&self, idx: usize, has_caller: bool, mut trail: Trail<'_>) -> Result<Answer> {
        if let Some(answer) = self.answer_now(idx, has_caller, &mut trail)? {
            return Ok(answer);
        }
        self.stats.misses.fetch_add(1, Ordering::Relaxed);
        let cached = self.fetch_one(idx, has_caller).await;
        let now = self.clock.now();
        let shared = matches!(&cached.outcome, Outcome::Found(f) if f.origin.is_some());
        note(&mut trail, if shared { Source::Shared } else { Source::Ssm }, || {
            describe_cached(&cached, now, self.is_path(idx))
        });
        Ok(self.after_fetch(idx, cached, has_caller, &mut trail))
    }

    /// Steps 3 to 7, given what the store (or the cache) said.
    pub(crate) fn after_fetch(
        &self,
        idx: usize,
        cached: Arc<Cached>,
        has_caller: bool,
        trail: &mut Trail<'_>,
    ) -> Answer {
        match &cached.outcome {
            Outcome::Found(f) => {
                let source = if f.origin.is_some() { Source::Shared } else { Source::Ssm };
                Answer { source, held: Held::Cached, cached: Some(cached) }
            }
            Outcome::Missing => {
                note(trail, Source::Stale, || match self.is_path(idx) {
                    true => "skipped: no parameter under the path".into(),
                    false => "skipped: the parameter does not exist".into(),
                });
                let mut answer = self.defaults(idx, has_caller, trail);
                answer.cached = Some(cached);
                answer
            }
            Outcome::Failed(_) => match self.cache.stale(idx) {
                Some(stale) => {
                    self.stats.stale_served.fetch_add(1, Ordering::Relaxed);
                    let now = self.clock.now();
                    note(trail, Source::Stale, || {
                        let age = now.saturating_duration_since(stale.fetched_at).as_secs();
                        let what = version_or_count(stale.version, self.is_path(idx));
                        match &stale.origin {
                            Some(by) => format!("{what} fetched by {by} {age}s ago (the fleet's last good value)"),
                            None => format!("{what} fetched {age}s ago"),
                        }
                    });
                    Answer { source: Source::Stale, held: Held::Stale(stale), cached: Some(cached) }
                }
                None => {
                    note(trail, Source::Stale, || "no earlier value from SSM".into());
                    let mut answer = self.defaults(idx, has_caller, trail);
                    answer.cached = Some(cached);
                    answer
                }
            },
        }
    }

    /// Steps 5 to 7.
    fn defaults(&self, idx: usize, has_caller: bool, trail: &mut Trail<'_>) -> Answer {
        if let Some(default) = self.entry(idx).and_then(|e| e.default.as_ref()) {
            self.stats.defaults_served.fetch_add(1, Ordering::Relaxed);
            note(trail, Source::Default, || "the schema's default".into());
            return Answer::of(Some(default.clone()), Source::Default);
        }
        note(trail, Source::Default, || "no default in the schema".into());
        if has_caller {
            self.stats.defaults_served.fetch_add(1, Ordering::Relaxed);
            note(trail, Source::Caller, || "the caller's default".into());
            return Answer::of(None, Source::Caller);
        }
        note(trail, Source::Caller, || "no default given".into());
        Answer::of(None, Source::None)
    }
}

/// "version 3", or for a path entry (whose version is its count) "12 parameters".
fn version_or_count(version: i64, is_path: bool) -> String {
    match is_path {
        true => format!("{version} parameters"),
        false => format!("version {version}"),
    }
}

fn describe_cached(cached: &Cached, now: Instant, is_path: bool) -> String {
    let age = now.saturating_duration_since(cached.fetched_at).as_secs();
    let left = cached.expires_at.saturating_duration_since(now).as_secs();
    match &cached.outcome {
        Outcome::Found(f) => {
            let what = version_or_count(f.version, is_path);
            match &f.origin {
                Some(by) => format!("{what} fetched by {by} {age}s ago (shared), fresh for {left}s more"),
                None => format!("{what} fetched {age}s ago, fresh for {left}s more"),
            }
        }
        Outcome::Missing if is_path => format!("no parameter under the path (asked {age}s ago)"),
        Outcome::Missing => format!("the parameter does not exist (asked {age}s ago)"),
        Outcome::Failed(e) => format!("the fetch {age}s ago failed: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use crate::{ManualClock, MemoryStore, Resolver, Schema, Value};

    const SCHEMA: &str = "a:\n  ssm_param: /t/a\nb:\n  ssm_param: /t/b\n  env: SSMCONF_CHAIN_TEST_B\nc:\n  ssm_param: /t/c\n  default: 1\nd: 4\n";

    fn setup() -> (Resolver, Arc<ManualClock>) {
        let clock = Arc::new(ManualClock::new());
        let store = MemoryStore::from_values([("/t/a", "x"), ("/t/b", "y")]);
        let schema = Schema::from_yaml_str(SCHEMA, "t.yml").unwrap();
        let resolver = Resolver::builder(schema).store(store).clock(clock.clone()).build().unwrap();
        (resolver, clock)
    }

    fn hit(r: &Resolver, key: &str) -> Option<Value> {
        r.with_hit(key, |hit| hit.value().clone()).unwrap()
    }

    #[tokio::test]
    async fn with_hit_answers_a_fresh_value_from_ssm_and_counts_it() {
        let (r, clock) = setup();
        assert_eq!(hit(&r, "a"), None, "nothing cached yet");
        r.load_all().await.unwrap();
        let before = r.stats();
        assert_eq!(hit(&r, "a"), Some(Value::from("x")));
        assert_eq!(r.stats().hits, before.hits + 1);
        assert_eq!(r.stats().ssm_calls, before.ssm_calls);
        clock.advance(Duration::from_secs(300));
        assert_eq!(hit(&r, "a"), None, "expired");
        assert_eq!(r.stats().hits, before.hits + 1, "no hit counted when nothing is lent");
    }

    #[tokio::test]
    async fn with_hit_leaves_every_other_step_to_the_chain() {
        let (r, _) = setup();
        r.load_all().await.unwrap();
        let before = r.stats().hits;
        assert_eq!(hit(&r, "b"), None, "an entry with `env` always reads its variable");
        assert_eq!(hit(&r, "c"), None, "a cached \"does not exist\" falls to the default");
        assert_eq!(hit(&r, "d"), None, "a literal");
        assert_eq!(r.stats().hits, before);
        assert_eq!(r.resolve_now("c", false).unwrap().unwrap().source(), crate::Source::Default);
        assert!(matches!(r.with_hit("nope", |_| ()), Err(crate::Error::UnknownKey { .. })));
        r.invalidate("a");
        assert_eq!(hit(&r, "a"), None, "invalidated");
    }

    #[tokio::test]
    async fn a_hit_and_an_answer_share_one_memo() {
        let (r, _) = setup();
        r.load_all().await.unwrap();
        assert_eq!(r.with_hit("a", |hit| hit.memoized::<u8>().copied()).unwrap(), Some(None));
        assert_eq!(r.with_hit("a", |hit| hit.keep_memo(7u8).copied()).unwrap(), Some(Some(7)));
        assert_eq!(r.with_hit("a", |hit| hit.keep_memo(9u8).copied()).unwrap(), Some(Some(7)), "the first stays");
        let answer = r.resolve_now("a", false).unwrap().unwrap();
        assert_eq!(answer.memoized::<u8>(), Some(&7));
        assert_eq!(answer.memoized::<u16>(), None, "another type");
    }
}
