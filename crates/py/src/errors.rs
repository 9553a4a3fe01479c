//! One Python exception class per core error kind; the hierarchy lives in
//! `ssmconf/exceptions.py` (two classes have two bases).

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;

pyo3::import_exception!(ssmconf.exceptions, SsmconfError);
pyo3::import_exception!(ssmconf.exceptions, SchemaError);
pyo3::import_exception!(ssmconf.exceptions, UnknownKeyError);
pyo3::import_exception!(ssmconf.exceptions, NotFoundError);
pyo3::import_exception!(ssmconf.exceptions, ValidationError);
pyo3::import_exception!(ssmconf.exceptions, StoreError);

/// A core error on its way to Python (a newtype for the orphan rule).
pub struct PyError(pub ssmconf::Error);

impl From<ssmconf::Error> for PyError {
    fn from(e: ssmconf::Error) -> Self {
        PyError(e)
    }
}

/// The message with its `source()` chain: Python shows only `str(exc)`.
fn full_message(e: &ssmconf::Error) -> String {
    let mut message = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        message.push_str(": ");
        message.push_str(&c.to_string());
        cause = c.source();
    }
    message
}

fn obj<'py>(py: Python<'py>, value: impl IntoPyObject<'py>) -> Py<PyAny> {
    value.into_py_any(py).unwrap_or_else(|_| py.None())
}

impl From<PyError> for PyErr {
    fn from(PyError(e): PyError) -> PyErr {
        let message = full_message(&e);
        Python::attach(|py| {
            let (err, attrs): (PyErr, Vec<(&str, Py<PyAny>)>) = match &e {
                ssmconf::Error::Schema { location, key, .. } => (
                    SchemaError::new_err(message),
                    vec![
                        ("file", obj(py, location.file.display().to_string())),
                        ("line", obj(py, location.line)),
                        ("column", obj(py, location.column)),
                        ("key", obj(py, key)),
                    ],
                ),
                ssmconf::Error::UnknownKey { key, suggestion } => (
                    UnknownKeyError::new_err(message),
                    vec![("key", obj(py, key)), ("suggestion", obj(py, suggestion.0.as_deref()))],
                ),
                ssmconf::Error::NotFound { key, ssm_param, steps } => {
                    let steps: Vec<(&str, &str)> =
                        steps.iter().map(|s| (s.source.as_str(), s.found.as_str())).collect();
                    (
                        NotFoundError::new_err(message),
                        vec![
                            ("key", obj(py, key)),
                            ("ssm_param", obj(py, ssm_param.as_deref())),
                            ("steps", obj(py, steps)),
                        ],
                    )
                }
                ssmconf::Error::Validation { key, .. } => {
                    (ValidationError::new_err(message), vec![("key", obj(py, key))])
                }
                ssmconf::Error::Store { source, .. } => (
                    StoreError::new_err(message),
                    vec![("kind", obj(py, source.kind().as_str())), ("transient", obj(py, source.is_transient()))],
                ),
                _ => (SsmconfError::new_err(message), Vec::new()),
            };
            let value = err.value(py);
            for (name, v) in attrs {
                // Attributes are a convenience; the message says it all.
                let _ = value.setattr(name, v);
            }
            err
        })
    }
}
