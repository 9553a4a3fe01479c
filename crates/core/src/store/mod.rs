//! Where parameters live: the [`ParameterStore`] trait and the shipped stores.

mod file;
mod memory;
#[cfg(feature = "ssm")]
mod ssm;

use std::fmt;
use std::time::SystemTime;

use async_trait::async_trait;

pub use file::FileStore;
pub use memory::MemoryStore;
#[cfg(feature = "ssm")]
pub use ssm::{SsmStore, SsmStoreBuilder};

use crate::error::StoreError;

/// The SSM parameter types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub enum ParamType {
    /// `String`.
    String,
    /// `StringList` (comma-separated).
    StringList,
    /// `SecureString` (encrypted with KMS).
    SecureString,
}

impl ParamType {
    /// The SSM name of the type.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ParamType::String => "String",
            ParamType::StringList => "StringList",
            ParamType::SecureString => "SecureString",
        }
    }
}

impl fmt::Display for ParamType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parameter as a store returns it. `Debug` masks the value of a
/// `SecureString`.
#[derive(Clone, PartialEq)]
pub struct Parameter {
    /// The name asked for, selector included (`/a/b:3`).
    pub name: String,
    /// The raw value (decrypted for a `SecureString`).
    pub value: String,
    /// The version.
    pub version: i64,
    /// The type.
    pub param_type: ParamType,
    /// When it was last changed, if the store knows.
    pub last_modified: Option<SystemTime>,
}

impl fmt::Debug for Parameter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.param_type == ParamType::SecureString { &"***" } else { &self.value };
        f.debug_struct("Parameter")
            .field("name", &self.name)
            .field("value", value)
            .field("version", &self.version)
            .field("param_type", &self.param_type)
            .field("last_modified", &self.last_modified)
            .finish()
    }
}

/// A write: `PutParameter`.
#[derive(Clone, PartialEq)]
pub struct PutRequest {
    /// The plain name (no selector).
    pub name: String,
    /// The raw value.
    pub value: String,
    /// The type to write.
    pub param_type: ParamType,
    /// The description, if any.
    pub description: Option<String>,
    /// Tags to set.
    pub tags: Vec<(String, String)>,
    /// Replace an existing parameter. When false and the parameter exists,
    /// the store answers [`StoreErrorKind::Rejected`](crate::StoreErrorKind::Rejected).
    pub overwrite: bool,
}

impl fmt::Debug for PutRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.param_type == ParamType::SecureString { &"***" } else { &self.value };
        f.debug_struct("PutRequest")
            .field("name", &self.name)
            .field("value", value)
            .field("param_type", &self.param_type)
            .field("description", &self.description)
            .field("tags", &self.tags)
            .field("overwrite", &self.overwrite)
            .finish()
    }
}

/// One version of a parameter, from its history. `Debug` masks the value
/// of a `SecureString`.
#[derive(Clone, PartialEq)]
pub struct ParameterVersion {
    /// The version.
    pub version: i64,
    /// The raw value.
    pub value: String,
    /// The type.
    pub param_type: ParamType,
    /// When this version was written.
    pub last_modified: Option<SystemTime>,
    /// Who wrote it (an ARN), if the store knows.
    pub modified_by: Option<String>,
    /// The description at that version.
    pub description: Option<String>,
    /// Labels attached to this version.
    pub labels: Vec<String>,
}

impl fmt::Debug for ParameterVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.param_type == ParamType::SecureString { &"***" } else { &self.value };
        f.debug_struct("ParameterVersion")
            .field("version", &self.version)
            .field("value", value)
            .field("param_type", &self.param_type)
            .field("last_modified", &self.last_modified)
            .field("modified_by", &self.modified_by)
            .field("labels", &self.labels)
            .finish()
    }
}

/// The version a selector picks from a parameter's history (oldest first):
/// the latest without one, `:N` by number, `:label` by label. Shared by the
/// stores that keep history themselves.
pub(crate) fn select_version<'a, V>(
    versions: &'a [V],
    selector: Option<&str>,
    version: impl Fn(&V) -> i64,
    labels: impl Fn(&V) -> &[String],
) -> Option<&'a V> {
    match selector {
        None => versions.last(),
        Some(s) => match s.parse::<i64>() {
            Ok(n) => versions.iter().find(|v| version(v) == n),
            Err(_) => versions.iter().find(|v| labels(v).iter().any(|l| l == s)),
        },
    }
}

/// A place parameters live in: SSM, memory, a file, or your own.
///
/// Implementations must be cheap to share (`Arc<dyn ParameterStore>`) and
/// safe to call from many tasks at once. A store never logs values. A store
/// that holds connections makes new ones in a child of `fork()`: see
/// [`fork::generation`](crate::fork::generation).
///
/// ```
/// use async_trait::async_trait;
/// use ssmconf::{Parameter, ParameterStore, ParameterVersion, PutRequest, StoreError, StoreErrorKind};
///
/// #[derive(Debug)]
/// struct Empty;
///
/// #[async_trait]
/// impl ParameterStore for Empty {
///     async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
///         Ok(vec![None; names.len()])
///     }
///     async fn put_parameter(&self, _: &PutRequest) -> Result<i64, StoreError> {
///         Err(StoreError::new(StoreErrorKind::Rejected, "read only"))
///     }
///     async fn parameter_history(&self, _: &str) -> Result<Vec<ParameterVersion>, StoreError> {
///         Ok(Vec::new())
///     }
/// }
/// ```
#[async_trait]
pub trait ParameterStore: fmt::Debug + Send + Sync {
    /// The most names one [`get_parameters`](Self::get_parameters) call
    /// takes (SSM's `GetParameters` takes 10).
    fn max_batch(&self) -> usize {
        10
    }

    /// Fetches `names` (at most [`max_batch`](Self::max_batch), each
    /// possibly with a `:version` or `:label` selector) with decryption.
    /// Answers one slot per name, in order: `None` when the parameter (or
    /// the selected version) does not exist.
    ///
    /// # Errors
    /// A [`StoreError`] when the request as a whole failed.
    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError>;

    /// [`get_parameters`](Self::get_parameters) without decryption: a
    /// `SecureString` answers the value as the store holds it (SSM's
    /// ciphertext). For [`ParameterOptions::decrypt`](crate::ParameterOptions::decrypt)
    /// set to false.
    ///
    /// The default asks [`get_parameters`](Self::get_parameters): a store
    /// that keeps no ciphertext (memory, file) answers the plain value.
    ///
    /// # Errors
    /// As [`get_parameters`](Self::get_parameters).
    async fn get_parameters_encrypted(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        self.get_parameters(names).await
    }

    /// Fetches one name with decryption, in a request of its own: SSM's
    /// `GetParameter`. The resolver reads each Secrets Manager reference
    /// (`/aws/reference/secretsmanager/...`) this way, never batched, so
    /// that a missing or forbidden secret fails only its own entry.
    /// Answers `None` when the parameter, the secret or the selected
    /// version does not exist. The answer carries the name asked for,
    /// whatever name the store answered under.
    ///
    /// The default asks [`get_parameters`](Self::get_parameters) for the
    /// one name.
    ///
    /// # Errors
    /// A [`StoreError`] when the request failed.
    async fn get_parameter(&self, name: &str) -> Result<Option<Parameter>, StoreError> {
        let found = self.get_parameters(std::slice::from_ref(&name.to_string())).await?;
        Ok(found.into_iter().next().flatten().map(|p| Parameter { name: name.to_string(), ..p }))
    }

    /// Writes one parameter and answers its new version.
    ///
    /// # Errors
    /// A [`StoreError`]; `Rejected` when it exists and `overwrite` is false.
    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError>;

    /// The versions of a parameter, oldest first as SSM gives them.
    /// An unknown name answers an empty list.
    ///
    /// # Errors
    /// A [`StoreError`] when the request failed.
    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError>;

    /// A name for where this store's parameters live, which scopes the
    /// shared cache's entries: two stores with different scopes never share
    /// one. `None` (the default) keeps a resolver on this store out of the
    /// shared cache unless it is given a namespace.
    async fn cache_scope(&self) -> Option<String> {
        None
    }

    /// One page of SSM's `GetParametersByPath`: parameters whose names lie
    /// under `path` (a hierarchy such as `/app/dev/flags`, with or without
    /// the trailing `/`), at their latest version, decrypted. With
    /// `recursive`, at any depth; without, only the level just below.
    /// `next_token` is the token of the previous page (`None` for the
    /// first); the answer's `next_token` is `None` on the last page. A page
    /// may be short, or empty, and still have a next one (SSM does both),
    /// so callers read until the token runs out.
    ///
    /// The default answers an error: a store that cannot list.
    ///
    /// # Errors
    /// A [`StoreError`] when the request failed or the store cannot list.
    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        let _ = (recursive, next_token);
        Err(StoreError::new(
            crate::StoreErrorKind::Other,
            format!("this store cannot list the parameters under {path}"),
        ))
    }

    /// [`parameters_by_path_page`](Self::parameters_by_path_page) without
    /// decryption (a `SecureString` as the store holds it). The default
    /// asks `parameters_by_path_page`.
    ///
    /// # Errors
    /// As [`parameters_by_path_page`](Self::parameters_by_path_page).
    async fn parameters_by_path_page_encrypted(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<ParameterPage, StoreError> {
        self.parameters_by_path_page(path, recursive, next_token).await
    }

    /// Every parameter under `path`: every page of
    /// [`parameters_by_path_page`](Self::parameters_by_path_page), in order.
    /// `diff` uses it to find parameters that no schema entry names.
    ///
    /// # Errors
    /// The first page's [`StoreError`].
    async fn parameters_by_path(&self, path: &str, recursive: bool) -> Result<Vec<Parameter>, StoreError> {
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let page = self.parameters_by_path_page(path, recursive, token.as_deref()).await?;
            found.extend(page.parameters);
            match page.next_token {
                Some(next) => token = Some(next),
                None => return Ok(found),
            }
        }
    }
}

/// One page of a listing by path
/// ([`ParameterStore::parameters_by_path_page`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ParameterPage {
    /// The parameters on this page (possibly none).
    pub parameters: Vec<Parameter>,
    /// The token of the next page; `None` on the last.
    pub next_token: Option<String>,
}

/// The most parameters a page of `GetParametersByPath` holds.
pub const PATH_PAGE_SIZE: usize = 10;

/// True when `name` lies under `path` (with or without its trailing `/`):
/// at any depth with `recursive`, else just below. For stores that filter
/// their own maps.
pub(crate) fn under_path_at(path: &str, name: &str, recursive: bool) -> bool {
    let prefix = path.trim_end_matches('/');
    let Some(rest) = name.strip_prefix(prefix).and_then(|r| r.strip_prefix('/')) else {
        return false;
    };
    !rest.is_empty() && (recursive || !rest.contains('/'))
}

/// A page of `sorted` (the store's listing, names in order) as SSM would
/// give it: [`PATH_PAGE_SIZE`] at a time, the token being the offset of
/// the next page.
pub(crate) fn page_of(sorted: Vec<Parameter>, next_token: Option<&str>) -> Result<ParameterPage, StoreError> {
    let start = match next_token {
        None => 0,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|&s| s <= sorted.len())
            .ok_or_else(|| StoreError::new(crate::StoreErrorKind::Rejected, format!("invalid NextToken `{t}`")))?,
    };
    let end = (start + PATH_PAGE_SIZE).min(sorted.len());
    let next_token = (end < sorted.len()).then(|| end.to_string());
    Ok(ParameterPage { parameters: sorted.into_iter().skip(start).take(end - start).collect(), next_token })
}
