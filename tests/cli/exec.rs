//! `exec`: the child's environment, exit status and signals, with the real
//! binary against a FileStore. Every run is under a hard deadline.

use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use super::{SECRET, Workspace, run, run_within, with_file};

const DEADLINE: Duration = Duration::from_secs(30);

/// A store where every entry of the shared schema has a value.
fn seeded(ws: &Workspace) -> std::path::PathBuf {
    let store = ws.path("params.json");
    for (key, value) in [("ec2.instance_id", "i-0abc"), ("secrets.hf_token", SECRET), ("training.batch_size", "16")] {
        let (code, _, err) = run(&mut with_file(ws, &store, &["put", key, value]));
        assert_eq!(code, 0, "{err}");
    }
    store
}

fn lines(text: &str) -> BTreeSet<String> {
    text.lines().map(str::to_string).collect()
}

#[test]
fn the_child_gets_exactly_the_schema_values_and_pristine_keeps_nothing_else() {
    let ws = Workspace::create();
    let store = seeded(&ws);
    let want: BTreeSet<String> = [
        "MODELS_DEFAULT_BASIC=CLAUDE_3_5_SONNET_V2".to_string(),
        "EC2_INSTANCE_ID=i-0abc".to_string(),
        format!("SECRETS_HF_TOKEN={SECRET}"),
        "TRAINING_BATCH_SIZE=16".to_string(),
        "TRAINING_EPOCHS=3".to_string(),
    ]
    .into();

    let (status, out, err) =
        run_within(&mut with_file(&ws, &store, &["-vv", "exec", "--pristine", "--", "env"]), DEADLINE);
    assert!(status.success(), "{err}");
    assert_eq!(lines(&out), want, "--pristine: the schema's values and nothing else");
    assert!(!err.contains(SECRET), "the secret reached the log: {err}");

    // Without --pristine: ssmconf's environment, overridden by the values.
    let mut cmd = with_file(&ws, &store, &["exec", "--", "env"]);
    cmd.env("KEPT_FROM_PARENT", "yes").env("TRAINING_EPOCHS", "99");
    let (status, out, _) = run_within(&mut cmd, DEADLINE);
    assert!(status.success());
    let got = lines(&out);
    assert!(want.is_subset(&got), "{out}");
    assert!(got.contains("KEPT_FROM_PARENT=yes") && !got.contains("TRAINING_EPOCHS=99"), "{out}");

    // --only narrows; the child's own command line holds no value.
    let args = ["exec", "--pristine", "--only", "secrets", "--", "sh", "-c", "env; tr '\\0' ' ' < /proc/$$/cmdline"];
    let (status, out, _) = run_within(&mut with_file(&ws, &store, &args), DEADLINE);
    assert!(status.success());
    let mut got = out.lines();
    assert_eq!(got.next(), Some(format!("SECRETS_HF_TOKEN={SECRET}").as_str()));
    let rest: Vec<_> = got.collect();
    assert!(rest.iter().all(|l| !l.contains(SECRET)), "{rest:?}");
    assert!(rest.iter().any(|l| l.starts_with("sh -c")), "{rest:?}");
}

#[test]
fn the_exit_status_is_the_childs_and_a_missing_command_is_127() {
    let ws = Workspace::create();
    let store = seeded(&ws);
    let (status, _, _) = run_within(&mut with_file(&ws, &store, &["exec", "--", "sh", "-c", "exit 7"]), DEADLINE);
    assert_eq!(status.code(), Some(7));
    let (status, _, err) = run_within(&mut with_file(&ws, &store, &["exec", "--", "no-such-cmd-ssmconf"]), DEADLINE);
    assert_eq!(status.code(), Some(127));
    assert!(err.contains("cannot run `no-such-cmd-ssmconf`: not found on PATH"), "{err}");
    // --pristine gives the child no PATH (the first test shows `env` sees
    // none), yet the command is found on ssmconf's PATH.
    let (status, _, err) = run_within(&mut with_file(&ws, &store, &["exec", "--pristine", "--", "true"]), DEADLINE);
    assert!(status.success(), "{err}");
}

#[test]
fn a_missing_required_value_exits_1_and_never_starts_the_child() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let marker = ws.path("child-ran");
    let script = format!("touch {}", marker.display());
    let (status, out, err) = run_within(&mut with_file(&ws, &store, &["exec", "--", "sh", "-c", &script]), DEADLINE);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(out.is_empty());
    assert!(err.contains("required values missing: `ec2.instance_id`"), "{err}");
    assert!(!marker.exists(), "the child ran");
    // Outside --only, a missing value does not matter.
    let args = ["exec", "--only", "models", "--", "sh", "-c", &script];
    let (status, _, err) = run_within(&mut with_file(&ws, &store, &args), DEADLINE);
    assert!(status.success(), "{err}");
    assert!(marker.exists());
    // A prefix that selects nothing is a usage error.
    let (status, _, err) =
        run_within(&mut with_file(&ws, &store, &["exec", "--only", "model", "--", "true"]), DEADLINE);
    assert_eq!(status.code(), Some(2));
    assert!(err.contains("unknown key `model`"), "{err}");
}

#[test]
fn death_by_a_signal_is_ssmconfs_own() {
    let ws = Workspace::create();
    let store = seeded(&ws);
    let (status, _, _) =
        run_within(&mut with_file(&ws, &store, &["exec", "--", "sh", "-c", "kill -TERM $$"]), DEADLINE);
    assert_eq!(status.signal(), Some(15), "{status:?}");
}

/// Waits for `path` to exist, under the deadline.
fn wait_for(path: &Path, start: Instant) {
    while !path.exists() {
        assert!(start.elapsed() < DEADLINE, "{} never appeared", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn sigint_and_sigterm_sent_to_ssmconf_reach_the_child() {
    let ws = Workspace::create();
    let store = seeded(&ws);
    for (signal, number) in [("INT", 2), ("TERM", 15)] {
        let ready = ws.path(&format!("ready-{signal}"));
        let got = ws.path(&format!("got-{signal}"));
        // The child records the signal, then exits 0; it never ends alone.
        let script = format!(
            "trap 'echo \"$EC2_INSTANCE_ID\" > {got}; exit 0' {signal}; touch {ready}; while :; do sleep 0.05; done",
            got = got.display(),
            ready = ready.display(),
        );
        let start = Instant::now();
        let mut child = with_file(&ws, &store, &["exec", "--", "sh", "-c", &script]).spawn().expect("starts");
        wait_for(&ready, start);
        let sent = Command::new("kill").arg(format!("-{signal}")).arg(child.id().to_string()).status().unwrap();
        assert!(sent.success());
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > DEADLINE {
                let _ = child.kill();
                let _ = child.wait();
                panic!("SIG{signal} did not end the child within {DEADLINE:?}");
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        assert_eq!(status.code(), Some(0), "SIG{signal} ({number}): {status:?}");
        assert_eq!(std::fs::read_to_string(&got).unwrap(), "i-0abc\n", "the child's trap ran with its environment");
    }
}
