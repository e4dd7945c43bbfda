//! NetFlow v1, v5 and v7: a fixed header and fixed-size records, no templates.

use flowgate_record::{FlowRecord, FlowType, RecordBatch};

use crate::bytes::{ipv4_at, u16_at, u32_at, uptime_to_ns};
use crate::error::{DecodeError, ErrorKind};
use crate::report::{DatagramReport, Protocol};
use crate::Exporter;

struct Layout {
    protocol: Protocol,
    flow_type: FlowType,
    header_len: usize,
    record_len: usize,
}

const V1: Layout = Layout {
    protocol: Protocol::NetflowV1,
    flow_type: FlowType::NetflowV1,
    header_len: 16,
    record_len: 48,
};
const V5: Layout = Layout {
    protocol: Protocol::NetflowV5,
    flow_type: FlowType::NetflowV5,
    header_len: 24,
    record_len: 48,
};
const V7: Layout = Layout {
    protocol: Protocol::NetflowV7,
    flow_type: FlowType::NetflowV7,
    header_len: 24,
    record_len: 52,
};

pub(crate) fn decode(
    exporter: &Exporter,
    data: &[u8],
    out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    let layout = match u16_at_checked(data)? {
        1 => &V1,
        5 => &V5,
        7 => &V7,
        _ => {
            return Err(DecodeError::new(
                ErrorKind::UnknownVersion,
                "not NetFlow v1/v5/v7",
            ))
        }
    };
    if data.len() < layout.header_len {
        return Err(DecodeError::new(ErrorKind::Truncated, "NetFlow header"));
    }
    let count = u16_at(data, 2);
    let uptime_ms = u32_at(data, 4);
    let export_ns =
        u32_at(data, 8) as u64 * 1_000_000_000 + (u32_at(data, 12) % 1_000_000_000) as u64;
    let mut report = DatagramReport {
        protocol: layout.protocol,
        header_count: count,
        ..Default::default()
    };
    let (mut sequence, mut engine, mut sampling) = (0u32, None, 0u64);
    if layout.header_len == 24 {
        sequence = u32_at(data, 16);
        if layout.protocol == Protocol::NetflowV5 {
            engine = Some((data[20], data[21]));
            // The top two bits are the sampling mode; the rest is the interval.
            sampling = (u16_at(data, 22) & 0x3fff) as u64;
        }
    }
    report.sequence = sequence;

    let body = &data[layout.header_len..];
    let present = body.len() / layout.record_len;
    // Some exporters lie about the count (logstash's invalid v5 fixtures say
    // 55582 for 30 records): decode what is really there and say so.
    let n = (count as usize).min(present);
    if (count as usize) > present {
        report.issues.add(ErrorKind::CountMismatch);
    }
    for i in 0..n {
        let rec = &body[i * layout.record_len..(i + 1) * layout.record_len];
        let r = out.push();
        r.flow_type = layout.flow_type;
        r.time_received_ns = exporter.received_ns;
        r.sampler_address = Some(exporter.addr.ip());
        r.sampler_port = exporter.addr.port();
        r.sequence_num = sequence;
        r.sampling_rate = sampling;
        if let Some((t, id)) = engine {
            r.engine_type = Some(t);
            r.engine_id = Some(id);
        }
        fill_common(r, rec, export_ns, uptime_ms);
        match layout.protocol {
            Protocol::NetflowV1 => {
                r.proto = rec[38];
                r.ip_tos = rec[39];
                r.tcp_flags = rec[40] as u16;
            }
            _ => {
                r.tcp_flags = rec[37] as u16;
                r.proto = rec[38];
                r.ip_tos = rec[39];
                r.src_as = u16_at(rec, 40) as u32;
                r.dst_as = u16_at(rec, 42) as u32;
                r.src_net = rec[44];
                r.dst_net = rec[45];
            }
        }
        icmp_from_port(r);
    }
    report.records = n as u32;
    Ok(report)
}

fn u16_at_checked(data: &[u8]) -> Result<u16, DecodeError> {
    if data.len() < 2 {
        return Err(DecodeError::new(ErrorKind::Truncated, "version field"));
    }
    Ok(u16_at(data, 0))
}

/// The first 36 bytes are laid out alike in v1, v5 and v7.
fn fill_common(r: &mut FlowRecord, rec: &[u8], export_ns: u64, uptime_ms: u32) {
    r.etype = 0x0800;
    r.src_addr = Some(ipv4_at(rec, 0));
    r.dst_addr = Some(ipv4_at(rec, 4));
    r.next_hop = Some(ipv4_at(rec, 8));
    r.in_if = u16_at(rec, 12) as u32;
    r.out_if = u16_at(rec, 14) as u32;
    r.packets = u32_at(rec, 16) as u64;
    r.bytes = u32_at(rec, 20) as u64;
    r.time_flow_start_ns = uptime_to_ns(export_ns, uptime_ms, u32_at(rec, 24));
    r.time_flow_end_ns = uptime_to_ns(export_ns, uptime_ms, u32_at(rec, 28));
    r.src_port = u16_at(rec, 32);
    r.dst_port = u16_at(rec, 34);
}

/// NetFlow v5 has no ICMP fields: exporters put type·256+code in the
/// destination port (fprobe puts the type in the source port instead; that
/// quirk is left visible in the ports).
fn icmp_from_port(r: &mut FlowRecord) {
    if r.proto == 1 || r.proto == 58 {
        r.icmp_type = (r.dst_port >> 8) as u8;
        r.icmp_code = r.dst_port as u8;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn v5_datagram(count_field: u16, records: usize) -> Vec<u8> {
        let mut d = vec![0u8; 24 + 48 * records];
        d[0..2].copy_from_slice(&5u16.to_be_bytes());
        d[2..4].copy_from_slice(&count_field.to_be_bytes());
        d[4..8].copy_from_slice(&10_000u32.to_be_bytes()); // uptime 10 s
        d[8..12].copy_from_slice(&1_700_000_000u32.to_be_bytes());
        d[12..16].copy_from_slice(&500u32.to_be_bytes());
        d[16..20].copy_from_slice(&42u32.to_be_bytes());
        d[20] = 47;
        d[21] = 209;
        d[22..24].copy_from_slice(&(0x4000u16 | 100).to_be_bytes());
        for i in 0..records {
            let r = &mut d[24 + 48 * i..24 + 48 * (i + 1)];
            r[0..4].copy_from_slice(&[10, 0, 0, i as u8]);
            r[4..8].copy_from_slice(&[10, 0, 1, 1]);
            r[12..14].copy_from_slice(&3u16.to_be_bytes());
            r[16..20].copy_from_slice(&7u32.to_be_bytes());
            r[20..24].copy_from_slice(&700u32.to_be_bytes());
            r[24..28].copy_from_slice(&4_000u32.to_be_bytes());
            r[28..32].copy_from_slice(&9_000u32.to_be_bytes());
            r[32..34].copy_from_slice(&1234u16.to_be_bytes());
            r[34..36].copy_from_slice(&80u16.to_be_bytes());
            r[37] = 0x12;
            r[38] = 6;
            r[44] = 24;
        }
        d
    }

    fn exporter() -> Exporter {
        Exporter {
            addr: "192.0.2.1:9995".parse().unwrap(),
            received_ns: 1,
        }
    }

    #[test]
    fn v5_fields_and_times() {
        let mut out = RecordBatch::new();
        let rep = decode(&exporter(), &v5_datagram(2, 2), &mut out).unwrap();
        assert_eq!(rep.records, 2);
        assert_eq!(rep.sequence, 42);
        let r = &out.as_slice()[1];
        assert_eq!(r.flow_type, FlowType::NetflowV5);
        assert_eq!(r.src_addr, Some("10.0.0.1".parse().unwrap()));
        assert_eq!(
            (r.src_port, r.dst_port, r.proto, r.tcp_flags),
            (1234, 80, 6, 0x12)
        );
        assert_eq!((r.packets, r.bytes, r.in_if, r.src_net), (7, 700, 3, 24));
        assert_eq!(r.sampling_rate, 100);
        assert_eq!((r.engine_type, r.engine_id), (Some(47), Some(209)));
        let export = 1_700_000_000_000_000_500u64;
        assert_eq!(r.time_flow_start_ns, export - 6_000_000_000);
        assert_eq!(r.time_flow_end_ns, export - 1_000_000_000);
    }

    #[test]
    fn lying_count_decodes_what_is_present_and_says_so() {
        let mut out = RecordBatch::new();
        let rep = decode(&exporter(), &v5_datagram(55582, 3), &mut out).unwrap();
        assert_eq!(rep.records, 3);
        assert_eq!(rep.issues.get(ErrorKind::CountMismatch), 1);
        // fewer announced than present: trust the count (trailing bytes are padding)
        out.clear();
        let rep = decode(&exporter(), &v5_datagram(1, 3), &mut out).unwrap();
        assert_eq!(rep.records, 1);
    }

    #[test]
    fn truncated_header_is_an_error() {
        let mut out = RecordBatch::new();
        let err = decode(&exporter(), &v5_datagram(1, 1)[..20], &mut out).unwrap_err();
        assert_eq!(err.kind, ErrorKind::Truncated);
        assert!(out.is_empty());
    }

    #[test]
    fn v1_layout_has_no_sequence_and_its_own_field_offsets() {
        // 16-byte header (version, count, uptime, secs, nsecs), 48-byte records
        let mut d = vec![0u8; 16 + 48];
        d[0..2].copy_from_slice(&1u16.to_be_bytes());
        d[2..4].copy_from_slice(&1u16.to_be_bytes());
        d[4..8].copy_from_slice(&10_000u32.to_be_bytes());
        d[8..12].copy_from_slice(&1_700_000_000u32.to_be_bytes());
        let r = &mut d[16..];
        r[0..4].copy_from_slice(&[192, 0, 2, 1]);
        r[4..8].copy_from_slice(&[192, 0, 2, 2]);
        r[16..20].copy_from_slice(&2u32.to_be_bytes());
        r[20..24].copy_from_slice(&84u32.to_be_bytes());
        r[34..36].copy_from_slice(&0x0800u16.to_be_bytes()); // ICMP echo: type 8 code 0
        r[38] = 1; // prot
        r[39] = 0x10; // tos
        r[40] = 0x02; // flags
        let mut out = RecordBatch::new();
        let rep = decode(&exporter(), &d, &mut out).unwrap();
        assert_eq!(
            (rep.protocol, rep.records, rep.sequence),
            (Protocol::NetflowV1, 1, 0)
        );
        let r = &out.as_slice()[0];
        assert_eq!(r.flow_type, FlowType::NetflowV1);
        assert_eq!((r.proto, r.ip_tos, r.tcp_flags), (1, 0x10, 0x02));
        assert_eq!((r.icmp_type, r.icmp_code), (8, 0));
        assert_eq!((r.packets, r.bytes), (2, 84));
        assert_eq!((r.engine_type, r.src_as), (None, 0));
    }

    #[test]
    fn v7_records_are_52_bytes_with_as_and_masks() {
        // fprobe's v7: 24-byte header with a sequence, 52-byte records
        let mut d = vec![0u8; 24 + 2 * 52];
        d[0..2].copy_from_slice(&7u16.to_be_bytes());
        d[2..4].copy_from_slice(&2u16.to_be_bytes());
        d[16..20].copy_from_slice(&27u32.to_be_bytes());
        for i in 0..2 {
            let r = &mut d[24 + 52 * i..24 + 52 * (i + 1)];
            r[0..4].copy_from_slice(&[10, 0, 0, 1 + i as u8]);
            r[32..34].copy_from_slice(&5353u16.to_be_bytes());
            r[37] = 0x18;
            r[38] = 17;
            r[40..42].copy_from_slice(&64_512u16.to_be_bytes());
            r[44] = 16;
            r[48..52].copy_from_slice(&[10, 255, 0, 1]); // router_sc, not a field of ours
        }
        let mut out = RecordBatch::new();
        let rep = decode(&exporter(), &d, &mut out).unwrap();
        assert_eq!(
            (rep.protocol, rep.records, rep.sequence),
            (Protocol::NetflowV7, 2, 27)
        );
        let r = &out.as_slice()[1];
        assert_eq!(r.flow_type, FlowType::NetflowV7);
        assert_eq!(r.src_addr, Some("10.0.0.2".parse().unwrap()));
        assert_eq!((r.src_port, r.proto, r.tcp_flags), (5353, 17, 0x18));
        assert_eq!((r.src_as, r.src_net, r.sequence_num), (64_512, 16, 27));
        assert_eq!(r.sampling_rate, 0, "v7 has no sampling field");
    }
}
