//! `diff`: the schema against what the store holds, entry by entry, and the
//! parameters under the schema's prefixes that no entry names.

use serde::Serialize;

use crate::error::{Error, Result};
use crate::resolver::Resolver;
use crate::store::{ParamType, Parameter};
use crate::value::encode;

const MASK: &str = "***";

/// How an entry's parameter compares with the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiffStatus {
    /// The store holds the schema's default.
    Same,
    /// The store holds another value (or the entry has no default).
    Changed,
    /// The store does not hold the parameter: reads answer the default.
    Missing,
    /// The store holds a value that does not decode as the entry's type or
    /// is not allowed: reads fall back.
    Invalid,
    /// The parameter's type is not the one the schema asks for (`String`
    /// where the entry is secure, say).
    TypeMismatch,
    /// A Secrets Manager secret that could not be read (access denied,
    /// say): the note says why.
    Unreadable,
}

impl DiffStatus {
    /// The snake-case name (`same`, `changed`, `missing`, `invalid`,
    /// `type_mismatch`, `unreadable`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            DiffStatus::Same => "same",
            DiffStatus::Changed => "changed",
            DiffStatus::Missing => "missing",
            DiffStatus::Invalid => "invalid",
            DiffStatus::TypeMismatch => "type_mismatch",
            DiffStatus::Unreadable => "unreadable",
        }
    }
}

/// One entry of a [`DiffReport`]. Values of secure entries (and of
/// `SecureString` parameters) are masked as `***`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffItem {
    /// The dotted key.
    pub key: String,
    /// The SSM name, placeholders filled.
    pub ssm_param: String,
    /// The type the schema asks for.
    pub expected_type: ParamType,
    /// The schema's default as SSM would store it, if any.
    pub default: Option<String>,
    /// The value in the store, if any.
    pub value: Option<String>,
    /// The parameter's type in the store, if it exists.
    pub actual_type: Option<ParamType>,
    /// The parameter's version in the store, if it exists.
    pub version: Option<i64>,
    /// The verdict.
    pub status: DiffStatus,
    /// Why, for `invalid` and `type_mismatch` (never a secure value).
    pub note: Option<String>,
}

/// A parameter found under one of the schema's prefixes that no entry
/// names. Its value is not reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Unnamed {
    /// The SSM name.
    pub ssm_param: String,
    /// Its type.
    pub param_type: ParamType,
    /// Its latest version.
    pub version: i64,
}

/// What [`Resolver::diff`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffReport {
    /// Every entry, in schema order.
    pub entries: Vec<DiffItem>,
    /// The prefixes searched for parameters no entry names: per first part
    /// of the entries' names, the longest path they share.
    pub prefixes: Vec<String>,
    /// Parameters under those prefixes that no entry names, by name.
    pub unnamed: Vec<Unnamed>,
}

impl DiffReport {
    /// True when every entry holds its default and nothing is unnamed.
    #[must_use]
    pub fn is_clean(&self) -> bool {
        self.unnamed.is_empty() && self.entries.iter().all(|e| e.status == DiffStatus::Same)
    }
}

impl Resolver {
    /// Compares the schema with the store: for every entry, its default
    /// against the value SSM holds (status `same`, `changed`, `missing`,
    /// `invalid` or `type_mismatch`); and lists the parameters under the
    /// schema's prefixes that no entry names (per first part of the entries'
    /// names, the longest path they share: `/app/dev/` for
    /// `/app/dev/models/a` and `/app/dev/ec2/b`). Reads the store directly, not the cache; changes nothing.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{DiffStatus, MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str(
    ///     "model:\n  ssm_param: /app/model\n  default: GPT_4O\n",
    ///     "inline.yml",
    /// )?;
    /// let store = MemoryStore::from_values([("/app/model", "GPT_5_MINI"), ("/app/old", "x")]);
    /// let resolver = Resolver::builder(schema).store(store).build()?;
    /// let diff = resolver.diff().await?;
    /// assert_eq!(diff.entries[0].status, DiffStatus::Changed);
    /// assert_eq!(diff.unnamed[0].ssm_param, "/app/old");
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Store`] when the store fails.
    pub async fn diff(&self) -> Result<DiffReport> {
        let inner = &self.inner;
        let all: Vec<_> = inner.entries().collect();
        let entries: Vec<_> = all.iter().copied().filter(|(_, e, _)| !e.is_path()).collect();
        let names: Vec<String> = entries.iter().map(|(_, _, b)| b.name.full.clone()).collect();
        let found = inner.read_direct(&names).await;
        // A failed batch fails the diff; a secret that cannot be read (each
        // is a request of its own) is its entry's status.
        if let Some((_, Err(source))) =
            entries.iter().zip(&found).find(|((_, _, b), f)| f.is_err() && !b.name.is_secret_reference())
        {
            return Err(Error::Store { what: "diff".into(), source: source.clone() });
        }
        let mut report = DiffReport::default();
        for ((idx, entry, bound), read) in entries.iter().zip(found) {
            // A secret reads as a SecureString, whatever the entry's `secure` says.
            let expected_type =
                if bound.name.is_secret_reference() { ParamType::SecureString } else { entry.param_type() };
            let default = entry
                .default
                .as_deref()
                .and_then(|d| encode(d, entry.value_type, entry.secure).ok())
                .map(|raw| if entry.secure { MASK.to_string() } else { raw });
            let mut item = DiffItem {
                key: inner.key(*idx).to_string(),
                ssm_param: bound.name.full.clone(),
                expected_type,
                default,
                value: None,
                actual_type: None,
                version: None,
                status: DiffStatus::Missing,
                note: None,
            };
            let param: Option<Parameter> = match read {
                Ok(param) => param,
                Err(e) => {
                    item.status = DiffStatus::Unreadable;
                    item.note = Some(e.to_string());
                    report.entries.push(item);
                    continue;
                }
            };
            if let Some(param) = param {
                let masked = entry.secure || param.param_type == ParamType::SecureString;
                item.value = Some(if masked { MASK.to_string() } else { param.value.clone() });
                item.actual_type = Some(param.param_type);
                item.version = Some(param.version);
                item.status = match entry.decode_stored(&param.value) {
                    Err(reason) => {
                        item.note = Some(reason);
                        DiffStatus::Invalid
                    }
                    Ok(_) if param.param_type != expected_type => {
                        item.note =
                            Some(format!("the parameter is a {}; the schema says {}", param.param_type, expected_type));
                        DiffStatus::TypeMismatch
                    }
                    Ok(value) if entry.default.as_deref() == Some(&value) => DiffStatus::Same,
                    Ok(_) => DiffStatus::Changed,
                };
            }
            report.entries.push(item);
        }
        // Nothing under `/aws/` is listed: public parameters and secrets are not the schema's own.
        // Path entries, leaf by leaf, in schema order among the others.
        for &(idx, entry, bound) in all.iter().filter(|(_, e, _)| e.is_path()) {
            let items = crate::path_admin::diff(inner, idx, entry, bound).await;
            let at = report
                .entries
                .iter()
                .position(|item| inner.schema.inner.index.get(&item.key).is_some_and(|&i| i > idx))
                .unwrap_or(report.entries.len());
            report.entries.splice(at..at, items);
        }
        let under_a_path = |name: &str| {
            all.iter().any(|(_, e, b)| {
                e.path.as_ref().is_some_and(|spec| {
                    crate::resolver::relative_name(&b.name.plain, name)
                        .is_some_and(|rest| spec.recursive || !rest.contains('/'))
                })
            })
        };
        report.prefixes =
            prefixes(all.iter().map(|(_, _, b)| b.name.plain.as_str()).filter(|n| !n.starts_with("/aws/")));
        for prefix in &report.prefixes {
            let listed = inner
                .call_store(inner.store.parameters_by_path(prefix, true))
                .await
                .map_err(|source| Error::Store { what: format!("diff (listing {prefix})"), source })?;
            report.unnamed.extend(
                listed
                    .into_iter()
                    .filter(|p| !inner.by_name.contains_key(&p.name) && !under_a_path(&p.name))
                    .map(|p| Unnamed { ssm_param: p.name, param_type: p.param_type, version: p.version }),
            );
        }
        report.unnamed.sort_by(|a, b| a.ssm_param.cmp(&b.ssm_param));
        report.unnamed.dedup_by(|a, b| a.ssm_param == b.ssm_param);
        Ok(report)
    }
}

/// The prefixes to search for unnamed parameters: hierarchical names are
/// grouped by their first part (`/purposepath`, `/fine-tune-slm`), and each
/// group gives the longest path (ending in `/`) its names share, so
/// `/app/dev/models/a` and `/app/dev/ec2/b` give `/app/dev/`. `/` alone and
/// the read-only `/aws/` tree are never searched.
fn prefixes<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    let mut groups: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
    for name in names.filter(|n| n.starts_with('/') && !n.to_ascii_lowercase().starts_with("/aws/")) {
        let Some(parent) = name.rfind('/').map(|i| &name[..=i]).filter(|p| *p != "/") else { continue };
        let root = &parent[..parent[1..].find('/').map_or(parent.len(), |i| i + 2)];
        let shared = groups.entry(root).or_insert(parent);
        *shared = common_dir(shared, parent);
    }
    groups.into_values().map(str::to_string).collect()
}

/// The longest prefix of `a` and `b` that ends in `/`.
fn common_dir<'a>(a: &'a str, b: &str) -> &'a str {
    let same = a.bytes().zip(b.bytes()).take_while(|(x, y)| x == y).count();
    a[..same].rfind('/').map_or("", |i| &a[..=i])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryStore, Schema};

    #[test]
    fn prefixes_are_parent_paths_without_nesting() {
        let names =
            ["/app/dev/models/a", "/app/dev/models/b", "/app/dev/ec2/x", "/other/y/z", "top", "/one", "/aws/service/x"];
        assert_eq!(prefixes(names.into_iter()), ["/app/dev/", "/other/y/"]);
        assert_eq!(prefixes(["/a/dev/m/x", "/a/dev/m/y"].into_iter()), ["/a/dev/m/"]);
    }

    #[tokio::test]
    async fn every_status_and_unnamed_parameters() {
        let schema = Schema::from_yaml_str(
            "same:\n  ssm_param: /app/same\n  default: 3\n\
             changed:\n  ssm_param: /app/changed\n  default: a\n\
             missing:\n  ssm_param: /app/missing\n  default: a\n\
             invalid:\n  ssm_param: /app/invalid\n  type: int\n\
             token:\n  ssm_param: /app/token\n  secure: true\n\
             nodefault:\n  ssm_param: /app/sub/nodefault\n",
            "inline.yml",
        )
        .unwrap();
        let store = MemoryStore::from_values([
            ("/app/same", "3"),
            ("/app/changed", "b"),
            ("/app/invalid", "three"),
            ("/app/token", "s3cret-token"),
            ("/app/sub/nodefault", "v"),
            ("/app/sub/deep/stray", "x"),
            ("/elsewhere/stray", "x"),
        ]);
        let resolver = Resolver::builder(schema).store(store).build().unwrap();
        let diff = resolver.diff().await.unwrap();
        let status: Vec<_> = diff.entries.iter().map(|e| (e.key.as_str(), e.status.as_str())).collect();
        assert_eq!(
            status,
            [
                ("same", "same"),
                ("changed", "changed"),
                ("missing", "missing"),
                ("invalid", "invalid"),
                ("token", "type_mismatch"),
                ("nodefault", "changed"),
            ]
        );
        let token = &diff.entries[4];
        assert_eq!(token.value.as_deref(), Some("***"));
        assert_eq!(token.note.as_deref(), Some("the parameter is a String; the schema says SecureString"));
        assert_eq!(diff.entries[0].default.as_deref(), Some("3"));
        assert_eq!(diff.entries[2].value, None);
        assert_eq!(diff.prefixes, ["/app/"]);
        let unnamed: Vec<_> = diff.unnamed.iter().map(|u| u.ssm_param.as_str()).collect();
        assert_eq!(unnamed, ["/app/sub/deep/stray"]);
        assert!(!diff.is_clean());
        assert!(!format!("{diff:?}").contains("s3cret"));
    }
}
