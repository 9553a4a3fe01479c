//! Payloads given to `handle_change_event` that are not EventBridge
//! "Parameter Store Change" events. Each is a no-op (nothing dropped from
//! the cache, an empty list) with one warning that says what was wrong, in
//! a line of bounded length; none panics. `events.rs` tests the private
//! parser on four shapes; here every shape goes through the public method,
//! with the cache and the log watched.

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};
use ssmconf::{MemoryStore, Resolver};

use crate::{block_on, resolver};

const SCHEMA: &str = "
models:
  basic:
    ssm_param: /app/{stage}/models/basic
  alias:
    ssm_param: /app/{stage}/models/basic
  pinned:
    ssm_param: /app/{stage}/models/pinned:2
training:
  epochs: 3
";

/// Log lines written while `f` runs.
fn logged<T>(f: impl FnOnce() -> T) -> (T, String) {
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    // A global subscriber that wants every event keeps tracing from caching
    // "nobody listens" for a callsite first hit on another test's thread,
    // which would hide it from this thread's scoped subscriber.
    static LISTEN_EVERYWHERE: std::sync::Once = std::sync::Once::new();
    LISTEN_EVERYWHERE.call_once(|| {
        let quiet = tracing_subscriber::fmt().with_writer(std::io::sink).with_max_level(tracing::Level::TRACE).finish();
        let _ = tracing::subscriber::set_global_default(quiet);
    });
    let sink = Sink::default();
    let writer = sink.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::DEBUG)
        .finish();
    let out = tracing::subscriber::with_default(subscriber, f);
    let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
    (out, text)
}

fn event(name: Value) -> Value {
    json!({
        "version": "0",
        "source": "aws.ssm",
        "detail-type": "Parameter Store Change",
        "detail": {"name": name, "operation": "Update", "type": "String"}
    })
}

/// A resolver with `models.basic` (and its twin `models.alias`) cached.
fn warm() -> (Resolver, MemoryStore) {
    let store = MemoryStore::from_values([("/app/dev/models/basic", "GPT_4O")]);
    let resolver = resolver(SCHEMA, &store);
    block_on(async {
        assert_eq!(resolver.get::<String>("models.basic").await.unwrap().as_deref(), Some("GPT_4O"));
        assert_eq!(resolver.get::<String>("models.alias").await.unwrap().as_deref(), Some("GPT_4O"));
    });
    (resolver, store)
}

/// True when `models.basic` is still served from the cache.
fn still_cached(resolver: &Resolver, store: &MemoryStore) -> bool {
    let before = store.calls();
    block_on(resolver.get::<String>("models.basic")).unwrap();
    store.calls() == before
}

#[test]
fn payloads_that_are_not_events_change_nothing() {
    let valid = event(json!("/app/dev/models/basic"));
    let deep = (0..100).fold(json!("/app/dev/models/basic"), |inner, _| json!({"name": inner}));
    let cases: Vec<(&str, Value, &str)> = vec![
        ("a string", json!("Parameter Store Change"), "the payload is not a JSON object"),
        ("null", Value::Null, "the payload is not a JSON object"),
        ("a number", json!(42), "the payload is not a JSON object"),
        ("a bool", json!(true), "the payload is not a JSON object"),
        ("a batch of events", json!([valid.clone()]), "the payload is not a JSON object"),
        ("an event as JSON text (an SQS body)", json!(valid.to_string()), "the payload is not a JSON object"),
        ("an empty object", json!({}), "it has no `detail-type`"),
        (
            "detail-type not a string",
            json!({"detail-type": 5, "detail": {"name": "/app/dev/models/basic"}}),
            "`detail-type` is not a string",
        ),
        (
            "another detail-type",
            json!({"detail-type": "EC2 Instance State-change Notification"}),
            "detail-type is `EC2 Instance State-change Notification`, not `Parameter Store Change`",
        ),
        (
            "detail-type in lower case",
            json!({"detail-type": "parameter store change"}),
            "detail-type is `parameter store change`",
        ),
        (
            "detail-type with a trailing space",
            json!({"detail-type": "Parameter Store Change "}),
            "detail-type is `Parameter Store Change `",
        ),
        (
            "another source",
            json!({"source": "aws.ec2", "detail-type": "Parameter Store Change", "detail": {"name": "/app/dev/models/basic"}}),
            "source is `aws.ec2`, not `aws.ssm`",
        ),
        (
            "a source that is not a string",
            json!({"source": ["aws.ssm"], "detail-type": "Parameter Store Change", "detail": {"name": "/app/dev/models/basic"}}),
            "`source` is not a string",
        ),
        ("no detail", json!({"source": "aws.ssm", "detail-type": "Parameter Store Change"}), "it has no `detail.name`"),
        (
            "detail a string",
            json!({"detail-type": "Parameter Store Change", "detail": "/app/dev/models/basic"}),
            "it has no `detail.name`",
        ),
        (
            "detail an array",
            json!({"detail-type": "Parameter Store Change", "detail": [{"name": "/app/dev/models/basic"}]}),
            "it has no `detail.name`",
        ),
        ("name null", event(Value::Null), "it has no `detail.name`"),
        ("name a number", event(json!(7)), "it has no `detail.name`"),
        ("name an array", event(json!(["/app/dev/models/basic"])), "it has no `detail.name`"),
        (
            "name nested 100 deep",
            json!({"detail-type": "Parameter Store Change", "detail": deep}),
            "it has no `detail.name`",
        ),
        ("name empty", event(json!("")), "`detail.name` is empty or too long"),
        (
            "name of 2049 characters",
            event(json!(format!("/{}", "a".repeat(2048)))),
            "`detail.name` is empty or too long",
        ),
        ("name of 10 MB", event(json!("/".repeat(10_000_000))), "`detail.name` is empty or too long"),
    ];
    for (what, payload, why) in cases {
        let (resolver, store) = warm();
        let (dropped, log) = logged(|| resolver.handle_change_event(&payload));
        assert!(dropped.is_empty(), "{what}: dropped {dropped:?}");
        assert!(still_cached(&resolver, &store), "{what}: the cache was touched");
        assert!(
            log.contains("Ignoring an event that is not a Parameter Store Change event: ") && log.contains(why),
            "{what}: {log}"
        );
        assert_eq!(log.lines().count(), 1, "{what}: {log}");
    }
}

/// Large and hostile text inside the fields the warning quotes: cut to a
/// few dozen characters and escaped, so a payload cannot flood the log or
/// forge a line of it.
#[test]
fn quoted_fields_are_cut_and_escaped() {
    let (resolver, _) = warm();
    let huge = json!({"detail-type": "x".repeat(10_000_000), "detail": {"name": "/app/dev/models/basic"}});
    let (dropped, log) = logged(|| resolver.handle_change_event(&huge));
    assert!(dropped.is_empty());
    assert!(log.len() < 400, "a warning of {} bytes", log.len());
    assert!(log.contains(&format!("detail-type is `{}…`", "x".repeat(60))), "{log}");

    let forged = json!({"source": "evil\n2030-01-01T00:00:00Z  INFO ssmconf: all good\u{1b}[2J", "detail-type": "Parameter Store Change"});
    let (_, log) = logged(|| resolver.handle_change_event(&forged));
    assert_eq!(log.lines().count(), 1, "{log}");
    assert!(log.contains("source is `evil\\n2030-01-01T00:00:00Z  INFO ssmconf: all good\\u{1b}[2J`"), "{log}");
}

/// Events that are well formed but name nothing in the schema: a no-op,
/// logged at debug level only, not as a warning.
#[test]
fn events_for_other_names() {
    for name in [
        "/app/dev/models/other",
        "/app/dev/models/basic:1",
        "/APP/dev/models/basic",
        "/app/dev/models/basic/",
        "app/dev/models/basic",
        "/app/prod/models/basic",
        "/app/dev/models/bäsic",
    ] {
        let (resolver, store) = warm();
        let (dropped, log) = logged(|| resolver.handle_change_event(&event(json!(name))));
        assert!(dropped.is_empty(), "{name}: {dropped:?}");
        assert!(still_cached(&resolver, &store), "{name}");
        assert!(!log.contains("WARN"), "{name}: {log}");
    }
}

/// The real thing, with extra and odd fields around it: every key that
/// reads the name is dropped (twins included), and a name with a selector
/// in the schema is dropped by its plain name.
#[test]
fn real_events_drop_every_key_of_the_name() {
    let (resolver, store) = warm();
    let mut payload = event(json!("/app/dev/models/basic"));
    payload["detail"]["operation"] = json!("Delete");
    payload["detail"]["junk"] = json!({"deep": [[[[1]]]]});
    payload["resources"] = json!(["arn:aws:ssm:us-east-1:123456789012:parameter/app/dev/models/basic"]);
    let (dropped, _) = logged(|| resolver.handle_change_event(&payload));
    assert_eq!(dropped, ["models.basic", "models.alias"]);
    assert!(!still_cached(&resolver, &store));
    // No `source` at all is accepted: some forwarders strip the envelope.
    let bare = json!({"detail-type": "Parameter Store Change", "detail": {"name": "/app/dev/models/pinned"}});
    assert_eq!(resolver.handle_change_event(&bare), ["models.pinned"]);
    // A literal has no SSM name, and its key is not a name.
    assert!(resolver.handle_change_event(&event(json!("training.epochs"))).is_empty());
}
