//! A small fleet, side by side with and without the shared cache: MEMBERS
//! cold resolvers (default 200) in this process, each with its own SSM
//! client (its own connections, as separate processes would have) and its
//! own Redis connection, all started at once, each loading the same 30
//! entries from one moto_server. Prints, per mode, the SSM requests the
//! whole fleet made, the reads the shared cache answered, the reads that
//! ended on a default or an error, and the time until each member had its
//! values (p50, p99, max).
//!
//! Not the full fleet simulation of issue 12 (no 40 req/s token bucket in
//! front of moto, so no throttling figures; no separate processes; no
//! boto3 or Powertools): request counts are exact, times are on a loaded
//! 2-core machine with moto in Python.
//!
//! `cargo bench --workspace --bench fleet --profile dev` (MEMBERS=1000 for
//! more; BUDGET_MS for another Redis budget than 50 ms).

#[path = "../tests/moto/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../tests/shared/redis_server.rs"]
#[allow(dead_code)]
mod redis_server;

use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use ssmconf::{Resolver, Schema, Source};

const ENTRIES: usize = 30;

struct Figures {
    ssm_requests: u64,
    shared_hits: u64,
    bad_reads: u64,
    times: Vec<Duration>,
}

async fn fleet(members: usize, yaml: &str, stage: &str, redis: Option<&str>) -> Figures {
    let schema = Schema::from_yaml_str(yaml, "fleet.yml").unwrap();
    let mut fleet = Vec::with_capacity(members);
    for _ in 0..members {
        let mut b = Resolver::builder(schema.clone()).var("stage", stage).store(harness::store().await);
        if let Some(url) = redis {
            b = b.shared_cache(url);
            if let Some(ms) = std::env::var("BUDGET_MS").ok().and_then(|m| m.parse().ok()) {
                b = b.shared_cache_budget(Duration::from_millis(ms));
            }
        }
        fleet.push(b.build().unwrap());
    }
    let started = Instant::now();
    let runs = fleet.iter().map(|r| async move {
        r.load_all().await.unwrap();
        let mut bad = 0;
        for i in 0..ENTRIES {
            let why = r.explain(&format!("g.k{i}")).await.unwrap();
            if !matches!(why.source, Source::Ssm | Source::Shared) {
                bad += 1;
            }
        }
        (started.elapsed(), bad)
    });
    let done = futures_util::future::join_all(runs).await;
    let mut times: Vec<Duration> = done.iter().map(|d| d.0).collect();
    times.sort();
    Figures {
        ssm_requests: fleet.iter().map(|r| r.stats().ssm_calls).sum(),
        shared_hits: fleet.iter().map(|r| r.stats().shared_hits).sum(),
        bad_reads: done.iter().map(|d| d.1).sum(),
        times,
    }
}

fn pct(times: &[Duration], p: f64) -> Duration {
    times[((times.len() as f64 * p).ceil() as usize).clamp(1, times.len()) - 1]
}

fn main() {
    let members: usize = std::env::var("MEMBERS").ok().and_then(|m| m.parse().ok()).unwrap_or(200);
    let redis = redis_server::RedisServer::start();
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let mut yaml = String::from("g:\n");
        let direct = harness::store().await;
        let stage = harness::unique_stage("fleet");
        for i in 0..ENTRIES {
            harness::seed(&direct, &format!("/fleet/{stage}/k{i}"), &format!("v{i}"), ParameterType::String).await;
            yaml.push_str(&format!("  k{i}:\n    ssm_param: /fleet/{{stage}}/k{i}\n"));
        }
        println!("{members} cold members, {ENTRIES} entries each, one moto_server, one redis-server");
        println!(
            "{:<22} {:>12} {:>12} {:>10} {:>9} {:>9} {:>9}",
            "mode", "SSM requests", "shared hits", "bad reads", "p50", "p99", "max"
        );
        for (mode, url) in [("without the tier", None), ("with the tier", Some(redis.url()))] {
            let f = fleet(members, &yaml, &stage, url.as_deref()).await;
            println!(
                "{mode:<22} {:>12} {:>12} {:>10} {:>7}ms {:>7}ms {:>7}ms",
                f.ssm_requests,
                f.shared_hits,
                f.bad_reads,
                pct(&f.times, 0.5).as_millis(),
                pct(&f.times, 0.99).as_millis(),
                f.times.last().unwrap().as_millis()
            );
        }
    });
}
