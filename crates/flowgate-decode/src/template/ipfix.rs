//! IPFIX (RFC 7011) message header.

use flowgate_record::RecordBatch;

use super::pending::HeaderCtx;
use super::sets::decode_message;
use super::store::{DomainKey, Proto};
use super::TemplateStore;
use crate::bytes::{u16_at, u32_at};
use crate::{DatagramReport, DecodeError, ErrorKind, Exporter, Protocol};

const HEADER_LEN: usize = 16;

pub(crate) fn decode(
    store: &mut TemplateStore,
    exporter: &Exporter,
    data: &[u8],
    out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    if data.len() < HEADER_LEN {
        return Err(DecodeError::new(ErrorKind::Truncated, "IPFIX header"));
    }
    let length = u16_at(data, 2) as usize;
    if length < HEADER_LEN {
        return Err(DecodeError::new(
            ErrorKind::BadLength,
            "IPFIX message length shorter than its header",
        ));
    }
    let hdr = HeaderCtx {
        key: DomainKey {
            proto: Proto::Ipfix,
            domain: u32_at(data, 12),
        },
        sequence: u32_at(data, 8),
        export_secs: u32_at(data, 4),
        uptime_ms: 0,
        received_ns: exporter.received_ns,
    };
    let mut report = DatagramReport {
        protocol: Protocol::Ipfix,
        sequence: hdr.sequence,
        domain: hdr.key.domain,
        ..Default::default()
    };
    // A message shorter than its datagram is decoded to its own length
    // (telegraf's issue 14370: 290 in a 292-byte datagram); a longer one as
    // far as the datagram goes.
    let end = if length < data.len() {
        report.issues.add(ErrorKind::BadLength);
        length
    } else {
        if length > data.len() {
            report.issues.add(ErrorKind::Truncated);
        }
        data.len()
    };
    decode_message(
        store,
        exporter,
        hdr,
        &data[HEADER_LEN..end],
        out,
        &mut report,
    );
    Ok(report)
}
