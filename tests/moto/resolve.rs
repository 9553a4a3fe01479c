//! Reads: batching, types, missing parameters, selectors, stale values.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use async_trait::async_trait;
use aws_sdk_ssm::types::ParameterType;
use ssmconf::{
    Parameter, ParameterStore, ParameterVersion, PutRequest, Resolver, Source, SsmStore, StoreError, StoreErrorKind,
};

use crate::harness::{schema, seed, store, unique_stage};

#[tokio::test]
async fn load_all_fetches_thirty_entries_in_three_calls() {
    let stage = unique_stage("batch");
    let store = store().await;
    let mut yaml = String::from("params:\n");
    for i in 0..30 {
        yaml.push_str(&format!("  p{i}:\n    ssm_param: /it/{{stage}}/p{i}\n    type: int\n"));
        seed(&store, &format!("/it/{stage}/p{i}"), &i.to_string(), ParameterType::String).await;
    }
    let resolver = Resolver::builder(schema(&yaml)).var("stage", &stage).store(store).build().unwrap();

    let report = resolver.load_all().await.unwrap();
    assert_eq!((report.loaded, report.missing, report.failed), (30, 0, 0));
    assert_eq!(resolver.stats().ssm_calls, 3, "30 names make 3 GetParameters calls");

    for i in 0..30 {
        let v: i64 = resolver.require(&format!("params.p{i}")).await.unwrap();
        assert_eq!(v, i);
    }
    let stats = resolver.stats();
    assert_eq!((stats.ssm_calls, stats.hits, stats.misses), (3, 30, 0), "every read after load_all is a hit");

    let again = resolver.load_all().await.unwrap();
    assert_eq!((again.loaded, again.skipped), (0, 30), "fresh entries are not fetched again");
    assert_eq!(resolver.stats().ssm_calls, 3);
}

#[tokio::test]
async fn secure_strings_are_decrypted_and_never_shown() {
    let stage = unique_stage("secure");
    let store = store().await;
    let name = format!("/it/{stage}/hf-token");
    seed(&store, &name, "hf_SECRET_value_42", ParameterType::SecureString).await;
    let resolver = Resolver::builder(schema(
        "secrets:\n  hf_token:\n    ssm_param: /it/{stage}/hf-token\n    secure: true\n    description: HF token\n",
    ))
    .var("stage", &stage)
    .store(store)
    .build()
    .unwrap();

    let token: String = resolver.require("secrets.hf_token").await.unwrap();
    assert_eq!(token, "hf_SECRET_value_42");

    let why = resolver.explain("secrets.hf_token").await.unwrap();
    assert_eq!(why.value, Some("***".into()));
    assert_eq!(why.source, Source::Ssm);
    assert_eq!(why.version, Some(1));
    assert!(!format!("{why:?}").contains("SECRET"));
    let wrong_type = resolver.require::<u32>("secrets.hf_token").await.unwrap_err();
    assert!(!wrong_type.to_string().contains("SECRET"), "{wrong_type}");
}

#[tokio::test]
async fn string_lists_split_and_json_parses() {
    let stage = unique_stage("lists");
    let store = store().await;
    seed(&store, &format!("/it/{stage}/models"), "GPT_4O,CLAUDE_OPUS_4_5", ParameterType::StringList).await;
    seed(&store, &format!("/it/{stage}/limits"), r#"{"rpm": 60, "burst": [1, 2]}"#, ParameterType::String).await;
    let resolver = Resolver::builder(schema(
        "models:\n  ssm_param: /it/{stage}/models\n  type: list\nlimits:\n  ssm_param: /it/{stage}/limits\n  type: json\n",
    ))
    .var("stage", &stage)
    .store(store)
    .build()
    .unwrap();
    let models: Vec<String> = resolver.require("models").await.unwrap();
    assert_eq!(models, ["GPT_4O", "CLAUDE_OPUS_4_5"]);
    let limits: serde_json::Value = resolver.require("limits").await.unwrap();
    assert_eq!(limits["burst"][1], 2);
}

#[tokio::test]
async fn a_missing_parameter_is_cached_and_falls_to_the_default() {
    let stage = unique_stage("missing");
    let resolver = Resolver::builder(schema(
        "ec2:\n  instance_id:\n    ssm_param: /it/{stage}/ec2/instance-id\n    required: true\nmodel:\n  ssm_param: /it/{stage}/model\n  default: GPT_4O\n",
    ))
    .var("stage", &stage)
    .store(store().await)
    .build()
    .unwrap();

    assert_eq!(resolver.get::<String>("ec2.instance_id").await.unwrap(), None);
    assert_eq!(resolver.get::<String>("ec2.instance_id").await.unwrap(), None);
    assert_eq!(resolver.stats().ssm_calls, 1, "`does not exist` is cached too");
    let err = resolver.require::<String>("ec2.instance_id").await.unwrap_err();
    assert!(matches!(err, ssmconf::Error::NotFound { .. }));
    let text = err.to_string();
    assert!(text.contains(&format!("/it/{stage}/ec2/instance-id")), "{text}");
    assert!(text.contains("does not exist"), "{text}");

    let model: String = resolver.get_or("model", "CALLER".to_string()).await.unwrap();
    assert_eq!(model, "GPT_4O", "the schema default comes before the caller's");
    assert_eq!(resolver.explain("model").await.unwrap().source, Source::Default);
    let caller: String = resolver.get_or("ec2.instance_id", "i-caller".to_string()).await.unwrap();
    assert_eq!(caller, "i-caller");
}

#[tokio::test]
async fn version_selectors_read_that_version() {
    let stage = unique_stage("selector");
    let store = store().await;
    let name = format!("/it/{stage}/model");
    seed(&store, &name, "FIRST", ParameterType::String).await;
    seed(&store, &name, "SECOND", ParameterType::String).await;
    let resolver = Resolver::builder(schema(
        "pinned:\n  ssm_param: /it/{stage}/model:1\nlatest:\n  ssm_param: /it/{stage}/model\ngone:\n  ssm_param: /it/{stage}/model:9\n",
    ))
    .var("stage", &stage)
    .store(store)
    .build()
    .unwrap();
    resolver.load_all().await.unwrap();
    assert_eq!(resolver.require::<String>("pinned").await.unwrap(), "FIRST");
    assert_eq!(resolver.require::<String>("latest").await.unwrap(), "SECOND");
    assert_eq!(resolver.get::<String>("gone").await.unwrap(), None, "a version that does not exist is missing");
    assert_eq!(resolver.explain("pinned").await.unwrap().version, Some(1));
    let err = resolver.put("pinned", "X").await.unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

/// The real store, with a switch that makes every request fail.
#[derive(Debug)]
struct Switch {
    inner: SsmStore,
    down: AtomicBool,
}

impl Switch {
    fn check(&self) -> Result<(), StoreError> {
        if self.down.load(Ordering::SeqCst) {
            return Err(StoreError::new(StoreErrorKind::Network, "switched off by the test"));
        }
        Ok(())
    }
}

#[async_trait]
impl ParameterStore for Switch {
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.check()?;
        self.inner.get_parameters(names).await
    }
    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.check()?;
        self.inner.put_parameter(request).await
    }
    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.check()?;
        self.inner.parameter_history(name).await
    }
}

#[tokio::test]
async fn a_failed_fetch_serves_the_stale_value() {
    let stage = unique_stage("stale");
    let real = store().await;
    seed(&real, &format!("/it/{stage}/model"), "FROM_SSM", ParameterType::String).await;
    let switch = Arc::new(Switch { inner: real, down: AtomicBool::new(false) });
    let resolver = Resolver::builder(schema("model:\n  ssm_param: /it/{stage}/model\n  default: DEFAULT\n  ttl: 0\n"))
        .var("stage", &stage)
        .shared_store(switch.clone())
        .build()
        .unwrap();
    assert_eq!(resolver.require::<String>("model").await.unwrap(), "FROM_SSM");

    switch.down.store(true, Ordering::SeqCst);
    assert_eq!(resolver.require::<String>("model").await.unwrap(), "FROM_SSM");
    let why = resolver.explain("model").await.unwrap();
    assert_eq!(why.source, Source::Stale);
    assert!(why.error.as_deref().unwrap_or_default().contains("switched off"), "{why:?}");
    let stats = resolver.stats();
    assert_eq!((stats.stale_served, stats.ssm_errors), (2, 2));

    switch.down.store(false, Ordering::SeqCst);
    assert_eq!(resolver.explain("model").await.unwrap().source, Source::Ssm);
}

#[tokio::test]
async fn an_unreachable_server_falls_back_within_the_deadline() {
    let stage = unique_stage("unreachable");
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let store = SsmStore::builder()
        .region("us-east-1")
        .endpoint_url(format!("http://127.0.0.1:{port}"))
        .credentials(ssmconf::Credentials::new("testing", "testing", None, None, "moto"))
        .build()
        .await;
    let resolver = Resolver::builder(schema("model:\n  ssm_param: /it/{stage}/model\n  default: DEFAULT\n"))
        .var("stage", &stage)
        .store(store)
        .build()
        .unwrap();
    let model: String = resolver.require("model").await.unwrap();
    assert_eq!(model, "DEFAULT");
    let why = resolver.explain("model").await.unwrap();
    assert_eq!(why.source, Source::Default);
    assert!(why.error.as_deref().unwrap_or_default().starts_with("network"), "{why:?}");
    assert_eq!(resolver.stats().ssm_errors, 1, "the failure is cached for the TTL, not retried per read");
}
