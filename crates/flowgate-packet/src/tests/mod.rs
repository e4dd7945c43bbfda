//! Hand-built headers for every layer the parser knows.

mod layers;
mod tunnels;

use std::net::IpAddr;

use flowgate_record::FlowRecord;

use crate::*;

pub(super) const MAC_A: u64 = 0x0a0b_0c0d_0e0f;
pub(super) const MAC_B: u64 = 0x0200_0000_0001;

pub(super) fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

pub(super) fn eth(etype: u16) -> Vec<u8> {
    let mut b = MAC_B.to_be_bytes()[2..].to_vec();
    b.extend_from_slice(&MAC_A.to_be_bytes()[2..]);
    b.extend_from_slice(&etype.to_be_bytes());
    b
}

pub(super) fn tag(tpid_after: u16, vid: u16) -> Vec<u8> {
    let mut b = (0x2000 | vid).to_be_bytes().to_vec(); // priority 1
    b.extend_from_slice(&tpid_after.to_be_bytes());
    b
}

pub(super) fn ipv4(proto: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let mut b = vec![0x45, 0xb8];
    b.extend_from_slice(&(20 + payload.len() as u16).to_be_bytes());
    b.extend_from_slice(&[0x12, 0x34, 0x40, 0x00, 63, proto, 0, 0]);
    b.extend_from_slice(&src);
    b.extend_from_slice(&dst);
    b.extend_from_slice(payload);
    b
}

pub(super) fn ipv6(next: u8, src: &str, dst: &str, payload: &[u8]) -> Vec<u8> {
    let mut b = (0x6000_0000u32 | 0x2a << 20 | 0xbeef)
        .to_be_bytes()
        .to_vec();
    b.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    b.extend_from_slice(&[next, 57]);
    for a in [src, dst] {
        let a: std::net::Ipv6Addr = a.parse().unwrap();
        b.extend_from_slice(&a.octets());
    }
    b.extend_from_slice(payload);
    b
}

pub(super) fn tcp(sport: u16, dport: u16, flags: u8) -> Vec<u8> {
    let mut b = sport.to_be_bytes().to_vec();
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&[0; 8]);
    b.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    b
}

pub(super) fn udp(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
    let mut b = sport.to_be_bytes().to_vec();
    b.extend_from_slice(&dport.to_be_bytes());
    b.extend_from_slice(&(8 + payload.len() as u16).to_be_bytes());
    b.extend_from_slice(&[0, 0]);
    b.extend_from_slice(payload);
    b
}

pub(super) fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// The inner frame used inside tunnels: 10.1.0.1:1000 -> 10.1.0.2:80, SYN.
pub(super) fn inner_frame() -> Vec<u8> {
    let t = tcp(1000, 80, 0x02);
    cat(&[&eth(0x0800), &ipv4(6, [10, 1, 0, 1], [10, 1, 0, 2], &t)])
}

pub(super) fn parsed(frame: &[u8]) -> FlowRecord {
    let mut r = FlowRecord::default();
    parse_ethernet(frame, &mut r);
    r
}

pub(super) fn assert_inner_flow(r: &FlowRecord) {
    assert_eq!((r.src_addr, r.dst_addr), (ip("10.1.0.1"), ip("10.1.0.2")));
    assert_eq!(
        (r.proto, r.src_port, r.dst_port, r.tcp_flags),
        (6, 1000, 80, 2)
    );
    assert_eq!((r.etype, r.src_mac, r.dst_mac), (0x0800, MAC_A, MAC_B));
}
