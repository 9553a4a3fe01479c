//! One sweep over every surface of the Rust API with a known secret: it may
//! appear only where the caller asks for the value itself.

use aws_sdk_ssm::types::ParameterType;
use ssmconf::{
    Error, InitOptions, MemoryStore, Parameter, ParameterStore, PutRequest, Resolver, StoreError, StoreErrorKind,
};

use crate::harness::{endpoint, schema, seed, store, unique_stage};
use crate::logs::Logs;
use crate::sm::SecretsManager;

const SECRET: &str = "sk-live-4f9e2d1c-SWEEP-never-shown";
/// A second secret that does not decode as the entry's type.
const BAD_SECRET: &str = "hunter2-not-an-int-SWEEP";

/// Collects every text a surface produced, to search for the secrets.
#[derive(Default)]
struct Seen(Vec<(String, String)>);

impl Seen {
    fn add(&mut self, surface: &str, text: impl Into<String>) {
        self.0.push((surface.to_string(), text.into()));
    }

    fn assert_clean(&self) {
        for (surface, text) in &self.0 {
            for secret in [SECRET, BAD_SECRET, "hunter2"] {
                assert!(!text.contains(secret), "{surface} shows a secret:\n{text}");
            }
        }
    }
}

#[tokio::test]
async fn a_secret_never_shows_unless_asked_for() {
    // Every test of this binary logs here, at TRACE, the AWS SDK included:
    // the sweep covers their lines too.
    let logs = Logs::capture(tracing::Level::TRACE);

    let stage = unique_stage("sweep");
    let ssm = store().await;
    seed(&ssm, &format!("/it/{stage}/token"), SECRET, ParameterType::SecureString).await;
    seed(&ssm, &format!("/it/{stage}/pin"), BAD_SECRET, ParameterType::SecureString).await;
    // Secrets Manager references, secure by default: a member that does
    // not decode, a member that is not there, a whole JSON value as an int.
    let sm = SecretsManager::new(endpoint());
    sm.create(&format!("{stage}/jwt"), &serde_json::json!({ "secret": SECRET }).to_string());
    sm.create(&format!("{stage}/pin"), &serde_json::json!({ "secret": BAD_SECRET }).to_string());
    let yaml = "token:\n  ssm_param: /it/{stage}/token\n  secure: true\n  allowed: [a, b]\n\
                pin:\n  ssm_param: /it/{stage}/pin\n  secure: true\n  type: int\n\
                ok:\n  ssm_param: /it/{stage}/token\n  secure: true\n\
                plain:\n  ssm_param: /it/{stage}/token\n\
                ref_ok:\n  ssm_param: /aws/reference/secretsmanager/{stage}/jwt\n  json_key: secret\n\
                ref_int:\n  ssm_param: /aws/reference/secretsmanager/{stage}/pin\n  json_key: secret\n  type: int\n\
                ref_miss:\n  ssm_param: /aws/reference/secretsmanager/{stage}/jwt\n  json_key: secrte\n\
                ref_whole:\n  ssm_param: /aws/reference/secretsmanager/{stage}/jwt\n  type: int\n";
    let resolver = Resolver::builder(schema(yaml)).var("stage", &stage).store(ssm).build().unwrap();
    let mut seen = Seen::default();

    // Reads: the value itself is the one place a secret may appear.
    let plain: String = resolver.require("plain").await.unwrap();
    assert_eq!(plain, SECRET, "the same parameter read by a non-secure entry");
    seen.add("Debug of the resolver", format!("{resolver:?}"));
    for key in ["token", "pin", "ref_int", "ref_miss", "ref_whole"] {
        let why = resolver.explain(key).await.unwrap();
        seen.add("explain Debug", format!("{why:?}"));
        seen.add("explain JSON", serde_json::to_string(&why).unwrap());
        let err = resolver.require::<String>(key).await.map(|_| ()).unwrap_err();
        seen.add("require error Display", err.to_string());
        seen.add("require error Debug", format!("{err:?}"));
    }
    // A put of a value that is not allowed, and of one that does not fit.
    for (key, value) in [("token", SECRET), ("pin", BAD_SECRET)] {
        let err = resolver.put(key, value).await.unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
        seen.add("put error", format!("{err} {err:?}"));
        let err = resolver.put_raw(key, value).await.unwrap_err();
        seen.add("put_raw error", format!("{err} {err:?}"));
    }
    let err = resolver.get::<Vec<u8>>("ok").await.unwrap_err();
    assert!(err.to_string().contains("`ok`"), "{err}");
    seen.add("conversion error", format!("{err} {err:?}"));
    let revealed: String = resolver.require("ok").await.unwrap();
    assert_eq!(revealed, SECRET, "asking for the value reveals it");
    let revealed: String = resolver.require("ref_ok").await.unwrap();
    assert_eq!(revealed, SECRET, "a member of a secret, asked for");
    let why = resolver.explain("ref_ok").await.unwrap();
    assert_eq!((why.secure, why.json_key.as_deref()), (true, Some("secret")));
    seen.add("explain of a secret", format!("{why:?} {}", serde_json::to_string(&why).unwrap()));
    for key in ["ref_ok", "ref_int"] {
        let err = resolver.put(key, SECRET).await.unwrap_err();
        seen.add("put of a secret", format!("{err} {err:?}"));
        let err = resolver.history(key).await.unwrap_err();
        seen.add("history of a secret", format!("{err} {err:?}"));
    }

    seen.add("history", format!("{:?}", resolver.history("token").await.unwrap()));
    seen.add("check", format!("{:?}", resolver.check().await.unwrap()));
    let diff = resolver.diff().await.unwrap();
    seen.add("diff", format!("{diff:?} {}", serde_json::to_string(&diff).unwrap()));
    let plan = resolver.init(InitOptions { dry_run: true, overwrite: true }).await.unwrap();
    seen.add("init plan", format!("{plan:?}"));
    seen.add("stats", format!("{:?}", resolver.stats()));

    // The store's own types.
    let param = Parameter {
        name: "/x".into(),
        value: SECRET.into(),
        version: 1,
        param_type: ssmconf::ParamType::SecureString,
        last_modified: None,
    };
    seen.add("Parameter Debug", format!("{param:?}"));
    let request = PutRequest {
        name: "/x".into(),
        value: SECRET.into(),
        param_type: ssmconf::ParamType::SecureString,
        description: None,
        tags: Vec::new(),
        overwrite: true,
    };
    seen.add("PutRequest Debug", format!("{request:?}"));
    let memory = MemoryStore::new();
    memory.put_parameter(&request).await.unwrap();
    seen.add("MemoryStore Debug", format!("{memory:?}"));
    seen.add("history Debug", format!("{:?}", memory.parameter_history("/x").await.unwrap()));

    // A store failure while a secure value is stale.
    let failing = MemoryStore::from_values([("/it/x/token", "unused")]);
    failing.set("/it/x/token", SECRET, ssmconf::ParamType::SecureString);
    let r2 = Resolver::builder(schema("t:\n  ssm_param: /it/x/token\n  secure: true\n  ttl: 0\n"))
        .store(failing.clone())
        .build()
        .unwrap();
    let _: String = r2.require("t").await.unwrap();
    failing.fail_with(Some(StoreError::new(StoreErrorKind::Service, "down")));
    seen.add("stale explain", format!("{:?}", r2.explain("t").await.unwrap()));

    let logged = logs.text();
    assert!(logged.contains("Using fallback value for t (stale)"), "logs were captured:\n{logged}");
    seen.add("tracing output (TRACE level, SDK included)", logged);
    seen.assert_clean();
}
