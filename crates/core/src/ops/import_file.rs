//! Reading an import file: JSON, YAML or dotenv, into (key, value, where)
//! items. Nested mappings and dotted keys both name schema keys.

use std::path::{Path, PathBuf};

use crate::Value;
use crate::error::{Error, Location, Result};
use crate::schema::yaml::{self, Node, NodeKind};

/// The format of an import file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportFormat {
    /// A JSON object, nested by groups or with dotted keys.
    Json,
    /// A YAML mapping, nested by groups or with dotted keys.
    Yaml,
    /// `NAME=value` lines (`export --format env` output): variable names,
    /// or dotted keys.
    Env,
}

impl ImportFormat {
    /// The format a file's extension says: `.json`; `.yml`/`.yaml`;
    /// `.env` or a name starting with `.env` (`.env.local`).
    #[must_use]
    pub fn from_path(path: &Path) -> Option<Self> {
        let name = path.file_name()?.to_str()?.to_ascii_lowercase();
        if name.starts_with(".env") || name.ends_with(".env") {
            return Some(ImportFormat::Env);
        }
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(ImportFormat::Json),
            "yml" | "yaml" => Some(ImportFormat::Yaml),
            _ => None,
        }
    }

    /// The format's name: `json`, `yaml` or `env`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ImportFormat::Json => "json",
            ImportFormat::Yaml => "yaml",
            ImportFormat::Env => "env",
        }
    }

    /// Parses `json`, `yaml` (or `yml`) or `env`.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_lowercase().as_str() {
            "json" => Some(ImportFormat::Json),
            "yaml" | "yml" => Some(ImportFormat::Yaml),
            "env" | "dotenv" => Some(ImportFormat::Env),
            _ => None,
        }
    }
}

/// A value as the file gives it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Given {
    /// A typed value (JSON, YAML): encoded like `put`.
    Typed(Value),
    /// Text (dotenv): the text SSM stores, checked like `put KEY VALUE`.
    Text(String),
}

/// One key of the file, with where it is (1-based; unknown in JSON).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Incoming {
    /// The key or variable name as written (for dotenv, a variable name).
    pub key: String,
    pub value: Given,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

/// Says whether a dotted key is a group of the schema (a prefix of keys
/// and not a key itself): a nested mapping there holds more keys, while
/// anywhere else it is one value (of a `json` entry, say).
pub(crate) type IsGroup<'a> = &'a dyn Fn(&str) -> bool;

/// Reads `path` as `format` (from the extension when `None`).
pub(crate) fn read(
    path: &Path,
    format: Option<ImportFormat>,
    is_group: IsGroup<'_>,
) -> Result<(ImportFormat, Vec<Incoming>)> {
    let at =
        |line, column, message: String| Error::schema(Location { file: path.to_path_buf(), line, column }, "", message);
    let Some(format) = format.or_else(|| ImportFormat::from_path(path)) else {
        return Err(at(
            0,
            0,
            "cannot tell the format from the file name: name it .json, .yml, .yaml or .env, or pass the format".into(),
        ));
    };
    let text = std::fs::read_to_string(path).map_err(|e| at(0, 0, format!("cannot read the file: {e}")))?;
    let items = match format {
        ImportFormat::Json => json(&text, path, is_group)?,
        ImportFormat::Yaml => {
            let root = yaml::parse(&text, path, "")?;
            if !matches!(root.kind, NodeKind::Map(_)) {
                return Err(at(
                    root.line,
                    root.column,
                    format!("the file must hold a mapping of keys to values, not {}", root.kind_name()),
                ));
            }
            let mut items = Vec::new();
            yaml_items(&root, "", path, is_group, &mut items)?;
            items
        }
        ImportFormat::Env => dotenv(&text, path)?,
    };
    Ok((format, items))
}

/// Items of an in-memory document: a mapping nested by groups or with
/// dotted keys (Python's `import_values`).
pub(crate) fn from_value(value: Value, is_group: IsGroup<'_>) -> Result<Vec<Incoming>> {
    let Value::Object(map) = value else {
        return Err(Error::validation("(import)", "the values must be a mapping of keys to values"));
    };
    let mut out = Vec::new();
    flatten(map, "", is_group, &mut out);
    Ok(out)
}

fn flatten(map: serde_json::Map<String, Value>, prefix: &str, is_group: IsGroup<'_>, out: &mut Vec<Incoming>) {
    for (k, value) in map {
        let key = yaml::join(prefix, &k);
        match value {
            Value::Object(inner) if is_group(&key) => flatten(inner, &key, is_group, out),
            value => out.push(Incoming { key, value: Given::Typed(value), line: None, column: None }),
        }
    }
}

fn json(text: &str, path: &Path, is_group: IsGroup<'_>) -> Result<Vec<Incoming>> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        Error::schema(
            Location { file: PathBuf::from(path), line: e.line(), column: e.column() },
            "",
            format!("invalid JSON: {e}"),
        )
    })?;
    if !value.is_object() {
        return Err(Error::schema(
            Location { file: path.to_path_buf(), line: 1, column: 1 },
            "",
            "the file must hold one JSON object of keys to values",
        ));
    }
    from_value(value, is_group)
}

fn yaml_items(node: &Node, prefix: &str, path: &Path, is_group: IsGroup<'_>, out: &mut Vec<Incoming>) -> Result<()> {
    let NodeKind::Map(entries) = &node.kind else { return Ok(()) };
    for (k, child) in entries {
        let key = yaml::join(prefix, &k.text);
        if matches!(child.kind, NodeKind::Map(_)) && is_group(&key) {
            yaml_items(child, &key, path, is_group, out)?;
            continue;
        }
        let value = child.to_json().map_err(|e| {
            Error::schema(Location { file: path.to_path_buf(), line: e.line, column: e.column }, &key, e.message)
        })?;
        out.push(Incoming { key, value: Given::Typed(value), line: Some(child.line), column: Some(child.column) });
    }
    Ok(())
}

/// `NAME=value` lines: blank lines and `#` comments skipped, an optional
/// `export `, values bare, in single quotes (literal; `'\''` as the shell
/// writes a quote) or in double quotes (`\"`, `\\`, `\n` escapes).
fn dotenv(text: &str, path: &Path) -> Result<Vec<Incoming>> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let at = |column: usize, message: String| {
            Error::schema(Location { file: path.to_path_buf(), line: n + 1, column }, "", message)
        };
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = line.len() - trimmed.len();
        let body = trimmed.strip_prefix("export ").map(str::trim_start).unwrap_or(trimmed);
        let Some((name, rest)) = body.split_once('=') else {
            return Err(at(indent + 1, "expected NAME=value".into()));
        };
        let name = name.trim_end();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')) {
            return Err(at(
                indent + 1,
                format!("`{}` is not a variable name or a dotted key", crate::value::printable(name)),
            ));
        }
        let column = line.len() - rest.len() + 1;
        let value = unquote(rest.trim()).map_err(|m| at(column, m))?;
        out.push(Incoming {
            key: name.to_string(),
            value: Given::Text(value),
            line: Some(n + 1),
            column: Some(column),
        });
    }
    Ok(out)
}

fn unquote(raw: &str) -> Result<String, String> {
    if raw.starts_with('\'') {
        // Shell style: '...' pieces joined by \' (export writes 'it'\''s').
        let mut out = String::new();
        let mut rest = raw;
        loop {
            let Some(body) = rest.strip_prefix('\'') else { return Err("unterminated single quote".into()) };
            let Some(end) = body.find('\'') else { return Err("unterminated single quote".into()) };
            out.push_str(&body[..end]);
            rest = &body[end + 1..];
            match rest.strip_prefix("\\'") {
                Some(after) => {
                    out.push('\'');
                    rest = after;
                }
                None if rest.is_empty() || rest.trim_start().starts_with('#') => return Ok(out),
                None => return Err("text after the closing quote".into()),
            }
        }
    }
    if let Some(body) = raw.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = body.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => {
                    let rest: String = chars.collect();
                    let rest = rest.trim_start();
                    if rest.is_empty() || rest.starts_with('#') {
                        return Ok(out);
                    }
                    return Err("text after the closing quote".into());
                }
                '\\' => match chars.next() {
                    Some('n') => out.push('\n'),
                    Some('t') => out.push('\t'),
                    Some(c @ ('"' | '\\' | '$')) => out.push(c),
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                    None => return Err("unterminated double quote".into()),
                },
                c => out.push(c),
            }
        }
        return Err("unterminated double quote".into());
    }
    // Bare: up to a ` #` comment.
    Ok(match raw.find(" #") {
        Some(i) => raw[..i].trim_end().to_string(),
        None => raw.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_from_names() {
        assert_eq!(ImportFormat::from_path(Path::new("a/b.json")), Some(ImportFormat::Json));
        assert_eq!(ImportFormat::from_path(Path::new("b.YML")), Some(ImportFormat::Yaml));
        assert_eq!(ImportFormat::from_path(Path::new(".env.local")), Some(ImportFormat::Env));
        assert_eq!(ImportFormat::from_path(Path::new("dev.env")), Some(ImportFormat::Env));
        assert_eq!(ImportFormat::from_path(Path::new("values.txt")), None);
    }

    #[test]
    fn dotenv_lines_and_quotes() {
        let text = "# c\n\nexport A_B='it'\\''s $HOME'\nC=\"x\\\"y\\n\" # note\nD = bare value # c\nm.k=1\n";
        let items = dotenv(text, Path::new("t.env")).unwrap();
        let got: Vec<_> = items.iter().map(|i| (i.key.as_str(), i.value.clone(), i.line)).collect();
        assert_eq!(
            got,
            [
                ("A_B", Given::Text("it's $HOME".into()), Some(3)),
                ("C", Given::Text("x\"y\n".into()), Some(4)),
                ("D", Given::Text("bare value".into()), Some(5)),
                ("m.k", Given::Text("1".into()), Some(6)),
            ]
        );
        let err = dotenv("A=1\nB='open\n", Path::new("t.env")).unwrap_err().to_string();
        assert_eq!(err, "t.env:2:3: unterminated single quote");
        let err = dotenv("just words\n", Path::new("t.env")).unwrap_err().to_string();
        assert_eq!(err, "t.env:1:1: expected NAME=value");
    }

    #[test]
    fn json_errors_have_positions() {
        let never = |_: &str| false;
        let err = json("{\n  \"a\": ,\n}", Path::new("v.json"), &never).unwrap_err().to_string();
        assert!(err.starts_with("v.json:2:8: invalid JSON"), "{err}");
        assert!(json("[1]", Path::new("v.json"), &never).is_err());
    }
}
