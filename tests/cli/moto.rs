//! The binary against moto_server on loopback; what it wrote is read back
//! through the AWS SDK directly.

use std::process::Command;

use aws_sdk_ssm::types::ParameterType;

use super::harness::{self, peek, seed, unique_stage};
use super::{SECRET, Workspace, json, run, ssmconf};

/// `ssmconf --schema S --stage STAGE --region us-east-1 --endpoint-url URL ARGS...`
pub(super) fn on_moto(ws: &Workspace, stage: &str, args: &[&str]) -> Command {
    let mut cmd = ssmconf();
    cmd.arg("--schema").arg(ws.schema()).args([
        "--stage",
        stage,
        "--region",
        "us-east-1",
        "--endpoint-url",
        harness::endpoint(),
    ]);
    cmd.args(args);
    cmd
}

pub(super) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Runtime::new().expect("runtime")
}

#[test]
fn dry_run_writes_nothing_then_init_creates_with_types_and_descriptions() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-init");
    let rt = runtime();
    let store = rt.block_on(harness::store());

    let (code, out, err) = run(&mut on_moto(&ws, &stage, &["init", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("would create"), "{out}");
    for name in ["models/default_basic", "training/batch-size"] {
        let name = format!("/it/{stage}/{name}");
        assert!(rt.block_on(peek(&store, &name)).is_none(), "the dry run wrote {name}");
    }

    let (code, out, err) = run(&mut on_moto(&ws, &stage, &["--output", "json", "init"]));
    assert_eq!(code, 0, "{err}");
    let plan = json(&out);
    assert_eq!(plan["dry_run"], false);
    assert_eq!(plan["created"].as_array().unwrap().len(), 2);
    let name = format!("/it/{stage}/models/default_basic");
    let param = rt.block_on(peek(&store, &name)).expect("init created it");
    assert_eq!(param.value(), Some("CLAUDE_3_5_SONNET_V2"));
    assert_eq!(param.r#type(), Some(&ParameterType::String));
    let described = rt
        .block_on(
            store
                .client()
                .describe_parameters()
                .parameter_filters(
                    aws_sdk_ssm::types::ParameterStringFilter::builder().key("Name").values(&name).build().unwrap(),
                )
                .send(),
        )
        .unwrap();
    assert_eq!(described.parameters()[0].description(), Some("Default model for the basic tier"));

    // Again: everything exists now.
    let (_, out, _) = run(&mut on_moto(&ws, &stage, &["init"]));
    assert!(out.contains("0 created, 2 skipped as existing, 2 need manual setup."), "{out}");
}

#[test]
fn put_is_read_back_by_the_sdk_and_history_lists_versions() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-put");
    let rt = runtime();
    let store = rt.block_on(harness::store());
    for model in ["GPT_4O", "CLAUDE_OPUS_4_5"] {
        let (code, _, err) = run(&mut on_moto(&ws, &stage, &["put", "models.default_basic", model]));
        assert_eq!(code, 0, "{err}");
    }
    let param = rt.block_on(peek(&store, &format!("/it/{stage}/models/default_basic"))).unwrap();
    assert_eq!((param.value(), param.version()), (Some("CLAUDE_OPUS_4_5"), 2));

    let mut put_secret = on_moto(&ws, &stage, &["put", "secrets.hf_token", "-"]);
    let mut child = put_secret.stdin(std::process::Stdio::piped()).spawn().unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), SECRET.as_bytes()).unwrap();
    assert!(child.wait().unwrap().success());
    let token = rt.block_on(peek(&store, &format!("/it/{stage}/secrets/hf-token"))).unwrap();
    assert_eq!((token.value(), token.r#type()), (Some(SECRET), Some(&ParameterType::SecureString)));

    let (code, out, _) = run(&mut on_moto(&ws, &stage, &["--output", "json", "history", "models.default_basic"]));
    assert_eq!(code, 0);
    let values: Vec<_> =
        json(&out).as_array().unwrap().iter().map(|v| v["value"].as_str().unwrap().to_string()).collect();
    assert_eq!(values, ["CLAUDE_OPUS_4_5", "GPT_4O"]);
    let (_, out, err) = run(&mut on_moto(&ws, &stage, &["history", "secrets.hf_token"]));
    assert!(
        out.contains("SecureString") && out.contains("***") && !out.contains(SECRET) && !err.contains(SECRET),
        "{out}"
    );

    let (_, out, _) = run(&mut on_moto(&ws, &stage, &["--output", "json", "explain", "models.default_basic"]));
    let why = json(&out);
    assert_eq!((why["source"].as_str(), why["version"].as_i64()), (Some("ssm"), Some(2)));
}

#[test]
fn check_and_diff_see_what_other_tools_wrote() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-check");
    let rt = runtime();
    let store = rt.block_on(harness::store());
    let name = |n: &str| format!("/it/{stage}/{n}");
    rt.block_on(async {
        seed(&store, &name("ec2/instance-id"), "i-0123", ParameterType::String).await;
        seed(&store, &name("training/batch-size"), "eight", ParameterType::String).await;
        // A secret written as a plain String: a type mismatch.
        seed(&store, &name("secrets/hf-token"), SECRET, ParameterType::String).await;
        seed(&store, &name("models/retired"), "GPT_3", ParameterType::String).await;
    });
    let (code, out, _) = run(&mut on_moto(&ws, &stage, &["--output", "json", "check"]));
    assert_eq!(code, 1, "{out}");
    let report = json(&out);
    let problems: Vec<_> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["key"].as_str().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(problems, [("training.batch_size", "invalid")]);

    let (code, out, err) = run(&mut on_moto(&ws, &stage, &["--output", "json", "diff"]));
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains(SECRET) && !err.contains(SECRET));
    let diff = json(&out);
    let status: Vec<_> = diff["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["key"].as_str().unwrap(), e["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        status,
        [
            ("models.default_basic", "missing"),
            ("ec2.instance_id", "changed"),
            ("secrets.hf_token", "type_mismatch"),
            ("training.batch_size", "invalid"),
        ]
    );
    assert_eq!(diff["entries"][2]["note"], "the parameter is a String; the schema says SecureString");
    assert_eq!(diff["unnamed"][0]["ssm_param"], name("models/retired"));

    rt.block_on(seed(&store, &name("training/batch-size"), "8", ParameterType::String));
    let (code, out, _) = run(&mut on_moto(&ws, &stage, &["check"]));
    assert_eq!((code, out.as_str()), (0, "ok: 4 entries checked, no problems.\n"));
}

#[test]
fn an_unreachable_store_exits_3_with_a_hint() {
    let ws = Workspace::create();
    let mut cmd = ssmconf();
    cmd.arg("--schema").arg(ws.schema()).args(["--stage", "dev", "--endpoint-url", "http://127.0.0.1:9", "check"]);
    let (code, out, err) = run(&mut cmd);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.starts_with("error: parameter store failed for check: "), "{err}");
    assert!(err.contains("hint: "), "{err}");
    let mut cmd = ssmconf();
    cmd.arg("--schema").arg(ws.schema()).args([
        "--stage",
        "dev",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "put",
        "ec2.instance_id",
        "i-1",
    ]);
    let (code, _, _) = run(&mut cmd);
    assert_eq!(code, 3);
}

#[test]
fn the_standard_aws_environment_is_enough() {
    let ws = Workspace::create();
    let stage = unique_stage("cli-env");
    let mut cmd = ssmconf();
    cmd.arg("--schema")
        .arg(ws.schema())
        .args(["--stage", &stage, "put", "ec2.instance_id", "i-42"])
        .env("AWS_ENDPOINT_URL_SSM", harness::endpoint());
    let (code, _, err) = run(&mut cmd);
    assert_eq!(code, 0, "{err}");
    let rt = runtime();
    let store = rt.block_on(harness::store());
    let param = rt.block_on(peek(&store, &format!("/it/{stage}/ec2/instance-id"))).unwrap();
    assert_eq!(param.value(), Some("i-42"));
}
