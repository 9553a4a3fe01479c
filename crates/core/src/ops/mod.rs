//! Operations of the deploy pipeline, over a whole schema or between
//! stages: the environment of `exec`, `import`, `promote` and `rollback`.
//!
//! Each has its own report type; none ever holds a secure value in clear,
//! except [`EnvVars`], whose purpose is to hand values to a child process.

mod env;
mod import;
mod import_file;
mod promote;
mod rollback;

pub use env::{EnvVar, EnvVars, env_name, env_text};
pub use import::{ImportItem, ImportOptions, ImportPlan};
pub use import_file::ImportFormat;
pub use promote::{PromoteItem, PromoteOptions, PromoteReport};
pub use rollback::RollbackReport;

use crate::error::{Error, Result, Suggestion};
use crate::resolver::Resolver;
use crate::schema::nearest;

/// The mask shown for a secure value.
pub(crate) const MASK: &str = "***";

/// True when `key` lies under `prefix`: the key itself, or a key of the
/// group it names (`models` and `models.` both select `models.basic`).
pub(crate) fn under_prefix(key: &str, prefix: &str) -> bool {
    match prefix.strip_suffix('.') {
        Some(group) => key.strip_prefix(group).is_some_and(|rest| rest.starts_with('.')),
        None => key == prefix || key.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('.')),
    }
}

/// The schema leaves (indices, in schema order) that `only` selects; every
/// leaf when `only` is empty. A prefix that selects nothing is an error
/// with the nearest key, so a typo never silently selects nothing.
pub(crate) fn select<S: AsRef<str>>(resolver: &Resolver, only: &[S]) -> Result<Vec<usize>> {
    let schema = resolver.schema();
    for prefix in only.iter().map(AsRef::as_ref) {
        if !schema.keys().any(|k| under_prefix(k, prefix)) {
            let near = nearest(prefix.trim_end_matches('.'), schema.keys()).map(str::to_string);
            return Err(Error::UnknownKey { key: prefix.to_string(), suggestion: Suggestion(near) });
        }
    }
    Ok(schema
        .keys()
        .enumerate()
        .filter(|(_, k)| only.is_empty() || only.iter().any(|p| under_prefix(k, p.as_ref())))
        .map(|(i, _)| i)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_select_keys_and_groups_never_parts_of_names() {
        assert!(under_prefix("models.basic", "models"));
        assert!(under_prefix("models.basic", "models."));
        assert!(under_prefix("models.basic", "models.basic"));
        assert!(!under_prefix("models_x.basic", "models"));
        assert!(!under_prefix("models.basic_x", "models.basic"));
        assert!(!under_prefix("models", "models."));
    }
}
