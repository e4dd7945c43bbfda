//! Per-exporter counters with a bounded number of label values. Workers
//! count into a [`LocalCounts`] of their own and merge it into the shared
//! [`ExporterTable`] a few times a second, so the receive path takes no
//! lock per datagram. Once `max_exporters` addresses have a row, further
//! ones are counted under `exporter="overflow"`: a flood of spoofed
//! sources costs one row, not one per source.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use flowgate_decode::{ErrorKind, Protocol};

const KINDS: usize = ErrorKind::ALL.len();

/// Template counts kept per exporter address, at most this many ports each.
const MAX_PORTS_PER_EXPORTER: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExporterLabel {
    Ip(IpAddr),
    Overflow,
}

impl fmt::Display for ExporterLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExporterLabel::Ip(ip) => ip.fmt(f),
            ExporterLabel::Overflow => f.write_str("overflow"),
        }
    }
}

/// Counters of one exporter address and protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Counts {
    pub datagrams: u64,
    pub bytes: u64,
    pub records: u64,
    /// sFlow counter samples (interface statistics, not flows).
    pub counter_samples: u64,
    /// Datagrams rejected whole, by `ErrorKind` discriminant.
    pub rejected: [u64; KINDS],
    /// Problems inside decoded datagrams (`DatagramReport::issues`).
    pub issues: [u64; KINDS],
    pub seq_gaps: u64,
    pub seq_lost: u64,
    pub seq_resets: u64,
    /// Change in the number of streams following the "counts current" rule.
    pub quirky_streams: i64,
}

impl Counts {
    fn add(&mut self, o: &Counts) {
        self.datagrams += o.datagrams;
        self.bytes += o.bytes;
        self.records += o.records;
        self.counter_samples += o.counter_samples;
        for i in 0..KINDS {
            self.rejected[i] += o.rejected[i];
            self.issues[i] += o.issues[i];
        }
        self.seq_gaps += o.seq_gaps;
        self.seq_lost += o.seq_lost;
        self.seq_resets += o.seq_resets;
        self.quirky_streams += o.quirky_streams;
    }
}

/// One worker's counts since its last merge.
#[derive(Debug, Default)]
pub struct LocalCounts {
    rows: HashMap<(IpAddr, Protocol), Counts>,
    templates: HashMap<SocketAddr, usize>,
}

impl LocalCounts {
    pub fn row(&mut self, exporter: IpAddr, protocol: Protocol) -> &mut Counts {
        self.rows.entry((exporter, protocol)).or_default()
    }

    pub fn set_templates(&mut self, exporter: SocketAddr, count: usize) {
        self.templates.insert(exporter, count);
    }

    pub fn len(&self) -> usize {
        self.rows.len() + self.templates.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty() && self.templates.is_empty()
    }
}

#[derive(Debug, Default)]
struct Inner {
    rows: BTreeMap<(ExporterLabel, Protocol), Counts>,
    admitted: HashMap<IpAddr, ()>,
    templates: BTreeMap<ExporterLabel, HashMap<u16, usize>>,
}

#[derive(Debug)]
pub struct ExporterTable {
    max_exporters: usize,
    inner: Mutex<Inner>,
}

/// A copy of the table for encoding, taken under the lock and encoded outside it.
pub struct Snapshot {
    pub rows: Vec<(ExporterLabel, Protocol, Counts)>,
    pub templates: Vec<(ExporterLabel, usize)>,
}

impl ExporterTable {
    pub fn new(max_exporters: usize) -> Self {
        ExporterTable {
            max_exporters,
            inner: Mutex::new(Inner::default()),
        }
    }

    /// Adds a worker's counts and empties them.
    pub fn merge(&self, local: &mut LocalCounts) {
        if local.is_empty() {
            return;
        }
        let mut inner = self.inner.lock().unwrap();
        for ((ip, proto), c) in local.rows.drain() {
            let label = admit(&mut inner, self.max_exporters, ip);
            inner.rows.entry((label, proto)).or_default().add(&c);
        }
        for (addr, n) in local.templates.drain() {
            let label = admit(&mut inner, self.max_exporters, addr.ip());
            let ports = inner.templates.entry(label).or_default();
            if ports.len() < MAX_PORTS_PER_EXPORTER || ports.contains_key(&addr.port()) {
                ports.insert(addr.port(), n);
            }
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        let inner = self.inner.lock().unwrap();
        Snapshot {
            rows: inner
                .rows
                .iter()
                .map(|(&(l, p), c)| (l, p, c.clone()))
                .collect(),
            templates: inner
                .templates
                .iter()
                .map(|(&l, ports)| (l, ports.values().sum()))
                .collect(),
        }
    }

    /// Distinct exporter addresses with a label of their own.
    pub fn admitted(&self) -> usize {
        self.inner.lock().unwrap().admitted.len()
    }
}

fn admit(inner: &mut Inner, max: usize, ip: IpAddr) -> ExporterLabel {
    if inner.admitted.contains_key(&ip) {
        return ExporterLabel::Ip(ip);
    }
    if inner.admitted.len() < max {
        inner.admitted.insert(ip, ());
        return ExporterLabel::Ip(ip);
    }
    ExporterLabel::Overflow
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_capped_with_an_overflow_row() {
        let table = ExporterTable::new(2);
        let mut local = LocalCounts::default();
        for i in 0..1000u32 {
            let ip = IpAddr::from((0x0a00_0000 + i).to_be_bytes());
            local.row(ip, Protocol::NetflowV5).datagrams += 1;
        }
        table.merge(&mut local);
        assert!(local.is_empty());
        let snap = table.snapshot();
        assert_eq!(snap.rows.len(), 3, "two exporters and the overflow row");
        let overflow = snap
            .rows
            .iter()
            .find(|r| r.0 == ExporterLabel::Overflow)
            .unwrap();
        assert_eq!(overflow.2.datagrams, 998);
        assert_eq!(table.admitted(), 2);
    }

    #[test]
    fn templates_are_summed_over_an_exporters_ports() {
        let table = ExporterTable::new(10);
        let mut local = LocalCounts::default();
        local.set_templates("192.0.2.1:1000".parse().unwrap(), 88);
        local.set_templates("192.0.2.1:1001".parse().unwrap(), 4);
        table.merge(&mut local);
        local.set_templates("192.0.2.1:1001".parse().unwrap(), 5);
        table.merge(&mut local);
        assert_eq!(
            table.snapshot().templates,
            vec![(ExporterLabel::Ip([192, 0, 2, 1].into()), 93)]
        );
    }
}
