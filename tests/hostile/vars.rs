//! Resolver vars that try to change the shape of a name: `/`, `..`, and
//! characters SSM refuses. Each is refused by `build`, naming the var and
//! what a var may hold, before any call. `names.rs`
//! `var_values_cannot_escape_their_level` tests the rule itself on `/`,
//! `..`, `.`, empty and 129 characters.

use ssmconf::{Error, MemoryStore, Resolver, Schema};

use crate::schema_error;

const SCHEMA: &str = "
models:
  basic:
    ssm_param: /app/{stage}/models/basic
";

const RULE: &str = "a var value is 1 to 128 letters, digits, `_`, `.` or `-` (it fills part of one level of a name)";

fn build_with(var: &str, value: &str) -> ssmconf::Result<Resolver> {
    let schema = Schema::from_yaml_str(SCHEMA, "vars.yml").unwrap();
    let store = MemoryStore::from_values([("/app/prod/models/basic", "secret-of-prod")]);
    Resolver::builder(schema).var(var, value).store(store).build()
}

#[test]
fn values_that_would_walk_the_hierarchy() {
    let cases = [
        ("dev/../prod", "contains `/`"),
        ("../prod", "contains `/`"),
        ("/prod", "contains `/`"),
        ("dev/", "contains `/`"),
        ("dev\\prod", "contains `\\\\`"),
        ("%2Fprod", "contains `%`"),
        ("..", "is `.` or holds `..`, which could walk up a name hierarchy; give a plain value"),
        (".", "is `.` or holds `..`, which could walk up a name hierarchy; give a plain value"),
        ("dev..prod", "is `.` or holds `..`, which could walk up a name hierarchy; give a plain value"),
        ("...", "is `.` or holds `..`, which could walk up a name hierarchy; give a plain value"),
    ];
    for (value, why) in cases {
        match build_with("stage", value) {
            Err(Error::Validation { key, reason }) => {
                assert_eq!(key, "{stage}", "{value}");
                assert!(reason.starts_with("var `stage` "), "{value}: {reason}");
                assert!(reason.contains(why), "{value}: {reason}");
            }
            other => panic!("{value}: expected a validation error, got {other:?}"),
        }
    }
}

/// Characters no SSM name holds, and invisible ones: refused by the same
/// rule, which says what a var may hold.
#[test]
fn values_with_foreign_characters() {
    for value in ["dev prod", "dev\nprod", "dev\0", "dév", "dev:1", "dev{x}", "dev*", "\u{200b}dev", "dev\u{202e}"] {
        match build_with("stage", value) {
            Err(Error::Validation { key, reason }) => {
                assert_eq!(key, "{stage}");
                assert!(reason.starts_with("var `stage` contains `") && reason.ends_with(RULE), "{value:?}: {reason}");
            }
            other => panic!("{value:?}: expected a validation error, got {other:?}"),
        }
    }
}

/// An unused var is checked too: a bad value is a mistake wherever it goes.
#[test]
fn unused_vars_are_checked() {
    assert!(matches!(build_with("region", "us-east-1/x"), Err(Error::Validation { key, .. }) if key == "{region}"));
}

/// A var that makes the first level a reserved prefix is refused at the
/// entry's `ssm_param`, with the filled name.
#[test]
fn values_that_make_a_reserved_name() {
    let schema = Schema::from_yaml_str("k:\n  ssm_param: /{app}/k\n", "vars.yml").unwrap();
    for value in ["aws", "AWS-x", "ssm", "SsmThing"] {
        let built = Resolver::builder(schema.clone()).var("app", value).store(MemoryStore::new()).build();
        let (location, key, message, text) = schema_error(built);
        assert_eq!((location.line, location.column, key.as_str()), (2, 14, "k"), "{text}");
        assert!(message.starts_with(&format!("SSM name `/{value}/k` is invalid: ")), "{text}");
        assert!(message.contains("which SSM reserves"), "{text}");
    }
}

/// Values that are legal stay inside their level: dots, dashes and
/// underscores, and the longest value allowed.
#[test]
fn legal_values_stay_in_their_level() {
    for value in ["v1.2-rc_3", ".hidden", "trailing.", "-", "_", &"x".repeat(128)] {
        let resolver = build_with("stage", value).unwrap_or_else(|e| panic!("{value}: {e}"));
        let name = resolver.ssm_name("models.basic").unwrap().to_string();
        assert_eq!(name, format!("/app/{value}/models/basic"));
        assert_eq!(name.split('/').count(), 5, "{name}");
    }
}

/// A placeholder with no var at all: refused at its `ssm_param`, saying how
/// to pass one.
#[test]
fn a_missing_var_says_how_to_pass_it() {
    let schema = Schema::from_yaml_str(SCHEMA, "vars.yml").unwrap();
    let built = Resolver::builder(schema).var("stag", "dev").store(MemoryStore::new()).build();
    let (location, key, message, _) = schema_error(built);
    assert_eq!((location.line, location.column, key.as_str()), (4, 16, "models.basic"));
    assert!(message.starts_with("placeholder `{stage}` has no value (vars given: `stag`); pass one with"), "{message}");
}
