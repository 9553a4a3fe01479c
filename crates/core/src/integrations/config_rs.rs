//! [config-rs] sources over a [`Resolver`] (feature `config-rs`):
//! [`SsmconfSource`], an `AsyncSource` that resolves the tree on every
//! `build().await`, and [`SsmconfSnapshot`], a `Source` for the synchronous
//! builder, resolved once.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use config::{Config, File, FileFormat};
//! use ssmconf::{MemoryStore, Resolver, Schema};
//! use ssmconf::integrations::config_rs::SsmconfSource;
//!
//! let schema = Schema::from_yaml_str(
//!     "models:\n  default_basic:\n    ssm_param: /app/models/default_basic\n    default: GPT_4O\n",
//!     "inline.yml",
//! )?;
//! let store = MemoryStore::from_values([("/app/models/default_basic", "CLAUDE_OPUS_4_5")]);
//! let resolver = Resolver::builder(schema).store(store).build()?;
//!
//! let config = Config::builder()
//!     .add_source(File::from_str("port = 8080\n[models]\ndefault_basic = \"GPT_5_MINI\"", FileFormat::Toml))
//!     .add_async_source(SsmconfSource::new(resolver.clone()))   // SSM over the TOML file
//!     .build()
//!     .await
//!     .unwrap();
//! assert_eq!(config.get_string("models.default_basic").unwrap(), "CLAUDE_OPUS_4_5");
//! assert_eq!(config.get_int("port").unwrap(), 8080);
//!
//! // The synchronous builder takes a snapshot.
//! let snapshot = SsmconfSource::new(resolver).snapshot().await?;
//! let config = Config::builder().add_source(snapshot).build().unwrap();
//! assert_eq!(config.get_string("models.default_basic").unwrap(), "CLAUDE_OPUS_4_5");
//! # Ok::<(), ssmconf::Error>(()) }).unwrap();
//! ```
//!
//! [config-rs]: https://docs.rs/config

use config::{ConfigError, Map, Value as ConfigValue, ValueKind};

use super::tree::{Selection, Snapshot};
use crate::{Resolver, Value};

/// The values of a [`Resolver`] as a config-rs `AsyncSource`, resolved on
/// every build: groups are tables, keys with no value are left out (so a
/// lower source's value stays), secure entries too unless
/// [`secure(true)`](Self::secure). Each value's origin is its SSM name, so
/// config-rs's errors say where a bad value came from.
///
/// Schema defaults and literals are values too, and win over the sources
/// added before this one; [`store_only(true)`](Self::store_only) keeps only
/// what the store gave.
#[derive(Debug, Clone)]
pub struct SsmconfSource {
    resolver: Resolver,
    selection: Selection,
}

impl SsmconfSource {
    /// A source over `resolver` (a clone shares its cache), secure entries
    /// left out.
    #[must_use]
    pub fn new(resolver: Resolver) -> Self {
        SsmconfSource { resolver, selection: Selection::default() }
    }

    /// Whether secure entries are included. config-rs quotes a value that
    /// does not fit its field in its error: give secure entries types that
    /// always fit (a `String`).
    #[must_use]
    pub fn secure(mut self, include: bool) -> Self {
        self.selection.secure = include;
        self
    }

    /// Only values the store gave (`ssm`, or `stale` while it fails): no
    /// schema defaults, literals or `env` overrides, so that a source added
    /// before this one (a TOML file) answers where SSM has nothing.
    #[must_use]
    pub fn store_only(mut self, only: bool) -> Self {
        self.selection.store_only = only;
        self
    }

    /// The values now, as a synchronous `Source`.
    ///
    /// # Errors
    /// As [`Resolver::extract_value`]: a failing store is not an error (its
    /// keys fall back through the chain).
    pub async fn snapshot(&self) -> crate::Result<SsmconfSnapshot> {
        let snapshot = Snapshot::take(&self.resolver, self.selection).await?;
        Ok(SsmconfSnapshot { map: table(&snapshot) })
    }
}

#[async_trait::async_trait]
impl config::AsyncSource for SsmconfSource {
    async fn collect(&self) -> Result<Map<String, ConfigValue>, ConfigError> {
        let snapshot =
            Snapshot::take(&self.resolver, self.selection).await.map_err(|e| ConfigError::Foreign(Box::new(e)))?;
        Ok(table(&snapshot))
    }
}

/// A [`Resolver`]'s values resolved once ([`SsmconfSource::snapshot`]), as
/// a config-rs `Source` for the synchronous `ConfigBuilder`.
#[derive(Debug, Clone)]
pub struct SsmconfSnapshot {
    map: Map<String, ConfigValue>,
}

impl config::Source for SsmconfSnapshot {
    fn clone_into_box(&self) -> Box<dyn config::Source + Send + Sync> {
        Box::new(self.clone())
    }

    fn collect(&self) -> Result<Map<String, ConfigValue>, ConfigError> {
        Ok(self.map.clone())
    }
}

/// The top-level table of a snapshot.
fn table(snapshot: &Snapshot) -> Map<String, ConfigValue> {
    match convert(snapshot, "", &snapshot.tree).kind {
        ValueKind::Table(map) => map,
        _ => Map::new(),
    }
}

fn convert(snapshot: &Snapshot, key: &str, value: &Value) -> ConfigValue {
    let origin = Some(format!("ssmconf: {}", snapshot.describe(key)));
    let kind = match value {
        Value::Null => ValueKind::Nil,
        Value::Bool(b) => ValueKind::Boolean(*b),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => ValueKind::I64(i),
            (None, Some(u)) => ValueKind::U64(u),
            _ => ValueKind::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Value::String(s) => ValueKind::String(s.clone()),
        Value::Array(items) => ValueKind::Array(items.iter().map(|v| convert(snapshot, key, v)).collect()),
        Value::Object(members) => ValueKind::Table(
            members
                .iter()
                .map(|(name, v)| {
                    let child = if key.is_empty() { name.clone() } else { format!("{key}.{name}") };
                    (name.clone(), convert(snapshot, &child, v))
                })
                .collect(),
        ),
    };
    ConfigValue::new(origin.as_ref(), kind)
}
