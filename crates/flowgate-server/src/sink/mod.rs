//! Where records go. A sink is a [`Sink`] implementation in a module of its
//! own, built from its own entry of the `sinks:` list in [`build`]; the
//! server gives each sink its own bounded queue and thread ([`runner`]), so
//! a slow sink drops only its own records, and counts them. Any number run
//! at once, several of one type too (they differ by name).
//!
//! Adding a sink: write `sink/NAME.rs` with a type implementing [`Sink`],
//! add its config type to flowgate-config's `sinks` module, and construct
//! it in [`build`]. Counting, queueing, flushing on a timer, SIGHUP and
//! draining at shutdown come from the runner.

pub mod fieldkey;
mod kafka;
mod prometheus;
pub mod proto;
#[cfg(test)]
mod proto_mirror;
#[cfg(test)]
mod proto_tests;
mod runner;
mod stdout;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowgate_config::{Config, SinkConfig};
use flowgate_record::{CounterRecord, RecordBatch};

use crate::batch::Batch;
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use crate::queue::QueueSender;

pub use kafka::KafkaSink;
pub use prometheus::{FlowAggregator, PrometheusSink};
pub use runner::{spawn, SinkControl, SinkHandle, SinkSpec};
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

    /// Outcomes learnt after the call that took the records (Kafka's
    /// delivery reports). The runner asks after every `send` and `flush`;
    /// every record is counted once, by the call that took it or here.
    fn settle(&mut self) -> Settled {
        Settled::default()
    }

    /// Shutdown: push out everything and wait for it at most `timeout`;
    /// what could not be delivered by then is reported as dropped (here or
    /// by the `settle` that follows).
    fn close(&mut self, _timeout: Duration) -> Result<u64, SinkError> {
        self.flush()
    }

    /// A sink whose per-record work cannot block may do it on the receive
    /// workers' own threads, one shard per worker, instead of taking
    /// batches through its queue: the records then never cross to another
    /// core. A shard either finishes the work in place (Prometheus
    /// aggregation) or prepares [`Chunk`]s (rendered lines) and hands them
    /// to `chunks`, which ends at this sink's [`Sink::write_chunk`] on its
    /// own thread. The runner still calls `flush`, `reload` and `close` on
    /// its timer.
    fn inline(&self, _chunks: &ChunkSender) -> Option<Arc<dyn InlineShards>> {
        None
    }

    /// Writes a chunk a shard prepared (see [`Sink::inline`]); counted like
    /// `send`, except that its records were counted received by the shard.
    fn write_chunk(&mut self, chunk: Chunk) -> Result<u64, SinkError> {
        Err(SinkError {
            reason: "unsupported",
            dropped: chunk.records,
            detail: format!("sink {} takes no prepared chunks", self.name()),
            io_kind: None,
        })
    }
}

/// Makes the per-worker parts of an inline sink (see [`Sink::inline`]).
pub trait InlineShards: Send + Sync {
    fn shard(&self) -> Box<dyn InlineSink>;

    /// Threads that may run shards of their own for workers that have
    /// fallen behind (`crate::offload`): worth it where a shard's work per
    /// record is large (rendering), not where it is a few additions.
    fn helpers(&self) -> usize {
        0
    }
}

/// One receive worker's part of an inline sink. It must not block on
/// anything but its own shard's lock.
pub trait InlineSink: Send {
    /// Takes one batch: all of its flows, plus its counter samples if the
    /// sink takes them.
    fn take(&mut self, flows: &RecordBatch, counters: &[CounterRecord]) -> Taken;

    /// Hands on what the shard holds back (a partly filled chunk). The
    /// worker calls it at least every 100 ms and when it stops.
    fn flush(&mut self) -> Taken {
        Taken::default()
    }
}

/// What a shard did with the records it was given, for the sink's counters.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Taken {
    pub received: u64,
    /// Records delivered in place (aggregated).
    pub sent: u64,
    /// Records of a chunk the sink's queue refused, and why
    /// (`queue_full`, `sink_stopped`).
    pub dropped: Option<(&'static str, u64)>,
}

/// Records a shard prepared for its sink's thread: rendered lines, say.
#[derive(Debug, Default)]
pub struct Chunk {
    pub bytes: Vec<u8>,
    pub records: u64,
}

/// What a sink's queue carries from the workers to its thread.
pub enum Delivery {
    Batch(Arc<Batch>),
    Chunk(Chunk),
}

/// A shard's end of its sink's queue. A full queue is mostly a sink
/// thread that did not get a core for a few milliseconds while the workers
/// held both: the shard then sleeps for room (which gives its core to the
/// sink thread) for at most [`WAIT_PER_CHUNK`] per chunk and [`WAIT_BUDGET`]
/// in each [`WAIT_WINDOW`], so a sink that is stuck or slower than the
/// input costs a worker at most a tenth of its time; past that, chunks are
/// dropped and counted at once.
#[derive(Clone)]
pub struct ChunkSender {
    tx: QueueSender<Delivery>,
    window_start: Instant,
    waited: Duration,
}

/// The longest a shard waits for room for one chunk: what the scheduler
/// may keep a runnable thread off both cores of a busy two-core host.
pub const WAIT_PER_CHUNK: Duration = Duration::from_millis(4);
/// The most a shard waits in all per window.
pub const WAIT_BUDGET: Duration = Duration::from_millis(10);
/// The window [`WAIT_BUDGET`] is counted over.
pub const WAIT_WINDOW: Duration = Duration::from_millis(100);

impl ChunkSender {
    pub(crate) fn new(tx: QueueSender<Delivery>) -> Self {
        ChunkSender {
            tx,
            window_start: Instant::now(),
            waited: Duration::ZERO,
        }
    }

    /// Hands `chunk` on, or says why it was dropped (`queue_full`, `sink_stopped`).
    pub fn try_send(&mut self, chunk: Chunk) -> Result<(), &'static str> {
        let now = Instant::now();
        if now.duration_since(self.window_start) >= WAIT_WINDOW {
            self.window_start = now;
            self.waited = Duration::ZERO;
        }
        let wait = WAIT_PER_CHUNK.min(WAIT_BUDGET.saturating_sub(self.waited));
        let sent = self.tx.send_within(Delivery::Chunk(chunk), wait);
        self.waited += now.elapsed().min(wait);
        sent.map_err(|e| e.reason())
    }
}

/// What [`Sink::settle`] learnt: records delivered, and records lost by reason.
#[derive(Debug, Default)]
pub struct Settled {
    pub sent: u64,
    pub dropped: Vec<SinkError>,
}

/// A chunk queue of `capacity` for tests of inline shards.
#[cfg(test)]
pub(crate) fn test_chunks(capacity: usize) -> (ChunkSender, crate::queue::QueueReceiver<Delivery>) {
    let (tx, rx) = crate::queue::bounded(capacity);
    (ChunkSender::new(tx), rx)
}

/// The sinks `flowgate decode --sink NAME` can name.
pub const NAMES: &[&str] = &["stdout"];

/// The named sinks (for `flowgate decode --sink`), configured from `config`.
pub fn build_named(names: &[String], config: &Config) -> Result<Vec<Box<dyn Sink>>, String> {
    let mut sinks: Vec<Box<dyn Sink>> = Vec::new();
    for name in names {
        match name.as_str() {
            "stdout" => {
                let Some(SinkConfig::Stdout(cfg)) = config.sinks.find("stdout") else {
                    return Err("no stdout sink is configured".into());
                };
                sinks.push(Box::new(StdoutSink::open(cfg).map_err(|e| e.to_string())?))
            }
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
    let stdout = config.sinks.stdout_mut();
    stdout.format = match format {
        flowgate_record::OutputFormat::Json => flowgate_config::RecordFormat::Json,
        flowgate_record::OutputFormat::Text => flowgate_config::RecordFormat::Text,
    };
    stdout.fields = fields.map(|f| f.iter().map(|id| id.name().to_owned()).collect());
    stdout.names = proto_names;
    build_named(names, &config)
}

/// A sink ready to run, and how to run it.
pub(crate) type Built = (Box<dyn Sink>, SinkSpec);

/// Every sink the configuration enables, in its order, with its queue
/// settings. Sinks that publish on /metrics register there.
pub(crate) fn build(
    config: &Config,
    metrics: &Arc<Metrics>,
    limiter: &Arc<RateLimiter>,
) -> Result<Vec<Built>, String> {
    let mut sinks: Vec<Built> = Vec::new();
    for (i, entry) in config.sinks.iter().enumerate() {
        let common = entry.common();
        if !common.enabled {
            continue;
        }
        let what = format!("sinks[{i}] ({} {})", entry.type_name(), common.name);
        let sink: Box<dyn Sink> = match entry {
            SinkConfig::Stdout(c) => {
                Box::new(StdoutSink::open(c).map_err(|e| format!("{what}: {e}"))?)
            }
            SinkConfig::Kafka(c) => Box::new(
                KafkaSink::open(common.name, c, metrics, limiter)
                    .map_err(|e| format!("{what}: {e}"))?,
            ),
            SinkConfig::Prometheus(c) => Box::new(PrometheusSink::new(common.name, c, metrics)),
        };
        let spec = SinkSpec {
            queue_batches: common.queue_batches,
            flush_interval: common.flush_interval.get(),
            // Kept under the server's own deadline so the sink can still
            // count what it gives up before the server stops waiting.
            close_timeout: config.shutdown.drain_timeout.get().mul_f64(0.8),
        };
        sinks.push((sink, spec));
    }
    Ok(sinks)
}

#[cfg(test)]
mod chunk_sender_tests {
    use super::*;

    fn chunk() -> Chunk {
        Chunk {
            bytes: b"{}\n".to_vec(),
            records: 1,
        }
    }

    /// A sink thread kept off the cores for a moment loses nothing: the
    /// shard waits for the room it makes.
    #[test]
    fn a_sink_late_by_a_moment_loses_nothing() {
        let (mut chunks, rx) = test_chunks(1);
        chunks.try_send(chunk()).unwrap();
        std::thread::scope(|s| {
            // The taker keeps its end open until the send is over.
            let taker = s.spawn(move || {
                std::thread::sleep(Duration::from_millis(1));
                assert!(rx.recv_timeout(Duration::ZERO).is_ok());
                rx
            });
            assert_eq!(chunks.try_send(chunk()), Ok(()));
            drop(taker.join().unwrap());
        });
    }

    /// A stuck sink costs a shard at most its wait budget per window; past
    /// it, chunks are refused at once and counted by the caller.
    #[test]
    fn a_stuck_sink_costs_at_most_the_wait_budget() {
        let (mut chunks, _rx) = test_chunks(1);
        chunks.try_send(chunk()).unwrap();
        let started = Instant::now();
        for _ in 0..20 {
            assert_eq!(chunks.try_send(chunk()), Err("queue_full"));
        }
        let spent = started.elapsed();
        assert!(
            spent >= WAIT_BUDGET,
            "it waited {spent:?}: less than the budget"
        );
        assert!(
            spent < WAIT_WINDOW,
            "20 refused chunks took {spent:?}: the budget was not kept"
        );
        assert!(chunks.waited >= WAIT_BUDGET);
    }
}
