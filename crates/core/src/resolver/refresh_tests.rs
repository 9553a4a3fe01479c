//! Refresh ahead, TTL jitter and the snapshot, against a MemoryStore and a
//! ManualClock.

use std::sync::Arc;
use std::time::Duration;

use crate::{ManualClock, MemoryStore, ParamType, Resolver, Schema, Source, StoreError, StoreErrorKind};

const SCHEMA: &str = "\
model:
  ssm_param: /app/model
  default: GPT_4O
limit:
  ssm_param: /app/limit
  type: int
token:
  ssm_param: /app/token
  secure: true
";

fn schema() -> Schema {
    Schema::from_yaml_str(SCHEMA, "app.yml").unwrap()
}

fn down() -> Option<StoreError> {
    Some(StoreError::new(StoreErrorKind::Network, "unreachable"))
}

/// Lets background tasks (a refresh, a snapshot write) run a while.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(100)).await;
}

/// Waits for background work to make `done` true (at most 10 s).
async fn eventually(what: &str, done: impl Fn() -> bool) {
    for _ in 0..1000 {
        if done() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("not within 10 s: {what}");
}

/// A resolver on a manual clock with a 100 s TTL, refreshing in the last
/// `fraction` of it.
fn refreshing(store: &MemoryStore, fraction: f64) -> (Resolver, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(schema())
        .store(store.clone())
        .clock(clock.clone())
        .ttl(Duration::from_secs(100))
        .refresh_ahead(fraction)
        .build()
        .unwrap();
    (r, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_ahead_answers_at_once_and_refreshes_in_the_background() {
    let store = MemoryStore::from_values([("/app/model", "v1")]);
    let (r, clock) = refreshing(&store, 0.2);
    assert_eq!(r.require::<String>("model").await.unwrap(), "v1");
    let calls = store.calls();
    store.set("/app/model", "v2", ParamType::String);

    // Before the last 20 s: a plain hit, no refresh.
    clock.advance(Duration::from_secs(79));
    assert_eq!(r.get_now::<String>("model").unwrap(), Some(Some("v1".into())));
    settle().await;
    assert_eq!(store.calls(), calls, "no refresh before the window");

    // In the window: every read answers at once from the cache (get_now
    // needs no I/O), the old value until the one background refresh lands.
    clock.advance(Duration::from_secs(2));
    assert_eq!(r.get_now::<String>("model").unwrap(), Some(Some("v1".into())));
    for _ in 0..100 {
        let value = r.get_now::<String>("model").unwrap().expect("answered without the store").unwrap();
        assert!(value == "v1" || value == "v2", "{value}");
    }
    eventually("the refresh", || store.calls() > calls).await;
    settle().await;
    assert_eq!(store.calls(), calls + 1, "one background refresh for 100 reads");
    assert_eq!(r.get_now::<String>("model").unwrap(), Some(Some("v2".into())), "the refreshed value, fresh again");
    let why = r.explain("model").await.unwrap();
    assert_eq!((why.source, why.version), (Source::Ssm, Some(2)));
    let stats = r.stats();
    assert_eq!(stats.misses, 1, "readers never missed: {stats:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_refresh_keeps_the_cached_value_until_it_expires() {
    let store = MemoryStore::from_values([("/app/model", "v1")]);
    let (r, clock) = refreshing(&store, 0.5);
    r.load_all().await.unwrap();
    store.fail_with(down());
    let calls = store.calls();
    clock.advance(Duration::from_secs(60));
    assert_eq!(r.require::<String>("model").await.unwrap(), "v1");
    eventually("the refresh was tried", || store.calls() > calls).await;
    settle().await;
    let why = r.explain("model").await.unwrap();
    assert_eq!((why.source, why.error), (Source::Ssm, None), "still the fresh value, not a cached failure");
    clock.advance(Duration::from_secs(41));
    let why = r.explain("model").await.unwrap();
    assert_eq!(why.source, Source::Stale, "after expiry the chain falls back as usual");
}

#[tokio::test]
async fn jitter_spreads_expiry_below_the_ttl() {
    let yaml: String = (0..40).map(|i| format!("k{i}:\n  ssm_param: /app/k{i}\n")).collect();
    let store = MemoryStore::from_values((0..40).map(|i| (format!("/app/k{i}"), "v")));
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(Schema::from_yaml_str(&yaml, "k.yml").unwrap())
        .store(store)
        .clock(clock.clone())
        .ttl(Duration::from_secs(1000))
        .ttl_jitter(0.1)
        .build()
        .unwrap();
    r.load_all().await.unwrap();
    let mut lifetimes = Vec::new();
    for i in 0..40 {
        let why = r.explain(&format!("k{i}")).await.unwrap();
        let life = why.expires_at.unwrap().duration_since(why.fetched_at.unwrap()).unwrap();
        assert!(life <= Duration::from_secs(1000) && life >= Duration::from_secs(900), "{life:?}");
        lifetimes.push(life);
    }
    lifetimes.sort();
    lifetimes.dedup();
    assert!(lifetimes.len() > 30, "spread, not one value: {lifetimes:?}");
    assert!(Resolver::builder(schema()).store(MemoryStore::new()).ttl_jitter(1.0).build().is_err());
    assert!(Resolver::builder(schema()).store(MemoryStore::new()).refresh_ahead(-0.1).build().is_err());
}

#[tokio::test]
async fn a_cold_start_while_ssm_is_down_serves_the_snapshot_but_never_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let store = MemoryStore::from_values([("/app/model", "CLAUDE_OPUS_4_5"), ("/app/limit", "42")]);
    store.set("/app/token", "s3cret-snapshot-token", ParamType::SecureString);
    let first = Resolver::builder(schema()).store(store).snapshot(&path).build().unwrap();
    first.load_all().await.unwrap();
    first.flush_snapshot();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains("CLAUDE_OPUS_4_5") && text.contains("\"42\""), "{text}");
    assert!(!text.contains("s3cret") && !text.contains("/app/token"), "a secure value was written: {text}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
    }

    let down_store = MemoryStore::new();
    down_store.fail_with(down());
    let second = Resolver::builder(schema()).store(down_store).snapshot(&path).build().unwrap();
    let why = second.explain("model").await.unwrap();
    assert_eq!((why.value, why.source, why.version), (Some("CLAUDE_OPUS_4_5".into()), Source::Stale, Some(1)));
    assert_eq!(second.require::<i64>("limit").await.unwrap(), 42);
    assert_eq!(second.get::<String>("token").await.unwrap(), None, "nothing for the secret");
}

#[tokio::test]
async fn a_snapshot_is_written_after_fetches_and_follows_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let store = MemoryStore::from_values([("/app/model", "GPT_4O")]);
    let r = Resolver::builder(schema()).store(store.clone()).snapshot(&path).ttl(Duration::ZERO).build().unwrap();
    let snapshot = || std::fs::read_to_string(&path).unwrap_or_default();
    r.require::<String>("model").await.unwrap();
    eventually("written in the background", || snapshot().contains("GPT_4O")).await;
    store.remove("/app/model");
    r.get::<String>("model").await.unwrap();
    eventually("a deleted parameter is forgotten", || !snapshot().contains("GPT_4O")).await;
}

#[tokio::test]
async fn a_corrupt_foreign_or_tampered_snapshot_is_not_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("snap.json");
    let down_store = MemoryStore::new();
    down_store.fail_with(down());
    let cases = [
        "{ truncated".to_string(),
        r#"{"format": "someone-else/1", "parameters": {}}"#.to_string(),
        // Not allowed by the entry's type: refused value by value.
        r#"{"format": "ssmconf-snapshot/1", "parameters": {"/app/limit": {"raw": "many", "version": 1, "fetched_at": 0}}}"#.to_string(),
        // A secure entry's value planted in the file: never read.
        r#"{"format": "ssmconf-snapshot/1", "parameters": {"/app/token": {"raw": "planted", "version": 1, "fetched_at": 0}}}"#.to_string(),
    ];
    for text in cases {
        std::fs::write(&path, &text).unwrap();
        let r = Resolver::builder(schema()).store(down_store.clone()).snapshot(&path).build().unwrap();
        for key in ["limit", "token"] {
            let why = r.explain(key).await.unwrap();
            assert_eq!(why.source, Source::None, "{key} from {text}");
        }
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text, "an untrusted file is left as it is");
    }
}
