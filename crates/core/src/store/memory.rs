//! [`MemoryStore`]: parameters in process memory, for tests and examples.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use async_trait::async_trait;

use super::{
    ParamType, Parameter, ParameterStore, ParameterVersion, PutRequest, page_of, select_version, under_path_at,
};
use crate::error::{StoreError, StoreErrorKind};
use crate::schema::split_selector;

/// Parameters kept in memory, with versions and history like SSM.
///
/// Clones share the same parameters. It can be told to fail
/// ([`fail_with`](Self::fail_with)) to show and test the fallback chain.
///
/// ```
/// use ssmconf::MemoryStore;
/// let store = MemoryStore::from_values([("/app/dev/model", "GPT_4O")]);
/// assert_eq!(store.value("/app/dev/model").as_deref(), Some("GPT_4O"));
/// ```
#[derive(Clone, Default)]
pub struct MemoryStore {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    params: Mutex<HashMap<String, Vec<ParameterVersion>>>,
    failure: Mutex<Option<StoreError>>,
    calls: AtomicU64,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore").field("parameters", &self.lock().len()).finish()
    }
}

impl MemoryStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// A store holding `String` parameters, each at version 1.
    pub fn from_values<N: Into<String>, V: Into<String>>(values: impl IntoIterator<Item = (N, V)>) -> Self {
        let store = Self::new();
        for (name, value) in values {
            store.set(name, value, ParamType::String);
        }
        store
    }

    /// Writes a parameter directly (a new version), bypassing the failure
    /// switch. Answers the new version.
    pub fn set(&self, name: impl Into<String>, value: impl Into<String>, param_type: ParamType) -> i64 {
        let mut params = self.lock();
        let versions = params.entry(name.into()).or_default();
        let version = versions.last().map_or(1, |v| v.version + 1);
        versions.push(ParameterVersion {
            version,
            value: value.into(),
            param_type,
            last_modified: Some(SystemTime::now()),
            modified_by: None,
            description: versions.last().and_then(|v| v.description.clone()),
            labels: Vec::new(),
        });
        version
    }

    /// Deletes a parameter and its history.
    pub fn remove(&self, name: &str) -> bool {
        self.lock().remove(name).is_some()
    }

    /// The current value of a parameter, if it exists.
    #[must_use]
    pub fn value(&self, name: &str) -> Option<String> {
        self.lock().get(name).and_then(|v| v.last()).map(|v| v.value.clone())
    }

    /// The current type of a parameter, if it exists.
    #[must_use]
    pub fn param_type(&self, name: &str) -> Option<ParamType> {
        self.lock().get(name).and_then(|v| v.last()).map(|v| v.param_type)
    }

    /// Makes every request fail with `error` (or succeed again with `None`).
    pub fn fail_with(&self, error: Option<StoreError>) {
        *self.inner.failure.lock().unwrap_or_else(|e| e.into_inner()) = error;
    }

    /// How many requests the store has answered or refused.
    #[must_use]
    pub fn calls(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Vec<ParameterVersion>>> {
        self.inner.params.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn begin(&self) -> Result<(), StoreError> {
        self.inner.calls.fetch_add(1, Ordering::Relaxed);
        match &*self.inner.failure.lock().unwrap_or_else(|e| e.into_inner()) {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl ParameterStore for MemoryStore {
    /// One scope per store (its clones share it): two resolvers share
    /// through the shared cache only when they share this store.
    async fn cache_scope(&self) -> Option<String> {
        Some(format!("memory:{}:{:p}", std::process::id(), Arc::as_ptr(&self.inner)))
    }

    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.begin()?;
        let params = self.lock();
        Ok(names
            .iter()
            .map(|name| {
                let (plain, selector) = split_selector(name);
                let found = select_version(params.get(plain)?, selector, |v| v.version, |v| &v.labels)?;
                Some(Parameter {
                    name: name.clone(),
                    value: found.value.clone(),
                    version: found.version,
                    param_type: found.param_type,
                    last_modified: found.last_modified,
                })
            })
            .collect())
    }

    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.begin()?;
        let mut params = self.lock();
        let versions = params.entry(request.name.clone()).or_default();
        if !versions.is_empty() && !request.overwrite {
            return Err(StoreError::new(
                StoreErrorKind::Rejected,
                format!("parameter {} already exists", request.name),
            ));
        }
        let version = versions.last().map_or(1, |v| v.version + 1);
        versions.push(ParameterVersion {
            version,
            value: request.value.clone(),
            param_type: request.param_type,
            last_modified: Some(SystemTime::now()),
            modified_by: Some("ssmconf:memory".to_string()),
            description: request.description.clone(),
            labels: Vec::new(),
        });
        Ok(version)
    }

    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.begin()?;
        Ok(self.lock().get(name).cloned().unwrap_or_default())
    }

    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<super::ParameterPage, StoreError> {
        self.begin()?;
        let params = self.lock();
        let mut found: Vec<Parameter> = params
            .iter()
            .filter(|(name, _)| under_path_at(path, name, recursive))
            .filter_map(|(name, versions)| {
                let last = versions.last()?;
                Some(Parameter {
                    name: name.clone(),
                    value: last.value.clone(),
                    version: last.version,
                    param_type: last.param_type,
                    last_modified: last.last_modified,
                })
            })
            .collect();
        found.sort_by(|a, b| a.name.cmp(&b.name));
        page_of(found, next_token)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn versions_selectors_and_failures() {
        let store = MemoryStore::from_values([("/a/b", "one")]);
        store.set("/a/b", "two", ParamType::String);
        let got =
            store.get_parameters(&["/a/b".into(), "/a/b:1".into(), "/a/b:9".into(), "/nope".into()]).await.unwrap();
        assert_eq!(got[0].as_ref().map(|p| (p.value.as_str(), p.version)), Some(("two", 2)));
        assert_eq!(got[1].as_ref().map(|p| (p.value.as_str(), p.name.as_str())), Some(("one", "/a/b:1")));
        assert!(got[2].is_none() && got[3].is_none());

        let put = PutRequest {
            name: "/a/b".into(),
            value: "three".into(),
            param_type: ParamType::String,
            description: None,
            tags: vec![],
            overwrite: false,
        };
        let err = store.put_parameter(&put).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Rejected);
        assert_eq!(store.put_parameter(&PutRequest { overwrite: true, ..put }).await.unwrap(), 3);
        assert_eq!(store.parameter_history("/a/b").await.unwrap().len(), 3);

        store.fail_with(Some(StoreError::new(StoreErrorKind::Network, "down")));
        assert_eq!(store.get_parameters(&["/a/b".into()]).await.unwrap_err().kind(), StoreErrorKind::Network);
        store.fail_with(None);
        assert!(store.get_parameters(&["/a/b".into()]).await.is_ok());
        assert_eq!(store.calls(), 6);
    }

    #[tokio::test]
    async fn listing_by_path_pages_like_ssm() {
        let store = MemoryStore::new();
        for i in 0..23 {
            store.set(format!("/app/flags/f{i:02}"), i.to_string(), ParamType::String);
        }
        store.set("/app/flags/deep/one", "1", ParamType::String);
        store.set("/app/flagsother", "x", ParamType::String);
        store.set("/app/flags", "itself", ParamType::String);

        let first = store.parameters_by_path_page("/app/flags", false, None).await.unwrap();
        assert_eq!(first.parameters.len(), 10);
        assert_eq!(first.parameters[0].name, "/app/flags/f00");
        let token = first.next_token.expect("a second page");
        let second = store.parameters_by_path_page("/app/flags", false, Some(&token)).await.unwrap();
        assert_eq!(second.parameters[0].name, "/app/flags/f10");

        // Only the level below without `recursive`; never the path itself
        // or a sibling that shares its letters.
        let flat = store.parameters_by_path("/app/flags/", false).await.unwrap();
        assert_eq!(flat.len(), 23);
        let deep = store.parameters_by_path("/app/flags", true).await.unwrap();
        assert_eq!(deep.len(), 24);
        assert!(deep.iter().any(|p| p.name == "/app/flags/deep/one"));
        assert!(deep.iter().all(|p| p.name != "/app/flagsother" && p.name != "/app/flags"));

        let bad = store.parameters_by_path_page("/app/flags", true, Some("nonsense")).await.unwrap_err();
        assert_eq!(bad.kind(), StoreErrorKind::Rejected);
    }

    #[test]
    fn debug_shows_no_values() {
        let store = MemoryStore::new();
        store.set("/s", "hunter2", ParamType::SecureString);
        assert_eq!(format!("{store:?}"), "MemoryStore { parameters: 1 }");
    }
}
