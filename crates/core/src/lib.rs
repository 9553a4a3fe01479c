//! Typed configuration from AWS SSM Parameter Store, cached with a TTL, behind
//! a fallback chain.
//!
//! A YAML [`Schema`] says which keys exist, where each lives in SSM, its
//! default and its type. A [`Resolver`] fetches values from a
//! [`ParameterStore`] ([`SsmStore`], [`MemoryStore`], [`FileStore`] or your own), caches
//! them, and walks the fallback chain so that a service always gets a valid
//! value, even while SSM is slow, throttled or down:
//!
//! | step | answers with |
//! |---|---|
//! | 1. `env` | the entry's environment variable, when set |
//! | 2. cache | a value fetched less than its TTL ago |
//! | 3. `ssm` | a fetch (concurrent readers share one request) |
//! | 4. `stale` | the last value SSM gave, when the fetch failed |
//! | 5. `default` | the schema's `default` |
//! | 6. `caller` | the default passed to [`Resolver::get_or`] |
//! | 7. `none` | `get` answers `None`, `require` fails with [`Error::NotFound`] |
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use ssmconf::{MemoryStore, Resolver, Schema};
//!
//! let schema = Schema::from_yaml_str(r#"
//! models:
//!   default_basic:
//!     ssm_param: /purposepath/{stage}/models/default_basic
//!     default: CLAUDE_3_5_SONNET_V2
//!     ttl: 5m
//! training:
//!   epochs: 3
//! "#, "config.yml")?;
//! let resolver = Resolver::builder(schema)
//!     .var("stage", "dev")
//!     .store(MemoryStore::new())          // SsmStore::from_env().await in production
//!     .build()?;
//!
//! let model: String = resolver.require("models.default_basic").await?;
//! assert_eq!(model, "CLAUDE_3_5_SONNET_V2");      // the schema default: SSM has none
//! let epochs: u32 = resolver.require("training.epochs").await?;
//! assert_eq!(epochs, 3);                          // a literal
//!
//! resolver.put("models.default_basic", "GPT_4O").await?;
//! let why = resolver.explain("models.default_basic").await?;
//! assert_eq!(why.source.as_str(), "ssm");
//! assert_eq!(why.value, Some("GPT_4O".into()));
//! # Ok::<(), ssmconf::Error>(()) }).unwrap();
//! ```
//!
//! Logs go through `tracing` with the target `ssmconf`. A secure value never
//! appears in a log line, an error, `Debug`, or [`Resolver::explain`].
#![deny(missing_docs)]

mod admin;
mod diff;
mod error;
mod events;
pub mod fork;
pub mod integrations;
mod json_key;
mod metrics;
mod ops;
mod resolved;
mod resolver;
mod schema;
#[cfg(feature = "shared")]
mod shared;
mod store;
mod value;

pub use admin::{CheckReport, HistoryEntry, InitOptions, InitPlan, PlanItem, Problem, ProblemKind};
pub use diff::{DiffItem, DiffReport, DiffStatus, Unnamed};
pub use error::{Error, Location, Result, StoreError, StoreErrorKind, Suggestion};
pub use ops::{
    EnvVar, EnvVars, ImportFormat, ImportItem, ImportOptions, ImportPlan, PromoteItem, PromoteOptions, PromoteReport,
    RollbackReport, env_name, env_text,
};
pub use resolved::{Resolved, Source, Stats, Step};
pub use resolver::{
    Answer, Clock, Hit, HitStamp, LoadReport, MEMO_SLOTS, ManualClock, OpenValue, ParameterOptions, Resolver,
    ResolverBuilder, SystemClock,
};
pub use schema::Schema;
pub use store::{
    FileStore, MemoryStore, PATH_PAGE_SIZE, ParamType, Parameter, ParameterPage, ParameterStore, ParameterVersion,
    PutRequest,
};
#[cfg(feature = "ssm")]
pub use store::{SsmStore, SsmStoreBuilder};
pub use value::ValueType;

/// A configuration value: strings, numbers, bools, lists and JSON documents.
pub use serde_json::Value;

/// The AWS SDK's static credentials, for [`SsmStoreBuilder::credentials`].
#[cfg(feature = "ssm")]
pub use aws_sdk_ssm::config::Credentials;

#[doc = include_str!("../../../README.md")]
#[cfg(doctest)]
struct ReadmeDoctests;
