//! The data path allocates nothing once the batch's slots are warm.
//!
//! Counts allocations made by the current thread only, so tests running in
//! parallel do not disturb the count.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use super::builder::*;
use super::ovs::{ovs_record, OVS_EGRESS_TUNNEL, OVS_TEMPLATE_ID};
use super::v9::{softflowd_rec, SOFTFLOWD_V4};

struct CountingAlloc;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

fn bump() {
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

// SAFETY: forwards to the system allocator unchanged.
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        bump();
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        bump();
        unsafe { System.realloc(ptr, layout, new_size) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

fn allocations() -> u64 {
    ALLOCATIONS.with(Cell::get)
}

#[test]
fn warm_batches_decode_without_allocating() {
    let mut h = Harness::new();
    h.feed(&Msg::ipfix(0).template(OVS_TEMPLATE_ID, &OVS_EGRESS_TUNNEL));
    h.feed(&Msg::v9(0).template(1024, &SOFTFLOWD_V4));
    let ovs = Msg::ipfix(0)
        .data(OVS_TEMPLATE_ID, &[ovs_record(), ovs_record()])
        .build();
    let v9 = Msg::v9(0)
        .data(1024, &[softflowd_rec(1), softflowd_rec(2)])
        .build();
    let exporter = exporter_at(ADDR, h.now);
    for warm in [false, true] {
        h.out.clear();
        let before = allocations();
        for d in [&ovs, &v9, &ovs, &v9] {
            let rep = h.dec.decode(exporter, d, &mut h.out).unwrap();
            assert_eq!((rep.records, rep.issues), (2, Default::default()));
        }
        if warm {
            assert_eq!(allocations() - before, 0);
        }
    }
    assert_eq!(h.out.len(), 8);
    assert_eq!(h.records()[0].ext().out_if_name, "veth2");
}
