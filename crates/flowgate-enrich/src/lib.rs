//! Enrichment of flow records after decoding and before the sinks: who is
//! behind `src_addr`, `dst_addr` and `sampler_address`.
//!
//! An [`Enricher`] is built from one entry of the config's `enrich:` list;
//! [`build`] makes the ordered [`EnricherChain`] the receive workers share.
//! Enrichers run on the worker threads and never block: each looks
//! addresses up in an immutable [`IpTable`] snapshot held in an `ArcSwap`,
//! which another thread replaces when the source (a file, the Kubernetes
//! API) changes. A lookup hit clones an `Arc` into the record: no
//! allocation per record.
//!
//! Order is priority: an enricher fills only the endpoints an earlier one
//! left unknown.

mod kubernetes;
mod static_map;
mod stats;
mod table;

use std::sync::Arc;

use flowgate_config::EnricherConfig;
use flowgate_record::FlowRecord;

pub use kubernetes::{index as k8s_index, KubernetesEnricher};
pub use static_map::{parse_map, StaticEnricher, StaticMap};
pub use stats::{Stats, StatsSnapshot};
pub use table::{IpNet, IpTable};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ok,
    /// Still enriching from what it had, or not at all: the reason says which.
    Failing(String),
}

impl Health {
    pub fn is_ok(&self) -> bool {
        matches!(self, Health::Ok)
    }
}

pub trait Enricher: Send + Sync {
    /// The label of its metrics and logs (config `name`, else its type).
    fn name(&self) -> &str;

    /// `static`, `kubernetes`.
    fn kind(&self) -> &'static str;

    /// Adds what it knows to the records of one datagram. Must not block
    /// and should not allocate: it runs on the receive path.
    fn enrich(&self, records: &mut [FlowRecord]);

    /// One record: the same as a batch of one.
    fn enrich_one(&self, record: &mut FlowRecord) {
        self.enrich(std::slice::from_mut(record));
    }

    fn health(&self) -> Health;

    /// Records seen / enriched / missed since start.
    fn stats(&self) -> StatsSnapshot;

    /// Addresses and prefixes it can answer for now.
    fn entries(&self) -> usize;

    /// SIGHUP: re-read what can be re-read. An error leaves the enricher
    /// serving what it had.
    fn reload(&self) -> Result<(), String> {
        Ok(())
    }
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

    pub fn iter(&self) -> impl Iterator<Item = &dyn Enricher> {
        self.0.iter().map(|e| e.as_ref())
    }

    pub fn apply(&self, records: &mut [FlowRecord]) {
        for e in self.0.iter() {
            e.enrich(records);
        }
    }

    /// SIGHUP: reloads every enricher; the errors, each naming its enricher.
    pub fn reload(&self) -> Vec<String> {
        self.0
            .iter()
            .filter_map(|e| {
                e.reload()
                    .err()
                    .map(|why| format!("enricher {}: {why}", e.name()))
            })
            .collect()
    }
}

impl std::fmt::Debug for EnricherChain {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|e| e.name()))
            .finish()
    }
}

/// Builds the enabled enrichers of the `enrich:` list, in order. A static
/// map that cannot be read or a Kubernetes configuration that cannot be
/// found is an error (naming the entry); an API server that does not answer
/// is not: its enricher starts and catches up when it can.
pub fn build(list: &[EnricherConfig]) -> Result<EnricherChain, String> {
    let mut chain: Vec<Box<dyn Enricher>> = Vec::new();
    for (i, c) in list.iter().enumerate() {
        if !c.enabled() {
            continue;
        }
        let key = format!("enrich[{i}] ({})", c.type_name());
        let e: Box<dyn Enricher> = match c {
            EnricherConfig::Static(s) => Box::new(
                StaticEnricher::start(c.name(), s).map_err(|e| format!("{key}.path: {e}"))?,
            ),
            EnricherConfig::Kubernetes(k) => {
                Box::new(KubernetesEnricher::start(c.name(), k).map_err(|e| format!("{key}: {e}"))?)
            }
        };
        chain.push(e);
    }
    Ok(EnricherChain::new(chain))
}

/// Fills the endpoints of `r` still unknown from `endpoints` (and the
/// exporter from `samplers`). True when it filled any.
#[inline]
pub(crate) fn fill(r: &mut FlowRecord, endpoints: &IpTable, samplers: &IpTable) -> bool {
    let mut hit = false;
    if r.src_k8s.is_none() {
        if let Some(m) = r.src_addr.and_then(|a| endpoints.get(a)) {
            r.src_k8s = Some(m.clone());
            hit = true;
        }
    }
    if r.dst_k8s.is_none() {
        if let Some(m) = r.dst_addr.and_then(|a| endpoints.get(a)) {
            r.dst_k8s = Some(m.clone());
            hit = true;
        }
    }
    if r.sampler_k8s.is_none() {
        if let Some(m) = r.sampler_address.and_then(|a| samplers.get(a)) {
            r.sampler_k8s = Some(m.clone());
            hit = true;
        }
    }
    hit
}
