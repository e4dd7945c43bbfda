//! Per-enricher counters. Added to once per datagram (not per record), so
//! workers sharing an enricher touch its cache line once per batch.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

#[derive(Debug, Default)]
pub struct Stats {
    seen: AtomicU64,
    enriched: AtomicU64,
    missed: AtomicU64,
    unavailable: AtomicU64,
    reloads: AtomicU64,
    reload_failures: AtomicU64,
}

/// `seen = enriched + missed`. A record is enriched when this enricher
/// filled any of source, destination or exporter, missed when it filled
/// none (including records an earlier enricher had already filled).
/// `unavailable` is the part of `missed` seen while the source was not
/// usable (API server unreachable before the first sync, for one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    pub seen: u64,
    pub enriched: u64,
    pub missed: u64,
    pub unavailable: u64,
    pub reloads: u64,
    pub reload_failures: u64,
}

impl Stats {
    /// One batch: `seen` records, `enriched` of them filled, and whether
    /// the source was unavailable for the misses.
    pub fn add(&self, seen: u64, enriched: u64, unavailable: bool) {
        if seen == 0 {
            return;
        }
        self.seen.fetch_add(seen, Relaxed);
        if enriched != 0 {
            self.enriched.fetch_add(enriched, Relaxed);
        }
        let missed = seen - enriched;
        if missed != 0 {
            self.missed.fetch_add(missed, Relaxed);
            if unavailable {
                self.unavailable.fetch_add(missed, Relaxed);
            }
        }
    }

    pub fn reloaded(&self, ok: bool) {
        if ok {
            self.reloads.fetch_add(1, Relaxed);
        } else {
            self.reload_failures.fetch_add(1, Relaxed);
        }
    }

    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            seen: self.seen.load(Relaxed),
            enriched: self.enriched.load(Relaxed),
            missed: self.missed.load(Relaxed),
            unavailable: self.unavailable.load(Relaxed),
            reloads: self.reloads.load(Relaxed),
            reload_failures: self.reload_failures.load(Relaxed),
        }
    }
}
