//! `ssmconf history KEY`: the parameter's versions, newest first.

use std::io::Write;

use serde_json::json;

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::render::{self, Table, cell};

pub async fn run(ctx: &Context, out: &mut impl Write, key: &str) -> Result<u8, Failure> {
    let versions = ctx.resolver.history(key).await?;
    if ctx.json() {
        let list: Vec<_> = versions
            .iter()
            .map(|v| {
                json!({
                    "version": v.version,
                    "value": v.value,
                    "type": v.param_type,
                    "modified_at": v.modified_at.map(render::rfc3339),
                    "modified_by": v.modified_by,
                    "description": v.description,
                    "labels": v.labels,
                })
            })
            .collect();
        super::print_json(out, &list)?;
        return Ok(code::OK);
    }
    if versions.is_empty() {
        writeln!(out, "{} has no versions: the parameter does not exist.", ctx.resolver.ssm_name(key)?)?;
        return Ok(code::OK);
    }
    let mut table = Table::new(&["VERSION", "MODIFIED", "BY", "TYPE", "LABELS", "VALUE"]);
    for v in &versions {
        table.row([
            v.version.to_string(),
            v.modified_at.map(render::rfc3339).unwrap_or_default(),
            v.modified_by.clone().unwrap_or_default(),
            v.param_type.to_string(),
            v.labels.join(","),
            cell(&v.value, 60),
        ]);
    }
    table.print(out)?;
    Ok(code::OK)
}
