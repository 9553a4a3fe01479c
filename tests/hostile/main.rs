//! Hostile input: schemas, names, values, vars and events built to break the
//! loader and the resolver. Each gets a clear error (where, and what to do)
//! or a documented no-op; none panics, hangs or eats memory. Only the public
//! API of `ssmconf` is used. One binary, one module per kind of input.
//!
//! What the unit tests already cover, and is not repeated here:
//!
//! - `crates/core/src/schema/yaml.rs`: `billion_laughs_fails_fast` (nested
//!   sequence aliases), `nested_anchors_count_their_copies`,
//!   `deep_nesting_is_refused` (flow, block, and depth through an alias),
//!   `recursive_alias`, `duplicate_keys` (nested, mounted, quoted),
//!   `non_scalar_keys`, `several_documents_are_refused`,
//!   `syntax_errors_have_positions`, `collection_tags`, `bom_is_ignored`.
//! - `crates/core/src/schema/load.rs`: `file_errors` (a missing file, invalid
//!   UTF-8 in a file at line:col, a sparse 50 MB file refused fast),
//!   `keys_and_shapes` (keys with `.`, a space, an empty key),
//!   `directory_errors_name_the_file` (a duplicate key in a mounted file),
//!   `strings_env_and_tags` (description 1024/1025, tag key 128/129, tag
//!   value 257), `bad_ssm_param`.
//! - `crates/core/src/schema/names.rs`: `name_length_limit` (1011/1012 on a
//!   plain name), `level_limit` (15/16), `var_values_cannot_escape_their_level`
//!   (`/`, `..`, `.`, empty, 128/129 characters), `reserved_prefixes`,
//!   `labels`, `bad_versions`, `bad_placeholders`.
//! - `crates/core/src/value.rs`: `encode_refusals` (8193 bytes refused by
//!   `encode`), `decode_reasons_show_the_value_unless_secure`.
//! - `crates/core/src/events.rs`: `only_parameter_store_change_events_name_a_parameter`
//!   (an array, a wrong `detail-type`, a wrong `source`, a non-string
//!   `detail.name`), on the private parser only.
//!
//! Here, through the public API: the same limits end to end (schema file,
//! `Resolver::build`, `put`/`put_raw`, `handle_change_event`), the shapes
//! the unit tests do not try (mapping and merge-key bombs, wide aliases,
//! node counts, 16 MiB boundaries, devices, invalid UTF-8 in a directory,
//! invisible and control characters in keys and values). Bugs these tests
//! found, each fixed with its test as the regression: an alias bomb by
//! bytes (`yaml_bombs::alias_of_a_large_scalar`), quadratic merge keys
//! (`yaml_bombs::many_merge_keys_in_one_mapping`), control characters in a
//! schema (`files::binary_files`), raw invisible characters and whole event
//! fields in messages (`keys`, `vars`, `events::quoted_fields_are_cut_and_escaped`);
//! see RELIABILITY.md. The fuzz targets in `fuzz/` found nothing;
//! a crash they find becomes a test here.

mod events;
mod files;
mod keys;
mod limits;
mod vars;
mod yaml_bombs;

use ssmconf::{Error, Location, MemoryStore, Resolver, Schema};

/// The parts of a schema error, or a panic naming what came instead.
#[track_caller]
fn schema_error(result: ssmconf::Result<impl std::fmt::Debug>) -> (Location, String, String, String) {
    match result {
        Err(e @ Error::Schema { .. }) => {
            let text = e.to_string();
            let Error::Schema { location, key, message } = e else { unreachable!() };
            (location, key, message, text)
        }
        other => {
            // A bomb that loaded would print megabytes: show the start.
            let shown: String = format!("{other:?}").chars().take(300).collect();
            panic!("expected a schema error, got {shown}…")
        }
    }
}

/// The schema error of YAML text loaded as `hostile.yml`.
#[track_caller]
fn yaml_error(yaml: &str) -> (Location, String, String, String) {
    schema_error(Schema::from_yaml_str(yaml, "hostile.yml"))
}

/// A resolver over `yaml` with `stage=dev` and a memory store.
fn resolver(yaml: &str, store: &MemoryStore) -> Resolver {
    let schema = Schema::from_yaml_str(yaml, "hostile.yml").expect("schema loads");
    Resolver::builder(schema).var("stage", "dev").store(store.clone()).build().expect("resolver builds")
}

/// A current-thread runtime for the async API.
fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}
