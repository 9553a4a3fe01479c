//! Value types and the decoding of SSM strings into typed values.
//!
//! A value is a [`serde_json::Value`] (re-exported as [`Value`](crate::Value)):
//! strings, i64, f64, bools, lists and JSON documents all fit it, and any
//! `serde::Deserialize` type can be read from it without a copy.

use std::fmt;

use crate::Value;

/// How an SSM string is decoded (`type:` in the schema).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueType {
    /// The string as it is.
    String,
    /// A decimal `i64`.
    Int,
    /// A finite `f64`.
    Float,
    /// `true`/`false`/`1`/`0`, any case.
    Bool,
    /// A `StringList`, split on `,`.
    List,
    /// A JSON document.
    Json,
}

impl ValueType {
    /// The schema name of the type (`string`, `int`, ...).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            ValueType::String => "string",
            ValueType::Int => "int",
            ValueType::Float => "float",
            ValueType::Bool => "bool",
            ValueType::List => "list",
            ValueType::Json => "json",
        }
    }

    /// Parses a schema type name.
    #[must_use]
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "string" => ValueType::String,
            "int" => ValueType::Int,
            "float" => ValueType::Float,
            "bool" => ValueType::Bool,
            "list" => ValueType::List,
            "json" => ValueType::Json,
            _ => return None,
        })
    }

    /// Every type name, for error hints.
    pub const NAMES: [&'static str; 6] = ["string", "int", "float", "bool", "list", "json"];
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest value SSM stores (advanced tier), in bytes.
const MAX_VALUE_BYTES: usize = 8192;
/// The longest value of the standard tier, in bytes.
const STANDARD_TIER_BYTES: usize = 4096;

/// `text` with control and invisible characters written as escapes
/// (`\n`, `\u{1b}`, `\u{200b}`), so that a message or a log line built
/// from it shows what is there and cannot break a line or drive a terminal.
/// Quotes stay as they are (an escaped `\\` is never followed by one).
pub(crate) fn printable(text: &str) -> String {
    text.escape_debug().to_string().replace("\\\"", "\"").replace("\\'", "'")
}

/// `value` for an error message: truncated, escaped, and never shown when
/// secure.
pub(crate) fn shown(raw: &str) -> String {
    const MAX: usize = 60;
    match raw.char_indices().nth(MAX) {
        Some((i, _)) => format!("`{}…`", printable(&raw[..i])),
        None => format!("`{}`", printable(raw)),
    }
}

/// The subject of a reason: the value itself, or "the value" when secure.
fn subject(raw: &str, secure: bool) -> String {
    if secure { "the value".to_string() } else { shown(raw) }
}

/// True for `[-+]?[0-9]+`.
fn is_decimal(raw: &str) -> bool {
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Decodes an SSM string as `ty` (SPEC "Decoding an SSM string"). The reason
/// never holds the value when `secure`.
pub(crate) fn decode(raw: &str, ty: ValueType, secure: bool) -> Result<Value, String> {
    let who = || subject(raw, secure);
    match ty {
        ValueType::String => Ok(Value::String(raw.to_string())),
        ValueType::Int => {
            if !is_decimal(raw) {
                return Err(format!("{} is not a decimal integer", who()));
            }
            raw.parse::<i64>().map(Value::from).map_err(|_| format!("{} is out of range for a 64-bit integer", who()))
        }
        ValueType::Float => {
            let f: f64 = raw.parse().map_err(|_| format!("{} is not a number", who()))?;
            serde_json::Number::from_f64(f)
                .map(Value::Number)
                .ok_or_else(|| format!("{} is not a finite number", who()))
        }
        ValueType::Bool => match raw.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(Value::Bool(true)),
            "false" | "0" => Ok(Value::Bool(false)),
            _ => Err(format!("{} is not a bool (true, false, 1 or 0)", who())),
        },
        ValueType::List => {
            if raw.is_empty() {
                return Ok(Value::Array(Vec::new()));
            }
            Ok(Value::Array(raw.split(',').map(|s| Value::String(s.to_string())).collect()))
        }
        ValueType::Json => serde_json::from_str(raw).map_err(|e| format!("{} is not valid JSON ({e})", who())),
    }
}

/// The text of a scalar JSON value (strings as they are).
fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

pub(crate) fn kind_of(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a bool",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// The SSM string for `value`, written to an entry of type `ty` (`put`). The
/// result decodes back with [`decode`]; the reason never holds a secure value.
pub(crate) fn encode(value: &Value, ty: ValueType, secure: bool) -> Result<String, String> {
    let mismatch = || format!("{} cannot be stored as {ty}", kind_of(value));
    let text = match (ty, value) {
        (ValueType::Json, v) => serde_json::to_string(v).map_err(|e| e.to_string())?,
        (ValueType::String, v) => scalar_text(v).ok_or_else(mismatch)?,
        (ValueType::Int, Value::Number(n)) => match n.as_i64() {
            Some(i) => i.to_string(),
            None => {
                return Err(format!("{} is not a 64-bit integer", subject(&n.to_string(), secure)));
            }
        },
        (ValueType::Float, Value::Number(n)) => n.to_string(),
        (ValueType::Bool, Value::Bool(b)) => b.to_string(),
        (ValueType::Int | ValueType::Float | ValueType::Bool | ValueType::List, Value::String(s)) => s.clone(),
        (ValueType::List, Value::Array(items)) => {
            let mut texts = Vec::with_capacity(items.len());
            for item in items {
                let Some(t) = scalar_text(item) else {
                    return Err(format!("a list item is {}; list items are strings, numbers or bools", kind_of(item)));
                };
                if t.is_empty() {
                    return Err("a list item is empty; SSM StringList items cannot be empty".to_string());
                }
                if t.contains(',') {
                    let who = if secure { "a list item".to_string() } else { format!("list item {}", shown(&t)) };
                    return Err(format!("{who} contains `,`, which separates StringList items"));
                }
                texts.push(t);
            }
            texts.join(",")
        }
        _ => return Err(mismatch()),
    };
    check_storable(&text)?;
    decode(&text, ty, secure)?;
    Ok(text)
}

/// SSM's limits on a raw value: not empty, at most 8 KB.
pub(crate) fn check_storable(text: &str) -> Result<(), String> {
    if text.is_empty() {
        return Err("SSM cannot store an empty value".to_string());
    }
    if text.len() > MAX_VALUE_BYTES {
        return Err(format!(
            "the value is {} bytes; SSM stores at most {MAX_VALUE_BYTES} (advanced tier; the standard tier holds {STANDARD_TIER_BYTES})",
            text.len()
        ));
    }
    Ok(())
}

/// Equality with numbers compared by value (`1 == 1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(i), Some(j)) => i == j,
            _ => x.as_f64() == y.as_f64(),
        },
        (Value::Array(x), Value::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_some_and(|w| same(v, w)))
        }
        _ => a == b,
    }
}

fn display_value(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Checks `value` against `allowed`: it must equal one allowed item, and for
/// a list, every item must. The reason lists the allowed values, and the
/// value only when not `secure`.
pub(crate) fn check_allowed(value: &Value, allowed: &[Value], secure: bool) -> Result<(), String> {
    let is_allowed = |v: &Value| allowed.iter().any(|a| same(a, v));
    let bad = match value {
        Value::Array(items) if !is_allowed(value) => items.iter().find(|i| !is_allowed(i)).map(|i| (i, "item ")),
        v if !is_allowed(v) => Some((v, "")),
        _ => None,
    };
    let Some((bad, item)) = bad else {
        return Ok(());
    };
    let list: Vec<String> = allowed.iter().map(|a| format!("`{}`", display_value(a))).collect();
    let what = match (secure, item.is_empty()) {
        (true, true) => "the value".to_string(),
        (true, false) => "an item of the value".to_string(),
        (false, _) => format!("{item}{}", shown(&display_value(bad))),
    };
    Err(format!("{what} is not one of the allowed values: {}", list.join(", ")))
}

/// The SSM parameter type an entry is written as.
pub(crate) fn param_type_for(ty: ValueType, secure: bool) -> crate::store::ParamType {
    use crate::store::ParamType;
    if secure {
        ParamType::SecureString
    } else if ty == ValueType::List {
        ParamType::StringList
    } else {
        ParamType::String
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::store::ParamType;

    #[test]
    fn decode_each_type() {
        assert_eq!(decode(" a,b ", ValueType::String, false).unwrap(), json!(" a,b "));
        assert_eq!(decode("-42", ValueType::Int, false).unwrap(), json!(-42));
        assert_eq!(decode("+7", ValueType::Int, false).unwrap(), json!(7));
        assert_eq!(decode("1.5e2", ValueType::Float, false).unwrap(), json!(150.0));
        assert_eq!(decode("3", ValueType::Float, false).unwrap(), json!(3.0));
        assert!(decode("3", ValueType::Float, false).unwrap().is_f64());
        for (raw, b) in [("true", true), ("TRUE", true), ("1", true), ("False", false), ("0", false)] {
            assert_eq!(decode(raw, ValueType::Bool, false).unwrap(), json!(b));
        }
        assert_eq!(decode("a, b,,c", ValueType::List, false).unwrap(), json!(["a", " b", "", "c"]));
        assert_eq!(decode("", ValueType::List, false).unwrap(), json!([]));
        assert_eq!(decode(r#"{"a":[1,null]}"#, ValueType::Json, false).unwrap(), json!({"a": [1, null]}));
    }

    #[test]
    fn decode_reasons_show_the_value_unless_secure() {
        let cases = [
            ("abc", ValueType::Int, "`abc` is not a decimal integer", "the value is not a decimal integer"),
            ("0x10", ValueType::Int, "`0x10` is not a decimal integer", "the value is not a decimal integer"),
            (" 1", ValueType::Int, "` 1` is not a decimal integer", "the value is not a decimal integer"),
            (
                "99999999999999999999",
                ValueType::Int,
                "`99999999999999999999` is out of range for a 64-bit integer",
                "the value is out of range for a 64-bit integer",
            ),
            ("x1", ValueType::Float, "`x1` is not a number", "the value is not a number"),
            ("NaN", ValueType::Float, "`NaN` is not a finite number", "the value is not a finite number"),
            ("1e999", ValueType::Float, "`1e999` is not a finite number", "the value is not a finite number"),
            (
                "yes",
                ValueType::Bool,
                "`yes` is not a bool (true, false, 1 or 0)",
                "the value is not a bool (true, false, 1 or 0)",
            ),
        ];
        for (raw, ty, plain, secure) in cases {
            assert_eq!(decode(raw, ty, false).unwrap_err(), plain);
            assert_eq!(decode(raw, ty, true).unwrap_err(), secure);
        }
        let e = decode("{oops", ValueType::Json, true).unwrap_err();
        assert!(e.starts_with("the value is not valid JSON (") && !e.contains("oops"), "{e}");
        assert!(decode("{oops", ValueType::Json, false).unwrap_err().starts_with("`{oops` is not valid JSON ("));
        let long = "x".repeat(100);
        assert_eq!(
            decode(&long, ValueType::Int, false).unwrap_err(),
            format!("`{}…` is not a decimal integer", "x".repeat(60))
        );
    }

    #[test]
    fn encode_round_trips() {
        let cases = [
            (json!("hello"), ValueType::String, "hello", json!("hello")),
            (json!(12), ValueType::String, "12", json!("12")),
            (json!(true), ValueType::String, "true", json!("true")),
            (json!(-5), ValueType::Int, "-5", json!(-5)),
            (json!("17"), ValueType::Int, "17", json!(17)),
            (json!(0.25), ValueType::Float, "0.25", json!(0.25)),
            (json!(2), ValueType::Float, "2", json!(2.0)),
            (json!("1e3"), ValueType::Float, "1e3", json!(1000.0)),
            (json!(false), ValueType::Bool, "false", json!(false)),
            (json!("1"), ValueType::Bool, "1", json!(true)),
            (json!(["a", 1, true]), ValueType::List, "a,1,true", json!(["a", "1", "true"])),
            (json!("a,b"), ValueType::List, "a,b", json!(["a", "b"])),
            (json!({"k": [1, 2]}), ValueType::Json, r#"{"k":[1,2]}"#, json!({"k": [1, 2]})),
            (json!("s"), ValueType::Json, r#""s""#, json!("s")),
        ];
        for (value, ty, text, decoded) in cases {
            let encoded = encode(&value, ty, false).unwrap();
            assert_eq!(encoded, text, "{value} as {ty}");
            assert_eq!(decode(&encoded, ty, false).unwrap(), decoded, "{value} as {ty}");
        }
    }

    #[test]
    fn encode_refusals() {
        assert_eq!(encode(&json!(""), ValueType::String, false).unwrap_err(), "SSM cannot store an empty value");
        assert_eq!(encode(&json!([]), ValueType::List, false).unwrap_err(), "SSM cannot store an empty value");
        assert_eq!(encode(&json!(5.5), ValueType::Int, false).unwrap_err(), "`5.5` is not a 64-bit integer");
        assert_eq!(encode(&json!(5.5), ValueType::Int, true).unwrap_err(), "the value is not a 64-bit integer");
        assert_eq!(encode(&json!("abc"), ValueType::Int, true).unwrap_err(), "the value is not a decimal integer");
        assert_eq!(encode(&json!("abc"), ValueType::Int, false).unwrap_err(), "`abc` is not a decimal integer");
        assert_eq!(
            encode(&json!("maybe"), ValueType::Bool, false).unwrap_err(),
            "`maybe` is not a bool (true, false, 1 or 0)"
        );
        assert_eq!(encode(&json!(1), ValueType::Bool, false).unwrap_err(), "a number cannot be stored as bool");
        assert_eq!(
            encode(&json!({"a": 1}), ValueType::String, false).unwrap_err(),
            "an object cannot be stored as string"
        );
        assert_eq!(encode(&Value::Null, ValueType::Int, false).unwrap_err(), "null cannot be stored as int");
        assert_eq!(
            encode(&json!(["a,b"]), ValueType::List, false).unwrap_err(),
            "list item `a,b` contains `,`, which separates StringList items"
        );
        assert_eq!(
            encode(&json!(["a,b"]), ValueType::List, true).unwrap_err(),
            "a list item contains `,`, which separates StringList items"
        );
        assert!(encode(&json!(["a", ""]), ValueType::List, false).unwrap_err().contains("cannot be empty"));
        assert!(encode(&json!(["a", ["b"]]), ValueType::List, false).unwrap_err().contains("a list item is a list"));
        assert!(encode(&json!("x".repeat(8192)), ValueType::String, false).is_ok());
        assert_eq!(
            encode(&json!("x".repeat(8193)), ValueType::String, false).unwrap_err(),
            "the value is 8193 bytes; SSM stores at most 8192 (advanced tier; the standard tier holds 4096)"
        );
    }

    #[test]
    fn printable_escapes_controls_and_keeps_text() {
        assert_eq!(printable("a\nb\u{1b}[2J\u{200b}"), "a\\nb\\u{1b}[2J\\u{200b}");
        assert_eq!(printable(r#"it's "x" \ \" \'"#), r#"it's "x" \\ \\" \\'"#);
        // Letters and combining marks inside a word stay as written.
        assert_eq!(printable("café ключ e\u{301}"), "café ключ e\u{301}");
        assert_eq!(shown("line\nbreak"), "`line\\nbreak`");
    }

    #[test]
    fn allowed_values() {
        let allowed = [json!("A"), json!("B")];
        assert!(check_allowed(&json!("A"), &allowed, false).is_ok());
        assert_eq!(
            check_allowed(&json!("C"), &allowed, false).unwrap_err(),
            "`C` is not one of the allowed values: `A`, `B`"
        );
        assert_eq!(
            check_allowed(&json!("C"), &allowed, true).unwrap_err(),
            "the value is not one of the allowed values: `A`, `B`"
        );
        assert!(check_allowed(&json!(["A", "B", "A"]), &allowed, false).is_ok());
        assert!(check_allowed(&json!([]), &allowed, false).is_ok());
        assert_eq!(
            check_allowed(&json!(["A", "Z"]), &allowed, false).unwrap_err(),
            "item `Z` is not one of the allowed values: `A`, `B`"
        );
        assert_eq!(
            check_allowed(&json!(["A", "Z"]), &allowed, true).unwrap_err(),
            "an item of the value is not one of the allowed values: `A`, `B`"
        );
        let numbers = [json!(1.0), json!(2)];
        assert!(check_allowed(&json!(1), &numbers, false).is_ok());
        assert!(check_allowed(&json!(2.0), &numbers, false).is_ok());
        assert!(check_allowed(&json!(3), &numbers, false).is_err());
        let docs = [json!({"a": 1.0})];
        assert!(check_allowed(&json!({"a": 1}), &docs, false).is_ok());
    }

    #[test]
    fn param_types() {
        assert_eq!(param_type_for(ValueType::List, false), ParamType::StringList);
        assert_eq!(param_type_for(ValueType::List, true), ParamType::SecureString);
        assert_eq!(param_type_for(ValueType::Int, true), ParamType::SecureString);
        assert_eq!(param_type_for(ValueType::Json, false), ParamType::String);
    }
}
