//! The configuration tree. Every struct denies unknown keys so a typo fails
//! at start instead of being silently ignored; every field has a default so
//! a file only needs the keys it changes. `config/flowgate.yaml` documents
//! each key; keep the two in step (a test loads that file).

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::enrich::EnricherConfig;
use crate::listen::ListenUri;
use crate::sinks::SinksConfig;
use crate::units::{ByteSize, HumanDuration};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub log: LogConfig,
    #[serde(deserialize_with = "lists::uris")]
    pub listeners: Vec<ListenUri>,
    pub receive: ReceiveConfig,
    pub decoder: DecoderConfig,
    pub state: StateConfig,
    pub http: HttpConfig,
    pub metrics: MetricsConfig,
    /// Enrichers in order (crates/flowgate-enrich); empty = records as decoded.
    pub enrich: Vec<EnricherConfig>,
    pub sinks: SinksConfig,
    pub shutdown: ShutdownConfig,
}

impl Default for Config {
    fn default() -> Self {
        let listeners = [
            "netflow://:2055",
            "nfl://:2056",
            "ipfix://:4739",
            "sflow://:6343",
        ]
        .iter()
        .map(|s| s.parse().expect("default listener URIs parse"))
        .collect();
        Config {
            log: LogConfig::default(),
            listeners,
            receive: ReceiveConfig::default(),
            decoder: DecoderConfig::default(),
            state: StateConfig::default(),
            http: HttpConfig::default(),
            metrics: MetricsConfig::default(),
            enrich: Vec::new(),
            sinks: SinksConfig::default(),
            shutdown: ShutdownConfig::default(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// A level or an env-filter directive list (`info`, `flowgate_server=debug,info`).
    pub level: String,
    pub format: LogFormat,
    /// How long repeated warnings of one kind are folded into one line.
    pub rate_limit_window: HumanDuration,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig {
            level: "info".into(),
            format: LogFormat::Text,
            rate_limit_window: HumanDuration::secs(10),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReceiveConfig {
    /// Receive threads (SO_REUSEPORT sockets) per listener; 0 = one per core.
    pub workers: usize,
    /// SO_RCVBUF asked of the kernel for each socket.
    pub receive_buffer: ByteSize,
    /// Datagrams read per recvmmsg call.
    pub batch_size: usize,
    /// Largest datagram accepted whole; longer ones are counted and dropped.
    pub max_datagram_size: usize,
}

impl Default for ReceiveConfig {
    fn default() -> Self {
        ReceiveConfig {
            workers: 0,
            receive_buffer: ByteSize(8 << 20),
            batch_size: 32,
            max_datagram_size: 65535,
        }
    }
}

/// Bounds on NetFlow v9 / IPFIX state, per receive worker (see flowgate_decode::Limits).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DecoderConfig {
    pub max_exporters: usize,
    pub max_templates_per_exporter: usize,
    pub max_pending_sets_per_exporter: usize,
    pub pending_ttl: HumanDuration,
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_exporters: 10_000,
            max_templates_per_exporter: 2_048,
            max_pending_sets_per_exporter: 256,
            pending_ttl: HumanDuration::secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StateConfig {
    /// Where the template store is kept between runs; none = not kept.
    pub dir: Option<PathBuf>,
    pub save_interval: HumanDuration,
}

impl Default for StateConfig {
    fn default() -> Self {
        StateConfig {
            dir: None,
            save_interval: HumanDuration::secs(60),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// `:PORT`, `IPv4:PORT` or `[IPv6]:PORT`.
    #[serde(with = "bind_addr")]
    pub address: SocketAddr,
}

impl Default for HttpConfig {
    fn default() -> Self {
        HttpConfig {
            address: crate::listen::parse_bind_addr(":8080").expect("default parses"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Distinct exporter label values; more exporters are counted as "overflow".
    pub max_exporters: usize,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        MetricsConfig {
            max_exporters: 1000,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RecordFormat {
    #[default]
    Json,
    Text,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StdoutSinkConfig {
    /// The `sink` label of its metrics (default: `stdout`); unique in `sinks`.
    pub name: Option<String>,
    pub enabled: bool,
    /// A file to append to instead of stdout; reopened on SIGHUP (log rotation).
    pub path: Option<PathBuf>,
    pub format: RecordFormat,
    /// Columns in order (names from docs/record.md); none = every field present.
    #[serde(deserialize_with = "lists::opt_strings")]
    pub fields: Option<Vec<String>>,
    /// proto and etype as names ("TCP", "IPv4").
    pub names: bool,
    pub flush_interval: HumanDuration,
    /// Chunks of lines (~128 KiB) waiting to be written before new ones
    /// are dropped.
    pub queue_batches: usize,
    /// Threads that render batches for a receive worker that has fallen
    /// behind (0: the workers render everything themselves).
    pub render_threads: usize,
}

impl Default for StdoutSinkConfig {
    fn default() -> Self {
        StdoutSinkConfig {
            name: None,
            enabled: true,
            path: None,
            format: RecordFormat::Json,
            fields: None,
            names: false,
            flush_interval: HumanDuration::secs(1),
            // Chunks of ~128 KiB: 16 MiB of lines, ~6 ms at 3 M lines/s,
            // so a sink thread kept off the CPU that long loses nothing.
            queue_batches: 128,
            render_threads: 1,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShutdownConfig {
    /// Longest wait for the sinks to drain their queues on SIGTERM/SIGINT.
    pub drain_timeout: HumanDuration,
}

impl Default for ShutdownConfig {
    fn default() -> Self {
        ShutdownConfig {
            drain_timeout: HumanDuration::secs(10),
        }
    }
}

mod bind_addr {
    use std::fmt;
    use std::net::SocketAddr;

    use serde::de::{self, Visitor};
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(a: &SocketAddr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&crate::listen::format_bind_addr(a))
    }

    struct V;

    impl Visitor<'_> for V {
        type Value = SocketAddr;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(":PORT, IPv4:PORT or [IPv6]:PORT")
        }

        // Parsing inside the visitor lets serde prefix the key path.
        fn visit_str<E: de::Error>(self, s: &str) -> Result<SocketAddr, E> {
            crate::listen::parse_bind_addr(s).map_err(E::custom)
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SocketAddr, D::Error> {
        d.deserialize_str(V)
    }
}

/// Lists also accept one comma-separated string, which is how they arrive
/// from environment variables (`FLOWGATE_LISTENERS=netflow://:2055,sflow://:6343`).
mod lists {
    use std::fmt;

    use serde::de::{self, SeqAccess, Visitor};
    use serde::Deserializer;

    use crate::listen::{parse_uri_list, ListenUri};

    struct StringList;

    impl<'de> Visitor<'de> for StringList {
        type Value = Vec<String>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of strings or one comma-separated string")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<String>, E> {
            Ok(s.split(',')
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect())
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut v = Vec::new();
            while let Some(s) = seq.next_element::<String>()? {
                v.push(s);
            }
            Ok(v)
        }
    }

    struct OptStringList;

    impl<'de> Visitor<'de> for OptStringList {
        type Value = Option<Vec<String>>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("null, a list of strings or one comma-separated string")
        }

        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }

        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(StringList).map(Some)
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            StringList.visit_str(s).map(Some)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            StringList.visit_seq(seq).map(Some)
        }
    }

    /// Parses inside the visitor so that serde prefixes the key path.
    struct UriList;

    impl<'de> Visitor<'de> for UriList {
        type Value = Vec<ListenUri>;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list of listener URIs or one comma-separated string")
        }

        fn visit_str<E: de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_uri_list(&StringList.visit_str::<E>(s)?).map_err(E::custom)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            parse_uri_list(&StringList.visit_seq(seq)?).map_err(de::Error::custom)
        }
    }

    pub fn uris<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<ListenUri>, D::Error> {
        d.deserialize_any(UriList)
    }

    pub fn strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(StringList)
    }

    pub fn opt_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
        d.deserialize_option(OptStringList)
    }
}

pub(crate) use lists::strings as string_list;
