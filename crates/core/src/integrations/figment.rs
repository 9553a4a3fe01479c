//! A [figment] [`Provider`] over a [`Resolver`] (feature `figment`).
//!
//! figment's providers are synchronous, ssmconf's reads are not: the
//! provider is a snapshot, taken with [`SsmconfProvider::new`] (which
//! resolves every key, fetching in batches) and read by figment as often as
//! it likes. Take a new one to see newer values.
//!
//! ```
//! # tokio::runtime::Runtime::new().unwrap().block_on(async {
//! use figment::{Figment, providers::{Format, Toml}};
//! use ssmconf::{MemoryStore, Resolver, Schema};
//! use ssmconf::integrations::figment::SsmconfProvider;
//!
//! #[derive(serde::Deserialize)]
//! struct Config { models: Models, port: u16 }
//! #[derive(serde::Deserialize)]
//! struct Models { default_basic: String }
//!
//! let schema = Schema::from_yaml_str(
//!     "models:\n  default_basic:\n    ssm_param: /app/models/default_basic\n    default: GPT_4O\n",
//!     "inline.yml",
//! )?;
//! let store = MemoryStore::from_values([("/app/models/default_basic", "CLAUDE_OPUS_4_5")]);
//! let resolver = Resolver::builder(schema).store(store).build()?;
//!
//! let config: Config = Figment::new()
//!     .merge(Toml::string("port = 8080\n[models]\ndefault_basic = \"GPT_5_MINI\""))
//!     .merge(SsmconfProvider::new(&resolver).await?)   // SSM over the TOML file
//!     .extract()
//!     .unwrap();
//! assert_eq!(config.models.default_basic, "CLAUDE_OPUS_4_5");
//! assert_eq!(config.port, 8080);
//! # Ok::<(), ssmconf::Error>(()) }).unwrap();
//! ```
//!
//! [figment]: https://docs.rs/figment

use figment::value::{Dict, Map};
use figment::{Error, Metadata, Profile, Provider};

use super::tree::{Selection, Snapshot};
use crate::Resolver;

/// The values of a [`Resolver`], resolved at one moment, as a figment
/// [`Provider`]: groups are nested dictionaries, keys with no value are left
/// out (so a lower provider's value stays), secure entries too unless the
/// [builder](Self::builder) says otherwise.
///
/// Its [`Metadata`] is named `SSM Parameter Store (ssmconf)` and names each
/// key with its SSM name, so figment's errors read `... for key
/// "models.port (SSM /app/models/port)" in SSM Parameter Store (ssmconf)`.
#[derive(Debug, Clone)]
pub struct SsmconfProvider {
    snapshot: Snapshot,
    profile: Profile,
}

impl SsmconfProvider {
    /// Resolves every key of `resolver` through its whole chain (fetching
    /// what is not cached, a batch of names at a time) into a provider for
    /// figment's default profile. Secure entries are left out. Schema
    /// defaults and literals are values too: they win over the providers
    /// merged before this one; see [`SsmconfProviderBuilder::store_only`].
    ///
    /// # Errors
    /// As [`Resolver::extract_value`]: a failing store is not an error (its
    /// keys fall back through the chain).
    pub async fn new(resolver: &Resolver) -> crate::Result<Self> {
        Self::builder(resolver).load().await
    }

    /// A builder, to include secure entries, keep only the store's values or
    /// pick the profile.
    pub fn builder(resolver: &Resolver) -> SsmconfProviderBuilder<'_> {
        SsmconfProviderBuilder { resolver, selection: Selection::default(), profile: Profile::Default }
    }
}

/// Builds an [`SsmconfProvider`]: `SsmconfProvider::builder(&resolver).store_only(true).load().await?`.
#[derive(Debug)]
#[must_use]
pub struct SsmconfProviderBuilder<'a> {
    resolver: &'a Resolver,
    selection: Selection,
    profile: Profile,
}

impl SsmconfProviderBuilder<'_> {
    /// Include secure entries. figment quotes a value that does not fit
    /// its field in its error: give secure entries types that always fit
    /// (a `String`).
    pub fn secure(mut self, include: bool) -> Self {
        self.selection.secure = include;
        self
    }

    /// Only values the store gave (`ssm`, or `stale` while it fails): no
    /// schema defaults, literals or `env` overrides, so that a provider
    /// merged before this one (a TOML file) answers where SSM has nothing.
    pub fn store_only(mut self, only: bool) -> Self {
        self.selection.store_only = only;
        self
    }

    /// The values go to `profile` instead of figment's default profile.
    pub fn profile(mut self, profile: impl Into<Profile>) -> Self {
        self.profile = profile.into();
        self
    }

    /// Resolves the keys and takes the snapshot.
    ///
    /// # Errors
    /// As [`SsmconfProvider::new`].
    pub async fn load(self) -> crate::Result<SsmconfProvider> {
        Ok(SsmconfProvider { snapshot: Snapshot::take(self.resolver, self.selection).await?, profile: self.profile })
    }
}

impl Provider for SsmconfProvider {
    fn metadata(&self) -> Metadata {
        let snapshot = self.snapshot.clone();
        Metadata::named("SSM Parameter Store (ssmconf)")
            .interpolater(move |_profile: &Profile, keys: &[&str]| snapshot.describe(&keys.join(".")))
    }

    fn data(&self) -> Result<Map<Profile, Dict>, Error> {
        figment::providers::Serialized::from(&self.snapshot.tree, self.profile.clone()).data()
    }

    fn profile(&self) -> Option<Profile> {
        Some(self.profile.clone())
    }
}
