//! Hands every record batch to every sink's queue without waiting: a full
//! queue drops the batch for that sink only, counted under
//! `flowgate_records_dropped_total{stage="sink_queue"}` and logged at most
//! once per window.

use std::sync::Arc;

use crate::batch::Batch;
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use crate::queue::{QueueSender, SendError};
use crate::sink::SinkHandle;

#[derive(Clone)]
struct Target {
    name: Arc<str>,
    queue: QueueSender<Arc<Batch>>,
}

/// Each receive worker holds a clone; the sinks' queues close when the
/// last clone is dropped.
#[derive(Clone)]
pub struct Fanout {
    targets: Vec<Target>,
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
}

impl Fanout {
    pub fn new(sinks: &[SinkHandle], metrics: Arc<Metrics>, limiter: Arc<RateLimiter>) -> Self {
        Fanout {
            targets: sinks
                .iter()
                .map(|s| Target {
                    name: s.name.as_str().into(),
                    queue: s.queue.clone(),
                })
                .collect(),
            metrics,
            limiter,
        }
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
