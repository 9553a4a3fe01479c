//! Writing and auditing: `put`, `init`, `check`, `history`, and their reports.

use std::time::SystemTime;

use serde::Serialize;

use crate::error::{Error, Result, StoreError, StoreErrorKind};
use crate::resolver::Resolver;
use crate::store::{ParamType, PutRequest};
use crate::value::{check_storable, encode};

/// Options of [`Resolver::init`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InitOptions {
    /// Plan only: write nothing.
    pub dry_run: bool,
    /// Replace parameters that exist with the schema's default.
    pub overwrite: bool,
}

/// One parameter in an [`InitPlan`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PlanItem {
    /// The dotted key.
    pub key: String,
    /// The SSM name.
    pub ssm_param: String,
    /// The type it is (or would be) written as.
    pub param_type: ParamType,
    /// The value written (`***` for a secure entry), if any.
    pub value: Option<String>,
    /// The version written, or the existing version for a skipped one.
    pub version: Option<i64>,
    /// Why it is in this list, when that is not obvious.
    pub reason: Option<String>,
}

/// What [`Resolver::init`] did, or would do in a dry run.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct InitPlan {
    /// Nothing was written.
    pub dry_run: bool,
    /// Parameters created (or that would be).
    pub created: Vec<PlanItem>,
    /// Parameters that existed and were replaced (with `overwrite`).
    pub overwritten: Vec<PlanItem>,
    /// Parameters left alone: they exist, or their name is read-only.
    pub skipped: Vec<PlanItem>,
    /// Entries with no default: someone must set them.
    pub manual: Vec<PlanItem>,
    /// Writes that failed, with the reason.
    pub failed: Vec<PlanItem>,
}

/// What kind of problem [`Resolver::check`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// A required entry resolves to nothing.
    Missing,
    /// A value does not decode as the entry's type, or is not allowed.
    Invalid,
    /// The parameter could not be read.
    Unreadable,
}

/// One problem found by [`Resolver::check`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Problem {
    /// The dotted key.
    pub key: String,
    /// The SSM name.
    pub ssm_param: String,
    /// What kind of problem.
    pub kind: ProblemKind,
    /// What is wrong (never a secure value).
    pub message: String,
}

/// The problems [`Resolver::check`] found; empty when all is well.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CheckReport {
    /// Entries looked at.
    pub checked: usize,
    /// The problems, in schema order.
    pub problems: Vec<Problem>,
}

impl CheckReport {
    /// True when no problem was found.
    #[must_use]
    pub fn is_ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// One version of a parameter, from [`Resolver::history`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The version.
    pub version: i64,
    /// The raw value, `***` for a secure entry.
    pub value: String,
    /// The type at that version.
    pub param_type: ParamType,
    /// When it was written.
    pub modified_at: Option<SystemTime>,
    /// Who wrote it.
    pub modified_by: Option<String>,
    /// The description at that version.
    pub description: Option<String>,
    /// Labels on this version.
    pub labels: Vec<String>,
}

const MASK: &str = "***";

/// Why a Secrets Manager reference cannot be `what` ("written", ...).
fn secret_read_only(name: &str, what: &str) -> String {
    format!(
        "{name} is a Secrets Manager secret read through Parameter Store: it cannot be {what}; \
         use Secrets Manager (`aws secretsmanager put-secret-value`, `list-secret-version-ids`)"
    )
}

/// A key checked by `writable`: its index, entry and bound name.
pub(crate) type Writable<'a> = (usize, &'a crate::schema::Entry, &'a crate::resolver::Bound);

impl Resolver {
    /// Encodes `value` for `key`'s entry, checks it (type, `allowed`, SSM's
    /// limits), writes it with overwrite, and drops the key from the cache
    /// so the next read sees it. Answers the new version.
    ///
    /// # Errors
    /// [`Error::UnknownKey`]; [`Error::Validation`] for a literal, a
    /// read-only name (a selector, `/aws/...`) or a value that does not fit;
    /// [`Error::Store`] when the write fails.
    pub async fn put<V: Serialize>(&self, key: &str, value: V) -> Result<i64> {
        let target = self.writable(key)?;
        let entry = target.1;
        let value = serde_json::to_value(value)
            .map_err(|e| Error::validation(key, format!("the value cannot be serialized: {e}")))?;
        let raw = encode(&value, entry.value_type, entry.secure).map_err(|r| Error::validation(key, r))?;
        self.write(target, raw).await
    }

    /// [`put`](Self::put) for a value given as the text SSM stores: `42`
    /// for an int, `a,b,c` for a list, a JSON document for json. The text
    /// is checked by the same rule as a value read from SSM (it must decode
    /// as the entry's type and be allowed), then written as it is. This is
    /// what the command line's `put KEY VALUE` calls.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str("epochs:\n  ssm_param: /app/epochs\n  type: int\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema).store(MemoryStore::new()).build()?;
    /// resolver.put_raw("epochs", "5").await?;
    /// assert_eq!(resolver.require::<i64>("epochs").await?, 5);
    /// assert!(resolver.put_raw("epochs", "five").await.is_err());
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// As [`put`](Self::put).
    pub async fn put_raw(&self, key: &str, raw: &str) -> Result<i64> {
        let target = self.writable(key)?;
        check_storable(raw).map_err(|r| Error::validation(key, r))?;
        self.write(target, raw.to_string()).await
    }

    /// The index, entry and bound name of a key that may be written.
    pub(crate) fn writable(&self, key: &str) -> Result<Writable<'_>> {
        let idx = self.index(key)?;
        let inner = &self.inner;
        let (Some(entry), Some(bound)) = (inner.entry(idx), inner.bound(idx)) else {
            return Err(Error::validation(key, "a literal lives in the schema file; change it there"));
        };
        if entry.is_path() {
            return Err(crate::path_admin::refuse(key, bound, "written"));
        }
        if bound.name.is_secret_reference() {
            return Err(Error::validation(key, secret_read_only(&bound.name.full, "written")));
        }
        if let Some(member) = &entry.json_key {
            return Err(Error::validation(
                key,
                format!(
                    "the entry reads member `{}` of the JSON document in {}; ssmconf does not rewrite one \
                     member of a document: write the whole document (the AWS CLI, or `put` on an entry \
                     without `json_key`)",
                    crate::value::printable(member),
                    bound.name.full
                ),
            ));
        }
        if bound.name.is_read_only() {
            return Err(Error::validation(
                key,
                format!(
                    "{} is read-only (a version selector, or under /aws/); write the plain parameter instead",
                    bound.name.full
                ),
            ));
        }
        Ok((idx, entry, bound))
    }

    /// Checks `raw` against the entry [`writable`](Self::writable) found,
    /// writes it with overwrite and drops the key from the cache.
    pub(crate) async fn write(&self, target: Writable<'_>, raw: String) -> Result<i64> {
        let entry = target.1;
        let (param_type, description) = (entry.param_type(), entry.description.clone());
        self.write_as(target, raw, param_type, description).await
    }

    /// [`write`](Self::write) with the type and description given (promote
    /// and rollback keep those of the parameter they copy).
    pub(crate) async fn write_as(
        &self,
        (idx, entry, bound): Writable<'_>,
        raw: String,
        param_type: ParamType,
        description: Option<String>,
    ) -> Result<i64> {
        let inner = &self.inner;
        let key = inner.key(idx);
        entry.decode(&raw).map_err(|r| Error::validation(key, r))?;
        let request = PutRequest {
            name: bound.name.plain.clone(),
            value: raw,
            param_type,
            description,
            tags: Vec::new(),
            overwrite: true,
        };
        let version = inner
            .call_store(inner.store.put_parameter(&request))
            .await
            .map_err(|source| Error::Store { what: format!("`{key}` ({})", request.name), source })?;
        inner.invalidate_everywhere(&[idx]);
        tracing::info!(target: "ssmconf", key, version, "Parameter updated in Parameter Store: {} (version {version})", request.name);
        Ok(version)
    }

    /// Seeds the store from the schema: every entry with a `default` is
    /// created unless it exists (or replaced, with `overwrite`), as
    /// `String`, `StringList` or `SecureString`, with its description and
    /// tags. Entries without a default are listed as needing manual setup.
    /// A dry run writes nothing.
    ///
    /// A failed write does not stop the others; it is listed in `failed`.
    ///
    /// # Errors
    /// [`Error::Store`] when the store cannot tell which parameters exist.
    pub async fn init(&self, options: InitOptions) -> Result<InitPlan> {
        let inner = &self.inner;
        let mut plan = InitPlan { dry_run: options.dry_run, ..InitPlan::default() };
        let mut candidates = Vec::new();
        for (idx, entry, bound) in inner.entries() {
            if entry.is_path() {
                if bound.name.is_read_only() {
                    let (mut item, _) = crate::path_admin::init_items(inner.key(idx), entry, bound).remove(0);
                    item.reason = Some("read-only path".into());
                    plan.skipped.push(item);
                    continue;
                }
                for (item, raw) in crate::path_admin::init_items(inner.key(idx), entry, bound) {
                    match raw {
                        Ok(raw) => candidates.push((idx, item, raw)),
                        Err(()) if item.reason.as_deref().is_some_and(|r| r.starts_with("a path entry")) => {
                            plan.manual.push(item);
                        }
                        Err(()) => plan.failed.push(item),
                    }
                }
                continue;
            }
            let mut item = PlanItem {
                key: inner.key(idx).to_string(),
                ssm_param: bound.name.plain.clone(),
                param_type: entry.param_type(),
                value: None,
                version: None,
                reason: None,
            };
            match &entry.default {
                _ if bound.name.is_secret_reference() => {
                    item.ssm_param = bound.name.full.clone();
                    item.reason = Some(
                        "a Secrets Manager secret: create it (and rotate it) in Secrets Manager, not with ssmconf"
                            .into(),
                    );
                    plan.manual.push(item);
                }
                _ if entry.json_key.is_some() => {
                    item.reason = Some(format!(
                        "reads member `{}` of a JSON document: write the whole document by hand",
                        crate::value::printable(entry.json_key.as_deref().unwrap_or_default())
                    ));
                    plan.manual.push(item);
                }
                None => {
                    item.reason = Some("no default in the schema: set it with `put`".into());
                    plan.manual.push(item);
                }
                Some(_) if bound.name.is_read_only() => {
                    item.ssm_param = bound.name.full.clone();
                    item.reason = Some("read-only name".into());
                    plan.skipped.push(item);
                }
                Some(default) => match encode(default, entry.value_type, entry.secure) {
                    Ok(raw) => {
                        item.value = Some(if entry.secure { MASK.to_string() } else { raw.clone() });
                        candidates.push((idx, item, raw));
                    }
                    // One default SSM cannot store (over 8 KB, say) fails
                    // alone; the others are still written.
                    Err(reason) => {
                        item.reason = Some(format!("the default cannot be written: {reason}"));
                        plan.failed.push(item);
                    }
                },
            }
        }
        let names: Vec<String> = candidates.iter().map(|(_, item, _)| item.ssm_param.clone()).collect();
        let existing = inner
            .read_direct(&names)
            .await
            .into_iter()
            .map(|found| found.map(|p| p.map(|p| p.version)))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|source| Error::Store { what: "init".into(), source })?;
        for ((idx, mut item, raw), exists) in candidates.into_iter().zip(existing) {
            if exists.is_some() && !options.overwrite {
                item.version = exists;
                item.reason = Some("exists".into());
                plan.skipped.push(item);
                continue;
            }
            if !options.dry_run {
                let entry = inner.entry(idx).expect("entry");
                let request = PutRequest {
                    name: item.ssm_param.clone(),
                    value: raw,
                    param_type: item.param_type,
                    description: entry.description.clone(),
                    tags: entry.tags.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                    overwrite: exists.is_some(),
                };
                match inner.call_store(inner.store.put_parameter(&request)).await {
                    Ok(version) => {
                        inner.invalidate_everywhere(&[idx]);
                        tracing::info!(target: "ssmconf", key = %item.key, version, "Parameter updated in Parameter Store: {} (version {version})", item.ssm_param);
                        item.version = Some(version);
                    }
                    Err(e) => {
                        item.reason = Some(e.to_string());
                        plan.failed.push(item);
                        continue;
                    }
                }
            }
            if exists.is_some() { plan.overwritten.push(item) } else { plan.created.push(item) }
        }
        Ok(plan)
    }

    /// Checks the store against the schema: every `required` entry resolves
    /// (environment, SSM or default), and every value in SSM (and in an
    /// entry's environment variable) decodes and is allowed. Reads the store
    /// directly, not the cache, and changes nothing.
    ///
    /// # Errors
    /// [`Error::Store`] only when the store cannot be reached at all.
    pub async fn check(&self) -> Result<CheckReport> {
        let inner = &self.inner;
        let all: Vec<_> = inner.entries().collect();
        let (paths, entries): (Vec<_>, Vec<_>) = all.iter().copied().partition(|(_, e, _)| e.is_path());
        let names: Vec<String> = entries.iter().map(|(_, _, b)| b.name.full.clone()).collect();
        let found = inner.read_direct(&names).await;
        // An error only when the store cannot be reached at all: no request
        // answered, and a plain batch failed or the store was out of reach.
        // A forbidden or broken secret is a problem of its own entry.
        if !found.iter().any(Result::is_ok) {
            let unreachable = |e: &StoreError| {
                matches!(e.kind(), StoreErrorKind::Network | StoreErrorKind::Timeout | StoreErrorKind::Config)
            };
            let failures = || entries.iter().zip(&found).filter_map(|((_, _, b), f)| f.as_ref().err().map(|e| (b, e)));
            let fatal = failures()
                .find(|(b, _)| !b.name.is_secret_reference())
                .or_else(|| failures().find(|(_, e)| unreachable(e)));
            if let Some((_, source)) = fatal {
                return Err(Error::Store { what: "check".into(), source: source.clone() });
            }
        }
        let mut report = CheckReport { checked: all.len(), problems: Vec::new() };
        for &(idx, entry, bound) in &paths {
            report.problems.extend(crate::path_admin::check(inner, idx, entry, bound).await);
        }
        for ((idx, entry, bound), fetched) in entries.into_iter().zip(found) {
            let key = inner.key(idx);
            let problem = |kind, message: String| Problem {
                key: key.to_string(),
                ssm_param: bound.name.full.clone(),
                kind,
                message,
            };
            let env_value = entry.env.as_ref().and_then(|var| std::env::var(var).ok().map(|v| (var, v)));
            if let Some((var, raw)) = &env_value
                && let Err(reason) = entry.decode(raw)
            {
                report.problems.push(problem(ProblemKind::Invalid, format!("environment variable {var}: {reason}")));
            }
            let in_ssm = match fetched {
                Ok(Some(param)) => match entry.decode_stored(&param.value) {
                    Ok(_) => true,
                    Err(reason) => {
                        report
                            .problems
                            .push(problem(ProblemKind::Invalid, format!("version {}: {reason}", param.version)));
                        true
                    }
                },
                Ok(None) => false,
                Err(e) => {
                    report.problems.push(problem(ProblemKind::Unreadable, e.to_string()));
                    continue;
                }
            };
            if entry.required && !in_ssm && env_value.is_none() && entry.default.is_none() {
                report.problems.push(problem(
                    ProblemKind::Missing,
                    "required, but not in SSM and no default: set it with `put` or `ssmconf put`".into(),
                ));
            }
        }
        // In schema order (path entries were read first).
        report.problems.sort_by_key(|p| inner.schema.inner.index.get(&p.key).copied());
        Ok(report)
    }

    /// The versions of `key`'s parameter, newest first. Values of secure
    /// entries are masked.
    ///
    /// # Errors
    /// [`Error::UnknownKey`]; [`Error::Validation`] for a literal;
    /// [`Error::Store`] when the store fails.
    pub async fn history(&self, key: &str) -> Result<Vec<HistoryEntry>> {
        let idx = self.index(key)?;
        let inner = &self.inner;
        let (Some(entry), Some(bound)) = (inner.entry(idx), inner.bound(idx)) else {
            return Err(Error::validation(key, "a literal in the schema has no history in SSM"));
        };
        if entry.is_path() {
            return Err(crate::path_admin::refuse(key, bound, "listed by version"));
        }
        if bound.name.is_secret_reference() {
            return Err(Error::validation(key, secret_read_only(&bound.name.full, "listed by version here")));
        }
        let mut versions = inner
            .call_store(inner.store.parameter_history(&bound.name.plain))
            .await
            .map_err(|source| Error::Store { what: format!("`{key}` ({})", bound.name.plain), source })?;
        versions.sort_by_key(|v| std::cmp::Reverse(v.version));
        Ok(versions
            .into_iter()
            .map(|v| HistoryEntry {
                version: v.version,
                value: if entry.secure || v.param_type == ParamType::SecureString { MASK.to_string() } else { v.value },
                param_type: v.param_type,
                modified_at: v.last_modified,
                modified_by: v.modified_by,
                description: v.description,
                labels: v.labels,
            })
            .collect())
    }
}
