//! Turns the global flags into a resolver: schema, vars and store.

use std::path::PathBuf;
use std::sync::Arc;

use ssmconf::{FileStore, MemoryStore, ParameterStore, Resolver, Schema, SsmStore};

use crate::cli::{Global, Output, StoreArg};
use crate::failure::Failure;

/// What every command works with.
pub struct Context {
    /// The resolver over the schema and the store.
    pub resolver: Resolver,
    /// Text or JSON.
    pub output: Output,
    /// Which store the flags chose.
    pub store: StoreArg,
    /// The store itself and the vars, for resolvers on other stages.
    shared: Arc<dyn ParameterStore>,
    vars: Vec<(String, String)>,
}

impl Context {
    /// Loads the schema (`--schema`, `$SSMCONF_SCHEMA`, then `./config`),
    /// opens the store and builds the resolver with the vars.
    pub async fn open(global: &Global) -> Result<Context, Failure> {
        let path = match &global.schema {
            Some(path) => path.clone(),
            None => {
                let default = PathBuf::from("config");
                if !default.exists() {
                    return Err(Failure::usage(
                        "no schema: ./config does not exist; pass --schema PATH (a YAML file or a directory) \
                         or set SSMCONF_SCHEMA",
                    ));
                }
                default
            }
        };
        let schema = Schema::load(&path)?;
        let mut vars = global.vars.clone();
        if let Some(stage) = &global.stage {
            vars.push(("stage".to_string(), stage.clone()));
        }
        let store: Arc<dyn ParameterStore> = match &global.store {
            StoreArg::Memory => Arc::new(MemoryStore::new()),
            StoreArg::File(path) => Arc::new(FileStore::new(path)),
            StoreArg::Ssm => {
                let mut builder = SsmStore::builder();
                if let Some(region) = &global.region {
                    builder = builder.region(region);
                }
                if let Some(url) = &global.endpoint_url {
                    builder = builder.endpoint_url(url);
                }
                Arc::new(builder.build().await)
            }
        };
        let resolver = Resolver::builder(schema).vars(vars.clone()).shared_store(store.clone()).build()?;
        Ok(Context { resolver, output: global.output, store: global.store.clone(), shared: store, vars })
    }

    /// A resolver over the same schema, store and vars, but `stage` for
    /// the var `stage` (promote's target).
    pub fn with_stage(&self, stage: &str) -> Result<Resolver, Failure> {
        let mut vars: Vec<_> = self.vars.iter().filter(|(k, _)| k != "stage").cloned().collect();
        vars.push(("stage".to_string(), stage.to_string()));
        let schema = self.resolver.schema().clone();
        Ok(Resolver::builder(schema).vars(vars).shared_store(self.shared.clone()).build()?)
    }

    /// True for `--output json`.
    pub fn json(&self) -> bool {
        self.output == Output::Json
    }
}
