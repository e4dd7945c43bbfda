//! The enrichment seam: code that adds to records after decoding and before
//! the sinks. The trait, the chain and the enrichers (static maps,
//! Kubernetes) live in `flowgate-enrich`; the server builds the chain from
//! the config's `enrich:` list and every receive worker applies it to the
//! records of each datagram (`DatagramProcessor`).
//!
//! Enrichers run on the receive worker threads and must not block: they
//! look addresses up in snapshots that their own threads keep current.

pub use flowgate_enrich::{build, Enricher, EnricherChain, Health, StatsSnapshot};
