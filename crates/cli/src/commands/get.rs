//! `ssmconf get KEY`: the value, bare.

use std::io::Write;

use serde_json::json;
use ssmconf::{Error, Resolved, Source};

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::render::value_text;

pub async fn run(ctx: &Context, out: &mut impl Write, key: &str, reveal: bool) -> Result<u8, Failure> {
    let why = ctx.resolver.explain(key).await?;
    let Some(masked) = why.value.clone() else { return Err(missing(why)) };
    let value = if why.secure && reveal {
        ctx.resolver.resolve(key, false).await?.value().cloned().unwrap_or(masked)
    } else {
        masked
    };
    if ctx.json() {
        let doc = json!({ "key": key, "value": value, "source": why.source.as_str(), "secure": why.secure });
        super::print_json(out, &doc)?;
    } else {
        writeln!(out, "{}", value_text(&value))?;
    }
    if why.secure && !reveal {
        eprintln!("note: `{key}` is secure and printed as ***; pass --reveal to print it");
    }
    Ok(code::OK)
}

/// Nothing answered: exit 3 when a failing store is why, else exit 1 with
/// what each step found.
fn missing(why: Resolved) -> Failure {
    debug_assert_eq!(why.source, Source::None);
    let error = why.error.clone();
    let not_found = Error::NotFound { key: why.key, ssm_param: why.ssm_param, steps: why.steps };
    match error {
        Some(e) => Failure::new(code::STORE, format!("{not_found}\nthe store failed: {e}")),
        None => Failure::new(code::PROBLEM, not_found.to_string()),
    }
}
