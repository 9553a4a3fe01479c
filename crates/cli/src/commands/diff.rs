//! `ssmconf diff`: schema defaults against the store, entry by entry, and
//! the parameters under the schema's prefixes that no entry names.

use std::io::Write;

use ssmconf::DiffStatus;

use crate::context::Context;
use crate::failure::{Failure, code};
use crate::progress::Spinner;
use crate::render::{DIM, GREEN, RED, Table, YELLOW, cell};

pub async fn run(ctx: &Context, out: &mut impl Write) -> Result<u8, Failure> {
    let report = {
        let _spinner = Spinner::start(format!("comparing {} keys", ctx.resolver.schema().len()));
        ctx.resolver.diff().await?
    };
    if ctx.json() {
        super::print_json(out, &report)?;
        return Ok(code::OK);
    }
    let mut table = Table::new(&["STATUS", "KEY", "SSM NAME", "DEFAULT", "IN STORE"]);
    for item in &report.entries {
        let style = match item.status {
            DiffStatus::Same => DIM,
            DiffStatus::Changed => GREEN,
            DiffStatus::Missing => YELLOW,
            DiffStatus::Invalid | DiffStatus::TypeMismatch | DiffStatus::Unreadable => RED,
        };
        let stored = match (&item.value, item.version, &item.note) {
            (None, _, Some(note)) => cell(note, 80),
            (None, _, None) => "-".to_string(),
            (Some(v), version, note) => {
                let mut text = cell(v, 40);
                if let Some(version) = version {
                    text.push_str(&format!(" (v{version})"));
                }
                if let Some(note) = note {
                    text.push_str(&format!(": {note}"));
                }
                text
            }
        };
        table.styled_row(vec![
            (item.status.as_str().to_string(), style),
            (item.key.clone(), Default::default()),
            (item.ssm_param.clone(), Default::default()),
            (item.default.as_deref().map_or_else(|| "-".to_string(), |d| cell(d, 40)), Default::default()),
            (stored, Default::default()),
        ]);
    }
    if table.is_empty() {
        writeln!(out, "The schema has no entries.")?;
    } else {
        table.print(out)?;
    }
    let count = |s: DiffStatus| report.entries.iter().filter(|e| e.status == s).count();
    writeln!(
        out,
        "{} same, {} changed, {} missing, {} invalid, {} type mismatch.",
        count(DiffStatus::Same),
        count(DiffStatus::Changed),
        count(DiffStatus::Missing),
        count(DiffStatus::Invalid),
        count(DiffStatus::TypeMismatch)
    )?;
    let unreadable = count(DiffStatus::Unreadable);
    if unreadable > 0 {
        writeln!(out, "{unreadable} secret(s) could not be read.")?;
    }
    if !report.unnamed.is_empty() {
        writeln!(out, "\nNot named by any entry (under {}):", report.prefixes.join(", "))?;
        let mut unnamed = Table::new(&["SSM NAME", "TYPE", "VERSION"]);
        for u in &report.unnamed {
            unnamed.row([u.ssm_param.clone(), u.param_type.to_string(), u.version.to_string()]);
        }
        unnamed.print(out)?;
    }
    Ok(code::OK)
}
