//! Builders for small captures, written from the format specifications so the
//! tests do not depend on the reader's own view of the formats.
#![allow(dead_code)]

use std::io::Read;
use std::net::SocketAddr;

use flowgate_pcap::{PcapError, PcapReader};

pub const ETHERNET: u32 = 1;
pub const RAW: u32 = 101;
pub const SLL: u32 = 113;
pub const SLL2: u32 = 276;

/// An owned copy of a datagram, for comparing whole results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Got {
    pub ts_ns: u64,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub payload: Vec<u8>,
}

pub fn got(ts_ns: u64, src: &str, dst: &str, payload: &[u8]) -> Got {
    Got {
        ts_ns,
        src: src.parse().unwrap(),
        dst: dst.parse().unwrap(),
        payload: payload.to_vec(),
    }
}

/// Reads every datagram, stopping at the end or at the first error.
pub fn drain<R: Read>(r: &mut PcapReader<R>) -> (Vec<Got>, Option<PcapError>) {
    let mut out = Vec::new();
    loop {
        match r.next_datagram() {
            Ok(Some(d)) => out.push(Got {
                ts_ns: d.ts_ns,
                src: d.src,
                dst: d.dst,
                payload: d.payload.to_vec(),
            }),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Reads a capture that must be well-formed.
pub fn read_all(bytes: &[u8]) -> (Vec<Got>, flowgate_pcap::ReaderStats) {
    let mut r = PcapReader::new(bytes).expect("header");
    let (got, err) = drain(&mut r);
    assert!(err.is_none(), "unexpected error {err:?}");
    (got, r.stats().clone())
}

// ---- network layers ----

pub fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(sport.to_be_bytes());
    v.extend(dport.to_be_bytes());
    v.extend((8 + payload.len() as u16).to_be_bytes());
    v.extend([0, 0]);
    v.extend(payload);
    v
}

/// IPv4 with the given protocol, identification and flags/fragment-offset word.
pub fn ipv4_full(
    src: [u8; 4],
    dst: [u8; 4],
    proto: u8,
    id: u16,
    frag: u16,
    options: &[u8],
    payload: &[u8],
) -> Vec<u8> {
    assert_eq!(options.len() % 4, 0);
    let hlen = 20 + options.len();
    let mut v = vec![0x40 | (hlen / 4) as u8, 0];
    v.extend(((hlen + payload.len()) as u16).to_be_bytes());
    v.extend(id.to_be_bytes());
    v.extend(frag.to_be_bytes());
    v.extend([64, proto, 0, 0]);
    v.extend(src);
    v.extend(dst);
    v.extend(options);
    v.extend(payload);
    v
}

pub fn ipv4(src: [u8; 4], dst: [u8; 4], proto: u8, payload: &[u8]) -> Vec<u8> {
    ipv4_full(src, dst, proto, 1, 0x4000, &[], payload)
}

/// 10.0.0.1:1000 -> 10.0.0.2:2055 carrying `payload`.
pub fn udp4(payload: &[u8]) -> Vec<u8> {
    ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &udp(1000, 2055, payload))
}

pub fn ipv6(src: [u8; 16], dst: [u8; 16], next: u8, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x60, 0, 0, 0];
    v.extend((payload.len() as u16).to_be_bytes());
    v.extend([next, 64]);
    v.extend(src);
    v.extend(dst);
    v.extend(payload);
    v
}

pub fn v6addr(last: u8) -> [u8; 16] {
    let mut a = [0u8; 16];
    a[0] = 0x20;
    a[1] = 0x01;
    a[2] = 0x0d;
    a[3] = 0xb8;
    a[15] = last;
    a
}

/// An IPv6 extension header (hop-by-hop, routing, destination options) of `units` * 8 bytes.
pub fn ext(next: u8, units: u8) -> Vec<u8> {
    let mut v = vec![0u8; usize::from(units) * 8];
    v[0] = next;
    v[1] = units - 1;
    v
}

pub fn frag6(next: u8, offset: u16, more: bool, id: u32) -> Vec<u8> {
    let mut v = vec![next, 0];
    v.extend((offset | more as u16).to_be_bytes());
    v.extend(id.to_be_bytes());
    v
}

pub fn ether(ethertype: u16, payload: &[u8]) -> Vec<u8> {
    vlan(&[], ethertype, payload)
}

/// Ethernet with the given (TPID, VLAN id) tags, outermost first.
pub fn vlan(tags: &[(u16, u16)], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0x02, 0, 0, 0, 0, 2, 0x02, 0, 0, 0, 0, 1];
    for (tpid, vid) in tags {
        v.extend(tpid.to_be_bytes());
        v.extend(vid.to_be_bytes());
    }
    v.extend(ethertype.to_be_bytes());
    v.extend(payload);
    v
}

pub fn sll(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = vec![0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0];
    v.extend(protocol.to_be_bytes());
    v.extend(payload);
    v
}

pub fn sll2(protocol: u16, payload: &[u8]) -> Vec<u8> {
    let mut v = protocol.to_be_bytes().to_vec();
    v.extend([0, 0, 0, 0, 0, 3, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
    v.extend(payload);
    v
}

// ---- file formats ----

fn put32(v: &mut Vec<u8>, big: bool, x: u32) {
    v.extend(if big {
        x.to_be_bytes()
    } else {
        x.to_le_bytes()
    });
}

fn put16(v: &mut Vec<u8>, big: bool, x: u16) {
    v.extend(if big {
        x.to_be_bytes()
    } else {
        x.to_le_bytes()
    });
}

pub struct Classic {
    big: bool,
    pub out: Vec<u8>,
}

impl Classic {
    pub fn new(big: bool, nanos: bool, link_type: u32) -> Self {
        let mut out = Vec::new();
        put32(&mut out, big, if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 });
        put16(&mut out, big, 2);
        put16(&mut out, big, 4);
        put32(&mut out, big, 0);
        put32(&mut out, big, 0);
        put32(&mut out, big, 65535);
        put32(&mut out, big, link_type);
        Classic { big, out }
    }

    /// A record whose original length equals its captured length.
    pub fn packet(mut self, sec: u32, frac: u32, data: &[u8]) -> Self {
        let b = self.big;
        put32(&mut self.out, b, sec);
        put32(&mut self.out, b, frac);
        put32(&mut self.out, b, data.len() as u32);
        put32(&mut self.out, b, data.len() as u32);
        self.out.extend(data);
        self
    }
}

pub struct Ng {
    big: bool,
    pub out: Vec<u8>,
}

impl Ng {
    pub fn new(big: bool) -> Self {
        let mut ng = Ng {
            big,
            out: Vec::new(),
        };
        ng.section(big);
        ng
    }

    /// Starts a new section, possibly in the other byte order.
    pub fn section(&mut self, big: bool) {
        self.big = big;
        let mut body = Vec::new();
        put32(&mut body, big, 0x1a2b_3c4d);
        put16(&mut body, big, 1);
        put16(&mut body, big, 0);
        body.extend(u64::MAX.to_le_bytes());
        self.block(0x0a0d_0d0a, &body);
    }

    pub fn block(&mut self, ty: u32, body: &[u8]) {
        let b = self.big;
        let padded = body.len().div_ceil(4) * 4;
        let len = (12 + padded) as u32;
        put32(&mut self.out, b, ty);
        put32(&mut self.out, b, len);
        self.out.extend(body);
        self.out.resize(self.out.len() + padded - body.len(), 0);
        put32(&mut self.out, b, len);
    }

    /// Interface Description Block; `tsresol` is the raw if_tsresol option byte.
    pub fn idb(&mut self, link_type: u16, snaplen: u32, tsresol: Option<u8>) {
        let b = self.big;
        let mut body = Vec::new();
        put16(&mut body, b, link_type);
        put16(&mut body, b, 0);
        put32(&mut body, b, snaplen);
        // if_name, to check that unrelated options are stepped over.
        put16(&mut body, b, 2);
        put16(&mut body, b, 5);
        body.extend(b"eth0\0\0\0\0");
        if let Some(r) = tsresol {
            put16(&mut body, b, 9);
            put16(&mut body, b, 1);
            body.extend([r, 0, 0, 0]);
        }
        put16(&mut body, b, 0);
        put16(&mut body, b, 0);
        self.block(1, &body);
    }

    pub fn epb(&mut self, iface: u32, ts: u64, data: &[u8]) {
        let b = self.big;
        let mut body = Vec::new();
        put32(&mut body, b, iface);
        put32(&mut body, b, (ts >> 32) as u32);
        put32(&mut body, b, ts as u32);
        put32(&mut body, b, data.len() as u32);
        put32(&mut body, b, data.len() as u32);
        body.extend(data);
        body.resize(body.len().div_ceil(4) * 4, 0);
        // opt_comment, then end of options
        put16(&mut body, b, 1);
        put16(&mut body, b, 3);
        body.extend(b"hi\0\0");
        put32(&mut body, b, 0);
        self.block(6, &body);
    }

    /// Simple Packet Block holding `data` of a packet originally `orig_len` long.
    pub fn spb(&mut self, orig_len: u32, data: &[u8]) {
        let b = self.big;
        let mut body = Vec::new();
        put32(&mut body, b, orig_len);
        body.extend(data);
        self.block(3, &body);
    }
}
