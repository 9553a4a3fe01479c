//! The fallback chain of SPEC.md, one step after another:
//! env, cache, ssm, stale, default, caller, none.

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
    pub fn memo<T: std::any::Any + Send + Sync>(&self, init: impl FnOnce(&Value) -> T) -> Option<&T> {
        let fetched = self.fetched()?;
        fetched.memo.get_or_init(|| Box::new(init(&fetched.value))).downcast_ref::<T>()
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

impl Inner {
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
        let now = self.clock.now();
        match self.cache.fresh(idx, now) {
            Some(cached) => {
                self.stats.hits.fetch_add(1, Ordering::Relaxed);
                note(trail, Source::Cache, || describe_cached(&cached, now));
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
        note(&mut trail, Source::Ssm, || describe_cached(&cached, now));
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
            Outcome::Found(_) => Answer { source: Source::Ssm, held: Held::Cached, cached: Some(cached) },
            Outcome::Missing => {
                note(trail, Source::Stale, || "skipped: the parameter does not exist".into());
                let mut answer = self.defaults(idx, has_caller, trail);
                answer.cached = Some(cached);
                answer
            }
            Outcome::Failed(_) => match self.cache.stale(idx) {
                Some(stale) => {
                    self.stats.stale_served.fetch_add(1, Ordering::Relaxed);
                    let now = self.clock.now();
                    note(trail, Source::Stale, || {
                        format!(
                            "version {} fetched {}s ago",
                            stale.version,
                            now.saturating_duration_since(stale.fetched_at).as_secs()
                        )
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

fn describe_cached(cached: &Cached, now: Instant) -> String {
    let age = now.saturating_duration_since(cached.fetched_at).as_secs();
    let left = cached.expires_at.saturating_duration_since(now).as_secs();
    match &cached.outcome {
        Outcome::Found(f) => format!("version {} fetched {age}s ago, fresh for {left}s more", f.version),
        Outcome::Missing => format!("the parameter does not exist (asked {age}s ago)"),
        Outcome::Failed(e) => format!("the fetch {age}s ago failed: {e}"),
    }
}
