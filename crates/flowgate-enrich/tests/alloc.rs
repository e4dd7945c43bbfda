//! Enriching allocates nothing per record: a hit clones an Arc, a lookup
//! hashes an integer. Checked with a counting allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use flowgate_enrich::{Enricher, EnricherChain};

#[path = "../benches/data.rs"]
mod data;

struct Counting;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

#[test]
fn the_static_and_kubernetes_chain_allocates_nothing_per_record() {
    let enrichers: Vec<Box<dyn Enricher>> = vec![
        Box::new(data::static_enricher()),
        Box::new(data::kubernetes_enricher()),
    ];
    let chain = EnricherChain::new(enrichers);
    let mut batch = data::records(32);
    chain.apply(&mut batch);
    let before = ALLOCATIONS.with(|c| c.get());
    for _ in 0..1000 {
        data::clear(&mut batch);
        chain.apply(&mut batch);
    }
    let allocated = ALLOCATIONS.with(|c| c.get()) - before;
    assert_eq!(allocated, 0, "{allocated} allocations for 32000 records");
    let enriched = batch.iter().filter(|r| r.src_k8s.is_some()).count();
    assert_eq!(enriched, 32);
    let s = chain.iter().nth(1).unwrap().stats();
    assert!(s.enriched > 0 && s.seen == 1001 * 32);
}
