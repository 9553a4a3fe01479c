//! Starts one `moto_server` for the whole test binary, on 127.0.0.1 and a
//! free port, and builds real aws-sdk-ssm clients against it.
//!
//! The server runs under a small shell guard that stops it when this test
//! process exits, so no server outlives the tests.

use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ssmconf::{Credentials, Schema, SsmStore};

const INSTALL_HINT: &str = "moto_server was not found. Install it with `python3 -m pip install 'moto[server]'` \
     (or run `scripts/test.sh`, which makes a virtualenv with it), or point MOTO_SERVER at the binary.";

/// The endpoint of the shared moto server, started on first use.
pub fn endpoint() -> &'static str {
    static ENDPOINT: OnceLock<Result<String, String>> = OnceLock::new();
    match ENDPOINT.get_or_init(start) {
        Ok(url) => url,
        Err(e) => panic!("{e}"),
    }
}

fn moto_binary() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let venv = root.join(".venv/bin/moto_server");
    if venv.exists() {
        return Some(venv);
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths).map(|dir| dir.join("moto_server")).find(|candidate| candidate.is_file())
    })
}

fn start() -> Result<String, String> {
    let binary = moto_binary().ok_or_else(|| INSTALL_HINT.to_string())?;
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).map_err(|e| e.to_string())?.port();
    let log = std::env::temp_dir().join(format!("ssmconf-moto-{port}.log"));
    let log_file = std::fs::File::create(&log).map_err(|e| e.to_string())?;
    // The guard: run moto, and stop it as soon as this process is gone.
    let guard = r#"bin="$1"; port="$2"; parent="$3"
"$bin" -H 127.0.0.1 -p "$port" & moto=$!
trap 'kill $moto 2>/dev/null' EXIT INT TERM
while kill -0 "$parent" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do sleep 0.5; done"#;
    Command::new("sh")
        .args(["-c", guard, "moto-guard"])
        .arg(&binary)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(log_file.try_clone().map_err(|e| e.to_string())?)
        .stderr(log_file)
        .spawn()
        .map_err(|e| format!("could not start {}: {e}. {INSTALL_HINT}", binary.display()))?;
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(format!("http://127.0.0.1:{port}"));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let output = std::fs::read_to_string(&log).unwrap_or_default();
    Err(format!("moto_server ({}) did not listen on port {port} within 60 s. Its output:\n{output}", binary.display()))
}

/// A real `SsmStore` on the moto server.
pub async fn store() -> SsmStore {
    SsmStore::builder()
        .region("us-east-1")
        .endpoint_url(endpoint())
        .credentials(Credentials::new("testing", "testing", None, None, "moto"))
        .build()
        .await
}

/// A stage name no other test uses, so tests share the server safely.
pub fn unique_stage(test: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{test}-{}-{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

/// A schema from inline YAML.
pub fn schema(yaml: &str) -> Schema {
    Schema::from_yaml_str(yaml, "test.yml").expect("test schema loads")
}

/// Writes a parameter straight through the SDK, as another tool would.
pub async fn seed(store: &SsmStore, name: &str, value: &str, kind: aws_sdk_ssm::types::ParameterType) {
    store
        .client()
        .put_parameter()
        .name(name)
        .value(value)
        .r#type(kind)
        .overwrite(true)
        .send()
        .await
        .unwrap_or_else(|e| panic!("seeding {name}: {e:?}"));
}

/// Reads a parameter straight through the SDK: `None` when it does not exist.
pub async fn peek(store: &SsmStore, name: &str) -> Option<aws_sdk_ssm::types::Parameter> {
    let out = store.client().get_parameters().names(name).with_decryption(true).send().await.expect("GetParameters");
    out.parameters().first().cloned()
}
