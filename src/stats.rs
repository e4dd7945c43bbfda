//! Per-exporter counters of what the decoders made of the datagrams, kept in
//! fixed-size arrays so counting a datagram allocates nothing once the
//! exporter has been seen.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::SocketAddr;

use flowgate_decode::{ErrorKind, Protocol};

use crate::Decoded;

const KINDS: usize = ErrorKind::ALL.len();

/// What one exporter sent over one protocol.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExporterStats {
    pub datagrams: u64,
    pub records: u64,
    pub options_records: u64,
    /// sFlow counter samples (statistics, not flows).
    pub counter_samples: u64,
    pub templates: u64,
    pub templates_withdrawn: u64,
    pub sets_held: u64,
    pub sets_released: u64,
    /// Datagrams rejected as a whole, by `ErrorKind` discriminant.
    pub rejected: [u64; KINDS],
    /// Problems inside decoded datagrams, by `ErrorKind` discriminant.
    pub issues: [u64; KINDS],
}

impl ExporterStats {
    pub fn count(&mut self, decoded: &Decoded) {
        self.datagrams += 1;
        match decoded {
            Ok(r) => {
                self.records += u64::from(r.records);
                self.options_records += u64::from(r.options_records);
                self.counter_samples += u64::from(r.counter_samples);
                self.templates += u64::from(r.templates);
                self.templates_withdrawn += u64::from(r.templates_withdrawn);
                self.sets_held += u64::from(r.sets_held);
                self.sets_released += u64::from(r.sets_released);
                for (kind, n) in r.issues.iter() {
                    self.issues[kind as usize] += u64::from(n);
                }
            }
            Err(e) => self.rejected[e.kind as usize] += 1,
        }
    }

    pub fn rejected(&self, kind: ErrorKind) -> u64 {
        self.rejected[kind as usize]
    }

    pub fn issues(&self, kind: ErrorKind) -> u64 {
        self.issues[kind as usize]
    }

    pub fn rejected_total(&self) -> u64 {
        self.rejected.iter().sum()
    }

    pub fn issues_total(&self) -> u64 {
        self.issues.iter().sum()
    }

    fn add(&mut self, o: &ExporterStats) {
        self.datagrams += o.datagrams;
        self.records += o.records;
        self.options_records += o.options_records;
        self.counter_samples += o.counter_samples;
        self.templates += o.templates;
        self.templates_withdrawn += o.templates_withdrawn;
        self.sets_held += o.sets_held;
        self.sets_released += o.sets_released;
        for i in 0..KINDS {
            self.rejected[i] += o.rejected[i];
            self.issues[i] += o.issues[i];
        }
    }
}

/// Counters per exporter (address and port, as templates are scoped) and
/// protocol, sorted for printing.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    rows: BTreeMap<(SocketAddr, Protocol), ExporterStats>,
}

impl Stats {
    /// Counts one datagram. `protocol` is what its version word names, so
    /// rejected datagrams (e.g. sFlow before its decoder) still land in the
    /// right row.
    pub fn count(&mut self, exporter: SocketAddr, protocol: Protocol, decoded: &Decoded) {
        self.rows
            .entry((exporter, protocol))
            .or_default()
            .count(decoded);
    }

    pub fn get(&self, exporter: SocketAddr, protocol: Protocol) -> Option<&ExporterStats> {
        self.rows.get(&(exporter, protocol))
    }

    pub fn rows(&self) -> impl Iterator<Item = (SocketAddr, Protocol, &ExporterStats)> {
        self.rows.iter().map(|(&(a, p), s)| (a, p, s))
    }

    pub fn total(&self) -> ExporterStats {
        let mut t = ExporterStats::default();
        for s in self.rows.values() {
            t.add(s);
        }
        t
    }

    /// A table with one row per exporter and protocol and a total row.
    /// Error columns read `reason=count`, reasons being the stable metric
    /// labels of `ErrorKind::as_str`.
    pub fn write_table(&self, out: &mut dyn Write) -> io::Result<()> {
        const HEAD: [&str; 11] = [
            "exporter",
            "protocol",
            "datagrams",
            "records",
            "options",
            "counters",
            "templates",
            "held",
            "released",
            "rejected",
            "issues",
        ];
        let mut lines: Vec<[String; 11]> = vec![HEAD.map(String::from)];
        for (addr, proto, s) in self.rows() {
            lines.push(row(addr.to_string(), proto.as_str(), s));
        }
        if self.rows.len() > 1 {
            lines.push(row("total".into(), "", &self.total()));
        }
        let mut width = [0usize; 11];
        for l in &lines {
            for (w, cell) in width.iter_mut().zip(l) {
                *w = (*w).max(cell.len());
            }
        }
        for l in &lines {
            let mut text = String::new();
            for (i, cell) in l.iter().enumerate() {
                let w = width[i];
                match i {
                    0 | 1 | 9 => text.push_str(&format!("{cell:<w$}  ")),
                    10 => text.push_str(cell),
                    _ => text.push_str(&format!("{cell:>w$}  ")),
                }
            }
            writeln!(out, "{}", text.trim_end())?;
        }
        Ok(())
    }
}

fn row(exporter: String, protocol: &str, s: &ExporterStats) -> [String; 11] {
    [
        exporter,
        protocol.to_owned(),
        s.datagrams.to_string(),
        s.records.to_string(),
        s.options_records.to_string(),
        s.counter_samples.to_string(),
        s.templates.to_string(),
        s.sets_held.to_string(),
        s.sets_released.to_string(),
        reasons(&s.rejected),
        reasons(&s.issues),
    ]
}

fn reasons(counts: &[u64; KINDS]) -> String {
    let parts: Vec<String> = ErrorKind::ALL
        .iter()
        .filter(|k| counts[**k as usize] > 0)
        .map(|k| format!("{}={}", k.as_str(), counts[*k as usize]))
        .collect();
    if parts.is_empty() {
        "-".to_owned()
    } else {
        parts.join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flowgate_decode::{DatagramReport, DecodeError};

    #[test]
    fn counts_and_prints_sorted_rows() {
        let mut st = Stats::default();
        let b: SocketAddr = "192.0.2.9:2055".parse().unwrap();
        let a: SocketAddr = "192.0.2.1:2055".parse().unwrap();
        let mut rep = DatagramReport {
            records: 30,
            ..Default::default()
        };
        rep.issues.add(ErrorKind::CountMismatch);
        st.count(b, Protocol::NetflowV5, &Ok(rep));
        let unsupported = DecodeError::new(ErrorKind::Unsupported, "x");
        st.count(a, Protocol::Sflow5, &Err(unsupported));
        let s = st.get(b, Protocol::NetflowV5).unwrap();
        assert_eq!((s.datagrams, s.records), (1, 30));
        assert_eq!(s.issues(ErrorKind::CountMismatch), 1);
        let mut out = Vec::new();
        st.write_table(&mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("exporter"));
        assert!(lines[1].starts_with("192.0.2.1:2055") && lines[1].contains("unsupported=1"));
        assert!(lines[2].contains("count_mismatch=1"));
        assert!(lines[3].starts_with("total"));
    }
}
