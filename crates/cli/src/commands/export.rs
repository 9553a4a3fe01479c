//! `ssmconf export`: the whole configuration, resolved, as JSON, YAML or
//! `KEY=value` lines. Secure values are `***` unless `--reveal`. The env
//! names and texts are the core's (`ssmconf::env_name`, `env_text`), the
//! ones `exec` sets and `import` reads back.

use std::io::Write;

use ssmconf::{Value, env_name, env_text};

use crate::cli::ExportFormat;
use crate::context::Context;
use crate::failure::{Failure, code};
use crate::progress::Spinner;

pub async fn run(ctx: &Context, out: &mut impl Write, format: ExportFormat, reveal: bool) -> Result<u8, Failure> {
    let schema = ctx.resolver.schema();
    let mut tree = {
        let _spinner = Spinner::start(format!("resolving {} keys", schema.len()));
        ctx.resolver.extract_value().await?
    };
    if !reveal {
        for key in schema.keys().filter(|k| schema.is_secure(k)) {
            if let Some(slot) = lookup_mut(&mut tree, key) {
                *slot = Value::from("***");
            }
        }
    }
    match format {
        ExportFormat::Json => super::print_json(out, &tree)?,
        ExportFormat::Yaml => {
            let mut text = String::new();
            yaml(&tree, 0, &mut text);
            out.write_all(text.as_bytes())?;
        }
        ExportFormat::Env => {
            for key in schema.keys() {
                if let Some(value) = lookup_mut(&mut tree, key) {
                    writeln!(out, "{}={}", env_name(key), shell_quote(&env_text(value)))?;
                }
            }
        }
    }
    Ok(code::OK)
}

/// The value at a dotted key in the nested tree.
fn lookup_mut<'a>(tree: &'a mut Value, key: &str) -> Option<&'a mut Value> {
    key.split('.').try_fold(tree, |node, part| node.get_mut(part))
}

/// Single quotes, safe for `sh`, `bash` and `source`.
fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// Block mappings for groups; every scalar and sequence as JSON, which is
/// valid YAML (flow style) and keeps strings such as `no` or `1.0` strings.
fn yaml(value: &Value, indent: usize, out: &mut String) {
    let Value::Object(map) = value else {
        out.push_str(&value.to_string());
        out.push('\n');
        return;
    };
    if map.is_empty() && indent == 0 {
        out.push_str("{}\n");
    }
    for (key, child) in map {
        out.push_str(&"  ".repeat(indent));
        out.push_str(&yaml_key(key));
        match child {
            Value::Object(inner) if !inner.is_empty() => {
                out.push_str(":\n");
                yaml(child, indent + 1, out);
            }
            other => {
                out.push_str(": ");
                out.push_str(&other.to_string());
                out.push('\n');
            }
        }
    }
}

/// A mapping key, quoted when YAML would read it as something else.
fn yaml_key(key: &str) -> String {
    const RESERVED: &[&str] = &["y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"];
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && !RESERVED.contains(&key.to_ascii_lowercase().as_str());
    if plain { key.to_string() } else { Value::from(key).to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn yaml_nests_groups_and_keeps_scalars_typed() {
        let tree = json!({"models": {"basic": "GPT_4O", "flags": ["a", "b"]}, "no": "no", "epochs": 3, "e": {}});
        let mut text = String::new();
        yaml(&tree, 0, &mut text);
        assert_eq!(text, "e: {}\nepochs: 3\nmodels:\n  basic: \"GPT_4O\"\n  flags: [\"a\",\"b\"]\n\"no\": \"no\"\n");
    }

    #[test]
    fn env_lines_are_shell_safe() {
        assert_eq!(env_name("models.default-basic"), "MODELS_DEFAULT_BASIC");
        assert_eq!(env_text(&json!(["a", 1, true])), "a,1,true");
        assert_eq!(env_text(&json!({"a": 1})), r#"{"a":1}"#);
        assert_eq!(shell_quote("it's $HOME"), r"'it'\''s $HOME'");
    }
}
