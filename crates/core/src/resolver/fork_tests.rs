//! A resolver across a real `fork()`: the child is not blocked by a fetch
//! that a parent thread had in flight when the process forked.
#![allow(unsafe_code)] // fork, waitpid, kill and _exit through libc, in tests only

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;

use crate::{MemoryStore, Parameter, ParameterStore, ParameterVersion, PutRequest, Resolver, Schema, StoreError};

/// A store whose reads block in the process that made it until released:
/// a fetch stuck in flight. In any other process (a fork child) they answer.
#[derive(Debug)]
struct Stuck {
    inner: MemoryStore,
    pid: u32,
    entered: AtomicBool,
    released: AtomicBool,
}

#[async_trait]
impl ParameterStore for Stuck {
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        if std::process::id() == self.pid {
            self.entered.store(true, Ordering::Release);
            while !self.released.load(Ordering::Acquire) {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        self.inner.get_parameters(names).await
    }
    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.inner.put_parameter(request).await
    }
    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.inner.parameter_history(name).await
    }
}

/// Waits for `pid` for up to `deadline`; kills it after that. Its exit code,
/// or `None` when it had to be killed.
fn wait_or_kill(pid: libc::pid_t, deadline: Duration) -> Option<i32> {
    let end = Instant::now() + deadline;
    let mut status = 0;
    loop {
        // SAFETY: `pid` is our child; `status` is a valid out-pointer.
        let done = unsafe { libc::waitpid(pid, &mut status, libc::WNOHANG) };
        if done == pid {
            return libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
        }
        if Instant::now() > end {
            // SAFETY: as above.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
                libc::waitpid(pid, &mut status, 0);
            }
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The child's part: reads that must not wait on the parent's fetch. Its
/// exit code says which check failed.
fn in_child(resolver: &Resolver, parent_generation: u64) -> i32 {
    if crate::fork::generation() == parent_generation {
        return 2;
    }
    let Ok(rt) = tokio::runtime::Builder::new_current_thread().enable_all().build() else { return 3 };
    let read =
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), resolver.get::<String>("stuck")).await });
    match read {
        Ok(Ok(Some(v))) if v == "value" => {}
        Err(_) => return 4, // waited on the parent's flight: the bug this test guards against
        _ => return 5,
    }
    // The key just fetched is cached in the child, and a batch takes the
    // inherited locks of every key in order: none blocks either.
    let batch = rt.block_on(async { tokio::time::timeout(Duration::from_secs(5), resolver.load_all()).await });
    if !matches!(batch, Ok(Ok(_))) {
        return 6;
    }
    0
}

#[test]
fn a_fetch_in_flight_at_fork_time_does_not_block_the_child() {
    let schema =
        Schema::from_yaml_str("stuck:\n  ssm_param: /f/stuck\nother:\n  ssm_param: /f/other\n  ttl: 0\n", "inline.yml")
            .unwrap();
    let store = Arc::new(Stuck {
        inner: MemoryStore::from_values([("/f/stuck", "value"), ("/f/other", "o")]),
        pid: std::process::id(),
        entered: AtomicBool::new(false),
        released: AtomicBool::new(false),
    });
    let resolver = Resolver::builder(schema).shared_store(store.clone()).build().unwrap();

    // A parent thread starts the fetch of `stuck` and holds its flight lock.
    let reader = {
        let resolver = resolver.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(resolver.get::<String>("stuck"))
        })
    };
    let end = Instant::now() + Duration::from_secs(10);
    while !store.entered.load(Ordering::Acquire) {
        assert!(Instant::now() < end, "the parent's fetch never started");
        std::thread::sleep(Duration::from_millis(2));
    }
    let parent_generation = crate::fork::generation();

    // SAFETY: the child runs only this test's code (no lock a parent thread
    // could hold but the resolver's own, which is what is tested) and ends
    // with `_exit`, never returning into the test harness.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork failed");
    if pid == 0 {
        // A panic must not unwind into the copy of the test harness.
        let code = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| in_child(&resolver, parent_generation)))
            .unwrap_or(7);
        // SAFETY: ends the child without running the parent's destructors.
        unsafe { libc::_exit(code) };
    }
    let code = wait_or_kill(pid, Duration::from_secs(20));
    store.released.store(true, Ordering::Release);
    let parent_read = reader.join().unwrap().unwrap();
    assert_eq!(
        code,
        Some(0),
        "the child (2: same generation, 4: blocked on the parent's fetch, 7: panicked, None: hung)"
    );
    assert_eq!(parent_read.as_deref(), Some("value"), "the parent's fetch completes as usual");
    assert_eq!(crate::fork::generation(), parent_generation, "the parent's generation never moves");
}
