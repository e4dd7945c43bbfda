//! Hands every record batch to every sink's queue without waiting: a full
//! queue drops the batch for that sink only, counted under
//! `flowgate_records_dropped_total{stage="sink_queue"}` and logged at most
//! once per window. Inline sinks (see `Sink::inline`) take the batch on
//! the worker's own thread instead, through a shard per worker; what a
//! shard cannot hand on to its sink's thread, after a short budgeted wait
//! (`crate::sink::ChunkSender`), is counted the same way. A worker that is
//! falling behind may pass a batch to the sink's helper threads instead
//! (`crate::offload`).

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use crate::batch::Batch;
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use crate::offload::Helpers;
use crate::queue::QueueSender;
use crate::sink::{Delivery, InlineShards, InlineSink, SinkHandle, Taken};

#[derive(Clone)]
struct Target {
    name: Arc<str>,
    queue: QueueSender<Delivery>,
}

#[derive(Clone)]
struct Inline {
    shards: Arc<dyn InlineShards>,
    counts: InlineCounts,
    helpers: Option<Helpers>,
}

/// What an inline sink's shards took, wherever they ran.
#[derive(Clone)]
struct InlineCounts {
    name: Arc<str>,
    received: Counter,
    sent: Counter,
    drops: Drops,
}

impl InlineCounts {
    fn count(&self, t: Taken) {
        if t.received > 0 {
            self.received.inc_by(t.received);
        }
        if t.sent > 0 {
            self.sent.inc_by(t.sent);
        }
        if let Some((reason, n)) = t.dropped {
            self.drops.count(&self.name, reason, n);
        }
    }
}

/// Each receive worker holds a clone; the sinks' queues close when the
/// last clone is dropped.
#[derive(Clone)]
pub struct Fanout {
    targets: Vec<Target>,
    inline: Vec<Inline>,
    drops: Drops,
}

impl Fanout {
    /// Starts the inline sinks' helper threads, if they have any.
    pub fn new(
        sinks: &[SinkHandle],
        metrics: Arc<Metrics>,
        limiter: Arc<RateLimiter>,
    ) -> std::io::Result<Self> {
        let drops = Drops { metrics, limiter };
        let mut targets = Vec::new();
        let mut inline = Vec::new();
        for s in sinks {
            match &s.inline {
                Some(shards) => {
                    let counts = InlineCounts {
                        name: s.name.as_str().into(),
                        received: drops.metrics.sink_records_counter(&s.name, "received"),
                        sent: drops.metrics.sink_records_counter(&s.name, "sent"),
                        drops: drops.clone(),
                    };
                    let booked = counts.clone();
                    let helpers = Helpers::start(&s.name, shards, move |t| booked.count(t))?;
                    inline.push(Inline {
                        shards: shards.clone(),
                        counts,
                        helpers,
                    });
                }
                None => targets.push(Target {
                    name: s.name.as_str().into(),
                    queue: s.queue.clone(),
                }),
            }
        }
        Ok(Fanout {
            targets,
            inline,
            drops,
        })
    }

    /// The calling worker's own shards of the inline sinks.
    pub fn inline_shards(&self) -> InlineTargets {
        InlineTargets {
            shards: self
                .inline
                .iter()
                .map(|i| (i.shards.shard(), i.clone()))
                .collect(),
        }
    }

    /// Whether batches may leave the worker: a sink takes them through a
    /// queue, or an inline sink has helpers.
    pub fn batches_leave_workers(&self) -> bool {
        self.has_queues() || self.inline.iter().any(|i| i.helpers.is_some())
    }

    /// Whether any sink takes batches through a queue.
    pub fn has_queues(&self) -> bool {
        !self.targets.is_empty()
    }

    pub fn send(&self, batch: &Arc<Batch>) {
        for t in &self.targets {
            if let Err(e) = t.queue.try_send(Delivery::Batch(batch.clone())) {
                self.drops.count(&t.name, e.reason(), batch.len() as u64);
            }
        }
    }
}

#[derive(Clone)]
struct Drops {
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
}

impl Drops {
    fn count(&self, sink: &Arc<str>, reason: &'static str, n: u64) {
        self.metrics.record_drop("sink_queue", reason, sink, n);
        let why = if reason == "queue_full" {
            "queue full"
        } else {
            "sink stopped"
        };
        let name = sink.clone();
        self.limiter
            .warn(&format!("fanout/{sink}/{reason}"), n, move |total| {
                format!("dropped {total} records: {why} (sink {name})")
            });
    }
}

/// One worker's shards of the inline sinks, with their counters.
pub struct InlineTargets {
    shards: Vec<(Box<dyn InlineSink>, Inline)>,
}

impl InlineTargets {
    pub fn take(&mut self, batch: &Batch) {
        for (shard, sink) in &mut self.shards {
            sink.counts.count(shard.take(&batch.flows, &batch.counters));
        }
    }

    /// As `take`, for a batch that may leave the worker: when `behind`,
    /// a sink's helper may take it instead of the worker's own shard.
    /// Says whether one did.
    pub fn take_shared(&mut self, batch: &Arc<Batch>, behind: bool) -> bool {
        let mut offloaded = false;
        for (shard, sink) in &mut self.shards {
            if behind && sink.helpers.as_ref().is_some_and(|h| h.offer(batch)) {
                offloaded = true;
                continue;
            }
            sink.counts.count(shard.take(&batch.flows, &batch.counters));
        }
        offloaded
    }

    /// Hands on what the shards hold back; see `InlineSink::flush`.
    pub fn flush(&mut self) {
        for (shard, sink) in &mut self.shards {
            sink.counts.count(shard.flush());
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use flowgate_config::StdoutSinkConfig;

    use super::*;
    use crate::batch::test_batch;
    use crate::sink::{self, SinkSpec, StdoutSink};

    /// A worker that keeps up renders on its own thread; one that is
    /// behind hands the batch to the idle render thread; either way every
    /// line is written once and counted received and sent.
    #[test]
    fn a_worker_that_is_behind_hands_batches_to_the_render_thread() {
        let path =
            std::env::temp_dir().join(format!("flowgate-fanout-{}.json", std::process::id()));
        let cfg = StdoutSinkConfig {
            path: Some(path.clone()),
            fields: Some(vec!["bytes".into()]),
            ..Default::default()
        };
        let metrics = Arc::new(Metrics::new(10));
        let limiter = Arc::new(RateLimiter::new(Duration::from_secs(1)));
        let spec = SinkSpec {
            queue_batches: 8,
            flush_interval: Duration::from_millis(50),
            close_timeout: Duration::from_secs(1),
        };
        let sink = StdoutSink::open(&cfg).unwrap();
        let handle = sink::spawn(Box::new(sink), spec, metrics.clone(), limiter.clone()).unwrap();
        let fanout = Fanout::new(std::slice::from_ref(&handle), metrics.clone(), limiter).unwrap();
        assert!(fanout.batches_leave_workers() && !fanout.has_queues());
        let mut worker = fanout.inline_shards();
        let kept_up = test_batch(0, 3);
        assert!(
            !worker.take_shared(&kept_up, false),
            "rendered on the worker"
        );
        assert_eq!(Arc::strong_count(&kept_up), 1);
        assert!(
            worker.take_shared(&test_batch(3, 4), true),
            "the idle render thread took it"
        );
        worker.flush();
        drop((worker, fanout));
        assert!(handle.wait(Duration::from_secs(10)), "the sink drained");
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let mut written: Vec<u64> = text
            .lines()
            .map(|l| {
                l.trim_start_matches("{\"bytes\":")
                    .trim_end_matches('}')
                    .parse()
                    .unwrap()
            })
            .collect();
        written.sort_unstable();
        assert_eq!(written, (0..7).collect::<Vec<_>>(), "every line once");
        for outcome in ["received", "sent"] {
            assert_eq!(
                metrics.sink_records_counter("stdout", outcome).get(),
                7,
                "{outcome}"
            );
        }
    }
}
