//! The bounded queue between the receive workers and one sink. Workers
//! do not wait on it beyond a bound: a full queue drops the batch (counted
//! by the caller).
//! std's sync_channel has no length, so the depth is kept beside it for
//! the `flowgate_queue_depth` gauge.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct QueueSender<T> {
    tx: SyncSender<T>,
    depth: Arc<AtomicUsize>,
}

impl<T> Clone for QueueSender<T> {
    fn clone(&self) -> Self {
        QueueSender {
            tx: self.tx.clone(),
            depth: self.depth.clone(),
        }
    }
}

#[derive(Debug)]
pub struct QueueReceiver<T> {
    rx: mpsc::Receiver<T>,
    depth: Arc<AtomicUsize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    Full,
    /// The consumer is gone.
    Closed,
}

impl SendError {
    /// The `reason` label of the records it drops.
    pub fn reason(self) -> &'static str {
        match self {
            SendError::Full => "queue_full",
            SendError::Closed => "sink_stopped",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecvError {
    Timeout,
    /// Every sender is gone and the queue is empty.
    Closed,
}

pub fn bounded<T>(capacity: usize) -> (QueueSender<T>, QueueReceiver<T>) {
    let (tx, rx) = mpsc::sync_channel(capacity.max(1));
    let depth = Arc::new(AtomicUsize::new(0));
    (
        QueueSender {
            tx,
            depth: depth.clone(),
        },
        QueueReceiver { rx, depth },
    )
}

impl<T> QueueSender<T> {
    pub fn try_send(&self, item: T) -> Result<(), SendError> {
        // Counted before the send so the receiver never sees the depth below zero.
        self.depth.fetch_add(1, Ordering::Relaxed);
        self.tx.try_send(item).map_err(|e| {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            match e {
                TrySendError::Full(_) => SendError::Full,
                TrySendError::Disconnected(_) => SendError::Closed,
            }
        })
    }

    /// Waits up to `wait` for room, in short sleeps that leave this core to
    /// the consumer; `Full` once the wait is over.
    pub fn send_within(&self, item: T, wait: Duration) -> Result<(), SendError> {
        const STEP: Duration = Duration::from_micros(100);
        self.depth.fetch_add(1, Ordering::Relaxed);
        let mut item = item;
        let mut deadline = None;
        loop {
            match self.tx.try_send(item) {
                Ok(()) => return Ok(()),
                Err(TrySendError::Full(back)) => {
                    let until = *deadline.get_or_insert_with(|| Instant::now() + wait);
                    if wait.is_zero() || Instant::now() >= until {
                        self.depth.fetch_sub(1, Ordering::Relaxed);
                        return Err(SendError::Full);
                    }
                    item = back;
                    std::thread::sleep(STEP);
                }
                Err(TrySendError::Disconnected(_)) => {
                    self.depth.fetch_sub(1, Ordering::Relaxed);
                    return Err(SendError::Closed);
                }
            }
        }
    }

    /// A blocking send, for replaying files where waiting is right and dropping is not.
    pub fn send(&self, item: T) -> Result<(), SendError> {
        self.depth.fetch_add(1, Ordering::Relaxed);
        self.tx.send(item).map_err(|_| {
            self.depth.fetch_sub(1, Ordering::Relaxed);
            SendError::Closed
        })
    }

    pub fn depth_gauge(&self) -> Arc<AtomicUsize> {
        self.depth.clone()
    }
}

impl<T> QueueReceiver<T> {
    pub fn recv_timeout(&self, timeout: Duration) -> Result<T, RecvError> {
        match self.rx.recv_timeout(timeout) {
            Ok(item) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                Ok(item)
            }
            Err(RecvTimeoutError::Timeout) => Err(RecvError::Timeout),
            Err(RecvTimeoutError::Disconnected) => Err(RecvError::Closed),
        }
    }

    /// What is waiting, if anything, without waiting.
    pub fn try_recv(&self) -> Result<Option<T>, RecvError> {
        match self.rx.try_recv() {
            Ok(item) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                Ok(Some(item))
            }
            Err(mpsc::TryRecvError::Empty) => Ok(None),
            Err(mpsc::TryRecvError::Disconnected) => Err(RecvError::Closed),
        }
    }

    #[cfg(test)]
    pub fn depth(&self) -> usize {
        self.depth.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_queue_refuses_without_waiting_and_depth_follows() {
        let (tx, rx) = bounded(2);
        assert_eq!(tx.try_send(1), Ok(()));
        assert_eq!(tx.try_send(2), Ok(()));
        assert_eq!(tx.try_send(3), Err(SendError::Full));
        assert_eq!(rx.depth(), 2);
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(1));
        assert_eq!(rx.depth(), 1);
        drop(tx);
        assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(2));
        assert_eq!(rx.recv_timeout(Duration::ZERO), Err(RecvError::Closed));
    }

    #[test]
    fn send_within_waits_for_room_and_gives_up_after_the_wait() {
        let (tx, rx) = bounded(1);
        tx.try_send(1).unwrap();
        let rx = std::thread::scope(|s| {
            let taker = s.spawn(move || {
                std::thread::sleep(Duration::from_millis(2));
                assert_eq!(rx.recv_timeout(Duration::ZERO), Ok(1));
                rx
            });
            assert_eq!(tx.send_within(2, Duration::from_secs(5)), Ok(()));
            taker.join().unwrap()
        });
        let started = Instant::now();
        let wait = Duration::from_millis(5);
        assert_eq!(tx.send_within(3, wait), Err(SendError::Full));
        assert!(
            started.elapsed() >= wait,
            "gave up before the wait was over"
        );
        assert_eq!(rx.depth(), 1, "a refused item is not counted");
        assert_eq!(tx.send_within(4, Duration::ZERO), Err(SendError::Full));
        drop(rx);
        assert_eq!(tx.send_within(5, wait), Err(SendError::Closed));
    }
}
