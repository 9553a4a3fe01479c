//! Loading a schema from YAML files: mounts, node classification and the
//! checks on every entry field.

use std::collections::HashMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::entry::{Ctx, entry};
use super::suggest::nearest;
use super::yaml::{self, Key, Node, NodeKind, join};
use super::{Leaf, LeafKind, Schema, SchemaInner};
use crate::error::{Error, Location, Result};
use crate::value::printable;

/// The largest schema file read, in bytes (16 MiB).
const MAX_FILE_BYTES: usize = 16 * 1024 * 1024;
impl Schema {
    /// Loads a schema from a YAML file, or from a directory of them.
    ///
    /// A file is the root of the tree. In a directory every `*.yml` and
    /// `*.yaml` file (not in subdirectories, not hidden) is read in file name
    /// order and mounted under its file stem less a trailing `_config`:
    /// `aws_config.yml` holds the keys under `aws`.
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] naming the file, line, column and dotted key when a
    /// file cannot be read, is larger than 16 MiB, is not UTF-8 or not YAML,
    /// when two files mount at one key, when a directory holds no schema
    /// file, or when the tree breaks a rule of the schema (see
    /// [`Schema::from_yaml_str`]).
    pub fn load(path: impl AsRef<Path>) -> Result<Schema> {
        let path = path.as_ref();
        let meta = fs::metadata(path).map_err(|e| io_error(path, &e))?;
        let mut leaves = Vec::new();
        if meta.is_dir() {
            for (mount, file) in mounts(path)? {
                let text = read_file(&file)?;
                add_file(&mut leaves, &text, &file, &mount)?;
            }
        } else {
            let text = read_file(path)?;
            add_file(&mut leaves, &text, path, "")?;
        }
        Ok(build(leaves, path.to_path_buf()))
    }

    /// Loads a schema from YAML text; `origin` names it in errors (a file
    /// name such as `schema.yml`, or `<string>`).
    ///
    /// ```
    /// use ssmconf::Schema;
    ///
    /// let yaml = "
    /// models:
    ///   default_basic:
    ///     ssm_param: /app/{stage}/models/default_basic
    ///     default: GPT_4O
    ///     allowed: [GPT_4O, GPT_5_MINI]
    /// training:
    ///   epochs: 3
    /// ";
    /// let schema = Schema::from_yaml_str(yaml, "schema.yml")?;
    /// assert!(schema.is_entry("models.default_basic"));
    /// assert_eq!(schema.keys().collect::<Vec<_>>(), ["models.default_basic", "training.epochs"]);
    ///
    /// let err = Schema::from_yaml_str("a:\n  ssm_parm: /x\n  ssm_param: /y\n", "schema.yml").unwrap_err();
    /// assert_eq!(err.to_string(), "schema.yml:2:3: `a`: unknown field `ssm_parm`; did you mean `ssm_param`?");
    /// # Ok::<(), ssmconf::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Schema`] with the line, column and dotted key of the first
    /// problem: invalid YAML, several documents, a duplicate key, a key
    /// outside `[A-Za-z0-9_-]+`, an unknown entry field, a bad `ssm_param`,
    /// `type`, `ttl`, `env` or `tags`, a `default` or `allowed` value that
    /// does not decode to the entry's type, or a `default` outside `allowed`.
    pub fn from_yaml_str(text: &str, origin: impl Into<PathBuf>) -> Result<Schema> {
        let origin = origin.into();
        if text.len() > MAX_FILE_BYTES {
            return Err(too_large(&origin));
        }
        let mut leaves = Vec::new();
        add_file(&mut leaves, text, &origin, "")?;
        Ok(build(leaves, origin))
    }
}

impl Schema {
    /// A schema with no keys, for a resolver that reads only names outside
    /// a schema ([`Resolver::parameter`](crate::Resolver::parameter)).
    #[must_use]
    pub fn empty() -> Schema {
        build(Vec::new(), PathBuf::from("<empty>"))
    }
}

fn build(leaves: Vec<Leaf>, origin: PathBuf) -> Schema {
    let index = leaves.iter().enumerate().map(|(i, l)| (l.key.clone(), i)).collect();
    Schema { inner: Arc::new(SchemaInner { leaves, index, origin }) }
}

fn at_start(path: &Path) -> Location {
    Location { file: path.to_path_buf(), line: 1, column: 1 }
}

fn io_error(path: &Path, e: &std::io::Error) -> Error {
    Error::schema(at_start(path), "", format!("cannot read the schema: {e}; check the path and its permissions"))
}

fn too_large(path: &Path) -> Error {
    Error::schema(
        at_start(path),
        "",
        "the file is larger than 16 MiB, the most a schema file may be; split it into a directory of smaller files",
    )
}

/// The schema files of a directory with their mounts, in file name order.
fn mounts(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for item in fs::read_dir(dir).map_err(|e| io_error(dir, &e))? {
        let item = item.map_err(|e| io_error(dir, &e))?;
        let path = item.path();
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            continue;
        };
        let is_yaml = name.ends_with(".yml") || name.ends_with(".yaml");
        if !is_yaml || name.starts_with('.') || !path.is_file() {
            continue;
        }
        files.push((name.to_string(), path));
    }
    if files.is_empty() {
        return Err(Error::schema(
            at_start(dir),
            "",
            "the directory holds no `*.yml` or `*.yaml` file; add one, or point at a schema file",
        ));
    }
    files.sort();
    let mut seen: HashMap<String, String> = HashMap::new();
    let mut out = Vec::with_capacity(files.len());
    for (name, path) in files {
        let stem = name.rsplit_once('.').map_or(name.as_str(), |(s, _)| s);
        let mount = stem.strip_suffix("_config").unwrap_or(stem).to_string();
        if let Err(reason) = check_key(&mount) {
            let message = format!(
                "the file name `{name}` gives the mount `{mount}`, which is not a valid key: {reason}; rename the file"
            );
            return Err(Error::schema(at_start(&path), "", message));
        }
        if let Some(first) = seen.get(&mount) {
            let message = format!("`{first}` and `{name}` are both mounted at `{mount}`; merge them or rename one");
            return Err(Error::schema(at_start(&path), mount, message));
        }
        seen.insert(mount.clone(), name);
        out.push((mount, path));
    }
    Ok(out)
}

/// Reads a file of at most 16 MiB as UTF-8, refusing larger ones before
/// reading them whole.
fn read_file(path: &Path) -> Result<String> {
    let file = fs::File::open(path).map_err(|e| io_error(path, &e))?;
    let len = file.metadata().map_err(|e| io_error(path, &e))?.len();
    if len > MAX_FILE_BYTES as u64 {
        return Err(too_large(path));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0) + 1);
    file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(|e| io_error(path, &e))?;
    if bytes.len() > MAX_FILE_BYTES {
        return Err(too_large(path));
    }
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = e.utf8_error().valid_up_to();
        let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().unwrap_or_default().chars().count() + 1;
        let message = format!("the file is not valid UTF-8 (byte 0x{:02X}); save it as UTF-8", bytes[valid]);
        Error::schema(Location { file: path.to_path_buf(), line, column }, "", message)
    })
}

fn add_file(leaves: &mut Vec<Leaf>, text: &str, file: &Path, mount: &str) -> Result<()> {
    let ctx = Ctx { file };
    let root = yaml::parse(text, file, mount)?;
    let NodeKind::Map(entries) = &root.kind else {
        let message = format!(
            "the top level of a schema file must be a mapping of keys, not {}; write `key: value` lines",
            root.kind_name()
        );
        return Err(ctx.node(&root, mount, message));
    };
    walk(&ctx, entries, mount, leaves)
}

/// `[A-Za-z0-9_-]+`, with a reason naming the bad character.
fn check_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        return Err("the key is empty; keys are letters, digits, `_` and `-`".to_string());
    }
    // Invisible and control characters are written as escapes (`\u{200b}`).
    let shown = printable(key);
    match key.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))) {
        Some('.') => Err(format!("key `{shown}` contains `.`; nest a mapping instead of writing a dotted key")),
        Some(c) => Err(format!(
            "key `{shown}` contains `{}`; keys hold only letters, digits, `_` and `-`",
            printable(c.encode_utf8(&mut [0; 4]))
        )),
        None => Ok(()),
    }
}

fn walk(ctx: &Ctx<'_>, entries: &[(Key, Node)], prefix: &str, leaves: &mut Vec<Leaf>) -> Result<()> {
    for (k, v) in entries {
        let key = join(prefix, &k.text);
        check_key(&k.text).map_err(|reason| ctx.key(k, &printable(&key), reason))?;
        // `ssm_parm: /x` would make its mapping a group holding a literal.
        if !matches!(v.kind, NodeKind::Map(_)) && nearest(&k.text, ["ssm_param"]).is_some() {
            let message = format!(
                "unknown field `{}`; did you mean `ssm_param`? (without `ssm_param` this mapping is a group, not an entry)",
                k.text
            );
            return Err(ctx.key(k, prefix, message));
        }
        let location = Location { file: ctx.file.to_path_buf(), line: k.line, column: k.column };
        let kind = match &v.kind {
            NodeKind::Map(fields) if fields.iter().any(|(f, _)| f.text == "ssm_param") => {
                LeafKind::Entry(Box::new(entry(ctx, &key, fields)?))
            }
            NodeKind::Map(children) => {
                walk(ctx, children, &key, leaves)?;
                continue;
            }
            _ => LeafKind::Literal(Arc::new(v.to_json().map_err(|e| ctx.from(e, &key))?)),
        };
        leaves.push(Leaf { key, location, kind });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use serde_json::json;

    use super::*;
    use crate::Value;
    use crate::schema::{Entry, parse_ttl};
    use crate::value::ValueType;

    const EXAMPLE: &str = r#"ec2:
  instance_id:
    ssm_param: /fine-tune-slm/{stage}/ec2/instance-id
    description: "EC2 instance ID for training"
    required: true
models:
  default_basic:
    ssm_param: /purposepath/{stage}/models/default_basic
    default: CLAUDE_3_5_SONNET_V2
    allowed: [CLAUDE_3_5_SONNET_V2, CLAUDE_3_7_SONNET, CLAUDE_SONNET_4_5, CLAUDE_OPUS_4_5, GPT_4O, GPT_5_MINI]
    ttl: 5m
secrets:
  hf_token:
    ssm_param: /fine-tune-slm/{stage}/secrets/hf-token
    secure: true
training:
  learning_rate: 1.0e-4
  epochs: 3
"#;

    fn load(yaml: &str) -> Schema {
        Schema::from_yaml_str(yaml, "schema.yml").unwrap()
    }

    fn err(yaml: &str) -> String {
        Schema::from_yaml_str(yaml, "schema.yml").unwrap_err().to_string()
    }

    fn leaf<'a>(schema: &'a Schema, key: &str) -> &'a Leaf {
        &schema.inner.leaves[schema.inner.index[key]]
    }

    fn entry<'a>(schema: &'a Schema, key: &str) -> &'a Entry {
        match &leaf(schema, key).kind {
            LeafKind::Entry(e) => e,
            LeafKind::Literal(_) => panic!("{key} is a literal"),
        }
    }

    fn literal(schema: &Schema, key: &str) -> Value {
        match &leaf(schema, key).kind {
            LeafKind::Literal(v) => (**v).clone(),
            LeafKind::Entry(_) => panic!("{key} is an entry"),
        }
    }

    /// One entry `a` with `ssm_param: /x` and the given extra lines.
    fn one(fields: &str) -> String {
        let mut yaml = String::from("a:\n  ssm_param: /x\n");
        for line in fields.lines() {
            yaml.push_str(&format!("  {line}\n"));
        }
        yaml
    }

    #[test]
    fn spec_example() {
        let s = load(EXAMPLE);
        let keys: Vec<_> = s.keys().collect();
        assert_eq!(
            keys,
            [
                "ec2.instance_id",
                "models.default_basic",
                "secrets.hf_token",
                "training.learning_rate",
                "training.epochs"
            ]
        );
        let id = entry(&s, "ec2.instance_id");
        assert_eq!(id.name.raw(), "/fine-tune-slm/{stage}/ec2/instance-id");
        assert_eq!((id.name_location.line, id.name_location.column), (3, 16));
        assert_eq!(id.description.as_deref(), Some("EC2 instance ID for training"));
        assert!(id.required && !id.secure && id.default.is_none() && id.ttl.is_none());
        assert_eq!(id.value_type, ValueType::String);
        let model = entry(&s, "models.default_basic");
        assert_eq!(model.default.as_deref(), Some(&json!("CLAUDE_3_5_SONNET_V2")));
        assert_eq!(model.allowed.as_ref().map(Vec::len), Some(6));
        assert_eq!(model.ttl, Some(Duration::from_secs(300)));
        assert!(entry(&s, "secrets.hf_token").secure);
        assert_eq!(literal(&s, "training.learning_rate"), json!(0.0001));
        assert_eq!(literal(&s, "training.epochs"), json!(3));
        let loc = &leaf(&s, "training.epochs").location;
        assert_eq!((loc.file.as_path(), loc.line, loc.column), (Path::new("schema.yml"), 18, 3));
        assert!(s.is_entry("models.default_basic") && !s.is_entry("training.epochs"));
    }

    #[test]
    fn unknown_fields() {
        assert_eq!(
            err("models:\n  default_basic:\n    ssm_param: /x\n    ssm_parm: /y\n"),
            "schema.yml:4:5: `models.default_basic`: unknown field `ssm_parm`; did you mean `ssm_param`?"
        );
        assert_eq!(
            err(&one("colour: red")),
            "schema.yml:3:3: `a`: unknown field `colour`; the fields of an entry are `ssm_param`, `default`, \
             `description`, `type`, `secure`, `required`, `allowed`, `env`, `ttl`, `tags`, `json_key`"
        );
        assert!(err(&one("defualt: 1")).ends_with("unknown field `defualt`; did you mean `default`?"));
        // A misspelt `ssm_param` alone would make a group; it is caught too.
        assert_eq!(
            err("models:\n  m:\n    ssm_parm: /y\n"),
            "schema.yml:3:5: `models.m`: unknown field `ssm_parm`; did you mean `ssm_param`? \
             (without `ssm_param` this mapping is a group, not an entry)"
        );
    }

    #[test]
    fn type_inference() {
        let s = load(
            "s: {ssm_param: /s, default: x}\ni: {ssm_param: /i, default: 3}\nf: {ssm_param: /f, default: 0.5}\n\
             b: {ssm_param: /b, default: false}\nl: {ssm_param: /l, default: [a, b]}\nj: {ssm_param: /j, default: {k: 1}}\n\
             n: {ssm_param: /n}\nq: {ssm_param: /q, default: '3'}\n",
        );
        let types: Vec<_> = ["s", "i", "f", "b", "l", "j", "n", "q"].iter().map(|k| entry(&s, k).value_type).collect();
        use ValueType::*;
        assert_eq!(types, [String, Int, Float, Bool, List, Json, String, String]);
        assert_eq!(entry(&s, "l").default.as_deref(), Some(&json!(["a", "b"])));
        assert_eq!(entry(&s, "j").default.as_deref(), Some(&json!({"k": 1})));
        assert_eq!(entry(&s, "q").default.as_deref(), Some(&json!("3")));
        assert_eq!(entry(&s, "f").default.as_deref(), Some(&json!(0.5)));
        assert_eq!(
            err(&one("default: ~")),
            "schema.yml:3:12: `a`: `default` is null and the entry has no `type`; add a `type`, or remove `default` for no default"
        );
    }

    #[test]
    fn defaults_decode_like_ssm_values() {
        assert_eq!(
            err(&one("type: int\ndefault: 5.5")),
            "schema.yml:4:12: `a`: default `5.5` does not decode as int: the value is not a decimal integer; fix the default or the `type`"
        );
        assert!(err(&one("type: int\ndefault: 0x10")).contains("default `0x10` does not decode as int"));
        assert_eq!(
            err(&one("type: int\nsecure: true\ndefault: hunter2")),
            "schema.yml:5:12: `a`: `default` does not decode as int: the value is not a decimal integer; fix the default or the `type`"
        );
        assert!(err(&one("type: bool\ndefault: yes")).contains("default `yes` does not decode as bool"));
        assert!(err(&one("type: json\ndefault: not json")).contains("default `not json` does not decode as json"));
        assert!(
            err(&one("type: int\ndefault: [1]")).contains("a sequence needs `type: list` or `type: json`, not `int`")
        );
        assert!(err(&one("type: string\ndefault: {a: 1}")).contains("a mapping needs `type: json`, not `string`"));
        assert!(err(&one("type: string\ndefault: null")).contains("null is not a string value; quote it (`'null'`)"));
        assert!(err(&one("type: list\ndefault: ['a,b', c]")).contains("list item `a,b` contains `,`"));
        let s = load(&one("type: float\ndefault: 3\n"));
        assert_eq!(entry(&s, "a").default.as_deref(), Some(&json!(3.0)));
        let s = load(&one("type: list\ndefault: a,b"));
        assert_eq!(entry(&s, "a").default.as_deref(), Some(&json!(["a", "b"])));
        let s = load(&one("type: string\ndefault: 0x10"));
        assert_eq!(entry(&s, "a").default.as_deref(), Some(&json!("0x10")));
        let s = load(&one("type: json\ndefault: [1, {b: x}]"));
        assert_eq!(entry(&s, "a").default.as_deref(), Some(&json!([1, {"b": "x"}])));
        let s = load(&one("type: bool\ndefault: 1"));
        assert_eq!(entry(&s, "a").default.as_deref(), Some(&json!(true)));
    }

    #[test]
    fn allowed_values() {
        assert_eq!(
            err(&one("default: C\nallowed: [A, B]")),
            "schema.yml:3:12: `a`: default `C` is not one of the allowed values: `A`, `B`; add it to `allowed` or change the default"
        );
        assert!(err(&one("default: C\nsecure: true\nallowed: [A, B]")).contains("default the value is not one of"));
        assert!(
            err(&one("default: [A, C]\nallowed: [A, B]")).contains("default item `C` is not one of the allowed values")
        );
        let s = load(&one("default: [A, B]\nallowed: [A, B, C]"));
        assert_eq!(entry(&s, "a").allowed, Some(vec![json!("A"), json!("B"), json!("C")]));
        let s = load(&one("type: int\ndefault: 2\nallowed: [1, 2]"));
        assert_eq!(entry(&s, "a").allowed, Some(vec![json!(1), json!(2)]));
        assert_eq!(
            err(&one("type: int\nallowed: [1, two]")),
            "schema.yml:4:16: `a`: allowed value `two` does not decode as int: the value is not a decimal integer; fix the allowed value or the `type`"
        );
        assert!(err(&one("allowed: []")).contains("`allowed` is empty"));
        assert!(err(&one("allowed: A")).contains("`allowed` must be a list of values"));
    }

    #[test]
    fn secure_lists_and_types() {
        assert_eq!(
            err(&one("secure: true\ntype: list")),
            "schema.yml:4:9: `a`: a secure entry cannot be a `list`: SSM has no secure StringList; use `type: json` for a JSON array, or drop `secure`"
        );
        assert!(err(&one("secure: true\ndefault: [a]")).starts_with("schema.yml:3:11: "));
        assert_eq!(
            err(&one("type: strng")),
            "schema.yml:3:9: `a`: unknown type `strng`; did you mean `string`? (types: `string`, `int`, `float`, `bool`, `list`, `json`)"
        );
        assert!(
            err(&one("type: number"))
                .ends_with("unknown type `number`; use one of `string`, `int`, `float`, `bool`, `list`, `json`")
        );
        assert_eq!(err(&one("secure: yes")), "schema.yml:3:11: `a`: `secure` must be `true` or `false`");
        assert!(err(&one("required: 1")).contains("`required` must be `true` or `false`"));
    }

    #[test]
    fn ttl_forms() {
        let ttl = |v: &str| entry(&load(&one(&format!("ttl: {v}"))), "a").ttl;
        assert_eq!(ttl("30s"), Some(Duration::from_secs(30)));
        assert_eq!(ttl("5m"), Some(Duration::from_secs(300)));
        assert_eq!(ttl("1h"), Some(Duration::from_secs(3600)));
        assert_eq!(ttl("0"), Some(Duration::ZERO));
        assert_eq!(ttl("45"), Some(Duration::from_secs(45)));
        assert_eq!(ttl("'45'"), Some(Duration::from_secs(45)));
        for bad in ["5 min", "-1", "1.5", "1d", "m", "true", "0x10", "''"] {
            let shown = bad.trim_matches('\'');
            assert_eq!(
                err(&one(&format!("ttl: {bad}"))),
                format!(
                    "schema.yml:3:8: `a`: invalid `ttl`: `{shown}` is not a TTL; write `30s`, `5m`, `1h`, `0` \
                     (never cached) or a whole number of seconds"
                ),
            );
        }
        assert!(
            err(&one("ttl: [1]"))
                .ends_with("invalid `ttl`: it is a sequence; write `30s`, `5m`, `1h`, `0` or whole seconds")
        );
        assert_eq!(parse_ttl("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_ttl("0s"), Ok(Duration::ZERO));
        assert!(parse_ttl("99999999999999999999h").is_err());
        assert!(parse_ttl("").is_err());
    }

    #[test]
    fn strings_env_and_tags() {
        let s = load(&one("env: MODEL_NAME\ntags: {team: ml, Cost-Center: '42', empty: }"));
        let e = entry(&s, "a");
        assert_eq!(e.env.as_deref(), Some("MODEL_NAME"));
        let tags: Vec<_> = e.tags.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(tags, [("Cost-Center", "42"), ("empty", ""), ("team", "ml")]);
        assert!(err(&one("env: 1BAD")).contains("`env` `1BAD` is not an environment variable name"));
        assert!(err(&one("env: [A]")).contains("`env` must be a string, not a sequence"));
        assert!(err(&one("description: ~")).contains("`description` must be a string, not null"));
        let long_key = "k".repeat(129);
        assert!(
            err(&one(&format!("tags: {{{long_key}: v}}")))
                .contains("tag key is 129 characters long; SSM allows 1 to 128")
        );
        assert!(load(&one(&format!("tags: {{{}: v}}", "k".repeat(128)))).len() == 1);
        assert!(err(&one(&format!("tags: {{k: {}}}", "v".repeat(257)))).contains("has a value of 257 characters"));
        assert!(err(&one("tags: {'aws:x': v}")).contains("starts with `aws:`"));
        assert!(err(&one("tags: [a]")).contains("`tags` must be a mapping"));
        assert!(load(&one(&format!("description: {}", "d".repeat(1024)))).len() == 1);
        assert_eq!(
            err(&one(&format!("description: {}", "d".repeat(1025)))),
            "schema.yml:3:16: `a`: `description` is 1025 characters long; SSM allows at most 1024; shorten it"
        );
    }

    #[test]
    fn bad_ssm_param() {
        assert_eq!(
            err("a:\n  ssm_param: /x/{stage:0\n"),
            "schema.yml:2:14: `a`: invalid `ssm_param` `/x/{stage:0`: version 0 does not exist; versions start at 1"
        );
        assert!(err("a:\n  ssm_param: /aws/x\n").contains("which SSM reserves"));
        assert!(err("a:\n  ssm_param: [x]\n").contains("`ssm_param` must be a string, not a sequence"));
        assert!(err("a:\n  ssm_param:\n").contains("`ssm_param` must be a string, not null"));
        let s = load("a:\n  ssm_param: /aws/service/global-infrastructure/regions\n");
        assert_eq!(entry(&s, "a").name.raw(), "/aws/service/global-infrastructure/regions");
    }

    #[test]
    fn keys_and_shapes() {
        assert_eq!(
            err("group:\n  bad.key: 1\n"),
            "schema.yml:2:3: `group.bad.key`: key `bad.key` contains `.`; nest a mapping instead of writing a dotted key"
        );
        assert!(
            err("g:\n  'a b': 1\n").contains("key `a b` contains ` `; keys hold only letters, digits, `_` and `-`")
        );
        assert!(err("'': 1\n").contains("the key is empty"));
        assert_eq!(
            err("- a\n- b\n"),
            "schema.yml:1:1: the top level of a schema file must be a mapping of keys, not a sequence; write `key: value` lines"
        );
        assert!(load("").is_empty());
        let s = load("empty: {}\nlist: [1, {a: [x, 2.5]}]\nnested:\n  deeper:\n    v: on\n");
        assert_eq!(s.keys().collect::<Vec<_>>(), ["list", "nested.deeper.v"]);
        assert_eq!(literal(&s, "list"), json!([1, {"a": ["x", 2.5]}]));
        assert_eq!(literal(&s, "nested.deeper.v"), json!("on"));
        assert!(err("x: .nan\n").starts_with("schema.yml:1:4: `x`: `.nan` is not a finite number"));
    }

    #[test]
    fn directory_mounts() {
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("aws_config.yml"), "ec2:\n  instance_id:\n    ssm_param: /a/{stage}/id\n").unwrap();
        fs::write(dir.path().join("models.yaml"), "temperature: 0.2\n").unwrap();
        fs::write(dir.path().join("notes.txt"), "not: yaml: at all").unwrap();
        fs::write(dir.path().join(".hidden.yml"), "[").unwrap();
        fs::create_dir(dir.path().join("sub")).unwrap();
        fs::write(dir.path().join("sub/x.yml"), "[").unwrap();
        fs::write(dir.path().join("empty.yml"), "").unwrap();
        let s = Schema::load(dir.path()).unwrap();
        assert_eq!(s.keys().collect::<Vec<_>>(), ["aws.ec2.instance_id", "models.temperature"]);
        assert_eq!(s.origin(), dir.path());
        assert_eq!(leaf(&s, "models.temperature").location.file, dir.path().join("models.yaml"));

        fs::write(dir.path().join("aws.yml"), "x: 1\n").unwrap();
        let e = Schema::load(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:1:1: `aws`: `aws.yml` and `aws_config.yml` are both mounted at `aws`; merge them or rename one",
                dir.path().join("aws_config.yml").display()
            )
        );
    }

    #[test]
    fn directory_errors_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Schema::load(dir.path()).unwrap_err().to_string().contains("holds no `*.yml` or `*.yaml` file"));
        fs::write(dir.path().join("b.yml"), "x:\n  y: 1\n  y: 2\n").unwrap();
        let e = Schema::load(dir.path()).unwrap_err().to_string();
        assert_eq!(
            e,
            format!(
                "{}:3:3: `b.x.y`: duplicate key `y` (first at line 2); remove one of them",
                dir.path().join("b.yml").display()
            )
        );
        fs::write(dir.path().join("b.yml"), "- 1\n").unwrap();
        assert!(
            Schema::load(dir.path())
                .unwrap_err()
                .to_string()
                .contains(": `b`: the top level of a schema file must be a mapping")
        );
        fs::remove_file(dir.path().join("b.yml")).unwrap();
        fs::write(dir.path().join("a.b.yml"), "x: 1\n").unwrap();
        assert!(
            Schema::load(dir.path())
                .unwrap_err()
                .to_string()
                .contains("gives the mount `a.b`, which is not a valid key")
        );
    }

    #[test]
    fn file_errors() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.yml");
        let e = Schema::load(&missing).unwrap_err().to_string();
        assert!(e.starts_with(&format!("{}:1:1: cannot read the schema: ", missing.display())), "{e}");

        let bad = dir.path().join("bad.yml");
        fs::write(&bad, b"a: 1\nbb: caf\xe9\n").unwrap();
        let e = Schema::load(&bad).unwrap_err().to_string();
        assert_eq!(e, format!("{}:2:8: the file is not valid UTF-8 (byte 0xE9); save it as UTF-8", bad.display()));

        let big = dir.path().join("big.yml");
        fs::File::create(&big).unwrap().set_len(50 * 1024 * 1024).unwrap();
        let start = Instant::now();
        let e = Schema::load(&big).unwrap_err().to_string();
        assert!(start.elapsed().as_millis() < 200, "took {:?}", start.elapsed());
        assert!(e.ends_with(
            "the file is larger than 16 MiB, the most a schema file may be; split it into a directory of smaller files"
        ));

        let good = dir.path().join("good.yml");
        fs::write(&good, EXAMPLE).unwrap();
        assert_eq!(Schema::load(&good).unwrap().len(), 5);
    }
}
