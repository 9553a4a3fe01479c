//! EventBridge "Parameter Store Change" events: drop what changed from the cache.

use crate::Value;
use crate::resolver::Resolver;
use crate::value::shown;

impl Resolver {
    /// Takes an EventBridge "Parameter Store Change" event and drops every
    /// key whose SSM name it names from the cache, so the next read fetches
    /// the new value instead of waiting out the TTL. Answers those keys. A
    /// path entry (`ssm_path`) is dropped by a change of any name under its
    /// path (at the level it reads, with `recursive: false`).
    ///
    /// Anything that is not such an event changes nothing, answers an
    /// empty list and logs a warning saying what was wrong with it.
    ///
    /// ```
    /// # use ssmconf::{MemoryStore, Resolver, Schema};
    /// let schema = Schema::from_yaml_str("model:\n  ssm_param: /app/{stage}/model\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema).var("stage", "dev").store(MemoryStore::new()).build()?;
    /// let event = serde_json::json!({
    ///     "source": "aws.ssm",
    ///     "detail-type": "Parameter Store Change",
    ///     "detail": {"name": "/app/dev/model", "operation": "Update", "type": "String"}
    /// });
    /// assert_eq!(resolver.handle_change_event(&event), vec!["model".to_string()]);
    /// # Ok::<(), ssmconf::Error>(())
    /// ```
    #[must_use = "the keys dropped tell whether the event was for this schema"]
    pub fn handle_change_event(&self, event: &Value) -> Vec<String> {
        let name = match changed_name(event) {
            Ok(name) => name,
            Err(why) => {
                tracing::warn!(target: "ssmconf", "Ignoring an event that is not a Parameter Store Change event: {why}");
                return Vec::new();
            }
        };
        let mut idxs: Vec<usize> = self.inner.by_name.get(name).cloned().unwrap_or_default();
        idxs.extend(self.inner.entries().filter_map(|(idx, entry, bound)| {
            let recursive = entry.path.as_ref()?.recursive;
            let rest = crate::resolver::relative_name(&bound.name.plain, name)?;
            (recursive || !rest.contains('/')).then_some(idx)
        }));
        if idxs.is_empty() {
            tracing::debug!(target: "ssmconf", name, "Parameter Store Change event for a name not in the schema");
            return Vec::new();
        }
        idxs.iter()
            .map(|&idx| {
                self.inner.invalidate_everywhere(&[idx]);
                let key = self.inner.key(idx).to_string();
                tracing::info!(target: "ssmconf", key = %key, name, "Parameter changed in Parameter Store; dropped from the cache");
                key
            })
            .collect()
    }
}

/// The parameter name of a change event, or why the payload is not one.
fn changed_name(event: &Value) -> Result<&str, String> {
    let object = event.as_object().ok_or("the payload is not a JSON object")?;
    match object.get("detail-type") {
        Some(Value::String(kind)) if kind == "Parameter Store Change" => {}
        // Cut and escaped: the payload may be large and may hold anything.
        Some(Value::String(other)) => {
            return Err(format!("detail-type is {}, not `Parameter Store Change`", shown(other)));
        }
        Some(_) => return Err("`detail-type` is not a string".into()),
        None => return Err("it has no `detail-type`".into()),
    }
    match object.get("source") {
        None => {}
        Some(Value::String(source)) if source == "aws.ssm" => {}
        Some(Value::String(source)) => return Err(format!("source is {}, not `aws.ssm`", shown(source))),
        Some(_) => return Err("`source` is not a string".into()),
    }
    let name =
        object.get("detail").and_then(|d| d.get("name")).and_then(Value::as_str).ok_or("it has no `detail.name`")?;
    if name.is_empty() || name.len() > 2048 {
        return Err("`detail.name` is empty or too long".into());
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::changed_name;
    use serde_json::json;

    #[test]
    fn only_parameter_store_change_events_name_a_parameter() {
        let ok = json!({"source": "aws.ssm", "detail-type": "Parameter Store Change", "detail": {"name": "/a/b"}});
        assert_eq!(changed_name(&ok), Ok("/a/b"));
        assert_eq!(changed_name(&json!([1])), Err("the payload is not a JSON object".into()));
        assert_eq!(
            changed_name(&json!({"detail-type": "EC2 Instance State-change Notification"})),
            Err("detail-type is `EC2 Instance State-change Notification`, not `Parameter Store Change`".into())
        );
        assert_eq!(
            changed_name(&json!({"detail-type": "Parameter Store Change", "source": "evil"})),
            Err("source is `evil`, not `aws.ssm`".into())
        );
        assert_eq!(
            changed_name(&json!({"detail-type": "Parameter Store Change", "detail": {"name": 5}})),
            Err("it has no `detail.name`".into())
        );
    }
}
