//! What travels from a receive worker to the sinks: the flow records of one
//! recvmmsg call, and the sFlow counter samples that came with them.

use flowgate_record::{CounterRecord, RecordBatch};

#[derive(Debug, Default)]
pub struct Batch {
    pub flows: RecordBatch,
    /// sFlow counter samples (interface statistics, not flows).
    pub counters: Vec<CounterRecord>,
}

impl Batch {
    pub fn with_capacity(flows: usize) -> Self {
        Batch {
            flows: RecordBatch::with_capacity(flows),
            counters: Vec::new(),
        }
    }

    /// Flow records and counter samples: what the sink counters count.
    pub fn len(&self) -> usize {
        self.flows.len() + self.counters.len()
    }

    pub fn is_empty(&self) -> bool {
        self.flows.is_empty() && self.counters.is_empty()
    }

    pub fn clear(&mut self) {
        self.flows.clear();
        self.counters.clear();
    }
}

/// A shared batch of `n` flow records whose `bytes` count up from `from`.
#[cfg(test)]
pub fn test_batch(from: u64, n: u64) -> std::sync::Arc<Batch> {
    let mut b = Batch::with_capacity(n as usize);
    for i in from..from + n {
        b.flows.push().bytes = i;
    }
    std::sync::Arc::new(b)
}
