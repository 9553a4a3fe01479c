//! `ssmconf check`: every problem, and exit 1 when there is one.

use std::io::Write;

use serde_json::json;

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::progress::Spinner;
use crate::render::{GREEN, RED, Table, YELLOW};

pub async fn run(ctx: &Context, out: &mut impl Write) -> Result<u8, Failure> {
    let report = {
        let _spinner = Spinner::start(format!("checking {} keys", ctx.resolver.schema().len()));
        ctx.resolver.check().await?
    };
    let code = if report.is_ok() { code::OK } else { code::PROBLEM };
    if ctx.json() {
        let doc = json!({ "ok": report.is_ok(), "checked": report.checked, "problems": report.problems });
        super::print_json(out, &doc)?;
        return Ok(code);
    }
    if report.is_ok() {
        writeln!(
            out,
            "{}ok{}: {} entries checked, no problems.",
            GREEN.render(),
            GREEN.render_reset(),
            report.checked
        )?;
        return Ok(code);
    }
    let mut table = Table::new(&["PROBLEM", "KEY", "SSM NAME", "DETAIL"]);
    for p in &report.problems {
        let kind = serde_json::to_value(p.kind).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        let style = if kind == "unreadable" { YELLOW } else { RED };
        table.styled_row(vec![
            (kind, style),
            (p.key.clone(), Default::default()),
            (p.ssm_param.clone(), Default::default()),
            (p.message.clone(), Default::default()),
        ]);
    }
    table.print(out)?;
    writeln!(out, "{} problem(s) in {} entries checked.", report.problems.len(), report.checked)?;
    Ok(code)
}
