//! One receive worker: a thread that owns one SO_REUSEPORT socket and one
//! [`DatagramProcessor`]. It reads a batch with recvmmsg, decodes and
//! enriches each datagram into one record batch, gives the batch to its
//! own shard of every inline sink and to every sink queue, and counts. It
//! does not wait on a sink beyond the stdout shard's budgeted wait for
//! room (`crate::sink::ChunkSender`).

use std::io;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use flowgate_decode::Exporter;
use socket2::Socket;

use super::batch_pool::BatchPool;
use super::mmsg::RecvBatch;
use crate::fanout::{Fanout, InlineTargets};
use crate::logging::RateLimiter;
use crate::metrics::{LocalCounts, Metrics};
use crate::processor::{DatagramProcessor, Outcome};
use crate::sequence::{Rule, SeqEvent, SequenceTracker};
use crate::templates::TemplateExchange;

/// Worker counts reach /metrics at least this often.
const MERGE_EVERY: Duration = Duration::from_millis(100);
/// Longest a stopping worker keeps reading what is queued on its socket.
const MAX_DRAIN: Duration = Duration::from_secs(2);
/// Sequence streams tracked per worker.
const MAX_STREAMS: usize = 16_384;
/// Local rows before an early merge, so a source flood cannot grow them.
const MAX_LOCAL_ROWS: usize = 4096;

/// Shared by every worker of the server.
#[derive(Clone)]
pub struct WorkerShared {
    pub fanout: Fanout,
    pub metrics: Arc<Metrics>,
    pub limiter: Arc<RateLimiter>,
    pub stop: Arc<AtomicBool>,
    pub templates: Arc<TemplateExchange>,
    /// Workers still running (for /healthz).
    pub alive: Arc<AtomicUsize>,
    pub batch_size: usize,
    pub max_datagram_size: usize,
}

pub struct Worker {
    pub listener: Arc<str>,
    /// Position in the listener's SO_REUSEPORT group (the `worker` label).
    pub index: usize,
    pub socket: Socket,
    pub processor: DatagramProcessor,
    pub shared: WorkerShared,
}

/// A read that brings at least 1/BEHIND_SHARE of its batch says the worker
/// is falling behind, and its batches go to an inline sink's helpers when
/// they have room (`crate::offload`). Waiting for full reads let the
/// worker run at its limit before any help came: at v5 3.8 M records/s
/// one exporter's worker was at 88-93 % of a core, and any hiccup (the
/// first second of a burst, a neighbour's time slice) overflowed the
/// socket; at a quarter, with two waiting batches per helper, it ran at
/// 48-71 %.
const BEHIND_SHARE: usize = 4;

/// Starts the worker; joining it gives back its processor (and so its
/// template store) once the stop flag is set and the socket drained.
pub fn spawn(w: Worker, name: String) -> io::Result<JoinHandle<DatagramProcessor>> {
    w.shared.alive.fetch_add(1, Ordering::SeqCst);
    std::thread::Builder::new().name(name).spawn(move || {
        let alive = w.shared.alive.clone();
        let p = Loop::new(w).run();
        alive.fetch_sub(1, Ordering::SeqCst);
        p
    })
}

#[derive(Default)]
struct Pending {
    datagrams: u64,
    not_accepted: u64,
    truncated: u64,
    kernel_drops: u64,
}

struct Loop {
    w: Worker,
    slot: usize,
    published: u64,
    local: LocalCounts,
    pending: Pending,
    tracker: SequenceTracker,
    kernel_drops_seen: u32,
    pool: BatchPool,
    inline: InlineTargets,
}

impl Loop {
    fn new(w: Worker) -> Self {
        let slot = w.shared.templates.register();
        let inline = w.shared.fanout.inline_shards();
        // With no sink queue and no helper, batches never leave this core.
        let pool = BatchPool::new(!w.shared.fanout.batches_leave_workers());
        Loop {
            w,
            slot,
            published: 0,
            local: LocalCounts::default(),
            pending: Pending::default(),
            tracker: SequenceTracker::new(MAX_STREAMS),
            kernel_drops_seen: 0,
            pool,
            inline,
        }
    }

    fn run(mut self) -> DatagramProcessor {
        let mut recv = RecvBatch::new(self.w.shared.batch_size, self.w.shared.max_datagram_size);
        let fd = self.w.socket.as_raw_fd();
        let mut last_merge = Instant::now();
        let mut drain_deadline: Option<Instant> = None;
        loop {
            // Once stopping, take what the kernel already queued, then end;
            // bounded in time, so that a sender that never pauses cannot
            // keep the process from stopping.
            let stopping = self.w.shared.stop.load(Ordering::Relaxed);
            if stopping {
                let deadline = *drain_deadline.get_or_insert_with(|| Instant::now() + MAX_DRAIN);
                if Instant::now() >= deadline {
                    break;
                }
            }
            let flags = if stopping {
                libc::MSG_DONTWAIT
            } else {
                libc::MSG_WAITFORONE
            };
            match recv.recv(fd, flags) {
                Ok(n) if n > 0 => self.handle(&recv, n),
                Ok(_) if stopping => break,
                Ok(_) => {}
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    if stopping {
                        break;
                    }
                }
                Err(e) => {
                    let listener = self.w.listener.clone();
                    let msg = e.to_string();
                    self.w
                        .shared
                        .limiter
                        .warn(&format!("recv/{listener}"), 1, move |n| {
                            format!("receive failed {n} times on listener {listener}: {msg}")
                        });
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
            if last_merge.elapsed() >= MERGE_EVERY || self.local.len() > MAX_LOCAL_ROWS {
                // Lines a shard holds back reach their sink at this pace too.
                self.inline.flush();
                self.merge();
                last_merge = Instant::now();
            }
            let wanted = self.w.shared.templates.requested();
            if wanted > self.published {
                let snap = self.w.processor.decoder().store().snapshot();
                self.w.shared.templates.publish(self.slot, wanted, snap);
                self.published = wanted;
            }
        }
        self.inline.flush();
        self.merge();
        self.w.processor
    }

    fn handle(&mut self, recv: &RecvBatch, n: usize) {
        let received_ns = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        // Datagrams queue up faster than this thread takes them alone.
        let behind = n * BEHIND_SHARE >= recv.capacity();
        let mut batch = self.pool.take();
        self.pending.datagrams += n as u64;
        for i in 0..n {
            let d = recv.get(i);
            if let Some(drops) = d.kernel_drops {
                self.saw_kernel_drops(drops);
            }
            let Some(src) = d.src else { continue };
            if d.truncated {
                self.pending.truncated += 1;
                let (listener, max) = (self.w.listener.clone(), self.w.shared.max_datagram_size);
                self.w.shared.limiter.warn(&format!("truncated/{listener}"), 1, move |n| {
                    format!("dropped {n} datagrams longer than receive.max_datagram_size ({max} bytes) on listener {listener}, last from {src}")
                });
                continue;
            }
            let before = batch.flows.len();
            let exporter = Exporter {
                addr: src,
                received_ns,
            };
            let outcome = self
                .w
                .processor
                .process(exporter, d.payload, &mut batch.flows);
            batch
                .counters
                .extend_from_slice(self.w.processor.counters());
            self.observe(
                src,
                d.payload.len(),
                &outcome,
                batch.flows.len() - before,
                received_ns,
            );
            if batch.len() >= self.pool.flush_records() {
                self.send(batch, behind);
                batch = self.pool.take();
            }
        }
        if batch.is_empty() {
            self.pool.give_back(batch);
        } else {
            self.send(batch, behind);
        }
    }

    /// `behind`: the worker has more waiting than it can take in time,
    /// so an inline sink's helper may take the batch (`crate::offload`).
    fn send(&mut self, batch: crate::batch::Batch, behind: bool) {
        let fanout = &self.w.shared.fanout;
        if self.pool.is_local() || (!behind && !fanout.has_queues()) {
            // Only this thread reads the batch: it is refilled at once,
            // while it is still in this core's cache.
            self.inline.take(&batch);
            self.pool.give_back(batch);
            return;
        }
        let batch = Arc::new(batch);
        self.inline.take_shared(&batch, behind);
        fanout.send(&batch);
        self.pool.keep(batch);
    }

    fn observe(
        &mut self,
        src: SocketAddr,
        len: usize,
        outcome: &Outcome,
        records: usize,
        received_ns: u64,
    ) {
        let listener = &self.w.listener;
        match outcome {
            Outcome::NotAccepted(p) => {
                self.pending.not_accepted += 1;
                let (listener, p) = (listener.clone(), p.as_str());
                self.w.shared.limiter.warn(&format!("not_accepted/{listener}/{p}"), 1, move |n| {
                    format!("dropped {n} datagrams: {p} is not accepted on listener {listener} (last from {src})")
                });
            }
            Outcome::Failed(p, e) => {
                let row = self.local.row(src.ip(), *p);
                row.datagrams += 1;
                row.bytes += len as u64;
                row.rejected[e.kind as usize] += 1;
                let (listener, p, e) = (listener.clone(), p.as_str(), e.clone());
                self.w.shared.limiter.warn(&format!("decode/{listener}/{}", e.kind), 1, move |n| {
                    format!("rejected {n} datagrams: {e} (last from {src}, {p}, listener {listener})")
                });
            }
            Outcome::Decoded(r) => {
                let row = self.local.row(src.ip(), r.protocol);
                row.datagrams += 1;
                row.bytes += len as u64;
                row.records += records as u64;
                row.counter_samples += u64::from(r.counter_samples);
                for (kind, n) in r.issues.iter() {
                    row.issues[kind as usize] += u64::from(n);
                }
                match self.tracker.observe(src, r, received_ns) {
                    SeqEvent::Gap { lost } => {
                        row.seq_gaps += 1;
                        row.seq_lost += u64::from(lost);
                    }
                    SeqEvent::Reset => row.seq_resets += 1,
                    SeqEvent::Switched(rule) => {
                        row.quirky_streams += if rule == Rule::CountsCurrent { 1 } else { -1 };
                        tracing::info!(
                            exporter = %src,
                            protocol = r.protocol.as_str(),
                            domain = r.domain,
                            "sequence numbers follow the {} rule from now on",
                            if rule == Rule::CountsCurrent {
                                "counts-current (Open vSwitch NetFlow v5 / softflowd IPFIX)"
                            } else {
                                "RFC"
                            }
                        );
                    }
                    SeqEvent::InOrder | SeqEvent::Untracked => {}
                }
                for (exporter, protocol) in self.tracker.take_forgotten_quirky() {
                    self.local.row(exporter.ip(), protocol).quirky_streams -= 1;
                }
                if r.templates > 0 || r.templates_withdrawn > 0 {
                    let n = self.w.processor.decoder().store().template_count(src);
                    self.local.set_templates(src, n);
                }
            }
        }
    }

    /// `drops` is the socket's running total, from a control message (as it
    /// was when that datagram was queued, so possibly older than the last
    /// reading) or from SO_MEMINFO. Only increases count; u32 wraps.
    fn saw_kernel_drops(&mut self, drops: u32) {
        let delta = drops.wrapping_sub(self.kernel_drops_seen);
        if delta > 0 && delta < 1 << 31 {
            self.pending.kernel_drops += u64::from(delta);
            self.kernel_drops_seen = drops;
        }
    }

    fn merge(&mut self) {
        if let Some(drops) = super::socket::kernel_drops(&self.w.socket) {
            self.saw_kernel_drops(drops);
        }
        let m = &self.w.shared.metrics;
        m.exporters.merge(&mut self.local);
        let p = std::mem::take(&mut self.pending);
        if p.datagrams > 0 {
            m.worker_datagrams(&self.w.listener, self.w.index, p.datagrams);
        }
        if p.not_accepted > 0 {
            m.datagram_drop(&self.w.listener, "protocol_not_accepted", p.not_accepted);
        }
        if p.truncated > 0 {
            m.datagram_drop(&self.w.listener, "truncated", p.truncated);
        }
        if p.kernel_drops > 0 {
            m.kernel_drops(&self.w.listener, p.kernel_drops);
        }
    }
}
