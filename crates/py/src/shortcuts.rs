//! Shortcuts for repeated hits: the key objects a resolver was asked for,
//! each with the object and [`HitStamp`] of its last hit.
//!
//! Code that reads a setting in a loop passes the same `str` object every
//! time (a literal in the code). When that object comes again and the core
//! proves the stamp current ([`Resolver::still_fresh`]: one atomic load, one
//! coarse-clock read), the object of the last hit is the answer: no UTF-8
//! view of the key, no hash lookup, no cache load. Anything else (another
//! key object, a stamp that proves nothing, a value that is not kept) takes
//! the usual hit path, which fills the shortcut. BENCHMARKS.md has what this
//! bought.
//!
//! Which key is which is settled by identity (`is`), so a key object is held
//! here for the resolver's life: a bucket keeps the first key object that
//! lands in it. Keys made afresh per call (f-strings) never match, and take
//! the usual path.
//!
//! Safe without the GIL too (the module declares `gil_used = false`): a
//! bucket's stamp is cleared while its object changes, and a reader takes
//! the object only between two equal readings of the stamp; fills take a
//! lock, and skip when another fill holds it.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};

use pyo3::prelude::*;
use pyo3::types::{PyList, PyString};
use ssmconf::{HitStamp, Resolver};

/// No stamp: a bucket holds it until its first fill and while its object
/// changes, and a reader takes the usual path on it. (A hit's own stamp is
/// 0 only for slot 0 once its generation wraps past 2^32: that hit just
/// takes the usual path too.)
const EMPTY: u64 = 0;

#[derive(Default)]
struct Bucket {
    /// The key object this bucket is for, set once.
    key: OnceLock<Py<PyAny>>,
    /// The stamp of the hit whose object is in the list, or [`EMPTY`].
    stamp: AtomicU64,
}

pub(crate) struct Shortcuts {
    buckets: Box<[Bucket]>,
    /// `buckets.len() - 1`: the length is a power of two.
    mask: usize,
    /// The object of each bucket's last hit, at the bucket's index.
    objects: Py<PyList>,
    fill: Mutex<()>,
}

impl Shortcuts {
    /// Room for `keys` keys: twice as many buckets, so that few collide.
    pub(crate) fn new(py: Python<'_>, keys: usize) -> PyResult<Self> {
        let n = (keys * 2).next_power_of_two().max(16);
        Ok(Shortcuts {
            mask: n - 1,
            buckets: (0..n).map(|_| Bucket::default()).collect(),
            objects: PyList::new(py, (0..n).map(|_| py.None()))?.unbind(),
            fill: Mutex::new(()),
        })
    }

    fn bucket_of(&self, key: &Bound<'_, PyAny>) -> usize {
        // Objects are 16-byte aligned and at least 48 bytes apart (a `str`):
        // the address from bit 4 up, folded once, spreads them well enough.
        let address = key.as_ptr() as usize;
        ((address >> 4) ^ (address >> 13)) & self.mask
    }

    /// The object of the last hit of `key`, if `key` is the object that hit
    /// and the core proves its stamp current (which counts the hit).
    #[inline(always)]
    pub(crate) fn hit<'py>(
        &self,
        py: Python<'py>,
        resolver: &Resolver,
        key: &Bound<'py, PyAny>,
    ) -> Option<Bound<'py, PyAny>> {
        let i = self.bucket_of(key);
        let bucket = &self.buckets[i];
        if !bucket.key.get()?.is(key) {
            return None;
        }
        let stamp = bucket.stamp.load(Ordering::Acquire);
        if stamp == EMPTY {
            return None;
        }
        let object = self.objects.bind(py).get_item(i).ok()?;
        if bucket.stamp.load(Ordering::Acquire) != stamp || !resolver.still_fresh(HitStamp::from_bits(stamp)) {
            return None;
        }
        Some(object)
    }

    /// Remembers `object` as the answer to `key` while `stamp` stays
    /// current. Only for an object that every caller may share (the core's
    /// memo), and only for exact `str` keys.
    pub(crate) fn fill(&self, py: Python<'_>, key: &Bound<'_, PyAny>, stamp: HitStamp, object: &Bound<'_, PyAny>) {
        if !key.is_exact_instance_of::<PyString>() {
            return;
        }
        let i = self.bucket_of(key);
        let bucket = &self.buckets[i];
        // Holding this very hit already (its stamp proves nothing yet, so the
        // usual path read it again): the object there is the same one.
        if bucket.stamp.load(Ordering::Acquire) == stamp.to_bits() && bucket.key.get().is_some_and(|k| k.is(key)) {
            return;
        }
        let Ok(_filling) = self.fill.try_lock() else { return };
        let held = bucket.key.get_or_init(|| key.clone().unbind());
        if !held.is(key) {
            return;
        }
        bucket.stamp.store(EMPTY, Ordering::Release);
        if self.objects.bind(py).set_item(i, object).is_ok() {
            bucket.stamp.store(stamp.to_bits(), Ordering::Release);
        }
    }
}
