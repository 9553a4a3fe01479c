//! [`FileStore`]: parameters in a JSON file, for local development without AWS.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::{
    ParamType, Parameter, ParameterStore, ParameterVersion, PutRequest, page_of, select_version, under_path_at,
};
use crate::error::{StoreError, StoreErrorKind};
use crate::schema::split_selector;

const FORMAT: &str = "ssmconf-filestore/1";

/// Parameters in a JSON file, with versions, descriptions, tags and history
/// like SSM. For local development: values, secure ones included, are kept
/// in clear text (the file is created with mode 0600 on Unix).
///
/// Writes are atomic (a temporary file renamed over the old one) and
/// serialized by an exclusive lock on `PATH.lock`, so several processes may
/// write one file at once without losing an update. A missing file is an
/// empty store; a corrupt one is an error that names it, never emptied.
///
/// ```
/// # tokio::runtime::Runtime::new().unwrap().block_on(async {
/// use ssmconf::{FileStore, ParamType, ParameterStore, PutRequest};
/// let dir = std::env::temp_dir().join(format!("ssmconf-doc-{}", std::process::id()));
/// let store = FileStore::new(dir.join("params.json"));
/// let put = PutRequest {
///     name: "/app/dev/model".into(),
///     value: "GPT_4O".into(),
///     param_type: ParamType::String,
///     description: None,
///     tags: vec![],
///     overwrite: true,
/// };
/// assert_eq!(store.put_parameter(&put).await.unwrap(), 1);
/// let got = store.get_parameters(&["/app/dev/model".into()]).await.unwrap();
/// assert_eq!(got[0].as_ref().unwrap().value, "GPT_4O");
/// # std::fs::remove_dir_all(dir).unwrap();
/// # });
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    path: PathBuf,
}

#[derive(Debug, Default, Serialize, Deserialize)]
struct Contents {
    format: String,
    parameters: BTreeMap<String, Vec<Version>>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Version {
    version: i64,
    value: String,
    #[serde(rename = "type")]
    param_type: ParamType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    tags: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    labels: Vec<String>,
    /// Seconds since the Unix epoch.
    modified_at: f64,
}

impl FileStore {
    /// A store in the JSON file at `path` (created on the first write).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        FileStore { path: path.into() }
    }

    /// The file.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn error(&self, kind: StoreErrorKind, what: impl std::fmt::Display) -> StoreError {
        StoreError::new(kind, format!("{}: {what}", self.path.display()))
    }

    fn read(&self) -> Result<Contents, StoreError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Contents { format: FORMAT.into(), ..Contents::default() });
            }
            Err(e) => return Err(self.error(StoreErrorKind::Config, format!("cannot read it: {e}"))),
        };
        let contents: Contents = serde_json::from_str(&text).map_err(|e| {
            self.error(
                StoreErrorKind::Config,
                format!("not a valid ssmconf FileStore ({e}); fix the file or move it away"),
            )
        })?;
        if contents.format != FORMAT {
            return Err(self.error(
                StoreErrorKind::Config,
                format!("format `{}` is not `{FORMAT}`; this file was not written by this ssmconf", contents.format),
            ));
        }
        Ok(contents)
    }

    /// Reads, changes and atomically rewrites the file under the lock.
    fn update<T>(&self, change: impl FnOnce(&mut Contents) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let io = |what: &str, e: std::io::Error| self.error(StoreErrorKind::Config, format!("cannot {what}: {e}"));
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| io("create its directory", e))?;
        }
        let mut lock_path = self.path.clone().into_os_string();
        lock_path.push(".lock");
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| io("open its lock file", e))?;
        lock.lock().map_err(|e| io("lock it", e))?;
        let mut contents = self.read()?;
        let answer = change(&mut contents)?;
        let text = serde_json::to_string_pretty(&contents).map_err(|e| self.error(StoreErrorKind::Other, e))?;
        let mut tmp_path = self.path.clone().into_os_string();
        tmp_path.push(format!(".tmp.{}", std::process::id()));
        let mut tmp = private_file(Path::new(&tmp_path)).map_err(|e| io("write a temporary file", e))?;
        tmp.write_all(text.as_bytes()).and_then(|()| tmp.sync_all()).map_err(|e| io("write a temporary file", e))?;
        fs::rename(&tmp_path, &self.path).map_err(|e| io("replace it", e))?;
        drop(lock);
        Ok(answer)
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    OpenOptions::new().create(true).truncate(true).write(true).mode(0o600).open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<File> {
    File::create(path)
}

fn to_time(secs: f64) -> Option<SystemTime> {
    (secs.is_finite() && secs >= 0.0).then(|| UNIX_EPOCH + Duration::from_secs_f64(secs))
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::new(StoreErrorKind::Other, format!("the file store's task failed: {e}")))?
}

#[async_trait]
impl ParameterStore for FileStore {
    /// The file's absolute path.
    async fn cache_scope(&self) -> Option<String> {
        let path = std::path::absolute(&self.path).unwrap_or_else(|_| self.path.clone());
        Some(format!("file:{}", path.display()))
    }

    async fn get_parameters(&self, names: &[String]) -> Result<Vec<Option<Parameter>>, StoreError> {
        let store = self.clone();
        let names = names.to_vec();
        blocking(move || {
            let contents = store.read()?;
            Ok(names
                .into_iter()
                .map(|name| {
                    let (plain, selector) = split_selector(&name);
                    let found =
                        select_version(contents.parameters.get(plain)?, selector, |v| v.version, |v| &v.labels)?
                            .clone();
                    Some(Parameter {
                        name,
                        value: found.value,
                        version: found.version,
                        param_type: found.param_type,
                        last_modified: to_time(found.modified_at),
                    })
                })
                .collect())
        })
        .await
    }

    async fn put_parameter(&self, request: &PutRequest) -> Result<i64, StoreError> {
        let store = self.clone();
        let request = request.clone();
        blocking(move || {
            store.update(|contents| {
                let versions = contents.parameters.entry(request.name.clone()).or_default();
                if !versions.is_empty() && !request.overwrite {
                    return Err(StoreError::new(
                        StoreErrorKind::Rejected,
                        format!("parameter {} already exists", request.name),
                    ));
                }
                let previous = versions.last();
                let version = previous.map_or(1, |v| v.version + 1);
                let mut tags = previous.map(|v| v.tags.clone()).unwrap_or_default();
                tags.extend(request.tags.iter().cloned());
                let modified_at = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64());
                versions.push(Version {
                    version,
                    value: request.value,
                    param_type: request.param_type,
                    description: request.description.or_else(|| previous.and_then(|v| v.description.clone())),
                    tags,
                    labels: Vec::new(),
                    modified_at,
                });
                Ok(version)
            })
        })
        .await
    }

    async fn parameter_history(&self, name: &str) -> Result<Vec<ParameterVersion>, StoreError> {
        let store = self.clone();
        let name = name.to_string();
        blocking(move || {
            let contents = store.read()?;
            Ok(contents
                .parameters
                .get(&name)
                .map(|versions| {
                    versions
                        .iter()
                        .map(|v| ParameterVersion {
                            version: v.version,
                            value: v.value.clone(),
                            param_type: v.param_type,
                            last_modified: to_time(v.modified_at),
                            modified_by: None,
                            description: v.description.clone(),
                            labels: v.labels.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default())
        })
        .await
    }

    async fn parameters_by_path_page(
        &self,
        path: &str,
        recursive: bool,
        next_token: Option<&str>,
    ) -> Result<super::ParameterPage, StoreError> {
        let store = self.clone();
        let path = path.to_string();
        let next_token = next_token.map(str::to_string);
        blocking(move || {
            let contents = store.read()?;
            // A BTreeMap: names come out sorted.
            let sorted = contents
                .parameters
                .iter()
                .filter(|(name, _)| under_path_at(&path, name, recursive))
                .filter_map(|(name, versions)| {
                    let last = versions.last()?;
                    Some(Parameter {
                        name: name.clone(),
                        value: last.value.clone(),
                        version: last.version,
                        param_type: last.param_type,
                        last_modified: to_time(last.modified_at),
                    })
                })
                .collect();
            page_of(sorted, next_token.as_deref())
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn put(name: &str, value: &str, overwrite: bool) -> PutRequest {
        PutRequest {
            name: name.into(),
            value: value.into(),
            param_type: ParamType::String,
            description: Some("d".into()),
            tags: vec![("team".into(), "ml".into())],
            overwrite,
        }
    }

    #[tokio::test]
    async fn writes_read_back_with_versions_and_history() {
        let dir = tempfile::tempdir().unwrap();
        let store = FileStore::new(dir.path().join("sub/params.json"));
        assert_eq!(store.get_parameters(&["/a".into()]).await.unwrap(), vec![None], "a missing file is empty");
        assert_eq!(store.put_parameter(&put("/a", "one", false)).await.unwrap(), 1);
        let again = store.put_parameter(&put("/a", "two", false)).await.unwrap_err();
        assert_eq!(again.kind(), StoreErrorKind::Rejected);
        assert_eq!(store.put_parameter(&put("/a", "two", true)).await.unwrap(), 2);
        let got = store.get_parameters(&["/a".into(), "/a:1".into()]).await.unwrap();
        assert_eq!(got[0].as_ref().map(|p| p.value.as_str()), Some("two"));
        assert_eq!(got[1].as_ref().map(|p| p.value.as_str()), Some("one"));
        let history = store.parameter_history("/a").await.unwrap();
        assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(history[1].description.as_deref(), Some("d"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(store.path()).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }

    #[tokio::test]
    async fn a_corrupt_file_is_an_error_naming_it_and_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("params.json");
        fs::write(&path, "{ not json").unwrap();
        let store = FileStore::new(&path);
        let err = store.get_parameters(&["/a".into()]).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Config);
        assert!(err.to_string().contains("params.json: not a valid ssmconf FileStore"), "{err}");
        assert!(store.put_parameter(&put("/a", "x", true)).await.is_err());
        assert_eq!(fs::read_to_string(&path).unwrap(), "{ not json", "never silently emptied");
    }

    #[test]
    fn concurrent_writers_lose_no_update() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("params.json");
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let store = FileStore::new(&path);
                std::thread::spawn(move || {
                    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
                    for _ in 0..10 {
                        rt.block_on(store.put_parameter(&put("/shared", "v", true))).unwrap();
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let history = rt.block_on(FileStore::new(&path).parameter_history("/shared")).unwrap();
        assert_eq!(history.iter().map(|h| h.version).collect::<Vec<_>>(), (1..=40).collect::<Vec<i64>>());
    }
}
