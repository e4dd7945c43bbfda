//! The static enricher: addresses and prefixes from a YAML or CSV file.
//!
//! The parsed file is an immutable [`StaticMap`] behind an `ArcSwap`:
//! workers load it once per datagram, a reload builds a new one aside and
//! swaps it in, so no record waits and none is dropped. A file that does
//! not parse on reload is logged and the map in use stays.

mod parse;

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arc_swap::ArcSwap;
use flowgate_config::{StaticEnricherConfig, StaticFormat};
use flowgate_record::FlowRecord;

pub use parse::{parse_map, StaticMap};

use crate::{fill, Enricher, Health, Stats, StatsSnapshot};

pub struct StaticEnricher {
    inner: Arc<Inner>,
    /// Dropping it ends the watch thread.
    _stop: Option<mpsc::Sender<()>>,
}

struct Inner {
    name: String,
    path: PathBuf,
    csv: bool,
    map: ArcSwap<StaticMap>,
    stats: Stats,
    health: Mutex<Health>,
    /// What the file looked like when last read, to see it change.
    seen: Mutex<Option<Fingerprint>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Fingerprint {
    modified: Option<SystemTime>,
    len: u64,
    inode: (u64, u64),
}

fn fingerprint(path: &Path) -> Option<Fingerprint> {
    use std::os::unix::fs::MetadataExt;
    // metadata() follows symlinks, so a Kubernetes ConfigMap update (the
    // `..data` link swapped to a new directory) is a change too.
    let m = std::fs::metadata(path).ok()?;
    Some(Fingerprint {
        modified: m.modified().ok(),
        len: m.len(),
        inode: (m.dev(), m.ino()),
    })
}

impl StaticEnricher {
    /// Reads the file (an error if it cannot be read or parsed), then
    /// watches it every `watch_interval` unless that is 0.
    pub fn start(name: &str, c: &StaticEnricherConfig) -> Result<Self, String> {
        let csv = match c.format {
            StaticFormat::Csv => true,
            StaticFormat::Yaml => false,
            StaticFormat::Auto => c
                .path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("csv")),
        };
        let seen = fingerprint(&c.path);
        let map = read(&c.path, csv)?;
        tracing::info!(
            enricher = name,
            file = %c.path.display(),
            addresses = map.endpoints.len(),
            exporters = map.exporters.len(),
            "static map loaded"
        );
        let inner = Arc::new(Inner {
            name: name.to_owned(),
            path: c.path.clone(),
            csv,
            map: ArcSwap::from_pointee(map),
            stats: Stats::default(),
            health: Mutex::new(Health::Ok),
            seen: Mutex::new(seen),
        });
        let interval = c.watch_interval.get();
        let stop = (!interval.is_zero()).then(|| watch(inner.clone(), interval));
        Ok(StaticEnricher { inner, _stop: stop })
    }

    /// An enricher over a map built in code (tests, benches): never reloads.
    pub fn from_map(name: &str, map: StaticMap) -> Self {
        StaticEnricher {
            inner: Arc::new(Inner {
                name: name.to_owned(),
                path: PathBuf::new(),
                csv: false,
                map: ArcSwap::from_pointee(map),
                stats: Stats::default(),
                health: Mutex::new(Health::Ok),
                seen: Mutex::new(None),
            }),
            _stop: None,
        }
    }
}

fn read(path: &Path, csv: bool) -> Result<StaticMap, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    parse_map(&text, csv).map_err(|e| format!("{}: {e}", path.display()))
}

impl Inner {
    fn reload(&self, why: &str) -> Result<(), String> {
        if self.path.as_os_str().is_empty() {
            return Ok(());
        }
        *self.seen.lock().unwrap() = fingerprint(&self.path);
        match read(&self.path, self.csv) {
            Ok(map) => {
                tracing::info!(
                    enricher = %self.name,
                    file = %self.path.display(),
                    addresses = map.endpoints.len(),
                    exporters = map.exporters.len(),
                    "static map reloaded ({why})"
                );
                self.map.store(Arc::new(map));
                *self.health.lock().unwrap() = Health::Ok;
                self.stats.reloaded(true);
                Ok(())
            }
            Err(e) => {
                tracing::error!(
                    enricher = %self.name,
                    "static map not reloaded ({why}), the previous one stays in use: {e}"
                );
                *self.health.lock().unwrap() =
                    Health::Failing(format!("last reload failed, serving the previous map: {e}"));
                self.stats.reloaded(false);
                Err(e)
            }
        }
    }
}

/// Polls the file's metadata: cheap, and it sees ConfigMap symlink swaps
/// and editors that replace the file, which inotify on the path would miss.
fn watch(inner: Arc<Inner>, every: Duration) -> mpsc::Sender<()> {
    let (tx, rx) = mpsc::channel::<()>();
    let name = inner.name.clone();
    let spawned = std::thread::Builder::new()
        .name(format!("enrich-{name}"))
        .spawn(move || loop {
            match rx.recv_timeout(every) {
                Err(RecvTimeoutError::Timeout) => {}
                _ => return,
            }
            let now = fingerprint(&inner.path);
            let changed = now.is_some() && *inner.seen.lock().unwrap() != now;
            if changed {
                let _ = inner.reload("file changed");
            }
        });
    if let Err(e) = spawned {
        tracing::error!(enricher = %name, "cannot start the file watch thread, reload with SIGHUP: {e}");
    }
    tx
}

impl Enricher for StaticEnricher {
    fn name(&self) -> &str {
        &self.inner.name
    }

    fn kind(&self) -> &'static str {
        "static"
    }

    fn enrich(&self, records: &mut [FlowRecord]) {
        let map = self.inner.map.load();
        let mut hit = 0;
        for r in records.iter_mut() {
            hit += fill(r, &map.endpoints, &map.exporters) as u64;
        }
        self.inner.stats.add(records.len() as u64, hit, false);
    }

    fn health(&self) -> Health {
        self.inner.health.lock().unwrap().clone()
    }

    fn stats(&self) -> StatsSnapshot {
        self.inner.stats.snapshot()
    }

    fn entries(&self) -> usize {
        let m = self.inner.map.load();
        m.endpoints.len() + m.exporters.len()
    }

    fn reload(&self) -> Result<(), String> {
        self.inner.reload("SIGHUP")
    }
}
