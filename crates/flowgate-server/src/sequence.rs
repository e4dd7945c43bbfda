//! Sequence-number gap detection per export stream, as each RFC defines
//! the counter, with the two exporter quirks in ../shared/docs/exporters.md.
//!
//! | protocol | stream | counter counts | RFC expectation |
//! |---|---|---|---|
//! | NetFlow v5/v7 | exporter | flows | `seq(n) = seq(n-1) + count(n-1)` |
//! | NetFlow v9 | exporter + source id | datagrams | `seq(n) = seq(n-1) + 1` |
//! | IPFIX | exporter + domain | data records | `seq(n) = seq(n-1) + records(n-1)` |
//! | sFlow v5 | exporter + sub-agent | datagrams | `seq(n) = seq(n-1) + 1` |
//!
//! Open vSwitch's NetFlow v5 stamps `seq(n) = seq(n-1) + count(n)` and
//! softflowd's IPFIX `seq(n) = seq(n-1) + records(n)`: the same "counts the
//! current datagram too" rule. A stream whose numbers match that rule, and
//! not the RFC's, three times running is switched to it, and the datagrams
//! that matched it while the switch was pending are not counted as gaps.
//! Only numbers that match neither rule count, so an OVS stream reports no
//! false gaps, while a real loss is still seen.

use std::collections::HashMap;
use std::net::SocketAddr;

use flowgate_decode::{DatagramReport, Protocol};

/// Matches of the other rule in a row before a stream switches to it.
const SWITCH_AFTER: u8 = 3;

/// When the table is full, streams idle this long make room for new ones.
const IDLE_NS: u64 = 600_000_000_000;
/// Looking for idle streams is a full scan, done at most this often.
const PRUNE_EVERY_NS: u64 = 60_000_000_000;

/// A jump forward larger than this is an exporter restart, not a loss.
const MAX_GAP: u32 = 1 << 30;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    Rfc,
    /// The counter already includes the current datagram (OVS v5, softflowd IPFIX).
    CountsCurrent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqEvent {
    /// The first datagram of a stream, or one in sequence.
    InOrder,
    /// `lost` units (flows, datagrams or records, per protocol) never arrived.
    Gap { lost: u32 },
    /// The counter went backwards or jumped absurdly: the exporter restarted.
    Reset,
    /// The stream was found to follow `Rule` from now on.
    Switched(Rule),
    /// The stream is not tracked (too many streams, or the protocol has no sequence).
    Untracked,
}

#[derive(Debug, Clone, Copy)]
struct Stream {
    last_seq: u32,
    last_units: u32,
    rule: Rule,
    other_rule_streak: u8,
    last_seen_ns: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct StreamKey {
    exporter: SocketAddr,
    protocol: Protocol,
    domain: u32,
}

/// The streams one receive worker sees (an exporter always lands on the
/// same worker, so no state is shared).
#[derive(Debug)]
pub struct SequenceTracker {
    streams: HashMap<StreamKey, Stream>,
    max_streams: usize,
    last_prune_ns: u64,
    /// Streams following the counts-current rule that were forgotten, for
    /// the caller to take off its gauge.
    forgotten_quirky: Vec<(SocketAddr, Protocol)>,
}

impl SequenceTracker {
    pub fn new(max_streams: usize) -> Self {
        SequenceTracker {
            streams: HashMap::new(),
            max_streams,
            last_prune_ns: 0,
            forgotten_quirky: Vec::new(),
        }
    }

    /// Streams currently following the "counts current" rule.
    pub fn quirky_streams(&self) -> usize {
        self.streams
            .values()
            .filter(|s| s.rule == Rule::CountsCurrent)
            .count()
    }

    /// Quirky streams forgotten since the last call (exporter, protocol).
    pub fn take_forgotten_quirky(&mut self) -> Vec<(SocketAddr, Protocol)> {
        std::mem::take(&mut self.forgotten_quirky)
    }

    /// Forgets streams idle for 10 minutes (exporters that restarted on a
    /// new port leave theirs behind).
    fn prune(&mut self, now_ns: u64) {
        if now_ns.saturating_sub(self.last_prune_ns) < PRUNE_EVERY_NS {
            return;
        }
        self.last_prune_ns = now_ns;
        let forgotten = &mut self.forgotten_quirky;
        self.streams.retain(|k, s| {
            let keep = now_ns.saturating_sub(s.last_seen_ns) < IDLE_NS;
            if !keep && s.rule == Rule::CountsCurrent {
                forgotten.push((k.exporter, k.protocol));
            }
            keep
        });
    }

    /// Judges one datagram's sequence number; `now_ns` is its receive time.
    pub fn observe(
        &mut self,
        exporter: SocketAddr,
        report: &DatagramReport,
        now_ns: u64,
    ) -> SeqEvent {
        let units = match report.protocol {
            Protocol::NetflowV5 | Protocol::NetflowV7 => u32::from(report.header_count),
            Protocol::NetflowV9 | Protocol::Sflow5 => 1,
            Protocol::Ipfix => report.data_records_seen,
            Protocol::NetflowV1 | Protocol::Unknown => return SeqEvent::Untracked,
        };
        // softflowd, the exporter with the counts-current rule, leaves its
        // options data record (repeated in every message) out of the count.
        let current_units = match report.protocol {
            Protocol::Ipfix => units.saturating_sub(report.options_records),
            _ => units,
        };
        // sFlow counts per agent and sub-agent, whatever UDP source carries them.
        let exporter = match (report.protocol, report.agent) {
            (Protocol::Sflow5, Some(agent)) => SocketAddr::new(agent, 0),
            _ => exporter,
        };
        let key = StreamKey {
            exporter,
            protocol: report.protocol,
            domain: report.domain,
        };
        let seq = report.sequence;
        if !self.streams.contains_key(&key) && self.streams.len() >= self.max_streams {
            self.prune(now_ns);
        }
        let full = self.streams.len() >= self.max_streams;
        let stream = match self.streams.get_mut(&key) {
            Some(s) => s,
            None if full => return SeqEvent::Untracked,
            None => {
                self.streams.insert(
                    key,
                    Stream {
                        last_seq: seq,
                        last_units: units,
                        rule: Rule::Rfc,
                        other_rule_streak: 0,
                        last_seen_ns: now_ns,
                    },
                );
                return SeqEvent::InOrder;
            }
        };
        stream.last_seen_ns = now_ns;
        let rfc = stream.last_seq.wrapping_add(stream.last_units);
        let counts_current = stream.last_seq.wrapping_add(current_units);
        let (expected, other, other_rule) = match stream.rule {
            Rule::Rfc => (rfc, counts_current, Rule::CountsCurrent),
            Rule::CountsCurrent => (counts_current, rfc, Rule::Rfc),
        };
        let event = if seq == expected {
            // Equal counts in a row fit both rules and say nothing about which holds.
            if expected != other {
                stream.other_rule_streak = 0;
            }
            SeqEvent::InOrder
        } else if seq == other {
            stream.other_rule_streak += 1;
            if stream.other_rule_streak >= SWITCH_AFTER {
                stream.rule = other_rule;
                stream.other_rule_streak = 0;
                SeqEvent::Switched(other_rule)
            } else {
                SeqEvent::InOrder
            }
        } else {
            stream.other_rule_streak = 0;
            let ahead = seq.wrapping_sub(expected);
            if ahead < MAX_GAP {
                SeqEvent::Gap { lost: ahead }
            } else {
                SeqEvent::Reset
            }
        };
        stream.last_seq = seq;
        stream.last_units = units;
        event
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(protocol: Protocol, sequence: u32, count: u32) -> DatagramReport {
        DatagramReport {
            protocol,
            sequence,
            header_count: count as u16,
            data_records_seen: count,
            ..Default::default()
        }
    }

    fn exporter() -> SocketAddr {
        "192.0.2.1:40000".parse().unwrap()
    }

    fn run(protocol: Protocol, datagrams: &[(u32, u32)]) -> (u32, u32, u32, SequenceTracker) {
        let mut t = SequenceTracker::new(16);
        let (mut gaps, mut lost, mut resets) = (0, 0, 0);
        for &(seq, count) in datagrams {
            match t.observe(exporter(), &report(protocol, seq, count), 0) {
                SeqEvent::Gap { lost: n } => {
                    gaps += 1;
                    lost += n;
                }
                SeqEvent::Reset => resets += 1,
                _ => {}
            }
        }
        (gaps, lost, resets, t)
    }

    /// seq(n) = seq(n-1) + count(n-1): no gaps; a lost datagram of 5 is 5 flows.
    #[test]
    fn netflow_v5_counts_flows() {
        let (gaps, lost, resets, _) = run(Protocol::NetflowV5, &[(0, 3), (3, 5), (8, 2), (10, 1)]);
        assert_eq!((gaps, lost, resets), (0, 0, 0));
        let (gaps, lost, _, _) = run(Protocol::NetflowV5, &[(0, 3), (3, 5), (13, 2)]);
        assert_eq!((gaps, lost), (1, 5));
    }

    /// The OVS capture's pattern: seq(n) = seq(n-1) + count(n), first seq = count-1.
    #[test]
    fn ovs_v5_quirk_is_learned_and_stops_false_gaps() {
        let counts = [3u32, 1, 4, 4, 2, 7, 1, 1, 5, 2, 3, 6, 2];
        let mut seq = counts[0] - 1;
        let mut dgrams = vec![(seq, counts[0])];
        for &c in &counts[1..] {
            seq += c;
            dgrams.push((seq, c));
        }
        let (gaps, _, resets, t) = run(Protocol::NetflowV5, &dgrams);
        assert_eq!((gaps, resets), (0, 0), "no false gaps for a quirky stream");
        assert_eq!(t.quirky_streams(), 1);

        // A real loss in a quirky stream is still a gap: drop the datagram of 7.
        let mut lossy = dgrams.clone();
        lossy.remove(5);
        let (gaps, lost, _, _) = run(Protocol::NetflowV5, &lossy);
        assert_eq!((gaps, lost), (1, 7));
    }

    /// softflowd IPFIX: seq(n) = seq(n-1) + records(n).
    #[test]
    fn softflowd_ipfix_quirk() {
        let dgrams = [(4, 4), (7, 3), (12, 5), (14, 2), (20, 6), (21, 1), (24, 3)];
        let (gaps, _, resets, t) = run(Protocol::Ipfix, &dgrams);
        assert_eq!((gaps, resets, t.quirky_streams()), (0, 0, 1));
        let rfc = [(0, 4), (4, 3), (7, 5), (12, 2), (14, 6)];
        let (gaps, _, _, t) = run(Protocol::Ipfix, &rfc);
        assert_eq!((gaps, t.quirky_streams()), (0, 0));
    }

    /// Live softflowd repeats its options record in every message and does
    /// not count it: message 1 seq 18 (18 flows + 1 options record), message
    /// 2 seq 22 (4 flows + 1 options record), as tests/e2e_exporters.rs saw.
    #[test]
    fn softflowd_quirk_leaves_options_records_out() {
        let mut t = SequenceTracker::new(16);
        let mut events = Vec::new();
        for (seq, flows) in [(18u32, 18u32), (22, 4), (25, 3), (31, 6), (33, 2), (40, 7)] {
            let r = DatagramReport {
                protocol: Protocol::Ipfix,
                sequence: seq,
                data_records_seen: flows + 1,
                options_records: 1,
                ..Default::default()
            };
            events.push(t.observe(exporter(), &r, 0));
        }
        assert!(
            events
                .iter()
                .all(|e| matches!(e, SeqEvent::InOrder | SeqEvent::Switched(_))),
            "{events:?}"
        );
        assert_eq!(t.quirky_streams(), 1);
    }

    #[test]
    fn v9_and_sflow_count_datagrams_per_domain() {
        let (gaps, lost, _, _) = run(Protocol::NetflowV9, &[(10, 30), (11, 2), (14, 1)]);
        assert_eq!((gaps, lost), (1, 2));
        let (gaps, _, _, _) = run(Protocol::Sflow5, &[(1, 7), (2, 1), (3, 9)]);
        assert_eq!(gaps, 0);
        let mut t = SequenceTracker::new(16);
        let mut a = report(Protocol::NetflowV9, 100, 1);
        t.observe(exporter(), &a, 0);
        a.domain = 7;
        a.sequence = 5;
        assert_eq!(
            t.observe(exporter(), &a, 0),
            SeqEvent::InOrder,
            "another source id is another stream"
        );
    }

    #[test]
    fn backwards_is_a_reset_and_wrapping_is_not() {
        let (gaps, _, resets, _) = run(Protocol::NetflowV9, &[(500, 1), (501, 1), (3, 1), (4, 1)]);
        assert_eq!((gaps, resets), (0, 1));
        let (gaps, _, resets, _) = run(
            Protocol::NetflowV9,
            &[(u32::MAX - 1, 1), (u32::MAX, 1), (0, 1)],
        );
        assert_eq!((gaps, resets), (0, 0));
    }

    #[test]
    fn stream_count_is_bounded_and_idle_streams_make_room() {
        let mut t = SequenceTracker::new(2);
        let from = |port| SocketAddr::new([192, 0, 2, 1].into(), port);
        for port in 1..=3u16 {
            let ev = t.observe(from(port), &report(Protocol::NetflowV9, 1, 1), 0);
            assert_eq!(ev == SeqEvent::Untracked, port == 3);
        }
        // Port 1 stays busy; port 2 goes quiet for 10 minutes.
        t.observe(from(1), &report(Protocol::NetflowV9, 2, 1), IDLE_NS);
        let ev = t.observe(from(3), &report(Protocol::NetflowV9, 1, 1), IDLE_NS + 1);
        assert_eq!(ev, SeqEvent::InOrder, "port 2's stream was forgotten");
        assert_eq!(
            t.observe(from(1), &report(Protocol::NetflowV9, 3, 1), IDLE_NS + 2),
            SeqEvent::InOrder
        );
    }
}
