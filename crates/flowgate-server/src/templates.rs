//! The template stores of all receive workers, seen as one: merged for
//! /templates and for the state file, and loaded into every worker at start.
//!
//! Each worker owns its decoder, so a snapshot is asked for, not taken: the
//! asker bumps a generation number and every worker publishes its store's
//! snapshot when it next looks (at least every receive poll interval).
//! The merged snapshot has the shape `TemplateStore::save` writes, so the
//! state file is loaded by `TemplateStore::load_from_file`, and what
//! /templates shows can be fed to `flowgate decode --templates-in`.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

#[derive(Debug, Default)]
struct Slot {
    generation: u64,
    snapshot: Option<Value>,
}

#[derive(Debug, Default)]
pub struct TemplateExchange {
    requested: AtomicU64,
    slots: Mutex<Vec<Slot>>,
    published: Condvar,
}

impl TemplateExchange {
    /// A slot for one worker's snapshots.
    pub fn register(&self) -> usize {
        let mut slots = self.slots.lock().unwrap();
        slots.push(Slot::default());
        slots.len() - 1
    }

    /// The latest generation asked for; a worker that published an older
    /// one should publish again.
    pub fn requested(&self) -> u64 {
        self.requested.load(Ordering::Acquire)
    }

    pub fn publish(&self, slot: usize, generation: u64, snapshot: Value) {
        let mut slots = self.slots.lock().unwrap();
        slots[slot] = Slot {
            generation,
            snapshot: Some(snapshot),
        };
        self.published.notify_all();
    }

    /// Asks every worker for a snapshot and merges what arrives within
    /// `timeout` (a worker that did not answer in time contributes its
    /// previous snapshot, if any).
    pub fn collect(&self, timeout: Duration) -> Value {
        let want = self.requested.fetch_add(1, Ordering::AcqRel) + 1;
        let deadline = Instant::now() + timeout;
        let mut slots = self.slots.lock().unwrap();
        while slots.iter().any(|s| s.generation < want) {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            slots = self.published.wait_timeout(slots, left).unwrap().0;
        }
        merge(slots.iter().filter_map(|s| s.snapshot.as_ref()))
    }
}

/// Unions the exporters of several snapshots; where two workers know one
/// exporter (after a restart every worker loaded the whole file), the one
/// that heard from it last wins.
pub fn merge<'a>(snapshots: impl Iterator<Item = &'a Value>) -> Value {
    let mut version = Value::from(1);
    let mut exporters: BTreeMap<String, &Value> = BTreeMap::new();
    for snap in snapshots {
        if let Some(v) = snap.get("version") {
            version = v.clone();
        }
        let list = snap.get("exporters").and_then(Value::as_array);
        for e in list.into_iter().flatten() {
            let Some(addr) = e.get("address").and_then(Value::as_str) else {
                continue;
            };
            let seen = |v: &Value| v.get("last_seen_ns").and_then(Value::as_u64).unwrap_or(0);
            match exporters.get(addr) {
                Some(old) if seen(old) >= seen(e) => {}
                _ => {
                    exporters.insert(addr.to_owned(), e);
                }
            }
        }
    }
    json!({ "version": version, "exporters": exporters.into_values().collect::<Vec<_>>() })
}

pub fn state_file(dir: &Path) -> PathBuf {
    dir.join("templates.json")
}

/// Writes `value` to `path` through a synced temporary file and a rename,
/// so a crash mid-write leaves the previous file intact.
pub fn write_atomic(path: &Path, value: &Value) -> io::Result<()> {
    let tmp = path.with_extension("json.tmp");
    let result = (|| {
        let mut f = io::BufWriter::new(std::fs::File::create(&tmp)?);
        serde_json::to_writer(&mut f, value).map_err(io::Error::other)?;
        f.flush()?;
        f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Exporters and templates in a merged snapshot, for log lines.
pub fn count(snapshot: &Value) -> (usize, usize) {
    let exporters = snapshot.get("exporters").and_then(Value::as_array);
    let templates = exporters
        .into_iter()
        .flatten()
        .flat_map(|e| {
            e.get("domains")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
        })
        .map(|d| {
            d.get("templates")
                .and_then(Value::as_array)
                .map_or(0, Vec::len)
        })
        .sum();
    (exporters.map_or(0, Vec::len), templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_keeps_the_freshest_copy_of_each_exporter() {
        let a = json!({"version": 1, "exporters": [
            {"address": "192.0.2.1:1", "last_seen_ns": 5, "domains": [{"templates": [1, 2]}]},
            {"address": "192.0.2.2:1", "last_seen_ns": 5, "domains": []},
        ]});
        let b = json!({"version": 1, "exporters": [
            {"address": "192.0.2.1:1", "last_seen_ns": 9, "domains": [{"templates": [1, 2, 3]}]},
        ]});
        let m = merge([&a, &b].into_iter());
        assert_eq!(m["exporters"].as_array().unwrap().len(), 2);
        assert_eq!(m["exporters"][0]["last_seen_ns"], 9);
        assert_eq!(count(&m), (2, 3));
        assert_eq!(
            merge(std::iter::empty()),
            json!({"version": 1, "exporters": []})
        );
    }

    #[test]
    fn collect_waits_for_every_worker() {
        let ex = std::sync::Arc::new(TemplateExchange::default());
        let slots = [ex.register(), ex.register()];
        let worker = {
            let ex = ex.clone();
            std::thread::spawn(move || loop {
                let g = ex.requested();
                if g > 0 {
                    for (i, s) in slots.iter().enumerate() {
                        let addr = format!("192.0.2.{i}:1");
                        ex.publish(
                            *s,
                            g,
                            json!({"version": 1, "exporters": [{"address": addr}]}),
                        );
                    }
                    return;
                }
                std::thread::sleep(Duration::from_millis(1));
            })
        };
        let merged = ex.collect(Duration::from_secs(5));
        worker.join().unwrap();
        assert_eq!(merged["exporters"].as_array().unwrap().len(), 2);
    }
}
