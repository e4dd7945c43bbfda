//! The enrichment seam: code that adds to records after decoding and before
//! the sinks (Kubernetes pod names, GeoIP, interface names...). The chain is
//! empty today; a later issue moves [`Enricher`] into a crate of its own and
//! registers implementations here.
//!
//! Enrichers run on the receive worker threads, once per datagram, on the
//! records that datagram produced. They must not block (no network calls):
//! look things up in state that another thread keeps current.

use std::sync::Arc;

use flowgate_decode::Exporter;
use flowgate_record::FlowRecord;

pub trait Enricher: Send + Sync {
    /// For logs and metrics.
    fn name(&self) -> &str;

    /// Adds to (or corrects) the records of one datagram from `exporter`.
    fn enrich(&self, exporter: &Exporter, records: &mut [FlowRecord]);
}

/// The enrichers in order. Cheap to clone: every worker holds the same chain.
#[derive(Clone, Default)]
pub struct EnricherChain(Arc<Vec<Box<dyn Enricher>>>);

impl EnricherChain {
    pub fn new(enrichers: Vec<Box<dyn Enricher>>) -> Self {
        EnricherChain(Arc::new(enrichers))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn apply(&self, exporter: &Exporter, records: &mut [FlowRecord]) {
        for e in self.0.iter() {
            e.enrich(exporter, records);
        }
    }
}

impl std::fmt::Debug for EnricherChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|e| e.name()))
            .finish()
    }
}
