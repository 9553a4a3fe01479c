//! Log capture for integration tests.
//!
//! One global subscriber per test binary, installed on first use, writes
//! every event into a shared buffer; each test then looks only for lines
//! about its own keys. (A per-test `set_default` subscriber misses events
//! now and then when tests run in parallel: tracing caches each callsite's
//! interest across threads.)

use std::sync::{Arc, Mutex, OnceLock};

/// The shared buffer.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Logs {
    /// The binary's log buffer; the first call installs the subscriber at
    /// `level` (later calls keep the first level).
    pub fn capture(level: tracing::Level) -> Logs {
        static LOGS: OnceLock<Logs> = OnceLock::new();
        LOGS.get_or_init(|| {
            let logs = Logs::default();
            let writer = logs.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_writer(move || writer.clone())
                .with_max_level(level)
                .with_ansi(false)
                .finish();
            tracing::subscriber::set_global_default(subscriber).expect("no other global subscriber");
            logs
        })
        .clone()
    }

    /// Everything logged so far, by every test of the binary.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}
