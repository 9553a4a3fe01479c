//! Names outside the schema, for `ssmconf.parameters` (the Powertools
//! parameters utility's interface): the class `Parameters` (one cache and
//! one store; `SSMProvider` in Python wraps one) and `get_parameter`, the
//! module-level read on the process's default instance.
//!
//! Caching, single flight, retries and stale-on-error are the core's
//! ([`Resolver::parameter_with`]); this file converts. A transform (`json`,
//! `binary`, `auto`) runs once per fetch: its object is kept in the cached
//! value's memo cell for that transform, so a hit makes no object.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};
use std::time::Duration;

use arc_swap::ArcSwapOption;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyList, PyString};
use ssmconf::{OpenValue, ParamType, ParameterOptions, ParameterStore, PutRequest, Resolver, Schema};

use crate::stores::{Deferred, StoreArg};

pyo3::import_exception!(ssmconf.parameters.exceptions, GetParameterError);
pyo3::import_exception!(ssmconf.parameters.exceptions, TransformParameterError);
pyo3::import_exception!(ssmconf.parameters.exceptions, SetParameterError);

const MAX_AGE_ENV: &str = "POWERTOOLS_PARAMETERS_MAX_AGE";
const DECRYPT_ENV: &str = "POWERTOOLS_PARAMETERS_SSM_DECRYPT";
const ERRORS_KEY: &str = "_errors";

/// A transform, and the memo cell its object is kept in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Transform {
    None = 0,
    Json = 1,
    Binary = 2,
    Auto = 3,
}

impl Transform {
    fn parse(name: Option<&str>) -> PyResult<Self> {
        match name {
            None => Ok(Transform::None),
            Some("json") => Ok(Transform::Json),
            Some("binary") => Ok(Transform::Binary),
            Some("auto") => Ok(Transform::Auto),
            Some(other) => Err(TransformParameterError::new_err(format!(
                "Unable to transform value using '{other}' transform: the transforms are 'json', 'binary' and 'auto'"
            ))),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Transform::None => "None",
            Transform::Json => "json",
            Transform::Binary => "binary",
            Transform::Auto => "auto",
        }
    }

    /// What `auto` means for `key`: the part after its last `.`, as
    /// Powertools reads it (`key.rsplit(".")[-1]`).
    fn for_key(self, key: &str) -> Transform {
        if self != Transform::Auto {
            return self;
        }
        match key.rsplit('.').next() {
            Some("json") => Transform::Json,
            Some("binary") => Transform::Binary,
            _ => Transform::None,
        }
    }
}

/// `value` transformed for `key`; the error names the transform and
/// Python's reason (which never quotes the value).
fn transformed(py: Python<'_>, key: &str, value: &str, transform: Transform) -> PyResult<Py<PyAny>> {
    static JSON_LOADS: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    static B64DECODE: PyOnceLock<Py<PyAny>> = PyOnceLock::new();
    let result = match transform.for_key(key) {
        Transform::None | Transform::Auto => return Ok(PyString::new(py, value).into_any().unbind()),
        Transform::Json => JSON_LOADS.import(py, "json", "loads")?.call1((value,)),
        Transform::Binary => B64DECODE.import(py, "base64", "b64decode")?.call1((value,)),
    };
    result.map(Bound::unbind).map_err(|e| {
        TransformParameterError::new_err(format!(
            "Unable to transform value using '{}' transform: {}",
            transform.name(),
            e.value(py)
        ))
    })
}

/// The object kept for a transform of a name's value.
struct Kept(Py<PyAny>);

/// The objects kept for a transform of a path's values: the dict, and the
/// first transform error (the dict holds `None` for it).
struct KeptDict {
    dict: Py<PyDict>,
    error: Option<String>,
}

fn get_error(e: ssmconf::Error) -> PyErr {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(&e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    GetParameterError::new_err(message)
}

fn not_found(name: &str) -> PyErr {
    GetParameterError::new_err(format!("ParameterNotFound: Parameter {name} not found."))
}

/// Powertools' `strtobool`.
fn truthy(raw: &str) -> PyResult<bool> {
    match raw.to_ascii_lowercase().as_str() {
        "1" | "y" | "yes" | "t" | "true" | "on" => Ok(true),
        "0" | "n" | "no" | "f" | "false" | "off" => Ok(false),
        _ => Err(PyValueError::new_err(format!("invalid truth value '{raw}'"))),
    }
}

/// The environment's `POWERTOOLS_PARAMETERS_MAX_AGE` in nanoseconds as
/// last read, or [`UNREAD`]; and `POWERTOOLS_PARAMETERS_SSM_DECRYPT` (0
/// unread, 1 false, 2 true). A hit uses these (reading the environment
/// costs 50 to 80 ns a variable); every fetch, and `clear_caches()`, reads
/// the environment again, so a change takes effect from the next fetch:
/// as in Powertools, where a value's expiry is set when it is fetched.
static ENV_MAX_AGE: AtomicU64 = AtomicU64::new(UNREAD);
static ENV_DECRYPT: AtomicU8 = AtomicU8::new(0);
const UNREAD: u64 = u64::MAX;

fn forget_env() {
    ENV_MAX_AGE.store(UNREAD, Ordering::Relaxed);
    ENV_DECRYPT.store(0, Ordering::Relaxed);
}

/// `decrypt`, else `POWERTOOLS_PARAMETERS_SSM_DECRYPT` (false by default).
fn resolve_decrypt(decrypt: Option<bool>, fresh: bool) -> PyResult<bool> {
    if let Some(d) = decrypt {
        return Ok(d);
    }
    match ENV_DECRYPT.load(Ordering::Relaxed) {
        1 if !fresh => return Ok(false),
        2 if !fresh => return Ok(true),
        _ => {}
    }
    let d = match std::env::var(DECRYPT_ENV) {
        Ok(raw) => truthy(&raw)?,
        Err(_) => false,
    };
    ENV_DECRYPT.store(if d { 2 } else { 1 }, Ordering::Relaxed);
    Ok(d)
}

/// `max_age` in seconds, else `POWERTOOLS_PARAMETERS_MAX_AGE` (300 by
/// default). Zero or less: never cached.
fn resolve_max_age(max_age: Option<f64>, fresh: bool) -> PyResult<Duration> {
    let seconds = match max_age {
        Some(s) => s,
        None => {
            let seen = ENV_MAX_AGE.load(Ordering::Relaxed);
            if seen != UNREAD && !fresh {
                return Ok(Duration::from_nanos(seen));
            }
            let d = match std::env::var(MAX_AGE_ENV) {
                Ok(raw) => {
                    let secs = raw.trim().parse::<i64>().map_err(|_| {
                        PyValueError::new_err(format!(
                            "invalid literal for int() with base 10: '{raw}' ({MAX_AGE_ENV})"
                        ))
                    })?;
                    Duration::from_secs(u64::try_from(secs).unwrap_or(0))
                }
                Err(_) => Duration::from_secs(300),
            };
            ENV_MAX_AGE.store(u64::try_from(d.as_nanos()).unwrap_or(UNREAD - 1), Ordering::Relaxed);
            return Ok(d);
        }
    };
    if seconds.is_nan() {
        return Err(PyValueError::new_err("max_age must be a number of seconds"));
    }
    Ok(Duration::try_from_secs_f64(seconds.max(0.0)).unwrap_or(Duration::MAX))
}

/// The options of a read: `fresh` reads the environment (a fetch), else
/// its values as last read (a hit).
fn options(max_age: Option<f64>, decrypt: Option<bool>, force_fetch: bool, fresh: bool) -> PyResult<ParameterOptions> {
    Ok(ParameterOptions::default()
        .max_age(resolve_max_age(max_age, fresh)?)
        .decrypt(resolve_decrypt(decrypt, fresh)?)
        .force_fetch(force_fetch))
}

/// The object of a name's value for `transform`, kept in its memo cell.
fn name_object(py: Python<'_>, name: &str, value: &OpenValue, transform: Transform) -> PyResult<Py<PyAny>> {
    let cell = value.memo(transform as usize);
    if let Some(kept) = cell.get().and_then(|k| k.downcast_ref::<Kept>()) {
        return Ok(kept.0.clone_ref(py));
    }
    let Some(parameter) = value.parameter() else { return Err(not_found(name)) };
    let object = transformed(py, name, &parameter.value, transform)?;
    let kept = cell.get_or_init(|| Arc::new(Kept(object.clone_ref(py))));
    Ok(kept.downcast_ref::<Kept>().map_or(object, |k| k.0.clone_ref(py)))
}

/// Parameters read by name or path, with one cache and one store.
#[pyclass(name = "Parameters", module = "ssmconf._ssmconf", frozen)]
pub struct PyParameters {
    resolver: Resolver,
    store: Arc<dyn ParameterStore>,
}

impl PyParameters {
    #[inline]
    fn get_value(
        &self,
        py: Python<'_>,
        name: &str,
        transform: Option<&str>,
        max_age: Option<f64>,
        decrypt: Option<bool>,
        force_fetch: bool,
    ) -> PyResult<Py<PyAny>> {
        let transform = Transform::parse(transform)?;
        if !force_fetch {
            let cached = options(max_age, decrypt, false, false)?;
            if let Some(hit) = self.resolver.with_parameter_hit(name, &cached, |v| name_object(py, name, v, transform))
            {
                return hit.map_err(get_error)?;
            }
        }
        self.fetch_value(py, name, transform, &options(max_age, decrypt, force_fetch, true)?)
    }

    #[cold]
    #[inline(never)]
    fn fetch_value(
        &self,
        py: Python<'_>,
        name: &str,
        transform: Transform,
        options: &ParameterOptions,
    ) -> PyResult<Py<PyAny>> {
        let value = crate::runtime::block_on(py, self.resolver.parameter_with(name, options)).map_err(get_error)?;
        name_object(py, name, &value, transform)
    }
}

#[pymethods]
impl PyParameters {
    #[new]
    #[pyo3(signature = (store=None, *, region=None, endpoint_url=None, profile=None, ttl=None, capacity=None))]
    fn new(
        store: Option<StoreArg<'_>>,
        region: Option<String>,
        endpoint_url: Option<String>,
        profile: Option<String>,
        ttl: Option<f64>,
        capacity: Option<u64>,
    ) -> PyResult<Self> {
        let store: Arc<dyn ParameterStore> = match store {
            Some(s) => s.shared(),
            None => Deferred::ssm(region, endpoint_url, profile),
        };
        let mut builder = Resolver::builder(Schema::empty()).shared_store(store.clone());
        if let Some(ttl) = ttl {
            let ttl = Duration::try_from_secs_f64(ttl)
                .map_err(|_| PyValueError::new_err("ttl must be a non-negative number of seconds"))?;
            builder = builder.ttl(ttl);
        }
        if let Some(capacity) = capacity {
            builder = builder.open_cache_capacity(capacity);
        }
        Ok(PyParameters { resolver: builder.build().map_err(crate::errors::PyError)?, store })
    }

    /// One parameter's value (Powertools' `SSMProvider.get`).
    #[pyo3(signature = (name, max_age=None, transform=None, decrypt=None, force_fetch=false, **sdk_options))]
    #[allow(clippy::too_many_arguments)]
    fn get(
        &self,
        py: Python<'_>,
        name: &str,
        max_age: Option<f64>,
        transform: Option<&str>,
        decrypt: Option<bool>,
        force_fetch: bool,
        sdk_options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = sdk_options;
        self.get_value(py, name, transform, max_age, decrypt, force_fetch)
    }

    /// The parameters under `path`, by name relative to it (Powertools'
    /// `SSMProvider.get_multiple`).
    #[pyo3(signature = (path, max_age=None, transform=None, raise_on_transform_error=false, decrypt=None, force_fetch=false, recursive=false, **sdk_options))]
    #[allow(clippy::too_many_arguments)]
    fn get_multiple(
        &self,
        py: Python<'_>,
        path: &str,
        max_age: Option<f64>,
        transform: Option<&str>,
        raise_on_transform_error: bool,
        decrypt: Option<bool>,
        force_fetch: bool,
        recursive: bool,
        sdk_options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyAny>> {
        let _ = sdk_options;
        let transform = Transform::parse(transform)?;
        let cached = options(max_age, decrypt, force_fetch, false)?;
        let value = match self.resolver.parameters_by_path_now(path, recursive, &cached) {
            Some(hit) => hit,
            None => {
                let options = options(max_age, decrypt, force_fetch, true)?;
                crate::runtime::block_on(py, self.resolver.parameters_by_path_with(path, recursive, &options))
            }
        }
        .map_err(get_error)?;
        let cell = value.memo(transform as usize);
        let kept = match cell.get().and_then(|k| k.downcast_ref::<KeptDict>()) {
            Some(kept) => kept,
            None => {
                let made = path_dict(py, path, &value, transform)?;
                cell.get_or_init(|| Arc::new(made)).downcast_ref::<KeptDict>().expect("only KeptDict here")
            }
        };
        if raise_on_transform_error && let Some(e) = &kept.error {
            return Err(TransformParameterError::new_err(e.clone()));
        }
        Ok(kept.dict.clone_ref(py).into_any())
    }

    /// Many names at once (Powertools' `get_parameters_by_name`): a dict of
    /// name to value, with `"_errors"` listing the names that failed when
    /// `raise_on_error` is false.
    #[pyo3(signature = (parameters, transform=None, decrypt=None, max_age=None, raise_on_error=true))]
    fn get_parameters_by_name(
        &self,
        py: Python<'_>,
        parameters: &Bound<'_, PyDict>,
        transform: Option<&str>,
        decrypt: Option<bool>,
        max_age: Option<f64>,
        raise_on_error: bool,
    ) -> PyResult<Py<PyDict>> {
        if !raise_on_error && parameters.contains(ERRORS_KEY)? {
            return Err(GetParameterError::new_err(format!(
                "You cannot fetch a parameter named '{ERRORS_KEY}' in graceful error mode."
            )));
        }
        let default_transform = Transform::parse(transform)?;
        // Each name with its own options; names that share options share
        // requests (10 names a request).
        let mut asked: Vec<(String, Transform, ParameterOptions)> = Vec::with_capacity(parameters.len());
        for (name, overrides) in parameters.iter() {
            let name: String = name.extract()?;
            let overrides = if overrides.is_none() { None } else { Some(overrides.cast_into::<PyDict>()?) };
            let get = |field: &str| -> PyResult<Option<Bound<'_, PyAny>>> {
                match &overrides {
                    Some(o) => o.get_item(field),
                    None => Ok(None),
                }
            };
            let transform = match get("transform")? {
                Some(t) if t.is_truthy()? => Transform::parse(Some(t.extract::<&str>()?))?,
                _ => default_transform,
            };
            let decrypt = match get("decrypt")? {
                Some(d) => Some(d.is_truthy()?),
                None => decrypt,
            };
            let max_age = match get("max_age")? {
                Some(m) => Some(m.extract::<f64>()?),
                None => max_age,
            };
            asked.push((name, transform, options(max_age, decrypt, false, true)?));
        }
        let mut groups: HashMap<(bool, Duration), Vec<String>> = HashMap::new();
        for (name, _, options) in &asked {
            groups.entry((options.decrypt, options.max_age.unwrap_or_default())).or_default().push(name.clone());
        }
        let resolver = &self.resolver;
        let found: HashMap<String, ssmconf::Result<OpenValue>> = crate::runtime::block_on(py, async move {
            let mut found = HashMap::new();
            for ((decrypt, max_age), names) in groups {
                let options = ParameterOptions::default().decrypt(decrypt).max_age(max_age);
                found.extend(resolver.parameters_by_name(&names, &options).await);
            }
            found
        });
        let out = PyDict::new(py);
        let mut errors: Vec<String> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        let mut values: Vec<(String, Py<PyAny>)> = Vec::with_capacity(asked.len());
        for (name, transform, _) in &asked {
            match found.get(name) {
                Some(Ok(value)) if value.parameter().is_some() => match name_object(py, name, value, *transform) {
                    Ok(object) => values.push((name.clone(), object)),
                    Err(e) if raise_on_error || !e.is_instance_of::<TransformParameterError>(py) => return Err(e),
                    Err(_) => values.push((name.clone(), py.None())),
                },
                Some(Ok(_)) => missing.push(name.clone()),
                Some(Err(e)) if raise_on_error => {
                    return Err(GetParameterError::new_err(format!("Failed to fetch parameters: {e}")));
                }
                Some(Err(_)) | None => errors.push(name.clone()),
            }
        }
        if raise_on_error && !missing.is_empty() {
            let listed = PyList::new(py, &missing)?.repr()?.to_string();
            return Err(GetParameterError::new_err(format!("Failed to fetch parameters: {listed}")));
        }
        if !raise_on_error {
            errors.extend(missing);
            out.set_item(ERRORS_KEY, PyList::new(py, &errors)?)?;
        }
        for (name, object) in values {
            out.set_item(name, object)?;
        }
        Ok(out.unbind())
    }

    /// Writes a parameter (Powertools' `SSMProvider.set`); answers
    /// `{"Version": n, "Tier": tier}` as `PutParameter` does. The name's
    /// cached value is dropped, so the next read sees the write.
    #[pyo3(signature = (name, value, *, overwrite=false, description="", parameter_type="String", tier="Standard", kms_key_id=None, **sdk_options))]
    #[allow(clippy::too_many_arguments)]
    fn set(
        &self,
        py: Python<'_>,
        name: &str,
        value: &Bound<'_, PyAny>,
        overwrite: bool,
        description: &str,
        parameter_type: &str,
        tier: &str,
        kms_key_id: Option<&str>,
        sdk_options: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Py<PyDict>> {
        let _ = (kms_key_id, sdk_options);
        let set_error = |message: String| SetParameterError::new_err(format!("Error setting parameter - {message}"));
        let value: String = match value.cast::<PyString>() {
            Ok(s) => s.to_str()?.to_string(),
            Err(_) => match value.extract::<Vec<String>>() {
                Ok(items) => items.join(","),
                Err(_) => return Err(PyTypeError::new_err("value must be a str (or a list of str for StringList)")),
            },
        };
        let param_type = match parameter_type {
            "String" => ParamType::String,
            "StringList" => ParamType::StringList,
            "SecureString" => ParamType::SecureString,
            other => return Err(set_error(format!("unknown parameter type `{other}`"))),
        };
        let request = PutRequest {
            name: name.to_string(),
            value,
            param_type,
            description: (!description.is_empty()).then(|| description.to_string()),
            tags: Vec::new(),
            overwrite,
        };
        let store = self.store.clone();
        let version = crate::runtime::block_on(py, async move { store.put_parameter(&request).await })
            .map_err(|e| set_error(e.to_string()))?;
        self.resolver.forget_parameter(name);
        let out = PyDict::new(py);
        out.set_item("Version", version)?;
        out.set_item("Tier", tier)?;
        Ok(out.unbind())
    }

    /// Drops every cached name and path.
    fn clear_cache(&self) {
        forget_env();
        self.resolver.clear_parameters();
    }

    /// The resolver's counters: `hits`, `misses`, `ssm_calls`, ...
    fn stats<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let s = self.resolver.stats();
        let out = PyDict::new(py);
        for (k, v) in [
            ("hits", s.hits),
            ("misses", s.misses),
            ("ssm_calls", s.ssm_calls),
            ("ssm_errors", s.ssm_errors),
            ("stale_served", s.stale_served),
        ] {
            out.set_item(k, v)?;
        }
        Ok(out)
    }

    fn __repr__(&self) -> String {
        format!("Parameters({:?})", self.store)
    }
}

/// The dict of a path's values, names relative to `path` as Powertools
/// gives them (the path and the `/` after it taken off).
fn path_dict(py: Python<'_>, path: &str, value: &OpenValue, transform: Transform) -> PyResult<KeptDict> {
    let dict = PyDict::new(py);
    let mut error = None;
    for p in value.parameters() {
        let name = p.name.strip_prefix(path).unwrap_or(&p.name).trim_start_matches('/');
        let object = match transformed(py, name, &p.value, transform) {
            Ok(object) => object,
            Err(e) => {
                if error.is_none() {
                    error = Some(e.value(py).to_string());
                }
                py.None()
            }
        };
        dict.set_item(name, object)?;
    }
    Ok(KeptDict { dict: dict.unbind(), error })
}

/// The process's default `Parameters` (on an `SsmStore` from the
/// environment), made on first use and made again in a fork child (see
/// [`after_fork_in_child`]).
static DEFAULT: ArcSwapOption<Py<PyParameters>> = ArcSwapOption::const_empty();

fn default_parameters(py: Python<'_>) -> PyResult<Arc<Py<PyParameters>>> {
    if let Some(d) = DEFAULT.load_full() {
        return Ok(d);
    }
    let made = Arc::new(Py::new(py, PyParameters::new(None, None, None, None, None, None)?)?);
    // The GIL orders the threads that get here: the first one's stays.
    let previous = DEFAULT.compare_and_swap(&None::<Arc<_>>, Some(made.clone()));
    Ok(match &*previous {
        Some(other) => other.clone(),
        None => made,
    })
}

/// The default instance, for the Python module.
#[pyfunction]
pub fn _default_parameters(py: Python<'_>) -> PyResult<Py<PyParameters>> {
    Ok(default_parameters(py)?.clone_ref(py))
}

/// Drops the default instance in a fork child, without running its drop
/// (its locks and connections are the parent's): the next call makes one.
pub fn after_fork_in_child() {
    if let Some(parent) = DEFAULT.swap(None) {
        std::mem::forget(parent);
    }
}

/// Drops the default instance: the next call makes one from the
/// environment as it is then (its Region, endpoint and credentials). For
/// tests, and for a process whose environment changed.
#[pyfunction]
pub fn _reset_default_parameters() {
    DEFAULT.store(None);
}

/// Drops every cached value of the default instance (Powertools'
/// `clear_caches`).
#[pyfunction]
pub fn clear_caches() {
    forget_env();
    if let Some(d) = DEFAULT.load_full() {
        d.get().resolver.clear_parameters();
    }
}

/// Powertools' `get_parameter`, on the default instance. A hit is one
/// cache lookup and one reference count.
///
/// No `**sdk_options`: pyo3 calls a function that takes `**kwargs` through
/// the tuple-and-dict convention instead of vectorcall, which cost this hit
/// about 300 instructions (a third of it), and GetParameter has no option
/// to pass on. An unknown keyword is a `TypeError` that names it.
#[pyfunction]
#[pyo3(signature = (name, transform=None, decrypt=None, force_fetch=false, max_age=None))]
pub fn get_parameter(
    py: Python<'_>,
    name: &str,
    transform: Option<&str>,
    decrypt: Option<bool>,
    force_fetch: bool,
    max_age: Option<f64>,
) -> PyResult<Py<PyAny>> {
    let default = DEFAULT.load();
    match &*default {
        Some(d) => d.get().get_value(py, name, transform, max_age, decrypt, force_fetch),
        None => default_parameters(py)?.get().get_value(py, name, transform, max_age, decrypt, force_fetch),
    }
}
