//! The fallback chain at work, with no AWS account: a value from the store,
//! a schema default, a caller default, a stale value while the store is
//! down, and `explain`.
//!
//! Run from the repository root: `cargo run --example quickstart`.

use std::sync::Arc;
use std::time::Duration;

use ssmconf::{ManualClock, MemoryStore, ParamType, Resolver, Schema, StoreError, StoreErrorKind};

#[tokio::main(flavor = "current_thread")]
async fn main() -> ssmconf::Result<()> {
    tracing_subscriber::fmt().with_target(true).with_env_filter("ssmconf=info").init();

    // The schema is embedded, so this runs from anywhere.
    let schema = Schema::from_yaml_str(include_str!("config/app.yml"), "examples/config/app.yml")?;

    // An in-process store standing in for Parameter Store.
    let store = MemoryStore::new();
    store.set("/purposepath/dev/models/default_basic", "CLAUDE_SONNET_4_5", ParamType::String);
    store.set("/fine-tune-slm/dev/ec2/instance-id", "i-0123456789abcdef0", ParamType::String);
    store.set("/fine-tune-slm/dev/secrets/hf-token", "hf_not_a_real_token", ParamType::SecureString);

    // A clock we can move, to show the TTL without waiting five minutes.
    let clock = Arc::new(ManualClock::new());
    let resolver = Resolver::builder(schema).var("stage", "dev").store(store.clone()).clock(clock.clone()).build()?;

    let loaded = resolver.load_all().await?;
    println!(
        "\nload_all: {} loaded, {} not in the store, in {} request(s)",
        loaded.loaded,
        loaded.missing,
        resolver.stats().ssm_calls
    );

    let basic: String = resolver.require("models.default_basic").await?;
    println!("models.default_basic = {basic}    (from the store)");
    let premium: String = resolver.require("models.default_premium").await?;
    println!("models.default_premium = {premium}    (the schema default: the store has none)");
    let bucket: String = resolver.get_or("s3.bucket", "local-checkpoints".to_string()).await?;
    println!("s3.bucket = {bucket}    (the caller's default: neither store nor schema has one)");
    let epochs: u32 = resolver.require("training.epochs").await?;
    println!("training.epochs = {epochs}    (a literal in the schema)");

    println!("\n-- Parameter Store goes down, and five minutes pass --");
    store.fail_with(Some(StoreError::new(StoreErrorKind::Throttled, "Rate exceeded")));
    clock.advance(Duration::from_secs(301));
    let basic: String = resolver.require("models.default_basic").await?;
    println!("models.default_basic = {basic}    (stale: the last value the store gave)");

    for key in ["models.default_basic", "secrets.hf_token"] {
        let why = resolver.explain(key).await?;
        println!("\nexplain {key}:");
        println!("  value:   {}", why.value.map(|v| v.to_string()).unwrap_or_else(|| "(none)".into()));
        println!("  source:  {}", why.source);
        println!(
            "  ssm:     {} (version {})",
            why.ssm_param.unwrap_or_default(),
            why.version.map_or("-".into(), |v| v.to_string())
        );
        println!("  error:   {}", why.error.unwrap_or_else(|| "-".into()));
        println!(
            "  defined: {}:{}",
            why.file.map(|f| f.display().to_string()).unwrap_or_default(),
            why.line.unwrap_or(0)
        );
        for step in &why.steps {
            println!("    {:<8} {}", step.source.as_str(), step.found);
        }
    }

    let stats = resolver.stats();
    println!(
        "\nstats: {} hits, {} misses, {} store calls ({} failed), {} stale, {} defaults",
        stats.hits, stats.misses, stats.ssm_calls, stats.ssm_errors, stats.stale_served, stats.defaults_served
    );
    Ok(())
}
