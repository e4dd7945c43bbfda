//! sFlow counter samples as interface counters: the latest generic
//! interface counters per agent and ifIndex, bounded, idle ones expiring.
//! sFlow counters are the agent's running totals, so they are exported as
//! sent (a restarted agent shows as a counter reset).

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use flowgate_record::{CounterRecord, GenericInterface};

#[derive(Debug)]
pub struct Interface {
    pub agent: IpAddr,
    pub if_index: u32,
    /// Open vSwitch's port_name (0/1005) when the agent sends it.
    pub if_name: String,
    pub counters: GenericInterface,
    last_seen: u64,
}

#[derive(Debug)]
pub struct InterfaceTable {
    index: HashMap<(IpAddr, u32), usize>,
    rows: Vec<Option<Interface>>,
    free: Vec<usize>,
    max: usize,
    /// Samples of interfaces beyond `max`, not tracked.
    pub untracked: u64,
    pub expired: u64,
}

impl InterfaceTable {
    pub fn new(max: usize) -> Self {
        InterfaceTable {
            index: HashMap::new(),
            rows: Vec::new(),
            free: Vec::new(),
            max,
            untracked: 0,
            expired: 0,
        }
    }

    /// Takes the sample's generic interface counters, if it has them.
    pub fn update(&mut self, c: &CounterRecord, now: u64) {
        let Some(g) = c.generic_interface else {
            return;
        };
        let agent = c
            .sampler_address
            .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        let key = (agent, g.if_index);
        if let Some(&i) = self.index.get(&key) {
            let row = self.rows[i].as_mut().expect("indexed rows are live");
            row.counters = g;
            row.last_seen = now;
            if let Some(name) = c.port_name.as_deref().filter(|n| *n != row.if_name) {
                row.if_name = name.to_owned();
            }
            return;
        }
        if self.index.len() >= self.max {
            self.untracked += 1;
            return;
        }
        let row = Interface {
            agent,
            if_index: g.if_index,
            if_name: c.port_name.clone().unwrap_or_default(),
            counters: g,
            last_seen: now,
        };
        let i = match self.free.pop() {
            Some(i) => {
                self.rows[i] = Some(row);
                i
            }
            None => {
                self.rows.push(Some(row));
                self.rows.len() - 1
            }
        };
        self.index.insert(key, i);
    }

    pub fn expire(&mut self, now: u64, ttl: u64) {
        for (i, slot) in self.rows.iter_mut().enumerate() {
            if slot
                .as_ref()
                .is_some_and(|r| now.saturating_sub(r.last_seen) >= ttl)
            {
                let r = slot.take().expect("checked live");
                self.index.remove(&(r.agent, r.if_index));
                self.free.push(i);
                self.expired += 1;
            }
        }
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn rows(&self) -> impl Iterator<Item = &Interface> {
        self.rows.iter().flatten()
    }
}

/// A counter as sFlow sent it, or None for the all-ones "unknown" value.
pub fn known32(v: u32) -> Option<u64> {
    (v != u32::MAX).then_some(v.into())
}

pub fn known64(v: u64) -> Option<u64> {
    (v != u64::MAX).then_some(v)
}

/// Unicast + multicast + broadcast packets, None if any part is unknown.
pub fn packets(ucast: u32, mcast: u32, bcast: u32) -> Option<u64> {
    Some(known32(ucast)? + known32(mcast)? + known32(bcast)?)
}
