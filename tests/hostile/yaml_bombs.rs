//! Alias bombs and deep nesting: refused at a line and column, before the
//! tree grows. Sizes are chosen so that a limit that stopped working is
//! caught by the error assertion (the load would succeed, or grow to a few
//! hundred MB at most), not by a hang or an OOM kill.

use std::fmt::Write as _;

use ssmconf::Schema;

use crate::{schema_error, yaml_error};

const BOMB: &str = "(an alias bomb?); use fewer aliases";

/// "Billion laughs" with mappings: ten levels of ten aliases each, 10^10
/// nodes if expanded. `yaml.rs` tries the sequence form.
#[test]
fn billion_laughs_in_mappings() {
    let mut yaml =
        String::from("lol0: &lol0 {a: lol, b: lol, c: lol, d: lol, e: lol, f: lol, g: lol, h: lol, i: lol, j: lol}\n");
    for level in 1..=9 {
        let prev = level - 1;
        let fields: Vec<String> = "abcdefghij".chars().map(|c| format!("{c}: *lol{prev}")).collect();
        writeln!(yaml, "lol{level}: &lol{level} {{{}}}", fields.join(", ")).unwrap();
    }
    let (location, key, message, text) = yaml_error(&yaml);
    assert!(message.starts_with("YAML alias expansion exceeds 100000 nodes"), "{text}");
    assert!(message.ends_with(BOMB), "{text}");
    // Refused at the first alias past the budget: the level where 10^k
    // crosses 100,000 (level 4, line 5), before any later line is read.
    assert_eq!((location.file.to_str(), location.line), (Some("hostile.yml"), 5), "{text}");
    assert!(key.starts_with("lol4."), "{text}");
    assert!(text.starts_with(&format!("hostile.yml:5:{}: `lol4.", location.column)), "{text}");
}

/// One big anchor read through many aliases: each alias is cheap to write
/// and costs its whole size.
#[test]
fn wide_alias_fan_out() {
    let items = vec!["x"; 5_000].join(", ");
    let mut yaml = format!("big: &big [{items}]\ncopies:\n");
    for i in 0..100 {
        writeln!(yaml, "  c{i}: *big").unwrap();
    }
    let (location, key, message, text) = yaml_error(&yaml);
    assert!(message.contains(BOMB), "{text}");
    // 5,001 nodes kept with the anchor and 5,001 in the tree; 17 copies
    // of 5,002 (with their keys) more fit under 100,000 and the 18th does not.
    assert_eq!((location.line, location.column, key.as_str()), (20, 8, "copies.c17"), "{text}");
}

/// Merge keys copy what they merge: the copies count against the budget.
#[test]
fn merge_key_bomb() {
    let mut yaml = String::from("m0: &m0 {k0: v, k1: v, k2: v, k3: v, k4: v, k5: v, k6: v, k7: v, k8: v, k9: v}\n");
    for level in 1..=9 {
        let prev = level - 1;
        let parents: Vec<String> = (0..10).map(|i| format!("p{i}: *m{prev}")).collect();
        writeln!(yaml, "m{level}: &m{level} {{<<: *m{prev}, {}}}", parents.join(", ")).unwrap();
    }
    let (_, key, message, text) = yaml_error(&yaml);
    assert!(message.contains(BOMB), "{text}");
    assert!(key.starts_with("m4") || key.starts_with("m3"), "{text}");
}

/// Many `<<` keys in one mapping: merge keys are exempt from the
/// duplicate-key check, so they must not cost time per pair of them.
#[test]
fn many_merge_keys_in_one_mapping() {
    let mut yaml = String::from("base: &b {x: 1}\nempty: &e {}\nm:\n  <<: *b\n");
    for _ in 0..45_000 {
        yaml.push_str("  <<: *e\n");
    }
    yaml.push_str("  y: 2\n");
    let schema = Schema::from_yaml_str(&yaml, "hostile.yml").expect("45,000 merges load");
    assert_eq!(schema.keys().collect::<Vec<_>>(), ["base.x", "m.x", "m.y"]);
}

/// An alias multiplies bytes as well as nodes: one 1 MiB scalar read
/// through 200 aliases would be 200 MiB, from a file of 1 MiB.
#[test]
fn alias_of_a_large_scalar() {
    let mut yaml = format!("blob: &blob {}\ncopies: [", "x".repeat(1 << 20));
    yaml.push_str(&vec!["*blob"; 200].join(", "));
    yaml.push_str("]\n");
    let (location, key, message, text) = yaml_error(&yaml);
    assert!(message.contains("YAML alias expansion exceeds") && message.contains(BOMB), "{message}");
    assert_eq!((location.line, key.as_str()), (2, "copies"), "{}", &text[..text.len().min(200)]);
}

/// The same bomb from a file: the error names the file.
#[test]
fn alias_bomb_from_a_file_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let mut yaml = String::from("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
    for i in 1..=9 {
        writeln!(yaml, "a{i}: &a{i} [{}]", vec![format!("*a{}", i - 1); 10].join(", ")).unwrap();
    }
    let path = dir.path().join("laughs_config.yml");
    std::fs::write(&path, &yaml).unwrap();
    let (location, key, message, _) = schema_error(Schema::load(dir.path()));
    assert_eq!(location.file, path);
    assert_eq!(location.line, 5);
    assert_eq!(key, "laughs.a4", "the key carries the file's mount");
    assert!(message.contains(BOMB));
}

/// A file with more nodes than the budget and no alias at all.
#[test]
fn too_many_plain_nodes() {
    let yaml = format!("items: [{}]\n", vec!["1"; 100_001].join(", "));
    let (location, key, message, _) = yaml_error(&yaml);
    assert_eq!(message, "the file has more than 100000 nodes; split it into several files");
    assert_eq!((location.line, key.as_str()), (1, "items"));
}

/// A million open brackets: the parser reads flow collections ahead and
/// stops at its own depth limit (256 levels), before the builder sees the
/// 65th; nothing holds a million levels and nothing recurses deep.
#[test]
fn a_million_brackets() {
    let yaml = format!("deep: {}", "[".repeat(1_000_000));
    let (location, key, message, _) = yaml_error(&yaml);
    assert_eq!((location.line, location.column, key.as_str()), (1, 262, ""));
    assert_eq!(message, "nesting far deeper than 64 levels (the parser stopped here); flatten the schema");
    // Between 65 and 255 levels the builder refuses, at the 65th level (the
    // root mapping is the first).
    let yaml = format!("deep: {}x{}", "[".repeat(200), "]".repeat(200));
    let (_, _, _, text) = yaml_error(&yaml);
    assert_eq!(text, "hostile.yml:1:70: `deep`: nesting deeper than 64 levels; flatten the schema");
}

/// Deep flow mappings, and deep nesting inside an entry's `default`.
#[test]
fn deep_mappings_and_deep_defaults() {
    let deep_map = format!("{}x: 1{}", "{a: ".repeat(100), "}".repeat(100));
    let (location, _, message, _) = yaml_error(&format!("top: {deep_map}\n"));
    assert_eq!(message, "nesting deeper than 64 levels; flatten the schema");
    assert_eq!(location.line, 1);

    let mut yaml = String::from("cfg:\n  ssm_param: /app/{stage}/cfg\n  type: json\n  default:\n");
    for depth in 0..100 {
        writeln!(yaml, "{}k{depth}:", "  ".repeat(depth + 2)).unwrap();
    }
    let (location, key, message, text) = yaml_error(&yaml);
    assert_eq!(message, "nesting deeper than 64 levels; flatten the schema", "{text}");
    // The mapping that is one level too deep starts on the line of its
    // first key: 4 lines of header, the root mapping and 63 more levels.
    assert_eq!(location.line, 4 + 63, "{text}");
    assert!(key.starts_with("cfg.default.k0.k1."), "{text}");
}

/// Deep nesting in a complex key (`? [[[...`): the key is refused as a
/// key before its depth matters.
#[test]
fn deep_complex_key() {
    let yaml = format!("? {}x{}\n: 1\n", "[".repeat(100), "]".repeat(100));
    let (location, _, message, _) = yaml_error(&yaml);
    assert_eq!(message, "a mapping key must be a scalar (a name), not a sequence or mapping");
    assert_eq!((location.line, location.column), (1, 3));
}

/// An anchor that is redefined many times keeps only its last value, and
/// the copies kept still count.
#[test]
fn redefined_anchors_count() {
    let items = vec!["x"; 2_000].join(", ");
    let mut yaml = String::new();
    for i in 0..60 {
        writeln!(yaml, "a{i}: &same [{items}]").unwrap();
    }
    let (_, _, message, _) = yaml_error(&yaml);
    assert!(message.contains(BOMB), "{message}");
}
