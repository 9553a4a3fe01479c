//! `promote`: copy the stored values of one stage's names to another's.

use serde::Serialize;

use super::MASK;
use crate::error::{Error, Result};
use crate::resolver::Resolver;
use crate::store::ParamType;

/// Options of [`Resolver::promote_to`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PromoteOptions {
    /// Dotted keys or group prefixes to copy; empty: every entry.
    pub only: Vec<String>,
    /// Plan only: write nothing.
    pub dry_run: bool,
}

/// One entry in a [`PromoteReport`]. Values of secure entries (or of
/// `SecureString` parameters) are `***`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PromoteItem {
    /// The dotted key.
    pub key: String,
    /// The source parameter.
    pub from_param: String,
    /// The target parameter.
    pub to_param: String,
    /// The type written: the source parameter's.
    pub param_type: Option<ParamType>,
    /// The target's value before (none when it did not exist).
    pub old_value: Option<String>,
    /// The source's value, written to the target.
    pub new_value: Option<String>,
    /// The source's version.
    pub from_version: Option<i64>,
    /// The target's version before.
    pub old_version: Option<i64>,
    /// The target's new version, once written.
    pub version: Option<i64>,
    /// Why it is in this list, when that is not obvious.
    pub reason: Option<String>,
}

/// What [`Resolver::promote_to`] did, or would do in a dry run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PromoteReport {
    /// Nothing was written.
    pub dry_run: bool,
    /// True when the writes were made (not a dry run, nothing refused).
    pub written: bool,
    /// Target parameters created.
    pub created: Vec<PromoteItem>,
    /// Target parameters whose value changed.
    pub updated: Vec<PromoteItem>,
    /// Already the same value and type in both stages.
    pub unchanged: Vec<PromoteItem>,
    /// Not copied: not set in the source, a read-only name, or one name
    /// for both stages.
    pub skipped: Vec<PromoteItem>,
    /// Source values the schema does not accept (then nothing is written).
    pub refused: Vec<PromoteItem>,
    /// Writes that failed, with the reason.
    pub failed: Vec<PromoteItem>,
}

impl Resolver {
    /// Copies the value stored under each entry's name for this resolver's
    /// vars (the source stage) to its name for `target`'s vars (over the
    /// same schema), writing only values that differ, with the source's
    /// type and description (a `SecureString` stays one). A source value
    /// the schema does not accept refuses the whole promotion: nothing is
    /// written. Literals, read-only names (selectors, `/aws/...`, Secrets
    /// Manager references) and names without a stage placeholder are not
    /// copied.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use std::sync::Arc;
    /// use ssmconf::{MemoryStore, PromoteOptions, Resolver, Schema};
    /// let schema = Schema::from_yaml_str("model:\n  ssm_param: /app/{stage}/model\n", "inline.yml")?;
    /// let store = Arc::new(MemoryStore::from_values([("/app/dev/model", "GPT_4O")]));
    /// let dev = Resolver::builder(schema.clone()).var("stage", "dev").shared_store(store.clone()).build()?;
    /// let staging = Resolver::builder(schema).var("stage", "staging").shared_store(store).build()?;
    /// let report = dev.promote_to(&staging, &PromoteOptions::default()).await?;
    /// assert_eq!(report.created[0].to_param, "/app/staging/model");
    /// assert_eq!(staging.require::<String>("model").await?, "GPT_4O");
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Validation`] when `target` has another schema;
    /// [`Error::UnknownKey`] for a prefix in `only` that selects nothing;
    /// [`Error::Store`] when either store cannot be read.
    pub async fn promote_to(&self, target: &Resolver, options: &PromoteOptions) -> Result<PromoteReport> {
        let (from, to) = (&self.inner, &target.inner);
        if !from.schema.keys().eq(to.schema.keys()) {
            return Err(Error::validation("(promote)", "the two resolvers must have the same schema"));
        }
        let mut report = PromoteReport { dry_run: options.dry_run, ..PromoteReport::default() };
        let mut pairs = Vec::new();
        for idx in super::select(self, &options.only)? {
            let (Some(entry), Some(src), Some(dst)) = (from.entry(idx), from.bound(idx), to.bound(idx)) else {
                continue;
            };
            let mut item = PromoteItem {
                key: from.key(idx).to_string(),
                from_param: src.name.full.clone(),
                to_param: dst.name.full.clone(),
                param_type: None,
                old_value: None,
                new_value: None,
                from_version: None,
                old_version: None,
                version: None,
                reason: None,
            };
            if entry.is_path() {
                item.reason = Some("a path entry (ssm_path): promote copies single parameters, not hierarchies".into());
                report.skipped.push(item);
            } else if src.name.is_read_only() || dst.name.is_read_only() {
                item.reason = Some("read-only name".into());
                report.skipped.push(item);
            } else if src.name.plain == dst.name.plain {
                item.reason =
                    Some("one parameter for both stages (its name has no placeholder the stages fill)".into());
                report.skipped.push(item);
            } else {
                pairs.push((idx, entry, item));
            }
        }
        let read = |r: &Resolver, names: Vec<String>| {
            let inner = r.inner.clone();
            async move {
                inner
                    .read_direct(&names)
                    .await
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|source| Error::Store { what: "promote".into(), source })
            }
        };
        let sources = read(self, pairs.iter().map(|(_, _, i)| i.from_param.clone()).collect()).await?;
        let targets = read(target, pairs.iter().map(|(_, _, i)| i.to_param.clone()).collect()).await?;
        let mut writes = Vec::new();
        for (((idx, entry, mut item), source), existing) in pairs.into_iter().zip(sources).zip(targets) {
            let Some(source) = source else {
                item.reason = Some("not set in the source stage".into());
                report.skipped.push(item);
                continue;
            };
            let secure = entry.secure
                || source.param_type == ParamType::SecureString
                || existing.as_ref().is_some_and(|p| p.param_type == ParamType::SecureString);
            let shown = |v: &str| if secure { MASK.to_string() } else { v.to_string() };
            item.param_type = Some(source.param_type);
            item.new_value = Some(shown(&source.value));
            item.from_version = Some(source.version);
            item.old_value = existing.as_ref().map(|p| shown(&p.value));
            item.old_version = existing.as_ref().map(|p| p.version);
            if let Err(reason) = entry.decode(&source.value) {
                item.reason = Some(format!("the source value is not valid for this entry: {reason}"));
                report.refused.push(item);
                continue;
            }
            if existing.as_ref().is_some_and(|p| p.value == source.value && p.param_type == source.param_type) {
                report.unchanged.push(item);
                continue;
            }
            writes.push((idx, item, source, existing.is_some()));
        }
        report.written = !options.dry_run && report.refused.is_empty();
        for (idx, mut item, source, existed) in writes {
            if report.written {
                let key = from.key(idx);
                let description = match self.inner.call_store(from.store.parameter_history(&source.name)).await {
                    Ok(versions) => versions.into_iter().max_by_key(|v| v.version).and_then(|v| v.description),
                    Err(source) => {
                        return Err(Error::Store { what: format!("`{key}` ({})", item.from_param), source });
                    }
                };
                let description = description.or_else(|| from.entry(idx).and_then(|e| e.description.clone()));
                let written =
                    target.write_as(target.writable(key)?, source.value, source.param_type, description).await;
                match written {
                    Ok(version) => item.version = Some(version),
                    Err(e) => {
                        item.reason = Some(e.to_string());
                        report.failed.push(item);
                        continue;
                    }
                }
            }
            if existed { report.updated.push(item) } else { report.created.push(item) }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::{MemoryStore, ParameterStore, Schema};

    const SCHEMA: &str = "a:\n  ssm_param: /p/{stage}/a\nb:\n  ssm_param: /p/{stage}/b\n  type: int\ns:\n  ssm_param: /p/{stage}/s\n  secure: true\nshared:\n  ssm_param: /p/shared\nref:\n  ssm_param: /aws/reference/secretsmanager/{stage}-db\nlit: 1\n";

    fn pair(store: &Arc<MemoryStore>) -> (Resolver, Resolver) {
        let schema = Schema::from_yaml_str(SCHEMA, "t.yml").unwrap();
        let build = |stage: &str| {
            Resolver::builder(schema.clone()).var("stage", stage).shared_store(store.clone()).build().unwrap()
        };
        (build("dev"), build("staging"))
    }

    #[tokio::test]
    async fn writes_only_what_differs_and_masks_secure_values() {
        let store = Arc::new(MemoryStore::new());
        let (dev, staging) = pair(&store);
        dev.put("a", "x").await.unwrap();
        dev.put("b", 2).await.unwrap();
        dev.put("s", "s3cr3t").await.unwrap();
        staging.put("a", "x").await.unwrap();
        staging.put("b", 1).await.unwrap();
        let report = dev.promote_to(&staging, &PromoteOptions::default()).await.unwrap();
        assert!(report.written);
        assert_eq!(report.unchanged[0].key, "a");
        assert_eq!((report.updated[0].key.as_str(), report.updated[0].old_value.as_deref()), ("b", Some("1")));
        assert_eq!(report.created[0].new_value.as_deref(), Some("***"));
        assert_eq!(report.created[0].param_type, Some(ParamType::SecureString));
        let skipped: Vec<_> = report.skipped.iter().map(|i| (i.key.as_str(), i.reason.as_deref().unwrap())).collect();
        assert_eq!(skipped[1], ("ref", "read-only name"));
        assert_eq!(skipped[0].0, "shared");
        assert!(!format!("{report:?}").contains("s3cr3t"));
        let got = store.get_parameters(&["/p/staging/s".into()]).await.unwrap();
        assert_eq!(
            got[0].as_ref().map(|p| (p.value.as_str(), p.param_type)),
            Some(("s3cr3t", ParamType::SecureString))
        );
        // Again: nothing differs.
        let again = dev.promote_to(&staging, &PromoteOptions::default()).await.unwrap();
        assert_eq!((again.created.len(), again.updated.len(), again.unchanged.len()), (0, 0, 3));
    }

    #[tokio::test]
    async fn a_bad_source_value_writes_nothing() {
        let store = Arc::new(MemoryStore::from_values([("/p/dev/a", "x"), ("/p/dev/b", "two")]));
        let (dev, staging) = pair(&store);
        let report = dev.promote_to(&staging, &PromoteOptions::default()).await.unwrap();
        assert!(!report.written);
        assert_eq!(report.refused[0].key, "b");
        assert_eq!(report.created[0].version, None);
        assert_eq!(store.get_parameters(&["/p/staging/a".into()]).await.unwrap(), vec![None]);
        let only = PromoteOptions { only: vec!["a".into()], dry_run: false };
        let report = dev.promote_to(&staging, &only).await.unwrap();
        assert_eq!(report.created[0].version, Some(1));
    }
}
