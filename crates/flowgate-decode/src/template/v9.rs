//! NetFlow v9 (RFC 3954) message header.

use flowgate_record::RecordBatch;

use super::pending::HeaderCtx;
use super::sets::decode_message;
use super::store::{DomainKey, Proto};
use super::TemplateStore;
use crate::bytes::{u16_at, u32_at};
use crate::{DatagramReport, DecodeError, ErrorKind, Exporter, Protocol};

const HEADER_LEN: usize = 20;

pub(crate) fn decode(
    store: &mut TemplateStore,
    exporter: &Exporter,
    data: &[u8],
    out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    if data.len() < HEADER_LEN {
        return Err(DecodeError::new(ErrorKind::Truncated, "NetFlow v9 header"));
    }
    let hdr = HeaderCtx {
        key: DomainKey {
            proto: Proto::V9,
            domain: u32_at(data, 16),
        },
        sequence: u32_at(data, 12),
        export_secs: u32_at(data, 8),
        uptime_ms: u32_at(data, 4),
        received_ns: exporter.received_ns,
    };
    // `count` is not used to find the records: softflowd counts only the
    // templates of its first datagram. The flowsets are walked by length.
    let mut report = DatagramReport {
        protocol: Protocol::NetflowV9,
        sequence: hdr.sequence,
        header_count: u16_at(data, 2),
        domain: hdr.key.domain,
        ..Default::default()
    };
    decode_message(store, exporter, hdr, &data[HEADER_LEN..], out, &mut report);
    Ok(report)
}
