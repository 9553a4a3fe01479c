//! Where the chain meets the shared cache tier (`crate::shared`): three
//! calls, each the plain path when the crate is built without the `shared`
//! feature or the resolver has no tier.

use std::sync::Arc;

use super::Inner;
use super::cache::Cached;

impl Inner {
    /// Step 3 for one key (after the cache missed): through the tier when
    /// there is one, else one store request.
    pub(crate) async fn fetch_fresh(&self, idx: usize) -> Arc<Cached> {
        #[cfg(feature = "shared")]
        if self.shared.is_some() {
            return self.fetch_shared_one(idx).await;
        }
        self.request(&[idx]).await.pop().expect("one outcome per key")
    }

    /// `load_all`'s fetch: through the tier when there is one.
    pub(crate) async fn fetch_all(&self, idxs: &[usize]) -> Vec<(usize, Arc<Cached>)> {
        #[cfg(feature = "shared")]
        if self.shared.is_some() {
            return self.fetch_shared_many(idxs).await;
        }
        self.fetch_many(idxs).await
    }

    /// Drops `idxs` from the cache, and their shared entries too.
    pub(crate) fn invalidate_everywhere(&self, idxs: &[usize]) {
        for &idx in idxs {
            self.cache.invalidate(idx);
        }
        #[cfg(feature = "shared")]
        self.drop_shared(idxs.to_vec());
    }

    /// Whether fetches keep the text SSM gave (the tier passes it on).
    pub(crate) fn keeps_raw(&self) -> bool {
        #[cfg(feature = "shared")]
        return self.shared.is_some();
        #[cfg(not(feature = "shared"))]
        false
    }

    /// `shared_hits` and `shared_errors`.
    pub(crate) fn shared_counts(&self) -> (u64, u64) {
        #[cfg(feature = "shared")]
        if let Some(shared) = &self.shared {
            return (shared.hits.load(std::sync::atomic::Ordering::Relaxed), shared.errors());
        }
        (0, 0)
    }
}
