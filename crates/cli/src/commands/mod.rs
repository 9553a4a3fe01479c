//! One module per command; each prints its result and answers an exit code.

mod check;
mod diff;
mod exec;
mod explain;
mod export;
mod get;
mod history;
mod import;
mod init;
mod promote;
mod put;
mod rollback;

use std::io::Write;

use crate::cli::{Cli, Command};
use crate::context::Context;
use crate::failure::Failure;

/// Runs the command the flags name.
pub async fn run(cli: Cli) -> Result<u8, Failure> {
    let mut global = cli.global;
    if let Command::Promote { from, .. } = &cli.command {
        // The resolver of the source stage; the target's is made from it.
        if global.stage.is_some() {
            return Err(Failure::usage("promote takes --from and --to, not --stage"));
        }
        global.stage = Some(from.clone());
    }
    let ctx = Context::open(&global).await?;
    let mut out = anstream::stdout().lock();
    let code = match cli.command {
        Command::Get { key, reveal } => get::run(&ctx, &mut out, &key, reveal).await?,
        Command::Explain { key } => explain::run(&ctx, &mut out, &key).await?,
        Command::Export { format, reveal } => export::run(&ctx, &mut out, format, reveal).await?,
        Command::Init { dry_run, overwrite } => init::run(&ctx, &mut out, dry_run, overwrite).await?,
        Command::Put { key, value } => put::run(&ctx, &mut out, &key, &value).await?,
        Command::Check => check::run(&ctx, &mut out).await?,
        Command::Diff => diff::run(&ctx, &mut out).await?,
        Command::History { key } => history::run(&ctx, &mut out, &key).await?,
        Command::Exec { only, pristine, command } => exec::run(&ctx, &only, pristine, &command).await?,
        Command::Import { file, format, dry_run, overwrite, skip_invalid } => {
            let args = import::Args { file: &file, format, dry_run, overwrite, skip_invalid };
            import::run(&ctx, &mut out, args).await?
        }
        Command::Promote { from, to, only, dry_run, yes } => {
            let args = promote::Args { from: &from, to: &to, only: &only, dry_run, yes };
            promote::run(&ctx, &mut out, args).await?
        }
        Command::Rollback { key, to } => rollback::run(&ctx, &mut out, &key, to).await?,
    };
    out.flush()?;
    Ok(code)
}

/// Writes one JSON document and a newline.
pub(crate) fn print_json(out: &mut impl Write, value: &impl serde::Serialize) -> Result<(), Failure> {
    serde_json::to_writer_pretty(&mut *out, value)
        .map_err(|e| Failure::new(crate::failure::code::PROBLEM, format!("cannot write JSON: {e}")))?;
    writeln!(out)?;
    Ok(())
}
