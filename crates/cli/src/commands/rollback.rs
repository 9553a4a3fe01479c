//! `ssmconf rollback KEY [--to VERSION]`: an earlier value as a new version.

use std::io::Write;

use crate::cli::StoreArg;
use crate::context::Context;
use crate::failure::{Failure, code};

pub async fn run(ctx: &Context, out: &mut impl Write, key: &str, to: Option<i64>) -> Result<u8, Failure> {
    let report = ctx.resolver.rollback(key, to).await?;
    if ctx.json() {
        super::print_json(out, &report)?;
    } else {
        writeln!(
            out,
            "{key}: rolled {} back from version {} to the value of version {}, written as version {}: {}",
            report.ssm_param,
            report.from_version,
            report.restored_version,
            report.version,
            crate::render::cell(&report.value, 60),
        )?;
    }
    if ctx.store == StoreArg::Memory {
        eprintln!("note: --store memory forgets every write when this command ends");
    }
    Ok(code::OK)
}
