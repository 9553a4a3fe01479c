//! `rollback`: an earlier version's value written again as a new version.

use serde::Serialize;

use super::MASK;
use crate::error::{Error, Result};
use crate::resolver::Resolver;

/// What [`Resolver::rollback`] wrote.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RollbackReport {
    /// The dotted key.
    pub key: String,
    /// The SSM name.
    pub ssm_param: String,
    /// The version that was current before.
    pub from_version: i64,
    /// The version whose value was written again.
    pub restored_version: i64,
    /// The new version, holding the restored value.
    pub version: i64,
    /// The value written (`***` for a secure entry).
    pub value: String,
    /// The description kept (the current version's, else the schema's).
    pub description: Option<String>,
}

impl Resolver {
    /// Writes the value of an earlier version of `key`'s parameter as a new
    /// version: version `to`, or by default the one before the current.
    /// The current description is kept; the value is checked against the
    /// entry like [`put`](Self::put) (a value the schema no longer allows
    /// is refused), and the key is dropped from the cache.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str("model:\n  ssm_param: /app/model\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema).store(MemoryStore::new()).build()?;
    /// resolver.put("model", "GPT_4O").await?;
    /// resolver.put("model", "OOPS").await?;
    /// let report = resolver.rollback("model", None).await?;
    /// assert_eq!((report.from_version, report.restored_version, report.version), (2, 1, 3));
    /// assert_eq!(resolver.require::<String>("model").await?, "GPT_4O");
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownKey`]; [`Error::Validation`] for a literal, a
    /// read-only name (a selector, `/aws/...`, a Secrets Manager
    /// reference), a parameter with no earlier version, a version that does
    /// not exist or is the current one, or a value the entry refuses;
    /// [`Error::Store`] when the store fails.
    pub async fn rollback(&self, key: &str, to: Option<i64>) -> Result<RollbackReport> {
        let target = self.writable(key)?;
        let (_, entry, bound) = target;
        let inner = &self.inner;
        let name = bound.name.plain.clone();
        let mut versions = inner
            .call_store(inner.store.parameter_history(&name))
            .await
            .map_err(|source| Error::Store { what: format!("`{key}` ({name})"), source })?;
        versions.sort_by_key(|v| v.version);
        let Some(current) = versions.last() else {
            return Err(Error::validation(key, format!("{name} does not exist: there is nothing to roll back")));
        };
        let restored = match to {
            Some(v) if v == current.version => {
                return Err(Error::validation(key, format!("version {v} is the current one: nothing to roll back")));
            }
            Some(v) => versions.iter().find(|p| p.version == v).ok_or_else(|| {
                let first = versions.first().map_or(0, |p| p.version);
                Error::validation(
                    key,
                    format!(
                        "{name} has no version {v}; it has versions {first} to {} (SSM keeps the last 100)",
                        current.version
                    ),
                )
            })?,
            None => versions.iter().rev().nth(1).ok_or_else(|| {
                Error::validation(key, format!("{name} has one version only: there is nothing to roll back to"))
            })?,
        };
        let description = current.description.clone().or_else(|| entry.description.clone());
        let param_type = entry.param_type();
        let value = if entry.secure || restored.param_type == crate::ParamType::SecureString {
            MASK.to_string()
        } else {
            restored.value.clone()
        };
        let (from_version, restored_version) = (current.version, restored.version);
        let version = self.write_as(target, restored.value.clone(), param_type, description.clone()).await?;
        Ok(RollbackReport {
            key: key.to_string(),
            ssm_param: name,
            from_version,
            restored_version,
            version,
            value,
            description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryStore, Schema};

    #[tokio::test]
    async fn refusals_say_why() {
        let schema = Schema::from_yaml_str(
            "a:\n  ssm_param: /x/a\n  allowed: [one, two]\nr:\n  ssm_param: /aws/reference/secretsmanager/s\nv:\n  ssm_param: /x/v:1\n",
            "t.yml",
        )
        .unwrap();
        let resolver = Resolver::builder(schema).store(MemoryStore::new()).build().unwrap();
        let text = |e: Error| e.to_string();
        assert!(text(resolver.rollback("a", None).await.unwrap_err()).contains("does not exist"));
        resolver.put("a", "one").await.unwrap();
        assert!(text(resolver.rollback("a", None).await.unwrap_err()).contains("one version only"));
        resolver.put("a", "two").await.unwrap();
        assert!(text(resolver.rollback("a", Some(2)).await.unwrap_err()).contains("is the current one"));
        assert!(text(resolver.rollback("a", Some(9)).await.unwrap_err()).contains("versions 1 to 2"));
        for (key, why) in [("r", "it cannot be written"), ("v", "read-only")] {
            assert!(text(resolver.rollback(key, None).await.unwrap_err()).contains(why), "{key}");
        }
        let report = resolver.rollback("a", Some(1)).await.unwrap();
        assert_eq!((report.version, report.value.as_str()), (3, "one"));
    }
}
