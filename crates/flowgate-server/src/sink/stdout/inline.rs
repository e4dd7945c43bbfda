//! The stdout sink's part on each receive worker: renders the worker's
//! records into a chunk of lines and hands full chunks to the sink's
//! thread through its bounded queue. A chunk the queue cannot take after
//! a short, budgeted wait (`ChunkSender`) is dropped and counted
//! (`sink_queue`, `queue_full`), as a batch was before: a stuck output
//! cannot hold a worker.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use flowgate_record::{CounterRecord, RecordBatch};

use super::Format;
use crate::sink::{Chunk, ChunkSender, InlineShards, InlineSink, Taken};

/// A chunk is handed on once it holds this many bytes: large enough that
/// the queue and the write cost little per line, small enough to stay in a
/// core's L2 cache while it fills.
pub(super) const CHUNK_BYTES: usize = 128 * 1024;
/// Records rendered between two looks at the chunk's size, so that a chunk
/// passes `CHUNK_BYTES` by at most this many lines whatever the batch size
/// (the memory bound of a full queue, .ci/k8s_check.py, relies on it).
const LINES_PER_LOOK: usize = 32;
/// Room beyond `CHUNK_BYTES` so that the lines crossing it rarely regrow the buffer.
const LINE_SLACK: usize = 32 * 1024;
/// Written chunks kept for the shards to fill again, instead of freed:
/// enough for what the sink's thread takes in one nap at the top rates
/// (~12 chunks at 25 k chunks/s, `sink::runner`) with room to spare. With
/// 8, chunks beyond them were freed and new ones allocated, and the fresh
/// pages cost ~40 k page faults a second at 4.1 M v5 lines/s (`perf record
/// -e page-faults`: all of them in the renderer's first writes). At most
/// ~5 MiB stays kept after a burst.
const SPARE_MAX: usize = 32;

/// What the sink shares with its shards.
pub(in crate::sink) struct Shared {
    format: Mutex<Arc<Format>>,
    /// Bumped on reload; a shard compares it to its own before each batch,
    /// so it takes the lock only when the format changed.
    generation: AtomicU64,
    spare: Mutex<Vec<Vec<u8>>>,
}

impl Shared {
    pub(super) fn new(format: Arc<Format>) -> Self {
        Shared {
            format: Mutex::new(format),
            generation: AtomicU64::new(0),
            spare: Mutex::new(Vec::new()),
        }
    }

    pub(super) fn set_format(&self, format: Arc<Format>) {
        *self.format.lock().unwrap() = format;
        self.generation.fetch_add(1, Ordering::Release);
    }

    /// Keeps a written chunk's buffer for a shard to fill again.
    pub(super) fn give_back(&self, mut buf: Vec<u8>) {
        let mut spare = self.spare.lock().unwrap();
        if spare.len() < SPARE_MAX && buf.capacity() >= CHUNK_BYTES {
            buf.clear();
            spare.push(buf);
        }
    }

    fn buffer(&self) -> Vec<u8> {
        self.spare
            .lock()
            .unwrap()
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(CHUNK_BYTES + LINE_SLACK))
    }
}

pub(super) struct Shards {
    shared: Arc<Shared>,
    chunks: ChunkSender,
    helpers: usize,
}

impl Shards {
    pub(super) fn new(shared: Arc<Shared>, chunks: ChunkSender, helpers: usize) -> Self {
        Shards {
            shared,
            chunks,
            helpers,
        }
    }
}

impl InlineShards for Shards {
    fn shard(&self) -> Box<dyn InlineSink> {
        let generation = self.shared.generation.load(Ordering::Acquire);
        let format = self.shared.format.lock().unwrap().clone();
        Box::new(LineShard {
            shared: self.shared.clone(),
            chunks: self.chunks.clone(),
            format,
            generation,
            chunk: Chunk {
                bytes: self.shared.buffer(),
                records: 0,
            },
        })
    }

    fn helpers(&self) -> usize {
        self.helpers
    }
}

struct LineShard {
    shared: Arc<Shared>,
    chunks: ChunkSender,
    format: Arc<Format>,
    generation: u64,
    chunk: Chunk,
}

impl LineShard {
    fn refresh(&mut self) {
        let now = self.shared.generation.load(Ordering::Acquire);
        if now != self.generation {
            self.format = self.shared.format.lock().unwrap().clone();
            self.generation = now;
        }
    }

    /// Sends the chunk to the sink's thread, if it holds any line; says
    /// how many records were lost, and why, if the queue refused it.
    fn hand_on(&mut self) -> Option<(&'static str, u64)> {
        if self.chunk.records == 0 {
            return None;
        }
        let next = Chunk {
            bytes: self.shared.buffer(),
            records: 0,
        };
        let chunk = std::mem::replace(&mut self.chunk, next);
        let records = chunk.records;
        self.chunks
            .try_send(chunk)
            .err()
            .map(|reason| (reason, records))
    }

    /// Counts `n` records just rendered, and hands the chunk on once full.
    fn add(&mut self, n: u64, taken: &mut Taken) {
        self.chunk.records += n;
        taken.received += n;
        if self.chunk.bytes.len() >= CHUNK_BYTES {
            if let Some((reason, lost)) = self.hand_on() {
                let before = taken.dropped.map_or(0, |(_, d)| d);
                taken.dropped = Some((reason, before + lost));
            }
        }
    }
}

impl InlineSink for LineShard {
    fn take(&mut self, flows: &RecordBatch, counters: &[CounterRecord]) -> Taken {
        self.refresh();
        let mut taken = Taken::default();
        for part in flows.as_slice().chunks(LINES_PER_LOOK) {
            self.format
                .renderer
                .write_batch(part, &mut self.chunk.bytes);
            self.add(part.len() as u64, &mut taken);
        }
        let n = self.format.render_counters(counters, &mut self.chunk.bytes);
        self.add(n, &mut taken);
        taken
    }

    fn flush(&mut self) -> Taken {
        Taken {
            dropped: self.hand_on(),
            ..Taken::default()
        }
    }
}
