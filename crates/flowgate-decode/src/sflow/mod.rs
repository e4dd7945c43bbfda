//! sFlow version 5 (sflow.org sflow_version_5.txt, plus the drop
//! notification, tunnel and Open vSwitch structures).
//!
//! * Each flow sample (compact 0/1 or expanded 0/3) becomes one
//!   [`FlowRecord`](flowgate_record::FlowRecord) describing one sampled
//!   packet: `packets` = 1, `bytes` = the frame length, `sampling_rate` =
//!   the sample's rate. **The rate is not applied here**: records carry the
//!   raw values and whoever aggregates multiplies, so a re-export or a
//!   change of policy never double-counts.
//! * Each discarded-packet sample (0/5) becomes one record too, with its
//!   `drop_reason` and what its flow records say about the packet.
//! * Counter samples (0/2, 0/4) become [`CounterRecord`]s.
//! * `sampler_address` is the agent address from the datagram, not the UDP
//!   source: an agent may send from another address, or through a relay.
//! * Unknown sample and record formats are skipped by their length. A
//!   length that runs past the bytes present is counted in the report's
//!   issues and ends the datagram: records already decoded are kept, the
//!   sample being decoded is dropped.

mod counters;
mod flow;
mod records;
mod xdr;

#[cfg(test)]
mod tests;

use std::net::IpAddr;

use flowgate_record::{CounterRecord, RecordBatch};

use crate::error::{DecodeError, ErrorKind};
use crate::report::{DatagramReport, Protocol};
use crate::Exporter;
use xdr::Xdr;

/// What every sample of a datagram shares.
pub(crate) struct Header {
    pub agent: IpAddr,
    pub sub_agent: u32,
    pub sequence: u32,
    pub uptime_ms: u32,
    pub received_ns: u64,
}

pub(crate) fn decode(
    exporter: &Exporter,
    data: &[u8],
    flows: &mut RecordBatch,
    counters: &mut Vec<CounterRecord>,
) -> Result<DatagramReport, DecodeError> {
    let truncated = || DecodeError::new(ErrorKind::Truncated, "sFlow datagram header");
    let mut x = Xdr::new(data);
    if x.u32().ok_or_else(truncated)? != 5 {
        return Err(DecodeError::new(ErrorKind::UnknownVersion, "not sFlow v5"));
    }
    let agent = match x.address().ok_or_else(truncated)? {
        Ok(Some(a)) => a,
        _ => {
            return Err(DecodeError::new(
                ErrorKind::Malformed,
                "sFlow agent address type is not IPv4 or IPv6",
            ))
        }
    };
    let (Some(sub_agent), Some(sequence), Some(uptime_ms), Some(n_samples)) =
        (x.u32(), x.u32(), x.u32(), x.u32())
    else {
        return Err(truncated());
    };
    let hdr = Header {
        agent,
        sub_agent,
        sequence,
        uptime_ms,
        received_ns: exporter.received_ns,
    };
    let mut report = DatagramReport {
        protocol: Protocol::Sflow5,
        sequence,
        domain: sub_agent,
        agent: Some(agent),
        ..Default::default()
    };
    let flows_before = flows.len();
    // Each sample takes at least 8 bytes, so a lying count ends with the data.
    for _ in 0..n_samples {
        if x.remaining() == 0 {
            report.issues.add(ErrorKind::CountMismatch);
            break;
        }
        let (Some(format), Some(len)) = (x.u32(), x.u32()) else {
            report.issues.add(ErrorKind::Truncated);
            break;
        };
        let Some(body) = x.bytes(len as usize) else {
            report.issues.add(ErrorKind::BadLength);
            break;
        };
        if let Err(kind) = sample(&hdr, format, body, flows, counters, &mut report) {
            report.issues.add(kind);
            break;
        }
    }
    report.records = (flows.len() - flows_before) as u32;
    Ok(report)
}

fn sample(
    hdr: &Header,
    format: u32,
    body: &[u8],
    flows: &mut RecordBatch,
    counters: &mut Vec<CounterRecord>,
    report: &mut DatagramReport,
) -> Result<(), ErrorKind> {
    use flow::Kind;
    let (count, result) = match (format >> 12, format & 0xfff) {
        (0, 1) => (
            &mut report.flow_samples,
            flow::sample(hdr, Kind::Compact, body, flows),
        ),
        (0, 3) => (
            &mut report.flow_samples,
            flow::sample(hdr, Kind::Expanded, body, flows),
        ),
        (0, 5) => (
            &mut report.drop_samples,
            flow::sample(hdr, Kind::Discard, body, flows),
        ),
        (0, 2) => (
            &mut report.counter_samples,
            counters::sample(hdr, false, body, counters),
        ),
        (0, 4) => (
            &mut report.counter_samples,
            counters::sample(hdr, true, body, counters),
        ),
        _ => (&mut report.unknown_samples, Ok(None)),
    };
    // A sample that decoded but whose record count lied is kept, and said.
    let issue = result?;
    *count += 1;
    if let Some(kind) = issue {
        report.issues.add(kind);
    }
    Ok(())
}

/// Walks a sample's `record<>` list (count, then format/length/data each),
/// handing each record's bytes to `f`. A record longer than the sample is
/// an error; a count larger than the records present is reported but keeps
/// what was read.
fn each_record<'a>(
    x: &mut Xdr<'a>,
    mut f: impl FnMut(u32, &'a [u8]) -> Result<(), ErrorKind>,
) -> Result<Option<ErrorKind>, ErrorKind> {
    let n = x.u32().ok_or(ErrorKind::BadLength)?;
    for _ in 0..n {
        if x.remaining() == 0 {
            return Ok(Some(ErrorKind::CountMismatch));
        }
        let (Some(format), Some(len)) = (x.u32(), x.u32()) else {
            return Err(ErrorKind::BadLength);
        };
        let data = x.bytes(len as usize).ok_or(ErrorKind::BadLength)?;
        f(format, data)?;
    }
    Ok(None)
}
