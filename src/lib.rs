//! The flowgate application: the record-processing path shared by
//! `flowgate decode` and the collector, and the statistics both report.
//! The decoders themselves live in `flowgate-decode`; this crate feeds them
//! datagrams and hands their records to a sink.

pub mod pipeline;
pub mod stats;

pub use pipeline::{replay, Decoded, Pipeline, ReplayError, Replayed, Sink};
pub use stats::{ExporterStats, Stats};
