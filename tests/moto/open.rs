//! Names outside the schema (`Resolver::parameter`, `parameters_by_name`,
//! `parameters_by_path`) through the real SDK against moto.

use std::sync::Arc;
use std::time::Duration;

use aws_sdk_ssm::types::ParameterType;
use ssmconf::{ManualClock, ParameterOptions, Resolver, Schema};

use crate::harness::{seed, store, unique_stage};

async fn open_resolver(clock: Arc<ManualClock>) -> Resolver {
    Resolver::builder(Schema::empty()).store(store().await).clock(clock).ttl(Duration::from_secs(60)).build().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn thirty_two_tasks_on_an_expired_name_send_one_request() {
    let stage = unique_stage("open-flight");
    let name = format!("/it/{stage}/hot");
    seed(&store().await, &name, "v1", ParameterType::String).await;
    let clock = Arc::new(ManualClock::new());
    let resolver = open_resolver(clock.clone()).await;
    assert_eq!(resolver.parameter(&name).await.unwrap().unwrap().value, "v1");
    seed(&store().await, &name, "v2", ParameterType::String).await;
    clock.advance(Duration::from_secs(61));
    let before = resolver.stats().ssm_calls;
    let barrier = Arc::new(tokio::sync::Barrier::new(32));
    let tasks: Vec<_> = (0..32)
        .map(|_| {
            let (r, name, barrier) = (resolver.clone(), name.clone(), barrier.clone());
            tokio::spawn(async move {
                barrier.wait().await;
                r.parameter(&name).await.unwrap().unwrap().value
            })
        })
        .collect();
    let deadline = tokio::time::timeout(Duration::from_secs(60), futures_util::future::join_all(tasks));
    for value in deadline.await.expect("the readers finish") {
        assert_eq!(value.unwrap(), "v2");
    }
    assert_eq!(resolver.stats().ssm_calls - before, 1);
}

#[tokio::test]
async fn by_name_and_by_path_read_every_batch_and_page() {
    let stage = unique_stage("open-many");
    let s = store().await;
    let names: Vec<String> = (0..25).map(|i| format!("/it/{stage}/n/{}/p{i}", i % 3)).collect();
    for (i, n) in names.iter().enumerate() {
        seed(&s, n, &i.to_string(), ParameterType::String).await;
    }
    let resolver = open_resolver(Arc::new(ManualClock::new())).await;
    let found = resolver.parameters_by_name(&names, &ParameterOptions::default()).await;
    for (i, (name, value)) in found.iter().enumerate() {
        assert_eq!(name, &names[i]);
        assert_eq!(value.as_ref().unwrap().parameter().unwrap().value, i.to_string());
    }
    assert_eq!(resolver.stats().ssm_calls, 3);
    let listed = resolver.parameters_by_path(&format!("/it/{stage}/n")).await.unwrap();
    assert_eq!(listed.len(), 25);
    // 25 at 10 a page: 3 pages, and moto may add an empty last one.
    assert!((6..=7).contains(&resolver.stats().ssm_calls), "{:?}", resolver.stats());
    let calls = resolver.stats().ssm_calls;
    resolver.parameters_by_path(&format!("/it/{stage}/n")).await.unwrap();
    assert_eq!(resolver.stats().ssm_calls, calls);
}

#[tokio::test]
async fn decrypt_false_answers_what_ssm_holds() {
    let stage = unique_stage("open-decrypt");
    let name = format!("/it/{stage}/secret");
    seed(&store().await, &name, "s3cr3t-value", ParameterType::SecureString).await;
    let resolver = open_resolver(Arc::new(ManualClock::new())).await;
    let plain = resolver.parameter(&name).await.unwrap().unwrap();
    assert_eq!(plain.value, "s3cr3t-value");
    let raw = resolver.parameter_with(&name, &ParameterOptions::default().decrypt(false)).await.unwrap();
    assert_ne!(raw.parameter().unwrap().value, "s3cr3t-value");
    assert!(!format!("{raw:?}").contains("s3cr3t"));
}
