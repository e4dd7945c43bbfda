//! One thread per sink: takes batches off the sink's bounded queue, counts
//! what it received, sent and dropped, flushes on a timer, applies SIGHUP
//! reloads, and at shutdown (every sender gone) drains the queue and
//! flushes before it ends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use flowgate_config::Config;

use super::{ChunkSender, Delivery, Health, InlineShards, Settled, Sink, SinkError};
use crate::logging::RateLimiter;
use crate::metrics::Metrics;
use crate::queue::{self, QueueReceiver, QueueSender, RecvError};

/// What other threads may ask of, or read from, a running sink.
#[derive(Debug)]
pub struct SinkControl {
    pending_reload: Mutex<Option<Arc<Config>>>,
    health: Mutex<Health>,
    running: AtomicBool,
}

impl SinkControl {
    pub fn request_reload(&self, config: Arc<Config>) {
        *self.pending_reload.lock().unwrap() = Some(config);
    }

    pub fn health(&self) -> Health {
        self.health.lock().unwrap().clone()
    }

    pub fn is_running(&self) -> bool {
        self.running.load(Ordering::Relaxed)
    }
}

/// The server's end of a running sink.
pub struct SinkHandle {
    pub name: String,
    pub queue: QueueSender<Delivery>,
    /// Set for a sink the workers feed on their own threads; its queue
    /// then carries only the chunks they prepare (if any).
    pub inline: Option<Arc<dyn InlineShards>>,
    pub control: Arc<SinkControl>,
    finished: mpsc::Receiver<()>,
    thread: Option<JoinHandle<()>>,
}

impl SinkHandle {
    /// Waits until the sink has drained and flushed (all queue senders must
    /// be dropped first: the workers' and their shards'), at most `timeout`.
    /// False: it did not finish in time.
    pub fn wait(mut self, timeout: Duration) -> bool {
        drop(self.queue);
        drop(self.inline);
        match self.finished.recv_timeout(timeout) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                if let Some(t) = self.thread.take() {
                    let _ = t.join();
                }
                true
            }
            Err(mpsc::RecvTimeoutError::Timeout) => false,
        }
    }
}

/// How a sink is run: its queue, its flush timer, and how long it may take
/// to deliver what it holds at shutdown.
#[derive(Debug, Clone, Copy)]
pub struct SinkSpec {
    pub queue_batches: usize,
    pub flush_interval: Duration,
    pub close_timeout: Duration,
}

pub fn spawn(
    sink: Box<dyn Sink>,
    spec: SinkSpec,
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
) -> std::io::Result<SinkHandle> {
    let name = sink.name().to_owned();
    let (tx, rx) = queue::bounded(spec.queue_batches);
    let inline = sink.inline(&ChunkSender::new(tx.clone()));
    metrics.register_queue(&name, tx.depth_gauge(), spec.queue_batches);
    let control = Arc::new(SinkControl {
        pending_reload: Mutex::new(None),
        health: Mutex::new(Health::Ok),
        running: AtomicBool::new(true),
    });
    let (done_tx, done_rx) = mpsc::channel();
    let runner = Runner {
        sink,
        name: name.clone(),
        control: control.clone(),
        metrics,
        limiter,
    };
    let thread = std::thread::Builder::new()
        .name(format!("sink-{name}"))
        .spawn(move || {
            runner.run(rx, spec);
            let _ = done_tx.send(());
        })?;
    Ok(SinkHandle {
        name,
        queue: tx,
        inline,
        control,
        finished: done_rx,
        thread: Some(thread),
    })
}

struct Runner {
    sink: Box<dyn Sink>,
    name: String,
    control: Arc<SinkControl>,
    metrics: Arc<Metrics>,
    limiter: Arc<RateLimiter>,
}

/// While deliveries keep coming, a sink thread that finds its queue empty
/// naps this long and takes what came meanwhile, instead of sleeping until
/// the next delivery wakes it: at 3.8 M JSON lines/s (25 k chunks/s) being
/// woken per chunk cost the waker a futex call and this thread a context
/// switch each, ~12 % of a core. A nap that brings nothing returns the
/// thread to being woken, so an idle sink costs nothing.
const NAP: Duration = Duration::from_micros(500);

/// The next delivery: see [`NAP`]. `busy`: the last call brought one.
fn next_delivery(
    rx: &QueueReceiver<Delivery>,
    busy: &mut bool,
    wait: Duration,
) -> Result<Delivery, RecvError> {
    if *busy {
        if let Some(d) = rx.try_recv()? {
            return Ok(d);
        }
        std::thread::sleep(NAP.min(wait));
        if let Some(d) = rx.try_recv()? {
            return Ok(d);
        }
    }
    let next = rx.recv_timeout(wait);
    *busy = next.is_ok();
    next
}

impl Runner {
    fn run(mut self, rx: QueueReceiver<Delivery>, spec: SinkSpec) {
        let flush_interval = spec.flush_interval;
        let mut last_flush = Instant::now();
        let mut busy = false;
        loop {
            let wait = flush_interval.saturating_sub(last_flush.elapsed());
            match next_delivery(&rx, &mut busy, wait) {
                Ok(Delivery::Chunk(chunk)) => {
                    let r = self.sink.write_chunk(chunk);
                    self.account(r);
                }
                Ok(Delivery::Batch(batch)) => {
                    let n = if self.sink.takes_counters() {
                        batch.len()
                    } else {
                        batch.flows.len()
                    };
                    self.metrics.sink_records(&self.name, "received", n as u64);
                    let r = self.sink.send(&batch.flows, &batch.counters);
                    self.account(r);
                }
                Err(RecvError::Timeout) => {}
                Err(RecvError::Closed) => break,
            }
            let reload = self.control.pending_reload.lock().unwrap().take();
            if let Some(config) = reload {
                let r = self.sink.flush();
                self.account(r);
                if let Err(e) = self.sink.reload(&config) {
                    tracing::error!(sink = %self.name, "reload failed: {e}");
                } else {
                    tracing::info!(sink = %self.name, "reloaded");
                }
            }
            if last_flush.elapsed() >= flush_interval {
                let r = self.sink.flush();
                self.account(r);
                last_flush = Instant::now();
            }
        }
        let r = self.sink.close(spec.close_timeout);
        self.account(r);
        self.control.running.store(false, Ordering::Relaxed);
        tracing::debug!(sink = %self.name, "drained and flushed");
    }

    /// Counts what a call reported, and what the sink learnt since (its
    /// delivery reports), then publishes its health.
    fn account(&mut self, r: Result<u64, SinkError>) {
        match r {
            Ok(n) => self.sent(n),
            Err(e) => self.dropped(e),
        }
        let Settled { sent, dropped } = self.sink.settle();
        self.sent(sent);
        for e in dropped {
            self.dropped(e);
        }
        *self.control.health.lock().unwrap() = self.sink.health();
    }

    fn sent(&self, n: u64) {
        if n > 0 {
            self.metrics.sink_records(&self.name, "sent", n);
        }
    }

    fn dropped(&self, e: SinkError) {
        self.metrics
            .record_drop("sink", e.reason, &self.name, e.dropped);
        let key = format!("sink/{}/{}", self.name, e.reason);
        let (name, detail) = (self.name.clone(), e.detail);
        self.limiter.warn(&key, e.dropped, move |n| {
            format!("dropped {n} records: {detail} (sink {name})")
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sink::Chunk;

    fn chunk(records: u64) -> Delivery {
        Delivery::Chunk(Chunk {
            bytes: Vec::new(),
            records,
        })
    }

    fn records(d: Delivery) -> u64 {
        match d {
            Delivery::Chunk(c) => c.records,
            Delivery::Batch(_) => panic!("a chunk was sent"),
        }
    }

    /// A busy sink thread takes what came during its nap, in order; once a
    /// nap brings nothing it waits to be woken (here: until the timeout),
    /// and it sees the queue close either way.
    #[test]
    fn a_busy_sink_naps_and_an_idle_one_waits() {
        let (tx, rx) = queue::bounded(8);
        let mut busy = false;
        let wait = Duration::from_millis(20);
        tx.try_send(chunk(1)).unwrap();
        assert_eq!(records(next_delivery(&rx, &mut busy, wait).unwrap()), 1);
        assert!(busy, "a delivery makes the thread busy");
        std::thread::scope(|s| {
            s.spawn(|| {
                std::thread::sleep(NAP / 4);
                tx.try_send(chunk(2)).unwrap();
                tx.try_send(chunk(3)).unwrap();
            });
            assert_eq!(records(next_delivery(&rx, &mut busy, wait).unwrap()), 2);
        });
        assert_eq!(records(next_delivery(&rx, &mut busy, wait).unwrap()), 3);
        let started = Instant::now();
        assert!(matches!(
            next_delivery(&rx, &mut busy, wait),
            Err(RecvError::Timeout)
        ));
        assert!(
            started.elapsed() >= wait,
            "an empty nap falls back to waiting"
        );
        assert!(!busy);
        drop(tx);
        assert!(matches!(
            next_delivery(&rx, &mut busy, wait),
            Err(RecvError::Closed)
        ));
    }
}
