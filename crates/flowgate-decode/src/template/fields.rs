//! Which record field an information element fills. Decided once per
//! template (in `compile.rs`), including fallbacks that depend on what else
//! the template carries, so the per-record code only executes the decision.

use super::store::Proto as Wire;

/// RFC 5103 reverse elements.
pub(crate) const PEN_REVERSE: u32 = 29305;
/// VMware; Open vSwitch uses it for its tunnel elements.
pub(crate) const PEN_VMWARE: u32 = 6876;

/// What to do with one field of a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Target {
    /// Padding (IE 210), 0-length fields.
    Skip,
    /// No field of its own: `push_extra(pen, id, value)`.
    Extra,
    /// IE 315 dataLinkFrameSection: a sampled frame, parsed like an sFlow header.
    DataLinkFrame,
    Bytes,
    Packets,
    /// NSEL 231 when the template has no other byte counter.
    BytesAndInitiator,
    InitiatorBytes,
    ResponderBytes,
    ReverseBytes,
    ReversePackets,
    DroppedBytes,
    DroppedPackets,
    IpProto,
    IpTos,
    TcpFlags,
    SrcPort,
    DstPort,
    SrcAddr,
    DstAddr,
    SrcNet,
    DstNet,
    NextHop,
    BgpNextHop,
    InIf,
    OutIf,
    SrcAs,
    DstAs,
    FlowLabel,
    IcmpTypeCode,
    IcmpType,
    IcmpCode,
    SrcMac,
    DstMac,
    SrcVlan,
    DstVlan,
    VlanId,
    Etype,
    IpVersion,
    FlowDirection,
    ForwardingStatus,
    IpTtl,
    FlowEndReason,
    ObservationPointId,
    EngineType,
    EngineId,
    InIfName,
    OutIfName,
    InIfDescription,
    OutIfDescription,
    TunnelType,
    TunnelKey,
    TunnelSrcAddr,
    TunnelDstAddr,
    TunnelProto,
    TunnelSrcPort,
    TunnelDstPort,
    /// v9 21/22: relative to the header's sysUptime.
    StartUptimeV9,
    EndUptimeV9,
    /// IPFIX 21/22: relative to systemInitTimeMilliseconds, resolved after the record.
    StartUptime,
    EndUptime,
    /// IPFIX 160 in a data record (also kept in extras).
    InitTime,
    StartSecs,
    EndSecs,
    StartMillis,
    EndMillis,
    StartMicrosNtp,
    EndMicrosNtp,
    StartNanosNtp,
    EndNanosNtp,
    StartDeltaMicros,
    EndDeltaMicros,
    /// 34/50 carried in a data record.
    SamplingRate,
    /// 48/302 carried in a data record (also kept in extras).
    SamplerId,
    // Options data records only.
    OptSamplerId,
    OptInterval,
    OptRandomInterval,
    OptPacketInterval,
    OptPacketSpace,
    OptSamplingSize,
    OptSamplingPopulation,
    OptInitTime,
}

/// What a target accepts; anything else goes to extras.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    Any,
    /// 1..=8 bytes (reduced-size encoding).
    Uint,
    /// 4 or 16 bytes.
    Addr,
    /// Exactly 8 bytes (NTP timestamps).
    Ntp,
    /// 1..=8 bytes, or variable (checked per record).
    UintOrVar,
}

fn shape(t: Target) -> Shape {
    use Target::*;
    match t {
        Skip | Extra | DataLinkFrame | InIfName | OutIfName | InIfDescription
        | OutIfDescription => Shape::Any,
        TunnelKey => Shape::UintOrVar,
        SrcAddr | DstAddr | NextHop | BgpNextHop | TunnelSrcAddr | TunnelDstAddr => Shape::Addr,
        StartMicrosNtp | EndMicrosNtp | StartNanosNtp | EndNanosNtp => Shape::Ntp,
        _ => Shape::Uint,
    }
}

/// Keeps `t` when a field of `len` bytes (`None`: variable) fits it.
pub(crate) fn fit(t: Target, len: Option<u16>) -> Target {
    let ok = match (shape(t), len) {
        (Shape::Any, _) | (Shape::UintOrVar, None) => true,
        (_, None) => false,
        (Shape::UintOrVar, Some(n)) => (1..=8).contains(&n),
        (Shape::Uint, Some(n)) => (1..=8).contains(&n),
        (Shape::Addr, Some(n)) => n == 4 || n == 16,
        (Shape::Ntp, Some(n)) => n == 8,
    };
    if ok {
        t
    } else {
        Target::Extra
    }
}

/// Presence of IANA elements below 512 in a template, for fallbacks.
#[derive(Default)]
pub(crate) struct Present([u64; 8]);

impl Present {
    pub(crate) fn add(&mut self, id: u16) {
        if id < 512 {
            self.0[id as usize / 64] |= 1 << (id % 64);
        }
    }

    pub(crate) fn has(&self, id: u16) -> bool {
        id < 512 && self.0[id as usize / 64] & (1 << (id % 64)) != 0
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    None,
    In,
    Out,
}

/// Order-dependent choices while walking one template: which interface
/// 82/83 belong to (Open vSwitch egress templates carry each twice).
pub(crate) struct Walk {
    side: Side,
    name: [bool; 2],
    descr: [bool; 2],
}

impl Walk {
    pub(crate) fn new() -> Self {
        Walk {
            side: Side::None,
            name: [false; 2],
            descr: [false; 2],
        }
    }

    fn interface_string(&mut self, descr: bool) -> Target {
        let used = if descr {
            &mut self.descr
        } else {
            &mut self.name
        };
        let slot = match self.side {
            Side::In => 0,
            Side::Out => 1,
            // No interface element before it: first in, second out.
            Side::None => usize::from(used[0]),
        };
        if used[slot] {
            return Target::Extra;
        }
        used[slot] = true;
        match (descr, slot) {
            (false, 0) => Target::InIfName,
            (false, _) => Target::OutIfName,
            (true, 0) => Target::InIfDescription,
            (true, _) => Target::OutIfDescription,
        }
    }
}

/// The target of one field of a data record.
pub(crate) fn data_target(proto: Wire, pen: u32, id: u16, p: &Present, w: &mut Walk) -> Target {
    use Target::*;
    match pen {
        0 => {}
        PEN_REVERSE => {
            return match id {
                1 => ReverseBytes,
                2 => ReversePackets,
                _ => Extra,
            }
        }
        PEN_VMWARE => {
            return match id {
                891 => TunnelType,
                892 => TunnelKey,
                893 => TunnelSrcAddr,
                894 => TunnelDstAddr,
                895 => TunnelProto,
                896 => TunnelSrcPort,
                897 => TunnelDstPort,
                _ => Extra,
            }
        }
        _ => return Extra,
    }
    let ipfix = proto == Wire::Ipfix;
    let unless = |other: u16, t: Target| if p.has(other) { Extra } else { t };
    match id {
        1 => Bytes,
        352 => unless(1, Bytes),
        231 if p.has(1) || p.has(352) => InitiatorBytes,
        231 => BytesAndInitiator,
        232 => ResponderBytes,
        2 => Packets,
        298 => unless(2, Packets),
        132 => DroppedBytes,
        133 => DroppedPackets,
        4 => IpProto,
        5 => IpTos,
        6 => TcpFlags,
        7 => SrcPort,
        11 => DstPort,
        8 | 27 => SrcAddr,
        12 | 28 => DstAddr,
        9 | 29 => SrcNet,
        13 | 30 => DstNet,
        15 | 62 => NextHop,
        18 | 63 => BgpNextHop,
        10 | 252 => {
            w.side = Side::In;
            if id == 252 {
                unless(10, InIf)
            } else {
                InIf
            }
        }
        14 | 253 => {
            w.side = Side::Out;
            if id == 253 {
                unless(14, OutIf)
            } else {
                OutIf
            }
        }
        82 => w.interface_string(false),
        83 => w.interface_string(true),
        16 => SrcAs,
        17 => DstAs,
        31 => FlowLabel,
        32 | 139 => IcmpTypeCode,
        176 | 178 => IcmpType,
        177 | 179 => IcmpCode,
        56 => SrcMac,
        81 => unless(56, SrcMac),
        80 => DstMac,
        57 => unless(80, DstMac),
        58 => SrcVlan,
        59 => DstVlan,
        243 => VlanId,
        256 => Etype,
        60 => unless(256, IpVersion),
        61 => FlowDirection,
        89 => ForwardingStatus,
        192 => IpTtl,
        136 => FlowEndReason,
        138 => ObservationPointId,
        38 => EngineType,
        39 => EngineId,
        22 if ipfix => StartUptime,
        21 if ipfix => EndUptime,
        22 => StartUptimeV9,
        21 => EndUptimeV9,
        160 if ipfix => InitTime,
        150 => StartSecs,
        151 => EndSecs,
        152 => StartMillis,
        153 => EndMillis,
        154 => StartMicrosNtp,
        155 => EndMicrosNtp,
        156 => StartNanosNtp,
        157 => EndNanosNtp,
        158 => StartDeltaMicros,
        159 => EndDeltaMicros,
        34 | 50 => SamplingRate,
        48 | 302 => SamplerId,
        210 => Skip,
        315 => DataLinkFrame,
        _ => Extra,
    }
}

/// The target of one field of an options data record. NetFlow v9 scope
/// fields are scope types (System, Interface, ...), not elements.
pub(crate) fn options_target(proto: Wire, pen: u32, id: u16, scope: bool) -> Target {
    use Target::*;
    if pen != 0 || (scope && proto == Wire::V9) {
        return Skip;
    }
    match id {
        48 | 302 => OptSamplerId,
        34 => OptInterval,
        50 => OptRandomInterval,
        305 => OptPacketInterval,
        306 => OptPacketSpace,
        309 => OptSamplingSize,
        310 => OptSamplingPopulation,
        160 => OptInitTime,
        _ => Skip,
    }
}
