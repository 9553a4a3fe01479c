//! The `ssmconf` binary, run as a user runs it: against a FileStore in a
//! temporary directory, and against moto_server on loopback through the
//! real AWS SDK (what the CLI wrote is read back with the SDK, not with
//! ssmconf).

#[path = "../moto/harness.rs"]
#[allow(dead_code)]
mod harness;

mod exec;
mod file_store;
mod moto;
mod moto_pipeline;
mod paths;
mod pipeline;
#[path = "../faults/proxy.rs"]
#[allow(dead_code)]
mod proxy;
mod secrets_manager;
#[path = "../support/secretsmanager.rs"]
#[allow(dead_code)]
mod sm;

use std::path::{Path, PathBuf};
use std::process::Output;

use std::process::Command;

/// The sample schema the tests share: a default, a required entry without
/// one, a secure entry, a typed int, and a literal.
pub const SCHEMA: &str = "\
models:
  default_basic:
    ssm_param: /it/{stage}/models/default_basic
    description: Default model for the basic tier
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_OPUS_4_5, GPT_4O]
ec2:
  instance_id:
    ssm_param: /it/{stage}/ec2/instance-id
    description: EC2 instance for training
    required: true
secrets:
  hf_token:
    ssm_param: /it/{stage}/secrets/hf-token
    secure: true
training:
  batch_size:
    ssm_param: /it/{stage}/training/batch-size
    type: int
    default: 8
  epochs: 3
";

/// A secret that must never be printed unless revealed.
pub const SECRET: &str = "hf_s3cr3t_T0KEN_never_print_me";

/// A temporary directory holding the schema file.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn create() -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("app.yml"), SCHEMA).expect("write schema");
        Workspace { dir }
    }

    pub fn schema(&self) -> PathBuf {
        self.dir.path().join("app.yml")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// The binary with a clean environment for ssmconf and AWS. `$SSMCONF_CLI`
/// names another `ssmconf` to test instead: scripts/test.sh runs this suite
/// against the command the Python wheel installs, too.
pub fn ssmconf() -> Command {
    let binary = std::env::var_os("SSMCONF_CLI").unwrap_or_else(|| env!("CARGO_BIN_EXE_ssmconf").into());
    let mut cmd = Command::new(binary);
    for var in
        ["SSMCONF_SCHEMA", "SSMCONF_STORE", "SSMCONF_LOG", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SSM"]
    {
        cmd.env_remove(var);
    }
    cmd.env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", "us-east-1")
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// `ssmconf --schema S --stage STAGE --store file:F ARGS...`
pub fn with_file(ws: &Workspace, store: &Path, args: &[&str]) -> Command {
    let mut cmd = ssmconf();
    cmd.arg("--schema").arg(ws.schema()).args(["--stage", "dev"]).arg(format!("--store=file:{}", store.display()));
    cmd.args(args);
    cmd
}

/// Runs, and answers (exit code, stdout, stderr).
pub fn run(cmd: &mut Command) -> (i32, String, String) {
    let Output { status, stdout, stderr } = cmd.output().expect("the binary runs");
    (
        status.code().expect("exited, not killed"),
        String::from_utf8(stdout).expect("stdout is UTF-8"),
        String::from_utf8(stderr).expect("stderr is UTF-8"),
    )
}

/// Parses stdout as one JSON document.
pub fn json(stdout: &str) -> serde_json::Value {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{stdout}"))
}

/// Runs under a hard deadline and answers (status, stdout, stderr); a
/// process still running at the deadline is killed (by its own handle) and
/// the test fails instead of hanging.
pub fn run_within(cmd: &mut Command, deadline: std::time::Duration) -> (std::process::ExitStatus, String, String) {
    use std::io::Read;
    use std::process::Stdio;
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("the binary starts");
    let (mut stdout, mut stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || {
        let mut s = String::new();
        stdout.read_to_string(&mut s).map(|_| s)
    });
    let err = std::thread::spawn(move || {
        let mut s = String::new();
        stderr.read_to_string(&mut s).map(|_| s)
    });
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if start.elapsed() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {deadline:?}: killed");
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    };
    (status, out.join().unwrap().expect("stdout is UTF-8"), err.join().unwrap().expect("stderr is UTF-8"))
}
