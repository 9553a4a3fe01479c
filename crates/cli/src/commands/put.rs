//! `ssmconf put KEY VALUE`: one checked write.

use std::io::{Read, Write};

use serde_json::json;

use crate::cli::StoreArg;
use crate::context::Context;
use crate::failure::{Failure, code};

pub async fn run(ctx: &Context, out: &mut impl Write, key: &str, value: &str) -> Result<u8, Failure> {
    let value = if value == "-" { read_stdin()? } else { value.to_string() };
    // A bad value is the caller's to fix (exit 2), as are unknown keys.
    let version = ctx.resolver.put_raw(key, &value).await?;
    let name = ctx.resolver.ssm_name(key)?;
    if ctx.json() {
        super::print_json(out, &json!({ "key": key, "ssm_param": name, "version": version }))?;
    } else {
        writeln!(out, "{key}: wrote {name} (version {version})")?;
    }
    if ctx.store == StoreArg::Memory {
        eprintln!("note: --store memory forgets every write when this command ends");
    }
    Ok(code::OK)
}

/// The value from stdin, less one trailing newline (as `echo` adds).
fn read_stdin() -> Result<String, Failure> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| Failure::usage(format!("cannot read the value from stdin: {e}")))?;
    let trimmed = text.strip_suffix('\n').map(|t| t.strip_suffix('\r').unwrap_or(t)).unwrap_or(&text);
    Ok(trimmed.to_string())
}
