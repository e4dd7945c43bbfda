//! IP fragment reassembly with fixed bounds, so a capture full of stray or
//! hostile fragments costs at most `MAX_IN_PROGRESS` buffers of
//! `MAX_DATAGRAM` bytes.

use std::net::IpAddr;

use crate::ReaderStats;

pub(crate) const MAX_IN_PROGRESS: usize = 64;
pub(crate) const MAX_DATAGRAM: usize = 65_535;

/// Fragment offsets are in 8-byte units, so one bit per unit tracks which
/// bytes have arrived and detects overlaps.
const WORDS: usize = MAX_DATAGRAM.div_ceil(8).div_ceil(64);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Key {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub proto: u8,
    pub id: u32,
}

struct Entry {
    key: Key,
    data: Vec<u8>,
    have: [u64; WORDS],
    received: usize,
    /// Known once the last fragment (no "more fragments" flag) has arrived.
    total: Option<usize>,
    max_end: usize,
    fragments: u64,
    born: u64,
}

impl Entry {
    fn units(offset: usize, end: usize) -> std::ops::Range<usize> {
        offset / 8..end.div_ceil(8)
    }

    fn has(&self, unit: usize) -> bool {
        self.have[unit / 64] & (1 << (unit % 64)) != 0
    }

    fn mark(&mut self, offset: usize, end: usize) {
        for u in Self::units(offset, end) {
            self.have[u / 64] |= 1 << (u % 64);
        }
    }
}

pub(crate) enum Outcome {
    /// Stored; the datagram is not complete yet.
    Held,
    /// The datagram is complete and available from [`Reassembler::done`].
    Complete,
    /// The fragment (and possibly its datagram) was thrown away.
    Dropped,
}

#[derive(Default)]
pub(crate) struct Reassembler {
    entries: Vec<Entry>,
    /// Buffers of finished or discarded datagrams, reused for new ones.
    spare: Vec<Vec<u8>>,
    done: Vec<u8>,
    clock: u64,
}

impl Reassembler {
    /// The most recently completed datagram (the IP payload, headers included).
    pub(crate) fn done(&self) -> &[u8] {
        &self.done
    }

    pub(crate) fn add(
        &mut self,
        key: Key,
        offset: usize,
        more: bool,
        data: &[u8],
        stats: &mut ReaderStats,
    ) -> Outcome {
        stats.fragments += 1;
        let i = match self.entries.iter().position(|e| e.key == key) {
            Some(i) => i,
            None => self.insert(key, stats),
        };
        let end = offset + data.len();
        let e = &self.entries[i];
        let bogus = end > MAX_DATAGRAM
            // Only the last fragment may end off an 8-byte boundary.
            || (more && (data.is_empty() || data.len() % 8 != 0))
            || e.total.is_some_and(|t| end > t || (!more && end != t))
            || (!more && end < e.max_end);
        let overlap = !bogus && Entry::units(offset, end).any(|u| e.has(u));
        if overlap {
            // Captured on two interfaces, or retransmitted: harmless if identical.
            let dup = Entry::units(offset, end).all(|u| e.has(u))
                && e.data.get(offset..end) == Some(data);
            if dup {
                stats.fragments_dropped += 1;
                return Outcome::Dropped;
            }
        }
        if bogus || overlap {
            stats.reassembly_bogus += 1;
            stats.fragments_dropped += 1 + e.fragments;
            self.discard(i, stats);
            return Outcome::Dropped;
        }

        let e = &mut self.entries[i];
        if e.data.len() < end {
            e.data.resize(end, 0);
        }
        e.data[offset..end].copy_from_slice(data);
        e.mark(offset, end);
        e.received += data.len();
        e.max_end = e.max_end.max(end);
        e.fragments += 1;
        stats.fragments_held += 1;
        if !more {
            e.total = Some(end);
        }
        if e.total != Some(e.received) {
            return Outcome::Held;
        }
        // No overlaps and nothing past the end, so the byte count proves there are no holes.
        std::mem::swap(&mut self.done, &mut e.data);
        stats.reassembled += 1;
        self.discard(i, stats);
        Outcome::Complete
    }

    fn insert(&mut self, key: Key, stats: &mut ReaderStats) -> usize {
        if self.entries.len() >= MAX_IN_PROGRESS {
            if let Some(oldest) = (0..self.entries.len()).min_by_key(|&i| self.entries[i].born) {
                stats.reassembly_evicted += 1;
                stats.fragments_dropped += self.entries[oldest].fragments;
                self.discard(oldest, stats);
            }
        }
        self.clock += 1;
        self.entries.push(Entry {
            key,
            data: self.spare.pop().unwrap_or_default(),
            have: [0; WORDS],
            received: 0,
            total: None,
            max_end: 0,
            fragments: 0,
            born: self.clock,
        });
        self.entries.len() - 1
    }

    fn discard(&mut self, i: usize, stats: &mut ReaderStats) {
        let mut e = self.entries.swap_remove(i);
        stats.fragments_held = stats.fragments_held.saturating_sub(e.fragments);
        e.data.clear();
        self.spare.push(e.data);
    }
}
