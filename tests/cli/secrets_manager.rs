//! Secrets Manager references from the command line, on moto: `get`,
//! `explain`, `check`, `init`, and the refusals of `put` and `history`. One
//! secret is forbidden by the fault proxy, as IAM would.

use std::process::Command;

use aws_sdk_ssm::types::ParameterType;

use super::harness::{self, seed, unique_stage};
use super::{json, run, ssmconf};
use crate::proxy::{Fault, FaultProxy};
use crate::sm::SecretsManager;

const JWT: &str = "jwt-cli-U1v-never-printed";

const SCHEMA: &str = "\
api:
  url:
    ssm_param: /it/{stage}/api/url
auth:
  jwt:
    ssm_param: /aws/reference/secretsmanager/{stage}/jwt
    json_key: secret
    required: true
  broken:
    ssm_param: /aws/reference/secretsmanager/{stage}/broken
    json_key: secret
  missing:
    ssm_param: /aws/reference/secretsmanager/{stage}/missing
    required: true
  locked:
    ssm_param: /aws/reference/secretsmanager/{stage}/locked
    default: fallback
";

struct Rig {
    dir: tempfile::TempDir,
    stage: String,
    proxy: FaultProxy,
}

impl Rig {
    fn new(test: &str) -> Rig {
        let stage = unique_stage(test);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("app.yml"), SCHEMA).unwrap();
        let sm = SecretsManager::new(harness::endpoint());
        sm.create(&format!("{stage}/jwt"), &serde_json::json!({ "secret": JWT }).to_string());
        sm.create(&format!("{stage}/broken"), JWT);
        sm.create(&format!("{stage}/locked"), JWT);
        let rt = tokio::runtime::Runtime::new().unwrap();
        let store = rt.block_on(harness::store());
        rt.block_on(seed(&store, &format!("/it/{stage}/api/url"), "https://api.example", ParameterType::String));
        let proxy = FaultProxy::start(harness::endpoint());
        proxy.set_matching(&format!("secretsmanager/{stage}/locked"), Fault::AccessDenied);
        Rig { dir, stage, proxy }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = ssmconf();
        cmd.arg("--schema").arg(self.dir.path().join("app.yml")).args([
            "--stage",
            &self.stage,
            "--region",
            "us-east-1",
            "--endpoint-url",
            &self.proxy.url(),
        ]);
        cmd.args(args);
        cmd
    }

    fn run(&self, args: &[&str]) -> (i32, String, String) {
        let (code, out, err) = run(&mut self.cmd(args));
        assert!(!out.contains(JWT) || args.contains(&"--reveal"), "stdout of {args:?} shows the secret:\n{out}");
        assert!(!err.contains(JWT), "stderr of {args:?} shows the secret:\n{err}");
        (code, out, err)
    }
}

#[test]
fn get_and_explain_read_a_member_of_a_secret_and_never_print_it() {
    let rig = Rig::new("cli-sm-get");
    let (code, out, err) = rig.run(&["get", "auth.jwt"]);
    assert_eq!((code, out.as_str()), (0, "***\n"), "{err}");
    let (code, out, _) = rig.run(&["get", "auth.jwt", "--reveal"]);
    assert_eq!((code, out.as_str()), (0, format!("{JWT}\n").as_str()));

    let (code, out, _) = rig.run(&["explain", "auth.jwt"]);
    assert_eq!(code, 0);
    assert!(out.contains("json key") && out.contains("secret (the value is this member"), "{out}");
    assert!(out.contains("(from ssm)") && out.contains("/aws/reference/secretsmanager/"), "{out}");
    let (_, out, _) = rig.run(&["--output", "json", "explain", "auth.jwt"]);
    let why = json(&out);
    assert_eq!(
        (why["json_key"].as_str(), why["value"].as_str(), why["secure"].as_bool()),
        (Some("secret"), Some("***"), Some(true))
    );

    // A forbidden secret falls back, and says why.
    let (code, out, err) = rig.run(&["--output", "json", "explain", "auth.locked"]);
    assert_eq!(code, 0, "{err}");
    let why = json(&out);
    assert_eq!(why["source"], "default");
    assert!(why["error"].as_str().is_some_and(|e| e.contains("AccessDeniedException")), "{why}");
    let (code, out, _) = rig.run(&["get", "auth.missing"]);
    assert_eq!(code, 1, "a required secret that does not exist: {out}");
}

#[test]
fn check_reports_each_bad_secret_and_init_leaves_secrets_to_secrets_manager() {
    let rig = Rig::new("cli-sm-check");
    let (code, out, err) = rig.run(&["--output", "json", "check"]);
    assert_eq!(code, 1, "problems found, the store did not fail: {out}{err}");
    let report = json(&out);
    let problems: Vec<_> = report["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["key"].as_str().unwrap(), p["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(problems, [("auth.broken", "invalid"), ("auth.missing", "missing"), ("auth.locked", "unreadable")]);
    assert!(report["problems"][0]["message"].as_str().unwrap().contains("member"), "{report}");
    assert_eq!(report["checked"], 5);

    let (code, out, _) = rig.run(&["--output", "json", "init", "--dry-run"]);
    assert_eq!(code, 0);
    let plan = json(&out);
    let manual: Vec<_> = plan["manual"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(manual, ["api.url", "auth.jwt", "auth.broken", "auth.missing", "auth.locked"]);
    assert!(plan["manual"][1]["reason"].as_str().unwrap().contains("Secrets Manager"), "{plan}");
    assert_eq!(plan["created"].as_array().unwrap().len(), 0, "a default of a secret is never written");
    let (_, out, _) = rig.run(&["init", "--dry-run"]);
    let jwt = out.lines().find(|l| l.contains("auth.jwt")).unwrap_or_default();
    assert!(jwt.contains("a Secrets Manager secret: create it") && !jwt.contains("ssmconf put"), "{out}");
    assert!(out.contains("`ssmconf put api.url VALUE`"), "{out}");

    let (code, out, err) = rig.run(&["--output", "json", "diff"]);
    assert_eq!(code, 0, "a forbidden secret does not fail the diff: {err}");
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
            ("api.url", "changed"),
            ("auth.jwt", "changed"),
            ("auth.broken", "invalid"),
            ("auth.missing", "missing"),
            ("auth.locked", "unreadable")
        ]
    );
    assert_eq!(diff["prefixes"], serde_json::json!([format!("/it/{}/api/", rig.stage)]));
    let (code, out, _) = rig.run(&["diff"]);
    assert!(code == 0 && out.contains("1 secret(s) could not be read.") && out.contains("AccessDenied"), "{out}");

    let (code, _, err) = rig.run(&["put", "auth.jwt", "new-value"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("Secrets Manager secret read through Parameter Store"), "{err}");
    let (code, _, err) = rig.run(&["history", "auth.jwt"]);
    assert_eq!(code, 2, "{err}");
}
