//! `flowgate run`: starts sinks, listeners and HTTP, then waits for signals.
//! SIGHUP reloads what can change live; SIGTERM/SIGINT stop receiving,
//! drain every queue, flush every sink and save the templates.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use flowgate_config::{load_for_process, Config, DecoderConfig, RunArgs};
use flowgate_decode::{Decoder, Limits, TemplateStore};
use tokio::signal::unix::{signal, SignalKind};

use crate::fanout::Fanout;
use crate::http::{self, HttpState};
use crate::logging::{self, LogHandle, RateLimiter};
use crate::metrics::Metrics;
use crate::receive::{self, WorkerShared};
use crate::sd_notify::{self, SdNotify};
use crate::signals::{wait_for_stop, Signals};
use crate::sink::{self, Health, SinkControl, SinkHandle};
use crate::templates::{self, TemplateExchange};

/// Runs the collector until SIGTERM/SIGINT. Exit code 1 when the
/// configuration is refused or a listener cannot be bound.
pub fn run(args: RunArgs) -> ExitCode {
    let loaded = match load_for_process(&args) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("flowgate: {e}");
            return ExitCode::FAILURE;
        }
    };
    let log = match logging::init(&loaded.config.log) {
        Ok(h) => h,
        Err(e) => {
            eprintln!("flowgate: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(f) = &loaded.file {
        tracing::info!(file = %f.display(), "configuration file read");
    }
    for a in &loaded.env_applied {
        tracing::info!("{} sets {}", a.var, a.key);
    }
    for w in &loaded.warnings {
        tracing::warn!("{w}");
    }
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("flowgate: starting the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(serve(args, loaded.config, log)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e}");
            eprintln!("flowgate: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(args: RunArgs, config: Config, log: Option<LogHandle>) -> Result<(), String> {
    // First, so that a signal arriving during start-up is not fatal.
    let mut signals = Signals {
        hup: signal(SignalKind::hangup()).map_err(|e| format!("SIGHUP handler: {e}"))?,
        term: signal(SignalKind::terminate()).map_err(|e| format!("SIGTERM handler: {e}"))?,
        int: signal(SignalKind::interrupt()).map_err(|e| format!("SIGINT handler: {e}"))?,
    };
    let config = Arc::new(config);
    let notify = Arc::new(SdNotify::from_env());
    let metrics = Arc::new(Metrics::new(config.metrics.max_exporters));
    let limiter = Arc::new(RateLimiter::new(config.log.rate_limit_window.get()));
    let state_file = prepare_state_dir(&config)?;

    // Sinks first, so records have somewhere to go once a socket is bound.
    // Before the sinks: a static map that does not load stops the start.
    let enrichers = crate::enrich::build(&config.enrich)?;
    metrics.set_enrichers(&enrichers);
    let sinks = start_sinks(&config, &metrics, &limiter)?;
    let controls: Vec<(String, Arc<SinkControl>)> = sinks
        .iter()
        .map(|s| (s.name.clone(), s.control.clone()))
        .collect();
    let exchange = Arc::new(TemplateExchange::default());
    let stop = Arc::new(AtomicBool::new(false));
    let alive = Arc::new(AtomicUsize::new(0));
    let http_listener = http::bind(config.http.address)
        .map_err(|e| format!("http.address {}: {e}", config.http.address))?;
    let http_local = http_listener.local_addr().map_err(|e| e.to_string())?;

    let limits = decoder_limits(&config.decoder);
    let saved = state_file
        .as_deref()
        .and_then(|p| read_saved_templates(p, limits));
    let mut make_decoder = || match &saved {
        Some(path) => TemplateStore::load_from_file(path, limits)
            .map_or_else(|_| Decoder::new(limits), Decoder::with_store),
        None => Decoder::new(limits),
    };
    let listeners = {
        let shared = WorkerShared {
            fanout: Fanout::new(&sinks, metrics.clone(), limiter.clone())
                .map_err(|e| format!("starting the sinks' render threads: {e}"))?,
            metrics: metrics.clone(),
            limiter: limiter.clone(),
            stop: stop.clone(),
            templates: exchange.clone(),
            alive: alive.clone(),
            batch_size: config.receive.batch_size,
            max_datagram_size: config.receive.max_datagram_size,
        };
        receive::start(&config, &shared, &enrichers, &mut make_decoder)
            .map_err(|e| e.to_string())?
    };
    let worker_count = listeners.threads.len();
    metrics.ready.store(true, Ordering::Relaxed);
    let bound: Vec<String> = listeners
        .bound
        .iter()
        .map(|b| format!("{}={}x{}", b.uri, b.local, b.workers))
        .collect();
    tracing::info!(http = %http_local, listeners = %bound.join(" "), "ready");

    let health = {
        let (controls, alive, stop) = (controls.clone(), alive.clone(), stop.clone());
        Box::new(move || health(&controls, alive.load(Ordering::SeqCst), worker_count, &stop))
    };
    let state = Arc::new(HttpState {
        metrics: metrics.clone(),
        templates: exchange.clone(),
        health,
    });
    let (http_stop, mut http_stopped) = tokio::sync::watch::channel(false);
    let http_listener =
        tokio::net::TcpListener::from_std(http_listener).map_err(|e| e.to_string())?;
    let http_task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = http_stopped.changed().await;
        };
        axum::serve(http_listener, http::router(state))
            .with_graceful_shutdown(shutdown)
            .await
    });
    // Only now: both kinds of socket are bound (a connection to the HTTP
    // one waits in its backlog until the task above accepts it), so a unit
    // ordered after flowgate finds every port open.
    notify.send(&format!(
        "READY=1\nSTATUS=receiving on {}; HTTP on {http_local}",
        bound.join(" ")
    ));
    if let Some(every) = sd_notify::watchdog_interval().filter(|_| notify.enabled()) {
        let (alive, stop) = (alive.clone(), stop.clone());
        // While stopping, the workers end one by one on purpose; the drain
        // is bounded by shutdown.drain_timeout, so pinging on is safe.
        let healthy =
            move || stop.load(Ordering::Relaxed) || alive.load(Ordering::SeqCst) >= worker_count;
        tokio::spawn(sd_notify::watchdog(notify.clone(), every, healthy));
    }
    // Held while writing the state file; true once the final save is done,
    // so that a periodic save still waiting on stopped workers cannot
    // overwrite it with an older snapshot.
    let save_lock = Arc::new(Mutex::new(false));
    let housekeeping = tokio::spawn(housekeeping(
        limiter.clone(),
        exchange.clone(),
        state_file.clone(),
        config.state.save_interval.get(),
        save_lock.clone(),
    ));

    wait_for_stop(
        &mut signals,
        &args,
        &config,
        log.as_ref(),
        &controls,
        &enrichers,
        &notify,
    )
    .await;

    notify.send("STOPPING=1\nSTATUS=stopping: draining the queues and flushing the sinks");
    tracing::info!("stopping: no longer receiving; draining the queues");
    metrics.ready.store(false, Ordering::Relaxed);
    stop.store(true, Ordering::Relaxed);
    housekeeping.abort();
    let threads = listeners.threads;
    let processors = tokio::task::spawn_blocking(move || {
        threads
            .into_iter()
            .filter_map(|t| t.join().ok())
            .collect::<Vec<_>>()
    })
    .await
    .unwrap_or_default();
    if let Some(path) = &state_file {
        let snaps: Vec<_> = processors
            .iter()
            .map(|p| p.decoder().store().snapshot())
            .collect();
        save_templates(&templates::merge(snaps.iter()), path, &save_lock, true);
    }
    drop(processors);
    let deadline = Instant::now() + config.shutdown.drain_timeout.get();
    for s in sinks {
        let name = s.name.clone();
        let left = deadline.saturating_duration_since(Instant::now());
        let finished = tokio::task::spawn_blocking(move || s.wait(left))
            .await
            .unwrap_or(false);
        if !finished {
            tracing::error!(sink = %name, "did not drain within shutdown.drain_timeout: records still queued for it are lost");
        }
    }
    limiter.flush_expired();
    let _ = http_stop.send(true);
    let _ = http_task.await;
    tracing::info!("stopped");
    Ok(())
}

fn health(
    sinks: &[(String, Arc<SinkControl>)],
    alive: usize,
    workers: usize,
    stop: &AtomicBool,
) -> Result<(), String> {
    let mut problems = Vec::new();
    if alive < workers && !stop.load(Ordering::Relaxed) {
        problems.push(format!(
            "{} of {workers} receive workers stopped",
            workers - alive
        ));
    }
    for (name, c) in sinks {
        if !c.is_running() && !stop.load(Ordering::Relaxed) {
            problems.push(format!("sink {name} stopped"));
        } else if let Health::Failing(why) = c.health() {
            problems.push(format!("sink {name}: {why}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

fn start_sinks(
    config: &Config,
    metrics: &Arc<Metrics>,
    limiter: &Arc<RateLimiter>,
) -> Result<Vec<SinkHandle>, String> {
    let built = sink::build(config, metrics, limiter)?;
    built
        .into_iter()
        .map(|(s, spec)| {
            sink::spawn(s, spec, metrics.clone(), limiter.clone())
                .map_err(|e| format!("starting a sink thread: {e}"))
        })
        .collect()
}

fn decoder_limits(d: &DecoderConfig) -> Limits {
    Limits {
        max_exporters: d.max_exporters,
        max_templates_per_exporter: d.max_templates_per_exporter,
        max_pending_sets_per_exporter: d.max_pending_sets_per_exporter,
        pending_ttl_ns: d.pending_ttl.get().as_nanos() as u64,
        ..Limits::default()
    }
}

/// The state file path, the directory created if need be. A directory
/// that cannot be created is a start-up error: better than running for
/// days without the persistence that was asked for.
fn prepare_state_dir(config: &Config) -> Result<Option<PathBuf>, String> {
    let Some(dir) = &config.state.dir else {
        tracing::info!("state.dir is not set: templates are not kept across restarts");
        return Ok(None);
    };
    std::fs::create_dir_all(dir).map_err(|e| format!("state.dir {}: {e}", dir.display()))?;
    Ok(Some(templates::state_file(dir)))
}

/// The saved store's path if it loads; a missing or unreadable file starts
/// empty (with a warning for the latter: the exporters will re-send).
fn read_saved_templates(path: &Path, limits: Limits) -> Option<PathBuf> {
    if !path.exists() {
        tracing::info!(file = %path.display(), "no saved templates yet");
        return None;
    }
    match TemplateStore::load_from_file(path, limits) {
        Ok(store) => {
            let (exporters, templates) = templates::count(&store.snapshot());
            tracing::info!(file = %path.display(), exporters, templates, "loaded saved templates into every receive worker");
            Some(path.to_owned())
        }
        Err(e) => {
            tracing::warn!(file = %path.display(), "saved templates not loaded, starting without: {e}");
            None
        }
    }
}

fn save_templates(snapshot: &serde_json::Value, path: &Path, lock: &Mutex<bool>, last: bool) {
    let mut final_saved = lock.lock().unwrap();
    if *final_saved {
        return;
    }
    *final_saved = last;
    let (exporters, templates) = templates::count(snapshot);
    match templates::write_atomic(path, snapshot) {
        Ok(()) => tracing::debug!(file = %path.display(), exporters, templates, "templates saved"),
        Err(e) => tracing::warn!(file = %path.display(), "saving templates failed: {e}"),
    }
}

async fn housekeeping(
    limiter: Arc<RateLimiter>,
    exchange: Arc<TemplateExchange>,
    state_file: Option<PathBuf>,
    save_every: Duration,
    save_lock: Arc<Mutex<bool>>,
) {
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_save = Instant::now();
    loop {
        tick.tick().await;
        limiter.flush_expired();
        let Some(path) = &state_file else { continue };
        if last_save.elapsed() < save_every {
            continue;
        }
        last_save = Instant::now();
        let (exchange, path, lock) = (exchange.clone(), path.clone(), save_lock.clone());
        let _ = tokio::task::spawn_blocking(move || {
            let snap = exchange.collect(Duration::from_secs(1));
            save_templates(&snap, &path, &lock, false);
        })
        .await;
    }
}
