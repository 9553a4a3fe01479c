//! The connection to Redis: one reconnecting connection manager per
//! process, a time budget on every request, and a circuit breaker.
//!
//! No request waits on Redis longer than the budget (50 ms by default).
//! The first failure (an error, a refused AUTH, OOM, a timeout) opens the
//! circuit: for a while every request is skipped at once, then one request
//! probes, and a success closes it again. The wait doubles from 500 ms up
//! to 30 s while Redis stays down. One warning is logged when the circuit
//! opens, one info line when it closes: one warning per outage.
//!
//! The manager is made lazily, in the tokio runtime of the first request,
//! and made again after a request fails with an error (a probe then runs
//! in the runtime current at that time) and in a forked child.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

const FIRST_PROBE: Duration = Duration::from_millis(500);
const LAST_PROBE: Duration = Duration::from_secs(30);

#[derive(Debug, Default)]
struct Circuit {
    /// Requests are skipped until then.
    open_until: Option<Instant>,
    /// The next wait after a failed probe.
    wait: Duration,
    /// A probe is out.
    probing: bool,
}

pub(crate) struct Link {
    client: redis::Client,
    /// Where the URL points, without credentials (for logs).
    shown: String,
    budget: Duration,
    /// The manager, made on first use in the current runtime, with the
    /// process id it was made in (a forked child makes its own).
    manager: Mutex<Option<(u32, ConnectionManager)>>,
    circuit: Mutex<Circuit>,
    /// Requests that failed or timed out.
    pub(crate) failures: AtomicU64,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link").field("redis", &self.shown).field("budget", &self.budget).finish_non_exhaustive()
    }
}

/// Why a request gave nothing: the circuit is open, or it failed now.
#[derive(Debug)]
pub(crate) struct Skipped;

impl Link {
    /// A link to the Redis at `url` (`redis://` or `rediss://`, with
    /// `user:password@` and `/db`). Connects on first use.
    pub(crate) fn new(url: &str, budget: Duration) -> Result<Link, String> {
        let shown = redact(url);
        let client = redis::Client::open(url).map_err(|e| format!("`{shown}` is not a Redis URL: {e}"))?;
        Ok(Link {
            client,
            shown,
            budget,
            manager: Mutex::new(None),
            circuit: Mutex::new(Circuit::default()),
            failures: AtomicU64::new(0),
        })
    }

    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }

    fn connection(&self) -> Result<ConnectionManager, String> {
        let pid = std::process::id();
        let mut manager = self.manager.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((made_in, m)) = manager.as_ref()
            && *made_in == pid
        {
            return Ok(m.clone());
        }
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_secs(2).max(self.budget)))
            .set_response_timeout(None)
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_secs(2));
        let made = ConnectionManager::new_lazy_with_config(self.client.clone(), config).map_err(|e| e.to_string())?;
        *manager = Some((pid, made.clone()));
        Ok(made)
    }

    /// Whether a request may go now: the circuit is closed, or it is time
    /// for this one to probe.
    fn admit(&self) -> bool {
        let mut c = self.circuit.lock().unwrap_or_else(PoisonError::into_inner);
        match c.open_until {
            None => true,
            Some(until) if !c.probing && Instant::now() >= until => {
                c.probing = true;
                true
            }
            Some(_) => false,
        }
    }

    fn succeeded(&self) {
        let mut c = self.circuit.lock().unwrap_or_else(PoisonError::into_inner);
        if c.open_until.take().is_some() {
            tracing::info!(target: "ssmconf", redis = %self.shown, "Shared cache reachable again");
        }
        *c = Circuit::default();
    }

    fn failed(&self, why: &str) {
        self.failures.fetch_add(1, Ordering::Relaxed);
        let mut c = self.circuit.lock().unwrap_or_else(PoisonError::into_inner);
        if c.open_until.is_none() {
            tracing::warn!(target: "ssmconf", redis = %self.shown, "Shared cache unavailable, reading without it until it answers again: {why}");
            c.wait = FIRST_PROBE;
        } else if c.probing {
            c.wait = (c.wait * 2).min(LAST_PROBE);
        } else {
            // Another request of the same outage: it started before the
            // circuit opened. The wait stands.
            return;
        }
        c.probing = false;
        c.open_until = Some(Instant::now() + c.wait);
    }

    /// Runs a pipeline within the budget, through the circuit, as
    /// [`run`](Self::run) does; an error answer to any of its commands
    /// (Redis out of memory, say) counts as a failure too.
    pub(crate) async fn run_pipeline(&self, what: &str, pipe: redis::Pipeline) -> Result<Vec<redis::Value>, Skipped> {
        let values = self.run(what, |mut c| async move { pipe.query_async::<Vec<redis::Value>>(&mut c).await }).await?;
        if let Some(redis::Value::ServerError(e)) = values.iter().find(|v| matches!(v, redis::Value::ServerError(_))) {
            self.failed(&format!("{what}: {e:?}"));
            return Err(Skipped);
        }
        Ok(values)
    }

    /// Runs one request within the budget, through the circuit.
    pub(crate) async fn run<T, F, Fut>(&self, what: &str, request: F) -> Result<T, Skipped>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = redis::RedisResult<T>>,
    {
        if !self.admit() {
            return Err(Skipped);
        }
        let connection = match self.connection() {
            Ok(c) => c,
            Err(e) => {
                self.failed(&format!("cannot connect to {}: {e}", self.shown));
                return Err(Skipped);
            }
        };
        match tokio::time::timeout(self.budget, request(connection)).await {
            Ok(Ok(value)) => {
                self.succeeded();
                Ok(value)
            }
            Ok(Err(e)) => {
                // The next request (a probe) makes a new manager in the
                // runtime current then: this one's tasks may have ended
                // with the runtime they were made in.
                *self.manager.lock().unwrap_or_else(PoisonError::into_inner) = None;
                self.failed(&format!("{what}: {e}"));
                Err(Skipped)
            }
            Err(_) => {
                self.failed(&format!("{what}: no answer within {} ms", self.budget.as_millis()));
                Err(Skipped)
            }
        }
    }
}

/// The URL without its password.
fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => format!("{}://***@{}", &url[..scheme], &url[at + 1..]),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_shown_without_credentials_and_bad_ones_refused() {
        assert_eq!(redact("rediss://user:s3cret@cache.example:6380/2"), "rediss://***@cache.example:6380/2");
        assert_eq!(redact("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        let err = Link::new("http://x:s3cret@h", Duration::from_millis(50)).unwrap_err();
        assert!(!err.contains("s3cret"), "{err}");
        assert!(Link::new("rediss://:tok@127.0.0.1:1/3", Duration::from_millis(50)).is_ok());
    }

    #[tokio::test]
    async fn a_dead_redis_opens_the_circuit_and_nothing_waits_past_the_budget() {
        // A port nothing listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let link = Link::new(&format!("redis://127.0.0.1:{port}"), Duration::from_millis(50)).unwrap();
        let started = Instant::now();
        let first = link.run("GET", |mut c| async move { redis::cmd("GET").arg("k").query_async::<()>(&mut c).await });
        assert!(first.await.is_err());
        assert_eq!(link.failures.load(Ordering::Relaxed), 1);
        for _ in 0..100 {
            let r = link.run("GET", |mut c| async move { redis::cmd("GET").arg("k").query_async::<()>(&mut c).await });
            assert!(r.await.is_err());
        }
        assert_eq!(link.failures.load(Ordering::Relaxed), 1, "the open circuit skips without asking");
        assert!(started.elapsed() < Duration::from_millis(400), "{:?}", started.elapsed());
    }
}
