//! Values between Python and the core's `serde_json::Value`.

use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use ssmconf::Value;

/// A core value as a native Python value: str, int, float, bool, list, dict, None.
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_pyobject(py)?.into_any(),
            (None, Some(u)) => u.into_pyobject(py)?.into_any(),
            _ => PyFloat::new(py, n.as_f64().unwrap_or(f64::NAN)).into_any(),
        },
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(items) => {
            let list = PyList::empty(py);
            for item in items {
                list.append(to_py(py, item)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A Python value as a core value; refuses what JSON cannot hold.
pub fn from_py(obj: &Bound<'_, PyAny>) -> PyResult<Value> {
    if obj.is_none() {
        return Ok(Value::Null);
    }
    // bool before int: True is an int in Python.
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if obj.is_instance_of::<PyInt>() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        return obj
            .extract::<u64>()
            .map(Value::from)
            .map_err(|_| PyValueError::new_err("the integer does not fit in 64 bits"));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let f = f.value();
        return serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| PyValueError::new_err("the float is not finite"));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return Ok(Value::String(s.to_str()?.to_string()));
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return list.iter().map(|i| from_py(&i)).collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return tuple.iter().map(|i| from_py(&i)).collect::<PyResult<Vec<_>>>().map(Value::Array);
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = serde_json::Map::with_capacity(dict.len());
        for (k, v) in dict.iter() {
            let key = k.cast::<PyString>().map_err(|_| PyTypeError::new_err("dict keys must be str"))?;
            map.insert(key.to_str()?.to_string(), from_py(&v)?);
        }
        return Ok(Value::Object(map));
    }
    Err(PyTypeError::new_err(format!(
        "cannot use a value of type {} here; use str, int, float, bool, list or dict",
        obj.get_type().name()?
    )))
}

/// A schema given as a dict, written as JSON text (which the YAML loader
/// reads) in the dict's own order, without importing Python's `json`
/// (which imports `re`: milliseconds of a cold start). Nested values may be
/// dicts or other mappings, lists, tuples, str, int, float, bool or None.
pub fn schema_json(obj: &Bound<'_, PyAny>, out: &mut String) -> PyResult<()> {
    if let Ok(dict) = obj.cast::<PyDict>() {
        return json_object(dict.iter(), out);
    }
    if let Ok(list) = obj.cast::<PyList>() {
        return json_array(list.iter(), out);
    }
    if let Ok(tuple) = obj.cast::<PyTuple>() {
        return json_array(tuple.iter(), out);
    }
    if obj.is_none()
        || obj.is_instance_of::<PyBool>()
        || obj.is_instance_of::<PyInt>()
        || obj.is_instance_of::<PyFloat>()
        || obj.is_instance_of::<PyString>()
    {
        let scalar = from_py(obj)?;
        out.push_str(&serde_json::to_string(&scalar).map_err(|e| PyValueError::new_err(e.to_string()))?);
        return Ok(());
    }
    // Any other mapping (rare): the `collections.abc` check only now.
    if let Ok(mapping) = obj.cast::<pyo3::types::PyMapping>() {
        let mut pairs = Vec::new();
        for item in mapping.items()?.iter() {
            let (k, v): (Bound<'_, PyAny>, Bound<'_, PyAny>) = item.extract()?;
            pairs.push((k, v));
        }
        return json_object(pairs.into_iter(), out);
    }
    Err(PyTypeError::new_err(format!(
        "a schema holds dicts, lists, str, int, float, bool and None, not {}",
        obj.get_type().name()?
    )))
}

fn json_object<'py>(
    pairs: impl Iterator<Item = (Bound<'py, PyAny>, Bound<'py, PyAny>)>,
    out: &mut String,
) -> PyResult<()> {
    out.push('{');
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        let key = k.cast::<PyString>().map_err(|_| {
            PyTypeError::new_err(format!(
                "schema keys must be str, not {}",
                k.get_type().name().map_or("?".into(), |n| n.to_string())
            ))
        })?;
        out.push_str(&serde_json::to_string(key.to_str()?).map_err(|e| PyValueError::new_err(e.to_string()))?);
        out.push(':');
        schema_json(&v, out)?;
    }
    out.push('}');
    Ok(())
}

fn json_array<'py>(items: impl Iterator<Item = Bound<'py, PyAny>>, out: &mut String) -> PyResult<()> {
    out.push('[');
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(',');
        }
        schema_json(&item, out)?;
    }
    out.push(']');
    Ok(())
}
