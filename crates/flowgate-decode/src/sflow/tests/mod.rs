//! Hand-built sFlow datagrams. The builders write XDR the way agents do;
//! the tests read the records back.

mod counters;
mod errors;
mod flow;

use std::net::IpAddr;

use flowgate_record::{CounterRecord, RecordBatch};

use crate::{DatagramReport, DecodeError, Exporter};

pub(super) const AGENT: &str = "10.0.0.254";

pub(super) fn exporter() -> Exporter {
    Exporter {
        addr: "192.0.2.1:6343".parse().unwrap(),
        received_ns: 1_700_000_000_000_000_000,
    }
}

pub(super) fn u32s(words: &[u32]) -> Vec<u8> {
    words.iter().flat_map(|w| w.to_be_bytes()).collect()
}

/// XDR opaque/string: length, bytes, padding.
pub(super) fn opaque(b: &[u8]) -> Vec<u8> {
    let mut v = u32s(&[b.len() as u32]);
    v.extend_from_slice(b);
    v.resize(v.len() + (4 - b.len() % 4) % 4, 0);
    v
}

/// A format/length/data element (sample or record).
pub(super) fn element(format: u32, body: &[u8]) -> Vec<u8> {
    let mut v = u32s(&[format, body.len() as u32]);
    v.extend_from_slice(body);
    v
}

pub(super) fn datagram_from(agent: IpAddr, sequence: u32, samples: &[Vec<u8>]) -> Vec<u8> {
    let mut d = u32s(&[5]);
    match agent {
        IpAddr::V4(a) => {
            d.extend(u32s(&[1]));
            d.extend_from_slice(&a.octets());
        }
        IpAddr::V6(a) => {
            d.extend(u32s(&[2]));
            d.extend_from_slice(&a.octets());
        }
    }
    d.extend(u32s(&[7, sequence, 123_456, samples.len() as u32]));
    for s in samples {
        d.extend_from_slice(s);
    }
    d
}

pub(super) fn datagram(samples: &[Vec<u8>]) -> Vec<u8> {
    datagram_from(AGENT.parse().unwrap(), 42, samples)
}

fn with_records(mut head: Vec<u8>, records: &[Vec<u8>]) -> Vec<u8> {
    head.extend(u32s(&[records.len() as u32]));
    for r in records {
        head.extend_from_slice(r);
    }
    head
}

/// Compact flow sample (0/1): seq 9, source 0:3, rate, pool 5000, drops 2.
pub(super) fn flow_sample(rate: u32, input: u32, output: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let head = u32s(&[9, 3, rate, 5000, 2, input, output]);
    element(1, &with_records(head, records))
}

/// Expanded flow sample (0/3) with interface format/value words.
pub(super) fn expanded_flow_sample(
    input: (u32, u32),
    output: (u32, u32),
    records: &[Vec<u8>],
) -> Vec<u8> {
    let head = u32s(&[
        9,
        0,
        0x0001_0000,
        1000,
        7000,
        0,
        input.0,
        input.1,
        output.0,
        output.1,
    ]);
    element(3, &with_records(head, records))
}

/// Discarded packet (0/5): seq, source class and index (two words), drops,
/// input, output, reason.
pub(super) fn discard_sample(reason: u32, records: &[Vec<u8>]) -> Vec<u8> {
    let head = u32s(&[11, 0, 0, 17, 4, 5, reason]);
    element(5, &with_records(head, records))
}

pub(super) fn counter_sample(source_id: u32, records: &[Vec<u8>]) -> Vec<u8> {
    element(2, &with_records(u32s(&[77, source_id]), records))
}

pub(super) fn expanded_counter_sample(class: u32, index: u32, records: &[Vec<u8>]) -> Vec<u8> {
    element(4, &with_records(u32s(&[78, class, index]), records))
}

pub(super) fn raw_header(protocol: u32, frame_length: u32, header: &[u8]) -> Vec<u8> {
    let mut b = u32s(&[protocol, frame_length, 4]);
    b.extend(opaque(header));
    element(1, &b)
}

/// Ethernet / IPv4 / TCP 192.0.2.10:40000 -> 198.51.100.20:443, ACK.
pub(super) fn tcp_frame() -> Vec<u8> {
    let mut f = vec![0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00];
    f.extend(tcp_packet());
    f
}

pub(super) fn tcp_packet() -> Vec<u8> {
    let mut p = vec![
        0x45, 0, 0, 40, 0, 1, 0, 0, 64, 6, 0, 0, 192, 0, 2, 10, 198, 51, 100, 20,
    ];
    p.extend_from_slice(&40000u16.to_be_bytes());
    p.extend_from_slice(&443u16.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0, 0x50, 0x10, 0, 0, 0, 0, 0, 0]);
    p
}

pub(super) fn decode_all(
    data: &[u8],
) -> (
    Result<DatagramReport, DecodeError>,
    RecordBatch,
    Vec<CounterRecord>,
) {
    let mut flows = RecordBatch::new();
    let mut counters = Vec::new();
    let r = crate::Decoder::default().decode_all(exporter(), data, &mut flows, &mut counters);
    (r, flows, counters)
}

pub(super) fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}
