mod common;

use common::*;
use flowgate_pcap::{link_type_supported, ReaderStats};

fn one(link_type: u32, frame: &[u8]) -> (Vec<Got>, ReaderStats) {
    read_all(
        &Classic::new(false, false, link_type)
            .packet(5, 0, frame)
            .out,
    )
}

fn expect_one(link_type: u32, frame: &[u8]) {
    let (got, stats) = one(link_type, frame);
    assert_eq!(
        got,
        vec![common::got(
            5_000_000_000,
            "10.0.0.1:1000",
            "10.0.0.2:2055",
            b"flow"
        )],
        "link type {link_type}"
    );
    assert_eq!(stats.frames, 1);
    assert_eq!(stats.udp_datagrams, 1);
}

fn v6_udp() -> Vec<u8> {
    ipv6(v6addr(1), v6addr(2), 17, &udp(1000, 2055, b"flow6"))
}

fn expect_v6(link_type: u32, frame: &[u8]) {
    let (got, _) = one(link_type, frame);
    assert_eq!(
        got,
        vec![common::got(
            5_000_000_000,
            "[2001:db8::1]:1000",
            "[2001:db8::2]:2055",
            b"flow6"
        )],
        "link type {link_type}"
    );
}

#[test]
fn linux_cooked() {
    expect_one(SLL, &sll(0x0800, &udp4(b"flow")));
    expect_v6(SLL, &sll(0x86dd, &v6_udp()));
    expect_one(SLL2, &sll2(0x0800, &udp4(b"flow")));
    expect_v6(SLL2, &sll2(0x86dd, &v6_udp()));
    // ARP over SLL, and a header cut short.
    let (got, stats) = one(SLL, &sll(0x0806, &[0; 28]));
    assert!(got.is_empty());
    assert_eq!(stats.non_ip, 1);
    let (_, stats) = one(SLL2, &sll2(0x0800, &[])[..10]);
    assert_eq!(stats.truncated, 1);
}

#[test]
fn raw_ip_variants() {
    for lt in [101, 12, 14] {
        expect_one(lt, &udp4(b"flow"));
        expect_v6(lt, &v6_udp());
    }
    expect_one(228, &udp4(b"flow"));
    expect_v6(229, &v6_udp());
    let (_, stats) = one(101, &[0x50, 0, 0, 0]);
    assert_eq!(stats.non_ip, 1);
}

#[test]
fn bsd_loopback() {
    // NULL: host byte order, either way round.
    let mut le = 2u32.to_le_bytes().to_vec();
    le.extend(udp4(b"flow"));
    expect_one(0, &le);
    let mut be = 2u32.to_be_bytes().to_vec();
    be.extend(udp4(b"flow"));
    expect_one(0, &be);
    for af6 in [10u32, 24, 28, 30] {
        let mut f = af6.to_le_bytes().to_vec();
        f.extend(v6_udp());
        expect_v6(0, &f);
    }
    // LOOP: always network order.
    let mut lp = 2u32.to_be_bytes().to_vec();
    lp.extend(udp4(b"flow"));
    expect_one(108, &lp);
    let mut lp6 = 30u32.to_be_bytes().to_vec();
    lp6.extend(v6_udp());
    expect_v6(108, &lp6);
    // AF_APPLETALK is not IP.
    let (_, stats) = one(0, &16u32.to_le_bytes());
    assert_eq!(stats.non_ip, 1);
}

#[test]
fn vlan_tags() {
    let ip = udp4(b"flow");
    expect_one(ETHERNET, &vlan(&[(0x8100, 10)], 0x0800, &ip));
    expect_one(ETHERNET, &vlan(&[(0x88a8, 100), (0x8100, 10)], 0x0800, &ip));
    expect_one(ETHERNET, &vlan(&[(0x9100, 100), (0x8100, 10)], 0x0800, &ip));
    expect_one(
        ETHERNET,
        &vlan(&[(0x88a8, 1), (0x88a8, 2), (0x8100, 3)], 0x0800, &ip),
    );
    expect_v6(ETHERNET, &vlan(&[(0x8100, 10)], 0x86dd, &v6_udp()));
    // A tag cut off in the middle.
    let (_, stats) = one(ETHERNET, &vlan(&[(0x8100, 10)], 0x0800, &[])[..16]);
    assert_eq!(stats.truncated, 1);
    // MPLS is not decoded.
    let (_, stats) = one(ETHERNET, &vlan(&[(0x8100, 10)], 0x8847, &ip));
    assert_eq!(stats.non_ip, 1);
}

#[test]
fn ipv6_extension_headers() {
    let u = udp(1000, 2055, b"flow6");
    let mut chain = ext(43, 1); // hop-by-hop -> routing
    chain.extend(ext(60, 2)); // routing -> destination options
    chain.extend(ext(17, 1)); // destination options -> UDP
    chain.extend(&u);
    expect_v6(RAW, &ipv6(v6addr(1), v6addr(2), 0, &chain));
    // An atomic fragment (offset 0, no more fragments) is a whole packet.
    let mut atomic = frag6(17, 0, false, 7);
    atomic.extend(&u);
    expect_v6(RAW, &ipv6(v6addr(1), v6addr(2), 44, &atomic));
    // Anything else ends the walk: ESP is not UDP.
    let (_, stats) = one(RAW, &ipv6(v6addr(1), v6addr(2), 50, &u));
    assert_eq!(stats.non_udp, 1);
    // An extension header running past the payload length.
    let (_, stats) = one(
        RAW,
        &ipv6(v6addr(1), v6addr(2), 60, &[17, 4, 0, 0, 0, 0, 0, 0]),
    );
    assert_eq!(stats.malformed, 1);
}

#[test]
fn supported_link_types() {
    for lt in [0, 1, 12, 14, 101, 108, 113, 228, 229, 276] {
        assert!(link_type_supported(lt), "{lt}");
    }
    for lt in [105, 127, 147, 192, 0x10001] {
        assert!(!link_type_supported(lt), "{lt}");
    }
}
