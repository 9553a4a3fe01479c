//! Fetching a path entry (`ssm_path`): every page of GetParametersByPath,
//! decoded leaf by leaf into one mapping, cached as one unit.
//!
//! The mapping walks the chain like any value: single flight (the entry's
//! slot), the cache, stale on a failed page, the default. A failure on any
//! page fails the whole fetch, so a partial mapping is never cached. An
//! empty path (no parameter under it) is "does not exist", so the default
//! answers. Path entries stay out of the shared cache tier: its rule is to
//! decode and check one value a key, and a path's value is many parameters
//! (see `shared::tier`). Their `version` in the cache is the number of
//! parameters the mapping holds.

use std::sync::Arc;

use super::Inner;
use super::cache::{Cached, Fetched, Outcome};
use crate::error::{StoreError, StoreErrorKind};
use crate::schema::{Entry, build_tree};
use crate::store::Parameter;

/// The most pages one fetch reads (100,000 parameters at 10 a page): a
/// bound against a store whose tokens never run out.
const MAX_PAGES: usize = 10_000;

impl Inner {
    /// True when `idx` is a path entry.
    pub(crate) fn is_path(&self, idx: usize) -> bool {
        self.entry(idx).is_some_and(Entry::is_path)
    }

    /// Reads every page under the path of `idx`, each page one store call.
    ///
    /// # Errors
    /// See [`list_path`](Self::list_path).
    pub(crate) async fn read_path(&self, idx: usize) -> Result<Vec<Parameter>, StoreError> {
        let entry = self.entry(idx).expect("a path entry");
        let recursive = entry.path.as_ref().is_none_or(|p| p.recursive);
        let path = &self.bound(idx).expect("an entry").name.plain;
        self.list_path(path, recursive, true).await
    }

    /// Every page under `path` (decrypted, or as SSM stores SecureStrings),
    /// each page one counted store call: for path entries and for
    /// [`Resolver::parameters_by_path`](crate::Resolver::parameters_by_path).
    ///
    /// # Errors
    /// The first failed page's error; one naming the bound when the pages
    /// do not end (more than `MAX_PAGES`, or the same token twice).
    pub(crate) async fn list_path(
        &self,
        path: &str,
        recursive: bool,
        decrypt: bool,
    ) -> Result<Vec<Parameter>, StoreError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let page = if decrypt {
                self.call_store(self.store.parameters_by_path_page(path, recursive, token.as_deref())).await?
            } else {
                self.call_store(self.store.parameters_by_path_page_encrypted(path, recursive, token.as_deref())).await?
            };
            found.extend(page.parameters);
            match page.next_token {
                Some(next) if token.as_deref() == Some(next.as_str()) => {
                    return Err(StoreError::new(
                        StoreErrorKind::Other,
                        format!("listing {path}: the store gave the same NextToken twice"),
                    ));
                }
                Some(next) => token = Some(next),
                None => return Ok(found),
            }
        }
        Err(StoreError::new(StoreErrorKind::Other, format!("listing {path}: more than {MAX_PAGES} pages")))
    }

    /// One fetch of the path entry `idx`: the whole mapping, or why not.
    pub(crate) async fn request_path(&self, idx: usize) -> Arc<Cached> {
        let epoch = self.cache.epoch(idx);
        let found = self.read_path(idx).await;
        let now = self.clock.now();
        let wall = self.clock.wall(now);
        let outcome = match found {
            Err(e) => Outcome::Failed(e),
            Ok(params) if params.is_empty() => Outcome::Missing,
            Ok(params) => match self.decode_path(idx, &params) {
                Ok((value, count)) => {
                    let path = &self.bound(idx).expect("entry").name.plain;
                    tracing::info!(target: "ssmconf", count, path = %path, "Loaded {count} parameters under {path} from Parameter Store");
                    Outcome::Found(Arc::new(Fetched {
                        value: Arc::new(value),
                        version: i64::try_from(count).unwrap_or(i64::MAX),
                        fetched_at: now,
                        fetched_wall: wall,
                        memo: std::sync::OnceLock::new(),
                        origin: None,
                        raw: None,
                    }))
                }
                Err(e) => Outcome::Failed(e),
            },
        };
        let ttl = self.bound(idx).expect("entry").ttl;
        let expires_at = now + self.jittered(ttl);
        Arc::new(Cached { outcome, fetched_at: now, fetched_wall: wall, expires_at, ttl, epoch })
    }

    /// Decodes each parameter by the entry's type and nests them by name.
    /// A leaf that does not decode fails the whole mapping, naming its key
    /// and SSM name (never a secure value).
    pub(crate) fn decode_path(&self, idx: usize, params: &[Parameter]) -> Result<(crate::Value, usize), StoreError> {
        let entry = self.entry(idx).expect("a path entry");
        let path = &self.bound(idx).expect("an entry").name.plain;
        let mut leaves = Vec::with_capacity(params.len());
        for p in params {
            let Some(relative) = relative_name(path, &p.name) else {
                tracing::debug!(target: "ssmconf", name = %p.name, path = %path, "Ignoring a listed name that is not under the path");
                continue;
            };
            let value = crate::value::decode(&p.value, entry.value_type, entry.secure).map_err(|reason| {
                StoreError::new(
                    StoreErrorKind::InvalidValue,
                    format!("{} (version {}), key `{relative}` under {path}: {reason}", p.name, p.version),
                )
            })?;
            leaves.push((relative, value));
        }
        Ok(build_tree(leaves))
    }
}

/// Every string in a mapping, at any depth (to mask secure leaves).
pub(crate) fn string_leaves(value: &crate::Value) -> Vec<&str> {
    match value {
        crate::Value::String(s) if !s.is_empty() => vec![s.as_str()],
        crate::Value::Object(map) => map.values().flat_map(string_leaves).collect(),
        crate::Value::Array(items) => items.iter().flat_map(string_leaves).collect(),
        _ => Vec::new(),
    }
}

/// `name` relative to `path` (`/p/a/b` under `/p` is `a/b`), if under it.
pub(crate) fn relative_name<'a>(path: &str, name: &'a str) -> Option<&'a str> {
    let rest = name.strip_prefix(path.trim_end_matches('/'))?.strip_prefix('/')?;
    (!rest.is_empty()).then_some(rest)
}
