//! Memory claims, checked with a counting allocator rather than asserted in
//! prose: decoding into a reused batch allocates nothing per record, and
//! hostile input cannot make the decoder hold more than its limits allow.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::net::SocketAddr;

use flowgate_decode::{Decoder, Exporter, Limits};
use flowgate_record::RecordBatch;

#[path = "../benches/wire.rs"]
#[allow(dead_code)]
mod wire;

struct Counting;

thread_local! {
    // Per thread, so tests running in parallel do not see each other.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static LIVE_BYTES: Cell<i64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        LIVE_BYTES.with(|c| c.set(c.get() + layout.size() as i64));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE_BYTES.with(|c| c.set(c.get() - layout.size() as i64));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|c| c.set(c.get() + 1));
        LIVE_BYTES.with(|c| c.set(c.get() + new_size as i64 - layout.size() as i64));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations() -> u64 {
    ALLOCATIONS.with(|c| c.get())
}

fn live_bytes() -> i64 {
    LIVE_BYTES.with(|c| c.get())
}

fn exporter(addr: &str) -> Exporter {
    Exporter {
        addr: addr.parse::<SocketAddr>().unwrap(),
        received_ns: 1_700_000_000_000_000_000,
    }
}

fn assert_no_steady_state_allocation(name: &str, template: Option<Vec<u8>>, data: Vec<u8>) {
    let e = exporter("192.0.2.1:4739");
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::new();
    if let Some(t) = template {
        decoder.decode(e, &t, &mut batch).unwrap();
    }
    // Warm up: the batch grows its slots and their strings once.
    for _ in 0..3 {
        batch.clear();
        decoder.decode(e, &data, &mut batch).unwrap();
    }
    let records = batch.len();
    assert!(records > 0, "{name}: no records decoded");
    let before = allocations();
    for _ in 0..100 {
        batch.clear();
        decoder.decode(e, &data, &mut batch).unwrap();
    }
    let allocated = allocations() - before;
    assert_eq!(
        allocated,
        0,
        "{name}: {allocated} allocations for {} records decoded into a reused batch",
        records * 100
    );
}

#[test]
fn netflow_v5_decodes_without_allocating() {
    assert_no_steady_state_allocation("v5", None, wire::v5_datagram(30));
}

#[test]
fn netflow_v9_decodes_without_allocating() {
    assert_no_steady_state_allocation(
        "v9",
        Some(wire::v9_template(wire::FIXED_IPV4)),
        wire::v9_data(wire::FIXED_IPV4, 20),
    );
}

#[test]
fn ipfix_ovs_template_with_interface_names_decodes_without_allocating() {
    assert_no_steady_state_allocation(
        "ipfix-ovs",
        Some(wire::ipfix_template(wire::OVS_IPV4_TCP_INGRESS)),
        wire::ipfix_data(wire::OVS_IPV4_TCP_INGRESS, 20),
    );
}

/// Data sets with no template, from many exporters and template ids: the
/// decoder may hold some, but only up to its limits.
#[test]
fn held_data_and_exporter_state_stay_within_limits() {
    let limits = Limits {
        max_exporters: 100,
        max_pending_sets_per_exporter: 16,
        max_pending_bytes_per_exporter: 64 * 1024,
        ..Limits::default()
    };
    let mut decoder = Decoder::new(limits);
    let mut batch = RecordBatch::new();
    let data = wire::ipfix_data(wire::OVS_IPV4_TCP_INGRESS, 20);
    let mut run = |rounds: u32| {
        for i in 0..rounds {
            let e = exporter(&format!(
                "10.{}.{}.{}:4739",
                i >> 16 & 255,
                i >> 8 & 255,
                i & 255
            ));
            batch.clear();
            let _ = decoder.decode(e, &data, &mut batch);
        }
    };
    let base = live_bytes();
    run(2_000);
    let after_2k = live_bytes() - base;
    run(20_000);
    let after_22k = live_bytes() - base;
    // 100 exporters × 64 KiB of held sets is the ceiling, plus bookkeeping.
    let ceiling = 100 * 64 * 1024 + 4 * 1024 * 1024;
    assert!(
        after_22k < ceiling,
        "decoder holds {after_22k} bytes, over {ceiling}"
    );
    assert!(
        after_22k <= after_2k + 1024 * 1024,
        "held memory keeps growing: {after_2k} after 2k datagrams, {after_22k} after 22k"
    );
}

/// A template that declares 65535 fields, and one with an enormous
/// variable-length field, must be rejected without allocating for what the
/// length fields claim.
#[test]
fn lying_lengths_do_not_allocate_what_they_claim() {
    let e = exporter("192.0.2.9:4739");
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::new();
    // set 2, template 256, field count 65535, then only 3 field specifiers
    let mut set = vec![0, 2, 0, 20, 1, 0, 0xff, 0xff];
    set.extend_from_slice(&[0, 8, 0, 4, 0, 12, 0, 4, 0, 1, 0, 8]);
    let msg = wire::ipfix_message(&[set], 0);
    let base = live_bytes();
    let peak_before = allocations();
    let _ = decoder.decode(e, &msg, &mut batch);
    let grown = live_bytes() - base;
    assert!(
        grown < 64 * 1024,
        "a 65535-field template claim made the decoder keep {grown} bytes"
    );
    assert!(allocations() - peak_before < 100);
    assert_eq!(decoder.store().template_count(e.addr), 0);
}
