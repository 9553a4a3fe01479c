//! Secrets Manager references on moto: secrets created through moto's
//! Secrets Manager API, read through the real aws-sdk-ssm as
//! `/aws/reference/secretsmanager/NAME`, with a forbidden secret played by
//! the fault proxy (IAM denies one secret, not the store).

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use ssmconf::{Credentials, ManualClock, ParameterStore, Resolver, Source, SsmStore};

use crate::harness::{endpoint, schema, seed, store, unique_stage};
use crate::logs::Logs;
use crate::proxy::{Fault, FaultProxy};
use crate::sm::SecretsManager;

const JWT_1: &str = "jwt-one-Q7x-never-logged";
const JWT_2: &str = "jwt-two-R8y-never-logged";
const JWT_3: &str = "jwt-three-S9z-never-logged";
const HF: &str = "hf_tok-T0w-never-logged";
const PLAIN: usize = 12;

fn jwt(secret: &str) -> String {
    serde_json::json!({ "secret": secret }).to_string()
}

/// A store that reaches moto through `proxy`.
async fn through(proxy: &FaultProxy) -> SsmStore {
    SsmStore::builder()
        .region("us-east-1")
        .endpoint_url(proxy.url())
        .credentials(Credentials::new("testing", "testing", None, None, "secrets"))
        .build()
        .await
}

#[tokio::test]
async fn a_mixed_schema_loads_every_present_value_and_falls_back_for_the_rest() {
    let logs = Logs::capture(tracing::Level::TRACE);
    let stage = unique_stage("sm-mixed");
    let sm = SecretsManager::new(endpoint());
    let first = sm.create(&format!("{stage}/jwt"), &jwt(JWT_1));
    sm.put_value(&format!("{stage}/jwt"), &jwt(JWT_2));
    sm.create(&format!("{stage}/hf"), HF);
    sm.create(&format!("{stage}/locked"), &jwt("locked-never-read"));
    let direct = store().await;
    let mut yaml = String::from("plain:\n");
    for i in 0..PLAIN {
        seed(&direct, &format!("/it/{stage}/p{i}"), &format!("v{i}"), ParameterType::String).await;
        yaml.push_str(&format!("  p{i}:\n    ssm_param: /it/{{stage}}/p{i}\n"));
    }
    yaml.push_str(&format!(
        "auth:\n\
         \x20 jwt:\n    ssm_param: /aws/reference/secretsmanager/{{stage}}/jwt\n    json_key: secret\n\
         \x20 jwt_previous:\n    ssm_param: /aws/reference/secretsmanager/{{stage}}/jwt:AWSPREVIOUS\n    json_key: secret\n\
         \x20 jwt_first:\n    ssm_param: /aws/reference/secretsmanager/{{stage}}/jwt:{first}\n    json_key: secret\n\
         hf:\n  token:\n    ssm_param: /aws/reference/secretsmanager/{{stage}}/hf\n\
         \x20 missing:\n    ssm_param: /aws/reference/secretsmanager/{{stage}}/nope\n    default: fallback-missing\n\
         \x20 forbidden:\n    ssm_param: /aws/reference/secretsmanager/{{stage}}/locked\n    json_key: secret\n    default: fallback-locked\n"
    ));
    let proxy = FaultProxy::start(endpoint());
    proxy.set_matching(&format!("secretsmanager/{stage}/locked"), Fault::AccessDenied);
    let clock = Arc::new(ManualClock::new());
    let resolver = Resolver::builder(schema(&yaml))
        .var("stage", &stage)
        .store(through(&proxy).await)
        .ttl(Duration::from_secs(60))
        .clock(clock.clone())
        .build()
        .unwrap();

    let report = resolver.load_all().await.unwrap();
    assert_eq!((report.loaded, report.missing, report.failed), (PLAIN + 4, 1, 1), "{report:?}");
    // ceil(12 / 10) GetParameters, and one GetParameter per reference.
    let stats = resolver.stats();
    assert_eq!((stats.ssm_calls, stats.ssm_errors), (2 + 6, 1), "{stats:?}");
    assert_eq!(proxy.requests(), 8, "one HTTP request per store call: no retry of access denied");

    for i in 0..PLAIN {
        assert_eq!(resolver.require::<String>(&format!("plain.p{i}")).await.unwrap(), format!("v{i}"));
    }
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), JWT_2);
    assert_eq!(resolver.require::<String>("auth.jwt_previous").await.unwrap(), JWT_1);
    assert_eq!(resolver.require::<String>("auth.jwt_first").await.unwrap(), JWT_1);
    assert_eq!(resolver.require::<String>("hf.token").await.unwrap(), HF);
    assert_eq!(resolver.require::<String>("hf.missing").await.unwrap(), "fallback-missing");
    assert_eq!(resolver.require::<String>("hf.forbidden").await.unwrap(), "fallback-locked");
    let forbidden = resolver.explain("hf.forbidden").await.unwrap();
    assert_eq!((forbidden.source, forbidden.secure), (Source::Default, true));
    assert!(forbidden.error.as_deref().is_some_and(|e| e.contains("AccessDeniedException")), "{forbidden:?}");
    let missing = resolver.explain("hf.missing").await.unwrap();
    assert_eq!((missing.source, missing.error), (Source::Default, None), "missing is not an error");
    let token = resolver.explain("hf.token").await.unwrap();
    assert_eq!((token.source, token.value, token.secure), (Source::Ssm, Some("***".into()), true));
    assert_eq!(resolver.stats().ssm_calls, 8, "every read answered from the cache");

    // Rotation: seen once the TTL has passed, and AWSPREVIOUS moves along.
    sm.put_value(&format!("{stage}/jwt"), &jwt(JWT_3));
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), JWT_2, "cached until the TTL");
    clock.advance(Duration::from_secs(61));
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), JWT_3);
    assert_eq!(resolver.require::<String>("auth.jwt_previous").await.unwrap(), JWT_2);
    assert_eq!(resolver.require::<String>("auth.jwt_first").await.unwrap(), JWT_1, "a version id stays put");

    // A deleted secret does not exist: the chain goes on at the default
    // (none here), as for any missing parameter.
    sm.delete(&format!("{stage}/hf"));
    clock.advance(Duration::from_secs(61));
    let gone = resolver.explain("hf.token").await.unwrap();
    assert_eq!((gone.source, gone.value.clone()), (Source::None, None), "{gone:?}");

    let logged = logs.text();
    for secret in [JWT_1, JWT_2, JWT_3, HF, "locked-never-read"] {
        assert!(!logged.contains(secret), "a secret value was logged");
    }
}

#[tokio::test]
async fn moto_answers_under_the_bare_secret_name_and_fails_a_batch_for_one_missing_secret() {
    let stage = unique_stage("sm-moto");
    let sm = SecretsManager::new(endpoint());
    sm.create(&format!("{stage}/jwt"), &jwt(JWT_1));
    let ssm = store().await;
    seed(&ssm, &format!("/it/{stage}/plain"), "p", ParameterType::String).await;
    let reference = format!("/aws/reference/secretsmanager/{stage}/jwt");

    // What moto says: the bare name (AWS says the reference), version 0.
    let raw = ssm.client().get_parameter().name(&reference).with_decryption(true).send().await.unwrap();
    let answered = raw.parameter().unwrap();
    assert_eq!(answered.name(), Some(format!("{stage}/jwt").as_str()));
    assert_eq!(answered.r#type(), Some(&ParameterType::SecureString));
    // In a GetParameters batch, under the bare name too (not listed as
    // invalid): matched by name, the reference looks missing...
    let plain = format!("/it/{stage}/plain");
    let out = ssm.client().get_parameters().names(&plain).names(&reference).with_decryption(true).send().await.unwrap();
    let mut names: Vec<_> = out.parameters().iter().filter_map(|p| p.name()).collect();
    names.sort_unstable();
    assert_eq!(names, [format!("/it/{stage}/plain").as_str(), format!("{stage}/jwt").as_str()]);
    assert!(out.invalid_parameters().is_empty(), "{:?}", out.invalid_parameters());
    // ...and one missing secret fails a whole GetParameters batch.
    let batch = vec![format!("/it/{stage}/plain"), format!("/aws/reference/secretsmanager/{stage}/nope")];
    let err = ssm.get_parameters(&batch).await.unwrap_err();
    assert!(err.to_string().contains("ParameterNotFound"), "{err}");

    // What the store says: the name asked for, and "does not exist" as None.
    let found = ssm.get_parameter(&reference).await.unwrap().expect("the secret exists");
    assert_eq!((found.name.as_str(), found.version), (reference.as_str(), 0));
    assert_eq!(found.value, jwt(JWT_1));
    assert_eq!(ssm.get_parameter(&batch[1]).await.unwrap(), None);
    assert_eq!(ssm.get_parameter(&format!("{reference}:NOPE")).await.unwrap(), None, "an unknown stage");
}
