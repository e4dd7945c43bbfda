//! The bounded queue between the receive workers and one sink. Workers
//! never wait on it: a full queue drops the batch (counted by the caller).
//! std's sync_channel has no length, so the depth is kept beside it for
//! the `flowgate_queue_depth` gauge.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::Duration;

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
}
