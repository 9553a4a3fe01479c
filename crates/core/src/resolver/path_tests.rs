//! Path entries (`ssm_path`) against in-memory stores: pages as SSM gives
//! them, the chain, change events, and the schema's errors.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use serde_json::json;

use crate::store::{ParameterPage, ParameterStore};
use crate::{
    ManualClock, MemoryStore, ParamType, Parameter, ParameterVersion, PutRequest, Resolver, Schema, Source, StoreError,
    StoreErrorKind,
};

fn schema(yaml: &str) -> Schema {
    Schema::from_yaml_str(yaml, "paths.yml").unwrap()
}

fn err(yaml: &str) -> String {
    Schema::from_yaml_str(yaml, "paths.yml").unwrap_err().to_string()
}

fn resolver(yaml: &str, store: impl ParameterStore + 'static) -> Resolver {
    Resolver::builder(schema(yaml))
        .var("stage", "dev")
        .store(store)
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap()
}

const FLAGS: &str = "flags:\n  ssm_path: /app/{stage}/flags/\n  type: bool\n  default: {beta: {search: false}}\n";

/// A store that answers like SSM at its worst: pages of at most three, an
/// empty page with a token after every full one, and the listing of a
/// `MemoryStore` underneath; fails from page `fail_at` on when set.
#[derive(Debug)]
struct Ragged {
    inner: MemoryStore,
    pages: AtomicU64,
    fail_at: AtomicU64,
}

impl Ragged {
    fn new(inner: MemoryStore) -> Self {
        Ragged { inner, pages: AtomicU64::new(0), fail_at: AtomicU64::new(u64::MAX) }
    }
}

#[async_trait]
impl ParameterStore for Ragged {
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.inner.get_parameters(names).await
    }
    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.inner.put_parameter(request).await
    }
    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.inner.parameter_history(name).await
    }
    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        let page = self.pages.fetch_add(1, Ordering::SeqCst) + 1;
        if page >= self.fail_at.load(Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::Network, format!("page {page} failed")));
        }
        let all = self.inner.parameters_by_path(path, recursive).await?;
        // Tokens: `e<offset>` is an empty page before offset, `<offset>` a page at it.
        let (start, empty) = match next_token {
            None => (0, false),
            Some(t) => match t.strip_prefix('e') {
                Some(rest) => (rest.parse().unwrap(), true),
                None => (t.parse().unwrap(), false),
            },
        };
        if empty {
            let next_token = (start < all.len()).then(|| start.to_string());
            return Ok(ParameterPage { parameters: Vec::new(), next_token });
        }
        let end = (start + 3).min(all.len());
        // After each page an empty one, with a token, while more remain
        // (and once at the very end, as SSM sometimes does).
        let next_token = (end < all.len() || start == 0).then(|| format!("e{end}"));
        Ok(ParameterPage { parameters: all[start..end].to_vec(), next_token })
    }
}

fn flags_store(n: usize) -> MemoryStore {
    let store = MemoryStore::new();
    for i in 0..n {
        store.set(
            format!("/app/dev/flags/level{}/f{i}", i % 4),
            if i % 2 == 0 { "true" } else { "false" },
            ParamType::String,
        );
    }
    store
}

#[tokio::test]
async fn short_and_empty_pages_with_tokens_are_all_read() {
    let store = Ragged::new(flags_store(10));
    let r = resolver(FLAGS, store);
    let flags: serde_json::Value = r.require("flags").await.unwrap();
    let leaves: usize = flags.as_object().unwrap().values().map(|v| v.as_object().unwrap().len()).sum();
    assert_eq!(leaves, 10);
    assert_eq!(flags["level0"]["f0"], json!(true));
    assert_eq!(flags["level1"]["f1"], json!(false));
    // 10 parameters in pages of 3 (4 pages), an empty page after each of
    // the first three: 7 calls.
    assert_eq!(r.stats().ssm_calls, 7);
    let explained = r.explain("flags").await.unwrap();
    assert_eq!((explained.source, explained.parameters, explained.version), (Source::Ssm, Some(10), None));
    assert_eq!(r.stats().ssm_calls, 7, "one cached unit");
}

#[tokio::test]
async fn a_failed_page_never_caches_a_partial_mapping_and_serves_stale() {
    let store = Arc::new(Ragged::new(flags_store(30)));
    #[derive(Debug)]
    struct Shared(Arc<Ragged>);
    #[async_trait]
    impl ParameterStore for Shared {
        async fn get_parameters(&self, n: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
            self.0.get_parameters(n).await
        }
        async fn put_parameter(&self, r: &PutRequest) -> Result<i64, StoreError> {
            self.0.put_parameter(r).await
        }
        async fn parameter_history(&self, n: &str) -> Result<Vec<ParameterVersion>, StoreError> {
            self.0.parameter_history(n).await
        }
        async fn parameters_by_path_page(
            &self,
            p: &str,
            r: bool,
            t: Option<&str>,
        ) -> Result<ParameterPage, StoreError> {
            self.0.parameters_by_path_page(p, r, t).await
        }
    }
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(schema(FLAGS))
        .var("stage", "dev")
        .store(Shared(store.clone()))
        .clock(clock.clone())
        .build()
        .unwrap();
    // The first fetch fails on page 7: no mapping, so the default answers.
    store.fail_at.store(7, Ordering::SeqCst);
    let first = r.explain("flags").await.unwrap();
    assert_eq!(first.source, Source::Default);
    assert_eq!(first.value, Some(json!({"beta": {"search": false}})));
    assert_eq!(first.parameters, Some(1));
    assert!(first.error.unwrap().contains("page 7 failed"));
    // A good fetch, then a failure on a later page: the last good mapping.
    store.fail_at.store(u64::MAX, Ordering::SeqCst);
    r.invalidate("flags");
    let good: serde_json::Value = r.require("flags").await.unwrap();
    let pages = store.pages.load(Ordering::SeqCst);
    store.fail_at.store(pages + 7, Ordering::SeqCst);
    clock.advance(std::time::Duration::from_secs(301));
    let stale = r.explain("flags").await.unwrap();
    assert_eq!(stale.source, Source::Stale);
    assert_eq!(stale.value.as_ref(), Some(&good));
    assert_eq!(stale.parameters, Some(30));
}

#[tokio::test]
async fn more_than_a_thousand_parameters_under_one_path() {
    let store = MemoryStore::new();
    for i in 0..1234 {
        store.set(format!("/big/k{i:04}"), i.to_string(), ParamType::String);
    }
    let r = resolver("big:\n  ssm_path: /big\n  type: int\n", store);
    let big: std::collections::BTreeMap<String, i64> = r.require("big").await.unwrap();
    assert_eq!(big.len(), 1234);
    assert_eq!(big["k1233"], 1233);
    assert_eq!(r.stats().ssm_calls, 124, "ceil(1234 / 10) pages");
}

#[tokio::test]
async fn recursive_false_reads_one_level() {
    let store = MemoryStore::from_values([("/p/a", "1"), ("/p/b", "2"), ("/p/deep/c", "3")]);
    let r = resolver("p:\n  ssm_path: /p/\n  recursive: false\n", store);
    assert_eq!(r.require::<serde_json::Value>("p").await.unwrap(), json!({"a": "1", "b": "2"}));
    assert_eq!(r.handle_change_event(&event("/p/deep/c")), Vec::<String>::new(), "below the level read");
    assert_eq!(r.handle_change_event(&event("/p/a")), vec!["p".to_string()]);
}

#[tokio::test]
async fn a_value_and_a_prefix_keeps_both_values() {
    let store = MemoryStore::from_values([("/p/a", "1"), ("/p/a/b", "2"), ("/p/c", "3")]);
    let r = resolver("p:\n  ssm_path: /p\n  type: int\n", store);
    let value: serde_json::Value = r.require("p").await.unwrap();
    assert_eq!(value, json!({"a": {"": 1, "b": 2}, "c": 3}));
    assert_eq!(value["a"][crate::PATH_VALUE_KEY], json!(1));
    assert_eq!(r.explain("p").await.unwrap().parameters, Some(3));
}

fn event(name: &str) -> serde_json::Value {
    json!({"source": "aws.ssm", "detail-type": "Parameter Store Change", "detail": {"name": name, "operation": "Update"}})
}

#[tokio::test]
async fn an_empty_path_is_missing_a_bad_leaf_fails_and_events_drop_it() {
    let store = MemoryStore::new();
    let r = resolver(FLAGS, store.clone());
    let empty = r.explain("flags").await.unwrap();
    assert_eq!((empty.source, empty.error), (Source::Default, None), "no parameter: the default");
    store.set("/app/dev/flags/beta/search", "maybe", ParamType::String);
    assert_eq!(r.handle_change_event(&event("/app/dev/flags/beta/search")), vec!["flags".to_string()]);
    assert_eq!(r.handle_change_event(&event("/app/dev/other")), Vec::<String>::new());
    let bad = r.explain("flags").await.unwrap();
    assert_eq!(bad.source, Source::Default);
    let error = bad.error.unwrap();
    assert!(
        error.contains("/app/dev/flags/beta/search (version 1), key `beta/search` under /app/dev/flags"),
        "{error}"
    );
    store.set("/app/dev/flags/beta/search", "true", ParamType::String);
    let _ = r.handle_change_event(&event("/app/dev/flags/beta/search"));
    assert_eq!(r.require::<serde_json::Value>("flags").await.unwrap(), json!({"beta": {"search": true}}));
}

#[tokio::test]
async fn a_secure_leaf_that_does_not_decode_is_not_shown() {
    let store = MemoryStore::new();
    store.set("/s/pin", "hunter2", ParamType::SecureString);
    let r = resolver("s:\n  ssm_path: /s\n  type: int\n  secure: true\n", store);
    let explained = r.explain("s").await.unwrap();
    let error = explained.error.unwrap();
    assert!(error.contains("/s/pin") && !error.contains("hunter2"), "{error}");
}

#[tokio::test]
#[allow(unsafe_code)]
async fn env_load_all_and_extract() {
    let yaml = "flags:\n  ssm_path: /f\n  type: bool\n  env: SSMCONF_PATH_TEST_FLAGS\nplain:\n  ssm_param: /plain\n";
    let store = MemoryStore::from_values([("/f/a", "true"), ("/f/b/c", "false"), ("/plain", "x")]);
    let r = resolver(yaml, store);
    let report = r.load_all().await.unwrap();
    assert_eq!(report.loaded, 2);
    let calls = r.stats().ssm_calls;
    let tree = r.extract_value().await.unwrap();
    assert_eq!(tree, json!({"flags": {"a": true, "b": {"c": false}}, "plain": "x"}));
    assert_eq!(r.stats().ssm_calls, calls, "extract after load_all asks nothing");
    // SAFETY: tests set no other variable of this name, and read none of the process's environment meanwhile.
    unsafe { std::env::set_var("SSMCONF_PATH_TEST_FLAGS", r#"{"a": "false", "b/c": true}"#) };
    let from_env = r.explain("flags").await.unwrap();
    unsafe { std::env::remove_var("SSMCONF_PATH_TEST_FLAGS") };
    assert_eq!(from_env.source, Source::Env);
    assert_eq!(from_env.value, Some(json!({"a": false, "b": {"c": true}})));
    assert_eq!(from_env.parameters, Some(2));
}

#[test]
fn schema_errors_name_the_position_and_what_to_do() {
    let cases = [
        (
            "a:\n  ssm_path: /p\n  allowed: [x]\n",
            "paths.yml:3:3: `a`: `allowed` is not valid on a path entry (`ssm_path`)",
        ),
        (
            "a:\n  ssm_path: /p\n  ssm_param: /q\n",
            "paths.yml:3:3: `a`: an entry has `ssm_path` (a hierarchy) or `ssm_param` (one parameter), not both",
        ),
        (
            "a:\n  ssm_path: /p\n  default: 5\n",
            "paths.yml:3:3: `a`: the `default` of a path entry is a mapping of names under the path to values",
        ),
        ("a:\n  ssm_path: /p\n  json_key: x\n", "paths.yml:3:3: `a`: `json_key` is not valid on a path entry"),
        (
            "a:\n  ssm_path: /p\n  type: int\n  default: {x: {y: nope}}\n",
            "paths.yml:4:20: `a`: default `nope` does not decode as int",
        ),
        ("a:\n  ssm_path: /p\n  default: {'b c': 1}\n", "paths.yml:3:13: `a`: the default's key `b c` contains ` `"),
        (
            "a:\n  ssm_path: /p\n  recursive: false\n  default: {x: {y: 1}}\n",
            "paths.yml:4:16: `a`: with `recursive: false` only the level just below the path is read",
        ),
        ("a:\n  ssm_path: /p//q\n", "paths.yml:2:13: `a`: invalid `ssm_path` `/p//q`: the name has an empty part"),
        ("a:\n  ssm_path: p/q\n", "paths.yml:2:13: `a`: invalid `ssm_path` `p/q`: a path starts with `/`"),
        ("a:\n  ssm_path: /p:3\n", "paths.yml:2:13: `a`: invalid `ssm_path` `/p:3`: a path has no `:version`"),
        ("a:\n  ssm_path: /aws/x\n", "paths.yml:2:13: `a`: invalid `ssm_path` `/aws/x`: the name's first part"),
        (
            "a:\n  ssm_path: /p\n  recursve: true\n",
            "paths.yml:3:3: `a`: unknown field `recursve`; did you mean `recursive`?",
        ),
    ];
    let misspelt = err("g:\n  flags:\n    ssm_pth: /p\n");
    assert_eq!(
        misspelt,
        "paths.yml:3:5: `g.flags`: unknown field `ssm_pth`; did you mean `ssm_path`? (without `ssm_path` this mapping is a group, not an entry)"
    );
    for (yaml, expected) in cases {
        let e = err(yaml);
        assert!(e.starts_with(expected), "{e}\nexpected: {expected}");
    }
    // Placeholders are filled and checked at build, like `ssm_param`'s.
    let e = Resolver::builder(schema("a:\n  ssm_path: /{stage}/x/\n"))
        .var("stage", "aws")
        .store(MemoryStore::new())
        .build()
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("paths.yml:2:13: `a`: SSM name `/aws/x` is invalid: the name's first part `aws`"), "{e}");
    // With or without the trailing `/`, one path.
    for path in ["/p/{stage}", "/p/{stage}/"] {
        let r = resolver(&format!("a:\n  ssm_path: {path}\n"), MemoryStore::new());
        assert_eq!(r.ssm_name("a").unwrap(), "/p/dev");
    }
}

#[tokio::test]
async fn concurrent_readers_share_one_listing() {
    let store = Arc::new(Ragged::new(flags_store(10)));
    let r = Resolver::builder(schema(FLAGS))
        .var("stage", "dev")
        .shared_store(store.clone())
        .clock(Arc::new(ManualClock::new()))
        .build()
        .unwrap();
    let readers: Vec<_> = (0..32)
        .map(|_| {
            let r = r.clone();
            tokio::spawn(async move { r.require::<serde_json::Value>("flags").await.unwrap() })
        })
        .collect();
    for reader in readers {
        assert_eq!(leaves(&reader.await.unwrap()), 10);
    }
    assert_eq!(store.pages.load(Ordering::SeqCst), 7, "one listing of 7 pages for 32 readers");
}

fn leaves(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Object(map) => map.values().map(leaves).sum(),
        _ => 1,
    }
}

#[tokio::test]
async fn a_snapshot_keeps_a_path_entry_for_a_start_during_an_outage() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("snapshot.json");
    let store = MemoryStore::from_values([("/p/a", "1"), ("/p/a/b", "2")]);
    let build = |store: &MemoryStore| {
        Resolver::builder(schema("p:\n  ssm_path: /p\n  type: int\n"))
            .store(store.clone())
            .snapshot(&file)
            .clock(Arc::new(ManualClock::new()))
            .build()
            .unwrap()
    };
    let first = build(&store);
    let value: serde_json::Value = first.require("p").await.unwrap();
    first.flush_snapshot();
    store.fail_with(Some(StoreError::new(StoreErrorKind::Network, "down")));
    let second = build(&store);
    let why = second.explain("p").await.unwrap();
    assert_eq!((why.source, why.value, why.parameters), (Source::Stale, Some(value), Some(2)));
}

#[tokio::test]
async fn extract_never_shows_a_secure_leaf() {
    let store = MemoryStore::new();
    store.set("/s/token", "tok-n3ver-shown", ParamType::SecureString);
    let r = resolver("s:\n  ssm_path: /s\n  secure: true\n", store);
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Wrong {
        s: std::collections::HashMap<String, i64>,
    }
    let e = r.extract::<Wrong>().await.unwrap_err().to_string();
    assert!(!e.contains("tok-n3ver-shown"), "{e}");
}

#[tokio::test]
async fn a_token_that_never_changes_fails_the_fetch_instead_of_looping() {
    #[derive(Debug)]
    struct Stuck;
    #[async_trait]
    impl ParameterStore for Stuck {
        async fn get_parameters(&self, n: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
            Ok(vec![None; n.len()])
        }
        async fn put_parameter(&self, _: &PutRequest) -> Result<i64, StoreError> {
            Err(StoreError::new(StoreErrorKind::Rejected, "read only"))
        }
        async fn parameter_history(&self, _: &str) -> Result<Vec<ParameterVersion>, StoreError> {
            Ok(Vec::new())
        }
        async fn parameters_by_path_page(
            &self,
            _: &str,
            _: bool,
            _: Option<&str>,
        ) -> Result<ParameterPage, StoreError> {
            Ok(ParameterPage { parameters: Vec::new(), next_token: Some("same".into()) })
        }
    }
    let r = resolver(FLAGS, Stuck);
    let why = tokio::time::timeout(std::time::Duration::from_secs(10), r.explain("flags")).await.unwrap().unwrap();
    assert_eq!(why.source, Source::Default);
    assert!(why.error.unwrap().contains("the same NextToken twice"));
    assert_eq!(r.stats().ssm_calls, 2);
}

#[tokio::test]
async fn import_and_promote_skip_path_entries_saying_why() {
    let yaml = "flags:\n  ssm_path: /app/{stage}/flags\n  type: bool\nmodel:\n  ssm_param: /app/{stage}/model\n";
    let store = MemoryStore::from_values([("/app/dev/flags/a", "true"), ("/app/dev/model", "m1")]);
    let dev = resolver(yaml, store.clone());
    let plan = dev
        .import_values(
            json!({"flags": {"a": false}, "model": "m2"}),
            crate::ImportOptions { overwrite: true, ..Default::default() },
        )
        .await
        .unwrap();
    assert!(plan.refused.is_empty(), "{:?}", plan.refused);
    let skipped: Vec<_> = plan.skipped.iter().map(|i| (i.key.as_str(), i.reason.as_deref().unwrap_or(""))).collect();
    assert!(skipped.iter().any(|(k, r)| *k == "flags" && r.starts_with("a path entry")), "{skipped:?}");
    assert_eq!(store.value("/app/dev/model").as_deref(), Some("m2"), "the other key is imported");
    assert_eq!(store.value("/app/dev/flags/a").as_deref(), Some("true"), "the path is left alone");

    let prod = Resolver::builder(schema(yaml)).var("stage", "prod").store(store.clone()).build().unwrap();
    let report = dev.promote_to(&prod, &crate::PromoteOptions::default()).await.unwrap();
    let skipped: Vec<_> = report.skipped.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(skipped, ["flags"]);
    assert_eq!(store.value("/app/prod/model").as_deref(), Some("m2"));
    assert_eq!(store.value("/app/prod/flags/a"), None);
}
