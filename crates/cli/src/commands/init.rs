//! `ssmconf init`: seed the store from the schema's defaults.

use std::io::Write;

use ssmconf::{InitOptions, PlanItem};

use crate::cli::StoreArg;
use crate::context::Context;
use crate::failure::{Failure, code};
use crate::progress::Spinner;
use crate::render::{BOLD, DIM, GREEN, RED, Table, YELLOW, cell};

pub async fn run(ctx: &Context, out: &mut impl Write, dry_run: bool, overwrite: bool) -> Result<u8, Failure> {
    let plan = {
        let _spinner = Spinner::start(format!("seeding {} keys", ctx.resolver.schema().len()));
        ctx.resolver.init(InitOptions { dry_run, overwrite }).await?
    };
    let code = if plan.failed.is_empty() { code::OK } else { code::STORE };
    if ctx.json() {
        super::print_json(out, &plan)?;
        return Ok(code);
    }
    if dry_run {
        writeln!(out, "{}Dry run: nothing was written.{}", BOLD.render(), BOLD.render_reset())?;
    }
    let (create, replace) = if dry_run { ("would create", "would overwrite") } else { ("created", "overwritten") };
    let mut table = Table::new(&["ACTION", "KEY", "SSM NAME", "TYPE", "DETAIL"]);
    let mut add = |action: &str, style, item: &PlanItem, detail: String| {
        table.styled_row(vec![
            (action.to_string(), style),
            (item.key.clone(), Default::default()),
            (item.ssm_param.clone(), Default::default()),
            (item.param_type.to_string(), DIM),
            (detail, Default::default()),
        ]);
    };
    for item in &plan.created {
        add(create, GREEN, item, value_detail(item));
    }
    for item in &plan.overwritten {
        add(replace, GREEN, item, value_detail(item));
    }
    for item in &plan.skipped {
        let detail = match (item.reason.as_deref(), item.version) {
            (Some("exists"), Some(v)) => format!("exists (version {v})"),
            (reason, _) => reason.unwrap_or("skipped").to_string(),
        };
        add("skipped", DIM, item, detail);
    }
    for item in &plan.manual {
        // A secret or a `json_key` entry says why `put` will not do.
        let detail = match item.reason.as_deref() {
            Some(reason) if !reason.starts_with("no default") => reason.to_string(),
            _ => format!("no default: set it with `ssmconf put {} VALUE`", item.key),
        };
        add("manual", YELLOW, item, detail);
    }
    for item in &plan.failed {
        add("failed", RED, item, item.reason.clone().unwrap_or_default());
    }
    if table.is_empty() {
        writeln!(out, "The schema has no entries: nothing to do.")?;
    } else {
        table.print(out)?;
    }
    let mut summary = vec![
        format!("{} {}", plan.created.len(), if dry_run { "to create" } else { "created" }),
        format!("{} skipped as existing", plan.skipped.len()),
        format!("{} need manual setup", plan.manual.len()),
    ];
    if overwrite {
        summary
            .insert(1, format!("{} {}", plan.overwritten.len(), if dry_run { "to overwrite" } else { "overwritten" }));
    }
    if !plan.failed.is_empty() {
        summary.push(format!("{} failed", plan.failed.len()));
    }
    writeln!(out, "{}.", summary.join(", "))?;
    if !dry_run && ctx.store == StoreArg::Memory {
        eprintln!("note: --store memory forgets every write when this command ends");
    }
    Ok(code)
}

fn value_detail(item: &PlanItem) -> String {
    let value = cell(item.value.as_deref().unwrap_or_default(), 48);
    match item.version {
        Some(v) => format!("{value} (version {v})"),
        None => value,
    }
}
