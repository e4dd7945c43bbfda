//! After warming up, reading packets must not allocate: buffers are reused.

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use common::*;
use flowgate_pcap::PcapReader;

struct Counting;

thread_local! {
    static ACTIVE: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if ACTIVE.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if ACTIVE.with(Cell::get) {
            COUNT.with(|c| c.set(c.get() + 1));
        }
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Reads `warm` datagrams, then counts allocations over the rest.
fn allocations_after_warmup(bytes: &[u8], warm: usize) -> (u64, usize) {
    let mut r = PcapReader::new(bytes).unwrap();
    for _ in 0..warm {
        r.next_datagram().unwrap().unwrap();
    }
    ACTIVE.with(|a| a.set(true));
    let mut n = 0;
    while let Some(d) = r.next_datagram().unwrap() {
        n += d.payload.len().min(1);
    }
    ACTIVE.with(|a| a.set(false));
    (COUNT.with(Cell::get), n)
}

#[test]
fn steady_state_does_not_allocate() {
    let big = udp(1, 2, &[9u8; 3000]);
    let mut c = Classic::new(false, false, ETHERNET);
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None);
    for i in 0..300u16 {
        let small = ether(0x0800, &udp4(&vec![i as u8; 1 + usize::from(i % 1400)]));
        c = c.packet(0, 0, &small);
        ng.epb(0, 0, &small);
        // A fragmented datagram, fragments in reverse order.
        for k in (0..3).rev() {
            let part = &big[k * 1000..(k + 1) * 1000 + if k == 2 { 8 } else { 0 }];
            let word = if k < 2 { 0x2000 } else { 0 } | (k * 125) as u16;
            let f = ether(
                0x0800,
                &ipv4_full([1, 1, 1, 1], [2, 2, 2, 2], 17, i, word, &[], part),
            );
            c = c.packet(0, 0, &f);
            ng.epb(0, 0, &f);
        }
    }
    let (allocs, n) = allocations_after_warmup(&c.out, 100);
    assert_eq!((allocs, n), (0, 500));
    COUNT.with(|c| c.set(0));
    let (allocs, n) = allocations_after_warmup(&ng.out, 100);
    assert_eq!((allocs, n), (0, 500));
}
