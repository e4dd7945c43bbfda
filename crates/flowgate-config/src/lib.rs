//! flowgate's configuration: one YAML file, overridden by `FLOWGATE_*`
//! environment variables, overridden by command-line flags, on top of
//! embedded defaults (so `flowgate` runs with no file at all).
//!
//! ```
//! let loaded = flowgate_config::load(None, Vec::new(), &Default::default()).unwrap();
//! assert_eq!(loaded.config.listeners.len(), 4);
//! ```

mod args;
mod enrich;
pub mod env;
mod listen;
mod schema;
mod sinks;
mod units;
mod validate;

use std::fmt;
use std::path::{Path, PathBuf};

use serde_norway::{Mapping, Value};

pub use args::RunArgs;
pub use enrich::{EnricherConfig, KubernetesEnricherConfig, StaticEnricherConfig, StaticFormat};
pub use listen::{format_bind_addr, parse_bind_addr, parse_uri_list, ListenProtocol, ListenUri};
pub use schema::{
    Config, DecoderConfig, HttpConfig, LogConfig, LogFormat, MetricsConfig, ReceiveConfig,
    RecordFormat, ShutdownConfig, StateConfig, StdoutSinkConfig,
};
pub use sinks::{
    DirectionFilter, KafkaCompression, KafkaFormat, KafkaSaslConfig, KafkaSinkConfig,
    KafkaTlsConfig, PrometheusSinkConfig, PropertyValue, SaslMechanism, SinkCommon, SinkConfig,
    SinksConfig, DEFAULT_KAFKA_KEY, DEFAULT_PROMETHEUS_LABELS,
};
pub use units::{ByteSize, HumanDuration};
pub use validate::check_log_level;

/// Why the configuration was refused: every problem found, each naming its
/// key (or variable, or flag) and the fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub origin: String,
    pub problems: Vec<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid configuration ({})", self.origin)?;
        for p in &self.problems {
            write!(f, "\n  - {p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The effective configuration and how it came about.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub config: Config,
    /// The file read, if any.
    pub file: Option<PathBuf>,
    pub env_applied: Vec<env::Applied>,
    /// Allowed but probably unintended settings, to log at start.
    pub warnings: Vec<String>,
}

/// Builds the configuration: `file` (or nothing) → `vars` (the process
/// environment, passed in so tests need not touch it) → `args`.
pub fn load(
    file: Option<&Path>,
    vars: impl IntoIterator<Item = (String, String)>,
    args: &RunArgs,
) -> Result<Loaded, ConfigError> {
    let origin = describe_origin(file);
    let fail = |problems: Vec<String>| ConfigError {
        origin: origin.clone(),
        problems,
    };
    let text = match file {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| fail(vec![format!("cannot read {}: {e}", path.display())]))?,
        None => String::new(),
    };
    let mut tree = parse_tree(&text).map_err(|e| fail(vec![e]))?;
    let mut defaults = serde_norway::to_value(Config::default()).expect("defaults serialize");
    let vars: Vec<(String, String)> = vars.into_iter().collect();
    sinks::env_view(&mut tree, &mut defaults, &vars);
    let env_applied = env::apply(&mut tree, &defaults, vars).map_err(|e| fail(vec![e]))?;
    // Deserializing from text (not from the tree) keeps the key path in
    // serde's messages; the file's own text also keeps its line numbers.
    let (text, from_env) = if env_applied.is_empty() {
        (text, String::new())
    } else {
        let vars: Vec<&str> = env_applied.iter().map(|a| a.var.as_str()).collect();
        let merged = serde_norway::to_string(&tree).expect("tree serializes");
        (
            merged,
            format!(" (after environment overrides: {})", vars.join(", ")),
        )
    };
    let parsed = if text.trim().is_empty() {
        Ok(Config::default())
    } else {
        serde_norway::from_str::<Config>(&text)
    };
    let mut config = parsed.map_err(|e| {
        let mut msg = e.to_string();
        if !from_env.is_empty() {
            // Line numbers of the merged tree point nowhere the user wrote.
            if let Some(i) = msg.rfind(" at line ") {
                msg.truncate(i);
            }
        }
        fail(vec![explain_serde(&msg) + &from_env])
    })?;
    args.apply(&mut config).map_err(|e| fail(vec![e]))?;
    let warnings = validate::validate(&config).map_err(fail)?;
    Ok(Loaded {
        config,
        file: file.map(Path::to_path_buf),
        env_applied,
        warnings,
    })
}

/// [`load`] for the running process: the file is `--config`, else
/// `$FLOWGATE_CONFIG`, else none.
pub fn load_for_process(args: &RunArgs) -> Result<Loaded, ConfigError> {
    let file = args
        .config
        .clone()
        .or_else(|| std::env::var_os("FLOWGATE_CONFIG").map(PathBuf::from));
    load(file.as_deref(), std::env::vars(), args)
}

fn describe_origin(file: Option<&Path>) -> String {
    match file {
        Some(p) => format!("config file {}, FLOWGATE_* environment, flags", p.display()),
        None => "embedded defaults, FLOWGATE_* environment, flags".to_owned(),
    }
}

/// An empty file (or one holding only comments) means "all defaults".
fn parse_tree(text: &str) -> Result<Value, String> {
    match serde_norway::from_str::<Value>(text) {
        Ok(Value::Null) => Ok(Value::Mapping(Mapping::new())),
        Ok(v @ Value::Mapping(_)) => Ok(v),
        Ok(_) => Err("the file must be a YAML mapping of sections (log:, listeners:, ...)".into()),
        Err(e) => Err(format!("not valid YAML: {e}")),
    }
}

/// serde's message already names the key path; add what to do about it.
fn explain_serde(msg: &str) -> String {
    if msg.contains("unknown field") {
        format!("{msg}; fix: correct or remove the key (config/flowgate.yaml documents every key, `flowgate check-config FILE` prints the effective config)")
    } else if msg.contains("unknown variant") {
        format!("{msg}; fix: use one of the values listed")
    } else {
        msg.to_owned()
    }
}

impl Config {
    /// The configuration as YAML, every key present: what `check-config` prints.
    pub fn to_yaml(&self) -> String {
        serde_norway::to_string(self).expect("config serializes")
    }

    /// Receive workers for a listener: its own setting, else `receive.workers`,
    /// 0 meaning one per core.
    pub fn workers_for(&self, l: &ListenUri) -> usize {
        let n = l.workers.unwrap_or(self.receive.workers);
        if n == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            n
        }
    }
}

#[cfg(test)]
mod tests;
