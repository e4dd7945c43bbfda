//! The Kubernetes enricher: pods, services and nodes from the API server.
//!
//! A thread of its own runs a small tokio runtime with one kube-rs
//! reflector per kind (Pods, Services, Nodes, and the metadata of
//! ReplicaSets and Jobs for owner chains). After each burst of watch events
//! it rebuilds the lookup table from the reflector stores and swaps it in;
//! the receive workers only ever read the current table.
//!
//! When the API server cannot be reached the watches retry with back-off,
//! the table in use stays (empty before the first list), and records are
//! still passed on, counted as `unavailable` when nothing matched. After
//! reconnecting, the watches resume (or re-list) and the table catches up.

pub mod index;
mod watch;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use arc_swap::ArcSwap;
use flowgate_config::KubernetesEnricherConfig;
use flowgate_record::FlowRecord;

use crate::table::IpTable;
use crate::{fill, Enricher, Health, Stats, StatsSnapshot};

/// The watched kinds, in the order of [`Shared::watches`].
pub(crate) const KINDS: [&str; 5] = ["pods", "services", "nodes", "replicasets", "jobs"];

#[derive(Debug, Default)]
pub(crate) struct WatchState {
    /// The first complete list has arrived.
    synced: bool,
    /// The last thing the watch did was fail, and why.
    error: Option<String>,
}

pub(crate) struct Shared {
    pub(crate) name: String,
    pub(crate) table: ArcSwap<IpTable>,
    stats: Stats,
    watches: Mutex<[WatchState; 5]>,
    /// Every watch has listed and none is failing: misses are real misses.
    usable: AtomicBool,
}

impl Shared {
    fn new(name: &str, table: IpTable, usable: bool) -> Self {
        Shared {
            name: name.to_owned(),
            table: ArcSwap::from_pointee(table),
            stats: Stats::default(),
            watches: Mutex::new(Default::default()),
            usable: AtomicBool::new(usable),
        }
    }

    /// A watch event arrived (`listed`: its initial list is complete).
    pub(crate) fn watch_ok(&self, kind: usize, listed: bool) {
        let mut w = self.watches.lock().unwrap();
        if let Some(e) = w[kind].error.take() {
            tracing::info!(enricher = %self.name, "{}: the API server answers again (after: {e})", KINDS[kind]);
        }
        w[kind].synced |= listed;
        self.usable.store(
            w.iter().all(|s| s.synced && s.error.is_none()),
            Ordering::Relaxed,
        );
    }

    /// The kinds whose last watch attempt failed.
    pub(crate) fn failing(&self) -> Vec<usize> {
        let w = self.watches.lock().unwrap();
        (0..KINDS.len()).filter(|&k| w[k].error.is_some()).collect()
    }

    pub(crate) fn watch_failed(&self, kind: usize, why: String) {
        let mut w = self.watches.lock().unwrap();
        if w[kind].error.is_none() {
            tracing::warn!(
                enricher = %self.name,
                "watching {} failed, retrying with back-off; flows pass un-enriched where the cache has nothing: {why}",
                KINDS[kind]
            );
        }
        w[kind].error = Some(why);
        self.usable.store(false, Ordering::Relaxed);
    }

    fn health(&self) -> Health {
        let w = self.watches.lock().unwrap();
        let mut problems = Vec::new();
        for (kind, s) in KINDS.iter().zip(w.iter()) {
            match (&s.error, s.synced) {
                (Some(e), _) => problems.push(format!("{kind}: {e}")),
                (None, false) => problems.push(format!("{kind}: not listed yet")),
                (None, true) => {}
            }
        }
        if problems.is_empty() {
            Health::Ok
        } else {
            Health::Failing(problems.join("; "))
        }
    }
}

/// What the watch thread needs from the config.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub labels: Vec<String>,
    pub rebuild_delay: Duration,
}

pub struct KubernetesEnricher {
    shared: Arc<Shared>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl KubernetesEnricher {
    /// Finds the cluster (the kubeconfig, else in-cluster) and starts
    /// watching. Not finding a configuration is an error; not reaching the
    /// API server is not (the watches retry).
    pub fn start(name: &str, c: &KubernetesEnricherConfig) -> Result<Self, String> {
        let shared = Arc::new(Shared::new(name, IpTable::new(), false));
        let settings = Settings {
            labels: c.labels.clone(),
            rebuild_delay: c.rebuild_delay.get(),
        };
        let (ready_tx, ready_rx) = mpsc::channel::<Result<(), String>>();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let config = c.clone();
        let thread_shared = shared.clone();
        let thread = std::thread::Builder::new()
            .name(format!("enrich-{name}"))
            .spawn(move || {
                let rt = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(format!("starting its runtime: {e}")));
                        return;
                    }
                };
                rt.block_on(async move {
                    let client = match watch::client(&config).await {
                        Ok(c) => {
                            let _ = ready_tx.send(Ok(()));
                            c
                        }
                        Err(e) => {
                            let _ = ready_tx.send(Err(e));
                            return;
                        }
                    };
                    watch::run(client, thread_shared, settings, stop_rx).await;
                });
            })
            .map_err(|e| format!("starting its thread: {e}"))?;
        match ready_rx.recv() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                let _ = thread.join();
                return Err(e);
            }
            Err(_) => return Err("its thread ended while starting".into()),
        }
        tracing::info!(
            enricher = name,
            "watching pods, services, nodes, replicasets and jobs"
        );
        Ok(KubernetesEnricher {
            shared,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// An enricher over a table built in code (tests, benches): no API server.
    pub fn from_table(name: &str, table: IpTable) -> Self {
        KubernetesEnricher {
            shared: Arc::new(Shared::new(name, table, true)),
            stop: None,
            thread: None,
        }
    }
}

impl Drop for KubernetesEnricher {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Enricher for KubernetesEnricher {
    fn name(&self) -> &str {
        &self.shared.name
    }

    fn kind(&self) -> &'static str {
        "kubernetes"
    }

    fn enrich(&self, records: &mut [FlowRecord]) {
        let table = self.shared.table.load();
        let mut hit = 0;
        if !table.is_empty() {
            for r in records.iter_mut() {
                hit += fill(r, &table, &table) as u64;
            }
        }
        let unavailable = !self.shared.usable.load(Ordering::Relaxed);
        self.shared
            .stats
            .add(records.len() as u64, hit, unavailable);
    }

    fn health(&self) -> Health {
        if self.thread.is_none() {
            return Health::Ok;
        }
        self.shared.health()
    }

    fn stats(&self) -> StatsSnapshot {
        self.shared.stats.snapshot()
    }

    fn entries(&self) -> usize {
        self.shared.table.load().len()
    }
}

#[cfg(test)]
mod tests {
    use super::KINDS;

    /// The shipped ClusterRole grants list and watch on exactly the watched
    /// kinds: nothing the enricher needs is missing, and nothing more is
    /// granted (no get, no write, no other kind).
    #[test]
    fn the_shipped_rbac_grants_exactly_the_watches() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docker/k8s/rbac.yaml");
        let text = std::fs::read_to_string(path).unwrap();
        let docs: Vec<serde_norway::Value> = text
            .split("\n---\n")
            .map(|d| serde_norway::from_str(d).unwrap())
            .collect();
        let role = docs.iter().find(|d| d["kind"] == "ClusterRole").unwrap();
        let strings = |v: &serde_norway::Value| -> Vec<String> {
            v.as_sequence()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_owned())
                .collect()
        };
        let mut granted = Vec::new();
        for rule in role["rules"].as_sequence().unwrap() {
            let mut verbs = strings(&rule["verbs"]);
            verbs.sort();
            assert_eq!(verbs, ["list", "watch"], "{rule:?}");
            granted.extend(strings(&rule["resources"]));
        }
        granted.sort();
        let mut watched: Vec<String> = KINDS.iter().map(|k| k.to_string()).collect();
        watched.sort();
        assert_eq!(granted, watched, "docker/k8s/rbac.yaml vs the watches");
    }
}
