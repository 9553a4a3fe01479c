//! Criterion benchmarks that involve a store round trip: a cold resolve of
//! 30 entries against moto_server on loopback (the real aws-sdk-ssm), and a
//! stampede of 1,000 tasks on one expired key (a store that takes 2 ms a
//! request), with the store calls counted.
//!
//! `cargo bench -p ssmconf --bench store` (needs moto_server: run
//! `scripts/test.sh` once, or set MOTO_SERVER).

#[path = "../tests/moto/harness.rs"]
#[allow(dead_code)]
mod harness;

use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_ssm::types::ParameterType;
use criterion::{Criterion, criterion_group};
use ssmconf::{
    ManualClock, MemoryStore, Parameter, ParameterStore, ParameterVersion, PutRequest, Resolver, StoreError,
};

fn cold_resolve_30_moto(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let stage = harness::unique_stage("bench");
    let mut yaml = String::from("many:\n");
    rt.block_on(async {
        let store = harness::store().await;
        for i in 0..30 {
            harness::seed(&store, &format!("/it/{stage}/p{i}"), &format!("value-{i}"), ParameterType::String).await;
            yaml.push_str(&format!("  p{i}:\n    ssm_param: /it/{{stage}}/p{i}\n"));
        }
    });
    let schema = harness::schema(&yaml);
    let store: Arc<dyn ParameterStore> = Arc::new(rt.block_on(harness::store()));
    let (mut calls, mut resolves) = (0u64, 0u64);
    c.bench_function("cold_resolve_30_moto", |b| {
        b.iter(|| {
            // A fresh resolver each time (what a cold start builds), the
            // SDK client shared (its connections stay warm, as in Lambda).
            let r = Resolver::builder(schema.clone()).var("stage", &stage).shared_store(store.clone()).build().unwrap();
            let report = rt.block_on(r.load_all()).unwrap();
            assert_eq!(report.loaded, 30);
            calls += r.stats().ssm_calls;
            resolves += 1;
            black_box(rt.block_on(r.require::<String>("many.p29")).unwrap())
        })
    });
    eprintln!("cold_resolve_30_moto: {calls} GetParameters calls in {resolves} resolves of 30");
    assert_eq!(calls, 3 * resolves, "ceil(30/10) calls a resolve");
}

/// A cold load of a path entry holding 300 parameters across nested
/// levels: GetParametersByPath, 30 pages of 10 plus moto's trailing empty
/// page, through the real SDK, client warm.
fn cold_path_300_moto(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let stage = harness::unique_stage("bench-path");
    rt.block_on(async {
        let store = harness::store().await;
        for i in 0..300 {
            let name = format!("/it/{stage}/flags/g{}/s{}/p{i}", i % 3, i % 7);
            harness::seed(&store, &name, &i.to_string(), ParameterType::String).await;
        }
    });
    let schema = harness::schema("flags:\n  ssm_path: /it/{stage}/flags/\n  type: int\n");
    let store: Arc<dyn ParameterStore> = Arc::new(rt.block_on(harness::store()));
    let (mut calls, mut loads) = (0u64, 0u64);
    c.bench_function("cold_path_300_moto", |b| {
        b.iter(|| {
            let r = Resolver::builder(schema.clone()).var("stage", &stage).shared_store(store.clone()).build().unwrap();
            let flags: serde_json::Value = rt.block_on(r.require("flags")).unwrap();
            calls += r.stats().ssm_calls;
            loads += 1;
            black_box(flags)
        })
    });
    eprintln!("cold_path_300_moto: {calls} GetParametersByPath calls in {loads} loads of 300");
    assert_eq!(calls, 31 * loads, "30 pages and moto's trailing empty one a load");
}

/// A store that takes `delay` a request, like a remote one, and counts.
#[derive(Debug)]
struct Slow {
    inner: MemoryStore,
    delay: Duration,
    calls: AtomicU64,
}

#[async_trait]
impl ParameterStore for Slow {
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.calls.fetch_add(1, Ordering::Relaxed);
        tokio::time::sleep(self.delay).await;
        self.inner.get_parameters(names).await
    }
    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.inner.put_parameter(request).await
    }
    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.inner.parameter_history(name).await
    }
}

fn stampede_1000_tasks_one_expired_key(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let store = Arc::new(Slow {
        inner: MemoryStore::from_values([("/app/model", "GPT_4O")]),
        delay: Duration::from_millis(2),
        calls: AtomicU64::new(0),
    });
    let schema = ssmconf::Schema::from_yaml_str("model:\n  ssm_param: /app/model\n", "bench.yml").unwrap();
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(schema).shared_store(store.clone()).clock(clock.clone()).build().unwrap();
    rt.block_on(r.load_all()).unwrap();
    let mut rounds = 0u64;
    let before = store.calls.load(Ordering::Relaxed);
    c.bench_function("stampede_1000_tasks_one_expired_key", |b| {
        b.iter(|| {
            clock.advance(Duration::from_secs(301));
            rounds += 1;
            rt.block_on(async {
                let tasks: Vec<_> = (0..1000)
                    .map(|_| {
                        let r = r.clone();
                        tokio::spawn(async move { r.require::<String>("model").await.unwrap() })
                    })
                    .collect();
                for t in tasks {
                    black_box(t.await.unwrap());
                }
            })
        })
    });
    let calls = store.calls.load(Ordering::Relaxed) - before;
    eprintln!(
        "stampede_1000_tasks_one_expired_key: {calls} store calls in {rounds} stampedes ({} per stampede)",
        calls as f64 / rounds as f64
    );
    assert_eq!(calls, rounds, "one store call per stampede");
}

/// Readers at expiry wait for the store; with `refresh_ahead`, a reader in
/// the window answers from the cache and the refresh runs behind it. Not a
/// criterion bench (between reads it must wait for the refresh to land,
/// which criterion would count against its time budget): 200 rounds, the
/// read alone timed, median and worst printed.
fn refresh_ahead_readers_do_not_wait() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let schema = ssmconf::Schema::from_yaml_str("model:\n  ssm_param: /app/model\n", "bench.yml").unwrap();
    let ttl = Duration::from_secs(100);
    for (name, fraction) in [("read_at_expiry_waits_for_the_store", 0.0), ("read_in_refresh_ahead_window", 0.5)] {
        let store = Arc::new(Slow {
            inner: MemoryStore::from_values([("/app/model", "GPT_4O")]),
            delay: Duration::from_millis(2),
            calls: AtomicU64::new(0),
        });
        let clock = Arc::new(ManualClock::new());
        let r = Resolver::builder(schema.clone())
            .shared_store(store.clone())
            .clock(clock.clone())
            .ttl(ttl)
            .refresh_ahead(fraction)
            .build()
            .unwrap();
        rt.block_on(r.load_all()).unwrap();
        let mut reads = Vec::with_capacity(200);
        for _ in 0..200 {
            let fetched = |r: &Resolver| rt.block_on(r.explain("model")).unwrap().fetched_at;
            let before = fetched(&r);
            // Past expiry without refresh ahead; into the window with it.
            clock.advance(if fraction == 0.0 { ttl } else { ttl.mul_f64(0.6) });
            let started = std::time::Instant::now();
            black_box(rt.block_on(r.require::<String>("model")).unwrap());
            reads.push(started.elapsed());
            // The refresh (or the fetch) has landed when the fetch time moved.
            while fetched(&r) == before {
                std::thread::sleep(Duration::from_micros(200));
            }
        }
        reads.sort();
        let stats = r.stats();
        eprintln!(
            "{name}: median {:?}, worst {:?} over 200 reads (store: 2 ms a request; misses {}, hits {})",
            reads[100], reads[199], stats.misses, stats.hits
        );
        assert_eq!(stats.misses > 1, fraction == 0.0, "{name}: {stats:?}");
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).measurement_time(Duration::from_secs(5));
    targets = cold_resolve_30_moto, cold_path_300_moto, stampede_1000_tasks_one_expired_key
}

fn main() {
    benches();
    refresh_ahead_readers_do_not_wait();
    Criterion::default().configure_from_args().final_summary();
}
