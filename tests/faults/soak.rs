//! A bounded soak: many tasks mix reads, writes, invalidations and change
//! events against moto_server for a fixed time. No deadlock, no panic, no
//! lost write, and the counters add up.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ssmconf::{Resolver, Source};

use super::harness;

const KEYS: usize = 8;
const TASKS: usize = 16;
const RUN_FOR: Duration = Duration::from_secs(4);

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn many_tasks_mixing_every_operation_agree_with_the_store() {
    let stage = harness::unique_stage("soak");
    let mut yaml = String::from("soak:\n");
    for i in 0..KEYS {
        yaml.push_str(&format!("  k{i}:\n    ssm_param: /it/{{stage}}/soak/k{i}\n    type: int\n    default: 0\n"));
    }
    // A short TTL on the real clock, so entries also expire during the run.
    let resolver = Resolver::builder(harness::schema(&yaml))
        .var("stage", &stage)
        .store(harness::store().await)
        .ttl(Duration::from_millis(300))
        .build()
        .unwrap();
    let reads = Arc::new(AtomicU64::new(0));
    let writes: Arc<Vec<AtomicU64>> = Arc::new((0..KEYS).map(|_| AtomicU64::new(0)).collect());
    let deadline = Instant::now() + RUN_FOR;
    let mut tasks = Vec::new();
    for t in 0..TASKS {
        let (resolver, reads, writes, stage) = (resolver.clone(), reads.clone(), writes.clone(), stage.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = t;
            while Instant::now() < deadline {
                n = n.wrapping_mul(31).wrapping_add(7);
                let i = n % KEYS;
                let key = format!("soak.k{i}");
                match n % 10 {
                    // One writer per key (task t writes key t), so the last
                    // value written is known.
                    0 if t < KEYS => {
                        let next = writes[t].fetch_add(1, Ordering::SeqCst) as i64 + 1;
                        resolver.put(&format!("soak.k{t}"), next).await.expect("put");
                    }
                    1 => {
                        resolver.invalidate(&key);
                    }
                    2 => {
                        let event = serde_json::json!({
                            "source": "aws.ssm",
                            "detail-type": "Parameter Store Change",
                            "detail": {"name": format!("/it/{stage}/soak/k{i}"), "operation": "Update"}
                        });
                        assert_eq!(resolver.handle_change_event(&event), vec![key]);
                    }
                    _ => {
                        let value: i64 = resolver.require(&key).await.expect("read");
                        assert!(value >= 0);
                        reads.fetch_add(1, Ordering::SeqCst);
                    }
                }
            }
        }));
    }
    let all = futures_util::future::join_all(tasks);
    let finished = tokio::time::timeout(RUN_FOR + Duration::from_secs(60), all).await.expect("no deadlock");
    for task in finished {
        task.expect("no task panicked");
    }

    // Every write is there, and reads agree once the cache is dropped.
    resolver.clear_cache();
    for (i, written) in writes.iter().enumerate() {
        let written = written.load(Ordering::SeqCst) as i64;
        let why = resolver.explain(&format!("soak.k{i}")).await.unwrap();
        let want = if written == 0 { Source::Default } else { Source::Ssm };
        assert_eq!((why.value, why.source), (Some(written.into()), want), "key {i}");
    }
    let stats = resolver.stats();
    let reads = reads.load(Ordering::SeqCst) + KEYS as u64;
    assert_eq!(stats.hits + stats.misses, reads, "every read is one hit or one miss: {stats:?}");
    assert_eq!((stats.ssm_errors, stats.stale_served), (0, 0), "{stats:?}");
    assert!(stats.ssm_calls <= stats.misses, "misses share requests: {stats:?}");
    assert!(stats.hits > 0 && stats.misses > 0, "{stats:?}");
}
