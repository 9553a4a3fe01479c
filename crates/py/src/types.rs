//! Result types as Python classes: `Resolved`, `InitPlan`, `CheckReport`,
//! `HistoryEntry` and their items. Plain data with readable `repr`s; a
//! secure value is already masked by the core.

use std::time::SystemTime;

use pyo3::prelude::*;

use crate::convert::to_py;

/// A Python-style `repr` of an optional string: `'text'` or `None`.
fn r(s: Option<&str>) -> String {
    match s {
        Some(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        None => "None".to_string(),
    }
}

fn n(v: Option<i64>) -> String {
    v.map_or_else(|| "None".to_string(), |v| v.to_string())
}

/// A value with its provenance.
#[pyclass(name = "Resolved", module = "ssmconf._ssmconf", frozen, get_all)]
pub struct PyResolved {
    key: String,
    value: Py<PyAny>,
    source: &'static str,
    ssm_param: Option<String>,
    version: Option<i64>,
    parameters: Option<usize>,
    fetched_at: Option<SystemTime>,
    expires_at: Option<SystemTime>,
    error: Option<String>,
    description: Option<String>,
    json_key: Option<String>,
    file: Option<String>,
    line: Option<usize>,
    secure: bool,
    steps: Vec<(&'static str, String)>,
}

impl PyResolved {
    pub fn new(py: Python<'_>, r: ssmconf::Resolved) -> PyResult<Self> {
        Ok(PyResolved {
            value: match &r.value {
                Some(v) => to_py(py, v)?.unbind(),
                None => py.None(),
            },
            key: r.key,
            source: r.source.as_str(),
            ssm_param: r.ssm_param,
            version: r.version,
            parameters: r.parameters,
            fetched_at: r.fetched_at,
            expires_at: r.expires_at,
            error: r.error,
            description: r.description,
            json_key: r.json_key,
            file: r.file.map(|f| f.display().to_string()),
            line: r.line,
            secure: r.secure,
            steps: r.steps.into_iter().map(|s| (s.source.as_str(), s.found)).collect(),
        })
    }
}

#[pymethods]
impl PyResolved {
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Resolved(key={}, value={}, source={}, ssm_param={}, version={})",
            r(Some(&self.key)),
            self.value.bind(py).repr()?,
            r(Some(self.source)),
            r(self.ssm_param.as_deref()),
            n(self.version)
        ))
    }
}

/// One parameter of an `InitPlan`.
#[pyclass(name = "PlanItem", module = "ssmconf._ssmconf", frozen, get_all)]
pub struct PyPlanItem {
    key: String,
    ssm_param: String,
    r#type: &'static str,
    value: Option<String>,
    version: Option<i64>,
    reason: Option<String>,
}

#[pymethods]
impl PyPlanItem {
    fn __repr__(&self) -> String {
        format!(
            "PlanItem(key={}, ssm_param={}, type={}, value={})",
            r(Some(&self.key)),
            r(Some(&self.ssm_param)),
            r(Some(self.r#type)),
            r(self.value.as_deref())
        )
    }
}

fn items(py: Python<'_>, items: Vec<ssmconf::PlanItem>) -> PyResult<Vec<Py<PyPlanItem>>> {
    items
        .into_iter()
        .map(|i| {
            Py::new(
                py,
                PyPlanItem {
                    key: i.key,
                    ssm_param: i.ssm_param,
                    r#type: i.param_type.as_str(),
                    value: i.value,
                    version: i.version,
                    reason: i.reason,
                },
            )
        })
        .collect()
}

/// What `Resolver.init` did, or would do in a dry run.
#[pyclass(name = "InitPlan", module = "ssmconf._ssmconf", frozen, get_all)]
pub struct PyInitPlan {
    dry_run: bool,
    created: Vec<Py<PyPlanItem>>,
    overwritten: Vec<Py<PyPlanItem>>,
    skipped: Vec<Py<PyPlanItem>>,
    manual: Vec<Py<PyPlanItem>>,
    failed: Vec<Py<PyPlanItem>>,
}

impl PyInitPlan {
    pub fn new(py: Python<'_>, plan: ssmconf::InitPlan) -> PyResult<Self> {
        Ok(PyInitPlan {
            dry_run: plan.dry_run,
            created: items(py, plan.created)?,
            overwritten: items(py, plan.overwritten)?,
            skipped: items(py, plan.skipped)?,
            manual: items(py, plan.manual)?,
            failed: items(py, plan.failed)?,
        })
    }
}

#[pymethods]
impl PyInitPlan {
    fn __repr__(&self) -> String {
        format!(
            "InitPlan(dry_run={}, created={}, overwritten={}, skipped={}, manual={}, failed={})",
            if self.dry_run { "True" } else { "False" },
            self.created.len(),
            self.overwritten.len(),
            self.skipped.len(),
            self.manual.len(),
            self.failed.len()
        )
    }
}

/// One problem found by `Resolver.check`.
#[pyclass(name = "Problem", module = "ssmconf._ssmconf", frozen, get_all)]
pub struct PyProblem {
    key: String,
    ssm_param: String,
    kind: &'static str,
    message: String,
}

#[pymethods]
impl PyProblem {
    fn __repr__(&self) -> String {
        format!("Problem(key={}, kind={}, message={})", r(Some(&self.key)), r(Some(self.kind)), r(Some(&self.message)))
    }
}

/// The problems `Resolver.check` found.
#[pyclass(name = "CheckReport", module = "ssmconf._ssmconf", frozen, get_all)]
pub struct PyCheckReport {
    checked: usize,
    problems: Vec<Py<PyProblem>>,
}

impl PyCheckReport {
    pub fn new(py: Python<'_>, report: ssmconf::CheckReport) -> PyResult<Self> {
        let problems = report
            .problems
            .into_iter()
            .map(|p| {
                let kind = match p.kind {
                    ssmconf::ProblemKind::Missing => "missing",
                    ssmconf::ProblemKind::Invalid => "invalid",
                    _ => "unreadable",
                };
                Py::new(py, PyProblem { key: p.key, ssm_param: p.ssm_param, kind, message: p.message })
            })
            .collect::<PyResult<_>>()?;
        Ok(PyCheckReport { checked: report.checked, problems })
    }
}

#[pymethods]
impl PyCheckReport {
    #[getter]
    fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    fn __bool__(&self) -> bool {
        self.problems.is_empty()
    }

    fn __len__(&self) -> usize {
        self.problems.len()
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        let problems: Vec<String> = self.problems.iter().map(|p| p.bind(py).get().__repr__()).collect();
        Ok(format!("CheckReport(checked={}, problems=[{}])", self.checked, problems.join(", ")))
    }
}

/// One version of a parameter.
#[pyclass(name = "HistoryEntry", module = "ssmconf._ssmconf", frozen, get_all)]
pub struct PyHistoryEntry {
    version: i64,
    value: String,
    r#type: &'static str,
    modified_at: Option<SystemTime>,
    modified_by: Option<String>,
    description: Option<String>,
    labels: Vec<String>,
}

impl From<ssmconf::HistoryEntry> for PyHistoryEntry {
    fn from(h: ssmconf::HistoryEntry) -> Self {
        PyHistoryEntry {
            version: h.version,
            value: h.value,
            r#type: h.param_type.as_str(),
            modified_at: h.modified_at,
            modified_by: h.modified_by,
            description: h.description,
            labels: h.labels,
        }
    }
}

#[pymethods]
impl PyHistoryEntry {
    fn __repr__(&self) -> String {
        format!("HistoryEntry(version={}, value={}, type={})", self.version, r(Some(&self.value)), r(Some(self.r#type)))
    }
}
