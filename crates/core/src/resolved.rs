//! Provenance: where a value came from ([`Source`], [`Resolved`]) and the
//! resolver's counters ([`Stats`]).

use std::fmt;
use std::path::PathBuf;
use std::time::SystemTime;

use serde::Serialize;

use crate::Value;

/// The step of the fallback chain that answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Source {
    /// The entry's environment variable.
    Env,
    /// The cache (only in a [`Step`]; a cached value answers as `Ssm`).
    Cache,
    /// Parameter Store, fresh or from the cache.
    Ssm,
    /// The shared cache: a value another process fetched from Parameter
    /// Store less than its TTL ago (fresh, or from this process's cache).
    Shared,
    /// The last value SSM gave, served because a fetch failed.
    Stale,
    /// The schema's `default`.
    Default,
    /// The default passed to the call.
    Caller,
    /// A literal in the schema.
    Literal,
    /// Nothing answered.
    None,
}

impl Source {
    /// The lowercase name: `env`, `ssm`, `shared`, `stale`, `default`,
    /// `caller`, `literal`, `none` (and `cache` for a step).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Env => "env",
            Source::Cache => "cache",
            Source::Ssm => "ssm",
            Source::Shared => "shared",
            Source::Stale => "stale",
            Source::Default => "default",
            Source::Caller => "caller",
            Source::Literal => "literal",
            Source::None => "none",
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What one step of the chain found, in words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// The step.
    pub source: Source,
    /// What it found ("not set", "parameter does not exist", ...). Never a
    /// secure value.
    pub found: String,
}

/// A value with its provenance, as returned by
/// [`Resolver::explain`](crate::Resolver::explain).
///
/// A secure value is masked as `"***"`; `Debug` shows the same.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Resolved {
    /// The dotted key.
    pub key: String,
    /// The value (`"***"` when the entry is secure), or `None`.
    pub value: Option<Value>,
    /// The step that answered.
    pub source: Source,
    /// The SSM name, placeholders filled (none for a literal).
    pub ssm_param: Option<String>,
    /// The parameter's version, when SSM answered (now or before, for stale);
    /// `None` for a path entry.
    pub version: Option<i64>,
    /// For a path entry (`ssm_path`): how many parameters the mapping
    /// holds (SSM's, the default's or the environment's). `None` for
    /// other keys.
    pub parameters: Option<usize>,
    /// When the value was fetched from SSM.
    pub fetched_at: Option<SystemTime>,
    /// When the cached fetch expires.
    pub expires_at: Option<SystemTime>,
    /// The error that made the value stale or fall back.
    pub error: Option<String>,
    /// The entry's description.
    pub description: Option<String>,
    /// The entry's `json_key`: the value is this member of the JSON object
    /// SSM holds.
    pub json_key: Option<String>,
    /// The schema file that declares the key.
    pub file: Option<PathBuf>,
    /// The line of the key in that file.
    pub line: Option<usize>,
    /// Whether the entry is secure (and `value` masked).
    pub secure: bool,
    /// Every step of the chain that was looked at, in order.
    pub steps: Vec<Step>,
}

/// Counters of a resolver, shared by its clones.
///
/// Every read of an SSM-backed key that no environment variable overrides
/// counts one `hit` or one `miss`. `ssm_calls` counts requests to the store
/// (one per `GetParameters` batch; the SDK's retries inside one request do
/// not count), `ssm_errors` the requests that failed. `stale_served` and
/// `defaults_served` count reads answered by steps 4 and 5-6.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Reads answered from the cache.
    pub hits: u64,
    /// Reads that had to ask the store (or wait for a request in flight).
    pub misses: u64,
    /// Requests sent to the store.
    pub ssm_calls: u64,
    /// Requests to the store that failed.
    pub ssm_errors: u64,
    /// Reads answered with a stale value.
    pub stale_served: u64,
    /// Reads answered with the schema's or the caller's default.
    pub defaults_served: u64,
    /// Reads that the shared cache answered (another process's fetch).
    pub shared_hits: u64,
    /// Shared cache requests that failed or timed out, and values read
    /// from it that were refused (garbled, not authenticated, or not valid
    /// for their entry).
    pub shared_errors: u64,
}
