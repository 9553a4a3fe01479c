//! `import`, `promote` and `rollback` with the real binary against a
//! FileStore; what they wrote is read back from the store file itself.

use super::{SECRET, Workspace, json, run, ssmconf, with_file};

/// The store file's parameters, each a list of versions (what is really
/// stored, read without ssmconf).
fn stored(store: &std::path::Path) -> serde_json::Value {
    let file: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(store).unwrap()).unwrap();
    file["parameters"].clone()
}

/// `--stage STAGE` instead of the shared `dev`.
fn on_stage(ws: &Workspace, store: &std::path::Path, stage: &str, args: &[&str]) -> std::process::Command {
    let mut cmd = ssmconf();
    cmd.arg("--schema").arg(ws.schema()).args(["--stage", stage]).arg(format!("--store=file:{}", store.display()));
    cmd.args(args);
    cmd
}

#[test]
fn an_import_with_one_bad_value_writes_nothing_and_names_the_key() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    run(&mut with_file(&ws, &store, &["put", "ec2.instance_id", "i-1"]));
    let before = std::fs::read(&store).unwrap();

    let file = ws.path("values.yml");
    std::fs::write(&file, "models:\n  default_basic: GPT_4O\ntraining:\n  batch_size: many\n").unwrap();
    let (code, out, err) = run(&mut with_file(&ws, &store, &["import", file.to_str().unwrap()]));
    assert_eq!(code, 2, "{out}");
    let want = format!("`training.batch_size` at {}:4:15: `many` is not a decimal integer", file.display());
    assert!(err.contains(&want), "{err}");
    assert!(out.starts_with("Nothing was written.\n") && out.contains("would create  models.default_basic"), "{out}");
    assert_eq!(std::fs::read(&store).unwrap(), before, "a refused import changed the store");

    // An unknown key, in dotenv: refused with the nearest key; nothing written.
    let env = ws.path("dev.env");
    std::fs::write(&env, "MODELS_DEFAULT_BASIC=GPT_4O\nmodels.defualt_premium=X\n").unwrap();
    let (code, out, err) = run(&mut with_file(&ws, &store, &["--output", "json", "import", env.to_str().unwrap()]));
    assert_eq!(code, 2, "{err}");
    let plan = json(&out);
    assert_eq!(plan["written"], false);
    assert_eq!(plan["refused"][0]["key"], "models.defualt_premium");
    assert_eq!(plan["refused"][0]["line"], 2);
    assert!(plan["refused"][0]["reason"].as_str().unwrap().contains("did you mean `models.default_basic`"));
    assert_eq!(std::fs::read(&store).unwrap(), before);

    // --skip-invalid writes the rest.
    let (code, out, err) = run(&mut with_file(&ws, &store, &["import", env.to_str().unwrap(), "--skip-invalid"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created  models.default_basic"), "{out}");
    assert_eq!(stored(&store)["/it/dev/models/default_basic"][0]["value"], "GPT_4O");
}

#[test]
fn a_good_import_writes_exactly_its_plan() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    run(&mut with_file(&ws, &store, &["put", "models.default_basic", "GPT_4O"]));
    let file = ws.path("values.json");
    let doc = serde_json::json!({
        "models": {"default_basic": "CLAUDE_OPUS_4_5"},
        "ec2.instance_id": "i-9",
        "secrets": {"hf_token": SECRET},
        "training": {"batch_size": 32, "epochs": 3},
    });
    std::fs::write(&file, doc.to_string()).unwrap();
    let (code, out, err) =
        run(&mut with_file(&ws, &store, &["--output", "json", "import", file.to_str().unwrap(), "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    let plan = json(&out);
    assert!(!out.contains(SECRET), "{out}");
    let keys = |list: &str| -> Vec<String> {
        plan[list].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(keys("created"), ["ec2.instance_id", "secrets.hf_token", "training.batch_size"]);
    assert_eq!(keys("skipped"), ["models.default_basic", "training.epochs"]);
    assert_eq!(plan["skipped"][0]["reason"], "exists");
    assert_eq!(plan["created"][1]["value"], "***");
    assert_eq!(plan["created"][1]["param_type"], "SecureString");

    let (code, _, err) = run(&mut with_file(&ws, &store, &["import", file.to_str().unwrap(), "--overwrite"]));
    assert_eq!(code, 0, "{err}");
    let s = stored(&store);
    let params = s.as_object().unwrap();
    assert_eq!(params.len(), 4, "{s}");
    let latest = |name: &str| {
        let versions = s[name].as_array().unwrap();
        (versions.len(), versions.last().unwrap()["value"].as_str().unwrap().to_string())
    };
    assert_eq!(latest("/it/dev/models/default_basic"), (2, "CLAUDE_OPUS_4_5".into()));
    assert_eq!(latest("/it/dev/ec2/instance-id"), (1, "i-9".into()));
    assert_eq!(latest("/it/dev/secrets/hf-token"), (1, SECRET.into()));
    assert_eq!(latest("/it/dev/training/batch-size"), (1, "32".into()));
    // Again: the same values are skipped as unchanged, even with --overwrite.
    let (_, out, _) = run(&mut with_file(&ws, &store, &["import", file.to_str().unwrap(), "--overwrite"]));
    assert!(out.ends_with("0 created, 0 overwritten, 5 skipped, 0 refused.\n"), "{out}");
}

#[test]
fn promote_writes_exactly_the_differing_values() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    for (stage, key, value) in [
        ("dev", "models.default_basic", "GPT_4O"),
        ("dev", "ec2.instance_id", "i-dev"),
        ("dev", "secrets.hf_token", SECRET),
        ("staging", "models.default_basic", "GPT_4O"),
        ("staging", "ec2.instance_id", "i-old"),
    ] {
        let (code, _, err) = run(&mut on_stage(&ws, &store, stage, &["put", key, value]));
        assert_eq!(code, 0, "{err}");
    }
    let args = ["--store", &format!("file:{}", store.display())].map(str::to_string);
    let promote = |extra: &[&str]| {
        let mut cmd = ssmconf();
        cmd.arg("--schema").arg(ws.schema()).args(&args).args(["promote", "--from", "dev", "--to", "staging"]);
        cmd.args(extra);
        cmd
    };
    let before = std::fs::read(&store).unwrap();
    let (code, out, err) = run(&mut promote(&["--dry-run"]));
    assert_eq!(code, 0, "{err}");
    let rows: Vec<Vec<&str>> = out.lines().map(|l| l.split_whitespace().collect()).collect();
    let has = |row: &[&str]| rows.iter().any(|r| r.starts_with(row));
    assert!(has(&["would", "update", "ec2.instance_id", "/it/staging/ec2/instance-id", "i-old", "i-dev"]), "{out}");
    assert!(has(&["would", "create", "secrets.hf_token", "/it/staging/secrets/hf-token", "-", "***"]), "{out}");
    assert!(has(&["unchanged", "models.default_basic"]) && !out.contains(SECRET), "{out}");
    assert!(has(&["skipped", "training.batch_size"]) && out.contains("not set in the source stage"), "{out}");
    assert!(out.ends_with("1 to update, 1 to create, 1 unchanged, 1 skipped.\n"), "{out}");
    assert_eq!(std::fs::read(&store).unwrap(), before, "a dry run wrote");

    let (code, out, err) = run(promote(&[]).args(["--output", "json"]));
    assert_eq!(code, 0, "{err}");
    let report = json(&out);
    assert_eq!(
        (report["from"].as_str(), report["to"].as_str(), report["written"].as_bool()),
        (Some("dev"), Some("staging"), Some(true))
    );
    assert_eq!(report["updated"][0]["old_value"], "i-old");
    assert_eq!(report["updated"][0]["version"], 2);
    let s = stored(&store);
    let versions = |name: &str| s[name].as_array().map_or(0, Vec::len);
    assert_eq!(versions("/it/staging/models/default_basic"), 1, "an unchanged value was written again");
    assert_eq!(versions("/it/staging/ec2/instance-id"), 2);
    assert_eq!(s["/it/staging/secrets/hf-token"][0]["value"], SECRET);
    assert_eq!(s["/it/staging/secrets/hf-token"][0]["type"], "SecureString");
    assert!(s.get("/it/staging/training/batch-size").is_none(), "a value not set in dev was written");
    // prod needs a terminal to confirm, or --yes.
    let mut to_prod = ssmconf();
    to_prod.arg("--schema").arg(ws.schema()).args(&args).args(["promote", "--from", "dev", "--to", "prod"]);
    let (code, _, err) = run(to_prod.stdin(std::process::Stdio::null()));
    assert_eq!(code, 2);
    assert!(err.contains("pass --yes"), "{err}");
    assert!(stored(&store).get("/it/prod/ec2/instance-id").is_none());
    let (code, _, err) = run(to_prod.arg("--yes"));
    assert_eq!(code, 0, "{err}");
    assert_eq!(stored(&store)["/it/prod/ec2/instance-id"][0]["value"], "i-dev");
}

#[test]
fn rollback_restores_a_value_put_by_mistake() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    run(&mut with_file(&ws, &store, &["init"]));
    run(&mut with_file(&ws, &store, &["put", "models.default_basic", "GPT_4O"]));
    let (code, out, err) = run(&mut with_file(&ws, &store, &["rollback", "models.default_basic"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        out,
        "models.default_basic: rolled /it/dev/models/default_basic back from version 2 to the value of version 1, \
         written as version 3: CLAUDE_3_5_SONNET_V2\n"
    );
    let s = stored(&store);
    let v3 = &s["/it/dev/models/default_basic"][2];
    assert_eq!((v3["version"].as_i64(), v3["value"].as_str()), (Some(3), Some("CLAUDE_3_5_SONNET_V2")));
    assert_eq!(v3["description"], "Default model for the basic tier");

    let (code, out, _) =
        run(&mut with_file(&ws, &store, &["--output", "json", "rollback", "models.default_basic", "--to", "2"]));
    assert_eq!(code, 0);
    let report = json(&out);
    assert_eq!(
        (report["from_version"].as_i64(), report["restored_version"].as_i64(), report["version"].as_i64()),
        (Some(3), Some(2), Some(4))
    );
    let (code, _, err) = run(&mut with_file(&ws, &store, &["rollback", "models.default_basic", "--to", "4"]));
    assert_eq!(code, 2);
    assert!(err.contains("version 4 is the current one"), "{err}");
    let (code, _, err) = run(&mut with_file(&ws, &store, &["rollback", "training.epochs"]));
    assert_eq!(code, 2);
    assert!(err.contains("literal"), "{err}");
}

/// `promote --to prod` on a terminal (a pty from util-linux `script`) asks,
/// and writes only after a yes.
#[test]
fn promote_to_prod_asks_on_a_terminal() {
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: util-linux `script` (for a pty) is not installed");
        return;
    }
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, _, err) = run(&mut with_file(&ws, &store, &["put", "ec2.instance_id", "i-dev"]));
    assert_eq!(code, 0, "{err}");
    let line = format!(
        "{} --schema {} --store file:{} promote --from dev --to prod",
        env!("CARGO_BIN_EXE_ssmconf"),
        ws.schema().display(),
        store.display()
    );
    for (answer, written) in [("n", false), ("y", true)] {
        let mut cmd = std::process::Command::new("sh");
        // Colour on: stderr is a terminal too (this once panicked in the log layer).
        cmd.args(["-c", &format!("echo {answer} | script -qec \"$0\" /dev/null"), &line]).env_remove("NO_COLOR");
        let (status, out, _) = super::run_within(&mut cmd, std::time::Duration::from_secs(30));
        assert!(out.contains("Write 1 value to `prod`? [y/N]"), "{out}");
        assert_eq!(status.success(), written, "{out}");
        assert_eq!(stored(&store).get("/it/prod/ec2/instance-id").is_some(), written, "{out}");
    }
}
