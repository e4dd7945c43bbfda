mod common;

use common::*;
use flowgate_pcap::{PcapError, PcapReader, ReaderStats};

const V4: (&str, &str) = ("10.0.0.1:1000", "10.0.0.2:2055");

fn at(ts: u64, payload: &[u8]) -> Got {
    got(ts, V4.0, V4.1, payload)
}

#[test]
fn interfaces_link_types_and_resolutions() {
    let mut ng = Ng::new(false);
    ng.idb(1, 0, None); // 0: Ethernet, default microseconds
    ng.idb(101, 0, Some(9)); // 1: raw IP, nanoseconds
    ng.idb(113, 0, Some(0x80 | 20)); // 2: Linux SLL, 2^-20 s
    ng.idb(105, 0, None); // 3: 802.11, unsupported
    ng.block(4, &[0, 0, 0, 0]); // name resolution
    ng.epb(0, 1_700_000_000_123_456, &ether(0x0800, &udp4(b"eth")));
    ng.block(5, &[0; 12]); // interface statistics
    ng.epb(1, 1_700_000_000_123_456_789, &udp4(b"raw"));
    ng.epb(2, (3 << 20) | (1 << 19), &sll(0x0800, &udp4(b"sll")));
    ng.epb(3, 0, b"radio");
    ng.epb(7, 0, &udp4(b"no such interface"));
    let simple = ether(0x0800, &udp4(b"simple"));
    ng.spb(simple.len() as u32, &simple);
    ng.block(0x0000_0bad, b"custom");

    // A second section, big-endian this time, forgets the first one's interfaces.
    ng.section(true);
    ng.idb(276, 0, Some(3)); // 0: SLL2, milliseconds
    ng.epb(0, 42, &sll2(0x0800, &udp4(b"sll2")));
    ng.epb(1, 0, &udp4(b"gone"));

    let (got, stats) = read_all(&ng.out);
    assert_eq!(
        got,
        vec![
            at(1_700_000_000_123_456_000, b"eth"),
            at(1_700_000_000_123_456_789, b"raw"),
            at(3_500_000_000, b"sll"),
            at(0, b"simple"),
            at(42_000_000, b"sll2"),
        ]
    );
    assert_eq!(
        stats,
        ReaderStats {
            frames: 8,
            udp_datagrams: 5,
            unsupported_link_type: 1,
            malformed: 2,
            blocks_skipped: 3,
            ..Default::default()
        }
    );
    assert!(PcapReader::new(&ng.out[..]).unwrap().is_pcapng());
}

/// An IDB with arbitrary options, written by hand.
fn idb_with(ng: &mut Ng, big: bool, link_type: u16, options: &[(u16, &[u8])]) {
    let p16 = |v: &mut Vec<u8>, x: u16| {
        v.extend(if big {
            x.to_be_bytes()
        } else {
            x.to_le_bytes()
        })
    };
    let mut body = Vec::new();
    p16(&mut body, link_type);
    body.extend([0, 0, 0, 0, 0, 0]);
    for (code, val) in options {
        p16(&mut body, *code);
        p16(&mut body, val.len() as u16);
        body.extend(*val);
        body.resize(body.len().div_ceil(4) * 4, 0);
    }
    ng.block(1, &body);
}

#[test]
fn timestamp_options() {
    let mut ng = Ng::new(false);
    // if_tsoffset of 1000 s on top of 10^-1 s resolution; later if_tsresol wins.
    idb_with(
        &mut ng,
        false,
        101,
        &[(9, &[6]), (14, &1000u64.to_le_bytes()), (9, &[1])],
    );
    // 10^-12 s: picoseconds are divided down.
    idb_with(&mut ng, false, 101, &[(9, &[12])]);
    // Absurd resolutions must not overflow or panic.
    idb_with(&mut ng, false, 101, &[(9, &[127])]);
    idb_with(&mut ng, false, 101, &[(9, &[0xff])]);
    idb_with(&mut ng, false, 101, &[(9, &[0])]);
    ng.epb(0, 25, &udp4(b"a"));
    ng.epb(1, 5_000_000_000_000, &udp4(b"b"));
    ng.epb(2, u64::MAX, &udp4(b"c"));
    ng.epb(3, u64::MAX, &udp4(b"d"));
    ng.epb(4, u64::MAX, &udp4(b"e"));
    let (got, _) = read_all(&ng.out);
    let ts: Vec<u64> = got.iter().map(|g| g.ts_ns).collect();
    assert_eq!(ts, vec![1_002_500_000_000, 5_000_000_000, 0, 0, u64::MAX]);
}

#[test]
fn obsolete_packet_block_and_spb_snaplen() {
    let mut ng = Ng::new(true);
    ng.idb(1, 42, None);
    let frame = ether(0x0800, &udp4(b"0123456789"));
    // SPB: 42 bytes stored plus 2 of padding; only the snaplen tells them apart.
    ng.spb(frame.len() as u32, &frame[..42]);
    // Obsolete Packet Block (type 2): 16-bit interface id, drops counter.
    let mut body = Vec::new();
    body.extend(0u16.to_be_bytes());
    body.extend(0u16.to_be_bytes());
    body.extend(0u32.to_be_bytes());
    body.extend(2_000_000u32.to_be_bytes());
    body.extend((frame.len() as u32).to_be_bytes());
    body.extend((frame.len() as u32).to_be_bytes());
    body.extend(&frame);
    ng.block(2, &body);
    let (got, stats) = read_all(&ng.out);
    assert_eq!(got, vec![at(0, b""), at(2_000_000_000, b"0123456789")]);
    assert_eq!(stats.truncated_datagrams, 1);
}

fn err_of(bytes: &[u8]) -> PcapError {
    match PcapReader::new(bytes) {
        Err(e) => e,
        Ok(mut r) => drain(&mut r).1.expect("an error"),
    }
}

#[test]
fn broken_blocks() {
    let mut good = Ng::new(false);
    good.idb(1, 0, None);
    good.epb(0, 0, &ether(0x0800, &udp4(b"x")));
    let good = good.out;

    // Only a section header: a valid, empty capture.
    let (got, stats) = read_all(&good[..28]);
    assert!(got.is_empty());
    assert_eq!(stats, ReaderStats::default());

    // Torn anywhere inside a block.
    for cut in [30, 40, 60, 66, 90, good.len() - 1] {
        let e = err_of(&good[..cut]);
        assert!(matches!(e, PcapError::Truncated(_)), "{cut}: {e:?}");
    }

    // Trailing length disagrees with the leading one.
    let mut bad = good.clone();
    let n = bad.len();
    bad[n - 4] ^= 4;
    assert!(matches!(err_of(&bad), PcapError::Malformed(_)));

    // Block length too small, and absurdly large.
    let mut bad = good.clone();
    bad[28 + 4..28 + 8].copy_from_slice(&8u32.to_le_bytes());
    assert!(matches!(err_of(&bad), PcapError::Malformed(_)));
    let mut bad = good.clone();
    bad[28 + 4..28 + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    let e = err_of(&bad);
    assert!(
        matches!(
            e,
            PcapError::TooLarge {
                len: 0x7fff_fff0,
                ..
            }
        ),
        "{e:?}"
    );

    // Captured length over 256 KiB inside a small block.
    let mut bad = good.clone();
    let epb = 28 + 36; // after the SHB and the IDB
    bad[epb + 20..epb + 24].copy_from_slice(&(300u32 * 1024).to_le_bytes());
    assert!(matches!(err_of(&bad), PcapError::TooLarge { .. }));
    // Captured length larger than its block.
    bad[epb + 20..epb + 24].copy_from_slice(&200u32.to_le_bytes());
    assert!(matches!(err_of(&bad), PcapError::Malformed(_)));

    // Byte-order magic and version.
    let mut bad = good.clone();
    bad[8] = 0;
    assert!(matches!(err_of(&bad), PcapError::Malformed(_)));
    let mut bad = good.clone();
    bad[12] = 2;
    assert!(matches!(err_of(&bad), PcapError::Malformed(_)));
}

#[test]
fn a_huge_skipped_block_is_streamed_not_buffered() {
    let mut ng = Ng::new(false);
    ng.block(0x0000_0bad, &vec![0xaa; 15 * 1024 * 1024]);
    ng.idb(1, 0, None);
    ng.epb(0, 0, &ether(0x0800, &udp4(b"after")));
    let (got, stats) = read_all(&ng.out);
    assert_eq!(got, vec![at(0, b"after")]);
    assert_eq!(stats.blocks_skipped, 1);
}

#[test]
fn interface_table_is_bounded() {
    let mut ng = Ng::new(false);
    for _ in 0..4096 {
        ng.idb(1, 0, None);
    }
    ng.epb(4095, 0, &ether(0x0800, &udp4(b"last")));
    let (got, _) = read_all(&ng.out);
    assert_eq!(got, vec![at(0, b"last")]);
    ng.idb(1, 0, None);
    let e = err_of(&ng.out);
    assert!(e.to_string().contains("4096 interfaces"), "{e}");
}

#[test]
fn huge_interface_description() {
    let mut ng = Ng::new(false);
    // 180 KB of if_description: more than the part of the block that is examined.
    let d = vec![b'd'; 60_000];
    idb_with(&mut ng, false, 1, &[(9, &[9]), (3, &d), (3, &d), (3, &d)]);
    ng.epb(0, 77, &ether(0x0800, &udp4(b"x")));
    let (got, _) = read_all(&ng.out);
    assert_eq!(got, vec![at(77, b"x")]);
}
