//! The resolver's counters as CloudWatch metrics: one Embedded Metric Format
//! (EMF) JSON line with the counts since the previous line.
//!
//! Printed to stdout from a Lambda function (or written to any log stream
//! that CloudWatch Logs ingests), the line becomes the metrics `Hits`,
//! `Misses`, `HitRate`, `SsmCalls`, `SsmErrors`, `StaleServed`,
//! `DefaultsServed` and `SharedHits` in the namespace given, with the
//! dimensions given. Only counts and the caller's dimensions are written:
//! never a key, a name or a value.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::UNIX_EPOCH;

use crate::error::{Error, Result};
use crate::resolved::Stats;
use crate::resolver::Resolver;

/// The most dimensions one EMF dimension set may hold.
pub(crate) const MAX_DIMENSIONS: usize = 30;

/// What the error of a bad namespace or dimension is about.
const WHAT: &str = "metrics_emf";

/// The metrics of a line, in order: name and CloudWatch unit.
const METRICS: [(&str, &str); 8] = [
    ("Hits", "Count"),
    ("Misses", "Count"),
    ("HitRate", "Percent"),
    ("SsmCalls", "Count"),
    ("SsmErrors", "Count"),
    ("StaleServed", "Count"),
    ("DefaultsServed", "Count"),
    ("SharedHits", "Count"),
];

/// The counts already reported, one per counter of [`Stats`]. Each moves
/// only forward, with `fetch_max`, so that two callers at once split the
/// counts between them instead of both reporting them.
#[derive(Debug, Default)]
pub(crate) struct Baseline {
    hits: AtomicU64,
    misses: AtomicU64,
    ssm_calls: AtomicU64,
    ssm_errors: AtomicU64,
    stale_served: AtomicU64,
    defaults_served: AtomicU64,
    shared_hits: AtomicU64,
    shared_errors: AtomicU64,
}

/// The part of a monotonic counter not yet reported; moves the baseline.
fn take(baseline: &AtomicU64, now: u64) -> u64 {
    now.saturating_sub(baseline.fetch_max(now, Ordering::AcqRel))
}

impl Baseline {
    /// The counts since the previous call, and the baseline moved to `now`.
    fn take(&self, now: Stats) -> Stats {
        Stats {
            hits: take(&self.hits, now.hits),
            misses: take(&self.misses, now.misses),
            ssm_calls: take(&self.ssm_calls, now.ssm_calls),
            ssm_errors: take(&self.ssm_errors, now.ssm_errors),
            stale_served: take(&self.stale_served, now.stale_served),
            defaults_served: take(&self.defaults_served, now.defaults_served),
            shared_hits: take(&self.shared_hits, now.shared_hits),
            shared_errors: take(&self.shared_errors, now.shared_errors),
        }
    }
}

/// The hit rate in percent, to two decimals; 100 when nothing was read
/// (no read missed the cache, so an idle period never trips an alarm on a
/// low hit rate).
fn hit_rate(hits: u64, misses: u64) -> f64 {
    let reads = hits + misses;
    if reads == 0 {
        return 100.0;
    }
    (hits as f64 * 10_000.0 / reads as f64).round() / 100.0
}

/// Checks a CloudWatch name or value: 1 to `max` printable ASCII
/// characters, not all spaces.
fn check_text(what: &str, text: &str, max: usize) -> std::result::Result<(), String> {
    if text.trim().is_empty() {
        return Err(format!("{what} is empty or only spaces; CloudWatch needs a visible character"));
    }
    if text.len() > max {
        return Err(format!("{what} is {} characters long; CloudWatch takes at most {max}", text.len()));
    }
    if let Some(c) = text.chars().find(|c| !(' '..='~').contains(c)) {
        return Err(format!("{what} holds {c:?}; CloudWatch takes only printable ASCII characters"));
    }
    Ok(())
}

fn check_namespace(namespace: &str) -> Result<()> {
    check_text(&format!("the namespace {}", quoted(namespace)), namespace, 255)
        .and_then(|()| {
            if namespace.starts_with(':') {
                Err(format!("the namespace {} starts with `:`, which CloudWatch refuses", quoted(namespace)))
            } else if namespace.starts_with("AWS/") {
                Err(format!(
                    "the namespace {} starts with `AWS/`, which is reserved for AWS services",
                    quoted(namespace)
                ))
            } else {
                Ok(())
            }
        })
        .map_err(|reason| Error::validation(WHAT, reason))
}

fn check_dimensions(dimensions: &[(String, String)]) -> Result<()> {
    if dimensions.len() > MAX_DIMENSIONS {
        return Err(Error::validation(
            WHAT,
            format!("{} dimensions given; an EMF dimension set takes at most {MAX_DIMENSIONS}", dimensions.len()),
        ));
    }
    for (i, (name, value)) in dimensions.iter().enumerate() {
        let shown = quoted(name);
        check_text(&format!("the dimension name {shown}"), name, 255)
            .and_then(|()| {
                if name.starts_with(':') {
                    Err(format!("the dimension name {shown} starts with `:`, which CloudWatch refuses"))
                } else if name == "_aws" || METRICS.iter().any(|(metric, _)| metric == name) {
                    Err(format!("the dimension name {shown} is taken by the line's own `{name}` member; rename it"))
                } else if dimensions[..i].iter().any(|(earlier, _)| earlier == name) {
                    Err(format!("the dimension {shown} is given twice"))
                } else {
                    Ok(())
                }
            })
            .and_then(|()| check_text(&format!("the value of dimension {shown}"), value, 1024))
            .map_err(|reason| Error::validation(WHAT, reason))?;
    }
    Ok(())
}

/// A name or value as it is shown in an error: JSON-quoted, cut at 60
/// characters.
fn quoted(text: &str) -> String {
    let cut: String = text.chars().take(60).collect();
    let more = if cut.len() < text.len() { "..." } else { "" };
    format!("{}{more}", serde_json::Value::from(cut))
}

fn json_str(out: &mut String, text: &str) {
    // A JSON string of a `&str` cannot fail to serialize.
    out.push_str(&serde_json::Value::from(text).to_string());
}

impl Resolver {
    /// One CloudWatch Embedded Metric Format line (JSON, no newline) with
    /// the counts since the previous call on this resolver or any clone:
    /// `Hits`, `Misses`, `SsmCalls`, `SsmErrors`, `StaleServed`,
    /// `DefaultsServed`, `SharedHits` (unit `Count`) and `HitRate` (unit
    /// `Percent`: `100 * Hits / (Hits + Misses)`, and 100 when there were no
    /// reads). `SharedHits` counts answers from the shared cache (0 without one).
    ///
    /// `dimensions` (name, value) become one dimension set, in the order
    /// given, and top-level members of the line. Print the line from a
    /// Lambda function once per invocation, and CloudWatch turns it into
    /// metrics an alarm can watch.
    ///
    /// Calls at once from several threads split the counts between them:
    /// no count is reported twice, and none is lost.
    ///
    /// ```
    /// # use ssmconf::{MemoryStore, Resolver, Schema};
    /// # tokio::runtime::Runtime::new().unwrap().block_on(async {
    /// let schema = Schema::from_yaml_str("model:\n  ssm_param: /app/model\n  default: GPT_4O\n", "inline.yml")?;
    /// let resolver = Resolver::builder(schema).store(MemoryStore::new()).build()?;
    /// let _: String = resolver.require("model").await?; // a miss, answered by the default
    /// let line = resolver.metrics_emf("ssmconf", [("Service", "coaching")])?;
    /// let emf: serde_json::Value = serde_json::from_str(&line).unwrap();
    /// assert_eq!(emf["Misses"], 1);
    /// assert_eq!(emf["DefaultsServed"], 1);
    /// assert_eq!(emf["Service"], "coaching");
    /// assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"], serde_json::json!([["Service"]]));
    /// // The next line counts from here.
    /// let again: serde_json::Value = serde_json::from_str(&resolver.metrics_emf("ssmconf", [("Service", "coaching")])?).unwrap();
    /// assert_eq!(again["Misses"], 0);
    /// assert_eq!(again["HitRate"], 100.0);
    /// # Ok::<(), ssmconf::Error>(()) }).unwrap();
    /// ```
    ///
    /// # Errors
    /// [`Error::Validation`] (nothing is counted as reported then) when the
    /// namespace is not 1 to 255 printable ASCII characters, starts with
    /// `:` or `AWS/`; when there are more than 30 dimensions; when a
    /// dimension name is not 1 to 255 printable ASCII characters, starts
    /// with `:`, repeats, or is `_aws` or a metric's name; when a value is
    /// not 1 to 1024 printable ASCII characters.
    pub fn metrics_emf<I, K, V>(&self, namespace: &str, dimensions: I) -> Result<String>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let dimensions: Vec<(String, String)> = dimensions.into_iter().map(|(k, v)| (k.into(), v.into())).collect();
        check_namespace(namespace)?;
        check_dimensions(&dimensions)?;
        let counts = self.inner.stats.emf_baseline.take(self.stats());
        let rate = hit_rate(counts.hits, counts.misses);
        let clock = &self.inner.clock;
        let millis = clock.wall(clock.now()).duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis());

        let mut line = String::with_capacity(512);
        let _ = write!(line, r#"{{"_aws":{{"Timestamp":{millis},"CloudWatchMetrics":[{{"Namespace":"#);
        json_str(&mut line, namespace);
        line.push_str(r#","Dimensions":[["#);
        for (i, (name, _)) in dimensions.iter().enumerate() {
            if i > 0 {
                line.push(',');
            }
            json_str(&mut line, name);
        }
        line.push_str(r#"]],"Metrics":["#);
        for (i, (name, unit)) in METRICS.iter().enumerate() {
            let comma = if i > 0 { "," } else { "" };
            let _ = write!(line, r#"{comma}{{"Name":"{name}","Unit":"{unit}"}}"#);
        }
        line.push_str("]}]}");
        for (name, value) in &dimensions {
            line.push(',');
            json_str(&mut line, name);
            line.push(':');
            json_str(&mut line, value);
        }
        let counts = [
            counts.hits,
            counts.misses,
            counts.ssm_calls,
            counts.ssm_errors,
            counts.stale_served,
            counts.defaults_served,
            counts.shared_hits,
        ];
        let mut counts = counts.into_iter();
        for (name, unit) in METRICS {
            if name == "HitRate" {
                let _ = write!(line, r#","{name}":{}"#, serde_json::Value::from(rate));
            } else {
                let _ = write!(line, r#","{name}":{}"#, counts.next().unwrap_or(0));
            }
            debug_assert!(unit == "Count" || name == "HitRate");
        }
        line.push('}');
        Ok(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MemoryStore, Schema};
    use serde_json::{Value, json};

    fn resolver() -> Resolver {
        let schema = Schema::from_yaml_str(
            "model:\n  ssm_param: /app/model\n  default: GPT_4O\ntoken:\n  ssm_param: /app/token\n  secure: true\n",
            "inline.yml",
        )
        .unwrap();
        let store = MemoryStore::from_values([("/app/model", "CLAUDE_OPUS_4_5")]);
        Resolver::builder(schema).store(store).build().unwrap()
    }

    fn parse(line: &str) -> Value {
        assert!(!line.contains('\n'), "one line: {line}");
        serde_json::from_str(line).unwrap()
    }

    #[tokio::test]
    async fn a_line_has_the_metadata_every_metric_and_the_dimensions() {
        let r = resolver();
        let _: String = r.require("model").await.unwrap();
        let _: String = r.require("model").await.unwrap();
        let _: String = r.require("model").await.unwrap();
        let emf = parse(&r.metrics_emf("ssmconf", [("Service", "coaching"), ("Stage", "dev")]).unwrap());
        let directive = &emf["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(directive["Namespace"], "ssmconf");
        assert_eq!(directive["Dimensions"], json!([["Service", "Stage"]]));
        let metrics = directive["Metrics"].as_array().unwrap();
        assert_eq!(metrics.len(), METRICS.len());
        for m in metrics {
            let name = m["Name"].as_str().unwrap();
            assert!(emf[name].is_number(), "{name} has a top-level member");
            let unit = if name == "HitRate" { "Percent" } else { "Count" };
            assert_eq!(m["Unit"], unit, "{name}");
        }
        assert!(emf["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
        assert_eq!((emf["Service"].clone(), emf["Stage"].clone()), (json!("coaching"), json!("dev")));
        assert_eq!((emf["Hits"].clone(), emf["Misses"].clone()), (json!(2), json!(1)));
        assert_eq!(emf["HitRate"], json!(66.67));
        assert_eq!((emf["SsmCalls"].clone(), emf["SsmErrors"].clone()), (json!(1), json!(0)));
    }

    #[tokio::test]
    async fn each_line_counts_since_the_previous_one() {
        let r = resolver();
        let _: Option<String> = r.get("token").await.unwrap();
        let first = parse(&r.metrics_emf("ns", Vec::<(String, String)>::new()).unwrap());
        assert_eq!(first["Misses"], json!(1));
        assert_eq!(first["_aws"]["CloudWatchMetrics"][0]["Dimensions"], json!([[]]));
        let idle = parse(&r.metrics_emf("ns", Vec::<(String, String)>::new()).unwrap());
        assert_eq!((idle["Hits"].clone(), idle["Misses"].clone()), (json!(0), json!(0)));
        assert_eq!(idle["HitRate"], json!(100.0), "no reads: nothing missed");
        let _: Option<String> = r.get("token").await.unwrap();
        let clone = r.clone();
        let third = parse(&clone.metrics_emf("ns", Vec::<(String, String)>::new()).unwrap());
        assert_eq!(
            (third["Hits"].clone(), third["HitRate"].clone()),
            (json!(1), json!(100.0)),
            "clones share one baseline"
        );
    }

    #[test]
    fn concurrent_callers_split_the_counts() {
        let r = resolver();
        for _ in 0..1000 {
            r.inner.stats.hits.fetch_add(1, Ordering::Relaxed);
        }
        let total: u64 = std::thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    s.spawn(|| {
                        let mut sum = 0;
                        for _ in 0..50 {
                            r.inner.stats.hits.fetch_add(1, Ordering::Relaxed);
                            let emf = parse(&r.metrics_emf("ns", [("A", "b")]).unwrap());
                            sum += emf["Hits"].as_u64().unwrap();
                        }
                        sum
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).sum()
        });
        assert_eq!(total, 1000 + 8 * 50, "every hit reported exactly once");
    }

    #[test]
    fn bad_namespaces_and_dimensions_are_refused_with_the_reason() {
        let r = resolver();
        let err = |ns: &str, dims: Vec<(&str, &str)>| r.metrics_emf(ns, dims).unwrap_err().to_string();
        assert_eq!(
            err("", vec![]),
            "invalid value for `metrics_emf`: the namespace \"\" is empty or only spaces; CloudWatch needs a visible character"
        );
        assert!(err("AWS/Lambda", vec![]).contains("reserved for AWS services"));
        assert!(err(":x", vec![]).contains("starts with `:`"));
        assert_eq!(
            err("ns", vec![(":Stage", "dev")]),
            "invalid value for `metrics_emf`: the dimension name \":Stage\" starts with `:`, which CloudWatch refuses"
        );
        assert!(err("ns", vec![("", "dev")]).contains("the dimension name \"\" is empty"));
        assert!(err("ns", vec![("Stage", " ")]).contains("the value of dimension \"Stage\" is empty"));
        assert!(err("ns", vec![("Stage", "dév")]).contains("holds 'é'; CloudWatch takes only printable ASCII"));
        assert!(err("ns", vec![("Hits", "x")]).contains("taken by the line's own `Hits` member"));
        assert!(err("ns", vec![("_aws", "x")]).contains("taken by the line's own `_aws` member"));
        assert!(err("ns", vec![("A", "1"), ("A", "2")]).contains("the dimension \"A\" is given twice"));
        let many: Vec<(String, String)> = (0..31).map(|i| (format!("D{i}"), "v".to_string())).collect();
        assert_eq!(
            r.metrics_emf("ns", many).unwrap_err().to_string(),
            "invalid value for `metrics_emf`: 31 dimensions given; an EMF dimension set takes at most 30"
        );
        let thirty: Vec<(String, String)> = (0..30).map(|i| (format!("D{i}"), "v".to_string())).collect();
        assert!(r.metrics_emf("ns", thirty).is_ok());
        assert!(r.metrics_emf("ns", [("A".repeat(256), "v")]).unwrap_err().to_string().contains("at most 255"));
        assert!(r.metrics_emf("ns", [("A", "v".repeat(1025))]).unwrap_err().to_string().contains("at most 1024"));
    }

    #[tokio::test]
    async fn a_refused_call_reports_nothing_and_keeps_the_counts() {
        let r = resolver();
        let _: String = r.require("model").await.unwrap();
        assert!(r.metrics_emf("", [("A", "b")]).is_err());
        let emf = parse(&r.metrics_emf("ns", [("A", "b")]).unwrap());
        assert_eq!(emf["Misses"], json!(1));
    }

    #[test]
    fn dimension_text_is_escaped_as_json() {
        let r = resolver();
        let emf = parse(&r.metrics_emf("n\"s", [("Na\\me", "va\"lue")]).unwrap());
        assert_eq!(emf["Na\\me"], "va\"lue");
        assert_eq!(emf["_aws"]["CloudWatchMetrics"][0]["Namespace"], "n\"s");
    }

    #[test]
    fn hit_rates() {
        assert_eq!(hit_rate(0, 0), 100.0);
        assert_eq!(hit_rate(0, 5), 0.0);
        assert_eq!(hit_rate(1, 2), 33.33);
        assert_eq!(hit_rate(u64::MAX / 2, 0), 100.0);
    }
}
