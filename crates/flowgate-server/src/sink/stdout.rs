//! Lines of JSON (or key=value text) on stdout or in a file.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use flowgate_config::{Config, RecordFormat, SinkConfig, StdoutSinkConfig};
use flowgate_record::{FieldId, OutputFormat, RenderOptions, Renderer};

use super::{Health, Sink, SinkError};
use flowgate_record::{CounterRecord, RecordBatch};

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

pub struct StdoutSink {
    name: String,
    renderer: Renderer,
    /// sFlow counter samples have a JSON form only, and none of the flow
    /// columns `fields` picks: they are written with the full JSON output.
    counters: bool,
    out: Output,
    buf: Vec<u8>,
    /// Records rendered into `buf` and not yet written.
    buffered: u64,
    health: Health,
}

impl StdoutSink {
    pub fn open(cfg: &StdoutSinkConfig) -> io::Result<Self> {
        let out = Output::open(cfg.path.as_deref()).map_err(|e| {
            let p = cfg.path.as_deref().unwrap_or(Path::new("-"));
            io::Error::new(e.kind(), format!("path {}: {e}", p.display()))
        })?;
        Ok(StdoutSink {
            name: cfg.name.clone().unwrap_or_else(|| "stdout".into()),
            renderer: renderer(cfg),
            counters: writes_counters(cfg),
            out,
            buf: Vec::with_capacity(WRITE_AT * 2),
            buffered: 0,
            health: Health::Ok,
        })
    }

    /// Writes the buffer; on failure its records are lost and counted.
    fn write_out(&mut self) -> Result<u64, SinkError> {
        if self.buf.is_empty() {
            return Ok(0);
        }
        let n = std::mem::take(&mut self.buffered);
        let res = self.out.write_all(&self.buf);
        self.buf.clear();
        match res {
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
        for rec in flows {
            self.renderer.write(rec, &mut self.buf);
        }
        self.buffered += flows.len() as u64;
        if self.counters {
            for c in counters {
                c.write_json(&mut self.buf);
            }
            self.buffered += counters.len() as u64;
        }
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
        self.counters
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
        self.renderer = renderer(cfg);
        self.counters = writes_counters(cfg);
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
mod tests {
    use super::*;
    use flowgate_record::FlowType;

    fn batch(n: usize) -> RecordBatch {
        let mut b = RecordBatch::new();
        for i in 0..n {
            let r = b.push();
            r.flow_type = FlowType::NetflowV5;
            r.bytes = i as u64;
        }
        b
    }

    #[test]
    fn buffers_until_flush_then_counts_sent_and_reopens_on_reload() {
        let dir = std::env::temp_dir().join(format!("flowgate-stdout-sink-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (a, b) = (dir.join("a.json"), dir.join("b.json"));
        let mut config = Config::default();
        config.sinks.stdout_mut().path = Some(a.clone());
        config.sinks.stdout_mut().fields = Some(vec!["type".into(), "bytes".into()]);
        let mut sink = StdoutSink::open(config.sinks.stdout_mut()).unwrap();
        assert_eq!(sink.send(&batch(2), &[]).unwrap(), 0, "buffered");
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "");
        assert_eq!(sink.flush().unwrap(), 2);
        assert_eq!(
            std::fs::read_to_string(&a).unwrap(),
            "{\"type\":\"NETFLOW_V5\",\"bytes\":0}\n{\"type\":\"NETFLOW_V5\",\"bytes\":1}\n"
        );
        // Rotation: the file is moved away, SIGHUP reopens the configured path.
        std::fs::rename(&a, &b).unwrap();
        sink.reload(&config).unwrap();
        sink.send(&batch(1), &[]).unwrap();
        assert_eq!(sink.flush().unwrap(), 1);
        assert_eq!(std::fs::read_to_string(&a).unwrap().lines().count(), 1);
        assert_eq!(std::fs::read_to_string(&b).unwrap().lines().count(), 2);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_large_batch_is_written_without_waiting_for_flush() {
        let mut config = Config::default();
        let path =
            std::env::temp_dir().join(format!("flowgate-stdout-big-{}.json", std::process::id()));
        config.sinks.stdout_mut().path = Some(path.clone());
        let mut sink = StdoutSink::open(config.sinks.stdout_mut()).unwrap();
        let sent = sink.send(&batch(2000), &[]).unwrap();
        assert_eq!(sent, 2000);
        let _ = std::fs::remove_file(&path);
    }
}
