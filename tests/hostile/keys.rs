//! Duplicate keys, and keys with characters outside `[A-Za-z0-9_-]`.
//! `yaml.rs` `duplicate_keys` and `load.rs` `keys_and_shapes` try the plain
//! cases (a nested duplicate, a quoted twin, `.`, a space, an empty key).

use std::fs;

use ssmconf::Schema;

use crate::{schema_error, yaml_error};

/// A field given twice in one entry: the second is refused, naming the
/// first's line, whichever value would have won.
#[test]
fn duplicate_entry_field() {
    let (location, key, message, text) =
        yaml_error("models:\n  basic:\n    ssm_param: /app/{stage}/a\n    default: x\n    ssm_param: /evil\n");
    assert_eq!((location.line, location.column), (5, 5), "{text}");
    assert_eq!(key, "models.basic.ssm_param", "{text}");
    assert_eq!(message, "duplicate key `ssm_param` (first at line 3); remove one of them");
}

/// Duplicates inside values: a `tags` mapping and a `json` default.
#[test]
fn duplicates_inside_values() {
    let (location, key, message, _) = yaml_error("a:\n  ssm_param: /x\n  tags: {team: ml, team: ops}\n");
    assert_eq!((location.line, location.column, key.as_str()), (3, 20, "a.tags.team"));
    assert!(message.starts_with("duplicate key `team` (first at line 3)"), "{message}");
    let (location, key, _, _) = yaml_error("a:\n  ssm_param: /x\n  type: json\n  default:\n    k: 1\n    k: 2\n");
    assert_eq!((location.line, key.as_str()), (6, "a.default.k"));
}

/// A key written through an alias is still a duplicate.
#[test]
fn duplicate_through_an_alias_key() {
    let (location, key, message, _) = yaml_error("&k name: 1\nother: 2\n*k : 3\n");
    assert_eq!((location.line, location.column, key.as_str()), (3, 1, "name"));
    assert!(message.starts_with("duplicate key `name` (first at line 1)"), "{message}");
}

/// Far down a long file, the line of both copies is right.
#[test]
fn duplicate_far_down() {
    let mut yaml: String = (0..5_000).map(|i| format!("k{i}: {i}\n")).collect();
    yaml.push_str("k1234: again\n");
    let (location, key, message, _) = yaml_error(&yaml);
    assert_eq!((location.line, key.as_str()), (5_001, "k1234"));
    assert_eq!(message, "duplicate key `k1234` (first at line 1235); remove one of them");
}

/// Merge keys are not duplicates: keys of the mapping win over merged
/// ones (YAML's merge rule), and several `<<` may appear.
#[test]
fn merge_keys_are_not_duplicates() {
    let schema =
        Schema::from_yaml_str("b: &b {x: 1, y: 2}\nc: &c {y: 3, z: 4}\nm:\n  <<: *b\n  <<: *c\n  x: 9\n", "m.yml")
            .unwrap();
    assert_eq!(schema.keys().collect::<Vec<_>>(), ["b.x", "b.y", "c.y", "c.z", "m.y", "m.z", "m.x"]);
}

/// Keys that differ only in case are different keys (SSM names are case
/// sensitive too).
#[test]
fn case_differs() {
    let schema = Schema::from_yaml_str("Key: 1\nkey: 2\nKEY: 3\n", "c.yml").unwrap();
    assert_eq!(schema.len(), 3);
}

/// Every key outside `[A-Za-z0-9_-]+` is refused at its line and column,
/// naming the character; invisible and control characters are written as
/// escapes, so the message shows what to remove.
#[test]
fn characters_outside_the_key_alphabet() {
    let cases = [
        ("\"ключ\"", "к"),
        ("naïve", "ï"),
        ("\"a\\u00a0b\"", "\\u{a0}"),
        ("\"a\\u200bb\"", "\\u{200b}"),
        ("\"a\\tb\"", "\\t"),
        ("\"a\\0b\"", "\\0"),
        ("\"a\\eb\"", "\\u{1b}"),
        ("\"a\\nb\"", "\\n"),
        ("\"a\\u202eb\"", "\\u{202e}"),
        ("a/b", "/"),
        ("\"a:b\"", ":"),
        ("\"{stage}\"", "{"),
        ("$HOME", "$"),
        ("\"a🔑\"", "🔑"),
        ("１２", "１"),
        ("'a''b'", "'"),
        ("\"a\\\\b\"", "\\\\"),
    ];
    for (written, shown) in cases {
        let yaml = format!("group:\n  ok: 1\n  {written}: 2\n");
        let (location, key, message, text) = yaml_error(&yaml);
        assert_eq!((location.line, location.column), (3, 3), "{text}");
        assert!(key.starts_with("group."), "{text}");
        assert!(
            message.contains(&format!(" contains `{shown}`; keys hold only letters, digits, `_` and `-`")),
            "{written}: {text}"
        );
        assert!(!text.chars().any(|c| c.is_control()), "a control character in {text:?}");
    }
}

/// Keys that look like other YAML types are names: `1`, `true`, `null`
/// are fine as written; a key that is an empty string is not.
#[test]
fn keys_that_look_like_values() {
    let schema = Schema::from_yaml_str("1: a\ntrue: b\nnull: c\n0x1F: d\n-5: e\n", "v.yml").unwrap();
    assert_eq!(schema.keys().collect::<Vec<_>>(), ["1", "true", "null", "0x1F", "-5"]);
    let (location, _, message, _) = yaml_error("a: 1\n\"\": 2\n");
    assert_eq!(location.line, 2);
    assert!(message.contains("the key is empty"), "{message}");
}

/// File names in a directory become mounts: one outside the alphabet is
/// refused, naming the file and saying to rename it.
#[test]
fn file_names_that_are_not_keys() {
    for name in ["módels.yml", "a b.yml", "x$.yaml"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        fs::write(&path, "x: 1\n").unwrap();
        let (location, _, message, text) = schema_error(Schema::load(dir.path()));
        assert_eq!(location.file, path, "{text}");
        assert!(message.contains("which is not a valid key") && message.ends_with("; rename the file"), "{text}");
    }
}
