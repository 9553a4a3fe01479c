//! Path entries (`ssm_path`) through every command that reads them, with
//! the real binary against a FileStore.

use std::time::Duration;

use super::{Workspace, json, run, run_within, with_file};

const SCHEMA: &str = "\
flags:
  ssm_path: /it/{stage}/flags/
  type: bool
  default:
    beta:
      search: false
    dark: true
";

fn workspace() -> Workspace {
    let ws = Workspace::create();
    std::fs::write(ws.schema(), SCHEMA).unwrap();
    ws
}

#[test]
fn init_get_explain_export_check_diff_and_exec_read_the_mapping() {
    let ws = workspace();
    let store = ws.path("params.json");
    let (code, out, err) = run(&mut with_file(&ws, &store, &["init"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created  flags  /it/dev/flags/beta/search"), "{out}");
    assert!(out.contains("created  flags  /it/dev/flags/dark"), "{out}");

    let (code, out, err) = run(&mut with_file(&ws, &store, &["--output", "json", "get", "flags"]));
    assert_eq!(code, 0, "{err}");
    let got = json(&out);
    assert_eq!(got["value"], serde_json::json!({"beta": {"search": false}, "dark": true}));
    assert_eq!(got["source"], "ssm");

    let (_, out, _) = run(&mut with_file(&ws, &store, &["explain", "flags"]));
    assert!(out.contains("parameters  2 (a path entry"), "{out}");
    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "explain", "flags"]));
    assert_eq!(json(&out)["parameters"], 2);

    let (_, out, _) = run(&mut with_file(&ws, &store, &["export", "--format", "env"]));
    assert_eq!(out, "FLAGS='{\"beta\":{\"search\":false},\"dark\":true}'\n");

    let (code, out, err) = run(&mut with_file(&ws, &store, &["check"]));
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&mut with_file(&ws, &store, &["--output", "json", "diff"]));
    assert_eq!(code, 0, "{out}{err}");
    let statuses: Vec<_> = json(&out)["entries"].as_array().unwrap().iter().map(|e| e["status"].clone()).collect();
    assert_eq!(statuses, ["same", "same"]);

    let (status, out, err) = run_within(
        &mut with_file(&ws, &store, &["exec", "--", "sh", "-c", "echo \"$FLAGS\""]),
        Duration::from_secs(30),
    );
    assert!(status.success(), "{err}");
    assert_eq!(out, "{\"beta\":{\"search\":false},\"dark\":true}\n");

    let (code, _, err) = run(&mut with_file(&ws, &store, &["put", "flags", "{}"]));
    assert_ne!(code, 0);
    assert!(err.contains("a path entry (ssm_path /it/dev/flags)"), "{err}");
}
