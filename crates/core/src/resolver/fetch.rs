//! Talking to the store for reads: batching, single flight, decoding.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::StreamExt;

use super::Inner;
use super::cache::{Cached, Fetched, Outcome};
use crate::error::{StoreError, StoreErrorKind};
use crate::schema::is_secret_reference;
use crate::store::Parameter;

/// Batches of one `load_all` sent to the store at once.
const BATCHES_IN_FLIGHT: usize = 4;

impl Inner {
    /// Fetches one key for a reader. A reader that arrives while a fetch of
    /// the key is in flight waits for it and shares its outcome: concurrent
    /// readers make one store call, whatever the TTL.
    pub(crate) async fn fetch_one(&self, idx: usize, has_caller: bool) -> Arc<Cached> {
        let slot = self.cache.slot(idx);
        let arrived = slot.completed();
        let epoch = self.cache.epoch(idx);
        let mut flight = slot.flight().lock_owned().await;
        if flight.completed > arrived
            && let Some(last) = flight.last.as_ref().filter(|l| l.epoch == epoch)
        {
            return last.clone();
        }
        if let Some(cached) = self.cache.fresh(idx, self.clock.now()) {
            return cached;
        }
        let cached = self.fetch_fresh(idx).await;
        self.cache.record(idx, &cached);
        self.cache.complete(idx, &mut flight, &cached);
        self.warn_fallback(idx, &cached, has_caller);
        self.remember(std::iter::once(&*cached));
        cached
    }

    /// Fetches every key of `idxs` that is not fresh, in as few requests as
    /// the store allows. Answers how many outcomes were fetched.
    pub(crate) async fn fetch_many(&self, idxs: &[usize]) -> Vec<(usize, Arc<Cached>)> {
        // Each path entry is a batch of its own (its pages go concurrently
        // with the other batches).
        let (paths, names): (Vec<usize>, Vec<usize>) = idxs.iter().partition(|&&i| self.is_path(i));
        let mut batches =
            plan_batches(&names, |i| self.bound(i).map(|b| (&*b.name.full, &*b.name.plain)), self.store.max_batch());
        batches.extend(paths.into_iter().map(|i| vec![i]));
        futures_util::stream::iter(batches)
            .map(|batch| self.fetch_batch(batch))
            .buffer_unordered(BATCHES_IN_FLIGHT)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .flatten()
            .collect()
    }

    async fn fetch_batch(&self, mut batch: Vec<usize>) -> Vec<(usize, Arc<Cached>)> {
        // Slots are locked in ascending order, by every caller: no deadlock.
        batch.sort_unstable();
        batch.dedup();
        let mut guards = Vec::with_capacity(batch.len());
        for &idx in &batch {
            guards.push(self.cache.slot(idx).flight().lock_owned().await);
        }
        let now = self.clock.now();
        let (need, mut guards): (Vec<usize>, Vec<_>) = batch
            .iter()
            .zip(guards)
            .filter(|(idx, _)| self.cache.fresh(**idx, now).is_none())
            .map(|(i, g)| (*i, g))
            .unzip();
        if need.is_empty() {
            return Vec::new();
        }
        let outcomes = self.request(&need).await;
        let fetched: Vec<(usize, Arc<Cached>)> = need
            .iter()
            .zip(outcomes)
            .zip(guards.iter_mut())
            .map(|((&idx, cached), flight)| {
                self.cache.record(idx, &cached);
                self.cache.complete(idx, flight, &cached);
                self.warn_fallback(idx, &cached, false);
                (idx, cached)
            })
            .collect();
        self.remember(fetched.iter().map(|(_, c)| &**c));
        fetched
    }

    /// One store request for `idxs` (at most one batch, distinct names; a
    /// Secrets Manager reference alone); a path entry reads all its pages.
    pub(crate) async fn request(&self, idxs: &[usize]) -> Vec<Arc<Cached>> {
        if !idxs.iter().any(|&i| self.is_path(i)) {
            return self.request_names(idxs).await;
        }
        let mut out = Vec::with_capacity(idxs.len());
        for &idx in idxs {
            out.push(match self.is_path(idx) {
                true => self.request_path(idx).await,
                false => self.request_names(&[idx]).await.pop().expect("one outcome per key"),
            });
        }
        out
    }

    async fn request_names(&self, idxs: &[usize]) -> Vec<Arc<Cached>> {
        let epochs: Vec<_> = idxs.iter().map(|&i| self.cache.epoch(i)).collect();
        let mut names: Vec<String> = Vec::with_capacity(idxs.len());
        let mut slot_of: Vec<usize> = Vec::with_capacity(idxs.len());
        for &idx in idxs {
            let full = &self.bound(idx).expect("only entries are fetched").name.full;
            match names.iter().position(|n| n == full) {
                Some(pos) => slot_of.push(pos),
                None => {
                    slot_of.push(names.len());
                    names.push(full.clone());
                }
            }
        }
        let found = self.read_names(&names).await;
        let now = self.clock.now();
        let wall = self.clock.wall(now);
        if found.iter().any(Result::is_ok) {
            let n = found.iter().filter(|p| matches!(p, Ok(Some(_)))).count();
            tracing::info!(target: "ssmconf", count = n, requested = names.len(), "Loaded {n} parameters from Parameter Store");
        }
        idxs.iter()
            .zip(epochs)
            .zip(slot_of)
            .map(|((&idx, epoch), pos)| {
                let outcome = match &found[pos] {
                    Ok(Some(p)) => self.decode_parameter(idx, p, now, wall),
                    Ok(None) => Outcome::Missing,
                    Err(e) => Outcome::Failed(e.clone()),
                };
                let ttl = self.bound(idx).expect("entry").ttl;
                let expires_at = now + self.jittered(ttl);
                Arc::new(Cached { outcome, fetched_at: now, fetched_wall: wall, expires_at, ttl, epoch })
            })
            .collect()
    }

    /// Reads `names` straight from the store (not the cache): one result
    /// per name, in order. For `init`, `check` and `diff`, which judge what
    /// the store holds now.
    pub(crate) async fn read_direct(&self, names: &[String]) -> Vec<Result<Option<Parameter>, StoreError>> {
        self.read_names(names).await
    }

    /// Reads `names` in as few requests as the store allows: plain names in
    /// batches of the store's size, each Secrets Manager reference in a
    /// request of its own (`GetParameter`), so that a missing or forbidden
    /// secret fails only its own name. A request that failed gives its
    /// error to each of its names. Answers one result per name, in order.
    async fn read_names(&self, names: &[String]) -> Vec<Result<Option<Parameter>, StoreError>> {
        let mut found: Vec<Option<Result<Option<Parameter>, StoreError>>> = vec![None; names.len()];
        let (secrets, plain): (Vec<usize>, Vec<usize>) =
            (0..names.len()).partition(|&i| is_secret_reference(&names[i]));
        for chunk in plain.chunks(self.store.max_batch().max(1)) {
            let asked: Vec<String> = chunk.iter().map(|&i| names[i].clone()).collect();
            match self.call_store(self.store.get_parameters(&asked)).await {
                Ok(params) => {
                    let mut params = params.into_iter();
                    for &i in chunk {
                        found[i] = Some(Ok(params.next().flatten()));
                    }
                }
                Err(e) => chunk.iter().for_each(|&i| found[i] = Some(Err(e.clone()))),
            }
        }
        // One request per distinct reference (keys that read two members of
        // one secret share it), a few at a time.
        let mut distinct: Vec<usize> = Vec::with_capacity(secrets.len());
        for &i in &secrets {
            if !distinct.iter().any(|&j| names[j] == names[i]) {
                distinct.push(i);
            }
        }
        let answers: Vec<(usize, Result<Option<Parameter>, StoreError>)> = futures_util::stream::iter(distinct)
            .map(|i| async move {
                let result = self.call_store(self.store.get_parameter(&names[i])).await;
                (i, result.map(|p| p.map(|p| Parameter { name: names[i].clone(), ..p })))
            })
            .buffer_unordered(BATCHES_IN_FLIGHT)
            .collect()
            .await;
        for (i, result) in answers {
            for &j in secrets.iter().filter(|&&j| names[j] == names[i]) {
                found[j] = Some(result.clone());
            }
        }
        found.into_iter().map(|f| f.expect("every name was read")).collect()
    }

    /// Counts a store request and its failure.
    pub(crate) async fn call_store<T>(
        &self,
        call: impl Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        self.stats.ssm_calls.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let result = call.await;
        if let Err(e) = &result {
            self.stats.ssm_errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            tracing::debug!(target: "ssmconf", error = %e, "Parameter Store request failed");
        }
        result
    }

    fn decode_parameter(
        &self,
        idx: usize,
        p: &Parameter,
        now: std::time::Instant,
        wall: std::time::SystemTime,
    ) -> Outcome {
        let entry = self.entry(idx).expect("entry");
        match entry.decode_stored(&p.value) {
            Ok(value) => Outcome::Found(Arc::new(Fetched {
                value: Arc::new(value),
                version: p.version,
                fetched_at: now,
                fetched_wall: wall,
                memo: std::sync::OnceLock::new(),
                origin: None,
                raw: self.keeps_raw().then(|| p.value.clone().into()),
            })),
            Err(reason) => Outcome::Failed(StoreError::new(
                StoreErrorKind::InvalidValue,
                format!("{} (version {}): {reason}", p.name, p.version),
            )),
        }
    }

    /// The warning of SPEC.md, once per failed fetch (failures are cached
    /// for the TTL, so once per key per TTL).
    fn warn_fallback(&self, idx: usize, cached: &Cached, has_caller: bool) {
        let Outcome::Failed(error) = &cached.outcome else { return };
        let key = &self.schema.inner.leaves[idx].key;
        let source = if self.cache.stale(idx).is_some() {
            "stale"
        } else if self.entry(idx).is_some_and(|e| e.default.is_some()) {
            "default"
        } else if has_caller {
            "caller"
        } else {
            tracing::warn!(target: "ssmconf", key = %key, "No value for {key}: Parameter Store failed and nothing falls back: {error}");
            return;
        };
        tracing::warn!(target: "ssmconf", key = %key, source, "Using fallback value for {key} ({source}): {error}");
    }
}

/// Splits `idxs` into store requests: at most `max` distinct names each,
/// never two selectors of one plain name in one request (SSM-compatible
/// servers may answer both under the plain name), and each Secrets Manager
/// reference in a request of its own. Keys that share a full name share a
/// slot of the request.
pub(crate) fn plan_batches<'a>(
    idxs: &[usize],
    name_of: impl Fn(usize) -> Option<(&'a str, &'a str)>,
    max: usize,
) -> Vec<Vec<usize>> {
    struct Batch<'a> {
        idxs: Vec<usize>,
        full: HashMap<&'a str, ()>,
        plain: HashMap<&'a str, ()>,
        /// A Secrets Manager reference: no other name joins it.
        solo: bool,
    }
    let max = max.max(1);
    let mut batches: Vec<Batch<'a>> = Vec::new();
    for &idx in idxs {
        let Some((full, plain)) = name_of(idx) else { continue };
        let solo = is_secret_reference(full);
        let home = batches.iter().position(|b| b.full.contains_key(full)).or_else(|| {
            batches.iter().position(|b| !solo && !b.solo && b.full.len() < max && !b.plain.contains_key(plain))
        });
        let batch = match home {
            Some(i) => &mut batches[i],
            None => {
                batches.push(Batch { idxs: Vec::new(), full: HashMap::new(), plain: HashMap::new(), solo });
                batches.last_mut().expect("just pushed")
            }
        };
        batch.idxs.push(idx);
        batch.full.insert(full, ());
        batch.plain.insert(plain, ());
    }
    batches.into_iter().map(|b| b.idxs).collect()
}

#[cfg(test)]
mod tests {
    use super::plan_batches;

    #[test]
    fn batches_hold_ten_distinct_names() {
        let names: Vec<(String, String)> = (0..30).map(|i| (format!("/p/{i}"), format!("/p/{i}"))).collect();
        let idxs: Vec<usize> = (0..30).collect();
        let batches = plan_batches(&idxs, |i| names.get(i).map(|(f, p)| (f.as_str(), p.as_str())), 10);
        assert_eq!(batches.iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 10, 10]);
    }

    #[test]
    fn each_secret_reference_is_a_request_of_its_own() {
        let names = [
            ("/p/0", "/p/0"),
            ("/aws/reference/secretsmanager/jwt", "/aws/reference/secretsmanager/jwt"),
            ("/p/1", "/p/1"),
            ("/aws/reference/secretsmanager/jwt:AWSPREVIOUS", "/aws/reference/secretsmanager/jwt"),
            ("/aws/reference/secretsmanager/jwt", "/aws/reference/secretsmanager/jwt"),
            ("/aws/reference/secretsmanager/db", "/aws/reference/secretsmanager/db"),
        ];
        let batches = plan_batches(&[0, 1, 2, 3, 4, 5], |i| names.get(i).copied(), 10);
        // Two keys reading one secret (two members, say) share its request.
        assert_eq!(batches, vec![vec![0, 2], vec![1, 4], vec![3], vec![5]]);
    }

    #[test]
    fn selectors_of_one_name_go_to_separate_batches_and_duplicates_share() {
        let names = [("/a:1", "/a"), ("/a:2", "/a"), ("/a:1", "/a"), ("/b", "/b")];
        let batches = plan_batches(&[0, 1, 2, 3], |i| names.get(i).copied(), 10);
        assert_eq!(batches, vec![vec![0, 2, 3], vec![1]]);
    }
}
