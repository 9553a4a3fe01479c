//! The tokio runtime of this process, shared by blocking and asyncio calls,
//! and made again in a child of `fork()`.
//!
//! A child of `os.fork()` (gunicorn `--preload`, Celery prefork, a
//! `multiprocessing` fork pool) has only the thread that forked: the
//! parent's runtime is there, but not its worker threads, so a future
//! blocked on it, or a task spawned on it, would never make progress. So
//! the runtime is tagged with the [fork generation](ssmconf::fork) it was
//! made in, and the first call in a child makes a runtime of its own.
//! `os.register_at_fork(after_in_child=...)` (registered at import, see
//! [`register_at_fork`]) moves the generation at once in the child. A cache
//! hit never comes here.
//!
//! The parent's runtime is never dropped in a child: its drop would wait
//! for worker threads that do not exist there, and deregister the parent's
//! sockets from the epoll instance the two processes share.
//!
//! asyncio calls go through [`ProcessRuntime`], pyo3-async-runtimes'
//! generic interface over this runtime (its own `tokio` module holds one
//! runtime for the life of the process, the parent's).

use std::cell::OnceCell;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use arc_swap::ArcSwapOption;
use pyo3::prelude::*;
use pyo3_async_runtimes::TaskLocals;
use pyo3_async_runtimes::generic::{ContextExt, Runtime as GenericRuntime};

/// A runtime and the fork generation it was made in.
struct Made {
    generation: u64,
    runtime: tokio::runtime::Runtime,
}

static RUNTIME: ArcSwapOption<Made> = ArcSwapOption::const_empty();

/// This process's runtime; made on first use in each process.
pub fn handle() -> tokio::runtime::Handle {
    current().runtime.handle().clone()
}

fn current() -> Arc<Made> {
    let generation = ssmconf::fork::generation();
    let seen = RUNTIME.load_full();
    if let Some(made) = seen.as_ref().filter(|m| m.generation == generation) {
        return made.clone();
    }
    made_here(generation, seen)
}

/// Makes this process's runtime (the first call in a process, or in a fork
/// child); a thread that loses the race uses the winner's.
#[cold]
#[inline(never)]
fn made_here(generation: u64, seen: Option<Arc<Made>>) -> Arc<Made> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("ssmconf-runtime")
        .build()
        .expect("a tokio runtime (threads, an epoll instance) can be made");
    let made = Arc::new(Made { generation, runtime });
    let previous = RUNTIME.compare_and_swap(&seen, Some(made.clone()));
    let swapped = match (&*previous, &seen) {
        (Some(p), Some(s)) => Arc::ptr_eq(p, s),
        (None, None) => true,
        _ => false,
    };
    if !swapped && let Some(other) = previous.as_ref().filter(|p| p.generation == generation) {
        // Another thread made this process's runtime first. Ours is unused:
        // shut down without waiting (this may run where blocking is not
        // allowed), in the process that made it.
        let other = other.clone();
        if let Ok(unused) = Arc::try_unwrap(made) {
            unused.runtime.shutdown_background();
        }
        return other;
    }
    if let Some(parent) = seen {
        // The parent's: kept, never dropped here (see the module's docs).
        std::mem::forget(parent);
    }
    made
}

/// Runs a future to completion on this process's runtime, with the GIL
/// released.
pub fn block_on<F>(py: Python<'_>, future: F) -> F::Output
where
    F: Future + Send,
    F::Output: Send,
{
    py.detach(|| current().runtime.block_on(future))
}

/// `future` as a Python awaitable, run on this process's runtime.
pub fn future_into_py<F, T>(py: Python<'_>, future: F) -> PyResult<Bound<'_, PyAny>>
where
    F: Future<Output = PyResult<T>> + Send + 'static,
    T: for<'py> IntoPyObject<'py> + Send + 'static,
{
    pyo3_async_runtimes::generic::future_into_py::<ProcessRuntime, _, T>(py, future)
}

/// pyo3-async-runtimes' view of this process's runtime.
pub struct ProcessRuntime;

tokio::task_local! {
    static TASK_LOCALS: OnceCell<TaskLocals>;
}

impl GenericRuntime for ProcessRuntime {
    type JoinError = tokio::task::JoinError;
    type JoinHandle = tokio::task::JoinHandle<()>;

    fn spawn<F>(fut: F) -> Self::JoinHandle
    where
        F: Future<Output = ()> + Send + 'static,
    {
        current().runtime.spawn(fut)
    }

    fn spawn_blocking<F>(f: F) -> Self::JoinHandle
    where
        F: FnOnce() + Send + 'static,
    {
        current().runtime.spawn_blocking(f)
    }
}

impl ContextExt for ProcessRuntime {
    fn scope<F, R>(locals: TaskLocals, fut: F) -> Pin<Box<dyn Future<Output = R> + Send>>
    where
        F: Future<Output = R> + Send + 'static,
    {
        let cell = OnceCell::new();
        let _ = cell.set(locals);
        Box::pin(TASK_LOCALS.scope(cell, fut))
    }

    fn get_task_locals() -> Option<TaskLocals> {
        TASK_LOCALS.try_with(|c| c.get().cloned()).unwrap_or_default()
    }
}

/// Tells the core that this process is a fork child, from Python's
/// at-fork hook: the next call makes a runtime, locks and SDK clients of
/// this process's own.
#[pyfunction]
fn _after_fork_in_child() {
    ssmconf::fork::after_fork();
    crate::parameters::after_fork_in_child();
}

/// Registers [`_after_fork_in_child`] with `os.register_at_fork` (at
/// import; where `os` has no `register_at_fork`, Windows, the process id
/// alone tells a child apart).
pub fn register_at_fork(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let hook = wrap_pyfunction!(_after_fork_in_child, m)?;
    let os = m.py().import("os")?;
    if os.hasattr("register_at_fork")? {
        let kwargs = pyo3::types::PyDict::new(m.py());
        kwargs.set_item("after_in_child", hook)?;
        os.call_method("register_at_fork", (), Some(&kwargs))?;
    }
    Ok(())
}
