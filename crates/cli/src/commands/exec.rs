//! `ssmconf exec -- CMD`: run CMD with the resolved values in its
//! environment.
//!
//! On Unix, ssmconf replaces itself with CMD (`execve`, as `chamber exec`
//! and `aws-vault exec` do) rather than running it as a child and waiting:
//! CMD keeps ssmconf's process id, so every signal sent to ssmconf (SIGINT,
//! SIGTERM, a Ctrl-C to the process group, a supervisor's stop) reaches CMD
//! with nothing in between to forward, mask or lose it, and CMD's exit
//! status, death by a signal included, is what the parent of ssmconf sees,
//! unchanged (no `128+N` translation). No signal handling code, and so no
//! signal crate and no `unsafe`, is needed. The values are in CMD's
//! environment only: never on a command line (`ps`), in a log line or in
//! an error.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::context::Context;
use crate::failure::{Failure, code};

/// Exit codes of a shell for a command that cannot be run.
const NOT_FOUND: u8 = 127;
const NOT_EXECUTABLE: u8 = 126;

pub async fn run(ctx: &Context, only: &[String], pristine: bool, command: &[String]) -> Result<u8, Failure> {
    let (program, args) = command.split_first().ok_or_else(|| Failure::usage("exec needs a command: exec -- CMD"))?;
    let env = ctx.resolver.env_vars(only).await?;
    if !env.missing.is_empty() {
        let keys = env.missing.iter().map(|k| format!("`{k}`")).collect::<Vec<_>>().join(", ");
        return Err(Failure::new(
            code::PROBLEM,
            format!(
                "not running `{program}`: required values missing: {keys}; set them with `ssmconf put KEY VALUE` \
                 (`ssmconf explain KEY` shows what each step found)"
            ),
        ));
    }
    let path =
        locate(program).ok_or_else(|| Failure::new(NOT_FOUND, format!("cannot run `{program}`: not found on PATH")))?;
    let mut child = Command::new(&path);
    child.args(args);
    if pristine {
        child.env_clear();
    }
    for var in &env.vars {
        child.env(&var.name, &var.value);
    }
    tracing::debug!(target: "ssmconf", program = %path.display(), variables = env.vars.len(), "exec");
    start(child, program, &path)
}

/// Replaces this process with `child`; answers only when that failed.
#[cfg(unix)]
fn start(mut child: Command, program: &str, path: &Path) -> Result<u8, Failure> {
    use std::os::unix::process::CommandExt;
    child.arg0(program);
    let error = child.exec();
    Err(cannot_run(program, path, &error))
}

/// Without `exec`: run `child`, wait, and answer its exit code.
#[cfg(not(unix))]
fn start(mut child: Command, program: &str, path: &Path) -> Result<u8, Failure> {
    let status = child.status().map_err(|e| cannot_run(program, path, &e))?;
    Ok(status.code().map_or(code::PROBLEM, |c| u8::try_from(c & 0xff).unwrap_or(code::PROBLEM)))
}

fn cannot_run(program: &str, path: &Path, error: &std::io::Error) -> Failure {
    let code = if error.kind() == std::io::ErrorKind::NotFound { NOT_FOUND } else { NOT_EXECUTABLE };
    Failure::new(code, format!("cannot run `{program}` ({}): {error}", path.display()))
}

/// `program` as a path: as given when it holds a `/`, else the first
/// executable file of that name on ssmconf's own PATH (so `--pristine`,
/// which gives CMD no PATH, still finds it).
fn locate(program: &str) -> Option<PathBuf> {
    if program.contains('/') {
        return Some(PathBuf::from(program));
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/local/bin:/usr/bin:/bin"));
    std::env::split_paths(&path).map(|dir| dir.join(program)).find(|candidate| executable(candidate))
}

#[cfg(unix)]
fn executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata().is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn executable(path: &Path) -> bool {
    path.is_file()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_found_on_path_or_taken_as_given() {
        assert_eq!(locate("./x"), Some(PathBuf::from("./x")));
        let sh = locate("sh").expect("sh is on PATH");
        assert!(sh.is_absolute() && sh.ends_with("sh"), "{}", sh.display());
        assert_eq!(locate("no-such-program-ssmconf"), None);
    }
}
