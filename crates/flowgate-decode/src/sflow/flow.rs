//! Flow samples (compact 0/1, expanded 0/3) and discarded-packet samples
//! (0/5): the sample header, then its flow records.

use flowgate_record::{FlowRecord, FlowType, RecordBatch};

use super::records::{self, Sampled};
use super::xdr::Xdr;
use super::{each_record, Header};
use crate::error::ErrorKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Compact,
    Expanded,
    /// discarded_packet: its source ID is the expanded two-word form
    /// (class, index), like goflow2 and host-sflow's encoder; reading it as
    /// one word (as flowparser-sflow 0.3 does) shifts every later field.
    Discard,
}

/// Interface encoding formats (the top 2 bits of a compact interface, or
/// the format word of an expanded one); 0 is a single ifIndex.
const IF_DISCARDED: u32 = 1;
const IF_MULTIPLE: u32 = 2;

pub(crate) fn sample(
    hdr: &Header,
    kind: Kind,
    body: &[u8],
    flows: &mut RecordBatch,
) -> Result<Option<ErrorKind>, ErrorKind> {
    let rec = flows.push();
    let result = fill(hdr, kind, body, rec);
    if result.is_err() {
        flows.pop();
    }
    result
}

fn fill(
    hdr: &Header,
    kind: Kind,
    body: &[u8],
    rec: &mut FlowRecord,
) -> Result<Option<ErrorKind>, ErrorKind> {
    let mut x = Xdr::new(body);
    let mut word = || x.u32().ok_or(ErrorKind::BadLength);
    let _sample_sequence = word()?;
    if kind == Kind::Compact {
        word()?; // source id: class << 24 | index
    } else {
        word()?;
        word()?;
    }
    rec.flow_type = FlowType::Sflow5;
    rec.time_received_ns = hdr.received_ns;
    // A sampled packet is an instant; goflow2 stamps it with the receive time too.
    rec.time_flow_start_ns = hdr.received_ns;
    rec.time_flow_end_ns = hdr.received_ns;
    rec.sequence_num = hdr.sequence;
    rec.sampler_address = Some(hdr.agent);
    rec.ext_mut().sub_agent_id = Some(hdr.sub_agent);
    rec.packets = 1;
    match kind {
        Kind::Compact | Kind::Expanded => {
            rec.sampling_rate = word()?.into();
            rec.ext_mut().sample_pool = Some(word()?);
            rec.ext_mut().sample_drops = Some(word()?);
        }
        Kind::Discard => rec.ext_mut().sample_drops = Some(word()?),
    }
    match kind {
        Kind::Compact => {
            rec.in_if = word()?;
            let output = word()?;
            set_output(rec, output >> 30, output & 0x3fff_ffff);
            rec.out_if = output;
        }
        Kind::Expanded => {
            let _in_format = word()?;
            rec.in_if = word()?;
            let (format, value) = (word()?, word()?);
            set_output(rec, format, value);
        }
        Kind::Discard => {
            rec.in_if = word()?;
            rec.out_if = word()?;
            rec.ext_mut().drop_reason = Some(word()?);
        }
    }
    let mut sampled = Sampled::default();
    let issue = each_record(&mut x, |format, data| {
        records::flow_record(rec, &mut sampled, format, data)
    })?;
    sampled.finish(rec);
    Ok(issue)
}

/// `out_if` keeps the compact encoding as sent (goflow2 does the same), so
/// `0x40000100` still reads as "discarded"; the decoded meaning goes to
/// `drop_reason` / `out_if_multiple`. Expanded samples are given the same
/// compact form when their value fits in 30 bits.
fn set_output(rec: &mut FlowRecord, format: u32, value: u32) {
    rec.out_if = match format {
        IF_DISCARDED | IF_MULTIPLE if value <= 0x3fff_ffff => (format << 30) | value,
        _ => value,
    };
    match format {
        IF_DISCARDED => rec.ext_mut().drop_reason = Some(value),
        IF_MULTIPLE => rec.ext_mut().out_if_multiple = Some(value),
        _ => {}
    }
}
