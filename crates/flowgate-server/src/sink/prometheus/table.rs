//! The flow series table: a bounded map from a record's label key (the
//! canonical bytes of its label fields, built in a reused buffer) to byte
//! and packet counters. A lookup hashes the key bytes and allocates
//! nothing; only a new series allocates (its key and label strings), and
//! there are at most `max` of them. Beyond that, records are added to one
//! overflow series and counted as folded. Idle series expire.

use std::hash::BuildHasher;

use hashbrown::HashTable;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub bytes: u64,
    pub packets: u64,
    /// Records added (what a worker's shard hands on when it is folded).
    pub records: u64,
}

impl Totals {
    fn add(&mut self, o: Totals) {
        self.bytes = self.bytes.wrapping_add(o.bytes);
        self.packets = self.packets.wrapping_add(o.packets);
        self.records = self.records.wrapping_add(o.records);
    }
}

#[derive(Debug)]
pub struct Series {
    key: Box<[u8]>,
    /// One value per configured label, in order.
    pub labels: Box<[Box<str>]>,
    pub totals: Totals,
    last_seen: u64,
}

#[derive(Debug)]
pub struct FlowTable {
    /// Slot numbers by their series' key (kept once, in the slot).
    index: HashTable<u32>,
    /// foldhash with a per-process random seed: fast, and series keys
    /// (from exporter-controlled fields) cannot be chosen to collide.
    hasher: foldhash::fast::RandomState,
    slots: Vec<Option<Series>>,
    free: Vec<u32>,
    max: usize,
    /// The overflow series: its `records` are those added to it because
    /// the table was full.
    pub overflow: Totals,
    /// Series removed for being idle.
    pub expired: u64,
    /// Slot of the series the last `add` found.
    last: u32,
}

impl FlowTable {
    pub fn new(max: usize) -> Self {
        FlowTable {
            // Sized for the cap up front, so that filling it never rehashes
            // into a new allocation on the hot path.
            index: HashTable::with_capacity(max),
            hasher: Default::default(),
            slots: Vec::with_capacity(max),
            free: Vec::with_capacity(max),
            max,
            overflow: Totals::default(),
            expired: 0,
            last: u32::MAX,
        }
    }

    /// Adds one record to the series of `key` (a new one if there is
    /// room; `labels` is called only then). `now` is in seconds of any
    /// fixed origin. False: the table was full and the record went to the
    /// overflow series.
    pub fn add(
        &mut self,
        key: &[u8],
        now: u64,
        bytes: u64,
        packets: u64,
        labels: impl FnOnce() -> Box<[Box<str>]>,
    ) -> bool {
        let one = Totals {
            bytes,
            packets,
            records: 1,
        };
        self.add_totals(key, now, one, labels)
    }

    /// [`add`](Self::add) for totals of any number of records.
    pub fn add_totals(
        &mut self,
        key: &[u8],
        now: u64,
        totals: Totals,
        labels: impl FnOnce() -> Box<[Box<str>]>,
    ) -> bool {
        // Consecutive records of one exporter mostly share their labels:
        // the last series found is checked before hashing.
        let last = self.last as usize;
        if let Some(Some(s)) = self.slots.get_mut(last) {
            if same(&s.key, key) {
                s.totals.add(totals);
                s.last_seen = now;
                return true;
            }
        }
        let hash = self.hasher.hash_one(key);
        let slots = &self.slots;
        let found = self.index.find(hash, |&i| {
            slots[i as usize]
                .as_ref()
                .is_some_and(|s| same(&s.key, key))
        });
        if let Some(&i) = found {
            self.last = i;
            let s = self.slots[i as usize]
                .as_mut()
                .expect("indexed slots are live");
            s.totals.add(totals);
            s.last_seen = now;
            return true;
        }
        if self.index.len() >= self.max {
            self.overflow.add(totals);
            return false;
        }
        let series = Series {
            key: key.into(),
            labels: labels(),
            totals,
            last_seen: now,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.slots[i as usize] = Some(series);
                i
            }
            None => {
                self.slots.push(Some(series));
                (self.slots.len() - 1) as u32
            }
        };
        let (slots, hasher) = (&self.slots, &self.hasher);
        self.index.insert_unique(hash, i, |&j| {
            hasher.hash_one(
                &slots[j as usize]
                    .as_ref()
                    .expect("indexed slots are live")
                    .key,
            )
        });
        true
    }

    /// Moves what was added here since the last call into `into` (the
    /// sink's table), leaving every series in place at zero, so that a
    /// receive worker's shard keeps its keys and does not allocate again.
    pub fn fold_into(&mut self, into: &mut FlowTable) {
        for s in self.slots.iter_mut().flatten() {
            if s.totals.records == 0 {
                continue;
            }
            let labels = &s.labels;
            into.add_totals(&s.key, s.last_seen, s.totals, || labels.clone());
            s.totals = Totals::default();
        }
        if self.overflow.records > 0 {
            into.overflow.add(self.overflow);
            self.overflow = Totals::default();
        }
    }

    /// Removes series not updated since `now - ttl`; returns how many.
    pub fn expire(&mut self, now: u64, ttl: u64) -> usize {
        let mut n = 0;
        for (i, slot) in self.slots.iter_mut().enumerate() {
            let idle = slot
                .as_ref()
                .is_some_and(|s| now.saturating_sub(s.last_seen) >= ttl);
            if idle {
                let s = slot.take().expect("checked live");
                let hash = self.hasher.hash_one(&s.key);
                if let Ok(e) = self.index.find_entry(hash, |&j| j as usize == i) {
                    e.remove();
                }
                self.free.push(i as u32);
                n += 1;
            }
        }
        self.expired += n as u64;
        n
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn series(&self) -> impl Iterator<Item = &Series> {
        self.slots.iter().flatten()
    }
}

/// Key equality without a call into libc's memcmp, which dominated the
/// lookup for keys this short (a few dozen bytes).
#[inline]
fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut ca = a.chunks_exact(8);
    let mut cb = b.chunks_exact(8);
    let word = |c: &[u8]| u64::from_ne_bytes(c.try_into().expect("chunks of 8"));
    for (x, y) in (&mut ca).zip(&mut cb) {
        if word(x) != word(y) {
            return false;
        }
    }
    ca.remainder()
        .iter()
        .zip(cb.remainder())
        .all(|(x, y)| x == y)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(v: &str) -> impl FnOnce() -> Box<[Box<str>]> + '_ {
        move || vec![Box::<str>::from(v)].into_boxed_slice()
    }

    #[test]
    fn counts_caps_folds_and_expires() {
        let mut t = FlowTable::new(2);
        assert!(t.add(b"a", 0, 100, 1, labels("a")));
        assert!(t.add(b"a", 1, 50, 2, || panic!("labels only for a new series")));
        assert!(t.add(b"b", 1, 7, 1, labels("b")));
        assert!(!t.add(b"c", 1, 9, 3, labels("c")), "full: folded");
        assert!(!t.add(b"c", 2, 1, 1, labels("c")));
        assert_eq!(t.len(), 2);
        assert_eq!(
            t.overflow,
            Totals {
                bytes: 10,
                packets: 4,
                records: 2,
            }
        );
        let a = t.series().find(|s| &*s.labels[0] == "a").unwrap();
        assert_eq!(
            a.totals,
            Totals {
                bytes: 150,
                packets: 3,
                records: 2,
            }
        );
        // "a" idle since 1, "b" since 1: at 10 with ttl 5 both go.
        t.add(b"b", 8, 1, 1, || unreachable!());
        assert_eq!(t.expire(10, 5), 1, "only a is idle for 5s");
        assert_eq!(t.len(), 1);
        assert!(t.add(b"c", 10, 9, 1, labels("c")), "room again");
        assert_eq!(t.expired, 1);
        let names: Vec<&str> = t.series().map(|s| &*s.labels[0]).collect();
        assert_eq!(names, ["c", "b"], "the freed slot is reused");
    }

    #[test]
    fn keys_compare_by_every_byte() {
        for (a, b, eq) in [
            (&b""[..], &b""[..], true),
            (b"abcdefgh1", b"abcdefgh1", true),
            (b"abcdefgh1", b"abcdefgh2", false),
            (b"abcdefgh", b"abcdefgX", false),
            (b"Xbcdefgh12", b"abcdefgh12", false),
            (b"abc", b"abcd", false),
        ] {
            assert_eq!(same(a, b), eq, "{a:?} {b:?}");
        }
    }

    #[test]
    fn a_shard_folds_its_new_counts_once_and_keeps_its_keys() {
        let mut global = FlowTable::new(2);
        let mut shard = FlowTable::new(1);
        shard.add(b"a", 3, 10, 1, labels("a"));
        shard.add(b"a", 4, 5, 2, || unreachable!());
        assert!(!shard.add(b"b", 4, 7, 1, labels("b")), "shard full");
        shard.fold_into(&mut global);
        shard.fold_into(&mut global);
        let a = global.series().find(|s| &*s.labels[0] == "a").unwrap();
        assert_eq!(
            (a.totals.bytes, a.totals.packets, a.totals.records),
            (15, 3, 2)
        );
        assert_eq!(a.last_seen, 4);
        assert_eq!(
            global.overflow.records, 1,
            "the shard's overflow carries over"
        );
        assert_eq!(shard.len(), 1, "the key stays in the shard");
        shard.add(b"a", 9, 1, 1, || panic!("no new allocation for a kept key"));
        shard.fold_into(&mut global);
        let a = global.series().find(|s| &*s.labels[0] == "a").unwrap();
        assert_eq!((a.totals.bytes, a.totals.records, a.last_seen), (16, 3, 9));
    }
}
