//! The chain step by step, against a MemoryStore and a ManualClock.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::{
    Error, ManualClock, MemoryStore, ParamType, Parameter, ParameterStore, ParameterVersion, PutRequest, Resolver,
    Schema, Source, StoreError, StoreErrorKind,
};

const SCHEMA: &str = r#"
models:
  default_basic:
    ssm_param: /app/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
  no_cache:
    ssm_param: /app/{stage}/models/no_cache
    ttl: 0
ec2:
  instance_id:
    ssm_param: /app/{stage}/ec2/instance-id
    required: true
limits:
  max_tokens:
    ssm_param: /app/{stage}/limits/max_tokens
    type: int
    default: 1024
secrets:
  token:
    ssm_param: /app/{stage}/secrets/token
    secure: true
    type: int
training:
  epochs: 3
"#;

fn setup(store: &MemoryStore) -> (Resolver, Arc<ManualClock>) {
    let clock = Arc::new(ManualClock::new());
    let schema = Schema::from_yaml_str(SCHEMA, "app.yml").unwrap();
    let resolver =
        Resolver::builder(schema).var("stage", "dev").store(store.clone()).clock(clock.clone()).build().unwrap();
    (resolver, clock)
}

fn down() -> Option<StoreError> {
    Some(StoreError::new(StoreErrorKind::Throttled, "Rate exceeded"))
}

#[tokio::test]
async fn the_cache_answers_until_the_ttl_passes() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, clock) = setup(&store);
    assert_eq!(resolver.get::<String>("models.default_basic").await.unwrap().as_deref(), Some("GPT_4O"));
    store.set("/app/dev/models/default_basic", "CLAUDE_OPUS_4_5", ParamType::String);
    clock.advance(Duration::from_secs(299));
    assert_eq!(resolver.get::<String>("models.default_basic").await.unwrap().as_deref(), Some("GPT_4O"));
    assert_eq!(store.calls(), 1);
    clock.advance(Duration::from_secs(1));
    assert_eq!(resolver.get::<String>("models.default_basic").await.unwrap().as_deref(), Some("CLAUDE_OPUS_4_5"));
    assert_eq!(store.calls(), 2);
    let stats = resolver.stats();
    assert_eq!((stats.hits, stats.misses, stats.ssm_calls), (1, 2, 2));
}

#[tokio::test]
async fn ttl_zero_is_never_cached() {
    let store = MemoryStore::from_values([("/app/dev/models/no_cache", "X")]);
    let (resolver, _) = setup(&store);
    for _ in 0..3 {
        assert_eq!(resolver.require::<String>("models.no_cache").await.unwrap(), "X");
    }
    assert_eq!(store.calls(), 3);
    assert_eq!(resolver.get_now::<String>("models.no_cache").unwrap(), None, "nothing to answer without I/O");
}

#[tokio::test]
async fn a_hit_is_answered_without_the_runtime() {
    let store = MemoryStore::from_values([("/app/dev/limits/max_tokens", "2048")]);
    let (resolver, _) = setup(&store);
    assert_eq!(resolver.get_now::<i64>("limits.max_tokens").unwrap(), None);
    resolver.load_all().await.unwrap();
    assert_eq!(resolver.get_now::<i64>("limits.max_tokens").unwrap(), Some(Some(2048)));
    assert_eq!(resolver.get_now::<u32>("training.epochs").unwrap(), Some(Some(3)));
    let answer = resolver.resolve_now("ec2.instance_id", true).unwrap().expect("cached as missing");
    assert_eq!((answer.value().is_none(), answer.source()), (true, Source::Caller));
}

#[tokio::test]
async fn a_failed_fetch_falls_to_stale_then_default_then_caller() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, clock) = setup(&store);
    resolver.load_all().await.unwrap();
    store.fail_with(down());
    clock.advance(Duration::from_secs(301));

    let why = resolver.explain("models.default_basic").await.unwrap();
    assert_eq!((why.source, why.value.clone()), (Source::Stale, Some("GPT_4O".into())));
    assert_eq!(why.error.as_deref(), Some("throttled: Rate exceeded"));
    let steps: Vec<&str> = why.steps.iter().map(|s| s.source.as_str()).collect();
    assert_eq!(steps, ["env", "cache", "ssm", "stale"]);

    // never fetched before: no stale, so the schema default, then the caller's
    assert_eq!(resolver.require::<i64>("limits.max_tokens").await.unwrap(), 1024);
    assert_eq!(resolver.get_or::<String>("ec2.instance_id", "i-caller".into()).await.unwrap(), "i-caller");
    assert_eq!(resolver.get::<String>("ec2.instance_id").await.unwrap(), None);

    let stats = resolver.stats();
    assert_eq!(stats.stale_served, 1);
    assert_eq!(stats.defaults_served, 2, "schema default and caller default");
    assert!(stats.ssm_errors >= 1);
}

#[tokio::test]
async fn a_deleted_parameter_is_not_served_stale() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, clock) = setup(&store);
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "GPT_4O");
    store.remove("/app/dev/models/default_basic");
    clock.advance(Duration::from_secs(301));
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "CLAUDE_3_5_SONNET_V2");
    store.fail_with(down());
    clock.advance(Duration::from_secs(301));
    let why = resolver.explain("models.default_basic").await.unwrap();
    assert_eq!(why.source, Source::Default, "the deleted value must not come back as stale");
}

#[tokio::test]
async fn a_value_that_does_not_decode_is_a_failed_fetch() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, clock) = setup(&store);
    resolver.load_all().await.unwrap();
    store.set("/app/dev/models/default_basic", "NOT_A_MODEL", ParamType::String);
    store.set("/app/dev/secrets/token", "hunter2", ParamType::SecureString);
    clock.advance(Duration::from_secs(301));
    let why = resolver.explain("models.default_basic").await.unwrap();
    assert_eq!((why.source, why.value), (Source::Stale, Some("GPT_4O".into())));
    assert!(why.error.as_deref().unwrap().contains("NOT_A_MODEL"), "{:?}", why.error);

    let secret = resolver.explain("secrets.token").await.unwrap();
    assert_eq!(secret.source, Source::None);
    let error = secret.error.unwrap();
    assert!(error.starts_with("invalid value"), "{error}");
    assert!(!error.contains("hunter2"), "{error}");
}

#[tokio::test]
async fn require_names_the_key_the_ssm_name_and_each_step() {
    let store = MemoryStore::new();
    let (resolver, _) = setup(&store);
    let err = resolver.require::<String>("ec2.instance_id").await.unwrap_err();
    assert!(matches!(err, Error::NotFound { .. }));
    assert_eq!(
        err.to_string(),
        "no value for `ec2.instance_id` (SSM name /app/dev/ec2/instance-id): env: no `env` variable in the schema; \
         cache: the parameter does not exist (asked 0s ago); stale: skipped: the parameter does not exist; \
         default: no default in the schema; caller: no default given"
    );
}

#[tokio::test]
async fn unknown_keys_suggest_the_nearest() {
    let (resolver, _) = setup(&MemoryStore::new());
    let err = resolver.get::<String>("models.defualt_basic").await.unwrap_err();
    assert_eq!(err.to_string(), "unknown key `models.defualt_basic`; did you mean `models.default_basic`?");
    assert!(!resolver.invalidate("nope"));
    assert!(!resolver.invalidate("training.epochs"), "a literal is never cached");
}

#[tokio::test]
async fn a_secure_value_stays_out_of_errors_debug_and_explain() {
    let store = MemoryStore::new();
    store.set("/app/dev/secrets/token", "987654321", ParamType::SecureString);
    let (resolver, _) = setup(&store);
    assert_eq!(resolver.require::<i64>("secrets.token").await.unwrap(), 987_654_321);
    let why = resolver.explain("secrets.token").await.unwrap();
    assert_eq!(why.value, Some("***".into()));
    let err = resolver.require::<u8>("secrets.token").await.unwrap_err();
    for text in [format!("{why:?}"), err.to_string(), format!("{err:?}"), format!("{resolver:?}"), format!("{store:?}")]
    {
        assert!(!text.contains("987654321"), "{text}");
    }
}

#[tokio::test]
async fn invalidate_and_clear_cache_make_the_next_read_fetch() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, _) = setup(&store);
    resolver.load_all().await.unwrap();
    let calls = store.calls();
    store.set("/app/dev/models/default_basic", "CLAUDE_OPUS_4_5", ParamType::String);
    assert!(resolver.invalidate("models.default_basic"));
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "CLAUDE_OPUS_4_5");
    assert_eq!(store.calls(), calls + 1);
    resolver.clear_cache();
    let _ = resolver.get::<i64>("limits.max_tokens").await.unwrap();
    let _ = resolver.get::<String>("models.default_basic").await.unwrap();
    assert_eq!(store.calls(), calls + 3);
}

#[tokio::test]
async fn put_validates_then_the_next_read_sees_it() {
    let store = MemoryStore::new();
    let (resolver, _) = setup(&store);
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "CLAUDE_3_5_SONNET_V2");
    assert_eq!(resolver.put("models.default_basic", "GPT_4O").await.unwrap(), 1);
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "GPT_4O");
    let err = resolver.put("limits.max_tokens", "many").await.unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    let err = resolver.put("training.epochs", 4).await.unwrap_err();
    assert!(err.to_string().contains("literal"), "{err}");
    assert_eq!(store.value("/app/dev/limits/max_tokens"), None);
}

/// A store that answers slowly and counts its calls.
#[derive(Debug, Default)]
struct Slow {
    calls: AtomicU64,
}

#[async_trait]
impl ParameterStore for Slow {
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(50)).await;
        Ok(names
            .iter()
            .map(|n| {
                Some(Parameter {
                    name: n.clone(),
                    value: "GPT_4O".into(),
                    version: 1,
                    param_type: ParamType::String,
                    last_modified: None,
                })
            })
            .collect())
    }
    async fn put_parameter(&self, _: &PutRequest) -> Result<i64, StoreError> {
        unreachable!("not written in this test")
    }
    async fn parameter_history(&self, _: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        Ok(Vec::new())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_readers_of_one_expired_key_make_one_call() {
    let slow = Arc::new(Slow::default());
    let clock = Arc::new(ManualClock::new());
    let schema = Schema::from_yaml_str(SCHEMA, "app.yml").unwrap();
    let resolver =
        Resolver::builder(schema).var("stage", "dev").shared_store(slow.clone()).clock(clock.clone()).build().unwrap();
    resolver.load_all().await.unwrap();
    let before = slow.calls.load(Ordering::SeqCst);
    clock.advance(Duration::from_secs(301));
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let r = resolver.clone();
            tokio::spawn(async move { r.require::<String>("models.default_basic").await.unwrap() })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), "GPT_4O");
    }
    assert_eq!(slow.calls.load(Ordering::SeqCst) - before, 1);
    let stats = resolver.stats();
    assert_eq!(stats.hits + stats.misses, 1000, "every read is a hit or a miss");
}

/// Captures what `tracing` writes, for the log tests.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn logs_say_what_spec_says_once_per_ttl_and_never_a_secret() {
    // A global subscriber that wants every event keeps tracing from caching
    // "nobody listens" for a callsite first hit on another test's thread,
    // which would hide it from this thread's scoped subscriber.
    let quiet = tracing_subscriber::fmt().with_writer(std::io::sink).with_max_level(tracing::Level::TRACE).finish();
    let _ = tracing::subscriber::set_global_default(quiet);
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
            store.set("/app/dev/secrets/token", "55555", ParamType::SecureString);
            let (resolver, clock) = setup(&store);
            resolver.load_all().await.unwrap();
            resolver.put("secrets.token", 77777).await.unwrap();
            store.fail_with(down());
            clock.advance(Duration::from_secs(301));
            for _ in 0..5 {
                resolver.require::<String>("models.default_basic").await.unwrap();
            }
        });
    });
    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("Parameter Store service initialized"), "{logs}");
    assert!(logs.contains("Loaded 2 parameters from Parameter Store"), "{logs}");
    assert!(logs.contains("Parameter updated in Parameter Store: /app/dev/secrets/token (version 2)"), "{logs}");
    let warning = "Using fallback value for models.default_basic (stale): throttled: Rate exceeded";
    assert_eq!(logs.matches(warning).count(), 1, "once per TTL, not per read: {logs}");
    assert!(!logs.contains("55555") && !logs.contains("77777"), "{logs}");
}

#[tokio::test]
async fn extract_builds_the_whole_tree() {
    #[derive(serde::Deserialize)]
    struct Models {
        default_basic: String,
        no_cache: Option<String>,
    }
    #[derive(serde::Deserialize)]
    struct Training {
        epochs: u32,
    }
    #[derive(serde::Deserialize)]
    struct App {
        models: Models,
        training: Training,
    }
    let (resolver, _) = setup(&MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]));
    let app: App = resolver.extract().await.unwrap();
    assert_eq!((app.models.default_basic.as_str(), app.models.no_cache, app.training.epochs), ("GPT_4O", None, 3));
    let calls_for_five_entries = resolver.stats().ssm_calls;
    assert_eq!(calls_for_five_entries, 1, "extract loads everything in one batch");
}

#[tokio::test]
#[allow(unsafe_code)]
async fn the_env_variable_overrides_every_other_source() {
    let schema = Schema::from_yaml_str(
        "model:\n  ssm_param: /app/{stage}/model\n  env: SSMCONF_UNIT_TEST_MODEL_OVERRIDE\n  type: int\n",
        "env.yml",
    )
    .unwrap();
    let store = MemoryStore::from_values([("/app/dev/model", "1")]);
    let resolver = Resolver::builder(schema).var("stage", "dev").store(store.clone()).build().unwrap();
    // SAFETY: this variable is read and written by this test alone, and no
    // C code of this test binary reads the environment concurrently.
    unsafe { std::env::set_var("SSMCONF_UNIT_TEST_MODEL_OVERRIDE", "42") };
    assert_eq!(resolver.require::<i64>("model").await.unwrap(), 42);
    assert_eq!(resolver.explain("model").await.unwrap().source, Source::Env);
    assert_eq!(store.calls(), 0);
    unsafe { std::env::set_var("SSMCONF_UNIT_TEST_MODEL_OVERRIDE", "forty-two") };
    let err = resolver.require::<i64>("model").await.unwrap_err();
    assert!(err.to_string().contains("SSMCONF_UNIT_TEST_MODEL_OVERRIDE"), "{err}");
    unsafe { std::env::remove_var("SSMCONF_UNIT_TEST_MODEL_OVERRIDE") };
    assert_eq!(resolver.require::<i64>("model").await.unwrap(), 1);
}

#[test]
fn a_var_cannot_change_the_hierarchy_and_every_placeholder_needs_one() {
    let schema = Schema::from_yaml_str("model:\n  ssm_param: /app/{stage}/model\n", "v.yml").unwrap();
    let err = Resolver::builder(schema.clone()).var("stage", "../prod").store(MemoryStore::new()).build().unwrap_err();
    assert!(matches!(err, Error::Validation { .. }), "{err}");
    let err = Resolver::builder(schema).store(MemoryStore::new()).build().unwrap_err();
    assert!(matches!(err, Error::Schema { .. }), "{err}");
    assert!(err.to_string().starts_with("v.yml:2:"), "{err}");
    assert!(err.to_string().contains("stage"), "{err}");
}

#[tokio::test]
async fn memo_is_computed_once_per_fetch_and_only_for_values_from_ssm() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, _) = setup(&store);
    resolver.load_all().await.unwrap();
    let calls = AtomicU64::new(0);
    for _ in 0..3 {
        let answer = resolver.resolve_now("models.default_basic", false).unwrap().unwrap();
        let memo = answer.memo(|v| {
            calls.fetch_add(1, Ordering::SeqCst);
            v.as_str().unwrap().len()
        });
        assert_eq!(memo, Some(&6));
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let literal = resolver.resolve_now("training.epochs", false).unwrap().unwrap();
    assert_eq!(literal.memo(|_| 1u8), None);
    resolver.invalidate("models.default_basic");
    let fresh = resolver.resolve("models.default_basic", false).await.unwrap();
    assert_eq!(fresh.memo(|_| 7usize), Some(&7), "a new fetch starts a new memo");
}

#[tokio::test]
async fn every_typed_read_of_a_hit_counts_one_hit_and_checks_the_type() {
    let store = MemoryStore::from_values([("/app/dev/models/default_basic", "GPT_4O")]);
    let (resolver, _) = setup(&store);
    resolver.load_all().await.unwrap();
    let key = "models.default_basic";
    let before = resolver.stats();
    assert_eq!(resolver.get::<String>(key).await.unwrap().as_deref(), Some("GPT_4O"));
    assert_eq!(resolver.get_now::<String>(key).unwrap(), Some(Some("GPT_4O".to_string())));
    assert_eq!(resolver.require::<String>(key).await.unwrap(), "GPT_4O");
    assert_eq!(resolver.get_or::<String>(key, "X".into()).await.unwrap(), "GPT_4O");
    let after = resolver.stats();
    assert_eq!(after.hits, before.hits + 4);
    assert_eq!((after.misses, after.ssm_calls), (before.misses, before.ssm_calls));
    for result in [resolver.get::<i64>(key).await.map(drop), resolver.get_now::<i64>(key).map(drop)] {
        assert!(matches!(result, Err(Error::Validation { .. })), "{result:?}");
    }
    assert!(matches!(resolver.require::<bool>(key).await, Err(Error::Validation { .. })));
}

/// Readers prove stamps while a writer changes the value and invalidates:
/// a stamp taken before an invalidation is never proven after it returns.
#[test]
fn no_stamp_outlives_the_invalidation_of_its_value() {
    use std::sync::atomic::AtomicBool;

    let store = MemoryStore::from_values([("/app/dev/limits/max_tokens", "0")]);
    let schema = Schema::from_yaml_str(SCHEMA, "app.yml").unwrap();
    // The system clock, with a TTL long enough for stamps to prove.
    let r = Resolver::builder(schema).var("stage", "dev").store(store.clone()).build().unwrap();
    let key = "limits.max_tokens";
    let published = AtomicU64::new(0);
    let done = AtomicBool::new(false);
    let proven = AtomicU64::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            s.spawn(|| {
                let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                while !done.load(Ordering::Acquire) {
                    let Some((stamp, value)) =
                        r.with_hit(key, |hit| (hit.stamp(), hit.value().as_i64().unwrap())).unwrap()
                    else {
                        rt.block_on(r.get::<i64>(key)).unwrap();
                        continue;
                    };
                    // Every value older than `floor` was invalidated before
                    // `floor` was published: its stamp must prove nothing.
                    let floor = published.load(Ordering::Acquire);
                    for _ in 0..50 {
                        if r.still_fresh(stamp) {
                            assert!(value >= i64::try_from(floor).unwrap(), "value {value} proven after {floor}");
                            proven.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
            });
        }
        for version in 1..=300u64 {
            store.set("/app/dev/limits/max_tokens", version.to_string(), ParamType::String);
            r.invalidate(key);
            published.store(version, Ordering::Release);
            std::thread::sleep(Duration::from_micros(200));
        }
        done.store(true, Ordering::Release);
    });
    if cfg!(target_os = "linux") {
        assert!(proven.load(Ordering::Relaxed) > 0, "stamps were proven at all");
    }
}
