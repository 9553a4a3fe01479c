//! `ssmconf`: seed, check, explain and export configuration kept in AWS SSM
//! Parameter Store, described by a YAML schema. See `ssmconf --help`.

mod cli;
mod commands;
mod context;
mod failure;
mod progress;
mod render;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::Cli;
use crate::failure::Failure;

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(&Failure::new(failure::code::PROBLEM, format!("cannot start: {e}"))),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(failure) => report(&failure),
    }
}

fn report(failure: &Failure) -> ExitCode {
    if failure.message.is_empty() {
        return failure.exit_code();
    }
    let red = render::RED;
    anstream::eprintln!("{}error:{} {failure}", red.render(), red.render_reset());
    failure.exit_code()
}

/// Log lines go to stderr: warnings by default (a fallback is a warning),
/// `-v` adds ssmconf's info lines, `-vv` its debug lines; `$SSMCONF_LOG`
/// takes a full tracing filter instead.
fn init_logging(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("SSMCONF_LOG").ok().and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| {
        EnvFilter::new(match verbose {
            0 => "warn",
            1 => "warn,ssmconf=info",
            _ => "warn,ssmconf=debug",
        })
    });
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time()
        .with_target(false)
        .init();
}
