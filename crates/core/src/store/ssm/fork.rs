//! The [`SsmStore`](super::SsmStore)'s client in a fork child.
//!
//! The SDK client holds a connection pool whose connections are driven by
//! tasks of the runtime that opened them, and a credentials cache: in a
//! child of `fork()` those tasks and that runtime's threads are gone, and
//! the pooled sockets are shared with the parent. So the first request in a
//! child makes a client of its own: from the store's builder when it has
//! one (the whole AWS configuration loaded again: credentials providers,
//! which hold HTTP clients too, included), else from the given client's
//! configuration with a fresh credentials cache (a fresh default HTTP
//! client comes with it, unless the configuration names its own). The
//! parent's client is never dropped in the child (see [`crate::fork`]).

use std::sync::Arc;

use arc_swap::ArcSwapOption;
use aws_sdk_ssm::Client;
use aws_sdk_ssm::config::IdentityCache;

use super::SsmStoreBuilder;

/// The client of the current process, for a store made in another.
pub(super) struct PerProcessClient {
    /// The fork generation the store was made in.
    made_in: u64,
    /// How the store was made, if by its builder.
    builder: Option<SsmStoreBuilder>,
    /// The client made in a fork child, with that child's generation.
    child: ArcSwapOption<(u64, Client)>,
}

impl std::fmt::Debug for PerProcessClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PerProcessClient").field("made_in", &self.made_in).finish_non_exhaustive()
    }
}

impl PerProcessClient {
    pub(super) fn new(builder: Option<SsmStoreBuilder>) -> Self {
        PerProcessClient { made_in: crate::fork::generation(), builder, child: ArcSwapOption::empty() }
    }

    /// The client to send a request with, in this process: `original` in
    /// the process that made the store; in a fork child, one made there.
    pub(super) async fn get(&self, original: &Client) -> Client {
        let generation = crate::fork::generation();
        if generation == self.made_in {
            return original.clone();
        }
        let current = self.child.load_full();
        if let Some(child) = current.as_ref().filter(|c| c.0 == generation) {
            return child.1.clone();
        }
        // What the parent's threads drove stays alive here, untouched:
        // dropped, it could deregister the parent's sockets from the epoll
        // instance the two processes share.
        std::mem::forget(original.clone());
        std::mem::forget(current.clone());
        let client = match &self.builder {
            Some(builder) => builder.clone().build_client().await,
            None => {
                Client::from_conf(original.config().to_builder().identity_cache(IdentityCache::lazy().build()).build())
            }
        };
        tracing::debug!(target: "ssmconf", "A client of its own for this fork child");
        let made = Arc::new((generation, client.clone()));
        let previous = self.child.compare_and_swap(&current, Some(made));
        let swapped = match (&*previous, &current) {
            (Some(p), Some(c)) => Arc::ptr_eq(p, c),
            (None, None) => true,
            _ => false,
        };
        match &*previous {
            // Another request of this child made one first: use that one.
            Some(other) if !swapped && other.0 == generation => other.1.clone(),
            _ => client,
        }
    }
}
