//! The persisted last-known-good snapshot (opt-in, [`ResolverBuilder::snapshot`]).
//!
//! A JSON file holds, per SSM name, the last value SSM gave for each
//! non-secure entry, as the text SSM stores. A resolver built with a
//! snapshot seeds its stale values from it, so a cold start while SSM is
//! down still has step 4 of the chain. Nothing in the file is trusted: an
//! unreadable, corrupt, truncated or foreign file is ignored with a
//! warning, and each value is decoded and checked against its entry again.
//! Secure entries are never written, and never read back.
//!
//! [`ResolverBuilder::snapshot`]: super::ResolverBuilder::snapshot

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

const FORMAT: &str = "ssmconf-snapshot/1";

/// One remembered value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Remembered {
    /// The value as SSM stores it.
    pub(crate) raw: String,
    pub(crate) version: i64,
    /// Seconds since the epoch of the fetch.
    pub(crate) fetched_at: f64,
}

impl Remembered {
    pub(crate) fn fetched_wall(&self) -> SystemTime {
        if self.fetched_at.is_finite() && self.fetched_at >= 0.0 {
            UNIX_EPOCH + Duration::from_secs_f64(self.fetched_at.min(1e11))
        } else {
            UNIX_EPOCH
        }
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct File {
    format: String,
    /// By full SSM name (selector included).
    parameters: BTreeMap<String, Remembered>,
}

/// Where a resolver keeps its snapshot.
#[derive(Debug)]
pub(crate) struct Snapshot {
    path: PathBuf,
    /// Serialises writers in this process (the rename is atomic anyway).
    write_lock: std::sync::Mutex<()>,
}

impl Snapshot {
    pub(crate) fn new(path: PathBuf) -> Self {
        Snapshot { path, write_lock: std::sync::Mutex::new(()) }
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    /// The remembered values, or why the file is not used. A missing file
    /// is an empty snapshot (`Ok`), not a warning.
    pub(crate) fn read(&self) -> Result<BTreeMap<String, Remembered>, String> {
        let text = match fs::read(&self.path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(BTreeMap::new()),
            Err(e) => return Err(format!("cannot read it: {e}")),
        };
        if text.len() > MAX_BYTES {
            return Err(format!("it is {} bytes, more than a snapshot holds ({MAX_BYTES})", text.len()));
        }
        let file: File = serde_json::from_slice(&text).map_err(|e| format!("not a snapshot ({e})"))?;
        if file.format != FORMAT {
            return Err(format!("format `{}` is not `{FORMAT}`", file.format));
        }
        Ok(file.parameters)
    }

    /// Replaces the file with what `parameters` answers, atomically (a
    /// temporary file in the same directory, then a rename), mode 0600.
    /// `parameters` runs under the write lock, so of two writers racing,
    /// the later state is the one written last.
    pub(crate) fn write(&self, parameters: impl FnOnce() -> BTreeMap<String, Remembered>) -> std::io::Result<()> {
        let _guard = self.write_lock.lock().unwrap_or_else(|e| e.into_inner());
        let parameters = parameters();
        let text = serde_json::to_vec_pretty(&File { format: FORMAT.to_string(), parameters })
            .map_err(std::io::Error::other)?;
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir)?;
        }
        let mut tmp = self.path.clone().into_os_string();
        tmp.push(format!(".tmp.{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let mut file = private_file(&tmp)?;
        file.write_all(&text)?;
        file.sync_all()?;
        fs::rename(&tmp, &self.path)
    }
}

/// A snapshot larger than this is not read (a schema holds far fewer).
const MAX_BYTES: usize = 64 * 1024 * 1024;

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<fs::File> {
    OpenOptions::new().create(true).truncate(true).write(true).open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_atomically_private_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let snap = Snapshot::new(dir.path().join("sub/snap.json"));
        assert_eq!(snap.read().unwrap(), BTreeMap::new(), "a missing file is empty");
        let mut params = BTreeMap::new();
        params.insert("/a/b".to_string(), Remembered { raw: "x".into(), version: 3, fetched_at: 1.5e9 });
        snap.write(|| params.clone()).unwrap();
        assert_eq!(snap.read().unwrap(), params);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(snap.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path().join("sub")).unwrap().collect();
        assert_eq!(leftovers.len(), 1, "no temporary file left behind");
    }

    #[test]
    fn corrupt_truncated_and_foreign_files_are_refused_with_a_reason() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("snap.json");
        let snap = Snapshot::new(path.clone());
        fs::write(&path, "{\"format\": \"ssmconf-snapshot/1\", \"parameters\": {\"/a\": {\"raw\"").unwrap();
        assert!(snap.read().unwrap_err().starts_with("not a snapshot"));
        fs::write(&path, "{\"format\": \"other/2\", \"parameters\": {}}").unwrap();
        assert_eq!(snap.read().unwrap_err(), "format `other/2` is not `ssmconf-snapshot/1`");
        fs::write(&path, "[1, 2]").unwrap();
        assert!(snap.read().is_err());
        fs::write(&path, [0xff, 0xfe, 0x00]).unwrap();
        assert!(snap.read().is_err());
    }
}
