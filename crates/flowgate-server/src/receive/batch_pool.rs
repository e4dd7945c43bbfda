//! Record batches are shared with the sinks as `Arc`s. A worker keeps the
//! ones it sent and takes one back once every sink is done with it, so in
//! the steady state batches (and the strings inside their records) are
//! reused instead of allocated per recvmmsg call.

use std::collections::VecDeque;
use std::sync::Arc;

use crate::batch::Batch;

/// Sent batches remembered per worker; older ones are let go.
const KEEP: usize = 64;
/// Records pre-allocated in a fresh batch.
const FRESH_CAPACITY: usize = 64;

#[derive(Default)]
pub struct BatchPool {
    sent: VecDeque<Arc<Batch>>,
    spare: Option<Batch>,
}

impl BatchPool {
    pub fn take(&mut self) -> Batch {
        if let Some(b) = self.spare.take() {
            return b;
        }
        if let Some(front) = self.sent.pop_front() {
            match Arc::try_unwrap(front) {
                Ok(mut b) => {
                    b.clear();
                    return b;
                }
                Err(still_shared) => self.sent.push_front(still_shared),
            }
        }
        Batch::with_capacity(FRESH_CAPACITY)
    }

    /// A batch that was not sent (nothing decoded).
    pub fn give_back(&mut self, mut b: Batch) {
        b.clear();
        self.spare = Some(b);
    }

    pub fn keep(&mut self, sent: Arc<Batch>) {
        if self.sent.len() >= KEEP {
            self.sent.pop_front();
        }
        self.sent.push_back(sent);
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
}
