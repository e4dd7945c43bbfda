//! Record batches are shared with the sinks as `Arc`s. A worker keeps the
//! ones it sent and takes one back once every sink is done with it, so in
//! the steady state batches (and the strings inside their records) are
//! reused instead of allocated per recvmmsg call.
//!
//! Reuse is last-released-first: the batch the sinks finished most
//! recently is still in cache, while cycling through every batch ever
//! allocated (first-in-first-out) made each record reset a cache miss and
//! was a third of the receive thread's time. Released batches are kept
//! (not freed and allocated again after every burst, which cost another
//! tenth), up to KEEP batches held in all, which bounds the memory.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::batch::Batch;

/// Records after which a worker sends the batch it is filling and starts
/// another (also between the datagrams of one recvmmsg call): small enough
/// that a batch stays in the CPU cache between the worker and a sink,
/// large enough that hand-off costs little per record.
pub const FLUSH_RECORDS: usize = 256;
/// The same when only inline sinks take the batch: it never leaves the
/// worker, so it is sized to stay in the core's L1 cache between being
/// filled, aggregated and reset (32 records of ~300 bytes).
pub const INLINE_FLUSH_RECORDS: usize = 32;
/// Batches a worker holds, sent or idle; beyond it the oldest idle one is
/// freed, or the oldest sent one let go (its sinks free it).
pub const KEEP: usize = 64;

#[derive(Default)]
pub struct BatchPool {
    sent: VecDeque<Arc<Batch>>,
    idle: Vec<Batch>,
    /// Batches never leave the worker (only inline sinks).
    local: bool,
}

impl BatchPool {
    /// `local`: only inline sinks read the batches, on the worker's core.
    pub fn new(local: bool) -> Self {
        BatchPool {
            local,
            ..Default::default()
        }
    }

    pub fn is_local(&self) -> bool {
        self.local
    }

    /// Records after which the worker hands the batch on.
    pub fn flush_records(&self) -> usize {
        if self.local {
            INLINE_FLUSH_RECORDS
        } else {
            FLUSH_RECORDS
        }
    }

    pub fn take(&mut self) -> Batch {
        // Sinks finish batches in the order they were sent, so the
        // released ones are at the front.
        while let Some(front) = self.sent.pop_front() {
            match Arc::try_unwrap(front) {
                Ok(mut b) => {
                    b.clear();
                    // Another core read it: reset with a look before each store.
                    b.flows.set_local(false);
                    self.idle.push(b);
                }
                Err(still_shared) => {
                    self.sent.push_front(still_shared);
                    break;
                }
            }
        }
        self.idle.pop().unwrap_or_else(|| {
            let mut b = Batch::with_capacity(FLUSH_RECORDS);
            b.flows.set_local(self.local);
            b
        })
    }

    /// A batch only this thread read (or nothing was decoded into): its
    /// records are reset by plain stores.
    pub fn give_back(&mut self, mut b: Batch) {
        b.clear();
        b.flows.set_local(true);
        self.idle.push(b);
    }

    /// A batch offered to other threads. One none of them kept is free
    /// at once: it goes straight back to the idle ones rather than behind
    /// a batch a render thread or a sink still holds (where it would wait,
    /// and fresh batches be allocated meanwhile).
    pub fn keep(&mut self, sent: Arc<Batch>) {
        let sent = match Arc::try_unwrap(sent) {
            Ok(b) => return self.give_back(b),
            Err(shared) => shared,
        };
        if self.sent.len() + self.idle.len() >= KEEP {
            if self.idle.is_empty() {
                self.sent.pop_front();
            } else {
                // The oldest idle one is the coldest.
                self.idle.remove(0);
            }
        }
        self.sent.push_back(sent);
    }

    /// Batches this pool holds (in flight or idle), for tests.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.sent.len() + self.idle.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_comes_back_once_the_sinks_let_go() {
        let mut pool = BatchPool::default();
        let mut b = pool.take();
        b.flows.push().bytes = 7;
        let sent = Arc::new(b);
        let in_sink = sent.clone();
        pool.keep(sent);
        let fresh = pool.take();
        assert!(fresh.is_empty());
        drop(in_sink);
        let reused = pool.take();
        assert!(reused.is_empty(), "cleared before reuse");
        pool.give_back(fresh);
        assert!(pool.take().is_empty());
    }

    /// Marks a batch in a way `clear` keeps: its counters' capacity.
    fn sent_marked(pool: &mut BatchPool, mark: usize, sinks: &mut Vec<Arc<Batch>>) {
        let mut b = pool.take();
        b.counters.reserve_exact(mark);
        b.flows.push();
        let a = Arc::new(b);
        sinks.push(a.clone());
        pool.keep(a);
    }

    #[test]
    fn a_batch_no_other_core_read_resets_in_cache() {
        let mut pool = BatchPool::new(false);
        for left in [false, true] {
            let mut b = pool.take();
            b.flows.push();
            let b = Arc::new(b);
            let elsewhere = left.then(|| b.clone());
            pool.keep(b);
            drop(elsewhere);
            let again = pool.take();
            assert_eq!(again.flows.is_local(), !left, "left another core: {left}");
            pool.give_back(again);
        }
    }

    #[test]
    fn a_batch_that_stayed_is_reused_while_an_older_one_is_still_out() {
        let mut pool = BatchPool::new(false);
        let mut b = pool.take();
        b.counters.reserve_exact(10);
        let out = Arc::new(b);
        pool.keep(out.clone());
        let mut b = pool.take();
        b.counters.reserve_exact(20);
        pool.keep(Arc::new(b));
        let again = pool.take();
        assert_eq!(again.counters.capacity(), 20, "reused, not a new batch");
        drop(out);
    }

    #[test]
    fn the_most_recently_released_batch_is_reused_first() {
        let mut pool = BatchPool::default();
        let mut in_sinks = Vec::new();
        for mark in [10, 20, 30] {
            sent_marked(&mut pool, mark, &mut in_sinks);
        }
        in_sinks.clear();
        let b = pool.take();
        assert!(b.is_empty());
        assert_eq!(b.counters.capacity(), 30, "the last one sent and released");
    }

    #[test]
    fn the_pool_holds_at_most_keep_batches() {
        let mut pool = BatchPool::default();
        let mut in_sinks = Vec::new();
        for mark in 1..=KEEP + 10 {
            sent_marked(&mut pool, mark, &mut in_sinks);
        }
        assert_eq!(pool.held(), KEEP, "the oldest sent ones were let go");
        in_sinks.clear();
        let b = pool.take();
        assert_eq!(b.counters.capacity(), KEEP + 10, "the newest is reused");
        assert_eq!(pool.held(), KEEP - 1, "released batches kept for reuse");
        for _ in 0..5 {
            let again = pool.take();
            assert!(
                again.counters.capacity() > 0,
                "an idle batch, not a new one"
            );
            pool.keep(Arc::new(again));
        }
        assert_eq!(
            pool.held(),
            KEEP - 1,
            "nothing allocated while idle ones remain"
        );
    }
}
