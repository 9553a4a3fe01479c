//! Every command against a FileStore in a temporary directory.

use std::io::Write;
use std::process::Stdio;

use super::{SECRET, Workspace, json, run, ssmconf, with_file};

#[test]
fn init_dry_run_writes_nothing_and_says_so() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, out, err) = run(&mut with_file(&ws, &store, &["init", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("Dry run: nothing was written.\n"), "{out}");
    assert!(out.contains("would create  models.default_basic  /it/dev/models/default_basic"), "{out}");
    assert!(out.contains("manual        ec2.instance_id"), "{out}");
    assert!(out.contains("ssmconf put ec2.instance_id VALUE"), "{out}");
    assert!(out.ends_with("2 to create, 0 skipped as existing, 2 need manual setup.\n"), "{out}");
    assert!(!store.exists(), "a dry run created the store file");

    let (code, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "init", "--dry-run"]));
    assert_eq!(code, 0);
    let plan = json(&out);
    assert_eq!(plan["dry_run"], true);
    let created: Vec<_> = plan["created"].as_array().unwrap().iter().map(|i| i["key"].as_str().unwrap()).collect();
    assert_eq!(created, ["models.default_basic", "training.batch_size"]);
    assert_eq!(plan["created"][1]["param_type"], "String");
    assert_eq!(plan["created"][1]["value"], "8");
    let manual: Vec<_> = plan["manual"].as_array().unwrap().iter().map(|i| i["ssm_param"].as_str().unwrap()).collect();
    assert_eq!(manual, ["/it/dev/ec2/instance-id", "/it/dev/secrets/hf-token"]);
    assert!(!store.exists());
}

#[test]
fn init_put_get_history_round_trip() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, out, err) = run(&mut with_file(&ws, &store, &["init"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("created  models.default_basic  /it/dev/models/default_basic  String        CLAUDE_3_5_SONNET_V2 (version 1)"), "{out}");
    assert!(out.contains("2 created"), "{out}");
    // A second init skips what exists.
    let (_, out, _) = run(&mut with_file(&ws, &store, &["init"]));
    assert!(out.contains("exists (version 1)"), "{out}");
    assert!(out.contains("0 created, 2 skipped as existing"), "{out}");

    let (code, out, _) = run(&mut with_file(&ws, &store, &["get", "models.default_basic"]));
    assert_eq!((code, out.as_str()), (0, "CLAUDE_3_5_SONNET_V2\n"));
    let (code, out, err) = run(&mut with_file(&ws, &store, &["put", "models.default_basic", "GPT_4O"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(out, "models.default_basic: wrote /it/dev/models/default_basic (version 2)\n");
    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "get", "models.default_basic"]));
    let got = json(&out);
    assert_eq!((got["value"].as_str(), got["source"].as_str()), (Some("GPT_4O"), Some("ssm")));

    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "history", "models.default_basic"]));
    let versions = json(&out);
    let seen: Vec<_> = versions
        .as_array()
        .unwrap()
        .iter()
        .map(|v| (v["version"].as_i64().unwrap(), v["value"].as_str().unwrap()))
        .collect();
    assert_eq!(seen, [(2, "GPT_4O"), (1, "CLAUDE_3_5_SONNET_V2")]);
    assert!(versions[0]["modified_at"].as_str().unwrap().ends_with('Z'));
    let (_, out, _) = run(&mut with_file(&ws, &store, &["history", "models.default_basic"]));
    assert!(out.starts_with("VERSION  MODIFIED"), "{out}");
    assert!(out.lines().nth(1).unwrap().starts_with("2        20"), "{out}");

    // Typed: an int entry takes the text SSM stores, and refuses the rest.
    let (code, _, _) = run(&mut with_file(&ws, &store, &["put", "training.batch_size", "32"]));
    assert_eq!(code, 0);
    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "get", "training.batch_size"]));
    assert_eq!(json(&out)["value"], 32);
}

#[test]
fn bad_input_exits_2_with_where_and_what() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, out, err) = run(&mut with_file(&ws, &store, &["get", "models.defualt_basic"]));
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert_eq!(err, "error: unknown key `models.defualt_basic`; did you mean `models.default_basic`?\n");

    let (code, _, err) = run(&mut with_file(&ws, &store, &["put", "models.default_basic", "GPT_2"]));
    assert_eq!(code, 2);
    assert!(err.contains("`models.default_basic`") && err.contains("GPT_2") && err.contains("allowed"), "{err}");
    let (code, _, err) = run(&mut with_file(&ws, &store, &["put", "training.batch_size", "many"]));
    assert_eq!(code, 2);
    assert!(err.contains("training.batch_size"), "{err}");
    assert!(!store.exists(), "a refused put wrote the store");

    let bad = ws.path("bad.yml");
    std::fs::write(&bad, "models:\n  basic:\n    ssm_parm: /a/b\n").unwrap();
    let (code, _, err) = run(ssmconf().arg("--schema").arg(&bad).args(["--store", "memory", "check"]));
    assert_eq!(code, 2);
    let want = format!("{}:3:5: `models.basic`: unknown field `ssm_parm`", bad.display());
    assert!(err.starts_with(&format!("error: {want}")), "{err}");
    assert!(err.contains("did you mean `ssm_param`?"), "{err}");
    assert!(!err.contains("Schema {"), "a debug dump: {err}");

    let (code, _, err) =
        run(ssmconf().arg("--schema").arg(ws.schema()).args(["--store", "memory", "get", "models.default_basic"]));
    assert_eq!(code, 2, "a missing {{stage}} is a schema error");
    assert!(err.contains("--var stage=dev"), "{err}");

    let (code, _, err) = run(ssmconf().args(["--store", "s3", "check"]));
    assert_eq!(code, 2);
    assert!(err.contains("file:PATH"), "{err}");

    let (code, _, err) = run(ssmconf().current_dir(ws.dir.path()).args(["--store", "memory", "check"]));
    assert_eq!(code, 2);
    assert!(err.contains("./config does not exist") && err.contains("SSMCONF_SCHEMA"), "{err}");
}

#[test]
fn schema_comes_from_the_environment_then_config_dir() {
    let ws = Workspace::create();
    let (code, out, err) = run(ssmconf().env("SSMCONF_SCHEMA", ws.schema()).args([
        "--stage",
        "dev",
        "--store",
        "memory",
        "get",
        "training.epochs",
    ]));
    assert_eq!((code, out.as_str()), (0, "3\n"), "{err}");
    std::fs::create_dir(ws.path("config")).unwrap();
    std::fs::copy(ws.schema(), ws.path("config/app.yml")).unwrap();
    let (code, out, _) = run(ssmconf().current_dir(ws.dir.path()).args([
        "--var",
        "stage=dev",
        "--store",
        "memory",
        "get",
        "app.training.epochs",
    ]));
    assert_eq!((code, out.as_str()), (0, "3\n"));
}

#[test]
fn check_lists_problems_and_exits_1_until_fixed() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, out, _) = run(&mut with_file(&ws, &store, &["check"]));
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("PROBLEM  KEY"), "{out}");
    assert!(out.contains("missing  ec2.instance_id  /it/dev/ec2/instance-id  required, but not in SSM"), "{out}");
    assert!(out.ends_with("1 problem(s) in 4 entries checked.\n"), "{out}");

    // A value in the store that does not decode is a problem too.
    run(&mut with_file(&ws, &store, &["put", "ec2.instance_id", "i-0abc"]));
    let file_store = ssmconf::FileStore::new(&store);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use ssmconf::{ParamType, ParameterStore, PutRequest};
        let request = PutRequest {
            name: "/it/dev/training/batch-size".into(),
            value: "lots".into(),
            param_type: ParamType::String,
            description: None,
            tags: Vec::new(),
            overwrite: true,
        };
        file_store.put_parameter(&request).await.unwrap();
    });
    let (code, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "check"]));
    assert_eq!(code, 1);
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(report["checked"], 4);
    assert_eq!(report["problems"][0]["key"], "training.batch_size");
    assert_eq!(report["problems"][0]["kind"], "invalid");

    run(&mut with_file(&ws, &store, &["put", "training.batch_size", "16"]));
    let (code, out, _) = run(&mut with_file(&ws, &store, &["check"]));
    assert_eq!((code, out.as_str()), (0, "ok: 4 entries checked, no problems.\n"));
}

#[test]
fn explain_shows_each_step_and_the_one_that_answered() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, out, _) = run(&mut with_file(&ws, &store, &["explain", "models.default_basic"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("models.default_basic = CLAUDE_3_5_SONNET_V2  (from default)\n"), "{out}");
    assert!(out.contains("  ssm name     /it/dev/models/default_basic\n"), "{out}");
    assert!(out.contains(&format!("  schema       {}:2\n", ws.schema().display())), "{out}");
    assert!(out.contains("\n    ssm      the parameter does not exist"), "{out}");
    assert!(out.contains("  → default  the schema's default\n"), "{out}");

    run(&mut with_file(&ws, &store, &["put", "models.default_basic", "CLAUDE_OPUS_4_5"]));
    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "explain", "models.default_basic"]));
    let why = json(&out);
    assert_eq!(why["source"], "ssm");
    assert_eq!(why["version"], 1);
    assert_eq!(why["value"], "CLAUDE_OPUS_4_5");
    assert!(why["fetched_at"].as_str().unwrap().ends_with('Z'));
    let steps = why["steps"].as_array().unwrap();
    let answered: Vec<_> =
        steps.iter().filter(|s| s["answered"] == true).map(|s| s["source"].as_str().unwrap()).collect();
    assert_eq!(answered, ["ssm"]);

    // The env step wins over everything.
    let env_ws = Workspace::create();
    std::fs::write(env_ws.schema(), "m:\n  ssm_param: /it/{stage}/m\n  env: SSMCONF_TEST_M\n").unwrap();
    let (_, out, _) = run(ssmconf()
        .arg("--schema")
        .arg(env_ws.schema())
        .args(["--stage", "dev", "--store", "memory", "explain", "m"])
        .env("SSMCONF_TEST_M", "from-env"));
    assert!(
        out.starts_with("m = from-env  (from env)\n") && out.contains("  → env      SSMCONF_TEST_M is set"),
        "{out}"
    );
}

#[test]
fn missing_values_exit_1_and_a_failed_store_exits_3() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    let (code, out, err) = run(&mut with_file(&ws, &store, &["get", "ec2.instance_id"]));
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(err.starts_with("error: no value for `ec2.instance_id` (SSM name /it/dev/ec2/instance-id): "), "{err}");

    std::fs::write(&store, "{ not json").unwrap();
    let (code, _, err) = run(&mut with_file(&ws, &store, &["check"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains(&store.display().to_string()), "the error names the file: {err}");
    let (code, _, err) = run(&mut with_file(&ws, &store, &["get", "ec2.instance_id"]));
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("the store failed"), "{err}");
    // A default still answers while the store is broken, with a warning.
    let (code, out, err) = run(&mut with_file(&ws, &store, &["get", "models.default_basic"]));
    assert_eq!((code, out.as_str()), (0, "CLAUDE_3_5_SONNET_V2\n"));
    assert!(err.contains("Using fallback value for models.default_basic (default)"), "{err}");
    assert_eq!(std::fs::read_to_string(&store).unwrap(), "{ not json", "the corrupt file was changed");
}

#[test]
fn export_formats_mask_secrets_unless_revealed() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    put_secret(&ws, &store);
    let (code, out, _) = run(&mut with_file(&ws, &store, &["export"]));
    assert_eq!(code, 0);
    let tree = json(&out);
    assert_eq!(tree["secrets"]["hf_token"], "***");
    assert_eq!(tree["models"]["default_basic"], "CLAUDE_3_5_SONNET_V2");
    assert_eq!(tree["training"]["batch_size"], 8);
    assert_eq!(tree["training"]["epochs"], 3);
    assert!(tree["ec2"].get("instance_id").is_none(), "a key with no value is left out");

    let (_, out, _) = run(&mut with_file(&ws, &store, &["export", "--format", "env"]));
    assert_eq!(
        out,
        "MODELS_DEFAULT_BASIC='CLAUDE_3_5_SONNET_V2'\nSECRETS_HF_TOKEN='***'\nTRAINING_BATCH_SIZE='8'\nTRAINING_EPOCHS='3'\n"
    );
    let (_, out, _) = run(&mut with_file(&ws, &store, &["export", "--format", "yaml"]));
    assert!(out.contains("secrets:\n  hf_token: \"***\"\n"), "{out}");
    assert!(out.contains("training:\n  batch_size: 8\n  epochs: 3\n"), "{out}");

    let (_, out, _) = run(&mut with_file(&ws, &store, &["export", "--format", "env", "--reveal"]));
    assert!(out.contains(&format!("SECRETS_HF_TOKEN='{SECRET}'")), "{out}");
    let (_, out, _) = run(&mut with_file(&ws, &store, &["get", "secrets.hf_token", "--reveal"]));
    assert_eq!(out, format!("{SECRET}\n"));
}

/// Writes the secret through `put -`, from stdin.
fn put_secret(ws: &Workspace, store: &std::path::Path) {
    let mut child = with_file(ws, store, &["put", "secrets.hf_token", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(format!("{SECRET}\n").as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn secure_values_never_reach_stdout_or_stderr_unless_revealed() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    put_secret(&ws, &store);
    let commands: &[&[&str]] = &[
        &["get", "secrets.hf_token"],
        &["--output", "json", "get", "secrets.hf_token"],
        &["explain", "secrets.hf_token"],
        &["--output", "json", "explain", "secrets.hf_token"],
        &["export"],
        &["export", "--format", "yaml"],
        &["history", "secrets.hf_token"],
        &["--output", "json", "history", "secrets.hf_token"],
        &["diff"],
        &["--output", "json", "diff"],
        &["check"],
        &["init", "--dry-run", "--overwrite"],
        &["-vv", "put", "secrets.hf_token", "another-s3cr3t-value"],
    ];
    for args in commands {
        let (_, out, err) = run(&mut with_file(&ws, &store, args));
        for (stream, text) in [("stdout", &out), ("stderr", &err)] {
            assert!(!text.contains(SECRET), "`{}` printed the secret on {stream}:\n{text}", args.join(" "));
            assert!(!text.contains("another-s3cr3t"), "`{}` printed the secret on {stream}:\n{text}", args.join(" "));
        }
    }
    let (_, out, err) = run(&mut with_file(&ws, &store, &["get", "secrets.hf_token"]));
    assert_eq!(out, "***\n");
    assert!(err.contains("--reveal"), "{err}");
}

#[test]
fn diff_compares_defaults_and_lists_unnamed_parameters() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    run(&mut with_file(&ws, &store, &["init"]));
    run(&mut with_file(&ws, &store, &["put", "models.default_basic", "GPT_4O"]));
    let stray = Workspace::create();
    std::fs::write(stray.schema(), "old:\n  ssm_param: /it/{stage}/models/retired\n").unwrap();
    let (code, _, err) = run(ssmconf().arg("--schema").arg(stray.schema()).args([
        "--stage",
        "dev",
        &format!("--store=file:{}", store.display()),
        "put",
        "old",
        "x",
    ]));
    assert_eq!(code, 0, "{err}");

    let (code, out, _) = run(&mut with_file(&ws, &store, &["diff"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("STATUS   KEY"), "{out}");
    assert!(
        out.contains("changed  models.default_basic  /it/dev/models/default_basic  CLAUDE_3_5_SONNET_V2  GPT_4O (v2)"),
        "{out}"
    );
    assert!(out.contains("same     training.batch_size"), "{out}");
    assert!(out.contains("missing  ec2.instance_id"), "{out}");
    assert!(out.contains("1 same, 1 changed, 2 missing, 0 invalid, 0 type mismatch."), "{out}");
    assert!(out.contains("Not named by any entry (under /it/dev/):\nSSM NAME                TYPE    VERSION\n/it/dev/models/retired  String  1\n"), "{out}");

    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "diff"]));
    let diff = json(&out);
    assert_eq!(diff["prefixes"], serde_json::json!(["/it/dev/"]));
    assert_eq!(diff["unnamed"][0]["ssm_param"], "/it/dev/models/retired");
    assert_eq!(diff["entries"][0]["status"], "changed");
    assert_eq!(diff["entries"][0]["default"], "CLAUDE_3_5_SONNET_V2");
}

#[test]
fn output_has_no_colour_off_a_terminal() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    for args in [&["init", "--dry-run"][..], &["check"], &["explain", "models.default_basic"], &["diff"]] {
        let (_, out, err) = run(&mut with_file(&ws, &store, args));
        assert!(!out.contains('\x1b') && !err.contains('\x1b'), "escape codes in `{}`:\n{out}{err}", args.join(" "));
    }
    // Forced on, the styles are there (so the test above can fail).
    let (_, out, _) = run(with_file(&ws, &store, &["check"]).env("CLICOLOR_FORCE", "1"));
    assert!(out.contains('\x1b'), "{out}");
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (code, out, _) = run(ssmconf().arg("--help"));
    assert_eq!(code, 0);
    assert!(out.contains("init --dry-run") && out.contains("Exit codes: 0 done; 1 a problem found"), "{out}");
    let (code, _, err) = run(ssmconf().arg("frobnicate"));
    assert_eq!(code, 2, "{err}");
}

#[test]
fn concurrent_processes_lose_no_put() {
    let ws = Workspace::create();
    let store = ws.path("params.json");
    const WRITERS: usize = 8;
    let children: Vec<_> = (0..WRITERS)
        .map(|i| {
            with_file(&ws, &store, &["put", "ec2.instance_id", &format!("i-{i:04}")])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (_, out, _) = run(&mut with_file(&ws, &store, &["--output", "json", "history", "ec2.instance_id"]));
    let versions = json(&out);
    let mut numbers: Vec<i64> = versions.as_array().unwrap().iter().map(|v| v["version"].as_i64().unwrap()).collect();
    numbers.reverse();
    assert_eq!(numbers, (1..=WRITERS as i64).collect::<Vec<_>>(), "versions are consecutive");
    let mut values: Vec<String> =
        versions.as_array().unwrap().iter().map(|v| v["value"].as_str().unwrap().to_string()).collect();
    values.sort();
    assert_eq!(values, (0..WRITERS).map(|i| format!("i-{i:04}")).collect::<Vec<_>>(), "every write is there");
}
