//! The environment of `ssmconf exec`: every resolved value as a variable.

use std::collections::HashMap;
use std::fmt;

use crate::Value;
use crate::error::{Error, Result};
use crate::resolver::Resolver;

/// One variable for a child process. `Debug` masks a secure value.
#[derive(Clone, PartialEq, Eq)]
pub struct EnvVar {
    /// The variable: the entry's `env` name, else [`env_name`] of the key.
    pub name: String,
    /// The dotted key it comes from.
    pub key: String,
    /// The value as [`env_text`] renders it, in clear.
    pub value: String,
    /// True for a secure entry.
    pub secure: bool,
}

impl fmt::Debug for EnvVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value: &dyn fmt::Debug = if self.secure { &super::MASK } else { &self.value };
        f.debug_struct("EnvVar")
            .field("name", &self.name)
            .field("key", &self.key)
            .field("value", value)
            .field("secure", &self.secure)
            .finish()
    }
}

/// What [`Resolver::env_vars`] found: the variables, and the required keys
/// that resolve to nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnvVars {
    /// One variable per key with a value, in schema order.
    pub vars: Vec<EnvVar>,
    /// Required entries with no value anywhere in the chain.
    pub missing: Vec<String>,
}

/// The variable name of a dotted key: upper-cased, with every character
/// other than a letter or a digit (`.` and `-`) as `_`.
///
/// ```
/// assert_eq!(ssmconf::env_name("models.default-basic"), "MODELS_DEFAULT_BASIC");
/// ```
#[must_use]
pub fn env_name(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

/// A value as the text of a variable: strings as they are, a list of
/// scalars comma-joined (as a `StringList` holds it), the rest as JSON.
/// The same text `export --format env` prints and `put`/`import` read back.
///
/// ```
/// use serde_json::json;
/// assert_eq!(ssmconf::env_text(&json!("GPT_4O")), "GPT_4O");
/// assert_eq!(ssmconf::env_text(&json!(["a", "b"])), "a,b");
/// assert_eq!(ssmconf::env_text(&json!({"a": 1})), r#"{"a":1}"#);
/// ```
#[must_use]
pub fn env_text(value: &Value) -> String {
    let scalar = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    match value {
        Value::String(s) => s.clone(),
        Value::Array(items) if items.iter().all(|i| !i.is_array() && !i.is_object()) => {
            items.iter().map(scalar).collect::<Vec<_>>().join(",")
        }
        other => other.to_string(),
    }
}

impl Resolver {
    /// Every key that `only` selects (dotted keys or group prefixes; all
    /// keys when empty), resolved through the chain, as environment
    /// variables: what `ssmconf exec` puts in a child's environment.
    /// Entries and literals alike; a key with no value is left out, and a
    /// `required` one is listed in [`EnvVars::missing`]. Secure values are
    /// in clear: hand them to the child and nowhere else.
    ///
    /// ```
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// use ssmconf::{MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str(
    ///     "models:\n  basic:\n    ssm_param: /app/basic\n    default: GPT_4O\n  id:\n    ssm_param: /app/id\n    required: true\nepochs: 3\n",
    ///     "inline.yml",
    /// )?;
    /// let resolver = Resolver::builder(schema).store(MemoryStore::new()).build()?;
    /// let env = resolver.env_vars(&["models"]).await?;
    /// assert_eq!(env.vars[0].name, "MODELS_BASIC");
    /// assert_eq!(env.vars[0].value, "GPT_4O");
    /// assert_eq!(env.missing, ["models.id"]);
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::UnknownKey`] for a prefix that selects no key;
    /// [`Error::Validation`] when two selected keys would set the same
    /// variable, or an `env` variable holds a bad value.
    pub async fn env_vars<S: AsRef<str>>(&self, only: &[S]) -> Result<EnvVars> {
        let selected = super::select(self, only)?;
        let tree = self.extract_value().await?;
        let inner = &self.inner;
        let mut env = EnvVars::default();
        let mut names: HashMap<String, usize> = HashMap::new();
        for idx in selected {
            let key = inner.key(idx);
            let entry = inner.entry(idx);
            let name = entry.and_then(|e| e.env.clone()).unwrap_or_else(|| env_name(key));
            if let Some(&other) = names.get(&name) {
                return Err(Error::validation(
                    key,
                    format!(
                        "its variable {name} is also the variable of `{}`; give one of them its own `env:` name",
                        inner.key(other)
                    ),
                ));
            }
            names.insert(name.clone(), idx);
            match key.split('.').try_fold(&tree, |node, part| node.get(part)) {
                Some(value) => env.vars.push(EnvVar {
                    name,
                    key: key.to_string(),
                    value: env_text(value),
                    secure: entry.is_some_and(|e| e.secure),
                }),
                None if entry.is_some_and(|e| e.required) => env.missing.push(key.to_string()),
                None => {}
            }
        }
        Ok(env)
    }

    /// [`env_vars`](Self::env_vars), failing when a required value is
    /// missing: the error of [`require`](Self::require) for the first
    /// missing key, with what each step of the chain found.
    ///
    /// # Errors
    /// As [`env_vars`](Self::env_vars), and [`Error::NotFound`].
    pub async fn require_env_vars<S: AsRef<str>>(&self, only: &[S]) -> Result<Vec<EnvVar>> {
        let env = self.env_vars(only).await?;
        if let Some(key) = env.missing.first() {
            self.require::<Value>(key).await?;
        }
        Ok(env.vars)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryStore, Schema};

    #[tokio::test]
    async fn names_clash_is_an_error_and_secure_is_masked_in_debug() {
        let schema =
            Schema::from_yaml_str("a:\n  b-c:\n    ssm_param: /x/1\n    default: v\n  b_c: 2\n", "t.yml").unwrap();
        let resolver = Resolver::builder(schema).store(MemoryStore::new()).build().unwrap();
        let err = resolver.env_vars::<&str>(&[]).await.unwrap_err().to_string();
        assert!(err.contains("A_B_C is also the variable of `a.b-c`"), "{err}");
        let var = EnvVar { name: "T".into(), key: "t".into(), value: "s3cr3t".into(), secure: true };
        assert!(!format!("{var:?}").contains("s3cr3t"));
    }

    #[tokio::test]
    async fn an_unknown_prefix_names_the_nearest_key() {
        let schema = Schema::from_yaml_str("models:\n  basic:\n    ssm_param: /x/1\n", "t.yml").unwrap();
        let resolver = Resolver::builder(schema).store(MemoryStore::new()).build().unwrap();
        let err = resolver.env_vars(&["model"]).await.unwrap_err();
        assert!(matches!(err, Error::UnknownKey { .. }), "{err}");
    }
}
