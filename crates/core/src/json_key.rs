//! `json_key`: an entry whose stored value is a JSON object, and whose value
//! is one member of it (a Secrets Manager secret such as `{"secret": "..."}`,
//! or the `username` and `password` of a database secret).
//!
//! The member is decoded to the entry's type: a JSON string by the rules of
//! an SSM string (`"42"` is an `int`), a number or a bool as its JSON text,
//! an array of scalars as a `list`, and anything at all for `json`. A
//! stored value that is not a JSON object, or has no such member, fails
//! with a reason that names the member and never shows the value.

use crate::Value;
use crate::schema::nearest;
use crate::value::{self, ValueType, kind_of, printable};

/// The value of member `member` of the JSON object `raw`, decoded as `ty`.
/// The reason never shows the stored value; it shows the member's value
/// (through [`value::decode`]) only when the entry is not `secure`.
pub(crate) fn member(raw: &str, member: &str, ty: ValueType, secure: bool) -> Result<Value, String> {
    let name = printable(member);
    let document: Value = serde_json::from_str(raw).map_err(|e| {
        format!(
            "`json_key: {name}` reads a member of a JSON object, and the value is not JSON \
             (at line {}, column {})",
            e.line(),
            e.column()
        )
    })?;
    let Value::Object(mut object) = document else {
        return Err(format!(
            "`json_key: {name}` reads a member of a JSON object, and the value is {}",
            kind_of(&document)
        ));
    };
    let Some(found) = object.remove(member) else {
        let hint = match nearest(member, object.keys().map(String::as_str)) {
            Some(near) => format!("; did you mean `{}`?", printable(near)),
            None => String::new(),
        };
        return Err(format!("the JSON object has no member `{name}`{hint}"));
    };
    let reason = |why: String| format!("member `{name}`: {why}");
    match (ty, found) {
        (ValueType::Json, found) => Ok(found),
        (_, Value::String(text)) => value::decode(&text, ty, secure).map_err(reason),
        (_, found @ (Value::Number(_) | Value::Bool(_))) => {
            value::decode(&found.to_string(), ty, secure).map_err(reason)
        }
        (ValueType::List, Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(s) => Ok(Value::String(s)),
                item @ (Value::Number(_) | Value::Bool(_)) => Ok(Value::String(item.to_string())),
                other => {
                    Err(reason(format!("a list item is {}; list items are strings, numbers or bools", kind_of(&other))))
                }
            })
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        (_, other) => Err(reason(format!("it is {}, not a {ty} (use `type: json` for any JSON)", kind_of(&other)))),
    }
}

#[cfg(test)]
mod tests {
    use super::member;
    use crate::Value;
    use crate::value::ValueType;

    const SECRET: &str =
        r#"{"secret": "jwt-Zq8-never-shown", "port": 5432, "tls": "true", "hosts": ["a", "b"], "extra": {"x": 1}}"#;

    #[test]
    fn members_decode_to_the_entry_type() {
        assert_eq!(member(SECRET, "secret", ValueType::String, true).unwrap(), Value::from("jwt-Zq8-never-shown"));
        assert_eq!(member(SECRET, "port", ValueType::Int, true).unwrap(), Value::from(5432));
        assert_eq!(member(SECRET, "port", ValueType::String, false).unwrap(), Value::from("5432"));
        assert_eq!(member(SECRET, "tls", ValueType::Bool, false).unwrap(), Value::from(true));
        assert_eq!(member(SECRET, "hosts", ValueType::List, false).unwrap(), serde_json::json!(["a", "b"]));
        assert_eq!(member(SECRET, "extra", ValueType::Json, false).unwrap(), serde_json::json!({"x": 1}));
        assert_eq!(member(r#"{"n": "a,b"}"#, "n", ValueType::List, false).unwrap(), serde_json::json!(["a", "b"]));
    }

    #[test]
    fn failures_name_the_member_and_never_the_value() {
        let cases = [
            (r#"{"secret": "jwt-Zq8-never-shown""#, "secret", ValueType::String, "is not JSON (at line 1, column 32)"),
            (r#"["jwt-Zq8-never-shown"]"#, "secret", ValueType::String, "and the value is a list"),
            (r#""jwt-Zq8-never-shown""#, "secret", ValueType::String, "and the value is a string"),
            (SECRET, "secrte", ValueType::String, "the JSON object has no member `secrte`; did you mean `secret`?"),
            (SECRET, "password", ValueType::String, "the JSON object has no member `password`"),
            (SECRET, "secret", ValueType::Int, "member `secret`: the value is not a decimal integer"),
            (SECRET, "extra", ValueType::String, "member `extra`: it is an object, not a string"),
        ];
        for (raw, key, ty, expected) in cases {
            let reason = member(raw, key, ty, true).unwrap_err();
            assert!(reason.contains(expected), "{reason}");
            assert!(!reason.contains("jwt-Zq8"), "{reason}");
        }
        // Not secure: a member that does not decode is shown, as any value is.
        assert!(member(SECRET, "secret", ValueType::Int, false).unwrap_err().contains("`jwt-Zq8-never-shown`"));
    }

    #[test]
    fn a_member_name_with_control_characters_is_escaped() {
        let reason = member("{}", "a\nb", ValueType::String, true).unwrap_err();
        assert_eq!(reason, "the JSON object has no member `a\\nb`");
    }
}
