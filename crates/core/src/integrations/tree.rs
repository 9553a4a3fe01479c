//! The resolver's tree as the providers hand it on: resolved, secure keys
//! left out unless asked for, and each key's SSM name for error messages.

use std::collections::BTreeMap;

use crate::{Resolver, Result, Value};

/// A resolved tree and the SSM names of its keys.
#[derive(Debug, Clone)]
pub(crate) struct Snapshot {
    /// Nested objects, one per group.
    pub(crate) tree: Value,
    /// Dotted key to SSM name, for every entry.
    pub(crate) names: BTreeMap<String, String>,
}

impl Snapshot {
    /// Resolves every key of `resolver` (batched fetches first); leaves
    /// secure entries out unless `secure`.
    pub(crate) async fn take(resolver: &Resolver, secure: bool) -> Result<Snapshot> {
        let mut tree = resolver.extract_value().await?;
        let schema = resolver.schema();
        let mut names = BTreeMap::new();
        for key in schema.keys() {
            if !secure && schema.is_secure(key) {
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
    use super::remove;
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
    }
}
