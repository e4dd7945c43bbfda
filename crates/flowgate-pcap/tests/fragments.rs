mod common;

use common::*;
use flowgate_pcap::ReaderStats;

const SRC: [u8; 4] = [192, 0, 2, 1];
const DST: [u8; 4] = [198, 51, 100, 1];

/// Splits a UDP datagram into IPv4 fragments of `chunk` bytes (a multiple of 8).
fn fragments4(id: u16, udp_bytes: &[u8], chunk: usize) -> Vec<Vec<u8>> {
    let n = udp_bytes.len().div_ceil(chunk);
    (0..n)
        .map(|i| {
            let part = &udp_bytes[i * chunk..((i + 1) * chunk).min(udp_bytes.len())];
            let more = if i + 1 < n { 0x2000 } else { 0 };
            let word = more | (i * chunk / 8) as u16;
            ether(0x0800, &ipv4_full(SRC, DST, 17, id, word, &[], part))
        })
        .collect()
}

fn capture(frames: &[&[u8]]) -> Vec<u8> {
    let mut c = Classic::new(false, true, ETHERNET);
    for (i, f) in frames.iter().enumerate() {
        c = c.packet(100, i as u32, f);
    }
    c.out
}

fn big_payload(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

#[test]
fn ipv4_fragments_out_of_order() {
    let payload = big_payload(3000);
    let f = fragments4(0x1234, &udp(4739, 4739, &payload), 1480);
    assert_eq!(f.len(), 3);
    let (got, stats) = read_all(&capture(&[&f[2], &f[0], &f[1]]));
    // The datagram is stamped with the fragment that completed it.
    assert_eq!(
        got,
        vec![common::got(
            100_000_000_002,
            "192.0.2.1:4739",
            "198.51.100.1:4739",
            &payload
        )]
    );
    assert_eq!(
        stats,
        ReaderStats {
            frames: 3,
            udp_datagrams: 1,
            fragments: 3,
            reassembled: 1,
            ..Default::default()
        }
    );
}

#[test]
fn interleaved_datagrams_and_padding() {
    let a = fragments4(1, &udp(1, 2, &big_payload(100)), 64);
    let b = fragments4(2, &udp(3, 4, b"second datagram"), 16);
    // Pad the short last fragment like an Ethernet NIC would.
    let mut a_last = a[1].clone();
    a_last.resize(a_last.len().max(60), 0);
    let (got, stats) = read_all(&capture(&[&a[0], &b[1], &b[0], &a_last]));
    let payloads: Vec<&[u8]> = got.iter().map(|g| g.payload.as_slice()).collect();
    assert_eq!(
        payloads,
        vec![&b"second datagram"[..], &big_payload(100)[..]]
    );
    assert_eq!(stats.reassembled, 2);
    assert_eq!(stats.fragments_held, 0);
}

#[test]
fn ipv6_fragment_header() {
    let payload = big_payload(2000);
    let u = udp(9995, 4739, &payload);
    let (first, rest) = u.split_at(1232);
    // The unfragmentable part holds a hop-by-hop header; the fragmentable part
    // starts with destination options before UDP.
    let mut frag_part = ext(17, 1);
    frag_part.extend(first);
    let build = |off: u16, more: bool, data: &[u8]| {
        let mut p = ext(44, 1);
        p.extend(frag6(60, off, more, 0xdead_beef));
        p.extend(data);
        ether(0x86dd, &ipv6(v6addr(1), v6addr(2), 0, &p))
    };
    let f0 = build(0, true, &frag_part);
    let f1 = build(frag_part.len() as u16, false, rest);
    let (got, stats) = read_all(&capture(&[&f1, &f0]));
    assert_eq!(
        got,
        vec![common::got(
            100_000_000_001,
            "[2001:db8::1]:9995",
            "[2001:db8::2]:4739",
            &payload
        )]
    );
    assert_eq!(
        (stats.fragments, stats.reassembled, stats.udp_datagrams),
        (2, 1, 1)
    );
}

#[test]
fn overlaps_and_bogus_offsets_are_dropped() {
    let u = udp(1, 2, &big_payload(60));
    let f = fragments4(7, &u, 24);
    // Same id, conflicting data for the second slot.
    let mut evil = u.clone();
    evil[30] ^= 0xff;
    let g = fragments4(7, &evil, 24);
    // An exact duplicate is harmless; the conflicting copy abandons the datagram.
    let (got, stats) = read_all(&capture(&[&f[0], &f[0], &f[1], &g[1], &f[2]]));
    assert!(got.is_empty());
    assert_eq!(stats.reassembly_bogus, 1);
    // The duplicate, the conflicting fragment and the two held ones; the last starts over and waits.
    assert_eq!(stats.fragments_dropped, 4);
    assert_eq!(stats.fragments_held, 1);

    // Offset past 65535 bytes, a non-final fragment of odd length, and
    // two different "last" fragments.
    let past = ether(
        0x0800,
        &ipv4_full(SRC, DST, 17, 8, 0x2000 | 8190, &[], &[0; 64]),
    );
    let odd = ether(0x0800, &ipv4_full(SRC, DST, 17, 9, 0x2000, &[], &[0; 12]));
    let end1 = ether(0x0800, &ipv4_full(SRC, DST, 17, 10, 2, &[], &[0; 8]));
    let end2 = ether(0x0800, &ipv4_full(SRC, DST, 17, 10, 4, &[], &[0; 8]));
    let (got, stats) = read_all(&capture(&[&past, &odd, &end1, &end2]));
    assert!(got.is_empty());
    assert_eq!(stats.reassembly_bogus, 3);
    assert_eq!(stats.fragments_held, 0);
}

#[test]
fn in_progress_datagrams_are_bounded() {
    let mut frames = Vec::new();
    for id in 0..70u16 {
        frames.push(fragments4(id, &udp(1, 2, &[0; 64]), 32)[0].clone());
    }
    // The last fragment of datagram 0 arrives after it was evicted; that of 69 completes it.
    let zero = fragments4(0, &udp(1, 2, &[0; 64]), 32);
    let last = fragments4(69, &udp(1, 2, &[0; 64]), 32);
    frames.push(zero[2].clone());
    frames.push(last[1].clone());
    frames.push(last[2].clone());
    let refs: Vec<&[u8]> = frames.iter().map(Vec::as_slice).collect();
    let (got, stats) = read_all(&capture(&refs));
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].src.port(), 1);
    // 70 started, 64 fit: 6 evicted, then a 7th to make room for the late fragment of 0.
    assert_eq!(stats.reassembly_evicted, 7);
    assert_eq!(stats.fragments_dropped, 7);
    assert_eq!(stats.fragments_held, 63);
    assert_eq!(stats.reassembled, 1);
}

#[test]
fn non_udp_and_truncated_fragments() {
    let tcp = ether(0x0800, &ipv4_full(SRC, DST, 6, 1, 0x2000, &[], &[0; 24]));
    let mut cut = fragments4(2, &udp(1, 2, &[0; 64]), 32)[0].clone();
    cut.truncate(cut.len() - 5);
    let esp6 = {
        let mut p = frag6(50, 0, true, 1);
        p.extend([0u8; 16]);
        ether(0x86dd, &ipv6(v6addr(1), v6addr(2), 44, &p))
    };
    let (got, stats) = read_all(&capture(&[&tcp, &cut, &esp6]));
    assert!(got.is_empty());
    assert_eq!(
        stats,
        ReaderStats {
            frames: 3,
            non_udp: 2,
            truncated: 1,
            ..Default::default()
        }
    );
}
