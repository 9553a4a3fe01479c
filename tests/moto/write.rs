//! Writes and audits: put, init, check, history, change events; each result
//! is checked through the SDK directly, not through ssmconf.

use aws_sdk_ssm::types::{ParameterType, ResourceTypeForTagging};
use serde_json::json;
use ssmconf::{InitOptions, ProblemKind, Resolver, Source};

use crate::harness::{peek, schema, seed, store, unique_stage};

const MODELS: &str = r#"
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    description: Default model for basic tier
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
    tags: {team: coaching}
  fallbacks:
    ssm_param: /it/{stage}/models/fallbacks
    default: [GPT_4O, CLAUDE_OPUS_4_5]
secrets:
  api_key:
    ssm_param: /it/{stage}/secrets/api-key
    secure: true
    default: s3cr3t-default
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    required: true
"#;

async fn resolver(stage: &str) -> (Resolver, ssmconf::SsmStore) {
    let store = store().await;
    let resolver = Resolver::builder(schema(MODELS)).var("stage", stage).store(store.clone()).build().unwrap();
    (resolver, store)
}

#[tokio::test]
async fn put_is_validated_written_and_read_back() {
    let stage = unique_stage("put");
    let (resolver, store) = resolver(&stage).await;
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "CLAUDE_3_5_SONNET_V2");

    let version = resolver.put("models.default_basic", "CLAUDE_OPUS_4_5").await.unwrap();
    assert_eq!(version, 1);
    let name = format!("/it/{stage}/models/default_basic");
    assert_eq!(peek(&store, &name).await.unwrap().value(), Some("CLAUDE_OPUS_4_5"));
    assert_eq!(
        resolver.require::<String>("models.default_basic").await.unwrap(),
        "CLAUDE_OPUS_4_5",
        "the write drops the key from the cache"
    );

    let err = resolver.put("models.default_basic", "NOT_A_MODEL").await.unwrap_err();
    assert!(matches!(err, ssmconf::Error::Validation { .. }), "{err}");
    assert!(err.to_string().contains("CLAUDE_OPUS_4_5"), "the error lists what is allowed: {err}");
    assert_eq!(peek(&store, &name).await.unwrap().value(), Some("CLAUDE_OPUS_4_5"), "a refused value is not written");

    resolver.put("models.fallbacks", vec!["GPT_4O", "CLAUDE_3_7_SONNET"]).await.unwrap();
    let written = peek(&store, &format!("/it/{stage}/models/fallbacks")).await.unwrap();
    assert_eq!(
        (written.value(), written.r#type()),
        (Some("GPT_4O,CLAUDE_3_7_SONNET"), Some(&ParameterType::StringList))
    );

    resolver.put("secrets.api_key", "new-secret").await.unwrap();
    let secret = peek(&store, &format!("/it/{stage}/secrets/api-key")).await.unwrap();
    assert_eq!((secret.value(), secret.r#type()), (Some("new-secret"), Some(&ParameterType::SecureString)));
}

#[tokio::test]
async fn init_dry_run_writes_nothing_and_init_seeds_with_types_descriptions_and_tags() {
    let stage = unique_stage("init");
    let (resolver, store) = resolver(&stage).await;
    let basic = format!("/it/{stage}/models/default_basic");

    let plan = resolver.init(InitOptions { dry_run: true, overwrite: false }).await.unwrap();
    assert!(plan.dry_run);
    let created: Vec<&str> = plan.created.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(created, ["models.default_basic", "models.fallbacks", "secrets.api_key"]);
    assert_eq!(plan.manual.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["ec2.instance_id"]);
    assert_eq!(plan.created[2].value.as_deref(), Some("***"));
    assert!(peek(&store, &basic).await.is_none(), "a dry run writes nothing");

    let plan = resolver.init(InitOptions::default()).await.unwrap();
    assert_eq!(plan.created.len(), 3);
    assert!(plan.failed.is_empty(), "{:?}", plan.failed);
    let written = peek(&store, &basic).await.unwrap();
    assert_eq!(written.value(), Some("CLAUDE_3_5_SONNET_V2"));
    let lists = peek(&store, &format!("/it/{stage}/models/fallbacks")).await.unwrap();
    assert_eq!(lists.r#type(), Some(&ParameterType::StringList));
    let secret = peek(&store, &format!("/it/{stage}/secrets/api-key")).await.unwrap();
    assert_eq!(secret.r#type(), Some(&ParameterType::SecureString));
    let history = store.client().get_parameter_history().name(&basic).send().await.unwrap();
    assert_eq!(history.parameters()[0].description(), Some("Default model for basic tier"));
    let tags = store
        .client()
        .list_tags_for_resource()
        .resource_type(ResourceTypeForTagging::Parameter)
        .resource_id(&basic)
        .send()
        .await
        .unwrap();
    assert!(tags.tag_list().iter().any(|t| t.key() == "team" && t.value() == "coaching"), "{tags:?}");

    let again = resolver.init(InitOptions::default()).await.unwrap();
    assert_eq!(again.created.len(), 0);
    assert_eq!(again.skipped.len(), 3, "existing parameters are skipped");

    resolver.put("models.default_basic", "GPT_4O").await.unwrap();
    let forced = resolver.init(InitOptions { dry_run: false, overwrite: true }).await.unwrap();
    assert_eq!(forced.overwritten.len(), 3);
    assert_eq!(peek(&store, &basic).await.unwrap().value(), Some("CLAUDE_3_5_SONNET_V2"));
}

#[tokio::test]
async fn history_is_newest_first_and_masks_secrets() {
    let stage = unique_stage("history");
    let (resolver, _store) = resolver(&stage).await;
    for model in ["GPT_4O", "CLAUDE_OPUS_4_5", "CLAUDE_3_5_SONNET_V2"] {
        resolver.put("models.default_basic", model).await.unwrap();
    }
    let history = resolver.history("models.default_basic").await.unwrap();
    let seen: Vec<(i64, &str)> = history.iter().map(|h| (h.version, h.value.as_str())).collect();
    assert_eq!(seen, [(3, "CLAUDE_3_5_SONNET_V2"), (2, "CLAUDE_OPUS_4_5"), (1, "GPT_4O")]);

    resolver.put("secrets.api_key", "top-secret-1").await.unwrap();
    let secret = resolver.history("secrets.api_key").await.unwrap();
    assert_eq!(secret.len(), 1);
    assert_eq!(secret[0].value, "***");
    assert!(resolver.history("ec2.instance_id").await.unwrap().is_empty());
}

#[tokio::test]
async fn check_lists_missing_required_and_bad_values() {
    let stage = unique_stage("check");
    let (resolver, store) = resolver(&stage).await;
    seed(&store, &format!("/it/{stage}/models/default_basic"), "NOT_ALLOWED", ParameterType::String).await;
    let report = resolver.check().await.unwrap();
    let found: Vec<(&str, ProblemKind)> = report.problems.iter().map(|p| (p.key.as_str(), p.kind)).collect();
    assert_eq!(found, [("models.default_basic", ProblemKind::Invalid), ("ec2.instance_id", ProblemKind::Missing)]);
    assert!(report.problems[0].message.contains("NOT_ALLOWED"), "{:?}", report.problems[0]);

    resolver.put("models.default_basic", "GPT_4O").await.unwrap();
    seed(&store, &format!("/it/{stage}/ec2/instance-id"), "i-0abc", ParameterType::String).await;
    assert!(resolver.check().await.unwrap().is_ok());
}

#[tokio::test]
async fn a_change_event_drops_the_key_so_the_next_read_is_fresh() {
    let stage = unique_stage("event");
    let (resolver, store) = resolver(&stage).await;
    let name = format!("/it/{stage}/models/default_basic");
    seed(&store, &name, "GPT_4O", ParameterType::String).await;
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "GPT_4O");
    seed(&store, &name, "CLAUDE_OPUS_4_5", ParameterType::String).await;
    assert_eq!(resolver.require::<String>("models.default_basic").await.unwrap(), "GPT_4O", "cached for the TTL");

    let event = json!({
        "version": "0", "source": "aws.ssm", "detail-type": "Parameter Store Change",
        "detail": {"operation": "Update", "name": name, "type": "String"}
    });
    assert_eq!(resolver.handle_change_event(&event), ["models.default_basic"]);
    let why = resolver.explain("models.default_basic").await.unwrap();
    assert_eq!((why.value, why.source, why.version), (Some("CLAUDE_OPUS_4_5".into()), Source::Ssm, Some(2)));
    assert!(resolver.handle_change_event(&json!({"detail-type": "Something else"})).is_empty());
}
