//! Hands every record batch to every sink's queue without waiting: a full
//! queue drops the batch for that sink only, counted under
//! `flowgate_records_dropped_total{stage="sink_queue"}` and logged at most
//! once per window. Inline sinks (see `Sink::inline`) take the batch on
//! the worker's own thread instead, through a shard per worker.

use std::sync::Arc;

use prometheus_client::metrics::counter::Counter;

use crate::batch::Batch;
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use crate::queue::{QueueSender, SendError};
use crate::sink::{InlineShards, InlineSink, SinkHandle};

#[derive(Clone)]
struct Target {
    name: Arc<str>,
    queue: QueueSender<Arc<Batch>>,
}

#[derive(Clone)]
struct Inline {
    shards: Arc<dyn InlineShards>,
    received: Counter,
    sent: Counter,
}

/// Each receive worker holds a clone; the sinks' queues close when the
/// last clone is dropped.
#[derive(Clone)]
pub struct Fanout {
    targets: Vec<Target>,
    inline: Vec<Inline>,
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
}

impl Fanout {
    pub fn new(sinks: &[SinkHandle], metrics: Arc<Metrics>, limiter: Arc<RateLimiter>) -> Self {
        let mut targets = Vec::new();
        let mut inline = Vec::new();
        for s in sinks {
            match &s.inline {
                Some(shards) => inline.push(Inline {
                    shards: shards.clone(),
                    received: metrics.sink_records_counter(&s.name, "received"),
                    sent: metrics.sink_records_counter(&s.name, "sent"),
                }),
                None => targets.push(Target {
                    name: s.name.as_str().into(),
                    queue: s.queue.clone(),
                }),
            }
        }
        Fanout {
            targets,
            inline,
            metrics,
            limiter,
        }
    }

    /// The calling worker's own shards of the inline sinks.
    pub fn inline_shards(&self) -> InlineTargets {
        InlineTargets(
            self.inline
                .iter()
                .map(|i| (i.shards.shard(), i.received.clone(), i.sent.clone()))
                .collect(),
        )
    }

    /// Whether any sink takes batches through a queue.
    pub fn has_queues(&self) -> bool {
        !self.targets.is_empty()
    }

    pub fn send(&self, batch: &Arc<Batch>) {
        for t in &self.targets {
            let Err(e) = t.queue.try_send(batch.clone()) else {
                continue;
            };
            let (reason, why) = match e {
                SendError::Full => ("queue_full", "queue full"),
                SendError::Closed => ("sink_stopped", "sink stopped"),
            };
            let n = batch.len() as u64;
            self.metrics.record_drop("sink_queue", reason, &t.name, n);
            let name = t.name.clone();
            self.limiter
                .warn(&format!("fanout/{}/{reason}", t.name), n, move |total| {
                    format!("dropped {total} records: {why} (sink {name})")
                });
        }
    }
}

/// One worker's shards of the inline sinks, with their counters.
pub struct InlineTargets(Vec<(Box<dyn InlineSink>, Counter, Counter)>);

impl InlineTargets {
    pub fn take(&mut self, batch: &Batch) {
        for (shard, received, sent) in &mut self.0 {
            let n = shard.take(&batch.flows, &batch.counters);
            received.inc_by(n);
            sent.inc_by(n);
        }
    }
}
