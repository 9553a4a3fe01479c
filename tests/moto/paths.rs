//! Path entries (`ssm_path`) on moto, through the real aws-sdk-ssm:
//! GetParametersByPath page by page, one cached mapping, stale when SSM
//! fails, dropped by a change event; and init, check, diff leaf by leaf.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use serde_json::{Value, json};
use ssmconf::{Credentials, DiffStatus, InitOptions, ManualClock, ProblemKind, Resolver, Source, SsmStore};

use crate::harness::{endpoint, peek, schema, seed, store, unique_stage};
use crate::proxy::{Fault, FaultProxy};

/// A store that reaches moto through `proxy`.
async fn through(proxy: &FaultProxy) -> SsmStore {
    SsmStore::builder()
        .region("us-east-1")
        .endpoint_url(proxy.url())
        .credentials(Credentials::new("testing", "testing", None, None, "paths"))
        .build()
        .await
}

/// Leaves of a mapping, where every object is a level.
fn leaves(v: &Value) -> usize {
    match v {
        Value::Object(map) => map.values().map(leaves).sum(),
        _ => 1,
    }
}

#[tokio::test]
async fn three_hundred_parameters_load_in_pages_hit_once_go_stale_and_drop_on_an_event() {
    let stage = unique_stage("paths-300");
    let direct = store().await;
    for i in 0..300 {
        // Three levels deep, unevenly: /it/STAGE/flags/gN/sM/pI.
        let name = format!("/it/{stage}/flags/g{}/s{}/p{i}", i % 3, i % 7);
        seed(&direct, &name, &i.to_string(), ParameterType::String).await;
    }
    let proxy = FaultProxy::start(endpoint());
    let clock = Arc::new(ManualClock::new());
    let r = Resolver::builder(schema("flags:\n  ssm_path: /it/{stage}/flags/\n  type: int\n  ttl: 5m\n"))
        .var("stage", &stage)
        .store(through(&proxy).await)
        .clock(clock.clone())
        .build()
        .unwrap();

    let flags: Value = tokio::time::timeout(Duration::from_secs(60), r.require("flags")).await.unwrap().unwrap();
    assert_eq!(leaves(&flags), 300);
    assert_eq!(flags["g1"]["s1"]["p1"], json!(1));
    assert_eq!(flags["g2"]["s5"]["p299"], json!(299));
    // ceil(300 / 10) = 30 full pages. moto sends a NextToken with the 30th
    // page too (it sets one whenever the page is full), so the 31st request
    // answers an empty page without a token: 31 requests.
    let pages = r.stats().ssm_calls;
    assert_eq!(pages, 31, "30 full pages and moto's trailing empty one");

    let hits = r.stats().hits;
    let again: Value = r.require("flags").await.unwrap();
    assert_eq!(again, flags);
    assert_eq!(r.stats().ssm_calls, pages, "one cache hit, no request");
    assert_eq!(r.stats().hits, hits + 1);
    let why = r.explain("flags").await.unwrap();
    assert_eq!((why.source, why.parameters, why.version), (Source::Ssm, Some(300), None));

    // SSM refuses: the last good mapping, whole.
    proxy.set(Fault::AccessDenied);
    clock.advance(Duration::from_secs(301));
    let stale = tokio::time::timeout(Duration::from_secs(60), r.explain("flags")).await.unwrap().unwrap();
    assert_eq!(stale.source, Source::Stale);
    assert_eq!(stale.value.as_ref(), Some(&flags));
    assert_eq!(stale.parameters, Some(300));
    proxy.set(Fault::None);

    // A change event for one name under the path drops the whole mapping.
    let requests = r.stats().ssm_calls;
    let _ = r.require::<Value>("flags").await.unwrap(); // the failure was cached for the TTL: still stale
    clock.advance(Duration::from_secs(301));
    let _ = r.require::<Value>("flags").await.unwrap();
    let fresh = r.stats().ssm_calls;
    assert_eq!(fresh, requests + 31, "refetched after the failed one expired");
    seed(&direct, &format!("/it/{stage}/flags/g0/s0/p0"), "1000", ParameterType::String).await;
    let event = json!({
        "source": "aws.ssm",
        "detail-type": "Parameter Store Change",
        "detail": {"name": format!("/it/{stage}/flags/g0/s0/p0"), "operation": "Update"}
    });
    assert_eq!(r.handle_change_event(&event), vec!["flags".to_string()]);
    let changed: Value = r.require("flags").await.unwrap();
    assert_eq!(changed["g0"]["s0"]["p0"], json!(1000));
    assert_eq!(r.stats().ssm_calls, fresh + 31);
}

#[tokio::test]
async fn init_writes_the_leaves_of_the_default_and_check_and_diff_read_each() {
    let stage = unique_stage("paths-admin");
    let direct = store().await;
    let yaml = "flags:\n  ssm_path: /it/{stage}/flags\n  type: bool\n  required: true\n  description: feature flags\n\
                \x20 default: {beta: {search: false, '': true}, dark: true}\n";
    let r = Resolver::builder(schema(yaml)).var("stage", &stage).store(store().await).build().unwrap();

    let plan = r.init(InitOptions::default()).await.unwrap();
    let created: Vec<&str> = plan.created.iter().map(|i| i.ssm_param.as_str()).collect();
    let base = format!("/it/{stage}/flags");
    assert_eq!(created, [format!("{base}/beta/search"), format!("{base}/beta"), format!("{base}/dark")]);
    assert_eq!(peek(&direct, &format!("{base}/beta/search")).await.unwrap().value(), Some("false"));
    let value: Value = r.require("flags").await.unwrap();
    assert_eq!(value, json!({"beta": {"": true, "search": false}, "dark": true}));
    assert!(r.check().await.unwrap().is_ok());
    let again = r.init(InitOptions::default()).await.unwrap();
    assert_eq!((again.created.len(), again.skipped.len()), (0, 3), "existing leaves are skipped");

    seed(&direct, &format!("{base}/dark"), "false", ParameterType::String).await;
    seed(&direct, &format!("{base}/extra"), "maybe", ParameterType::String).await;
    let report = r.check().await.unwrap();
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert_eq!(report.problems[0].kind, ProblemKind::Invalid);
    assert_eq!(report.problems[0].ssm_param, format!("{base}/extra"));

    let diff = r.diff().await.unwrap();
    let statuses: Vec<(String, DiffStatus)> =
        diff.entries.iter().map(|e| (e.ssm_param.trim_start_matches(&base).to_string(), e.status)).collect();
    assert_eq!(
        statuses,
        [
            ("/beta".to_string(), DiffStatus::Same),
            ("/beta/search".to_string(), DiffStatus::Same),
            ("/dark".to_string(), DiffStatus::Changed),
            ("/extra".to_string(), DiffStatus::Invalid),
        ]
    );
    assert!(diff.unnamed.is_empty(), "names under a path entry are the schema's: {:?}", diff.unnamed);

    let put = r.put("flags", json!({"dark": true})).await.unwrap_err().to_string();
    assert!(put.contains("a path entry (ssm_path") && put.contains("set_parameter"), "{put}");
    assert!(r.history("flags").await.is_err());

    // `required` means at least one parameter: an empty path without a default fails the check.
    let empty = Resolver::builder(schema("e:\n  ssm_path: /it/{stage}/none\n  required: true\n"))
        .var("stage", &stage)
        .store(store().await)
        .build()
        .unwrap();
    let report = empty.check().await.unwrap();
    assert_eq!(report.problems.iter().map(|p| p.kind).collect::<Vec<_>>(), [ProblemKind::Missing]);
}
