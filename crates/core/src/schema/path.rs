//! Path entries (`ssm_path`): a whole hierarchy of parameters as one value.
//!
//! A path entry reads every parameter under its path (GetParametersByPath)
//! and answers one mapping, nested by the `/` parts of each name relative to
//! the path. `/app/dev/flags/beta/search` under `ssm_path: /app/{stage}/flags`
//! is `{"beta": {"search": ...}}`; each leaf is decoded by the entry's `type`.
//!
//! **A name that is both a value and a prefix.** SSM lets `/p/a` hold a
//! value while `/p/a/b` exists too. Neither is dropped: the value of `/p/a`
//! goes under the reserved key [`PATH_VALUE_KEY`] (the empty string) of the
//! mapping at `a`, so `/p/a = 1` and `/p/a/b = 2` give
//! `{"a": {"": 1, "b": 2}}`. No SSM name part is empty, so the key never
//! collides with a parameter. A default may use it too (`'': 1`).
//!
//! ```
//! use ssmconf::Schema;
//! let yaml = "flags:\n  ssm_path: /app/{stage}/flags/\n  type: bool\n  default: {beta: {search: false}}\n";
//! assert!(Schema::from_yaml_str(yaml, "flags.yml")?.is_entry("flags"));
//! # Ok::<(), ssmconf::Error>(())
//! ```

use std::collections::BTreeMap;

use super::yaml::{Node, NodeError, NodeKind};
use crate::Value;
use crate::value::{self, ValueType};

/// The key under which a mapping holds the value of the name it stands
/// for, when that name is both a parameter and a prefix of others.
pub const PATH_VALUE_KEY: &str = "";

/// What a path entry adds to an entry.
#[derive(Debug, Clone)]
pub(crate) struct PathSpec {
    /// `recursive` (default true): every level below the path, or only the
    /// one just below.
    pub(crate) recursive: bool,
    /// The default's leaves as (relative name, decoded value), in order:
    /// what `init` writes and `diff` compares.
    pub(crate) default_leaves: Vec<(String, Value)>,
}

/// One part of a name relative to the path: what SSM allows in a level.
fn check_part(part: &str) -> Result<(), String> {
    if part.is_empty() {
        return Err("a key of the default is empty; write `'': value` only inside a nested mapping, \
                    for the value of a name that is also a prefix"
            .to_string());
    }
    match part.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        Some(c) => Err(format!(
            "the default's key `{}` contains `{}`; a level of an SSM name holds only letters, digits, `_`, `.` and `-`",
            value::printable(part),
            value::printable(c.encode_utf8(&mut [0; 4]))
        )),
        None => Ok(()),
    }
}

/// The leaves of a path entry's `default`: a mapping whose nested mappings
/// are levels of the path. `decode` turns one leaf node into its value.
pub(super) fn default_leaves(
    node: &Node,
    recursive: bool,
    decode: &dyn Fn(&Node) -> Result<Value, NodeError>,
) -> Result<Vec<(String, Value)>, NodeError> {
    let NodeKind::Map(items) = &node.kind else {
        return Err(node.error(format!(
            "the `default` of a path entry is a mapping of names under the path to values \
             (`default: {{beta: false}}`), not {}",
            node.kind_name()
        )));
    };
    let mut out = Vec::new();
    walk(items, "", recursive, decode, &mut out)?;
    Ok(out)
}

fn walk(
    items: &[(super::yaml::Key, Node)],
    prefix: &str,
    recursive: bool,
    decode: &dyn Fn(&Node) -> Result<Value, NodeError>,
    out: &mut Vec<(String, Value)>,
) -> Result<(), NodeError> {
    for (k, v) in items {
        let at_value_key = k.text == PATH_VALUE_KEY && !prefix.is_empty();
        if !at_value_key {
            check_part(&k.text).map_err(|m| NodeError { line: k.line, column: k.column, message: m })?;
        }
        let name = match (prefix.is_empty(), at_value_key) {
            (_, true) => prefix.to_string(),
            (true, false) => k.text.clone(),
            (false, false) => format!("{prefix}/{}", k.text),
        };
        match &v.kind {
            NodeKind::Map(children) if !at_value_key => {
                if !recursive {
                    return Err(v.error(
                        "with `recursive: false` only the level just below the path is read, so a nested \
                         mapping in `default` would never be used; flatten it, or drop `recursive: false`",
                    ));
                }
                walk(children, &name, recursive, decode, out)?;
            }
            _ => out.push((name, decode(v)?)),
        }
    }
    Ok(())
}

/// A tree node while a mapping is built: a leaf value, or a level with its
/// children and, when the level's name is a parameter too, its own value.
enum Tree {
    Leaf(Value),
    Level(BTreeMap<String, Tree>, Option<Value>),
}

impl Tree {
    fn into_value(self) -> Value {
        match self {
            Tree::Leaf(v) => v,
            Tree::Level(children, own) => {
                let mut map: serde_json::Map<String, Value> =
                    children.into_iter().map(|(k, t)| (k, t.into_value())).collect();
                if let Some(own) = own {
                    map.insert(PATH_VALUE_KEY.to_string(), own);
                }
                Value::Object(map)
            }
        }
    }
}

/// The mapping of a path entry from (relative name, value) pairs: nested by
/// the names' `/` parts; a name that is also a prefix keeps its value under
/// [`PATH_VALUE_KEY`]. Answers the mapping and the number of leaves (a name given
/// twice keeps its last value and counts once).
pub(crate) fn build_tree<'a>(pairs: impl IntoIterator<Item = (&'a str, Value)>) -> (Value, usize) {
    let mut root: BTreeMap<String, Tree> = BTreeMap::new();
    let mut count = 0;
    for (name, value) in pairs {
        let parts: Vec<&str> = name.split('/').filter(|p| !p.is_empty()).collect();
        let Some((last, levels)) = parts.split_last() else { continue };
        let mut node = &mut root;
        for part in levels {
            let slot = node.entry((*part).to_string()).or_insert_with(|| Tree::Level(BTreeMap::new(), None));
            if let Tree::Leaf(_) = slot {
                let Tree::Leaf(own) = std::mem::replace(slot, Tree::Level(BTreeMap::new(), None)) else {
                    unreachable!()
                };
                *slot = Tree::Level(BTreeMap::new(), Some(own));
            }
            let Tree::Level(children, _) = slot else { unreachable!("made a level above") };
            node = children;
        }
        match node.get_mut(*last) {
            Some(Tree::Level(_, own)) => {
                count += usize::from(own.is_none());
                *own = Some(value);
            }
            Some(leaf) => *leaf = Tree::Leaf(value),
            None => {
                count += 1;
                node.insert((*last).to_string(), Tree::Leaf(value));
            }
        }
    }
    let map = root.into_iter().map(|(k, t)| (k, t.into_value())).collect();
    (Value::Object(map), count)
}

/// Decodes the text form of a path entry's value, as an environment
/// variable or the snapshot holds it: a JSON object whose keys are names
/// relative to the path (`"beta/search"`) or nested objects (levels), and
/// whose leaves are the SSM text of each value (`"true"`; a number, bool or
/// array is taken as the text it stands for). Answers the mapping and how
/// many parameters it holds. The reason never shows a secure value.
pub(crate) fn decode_text(raw: &str, ty: ValueType, secure: bool) -> Result<(Value, usize), String> {
    let parsed: Value = serde_json::from_str(raw).map_err(|e| {
        if secure {
            "the value is not a JSON object of names to values".to_string()
        } else {
            format!("the value is not a JSON object of names to values: {e}")
        }
    })?;
    let Value::Object(map) = parsed else {
        return Err(format!(
            "the value is {}, not a JSON object of names to values (`{{\"beta/search\": \"true\"}}`)",
            value::kind_of(&parsed)
        ));
    };
    let mut leaves = Vec::new();
    flatten(map, String::new(), &mut leaves);
    let mut decoded = Vec::with_capacity(leaves.len());
    for (name, leaf) in leaves {
        let text = match &leaf {
            Value::String(s) => s.clone(),
            other => value::encode(other, ty, secure).map_err(|r| format!("`{}`: {r}", value::printable(&name)))?,
        };
        let v = value::decode(&text, ty, secure).map_err(|r| format!("`{}`: {r}", value::printable(&name)))?;
        decoded.push((name, v));
    }
    Ok(build_tree(decoded.iter().map(|(n, v)| (n.as_str(), v.clone()))))
}

fn flatten(map: serde_json::Map<String, Value>, prefix: String, out: &mut Vec<(String, Value)>) {
    for (k, v) in map {
        let name = match (prefix.is_empty(), k.is_empty()) {
            (_, true) => prefix.clone(),
            (true, false) => k,
            (false, false) => format!("{prefix}/{k}"),
        };
        match v {
            Value::Object(children) => flatten(children, name, out),
            leaf => out.push((name, leaf)),
        }
    }
}

/// The text form [`decode_text`] reads, from (relative name, value) leaves:
/// a flat JSON object of names to SSM text. `None` when a leaf cannot be
/// written as its type.
pub(crate) fn encode_text(leaves: &[(String, Value)], ty: ValueType) -> Option<String> {
    let mut map = serde_json::Map::new();
    for (name, v) in leaves {
        map.insert(name.clone(), Value::String(value::encode(v, ty, true).ok()?));
    }
    serde_json::to_string(&Value::Object(map)).ok()
}

/// The leaves of a path entry's mapping, (relative name, value), when they
/// can be told apart: with `type: json` a leaf may itself be an object,
/// which reads like a level, so `None`.
pub(crate) fn leaves_of(tree: &Value, ty: ValueType) -> Option<Vec<(String, Value)>> {
    if ty == ValueType::Json {
        return None;
    }
    let Value::Object(map) = tree else { return None };
    let mut out = Vec::new();
    flatten(map.clone(), String::new(), &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_name_that_is_a_value_and_a_prefix_keeps_both() {
        for order in [vec![("a", json!(1)), ("a/b", json!(2))], vec![("a/b", json!(2)), ("a", json!(1))]] {
            let (tree, count) = build_tree(order);
            assert_eq!(tree, json!({"a": {"": 1, "b": 2}}));
            assert_eq!(count, 2);
        }
        let (tree, count) = build_tree([("x/y/z", json!("deep")), ("x", json!("top")), ("w", json!(0))]);
        assert_eq!(tree, json!({"w": 0, "x": {"": "top", "y": {"z": "deep"}}}));
        assert_eq!(count, 3);
        assert_eq!(leaves_of(&tree, ValueType::String).unwrap().len(), 3);
    }

    #[test]
    fn the_text_form_reads_flat_and_nested_objects() {
        let (tree, count) =
            decode_text(r#"{"beta/search": "true", "beta": {"ui": false}, "on": "1"}"#, ValueType::Bool, false)
                .unwrap();
        assert_eq!(tree, json!({"beta": {"search": true, "ui": false}, "on": true}));
        assert_eq!(count, 3);
        assert!(decode_text("[1]", ValueType::Bool, false).unwrap_err().contains("not a JSON object"));
        let err = decode_text(r#"{"a": "maybe"}"#, ValueType::Bool, true).unwrap_err();
        assert!(err.starts_with("`a`: ") && !err.contains("maybe"), "{err}");
        let leaves = vec![("a".to_string(), json!(1)), ("a/b".to_string(), json!(2))];
        let text = encode_text(&leaves, ValueType::Int).unwrap();
        assert_eq!(decode_text(&text, ValueType::Int, false).unwrap(), (json!({"a": {"": 1, "b": 2}}), 2));
    }
}
