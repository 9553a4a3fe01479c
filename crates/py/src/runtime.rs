//! One tokio runtime for the whole process, shared by blocking and asyncio calls.

use std::future::Future;

use pyo3::Python;

/// Runs a future to completion with the GIL released.
pub fn block_on<F>(py: Python<'_>, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| pyo3_async_runtimes::tokio::get_runtime().block_on(future))
}
