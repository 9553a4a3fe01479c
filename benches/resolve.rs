//! Criterion benchmarks of the resolver's hot paths, on a MemoryStore.
//!
//! `cargo bench -p ssmconf --bench resolve`

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use ssmconf::{MemoryStore, Resolver, Schema};

fn resolver(entries: usize) -> (Resolver, MemoryStore) {
    let mut yaml = String::from(
        "models:\n  basic:\n    ssm_param: /app/{stage}/models/basic\n  max_tokens:\n    ssm_param: /app/{stage}/limits/max_tokens\n    type: int\nmany:\n",
    );
    let store = MemoryStore::from_values([
        ("/app/dev/models/basic", "CLAUDE_3_5_SONNET_V2"),
        ("/app/dev/limits/max_tokens", "4096"),
    ]);
    for i in 0..entries {
        yaml.push_str(&format!("  p{i}:\n    ssm_param: /app/{{stage}}/many/p{i}\n"));
        store.set(format!("/app/dev/many/p{i}"), format!("value-{i}"), ssmconf::ParamType::String);
    }
    let schema = Schema::from_yaml_str(&yaml, "bench.yml").unwrap();
    (Resolver::builder(schema).var("stage", "dev").store(store.clone()).build().unwrap(), store)
}

fn cache_hit(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (r, _) = resolver(0);
    rt.block_on(r.load_all()).unwrap();
    c.bench_function("cache_hit_get_now_string", |b| {
        b.iter(|| black_box(r.get_now::<String>(black_box("models.basic")).unwrap()))
    });
    c.bench_function("cache_hit_get_now_int", |b| {
        b.iter(|| black_box(r.get_now::<i64>(black_box("models.max_tokens")).unwrap()))
    });
    c.bench_function("cache_hit_resolve_now", |b| {
        b.iter(|| black_box(r.resolve_now(black_box("models.basic"), false).unwrap()))
    });
    c.bench_function("cache_hit_with_hit", |b| {
        b.iter(|| black_box(r.with_hit(black_box("models.basic"), |hit| hit.value().as_str().map(str::len)).unwrap()))
    });
    let stamp = r.with_hit("models.basic", |hit| hit.stamp()).unwrap().expect("a hit");
    if r.still_fresh(stamp) {
        // Only where there is a coarse clock (Linux): elsewhere a stamp proves nothing.
        c.bench_function("cache_hit_still_fresh", |b| b.iter(|| black_box(r.still_fresh(black_box(stamp)))));
    }
    c.bench_function("cache_hit_get_async_string", |b| {
        b.iter(|| black_box(rt.block_on(r.get::<String>(black_box("models.basic"))).unwrap()))
    });
    c.bench_function("explain_hit", |b| {
        b.iter(|| black_box(rt.block_on(r.explain(black_box("models.basic"))).unwrap()))
    });
}

fn load_all(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (r, _) = resolver(100);
    c.bench_function("load_all_100_memory_store", |b| {
        b.iter(|| {
            r.clear_cache();
            black_box(rt.block_on(r.load_all()).unwrap())
        })
    });
}

criterion_group!(benches, cache_hit, load_all);
criterion_main!(benches);
