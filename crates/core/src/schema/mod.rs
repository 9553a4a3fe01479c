//! The schema: which keys exist, where each lives in SSM, its default and type.
//!
//! [`Schema::load`] reads a YAML file or a directory of them; every error
//! names the file, line, column and dotted key.

mod entry;
mod load;
mod names;
mod suggest;
pub(crate) mod yaml;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub(crate) use entry::parse_ttl;
pub(crate) use names::{
    FilledName, NameTemplate, is_secret_reference, split_selector, validate_name, validate_var_value,
};
pub(crate) use suggest::nearest;

use crate::Value;
use crate::error::Location;
use crate::value::ValueType;

/// A loaded schema: entries (SSM-backed keys) and literals, by dotted key.
///
/// Cheap to clone (shared behind an `Arc`).
#[derive(Debug, Clone)]
pub struct Schema {
    pub(crate) inner: Arc<SchemaInner>,
}

#[derive(Debug)]
pub(crate) struct SchemaInner {
    /// Every leaf in document order (files in name order for a directory).
    pub(crate) leaves: Vec<Leaf>,
    /// Dotted key to index in `leaves` (Fx hashing: the keys come from the
    /// schema and the application, not from an attacker, and a lookup is on
    /// every read).
    pub(crate) index: rustc_hash::FxHashMap<String, usize>,
    /// Where the schema was loaded from.
    pub(crate) origin: PathBuf,
}

/// A leaf of the schema tree.
#[derive(Debug)]
pub(crate) struct Leaf {
    /// The dotted key (`models.default_basic`).
    pub(crate) key: String,
    /// Where the key is declared.
    pub(crate) location: Location,
    pub(crate) kind: LeafKind,
}

#[derive(Debug)]
pub(crate) enum LeafKind {
    /// A value kept in the schema, returned as it is.
    Literal(Arc<Value>),
    /// An SSM-backed entry.
    Entry(Box<Entry>),
}

/// An SSM-backed entry, as declared (placeholders not yet filled).
#[derive(Debug)]
pub(crate) struct Entry {
    /// `ssm_param`, parsed: placeholders and selector.
    pub(crate) name: NameTemplate,
    /// Where the `ssm_param` value is (for placeholder errors).
    pub(crate) name_location: Location,
    /// The decoded `default`.
    pub(crate) default: Option<Arc<Value>>,
    pub(crate) description: Option<String>,
    pub(crate) value_type: ValueType,
    pub(crate) secure: bool,
    pub(crate) required: bool,
    /// Decoded `allowed` values; for a `list`, each item must be one of them.
    pub(crate) allowed: Option<Vec<Value>>,
    pub(crate) env: Option<String>,
    pub(crate) ttl: Option<Duration>,
    pub(crate) tags: BTreeMap<String, String>,
    /// `json_key`: the value is this member of the JSON object SSM stores.
    pub(crate) json_key: Option<String>,
}

impl Entry {
    /// Decodes a raw SSM string as this entry's type and checks it against
    /// `allowed`: the one rule for values from SSM, the environment and `put`.
    /// The reason never shows a secure value.
    pub(crate) fn decode(&self, raw: &str) -> Result<Value, String> {
        let value = crate::value::decode(raw, self.value_type, self.secure)?;
        if let Some(allowed) = &self.allowed {
            crate::value::check_allowed(&value, allowed, self.secure)?;
        }
        Ok(value)
    }

    /// Decodes a value as the store holds it: with `json_key`, the member
    /// of the JSON object, then as [`decode`](Self::decode) does. For values
    /// from the store; the environment and `put` give the entry's value
    /// itself. The reason never shows a secure value, nor (with `json_key`)
    /// the stored document.
    pub(crate) fn decode_stored(&self, raw: &str) -> Result<Value, String> {
        let Some(member) = &self.json_key else {
            return self.decode(raw);
        };
        let value = crate::json_key::member(raw, member, self.value_type, self.secure)?;
        if let Some(allowed) = &self.allowed {
            crate::value::check_allowed(&value, allowed, self.secure)
                .map_err(|r| format!("member `{}`: {r}", crate::value::printable(member)))?;
        }
        Ok(value)
    }

    /// The SSM type the parameter has (or is written as): a JSON document
    /// for a `json_key` entry, else as the entry's type and `secure` say.
    pub(crate) fn param_type(&self) -> crate::store::ParamType {
        match self.json_key {
            Some(_) => crate::value::param_type_for(ValueType::Json, self.secure),
            None => crate::value::param_type_for(self.value_type, self.secure),
        }
    }
}

impl Schema {
    /// Every dotted key in the schema, entries and literals, in schema order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.inner.leaves.iter().map(|l| l.key.as_str())
    }

    /// The number of keys (entries and literals).
    #[must_use]
    pub fn len(&self) -> usize {
        self.inner.leaves.len()
    }

    /// True when the schema declares nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.inner.leaves.is_empty()
    }

    /// True when `key` is in the schema (an entry or a literal).
    #[must_use]
    pub fn contains(&self, key: &str) -> bool {
        self.inner.index.contains_key(key)
    }

    /// True when `key` is an SSM-backed entry (not a literal, not unknown).
    #[must_use]
    pub fn is_entry(&self, key: &str) -> bool {
        self.inner.index.get(key).is_some_and(|&i| matches!(self.inner.leaves[i].kind, LeafKind::Entry(_)))
    }

    /// True when `key` is an entry marked `secure: true`: its value is
    /// never printed unless the caller asks to reveal it.
    #[must_use]
    pub fn is_secure(&self, key: &str) -> bool {
        self.inner.index.get(key).is_some_and(|&i| matches!(&self.inner.leaves[i].kind, LeafKind::Entry(e) if e.secure))
    }

    /// Where the schema was loaded from.
    #[must_use]
    pub fn origin(&self) -> &std::path::Path {
        &self.inner.origin
    }
}
