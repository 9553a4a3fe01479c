//! Value decoding on arbitrary SSM strings: one entry of each type, with
//! and without `allowed`, plain and secure, each holding the fuzzed string
//! in a MemoryStore, read through `get`, `require` and `explain`. Nothing
//! may panic, and a secure value never shows in an error or in `explain`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use ssmconf::{MemoryStore, ParamType, Resolver, Schema, Value};

const SCHEMA: &str = r#"
plain:
  s: {ssm_param: /f/s, type: string}
  i: {ssm_param: /f/i, type: int}
  f: {ssm_param: /f/f, type: float}
  b: {ssm_param: /f/b, type: bool}
  l: {ssm_param: /f/l, type: list}
  j: {ssm_param: /f/j, type: json}
  i_default: {ssm_param: /f/id, type: int, default: 7}
allowed:
  s: {ssm_param: /f/as, allowed: [alpha, beta, "1"]}
  i: {ssm_param: /f/ai, type: int, allowed: [1, 2, -3]}
  f: {ssm_param: /f/af, type: float, allowed: [0.5, 1]}
  b: {ssm_param: /f/ab, type: bool, allowed: [true]}
  l: {ssm_param: /f/al, type: list, allowed: [a, b, c]}
  j: {ssm_param: /f/aj, type: json, allowed: [1, '"x"', {k: [1]}]}
secure:
  s: {ssm_param: /f/ss, secure: true}
  i: {ssm_param: /f/si, type: int, secure: true}
  f: {ssm_param: /f/sf, type: float, secure: true}
  b: {ssm_param: /f/sb, type: bool, secure: true}
  j: {ssm_param: /f/sj, type: json, secure: true}
  s_allowed: {ssm_param: /f/ssa, secure: true, allowed: [alpha, beta]}
  i_allowed: {ssm_param: /f/sia, type: int, secure: true, allowed: [1, 2], default: 1}
  j_allowed: {ssm_param: /f/sja, type: json, secure: true, allowed: [[1, 2], {a: b}]}
"#;

fn schema() -> &'static Schema {
    static SCHEMA_: OnceLock<Schema> = OnceLock::new();
    SCHEMA_.get_or_init(|| Schema::from_yaml_str(SCHEMA, "decode.yml").expect("the fuzz schema loads"))
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap())
}

/// Everything a caller can see about `key`: errors of get/require/explain
/// (Display and Debug) and the explanation (Debug and JSON).
async fn surfaces(resolver: &Resolver, key: &str) -> String {
    let mut seen = String::new();
    match resolver.get::<Value>(key).await {
        Ok(_) => {}
        Err(e) => seen.push_str(&format!("{e}\n{e:?}\n")),
    }
    match resolver.require::<String>(key).await {
        Ok(_) => {}
        Err(e) => seen.push_str(&format!("{e}\n{e:?}\n")),
    }
    match resolver.explain(key).await {
        Ok(why) => {
            seen.push_str(&format!("{why:?}\n"));
            seen.push_str(&serde_json::to_string(&why).expect("Resolved serializes"));
        }
        Err(e) => seen.push_str(&format!("{e}\n{e:?}\n")),
    }
    seen
}

/// A resolver whose every parameter holds `value` (SecureString for the
/// secure entries), and what each secure key shows.
fn secure_surfaces(value: &str) -> (Resolver, String) {
    let store = MemoryStore::new();
    let resolver = Resolver::builder(schema().clone()).store(store.clone()).build().expect("resolver builds");
    for key in schema().keys() {
        let name = resolver.ssm_name(key).expect("every key is an entry").to_string();
        let kind = if schema().is_secure(key) { ParamType::SecureString } else { ParamType::String };
        store.set(name, value, kind);
    }
    let seen = runtime().block_on(async {
        let mut seen = String::new();
        for key in schema().keys() {
            let shown = surfaces(&resolver, key).await;
            if schema().is_secure(key) {
                seen.push_str(&shown);
            }
        }
        seen
    });
    (resolver, seen)
}

fuzz_target!(|data: &[u8]| {
    let value = String::from_utf8_lossy(data);

    // The value between markers that no message holds: any piece of it
    // that leaks brings a marker along (messages cut values at the end,
    // `…`, and never in the middle).
    let (_, marked) = secure_surfaces(&format!("⟦{value}⟧"));
    assert!(!marked.contains('⟦') && !marked.contains('⟧'), "a secure value leaked:\n{marked}");

    // The value as it is, for the decoders' own paths; long enough not to
    // be a word of the messages by chance.
    let (resolver, seen) = secure_surfaces(&value);
    if value.chars().count() >= 8 && !marked.contains(&*value) {
        assert!(!seen.contains(&*value), "a secure value leaked:\n{seen}");
    }

    // Plain entries answer the value exactly as the SPEC decodes it.
    runtime().block_on(async {
        let s: Option<String> = resolver.get("plain.s").await.expect("a string entry reads");
        assert_eq!(s.as_deref(), Some(&*value));
        let l: Option<Vec<String>> = resolver.get("plain.l").await.expect("a list entry reads");
        let expected: Vec<String> =
            if value.is_empty() { Vec::new() } else { value.split(',').map(str::to_string).collect() };
        assert_eq!(l, Some(expected));
        let i = resolver.explain("plain.i").await.expect("explain");
        let parsed = value.strip_prefix('+').unwrap_or(&value).parse::<i64>().ok().filter(|_| {
            let digits = value.strip_prefix(['-', '+']).unwrap_or(&value);
            !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
        });
        assert_eq!(i.value.and_then(|v| v.as_i64()), parsed, "int decoding of {value:?}");
        let written = resolver.put_raw("plain.s", &value).await;
        assert_eq!(written.is_ok(), !value.is_empty() && value.len() <= 8192, "{written:?}");
    });
});
