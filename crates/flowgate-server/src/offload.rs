//! Helper threads that run an inline sink's shards for batches a receive
//! worker offers them. All datagrams of one exporter reach one worker
//! (SO_REUSEPORT hashes by source address), and rendering JSON is most of
//! that worker's time: a busy exporter would hold one core at its limit
//! while others idle. A worker offers a batch only when it is falling
//! behind (its last recvmmsg call brought a quarter of its batch or more),
//! to a helper with room in its two-batch queue; otherwise it takes the
//! batch itself. Nothing waits and nothing is dropped at this bound.
//!
//! Decoding, templates and sequence tracking stay on the worker; only the
//! sink's work moves. Lines of one worker may therefore reach the output
//! out of order by up to two batches.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::batch::Batch;
use crate::queue::{self, QueueReceiver, QueueSender, RecvError};
use crate::sink::{InlineShards, InlineSink, Taken};

/// A helper hands on what its shard holds at least this often, as a
/// worker does (`InlineSink::flush`).
const FLUSH_EVERY: Duration = Duration::from_millis(100);

/// Batches waiting for one helper: the one it starts on next and one the
/// worker filled meanwhile. With one, a worker that decodes a batch in a
/// fifth of the time a helper renders it found the queue full for most
/// batches and rendered them itself: at v5 3.8 M records/s the worker
/// ran at 88-93 % of a core and its helper at 14-32 %; with two (and the
/// quarter-full rule, `receive::worker`), 48-71 % and 49-80 %.
const HELPER_QUEUE: usize = 2;

/// The workers' end: one queue per helper, each holding at most
/// [`HELPER_QUEUE`] waiting batches, so that a worker never hands a helper
/// more than it can soon start on.
#[derive(Clone)]
pub struct Helpers {
    queues: Vec<QueueSender<Arc<Batch>>>,
}

impl Helpers {
    /// Starts `shards.helpers()` threads (none: `None`). `count` books
    /// what each helper's shard took, as the worker books its own. A
    /// helper holds its shard, and so the sink's queue, open until the
    /// last `Helpers` clone is dropped: the sink drains after it.
    pub fn start(
        sink: &str,
        shards: &Arc<dyn InlineShards>,
        count: impl Fn(Taken) + Clone + Send + 'static,
    ) -> io::Result<Option<Helpers>> {
        let n = shards.helpers();
        if n == 0 {
            return Ok(None);
        }
        let mut queues = Vec::with_capacity(n);
        for i in 0..n {
            let (tx, rx) = queue::bounded(HELPER_QUEUE);
            let shard = shards.shard();
            let count = count.clone();
            std::thread::Builder::new()
                .name(format!("render-{sink}-{i}"))
                .spawn(move || run(rx, shard, count))?;
            queues.push(tx);
        }
        Ok(Some(Helpers { queues }))
    }

    /// Gives `batch` to the first helper with room; false if all are busy.
    pub fn offer(&self, batch: &Arc<Batch>) -> bool {
        self.queues
            .iter()
            .any(|q| q.try_send(batch.clone()).is_ok())
    }
}

/// A helper's loop: ends once every worker's sender is gone and its queue
/// is empty, after handing on what its shard holds.
fn run(rx: QueueReceiver<Arc<Batch>>, mut shard: Box<dyn InlineSink>, count: impl Fn(Taken)) {
    let mut last_flush = Instant::now();
    loop {
        match rx.recv_timeout(FLUSH_EVERY) {
            Ok(batch) => {
                count(shard.take(&batch.flows, &batch.counters));
                // The worker reuses the batch once every holder let go.
                drop(batch);
                if last_flush.elapsed() < FLUSH_EVERY {
                    continue;
                }
            }
            Err(RecvError::Timeout) => {}
            Err(RecvError::Closed) => break,
        }
        count(shard.flush());
        last_flush = Instant::now();
    }
    count(shard.flush());
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::mpsc;
    use std::sync::Mutex;

    use flowgate_record::{CounterRecord, RecordBatch};

    use super::*;
    use crate::batch::test_batch;

    /// A gate a shard says it reached and then waits at, one word per batch.
    type Gate = (mpsc::Sender<()>, mpsc::Receiver<()>);

    /// Shards that count records; the first one made may hold a gate: a
    /// helper made busy on purpose.
    struct Counting {
        helpers: usize,
        gate: Mutex<Option<Gate>>,
    }

    struct CountingShard {
        gate: Option<Gate>,
        held: u64,
    }

    impl InlineShards for Counting {
        fn shard(&self) -> Box<dyn InlineSink> {
            Box::new(CountingShard {
                gate: self.gate.lock().unwrap().take(),
                held: 0,
            })
        }

        fn helpers(&self) -> usize {
            self.helpers
        }
    }

    impl InlineSink for CountingShard {
        fn take(&mut self, flows: &RecordBatch, _: &[CounterRecord]) -> Taken {
            if let Some((reached, open)) = &self.gate {
                let _ = reached.send(());
                let _ = open.recv();
            }
            self.held += flows.len() as u64;
            Taken {
                received: flows.len() as u64,
                ..Taken::default()
            }
        }

        /// What a shard holds counts as sent once flushed.
        fn flush(&mut self) -> Taken {
            Taken {
                sent: std::mem::take(&mut self.held),
                ..Taken::default()
            }
        }
    }

    fn booked() -> (Arc<[AtomicU64; 2]>, impl Fn(Taken) + Clone + Send + 'static) {
        let totals = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
        let t = totals.clone();
        (totals, move |taken: Taken| {
            t[0].fetch_add(taken.received, Ordering::SeqCst);
            t[1].fetch_add(taken.sent, Ordering::SeqCst);
        })
    }

    fn wait_for(what: &str, ok: impl Fn() -> bool) {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !ok() {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    fn counting(helpers: usize, gate: Option<Gate>) -> Arc<dyn InlineShards> {
        Arc::new(Counting {
            helpers,
            gate: Mutex::new(gate),
        })
    }

    #[test]
    fn no_helpers_start_no_threads() {
        let shards = counting(0, None);
        let (_, count) = booked();
        assert!(Helpers::start("s", &shards, count).unwrap().is_none());
    }

    #[test]
    fn a_busy_helper_refuses_and_every_offered_record_is_booked() {
        let (open, gate_open) = mpsc::channel();
        let (gate_reached, reached) = mpsc::channel();
        let shards = counting(1, Some((gate_reached, gate_open)));
        let (totals, count) = booked();
        let helpers = Helpers::start("s", &shards, count).unwrap().unwrap();
        let first = test_batch(0, 3);
        assert!(helpers.offer(&first), "an idle helper takes a batch");
        reached.recv_timeout(Duration::from_secs(10)).unwrap();
        for n in [5, 7] {
            assert!(
                helpers.offer(&test_batch(0, n)),
                "two more wait in its queue"
            );
        }
        assert!(
            !helpers.offer(&test_batch(0, 9)),
            "a full queue refuses: the worker renders"
        );
        for _ in 0..3 {
            open.send(()).unwrap();
        }
        wait_for("the three batches", || {
            totals[0].load(Ordering::SeqCst) == 15
        });
        wait_for("the worker's reference only", || {
            Arc::strong_count(&first) == 1
        });
        // Gone workers close the queue: the helper flushes what it holds and ends.
        drop(helpers);
        wait_for("the final flush", || totals[1].load(Ordering::SeqCst) == 15);
        assert_eq!(
            totals[0].load(Ordering::SeqCst),
            15,
            "nothing counted twice"
        );
    }

    #[test]
    fn a_helper_hands_on_what_it_holds_while_idle() {
        let shards = counting(2, None);
        let (totals, count) = booked();
        let helpers = Helpers::start("s", &shards, count).unwrap().unwrap();
        assert!(helpers.offer(&test_batch(0, 4)));
        // The workers are still there: only the flush timer hands it on.
        wait_for("the timed flush", || totals[1].load(Ordering::SeqCst) == 4);
        drop(helpers);
    }
}
