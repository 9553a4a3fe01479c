//! The stores, as Python classes: `SsmStore`, `MemoryStore`.

use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use ssmconf::{FileStore, MemoryStore, ParamType, ParameterStore, SsmStore, StoreError, StoreErrorKind};

use crate::runtime::block_on;

/// Parameter Store through the AWS SDK for Rust.
#[pyclass(name = "SsmStore", module = "ssmconf._ssmconf", frozen)]
pub struct PySsmStore {
    pub(crate) store: SsmStore,
}

#[pymethods]
impl PySsmStore {
    #[new]
    #[pyo3(signature = (region=None, endpoint_url=None, profile=None))]
    fn new(py: Python<'_>, region: Option<String>, endpoint_url: Option<String>, profile: Option<String>) -> Self {
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
        PySsmStore { store: block_on(py, builder.build()) }
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
            StoreArg::Ssm(s) => Arc::new(s.get().store.clone()),
            StoreArg::Memory(m) => Arc::new(m.get().store.clone()),
            StoreArg::File(f) => Arc::new(f.get().store.clone()),
        }
    }
}
