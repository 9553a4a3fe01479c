//! Names outside the schema, against a MemoryStore and a ManualClock.

use std::sync::Arc;
use std::time::Duration;

use crate::{
    Error, ManualClock, MemoryStore, ParamType, ParameterOptions, Resolver, Schema, StoreError, StoreErrorKind,
};

fn open(store: &MemoryStore) -> (Resolver, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(Schema::empty())
        .store(store.clone())
        .clock(clock.clone())
        .ttl(Duration::from_secs(100))
        .open_stale_keep(Duration::from_secs(1000))
        .build()
        .unwrap();
    (r, clock)
}

fn down() -> Option<StoreError> {
    Some(StoreError::new(StoreErrorKind::Network, "unreachable"))
}

#[tokio::test]
async fn a_name_is_cached_for_the_ttl_and_fetched_again_after() {
    let store = MemoryStore::from_values([("/a/b", "1")]);
    let (r, clock) = open(&store);
    assert_eq!(r.parameter("/a/b").await.unwrap().unwrap().value, "1");
    store.set("/a/b", "2", ParamType::String);
    assert_eq!(r.parameter("/a/b").await.unwrap().unwrap().value, "1");
    assert_eq!(r.stats().ssm_calls, 1);
    assert_eq!(r.stats().hits, 1);
    clock.advance(Duration::from_secs(101));
    assert_eq!(r.parameter("/a/b").await.unwrap().unwrap().value, "2");
    assert_eq!(r.stats().ssm_calls, 2);
}

#[tokio::test]
async fn max_age_and_force_fetch_ask_the_store() {
    let store = MemoryStore::from_values([("/a/b", "1")]);
    let (r, clock) = open(&store);
    r.parameter("/a/b").await.unwrap();
    store.set("/a/b", "2", ParamType::String);
    clock.advance(Duration::from_secs(10));
    let short = ParameterOptions::default().max_age(Duration::from_secs(5));
    assert_eq!(r.parameter_with("/a/b", &short).await.unwrap().parameter().unwrap().value, "2");
    store.set("/a/b", "3", ParamType::String);
    let force = ParameterOptions::default().force_fetch(true);
    assert_eq!(r.parameter_with("/a/b", &force).await.unwrap().parameter().unwrap().value, "3");
    assert_eq!(r.stats().ssm_calls, 3);
    assert!(r.parameter_now("/a/b", &force).is_none());
}

#[tokio::test]
async fn not_found_is_cached_as_none() {
    let store = MemoryStore::new();
    let (r, _) = open(&store);
    assert!(r.parameter("/none").await.unwrap().is_none());
    assert!(r.parameter("/none").await.unwrap().is_none());
    assert_eq!(r.stats().ssm_calls, 1);
}

#[tokio::test]
async fn a_failed_refresh_serves_the_last_value_then_fails_past_the_keep() {
    let store = MemoryStore::from_values([("/a/b", "1")]);
    let (r, clock) = open(&store);
    r.parameter("/a/b").await.unwrap();
    store.fail_with(down());
    clock.advance(Duration::from_secs(101));
    assert_eq!(r.parameter("/a/b").await.unwrap().unwrap().value, "1");
    assert_eq!(r.stats().stale_served, 1);
    // The failure is cached for the TTL: one request per TTL.
    assert_eq!(r.parameter("/a/b").await.unwrap().unwrap().value, "1");
    assert_eq!(r.stats().ssm_calls, 2);
    // Past the TTL and the keep (100 s + 1000 s after the fetch), an error.
    clock.advance(Duration::from_secs(1000));
    let err = r.parameter("/a/b").await.unwrap_err();
    assert!(matches!(&err, Error::Store { what, .. } if what == "/a/b"), "{err}");
    let fresh = MemoryStore::new();
    fresh.fail_with(down());
    let (cold, _) = open(&fresh);
    let err = cold.parameter("/a/b").await.unwrap_err();
    assert!(matches!(&err, Error::Store { what, .. } if what == "/a/b"), "{err}");
}

#[tokio::test]
async fn invalid_names_are_refused_with_the_name() {
    let (r, _) = open(&MemoryStore::new());
    for bad in ["", "a b", "/a//b", "/aws-x/y", "/a/b:"] {
        let err = r.parameter(bad).await.unwrap_err();
        assert!(matches!(&err, Error::InvalidName { name, .. } if name == bad), "{bad}: {err}");
    }
    assert!(matches!(r.parameters_by_path("a/b").await, Err(Error::InvalidName { .. })));
    assert_eq!(r.stats().ssm_calls, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_readers_of_an_expired_name_send_one_request() {
    let store = MemoryStore::from_values([("/a/b", "1")]);
    let (r, clock) = open(&store);
    r.parameter("/a/b").await.unwrap();
    clock.advance(Duration::from_secs(101));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.parameter("/a/b").await.unwrap().unwrap().value })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "1");
    }
    assert_eq!(r.stats().ssm_calls, 2);
}

#[tokio::test]
async fn by_name_batches_ten_and_returns_every_batch() {
    let store = MemoryStore::from_values((0..25).map(|i| (format!("/n/{i}"), i.to_string())));
    let (r, _) = open(&store);
    let mut names: Vec<String> = (0..25).map(|i| format!("/n/{i}")).collect();
    names.push("/n/missing".into());
    let found = r.parameters_by_name(&names, &ParameterOptions::default()).await;
    assert_eq!(found.len(), 26);
    for (i, (name, result)) in found.iter().enumerate().take(25) {
        assert_eq!(name, &format!("/n/{i}"));
        assert_eq!(result.as_ref().unwrap().parameter().unwrap().value, i.to_string());
    }
    assert!(found[25].1.as_ref().unwrap().parameter().is_none());
    assert_eq!(r.stats().ssm_calls, 3);
    // All cached now, and shared with `parameter`.
    r.parameters_by_name(&names, &ParameterOptions::default()).await;
    r.parameter("/n/3").await.unwrap();
    assert_eq!(r.stats().ssm_calls, 3);
}

#[tokio::test]
async fn a_path_is_one_cached_unit_of_every_page() {
    let store = MemoryStore::from_values((0..35).map(|i| (format!("/p/{}/{i}", i % 3), i.to_string())));
    store.set("/q/x", "no", ParamType::String);
    let (r, clock) = open(&store);
    let all = r.parameters_by_path("/p").await.unwrap();
    assert_eq!(all.len(), 35);
    assert_eq!(r.stats().ssm_calls, 4);
    assert_eq!(r.parameters_by_path("/p/").await.unwrap().len(), 35);
    // `/p/` and `/p` are different keys (SSM treats them alike; we do not normalize).
    let calls = r.stats().ssm_calls;
    r.parameters_by_path("/p").await.unwrap();
    assert_eq!(r.stats().ssm_calls, calls);
    let shallow = r.parameters_by_path_with("/p", false, &ParameterOptions::default()).await.unwrap();
    assert!(shallow.parameters().is_empty());
    store.fail_with(down());
    clock.advance(Duration::from_secs(101));
    assert_eq!(r.parameters_by_path("/p").await.unwrap().len(), 35);
    assert_eq!(r.stats().stale_served, 1);
}

#[tokio::test]
async fn the_cache_is_bounded() {
    let store = MemoryStore::from_values((0..200).map(|i| (format!("/n/{i}"), "v")));
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(Schema::empty()).store(store).clock(clock).open_cache_capacity(50).build().unwrap();
    for i in 0..200 {
        r.parameter(&format!("/n/{i}")).await.unwrap();
    }
    let (owned, indexed) = r.inner.open.names_len();
    assert!(owned <= 50, "{owned}");
    // The index follows moka's evictions.
    assert_eq!(indexed as u64, owned);
}

#[tokio::test]
async fn secure_values_stay_out_of_debug() {
    let store = MemoryStore::new();
    store.set("/s", "hunter2", ParamType::SecureString);
    let (r, _) = open(&store);
    let v = r.parameter_with("/s", &ParameterOptions::default()).await.unwrap();
    assert_eq!(v.parameter().unwrap().value, "hunter2");
    assert!(!format!("{v:?}").contains("hunter2"));
}
