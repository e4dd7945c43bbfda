//! NetFlow v9 and IPFIX (RFC 7011): templates, options, held data sets.
//!
//! Layout of this module:
//! * `v9.rs`, `ipfix.rs`: message headers, then `sets.rs` walks the sets.
//! * `parse.rs`: template and options template records off the wire.
//! * `store.rs`: per exporter / protocol / domain state, bounded.
//! * `fields.rs` + `compile.rs`: a template becomes a [`compile::Plan`] once,
//!   so a data set is decoded by `data.rs` in a tight loop (`apply.rs` writes
//!   one field) with no lookups and no allocation per record.
//! * `sampling.rs`: options data (sampling rates, system init time).
//! * `pending.rs`: data sets that arrived before their template.
//! * `persist.rs`: save/load/snapshot, so a restarted collector decodes at
//!   once (Open vSwitch re-sends templates only every 600 s).

mod apply;
mod compile;
mod data;
mod fields;
mod ipfix;
mod parse;
mod pending;
mod persist;
mod sampling;
mod sets;
mod store;
mod v9;

#[cfg(test)]
mod tests;

use flowgate_record::RecordBatch;

use crate::{DatagramReport, DecodeError, Exporter};

pub use store::TemplateStore;

/// Bounds on the state kept per exporter (see docs/record.md "Limits").
///
/// When `max_exporters` is reached, a datagram from a new exporter evicts the
/// exporter seen least recently (by `received_ns`), with its templates,
/// sampling rates and held sets; that datagram's report counts
/// `ErrorKind::ExporterLimit` once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_exporters: usize,
    /// Data and options templates of both protocols and all domains together.
    pub max_templates_per_exporter: usize,
    pub max_fields_per_template: usize,
    pub max_pending_sets_per_exporter: usize,
    pub max_pending_bytes_per_exporter: usize,
    pub pending_ttl_ns: u64,
    /// Sampler/selector ids remembered per exporter and domain.
    pub max_samplers_per_domain: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_exporters: 10_000,
            max_templates_per_exporter: 2_048,
            max_fields_per_template: 1_024,
            max_pending_sets_per_exporter: 256,
            max_pending_bytes_per_exporter: 512 * 1024,
            pending_ttl_ns: 60_000_000_000,
            max_samplers_per_domain: 256,
        }
    }
}

pub(crate) fn decode_v9(
    store: &mut TemplateStore,
    exporter: &Exporter,
    data: &[u8],
    out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    v9::decode(store, exporter, data, out)
}

pub(crate) fn decode_ipfix(
    store: &mut TemplateStore,
    exporter: &Exporter,
    data: &[u8],
    out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    ipfix::decode(store, exporter, data, out)
}
