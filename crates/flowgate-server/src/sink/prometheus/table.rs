//! The flow series table: a bounded map from a record's label key (the
//! canonical bytes of its label fields, built in a reused buffer) to byte
//! and packet counters. A lookup hashes the key bytes and allocates
//! nothing; only a new series allocates (its key and label strings), and
//! there are at most `max` of them. Beyond that, records are added to one
//! overflow series and counted as folded. Idle series expire.

use std::collections::HashMap;

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub bytes: u64,
    pub packets: u64,
}

impl Totals {
    fn add(&mut self, bytes: u64, packets: u64) {
        self.bytes = self.bytes.wrapping_add(bytes);
        self.packets = self.packets.wrapping_add(packets);
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
    /// foldhash with a per-process random seed: fast, and series keys
    /// (from exporter-controlled fields) cannot be chosen to collide.
    index: HashMap<Box<[u8]>, u32, foldhash::fast::RandomState>,
    slots: Vec<Option<Series>>,
    free: Vec<u32>,
    max: usize,
    pub overflow: Totals,
    /// Records added to the overflow series because the table was full.
    pub folded_records: u64,
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
            index: HashMap::with_capacity_and_hasher(max, Default::default()),
            slots: Vec::with_capacity(max),
            free: Vec::with_capacity(max),
            max,
            overflow: Totals::default(),
            folded_records: 0,
            expired: 0,
            last: u32::MAX,
        }
    }

    /// Adds to the series of `key` (a new one if there is room; `labels`
    /// is called only then). `now` is in seconds of any fixed origin.
    /// False: the table was full and the record went to the overflow series.
    pub fn add(
        &mut self,
        key: &[u8],
        now: u64,
        bytes: u64,
        packets: u64,
        labels: impl FnOnce() -> Box<[Box<str>]>,
    ) -> bool {
        // Consecutive records of one exporter mostly share their labels:
        // the last series found is checked before hashing.
        let last = self.last as usize;
        if let Some(Some(s)) = self.slots.get_mut(last) {
            if *s.key == *key {
                s.totals.add(bytes, packets);
                s.last_seen = now;
                return true;
            }
        }
        if let Some(&i) = self.index.get(key) {
            self.last = i;
            let s = self.slots[i as usize]
                .as_mut()
                .expect("indexed slots are live");
            s.totals.add(bytes, packets);
            s.last_seen = now;
            return true;
        }
        if self.index.len() >= self.max {
            self.overflow.add(bytes, packets);
            self.folded_records += 1;
            return false;
        }
        let key: Box<[u8]> = key.into();
        let series = Series {
            key: key.clone(),
            labels: labels(),
            totals: Totals { bytes, packets },
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
        self.index.insert(key, i);
        true
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
                self.index.remove(&s.key);
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
                packets: 4
            }
        );
        assert_eq!(t.folded_records, 2);
        let a = t.series().find(|s| &*s.labels[0] == "a").unwrap();
        assert_eq!(
            a.totals,
            Totals {
                bytes: 150,
                packets: 3
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
}
