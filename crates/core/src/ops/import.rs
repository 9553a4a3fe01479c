//! `import`: values for schema keys from a file or a mapping, each checked
//! like `put` before anything is written, with a plan like `init`'s.

use std::collections::HashMap;
use std::path::Path;

use serde::Serialize;

use super::MASK;
use super::env::env_name;
use super::import_file::{self, Given, ImportFormat, Incoming};
use crate::Value;
use crate::error::{Error, Result};
use crate::resolver::Resolver;
use crate::schema::LeafKind;
use crate::store::ParamType;
use crate::value::{check_storable, encode};

/// Options of [`Resolver::import_file`] and [`Resolver::import_values`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// The file's format; `None`: from its extension.
    pub format: Option<ImportFormat>,
    /// Plan only: write nothing.
    pub dry_run: bool,
    /// Replace parameters that exist (a value equal to the stored one is
    /// still skipped, as `unchanged`).
    pub overwrite: bool,
    /// Write the good values even when some are refused (an unknown key, a
    /// bad value). Without it, one refusal writes nothing.
    pub skip_invalid: bool,
}

/// One key in an [`ImportPlan`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImportItem {
    /// The dotted key (for a refused key: the key or variable as written).
    pub key: String,
    /// The SSM name, for an entry.
    pub ssm_param: Option<String>,
    /// The type it is (or would be) written as.
    pub param_type: Option<ParamType>,
    /// The text written (`***` for a secure entry; none when refused).
    pub value: Option<String>,
    /// The version written, or the existing version.
    pub version: Option<i64>,
    /// Why it is in this list, when that is not obvious.
    pub reason: Option<String>,
    /// Where the value is in the file (1-based), when the format tells.
    pub line: Option<usize>,
    /// The column of the value, with `line`.
    pub column: Option<usize>,
}

/// What an import did, or would do.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ImportPlan {
    /// The file read (none for [`Resolver::import_values`]).
    pub file: Option<String>,
    /// The format it was read as.
    pub format: Option<ImportFormat>,
    /// A dry run: nothing was written.
    pub dry_run: bool,
    /// True when the writes were made: not a dry run, and nothing refused
    /// (or `skip_invalid`).
    pub written: bool,
    /// Parameters created (or that would be, or that would have been).
    pub created: Vec<ImportItem>,
    /// Parameters that existed and were replaced (with `overwrite`).
    pub overwritten: Vec<ImportItem>,
    /// Left alone: `exists` (without `overwrite`), `unchanged` (the same
    /// value is stored), or a literal given its own value.
    pub skipped: Vec<ImportItem>,
    /// Unknown keys and values that `put` would refuse, with the reason.
    pub refused: Vec<ImportItem>,
    /// Writes that failed, with the reason.
    pub failed: Vec<ImportItem>,
}

impl ImportPlan {
    /// True when something was refused and, without `skip_invalid`,
    /// nothing was written.
    #[must_use]
    pub fn is_refused(&self) -> bool {
        !self.refused.is_empty()
    }
}

/// A checked value on its way to the store.
struct Candidate {
    idx: usize,
    item: ImportItem,
    raw: String,
}

impl Resolver {
    /// Reads `path` (JSON, YAML or dotenv; nested mappings or dotted keys;
    /// in dotenv, each entry's variable name as `exec` sets it, or the
    /// dotted key) and imports its values like
    /// [`import_values`](Self::import_values).
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{ImportOptions, MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str("epochs:\n  ssm_param: /app/epochs\n  type: int\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema).store(MemoryStore::new()).build()?;
    /// let dir = tempfile::tempdir().unwrap();
    /// let file = dir.path().join("dev.env");
    /// std::fs::write(&file, "EPOCHS=5\n").unwrap();
    /// let plan = resolver.import_file(&file, ImportOptions::default()).await?;
    /// assert_eq!(plan.created[0].key, "epochs");
    /// assert_eq!(resolver.require::<i64>("epochs").await?, 5);
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Schema`] with the file, line and column when the file
    /// cannot be read or parsed (a refused value is not an error: it is in
    /// [`ImportPlan::refused`]); [`Error::Store`] when the store cannot tell
    /// which parameters exist.
    pub async fn import_file(&self, path: impl AsRef<Path>, options: ImportOptions) -> Result<ImportPlan> {
        let path = path.as_ref();
        let is_group = |k: &str| self.is_group(k);
        let (format, items) = import_file::read(path, options.format, &is_group)?;
        let mut plan = self.import_items(items, options).await?;
        plan.file = Some(path.display().to_string());
        plan.format = Some(format);
        Ok(plan)
    }

    /// Imports a mapping of dotted keys (or groups nesting them) to values:
    /// each is encoded and checked as [`put`](Self::put) does; then, unless
    /// something is refused (and not `skip_invalid`) or it is a dry run,
    /// each is written: created when it does not exist, replaced with
    /// `overwrite`, left alone when the store holds the same value.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{ImportOptions, MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str("models:\n  basic:\n    ssm_param: /app/basic\n    allowed: [A, B]\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema).store(MemoryStore::new()).build()?;
    /// let plan = resolver.import_values(serde_json::json!({"models": {"basic": "C"}}), ImportOptions::default()).await?;
    /// assert!(!plan.written);
    /// assert!(plan.refused[0].reason.as_deref().unwrap().contains("not one of the allowed values"));
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Validation`] when `values` is not a mapping;
    /// [`Error::Store`] when the store cannot tell which parameters exist.
    pub async fn import_values(&self, values: Value, options: ImportOptions) -> Result<ImportPlan> {
        let is_group = |k: &str| self.is_group(k);
        let items = import_file::from_value(values, &is_group)?;
        self.import_items(items, options).await
    }

    /// True when `key` is a group of the schema: not a key, a prefix of some.
    fn is_group(&self, key: &str) -> bool {
        !self.schema().contains(key) && self.schema().keys().any(|k| super::under_prefix(k, &format!("{key}.")))
    }

    async fn import_items(&self, items: Vec<Incoming>, options: ImportOptions) -> Result<ImportPlan> {
        let inner = &self.inner;
        let mut plan = ImportPlan { dry_run: options.dry_run, ..ImportPlan::default() };
        // Variable names (dotenv) to keys: the key's own (as `export
        // --format env` writes it) and the entry's `env` (as `exec` sets it).
        let mut by_var: HashMap<String, usize> = HashMap::new();
        for i in 0..inner.schema.len() {
            by_var.insert(env_name(inner.key(i)), i);
            if let Some(var) = inner.entry(i).and_then(|e| e.env.clone()) {
                by_var.insert(var, i);
            }
        }
        let mut seen: HashMap<usize, Option<usize>> = HashMap::new();
        let mut candidates = Vec::new();
        for incoming in items {
            let mut item = ImportItem {
                key: incoming.key.clone(),
                ssm_param: None,
                param_type: None,
                value: None,
                version: None,
                reason: None,
                line: incoming.line,
                column: incoming.column,
            };
            let idx = match self.index(&incoming.key) {
                Ok(idx) => idx,
                Err(e) => match (&incoming.value, by_var.get(&incoming.key)) {
                    (Given::Text(_), Some(&idx)) => idx,
                    _ => {
                        let Error::UnknownKey { suggestion, .. } = e else {
                            unreachable!("index fails with UnknownKey")
                        };
                        item.reason = Some(format!("not a key of the schema{suggestion}"));
                        plan.refused.push(item);
                        continue;
                    }
                },
            };
            item.key = inner.key(idx).to_string();
            if let Some(line) = seen.insert(idx, incoming.line) {
                let at = line.map(|l| format!(" (first at line {l})")).unwrap_or_default();
                item.reason = Some(format!("given more than once{at}"));
                plan.refused.push(item);
                continue;
            }
            match self.check_import(idx, incoming.value, &mut item) {
                Ok(Some(raw)) => candidates.push(Candidate { idx, item, raw }),
                Ok(None) => plan.skipped.push(item),
                Err(reason) => {
                    item.reason = Some(reason);
                    plan.refused.push(item);
                }
            }
        }
        let names: Vec<String> = candidates.iter().map(|c| c.item.ssm_param.clone().unwrap_or_default()).collect();
        let existing = inner
            .read_direct(&names)
            .await
            .into_iter()
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| Error::Store { what: "import".into(), source })?;
        let write = !options.dry_run && (plan.refused.is_empty() || options.skip_invalid);
        plan.written = write;
        for (Candidate { idx, mut item, raw }, exists) in candidates.into_iter().zip(existing) {
            if let Some(param) = &exists {
                item.version = Some(param.version);
                if param.value == raw && Some(param.param_type) == item.param_type {
                    item.reason = Some("unchanged".into());
                    plan.skipped.push(item);
                    continue;
                }
                if !options.overwrite {
                    item.reason = Some("exists".into());
                    plan.skipped.push(item);
                    continue;
                }
            }
            if write {
                let target = self.writable(&item.key)?;
                debug_assert_eq!(target.0, idx);
                match self.write(target, raw).await {
                    Ok(version) => item.version = Some(version),
                    Err(e) => {
                        item.reason = Some(e.to_string());
                        plan.failed.push(item);
                        continue;
                    }
                }
            }
            if exists.is_some() { plan.overwritten.push(item) } else { plan.created.push(item) }
        }
        // Schema order in every list (unknown keys last, in file order).
        let order = |item: &ImportItem| inner.schema.inner.index.get(&item.key).copied().unwrap_or(usize::MAX);
        for list in [&mut plan.created, &mut plan.overwritten, &mut plan.skipped, &mut plan.refused, &mut plan.failed] {
            list.sort_by_key(order);
        }
        Ok(plan)
    }

    /// Checks one value as `put` would: `Ok(Some(raw))` to write,
    /// `Ok(None)` to skip (a literal given its own value), `Err(reason)`.
    fn check_import(&self, idx: usize, given: Given, item: &mut ImportItem) -> Result<Option<String>, String> {
        let inner = &self.inner;
        let key = inner.key(idx);
        if let LeafKind::Literal(literal) = &inner.schema.inner.leaves[idx].kind {
            let same = match &given {
                Given::Typed(v) => v == &**literal,
                Given::Text(t) => super::env_text(literal) == *t,
            };
            if same {
                item.reason = Some("a literal in the schema, with this value".into());
                return Ok(None);
            }
            return Err("a literal lives in the schema file; change it there".into());
        }
        if inner.entry(idx).is_some_and(crate::schema::Entry::is_path) {
            item.reason =
                Some("a path entry (ssm_path): import does not write hierarchies; put its parameters by name".into());
            return Ok(None);
        }
        let (_, entry, bound) = self.writable(key).map_err(|e| match e {
            Error::Validation { reason, .. } => reason,
            other => other.to_string(),
        })?;
        item.ssm_param = Some(bound.name.plain.clone());
        let param_type = entry.param_type();
        item.param_type = Some(param_type);
        let raw = match given {
            Given::Typed(value) => encode(&value, entry.value_type, entry.secure)?,
            Given::Text(text) => {
                check_storable(&text)?;
                text
            }
        };
        if entry.secure && raw == MASK {
            return Err(
                "the value is the mask `***`, not a secret: export with --reveal to import secure values".into()
            );
        }
        entry.decode(&raw)?;
        item.value = Some(if entry.secure { MASK.to_string() } else { raw.clone() });
        Ok(Some(raw))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::{MemoryStore, ParameterStore, Schema};

    const SCHEMA: &str = "models:\n  basic:\n    ssm_param: /app/basic\n    env: BASIC\n    allowed: [A, B]\n  cfg:\n    ssm_param: /app/cfg\n    type: json\nsecret:\n  ssm_param: /app/secret\n  secure: true\nepochs: 3\n";

    fn resolver(store: &std::sync::Arc<MemoryStore>) -> Resolver {
        let schema = Schema::from_yaml_str(SCHEMA, "t.yml").unwrap();
        Resolver::builder(schema).shared_store(store.clone()).build().unwrap()
    }

    #[tokio::test]
    async fn one_refusal_writes_nothing_unless_skipped() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let r = resolver(&store);
        let values = json!({"models": {"basic": "A", "cfg": {"x": 1}}, "secret": "***", "epochs": 3, "nope": 1});
        let plan = r.import_values(values.clone(), ImportOptions::default()).await.unwrap();
        assert!(!plan.written);
        let refused: Vec<_> = plan.refused.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(refused, ["secret", "nope"]); // schema order, unknown keys last
        assert_eq!(plan.created.len(), 2);
        assert_eq!(plan.skipped[0].key, "epochs");
        assert_eq!(store.get_parameters(&["/app/basic".into()]).await.unwrap(), vec![None]);

        let plan = r.import_values(values, ImportOptions { skip_invalid: true, ..Default::default() }).await.unwrap();
        assert!(plan.written);
        assert_eq!(plan.created[1].value.as_deref(), Some(r#"{"x":1}"#));
        assert_eq!(r.require::<Value>("models.cfg").await.unwrap(), json!({"x": 1}));
    }

    #[tokio::test]
    async fn existing_values_are_skipped_unless_overwritten_and_same_values_always() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let r = resolver(&store);
        r.put("models.basic", "A").await.unwrap();
        let plan = r.import_values(json!({"models.basic": "B"}), ImportOptions::default()).await.unwrap();
        assert_eq!(plan.skipped[0].reason.as_deref(), Some("exists"));
        let opts = ImportOptions { overwrite: true, ..Default::default() };
        let plan = r.import_values(json!({"models.basic": "A"}), opts).await.unwrap();
        assert_eq!(plan.skipped[0].reason.as_deref(), Some("unchanged"));
        let plan = r.import_values(json!({"models.basic": "B"}), opts).await.unwrap();
        assert_eq!((plan.overwritten[0].version, plan.written), (Some(2), true));
    }

    #[tokio::test]
    async fn dotenv_names_are_the_keys_and_the_entries_env_names() {
        let store = std::sync::Arc::new(MemoryStore::new());
        let r = resolver(&store);
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("v.env");
        std::fs::write(&file, "MODELS_BASIC=A\nBASIC=B\nSECRET=x\nMODELS_CFG=[1]\n").unwrap();
        let plan = r.import_file(&file, ImportOptions::default()).await.unwrap();
        let refused: Vec<_> = plan.refused.iter().map(|i| (i.key.as_str(), i.line)).collect();
        assert_eq!(refused, [("models.basic", Some(2))], "the same key twice");
        assert_eq!(plan.refused[0].reason.as_deref(), Some("given more than once (first at line 1)"));
        let created: Vec<_> = plan.created.iter().map(|i| i.key.as_str()).collect();
        assert_eq!(created, ["models.basic", "models.cfg", "secret"]);
    }

    #[tokio::test]
    async fn read_only_names_are_refused() {
        let schema = Schema::from_yaml_str("r:\n  ssm_param: /aws/reference/secretsmanager/s\n", "t.yml").unwrap();
        let r = Resolver::builder(schema).store(MemoryStore::new()).build().unwrap();
        let plan = r.import_values(json!({"r": "x"}), ImportOptions::default()).await.unwrap();
        assert!(plan.refused[0].reason.as_deref().unwrap().contains("it cannot be written"), "{plan:?}");
    }
}
