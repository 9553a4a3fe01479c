//! `ssmconf`: seed, check, explain and export configuration kept in AWS SSM
//! Parameter Store, described by a YAML schema. See `ssmconf --help`.
//!
//! The command line lives in the library (`ssmconf_cli::run`), so that the
//! Python wheel runs the very same code as its `ssmconf` command.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(ssmconf_cli::run(std::env::args_os()))
}
