//! Where records go. A sink is a [`Sink`] implementation in a module of its
//! own, and one line in [`build`]; the server gives each sink its own
//! bounded queue and thread ([`runner`]), so a slow sink drops only its own
//! records, and counts them.
//!
//! Adding a sink (Kafka, Prometheus, ...): write `sink/kafka.rs` with a type
//! implementing [`Sink`], add its config section to flowgate-config, and
//! construct it in [`build`]. Counting, queueing, flushing on a timer,
//! SIGHUP and draining at shutdown come from the runner.

mod runner;
mod stdout;

use std::fmt;

use flowgate_config::Config;
use flowgate_record::{CounterRecord, RecordBatch};

pub use runner::{spawn, SinkControl, SinkHandle};
pub use stdout::StdoutSink;

/// Records lost inside a sink, with the `reason` label they are counted under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SinkError {
    /// Stable metric label, e.g. "write_error".
    pub reason: &'static str,
    /// Records lost by this failure.
    pub dropped: u64,
    pub detail: String,
    /// The I/O error behind it, if any (`flowgate decode` stops quietly on a broken pipe).
    pub io_kind: Option<std::io::ErrorKind>,
}

impl fmt::Display for SinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} ({} records lost): {}",
            self.reason, self.dropped, self.detail
        )
    }
}

impl std::error::Error for SinkError {}

impl From<SinkError> for std::io::Error {
    fn from(e: SinkError) -> Self {
        std::io::Error::new(e.io_kind.unwrap_or(std::io::ErrorKind::Other), e.detail)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    Ok,
    Failing(String),
}

/// A destination for records. Called from one thread only (its runner's),
/// so implementations need no locking.
///
/// `send` and `flush` return how many records reached the destination by
/// that call (a buffering sink returns 0 from `send` and the buffered count
/// from `flush`); the runner adds them up as `sent`, and the `dropped` of
/// an error under its reason. Every record handed to `send` must end up in
/// exactly one of the two.
pub trait Sink: Send {
    /// The `sink` label of this sink's metrics.
    fn name(&self) -> &str;

    /// The flow records and sFlow counter samples of one batch (counter
    /// samples count as records like flows do).
    fn send(&mut self, flows: &RecordBatch, counters: &[CounterRecord]) -> Result<u64, SinkError>;

    /// Pushes out anything buffered. Called at least every flush interval,
    /// before `reload`, and at shutdown.
    fn flush(&mut self) -> Result<u64, SinkError>;

    fn health(&self) -> Health;

    /// Whether this sink writes sFlow counter samples. If not, they are
    /// neither received nor dropped as far as its counters go.
    fn takes_counters(&self) -> bool {
        true
    }

    /// SIGHUP: apply what can change without a restart (e.g. reopen the
    /// output file for log rotation). The sink was flushed just before.
    fn reload(&mut self, _config: &Config) -> Result<(), SinkError> {
        Ok(())
    }
}

/// The sinks `flowgate decode --sink NAME` can name.
pub const NAMES: &[&str] = &["stdout"];

/// The named sinks (for `flowgate decode --sink`), configured from `config`.
pub fn build_named(names: &[String], config: &Config) -> Result<Vec<Box<dyn Sink>>, String> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    for name in names {
        match name.as_str() {
            "stdout" => sinks.push(Box::new(
                StdoutSink::open(&config.sinks.stdout).map_err(|e| e.to_string())?,
            )),
            other => {
                return Err(format!(
                    "unknown sink '{other}'; the sinks are {}",
                    NAMES.join(", ")
                ))
            }
        }
    }
    Ok(sinks)
}

/// The sinks `flowgate decode --sink` names, with the stdout sink set up
/// from decode's own flags.
pub fn for_decode(
    names: &[String],
    format: flowgate_record::OutputFormat,
    fields: Option<&[flowgate_record::FieldId]>,
    proto_names: bool,
) -> Result<Vec<Box<dyn Sink>>, String> {
    let mut config = Config::default();
    let stdout = &mut config.sinks.stdout;
    stdout.format = match format {
        flowgate_record::OutputFormat::Json => flowgate_config::RecordFormat::Json,
        flowgate_record::OutputFormat::Text => flowgate_config::RecordFormat::Text,
    };
    stdout.fields = fields.map(|f| f.iter().map(|id| id.name().to_owned()).collect());
    stdout.names = proto_names;
    build_named(names, &config)
}

/// Every sink the configuration enables, in a fixed order.
pub fn build(config: &Config) -> std::io::Result<Vec<Box<dyn Sink>>> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    if config.sinks.stdout.enabled {
        sinks.push(Box::new(StdoutSink::open(&config.sinks.stdout)?));
    }
    Ok(sinks)
}
