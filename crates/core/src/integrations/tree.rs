//! The resolver's tree as the providers hand it on: resolved, secure keys
//! left out unless asked for, and each key's SSM name for error messages.

use std::collections::BTreeMap;

use crate::{Resolver, Result, Source, Value};

/// Which of a resolver's values a provider hands on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Selection {
    /// Secure entries too (left out by default: figment and config-rs
    /// quote a value that does not fit its field in their errors).
    pub(crate) secure: bool,
    /// Only values from the store (`ssm`, or `stale` while it fails): no
    /// schema defaults, literals or `env` overrides, so that a lower source
    /// (a TOML file) answers where SSM has nothing.
    pub(crate) store_only: bool,
}

/// A resolved tree and the SSM names of its keys.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// Nested objects, one per group.
    pub(crate) tree: Value,
    /// Dotted key to SSM name, for every entry.
    pub(crate) names: BTreeMap<String, String>,
}

impl Snapshot {
    /// Resolves every key of `resolver` (batched fetches first) and keeps
    /// what `selection` asks for.
    pub(crate) async fn take(resolver: &Resolver, selection: Selection) -> Result<Snapshot> {
        let schema = resolver.schema();
        let mut tree = if selection.store_only {
            resolver.load_all().await?;
            let mut root = Value::Object(serde_json::Map::new());
            for key in schema.keys() {
                let answer = resolver.resolve(key, false).await?;
                if let (Source::Ssm | Source::Stale, Some(value)) = (answer.source, answer.value()) {
                    insert(&mut root, key, value.clone());
                }
            }
            root
        } else {
            resolver.extract_value().await?
        };
        let mut names = BTreeMap::new();
        for key in schema.keys() {
            if !selection.secure && schema.is_secure(key) {
                remove(&mut tree, key);
            }
            if let Ok(name) = resolver.ssm_name(key) {
                names.insert(key.to_string(), name.to_string());
            }
        }
        Ok(Snapshot { tree, names })
    }

    /// How a key is named in an error: the dotted key, and its SSM name
    /// when it has one.
    pub(crate) fn describe(&self, key: &str) -> String {
        match self.names.get(key) {
            Some(name) => format!("{key} (SSM {name})"),
            None => key.to_string(),
        }
    }
}

/// Puts a value at a dotted key, making the groups on the way.
fn insert(tree: &mut Value, key: &str, value: Value) {
    let mut node = tree;
    let mut parts = key.split('.').peekable();
    while let Some(part) = parts.next() {
        let Some(object) = node.as_object_mut() else { return };
        if parts.peek().is_none() {
            object.insert(part.to_string(), value);
            return;
        }
        node = object.entry(part.to_string()).or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
}

/// Removes the leaf at a dotted key from nested objects, and the groups it
/// leaves empty (an empty table would still make an `Option` group `Some`).
fn remove(tree: &mut Value, key: &str) {
    fn walk(node: &mut Value, parts: &[&str]) {
        let Some(object) = node.as_object_mut() else { return };
        match parts {
            [] => {}
            [leaf] => {
                object.remove(*leaf);
            }
            [group, rest @ ..] => {
                if let Some(child) = object.get_mut(*group) {
                    walk(child, rest);
                    if child.as_object().is_some_and(serde_json::Map::is_empty) {
                        object.remove(*group);
                    }
                }
            }
        }
    }
    let parts: Vec<&str> = key.split('.').collect();
    walk(tree, &parts);
}

#[cfg(test)]
mod tests {
    use super::{insert, remove};
    use serde_json::json;

    #[test]
    fn remove_takes_out_one_leaf_and_the_groups_it_empties() {
        let mut tree = json!({"a": {"b": 1, "c": 2}, "d": 3, "s": {"t": {"u": "secret"}}});
        remove(&mut tree, "a.b");
        remove(&mut tree, "x.y");
        remove(&mut tree, "d.e");
        assert_eq!(tree, json!({"a": {"c": 2}, "d": 3, "s": {"t": {"u": "secret"}}}));
        remove(&mut tree, "s.t.u");
        assert_eq!(tree, json!({"a": {"c": 2}, "d": 3}), "groups left empty go too");
        insert(&mut tree, "s.t.u", json!("back"));
        insert(&mut tree, "a.e", json!(5));
        assert_eq!(tree, json!({"a": {"c": 2, "e": 5}, "d": 3, "s": {"t": {"u": "back"}}}));
    }
}
