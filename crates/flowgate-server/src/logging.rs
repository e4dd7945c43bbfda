//! Structured logs with `tracing` on stderr (stdout carries records), a
//! level that SIGHUP can change, and a limiter that folds repeated warnings
//! into one line per window with the count of what it held back.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use flowgate_config::{LogConfig, LogFormat};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{reload, EnvFilter, Layer, Registry};

/// Changes the log level of the running process.
pub struct LogHandle {
    filter: reload::Handle<EnvFilter, Registry>,
}

impl LogHandle {
    pub fn set_level(&self, spec: &str) -> Result<(), String> {
        let filter = EnvFilter::try_new(spec).map_err(|e| format!("log.level '{spec}': {e}"))?;
        self.filter.reload(filter).map_err(|e| e.to_string())
    }
}

/// Installs the global subscriber. `None` if one was installed already (tests).
pub fn init(cfg: &LogConfig) -> Result<Option<LogHandle>, String> {
    let filter =
        EnvFilter::try_new(&cfg.level).map_err(|e| format!("log.level '{}': {e}", cfg.level))?;
    let (filter, handle) = reload::Layer::new(filter);
    let fmt = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false);
    let fmt: Box<dyn Layer<_> + Send + Sync> = match cfg.format {
        LogFormat::Text => Box::new(fmt),
        LogFormat::Json => Box::new(fmt.json().flatten_event(true)),
    };
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .try_init()
        .is_ok();
    Ok(installed.then_some(LogHandle { filter: handle }))
}

/// Keys tracked at once; past this, new kinds of warning are logged at debug.
const MAX_KEYS: usize = 1024;

type Render = Box<dyn Fn(u64) -> String + Send>;

struct Entry {
    window_start: Instant,
    suppressed: u64,
    /// Sum of the `amount`s of the suppressed messages (records dropped...).
    amount: u64,
    render: Render,
}

/// Logs the first warning of a kind at once, then at most one line per
/// window: "dropped 1234 records: queue full (sink stdout) [suppressed 56
/// similar messages in the last 10 s]".
pub struct RateLimiter {
    window: Duration,
    entries: Mutex<HashMap<String, Entry>>,
}

impl RateLimiter {
    pub fn new(window: Duration) -> Self {
        RateLimiter {
            window,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// `render(amount)` builds the message; `amount` is summed over the
    /// messages folded together (use 1 when there is nothing to sum).
    pub fn warn(&self, key: &str, amount: u64, render: impl Fn(u64) -> String + Send + 'static) {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap();
        if let Some(e) = entries.get_mut(key) {
            if now.duration_since(e.window_start) < self.window {
                e.suppressed += 1;
                e.amount += amount;
                e.render = Box::new(render);
                return;
            }
            let line = self.line(&render, amount + e.amount, e.suppressed);
            e.window_start = now;
            e.suppressed = 0;
            e.amount = 0;
            e.render = Box::new(render);
            drop(entries);
            tracing::warn!("{line}");
            return;
        }
        let line = render(amount);
        if entries.len() < MAX_KEYS {
            entries.insert(
                key.to_owned(),
                Entry {
                    window_start: now,
                    suppressed: 0,
                    amount: 0,
                    render: Box::new(render),
                },
            );
            drop(entries);
            tracing::warn!("{line}");
        } else {
            drop(entries);
            tracing::debug!("{line}");
        }
    }

    /// Logs the summary of every window that ended with messages held back.
    /// Called about once a second, so a burst that stops is still reported.
    pub fn flush_expired(&self) {
        let now = Instant::now();
        let mut lines = Vec::new();
        let mut entries = self.entries.lock().unwrap();
        entries.retain(|_, e| {
            if now.duration_since(e.window_start) < self.window {
                return true;
            }
            if e.suppressed == 0 {
                return false;
            }
            lines.push(self.line(&*e.render, e.amount, e.suppressed));
            e.window_start = now;
            e.suppressed = 0;
            e.amount = 0;
            true
        });
        drop(entries);
        for line in lines {
            tracing::warn!("{line}");
        }
    }

    fn line(&self, render: &dyn Fn(u64) -> String, amount: u64, suppressed: u64) -> String {
        let mut line = render(amount);
        if suppressed > 0 {
            line.push_str(&format!(
                " [suppressed {suppressed} similar messages in the last {} s]",
                self.window.as_secs_f64().round()
            ));
        }
        line
    }

    #[cfg(test)]
    fn pending(&self, key: &str) -> Option<(u64, u64)> {
        let entries = self.entries.lock().unwrap();
        entries.get(key).map(|e| (e.suppressed, e.amount))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeats_are_folded_and_summed_then_reported() {
        let limiter = RateLimiter::new(Duration::from_millis(50));
        for _ in 0..10 {
            limiter.warn("q", 64, |n| format!("dropped {n} records"));
        }
        assert_eq!(limiter.pending("q"), Some((9, 9 * 64)));
        std::thread::sleep(Duration::from_millis(60));
        let line = limiter.line(&|n| format!("dropped {n} records"), 576, 9);
        assert_eq!(
            line,
            "dropped 576 records [suppressed 9 similar messages in the last 0 s]"
        );
        limiter.flush_expired();
        assert_eq!(
            limiter.pending("q"),
            Some((0, 0)),
            "reported and a new window begun"
        );
        std::thread::sleep(Duration::from_millis(60));
        limiter.flush_expired();
        assert_eq!(limiter.pending("q"), None, "a quiet window forgets the key");
    }
}
