//! NetFlow v9 and IPFIX: templates, options, held data sets. (Placeholder
//! until the template decoder lands.)

use flowgate_record::RecordBatch;

use crate::{DatagramReport, DecodeError, ErrorKind, Exporter};

/// Bounds on the state kept per exporter (see docs/record.md "Limits").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_exporters: usize,
    pub max_templates_per_exporter: usize,
    pub max_fields_per_template: usize,
    pub max_pending_sets_per_exporter: usize,
    pub max_pending_bytes_per_exporter: usize,
    pub pending_ttl_ns: u64,
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
        }
    }
}

#[derive(Debug, Default)]
pub struct TemplateStore {
    limits: Limits,
}

impl TemplateStore {
    pub fn new(limits: Limits) -> Self {
        TemplateStore { limits }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }
}

pub(crate) fn decode_v9(
    _store: &mut TemplateStore,
    _exporter: &Exporter,
    _data: &[u8],
    _out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    Err(DecodeError::new(
        ErrorKind::Unsupported,
        "NetFlow v9 not yet",
    ))
}

pub(crate) fn decode_ipfix(
    _store: &mut TemplateStore,
    _exporter: &Exporter,
    _data: &[u8],
    _out: &mut RecordBatch,
) -> Result<DatagramReport, DecodeError> {
    Err(DecodeError::new(ErrorKind::Unsupported, "IPFIX not yet"))
}
