//! Data sets that arrived before their template, held per exporter with the
//! header context needed to decode them later.

use std::collections::VecDeque;

use super::store::DomainKey;
use super::Limits;

/// What a data set needs from its message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HeaderCtx {
    pub key: DomainKey,
    pub sequence: u32,
    /// Export time (v9 unix_secs, IPFIX export time), seconds.
    pub export_secs: u32,
    /// v9 sysUptime in ms; 0 for IPFIX.
    pub uptime_ms: u32,
    pub received_ns: u64,
}

#[derive(Debug)]
pub(crate) struct Held {
    pub ctx: HeaderCtx,
    pub template_id: u16,
    pub body: Box<[u8]>,
}

#[derive(Debug, Default)]
pub(crate) struct Pending {
    sets: VecDeque<Held>,
    bytes: usize,
}

/// Outcome of holding a set: whether it was kept and how many older sets
/// were dropped to make room.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HoldResult {
    pub held: bool,
    pub dropped: u32,
}

impl Pending {
    pub(crate) fn is_empty(&self) -> bool {
        self.sets.is_empty()
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.sets.len()
    }

    /// Drops sets older than the TTL; returns how many.
    pub(crate) fn expire(&mut self, now_ns: u64, ttl_ns: u64) -> u32 {
        let before = self.sets.len();
        let bytes = &mut self.bytes;
        self.sets.retain(|h| {
            let keep = now_ns.saturating_sub(h.ctx.received_ns) <= ttl_ns;
            if !keep {
                *bytes -= h.body.len();
            }
            keep
        });
        (before - self.sets.len()) as u32
    }

    /// Holds a copy of `body`. The oldest sets make room for it: the newest
    /// are the likeliest to be decodable when the template comes.
    pub(crate) fn hold(
        &mut self,
        limits: &Limits,
        ctx: HeaderCtx,
        template_id: u16,
        body: &[u8],
    ) -> HoldResult {
        let (max_sets, max_bytes) = (
            limits.max_pending_sets_per_exporter,
            limits.max_pending_bytes_per_exporter,
        );
        if max_sets == 0 || body.len() > max_bytes {
            return HoldResult {
                held: false,
                dropped: 0,
            };
        }
        let mut dropped = 0;
        while self.sets.len() >= max_sets || self.bytes + body.len() > max_bytes {
            let Some(old) = self.sets.pop_front() else {
                break;
            };
            self.bytes -= old.body.len();
            dropped += 1;
        }
        self.bytes += body.len();
        self.sets.push_back(Held {
            ctx,
            template_id,
            body: body.into(),
        });
        HoldResult {
            held: true,
            dropped,
        }
    }

    /// Removes and returns, oldest first, the sets waiting for this template.
    pub(crate) fn take(&mut self, key: DomainKey, template_id: u16) -> Vec<Held> {
        if !self
            .sets
            .iter()
            .any(|h| h.ctx.key == key && h.template_id == template_id)
        {
            return Vec::new();
        }
        let mut taken = Vec::new();
        let mut kept = VecDeque::with_capacity(self.sets.len());
        for h in self.sets.drain(..) {
            if h.ctx.key == key && h.template_id == template_id {
                self.bytes -= h.body.len();
                taken.push(h);
            } else {
                kept.push_back(h);
            }
        }
        self.sets = kept;
        taken
    }
}

#[cfg(test)]
mod tests {
    use super::super::store::Proto;
    use super::*;

    fn ctx(received_ns: u64) -> HeaderCtx {
        HeaderCtx {
            key: DomainKey {
                proto: Proto::Ipfix,
                domain: 0,
            },
            sequence: 0,
            export_secs: 0,
            uptime_ms: 0,
            received_ns,
        }
    }

    #[test]
    fn bounded_by_count_and_bytes_and_ttl() {
        let limits = Limits {
            max_pending_sets_per_exporter: 2,
            max_pending_bytes_per_exporter: 10,
            pending_ttl_ns: 100,
            ..Limits::default()
        };
        let mut p = Pending::default();
        assert_eq!(p.hold(&limits, ctx(0), 256, &[0; 4]).dropped, 0);
        assert_eq!(p.hold(&limits, ctx(1), 257, &[0; 4]).dropped, 0);
        assert_eq!(p.hold(&limits, ctx(2), 258, &[0; 4]).dropped, 1);
        assert_eq!(p.hold(&limits, ctx(3), 259, &[0; 8]).dropped, 2);
        assert!(!p.hold(&limits, ctx(3), 259, &[0; 11]).held);
        assert_eq!(p.len(), 1);
        assert!(p.take(ctx(0).key, 256).is_empty());
        assert_eq!(p.expire(150, 100), 1);
        assert!(p.is_empty());
        assert_eq!(p.bytes, 0);
    }
}
