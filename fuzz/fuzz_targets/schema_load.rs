//! The schema loader on arbitrary bytes: `Schema::from_yaml_str` for UTF-8
//! input, and `Schema::load` on the same bytes written to a file. Neither
//! may panic; every error is `Error::Schema` with a position in the file it
//! names; both paths agree; a schema that loads has only valid keys, and
//! binds and resolves without a panic.
#![no_main]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssmconf::{Error, MemoryStore, Resolver, Schema};

fn scratch() -> &'static Path {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| std::env::temp_dir().join(format!("ssmconf-fuzz-{}.yml", std::process::id())))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

/// The parts of an error that do not depend on the file's name.
fn checked(result: &Result<Schema, Error>, file: &Path) -> Result<Vec<String>, (usize, usize, String, String)> {
    match result {
        Ok(schema) => {
            let keys: Vec<String> = schema.keys().map(str::to_string).collect();
            for key in &keys {
                assert!(
                    key.split('.').all(|part| !part.is_empty()
                        && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')),
                    "a key outside [A-Za-z0-9_-]: {key:?}"
                );
            }
            Ok(keys)
        }
        Err(Error::Schema { location, key, message }) => {
            assert_eq!(location.file, file, "the error names another file");
            assert!(location.line >= 1 && location.column >= 1, "no position: {location}");
            assert!(!message.is_empty(), "an empty message");
            Err((location.line, location.column, key.clone(), message.clone()))
        }
        Err(other) => panic!("not a schema error: {other:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    let path = scratch();
    std::fs::write(path, data).expect("write the scratch file");
    let from_file = Schema::load(path);
    let file_outcome = checked(&from_file, path);
    let Ok(text) = std::str::from_utf8(data) else {
        let (_, _, _, message) = file_outcome.expect_err("bytes that are not UTF-8 loaded");
        assert!(message.contains("not valid UTF-8"), "{message}");
        return;
    };
    let origin = Path::new("fuzz.yml");
    let from_str = Schema::from_yaml_str(text, origin);
    let str_outcome = checked(&from_str, origin);
    assert_eq!(str_outcome, file_outcome, "a string and a file with the same text disagree");

    if let Ok(schema) = from_str {
        let Ok(resolver) = Resolver::builder(schema).var("stage", "dev").store(MemoryStore::new()).build() else {
            return;
        };
        runtime().block_on(async {
            let keys: Vec<String> = resolver.schema().keys().map(str::to_string).collect();
            for key in &keys {
                let _ = resolver.get::<ssmconf::Value>(key).await;
                let _ = resolver.explain(key).await;
            }
            let _ = resolver.extract_value().await;
        });
    }
});
