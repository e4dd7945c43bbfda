mod common;

use common::*;
use flowgate_pcap::{PcapError, PcapReader, ReaderStats};

fn mixed_capture(big: bool, nanos: bool) -> Vec<u8> {
    let tcp = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 6, &[0u8; 20]);
    let arp = ether(0x0806, &[0u8; 28]);
    Classic::new(big, nanos, ETHERNET)
        .packet(1_700_000_000, 123_456, &ether(0x0800, &udp4(b"first")))
        .packet(1_700_000_001, 0, &ether(0x0800, &tcp))
        .packet(1_700_000_002, 7, &arp)
        .packet(1_700_000_003, 999_999, &ether(0x0800, &udp4(b"second")))
        .out
}

fn expect_mixed(bytes: &[u8], frac_unit: u64) {
    let (got, stats) = read_all(bytes);
    assert_eq!(
        got,
        vec![
            got_at(1_700_000_000_000_000_000 + 123_456 * frac_unit, b"first"),
            got_at(1_700_000_003_000_000_000 + 999_999 * frac_unit, b"second"),
        ]
    );
    assert_eq!(
        stats,
        ReaderStats {
            frames: 4,
            udp_datagrams: 2,
            non_udp: 1,
            non_ip: 1,
            ..Default::default()
        }
    );
}

fn got_at(ts: u64, payload: &[u8]) -> Got {
    got(ts, "10.0.0.1:1000", "10.0.0.2:2055", payload)
}

#[test]
fn little_endian_micros() {
    let bytes = mixed_capture(false, false);
    assert_eq!(&bytes[..4], &[0xd4, 0xc3, 0xb2, 0xa1]);
    expect_mixed(&bytes, 1_000);
    let r = PcapReader::new(&bytes[..]).unwrap();
    assert_eq!(r.link_type(), Some(ETHERNET));
    assert!(!r.is_pcapng());
}

#[test]
fn big_endian_micros() {
    let bytes = mixed_capture(true, false);
    assert_eq!(&bytes[..4], &[0xa1, 0xb2, 0xc3, 0xd4]);
    expect_mixed(&bytes, 1_000);
}

#[test]
fn nanosecond_magic_both_orders() {
    expect_mixed(&mixed_capture(false, true), 1);
    expect_mixed(&mixed_capture(true, true), 1);
}

#[test]
fn link_type_high_bits_are_fcs_flags() {
    let mut bytes = Classic::new(false, false, ETHERNET)
        .packet(1, 0, &ether(0x0800, &udp4(b"x")))
        .out;
    bytes[23] = 0x14; // FCS present, 4 bytes
    let (got, _) = read_all(&bytes);
    assert_eq!(got, vec![got_at(1_000_000_000, b"x")]);
}

#[test]
fn ethernet_padding_and_ip_options_are_trimmed() {
    // 60-byte minimum frame: the padding after the IP packet must not leak into the payload.
    let mut frame = ether(0x0800, &udp4(b"ab"));
    frame.resize(60, 0xee);
    let opts = ipv4_full(
        [10, 0, 0, 1],
        [10, 0, 0, 2],
        17,
        9,
        0,
        &[1, 1, 1, 0],
        &udp(1000, 2055, b"opt"),
    );
    // UDP length shorter than the IP payload: the UDP length wins.
    let mut inner = udp(1000, 2055, b"udp");
    inner.extend(b"trailer");
    let long_ip = ipv4([10, 0, 0, 1], [10, 0, 0, 2], 17, &inner);
    let bytes = Classic::new(false, false, ETHERNET)
        .packet(0, 0, &frame)
        .packet(0, 0, &ether(0x0800, &opts))
        .packet(0, 0, &ether(0x0800, &long_ip))
        .out;
    let (got, stats) = read_all(&bytes);
    let payloads: Vec<_> = got.iter().map(|g| g.payload.as_slice()).collect();
    assert_eq!(payloads, vec![&b"ab"[..], b"opt", b"udp"]);
    assert_eq!(stats.udp_datagrams, 3);
    assert_eq!(stats.truncated_datagrams, 0);
}

#[test]
fn snaplen_cut_datagrams() {
    let full = ether(0x0800, &udp4(b"0123456789"));
    // Cut inside the payload: yields what is there.
    let cut_payload = &full[..full.len() - 4];
    // Cut inside the UDP header: nothing to yield.
    let cut_header = &full[..14 + 20 + 4];
    let bytes = Classic::new(false, false, ETHERNET)
        .packet(0, 0, cut_payload)
        .packet(0, 0, cut_header)
        .packet(0, 0, &full[..10])
        .out;
    let (got, stats) = read_all(&bytes);
    assert_eq!(got, vec![got_at(0, b"012345")]);
    assert_eq!(
        stats,
        ReaderStats {
            frames: 3,
            udp_datagrams: 1,
            truncated_datagrams: 1,
            truncated: 2,
            ..Default::default()
        }
    );
}

#[test]
fn malformed_headers_are_counted() {
    let mut bad_ihl = udp4(b"x");
    bad_ihl[0] = 0x44;
    let mut bad_udp_len = udp4(b"x");
    bad_udp_len[20 + 5] = 4;
    let mut v6_in_v4_frame = udp4(b"x");
    v6_in_v4_frame[0] = 0x65;
    let bytes = Classic::new(false, false, ETHERNET)
        .packet(0, 0, &ether(0x0800, &bad_ihl))
        .packet(0, 0, &ether(0x0800, &bad_udp_len))
        .packet(0, 0, &ether(0x0800, &v6_in_v4_frame))
        .packet(0, 0, &[])
        .out;
    let (got, stats) = read_all(&bytes);
    assert!(got.is_empty());
    assert_eq!(
        stats,
        ReaderStats {
            frames: 4,
            malformed: 3,
            truncated: 1,
            ..Default::default()
        }
    );
}

#[test]
fn truncated_files() {
    let bytes = mixed_capture(false, false);
    // Torn inside the second record's data, then inside its header.
    let first_len = 24 + 16 + 14 + 20 + 8 + 5;
    for cut in [first_len + 20, first_len + 3] {
        let mut r = PcapReader::new(&bytes[..cut]).unwrap();
        assert_eq!(r.next_datagram().unwrap().unwrap().payload, b"first");
        let err = r.next_datagram().unwrap_err();
        assert!(matches!(err, PcapError::Truncated(_)), "{err:?}");
        assert!(err.to_string().contains("ends in the middle"), "{err}");
        // The reader is finished after an error.
        assert!(r.next_datagram().unwrap().is_none());
    }
    // Exactly at a record boundary is a clean end.
    let mut r = PcapReader::new(&bytes[..first_len]).unwrap();
    assert!(r.next_datagram().unwrap().is_some());
    assert!(r.next_datagram().unwrap().is_none());
    // Torn file header.
    for cut in [0, 3, 4, 23] {
        let err = PcapReader::new(&bytes[..cut]).err().unwrap();
        assert!(matches!(err, PcapError::Truncated(_)), "{cut}: {err:?}");
    }
}

#[test]
fn oversized_record_is_an_error_not_an_allocation() {
    let mut bytes = Classic::new(false, false, ETHERNET).out;
    bytes.extend([0u8; 8]);
    bytes.extend(0x7fff_ffffu32.to_le_bytes());
    bytes.extend(0x7fff_ffffu32.to_le_bytes());
    let mut r = PcapReader::new(&bytes[..]).unwrap();
    let err = r.next_datagram().unwrap_err();
    assert!(
        matches!(
            err,
            PcapError::TooLarge {
                len: 0x7fff_ffff,
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("limit"), "{err}");

    // Just under the limit, but the file is short: truncated, not a 256 KiB read.
    let mut bytes = Classic::new(false, false, ETHERNET).out;
    bytes.extend([0u8; 8]);
    bytes.extend((256u32 * 1024).to_le_bytes());
    bytes.extend((256u32 * 1024).to_le_bytes());
    bytes.extend([1, 2, 3]);
    let mut r = PcapReader::new(&bytes[..]).unwrap();
    assert!(matches!(r.next_datagram(), Err(PcapError::Truncated(_))));
}

#[test]
fn garbage_and_unsupported() {
    let err = PcapReader::new(&b"GARBAGE GARBAGE GARBAGE GARBAGE"[..])
        .err()
        .unwrap();
    assert!(matches!(err, PcapError::BadMagic(0x4741_5242)), "{err:?}");
    assert!(err.to_string().contains("not a pcap"), "{err}");

    let bytes = Classic::new(false, false, 105).packet(0, 0, b"802.11").out;
    let err = PcapReader::new(&bytes[..]).err().unwrap();
    assert!(
        matches!(err, PcapError::UnsupportedLinkType(105)),
        "{err:?}"
    );
    assert!(err.to_string().contains("105"), "{err}");
}

#[test]
fn open_reads_files() {
    let path = std::env::temp_dir().join(format!("flowgate-pcap-{}.pcap", std::process::id()));
    std::fs::write(&path, mixed_capture(true, true)).unwrap();
    let mut r = flowgate_pcap::open(&path).unwrap();
    let (got, err) = drain(&mut r);
    std::fs::remove_file(&path).ok();
    assert!(err.is_none());
    assert_eq!(got.len(), 2);
    let missing = flowgate_pcap::open(std::path::Path::new("/nonexistent/x.pcap"))
        .err()
        .unwrap();
    assert!(matches!(missing, PcapError::Io(_)));
}
