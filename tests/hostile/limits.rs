//! SSM's limits, end to end: names of 1011 characters and 15 levels, values
//! of 4 KB and 8 KB. `names.rs` `name_length_limit` and `level_limit` test
//! the rule on a plain name, `value.rs` `encode_refusals` the 8193-byte
//! refusal of `encode`; here the limits go through a schema file,
//! `Resolver::build`, `put`, `put_raw` and a store.

use ssmconf::{Error, InitOptions, MemoryStore, Resolver, Schema, Source};

use crate::{block_on, resolver, schema_error, yaml_error};

/// `/` and `len - 1` characters.
fn name_of(len: usize) -> String {
    format!("/{}", "a".repeat(len - 1))
}

#[test]
fn a_name_of_1011_characters_works() {
    let name = name_of(1011);
    let store = MemoryStore::from_values([(name.as_str(), "v1")]);
    let resolver = resolver(&format!("long:\n  ssm_param: {name}\n"), &store);
    assert_eq!(resolver.ssm_name("long").unwrap(), name);
    block_on(async {
        assert_eq!(resolver.get::<String>("long").await.unwrap().as_deref(), Some("v1"));
        resolver.put("long", "v2").await.unwrap();
        assert_eq!(resolver.get::<String>("long").await.unwrap().as_deref(), Some("v2"));
    });
    // A selector is not part of the name's length.
    let schema = Schema::from_yaml_str(&format!("long:\n  ssm_param: {name}:2\n"), "s.yml").unwrap();
    let resolver = Resolver::builder(schema).store(MemoryStore::new()).build().unwrap();
    assert_eq!(resolver.ssm_name("long").unwrap(), format!("{name}:2"));
}

#[test]
fn a_name_of_1012_characters_is_refused_at_its_position() {
    let name = name_of(1012);
    let (location, key, message, _) = yaml_error(&format!("group:\n  long:\n    ssm_param: {name}\n"));
    assert_eq!((location.line, location.column, key.as_str()), (3, 16, "group.long"));
    assert_eq!(
        message,
        format!("invalid `ssm_param` `{name}`: the name is 1012 characters long; SSM allows at most 1011")
    );
}

/// A var can push a name past the limit: refused at build, at the
/// `ssm_param`, with the filled name; the same template with a shorter
/// value fits exactly.
#[test]
fn a_var_pushes_a_name_past_1011() {
    // `/` + 1004 + `/` + the var: 1006 + len(var).
    let yaml = format!("long:\n  ssm_param: /{}/{{stage}}\n", "a".repeat(1004));
    let schema = Schema::from_yaml_str(&yaml, "v.yml").unwrap();
    let ok = Resolver::builder(schema.clone()).var("stage", "prod5").store(MemoryStore::new()).build().unwrap();
    assert_eq!(ok.ssm_name("long").unwrap().len(), 1011);

    let built = Resolver::builder(schema).var("stage", "prod56").store(MemoryStore::new()).build();
    let (location, key, message, text) = schema_error(built);
    assert_eq!((location.file.to_str(), location.line, location.column, key.as_str()), (Some("v.yml"), 2, 14, "long"));
    assert!(message.starts_with("SSM name `/aaa"), "{text}");
    assert!(
        message.ends_with("/prod56` is invalid: the name is 1012 characters long; SSM allows at most 1011"),
        "{text}"
    );
}

/// A template whose fixed text alone is too long is refused at load, before
/// any var is known ("at least").
#[test]
fn a_template_too_long_whatever_the_vars() {
    let yaml = format!("long:\n  ssm_param: /{}/{{stage}}\n", "a".repeat(1010));
    let (_, _, message, _) = yaml_error(&yaml);
    assert!(message.ends_with("the name is at least 1013 characters long; SSM allows at most 1011"), "{message}");
}

#[test]
fn fifteen_levels_work_and_sixteen_do_not() {
    let fifteen = "/l".repeat(15);
    let store = MemoryStore::from_values([(fifteen.as_str(), "deep")]);
    let resolver = resolver(&format!("deep:\n  ssm_param: {fifteen}\n"), &store);
    assert_eq!(block_on(resolver.get::<String>("deep")).unwrap().as_deref(), Some("deep"));

    let (location, key, message, _) = yaml_error(&format!("deep:\n  ssm_param: {}\n", "/l".repeat(16)));
    assert_eq!((location.line, location.column, key.as_str()), (2, 14, "deep"));
    assert!(message.ends_with("the name has 16 `/`-separated parts; SSM allows at most 15"), "{message}");
    // 15 levels filled from 15 vars: a var fills part of one level, never more.
    let template: String = (0..15).map(|i| format!("/{{v{i}}}")).collect();
    let schema = Schema::from_yaml_str(&format!("deep:\n  ssm_param: {template}\n"), "v.yml").unwrap();
    let vars: Vec<(String, String)> = (0..15).map(|i| (format!("v{i}"), format!("x{i}"))).collect();
    let resolver = Resolver::builder(schema).vars(vars).store(MemoryStore::new()).build().unwrap();
    assert_eq!(resolver.ssm_name("deep").unwrap().split('/').count(), 16);
}

/// Both limits at once: 15 levels in exactly 1011 characters.
#[test]
fn fifteen_levels_in_1011_characters() {
    let mut name = "/l".repeat(14);
    name.push('/');
    name.push_str(&"z".repeat(1011 - name.len()));
    assert_eq!(name.len(), 1011);
    let store = MemoryStore::new();
    let resolver = resolver(&format!("k:\n  ssm_param: {name}\n"), &store);
    block_on(resolver.put_raw("k", "v")).unwrap();
    assert_eq!(store.value(&name).as_deref(), Some("v"));
}

const SCHEMA: &str = "
text:
  ssm_param: /app/{stage}/text
items:
  ssm_param: /app/{stage}/items
  type: list
doc:
  ssm_param: /app/{stage}/doc
  type: json
secret:
  ssm_param: /app/{stage}/secret
  secure: true
";

fn too_big(result: ssmconf::Result<i64>, key: &str, bytes: usize) {
    match result {
        Err(Error::Validation { key: k, reason }) => {
            assert_eq!(k, key);
            assert_eq!(
                reason,
                format!(
                    "the value is {bytes} bytes; SSM stores at most 8192 (advanced tier; the standard tier holds 4096)"
                )
            );
        }
        other => panic!("expected a validation error, got {other:?}"),
    }
}

/// 4 KB (the standard tier's most) and 8 KB (the advanced tier's) are
/// written by `put` and `put_raw`; one byte more is refused before any
/// call. The core checks only the 8 KB limit; which tier a value needs is
/// the store's business (`SsmStore` asks for Advanced above 4096 bytes).
#[test]
fn values_of_4_and_8_kilobytes() {
    let store = MemoryStore::new();
    let resolver = resolver(SCHEMA, &store);
    block_on(async {
        for len in [4096, 4097, 8192] {
            let value = "v".repeat(len);
            resolver.put("text", value.as_str()).await.unwrap();
            assert_eq!(store.value("/app/dev/text").map(|v| v.len()), Some(len));
            resolver.put_raw("secret", &value).await.unwrap();
            assert_eq!(resolver.get::<String>("text").await.unwrap().map(|v| v.len()), Some(len));
        }
        let calls = store.calls();
        too_big(resolver.put("text", "v".repeat(8193)).await, "text", 8193);
        too_big(resolver.put_raw("text", &"v".repeat(8193)).await, "text", 8193);
        too_big(resolver.put_raw("secret", &"s".repeat(8193)).await, "secret", 8193);
        assert_eq!(store.calls(), calls, "a refused value reached the store");
    });
}

/// The limit is in bytes, as SSM counts it: 4096 two-byte characters fit,
/// 4097 do not.
#[test]
fn the_limit_counts_bytes() {
    let store = MemoryStore::new();
    let resolver = resolver(SCHEMA, &store);
    block_on(async {
        resolver.put("text", "é".repeat(4096)).await.unwrap();
        too_big(resolver.put("text", "é".repeat(4097)).await, "text", 8194);
    });
}

/// The limit applies to the text SSM would store: a list joined with `,`,
/// a JSON document serialized.
#[test]
fn the_limit_applies_to_the_encoded_text() {
    let store = MemoryStore::new();
    let resolver = resolver(SCHEMA, &store);
    block_on(async {
        // 2048 items of 3 characters and 2047 commas: 8191 bytes.
        let items = vec!["abc"; 2048];
        resolver.put("items", &items).await.unwrap();
        let mut more = items.clone();
        more.push("x");
        too_big(resolver.put("items", &more).await, "items", 8193);
        // A JSON string of 8190 characters is 8192 bytes with its quotes.
        resolver.put("doc", "d".repeat(8190)).await.unwrap();
        too_big(resolver.put("doc", "d".repeat(8191)).await, "doc", 8193);
    });
}

/// Empty values: SSM stores none.
#[test]
fn empty_values() {
    let resolver = resolver(SCHEMA, &MemoryStore::new());
    block_on(async {
        for result in [resolver.put("text", "").await, resolver.put_raw("text", "").await] {
            assert!(
                matches!(&result, Err(Error::Validation { reason, .. }) if reason == "SSM cannot store an empty value"),
                "{result:?}"
            );
        }
    });
}

/// A value larger than SSM could hold, already in the store: read as it
/// is (the read path has no limit of its own; the store is the judge).
#[test]
fn a_large_value_read_from_the_store() {
    let store = MemoryStore::from_values([("/app/dev/text", "x".repeat(100_000))]);
    let resolver = resolver(SCHEMA, &store);
    let why = block_on(resolver.explain("text")).unwrap();
    assert_eq!((why.source, why.value.and_then(|v| v.as_str().map(str::len))), (Source::Ssm, Some(100_000)));
}

/// A schema `default` larger than SSM can hold loads (it is a local
/// fallback too) and is served; `init`, which would write it, lists it as
/// failed, naming the key and the reason, and still writes the others.
#[test]
fn a_default_too_large_to_write() {
    let big = "d".repeat(8193);
    let store = MemoryStore::new();
    let yaml = format!(
        "text:\n  ssm_param: /app/{{stage}}/text\n  default: {big}\nsmall:\n  ssm_param: /app/{{stage}}/small\n  default: s\n"
    );
    let resolver = resolver(&yaml, &store);
    assert_eq!(block_on(resolver.get::<String>("text")).unwrap().map(|v| v.len()), Some(8193));
    let plan = block_on(resolver.init(InitOptions { dry_run: false, overwrite: false })).unwrap();
    assert_eq!(plan.failed.len(), 1);
    assert_eq!(plan.failed[0].key, "text");
    let reason = plan.failed[0].reason.as_deref().unwrap();
    assert!(reason.starts_with("the default cannot be written: the value is 8193 bytes"), "{reason}");
    assert_eq!(plan.created.iter().map(|i| i.key.as_str()).collect::<Vec<_>>(), ["small"]);
    assert_eq!(store.value("/app/dev/small").as_deref(), Some("s"));
    assert_eq!(store.value("/app/dev/text"), None);
}
