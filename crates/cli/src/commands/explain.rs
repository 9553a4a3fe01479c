//! `ssmconf explain KEY`: every step of the chain, and which one answered.

use std::io::Write;

use serde_json::json;
use ssmconf::{Resolved, Source};

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::render::{self, BOLD, DIM, GREEN, Table, YELLOW};

pub async fn run(ctx: &Context, out: &mut impl Write, key: &str) -> Result<u8, Failure> {
    let why = ctx.resolver.explain(key).await?;
    if ctx.json() {
        super::print_json(out, &to_json(&why))?;
    } else {
        print_text(out, &why)?;
    }
    Ok(code::OK)
}

/// The JSON shape of `explain` (documented in the README): `Resolved`'s
/// fields, times as RFC 3339, and the steps with the answering one marked.
fn to_json(why: &Resolved) -> serde_json::Value {
    let answered = answering_step(why);
    let steps: Vec<_> = why
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| json!({ "source": s.source.as_str(), "found": s.found, "answered": Some(i) == answered }))
        .collect();
    json!({
        "key": why.key,
        "value": why.value,
        "source": why.source.as_str(),
        "secure": why.secure,
        "ssm_param": why.ssm_param,
        "version": why.version,
        "parameters": why.parameters,
        "fetched_at": why.fetched_at.map(render::rfc3339),
        "expires_at": why.expires_at.map(render::rfc3339),
        "error": why.error,
        "description": why.description,
        "json_key": why.json_key,
        "file": why.file.as_ref().map(|f| f.display().to_string()),
        "line": why.line,
        "steps": steps,
    })
}

/// The step that gave the answer: the last one, unless nothing answered.
fn answering_step(why: &Resolved) -> Option<usize> {
    (why.source != Source::None).then(|| why.steps.len().checked_sub(1)).flatten()
}

fn print_text(out: &mut impl Write, why: &Resolved) -> std::io::Result<()> {
    let value = why.value.as_ref().map_or_else(|| "(no value)".to_string(), render::value_text);
    let tone = match why.source {
        Source::Stale | Source::Caller | Source::None => YELLOW,
        Source::Default if why.error.is_some() => YELLOW,
        _ => GREEN,
    };
    writeln!(
        out,
        "{}{}{} = {value}  {}(from {}){}",
        BOLD.render(),
        why.key,
        BOLD.render_reset(),
        tone.render(),
        why.source,
        tone.render_reset()
    )?;
    let mut facts = Table::new(&[]);
    if let Some(d) = &why.description {
        facts.row(["description", d]);
    }
    if let Some(name) = &why.ssm_param {
        facts.row(["ssm name", name]);
    }
    if let Some(member) = &why.json_key {
        facts.row(["json key".to_string(), format!("{member} (the value is this member of the JSON object)")]);
    }
    if let Some(v) = why.version {
        facts.row(["version".to_string(), v.to_string()]);
    }
    if let Some(n) = why.parameters {
        facts.row(["parameters".to_string(), format!("{n} (a path entry: the value maps every name under the path)")]);
    }
    if let Some(at) = why.fetched_at {
        facts.row(["fetched".to_string(), format!("{} ({})", render::rfc3339(at), render::relative(at))]);
    }
    if let Some(at) = why.expires_at {
        facts.row(["expires".to_string(), format!("{} ({})", render::rfc3339(at), render::relative(at))]);
    }
    if let Some(e) = &why.error {
        facts.row(["error", e]);
    }
    if let (Some(file), Some(line)) = (&why.file, why.line) {
        facts.row(["schema".to_string(), format!("{}:{line}", file.display())]);
    }
    if why.secure {
        facts.row(["secure", "yes (the value is never printed here)"]);
    }
    let mut lines = Vec::new();
    facts.print(&mut lines)?;
    for line in String::from_utf8_lossy(&lines).lines() {
        writeln!(out, "  {line}")?;
    }
    writeln!(out, "{}chain:{}", DIM.render(), DIM.render_reset())?;
    let answered = answering_step(why);
    for (i, step) in why.steps.iter().enumerate() {
        let (mark, style) = if Some(i) == answered { ("→", GREEN) } else { (" ", DIM) };
        writeln!(out, "  {}{mark} {:<8}{} {}", style.render(), step.source.as_str(), style.render_reset(), step.found)?;
    }
    Ok(())
}
