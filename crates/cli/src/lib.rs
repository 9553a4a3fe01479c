//! The `ssmconf` command line as a library: [`run`] is the whole program,
//! called by the `ssmconf` binary (`main.rs`) and by the Python wheel's
//! `ssmconf` command (`ssmconf._ssmconf._cli_main`), so both are one code
//! path with the same flags, output, logging and exit codes.
//!
//! Seed, check, explain and export configuration kept in AWS SSM Parameter
//! Store, described by a YAML schema. See `ssmconf --help`.

mod cli;
mod commands;
mod context;
mod failure;
mod progress;
mod render;

use std::ffi::OsString;
use std::io::{IsTerminal, Write};

use clap::Parser;

use crate::cli::Cli;
use crate::failure::Failure;

/// Runs the command line on `args` (the program name first, as
/// [`std::env::args_os`] gives them) and answers its exit code: 0 done, 1 a
/// problem found, 2 bad usage or a schema error, 3 the store failed.
///
/// Output goes to the process's stdout and stderr, flushed before it
/// returns; `--help`, `--version` and usage errors print as clap prints them
/// and answer 0 or 2 instead of exiting the process.
///
/// ```
/// assert_eq!(ssmconf_cli::run(["ssmconf", "--version"]), 0);
/// assert_eq!(ssmconf_cli::run(["ssmconf", "--no-such-flag"]), 2);
/// ```
pub fn run<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let code = match Cli::try_parse_from(args) {
        Ok(cli) => run_cli(cli),
        Err(e) => {
            let _ = e.print();
            u8::try_from(e.exit_code()).unwrap_or(failure::code::USAGE)
        }
    };
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    code
}

fn run_cli(cli: Cli) -> u8 {
    let _logging = init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => return report(&Failure::new(failure::code::PROBLEM, format!("cannot start: {e}"))),
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(failure) => report(&failure),
    }
}

fn report(failure: &Failure) -> u8 {
    if failure.message.is_empty() {
        return failure.code;
    }
    let red = render::RED;
    anstream::eprintln!("{}error:{} {failure}", red.render(), red.render_reset());
    failure.code
}

/// Log lines go to stderr: warnings by default (a fallback is a warning),
/// `-v` adds ssmconf's info lines, `-vv` its debug lines; `$SSMCONF_LOG`
/// takes a full tracing filter instead.
///
/// The subscriber is the process's global one when none is set (the
/// binary). In a host that set its own (the Python module forwards the
/// core's events to `logging`), it is this thread's for the command's
/// duration (the runtime is single-threaded), so the lines on stderr are the
/// same; the returned guard restores the host's.
fn init_logging(verbose: u8) -> Option<tracing::dispatcher::DefaultGuard> {
    use tracing_subscriber::EnvFilter;
    let filter = std::env::var("SSMCONF_LOG").ok().and_then(|f| EnvFilter::try_new(f).ok()).unwrap_or_else(|| {
        EnvFilter::new(match verbose {
            0 => "warn",
            1 => "warn,ssmconf=info",
            _ => "warn,ssmconf=debug",
        })
    });
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .without_time()
        .with_target(false)
        .finish();
    let dispatch = tracing::Dispatch::new(subscriber);
    match tracing::dispatcher::set_global_default(dispatch.clone()) {
        Ok(()) => None,
        Err(_) => Some(tracing::dispatcher::set_default(&dispatch)),
    }
}
