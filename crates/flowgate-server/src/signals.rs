//! Signals while running: SIGHUP reloads what can change live,
//! SIGTERM/SIGINT end [`wait_for_stop`] so the server drains and exits.

use std::sync::Arc;

use flowgate_config::{load_for_process, Config, RunArgs};
use tokio::signal::unix::Signal;

use crate::enrich::EnricherChain;
use crate::logging::LogHandle;
use crate::sd_notify::SdNotify;
use crate::sink::SinkControl;

pub struct Signals {
    pub hup: Signal,
    pub term: Signal,
    pub int: Signal,
}

pub async fn wait_for_stop(
    signals: &mut Signals,
    args: &RunArgs,
    running: &Config,
    log: Option<&LogHandle>,
    sinks: &[(String, Arc<SinkControl>)],
    enrichers: &EnricherChain,
    notify: &SdNotify,
) {
    loop {
        tokio::select! {
            _ = signals.hup.recv() => {
                notify.reloading();
                // The map files first, and whatever the config file says:
                // they are read from their own paths.
                for e in enrichers.reload() {
                    tracing::error!("SIGHUP: {e}");
                }
                reload(args, running, log, sinks);
                notify.send("READY=1\nSTATUS=running; configuration reloaded");
            }
            _ = signals.term.recv() => {
                tracing::info!("SIGTERM received");
                return;
            }
            _ = signals.int.recv() => {
                tracing::info!("SIGINT received");
                return;
            }
        }
    }
}

/// SIGHUP: re-reads the file and environment with the same flags. The log
/// level and the sinks' reloadable settings (the stdout file path, reopened)
/// take effect; other changes are reported as needing a restart.
fn reload(
    args: &RunArgs,
    running: &Config,
    log: Option<&LogHandle>,
    sinks: &[(String, Arc<SinkControl>)],
) {
    let new = match load_for_process(args) {
        Ok(l) => l.config,
        Err(e) => {
            tracing::error!("SIGHUP: configuration not reloaded, the running one stays: {e}");
            return;
        }
    };
    if let Some(h) = log {
        if let Err(e) = h.set_level(&new.log.level) {
            tracing::error!("SIGHUP: {e}");
        }
    }
    let new = Arc::new(new);
    for (_, control) in sinks {
        control.request_reload(new.clone());
    }
    let restart = restart_only_changes(running, &new);
    if !restart.is_empty() {
        tracing::warn!(
            "SIGHUP: changes to {} take effect only after a restart",
            restart.join(", ")
        );
    }
    tracing::info!(log_level = %new.log.level, "SIGHUP: reloaded the log level and the sinks");
}

fn restart_only_changes(a: &Config, b: &Config) -> Vec<String> {
    let sinks = a.sinks.restart_only_changes(&b.sinks);
    [
        ("listeners", a.listeners != b.listeners),
        ("receive", a.receive != b.receive),
        ("decoder", a.decoder != b.decoder),
        ("enrich", a.enrich != b.enrich),
        ("state", a.state != b.state),
        ("http", a.http != b.http),
        ("metrics", a.metrics != b.metrics),
        ("shutdown", a.shutdown != b.shutdown),
        ("log.format", a.log.format != b.log.format),
        (
            "log.rate_limit_window",
            a.log.rate_limit_window != b.log.rate_limit_window,
        ),
    ]
    .into_iter()
    .filter(|(_, changed)| *changed)
    .map(|(k, _)| k.to_owned())
    .chain(sinks)
    .collect()
}
