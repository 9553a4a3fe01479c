//! The core's `tracing` events (target `ssmconf`) forwarded to Python's
//! `logging`, logger `ssmconf`, so they land where the service's own logs do.

use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

static LOGGER: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

struct PythonLogging;

struct Message(String);

impl Visit for Message {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

fn python_level(level: &Level) -> u8 {
    match *level {
        Level::ERROR => 40,
        Level::WARN => 30,
        Level::INFO => 20,
        Level::DEBUG => 10,
        Level::TRACE => 5,
    }
}

impl<S: Subscriber> Layer<S> for PythonLogging {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let level = python_level(event.metadata().level());
        // A log line must never take the process down: errors are dropped,
        // and nothing is logged while the interpreter is shutting down.
        let _ = Python::try_attach(|py| -> PyResult<()> {
            // Until the process imports `logging`, nothing can be listening
            // below WARNING (Python's last-resort handler shows WARNING and
            // up): skip those lines rather than import `logging` for them,
            // which costs a cold start 12 to 16 ms.
            if LOGGER.get(py).is_none() && level < 30 && !logging_imported(py)? {
                return Ok(());
            }
            let logger = LOGGER.get_or_try_init(py, || {
                py.import("logging")?.call_method1("getLogger", ("ssmconf",)).map(Bound::unbind)
            })?;
            let logger = logger.bind(py);
            if logger.call_method1("isEnabledFor", (level,))?.is_truthy()? {
                let mut message = Message(String::new());
                event.record(&mut message);
                logger.call_method1("log", (level, "%s", message.0))?;
            }
            Ok(())
        });
    }
}

/// True once something in the process imported `logging`.
fn logging_imported(py: Python<'_>) -> PyResult<bool> {
    py.import("sys")?.getattr("modules")?.contains("logging")
}

/// Installs the bridge as the process's tracing subscriber, unless the
/// host already set one.
pub fn install() {
    let subscriber = tracing_subscriber::registry()
        .with(PythonLogging.with_filter(Targets::new().with_target("ssmconf", Level::DEBUG)));
    let _ = tracing::subscriber::set_global_default(subscriber);
}
