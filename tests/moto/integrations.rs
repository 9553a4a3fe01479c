//! The figment and config-rs providers merged as a Rust service merges them:
//! a TOML file, then SSM (through ssmconf, from moto_server), then the
//! environment, and the other way round.
//!
//! The environment is a real process environment: the test runs this binary
//! again as a child (the ignored test `integrations::child`) with the
//! variables set at spawn, so no test changes the environment of a running,
//! multi-threaded process.

use std::process::Command;

use aws_sdk_ssm::types::ParameterType;
use config::builder::AsyncState;
use config::{ConfigBuilder, Environment, File, FileFormat};
use figment::Figment;
use figment::providers::{Env, Format, Toml};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use ssmconf::integrations::config_rs::SsmconfSource;
use ssmconf::integrations::figment::SsmconfProvider;
use ssmconf::{Credentials, Resolver, SsmStore};

use crate::harness::{endpoint, schema, seed, store, unique_stage};

const CHILD: &str = "SSMCONF_IT_INTEGRATIONS_CHILD";
const TOKEN: &str = "hf_SECRET_integrations_token";

const SCHEMA: &str = "
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
  default_premium:
    ssm_param: /it/{stage}/models/default_premium
server:
  port:
    ssm_param: /it/{stage}/server/port
    type: int
  workers:
    ssm_param: /it/{stage}/server/workers
    default: 2
secrets:
  hf_token:
    ssm_param: /it/{stage}/secrets/hf-token
    secure: true
";

const TOML: &str = r#"
[models]
default_basic = "CLAUDE_3_7_SONNET"
default_premium = "CLAUDE_OPUS_4_5"

[server]
host = "0.0.0.0"
port = 8080
workers = 4
"#;

#[derive(Debug, Serialize, Deserialize)]
struct AppConfig {
    models: Models,
    server: Server,
    secrets: Option<Secrets>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Models {
    default_basic: String,
    default_premium: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Server {
    host: String,
    port: u16,
    workers: u32,
}

#[derive(Debug, Serialize, Deserialize)]
struct Secrets {
    hf_token: String,
}

#[tokio::test]
async fn figment_and_config_rs_merge_toml_ssm_and_env_in_the_chosen_order() {
    let store = store().await;
    let stage = unique_stage("integrations");
    seed(&store, &format!("/it/{stage}/models/default_basic"), "GPT_4O", ParameterType::String).await;
    seed(&store, &format!("/it/{stage}/models/default_premium"), "GPT_5_MINI", ParameterType::String).await;
    seed(&store, &format!("/it/{stage}/server/port"), "9000", ParameterType::String).await;
    seed(&store, &format!("/it/{stage}/secrets/hf-token"), TOKEN, ParameterType::SecureString).await;
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("App.toml");
    std::fs::write(&toml, TOML).unwrap();

    let out = Command::new(std::env::current_exe().unwrap())
        .args(["integrations::child", "--exact", "--ignored", "--nocapture", "--test-threads=1"])
        .env(CHILD, "1")
        .env("SSMCONF_IT_ENDPOINT", endpoint())
        .env("SSMCONF_IT_STAGE", &stage)
        .env("SSMCONF_IT_TOML", &toml)
        .env("APP_MODELS__DEFAULT_PREMIUM", "CLAUDE_SONNET_4_5") // env over SSM
        .env("APP_SERVER__HOST", "127.0.0.1") // env over TOML
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the child failed:\n{stdout}\n{stderr}");
    let result = |name: &str| -> Value {
        // libtest prints "test NAME ... " before the first line of output.
        let prefix = format!("RESULT {name} ");
        let line = stdout
            .lines()
            .find_map(|l| l.split_once(&prefix).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("no {name}: {stdout}"));
        serde_json::from_str(line).unwrap()
    };

    // TOML, then ssmconf over it, then the environment over both. SSM has no
    // `server.workers`: the schema default (2) answers, over the file's 4.
    let mut service = json!({
        "models": {"default_basic": "GPT_4O", "default_premium": "CLAUDE_SONNET_4_5"},
        "server": {"host": "127.0.0.1", "port": 9000, "workers": 2},
        "secrets": null,
    });
    assert_eq!(result("figment"), service, "figment: toml < ssmconf < env");
    assert_eq!(result("config-rs"), service, "config-rs: toml < ssmconf < env");
    // Only what SSM holds: the file's `workers` stands.
    service["server"]["workers"] = json!(4);
    assert_eq!(result("figment-store-only"), service, "figment: toml < ssm < env");
    assert_eq!(result("config-rs-store-only"), service, "config-rs: toml < ssm < env");
    // The other order: SSM first, the TOML file over it.
    let toml_wins = json!({
        "models": {"default_basic": "CLAUDE_3_7_SONNET", "default_premium": "CLAUDE_OPUS_4_5"},
        "server": {"host": "0.0.0.0", "port": 8080, "workers": 4},
        "secrets": null,
    });
    assert_eq!(result("figment-toml-last"), toml_wins);
    assert_eq!(result("config-rs-toml-last"), toml_wins);
    // Secure entries only when asked for.
    assert_eq!(result("figment-secure")["secrets"]["hf_token"], TOKEN);
    assert_eq!(result("config-rs-secure")["secrets"]["hf_token"], TOKEN);
    let errors = result("errors");
    let figment_error = errors["figment"].as_str().unwrap();
    assert!(
        figment_error.contains(&format!("models.default_basic (SSM /it/{stage}/models/default_basic)"))
            && figment_error.contains("SSM Parameter Store (ssmconf)"),
        "figment's error names the key, its SSM name and the provider: {figment_error}"
    );
    let config_error = errors["config-rs"].as_str().unwrap();
    assert!(
        config_error.contains(&format!("/it/{stage}/models/default_basic")),
        "config-rs's error names the origin: {config_error}"
    );
}

/// Run by the test above in a child process, with the environment it sets.
#[tokio::test]
#[ignore = "runs in a child process of figment_and_config_rs_merge_toml_ssm_and_env_in_the_chosen_order"]
async fn child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is not set"));
    let store = SsmStore::builder()
        .region("us-east-1")
        .endpoint_url(var("SSMCONF_IT_ENDPOINT"))
        .credentials(Credentials::new("testing", "testing", None, None, "moto"))
        .build()
        .await;
    let resolver =
        Resolver::builder(schema(SCHEMA)).var("stage", var("SSMCONF_IT_STAGE")).store(store).build().unwrap();
    let toml = var("SSMCONF_IT_TOML");
    let env = || Env::prefixed("APP_").split("__");
    let print = |name: &str, config: &AppConfig| println!("RESULT {name} {}", serde_json::to_string(config).unwrap());

    let ssm = SsmconfProvider::new(&resolver).await.unwrap();
    let config: AppConfig = Figment::new().merge(Toml::file(&toml)).merge(ssm.clone()).merge(env()).extract().unwrap();
    print("figment", &config);
    let config: AppConfig = Figment::new().merge(ssm.clone()).merge(Toml::file(&toml)).extract().unwrap();
    print("figment-toml-last", &config);
    let store_only = SsmconfProvider::builder(&resolver).store_only(true).load().await.unwrap();
    let config: AppConfig = Figment::new().merge(Toml::file(&toml)).merge(store_only).merge(env()).extract().unwrap();
    print("figment-store-only", &config);
    let secure = SsmconfProvider::builder(&resolver).secure(true).load().await.unwrap();
    let config: AppConfig = Figment::new().merge(Toml::file(&toml)).merge(secure).extract().unwrap();
    print("figment-secure", &config);

    let environment = || Environment::with_prefix("APP").prefix_separator("_").separator("__").try_parsing(true);
    let file = || File::new(&toml, FileFormat::Toml);
    let build = |builder: ConfigBuilder<AsyncState>| async move {
        builder.build().await.unwrap().try_deserialize::<AppConfig>().unwrap()
    };
    let source = SsmconfSource::new(resolver.clone());
    let config = build(
        ConfigBuilder::<AsyncState>::default()
            .add_source(file())
            .add_async_source(source.clone())
            .add_source(environment()),
    )
    .await;
    print("config-rs", &config);
    let config = build(
        ConfigBuilder::<AsyncState>::default()
            .add_source(file())
            .add_async_source(source.clone().store_only(true))
            .add_source(environment()),
    )
    .await;
    print("config-rs-store-only", &config);
    let config =
        build(ConfigBuilder::<AsyncState>::default().add_async_source(source.clone()).add_source(file())).await;
    print("config-rs-toml-last", &config);
    let config =
        build(ConfigBuilder::<AsyncState>::default().add_source(file()).add_async_source(source.clone().secure(true)))
            .await;
    print("config-rs-secure", &config);

    // A value that does not fit its field: each crate's error says where it came from.
    #[derive(Debug, Deserialize)]
    struct Wrong {
        #[allow(dead_code)]
        models: WrongModels,
    }
    #[derive(Debug, Deserialize)]
    struct WrongModels {
        #[allow(dead_code)]
        default_basic: u32,
    }
    let figment_error = Figment::new().merge(ssm).extract::<Wrong>().unwrap_err().to_string();
    let config_error = ConfigBuilder::<AsyncState>::default()
        .add_async_source(source)
        .build()
        .await
        .unwrap()
        .try_deserialize::<Wrong>()
        .unwrap_err()
        .to_string();
    println!("RESULT errors {}", json!({"figment": figment_error, "config-rs": config_error}));
}
