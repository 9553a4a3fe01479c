//! The admin side of path entries (`ssm_path`): what `init`, `check`,
//! `diff`, `put` and `history` do with a hierarchy instead of one name.
//!
//! - `init` creates each leaf of the default: the path, `/`, the leaf's
//!   relative name (`default: {beta: {search: false}}` under `/app/dev/flags`
//!   is `/app/dev/flags/beta/search`), typed as the entry says.
//! - `check` lists the path and decodes every value, one problem per bad
//!   leaf; `required` means at least one parameter (or an `env` value or a
//!   default).
//! - `diff` compares leaf by leaf: each leaf of the default and each
//!   parameter under the path is one item, with the usual statuses
//!   (`missing`: in the default, not in SSM; `changed`: another value, or a
//!   parameter the default does not name).
//! - `put` and `history` refuse: a path entry is many parameters; write or
//!   list one of them by its SSM name.

use crate::admin::{PlanItem, Problem, ProblemKind};
use crate::diff::{DiffItem, DiffStatus};
use crate::error::Error;
use crate::resolver::{Bound, Inner, relative_name};
use crate::schema::Entry;
use crate::store::{ParamType, Parameter};
use crate::value::encode;

const MASK: &str = "***";

/// The refusal of `put` and `history` on a path entry.
pub(crate) fn refuse(key: &str, bound: &Bound, what: &str) -> Error {
    Error::validation(
        key,
        format!(
            "a path entry (ssm_path {path}) is every parameter under {path}, so it cannot be {what} as one; \
             name one parameter under it instead (`aws ssm put-parameter --name {path}/NAME`, \
             `set_parameter(\"{path}/NAME\", ...)` in Python, or an `ssm_param` entry for it)",
            path = bound.name.plain
        ),
    )
}

/// The full SSM name of a leaf.
fn leaf_name(bound: &Bound, relative: &str) -> String {
    format!("{}/{relative}", bound.name.plain)
}

/// `init`'s items for a path entry: one per leaf of the default, with the
/// text to write, or one `manual` item (no default) or `skipped` item
/// (read-only path) without. Answers (item, text to write): `None` text
/// for an item that goes to `manual` (reason set) or `failed`.
pub(crate) fn init_items(key: &str, entry: &Entry, bound: &Bound) -> Vec<(PlanItem, Result<String, ()>)> {
    let spec = entry.path.as_ref().expect("a path entry");
    let item = |ssm_param: String| PlanItem {
        key: key.to_string(),
        ssm_param,
        param_type: entry.param_type(),
        value: None,
        version: None,
        reason: None,
    };
    if spec.default_leaves.is_empty() {
        let mut manual = item(format!("{}/", bound.name.plain));
        manual.reason = Some("a path entry with no default: put parameters under the path".into());
        return vec![(manual, Err(()))];
    }
    spec.default_leaves
        .iter()
        .map(|(relative, value)| {
            let mut it = item(leaf_name(bound, relative));
            match encode(value, entry.value_type, entry.secure) {
                Ok(raw) => {
                    it.value = Some(if entry.secure { MASK.to_string() } else { raw.clone() });
                    (it, Ok(raw))
                }
                Err(reason) => {
                    it.reason = Some(format!("the default cannot be written: {reason}"));
                    (it, Err(()))
                }
            }
        })
        .collect()
}

/// `check` for a path entry: every value under the path decodes; with
/// `required`, at least one parameter (or an `env` value, or a default).
pub(crate) async fn check(inner: &Inner, idx: usize, entry: &Entry, bound: &Bound) -> Vec<Problem> {
    let key = inner.key(idx);
    let problem = |ssm_param: String, kind, message: String| Problem { key: key.to_string(), ssm_param, kind, message };
    let mut problems = Vec::new();
    let env_value = entry.env.as_ref().and_then(|var| std::env::var(var).ok().map(|v| (var, v)));
    if let Some((var, raw)) = &env_value
        && let Err(reason) = entry.decode(raw)
    {
        problems.push(problem(
            bound.name.plain.clone(),
            ProblemKind::Invalid,
            format!("environment variable {var}: {reason}"),
        ));
    }
    let params = match inner.read_path(idx).await {
        Ok(params) => params,
        Err(e) => {
            problems.push(problem(bound.name.plain.clone(), ProblemKind::Unreadable, e.to_string()));
            return problems;
        }
    };
    for p in &params {
        if let Err(reason) = crate::value::decode(&p.value, entry.value_type, entry.secure) {
            problems.push(problem(p.name.clone(), ProblemKind::Invalid, format!("version {}: {reason}", p.version)));
        }
    }
    let has_default = entry.path.as_ref().is_some_and(|s| !s.default_leaves.is_empty());
    if entry.required && params.is_empty() && env_value.is_none() && !has_default {
        problems.push(problem(
            format!("{}/", bound.name.plain),
            ProblemKind::Missing,
            "required, but no parameter under the path and no default: put at least one".into(),
        ));
    }
    problems
}

/// `diff` for a path entry: one item per leaf of the default and per
/// parameter under the path, in name order.
pub(crate) async fn diff(inner: &Inner, idx: usize, entry: &Entry, bound: &Bound) -> Vec<DiffItem> {
    let key = inner.key(idx).to_string();
    let expected_type = entry.param_type();
    let item = |ssm_param: String| DiffItem {
        key: key.clone(),
        ssm_param,
        expected_type,
        default: None,
        value: None,
        actual_type: None,
        version: None,
        status: DiffStatus::Missing,
        note: None,
    };
    let params: Vec<Parameter> = match inner.read_path(idx).await {
        Ok(params) => params,
        Err(e) => {
            let mut it = item(format!("{}/", bound.name.plain));
            it.status = DiffStatus::Unreadable;
            it.note = Some(e.to_string());
            return vec![it];
        }
    };
    let defaults = &entry.path.as_ref().expect("a path entry").default_leaves;
    let mut names: Vec<String> = defaults.iter().map(|(r, _)| leaf_name(bound, r)).collect();
    names.extend(params.iter().map(|p| p.name.clone()));
    names.sort();
    names.dedup();
    if names.is_empty() {
        let mut it = item(format!("{}/", bound.name.plain));
        it.note = Some("no parameter under the path, and no default".into());
        return vec![it];
    }
    names
        .into_iter()
        .map(|name| {
            let relative = relative_name(&bound.name.plain, &name).unwrap_or_default().to_string();
            let default = defaults.iter().find(|(r, _)| *r == relative).map(|(_, v)| v);
            let mut it = item(name.clone());
            it.default = default
                .and_then(|d| encode(d, entry.value_type, entry.secure).ok())
                .map(|raw| if entry.secure { MASK.to_string() } else { raw });
            let Some(param) = params.iter().find(|p| p.name == name) else { return it };
            let masked = entry.secure || param.param_type == ParamType::SecureString;
            it.value = Some(if masked { MASK.to_string() } else { param.value.clone() });
            it.actual_type = Some(param.param_type);
            it.version = Some(param.version);
            it.status = match crate::value::decode(&param.value, entry.value_type, entry.secure) {
                Err(reason) => {
                    it.note = Some(reason);
                    DiffStatus::Invalid
                }
                Ok(_) if param.param_type != expected_type => {
                    it.note =
                        Some(format!("the parameter is a {}; the schema says {}", param.param_type, expected_type));
                    DiffStatus::TypeMismatch
                }
                Ok(value) if default == Some(&value) => DiffStatus::Same,
                Ok(_) if default.is_none() => {
                    it.note = Some("under the path, not in the default".into());
                    DiffStatus::Changed
                }
                Ok(_) => DiffStatus::Changed,
            };
            it
        })
        .collect()
}
