//! Command-line overrides for `flowgate run`. They win over the config file
//! and the environment; the binary flattens [`RunArgs`] into its subcommand.

use std::path::PathBuf;

use clap::Args;

use crate::enrich::{EnricherConfig, StaticEnricherConfig};
use crate::listen::{parse_bind_addr, parse_uri_list};
use crate::schema::{LogFormat, RecordFormat};
use crate::sinks::SinksConfig;
use crate::Config;

#[derive(Debug, Clone, Default, Args)]
pub struct RunArgs {
    /// Config file (YAML). Default: $FLOWGATE_CONFIG, else the embedded defaults
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Listener URI, replacing the configured ones: netflow://:2055, nfl://:2056,
    /// ipfix://:4739, sflow://:6343 (repeatable or comma-separated)
    #[arg(long = "listen", value_name = "URI")]
    pub listen: Vec<String>,

    /// Address of /metrics, /healthz, /readyz and /templates (e.g. :8080 or 127.0.0.1:8080)
    #[arg(long, value_name = "ADDR")]
    pub http: Option<String>,

    /// Log level or env-filter directives (info, debug, flowgate_server=debug,info)
    #[arg(long, value_name = "LEVEL")]
    pub log_level: Option<String>,

    /// Log line format
    #[arg(long, value_name = "FORMAT", value_parser = ["text", "json"])]
    pub log_format: Option<String>,

    /// Receive workers per listener (0 = one per core)
    #[arg(long, value_name = "N")]
    pub workers: Option<usize>,

    /// SO_RCVBUF to ask for each socket (e.g. 8MiB)
    #[arg(long, value_name = "SIZE")]
    pub receive_buffer: Option<String>,

    /// Directory the template store is saved in and loaded from
    #[arg(long, value_name = "DIR")]
    pub state_dir: Option<PathBuf>,

    /// Write records to this file instead of stdout (reopened on SIGHUP)
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Record format of the stdout sink
    #[arg(long, value_name = "FORMAT", value_parser = ["json", "text"])]
    pub format: Option<String>,

    /// Fields of the stdout sink, in order (comma-separated)
    #[arg(long, value_name = "FIELD,...")]
    pub fields: Option<String>,

    /// Render proto and etype as names ("TCP", "IPv4")
    #[arg(long)]
    pub names: bool,

    /// Static enrichment map (YAML or CSV): the path of the first static
    /// enricher, one added at the end of `enrich` if there is none
    #[arg(long, value_name = "FILE")]
    pub static_map: Option<PathBuf>,

    /// Enrich with Kubernetes pods, services and nodes (in-cluster service
    /// account, or --kubeconfig); added at the end of `enrich` if not configured
    #[arg(long)]
    pub kubernetes: bool,

    /// Kubeconfig file of the Kubernetes enricher (implies --kubernetes)
    #[arg(long, value_name = "FILE")]
    pub kubeconfig: Option<PathBuf>,
}

impl RunArgs {
    /// Applies the flags that were given. Errors name the flag.
    pub fn apply(&self, c: &mut Config) -> Result<(), String> {
        if !self.listen.is_empty() {
            c.listeners = parse_uri_list(&self.listen).map_err(|e| format!("--listen: {e}"))?;
        }
        if let Some(a) = &self.http {
            c.http.address = parse_bind_addr(a).map_err(|e| format!("--http: {e}"))?;
        }
        if let Some(l) = &self.log_level {
            c.log.level = l.clone();
        }
        if let Some(f) = &self.log_format {
            c.log.format = if f == "json" {
                LogFormat::Json
            } else {
                LogFormat::Text
            };
        }
        if let Some(w) = self.workers {
            c.receive.workers = w;
        }
        if let Some(b) = &self.receive_buffer {
            c.receive.receive_buffer = b.parse().map_err(|e| format!("--receive-buffer: {e}"))?;
        }
        if let Some(d) = &self.state_dir {
            c.state.dir = Some(d.clone());
        }
        self.apply_stdout(&mut c.sinks);
        self.apply_enrich(&mut c.enrich);
        Ok(())
    }

    /// The record flags configure the first stdout sink (one is added if
    /// none is configured); without them the sinks stay as configured.
    fn apply_stdout(&self, sinks: &mut SinksConfig) {
        let given =
            self.output.is_some() || self.format.is_some() || self.fields.is_some() || self.names;
        if !given {
            return;
        }
        let stdout = sinks.stdout_mut();
        if let Some(p) = &self.output {
            stdout.path = Some(p.clone());
        }
        if let Some(f) = &self.format {
            stdout.format = if f == "text" {
                RecordFormat::Text
            } else {
                RecordFormat::Json
            };
        }
        if let Some(f) = &self.fields {
            stdout.fields = Some(f.split(',').map(|s| s.trim().to_owned()).collect());
        }
        if self.names {
            stdout.names = true;
        }
    }

    /// The enricher flags edit the first enricher of their type (and enable
    /// it), or append one, so a flag never reorders a configured chain.
    fn apply_enrich(&self, list: &mut Vec<EnricherConfig>) {
        if let Some(path) = &self.static_map {
            let found = list.iter_mut().find_map(|e| match e {
                EnricherConfig::Static(s) => Some(s),
                _ => None,
            });
            match found {
                Some(s) => {
                    s.path = path.clone();
                    s.enabled = true;
                }
                None => list.push(EnricherConfig::Static(StaticEnricherConfig {
                    path: path.clone(),
                    ..Default::default()
                })),
            }
        }
        if self.kubernetes || self.kubeconfig.is_some() {
            let found = list.iter_mut().find_map(|e| match e {
                EnricherConfig::Kubernetes(k) => Some(k),
                _ => None,
            });
            let k = match found {
                Some(k) => k,
                None => {
                    list.push(EnricherConfig::Kubernetes(Default::default()));
                    let Some(EnricherConfig::Kubernetes(k)) = list.last_mut() else {
                        unreachable!("just pushed")
                    };
                    k
                }
            };
            k.enabled = true;
            if let Some(p) = &self.kubeconfig {
                k.kubeconfig = Some(p.clone());
            }
        }
    }
}
