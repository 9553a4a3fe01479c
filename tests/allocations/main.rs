//! Allocations on the hit path, counted: a cache hit allocates nothing but
//! the value it returns (issue 5's target, checked here rather than only
//! timed in the benches).
//!
//! The test binary's global allocator counts the allocations of the current
//! thread and hands every call to the system allocator unchanged.

// The one `unsafe` in the workspace: `GlobalAlloc` is an unsafe trait. Each
// method only forwards its arguments to `System`, so `System`'s contract is
// the whole of it.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ssmconf::{MemoryStore, Resolver, Schema};

struct Counting;

thread_local! {
    // `const` and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn count() {
    // `try_with`: nothing to count once the thread's locals are gone.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: every method forwards to `System` with the caller's arguments.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as the caller's contract for `alloc`.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count();
        // SAFETY: as the caller's contract for `alloc_zeroed`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        // SAFETY: as the caller's contract for `realloc`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as the caller's contract for `dealloc`.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Allocations this thread made while `f` ran.
fn allocations(f: impl FnOnce()) -> u64 {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

const READS: u64 = 1_000;

#[test]
fn a_cache_hit_allocates_only_the_value_it_returns() {
    let schema = Schema::from_yaml_str(
        "models:\n  basic:\n    ssm_param: /app/basic\n  max_tokens:\n    ssm_param: /app/max_tokens\n    type: int\n",
        "alloc.yml",
    )
    .unwrap();
    let store = MemoryStore::from_values([("/app/basic", "CLAUDE_3_5_SONNET_V2"), ("/app/max_tokens", "4096")]);
    let r = Resolver::builder(schema).store(store).build().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(r.load_all()).unwrap();
    // Warm: the first reads may set up thread-locals (arc-swap's debt list).
    assert_eq!(r.get_now::<String>("models.basic").unwrap(), Some(Some("CLAUDE_3_5_SONNET_V2".into())));
    assert_eq!(r.get_now::<i64>("models.max_tokens").unwrap(), Some(Some(4096)));
    let hits = r.stats().hits;

    let strings = allocations(|| {
        for _ in 0..READS {
            assert_eq!(r.get_now::<String>("models.basic").unwrap().flatten().map(|s| s.len()), Some(20));
        }
    });
    assert_eq!(strings, READS, "one allocation a read: the returned String");

    let ints = allocations(|| {
        for _ in 0..READS {
            assert_eq!(r.get_now::<i64>("models.max_tokens").unwrap(), Some(Some(4096)));
        }
    });
    assert_eq!(ints, 0, "an i64 needs no allocation");

    let in_place = allocations(|| {
        for _ in 0..READS {
            assert_eq!(r.with_hit("models.basic", |hit| hit.value().as_str().map(str::len)).unwrap(), Some(Some(20)));
        }
    });
    assert_eq!(in_place, 0, "with_hit lends the cached value");

    let stamp = r.with_hit("models.basic", |hit| hit.stamp()).unwrap().unwrap();
    let proofs = allocations(|| {
        for _ in 0..READS {
            // On an OS without the coarse clock a stamp proves nothing; it
            // must still allocate nothing.
            let _ = std::hint::black_box(r.still_fresh(stamp));
        }
    });
    assert_eq!(proofs, 0, "still_fresh is a load and a clock read");

    let answers = allocations(|| {
        for _ in 0..READS {
            assert!(r.resolve_now("models.basic", false).unwrap().is_some());
        }
    });
    assert_eq!(answers, 0, "an Answer holds a reference to the cached outcome");

    assert!(r.stats().hits >= hits + 4 * READS, "every read above was a hit");
}
