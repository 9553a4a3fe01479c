//! The cross-process single flight's lock: `SET name|lock TOKEN NX PX`.
//!
//! The token is 128 random bits, so only its owner can release the lock:
//! the release is a compare-and-delete in one Lua script, never a plain
//! `DEL` (dogpile.cache's fault: releasing a lock that expired and that
//! another process took since). Every lock expires on its own after the
//! bound (the SSM deadline and its retries, 12 s by default), so a holder
//! that dies costs the others at most that bound, never a hang. A waiter
//! that sees the lock pass to a new holder (one that took over from a dead
//! one) waits one more bound for it, once: at most two bounds in all.

use std::time::Duration;

use aws_lc_rs::rand;

use super::link::{Link, Skipped};

/// Deletes the lock only when it still holds the caller's token.
const RELEASE: &str =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

fn lock_name(name: &str) -> String {
    format!("{name}|lock")
}

fn token() -> String {
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes).expect("the system's random source works");
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn set_nx(cmd: &mut redis::Cmd, name: &str, token: &str, hold: Duration) {
    let ms = u64::try_from(hold.as_millis()).unwrap_or(u64::MAX).max(1);
    cmd.arg(lock_name(name)).arg(token).arg("NX").arg("PX").arg(ms);
}

/// What a try for a lock came to.
#[derive(Debug)]
pub(crate) enum Lock {
    /// Ours, with our token.
    Taken(String),
    /// Another process holds it: its token (`None` if it just went).
    Held(Option<String>),
}

/// Tries to take the lock of `name` for `hold`, and tells who holds it
/// otherwise, in one request; `Err` when Redis did not answer.
pub(crate) async fn acquire(link: &Link, name: &str, hold: Duration) -> Result<Lock, Skipped> {
    let token = token();
    let mut cmd = redis::cmd("SET");
    set_nx(&mut cmd, name, &token, hold);
    let mut pipe = redis::pipe();
    pipe.add_command(cmd).cmd("GET").arg(lock_name(name));
    let (taken, holder) = link
        .run("locking", |mut c| async move { pipe.query_async::<(Option<String>, Option<String>)>(&mut c).await })
        .await?;
    Ok(match taken {
        Some(_) => Lock::Taken(token),
        None => Lock::Held(holder),
    })
}

/// Takes the locks of `names` in one request: per name, its token when
/// taken, `None` when held by another; `None` as a whole when Redis did
/// not answer.
pub(crate) async fn acquire_many<'a>(
    link: &Link,
    names: impl Iterator<Item = &'a str>,
    hold: Duration,
) -> Option<Vec<Option<String>>> {
    let mut pipe = redis::pipe();
    let mut tokens = Vec::new();
    for name in names {
        let token = token();
        let mut cmd = redis::cmd("SET");
        set_nx(&mut cmd, name, &token, hold);
        pipe.add_command(cmd);
        tokens.push(token);
    }
    let taken = link.run_pipeline("locking", pipe).await.ok()?;
    Some(tokens.into_iter().zip(taken).map(|(token, ok)| matches!(ok, redis::Value::Okay).then_some(token)).collect())
}

/// Adds the release of the lock of `name`, if it still holds `token`, to
/// `pipe`.
pub(crate) fn release(pipe: &mut redis::Pipeline, name: &str, token: &str) {
    pipe.cmd("EVAL").arg(RELEASE).arg(1).arg(lock_name(name)).arg(token);
}
