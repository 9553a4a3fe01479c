//! Secrets Manager references and `json_key`, against a store that records
//! every request and forbids chosen names (as IAM would).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::{
    Error, InitOptions, ManualClock, MemoryStore, ParamType, Parameter, ParameterStore, ParameterVersion, ProblemKind,
    PutRequest, Resolver, Schema, Source, StoreError, StoreErrorKind,
};

const JWT: &str = "/aws/reference/secretsmanager/dev/jwt";
const DB: &str = "/aws/reference/secretsmanager/dev/db";
const GONE: &str = "/aws/reference/secretsmanager/dev/gone";
const LOCKED: &str = "/aws/reference/secretsmanager/dev/locked";
const JWT_VALUE: &str = r#"{"secret": "jwt-K3y-never-shown"}"#;

/// A MemoryStore that records requests, refuses to batch a reference, and
/// answers access denied for `forbidden` names. A batch holding a
/// forbidden name fails as a whole, as `GetParameters` does.
#[derive(Debug, Default)]
struct Recording {
    memory: MemoryStore,
    forbidden: Vec<String>,
    batches: Mutex<Vec<Vec<String>>>,
    singles: Mutex<Vec<String>>,
}

impl Recording {
    fn denied(&self, name: &str) -> Result<(), StoreError> {
        if self.forbidden.iter().any(|f| f == name) {
            return Err(StoreError::new(StoreErrorKind::AccessDenied, format!("not authorized to read {name}")));
        }
        Ok(())
    }

    fn batches(&self) -> Vec<Vec<String>> {
        self.batches.lock().unwrap().clone()
    }

    fn singles(&self) -> Vec<String> {
        self.singles.lock().unwrap().clone()
    }
}

#[async_trait]
impl ParameterStore for Recording {
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.batches.lock().unwrap().push(names.to_vec());
        assert!(!names.iter().any(|n| n.starts_with("/aws/reference/")), "a reference was batched: {names:?}");
        names.iter().try_for_each(|n| self.denied(n))?;
        self.memory.get_parameters(names).await
    }
    async fn get_parameter(&self, name: &str) -> Result<Option<Parameter>, StoreError> {
        self.singles.lock().unwrap().push(name.to_string());
        self.denied(name)?;
        // Answer under another name, as moto does (the bare secret name).
        let found = self.memory.get_parameters(&[name.to_string()]).await?;
        Ok(found.into_iter().next().flatten().map(|p| Parameter { name: "dev/some-other-name".into(), ..p }))
    }
    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        self.memory.put_parameter(request).await
    }
    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        self.memory.parameter_history(name).await
    }
    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<crate::store::ParameterPage, StoreError> {
        assert!(!path.starts_with("/aws/"), "diff listed {path}");
        self.memory.parameters_by_path_page(path, recursive, next_token).await
    }
}

/// Twelve plain entries and four references: present (two members of one
/// secret, and one whole), missing, and forbidden.
fn schema() -> Schema {
    let mut yaml = String::from("plain:\n");
    for i in 0..12 {
        yaml.push_str(&format!("  p{i}:\n    ssm_param: /app/{{stage}}/p{i}\n"));
    }
    yaml.push_str(
        "auth:\n  jwt:\n    ssm_param: /aws/reference/secretsmanager/{stage}/jwt\n    json_key: secret\n    ttl: 60\n\
         db:\n  user:\n    ssm_param: /aws/reference/secretsmanager/{stage}/db\n    json_key: username\n    secure: false\n\
         \x20 port:\n    ssm_param: /aws/reference/secretsmanager/{stage}/db\n    json_key: port\n    type: int\n\
         \x20 gone:\n    ssm_param: /aws/reference/secretsmanager/{stage}/gone\n    default: fallback-gone\n\
         \x20 locked:\n    ssm_param: /aws/reference/secretsmanager/{stage}/locked\n    default: fallback-locked\n",
    );
    Schema::from_yaml_str(&yaml, "secrets.yml").unwrap()
}

fn setup(forbidden: &[&str]) -> (Resolver, Arc<Recording>, Arc<ManualClock>) {
    let memory = MemoryStore::new();
    for i in 0..12 {
        memory.set(format!("/app/dev/p{i}"), format!("v{i}"), ParamType::String);
    }
    memory.set(JWT, JWT_VALUE, ParamType::SecureString);
    memory.set(DB, r#"{"username": "svc", "password": "pw-never-shown", "port": 5432}"#, ParamType::SecureString);
    memory.set(LOCKED, r#"{"secret": "locked-never-shown"}"#, ParamType::SecureString);
    let store = Arc::new(Recording {
        memory,
        forbidden: forbidden.iter().map(|s| (*s).to_string()).collect(),
        ..Default::default()
    });
    let clock = Arc::new(ManualClock::new());
    let resolver = Resolver::builder(schema())
        .var("stage", "dev")
        .shared_store(store.clone())
        .clock(clock.clone())
        .build()
        .unwrap();
    (resolver, store, clock)
}

#[tokio::test]
async fn load_all_reads_each_reference_alone_and_a_bad_one_fails_only_itself() {
    let (resolver, store, _) = setup(&[LOCKED]);
    let report = resolver.load_all().await.unwrap();
    assert_eq!((report.loaded, report.missing, report.failed), (15, 1, 1), "{report:?}");
    // ceil(12 / 10) batches, and one request per distinct reference.
    assert_eq!(resolver.stats().ssm_calls, 2 + 4);
    assert_eq!(store.batches().iter().map(Vec::len).collect::<Vec<_>>(), vec![10, 2]);
    let mut singles = store.singles();
    singles.sort();
    assert_eq!(singles, vec![DB, GONE, JWT, LOCKED]);

    for i in 0..12 {
        assert_eq!(resolver.require::<String>(&format!("plain.p{i}")).await.unwrap(), format!("v{i}"));
    }
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), "jwt-K3y-never-shown");
    assert_eq!(resolver.require::<String>("db.user").await.unwrap(), "svc");
    assert_eq!(resolver.require::<i64>("db.port").await.unwrap(), 5432);
    let gone = resolver.explain("db.gone").await.unwrap();
    assert_eq!((gone.source, gone.value.clone()), (Source::Default, Some("***".into())));
    assert!(gone.steps.iter().any(|s| s.found.contains("does not exist")), "{gone:?}");
    let locked = resolver.explain("db.locked").await.unwrap();
    assert_eq!(locked.source, Source::Default);
    assert!(locked.error.as_deref().is_some_and(|e| e.contains("access denied")), "{locked:?}");
    assert_eq!(resolver.require::<String>("db.locked").await.unwrap(), "fallback-locked");
    assert_eq!(resolver.stats().ssm_calls, 6, "every outcome was cached");
}

#[tokio::test]
async fn a_reference_read_alone_is_one_get_parameter_and_rotation_shows_after_the_ttl() {
    let (resolver, store, clock) = setup(&[]);
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), "jwt-K3y-never-shown");
    assert_eq!((store.singles(), store.batches().len()), (vec![JWT.to_string()], 0));
    store.memory.set(JWT, r#"{"secret": "rotated"}"#, ParamType::SecureString);
    clock.advance(Duration::from_secs(59));
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), "jwt-K3y-never-shown");
    clock.advance(Duration::from_secs(2));
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), "rotated");
    let why = resolver.explain("auth.jwt").await.unwrap();
    assert_eq!((why.json_key.as_deref(), why.secure, why.value), (Some("secret"), true, Some("***".into())));
}

#[tokio::test]
async fn a_value_that_is_not_an_object_or_lacks_the_member_falls_back_and_never_shows() {
    let (resolver, store, clock) = setup(&[]);
    assert_eq!(resolver.require::<String>("auth.jwt").await.unwrap(), "jwt-K3y-never-shown");
    for (stored, expected) in [
        ("jwt-K3y-never-shown-bare", "is not JSON"),
        (r#"["jwt-K3y-never-shown"]"#, "the value is a list"),
        (r#"{"secrte": "jwt-K3y-never-shown"}"#, "no member `secret`; did you mean `secrte`?"),
    ] {
        store.memory.set(JWT, stored, ParamType::SecureString);
        clock.advance(Duration::from_secs(61));
        let why = resolver.explain("auth.jwt").await.unwrap();
        assert_eq!(why.source, Source::Stale, "the last good value answers");
        let error = why.error.unwrap();
        assert!(error.contains(expected) && error.contains("secret`"), "{error}");
        assert!(error.contains(JWT), "the error names the parameter: {error}");
        assert!(!error.contains("never-shown"), "{error}");
    }
}

#[tokio::test]
async fn references_are_read_only_and_json_key_entries_are_not_rewritten() {
    let (resolver, store, _) = setup(&[]);
    for key in ["auth.jwt", "db.gone"] {
        let err = resolver.put(key, "x").await.unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
        assert!(err.to_string().contains("Secrets Manager secret read through Parameter Store"), "{err}");
        assert!(resolver.put_raw(key, "x").await.is_err());
        let err = resolver.history(key).await.unwrap_err();
        assert!(matches!(err, Error::Validation { .. }), "{err:?}");
    }
    // A json_key entry on a plain parameter: refused, not half-written.
    let schema =
        Schema::from_yaml_str("token:\n  ssm_param: /app/creds\n  json_key: token\n  default: t0\n", "a.yml").unwrap();
    let r = Resolver::builder(schema).store(store.memory.clone()).build().unwrap();
    let err = r.put("token", "t1").await.unwrap_err();
    assert!(err.to_string().contains("does not rewrite one member"), "{err}");
    let plan = r.init(InitOptions::default()).await.unwrap();
    assert_eq!(plan.manual.len(), 1, "{plan:?}");
    assert_eq!(store.memory.value("/app/creds"), None);

    let plan = resolver.init(InitOptions { dry_run: false, overwrite: true }).await.unwrap();
    let secrets: Vec<_> = plan.manual.iter().filter(|i| !i.key.starts_with("plain.")).collect();
    let keys: Vec<&str> = secrets.iter().map(|i| i.key.as_str()).collect();
    assert_eq!(keys, ["auth.jwt", "db.user", "db.port", "db.gone", "db.locked"]);
    assert!(secrets.iter().all(|i| i.reason.as_deref().is_some_and(|r| r.contains("Secrets Manager"))));
    assert_eq!(secrets[0].ssm_param, JWT);
    assert!(plan.created.is_empty() && plan.skipped.is_empty(), "{plan:?}");
    assert_eq!(store.memory.value(GONE), None, "init never writes a secret, even one with a default");
}

#[tokio::test]
async fn check_reports_a_forbidden_or_broken_secret_as_a_problem_of_its_own() {
    let (resolver, store, _) = setup(&[LOCKED]);
    store.memory.set(DB, "not json", ParamType::SecureString);
    let report = resolver.check().await.unwrap();
    let problems: Vec<(&str, ProblemKind)> = report.problems.iter().map(|p| (p.key.as_str(), p.kind)).collect();
    assert_eq!(
        problems,
        [("db.user", ProblemKind::Invalid), ("db.port", ProblemKind::Invalid), ("db.locked", ProblemKind::Unreadable)]
    );
    assert_eq!(store.singles().iter().filter(|n| *n == DB).count(), 1, "two members, one request");

    // Only references, every one forbidden: still a report, not an error.
    let only = Schema::from_yaml_str(&format!("a:\n  ssm_param: {LOCKED}\n"), "a.yml").unwrap();
    let r = Resolver::builder(only).shared_store(store.clone()).build().unwrap();
    let report = r.check().await.unwrap();
    assert_eq!(report.problems.len(), 1);
    assert!(!format!("{report:?}").contains("never-shown"));
    // ...but a store out of reach is an error, references or not.
    let down = MemoryStore::new();
    down.fail_with(Some(StoreError::new(StoreErrorKind::Network, "connection refused")));
    let only = Schema::from_yaml_str(&format!("a:\n  ssm_param: {LOCKED}\n"), "a.yml").unwrap();
    let err = Resolver::builder(only).store(down).build().unwrap().check().await.unwrap_err();
    assert!(matches!(err, Error::Store { .. }), "{err:?}");
}

#[tokio::test]
async fn diff_reads_each_secret_alone_and_expects_a_secure_string() {
    let (resolver, store, _) = setup(&[LOCKED]);
    let diff = resolver.diff().await.unwrap();
    let status = |key: &str| diff.entries.iter().find(|e| e.key == key).map(|e| e.status).unwrap();
    // `db.user` says `secure: false`, yet a secret is a SecureString.
    assert_eq!(status("db.user"), crate::DiffStatus::Changed);
    assert_eq!(status("db.gone"), crate::DiffStatus::Missing);
    assert_eq!(status("db.locked"), crate::DiffStatus::Unreadable, "a forbidden secret fails only itself");
    assert!(!format!("{diff:?}").contains("never-shown"), "{diff:?}");
    assert_eq!(diff.prefixes, ["/app/dev/"]);
    assert_eq!(store.singles().iter().filter(|n| *n == DB).count(), 1);
}

#[tokio::test]
async fn a_snapshot_keeps_each_member_of_one_parameter_apart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("last-good.json");
    let yaml = "db:\n  user:\n    ssm_param: /app/db\n    json_key: username\n\
                \x20 host:\n    ssm_param: /app/db\n    json_key: host\n";
    let schema = || Schema::from_yaml_str(yaml, "a.yml").unwrap();
    let store = MemoryStore::from_values([("/app/db", r#"{"username": "svc", "host": "db.internal"}"#)]);
    let first = Resolver::builder(schema()).store(store).snapshot(&path).build().unwrap();
    first.load_all().await.unwrap();
    first.flush_snapshot();
    let down = MemoryStore::new();
    down.fail_with(Some(StoreError::new(StoreErrorKind::Network, "unreachable")));
    let second = Resolver::builder(schema()).store(down).snapshot(&path).build().unwrap();
    assert_eq!(second.require::<String>("db.user").await.unwrap(), "svc");
    assert_eq!(second.require::<String>("db.host").await.unwrap(), "db.internal");
    assert_eq!(second.explain("db.user").await.unwrap().source, Source::Stale);
}
