//! Python bindings of ssmconf: the native module `ssmconf._ssmconf`.
//!
//! Thin by design: every method converts its arguments, calls the core
//! crate and converts the result; the logic lives in `ssmconf`.

mod cli;
mod convert;
mod errors;
mod logging;
mod parameters;
mod resolver;
mod runtime;
mod shortcuts;
mod stores;
mod types;

use pyo3::prelude::*;

#[pymodule(gil_used = false)]
mod _ssmconf {
    #[pymodule_export]
    use crate::cli::cli_main;
    #[pymodule_export]
    use crate::parameters::{
        _default_parameters, _reset_default_parameters, PyParameters, clear_caches, get_parameter,
    };
    #[pymodule_export]
    use crate::resolver::PyResolver;
    #[pymodule_export]
    use crate::stores::{PyFileStore, PyMemoryStore, PySsmStore};
    #[pymodule_export]
    use crate::types::{PyCheckReport, PyHistoryEntry, PyInitPlan, PyPlanItem, PyProblem, PyResolved};

    use super::*;

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        m.add("__version__", env!("CARGO_PKG_VERSION"))?;
        crate::logging::install();
        crate::runtime::register_at_fork(m)?;
        Ok(())
    }
}
