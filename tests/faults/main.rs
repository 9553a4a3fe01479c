//! Faults on purpose: the real aws-sdk-ssm talks to moto_server through a
//! fault-injecting proxy on loopback. SSM goes down, throttles, answers
//! 500 or access denied, or hangs; reads must keep answering with the last
//! good value within the deadline, warn once per key per TTL, and recover.

#[path = "../moto/harness.rs"]
#[allow(dead_code)]
mod harness;
#[path = "../support/logs.rs"]
mod logs;
mod proxy;
mod soak;

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_ssm::types::ParameterType;
use ssmconf::{Credentials, ManualClock, Resolver, Source, SsmStore};

use logs::Logs;
use proxy::{Fault, FaultProxy};

const TTL: Duration = Duration::from_secs(60);
/// SPEC: 3 s per attempt, 3 attempts, with backoff between them.
const DEADLINE: Duration = Duration::from_secs(3 * 3 + 4);

/// A stage on moto with `n` parameters, a proxy in front, and a resolver
/// (on a manual clock) that reaches moto only through the proxy.
struct Rig {
    proxy: FaultProxy,
    resolver: Resolver,
    clock: Arc<ManualClock>,
    direct: SsmStore,
    stage: String,
    group: String,
    n: usize,
}

impl Rig {
    async fn new(group: &str, n: usize) -> Rig {
        let stage = harness::unique_stage(group);
        let direct = harness::store().await;
        let mut yaml = format!("{group}:\n");
        for i in 0..n {
            let name = format!("/it/{stage}/k{i}");
            harness::seed(&direct, &name, &format!("v{i}-1"), ParameterType::String).await;
            yaml.push_str(&format!("  k{i}:\n    ssm_param: /it/{{stage}}/k{i}\n"));
        }
        let proxy = FaultProxy::start(harness::endpoint());
        let store = SsmStore::builder()
            .region("us-east-1")
            .endpoint_url(proxy.url())
            .credentials(Credentials::new("testing", "testing", None, None, "faults"))
            .build()
            .await;
        let clock = Arc::new(ManualClock::new());
        let resolver = Resolver::builder(harness::schema(&yaml))
            .var("stage", &stage)
            .store(store)
            .ttl(TTL)
            .clock(clock.clone())
            .build()
            .expect("resolver");
        Rig { proxy, resolver, clock, direct, stage, group: group.to_string(), n }
    }

    fn key(&self, i: usize) -> String {
        format!("{}.k{i}", self.group)
    }

    /// Reads key `i`, answering its value, source and how long it took.
    async fn read(&self, i: usize) -> (String, Source, Duration) {
        let started = Instant::now();
        let why = self.resolver.explain(&self.key(i)).await.expect("explain");
        let value = why.value.and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
        (value, why.source, started.elapsed())
    }
}

#[tokio::test]
async fn an_outage_serves_stale_values_warns_once_per_ttl_and_recovers() {
    let logs = Logs::capture(tracing::Level::INFO);
    let rig = Rig::new("outage", 12).await;
    let report = rig.resolver.load_all().await.unwrap();
    assert_eq!(report.loaded, rig.n);
    assert_eq!(rig.proxy.requests(), 2, "12 entries load in ceil(12/10) requests");

    // SSM goes away: connections are dropped. The cache expires.
    rig.proxy.set(Fault::Drop);
    rig.clock.advance(TTL + Duration::from_secs(1));
    let before = rig.proxy.requests();
    let mut longest = Duration::ZERO;
    let mut served = 0;
    for round in 0..5 {
        for i in 0..rig.n {
            let (value, source, took) = rig.read(i).await;
            assert_eq!((value.as_str(), source), (format!("v{i}-1").as_str(), Source::Stale), "round {round}");
            longest = longest.max(took);
            served += 1;
        }
    }
    assert!(longest < DEADLINE, "a read took {longest:?}");
    let stats = rig.resolver.stats();
    eprintln!(
        "outage: {served} reads served stale, longest {longest:?}, {} requests reached the proxy, stats {stats:?}",
        rig.proxy.requests() - before
    );
    assert_eq!(stats.stale_served, served);
    assert_eq!(stats.ssm_errors, rig.n as u64, "one failed request per key per TTL, not per read");
    let sent = rig.proxy.requests() - before;
    assert!(sent >= rig.n as u64 && sent <= 3 * rig.n as u64, "{sent} requests: one per key, 3 attempts at most");
    let text = logs.text();
    for i in 0..rig.n {
        let warning = format!("Using fallback value for {} (stale): ", rig.key(i));
        assert_eq!(text.matches(&warning).count(), 1, "key {i}, once per TTL:\n{text}");
    }

    // SSM comes back, with a change made meanwhile; after the TTL every key
    // is fresh again, and the change is seen: nothing lost.
    rig.proxy.set(Fault::None);
    harness::seed(&rig.direct, &format!("/it/{}/k0", rig.stage), "v0-2", ParameterType::String).await;
    rig.clock.advance(TTL + Duration::from_secs(1));
    for i in 0..rig.n {
        let (value, source, _) = rig.read(i).await;
        let want = if i == 0 { "v0-2".to_string() } else { format!("v{i}-1") };
        assert_eq!((value, source), (want, Source::Ssm));
    }
    let after = rig.resolver.stats();
    assert_eq!(after.ssm_errors, stats.ssm_errors, "no new errors once SSM is back");
    assert_eq!(after.stale_served, stats.stale_served);
    assert!(after.misses > stats.misses);
}

#[tokio::test]
async fn throttling_is_retried_with_backoff_then_served_stale() {
    let rig = Rig::new("throttle", 1).await;
    rig.resolver.load_all().await.unwrap();

    // One throttled answer: the SDK retries and the read is fresh.
    rig.proxy.set_next(Fault::Throttle, 1);
    rig.clock.advance(TTL + Duration::from_secs(1));
    let before = rig.proxy.requests();
    let (value, source, _) = rig.read(0).await;
    assert_eq!((value.as_str(), source), ("v0-1", Source::Ssm));
    assert_eq!(rig.proxy.requests() - before, 2, "throttled once, retried once");
    assert_eq!(rig.resolver.stats().ssm_errors, 0);

    // Throttled throughout: 3 attempts, then the stale value.
    rig.proxy.set(Fault::Throttle);
    rig.clock.advance(TTL + Duration::from_secs(1));
    let before = rig.proxy.requests();
    let (value, source, took) = rig.read(0).await;
    assert_eq!((value.as_str(), source), ("v0-1", Source::Stale));
    assert_eq!(rig.proxy.requests() - before, 3, "3 attempts");
    assert!(took < DEADLINE, "{took:?}");
    let why = rig.resolver.explain(&rig.key(0)).await.unwrap();
    assert!(why.error.as_deref().unwrap_or_default().starts_with("throttled: "), "{:?}", why.error);
    assert_eq!(rig.resolver.stats().ssm_errors, 1);
}

#[tokio::test]
async fn server_errors_are_retried_and_access_denied_is_not() {
    let rig = Rig::new("denied", 1).await;
    rig.resolver.load_all().await.unwrap();

    rig.proxy.set(Fault::ServerError);
    rig.clock.advance(TTL + Duration::from_secs(1));
    let before = rig.proxy.requests();
    let (_, source, _) = rig.read(0).await;
    assert_eq!(source, Source::Stale);
    assert_eq!(rig.proxy.requests() - before, 3, "a 500 is transient: 3 attempts");

    rig.proxy.set(Fault::AccessDenied);
    rig.clock.advance(TTL + Duration::from_secs(1));
    let before = rig.proxy.requests();
    let (value, source, _) = rig.read(0).await;
    assert_eq!((value.as_str(), source), ("v0-1", Source::Stale));
    assert_eq!(rig.proxy.requests() - before, 1, "access denied is permanent: no retry");
    let why = rig.resolver.explain(&rig.key(0)).await.unwrap();
    assert!(why.error.as_deref().unwrap_or_default().starts_with("access denied: "), "{:?}", why.error);
}

#[tokio::test]
async fn a_hung_server_cannot_hold_a_read_past_the_deadline() {
    let rig = Rig::new("hung", 1).await;
    rig.resolver.load_all().await.unwrap();
    rig.proxy.set(Fault::Hang);
    rig.clock.advance(TTL + Duration::from_secs(1));
    let (value, source, took) = rig.read(0).await;
    assert_eq!((value.as_str(), source), ("v0-1", Source::Stale));
    eprintln!("hung server: the read answered stale after {took:?}");
    assert!(took >= Duration::from_secs(3), "the server did hang ({took:?})");
    assert!(took < DEADLINE, "the deadline held: {took:?}");
    let why = rig.resolver.explain(&rig.key(0)).await.unwrap();
    assert!(why.error.as_deref().unwrap_or_default().starts_with("timeout: "), "{:?}", why.error);
}

#[tokio::test]
async fn a_slow_server_is_waited_for_and_a_short_outage_window_ends() {
    let rig = Rig::new("slow", 2).await;
    rig.proxy.set(Fault::Delay(Duration::from_millis(300)));
    let (value, source, took) = rig.read(0).await;
    assert_eq!((value.as_str(), source), ("v0-1", Source::Ssm));
    assert!(took >= Duration::from_millis(300));

    // One dropped connection: the SDK retries it.
    let faulted = rig.proxy.faulted();
    rig.proxy.set_next(Fault::Drop, 1);
    let (_, source, _) = rig.read(1).await;
    assert_eq!(source, Source::Ssm, "the SDK retried the dropped request");
    assert_eq!(rig.proxy.faulted(), faulted + 1);

    // A window of drops ends by itself.
    rig.proxy.set_for(Fault::Drop, Duration::from_millis(100));
    tokio::time::sleep(Duration::from_millis(200)).await;
    rig.clock.advance(TTL + Duration::from_secs(1));
    let (_, source, _) = rig.read(1).await;
    assert_eq!(source, Source::Ssm);
    assert_eq!(rig.proxy.faulted(), faulted + 1, "no request met the expired window");
}
