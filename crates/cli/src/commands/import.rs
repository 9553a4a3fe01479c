//! `ssmconf import FILE`: values for schema keys from a file, each checked
//! like `put`, with a plan like `init`'s.

use std::io::Write;
use std::path::Path;

use anstyle::Style;
use ssmconf::{ImportFormat, ImportItem, ImportOptions};

use crate::cli::{ExportFormat, StoreArg};
use crate::context::Context;
use crate::failure::{Failure, code};
use crate::progress::Spinner;
use crate::render::{BOLD, DIM, GREEN, RED, Table, YELLOW, cell};

pub struct Args<'a> {
    pub file: &'a Path,
    pub format: Option<ExportFormat>,
    pub dry_run: bool,
    pub overwrite: bool,
    pub skip_invalid: bool,
}

pub async fn run(ctx: &Context, out: &mut impl Write, args: Args<'_>) -> Result<u8, Failure> {
    let format = args.format.map(|f| match f {
        ExportFormat::Json => ImportFormat::Json,
        ExportFormat::Yaml => ImportFormat::Yaml,
        ExportFormat::Env => ImportFormat::Env,
    });
    let options =
        ImportOptions { format, dry_run: args.dry_run, overwrite: args.overwrite, skip_invalid: args.skip_invalid };
    let plan = {
        let _spinner = Spinner::start(format!("importing {}", args.file.display()));
        ctx.resolver.import_file(args.file, options).await?
    };
    let file = args.file.display().to_string();
    let blocked = plan.is_refused() && !args.skip_invalid;
    if ctx.json() {
        super::print_json(out, &plan)?;
    } else {
        let nothing = args.dry_run || blocked;
        if nothing {
            writeln!(
                out,
                "{}Nothing was written{}.{}",
                BOLD.render(),
                if blocked { "" } else { " (dry run)" },
                BOLD.render_reset()
            )?;
        }
        let (create, replace) = if nothing { ("would create", "would overwrite") } else { ("created", "overwritten") };
        let mut table = Table::new(&["ACTION", "KEY", "SSM NAME", "TYPE", "DETAIL"]);
        let mut add = |action: &str, style: Style, item: &ImportItem, detail: String| {
            table.styled_row(vec![
                (action.to_string(), style),
                (item.key.clone(), Style::new()),
                (item.ssm_param.clone().unwrap_or_default(), Style::new()),
                (item.param_type.map(|t| t.to_string()).unwrap_or_default(), DIM),
                (detail, Style::new()),
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
                (Some(reason), Some(v)) => format!("{reason} (version {v})"),
                (reason, _) => reason.unwrap_or("skipped").to_string(),
            };
            add("skipped", DIM, item, detail);
        }
        for item in &plan.refused {
            add("refused", YELLOW, item, format!("{}{}", item.reason.as_deref().unwrap_or_default(), at(&file, item)));
        }
        for item in &plan.failed {
            add("failed", RED, item, item.reason.clone().unwrap_or_default());
        }
        if table.is_empty() {
            writeln!(out, "{file} holds no values: nothing to do.")?;
        } else {
            table.print(out)?;
        }
        let mut summary = vec![format!("{} {}", plan.created.len(), if nothing { "to create" } else { "created" })];
        if args.overwrite {
            summary.push(format!(
                "{} {}",
                plan.overwritten.len(),
                if nothing { "to overwrite" } else { "overwritten" }
            ));
        }
        summary.push(format!("{} skipped", plan.skipped.len()));
        summary.push(format!("{} refused", plan.refused.len()));
        if !plan.failed.is_empty() {
            summary.push(format!("{} failed", plan.failed.len()));
        }
        writeln!(out, "{}.", summary.join(", "))?;
    }
    if blocked {
        out.flush()?;
        let first = &plan.refused[0];
        let more = match plan.refused.len() {
            1 => String::new(),
            n => format!(" (and {} more)", n - 1),
        };
        return Err(Failure::usage(format!(
            "nothing was written: `{}`{}: {}{more}; fix the file, or pass --skip-invalid to write the rest",
            first.key,
            at(&file, first),
            first.reason.as_deref().unwrap_or("refused"),
        )));
    }
    if plan.written && ctx.store == StoreArg::Memory {
        eprintln!("note: --store memory forgets every write when this command ends");
    }
    Ok(if plan.failed.is_empty() { code::OK } else { code::STORE })
}

fn value_detail(item: &ImportItem) -> String {
    let value = cell(item.value.as_deref().unwrap_or_default(), 48);
    match item.version {
        Some(v) => format!("{value} (version {v})"),
        None => value,
    }
}

/// ` at FILE:LINE:COL`, when the format gives positions.
fn at(file: &str, item: &ImportItem) -> String {
    match (item.line, item.column) {
        (Some(line), Some(column)) => format!(" at {file}:{line}:{column}"),
        (Some(line), None) => format!(" at {file}:{line}"),
        _ => String::new(),
    }
}
