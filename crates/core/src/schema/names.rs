//! SSM parameter names: `{var}` templates, `:version` / `:label` selectors,
//! and SSM's naming rules, checked before any call is made.

use std::collections::HashMap;
use std::fmt;

use crate::value::printable;

/// The longest name SSM accepts, in characters.
const MAX_NAME_LEN: usize = 1011;
/// The most `/`-separated parts (levels) a name may have.
const MAX_LEVELS: usize = 15;
/// The longest label SSM accepts.
const MAX_LABEL_LEN: usize = 100;
/// The longest var value.
const MAX_VAR_LEN: usize = 128;
/// Where Parameter Store shows Secrets Manager secrets.
pub(crate) const SECRETS_PREFIX: &str = "/aws/reference/secretsmanager/";
/// Reserved prefixes that may still be read.
const READ_ONLY_PREFIXES: [&str; 2] = [SECRETS_PREFIX, "/aws/service/"];
/// The longest version stage or version id of a secret.
const MAX_SECRET_SELECTOR_LEN: usize = 256;

/// A version or label selector: the part after the last `:` of a name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Selector {
    /// `:3`, a version number (1 or more).
    Version(i64),
    /// `:prod`, a label.
    Label(String),
    /// `:AWSPREVIOUS` or a version id, after a Secrets Manager reference.
    Secret(String),
}

impl fmt::Display for Selector {
    /// The selector without its `:` (`3`, `prod`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Selector::Version(v) => write!(f, "{v}"),
            Selector::Label(l) | Selector::Secret(l) => f.write_str(l),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Var(String),
}

/// A parsed `ssm_param`: text with `{var}` placeholders and an optional selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NameTemplate {
    raw: String,
    parts: Vec<Part>,
    selector: Option<Selector>,
}

/// A name with its placeholders filled and checked against SSM's rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct FilledName {
    /// The name without its selector (`/app/dev/key`): what SSM stores.
    pub plain: String,
    /// The name as asked for, selector included (`/app/dev/key:3`).
    pub full: String,
    /// The selector, if any.
    pub selector: Option<Selector>,
}

impl FilledName {
    /// True when the name may be read but not written: it has a selector, or
    /// it lies under `/aws/` (public parameters, Secrets Manager references).
    pub(crate) fn is_read_only(&self) -> bool {
        if self.selector.is_some() {
            return true;
        }
        let lower = self.plain.to_ascii_lowercase();
        lower.starts_with("/aws/") || lower.starts_with("aws/")
    }

    /// True for a Secrets Manager secret read through Parameter Store
    /// (`/aws/reference/secretsmanager/NAME`): read only, secure unless the
    /// entry says otherwise, and fetched in a request of its own.
    pub(crate) fn is_secret_reference(&self) -> bool {
        is_secret_reference(&self.plain)
    }
}

/// True when `name` lies under `/aws/reference/secretsmanager/`.
pub(crate) fn is_secret_reference(name: &str) -> bool {
    name.len() > SECRETS_PREFIX.len() && name.starts_with(SECRETS_PREFIX)
}

impl NameTemplate {
    /// Parses a raw `ssm_param`. The error says what is wrong and how to fix it.
    pub(crate) fn parse(raw: &str) -> Result<NameTemplate, String> {
        let (body, selector) = split_selector(raw);
        let selector = match selector {
            Some(text) if body.starts_with(SECRETS_PREFIX) => Some(parse_secret_selector(text)?),
            Some(text) => Some(parse_selector(text)?),
            None => None,
        };
        let parts = parse_parts(body)?;
        let template = NameTemplate { raw: raw.to_string(), parts, selector };
        // Every var value is at least one safe character, so a name built with
        // `x` for every var breaks a rule only if every filled name would.
        let probe: String = template
            .parts
            .iter()
            .map(|p| match p {
                Part::Text(t) => t.as_str(),
                Part::Var(_) => "x",
            })
            .collect();
        check_name(&probe, body, template.placeholders().next().is_some())?;
        Ok(template)
    }

    /// The `ssm_param` as written.
    #[cfg(test)]
    pub(crate) fn raw(&self) -> &str {
        &self.raw
    }

    /// True when the name as written is a Secrets Manager reference. Only
    /// the text counts, never a var: whether an entry is secret (and so
    /// secure by default) is known from the schema alone.
    pub(crate) fn is_secret_reference(&self) -> bool {
        matches!(self.parts.first(), Some(Part::Text(t)) if t.starts_with(SECRETS_PREFIX))
    }

    /// The var names used, in order of appearance (repeats included).
    pub(crate) fn placeholders(&self) -> impl Iterator<Item = &str> {
        self.parts.iter().filter_map(|p| match p {
            Part::Var(v) => Some(v.as_str()),
            Part::Text(_) => None,
        })
    }

    /// The version or label selector, if any.
    #[cfg(test)]
    pub(crate) fn selector(&self) -> Option<&Selector> {
        self.selector.as_ref()
    }

    /// Fills the placeholders from `vars` and checks the result.
    pub(crate) fn fill(&self, vars: &HashMap<String, String>) -> Result<FilledName, String> {
        let mut plain = String::with_capacity(self.raw.len());
        for part in &self.parts {
            match part {
                Part::Text(t) => plain.push_str(t),
                Part::Var(v) => {
                    let Some(value) = vars.get(v) else {
                        return Err(missing_var(v, vars));
                    };
                    validate_var_value(v, value)?;
                    plain.push_str(value);
                }
            }
        }
        validate_name(&plain).map_err(|e| format!("SSM name `{plain}` is invalid: {e}"))?;
        if is_secret_reference(&plain) && !self.is_secret_reference() {
            return Err(format!(
                "SSM name `{plain}` is a Secrets Manager reference made by a var; write \
                 `{SECRETS_PREFIX}` in `ssm_param` itself, so that the entry is known to be secret"
            ));
        }
        let full = match &self.selector {
            Some(s) => format!("{plain}:{s}"),
            None => plain.clone(),
        };
        Ok(FilledName { plain, full, selector: self.selector.clone() })
    }
}

fn missing_var(var: &str, vars: &HashMap<String, String>) -> String {
    let mut given: Vec<&str> = vars.keys().map(String::as_str).collect();
    given.sort_unstable();
    let given = if given.is_empty() {
        "no vars were given".to_string()
    } else {
        let list: Vec<String> = given.iter().map(|g| format!("`{g}`")).collect();
        format!("vars given: {}", list.join(", "))
    };
    format!(
        "placeholder `{{{var}}}` has no value ({given}); pass one with `.var(\"{var}\", \"dev\")` \
         (Rust), `vars={{\"{var}\": \"dev\"}}` (Python) or `--var {var}=dev` (CLI)"
    )
}

/// Splits a name at its last `:` into the name and the selector text.
pub(crate) fn split_selector(name: &str) -> (&str, Option<&str>) {
    match name.rfind(':') {
        Some(i) => (&name[..i], Some(&name[i + 1..])),
        None => (name, None),
    }
}

fn parse_selector(text: &str) -> Result<Selector, String> {
    if text.is_empty() {
        return Err("a `:` must be followed by a version number or a label (`/a/b:3`, `/a/b:prod`)".to_string());
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        if text.starts_with('0') {
            return Err(if text.bytes().all(|b| b == b'0') {
                "version 0 does not exist; versions start at 1".to_string()
            } else {
                format!("version `{text}` has a leading zero; write `:{}`", text.trim_start_matches('0'))
            });
        }
        return text.parse::<i64>().map(Selector::Version).map_err(|_| format!("version `{text}` is too large"));
    }
    validate_label(text)?;
    Ok(Selector::Label(text.to_string()))
}

/// The version stage (`AWSPREVIOUS`, `AWSCURRENT`, a custom stage) or the
/// version id of a secret: Secrets Manager's own rules, not SSM's labels.
fn parse_secret_selector(text: &str) -> Result<Selector, String> {
    if text.is_empty() {
        return Err("a `:` after a Secrets Manager reference must be followed by a version stage or a version id \
                    (`:AWSPREVIOUS`, `:AWSCURRENT`)"
            .to_string());
    }
    let len = text.chars().count();
    if len > MAX_SECRET_SELECTOR_LEN {
        return Err(format!(
            "the version stage or id is {len} characters long; Secrets Manager allows at most {MAX_SECRET_SELECTOR_LEN}"
        ));
    }
    if let Some(c) =
        text.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '+' | '=' | '@')))
    {
        let c = printable(c.encode_utf8(&mut [0; 4]));
        return Err(format!(
            "version stage or id `{}` contains `{c}`; it holds letters, digits and `_.-+=@`",
            printable(text)
        ));
    }
    Ok(Selector::Secret(text.to_string()))
}

fn validate_label(label: &str) -> Result<(), String> {
    let len = label.chars().count();
    if len > MAX_LABEL_LEN {
        return Err(format!("label is {len} characters long; SSM allows at most {MAX_LABEL_LEN}"));
    }
    if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))) {
        return Err(format!("label `{label}` contains `{c}`; a label holds letters, digits, `.`, `-` and `_`"));
    }
    if label.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(format!(
            "label `{label}` starts with a digit; SSM labels cannot (write `:N` with only digits for a version)"
        ));
    }
    if has_reserved_prefix(label) {
        return Err(format!("label `{label}` starts with `aws` or `ssm`, which SSM reserves; rename the label"));
    }
    Ok(())
}

fn parse_parts(body: &str) -> Result<Vec<Part>, String> {
    let mut parts = Vec::new();
    let mut text = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '{' => {
                let rest = &body[i + 1..];
                let Some(end) = rest.find('}') else {
                    return Err(format!(
                        "unclosed `{{` at character {}; write a placeholder as `{{name}}`",
                        char_pos(body, i)
                    ));
                };
                let var = &rest[..end];
                if var.is_empty() {
                    return Err("empty placeholder `{}`; write a var name such as `{stage}`".to_string());
                }
                if !is_identifier(var) {
                    return Err(format!(
                        "placeholder `{{{var}}}` is not a valid var name; use letters, digits and `_`, \
                         not starting with a digit"
                    ));
                }
                if !text.is_empty() {
                    parts.push(Part::Text(std::mem::take(&mut text)));
                }
                parts.push(Part::Var(var.to_string()));
                // Skip the var name and the closing brace.
                for _ in 0..=var.chars().count() {
                    chars.next();
                }
            }
            '}' => {
                return Err(format!(
                    "stray `}}` at character {}; write a placeholder as `{{name}}`",
                    char_pos(body, i)
                ));
            }
            _ => text.push(c),
        }
    }
    if !text.is_empty() {
        parts.push(Part::Text(text));
    }
    Ok(parts)
}

/// 1-based character position of byte offset `i`.
fn char_pos(s: &str, i: usize) -> usize {
    s[..i].chars().count() + 1
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn has_reserved_prefix(s: &str) -> bool {
    let lower = s.get(..3).map(str::to_ascii_lowercase);
    matches!(lower.as_deref(), Some("aws" | "ssm"))
}

/// Checks a name (without selector) against SSM's rules.
pub(crate) fn validate_name(plain: &str) -> Result<(), String> {
    check_name(plain, plain, false)
}

/// Checks `plain`; messages quote `shown` (the template when `templated`).
fn check_name(plain: &str, shown: &str, templated: bool) -> Result<(), String> {
    if plain.is_empty() {
        return Err("the name is empty; give a parameter name such as `/app/dev/key`".to_string());
    }
    // A secret's name may also hold `+`, `=` and `@` (Secrets Manager's rule).
    let secret = plain.starts_with(SECRETS_PREFIX);
    let allowed = |c: char| {
        c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/') || (secret && matches!(c, '+' | '=' | '@'))
    };
    if let Some(c) = plain.chars().find(|c| !allowed(*c)) {
        let c = printable(c.encode_utf8(&mut [0; 4]));
        let extra = if secret { ", and in a secret's name `+`, `=` and `@`" } else { "" };
        return Err(format!(
            "the name contains `{c}`; SSM names hold only letters, digits, `_`, `.`, `-` and `/`{extra}"
        ));
    }
    let len = plain.len();
    if len > MAX_NAME_LEN {
        let at_least = if templated { "at least " } else { "" };
        return Err(format!("the name is {at_least}{len} characters long; SSM allows at most {MAX_NAME_LEN}"));
    }
    let first_shown = shown.trim_start_matches('/').split('/').next().unwrap_or_default();
    if !plain.contains('/') {
        if has_reserved_prefix(plain) {
            return Err(reserved(first_shown));
        }
        return Ok(());
    }
    let Some(rest) = plain.strip_prefix('/') else {
        return Err(format!("a hierarchical name starts with `/`; write `/{shown}`"));
    };
    let parts: Vec<&str> = rest.split('/').collect();
    if parts.iter().any(|p| p.is_empty()) {
        return Err("the name has an empty part (`//` or a trailing `/`); remove the extra `/`".to_string());
    }
    if parts.len() > MAX_LEVELS {
        return Err(format!("the name has {} `/`-separated parts; SSM allows at most {MAX_LEVELS}", parts.len()));
    }
    if has_reserved_prefix(parts[0]) && !READ_ONLY_PREFIXES.iter().any(|p| plain.starts_with(p)) {
        return Err(reserved(first_shown));
    }
    Ok(())
}

fn reserved(first: &str) -> String {
    format!(
        "the name's first part `{first}` begins with `aws` or `ssm`, which SSM reserves; rename it \
         (only `/aws/service/...` and `/aws/reference/secretsmanager/...` can be read)"
    )
}

/// Checks the value of a resolver var: 1 to 128 characters of
/// `[A-Za-z0-9_.-]`, not `.`, `..` or anything holding `..`, so that a var
/// fills exactly one part of a name.
pub(crate) fn validate_var_value(var: &str, value: &str) -> Result<(), String> {
    const RULE: &str =
        "a var value is 1 to 128 letters, digits, `_`, `.` or `-` (it fills part of one level of a name)";
    if value.is_empty() {
        return Err(format!("var `{var}` is empty; {RULE}"));
    }
    if let Some(c) = value.chars().find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))) {
        // Escaped: a newline or an escape sequence would otherwise be printed as it is.
        return Err(format!("var `{var}` contains `{}`; {RULE}", printable(c.encode_utf8(&mut [0; 4]))));
    }
    if value.len() > MAX_VAR_LEN {
        return Err(format!("var `{var}` is {} characters long; {RULE}", value.len()));
    }
    if value.contains("..") || value == "." {
        return Err(format!(
            "var `{var}` is `.` or holds `..`, which could walk up a name hierarchy; give a plain value"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs.iter().map(|(k, v)| ((*k).to_string(), (*v).to_string())).collect()
    }

    fn fill(raw: &str, pairs: &[(&str, &str)]) -> Result<FilledName, String> {
        NameTemplate::parse(raw)?.fill(&vars(pairs))
    }

    #[test]
    fn placeholders_and_version() {
        let t = NameTemplate::parse("/a/{stage}/b:3").unwrap();
        assert_eq!(t.raw(), "/a/{stage}/b:3");
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["stage"]);
        assert_eq!(t.selector(), Some(&Selector::Version(3)));
        let f = t.fill(&vars(&[("stage", "dev")])).unwrap();
        assert_eq!(f.plain, "/a/dev/b");
        assert_eq!(f.full, "/a/dev/b:3");
        assert!(f.is_read_only());
    }

    #[test]
    fn several_placeholders_in_one_part() {
        let t = NameTemplate::parse("/{app}-{stage}/{stage}/x").unwrap();
        assert_eq!(t.placeholders().collect::<Vec<_>>(), ["app", "stage", "stage"]);
        let f = t.fill(&vars(&[("app", "svc"), ("stage", "prod")])).unwrap();
        assert_eq!(f.plain, "/svc-prod/prod/x");
        assert_eq!(f.full, f.plain);
        assert!(!f.is_read_only());
    }

    #[test]
    fn labels() {
        let f = fill("/a/b:prod", &[]).unwrap();
        assert_eq!(f.selector, Some(Selector::Label("prod".into())));
        assert_eq!((f.plain.as_str(), f.full.as_str()), ("/a/b", "/a/b:prod"));
        assert!(f.is_read_only());
        assert_eq!(
            NameTemplate::parse("/a/b:aws-x").unwrap_err(),
            "label `aws-x` starts with `aws` or `ssm`, which SSM reserves; rename the label"
        );
        assert!(NameTemplate::parse("/a/b:SSMlabel").is_err());
        assert!(NameTemplate::parse("/a/b:3x").unwrap_err().contains("starts with a digit"));
        assert!(NameTemplate::parse("/a/b:a b").unwrap_err().contains("contains ` `"));
        assert!(NameTemplate::parse(&format!("/a/b:{}", "l".repeat(100))).is_ok());
        assert_eq!(
            NameTemplate::parse(&format!("/a/b:{}", "l".repeat(101))).unwrap_err(),
            "label is 101 characters long; SSM allows at most 100"
        );
    }

    #[test]
    fn bad_versions() {
        assert_eq!(NameTemplate::parse("/a/b:0").unwrap_err(), "version 0 does not exist; versions start at 1");
        assert_eq!(NameTemplate::parse("/a/b:03").unwrap_err(), "version `03` has a leading zero; write `:3`");
        assert!(NameTemplate::parse("/a/b:").unwrap_err().starts_with("a `:` must be followed"));
        assert_eq!(
            NameTemplate::parse("/a/b:99999999999999999999").unwrap_err(),
            "version `99999999999999999999` is too large"
        );
        // Only the last `:` selects; an earlier one is a bad name character.
        assert!(NameTemplate::parse("/a:b/c:3").unwrap_err().contains("contains `:`"));
    }

    #[test]
    fn bad_placeholders() {
        assert_eq!(
            NameTemplate::parse("/a/{stage/b").unwrap_err(),
            "unclosed `{` at character 4; write a placeholder as `{name}`"
        );
        assert_eq!(
            NameTemplate::parse("/a/stage}/b").unwrap_err(),
            "stray `}` at character 9; write a placeholder as `{name}`"
        );
        assert_eq!(
            NameTemplate::parse("/a/{}/b").unwrap_err(),
            "empty placeholder `{}`; write a var name such as `{stage}`"
        );
        assert!(NameTemplate::parse("/a/{1x}").unwrap_err().contains("`{1x}` is not a valid var name"));
        assert!(NameTemplate::parse("/a/{a{b}}").unwrap_err().contains("`{a{b}` is not a valid var name"));
    }

    #[test]
    fn parse_checks_the_literal_parts() {
        assert_eq!(
            NameTemplate::parse("a/{stage}").unwrap_err(),
            "a hierarchical name starts with `/`; write `/a/{stage}`"
        );
        assert!(NameTemplate::parse("/aws{x}/b").unwrap_err().contains("reserves"));
        assert!(NameTemplate::parse("/{x}//b").unwrap_err().contains("empty part"));
        assert!(NameTemplate::parse("/a b/{x}").unwrap_err().contains("contains ` `"));
        // A var might fill the first part; only the filled name can tell.
        assert!(NameTemplate::parse("/{x}/b").is_ok());
        assert!(fill("/{x}/b", &[("x", "ssmthing")]).unwrap_err().contains("reserves"));
    }

    #[test]
    fn missing_var_says_how_to_pass_it() {
        assert_eq!(
            fill("/a/{stage}/b", &[("region", "x"), ("app", "y")]).unwrap_err(),
            "placeholder `{stage}` has no value (vars given: `app`, `region`); pass one with \
             `.var(\"stage\", \"dev\")` (Rust), `vars={\"stage\": \"dev\"}` (Python) or `--var stage=dev` (CLI)"
        );
        assert!(fill("/a/{stage}", &[]).unwrap_err().contains("(no vars were given)"));
    }

    #[test]
    fn var_values_cannot_escape_their_level() {
        assert_eq!(
            fill("/a/{stage}/b", &[("stage", "dev/x")]).unwrap_err(),
            "var `stage` contains `/`; a var value is 1 to 128 letters, digits, `_`, `.` or `-` (it fills part of one level of a name)"
        );
        assert!(fill("/a/{stage}/b", &[("stage", "..")]).unwrap_err().contains("holds `..`"));
        assert!(validate_var_value("s", ".").is_err());
        assert!(validate_var_value("s", "a..b").is_err());
        assert!(validate_var_value("s", "").unwrap_err().contains("is empty"));
        assert!(validate_var_value("s", &"a".repeat(128)).is_ok());
        assert!(validate_var_value("s", &"a".repeat(129)).unwrap_err().contains("129 characters"));
        assert!(validate_var_value("s", "v1.2-rc_3").is_ok());
    }

    #[test]
    fn name_length_limit() {
        let ok = format!("/{}", "a".repeat(1010));
        assert_eq!(ok.len(), 1011);
        assert!(validate_name(&ok).is_ok());
        let long = format!("/{}", "a".repeat(1011));
        assert_eq!(validate_name(&long).unwrap_err(), "the name is 1012 characters long; SSM allows at most 1011");
        assert!(validate_name("").unwrap_err().contains("empty"));
    }

    #[test]
    fn level_limit() {
        let fifteen = "/a".repeat(15);
        assert!(validate_name(&fifteen).is_ok());
        assert_eq!(
            validate_name(&"/a".repeat(16)).unwrap_err(),
            "the name has 16 `/`-separated parts; SSM allows at most 15"
        );
    }

    #[test]
    fn structure_rules() {
        assert!(validate_name("plain_name.v1").is_ok());
        assert_eq!(validate_name("a/b").unwrap_err(), "a hierarchical name starts with `/`; write `/a/b`");
        assert!(validate_name("/a//b").unwrap_err().contains("empty part"));
        assert!(validate_name("/a/b/").unwrap_err().contains("empty part"));
        assert!(validate_name("/a/b$c").unwrap_err().contains("contains `$`"));
    }

    #[test]
    fn reserved_prefixes() {
        assert!(validate_name("/aws/service/x").is_ok());
        assert!(validate_name("/aws/reference/secretsmanager/my-secret").is_ok());
        let f = fill("/aws/service/x", &[]).unwrap();
        assert!(f.is_read_only());
        assert_eq!(
            validate_name("/AWS/foo").unwrap_err(),
            "the name's first part `AWS` begins with `aws` or `ssm`, which SSM reserves; rename it \
             (only `/aws/service/...` and `/aws/reference/secretsmanager/...` can be read)"
        );
        assert!(validate_name("/ssm-x/a").is_err());
        assert!(validate_name("/aws/other").is_err());
        assert!(validate_name("awsName").is_err());
        assert!(validate_name("SsmName").is_err());
        assert!(validate_name("/as/aws").is_ok());
    }

    #[test]
    fn secret_references_take_version_stages_and_ids() {
        let t = NameTemplate::parse("/aws/reference/secretsmanager/{stage}/jwt:AWSPREVIOUS").unwrap();
        assert!(t.is_secret_reference());
        assert_eq!(t.selector(), Some(&Selector::Secret("AWSPREVIOUS".into())));
        let f = t.fill(&vars(&[("stage", "dev")])).unwrap();
        assert_eq!(f.full, "/aws/reference/secretsmanager/dev/jwt:AWSPREVIOUS");
        assert_eq!(f.plain, "/aws/reference/secretsmanager/dev/jwt");
        assert!(f.is_secret_reference() && f.is_read_only());
        // A version id may start with a digit; an SSM label may not.
        let id = fill("/aws/reference/secretsmanager/jwt:6b693416-c7d7-4d33-8297-ad6c132692c0", &[]).unwrap();
        assert_eq!(id.selector, Some(Selector::Secret("6b693416-c7d7-4d33-8297-ad6c132692c0".into())));
        assert!(NameTemplate::parse("/app/jwt:6b69").unwrap_err().contains("starts with a digit"));
        assert!(NameTemplate::parse("/app/jwt:AWSPREVIOUS").unwrap_err().contains("reserves"));
        // Secrets Manager's name characters.
        assert!(fill("/aws/reference/secretsmanager/team+a/db=1@x", &[]).unwrap().is_secret_reference());
        assert!(validate_name("/app/a+b").unwrap_err().contains("contains `+`"));
        assert!(NameTemplate::parse("/aws/reference/secretsmanager/jwt:").unwrap_err().contains("version stage"));
        assert!(NameTemplate::parse("/aws/reference/secretsmanager/jwt:a b").unwrap_err().contains("contains ` `"));
        assert!(!NameTemplate::parse("/app/aws/reference/secretsmanager/x").unwrap().is_secret_reference());
    }

    #[test]
    fn a_var_cannot_make_a_name_a_secret_reference() {
        let t = NameTemplate::parse("/{root}/reference/secretsmanager/jwt").unwrap();
        assert!(!t.is_secret_reference());
        let err = t.fill(&vars(&[("root", "aws")])).unwrap_err();
        assert!(err.contains("is a Secrets Manager reference made by a var"), "{err}");
    }

    #[test]
    fn split_at_last_colon() {
        assert_eq!(split_selector("/a/b:3"), ("/a/b", Some("3")));
        assert_eq!(split_selector("/a:b:c"), ("/a:b", Some("c")));
        assert_eq!(split_selector("/a/b"), ("/a/b", None));
        assert_eq!(split_selector("/a/b:"), ("/a/b", Some("")));
    }

    #[test]
    fn identifiers() {
        assert!(is_identifier("_a1"));
        assert!(!is_identifier("1a"));
        assert!(!is_identifier(""));
        assert!(!is_identifier("a-b"));
    }
}
