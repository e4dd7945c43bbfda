//! Walking the sets of one v9 / IPFIX message by their lengths, and what
//! each kind of set does to the store and the batch.

use std::sync::Arc;

use flowgate_record::{FlowType, RecordBatch};

use super::apply::SetCtx;
use super::data::{decode_data, decode_options, SetOutcome};
use super::parse::{template_set, Item, Stop};
use super::pending::HeaderCtx;
use super::store::{ExporterState, Proto, TemplateStore};
use super::Limits;
use crate::bytes::u16_at;
use crate::error::ErrorKind;
use crate::{DatagramReport, Exporter};

enum SetKind {
    Templates { options: bool },
    Data,
    Reserved,
}

fn classify(proto: Proto, id: u16) -> SetKind {
    match (proto, id) {
        (Proto::V9, 0) | (Proto::Ipfix, 2) => SetKind::Templates { options: false },
        (Proto::V9, 1) | (Proto::Ipfix, 3) => SetKind::Templates { options: true },
        (_, 256..) => SetKind::Data,
        _ => SetKind::Reserved,
    }
}

/// Everything the set handlers share for one message.
struct Walker<'a> {
    limits: Limits,
    exporter: &'a Exporter,
    st: &'a mut ExporterState,
    out: &'a mut RecordBatch,
    report: &'a mut DatagramReport,
}

/// Decodes the sets in `body` (the message after its header). Never fails:
/// problems are counted in `report`, and what was decoded before them stays.
pub(crate) fn decode_message(
    store: &mut TemplateStore,
    exporter: &Exporter,
    hdr: HeaderCtx,
    body: &[u8],
    out: &mut RecordBatch,
    report: &mut DatagramReport,
) {
    let limits = store.limits;
    let st = store.exporter_mut(exporter.addr, exporter.received_ns, &mut report.issues);
    if !st.pending.is_empty() {
        let expired = st
            .pending
            .expire(exporter.received_ns, limits.pending_ttl_ns);
        report.issues.add_n(ErrorKind::PendingExpired, expired);
    }
    let mut w = Walker {
        limits,
        exporter,
        st,
        out,
        report,
    };
    let mut pos = 0;
    // A set header needs 4 bytes; fewer left over are padding.
    while body.len() - pos >= 4 {
        let (id, len) = (u16_at(body, pos), u16_at(body, pos + 2) as usize);
        if len < 4 {
            // Zero-filled tails (PAN-OS) are padding; anything else is a lie.
            if !body[pos..].iter().all(|&b| b == 0) {
                w.report.issues.add(ErrorKind::BadLength);
            }
            break;
        }
        let truncated = len > body.len() - pos;
        let set = &body[pos + 4..(pos + len).min(body.len())];
        let go_on = match classify(hdr.key.proto, id) {
            SetKind::Templates { options } => w.templates(&hdr, options, set),
            SetKind::Data => {
                w.data(&hdr, id, set, true);
                true
            }
            SetKind::Reserved => {
                w.report.issues.add(ErrorKind::BadSetId);
                true
            }
        };
        if truncated {
            w.report.issues.add(ErrorKind::Truncated);
            break;
        }
        if !go_on {
            break;
        }
        pos += len;
    }
}

impl Walker<'_> {
    /// Learns the set's templates, decoding held sets each one unlocks.
    /// `false` when the datagram must not be read further.
    fn templates(&mut self, hdr: &HeaderCtx, options: bool, set: &[u8]) -> bool {
        let key = hdr.key;
        let mut learned = Vec::new();
        let result = template_set(
            key.proto,
            options,
            set,
            self.limits.max_fields_per_template,
            |item| match item {
                Item::Template { id, kind, fields } => {
                    match self.st.learn(&self.limits, key, id, kind, fields) {
                        Ok(_) => {
                            self.report.templates += 1;
                            learned.push(id);
                        }
                        Err(kind) => self.report.issues.add(kind),
                    }
                }
                Item::Withdraw(which) => {
                    self.st.withdraw(key, which);
                    self.report.templates_withdrawn += 1;
                }
                Item::Bad => self.report.issues.add(ErrorKind::BadTemplate),
            },
        );
        if !self.st.pending.is_empty() {
            for id in learned {
                for held in self.st.pending.take(key, id) {
                    self.report.sets_released += 1;
                    self.data(&held.ctx, held.template_id, &held.body, false);
                }
            }
        }
        match result {
            Ok(()) => true,
            Err(Stop::Set(kind)) => {
                self.report.issues.add(kind);
                true
            }
            Err(Stop::Datagram(kind)) => {
                self.report.issues.add(kind);
                false
            }
        }
    }

    /// Decodes a data set, or holds it until its template comes. `fresh`:
    /// the set is in this message (not released from the hold).
    fn data(&mut self, hdr: &HeaderCtx, template_id: u16, set: &[u8], fresh: bool) {
        let key = hdr.key;
        let Some(domain) = self.st.domains.get_mut(&key) else {
            return self.hold(hdr, template_id, set);
        };
        let Some(tpl) = domain.templates.get(&template_id) else {
            return self.hold(hdr, template_id, set);
        };
        let outcome: SetOutcome = if tpl.is_options() {
            let tpl = Arc::clone(tpl);
            let max = self.limits.max_samplers_per_domain;
            let o = decode_options(&tpl.plan, set, |vals| vals.apply(domain, max));
            self.report.options_records += o.records;
            o
        } else {
            let ctx = SetCtx {
                flow_type: match key.proto {
                    Proto::V9 => FlowType::NetflowV9,
                    Proto::Ipfix => FlowType::Ipfix,
                },
                received_ns: hdr.received_ns,
                sampler_address: self.exporter.addr.ip(),
                sampler_port: self.exporter.addr.port(),
                sequence: hdr.sequence,
                domain: key.domain,
                export_ns: hdr.export_secs as u64 * 1_000_000_000,
                uptime_ms: hdr.uptime_ms,
                init_ms: domain.init_ms,
                domain_rate: domain.sampling.domain_rate(),
                sampling: &domain.sampling,
            };
            let o = decode_data(&tpl.plan, set, &ctx, self.out);
            self.report.records += o.records;
            o
        };
        if fresh && key.proto == Proto::Ipfix {
            self.report.data_records_seen += outcome.records;
        }
        if outcome.bad_varlen {
            self.report.issues.add(ErrorKind::BadVarLen);
        }
    }

    fn hold(&mut self, hdr: &HeaderCtx, template_id: u16, set: &[u8]) {
        self.report.issues.add(ErrorKind::MissingTemplate);
        let r = self.st.pending.hold(&self.limits, *hdr, template_id, set);
        if r.held {
            self.report.sets_held += 1;
        }
        let lost = r.dropped + u32::from(!r.held);
        self.report.issues.add_n(ErrorKind::PendingOverflow, lost);
    }
}
