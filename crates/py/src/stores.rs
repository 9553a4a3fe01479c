//! The stores, as Python classes: `SsmStore`, `MemoryStore`, `FileStore`.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use ssmconf::{
    FileStore, MemoryStore, ParamType, Parameter, ParameterPage, ParameterStore, ParameterVersion, PutRequest,
    SsmStore, SsmStoreBuilder, StoreError, StoreErrorKind,
};
use tokio::sync::OnceCell;
use tokio::task::JoinHandle;

/// Parameter Store through the AWS SDK for Rust.
#[pyclass(name = "SsmStore", module = "ssmconf._ssmconf", frozen)]
pub struct PySsmStore {
    pub(crate) store: Arc<Deferred>,
}

/// An [`SsmStore`] whose construction (the AWS configuration chain, the
/// SDK client, its TLS set-up) starts on the runtime when the Python object
/// is made and is awaited by the first request: `SsmStore()` and
/// `Resolver(schema)` return at once, and whatever the program does before
/// its first read (building the resolver, its own imports) overlaps it.
pub(crate) struct Deferred {
    /// The store once built, in a cell of the fork generation that began
    /// it: a child forked while a parent thread was still waiting for the
    /// build would otherwise wait on a cell no thread of its own will fill.
    ready: Mutex<(u64, Arc<OnceCell<SsmStore>>)>,
    /// The build under way; taken by the first request that waits for it.
    task: Mutex<Option<JoinHandle<SsmStore>>>,
    /// To build again, in the caller's task, should the spawned build be lost.
    builder: SsmStoreBuilder,
    /// The fork generation that spawned the build: a forked child has no
    /// thread of its parent's runtime to finish it, and builds its own.
    born: u64,
}

impl Deferred {
    /// An `SsmStore` with the settings Python constructors take (each
    /// `None` leaves it to the AWS chain), built in the background.
    pub(crate) fn ssm(region: Option<String>, endpoint_url: Option<String>, profile: Option<String>) -> Arc<Self> {
        let mut builder = SsmStore::builder();
        if let Some(region) = region {
            builder = builder.region(region);
        }
        if let Some(url) = endpoint_url {
            builder = builder.endpoint_url(url);
        }
        if let Some(profile) = profile {
            builder = builder.profile(profile);
        }
        Self::start(builder)
    }

    pub(crate) fn start(builder: SsmStoreBuilder) -> Arc<Self> {
        let task = crate::runtime::handle().spawn(builder.clone().build());
        let born = ssmconf::fork::generation();
        let ready = Mutex::new((born, Arc::new(OnceCell::new())));
        Arc::new(Deferred { ready, task: Mutex::new(Some(task)), builder, born })
    }

    /// The store (a clone shares its client): the one built, else built now.
    async fn store(&self) -> SsmStore {
        let generation = ssmconf::fork::generation();
        let cell = {
            let mut ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner);
            if ready.0 != generation && !ready.1.initialized() {
                *ready = (generation, Arc::new(OnceCell::new()));
            }
            ready.1.clone()
        };
        cell.get_or_init(|| async {
            let task = match generation == self.born {
                true => self.task.lock().ok().and_then(|mut task| task.take()),
                false => None,
            };
            match task {
                Some(task) => match task.await {
                    Ok(store) => store,
                    Err(_) => self.builder.clone().build().await,
                },
                None => self.builder.clone().build().await,
            }
        })
        .await
        .clone()
    }
}

/// A spawned task, aborted when its handle is dropped before it ends.
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl std::fmt::Debug for Deferred {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ready = self.ready.lock().unwrap_or_else(PoisonError::into_inner).1.initialized();
        f.debug_struct("SsmStore").field("ready", &ready).finish_non_exhaustive()
    }
}

#[async_trait]
impl ParameterStore for Deferred {
    /// Each batch on a task of its own: the batches of one `load_all` are
    /// prepared (endpoint, signing, connection) on the runtime's threads at
    /// once, not one after the other on the caller's (0.4 to 0.5 ms each in
    /// a cold process, BENCHMARKS.md "Cold start"). Dropping the caller's
    /// future aborts the task, as dropping the request itself did.
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        let store = self.store().await;
        let names = names.to_vec();
        let mut task = AbortOnDrop(tokio::spawn(async move { store.get_parameters(&names).await }));
        match (&mut task.0).await {
            Ok(found) => found,
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(_) => Err(StoreError::new(StoreErrorKind::Other, "the request was cancelled (runtime shut down)")),
        }
    }

    async fn get_parameter(&self, name: &str) -> Result<Option<Parameter>, StoreError> {
        self.store().await.get_parameter(name).await
    }

    async fn get_parameters_encrypted(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.store().await.get_parameters_encrypted(names).await
    }

    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.store().await.put_parameter(request).await
    }

    async fn cache_scope(&self) -> Option<String> {
        self.store().await.cache_scope().await
    }

    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.store().await.parameter_history(name).await
    }

    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        self.store().await.parameters_by_path_page(path, recursive, next_token).await
    }

    async fn parameters_by_path_page_encrypted(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        self.store().await.parameters_by_path_page_encrypted(path, recursive, next_token).await
    }
}

#[pymethods]
impl PySsmStore {
    #[new]
    #[pyo3(signature = (region=None, endpoint_url=None, profile=None))]
    fn new(region: Option<String>, endpoint_url: Option<String>, profile: Option<String>) -> Self {
        PySsmStore { store: Deferred::ssm(region, endpoint_url, profile) }
    }

    fn __repr__(&self) -> String {
        "SsmStore()".to_string()
    }
}

/// Parameters in process memory, for tests and examples.
#[pyclass(name = "MemoryStore", module = "ssmconf._ssmconf", frozen)]
pub struct PyMemoryStore {
    pub(crate) store: MemoryStore,
}

fn param_type(name: &str) -> PyResult<ParamType> {
    match name {
        "String" => Ok(ParamType::String),
        "StringList" => Ok(ParamType::StringList),
        "SecureString" => Ok(ParamType::SecureString),
        other => Err(PyValueError::new_err(format!(
            "unknown parameter type `{other}`; use String, StringList or SecureString"
        ))),
    }
}

#[pymethods]
impl PyMemoryStore {
    #[new]
    #[pyo3(signature = (values=None))]
    fn new(values: Option<std::collections::BTreeMap<String, String>>) -> Self {
        PyMemoryStore { store: MemoryStore::from_values(values.unwrap_or_default()) }
    }

    #[pyo3(signature = (name, value, r#type="String"))]
    fn set(&self, name: String, value: String, r#type: &str) -> PyResult<i64> {
        Ok(self.store.set(name, value, param_type(r#type)?))
    }

    fn value(&self, name: &str) -> Option<String> {
        self.store.value(name)
    }

    #[pyo3(signature = (message=None))]
    fn fail(&self, message: Option<String>) {
        self.store.fail_with(message.map(|m| StoreError::new(StoreErrorKind::Throttled, m)));
    }

    #[getter]
    fn calls(&self) -> u64 {
        self.store.calls()
    }

    fn __repr__(&self) -> String {
        format!("{:?}", self.store)
    }
}

/// Parameters in a JSON file, for local development without AWS.
#[pyclass(name = "FileStore", module = "ssmconf._ssmconf", frozen)]
pub struct PyFileStore {
    pub(crate) store: FileStore,
}

#[pymethods]
impl PyFileStore {
    #[new]
    fn new(path: std::path::PathBuf) -> Self {
        PyFileStore { store: FileStore::new(path) }
    }

    #[getter]
    fn path(&self) -> String {
        self.store.path().display().to_string()
    }

    fn __repr__(&self) -> String {
        format!("FileStore('{}')", self.store.path().display())
    }
}

/// Any store, as the `store=` argument of `Resolver`.
#[derive(FromPyObject)]
pub enum StoreArg<'py> {
    Ssm(Bound<'py, PySsmStore>),
    Memory(Bound<'py, PyMemoryStore>),
    File(Bound<'py, PyFileStore>),
}

impl StoreArg<'_> {
    pub fn shared(&self) -> Arc<dyn ParameterStore> {
        match self {
            StoreArg::Ssm(s) => s.get().store.clone(),
            StoreArg::Memory(m) => Arc::new(m.get().store.clone()),
            StoreArg::File(f) => Arc::new(f.get().store.clone()),
        }
    }
}
