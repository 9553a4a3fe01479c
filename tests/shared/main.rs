//! The shared cache tier against a real redis-server and moto_server, both
//! on 127.0.0.1, reached through the real redis client and aws-sdk-ssm:
//! hits across resolvers, single flight across them, the fleet's last good
//! value, Redis killed, paused or refusing, and the trust boundary (values
//! rewritten, planted or moved by hand; encrypted secrets; key rotation).
//! Every test runs under a deadline.

#[path = "../moto/harness.rs"]
#[allow(dead_code)]
mod harness;
mod redis_server;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use redis_server::RedisServer;
use ssmconf::{Credentials, Resolver, Source, SsmStore};

const K1: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const K2: &str = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";

/// Runs a test body under a hard deadline.
fn deadline<F: Future<Output = ()>>(secs: u64, body: F) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(secs), body).await.expect("the test passed its deadline");
    });
}

/// `n` String parameters `k0..` on moto under a new stage, and the schema.
async fn seeded(test: &str, n: usize) -> (String, String) {
    let stage = harness::unique_stage(test);
    let direct = harness::store().await;
    let mut yaml = String::from("g:\n");
    for i in 0..n {
        harness::seed(&direct, &format!("/sh/{stage}/k{i}"), &format!("{}", 1000 + i), ParameterType::String).await;
        yaml.push_str(&format!("  k{i}:\n    ssm_param: /sh/{{stage}}/k{i}\n    type: int\n"));
    }
    (stage, yaml)
}

fn resolver(yaml: &str, stage: &str, store: SsmStore, redis: &str, key: Option<&str>) -> Resolver {
    let mut b = Resolver::builder(harness::schema(yaml))
        .var("stage", stage)
        .store(store)
        .shared_cache(redis)
        .shared_cache_lock(Duration::from_secs(3));
    if let Some(key) = key {
        b = b.shared_cache_key(key);
    }
    b.build().unwrap()
}

#[test]
fn a_value_one_resolver_fetched_answers_the_others_from_redis() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("hits", 25).await;
        let first = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        let report = first.load_all().await.unwrap();
        assert_eq!((report.loaded, report.shared), (25, 0));
        assert_eq!(first.stats().ssm_calls, 3, "a cold fleet: ceil(25/10) requests");

        let second = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        let report = second.load_all().await.unwrap();
        assert_eq!((report.loaded, report.shared), (25, 25));
        assert_eq!(second.stats().ssm_calls, 0, "everything came from Redis");
        assert_eq!(second.stats().shared_hits, 25);
        let v: i64 = second.require("g.k7").await.unwrap();
        assert_eq!(v, 1007);
        let why = second.explain("g.k7").await.unwrap();
        assert_eq!(why.source, Source::Shared);
        assert_eq!(why.source.as_str(), "shared");
        assert_eq!(why.version, Some(1));

        // One key, through `get`: a third resolver asks Redis, not SSM.
        let third = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        let why = third.explain("g.k3").await.unwrap();
        assert_eq!((why.value, why.source), (Some(1003.into()), Source::Shared));
        let step = why.steps.iter().find(|s| s.source == Source::Shared).expect("a shared step");
        assert!(step.found.contains(&format!("/{}", std::process::id())), "who fetched it: {}", step.found);
        assert_eq!(third.stats().ssm_calls, 0);
    });
}

#[test]
fn concurrent_misses_across_resolvers_make_one_ssm_request() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("flight", 1).await;
        let mut fleet = Vec::new();
        for _ in 0..8 {
            fleet.push(resolver(&yaml, &stage, harness::store().await, &redis.url(), None));
        }
        let reads = fleet.iter().map(|r| async move { r.require::<i64>("g.k0").await.unwrap() });
        let values = futures_util::future::join_all(reads).await;
        assert!(values.iter().all(|v| *v == 1000));
        let calls: u64 = fleet.iter().map(|r| r.stats().ssm_calls).sum();
        assert_eq!(calls, 1, "one process fetched, the others waited for its value");
    });
}

#[test]
fn a_dead_lock_holder_delays_the_others_at_most_the_lock_bound() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("deadholder", 1).await;
        let fleet: Vec<Resolver> = {
            let mut v = Vec::new();
            for _ in 0..4 {
                v.push(resolver(&yaml, &stage, harness::store().await, &redis.url(), None));
            }
            v
        };
        // What a holder killed mid-fetch leaves: its lock, and no value.
        let prefix = shared_name(&redis, &fleet[0], "g.k0").await;
        let mut c = redis.conn();
        let () = redis::cmd("SET").arg(format!("{prefix}|lock")).arg("dead").arg("PX").arg(1500).query(&mut c).unwrap();
        let started = Instant::now();
        let reads = fleet.iter().map(|r| async move { r.require::<i64>("g.k0").await.unwrap() });
        let values = futures_util::future::join_all(reads).await;
        let took = started.elapsed();
        assert!(values.iter().all(|v| *v == 1000));
        assert!(took < Duration::from_millis(1500 + 1500), "within the lock's bound (and one fetch): {took:?}");
        let calls: u64 = fleet.iter().map(|r| r.stats().ssm_calls).sum();
        assert!(calls <= 4, "{calls}");
    });
}

#[test]
fn redis_killed_while_load_all_waits_for_another_holder_ends_the_wait_at_once() {
    let mut redis = RedisServer::start();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let (stage, yaml) = rt.block_on(seeded("killedwait", 3));
    let r = rt.block_on(async { resolver(&yaml, &stage, harness::store().await, &redis.url(), None) });
    // Another process holds the lock of g.k0 (for the whole 3 s bound) and
    // is fetching it: load_all waits for its value.
    let name = rt.block_on(shared_name(&redis, &r, "g.k0"));
    let mut c = redis.conn();
    let () = redis::cmd("SET").arg(format!("{name}|lock")).arg("alive").arg("PX").arg(3000).query(&mut c).unwrap();
    let loading = {
        let r = r.clone();
        rt.spawn(async move {
            let started = Instant::now();
            let report = r.load_all().await.unwrap();
            (report, started.elapsed())
        })
    };
    std::thread::sleep(Duration::from_millis(300));
    redis.kill();
    let (report, took) =
        rt.block_on(async { tokio::time::timeout(Duration::from_secs(20), loading).await }).unwrap().unwrap();
    assert_eq!(report.loaded, 3);
    let why = rt.block_on(r.explain("g.k0")).unwrap();
    assert_eq!((why.value, why.source), (Some(1000.into()), Source::Ssm), "fetched itself once Redis was gone");
    assert!(took < Duration::from_millis(2000), "not the holder's 3 s bound: {took:?}");
}

/// The Redis name of `key`'s fresh entry, found by loading it once.
async fn shared_name(redis: &RedisServer, r: &Resolver, key: &str) -> String {
    let name = r.ssm_name(key).unwrap().to_string();
    // A throwaway resolver on the same scope writes it, so the name shows.
    let yaml = format!("x:\n  ssm_param: {name}\n");
    let probe = Resolver::builder(harness::schema(&yaml))
        .store(harness::store().await)
        .shared_cache(redis.url())
        .build()
        .unwrap();
    probe.load_all().await.unwrap();
    let full = redis.dump().into_iter().map(|(k, _)| k).find(|k| k.ends_with(&name)).expect("written");
    let mut c = redis.conn();
    let () = redis::cmd("DEL").arg(&full).arg(format!("{full}|last")).query(&mut c).unwrap();
    full
}

#[test]
fn two_regions_on_one_redis_never_share_an_entry() {
    let redis = RedisServer::start();
    deadline(60, async {
        let stage = harness::unique_stage("regions");
        let name = format!("/sh/{stage}/where");
        let east = harness::store().await;
        harness::seed(&east, &name, "east", ParameterType::String).await;
        let west = SsmStore::builder()
            .region("eu-west-1")
            .endpoint_url(harness::endpoint())
            .credentials(Credentials::new("testing", "testing", None, None, "moto"))
            .build()
            .await;
        harness::seed(&west, &name, "west", ParameterType::String).await;
        let yaml = "where:\n  ssm_param: /sh/{stage}/where\n";
        let a = resolver(yaml, &stage, harness::store().await, &redis.url(), None);
        let b = resolver(yaml, &stage, west, &redis.url(), None);
        assert_eq!(a.require::<String>("where").await.unwrap(), "east");
        assert_eq!(b.require::<String>("where").await.unwrap(), "west");
        assert_eq!(b.explain("where").await.unwrap().source, Source::Ssm, "not the other Region's entry");
        let keys: Vec<String> = redis.dump().into_iter().map(|(k, _)| k).filter(|k| k.ends_with(&name)).collect();
        assert_eq!(keys.len(), 2, "{keys:?}");
        assert!(keys.iter().any(|k| k.contains("us-east-1")) && keys.iter().any(|k| k.contains("eu-west-1")));
    });
}

#[test]
fn redis_killed_and_restarted_under_load_fails_no_read() {
    let mut redis = RedisServer::start();
    let url = redis.url();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    let (stage, yaml) = rt.block_on(seeded("killed", 5));
    let readers: Vec<Resolver> = rt.block_on(async {
        let mut v = Vec::new();
        for _ in 0..3 {
            v.push(
                Resolver::builder(harness::schema(&yaml))
                    .var("stage", &stage)
                    .store(harness::store().await)
                    .shared_cache(&url)
                    .ttl(Duration::from_millis(300))
                    .build()
                    .unwrap(),
            );
        }
        v
    });
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut tasks = Vec::new();
    for r in readers.clone() {
        let stop = stop.clone();
        tasks.push(rt.spawn(async move {
            let (mut reads, mut slowest) = (0u64, Duration::ZERO);
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for i in 0..5 {
                    let started = Instant::now();
                    let v: i64 = r.require(&format!("g.k{i}")).await.expect("no read fails");
                    assert_eq!(v, 1000 + i as i64);
                    slowest = slowest.max(started.elapsed());
                    reads += 1;
                }
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (reads, slowest)
        }));
    }
    std::thread::sleep(Duration::from_millis(800));
    redis.kill();
    std::thread::sleep(Duration::from_millis(1200));
    redis.restart();
    // The circuit probes again within its wait (at most a few seconds here).
    std::thread::sleep(Duration::from_millis(3500));
    let hits_before = readers.iter().map(|r| r.stats().shared_hits).sum::<u64>();
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let results: Vec<(u64, Duration)> = rt.block_on(async {
        let mut out = Vec::new();
        for t in tasks {
            out.push(tokio::time::timeout(Duration::from_secs(30), t).await.expect("readers stop").unwrap());
        }
        out
    });
    let reads: u64 = results.iter().map(|r| r.0).sum();
    let slowest = results.iter().map(|r| r.1).max().unwrap();
    assert!(reads > 100, "{reads}");
    assert!(slowest < Duration::from_secs(2), "no read waits on a dead Redis: {slowest:?}");
    let hits_after = readers.iter().map(|r| r.stats().shared_hits).sum::<u64>();
    assert!(hits_after > hits_before, "shared hits again after Redis came back ({hits_before} -> {hits_after})");
    assert!(readers.iter().map(|r| r.stats().shared_errors).sum::<u64>() >= 1);
}

#[test]
fn a_paused_redis_costs_each_read_at_most_the_budget() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("paused", 3).await;
        let r = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        redis.pause();
        for i in 0..3 {
            let started = Instant::now();
            let v: i64 = r.require(&format!("g.k{i}")).await.unwrap();
            assert_eq!(v, 1000 + i);
            assert!(started.elapsed() < Duration::from_millis(1500), "{:?}", started.elapsed());
        }
        redis.resume();
        assert!(r.stats().shared_errors >= 1);
    });
}

#[test]
fn a_redis_that_refuses_auth_or_is_not_there_changes_no_answer() {
    let redis = RedisServer::start_with(Some("right-password"), &[]);
    let nothing = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    deadline(60, async {
        let (stage, yaml) = seeded("refusing", 2).await;
        for url in [format!("redis://:wrong@127.0.0.1:{}", redis.port), format!("redis://127.0.0.1:{nothing}")] {
            let r = resolver(&yaml, &stage, harness::store().await, &url, None);
            assert_eq!(r.require::<i64>("g.k0").await.unwrap(), 1000);
            assert_eq!(r.load_all().await.unwrap().loaded, 1);
            assert_eq!(r.explain("g.k1").await.unwrap().source, Source::Ssm);
            assert!(r.stats().shared_errors >= 1);
        }
        // With the right password it works.
        let good = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        good.load_all().await.unwrap();
        let other = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(other.explain("g.k0").await.unwrap().source, Source::Shared);
    });
}

#[test]
fn the_fleets_last_good_value_answers_a_cold_start_while_ssm_is_down() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("lastgood", 3).await;
        let warm = Resolver::builder(harness::schema(&yaml))
            .var("stage", &stage)
            .store(harness::store().await)
            .shared_cache(redis.url())
            .shared_cache_namespace("fleet-a")
            .build()
            .unwrap();
        warm.load_all().await.unwrap();
        // The fresh entries expire; the last good ones stay.
        for (k, _) in redis.dump() {
            if !k.ends_with("|last") {
                let () = redis::cmd("DEL").arg(&k).query(&mut redis.conn()).unwrap();
            }
        }
        let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let down = SsmStore::builder()
            .region("us-east-1")
            .endpoint_url(format!("http://127.0.0.1:{dead}"))
            .credentials(Credentials::new("testing", "testing", None, None, "down"))
            .max_attempts(1)
            .build()
            .await;
        let cold = Resolver::builder(harness::schema(&yaml))
            .var("stage", &stage)
            .store(down)
            .shared_cache(redis.url())
            .shared_cache_namespace("fleet-a")
            .build()
            .unwrap();
        let report = cold.load_all().await.unwrap();
        assert_eq!(report.failed, 3);
        let why = cold.explain("g.k2").await.unwrap();
        assert_eq!((why.value, why.source), (Some(1002.into()), Source::Stale));
        assert_eq!(cold.require::<i64>("g.k0").await.unwrap(), 1000);
    });
}

#[test]
fn invalidate_and_put_drop_the_shared_entry() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("drops", 2).await;
        let r = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        r.load_all().await.unwrap();
        let fresh = |redis: &RedisServer| {
            redis.dump().into_iter().filter(|(k, _)| !k.contains('|') || k.matches('|').count() == 1).count()
        };
        assert_eq!(fresh(&redis), 2);
        r.put("g.k0", 7).await.unwrap();
        r.invalidate("g.k1");
        let until = Instant::now() + Duration::from_secs(5);
        while fresh(&redis) > 0 {
            assert!(Instant::now() < until, "the shared entries were not dropped");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let other = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(other.require::<i64>("g.k0").await.unwrap(), 7, "the new value, from SSM");
    });
}

/// The Redis key of `ssm_name`'s fresh entry.
fn fresh_key(redis: &RedisServer, ssm_name: &str) -> String {
    redis.dump().into_iter().map(|(k, _)| k).find(|k| k.ends_with(ssm_name)).expect("a fresh entry")
}

#[test]
fn with_a_key_a_value_rewritten_by_hand_is_not_served() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("rewritten", 1).await;
        let w = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        w.load_all().await.unwrap();
        let name = fresh_key(&redis, &format!("/sh/{stage}/k0"));
        let stored = String::from_utf8(redis.get(&name).unwrap()).unwrap();
        let forged = stored.replace("\"r\":\"1000\"", "\"r\":\"9999\"");
        assert_ne!(forged, stored);
        assert_eq!(forged.len(), stored.len(), "same length, still a valid int");
        redis.set(&name, forged.as_bytes());
        let r = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        let why = r.explain("g.k0").await.unwrap();
        assert_eq!((why.value, why.source), (Some(1000.into()), Source::Ssm));
        assert!(r.stats().shared_errors >= 1, "the refusal is counted");

        // Without a key the same forgery would be served: that is what a key buys.
        redis.set(&name, forged.replace(&forged[9..forged.find(".{").unwrap()], "-").as_bytes());
        let unkeyed = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(unkeyed.require::<i64>("g.k0").await.unwrap(), 9999);
    });
}

#[test]
fn without_a_key_a_value_outside_allowed_or_garbage_is_not_served() {
    let redis = RedisServer::start();
    deadline(60, async {
        let stage = harness::unique_stage("planted");
        let direct = harness::store().await;
        harness::seed(&direct, &format!("/sh/{stage}/model"), "GPT_4O", ParameterType::String).await;
        harness::seed(&direct, &format!("/sh/{stage}/n"), "5", ParameterType::String).await;
        let yaml = "model:\n  ssm_param: /sh/{stage}/model\n  allowed: [GPT_4O, CLAUDE]\nn:\n  ssm_param: /sh/{stage}/n\n  type: int\n";
        let w = resolver(yaml, &stage, harness::store().await, &redis.url(), None);
        w.load_all().await.unwrap();
        let model = fresh_key(&redis, &format!("/sh/{stage}/model"));
        let n = fresh_key(&redis, &format!("/sh/{stage}/n"));
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        redis.set(
            &model,
            format!("ssmconf1.-.{{\"k\":\"found\",\"r\":\"EVIL_MODEL\",\"v\":9,\"t\":{now},\"b\":\"x/1\"}}").as_bytes(),
        );
        redis.set(&n, b"\x00\xffnot a record at all");
        let r = resolver(yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(r.require::<String>("model").await.unwrap(), "GPT_4O");
        assert_eq!(r.explain("model").await.unwrap().source, Source::Ssm);
        assert_eq!(r.require::<i64>("n").await.unwrap(), 5);
        assert!(r.stats().shared_errors >= 2, "both refusals are counted");
    });
}

#[test]
fn a_tag_moved_to_another_key_does_not_verify() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("moved", 2).await;
        let w = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        w.load_all().await.unwrap();
        let k0 = fresh_key(&redis, &format!("/sh/{stage}/k0"));
        let k1 = fresh_key(&redis, &format!("/sh/{stage}/k1"));
        redis.set(&k1, &redis.get(&k0).unwrap());
        let r = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        assert_eq!(r.require::<i64>("g.k1").await.unwrap(), 1001, "not k0's value");
        assert_eq!(r.explain("g.k0").await.unwrap().source, Source::Shared, "k0 itself still verifies");
        assert!(r.stats().shared_errors >= 1, "the refusal is counted");
    });
}

#[test]
fn secure_values_are_stored_encrypted_with_a_key_and_skip_the_tier_without() {
    let redis = RedisServer::start();
    deadline(60, async {
        let stage = harness::unique_stage("secure");
        let secret = "hf_TOPSECRET_0123456789";
        harness::seed(&harness::store().await, &format!("/sh/{stage}/token"), secret, ParameterType::SecureString)
            .await;
        let yaml = "token:\n  ssm_param: /sh/{stage}/token\n  secure: true\n";
        let plain = resolver(yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(plain.require::<String>("token").await.unwrap(), secret);
        assert!(redis.dump().is_empty(), "without a key a secure entry never reaches Redis");

        let w = resolver(yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        assert_eq!(w.require::<String>("token").await.unwrap(), secret);
        let dump = redis.dump();
        assert_eq!(dump.len(), 2, "fresh and last good");
        for (k, v) in &dump {
            assert!(!String::from_utf8_lossy(v).contains(secret), "{k} holds the secret in plain text");
            assert!(!String::from_utf8_lossy(v).contains("TOPSECRET"));
        }
        let r = resolver(yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        let why = r.explain("token").await.unwrap();
        assert_eq!((why.value, why.source), (Some("***".into()), Source::Shared));
        assert_eq!(r.require::<String>("token").await.unwrap(), secret);
        // Without the key, the sealed value is not read either.
        let keyless = resolver(yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(keyless.explain("token").await.unwrap().source, Source::Ssm);
    });
}

#[test]
fn during_a_rotation_both_keys_verify_and_the_first_signs() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("rotation", 2).await;
        let old = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        old.require::<i64>("g.k0").await.unwrap();
        let both = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(&format!("{K2},{K1}")));
        assert_eq!(both.explain("g.k0").await.unwrap().source, Source::Shared, "the old key still verifies");
        both.require::<i64>("g.k1").await.unwrap();
        let new = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K2));
        assert_eq!(new.explain("g.k1").await.unwrap().source, Source::Shared, "signed with the new key");
        assert_eq!(new.explain("g.k0").await.unwrap().source, Source::Ssm, "the old key is gone here");
        let old_again = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        assert_eq!(old_again.explain("g.k1").await.unwrap().source, Source::Ssm);
    });
}

#[test]
fn a_bad_key_or_url_is_a_clear_error_that_shows_no_secret() {
    let schema = harness::schema("a:\n  ssm_param: /x/a\n");
    let err = Resolver::builder(schema.clone())
        .store(ssmconf::MemoryStore::new())
        .shared_cache("redis://127.0.0.1:1")
        .shared_cache_key("not-a-key-s3cret")
        .build()
        .unwrap_err();
    let text = err.to_string();
    assert!(text.starts_with("invalid value for `shared_cache_key`: key 1 of 1 is not 32 bytes"), "{text}");
    assert!(!text.contains("s3cret"));
    let err = Resolver::builder(schema)
        .store(ssmconf::MemoryStore::new())
        .shared_cache("http://u:pw123@h")
        .build()
        .unwrap_err();
    assert!(err.to_string().contains("is not a Redis URL") && !err.to_string().contains("pw123"), "{err}");
}

/// The child of [`a_lock_holder_killed_mid_fetch_delays_the_others_at_most_the_lock_bound`]:
/// takes the lock of `g.k0`, then hangs in its SSM request (an endpoint
/// that accepts connections and never answers) until it is killed. Does
/// nothing unless the parent set `SSMCONF_TEST_HOLDER_REDIS`.
#[test]
#[ignore = "the child process of a_lock_holder_killed_mid_fetch_...; that test runs it"]
fn holder_child() {
    let (Ok(url), Ok(stage), Ok(yaml)) = (
        std::env::var("SSMCONF_TEST_HOLDER_REDIS"),
        std::env::var("SSMCONF_TEST_HOLDER_STAGE"),
        std::env::var("SSMCONF_TEST_HOLDER_YAML"),
    ) else {
        return;
    };
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", silent.local_addr().unwrap());
    deadline(120, async move {
        let store = SsmStore::builder()
            .region("us-east-1")
            .endpoint_url(endpoint)
            .credentials(Credentials::new("testing", "testing", None, None, "holder"))
            .attempt_timeout(Duration::from_secs(100))
            .build()
            .await;
        let r = Resolver::builder(harness::schema(&yaml))
            .var("stage", &stage)
            .store(store)
            .shared_cache(url)
            .shared_cache_namespace(format!("holder-{stage}"))
            .shared_cache_lock(Duration::from_secs(2))
            .build()
            .unwrap();
        let _ = r.get::<i64>("g.k0").await;
        panic!("the request should hang until this process is killed");
    });
}

#[test]
fn a_lock_holder_killed_mid_fetch_delays_the_others_at_most_the_lock_bound() {
    let redis = RedisServer::start();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    let (stage, yaml) = rt.block_on(seeded("killedholder", 1));
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "holder_child", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("SSMCONF_TEST_HOLDER_REDIS", redis.url())
        .env("SSMCONF_TEST_HOLDER_STAGE", &stage)
        .env("SSMCONF_TEST_HOLDER_YAML", &yaml)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the child holds the lock, mid-fetch.
    let until = Instant::now() + Duration::from_secs(30);
    while !redis.dump().iter().any(|(k, _)| k.contains(&format!("holder-{stage}")) && k.ends_with("|lock")) {
        assert!(Instant::now() < until, "the child never took the lock");
        assert!(child.try_wait().unwrap().is_none(), "the child ended early");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let killed = Instant::now();
    rt.block_on(async {
        tokio::time::timeout(Duration::from_secs(30), async {
            let mut fleet = Vec::new();
            for _ in 0..4 {
                fleet.push(
                    Resolver::builder(harness::schema(&yaml))
                        .var("stage", &stage)
                        .store(harness::store().await)
                        .shared_cache(redis.url())
                        .shared_cache_namespace(format!("holder-{stage}"))
                        .shared_cache_lock(Duration::from_secs(2))
                        .build()
                        .unwrap(),
                );
            }
            let reads = fleet.iter().map(|r| async move { r.require::<i64>("g.k0").await.unwrap() });
            let values = futures_util::future::join_all(reads).await;
            assert!(values.iter().all(|v| *v == 1000));
            let took = killed.elapsed();
            assert!(took < Duration::from_millis(2000 + 1000), "within the dead holder's lock bound: {took:?}");
            let calls: u64 = fleet.iter().map(|r| r.stats().ssm_calls).sum();
            assert_eq!(calls, 1, "after the lock expired, one of them fetched for all");
        })
        .await
        .expect("the test passed its deadline");
    });
}

#[test]
fn a_full_redis_refusing_writes_changes_no_answer() {
    let redis = RedisServer::start_with(None, &["--maxmemory-policy", "noeviction"]);
    // 4 MB of data, then a 1 MB limit: every write is refused (OOM).
    let mut c = redis.conn();
    let junk = vec![b'x'; 64 * 1024];
    for i in 0..64 {
        let () = redis::cmd("SET").arg(format!("junk{i}")).arg(&junk).query(&mut c).unwrap();
    }
    let () = redis::cmd("CONFIG").arg("SET").arg("maxmemory").arg("1mb").query(&mut c).unwrap();
    let refused = redis::cmd("SET").arg("tiny").arg("1").query::<()>(&mut c).unwrap_err();
    assert!(refused.to_string().contains("OOM"), "{refused}");
    deadline(60, async {
        let (stage, yaml) = seeded("oom", 3).await;
        let r = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(r.load_all().await.unwrap().loaded, 3);
        for i in 0..3 {
            assert_eq!(r.require::<i64>(&format!("g.k{i}")).await.unwrap(), 1000 + i);
        }
        let other = resolver(&yaml, &stage, harness::store().await, &redis.url(), None);
        assert_eq!(other.require::<i64>("g.k1").await.unwrap(), 1001);
        assert!(r.stats().shared_errors >= 1, "the refused writes are counted: {:?}", r.stats());
    });
}

#[test]
fn a_key_kept_in_an_ssm_securestring_signs_like_the_key_itself() {
    let redis = RedisServer::start();
    deadline(60, async {
        let (stage, yaml) = seeded("ssmkey", 1).await;
        let key_name = format!("/sh/{stage}/cache-key");
        harness::seed(&harness::store().await, &key_name, K1, ParameterType::SecureString).await;
        let from_ssm = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(&format!("ssm:{key_name}")));
        assert_eq!(from_ssm.require::<i64>("g.k0").await.unwrap(), 1000);
        assert_eq!(from_ssm.stats().ssm_calls, 2, "the key, then the value");
        let literal = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        assert_eq!(literal.explain("g.k0").await.unwrap().source, Source::Shared, "signed with the key from SSM");

        // A key that cannot be read keeps the resolver off the tier: never
        // unauthenticated.
        let missing = resolver(&yaml, &stage, harness::store().await, &redis.url(), Some("ssm:/sh/nothing/here"));
        let before = redis.dump();
        assert_eq!(missing.explain("g.k0").await.unwrap().source, Source::Ssm);
        assert_eq!(redis.dump(), before, "nothing written without the key");
    });
}

#[test]
fn a_json_key_entry_from_redis_is_its_member_checked_like_one_from_ssm() {
    let redis = RedisServer::start();
    deadline(60, async {
        let stage = harness::unique_stage("jsonkey");
        let doc = r#"{"user":"svc","port":8443}"#;
        harness::seed(&harness::store().await, &format!("/sh/{stage}/db"), doc, ParameterType::String).await;
        let yaml = "db:\n  user:\n    ssm_param: /sh/{stage}/db\n    json_key: user\n    allowed: [svc, admin]\n  \
                    port:\n    ssm_param: /sh/{stage}/db\n    json_key: port\n    type: int\n";
        let first = resolver(yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        first.load_all().await.unwrap();
        assert_eq!(first.require::<String>("db.user").await.unwrap(), "svc");

        let second = resolver(yaml, &stage, harness::store().await, &redis.url(), Some(K1));
        for (key, want) in [("db.user", serde_json::json!("svc")), ("db.port", serde_json::json!(8443))] {
            let why = second.explain(key).await.unwrap();
            assert_eq!((why.value, why.source), (Some(want), Source::Shared), "{key}: the member, not the document");
        }
        assert_eq!(second.stats().ssm_calls, 0);
        assert_eq!(second.stats().shared_errors, 0);
    });
}
