//! `exec`, `import`, `promote` and `rollback` against moto_server; what
//! they wrote is read back through the AWS SDK directly.

use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;

use super::harness::{self, peek, seed, unique_stage};
use super::moto::{on_moto, runtime};
use super::{SECRET, Workspace, json, run, run_within, ssmconf};

/// `ssmconf --schema S --region ... --endpoint-url URL ARGS...` (no stage).
fn on_moto_without_stage(ws: &Workspace, args: &[&str]) -> std::process::Command {
    let mut cmd = ssmconf();
    cmd.arg("--schema").arg(ws.schema()).args(["--region", "us-east-1", "--endpoint-url", harness::endpoint()]);
    cmd.args(args);
    cmd
}

/// The description SSM holds for `name`.
async fn description(store: &ssmconf::SsmStore, name: &str) -> Option<String> {
    let filter = aws_sdk_ssm::types::ParameterStringFilter::builder().key("Name").values(name).build().unwrap();
    let out = store.client().describe_parameters().parameter_filters(filter).send().await.unwrap();
    out.parameters().first().and_then(|p| p.description().map(str::to_string))
}

#[test]
fn exec_puts_the_values_from_ssm_in_the_childs_environment() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-exec");
    let rt = runtime();
    let store = rt.block_on(harness::store());
    rt.block_on(async {
        seed(&store, &format!("/it/{stage}/ec2/instance-id"), "i-moto", ParameterType::String).await;
        seed(&store, &format!("/it/{stage}/secrets/hf-token"), SECRET, ParameterType::SecureString).await;
    });
    let (status, out, err) =
        run_within(&mut on_moto(&ws, &stage, &["exec", "--pristine", "--", "env"]), Duration::from_secs(60));
    assert!(status.success(), "{err}");
    let mut got: Vec<_> = out.lines().collect();
    got.sort_unstable();
    let secret = format!("SECRETS_HF_TOKEN={SECRET}");
    assert_eq!(
        got,
        [
            "EC2_INSTANCE_ID=i-moto",
            "MODELS_DEFAULT_BASIC=CLAUDE_3_5_SONNET_V2",
            secret.as_str(),
            "TRAINING_BATCH_SIZE=8",
            "TRAINING_EPOCHS=3"
        ]
    );
    assert!(!err.contains(SECRET));
}

#[test]
fn import_refusals_write_nothing_to_ssm() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-import");
    let rt = runtime();
    let store = rt.block_on(harness::store());
    let file = ws.path("values.env");
    std::fs::write(&file, format!("EC2_INSTANCE_ID=i-1\nSECRETS_HF_TOKEN='{SECRET}'\nMODELS_DEFAULT_BASIC=GPT_5\n"))
        .unwrap();
    let (code, out, err) = run(&mut on_moto(&ws, &stage, &["import", file.to_str().unwrap()]));
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("`models.default_basic`") && err.contains(":3:22") && err.contains("allowed"), "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET));
    for name in ["ec2/instance-id", "secrets/hf-token", "models/default_basic"] {
        assert!(rt.block_on(peek(&store, &format!("/it/{stage}/{name}"))).is_none(), "{name} was written");
    }
    std::fs::write(&file, format!("EC2_INSTANCE_ID=i-1\nSECRETS_HF_TOKEN='{SECRET}'\n")).unwrap();
    let (code, _, err) = run(&mut on_moto(&ws, &stage, &["import", file.to_str().unwrap()]));
    assert_eq!(code, 0, "{err}");
    let token = rt.block_on(peek(&store, &format!("/it/{stage}/secrets/hf-token"))).unwrap();
    assert_eq!((token.value(), token.r#type()), (Some(SECRET), Some(&ParameterType::SecureString)));
}

#[test]
fn promote_dev_to_staging_writes_exactly_the_differing_values() {
    let ws = Workspace::create();
    let (dev, staging) = (unique_stage("dev"), unique_stage("staging"));
    let rt = runtime();
    let store = rt.block_on(harness::store());
    let name = |stage: &str, n: &str| format!("/it/{stage}/{n}");
    rt.block_on(async {
        seed(&store, &name(&dev, "models/default_basic"), "GPT_4O", ParameterType::String).await;
        seed(&store, &name(&dev, "ec2/instance-id"), "i-dev", ParameterType::String).await;
        seed(&store, &name(&dev, "secrets/hf-token"), SECRET, ParameterType::SecureString).await;
        seed(&store, &name(&staging, "models/default_basic"), "GPT_4O", ParameterType::String).await;
        seed(&store, &name(&staging, "ec2/instance-id"), "i-staging", ParameterType::String).await;
    });
    let (code, out, err) = run(&mut on_moto_without_stage(&ws, &["promote", "--from", &dev, "--to", &staging]));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET), "{out}");
    assert!(out.ends_with("1 updated, 1 created, 1 unchanged, 1 skipped.\n"), "{out}");
    rt.block_on(async {
        let model = peek(&store, &name(&staging, "models/default_basic")).await.unwrap();
        assert_eq!(model.version(), 1, "an unchanged value was written again");
        let id = peek(&store, &name(&staging, "ec2/instance-id")).await.unwrap();
        assert_eq!((id.value(), id.version()), (Some("i-dev"), 2));
        let token = peek(&store, &name(&staging, "secrets/hf-token")).await.unwrap();
        assert_eq!((token.value(), token.r#type()), (Some(SECRET), Some(&ParameterType::SecureString)));
        assert!(peek(&store, &name(&staging, "training/batch-size")).await.is_none());
    });
    // Nothing differs now.
    let (_, out, _) =
        run(&mut on_moto_without_stage(&ws, &["--output", "json", "promote", "--from", &dev, "--to", &staging]));
    let report = json(&out);
    assert_eq!(report["unchanged"].as_array().unwrap().len(), 3, "{report}");
    assert!(report["created"].as_array().unwrap().is_empty() && report["updated"].as_array().unwrap().is_empty());
}

#[test]
fn rollback_restores_a_value_put_by_mistake_with_its_description() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-rollback");
    let rt = runtime();
    let store = rt.block_on(harness::store());
    let name = format!("/it/{stage}/models/default_basic");
    let (code, _, err) = run(&mut on_moto(&ws, &stage, &["init"]));
    assert_eq!(code, 0, "{err}");
    run(&mut on_moto(&ws, &stage, &["put", "models.default_basic", "GPT_4O"]));
    let (code, out, err) = run(&mut on_moto(&ws, &stage, &["--output", "json", "rollback", "models.default_basic"]));
    assert_eq!(code, 0, "{err}");
    let report = json(&out);
    assert_eq!(
        (report["from_version"].as_i64(), report["restored_version"].as_i64(), report["version"].as_i64()),
        (Some(2), Some(1), Some(3))
    );
    let param = rt.block_on(peek(&store, &name)).unwrap();
    assert_eq!((param.value(), param.version()), (Some("CLAUDE_3_5_SONNET_V2"), 3));
    assert_eq!(rt.block_on(description(&store, &name)).as_deref(), Some("Default model for the basic tier"));
}
