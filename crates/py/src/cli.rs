//! The `ssmconf` command line inside the wheel: the Rust CLI itself
//! (`ssmconf_cli::run`), not a Python rewrite. `python/ssmconf/_cli.py`
//! is the console script `pip` installs as `ssmconf`.

use std::ffi::OsString;

use pyo3::prelude::*;

/// Runs the command line on `argv` (the program name first) with the GIL
/// released, and answers its exit code. Output goes to the process's file
/// descriptors 1 and 2, not to `sys.stdout`.
#[pyfunction]
#[pyo3(name = "_cli_main")]
pub fn cli_main(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| ssmconf_cli::run(argv))
}
