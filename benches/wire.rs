//! Datagram builders shared by the benches: NetFlow v5, and v9 / IPFIX with
//! an Open vSwitch-shaped template (field list from ../shared/docs/exporters.md),
//! and the records they decode to.

use std::net::SocketAddr;

use flowgate_decode::{Decoder, Exporter};
use flowgate_record::RecordBatch;

/// The exporter every bench datagram comes from.
pub fn exporter() -> Exporter {
    Exporter {
        addr: "192.0.2.1:4739".parse::<SocketAddr>().unwrap(),
        received_ns: 1_700_000_000_000_000_000,
    }
}

/// The records of one bench datagram (after its template, if any), decoded once.
pub fn records(template: Option<Vec<u8>>, data: Vec<u8>) -> RecordBatch {
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::new();
    if let Some(t) = template {
        decoder.decode(exporter(), &t, &mut batch).unwrap();
    }
    batch.clear();
    decoder.decode(exporter(), &data, &mut batch).unwrap();
    assert!(!batch.is_empty(), "the bench datagram decodes to no record");
    batch
}

/// Records of each protocol the serialising benches compare: v5, IPFIX
/// with the Open vSwitch template, sFlow.
pub fn records_per_protocol() -> [(&'static str, RecordBatch); 3] {
    [
        ("v5", records(None, v5_datagram(30))),
        (
            "ipfix_ovs",
            records(
                Some(ipfix_template(OVS_IPV4_TCP_INGRESS)),
                ipfix_data(OVS_IPV4_TCP_INGRESS, 20),
            ),
        ),
        ("sflow", records(None, sflow_datagram(6))),
    ]
}

/// (IE, length) of OVS's IPv4/TCP ingress template; 65535 = variable length.
pub const OVS_IPV4_TCP_INGRESS: &[(u16, u16)] = &[
    (138, 4),
    (61, 1),
    (56, 6),
    (80, 6),
    (256, 2),
    (240, 1),
    (10, 4),
    (368, 4),
    (82, 65535),
    (83, 65535),
    (60, 1),
    (192, 1),
    (4, 1),
    (195, 1),
    (196, 1),
    (5, 1),
    (8, 4),
    (12, 4),
    (7, 2),
    (11, 2),
    (158, 4),
    (159, 4),
    (133, 8),
    (135, 8),
    (2, 8),
    (86, 8),
    (354, 8),
    (355, 8),
    (356, 8),
    (357, 8),
    (358, 8),
    (19, 8),
    (174, 8),
    (352, 8),
    (353, 8),
    (136, 1),
    (132, 8),
    (134, 8),
    (1, 8),
    (85, 8),
    (198, 8),
    (199, 8),
    (25, 8),
    (26, 8),
    (20, 8),
    (175, 8),
    (222, 8),
    (219, 8),
    (221, 8),
    (220, 8),
    (218, 8),
    (223, 8),
];

/// A fixed-length template (no variable-length fields) like the perf blaster's.
pub const FIXED_IPV4: &[(u16, u16)] = &[
    (8, 4),
    (12, 4),
    (7, 2),
    (11, 2),
    (4, 1),
    (6, 1),
    (5, 1),
    (10, 4),
    (14, 4),
    (1, 8),
    (2, 8),
    (152, 8),
    (153, 8),
    (61, 1),
    (136, 1),
    (56, 6),
    (80, 6),
    (58, 2),
    (60, 1),
];

fn be16(v: &mut Vec<u8>, x: u16) {
    v.extend_from_slice(&x.to_be_bytes());
}
fn be32(v: &mut Vec<u8>, x: u32) {
    v.extend_from_slice(&x.to_be_bytes());
}

/// A value for one field of record `i`: distinct addresses and ports per record.
fn field_value(out: &mut Vec<u8>, ie: u16, len: u16, i: usize) {
    match (ie, len) {
        (8, 4) => out.extend_from_slice(&[10, 1, (i >> 8) as u8, i as u8]),
        (12, 4) => out.extend_from_slice(&[10, 2, 0, 1]),
        (7, 2) => be16(out, 1024 + i as u16),
        (11, 2) => be16(out, 443),
        (4, 1) => out.push(6),
        (82, 65535) => {
            out.push(5);
            out.extend_from_slice(b"veth1");
        }
        (83, 65535) => out.push(0),
        (_, 65535) => out.push(0),
        (_, n) => {
            for k in 0..n {
                out.push((k as u8).wrapping_add(i as u8));
            }
        }
    }
}

fn template_set(set_id: u16, template_id: u16, fields: &[(u16, u16)]) -> Vec<u8> {
    let mut s = Vec::new();
    be16(&mut s, set_id);
    be16(&mut s, 0);
    be16(&mut s, template_id);
    be16(&mut s, fields.len() as u16);
    for &(ie, len) in fields {
        be16(&mut s, ie);
        be16(&mut s, len);
    }
    let len = s.len() as u16;
    s[2..4].copy_from_slice(&len.to_be_bytes());
    s
}

fn data_set(template_id: u16, fields: &[(u16, u16)], records: usize) -> Vec<u8> {
    let mut s = Vec::new();
    be16(&mut s, template_id);
    be16(&mut s, 0);
    for i in 0..records {
        for &(ie, len) in fields {
            field_value(&mut s, ie, len, i);
        }
    }
    while s.len() % 4 != 0 {
        s.push(0);
    }
    let len = s.len() as u16;
    s[2..4].copy_from_slice(&len.to_be_bytes());
    s
}

/// IPFIX message: 16-byte header, then the sets.
pub fn ipfix_message(sets: &[Vec<u8>], seq: u32) -> Vec<u8> {
    let mut m = Vec::new();
    be16(&mut m, 10);
    be16(&mut m, 0);
    be32(&mut m, 1_700_000_000);
    be32(&mut m, seq);
    be32(&mut m, 0);
    for s in sets {
        m.extend_from_slice(s);
    }
    let len = m.len() as u16;
    m[2..4].copy_from_slice(&len.to_be_bytes());
    m
}

/// NetFlow v9 packet: 20-byte header, then the flowsets.
pub fn v9_packet(sets: &[Vec<u8>], count: u16, seq: u32) -> Vec<u8> {
    let mut m = Vec::new();
    be16(&mut m, 9);
    be16(&mut m, count);
    be32(&mut m, 3_600_000);
    be32(&mut m, 1_700_000_000);
    be32(&mut m, seq);
    be32(&mut m, 0);
    for s in sets {
        m.extend_from_slice(s);
    }
    m
}

pub fn ipfix_template(fields: &[(u16, u16)]) -> Vec<u8> {
    ipfix_message(&[template_set(2, 256, fields)], 0)
}

pub fn ipfix_data(fields: &[(u16, u16)], records: usize) -> Vec<u8> {
    ipfix_message(&[data_set(256, fields, records)], 1)
}

pub fn v9_template(fields: &[(u16, u16)]) -> Vec<u8> {
    v9_packet(&[template_set(0, 256, fields)], 1, 0)
}

pub fn v9_data(fields: &[(u16, u16)], records: usize) -> Vec<u8> {
    v9_packet(&[data_set(256, fields, records)], records as u16, 1)
}

/// NetFlow v5 datagram with `records` 48-byte records.
pub fn v5_datagram(records: usize) -> Vec<u8> {
    let mut d = Vec::new();
    be16(&mut d, 5);
    be16(&mut d, records as u16);
    be32(&mut d, 3_600_000);
    be32(&mut d, 1_700_000_000);
    be32(&mut d, 0);
    be32(&mut d, 0);
    be32(&mut d, 0);
    for i in 0..records {
        d.extend_from_slice(&[10, 1, 0, i as u8, 10, 2, 0, 1, 0, 0, 0, 0]);
        be16(&mut d, 1);
        be16(&mut d, 2);
        be32(&mut d, 10);
        be32(&mut d, 1500);
        be32(&mut d, 3_500_000);
        be32(&mut d, 3_590_000);
        be16(&mut d, 1024 + i as u16);
        be16(&mut d, 443);
        d.extend_from_slice(&[0, 0x18, 6, 0]);
        be16(&mut d, 0);
        be16(&mut d, 0);
        d.extend_from_slice(&[24, 24, 0, 0]);
    }
    d
}

/// NetFlow v5 datagrams whose records differ as real traffic does
/// (addresses, ports, counters, times, flags, interfaces, AS numbers, masks
/// drawn from a fixed-seed generator): rendering them exercises the
/// branches of every width of number, which identical records would let
/// the CPU learn.
pub fn v5_varied_records(datagrams: usize) -> RecordBatch {
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut decoder = Decoder::default();
    let mut batch = RecordBatch::new();
    for n in 0..datagrams {
        let mut d = Vec::new();
        be16(&mut d, 5);
        be16(&mut d, 30);
        be32(&mut d, 3_600_000 + n as u32 * 1000);
        be32(&mut d, 1_700_000_000 + n as u32);
        be32(&mut d, (next() % 1_000_000_000) as u32);
        be32(&mut d, n as u32 * 30);
        be32(&mut d, 0);
        for _ in 0..30 {
            let r = next();
            d.extend_from_slice(&(r as u32).to_be_bytes());
            d.extend_from_slice(&((r >> 32) as u32).to_be_bytes());
            d.extend_from_slice(&(next() as u32 & 0x0aff_ffff).to_be_bytes());
            let r = next();
            be16(&mut d, (r % 4096) as u16);
            be16(&mut d, (r >> 16) as u16 % 64);
            be32(&mut d, 1 + (r >> 24) as u32 % 50_000);
            be32(&mut d, 40 + (r >> 40) as u32 % 9_000_000);
            let first = 1_000_000 + (next() % 2_500_000) as u32;
            be32(&mut d, first);
            be32(&mut d, first + (next() % 90_000) as u32);
            let r = next();
            be16(&mut d, r as u16);
            be16(&mut d, [53, 80, 443, 8080, 6443][(r >> 16) as usize % 5]);
            d.extend_from_slice(&[
                0,
                (r >> 24) as u8 & 0x3f,
                [6, 17, 1][(r >> 32) as usize % 3],
                (r >> 40) as u8,
            ]);
            be16(&mut d, (r >> 48) as u16);
            be16(&mut d, (next() % 65_535) as u16);
            let r = next();
            d.extend_from_slice(&[(r % 33) as u8, (r >> 8) as u8 % 33, 0, 0]);
        }
        decoder.decode(exporter(), &d, &mut batch).unwrap();
    }
    assert_eq!(batch.len(), 30 * datagrams);
    batch
}

/// sFlow v5 datagram from an IPv4 agent with `samples` flow samples, each a
/// 128-byte sampled header (Ethernet / 802.1Q / IPv4 / TCP) plus
/// extended_switch, like the side-by-side load benchmark sends.
pub fn sflow_datagram(samples: usize) -> Vec<u8> {
    let mut d = Vec::new();
    for w in [5u32, 1, 0xc000_0201, 0, 1, 3_600_000, samples as u32] {
        be32(&mut d, w);
    }
    for i in 0..samples {
        let mut frame = Vec::with_capacity(128);
        frame.extend_from_slice(&[
            0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1, 0x81, 0x00, 0, 10, 0x08, 0x00,
        ]);
        frame.extend_from_slice(&[0x45, 0, 0x05, 0xdc, 0, 1, 0x40, 0, 64, 6, 0, 0]);
        frame.extend_from_slice(&[10, 1, 0, i as u8, 10, 2, 0, 1]);
        be16(&mut frame, 1024 + i as u16);
        be16(&mut frame, 443);
        frame.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]);
        frame.resize(128, 0);
        let mut header = Vec::new();
        for w in [1u32, 1518, 4, frame.len() as u32] {
            be32(&mut header, w);
        }
        header.extend_from_slice(&frame);
        let mut records = Vec::new();
        be32(&mut records, 1); // raw_packet_header
        be32(&mut records, header.len() as u32);
        records.extend_from_slice(&header);
        be32(&mut records, 1001); // extended_switch
        be32(&mut records, 16);
        for w in [10u32, 0, 10, 0] {
            be32(&mut records, w);
        }
        let mut sample = Vec::new();
        for w in [i as u32, 3, 400, 400 * i as u32, 0, 3, 4, 2] {
            be32(&mut sample, w);
        }
        sample.extend_from_slice(&records);
        be32(&mut d, 1); // flow_sample
        be32(&mut d, sample.len() as u32);
        d.extend_from_slice(&sample);
    }
    d
}
