//! Open vSwitch IPFIX shapes (docs/exporters.md "Template building blocks").

use super::builder::*;

const VMW: u32 = 6876;

/// Egress, IPv4, UDP, tunnel: every block but VLAN.
pub(crate) const OVS_EGRESS_TUNNEL: [Field; 57] = [
    // common key
    f(138, 4),
    f(61, 1),
    f(56, 6),
    f(80, 6),
    f(256, 2),
    f(240, 1),
    // ingress interface
    f(10, 4),
    f(368, 4),
    f(82, VAR),
    f(83, VAR),
    // egress interface
    f(14, 4),
    f(369, 4),
    f(82, VAR),
    f(83, VAR),
    // IP
    f(60, 1),
    f(192, 1),
    f(4, 1),
    f(195, 1),
    f(196, 1),
    f(5, 1),
    f(8, 4),
    f(12, 4),
    // L4
    f(7, 2),
    f(11, 2),
    // tunnel
    e(VMW, 893, 4),
    e(VMW, 894, 4),
    e(VMW, 895, 1),
    e(VMW, 896, 2),
    e(VMW, 897, 2),
    e(VMW, 891, 1),
    e(VMW, 892, VAR),
    // counters
    f(158, 4),
    f(159, 4),
    f(133, 8),
    f(135, 8),
    f(2, 8),
    f(86, 8),
    f(354, 8),
    f(355, 8),
    f(356, 8),
    f(357, 8),
    f(358, 8),
    f(19, 8),
    f(174, 8),
    f(352, 8),
    f(353, 8),
    f(136, 1),
    // IP counters
    f(132, 8),
    f(134, 8),
    f(1, 8),
    f(85, 8),
    f(198, 8),
    f(199, 8),
    f(25, 8),
    f(26, 8),
    f(20, 8),
    f(175, 8),
];

/// 256 + 4·(5·(3·L2 + L3) + L4) + 2·tunnel + direction, with Ethernet (0),
/// IPv4 (1), UDP (2), tunnel, egress.
pub(crate) const OVS_TEMPLATE_ID: u16 = 256 + 4 * (5 + 2) + 2 + 1;

/// One sampled UDP packet, as OVS with sampling=400 reports it.
pub(crate) fn ovs_record() -> Rec {
    Rec::new()
        .u32(0) // observation point
        .u8(1) // egress
        .bytes(&[0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f])
        .bytes(&[0x02, 0, 0, 0, 0, 0x01])
        .u16(0x0800)
        .u8(14)
        .u32(5)
        .u32(6)
        .var(b"veth1")
        .var(b"")
        .u32(7)
        .u32(6)
        .var(b"veth2")
        .var(b"")
        .u8(4)
        .u8(64)
        .u8(17)
        .u8(0)
        .u8(0)
        .u8(0)
        .ip("10.244.0.5")
        .ip("10.244.1.7")
        .u16(5353)
        .u16(53)
        .ip("172.16.0.1")
        .ip("172.16.0.2")
        .u8(17)
        .u16(49152)
        .u16(4789)
        .u8(1) // VXLAN
        .var(&[0, 0, 0x10]) // VNI 16
        .u32(2_500_000) // start 2.5 s before export
        .u32(500_000)
        .u64(400) // "dropped" packets
        .u64(13_042)
        .u64(400) // packetDeltaCount, already scaled
        .u64(26_000) // exporter-wide running total
        .u64(1)
        .u64(2)
        .u64(3)
        .u64(4)
        .u64(5)
        .u64(0)
        .u64(0)
        .u64(400 * 90)
        .u64(9_000_000)
        .u8(2)
        .u64(0)
        .u64(0)
        .u64(400 * 76)
        .u64(5_100_000_000)
        .u64(0)
        .u64(0)
        .u64(76)
        .u64(76)
        .u64(0)
        .u64(0)
}
