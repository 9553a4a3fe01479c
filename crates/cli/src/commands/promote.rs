//! `ssmconf promote --from dev --to staging`: copy the stored values of one
//! stage's parameters to another's, writing only those that differ.

use std::io::{BufRead, IsTerminal, Write};

use anstyle::Style;
use ssmconf::{PromoteItem, PromoteOptions, PromoteReport};

use crate::cli::StoreArg;
use crate::context::Context;
use crate::failure::{Failure, code};
use crate::progress::Spinner;
use crate::render::{BOLD, DIM, GREEN, RED, Table, YELLOW, cell};

/// The stage that needs a confirmation before a write.
const GUARDED: &str = "prod";

#[derive(Clone, Copy)]
pub struct Args<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub only: &'a [String],
    pub dry_run: bool,
    pub yes: bool,
}

pub async fn run(ctx: &Context, out: &mut impl Write, args: Args<'_>) -> Result<u8, Failure> {
    if args.from == args.to {
        return Err(Failure::usage(format!("--from and --to are both `{}`: name two stages", args.from)));
    }
    let target = ctx.with_stage(args.to)?;
    let ask = args.to == GUARDED && !args.yes && !args.dry_run;
    let promote = |dry_run: bool| {
        let options = PromoteOptions { only: args.only.to_vec(), dry_run };
        let target = &target;
        async move {
            let _spinner = Spinner::start(format!("comparing {} with {}", args.from, args.to));
            ctx.resolver.promote_to(target, &options).await
        }
    };
    let mut report = promote(args.dry_run || ask).await?;
    let writes = report.created.len() + report.updated.len();
    if ask && writes > 0 && report.refused.is_empty() {
        print(ctx, out, &report, args)?;
        out.flush()?;
        confirm(writes, args.to)?;
        report = promote(false).await?;
    } else if ask {
        report = promote(false).await?;
    }
    print(ctx, out, &report, args)?;
    if !report.refused.is_empty() {
        out.flush()?;
        let first = &report.refused[0];
        return Err(Failure::usage(format!(
            "nothing was written: `{}` in {}: {}; fix it there (`ssmconf --stage {} put {} VALUE`) or leave it out with --only",
            first.key,
            args.from,
            first.reason.as_deref().unwrap_or("refused"),
            args.from,
            first.key,
        )));
    }
    if report.written && ctx.store == StoreArg::Memory {
        eprintln!("note: --store memory forgets every write when this command ends");
    }
    Ok(if report.failed.is_empty() { code::OK } else { code::STORE })
}

/// Asks on the terminal; refuses without one.
fn confirm(writes: usize, stage: &str) -> Result<(), Failure> {
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        return Err(Failure::usage(format!(
            "refusing to write {writes} values to `{stage}` without a confirmation, and there is no terminal to ask on: \
             pass --yes (or --dry-run to see the plan)"
        )));
    }
    let values = if writes == 1 { "value" } else { "values" };
    eprint!("Write {writes} {values} to `{stage}`? [y/N] ");
    let mut answer = String::new();
    stdin.lock().read_line(&mut answer).map_err(|e| Failure::usage(format!("cannot read the answer: {e}")))?;
    if matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
        Ok(())
    } else {
        Err(Failure::new(code::PROBLEM, "not confirmed: nothing was written"))
    }
}

fn print(ctx: &Context, out: &mut impl Write, report: &PromoteReport, args: Args<'_>) -> Result<(), Failure> {
    if ctx.json() {
        let mut doc = serde_json::to_value(report).map_err(|e| Failure::new(code::PROBLEM, e.to_string()))?;
        doc["from"] = args.from.into();
        doc["to"] = args.to.into();
        return super::print_json(out, &doc);
    }
    let nothing = !report.written;
    if report.dry_run {
        writeln!(out, "{}Dry run: nothing was written.{}", BOLD.render(), BOLD.render_reset())?;
    }
    writeln!(out, "{} → {}", args.from, args.to)?;
    let (create, update) = if nothing { ("would create", "would update") } else { ("created", "updated") };
    let mut table = Table::new(&["ACTION", "KEY", "SSM NAME", "OLD", "NEW", "DETAIL"]);
    let mut add = |action: &str, style: Style, item: &PromoteItem, detail: String| {
        table.styled_row(vec![
            (action.to_string(), style),
            (item.key.clone(), Style::new()),
            (item.to_param.clone(), Style::new()),
            (cell(item.old_value.as_deref().unwrap_or("-"), 32), DIM),
            (cell(item.new_value.as_deref().unwrap_or("-"), 32), Style::new()),
            (detail, Style::new()),
        ]);
    };
    let versions = |item: &PromoteItem| match (item.from_version, item.version) {
        (Some(f), Some(v)) => format!("from version {f}, written as version {v}"),
        (Some(f), None) => format!("from version {f}"),
        _ => String::new(),
    };
    for item in &report.updated {
        add(update, GREEN, item, versions(item));
    }
    for item in &report.created {
        add(create, GREEN, item, versions(item));
    }
    for item in &report.unchanged {
        add("unchanged", DIM, item, String::new());
    }
    for item in &report.skipped {
        add("skipped", DIM, item, item.reason.clone().unwrap_or_default());
    }
    for item in &report.refused {
        add("refused", YELLOW, item, item.reason.clone().unwrap_or_default());
    }
    for item in &report.failed {
        add("failed", RED, item, item.reason.clone().unwrap_or_default());
    }
    if table.is_empty() {
        writeln!(out, "No entries to promote.")?;
    } else {
        table.print(out)?;
    }
    let mut summary = vec![
        format!("{} {}", report.updated.len(), if nothing { "to update" } else { "updated" }),
        format!("{} {}", report.created.len(), if nothing { "to create" } else { "created" }),
        format!("{} unchanged", report.unchanged.len()),
        format!("{} skipped", report.skipped.len()),
    ];
    if !report.refused.is_empty() {
        summary.push(format!("{} refused", report.refused.len()));
    }
    if !report.failed.is_empty() {
        summary.push(format!("{} failed", report.failed.len()));
    }
    writeln!(out, "{}.", summary.join(", "))?;
    Ok(())
}
