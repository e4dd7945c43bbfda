//! The flowgate collector.
//!
//! ```text
//! UDP ─► receive worker (recvmmsg, N per listener, SO_REUSEPORT)
//!          └─ DatagramProcessor: decode ─► enrich   (one Decoder per worker)
//!               └─ Fanout ─► bounded queue ─► sink thread (Kafka)   one per sink
//!                      └─ inline shard on the worker (stdout renders, Prometheus
//!                         aggregates) ─► stdout's queue of lines ─► its thread writes
//!                         (a worker that is behind offers batches to render threads)
//! ```
//!
//! [`run`] is `flowgate run`; [`Pipeline`] is the same decode-enrich-sink
//! path for `flowgate decode`; `docs/server.md` describes the whole.

mod batch;
pub mod commands;
pub mod enrich;
mod fanout;
mod http;
mod logging;
mod metrics;
mod offload;
mod pipeline;
mod processor;
mod queue;
mod receive;
mod sd_notify;
pub mod sequence;
mod server;
mod signals;
pub mod sink;
mod templates;

pub use batch::Batch;
pub use commands::{check_config, healthcheck, HealthcheckArgs};
pub use flowgate_config::RunArgs;
pub use pipeline::Pipeline;
pub use processor::{DatagramProcessor, Outcome, ProtocolSet};
pub use server::run;
