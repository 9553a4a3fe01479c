//! `ssmconf.Resolver`: each method converts its arguments, calls the core and
//! converts the result. Blocking calls release the GIL; a cache hit is
//! answered without entering the async runtime.
//!
//! The hit path of `get`, `require` and `r[key]` ([`Resolver::with_hit`])
//! reads the cached value in place and returns the Python object kept beside
//! it, so it takes one reference and makes nothing. A repeated hit with the
//! same key object is shorter still ([`Shortcuts`]). BENCHMARKS.md has what
//! each step of it costs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::time::Duration;

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping, PyString};
use ssmconf::{Answer, ImportFormat, ImportOptions, InitOptions, PromoteOptions, Resolver, Schema, SsmStore, Value};

use crate::convert::{from_py, schema_json, to_py};
use crate::errors::PyError;
use crate::runtime::block_on;
use crate::shortcuts::Shortcuts;
use crate::stores::{Deferred, StoreArg};
use crate::types::{PyCheckReport, PyHistoryEntry, PyInitPlan, PyResolved};

/// `refresh_ahead=`: a fraction of the TTL, or `True` for the last fifth.
struct RefreshAhead(f64);

impl<'py> FromPyObject<'_, 'py> for RefreshAhead {
    type Error = PyErr;

    fn extract(object: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(flag) = object.cast::<pyo3::types::PyBool>() {
            return Ok(RefreshAhead(if flag.is_true() { DEFAULT_REFRESH_AHEAD } else { 0.0 }));
        }
        object.extract::<f64>().map(RefreshAhead).map_err(|_| {
            PyTypeError::new_err("refresh_ahead must be a fraction of the TTL (0.2: the last fifth) or a bool")
        })
    }
}

/// `shared_cache_key=`: one key, a comma-separated string, or a list.
struct KeyList(String);

impl<'py> FromPyObject<'_, 'py> for KeyList {
    type Error = PyErr;

    fn extract(object: Borrowed<'_, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(one) = object.extract::<String>() {
            return Ok(KeyList(one));
        }
        object.extract::<Vec<String>>().map(|keys| KeyList(keys.join(","))).map_err(|_| {
            PyTypeError::new_err("shared_cache_key must be a str (32 bytes as hex or base64) or a list of them")
        })
    }
}

/// `refresh_ahead=True`: refresh in the last fifth of a TTL.
const DEFAULT_REFRESH_AHEAD: f64 = 0.2;

#[pyclass(name = "Resolver", module = "ssmconf._ssmconf", frozen)]
pub struct PyResolver {
    inner: Resolver,
    shortcuts: Shortcuts,
}

/// The value of an answer, or the caller's default when the chain said so.
fn answer_value<'py>(
    py: Python<'py>,
    answer: &Answer,
    default: Option<Bound<'py, PyAny>>,
) -> PyResult<Bound<'py, PyAny>> {
    match answer.value() {
        Some(v) => value_object(py, answer, v),
        None => Ok(default.unwrap_or_else(|| py.None().into_bound(py))),
    }
}

/// The Python object of an answer's value (see [`kept_object`]).
fn value_object<'py>(py: Python<'py>, answer: &Answer, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    kept_object(py, value, answer.memoized(), |object| {
        answer.keep_memo(object);
    })
}

/// The Python object of a value from SSM. An immutable one (str, int,
/// float, bool, None) becomes an object once per fetch, kept beside the
/// cached value (the core's memo: `kept` when there is one, `keep` to keep
/// one), so a hit makes no object and only takes a reference. A list or
/// dict is made per call: the caller may change it. Values that do not come
/// from SSM (literals, environment, defaults) have no memo and are made per
/// call too.
fn kept_object<'py>(
    py: Python<'py>,
    value: &Value,
    kept: Option<&Py<PyAny>>,
    keep: impl FnOnce(Py<PyAny>),
) -> PyResult<Bound<'py, PyAny>> {
    if let Some(kept) = kept {
        return Ok(kept.bind(py).clone());
    }
    let object = to_py(py, value)?;
    if !matches!(value, Value::Array(_) | Value::Object(_)) {
        // Made before it is kept: no other reader waits while Python runs.
        keep(object.clone().unbind());
    }
    Ok(object)
}

/// `key` as a `str`, or a `TypeError` that names the type given.
fn key_str<'a>(key: &'a Bound<'_, PyAny>) -> PyResult<&'a str> {
    key.cast::<PyString>()
        .map_err(|_| PyTypeError::new_err(format!("key must be a str, not {}", type_name(key))))?
        .to_str()
}

fn type_name(object: &Bound<'_, PyAny>) -> String {
    object.get_type().name().map_or_else(|_| "?".into(), |n| n.to_string())
}

/// The usual hit path, after the [`Shortcuts`] had nothing: the object of
/// `key`'s fresh value from SSM, read in place ([`Resolver::with_hit`]),
/// which fills the shortcut; or `None` when another step of the chain
/// answers. `name` is `key` as a `str`.
fn hit_object<'py>(
    py: Python<'py>,
    resolver: &Resolver,
    shortcuts: &Shortcuts,
    key: &Bound<'py, PyAny>,
    name: &str,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    let mut failed = None;
    let hit = resolver
        .with_hit(name, |hit| match hit.memoized::<Py<PyAny>>() {
            Some(kept) => Some((kept.bind(py).clone(), Some(hit.stamp()))),
            None => first_object(py, hit.value(), |object| {
                hit.keep_memo(object);
            })
            .map(|object| (object, None))
            .map_err(|e| failed = Some(e))
            .ok(),
        })
        .map_err(PyError)?;
    if let Some(e) = failed {
        return Err(e);
    }
    Ok(hit.flatten().map(|(object, kept)| {
        // A kept object is shared by every reader: the shortcut may hand it out.
        if let Some(stamp) = kept {
            shortcuts.fill(py, key, stamp, &object);
        }
        object
    }))
}

/// [`kept_object`] for a hit whose value has no object kept yet: the first
/// hit after a fetch, or a list or dict. Out of line, so that the usual hit
/// stays short.
#[cold]
#[inline(never)]
fn first_object<'py>(py: Python<'py>, value: &Value, keep: impl FnOnce(Py<PyAny>)) -> PyResult<Bound<'py, PyAny>> {
    kept_object(py, value, None, keep)
}

fn load_schema(schema: &Bound<'_, PyAny>) -> PyResult<Schema> {
    // Paths and dicts before the mapping check: `PyMapping` imports
    // `collections.abc`, which a cold start need not pay for (BENCHMARKS.md,
    // "Cold start").
    let path_like = schema.is_instance_of::<PyString>() || schema.hasattr("__fspath__")?;
    if !path_like && (schema.cast::<PyDict>().is_ok() || schema.cast::<PyMapping>().is_ok()) {
        // JSON is YAML: one loader, one set of rules and messages.
        let mut text = String::new();
        schema_json(schema, &mut text)?;
        return Ok(Schema::from_yaml_str(&text, "<dict>").map_err(PyError)?);
    }
    let path: PathBuf = schema.extract().map_err(|_| {
        PyTypeError::new_err("schema must be a path (str or os.PathLike) to a YAML file or directory, or a dict")
    })?;
    Ok(Schema::load(path).map_err(PyError)?)
}

/// A core report as nested dicts and lists, through its serde shape (the
/// same as the command line's `--output json`).
fn report<'py>(py: Python<'py>, report: serde_json::Result<Value>) -> PyResult<Bound<'py, PyAny>> {
    to_py(py, &report.map_err(|e| PyValueError::new_err(e.to_string()))?)
}

fn report_dict(py: Python<'_>, r: ssmconf::LoadReport) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("loaded", r.loaded)?;
    d.set_item("missing", r.missing)?;
    d.set_item("failed", r.failed)?;
    d.set_item("skipped", r.skipped)?;
    d.set_item("shared", r.shared)?;
    Ok(d)
}

/// What `get` and `require` do when the shortcut has nothing: out of line,
/// so that the shortcut stays short.
impl PyResolver {
    #[inline(never)]
    fn get_usual<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let name = key_str(key)?;
        if let Some(object) = hit_object(py, &self.inner, &self.shortcuts, key, name)? {
            return Ok(object);
        }
        let has_default = default.is_some();
        let answer = match self.inner.resolve_now(name, has_default).map_err(PyError)? {
            Some(answer) => answer,
            None => block_on(py, self.inner.resolve(name, has_default)).map_err(PyError)?,
        };
        answer_value(py, &answer, default)
    }

    #[inline(never)]
    fn require_usual<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let name = key_str(key)?;
        if let Some(object) = hit_object(py, &self.inner, &self.shortcuts, key, name)? {
            return Ok(object);
        }
        if let Some(answer) = self.inner.resolve_now(name, false).map_err(PyError)?
            && answer.value().is_some()
        {
            return answer_value(py, &answer, None);
        }
        let value: Value = block_on(py, self.inner.require(name)).map_err(PyError)?;
        to_py(py, &value)
    }
}

#[pymethods]
impl PyResolver {
    #[new]
    #[pyo3(signature = (schema, vars=None, ttl=None, store=None, *, snapshot=None, refresh_ahead=None, ttl_jitter=None, shared_cache=None, shared_cache_key=None, shared_cache_namespace=None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        schema: &Bound<'_, PyAny>,
        vars: Option<HashMap<String, String>>,
        ttl: Option<f64>,
        store: Option<StoreArg<'_>>,
        snapshot: Option<PathBuf>,
        refresh_ahead: Option<RefreshAhead>,
        ttl_jitter: Option<f64>,
        shared_cache: Option<String>,
        shared_cache_key: Option<KeyList>,
        shared_cache_namespace: Option<String>,
    ) -> PyResult<Self> {
        let schema = load_schema(schema)?;
        let mut builder = Resolver::builder(schema)
            .vars(vars.unwrap_or_default())
            // Background refreshes started by a synchronous read run on this
            // process's runtime (a fork child's own).
            .runtime_fn(crate::runtime::handle)
            .refresh_ahead(refresh_ahead.map_or(0.0, |r| r.0))
            .ttl_jitter(ttl_jitter.unwrap_or(0.0));
        if let Some(path) = snapshot {
            builder = builder.snapshot(path);
        }
        if let Some(url) = shared_cache {
            builder = builder.shared_cache(url);
        }
        if let Some(keys) = shared_cache_key {
            builder = builder.shared_cache_key(keys.0);
        }
        if let Some(namespace) = shared_cache_namespace {
            builder = builder.shared_cache_namespace(namespace);
        }
        if let Some(ttl) = ttl {
            let ttl = Duration::try_from_secs_f64(ttl)
                .map_err(|_| PyValueError::new_err("ttl must be a non-negative number of seconds"))?;
            builder = builder.ttl(ttl);
        }
        builder = match store {
            Some(store) => builder.shared_store(store.shared()),
            None => builder.shared_store(Deferred::start(SsmStore::builder())),
        };
        let inner = builder.build().map_err(PyError)?;
        let shortcuts = Shortcuts::new(py, inner.schema().keys().count())?;
        Ok(PyResolver { inner, shortcuts })
    }

    #[pyo3(signature = (key, default=None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        key: &Bound<'py, PyAny>,
        default: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        match self.shortcuts.hit(py, &self.inner, key) {
            Some(object) => Ok(object),
            None => self.get_usual(py, key, default),
        }
    }

    fn require<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        match self.shortcuts.hit(py, &self.inner, key) {
            Some(object) => Ok(object),
            None => self.require_usual(py, key),
        }
    }

    fn __getitem__<'py>(&self, py: Python<'py>, key: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        self.require(py, key)
    }

    fn __contains__(&self, key: &Bound<'_, PyAny>) -> bool {
        key.extract::<&str>().is_ok_and(|k| self.inner.schema().contains(k))
    }

    /// Whether `key` is an entry marked `secure: true` (false for a literal
    /// or a key not in the schema).
    fn is_secure(&self, key: &str) -> bool {
        self.inner.schema().is_secure(key)
    }

    fn keys(&self) -> Vec<String> {
        self.inner.schema().keys().map(str::to_string).collect()
    }

    fn explain(&self, py: Python<'_>, key: &str) -> PyResult<PyResolved> {
        let resolved = block_on(py, self.inner.explain(key)).map_err(PyError)?;
        PyResolved::new(py, resolved)
    }

    fn load_all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let report = block_on(py, self.inner.load_all()).map_err(PyError)?;
        report_dict(py, report)
    }

    fn extract<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let tree = block_on(py, self.inner.extract_value()).map_err(PyError)?;
        to_py(py, &tree)
    }

    fn put(&self, py: Python<'_>, key: &str, value: &Bound<'_, PyAny>) -> PyResult<i64> {
        let value = from_py(value)?;
        Ok(block_on(py, self.inner.put(key, value)).map_err(PyError)?)
    }

    fn invalidate(&self, key: &str) -> PyResult<()> {
        self.inner.try_invalidate(key).map_err(PyError)?;
        Ok(())
    }

    fn clear_cache(&self) {
        self.inner.clear_cache();
    }

    #[pyo3(signature = (dry_run=false, overwrite=false))]
    fn init(&self, py: Python<'_>, dry_run: bool, overwrite: bool) -> PyResult<PyInitPlan> {
        let plan = block_on(py, self.inner.init(InitOptions { dry_run, overwrite })).map_err(PyError)?;
        PyInitPlan::new(py, plan)
    }

    fn check(&self, py: Python<'_>) -> PyResult<PyCheckReport> {
        let report = block_on(py, self.inner.check()).map_err(PyError)?;
        PyCheckReport::new(py, report)
    }

    fn history(&self, py: Python<'_>, key: &str) -> PyResult<Vec<PyHistoryEntry>> {
        let versions = block_on(py, self.inner.history(key)).map_err(PyError)?;
        Ok(versions.into_iter().map(PyHistoryEntry::from).collect())
    }

    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.inner.stats();
        let d = PyDict::new(py);
        d.set_item("hits", s.hits)?;
        d.set_item("misses", s.misses)?;
        d.set_item("ssm_calls", s.ssm_calls)?;
        d.set_item("ssm_errors", s.ssm_errors)?;
        d.set_item("stale_served", s.stale_served)?;
        d.set_item("defaults_served", s.defaults_served)?;
        d.set_item("shared_hits", s.shared_hits)?;
        d.set_item("shared_errors", s.shared_errors)?;
        Ok(d)
    }

    /// One CloudWatch EMF line with the counts since the previous call.
    /// `dimensions`: a mapping of str to str, in its order.
    #[pyo3(signature = (namespace="ssmconf", dimensions=None))]
    fn metrics_emf(&self, namespace: &str, dimensions: Option<&Bound<'_, PyAny>>) -> PyResult<String> {
        let mut pairs = Vec::new();
        if let Some(dimensions) = dimensions.filter(|d| !d.is_none()) {
            let mapping = dimensions.cast::<PyMapping>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "dimensions must be a mapping of str to str, not {}",
                    type_name(dimensions)
                ))
            })?;
            for item in mapping.items()?.iter() {
                let (name, value): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
                let name: String = name.extract().map_err(|_| {
                    PyTypeError::new_err(format!("dimension names must be str, not {}", type_name(&name)))
                })?;
                let value: String = value.extract().map_err(|_| {
                    PyTypeError::new_err(format!(
                        "the value of dimension {name:?} must be a str, not {}; CloudWatch dimension values are strings",
                        type_name(&value)
                    ))
                })?;
                pairs.push((name, value));
            }
        }
        Ok(self.inner.metrics_emf(namespace, pairs).map_err(PyError)?)
    }

    fn handle_change_event(&self, event: &Bound<'_, PyAny>) -> PyResult<Vec<String>> {
        Ok(self.inner.handle_change_event(&from_py(event)?))
    }

    /// `exec`'s environment: variable name to value (secure values in
    /// clear); raises NotFoundError when a required value is missing.
    #[pyo3(signature = (only=None))]
    fn env_vars<'py>(&self, py: Python<'py>, only: Option<Vec<String>>) -> PyResult<Bound<'py, PyDict>> {
        let only = only.unwrap_or_default();
        let vars = block_on(py, self.inner.require_env_vars(&only)).map_err(PyError)?;
        let d = PyDict::new(py);
        for var in vars {
            d.set_item(var.name, var.value)?;
        }
        Ok(d)
    }

    #[pyo3(signature = (path, format=None, dry_run=false, overwrite=false, skip_invalid=false))]
    fn import_file<'py>(
        &self,
        py: Python<'py>,
        path: PathBuf,
        format: Option<&str>,
        dry_run: bool,
        overwrite: bool,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let format = format
            .map(|f| {
                ImportFormat::parse(f).ok_or_else(|| {
                    PyError(ssmconf::Error::Validation {
                        key: "format".into(),
                        reason: format!("`{f}` is not a format: use json, yaml or env"),
                    })
                })
            })
            .transpose()?;
        let options = ImportOptions { format, dry_run, overwrite, skip_invalid };
        let plan = block_on(py, self.inner.import_file(&path, options)).map_err(PyError)?;
        report(py, serde_json::to_value(&plan))
    }

    #[pyo3(signature = (values, dry_run=false, overwrite=false, skip_invalid=false))]
    fn import_values<'py>(
        &self,
        py: Python<'py>,
        values: &Bound<'py, PyAny>,
        dry_run: bool,
        overwrite: bool,
        skip_invalid: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let values = from_py(values)?;
        let options = ImportOptions { format: None, dry_run, overwrite, skip_invalid };
        let plan = block_on(py, self.inner.import_values(values, options)).map_err(PyError)?;
        report(py, serde_json::to_value(&plan))
    }

    #[pyo3(signature = (target, only=None, dry_run=false))]
    fn promote_to<'py>(
        &self,
        py: Python<'py>,
        target: &Bound<'py, PyResolver>,
        only: Option<Vec<String>>,
        dry_run: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let target = target.get().inner.clone();
        let options = PromoteOptions { only: only.unwrap_or_default(), dry_run };
        let done = block_on(py, self.inner.promote_to(&target, &options)).map_err(PyError)?;
        report(py, serde_json::to_value(&done))
    }

    #[pyo3(signature = (key, to=None))]
    fn rollback<'py>(&self, py: Python<'py>, key: &str, to: Option<i64>) -> PyResult<Bound<'py, PyAny>> {
        let done = block_on(py, self.inner.rollback(key, to)).map_err(PyError)?;
        report(py, serde_json::to_value(&done))
    }

    fn ssm_name(&self, key: &str) -> PyResult<String> {
        Ok(self.inner.ssm_name(key).map_err(PyError)?.to_string())
    }

    fn __repr__(&self) -> String {
        format!("Resolver(schema='{}', keys={})", self.inner.schema().origin().display(), self.inner.schema().len())
    }

    #[pyo3(signature = (key, default=None))]
    fn aget<'py>(&self, py: Python<'py>, key: String, default: Option<Py<PyAny>>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            let answer = inner.resolve(&key, default.is_some()).await.map_err(PyError)?;
            Python::attach(|py| answer_value(py, &answer, default.map(|d| d.into_bound(py))).map(Bound::unbind))
        })
    }

    fn arequire<'py>(&self, py: Python<'py>, key: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            let value: Value = inner.require(&key).await.map_err(PyError)?;
            Python::attach(|py| to_py(py, &value).map(Bound::unbind))
        })
    }

    fn aexplain<'py>(&self, py: Python<'py>, key: String) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            let resolved = inner.explain(&key).await.map_err(PyError)?;
            Python::attach(|py| PyResolved::new(py, resolved))
        })
    }

    fn aload_all<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        crate::runtime::future_into_py(py, async move {
            let report = inner.load_all().await.map_err(PyError)?;
            Python::attach(|py| report_dict(py, report).map(Bound::unbind))
        })
    }

    fn aput<'py>(&self, py: Python<'py>, key: String, value: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let inner = self.inner.clone();
        let value = from_py(value)?;
        crate::runtime::future_into_py(py, async move { Ok(inner.put(&key, value).await.map_err(PyError)?) })
    }
}
