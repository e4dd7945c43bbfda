//! Lines of JSON (or key=value text) on stdout or in a file.
//!
//! In the server the lines are rendered on the receive workers' threads
//! (`inline.rs`), where the records are still in the core's cache, and
//! this sink's thread only writes the chunks they hand over. Rendering a
//! record another core had just written cost twice the rendering itself,
//! and one thread rendered for every worker. `flowgate decode` renders
//! through `send` here.

mod inline;

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowgate_config::{Config, RecordFormat, SinkConfig, StdoutSinkConfig};
use flowgate_record::{FieldId, OutputFormat, RenderOptions, Renderer};

use super::{Chunk, ChunkSender, Health, InlineShards, Sink, SinkError};
use flowgate_record::{CounterRecord, RecordBatch};
use inline::{Shards, Shared};

/// Rendered lines are written once this many bytes are buffered (and on flush).
const WRITE_AT: usize = 64 * 1024;

enum Output {
    Stdout(io::Stdout),
    File(File, PathBuf),
}

impl Output {
    fn open(path: Option<&Path>) -> io::Result<Output> {
        match path {
            None => Ok(Output::Stdout(io::stdout())),
            Some(p) => {
                let f = OpenOptions::new().create(true).append(true).open(p)?;
                Ok(Output::File(f, p.to_owned()))
            }
        }
    }

    fn path(&self) -> Option<&Path> {
        match self {
            Output::Stdout(_) => None,
            Output::File(_, p) => Some(p),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Output::Stdout(s) => {
                let mut lock = s.lock();
                lock.write_all(buf)?;
                lock.flush()
            }
            Output::File(f, _) => f.write_all(buf),
        }
    }
}

/// How records become lines; replaced as a whole on reload.
struct Format {
    renderer: Renderer,
    /// sFlow counter samples have a JSON form only, and none of the flow
    /// columns `fields` picks: they are written with the full JSON output.
    counters: bool,
}

impl Format {
    fn new(cfg: &StdoutSinkConfig) -> Self {
        Format {
            renderer: renderer(cfg),
            counters: writes_counters(cfg),
        }
    }

    /// Appends the lines of a batch to `out`; returns how many records they are.
    fn render(&self, flows: &RecordBatch, counters: &[CounterRecord], out: &mut Vec<u8>) -> u64 {
        self.renderer.write_batch(flows, out);
        flows.len() as u64 + self.render_counters(counters, out)
    }

    /// The lines of sFlow counter samples, if this format has them; returns how many.
    fn render_counters(&self, counters: &[CounterRecord], out: &mut Vec<u8>) -> u64 {
        if !self.counters {
            return 0;
        }
        for c in counters {
            c.write_json(out);
        }
        counters.len() as u64
    }
}

pub struct StdoutSink {
    name: String,
    format: Arc<Format>,
    /// What the workers' shards render with, and the buffers they reuse.
    shared: Arc<Shared>,
    out: Output,
    buf: Vec<u8>,
    /// Records rendered into `buf` and not yet written.
    buffered: u64,
    health: Health,
    render_threads: usize,
}

impl StdoutSink {
    pub fn open(cfg: &StdoutSinkConfig) -> io::Result<Self> {
        let out = Output::open(cfg.path.as_deref()).map_err(|e| {
            let p = cfg.path.as_deref().unwrap_or(Path::new("-"));
            io::Error::new(e.kind(), format!("path {}: {e}", p.display()))
        })?;
        let format = Arc::new(Format::new(cfg));
        Ok(StdoutSink {
            name: cfg.name.clone().unwrap_or_else(|| "stdout".into()),
            shared: Arc::new(Shared::new(format.clone())),
            format,
            out,
            buf: Vec::with_capacity(WRITE_AT * 2),
            buffered: 0,
            health: Health::Ok,
            render_threads: cfg.render_threads,
        })
    }

    /// Writes the buffer; on failure its records are lost and counted.
    fn write_out(&mut self) -> Result<u64, SinkError> {
        if self.buf.is_empty() {
            return Ok(0);
        }
        let n = std::mem::take(&mut self.buffered);
        let buf = std::mem::take(&mut self.buf);
        let res = self.write_bytes(&buf, n);
        self.buf = buf;
        self.buf.clear();
        res
    }

    /// Writes `bytes` holding the lines of `n` records.
    fn write_bytes(&mut self, bytes: &[u8], n: u64) -> Result<u64, SinkError> {
        match self.out.write_all(bytes) {
            Ok(()) => {
                self.health = Health::Ok;
                Ok(n)
            }
            Err(e) => {
                let where_ = self
                    .out
                    .path()
                    .map_or("stdout".into(), |p| p.display().to_string());
                self.health = Health::Failing(format!("writing {where_}: {e}"));
                Err(SinkError {
                    reason: "write_error",
                    dropped: n,
                    detail: format!("writing {where_}: {e}"),
                    io_kind: Some(e.kind()),
                })
            }
        }
    }
}

/// The renderer for a validated config (unknown field names were refused at load).
pub fn renderer(cfg: &StdoutSinkConfig) -> Renderer {
    Renderer::new(RenderOptions {
        format: match cfg.format {
            RecordFormat::Json => OutputFormat::Json,
            RecordFormat::Text => OutputFormat::Text,
        },
        fields: cfg
            .fields
            .as_ref()
            .map(|f| f.iter().filter_map(|n| FieldId::from_name(n)).collect()),
        names: cfg.names,
    })
}

fn writes_counters(cfg: &StdoutSinkConfig) -> bool {
    cfg.format == RecordFormat::Json && cfg.fields.is_none()
}

impl Sink for StdoutSink {
    fn name(&self) -> &str {
        &self.name
    }

    fn send(&mut self, flows: &RecordBatch, counters: &[CounterRecord]) -> Result<u64, SinkError> {
        self.buffered += self.format.render(flows, counters, &mut self.buf);
        if self.buf.len() >= WRITE_AT {
            self.write_out()
        } else {
            Ok(0)
        }
    }

    fn flush(&mut self) -> Result<u64, SinkError> {
        self.write_out()
    }

    fn takes_counters(&self) -> bool {
        self.format.counters
    }

    fn inline(&self, chunks: &ChunkSender) -> Option<Arc<dyn InlineShards>> {
        Some(Arc::new(Shards::new(
            self.shared.clone(),
            chunks.clone(),
            self.render_threads,
        )))
    }

    /// A full chunk is written as it is; the short ones of quiet times
    /// (a worker hands on what it has every 100 ms) wait in the buffer
    /// for `WRITE_AT` bytes or the flush timer, as lines from `send` do.
    fn write_chunk(&mut self, chunk: Chunk) -> Result<u64, SinkError> {
        let res = if self.buf.is_empty() && chunk.bytes.len() >= WRITE_AT {
            self.write_bytes(&chunk.bytes, chunk.records)
        } else {
            self.buf.extend_from_slice(&chunk.bytes);
            self.buffered += chunk.records;
            if self.buf.len() >= WRITE_AT {
                self.write_out()
            } else {
                Ok(0)
            }
        };
        self.shared.give_back(chunk.bytes);
        res
    }

    fn health(&self) -> Health {
        self.health.clone()
    }

    /// Reopens the file (the same path after rotation, or a new one), and
    /// takes the new rendering options.
    fn reload(&mut self, config: &Config) -> Result<(), SinkError> {
        let Some(SinkConfig::Stdout(cfg)) = config.sinks.find(&self.name) else {
            return Err(SinkError {
                reason: "reload_error",
                dropped: 0,
                detail: format!(
                    "the stdout sink {} is no longer configured; it runs on as it was until a restart",
                    self.name
                ),
                io_kind: None,
            });
        };
        self.format = Arc::new(Format::new(cfg));
        self.shared.set_format(self.format.clone());
        match Output::open(cfg.path.as_deref()) {
            Ok(out) => {
                self.out = out;
                Ok(())
            }
            Err(e) => {
                let p = cfg.path.as_deref().unwrap_or(Path::new("-"));
                self.health = Health::Failing(format!("reopening {}: {e}", p.display()));
                Err(SinkError {
                    reason: "reopen_error",
                    dropped: 0,
                    detail: format!("reopening {} (keeping the old output): {e}", p.display()),
                    io_kind: Some(e.kind()),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests;
