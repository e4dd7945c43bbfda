//! The Kafka sink's keys (docs/sinks.md).

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::units::{ByteSize, HumanDuration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KafkaFormat {
    /// One JSON object per message, as the stdout sink writes it.
    Json,
    /// One varint-length-delimited `flowpb.FlowMessage` per message (proto/flow.proto).
    #[default]
    Protobuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum KafkaCompression {
    #[default]
    None,
    Gzip,
    Snappy,
    Lz4,
    Zstd,
}

impl KafkaCompression {
    /// librdkafka's `compression.codec` value.
    pub fn as_str(self) -> &'static str {
        match self {
            KafkaCompression::None => "none",
            KafkaCompression::Gzip => "gzip",
            KafkaCompression::Snappy => "snappy",
            KafkaCompression::Lz4 => "lz4",
            KafkaCompression::Zstd => "zstd",
        }
    }
}

/// A librdkafka property value: written as YAML scalars, passed as text.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum PropertyValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
}

impl std::fmt::Display for PropertyValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PropertyValue::Bool(b) => write!(f, "{b}"),
            PropertyValue::Int(i) => write!(f, "{i}"),
            PropertyValue::Float(x) => write!(f, "{x}"),
            PropertyValue::Text(s) => f.write_str(s),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaSinkConfig {
    pub name: Option<String>,
    pub enabled: bool,
    /// host:port of one or more brokers (bootstrap.servers).
    #[serde(deserialize_with = "crate::schema::string_list")]
    pub brokers: Vec<String>,
    /// The topic records go to; it must exist (or the broker auto-create it).
    pub topic: String,
    pub format: KafkaFormat,
    /// Record fields hashed into the message key (docs/server.md gives the
    /// hash); empty = no key.
    #[serde(deserialize_with = "crate::schema::string_list")]
    pub key_fields: Vec<String>,
    pub compression: KafkaCompression,
    /// Records packed into one message (protobuf: delimited messages one
    /// after another; JSON: lines). 1 = one record per message, as goflow2.
    /// Above 1 the messages carry no key, so `key_fields` must be empty.
    pub records_per_message: usize,
    pub tls: KafkaTlsConfig,
    pub sasl: KafkaSaslConfig,
    /// Records the producer holds while the broker is slow or away
    /// (queue.buffering.max.messages); beyond it they are dropped and counted.
    pub buffer_messages: usize,
    /// The same bound in bytes (queue.buffering.max.kbytes).
    pub buffer_size: ByteSize,
    /// How long a record may wait for the broker before it is given up and
    /// counted as failed (message.timeout.ms).
    pub delivery_timeout: HumanDuration,
    /// Further librdkafka producer properties, passed through as given.
    pub producer: BTreeMap<String, PropertyValue>,
    pub queue_batches: usize,
    pub flush_interval: HumanDuration,
}

impl Default for KafkaSinkConfig {
    fn default() -> Self {
        KafkaSinkConfig {
            name: None,
            enabled: true,
            brokers: vec!["127.0.0.1:9092".into()],
            topic: "flows".into(),
            format: KafkaFormat::Protobuf,
            key_fields: DEFAULT_KAFKA_KEY.map(String::from).to_vec(),
            compression: KafkaCompression::None,
            records_per_message: 1,
            tls: KafkaTlsConfig::default(),
            sasl: KafkaSaslConfig::default(),
            buffer_messages: 100_000,
            buffer_size: ByteSize(64 << 20),
            delivery_timeout: HumanDuration::secs(300),
            producer: BTreeMap::new(),
            queue_batches: 64,
            flush_interval: HumanDuration::secs(1),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaTlsConfig {
    pub enabled: bool,
    /// CA bundle (PEM) to verify the brokers; none = the system's.
    pub ca_file: Option<PathBuf>,
    /// Client certificate and key (PEM) for mutual TLS.
    pub cert_file: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    /// The key's passphrase: the environment variable, or the file, holding it.
    pub key_password_env: Option<String>,
    pub key_password_file: Option<PathBuf>,
    /// Check that the broker's certificate names the host connected to.
    pub verify_hostname: bool,
}

impl Default for KafkaTlsConfig {
    fn default() -> Self {
        KafkaTlsConfig {
            enabled: false,
            ca_file: None,
            cert_file: None,
            key_file: None,
            key_password_env: None,
            key_password_file: None,
            verify_hostname: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SaslMechanism {
    #[serde(rename = "PLAIN")]
    Plain,
    #[serde(rename = "SCRAM-SHA-256")]
    ScramSha256,
    #[serde(rename = "SCRAM-SHA-512")]
    ScramSha512,
}

impl SaslMechanism {
    pub fn as_str(self) -> &'static str {
        match self {
            SaslMechanism::Plain => "PLAIN",
            SaslMechanism::ScramSha256 => "SCRAM-SHA-256",
            SaslMechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct KafkaSaslConfig {
    /// null (no SASL), PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
    pub mechanism: Option<SaslMechanism>,
    pub username: String,
    /// The password: the environment variable, or the file, holding it
    /// (never the password itself in this file).
    pub password_env: Option<String>,
    pub password_file: Option<PathBuf>,
}

/// One flow as one exporter saw it: its records keep to one partition.
pub const DEFAULT_KAFKA_KEY: [&str; 6] = [
    "sampler_address",
    "src_addr",
    "dst_addr",
    "proto",
    "src_port",
    "dst_port",
];
