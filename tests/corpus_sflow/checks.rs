//! What flowgate's own values must be where tshark cannot be the oracle.

use std::net::IpAddr;

use flowgate_decode::{ErrorKind, Protocol};

use super::Run;

/// A capture where tshark 4.0 is wrong or silent.
pub(super) struct Known {
    pub capture: &'static str,
    pub why: &'static str,
    /// tshark's generic interface blocks are right in the frames it does
    /// not flag as malformed.
    pub generic_ok_unflagged: bool,
    /// Checks flowgate's own values where tshark cannot be the oracle.
    pub check: fn(&Run) -> Result<(), String>,
}

pub(super) const KNOWN_TSHARK_ERRORS: &[Known] = &[
    Known {
        capture: "tcpdump-sflow-counters-30pdus.pcap",
        why: "frames 12/18: host-sflow counter blocks 2000-2006 make tshark throw; \
              frames 13,19-22: NetFlow v5 sent to the sFlow port, not sFlow to tshark",
        generic_ok_unflagged: true,
        check: check_30pdus,
    },
    Known {
        capture: "tcpdump-sflow-fuzz-segv.pcap",
        why: "fuzzer-made: its UDP length (16) leaves 8 bytes of sFlow; tshark throws",
        generic_ok_unflagged: true,
        check: check_fuzz,
    },
    Known {
        capture: "telegraf-sflow.pcap",
        why: "Open vSwitch-style port_name (1005) block: tshark mis-skips it and \
              decodes the generic block that follows as 100BaseVG",
        generic_ok_unflagged: false,
        check: check_telegraf_port_name,
    },
    Known {
        capture: "telegraf-sflow-drop.pcap",
        why: "tshark 4.0 does not decode discarded_packet (0/5) samples",
        generic_ok_unflagged: true,
        check: check_telegraf_drop,
    },
];

/// Where tshark decodes less than flowgate without being wrong.
pub(super) const TSHARK_STOPS_EARLIER: &[(&str, &str)] = &[(
    "akvorado-sflow-encap-vxlan.pcap",
    "tshark does not decode VXLAN inside sFlow headers: its tuple is compared \
     with flowgate's tunnel_* (outer) fields; the inner flow is checked here",
)];

fn ip(s: &str) -> Option<IpAddr> {
    Some(s.parse().unwrap())
}

fn ensure(ok: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(what())
    }
}

fn check_30pdus(run: &Run) -> Result<(), String> {
    let (mut netflow, mut host) = (0, 0);
    for (i, rep) in run.reports.iter().enumerate() {
        let rep = rep.as_ref().map_err(|e| format!("frame {}: {e}", i + 1))?;
        ensure(rep.issues.is_empty(), || {
            format!("frame {}: {:?}", i + 1, rep.issues)
        })?;
        if rep.protocol == Protocol::NetflowV5 {
            netflow += 1;
            ensure(
                rep.records == rep.header_count as u32 && rep.records > 0,
                || format!("frame {}: NetFlow v5 records {}", i + 1, rep.records),
            )?;
        }
        for c in &run.counters[i] {
            if c.sub_agent_id == 100 {
                // host_descr, adapters, cpu, memory, disk, net...: all skipped whole
                host += 1;
                ensure(
                    c.unknown_records == 6 && c.generic_interface.is_none(),
                    || format!("frame {}: host counters {c:?}", i + 1),
                )?;
            }
        }
    }
    ensure(netflow == 5 && host == 2, || {
        format!("{netflow} NetFlow v5 datagrams, {host} host counter samples")
    })
}

fn check_fuzz(run: &Run) -> Result<(), String> {
    // version and agent type only: the whole datagram is refused, nothing decoded
    ensure(
        run.reports[0]
            .as_ref()
            .is_err_and(|e| e.starts_with(ErrorKind::Truncated.as_str()))
            && run.flows[0].is_empty(),
        || format!("expected a truncated datagram, got {:?}", run.reports[0]),
    )
}

fn check_telegraf_port_name(run: &Run) -> Result<(), String> {
    let c = run.counters[0].first().ok_or("no counter sample")?;
    let g = c.generic_interface.ok_or("no generic interface block")?;
    ensure(
        c.port_name.as_deref() == Some("eno1")
            && (c.source_id_class, c.source_id_index) == (0, 3)
            && (g.if_index, g.if_speed) == (3, 1_000_000_000)
            && c.unknown_records == 0,
        || format!("{c:?}"),
    )
}

fn check_telegraf_drop(run: &Run) -> Result<(), String> {
    let f = run.flows[0].first().ok_or("no drop record")?;
    ensure(
        (f.ext().sample_drops, f.in_if, f.out_if) == (Some(256), 1, 2)
            && (f.ext().drop_reason, f.ext().egress_queue) == (Some(1), Some(42))
            && f.sampler_address == ip("192.168.119.184"),
        || format!("{f:?}"),
    )
}

pub(super) fn vxlan_inner(run: &Run) -> Result<(), String> {
    let f = run.flows[0].first().ok_or("no flow record")?;
    ensure(
        (f.src_addr, f.dst_addr) == (ip("2001:db8:4::1"), ip("2001:db8:4::3"))
            && (f.proto, f.icmp_type, f.etype) == (58, 128, 0x86dd)
            && (f.ext().tunnel_type, f.ext().tunnel_key) == (Some(1), Some(100))
            && f.src_mac == 0xca6e_98f8_498f,
        || format!("{f:?}"),
    )
}
