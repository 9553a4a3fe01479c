//! One error enum for the whole crate, and the store's own error.
//!
//! Messages never repeat their source (a `source()` chain carries the cause),
//! and never contain a secure value.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::resolved::Step;

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in ssmconf.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The schema could not be loaded, or the resolver's vars do not fit it.
    #[error("{location}: {}{message}", key_prefix(key))]
    Schema {
        /// File, line and column of the offending node.
        location: Location,
        /// Dotted key of the offending node (empty for the whole file).
        key: String,
        /// What is wrong and what to do.
        message: String,
    },
    /// The key is not in the schema.
    #[error("unknown key `{key}`{suggestion}")]
    UnknownKey {
        /// The key that was asked for.
        key: String,
        /// The nearest known key, if one is close.
        suggestion: Suggestion,
    },
    /// Every step of the fallback chain came up empty.
    #[error("no value for `{key}`{}: {}", ssm_suffix(ssm_param), StepsDisplay(steps))]
    NotFound {
        /// The key that was asked for.
        key: String,
        /// The SSM name of the entry (none for a key with no entry).
        ssm_param: Option<String>,
        /// What each step of the chain found.
        steps: Vec<Step>,
    },
    /// A value did not decode, is not allowed, or does not fit the requested
    /// type. Never holds a secure value.
    #[error("invalid value for `{key}`: {reason}")]
    Validation {
        /// The key (or `{var}` for a resolver var).
        key: String,
        /// Why the value was refused.
        reason: String,
    },
    /// A name or path outside the schema that SSM would refuse.
    #[error("invalid parameter name `{name}`: {reason}")]
    InvalidName {
        /// The name or path as given.
        name: String,
        /// What SSM's rules say about it.
        reason: String,
    },
    /// The store failed and nothing fell back.
    #[error("parameter store failed for {what}")]
    Store {
        /// What was being done: a key, a name, or `load_all`.
        what: String,
        /// The store's error.
        #[source]
        source: StoreError,
    },
}

impl Error {
    /// True when retrying later may succeed (throttling, timeouts, network
    /// failures, server errors of the store).
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(self, Error::Store { source, .. } if source.is_transient())
    }

    pub(crate) fn schema(location: Location, key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Schema { location, key: key.into(), message: message.into() }
    }

    pub(crate) fn validation(key: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::Validation { key: key.into(), reason: reason.into() }
    }
}

fn key_prefix(key: &str) -> String {
    if key.is_empty() { String::new() } else { format!("`{key}`: ") }
}

fn ssm_suffix(name: &Option<String>) -> String {
    name.as_ref().map(|n| format!(" (SSM name {n})")).unwrap_or_default()
}

struct StepsDisplay<'a>(&'a [Step]);

impl fmt::Display for StepsDisplay<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{}: {}", step.source, step.found)?;
        }
        Ok(())
    }
}

/// Where in a schema file something is: file, 1-based line and column.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The schema file (or a name such as `<string>` for inline schemas).
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// A "did you mean" hint; displays as nothing when there is none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Suggestion(pub Option<String>);

impl fmt::Display for Suggestion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(s) => write!(f, "; did you mean `{s}`?"),
            None => Ok(()),
        }
    }
}

/// What kind of failure a store reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The store throttled the request (after retries).
    Throttled,
    /// A deadline passed.
    Timeout,
    /// The store could not be reached (connection refused, DNS, I/O).
    Network,
    /// The store answered with a server error (5xx).
    Service,
    /// The caller may not do this (AccessDenied, bad credentials, KMS).
    AccessDenied,
    /// The store rejected the request as malformed, or the parameter exists
    /// when it should not.
    Rejected,
    /// The value in the store does not decode or is not allowed.
    InvalidValue,
    /// The store is misconfigured (no region, no credentials, a bad file).
    Config,
    /// Anything else.
    Other,
}

impl StoreErrorKind {
    /// A short lowercase name (`throttled`, `timeout`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            StoreErrorKind::Throttled => "throttled",
            StoreErrorKind::Timeout => "timeout",
            StoreErrorKind::Network => "network",
            StoreErrorKind::Service => "service error",
            StoreErrorKind::AccessDenied => "access denied",
            StoreErrorKind::Rejected => "rejected",
            StoreErrorKind::InvalidValue => "invalid value",
            StoreErrorKind::Config => "configuration",
            StoreErrorKind::Other => "error",
        }
    }
}

/// An error from a [`ParameterStore`](crate::ParameterStore).
///
/// Cheap to clone (the cause sits behind an `Arc`), so one failed fetch can
/// be shared by every reader that waited on it and kept as the reason a value
/// is stale.
#[derive(Clone)]
pub struct StoreError {
    kind: StoreErrorKind,
    message: Arc<str>,
    source: Option<Arc<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// A new error of `kind` with a message (which must hold no secret).
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError { kind, message: Arc::from(message.into()), source: None }
    }

    /// Attaches the underlying cause.
    #[must_use]
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(Arc::new(source));
        self
    }

    /// The kind of failure.
    #[must_use]
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// The message, without the kind.
    #[must_use]
    pub fn message(&self) -> &str {
        &self.message
    }

    /// True for failures that may pass: throttling, timeouts, network and
    /// server errors. Access denied, rejected requests and bad values are
    /// permanent and are not retried.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        matches!(
            self.kind,
            StoreErrorKind::Throttled | StoreErrorKind::Timeout | StoreErrorKind::Network | StoreErrorKind::Service
        )
    }
}

impl fmt::Debug for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreError")
            .field("kind", &self.kind)
            .field("message", &self.message)
            .field("source", &self.source.as_ref().map(|s| s.to_string()))
            .finish()
    }
}

impl fmt::Display for StoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.as_str(), self.message)
    }
}

impl std::error::Error for StoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resolved::Source;

    fn assert_send_sync<T: Send + Sync + 'static>() {}

    #[test]
    fn errors_are_send_sync_and_small() {
        assert_send_sync::<Error>();
        assert_send_sync::<StoreError>();
        assert!(std::mem::size_of::<Error>() <= 96, "Error is {} bytes", std::mem::size_of::<Error>());
        assert!(std::mem::size_of::<StoreError>() <= 40);
    }

    #[test]
    fn schema_error_text() {
        let e = Error::schema(
            Location { file: "config/models.yml".into(), line: 3, column: 5 },
            "models.default_basic",
            "unknown field `ssm_parm`; did you mean `ssm_param`?",
        );
        assert_eq!(
            e.to_string(),
            "config/models.yml:3:5: `models.default_basic`: unknown field `ssm_parm`; did you mean `ssm_param`?"
        );
        let whole_file = Error::schema(Location { file: "a.yml".into(), line: 1, column: 1 }, "", "not a mapping");
        assert_eq!(whole_file.to_string(), "a.yml:1:1: not a mapping");
    }

    #[test]
    fn unknown_key_and_not_found_text() {
        let e = Error::UnknownKey {
            key: "models.defualt_basic".into(),
            suggestion: Suggestion(Some("models.default_basic".into())),
        };
        assert_eq!(e.to_string(), "unknown key `models.defualt_basic`; did you mean `models.default_basic`?");
        let e = Error::UnknownKey { key: "zzz".into(), suggestion: Suggestion(None) };
        assert_eq!(e.to_string(), "unknown key `zzz`");
        let e = Error::NotFound {
            key: "ec2.instance_id".into(),
            ssm_param: Some("/app/dev/ec2/instance-id".into()),
            steps: vec![
                Step { source: Source::Ssm, found: "parameter does not exist".into() },
                Step { source: Source::Default, found: "no default in the schema".into() },
            ],
        };
        assert_eq!(
            e.to_string(),
            "no value for `ec2.instance_id` (SSM name /app/dev/ec2/instance-id): ssm: parameter does not exist; default: no default in the schema"
        );
    }

    #[test]
    fn store_error_keeps_its_source_out_of_the_message() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused");
        let e = StoreError::new(StoreErrorKind::Network, "could not connect to http://127.0.0.1:1").with_source(io);
        assert_eq!(e.to_string(), "network: could not connect to http://127.0.0.1:1");
        assert_eq!(std::error::Error::source(&e).unwrap().to_string(), "refused");
        assert!(e.is_transient());
        let wrapped = Error::Store { what: "`a.b`".into(), source: e.clone() };
        assert_eq!(wrapped.to_string(), "parameter store failed for `a.b`");
        assert!(wrapped.is_transient());
        assert!(!StoreError::new(StoreErrorKind::AccessDenied, "no").is_transient());
    }
}
