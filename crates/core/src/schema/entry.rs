//! The fields of an entry: each checked, with the error at its own position.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use super::Entry;
use super::names::{NameTemplate, is_identifier};
use super::path::{self, PathSpec};
use super::suggest::nearest;
use super::yaml::{Key, Node, NodeError, NodeKind};
use crate::Value;
use crate::error::{Error, Location, Result};
use crate::value::{self, ValueType};

/// SSM's limit on a parameter description, in characters.
const MAX_DESCRIPTION: usize = 1024;
/// SSM's limits on tag keys and values, in characters.
const MAX_TAG_KEY: usize = 128;
const MAX_TAG_VALUE: usize = 256;
/// The fields of an entry, in the order the docs list them.
const FIELDS: [&str; 11] =
    ["ssm_param", "default", "description", "type", "secure", "required", "allowed", "env", "ttl", "tags", "json_key"];
/// The fields of a path entry (`ssm_path`).
const PATH_FIELDS: [&str; 10] =
    ["ssm_path", "recursive", "default", "description", "type", "secure", "required", "env", "ttl", "tags"];

/// Where errors go: the file being read.
pub(super) struct Ctx<'a> {
    pub(super) file: &'a Path,
}

impl Ctx<'_> {
    pub(super) fn at(&self, line: usize, column: usize, key: &str, message: impl Into<String>) -> Error {
        Error::schema(Location { file: self.file.to_path_buf(), line, column }, key, message)
    }

    pub(super) fn node(&self, node: &Node, key: &str, message: impl Into<String>) -> Error {
        self.at(node.line, node.column, key, message)
    }

    pub(super) fn key(&self, k: &Key, key: &str, message: impl Into<String>) -> Error {
        self.at(k.line, k.column, key, message)
    }

    pub(super) fn from(&self, e: NodeError, key: &str) -> Error {
        self.at(e.line, e.column, key, e.message)
    }
}

pub(super) fn entry(ctx: &Ctx<'_>, key: &str, fields: &[(Key, Node)]) -> Result<Entry> {
    let is_path = fields.iter().any(|(f, _)| f.text == "ssm_path");
    if is_path {
        path_field_errors(ctx, key, fields)?;
    }
    let known: &[&str] = if is_path { &PATH_FIELDS } else { &FIELDS };
    for (f, _) in fields {
        if !known.contains(&f.text.as_str()) {
            let message = match nearest(&f.text, known.iter().copied()) {
                Some(near) => format!("unknown field `{}`; did you mean `{near}`?", f.text),
                None => {
                    let list: Vec<String> = known.iter().map(|f| format!("`{f}`")).collect();
                    let what = if is_path { "a path entry" } else { "an entry" };
                    format!("unknown field `{}`; the fields of {what} are {}", f.text, list.join(", "))
                }
            };
            return Err(ctx.key(f, key, message));
        }
    }
    let field = |name: &str| fields.iter().find(|(f, _)| f.text == name);
    let flag = |name: &str| -> Result<bool> {
        let Some((_, node)) = field(name) else {
            return Ok(false);
        };
        match node.scalar() {
            Some(Ok(Value::Bool(b))) => Ok(b),
            _ => Err(ctx.node(node, key, format!("`{name}` must be `true` or `false`"))),
        }
    };
    let text = |name: &str| -> Result<Option<(&str, &Node)>> {
        let Some((_, node)) = field(name) else {
            return Ok(None);
        };
        match &node.kind {
            NodeKind::Scalar { text, plain, .. } if !(*plain && matches!(node.scalar(), Some(Ok(Value::Null)))) => {
                Ok(Some((text.as_str(), node)))
            }
            _ => Err(ctx.node(node, key, format!("`{name}` must be a string, not {}", describe(node)))),
        }
    };

    let required = flag("required")?;

    let name_field = if is_path { "ssm_path" } else { "ssm_param" };
    let (raw, name_node) = text(name_field)?.unwrap_or_else(|| unreachable!("entries have `ssm_param`"));
    let name = if is_path {
        parse_path(raw).map_err(|reason| ctx.node(name_node, key, format!("invalid `ssm_path` `{raw}`: {reason}")))?
    } else {
        NameTemplate::parse(raw)
            .map_err(|reason| ctx.node(name_node, key, format!("invalid `ssm_param` `{raw}`: {reason}")))?
    };
    let name_location = Location { file: ctx.file.to_path_buf(), line: name_node.line, column: name_node.column };
    // A Secrets Manager secret is secure unless the entry says otherwise.
    let secure = if field("secure").is_some() { flag("secure")? } else { name.is_secret_reference() };

    let json_key = match field("json_key") {
        None => None,
        Some((_, node)) => match text("json_key") {
            Ok(Some(("", _))) => {
                let message = "`json_key` is empty; name the member of the JSON object to read (`json_key: password`)";
                return Err(ctx.node(node, key, message));
            }
            Ok(Some((member, _))) => Some(member.to_string()),
            Ok(None) => None,
            Err(_) => {
                let message = format!(
                    "`json_key` must be the name of a member of the JSON object (`json_key: password`), not {}",
                    describe(node)
                );
                return Err(ctx.node(node, key, message));
            }
        },
    };

    let description = match text("description")? {
        Some((d, node)) if d.chars().count() > MAX_DESCRIPTION => {
            let message = format!(
                "`description` is {} characters long; SSM allows at most {MAX_DESCRIPTION}; shorten it",
                d.chars().count()
            );
            return Err(ctx.node(node, key, message));
        }
        other => other.map(|(d, _)| d.to_string()),
    };

    let env = match text("env")? {
        Some((e, node)) if !is_identifier(e) => {
            let message = format!(
                "`env` `{e}` is not an environment variable name; use letters, digits and `_`, not starting with a digit"
            );
            return Err(ctx.node(node, key, message));
        }
        other => other.map(|(e, _)| e.to_string()),
    };

    let ttl = field("ttl").map(|(_, node)| ttl_field(node).map_err(|m| ctx.node(node, key, m))).transpose()?;
    let tags = match field("tags") {
        Some((_, node)) => parse_tags(ctx, key, node)?,
        None => BTreeMap::new(),
    };

    let default_node = field("default").map(|(_, n)| n);
    let value_type = match text("type")? {
        Some((t, node)) => ValueType::parse(t).ok_or_else(|| ctx.node(node, key, unknown_type(t)))?,
        // A path entry's leaves are strings unless `type` says otherwise.
        None if is_path => ValueType::String,
        None => infer_type(default_node).map_err(|e| ctx.from(e, key))?,
    };
    if secure && value_type == ValueType::List && json_key.is_none() {
        let (_, at) = field("type")
            .or_else(|| field("secure"))
            .or_else(|| field("default"))
            .unwrap_or_else(|| unreachable!("a list has a type or a default"));
        let message = if field("secure").is_some() {
            "a secure entry cannot be a `list`: SSM has no secure StringList; use `type: json` for a JSON array, or drop `secure`"
        } else {
            "a Secrets Manager reference is secure, and a secure entry cannot be a `list`: use `type: json` \
             for a JSON array, `json_key` for a member that is a list, or add `secure: false`"
        };
        return Err(ctx.node(at, key, message));
    }

    let allowed = match field("allowed") {
        None => None,
        Some((_, node)) => Some(parse_allowed(ctx, key, node, value_type)?),
    };

    let path = if is_path {
        let recursive = match field("recursive") {
            None => true,
            Some(_) => flag("recursive")?,
        };
        let decode = |leaf: &Node| decode_node(leaf, value_type, secure, "default");
        let default_leaves = match default_node {
            None => Vec::new(),
            Some(node) => path::default_leaves(node, recursive, &decode).map_err(|e| ctx.from(e, key))?,
        };
        Some(PathSpec { recursive, default_leaves })
    } else {
        None
    };

    let default = match (default_node, &path) {
        (None, _) => None,
        (Some(_), Some(spec)) => {
            let (tree, _) = path::build_tree(spec.default_leaves.iter().map(|(n, v)| (n.as_str(), v.clone())));
            Some(Arc::new(tree))
        }
        (Some(node), None) => {
            let value = decode_node(node, value_type, secure, "default").map_err(|e| ctx.from(e, key))?;
            if let Some(allowed) = &allowed {
                value::check_allowed(&value, allowed, secure).map_err(|reason| {
                    ctx.node(node, key, format!("default {reason}; add it to `allowed` or change the default"))
                })?;
            }
            Some(Arc::new(value))
        }
    };

    Ok(Entry {
        name,
        name_location,
        default,
        description,
        value_type,
        secure,
        required,
        allowed,
        env,
        ttl,
        tags,
        json_key,
        path,
    })
}

/// The errors only a path entry can have, each at its own field.
fn path_field_errors(ctx: &Ctx<'_>, key: &str, fields: &[(Key, Node)]) -> Result<()> {
    for (f, node) in fields {
        let message = match f.text.as_str() {
            "ssm_param" => "an entry has `ssm_path` (a hierarchy) or `ssm_param` (one parameter), not both; \
                            remove one of them"
                .to_string(),
            "allowed" => "`allowed` is not valid on a path entry (`ssm_path`): the names under a path are \
                          open-ended; check values with `type`, or declare single parameters with `ssm_param`"
                .to_string(),
            "json_key" => "`json_key` is not valid on a path entry (`ssm_path`): each parameter under the path \
                           is one leaf; use `type: json` for JSON values, or an `ssm_param` entry with `json_key`"
                .to_string(),
            "default" if !matches!(node.kind, NodeKind::Map(_)) => format!(
                "the `default` of a path entry is a mapping of names under the path to values \
                 (`default: {{beta: false}}`), not {}",
                if matches!(node.kind, NodeKind::Scalar { .. }) { "a scalar" } else { node.kind_name() }
            ),
            _ => continue,
        };
        return Err(ctx.key(f, key, message));
    }
    Ok(())
}

/// Parses an `ssm_path`: a hierarchy starting with `/`, with or without a
/// trailing `/`, with `{var}` placeholders, no selector, not a Secrets
/// Manager reference (GetParametersByPath does not list secrets).
fn parse_path(raw: &str) -> std::result::Result<NameTemplate, String> {
    if !raw.starts_with('/') {
        return Err(format!("a path starts with `/`; write `/{raw}`"));
    }
    let body = raw.strip_suffix('/').unwrap_or(raw);
    if body.is_empty() {
        return Err("the root `/` is not a path ssmconf reads; name a hierarchy such as `/app/{stage}/flags`".into());
    }
    if body.contains(':') {
        return Err("a path has no `:version` or `:label` selector; GetParametersByPath reads the latest \
                    version of each parameter"
            .into());
    }
    let template = NameTemplate::parse(body)?;
    if template.is_secret_reference() {
        return Err("GetParametersByPath does not list Secrets Manager secrets; read each with `ssm_param`".into());
    }
    Ok(template)
}

fn describe(node: &Node) -> &'static str {
    match node.kind {
        NodeKind::Scalar { .. } => "null",
        _ => node.kind_name(),
    }
}

fn unknown_type(t: &str) -> String {
    let list: Vec<String> = ValueType::NAMES.iter().map(|n| format!("`{n}`")).collect();
    match nearest(t, ValueType::NAMES) {
        Some(near) => format!("unknown type `{t}`; did you mean `{near}`? (types: {})", list.join(", ")),
        None => format!("unknown type `{t}`; use one of {}", list.join(", ")),
    }
}

/// The type of a `default` when `type` is absent (`string` with no default).
fn infer_type(default: Option<&Node>) -> Result<ValueType, NodeError> {
    let Some(node) = default else {
        return Ok(ValueType::String);
    };
    Ok(match node.scalar() {
        None if matches!(node.kind, NodeKind::Seq(_)) => ValueType::List,
        None => ValueType::Json,
        Some(value) => match value? {
            Value::String(_) => ValueType::String,
            Value::Bool(_) => ValueType::Bool,
            Value::Number(n) if n.is_f64() => ValueType::Float,
            Value::Number(_) => ValueType::Int,
            _ => {
                return Err(node.error(
                    "`default` is null and the entry has no `type`; add a `type`, or remove `default` for no default",
                ));
            }
        },
    })
}

/// The SSM string a YAML value stands for: a scalar's text as written, a
/// sequence of scalars joined by `,`, JSON text for `json`.
fn ssm_form(node: &Node, ty: ValueType) -> Result<String, NodeError> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => {
            let value = node.scalar().unwrap_or_else(|| unreachable!())?;
            match (value, ty) {
                (Value::Null, ValueType::Json) => Ok("null".to_string()),
                (Value::Null, _) => Err(node
                    .error(format!("null is not a {ty} value; quote it (`'{text}'`) to mean the text, or remove it"))),
                _ => Ok(text.clone()),
            }
        }
        _ if ty == ValueType::Json => node.to_json().map(|v| v.to_string()),
        NodeKind::Seq(items) if ty == ValueType::List => {
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                if !matches!(item.kind, NodeKind::Scalar { .. }) {
                    return Err(item.error(format!("a list item must be a scalar, not {}", item.kind_name())));
                }
                texts.push(list_item(item)?);
            }
            Ok(texts.join(","))
        }
        NodeKind::Seq(_) => Err(node.error(format!("a sequence needs `type: list` or `type: json`, not `{ty}`"))),
        NodeKind::Map(_) => Err(node.error(format!("a mapping needs `type: json`, not `{ty}`"))),
    }
}

/// One StringList item: not empty, no `,`.
fn list_item(item: &Node) -> Result<String, NodeError> {
    let text = ssm_form(item, ValueType::String)?;
    if text.is_empty() {
        return Err(item.error("a list item is empty; SSM StringList items cannot be empty"));
    }
    if text.contains(',') {
        return Err(item.error(format!("list item `{text}` contains `,`, which separates StringList items")));
    }
    Ok(text)
}

/// Decodes a YAML value exactly as SSM would hand it back.
fn decode_node(node: &Node, ty: ValueType, secure: bool, what: &str) -> Result<Value, NodeError> {
    let raw = ssm_form(node, ty)?;
    value::decode(&raw, ty, true).map_err(|reason| {
        let shown = if secure { format!("`{what}`") } else { format!("{what} `{raw}`") };
        node.error(format!("{shown} does not decode as {ty}: {reason}; fix the {what} or the `type`"))
    })
}

fn parse_allowed(ctx: &Ctx<'_>, key: &str, node: &Node, ty: ValueType) -> Result<Vec<Value>> {
    let NodeKind::Seq(items) = &node.kind else {
        let message = format!("`allowed` must be a list of values (`[a, b]`), not {}", node.kind_name());
        return Err(ctx.node(node, key, message));
    };
    if items.is_empty() {
        return Err(ctx.node(node, key, "`allowed` is empty, so no value would do; list the values or remove it"));
    }
    items
        .iter()
        .map(|item| {
            if ty == ValueType::List {
                list_item(item).map(Value::String)
            } else {
                decode_node(item, ty, false, "allowed value")
            }
        })
        .collect::<Result<_, _>>()
        .map_err(|e| ctx.from(e, key))
}

/// A TTL: `30s`, `5m`, `1h`, `0` (never cached) or whole seconds (`45`).
/// Also used for `SSMCONF_TTL`.
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, String> {
    let bad =
        || format!("`{text}` is not a TTL; write `30s`, `5m`, `1h`, `0` (never cached) or a whole number of seconds");
    let (digits, per) = match text.as_bytes().last() {
        Some(b'h') => (&text[..text.len() - 1], 3600),
        Some(b'm') => (&text[..text.len() - 1], 60),
        Some(b's') => (&text[..text.len() - 1], 1),
        _ => (text, 1),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse::<u64>().ok().and_then(|n| n.checked_mul(per)).map(Duration::from_secs).ok_or_else(bad)
}

/// The `ttl` field: a scalar (int or string) in a form [`parse_ttl`] reads.
fn ttl_field(node: &Node) -> Result<Duration, String> {
    match &node.kind {
        NodeKind::Scalar { text, .. } => parse_ttl(text).map_err(|r| format!("invalid `ttl`: {r}")),
        _ => Err(format!("invalid `ttl`: it is {}; write `30s`, `5m`, `1h`, `0` or whole seconds", node.kind_name())),
    }
}

fn parse_tags(ctx: &Ctx<'_>, key: &str, node: &Node) -> Result<BTreeMap<String, String>> {
    let NodeKind::Map(items) = &node.kind else {
        let message = format!("`tags` must be a mapping of tag names to values, not {}", node.kind_name());
        return Err(ctx.node(node, key, message));
    };
    let mut tags = BTreeMap::new();
    for (k, v) in items {
        let len = k.text.chars().count();
        if !(1..=MAX_TAG_KEY).contains(&len) {
            return Err(ctx.key(k, key, format!("tag key is {len} characters long; SSM allows 1 to {MAX_TAG_KEY}")));
        }
        if k.text.to_ascii_lowercase().starts_with("aws:") {
            return Err(ctx.key(
                k,
                key,
                format!("tag key `{}` starts with `aws:`, which AWS reserves; rename it", k.text),
            ));
        }
        let value = match (&v.kind, v.scalar()) {
            (_, Some(Ok(Value::Null))) => String::new(),
            (NodeKind::Scalar { text, .. }, _) => text.clone(),
            _ => {
                let message = format!("tag `{}` must have a string value, not {}", k.text, v.kind_name());
                return Err(ctx.node(v, key, message));
            }
        };
        let len = value.chars().count();
        if len > MAX_TAG_VALUE {
            let message =
                format!("tag `{}` has a value of {len} characters; SSM allows at most {MAX_TAG_VALUE}", k.text);
            return Err(ctx.node(v, key, message));
        }
        tags.insert(k.text.clone(), value);
    }
    Ok(tags)
}

#[cfg(test)]
mod tests {
    use crate::Schema;
    use crate::schema::LeafKind;

    fn load(yaml: &str) -> Result<Schema, String> {
        Schema::from_yaml_str(yaml, "secrets.yml").map_err(|e| e.to_string())
    }

    fn entry(schema: &Schema, key: &str) -> (bool, Option<String>) {
        match &schema.inner.leaves[schema.inner.index[key]].kind {
            LeafKind::Entry(e) => (e.secure, e.json_key.clone()),
            LeafKind::Literal(_) => panic!("{key} is a literal"),
        }
    }

    #[test]
    fn a_secrets_manager_reference_is_secure_unless_it_says_otherwise() {
        let schema = load(
            "jwt:\n  ssm_param: /aws/reference/secretsmanager/{stage}/jwt\n  json_key: secret\n\
             open:\n  ssm_param: /aws/reference/secretsmanager/public-id:AWSPREVIOUS\n  secure: false\n\
             plain:\n  ssm_param: /app/{stage}/jwt\n",
        )
        .unwrap();
        assert_eq!(entry(&schema, "jwt"), (true, Some("secret".into())));
        assert!(schema.is_secure("jwt"));
        assert_eq!(entry(&schema, "open"), (false, None));
        assert_eq!(entry(&schema, "plain"), (false, None));
    }

    #[test]
    fn a_bad_json_key_is_an_error_at_its_position() {
        let cases = [
            (
                "a:\n  ssm_param: /x\n  json_key: ''\n",
                "secrets.yml:3:13: `a`: `json_key` is empty; name the member of the JSON object to read (`json_key: password`)",
            ),
            (
                "a:\n  ssm_param: /x\n  json_key: [secret]\n",
                "secrets.yml:3:13: `a`: `json_key` must be the name of a member of the JSON object (`json_key: password`), not a sequence",
            ),
            ("a:\n  ssm_param: /x\n  json_key:\n", "secrets.yml:3:11: `a`: `json_key` must be the name of a member"),
            (
                "a:\n  ssm_param: /x\n  json_kye: secret\n",
                "secrets.yml:3:3: `a`: unknown field `json_kye`; did you mean `json_key`?",
            ),
        ];
        for (yaml, expected) in cases {
            let err = load(yaml).unwrap_err();
            assert!(err.starts_with(expected), "{err}\nexpected: {expected}");
        }
    }

    #[test]
    fn a_reference_cannot_be_a_list_unless_a_member_is() {
        let err = load("a:\n  ssm_param: /aws/reference/secretsmanager/hosts\n  type: list\n").unwrap_err();
        assert!(err.starts_with("secrets.yml:3:9: `a`: a Secrets Manager reference is secure"), "{err}");
        assert!(err.contains("`secure: false`"), "{err}");
        load("a:\n  ssm_param: /aws/reference/secretsmanager/hosts\n  type: list\n  secure: false\n").unwrap();
        load("a:\n  ssm_param: /aws/reference/secretsmanager/db\n  type: list\n  json_key: hosts\n").unwrap();
    }

    #[test]
    fn a_default_of_a_json_key_entry_is_the_member_value() {
        let schema =
            load("port:\n  ssm_param: /aws/reference/secretsmanager/db\n  json_key: port\n  default: 5432\n").unwrap();
        assert_eq!(schema.inner.leaves.len(), 1);
        let err = load(
            "port:\n  ssm_param: /aws/reference/secretsmanager/db\n  json_key: port\n  type: int\n  default: \"{}\"\n",
        )
        .unwrap_err();
        assert!(err.contains("does not decode as int"), "{err}");
    }
}
