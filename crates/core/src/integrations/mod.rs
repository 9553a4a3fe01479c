//! Providers for the Rust configuration crates, each behind a cargo feature
//! (off by default): [`figment`] (feature `figment`) and [`config_rs`]
//! (feature `config-rs`).
//!
//! Both read the resolver's whole tree ([`Resolver::extract_value`]): groups
//! become nested tables, every key resolved through the fallback chain, keys
//! with no value left out. Schema defaults and literals are values too;
//! `.store_only(true)` keeps only what the store gave, so that a source
//! merged before (a TOML file) answers where SSM has nothing. Secure entries
//! are left out unless the provider is told to include them
//! (`.secure(true)`), because both crates quote the offending value in a
//! type error.
//!
//! [`Resolver::extract_value`]: crate::Resolver::extract_value

#[cfg(feature = "config-rs")]
pub mod config_rs;
#[cfg(feature = "figment")]
pub mod figment;
#[cfg(any(feature = "figment", feature = "config-rs"))]
mod tree;
